/* tls_ctx_test.c - xprt_tls_create(): what it accepts, and for every
 * misconfiguration, an error that names the setting and the file or value
 * (the broker turns it into "key: message" and exits 2).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "net/tls.h"
#include "tests/unit/check.h"
#include "tests/unit/net/tls_fixture.h"

static struct tls_fx fx;
static char dir[256];

/* Create from s (consumed); returns the result, err filled. */
static int create(struct tls_settings *s, struct tls_error *err)
{
	struct xprt_tls *t = NULL;
	int r = xprt_tls_create(s, &t, err);

	tls_settings_fini(s);
	xprt_tls_destroy(t);
	if (r < 0 && getenv("SEALOG_TEST_DEBUG"))
		fprintf(stderr, "error (field %d): %s\n", err->field, err->msg);
	return r;
}

static char *cat(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);

	strcpy(s, a);
	strcat(s, b);
	return s;
}

static void put_file(const char *name, const char *text, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", dir, name);
	CHECK_EQ(certgen_write_file(path, text, 0600), 0);
}

static void t_ok_inline(void)
{
	struct tls_settings s;
	struct tls_error err;

	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_REQUIRED);
	CHECK_EQ(create(&s, &err), 0);
	/* Text around the blocks and header lines are ignored (Kafka). */
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.cert_chain_pem);
	s.cert_chain_pem =
	    cat("Bag Attributes\n    friendlyName: broker\n", fx.srv_pem);
	CHECK_EQ(create(&s, &err), 0);
}

static void t_keystore_file(void)
{
	char path[512], *both = cat(fx.srv_key_pem, fx.srv_pem);
	struct tls_settings s;
	struct tls_error err;

	put_file("ks.pem", both, path, sizeof(path));
	tls_settings_init(&s);
	s.keystore_file = strdup(path);
	CHECK_EQ(create(&s, &err), 0);
	put_file("certonly.pem", fx.srv_pem, path, sizeof(path));
	tls_settings_init(&s);
	s.keystore_file = strdup(path);
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_KEYSTORE_FILE);
	CHECK(strstr(err.msg, "no PKCS#8 private key") != NULL);
	/* Missing file and a directory. */
	tls_settings_init(&s);
	s.keystore_file = strdup("/nonexistent/sealog/broker.pem");
	CHECK_EQ(create(&s, &err), -ENOENT);
	CHECK_EQ(err.field, TLS_FIELD_KEYSTORE_FILE);
	CHECK(strstr(err.msg, "/nonexistent/sealog/broker.pem") != NULL);
	CHECK(strstr(err.msg, "No such file") != NULL);
	tls_settings_init(&s);
	s.keystore_file = strdup(dir);
	CHECK(create(&s, &err) < 0);
	CHECK(strstr(err.msg, "not a regular file") != NULL);
	certgen_pem_free(both);
}

static void t_unreadable(void)
{
	char path[512];
	struct tls_settings s;
	struct tls_error err;

	if (geteuid() == 0) {
		fprintf(stderr, "running as root: unreadable-file case "
				"skipped\n");
		return;
	}
	put_file("locked.pem", fx.srv_pem, path, sizeof(path));
	chmod(path, 0);
	tls_settings_init(&s);
	s.keystore_file = strdup(path);
	CHECK_EQ(create(&s, &err), -EACCES);
	CHECK(strstr(err.msg, path) != NULL);
}

static void t_key_password(void)
{
	char *enc = certgen_key_pem(fx.srv_key, "right-pw", false);
	struct tls_settings s;
	struct tls_error err;

	CHECK(strstr(enc, "BEGIN ENCRYPTED PRIVATE KEY") != NULL);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.key_pem);
	s.key_pem = strdup(enc);
	s.key_password = strdup("right-pw");
	CHECK_EQ(create(&s, &err), 0);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.key_pem);
	s.key_pem = strdup(enc);
	s.key_password = strdup("wrong-pw");
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_KEY_PASSWORD);
	CHECK(strstr(err.msg, "wrong key password") != NULL);
	CHECK(strstr(err.msg, "wrong-pw") == NULL);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.key_pem);
	s.key_pem = strdup(enc);
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_KEY_PASSWORD);
	CHECK(strstr(err.msg, "no key password") != NULL);
	certgen_pem_free(enc);
}

static void t_bad_keys(void)
{
	EVP_PKEY *other = certgen_key_new(CERTGEN_KEY_EC);
	EVP_PKEY *rsa = certgen_key_new(CERTGEN_KEY_RSA);
	char *pem;
	struct tls_settings s;
	struct tls_error err;

	/* A key that is not the certificate's. */
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.key_pem);
	s.key_pem = certgen_key_pem(other, NULL, false);
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_KEY);
	CHECK(strstr(err.msg, "does not match") != NULL);
	/* PKCS#1 and SEC1 keys are refused, as Kafka refuses them. */
	pem = certgen_key_pem(rsa, NULL, true);
	CHECK(strstr(pem, "BEGIN RSA PRIVATE KEY") != NULL);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.key_pem);
	s.key_pem = pem;
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_KEY);
	CHECK(strstr(err.msg, "RSA PRIVATE KEY") && strstr(err.msg, "PKCS#8"));
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.key_pem);
	s.key_pem = certgen_key_pem(fx.srv_key, NULL, true);
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK(strstr(err.msg, "EC PRIVATE KEY") != NULL);
	/* Garbage inside a block. */
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.cert_chain_pem);
	s.cert_chain_pem = strdup("-----BEGIN CERTIFICATE-----\nAAAA\n"
				  "-----END CERTIFICATE-----\n");
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_CERT_CHAIN);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.cert_chain_pem);
	s.cert_chain_pem = strdup("not pem at all");
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK(strstr(err.msg, "no PEM data") != NULL);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.cert_chain_pem);
	s.cert_chain_pem = cat(fx.srv_pem, fx.srv_key_pem);
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK(strstr(err.msg, "holds a private key") != NULL);
	EVP_PKEY_free(other);
	EVP_PKEY_free(rsa);
}

static void t_combinations(void)
{
	struct tls_settings s;
	struct tls_error err;

	tls_settings_init(&s);
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_KEYSTORE_FILE);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	s.keystore_file = strdup("/x");
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK(strstr(err.msg, "not both") != NULL);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	free(s.key_pem);
	s.key_pem = NULL;
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_KEY);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_REQUIRED);
	free(s.truststore_pem);
	s.truststore_pem = NULL;
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_TRUSTSTORE_FILE);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_REQUESTED);
	free(s.truststore_pem);
	s.truststore_pem = strdup(fx.srv_key_pem); /* a key, no cert */
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_TRUSTSTORE_PEM);
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_REQUESTED);
	s.truststore_file = strdup("/nonexistent/ca.pem");
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK(strstr(err.msg, "not both") != NULL);
}

static void t_ciphers(void)
{
	static const char *const ok[] = {
	    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	    "ECDHE-ECDSA-AES128-GCM-SHA256,TLS_AES_128_GCM_SHA256",
	    "TLS_AES_128_GCM_SHA256", /* 1.3 only: TLS 1.2 switched off */
	    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 "
	     "TLS_CHACHA20_POLY1305_SHA256"),
	};
	struct tls_settings s;
	struct tls_error err;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
		s.ciphers = strdup(ok[i]);
		CHECK_EQ(create(&s, &err), 0);
	}
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	s.ciphers = strdup("TLS_AES_128_GCM_SHA256,TLS_BOGUS_WITH_NOTHING");
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_CIPHERS);
	CHECK(strstr(err.msg, "TLS_BOGUS_WITH_NOTHING") != NULL);
	/* Only TLS 1.2 suites but only TLS 1.3 enabled. */
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	s.ciphers = strdup("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	s.protocols = TLS_PROTO_TLS13;
	CHECK_EQ(create(&s, &err), -EINVAL);
	CHECK_EQ(err.field, TLS_FIELD_CIPHERS);
	/* NULL encryption is not even a candidate. */
	tls_fx_settings(&fx, &s, TLS_CLIENT_AUTH_NONE);
	s.ciphers = strdup("TLS_RSA_WITH_NULL_SHA256");
	CHECK_EQ(create(&s, &err), -EINVAL);
}

static void t_expired_server_cert(void)
{
	struct certgen_spec sp = {.cn = "old", .eku = CERTGEN_EKU_SERVER};
	EVP_PKEY *k = certgen_key_new(CERTGEN_KEY_EC);
	X509 *x;
	struct tls_settings s;
	struct tls_error err;

	sp.not_before_s = -10 * CERTGEN_DAY_S;
	sp.not_after_s = -CERTGEN_DAY_S;
	x = certgen_issue(&sp, k, fx.ca, fx.ca_key);
	tls_settings_init(&s);
	s.cert_chain_pem = certgen_cert_pem(&x, 1);
	s.key_pem = certgen_key_pem(k, NULL, false);
	CHECK_EQ(create(&s, &err), 0); /* loads, with a warning */
	X509_free(x);
	EVP_PKEY_free(k);
}

static void t_copy(void)
{
	struct tls_settings a, b;

	tls_fx_settings(&fx, &a, TLS_CLIENT_AUTH_REQUIRED);
	a.key_password = strdup("pw");
	a.ciphers = strdup("TLS_AES_128_GCM_SHA256");
	a.handshake_timeout_ms = 1234;
	CHECK_EQ(tls_settings_copy(&b, &a), 0);
	CHECK(b.key_pem != a.key_pem && strcmp(b.key_pem, a.key_pem) == 0);
	CHECK(strcmp(b.key_password, "pw") == 0);
	CHECK_EQ(b.handshake_timeout_ms, 1234);
	CHECK_EQ(b.client_auth, TLS_CLIENT_AUTH_REQUIRED);
	tls_settings_fini(&a);
	tls_settings_fini(&b);
	CHECK(b.key_pem == NULL && b.key_password == NULL);
	CHECK_EQ(b.handshake_timeout_ms, 10000);
}

int main(void)
{
	log_set_level(getenv("SEALOG_TEST_DEBUG") ? LOG_DEBUG : LOG_OFF);
	if (tls_fx_init(&fx) < 0 || tls_fx_tmpdir(dir, sizeof(dir)) < 0)
		return 1;
	t_ok_inline();
	t_keystore_file();
	t_unreadable();
	t_key_password();
	t_bad_keys();
	t_combinations();
	t_ciphers();
	t_expired_server_cert();
	t_copy();
	{
		static const char *const files[] = {"ks.pem", "certonly.pem",
						    "locked.pem"};
		char path[512];

		for (size_t i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	tls_fx_fini(&fx);
	return check_finish();
}
