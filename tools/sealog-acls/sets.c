/* sets.c - the ACLs an AclCommand invocation means (getResourceFilter,
 * getAcl, getProducer/ConsumerResourceFilterToAcls, validateOperation),
 * in Kafka 3.x's order of checks. Kafka keeps these in hash sets; we keep
 * the order the options were given in (and drop duplicates), so output
 * is reproducible.
 */
#include "tools/sealog-acls/acls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(struct arena *a, const char *s)
{
	size_t n = strlen(s);

	while (n && (unsigned char)*s <= ' ') {
		s++;
		n--;
	}
	while (n && (unsigned char)s[n - 1] <= ' ')
		n--;
	return arena_strndup(a, s, n);
}

int acls_principal_check(const char *s, struct acls_fail *fail)
{
	const char *colon = s ? strchr(s, ':') : NULL;

	if (s && s[0] && colon)
		return 0;
	fail->exception = "java.lang.IllegalArgumentException";
	snprintf(fail->msg, sizeof(fail->msg),
		 "expected a string in format principalType:principalName but "
		 "got %s",
		 s && s[0] ? s : "null");
	return -EBADMSG;
}

/* --- resource filters ----------------------------------------------------- */

static int set_add(struct acls_set *s, struct arena *a, enum acl_rtype rt,
		   const char *name, enum acl_ptype pt)
{
	struct acls_res *grown;

	for (size_t i = 0; i < s->nr; i++)
		if (s->r[i].f.rtype == rt && s->r[i].f.ptype == pt &&
		    strcmp(s->r[i].f.name, name) == 0)
			return 0;
	grown = arena_calloc(a, s->nr + 1, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	if (s->nr)
		memcpy(grown, s->r, s->nr * sizeof(*grown));
	s->r = grown;
	acl_filter_any(&s->r[s->nr].f);
	s->r[s->nr].f.rtype = rt;
	s->r[s->nr].f.ptype = pt;
	s->r[s->nr].f.name = name;
	s->nr++;
	return 0;
}

static int add_values(const struct acls_opts *o, enum acls_opt id,
		      enum acl_rtype rt, enum acl_ptype pt, bool trimmed,
		      struct arena *a, struct acls_set *s)
{
	int rc = 0;

	for (size_t i = 0; i < o->count[id] && rc == 0; i++) {
		const char *v =
		    trimmed ? trim(a, o->val[id][i]) : o->val[id][i];
		rc = v ? set_add(s, a, rt, v, pt) : -ENOMEM;
	}
	return rc;
}

/* The --resource-pattern-type value, converted lazily as joptsimple does
 * (a bad value fails where Kafka first reads it: inside the command). */
static int pattern_type(const struct acls_opts *o, enum acl_ptype *pt,
			struct acls_fail *fail)
{
	const char *v = acls_opt(o, OPT_RESOURCE_PATTERN_TYPE, "LITERAL");

	*pt = acl_ptype_parse(v);
	if (o->count[OPT_RESOURCE_PATTERN_TYPE] > 1) {
		fail->exception = "joptsimple.OptionException";
		snprintf(fail->msg, sizeof(fail->msg),
			 "Found multiple arguments for option "
			 "resource-pattern-type, but you asked for only one");
		return -EBADMSG;
	}
	if (*pt != ACL_PT_UNKNOWN)
		return 0;
	fail->exception = "joptsimple.OptionArgumentConversionException";
	snprintf(fail->msg, sizeof(fail->msg),
		 "Cannot parse argument '%s' of option resource-pattern-type",
		 v);
	return -EBADMSG;
}

int acls_filters(const struct acls_opts *o, struct arena *a, bool die_if_none,
		 struct acls_set *out, struct acls_fail *fail)
{
	enum acl_ptype pt;
	int rc = pattern_type(o, &pt, fail);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	rc = add_values(o, OPT_TOPIC, ACL_RT_TOPIC, pt, true, a, out);
	if (!rc && pt == ACL_PT_LITERAL &&
	    (o->has[OPT_CLUSTER] || o->has[OPT_IDEMPOTENT]))
		rc = set_add(out, a, ACL_RT_CLUSTER, ACL_CLUSTER_NAME,
			     ACL_PT_LITERAL);
	if (!rc)
		rc = add_values(o, OPT_GROUP, ACL_RT_GROUP, pt, true, a, out);
	if (!rc) /* the one resource flag Kafka does not trim */
		rc = add_values(o, OPT_TRANSACTIONAL_ID,
				ACL_RT_TRANSACTIONAL_ID, pt, false, a, out);
	if (!rc)
		rc = add_values(o, OPT_DELEGATION_TOKEN,
				ACL_RT_DELEGATION_TOKEN, pt, true, a, out);
	if (!rc)
		rc = add_values(o, OPT_USER_PRINCIPAL, ACL_RT_USER, pt, true, a,
				out);
	if (rc)
		return rc;
	if (out->nr == 0 && die_if_none) {
		acls_usage("You must provide at least one resource: --topic "
			   "<topic> or --cluster or --group <group> or "
			   "--delegation-token <Delegation Token ID>");
		return -EINVAL;
	}
	return 0;
}

/* --- entries -------------------------------------------------------------- */

struct entries {
	struct acls_entry *e;
	size_t n;
};

static int entry_add(struct entries *es, struct arena *a, const char *pr,
		     const char *host, enum acl_op op, enum acl_perm perm)
{
	struct acls_entry *grown;

	for (size_t i = 0; i < es->n; i++)
		if (es->e[i].op == op && es->e[i].perm == perm &&
		    strcmp(es->e[i].principal, pr) == 0 &&
		    strcmp(es->e[i].host, host) == 0)
			return 0;
	grown = arena_calloc(a, es->n + 1, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	if (es->n)
		memcpy(grown, es->e, es->n * sizeof(*grown));
	es->e = grown;
	es->e[es->n++] = (struct acls_entry){pr, host, op, perm};
	return 0;
}

/* getAcls(principals, permission, operations, hosts). Hosts default to
 * "*" when the principal option is given without its host option. */
static int entries_for(const struct acls_opts *o, struct arena *a,
		       enum acls_opt popt, enum acls_opt hopt,
		       enum acl_perm perm, const enum acl_op *ops, size_t nops,
		       struct entries *es, struct acls_fail *fail)
{
	static const char *const any_host[] = {ACL_WILDCARD};
	const char *const *hosts = o->has[hopt] ? o->val[hopt] : any_host;
	size_t nh = o->has[hopt] ? o->count[hopt] : 1;
	int rc = 0;

	for (size_t p = 0; p < o->count[popt] && rc == 0; p++) {
		const char *pr = trim(a, o->val[popt][p]);
		if (!pr)
			return -ENOMEM;
		rc = acls_principal_check(pr, fail);
		for (size_t i = 0; i < nops && rc == 0; i++)
			for (size_t h = 0; h < nh && rc == 0; h++) {
				const char *host = trim(a, hosts[h]);
				rc = host ? entry_add(es, a, pr, host, ops[i],
						      perm)
					  : -ENOMEM;
			}
	}
	return rc;
}

static int get_acl(const struct acls_opts *o, struct arena *a,
		   const enum acl_op *ops, size_t nops, struct entries *es,
		   struct acls_fail *fail)
{
	int rc;

	memset(es, 0, sizeof(*es));
	rc = entries_for(o, a, OPT_ALLOW_PRINCIPAL, OPT_ALLOW_HOST,
			 ACL_PERM_ALLOW, ops, nops, es, fail);
	if (!rc)
		rc = entries_for(o, a, OPT_DENY_PRINCIPAL, OPT_DENY_HOST,
				 ACL_PERM_DENY, ops, nops, es, fail);
	return rc;
}

/* The --operation values (default All), as SecurityUtils.operation(). */
static int cli_ops(const struct acls_opts *o, struct arena *a,
		   enum acl_op **ops, size_t *n)
{
	size_t count = o->count[OPT_OPERATION] ? o->count[OPT_OPERATION] : 1;

	*ops = arena_calloc(a, count, sizeof(**ops));
	if (!*ops)
		return -ENOMEM;
	*n = 0;
	if (!o->count[OPT_OPERATION]) {
		(*ops)[(*n)++] = ACL_OP_ALL;
		return 0;
	}
	for (size_t i = 0; i < count; i++) {
		char *t = trim(a, o->val[OPT_OPERATION][i]);
		enum acl_op op = t ? acl_op_parse(t) : ACL_OP_UNKNOWN;
		bool dup = false;
		for (size_t j = 0; j < *n; j++)
			dup |= (*ops)[j] == op;
		if (!dup)
			(*ops)[(*n)++] = op;
	}
	return 0;
}

static void set_entries(struct acls_res *r, const struct entries *es,
			bool merge, struct arena *a)
{
	struct entries all = {r->e, r->ne};

	if (!merge) {
		r->e = es->e;
		r->ne = es->n;
		return;
	}
	/* the consumer's entries first, then the producer's (v ++ existing) */
	struct entries m = {NULL, 0};
	for (size_t i = 0; i < es->n; i++)
		entry_add(&m, a, es->e[i].principal, es->e[i].host, es->e[i].op,
			  es->e[i].perm);
	for (size_t i = 0; i < all.n; i++)
		entry_add(&m, a, all.e[i].principal, all.e[i].host, all.e[i].op,
			  all.e[i].perm);
	r->e = m.e;
	r->ne = m.n;
}

/* --- resource -> ACLs ----------------------------------------------------- */

static int cli_acls(const struct acls_opts *o, struct arena *a,
		    struct acls_set *s, struct acls_fail *fail)
{
	struct entries es;
	enum acl_op *ops;
	size_t nops;
	int rc = cli_ops(o, a, &ops, &nops);

	if (!rc)
		rc = get_acl(o, a, ops, nops, &es, fail);
	if (!rc)
		rc = acls_filters(o, a, true, s, fail);
	for (size_t i = 0; !rc && i < s->nr; i++)
		set_entries(&s->r[i], &es, false, a);
	return rc;
}

static int role_add(struct acls_set *s, struct arena *a,
		    const struct acl_filter *f, const struct entries *es)
{
	int rc = set_add(s, a, f->rtype, f->name, f->ptype);

	for (size_t i = 0; !rc && i < s->nr; i++)
		if (s->r[i].f.rtype == f->rtype &&
		    s->r[i].f.ptype == f->ptype &&
		    strcmp(s->r[i].f.name, f->name) == 0)
			set_entries(&s->r[i], es, s->r[i].ne > 0, a);
	return rc;
}

static int producer_acls(const struct acls_opts *o, struct arena *a,
			 struct acls_set *s, struct acls_fail *fail)
{
	static const enum acl_op topic_ops[] = {ACL_OP_WRITE, ACL_OP_DESCRIBE,
						ACL_OP_CREATE};
	static const enum acl_op txn_ops[] = {ACL_OP_WRITE, ACL_OP_DESCRIBE};
	static const enum acl_op idem_ops[] = {ACL_OP_IDEMPOTENT_WRITE};
	struct acls_set f;
	struct entries te, xe, ie;
	int rc = acls_filters(o, a, true, &f, fail);

	if (!rc)
		rc = get_acl(o, a, topic_ops, 3, &te, fail);
	if (!rc)
		rc = get_acl(o, a, txn_ops, 2, &xe, fail);
	for (size_t i = 0; !rc && i < f.nr; i++) {
		if (f.r[i].f.rtype == ACL_RT_TOPIC)
			rc = role_add(s, a, &f.r[i].f, &te);
		else if (f.r[i].f.rtype == ACL_RT_TRANSACTIONAL_ID)
			rc = role_add(s, a, &f.r[i].f, &xe);
	}
	if (!rc && o->has[OPT_IDEMPOTENT]) {
		struct acl_filter cf;
		acl_filter_any(&cf);
		cf.rtype = ACL_RT_CLUSTER;
		cf.ptype = ACL_PT_LITERAL;
		cf.name = ACL_CLUSTER_NAME;
		rc = get_acl(o, a, idem_ops, 1, &ie, fail);
		if (!rc)
			rc = role_add(s, a, &cf, &ie);
	}
	return rc;
}

static int consumer_acls(const struct acls_opts *o, struct arena *a,
			 struct acls_set *s, struct acls_fail *fail)
{
	static const enum acl_op topic_ops[] = {ACL_OP_READ, ACL_OP_DESCRIBE};
	static const enum acl_op group_ops[] = {ACL_OP_READ};
	struct acls_set f;
	struct entries te, ge;
	int rc = acls_filters(o, a, true, &f, fail);

	if (!rc)
		rc = get_acl(o, a, topic_ops, 2, &te, fail);
	if (!rc)
		rc = get_acl(o, a, group_ops, 1, &ge, fail);
	for (size_t i = 0; !rc && i < f.nr; i++) {
		if (f.r[i].f.rtype == ACL_RT_TOPIC)
			rc = role_add(s, a, &f.r[i].f, &te);
		else if (f.r[i].f.rtype == ACL_RT_GROUP)
			rc = role_add(s, a, &f.r[i].f, &ge);
	}
	return rc;
}

/* validateOperation(): every entry's operation must be valid for its
 * resource type (or ALL). */
static int validate_ops(const struct acls_set *s)
{
	enum acl_op ops[ACL_OP_COUNT];
	char msg[400];

	for (size_t i = 0; i < s->nr; i++) {
		size_t n = acl_rtype_valid_ops(s->r[i].f.rtype, ops);
		for (size_t j = 0; j < s->r[i].ne; j++) {
			bool ok = s->r[i].e[j].op == ACL_OP_ALL;
			for (size_t k = 0; k < n && !ok; k++)
				ok = ops[k] == s->r[i].e[j].op;
			if (ok)
				continue;
			size_t m = (size_t)snprintf(
			    msg, sizeof(msg),
			    "ResourceType %s only supports operations ",
			    acl_rtype_name(s->r[i].f.rtype));
			for (size_t k = 0; k < n && m < sizeof(msg); k++)
				m += (size_t)snprintf(msg + m, sizeof(msg) - m,
						      "%s, ",
						      acl_op_pascal(ops[k]));
			if (m < sizeof(msg))
				snprintf(msg + m, sizeof(msg) - m, "All");
			acls_usage(msg);
			return -EINVAL;
		}
	}
	return 0;
}

int acls_resource_acls(const struct acls_opts *o, struct arena *a, bool for_add,
		       struct acls_set *out, struct acls_fail *fail)
{
	enum acl_ptype pt;
	char msg[200];
	int rc = pattern_type(o, &pt, fail);

	memset(out, 0, sizeof(*out));
	if (!rc && for_add && pt != ACL_PT_LITERAL && pt != ACL_PT_PREFIXED) {
		snprintf(msg, sizeof(msg),
			 "A '--resource-pattern-type' value of '%s' is not "
			 "valid when adding acls.",
			 acl_ptype_name(pt));
		acls_usage(msg);
		return -EINVAL;
	}
	if (!rc && !o->has[OPT_PRODUCER] && !o->has[OPT_CONSUMER])
		rc = cli_acls(o, a, out, fail);
	if (!rc && o->has[OPT_PRODUCER])
		rc = producer_acls(o, a, out, fail);
	if (!rc && o->has[OPT_CONSUMER])
		rc = consumer_acls(o, a, out, fail);
	if (!rc)
		rc = validate_ops(out);
	for (size_t i = 0; !rc && for_add && i < out->nr; i++)
		if (out->r[i].ne == 0) {
			acls_usage(
			    "You must specify one of: --allow-principal, "
			    "--deny-principal when trying to add ACLs.");
			return -EINVAL;
		}
	return rc;
}

/* --- binding lists -------------------------------------------------------- */

int acls_list_add(struct acls_list *l, struct arena *a,
		  const struct acl_binding *b)
{
	struct acl_binding *grown;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		grown = realloc(l->b, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		l->b = grown;
		l->cap = cap;
	}
	l->b[l->n] = *b;
	l->b[l->n].name = arena_strndup(a, b->name, strlen(b->name));
	l->b[l->n].principal =
	    arena_strndup(a, b->principal, strlen(b->principal));
	l->b[l->n].host = arena_strndup(a, b->host, strlen(b->host));
	if (!l->b[l->n].name || !l->b[l->n].principal || !l->b[l->n].host)
		return -ENOMEM;
	l->n++;
	return 0;
}

void acls_list_fini(struct acls_list *l)
{
	free(l->b);
	memset(l, 0, sizeof(*l));
}
