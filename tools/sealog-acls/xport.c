/* xport.c - TCP and TLS transport for sealog-acls (see xport.h).
 *
 * The socket is non-blocking throughout; every read, write and handshake
 * step that would block waits in poll(2) until the call's deadline, so a
 * silent broker cannot hang the tool. OpenSSL's WANT_READ / WANT_WRITE
 * pick the direction to wait for.
 */
#include "tools/sealog-acls/xport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/clock.h"

struct xport {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Wait until fd is ready for events or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left = deadline - clock_mono_ms();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n == 0 && clock_mono_ms() >= deadline ? -ETIMEDOUT : 0;
}

static int tcp_try(const struct addrinfo *ai, int64_t deadline)
{
	int fd = socket(ai->ai_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, soerr = 0, rc;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	rc = errno == EINPROGRESS ? 0 : -errno;
	while (rc == 0) {
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc)
			break;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			rc = -errno;
		else if (soerr)
			rc = -soerr;
		else
			return fd;
		if (rc == -EINPROGRESS || rc == -EALREADY)
			rc = 0;
	}
	close(fd);
	return rc;
}

static int tcp_connect(const char *host, uint16_t port, int64_t deadline,
		       char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char svc[8];
	int rc, fd = -EHOSTUNREACH;

	snprintf(svc, sizeof(svc), "%u", port);
	rc = getaddrinfo(host, svc, &hints, &res);
	if (rc) {
		set_err(err, errlen, "cannot resolve %s: %s", host,
			gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = tcp_try(ai, deadline);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		set_err(err, errlen, "connection to %s failed: %s", host,
			strerror(-fd));
	return fd;
}

/* --- TLS ------------------------------------------------------------------ */

static int pw_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u;
	size_t n = pw ? strlen(pw) : 0;

	(void)rwflag;
	if (!pw || n >= (size_t)size)
		return 0;
	memcpy(buf, pw, n);
	return (int)n;
}

static int tls_trust(SSL_CTX *ctx, const struct xport_tls *t)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	BIO *bio;
	X509 *x;
	int n = 0;

	if (t->truststore_file)
		return SSL_CTX_load_verify_locations(ctx, t->truststore_file,
						     NULL) == 1
			   ? 0
			   : -EINVAL;
	if (!t->truststore_pem)
		return SSL_CTX_set_default_verify_paths(ctx) == 1 ? 0 : -EINVAL;
	bio = BIO_new_mem_buf(t->truststore_pem, -1);
	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		n += X509_STORE_add_cert(st, x) == 1;
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error(); /* the end of the PEM text */
	return n > 0 ? 0 : -EINVAL;
}

static int tls_identity_inline(SSL_CTX *ctx, const struct xport_tls *t)
{
	BIO *kb = BIO_new_mem_buf(t->key_pem, -1);
	BIO *cb = BIO_new_mem_buf(t->chain_pem, -1);
	EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, pw_cb,
						     (void *)t->key_password)
			   : NULL;
	X509 *leaf = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL, *x;
	int rc = key && leaf && SSL_CTX_use_certificate(ctx, leaf) == 1 &&
			 SSL_CTX_use_PrivateKey(ctx, key) == 1
		     ? 0
		     : -EINVAL;

	while (!rc && (x = PEM_read_bio_X509(cb, NULL, NULL, NULL)))
		if (SSL_CTX_add_extra_chain_cert(ctx, x) != 1) {
			X509_free(x);
			rc = -EINVAL;
		}
	ERR_clear_error();
	X509_free(leaf);
	EVP_PKEY_free(key);
	BIO_free(kb);
	BIO_free(cb);
	return rc;
}

static int tls_identity(SSL_CTX *ctx, const struct xport_tls *t)
{
	if (t->key_pem && t->chain_pem)
		return tls_identity_inline(ctx, t);
	if (!t->keystore_file)
		return 0;
	SSL_CTX_set_default_passwd_cb(ctx, pw_cb);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)t->key_password);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->keystore_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, t->keystore_file,
					SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return -EINVAL;
	return 0;
}

static int tls_ctx(const struct xport_tls *t, SSL_CTX **out, char *err,
		   size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (tls_trust(ctx, t)) {
		set_err(err, errlen, "cannot load the trust store %s",
			t->truststore_file ? t->truststore_file
					   : "(ssl.truststore.certificates)");
		SSL_CTX_free(ctx);
		return -EINVAL;
	}
	if (tls_identity(ctx, t)) {
		set_err(err, errlen,
			"cannot load the client certificate and key %s%s",
			t->keystore_file ? t->keystore_file
					 : "(ssl.keystore.key)",
			" (wrong ssl.key.password?)");
		SSL_CTX_free(ctx);
		return -EINVAL;
	}
	*out = ctx;
	return 0;
}

/* Run an SSL_* call until it completes, waiting for the socket. */
static int tls_io(struct xport *x, int ret, int64_t deadline)
{
	int rc;

	switch (SSL_get_error(x->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		rc = wait_fd(x->fd, POLLIN, deadline);
		return rc ? rc : 1;
	case SSL_ERROR_WANT_WRITE:
		rc = wait_fd(x->fd, POLLOUT, deadline);
		return rc ? rc : 1;
	case SSL_ERROR_ZERO_RETURN:
		return -ECONNRESET;
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : -ECONNRESET;
	default:
		return -EPROTO;
	}
}

static int tls_start(struct xport *x, const char *host,
		     const struct xport_tls *t, int64_t deadline, char *err,
		     size_t errlen)
{
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, host, ip) == 1 ||
		     inet_pton(AF_INET6, host, ip) == 1;
	int rc = 1;

	x->ssl = SSL_new(x->ctx);
	if (!x->ssl || SSL_set_fd(x->ssl, x->fd) != 1)
		return -ENOMEM;
	if (!is_ip)
		SSL_set_tlsext_host_name(x->ssl, host);
	if (t->verify_hostname) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(x->ssl);
		if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1
			  : SSL_set1_host(x->ssl, host) != 1)
			return -EINVAL;
	}
	while (rc == 1) {
		int r = SSL_connect(x->ssl);
		rc = r == 1 ? 0 : tls_io(x, r, deadline);
	}
	if (rc) {
		long v = SSL_get_verify_result(x->ssl);
		const char *why = ERR_reason_error_string(ERR_peek_error());
		if (v != X509_V_OK)
			why = X509_verify_cert_error_string(v);
		else if (!why)
			why = strerror(-rc);
		set_err(err, errlen, "SSL handshake failed: %s", why);
		return rc == -ETIMEDOUT ? rc : -EPROTO;
	}
	return 0;
}

/* --- the transport -------------------------------------------------------- */

int xport_connect(const char *host, uint16_t port, const struct xport_tls *tls,
		  int timeout_ms, struct xport **out, char *err, size_t errlen)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	struct xport *x = calloc(1, sizeof(*x));
	int rc;

	if (!x)
		return -ENOMEM;
	x->fd = -1;
	rc = tls ? tls_ctx(tls, &x->ctx, err, errlen) : 0;
	if (!rc) {
		x->fd = tcp_connect(host, port, deadline, err, errlen);
		rc = x->fd < 0 ? x->fd : 0;
	}
	if (!rc && tls)
		rc = tls_start(x, host, tls, deadline, err, errlen);
	if (rc) {
		xport_close(x);
		return rc;
	}
	*out = x;
	return 0;
}

static int plain_io(struct xport *x, void *p, size_t len, bool wr,
		    int64_t deadline)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n =
		    wr ? send(x->fd, (char *)p + done, len - done, MSG_NOSIGNAL)
		       : recv(x->fd, (char *)p + done, len - done, 0);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		int rc = wait_fd(x->fd, wr ? POLLOUT : POLLIN, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

static int ssl_io(struct xport *x, void *p, size_t len, bool wr,
		  int64_t deadline)
{
	size_t done = 0;

	while (done < len) {
		size_t n = 0;
		int r =
		    wr ? SSL_write_ex(x->ssl, (char *)p + done, len - done, &n)
		       : SSL_read_ex(x->ssl, (char *)p + done, len - done, &n);
		if (r == 1) {
			done += n;
			continue;
		}
		int rc = tls_io(x, r, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int xport_write(struct xport *x, const void *p, size_t len, int timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;

	return x->ssl ? ssl_io(x, (void *)p, len, true, deadline)
		      : plain_io(x, (void *)p, len, true, deadline);
}

int xport_read(struct xport *x, void *p, size_t len, int timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;

	return x->ssl ? ssl_io(x, p, len, false, deadline)
		      : plain_io(x, p, len, false, deadline);
}

void xport_close(struct xport *x)
{
	if (!x)
		return;
	if (x->ssl) {
		SSL_shutdown(x->ssl);
		SSL_free(x->ssl);
	}
	if (x->ctx)
		SSL_CTX_free(x->ctx);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}
