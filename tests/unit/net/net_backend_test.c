/* net_backend_test.c - net_loop_create()'s choice of backend when
 * io_uring is refused the ways containers refuse it (a seccomp filter in
 * a forked child per case: io_uring_setup, io_uring_enter or
 * io_uring_register failing with ENOSYS / EPERM / EACCES), and the
 * SEALOG_NET_BACKEND switch. Each case checks the backend, errno and the
 * log: one WARN line naming the failed call when falling back, none
 * when the fallback was asked for.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "net/net.h"
#include "tests/unit/check.h"
#include "tests/unit/net/uring_deny.h"

struct bcase {
	const char *name;
	unsigned deny; /* URING_DENY_* */
	int err;
	const char *env;  /* SEALOG_NET_BACKEND; NULL = unset */
	const char *want; /* backend, or NULL: creation must fail */
	int want_errno;
	int warns;	     /* WARN lines expected */
	const char *log_has; /* a substring of the log, or NULL */
};

static void cb_open(void *c, uint64_t id, int l, const struct net_peer *p) {}
static void cb_frame(void *c, uint64_t id, uint8_t *f, size_t n)
{
	free(f);
}
static void cb_close(void *c, uint64_t id) {}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* In the child: filter, environment, create, compare. Exit 0 = as
 * expected. */
static int run_case(const struct bcase *c)
{
	static const struct net_callbacks cb = {cb_open, cb_frame, cb_close};
	struct net_config cfg;
	struct net_loop *loop;
	FILE *log = tmpfile();
	char text[8192];
	size_t n;
	int saved;

	check_passed = check_failed = 0; /* the parent's are not ours */
	if (!log || (c->deny && uring_deny_install(c->deny, c->err) < 0))
		return 2;
	if (c->env)
		setenv("SEALOG_NET_BACKEND", c->env, 1);
	else
		unsetenv("SEALOG_NET_BACKEND");
	log_set_fd(fileno(log));
	net_config_defaults(&cfg);
	errno = 0;
	loop = net_loop_create(&cfg, &cb, NULL);
	saved = errno;
	log_set_fd(2);
	rewind(log);
	n = fread(text, 1, sizeof(text) - 1, log);
	text[n] = 0;
	fputs(text, stderr);
	CHECK(c->want ? loop != NULL : loop == NULL);
	if (loop && c->want)
		CHECK(strcmp(net_loop_backend(loop), c->want) == 0);
	if (!loop)
		CHECK_EQ(saved, c->want_errno);
	CHECK_EQ(count_of(text, " WARN "), c->warns);
	if (c->log_has)
		CHECK(strstr(text, c->log_has) != NULL);
	net_loop_destroy(loop);
	return check_failed ? 1 : 0;
}

static int fork_case(const struct bcase *c)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(run_case(c));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static bool uring_works(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(4, &ring, 0) < 0)
		return false;
	io_uring_queue_exit(&ring);
	return true;
}

static bool seccomp_works(void)
{
	static const struct bcase probe = {
	    "probe", URING_DENY_SETUP, ENOSYS, "epoll", "epoll", 0, 0, NULL};

	return fork_case(&probe) == 0;
}

int main(void)
{
	const char *host = uring_works() ? "io_uring" : "epoll";
	const struct bcase cases[] = {
	    {"podman: setup ENOSYS", URING_DENY_SETUP, ENOSYS, NULL, "epoll", 0,
	     1,
	     "io_uring unavailable (io_uring_queue_init: Function not "
	     "implemented)"},
	    {"docker: all EPERM", URING_DENY_ALL, EPERM, "auto", "epoll", 0, 1,
	     "using the epoll fallback"},
	    {"enter refused", URING_DENY_ENTER, EPERM, "", "epoll", 0, 1,
	     "(io_uring_enter: Operation not permitted)"},
	    {"register refused", URING_DENY_REGISTER, EACCES, NULL, "epoll", 0,
	     1, "(io_uring_register_buf_ring: Permission denied)"},
	    {"not a refusal: EINVAL", URING_DENY_SETUP, EINVAL, NULL, NULL,
	     EINVAL, 0, "io_uring_queue_init failed"},
	    {"io_uring forced", URING_DENY_SETUP, ENOSYS, "io_uring", NULL,
	     ENOSYS, 0, "SEALOG_NET_BACKEND=io_uring rules out"},
	    {"epoll forced", URING_DENY_ALL, ENOSYS, "epoll", "epoll", 0, 0,
	     "network backend: epoll"},
	    {"epoll forced, io_uring allowed", 0, 0, "epoll", "epoll", 0, 0,
	     NULL},
	    {"unknown value", 0, 0, "kqueue", NULL, EINVAL, 0,
	     "SEALOG_NET_BACKEND=kqueue"},
	    {"nothing refused", 0, 0, NULL, host, 0, strcmp(host, "epoll") == 0,
	     NULL},
	};

	if (!seccomp_works()) {
		fprintf(stderr, "seccomp filters unavailable: skipping\n");
		return 77;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = fork_case(&cases[i]);

		if (r != 0)
			fprintf(stderr, "case \"%s\" failed (%d)\n",
				cases[i].name, r);
		CHECK_EQ(r, 0);
	}
	return check_finish();
}
