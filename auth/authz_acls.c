/* authz_acls.c - creating, deleting and listing bindings (see authz.h).
 *
 * Invariant: after every call the index holds exactly what the store
 * holds. A create puts the new bindings in the index first (nothing can
 * decide meanwhile: one thread), then commits them in one LMDB
 * transaction, and takes them out again if the commit fails; a delete
 * marks the bindings, commits, then unlinks them. Neither undo allocates,
 * so nothing can fail half-way.
 */
#include "auth/authz_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/acl_store.h"
#include "base/arena.h"

/* --- create --------------------------------------------------------------- */

static int store_added(struct authz *z, struct authz_ace **added, size_t n)
{
	struct acl_store_op *ops;
	struct acl_binding *b;
	int rc;

	if (!z->meta || n == 0)
		return 0;
	ops = calloc(n, sizeof(*ops));
	b = calloc(n, sizeof(*b));
	if (!ops || !b) {
		free(ops);
		free(b);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		authz_ace_binding(added[i], &b[i]);
		ops[i].id = added[i]->id;
		ops[i].b = &b[i];
	}
	rc = acl_store_apply(z->meta, ops, n);
	free(ops);
	free(b);
	return rc;
}

static void create_fail(struct authz_create_result *res, size_t count, int rc,
			const char *msg)
{
	for (size_t i = 0; i < count; i++)
		if (res[i].rc == 0) {
			res[i].rc = rc;
			res[i].created = false;
			if (msg)
				snprintf(res[i].msg, sizeof(res[i].msg), "%s",
					 msg);
		}
}

int authz_acls_create(struct authz *z, const struct acl_binding *b,
		      size_t count, struct authz_create_result *res)
{
	struct authz_ace **added;
	size_t n = 0;
	int rc = 0;

	memset(res, 0, count * sizeof(*res));
	if (count > AUTHZ_BATCH_MAX) {
		create_fail(
		    res, count, -E2BIG,
		    "Cannot create more than 10000 acls in a single batch.");
		return -E2BIG;
	}
	added = calloc(count + 1, sizeof(*added));
	if (!added)
		return -ENOMEM;
	for (size_t i = 0; i < count && rc >= 0; i++) {
		struct authz_ace *a;
		res[i].rc =
		    acl_binding_check(&b[i], res[i].msg, sizeof(res[i].msg));
		if (res[i].rc)
			continue;
		rc = authz_index_add(z, &b[i], z->next_id + n, &a);
		if (rc == 0)
			added[n++] = a;
		res[i].created = rc == 0;
	}
	if (rc >= 0)
		rc = store_added(z, added, n);
	if (rc < 0) {
		while (n)
			authz_index_del(z, added[--n]);
		create_fail(res, count, rc, NULL);
		free(added);
		return rc;
	}
	z->next_id += n;
	if (n)
		z->version++;
	free(added);
	return 0;
}

/* --- delete --------------------------------------------------------------- */

static int copy_binding(struct arena *a, const struct acl_binding *src,
			struct acl_binding *dst)
{
	*dst = *src;
	dst->name = arena_strndup(a, src->name, strlen(src->name));
	dst->principal =
	    arena_strndup(a, src->principal, strlen(src->principal));
	dst->host = arena_strndup(a, src->host, strlen(src->host));
	return dst->name && dst->principal && dst->host ? 0 : -ENOMEM;
}

static size_t delete_count(const struct authz *z, const struct acl_filter *f)
{
	struct acl_binding b;
	size_t n = 0;

	for (const struct authz_pat *p = z->first; p; p = p->next)
		for (const struct authz_ace *e = p->head; e; e = e->next) {
			authz_ace_binding(e, &b);
			n += acl_filter_matches(f, &b);
		}
	return n;
}

/* Everything f matches, copied into a and marked doomed; *doomed counts
 * the bindings newly marked (r->first says which). */
static int delete_match(struct authz *z, const struct acl_filter *f,
			struct arena *a, struct authz_delete_result *r,
			size_t *doomed)
{
	size_t n = delete_count(z, f), i = 0;
	struct acl_binding b;

	r->acls = arena_calloc(a, n + 1, sizeof(*r->acls));
	r->first = arena_calloc(a, n + 1, sizeof(*r->first));
	if (!r->acls || !r->first)
		return -ENOMEM;
	for (struct authz_pat *p = z->first; p; p = p->next)
		for (struct authz_ace *e = p->head; e; e = e->next) {
			authz_ace_binding(e, &b);
			if (!acl_filter_matches(f, &b))
				continue;
			if (copy_binding(a, &b, &r->acls[i]))
				return -ENOMEM;
			r->first[i++] = !e->doomed;
			*doomed += !e->doomed;
			e->doomed = true;
		}
	r->count = i;
	return 0;
}

static void undoom(struct authz *z)
{
	for (struct authz_pat *p = z->first; p; p = p->next)
		for (struct authz_ace *e = p->head; e; e = e->next)
			e->doomed = false;
}

static int delete_store(struct authz *z, size_t doomed)
{
	struct acl_store_op *ops;
	size_t i = 0;
	int rc;

	if (!z->meta || doomed == 0)
		return 0;
	ops = calloc(doomed, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	for (struct authz_pat *p = z->first; p; p = p->next)
		for (struct authz_ace *e = p->head; e; e = e->next)
			if (e->doomed)
				ops[i++].id = e->id;
	rc = acl_store_apply(z->meta, ops, doomed);
	free(ops);
	return rc;
}

static void delete_unlink(struct authz *z)
{
	struct authz_pat *p = z->first;

	while (p) {
		struct authz_pat *next = p->next;
		struct authz_ace *e = p->head;
		/* the last binding going takes p with it; next stays valid */
		while (e) {
			struct authz_ace *en = e->next;
			if (e->doomed)
				authz_index_del(z, e);
			e = en;
		}
		p = next;
	}
}

int authz_acls_delete(struct authz *z, const struct acl_filter *filters,
		      size_t count, struct arena *a,
		      struct authz_delete_result *res)
{
	size_t doomed = 0;
	int rc = 0;

	for (size_t i = 0; i < count && rc == 0; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].rc = acl_filter_check(&filters[i], &res[i].msg);
		if (res[i].rc == 0)
			rc = delete_match(z, &filters[i], a, &res[i], &doomed);
	}
	if (rc == 0 && doomed > AUTHZ_BATCH_MAX)
		rc = -E2BIG;
	if (rc == 0)
		rc = delete_store(z, doomed);
	if (rc) {
		undoom(z);
		return rc;
	}
	if (doomed) {
		delete_unlink(z);
		z->version++;
	}
	return 0;
}

/* --- visit ---------------------------------------------------------------- */

int authz_acls_visit(const struct authz *z, const struct acl_filter *f,
		     authz_visit_fn fn, void *ctx)
{
	struct acl_binding b;
	int rc;

	for (const struct authz_pat *p = z->first; p; p = p->next)
		for (const struct authz_ace *e = p->head; e; e = e->next) {
			authz_ace_binding(e, &b);
			if (f && !acl_filter_matches(f, &b))
				continue;
			rc = fn(ctx, e->id, &b);
			if (rc)
				return rc;
		}
	return 0;
}
