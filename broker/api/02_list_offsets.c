/* 02_list_offsets.c - ListOffsets.
 *
 * Versions: 1-8 (6+ flexible). v0's old-style offset arrays are not
 *           served; every client we serve sends v1 or newer.
 * State:    ready.
 * ACL:      Describe on the topic (TOPIC_AUTHORIZATION_FAILED).
 * Notes:    timestamp -1 latest (the high watermark: nothing beyond it is
 *           readable), -2 earliest (the log start offset), -3 the record
 *           with the largest timestamp (v7+), otherwise the first record
 *           whose timestamp reaches the target (-1/-1 when none does).
 *           The log finds the batch; the record inside it is found by
 *           reading the batch (decompressing it if need be), as Kafka
 *           does. The leader epoch is 0: partitions never change leader
 *           on one node.
 */
#include "broker/api/api.h"

#include "proto/batch.h"

#define LO_LATEST (-1)
#define LO_EARLIEST (-2)
#define LO_MAX_TIMESTAMP (-3)

/* The first record of the batch at data with offset >= min_off and a
 * timestamp >= target (== target when exact). 0 or -ENOENT, or -errno. */
static int lo_scan_batch(const struct buf *data, struct buf *scratch,
			 int64_t min_off, int64_t target, bool exact,
			 int64_t *off, int64_t *ts, int64_t *next)
{
	struct kp_record_iter it;
	struct kp_record rec;
	struct kp_batch h;
	bool log_append;

	if (kp_batch_parse(data->data, data->len, &h) ||
	    kp_batch_records(&it, data->data, data->len, &h, API_INFLATE_MAX,
			     scratch))
		return -EBADMSG;
	log_append = h.attributes & KP_BATCH_TIMESTAMP_LOG_APPEND;
	*next = h.base_offset + h.last_offset_delta + 1;
	while (kp_record_iter_next(&it, &rec) == 1) {
		int64_t o = h.base_offset + rec.offset_delta;
		int64_t t = log_append ? h.max_timestamp
				       : h.base_timestamp + rec.timestamp_delta;
		if (o >= min_off && (exact ? t == target : t >= target)) {
			*off = o;
			*ts = t;
			return 0;
		}
	}
	return -ENOENT;
}

/* The log answers by batch, Kafka by record: scan from the batch holding
 * start until a record qualifies or the high watermark. */
static int lo_find_record(struct plog *log, int64_t start, int64_t min_off,
			  int64_t hw, int64_t target, bool exact,
			  int64_t *off, int64_t *ts)
{
	struct buf data, scratch;
	int rc = -ENOENT;

	buf_init(&data, 0);
	buf_init(&scratch, 0);
	while (start < hw) {
		int64_t next = hw;
		buf_clear(&data);
		rc = plog_read(log, start, hw, 1, true, &data);
		if (!rc && data.len == 0)
			rc = -ENOENT;
		if (!rc)
			rc = lo_scan_batch(&data, &scratch, min_off, target,
					   exact, off, ts, &next);
		if (rc != -ENOENT || next <= start)
			break;
		start = next;
	}
	buf_fini(&data);
	buf_fini(&scratch);
	return rc;
}

static void lo_partition(struct broker *b, const char *topic, bool denied,
			 const struct kp_list_offsets_request_list_offsets_partition *rp,
			 struct kp_list_offsets_response_list_offsets_partition_response *out)
{
	struct partition *p;
	struct plog_offsets o;
	int64_t off, ts;
	int rc = 0;

	kp_list_offsets_response_list_offsets_partition_response_init(out);
	out->partition_index = rp->partition_index;
	out->error_code = api_partition_check(b, topic, rp->partition_index,
					      denied, rp->current_leader_epoch,
					      &p);
	if (out->error_code != KERR_NONE)
		return;
	plog_offsets(p->log, &o);
	out->leader_epoch = 0;
	switch (rp->timestamp) {
	case LO_LATEST:
		out->offset = o.high_watermark;
		return;
	case LO_EARLIEST:
		out->offset = o.log_start_offset;
		return;
	case LO_MAX_TIMESTAMP:
		rc = plog_max_timestamp(p->log, &off, &ts);
		if (!rc)
			rc = lo_find_record(p->log, off, o.log_start_offset,
					    o.high_watermark, ts, true, &off, &ts);
		break;
	default:
		if (rp->timestamp < 0) {
			out->error_code = KERR_INVALID_REQUEST;
			return;
		}
		rc = plog_offset_for_time(p->log, rp->timestamp, &off, &ts);
		if (!rc)
			rc = lo_find_record(p->log, off, o.log_start_offset,
					    o.high_watermark, rp->timestamp,
					    false, &off, &ts);
		break;
	}
	if (rc == -ENOENT || (rc == 0 && off >= o.high_watermark))
		return; /* -1 / -1: no such record */
	if (rc) {
		out->error_code = kerr_from_storage(rc);
		return;
	}
	out->offset = off;
	out->timestamp = ts;
}

int api_list_offsets(struct broker *b, struct req *r)
{
	struct kp_list_offsets_request req;
	struct kp_list_offsets_response resp;
	int16_t ver = r->hdr.request_api_version;
	bool denied;

	kp_list_offsets_request_init(&req);
	if (!req_decoded(b, r, kp_list_offsets_request_decode(&r->rd, ver,
							      &r->arena, &req)))
		return 0;
	kp_list_offsets_response_init(&resp);
	if (!api_array(r, resp.topics, resp.topics_count, req.topics_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req.topics_count; i++) {
		const struct kp_list_offsets_request_list_offsets_topic *rt =
			&req.topics[i];
		struct kp_list_offsets_response_list_offsets_topic_response *tr =
			&resp.topics[i];
		kp_list_offsets_response_list_offsets_topic_response_init(tr);
		tr->name = rt->name;
		if (!api_array(r, tr->partitions, tr->partitions_count,
				       rt->partitions_count))
			return -ENOMEM;
		denied = !api_authorized(b, r, ACL_OP_DESCRIBE, ACL_RT_TOPIC,
					 api_name(r, rt->name));
		for (int32_t j = 0; j < rt->partitions_count; j++)
			lo_partition(b, api_name(r, rt->name), denied,
				     &rt->partitions[j], &tr->partitions[j]);
	}
	kp_list_offsets_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
