/* main.c - sealog-acls: kafka-acls.sh for sealog.
 *
 *   sealog-acls --bootstrap-server host:port [--command-config f]
 *               (--add | --remove | --list) [kafka-acls options]
 *   sealog-acls --data-dir DIR (--add | --remove | --list) ...
 *   sealog-acls ... --explain --principal P --operation O <resource>
 *               [--host IP] [--super-users ...] [--broker-config f]
 *
 * Output is Kafka 3.x AclCommand's, byte for byte (a space after "`:"
 * and before the line break, a space before the first tab), with the
 * resources and entries in the order the broker returned them (Kafka
 * prints hash-set order). --add and --remove list the ACLs of the
 * resources afterwards, as 3.x does. Exit 0 on success, 1 on a usage or
 * runtime error (--help included, as Kafka); --explain 0 allowed / 3
 * denied.
 */
#include "tools/sealog-acls/acls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define LINE 8192

/* --- printing ------------------------------------------------------------- */

static void print_pattern(enum acl_rtype rt, const char *name,
			  enum acl_ptype pt)
{
	char buf[LINE];

	acl_pattern_format(buf, sizeof(buf), rt, name, pt);
	fputs(buf, stdout);
}

/* " \t<e1>\n\t<e2> " -- Scala's s" ${acls.map("\t" + _).mkString(NL)} " */
static void print_entries(const struct acls_entry *e, size_t n)
{
	char buf[LINE];

	fputs(" ", stdout);
	for (size_t i = 0; i < n; i++) {
		acl_entry_format(buf, sizeof(buf), e[i].principal, e[i].host,
				 e[i].op, e[i].perm);
		printf("%s\t%s", i ? "\n" : "", buf);
	}
	fputs(" ", stdout);
}

/* "<title> `<pattern>`: \n \t...\n\t... \n" + println */
static void print_block(const char *title, const struct acls_res *r)
{
	printf("%s `", title);
	print_pattern(r->f.rtype, r->f.name, r->f.ptype);
	printf("`: \n");
	print_entries(r->e, r->ne);
	printf("\n\n");
}

/* --- grouping bindings by pattern (getAcls) ------------------------------- */

static int group_add(struct acls_set *g, struct arena *a,
		     const struct acl_binding *b)
{
	struct acls_res *r = NULL;

	for (size_t i = 0; i < g->nr && !r; i++)
		if (g->r[i].f.rtype == b->rtype &&
		    g->r[i].f.ptype == b->ptype &&
		    strcmp(g->r[i].f.name, b->name) == 0)
			r = &g->r[i];
	if (!r) {
		struct acls_res *grown =
		    arena_calloc(a, g->nr + 1, sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		if (g->nr)
			memcpy(grown, g->r, g->nr * sizeof(*grown));
		g->r = grown;
		r = &g->r[g->nr++];
		acl_filter_any(&r->f);
		r->f.rtype = b->rtype;
		r->f.ptype = b->ptype;
		r->f.name = b->name;
	}
	for (size_t i = 0; i < r->ne; i++)
		if (r->e[i].op == b->op && r->e[i].perm == b->perm &&
		    strcmp(r->e[i].principal, b->principal) == 0 &&
		    strcmp(r->e[i].host, b->host) == 0)
			return 0;
	struct acls_entry *e = arena_calloc(a, r->ne + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (r->ne)
		memcpy(e, r->e, r->ne * sizeof(*e));
	e[r->ne++] = (struct acls_entry){b->principal, b->host, b->op, b->perm};
	r->e = e;
	return 0;
}

/* listAcls(): describe each resource filter of the options (or
 * everything), group by pattern, print; with --principal one section per
 * principal holding only its entries. */
static int list_acls(const struct acls_opts *o, struct acls_backend *be,
		     struct arena *a, struct acls_fail *fail)
{
	struct acls_set filters, groups = {0};
	struct acls_list l = {0};
	struct acl_filter any;
	int rc = acls_filters(o, a, false, &filters, fail);

	acl_filter_any(&any);
	for (size_t i = 0; !rc && i < (filters.nr ? filters.nr : 1); i++)
		rc = be->describe(be->ctx, filters.nr ? &filters.r[i].f : &any,
				  a, &l, fail);
	for (size_t i = 0; !rc && i < o->count[OPT_PRINCIPAL]; i++)
		rc = acls_principal_check(o->val[OPT_PRINCIPAL][i], fail);
	for (size_t i = 0; !rc && i < l.n; i++)
		rc = group_add(&groups, a, &l.b[i]);
	acls_list_fini(&l);
	if (rc)
		return rc;
	if (!o->count[OPT_PRINCIPAL]) {
		for (size_t i = 0; i < groups.nr; i++)
			print_block("Current ACLs for resource", &groups.r[i]);
		return 0;
	}
	for (size_t p = 0; p < o->count[OPT_PRINCIPAL]; p++) {
		const char *pr = o->val[OPT_PRINCIPAL][p];
		printf("ACLs for principal `%s`\n", pr);
		for (size_t i = 0; i < groups.nr; i++) {
			struct acls_res r = groups.r[i];
			struct acls_entry *keep =
			    arena_calloc(a, r.ne + 1, sizeof(*keep));
			size_t n = 0;
			if (!keep)
				return -ENOMEM;
			for (size_t j = 0; j < r.ne; j++)
				if (strcmp(r.e[j].principal, pr) == 0)
					keep[n++] = r.e[j];
			r.e = keep;
			r.ne = n;
			if (n)
				print_block("Current ACLs for resource", &r);
		}
	}
	return 0;
}

/* --- add / remove --------------------------------------------------------- */

static int add_acls(const struct acls_opts *o, struct acls_backend *be,
		    struct arena *a, const struct acls_set *s,
		    struct acls_fail *fail)
{
	int rc = 0;

	for (size_t i = 0; i < s->nr && !rc; i++) {
		const struct acls_res *r = &s->r[i];
		struct acl_binding *b = arena_calloc(a, r->ne + 1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		print_block("Adding ACLs for resource", r);
		fflush(stdout);
		for (size_t j = 0; j < r->ne; j++)
			b[j] = (struct acl_binding){
			    r->f.rtype,	       r->f.ptype,   r->f.name,
			    r->e[j].principal, r->e[j].host, r->e[j].op,
			    r->e[j].perm};
		rc = be->create(be->ctx, b, r->ne, fail);
	}
	return rc ? rc : list_acls(o, be, a, fail);
}

/* confirmAction(): --force, or a line "y" (any case) on stdin. */
static bool confirm(const struct acls_opts *o, const struct acls_res *r)
{
	char line[64];

	if (o->has[OPT_FORCE])
		return true;
	if (r->ne == 0) {
		printf("Are you sure you want to delete all ACLs for resource "
		       "filter `");
		print_pattern(r->f.rtype, r->f.name, r->f.ptype);
		printf("`? (y/n)\n");
	} else {
		printf("Are you sure you want to remove ACLs: \n");
		print_entries(r->e, r->ne);
		printf("\n from resource filter `");
		print_pattern(r->f.rtype, r->f.name, r->f.ptype);
		printf("`? (y/n)\n");
	}
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0;
}

static int remove_acls(const struct acls_opts *o, struct acls_backend *be,
		       struct arena *a, const struct acls_set *s,
		       struct acls_fail *fail)
{
	int rc = 0;

	for (size_t i = 0; i < s->nr && !rc; i++) {
		const struct acls_res *r = &s->r[i];
		size_t n = r->ne ? r->ne : 1;
		struct acl_filter *f = arena_calloc(a, n, sizeof(*f));
		if (!f)
			return -ENOMEM;
		if (!confirm(o, r))
			continue;
		for (size_t j = 0; j < n; j++) {
			f[j] = r->f;
			if (!r->ne)
				continue;
			f[j].principal = r->e[j].principal;
			f[j].host = r->e[j].host;
			f[j].op = r->e[j].op;
			f[j].perm = r->e[j].perm;
		}
		rc = be->remove(be->ctx, f, n, fail);
	}
	return rc ? rc : list_acls(o, be, a, fail);
}

/* --- main ----------------------------------------------------------------- */

static int open_backend(const struct acls_opts *o, struct acls_backend *be,
			struct acls_fail *fail)
{
	if (o->has[OPT_DATA_DIR])
		return acls_offline_open(o, o->has[OPT_ADD], be, fail);
	return acls_online_open(o, be, fail);
}

static int run(const struct acls_opts *o, struct arena *a)
{
	struct acls_fail fail = {0};
	struct acls_backend be;
	struct acls_set s = {0};
	int rc = 0;

	if (o->has[OPT_ADD] || o->has[OPT_REMOVE])
		rc = acls_resource_acls(o, a, o->has[OPT_ADD], &s, &fail);
	if (rc == -EINVAL)
		return 1; /* usage printed */
	if (!rc)
		rc = open_backend(o, &be, &fail);
	if (!rc) {
		if (o->has[OPT_EXPLAIN]) {
			int ex = acls_explain(o, &be, a);
			be.close(be.ctx);
			return ex;
		}
		if (o->has[OPT_ADD])
			rc = add_acls(o, &be, a, &s, &fail);
		else if (o->has[OPT_REMOVE])
			rc = remove_acls(o, &be, a, &s, &fail);
		else
			rc = list_acls(o, &be, a, &fail);
		be.close(be.ctx);
	}
	if (rc == -EINVAL && !fail.msg[0])
		return 1; /* usage printed */
	if (rc) {
		printf("Error while executing ACL command: %s\n",
		       fail.msg[0] ? fail.msg : strerror(-rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct acls_opts o;
	struct arena a;
	int rc;

	if (acls_opts_parse(&o, argc, argv))
		return 1;
	if (o.argc == 0 || o.has[OPT_HELP]) {
		acls_usage("This tool helps to manage acls on kafka.");
		acls_opts_fini(&o);
		return 1;
	}
	if (o.has[OPT_VERSION]) {
		printf(
		    "0.1.0 (sealog-acls, Kafka 3.x AclCommand compatible)\n");
		acls_opts_fini(&o);
		return 0;
	}
	if (acls_opts_check(&o)) {
		acls_opts_fini(&o);
		return 1;
	}
	arena_init(&a, 0);
	rc = run(&o, &a);
	arena_fini(&a);
	acls_opts_fini(&o);
	return rc;
}
