/* quota.c - connection caps: max.connections.per.ip (and its overrides),
 * max.connections and max.connection.creation.rate, as Kafka's
 * ConnectionQuotas applies them.
 *
 * Per address: a count per peer address, in a map keyed by the numeric
 * text net_peer.addr carries. An entry lives while its address holds a
 * connection (closing ones count until their fd is closed), so the map
 * is bounded by the open connections, not by the addresses ever seen. A
 * connection beyond its address's cap is closed at accept, before a byte
 * is read; the line Kafka logs for it is logged at most once a second,
 * with the number passed over since, so a flood cannot flood the log.
 *
 * Broker-wide: at max_conns open the listeners stop accepting
 * (listener.c), and new connections wait in the kernel's backlog until
 * one closes, as Kafka's acceptor blocks. The creation rate is a token
 * bucket holding one second's worth: when it runs dry accepting pauses
 * until a token is back (resumed by the loop's 100 ms tick), so a flood
 * of handshakes waits in the backlog instead of taking the loop.
 */
#include "net/net_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#define QUOTA_LOG_INTERVAL_MS 1000

struct net_ip_count {
	struct hmap_node hnode;
	uint32_t n;
	char addr[sizeof(((struct net_peer *)0)->addr)];
};

int quota_init(struct net_loop *loop, const struct net_config *cfg)
{
	size_t n = cfg->n_ip_limits;

	if (n) {
		struct net_ip_limit *copy = calloc(n, sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, cfg->ip_limits, n * sizeof(*copy));
		for (size_t i = 0; i < n; i++)
			copy[i].addr[sizeof(copy[i].addr) - 1] = 0;
		loop->cfg.ip_limits = copy;
		loop->cfg.n_ip_limits = n;
	}
	return hmap_init(&loop->ip_counts);
}

void quota_fini(struct net_loop *loop)
{
	struct hmap_iter it;
	struct hmap_node *n;

	if (loop->ip_counts.buckets) {
		hmap_iter_init(&it, &loop->ip_counts);
		while ((n = hmap_iter_next(&it))) {
			hmap_remove(&loop->ip_counts, n);
			free(container_of(n, struct net_ip_count, hnode));
		}
		hmap_fini(&loop->ip_counts);
	}
	free((void *)loop->cfg.ip_limits);
	loop->cfg.ip_limits = NULL;
}

/* The cap for addr: its override, else max_conns_per_ip. */
static uint32_t quota_ip_max(const struct net_loop *loop, const char *addr)
{
	for (size_t i = 0; i < loop->cfg.n_ip_limits; i++)
		if (strcmp(loop->cfg.ip_limits[i].addr, addr) == 0)
			return loop->cfg.ip_limits[i].max;
	return loop->cfg.max_conns_per_ip;
}

static struct net_ip_count *quota_find(const struct net_loop *loop,
				       const char *addr, uint64_t h)
{
	for (struct hmap_node *n = hmap_first(&loop->ip_counts, h); n;
	     n = hmap_next(n, h)) {
		struct net_ip_count *e =
		    container_of(n, struct net_ip_count, hnode);
		if (strcmp(e->addr, addr) == 0)
			return e;
	}
	return NULL;
}

static void quota_log_reject(struct net_loop *loop, const char *addr,
			     uint32_t max)
{
	if (loop->quota_log_ms &&
	    loop->now_ms - loop->quota_log_ms < QUOTA_LOG_INTERVAL_MS) {
		loop->quota_suppressed++;
		return;
	}
	log_info("net",
		 "Rejected connection from /%s, address already has the "
		 "configured maximum of %u connections (%llu more rejected "
		 "since the last such line)",
		 addr, max, (unsigned long long)loop->quota_suppressed);
	loop->quota_log_ms = loop->now_ms;
	loop->quota_suppressed = 0;
}

int quota_acquire(struct net_loop *loop, const char *addr,
		  struct net_ip_count **out)
{
	uint64_t h = hmap_hash_bytes(addr, strlen(addr));
	struct net_ip_count *e = quota_find(loop, addr, h);
	uint32_t max = quota_ip_max(loop, addr);

	if ((e ? e->n : 0) >= max) {
		quota_log_reject(loop, addr, max);
		return -EUSERS;
	}
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		strncpy(e->addr, addr, sizeof(e->addr) - 1);
		hmap_insert(&loop->ip_counts, &e->hnode, h);
	}
	e->n++;
	*out = e;
	return 0;
}

void quota_rate_take(struct net_loop *loop)
{
	double rate = loop->cfg.max_conn_rate;
	int64_t now = loop->now_ms;

	if (loop->cfg.max_conn_rate >= INT32_MAX)
		return;
	if (!loop->rate_ms)
		loop->rate_tokens = rate;
	else
		loop->rate_tokens += (double)(now - loop->rate_ms) * rate / 1000;
	if (loop->rate_tokens > rate)
		loop->rate_tokens = rate;
	loop->rate_ms = now;
	loop->rate_tokens -= 1;
	if (loop->rate_tokens >= 1)
		return;
	/* Until the bucket holds a whole token again. */
	loop->rate_until_ms =
	    rate > 0 ? now + 1 + (int64_t)((1 - loop->rate_tokens) * 1000 / rate)
		     : INT64_MAX;
	if (now - loop->rate_log_ms >= 60000 || !loop->rate_log_ms) {
		log_info("net",
			 "Connection creation over max.connection.creation.rate "
			 "(%u/s): accepting is throttled (logged once a minute)",
			 loop->cfg.max_conn_rate);
		loop->rate_log_ms = now;
	}
}

void quota_release(struct net_loop *loop, struct net_ip_count *e)
{
	if (!e || --e->n > 0)
		return;
	hmap_remove(&loop->ip_counts, &e->hnode);
	free(e);
}
