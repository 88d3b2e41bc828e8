/* tls_dn_test.c - tls_dn_rfc2253() against the strings Java's
 * X500Principal.getName() produces (what Kafka's principal mapping rules
 * see), and the ambiguity check behind reliability.md T7.
 */
#include <errno.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "net/tls.h"
#include "tests/unit/check.h"

/* Attributes are given in encoding order (first RDN first); set -1 adds
 * the attribute to the previous RDN (multi-valued). */
struct ava {
	const char *type; /* short name or dotted OID */
	int asn1;	  /* V_ASN1_* string type, or MBSTRING_UTF8 */
	const char *val;
	int len; /* -1: strlen */
	int set;
};

static X509_NAME *mk(const struct ava *a, size_t n)
{
	X509_NAME *name = X509_NAME_new();

	for (size_t i = 0; i < n; i++) {
		ASN1_OBJECT *obj = OBJ_txt2obj(a[i].type, 0);

		CHECK(X509_NAME_add_entry_by_OBJ(
		    name, obj, a[i].asn1, (const unsigned char *)a[i].val,
		    a[i].len, -1, a[i].set));
		ASN1_OBJECT_free(obj);
	}
	return name;
}

static void expect(const struct ava *a, size_t n, const char *want)
{
	X509_NAME *name = mk(a, n);
	char out[512];
	int r = tls_dn_rfc2253(name, out, sizeof(out));

	CHECK_EQ(r, 0);
	if (r != 0 || strcmp(out, want) != 0)
		fprintf(stderr, "got  '%s'\nwant '%s'\n", out, want);
	CHECK(strcmp(out, want) == 0);
	X509_NAME_free(name);
}

#define U MBSTRING_UTF8
#define EXPECT(want, ...)                                                      \
	do {                                                                   \
		static const struct ava a_[] = {__VA_ARGS__};                  \
		expect(a_, sizeof(a_) / sizeof(a_[0]), want);                  \
	} while (0)

static void t_order_and_keywords(void)
{
	EXPECT("CN=alice,OU=eng,O=sealog,C=US", {"C", U, "US", -1, 0},
	       {"O", U, "sealog", -1, 0}, {"OU", U, "eng", -1, 0},
	       {"CN", U, "alice", -1, 0});
	EXPECT("CN=x,STREET=1 Main St,L=Fulton,ST=MD", {"ST", U, "MD", -1, 0},
	       {"L", U, "Fulton", -1, 0}, {"street", U, "1 Main St", -1, 0},
	       {"CN", U, "x", -1, 0});
	EXPECT("UID=jdoe,DC=example,DC=com",
	       {"DC", V_ASN1_IA5STRING, "com", -1, 0},
	       {"DC", V_ASN1_IA5STRING, "example", -1, 0},
	       {"UID", U, "jdoe", -1, 0});
	/* Multi-valued RDN: '+' and the AVAs' own order. */
	EXPECT("CN=a+UID=b,O=x", {"O", U, "x", -1, 0}, {"CN", U, "a", -1, 0},
	       {"UID", U, "b", -1, -1});
	{
		X509_NAME *empty = X509_NAME_new();
		char out[8] = "junk";

		CHECK_EQ(tls_dn_rfc2253(empty, out, sizeof(out)), 0);
		CHECK(out[0] == '\0');
		X509_NAME_free(empty);
	}
}

/* Types without an RFC 2253 keyword in Java print as OID=#hex(DER). */
static void t_hex_forms(void)
{
	/* emailAddress a@b: IA5String 16 03 61 40 62 */
	EXPECT("CN=svc,1.2.840.113549.1.9.1=#1603614062",
	       {"emailAddress", V_ASN1_IA5STRING, "a@b", -1, 0},
	       {"CN", U, "svc", -1, 0});
	/* serialNumber 123: PrintableString 13 03 31 32 33 */
	EXPECT("2.5.4.5=#1303313233,CN=n", {"CN", U, "n", -1, 0},
	       {"serialNumber", V_ASN1_PRINTABLESTRING, "123", -1, 0});
	/* title (T in RFC 1779, no RFC 2253 keyword), UTF8String */
	EXPECT("2.5.4.12=#0c024d72", {"title", U, "Mr", -1, 0});
	/* A keyword attribute with a non-string type (UniversalString). */
	EXPECT("CN=#1c0400000041",
	       {"CN", V_ASN1_UNIVERSALSTRING, "\0\0\0A", 4, 0});
	/* An unknown OID. */
	EXPECT("1.3.6.1.4.1.99999.1=#0c0178",
	       {"1.3.6.1.4.1.99999.1", U, "x", -1, 0});
}

static void t_escapes(void)
{
	EXPECT("CN=a\\,b", {"CN", U, "a,b", -1, 0});
	EXPECT("CN=k\\=v", {"CN", U, "k=v", -1, 0});
	EXPECT("CN=\\#1 a\\#b", {"CN", U, "#1 a#b", -1, 0});
	EXPECT("CN=\\+\\<\\>\\;\\\"\\\\", {"CN", U, "+<>;\"\\", -1, 0});
	EXPECT("CN=\\ lead and trail\\ \\ ",
	       {"CN", U, " lead and trail  ", -1, 0});
	EXPECT("CN=\\ \\ ", {"CN", U, "  ", -1, 0});
	EXPECT("CN=cr\\\r", {"CN", U, "cr\r", -1, 0});
	EXPECT("CN=in side", {"CN", U, "in side", -1, 0});
	/* Not escaped by Java: @ _ * & / : non-ASCII. */
	EXPECT("CN=a@b_c*d&e/f:g", {"CN", U, "a@b_c*d&e/f:g", -1, 0});
	EXPECT("CN=J\xc3\xbcrgen", {"CN", U, "J\xc3\xbcrgen", -1, 0});
	EXPECT("CN=a\\00b", {"CN", V_ASN1_UTF8STRING, "a\0b", 3, 0});
	/* The spoofing shape of T7: one value, visibly escaped. */
	EXPECT("CN=admin\\,OU\\=x,O=x", {"O", U, "x", -1, 0},
	       {"CN", U, "admin,OU=x", -1, 0});
}

static void t_encodings(void)
{
	/* BMPString (UCS-2 big endian) "Zo\u00eb" -> UTF-8. */
	EXPECT("CN=Zo\xc3\xab", {"CN", V_ASN1_BMPSTRING, "\0Z\0o\0\xeb", 6, 0});
	/* Malformed UTF-8 becomes U+FFFD, as Java's decoder does. */
	EXPECT("CN=a\xef\xbf\xbd"
	       "b",
	       {"CN", V_ASN1_UTF8STRING,
		"a\xff"
		"b",
		3, 0});
	EXPECT("CN=\xef\xbf\xbd\xef\xbf\xbd",
	       {"CN", V_ASN1_UTF8STRING, "\xc0\xaf", 2, 0});
	EXPECT("CN=ok", {"CN", V_ASN1_T61STRING, "ok", -1, 0});
}

static void t_space_and_agreement(void)
{
	static const struct ava a[] = {{"O", U, "sealog", -1, 0},
				       {"CN", U, "alice", -1, 0}};
	X509_NAME *name = mk(a, 2);
	char out[64], ossl[64] = "";
	BIO *bio = BIO_new(BIO_s_mem());
	int n;

	CHECK_EQ(tls_dn_rfc2253(name, out, 5), -ENOSPC);
	CHECK_EQ(tls_dn_rfc2253(name, out, 17), -ENOSPC); /* no room for NUL */
	CHECK_EQ(tls_dn_rfc2253(name, out, 18), 0);
	CHECK(strcmp(out, "CN=alice,O=sealog") == 0);
	/* For simple names OpenSSL's RFC 2253 printer agrees with us. */
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
	n = BIO_read(bio, ossl, sizeof(ossl) - 1);
	ossl[n > 0 ? n : 0] = '\0';
	CHECK(strcmp(out, ossl) == 0);
	BIO_free(bio);
	X509_NAME_free(name);
}

static int check_of(const struct ava *a, size_t n)
{
	X509_NAME *name = mk(a, n);
	int r = tls_dn_check_unambiguous(name);

	X509_NAME_free(name);
	return r;
}

#define CHECK_AMBIG(want, ...)                                                 \
	do {                                                                   \
		static const struct ava a_[] = {__VA_ARGS__};                  \
		CHECK_EQ(check_of(a_, sizeof(a_) / sizeof(a_[0])), want);      \
	} while (0)

static void t_ambiguity(void)
{
	CHECK_AMBIG(0, {"O", U, "x", -1, 0}, {"CN", U, "alice", -1, 0});
	CHECK_AMBIG(0, {"CN", U, "admin,OU=x", -1, 0});
	CHECK_AMBIG(0, {"OU", U, "CN=admin", -1, 0}, {"CN", U, "bob", -1, 0});
	CHECK_AMBIG(0, {"OU", U, "a", -1, 0}, {"OU", U, "b", -1, -1});
	CHECK_AMBIG(-EBADMSG, {"CN", U, "alice", -1, 0},
		    {"CN", U, "admin", -1, 0});
	CHECK_AMBIG(-EBADMSG, {"CN", U, "a", -1, 0},
		    {"CN", U, "admin", -1, -1});
	CHECK_AMBIG(-EBADMSG, {"O", U, "x", -1, 0}, {"CN", U, "a", -1, 0},
		    {"UID", U, "admin", -1, -1});
	CHECK_AMBIG(-EBADMSG, {"CN", V_ASN1_UTF8STRING, "admin\0x", 7, 0});
	CHECK_AMBIG(-EBADMSG, {"O", V_ASN1_BMPSTRING, "\0a\0\0", 4, 0});
	CHECK_AMBIG(0, {"O", V_ASN1_BMPSTRING, "\0a\0b", 4, 0});
}

int main(void)
{
	t_order_and_keywords();
	t_hex_forms();
	t_escapes();
	t_encodings();
	t_space_and_agreement();
	t_ambiguity();
	return check_finish();
}
