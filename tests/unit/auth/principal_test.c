/* principal_test.c - ssl.principal.mapping.rules: Kafka's own test table
 * (SslPrincipalMapperTest) and documented examples, replacement and
 * replaceAll() corners, the DN spoofing cases of reliability.md T7, and
 * the step budget.
 */
#include <errno.h>
#include <stdlib.h>

#include "auth/principal.h"
#include "base/clock.h"
#include "tests/unit/check.h"

static struct principal_rules *parse_ok(const char *spec)
{
	struct principal_rules *r = NULL;
	char err[256];
	int rc = principal_rules_parse(spec, &r, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "parse '%s' failed: %s\n", spec, err);
	CHECK_EQ(rc, 0);
	return r;
}

static void invalid(const char *spec)
{
	struct principal_rules *r = NULL;
	char err[256];
	int rc = principal_rules_parse(spec, &r, err, sizeof(err));

	if (rc != -EINVAL)
		fprintf(stderr, "'%s' should be invalid\n", spec);
	CHECK_EQ(rc, -EINVAL);
	CHECK(err[0] != '\0');
	principal_rules_free(r);
}

/* rules applied to dn give want (NULL: no rule applies). */
static void maps(const char *rules, const char *dn, const char *want)
{
	struct principal_rules *r = parse_ok(rules);
	char out[512] = "";
	int rc;

	if (!r)
		return;
	rc = principal_map(r, dn, out, sizeof(out));
	if (want) {
		CHECK_EQ(rc, 0);
		if (rc != 0 || strcmp(out, want) != 0)
			fprintf(stderr, "%s | %s -> '%s' (%d), want '%s'\n",
				rules, dn, out, rc, want);
		CHECK(strcmp(out, want) == 0);
	} else {
		CHECK_EQ(rc, -ENOENT);
	}
	principal_rules_free(r);
}

static void splits(const char *rules, const char *want)
{
	struct principal_rules *r = parse_ok(rules);
	char out[1024];

	if (!r)
		return;
	CHECK_EQ(principal_rules_describe(r, out, sizeof(out)), 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "split '%s' -> '%s', want '%s'\n", rules, out,
			want);
	CHECK(strcmp(out, want) == 0);
	principal_rules_free(r);
}

/* SslPrincipalMapperTest.testValidRules / testInvalidRules. */
static void t_kafka_valid_invalid(void)
{
	static const char *const valid[] = {
	    "DEFAULT",
	    "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
	    "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT",
	    "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/",
	    "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L",
	    "RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U",
	    "RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/",
	    "RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/",
	};
	static const char *const bad[] = {
	    "default",
	    "DEFAUL",
	    "DEFAULT/L",
	    "DEFAULT/U",
	    "RULE:CN=(.*?),OU=ServiceUsers.*/$1",
	    "rule:^CN=(.*?),OU=ServiceUsers.*$/$1/",
	    "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U",
	    "RULE:^CN=(.*?),OU=ServiceUsers.*$/L",
	    "RULE:^CN=(.*?),OU=ServiceUsers.*$/U",
	    "RULE:^CN=(.*?),OU=ServiceUsers.*$/LU",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		principal_rules_free(parse_ok(valid[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		invalid(bad[i]);
}

/* SslPrincipalMapperTest.testSslPrincipalMapper. */
static void t_kafka_mapper(void)
{
	static const char rules[] =
	    "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, "
	    "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/"
	    "L, "
	    "RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U, "
	    "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, "
	    "DEFAULT";

	maps(rules, "CN=Duke,OU=ServiceUsers,O=Org,C=US", "duke");
	maps(rules, "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US", "duke@sme");
	maps(rules, "cn=duke,ou=sme,dc=mycp,dc=com", "DUKE@SME");
	maps(rules, "cN=duke,OU=JavaSoft,O=Sun Microsystems", "DUKE");
	maps(rules, "OU=JavaSoft,O=Sun Microsystems,C=US",
	     "OU=JavaSoft,O=Sun Microsystems,C=US");
	/* testCommaWithWhitespace */
	maps("RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT",
	     "CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz", "Tkac\\, Adam");
}

/* SslPrincipalMapperTest.testRulesSplitting: Kafka's toString(). */
static void t_kafka_splitting(void)
{
	splits("", "[]");
	splits("DEFAULT", "[DEFAULT]");
	splits("RULE://", "[RULE:/]");
	splits("RULE:/.*/", "[RULE:/.*]");
	splits("RULE:/.*/L", "[RULE:/.*/L]");
	splits("RULE://,DEFAULT", "[RULE:/, DEFAULT]");
	splits("  RULE:// ,  DEFAULT  ", "[RULE:/, DEFAULT]");
	splits("  RULE:   /     / ,  DEFAULT  ", "[RULE:   /     , DEFAULT]");
	splits("  RULE:  /     /U   ,DEFAULT  ", "[RULE:  /     /U, DEFAULT]");
	splits("  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  ",
	       "[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]");
	splits(",   , , ,      , , ,   ", "[]");
	splits(",,RULE://,,,DEFAULT,,", "[RULE:/, DEFAULT]");
	splits(",  , RULE: /   /    ,,,   DEFAULT, ,   ",
	       "[RULE: /   , DEFAULT]");
	splits("     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,",
	       "[RULE:   /  /U, DEFAULT]");
	splits("RULE:\\/\\\\\\(\\)\\n\\t/\\/\\//",
	       "[RULE:\\/\\\\\\(\\)\\n\\t/\\/\\/]");
	splits("RULE:\\**\\/+/*/L,RULE:\\/*\\**/**/",
	       "[RULE:\\**\\/+/*/L, RULE:\\/*\\**/**]");
	splits("RULE:,RULE:,/,RULE:,\\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,"
	       "RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT",
	       "[RULE:,RULE:,/,RULE:,\\//U, RULE:,/RULE:,, RULE:,RULE:,/L,"
	       "RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]");
	splits(NULL, "[DEFAULT]");
}

/* The examples of Kafka's documentation and ecosystem.md. */
static void t_documented(void)
{
	maps("RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,",
	     "CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,"
	     "C=Unknown",
	     "serviceuser");
	maps("RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/"
	     "L,",
	     "CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown",
	     "adminuser@admin");
	maps("RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT",
	     "CN=kafka-client.example,O=x", "kafka");
	maps("RULE:^CN=([^,]+).*$/$1/,DEFAULT", "CN=alice,O=sealog", "alice");
	maps("RULE:^CN=([^,]+).*$/$1/,DEFAULT", "O=sealog", "O=sealog");
	maps("RULE:^CN=([^,]+).*$/$1/", "O=sealog", NULL); /* NoMatchingRule */
	maps("DEFAULT", "CN=writeuser,OU=Unknown,O=Unknown",
	     "CN=writeuser,OU=Unknown,O=Unknown");
}

static void t_replacement(void)
{
	maps("RULE:^CN=(.*)$/$1@$4/", "CN=a", "a@$4"); /* beyond: literal */
	maps("RULE:^CN=(.*)$/$12/", "CN=a", "a2");     /* Java: $1 then 2 */
	maps("RULE:^CN=(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)$/$12-$13/",
	     "CN=abcdefghijkl", "l-a3");
	maps("RULE:^CN=(.*)$/$0/", "CN=a", "CN=a");
	maps("RULE:^CN=(.*)$/\\$1=$1/", "CN=a", "$1=a");
	maps("RULE:^CN=(?<user>[^,]+),.*$/${user}!/", "CN=bob,O=x", "bob!");
	maps("RULE:^CN=(x)?(.*)$/[$1][$2]/", "CN=abc", "[][abc]");
	maps("RULE:^CN=(.*)$/a\\\\b/", "CN=z", "a\\b");
	invalid("RULE:^CN=.*$/$1/");	/* no groups at all */
	invalid("RULE:^CN=(.*)$/x\\/"); /* escaped '/': unterminated */
	invalid("RULE:^CN=(.*)$/$x/");
	invalid("RULE:^CN=(.*)$/${nope}/");
	invalid("RULE:^CN=(.*$/$1/"); /* regex syntax */
	invalid("RULE:^CN=(?=x).*$/a/");
}

/* Matcher.replaceAll(), not a single substitution. */
static void t_replace_all(void)
{
	maps("RULE:.*?/x/", "abc", "xaxbxcx");
	maps("RULE:(a*)/[$1]/", "aaa", "[aaa][]");
	maps("RULE:[ab]+?/<$0>/", "ab", "<a><b>");
	maps("RULE:^CN=(.*),.*$/$1/", "CN=a,OU=b,O=c", "a,OU=b"); /* greedy */
	maps("RULE:^CN=(.*?),.*$/$1/", "CN=a,OU=b,O=c", "a");	  /* lazy */
}

static void t_case(void)
{
	maps("RULE:^CN=(.*)$/$1/L", "CN=J\xc3\x9cRGEN", "j\xc3\xbcrgen");
	maps("RULE:^CN=(.*)$/$1/U", "CN=j\xc3\xbcrgen", "J\xc3\x9cRGEN");
	maps("RULE:^CN=(.*)$/$1/U", "CN=a_b-9", "A_B-9");
	maps("RULE:(?i)^cn=(.*)$/$1/", "CN=Mixed", "Mixed");
}

/* reliability.md T7: the DN strings are as net/tls_dn.c prints them. */
static void t_spoofing(void)
{
	/* CN=admin\,OU=x: one CN value; [^,]+ stops at the escaped comma,
	 * so a sloppy rule yields "admin\", never "admin". */
	maps("RULE:^CN=([^,]+),.*$/$1/", "CN=admin\\,OU=x,O=evil", "admin\\");
	/* An escape-aware rule keeps the whole value. */
	maps("RULE:^CN=((\\\\.|[^,\\\\])+),.*$/$1/", "CN=admin\\,OU=x,O=evil",
	     "admin\\,OU=x");
	/* "CN=" inside another value is printed as CN\=, so even the
	 * unanchored ^.*CN= rule of [37] finds only the real CN. */
	maps("RULE:^.*CN=([^,]*).*$/$1/", "CN=bob,OU=CN\\=admin,O=x", "bob");
	/* Whole-DN match: a rule for OU=ServiceUsers does not apply when
	 * that text is only part of a value. */
	maps("RULE:^CN=(.*?),OU=ServiceUsers$/$1/",
	     "CN=eve,OU=ServiceUsers\\,O=x", NULL);
	/* Look-alike letters are different bytes: no match. */
	maps("RULE:^CN=admin,O=x$/admin/",
	     "CN=\xd0\xb0"
	     "dmin,O=x",
	     NULL);
	maps("RULE:^CN=(.*)$/$1/", "CN=a\\00b", "a\\00b");
}

static void t_limits(void)
{
	struct principal_rules *r = parse_ok("RULE:^(a+)+$/x/,DEFAULT");
	char dn[PRINCIPAL_DN_MAX + 2], out[16];
	int64_t t0 = clock_mono_ms();

	memset(dn, 'a', 40);
	dn[40] = 'b';
	dn[41] = '\0';
	/* Catastrophic backtracking fails closed, in bounded time. */
	CHECK_EQ(principal_map(r, dn, out, sizeof(out)), -ELOOP);
	CHECK(clock_mono_ms() - t0 < 5000);
	principal_rules_free(r);
	r = parse_ok("DEFAULT");
	memset(dn, 'a', sizeof(dn) - 1);
	dn[sizeof(dn) - 1] = '\0';
	CHECK_EQ(principal_map(r, dn, out, sizeof(out)), -ENAMETOOLONG);
	CHECK_EQ(principal_map(r, "CN=a-long-name", out, 8), -ENOSPC);
	principal_rules_free(r);
	r = parse_ok("RULE:^CN=(.*)$/$1$1$1$1/");
	CHECK_EQ(principal_map(r, "CN=abcd", out, sizeof(out)), -ENOSPC);
	principal_rules_free(r);
}

int main(void)
{
	t_kafka_valid_invalid();
	t_kafka_mapper();
	t_kafka_splitting();
	t_documented();
	t_replacement();
	t_replace_all();
	t_case();
	t_spoofing();
	t_limits();
	return check_finish();
}
