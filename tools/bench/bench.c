// SPDX-License-Identifier: Apache-2.0
/*
 * sealog-bench - produce/consume throughput and produce latency through
 * librdkafka, against a broker and (optionally) librdkafka's in-process
 * mock cluster in the same run, printed side by side with their ratio.
 *
 * Usage: sealog-bench [--bootstrap HOST:PORT] [-X key=value ...]
 *                     [--baseline mock | --baseline HOST:PORT]
 *                     [--count N] [--seconds S] [--latency-count N]
 *
 * -X sets a librdkafka property for the target only (security.protocol,
 * ssl.ca.location, ssl.certificate.location, sasl.mechanisms, ...), so
 * "--bootstrap <TLS listener> -X security.protocol=SSL ... --baseline
 * <PLAINTEXT listener>" measures TLS against plaintext on the same broker
 * in one run (the baseline gets no -X properties).
 *
 * Cases (one fresh single-partition topic each, acks=all):
 *   produce-1k    N records of 1 KiB, records/s and MiB/s
 *   produce-100   N records of 100 B
 *   consume-1k    read back produce-1k's topic from offset 0
 *   latency-1k    produce->delivery report, at most 16 in flight: p50/p99
 * Every case stops at N records or S seconds, whichever comes first.
 * Numbers are for comparison on one machine, not absolute claims.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAT_INFLIGHT 16

#define MAX_PROPS 32

struct bench_opts {
	const char *bootstrap;
	int mock_baseline;
	const char *baseline; /* HOST:PORT of a second (plain) target */
	const char *props[MAX_PROPS][2]; /* -X for the target */
	int nprops;
	long count;
	long lat_count;
	double seconds;
};

struct bench_result {
	long records;
	double secs;
	double mib;
	double p50_us;
	double p99_us;
	int failed;
};

struct bench_target {
	const char *name;
	const char *bootstrap;
	rd_kafka_mock_cluster_t *mock;
	const char *(*props)[2]; /* extra librdkafka properties */
	int nprops;
};

/* Per-producer delivery state, reached through the message opaque. */
struct bench_dr {
	long delivered;
	long failed;
	long inflight;
	double *lat_us; /* NULL unless measuring latency */
	long lat_count;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[256];

	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) == RD_KAFKA_CONF_OK)
		return 0;
	fprintf(stderr, "sealog-bench: %s=%s: %s\n", k, v, err);
	return -EINVAL;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	struct bench_dr *dr = opaque;

	dr->inflight--;
	if (m->err) {
		if (!dr->failed++)
			fprintf(stderr, "sealog-bench: delivery: %s\n",
				rd_kafka_err2str(m->err));
		return;
	}
	if (dr->lat_us && m->_private) {
		double t0 = *(double *)m->_private;

		dr->lat_us[dr->lat_count++] = (now_s() - t0) * 1e6;
		free(m->_private);
	}
	dr->delivered++;
}

static int props_set(rd_kafka_conf_t *conf, const struct bench_target *t)
{
	for (int i = 0; i < t->nprops; i++)
		if (conf_set(conf, t->props[i][0], t->props[i][1]))
			return -EINVAL;
	return 0;
}

static rd_kafka_t *producer_new(const struct bench_target *t,
				struct bench_dr *dr, int latency)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	if (conf_set(conf, "bootstrap.servers", t->bootstrap) ||
	    props_set(conf, t) ||
	    conf_set(conf, "acks", "all") ||
	    conf_set(conf, "linger.ms", latency ? "0" : "5") ||
	    conf_set(conf, "batch.size", "1000000") ||
	    conf_set(conf, "queue.buffering.max.messages", "1000000") ||
	    conf_set(conf, "log_level", "3")) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, dr);
	return rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
}

static int topic_create(const struct bench_target *t, const char *topic)
{
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	struct bench_dr dr = {0};
	rd_kafka_t *rk;

	if (t->mock)
		return rd_kafka_mock_topic_create(t->mock, topic, 1, 1) ? -EIO
									: 0;
	rk = producer_new(t, &dr, 0);
	if (!rk)
		return -EINVAL;
	nt = rd_kafka_NewTopic_new(topic, 1, 1, NULL, 0);
	q = rd_kafka_queue_new(rk);
	opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opts, 10000, NULL, 0);
	rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
	ev = rd_kafka_queue_poll(q, 15000);
	/* Not fatal: a broker without CreateTopics may still auto-create. */
	if (!ev || rd_kafka_event_error(ev))
		fprintf(stderr,
			"sealog-bench: CreateTopics %s: %s "
			"(relying on auto-create)\n",
			topic,
			ev ? rd_kafka_event_error_string(ev) : "timed out");
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_destroy(rk);
	return 0;
}

/* Produce until count records or the deadline; keep at most max_inflight
 * outstanding when measuring latency (0 = unbounded). */
static void produce_loop(rd_kafka_t *rk, const char *topic, size_t size,
			 long count, double deadline, struct bench_dr *dr,
			 long max_inflight, long *sent)
{
	char *payload = calloc(1, size);
	double *t0 = NULL;
	rd_kafka_resp_err_t err;

	while (*sent < count && now_s() < deadline) {
		if (max_inflight && dr->inflight >= max_inflight) {
			rd_kafka_poll(rk, 1);
			continue;
		}
		if (dr->lat_us) {
			t0 = malloc(sizeof(*t0));
			*t0 = now_s();
		}
		err = rd_kafka_producev(
		    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
		    RD_KAFKA_V_VALUE(payload, size),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_OPAQUE(t0), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			free(t0);
			rd_kafka_poll(rk, 10);
			continue;
		}
		if (err) {
			free(t0);
			dr->failed++;
			break;
		}
		dr->inflight++;
		(*sent)++;
		rd_kafka_poll(rk, 0);
	}
	free(payload);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(double *v, long n, double p)
{
	long i;

	if (n <= 0)
		return 0;
	i = (long)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static struct bench_result run_produce(const struct bench_target *t,
				       const char *topic, size_t size,
				       long count, double seconds, int latency)
{
	struct bench_result res = {0};
	struct bench_dr dr = {0};
	double start, deadline;
	long sent = 0;
	rd_kafka_t *rk;

	if (latency)
		dr.lat_us = calloc((size_t)count, sizeof(double));
	rk = producer_new(t, &dr, latency);
	if (!rk || topic_create(t, topic)) {
		res.failed = 1;
		goto out;
	}
	start = now_s();
	deadline = start + seconds;
	produce_loop(rk, topic, size, count, deadline, &dr,
		     latency ? LAT_INFLIGHT : 0, &sent);
	/* Give the tail a bounded grace to be acknowledged. */
	rd_kafka_flush(rk, (int)(seconds * 1000));
	res.secs = now_s() - start;
	res.records = dr.delivered;
	res.mib = (double)dr.delivered * (double)size / (1024.0 * 1024.0);
	res.failed = dr.failed || dr.delivered != sent;
	if (latency) {
		qsort(dr.lat_us, (size_t)dr.lat_count, sizeof(double),
		      cmp_double);
		res.p50_us = percentile(dr.lat_us, dr.lat_count, 0.50);
		res.p99_us = percentile(dr.lat_us, dr.lat_count, 0.99);
	}
out:
	if (rk)
		rd_kafka_destroy(rk);
	free(dr.lat_us);
	return res;
}

static rd_kafka_t *consumer_new(const struct bench_target *t,
				const char *topic)
{
	rd_kafka_topic_partition_list_t *tps;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];
	rd_kafka_t *rk;

	if (conf_set(conf, "bootstrap.servers", t->bootstrap) ||
	    props_set(conf, t) ||
	    conf_set(conf, "group.id", "sealog-bench") ||
	    conf_set(conf, "enable.auto.commit", "false") ||
	    conf_set(conf, "fetch.max.bytes", "52428800") ||
	    conf_set(conf, "fetch.wait.max.ms", "10") ||
	    conf_set(conf, "log_level", "3")) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk)
		return NULL;
	rd_kafka_poll_set_consumer(rk);
	tps = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tps, topic, 0)->offset =
	    RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, tps);
	rd_kafka_topic_partition_list_destroy(tps);
	return rk;
}

static struct bench_result run_consume(const struct bench_target *t,
				       const char *topic, long count,
				       double seconds)
{
	struct bench_result res = {0};
	rd_kafka_message_t *m;
	double start, deadline;
	int64_t lo = 0, hi = 0;
	rd_kafka_t *rk = consumer_new(t, topic);

	if (!rk) {
		res.failed = 1;
		return res;
	}
	/* Read what the log still holds: librdkafka's mock keeps only the
	 * last ~5 MB of a partition, so the low watermark may have moved. */
	if (!rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, 10000) &&
	    hi - lo < count)
		count = hi - lo;
	start = now_s();
	deadline = start + seconds;
	while (res.records < count && now_s() < deadline) {
		m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (!m->err) {
			res.records++;
			res.mib += (double)m->len / (1024.0 * 1024.0);
		} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			res.failed = 1;
		}
		rd_kafka_message_destroy(m);
	}
	res.secs = now_s() - start;
	res.failed |= res.records < count;
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return res;
}

enum { CASE_P1K, CASE_P100, CASE_C1K, CASE_LAT, CASE_COUNT };

static const char *const case_names[CASE_COUNT] = {
    "produce-1k",
    "produce-100",
    "consume-1k",
    "latency-1k",
};

static void run_target(const struct bench_target *t, const struct bench_opts *o,
		       struct bench_result out[CASE_COUNT])
{
	char topic[3][128];
	int i;

	for (i = 0; i < 3; i++)
		snprintf(topic[i], sizeof(topic[i]), "sealog-bench-%ld-%s-%d",
			 (long)getpid(), t->name, i);
	fprintf(stderr, "sealog-bench: %s (%s)\n", t->name, t->bootstrap);
	out[CASE_P1K] = run_produce(t, topic[0], 1024, o->count, o->seconds, 0);
	out[CASE_P100] = run_produce(t, topic[1], 100, o->count, o->seconds, 0);
	out[CASE_C1K] =
	    run_consume(t, topic[0], out[CASE_P1K].records, o->seconds);
	out[CASE_LAT] =
	    run_produce(t, topic[2], 1024, o->lat_count, o->seconds, 1);
}

static void cell(char *buf, size_t cap, int c, const struct bench_result *r)
{
	if (r->failed && !r->records)
		snprintf(buf, cap, "FAILED");
	else if (c == CASE_LAT)
		snprintf(buf, cap, "p50 %.0f us p99 %.0f us", r->p50_us,
			 r->p99_us);
	else
		snprintf(buf, cap, "%.0f rec/s %.1f MiB/s%s",
			 r->records / (r->secs > 0 ? r->secs : 1),
			 r->mib / (r->secs > 0 ? r->secs : 1),
			 r->failed ? " (errors)" : "");
}

static double rate(int c, const struct bench_result *r)
{
	if (c == CASE_LAT)
		return r->p99_us;
	return r->secs > 0 ? (double)r->records / r->secs : 0;
}

static void print_table(const struct bench_opts *o,
			const struct bench_result *a,
			const struct bench_result *m)
{
	char ca[64], cm[64];
	int c;

	const char *bl = o->mock_baseline ? "mock (librdkafka)"
			 : o->baseline	   ? o->baseline
					   : "";

	printf("%-12s | %-30s | %-30s | %s\n", "case", o->bootstrap, bl,
	       m ? "ratio target/baseline" : "");
	for (c = 0; c < CASE_COUNT; c++) {
		cell(ca, sizeof(ca), c, &a[c]);
		cm[0] = '\0';
		if (m)
			cell(cm, sizeof(cm), c, &m[c]);
		printf("%-12s | %-30s | %-30s | ", case_names[c], ca, cm);
		if (m && rate(c, &m[c]) > 0)
			printf("%.2f%s", rate(c, &a[c]) / rate(c, &m[c]),
			       c == CASE_LAT ? " (p99, lower is better)" : "");
		printf("\n");
	}
	printf("(count %ld, latency count %ld, limit %.0f s per case, acks=all,"
	       " 1 partition)\n",
	       o->count, o->lat_count, o->seconds);
}

/* A handle with no brokers of its own, to own the mock cluster threads. */
static rd_kafka_t *host_new(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	if (conf_set(conf, "log_level", "3")) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
}

static int usage(void)
{
	fprintf(stderr,
		"usage: sealog-bench [--bootstrap HOST:PORT] [-X key=value ...]"
		" [--baseline mock|HOST:PORT]\n"
		"                    [--count N] [--seconds S] [--latency-count N]\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--bootstrap"))
			o->bootstrap = argv[i + 1];
		else if (!strcmp(argv[i], "--baseline") &&
			 !strcmp(argv[i + 1], "mock"))
			o->mock_baseline = 1;
		else if (!strcmp(argv[i], "--baseline"))
			o->baseline = argv[i + 1];
		else if (!strcmp(argv[i], "-X") && o->nprops < MAX_PROPS &&
			 strchr(argv[i + 1], '=')) {
			char *eq = strchr(argv[i + 1], '=');
			*eq = '\0';
			o->props[o->nprops][0] = argv[i + 1];
			o->props[o->nprops++][1] = eq + 1;
		}
		else if (!strcmp(argv[i], "--count"))
			o->count = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--latency-count"))
			o->lat_count = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			o->seconds = atof(argv[i + 1]);
		else
			return -EINVAL;
	}
	if (i != argc || o->count < 1 || o->count > 10000000 ||
	    o->lat_count < 1 || o->lat_count > 1000000 || o->seconds <= 0 ||
	    o->seconds > 600)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {.bootstrap = "127.0.0.1:9092", .count = 200000,
			       .lat_count = 20000, .seconds = 20.0};
	struct bench_result res[CASE_COUNT], mres[CASE_COUNT];
	struct bench_target t = {.name = "target"};
	struct bench_target mt = {.name = "mock"};
	rd_kafka_t *host = NULL;
	int failed = 0, c;

	if (parse_args(argc, argv, &o))
		return usage();
	t.bootstrap = o.bootstrap;
	t.props = o.props;
	t.nprops = o.nprops;
	run_target(&t, &o, res);
	if (o.baseline) {
		mt.name = "baseline";
		mt.bootstrap = o.baseline;
		run_target(&mt, &o, mres);
	} else if (o.mock_baseline) {
		/* The mock cluster runs on threads of this host handle. */
		host = host_new();
		mt.mock = host ? rd_kafka_mock_cluster_new(host, 1) : NULL;
		if (!mt.mock) {
			fprintf(stderr, "sealog-bench: no mock cluster\n");
			return 1;
		}
		mt.bootstrap = rd_kafka_mock_cluster_bootstraps(mt.mock);
		run_target(&mt, &o, mres);
	}
	print_table(&o, res, o.mock_baseline || o.baseline ? mres : NULL);
	for (c = 0; c < CASE_COUNT; c++)
		failed |= res[c].failed;
	if (mt.mock)
		rd_kafka_mock_cluster_destroy(mt.mock);
	if (host)
		rd_kafka_destroy(host);
	return failed ? 1 : 0;
}
