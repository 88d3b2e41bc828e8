/* principal_re.h - internal to auth/principal.c: the subset of
 * java.util.regex that principal mapping rules use, as a backtracking
 * matcher with a step budget. Not a public header.
 *
 * Why not POSIX regcomp(): Kafka's own documented rules use lazy
 * quantifiers ("^CN=(.*?),OU=...") which ERE lacks, and Java's leftmost-
 * first (backtracking) semantics decide which text a group captures,
 * where POSIX picks the leftmost-longest. The result of a rule must be
 * the same string Kafka computes, so the matcher must be Java's kind.
 *
 * Supported: literals (UTF-8), . [...] [^...] with ranges and escapes,
 * \d \D \s \S \w \W \h \H \v \V, \t \n \r \f \a \e \cX \xhh \x{h..}
 * \uhhhh \0ooo, \Q...\E, ^ $ \A \z \Z \b \B, groups ( ) (?: ) (?<name> ),
 * back references \n \k<name>, alternation, * + ? {n} {n,} {n,m} greedy
 * and lazy (trailing ?), inline flags (?i) (?s) (?m) (?-i) (?i:...).
 * Case folding is ASCII only, as Java's CASE_INSENSITIVE without
 * UNICODE_CASE. Anything else Java accepts (lookaround, atomic groups,
 * possessive quantifiers, \p{..}, class intersection, (?x) ...) is a
 * compile error, never a silent difference.
 *
 * Budget: every step of the matcher costs one unit of *budget; when it
 * runs out the match fails with -ELOOP, so no pattern/subject pair can
 * take unbounded time (catastrophic backtracking fails closed). The
 * backtrack stack is bounded too (-ELOOP when full).
 */
#ifndef SEALOG_AUTH_PRINCIPAL_RE_H
#define SEALOG_AUTH_PRINCIPAL_RE_H

#include <stddef.h>

#define JRE_MAX_GROUPS 99

struct jre;

enum jre_mode {
	JRE_MATCHES,	/* Matcher.matches(): the whole subject */
	JRE_LOOKING_AT, /* Matcher.lookingAt(): a prefix from 'from' */
	JRE_FIND,	/* Matcher.find(from): the first match at or after */
};

struct jre_match {
	/* Byte offsets of group g: start[g], end[g]; -1 if it did not
	 * take part. Group 0 is the whole match. */
	long start[JRE_MAX_GROUPS + 1];
	long end[JRE_MAX_GROUPS + 1];
};

/* Compile pattern (len bytes, UTF-8). 0 and *out, -EINVAL with err
 * filled in Java's words ("Dangling meta character '*' near index 0"),
 * -ENOMEM. */
int jre_compile(const char *pattern, size_t len, struct jre **out, char *err,
		size_t errlen);
void jre_free(struct jre *re);

/* Number of capturing groups (Matcher.groupCount()). */
int jre_groups(const struct jre *re);

/* The group number of a named group, or -1. */
int jre_group_index(const struct jre *re, const char *name, size_t len);

/* Match s (len bytes) starting at from. 1 matched (m filled), 0 no match,
 * -ELOOP budget or backtrack stack exhausted, -ENOMEM. */
int jre_exec(const struct jre *re, const char *s, size_t len, size_t from,
	     enum jre_mode mode, struct jre_match *m, long *budget);

#endif
