/* tls_int.h - internal to net/: shared by tls_ctx.c, tls_dn.c and
 * xprt_tls.c. Not a public header.
 */
#ifndef SEALOG_NET_TLS_INT_H
#define SEALOG_NET_TLS_INT_H

#include <openssl/ssl.h>

#include "net/tls.h"

/* Build a server SSL_CTX from s: key material, trust store, protocols,
 * ciphers, verification policy. 0 and *out, or -errno (-ENOENT, -EACCES
 * for files, -EINVAL, -ENOMEM) with err filled. */
int tls_ctx_build(const struct tls_settings *s, SSL_CTX **out,
		  struct tls_error *err);

/* Fill err (field + formatted message); err may be NULL. */
void tls_err_set(struct tls_error *err, enum tls_field field, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/* OpenSSL's reason for the most recent error on this thread (or
 * "unknown error"), and clear the thread's error queue. */
const char *tls_ssl_reason(char *buf, size_t cap);

#endif
