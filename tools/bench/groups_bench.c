// SPDX-License-Identifier: Apache-2.0
/*
 * sealog-groups-bench - the consumer-group coordinator in raw Kafka frames
 * (proto/'s codec on blocking sockets), against sealogd and, in the same
 * run, librdkafka's in-process mock cluster.
 *
 * Usage: sealog-groups-bench [--sealogd PATH | --bootstrap HOST:PORT]
 *            [--baseline mock] [--members N] [--rebalances N]
 *            [--conns N] [--partitions N] [--commits N] [--rate N]
 *            [--seconds S]
 *            [--session-ms N] [--mock-session-ms N] [--mock-rebalances N]
 *            [--data-dir DIR]
 *
 * Cases:
 *   join-sync  N members (default 10) of one group, each on its own
 *              connection, rebalance R times (default 50). A round: every
 *              member sends JoinGroup v5 with a changed subscription (so
 *              every join starts or joins a rebalance, in any order), the
 *              leader sends SyncGroup v3 with an assignment, the others
 *              an empty one; members told REBALANCE_IN_PROGRESS rejoin,
 *              as clients do. Measured: first JoinGroup sent -> last
 *              SyncGroup answer, p50/p99/max over the rounds.
 *   commit     C connections (default 8), each a member of one group,
 *              each committing P partitions (default 1) with OffsetCommit
 *              v7 in a loop, one request in flight per connection (a
 *              consumer's commitSync), until N commits (default 20000) or
 *              S seconds: commits/s. Closed loop (the next commit as soon
 *              as the last is answered), or --rate commits/s in total,
 *              each connection paced evenly, staggered.
 * With --sealogd the bench starts the broker itself, once per case, on a
 * free loopback port with a fresh data directory under --data-dir
 * (default: the current directory, so fsync hits a real disk), and at
 * its SIGTERM reads from its log how many LMDB write transactions (each
 * one sync) the group writer made: syncs per 1000 commits.
 *
 * The mock rebalances on a timer: it answers the joins of a round
 * session timeout - 1 s after the first one, whoever has joined, and its
 * first round waits 3 s; a session timeout below that loses members. So
 * it runs --mock-rebalances (5) rounds with a 3.5 s session, and its
 * join-sync figure is that timer (see GROUPS.md). It also answers
 * INVALID_REQUEST to a follower's SyncGroup processed after the leader's;
 * against the mock that counts as a finished sync. Numbers compare cases
 * on one machine; they are not absolute claims.
 */
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "tools/bench/groups_client.h"

struct gb_opts {
	const char *bootstrap;
	const char *sealogd;
	const char *data_dir;
	int mock;
	int members, rebalances, conns, partitions;
	long commits;
	double seconds;
	long rate; /* commits/s in total, 0 = closed loop */
	int session_ms, mock_session_ms, mock_rebalances;
	bool lenient; /* the mock's SyncGroup quirk, above */
};

/* One measured case on one target. */
struct gb_result {
	double p50_ms, p99_ms, max_ms; /* join-sync */
	long commits;		       /* commit */
	double secs;
	long syncs; /* -1: not known */
	int failed;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(const double *v, int n, double p)
{
	return n > 0 ? v[(int)(p * (double)(n - 1) + 0.5)] : 0;
}

static struct gb_result run_join_sync(const char *bootstrap,
				      const struct gb_opts *o, int session_ms)
{
	struct gb_result res = {.syncs = -1};
	struct gb_member *ms = calloc((size_t)o->members, sizeof(*ms));
	double *t = calloc((size_t)o->rebalances, sizeof(*t)), warm;
	char group[64];
	struct gb_round_cfg cfg = {group, session_ms, o->partitions,
				   o->lenient};
	int rc;

	snprintf(group, sizeof(group), "bench-join-%ld", (long)getpid());
	rc = ms && t ? gb_members_open(ms, o->members, bootstrap) : -ENOMEM;
	/* Round 0 forms the group (member ids, first generation). */
	if (!rc)
		rc = gb_round(ms, o->members, &cfg, 0, &warm);
	for (int r = 0; !rc && r < o->rebalances; r++)
		rc = gb_round(ms, o->members, &cfg, r + 1, &t[r]);
	if (rc) {
		fprintf(stderr, "sealog-groups-bench: join-sync: %s\n",
			strerror(-rc));
		res.failed = 1;
	} else {
		qsort(t, (size_t)o->rebalances, sizeof(*t), cmp_double);
		res.p50_ms = percentile(t, o->rebalances, 0.50);
		res.p99_ms = percentile(t, o->rebalances, 0.99);
		res.max_ms = t[o->rebalances - 1];
	}
	if (ms)
		gb_members_close(ms, o->members);
	free(ms);
	free(t);
	return res;
}

/* Paced commits: member i's k-th commit is due at start + (i / n + k) *
 * interval; closed loop (next as soon as answered) without --rate. */
struct gb_pace {
	double start, interval;	 /* interval 0: closed loop */
	long next[GB_MAX_CONNS]; /* commits sent by each member */
	bool busy[GB_MAX_CONNS];
};

static double gb_due(const struct gb_pace *pc, int i, int n)
{
	return pc->start + ((double)i / n + (double)pc->next[i]) * pc->interval;
}

/* Send what is due; returns the ms until the next due send (or 1000). */
static int gb_send_due(struct gb_member *ms, int n, const char *group,
		       const struct gb_opts *o, struct gb_pace *pc, long *sent,
		       int *rc)
{
	double now = gb_now_ms(), wait = 1000;

	for (int i = 0; i < n && !*rc; i++) {
		double due = gb_due(pc, i, n);
		if (pc->busy[i] || *sent >= o->commits)
			continue;
		if (due > now) {
			wait = due - now < wait ? due - now : wait;
			continue;
		}
		*rc = gb_commit_send(&ms[i], group, o->partitions, ++*sent);
		pc->busy[i] = true;
		pc->next[i]++;
	}
	return (int)wait + 1;
}

/* Every member commits, one request in flight each, until o->commits or
 * o->seconds. */
static int gb_commit_loop(struct gb_member *ms, int n, const char *group,
			  const struct gb_opts *o, long *done)
{
	struct pollfd pfd[GB_MAX_CONNS];
	struct gb_pace *pc = calloc(1, sizeof(*pc));
	double deadline;
	long sent = 0;
	int rc = pc ? 0 : -ENOMEM, wait;

	if (rc)
		return rc;
	pc->start = gb_now_ms();
	pc->interval = o->rate > 0 ? 1000.0 * n / o->rate : 0;
	deadline = pc->start + o->seconds * 1000;
	while (!rc) {
		bool busy = false;
		wait = gb_now_ms() < deadline
			   ? gb_send_due(ms, n, group, o, pc, &sent, &rc)
			   : 1000;
		for (int i = 0; i < n; i++) {
			pfd[i] =
			    (struct pollfd){.fd = pc->busy[i] ? ms[i].c.fd : -1,
					    .events = POLLIN};
			busy |= pc->busy[i];
		}
		if (!busy && (sent >= o->commits || gb_now_ms() >= deadline))
			break;
		if (poll(pfd, (nfds_t)n, wait) < 0 && errno != EINTR)
			rc = -errno;
		for (int i = 0; i < n && !rc; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			rc = gb_commit_check(&ms[i]);
			pc->busy[i] = false;
			(*done)++;
		}
	}
	free(pc);
	return rc;
}

static struct gb_result run_commit(const char *bootstrap,
				   const struct gb_opts *o, int session_ms)
{
	struct gb_result res = {.syncs = -1};
	struct gb_member *ms = calloc((size_t)o->conns, sizeof(*ms));
	char group[64];
	struct gb_round_cfg cfg = {group, session_ms, o->partitions,
				   o->lenient};
	double start, warm;
	int rc;

	snprintf(group, sizeof(group), "bench-commit-%ld", (long)getpid());
	rc = ms ? gb_members_open(ms, o->conns, bootstrap) : -ENOMEM;
	if (!rc)
		rc = gb_round(ms, o->conns, &cfg, 0, &warm);
	start = gb_now_ms();
	if (!rc)
		rc = gb_commit_loop(ms, o->conns, group, o, &res.commits);
	res.secs = (gb_now_ms() - start) / 1000;
	if (rc) {
		fprintf(stderr, "sealog-groups-bench: commit: %s\n",
			strerror(-rc));
		res.failed = 1;
	}
	if (ms)
		gb_members_close(ms, o->conns);
	free(ms);
	return res;
}

/* --- a sealogd of our own
 * ------------------------------------------------------ */

struct gb_broker {
	pid_t pid;
	char dir[512], log[600], bootstrap[64];
};

static int gb_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void gb_broker_exec(const struct gb_broker *br, const struct gb_opts *o,
			   int port)
{
	char listen[96], dirs[600], parts[64];
	int fd = open(br->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	snprintf(listen, sizeof(listen), "listeners=PLAINTEXT://127.0.0.1:%d",
		 port);
	snprintf(dirs, sizeof(dirs), "log.dirs=%s/data", br->dir);
	snprintf(parts, sizeof(parts), "num.partitions=%d", o->partitions);
	setenv("SEALOG_CONFIG_FROM_ENV", "0", 1);
	execl(o->sealogd, "sealogd", "--override", listen, "--override", dirs,
	      "--override", "group.initial.rebalance.delay.ms=0", "--override",
	      "group.min.session.timeout.ms=1000", "--override", parts,
	      (char *)NULL);
	_exit(127);
}

/* The log so far (malloc'd, NUL-terminated), or NULL. */
static char *gb_read_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	text = calloc(1, 1 << 20);
	if (text)
		len = fread(text, 1, (1 << 20) - 1, f);
	if (text)
		text[len] = '\0';
	fclose(f);
	return text;
}

static int gb_broker_start(struct gb_broker *br, const struct gb_opts *o)
{
	int port = gb_free_port();
	double deadline = gb_now_ms() + 15000;

	snprintf(br->dir, sizeof(br->dir), "%s/sealog-groups-bench-XXXXXX",
		 o->data_dir);
	if (port < 0 || !mkdtemp(br->dir))
		return -errno;
	snprintf(br->log, sizeof(br->log), "%s/broker.log", br->dir);
	snprintf(br->bootstrap, sizeof(br->bootstrap), "127.0.0.1:%d", port);
	br->pid = fork();
	if (br->pid == 0)
		gb_broker_exec(br, o, port);
	if (br->pid < 0)
		return -errno;
	while (gb_now_ms() < deadline) {
		char *text = gb_read_log(br->log);
		bool ready = text && strstr(text, "Kafka Server started");
		free(text);
		if (ready)
			return 0;
		if (waitpid(br->pid, NULL, WNOHANG) == br->pid) {
			br->pid = -1;
			return -ECHILD;
		}
		usleep(20000);
	}
	return -ETIMEDOUT;
}

static int gb_rm(const char *path)
{
	char cmd[700];

	/* Our own mkdtemp() directory, no shell metacharacters in it. */
	if (strpbrk(path, "'\\") || !strstr(path, "sealog-groups-bench-"))
		return -EINVAL;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
	return system(cmd) == 0 ? 0 : -EIO;
}

/* SIGTERM, then the group writer's count of LMDB transactions from the
 * log (-1 if not found). */
static long gb_broker_stop(struct gb_broker *br)
{
	long puts = 0, dels = 0, txns = -1;
	char *text, *line;

	if (br->pid > 0) {
		kill(br->pid, SIGTERM);
		waitpid(br->pid, NULL, 0);
	}
	text = gb_read_log(br->log);
	line = text ? strstr(text, "Group metadata writer: ") : NULL;
	if (!line || sscanf(line,
			    "Group metadata writer: %ld puts and %ld "
			    "deletes in %ld",
			    &puts, &dels, &txns) != 3)
		txns = -1;
	free(text);
	gb_rm(br->dir);
	return txns;
}

/* --- running and reporting
 * ------------------------------------------------------ */

enum { CASE_JOIN, CASE_COMMIT, CASE_COUNT };

static struct gb_result run_case(int c, const char *bootstrap,
				 const struct gb_opts *o, int session_ms)
{
	if (c == CASE_JOIN)
		return run_join_sync(bootstrap, o, session_ms);
	return run_commit(bootstrap, o, session_ms);
}

/* On our own sealogd (one per case, so its sync count is the case's). */
static struct gb_result run_spawned(int c, const struct gb_opts *o)
{
	struct gb_broker br = {.pid = -1};
	struct gb_result res = {.syncs = -1, .failed = 1};
	int rc = gb_broker_start(&br, o);

	if (rc)
		fprintf(stderr,
			"sealog-groups-bench: starting %s: %s (log %s)\n",
			o->sealogd, strerror(-rc), br.log);
	else if (c != CASE_COMMIT || !(rc = gb_topic_create(br.bootstrap)))
		res = run_case(c, br.bootstrap, o, o->session_ms);
	res.syncs = gb_broker_stop(&br);
	return res;
}

static void cell(char *buf, size_t cap, int c, const struct gb_result *r)
{
	double rate = r->secs > 0 ? (double)r->commits / r->secs : 0;

	if (r->failed)
		snprintf(buf, cap, "FAILED");
	else if (c == CASE_JOIN)
		snprintf(buf, cap, "p50 %.2f p99 %.2f max %.2f ms", r->p50_ms,
			 r->p99_ms, r->max_ms);
	else if (r->syncs >= 0)
		snprintf(buf, cap, "%.0f commits/s, %.1f syncs/1000", rate,
			 r->commits
			     ? 1000.0 * (double)r->syncs / (double)r->commits
			     : 0);
	else
		snprintf(buf, cap, "%.0f commits/s", rate);
}

static void print_table(const struct gb_opts *o, const struct gb_result *a,
			const struct gb_result *m)
{
	const char *names[CASE_COUNT] = {"join-sync", "commit"};
	char ca[64], cm[64];

	printf("%-10s | %-38s | %-38s | %s\n", "case", "sealog",
	       m ? "mock (librdkafka)" : "", m ? "ratio sealog/mock" : "");
	for (int c = 0; c < CASE_COUNT; c++) {
		cell(ca, sizeof(ca), c, &a[c]);
		cm[0] = '\0';
		if (m)
			cell(cm, sizeof(cm), c, &m[c]);
		printf("%-10s | %-38s | %-38s | ", names[c], ca, cm);
		if (m && !a[c].failed && !m[c].failed && c == CASE_JOIN &&
		    m[c].p50_ms > 0)
			printf("%.3g (p50, lower is better)",
			       a[c].p50_ms / m[c].p50_ms);
		else if (m && !a[c].failed && !m[c].failed && m[c].commits)
			printf("%.2f (commits/s)",
			       ((double)a[c].commits / a[c].secs) /
				   ((double)m[c].commits / m[c].secs));
		printf("\n");
	}
	printf(
	    "(join-sync: %d members, %d rebalances (mock %d), session %d ms "
	    "(mock %d ms); commit: %d connections x %d partitions, up to %ld "
	    "commits or %.0f s, ",
	    o->members, o->rebalances, o->mock_rebalances, o->session_ms,
	    o->mock_session_ms, o->conns, o->partitions, o->commits,
	    o->seconds);
	if (o->rate)
		printf("paced at %ld commits/s)\n", o->rate);
	else
		printf("closed loop)\n");
}

static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: sealog-groups-bench [--sealogd PATH | --bootstrap "
	    "HOST:PORT]"
	    " [--baseline mock] [--members N] [--rebalances N] [--conns N]"
	    " [--partitions N] [--commits N] [--rate N] [--seconds S]"
	    " [--session-ms N]"
	    " [--mock-session-ms N] [--mock-rebalances N] [--data-dir DIR]\n");
	return 2;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_arg(struct gb_opts *o, const char *k, const char *v)
{
	static const struct {
		const char *name;
		long lo, hi;
		size_t off;
	} ints[] = {
	    {"--members", 1, GB_MAX_CONNS, offsetof(struct gb_opts, members)},
	    {"--rebalances", 1, 100000, offsetof(struct gb_opts, rebalances)},
	    {"--conns", 1, GB_MAX_CONNS, offsetof(struct gb_opts, conns)},
	    {"--partitions", 1, 64, offsetof(struct gb_opts, partitions)},
	    {"--session-ms", 1000, 3600000,
	     offsetof(struct gb_opts, session_ms)},
	    {"--mock-session-ms", 1000, 3600000,
	     offsetof(struct gb_opts, mock_session_ms)},
	    {"--mock-rebalances", 1, 100000,
	     offsetof(struct gb_opts, mock_rebalances)},
	};
	long n;

	if (!strcmp(k, "--bootstrap"))
		o->bootstrap = v;
	else if (!strcmp(k, "--sealogd"))
		o->sealogd = v;
	else if (!strcmp(k, "--data-dir"))
		o->data_dir = v;
	else if (!strcmp(k, "--baseline"))
		o->mock = !strcmp(v, "mock") ? 1 : -1;
	else if (!strcmp(k, "--commits"))
		return parse_int(v, 1, 100000000, &o->commits);
	else if (!strcmp(k, "--rate"))
		return parse_int(v, 1, 10000000, &o->rate);
	else if (!strcmp(k, "--seconds"))
		return (o->seconds = atof(v)) > 0 && o->seconds <= 600
			   ? 0
			   : -EINVAL;
	else {
		for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
			if (!strcmp(k, ints[i].name)) {
				if (parse_int(v, ints[i].lo, ints[i].hi, &n))
					return -EINVAL;
				*(int *)((char *)o + ints[i].off) = (int)n;
				return 0;
			}
		return -EINVAL;
	}
	return o->mock < 0 ? -EINVAL : 0;
}

/* The mock cluster runs on the threads of a handle of its own. */
static int run_mock(const struct gb_opts *o, struct gb_result *out)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc = NULL;
	char err[256];
	struct gb_opts mo = *o;
	rd_kafka_t *host;

	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
	host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (host)
		mc = rd_kafka_mock_cluster_new(host, 1);
	if (!mc || rd_kafka_mock_topic_create(mc, GB_TOPIC, o->partitions, 1)) {
		fprintf(stderr, "sealog-groups-bench: no mock cluster\n");
		if (host)
			rd_kafka_destroy(host);
		return -EIO;
	}
	mo.lenient = true;
	mo.rebalances = o->mock_rebalances;
	for (int c = 0; c < CASE_COUNT; c++)
		out[c] = run_case(c, rd_kafka_mock_cluster_bootstraps(mc), &mo,
				  c == CASE_JOIN ? o->mock_session_ms
						 : o->session_ms);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(host);
	return 0;
}

int main(int argc, char **argv)
{
	struct gb_opts o = {
	    .bootstrap = "127.0.0.1:9092",
	    .data_dir = ".",
	    .members = 10,
	    .rebalances = 50,
	    .conns = 8,
	    .partitions = 1,
	    .commits = 20000,
	    .seconds = 20,
	    .session_ms = 10000,
	    .mock_session_ms = 3500,
	    .mock_rebalances = 5,
	};
	struct gb_result res[CASE_COUNT], mres[CASE_COUNT];
	int failed = 0;

	for (int i = 1; i < argc; i += 2)
		if (i + 1 >= argc || parse_arg(&o, argv[i], argv[i + 1]))
			return usage();
	signal(SIGPIPE, SIG_IGN);
	for (int c = 0; c < CASE_COUNT; c++) {
		fprintf(stderr, "sealog-groups-bench: sealog, case %d\n", c);
		res[c] = o.sealogd ? run_spawned(c, &o)
				   : run_case(c, o.bootstrap, &o, o.session_ms);
		failed |= res[c].failed;
	}
	if (o.mock > 0) {
		fprintf(stderr, "sealog-groups-bench: mock\n");
		if (run_mock(&o, mres))
			return 1;
	}
	print_table(&o, res, o.mock > 0 ? mres : NULL);
	return failed ? 1 : 0;
}
