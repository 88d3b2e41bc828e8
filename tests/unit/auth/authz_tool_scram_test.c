/* authz_tool_scram_test.c - sealog-acls' SCRAM client against the RFC
 * test vectors (RFC 5802 section 5 for SHA-1, RFC 7677 section 3 for
 * SHA-256), hostile server messages, user-name escaping, and the
 * sasl.jaas.config parser. (The tool's broker-side e2e under SASL is
 * pending the broker's SASL listener.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "tests/unit/check.h"
#include "tools/sealog-acls/kclient.h"
#include "tools/sealog-acls/scram_client.h"

struct vector {
	const EVP_MD *(*md)(void);
	const char *cnonce, *client_first, *server_first, *client_final,
	    *server_final;
};

static const struct vector vectors[] = {
    {EVP_sha1, "fyko+d2lbbFgONRv9qkxdawL",
     "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
     "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p="
     "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
     "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="},
    {EVP_sha256, "rOprNGfwEbeRWgbNEkqO", "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s="
     "W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
     "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="
     "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
     "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
};

static bool buf_is(const struct buf *b, const char *s)
{
	return b->len == strlen(s) && memcmp(b->data, s, b->len) == 0;
}

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		struct scram_client s;
		struct buf b;
		char err[256];

		buf_init(&b, 0);
		CHECK(scram_client_init(&s, v->md(), "user", "pencil",
					v->cnonce) == 0);
		CHECK(scram_client_first(&s, &b) == 0 &&
		      buf_is(&b, v->client_first));
		buf_clear(&b);
		CHECK(scram_client_final(&s, v->server_first,
					 strlen(v->server_first), &b, err,
					 sizeof(err)) == 0);
		if (!buf_is(&b, v->client_final))
			fprintf(stderr, "vector %zu: %.*s\n", i, (int)b.len,
				b.data);
		CHECK(buf_is(&b, v->client_final));
		CHECK(scram_client_verify(&s, v->server_final,
					  strlen(v->server_final), err,
					  sizeof(err)) == 0);
		/* one wrong bit in the server signature is refused */
		char bad[128];
		snprintf(bad, sizeof(bad), "%s", v->server_final);
		bad[3] = bad[3] == 'A' ? 'B' : 'A';
		CHECK(scram_client_verify(&s, bad, strlen(bad), err,
					  sizeof(err)) == -EINVAL);
		scram_client_fini(&s);
		buf_fini(&b);
	}
}

static int final_with(const char *server_first, char *err, size_t errlen)
{
	struct scram_client s;
	struct buf b;
	int rc;

	buf_init(&b, 0);
	scram_client_init(&s, EVP_sha256(), "user", "pencil", "abc");
	scram_client_first(&s, &b);
	buf_clear(&b);
	rc = scram_client_final(&s, server_first, strlen(server_first), &b, err,
				errlen);
	scram_client_fini(&s);
	buf_fini(&b);
	return rc;
}

static void test_hostile(void)
{
	static const char *const bad[] = {
	    "",
	    "r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",	   /* no server nonce */
	    "r=xyzdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  /* not ours */
	    "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095",  /* too few */
	    "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=16385", /* too many */
	    "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096x",
	    "r=abcdef,s=!!!!,i=4096", /* bad base64 */
	    "r=abcdef,s=,i=4096",
	    "r=abcdef,i=4096",
	    "m=ext,r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=abcdef,i=4096", /* order */
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int rc = final_with(bad[i], err, sizeof(err));
		if (rc != -EINVAL)
			fprintf(stderr, "hostile %zu accepted\n", i);
		CHECK_EQ(rc, -EINVAL);
		CHECK(err[0] != '\0');
	}
	CHECK(final_with("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", err,
			 sizeof(err)) == 0);
	/* the server's error attribute */
	struct scram_client s;
	scram_client_init(&s, EVP_sha256(), "u", "p", "n");
	CHECK(scram_client_verify(&s, "e=invalid-proof", 15, err,
				  sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "invalid-proof") != NULL);
	CHECK(scram_client_verify(&s, "v=", 2, err, sizeof(err)) == -EINVAL);
	scram_client_fini(&s);
}

static void test_escape(void)
{
	struct scram_client s;
	struct buf b;
	const EVP_MD *md;

	CHECK(scram_client_md("SCRAM-SHA-512", &md) == 0 && md == EVP_sha512());
	CHECK(scram_client_md("scram-sha-256", &md) == 0 && md == EVP_sha256());
	CHECK(scram_client_md("PLAIN", &md) == -EINVAL);
	buf_init(&b, 0);
	CHECK(scram_client_init(&s, EVP_sha256(), "a,b=c", "pw", "N") == 0);
	CHECK(scram_client_first(&s, &b) == 0 &&
	      buf_is(&b, "n,,n=a=2Cb=3Dc,r=N"));
	scram_client_fini(&s);
	buf_clear(&b);
	/* a random nonce: printable, no commas */
	CHECK(scram_client_init(&s, EVP_sha256(), "u", "p", NULL) == 0);
	CHECK(scram_client_first(&s, &b) == 0 && b.len > 20);
	CHECK(memchr(b.data + 3, ',', b.len - 3) != NULL); /* the ,r= */
	CHECK(strchr(s.nonce, ',') == NULL && strlen(s.nonce) == 32);
	scram_client_fini(&s);
	buf_fini(&b);
}

static void test_jaas(void)
{
	char *u = NULL, *p = NULL;

	CHECK(kclient_jaas_parse(
		  "org.apache.kafka.common.security.plain.PlainLoginModule "
		  "required username=\"alice\" password=\"s e;\\\"cret\";",
		  &u, &p) == 0);
	CHECK(u && strcmp(u, "alice") == 0);
	CHECK(p && strcmp(p, "s e;\"cret") == 0);
	free(u);
	free(p);
	CHECK(kclient_jaas_parse(
		  "org.apache.kafka.common.security.scram.ScramLoginModule "
		  "required\n  username = bob\n  password=\"x\" ;",
		  &u, &p) == 0);
	CHECK(u && strcmp(u, "bob") == 0 && strcmp(p, "x") == 0);
	free(u);
	free(p);
	u = p = NULL;
	CHECK(kclient_jaas_parse("M required username=\"a\";", &u, &p) ==
	      -EINVAL);
	CHECK(kclient_jaas_parse("M required username=\"a\" password=\"b\"", &u,
				 &p) == -EINVAL); /* no ';' */
	CHECK(kclient_jaas_parse("M required username=\"a password=b;", &u,
				 &p) == -EINVAL);
	CHECK(u == NULL && p == NULL);
}

int main(void)
{
	test_vectors();
	test_hostile();
	test_escape();
	test_jaas();
	return check_finish();
}
