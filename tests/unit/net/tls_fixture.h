/* tls_fixture.h - certificates made at test time for the TLS tests: a CA,
 * a second (untrusted) CA, a server certificate for localhost /
 * 127.0.0.1 and client certificates on demand. Nothing is committed.
 */
#ifndef SEALOG_TESTS_TLS_FIXTURE_H
#define SEALOG_TESTS_TLS_FIXTURE_H

#include <stdbool.h>

#include "net/tls.h"
#include "tools/sealog-certs/certgen.h"

struct tls_fx {
	EVP_PKEY *ca_key, *rogue_key, *srv_key;
	X509 *ca, *rogue, *srv;
	char *ca_pem, *srv_pem, *srv_key_pem;
};

/* 0 or -1 (OpenSSL failure). */
int tls_fx_init(struct tls_fx *f);
void tls_fx_fini(struct tls_fx *f);

/* A client certificate for subject (or CN=cn,O=sealog when subject is
 * NULL), valid from..to seconds from now, with eku, issued by the CA or
 * the rogue CA. *key receives the new key. NULL on failure. */
X509 *tls_fx_client(struct tls_fx *f, const char *cn, const X509_NAME *subject,
		    int64_t from, int64_t to, unsigned eku, bool rogue,
		    EVP_PKEY **key);

/* A server certificate (CN=cn, SAN localhost + 127.0.0.1) by the CA. */
X509 *tls_fx_server(struct tls_fx *f, const char *cn, EVP_PKEY **key);

/* Settings with the inline server chain + key and, unless auth is NONE,
 * the CA as trust store. Free with tls_settings_fini(). */
void tls_fx_settings(struct tls_fx *f, struct tls_settings *s,
		     enum tls_client_auth auth);

/* A fresh private temporary directory (mkdtemp) into dir. 0 or -1. */
int tls_fx_tmpdir(char *dir, size_t cap);

#endif
