/*
 * check_local.c — (being built) health checks; see lib/health.h.
 */
#include "health.h"

void
check_registered_ip(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_userprovider(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_poller(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_login(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_certificate(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}

void
check_disk(const struct health_env *env, struct health_result *r, json_t *d)
{
	(void)env;
	(void)d;
	health_set(r, HEALTH_NA, "Not checked yet.");
}
