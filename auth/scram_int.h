/* scram_int.h - helpers shared by scram.c and scram_server.c. Internal to
 * auth/. Errors 0 / -EIO; out buffers hold scram_mech_key_len() bytes. */
#ifndef SEALOG_AUTH_SCRAM_INT_H
#define SEALOG_AUTH_SCRAM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

const EVP_MD *scram_md(int mech);
int scram_hmac(int mech, const uint8_t *key, size_t key_len, const void *data,
	       size_t len, uint8_t *out);
int scram_hash(int mech, const uint8_t *data, size_t len, uint8_t *out);
/* Well-formed UTF-8 (no overlong forms, surrogates or NUL). */
bool scram_utf8_valid(const uint8_t *p, size_t len);

#endif
