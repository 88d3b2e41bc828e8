/* net_quota_test.c - connection caps (net_config.max_conns,
 * max_conns_per_ip, ip_limits) against real loopback clients, on the
 * backend SEALOG_NET_BACKEND names (net_backend.h).
 *
 * Clients bind their source address inside 127.0.0.0/8 (127.0.0.1,
 * .2, .3) so that one machine plays several client addresses. A served
 * connection echoes a frame; a rejected one reads EOF (or ECONNRESET)
 * without a byte; a waiting one (broker-wide cap) has connected into
 * the backlog and gets its echo only once another connection is gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "tests/unit/check.h"
#include "tests/unit/net/net_backend.h"

struct srv {
	struct net_loop *loop;
	pthread_t thr;
	uint16_t port;
	pthread_mutex_t mu;
	int opens;
};

static void on_open(void *ctx, uint64_t id, int listener_id,
		    const struct net_peer *peer)
{
	struct srv *s = ctx;

	(void)id;
	(void)listener_id;
	(void)peer;
	pthread_mutex_lock(&s->mu);
	s->opens++;
	pthread_mutex_unlock(&s->mu);
}

static void on_frame(void *ctx, uint64_t id, uint8_t *frame, size_t len)
{
	struct srv *s = ctx;
	uint8_t *out = malloc(len + 4);

	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, frame, len);
	free(frame);
	net_loop_reply(s->loop, id, out, len + 4, 0);
}

static void on_close(void *ctx, uint64_t id)
{
	(void)ctx;
	(void)id;
}

static const struct net_callbacks cbs = {on_open, on_frame, on_close};

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	net_loop_run(s->loop);
	return NULL;
}

static int srv_start(struct srv *s, const struct net_config *cfg)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->loop = net_loop_create(cfg, &cbs, s);
	if (!s->loop)
		return -1;
	CHECK(test_backend_matches(s->loop));
	if (net_loop_listen(s->loop, "127.0.0.1", 0, 0, NULL, &s->port) != 0)
		return -1;
	pthread_create(&s->thr, NULL, srv_main, s);
	return 0;
}

static void srv_stop(struct srv *s)
{
	net_loop_stop(s->loop);
	pthread_join(s->thr, NULL);
	net_loop_destroy(s->loop);
	pthread_mutex_destroy(&s->mu);
}

/* A TCP connection from source address src to the server. */
static int dial(const struct srv *s, const char *src)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, src, &a.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	a.sin_port = htons(s->port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static const uint8_t req[12] = {0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 7};

/* 1 when the echo of req arrives within timeout_ms, 0 on EOF / reset
 * (rejected), -1 on timeout (not served yet). */
static int wait_echo(int fd, int timeout_ms)
{
	uint8_t got[sizeof(req)];
	size_t have = 0;

	while (have < sizeof(got)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, timeout_ms) == 0)
			return -1;
		n = recv(fd, got + have, sizeof(got) - have, 0);
		if (n <= 0)
			return 0;
		have += (size_t)n;
	}
	return memcmp(req, got, sizeof(req)) == 0 ? 1 : 0;
}

/* Send req and wait_echo(). */
static int echo(int fd, int timeout_ms)
{
	if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return 0;
	return wait_echo(fd, timeout_ms);
}

static void test_per_ip(void)
{
	struct net_ip_limit limits[] = {{"127.0.0.3", 1}};
	struct net_config cfg;
	struct srv s;
	int a[3], b, c[2];

	net_config_defaults(&cfg);
	cfg.max_conns_per_ip = 2;
	cfg.ip_limits = limits;
	cfg.n_ip_limits = 1;
	if (srv_start(&s, &cfg) != 0) {
		CHECK(!"server start");
		return;
	}
	memset(limits, 0, sizeof(limits)); /* the loop keeps its own copy */
	for (int i = 0; i < 3; i++)
		a[i] = dial(&s, "127.0.0.1");
	CHECK_EQ(echo(a[0], 2000), 1);
	CHECK_EQ(echo(a[1], 2000), 1);
	CHECK_EQ(echo(a[2], 2000), 0); /* third from .1: closed at accept */
	b = dial(&s, "127.0.0.2");
	CHECK_EQ(echo(b, 2000), 1); /* another address is not affected */
	c[0] = dial(&s, "127.0.0.3");
	c[1] = dial(&s, "127.0.0.3");
	CHECK_EQ(echo(c[0], 2000), 1);
	CHECK_EQ(echo(c[1], 2000), 0); /* its override: 1 */
	/* A closed connection frees its address's slot. */
	close(a[0]);
	close(a[2]);
	for (int tries = 0; tries < 50; tries++) {
		a[0] = dial(&s, "127.0.0.1");
		if (echo(a[0], 2000) == 1)
			break;
		close(a[0]);
		a[0] = -1;
		usleep(20000);
	}
	CHECK(a[0] >= 0);
	CHECK_EQ(echo(a[1], 2000), 1);
	pthread_mutex_lock(&s.mu);
	CHECK_EQ(s.opens, 5); /* a0, a1, b, c0, a0 again */
	pthread_mutex_unlock(&s.mu);
	close(a[0]);
	close(a[1]);
	close(b);
	close(c[0]);
	close(c[1]);
	srv_stop(&s);
}

static void test_broker_wide(void)
{
	struct net_config cfg;
	struct srv s;
	int a[3], late;

	net_config_defaults(&cfg);
	cfg.max_conns = 3;
	if (srv_start(&s, &cfg) != 0) {
		CHECK(!"server start");
		return;
	}
	for (int i = 0; i < 3; i++) {
		a[i] = dial(&s, "127.0.0.1");
		CHECK_EQ(echo(a[i], 2000), 1);
	}
	/* The fourth connects into the backlog and waits, unserved. */
	late = dial(&s, "127.0.0.2");
	CHECK(late >= 0);
	CHECK_EQ(echo(late, 500), -1);
	close(a[0]);
	CHECK_EQ(wait_echo(late, 3000), 1); /* served once a[0] is gone */
	CHECK_EQ(echo(a[1], 2000), 1);
	pthread_mutex_lock(&s.mu);
	CHECK_EQ(s.opens, 4);
	pthread_mutex_unlock(&s.mu);
	close(a[1]);
	close(a[2]);
	close(late);
	srv_stop(&s);
}

static void test_none_allowed(void)
{
	struct net_config cfg;
	struct srv s;
	int fd;

	net_config_defaults(&cfg);
	cfg.max_conns_per_ip = 0; /* only the overrides' addresses ... */
	struct net_ip_limit limits[] = {{"127.0.0.2", 1}};
	cfg.ip_limits = limits;
	cfg.n_ip_limits = 1;
	if (srv_start(&s, &cfg) != 0) {
		CHECK(!"server start");
		return;
	}
	fd = dial(&s, "127.0.0.1");
	CHECK_EQ(echo(fd, 2000), 0);
	close(fd);
	fd = dial(&s, "127.0.0.2");
	CHECK_EQ(echo(fd, 2000), 1);
	close(fd);
	srv_stop(&s);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* max_conn_rate 20/s: a one-second bucket, then 20 a second. 50
 * connections take at least (50 - 20) / 20 s; every one is served. */
static void test_rate(void)
{
	struct net_config cfg;
	struct srv s;
	int fds[50];
	double t0, took;

	net_config_defaults(&cfg);
	cfg.max_conn_rate = 20;
	if (srv_start(&s, &cfg) != 0) {
		CHECK(!"server start");
		return;
	}
	t0 = mono_s();
	for (int i = 0; i < 50; i++) {
		fds[i] = dial(&s, "127.0.0.1");
		CHECK_EQ(echo(fds[i], 10000), 1);
	}
	took = mono_s() - t0;
	CHECK(took >= 1.3); /* not a benchmark: the limiter's floor */
	CHECK(took < 20);
	pthread_mutex_lock(&s.mu);
	CHECK_EQ(s.opens, 50);
	pthread_mutex_unlock(&s.mu);
	for (int i = 0; i < 50; i++)
		close(fds[i]);
	srv_stop(&s);
}

int main(void)
{
	struct net_config probe;
	struct net_loop *l;

	net_config_defaults(&probe);
	l = net_loop_create(&probe, &cbs, NULL);
	if (!l)
		return test_backend_create_failed();
	net_loop_destroy(l);
	test_per_ip();
	test_broker_wide();
	test_none_allowed();
	test_rate();
	return check_finish();
}
