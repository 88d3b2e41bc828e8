/* sasl_scram_test.c - SCRAM credentials, encodings and the server side
 * of the exchange (auth/scram.h).
 *
 * Oracles: RFC 7677's SCRAM-SHA-256 example, and SCRAM-SHA-512 values of
 * the same inputs computed with Python's hashlib/hmac (independent of
 * OpenSSL). The exchange tests drive the server with a client written
 * here; real clients (kcat, kafka-python, kafkajs) are the interop
 * tests' oracle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/scram.h"
#include "auth/scram_spec.h"
#include "base/buf.h"
#include "tests/unit/check.h"

static void hex_to_bytes(const char *hex, uint8_t *out)
{
	for (size_t i = 0; hex[2 * i]; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static const EVP_MD *md_of(enum scram_mech m)
{
	return m == SCRAM_SHA_256 ? EVP_sha256() : EVP_sha512();
}

static void hmac_of(enum scram_mech m, const uint8_t *k, const void *d,
		    size_t n, uint8_t *out)
{
	unsigned len;
	HMAC(md_of(m), k, (int)scram_mech_key_len(m), d, n, out, &len);
}

/* --- encodings ---------------------------------------------------------- */

static void test_b64(void)
{
	uint8_t out[16];
	char enc[32];

	CHECK_EQ(scram_b64_encode((const uint8_t *)"ab", 2, enc, sizeof(enc)),
		 4);
	CHECK(strcmp(enc, "YWI=") == 0);
	CHECK_EQ(scram_b64_decode("YWI=", 4, out, sizeof(out)), 2);
	CHECK_MEM(out, "ab", 2);
	CHECK_EQ(scram_b64_decode("YWJj", 4, out, sizeof(out)), 3);
	CHECK_EQ(scram_b64_decode("YQ==", 4, out, sizeof(out)), 1);
	CHECK_EQ(scram_b64_decode("", 0, out, sizeof(out)), 0);
	CHECK_EQ(scram_b64_decode("YQ=", 3, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_b64_decode("Y===", 4, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_b64_decode("YQ=A", 4, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_b64_decode("YQ==YWJj", 8, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_b64_decode("YW J", 4, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_b64_decode("YWJjYWJj", 8, out, 5), -ENOSPC);
	CHECK_EQ(scram_b64_encode((const uint8_t *)"abc", 3, enc, 4), -ENOSPC);
}

static void test_saslname(void)
{
	char out[32];

	CHECK_EQ(scram_saslname_decode("a=2Cb=3Dc", 9, out, sizeof(out)), 5);
	CHECK(strcmp(out, "a,b=c") == 0);
	CHECK_EQ(scram_saslname_decode("=2", 2, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_saslname_decode("=ZZ", 3, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_saslname_decode("=2c", 3, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_saslname_decode("a,b", 3, out, sizeof(out)), -EBADMSG);
	CHECK_EQ(scram_saslname_decode("abcd", 4, out, 4), -ENOSPC);
	CHECK_EQ(scram_saslname_encode("a,b=c", 5, out, sizeof(out)), 9);
	CHECK(strcmp(out, "a=2Cb=3Dc") == 0);
}

/* --- credentials against the vectors ------------------------------------ */

#define SALT64 "W22ZaJ0SNY7soEsUEjb6gQ=="
#define BARE "n=user,r=rOprNGfwEbeRWgbNEkqO"
#define SFIRST                                                                 \
	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=" SALT64       \
	",i=4096"
#define WO "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

struct vector {
	enum scram_mech mech;
	const char *stored_hex, *server_hex, *proof64, *sig64;
};

static const struct vector vectors[] = {
    {SCRAM_SHA_256,
     "586e5df283e6dceb5c3e791d8b8528ec191e664045ce971792e2e6b5bb13e2a6",
     "c1f3cbc1c13a9d35a14c0990eed97629ea225863e566a4314ab99f3f00e5d9d5",
     "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
     "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
    {SCRAM_SHA_512,
     "e8002e6f7d3ae446119b216933644dc2a2be7869eb918b8459b5e7d7d2ec1260"
     "6aceef106825cd735170a675fd3611f684affad1dce3f43a0ee43bd590e1dbbe",
     "8d91db6230b5687874fe129bc7206e1858c3ae08e02934f57ac03b6b05a229c4"
     "59d28ff46f5c9611e6c179256490215ec1ff759cb0df285db89af0f99e613aac",
     "gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC"
     "6wdp6dybEmDYXYTxwnYPJQ==",
     "ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4"
     "+5ZxXnJq199RVG2rR7N7Zw=="},
};

static void test_vector(const struct vector *v)
{
	static const char am[] = BARE "," SFIRST "," WO;
	uint8_t salt[16], want[64], sig[64], salted[64], ck[64], proof[64];
	char b64[100];
	size_t klen = scram_mech_key_len(v->mech);
	struct scram_cred c;

	CHECK_EQ(scram_b64_decode(SALT64, strlen(SALT64), salt, sizeof(salt)),
		 16);
	CHECK_EQ(
	    scram_cred_from_password(v->mech, "pencil", 6, salt, 16, 4096, &c),
	    0);
	hex_to_bytes(v->stored_hex, want);
	CHECK_MEM(c.stored_key, want, klen);
	hex_to_bytes(v->server_hex, want);
	CHECK_MEM(c.server_key, want, klen);
	CHECK(scram_cred_check_password(&c, "pencil", 6));
	CHECK(!scram_cred_check_password(&c, "pencil2", 7));
	CHECK(!scram_cred_check_password(&c, "", 0));
	/* The proof and signature a client and server derive from it. */
	CHECK_EQ(
	    scram_salted_password(v->mech, "pencil", 6, salt, 16, 4096, salted),
	    0);
	hmac_of(v->mech, salted, "Client Key", 10, ck);
	hmac_of(v->mech, c.stored_key, am, strlen(am), sig);
	for (size_t i = 0; i < klen; i++)
		proof[i] = ck[i] ^ sig[i];
	scram_b64_encode(proof, klen, b64, sizeof(b64));
	CHECK(strcmp(b64, v->proof64) == 0);
	hmac_of(v->mech, c.server_key, am, strlen(am), sig);
	scram_b64_encode(sig, klen, b64, sizeof(b64));
	CHECK(strcmp(b64, v->sig64) == 0);
	/* From the salted password, as AlterUserScramCredentials sends it. */
	{
		struct scram_cred d;
		CHECK_EQ(scram_cred_from_salted(v->mech, salted, klen, salt, 16,
						4096, &d),
			 0);
		CHECK_MEM(d.stored_key, c.stored_key, klen);
		CHECK_EQ(scram_cred_from_salted(v->mech, salted, klen - 1, salt,
						16, 4096, &d),
			 -EINVAL);
	}
	CHECK(!scram_check_password_dummy("pencil", 6));
}

/* --- the exchange --------------------------------------------------------- */

struct user_db {
	struct scram_cred creds[4];
	const char *names[4];
	int count;
	int lookups;
};

static int db_lookup(void *ctx, enum scram_mech m, const char *user,
		     struct scram_cred *out)
{
	struct user_db *db = ctx;

	db->lookups++;
	for (int i = 0; i < db->count; i++)
		if (strcmp(db->names[i], user) == 0 && db->creds[i].mech == m) {
			*out = db->creds[i];
			return 0;
		}
	return -ENOENT;
}

static void db_add(struct user_db *db, const char *name, enum scram_mech m,
		   const char *pw, int iters)
{
	db->names[db->count] = name;
	scram_cred_from_password(m, pw, strlen(pw), NULL, 0, iters,
				 &db->creds[db->count]);
	db->count++;
}

/* The client half, configurable to misbehave. */
struct client {
	enum scram_mech mech;
	const char *gs2;  /* "n,," by default */
	const char *name; /* saslname, already escaped */
	const char *pw;
	const char *cnonce;
	const char *first_ext; /* appended to client-first */
	int nonce_mode;	  /* 0 right, 1 librdkafka's, 2 prefixed, 3 changed */
	const char *cb64; /* c= value; NULL: base64(gs2) */
	int proof_trunc;  /* drop bytes from the proof */
	char sfirst[512];
	char salt64[400];
	int iters;
};

static int client_first(struct scram_server *s, struct client *c)
{
	char msg[1024];
	struct buf out;
	int rc;

	snprintf(msg, sizeof(msg), "%sn=%s,r=%s%s", c->gs2 ? c->gs2 : "n,,",
		 c->name, c->cnonce ? c->cnonce : "fyko+d2lbbFgONRv9qkxdawL",
		 c->first_ext ? c->first_ext : "");
	buf_init(&out, 0);
	rc = scram_server_step(s, (const uint8_t *)msg, strlen(msg), &out);
	if (rc == 1) {
		snprintf(c->sfirst, sizeof(c->sfirst), "%.*s", (int)out.len,
			 (const char *)out.data);
		sscanf(strstr(c->sfirst, ",s=") + 3, "%399[^,]", c->salt64);
		c->iters = atoi(strstr(c->sfirst, ",i=") + 3);
	} else {
		CHECK_EQ(out.len, 0);
	}
	buf_fini(&out);
	return rc;
}

static void final_nonce(const struct client *c, char *out, size_t cap)
{
	const char *full = c->sfirst + 2;
	int n = (int)(strchr(full, ',') - full);
	const char *cn = c->cnonce ? c->cnonce : "fyko+d2lbbFgONRv9qkxdawL";

	if (c->nonce_mode == 0)
		snprintf(out, cap, "%.*s", n, full);
	else if (c->nonce_mode == 1)
		snprintf(out, cap, "%s%.*s", cn, n, full);
	else if (c->nonce_mode == 2)
		snprintf(out, cap, "XYZ%.*s", n, full);
	else /* the last character changed: to Q, or R if it was Q */
		snprintf(out, cap, "%.*s%c", n - 1, full,
			 full[n - 1] == 'Q' ? 'R' : 'Q');
}

static int client_final(struct scram_server *s, struct client *c, bool *sig_ok)
{
	char nonce[256], cb[128], wo[512], am[2048], msg[1024], p64[100];
	char bare[512], gsb64[128];
	uint8_t salt[256], salted[64], ck[64], sk[64], sig[64], proof[64];
	size_t klen = scram_mech_key_len(c->mech);
	int salt_len =
	    scram_b64_decode(c->salt64, strlen(c->salt64), salt, sizeof(salt));
	struct buf out;
	int rc;

	final_nonce(c, nonce, sizeof(nonce));
	scram_b64_encode((const uint8_t *)(c->gs2 ? c->gs2 : "n,,"),
			 strlen(c->gs2 ? c->gs2 : "n,,"), gsb64, sizeof(gsb64));
	snprintf(cb, sizeof(cb), "%s", c->cb64 ? c->cb64 : gsb64);
	snprintf(wo, sizeof(wo), "c=%s,r=%s", cb, nonce);
	snprintf(bare, sizeof(bare), "n=%s,r=%s%s", c->name,
		 c->cnonce ? c->cnonce : "fyko+d2lbbFgONRv9qkxdawL",
		 c->first_ext ? c->first_ext : "");
	snprintf(am, sizeof(am), "%s,%s,%s", bare, c->sfirst, wo);
	scram_salted_password(c->mech, c->pw, strlen(c->pw), salt,
			      (size_t)salt_len, c->iters, salted);
	hmac_of(c->mech, salted, "Client Key", 10, ck);
	EVP_Digest(ck, klen, sk, NULL, md_of(c->mech), NULL);
	hmac_of(c->mech, sk, am, strlen(am), sig);
	for (size_t i = 0; i < klen; i++)
		proof[i] = ck[i] ^ sig[i];
	scram_b64_encode(proof, klen - (size_t)c->proof_trunc, p64,
			 sizeof(p64));
	snprintf(msg, sizeof(msg), "%s,p=%s", wo, p64);
	buf_init(&out, 0);
	rc = scram_server_step(s, (const uint8_t *)msg, strlen(msg), &out);
	if (rc == 0 && sig_ok) {
		/* The server proves it knows ServerKey. */
		char want[100];
		uint8_t svk[64];
		hmac_of(c->mech, salted, "Server Key", 10, svk);
		hmac_of(c->mech, svk, am, strlen(am), sig);
		scram_b64_encode(sig, klen, want, sizeof(want));
		*sig_ok = out.len == 2 + strlen(want) &&
			  memcmp(out.data, "v=", 2) == 0 &&
			  memcmp(out.data + 2, want, strlen(want)) == 0;
	}
	buf_fini(&out);
	return rc;
}

/* Runs a whole exchange; returns the final step's result (or the first
 * step's when it did not continue). */
static int run(struct user_db *db, struct client *c, char *user_out)
{
	struct scram_server *s;
	bool sig_ok = false;
	int rc;

	CHECK_EQ(scram_server_create(c->mech, db_lookup, db, &s), 0);
	rc = client_first(s, c);
	if (rc == 1) {
		rc = client_final(s, c, &sig_ok);
		if (rc == 0)
			CHECK(sig_ok);
	}
	if (user_out)
		snprintf(user_out, 300, "%s",
			 scram_server_user(s) ? scram_server_user(s) : "");
	if (rc == 0) {
		struct buf out;
		buf_init(&out, 0);
		CHECK_EQ(scram_server_step(s, (const uint8_t *)"x", 1, &out),
			 -EPROTO);
		buf_fini(&out);
	} else {
		CHECK(scram_server_user(s) == NULL);
		CHECK(scram_server_reason(s)[0] != '\0');
	}
	scram_server_destroy(s);
	return rc;
}

static void test_exchange(enum scram_mech m)
{
	struct user_db db = {0};
	char user[300];
	struct client base = {.mech = m, .name = "alice", .pw = "alice-secret"};
	struct client c;

	db_add(&db, "alice", m, "alice-secret", 4096);
	db_add(&db, "a,b=c", m, "commas", 8192);
	db_add(&db, "j\xc3\xb6rg", m, "umlaut", 4096);

	c = base;
	CHECK_EQ(run(&db, &c, user), 0);
	CHECK(strcmp(user, "alice") == 0);
	CHECK_EQ(c.iters, 4096);
	c = base; /* librdkafka < 2.6.1: cnonce + full nonce */
	c.nonce_mode = 1;
	CHECK_EQ(run(&db, &c, user), 0);
	c = base; /* anything else before the full nonce is refused */
	c.nonce_mode = 2;
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
	c = base;
	c.nonce_mode = 3;
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
	c = base;
	c.pw = "wrong";
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
	c = base;
	c.name = "a=2Cb=3Dc";
	c.pw = "commas";
	CHECK_EQ(run(&db, &c, user), 0);
	CHECK(strcmp(user, "a,b=c") == 0);
	CHECK_EQ(c.iters, 8192);
	c = base;
	c.name = "j\xc3\xb6rg";
	c.pw = "umlaut";
	CHECK_EQ(run(&db, &c, user), 0);
	c = base; /* authzid equal to the user is fine */
	c.gs2 = "n,a=alice,";
	CHECK_EQ(run(&db, &c, user), 0);
	c = base; /* CVE-2017-12610: another authzid is refused */
	c.gs2 = "n,a=admin,";
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
	c = base;
	c.gs2 = "p=tls-unique,,";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base;
	c.gs2 = "y,,";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base;
	c.gs2 = "n,a=,";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base;
	c.name = "al=ZZice";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base;
	c.name = "";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base;
	c.name = "\xc3(";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base;
	c.cnonce = "bad nonce";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base;
	c.first_ext = ",tokenauth=true";
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
	c = base;
	c.first_ext = ",foo=bar";
	CHECK_EQ(run(&db, &c, NULL), 0);
	c = base;
	c.first_ext = ",foo";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base; /* c= must carry the gs2 header */
	c.cb64 = "eSws";
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
	c = base;
	c.proof_trunc = 1;
	CHECK_EQ(run(&db, &c, NULL), -EBADMSG);
}

static void test_unknown_user(void)
{
	struct user_db db = {0};
	struct client c = {.mech = SCRAM_SHA_256, .name = "mallory", .pw = "x"};
	char first_salt[400];

	db_add(&db, "alice", SCRAM_SHA_256, "alice-secret", 4096);
	/* Looks like any user until the proof, with a stable salt. */
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
	CHECK_EQ(c.iters, 4096);
	snprintf(first_salt, sizeof(first_salt), "%s", c.salt64);
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
	CHECK(strcmp(first_salt, c.salt64) == 0);
	c.name = "mallory2";
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
	CHECK(strcmp(first_salt, c.salt64) != 0);
	/* alice has no SHA-512 credential: unknown for that mechanism. */
	c.mech = SCRAM_SHA_512;
	c.name = "alice";
	c.pw = "alice-secret";
	CHECK_EQ(run(&db, &c, NULL), -EACCES);
}

static void test_malformed(void)
{
	struct user_db db = {0};
	struct scram_server *s;
	struct buf out;
	char big[SCRAM_MSG_MAX + 2];

	buf_init(&out, 0);
	CHECK_EQ(scram_server_create(7, db_lookup, &db, &s), -EINVAL);
	CHECK_EQ(scram_server_create(SCRAM_SHA_256, db_lookup, &db, &s), 0);
	memset(big, 'a', sizeof(big));
	CHECK_EQ(scram_server_step(s, (const uint8_t *)big, sizeof(big), &out),
		 -EBADMSG);
	CHECK_EQ(scram_server_step(s, (const uint8_t *)"n,,n=a,r=b", 10, &out),
		 -EPROTO);
	scram_server_destroy(s);
	static const char *const bad[] = {
	    "",		  "n",		"n,",	       "n,,",
	    "n,,n=",	  "n,,n=a",	"n,,n=a,r=",   "n,,m=x,n=a,r=b",
	    "n,,r=b,n=a", "x,,n=a,r=b", "n,,n=a,,r=b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(scram_server_create(SCRAM_SHA_256, db_lookup, &db, &s),
			 0);
		CHECK_EQ(scram_server_step(s, (const uint8_t *)bad[i],
					   strlen(bad[i]), &out),
			 -EBADMSG);
		scram_server_destroy(s);
	}
	CHECK_EQ(scram_server_create(SCRAM_SHA_256, db_lookup, &db, &s), 0);
	CHECK_EQ(
	    scram_server_step(s, (const uint8_t *)"n,,n=a\0,r=b", 11, &out),
	    -EBADMSG);
	scram_server_destroy(s);
	/* A bad client-final after a good client-first. */
	static const char *const bad_final[] = {
	    "", "c=biws", "c=biws,r=x", "p=AAAA", "c=biws,p=!!!!",
	};
	for (size_t i = 0; i < sizeof(bad_final) / sizeof(bad_final[0]); i++) {
		CHECK_EQ(scram_server_create(SCRAM_SHA_256, db_lookup, &db, &s),
			 0);
		CHECK_EQ(scram_server_step(s, (const uint8_t *)"n,,n=a,r=b", 10,
					   &out),
			 1);
		CHECK_EQ(scram_server_step(s, (const uint8_t *)bad_final[i],
					   strlen(bad_final[i]), &out),
			 -EBADMSG);
		scram_server_destroy(s);
	}
	buf_fini(&out);
}

/* kafka-storage's --add-scram syntax (auth/scram_spec.h). */
static void test_spec(void)
{
	static const char *const bad[] = {
	    "SCRAM-SHA-1=[name=a,password=s3cr3t]",
	    "SCRAM-SHA-256=[password=s3cr3t]",
	    "SCRAM-SHA-256=[name=a]",
	    "SCRAM-SHA-256=[name=a,password=s3cr3t,iterations=1000]",
	    "SCRAM-SHA-256=[name=a,password=s3cr3t,iterations=20000]",
	    "SCRAM-SHA-256=[name=a,password=s3cr3t,iterations=4096x]",
	    "SCRAM-SHA-256=[name=a,password=s3cr3t,password=s3cr3t]",
	    "SCRAM-SHA-256=[name=a,password=s3cr3t,colour=blue]",
	    "SCRAM-SHA-256=[name=a,password=\"s3cr3t]",
	    "SCRAM-SHA-256=[name=a,password=s3cr3t",
	    "SCRAM-SHA-256=[name=a,password=s3cr3t]x",
	    "SCRAM-SHA-256=[name=a,saltedpassword=AAAA]",
	    "SCRAM-SHA-256=[name=a,salt=AAAA,saltedpassword=AAAA]",
	    "SCRAM-SHA-256=[name=a,salt=!!,password=s3cr3t]",
	    "SCRAM-SHA-256=name=a,password=s3cr3t",
	    "SCRAM-SHA-256=[name=,password=s3cr3t]",
	};
	struct scram_spec sp;
	struct scram_cred c;
	char err[256];

	CHECK_EQ(
	    scram_spec_parse("SCRAM-SHA-256=[name=alice,password=alice-secret]",
			     &sp, err, sizeof(err)),
	    0);
	CHECK(strcmp(sp.name, "alice") == 0 && sp.mech == SCRAM_SHA_256);
	CHECK_EQ(sp.iterations, 4096);
	CHECK_EQ(scram_spec_cred(&sp, &c), 0);
	CHECK(scram_cred_check_password(&c, "alice-secret", 12));
	CHECK_EQ(scram_spec_parse("SCRAM-SHA-512=[name=\"a,b\",iterations=8192,"
				  "password=\"p,]\\\"q\"]",
				  &sp, err, sizeof(err)),
		 0);
	CHECK(strcmp(sp.name, "a,b") == 0 && sp.iterations == 8192);
	CHECK_EQ(scram_spec_cred(&sp, &c), 0);
	CHECK(scram_cred_check_password(&c, "p,]\"q", 5));
	/* salt + saltedpassword: the RFC 7677 vector's. */
	{
		uint8_t salt[16], salted[32];
		char b64s[64], b64p[64], spec[256];
		scram_b64_decode(SALT64, strlen(SALT64), salt, sizeof(salt));
		scram_salted_password(SCRAM_SHA_256, "pencil", 6, salt, 16,
				      4096, salted);
		scram_b64_encode(salted, 32, b64p, sizeof(b64p));
		snprintf(b64s, sizeof(b64s), "%s", SALT64);
		snprintf(spec, sizeof(spec),
			 "SCRAM-SHA-256=[name=user,salt=%s,saltedpassword=%s]",
			 b64s, b64p);
		CHECK_EQ(scram_spec_parse(spec, &sp, err, sizeof(err)), 0);
		CHECK_EQ(scram_spec_cred(&sp, &c), 0);
		CHECK(scram_cred_check_password(&c, "pencil", 6));
		CHECK_MEM(c.salt, salt, 16);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_EQ(scram_spec_parse(bad[i], &sp, err, sizeof(err)),
			 -EINVAL);
		CHECK(err[0] != '\0' && !strstr(err, "s3cr3t"));
		CHECK(sp.password[0] == '\0' && !sp.have_password);
	}
	scram_spec_wipe(&sp);
}

static void test_names(void)
{
	enum scram_mech m;

	CHECK(strcmp(scram_mech_name(SCRAM_SHA_256), "SCRAM-SHA-256") == 0);
	CHECK(strcmp(scram_mech_name(SCRAM_SHA_512), "SCRAM-SHA-512") == 0);
	CHECK(scram_mech_name(0) == NULL && scram_mech_name(3) == NULL);
	CHECK_EQ(scram_mech_parse("SCRAM-SHA-512", &m), 0);
	CHECK_EQ(m, SCRAM_SHA_512);
	CHECK_EQ(scram_mech_parse("scram-sha-512", &m), -ENOENT);
	CHECK_EQ(scram_mech_key_len(SCRAM_SHA_256), 32);
	CHECK_EQ(scram_mech_key_len(9), 0);
}

int main(void)
{
	test_b64();
	test_saslname();
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		test_vector(&vectors[i]);
	test_exchange(SCRAM_SHA_256);
	test_exchange(SCRAM_SHA_512);
	test_unknown_user();
	test_malformed();
	test_names();
	test_spec();
	return check_finish();
}
