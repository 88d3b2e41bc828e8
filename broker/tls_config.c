/* tls_config.c - see tls_config.h. The only place that knows Kafka's
 * ssl.* key names; net/ gets plain paths, PEM text and flags.
 *
 * Values are trimmed as Kafka's ConfigDef trims them. Messages quote
 * Kafka's own wording where Kafka has one (store passwords with PEM,
 * ssl.client.auth), so people searching for them find the same answers.
 */
#include "broker/tls_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth/principal.h"
#include "base/log.h"
#include "broker/config.h"

#define KEY_MAX 320

/* A value and the key it came from (prefixed or plain). */
struct tls_val {
	const char *v; /* trimmed copy inside buf, or NULL when unset */
	char key[KEY_MAX];
	char *buf;
};

struct tls_ctx {
	const struct props *p;
	char lower[128]; /* the listener name, lower case */
	char *err;
	size_t errlen;
};

static void fail(struct tls_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct tls_ctx *c, const char *key, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s", key, msg);
}

/* ---- lookup --------------------------------------------------------- */

/* Values may be secrets (ssl.key.password, ssl.keystore.key): every
 * temporary copy is wiped. */
static void val_fini(struct tls_val *v)
{
	if (v->buf)
		OPENSSL_clear_free(v->buf, strlen(v->buf));
	v->buf = NULL;
	v->v = NULL;
}

static int get(struct tls_ctx *c, const char *key, struct tls_val *out)
{
	const char *raw;
	size_t n;

	snprintf(out->key, sizeof(out->key), "listener.name.%s.%s", c->lower,
		 key);
	raw = props_get(c->p, out->key);
	if (!raw) {
		snprintf(out->key, sizeof(out->key), "%s", key);
		raw = props_get(c->p, key);
	}
	out->v = NULL;
	out->buf = NULL;
	if (!raw)
		return 0;
	while (*raw && isspace((unsigned char)*raw))
		raw++;
	n = strlen(raw);
	while (n && isspace((unsigned char)raw[n - 1]))
		n--;
	out->buf = malloc(n + 1);
	if (!out->buf)
		return -ENOMEM;
	memcpy(out->buf, raw, n);
	out->buf[n] = '\0';
	out->v = out->buf;
	return 0;
}

/* The key that would be used for name (for messages about unset ones). */
static void key_for(struct tls_ctx *c, const char *name, char *out, size_t cap)
{
	struct tls_val v = {0};

	if (get(c, name, &v) == 0 && v.v) {
		snprintf(out, cap, "%s", v.key);
	} else {
		snprintf(out, cap, "%s", name);
	}
	val_fini(&v);
}

/* Move a value's string into a settings field. */
static void take(struct tls_val *v, char **field)
{
	*field = v->v && *v->v ? v->buf : NULL;
	if (*field)
		v->buf = NULL;
	val_fini(v);
}

/* ---- stores --------------------------------------------------------- */

static int check_type(struct tls_ctx *c, const char *key)
{
	struct tls_val t = {0};
	int r = get(c, key, &t);

	if (r == 0 && t.v && *t.v && strcasecmp(t.v, "PEM") != 0) {
		fail(c, t.key,
		     "%s is not supported: only PEM key material is (convert "
		     "it, e.g. openssl pkcs12 -in store.p12 -nodes, then "
		     "openssl pkcs8 -topk8 for the key)",
		     t.v);
		r = -EINVAL;
	}
	val_fini(&t);
	return r;
}

static int refuse_store_password(struct tls_ctx *c, const char *key,
				 const char *kafka_msg)
{
	struct tls_val v = {0};
	int r = get(c, key, &v);

	if (r == 0 && v.v) {
		fail(c, v.key, "%s", kafka_msg);
		r = -EINVAL;
	}
	val_fini(&v);
	return r;
}

static int keystore(struct tls_ctx *c, struct tls_settings *s)
{
	struct tls_val loc = {0}, chain = {0}, key = {0}, pw = {0};
	int r = check_type(c, "ssl.keystore.type");

	if (r == 0)
		r = refuse_store_password(
		    c, "ssl.keystore.password",
		    "SSL key store password cannot be specified with PEM "
		    "format, only key password may be specified");
	if (r < 0)
		return r;
	if (get(c, "ssl.keystore.location", &loc) < 0 ||
	    get(c, "ssl.keystore.certificate.chain", &chain) < 0 ||
	    get(c, "ssl.keystore.key", &key) < 0 ||
	    get(c, "ssl.key.password", &pw) < 0)
		r = -ENOMEM;
	take(&loc, &s->keystore_file);
	take(&chain, &s->cert_chain_pem);
	take(&key, &s->key_pem);
	take(&pw, &s->key_password);
	return r;
}

static int truststore(struct tls_ctx *c, struct tls_settings *s)
{
	struct tls_val loc = {0}, certs = {0};
	int r = check_type(c, "ssl.truststore.type");

	if (r == 0)
		r = refuse_store_password(c, "ssl.truststore.password",
					  "SSL trust store password cannot be "
					  "specified for PEM format.");
	if (r < 0)
		return r;
	if (get(c, "ssl.truststore.location", &loc) < 0 ||
	    get(c, "ssl.truststore.certificates", &certs) < 0)
		r = -ENOMEM;
	take(&loc, &s->truststore_file);
	take(&certs, &s->truststore_pem);
	return r;
}

/* ---- policy --------------------------------------------------------- */

static int client_auth(struct tls_ctx *c, struct tls_settings *s)
{
	struct tls_val v = {0};
	int r = get(c, "ssl.client.auth", &v);

	if (r == 0 && v.v) {
		if (strcasecmp(v.v, "required") == 0)
			s->client_auth = TLS_CLIENT_AUTH_REQUIRED;
		else if (strcasecmp(v.v, "requested") == 0)
			s->client_auth = TLS_CLIENT_AUTH_REQUESTED;
		else if (strcasecmp(v.v, "none") == 0)
			s->client_auth = TLS_CLIENT_AUTH_NONE;
		else {
			fail(c, v.key,
			     "Invalid value %s for configuration %s: String "
			     "must "
			     "be one of: required, requested, none",
			     v.v, v.key);
			r = -EINVAL;
		}
	}
	val_fini(&v);
	return r;
}

/* One protocol name; 0 for an empty list item. */
static int protocol_bit(struct tls_ctx *c, const char *key, const char *name,
			unsigned *bits)
{
	if (!*name)
		return 0;
	if (strcmp(name, "TLSv1.2") == 0) {
		*bits |= TLS_PROTO_TLS12;
	} else if (strcmp(name, "TLSv1.3") == 0) {
		*bits |= TLS_PROTO_TLS13;
	} else if (!strcmp(name, "TLSv1") || !strcmp(name, "TLSv1.1") ||
		   !strcmp(name, "SSLv3") || !strcmp(name, "SSLv2Hello")) {
		fail(c, key, "%s is not supported (the minimum is TLSv1.2)",
		     name);
		return -EINVAL;
	} else {
		fail(c, key, "unknown protocol %s (use TLSv1.2, TLSv1.3)",
		     name);
		return -EINVAL;
	}
	return 0;
}

static char *trim_item(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int protocols(struct tls_ctx *c, struct tls_settings *s)
{
	struct tls_val v = {0}, proto = {0};
	unsigned bits = 0;
	char *save = NULL, *tok;
	int r = get(c, "ssl.protocol", &proto);

	if (r == 0 && proto.v && strcmp(proto.v, "TLSv1.2") &&
	    strcmp(proto.v, "TLSv1.3") && strcmp(proto.v, "TLS")) {
		fail(c, proto.key,
		     "unsupported protocol %s (TLSv1.2, TLSv1.3 "
		     "or TLS)",
		     proto.v);
		r = -EINVAL;
	}
	val_fini(&proto);
	if (r == 0)
		r = get(c, "ssl.enabled.protocols", &v);
	if (r < 0 || !v.v || !*v.v) {
		val_fini(&v);
		return r;
	}
	for (tok = strtok_r(v.buf, ",", &save); tok && r == 0;
	     tok = strtok_r(NULL, ",", &save))
		r = protocol_bit(c, v.key, trim_item(tok), &bits);
	s->protocols = bits ? bits : s->protocols;
	val_fini(&v);
	return r;
}

/* Java names some suites SSL_...; IANA and OpenSSL say TLS_... */
static int ciphers(struct tls_ctx *c, struct tls_settings *s)
{
	struct tls_val v = {0};
	char *save = NULL, *tok, *out;
	size_t o = 0;
	int r = get(c, "ssl.cipher.suites", &v);

	if (r < 0 || !v.v || !*v.v) {
		val_fini(&v);
		return r;
	}
	out = malloc(strlen(v.v) * 2 + 2);
	if (!out) {
		val_fini(&v);
		return -ENOMEM;
	}
	for (tok = strtok_r(v.buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = trim_item(tok);
		if (!*tok)
			continue;
		if (strncmp(tok, "SSL_", 4) == 0)
			o += (size_t)sprintf(out + o, "%sTLS_%s", o ? "," : "",
					     tok + 4);
		else
			o +=
			    (size_t)sprintf(out + o, "%s%s", o ? "," : "", tok);
	}
	out[o] = '\0';
	s->ciphers = o ? out : NULL;
	if (!o)
		free(out);
	val_fini(&v);
	return 0;
}

static int handshake_timeout(struct tls_ctx *c, struct tls_settings *s)
{
	struct tls_val v = {0};
	char *end = NULL;
	long long ms;
	int r = get(c, "ssl.handshake.timeout.ms", &v);

	if (r == 0 && v.v) {
		errno = 0;
		ms = strtoll(v.v, &end, 10);
		if (errno || end == v.v || *end || ms < 0) {
			fail(c, v.key,
			     "Invalid value %s for configuration %s: Not a "
			     "number of type LONG >= 0",
			     v.v, v.key);
			r = -EINVAL;
		} else {
			s->handshake_timeout_ms = ms;
		}
	}
	val_fini(&v);
	return r;
}

static int refuse_engine_factory(struct tls_ctx *c)
{
	struct tls_val v = {0};
	int r = get(c, "ssl.engine.factory.class", &v);

	if (r == 0 && v.v && *v.v) {
		fail(c, v.key, "Java SSL engine factories are not supported");
		r = -EINVAL;
	}
	val_fini(&v);
	return r;
}

/* ---- entry points --------------------------------------------------- */

static void ctx_init(struct tls_ctx *c, const struct props *p,
		     const char *listener, char *err, size_t errlen)
{
	size_t i;

	c->p = p;
	c->err = err;
	c->errlen = errlen;
	for (i = 0; listener[i] && i + 1 < sizeof(c->lower); i++)
		c->lower[i] = (char)tolower((unsigned char)listener[i]);
	c->lower[i] = '\0';
	if (errlen)
		err[0] = '\0';
}

int tls_config_settings(const struct props *p, const char *listener,
			struct tls_settings *s, char *err, size_t errlen)
{
	struct tls_ctx c;
	int r;

	ctx_init(&c, p, listener, err, errlen);
	tls_settings_init(s);
	r = refuse_engine_factory(&c);
	if (r == 0)
		r = keystore(&c, s);
	if (r == 0)
		r = truststore(&c, s);
	if (r == 0)
		r = client_auth(&c, s);
	if (r == 0)
		r = protocols(&c, s);
	if (r == 0)
		r = ciphers(&c, s);
	if (r == 0)
		r = handshake_timeout(&c, s);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		tls_settings_fini(s);
	}
	return r;
}

/* The key a net/ error is about, for this listener's settings. */
static void field_key(struct tls_ctx *c, const struct tls_settings *s,
		      enum tls_field f, char *out, size_t cap)
{
	static const char *const names[] = {
	    [TLS_FIELD_KEYSTORE_FILE] = "ssl.keystore.location",
	    [TLS_FIELD_CERT_CHAIN] = "ssl.keystore.certificate.chain",
	    [TLS_FIELD_KEY] = "ssl.keystore.key",
	    [TLS_FIELD_KEY_PASSWORD] = "ssl.key.password",
	    [TLS_FIELD_TRUSTSTORE_FILE] = "ssl.truststore.location",
	    [TLS_FIELD_TRUSTSTORE_PEM] = "ssl.truststore.certificates",
	    [TLS_FIELD_CLIENT_AUTH] = "ssl.client.auth",
	    [TLS_FIELD_PROTOCOLS] = "ssl.enabled.protocols",
	    [TLS_FIELD_CIPHERS] = "ssl.cipher.suites",
	};

	/* A key problem inside the keystore file is the file's. */
	if (f == TLS_FIELD_KEY && s->keystore_file)
		f = TLS_FIELD_KEYSTORE_FILE;
	if (f == TLS_FIELD_NONE ||
	    (size_t)f >= sizeof(names) / sizeof(names[0]))
		snprintf(out, cap, "listener %s", c->lower);
	else
		key_for(c, names[f], out, cap);
}

static void report(struct tls_ctx *c, const struct tls_settings *s,
		   const struct tls_error *e)
{
	char key[KEY_MAX];

	field_key(c, s, e->field, key, sizeof(key));
	fail(c, key, "%s", e->msg);
}

int tls_config_transport(const struct props *p, const char *listener,
			 struct xprt_tls **out, char *err, size_t errlen)
{
	struct tls_settings s;
	struct tls_error e;
	struct tls_ctx c;
	int r = tls_config_settings(p, listener, &s, err, errlen);

	if (r < 0)
		return r;
	ctx_init(&c, p, listener, err, errlen);
	r = xprt_tls_create(&s, out, &e);
	if (r < 0)
		report(&c, &s, &e);
	tls_settings_fini(&s);
	return r;
}

int tls_config_reload(const struct props *p, const char *listener,
		      struct xprt_tls *t, char *err, size_t errlen)
{
	struct tls_settings s;
	struct tls_error e;
	struct tls_ctx c;
	int r = xprt_tls_reload(t, &e);

	if (r == 0)
		return 0;
	ctx_init(&c, p, listener, err, errlen);
	/* Only to name the key: the reload used t's own settings. */
	if (tls_config_settings(p, listener, &s, err, errlen) == 0) {
		report(&c, &s, &e);
		tls_settings_fini(&s);
	} else {
		snprintf(err, errlen, "%s", e.msg);
	}
	return r;
}

int tls_config_principal_rules(const struct props *p, const char *listener,
			       struct principal_rules **out, char *err,
			       size_t errlen)
{
	struct tls_val v = {0};
	struct tls_ctx c;
	char why[512];
	int r;

	ctx_init(&c, p, listener, err, errlen);
	r = get(&c, "ssl.principal.mapping.rules", &v);
	if (r == 0)
		r = principal_rules_parse(v.v, out, why, sizeof(why));
	if (r == -EINVAL)
		fail(&c, v.key, "%s", why);
	else if (r < 0)
		snprintf(err, errlen, "out of memory");
	/* As in Kafka an empty list maps nothing: say so at startup. */
	if (r == 0 && principal_rules_describe(*out, why, sizeof(why)) == 0 &&
	    strcmp(why, "[]") == 0)
		log_warn("broker",
			 "%s has no rule: every client certificate "
			 "will be refused (add DEFAULT)",
			 v.key);
	val_fini(&v);
	return r;
}
