/* req.c - request completion, in-order replies, parked requests.
 *
 * Invariants:
 *  1. Replies of one connection leave in the order the requests arrived:
 *     session_flush() sends only from the head of the session FIFO.
 *  2. Every frame the net loop delivered gets exactly one net_loop_reply()
 *     (possibly with no data), which is what frees its in-flight slot --
 *     unless the connection is already closed.
 *  3. A parked request is on b->parked until its resume function finishes
 *     it; nothing else frees it.
 *  4. While a session holds a request (req_hold), its later requests are
 *     queued undecoded and handled in order once nothing is held, so a
 *     client never sees the answer to a later request computed before an
 *     earlier one finished (Kafka handles one request per connection at a
 *     time).
 */
#include "broker/broker.h"

#include <stdlib.h>

#include "base/log.h"

void req_free(struct broker *b, struct req *r)
{
	(void)b;
	if (r->hstate_fini)
		r->hstate_fini(r->hstate);
	arena_fini(&r->arena);
	buf_fini(&r->out);
	free(r->frame);
	session_unref(r->sess);
	free(r);
}

static void session_flush(struct broker *b, struct session *s)
{
	while (s->head && s->head->state == REQ_DONE) {
		struct req *r = s->head;
		s->head = r->next;
		if (!s->head)
			s->tail = NULL;
		if (!s->closed) {
			if (r->no_reply) {
				net_loop_reply(b->net, s->conn_id, NULL, 0,
					       r->reply_flags);
			} else {
				size_t len;
				uint8_t *data = buf_steal(&r->out, &len);
				net_loop_reply(b->net, s->conn_id, data, len,
					       r->reply_flags);
			}
		}
		req_free(b, r);
	}
}

/* The common end of every finish: leave HELD, mark DONE, send. */
static void req_done(struct broker *b, struct req *r)
{
	struct session *s = r->sess;

	if (r->state == REQ_HELD)
		s->held--;
	r->state = REQ_DONE;
	s->refs++; /* r may be freed by the flush; s must outlive it here */
	session_flush(b, s);
	session_run_queued(b, s);
	session_unref(s);
}

void req_hold(struct broker *b, struct req *r)
{
	(void)b;
	r->state = REQ_HELD;
	r->sess->held++;
}

void req_unhold(struct req *r)
{
	if (r->state != REQ_HELD)
		return;
	r->state = REQ_RUNNING;
	r->sess->held--;
}

void session_run_queued(struct broker *b, struct session *s)
{
	if (s->dispatching)
		return;
	s->dispatching = true;
	while (!s->held && s->queued && !s->closed) {
		struct req *q = s->head;
		while (q && q->state != REQ_QUEUED)
			q = q->next;
		if (!q)
			break;
		s->queued--;
		q->state = REQ_RUNNING;
		dispatch_request(b, q);
	}
	s->dispatching = false;
}

void req_finish(struct broker *b, struct req *r)
{
	kp_frame_end(&r->w, r->mark);
	if (r->out.err) {
		/* Could not build the reply (memory): the client would wait
		 * forever, so close instead. */
		log_warn("KafkaApis", "response to api %d dropped: %d",
			 r->hdr.request_api_key, r->out.err);
		r->no_reply = true;
		r->reply_flags |= NET_REPLY_CLOSE;
	}
	req_done(b, r);
}

void req_finish_silent(struct broker *b, struct req *r)
{
	r->no_reply = true;
	req_done(b, r);
}

void req_fail_close(struct broker *b, struct req *r)
{
	r->no_reply = true;
	r->reply_flags |= NET_REPLY_CLOSE;
	req_done(b, r);
}

void req_park(struct broker *b, struct req *r, int64_t deadline_ms,
	      req_resume_fn resume, void *state)
{
	r->state = REQ_PARKED;
	r->deadline_ms = deadline_ms;
	r->resume = resume;
	r->hstate = state;
	r->park_next = b->parked;
	b->parked = r;
}

void req_wake_parked(struct broker *b)
{
	struct req **pp = &b->parked;

	while (*pp) {
		struct req *r = *pp;
		/* Unlink first: a finishing resume may free r. */
		*pp = r->park_next;
		if (r->resume(b, r, false))
			continue;
		r->park_next = *pp;
		*pp = r;
		pp = &r->park_next;
	}
}

int64_t req_expire_parked(struct broker *b, int64_t now_ms)
{
	struct req **pp = &b->parked;
	int64_t next = INT64_MAX;

	while (*pp) {
		struct req *r = *pp;
		if (r->deadline_ms <= now_ms) {
			*pp = r->park_next;
			r->resume(b, r, true); /* must finish r */
			continue;
		}
		if (r->deadline_ms < next)
			next = r->deadline_ms;
		pp = &r->park_next;
	}
	return next;
}
