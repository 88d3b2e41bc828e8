/* tls.h - TLS settings and the TLS transport (OpenSSL 3, memory BIOs).
 *
 * The transport implements net/xprt.h: the loop does all socket I/O
 * through io_uring and OpenSSL only ever sees memory BIOs. Kafka's
 * ssl.* key names are not known here (broker/tls_config.c maps them);
 * the settings are plain paths, PEM text and flags.
 *
 * Policy fixed here, not configurable: TLS 1.2 minimum, no
 * renegotiation, no compression, no 0-RTT early data, PEM only, PKCS#8
 * private keys only (a PKCS#1 "BEGIN RSA PRIVATE KEY" or SEC1 "BEGIN EC
 * PRIVATE KEY" key is rejected, as Kafka rejects it), a client
 * certificate whose subject is ambiguous (two CN attributes, a CN in a
 * multi-valued RDN, a NUL byte in any value) fails the handshake.
 *
 * Threads: xprt_tls_create() / xprt_tls_destroy() on one thread, outside
 * any running loop that uses the factory; xprt_tls_reload() from any
 * thread at any time (e.g. the broker's SIGHUP handling thread).
 */
#ifndef SEALOG_NET_TLS_H
#define SEALOG_NET_TLS_H

#include <stddef.h>
#include <stdint.h>

struct xprt_factory;
struct X509_name_st; /* OpenSSL's X509_NAME, for tls_dn_rfc2253() */

enum tls_client_auth {
	TLS_CLIENT_AUTH_NONE = 0,  /* no certificate asked for */
	TLS_CLIENT_AUTH_REQUESTED, /* asked for; a bad one still fails */
	TLS_CLIENT_AUTH_REQUIRED,  /* none or a bad one fails the handshake */
};

#define TLS_PROTO_TLS12 0x1u
#define TLS_PROTO_TLS13 0x2u

/* Every string is malloc'd and owned by the struct (tls_settings_fini
 * frees them; key_pem and key_password are wiped first). NULL = unset. */
struct tls_settings {
	/* Server identity: keystore_file (a PEM file holding the PKCS#8
	 * private key and the certificate chain, leaf first), or
	 * cert_chain_pem + key_pem given inline. Exactly one of the two. */
	char *keystore_file;
	char *cert_chain_pem;
	char *key_pem;
	char *key_password; /* for an ENCRYPTED PRIVATE KEY; a secret */
	/* Trust anchors for client certificates (PEM CA certificates): a
	 * file or inline text, at most one; needed unless client_auth is
	 * NONE. */
	char *truststore_file;
	char *truststore_pem;
	enum tls_client_auth client_auth;
	unsigned protocols; /* TLS_PROTO_* mask; 0 = TLS 1.2 and 1.3 */
	/* Cipher suites, separated by ',', ':' or spaces, by IANA name
	 * (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256) or
	 * OpenSSL name (ECDHE-RSA-AES128-GCM-SHA256). NULL = OpenSSL's
	 * defaults. TLS 1.3 suites go to SSL_CTX_set_ciphersuites, the rest
	 * to SSL_CTX_set_cipher_list; a version left without any suite is
	 * disabled (with a warning), none left at all is an error. */
	char *ciphers;
	int64_t handshake_timeout_ms; /* <= 0: no deadline */
};

/* Which setting an error is about, so the caller can name its key. */
enum tls_field {
	TLS_FIELD_NONE = 0,
	TLS_FIELD_KEYSTORE_FILE,
	TLS_FIELD_CERT_CHAIN,
	TLS_FIELD_KEY,
	TLS_FIELD_KEY_PASSWORD,
	TLS_FIELD_TRUSTSTORE_FILE,
	TLS_FIELD_TRUSTSTORE_PEM,
	TLS_FIELD_CLIENT_AUTH,
	TLS_FIELD_PROTOCOLS,
	TLS_FIELD_CIPHERS,
};

struct tls_error {
	enum tls_field field;
	char msg[512]; /* never contains key material or passwords */
};

/* Defaults: nothing set, client auth none, both protocols, 10 s
 * handshake timeout. Never fails. */
void tls_settings_init(struct tls_settings *s);

/* Deep copy src into dst (dst is overwritten, not freed). 0 or -ENOMEM
 * (dst is then left initialised and empty). */
int tls_settings_copy(struct tls_settings *dst, const struct tls_settings *src);

/* Wipe the secrets, free every string, re-initialise. */
void tls_settings_fini(struct tls_settings *s);

struct xprt_tls;

/* Build a TLS transport from s (copied: s may be freed afterwards),
 * reading every file now. 0 and *out, or -EINVAL / -ENOENT / -EACCES /
 * -ENOMEM with err filled (field + a message naming the file or the
 * value at fault and OpenSSL's reason). */
int xprt_tls_create(const struct tls_settings *s, struct xprt_tls **out,
		    struct tls_error *err);

/* The factory to pass to net_loop_listen(); lives as long as t. */
struct xprt_factory *xprt_tls_factory(struct xprt_tls *t);

/* Certificate reload (SIGHUP): rebuild the SSL_CTX from the same
 * settings, re-reading the files. On success new connections use the new
 * context; connections already open keep the one they were accepted with
 * (each holds a reference). On failure the old context stays, the error
 * is returned as for xprt_tls_create() and logged. Any thread. */
int xprt_tls_reload(struct xprt_tls *t, struct tls_error *err);

/* Number of successful reloads so far (for logs and tests). Any thread. */
unsigned xprt_tls_generation(struct xprt_tls *t);

/* Free t once no loop using its factory runs any more (connections
 * still open in a stopped loop keep their own context references). */
void xprt_tls_destroy(struct xprt_tls *t);

/* name in RFC 2253 form exactly as Java's X500Principal.getName()
 * prints it (what Kafka's ssl.principal.mapping.rules are matched
 * against): RDNs last to first, ',' between them with no space, '+'
 * inside a multi-valued RDN, keywords only for CN C L ST O OU STREET DC
 * UID and the dotted OID with '#' + hex DER for any other attribute,
 * ",=+<>#;\"\\" escaped with '\', NUL as "\00", leading and trailing
 * spaces escaped. Values are UTF-8. 0, -ENOSPC (cap too small), -EINVAL
 * (undecodable value), -ENOMEM. */
int tls_dn_rfc2253(const struct X509_name_st *name, char *out, size_t cap);

/* 0 if name has at most one CN, no CN inside a multi-valued RDN and no
 * NUL byte in any value; otherwise -EBADMSG. The TLS transport refuses
 * client certificates failing this (reliability.md T7). */
int tls_dn_check_unambiguous(const struct X509_name_st *name);

#endif
