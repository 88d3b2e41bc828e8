/* principal_re_int.h - internal to principal_re.c (the compiler) and
 * principal_re_exec.c (the matcher): the compiled program's layout and
 * the character helpers both use. The instruction set is described at
 * the top of principal_re.c. Not a public header.
 */
#ifndef SEALOG_AUTH_PRINCIPAL_RE_INT_H
#define SEALOG_AUTH_PRINCIPAL_RE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/principal_re.h"

#define JRE_MAX_INSTS 20000
#define JRE_MAX_REPEAT 1000
#define JRE_MAX_DEPTH 100
#define JRE_NAME_MAX 32
#define JRE_BAD_CP 0x110000u /* | byte: undecodable input, matches nothing */

enum jre_op {
	OP_CHAR,
	OP_ANY,
	OP_CLASS,
	OP_ASSERT,
	OP_SPLIT,
	OP_JMP,
	OP_SAVE,
	OP_MARK,
	OP_CHECK,
	OP_BACKREF,
	OP_MATCH
};

enum jre_assert {
	AS_BOL,
	AS_MBOL,
	AS_EOL,
	AS_MEOL,
	AS_BOT,
	AS_EOT,
	AS_WORDB,
	AS_NWORDB
};

#define JF_ICASE 1u
#define JF_DOTALL 2u
#define JF_MULTI 4u

struct jre_inst {
	uint8_t op;
	uint8_t icase;	/* CHAR, CLASS, BACKREF */
	uint8_t dotall; /* ANY */
	int32_t x, y;	/* targets; slot; register; group; class; assert */
	uint32_t c;	/* CHAR */
};

struct jre_class {
	bool neg;
	size_t off, n; /* ranges[off .. off + 2n): lo, hi pairs */
};

struct jre_name {
	char name[JRE_NAME_MAX];
	int group;
};

struct jre {
	struct jre_inst *code;
	size_t ncode, capcode;
	struct jre_class *classes;
	size_t nclasses, capclasses;
	uint32_t *ranges;
	size_t nranges, capranges;
	struct jre_name names[JRE_MAX_GROUPS];
	int nnames;
	int ngroups, nregs;
};

/* ---- UTF-8 and characters ------------------------------------------- */

static inline uint32_t jre_decode(const unsigned char *s, size_t n, size_t *adv)
{
	unsigned c = s[0], need;
	uint32_t cp, min;

	*adv = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, min = 0x10000, cp = c & 0x07;
	else
		return JRE_BAD_CP | c;
	if (n <= need)
		return JRE_BAD_CP | c;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return JRE_BAD_CP | c;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return JRE_BAD_CP | c;
	*adv = need + 1;
	return cp;
}

static inline uint32_t jre_lower(uint32_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline uint32_t jre_swapcase(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 'a' && c <= 'z')
		return c - 32;
	return c;
}

static inline bool jre_is_lineterm(uint32_t c)
{
	return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 ||
	       c == 0x2029;
}

static inline bool jre_is_word(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

#endif
