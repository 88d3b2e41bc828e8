/* uring_deny_exec - run a command with io_uring refused, as under the
 * default seccomp profile of Docker (>= 25) or podman:
 *
 *   uring_deny_exec ENOSYS|EPERM|EACCES COMMAND [ARG...]
 *
 * Every io_uring syscall of the command and its children fails with that
 * errno. Exit 77 (CTest: skipped) when seccomp is unavailable, 2 on a
 * usage error, 127 when COMMAND cannot be executed; else COMMAND's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/net/uring_deny.h"

static int errno_named(const char *s)
{
	if (strcmp(s, "ENOSYS") == 0)
		return ENOSYS;
	if (strcmp(s, "EPERM") == 0)
		return EPERM;
	if (strcmp(s, "EACCES") == 0)
		return EACCES;
	return 0;
}

int main(int argc, char **argv)
{
	int err = argc >= 3 ? errno_named(argv[1]) : 0;
	int r;

	if (!err) {
		fprintf(stderr, "usage: uring_deny_exec ENOSYS|EPERM|EACCES "
				"COMMAND [ARG...]\n");
		return 2;
	}
	r = uring_deny_install(URING_DENY_ALL, err);
	if (r < 0) {
		fprintf(stderr,
			"uring_deny_exec: seccomp unavailable (%s): "
			"skipping\n",
			strerror(-r));
		return 77;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "uring_deny_exec: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
