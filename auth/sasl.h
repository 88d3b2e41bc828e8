/* sasl.h - SASL authentication for Kafka listeners: PLAIN through Cyrus
 * SASL, SCRAM-SHA-256 and SCRAM-SHA-512 through scram.h, behind one
 * exchange interface. No Kafka framing here (that is the broker's
 * SaslHandshake / SaslAuthenticate), no socket, no key names.
 *
 * Users:
 *  - PLAIN checks a password against, in this order, the users a JAAS
 *    PlainLoginModule defines (user_<name>="<password>", Kafka's
 *    PlainServerCallbackHandler; compared in constant time) and the SCRAM
 *    store (PBKDF2 with the stored salt and iterations, StoredKey compared
 *    in constant time; a user without a credential costs the same work).
 *    Cyrus's PLAIN plugin parses the message (authzid NUL authcid NUL
 *    password); its default proxy policy refuses an authzid other than
 *    the user (CVE-2017-12610), empty user or password fail, and user
 *    names are taken byte for byte (our canon_user plugin replaces
 *    Cyrus's, which would trim blanks and append realms). Cyrus never
 *    reads a sasldb or saslauthd: our auxprop plugin answers every lookup
 *    with nothing.
 *  - SCRAM uses only the store (scram.h has the exchange rules).
 * Failures never say whether the user exists.
 *
 * Functions are named authn_*: Cyrus owns sasl_*.
 * Thread: authn_global_init() once, on any thread, before anything else.
 * An authn is immutable after setup and may be shared by sessions of one
 * thread; a session belongs to one thread. Cyrus keeps global state, so
 * all sessions of a process must run on one thread (the broker thread).
 */
#ifndef SEALOG_AUTH_SASL_H
#define SEALOG_AUTH_SASL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct credstore;

/* Mechanism bits (sets of them are unsigned masks). */
enum authn_mech {
	AUTHN_PLAIN = 1u << 0,
	AUTHN_SCRAM_SHA_256 = 1u << 1,
	AUTHN_SCRAM_SHA_512 = 1u << 2,
};
#define AUTHN_MECH_COUNT 3

/* "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"; NULL for anything else. */
const char *authn_mech_name(unsigned mech);
/* Exact (case-sensitive, as Kafka) name to bit; 0 or -ENOENT. */
int authn_mech_parse(const char *name, size_t len, enum authn_mech *out);

/* Initialise Cyrus SASL for this process (idempotent). 0, or -ENOTSUP
 * with err naming what is missing (e.g. Cyrus's PLAIN plugin, package
 * libsasl2-modules), or -EIO. */
int authn_global_init(char *err, size_t errlen);

struct authn;

/* An authenticator serving the mechanisms in mechs (a mask). 0, -EINVAL
 * (empty or unknown bits), -ENOMEM. */
int authn_create(unsigned mechs, struct authn **out);
/* A PLAIN user from JAAS (both strings copied; the copy of password is
 * wiped on destroy). 0, -EINVAL (empty name or NUL), -EEXIST, -ENOMEM. */
int authn_add_plain_user(struct authn *a, const char *name,
			 const char *password);
size_t authn_plain_user_count(const struct authn *a);
/* The SCRAM store (may stay NULL: then only JAAS users exist). Not owned. */
void authn_set_store(struct authn *a, struct credstore *cs);
unsigned authn_mechs(const struct authn *a);
/* Wipes the JAAS passwords. NULL is a no-op. */
void authn_destroy(struct authn *a);

struct authn_session;

/* Begin an exchange for mech. 0, -ENOTSUP (mech not enabled), -ENOMEM,
 * -EIO (Cyrus failed). */
int authn_session_start(struct authn *a, enum authn_mech mech,
			struct authn_session **out);

/* One client token in; the server's token appended to out.
 *   1        more to come: send out, wait for the next client token;
 *   0        authenticated: send out (may be empty), then
 *            authn_session_user() is the principal's name;
 *   -EACCES  bad credentials (any reason: unknown user, wrong password,
 *            authzid, nonce, proof);
 *   -EBADMSG malformed token;
 *   -EPROTO  the exchange already ended;
 *   -ENOMEM / -EIO.
 * A failed session stays failed. */
int authn_session_step(struct authn_session *s, const uint8_t *in, size_t len,
		       struct buf *out);

enum authn_mech authn_session_mech(const struct authn_session *s);
/* The authenticated user name (after step returned 0), else NULL. */
const char *authn_session_user(const struct authn_session *s);
/* For logs: why the last step failed; never a secret, "" if none. */
const char *authn_session_reason(const struct authn_session *s);
/* The name the client claimed, for logs ("" if not known yet). */
const char *authn_session_claimed_user(const struct authn_session *s);

/* Wipe and free (Cyrus connection included). NULL is a no-op. */
void authn_session_destroy(struct authn_session *s);

/* --- PLAIN internals shared with sasl_plain.c ----------------------------- */

/* Check user/password as PLAIN does (JAAS users, then the store). */
bool authn_plain_check(const struct authn *a, const char *user, const char *pw,
		       size_t pw_len);

#endif
