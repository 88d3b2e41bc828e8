/* scram_client.h - the client side of SCRAM (RFC 5802; SHA-256/512 per RFC 7677
 * and Kafka's SCRAM-SHA-256 / SCRAM-SHA-512), on OpenSSL primitives.
 *
 *   client-first  n,,n=<user>,r=<client nonce>
 *   server-first  r=<client nonce><server nonce>,s=<salt>,i=<iterations>
 *   client-final  c=biws,r=<nonce>,p=<ClientKey XOR HMAC(StoredKey, AM)>
 *   server-final  v=<HMAC(ServerKey, AM)>      (checked, constant time)
 *
 * The user name is escaped (',' -> =2C, '=' -> =3D); it and the password
 * are used as UTF-8 bytes without SASLprep (Kafka's client does the
 * same). The server's nonce must extend ours and its iteration count must
 * be within Kafka's 4096..16384 (SCRAM_ITER_MIN/MAX). Secrets (password,
 * salted password, keys, signatures) are wiped by scram_client_fini().
 *
 * Errors: -EINVAL with err filled (a malformed or hostile server message,
 * a wrong server signature, "e=" from the server), -ENOMEM. Thread: one
 * exchange per struct, any thread.
 */
#ifndef SEALOG_TOOLS_SCRAM_CLIENT_H
#define SEALOG_TOOLS_SCRAM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct evp_md_st; /* OpenSSL's EVP_MD */

#define SCRAM_ITER_MIN 4096
#define SCRAM_ITER_MAX 16384
#define SCRAM_HASH_MAX 64

struct scram_client {
	const struct evp_md_st *md;
	size_t hlen;
	char *user;	/* escaped */
	char *password; /* secret */
	char *nonce;	/* client nonce; then the combined nonce */
	char *first_bare;
	unsigned char server_sig[SCRAM_HASH_MAX]; /* secret until checked */
};

/* mech "SCRAM-SHA-256" or "SCRAM-SHA-512" (any case). 0 or -EINVAL. */
int scram_client_md(const char *mech, const struct evp_md_st **md);

/* Start an exchange. nonce NULL = 24 random bytes, base64 (tests pass
 * the RFC's). 0, -ENOMEM, -EIO (no randomness). */
int scram_client_init(struct scram_client *s, const struct evp_md_st *md,
		      const char *user, const char *password,
		      const char *nonce);
void scram_client_fini(struct scram_client *s);

/* Append client-first to out. */
int scram_client_first(struct scram_client *s, struct buf *out);
/* Given server-first (len bytes), append client-final to out. */
int scram_client_final(struct scram_client *s, const void *server_first,
		       size_t len, struct buf *out, char *err, size_t errlen);
/* Check server-final. 0 when the server proved it knows the password. */
int scram_client_verify(struct scram_client *s, const void *server_final,
			size_t len, char *err, size_t errlen);

#endif
