/* tls_dn.c - X.509 names printed as Java's X500Principal.getName().
 *
 * Kafka matches ssl.principal.mapping.rules against getName(), i.e.
 * sun.security.x509 AVA.toRFC2253String(); rules written for Kafka only
 * behave the same here if the string is the same, byte for byte. So this
 * is not X509_NAME_print_ex(XN_FLAG_RFC2253), which differs in three
 * ways: it names every attribute OpenSSL knows (emailAddress=...) where
 * Java prints only CN C L ST O OU STREET DC UID by keyword and every
 * other type as "<dotted OID>=#<hex DER>"; it escapes only what RFC 2253
 * requires where Java also escapes '=' and '#' anywhere; and it reverses
 * the AVAs inside a multi-valued RDN, which Java keeps in order.
 *
 * Java's rules, in order, for a string-typed value (PrintableString,
 * T61String, IA5String, GeneralString, BMPString, UTF8String):
 *  1. each of , = + < > # ; " \ gets a '\' before it; NUL becomes "\00";
 *     anything else (non-ASCII included) is copied;
 *  2. then every leading and trailing ' ' or '\r' gets a '\' before it.
 * Any other value type, or an attribute without keyword: '#' + lower-case
 * hex of the value's DER encoding.
 *
 * Values are emitted as UTF-8; malformed UTF-8 becomes U+FFFD (as Java's
 * decoder does); BMPString is converted from UCS-2.
 */
#include "net/tls_int.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

struct dn_out {
	char *p;
	size_t cap, len;
	bool full;
};

static const struct {
	int nid;
	const char *kw;
} dn_keywords[] = {
    {NID_commonName, "CN"},	   {NID_countryName, "C"},
    {NID_localityName, "L"},	   {NID_stateOrProvinceName, "ST"},
    {NID_organizationName, "O"},   {NID_organizationalUnitName, "OU"},
    {NID_streetAddress, "STREET"}, {NID_domainComponent, "DC"},
    {NID_userId, "UID"},
};

static void dn_put(struct dn_out *o, const void *s, size_t n)
{
	if (o->full || n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void dn_putc(struct dn_out *o, char c)
{
	dn_put(o, &c, 1);
}

static const char *dn_keyword(int nid)
{
	for (size_t i = 0; i < sizeof(dn_keywords) / sizeof(dn_keywords[0]);
	     i++)
		if (dn_keywords[i].nid == nid)
			return dn_keywords[i].kw;
	return NULL;
}

static bool dn_is_text_type(int type)
{
	return type == V_ASN1_PRINTABLESTRING || type == V_ASN1_T61STRING ||
	       type == V_ASN1_IA5STRING || type == V_ASN1_GENERALSTRING ||
	       type == V_ASN1_BMPSTRING || type == V_ASN1_UTF8STRING;
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* Length of a well-formed UTF-8 sequence at p (n bytes left), 0 if
 * malformed (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t dn_utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0], need, min;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (n <= need)
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

/* Copy in to a new buffer, malformed sequences replaced by U+FFFD. */
static int dn_utf8_clean(const unsigned char *in, size_t n, unsigned char **out,
			 size_t *out_len)
{
	unsigned char *b = OPENSSL_malloc(n * 3 + 1);
	size_t o = 0;

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n;) {
		size_t k = dn_utf8_len(in + i, n - i);

		if (k) {
			memcpy(b + o, in + i, k);
			o += k;
			i += k;
		} else {
			memcpy(b + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*out = b;
	*out_len = o;
	return 0;
}

/* A text value as UTF-8 (OPENSSL_free it). */
static int dn_value_utf8(const ASN1_STRING *s, unsigned char **out, size_t *len)
{
	unsigned char *u = NULL;
	int n, r;

	if (ASN1_STRING_type(s) != V_ASN1_BMPSTRING)
		return dn_utf8_clean(ASN1_STRING_get0_data(s),
				     (size_t)ASN1_STRING_length(s), out, len);
	n = ASN1_STRING_to_UTF8(&u, s);
	if (n < 0)
		return -EINVAL;
	r = dn_utf8_clean(u, (size_t)n, out, len);
	OPENSSL_free(u);
	return r;
}

/* ---- one attribute -------------------------------------------------- */

static int dn_put_hex(struct dn_out *o, const ASN1_STRING *s)
{
	static const char hex[] = "0123456789abcdef";
	ASN1_TYPE *t = ASN1_TYPE_new();
	unsigned char *der = NULL;
	int n = -1;

	if (t && ASN1_TYPE_set1(t, ASN1_STRING_type(s), s))
		n = i2d_ASN1_TYPE(t, &der);
	ASN1_TYPE_free(t);
	if (n < 0)
		return -EINVAL;
	dn_putc(o, '#');
	for (int i = 0; i < n; i++) {
		dn_putc(o, hex[der[i] >> 4]);
		dn_putc(o, hex[der[i] & 15]);
	}
	OPENSSL_free(der);
	return 0;
}

/* Java's rule 1 into esc (room for 3 * len), returning its length. */
static size_t dn_escape(const unsigned char *v, size_t len, char *esc)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\0') {
			memcpy(esc + o, "\\00", 3);
			o += 3;
			continue;
		}
		if (strchr(",=+<>#;\"\\", v[i]))
			esc[o++] = '\\';
		esc[o++] = (char)v[i];
	}
	return o;
}

static bool dn_is_edge_space(char c)
{
	return c == ' ' || c == '\r';
}

static int dn_put_text(struct dn_out *o, const ASN1_STRING *s)
{
	unsigned char *v = NULL;
	size_t len = 0, n, lead = 0, trail;
	char *esc;
	int r = dn_value_utf8(s, &v, &len);

	if (r < 0)
		return r;
	esc = OPENSSL_malloc(len * 3 + 1);
	if (!esc) {
		OPENSSL_free(v);
		return -ENOMEM;
	}
	n = dn_escape(v, len, esc);
	while (lead < n && dn_is_edge_space(esc[lead]))
		lead++;
	trail = n;
	while (trail > lead && dn_is_edge_space(esc[trail - 1]))
		trail--;
	for (size_t i = 0; i < n; i++) {
		if (i < lead || i >= trail)
			dn_putc(o, '\\');
		dn_putc(o, esc[i]);
	}
	OPENSSL_free(esc);
	OPENSSL_free(v);
	return 0;
}

static int dn_put_ava(struct dn_out *o, const X509_NAME_ENTRY *e)
{
	const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
	const ASN1_STRING *val = X509_NAME_ENTRY_get_data(e);
	const char *kw = dn_keyword(OBJ_obj2nid(obj));
	char oid[128];

	if (kw) {
		dn_put(o, kw, strlen(kw));
	} else {
		if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
			return -EINVAL;
		dn_put(o, oid, strlen(oid));
	}
	dn_putc(o, '=');
	if (!kw || !dn_is_text_type(ASN1_STRING_type(val)))
		return dn_put_hex(o, val);
	return dn_put_text(o, val);
}

/* ---- the name ------------------------------------------------------- */

int tls_dn_rfc2253(const struct X509_name_st *name, char *out, size_t cap)
{
	struct dn_out o = {out, cap, 0, cap == 0};
	int i = X509_NAME_entry_count(name) - 1;
	int r = 0;

	if (cap)
		out[0] = '\0';
	/* RDNs last to first; the AVAs of one RDN in their stored order. */
	while (i >= 0 && r == 0) {
		int set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i));
		int first = i;

		while (first > 0 && X509_NAME_ENTRY_set(X509_NAME_get_entry(
					name, first - 1)) == set)
			first--;
		for (int k = first; k <= i && r == 0; k++) {
			if (k > first)
				dn_putc(&o, '+');
			r = dn_put_ava(&o, X509_NAME_get_entry(name, k));
		}
		i = first - 1;
		if (i >= 0)
			dn_putc(&o, ',');
	}
	if (r == 0 && o.full)
		r = -ENOSPC;
	return r;
}

static bool dn_has_nul(const X509_NAME_ENTRY *e)
{
	const ASN1_STRING *val = X509_NAME_ENTRY_get_data(e);
	unsigned char *v = NULL;
	size_t len = 0;
	bool nul;

	if (!dn_is_text_type(ASN1_STRING_type(val)))
		return false; /* printed as hex: cannot fake a separator */
	if (dn_value_utf8(val, &v, &len) < 0)
		return true;
	nul = memchr(v, 0, len) != NULL;
	OPENSSL_free(v);
	return nul;
}

int tls_dn_check_unambiguous(const struct X509_name_st *name)
{
	int n = X509_NAME_entry_count(name), cns = 0;

	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int set = X509_NAME_ENTRY_set(e);
		bool multi =
		    (i > 0 && X509_NAME_ENTRY_set(
				  X509_NAME_get_entry(name, i - 1)) == set) ||
		    (i + 1 < n && X509_NAME_ENTRY_set(
				      X509_NAME_get_entry(name, i + 1)) == set);

		if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) ==
			NID_commonName &&
		    (++cns > 1 || multi))
			return -EBADMSG;
		if (dn_has_nul(e))
			return -EBADMSG;
	}
	return 0;
}
