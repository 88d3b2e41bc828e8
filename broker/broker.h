/* broker.h - the broker thread: sessions, requests, topics, purgatory.
 *
 * Threads (see README.md):
 *   net loop  - io_uring I/O only; hands frames to the broker through
 *               b->inbox (base/chan.h) and sends what the broker replies.
 *   broker    - owns every piece of Kafka state below: sessions, topics,
 *               partition logs, producer state, parked requests. Runs the
 *               API handlers. May touch the disk (pwrite/pread, LMDB), never
 *               a socket; never waits for an fsync (the storage sync thread
 *               does those and wakes it).
 *   sync      - inside storage/: group-commit fdatasync.
 * Nothing here is locked: only the broker thread touches it.
 *
 * A request's life: net on_frame -> inbox -> broker_handle_frame() ->
 * dispatch (header decode, version and state checks) -> handler, which
 * either finishes it (req_finish) or parks it (req_park) until an event
 * (new data, durable data) or its deadline. Replies leave in request order
 * per connection: a finished request waits behind an unfinished older one.
 */
#ifndef SEALOG_BROKER_BROKER_H
#define SEALOG_BROKER_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/chan.h"
#include "base/hmap.h"
#include "broker/config.h"
#include "net/net.h"
#include "proto/kp_codec.h"
#include "proto/kp_gen.h"
#include "storage/plog.h"

struct storage;
struct meta;
struct producers;
struct group_writer;
struct authz;
struct authz_cache;
struct authz_config;
struct audit;
struct broker_auth;
struct session_auth;

/* Session states gate which APIs a connection may call (dispatch table). */
enum session_state {
	SESS_NONE = 0,          /* nothing may be called (failed login) */
	SESS_READY = 1u << 0,   /* authenticated (or needs no authentication) */
	SESS_PREAUTH = 1u << 1, /* SASL listener before SaslHandshake */
	SESS_SASL_AUTH = 1u << 2, /* SASL exchange after SaslHandshake v1 */
};
#define SESS_ANY (SESS_READY | SESS_PREAUTH)

struct session {
	struct hmap_node hnode;
	uint64_t conn_id;
	int listener_id;
	struct net_peer peer;
	enum session_state state;
	char *principal;        /* "User:ANONYMOUS" until authenticated;
				 * malloc'd, replaced by auth_session.c */
	struct session_auth *auth; /* auth_session.c; NULL on PLAINTEXT */
	struct authz_cache *authz_cache; /* authorize.c; NULL until needed */
	struct req *head, *tail; /* requests in arrival order */
	unsigned refs;          /* 1 while open + 1 per request */
	unsigned held;          /* requests held (req_hold) */
	unsigned queued;        /* requests waiting behind a held one */
	bool dispatching;       /* session_run_queued is on the stack */
	bool closed;
};

/* RUNNING: being handled. PARKED: on b->parked, retried by wakes.
 * HELD: owned by a module that finishes it (group coordinator); later
 * requests of the session are QUEUED until it finishes, like Kafka's
 * muted channel. DONE: answered, waiting for older ones to be sent. */
enum req_state { REQ_RUNNING = 0, REQ_PARKED, REQ_HELD, REQ_QUEUED, REQ_DONE };

struct broker;
typedef int (*req_resume_fn)(struct broker *b, struct req *r, bool expired);

struct req {
	struct chan_node node;  /* inbox link */
	struct session *sess;
	struct req *next;       /* session FIFO */
	uint8_t *frame;         /* the request bytes; owned; record sets in
				 * decoded requests point into it */
	size_t len;
	struct arena arena;     /* everything decoded or built for it */
	struct kp_request_header hdr;
	struct kp_reader rd;    /* positioned at the body after dispatch */
	struct buf out;
	struct kp_writer w;
	size_t mark;            /* frame size placeholder in out */
	enum req_state state;
	bool no_reply;          /* acks=0 produce */
	unsigned reply_flags;   /* NET_REPLY_CLOSE */
	/* parked */
	struct req *park_next;
	int64_t deadline_ms;    /* monotonic */
	req_resume_fn resume;
	void *hstate;           /* the handler's parked state (arena) */
	void (*hstate_fini)(void *hstate); /* releases what hstate holds
					    * outside the arena; may be NULL */
	bool login_admitted;    /* auth_login.c let its PLAIN step run */
};

struct partition {
	struct topic *topic;
	int32_t index;
	struct plog *log;
	struct hmap producers;  /* producer_id -> producer entry (producer.c) */
};

struct topic {
	struct hmap_node hnode;
	char *name;
	uint8_t id[16];
	int32_t partition_count;
	struct partition *partitions;
	struct props *configs;  /* per-topic overrides */
	/* Effective values the produce path reads for every batch, kept
	 * here instead of parsed each time (topic_open, topic_set_configs). */
	int64_t max_message_bytes;
	bool log_append_time;   /* message.timestamp.type=LogAppendTime */
};

struct broker {
	struct broker_config *cfg;
	struct net_loop *net;
	struct storage *storage;
	struct meta *meta;
	struct authz *authz;    /* NULL: no authorizer (authorize.c) */
	struct broker_auth *auth; /* listeners' security (auth.h); main's */
	struct audit *audit;    /* NULL: no audit log */
	struct chan inbox;
	struct hmap sessions;   /* conn_id -> session */
	struct hmap topics;     /* name -> topic */
	struct hmap groups;     /* id -> group (broker/group/) */
	struct group_writer *group_writer; /* offsets.c */
	int64_t groups_next_tick, groups_next_expire;
	struct req *parked;     /* waiting requests, any order */
	bool appended;          /* something was appended since the last kick */
	bool stopping;
	int64_t next_retention_ms;
	int64_t next_producer_expiry_ms; /* producers_expire() due */
	int64_t next_producer_id, producer_id_limit;
	int stop_efd;
};

/* --- lifecycle (broker.c) ---------------------------------------------- */

/* Open storage and metadata, load topics. 0 or -errno (logged). */
int broker_init(struct broker *b, struct broker_config *cfg);
/* The broker thread's loop; returns when broker_stop() was called. */
void broker_run(struct broker *b);
/* Any thread (async-signal-safe). */
void broker_stop(struct broker *b);
void broker_fini(struct broker *b);
/* The net callbacks that feed b->inbox (ctx = b). */
extern const struct net_callbacks broker_net_callbacks;

/* Drop a reference; frees the session at zero. */
void session_unref(struct session *s);

/* --- authorizer and audit log (authorize.c) ----------------------------- */

/* Kafka's authorizer keys of cfg (authorizer.class.name, super.users,
 * allow.everyone.if.no.acl.found) into out: 0, -ENOMEM, or -EINVAL with
 * err naming the key (a startup error: exit 2). Any thread. */
int broker_authz_config(const struct broker_config *cfg,
			struct authz_config *out, char *err, size_t errlen);
/* Check every authorizer and audit.log.* key of cfg without side effects
 * (for main to exit 2 before anything starts): 0, -ENOMEM, or -EINVAL
 * with err naming the key. Any thread. */
int broker_authz_check(const struct broker_config *cfg, char *err,
		       size_t errlen);
/* After meta_open(): the authorizer (ACLs loaded from b->meta) and the
 * audit log (audit.log.* keys). 0 or -errno, logged naming the key. */
int broker_authz_init(struct broker *b);
void broker_authz_fini(struct broker *b);
/* Call after changing s->principal (SASL, re-authentication). */
void broker_authz_principal_changed(struct session *s);
/* Audit an authentication of session s (mechanism "PLAIN", "SCRAM-SHA-256",
 * "SSL"); reason must not contain secrets. */
void broker_audit_authn(struct broker *b, const struct session *s,
			const char *mechanism, bool ok, const char *reason);

/* --- requests (req.c) --------------------------------------------------- */

/* Complete r: patch the frame size and release replies in order. */
void req_finish(struct broker *b, struct req *r);
/* Complete r without a reply (acks=0). */
void req_finish_silent(struct broker *b, struct req *r);
/* Close the connection instead of answering (malformed request). */
void req_fail_close(struct broker *b, struct req *r);
/* Park r until resume(b, r, false) returns 1 after a wake, or until
 * deadline_ms (monotonic) when resume(b, r, true) must finish it. */
void req_park(struct broker *b, struct req *r, int64_t deadline_ms,
	      req_resume_fn resume, void *state);
/* Hold r: the caller keeps it and finishes it later (req_finish ...).
 * Until then, later requests of its session are queued, not handled. */
void req_hold(struct broker *b, struct req *r);
/* Undo req_hold before the holder runs r again (not finished yet). */
void req_unhold(struct req *r);
/* Handle the session's queued requests once nothing is held. */
void session_run_queued(struct broker *b, struct session *s);
/* Offer every parked request another try (data or durability moved). */
void req_wake_parked(struct broker *b);
/* Expire parked requests whose deadline passed; returns the earliest
 * remaining deadline or INT64_MAX. */
int64_t req_expire_parked(struct broker *b, int64_t now_ms);
/* Free a request and drop its session reference. */
void req_free(struct broker *b, struct req *r);

/* --- dispatch (dispatch.c) ---------------------------------------------- */

typedef int (*api_fn)(struct broker *b, struct req *r);

struct api_entry {
	int16_t min_version, max_version;
	unsigned states; /* enum session_state bits allowed */
	api_fn fn;
};

#define API_TABLE_SIZE 70
extern const struct api_entry api_table[API_TABLE_SIZE];

/* Decode the header and run the handler. */
void dispatch_request(struct broker *b, struct req *r);

/* For handlers: true when the body was fully consumed (no trailing bytes);
 * otherwise the connection is closed and false returned. */
bool req_decoded(struct broker *b, struct req *r, int rc);

/* --- topics (topics.c) -------------------------------------------------- */

struct topic *topic_find(struct broker *b, const char *name);
struct topic *topic_find_id(struct broker *b, const uint8_t id[16]);
struct partition *partition_find(struct broker *b, const char *topic,
				 int32_t index);
/* Kafka's topic-name rule: 1..249 of [a-zA-Z0-9._-], not "." or "..".
 * Returns KERR_NONE or KERR_INVALID_TOPIC_EXCEPTION with *why set. */
int16_t topic_name_check(const char *name, int32_t len, const char **why);
/* Create and persist. Returns a Kafka error code; *msg may be set. */
int16_t topic_create(struct broker *b, const char *name, int32_t partitions,
		     struct props *configs, bool validate_only,
		     const char **msg);
int16_t topic_delete(struct broker *b, struct topic *t);
int16_t topic_add_partitions(struct broker *b, struct topic *t,
			     int32_t new_count, bool validate_only,
			     const char **msg);
/* Validate every key/value of a topic config set: KERR_NONE or
 * KERR_INVALID_CONFIG with *msg (valid until the next call). */
int16_t topic_configs_check(const struct broker *b, struct props *configs,
			    const char **msg);
/* Persist the topic's configs (after AlterConfigs) and apply them; takes
 * ownership of configs. */
int16_t topic_set_configs(struct broker *b, struct topic *t,
			  struct props *configs);
/* Load every topic from the metadata store and open its logs. */
int topics_load(struct broker *b);
void topics_close_all(struct broker *b);
/* The plog_config a topic gets from its overrides + broker defaults. */
void topic_plog_config(const struct broker *b, const struct topic *t,
		       struct plog_config *pc);
/* Effective int64 topic config value. */
int64_t topic_config_long(const struct broker *b, const struct topic *t,
			  const char *name);
/* Effective topic config value as a string (never NULL). */
const char *topic_config_str(const struct broker *b, const struct topic *t,
			     const char *name);
/* Run retention on every partition. */
void topics_retention(struct broker *b, int64_t now_ms);

/* Map a storage -errno to the partition's Kafka error code. */
int16_t kerr_from_storage(int rc);

/* --- producer ids and idempotence (producer.c) ------------------------- */

/* Allocate a new producer id (blocks of ids persisted in LMDB).
 * 0 or -errno. */
int producer_id_alloc(struct broker *b, int64_t *id);

/* Check a batch's (producer id, epoch, sequence) against the partition's
 * state before appending. Returns KERR_NONE (append it), a Kafka error,
 * or -1 with *dup_offset set when it duplicates one of the last five
 * batches (answer success with that base offset, append nothing). */
int producer_check(struct partition *p, int64_t pid, int16_t epoch,
		   int32_t first_seq, int32_t count, int64_t *dup_offset);
/* Record an appended batch. */
void producer_update(struct partition *p, int64_t pid, int16_t epoch,
		     int32_t first_seq, int32_t count, int64_t base_offset);
/* Rebuild from the active segment after opening a partition. */
void producer_recover(struct partition *p);
/* Drop every partition's producer state idle for producer.id.expiration.ms
 * (monotonic now_ms); returns how many went. */
size_t producers_expire(struct broker *b, int64_t now_ms);
void producer_free_all(struct partition *p);

#endif
