/* auth_session.c - per-connection authentication: the state machine that
 * gates what a session may call, SASL exchanges, mTLS principals,
 * failure delays, deadlines and KIP-368 re-authentication.
 *
 *  PLAINTEXT, SSL listeners (SSL: principal from the certificate DN,
 *  mapped by ssl.principal.mapping.rules, at the first frame):
 *
 *      open ----------------------------------------------> READY
 *
 *  SASL_PLAINTEXT, SASL_SSL listeners:
 *
 *   +-----------+ SaslHandshake v1 +--------------+ SaslAuthenticate: done
 *   | HANDSHAKE | ---------------> | AUTHENTICATE | ---------------------+
 *   +-----------+                  +--------------+  <--+ (continue)     |
 *     | SaslHandshake v0  +-----+ raw token: done      |                  v
 *     +-----------------> | RAW | ---------------------+----------> +-------+
 *                         +-----+ <-- raw token: continue            | READY |
 *                                                                     +-------+
 *   READY --SaslHandshake v1 (re-authentication)--> AUTHENTICATE       |
 *   any refused mechanism, bad credential or malformed token --> FAILED
 *
 * Invariants:
 *  1. Before READY only ApiVersions and SaslHandshake (HANDSHAKE) or only
 *     SaslAuthenticate (AUTHENTICATE) are dispatched; the API key is
 *     checked on the header, before any body is decoded; anything else
 *     closes the connection (Kafka: "Unexpected Kafka request of type X
 *     during SASL handshake.").
 *  2. Until READY every frame is at most the listener's
 *     sasl.server.max.receive.size: net refuses a larger size prefix
 *     before allocating (net_conn_set_max_frame at accept), and the
 *     successful SaslAuthenticate reply restores the loop's cap
 *     (NET_REPLY_RESET_MAX_FRAME). Checked here too.
 *  3. FAILED answers the failing request after
 *     connection.failed.authentication.delay.ms and then closes; frames
 *     that arrive meanwhile are dropped unanswered, so pipelining cannot
 *     learn the outcome sooner.
 *  4. A SASL session not READY within sasl.server.authentication.timeout.ms
 *     of accept is closed; its exchange state is freed on close, always.
 *  5. A KIP-368 session (SaslAuthenticate v1+ with
 *     connections.max.reauth.ms > 0) past its lifetime may only
 *     re-authenticate; re-authentication must yield the same principal
 *     and mechanism.
 *
 * Transitions: HANDSHAKE -> AUTHENTICATE/RAW auth_handshake(); AUTHENTICATE/RAW
 * -> READY auth_succeeded(); any -> FAILED auth_failed(); READY ->
 * AUTHENTICATE auth_handshake() (re-authentication).
 */
#include "broker/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/principal.h"
#include "auth/sasl.h"
#include "auth/scram.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "broker/broker.h"
#include "net/net.h"
#include "proto/kerr.h"
#include "proto/kp_api.h"

#define LOGC "kafka.network.Selector"
#define PRINCIPAL_MAX (sizeof("User:") + SCRAM_USER_MAX)

enum auth_phase {
	AP_HANDSHAKE,
	AP_AUTHENTICATE,
	AP_RAW,
	AP_READY,
	AP_FAILED,
};

struct session_auth {
	struct session *s;
	struct session_auth *wait_prev, *wait_next;
	bool waiting; /* on ba->wait_* (not authenticated yet) */
	bool sasl;
	bool ident_done; /* SSL: the principal is mapped */
	bool reauth;	 /* an exchange on a READY session */
	bool v1;	 /* authenticated with SaslAuthenticate v1+ */
	enum auth_phase phase;
	struct authn_session *as;
	enum authn_mech mech;
	int64_t deadline_ms; /* invariant 4 */
	int64_t expiry_ms;   /* invariant 5; 0 = none */
};

struct ident_node {
	struct hmap_node hnode;
	uint64_t conn_id;
};

static struct listener_auth *listener_of(struct broker *b,
					 const struct session *s)
{
	if (!b->auth || s->listener_id < 0 || s->listener_id >= b->auth->count)
		return NULL;
	return &b->auth->l[s->listener_id];
}

static bool is_sasl(enum sec_proto p)
{
	return p == SEC_SASL_PLAINTEXT || p == SEC_SASL_SSL;
}

static const char *api_name_of(int16_t key)
{
	const struct kp_api_info *api = kp_api_find(key);

	return api ? api->name : "UNKNOWN";
}

/* --- net loop thread ------------------------------------------------------ */

void auth_net_open(struct broker *b, uint64_t conn_id, int listener_id)
{
	struct listener_auth *la;
	struct ident_node *n;

	if (!b->auth || listener_id < 0 || listener_id >= b->auth->count)
		return;
	la = &b->auth->l[listener_id];
	if (is_sasl(la->proto))
		net_conn_set_max_frame(b->net, conn_id, la->max_receive);
	if (la->proto != SEC_SSL)
		return;
	/* Without the node the first frame has no identity: the broker
	 * thread then refuses the connection (fail closed). */
	n = calloc(1, sizeof(*n));
	if (!n)
		return;
	n->conn_id = conn_id;
	hmap_insert(&b->auth->pending_ident, &n->hnode, hmap_hash_u64(conn_id));
}

static struct ident_node *ident_take(struct broker *b, uint64_t conn_id)
{
	uint64_t h = hmap_hash_u64(conn_id);

	if (!b->auth)
		return NULL;
	for (struct hmap_node *n = hmap_first(&b->auth->pending_ident, h); n;
	     n = hmap_next(n, h)) {
		struct ident_node *in =
		    container_of(n, struct ident_node, hnode);
		if (in->conn_id == conn_id) {
			hmap_remove(&b->auth->pending_ident, n);
			return in;
		}
	}
	return NULL;
}

void auth_net_frame(struct broker *b, uint64_t conn_id, char **ident,
		    int *ident_rc, bool *have_ident)
{
	struct ident_node *n = ident_take(b, conn_id);
	char *dn;

	*ident = NULL;
	*ident_rc = 0;
	*have_ident = n != NULL;
	if (!n)
		return;
	free(n);
	dn = malloc(PRINCIPAL_DN_MAX + 1);
	if (!dn) {
		*ident_rc = -ENOMEM;
		return;
	}
	*ident_rc =
	    net_conn_peer_identity(b->net, conn_id, dn, PRINCIPAL_DN_MAX + 1);
	if (*ident_rc) {
		free(dn);
		return;
	}
	*ident = dn;
}

void auth_net_close(struct broker *b, uint64_t conn_id)
{
	free(ident_take(b, conn_id));
}

/* --- sessions ------------------------------------------------------------- */

static void wait_unlink(struct broker *b, struct session_auth *sa)
{
	struct broker_auth *ba = b->auth;

	if (!sa->waiting)
		return;
	if (sa->wait_prev)
		sa->wait_prev->wait_next = sa->wait_next;
	else
		ba->wait_head = sa->wait_next;
	if (sa->wait_next)
		sa->wait_next->wait_prev = sa->wait_prev;
	else
		ba->wait_tail = sa->wait_prev;
	sa->wait_prev = sa->wait_next = NULL;
	sa->waiting = false;
}

static void wait_append(struct broker *b, struct session_auth *sa)
{
	struct broker_auth *ba = b->auth;

	sa->wait_prev = ba->wait_tail;
	if (ba->wait_tail)
		ba->wait_tail->wait_next = sa;
	else
		ba->wait_head = sa;
	ba->wait_tail = sa;
	sa->waiting = true;
}

static int principal_set(struct session *s, const char *prefix,
			 const char *name)
{
	size_t n = strlen(prefix) + strlen(name) + 1;
	char *p = malloc(n);

	if (!p)
		return -ENOMEM;
	snprintf(p, n, "%s%s", prefix, name);
	free(s->principal);
	s->principal = p;
	broker_authz_principal_changed(s);
	return 0;
}

int auth_session_open(struct broker *b, struct session *s)
{
	struct listener_auth *la = listener_of(b, s);
	struct session_auth *sa;

	s->state = SESS_READY;
	if (principal_set(s, "User:", "ANONYMOUS"))
		return -ENOMEM;
	if (!la || (la->proto != SEC_SSL && !is_sasl(la->proto)))
		return 0;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	sa->s = s;
	s->auth = sa;
	sa->sasl = is_sasl(la->proto);
	sa->phase = sa->sasl ? AP_HANDSHAKE : AP_READY;
	if (!sa->sasl)
		return 0;
	s->state = SESS_PREAUTH;
	if (b->auth->timeout_ms > 0) {
		sa->deadline_ms = clock_mono_ms() + b->auth->timeout_ms;
		wait_append(b, sa);
	}
	return 0;
}

void auth_session_close(struct broker *b, struct session *s)
{
	struct session_auth *sa = s->auth;

	if (!sa)
		return;
	wait_unlink(b, sa);
	authn_session_destroy(sa->as);
	free(sa);
	s->auth = NULL;
}

int64_t auth_sessions_tick(struct broker *b, int64_t now_ms)
{
	struct session_auth *sa;

	if (!b->auth)
		return INT64_MAX;
	while ((sa = b->auth->wait_head) && sa->deadline_ms <= now_ms) {
		wait_unlink(b, sa);
		log_info(LOGC,
			 "Closing connection from %s:%u (listener %s): not "
			 "authenticated within "
			 "sasl.server.authentication.timeout.ms (%lld ms)",
			 sa->s->peer.addr, sa->s->peer.port,
			 b->cfg->listeners[sa->s->listener_id].name,
			 (long long)b->auth->timeout_ms);
		sa->phase = AP_FAILED;
		sa->s->state = 0;
		net_loop_close(b->net, sa->s->conn_id);
	}
	return sa ? sa->deadline_ms : INT64_MAX;
}

bool auth_session_plain_step(const struct session *s)
{
	const struct session_auth *sa = s->auth;

	return sa && sa->as && sa->mech == AUTHN_PLAIN &&
	       (sa->phase == AP_AUTHENTICATE || sa->phase == AP_RAW);
}

/* --- outcomes ------------------------------------------------------------- */

static const char *failure_message(enum authn_mech m)
{
	/* Kafka's own wording, so client logs read the same. */
	if (m == AUTHN_PLAIN)
		return "Authentication failed: Invalid username or password";
	if (m == AUTHN_SCRAM_SHA_512)
		return "Authentication failed during authentication due to "
		       "invalid credentials with SASL mechanism SCRAM-SHA-512";
	return "Authentication failed during authentication due to invalid "
	       "credentials with SASL mechanism SCRAM-SHA-256";
}

/* Enter FAILED (invariant 3); the caller answers through auth_reply(). */
static void auth_failed(struct broker *b, struct session *s, const char *why)
{
	struct session_auth *sa = s->auth;
	const char *mech = sa->as ? authn_mech_name(sa->mech) : "SASL";

	log_info(LOGC,
		 "[SocketServer listenerType=BROKER, nodeId=%d] Failed "
		 "authentication with /%s (channelId=%llu) (%s)",
		 b->cfg->node_id, s->peer.addr, (unsigned long long)s->conn_id,
		 why);
	broker_audit_authn(b, s, mech ? mech : "SASL", false, why);
	wait_unlink(b, sa);
	authn_session_destroy(sa->as);
	sa->as = NULL;
	sa->phase = AP_FAILED;
	s->state = SESS_NONE;
}

static int64_t lifetime_of(struct broker *b, struct session *s,
			   enum authn_mech m)
{
	struct listener_auth *la = listener_of(b, s);

	for (int i = 0; la && i < AUTHN_MECH_COUNT; i++)
		if (m == 1u << i)
			return la->reauth_ms[i];
	return 0;
}

/* The exchange succeeded for user: READY (invariant 5 on re-auth). 0, or
 * -EACCES when a re-authentication changed the principal. */
static int auth_succeeded(struct broker *b, struct session *s, const char *user,
			  bool v1, int64_t *lifetime)
{
	struct session_auth *sa = s->auth;
	char principal[PRINCIPAL_MAX];
	int64_t life = lifetime_of(b, s, sa->mech);

	snprintf(principal, sizeof(principal), "User:%s", user);
	if (sa->reauth && strcmp(principal, s->principal) != 0) {
		char why[2 * PRINCIPAL_MAX + 80];
		snprintf(why, sizeof(why),
			 "Cannot change principals during re-authentication "
			 "from %s: %s",
			 s->principal, principal);
		auth_failed(b, s, why);
		return -EACCES;
	}
	if (!sa->reauth && principal_set(s, "User:", user)) {
		auth_failed(b, s, "out of memory");
		return -ENOMEM;
	}
	log_debug(LOGC,
		  "Authenticated %s with %s from %s:%u (channelId=%llu)%s",
		  s->principal, authn_mech_name(sa->mech), s->peer.addr,
		  s->peer.port, (unsigned long long)s->conn_id,
		  sa->reauth ? " (re-authentication)" : "");
	broker_audit_authn(b, s, authn_mech_name(sa->mech), true, NULL);
	wait_unlink(b, sa);
	authn_session_destroy(sa->as);
	sa->as = NULL;
	sa->phase = AP_READY;
	sa->reauth = false;
	sa->v1 = v1;
	s->state = SESS_READY;
	*lifetime = v1 ? life : 0;
	sa->expiry_ms = *lifetime > 0 ? clock_mono_ms() + *lifetime : 0;
	return 0;
}

static int delayed_answer(struct broker *b, struct req *r, bool expired)
{
	if (!expired)
		return 0;
	r->reply_flags |= NET_REPLY_CLOSE;
	req_finish(b, r);
	return 1;
}

/* A raw v0 exchange has no way to carry an error: just close. */
static int delayed_close(struct broker *b, struct req *r, bool expired)
{
	if (!expired)
		return 0;
	req_fail_close(b, r);
	return 1;
}

/* Send what r built: at once, or after the failure delay and then close
 * (silent: without an answer). */
static void auth_reply(struct broker *b, struct req *r, bool failed,
		       bool success, bool silent)
{
	if (failed) {
		req_park(b, r, clock_mono_ms() + b->auth->fail_delay_ms,
			 silent ? delayed_close : delayed_answer, NULL);
		return;
	}
	if (success)
		r->reply_flags |= NET_REPLY_RESET_MAX_FRAME;
	req_finish(b, r);
}

/* --- SaslHandshake / SaslAuthenticate ------------------------------------- */

/* Short printable ASCII: safe to put in a log line. */
static bool printable(struct kp_str v)
{
	if (!v.ptr || v.len <= 0 || v.len > 64)
		return false;
	for (int32_t i = 0; i < v.len; i++)
		if (v.ptr[i] < 0x20 || v.ptr[i] > 0x7E)
			return false;
	return true;
}

int auth_mechanisms(struct broker *b, const struct session *s,
		    const char **names, int cap)
{
	struct listener_auth *la = listener_of(b, s);
	int n = 0;

	for (int i = 0; la && la->authn && i < AUTHN_MECH_COUNT && n < cap; i++)
		if (authn_mechs(la->authn) & (1u << i))
			names[n++] = authn_mech_name(1u << i);
	return n;
}

void auth_handshake(struct broker *b, struct session *s, struct kp_str mech,
		    int16_t version, struct auth_outcome *out)
{
	struct listener_auth *la = listener_of(b, s);
	struct session_auth *sa = s->auth;
	enum authn_mech m;
	bool reauth;
	char why[200];

	memset(out, 0, sizeof(*out));
	out->error = KERR_ILLEGAL_SASL_STATE;
	/* Not a SASL listener, or authenticated without KIP-368 support:
	 * Kafka's KafkaApis answers ILLEGAL_SASL_STATE and carries on. */
	if (!la || !la->authn || !sa ||
	    (sa->phase == AP_READY && (version < 1 || !sa->v1)))
		return;
	reauth = sa->phase == AP_READY;
	if (!mech.ptr || mech.len < 0 ||
	    authn_mech_parse(mech.ptr, (size_t)mech.len, &m) ||
	    !(authn_mechs(la->authn) & m) || (reauth && m != sa->mech)) {
		snprintf(why, sizeof(why), "Unsupported SASL mechanism %.*s",
			 printable(mech) ? (int)mech.len : 0,
			 mech.ptr ? mech.ptr : "");
		out->error = KERR_UNSUPPORTED_SASL_MECHANISM;
		out->failed = true;
		auth_failed(b, s, why);
		return;
	}
	if (authn_session_start(la->authn, m, &sa->as)) {
		out->error = KERR_UNKNOWN_SERVER_ERROR;
		out->failed = true;
		auth_failed(b, s, "cannot start the SASL exchange");
		return;
	}
	sa->mech = m;
	sa->reauth = reauth;
	sa->phase = version == 0 ? AP_RAW : AP_AUTHENTICATE;
	s->state = SESS_SASL_AUTH;
	out->error = KERR_NONE;
}

void auth_authenticate(struct broker *b, struct session *s, const uint8_t *in,
		       size_t len, int16_t version, struct buf *tok,
		       struct auth_outcome *out)
{
	struct session_auth *sa = s->auth;
	char why[200];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!sa || sa->phase != AP_AUTHENTICATE || !sa->as) {
		out->error = KERR_ILLEGAL_SASL_STATE;
		out->message = "SaslAuthenticate request received after "
			       "successful authentication";
		return;
	}
	rc = authn_session_step(sa->as, in, len, tok);
	if (rc == 1)
		return;
	if (rc == 0 && auth_succeeded(b, s, authn_session_user(sa->as),
				      version >= 1, &out->lifetime_ms) == 0) {
		out->success = true;
		return;
	}
	out->error = KERR_SASL_AUTHENTICATION_FAILED;
	out->message = failure_message(sa->mech);
	out->failed = true;
	buf_clear(tok);
	if (sa->phase != AP_FAILED) {
		snprintf(why, sizeof(why), "%s", authn_session_reason(sa->as));
		auth_failed(b, s, why[0] ? why : out->message);
	}
}

void auth_finish(struct broker *b, struct req *r, const struct auth_outcome *o)
{
	auth_reply(b, r, o->failed, o->success, false);
}

/* A v0 (kafka-python) token: the whole frame is the token, the answer a
 * bare size-prefixed token; failure closes without an answer. */
static void raw_token(struct broker *b, struct req *r)
{
	struct session *s = r->sess;
	struct session_auth *sa = s->auth;
	char why[200];
	struct buf tok;
	int64_t life;
	int rc;

	buf_init(&tok, 0);
	r->mark = kp_frame_begin(&r->w);
	rc = authn_session_step(sa->as, r->frame, r->len, &tok);
	OPENSSL_cleanse(r->frame, r->len); /* a PLAIN token holds a password */
	if (rc == 0 && auth_succeeded(b, s, authn_session_user(sa->as), false,
				      &life) != 0) {
		rc = -EACCES;
	} else if (rc < 0) {
		snprintf(why, sizeof(why), "%s", authn_session_reason(sa->as));
		auth_failed(b, s, why[0] ? why : failure_message(sa->mech));
	}
	if (rc >= 0)
		kp_write_raw(&r->w, tok.data, tok.len);
	buf_fini(&tok);
	auth_reply(b, r, rc < 0, rc == 0, true);
}

/* A raw token's turn came (auth_login.c). */
static int raw_again(struct broker *b, struct req *r, bool expired)
{
	(void)expired;
	raw_token(b, r);
	return 1;
}

/* --- before and at dispatch ----------------------------------------------- */

/* SSL: User:<mapped DN>, User:ANONYMOUS without a certificate. False
 * when the connection must be refused (no rule applies, ...). */
static bool tls_principal(struct broker *b, struct session *s, char *dn,
			  int dn_rc, bool have)
{
	struct listener_auth *la = listener_of(b, s);
	char *name;
	int rc;

	if (!have || (dn_rc && dn_rc != -ENOENT)) {
		log_info(LOGC,
			 "Failed authentication with /%s (channelId=%llu) "
			 "(peer certificate unavailable: %s)",
			 s->peer.addr, (unsigned long long)s->conn_id,
			 strerror(have ? -dn_rc : ENOMEM));
		broker_audit_authn(b, s, "SSL", false,
				   "peer certificate unavailable");
		return false;
	}
	if (!dn)
		return true; /* no client certificate: User:ANONYMOUS */
	name = malloc(PRINCIPAL_DN_MAX + 1);
	rc = name ? principal_map(la->rules, dn, name, PRINCIPAL_DN_MAX + 1)
		  : -ENOMEM;
	if (!rc)
		rc = principal_set(s, "User:", name);
	free(name);
	if (rc) {
		log_info(LOGC,
			 "Failed authentication with /%s (channelId=%llu) "
			 "(ssl.principal.mapping.rules: %s for %s)",
			 s->peer.addr, (unsigned long long)s->conn_id,
			 rc == -ENOENT ? "no rule applies" : strerror(-rc), dn);
		broker_audit_authn(b, s, "SSL", false,
				   rc == -ENOENT
				       ? "no principal mapping rule applies"
				       : "principal mapping failed");
		return false;
	}
	log_debug(
	    LOGC,
	    "Authenticated %s with SSL from %s:%u (channelId=%llu, DN %s)",
	    s->principal, s->peer.addr, s->peer.port,
	    (unsigned long long)s->conn_id, dn);
	broker_audit_authn(b, s, "SSL", true, NULL);
	return true;
}

bool auth_session_frame(struct broker *b, struct req *r, char *ident,
			int ident_rc, bool have_ident)
{
	struct session *s = r->sess;
	struct session_auth *sa = s->auth;
	struct listener_auth *la = listener_of(b, s);
	bool ok = true;

	if (sa && !sa->sasl && !sa->ident_done) {
		sa->ident_done = true;
		ok = tls_principal(b, s, ident, ident_rc, have_ident);
	}
	free(ident);
	if (!ok) {
		req_fail_close(b, r);
		return true;
	}
	if (!sa || !sa->sasl || sa->phase == AP_READY)
		return false;
	if (sa->phase == AP_FAILED) {
		req_finish_silent(b, r); /* invariant 3 */
		return true;
	}
	if (r->len > la->max_receive) {
		log_info(LOGC,
			 "Closing connection from %s:%u: %zu-byte frame before "
			 "authentication (sasl.server.max.receive.size %zu)",
			 s->peer.addr, s->peer.port, r->len, la->max_receive);
		auth_failed(b, s,
			    "frame larger than sasl.server.max.receive.size");
		req_fail_close(b, r);
		return true;
	}
	if (sa->phase != AP_RAW)
		return false;
	if (!auth_login_defer(b, r, raw_again))
		raw_token(b, r);
	return true;
}

bool auth_session_gate(struct broker *b, struct req *r)
{
	struct session *s = r->sess;
	struct session_auth *sa = s->auth;
	int16_t key = r->hdr.request_api_key;
	char why[160];

	if (!sa || !sa->sasl)
		return true;
	if (sa->phase == AP_HANDSHAKE && key != KP_API_API_VERSIONS &&
	    key != KP_API_SASL_HANDSHAKE)
		snprintf(why, sizeof(why),
			 "Unexpected Kafka request of type %s during SASL "
			 "handshake.",
			 api_name_of(key));
	else if (sa->phase == AP_AUTHENTICATE &&
		 key != KP_API_SASL_AUTHENTICATE)
		snprintf(why, sizeof(why),
			 "Unexpected Kafka request of type %s during SASL "
			 "authentication.",
			 api_name_of(key));
	else if (sa->phase == AP_READY && sa->expiry_ms &&
		 clock_mono_ms() >= sa->expiry_ms &&
		 key != KP_API_SASL_HANDSHAKE &&
		 key != KP_API_SASL_AUTHENTICATE)
		snprintf(why, sizeof(why),
			 "session expired (connections.max.reauth.ms) before "
			 "request of type %s: re-authentication required",
			 api_name_of(key));
	else
		return true;
	if (sa->phase == AP_READY) {
		log_info(LOGC,
			 "Closing connection from %s:%u (channelId=%llu): %s",
			 s->peer.addr, s->peer.port,
			 (unsigned long long)s->conn_id, why);
		sa->phase = AP_FAILED;
		s->state = SESS_NONE;
	} else {
		auth_failed(b, s, why);
	}
	req_fail_close(b, r);
	return false;
}
