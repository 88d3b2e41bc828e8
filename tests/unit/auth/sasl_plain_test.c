/* sasl_plain_test.c - PLAIN through Cyrus SASL and the authenticator's
 * sessions (auth/sasl.h): JAAS users, SCRAM-store users, authzid rules
 * (CVE-2017-12610), malformed messages (reliability.md A4/A5), no user
 * name canonicalisation, and the session state machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/credstore.h"
#include "auth/sasl.h"
#include "base/buf.h"
#include "storage/meta.h"
#include "tests/unit/check.h"

/* A fresh directory/file template under $TMPDIR (default /tmp). */
static void tmp_template(char *out, size_t cap, const char *name)
{
	const char *t = getenv("TMPDIR");

	snprintf(out, cap, "%s/%s-XXXXXX", t && *t ? t : "/tmp", name);
}

static struct authn *a;

/* One PLAIN token; returns the step result, user in *user. */
static int plain(const char *msg, size_t len, char *user)
{
	struct authn_session *s;
	struct buf out;
	int rc;

	CHECK_EQ(authn_session_start(a, AUTHN_PLAIN, &s), 0);
	buf_init(&out, 0);
	rc = authn_session_step(s, (const uint8_t *)msg, len, &out);
	CHECK_EQ(out.len, 0);
	if (user)
		snprintf(user, 300, "%s",
			 authn_session_user(s) ? authn_session_user(s) : "");
	if (rc != 0)
		CHECK(authn_session_user(s) == NULL);
	CHECK_EQ(authn_session_step(s, (const uint8_t *)msg, len, &out),
		 -EPROTO);
	buf_fini(&out);
	authn_session_destroy(s);
	return rc;
}

#define P(lit, user) plain(lit, sizeof(lit) - 1, user)

static void test_plain_users(void)
{
	char user[300];

	CHECK_EQ(P("\0alice\0alice-secret", user), 0);
	CHECK(strcmp(user, "alice") == 0);
	CHECK_EQ(P("alice\0alice\0alice-secret", user), 0);
	CHECK(strcmp(user, "alice") == 0);
	/* CVE-2017-12610: an authzid other than the user is refused. */
	CHECK_EQ(P("admin\0alice\0alice-secret", NULL), -EACCES);
	CHECK_EQ(P("\0alice\0wrong", NULL), -EACCES);
	CHECK_EQ(P("\0alice\0alice-secre", NULL), -EACCES);
	CHECK_EQ(P("\0alice\0alice-secret2", NULL), -EACCES);
	CHECK_EQ(P("\0nobody\0alice-secret", NULL), -EACCES);
	/* Empty user, empty password; no trimming of blanks. */
	CHECK(P("\0\0alice-secret", NULL) < 0);
	CHECK(P("\0alice\0", NULL) < 0);
	CHECK(P("\0 alice\0alice-secret", NULL) < 0);
	CHECK(P("\0alice \0alice-secret", NULL) < 0);
	CHECK(P("\0ALICE\0alice-secret", NULL) < 0);
	/* Two or four tokens are malformed. */
	CHECK_EQ(P("\0alice", NULL), -EBADMSG);
	CHECK_EQ(P("alice", NULL), -EBADMSG);
	CHECK_EQ(P("\0alice\0alice-secret\0x", NULL), -EBADMSG);
	CHECK(P("\0al\xffice\0alice-secret", NULL) < 0);
	/* SCRAM-store users: PLAIN checked against the StoredKey. */
	CHECK_EQ(P("\0bob\0bob-secret", user), 0);
	CHECK(strcmp(user, "bob") == 0);
	CHECK_EQ(P("\0bob\0bob-secreT", NULL), -EACCES);
	CHECK_EQ(P("\0dave\0dave-512", user), 0);
	/* A JAAS user wins over a store user of the same name. */
	CHECK_EQ(P("\0carol\0carol-jaas", NULL), 0);
	CHECK_EQ(P("\0carol\0carol-store", NULL), -EACCES);
	/* Names with ',' and '=' are plain bytes in PLAIN. */
	CHECK_EQ(P("\0a,b=c\0odd", user), 0);
	CHECK(strcmp(user, "a,b=c") == 0);
}

static void test_sessions(void)
{
	struct authn_session *s;
	struct authn *only_scram;
	struct buf out;
	enum authn_mech m;

	CHECK_EQ(authn_mech_parse("SCRAM-SHA-512", 13, &m), 0);
	CHECK_EQ(m, AUTHN_SCRAM_SHA_512);
	CHECK_EQ(authn_mech_parse("plain", 5, &m), -ENOENT);
	CHECK_EQ(authn_mech_parse("PLAINX", 6, &m), -ENOENT);
	CHECK(strcmp(authn_mech_name(AUTHN_PLAIN), "PLAIN") == 0);
	CHECK(authn_mech_name(3) == NULL);
	CHECK_EQ(authn_create(0, &only_scram), -EINVAL);
	CHECK_EQ(authn_create(1u << 7, &only_scram), -EINVAL);
	CHECK_EQ(authn_create(AUTHN_SCRAM_SHA_256, &only_scram), 0);
	CHECK_EQ(authn_session_start(only_scram, AUTHN_PLAIN, &s), -ENOTSUP);
	CHECK_EQ(authn_session_start(only_scram, AUTHN_SCRAM_SHA_512, &s),
		 -ENOTSUP);
	CHECK_EQ(authn_session_start(only_scram, AUTHN_SCRAM_SHA_256, &s), 0);
	buf_init(&out, 0);
	/* Unknown user (no store at all): the exchange still continues. */
	CHECK_EQ(
	    authn_session_step(s, (const uint8_t *)"n,,n=x,r=abc", 12, &out),
	    1);
	CHECK(out.len > 0 && memcmp(out.data, "r=abc", 5) == 0);
	CHECK(strcmp(authn_session_claimed_user(s), "x") == 0);
	CHECK_EQ(authn_session_step(s, (const uint8_t *)"c=biws,r=abc,p=AAAA",
				    19, &out),
		 -EBADMSG);
	CHECK(authn_session_reason(s)[0] != '\0');
	CHECK_EQ(authn_session_step(s, (const uint8_t *)"x", 1, &out), -EPROTO);
	buf_fini(&out);
	authn_session_destroy(s);
	authn_destroy(only_scram);
	CHECK_EQ(authn_add_plain_user(a, "alice", "again"), -EEXIST);
	CHECK_EQ(authn_add_plain_user(a, "", "x"), -EINVAL);
}

int main(void)
{
	char err[256], dir[256], cmd[300];
	struct scram_cred c;
	struct credstore *cs;
	struct meta *m;

	if (authn_global_init(err, sizeof(err))) {
		printf("SKIP: %s\n", err);
		return 77;
	}
	tmp_template(dir, sizeof(dir), "sealog-plain");
	if (!mkdtemp(dir))
		return 77;
	CHECK_EQ(meta_open(dir, 0, &m), 0);
	CHECK_EQ(credstore_open(m, NULL, &cs), 0);
	CHECK_EQ(scram_cred_from_password(SCRAM_SHA_256, "bob-secret", 10, NULL,
					  0, 4096, &c),
		 0);
	{
		struct credstore_change ch = {"bob", SCRAM_SHA_256, &c};
		CHECK_EQ(credstore_apply(cs, &ch, 1), 0);
	}
	CHECK_EQ(scram_cred_from_password(SCRAM_SHA_512, "dave-512", 8, NULL, 0,
					  4096, &c),
		 0);
	{
		struct credstore_change ch = {"dave", SCRAM_SHA_512, &c};
		CHECK_EQ(credstore_apply(cs, &ch, 1), 0);
	}
	CHECK_EQ(scram_cred_from_password(SCRAM_SHA_256, "carol-store", 11,
					  NULL, 0, 4096, &c),
		 0);
	{
		struct credstore_change ch = {"carol", SCRAM_SHA_256, &c};
		CHECK_EQ(credstore_apply(cs, &ch, 1), 0);
	}
	CHECK_EQ(authn_create(AUTHN_PLAIN | AUTHN_SCRAM_SHA_256, &a), 0);
	CHECK_EQ(authn_add_plain_user(a, "alice", "alice-secret"), 0);
	CHECK_EQ(authn_add_plain_user(a, "carol", "carol-jaas"), 0);
	CHECK_EQ(authn_add_plain_user(a, "a,b=c", "odd"), 0);
	CHECK_EQ(authn_plain_user_count(a), 3);
	authn_set_store(a, cs);
	test_plain_users();
	test_sessions();
	authn_destroy(a);
	credstore_close(cs);
	meta_close(m);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_finish();
}
