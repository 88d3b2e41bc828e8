/* offline.c - the data-directory backend (--data-dir): the broker's own
 * authorizer code on its metadata store, for a broker that is not
 * running -- e.g. to grant the first admin before the first start.
 *
 * The directory's lock (<dir>/.lock, the one the broker's storage holds
 * while it runs) is taken first, so the tool never edits the store under
 * a running broker, whose in-memory ACLs would not see the change. Every
 * change goes to the audit log (<dir>/audit.log, or audit.log.path from
 * --broker-config) like a change through the broker.
 */
#include "tools/sealog-acls/acls.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/audit.h"
#include "auth/authz.h"
#include "broker/config.h"
#include "storage/meta.h"

struct offline {
	int lockfd;
	struct meta *meta;
	struct authz *z;
	struct audit *audit;
	struct audit_ctx actx;
	char user[64];
};

static int fail_msg(struct acls_fail *fail, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_msg(struct acls_fail *fail, int rc, const char *fmt, ...)
{
	va_list ap;

	fail->exception = NULL;
	va_start(ap, fmt);
	vsnprintf(fail->msg, sizeof(fail->msg), fmt, ap);
	va_end(ap);
	return rc;
}

struct visit_ctx {
	struct arena *a;
	struct acls_list *out;
};

static int visit(void *ctx, uint64_t id, const struct acl_binding *b)
{
	struct visit_ctx *vc = ctx;

	(void)id;
	return acls_list_add(vc->out, vc->a, b);
}

static int off_describe(void *ctx, const struct acl_filter *f, struct arena *a,
			struct acls_list *out, struct acls_fail *fail)
{
	struct offline *off = ctx;
	struct visit_ctx vc = {a, out};
	const char *msg;

	if (acl_filter_check(f, &msg))
		return fail_msg(fail, -EINVAL,
				"org.apache.kafka.common.errors."
				"InvalidRequestException: %s",
				msg);
	return authz_acls_visit(off->z, f, visit, &vc);
}

static int off_create(void *ctx, const struct acl_binding *b, size_t n,
		      struct acls_fail *fail)
{
	struct offline *off = ctx;
	struct authz_create_result *res = calloc(n + 1, sizeof(*res));
	int rc;

	if (!res)
		return -ENOMEM;
	rc = authz_acls_create(off->z, b, n, res);
	for (size_t i = 0; i < n; i++) {
		if (res[i].rc == -EINVAL && !rc)
			rc = fail_msg(fail, -EINVAL,
				      "org.apache.kafka.common.errors."
				      "InvalidRequestException: %s",
				      res[i].msg);
		if (res[i].created)
			audit_acl(off->audit, &off->actx, "create", &b[i],
				  NULL);
	}
	if (rc && !fail->msg[0])
		fail_msg(fail, rc,
			 "org.apache.kafka.common.errors."
			 "UnknownServerException: cannot store the ACLs: %s",
			 strerror(-rc));
	free(res);
	return rc;
}

static int off_remove(void *ctx, const struct acl_filter *f, size_t n,
		      struct acls_fail *fail)
{
	struct offline *off = ctx;
	struct authz_delete_result *res = calloc(n + 1, sizeof(*res));
	struct arena a;
	int rc;

	if (!res)
		return -ENOMEM;
	arena_init(&a, 0);
	rc = authz_acls_delete(off->z, f, n, &a, res);
	if (rc)
		fail_msg(fail, rc,
			 "org.apache.kafka.common.errors."
			 "UnknownServerException: cannot store the change: %s",
			 strerror(-rc));
	for (size_t i = 0; !rc && i < n; i++) {
		if (res[i].rc) {
			rc = fail_msg(fail, -EINVAL,
				      "org.apache.kafka.common.errors."
				      "InvalidRequestException: %s",
				      res[i].msg);
			break;
		}
		for (size_t j = 0; j < res[i].count; j++)
			audit_acl(off->audit, &off->actx, "delete",
				  &res[i].acls[j], NULL);
	}
	arena_fini(&a);
	free(res);
	return rc;
}

static void off_close(void *ctx)
{
	struct offline *off = ctx;

	authz_destroy(off->z);
	if (off->meta)
		meta_close(off->meta);
	audit_close(off->audit);
	if (off->lockfd >= 0)
		close(off->lockfd);
	free(off);
}

static int off_lock(struct offline *off, const char *dir, bool create,
		    struct acls_fail *fail)
{
	char path[4096];

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return fail_msg(fail, -errno,
				"Cannot create the data directory %s: %s", dir,
				strerror(errno));
	snprintf(path, sizeof(path), "%s/.lock", dir);
	off->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (off->lockfd < 0)
		return fail_msg(fail, -errno,
				"Cannot open the data directory %s: %s", dir,
				strerror(errno));
	if (flock(off->lockfd, LOCK_EX | LOCK_NB) < 0)
		return fail_msg(
		    fail, -EBUSY,
		    "The data directory %s is in use by a running broker (lock "
		    "%s); use --bootstrap-server to change its ACLs",
		    dir, path);
	return 0;
}

/* audit.log.* of --broker-config, else <dir>/audit.log. */
static int off_audit(struct offline *off, const struct acls_opts *o,
		     const char *dir, struct acls_fail *fail)
{
	const char *cfgfile = acls_opt(o, OPT_BROKER_CONFIG, NULL);
	struct props *p = props_new();
	char path[4096], err[512];
	struct audit_config ac = {path, 100ull << 20, 5, false};
	const char *v;
	bool on = true;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	if (cfgfile &&
	    (rc = props_load_file(p, cfgfile, 1u << 20, err, sizeof(err)))) {
		props_free(p);
		return fail_msg(fail, rc, "%s", err);
	}
	if ((v = props_get(p, "audit.log.enable")))
		config_bool_parse(v, &on);
	if ((v = props_get(p, "audit.log.path")))
		snprintf(path, sizeof(path), "%s", v);
	if (on)
		rc = audit_open(&ac, &off->audit);
	props_free(p);
	if (rc)
		return fail_msg(fail, rc, "Cannot open the audit log %s: %s",
				path, strerror(-rc));
	return 0;
}

static void off_actx(struct offline *off)
{
	struct passwd *pw = getpwuid(getuid());

	snprintf(off->user, sizeof(off->user), "%s",
		 pw && pw->pw_name ? pw->pw_name : "?");
	off->actx.client = "local";
	off->actx.listener = "data-dir";
	off->actx.api = "sealog-acls";
	off->actx.client_id = off->user;
}

int acls_offline_open(const struct acls_opts *o, bool create_dir,
		      struct acls_backend *be, struct acls_fail *fail)
{
	const char *dir = acls_opt(o, OPT_DATA_DIR, NULL);
	struct offline *off = calloc(1, sizeof(*off));
	struct authz_config cfg = {.enabled = true};
	struct stat st;
	int rc;

	if (!off)
		return -ENOMEM;
	off->lockfd = -1;
	if (!create_dir && stat(dir, &st) < 0)
		rc = fail_msg(fail, -errno,
			      "Cannot open the data directory %s: %s", dir,
			      strerror(errno));
	else
		rc = off_lock(off, dir, create_dir, fail);
	if (!rc && (rc = meta_open(dir, 0, &off->meta)))
		fail_msg(fail, rc, "Cannot open the metadata store in %s: %s",
			 dir, strerror(-rc));
	if (!rc && (rc = authz_create(&cfg, off->meta, &off->z)))
		fail_msg(fail, rc, "Cannot load the ACLs in %s: %s", dir,
			 strerror(-rc));
	if (!rc)
		rc = off_audit(off, o, dir, fail);
	if (rc) {
		off_close(off);
		return rc;
	}
	off_actx(off);
	*be = (struct acls_backend){off, off_describe, off_create, off_remove,
				    off_close};
	return 0;
}
