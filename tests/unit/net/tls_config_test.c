/* tls_config_test.c - broker/tls_config.c: Kafka's ssl.* keys (with
 * listener.name.<l>. overrides) into TLS settings, and errors that name
 * the key that supplied the faulty value.
 *
 * It lives with the TLS tests because broker/ as a whole does not build
 * on its own yet; props_get() comes from the small shim below instead of
 * broker/props.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth/principal.h"
#include "base/log.h"
#include "broker/config.h"
#include "broker/tls_config.h"
#include "tests/unit/check.h"
#include "tests/unit/net/tls_fixture.h"

/* ---- props shim --------------------------------------------------------- */

struct props {
	const char *k[32], *v[32];
	int n;
};

const char *props_get(const struct props *p, const char *key)
{
	for (int i = p->n - 1; i >= 0; i--)
		if (strcmp(p->k[i], key) == 0)
			return p->v[i];
	return NULL;
}

static void set(struct props *p, const char *k, const char *v)
{
	p->k[p->n] = k;
	p->v[p->n++] = v;
}

/* ---- tests -------------------------------------------------------------- */

static struct tls_fx fx;
static char dir[256], ks_path[512];

static void base(struct props *p)
{
	memset(p, 0, sizeof(*p));
	set(p, "ssl.keystore.type", "PEM");
	set(p, "ssl.keystore.certificate.chain", fx.srv_pem);
	set(p, "ssl.keystore.key", fx.srv_key_pem);
	set(p, "ssl.truststore.type", "PEM");
	set(p, "ssl.truststore.certificates", fx.ca_pem);
}

/* The transport fails with an error starting with want. */
static void fails(const struct props *p, const char *listener, const char *want)
{
	struct xprt_tls *t = NULL;
	char err[700];
	int r = tls_config_transport(p, listener, &t, err, sizeof(err));

	CHECK(r < 0);
	if (r >= 0 || strncmp(err, want, strlen(want)) != 0)
		fprintf(stderr, "error '%s', want '%s...'\n", err, want);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	xprt_tls_destroy(t);
}

static void works(const struct props *p, const char *listener)
{
	struct xprt_tls *t = NULL;
	char err[700] = "";
	int r = tls_config_transport(p, listener, &t, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "unexpected error: %s\n", err);
	CHECK_EQ(r, 0);
	xprt_tls_destroy(t);
}

static void t_settings(void)
{
	struct tls_settings s;
	struct props p;
	char err[700];

	base(&p);
	set(&p, "ssl.client.auth", "none");
	set(&p, "listener.name.ssl.ssl.client.auth", "REQUIRED");
	set(&p, "ssl.enabled.protocols", " TLSv1.3 , ");
	set(&p, "ssl.cipher.suites",
	    "TLS_AES_128_GCM_SHA256, SSL_RSA_WITH_AES_128_CBC_SHA");
	set(&p, "ssl.handshake.timeout.ms", "2500");
	set(&p, "ssl.key.password", "  secret  ");
	CHECK_EQ(tls_config_settings(&p, "SSL", &s, err, sizeof(err)), 0);
	CHECK_EQ(s.client_auth, TLS_CLIENT_AUTH_REQUIRED);
	CHECK_EQ(s.protocols, TLS_PROTO_TLS13);
	CHECK(s.ciphers &&
	      strcmp(s.ciphers, "TLS_AES_128_GCM_SHA256,"
				"TLS_RSA_WITH_AES_128_CBC_SHA") == 0);
	CHECK_EQ(s.handshake_timeout_ms, 2500);
	CHECK(s.key_password && strcmp(s.key_password, "secret") == 0);
	/* Trimmed as Kafka trims: the final newline is gone. */
	CHECK(s.cert_chain_pem &&
	      strlen(s.cert_chain_pem) == strlen(fx.srv_pem) - 1 &&
	      strncmp(s.cert_chain_pem, fx.srv_pem, strlen(fx.srv_pem) - 1) ==
		  0);
	CHECK(s.keystore_file == NULL);
	tls_settings_fini(&s);
	/* Another listener does not see listener.name.ssl.* */
	CHECK_EQ(tls_config_settings(&p, "INTERNAL", &s, err, sizeof(err)), 0);
	CHECK_EQ(s.client_auth, TLS_CLIENT_AUTH_NONE);
	tls_settings_fini(&s);
	/* Defaults. */
	base(&p);
	CHECK_EQ(tls_config_settings(&p, "SSL", &s, err, sizeof(err)), 0);
	CHECK_EQ(s.protocols, TLS_PROTO_TLS12 | TLS_PROTO_TLS13);
	CHECK_EQ(s.handshake_timeout_ms, 10000);
	CHECK(s.ciphers == NULL);
	tls_settings_fini(&s);
}

static void t_transport(void)
{
	struct props p;

	base(&p);
	works(&p, "SSL");
	set(&p, "ssl.client.auth", "required");
	works(&p, "SSL");
	base(&p);
	set(&p, "ssl.keystore.location", ks_path);
	set(&p, "ssl.keystore.certificate.chain", "");
	set(&p, "ssl.keystore.key", "");
	works(&p, "SSL"); /* empty values count as unset */
	memset(&p, 0, sizeof(p));
	set(&p, "ssl.keystore.location", ks_path); /* type unset: PEM */
	works(&p, "SSL");
}

static void t_errors(void)
{
	char *enc = certgen_key_pem(fx.srv_key, "pw-right", false);
	struct props p;

	base(&p);
	set(&p, "ssl.keystore.type", "JKS");
	fails(&p, "SSL", "ssl.keystore.type: JKS is not supported");
	base(&p);
	set(&p, "listener.name.ssl.ssl.truststore.type", "PKCS12");
	fails(&p, "SSL",
	      "listener.name.ssl.ssl.truststore.type: PKCS12 is not");
	base(&p);
	set(&p, "ssl.keystore.password", "x");
	fails(&p, "SSL",
	      "ssl.keystore.password: SSL key store password cannot "
	      "be specified with PEM format");
	base(&p);
	set(&p, "ssl.truststore.password", "x");
	fails(&p, "SSL", "ssl.truststore.password: SSL trust store password");
	base(&p);
	set(&p, "ssl.client.auth", "sometimes");
	fails(&p, "SSL",
	      "ssl.client.auth: Invalid value sometimes for "
	      "configuration ssl.client.auth: String must be one of: "
	      "required, requested, none");
	base(&p);
	set(&p, "ssl.enabled.protocols", "TLSv1.2,TLSv1.1");
	fails(&p, "SSL", "ssl.enabled.protocols: TLSv1.1 is not supported");
	base(&p);
	set(&p, "ssl.enabled.protocols", "TLSv9");
	fails(&p, "SSL", "ssl.enabled.protocols: unknown protocol TLSv9");
	base(&p);
	set(&p, "ssl.protocol", "SSLv3");
	fails(&p, "SSL", "ssl.protocol: unsupported protocol SSLv3");
	base(&p);
	set(&p, "listener.name.ssl.ssl.cipher.suites", "TLS_NOPE_SHA1");
	fails(&p, "SSL",
	      "listener.name.ssl.ssl.cipher.suites: unknown or "
	      "disabled cipher suite TLS_NOPE_SHA1");
	base(&p);
	set(&p, "ssl.handshake.timeout.ms", "soon");
	fails(&p, "SSL", "ssl.handshake.timeout.ms: Invalid value soon");
	base(&p);
	set(&p, "ssl.engine.factory.class", "com.example.Factory");
	fails(&p, "SSL", "ssl.engine.factory.class: Java SSL engine");
	/* Errors found by net/ are reported under the right key. */
	memset(&p, 0, sizeof(p));
	set(&p, "listener.name.ssl.ssl.keystore.location",
	    "/nonexistent/k.pem");
	fails(&p, "SSL",
	      "listener.name.ssl.ssl.keystore.location: cannot open "
	      "/nonexistent/k.pem: No such file or directory");
	memset(&p, 0, sizeof(p));
	fails(&p, "SSL", "ssl.keystore.location: no keystore");
	base(&p);
	set(&p, "ssl.keystore.key", enc);
	set(&p, "ssl.key.password", "pw-wrong");
	fails(&p, "SSL", "ssl.key.password: cannot decrypt the private key");
	set(&p, "ssl.key.password", "pw-right");
	works(&p, "SSL");
	base(&p);
	set(&p, "ssl.keystore.key", fx.srv_pem);
	fails(&p, "SSL", "ssl.keystore.key: no PKCS#8 private key");
	base(&p);
	set(&p, "ssl.truststore.certificates", "garbage");
	set(&p, "ssl.client.auth", "requested");
	fails(&p, "SSL", "ssl.truststore.certificates: no PEM data");
	memset(&p, 0, sizeof(p));
	set(&p, "ssl.keystore.location", ks_path);
	set(&p, "ssl.client.auth", "required");
	fails(&p, "SSL",
	      "ssl.truststore.location: client authentication needs");
	certgen_pem_free(enc);
}

static void t_reload(void)
{
	struct xprt_tls *t = NULL;
	struct props p = {0};
	char err[700],
	    *both = malloc(strlen(fx.srv_key_pem) + strlen(fx.srv_pem) + 1);

	set(&p, "listener.name.ssl.ssl.keystore.location", ks_path);
	CHECK_EQ(tls_config_transport(&p, "SSL", &t, err, sizeof(err)), 0);
	CHECK_EQ(tls_config_reload(&p, "SSL", t, err, sizeof(err)), 0);
	CHECK_EQ(certgen_write_file(ks_path, fx.srv_pem, 0600), 0);
	CHECK(tls_config_reload(&p, "SSL", t, err, sizeof(err)) < 0);
	CHECK(strncmp(err, "listener.name.ssl.ssl.keystore.location: no PKCS#8",
		      50) == 0);
	CHECK_EQ(xprt_tls_generation(t), 1);
	strcpy(both, fx.srv_key_pem);
	strcat(both, fx.srv_pem);
	CHECK_EQ(certgen_write_file(ks_path, both, 0600), 0);
	CHECK_EQ(tls_config_reload(&p, "SSL", t, err, sizeof(err)), 0);
	CHECK_EQ(xprt_tls_generation(t), 2);
	xprt_tls_destroy(t);
	certgen_pem_free(both);
}

static void t_rules(void)
{
	struct principal_rules *r = NULL;
	struct props p = {0};
	char err[700], out[128];

	CHECK_EQ(tls_config_principal_rules(&p, "SSL", &r, err, sizeof(err)),
		 0);
	CHECK_EQ(principal_map(r, "CN=a,O=b", out, sizeof(out)), 0);
	CHECK(strcmp(out, "CN=a,O=b") == 0);
	principal_rules_free(r);
	set(&p, "ssl.principal.mapping.rules",
	    "RULE:^CN=([^,]+).*$/$1/,DEFAULT");
	set(&p, "listener.name.internal.ssl.principal.mapping.rules",
	    "RULE:^CN=([^,]+).*$/$1/U");
	CHECK_EQ(tls_config_principal_rules(&p, "SSL", &r, err, sizeof(err)),
		 0);
	CHECK_EQ(principal_map(r, "CN=a,O=b", out, sizeof(out)), 0);
	CHECK(strcmp(out, "a") == 0);
	principal_rules_free(r);
	CHECK_EQ(
	    tls_config_principal_rules(&p, "INTERNAL", &r, err, sizeof(err)),
	    0);
	CHECK_EQ(principal_map(r, "CN=a,O=b", out, sizeof(out)), 0);
	CHECK(strcmp(out, "A") == 0);
	principal_rules_free(r);
	set(&p, "ssl.principal.mapping.rules", "RULE:^CN=(.*$/$1/");
	CHECK_EQ(tls_config_principal_rules(&p, "SSL", &r, err, sizeof(err)),
		 -EINVAL);
	CHECK(strncmp(err, "ssl.principal.mapping.rules: Invalid rule", 41) ==
	      0);
}

int main(void)
{
	char *both;

	log_set_level(LOG_OFF);
	if (tls_fx_init(&fx) < 0 || tls_fx_tmpdir(dir, sizeof(dir)) < 0)
		return 1;
	snprintf(ks_path, sizeof(ks_path), "%s/broker.pem", dir);
	both = malloc(strlen(fx.srv_key_pem) + strlen(fx.srv_pem) + 1);
	strcpy(both, fx.srv_key_pem);
	strcat(both, fx.srv_pem);
	CHECK_EQ(certgen_write_file(ks_path, both, 0600), 0);
	certgen_pem_free(both);
	t_settings();
	t_transport();
	t_errors();
	t_reload();
	t_rules();
	unlink(ks_path);
	rmdir(dir);
	tls_fx_fini(&fx);
	return check_finish();
}
