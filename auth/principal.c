/* principal.c - ssl.principal.mapping.rules (see principal.h).
 *
 * Kafka splits and parses the rule list with two regular expressions;
 * we run the very same expressions through our Java-regex matcher
 * (principal_re.c), so every corner of the splitting (whitespace, empty
 * rules, commas inside a pattern, trailing garbage) behaves as Kafka's:
 *
 *   RULE_SPLITTER  \s*(RULE_PATTERN)\s*(,\s*|$)      with find()
 *   RULE_PATTERN
 * (DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?) with
 * lookingAt(), which must consume the whole rule
 *
 * Mapping a DN: the first rule whose pattern matches the whole DN
 * (matches()) produces dn.replaceAll(pattern, replacement), then the
 * optional case change. replaceAll() follows java.util.regex.Matcher:
 * find() from the end of the previous match, one character further after
 * an empty match, text between matches copied through.
 *
 * One step budget covers all the regex work of one principal_map() call.
 */
#include "auth/principal.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "auth/principal_re.h"

#define PRINCIPAL_SPEC_MAX (64u << 10)
#define PRINCIPAL_MAX_RULES 256
#define PRINCIPAL_BUDGET 1000000L	 /* matcher steps per mapping */
#define PRINCIPAL_PARSE_BUDGET 50000000L /* for splitting the rule list */
#define PRINCIPAL_RESULT_MAX (64u << 10)

#define RULE_PATTERN                                                           \
	"(DEFAULT)|RULE:((\\\\.|[^\\\\/])*)/((\\\\.|[^\\\\/])*)/"              \
	"([LU]?).*?|(.*?)"
#define RULE_SPLITTER "\\s*(" RULE_PATTERN ")\\s*(,\\s*|$)"

struct repl_part {
	int group; /* -1: literal bytes lit[off, off + len) */
	size_t off, len;
};

struct principal_rule {
	bool is_default;
	char to_case;		     /* 0, 'L' or 'U' */
	char *pattern, *replacement; /* as written (for describe) */
	struct jre *re;
	struct repl_part *parts;
	size_t nparts;
	char *lit;
};

struct principal_rules {
	struct principal_rule *v;
	size_t n;
};

/* A growable result with a hard cap. */
struct pbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void pb_add(struct pbuf *b, const char *s, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->err)
		return;
	if (b->len + n + 1 > PRINCIPAL_RESULT_MAX) {
		b->err = -ENOSPC;
		return;
	}
	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap != b->cap) {
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- replacement ---------------------------------------------------- */

static void repl_lit(struct principal_rule *ru, char c)
{
	struct repl_part *last = ru->nparts ? &ru->parts[ru->nparts - 1] : NULL;
	size_t off = last ? last->off + last->len : 0;

	ru->lit[off] = c;
	if (last && last->group < 0) {
		last->len++;
		return;
	}
	ru->parts[ru->nparts++] = (struct repl_part){-1, off, 1};
}

static void repl_group(struct principal_rule *ru, int g)
{
	struct repl_part *last = ru->nparts ? &ru->parts[ru->nparts - 1] : NULL;
	size_t off = last ? last->off + (last->group < 0 ? last->len : 0) : 0;

	ru->parts[ru->nparts++] = (struct repl_part){g, off, 0};
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Kafka makes a $n that cannot exist literal: $123 with 12 groups is
 * $12 then "3", with 1 group $1 then "23", with none of 1..9 literal. */
static bool repl_ref_exists(const char *d, int ngroups)
{
	unsigned long long v = 0;

	for (size_t i = 0; is_digit(d[i]); i++)
		v = v > 1000000000ULL ? v : v * 10 + (unsigned)(d[i] - '0');
	while (v > (unsigned)ngroups && v >= 10)
		v /= 10;
	return v <= (unsigned)ngroups;
}

/* ${name} at s + i (after '$'); returns the new index or 0 on error. */
static size_t repl_named(struct principal_rule *ru, const char *s, size_t i,
			 char *err, size_t errlen)
{
	const char *end = strchr(s + i + 1, '}');
	int g;

	if (!end || end == s + i + 1) {
		err_set(err, errlen,
			"named capturing group is missing trailing "
			"'}'");
		return 0;
	}
	g = jre_group_index(ru->re, s + i + 1, (size_t)(end - s - i - 1));
	if (g < 0) {
		err_set(err, errlen, "No group with name {%.*s}",
			(int)(end - s - i - 1), s + i + 1);
		return 0;
	}
	repl_group(ru, g);
	return (size_t)(end - s) + 1;
}

/* $n at s + i (a digit): Java takes the first digit, then more while
 * the number stays a group. Returns the new index or 0 on error. */
static size_t repl_numbered(struct principal_rule *ru, const char *s, size_t i,
			    char *err, size_t errlen)
{
	int ng = jre_groups(ru->re), g;

	if (s[i] != '0' && ng == 0) {
		err_set(err, errlen,
			"the replacement refers to group $%c but "
			"the pattern has no capturing group",
			s[i]);
		return 0;
	}
	if (s[i] != '0' && !repl_ref_exists(s + i, ng)) {
		repl_lit(ru, '$'); /* the digits follow as literal text */
		return i;
	}
	g = s[i++] - '0';
	while (is_digit(s[i]) && g * 10 + (s[i] - '0') <= ng)
		g = g * 10 + (s[i++] - '0');
	repl_group(ru, g);
	return i;
}

static int repl_compile(struct principal_rule *ru, char *err, size_t errlen)
{
	const char *s = ru->replacement;
	size_t n = strlen(s), i = 0;

	ru->parts = calloc(n + 1, sizeof(*ru->parts));
	ru->lit = malloc(n + 1);
	if (!ru->parts || !ru->lit)
		return -ENOMEM;
	while (i < n) {
		if (s[i] == '\\') {
			if (i + 1 == n) {
				err_set(err, errlen,
					"character to be escaped "
					"is missing");
				return -EINVAL;
			}
			repl_lit(ru, s[i + 1]);
			i += 2;
		} else if (s[i] != '$') {
			repl_lit(ru, s[i++]);
		} else if (s[i + 1] == '{') {
			i = repl_named(ru, s, i + 1, err, errlen);
		} else if (is_digit(s[i + 1])) {
			i = repl_numbered(ru, s, i + 1, err, errlen);
		} else {
			err_set(err, errlen, "Illegal group reference");
			return -EINVAL;
		}
		if (i == 0)
			return -EINVAL;
	}
	return 0;
}

/* ---- parsing the rule list ------------------------------------------ */

static void rule_fini(struct principal_rule *ru)
{
	jre_free(ru->re);
	free(ru->pattern);
	free(ru->replacement);
	free(ru->parts);
	free(ru->lit);
}

void principal_rules_free(struct principal_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		rule_fini(&r->v[i]);
	free(r->v);
	free(r);
}

static char *group_dup(const char *s, const struct jre_match *m, int g)
{
	return dup_n(s + m->start[g], (size_t)(m->end[g] - m->start[g]));
}

static int rule_compile(struct principal_rule *ru, const char *text, char *err,
			size_t errlen)
{
	char why[200];
	int r;

	r = jre_compile(ru->pattern, strlen(ru->pattern), &ru->re, why,
			sizeof(why));
	if (r == 0)
		r = repl_compile(ru, why, sizeof(why));
	if (r == -EINVAL)
		err_set(err, errlen, "Invalid rule: %s: %s", text, why);
	return r;
}

/* One rule as split off the list; adds it to r unless it is empty. */
static int rules_add(struct principal_rules *r, const struct jre *parser,
		     const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text);
	struct principal_rule *ru = &r->v[r->n];
	struct jre_match m;
	long budget = PRINCIPAL_PARSE_BUDGET;
	int rc = jre_exec(parser, text, len, 0, JRE_LOOKING_AT, &m, &budget);

	if (rc < 0)
		return rc;
	if (rc == 0 || (size_t)m.end[0] != len) {
		err_set(err, errlen,
			"Invalid rule: `%s`, unmatched substring: "
			"`%s`",
			text, rc ? text + m.end[0] : text);
		return -EINVAL;
	}
	memset(ru, 0, sizeof(*ru));
	if (m.start[1] >= 0) {
		ru->is_default = true;
	} else if (m.start[2] >= 0) {
		ru->pattern = group_dup(text, &m, 2);
		ru->replacement = group_dup(text, &m, 4);
		ru->to_case = m.end[6] > m.start[6] ? text[m.start[6]] : 0;
		if (!ru->pattern || !ru->replacement)
			rc = -ENOMEM;
		else
			rc = rule_compile(ru, text, err, errlen);
		if (rc < 0) {
			rule_fini(ru);
			return rc;
		}
	} else {
		return 0; /* an empty rule: ignored, as in Kafka */
	}
	r->n++;
	return 0;
}

/* Java's String.trim(): drop characters <= ' ' at both ends. */
static void java_trim(const char **s, size_t *n)
{
	while (*n && (unsigned char)**s <= ' ')
		(*s)++, (*n)--;
	while (*n && (unsigned char)(*s)[*n - 1] <= ' ')
		(*n)--;
}

/* Matcher.find() from the end of the previous match (+1 char after an
 * empty one). Returns 1 with m filled, 0 at the end, -errno. */
static int java_find_next(const struct jre *re, const char *s, size_t len,
			  long *first, long *last, struct jre_match *m,
			  long *budget)
{
	size_t next = (size_t)*last;
	int r;

	if ((long)next == *first) {
		next++;
		while (next < len && ((unsigned char)s[next] & 0xc0) == 0x80)
			next++;
	}
	if (next > len)
		return 0;
	r = jre_exec(re, s, len, next, JRE_FIND, m, budget);
	if (r == 1) {
		*first = m->start[0];
		*last = m->end[0];
	}
	return r;
}

static int rules_split(struct principal_rules *r, const char *spec, size_t n,
		       char *err, size_t errlen)
{
	struct jre *splitter = NULL, *parser = NULL;
	long first = -1, last = 0, budget = PRINCIPAL_PARSE_BUDGET;
	struct jre_match m;
	char *text;
	int rc;

	rc = jre_compile(RULE_SPLITTER, strlen(RULE_SPLITTER), &splitter, err,
			 errlen);
	if (rc == 0)
		rc = jre_compile(RULE_PATTERN, strlen(RULE_PATTERN), &parser,
				 err, errlen);
	while (rc == 0 && (rc = java_find_next(splitter, spec, n, &first, &last,
					       &m, &budget)) == 1) {
		if (r->n == PRINCIPAL_MAX_RULES) {
			err_set(err, errlen, "more than %d rules",
				PRINCIPAL_MAX_RULES);
			rc = -EINVAL;
			break;
		}
		text = group_dup(spec, &m, 1);
		rc = text ? rules_add(r, parser, text, err, errlen) : -ENOMEM;
		free(text);
	}
	if (rc == -ELOOP)
		err_set(err, errlen, "rule list too complex to split");
	jre_free(splitter);
	jre_free(parser);
	return rc < 0 ? rc : 0;
}

int principal_rules_parse(const char *spec, struct principal_rules **out,
			  char *err, size_t errlen)
{
	struct principal_rules *r = calloc(1, sizeof(*r));
	size_t n;
	int rc;

	if (errlen)
		err[0] = '\0';
	if (!spec)
		spec = "DEFAULT";
	n = strlen(spec);
	if (!r)
		return -ENOMEM;
	r->v = calloc(PRINCIPAL_MAX_RULES, sizeof(*r->v));
	if (!r->v) {
		free(r);
		return -ENOMEM;
	}
	if (n > PRINCIPAL_SPEC_MAX) {
		err_set(err, errlen, "rule list longer than %u bytes",
			PRINCIPAL_SPEC_MAX);
		rc = -EINVAL;
	} else {
		java_trim(&spec, &n);
		rc = rules_split(r, spec, n, err, errlen);
	}
	if (rc < 0) {
		if (rc == -ENOMEM)
			err_set(err, errlen, "out of memory");
		principal_rules_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* ---- mapping -------------------------------------------------------- */

static void repl_expand(const struct principal_rule *ru, const char *dn,
			const struct jre_match *m, struct pbuf *b)
{
	for (size_t i = 0; i < ru->nparts; i++) {
		const struct repl_part *p = &ru->parts[i];

		if (p->group < 0)
			pb_add(b, ru->lit + p->off, p->len);
		else if (m->start[p->group] >= 0)
			pb_add(b, dn + m->start[p->group],
			       (size_t)(m->end[p->group] - m->start[p->group]));
	}
}

static int replace_all(const struct principal_rule *ru, const char *dn,
		       size_t len, struct pbuf *b, long *budget)
{
	long first = -1, last = 0;
	size_t appended = 0;
	struct jre_match m;
	int r;

	while ((r = java_find_next(ru->re, dn, len, &first, &last, &m,
				   budget)) == 1) {
		pb_add(b, dn + appended, (size_t)m.start[0] - appended);
		repl_expand(ru, dn, &m, b);
		appended = (size_t)m.end[0];
	}
	if (r < 0)
		return r;
	pb_add(b, dn + appended, len - appended);
	return b->err;
}

static locale_t principal_locale;
static pthread_once_t principal_locale_once = PTHREAD_ONCE_INIT;

static void principal_locale_init(void)
{
	principal_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static size_t utf8_put(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static uint32_t case_map(uint32_t c, bool upper)
{
	if (c < 0x80) {
		if (upper && c >= 'a' && c <= 'z')
			return c - 32;
		if (!upper && c >= 'A' && c <= 'Z')
			return c + 32;
		return c;
	}
	pthread_once(&principal_locale_once, principal_locale_init);
	if (!principal_locale)
		return c;
	return (uint32_t)(upper ? towupper_l((wint_t)c, principal_locale)
				: towlower_l((wint_t)c, principal_locale));
}

/* Length of the UTF-8 sequence starting with lead byte c (1 if bad). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned need = s[0] >= 0xf0 ? 3 : s[0] >= 0xe0 ? 2 : s[0] >= 0xc0;

	*cp = s[0];
	if (s[0] < 0x80 || need >= n)
		return 1;
	*cp = s[0] & (0x3f >> need);
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = s[0];
			return 1; /* not UTF-8: leave the byte alone */
		}
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return need + 1;
}

/* One character of b at i, case-mapped, into tmp; returns its input
 * length. Bytes that are not UTF-8 pass through unchanged. */
static size_t case_char(const struct pbuf *b, size_t i, char to_case, char *tmp,
			size_t *w)
{
	uint32_t c;
	size_t k = utf8_seq((const unsigned char *)b->p + i, b->len - i, &c);

	if (k == 1 && c >= 0x80) {
		tmp[0] = (char)c;
		*w = 1;
	} else {
		*w = utf8_put(tmp, to_case ? case_map(c, to_case == 'U') : c);
	}
	return k;
}

static int emit_cased(const struct pbuf *b, char to_case, char *out, size_t cap)
{
	size_t o = 0, w;
	char tmp[4];

	if (cap == 0)
		return -ENOSPC;
	for (size_t i = 0; i < b->len;) {
		i += case_char(b, i, to_case, tmp, &w);
		if (o + w >= cap)
			return -ENOSPC;
		memcpy(out + o, tmp, w);
		o += w;
	}
	out[o] = '\0';
	return 0;
}

static int rule_apply(const struct principal_rule *ru, const char *dn,
		      size_t len, char *out, size_t cap, long *budget)
{
	struct pbuf b = {0};
	struct jre_match m;
	int r = jre_exec(ru->re, dn, len, 0, JRE_MATCHES, &m, budget);

	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	r = replace_all(ru, dn, len, &b, budget);
	if (r == 0)
		r = emit_cased(&b, ru->to_case, out, cap);
	free(b.p);
	return r;
}

int principal_map(const struct principal_rules *r, const char *dn, char *out,
		  size_t cap)
{
	size_t len = strlen(dn);
	long budget = PRINCIPAL_BUDGET;
	int rc;

	if (len > PRINCIPAL_DN_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].is_default) {
			if (len >= cap)
				return -ENOSPC;
			memcpy(out, dn, len + 1);
			return 0;
		}
		rc = rule_apply(&r->v[i], dn, len, out, cap, &budget);
		if (rc != -ENOENT)
			return rc;
	}
	return -ENOENT;
}

int principal_rules_describe(const struct principal_rules *r, char *out,
			     size_t cap)
{
	struct pbuf b = {0};
	int rc;

	pb_add(&b, "[", 1);
	for (size_t i = 0; i < r->n; i++) {
		const struct principal_rule *ru = &r->v[i];

		if (i)
			pb_add(&b, ", ", 2);
		if (ru->is_default) {
			pb_add(&b, "DEFAULT", 7);
			continue;
		}
		pb_add(&b, "RULE:", 5);
		pb_add(&b, ru->pattern, strlen(ru->pattern));
		pb_add(&b, "/", 1);
		pb_add(&b, ru->replacement, strlen(ru->replacement));
		if (ru->to_case)
			pb_add(&b, ru->to_case == 'L' ? "/L" : "/U", 2);
	}
	pb_add(&b, "]", 1);
	rc = b.err ? b.err : (b.len < cap ? 0 : -ENOSPC);
	if (rc == 0)
		memcpy(out, b.p, b.len + 1);
	free(b.p);
	return rc;
}
