/* sealog-certs - development certificates for sealog (and any Kafka).
 *
 *   sealog-certs [options] OUTDIR
 *
 * Writes into OUTDIR (created 0700 when missing; keys are 0600):
 *   ca.pem, ca-key.pem            the dev CA (reused when both exist,
 *                                 unless --force), the trust store
 *   broker.pem                    PKCS#8 key + certificate: for
 *                                 ssl.keystore.type=PEM + .location
 *   broker-cert.pem, broker-key.pem   the same, split
 *   client-NAME-cert.pem, client-NAME-key.pem, client-NAME.pem
 *                                 per --client NAME (principal CN=NAME)
 *   untrusted-ca.pem              with --untrusted (a second CA)
 * then prints ready-to-use client settings for librdkafka / kcat,
 * kafka-python and Java.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/sealog-certs/certgen.h"

#define MAX_NAMES 64

struct names {
	const char *v[MAX_NAMES];
	size_t n;
};

struct opts {
	const char *dir;
	const char *ca_name, *broker_name, *key_password;
	struct names dns, ips, clients, expired, future, untrusted;
	long days;
	enum certgen_key_type key_type;
	int force, quiet;
};

struct ca {
	X509 *cert;
	EVP_PKEY *key;
};

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: sealog-certs [options] OUTDIR\n"
	       "  --client NAME         client certificate CN=NAME (repeat; "
	       "default: client)\n"
	       "  --san NAME|IP         extra broker subjectAltName (repeat);\n"
	       "                        localhost, 127.0.0.1 and ::1 are "
	       "always in\n"
	       "  --broker-name NAME    broker certificate CN (default "
	       "localhost)\n"
	       "  --ca-name NAME        CA CN (default \"sealog dev CA\")\n"
	       "  --days N              validity in days (default 825)\n"
	       "  --key-type ec|rsa     key type (default ec: P-256)\n"
	       "  --key-password PW     encrypt the broker key (PKCS#8)\n"
	       "  --expired NAME        also a client cert for NAME that "
	       "expired yesterday\n"
	       "  --not-yet-valid NAME  also a client cert for NAME valid "
	       "from tomorrow\n"
	       "  --untrusted NAME      also a second CA (untrusted-ca.pem) "
	       "and a client\n"
	       "                        cert for NAME signed by it\n"
	       "  --force               make a new CA even if OUTDIR has one\n"
	       "  --quiet               do not print client settings\n");
}

static int names_add(struct names *n, const char *v)
{
	if (n->n == MAX_NAMES || !*v || strchr(v, '/')) {
		fprintf(stderr, "sealog-certs: bad or too many names: %s\n", v);
		return -1;
	}
	n->v[n->n++] = v;
	return 0;
}

static bool is_ip(const char *v)
{
	return strchr(v, ':') || strspn(v, "0123456789.") == strlen(v);
}

static int parse_opt(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case 'c':
		return names_add(&o->clients, arg);
	case 's':
		return names_add(is_ip(arg) ? &o->ips : &o->dns, arg);
	case 'b':
		o->broker_name = arg;
		return 0;
	case 'a':
		o->ca_name = arg;
		return 0;
	case 'p':
		o->key_password = arg;
		return 0;
	case 'e':
		return names_add(&o->expired, arg);
	case 'n':
		return names_add(&o->future, arg);
	case 'u':
		return names_add(&o->untrusted, arg);
	case 'f':
		o->force = 1;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case 'd':
		o->days = strtol(arg, NULL, 10);
		return o->days > 0 && o->days < 36500 ? 0 : -1;
	case 'k':
		if (strcmp(arg, "rsa") && strcmp(arg, "ec"))
			return -1;
		o->key_type =
		    strcmp(arg, "rsa") ? CERTGEN_KEY_EC : CERTGEN_KEY_RSA;
		return 0;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"client", 1, NULL, 'c'},	     {"san", 1, NULL, 's'},
	    {"broker-name", 1, NULL, 'b'},   {"ca-name", 1, NULL, 'a'},
	    {"days", 1, NULL, 'd'},	     {"key-type", 1, NULL, 'k'},
	    {"key-password", 1, NULL, 'p'},  {"expired", 1, NULL, 'e'},
	    {"not-yet-valid", 1, NULL, 'n'}, {"untrusted", 1, NULL, 'u'},
	    {"force", 0, NULL, 'f'},	     {"quiet", 0, NULL, 'q'},
	    {"help", 0, NULL, 'h'},	     {NULL, 0, NULL, 0},
	};
	int c;

	o->ca_name = "sealog dev CA";
	o->broker_name = "localhost";
	o->days = 825;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?' || parse_opt(o, c, optarg) < 0) {
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	o->dir = argv[optind];
	if (!o->clients.n)
		o->clients.v[o->clients.n++] = "client";
	return 0;
}

/* ---- output --------------------------------------------------------- */

static int write_pem(const char *dir, const char *file, char *pem, mode_t mode)
{
	char path[PATH_MAX];
	int r = -ENOMEM;

	if (pem && snprintf(path, sizeof(path), "%s/%s", dir, file) <
		       (int)sizeof(path))
		r = certgen_write_file(path, pem, mode);
	if (r < 0)
		fprintf(stderr, "sealog-certs: cannot write %s/%s: %s\n", dir,
			file, strerror(-r));
	certgen_pem_free(pem);
	return r;
}

/* key.pem, cert.pem and both in one (0600: it holds the key). */
static int write_identity(const char *dir, const char *stem, X509 *cert,
			  EVP_PKEY *key, const char *password)
{
	char *k = certgen_key_pem(key, password, false);
	char *c = certgen_cert_pem(&cert, 1);
	char file[512], *both = NULL;
	int r = -ENOMEM;

	if (k && c && (both = malloc(strlen(k) + strlen(c) + 1))) {
		strcpy(both, k);
		strcat(both, c);
		snprintf(file, sizeof(file), "%s.pem", stem);
		r = write_pem(dir, file, both, 0600);
		both = NULL;
	}
	snprintf(file, sizeof(file), "%s-key.pem", stem);
	if (r == 0)
		r = write_pem(dir, file, k, 0600), k = NULL;
	snprintf(file, sizeof(file), "%s-cert.pem", stem);
	if (r == 0)
		r = write_pem(dir, file, c, 0644), c = NULL;
	certgen_pem_free(k);
	certgen_pem_free(c);
	return r;
}

/* ---- CA ------------------------------------------------------------- */

static int ca_make(const struct opts *o, const char *cn, struct ca *ca,
		   const char *cert_file, const char *key_file)
{
	struct certgen_spec s = {.cn = cn, .org = "sealog", .is_ca = true};
	int r;

	s.not_before_s = -3600;
	s.not_after_s = (int64_t)o->days * 2 * CERTGEN_DAY_S;
	ca->key = certgen_key_new(o->key_type);
	ca->cert = ca->key ? certgen_issue(&s, ca->key, NULL, NULL) : NULL;
	if (!ca->cert)
		return -ENOMEM;
	r = write_pem(o->dir, cert_file, certgen_cert_pem(&ca->cert, 1), 0644);
	if (r == 0 && key_file)
		r = write_pem(o->dir, key_file,
			      certgen_key_pem(ca->key, NULL, false), 0600);
	return r;
}

static int ca_load_or_make(const struct opts *o, struct ca *ca)
{
	char cp[PATH_MAX], kp[PATH_MAX];

	snprintf(cp, sizeof(cp), "%s/ca.pem", o->dir);
	snprintf(kp, sizeof(kp), "%s/ca-key.pem", o->dir);
	if (!o->force && access(cp, F_OK) == 0 && access(kp, F_OK) == 0) {
		ca->cert = certgen_read_cert(cp);
		ca->key = certgen_read_key(kp);
		if (!ca->cert || !ca->key ||
		    !X509_check_private_key(ca->cert, ca->key)) {
			fprintf(stderr,
				"sealog-certs: %s / %s unusable (use --force "
				"to replace the CA)\n",
				cp, kp);
			return -EINVAL;
		}
		return 1;
	}
	return ca_make(o, o->ca_name, ca, "ca.pem", "ca-key.pem");
}

static void ca_fini(struct ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
}

/* ---- leaves --------------------------------------------------------- */

static int issue_leaf(const struct opts *o, const struct ca *ca,
		      struct certgen_spec *s, const char *stem,
		      const char *password)
{
	EVP_PKEY *key = certgen_key_new(o->key_type);
	X509 *cert = key ? certgen_issue(s, key, ca->cert, ca->key) : NULL;
	int r =
	    cert ? write_identity(o->dir, stem, cert, key, password) : -EINVAL;

	if (!cert)
		fprintf(stderr, "sealog-certs: cannot issue %s\n", stem);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

static int issue_broker(const struct opts *o, const struct ca *ca)
{
	const char *dns[MAX_NAMES + 1] = {"localhost"},
				    *ips[MAX_NAMES + 2] = {"127.0.0.1", "::1"};
	struct certgen_spec s = {.cn = o->broker_name, .org = "sealog"};
	size_t nd = 1, ni = 2;

	for (size_t i = 0; i < o->dns.n; i++)
		if (strcmp(o->dns.v[i], "localhost"))
			dns[nd++] = o->dns.v[i];
	for (size_t i = 0; i < o->ips.n; i++)
		if (strcmp(o->ips.v[i], "127.0.0.1") &&
		    strcmp(o->ips.v[i], "::1"))
			ips[ni++] = o->ips.v[i];
	s.dns = dns;
	s.ndns = nd;
	s.ips = ips;
	s.nips = ni;
	s.eku = CERTGEN_EKU_SERVER | CERTGEN_EKU_CLIENT;
	s.not_before_s = -3600;
	s.not_after_s = (int64_t)o->days * CERTGEN_DAY_S;
	return issue_leaf(o, ca, &s, "broker", o->key_password);
}

static int issue_client(const struct opts *o, const struct ca *ca,
			const char *name, const char *suffix, int64_t from,
			int64_t to)
{
	struct certgen_spec s = {.cn = name, .eku = CERTGEN_EKU_CLIENT};
	char stem[256];

	s.not_before_s = from;
	s.not_after_s = to;
	snprintf(stem, sizeof(stem), "client-%s%s", name, suffix);
	return issue_leaf(o, ca, &s, stem, NULL);
}

static int issue_all(const struct opts *o, const struct ca *ca)
{
	int64_t life = (int64_t)o->days * CERTGEN_DAY_S;
	struct ca rogue = {0};
	int r = issue_broker(o, ca);

	for (size_t i = 0; r == 0 && i < o->clients.n; i++)
		r = issue_client(o, ca, o->clients.v[i], "", -3600, life);
	for (size_t i = 0; r == 0 && i < o->expired.n; i++)
		r = issue_client(o, ca, o->expired.v[i], "-expired",
				 -30 * CERTGEN_DAY_S, -CERTGEN_DAY_S);
	for (size_t i = 0; r == 0 && i < o->future.n; i++)
		r = issue_client(o, ca, o->future.v[i], "-not-yet-valid",
				 CERTGEN_DAY_S, 30 * CERTGEN_DAY_S);
	if (r == 0 && o->untrusted.n)
		r = ca_make(o, "sealog untrusted CA", &rogue,
			    "untrusted-ca.pem", NULL);
	for (size_t i = 0; r == 0 && i < o->untrusted.n; i++)
		r = issue_client(o, &rogue, o->untrusted.v[i], "-untrusted",
				 -3600, life);
	ca_fini(&rogue);
	return r;
}

static void print_config(const struct opts *o, const char *d)
{
	const char *c = o->clients.v[0];

	printf("# broker: server.properties\n"
	       "listeners=SSL://localhost:9093\n"
	       "ssl.keystore.type=PEM\nssl.keystore.location=%s/broker.pem\n"
	       "%s"
	       "ssl.truststore.type=PEM\nssl.truststore.location=%s/ca.pem\n"
	       "ssl.client.auth=required\n\n",
	       d,
	       o->key_password ? "ssl.key.password=<your --key-password>\n"
			       : "",
	       d);
	printf("# librdkafka / kcat (principal User:CN=%s)\n"
	       "kcat -b localhost:9093 -X security.protocol=SSL "
	       "-X ssl.ca.location=%s/ca.pem "
	       "-X ssl.certificate.location=%s/client-%s-cert.pem "
	       "-X ssl.key.location=%s/client-%s-key.pem -L\n\n",
	       c, d, d, c, d, c);
	printf("# kafka-python\n"
	       "KafkaProducer(bootstrap_servers=\"localhost:9093\", "
	       "security_protocol=\"SSL\",\n"
	       "              ssl_cafile=\"%s/ca.pem\", "
	       "ssl_certfile=\"%s/client-%s-cert.pem\",\n"
	       "              ssl_keyfile=\"%s/client-%s-key.pem\")\n\n",
	       d, d, c, d, c);
	printf(
	    "# Java: client.properties (--command-config, "
	    "Properties)\n"
	    "security.protocol=SSL\n"
	    "ssl.truststore.type=PEM\nssl.truststore.location=%s/ca.pem\n"
	    "ssl.keystore.type=PEM\nssl.keystore.location=%s/client-%s.pem\n",
	    d, d, c);
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct ca ca = {0};
	char real[PATH_MAX];
	int r;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (mkdir(o.dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "sealog-certs: cannot create %s: %s\n", o.dir,
			strerror(errno));
		return 1;
	}
	r = ca_load_or_make(&o, &ca);
	if (r >= 0 && !o.quiet)
		printf("# %s the CA in %s\n", r == 1 ? "reusing" : "created",
		       o.dir);
	if (r >= 0)
		r = issue_all(&o, &ca);
	ca_fini(&ca);
	if (r < 0)
		return 1;
	if (!o.quiet)
		print_config(&o, realpath(o.dir, real) ? real : o.dir);
	return 0;
}
