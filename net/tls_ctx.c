/* tls_ctx.c - the server SSL_CTX from struct tls_settings.
 *
 * Key material is PEM only. Files and inline text are scanned block by
 * block with PEM_read_bio(), so text outside the BEGIN/END lines and
 * header lines are ignored (as Kafka's PEM loader does), and every block
 * kind is decided here rather than by OpenSSL's guessing: CERTIFICATE,
 * PRIVATE KEY (PKCS#8), ENCRYPTED PRIVATE KEY (PKCS#8, needs the
 * password). PKCS#1 / SEC1 keys are refused with a hint, like Kafka,
 * so a configuration that works here also works on Kafka.
 *
 * Secrets: file contents, DER key bytes and the password are wiped
 * (OPENSSL_cleanse) before they are freed; no message carries them.
 *
 * Trust: every certificate of the trust store is a trust anchor, the
 * intermediates too (X509_V_FLAG_PARTIAL_CHAIN), as in Java's PKIX
 * validation that Kafka uses.
 */
#include "net/tls_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "base/log.h"

#define TLS_FILE_MAX (4u << 20)
#define TLS_VERIFY_DEPTH 10
#define TLS_DEFAULT_HANDSHAKE_MS 10000
#define TLS_ALL_TLS13                                                          \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"                 \
	"TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_"     \
	"SHA256"

/* What one PEM text held. */
struct tls_pem {
	STACK_OF(X509) * certs;
	EVP_PKEY *key;
};

/* ---- errors --------------------------------------------------------- */

void tls_err_set(struct tls_error *err, enum tls_field field, const char *fmt,
		 ...)
{
	va_list ap;

	if (!err)
		return;
	err->field = field;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

const char *tls_ssl_reason(char *buf, size_t cap)
{
	unsigned long e = ERR_peek_last_error();

	if (e && ERR_reason_error_string(e))
		snprintf(buf, cap, "%s", ERR_reason_error_string(e));
	else if (e)
		ERR_error_string_n(e, buf, cap);
	else
		snprintf(buf, cap, "unknown error");
	ERR_clear_error();
	return buf;
}

/* ---- settings ------------------------------------------------------- */

void tls_settings_init(struct tls_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->client_auth = TLS_CLIENT_AUTH_NONE;
	s->protocols = TLS_PROTO_TLS12 | TLS_PROTO_TLS13;
	s->handshake_timeout_ms = TLS_DEFAULT_HANDSHAKE_MS;
}

static void tls_str_wipe(char **p)
{
	if (*p)
		OPENSSL_clear_free(*p, strlen(*p));
	*p = NULL;
}

void tls_settings_fini(struct tls_settings *s)
{
	tls_str_wipe(&s->key_pem);
	tls_str_wipe(&s->key_password);
	free(s->keystore_file);
	free(s->cert_chain_pem);
	free(s->truststore_file);
	free(s->truststore_pem);
	free(s->ciphers);
	tls_settings_init(s);
}

static int tls_str_dup(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int tls_settings_copy(struct tls_settings *dst, const struct tls_settings *src)
{
	*dst = *src;
	if (tls_str_dup(&dst->keystore_file, src->keystore_file) < 0 ||
	    tls_str_dup(&dst->cert_chain_pem, src->cert_chain_pem) < 0 ||
	    tls_str_dup(&dst->key_pem, src->key_pem) < 0 ||
	    tls_str_dup(&dst->key_password, src->key_password) < 0 ||
	    tls_str_dup(&dst->truststore_file, src->truststore_file) < 0 ||
	    tls_str_dup(&dst->truststore_pem, src->truststore_pem) < 0 ||
	    tls_str_dup(&dst->ciphers, src->ciphers) < 0) {
		tls_settings_fini(dst);
		return -ENOMEM;
	}
	return 0;
}

/* ---- files ---------------------------------------------------------- */

static int tls_fd_read(int fd, char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

/* Read a whole PEM file into a NUL-terminated buffer the caller frees
 * with OPENSSL_clear_free(*data, *len). */
static int tls_file_read(const char *path, bool secret, char **data,
			 size_t *len, struct tls_error *err, enum tls_field f)
{
	struct stat st;
	char *buf = NULL;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		tls_err_set(err, f, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > TLS_FILE_MAX) {
		tls_err_set(err, f,
			    "%s: not a regular file of at most %u bytes", path,
			    TLS_FILE_MAX);
		r = -EINVAL;
		goto out;
	}
	if (secret && (st.st_mode & 077))
		log_warn("net",
			 "%s holds a private key and is readable by "
			 "group or others (chmod 600 it)",
			 path);
	buf = malloc((size_t)st.st_size + 1);
	r = buf ? tls_fd_read(fd, buf, (size_t)st.st_size) : -ENOMEM;
	if (r < 0) {
		tls_err_set(err, f, "cannot read %s: %s", path, strerror(-r));
		OPENSSL_clear_free(buf, (size_t)st.st_size + 1);
		goto out;
	}
	buf[st.st_size] = '\0';
	*data = buf;
	*len = (size_t)st.st_size + 1;
out:
	close(fd);
	return r;
}

/* ---- PEM blocks ----------------------------------------------------- */

static void tls_pem_fini(struct tls_pem *pem)
{
	sk_X509_pop_free(pem->certs, X509_free);
	EVP_PKEY_free(pem->key);
	pem->certs = NULL;
	pem->key = NULL;
}

static int tls_pem_add_cert(struct tls_pem *pem, const unsigned char *der,
			    long len, bool aux)
{
	const unsigned char *p = der;
	X509 *x = aux ? d2i_X509_AUX(NULL, &p, len) : d2i_X509(NULL, &p, len);

	if (!x)
		return -EINVAL;
	if (!pem->certs)
		pem->certs = sk_X509_new_null();
	if (!pem->certs || !sk_X509_push(pem->certs, x)) {
		X509_free(x);
		return -ENOMEM;
	}
	return 0;
}

static EVP_PKEY *tls_pkcs8_decrypt(const unsigned char *der, long len,
				   const char *password)
{
	const unsigned char *p = der;
	X509_SIG *sig = d2i_X509_SIG(NULL, &p, len);
	PKCS8_PRIV_KEY_INFO *inf = NULL;
	EVP_PKEY *key = NULL;

	if (sig)
		inf = PKCS8_decrypt(sig, password, (int)strlen(password));
	if (inf)
		key = EVP_PKCS82PKEY(inf);
	PKCS8_PRIV_KEY_INFO_free(inf);
	X509_SIG_free(sig);
	return key;
}

static EVP_PKEY *tls_pkcs8_plain(const unsigned char *der, long len)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *inf = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
	EVP_PKEY *key = inf ? EVP_PKCS82PKEY(inf) : NULL;

	PKCS8_PRIV_KEY_INFO_free(inf);
	return key;
}

static int tls_pem_add_key(struct tls_pem *pem, const char *name,
			   const unsigned char *der, long len,
			   const char *password, const char *src,
			   struct tls_error *err, enum tls_field f)
{
	char why[160];
	EVP_PKEY *key;

	if (pem->key) {
		tls_err_set(err, f, "%s holds more than one private key", src);
		return -EINVAL;
	}
	if (strcmp(name, PEM_STRING_PKCS8) == 0 && !password) {
		tls_err_set(err, TLS_FIELD_KEY_PASSWORD,
			    "the private key in %s is encrypted and no key "
			    "password is set",
			    src);
		return -EINVAL;
	}
	key = strcmp(name, PEM_STRING_PKCS8) == 0
		  ? tls_pkcs8_decrypt(der, len, password)
		  : tls_pkcs8_plain(der, len);
	if (!key) {
		tls_ssl_reason(why, sizeof(why));
		if (strcmp(name, PEM_STRING_PKCS8) == 0)
			tls_err_set(err, TLS_FIELD_KEY_PASSWORD,
				    "cannot decrypt the private key in %s "
				    "(wrong key password?): %s",
				    src, why);
		else
			tls_err_set(err, f, "bad PKCS#8 private key in %s: %s",
				    src, why);
		return -EINVAL;
	}
	pem->key = key;
	return 0;
}

static bool tls_pem_is_legacy_key(const char *name)
{
	return strcmp(name, PEM_STRING_RSA) == 0 ||
	       strcmp(name, PEM_STRING_ECPRIVATEKEY) == 0 ||
	       strcmp(name, PEM_STRING_DSA) == 0;
}

static int tls_pem_block(struct tls_pem *pem, const char *name,
			 const unsigned char *der, long len,
			 const char *password, const char *src,
			 struct tls_error *err, enum tls_field f)
{
	int r = 0;

	if (strcmp(name, PEM_STRING_X509) == 0 ||
	    strcmp(name, PEM_STRING_X509_OLD) == 0 ||
	    strcmp(name, PEM_STRING_X509_TRUSTED) == 0) {
		r = tls_pem_add_cert(
		    pem, der, len, strcmp(name, PEM_STRING_X509_TRUSTED) == 0);
		if (r < 0)
			tls_err_set(err, f, "bad certificate in %s", src);
	} else if (strcmp(name, PEM_STRING_PKCS8INF) == 0 ||
		   strcmp(name, PEM_STRING_PKCS8) == 0) {
		r = tls_pem_add_key(pem, name, der, len, password, src, err, f);
	} else if (tls_pem_is_legacy_key(name)) {
		tls_err_set(err, f,
			    "%s holds a \"BEGIN %s\" key: only PKCS#8 keys are "
			    "accepted (as Kafka); convert it with: openssl "
			    "pkcs8 -topk8 -in key.pem -out key-pkcs8.pem",
			    src, name);
		r = -EINVAL;
	} else {
		log_debug("net", "%s: ignoring PEM block \"%s\"", src, name);
	}
	return r;
}

/* Scan every PEM block of text (len bytes). src names it in messages. */
static int tls_pem_scan(const char *text, size_t len, const char *password,
			const char *src, struct tls_pem *pem,
			struct tls_error *err, enum tls_field f)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	char *name = NULL, *header = NULL, why[160];
	unsigned char *der = NULL;
	long derlen = 0;
	int r = 0, blocks = 0;

	if (!bio || len > INT32_MAX)
		r = -ENOMEM;
	ERR_clear_error();
	while (r == 0 && PEM_read_bio(bio, &name, &header, &der, &derlen)) {
		blocks++;
		r = tls_pem_block(pem, name, der, derlen, password, src, err,
				  f);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(der, (size_t)derlen);
		name = header = NULL;
		der = NULL;
	}
	if (r == 0 &&
	    ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		tls_err_set(err, f, "malformed PEM in %s: %s", src,
			    tls_ssl_reason(why, sizeof(why)));
		r = -EINVAL;
	} else if (r == 0 && blocks == 0) {
		tls_err_set(err, f, "no PEM data in %s", src);
		r = -EINVAL;
	}
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

/* PEM from a file (path) or inline text; exactly one is non-NULL. */
static int tls_pem_load(const char *path, const char *inline_pem,
			const char *inline_name, const char *password,
			struct tls_pem *pem, struct tls_error *err,
			enum tls_field f)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return tls_pem_scan(inline_pem, strlen(inline_pem), password,
				    inline_name, pem, err, f);
	r = tls_file_read(path, password || f == TLS_FIELD_KEYSTORE_FILE, &data,
			  &len, err, f);
	if (r == 0)
		r = tls_pem_scan(data, len - 1, password, path, pem, err, f);
	OPENSSL_clear_free(data, len);
	return r;
}

/* ---- identity and trust --------------------------------------------- */

static void tls_warn_validity(X509 *leaf, const char *src)
{
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0)
		log_warn("net", "the certificate in %s has expired", src);
	else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0)
		log_warn("net", "the certificate in %s is not valid yet", src);
}

/* The key and the chain from the keystore file, or from the inline chain
 * and the inline key. */
static int tls_identity_load(const struct tls_settings *s, struct tls_pem *pem,
			     struct tls_error *err)
{
	struct tls_pem key = {0};
	int r;

	if (s->keystore_file)
		return tls_pem_load(s->keystore_file, NULL, NULL,
				    s->key_password, pem, err,
				    TLS_FIELD_KEYSTORE_FILE);
	r = tls_pem_load(NULL, s->cert_chain_pem,
			 "the inline certificate chain", NULL, pem, err,
			 TLS_FIELD_CERT_CHAIN);
	if (r == 0 && pem->key) {
		tls_err_set(err, TLS_FIELD_CERT_CHAIN,
			    "the inline certificate chain holds a private key");
		r = -EINVAL;
	}
	if (r == 0) {
		r = tls_pem_load(NULL, s->key_pem, "the inline private key",
				 s->key_password, &key, err, TLS_FIELD_KEY);
		pem->key = key.key;
		key.key = NULL;
	}
	tls_pem_fini(&key);
	return r;
}

static int tls_identity_check(const struct tls_settings *s,
			      const struct tls_pem *pem, struct tls_error *err)
{
	const char *src = s->keystore_file ? s->keystore_file
					   : "the inline certificate chain";
	bool file = s->keystore_file != NULL;

	if (!pem->key) {
		tls_err_set(err, file ? TLS_FIELD_KEYSTORE_FILE : TLS_FIELD_KEY,
			    "no PKCS#8 private key in %s",
			    file ? src : "the inline private key");
		return -EINVAL;
	}
	if (!pem->certs || sk_X509_num(pem->certs) == 0) {
		tls_err_set(
		    err, file ? TLS_FIELD_KEYSTORE_FILE : TLS_FIELD_CERT_CHAIN,
		    "no certificate in %s", src);
		return -EINVAL;
	}
	if (!X509_check_private_key(sk_X509_value(pem->certs, 0), pem->key)) {
		ERR_clear_error();
		tls_err_set(err, file ? TLS_FIELD_KEYSTORE_FILE : TLS_FIELD_KEY,
			    "the private key does not match the first "
			    "certificate of %s",
			    src);
		return -EINVAL;
	}
	return 0;
}

/* The first certificate is the leaf, the others its chain. */
static int tls_ctx_identity(SSL_CTX *ctx, const struct tls_settings *s,
			    struct tls_error *err)
{
	struct tls_pem pem = {0};
	STACK_OF(X509) *rest = NULL;
	char why[160];
	int r;

	r = tls_identity_load(s, &pem, err);
	if (r == 0)
		r = tls_identity_check(s, &pem, err);
	if (r == 0) {
		rest = sk_X509_dup(pem.certs);
		r = rest ? 0 : -ENOMEM;
	}
	if (r == 0) {
		(void)sk_X509_shift(rest);
		if (!SSL_CTX_use_cert_and_key(ctx, sk_X509_value(pem.certs, 0),
					      pem.key, rest, 1)) {
			tls_err_set(err,
				    s->keystore_file ? TLS_FIELD_KEYSTORE_FILE
						     : TLS_FIELD_CERT_CHAIN,
				    "cannot use the key and certificates: %s",
				    tls_ssl_reason(why, sizeof(why)));
			r = -EINVAL;
		}
	}
	if (r == 0)
		tls_warn_validity(sk_X509_value(pem.certs, 0),
				  s->keystore_file ? s->keystore_file
						   : "the inline chain");
	sk_X509_free(rest);
	tls_pem_fini(&pem);
	return r;
}

static int tls_ctx_trust(SSL_CTX *ctx, const struct tls_settings *s,
			 struct tls_error *err)
{
	enum tls_field f = s->truststore_file ? TLS_FIELD_TRUSTSTORE_FILE
					      : TLS_FIELD_TRUSTSTORE_PEM;
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	struct tls_pem pem = {0};
	int r;

	r = tls_pem_load(s->truststore_file, s->truststore_pem,
			 "the inline trust store", NULL, &pem, err, f);
	if (r == 0 && (!pem.certs || sk_X509_num(pem.certs) == 0)) {
		tls_err_set(err, f, "%s holds no certificate",
			    s->truststore_file ? s->truststore_file
					       : "the inline trust store");
		r = -EINVAL;
	}
	for (int i = 0; r == 0 && i < sk_X509_num(pem.certs); i++) {
		X509 *ca = sk_X509_value(pem.certs, i);

		if (!X509_STORE_add_cert(store, ca) ||
		    !SSL_CTX_add_client_CA(ctx, ca))
			r = -ENOMEM;
	}
	ERR_clear_error();
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	tls_pem_fini(&pem);
	return r;
}

/* Depth 0 is the client's own certificate: refuse ambiguous subjects
 * before any principal is derived from them. */
static int tls_verify_cb(int ok, X509_STORE_CTX *x)
{
	X509 *cert;

	if (!ok || X509_STORE_CTX_get_error_depth(x) != 0)
		return ok;
	cert = X509_STORE_CTX_get_current_cert(x);
	if (cert && tls_dn_check_unambiguous(X509_get_subject_name(cert)) < 0) {
		log_info("net",
			 "client certificate refused: ambiguous subject "
			 "(several CNs, a CN in a multi-valued RDN, or a "
			 "NUL byte)");
		X509_STORE_CTX_set_error(x,
					 X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return ok;
}

static void tls_ctx_verify(SSL_CTX *ctx, enum tls_client_auth auth)
{
	int mode = SSL_VERIFY_NONE;

	if (auth == TLS_CLIENT_AUTH_REQUESTED)
		mode = SSL_VERIFY_PEER;
	else if (auth == TLS_CLIENT_AUTH_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, mode ? tls_verify_cb : NULL);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
}

/* ---- protocols and ciphers ------------------------------------------ */

static const SSL_CIPHER *tls_cipher_find(STACK_OF(SSL_CIPHER) * all,
					 const char *name)
{
	for (int i = 0; i < sk_SSL_CIPHER_num(all); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(all, i);
		const char *std = SSL_CIPHER_standard_name(c);

		if ((std && strcmp(std, name) == 0) ||
		    strcmp(SSL_CIPHER_get_name(c), name) == 0)
			return c;
	}
	return NULL;
}

static bool tls_list_add(char *list, size_t cap, const char *name)
{
	size_t len = strlen(list);
	int n = snprintf(list + len, cap - len, "%s%s", len ? ":" : "", name);

	return n >= 0 && (size_t)n < cap - len;
}

/* Sort the named suites into a TLS 1.3 and a TLS 1.2 list (OpenSSL
 * names). Every name must be a suite this OpenSSL can use. */
static int tls_ciphers_split(const char *names, char *v13, char *v12,
			     size_t cap, struct tls_error *err)
{
	SSL_CTX *all_ctx = SSL_CTX_new(TLS_method());
	char *copy = strdup(names), *save = NULL, *tok;
	int r = all_ctx && copy ? 0 : -ENOMEM;

	if (r == 0 && (!SSL_CTX_set_cipher_list(all_ctx, "ALL") ||
		       !SSL_CTX_set_ciphersuites(all_ctx, TLS_ALL_TLS13)))
		r = -ENOMEM;
	v13[0] = v12[0] = '\0';
	for (tok = r ? NULL : strtok_r(copy, ",: \t", &save); tok && r == 0;
	     tok = strtok_r(NULL, ",: \t", &save)) {
		const SSL_CIPHER *c =
		    tls_cipher_find(SSL_CTX_get_ciphers(all_ctx), tok);
		bool is13 =
		    c && strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0;

		if (!c) {
			tls_err_set(err, TLS_FIELD_CIPHERS,
				    "unknown or disabled cipher suite %s", tok);
			r = -EINVAL;
		} else if (!tls_list_add(is13 ? v13 : v12, cap,
					 SSL_CIPHER_get_name(c))) {
			tls_err_set(err, TLS_FIELD_CIPHERS,
				    "too many cipher suites");
			r = -EINVAL;
		}
	}
	ERR_clear_error();
	free(copy);
	SSL_CTX_free(all_ctx);
	return r;
}

static int tls_ctx_ciphers(SSL_CTX *ctx, const char *names, unsigned *protos,
			   struct tls_error *err)
{
	char v13[4096], v12[4096];
	int r = tls_ciphers_split(names, v13, v12, sizeof(v12), err);

	if (r < 0)
		return r;
	if (!v12[0] && (*protos & TLS_PROTO_TLS12) && v13[0]) {
		log_warn("net", "no TLS 1.2 cipher suite listed: TLS 1.2 off");
		*protos &= ~TLS_PROTO_TLS12;
	}
	if (!v13[0] && (*protos & TLS_PROTO_TLS13) && v12[0]) {
		log_warn("net", "no TLS 1.3 cipher suite listed: TLS 1.3 off");
		*protos &= ~TLS_PROTO_TLS13;
	}
	if (!*protos || (!v12[0] && !v13[0])) {
		tls_err_set(err, TLS_FIELD_CIPHERS,
			    "no cipher suite left for the enabled protocols");
		return -EINVAL;
	}
	if (!SSL_CTX_set_ciphersuites(ctx, v13) ||
	    (v12[0] && !SSL_CTX_set_cipher_list(ctx, v12))) {
		ERR_clear_error();
		tls_err_set(err, TLS_FIELD_CIPHERS, "cipher suites refused");
		return -EINVAL;
	}
	return 0;
}

static int tls_ctx_protocols(SSL_CTX *ctx, unsigned protos,
			     struct tls_error *err)
{
	int lo = protos & TLS_PROTO_TLS12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	int hi = protos & TLS_PROTO_TLS13 ? TLS1_3_VERSION : TLS1_2_VERSION;

	if (!(protos & (TLS_PROTO_TLS12 | TLS_PROTO_TLS13))) {
		tls_err_set(err, TLS_FIELD_PROTOCOLS, "no protocol enabled");
		return -EINVAL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, lo) ||
	    !SSL_CTX_set_max_proto_version(ctx, hi)) {
		ERR_clear_error();
		tls_err_set(err, TLS_FIELD_PROTOCOLS, "protocol range refused");
		return -EINVAL;
	}
	return 0;
}

/* ---- the context ---------------------------------------------------- */

static int tls_ctx_check(const struct tls_settings *s, struct tls_error *err)
{
	if (!s->keystore_file == !(s->cert_chain_pem || s->key_pem)) {
		tls_err_set(err, TLS_FIELD_KEYSTORE_FILE,
			    s->keystore_file
				? "give either a keystore file or "
				  "an inline chain and key, not both"
				: "no keystore: a server key and "
				  "certificate chain are needed");
		return -EINVAL;
	}
	if (!s->keystore_file && (!s->cert_chain_pem || !s->key_pem)) {
		tls_err_set(err,
			    s->key_pem ? TLS_FIELD_CERT_CHAIN : TLS_FIELD_KEY,
			    "an inline certificate chain needs an inline key "
			    "and the reverse");
		return -EINVAL;
	}
	if (s->truststore_file && s->truststore_pem) {
		tls_err_set(err, TLS_FIELD_TRUSTSTORE_FILE,
			    "give either a trust store file or inline "
			    "certificates, not both");
		return -EINVAL;
	}
	if (s->client_auth != TLS_CLIENT_AUTH_NONE && !s->truststore_file &&
	    !s->truststore_pem) {
		tls_err_set(err, TLS_FIELD_TRUSTSTORE_FILE,
			    "client authentication needs a trust store");
		return -EINVAL;
	}
	return 0;
}

static void tls_ctx_policy(SSL_CTX *ctx)
{
	static const unsigned char sid_ctx[] = "sealog";

	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_NO_COMPRESSION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Idle connections keep no 34 KiB read/write buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_max_early_data(ctx, 0);
	SSL_CTX_set_dh_auto(ctx, 1);
	/* Resumed sessions of authenticated clients need an id context. */
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
}

int tls_ctx_build(const struct tls_settings *s, SSL_CTX **out,
		  struct tls_error *err)
{
	unsigned protos =
	    s->protocols ? s->protocols : TLS_PROTO_TLS12 | TLS_PROTO_TLS13;
	SSL_CTX *ctx = NULL;
	int r;

	tls_err_set(err, TLS_FIELD_NONE, "%s", "");
	r = tls_ctx_check(s, err);
	if (r == 0) {
		ctx = SSL_CTX_new(TLS_server_method());
		r = ctx ? 0 : -ENOMEM;
	}
	if (r == 0) {
		tls_ctx_policy(ctx);
		r = s->ciphers ? tls_ctx_ciphers(ctx, s->ciphers, &protos, err)
			       : 0;
	}
	if (r == 0)
		r = tls_ctx_protocols(ctx, protos, err);
	if (r == 0)
		r = tls_ctx_identity(ctx, s, err);
	if (r == 0 && (s->truststore_file || s->truststore_pem))
		r = tls_ctx_trust(ctx, s, err);
	if (r == 0)
		tls_ctx_verify(ctx, s->client_auth);
	ERR_clear_error();
	if (r < 0) {
		if (err && !err->msg[0])
			tls_err_set(err, TLS_FIELD_NONE, "%s", strerror(-r));
		SSL_CTX_free(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}
