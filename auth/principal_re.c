/* principal_re.c - see principal_re.h: a Java-regex-subset compiler to a
 * small instruction set and a backtracking matcher over it.
 *
 * Program: SAVE 0, <pattern>, SAVE 1, MATCH. Instructions:
 *
 *   CHAR c     one code point (ASCII-folded when icase)
 *   ANY        one code point, not a line terminator unless dotall
 *   CLASS k    one code point in class k (ranges, maybe negated)
 *   ASSERT a   zero-width: ^ $ \A \z \Z \b \B (multiline variants)
 *   SPLIT x,y  try pc+x first; on failure resume at pc+y
 *   JMP x      pc += x
 *   SAVE n     capture slot n = position (undone on backtrack)
 *   MARK r     loop register r = position (undone on backtrack)
 *   CHECK r    fail if position == register r: an iteration of a loop
 *              whose body can match empty must consume something, or
 *              (a?)* would loop forever
 *   BACKREF g  the text of group g again
 *   MATCH      success (MATCHES mode: only at the end of the subject)
 *
 * Jump targets are relative, so a compiled sub-range can be copied
 * verbatim (counted repetition x{2,4} is x x x? x?) and an instruction
 * can be inserted in front of a just-compiled range (alternation,
 * quantifiers) without fixing up anything inside it.
 *
 * Greedy vs lazy is only the order of a SPLIT's two targets; the
 * matcher explores in priority order and the first MATCH wins, which
 * is exactly Java's (Perl's) leftmost-first semantics.
 */
#include "auth/principal_re_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jp { /* parser state */
	const unsigned char *s;
	size_t len, pos;
	struct jre *re;
	unsigned flags;
	int depth;
	char *err;
	size_t errlen;
	int r; /* sticky: 0, -EINVAL, -ENOMEM */
};

/* ---- parser helpers ------------------------------------------------- */

static int jp_fail(struct jp *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int jp_fail(struct jp *p, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (p->r)
		return p->r;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s near index %zu", what, p->pos);
	p->r = -EINVAL;
	return p->r;
}

static int jp_nomem(struct jp *p)
{
	if (!p->r) {
		snprintf(p->err, p->errlen, "out of memory");
		p->r = -ENOMEM;
	}
	return p->r;
}

static bool jp_more(const struct jp *p)
{
	return p->pos < p->len;
}

static int jp_peek(const struct jp *p, size_t ahead)
{
	return p->pos + ahead < p->len ? p->s[p->pos + ahead] : -1;
}

static uint32_t jp_next_cp(struct jp *p)
{
	size_t adv;
	uint32_t c = jre_decode(p->s + p->pos, p->len - p->pos, &adv);

	p->pos += adv;
	return c;
}

static bool jre_grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *n;

	if (need <= *cap)
		return true;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*v, ncap * size);
	if (!n)
		return false;
	*v = n;
	*cap = ncap;
	return true;
}

static long jp_emit(struct jp *p, struct jre_inst in)
{
	struct jre *re = p->re;

	if (p->r)
		return -1;
	if (re->ncode >= JRE_MAX_INSTS)
		return jp_fail(p, "pattern too complex"), -1;
	if (!jre_grow((void **)&re->code, &re->capcode, re->ncode + 1,
		      sizeof(*re->code)))
		return jp_nomem(p), -1;
	re->code[re->ncode] = in;
	return (long)re->ncode++;
}

/* Insert in at index at (the start of a range nothing outside jumps
 * into), shifting the range up by one. */
static int jp_insert(struct jp *p, size_t at, struct jre_inst in)
{
	struct jre *re = p->re;

	if (jp_emit(p, in) < 0)
		return -1;
	memmove(re->code + at + 1, re->code + at,
		(re->ncode - 1 - at) * sizeof(*re->code));
	re->code[at] = in;
	return 0;
}

static int jp_copy(struct jp *p, const struct jre_inst *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (jp_emit(p, src[i]) < 0)
			return -1;
	return 0;
}

static struct jre_inst jre_mk(enum jre_op op, int32_t x, int32_t y)
{
	struct jre_inst in = {.op = (uint8_t)op, .x = x, .y = y};

	return in;
}

/* ---- classes -------------------------------------------------------- */

static int jp_class_begin(struct jp *p, bool neg)
{
	struct jre *re = p->re;

	if (!jre_grow((void **)&re->classes, &re->capclasses, re->nclasses + 1,
		      sizeof(*re->classes)))
		return jp_nomem(p);
	re->classes[re->nclasses].neg = neg;
	re->classes[re->nclasses].off = re->nranges;
	re->classes[re->nclasses].n = 0;
	re->nclasses++;
	return 0;
}

static int jp_class_add(struct jp *p, uint32_t lo, uint32_t hi)
{
	struct jre *re = p->re;

	if (re->nranges > 4 * JRE_MAX_INSTS)
		return jp_fail(p, "character class too large");
	if (!jre_grow((void **)&re->ranges, &re->capranges, re->nranges + 2,
		      sizeof(*re->ranges)))
		return jp_nomem(p);
	re->ranges[re->nranges++] = lo;
	re->ranges[re->nranges++] = hi;
	re->classes[re->nclasses - 1].n++;
	return 0;
}

/* \d \s \w \h \v as ranges (sorted, disjoint). */
static const uint32_t cls_d[] = {'0', '9'};
static const uint32_t cls_s[] = {'\t', '\r', ' ', ' '};
static const uint32_t cls_w[] = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
static const uint32_t cls_h[] = {
    '\t',   '\t',   ' ',    ' ',    0xa0,   0xa0,   0x1680, 0x1680, 0x180e,
    0x180e, 0x2000, 0x200a, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000};
static const uint32_t cls_v[] = {'\n', '\r', 0x85, 0x85, 0x2028, 0x2029};

static const uint32_t *jre_builtin(int c, size_t *n)
{
	switch (c | 0x20) {
	case 'd':
		*n = sizeof(cls_d) / 8;
		return cls_d;
	case 's':
		*n = sizeof(cls_s) / 8;
		return cls_s;
	case 'w':
		*n = sizeof(cls_w) / 8;
		return cls_w;
	case 'h':
		*n = sizeof(cls_h) / 8;
		return cls_h;
	case 'v':
		*n = sizeof(cls_v) / 8;
		return cls_v;
	}
	return NULL;
}

/* Add builtin class c (upper case = complement) to the open class. */
static int jp_class_builtin(struct jp *p, int c)
{
	size_t n = 0;
	const uint32_t *r = jre_builtin(c, &n);
	uint32_t next = 0;

	if (c >= 'a') {
		for (size_t i = 0; i < n; i++)
			if (jp_class_add(p, r[2 * i], r[2 * i + 1]) < 0)
				return -1;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[2 * i] > next && jp_class_add(p, next, r[2 * i] - 1) < 0)
			return -1;
		next = r[2 * i + 1] + 1;
	}
	return jp_class_add(p, next, 0x10ffff);
}

/* ---- escapes -------------------------------------------------------- */

static int jp_hex(struct jp *p, int digits, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < digits; i++) {
		int c = jp_peek(p, 0);
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;

		if (d < 0)
			return jp_fail(p,
				       "Illegal hexadecimal escape sequence");
		v = v * 16 + (uint32_t)d;
		p->pos++;
	}
	*out = v;
	return 0;
}

static int jp_hex_braced(struct jp *p, uint32_t *out)
{
	uint32_t v = 0, d = 0;
	int n = 0;

	p->pos++; /* '{' */
	while (jp_peek(p, 0) != '}') {
		if (jp_hex(p, 1, &d) < 0)
			return -1;
		v = v * 16 + d;
		if (++n > 6 || v > 0x10ffff)
			return jp_fail(p, "Hexadecimal codepoint is too big");
	}
	p->pos++;
	*out = v;
	return n ? 0 : jp_fail(p, "Illegal hexadecimal escape sequence");
}

static int jp_octal(struct jp *p, uint32_t *out)
{
	uint32_t v = 0;
	int n = 0, max = jp_peek(p, 0) >= '0' && jp_peek(p, 0) <= '3' ? 3 : 2;

	while (n < max && jp_peek(p, 0) >= '0' && jp_peek(p, 0) <= '7') {
		v = v * 8 + (uint32_t)(jp_peek(p, 0) - '0');
		p->pos++;
		n++;
	}
	*out = v;
	return n ? 0 : jp_fail(p, "Illegal octal escape sequence");
}

/* After '\': a single-character escape into *cp. Returns 1 if it was
 * one, 0 if it is something else (class, assertion, reference), or an
 * error. Consumes only for 1. */
static int jp_char_escape(struct jp *p, uint32_t *cp)
{
	int c = jp_peek(p, 0);
	static const char simple[] = "t\tn\nr\rf\fa\ae\x1b";
	const char *k;

	if (c < 0)
		return jp_fail(p, "Unexpected internal error");
	if (c < 0x80 && c != 0 && (k = strchr(simple, c)) &&
	    (size_t)(k - simple) % 2 == 0) {
		p->pos++;
		*cp = (unsigned char)k[1];
		return 1;
	}
	switch (c) {
	case '0':
		p->pos++;
		return jp_octal(p, cp) < 0 ? -1 : 1;
	case 'x':
		p->pos++;
		if (jp_peek(p, 0) == '{')
			return jp_hex_braced(p, cp) < 0 ? -1 : 1;
		return jp_hex(p, 2, cp) < 0 ? -1 : 1;
	case 'u':
		p->pos++;
		return jp_hex(p, 4, cp) < 0 ? -1 : 1;
	case 'c':
		if (jp_peek(p, 1) < 0)
			return jp_fail(p, "Illegal control escape sequence");
		p->pos += 2;
		*cp = (uint32_t)(p->s[p->pos - 1] ^ 64);
		return 1;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 0;
	*cp = jp_next_cp(p); /* any other escaped character is itself */
	return 1;
}

/* ---- atoms ---------------------------------------------------------- */

static int jp_alt(struct jp *p, bool *nullable);

static int jp_emit_char(struct jp *p, uint32_t c)
{
	struct jre_inst in = jre_mk(OP_CHAR, 0, 0);

	in.icase = (p->flags & JF_ICASE) != 0;
	in.c = in.icase ? jre_lower(c) : c;
	return jp_emit(p, in) < 0 ? -1 : 0;
}

static int jp_emit_class(struct jp *p)
{
	struct jre_inst in = jre_mk(OP_CLASS, (int32_t)p->re->nclasses - 1, 0);

	in.icase = (p->flags & JF_ICASE) != 0;
	return jp_emit(p, in) < 0 ? -1 : 0;
}

static int jp_class_item(struct jp *p, uint32_t *cp, bool *is_set)
{
	int r;

	*is_set = false;
	if (jp_peek(p, 0) != '\\') {
		*cp = jp_next_cp(p);
		return 0;
	}
	p->pos++;
	r = jp_char_escape(p, cp);
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (jre_builtin(jp_peek(p, 0), &(size_t){0})) {
		*is_set = true;
		return jp_class_builtin(p, p->s[p->pos++]);
	}
	return jp_fail(p, "Illegal/unsupported escape sequence in a class");
}

static int jp_class(struct jp *p)
{
	uint32_t lo, hi;
	bool set, first = true;

	p->pos++; /* '[' */
	if (jp_class_begin(p, jp_peek(p, 0) == '^') < 0)
		return -1;
	if (jp_peek(p, 0) == '^')
		p->pos++;
	for (;;) {
		int c = jp_peek(p, 0);

		if (c < 0)
			return jp_fail(p, "Unclosed character class");
		if (c == ']' && !first)
			break;
		if (c == '[' || (c == '&' && jp_peek(p, 1) == '&'))
			return jp_fail(p, "nested classes and class "
					  "intersection are not supported");
		first = false;
		if (jp_class_item(p, &lo, &set) < 0)
			return -1;
		if (set)
			continue;
		hi = lo;
		if (jp_peek(p, 0) == '-' && jp_peek(p, 1) != ']' &&
		    jp_peek(p, 1) >= 0) {
			p->pos++;
			if (jp_class_item(p, &hi, &set) < 0)
				return -1;
			if (set || hi < lo)
				return jp_fail(p, "Illegal character range");
		}
		if (jp_class_add(p, lo, hi) < 0)
			return -1;
	}
	p->pos++; /* ']' */
	return jp_emit_class(p);
}

static int jp_builtin_atom(struct jp *p, int c)
{
	if (jp_class_begin(p, false) < 0 || jp_class_builtin(p, c) < 0)
		return -1;
	return jp_emit_class(p);
}

static int jp_assert(struct jp *p, enum jre_assert a)
{
	return jp_emit(p, jre_mk(OP_ASSERT, a, 0)) < 0 ? -1 : 0;
}

static int jp_backref(struct jp *p, int g)
{
	struct jre_inst in = jre_mk(OP_BACKREF, g, 0);

	in.icase = (p->flags & JF_ICASE) != 0;
	return jp_emit(p, in) < 0 ? -1 : 0;
}

static int jp_name(struct jp *p, char *name, char end)
{
	size_t n = 0;

	while (jp_more(p) && p->s[p->pos] != (unsigned char)end) {
		int c = p->s[p->pos];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (n > 0 && c >= '0' && c <= '9');

		if (!ok || n + 1 >= JRE_NAME_MAX)
			return jp_fail(p,
				       "named capturing group is missing "
				       "trailing '%c' or malformed",
				       end);
		name[n++] = (char)c;
		p->pos++;
	}
	if (!jp_more(p) || n == 0)
		return jp_fail(p,
			       "named capturing group is missing trailing "
			       "'%c'",
			       end);
	p->pos++;
	name[n] = '\0';
	return 0;
}

/* \1..\9 are references; more digits only while that group exists. */
static int jp_numbered_ref(struct jp *p, bool *nullable)
{
	int g = p->s[p->pos++] - '0';

	while (jp_peek(p, 0) >= '0' && jp_peek(p, 0) <= '9' &&
	       g * 10 + (jp_peek(p, 0) - '0') <= p->re->ngroups) {
		g = g * 10 + (p->s[p->pos++] - '0');
	}
	*nullable = true;
	return jp_backref(p, g);
}

static int jp_escape_atom(struct jp *p, bool *nullable, bool *quant)
{
	static const char asserts[] = "bBAzZ";
	static const enum jre_assert akind[] = {AS_WORDB, AS_NWORDB, AS_BOT,
						AS_EOT, AS_EOL};
	char name[JRE_NAME_MAX];
	uint32_t cp;
	const char *a;
	int c, r;

	p->pos++; /* '\' */
	r = jp_char_escape(p, &cp);
	if (r != 0)
		return r < 0 ? -1 : jp_emit_char(p, cp);
	c = jp_peek(p, 0);
	if (c >= '1' && c <= '9')
		return jp_numbered_ref(p, nullable);
	if (jre_builtin(c, &(size_t){0}))
		return p->pos++, jp_builtin_atom(p, c);
	if (c > 0 && (a = strchr(asserts, c))) {
		p->pos++;
		*nullable = true;
		return jp_assert(p, akind[a - asserts]);
	}
	if (c == 'k' && jp_peek(p, 1) == '<') {
		p->pos += 2;
		if (jp_name(p, name, '>') < 0)
			return -1;
		*nullable = true;
		r = jre_group_index(p->re, name, strlen(name));
		if (r < 0)
			return jp_fail(p,
				       "named capturing group <%s> does not "
				       "exist",
				       name);
		return jp_backref(p, r);
	}
	return jp_fail(p, "Illegal/unsupported escape sequence");
}

/* ---- groups --------------------------------------------------------- */

/* (?imsx-imsx) or (?imsx-imsx: ...). Returns 1 for a scoped group (':'
 * consumed), 0 for a flag setting (')' consumed). */
static int jp_flags(struct jp *p, unsigned *flags)
{
	bool on = true;

	for (;;) {
		int c = jp_peek(p, 0);
		unsigned f = c == 'i'	? JF_ICASE
			     : c == 's' ? JF_DOTALL
			     : c == 'm' ? JF_MULTI
					: 0;

		if (c == ')' || c == ':') {
			p->pos++;
			return c == ':';
		}
		if (c == '-' && on) {
			on = false;
		} else if (f) {
			*flags = on ? *flags | f : *flags & ~f;
		} else {
			return jp_fail(p, "Unknown or unsupported inline "
					  "modifier");
		}
		p->pos++;
	}
}

static int jp_group_body(struct jp *p, int group, bool *nullable)
{
	unsigned saved = p->flags;

	if (group >= 0 && jp_emit(p, jre_mk(OP_SAVE, 2 * group, 0)) < 0)
		return -1;
	if (jp_alt(p, nullable) < 0)
		return -1;
	if (jp_peek(p, 0) != ')')
		return jp_fail(p, "Unclosed group");
	p->pos++;
	p->flags = saved; /* Java: inline flags end with their group */
	if (group >= 0 && jp_emit(p, jre_mk(OP_SAVE, 2 * group + 1, 0)) < 0)
		return -1;
	return 0;
}

static int jp_new_group(struct jp *p, const char *name)
{
	struct jre *re = p->re;

	if (re->ngroups >= JRE_MAX_GROUPS)
		return jp_fail(p, "too many capturing groups");
	re->ngroups++;
	if (name) {
		if (jre_group_index(re, name, strlen(name)) >= 0)
			return jp_fail(p,
				       "Named capturing group <%s> is already "
				       "defined",
				       name);
		snprintf(re->names[re->nnames].name, JRE_NAME_MAX, "%s", name);
		re->names[re->nnames++].group = re->ngroups;
	}
	return re->ngroups;
}

static int jp_group(struct jp *p, bool *nullable, bool *quant)
{
	char name[JRE_NAME_MAX];
	unsigned saved = p->flags;
	int g, r;

	if (++p->depth > JRE_MAX_DEPTH)
		return jp_fail(p, "groups nested too deeply");
	p->pos++; /* '(' */
	if (jp_peek(p, 0) != '?') {
		g = jp_new_group(p, NULL);
		r = g < 0 ? -1 : jp_group_body(p, g, nullable);
	} else if (p->pos++, jp_peek(p, 0) == ':') {
		p->pos++;
		r = jp_group_body(p, -1, nullable);
	} else if (jp_peek(p, 0) == '<' && jp_peek(p, 1) != '=' &&
		   jp_peek(p, 1) != '!') {
		p->pos++;
		r = jp_name(p, name, '>');
		g = r < 0 ? -1 : jp_new_group(p, name);
		r = g < 0 ? -1 : jp_group_body(p, g, nullable);
	} else if (strchr("=!<>", jp_peek(p, 0) > 0 ? jp_peek(p, 0) : 'x')) {
		r = jp_fail(p,
			    "lookaround and atomic groups are not supported");
	} else {
		r = jp_flags(p, &p->flags);
		if (r == 1) { /* (?i:...) */
			r = jp_group_body(p, -1, nullable);
			p->flags = saved;
		} else if (r == 0) { /* (?i): rest of the enclosing group */
			*nullable = true;
			*quant = false;
		}
	}
	p->depth--;
	return r < 0 ? -1 : 0;
}

static int jp_atom(struct jp *p, bool *nullable, bool *quant)
{
	int c = p->s[p->pos];
	struct jre_inst in;

	*nullable = false;
	*quant = true;
	switch (c) {
	case '(':
		return jp_group(p, nullable, quant);
	case '[':
		return jp_class(p);
	case '.':
		p->pos++;
		in = jre_mk(OP_ANY, 0, 0);
		in.dotall = (p->flags & JF_DOTALL) != 0;
		return jp_emit(p, in) < 0 ? -1 : 0;
	case '^':
	case '$':
		p->pos++;
		*nullable = true;
		if (c == '^')
			return jp_assert(p, p->flags & JF_MULTI ? AS_MBOL
								: AS_BOL);
		return jp_assert(p, p->flags & JF_MULTI ? AS_MEOL : AS_EOL);
	case '\\':
		return jp_escape_atom(p, nullable, quant);
	case '*':
	case '+':
	case '?':
		return jp_fail(p, "Dangling meta character '%c'", c);
	case '{':
		return jp_fail(p, "Illegal repetition");
	}
	return jp_emit_char(p, jp_next_cp(p));
}

/* ---- quantifiers ---------------------------------------------------- */

static int jp_number(struct jp *p, int *out)
{
	long v = 0;
	int n = 0;

	while (jp_peek(p, 0) >= '0' && jp_peek(p, 0) <= '9') {
		v = v * 10 + (p->s[p->pos++] - '0');
		if (v > JRE_MAX_REPEAT)
			return jp_fail(p, "repetition count over %d",
				       JRE_MAX_REPEAT);
		n++;
	}
	*out = (int)v;
	return n;
}

/* Parse a quantifier if one follows: 1 (min, max; max -1 = unbounded,
 * lazy), 0 none, or an error. */
static int jp_quantifier(struct jp *p, int *min, int *max, bool *lazy)
{
	int c = jp_peek(p, 0);

	if (c == '*' || c == '+' || c == '?') {
		*min = c == '+';
		*max = c == '?' ? 1 : -1;
		p->pos++;
	} else if (c == '{') {
		p->pos++;
		if (jp_number(p, min) <= 0)
			return jp_fail(p, "Illegal repetition");
		*max = *min;
		if (jp_peek(p, 0) == ',') {
			p->pos++;
			if (jp_number(p, max) < 0)
				return -1;
			if (p->s[p->pos - 1] == ',')
				*max = -1;
		}
		if (jp_peek(p, 0) != '}')
			return jp_fail(p, "Unclosed counted closure");
		p->pos++;
		if (*max >= 0 && *max < *min)
			return jp_fail(p, "Illegal repetition range");
	} else {
		return 0;
	}
	*lazy = jp_peek(p, 0) == '?';
	if (*lazy)
		p->pos++;
	else if (jp_peek(p, 0) == '+')
		return jp_fail(p, "possessive quantifiers are not supported");
	return 1;
}

/* body* (or body*?) at the end of the code. */
static int jp_star(struct jp *p, const struct jre_inst *body, size_t n,
		   bool lazy, bool body_nullable)
{
	size_t loop = p->re->ncode;
	int reg = body_nullable ? p->re->nregs++ : -1;
	long exit_at;

	if (jp_emit(p, jre_mk(OP_SPLIT, 0, 0)) < 0)
		return -1;
	if (reg >= 0 && jp_emit(p, jre_mk(OP_MARK, reg, 0)) < 0)
		return -1;
	if (jp_copy(p, body, n) < 0)
		return -1;
	if (reg >= 0 && jp_emit(p, jre_mk(OP_CHECK, reg, 0)) < 0)
		return -1;
	if (jp_emit(p, jre_mk(OP_JMP, -(int32_t)(p->re->ncode - loop), 0)) < 0)
		return -1;
	exit_at = (long)(p->re->ncode - loop);
	p->re->code[loop].x = lazy ? (int32_t)exit_at : 1;
	p->re->code[loop].y = lazy ? 1 : (int32_t)exit_at;
	return 0;
}

/* Up to count optional copies of body, all exiting to the same end. */
static int jp_optionals(struct jp *p, const struct jre_inst *body, size_t n,
			int count, bool lazy)
{
	size_t first = p->re->ncode, step = n + 1, end;

	for (int i = 0; i < count; i++)
		if (jp_emit(p, jre_mk(OP_SPLIT, 0, 0)) < 0 ||
		    jp_copy(p, body, n) < 0)
			return -1;
	end = p->re->ncode;
	for (int i = 0; i < count; i++) {
		size_t at = first + (size_t)i * step;

		p->re->code[at].x = lazy ? (int32_t)(end - at) : 1;
		p->re->code[at].y = lazy ? 1 : (int32_t)(end - at);
	}
	return 0;
}

/* The atom compiled at [start, ncode) repeated min..max times. */
static int jp_repeat(struct jp *p, size_t start, int min, int max, bool lazy,
		     bool body_nullable)
{
	size_t n = p->re->ncode - start;
	struct jre_inst *body = malloc((n ? n : 1) * sizeof(*body));
	int r = 0;

	if (!body)
		return jp_nomem(p);
	memcpy(body, p->re->code + start, n * sizeof(*body));
	p->re->ncode = start;
	if ((size_t)(min + (max > 0 ? max : 1)) * (n + 3) > JRE_MAX_INSTS)
		r = jp_fail(p, "pattern too complex");
	for (int i = 0; r == 0 && i < min; i++)
		r = jp_copy(p, body, n);
	if (r == 0 && max < 0)
		r = jp_star(p, body, n, lazy, body_nullable);
	else if (r == 0 && max > min)
		r = jp_optionals(p, body, n, max - min, lazy);
	free(body);
	return r < 0 ? -1 : 0;
}

/* ---- sequences and alternation -------------------------------------- */

static int jp_term(struct jp *p, bool *nullable)
{
	size_t start = p->re->ncode;
	int min = 0, max = 0, q;
	bool lazy = false, quant = false;

	if (jp_atom(p, nullable, &quant) < 0)
		return -1;
	q = jp_quantifier(p, &min, &max, &lazy);
	if (q <= 0)
		return q;
	if (!quant)
		return jp_fail(p, "Dangling meta character");
	if (jp_repeat(p, start, min, max, lazy, *nullable) < 0)
		return -1;
	*nullable = *nullable || min == 0;
	return 0;
}

static int jp_seq(struct jp *p, bool *nullable)
{
	bool n;

	*nullable = true;
	while (jp_more(p) && p->s[p->pos] != '|' && p->s[p->pos] != ')') {
		if (jp_term(p, &n) < 0)
			return -1;
		*nullable = *nullable && n;
	}
	return 0;
}

/* a|b|c:  SPLIT +1,L2; a; JMP end; L2: SPLIT +1,L3; b; JMP end; L3: c */
static int jp_alt(struct jp *p, bool *nullable)
{
	size_t branch = p->re->ncode;
	long jmp, chain = -1;
	bool n;

	if (jp_seq(p, nullable) < 0)
		return -1;
	while (jp_peek(p, 0) == '|') {
		p->pos++;
		if (jp_insert(p, branch, jre_mk(OP_SPLIT, 1, 0)) < 0)
			return -1;
		jmp = jp_emit(p, jre_mk(OP_JMP, (int32_t)chain, 0));
		if (jmp < 0)
			return -1;
		chain = jmp;
		p->re->code[branch].y = (int32_t)(p->re->ncode - branch);
		branch = p->re->ncode;
		if (jp_seq(p, &n) < 0)
			return -1;
		*nullable = *nullable || n;
	}
	while (chain >= 0) { /* the JMPs were linked through x */
		long next = p->re->code[chain].x;

		p->re->code[chain].x = (int32_t)(p->re->ncode - (size_t)chain);
		chain = next;
	}
	return 0;
}

/* ---- compile -------------------------------------------------------- */

static bool jre_is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* Java rewrites \Q...\E before parsing (Pattern.RemoveQEQuoting): quoted
 * ASCII punctuation gets a backslash, everything else is copied. So do
 * we; a quantifier after \E then applies to the last quoted character. */
static char *jre_unquote(const char *s, size_t len, size_t *out_len)
{
	char *o = malloc(2 * len + 1);
	size_t n = 0, i = 0;

	if (!o)
		return NULL;
	while (i < len) {
		if (s[i] != '\\' || i + 1 == len) {
			o[n++] = s[i++];
		} else if (s[i + 1] != 'Q') {
			o[n++] = s[i++];
			o[n++] = s[i++];
		} else {
			for (i += 2; i < len && !(s[i] == '\\' && i + 1 < len &&
						  s[i + 1] == 'E');
			     i++) {
				unsigned char c = (unsigned char)s[i];

				if (c < 0x80 && !jre_is_alnum(c))
					o[n++] = '\\';
				o[n++] = (char)c;
			}
			i = i < len ? i + 2 : i;
		}
	}
	*out_len = n;
	return o;
}

int jre_compile(const char *pattern, size_t len, struct jre **out, char *err,
		size_t errlen)
{
	struct jre *re = calloc(1, sizeof(*re));
	char *text = re ? jre_unquote(pattern, len, &len) : NULL;
	struct jp p = {
	    (const unsigned char *)text, len, 0, re, 0, 0, err, errlen, 0};
	bool nullable;

	if (!re || !text) {
		free(re);
		free(text);
		return -ENOMEM;
	}
	if (errlen)
		err[0] = '\0';
	jp_emit(&p, jre_mk(OP_SAVE, 0, 0));
	if (jp_alt(&p, &nullable) == 0 && jp_more(&p))
		jp_fail(&p, "Unmatched closing ')'");
	jp_emit(&p, jre_mk(OP_SAVE, 1, 0));
	jp_emit(&p, jre_mk(OP_MATCH, 0, 0));
	free(text);
	if (p.r) {
		jre_free(re);
		return p.r;
	}
	*out = re;
	return 0;
}

void jre_free(struct jre *re)
{
	if (!re)
		return;
	free(re->code);
	free(re->classes);
	free(re->ranges);
	free(re);
}

int jre_groups(const struct jre *re)
{
	return re->ngroups;
}

int jre_group_index(const struct jre *re, const char *name, size_t len)
{
	for (int i = 0; i < re->nnames; i++)
		if (strlen(re->names[i].name) == len &&
		    memcmp(re->names[i].name, name, len) == 0)
			return re->names[i].group;
	return -1;
}
