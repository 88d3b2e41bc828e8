/* sasl_jaas.c - JAAS configuration parser (see sasl_jaas.h).
 *
 * A small StreamTokenizer: words, quoted strings and single characters.
 * Quoted strings may hold passwords, so the token buffer is wiped after
 * every use and on every error path.
 */
#include "auth/sasl_jaas.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

enum tok_kind { TK_EOF, TK_WORD, TK_STRING, TK_CHAR, TK_ERROR };

struct lexer {
	const char *p, *end;
	int line;
	enum tok_kind kind;
	char ch;    /* TK_CHAR */
	char *text; /* TK_WORD / TK_STRING, malloc'd */
	size_t len, cap;
	char *err;
	size_t errlen;
};

static int lex_fail(struct lexer *lx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int lex_fail(struct lexer *lx, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(lx->err, lx->errlen, "line %d: %s", lx->line, msg);
	lx->kind = TK_ERROR;
	return -EINVAL;
}

static int text_push(struct lexer *lx, char c)
{
	if (lx->len + 1 >= lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 64;
		char *n = malloc(cap);
		if (!n)
			return -ENOMEM;
		if (lx->text) {
			memcpy(n, lx->text, lx->len);
			OPENSSL_clear_free(lx->text, lx->cap);
		}
		lx->text = n;
		lx->cap = cap;
	}
	lx->text[lx->len++] = c;
	lx->text[lx->len] = '\0';
	return 0;
}

static bool word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80 || strchr("._-$*", c);
}

/* Whitespace, // and C comments. */
static int lex_skip(struct lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == '\n')
			lx->line++;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == '\f') {
			lx->p++;
		} else if (c == '/' && lx->end - lx->p > 1 && lx->p[1] == '/') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->end - lx->p > 1 && lx->p[1] == '*') {
			lx->p += 2;
			while (lx->end - lx->p > 1 &&
			       !(lx->p[0] == '*' && lx->p[1] == '/'))
				lx->line += *lx->p++ == '\n';
			if (lx->end - lx->p < 2)
				return lex_fail(lx, "unterminated comment");
			lx->p += 2;
		} else {
			break;
		}
	}
	return 0;
}

/* A backslash escape inside quotes (StreamTokenizer's set). */
static int lex_escape(struct lexer *lx, char *out)
{
	static const char from[] = "abfnrtv", to[] = "\a\b\f\n\r\t\v";
	char c;
	int v = 0, n = 0;

	if (lx->p == lx->end)
		return lex_fail(lx, "unterminated quoted value");
	c = *lx->p++;
	if (c >= '0' && c <= '7') {
		/* Up to three octal digits, at most \377. */
		v = c - '0';
		while (++n < 3 && lx->p < lx->end && *lx->p >= '0' &&
		       *lx->p <= '7' && v * 8 + (*lx->p - '0') <= 0377)
			v = v * 8 + (*lx->p++ - '0');
		*out = (char)v;
		return 0;
	}
	*out = strchr(from, c) && c ? to[strchr(from, c) - from] : c;
	return 0;
}

static int lex_quoted(struct lexer *lx, char quote)
{
	lx->p++;
	while (lx->p < lx->end && *lx->p != quote) {
		char c = *lx->p++;
		int rc;
		if (c == '\n' || c == '\r')
			return lex_fail(lx, "line break inside a quoted value");
		if (c == '\\' && (rc = lex_escape(lx, &c)) != 0)
			return rc;
		if (c == '\0')
			return lex_fail(lx, "NUL byte inside a quoted value");
		if ((rc = text_push(lx, c)) != 0)
			return rc;
	}
	if (lx->p == lx->end)
		return lex_fail(lx, "unterminated quoted value");
	lx->p++;
	lx->kind = TK_STRING;
	return 0;
}

static int lex_next(struct lexer *lx)
{
	int rc;

	OPENSSL_cleanse(lx->text, lx->cap);
	lx->len = 0;
	if ((rc = lex_skip(lx)) != 0)
		return rc;
	if (lx->p == lx->end) {
		lx->kind = TK_EOF;
		return 0;
	}
	if (*lx->p == '"' || *lx->p == '\'')
		return lex_quoted(lx, *lx->p);
	if (word_char((unsigned char)*lx->p)) {
		while (lx->p < lx->end && word_char((unsigned char)*lx->p))
			if ((rc = text_push(lx, *lx->p++)) != 0)
				return rc;
		lx->kind = TK_WORD;
		return 0;
	}
	if (*lx->p == '\0')
		return lex_fail(lx, "NUL byte");
	lx->kind = TK_CHAR;
	lx->ch = *lx->p++;
	return 0;
}

static bool lex_is(const struct lexer *lx, char c)
{
	return lx->kind == TK_CHAR && lx->ch == c;
}

/* --- the tree ------------------------------------------------------------- */

static void *grow(void *arr, size_t count, size_t size)
{
	/* One more element; arrays stay small (a handful of entries). */
	return realloc(arr, (count + 1) * size);
}

static void entry_fini(struct jaas_entry *e)
{
	for (size_t i = 0; i < e->count; i++) {
		free(e->opts[i].key);
		if (e->opts[i].value)
			OPENSSL_clear_free(e->opts[i].value,
					   strlen(e->opts[i].value));
	}
	free(e->opts);
	free(e->module);
	free(e->flag);
}

static void section_fini(struct jaas_section *s)
{
	for (size_t i = 0; i < s->count; i++)
		entry_fini(&s->entries[i]);
	free(s->entries);
	free(s->name);
}

void jaas_free(struct jaas_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->count; i++)
		section_fini(&c->sections[i]);
	free(c->sections);
	free(c);
}

static bool flag_valid(char *flag)
{
	static const char *const flags[] = {"required", "requisite",
					    "sufficient", "optional"};

	for (size_t i = 0; i < 4; i++)
		if (strcasecmp(flag, flags[i]) == 0) {
			strcpy(flag, flags[i]);
			return true;
		}
	return false;
}

/* key '=' value */
static int parse_option(struct lexer *lx, struct jaas_entry *e)
{
	struct jaas_option *o;
	int rc;

	o = grow(e->opts, e->count, sizeof(*o));
	if (!o)
		return -ENOMEM;
	e->opts = o;
	o = &e->opts[e->count];
	o->key = strdup(lx->text);
	o->value = NULL;
	if (!o->key)
		return -ENOMEM;
	e->count++;
	if ((rc = lex_next(lx)) != 0)
		return rc;
	if (!lex_is(lx, '='))
		return lex_fail(lx, "expected '=' after option %s", o->key);
	if ((rc = lex_next(lx)) != 0)
		return rc;
	if (lx->kind != TK_WORD && lx->kind != TK_STRING)
		return lex_fail(lx, "expected a value for option %s", o->key);
	o->value = malloc(lx->len + 1);
	if (!o->value)
		return -ENOMEM;
	memcpy(o->value, lx->text, lx->len + 1);
	return lex_next(lx);
}

/* Module flag options... ';' with lx at the module word. */
static int parse_entry(struct lexer *lx, struct jaas_section *s)
{
	struct jaas_entry *e = grow(s->entries, s->count, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	s->entries = e;
	e = &s->entries[s->count++];
	memset(e, 0, sizeof(*e));
	e->module = strdup(lx->text);
	if (!e->module)
		return -ENOMEM;
	if ((rc = lex_next(lx)) != 0)
		return rc;
	if (lx->kind != TK_WORD)
		return lex_fail(lx, "expected a control flag after %s",
				e->module);
	e->flag = strdup(lx->text);
	if (!e->flag)
		return -ENOMEM;
	if (!flag_valid(e->flag))
		return lex_fail(lx, "invalid control flag %s", e->flag);
	if ((rc = lex_next(lx)) != 0)
		return rc;
	while (lx->kind == TK_WORD)
		if ((rc = parse_option(lx, e)) != 0)
			return rc;
	if (!lex_is(lx, ';'))
		return lex_fail(lx, "expected ';' at the end of the %s entry",
				e->module);
	return lex_next(lx);
}

static struct jaas_section *section_add(struct jaas_config *c)
{
	struct jaas_section *s = grow(c->sections, c->count, sizeof(*s));

	if (!s)
		return NULL;
	c->sections = s;
	s = &c->sections[c->count++];
	memset(s, 0, sizeof(*s));
	return s;
}

/* Name '{' entries '}' ';' with lx at the name. */
static int parse_section(struct lexer *lx, struct jaas_config *c)
{
	struct jaas_section *s = section_add(c);
	int rc;

	if (!s || !(s->name = strdup(lx->text)))
		return -ENOMEM;
	if ((rc = lex_next(lx)) != 0)
		return rc;
	if (!lex_is(lx, '{'))
		return lex_fail(lx, "expected '{' after %s", s->name);
	if ((rc = lex_next(lx)) != 0)
		return rc;
	while (lx->kind == TK_WORD)
		if ((rc = parse_entry(lx, s)) != 0)
			return rc;
	if (!lex_is(lx, '}'))
		return lex_fail(lx, "expected '}' to end section %s", s->name);
	if ((rc = lex_next(lx)) != 0)
		return rc;
	if (!lex_is(lx, ';'))
		return lex_fail(lx, "expected ';' after section %s", s->name);
	return lex_next(lx);
}

static int parse(const char *text, size_t len, bool file,
		 struct jaas_config **out, char *err, size_t errlen)
{
	struct lexer lx = {.p = text,
			   .end = text + len,
			   .line = 1,
			   .err = err,
			   .errlen = errlen};
	struct jaas_config *c = calloc(1, sizeof(*c));
	struct jaas_section *s = NULL;
	int rc;

	/* The token buffer always exists, so "" yields an empty string. */
	lx.text = calloc(1, 64);
	lx.cap = 64;
	rc = c && lx.text ? lex_next(&lx) : -ENOMEM;

	if (!rc && !file && !(s = section_add(c)))
		rc = -ENOMEM;
	while (!rc && lx.kind == TK_WORD)
		rc = file ? parse_section(&lx, c) : parse_entry(&lx, s);
	if (!rc && lx.kind != TK_EOF)
		rc = lex_fail(&lx, file ? "expected a section name"
					: "expected a login module name");
	if (!rc && !file && s->count != 1)
		rc = lex_fail(&lx,
			      "JAAS config property contains %zu login "
			      "modules, should be 1 module",
			      s->count);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (lx.text)
		OPENSSL_clear_free(lx.text, lx.cap);
	if (rc) {
		jaas_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int jaas_parse_property(const char *text, size_t len, struct jaas_config **out,
			char *err, size_t errlen)
{
	return parse(text, len, false, out, err, errlen);
}

int jaas_parse_file_text(const char *text, size_t len, struct jaas_config **out,
			 char *err, size_t errlen)
{
	return parse(text, len, true, out, err, errlen);
}

static int read_all(int fd, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > JAAS_FILE_MAX)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int rc = n < 0 ? -errno : -EIO;
			OPENSSL_clear_free(buf, (size_t)st.st_size + 1);
			return rc;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return 0;
}

int jaas_load_file(const char *path, struct jaas_config **out, char *err,
		   size_t errlen)
{
	char msg[300];
	char *text = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	rc = read_all(fd, &text, &len);
	close(fd);
	if (rc) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		return rc;
	}
	rc = jaas_parse_file_text(text, len, out, msg, sizeof(msg));
	OPENSSL_clear_free(text, len + 1);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, msg);
	return rc;
}

const struct jaas_section *jaas_section_find(const struct jaas_config *c,
					     const char *name)
{
	for (size_t i = 0; c && i < c->count; i++) {
		const char *n = c->sections[i].name;
		if ((!name && !n) || (name && n && strcmp(name, n) == 0))
			return &c->sections[i];
	}
	return NULL;
}

const char *jaas_option(const struct jaas_section *s, const char *module,
			const char *key)
{
	for (size_t i = 0; s && i < s->count; i++) {
		const struct jaas_entry *e = &s->entries[i];
		if (strcmp(e->module, module) != 0)
			continue;
		for (size_t k = 0; k < e->count; k++)
			if (strcmp(e->opts[k].key, key) == 0)
				return e->opts[k].value;
		return NULL;
	}
	return NULL;
}

int jaas_path_from_kafka_opts(const char *opts, char *out, size_t cap)
{
	static const char flag[] = "-Djava.security.auth.login.config=";
	const char *p = opts, *hit = NULL;
	size_t n;

	while (p && (p = strstr(p, flag))) {
		if (p == opts || p[-1] == ' ' || p[-1] == '\t')
			hit = p + sizeof(flag) - 1;
		p += sizeof(flag) - 1;
	}
	if (!hit)
		return -ENOENT;
	if (*hit == '"' || *hit == '\'') {
		const char *close = strchr(hit + 1, *hit);
		n = close ? (size_t)(close - hit - 1) : strlen(hit + 1);
		hit++;
	} else {
		n = strcspn(hit, " \t");
	}
	if (!n)
		return -ENOENT;
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(out, hit, n);
	out[n] = '\0';
	return 0;
}
