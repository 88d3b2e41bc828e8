/* auth.h - the broker's side of authentication: each listener's security
 * (TLS transport, mTLS principal rules, SASL mechanisms and users) read
 * from Kafka's keys, and the per-connection authentication state machine
 * (auth_session.c) that gates what a session may call.
 *
 * Keys (each may be given per listener as listener.name.<listener in
 * lower case>.<key>, which wins; see also tls_config.h for ssl.*):
 *   sasl.enabled.mechanisms          PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
 *                                    (Kafka's default GSSAPI and
 *                                    OAUTHBEARER are refused: exit 2)
 *   <mech>.sasl.jaas.config          listener-prefixed only, as Kafka:
 *                                    PlainLoginModule user_<name>="<pw>"
 *                                    define PLAIN users
 *   KAFKA_OPTS -Djava.security.auth.login.config=<file>
 *                                    sections <listener>.KafkaServer,
 *                                    then KafkaServer (Kafka's order)
 *   sasl.jaas.config                 last resort for PLAIN users (Kafka
 *                                    ignores it on brokers; we read it
 *                                    with an INFO line rather than
 *                                    refuse a listener Kafka would not
 *                                    start)
 *   sasl.server.max.receive.size     frame cap before authentication
 *                                    (524288)
 *   connections.max.reauth.ms        KIP-368 session lifetime (0 = off;
 *                                    also listener.name.<l>.<mech>.)
 *   connection.failed.authentication.delay.ms   (100) before a failed
 *                                    login's answer and close
 *   sasl.server.authentication.timeout.ms       ours (10000): a SASL
 *                                    connection not authenticated this
 *                                    long after accept is closed
 *   log.encryption.key.file          the keyring that seals SCRAM
 *                                    credentials (storage/keyring.h)
 * A configuration error is one message "<key or file>: <what>" for the
 * caller to print before exiting with 2. SASL_PLAINTEXT listeners are
 * served (Kafka does) with a WARN that credentials cross in the clear.
 *
 * Threads: broker_auth_create/open_store/destroy on the main thread
 * before or after the other threads run; broker_auth_reload from the
 * signal thread (TLS reload is thread-safe); auth_net_* on the net loop
 * thread only; every auth_session_* on the broker thread only.
 */
#ifndef SEALOG_BROKER_AUTH_H
#define SEALOG_BROKER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hmap.h"
#include "proto/kp_codec.h"
#include "broker/config.h"

struct broker;
struct session;
struct req;
struct meta;
struct xprt_factory;
struct xprt_tls;
struct principal_rules;
struct authn;
struct credstore;
struct keyring;
struct buf;
struct session_auth;

#define AUTH_MAX_RECEIVE_DEFAULT 524288
#define AUTH_FAIL_DELAY_DEFAULT_MS 100
#define AUTH_TIMEOUT_DEFAULT_MS 10000

struct listener_auth {
	enum sec_proto proto;
	struct xprt_tls *tls;	       /* SSL, SASL_SSL */
	struct principal_rules *rules; /* SSL: mTLS principal mapping */
	struct authn *authn;	       /* SASL_PLAINTEXT, SASL_SSL */
	int64_t reauth_ms[3];	       /* per authn mechanism bit index */
	size_t max_receive;	       /* frame cap before authentication */
};

struct broker_auth {
	struct listener_auth l[CONFIG_MAX_LISTENERS];
	int count;
	int64_t fail_delay_ms;
	int64_t timeout_ms;
	struct meta *meta;
	struct keyring *kr;
	struct credstore *store;
	/* net loop thread only: TLS connections whose peer identity is read
	 * at their first frame (auth_net_*). */
	struct hmap pending_ident;
	/* broker thread only: sessions not yet authenticated, in deadline
	 * order (deadline = accept + timeout_ms, so FIFO is sorted). */
	struct session_auth *wait_head, *wait_tail;
	/* broker thread only: PLAIN steps waiting for the login budget
	 * (auth_login.c), linked through park_next. */
	struct req *login_head, *login_tail;
	int64_t login_tokens_ns, login_refill_ns;
};

/* --- configuration (auth_config.c) ---------------------------------------- */

/* Every listener's security from cfg: TLS transports (files read now),
 * principal rules, SASL mechanisms and JAAS users. 0 and *out, or
 * -EINVAL / -ENOENT / -EACCES / -ENOTSUP / -ENOMEM with err = "<key or
 * file>: <message>". */
int broker_auth_create(const struct broker_config *cfg,
		       struct broker_auth **out, char *err, size_t errlen);

/* After meta_open(): the SCRAM store in m, sealed with the keyring of
 * the log directory (cfg's log.encryption.key.file or the embedded
 * default, which storage_open() created). 0 or -errno (logged). */
int broker_auth_open_store(struct broker_auth *ba,
			   const struct broker_config *cfg, struct meta *m);

/* The key file of cfg's log directory (log.encryption.key.file or
 * <log dir>/encryption.keys) into out. 0 or -ENAMETOOLONG. */
int broker_auth_key_file(const struct broker_config *cfg, char *out,
			 size_t cap);

/* The transport for listener i (NULL = plain TCP). */
struct xprt_factory *broker_auth_factory(struct broker_auth *ba, int i);

/* SIGHUP: reload every TLS listener's certificates; failures keep the
 * old ones and are logged naming the key or file. Returns the number of
 * listeners that failed. */
int broker_auth_reload(struct broker_auth *ba, const struct broker_config *cfg);

void broker_auth_destroy(struct broker_auth *ba);

/* --- connections (auth_session.c) ----------------------------------------- */

/* Net loop thread, from the net callbacks. open: frame cap and identity
 * bookkeeping for the new connection; frame: for a TLS connection's
 * first frame, the peer's certificate DN (malloc'd into *ident, or NULL
 * with *ident_rc the reason); close: forget it. */
void auth_net_open(struct broker *b, uint64_t conn_id, int listener_id);
void auth_net_frame(struct broker *b, uint64_t conn_id, char **ident,
		    int *ident_rc, bool *have_ident);
void auth_net_close(struct broker *b, uint64_t conn_id);

/* Broker thread. A new session: its state, principal and deadline.
 * 0 or -ENOMEM (close the connection). */
int auth_session_open(struct broker *b, struct session *s);
/* The session is gone: free the exchange, leave the deadline list. */
void auth_session_close(struct broker *b, struct session *s);
/* Before dispatch: handles what is not a Kafka request (v0 raw SASL
 * tokens, frames after a failed login, the first frame's mTLS
 * principal, the pre-auth size cap). True when r was consumed. ident as
 * from auth_net_frame (ownership passes here). */
bool auth_session_frame(struct broker *b, struct req *r, char *ident,
			int ident_rc, bool have_ident);
/* In dispatch, after the header and before the state/version checks:
 * false when r was answered or the connection closed (an API not allowed
 * before authentication, an expired KIP-368 session). */
bool auth_session_gate(struct broker *b, struct req *r);
/* Close connections whose authentication deadline passed; returns the
 * next deadline (monotonic ms) or INT64_MAX. */
int64_t auth_sessions_tick(struct broker *b, int64_t now_ms);
/* True when s is in a PLAIN exchange, where a step runs PBKDF2. */
bool auth_session_plain_step(const struct session *s);

/* --- the login budget (auth_login.c) --------------------------------------- */

struct req;
/* As in broker.h (an identical typedef may be repeated). */
typedef int (*req_resume_fn)(struct broker *b, struct req *r, bool expired);

/* A handler about to run a PLAIN step calls this first: true when r was
 * queued (held) instead, and again(b, r, false) will run it later with
 * r->login_admitted set. False: go on now. */
bool auth_login_defer(struct broker *b, struct req *r, req_resume_fn again);
/* Run queued steps within the budget; after every burst of events.
 * Returns when to call again (monotonic ms) or INT64_MAX. */
int64_t auth_logins_run(struct broker *b, int64_t now_ms);
/* Shutdown: drop what is still queued. */
void auth_logins_fini(struct broker *b);

/* --- SaslHandshake (17) and SaslAuthenticate (36), for their handlers --- */

struct auth_outcome {
	int16_t error;	     /* KERR_*: NONE, ILLEGAL_SASL_STATE,
			      * UNSUPPORTED_SASL_MECHANISM,
			      * SASL_AUTHENTICATION_FAILED */
	const char *message; /* static text or NULL: the error_message */
	int64_t lifetime_ms; /* SaslAuthenticate v1+ session_lifetime_ms */
	bool failed;	     /* the login failed: answer late, then close */
	bool success;	     /* the session is now authenticated */
};

/* The names of the mechanisms s's listener enables, at most cap; returns
 * how many (0 on a listener without SASL). */
int auth_mechanisms(struct broker *b, const struct session *s,
		    const char **names, int cap);
/* SaslHandshake: begin an exchange for mech (v0: raw tokens follow; v1:
 * SaslAuthenticate) or a re-authentication of a READY session. */
void auth_handshake(struct broker *b, struct session *s, struct kp_str mech,
		    int16_t version, struct auth_outcome *out);
/* SaslAuthenticate: one client token; the server's token goes to tok. */
void auth_authenticate(struct broker *b, struct session *s, const uint8_t *in,
		       size_t len, int16_t version, struct buf *tok,
		       struct auth_outcome *out);
/* Finish r (response encoded) as o says: now, or after the failure delay
 * followed by a close. */
void auth_finish(struct broker *b, struct req *r, const struct auth_outcome *o);

#endif
