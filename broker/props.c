/* props.c - Java Properties text and the ordered key/value list.
 *
 * Parsing follows java.util.Properties.load() in two steps, like the JDK:
 *
 *   1. props_line_next() joins natural lines into one logical line:
 *      leading blanks (space, \t, \f) of a natural line are skipped, blank
 *      lines and lines whose first non-blank is # or ! are dropped (a
 *      comment never continues), and a line ending in an odd number of
 *      backslashes continues onto the next, whose leading blanks are
 *      dropped. \n, \r and \r\n all end a natural line.
 *   2. props_line_split() finds the key's end (the first unescaped =, :
 *      or blank), skips blanks and at most one = or : after it, and both
 *      halves go through props_unescape() (\t \n \r \f, \uXXXX, any other
 *      escaped char stands for itself).
 *
 * Where we differ from the JDK, on purpose: bytes are not Latin-1 (UTF-8
 * files stay UTF-8, \uXXXX is written as UTF-8), a UTF-8 BOM is skipped,
 * NUL bytes, \u0000 and unpaired surrogates are errors rather than
 * strings that would later be cut short or mangled, and an empty logical
 * line (a lone trailing backslash) is not turned into an empty key.
 *
 * The list keeps insertion order in an array of entries and finds keys
 * through a hash map; setting a key again replaces its value in place.
 *
 * props_env_key() and props_from_env() are the other way keys arrive:
 * the Kafka images' rules for turning environment variables into keys.
 */
#include "broker/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/hmap.h"

struct props_entry {
	struct hmap_node hnode;
	char *key;
	char *value;
	int line;
};

struct props {
	struct props_entry **v;
	size_t count, cap;
	struct hmap map;
};

/* --- the list ----------------------------------------------------------- */

struct props *props_new(void)
{
	struct props *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (hmap_init(&p->map)) {
		free(p);
		return NULL;
	}
	return p;
}

void props_free(struct props *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->count; i++) {
		free(p->v[i]->key);
		free(p->v[i]->value);
		free(p->v[i]);
	}
	free(p->v);
	hmap_fini(&p->map);
	free(p);
}

static struct props_entry *props_find(const struct props *p, const char *key)
{
	uint64_t h = hmap_hash_bytes(key, strlen(key));

	for (struct hmap_node *n = hmap_first(&p->map, h); n;
	     n = hmap_next(n, h)) {
		struct props_entry *e = container_of(n, struct props_entry, hnode);
		if (strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

const char *props_get(const struct props *p, const char *key)
{
	const struct props_entry *e = p && key ? props_find(p, key) : NULL;

	return e ? e->value : NULL;
}

int props_line(const struct props *p, const char *key)
{
	const struct props_entry *e = p && key ? props_find(p, key) : NULL;

	return e ? e->line : 0;
}

static int props_append(struct props *p, const char *key, char *value,
			int line)
{
	struct props_entry *e;

	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct props_entry **v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return -ENOMEM;
	}
	e->value = value;
	e->line = line;
	p->v[p->count++] = e;
	hmap_insert(&p->map, &e->hnode, hmap_hash_bytes(key, strlen(key)));
	return 0;
}

/* Takes ownership of value (freed on failure too). */
static int props_put(struct props *p, const char *key, char *value, int line)
{
	struct props_entry *e = props_find(p, key);
	int rc = 0;

	if (e) {
		free(e->value);
		e->value = value;
		e->line = line;
		return 0;
	}
	rc = props_append(p, key, value, line);
	if (rc)
		free(value);
	return rc;
}

int props_set(struct props *p, const char *key, const char *value)
{
	char *v;

	if (!p || !key || !value)
		return -EINVAL;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	return props_put(p, key, v, 0);
}

size_t props_count(const struct props *p)
{
	return p ? p->count : 0;
}

void props_at(const struct props *p, size_t i, const char **key,
	      const char **value)
{
	const struct props_entry *e = p && i < p->count ? p->v[i] : NULL;

	*key = e ? e->key : NULL;
	*value = e ? e->value : NULL;
}

/* --- escapes ------------------------------------------------------------ */

static void props_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void props_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void utf8_put(struct buf *o, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(o, b, n);
}

/* Four hex digits at s[*i]; -1 when malformed. */
static int32_t hex4(const char *s, size_t len, size_t *i)
{
	int32_t v = 0;

	if (len - *i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = s[(*i)++];
		int d = c >= '0' && c <= '9'	 ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* \uXXXX (the "\u" already consumed), pairing UTF-16 surrogates. */
static int unescape_u(const char *s, size_t len, size_t *i, struct buf *o,
		      char *err, size_t errlen)
{
	int32_t hi = hex4(s, len, i), lo;

	if (hi < 0) {
		props_err(err, errlen, "malformed \\uxxxx encoding");
		return -EINVAL;
	}
	if (hi == 0) {
		props_err(err, errlen, "\\u0000 is not allowed");
		return -EINVAL;
	}
	if (hi < 0xd800 || hi > 0xdfff) {
		utf8_put(o, (uint32_t)hi);
		return 0;
	}
	if (hi > 0xdbff || len - *i < 2 || s[*i] != '\\' || s[*i + 1] != 'u')
		goto unpaired;
	*i += 2;
	lo = hex4(s, len, i);
	if (lo < 0xdc00 || lo > 0xdfff)
		goto unpaired;
	utf8_put(o, 0x10000 + (((uint32_t)hi - 0xd800) << 10) +
			    ((uint32_t)lo - 0xdc00));
	return 0;
unpaired:
	props_err(err, errlen, "unpaired UTF-16 surrogate in \\u escape");
	return -EINVAL;
}

static int unescape_into(const char *s, size_t len, struct buf *o, char *err,
			 size_t errlen)
{
	for (size_t i = 0; i < len;) {
		char c = s[i++];
		if (c != '\\') {
			buf_append(o, &c, 1);
			continue;
		}
		if (i == len)
			break; /* a lone trailing backslash stands for nothing */
		c = s[i++];
		if (c == 'u') {
			int rc = unescape_u(s, len, &i, o, err, errlen);
			if (rc)
				return rc;
			continue;
		}
		c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r'
			: c == 'f' ? '\f' : c;
		buf_append(o, &c, 1);
	}
	buf_append(o, "", 1);
	return o->err;
}

int props_unescape(const char *s, size_t len, char **out, char *err,
		   size_t errlen)
{
	struct buf o;
	int rc;

	*out = NULL;
	if (memchr(s, '\0', len)) {
		props_err(err, errlen, "NUL byte");
		return -EINVAL;
	}
	buf_init(&o, 0);
	rc = unescape_into(s, len, &o, err, errlen);
	if (rc) {
		buf_fini(&o);
		return rc;
	}
	*out = (char *)buf_steal(&o, &(size_t){ 0 });
	return 0;
}

/* --- logical lines --------------------------------------------------------- */

struct props_reader {
	const char *s;
	size_t len, off;
	int line; /* natural line of the next unread byte, from 1 */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

/* Consume an end of line at c (\r\n counts once); false if c is not one. */
static bool reader_eol(struct props_reader *r, char c)
{
	if (c != '\n' && c != '\r')
		return false;
	if (c == '\r' && r->off < r->len && r->s[r->off] == '\n')
		r->off++;
	r->line++;
	return true;
}

struct line_state {
	bool skip_blank, comment, at_start, appended, backslash;
};

/* One logical line into out (escapes intact). 1 = a line, 0 = end of
 * text, -EINVAL = NUL byte. *start = its first natural line. */
static int props_line_next(struct props_reader *r, struct buf *out,
			   int *start)
{
	struct line_state st = { .skip_blank = true, .at_start = true };

	buf_clear(out);
	while (r->off < r->len) {
		int line = r->line;
		char c = r->s[r->off++];
		bool eol = reader_eol(r, c);

		if (c == '\0') {
			*start = line;
			return -EINVAL;
		}
		if (st.skip_blank) {
			if (is_blank(c) || (eol && !st.appended))
				continue;
			st.skip_blank = st.appended = false;
		}
		if (st.at_start) {
			st.at_start = false;
			st.comment = c == '#' || c == '!';
			*start = line;
		}
		if (st.comment && !eol)
			continue;
		if (!eol) {
			buf_append(out, &c, 1);
			st.backslash = c == '\\' ? !st.backslash : false;
			continue;
		}
		if (st.comment || out->len == 0) {
			st = (struct line_state){ .skip_blank = true,
						  .at_start = true };
			buf_clear(out);
			continue;
		}
		if (!st.backslash)
			return 1;
		out->len--; /* the continuation backslash */
		st.skip_blank = st.appended = true;
		st.backslash = false;
	}
	if (st.comment || out->len == 0)
		return 0;
	if (st.backslash)
		out->len--;
	return 1;
}

/* Split a logical line into key and value spans (still escaped). */
static void props_line_split(const char *s, size_t len, size_t *klen,
			     size_t *vstart)
{
	bool backslash = false, sep = false;
	size_t k = 0, v;

	while (k < len) {
		char c = s[k];
		if (!backslash && (c == '=' || c == ':' || is_blank(c)))
			break;
		backslash = c == '\\' ? !backslash : false;
		k++;
	}
	v = k;
	if (v < len && (s[v] == '=' || s[v] == ':')) {
		sep = true;
		v++;
	} else if (v < len) {
		v++; /* the blank that ended the key */
	}
	while (v < len) {
		if (!sep && (s[v] == '=' || s[v] == ':'))
			sep = true;
		else if (!is_blank(s[v]))
			break;
		v++;
	}
	*klen = k;
	*vstart = v;
}

static int props_add_line(struct props *p, const char *s, size_t len,
			  int line, char *err, size_t errlen)
{
	char *key = NULL, *value = NULL, msg[128];
	size_t klen, vstart;
	int rc;

	props_line_split(s, len, &klen, &vstart);
	rc = props_unescape(s, klen, &key, msg, sizeof(msg));
	if (!rc)
		rc = props_unescape(s + vstart, len - vstart, &value, msg,
				    sizeof(msg));
	if (rc == -EINVAL)
		props_err(err, errlen, "line %d: %s", line, msg);
	if (!rc) {
		rc = props_put(p, key, value, line);
		value = NULL;
	}
	free(key);
	free(value);
	return rc;
}

int props_parse(struct props *p, const char *text, size_t len, char *err,
		size_t errlen)
{
	struct props_reader r = { .s = text, .len = len, .line = 1 };
	struct buf line;
	int start = 1, rc;

	if (!p || (!text && len))
		return -EINVAL;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r.off = 3;
	buf_init(&line, 0);
	for (;;) {
		rc = props_line_next(&r, &line, &start);
		if (rc == -EINVAL)
			props_err(err, errlen, "line %d: NUL byte", start);
		if (rc <= 0)
			break;
		rc = line.err ? line.err
			      : props_add_line(p, (const char *)line.data,
					       line.len, start, err, errlen);
		if (rc)
			break;
	}
	buf_fini(&line);
	return rc;
}

/* --- files ---------------------------------------------------------------- */

/* Read all of fd into out; -EMSGSIZE once it passes max bytes. */
static int file_read(int fd, struct buf *out, size_t max)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	for (;;) {
		size_t want = max - out->len + 1 < 65536 ? max - out->len + 1
							 : 65536;
		uint8_t *p = buf_reserve(out, want);
		ssize_t n;
		if (!p)
			return out->err;
		n = read(fd, p, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		if (out->len > max)
			return -EMSGSIZE;
	}
}

int props_load_file(struct props *p, const char *path, size_t max, char *err,
		    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	char msg[160] = "";
	struct buf b;

	if (fd < 0) {
		rc = -errno;
		props_err(err, errlen, "Cannot read the configuration file %s: %s",
			  path, strerror(-rc));
		return rc;
	}
	buf_init(&b, 0);
	rc = file_read(fd, &b, max);
	close(fd);
	if (rc && rc != -ENOMEM)
		props_err(err, errlen, "Cannot read the configuration file %s: %s",
			  path, rc == -EMSGSIZE ? "too large" : strerror(-rc));
	if (!rc)
		rc = props_parse(p, (const char *)b.data, b.len, msg, sizeof(msg));
	if (rc == -EINVAL && msg[0])
		props_err(err, errlen, "Error in the configuration file %s, %s",
			  path, msg);
	buf_fini(&b);
	return rc;
}

/* --- environment variable names ----------------------------------------- */

static const char *const env_excluded[] = {
	"KAFKA_VERSION", "KAFKA_HEAP_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_OPTS",
	"KAFKA_JMX_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS",
	"KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS",
	"KAFKA_TOOLS_LOG4J_LOGLEVEL", "KAFKA_JMX_HOSTNAME", NULL,
};

/* In place, left to right: every from becomes to (strlen(to) <= strlen(from)). */
static void subst(char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);
	char *w = s;

	while (*s) {
		if (strncmp(s, from, fl) == 0) {
			memcpy(w, to, tl);
			w += tl;
			s += fl;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

static void dots_lower(char *s)
{
	for (; *s; s++) {
		if (*s == '_')
			*s = '.';
		else if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

int props_env_key(const char *name, char *out, size_t cap)
{
	size_t len = name ? strlen(name) : 0;

	if (strncmp(name ? name : "", "KAFKA_", 6) != 0)
		return -ENOENT;
	for (const char *const *e = env_excluded; *e; e++)
		if (strcmp(*e, name) == 0)
			return -ENOENT;
	if (len >= cap)
		return -ENAMETOOLONG;
	memcpy(out, name, len + 1);
	if (strncmp(name, "KAFKA_CFG_", 10) == 0) {
		memmove(out, out + 10, len - 10 + 1);
		dots_lower(out);
		subst(out, "sasl.ssl", "sasl_ssl");
		subst(out, "sasl.plaintext", "sasl_plaintext");
	} else {
		subst(out, "KAFKA_", ""); /* every one, as the image does */
		dots_lower(out);
		subst(out, "...", "-");
		subst(out, "..", "_");
	}
	return out[0] ? 0 : -ENOENT;
}

/* --- the environment ---------------------------------------------------------- */

static const char *env_find(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* The image writes env values into a properties file, so they are
 * unescaped the same way (leading blanks dropped, \n, \uXXXX ...). */
static int env_put(struct props *out, struct props *origin, const char *var,
		   const char *key, const char *raw, char *err, size_t errlen)
{
	char where[600], msg[128], *value;
	int rc;

	while (is_blank(*raw))
		raw++;
	rc = props_unescape(raw, strlen(raw), &value, msg, sizeof(msg));
	if (rc == -EINVAL)
		props_err(err, errlen, "Environment variable %s: %s", var, msg);
	if (rc)
		return rc;
	rc = props_put(out, key, value, 0);
	snprintf(where, sizeof(where), "from environment variable %s", var);
	if (!rc && origin)
		rc = props_set(origin, key, where);
	return rc;
}

/* One pass: the apache mapping (bitnami false) or bitnami's. */
static int env_pass(char *const *envp, bool bitnami, struct props *out,
		    struct props *origin, char *err, size_t errlen)
{
	for (; envp && *envp; envp++) {
		const char *eq = strchr(*envp, '=');
		char name[512], key[512];
		size_t nlen = eq ? (size_t)(eq - *envp) : 0;
		int rc;

		if (!eq || nlen >= sizeof(name) ||
		    (strncmp(*envp, "KAFKA_CFG_", 10) == 0) != bitnami)
			continue;
		memcpy(name, *envp, nlen);
		name[nlen] = '\0';
		if (props_env_key(name, key, sizeof(key)))
			continue;
		rc = env_put(out, origin, name, key, eq + 1, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* apache/kafka and cp-kafka derive listeners from advertised.listeners
 * when KAFKA_LISTENERS is unset: every host becomes 0.0.0.0. */
static int env_derive_listeners(struct props *out, struct props *origin)
{
	const char *adv = props_get(out, "advertised.listeners");
	struct buf b;
	int rc;

	buf_init(&b, 0);
	for (const char *s = adv; *s;) {
		size_t len = strcspn(s, ",");
		const char *sep = strstr(s, "://"), *colon = s + len;
		while (colon > s && *colon != ':')
			colon--;
		if (sep && sep < s + len && colon > sep + 2) {
			buf_append(&b, s, (size_t)(sep - s) + 3);
			buf_append(&b, "0.0.0.0", 7);
			buf_append(&b, colon, (size_t)(s + len - colon));
		} else {
			buf_append(&b, s, len); /* malformed: reported later */
		}
		s += len;
		if (*s)
			buf_append(&b, s++, 1);
	}
	buf_append(&b, "", 1);
	rc = b.err ? b.err : props_set(out, "listeners", (const char *)b.data);
	if (!rc && origin)
		rc = props_set(origin, "listeners",
			       "derived from KAFKA_ADVERTISED_LISTENERS");
	buf_fini(&b);
	return rc;
}

int props_from_env(char *const *envp, struct props *out, struct props *origin,
		   char *err, size_t errlen)
{
	const char *lvl = env_find(envp, "KAFKA_LOG4J_ROOT_LOGLEVEL");
	int rc = 0;

	if (lvl && *lvl) {
		rc = props_set(out, "log.level", lvl);
		if (!rc && origin)
			rc = props_set(origin, "log.level",
				       "from environment variable KAFKA_LOG4J_ROOT_LOGLEVEL");
	}
	if (!rc)
		rc = env_pass(envp, false, out, origin, err, errlen);
	if (!rc)
		rc = env_pass(envp, true, out, origin, err, errlen);
	if (!rc && props_get(out, "advertised.listeners") &&
	    !props_get(out, "listeners"))
		rc = env_derive_listeners(out, origin);
	return rc;
}
