/* main.c - sealogd: configuration, threads, signals, the ready line.
 *
 *   sealogd [server.properties] [--override key=value ...]
 *
 * Threads: main runs the io_uring network loop; one broker thread runs
 * the Kafka logic (broker.c); one thread waits for signals. SIGTERM or
 * SIGINT: stop accepting, answer what is in flight (bounded grace in the
 * net loop), then the broker flushes and closes its logs; exit 0. SIGHUP:
 * every TLS listener re-reads its certificate, key and trust files; open
 * connections keep the ones they were accepted with, and a failed reload
 * keeps the old ones (logged naming the key or file).
 *
 * Exit status: 0 after a clean stop (or --help / --version), 2 for a
 * configuration error -- including every listener's security (missing or
 * unreadable files, wrong key password, key not matching its
 * certificate, unknown SASL mechanism, principal rule syntax): one
 * message on stderr naming the key or file -- and 1 for a failure at
 * run time (storage, metadata, binding a port).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "base/log.h"
#include "broker/auth.h"
#include "broker/broker.h"

#define LOGC "kafka.server.KafkaRaftServer"

struct sig_ctx {
	struct net_loop *net;
	struct broker_auth *auth;
	const struct broker_config *cfg;
	atomic_bool done;
	sigset_t set;
};

static void sighup(struct sig_ctx *sc)
{
	int tls = 0;

	for (int i = 0; i < sc->cfg->listener_count; i++)
		tls += broker_auth_factory(sc->auth, i) != NULL;
	log_info("kafka.Kafka$", "Received signal HUP: %s",
		 tls ? "reloading TLS certificates"
		     : "no TLS listener, nothing to reload");
	if (tls)
		broker_auth_reload(sc->auth, sc->cfg);
}

static void *signal_thread(void *arg)
{
	struct sig_ctx *sc = arg;
	struct timespec tick = {0, 200 * 1000 * 1000};

	while (!atomic_load(&sc->done)) {
		int sig = sigtimedwait(&sc->set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("kafka.Kafka$",
				 "Received signal %s, shutting down",
				 sig == SIGTERM ? "TERM" : "INT");
			net_loop_stop(sc->net);
			return NULL;
		}
		if (sig == SIGHUP)
			sighup(sc);
	}
	return NULL;
}

static void *broker_thread(void *arg)
{
	broker_run(arg);
	return NULL;
}

static const char *const proto_names[] = {
    [SEC_PLAINTEXT] = "PLAINTEXT",
    [SEC_SSL] = "SSL",
    [SEC_SASL_PLAINTEXT] = "SASL_PLAINTEXT",
    [SEC_SASL_SSL] = "SASL_SSL",
};

static int listen_all(struct net_loop *net, struct broker *b)
{
	struct broker_config *cfg = b->cfg;

	for (int i = 0; i < cfg->listener_count; i++) {
		const struct listener_cfg *l = &cfg->listeners[i];
		uint16_t port = 0;
		int rc;

		rc = net_loop_listen(net, l->host, l->port, i,
				     broker_auth_factory(b->auth, i), &port);
		if (rc) {
			log_error(LOGC,
				  "Failed to bind listener %s://%s:%u: %s",
				  l->name, l->host, l->port, strerror(-rc));
			return rc;
		}
		/* Port 0 picked a free port: that is the one to advertise. */
		if (cfg->advertised[i].port == 0)
			cfg->advertised[i].port = port;
		log_info("kafka.network.SocketServer",
			 "[SocketServer listenerType=BROKER, nodeId=%d] "
			 "Listening on %s://%s:%u (%s)",
			 cfg->node_id, l->name, l->host, port,
			 proto_names[l->proto]);
	}
	return 0;
}

static struct net_loop *net_start(struct broker *b)
{
	struct net_config nc;
	struct net_loop *net;

	net_config_defaults(&nc);
	nc.max_frame_bytes = (size_t)b->cfg->socket_request_max_bytes;
	nc.idle_timeout_ms = b->cfg->connections_max_idle_ms;
	nc.max_conns = (uint32_t)b->cfg->max_connections;
	nc.max_conns_per_ip = (uint32_t)b->cfg->max_connections_per_ip;
	nc.max_conn_rate = (uint32_t)b->cfg->max_connection_creation_rate;
	nc.ip_limits = b->cfg->ip_limits;
	nc.n_ip_limits = b->cfg->n_ip_limits;
	net = net_loop_create(&nc, &broker_net_callbacks, b);
	if (!net) {
		log_error(LOGC,
			  "Failed to create the network loop: %s",
			  strerror(errno));
		return NULL;
	}
	b->net = net;
	if (listen_all(net, b)) {
		net_loop_destroy(net);
		b->net = NULL;
		return NULL;
	}
	return net;
}

static void log_ready(const struct broker_config *cfg)
{
	log_info("kafka.server.BrokerLifecycleManager",
		 "[BrokerLifecycleManager id=%d] The broker has been unfenced. "
		 "Transitioning from RECOVERY to RUNNING.",
		 cfg->node_id);
	log_info("kafka.server.KafkaServer", "[KafkaServer id=%d] started",
		 cfg->node_id);
	log_info(LOGC, "[KafkaRaftServer nodeId=%d] Kafka Server started",
		 cfg->node_id);
}

/* Every listener's security and the authorizer and audit settings,
 * before anything touches the disk: a misconfiguration exits 2 with one
 * line naming the key or file. */
static int security_load(const struct broker_config *cfg,
			 struct broker_auth **out)
{
	char err[1024];

	if (broker_authz_check(cfg, err, sizeof(err)) == 0 &&
	    broker_auth_create(cfg, out, err, sizeof(err)) == 0)
		return 0;
	log_error(LOGC, "%s", err);
	fprintf(stderr, "sealogd: configuration error: %s\n", err);
	return CONFIG_EXIT_BAD;
}

/* Everything after the configuration; returns the exit status. */
static int run(struct broker *b, struct broker_config *cfg,
	       struct broker_auth *auth, struct sig_ctx *sc)
{
	pthread_t bt, st;
	struct net_loop *net;
	int rc;

	rc = broker_init(b, cfg);
	if (!rc) {
		b->auth = auth;
		rc = broker_auth_open_store(auth, cfg, b->meta);
	}
	if (rc) {
		log_error(LOGC,
			  "Fatal error during startup; see the lines above");
		broker_fini(b);
		return 1;
	}
	net = net_start(b);
	if (!net) {
		broker_fini(b);
		return 1;
	}
	sc->net = net;
	pthread_create(&bt, NULL, broker_thread, b);
	pthread_create(&st, NULL, signal_thread, sc);
	log_ready(cfg);

	rc = net_loop_run(net);
	atomic_store(&sc->done, true);
	broker_stop(b);
	pthread_join(bt, NULL);
	pthread_join(st, NULL);
	broker_fini(b);
	net_loop_destroy(net);
	log_info("kafka.server.KafkaServer",
		 "[KafkaServer id=%d] shut down completed", cfg->node_id);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct broker_config cfg;
	static struct broker b;
	struct sig_ctx sc = {.done = false};
	struct broker_auth *auth = NULL;
	int rc;

	/* Keys are in mlock'd no-dump pages, but OpenSSL's expanded AES key
	 * schedules live on the ordinary heap: no core dumps. (Not under
	 * AddressSanitizer, whose leak checker must ptrace the process.) */
#ifndef __SANITIZE_ADDRESS__
	prctl(PR_SET_DUMPABLE, 0);
#endif
	sigemptyset(&sc.set);
	sigaddset(&sc.set, SIGTERM);
	sigaddset(&sc.set, SIGINT);
	sigaddset(&sc.set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = config_load(argc, argv, &cfg);
	if (rc)
		return rc < 0 ? 0 : rc;
	rc = security_load(&cfg, &auth);
	if (!rc) {
		sc.auth = auth;
		sc.cfg = &cfg;
		rc = run(&b, &cfg, auth, &sc);
	}
	/* After the broker: its sessions and the loop used the transports. */
	broker_auth_destroy(auth);
	config_free(&cfg);
	return rc;
}
