/* authz_int.h - internal to auth/authz*.c: the binding index.
 *
 * Every resource pattern (type, pattern type, name) with bindings is one
 * struct authz_pat in z->pats (hash of the three) and on the
 * creation-ordered list z->first..z->last; its bindings (struct
 * authz_ace) are on the pattern's list in creation order and, grouped by
 * principal, on a struct authz_pp per (pattern, principal) in z->pps. A
 * decision for (T, N) by principal P looks up the LITERAL N pattern, the
 * LITERAL "*" pattern and PREFIXED N[0..L) for every prefix length L
 * among T's PREFIXED patterns (z->lens[T], sorted), and on each scans
 * only the bindings for P and for User:* -- a few hash lookups, whatever
 * the number of bindings or principals. Lists are doubly linked so a
 * binding leaves the index in O(1). Not a public header.
 */
#ifndef SEALOG_AUTH_AUTHZ_INT_H
#define SEALOG_AUTH_AUTHZ_INT_H

#include "auth/authz.h"
#include "base/hmap.h"

#define AUTHZ_RTYPES 8 /* enum acl_rtype codes 0..7 */

struct authz_pat;
struct authz_pp;

struct authz_ace {
	struct authz_ace *prev, *next;	     /* the pattern's bindings */
	struct authz_ace *pp_prev, *pp_next; /* the principal group's */
	struct authz_pat *pat;
	struct authz_pp *pp;
	uint64_t id;
	char *host;
	struct acl_host hostm;
	enum acl_op op;
	enum acl_perm perm;
	bool doomed; /* being deleted (authz_acls_delete) */
};

/* The bindings of one principal on one pattern. */
struct authz_pp {
	struct hmap_node hnode;
	struct authz_pat *pat;
	char *principal;
	struct authz_ace *head, *tail;
};

struct authz_pat {
	struct hmap_node hnode;
	struct authz_pat *prev, *next; /* creation order */
	enum acl_rtype rtype;
	enum acl_ptype ptype;
	char *name;
	size_t len;
	struct authz_ace *head, *tail;
	size_t count;
	struct authz_pp *any_user; /* the User:* group, or NULL */
};

/* Distinct PREFIXED name lengths of one resource type, ascending. */
struct authz_lens {
	size_t *len;
	size_t *refs;
	size_t count, cap;
};

struct authz {
	struct authz_config cfg; /* owned copy */
	struct meta *meta;	 /* NULL: memory only */
	struct hmap pats;
	struct hmap pps;
	struct authz_pat *first, *last;
	struct authz_lens lens[AUTHZ_RTYPES];
	size_t count;	  /* bindings */
	uint64_t version; /* >= 1 */
	uint64_t next_id;
};

struct authz_pat *authz_pat_find(const struct authz *z, enum acl_rtype rtype,
				 enum acl_ptype ptype, const char *name,
				 size_t len);
struct authz_pp *authz_pp_find(const struct authz *z, const struct authz_pat *p,
			       const char *principal);

/* Put binding b (checked) with id into the index: 0 and *out, 1 when an
 * identical binding is there already (*out = it), -ENOMEM with nothing
 * changed. */
int authz_index_add(struct authz *z, const struct acl_binding *b, uint64_t id,
		    struct authz_ace **out);
/* Take a out of the index and free it (and its group and pattern when
 * they become empty). Never fails, never allocates. */
void authz_index_del(struct authz *z, struct authz_ace *a);

/* The binding an ace stands for (strings owned by the index). */
void authz_ace_binding(const struct authz_ace *a, struct acl_binding *out);

#endif
