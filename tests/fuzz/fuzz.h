/* fuzz.h - shared by the fuzz targets and their replay main.
 *
 * A target defines LLVMFuzzerTestOneInput(). Built with -DSEALOG_FUZZ=ON
 * and clang it links libFuzzer's main; otherwise fuzz_replay.c provides a
 * main that runs every file of the corpus directories given on the
 * command line, so CTest replays the corpus under ASan+UBSan.
 * A broken invariant calls fuzz_fail(), which aborts (a crash for
 * libFuzzer, a failed test for the replay).
 */
#ifndef SEALOG_TESTS_FUZZ_H
#define SEALOG_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_fail(...)                                                         \
	do {                                                                   \
		fprintf(stderr, "fuzz invariant: " __VA_ARGS__);               \
		fputc('\n', stderr);                                           \
		abort();                                                       \
	} while (0)

#endif
