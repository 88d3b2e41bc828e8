/* net_backend.h - which loop backend a test expects (tests only).
 *
 * CTest runs the loop tests once per backend (tests/unit/net/CMakeLists):
 * SEALOG_NET_BACKEND=io_uring (skipped where io_uring is refused) and
 * SEALOG_NET_BACKEND=epoll, plus once with io_uring denied by a seccomp
 * filter and no choice made, where SEALOG_TEST_EXPECT_BACKEND=epoll says
 * the fallback must have been taken.
 */
#ifndef SEALOG_TESTS_UNIT_NET_BACKEND_H
#define SEALOG_TESTS_UNIT_NET_BACKEND_H

#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* "io_uring", "epoll", or NULL (either will do). */
static inline const char *test_backend_expected(void)
{
	const char *v = getenv("SEALOG_TEST_EXPECT_BACKEND");

	if (!v || !*v)
		v = getenv("SEALOG_NET_BACKEND");
	if (v && (strcmp(v, "io_uring") == 0 || strcmp(v, "epoll") == 0))
		return v;
	return NULL;
}

/* net_loop_create() failed: a skip (77) only where io_uring may be the
 * backend and may be refused; the epoll fallback must always start. */
static inline int test_backend_create_failed(void)
{
	const char *want = test_backend_expected();

	return want && strcmp(want, "epoll") == 0 ? 1 : 77;
}

/* The loop runs on the backend asked for. */
static inline bool test_backend_matches(const struct net_loop *loop)
{
	const char *want = test_backend_expected();

	return !want || strcmp(net_loop_backend(loop), want) == 0;
}

#endif
