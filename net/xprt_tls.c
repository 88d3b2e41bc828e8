/* xprt_tls.c - the TLS transport: OpenSSL driven through memory BIOs.
 *
 * The loop owns the socket; bytes it receives are written into the
 * connection's read BIO, and whatever OpenSSL writes into the write BIO
 * (handshake records, alerts, encrypted replies, close_notify) is
 * appended to the loop's output buffer. OpenSSL never sees the fd, so it
 * never blocks and never needs WANT_WRITE handling.
 *
 *   accept: tls_open()
 *        |
 *        v          feed(): SSL_do_handshake() wants more input
 *   +-----------+ <-----+
 *   | HANDSHAKE | ------+
 *   +-----------+ ----------------------------------------+
 *        | handshake done (same feed: SSL_read the rest)    | fatal error
 *        v                                                  v
 *   +-------------+  fatal error, close_notify, abuse  +--------+
 *   | ESTABLISHED | ---------------------------------> | FAILED |
 *   +-------------+                                    +--------+
 *        | shutdown(): close_notify queued
 *        v
 *   +----------+
 *   | SHUTDOWN |  input ignored; encode refused
 *   +----------+
 *
 * Invariants:
 *  1. No plaintext reaches the sink before ESTABLISHED: a Kafka frame is
 *     never parsed from an unauthenticated peer.
 *  2. Each feed() reads until OpenSSL wants more input, so the read BIO
 *     holds at most one partial record and no decrypted plaintext waits
 *     inside OpenSSL (the loop's pause/resume logic stays exact).
 *  3. After FAILED every op returns the saved error; the alert OpenSSL
 *     produced was appended to out by the failing feed() and is sent by
 *     the loop before it closes (xprt.h).
 *  4. A connection's SSL holds a reference on the SSL_CTX it was created
 *     from: a reload swaps the factory's context under a mutex and never
 *     affects open connections.
 *  5. peer_identity() answers only after the handshake, and only if the
 *     client sent a certificate whose chain verified.
 *  6. The thread's OpenSSL error queue is cleared before every SSL call,
 *     so one connection's error never leaks into another's.
 *  7. Post-handshake handshake messages and alerts from the peer (TLS 1.3
 *     KeyUpdate, TLS 1.2 renegotiation attempts) are limited to
 *     TLS_PH_MAX per TLS_PH_WINDOW_MS: beyond, the connection fails.
 *
 * Transitions: ->HANDSHAKE tls_open; HANDSHAKE->ESTABLISHED
 * tls_handshake; ->FAILED tls_fail; ESTABLISHED->SHUTDOWN tls_shutdown.
 */
#include "net/tls_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/xprt.h"

#define TLS_READ_CHUNK (16u << 10)
#define TLS_PH_MAX 64
#define TLS_PH_WINDOW_MS 60000
#define TLS_RECORD_HANDSHAKE 22
#define TLS_LOG_PER_S 20

enum tls_state { TS_HANDSHAKE, TS_ESTABLISHED, TS_SHUTDOWN, TS_FAILED };

struct xprt_tls {
	struct xprt_factory factory; /* priv points back here */
	pthread_mutex_t mu;	     /* guards ctx and generation */
	SSL_CTX *ctx;		     /* the factory's reference */
	unsigned generation;
	struct tls_settings set; /* our copy, for reloads */
};

struct tls_conn {
	SSL *ssl; /* owns rbio and wbio */
	BIO *rbio, *wbio;
	int fd; /* for log lines only */
	enum tls_state state;
	int err; /* saved fatal error (FAILED) */
	bool got_bytes;
	bool not_tls; /* the first byte was not a TLS handshake record */
	int64_t ph_window_ms;
	unsigned ph_count;
};

/* ---- helpers -------------------------------------------------------- */

/* Move what OpenSSL wants sent from the write BIO to out. */
static int tls_drain(struct tls_conn *t, struct buf *out)
{
	size_t n = BIO_ctrl_pending(t->wbio), got = 0;
	uint8_t *p;

	if (n == 0)
		return 0;
	p = buf_extend(out, n);
	if (!p)
		return out->err;
	if (!BIO_read_ex(t->wbio, p, n, &got) || got != n) {
		out->len -= n - got;
		return -EIO;
	}
	return 0;
}

/* Handshake failures are logged, but a flood of them (scanners, T6)
 * must not flood the log: at most TLS_LOG_PER_S lines a second, process
 * wide, then one line saying how many were left out. */
static bool tls_log_allowed(void)
{
	static _Atomic int64_t window_s;
	static _Atomic unsigned count, dropped;
	int64_t now = clock_mono_ms() / 1000, w = atomic_load(&window_s);
	unsigned d;

	if (now != w && atomic_compare_exchange_strong(&window_s, &w, now)) {
		atomic_store(&count, 0);
		d = atomic_exchange(&dropped, 0);
		if (d)
			log_info("net", "%u more TLS failure lines suppressed",
				 d);
	}
	if (atomic_fetch_add(&count, 1) < TLS_LOG_PER_S)
		return true;
	atomic_fetch_add(&dropped, 1);
	return false;
}

static void tls_log_failure(struct tls_conn *t, const char *what)
{
	char why[200];
	long vr = SSL_get_verify_result(t->ssl);

	if (!tls_log_allowed()) {
		ERR_clear_error();
		return;
	}
	if (t->not_tls) {
		log_info("net",
			 "TLS %s failed (fd %d): not a TLS ClientHello "
			 "(a PLAINTEXT client on a TLS listener?)",
			 what, t->fd);
		ERR_clear_error();
		return;
	}
	tls_ssl_reason(why, sizeof(why));
	if (vr != X509_V_OK)
		log_info("net", "TLS %s failed (fd %d): %s: %s", what, t->fd,
			 why, X509_verify_cert_error_string(vr));
	else
		log_info("net", "TLS %s failed (fd %d): %s", what, t->fd, why);
}

/* Enter FAILED, keeping OpenSSL's alert (if any) for the peer. */
static int tls_fail(struct tls_conn *t, int err, struct buf *out)
{
	t->state = TS_FAILED;
	t->err = err;
	(void)tls_drain(t, out);
	ERR_clear_error();
	return err;
}

static int tls_ssl_error(struct tls_conn *t, int ret, const char *what,
			 struct buf *out)
{
	int e = SSL_get_error(t->ssl, ret);

	if (e == SSL_ERROR_WANT_READ)
		return -EAGAIN;
	if (e == SSL_ERROR_ZERO_RETURN) {
		/* Peer's close_notify: answer it, then the loop closes. */
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		return tls_fail(t, -ECONNRESET, out);
	}
	if (t->state == TS_HANDSHAKE || e == SSL_ERROR_SSL)
		tls_log_failure(t, t->state == TS_HANDSHAKE ? "handshake"
							    : "connection");
	return tls_fail(t, e == SSL_ERROR_SSL ? -EPROTO : -EIO, out);
}

/* Counts the peer's post-handshake handshake messages and alerts. */
static void tls_msg_cb(int write_p, int version, int content_type,
		       const void *buf, size_t len, SSL *ssl, void *arg)
{
	struct tls_conn *t = arg;
	int64_t now;

	if (write_p || t->state != TS_ESTABLISHED ||
	    (content_type != TLS_RECORD_HANDSHAKE &&
	     content_type != SSL3_RT_ALERT))
		return;
	now = clock_mono_ms();
	if (now - t->ph_window_ms >= TLS_PH_WINDOW_MS) {
		t->ph_window_ms = now;
		t->ph_count = 0;
	}
	t->ph_count++;
}

/* ---- ops ------------------------------------------------------------ */

static int tls_open(struct xprt_factory *f, int fd, void **state)
{
	struct xprt_tls *x = f->priv;
	struct tls_conn *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_lock(&x->mu);
	t->ssl = SSL_new(x->ctx); /* takes its own reference on ctx */
	pthread_mutex_unlock(&x->mu);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (!t->ssl || !t->rbio || !t->wbio) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return -ENOMEM;
	}
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_accept_state(t->ssl);
	SSL_set_msg_callback(t->ssl, tls_msg_cb);
	SSL_set_msg_callback_arg(t->ssl, t);
	t->fd = fd;
	t->state = TS_HANDSHAKE;
	*state = t;
	return 0;
}

static int tls_handshake(struct tls_conn *t, struct buf *out)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->state = TS_ESTABLISHED;
		t->ph_window_ms = clock_mono_ms();
		return tls_drain(t, out);
	}
	r = tls_ssl_error(t, r, "handshake", out);
	if (r == -EAGAIN) {
		r = tls_drain(t, out);
		return r < 0 ? r : -EAGAIN;
	}
	return r;
}

/* Decrypt everything the read BIO holds into the sink. */
static int tls_read_all(struct tls_conn *t,
			int (*sink)(void *arg, const uint8_t *p, size_t n),
			void *arg, struct buf *out)
{
	uint8_t chunk[TLS_READ_CHUNK];
	size_t got, used = 0;
	int r = 0;

	/* The plaintext may hold credentials (SASL): wipe what was used. */
	while (r == 0) {
		ERR_clear_error();
		if (!SSL_read_ex(t->ssl, chunk, sizeof(chunk), &got))
			break;
		used = got > used ? got : used;
		r = sink(arg, chunk, got);
	}
	OPENSSL_cleanse(chunk, used);
	if (r < 0)
		return tls_fail(t, r, out);
	r = tls_ssl_error(t, 0, "read", out);
	if (r == -EAGAIN)
		r = 0;
	if (r == 0 && t->ph_count > TLS_PH_MAX) {
		log_info("net",
			 "TLS connection (fd %d): over %d post-handshake "
			 "messages in %d s, closing",
			 t->fd, TLS_PH_MAX, TLS_PH_WINDOW_MS / 1000);
		return tls_fail(t, -ECONNABORTED, out);
	}
	/* KeyUpdate answers, session tickets. */
	return r < 0 ? r : tls_drain(t, out);
}

static int tls_feed(void *state, const uint8_t *in, size_t len,
		    int (*sink)(void *arg, const uint8_t *p, size_t n),
		    void *arg, struct buf *out)
{
	struct tls_conn *t = state;
	size_t put = 0;
	int r;

	if (t->state == TS_FAILED)
		return t->err;
	if (t->state == TS_SHUTDOWN)
		return 0;
	if (!t->got_bytes && len) {
		t->got_bytes = true;
		t->not_tls = in[0] != TLS_RECORD_HANDSHAKE;
	}
	if (len && (!BIO_write_ex(t->rbio, in, len, &put) || put != len))
		return tls_fail(t, -ENOMEM, out);
	if (t->state == TS_HANDSHAKE) {
		r = tls_handshake(t, out);
		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return r;
	}
	return tls_read_all(t, sink, arg, out);
}

static int tls_encode(void *state, const uint8_t *plain, size_t len,
		      struct buf *out)
{
	struct tls_conn *t = state;
	size_t done = 0;

	if (t->state == TS_HANDSHAKE)
		return -EAGAIN;
	if (t->state != TS_ESTABLISHED)
		return t->err ? t->err : -EPIPE;
	ERR_clear_error();
	/* A memory BIO never pushes back: the whole reply is encrypted. */
	if (!SSL_write_ex(t->ssl, plain, len, &done) || done != len)
		return tls_ssl_error(t, 0, "write", out);
	return tls_drain(t, out);
}

static int tls_shutdown(void *state, struct buf *out)
{
	struct tls_conn *t = state;

	if (t->state != TS_ESTABLISHED)
		return 0;
	t->state = TS_SHUTDOWN;
	ERR_clear_error();
	(void)SSL_shutdown(t->ssl); /* queues close_notify; no waiting */
	ERR_clear_error();
	return tls_drain(t, out);
}

static void tls_close(void *state)
{
	struct tls_conn *t = state;

	if (!t)
		return;
	SSL_free(t->ssl); /* frees both BIOs and drops the ctx reference */
	free(t);
}

static int tls_peer_identity(void *state, char *out, size_t cap)
{
	struct tls_conn *t = state;
	X509 *peer;

	if (t->state != TS_ESTABLISHED && t->state != TS_SHUTDOWN)
		return -ENOENT;
	peer = SSL_get0_peer_certificate(t->ssl);
	if (!peer || SSL_get_verify_result(t->ssl) != X509_V_OK)
		return -ENOENT;
	return tls_dn_rfc2253(X509_get_subject_name(peer), out, cap);
}

static bool tls_established(void *state)
{
	const struct tls_conn *t = state;

	return t->state != TS_HANDSHAKE;
}

static const struct xprt_ops xprt_tls_ops = {
    .name = "tls",
    .open = tls_open,
    .feed = tls_feed,
    .encode = tls_encode,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .peer_identity = tls_peer_identity,
    .established = tls_established,
};

/* ---- factory -------------------------------------------------------- */

int xprt_tls_create(const struct tls_settings *s, struct xprt_tls **out,
		    struct tls_error *err)
{
	struct xprt_tls *x = calloc(1, sizeof(*x));
	int r;

	if (!x || tls_settings_copy(&x->set, s) < 0) {
		free(x);
		tls_err_set(err, TLS_FIELD_NONE, "out of memory");
		return -ENOMEM;
	}
	r = tls_ctx_build(&x->set, &x->ctx, err);
	if (r < 0) {
		tls_settings_fini(&x->set);
		free(x);
		return r;
	}
	pthread_mutex_init(&x->mu, NULL);
	x->factory.ops = &xprt_tls_ops;
	x->factory.priv = x;
	x->factory.handshake_timeout_ms = s->handshake_timeout_ms;
	*out = x;
	return 0;
}

struct xprt_factory *xprt_tls_factory(struct xprt_tls *t)
{
	return &t->factory;
}

int xprt_tls_reload(struct xprt_tls *t, struct tls_error *err)
{
	struct tls_error local;
	SSL_CTX *ctx = NULL, *old;
	int r;

	if (!err)
		err = &local;
	r = tls_ctx_build(&t->set, &ctx, err);
	if (r < 0) {
		log_error("net",
			  "TLS reload failed, keeping the current "
			  "certificates: %s",
			  err->msg);
		return r;
	}
	pthread_mutex_lock(&t->mu);
	old = t->ctx;
	t->ctx = ctx;
	t->generation++;
	pthread_mutex_unlock(&t->mu);
	SSL_CTX_free(old); /* open connections keep their own reference */
	log_info("net", "TLS certificates reloaded");
	return 0;
}

unsigned xprt_tls_generation(struct xprt_tls *t)
{
	unsigned g;

	pthread_mutex_lock(&t->mu);
	g = t->generation;
	pthread_mutex_unlock(&t->mu);
	return g;
}

void xprt_tls_destroy(struct xprt_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	tls_settings_fini(&t->set);
	pthread_mutex_destroy(&t->mu);
	free(t);
}
