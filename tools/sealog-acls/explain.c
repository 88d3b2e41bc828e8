/* explain.c - sealog-acls --explain: would principal P be allowed
 * operation O on resource R from host H, and which rule decides?
 *
 * The bindings come from the backend (DescribeAcls on a running broker,
 * or the data directory) and are evaluated by the broker's own authorizer
 * code (auth/authz.c) in memory, with super.users and
 * allow.everyone.if.no.acl.found from --super-users /
 * --allow-everyone-if-no-acl-found, else --broker-config, else Kafka's
 * defaults (none, false). The first line is Kafka's authorizer log line
 * (StandardAuthorizerData.buildAuditMessage) so it reads like
 * kafka-authorizer.log; the second says the same in words.
 */
#include "tools/sealog-acls/acls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "broker/config.h"

#define EXIT_DENIED 3

static void fail_print(const struct acls_fail *f)
{
	printf("Error while executing ACL command: %s\n", f->msg);
}

/* super.users / allow.everyone.if.no.acl.found: flags, else the broker's
 * configuration file. */
static int explain_config(const struct acls_opts *o, struct authz_config *cfg,
			  struct acls_fail *fail)
{
	const char *file = acls_opt(o, OPT_BROKER_CONFIG, NULL);
	struct props *p = props_new();
	const char *su, *ae;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	if (file)
		rc = props_load_file(p, file, 1u << 20, fail->msg,
				     sizeof(fail->msg));
	su = acls_opt(o, OPT_SUPER_USERS, props_get(p, "super.users"));
	ae = acls_opt(o, OPT_ALLOW_EVERYONE,
		      props_get(p, "allow.everyone.if.no.acl.found"));
	if (!rc)
		rc = authz_config_init(
		    cfg, "kafka.security.authorizer.AclAuthorizer", su, ae,
		    fail->msg, sizeof(fail->msg));
	props_free(p);
	return rc;
}

static int explain_resource(const struct acls_opts *o, enum acl_rtype *rt,
			    const char **name)
{
	static const struct {
		enum acls_opt opt;
		enum acl_rtype rt;
	} map[] = {
	    {OPT_TOPIC, ACL_RT_TOPIC},
	    {OPT_GROUP, ACL_RT_GROUP},
	    {OPT_TRANSACTIONAL_ID, ACL_RT_TRANSACTIONAL_ID},
	    {OPT_DELEGATION_TOKEN, ACL_RT_DELEGATION_TOKEN},
	    {OPT_USER_PRINCIPAL, ACL_RT_USER},
	};

	*rt = ACL_RT_CLUSTER;
	*name = ACL_CLUSTER_NAME;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (o->count[map[i].opt]) {
			*rt = map[i].rt;
			*name = o->val[map[i].opt][0];
		}
	return 0;
}

/* Kafka's rule names: SuperUser, DefaultAllow, DefaultDeny,
 * MatchingAcl(acl=StandardAcl(...)). */
static void print_rule(const struct authz_decision *d)
{
	const struct acl_binding *b = &d->binding;

	switch (d->rule) {
	case AUTHZ_RULE_SUPER_USER:
		printf("SuperUser");
		break;
	case AUTHZ_RULE_DEFAULT_ALLOW:
		printf("DefaultAllow");
		break;
	case AUTHZ_RULE_ACL:
		printf("MatchingAcl(acl=StandardAcl(resourceType=%s, "
		       "resourceName=%s, patternType=%s, principal=%s, "
		       "host=%s, operation=%s, permissionType=%s))",
		       acl_rtype_name(b->rtype), b->name,
		       acl_ptype_name(b->ptype), b->principal, b->host,
		       acl_op_name(b->op), acl_perm_name(b->perm));
		break;
	default:
		printf("DefaultDeny");
	}
}

static int load(struct acls_backend *be, struct arena *a, struct authz *z,
		struct acls_fail *fail)
{
	struct acls_list l = {0};
	struct acl_filter any;
	struct authz_create_result *res;
	int rc;

	acl_filter_any(&any);
	rc = be->describe(be->ctx, &any, a, &l, fail);
	res = calloc(l.n + 1, sizeof(*res));
	if (!rc && !res)
		rc = -ENOMEM;
	if (!rc)
		rc = authz_acls_create(z, l.b, l.n, res);
	free(res);
	acls_list_fini(&l);
	return rc;
}

int acls_explain(const struct acls_opts *o, struct acls_backend *be,
		 struct arena *a)
{
	const char *principal = o->val[OPT_PRINCIPAL][0];
	const char *host = acls_opt(o, OPT_HOST, NULL);
	enum acl_op op = acl_op_parse(o->val[OPT_OPERATION][0]);
	struct acls_fail fail = {0};
	struct authz_config cfg = {0};
	struct authz_subject s;
	struct authz_decision d;
	struct authz *z = NULL;
	enum acl_rtype rt;
	const char *name;
	char why[1024];
	int rc;

	explain_resource(o, &rt, &name);
	if (op == ACL_OP_UNKNOWN || op == ACL_OP_ANY) {
		snprintf(fail.msg, sizeof(fail.msg), "Unknown operation %s",
			 o->val[OPT_OPERATION][0]);
		fail_print(&fail);
		return 1;
	}
	rc = acls_principal_check(principal, &fail);
	if (!rc)
		rc = explain_config(o, &cfg, &fail);
	if (!rc)
		rc = authz_create(&cfg, NULL, &z);
	if (!rc)
		rc = load(be, a, z, &fail);
	authz_config_fini(&cfg);
	if (rc) {
		if (!fail.msg[0])
			snprintf(fail.msg, sizeof(fail.msg), "%s",
				 strerror(-rc));
		fail_print(&fail);
		authz_destroy(z);
		return 1;
	}
	authz_subject_init(&s, principal, host ? host : "");
	authz_authorize(z, NULL, &s, op, rt, name, &d);
	printf("Principal = %s is %s operation = %s from host = %s on resource "
	       "= %s:LITERAL:%s based on rule ",
	       principal, d.allowed ? "Allowed" : "Denied", acl_op_name(op),
	       host ? host : "*", acl_rtype_pascal(rt), name);
	print_rule(&d);
	authz_decision_format(why, sizeof(why), &d);
	printf("\n%s: %s\n", d.allowed ? "ALLOWED" : "DENIED", why);
	if (!host)
		fprintf(stderr, "Note: without --host only ACLs for host '*' "
				"were considered.\n");
	authz_destroy(z);
	return d.allowed ? 0 : EXIT_DENIED;
}
