/* sasl_int.h - the Cyrus side of PLAIN, for sasl.c. Internal to auth/.
 * Same threading as sasl.h: every call on the one thread that runs SASL. */
#ifndef SEALOG_AUTH_SASL_INT_H
#define SEALOG_AUTH_SASL_INT_H

#include <stddef.h>
#include <stdint.h>

struct authn;
struct buf;
struct authn_plain;

/* sasl_server_init() with our options and plugins, once per process. */
int authn_cyrus_init(char *err, size_t errlen);

/* A Cyrus server connection for PLAIN whose password check calls
 * authn_plain_check(a, ...). 0, -ENOMEM or -EIO. */
int authn_plain_open(const struct authn *a, struct authn_plain **out);

/* Like authn_session_step(); user (cap bytes) gets the canonical user
 * name on success, reason a message on failure. */
int authn_plain_step(struct authn_plain *p, const uint8_t *in, size_t len,
		     struct buf *out, char *user, size_t cap, char *reason,
		     size_t rcap);

void authn_plain_close(struct authn_plain *p);

#endif
