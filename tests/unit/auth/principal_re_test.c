/* principal_re_test.c - the Java regex subset: results as
 * java.util.regex gives them (matches / lookingAt / find, capture
 * contents under leftmost-first backtracking), syntax errors for every
 * construct we do not implement, and the step / stack bounds.
 */
#include <errno.h>
#include <stdlib.h>

#include "auth/principal_re.h"
#include "tests/unit/check.h"

#define M JRE_MATCHES
#define L JRE_LOOKING_AT
#define F JRE_FIND

/* Expected groups: "text" or "-" (did not participate); NULL: stop. */
static void re(const char *pat, const char *subj, enum jre_mode mode, int want,
	       const char *g0, const char *g1, const char *g2, const char *g3)
{
	const char *gs[] = {g0, g1, g2, g3};
	struct jre *r = NULL;
	struct jre_match m;
	long budget = 1000000;
	char err[200], got[256];
	int rc = jre_compile(pat, strlen(pat), &r, err, sizeof(err));

	if (rc != 0) {
		fprintf(stderr, "compile '%s': %s\n", pat, err);
		CHECK_EQ(rc, 0);
		return;
	}
	rc = jre_exec(r, subj, strlen(subj), 0, mode, &m, &budget);
	if (rc != want)
		fprintf(stderr, "'%s' on '%s' mode %d: %d, want %d\n", pat,
			subj, mode, rc, want);
	CHECK_EQ(rc, want);
	for (int g = 0; rc == 1 && g < 4 && gs[g]; g++) {
		if (m.start[g] < 0)
			snprintf(got, sizeof(got), "-");
		else
			snprintf(got, sizeof(got), "%.*s",
				 (int)(m.end[g] - m.start[g]),
				 subj + m.start[g]);
		if (strcmp(got, gs[g]) != 0)
			fprintf(stderr,
				"'%s' on '%s': group %d '%s', want '%s'\n", pat,
				subj, g, got, gs[g]);
		CHECK(strcmp(got, gs[g]) == 0);
	}
	jre_free(r);
}

#define YES(p, s, mode) re(p, s, mode, 1, NULL, NULL, NULL, NULL)
#define NO(p, s, mode) re(p, s, mode, 0, NULL, NULL, NULL, NULL)

static void bad(const char *pat)
{
	struct jre *r = NULL;
	char err[200] = "";
	int rc = jre_compile(pat, strlen(pat), &r, err, sizeof(err));

	if (rc != -EINVAL)
		fprintf(stderr, "'%s' should not compile\n", pat);
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "near index") != NULL);
	jre_free(r);
}

static void t_literals_and_classes(void)
{
	YES("abc", "abc", M);
	NO("abc", "abd", M);
	NO("abc", "abcd", M);
	YES("abc", "abcd", L);
	NO("a.c", "a\nc", M);
	NO("a.c",
	   "a\xc2\x85"
	   "c",
	   M);
	YES("(?s)a.c", "a\nc", M);
	YES("[a-c]+", "abcabc", M);
	YES("[^a-c]", "d", M);
	NO("[^a-c]", "a", M);
	YES("[]a]+", "]a]", M);
	YES("[a-]+", "a-a", M);
	YES("[-a]+", "-a", M);
	YES("\\d+\\s\\w+", "123 ab_9", M);
	YES("[\\d.]+", "1.2", M);
	YES("[\\D]", "a", M);
	NO("[\\D]", "1", M);
	NO("\\W", "_", M);
	NO("\\S", " ", M);
	YES("\\h\\v", " \n", M);
	YES("\\x41\\u0042\\0103\\t\\x{44}", "ABC\tD", M);
	YES("\\Qa.b*\\E+", "a.b**", M);
	NO("\\Qa.b\\E", "axb", M);
	YES("\\\\Q", "\\Q", M); /* an escaped backslash, then Q */
	YES("a\\.b\\/c\\-", "a.b/c-", M);
	YES(".", "\xc3\xbc", M); /* one code point */
	NO("..", "\xc3\xbc", M);
	YES("[\xc3\xbc]", "\xc3\xbc", M);
	YES("[\xc3\xa0-\xc3\xbf]", "\xc3\xa9", M);
	YES("\xe2\x82\xac+", "\xe2\x82\xac\xe2\x82\xac", M);
}

static void t_anchors(void)
{
	YES("^abc$", "abc", M);
	NO("abc$", "abc\n", M);
	YES("abc$", "abc\n", L);
	YES("a$", "a\r\n", L);
	re("(?m)^b$", "a\nb\nc", F, 1, "b", NULL, NULL, NULL);
	NO("^b", "ab", F);
	YES("\\bfoo\\b", "a foo b", F);
	NO("\\bfoo\\b", "afoob", F);
	YES("\\Bo\\B", "foo", F);
	YES("\\Aab\\z", "ab", M);
	YES("ab\\Z", "ab\n", L);
}

static void t_captures(void)
{
	re("(a+)(a*)", "aaa", M, 1, "aaa", "aaa", "", NULL);
	re("(a+?)(a*)", "aaa", M, 1, "aaa", "a", "aa", NULL);
	re("(a|ab)(c|bcd)(d*)", "abcd", M, 1, "abcd", "a", "bcd", "");
	re("a|ab", "ab", L, 1, "a", NULL, NULL, NULL);
	re("(ab){1,2}?c", "ababc", M, 1, "ababc", "ab", NULL, NULL);
	re("(x)?(y)", "y", M, 1, "y", "-", "y", NULL);
	re("(?:a(b))+", "abab", M, 1, "abab", "b", NULL, NULL);
	re("CN=(.*?),OU=(.*?)$", "CN=a,b,OU=c", M, 1, NULL, "a,b", "c", NULL);
	re("(?<user>[a-z]+)@", "bob@x", L, 1, "bob@", "bob", NULL, NULL);
	re("b", "abab", F, 1, "b", NULL, NULL, NULL);
}

static void t_repetition(void)
{
	YES("a{2,3}", "aaa", M);
	NO("a{2,3}", "aaaa", M);
	YES("a{2}", "aa", M);
	NO("a{2}", "a", M);
	YES("a{2,}", "aaaaa", M);
	YES("a{0}b", "b", M);
	YES("x*", "", M);
	NO("x+", "", M);
	YES("(a?)*b", "aab", M);
	YES("(a*)*", "aaa", M);
	YES("(a|)*c", "c", M);
	YES("(|a)+", "aaa", M);
	YES("(a*)+b", "aaab", M);
	YES("(?:)*x", "x", M);
	YES("a{1,3}?b", "aab", M);
}

static void t_backrefs_and_flags(void)
{
	YES("(a+)b\\1", "aabaa", M);
	NO("(a+)b\\1", "aaba", M);
	YES("(?i)(a)\\1", "aA", M);
	YES("(?<x>z)\\k<x>", "zz", M);
	NO("(x)?\\1y", "y", M); /* a group that did not take part */
	YES("(?i)abc", "ABC", M);
	YES("(?i)[a-c]+", "ABC", M);
	YES("(?i:a)b", "Ab", M);
	NO("(?i:a)b", "AB", M);
	YES("a(?i)b", "aB", M);
	NO("(a(?i)b)c", "aBC", M);
	YES("(a(?i)b)c", "aBc", M);
	YES("(?i)[Cc][Nn]=X", "cn=x", M);
	NO("(?i)\xc3\xbc", "\xc3\x9c", M); /* ASCII-only folding, as Java */
	YES("(?i-s)A.", "ab", M);
}

static void t_syntax_errors(void)
{
	static const char *const pats[] = {
	    "*a",	 "a**",
	    "(a",	 "a)",
	    "[a",	 "a{",
	    "{1}",	 "(?=a)",
	    "(?<=a)b",	 "(?>a)",
	    "a*+",	 "a++",
	    "\\p{L}",	 "[a&&b]",
	    "[[a]]",	 "[z-a]",
	    "\\",	 "(?x)a",
	    "\\y",	 "a{1001}",
	    "(?<1a>x)",	 "(?<n>a)(?<n>b)",
	    "\\k<nope>", "\\xZZ",
	    "\\08",	 "x{2,1}",
	    "[]",	 "(?i",
	    "a{1,2",	 "\\E",
	};

	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		bad(pats[i]);
}

static void t_bounds(void)
{
	struct jre *r = NULL;
	struct jre_match m;
	char err[200], *big;
	long budget = 100000;
	size_t n = 300000;

	CHECK_EQ(jre_compile("(a|a)*b", 7, &r, err, sizeof(err)), 0);
	CHECK_EQ(jre_exec(r, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 36, 0, M,
			  &m, &budget),
		 -ELOOP);
	CHECK(budget < 0);
	jre_free(r);
	/* The backtrack stack is bounded too. */
	big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	budget = 100000000;
	CHECK_EQ(jre_compile("(?:a|b)*", 8, &r, err, sizeof(err)), 0);
	CHECK_EQ(jre_exec(r, big, n, 0, M, &m, &budget), -ELOOP);
	jre_free(r);
	free(big);
	/* Expansion of counted repetition is capped. */
	CHECK_EQ(
	    jre_compile("(((a{1000}){1000}){1000})", 25, &r, err, sizeof(err)),
	    -EINVAL);
}

int main(void)
{
	t_literals_and_classes();
	t_anchors();
	t_captures();
	t_repetition();
	t_backrefs_and_flags();
	t_syntax_errors();
	t_bounds();
	return check_finish();
}
