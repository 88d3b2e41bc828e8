/* auth_config.c - each listener's security from Kafka's keys (see
 * auth.h): TLS transports and principal rules (through tls_config.c),
 * SASL mechanisms and PLAIN users from JAAS, the SCRAM store.
 *
 * Values are trimmed as Kafka's ConfigDef trims them. JAAS values may be
 * passwords: nothing here logs a value of a jaas.config key, and the
 * parsed JAAS trees are wiped as soon as the users are copied into the
 * authenticator (which keeps only MACs of the passwords).
 */
#include "broker/auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/credstore.h"
#include "auth/principal.h"
#include "auth/sasl.h"
#include "auth/sasl_jaas.h"
#include "base/log.h"
#include "broker/tls_config.h"
#include "net/tls.h"
#include "storage/keyring.h"

#define LOGC "kafka.server.KafkaConfig"
#define KEY_MAX 320

struct auth_load {
	const struct broker_config *cfg;
	const struct listener_cfg *lc;
	char lower[64];
	struct jaas_config *file; /* KAFKA_OPTS' JAAS file, read once */
	bool file_read;
	char *err;
	size_t errlen;
};

static int fail(struct auth_load *l, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct auth_load *l, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* The listener-prefixed key if set, else the plain one; *key says which. */
static const char *get(const struct auth_load *l, const char *name, char *key)
{
	const char *v;

	snprintf(key, KEY_MAX, "listener.name.%s.%s", l->lower, name);
	v = props_get(l->cfg->props, key);
	if (!v) {
		snprintf(key, KEY_MAX, "%s", name);
		v = props_get(l->cfg->props, key);
	}
	return v;
}

/* A trimmed integer in [min, max]; absent = def. */
static int get_long(struct auth_load *l, const char *name, int64_t def,
		    int64_t min, int64_t max, int64_t *out)
{
	char key[KEY_MAX], buf[32];
	const char *v = get(l, name, key);
	size_t n;

	*out = def;
	if (!v)
		return 0;
	while (isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (config_long_parse(buf, out) == 0 && *out >= min && *out <= max)
		return 0;
	return fail(l, -EINVAL,
		    "%s: Invalid value %s for configuration %s: Value must be "
		    "in [%lld, %lld]",
		    key, buf, key, (long long)min, (long long)max);
}

/* --- SASL mechanisms ------------------------------------------------------ */

static int mechs_parse(struct auth_load *l, unsigned *mechs)
{
	char key[KEY_MAX];
	const char *v = get(l, "sasl.enabled.mechanisms", key), *s, *item;
	size_t len;

	*mechs = 0;
	s = v ? v : "GSSAPI"; /* Kafka's default */
	while (config_csv_next(&s, &item, &len)) {
		enum authn_mech m;
		if (authn_mech_parse(item, len, &m) == 0) {
			*mechs |= m;
			continue;
		}
		if ((len == 6 && memcmp(item, "GSSAPI", 6) == 0) ||
		    (len == 11 && memcmp(item, "OAUTHBEARER", 11) == 0))
			return fail(l, -ENOTSUP,
				    "%s: SASL mechanism %.*s%s is not "
				    "supported by sealog (supported: PLAIN, "
				    "SCRAM-SHA-256, SCRAM-SHA-512)",
				    key, (int)len, item,
				    v ? "" : " (Kafka's default)");
		return fail(
		    l, -EINVAL,
		    "%s: unknown SASL mechanism %.*s (supported: PLAIN, "
		    "SCRAM-SHA-256, SCRAM-SHA-512; names are case-sensitive)",
		    key, (int)len, item);
	}
	if (!*mechs)
		return fail(l, -EINVAL,
			    "%s: no SASL mechanism enabled for listener %s",
			    key, l->lc->name);
	return 0;
}

/* --- JAAS ----------------------------------------------------------------- */

static int jaas_file(struct auth_load *l)
{
	char path[4096], msg[512];
	const char *opts = getenv("KAFKA_OPTS");
	int rc;

	if (l->file_read)
		return 0;
	l->file_read = true;
	if (!opts || jaas_path_from_kafka_opts(opts, path, sizeof(path)))
		return 0;
	rc = jaas_load_file(path, &l->file, msg, sizeof(msg));
	if (rc)
		return fail(l, rc,
			    "KAFKA_OPTS -Djava.security.auth.login.config: %s",
			    msg);
	log_info(LOGC, "JAAS configuration read from %s", path);
	return 0;
}

static int add_users(struct auth_load *l, struct authn *a,
		     const struct jaas_section *s, const char *where)
{
	size_t before = authn_plain_user_count(a);

	for (size_t i = 0; s && i < s->count; i++) {
		const struct jaas_entry *e = &s->entries[i];
		if (strcmp(e->module, JAAS_PLAIN_MODULE) != 0)
			continue;
		for (size_t k = 0; k < e->count; k++) {
			const char *name = e->opts[k].key;
			int rc;
			if (strncmp(name, "user_", 5) != 0 || !name[5])
				continue;
			rc =
			    authn_add_plain_user(a, name + 5, e->opts[k].value);
			if (rc == -EEXIST)
				continue; /* first definition wins */
			if (rc)
				return fail(l, rc,
					    "%s: cannot add PLAIN user %s",
					    where, name + 5);
		}
		break; /* Kafka reads the first PlainLoginModule entry */
	}
	log_info(LOGC, "Listener %s: %zu PLAIN user(s) from %s", l->lc->name,
		 authn_plain_user_count(a) - before, where);
	return 0;
}

/* A jaas.config property: syntax checked now, users taken for PLAIN. */
static int jaas_property(struct auth_load *l, struct authn *a, const char *key,
			 const char *v, bool users)
{
	struct jaas_config *j;
	char msg[300];
	int rc = jaas_parse_property(v, strlen(v), &j, msg, sizeof(msg));

	if (rc)
		return fail(l, rc, "%s: invalid JAAS configuration: %s", key,
			    msg);
	if (users)
		rc = add_users(l, a, jaas_section_find(j, NULL), key);
	jaas_free(j);
	return rc;
}

/* PLAIN users in Kafka's precedence: listener.name.<l>.plain.sasl.
 * jaas.config, the static file's <l>.KafkaServer, its KafkaServer; then
 * ours: sasl.jaas.config. Other mechanisms' jaas.config keys are only
 * syntax-checked (SCRAM users live in the store). */
static int jaas_users(struct auth_load *l, struct authn *a, unsigned mechs)
{
	static const char *const lower[] = {"plain", "scram-sha-256",
					    "scram-sha-512"};
	char key[KEY_MAX], section[128];
	const struct jaas_section *s;
	bool plain_done = false;
	const char *v;
	int rc;

	for (int i = 0; i < AUTHN_MECH_COUNT; i++) {
		if (!(mechs & (1u << i)))
			continue;
		snprintf(key, sizeof(key),
			 "listener.name.%s.%s.sasl.jaas.config", l->lower,
			 lower[i]);
		v = props_get(l->cfg->props, key);
		if (!v)
			continue;
		if ((rc = jaas_property(l, a, key, v, i == 0)) != 0)
			return rc;
		plain_done |= i == 0;
	}
	if (plain_done || !(mechs & AUTHN_PLAIN))
		return 0;
	if ((rc = jaas_file(l)) != 0)
		return rc;
	snprintf(section, sizeof(section), "%s.KafkaServer", l->lower);
	s = jaas_section_find(l->file, section);
	if (!s) {
		snprintf(section, sizeof(section), "KafkaServer");
		s = jaas_section_find(l->file, section);
	}
	if (s)
		return add_users(l, a, s, section);
	v = props_get(l->cfg->props, "sasl.jaas.config");
	if (!v)
		return 0;
	log_info(LOGC,
		 "Listener %s: PLAIN users from sasl.jaas.config (Kafka "
		 "brokers read only listener.name.%s.plain.sasl.jaas.config)",
		 l->lc->name, l->lower);
	return jaas_property(l, a, "sasl.jaas.config", v, true);
}

/* --- one listener --------------------------------------------------------- */

/* connections.max.reauth.ms: listener.name.<l>.<mech>. > listener > plain. */
static int reauth_ms(struct auth_load *l, struct listener_auth *la)
{
	static const char *const lower[] = {"plain", "scram-sha-256",
					    "scram-sha-512"};
	char name[96];
	int rc = 0;

	for (int i = 0; !rc && i < AUTHN_MECH_COUNT; i++) {
		snprintf(name, sizeof(name), "%s.connections.max.reauth.ms",
			 lower[i]);
		rc = get_long(l, name, -1, 0, INT64_MAX, &la->reauth_ms[i]);
		if (!rc && la->reauth_ms[i] < 0)
			rc = get_long(l, "connections.max.reauth.ms", 0, 0,
				      INT64_MAX, &la->reauth_ms[i]);
	}
	return rc;
}

static int listener_sasl(struct auth_load *l, struct listener_auth *la)
{
	unsigned mechs;
	int64_t max;
	char msg[256];
	int rc = mechs_parse(l, &mechs);

	if (!rc)
		rc = get_long(l, "sasl.server.max.receive.size",
			      AUTH_MAX_RECEIVE_DEFAULT, 1, INT32_MAX, &max);
	if (!rc)
		rc = reauth_ms(l, la);
	if (rc)
		return rc;
	la->max_receive = (size_t)max;
	if ((mechs & AUTHN_PLAIN) && authn_global_init(msg, sizeof(msg)))
		return fail(l, -ENOTSUP, "sasl.enabled.mechanisms: PLAIN: %s",
			    msg);
	rc = authn_create(mechs, &la->authn);
	if (rc)
		return fail(l, rc, "listener %s: %s", l->lc->name,
			    strerror(-rc));
	rc = jaas_users(l, la->authn, mechs);
	if (!rc && la->proto == SEC_SASL_PLAINTEXT)
		log_warn(LOGC,
			 "Listener %s uses SASL_PLAINTEXT: passwords (PLAIN) "
			 "and SCRAM exchanges cross the network unencrypted; "
			 "use SASL_SSL outside development",
			 l->lc->name);
	return rc;
}

static int listener_setup(struct auth_load *l, struct listener_auth *la)
{
	int rc = 0;

	la->proto = l->lc->proto;
	if (la->proto == SEC_SSL || la->proto == SEC_SASL_SSL)
		rc = tls_config_transport(l->cfg->props, l->lc->name, &la->tls,
					  l->err, l->errlen);
	if (!rc && la->proto == SEC_SSL)
		rc = tls_config_principal_rules(l->cfg->props, l->lc->name,
						&la->rules, l->err, l->errlen);
	if (!rc &&
	    (la->proto == SEC_SASL_PLAINTEXT || la->proto == SEC_SASL_SSL))
		rc = listener_sasl(l, la);
	return rc;
}

int broker_auth_create(const struct broker_config *cfg,
		       struct broker_auth **out, char *err, size_t errlen)
{
	struct broker_auth *ba = calloc(1, sizeof(*ba));
	struct auth_load l = {.cfg = cfg, .err = err, .errlen = errlen};
	int rc = 0;

	*out = NULL;
	if (!ba || hmap_init(&ba->pending_ident)) {
		free(ba);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ba->count = cfg->listener_count;
	for (int i = 0; !rc && i < cfg->listener_count; i++) {
		l.lc = &cfg->listeners[i];
		for (size_t k = 0; k < sizeof(l.lower); k++)
			l.lower[k] =
			    (char)tolower((unsigned char)l.lc->name[k]);
		rc = listener_setup(&l, &ba->l[i]);
	}
	l.lower[0] = '\0';
	if (!rc)
		rc = get_long(&l, "connection.failed.authentication.delay.ms",
			      AUTH_FAIL_DELAY_DEFAULT_MS, 0, 3600000,
			      &ba->fail_delay_ms);
	if (!rc)
		rc = get_long(&l, "sasl.server.authentication.timeout.ms",
			      AUTH_TIMEOUT_DEFAULT_MS, 0, INT32_MAX,
			      &ba->timeout_ms);
	jaas_free(l.file);
	if (rc) {
		broker_auth_destroy(ba);
		return rc;
	}
	*out = ba;
	return 0;
}

/* --- the SCRAM store ------------------------------------------------------ */

int broker_auth_key_file(const struct broker_config *cfg, char *out, size_t cap)
{
	int n;

	if (cfg->encryption_key_file)
		n = snprintf(out, cap, "%s", cfg->encryption_key_file);
	else
		n = snprintf(out, cap, "%s/%s", cfg->log_dir,
			     KEYRING_DEFAULT_FILE);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int broker_auth_open_store(struct broker_auth *ba,
			   const struct broker_config *cfg, struct meta *m)
{
	char path[4096];
	int rc = broker_auth_key_file(cfg, path, sizeof(path));

	if (!rc)
		rc = keyring_load(path, &ba->kr); /* logs its failures */
	if (!rc)
		rc = credstore_open(m, ba->kr, &ba->store);
	if (rc) {
		log_error(LOGC, "Cannot open the SCRAM credential store: %s",
			  strerror(-rc));
		return rc;
	}
	ba->meta = m;
	for (int i = 0; i < ba->count; i++)
		if (ba->l[i].authn)
			authn_set_store(ba->l[i].authn, ba->store);
	return 0;
}

/* --- transports, reload, teardown ----------------------------------------- */

struct xprt_factory *broker_auth_factory(struct broker_auth *ba, int i)
{
	if (!ba || i < 0 || i >= ba->count || !ba->l[i].tls)
		return NULL;
	return xprt_tls_factory(ba->l[i].tls);
}

int broker_auth_reload(struct broker_auth *ba, const struct broker_config *cfg)
{
	char err[700];
	int failed = 0;

	for (int i = 0; i < ba->count; i++) {
		const char *name = cfg->listeners[i].name;
		if (!ba->l[i].tls)
			continue;
		if (tls_config_reload(cfg->props, name, ba->l[i].tls, err,
				      sizeof(err)) == 0) {
			log_info("kafka.network.SocketServer",
				 "Listener %s: certificates reloaded "
				 "(generation %u)",
				 name, xprt_tls_generation(ba->l[i].tls));
		} else {
			log_error("kafka.network.SocketServer",
				  "Listener %s: certificate reload failed, "
				  "keeping the current ones: %s",
				  name, err);
			failed++;
		}
	}
	return failed;
}

void broker_auth_destroy(struct broker_auth *ba)
{
	if (!ba)
		return;
	for (int i = 0; i < ba->count; i++) {
		if (ba->l[i].tls)
			xprt_tls_destroy(ba->l[i].tls);
		principal_rules_free(ba->l[i].rules);
		authn_destroy(ba->l[i].authn);
	}
	credstore_close(ba->store);
	keyring_free(ba->kr);
	hmap_fini(&ba->pending_ident);
	free(ba);
}
