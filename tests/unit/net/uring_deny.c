/* uring_deny.c - see uring_deny.h. A classic-BPF seccomp program: allow
 * everything but the chosen io_uring syscalls of the native ABI. */
#include "tests/unit/net/uring_deny.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define DENY_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define DENY_ARCH AUDIT_ARCH_AARCH64
#endif

int uring_deny_install(unsigned mask, int err)
{
#ifdef DENY_ARCH
	static const struct {
		unsigned bit;
		unsigned nr;
	} calls[] = {
	    {URING_DENY_SETUP, __NR_io_uring_setup},
	    {URING_DENY_ENTER, __NR_io_uring_enter},
	    {URING_DENY_REGISTER, __NR_io_uring_register},
	};
	struct sock_filter f[5 + 2 * 3];
	struct sock_fprog prog;
	unsigned short n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(
	    BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      DENY_ARCH, 1, 0);
	f[n++] =
	    (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(
	    BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (unsigned i = 0; i < 3; i++) {
		if (!(mask & calls[i].bit))
			continue;
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      calls[i].nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(
		    BPF_RET | BPF_K,
		    SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA));
	}
	f[n++] =
	    (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
#else
	(void)mask;
	(void)err;
	return -ENOTSUP;
#endif
}
