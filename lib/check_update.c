/*
 * check_update.c — (being built) health checks; see lib/health.h.
 */
#include "health.h"

void
check_uptodate(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}
