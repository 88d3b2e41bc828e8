/* kconfig.c - sealog-acls' admin client properties (see kclient.h). */
#include "tools/sealog-acls/kclient.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "broker/config.h"

#define PROPS_MAX (1u << 20)

static const char *get(const struct kclient_config *c, const char *key)
{
	const char *v = props_get(c->props, key);

	return v && v[0] ? v : NULL;
}

static int get_int(const struct kclient_config *c, const char *key, int def,
		   int *out, char *err, size_t errlen)
{
	const char *v = get(c, key);
	int32_t n;

	*out = def;
	if (!v)
		return 0;
	if (config_int_parse(v, &n) == 0 && n >= 0) {
		*out = n;
		return 0;
	}
	snprintf(err, errlen, "Invalid value %s for configuration %s", v, key);
	return -EINVAL;
}

static int parse_proto(struct kclient_config *c, char *err, size_t errlen)
{
	static const char *const names[] = {"PLAINTEXT", "SSL",
					    "SASL_PLAINTEXT", "SASL_SSL"};
	const char *v = get(c, "security.protocol");

	c->proto = KC_PLAINTEXT;
	if (!v)
		return 0;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(v, names[i]) == 0) {
			c->proto = (enum kc_proto)i;
			return 0;
		}
	snprintf(err, errlen,
		 "Invalid value %s for configuration security.protocol: String "
		 "must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
		 v);
	return -EINVAL;
}

static int parse_tls(struct kclient_config *c, char *err, size_t errlen)
{
	static const char *const types[] = {"ssl.truststore.type",
					    "ssl.keystore.type"};
	const char *alg =
	    props_get(c->props, "ssl.endpoint.identification.algorithm");

	for (int i = 0; i < 2; i++) {
		const char *t = get(c, types[i]);
		if (t && strcasecmp(t, "PEM") != 0) {
			snprintf(
			    err, errlen,
			    "Invalid value %s for configuration %s: "
			    "sealog-acls reads PEM stores only (set %s=PEM)",
			    t, types[i], types[i]);
			return -EINVAL;
		}
	}
	c->tls.truststore_file = get(c, "ssl.truststore.location");
	c->tls.truststore_pem = get(c, "ssl.truststore.certificates");
	c->tls.keystore_file = get(c, "ssl.keystore.location");
	c->tls.key_pem = get(c, "ssl.keystore.key");
	c->tls.chain_pem = get(c, "ssl.keystore.certificate.chain");
	c->tls.key_password = get(c, "ssl.key.password");
	/* Kafka's default is https; an empty value turns the check off. */
	c->tls.verify_hostname = !alg || strcasecmp(alg, "https") == 0;
	if (alg && alg[0] && strcasecmp(alg, "https") != 0) {
		snprintf(err, errlen,
			 "Invalid value %s for configuration "
			 "ssl.endpoint.identification.algorithm: use https or "
			 "an empty value",
			 alg);
		return -EINVAL;
	}
	return 0;
}

static int parse_sasl(struct kclient_config *c, char *err, size_t errlen)
{
	const char *jaas = get(c, "sasl.jaas.config");

	if (c->proto != KC_SASL_PLAINTEXT && c->proto != KC_SASL_SSL)
		return 0;
	c->mechanism = get(c, "sasl.mechanism");
	if (!c->mechanism)
		c->mechanism = "GSSAPI"; /* Kafka's default */
	if (strcmp(c->mechanism, "PLAIN") != 0 &&
	    strcmp(c->mechanism, "SCRAM-SHA-256") != 0 &&
	    strcmp(c->mechanism, "SCRAM-SHA-512") != 0) {
		snprintf(err, errlen,
			 "Unsupported sasl.mechanism %s: sealog-acls supports "
			 "PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512",
			 c->mechanism);
		return -EINVAL;
	}
	if (!jaas || kclient_jaas_parse(jaas, &c->username, &c->password)) {
		snprintf(err, errlen,
			 "Could not find a 'KafkaClient' entry in the JAAS "
			 "configuration: sasl.jaas.config must set "
			 "username=\"...\" and password=\"...\"");
		return -EINVAL;
	}
	return 0;
}

int kclient_config_init(struct kclient_config *c, const char *bootstrap,
			const char *command_config, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->props = props_new();
	if (!c->props)
		return -ENOMEM;
	c->bootstrap = bootstrap;
	rc = command_config ? props_load_file(c->props, command_config,
					      PROPS_MAX, err, errlen)
			    : 0;
	if (!rc)
		rc = parse_proto(c, err, errlen);
	if (!rc)
		rc = parse_tls(c, err, errlen);
	if (!rc)
		rc = parse_sasl(c, err, errlen);
	if (!rc)
		rc = get_int(c, "request.timeout.ms", 30000,
			     &c->request_timeout_ms, err, errlen);
	if (!rc)
		rc = get_int(c, "default.api.timeout.ms", 60000,
			     &c->api_timeout_ms, err, errlen);
	if (!rc)
		rc = get_int(c, "retry.backoff.ms", 100, &c->retry_backoff_ms,
			     err, errlen);
	c->client_id = get(c, "client.id");
	if (!c->client_id)
		c->client_id = "sealog-acls";
	if (rc)
		kclient_config_fini(c);
	return rc;
}

void kclient_config_fini(struct kclient_config *c)
{
	if (c->password) {
		OPENSSL_cleanse(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->username);
	/* props hold sasl.jaas.config and ssl.key.password: the secrets
	 * there go with the process; props_free does not wipe. */
	props_free(c->props);
	memset(c, 0, sizeof(*c));
}

/* --- sasl.jaas.config ----------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* A value: "quoted" (with \ escapes) or a bare token. */
static char *jaas_value(const char **pp)
{
	const char *p = *pp;
	size_t n = strlen(p);
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			*o++ = *p;
		}
		if (*p != '"') {
			free(out);
			return NULL;
		}
		p++;
	} else {
		while (*p && *p != ' ' && *p != ';' && *p != '\t' && *p != '\n')
			*o++ = *p++;
	}
	*o = '\0';
	*pp = p;
	return out;
}

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* <LoginModule> <flag> (key=value)* ; */
int kclient_jaas_parse(const char *jaas, char **username, char **password)
{
	const char *p = skip_ws(jaas);
	char *user = NULL, *pass = NULL;

	for (int word = 0; word < 2; word++) { /* module class, flag */
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != ';')
			p++;
		p = skip_ws(p);
	}
	while (*p && *p != ';') {
		const char *key = p, *eq = strchr(p, '='), *kend;
		char *v;
		if (!eq)
			break;
		for (kend = eq;
		     kend > key && (kend[-1] == ' ' || kend[-1] == '\t');)
			kend--;
		size_t klen = (size_t)(kend - key);
		p = skip_ws(eq + 1);
		v = jaas_value(&p);
		if (!v)
			break;
		if (klen == 8 && strncmp(key, "username", 8) == 0) {
			free(user);
			user = v;
		} else if (klen == 8 && strncmp(key, "password", 8) == 0) {
			wipe_free(pass);
			pass = v;
		} else {
			wipe_free(v);
		}
		p = skip_ws(p);
	}
	if (*p != ';' || !user || !pass) {
		free(user);
		wipe_free(pass);
		return -EINVAL;
	}
	*username = user;
	*password = pass;
	return 0;
}
