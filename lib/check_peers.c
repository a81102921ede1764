/*
 * check_peers.c — (being built) health checks; see lib/health.h.
 */
#include "health.h"

void
check_aws(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_vcenter(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_time(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_proxy(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_authproxy(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}
