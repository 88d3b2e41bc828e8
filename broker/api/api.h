/* api.h - one handler per Kafka API, each in broker/api/NN_<name>.c.
 *
 * A handler is called by dispatch_request() with the response header
 * already written to r->out and r->rd positioned at the request body. It
 * decodes the body (kp_<api>_request_decode + req_decoded), does the work,
 * encodes the response body into r->w and calls req_finish() -- or parks
 * the request (req_park) and finishes it later. It returns 0, or a
 * negative errno after which the connection is closed (only for requests
 * that cannot be answered, such as malformed bodies).
 */
#ifndef SEALOG_BROKER_API_API_H
#define SEALOG_BROKER_API_API_H

#include "auth/acl.h"
#include "auth/audit.h"
#include "broker/broker.h"
#include "proto/kerr.h"

struct audit_ctx;

int api_produce(struct broker *b, struct req *r);
int api_fetch(struct broker *b, struct req *r);
int api_list_offsets(struct broker *b, struct req *r);
int api_metadata(struct broker *b, struct req *r);
int api_api_versions(struct broker *b, struct req *r);
int api_create_topics(struct broker *b, struct req *r);
int api_delete_topics(struct broker *b, struct req *r);
int api_delete_records(struct broker *b, struct req *r);
int api_init_producer_id(struct broker *b, struct req *r);
int api_offset_for_leader_epoch(struct broker *b, struct req *r);
int api_describe_configs(struct broker *b, struct req *r);
int api_alter_configs(struct broker *b, struct req *r);
int api_create_partitions(struct broker *b, struct req *r);
int api_incremental_alter_configs(struct broker *b, struct req *r);
int api_describe_cluster(struct broker *b, struct req *r);
int api_offset_commit(struct broker *b, struct req *r);
int api_offset_fetch(struct broker *b, struct req *r);
int api_find_coordinator(struct broker *b, struct req *r);
int api_join_group(struct broker *b, struct req *r);
int api_heartbeat(struct broker *b, struct req *r);
int api_leave_group(struct broker *b, struct req *r);
int api_sync_group(struct broker *b, struct req *r);
int api_describe_groups(struct broker *b, struct req *r);
int api_list_groups(struct broker *b, struct req *r);
int api_delete_groups(struct broker *b, struct req *r);
int api_offset_delete(struct broker *b, struct req *r);
int api_sasl_handshake(struct broker *b, struct req *r);
int api_sasl_authenticate(struct broker *b, struct req *r);
int api_describe_user_scram_credentials(struct broker *b, struct req *r);
int api_alter_user_scram_credentials(struct broker *b, struct req *r);
int api_describe_acls(struct broker *b, struct req *r);
int api_create_acls(struct broker *b, struct req *r);
int api_delete_acls(struct broker *b, struct req *r);

/* Shared by handlers. */

/* Most a compressed batch may decompress to when the broker reads its
 * records (produce validation, timestamp lookups): a bound on what a
 * small compressed request can make the broker allocate
 * (reliability.md C2), far above what any real batch needs. */
#define API_INFLATE_MAX ((size_t)100 << 20)

/* The advertised endpoint of the listener this request came in on. */
const struct listener_cfg *api_advertised(const struct broker *b,
					  const struct req *r);
/* The checks every per-partition read request makes first, in Kafka's
 * order: authorization (denied), existence, the client's leader epoch
 * (ours is always 0), the log's health. KERR_NONE with *out set, or the
 * partition's error code. */
int16_t api_partition_check(struct broker *b, const char *topic,
			    int32_t partition, bool denied,
			    int32_t current_leader_epoch,
			    struct partition **out);
/* A C string copy of a decoded name (arena), for lookups. */
const char *api_name(struct req *r, struct kp_str s);

/* Allocate a response array of n elements in r's arena, zeroed, and set
 * its count: arr = n + 1 elements (so that n = 0 still gets a pointer)
 * and count = n. False on ENOMEM (count untouched). */
#define api_array(r, arr, count, n)                                        \
	(((arr) = arena_calloc(&(r)->arena, (size_t)(n) + 1,               \
			       sizeof(*(arr)))) != NULL                    \
	     ? ((count) = (n), true)                                       \
	     : false)

/* --- authorization (authorize.c) -------------------------------------------
 * true when the request's principal, from its client address, may do op
 * on the resource; always true without an authorizer. Decisions are
 * cached per connection and follow every ACL change at once. A denial
 * is written to the audit log (allows too with
 * audit.log.authorization.allows=true). The handler then answers Kafka's
 * error: TOPIC_/GROUP_/CLUSTER_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED. */
bool api_authorized(struct broker *b, struct req *r, enum acl_op op,
		    enum acl_rtype rtype, const char *name);
/* The same without auditing a denial: for filtering what a list shows
 * (Metadata for all topics, ListGroups), as Kafka's logIfDenied=false. */
bool api_authorized_quiet(struct broker *b, struct req *r, enum acl_op op,
			  enum acl_rtype rtype, const char *name);
/* op on the cluster resource (kafka-cluster). */
bool api_authorized_cluster(struct broker *b, struct req *r, enum acl_op op);
/* op on some resource of rtype (Authorizer.authorizeByResourceType, for
 * InitProducerId: IDEMPOTENT_WRITE on the cluster or WRITE on any topic). */
bool api_authorized_any(struct broker *b, struct req *r, enum acl_op op,
			enum acl_rtype rtype);
/* Kafka's authorized-operations bitfield for a topic, group or the
 * cluster (Metadata, DescribeCluster, DescribeGroups): bit n set when
 * AclOperation n is allowed; checked quietly. */
int32_t api_authorized_ops(struct broker *b, struct req *r,
			   enum acl_rtype rtype, const char *name);
/* Audit a topic change ("create", "delete", "create_partitions",
 * "delete_records") with its outcome; a no-op without an audit log. */
void api_audit_topic(struct broker *b, struct req *r, const char *action,
		     const char *topic, const char *detail, int16_t code);
/* Audit config changes of a resource ("topic", "broker"). */
void api_audit_config(struct broker *b, struct req *r, const char *type,
		      const char *name, const struct audit_kv *kvs,
		      size_t count, int16_t code);
/* DescribeConfigs / AlterConfigs / IncrementalAlterConfigs: op on a
 * config resource of Kafka's ConfigResource type (2 topic, 4 broker,
 * 8 broker logger) named name. KERR_NONE, INVALID_REQUEST (a NUL byte
 * in the name: it cannot name anything), TOPIC_AUTHORIZATION_FAILED or
 * CLUSTER_AUTHORIZATION_FAILED. */
int16_t api_config_denied(struct broker *b, struct req *r, enum acl_op op,
			  int8_t resource_type, struct kp_str name);
/* The audit context of r (principal, client, listener, API, client id)
 * for audit_acl/audit_topic/audit_config/audit_user. */
void api_audit_ctx(const struct broker *b, const struct req *r,
		   struct audit_ctx *out);
/* A decoded ACL string for auth/: false when it holds a NUL byte (then
 * it cannot name anything stored); *out NULL for the null string. */
bool api_acl_str(struct kp_str s, const char **out);

#endif
