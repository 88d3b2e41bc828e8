/* authz.c - the authorizer's lifecycle, decisions and their cache (see
 * authz.h; the index is authz_index.c, the changes authz_acls.c, the
 * configuration authz_config.c).
 */
#include "auth/authz_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/acl_store.h"

#define CACHE_SLOTS 32
#define CACHE_NAME_MAX 255 /* longer names are decided uncached */
#define ANY_NAME                                                               \
	"hardcode" /* Kafka's probe name in authorizeByResourceType            \
		    */

/* --- lifecycle ------------------------------------------------------------ */

/* Loading: every stored binding goes straight into the index. */
static int load_one(void *ctx, uint64_t id, const struct acl_binding *b)
{
	struct authz *z = ctx;
	struct authz_ace *a;
	int rc = authz_index_add(z, b, id, &a);

	if (rc < 0)
		return rc;
	if (id >= z->next_id)
		z->next_id = id + 1;
	return 0;
}

int authz_create(const struct authz_config *cfg, struct meta *m,
		 struct authz **out)
{
	struct authz *z = calloc(1, sizeof(*z));
	int rc;

	if (!z)
		return -ENOMEM;
	z->version = 1;
	z->next_id = 1;
	z->meta = m;
	rc = hmap_init(&z->pats);
	if (!rc)
		rc = hmap_init(&z->pps);
	if (!rc)
		rc = authz_config_copy(&z->cfg, cfg);
	if (!rc && m)
		rc = acl_store_load(m, load_one, z);
	if (rc) {
		authz_destroy(z);
		return rc;
	}
	*out = z;
	return 0;
}

void authz_destroy(struct authz *z)
{
	if (!z)
		return;
	while (z->first)
		authz_index_del(z, z->first->head);
	for (int i = 0; i < AUTHZ_RTYPES; i++) {
		free(z->lens[i].len);
		free(z->lens[i].refs);
	}
	hmap_fini(&z->pats);
	hmap_fini(&z->pps);
	authz_config_fini(&z->cfg);
	free(z);
}

uint64_t authz_version(const struct authz *z)
{
	return z->version;
}

size_t authz_count(const struct authz *z)
{
	return z->count;
}

/* --- decisions ------------------------------------------------------------ */

void authz_subject_init(struct authz_subject *s, const char *principal,
			const char *host)
{
	s->principal = principal;
	s->host = host;
	acl_addr_parse(host, &s->addr);
}

static bool is_super(const struct authz *z, const char *principal)
{
	for (size_t i = 0; i < z->cfg.super_count; i++)
		if (strcmp(z->cfg.super_users[i], principal) == 0)
			return true;
	return false;
}

/* Host and operation; the principal is the group's. */
static bool ace_applies(const struct authz_ace *a,
			const struct authz_subject *s, enum acl_op op)
{
	return acl_host_matches(&a->hostm, a->host, &s->addr, s->host) &&
	       acl_op_covers(a->perm, a->op, op);
}

/* p's bindings that name s's principal, then those for User:*. */
static void groups_of(const struct authz *z, const struct authz_pat *p,
		      const struct authz_subject *s,
		      const struct authz_pp *g[2])
{
	g[0] = authz_pp_find(z, p, s->principal);
	g[1] = p->any_user != g[0] ? p->any_user : NULL;
}

struct scan {
	bool has_acls; /* any binding on a matching pattern */
	const struct authz_ace *allow, *deny;
};

static void scan_group(struct scan *sc, const struct authz_pp *g,
		       const struct authz_subject *s, enum acl_op op)
{
	for (const struct authz_ace *a = g ? g->head : NULL; a && !sc->deny;
	     a = a->pp_next) {
		if (!ace_applies(a, s, op))
			continue;
		if (a->perm == ACL_PERM_DENY)
			sc->deny = a;
		else if (!sc->allow)
			sc->allow = a;
	}
}

/* checkSection(): one matching pattern (a pattern in the index always
 * has bindings, which is all the allow-everyone fallback asks). */
static void scan_pat(const struct authz *z, struct scan *sc,
		     const struct authz_pat *p, const struct authz_subject *s,
		     enum acl_op op)
{
	const struct authz_pp *g[2];

	if (!p)
		return;
	sc->has_acls = true;
	groups_of(z, p, s, g);
	scan_group(sc, g[0], s, op);
	scan_group(sc, g[1], s, op);
}

static void scan_resource(const struct authz *z, struct scan *sc,
			  const struct authz_subject *s, enum acl_op op,
			  enum acl_rtype rtype, const char *name, size_t len)
{
	const struct authz_lens *l = &z->lens[rtype];

	scan_pat(z, sc, authz_pat_find(z, rtype, ACL_PT_LITERAL, name, len), s,
		 op);
	if (!sc->deny && !(len == 1 && name[0] == '*'))
		scan_pat(z, sc,
			 authz_pat_find(z, rtype, ACL_PT_LITERAL, "*", 1), s,
			 op);
	for (size_t i = 0; i < l->count && l->len[i] <= len && !sc->deny; i++)
		scan_pat(
		    z, sc,
		    authz_pat_find(z, rtype, ACL_PT_PREFIXED, name, l->len[i]),
		    s, op);
}

static void decide(const struct authz *z, const struct authz_subject *s,
		   enum acl_op op, enum acl_rtype rtype, const char *name,
		   struct authz_decision *d)
{
	struct scan sc = {0};
	const struct authz_ace *by;

	memset(d, 0, sizeof(*d));
	if (is_super(z, s->principal)) {
		d->allowed = true;
		d->rule = AUTHZ_RULE_SUPER_USER;
		return;
	}
	if (rtype > ACL_RT_ANY && rtype < AUTHZ_RTYPES && name)
		scan_resource(z, &sc, s, op, rtype, name, strlen(name));
	by = sc.deny ? sc.deny : sc.allow;
	if (by) {
		d->allowed = by == sc.allow;
		d->rule = AUTHZ_RULE_ACL;
		d->id = by->id;
		authz_ace_binding(by, &d->binding);
	} else if (!sc.has_acls) {
		d->allowed = z->cfg.allow_if_no_acl;
		d->rule = d->allowed ? AUTHZ_RULE_DEFAULT_ALLOW
				     : AUTHZ_RULE_DEFAULT_DENY;
	} else {
		d->rule = AUTHZ_RULE_NO_MATCH;
	}
}

/* --- the cache ------------------------------------------------------------ */

struct cache_slot {
	uint64_t hash;
	char *name; /* NULL: empty slot */
	enum acl_op op;
	enum acl_rtype rtype;
	bool any; /* authz_authorize_any() */
	bool allowed;
};

struct authz_cache {
	uint64_t version;
	struct cache_slot slot[CACHE_SLOTS];
};

struct authz_cache *authz_cache_create(void)
{
	return calloc(1, sizeof(struct authz_cache));
}

void authz_cache_reset(struct authz_cache *c)
{
	for (int i = 0; i < CACHE_SLOTS; i++) {
		free(c->slot[i].name);
		c->slot[i].name = NULL;
	}
}

void authz_cache_destroy(struct authz_cache *c)
{
	if (!c)
		return;
	authz_cache_reset(c);
	free(c);
}

static uint64_t cache_hash(enum acl_op op, enum acl_rtype rtype, bool any,
			   const char *name, size_t len)
{
	return hmap_hash_bytes(name, len) ^
	       hmap_hash_u64((uint64_t)op << 16 | (uint64_t)rtype << 8 |
			     (uint64_t)any);
}

/* The slot for the key, and whether it holds the key. */
static struct cache_slot *cache_slot(struct authz_cache *c,
				     const struct authz *z, uint64_t h,
				     enum acl_op op, enum acl_rtype rtype,
				     bool any, const char *name, bool *hit)
{
	struct cache_slot *sl = &c->slot[h % CACHE_SLOTS];

	if (c->version != z->version) {
		authz_cache_reset(c);
		c->version = z->version;
	}
	*hit = sl->name && sl->hash == h && sl->op == op &&
	       sl->rtype == rtype && sl->any == any &&
	       strcmp(sl->name, name) == 0;
	return sl;
}

static void cache_fill(struct cache_slot *sl, uint64_t h, enum acl_op op,
		       enum acl_rtype rtype, bool any, const char *name,
		       bool allowed)
{
	char *copy = strdup(name);

	if (!copy)
		return; /* not cached: decided again next time */
	free(sl->name);
	sl->name = copy;
	sl->hash = h;
	sl->op = op;
	sl->rtype = rtype;
	sl->any = any;
	sl->allowed = allowed;
}

bool authz_authorize(struct authz *z, struct authz_cache *c,
		     const struct authz_subject *s, enum acl_op op,
		     enum acl_rtype rtype, const char *name,
		     struct authz_decision *d)
{
	struct authz_decision local;
	struct cache_slot *sl = NULL;
	size_t len = name ? strlen(name) : 0;
	uint64_t h = 0;
	bool hit;

	if (!d && c && name && len <= CACHE_NAME_MAX) {
		h = cache_hash(op, rtype, false, name, len);
		sl = cache_slot(c, z, h, op, rtype, false, name, &hit);
		if (hit)
			return sl->allowed;
	}
	decide(z, s, op, rtype, name, d ? d : &local);
	if (sl)
		cache_fill(sl, h, op, rtype, false, name, local.allowed);
	return d ? d->allowed : local.allowed;
}

/* --- by resource type (KIP-679) ------------------------------------------- */

/* Kafka's default authorizeByResourceType matches the operation itself
 * or ALL, without implications, and DENY and ALLOW alike. */
static bool any_applies(const struct authz_ace *a,
			const struct authz_subject *s, enum acl_op op)
{
	return (a->op == op || a->op == ACL_OP_ALL) &&
	       acl_host_matches(&a->hostm, a->host, &s->addr, s->host);
}

/* A binding of s on p with permission perm that applies. */
static bool has_for(const struct authz *z, const struct authz_pat *p,
		    const struct authz_subject *s, enum acl_op op,
		    enum acl_perm perm)
{
	const struct authz_pp *g[2];

	if (!p)
		return false;
	groups_of(z, p, s, g);
	for (int i = 0; i < 2; i++)
		for (const struct authz_ace *a = g[i] ? g[i]->head : NULL; a;
		     a = a->pp_next)
			if (a->perm == perm && any_applies(a, s, op))
				return true;
	return false;
}

/* A DENY for s on a pattern that dominates p (Kafka's rule: a LITERAL
 * deny of the same name, or a PREFIXED deny on a prefix of p's name). */
static bool denied_over(const struct authz *z, const struct authz_pat *p,
			const struct authz_subject *s, enum acl_op op)
{
	const struct authz_lens *l = &z->lens[p->rtype];

	for (size_t i = 0; i < l->count && l->len[i] <= p->len; i++)
		if (has_for(z,
			    authz_pat_find(z, p->rtype, ACL_PT_PREFIXED,
					   p->name, l->len[i]),
			    s, op, ACL_PERM_DENY))
			return true;
	return p->ptype == ACL_PT_LITERAL &&
	       has_for(z, p, s, op, ACL_PERM_DENY);
}

static bool decide_any(const struct authz *z, const struct authz_subject *s,
		       enum acl_op op, enum acl_rtype rtype)
{
	const struct authz_pat *w =
	    authz_pat_find(z, rtype, ACL_PT_LITERAL, ACL_WILDCARD, 1);

	/* A wildcard DENY for s denies whatever else there is. */
	if (has_for(z, w, s, op, ACL_PERM_DENY))
		return false;
	if (has_for(z, w, s, op, ACL_PERM_ALLOW))
		return true;
	for (const struct authz_pat *p = z->first; p; p = p->next)
		if (p->rtype == rtype && p != w &&
		    has_for(z, p, s, op, ACL_PERM_ALLOW) &&
		    !denied_over(z, p, s, op))
			return true;
	return false;
}

bool authz_authorize_any(struct authz *z, struct authz_cache *c,
			 const struct authz_subject *s, enum acl_op op,
			 enum acl_rtype rtype)
{
	struct cache_slot *sl = NULL;
	uint64_t h = 0;
	bool hit, allowed;

	if (c) {
		h = cache_hash(op, rtype, true, "", 0);
		sl = cache_slot(c, z, h, op, rtype, true, "", &hit);
		if (hit)
			return sl->allowed;
	}
	allowed = authz_authorize(z, NULL, s, op, rtype, ANY_NAME, NULL) ||
		  decide_any(z, s, op, rtype);
	if (sl)
		cache_fill(sl, h, op, rtype, true, "", allowed);
	return allowed;
}

int authz_decision_format(char *out, size_t cap, const struct authz_decision *d)
{
	switch (d->rule) {
	case AUTHZ_RULE_SUPER_USER:
		return snprintf(out, cap, "super user (super.users)");
	case AUTHZ_RULE_ACL:
		return acl_binding_format(out, cap, &d->binding);
	case AUTHZ_RULE_DEFAULT_ALLOW:
		return snprintf(out, cap,
				"no ACL on the resource and "
				"allow.everyone.if.no.acl.found=true");
	case AUTHZ_RULE_DEFAULT_DENY:
		return snprintf(out, cap,
				"no ACL on the resource "
				"(allow.everyone.if.no.acl.found=false)");
	case AUTHZ_RULE_NO_MATCH:
		break;
	}
	return snprintf(out, cap,
			"ACLs exist on the resource but none allows this "
			"principal, host and operation");
}
