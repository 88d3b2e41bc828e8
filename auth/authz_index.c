/* authz_index.c - the binding index (see authz_int.h): patterns,
 * principal groups, prefix lengths; adding and removing one binding.
 */
#include "auth/authz_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- patterns ------------------------------------------------------------- */

static uint64_t pat_hash(enum acl_rtype rtype, enum acl_ptype ptype,
			 const char *name, size_t len)
{
	return hmap_hash_bytes(name, len) ^
	       hmap_hash_u64((uint64_t)rtype << 8 | (uint64_t)ptype);
}

struct authz_pat *authz_pat_find(const struct authz *z, enum acl_rtype rtype,
				 enum acl_ptype ptype, const char *name,
				 size_t len)
{
	uint64_t h = pat_hash(rtype, ptype, name, len);

	for (struct hmap_node *n = hmap_first(&z->pats, h); n;
	     n = hmap_next(n, h)) {
		struct authz_pat *p = container_of(n, struct authz_pat, hnode);
		if (p->rtype == rtype && p->ptype == ptype && p->len == len &&
		    memcmp(p->name, name, len) == 0)
			return p;
	}
	return NULL;
}

/* --- prefix lengths ------------------------------------------------------- */

static int lens_reserve(struct authz_lens *l)
{
	size_t cap = l->cap ? 2 * l->cap : 8, *len, *refs;

	if (l->count < l->cap)
		return 0;
	len = realloc(l->len, cap * sizeof(*len));
	if (!len)
		return -ENOMEM;
	l->len = len;
	refs = realloc(l->refs, cap * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	l->refs = refs;
	l->cap = cap;
	return 0;
}

/* Index of the first length >= len. */
static size_t lens_find(const struct authz_lens *l, size_t len)
{
	size_t lo = 0, hi = l->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->len[mid] < len)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int lens_add(struct authz_lens *l, size_t len)
{
	size_t i = lens_find(l, len);

	if (i < l->count && l->len[i] == len) {
		l->refs[i]++;
		return 0;
	}
	if (lens_reserve(l))
		return -ENOMEM;
	memmove(l->len + i + 1, l->len + i, (l->count - i) * sizeof(*l->len));
	memmove(l->refs + i + 1, l->refs + i,
		(l->count - i) * sizeof(*l->refs));
	l->len[i] = len;
	l->refs[i] = 1;
	l->count++;
	return 0;
}

static void lens_del(struct authz_lens *l, size_t len)
{
	size_t i = lens_find(l, len);

	if (i >= l->count || l->len[i] != len || --l->refs[i])
		return;
	l->count--;
	memmove(l->len + i, l->len + i + 1, (l->count - i) * sizeof(*l->len));
	memmove(l->refs + i, l->refs + i + 1,
		(l->count - i) * sizeof(*l->refs));
}

/* A new, linked pattern for b; NULL on ENOMEM (nothing linked). */
static struct authz_pat *pat_create(struct authz *z,
				    const struct acl_binding *b)
{
	struct authz_pat *p = calloc(1, sizeof(*p));

	if (!p || !(p->name = strdup(b->name)) ||
	    (b->ptype == ACL_PT_PREFIXED &&
	     lens_add(&z->lens[b->rtype], strlen(b->name)))) {
		if (p)
			free(p->name);
		free(p);
		return NULL;
	}
	p->rtype = b->rtype;
	p->ptype = b->ptype;
	p->len = strlen(b->name);
	hmap_insert(&z->pats, &p->hnode,
		    pat_hash(p->rtype, p->ptype, p->name, p->len));
	p->prev = z->last;
	if (z->last)
		z->last->next = p;
	else
		z->first = p;
	z->last = p;
	return p;
}

static void pat_destroy(struct authz *z, struct authz_pat *p)
{
	hmap_remove(&z->pats, &p->hnode);
	if (p->prev)
		p->prev->next = p->next;
	else
		z->first = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		z->last = p->prev;
	if (p->ptype == ACL_PT_PREFIXED)
		lens_del(&z->lens[p->rtype], p->len);
	free(p->name);
	free(p);
}

/* --- principal groups ----------------------------------------------------- */

static uint64_t pp_hash(const struct authz_pat *p, const char *principal)
{
	return hmap_hash_bytes(principal, strlen(principal)) ^
	       hmap_hash_u64((uint64_t)(uintptr_t)p);
}

struct authz_pp *authz_pp_find(const struct authz *z, const struct authz_pat *p,
			       const char *principal)
{
	uint64_t h = pp_hash(p, principal);

	for (struct hmap_node *n = hmap_first(&z->pps, h); n;
	     n = hmap_next(n, h)) {
		struct authz_pp *g = container_of(n, struct authz_pp, hnode);
		if (g->pat == p && strcmp(g->principal, principal) == 0)
			return g;
	}
	return NULL;
}

static struct authz_pp *pp_create(struct authz *z, struct authz_pat *p,
				  const char *principal)
{
	struct authz_pp *g = calloc(1, sizeof(*g));

	if (!g || !(g->principal = strdup(principal))) {
		free(g);
		return NULL;
	}
	g->pat = p;
	hmap_insert(&z->pps, &g->hnode, pp_hash(p, principal));
	if (strcmp(principal, ACL_WILDCARD_PRINCIPAL) == 0)
		p->any_user = g;
	return g;
}

static void pp_destroy(struct authz *z, struct authz_pp *g)
{
	hmap_remove(&z->pps, &g->hnode);
	if (g->pat->any_user == g)
		g->pat->any_user = NULL;
	free(g->principal);
	free(g);
}

/* --- bindings ------------------------------------------------------------- */

static struct authz_ace *pp_match(const struct authz_pp *g,
				  const struct acl_binding *b)
{
	for (struct authz_ace *a = g ? g->head : NULL; a; a = a->pp_next)
		if (a->op == b->op && a->perm == b->perm &&
		    strcmp(a->host, b->host) == 0)
			return a;
	return NULL;
}

static struct authz_ace *ace_new(const struct acl_binding *b, uint64_t id)
{
	struct authz_ace *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->id = id;
	a->op = b->op;
	a->perm = b->perm;
	a->host = strdup(b->host);
	if (!a->host || acl_host_parse(b->host, &a->hostm)) {
		free(a->host);
		free(a);
		return NULL;
	}
	return a;
}

static void ace_link(struct authz *z, struct authz_ace *a, struct authz_pat *p,
		     struct authz_pp *g)
{
	a->pat = p;
	a->pp = g;
	a->prev = p->tail;
	if (p->tail)
		p->tail->next = a;
	else
		p->head = a;
	p->tail = a;
	p->count++;
	a->pp_prev = g->tail;
	if (g->tail)
		g->tail->pp_next = a;
	else
		g->head = a;
	g->tail = a;
	z->count++;
}

int authz_index_add(struct authz *z, const struct acl_binding *b, uint64_t id,
		    struct authz_ace **out)
{
	struct authz_pat *p =
	    authz_pat_find(z, b->rtype, b->ptype, b->name, strlen(b->name));
	struct authz_pp *g = p ? authz_pp_find(z, p, b->principal) : NULL;
	struct authz_ace *a = pp_match(g, b);
	bool new_p = !p, new_g = !g;

	if (a) {
		*out = a;
		return 1;
	}
	a = ace_new(b, id);
	if (a && !p)
		p = pat_create(z, b);
	if (a && p && !g)
		g = pp_create(z, p, b->principal);
	if (!a || !p || !g) {
		if (g && new_g)
			pp_destroy(z, g);
		if (p && new_p)
			pat_destroy(z, p);
		if (a)
			free(a->host);
		free(a);
		return -ENOMEM;
	}
	ace_link(z, a, p, g);
	*out = a;
	return 0;
}

void authz_index_del(struct authz *z, struct authz_ace *a)
{
	struct authz_pat *p = a->pat;
	struct authz_pp *g = a->pp;

	if (a->prev)
		a->prev->next = a->next;
	else
		p->head = a->next;
	if (a->next)
		a->next->prev = a->prev;
	else
		p->tail = a->prev;
	if (a->pp_prev)
		a->pp_prev->pp_next = a->pp_next;
	else
		g->head = a->pp_next;
	if (a->pp_next)
		a->pp_next->pp_prev = a->pp_prev;
	else
		g->tail = a->pp_prev;
	p->count--;
	z->count--;
	free(a->host);
	free(a);
	if (!g->head)
		pp_destroy(z, g);
	if (!p->head)
		pat_destroy(z, p);
}

void authz_ace_binding(const struct authz_ace *a, struct acl_binding *out)
{
	out->rtype = a->pat->rtype;
	out->ptype = a->pat->ptype;
	out->name = a->pat->name;
	out->principal = a->pp->principal;
	out->host = a->host;
	out->op = a->op;
	out->perm = a->perm;
}
