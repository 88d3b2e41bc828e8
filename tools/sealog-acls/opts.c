/* opts.c - sealog-acls' options: joptsimple's parsing rules (--name value
 * or --name=value, no abbreviations, a required argument takes the next
 * word whatever it is, an optional one only a word not starting with
 * "-"), Kafka's option texts, and AclCommandOptions.checkArgs().
 */
#include "tools/sealog-acls/acls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum arg_kind { ARG_NONE, ARG_REQ, ARG_OPT };

struct opt_def {
	const char *name;
	enum arg_kind arg;
	const char *argname; /* <String: ...> in the usage */
	const char *doc;
};

/* clang-format off */
static const struct opt_def defs[OPT_COUNT] = {
	[OPT_BOOTSTRAP_SERVER] = { "bootstrap-server", ARG_REQ, "server to connect to",
		"A list of host/port pairs to use for establishing the connection to the Kafka cluster. This list should be in the form host1:port1,host2:port2,... This config is required for acl management using admin client API." },
	[OPT_BOOTSTRAP_CONTROLLER] = { "bootstrap-controller", ARG_REQ, "controller to connect to",
		"Like --bootstrap-server (sealog is broker and controller in one process)." },
	[OPT_COMMAND_CONFIG] = { "command-config", ARG_OPT, "command-config",
		"A property file containing configs to be passed to Admin Client." },
	[OPT_AUTHORIZER] = { "authorizer", ARG_REQ, "authorizer",
		"DEPRECATED in Kafka; not supported: use --bootstrap-server, or --data-dir on a stopped broker." },
	[OPT_AUTHORIZER_PROPERTIES] = { "authorizer-properties", ARG_REQ, "authorizer-properties",
		"DEPRECATED in Kafka (ZooKeeper); not supported: use --bootstrap-server, or --data-dir on a stopped broker." },
	[OPT_ZK_TLS_CONFIG_FILE] = { "zk-tls-config-file", ARG_REQ, "Authorizer ZooKeeper TLS configuration",
		"DEPRECATED in Kafka (ZooKeeper); not supported." },
	[OPT_TOPIC] = { "topic", ARG_REQ, "topic",
		"topic to which ACLs should be added or removed. A value of '*' indicates ACL should apply to all topics." },
	[OPT_CLUSTER] = { "cluster", ARG_NONE, NULL, "Add/Remove cluster ACLs." },
	[OPT_GROUP] = { "group", ARG_REQ, "group",
		"Consumer Group to which the ACLs should be added or removed. A value of '*' indicates the ACLs should apply to all groups." },
	[OPT_TRANSACTIONAL_ID] = { "transactional-id", ARG_REQ, "transactional-id",
		"The transactionalId to which ACLs should be added or removed. A value of '*' indicates the ACLs should apply to all transactionalIds." },
	[OPT_IDEMPOTENT] = { "idempotent", ARG_NONE, NULL,
		"Enable idempotence for the producer. This should be used in combination with the --producer option. Note that idempotence is enabled automatically if the producer is authorized to a particular transactional-id." },
	[OPT_DELEGATION_TOKEN] = { "delegation-token", ARG_REQ, "delegation-token",
		"Delegation token to which ACLs should be added or removed. A value of '*' indicates ACL should apply to all tokens." },
	[OPT_USER_PRINCIPAL] = { "user-principal", ARG_REQ, "user-principal",
		"Specifies a user principal as a resource in relation with the operation. For instance one could grant CreateTokens or DescribeTokens permission on a given user principal." },
	[OPT_RESOURCE_PATTERN_TYPE] = { "resource-pattern-type", ARG_REQ, "ANY|MATCH|LITERAL|PREFIXED",
		"The type of the resource pattern or pattern filter. When adding acls, this should be a specific pattern type, e.g. 'literal' or 'prefixed'. When listing or removing acls, a specific pattern type can be used to list or remove acls from specific resource patterns, or use the filter values of 'any' or 'match', where 'any' will match any pattern type, but will match the resource name exactly, where as 'match' will perform pattern matching to list or remove all acls that affect the supplied resource(s). WARNING: 'match', when used in combination with the '--remove' switch, should be used with care. (default: LITERAL)" },
	[OPT_ADD] = { "add", ARG_NONE, NULL, "Indicates you are trying to add ACLs." },
	[OPT_REMOVE] = { "remove", ARG_NONE, NULL, "Indicates you are trying to remove ACLs." },
	[OPT_LIST] = { "list", ARG_NONE, NULL,
		"List ACLs for the specified resource, use --topic <topic> or --group <group> or --cluster to specify a resource." },
	[OPT_OPERATION] = { "operation", ARG_REQ, NULL,
		"Operation that is being allowed or denied. Valid operation names are: Describe, DescribeConfigs, Alter, IdempotentWrite, Read, Delete, Create, ClusterAction, All, CreateTokens, DescribeTokens, Write, AlterConfigs (default: All)" },
	[OPT_ALLOW_PRINCIPAL] = { "allow-principal", ARG_REQ, "allow-principal",
		"principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. For example, User:'*' is the wild card indicating all users." },
	[OPT_DENY_PRINCIPAL] = { "deny-principal", ARG_REQ, "deny-principal",
		"principal is in principalType:name format. By default anyone not added through --allow-principal is denied access. You only need to use this option as negation to already allowed set. Note that principalType must be supported by the Authorizer being used. For example if you wanted to allow access to all users in the system but not test-user you can define an ACL that allows access to User:'*' and specify --deny-principal=User:test@EXAMPLE.COM. AND PLEASE REMEMBER DENY RULES TAKES PRECEDENCE OVER ALLOW RULES." },
	[OPT_PRINCIPAL] = { "principal", ARG_OPT, "principal",
		"List ACLs for the specified principal. principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. Multiple --principal option can be passed. With --explain: the principal to explain." },
	[OPT_ALLOW_HOST] = { "allow-host", ARG_REQ, "allow-host",
		"Host from which principals listed in --allow-principal will have access. If you have specified --allow-principal then the default for this option will be set to '*' which allows access from all hosts. sealog also accepts CIDR ranges (10.0.0.0/8)." },
	[OPT_DENY_HOST] = { "deny-host", ARG_REQ, "deny-host",
		"Host from which principals listed in --deny-principal will be denied access. If you have specified --deny-principal then the default for this option will be set to '*' which denies access from all hosts. sealog also accepts CIDR ranges (10.0.0.0/8)." },
	[OPT_PRODUCER] = { "producer", ARG_NONE, NULL,
		"Convenience option to add/remove ACLs for producer role. This will generate ACLs that allows WRITE,DESCRIBE and CREATE on topic." },
	[OPT_CONSUMER] = { "consumer", ARG_NONE, NULL,
		"Convenience option to add/remove ACLs for consumer role. This will generate ACLs that allows READ,DESCRIBE on topic and READ on group." },
	[OPT_FORCE] = { "force", ARG_NONE, NULL, "Assume Yes to all queries and do not prompt." },
	[OPT_HELP] = { "help", ARG_NONE, NULL, "Print usage information." },
	[OPT_VERSION] = { "version", ARG_NONE, NULL, "Display Kafka version." },
	[OPT_DATA_DIR] = { "data-dir", ARG_REQ, "log.dirs of a stopped broker",
		"sealog: work on the ACLs in a broker's data directory instead of a running broker (for example to grant the first admin before the first start). The broker must not be running." },
	[OPT_EXPLAIN] = { "explain", ARG_NONE, NULL,
		"sealog: would --principal be allowed --operation on the resource (--topic, --group, --cluster, --transactional-id, --delegation-token or --user-principal) from --host, and which ACL decides? Exit 0 allowed, 3 denied." },
	[OPT_HOST] = { "host", ARG_REQ, "client address",
		"sealog, with --explain: the client's IP address (default: only ACLs for host '*' are considered)." },
	[OPT_SUPER_USERS] = { "super-users", ARG_REQ, "super.users",
		"sealog, with --explain: the broker's super.users (';'-separated); overrides --broker-config." },
	[OPT_ALLOW_EVERYONE] = { "allow-everyone-if-no-acl-found", ARG_REQ, "true|false",
		"sealog, with --explain: the broker's allow.everyone.if.no.acl.found; overrides --broker-config." },
	[OPT_BROKER_CONFIG] = { "broker-config", ARG_REQ, "server.properties",
		"sealog: read super.users, allow.everyone.if.no.acl.found (--explain) and audit.log.* (--data-dir) from the broker's configuration file." },
};
/* clang-format on */

static int add_value(struct acls_opts *o, enum acls_opt id, const char *v)
{
	const char **grown =
	    realloc(o->val[id], (o->count[id] + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	o->val[id] = grown;
	o->val[id][o->count[id]++] = v;
	return 0;
}

static int find_opt(const char *name, size_t len)
{
	for (int i = 0; i < OPT_COUNT; i++)
		if (strlen(defs[i].name) == len &&
		    strncmp(defs[i].name, name, len) == 0)
			return i;
	return -1;
}

static int parse_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int parse_fail(const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	acls_usage(msg);
	return -EINVAL;
}

/* One option word at argv[*i]; advances *i past its argument. */
static int parse_one(struct acls_opts *o, int argc, char **argv, int *i)
{
	const char *w = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
	const char *eq = strchr(w, '=');
	size_t len = eq ? (size_t)(eq - w) : strlen(w);
	int id = find_opt(w, len);

	if (id < 0)
		return parse_fail("%.*s is not a recognized option", (int)len,
				  w);
	o->has[id] = true;
	if (defs[id].arg == ARG_NONE) {
		if (eq)
			return parse_fail(
			    "Option %.*s does not take an argument", (int)len,
			    w);
		return 0;
	}
	if (eq)
		return add_value(o, (enum acls_opt)id, eq + 1);
	if (defs[id].arg == ARG_OPT) {
		if (*i + 1 < argc && argv[*i + 1][0] != '-')
			return add_value(o, (enum acls_opt)id, argv[++*i]);
		return 0;
	}
	if (*i + 1 >= argc)
		return parse_fail("Option %.*s requires an argument", (int)len,
				  w);
	return add_value(o, (enum acls_opt)id, argv[++*i]);
}

int acls_opts_parse(struct acls_opts *o, int argc, char **argv)
{
	bool rest = false;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	o->argc = argc - 1;
	for (int i = 1; i < argc && rc == 0; i++) {
		if (rest || argv[i][0] != '-' || argv[i][1] == '\0')
			continue; /* non-option arguments: ignored, as Kafka */
		if (strcmp(argv[i], "--") == 0) {
			rest = true;
			continue;
		}
		rc = parse_one(o, argc, argv, &i);
	}
	if (rc == -ENOMEM)
		fprintf(stderr, "out of memory\n");
	if (rc)
		acls_opts_fini(o); /* nothing for the caller to free */
	return rc;
}

void acls_opts_fini(struct acls_opts *o)
{
	for (int i = 0; i < OPT_COUNT; i++)
		free(o->val[i]);
	memset(o, 0, sizeof(*o));
}

const char *acls_opt(const struct acls_opts *o, enum acls_opt id,
		     const char *def)
{
	return o->count[id] ? o->val[id][o->count[id] - 1] : def;
}

/* --- usage ---------------------------------------------------------------- */

static void usage_row(const struct opt_def *d)
{
	char left[96];
	const char *p = d->doc;
	int col = 0;

	if (d->arg == ARG_NONE)
		snprintf(left, sizeof(left), "--%s", d->name);
	else
		snprintf(left, sizeof(left),
			 d->arg == ARG_REQ ? "--%s <String%s%s>"
					   : "--%s [String%s%s]",
			 d->name, d->argname ? ": " : "",
			 d->argname ? d->argname : "");
	fprintf(stderr, "%-40s ", left);
	if (strlen(left) > 40)
		fprintf(stderr, "\n%41s", "");
	/* the description, wrapped at 39 columns */
	while (*p) {
		const char *sp = strchr(p, ' ');
		int w = sp ? (int)(sp - p) : (int)strlen(p);
		if (col && col + 1 + w > 39) {
			fprintf(stderr, "\n%41s", "");
			col = 0;
		}
		fprintf(stderr, "%s%.*s", col ? " " : "", w, p);
		col += (col ? 1 : 0) + w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', stderr);
}

void acls_usage(const char *message)
{
	static const int order[] = {
	    OPT_ADD,
	    OPT_ALLOW_EVERYONE,
	    OPT_ALLOW_HOST,
	    OPT_ALLOW_PRINCIPAL,
	    OPT_AUTHORIZER,
	    OPT_AUTHORIZER_PROPERTIES,
	    OPT_BOOTSTRAP_CONTROLLER,
	    OPT_BOOTSTRAP_SERVER,
	    OPT_BROKER_CONFIG,
	    OPT_CLUSTER,
	    OPT_COMMAND_CONFIG,
	    OPT_CONSUMER,
	    OPT_DATA_DIR,
	    OPT_DELEGATION_TOKEN,
	    OPT_DENY_HOST,
	    OPT_DENY_PRINCIPAL,
	    OPT_EXPLAIN,
	    OPT_FORCE,
	    OPT_GROUP,
	    OPT_HELP,
	    OPT_HOST,
	    OPT_IDEMPOTENT,
	    OPT_LIST,
	    OPT_OPERATION,
	    OPT_PRINCIPAL,
	    OPT_PRODUCER,
	    OPT_REMOVE,
	    OPT_RESOURCE_PATTERN_TYPE,
	    OPT_SUPER_USERS,
	    OPT_TOPIC,
	    OPT_TRANSACTIONAL_ID,
	    OPT_USER_PRINCIPAL,
	    OPT_VERSION,
	    OPT_ZK_TLS_CONFIG_FILE,
	};

	if (message)
		fprintf(stderr, "%s\n", message);
	fprintf(stderr, "%-40s %s\n%-40s %s\n", "Option", "Description",
		"------", "-----------");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		usage_row(&defs[order[i]]);
}

/* --- checkArgs ------------------------------------------------------------ */

static int usage_fail(const char *msg)
{
	acls_usage(msg);
	return -EINVAL;
}

/* CommandLineUtils.checkInvalidArgs(): used must not come with any of
 * bad (-1 terminated). */
static int check_invalid(const struct acls_opts *o, enum acls_opt used,
			 const int *bad)
{
	char msg[200];

	if (!o->has[used])
		return 0;
	for (; *bad >= 0; bad++)
		if (o->has[*bad]) {
			snprintf(msg, sizeof(msg),
				 "Option \"[%s]\" can't be used with option "
				 "\"[%s]\"",
				 defs[used].name, defs[*bad].name);
			return usage_fail(msg);
		}
	return 0;
}

static int check_connect(const struct acls_opts *o)
{
	bool bs =
	    o->has[OPT_BOOTSTRAP_SERVER] || o->has[OPT_BOOTSTRAP_CONTROLLER];

	if (o->has[OPT_BOOTSTRAP_SERVER] && o->has[OPT_BOOTSTRAP_CONTROLLER])
		return usage_fail("Only one of --bootstrap-server or "
				  "--bootstrap-controller must be specified");
	if (bs && o->has[OPT_AUTHORIZER])
		return usage_fail("Only one of --bootstrap-server or "
				  "--authorizer must be specified");
	if (bs && o->has[OPT_DATA_DIR])
		return usage_fail("Only one of --bootstrap-server or "
				  "--data-dir must be specified");
	if (o->has[OPT_AUTHORIZER] || o->has[OPT_AUTHORIZER_PROPERTIES] ||
	    o->has[OPT_ZK_TLS_CONFIG_FILE])
		return usage_fail(
		    "The --authorizer, --authorizer-properties and "
		    "--zk-tls-config-file options (ZooKeeper) are not "
		    "supported: use --bootstrap-server, or --data-dir on a "
		    "stopped broker");
	if (!bs && !o->has[OPT_DATA_DIR])
		return usage_fail(
		    "One of --bootstrap-server, --bootstrap-controller or "
		    "--data-dir must be specified");
	if (o->has[OPT_COMMAND_CONFIG] && !bs)
		return usage_fail("The --command-config option can only be "
				  "used with --bootstrap-server option");
	return 0;
}

static int check_explain(const struct acls_opts *o)
{
	size_t res =
	    o->count[OPT_TOPIC] + o->count[OPT_GROUP] +
	    o->count[OPT_TRANSACTIONAL_ID] + o->count[OPT_DELEGATION_TOKEN] +
	    o->count[OPT_USER_PRINCIPAL] + (o->has[OPT_CLUSTER] ? 1 : 0);

	if (!o->has[OPT_EXPLAIN]) {
		if (o->has[OPT_HOST] || o->has[OPT_SUPER_USERS] ||
		    o->has[OPT_ALLOW_EVERYONE])
			return usage_fail(
			    "The --host, --super-users and "
			    "--allow-everyone-if-no-acl-found options are only "
			    "available if --explain is set");
		return 0;
	}
	if (o->count[OPT_PRINCIPAL] != 1)
		return usage_fail(
		    "With --explain you must specify exactly one --principal");
	if (o->count[OPT_OPERATION] != 1)
		return usage_fail(
		    "With --explain you must specify exactly one --operation");
	if (res != 1)
		return usage_fail(
		    "With --explain you must specify exactly one resource: "
		    "--topic, --group, --cluster, --transactional-id, "
		    "--delegation-token or --user-principal");
	if (o->has[OPT_RESOURCE_PATTERN_TYPE])
		return usage_fail(
		    "The --resource-pattern-type option cannot be used with "
		    "--explain: it names a resource, not a pattern");
	return 0;
}

int acls_opts_check(const struct acls_opts *o)
{
	static const int list_bad[] = {OPT_PRODUCER,
				       OPT_CONSUMER,
				       OPT_ALLOW_HOST,
				       OPT_ALLOW_PRINCIPAL,
				       OPT_DENY_HOST,
				       OPT_DENY_PRINCIPAL,
				       -1};
	static const int role_bad[] = {OPT_OPERATION, OPT_DENY_PRINCIPAL,
				       OPT_DENY_HOST, -1};
	int actions = o->has[OPT_ADD] + o->has[OPT_REMOVE] + o->has[OPT_LIST] +
		      o->has[OPT_EXPLAIN];
	int rc = check_connect(o);

	if (rc)
		return rc;
	if (actions != 1)
		return usage_fail(
		    o->has[OPT_EXPLAIN]
			? "Command must include exactly one action: --list, "
			  "--add, --remove, --explain. "
			: "Command must include exactly one action: --list, "
			  "--add, --remove. ");
	if ((rc = check_invalid(o, OPT_LIST, list_bad)) ||
	    (rc = check_invalid(o, OPT_EXPLAIN, list_bad)) ||
	    (rc = check_invalid(o, OPT_PRODUCER, role_bad)) ||
	    (rc = check_invalid(o, OPT_CONSUMER, role_bad)))
		return rc;
	if (o->has[OPT_PRINCIPAL] && !o->has[OPT_LIST] && !o->has[OPT_EXPLAIN])
		return usage_fail("The --principal option is only available if "
				  "--list is set");
	if (o->has[OPT_PRODUCER] && !o->has[OPT_TOPIC])
		return usage_fail("With --producer you must specify a --topic");
	if (o->has[OPT_IDEMPOTENT] && !o->has[OPT_PRODUCER])
		return usage_fail("The --idempotent option is only available "
				  "if --producer is set");
	if (o->has[OPT_CONSUMER] &&
	    (!o->has[OPT_TOPIC] || !o->has[OPT_GROUP] ||
	     (!o->has[OPT_PRODUCER] &&
	      (o->has[OPT_CLUSTER] || o->has[OPT_TRANSACTIONAL_ID]))))
		return usage_fail(
		    "With --consumer you must specify a --topic and a --group "
		    "and no --cluster or --transactional-id option should be "
		    "specified.");
	return check_explain(o);
}
