/* audit.c - the audit log (see audit.h).
 *
 * A record is built in a struct buf (JSON, escaped), then written under
 * the mutex: rotate first if the line would take the file past
 * max_bytes, then one write(2). The file size is tracked from fstat at
 * open plus what we wrote.
 */
#include "auth/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"

#define LOGC "kafka.authorizer.logger"
#define LINE_MAX_BYTES (1u << 20)
#define WARN_EVERY_MS 60000
#define BUF_LIT(o, lit) buf_append((o), (lit), sizeof(lit) - 1)

struct audit {
	pthread_mutex_t mu;
	int fd;
	char *path;
	uint64_t size;
	uint64_t max_bytes;
	unsigned max_files;
	bool log_allows;
	int64_t last_warn_ms;
};

/* --- the file ------------------------------------------------------------- */

static int audit_file_open(struct audit *a, bool truncate)
{
	struct stat st;

	a->fd = open(a->path,
		     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
			 (truncate ? O_TRUNC : 0),
		     0600);
	if (a->fd < 0)
		return -errno;
	a->size = fstat(a->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

int audit_open(const struct audit_config *cfg, struct audit **out)
{
	struct audit *a;
	int rc;

	*out = NULL;
	if (!cfg->path || !cfg->path[0])
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->path = strdup(cfg->path))) {
		free(a);
		return -ENOMEM;
	}
	a->max_bytes = cfg->max_bytes;
	a->max_files = cfg->max_files;
	a->log_allows = cfg->log_allows;
	rc = audit_file_open(a, false);
	if (rc) {
		log_error(LOGC, "Cannot open the audit log %s: %s", a->path,
			  strerror(-rc));
		free(a->path);
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->mu, NULL);
	*out = a;
	return 0;
}

void audit_close(struct audit *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->mu);
	free(a->path);
	free(a);
}

/* path.N-1 -> path.N ... path -> path.1, then a fresh file. */
static int audit_rotate(struct audit *a)
{
	size_t n = strlen(a->path) + 16;
	char *from = malloc(n), *to = malloc(n);
	int rc = 0;

	if (!from || !to) {
		rc = -ENOMEM;
		goto out;
	}
	close(a->fd);
	a->fd = -1;
	for (unsigned i = a->max_files; i > 1; i--) {
		snprintf(from, n, "%s.%u", a->path, i - 1);
		snprintf(to, n, "%s.%u", a->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			rc = -errno;
	}
	if (a->max_files) {
		snprintf(to, n, "%s.1", a->path);
		if (rename(a->path, to) < 0 && errno != ENOENT)
			rc = -errno;
	}
	if (audit_file_open(a, a->max_files == 0) < 0)
		rc = -errno;
out:
	free(from);
	free(to);
	return rc;
}

static void audit_warn(struct audit *a, const char *what, int err)
{
	int64_t now = clock_mono_ms();

	if (a->last_warn_ms && now - a->last_warn_ms < WARN_EVERY_MS)
		return;
	a->last_warn_ms = now;
	log_error(LOGC, "Audit log %s: %s failed: %s (records are being lost)",
		  a->path, what, strerror(err));
}

static void audit_write(struct audit *a, const struct buf *line)
{
	ssize_t n;

	pthread_mutex_lock(&a->mu);
	if (a->max_bytes && a->size > 0 && a->size + line->len > a->max_bytes) {
		int rc = audit_rotate(a);
		if (rc)
			audit_warn(a, "rotation", -rc);
	}
	if (a->fd >= 0) {
		n = write(a->fd, line->data, line->len);
		if (n < 0)
			audit_warn(a, "write", errno);
		else
			a->size += (uint64_t)n;
	}
	pthread_mutex_unlock(&a->mu);
}

/* --- JSON ----------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static void json_str(struct buf *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	char esc[8];

	BUF_LIT(o, "\"");
	while (n) {
		size_t l = utf8_len(p, n);
		if (l == 0) {
			BUF_LIT(o, "\\ufffd");
			l = 1;
		} else if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			buf_append(o, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			buf_append(o, esc, 6);
		} else {
			buf_append(o, p, l);
		}
		p += l;
		n -= l;
	}
	BUF_LIT(o, "\"");
}

/* ,"key":"value" -- skipped when value is NULL. */
static void json_field(struct buf *o, const char *key, const char *value)
{
	if (!value)
		return;
	BUF_LIT(o, ",\"");
	buf_append(o, key, strlen(key));
	BUF_LIT(o, "\":");
	json_str(o, value);
}

static void json_time(struct buf *o)
{
	int64_t ms = clock_wall_ms();
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char t[64];

	gmtime_r(&sec, &tm);
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	BUF_LIT(o, "{\"time\":\"");
	buf_append(o, t, strlen(t));
	BUF_LIT(o, "\"");
}

/* {"time":...,"event":...,"result":...,<context> */
static void record_begin(struct buf *o, const char *event, const char *result,
			 const struct audit_ctx *c)
{
	char client[80];

	buf_init(o, LINE_MAX_BYTES);
	json_time(o);
	json_field(o, "event", event);
	json_field(o, "result", result && result[0] ? result : "SUCCESS");
	if (!c)
		return;
	json_field(o, "principal", c->principal);
	if (c->client) {
		if (c->client_port)
			snprintf(client, sizeof(client),
				 strchr(c->client, ':') ? "[%s]:%u" : "%s:%u",
				 c->client, c->client_port);
		else
			snprintf(client, sizeof(client), "%s", c->client);
		json_field(o, "client", client);
	}
	json_field(o, "listener", c->listener);
	json_field(o, "api", c->api);
	json_field(o, "client_id", c->client_id);
}

static void record_end(struct audit *a, struct buf *o)
{
	BUF_LIT(o, "}\n");
	if (o->err == 0)
		audit_write(a, o);
	else
		audit_warn(a, "formatting a record", -o->err);
	buf_fini(o);
}

static void json_resource(struct buf *o, const char *type, const char *name,
			  const char *pattern)
{
	BUF_LIT(o, ",\"resource\":{\"type\":");
	json_str(o, type);
	json_field(o, "name", name);
	json_field(o, "pattern_type", pattern);
	BUF_LIT(o, "}");
}

/* --- records -------------------------------------------------------------- */

void audit_authn(struct audit *a, const struct audit_ctx *c,
		 const char *mechanism, bool ok, const char *reason)
{
	struct buf o;

	if (!a)
		return;
	record_begin(&o, "authentication", ok ? "SUCCESS" : "FAILED", c);
	json_field(&o, "mechanism", mechanism);
	json_field(&o, "reason", ok ? NULL : reason);
	record_end(a, &o);
}

bool audit_wants_allows(const struct audit *a)
{
	return a && a->log_allows;
}

void audit_authz(struct audit *a, const struct audit_ctx *c, enum acl_op op,
		 enum acl_rtype rtype, const char *name, bool allowed,
		 const char *rule)
{
	struct buf o;

	if (!a || (allowed && !a->log_allows))
		return;
	record_begin(&o, "authorization", allowed ? "ALLOWED" : "DENIED", c);
	json_field(&o, "operation", acl_op_name(op));
	json_resource(&o, acl_rtype_name(rtype), name, NULL);
	json_field(&o, "rule", rule);
	record_end(a, &o);
}

void audit_acl(struct audit *a, const struct audit_ctx *c, const char *action,
	       const struct acl_binding *b, const char *result)
{
	struct buf o;

	if (!a)
		return;
	record_begin(&o, "acl", result, c);
	json_field(&o, "action", action);
	json_resource(&o, acl_rtype_name(b->rtype), b->name,
		      acl_ptype_name(b->ptype));
	BUF_LIT(&o, ",\"entry\":{\"principal\":");
	json_str(&o, b->principal);
	json_field(&o, "host", b->host);
	json_field(&o, "operation", acl_op_name(b->op));
	json_field(&o, "permission", acl_perm_name(b->perm));
	BUF_LIT(&o, "}");
	record_end(a, &o);
}

void audit_user(struct audit *a, const struct audit_ctx *c, const char *action,
		const char *user, const char *mechanism, const char *result)
{
	struct buf o;

	if (!a)
		return;
	record_begin(&o, "user", result, c);
	json_field(&o, "action", action);
	json_field(&o, "user", user);
	json_field(&o, "mechanism", mechanism);
	record_end(a, &o);
}

void audit_topic(struct audit *a, const struct audit_ctx *c, const char *action,
		 const char *topic, const char *detail, const char *result)
{
	struct buf o;

	if (!a)
		return;
	record_begin(&o, "topic", result, c);
	json_field(&o, "action", action);
	json_resource(&o, "TOPIC", topic, NULL);
	json_field(&o, "detail", detail);
	record_end(a, &o);
}

bool audit_config_is_secret(const char *name)
{
	/* Kafka's PASSWORD-type keys, and any key naming a secret. */
	static const char *const parts[] = {"password", "secret", "jaas.config",
					    "credentials", "token",
					    "keystore.certificate.chain",
					    "truststore.certificates"};
	size_t n;

	if (!name)
		return false;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(name, parts[i]))
			return true;
	n = strlen(name);
	return n >= 4 && strcmp(name + n - 4, ".key") == 0;
}

void audit_config(struct audit *a, const struct audit_ctx *c,
		  const char *resource_type, const char *resource_name,
		  const struct audit_kv *kvs, size_t count, const char *result)
{
	struct buf o;

	if (!a)
		return;
	record_begin(&o, "config", result, c);
	json_resource(&o, resource_type, resource_name, NULL);
	BUF_LIT(&o, ",\"configs\":[");
	for (size_t i = 0; i < count; i++) {
		const struct audit_kv *kv = &kvs[i];
		bool hide = kv->sensitive || audit_config_is_secret(kv->name);
		if (i)
			BUF_LIT(&o, ",");
		BUF_LIT(&o, "{\"name\":");
		json_str(&o, kv->name ? kv->name : "");
		json_field(&o, "op", kv->op);
		json_field(&o, "value", kv->value && hide ? "****" : kv->value);
		BUF_LIT(&o, "}");
	}
	BUF_LIT(&o, "]");
	record_end(a, &o);
}
