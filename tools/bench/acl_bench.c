/* acl_bench.c - authorization decisions per second with N bindings.
 *
 *   sealog-acl-bench [--bindings N] [--seconds S] [--dir DIR]
 *
 * Builds an authorizer with N bindings (default 10,000) shaped like a
 * busy cluster: per-topic LITERAL bindings for several principals,
 * PREFIXED bindings of many prefix lengths, group bindings, wildcard
 * DENYs and cluster bindings; then measures, on one thread:
 *   - uncached decisions on topics that have bindings (allowed / denied),
 *   - uncached decisions on names with no binding (every prefix length
 *     is probed), and PREFIXED matches,
 *   - cached decisions (the per-connection cache: a connection touching a
 *     handful of topics), and the cost after each ACL change invalidates
 *     it,
 *   - authorizeByResourceType (InitProducerId's check),
 *   - N principals each with a binding on the same wildcard resource,
 * and, with --dir, loading the N bindings from LMDB and the cost of one
 * durable create (one LMDB transaction). Prints one line per figure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/authz.h"
#include "base/arena.h"
#include "storage/meta.h"

#define NPRINC 8
#define HOT 8 /* topics one connection touches (cached case) */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *principal(unsigned i)
{
	static char p[NPRINC][32];

	snprintf(p[i % NPRINC], sizeof(p[0]), "User:svc-%u", i % NPRINC);
	return p[i % NPRINC];
}

/* The i-th binding of the population (strings in the static buffers
 * valid until the next call). */
static void binding(unsigned i, unsigned n, struct acl_binding *b)
{
	static char name[64], host[32];
	unsigned kind = i % 20;

	memset(b, 0, sizeof(*b));
	b->principal = principal(i);
	b->host = "*";
	b->perm = ACL_PERM_ALLOW;
	b->name = name;
	b->rtype = ACL_RT_TOPIC;
	b->ptype = ACL_PT_LITERAL;
	b->op = (i / 20) % 2 ? ACL_OP_READ : ACL_OP_WRITE;
	if (kind < 14) { /* 70 %: a topic's own bindings */
		snprintf(name, sizeof(name), "topic-%u", i % (n / 2 + 1));
	} else if (kind < 18) { /* 20 %: prefixes of many lengths */
		b->ptype = ACL_PT_PREFIXED;
		snprintf(name, sizeof(name), "team-%u.%.*s", i % 97,
			 (int)(i % 9), "abcdefghi");
	} else if (kind == 18) { /* 5 %: groups */
		b->rtype = ACL_RT_GROUP;
		snprintf(name, sizeof(name), "group-%u", i);
		b->op = ACL_OP_READ;
	} else { /* 5 %: DENYs from subnets, cluster rights */
		snprintf(name, sizeof(name), "topic-%u", i % (n / 2 + 1));
		snprintf(host, sizeof(host), "10.%u.0.0/16", i % 256);
		b->host = host;
		b->perm = ACL_PERM_DENY;
	}
}

static void populate(struct authz *z, unsigned n)
{
	struct authz_create_result res;
	struct acl_binding b;

	for (unsigned i = 0; i < n; i++) {
		binding(i, n, &b);
		authz_acls_create(z, &b, 1, &res);
	}
}

struct run {
	const char *what;
	struct authz_cache *cache;
	unsigned names; /* distinct names cycled through */
	enum { N_TOPIC, N_NOBODY, N_TEAM } kind;
	enum acl_op op;
	bool change_every; /* an ACL change before each decision batch */
};

/* One ACL change (alternately create and delete a group binding). */
static void churn(struct authz *z, unsigned long k)
{
	struct acl_binding b = {
	    ACL_RT_GROUP, ACL_PT_LITERAL, "bench-churn", "User:x",
	    "*",	  ACL_OP_READ,	  ACL_PERM_ALLOW};
	struct authz_create_result res;
	struct authz_delete_result dr;
	struct acl_filter f;
	struct arena a;

	if ((k / 1000) % 2 == 0) {
		authz_acls_create(z, &b, 1, &res);
		return;
	}
	arena_init(&a, 0);
	acl_filter_any(&f);
	f.name = "bench-churn";
	authz_acls_delete(z, &f, 1, &a, &dr);
	arena_fini(&a);
}

static void bench(struct authz *z, const struct run *r, double seconds,
		  unsigned n)
{
	char(*names)[64] = calloc(r->names, 64);
	struct authz_subject s;
	unsigned long ops = 0, allowed = 0;
	double t0 = now_s(), t;

	authz_subject_init(&s, principal(3), "10.9.8.7");
	for (unsigned i = 0; i < r->names; i++) {
		unsigned a = (unsigned)(rnd() % (n / 2 + 1));
		if (r->kind == N_TOPIC)
			snprintf(names[i], 64, "topic-%u", a);
		else if (r->kind == N_NOBODY)
			snprintf(names[i], 64, "nobody-%u", a);
		else
			snprintf(names[i], 64, "team-%u.abcdefghi-%u", a % 97,
				 a);
	}
	do {
		if (r->change_every)
			churn(z, ops);
		for (unsigned i = 0; i < 1000; i++)
			allowed += authz_authorize(
			    z, r->cache, &s, r->op, ACL_RT_TOPIC,
			    names[(ops + i) % r->names], NULL);
		ops += 1000;
		t = now_s();
	} while (t - t0 < seconds);
	printf("%-58s %12.0f decisions/s  (%.0f%% allowed)\n", r->what,
	       (double)ops / (t - t0), 100.0 * (double)allowed / (double)ops);
	free(names);
}

/* n principals, each with its own ALLOW on every topic ("*"): a decision
 * looks only at the asking principal's bindings and User:*'s. */
static void bench_wide(unsigned n, double seconds)
{
	struct authz_config cfg = {.enabled = true};
	struct authz_create_result res;
	struct authz_subject s;
	struct authz *z;
	unsigned long ops = 0;
	double t0, t;
	char pr[32];

	if (authz_create(&cfg, NULL, &z))
		return;
	for (unsigned i = 0; i < n; i++) {
		struct acl_binding b = {
		    ACL_RT_TOPIC, ACL_PT_LITERAL, "*",		 pr,
		    "*",	  ACL_OP_READ,	  ACL_PERM_ALLOW};
		snprintf(pr, sizeof(pr), "User:app-%u", i);
		authz_acls_create(z, &b, 1, &res);
	}
	authz_subject_init(&s, "User:app-4242", "10.0.0.1");
	t0 = now_s();
	do {
		for (int i = 0; i < 1000; i++)
			authz_authorize(z, NULL, &s, ACL_OP_READ, ACL_RT_TOPIC,
					"orders", NULL);
		ops += 1000;
		t = now_s();
	} while (t - t0 < seconds);
	printf("%-58s %12.0f decisions/s\n",
	       "uncached, N principals' bindings on topic \"*\"",
	       (double)ops / (t - t0));
	authz_destroy(z);
}

static void bench_any(struct authz *z, double seconds)
{
	struct authz_subject s;
	unsigned long ops = 0;
	double t0 = now_s(), t;

	authz_subject_init(&s, principal(5), "10.9.8.7");
	do {
		authz_authorize_any(z, NULL, &s, ACL_OP_WRITE, ACL_RT_TOPIC);
		ops++;
		t = now_s();
	} while (t - t0 < seconds);
	printf("%-58s %12.0f decisions/s\n",
	       "authorizeByResourceType(WRITE, TOPIC), uncached",
	       (double)ops / (t - t0));
}

/* All n bindings in one CreateAcls-like call: one LMDB transaction. */
static void bench_batch(struct authz *z, unsigned n)
{
	struct acl_binding *all = calloc(n, sizeof(*all));
	struct authz_create_result *rs = calloc(n, sizeof(*rs));
	double t0;

	for (unsigned i = 0; all && rs && i < n; i++) {
		binding(i, n, &all[i]);
		all[i].name = strdup(all[i].name);
		all[i].host = strdup(all[i].host);
		all[i].principal = strdup(all[i].principal);
	}
	t0 = now_s();
	if (all && rs)
		authz_acls_create(z, all, n, rs);
	printf("%-58s %12.1f ms\n", "durable create of all bindings in one txn",
	       1000.0 * (now_s() - t0));
	for (unsigned i = 0; all && i < n; i++) {
		free((char *)all[i].name);
		free((char *)all[i].host);
		free((char *)all[i].principal);
	}
	free(all);
	free(rs);
}

static void bench_store(const char *dir, unsigned n)
{
	struct authz_config cfg = {.enabled = true};
	struct authz_create_result res;
	struct meta *m;
	struct authz *z;
	struct acl_binding b;
	double t0;
	int k = 200;

	if (meta_open(dir, 0, &m)) {
		fprintf(stderr, "cannot open %s/meta\n", dir);
		return;
	}
	authz_create(&cfg, m, &z);
	t0 = now_s();
	for (int i = 0; i < k; i++) {
		binding((unsigned)i, n, &b);
		authz_acls_create(z, &b, 1, &res);
	}
	printf("%-58s %12.1f ms each\n",
	       "durable create, one binding per LMDB txn",
	       1000.0 * (now_s() - t0) / k);
	authz_destroy(z);
	authz_create(&cfg, m, &z);
	bench_batch(z, n);
	authz_destroy(z);
	t0 = now_s();
	authz_create(&cfg, m, &z);
	printf("%-58s %12.1f ms  (%zu bindings)\n", "load from LMDB at startup",
	       1000.0 * (now_s() - t0), authz_count(z));
	authz_destroy(z);
	meta_close(m);
}

int main(int argc, char **argv)
{
	unsigned n = 10000;
	double seconds = 1.0;
	const char *dir = NULL;
	struct authz_config cfg = {.enabled = true, .allow_if_no_acl = false};
	struct authz *z;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--bindings") == 0)
			n = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
	}
	if (n < 100)
		n = 100;
	if (authz_create(&cfg, NULL, &z))
		return 1;
	populate(z, n);
	printf("sealog-acl-bench: %zu bindings, %.1f s per figure\n",
	       authz_count(z), seconds);
	struct authz_cache *c = authz_cache_create();
	const struct run runs[] = {
	    {"uncached, topics with bindings (READ)", NULL, 4096, N_TOPIC,
	     ACL_OP_READ, false},
	    {"uncached, names without bindings (all prefixes probed)", NULL,
	     4096, N_NOBODY, ACL_OP_WRITE, false},
	    {"uncached, PREFIXED matches (team-N.abcdefghi-M)", NULL, 4096,
	     N_TEAM, ACL_OP_READ, false},
	    {"cached, a connection using 8 topics", c, HOT, N_TOPIC,
	     ACL_OP_READ, false},
	    {"cached, with an ACL change every 1000 decisions", c, HOT, N_TOPIC,
	     ACL_OP_READ, true},
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		bench(z, &runs[i], seconds, n);
	bench_any(z, seconds);
	bench_wide(n, seconds);
	authz_cache_destroy(c);
	authz_destroy(z);
	if (dir)
		bench_store(dir, n);
	return 0;
}
