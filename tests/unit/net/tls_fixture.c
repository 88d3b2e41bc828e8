/* tls_fixture.c - see tls_fixture.h. */
#include "tests/unit/net/tls_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static X509 *fx_ca(const char *cn, EVP_PKEY **key)
{
	struct certgen_spec s = {.cn = cn, .org = "sealog-test", .is_ca = true};

	s.not_before_s = -3600;
	s.not_after_s = 30 * CERTGEN_DAY_S;
	*key = certgen_key_new(CERTGEN_KEY_EC);
	return *key ? certgen_issue(&s, *key, NULL, NULL) : NULL;
}

X509 *tls_fx_server(struct tls_fx *f, const char *cn, EVP_PKEY **key)
{
	static const char *const dns[] = {"localhost"};
	static const char *const ips[] = {"127.0.0.1", "::1"};
	struct certgen_spec s = {.cn = cn, .org = "sealog"};

	s.dns = dns;
	s.ndns = 1;
	s.ips = ips;
	s.nips = 2;
	s.eku = CERTGEN_EKU_SERVER | CERTGEN_EKU_CLIENT;
	s.not_before_s = -3600;
	s.not_after_s = 30 * CERTGEN_DAY_S;
	*key = certgen_key_new(CERTGEN_KEY_EC);
	return *key ? certgen_issue(&s, *key, f->ca, f->ca_key) : NULL;
}

int tls_fx_init(struct tls_fx *f)
{
	memset(f, 0, sizeof(*f));
	f->ca = fx_ca("test CA", &f->ca_key);
	f->rogue = fx_ca("rogue CA", &f->rogue_key);
	if (!f->ca || !f->rogue)
		return -1;
	f->srv = tls_fx_server(f, "localhost", &f->srv_key);
	if (!f->srv)
		return -1;
	f->ca_pem = certgen_cert_pem(&f->ca, 1);
	f->srv_pem = certgen_cert_pem(&f->srv, 1);
	f->srv_key_pem = certgen_key_pem(f->srv_key, NULL, false);
	return f->ca_pem && f->srv_pem && f->srv_key_pem ? 0 : -1;
}

void tls_fx_fini(struct tls_fx *f)
{
	X509_free(f->ca);
	X509_free(f->rogue);
	X509_free(f->srv);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->rogue_key);
	EVP_PKEY_free(f->srv_key);
	certgen_pem_free(f->ca_pem);
	certgen_pem_free(f->srv_pem);
	certgen_pem_free(f->srv_key_pem);
	memset(f, 0, sizeof(*f));
}

X509 *tls_fx_client(struct tls_fx *f, const char *cn, const X509_NAME *subject,
		    int64_t from, int64_t to, unsigned eku, bool rogue,
		    EVP_PKEY **key)
{
	struct certgen_spec s = {.cn = cn, .org = "sealog", .subject = subject};

	s.eku = eku;
	s.not_before_s = from;
	s.not_after_s = to;
	*key = certgen_key_new(CERTGEN_KEY_EC);
	if (!*key)
		return NULL;
	return certgen_issue(&s, *key, rogue ? f->rogue : f->ca,
			     rogue ? f->rogue_key : f->ca_key);
}

void tls_fx_settings(struct tls_fx *f, struct tls_settings *s,
		     enum tls_client_auth auth)
{
	tls_settings_init(s);
	s->cert_chain_pem = strdup(f->srv_pem);
	s->key_pem = strdup(f->srv_key_pem);
	s->client_auth = auth;
	if (auth != TLS_CLIENT_AUTH_NONE)
		s->truststore_pem = strdup(f->ca_pem);
}

int tls_fx_tmpdir(char *dir, size_t cap)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, cap, "%s/sealog-tls-XXXXXX",
		 base && *base ? base : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}
