/*
 * What the libFuzzer harnesses share: each tests/fuzz/fuzz-<name>.c defines
 * LLVMFuzzerTestOneInput() over one parser or invariant, links against the
 * library objects built for fuzzing, and aborts (so libFuzzer saves the
 * input) when an invariant breaks; ASan and UBSan catch the rest.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exodb.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The input as a C string (the caller frees it). */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	return xstrndup((const char *)data, size);
}

#define FUZZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__, __LINE__,	\
		    #cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

#endif
