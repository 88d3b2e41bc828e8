/* net_loop_test.c - the loop against real loopback clients, on the
 * backend SEALOG_NET_BACKEND names (net_backend.h).
 *
 * Each loop runs on its own thread with callbacks that echo every frame
 * back (size prefix + the request body). The first two bytes of a request
 * (the api key slot) pick what the server does with it:
 */
#define MODE_ECHO 0	/* reply at once, from the loop thread */
#define MODE_DELAY 1	/* reply later, from the replier thread */
#define MODE_CLOSE 2	/* reply with NET_REPLY_CLOSE */
#define MODE_NOREPLY 3	/* net_loop_reply(NULL, 0): acks=0 style */
#define MODE_SLOW 4	/* like DELAY, after 200 ms */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "net/net.h"
#include "net/xprt.h"
#include "tests/unit/check.h"
#include "tests/unit/net/net_backend.h"

struct pending {
	struct pending *next;
	uint64_t conn_id;
	uint8_t *frame;
	size_t len;
	int64_t due_ms;
};

struct srv {
	struct net_config cfg;
	struct net_loop *loop;
	pthread_t thr;
	int run_ret;
	uint16_t port;
	pthread_mutex_t mu;
	int opens, closes, frames;
	unsigned outstanding, max_outstanding;
	uint64_t last_conn_id;
	struct pending *head, *tail;
};

static struct srv srv_a, srv_b;
static bool replier_quit;
static pthread_t replier;

/* ---- server side ------------------------------------------------------ */

static void reply_echo(struct srv *s, uint64_t id, uint8_t *frame, size_t len,
		       unsigned flags)
{
	uint8_t *out = malloc(len + 4);

	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, frame, len);
	free(frame);
	pthread_mutex_lock(&s->mu);
	s->outstanding--;
	pthread_mutex_unlock(&s->mu);
	net_loop_reply(s->loop, id, out, len + 4, flags);
}

static void on_open(void *ctx, uint64_t id, int listener_id,
		    const struct net_peer *peer)
{
	struct srv *s = ctx;

	pthread_mutex_lock(&s->mu);
	s->opens++;
	s->last_conn_id = id;
	pthread_mutex_unlock(&s->mu);
}

static void on_close(void *ctx, uint64_t id)
{
	struct srv *s = ctx;

	pthread_mutex_lock(&s->mu);
	s->closes++;
	pthread_mutex_unlock(&s->mu);
}

static void defer(struct srv *s, uint64_t id, uint8_t *frame, size_t len,
		  int64_t delay_ms)
{
	struct pending *p = calloc(1, sizeof(*p));

	p->conn_id = id;
	p->frame = frame;
	p->len = len;
	p->due_ms = clock_mono_ms() + delay_ms;
	pthread_mutex_lock(&s->mu);
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	pthread_mutex_unlock(&s->mu);
}

static void on_frame(void *ctx, uint64_t id, uint8_t *frame, size_t len)
{
	struct srv *s = ctx;
	int mode = frame[0] << 8 | frame[1];

	pthread_mutex_lock(&s->mu);
	s->frames++;
	if (++s->outstanding > s->max_outstanding)
		s->max_outstanding = s->outstanding;
	pthread_mutex_unlock(&s->mu);
	switch (mode) {
	case MODE_DELAY:
		defer(s, id, frame, len, 2);
		break;
	case MODE_SLOW:
		defer(s, id, frame, len, 200);
		break;
	case MODE_CLOSE:
		reply_echo(s, id, frame, len, NET_REPLY_CLOSE);
		break;
	case MODE_NOREPLY:
		free(frame);
		pthread_mutex_lock(&s->mu);
		s->outstanding--;
		pthread_mutex_unlock(&s->mu);
		net_loop_reply(s->loop, id, NULL, 0, 0);
		break;
	default:
		reply_echo(s, id, frame, len, 0);
	}
}

/* Answers deferred frames in order, from a thread that is not the loop. */
static void *replier_main(void *arg)
{
	struct srv *all[] = {&srv_a, &srv_b};

	while (!__atomic_load_n(&replier_quit, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 2; i++) {
			struct srv *s = all[i];
			struct pending *p = NULL;

			pthread_mutex_lock(&s->mu);
			if (s->head && s->head->due_ms <= clock_mono_ms()) {
				p = s->head;
				s->head = p->next;
				if (!s->head)
					s->tail = NULL;
			}
			pthread_mutex_unlock(&s->mu);
			if (p) {
				reply_echo(s, p->conn_id, p->frame, p->len, 0);
				free(p);
			}
		}
		usleep(500);
	}
	return NULL;
}

static void *loop_main(void *arg)
{
	struct srv *s = arg;

	s->run_ret = net_loop_run(s->loop);
	return NULL;
}

static int srv_start(struct srv *s, const struct net_config *cfg)
{
	static const struct net_callbacks cb = {on_open, on_frame, on_close};

	pthread_mutex_init(&s->mu, NULL);
	s->cfg = *cfg;
	s->loop = net_loop_create(cfg, &cb, s);
	if (!s->loop)
		return -errno;
	if (net_loop_listen(s->loop, "127.0.0.1", 0, 1, NULL, &s->port) < 0)
		return -1;
	return 0;
}

static int srv_get(struct srv *s, int *field)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = *field;
	pthread_mutex_unlock(&s->mu);
	return v;
}

static bool wait_count(struct srv *s, int *field, int want)
{
	for (int i = 0; i < 5000; i++) {
		if (srv_get(s, field) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

/* ---- client side ------------------------------------------------------ */

static int cli_connect_af(int af, uint16_t port)
{
	struct sockaddr_storage ss;
	struct timeval tv = {5, 0};
	socklen_t sl;
	int one = 1;
	int fd = socket(af, SOCK_STREAM, 0);

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cli_connect(uint16_t port)
{
	return cli_connect_af(AF_INET, port);
}

static bool write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

static bool read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r = read(fd, b, n);

		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* A request: size, mode (api key), version 0, correlation id, payload. */
static size_t put_frame(uint8_t *out, int mode, uint32_t corr,
			const void *payload, size_t plen)
{
	put_be32(out, (uint32_t)(8 + plen));
	out[4] = (uint8_t)(mode >> 8);
	out[5] = (uint8_t)mode;
	out[6] = out[7] = 0;
	put_be32(out + 8, corr);
	memcpy(out + 12, payload, plen);
	return 12 + plen;
}

/* Reads one reply; checks it echoes mode/corr/payload. */
static bool expect_reply(int fd, int mode, uint32_t corr, const void *payload,
			 size_t plen)
{
	uint8_t hdr[4], body[70000];
	uint32_t len;

	if (!read_all(fd, hdr, 4))
		return false;
	len = get_be32(hdr);
	if (len != 8 + plen || len > sizeof(body) || !read_all(fd, body, len))
		return false;
	return (body[0] << 8 | body[1]) == mode && get_be32(body + 4) == corr &&
	       memcmp(body + 8, payload, plen) == 0;
}

/* The server closed: EOF or reset, not a receive timeout. */
static bool expect_closed(int fd)
{
	uint8_t b[256];
	ssize_t r;

	do
		r = read(fd, b, sizeof(b));
	while (r > 0);
	return r == 0 || errno == ECONNRESET;
}

static bool roundtrip(uint16_t port)
{
	uint8_t f[64];
	size_t n = put_frame(f, MODE_ECHO, 7, "ping", 4);
	int fd = cli_connect(port);
	bool ok = fd >= 0 && write_all(fd, f, n) &&
		  expect_reply(fd, MODE_ECHO, 7, "ping", 4);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- tests ------------------------------------------------------------ */

static void t_single(void)
{
	uint8_t f[64];
	size_t n = put_frame(f, MODE_ECHO, 42, "hello", 5);
	int fd = cli_connect(srv_a.port);

	CHECK(fd >= 0);
	CHECK(write_all(fd, f, n));
	CHECK(expect_reply(fd, MODE_ECHO, 42, "hello", 5));
	close(fd);
}

static void t_pipelined(int mode, int count)
{
	size_t cap = (size_t)count * 16, off = 0;
	uint8_t *all = malloc(cap);
	int fd = cli_connect(srv_a.port), bad = 0;

	for (int i = 0; i < count; i++)
		off += put_frame(all + off, mode, (uint32_t)i, "abcd", 4);
	CHECK(write_all(fd, all, off));
	for (int i = 0; i < count; i++)
		if (!expect_reply(fd, mode, (uint32_t)i, "abcd", 4))
			bad++;
	CHECK_EQ(bad, 0);
	close(fd);
	free(all);
}

static void t_split_bytes(void)
{
	uint8_t f[64];
	size_t n = put_frame(f, MODE_ECHO, 9, "split-me", 8);
	int fd = cli_connect(srv_a.port);

	for (size_t i = 0; i < n; i++) {
		CHECK(write_all(fd, f + i, 1));
		usleep(200);
	}
	CHECK(expect_reply(fd, MODE_ECHO, 9, "split-me", 8));
	close(fd);
}

static void t_bad_size(int32_t size)
{
	uint8_t f[16] = {0};
	int fd = cli_connect(srv_a.port);

	put_be32(f, (uint32_t)size);
	CHECK(write_all(fd, f, sizeof(f)));
	CHECK(expect_closed(fd));
	close(fd);
	CHECK(roundtrip(srv_a.port));
}

static void t_half_then_close(void)
{
	uint8_t f[14] = {0};
	int before = srv_get(&srv_a, &srv_a.closes);
	int fd = cli_connect(srv_a.port);

	put_be32(f, 100);
	CHECK(write_all(fd, f, sizeof(f)));
	close(fd);
	CHECK(wait_count(&srv_a, &srv_a.closes, before + 1));
	CHECK(roundtrip(srv_a.port));
}

static void t_backpressure(void)
{
	pthread_mutex_lock(&srv_a.mu);
	srv_a.max_outstanding = 0;
	pthread_mutex_unlock(&srv_a.mu);
	t_pipelined(MODE_DELAY, 50);
	pthread_mutex_lock(&srv_a.mu);
	CHECK(srv_a.max_outstanding <= srv_a.cfg.max_inflight);
	CHECK(srv_a.max_outstanding >= 1);
	pthread_mutex_unlock(&srv_a.mu);
}

/* max_inflight_bytes (= max_frame_bytes, 1 MiB, on srv_a): 600 KiB frames
 * pipelined six at a time are delivered at most two at a time, although
 * max_inflight (4) would allow four; every one is answered. */
static void t_inflight_bytes(void)
{
	enum { BODY = 600 << 10, N = 6 };
	uint8_t *f = calloc(1, 12 + BODY), *got = malloc(8 + BODY);
	int fd = cli_connect(srv_a.port);
	bool ok = fd >= 0 && f && got;

	pthread_mutex_lock(&srv_a.mu);
	srv_a.max_outstanding = 0;
	pthread_mutex_unlock(&srv_a.mu);
	for (uint32_t i = 0; ok && i < N; i++) {
		size_t n = put_frame(f, MODE_DELAY, 900 + i, f + 12, BODY);
		ok = write_all(fd, f, n);
	}
	for (uint32_t i = 0; ok && i < N; i++) {
		uint8_t hdr[4];
		ok = read_all(fd, hdr, 4) && get_be32(hdr) == 8 + BODY &&
		     read_all(fd, got, 8 + BODY) && get_be32(got + 4) == 900 + i;
	}
	CHECK(ok);
	pthread_mutex_lock(&srv_a.mu);
	CHECK(srv_a.max_outstanding <= 2);
	CHECK(srv_a.max_outstanding >= 1);
	pthread_mutex_unlock(&srv_a.mu);
	if (fd >= 0)
		close(fd);
	free(f);
	free(got);
}

static void t_reply_close(void)
{
	uint8_t f[64];
	size_t n = put_frame(f, MODE_CLOSE, 5, "bye", 3);
	int fd = cli_connect(srv_a.port);

	CHECK(write_all(fd, f, n));
	CHECK(expect_reply(fd, MODE_CLOSE, 5, "bye", 3));
	CHECK(expect_closed(fd));
	close(fd);
}

static void t_no_reply(void)
{
	uint8_t f[128];
	size_t n = put_frame(f, MODE_NOREPLY, 1, "x", 1);
	int fd = cli_connect(srv_a.port);

	n += put_frame(f + n, MODE_ECHO, 2, "y", 1);
	CHECK(write_all(fd, f, n));
	CHECK(expect_reply(fd, MODE_ECHO, 2, "y", 1));
	close(fd);
}

static void t_reply_after_close(void)
{
	int before = srv_get(&srv_a, &srv_a.closes);
	int fd = cli_connect(srv_a.port);
	uint64_t id;

	CHECK(wait_count(&srv_a, &srv_a.opens, 1));
	usleep(20000);
	pthread_mutex_lock(&srv_a.mu);
	id = srv_a.last_conn_id;
	pthread_mutex_unlock(&srv_a.mu);
	close(fd);
	CHECK(wait_count(&srv_a, &srv_a.closes, before + 1));
	net_loop_reply(srv_a.loop, id, calloc(1, 12), 12, 0);
	net_loop_close(srv_a.loop, id);
	CHECK(roundtrip(srv_a.port));
}

static void t_request_timeout(void)
{
	uint8_t f[6] = {0, 0, 0, 20, 0, 0};
	int64_t t0 = clock_mono_ms();
	int fd = cli_connect(srv_b.port);
	bool closed = false;

	CHECK(write_all(fd, f, sizeof(f)));
	/* Keep trickling (never idle) but never finish the frame. */
	for (int i = 0; i < 10 && !closed; i++) {
		usleep(50000);
		closed = !write_all(fd, "z", 1);
	}
	CHECK(expect_closed(fd));
	CHECK(clock_mono_ms() - t0 >= 150);
	close(fd);
}

static void t_idle_timeout(void)
{
	int64_t t0 = clock_mono_ms(), dt;
	int fd = cli_connect(srv_b.port);

	CHECK(expect_closed(fd));
	dt = clock_mono_ms() - t0;
	CHECK(dt >= 500);
	CHECK(dt < 3000);
	close(fd);
}

static void t_send_queue_cap(void)
{
	static uint8_t f[16384 + 12];
	int rcv = 4096, fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(srv_b.port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	size_t n = put_frame(f, MODE_ECHO, 1, f + 12, 16384);
	bool ok = true;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	/* Never read: replies pile up until the server gives up. */
	for (int i = 0; i < 2000 && ok; i++)
		ok = write_all(fd, f, n);
	CHECK(!ok);
	close(fd);
	CHECK(roundtrip(srv_b.port));
}

/* A transformer transport (XOR 0x5a both ways) exercises the feed/encode
 * path a TLS transport takes, including transport-generated output. */
static int xor_open(struct xprt_factory *f, int fd, void **state)
{
	*state = NULL;
	return 0;
}

static int xor_feed(void *state, const uint8_t *in, size_t len,
		    int (*sink)(void *arg, const uint8_t *p, size_t n),
		    void *arg, struct buf *out)
{
	uint8_t tmp[512];
	int r = 0;

	while (len && r == 0) {
		size_t k = len < sizeof(tmp) ? len : sizeof(tmp);

		for (size_t i = 0; i < k; i++)
			tmp[i] = in[i] ^ 0x5a;
		r = sink(arg, tmp, k);
		in += k;
		len -= k;
	}
	return r;
}

static int xor_encode(void *state, const uint8_t *plain, size_t len,
		      struct buf *out)
{
	uint8_t *p = buf_extend(out, len);

	if (!p)
		return out->err;
	for (size_t i = 0; i < len; i++)
		p[i] = plain[i] ^ 0x5a;
	return 0;
}

static const struct xprt_ops xor_ops = {
	.name = "xor",
	.open = xor_open,
	.feed = xor_feed,
	.encode = xor_encode,
};

static void t_xor(uint16_t port)
{
	uint8_t f[64], r[64];
	size_t n = put_frame(f, MODE_ECHO, 3, "secret", 6);
	int fd = cli_connect(port);

	for (size_t i = 0; i < n; i++)
		f[i] ^= 0x5a;
	CHECK(write_all(fd, f, n));
	CHECK(read_all(fd, r, n));
	for (size_t i = 0; i < n; i++)
		r[i] ^= 0x5a;
	CHECK_EQ(get_be32(r), 8 + 6);
	CHECK(memcmp(r + 12, "secret", 6) == 0);
	close(fd);
}

static void t_stop(void)
{
	uint8_t f[64];
	size_t n = put_frame(f, MODE_SLOW, 11, "late", 4);
	int frames = srv_get(&srv_a, &srv_a.frames);
	int fd1 = cli_connect(srv_a.port), fd2 = cli_connect(srv_a.port);

	CHECK(write_all(fd1, f, n));
	CHECK(wait_count(&srv_a, &srv_a.frames, frames + 1));
	net_loop_stop(srv_a.loop);
	net_loop_stop(srv_a.loop); /* idempotent */
	/* The in-flight reply still goes out within the grace period. */
	CHECK(expect_reply(fd1, MODE_SLOW, 11, "late", 4));
	CHECK(expect_closed(fd1));
	CHECK(expect_closed(fd2));
	pthread_join(srv_a.thr, NULL);
	CHECK_EQ(srv_a.run_ret, 0);
	CHECK_EQ(srv_a.opens, srv_a.closes);
	CHECK(cli_connect(srv_a.port) < 0);
	close(fd1);
	close(fd2);
}

int main(void)
{
	struct net_config cfg;
	struct xprt_factory xf = {&xor_ops, NULL, 0};
	uint16_t xor_port = 0, v6_port = 0;
	int v6 = -1;

	net_config_defaults(&cfg);
	cfg.max_frame_bytes = 1 << 20;
	cfg.max_inflight = 4;
	if (srv_start(&srv_a, &cfg) < 0) {
		fprintf(stderr, "loop unavailable (%s)\n", strerror(errno));
		return test_backend_create_failed();
	}
	fprintf(stderr, "backend: %s\n", net_loop_backend(srv_a.loop));
	CHECK(test_backend_matches(srv_a.loop));
	CHECK(net_loop_listen(srv_a.loop, "127.0.0.1", 0, 2, &xf, &xor_port) ==
	      0);
	v6 = net_loop_listen(srv_a.loop, "::1", 0, 3, NULL, &v6_port);
	cfg.max_frame_bytes = 64 << 10;
	cfg.idle_timeout_ms = 600;
	cfg.request_timeout_ms = 200;
	cfg.max_send_queue_bytes = 64 << 10;
	CHECK(srv_start(&srv_b, &cfg) == 0);
	pthread_create(&srv_a.thr, NULL, loop_main, &srv_a);
	pthread_create(&srv_b.thr, NULL, loop_main, &srv_b);
	pthread_create(&replier, NULL, replier_main, NULL);

	t_single();
	t_pipelined(MODE_ECHO, 1000);
	t_split_bytes();
	t_bad_size(0);
	t_bad_size(4);
	t_bad_size(-1);
	t_bad_size((1 << 20) + 1);
	t_half_then_close();
	t_backpressure();
	t_inflight_bytes();
	t_reply_close();
	t_no_reply();
	t_reply_after_close();
	t_xor(xor_port);
	if (v6 == 0) {
		int fd = cli_connect_af(AF_INET6, v6_port);
		uint8_t f[64];
		size_t n = put_frame(f, MODE_ECHO, 6, "six", 3);

		CHECK(fd >= 0 && write_all(fd, f, n));
		CHECK(expect_reply(fd, MODE_ECHO, 6, "six", 3));
		close(fd);
	} else {
		fprintf(stderr, "no IPv6 loopback: IPv6 case skipped\n");
	}
	t_request_timeout();
	t_idle_timeout();
	t_send_queue_cap();
	t_stop();

	net_loop_stop(srv_b.loop);
	pthread_join(srv_b.thr, NULL);
	CHECK_EQ(srv_b.opens, srv_b.closes);
	__atomic_store_n(&replier_quit, true, __ATOMIC_RELEASE);
	pthread_join(replier, NULL);
	net_loop_destroy(srv_a.loop);
	net_loop_destroy(srv_b.loop);
	return check_finish();
}
