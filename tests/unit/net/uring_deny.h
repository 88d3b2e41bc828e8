/* uring_deny.h - refuse io_uring in this process and its children with a
 * seccomp filter, as the default profiles of Docker (>= 25) and podman do
 * (tests only: it makes the container case reproducible on any host).
 */
#ifndef SEALOG_TESTS_UNIT_NET_URING_DENY_H
#define SEALOG_TESTS_UNIT_NET_URING_DENY_H

#define URING_DENY_SETUP 0x1u	 /* io_uring_setup(2) */
#define URING_DENY_ENTER 0x2u	 /* io_uring_enter(2) */
#define URING_DENY_REGISTER 0x4u /* io_uring_register(2) */
#define URING_DENY_ALL 0x7u

/* Make the syscalls in mask fail with errno err (ENOSYS, EPERM ...) on
 * the calling thread, the threads it creates later and what it execs.
 * Sets no_new_privs (required without CAP_SYS_ADMIN) and cannot be undone.
 * Returns 0, -ENOTSUP (no native architecture constant for this build) or
 * prctl()'s -errno (seccomp unavailable). */
int uring_deny_install(unsigned mask, int err);

#endif
