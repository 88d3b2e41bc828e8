/* scram_spec.h - Kafka's textual SCRAM credential, as kafka-storage.sh
 * format --add-scram takes it:
 *
 *   SCRAM-SHA-256=[name=alice,password=alice-secret]
 *   SCRAM-SHA-512=[name=alice,iterations=8192,password="with,comma"]
 *   SCRAM-SHA-256=[name=bob,salt=<base64>,saltedpassword=<base64>]
 *
 * Keys: name (required), password or saltedpassword (exactly one;
 * saltedpassword needs salt), salt (base64; random 32 bytes if absent),
 * iterations (4096..16384, default 4096). Values may be double-quoted
 * (then ',' and ']' are literal; \" and \\ escape). Unknown or repeated
 * keys are errors.
 *
 * The password is a secret: it is copied into the spec, wiped by
 * scram_spec_wipe(), and never put in an error message.
 * Thread: any; no shared state.
 */
#ifndef SEALOG_AUTH_SCRAM_SPEC_H
#define SEALOG_AUTH_SCRAM_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/scram.h"

#define SCRAM_SPEC_PW_MAX 1024

struct scram_spec {
	enum scram_mech mech;
	char name[SCRAM_USER_MAX + 1];
	int32_t iterations;
	bool have_password, have_salted, have_salt;
	char password[SCRAM_SPEC_PW_MAX + 1];
	size_t password_len;
	uint8_t salted[SCRAM_KEY_MAX];
	size_t salted_len;
	uint8_t salt[SCRAM_SALT_MAX];
	size_t salt_len;
};

/* Parse text into out (wiped first). 0, or -EINVAL with err saying what
 * is wrong (naming the key, never a value of password/saltedpassword). */
int scram_spec_parse(const char *text, struct scram_spec *out, char *err,
		     size_t errlen);

/* The credential the spec describes (PBKDF2 for a password). 0, -EINVAL
 * or -EIO. */
int scram_spec_cred(const struct scram_spec *s, struct scram_cred *out);

void scram_spec_wipe(struct scram_spec *s);

#endif
