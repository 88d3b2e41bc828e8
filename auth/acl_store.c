/* acl_store.c - ACL bindings in LMDB (see acl_store.h).
 *
 * Record (big-endian): u8 version (1) | u8 resource type | u8 pattern
 * type | u8 operation | u8 permission | u32 name length | name | u32
 * principal length | principal | u32 host length | host. A record is
 * accepted only if it decodes exactly and passes acl_binding_check(): a
 * store that lost a byte must not turn a DENY into something else.
 */
#include "auth/acl_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "storage/meta.h"

#define LOGC "kafka.authorizer.logger"
#define KEY_LEN 9
#define RECORD_FIXED 5
#define BUSY_TRIES 1000

static void put_u32(struct buf *o, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};
	buf_append(o, x, 4);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void key_make(uint8_t key[KEY_LEN], uint64_t id)
{
	key[0] = 'b';
	for (int i = 0; i < 8; i++)
		key[1 + i] = (uint8_t)(id >> (56 - 8 * i));
}

int acl_store_encode(const struct acl_binding *b, struct buf *out)
{
	const char *strs[3] = {b->name, b->principal, b->host};
	uint8_t fixed[RECORD_FIXED] = {ACL_STORE_VERSION, (uint8_t)b->rtype,
				       (uint8_t)b->ptype, (uint8_t)b->op,
				       (uint8_t)b->perm};

	for (int i = 0; i < 3; i++)
		if (!strs[i] || strlen(strs[i]) > ACL_STORE_STR_MAX)
			return -EINVAL;
	buf_append(out, fixed, sizeof(fixed));
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(strs[i]);
		put_u32(out, (uint32_t)n);
		buf_append(out, strs[i], n);
	}
	return out->err;
}

/* Copy the next u32-prefixed string of p[*off..len) to *dst as a C
 * string; advances *off and *dst. */
static int take_str(const uint8_t *p, size_t len, size_t *off, char **dst,
		    const char **out)
{
	uint32_t n;

	if (len - *off < 4)
		return -EINVAL;
	n = get_u32(p + *off);
	*off += 4;
	if (n > ACL_STORE_STR_MAX || n > len - *off ||
	    memchr(p + *off, '\0', n))
		return -EINVAL;
	memcpy(*dst, p + *off, n);
	(*dst)[n] = '\0';
	*out = *dst;
	*dst += n + 1;
	*off += n;
	return 0;
}

int acl_store_decode(const void *val, size_t len, struct acl_binding *b,
		     char *strs)
{
	const uint8_t *p = val;
	size_t off = RECORD_FIXED;
	char msg[160];

	if (len < RECORD_FIXED || p[0] != ACL_STORE_VERSION)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->rtype = acl_rtype_from_code(p[1]);
	b->ptype = acl_ptype_from_code(p[2]);
	b->op = acl_op_from_code(p[3]);
	b->perm = acl_perm_from_code(p[4]);
	if (take_str(p, len, &off, &strs, &b->name) ||
	    take_str(p, len, &off, &strs, &b->principal) ||
	    take_str(p, len, &off, &strs, &b->host) || off != len)
		return -EINVAL;
	return acl_binding_check(b, msg, sizeof(msg));
}

static uint64_t key_id(const uint8_t *k)
{
	uint64_t id = 0;

	for (int i = 1; i < KEY_LEN; i++)
		id = id << 8 | k[i];
	return id;
}

struct load_ctx {
	acl_store_visit_fn fn;
	void *ctx;
};

static int load_one(void *arg, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	struct load_ctx *lc = arg;
	struct acl_binding b;
	uint64_t id;
	char *strs;
	int rc;

	if (klen != KEY_LEN || ((const uint8_t *)key)[0] != 'b') {
		log_error(LOGC, "Unexpected key of %zu bytes in the ACL store",
			  klen);
		return -EINVAL;
	}
	id = key_id(key);
	strs = malloc(vlen + 3);
	if (!strs)
		return -ENOMEM;
	rc = acl_store_decode(val, vlen, &b, strs);
	if (rc)
		log_error(LOGC,
			  "ACL record %llu in the metadata store is corrupt",
			  (unsigned long long)id);
	else
		rc = lc->fn(lc->ctx, id, &b);
	free(strs);
	return rc;
}

int acl_store_load(struct meta *m, acl_store_visit_fn fn, void *ctx)
{
	struct load_ctx lc = {fn, ctx};
	struct meta_txn *t;
	int rc = meta_txn_begin(m, false, &t);

	if (rc)
		return rc;
	rc = meta_foreach(t, ACL_STORE_DB, "b", 1, load_one, &lc);
	meta_txn_abort(t);
	return rc;
}

/* LMDB allows one write transaction per process; another thread (the
 * group offsets writer) may hold it for a moment. */
static int begin_write(struct meta *m, struct meta_txn **t)
{
	struct timespec ms = {0, 1000 * 1000};
	int rc = -EBUSY;

	for (int i = 0; i < BUSY_TRIES && rc == -EBUSY; i++) {
		rc = meta_txn_begin(m, true, t);
		if (rc == -EBUSY)
			nanosleep(&ms, NULL);
	}
	return rc;
}

static int apply_one(struct meta_txn *t, const struct acl_store_op *op,
		     struct buf *val)
{
	uint8_t key[KEY_LEN];
	int rc;

	key_make(key, op->id);
	if (!op->b) {
		rc = meta_del(t, ACL_STORE_DB, key, sizeof(key));
		return rc == -ENOENT ? 0 : rc;
	}
	buf_clear(val);
	rc = acl_store_encode(op->b, val);
	if (rc)
		return rc;
	return meta_put(t, ACL_STORE_DB, key, sizeof(key), val->data, val->len);
}

int acl_store_apply(struct meta *m, const struct acl_store_op *ops,
		    size_t count)
{
	struct meta_txn *t = NULL;
	struct buf val;
	int rc;

	if (count == 0)
		return 0;
	buf_init(&val, 0);
	rc = begin_write(m, &t);
	for (size_t i = 0; rc == 0 && i < count; i++)
		rc = apply_one(t, &ops[i], &val);
	buf_fini(&val);
	if (!t)
		return rc;
	if (rc) {
		meta_txn_abort(t);
		return rc;
	}
	return meta_txn_commit(t);
}
