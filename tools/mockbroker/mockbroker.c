// SPDX-License-Identifier: Apache-2.0
/*
 * mockbroker - run librdkafka's mock cluster until SIGTERM/SIGINT.
 *
 * Usage: mockbroker [--brokers N] [--topic NAME:PARTITIONS]...
 *
 * Prints "BOOTSTRAP <host:port,...>" on stdout (one line, flushed) once the
 * cluster listens, so a test harness can read the address. The mock cluster
 * keeps everything in memory: nothing survives a restart, and it implements
 * only the APIs librdkafka's own tests need (no CreateTopics, no ACLs).
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int parse_topic(rd_kafka_mock_cluster_t *mc, const char *arg)
{
	char name[256];
	const char *colon = strrchr(arg, ':');
	size_t len;
	int parts;

	if (!colon || colon == arg)
		return -1;
	len = (size_t)(colon - arg);
	if (len >= sizeof(name))
		return -1;
	memcpy(name, arg, len);
	name[len] = '\0';
	parts = atoi(colon + 1);
	if (parts < 1)
		return -1;
	return rd_kafka_mock_topic_create(mc, name, parts, 1) ? -1 : 0;
}

static rd_kafka_t *host_handle_create(void)
{
	char err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	/* The mock cluster needs a client handle to own its thread. */
	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
	return rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
}

static int usage(void)
{
	fprintf(stderr, "usage: mockbroker [--brokers N] "
			"[--topic NAME:PARTITIONS]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	rd_kafka_mock_cluster_t *mc;
	struct sigaction sa = {.sa_handler = on_signal};
	rd_kafka_t *rk;
	int brokers = 1;
	int i;

	for (i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "--brokers"))
			brokers = atoi(argv[i + 1]);
	if (brokers < 1 || brokers > 16)
		return usage();
	rk = host_handle_create();
	if (!rk)
		return 1;
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		rd_kafka_destroy(rk);
		return 1;
	}
	for (i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "--brokers") && i + 1 < argc)
			continue;
		if (strcmp(argv[i], "--topic") || i + 1 >= argc ||
		    parse_topic(mc, argv[i + 1]))
			return usage();
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	/* sleep() returns early on a signal; the 1 s cap bounds the race
	 * between the flag check and the call. */
	while (!stop_requested)
		sleep(1);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
