/* 20_delete_topics.c - DeleteTopics.
 *
 * Versions: 1-6 (4+ flexible; 6 names topics by name or id).
 * State:    ready.
 * ACL:      Delete on the topic, else TOPIC_AUTHORIZATION_FAILED, checked
 *           before existence for names (existence is not leaked); a topic
 *           id is resolved first (an unknown one is UNKNOWN_TOPIC_ID).
 *           Deletions are audited.
 * Notes:    delete.topic.enable=false -> TOPIC_DELETION_DISABLED. The logs
 *           are removed before the reply; requests parked on the topic
 *           (produce waiting for durability, long-poll fetches) see it gone
 *           and answer UNKNOWN_TOPIC_OR_PARTITION.
 */
#include "broker/api/api.h"

#include <string.h>

static void dt_one(struct broker *b, struct req *r, struct kp_str name,
		   const struct kp_uuid *id,
		   struct kp_delete_topics_response_deletable_topic_result *out)
{
	struct topic *t;

	kp_delete_topics_response_deletable_topic_result_init(out);
	out->name = name;
	if (name.ptr && !kp_str_has_nul(name) &&
	    !api_authorized(b, r, ACL_OP_DELETE, ACL_RT_TOPIC, name.ptr)) {
		out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		return;
	}
	if (name.ptr)
		t = kp_str_has_nul(name) ? NULL : topic_find(b, name.ptr);
	else
		t = topic_find_id(b, id->b);
	if (t && !name.ptr &&
	    !api_authorized(b, r, ACL_OP_DELETE, ACL_RT_TOPIC, t->name)) {
		out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		return;
	}
	if (!t) {
		out->error_code = name.ptr ? KERR_UNKNOWN_TOPIC_OR_PARTITION
					   : KERR_UNKNOWN_TOPIC_ID;
		return;
	}
	out->name = kp_str_of(arena_strndup(&r->arena, t->name, strlen(t->name)));
	memcpy(out->topic_id.b, t->id, 16);
	if (!b->cfg->delete_topic_enable) {
		out->error_code = KERR_TOPIC_DELETION_DISABLED;
		return;
	}
	out->error_code = topic_delete(b, t);
	api_audit_topic(b, r, "delete", out->name.ptr, NULL, out->error_code);
}

int api_delete_topics(struct broker *b, struct req *r)
{
	struct kp_delete_topics_request req;
	struct kp_delete_topics_response resp;
	int16_t ver = r->hdr.request_api_version;
	int32_t n;

	kp_delete_topics_request_init(&req);
	if (!req_decoded(b, r, kp_delete_topics_request_decode(&r->rd, ver,
							       &r->arena, &req)))
		return 0;
	kp_delete_topics_response_init(&resp);
	n = ver >= 6 ? req.topics_count : req.topic_names_count;
	if (n < 0)
		n = 0;
	if (!api_array(r, resp.responses, resp.responses_count, n))
		return -ENOMEM;
	for (int32_t i = 0; i < n; i++) {
		if (ver >= 6)
			dt_one(b, r, req.topics[i].name, &req.topics[i].topic_id,
			       &resp.responses[i]);
		else
			dt_one(b, r, req.topic_names[i], NULL,
			       &resp.responses[i]);
	}
	kp_delete_topics_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
