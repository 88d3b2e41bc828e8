/* 36_sasl_authenticate.c - SaslAuthenticate.
 *
 * Versions: 0-2 (2 flexible; 1+ carries session_lifetime_ms, KIP-368).
 * State:    after SaslHandshake v1 (and during a re-authentication);
 *           anything else was refused by dispatch on the header, or gets
 *           ILLEGAL_SASL_STATE on an authenticated session (Kafka's
 *           "SaslAuthenticate request received after successful
 *           authentication").
 * ACL:      none.
 * Notes:    one SASL token per request, PLAIN (Cyrus) or SCRAM (ours,
 *           auth/scram.h). A failed login answers SASL_AUTHENTICATION_
 *           FAILED with Kafka's message after
 *           connection.failed.authentication.delay.ms, then closes. On
 *           success with v1+ and connections.max.reauth.ms > 0,
 *           session_lifetime_ms is set and the session must
 *           re-authenticate before it ends. Tokens are never logged.
 *           A PLAIN step (PBKDF2 against the store) waits its turn in
 *           the login budget (broker/auth_login.c).
 */
#include "broker/api/api.h"

#include <openssl/crypto.h>

#include "broker/auth.h"

static int sa_again(struct broker *b, struct req *r, bool expired)
{
	(void)expired;
	api_sasl_authenticate(b, r);
	return 1;
}

int api_sasl_authenticate(struct broker *b, struct req *r)
{
	struct kp_sasl_authenticate_request req;
	struct kp_sasl_authenticate_response resp;
	int16_t ver = r->hdr.request_api_version;
	struct auth_outcome o;
	struct buf tok;

	if (auth_login_defer(b, r, sa_again))
		return 0; /* undecoded: decoded when its turn comes */
	kp_sasl_authenticate_request_init(&req);
	if (!req_decoded(b, r,
			 kp_sasl_authenticate_request_decode(&r->rd, ver,
							     &r->arena, &req)))
		return 0;
	buf_init(&tok, 0);
	auth_authenticate(b, r->sess, req.auth_bytes.ptr,
			  req.auth_bytes.len > 0 ? (size_t)req.auth_bytes.len
						 : 0,
			  ver, &tok, &o);
	kp_sasl_authenticate_response_init(&resp);
	resp.error_code = o.error;
	resp.error_message = o.message ? kp_str_of(o.message) : KP_STR_NULL;
	resp.auth_bytes.ptr = tok.data;
	resp.auth_bytes.len = (int32_t)tok.len;
	resp.session_lifetime_ms = o.lifetime_ms;
	kp_sasl_authenticate_response_encode(&r->w, ver, &resp);
	if (tok.data)
		OPENSSL_cleanse(tok.data, tok.len);
	buf_fini(&tok);
	/* The request held the client's token (a PLAIN password). */
	if (req.auth_bytes.len > 0)
		OPENSSL_cleanse((void *)req.auth_bytes.ptr,
				(size_t)req.auth_bytes.len);
	auth_finish(b, r, &o);
	return 0;
}
