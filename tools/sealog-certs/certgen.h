/* certgen.h - development certificates over OpenSSL: keys, a CA, server
 * and client certificates, PEM text and files.
 *
 * Used by sealog-certs (the CLI), by the TLS tests (certificates are made
 * at test time, never committed) and by the TLS handshake benchmark.
 * Nothing here is meant for production PKI: no CRLs, no OCSP, no
 * hardware keys.
 *
 * Memory: returned EVP_PKEY / X509 are the caller's (EVP_PKEY_free,
 * X509_free); returned PEM strings are the caller's (certgen_pem_free,
 * which wipes them). Thread: any; no global state.
 */
#ifndef SEALOG_TOOLS_CERTGEN_H
#define SEALOG_TOOLS_CERTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum certgen_key_type { CERTGEN_KEY_EC = 0, CERTGEN_KEY_RSA };

#define CERTGEN_EKU_SERVER 0x1u /* serverAuth */
#define CERTGEN_EKU_CLIENT 0x2u /* clientAuth */

#define CERTGEN_DAY_S (24 * 3600)

struct certgen_spec {
	const char *cn;		  /* subject CN, used when subject is NULL */
	const char *org;	  /* subject O (before CN), or NULL */
	const X509_NAME *subject; /* a complete subject instead; not owned */
	const char *const *dns;	  /* subjectAltName DNS names */
	size_t ndns;
	const char *const *ips; /* subjectAltName IPv4/IPv6 addresses */
	size_t nips;
	unsigned eku;	      /* CERTGEN_EKU_* mask; 0 = no EKU extension */
	bool is_ca;	      /* CA:TRUE, keyCertSign + cRLSign */
	int64_t not_before_s; /* validity start, seconds from now (< 0: past) */
	int64_t not_after_s;  /* validity end, seconds from now */
};

/* A new key: EC P-256 or RSA 2048. NULL on failure. */
EVP_PKEY *certgen_key_new(enum certgen_key_type type);

/* A certificate for key per spec, signed by issuer_key with issuer as
 * the issuer name (issuer NULL: self-signed with key). SHA-256, random
 * 159-bit serial, subject/authority key identifiers. NULL on failure
 * (e.g. an IP address that does not parse). */
X509 *certgen_issue(const struct certgen_spec *spec, EVP_PKEY *key,
		    X509 *issuer, EVP_PKEY *issuer_key);

/* PEM text of n certificates, in order. NULL on failure. */
char *certgen_cert_pem(X509 *const *certs, size_t n);

/* PEM text of key: PKCS#8 ("PRIVATE KEY"), or encrypted PKCS#8
 * ("ENCRYPTED PRIVATE KEY", PBES2 AES-256-CBC) when password is set.
 * legacy = true writes OpenSSL's traditional form instead ("RSA PRIVATE
 * KEY" / "EC PRIVATE KEY"), for negative tests. NULL on failure. */
char *certgen_key_pem(EVP_PKEY *key, const char *password, bool legacy);

/* Wipe and free a string from this module. NULL is fine. */
void certgen_pem_free(char *pem);

/* Write text to path atomically (temporary file, fsync, rename) with
 * exactly mode (e.g. 0600 for keys, whatever the umask). 0 or -errno. */
int certgen_write_file(const char *path, const char *text, mode_t mode);

/* Read a certificate / an unencrypted PKCS#8 key from a PEM file. NULL
 * (errno set) on failure. */
X509 *certgen_read_cert(const char *path);
EVP_PKEY *certgen_read_key(const char *path);

#endif
