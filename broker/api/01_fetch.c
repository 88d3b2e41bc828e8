/* 01_fetch.c - Fetch.
 *
 * Versions: 4-12 (12 flexible). 13+ name topics by id (not yet served).
 * State:    ready.
 * ACL:      Read on each topic (TOPIC_AUTHORIZATION_FAILED), checked once
 *           per request, not on every retry of a parked fetch. A fetch with
 *           replica_id >= 0 (a follower) gets TOPIC_AUTHORIZATION_FAILED
 *           until replication exists, which is what Kafka answers a
 *           principal without ClusterAction (CVE-2018-1288 class: requests
 *           do not choose their role).
 * Notes:    long poll: parks until min_bytes are available below the high
 *           watermark or max_wait_ms passes. Limits: max_bytes for the
 *           response, capped by fetch.max.bytes (Kafka's min of the two,
 *           which bounds the memory one request can take: the records
 *           are decrypted into a buffer), partition_max_bytes per
 *           partition, and KIP-74: the
 *           first batch of the first partition with data is returned whole
 *           even when larger than the limits. Incremental fetch sessions
 *           (KIP-227) are declined by answering session id 0, so clients
 *           send full fetches; an unknown session id gets
 *           FETCH_SESSION_ID_NOT_FOUND. No transactions, so the last stable
 *           offset is the high watermark and READ_COMMITTED sees an empty
 *           aborted-transaction list.
 */
#include "broker/api/api.h"

#include <string.h>

#include "base/clock.h"

struct fetch_state {
	struct kp_fetch_request req;
	struct kp_fetch_response resp; /* arrays allocated once, reused */
	size_t **offs;     /* start of each partition's records in data */
	bool *denied;      /* per topic: no Read on it */
	struct buf data;   /* the records of every partition, concatenated */
};

/* Read one partition into st->data; fill out (records set later). */
static void fetch_partition(struct broker *b, struct fetch_state *st,
			    const char *topic, bool denied,
			    const struct kp_fetch_request_fetch_partition *fp,
			    struct kp_fetch_response_partition_data *out,
			    size_t *budget, size_t *off)
{
	struct partition *p = partition_find(b, topic, fp->partition);
	struct plog_offsets o;
	size_t before = st->data.len, limit;
	int rc;

	kp_fetch_response_partition_data_init(out);
	out->partition_index = fp->partition;
	out->records.len = 0;
	*off = before;
	if (denied) {
		out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		return;
	}
	if (!p) {
		out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	if (st->req.replica_id >= 0) {
		out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		return;
	}
	if (fp->current_leader_epoch > 0) {
		out->error_code = KERR_UNKNOWN_LEADER_EPOCH;
		return;
	}
	plog_offsets(p->log, &o);
	out->high_watermark = o.high_watermark;
	out->last_stable_offset = o.high_watermark;
	out->log_start_offset = o.log_start_offset;
	limit = fp->partition_max_bytes > 0 ? (size_t)fp->partition_max_bytes : 0;
	if (limit > *budget)
		limit = *budget;
	/* KIP-74: min_one until some partition returned data. */
	rc = plog_read(p->log, fp->fetch_offset, o.high_watermark, limit,
		       st->data.len == 0, &st->data);
	if (rc) {
		out->error_code = rc == -ERANGE ? KERR_OFFSET_OUT_OF_RANGE
						: kerr_from_storage(rc);
		st->data.len = before;
		return;
	}
	out->records.len = (int32_t)(st->data.len - before);
	*budget -= (size_t)out->records.len > *budget ? *budget
						       : (size_t)out->records.len;
}

/* The response arrays, allocated once per request: a parked fetch is
 * rebuilt on wakes and must not grow its arena each time. */
static int fetch_alloc(struct broker *b, struct req *r, struct fetch_state *st)
{
	const struct kp_fetch_request *req = &st->req;
	struct kp_fetch_response *resp = &st->resp;

	kp_fetch_response_init(resp);
	resp->responses = arena_calloc(&r->arena, (size_t)req->topics_count + 1,
				       sizeof(*resp->responses));
	st->offs = arena_calloc(&r->arena, (size_t)req->topics_count + 1,
				sizeof(*st->offs));
	st->denied = arena_calloc(&r->arena, (size_t)req->topics_count + 1,
				  sizeof(*st->denied));
	if (!resp->responses || !st->offs || !st->denied)
		return -ENOMEM;
	resp->responses_count = req->topics_count;
	for (int32_t i = 0; i < req->topics_count; i++) {
		const struct kp_fetch_request_fetch_topic *ft = &req->topics[i];
		struct kp_fetch_response_fetchable_topic_response *tr =
			&resp->responses[i];
		kp_fetch_response_fetchable_topic_response_init(tr);
		tr->topic = ft->topic;
		st->denied[i] = !api_authorized(b, r, ACL_OP_READ, ACL_RT_TOPIC,
						api_name(r, ft->topic));
		tr->partitions = arena_calloc(&r->arena,
			(size_t)ft->partitions_count + 1, sizeof(*tr->partitions));
		st->offs[i] = arena_calloc(&r->arena,
			(size_t)ft->partitions_count + 1, sizeof(size_t));
		if (!tr->partitions || !st->offs[i])
			return -ENOMEM;
		tr->partitions_count = ft->partitions_count;
	}
	return 0;
}

static int fetch_build(struct broker *b, struct req *r, struct fetch_state *st,
		       bool *errors)
{
	const struct kp_fetch_request *req = &st->req;
	struct kp_fetch_response *resp = &st->resp;
	int32_t max = req->max_bytes < b->cfg->fetch_max_bytes
			  ? req->max_bytes
			  : b->cfg->fetch_max_bytes;
	size_t budget = max > 0 ? (size_t)max : 0;
	size_t **offs = st->offs;

	buf_clear(&st->data);
	for (int32_t i = 0; i < req->topics_count; i++) {
		const struct kp_fetch_request_fetch_topic *ft = &req->topics[i];
		struct kp_fetch_response_fetchable_topic_response *tr =
			&resp->responses[i];
		for (int32_t j = 0; j < ft->partitions_count; j++) {
			fetch_partition(b, st, api_name(r, ft->topic),
					st->denied[i],
					&ft->partitions[j], &tr->partitions[j],
					&budget, &offs[i][j]);
			*errors |= tr->partitions[j].error_code != KERR_NONE;
		}
	}
	if (st->data.err)
		return st->data.err;
	/* Point each partition's records into the (now final) data buffer. */
	for (int32_t i = 0; i < req->topics_count; i++) {
		struct kp_fetch_response_fetchable_topic_response *tr =
			&resp->responses[i];
		for (int32_t j = 0; j < tr->partitions_count; j++) {
			struct kp_fetch_response_partition_data *pd =
				&tr->partitions[j];
			pd->records.ptr = st->data.data ? st->data.data + offs[i][j]
							: (const uint8_t *)"";
			pd->aborted_transactions_count =
				req->isolation_level == 1 ? 0 : -1;
		}
	}
	return 0;
}

/* A cheap test before rebuilding a parked fetch: does any partition have
 * data below its high watermark at the requested offset? */
static bool fetch_has_data(struct broker *b, struct req *r,
			   const struct fetch_state *st)
{
	const struct kp_fetch_request *req = &st->req;

	if (req->replica_id >= 0)
		return true; /* an error to report */
	for (int32_t i = 0; i < req->topics_count; i++) {
		const struct kp_fetch_request_fetch_topic *ft = &req->topics[i];
		if (st->denied[i] && ft->partitions_count > 0)
			return true;
		for (int32_t j = 0; j < ft->partitions_count; j++) {
			struct partition *p = partition_find(b,
				api_name(r, ft->topic), ft->partitions[j].partition);
			struct plog_offsets o;
			if (!p)
				return true; /* an error to report */
			plog_offsets(p->log, &o);
			int64_t off = ft->partitions[j].fetch_offset;
			if (o.high_watermark > off || plog_status(p->log) ||
			    off < o.log_start_offset || off > o.log_end_offset)
				return true;
		}
	}
	return false;
}

/* Build the response; returns 1 when it was sent, 0 to keep waiting. */
static int fetch_attempt(struct broker *b, struct req *r, bool final)
{
	struct fetch_state *st = r->hstate;
	bool errors = false;
	int rc;

	if (!final && !fetch_has_data(b, r, st))
		return 0;
	rc = fetch_build(b, r, st, &errors);
	if (rc) {
		buf_fini(&st->data);
		req_fail_close(b, r);
		return 1;
	}
	if (!final && !errors && st->data.len < (size_t)st->req.min_bytes)
		return 0;
	kp_fetch_response_encode(&r->w, r->hdr.request_api_version, &st->resp);
	buf_fini(&st->data);
	req_finish(b, r);
	return 1;
}

static void fetch_state_fini(void *hstate)
{
	struct fetch_state *st = hstate;

	buf_fini(&st->data);
}

static int fetch_resume(struct broker *b, struct req *r, bool expired)
{
	return fetch_attempt(b, r, expired);
}

/* Session errors end the request before any partition is read. */
static bool fetch_session_error(struct broker *b, struct req *r,
				const struct kp_fetch_request *req)
{
	struct kp_fetch_response resp;

	kp_fetch_response_init(&resp);
	if (req->session_id != 0)
		resp.error_code = KERR_FETCH_SESSION_ID_NOT_FOUND;
	else if (req->session_epoch > 0)
		resp.error_code = KERR_INVALID_FETCH_SESSION_EPOCH;
	else
		return false;
	kp_fetch_response_encode(&r->w, r->hdr.request_api_version, &resp);
	req_finish(b, r);
	return true;
}

int api_fetch(struct broker *b, struct req *r)
{
	struct fetch_state *st = arena_calloc(&r->arena, 1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	kp_fetch_request_init(&st->req);
	if (!req_decoded(b, r, kp_fetch_request_decode(&r->rd,
			 r->hdr.request_api_version, &r->arena, &st->req)))
		return 0;
	if (fetch_session_error(b, r, &st->req))
		return 0;
	buf_init(&st->data, 0);
	r->hstate = st;
	r->hstate_fini = fetch_state_fini;
	if (fetch_alloc(b, r, st))
		return -ENOMEM;
	if (fetch_attempt(b, r, st->req.max_wait_ms <= 0))
		return 0;
	req_park(b, r, clock_mono_ms() + st->req.max_wait_ms, fetch_resume, st);
	return 0;
}
