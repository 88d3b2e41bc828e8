/* tls_handshake_bench - full TLS handshakes per second against the net
 * loop over loopback, with a plaintext connect/close baseline.
 *
 *   tls_handshake_bench [--seconds N] [--threads N] [--tls12] [--rsa]
 *                       [--no-mtls] [--resume]
 *
 * One net loop (its own thread) listens twice on 127.0.0.1: plain, and
 * TLS with client certificates required (mTLS), certificates made at
 * start-up. Each client thread repeats: connect, (TLS handshake,) one
 * 12-byte request and its reply, close. The round trip makes the server
 * finish its side of the handshake before the connection counts (with
 * TLS 1.3 the client is done one flight earlier). No session resumption
 * unless --resume: every TLS connection pays a full handshake, both
 * signatures and both certificate chain checks.
 *
 * Prints connections/s and per-connection latency for both cases and
 * their ratio. Measured here, never asserted by a test; write results
 * down with the command and the machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/net.h"
#include "net/tls.h"
#include "tools/sealog-certs/certgen.h"

#define MAX_THREADS 64

struct opts {
	int seconds, threads, tls12, rsa, no_mtls, resume;
};

struct pki {
	EVP_PKEY *ca_key, *srv_key, *cli_key;
	X509 *ca, *srv, *cli;
};

struct worker {
	pthread_t thr;
	uint16_t port;
	SSL_CTX *ctx; /* NULL: plain */
	int64_t deadline_ms;
	long conns, errors, resumed;
	double *lat_ms;
	size_t nlat, caplat;
};

static struct net_loop *loop;

/* ---- server ----------------------------------------------------------- */

static void on_open(void *c, uint64_t id, int l, const struct net_peer *p) {}

static void on_close(void *c, uint64_t id) {}

static void on_frame(void *c, uint64_t id, uint8_t *frame, size_t len)
{
	uint8_t *out = malloc(len + 4);

	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, frame, len);
	free(frame);
	net_loop_reply(loop, id, out, len + 4, 0);
}

static void *loop_main(void *arg)
{
	net_loop_run(loop);
	return NULL;
}

static int pki_make(struct pki *k, enum certgen_key_type type)
{
	static const char *const dns[] = {"localhost"};
	static const char *const ips[] = {"127.0.0.1"};
	struct certgen_spec ca = {.cn = "bench CA", .is_ca = true};
	struct certgen_spec srv = {.cn = "localhost",
				   .dns = dns,
				   .ndns = 1,
				   .ips = ips,
				   .nips = 1,
				   .eku = CERTGEN_EKU_SERVER};
	struct certgen_spec cli = {.cn = "bench", .eku = CERTGEN_EKU_CLIENT};

	ca.not_before_s = srv.not_before_s = cli.not_before_s = -60;
	ca.not_after_s = srv.not_after_s = cli.not_after_s = CERTGEN_DAY_S;
	k->ca_key = certgen_key_new(type);
	k->srv_key = certgen_key_new(type);
	k->cli_key = certgen_key_new(type);
	if (!k->ca_key || !k->srv_key || !k->cli_key)
		return -1;
	k->ca = certgen_issue(&ca, k->ca_key, NULL, NULL);
	k->srv =
	    k->ca ? certgen_issue(&srv, k->srv_key, k->ca, k->ca_key) : NULL;
	k->cli =
	    k->ca ? certgen_issue(&cli, k->cli_key, k->ca, k->ca_key) : NULL;
	return k->srv && k->cli ? 0 : -1;
}

static int server_start(const struct opts *o, const struct pki *k,
			struct xprt_tls **tls, uint16_t *plain_port,
			uint16_t *tls_port)
{
	static const struct net_callbacks cb = {on_open, on_frame, on_close};
	struct net_config cfg;
	struct tls_settings s;
	struct tls_error err;
	X509 *ca = k->ca, *srv = k->srv;

	net_config_defaults(&cfg);
	loop = net_loop_create(&cfg, &cb, NULL);
	if (!loop)
		return -1;
	tls_settings_init(&s);
	s.cert_chain_pem = certgen_cert_pem(&srv, 1);
	s.key_pem = certgen_key_pem(k->srv_key, NULL, false);
	s.truststore_pem = certgen_cert_pem(&ca, 1);
	s.client_auth =
	    o->no_mtls ? TLS_CLIENT_AUTH_NONE : TLS_CLIENT_AUTH_REQUIRED;
	if (xprt_tls_create(&s, tls, &err) < 0) {
		fprintf(stderr, "tls: %s\n", err.msg);
		tls_settings_fini(&s);
		return -1;
	}
	tls_settings_fini(&s);
	if (net_loop_listen(loop, "127.0.0.1", 0, 1, NULL, plain_port) < 0 ||
	    net_loop_listen(loop, "127.0.0.1", 0, 2, xprt_tls_factory(*tls),
			    tls_port) < 0)
		return -1;
	return 0;
}

/* ---- client ----------------------------------------------------------- */

static SSL_CTX *client_ctx(const struct opts *o, const struct pki *k)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int v = o->tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;

	SSL_CTX_set_min_proto_version(ctx, v);
	SSL_CTX_set_max_proto_version(ctx, v);
	X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), k->ca);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (!o->no_mtls) {
		SSL_CTX_use_certificate(ctx, k->cli);
		SSL_CTX_use_PrivateKey(ctx, k->cli_key);
	}
	if (!o->resume) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	}
	return ctx;
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static const uint8_t request[12] = {0, 0, 0, 8, 0, 18, 0, 0, 0, 0, 0, 1};

static bool plain_once(struct worker *w)
{
	uint8_t reply[12];
	int fd = tcp_connect(w->port);
	bool ok = fd >= 0 && send(fd, request, 12, MSG_NOSIGNAL) == 12 &&
		  recv(fd, reply, 12, MSG_WAITALL) == 12;

	if (fd >= 0)
		close(fd);
	return ok;
}

static bool tls_once(struct worker *w, SSL_SESSION **sess)
{
	uint8_t reply[12];
	size_t n = 0, got;
	int fd = tcp_connect(w->port);
	SSL *ssl = SSL_new(w->ctx);
	bool ok = fd >= 0 && ssl;

	if (ok && *sess)
		SSL_set_session(ssl, *sess);
	ok = ok && SSL_set_fd(ssl, fd) && SSL_connect(ssl) == 1 &&
	     SSL_write_ex(ssl, request, 12, &got) == 1;
	while (ok && n < 12)
		ok = SSL_read_ex(ssl, reply + n, 12 - n, &got) == 1 &&
		     (n += got, true);
	if (ok && !*sess && (SSL_get_options(ssl) & SSL_OP_NO_TICKET) == 0)
		*sess = SSL_get1_session(ssl); /* --resume: reuse this one */
	/* An unclean close makes OpenSSL drop the session for reuse. */
	if (ok && *sess)
		(void)SSL_shutdown(ssl);
	if (ok && SSL_session_reused(ssl))
		w->resumed++;
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
	return ok;
}

static void lat_add(struct worker *w, double ms)
{
	if (w->nlat == w->caplat) {
		size_t cap = w->caplat ? w->caplat * 2 : 4096;
		double *n = realloc(w->lat_ms, cap * sizeof(*n));

		if (!n)
			return;
		w->lat_ms = n;
		w->caplat = cap;
	}
	w->lat_ms[w->nlat++] = ms;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	SSL_SESSION *sess = NULL;
	struct timespec a, b;

	while (clock_mono_ms() < w->deadline_ms) {
		bool ok;

		clock_gettime(CLOCK_MONOTONIC, &a);
		ok = w->ctx ? tls_once(w, &sess) : plain_once(w);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!ok) {
			w->errors++;
			continue;
		}
		w->conns++;
		lat_add(w, (double)(b.tv_sec - a.tv_sec) * 1e3 +
			       (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	}
	SSL_SESSION_free(sess);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs one case; returns connections per second. */
static double run_case(const char *name, const struct opts *o, uint16_t port,
		       SSL_CTX *ctx)
{
	struct worker w[MAX_THREADS];
	double *all = NULL, rate;
	long conns = 0, errors = 0, resumed = 0;
	size_t n = 0;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < o->threads; i++) {
		w[i].port = port;
		w[i].ctx = ctx;
		w[i].deadline_ms = clock_mono_ms() + o->seconds * 1000LL;
		pthread_create(&w[i].thr, NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < o->threads; i++) {
		pthread_join(w[i].thr, NULL);
		conns += w[i].conns;
		errors += w[i].errors;
		resumed += w[i].resumed;
		all = realloc(all, (n + w[i].nlat) * sizeof(*all) + 1);
		memcpy(all + n, w[i].lat_ms, w[i].nlat * sizeof(*all));
		n += w[i].nlat;
		free(w[i].lat_ms);
	}
	qsort(all, n, sizeof(*all), cmp_double);
	rate = (double)conns / o->seconds;
	printf("%-18s %9ld %11.0f %9.3f %9.3f %7ld\n", name, conns, rate,
	       n ? all[n / 2] : 0.0, n ? all[n * 99 / 100] : 0.0, errors);
	if (resumed)
		printf("%-18s %9ld resumed\n", "", resumed);
	free(all);
	return rate;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"seconds", 1, NULL, 's'}, {"threads", 1, NULL, 't'},
	    {"tls12", 0, NULL, '2'},   {"rsa", 0, NULL, 'r'},
	    {"no-mtls", 0, NULL, 'n'}, {"resume", 0, NULL, 'R'},
	    {"help", 0, NULL, 'h'},    {NULL, 0, NULL, 0}};
	int c;

	o->seconds = 5;
	o->threads = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o->seconds = atoi(optarg);
			break;
		case 't':
			o->threads = atoi(optarg);
			break;
		case '2':
			o->tls12 = 1;
			break;
		case 'r':
			o->rsa = 1;
			break;
		case 'n':
			o->no_mtls = 1;
			break;
		case 'R':
			o->resume = 1;
			break;
		default:
			fprintf(stderr,
				"usage: tls_handshake_bench [--seconds N] "
				"[--threads N] [--tls12] [--rsa] "
				"[--no-mtls] [--resume]\n");
			return -1;
		}
	}
	if (o->seconds < 1 || o->threads < 1 || o->threads > MAX_THREADS)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct pki k = {0};
	struct xprt_tls *tls = NULL;
	uint16_t plain_port = 0, tls_port = 0;
	pthread_t thr;
	SSL_CTX *ctx;
	double plain, secure;

	if (parse(argc, argv, &o) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_ERROR);
	if (pki_make(&k, o.rsa ? CERTGEN_KEY_RSA : CERTGEN_KEY_EC) < 0 ||
	    server_start(&o, &k, &tls, &plain_port, &tls_port) < 0) {
		fprintf(stderr, "setup failed (io_uring or OpenSSL)\n");
		return 1;
	}
	pthread_create(&thr, NULL, loop_main, NULL);
	ctx = client_ctx(&o, &k);
	printf("# %d s per case, %d client thread(s), %s, %s, %s%s\n",
	       o.seconds, o.threads, o.tls12 ? "TLSv1.2" : "TLSv1.3",
	       o.rsa ? "RSA 2048" : "EC P-256",
	       o.no_mtls ? "server auth only" : "mTLS",
	       o.resume ? ", resumption on" : ", full handshakes");
	printf("%-18s %9s %11s %9s %9s %7s\n", "case", "conns", "conns/s",
	       "p50 ms", "p99 ms", "errors");
	plain = run_case("plain connect", &o, plain_port, NULL);
	secure = run_case(o.no_mtls ? "tls handshake" : "mtls handshake", &o,
			  tls_port, ctx);
	printf("ratio tls/plain: %.3f\n", plain > 0 ? secure / plain : 0.0);
	net_loop_stop(loop);
	pthread_join(thr, NULL);
	net_loop_destroy(loop);
	xprt_tls_destroy(tls);
	SSL_CTX_free(ctx);
	X509_free(k.ca);
	X509_free(k.srv);
	X509_free(k.cli);
	EVP_PKEY_free(k.ca_key);
	EVP_PKEY_free(k.srv_key);
	EVP_PKEY_free(k.cli_key);
	return 0;
}
