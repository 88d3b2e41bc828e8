/* writer.c - the group store writer: batched, durable LMDB writes.
 *
 * Every change of offsets.c and store.c (offset commits and deletes,
 * group records) is queued here, in order, into the current batch.
 * groups_flush() hands the batch to the writer thread at the end of each
 * burst of requests. The writer applies every batch that is waiting in
 * one LMDB write transaction -- one sync -- and sends the batches back;
 * groups_poll() then runs what waited for them: OffsetCommit answers and
 * the barriers of coordinator.c and membership.c.
 *
 * Group commit. Commits that arrive while a sync runs share the next one
 * for free. Commits that arrive spread out (a thousand a second from
 * many consumers, each answered before the next comes) would each get
 * their own sync; so when more sessions committed recently than the
 * waiting batches come from, the writer waits up to GW_LINGER_MS for the
 * others before it syncs -- and not at all for a lone committer, whose
 * next commit cannot come before this one is answered.
 *
 * Invariants:
 *  1. Batches are applied in the order they were handed over, so a waiter
 *     of batch N also finds every batch before N durable.
 *  2. Every waiter runs exactly once, on the broker thread, with the
 *     result of the transaction that held its batch.
 *  3. The writer thread touches only the metadata store, the batches it
 *     was handed and its own statistics; never a request or a group.
 */
#include "broker/group/group_int.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/chan.h"
#include "base/clock.h"
#include "base/log.h"
#include "storage/meta.h"

#define STORE_KEY_MAX 400 /* LMDB's limit is 511 */
#define GW_LINGER_MS 2	  /* the longest a commit waits for company */
#define GW_ACTIVE_MS 50	  /* a session committed "recently" */
#define GW_ACTIVE_MAX 64  /* sessions tracked (more: as many) */

enum gw_op { GW_PUT, GW_DEL };

struct gw_item {
	struct gw_item *next;
	enum gw_op op;
	const char *db;
	uint8_t *key, *val;
	size_t klen, vlen;
};

/* Runs when its batch is durable: an OffsetCommit-like request (r, from
 * session conn_id) or a barrier callback (fn). */
struct gw_waiter {
	struct gw_waiter *next;
	struct req *r;
	uint64_t conn_id;
	group_commit_done_fn done;
	group_durable_fn fn;
	void *ctx;
};

struct gw_batch {
	struct chan_node node;
	struct gw_item *items, **tail;
	struct gw_waiter *waiters, **wtail;
	bool stop;
	int err;
};

struct gw_stats {
	uint64_t txns; /* LMDB write transactions, one sync each */
	uint64_t puts, dels;
};

/* Sessions whose commits the writer saw lately (writer thread only). */
struct gw_active {
	uint64_t conn_id[GW_ACTIVE_MAX];
	int64_t seen_ms[GW_ACTIVE_MAX];
	int count;
};

struct group_writer {
	pthread_t thread;
	struct meta *meta;
	struct chan in, out;
	struct gw_batch *cur;
	struct gw_batch *stop; /* preallocated: stopping cannot fail */
	unsigned staged;       /* items staged since the last wait */
	struct gw_stats stats; /* writer thread until joined */
	struct gw_active active;
};

uint8_t *group_store_key(const void *natural, size_t len, size_t *klen)
{
	const uint8_t *n = natural;
	uint8_t *k;

	/* LMDB keys are 1..511 bytes; group ids are up to 32767. Natural
	 * keys stay readable; the others become 0x00 | SHA-256 (a natural
	 * key never starts with 0x00: ids cannot contain NUL, and "" is
	 * hashed). */
	if (len >= 1 && len <= STORE_KEY_MAX && n[0] != 0) {
		k = malloc(len);
		if (k)
			memcpy(k, n, len);
		*klen = len;
		return k;
	}
	k = malloc(1 + SHA256_DIGEST_LENGTH);
	if (!k)
		return NULL;
	k[0] = 0;
	SHA256(n, len, k + 1);
	*klen = 1 + SHA256_DIGEST_LENGTH;
	return k;
}

/* --- the writer thread ---------------------------------------------------- */

static int gw_apply_items(struct meta_txn *t, const struct gw_batch *bt,
			  struct gw_stats *st)
{
	int rc = 0;

	for (const struct gw_item *it = bt->items; it && !rc; it = it->next) {
		if (it->op == GW_PUT) {
			rc = meta_put(t, it->db, it->key, it->klen, it->val,
				      it->vlen);
			st->puts++;
		} else {
			rc = meta_del(t, it->db, it->key, it->klen);
			rc = rc == -ENOENT ? 0 : rc;
			st->dels++;
		}
	}
	return rc;
}

/* Every batch of list in one write transaction; all of them get its
 * result. */
static void gw_apply(struct group_writer *w, struct chan_node *list)
{
	struct meta_txn *t = NULL;
	bool any = false;
	int rc;

	for (struct chan_node *n = list; n; n = n->next)
		any |= container_of(n, struct gw_batch, node)->items != NULL;
	if (!any)
		return;
	rc = meta_txn_begin(w->meta, true, &t);
	for (struct chan_node *n = list; n && !rc; n = n->next)
		rc = gw_apply_items(t, container_of(n, struct gw_batch, node),
				    &w->stats);
	if (!rc) {
		w->stats.txns++;
		rc = meta_txn_commit(t);
	} else if (t) {
		meta_txn_abort(t);
	}
	if (rc)
		log_error(GROUP_LOGC,
			  "Failed to store group metadata and offsets: %s",
			  strerror(-rc));
	for (struct chan_node *n = list; n; n = n->next)
		container_of(n, struct gw_batch, node)->err = rc;
}

/* Note conn_id as active at now; drop sessions not seen for a while. */
static void gw_active_note(struct gw_active *a, uint64_t conn_id, int64_t now)
{
	int i, j = 0;

	for (i = 0; i < a->count; i++)
		if (now - a->seen_ms[i] <= GW_ACTIVE_MS &&
		    a->conn_id[i] != conn_id) {
			a->conn_id[j] = a->conn_id[i];
			a->seen_ms[j++] = a->seen_ms[i];
		}
	a->count = j;
	if (a->count < GW_ACTIVE_MAX) {
		a->conn_id[a->count] = conn_id;
		a->seen_ms[a->count++] = now;
	}
}

static bool gw_has_stop(const struct chan_node *list)
{
	for (; list; list = list->next)
		if (container_of(list, struct gw_batch, node)->stop)
			return true;
	return false;
}

/* Sessions with commits in list (counted once), noted as active. */
static int gw_waiting_sessions(struct gw_active *a,
			       const struct chan_node *list, int64_t now)
{
	uint64_t seen[GW_ACTIVE_MAX];
	int n = 0;

	for (; list; list = list->next) {
		const struct gw_batch *bt =
		    container_of(list, struct gw_batch, node);
		for (const struct gw_waiter *wt = bt->waiters; wt;
		     wt = wt->next) {
			bool dup = false;
			if (!wt->r)
				continue;
			for (int i = 0; i < n && !dup; i++)
				dup = seen[i] == wt->conn_id;
			if (!dup && n < GW_ACTIVE_MAX)
				seen[n++] = wt->conn_id;
			gw_active_note(a, wt->conn_id, now);
		}
	}
	return n;
}

/* Append what arrives to list until every recently active session has a
 * commit waiting, or GW_LINGER_MS passed. */
static void gw_linger(struct group_writer *w, struct chan_node **list)
{
	int64_t now = clock_mono_ms(), end = now + GW_LINGER_MS;
	struct chan_node **tail = list;
	int waiting = gw_waiting_sessions(&w->active, *list, now);

	while (*tail)
		tail = &(*tail)->next;
	while (waiting > 0 && waiting < w->active.count && now < end &&
	       !gw_has_stop(*list)) {
		struct pollfd pfd = {.fd = chan_fd(&w->in), .events = POLLIN};
		struct chan_node *more;

		if (poll(&pfd, 1, (int)(end - now)) > 0 &&
		    (more = chan_drain(&w->in))) {
			*tail = more;
			waiting = gw_waiting_sessions(&w->active, *list,
						      clock_mono_ms());
			while (*tail)
				tail = &(*tail)->next;
		}
		now = clock_mono_ms();
	}
}

static void *gw_main(void *arg)
{
	struct group_writer *w = arg;
	bool stop = false;

	while (!stop) {
		struct pollfd pfd = {.fd = chan_fd(&w->in), .events = POLLIN};
		struct chan_node *list, *n;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		list = chan_drain(&w->in);
		gw_linger(w, &list);
		gw_apply(w, list);
		for (n = list; n;) {
			struct gw_batch *bt =
			    container_of(n, struct gw_batch, node);
			n = n->next;
			stop |= bt->stop;
			chan_push(&w->out, &bt->node);
		}
	}
	return NULL;
}

/* --- batches (broker thread) ------------------------------------------------
 */

static struct gw_batch *gw_batch_new(void)
{
	struct gw_batch *bt = calloc(1, sizeof(*bt));

	if (bt) {
		bt->tail = &bt->items;
		bt->wtail = &bt->waiters;
	}
	return bt;
}

static void gw_batch_free(struct gw_batch *bt)
{
	while (bt->items) {
		struct gw_item *it = bt->items;
		bt->items = it->next;
		free(it->key);
		free(it->val);
		free(it);
	}
	while (bt->waiters) {
		struct gw_waiter *wt = bt->waiters;
		bt->waiters = wt->next;
		free(wt);
	}
	free(bt);
}

static struct gw_batch *gw_cur(struct group_writer *w)
{
	if (!w->cur)
		w->cur = gw_batch_new();
	return w->cur;
}

int group_store_queue(struct broker *b, bool put, const char *db, uint8_t *key,
		      size_t klen, uint8_t *val, size_t vlen)
{
	struct group_writer *w = b->group_writer;
	struct gw_batch *bt = w ? gw_cur(w) : NULL;
	struct gw_item *it = bt && key ? calloc(1, sizeof(*it)) : NULL;

	if (!it) {
		free(key);
		free(val);
		return -ENOMEM;
	}
	it->op = put ? GW_PUT : GW_DEL;
	it->db = db;
	it->key = key;
	it->klen = klen;
	it->val = val;
	it->vlen = vlen;
	*bt->tail = it;
	bt->tail = &it->next;
	w->staged++;
	return 0;
}

void groups_flush(struct broker *b)
{
	struct group_writer *w = b->group_writer;

	if (!w || !w->cur || (!w->cur->items && !w->cur->waiters))
		return;
	chan_push(&w->in, &w->cur->node);
	w->cur = NULL;
}

int groups_notify_fd(const struct broker *b)
{
	return b->group_writer ? chan_fd(&b->group_writer->out) : -1;
}

/* Run (and free) a finished batch's waiters, in the order they came. */
static void gw_finish(struct broker *b, struct gw_batch *bt)
{
	for (struct gw_waiter *wt = bt->waiters; wt; wt = wt->next) {
		if (wt->r)
			wt->done(b, wt->r, bt->err);
		else
			wt->fn(b, wt->ctx, bt->err);
	}
	gw_batch_free(bt);
}

void groups_poll(struct broker *b)
{
	struct group_writer *w = b->group_writer;
	struct chan_node *n = w ? chan_drain(&w->out) : NULL;

	while (n) {
		struct gw_batch *bt = container_of(n, struct gw_batch, node);
		n = n->next;
		gw_finish(b, bt);
	}
}

/* A waiter on the current batch, or NULL when out of memory. */
static struct gw_waiter *gw_wait(struct group_writer *w)
{
	struct gw_batch *bt = gw_cur(w);
	struct gw_waiter *wt = bt ? calloc(1, sizeof(*wt)) : NULL;

	if (!wt)
		return NULL;
	*bt->wtail = wt;
	bt->wtail = &wt->next;
	w->staged = 0;
	return wt;
}

void group_offset_wait(struct broker *b, struct req *r,
		       group_commit_done_fn done)
{
	struct group_writer *w = b->group_writer;
	struct gw_waiter *wt;

	if (!w || !w->staged) {
		done(b, r, 0); /* nothing of its own to make durable */
		return;
	}
	wt = gw_wait(w);
	if (!wt) {
		done(b, r, -ENOMEM);
		return;
	}
	wt->r = r;
	wt->conn_id = r->sess->conn_id;
	wt->done = done;
	req_hold(b, r);
}

void group_store_barrier(struct broker *b, group_durable_fn fn, void *ctx)
{
	struct group_writer *w = b->group_writer;
	struct gw_waiter *wt;

	if (!w) {
		fn(b, ctx, 0);
		return;
	}
	/* Even with nothing of its own in the current batch, the waiter's
	 * batch is handed over after every earlier one, which must be
	 * durable first (invariant 1). */
	wt = gw_wait(w);
	if (!wt) {
		fn(b, ctx, -ENOMEM);
		return;
	}
	wt->fn = fn;
	wt->ctx = ctx;
}

/* --- lifecycle
 * ------------------------------------------------------------------ */

int group_writer_open(struct broker *b)
{
	struct group_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->meta = b->meta;
	if (chan_init(&w->in)) {
		free(w);
		return -ENOMEM;
	}
	if (chan_init(&w->out)) {
		chan_fini(&w->in);
		free(w);
		return -ENOMEM;
	}
	w->stop = gw_batch_new();
	if (!w->stop || pthread_create(&w->thread, NULL, gw_main, w)) {
		free(w->stop);
		chan_fini(&w->in);
		chan_fini(&w->out);
		free(w);
		return -EAGAIN;
	}
	w->stop->stop = true;
	b->group_writer = w;
	return 0;
}

void group_writer_close(struct broker *b)
{
	struct group_writer *w = b->group_writer;

	if (!w)
		return;
	groups_flush(b);
	chan_push(&w->in, &w->stop->node);
	pthread_join(w->thread, NULL);
	groups_poll(b);
	/* Waiters may have queued more (a record saved on the way): the
	 * writer is gone, so that is written here. */
	while (w->cur) {
		struct gw_batch *bt = w->cur;
		w->cur = NULL;
		bt->node.next = NULL;
		gw_apply(w, &bt->node);
		gw_finish(b, bt);
	}
	log_info(GROUP_LOGC,
		 "Group metadata writer: %" PRIu64 " puts and %" PRIu64
		 " deletes in %" PRIu64 " LMDB transactions (syncs)",
		 w->stats.puts, w->stats.dels, w->stats.txns);
	chan_fini(&w->in);
	chan_fini(&w->out);
	free(w);
	b->group_writer = NULL;
}
