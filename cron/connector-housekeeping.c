/*
 * connector-housekeeping — every 5 minutes from /etc/cron.d/connector:
 * removes expired sessions, old sign-in sources, an abandoned registration
 * draft, old job runs and key files a killed rotation left
 * (lib/housekeeping.c).  Prints one line only when it removed something
 * that matters or failed.
 */
#include "../lib/housekeeping.h"

static const struct job_def housekeeping = {
	.name = "housekeeping",
	.time_limit = HK_TIME_LIMIT,
	.run = housekeeping_run,
};

int
main(int argc, char **argv)
{
	return job_main(argc, argv, &housekeeping);
}
