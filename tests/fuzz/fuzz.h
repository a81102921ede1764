/*
 * fuzz.h — what every fuzz target shares: the entry point's prototype and
 * INV(), which aborts (so the fuzzer keeps the input) when a promise of the
 * code under test does not hold.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define INV(expr) do { \
	if (!(expr)) { \
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #expr, \
		    __FILE__, __LINE__); \
		abort(); \
	} \
} while (0)

#endif
