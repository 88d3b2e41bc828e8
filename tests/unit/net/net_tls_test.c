/* net_tls_test.c - the TLS transport under the loop (either backend, see
 * net_backend.h), against blocking OpenSSL clients on loopback (the
 * client side may use the fd; the server side never does). Certificates
 * are made at test time.
 *
 * The server echoes every frame; the first two bytes (api key slot) pick
 * what it does: */
#define MODE_ECHO 0
#define MODE_CLOSE 2 /* echo with NET_REPLY_CLOSE: close_notify follows */
#define MODE_IDENT 5 /* reply with the peer identity, or "-ENOENT" */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/net.h"
#include "net/tls.h"
#include "net/xprt.h"
#include "tests/unit/check.h"
#include "tests/unit/net/net_backend.h"
#include "tests/unit/net/tls_fixture.h"

enum {
	L_NONE,
	L_REQUESTED,
	L_REQUIRED,
	L_PLAIN,
	L_TIMEOUT,
	L_FILE,
	L_T13,
	L_CIPHER,
	L_COUNT
};

static struct {
	struct net_loop *loop;
	pthread_t thr;
	pthread_mutex_t mu;
	int opens, closes, frames;
	uint16_t port[L_COUNT];
	struct xprt_tls *tls[L_COUNT];
} srv;

static struct tls_fx fx;
static char tmpdir[256];

/* ---- server ----------------------------------------------------------- */

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

static void on_open(void *ctx, uint64_t id, int lid, const struct net_peer *p)
{
	pthread_mutex_lock(&srv.mu);
	srv.opens++;
	pthread_mutex_unlock(&srv.mu);
}

static void on_close(void *ctx, uint64_t id)
{
	pthread_mutex_lock(&srv.mu);
	srv.closes++;
	pthread_mutex_unlock(&srv.mu);
}

/* Reply: the request's 8-byte header, then body. */
static void reply(uint64_t id, const uint8_t *hdr, const void *body,
		  size_t blen, unsigned flags)
{
	uint8_t *out = malloc(12 + blen);

	put_be32(out, (uint32_t)(8 + blen));
	memcpy(out + 4, hdr, 8);
	memcpy(out + 12, body, blen);
	net_loop_reply(srv.loop, id, out, 12 + blen, flags);
}

static void on_frame(void *ctx, uint64_t id, uint8_t *frame, size_t len)
{
	int mode = frame[0] << 8 | frame[1];
	char ident[1024];
	int r;

	pthread_mutex_lock(&srv.mu);
	srv.frames++;
	pthread_mutex_unlock(&srv.mu);
	if (mode == MODE_IDENT) {
		r = net_conn_peer_identity(srv.loop, id, ident, sizeof(ident));
		if (r < 0)
			snprintf(ident, sizeof(ident), "-%s",
				 r == -ENOENT ? "ENOENT" : "ERR");
		reply(id, frame, ident, strlen(ident), 0);
	} else {
		reply(id, frame, frame + 8, len - 8,
		      mode == MODE_CLOSE ? NET_REPLY_CLOSE : 0);
	}
	free(frame);
}

static int srv_get(int *field)
{
	int v;

	pthread_mutex_lock(&srv.mu);
	v = *field;
	pthread_mutex_unlock(&srv.mu);
	return v;
}

static bool wait_count(int *field, int want)
{
	for (int i = 0; i < 5000; i++) {
		if (srv_get(field) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

static void *loop_main(void *arg)
{
	net_loop_run(srv.loop);
	return NULL;
}

static int listen_tls(int l, struct tls_settings *s)
{
	struct tls_error err;

	if (xprt_tls_create(s, &srv.tls[l], &err) < 0) {
		fprintf(stderr, "listener %d: %s\n", l, err.msg);
		tls_settings_fini(s);
		return -1;
	}
	tls_settings_fini(s);
	return net_loop_listen(srv.loop, "127.0.0.1", 0, l,
			       xprt_tls_factory(srv.tls[l]), &srv.port[l]);
}

static int write_keystore(const char *cn)
{
	char path[512], *pem[2];
	EVP_PKEY *key;
	X509 *cert = tls_fx_server(&fx, cn, &key);
	int r;

	pem[0] = certgen_key_pem(key, NULL, false);
	pem[1] = certgen_cert_pem(&cert, 1);
	snprintf(path, sizeof(path), "%s/broker.pem", tmpdir);
	char *both = malloc(strlen(pem[0]) + strlen(pem[1]) + 1);
	strcpy(both, pem[0]);
	strcat(both, pem[1]);
	r = certgen_write_file(path, both, 0600);
	certgen_pem_free(both);
	certgen_pem_free(pem[0]);
	certgen_pem_free(pem[1]);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

static int srv_start(void)
{
	static const struct net_callbacks cb = {on_open, on_frame, on_close};
	struct tls_settings s;
	struct net_config cfg;
	int r = 0;

	net_config_defaults(&cfg);
	cfg.max_frame_bytes = 1 << 20;
	pthread_mutex_init(&srv.mu, NULL);
	srv.loop = net_loop_create(&cfg, &cb, NULL);
	if (!srv.loop)
		return test_backend_create_failed();
	fprintf(stderr, "backend: %s\n", net_loop_backend(srv.loop));
	CHECK(test_backend_matches(srv.loop));
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	r |= listen_tls(L_NONE, &s);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_REQUESTED);
	r |= listen_tls(L_REQUESTED, &s);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_REQUIRED);
	r |= listen_tls(L_REQUIRED, &s);
	r |= net_loop_listen(srv.loop, "127.0.0.1", 0, L_PLAIN, NULL,
			     &srv.port[L_PLAIN]);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	s.handshake_timeout_ms = 300;
	r |= listen_tls(L_TIMEOUT, &s);
	r |= write_keystore("first");
	tls_settings_init(&s);
	s.keystore_file = malloc(512);
	snprintf(s.keystore_file, 512, "%s/broker.pem", tmpdir);
	r |= listen_tls(L_FILE, &s);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	s.protocols = TLS_PROTO_TLS13;
	r |= listen_tls(L_T13, &s);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	s.ciphers = strdup("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
			   "TLS_AES_256_GCM_SHA384");
	r |= listen_tls(L_CIPHER, &s);
	if (r)
		return 1;
	pthread_create(&srv.thr, NULL, loop_main, NULL);
	return 0;
}

/* ---- client ----------------------------------------------------------- */

struct cli {
	int fd;
	SSL *ssl;
};

/* A client context: trusts the test CA, optional certificate. */
static SSL_CTX *cli_ctx(int version, X509 *cert, EVP_PKEY *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), fx.ca);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (version) {
		SSL_CTX_set_min_proto_version(ctx, version);
		SSL_CTX_set_max_proto_version(ctx, version);
	}
	if (cert) {
		SSL_CTX_use_certificate(ctx, cert);
		SSL_CTX_use_PrivateKey(ctx, key);
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
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect and handshake (checking the server certificate for
 * 127.0.0.1). Returns true if SSL_connect succeeded. */
static bool cli_open(struct cli *c, uint16_t port, SSL_CTX *ctx)
{
	c->fd = tcp_connect(port);
	c->ssl = SSL_new(ctx);
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1");
	SSL_set_fd(c->ssl, c->fd);
	return c->fd >= 0 && SSL_connect(c->ssl) == 1;
}

static void cli_close(struct cli *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	ERR_clear_error();
}

static bool cli_write(struct cli *c, const void *p, size_t n)
{
	size_t w;

	return SSL_write_ex(c->ssl, p, n, &w) == 1 && w == n;
}

static bool cli_read(struct cli *c, void *p, size_t n)
{
	uint8_t *b = p;
	size_t got;

	while (n) {
		if (SSL_read_ex(c->ssl, b, n, &got) != 1)
			return false;
		b += got;
		n -= got;
	}
	return true;
}

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

/* Reads one reply into body (cap bytes); returns its payload length or
 * -1. Checks mode and correlation id. */
static long cli_reply(struct cli *c, int mode, uint32_t corr, uint8_t *body,
		      size_t cap)
{
	uint8_t hdr[12];
	uint32_t len;

	if (!cli_read(c, hdr, 12))
		return -1;
	len = get_be32(hdr);
	if (len < 8 || len - 8 > cap || (hdr[4] << 8 | hdr[5]) != mode ||
	    get_be32(hdr + 8) != corr || !cli_read(c, body, len - 8))
		return -1;
	return (long)(len - 8);
}

static bool cli_echo(struct cli *c, uint32_t corr, const char *msg)
{
	uint8_t f[256], body[256];
	size_t n = put_frame(f, MODE_ECHO, corr, msg, strlen(msg));
	long got;

	if (!cli_write(c, f, n))
		return false;
	got = cli_reply(c, MODE_ECHO, corr, body, sizeof(body));
	return got == (long)strlen(msg) && memcmp(body, msg, (size_t)got) == 0;
}

/* The peer identity the server sees, into out ("" on failure). */
static void cli_ident(struct cli *c, char *out, size_t cap)
{
	uint8_t f[16];
	long got;

	out[0] = '\0';
	if (!cli_write(c, f, put_frame(f, MODE_IDENT, 1, "", 0)))
		return;
	got = cli_reply(c, MODE_IDENT, 1, (uint8_t *)out, cap - 1);
	out[got > 0 ? got : 0] = '\0';
}

/* The server closed: SSL EOF, alert, or TCP EOF/reset (not a timeout). */
static bool cli_closed(struct cli *c)
{
	uint8_t b[256];
	size_t got;
	int e;

	while (SSL_read_ex(c->ssl, b, sizeof(b), &got) == 1)
		;
	e = SSL_get_error(c->ssl, 0);
	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SSL)
		return true;
	return e == SSL_ERROR_SYSCALL && errno != EAGAIN &&
	       errno != EWOULDBLOCK;
}

/* The subject CN of the server certificate this connection got. */
static void cli_server_cn(struct cli *c, char *out, size_t cap)
{
	X509 *peer = SSL_get1_peer_certificate(c->ssl);

	out[0] = '\0';
	if (peer)
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
					  NID_commonName, out, (int)cap);
	X509_free(peer);
}

/* ---- tests ------------------------------------------------------------ */

static void t_echo(int version)
{
	SSL_CTX *ctx = cli_ctx(version, NULL, NULL);
	struct cli c;
	char ident[256];

	CHECK(cli_open(&c, srv.port[L_NONE], ctx));
	CHECK_EQ(SSL_version(c.ssl), version);
	CHECK(cli_echo(&c, 42, "hello over tls"));
	CHECK(cli_echo(&c, 43, "and again"));
	cli_ident(&c, ident, sizeof(ident));
	CHECK(strcmp(ident, "-ENOENT") == 0);
	cli_close(&c);
	SSL_CTX_free(ctx);
}

static void t_large_and_pipelined(void)
{
	size_t big = 300000, n, off = 0;
	uint8_t *f = malloc(big + 12), *body = malloc(big), *all;
	SSL_CTX *ctx = cli_ctx(0, NULL, NULL);
	struct cli c;
	int bad = 0;

	for (size_t i = 0; i < big; i++)
		f[12 + i] = (uint8_t)(i * 7 + 3);
	n = put_frame(f, MODE_ECHO, 9, f + 12, big);
	CHECK(cli_open(&c, srv.port[L_NONE], ctx));
	CHECK(cli_write(&c, f, n)); /* ~19 TLS records each way */
	CHECK_EQ(cli_reply(&c, MODE_ECHO, 9, body, big), (long)big);
	CHECK(memcmp(body, f + 12, big) == 0);
	all = malloc(500 * 20);
	for (int i = 0; i < 500; i++)
		off += put_frame(all + off, MODE_ECHO, (uint32_t)i, "pipe", 4);
	CHECK(cli_write(&c, all, off));
	for (int i = 0; i < 500; i++)
		if (cli_reply(&c, MODE_ECHO, (uint32_t)i, body, 4) != 4 ||
		    memcmp(body, "pipe", 4) != 0)
			bad++;
	CHECK_EQ(bad, 0);
	cli_close(&c);
	SSL_CTX_free(ctx);
	free(all);
	free(f);
	free(body);
}

static void t_client_cert(int listener, X509 *cert, EVP_PKEY *key,
			  const char *want_ident)
{
	SSL_CTX *ctx = cli_ctx(0, cert, key);
	struct cli c;
	char ident[512];

	CHECK(cli_open(&c, srv.port[listener], ctx));
	cli_ident(&c, ident, sizeof(ident));
	if (strcmp(ident, want_ident) != 0)
		fprintf(stderr, "identity '%s', want '%s'\n", ident,
			want_ident);
	CHECK(strcmp(ident, want_ident) == 0);
	cli_close(&c);
	SSL_CTX_free(ctx);
}

/* The handshake fails or the server closes before any frame. */
static void t_refused(int listener, X509 *cert, EVP_PKEY *key, int version)
{
	SSL_CTX *ctx = cli_ctx(version, cert, key);
	int frames = srv_get(&srv.frames);
	uint8_t f[32];
	struct cli c;

	if (cli_open(&c, srv.port[listener], ctx)) {
		/* TLS 1.3: the client finishes first; the server's alert
		 * arrives with the first read. */
		(void)cli_write(&c, f, put_frame(f, MODE_ECHO, 1, "x", 1));
		CHECK(cli_closed(&c));
	}
	usleep(20000);
	CHECK_EQ(srv_get(&srv.frames), frames);
	cli_close(&c);
	SSL_CTX_free(ctx);
}

static void t_client_auth(void)
{
	int64_t day = CERTGEN_DAY_S, eku = CERTGEN_EKU_CLIENT;
	EVP_PKEY *k[8];
	X509 *alice =
	    tls_fx_client(&fx, "alice", NULL, -60, day, eku, false, &k[0]);
	X509 *expired =
	    tls_fx_client(&fx, "old", NULL, -9 * day, -day, eku, false, &k[1]);
	X509 *future =
	    tls_fx_client(&fx, "new", NULL, day, 9 * day, eku, false, &k[2]);
	X509 *rogue =
	    tls_fx_client(&fx, "alice", NULL, -60, day, eku, true, &k[3]);
	X509 *server_only = tls_fx_client(&fx, "svc", NULL, -60, day,
					  CERTGEN_EKU_SERVER, false, &k[4]);

	t_client_cert(L_REQUIRED, alice, k[0], "CN=alice,O=sealog");
	t_client_cert(L_REQUESTED, alice, k[0], "CN=alice,O=sealog");
	t_client_cert(L_REQUESTED, NULL, NULL, "-ENOENT");
	t_client_cert(L_NONE, alice, k[0], "-ENOENT"); /* not asked for */
	t_refused(L_REQUIRED, NULL, NULL, TLS1_3_VERSION);
	t_refused(L_REQUIRED, NULL, NULL, TLS1_2_VERSION);
	t_refused(L_REQUIRED, expired, k[1], 0);
	t_refused(L_REQUIRED, future, k[2], 0);
	t_refused(L_REQUIRED, rogue, k[3], 0);
	t_refused(L_REQUESTED, rogue, k[3], 0); /* a bad cert still fails */
	t_refused(L_REQUIRED, server_only, k[4], 0);
	X509_free(alice);
	X509_free(expired);
	X509_free(future);
	X509_free(rogue);
	X509_free(server_only);
	for (int i = 0; i < 5; i++)
		EVP_PKEY_free(k[i]);
}

static X509_NAME *name_of(const char *const *kv, const int *sets)
{
	X509_NAME *n = X509_NAME_new();

	for (int i = 0; kv[i]; i += 2)
		X509_NAME_add_entry_by_txt(n, kv[i], MBSTRING_UTF8,
					   (const unsigned char *)kv[i + 1], -1,
					   -1, sets[i / 2]);
	return n;
}

/* reliability.md T7: spoofable subjects. */
static void t_dn_spoofing(void)
{
	static const char *const two_cn[] = {"O",  "x",	    "CN", "alice",
					     "CN", "admin", NULL};
	static const char *const multi[] = {"O",  "x",	   "CN", "alice",
					    "CN", "admin", NULL};
	static const char *const comma[] = {"O", "x", "CN", "admin,OU=x", NULL};
	static const int plain_sets[] = {0, 0, 0}, multi_sets[] = {0, 0, -1};
	X509_NAME *n1 = name_of(two_cn, plain_sets);
	X509_NAME *n2 = name_of(multi, multi_sets);
	X509_NAME *n3 = name_of(comma, plain_sets);
	EVP_PKEY *k[3];
	X509 *c1 = tls_fx_client(&fx, NULL, n1, -60, 3600, CERTGEN_EKU_CLIENT,
				 false, &k[0]);
	X509 *c2 = tls_fx_client(&fx, NULL, n2, -60, 3600, CERTGEN_EKU_CLIENT,
				 false, &k[1]);
	X509 *c3 = tls_fx_client(&fx, NULL, n3, -60, 3600, CERTGEN_EKU_CLIENT,
				 false, &k[2]);

	CHECK(c1 && c2 && c3);
	t_refused(L_REQUIRED, c1, k[0], 0);
	t_refused(L_REQUIRED, c2, k[1], 0);
	/* An escaped comma is one value, printed unambiguously. */
	t_client_cert(L_REQUIRED, c3, k[2], "CN=admin\\,OU\\=x,O=x");
	for (int i = 0; i < 3; i++)
		EVP_PKEY_free(k[i]);
	X509_free(c1);
	X509_free(c2);
	X509_free(c3);
	X509_NAME_free(n1);
	X509_NAME_free(n2);
	X509_NAME_free(n3);
}

/* The client learns why: the server's alert is sent before the close
 * (conn_fail), not lost to an immediate close. */
static void t_alert_reaches_client(void)
{
	SSL_CTX *ctx = cli_ctx(TLS1_3_VERSION, NULL, NULL);
	uint8_t f[32], b[32];
	unsigned long e;
	struct cli c;

	CHECK(cli_open(&c, srv.port[L_REQUIRED], ctx));
	(void)cli_write(&c, f, put_frame(f, MODE_ECHO, 1, "x", 1));
	CHECK(SSL_read(c.ssl, b, sizeof(b)) <= 0);
	e = ERR_peek_error();
	CHECK_EQ(ERR_GET_REASON(e), SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
	cli_close(&c);
	SSL_CTX_free(ctx);
	ctx = cli_ctx(TLS1_2_VERSION, NULL, NULL);
	CHECK(!cli_open(&c, srv.port[L_REQUIRED], ctx));
	CHECK_EQ(ERR_GET_REASON(ERR_peek_error()),
		 SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
	cli_close(&c);
	SSL_CTX_free(ctx);
}

/* reliability.md T4: TLS 1.1 and older refused; no 0-RTT offered. */
static void t_old_protocols_and_early_data(void)
{
	SSL_CTX *old = cli_ctx(TLS1_1_VERSION, NULL, NULL);
	SSL_CTX *ctx = cli_ctx(TLS1_3_VERSION, NULL, NULL);
	SSL_SESSION *sess;
	struct cli c;

	SSL_CTX_set_security_level(old, 0); /* let the client try */
	CHECK(!cli_open(&c, srv.port[L_NONE], old));
	cli_close(&c);
	CHECK(cli_open(&c, srv.port[L_NONE], ctx));
	CHECK(cli_echo(&c, 1, "ticket")); /* tickets read with the reply */
	sess = SSL_get1_session(c.ssl);
	CHECK(sess != NULL);
	if (sess) {
		CHECK(SSL_SESSION_is_resumable(sess));
		CHECK_EQ(SSL_SESSION_get_max_early_data(sess), 0);
	}
	SSL_shutdown(c.ssl); /* else OpenSSL marks the session unusable */
	cli_close(&c);
	/* Resumption itself works (session id context is set). */
	c.fd = tcp_connect(srv.port[L_NONE]);
	c.ssl = SSL_new(ctx);
	SSL_set_session(c.ssl, sess);
	SSL_set_fd(c.ssl, c.fd);
	CHECK(SSL_connect(c.ssl) == 1);
	CHECK(SSL_session_reused(c.ssl) == 1);
	CHECK(cli_echo(&c, 2, "resumed"));
	cli_close(&c);
	SSL_SESSION_free(sess);
	SSL_CTX_free(old);
	SSL_CTX_free(ctx);
}

static void t_versions_and_ciphers(void)
{
	SSL_CTX *ctx12 = cli_ctx(TLS1_2_VERSION, NULL, NULL);
	SSL_CTX *ctx13 = cli_ctx(TLS1_3_VERSION, NULL, NULL);
	struct cli c;

	t_refused(L_T13, NULL, NULL, TLS1_2_VERSION);
	CHECK(cli_open(&c, srv.port[L_T13], ctx13));
	CHECK(cli_echo(&c, 1, "1.3 only"));
	cli_close(&c);
	/* IANA names configured; OpenSSL names negotiated. */
	CHECK(cli_open(&c, srv.port[L_CIPHER], ctx12));
	CHECK(strcmp(SSL_get_cipher_name(c.ssl),
		     "ECDHE-ECDSA-AES128-GCM-SHA256") == 0);
	CHECK(cli_echo(&c, 2, "cipher"));
	cli_close(&c);
	CHECK(cli_open(&c, srv.port[L_CIPHER], ctx13));
	CHECK(strcmp(SSL_get_cipher_name(c.ssl), "TLS_AES_256_GCM_SHA384") ==
	      0);
	cli_close(&c);
	SSL_CTX_free(ctx12);
	SSL_CTX_free(ctx13);
}

/* A Kafka ApiVersions request on the TLS port: closed promptly (with an
 * alert, if anything), never parsed as a frame. */
static void t_plain_client_on_tls_port(void)
{
	static const uint8_t req[] = {0, 0, 0, 10, 0, 18,   0,
				      3, 0, 0, 0,  1, 0xff, 0xff};
	int frames = srv_get(&srv.frames), fd = tcp_connect(srv.port[L_NONE]);
	int64_t t0 = clock_mono_ms();
	uint8_t b[64];
	ssize_t n;

	CHECK(send(fd, req, sizeof(req), MSG_NOSIGNAL) == (ssize_t)sizeof(req));
	n = read(fd, b, sizeof(b));
	if (n > 0) {
		CHECK_EQ(b[0], 21); /* a TLS alert record */
		while ((n = read(fd, b, sizeof(b))) > 0)
			;
	}
	CHECK(n == 0 || errno == ECONNRESET);
	CHECK(clock_mono_ms() - t0 < 2000);
	CHECK_EQ(srv_get(&srv.frames), frames);
	close(fd);
}

/* A ClientHello on the plaintext port: its first bytes read as a huge
 * frame size, so framing closes the connection. */
static void t_tls_client_on_plain_port(void)
{
	SSL_CTX *ctx = cli_ctx(0, NULL, NULL);
	int frames = srv_get(&srv.frames);
	struct cli c;

	CHECK(!cli_open(&c, srv.port[L_PLAIN], ctx));
	CHECK_EQ(srv_get(&srv.frames), frames);
	cli_close(&c);
	SSL_CTX_free(ctx);
}

static void t_handshake_timeout(bool drip)
{
	int fd = tcp_connect(srv.port[L_TIMEOUT]);
	int64_t t0 = clock_mono_ms(), dt;
	uint8_t b[16];
	ssize_t n;

	if (drip) {
		/* Bytes keep arriving (never idle), the handshake never
		 * completes: a ClientHello record header, dripped. */
		static const uint8_t hello[] = {22, 3, 1, 0x02, 0x00, 1, 0};

		for (size_t i = 0; i < sizeof(hello); i++) {
			if (send(fd, hello + i, 1, MSG_NOSIGNAL) != 1)
				break;
			usleep(100000);
		}
	}
	while ((n = read(fd, b, sizeof(b))) > 0)
		;
	dt = clock_mono_ms() - t0;
	CHECK(n == 0 || errno == ECONNRESET);
	CHECK(dt >= 250);
	CHECK(dt < 2000);
	close(fd);
}

static void t_reply_close(void)
{
	SSL_CTX *ctx = cli_ctx(0, NULL, NULL);
	uint8_t f[32], body[32];
	struct cli c;

	CHECK(cli_open(&c, srv.port[L_NONE], ctx));
	CHECK(cli_write(&c, f, put_frame(f, MODE_CLOSE, 5, "bye", 3)));
	CHECK_EQ(cli_reply(&c, MODE_CLOSE, 5, body, sizeof(body)), 3);
	CHECK(SSL_read(c.ssl, body, sizeof(body)) <= 0);
	CHECK_EQ(SSL_get_error(c.ssl, 0),
		 SSL_ERROR_ZERO_RETURN); /* close_notify */
	cli_close(&c);
	SSL_CTX_free(ctx);
}

static void server_cn(SSL_CTX *ctx, char *cn, size_t cap)
{
	struct cli c;

	cn[0] = '\0';
	if (cli_open(&c, srv.port[L_FILE], ctx))
		cli_server_cn(&c, cn, cap);
	cli_close(&c);
}

static void t_reload(void)
{
	SSL_CTX *ctx = cli_ctx(0, NULL, NULL);
	struct tls_error err;
	char cn[64], path[512];
	struct cli old;

	CHECK(cli_open(&old, srv.port[L_FILE], ctx));
	cli_server_cn(&old, cn, sizeof(cn));
	CHECK(strcmp(cn, "first") == 0);
	CHECK_EQ(write_keystore("second"), 0);
	CHECK_EQ(xprt_tls_reload(srv.tls[L_FILE], &err), 0);
	CHECK_EQ(xprt_tls_generation(srv.tls[L_FILE]), 1);
	server_cn(ctx, cn, sizeof(cn));
	CHECK(strcmp(cn, "second") == 0);
	CHECK(cli_echo(&old, 3, "old connection, old context"));
	/* A broken file: the reload fails and the current context stays. */
	snprintf(path, sizeof(path), "%s/broker.pem", tmpdir);
	CHECK_EQ(
	    certgen_write_file(path, "-----BEGIN PRIVATE KEY-----\nzz\n", 0600),
	    0);
	CHECK(xprt_tls_reload(srv.tls[L_FILE], &err) < 0);
	CHECK_EQ(err.field, TLS_FIELD_KEYSTORE_FILE);
	CHECK(strstr(err.msg, path) != NULL);
	CHECK_EQ(xprt_tls_generation(srv.tls[L_FILE]), 1);
	server_cn(ctx, cn, sizeof(cn));
	CHECK(strcmp(cn, "second") == 0);
	cli_close(&old);
	SSL_CTX_free(ctx);
}

/* TLS 1.3 KeyUpdate: one is fine, a storm closes the connection. */
static void t_key_update(void)
{
	SSL_CTX *ctx = cli_ctx(TLS1_3_VERSION, NULL, NULL);
	struct cli c;
	int i;

	CHECK(cli_open(&c, srv.port[L_NONE], ctx));
	CHECK(SSL_key_update(c.ssl, SSL_KEY_UPDATE_REQUESTED) == 1);
	CHECK(cli_echo(&c, 1, "after key update"));
	for (i = 0; i < 200; i++) {
		if (SSL_key_update(c.ssl, SSL_KEY_UPDATE_NOT_REQUESTED) != 1 ||
		    SSL_do_handshake(c.ssl) != 1)
			break;
	}
	CHECK(cli_closed(&c));
	cli_close(&c);
	SSL_CTX_free(ctx);
}

/* TLS 1.2 client-initiated renegotiation is refused. */
static void t_renegotiation(void)
{
	SSL_CTX *ctx = cli_ctx(TLS1_2_VERSION, NULL, NULL);
	struct cli c;

	CHECK(cli_open(&c, srv.port[L_NONE], ctx));
	CHECK(SSL_renegotiate(c.ssl) == 1);
	CHECK(SSL_do_handshake(c.ssl) != 1);
	cli_close(&c);
	SSL_CTX_free(ctx);
	CHECK(wait_count(&srv.closes, srv_get(&srv.opens)));
}

static void t_stop(void)
{
	SSL_CTX *ctx = cli_ctx(0, NULL, NULL);
	struct cli c;

	CHECK(cli_open(&c, srv.port[L_NONE], ctx));
	CHECK(cli_echo(&c, 1, "before stop"));
	net_loop_stop(srv.loop);
	CHECK(cli_closed(&c));
	pthread_join(srv.thr, NULL);
	CHECK_EQ(srv.opens, srv.closes);
	cli_close(&c);
	SSL_CTX_free(ctx);
}

int main(void)
{
	int r;

	signal(SIGPIPE, SIG_IGN); /* client writes to closed sockets */
	log_set_level(getenv("SEALOG_TEST_DEBUG") ? LOG_DEBUG : LOG_WARN);
	if (tls_fx_init(&fx) < 0 || tls_fx_tmpdir(tmpdir, sizeof(tmpdir)) < 0) {
		fprintf(stderr, "cannot make test certificates\n");
		return 1;
	}
	r = srv_start();
	if (r) {
		fprintf(stderr, r == 77 ? "io_uring unavailable: skipping\n"
					: "server setup failed\n");
		return r;
	}
	t_echo(TLS1_2_VERSION);
	t_echo(TLS1_3_VERSION);
	t_large_and_pipelined();
	t_client_auth();
	t_dn_spoofing();
	t_alert_reaches_client();
	t_old_protocols_and_early_data();
	t_versions_and_ciphers();
	t_plain_client_on_tls_port();
	t_tls_client_on_plain_port();
	t_handshake_timeout(false);
	t_handshake_timeout(true);
	t_reply_close();
	t_reload();
	t_key_update();
	t_renegotiation();
	t_stop();
	net_loop_destroy(srv.loop);
	for (int i = 0; i < L_COUNT; i++)
		xprt_tls_destroy(srv.tls[i]);
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/broker.pem", tmpdir);
		unlink(path);
		rmdir(tmpdir);
	}
	tls_fx_fini(&fx);
	return check_finish();
}
