/* certgen.c - see certgen.h.
 *
 * Extensions follow what clients check: a CA has basicConstraints
 * critical CA:TRUE and keyUsage keyCertSign + cRLSign; a leaf has
 * CA:FALSE, keyUsage digitalSignature (+ keyEncipherment for RSA), the
 * requested extendedKeyUsage and subjectAltName (hostname verification
 * in librdkafka, Java and kafka-python reads only SANs).
 */
#include "tools/sealog-certs/certgen.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

EVP_PKEY *certgen_key_new(enum certgen_key_type type)
{
	if (type == CERTGEN_KEY_RSA)
		return EVP_RSA_gen(2048);
	return EVP_EC_gen("P-256");
}

/* ---- extensions ----------------------------------------------------- */

static int certgen_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EINVAL;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

static int certgen_san_push(GENERAL_NAMES *names, int type, const char *v)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_STRING *s;

	if (!gn)
		return -ENOMEM;
	if (type == GEN_IPADD) {
		s = a2i_IPADDRESS(v);
	} else {
		s = ASN1_IA5STRING_new();
		if (s && !ASN1_STRING_set(s, v, (int)strlen(v))) {
			ASN1_STRING_free(s);
			s = NULL;
		}
	}
	if (!s) {
		GENERAL_NAME_free(gn);
		return -EINVAL;
	}
	GENERAL_NAME_set0_value(gn, type, s);
	if (!sk_GENERAL_NAME_push(names, gn)) {
		GENERAL_NAME_free(gn);
		return -ENOMEM;
	}
	return 0;
}

static int certgen_san(X509 *x, const struct certgen_spec *s)
{
	GENERAL_NAMES *names;
	int r = 0;

	if (!s->ndns && !s->nips)
		return 0;
	names = sk_GENERAL_NAME_new_null();
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < s->ndns && r == 0; i++)
		r = certgen_san_push(names, GEN_DNS, s->dns[i]);
	for (size_t i = 0; i < s->nips && r == 0; i++)
		r = certgen_san_push(names, GEN_IPADD, s->ips[i]);
	if (r == 0 && !X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, 0))
		r = -ENOMEM;
	GENERAL_NAMES_free(names);
	return r;
}

static int certgen_exts(X509 *x, X509 *issuer, const struct certgen_spec *s,
			EVP_PKEY *key)
{
	char eku[64] = "";
	int r;

	if (s->is_ca) {
		r = certgen_ext(x, issuer, NID_basic_constraints,
				"critical,CA:TRUE");
		if (r == 0)
			r = certgen_ext(x, issuer, NID_key_usage,
					"critical,keyCertSign,cRLSign");
	} else {
		r = certgen_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		if (r == 0)
			r = certgen_ext(x, issuer, NID_key_usage,
					EVP_PKEY_is_a(key, "RSA")
					    ? "critical,digitalSignature,"
					      "keyEncipherment"
					    : "critical,digitalSignature");
	}
	if (s->eku & CERTGEN_EKU_SERVER)
		strcat(eku, "serverAuth");
	if (s->eku & CERTGEN_EKU_CLIENT)
		strcat(eku, eku[0] ? ",clientAuth" : "clientAuth");
	if (r == 0 && eku[0])
		r = certgen_ext(x, issuer, NID_ext_key_usage, eku);
	if (r == 0)
		r = certgen_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (r == 0 && issuer)
		r = certgen_ext(x, issuer, NID_authority_key_identifier,
				"keyid:always");
	if (r == 0)
		r = certgen_san(x, s);
	return r;
}

/* ---- certificates --------------------------------------------------- */

static int certgen_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = bn && BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));

	BN_free(bn);
	return ok ? 0 : -ENOMEM;
}

static int certgen_subject(X509 *x, const struct certgen_spec *s)
{
	X509_NAME *name;
	int ok = 1;

	if (s->subject)
		return X509_set_subject_name(x, s->subject) ? 0 : -ENOMEM;
	name = X509_get_subject_name(x);
	if (s->org)
		ok = X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
						(const unsigned char *)s->org,
						-1, -1, 0);
	if (ok && s->cn)
		ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
						(const unsigned char *)s->cn,
						-1, -1, 0);
	return ok ? 0 : -EINVAL;
}

X509 *certgen_issue(const struct certgen_spec *spec, EVP_PKEY *key,
		    X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	int r = x ? 0 : -ENOMEM;

	if (r == 0 &&
	    (!X509_set_version(x, 2) || !X509_set_pubkey(x, key) ||
	     !X509_gmtime_adj(X509_getm_notBefore(x),
			      (long)spec->not_before_s) ||
	     !X509_gmtime_adj(X509_getm_notAfter(x), (long)spec->not_after_s)))
		r = -ENOMEM;
	if (r == 0)
		r = certgen_serial(x);
	if (r == 0)
		r = certgen_subject(x, spec);
	if (r == 0 && !X509_set_issuer_name(
			  x, X509_get_subject_name(issuer ? issuer : x)))
		r = -ENOMEM;
	if (r == 0)
		r = certgen_exts(x, issuer, spec, key);
	if (r == 0 && !X509_sign(x, issuer ? issuer_key : key, EVP_sha256()))
		r = -EINVAL;
	if (r < 0) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	return x;
}

/* ---- PEM ------------------------------------------------------------ */

static char *certgen_bio_str(BIO *bio)
{
	char *data = NULL, *out;
	long n = BIO_get_mem_data(bio, &data);

	if (n < 0)
		return NULL;
	out = malloc((size_t)n + 1);
	if (!out)
		return NULL;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

char *certgen_cert_pem(X509 *const *certs, size_t n)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL;
	size_t i;

	for (i = 0; bio && i < n; i++)
		if (!PEM_write_bio_X509(bio, certs[i]))
			break;
	if (bio && i == n)
		out = certgen_bio_str(bio);
	BIO_free(bio);
	return out;
}

char *certgen_key_pem(EVP_PKEY *key, const char *password, bool legacy)
{
	BIO *bio = BIO_new(BIO_s_mem()); /* freed memory is wiped */
	char *out = NULL;
	int ok;

	if (!bio)
		return NULL;
	if (legacy)
		ok = PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL,
							  0, NULL, NULL);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(
		    bio, key, password ? EVP_aes_256_cbc() : NULL, NULL, 0,
		    NULL, (void *)password);
	if (ok)
		out = certgen_bio_str(bio);
	BIO_free(bio);
	ERR_clear_error();
	return out;
}

void certgen_pem_free(char *pem)
{
	if (pem)
		OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
}

/* ---- files ---------------------------------------------------------- */

static int certgen_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int certgen_write_file(const char *path, const char *text, mode_t mode)
{
	char tmp[4096];
	int fd, r;

	if (!text)
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	r = fchmod(fd, mode) < 0 ? -errno : 0; /* whatever the umask */
	if (r == 0)
		r = certgen_write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

X509 *certgen_read_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (!f)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		errno = EINVAL;
	ERR_clear_error();
	return x;
}

EVP_PKEY *certgen_read_key(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
	fclose(f);
	if (!k)
		errno = EINVAL;
	ERR_clear_error();
	return k;
}
