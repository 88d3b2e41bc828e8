/* auth_login.c - a time budget for password checks before authentication.
 *
 * A PLAIN login checked against the SCRAM store derives the key with
 * PBKDF2 (4096 or more iterations, 1-3 ms) on the broker thread, and a
 * client need not wait for the answer: connect, send SaslHandshake and
 * SaslAuthenticate, close, repeat. Unbounded, one such loop kept the
 * broker thread busy with nothing else (an unrelated ApiVersions went
 * unanswered for over 30 s). So every PLAIN step is queued, in arrival
 * order, and run
 *  - after the current burst of network events, so that an attempt whose
 *    connection has closed meanwhile is dropped without being checked;
 *  - within LOGIN_SHARE of the thread's time (a token bucket charged
 *    with the measured duration of each step), so that under a flood
 *    logins slow down and everything else keeps its pace.
 * SCRAM steps are cheap (the server holds derived keys): not queued.
 *
 * A queued request is held (req_hold): later frames of its session wait
 * behind it, as they would behind a slow check. Broker thread only.
 */
#include "broker/auth.h"

#include <time.h>

#include "auth/sasl.h"
#include "broker/broker.h"

#define LOGIN_SHARE_DIV 4		    /* a quarter of the thread */
#define LOGIN_BURST_NS (50 * 1000000LL) /* bucket size */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void login_refill(struct broker_auth *ba, int64_t now)
{
	if (ba->login_refill_ns) {
		ba->login_tokens_ns +=
		    (now - ba->login_refill_ns) / LOGIN_SHARE_DIV;
		if (ba->login_tokens_ns > LOGIN_BURST_NS)
			ba->login_tokens_ns = LOGIN_BURST_NS;
	} else {
		ba->login_tokens_ns = LOGIN_BURST_NS;
	}
	ba->login_refill_ns = now;
}

bool auth_login_defer(struct broker *b, struct req *r, req_resume_fn again)
{
	struct broker_auth *ba = b->auth;

	if (!ba || r->login_admitted || !auth_session_plain_step(r->sess))
		return false;
	req_hold(b, r);
	r->resume = again;
	r->park_next = NULL;
	if (ba->login_tail)
		ba->login_tail->park_next = r;
	else
		ba->login_head = r;
	ba->login_tail = r;
	return true;
}

static struct req *login_pop(struct broker_auth *ba)
{
	struct req *r = ba->login_head;

	ba->login_head = r->park_next;
	if (!ba->login_head)
		ba->login_tail = NULL;
	r->park_next = NULL;
	return r;
}

int64_t auth_logins_run(struct broker *b, int64_t now_ms)
{
	struct broker_auth *ba = b->auth;
	int64_t t;

	if (!ba || !ba->login_head)
		return INT64_MAX;
	t = now_ns();
	login_refill(ba, t);
	while (ba->login_head && ba->login_tokens_ns > 0) {
		struct req *r = login_pop(ba);
		if (r->sess->closed) {
			req_finish_silent(b, r); /* nobody to answer */
			continue;
		}
		r->login_admitted = true;
		req_unhold(r);
		r->resume(b, r, false);
		ba->login_tokens_ns -= now_ns() - t;
		t = now_ns();
		ba->login_refill_ns = t;
	}
	if (!ba->login_head)
		return INT64_MAX;
	/* Tokens come back at 1/LOGIN_SHARE_DIV of the time that passes. */
	return now_ms + 1 +
	       (-ba->login_tokens_ns * LOGIN_SHARE_DIV) / 1000000LL;
}

void auth_logins_fini(struct broker *b)
{
	struct broker_auth *ba = b->auth;

	while (ba && ba->login_head)
		req_finish_silent(b, login_pop(ba));
}
