/*
 * connector-poller — every 5 minutes from /etc/cron.d/connector: reads the
 * imports the connector tracks from EC2 and writes what changed in one
 * transaction, then starts queued imports while fewer than 4 are in
 * progress in their region (lib/poller.c).  Prints one line only when an
 * import completed, failed or started, or the run failed.
 */
#include "../lib/poller.h"

static const struct job_def poller = {
	.name = POLLER_JOB,
	.time_limit = POLLER_TIME_LIMIT,
	.run = poller_run,
};

int
main(int argc, char **argv)
{
	return job_main(argc, argv, &poller);
}
