/* sasl.c - the authenticator and its sessions (see sasl.h); Cyrus itself
 * is sasl_plain.c.
 *
 *   +---------+ step: 1 +---------+
 *   | RUNNING | ------> | RUNNING |  (SCRAM: after client-first)
 *   +---------+         +---------+
 *        | step: 0          | step: 0         step < 0 from any state
 *        v                  v                 ---------------> FAILED
 *      +----+             +----+
 *      | OK |             | OK |   every step after OK or FAILED: -EPROTO
 *      +----+             +----+
 *
 * JAAS passwords are not kept: only HMAC-SHA-256 of each under a random
 * per-authenticator key, compared with CRYPTO_memcmp, so the compare
 * neither leaks a prefix nor the length.
 */
#include "auth/sasl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/credstore.h"
#include "auth/sasl_int.h"
#include "auth/scram.h"
#include "base/buf.h"

static const char *const mech_names[AUTHN_MECH_COUNT] = {
    "PLAIN",
    "SCRAM-SHA-256",
    "SCRAM-SHA-512",
};

struct plain_user {
	char *name;
	uint8_t mac[32]; /* HMAC-SHA-256(a->key, password) */
};

struct authn {
	unsigned mechs;
	struct plain_user *users;
	size_t user_count;
	struct credstore *store;
	uint8_t key[32];
};

enum sess_state { SS_RUNNING, SS_OK, SS_FAILED };

struct authn_session {
	struct authn *a;
	enum authn_mech mech;
	enum sess_state state;
	struct scram_server *scram;
	struct authn_plain *plain;
	char user[SCRAM_USER_MAX + 1];
	char reason[160];
};

const char *authn_mech_name(unsigned mech)
{
	for (int i = 0; i < AUTHN_MECH_COUNT; i++)
		if (mech == 1u << i)
			return mech_names[i];
	return NULL;
}

int authn_mech_parse(const char *name, size_t len, enum authn_mech *out)
{
	for (int i = 0; i < AUTHN_MECH_COUNT; i++)
		if (strlen(mech_names[i]) == len &&
		    memcmp(mech_names[i], name, len) == 0) {
			*out = (enum authn_mech)(1u << i);
			return 0;
		}
	return -ENOENT;
}

int authn_global_init(char *err, size_t errlen)
{
	return authn_cyrus_init(err, errlen);
}

/* --- the authenticator ---------------------------------------------------- */

int authn_create(unsigned mechs, struct authn **out)
{
	struct authn *a;

	*out = NULL;
	if (!mechs || mechs >= 1u << AUTHN_MECH_COUNT)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	if (RAND_bytes(a->key, sizeof(a->key)) != 1) {
		free(a);
		return -EIO;
	}
	a->mechs = mechs;
	*out = a;
	return 0;
}

static int pw_mac(const struct authn *a, const void *pw, size_t len,
		  uint8_t out[32])
{
	unsigned n = 0;

	return HMAC(EVP_sha256(), a->key, sizeof(a->key), pw, len, out, &n) &&
		       n == 32
		   ? 0
		   : -EIO;
}

static const struct plain_user *user_find(const struct authn *a,
					  const char *name)
{
	for (size_t i = 0; i < a->user_count; i++)
		if (strcmp(a->users[i].name, name) == 0)
			return &a->users[i];
	return NULL;
}

int authn_add_plain_user(struct authn *a, const char *name,
			 const char *password)
{
	struct plain_user *u;

	if (!name || !*name || !password)
		return -EINVAL;
	if (user_find(a, name))
		return -EEXIST;
	u = realloc(a->users, (a->user_count + 1) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	a->users = u;
	u = &a->users[a->user_count];
	u->name = strdup(name);
	if (!u->name)
		return -ENOMEM;
	if (pw_mac(a, password, strlen(password), u->mac)) {
		free(u->name);
		return -EIO;
	}
	a->user_count++;
	return 0;
}

size_t authn_plain_user_count(const struct authn *a)
{
	return a->user_count;
}

void authn_set_store(struct authn *a, struct credstore *cs)
{
	a->store = cs;
}

unsigned authn_mechs(const struct authn *a)
{
	return a->mechs;
}

void authn_destroy(struct authn *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->user_count; i++)
		free(a->users[i].name);
	OPENSSL_clear_free(a->users, a->user_count * sizeof(*a->users));
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

/* --- PLAIN's check -------------------------------------------------------- */

static bool store_check(const struct authn *a, const char *user, const char *pw,
			size_t pw_len)
{
	static const enum scram_mech order[] = {SCRAM_SHA_512, SCRAM_SHA_256};
	struct scram_cred c;
	bool ok;

	for (size_t i = 0; a->store && i < 2; i++) {
		if (credstore_get(a->store, user, order[i], &c) != 0)
			continue;
		ok = scram_cred_check_password(&c, pw, pw_len);
		scram_cred_wipe(&c);
		return ok;
	}
	return scram_check_password_dummy(pw, pw_len);
}

bool authn_plain_check(const struct authn *a, const char *user, const char *pw,
		       size_t pw_len)
{
	const struct plain_user *u;
	uint8_t mac[32];
	bool ok;

	if (!pw_len || !user || !*user)
		return false;
	u = user_find(a, user);
	if (!u)
		return store_check(a, user, pw, pw_len);
	ok = pw_mac(a, pw, pw_len, mac) == 0 &&
	     CRYPTO_memcmp(mac, u->mac, sizeof(mac)) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	/* The same work as a store user's check, so timing does not tell
	 * JAAS users from unknown ones. */
	(void)scram_check_password_dummy(pw, pw_len);
	return ok;
}

/* --- sessions ------------------------------------------------------------- */

static int scram_lookup(void *ctx, enum scram_mech m, const char *user,
			struct scram_cred *out)
{
	const struct authn *a = ctx;

	if (!a->store)
		return -ENOENT;
	return credstore_get(a->store, user, m, out);
}

int authn_session_start(struct authn *a, enum authn_mech mech,
			struct authn_session **out)
{
	struct authn_session *s;
	int rc;

	*out = NULL;
	if (!(a->mechs & mech) || !authn_mech_name(mech))
		return -ENOTSUP;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->a = a;
	s->mech = mech;
	if (mech == AUTHN_PLAIN)
		rc = authn_plain_open(a, &s->plain);
	else
		rc = scram_server_create(
		    mech == AUTHN_SCRAM_SHA_256 ? SCRAM_SHA_256 : SCRAM_SHA_512,
		    scram_lookup, a, &s->scram);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int scram_step(struct authn_session *s, const uint8_t *in, size_t len,
		      struct buf *out)
{
	int rc = scram_server_step(s->scram, in, len, out);

	snprintf(s->reason, sizeof(s->reason), "%s",
		 scram_server_reason(s->scram));
	if (rc == 0)
		snprintf(s->user, sizeof(s->user), "%s",
			 scram_server_user(s->scram));
	return rc;
}

int authn_session_step(struct authn_session *s, const uint8_t *in, size_t len,
		       struct buf *out)
{
	int rc;

	if (s->state != SS_RUNNING) {
		snprintf(s->reason, sizeof(s->reason),
			 "exchange already finished");
		return -EPROTO;
	}
	s->reason[0] = '\0';
	if (s->plain)
		rc = authn_plain_step(s->plain, in, len, out, s->user,
				      sizeof(s->user), s->reason,
				      sizeof(s->reason));
	else
		rc = scram_step(s, in, len, out);
	if (rc < 0) {
		s->state = SS_FAILED;
		s->user[0] = '\0';
	} else if (rc == 0) {
		s->state = SS_OK;
	}
	return rc;
}

enum authn_mech authn_session_mech(const struct authn_session *s)
{
	return s->mech;
}

const char *authn_session_user(const struct authn_session *s)
{
	return s->state == SS_OK ? s->user : NULL;
}

const char *authn_session_reason(const struct authn_session *s)
{
	return s->reason;
}

const char *authn_session_claimed_user(const struct authn_session *s)
{
	if (s->scram)
		return scram_server_claimed_user(s->scram);
	return s->user;
}

void authn_session_destroy(struct authn_session *s)
{
	if (!s)
		return;
	scram_server_destroy(s->scram);
	authn_plain_close(s->plain);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}
