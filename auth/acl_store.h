/* acl_store.h - ACL bindings in the metadata store (storage/meta.h).
 *
 * Database "acls": key 'b' + the binding's id (8 bytes, big-endian),
 * value = the encoded binding (ACL_STORE_VERSION, see acl_store.c). Ids
 * are assigned by the authorizer (authz.c) and never reused while the
 * store exists. Every change of one request is one LMDB write
 * transaction: all of it is durable when acl_store_apply() returns 0, or
 * none of it is.
 *
 * Errors: meta.h's (-ENOSPC map full, -EIO, -ENOMEM), -EINVAL for a
 * record that does not decode (a corrupt store: the authorizer refuses to
 * start rather than forget a DENY). Thread: the caller's, one at a time
 * per meta write transaction (LMDB's rule).
 */
#ifndef SEALOG_AUTH_ACL_STORE_H
#define SEALOG_AUTH_ACL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "auth/acl.h"

struct meta;
struct buf;

#define ACL_STORE_DB "acls"
#define ACL_STORE_VERSION 1
#define ACL_STORE_STR_MAX 65535 /* longest name, principal or host */

/* Called once per stored binding, in id order; the binding's strings
 * live until fn returns. A non-zero return stops the walk and is
 * returned by acl_store_load(). */
typedef int (*acl_store_visit_fn)(void *ctx, uint64_t id,
				  const struct acl_binding *b);

/* Visit every stored binding (one read transaction). 0, fn's value,
 * -EINVAL (corrupt record, logged with its id) or meta.h errors. */
int acl_store_load(struct meta *m, acl_store_visit_fn fn, void *ctx);

/* One change: put binding b under id, or (b NULL) delete id. */
struct acl_store_op {
	uint64_t id;
	const struct acl_binding *b;
};

/* Apply count changes in one write transaction (deleting an id that is
 * not there is not an error). Waits briefly (up to ~1 s) while another
 * thread of the process holds the metadata write transaction. 0 or
 * -errno; on error nothing changed. */
int acl_store_apply(struct meta *m, const struct acl_store_op *ops,
		    size_t count);

/* The record encoding, for tests: append b's record to out (out->err set
 * on failure; -EINVAL for a string over ACL_STORE_STR_MAX). */
int acl_store_encode(const struct acl_binding *b, struct buf *out);
/* Decode a record into b, whose strings point into strs (len + 3 bytes,
 * caller-provided). 0 or -EINVAL. */
int acl_store_decode(const void *val, size_t len, struct acl_binding *b,
		     char *strs);

#endif
