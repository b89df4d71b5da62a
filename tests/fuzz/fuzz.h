/*
 * fuzz.h - what every fuzz target in tests/fuzz provides: libFuzzer's entry
 * point.  The same function runs under libFuzzer (SM_FUZZ=ON, clang) and
 * under replay_main.c, which feeds it the committed corpus and regression
 * inputs in every build.  A target aborts when an invariant breaks.
 */
#ifndef SM_TESTS_FUZZ_H
#define SM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* LLVMFuzzerTestOneInput() - run one input; always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_CHECK(cond) - abort with the condition's text when it is false. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
