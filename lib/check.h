/*
 * check.h — what the health checks (lib/check_*.c) share: how a transport
 * failure is put into an item's details (lib/check.c).
 */
#ifndef CONNECTOR_CHECK_H
#define CONNECTOR_CHECK_H

#include "health.h"
#include "outbound.h"

/* The stage a transport error stopped in, in lib/health.h's words. */
const char *check_stage(const struct http_error *e);
/* details "timings": t's figures in seconds, to the millisecond. */
void check_timings(json_t *d, const struct http_timing *t);
/* s rounded to milliseconds. */
double check_ms3(double s);

#endif
