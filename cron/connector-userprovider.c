/*
 * connector-userprovider — every 10 minutes from /etc/cron.d/connector:
 * enumerates the registered vCenter's users and groups with the service
 * account and replaces the list the Users page shows and the
 * authentication proxy checks, in one transaction (lib/userprovider.c).
 * Prints one line only when the list changed or the run failed; a failed
 * run keeps the previous list.
 */
#include "../lib/userprovider.h"

static const struct job_def userprovider = {
	.name = UP_JOB,
	.time_limit = UP_TIME_LIMIT,
	.run = userprovider_run,
};

int
main(int argc, char **argv)
{
	return job_main(argc, argv, &userprovider);
}
