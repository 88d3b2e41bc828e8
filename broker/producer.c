/* producer.c - producer ids and idempotent-producer sequence checks.
 *
 * Per partition, each producer id has an epoch, the sequence of its last
 * appended record and the last five batches (Kafka keeps five because
 * clients have at most five requests in flight), so that a retried batch
 * is recognised and answered with its original offset instead of being
 * appended twice.
 *
 * Rules, as Kafka's ProducerStateManager:
 *   unknown producer id        -> accepted (its state may have expired)
 *   epoch lower than known     -> INVALID_PRODUCER_EPOCH
 *   epoch higher than known    -> must start at sequence 0, else
 *                                 OUT_OF_ORDER_SEQUENCE_NUMBER
 *   same epoch, cached batch   -> duplicate: same answer, nothing appended
 *   same epoch, seq != last+1  -> OUT_OF_ORDER_SEQUENCE_NUMBER
 * State changes only after a successful append: a rejected batch never
 * advances the sequence (else the retry would look like a duplicate and
 * be acknowledged without being stored).
 *
 * Expiry (producer.id.expiration.ms): a producer's state in a partition
 * is dropped once it has appended nothing there for that long, so that
 * the tables of a long-lived broker do not grow with every producer that
 * ever existed (test suites create thousands). Kafka measures from the
 * last batch's timestamp; we measure from the broker's own clock at the
 * append (a client's clock cannot keep state alive or expire it), and
 * state rebuilt at startup counts as appended then.
 */
#include "broker/broker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/be.h"
#include "base/clock.h"
#include "base/log.h"
#include "proto/kerr.h"
#include "storage/meta.h"

#define PRODUCER_CACHED_BATCHES 5
#define PRODUCER_ID_BLOCK 1000

struct producer_batch {
	int32_t first_seq, last_seq;
	int64_t base_offset;
};

struct producer {
	struct hmap_node hnode;
	int64_t id;
	int16_t epoch;
	int32_t last_seq;
	int64_t last_ms; /* monotonic clock at its last append */
	int n;      /* cached batches, newest at [(head + n - 1) % 5] */
	int head;
	struct producer_batch batches[PRODUCER_CACHED_BATCHES];
};

static struct producer *producer_find(struct partition *p, int64_t pid)
{
	uint64_t h = hmap_hash_u64((uint64_t)pid);

	for (struct hmap_node *n = hmap_first(&p->producers, h); n;
	     n = hmap_next(n, h)) {
		struct producer *e = container_of(n, struct producer, hnode);
		if (e->id == pid)
			return e;
	}
	return NULL;
}

/* Sequences wrap from INT32_MAX to 0. */
static int32_t seq_add(int32_t seq, int32_t n)
{
	int64_t v = (int64_t)seq + n;

	return (int32_t)(v > INT32_MAX ? v - INT32_MAX - 1 : v);
}

int producer_check(struct partition *p, int64_t pid, int16_t epoch,
		   int32_t first_seq, int32_t count, int64_t *dup_offset)
{
	struct producer *e = producer_find(p, pid);
	int32_t last_seq = seq_add(first_seq, count - 1);

	if (!e)
		return KERR_NONE;
	if (epoch < e->epoch)
		return KERR_INVALID_PRODUCER_EPOCH;
	if (epoch > e->epoch)
		return first_seq == 0 ? KERR_NONE
				      : KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
	for (int i = 0; i < e->n; i++) {
		const struct producer_batch *pb =
			&e->batches[(e->head + i) % PRODUCER_CACHED_BATCHES];
		if (pb->first_seq == first_seq && pb->last_seq == last_seq) {
			*dup_offset = pb->base_offset;
			return -1;
		}
	}
	if (first_seq != seq_add(e->last_seq, 1))
		return KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
	return KERR_NONE;
}

void producer_update(struct partition *p, int64_t pid, int16_t epoch,
		     int32_t first_seq, int32_t count, int64_t base_offset)
{
	struct producer *e = producer_find(p, pid);
	struct producer_batch *pb;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return; /* degrades to "unknown producer": accepted */
		e->id = pid;
		e->epoch = epoch;
		hmap_insert(&p->producers, &e->hnode, hmap_hash_u64((uint64_t)pid));
	}
	if (epoch != e->epoch) {
		e->epoch = epoch;
		e->n = 0;
		e->head = 0;
	}
	if (e->n == PRODUCER_CACHED_BATCHES) {
		e->head = (e->head + 1) % PRODUCER_CACHED_BATCHES;
		e->n--;
	}
	pb = &e->batches[(e->head + e->n) % PRODUCER_CACHED_BATCHES];
	pb->first_seq = first_seq;
	pb->last_seq = seq_add(first_seq, count - 1);
	pb->base_offset = base_offset;
	e->n++;
	e->last_seq = pb->last_seq;
	e->last_ms = clock_mono_ms();
}

size_t producers_expire(struct broker *b, int64_t now_ms)
{
	int64_t max_idle = b->cfg->producer_id_expiration_ms;
	struct hmap_iter it, jt;
	struct hmap_node *n, *m;
	size_t gone = 0;

	hmap_iter_init(&it, &b->topics);
	while ((n = hmap_iter_next(&it))) {
		struct topic *t = container_of(n, struct topic, hnode);
		for (int32_t i = 0; i < t->partition_count; i++) {
			struct partition *p = &t->partitions[i];
			if (!p->producers.buckets)
				continue;
			hmap_iter_init(&jt, &p->producers);
			while ((m = hmap_iter_next(&jt))) {
				struct producer *e =
				    container_of(m, struct producer, hnode);
				if (now_ms - e->last_ms < max_idle)
					continue;
				hmap_remove(&p->producers, m);
				free(e);
				gone++;
			}
		}
	}
	if (gone)
		log_info("ProducerStateManager",
			 "Removed %zu expired producer states "
			 "(producer.id.expiration.ms=%lld)",
			 gone, (long long)max_idle);
	return gone;
}

/* Header offsets of the v2 batch: see proto/batch.h. */
static void producer_recover_batch(void *ctx, const uint8_t *h)
{
	struct partition *p = ctx;
	int64_t pid = (int64_t)be_get64(h + 43);
	int16_t epoch = (int16_t)be_get16(h + 51);

	if (pid < 0)
		return;
	producer_update(p, pid, epoch, (int32_t)be_get32(h + 53),
			(int32_t)be_get32(h + 57), (int64_t)be_get64(h));
}

void producer_recover(struct partition *p)
{
	if (plog_scan_tail(p->log, producer_recover_batch, p))
		log_warn("ProducerStateManager",
			 "could not rebuild producer state of %s-%d",
			 p->topic->name, p->index);
}

void producer_free_all(struct partition *p)
{
	struct hmap_iter it;
	struct hmap_node *n;

	if (!p->producers.buckets)
		return;
	hmap_iter_init(&it, &p->producers);
	while ((n = hmap_iter_next(&it))) {
		hmap_remove(&p->producers, n);
		free(container_of(n, struct producer, hnode));
	}
}

/* Ids are handed out from blocks reserved in the metadata store, so an id
 * is never reused across restarts and LMDB is written once per block. */
int producer_id_alloc(struct broker *b, int64_t *id)
{
	struct meta_txn *txn;
	const void *val;
	size_t vlen;
	uint8_t raw[8];
	int64_t next = 0;
	int rc;

	if (b->next_producer_id < b->producer_id_limit) {
		*id = b->next_producer_id++;
		return 0;
	}
	rc = meta_txn_begin(b->meta, true, &txn);
	if (rc)
		return rc;
	rc = meta_get(txn, "cluster", "producer.id.next", 16, &val, &vlen);
	if (rc == 0 && vlen == 8)
		next = (int64_t)be_get64(val);
	be_put64(raw, (uint64_t)(next + PRODUCER_ID_BLOCK));
	rc = meta_put(txn, "cluster", "producer.id.next", 16, raw, 8);
	if (rc) {
		meta_txn_abort(txn);
		return rc;
	}
	rc = meta_txn_commit(txn);
	if (rc)
		return rc;
	b->next_producer_id = next;
	b->producer_id_limit = next + PRODUCER_ID_BLOCK;
	*id = b->next_producer_id++;
	return 0;
}
