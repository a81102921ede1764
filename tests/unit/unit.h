/*
 * unit.h — the tiny harness of the C unit tests.  A test file defines
 * test functions and lists them in main() with RUN(); each prints one line
 * "PASS name" or "FAIL name: file:line: expression", which tests/run
 * counts.  The program exits 1 when any test failed.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed_total;
static int unit_failed_now;

#define CHECK(expr) do { \
	if (!(expr)) { \
		printf("FAIL %s: %s:%d: %s\n", unit_name, __FILE__, __LINE__, \
		    #expr); \
		unit_failed_now = 1; \
		return; \
	} \
} while (0)

#define RUN(fn) do { \
	unit_failed_now = 0; \
	fn(#fn); \
	if (unit_failed_now) \
		unit_failed_total++; \
	else \
		printf("PASS %s\n", #fn); \
	fflush(stdout); \
} while (0)

#define TEST(fn) static void fn(const char *unit_name)

#define UNIT_EXIT() return unit_failed_total ? 1 : 0

#endif
