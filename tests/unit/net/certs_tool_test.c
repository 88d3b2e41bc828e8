/* certs_tool_test.c - tools/sealog-certs end to end: files and modes,
 * what the certificates say (SANs, EKU, CA, validity, issuer), that the
 * broker's TLS layer loads the output, and that a rerun reuses the CA.
 *
 * usage: certs_tool_test path/to/sealog-certs
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "base/log.h"
#include "net/tls.h"
#include "tests/unit/check.h"
#include "tests/unit/net/tls_fixture.h"

static const char *tool;
static char dir[256];

/* Run the tool with args; stdout into out. Returns the exit status. */
static int run(const char *args, char *out, size_t cap)
{
	char cmd[1024];
	size_t n = 0;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", tool, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < cap && fgets(out + n, (int)(cap - n), f))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void path_of(char *buf, size_t cap, const char *file)
{
	snprintf(buf, cap, "%s/%s", dir, file);
}

static mode_t mode_of(const char *file)
{
	char p[512];
	struct stat st;

	path_of(p, sizeof(p), file);
	return stat(p, &st) == 0 ? st.st_mode & 0777 : 0;
}

static X509 *cert(const char *file)
{
	char p[512];

	path_of(p, sizeof(p), file);
	return certgen_read_cert(p);
}

static char *slurp(const char *file)
{
	char p[512], *buf = calloc(1, 65536);
	FILE *f;

	path_of(p, sizeof(p), file);
	f = fopen(p, "r");
	if (f) {
		(void)!fread(buf, 1, 65535, f);
		fclose(f);
	}
	return buf;
}

/* X509_verify_cert() result of leaf against ca for purpose. */
static int verify(X509 *leaf, X509 *ca, int purpose)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r;

	X509_STORE_add_cert(st, ca);
	X509_STORE_CTX_init(ctx, st, leaf, NULL);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	r = X509_verify_cert(ctx) == 1 ? X509_V_OK
				       : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return r;
}

static void t_files(void)
{
	static const char *const keys[] = {"ca-key.pem",
					   "broker.pem",
					   "broker-key.pem",
					   "client-alice-key.pem",
					   "client-alice.pem",
					   "client-old-expired-key.pem",
					   "client-eve-untrusted-key.pem"};
	static const char *const certs[] = {"ca.pem", "broker-cert.pem",
					    "client-bob-cert.pem",
					    "untrusted-ca.pem"};
	char *k;

	CHECK_EQ(mode_of("."), 0700);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK_EQ(mode_of(keys[i]), 0600);
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		CHECK_EQ(mode_of(certs[i]), 0644);
	k = slurp("broker-key.pem");
	CHECK(strncmp(k, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37) == 0);
	free(k);
	k = slurp("client-alice-key.pem");
	CHECK(strncmp(k, "-----BEGIN PRIVATE KEY-----", 27) == 0);
	free(k);
}

static void t_certs(void)
{
	X509 *ca = cert("ca.pem"), *srv = cert("broker-cert.pem");
	X509 *alice = cert("client-alice-cert.pem");
	X509 *old = cert("client-old-expired-cert.pem");
	X509 *fut = cert("client-new-not-yet-valid-cert.pem");
	X509 *eve = cert("client-eve-untrusted-cert.pem");
	X509 *rogue = cert("untrusted-ca.pem");
	char dn[256];

	CHECK(ca && srv && alice && old && fut && eve && rogue);
	if (!(ca && srv && alice && old && fut && eve && rogue))
		return;
	CHECK_EQ(X509_check_ca(ca), 1);
	CHECK_EQ(X509_check_ca(srv), 0);
	CHECK_EQ(verify(srv, ca, X509_PURPOSE_SSL_SERVER), X509_V_OK);
	CHECK_EQ(verify(srv, ca, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	CHECK_EQ(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
	CHECK_EQ(X509_check_host(srv, "broker.example", 0, 0, NULL), 1);
	CHECK_EQ(X509_check_host(srv, "other.example", 0, 0, NULL), 0);
	CHECK_EQ(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
	CHECK_EQ(X509_check_ip_asc(srv, "::1", 0), 1);
	CHECK_EQ(X509_check_ip_asc(srv, "10.1.2.3", 0), 1);
	CHECK((X509_get_extended_key_usage(srv) &
	       (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
	      (XKU_SSL_SERVER | XKU_SSL_CLIENT));
	CHECK_EQ(verify(alice, ca, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	CHECK(X509_get_extended_key_usage(alice) & XKU_SSL_CLIENT);
	CHECK_EQ(tls_dn_rfc2253(X509_get_subject_name(alice), dn, sizeof(dn)),
		 0);
	CHECK(strcmp(dn, "CN=alice") == 0);
	CHECK_EQ(verify(old, ca, X509_PURPOSE_SSL_CLIENT),
		 X509_V_ERR_CERT_HAS_EXPIRED);
	CHECK_EQ(verify(fut, ca, X509_PURPOSE_SSL_CLIENT),
		 X509_V_ERR_CERT_NOT_YET_VALID);
	CHECK_EQ(verify(eve, ca, X509_PURPOSE_SSL_CLIENT),
		 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	CHECK_EQ(verify(eve, rogue, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	X509_free(ca);
	X509_free(srv);
	X509_free(alice);
	X509_free(old);
	X509_free(fut);
	X509_free(eve);
	X509_free(rogue);
}

/* The broker's TLS layer takes the output as it is. */
static void t_loads(void)
{
	struct tls_settings s;
	struct tls_error err;
	struct xprt_tls *t = NULL;
	char p[512];

	tls_settings_init(&s);
	path_of(p, sizeof(p), "broker.pem");
	s.keystore_file = strdup(p);
	path_of(p, sizeof(p), "ca.pem");
	s.truststore_file = strdup(p);
	s.key_password = strdup("Pa55-w0rd-xyz");
	s.client_auth = TLS_CLIENT_AUTH_REQUIRED;
	CHECK_EQ(xprt_tls_create(&s, &t, &err), 0);
	xprt_tls_destroy(t);
	tls_settings_fini(&s);
}

static void t_rerun(void)
{
	char out[8192], args[512], *ca1 = slurp("ca.pem"), *ca2, *ca3;

	snprintf(args, sizeof(args), "--client carol '%s'", dir);
	CHECK_EQ(run(args, out, sizeof(out)), 0);
	CHECK(strstr(out, "# reusing the CA") != NULL);
	ca2 = slurp("ca.pem");
	CHECK(strcmp(ca1, ca2) == 0);
	CHECK_EQ(mode_of("client-carol-key.pem"), 0600);
	snprintf(args, sizeof(args), "--force --quiet '%s'", dir);
	CHECK_EQ(run(args, out, sizeof(out)), 0);
	CHECK(out[0] == '\0');
	ca3 = slurp("ca.pem");
	CHECK(strcmp(ca1, ca3) != 0);
	free(ca1);
	free(ca2);
	free(ca3);
	CHECK_EQ(run("--key-type dsa /tmp/x", out, sizeof(out)), 2);
	CHECK_EQ(run("", out, sizeof(out)), 2);
	CHECK_EQ(run("--help", out, sizeof(out)), 0);
	CHECK(strstr(out, "usage: sealog-certs") != NULL);
}

static void cleanup(void)
{
	char cmd[600];

	/* Only our own mkdtemp() directory. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	(void)!system(cmd);
}

int main(int argc, char **argv)
{
	char out[8192], args[512];

	if (argc < 2)
		return 2;
	tool = argv[1];
	log_set_level(LOG_OFF);
	if (tls_fx_tmpdir(dir, sizeof(dir)) < 0)
		return 1;
	strcat(dir, "/out"); /* the tool creates it */
	snprintf(args, sizeof(args),
		 "--client alice --client bob --san broker.example "
		 "--san 10.1.2.3 --expired old --not-yet-valid new "
		 "--untrusted eve --key-password Pa55-w0rd-xyz '%s'",
		 dir);
	CHECK_EQ(run(args, out, sizeof(out)), 0);
	CHECK(strstr(out, "ssl.keystore.location=") != NULL);
	CHECK(strstr(out, "security.protocol=SSL") != NULL);
	CHECK(strstr(out, "kcat -b localhost:9093") != NULL);
	CHECK(strstr(out, "ssl_certfile=") != NULL);
	CHECK(strstr(out, "Pa55-w0rd-xyz") == NULL); /* never printed */
	CHECK(strstr(out, "ssl.key.password=<") != NULL);
	t_files();
	t_certs();
	t_loads();
	t_rerun();
	dir[strlen(dir) - 4] = '\0';
	cleanup();
	return check_finish();
}
