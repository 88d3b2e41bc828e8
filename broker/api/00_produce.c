/* 00_produce.c - Produce.
 *
 * Versions: 3-11 (every version that carries v2 record batches; 9+
 *           flexible). Older versions carry message sets v0/v1, which no
 *           client we serve sends.
 * State:    ready.
 * ACL:      Write on the topic (TOPIC_AUTHORIZATION_FAILED); with a
 *           transactional id, Write on it (TRANSACTIONAL_ID_AUTHORIZATION_
 *           FAILED for every partition). As Kafka >= 3.0, idempotent
 *           batches need no IdempotentWrite here: InitProducerId checks it.
 * Notes:    one v2 batch per partition (more -> INVALID_RECORD, as Kafka).
 *           Validation happens before anything is appended: size against
 *           the topic's max.message.bytes, CRC-32C, record framing, then
 *           idempotent-producer sequence checks. acks=0 sends nothing but
 *           closes the connection when a partition failed, so the client
 *           notices (Kafka does the same). acks=-1 parks until the group
 *           commit covering every partition's batch has completed, or
 *           until timeout_ms (REQUEST_TIMED_OUT for partitions not yet
 *           durable; the data may still become durable later).
 *           Transactions are not served yet: transactional batches get
 *           INVALID_TXN_STATE.
 */
#include "broker/api/api.h"

#include <string.h>

#include "base/clock.h"
#include "proto/batch.h"
#include "proto/compress.h"

struct produce_wait {
	const char *topic;
	uint8_t topic_id[16];
	int32_t partition;
	int64_t target; /* the HW that makes this batch durable; -1 = done */
	struct kp_produce_response_partition_produce_response *out;
};

struct produce_state {
	struct kp_produce_response resp;
	struct produce_wait *waits;
	int32_t count;
};

static int64_t produce_log_start(struct partition *p)
{
	struct plog_offsets o;

	plog_offsets(p->log, &o);
	return o.log_start_offset;
}

/* Kafka's LogValidator: the batch, and the records of a compressed one
 * (decompressed into a scratch buffer within API_INFLATE_MAX). zstd needs
 * Produce v7+ (KIP-110). */
static int16_t produce_validate(const uint8_t *batch, size_t len,
				const struct kp_batch *h, int16_t version)
{
	struct buf scratch;
	int16_t err;

	if ((h->attributes & KP_BATCH_CODEC_MASK) == KP_CODEC_ZSTD &&
	    version < 7)
		return KERR_UNSUPPORTED_COMPRESSION_TYPE;
	buf_init(&scratch, 0);
	err = kp_batch_validate_deep(batch, len, h, API_INFLATE_MAX, &scratch);
	buf_fini(&scratch);
	return err;
}

/* Check and append one partition's batch; fills out, returns the HW
 * target (or -1 when there is nothing to wait for). */
static int64_t produce_partition(struct broker *b, const char *topic_name,
				 int16_t version,
				 const struct kp_produce_request_partition_produce_data *pd,
				 struct kp_produce_response_partition_produce_response *out)
{
	struct partition *p = partition_find(b, topic_name, pd->index);
	uint8_t *batch = (uint8_t *)pd->records.ptr; /* our frame: writable */
	size_t len = pd->records.len > 0 ? (size_t)pd->records.len : 0;
	int64_t now = clock_wall_ms(), base, dup;
	struct kp_batch h;
	int rc;

	out->index = pd->index;
	if (!p) {
		out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return -1;
	}
	if (len < KP_BATCH_HEADER_LEN || kp_batch_parse(batch, len, &h) ||
	    (size_t)h.batch_length + 12 > len) {
		out->error_code = KERR_CORRUPT_MESSAGE;
		return -1;
	}
	if ((size_t)h.batch_length + 12 < len) {
		out->error_code = KERR_INVALID_RECORD;
		out->error_message = KP_STR("Compressed outer record has more than one batch");
		return -1;
	}
	if ((int64_t)len > p->topic->max_message_bytes) {
		out->error_code = KERR_MESSAGE_TOO_LARGE;
		return -1;
	}
	out->error_code = produce_validate(batch, len, &h, version);
	if (out->error_code != KERR_NONE)
		return -1;
	if (h.attributes & 0x10) {
		out->error_code = KERR_INVALID_TXN_STATE;
		return -1;
	}
	if (plog_status(p->log)) {
		out->error_code = KERR_KAFKA_STORAGE_ERROR;
		return -1;
	}
	if (h.producer_id >= 0) {
		rc = producer_check(p, h.producer_id, h.producer_epoch,
				    h.base_sequence, h.records_count, &dup);
		if (rc == -1) {
			/* A retry of a batch we already have: same answer. */
			out->base_offset = dup;
			out->log_start_offset = produce_log_start(p);
			return dup + h.last_offset_delta + 1;
		}
		if (rc != KERR_NONE) {
			out->error_code = (int16_t)rc;
			return -1;
		}
	}
	rc = plog_append(p->log, batch, len, 0, now, &base);
	if (rc) {
		out->error_code = kerr_from_storage(rc);
		return -1;
	}
	b->appended = true;
	out->log_start_offset = produce_log_start(p);
	if (h.producer_id >= 0)
		producer_update(p, h.producer_id, h.producer_epoch,
				h.base_sequence, h.records_count, base);
	out->base_offset = base;
	if (p->topic->log_append_time)
		out->log_append_time_ms = now;
	return base + h.last_offset_delta + 1;
}

/* 1 when every partition is durable or failed; on expiry the rest time out. */
static int produce_check(struct broker *b, struct produce_state *st,
			 bool expired)
{
	int pending = 0;

	for (int32_t i = 0; i < st->count; i++) {
		struct produce_wait *w = &st->waits[i];
		struct partition *p;
		struct plog_offsets o;

		if (w->target < 0)
			continue;
		p = partition_find(b, w->topic, w->partition);
		if (!p || memcmp(p->topic->id, w->topic_id, 16) != 0) {
			w->out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
			w->target = -1;
			continue;
		}
		if (plog_status(p->log)) {
			w->out->error_code = KERR_KAFKA_STORAGE_ERROR;
			w->target = -1;
			continue;
		}
		plog_offsets(p->log, &o);
		if (o.high_watermark >= w->target) {
			w->target = -1;
		} else if (expired) {
			w->out->error_code = KERR_REQUEST_TIMED_OUT;
			w->target = -1;
		} else {
			pending++;
		}
	}
	return pending == 0;
}

static int produce_resume(struct broker *b, struct req *r, bool expired)
{
	struct produce_state *st = r->hstate;

	if (!produce_check(b, st, expired))
		return 0;
	kp_produce_response_encode(&r->w, r->hdr.request_api_version, &st->resp);
	req_finish(b, r);
	return 1;
}

/* Kafka's order: a transactional id without WRITE on it fails every
 * partition; then WRITE on each topic. Authorization comes before
 * existence, so a denied principal cannot probe topic names. */
static int16_t produce_denied(struct broker *b, struct req *r,
			      const struct kp_produce_request *req,
			      const char *topic)
{
	if (req->transactional_id.ptr &&
	    !api_authorized(b, r, ACL_OP_WRITE, ACL_RT_TRANSACTIONAL_ID,
			    req->transactional_id.ptr))
		return KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
	if (!api_authorized(b, r, ACL_OP_WRITE, ACL_RT_TOPIC, topic))
		return KERR_TOPIC_AUTHORIZATION_FAILED;
	return KERR_NONE;
}

static int produce_build(struct broker *b, struct req *r,
			 const struct kp_produce_request *req,
			 struct produce_state *st, bool *any_error)
{
	int32_t total = 0, k = 0;

	for (int32_t i = 0; i < req->topic_data_count; i++)
		total += req->topic_data[i].partition_data_count;
	st->waits = arena_calloc(&r->arena, (size_t)total + 1, sizeof(*st->waits));
	st->resp.responses = arena_calloc(&r->arena,
					  (size_t)req->topic_data_count + 1,
					  sizeof(*st->resp.responses));
	if (!st->waits || !st->resp.responses)
		return -ENOMEM;
	st->resp.responses_count = req->topic_data_count;
	for (int32_t i = 0; i < req->topic_data_count; i++) {
		const struct kp_produce_request_topic_produce_data *td = &req->topic_data[i];
		struct kp_produce_response_topic_produce_response *tr = &st->resp.responses[i];
		struct topic *t = topic_find(b, td->name.ptr ? td->name.ptr : "");
		int16_t denied = produce_denied(b, r, req, api_name(r, td->name));

		kp_produce_response_topic_produce_response_init(tr);
		tr->name = td->name;
		if (!api_array(r, tr->partition_responses, tr->partition_responses_count,
				       td->partition_data_count))
			return -ENOMEM;
		for (int32_t j = 0; j < td->partition_data_count; j++, k++) {
			struct produce_wait *w = &st->waits[k];
			w->out = &tr->partition_responses[j];
			kp_produce_response_partition_produce_response_init(w->out);
			w->topic = td->name.ptr ? td->name.ptr : "";
			w->partition = td->partition_data[j].index;
			if (t)
				memcpy(w->topic_id, t->id, 16);
			if (denied != KERR_NONE ||
			    (req->acks != 0 && req->acks != 1 && req->acks != -1)) {
				w->out->index = w->partition;
				w->out->error_code = denied != KERR_NONE ? denied
					: KERR_INVALID_REQUIRED_ACKS;
				w->target = -1;
			} else {
				w->target = produce_partition(b, w->topic,
					r->hdr.request_api_version,
					&td->partition_data[j], w->out);
			}
			*any_error |= w->out->error_code != KERR_NONE;
		}
	}
	st->count = k;
	return 0;
}

int api_produce(struct broker *b, struct req *r)
{
	struct kp_produce_request req;
	struct produce_state *st;
	bool any_error = false;
	int rc;

	kp_produce_request_init(&req);
	if (!req_decoded(b, r, kp_produce_request_decode(&r->rd,
			 r->hdr.request_api_version, &r->arena, &req)))
		return 0;
	st = arena_calloc(&r->arena, 1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	kp_produce_response_init(&st->resp);
	rc = produce_build(b, r, &req, st, &any_error);
	if (rc)
		return rc;
	if (req.acks == 0) {
		if (any_error)
			r->reply_flags |= NET_REPLY_CLOSE;
		req_finish_silent(b, r);
		return 0;
	}
	if (req.acks == 1 || produce_check(b, st, false)) {
		kp_produce_response_encode(&r->w, r->hdr.request_api_version,
					   &st->resp);
		req_finish(b, r);
		return 0;
	}
	req_park(b, r, clock_mono_ms() + (req.timeout_ms > 0 ? req.timeout_ms : 0),
		 produce_resume, st);
	return 0;
}
