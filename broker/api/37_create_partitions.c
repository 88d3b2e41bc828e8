/* 37_create_partitions.c - CreatePartitions.
 *
 * Versions: 0-3 (2+ flexible).
 * State:    ready.
 * ACL:      Alter on the topic, else TOPIC_AUTHORIZATION_FAILED (before
 *           existence). Changes (not validate_only) are audited.
 * Notes:    the count can only grow (INVALID_PARTITIONS otherwise, with
 *           Kafka's message); assignments may only name this node.
 */
#include "broker/api/api.h"

#include <stdio.h>
#include <string.h>

static int16_t cp_assignments_ok(struct broker *b,
				 const struct kp_create_partitions_request_create_partitions_topic *ct)
{
	for (int32_t i = 0; i < ct->assignments_count; i++) {
		const struct kp_create_partitions_request_create_partitions_assignment *a =
			&ct->assignments[i];
		if (a->broker_ids_count != 1 || a->broker_ids[0] != b->cfg->node_id)
			return KERR_INVALID_REPLICA_ASSIGNMENT;
	}
	return KERR_NONE;
}

static void cp_apply(struct broker *b, struct req *r, struct topic *t,
		     const struct kp_create_partitions_request_create_partitions_topic *ct,
		     bool validate_only, const char **msg,
		     struct kp_create_partitions_response_create_partitions_topic_result *out)
{
	char detail[32];

	out->error_code = topic_add_partitions(b, t, ct->count, validate_only,
					       msg);
	if (validate_only)
		return;
	snprintf(detail, sizeof(detail), "partitions=%d", ct->count);
	api_audit_topic(b, r, "create_partitions", t->name, detail,
			out->error_code);
}

int api_create_partitions(struct broker *b, struct req *r)
{
	struct kp_create_partitions_request req;
	struct kp_create_partitions_response resp;
	int16_t ver = r->hdr.request_api_version;

	kp_create_partitions_request_init(&req);
	if (!req_decoded(b, r, kp_create_partitions_request_decode(&r->rd, ver,
								   &r->arena, &req)))
		return 0;
	kp_create_partitions_response_init(&resp);
	if (!api_array(r, resp.results, resp.results_count, req.topics_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req.topics_count; i++) {
		const struct kp_create_partitions_request_create_partitions_topic *ct =
			&req.topics[i];
		struct kp_create_partitions_response_create_partitions_topic_result *out =
			&resp.results[i];
		struct topic *t = kp_str_has_nul(ct->name) ? NULL
				  : topic_find(b, api_name(r, ct->name));
		const char *msg = NULL;

		kp_create_partitions_response_create_partitions_topic_result_init(out);
		out->name = ct->name;
		if (!kp_str_has_nul(ct->name) &&
		    !api_authorized(b, r, ACL_OP_ALTER, ACL_RT_TOPIC,
				    api_name(r, ct->name)))
			out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		else if (!t)
			out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		else if ((out->error_code = cp_assignments_ok(b, ct)) == KERR_NONE)
			cp_apply(b, r, t, ct, req.validate_only, &msg, out);
		if (msg)
			out->error_message = kp_str_of(arena_strndup(&r->arena,
							msg, strlen(msg)));
	}
	kp_create_partitions_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
