/* dispatch.c - the API table and request dispatch.
 *
 * The table is the single source of truth for what the broker serves:
 * ApiVersions answers from it, dispatch checks versions and session
 * states against it. Version ranges are those the handlers implement; the
 * minimums reach down to the oldest versions the clients we promise to
 * serve still send (see README: client compatibility).
 *
 * Unknown API keys and unsupported versions close the connection, as
 * Kafka does, except ApiVersions, which answers an unsupported version
 * with a v0 UNSUPPORTED_VERSION reply listing what we serve (KIP-511).
 */
#include "broker/api/api.h"

#include "base/log.h"
#include "broker/auth.h"

#define READY SESS_READY

const struct api_entry api_table[API_TABLE_SIZE] = {
	[KP_API_PRODUCE] = { 3, 11, READY, api_produce },
	[KP_API_FETCH] = { 4, 12, READY, api_fetch },
	[KP_API_LIST_OFFSETS] = { 1, 8, READY, api_list_offsets },
	[KP_API_METADATA] = { 0, 12, READY, api_metadata },
	[KP_API_OFFSET_COMMIT] = { 0, 9, READY, api_offset_commit },
	[KP_API_OFFSET_FETCH] = { 0, 9, READY, api_offset_fetch },
	[KP_API_FIND_COORDINATOR] = { 0, 6, READY, api_find_coordinator },
	[KP_API_JOIN_GROUP] = { 0, 9, READY, api_join_group },
	[KP_API_HEARTBEAT] = { 0, 4, READY, api_heartbeat },
	[KP_API_LEAVE_GROUP] = { 0, 5, READY, api_leave_group },
	[KP_API_SYNC_GROUP] = { 0, 5, READY, api_sync_group },
	[KP_API_DESCRIBE_GROUPS] = { 0, 5, READY, api_describe_groups },
	[KP_API_LIST_GROUPS] = { 0, 5, READY, api_list_groups },
	[KP_API_SASL_HANDSHAKE] = { 0, 1, READY | SESS_PREAUTH,
				    api_sasl_handshake },
	[KP_API_API_VERSIONS] = { 0, 4, SESS_ANY, api_api_versions },
	[KP_API_CREATE_TOPICS] = { 2, 7, READY, api_create_topics },
	[KP_API_DELETE_TOPICS] = { 1, 6, READY, api_delete_topics },
	[KP_API_DELETE_RECORDS] = { 0, 2, READY, api_delete_records },
	[KP_API_INIT_PRODUCER_ID] = { 0, 5, READY, api_init_producer_id },
	[KP_API_OFFSET_FOR_LEADER_EPOCH] = { 2, 4, READY,
					     api_offset_for_leader_epoch },
	[KP_API_DESCRIBE_ACLS] = { 0, 3, READY, api_describe_acls },
	[KP_API_CREATE_ACLS] = { 0, 3, READY, api_create_acls },
	[KP_API_DELETE_ACLS] = { 0, 3, READY, api_delete_acls },
	[KP_API_DESCRIBE_CONFIGS] = { 1, 4, READY, api_describe_configs },
	[KP_API_ALTER_CONFIGS] = { 0, 2, READY, api_alter_configs },
	[KP_API_SASL_AUTHENTICATE] = { 0, 2, READY | SESS_SASL_AUTH,
				       api_sasl_authenticate },
	[KP_API_CREATE_PARTITIONS] = { 0, 3, READY, api_create_partitions },
	[KP_API_INCREMENTAL_ALTER_CONFIGS] = { 0, 1, READY,
					       api_incremental_alter_configs },
	[KP_API_DELETE_GROUPS] = { 0, 2, READY, api_delete_groups },
	[KP_API_OFFSET_DELETE] = { 0, 0, READY, api_offset_delete },
	[KP_API_DESCRIBE_USER_SCRAM_CREDENTIALS] = {
		0, 0, READY, api_describe_user_scram_credentials },
	[KP_API_ALTER_USER_SCRAM_CREDENTIALS] = {
		0, 0, READY, api_alter_user_scram_credentials },
	[KP_API_DESCRIBE_CLUSTER] = { 0, 1, READY, api_describe_cluster },
};

bool req_decoded(struct broker *b, struct req *r, int rc)
{
	if (rc == 0 && kp_reader_remaining(&r->rd) == 0)
		return true;
	log_debug("KafkaApis", "closing connection from %s: malformed %s v%d request (%s)",
		  r->sess->peer.addr, kp_api_find(r->hdr.request_api_key)->name,
		  r->hdr.request_api_version,
		  rc ? "decode error" : "trailing bytes");
	req_fail_close(b, r);
	return false;
}

static const struct api_entry *dispatch_lookup(int16_t key)
{
	if (key < 0 || key >= API_TABLE_SIZE || !api_table[key].fn)
		return NULL;
	return &api_table[key];
}

void dispatch_request(struct broker *b, struct req *r)
{
	const struct api_entry *e;
	int16_t key, ver;

	kp_reader_init(&r->rd, r->frame, r->len);
	if (kp_request_header_decode(&r->rd, &r->arena, &r->hdr)) {
		req_fail_close(b, r);
		return;
	}
	/* Before authentication only a few APIs, judged on the header. */
	if (!auth_session_gate(b, r))
		return;
	key = r->hdr.request_api_key;
	ver = r->hdr.request_api_version;
	e = dispatch_lookup(key);
	if (!e || !(e->states & r->sess->state) ||
	    ((ver < e->min_version || ver > e->max_version) &&
	     key != KP_API_API_VERSIONS)) {
		log_debug("KafkaApis", "closing connection from %s: api %d v%d not served in this state",
			  r->sess->peer.addr, key, ver);
		req_fail_close(b, r);
		return;
	}
	r->mark = kp_frame_begin(&r->w);
	kp_response_header_encode(&r->w, key, ver, r->hdr.correlation_id);
	if (e->fn(b, r) < 0 && r->state == REQ_RUNNING)
		req_fail_close(b, r);
}

const struct listener_cfg *api_advertised(const struct broker *b,
					  const struct req *r)
{
	int i = r->sess->listener_id;

	if (i < 0 || i >= b->cfg->listener_count)
		i = 0;
	return &b->cfg->advertised[i];
}

int16_t api_partition_check(struct broker *b, const char *topic,
			    int32_t partition, bool denied,
			    int32_t current_leader_epoch,
			    struct partition **out)
{
	struct partition *p = denied ? NULL
				     : partition_find(b, topic, partition);

	*out = p;
	if (denied)
		return KERR_TOPIC_AUTHORIZATION_FAILED;
	if (!p)
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	if (current_leader_epoch > 0)
		return KERR_UNKNOWN_LEADER_EPOCH;
	if (plog_status(p->log))
		return KERR_KAFKA_STORAGE_ERROR;
	return KERR_NONE;
}

const char *api_name(struct req *r, struct kp_str s)
{
	return s.ptr ? s.ptr : "";
}
