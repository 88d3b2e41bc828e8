/* kclient.c - sealog-acls' Kafka connection (see kclient.h).
 *
 *   connect (TCP, TLS) -> ApiVersions v3 (v0 if the broker says
 *   UNSUPPORTED_VERSION) -> for SASL: SaslHandshake v1, then
 *   SaslAuthenticate rounds (PLAIN: one; SCRAM: client-first,
 *   client-final, then the server signature is checked) -> requests.
 *
 * Frames are read with a size cap, so a hostile or confused peer cannot
 * make the tool allocate without bound. A decoded response lives in the
 * caller's arena, frame included (its bytes fields point into it).
 */
#include "tools/sealog-acls/kclient.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "proto/kerr.h"
#include "proto/kp_api.h"
#include "proto/kp_codec.h"
#include "proto/kp_gen.h"
#include "proto/kp_schema.h"
#include "tools/sealog-acls/scram_client.h"

#define FRAME_MAX (32u << 20) /* a DescribeAcls of ~500,000 bindings */
#define API_KEYS 100
#define ERR_PKG "org.apache.kafka.common.errors."

struct kclient {
	const struct kclient_config *cfg;
	struct xport *x;
	int32_t corr;
	int16_t max[API_KEYS]; /* -1: not served */
	int16_t min[API_KEYS];
};

/* --- errors --------------------------------------------------------------- */

struct exc {
	int16_t code;
	const char *cls, *msg;
};

static const struct exc excs[] = {
    {KERR_CLUSTER_AUTHORIZATION_FAILED, "ClusterAuthorizationException",
     "Cluster authorization failed."},
    {KERR_SECURITY_DISABLED, "SecurityDisabledException",
     "Security features are disabled."},
    {KERR_INVALID_REQUEST, "InvalidRequestException",
     "This most likely occurs because of a request being malformed by the "
     "client library or the message was sent to an incompatible broker. See "
     "the broker logs for more details."},
    {KERR_UNKNOWN_SERVER_ERROR, "UnknownServerException",
     "The server experienced an unexpected error when processing the request."},
    {KERR_UNSUPPORTED_VERSION, "UnsupportedVersionException",
     "The version of API is not supported."},
    {KERR_SASL_AUTHENTICATION_FAILED, "SaslAuthenticationException",
     "SASL Authentication failed."},
    {KERR_UNSUPPORTED_SASL_MECHANISM, "UnsupportedSaslMechanismException",
     "The broker does not support the requested SASL mechanism."},
    {KERR_ILLEGAL_SASL_STATE, "IllegalSaslStateException",
     "Request is not valid given the current SASL state."},
    {KERR_REQUEST_TIMED_OUT, "TimeoutException", "The request timed out."},
};

const char *kclient_exception(int16_t code, const char **default_msg)
{
	for (size_t i = 0; i < sizeof(excs) / sizeof(excs[0]); i++)
		if (excs[i].code == code) {
			*default_msg = excs[i].msg;
			return excs[i].cls;
		}
	*default_msg = kerr_name(code);
	return "ApiException";
}

void kclient_error_set(struct kclient_error *e, int16_t code, const char *msg)
{
	const char *def;

	e->code = code;
	e->exception = kclient_exception(code, &def);
	snprintf(e->msg, sizeof(e->msg), "%s", msg && msg[0] ? msg : def);
}

static int local_error(struct kclient_error *e, const char *cls, int rc,
		       const char *msg)
{
	e->code = 0;
	e->exception = cls;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	return rc;
}

/* --- frames --------------------------------------------------------------- */

static int send_request(struct kclient *k, int16_t api, int16_t ver,
			const void *req)
{
	const struct kp_api_info *info = kp_api_find(api);
	struct kp_request_header h;
	struct buf b;
	struct kp_writer w = {&b};
	size_t mark;
	int rc;

	buf_init(&b, FRAME_MAX);
	kp_request_header_init(&h);
	h.request_api_key = api;
	h.request_api_version = ver;
	h.correlation_id = ++k->corr;
	h.client_id = kp_str_of(k->cfg->client_id);
	mark = kp_frame_begin(&w);
	kp_request_header_encode(&w, &h);
	kp_schema_encode(info->request, &w, ver, req);
	kp_frame_end(&w, mark);
	rc = b.err
		 ? b.err
		 : xport_write(k->x, b.data, b.len, k->cfg->request_timeout_ms);
	buf_fini(&b);
	return rc;
}

static int recv_frame(struct kclient *k, struct buf *b)
{
	uint8_t sz[4];
	uint32_t n;
	int rc = xport_read(k->x, sz, 4, k->cfg->request_timeout_ms);

	if (rc)
		return rc;
	n = (uint32_t)sz[0] << 24 | (uint32_t)sz[1] << 16 |
	    (uint32_t)sz[2] << 8 | sz[3];
	if (n < 4 || n > FRAME_MAX)
		return -EBADMSG;
	if (!buf_reserve(b, n))
		return -ENOMEM;
	rc = xport_read(k->x, b->data, n, k->cfg->request_timeout_ms);
	b->len = n;
	return rc;
}

static int io_error(struct kclient_error *e, int rc)
{
	char msg[200];

	if (rc == -ETIMEDOUT)
		return local_error(
		    e, "TimeoutException", rc,
		    "Timed out waiting for a response from the broker");
	snprintf(msg, sizeof(msg), "Connection to the broker failed: %s",
		 rc == -EBADMSG ? "malformed response" : strerror(-rc));
	return local_error(e, "NetworkException", rc, msg);
}

int kclient_call(struct kclient *k, int16_t api, int16_t version,
		 const void *req, struct arena *a, void *resp,
		 struct kclient_error *e)
{
	const struct kp_api_info *info = kp_api_find(api);
	struct kp_response_header h;
	struct kp_reader rd;
	struct buf b;
	int rc = send_request(k, api, version, req);

	buf_init(&b, FRAME_MAX);
	if (!rc)
		rc = recv_frame(k, &b);
	/* Bytes fields point into the frame: keep it in the caller's arena
	 * so the decoded response lives as long as its strings. */
	const uint8_t *data = rc ? NULL : arena_memdup(a, b.data, b.len);
	if (!rc && !data)
		rc = -ENOMEM;
	if (!rc) {
		kp_reader_init(&rd, data, b.len);
		rc = kp_response_header_decode(&rd, api, version, a, &h);
		if (!rc && h.correlation_id != k->corr)
			rc = -EBADMSG;
		if (!rc)
			rc = kp_schema_decode(info->response, &rd, version, a,
					      resp);
	}
	buf_fini(&b);
	return rc ? io_error(e, rc) : 0;
}

int16_t kclient_version(const struct kclient *k, int16_t api, int16_t max)
{
	if (api < 0 || api >= API_KEYS || k->max[api] < 0 || k->min[api] > max)
		return -1;
	return k->max[api] < max ? k->max[api] : max;
}

/* --- ApiVersions ---------------------------------------------------------- */

static int api_versions(struct kclient *k, struct kclient_error *e)
{
	struct kp_api_versions_request req;
	struct kp_api_versions_response resp;
	struct arena a;
	int16_t ver = 3;
	int rc;

	arena_init(&a, 0);
	kp_api_versions_request_init(&req);
	req.client_software_name = KP_STR("sealog-acls");
	req.client_software_version = KP_STR("0.1.0");
	rc = kclient_call(k, KP_API_API_VERSIONS, ver, &req, &a, &resp, e);
	if (!rc && resp.error_code == KERR_UNSUPPORTED_VERSION) {
		ver = 0;
		rc = kclient_call(k, KP_API_API_VERSIONS, ver, &req, &a, &resp,
				  e);
	}
	if (!rc && resp.error_code) {
		kclient_error_set(e, resp.error_code, NULL);
		rc = -EPROTO;
	}
	for (int32_t i = 0; !rc && i < resp.api_keys_count; i++) {
		const struct kp_api_versions_response_api_version *v =
		    &resp.api_keys[i];
		if (v->api_key >= 0 && v->api_key < API_KEYS) {
			k->min[v->api_key] = v->min_version;
			k->max[v->api_key] = v->max_version;
		}
	}
	arena_fini(&a);
	return rc;
}

/* --- SASL
 * --------------------------------------------------------------------- */

/* One SaslAuthenticate round: send token, return the server's bytes
 * (copied into out). */
static int sasl_round(struct kclient *k, const struct buf *token,
		      struct buf *out, struct kclient_error *e)
{
	struct kp_sasl_authenticate_request req;
	struct kp_sasl_authenticate_response resp;
	int16_t ver = kclient_version(k, KP_API_SASL_AUTHENTICATE, 1);
	struct arena a;
	int rc;

	if (ver < 0)
		return local_error(
		    e, "UnsupportedVersionException", -ENOTSUP,
		    "The broker does not support SaslAuthenticate");
	arena_init(&a, 0);
	kp_sasl_authenticate_request_init(&req);
	req.auth_bytes.ptr = token->data;
	req.auth_bytes.len = (int32_t)token->len;
	rc = kclient_call(k, KP_API_SASL_AUTHENTICATE, ver, &req, &a, &resp, e);
	if (!rc && resp.error_code) {
		kclient_error_set(e, resp.error_code, resp.error_message.ptr);
		rc = -EACCES;
	}
	buf_clear(out);
	if (!rc && resp.auth_bytes.len > 0)
		buf_append(out, resp.auth_bytes.ptr,
			   (size_t)resp.auth_bytes.len);
	arena_fini(&a);
	return rc ? rc : out->err;
}

static int sasl_handshake(struct kclient *k, struct kclient_error *e)
{
	struct kp_sasl_handshake_request req;
	struct kp_sasl_handshake_response resp;
	int16_t ver = kclient_version(k, KP_API_SASL_HANDSHAKE, 1);
	struct arena a;
	char msg[400];
	int rc;

	if (ver < 0)
		return local_error(e, "IllegalSaslStateException", -ENOTSUP,
				   "The broker does not support SaslHandshake");
	arena_init(&a, 0);
	kp_sasl_handshake_request_init(&req);
	req.mechanism = kp_str_of(k->cfg->mechanism);
	rc = kclient_call(k, KP_API_SASL_HANDSHAKE, ver, &req, &a, &resp, e);
	if (!rc && resp.error_code) {
		size_t n =
		    (size_t)snprintf(msg, sizeof(msg),
				     "Client SASL mechanism '%s' not enabled "
				     "in the server, enabled mechanisms are [",
				     k->cfg->mechanism);
		for (int32_t i = 0;
		     i < resp.mechanisms_count && n < sizeof(msg); i++)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s",
					      i ? ", " : "",
					      resp.mechanisms[i].ptr);
		if (n < sizeof(msg))
			snprintf(msg + n, sizeof(msg) - n, "]");
		kclient_error_set(e, resp.error_code, msg);
		rc = -EACCES;
	}
	arena_fini(&a);
	return rc;
}

static int sasl_plain(struct kclient *k, struct kclient_error *e)
{
	const struct kclient_config *c = k->cfg;
	struct buf tok, out;
	int rc;

	buf_init(&tok, 0);
	buf_init(&out, FRAME_MAX);
	buf_append(&tok, "", 1);
	buf_append(&tok, c->username, strlen(c->username));
	buf_append(&tok, "", 1);
	buf_append(&tok, c->password, strlen(c->password));
	rc = tok.err ? tok.err : sasl_round(k, &tok, &out, e);
	if (tok.data)
		OPENSSL_cleanse(tok.data, tok.len);
	buf_fini(&tok);
	buf_fini(&out);
	return rc;
}

static int sasl_scram(struct kclient *k, struct kclient_error *e)
{
	const struct kclient_config *c = k->cfg;
	const struct evp_md_st *md;
	struct scram_client s;
	struct buf tok, in;
	char err[256];
	int rc = scram_client_md(c->mechanism, &md);

	if (!rc)
		rc = scram_client_init(&s, md, c->username, c->password, NULL);
	if (rc)
		return local_error(e, "SaslAuthenticationException", rc,
				   "Cannot start the SCRAM exchange");
	buf_init(&tok, 0);
	buf_init(&in, FRAME_MAX);
	rc = scram_client_first(&s, &tok);
	if (!rc)
		rc = sasl_round(k, &tok, &in, e);
	buf_clear(&tok);
	if (!rc && (rc = scram_client_final(&s, in.data, in.len, &tok, err,
					    sizeof(err))))
		local_error(e, "SaslAuthenticationException", rc, err);
	if (!rc)
		rc = sasl_round(k, &tok, &in, e);
	if (!rc &&
	    (rc = scram_client_verify(&s, in.data, in.len, err, sizeof(err))))
		local_error(e, "SaslAuthenticationException", rc, err);
	scram_client_fini(&s);
	buf_fini(&tok);
	buf_fini(&in);
	return rc;
}

/* --- connecting ----------------------------------------------------------- */

/* "host:port" or "[v6]:port" from the item at s (len bytes). */
static int split_hostport(const char *s, size_t len, char *host, size_t cap,
			  uint16_t *port)
{
	const char *colon = NULL, *h = s, *hend;
	char num[8];
	long p;
	char *end;

	for (size_t i = 0; i < len; i++)
		if (s[i] == ':')
			colon = s + i;
	if (!colon)
		return -EINVAL;
	hend = colon;
	if (len && s[0] == '[') {
		h = s + 1;
		if (colon == s || colon[-1] != ']')
			return -EINVAL;
		hend = colon - 1;
	}
	if (hend <= h || (size_t)(hend - h) >= cap ||
	    (size_t)(s + len - colon - 1) >= sizeof(num) ||
	    colon + 1 == s + len)
		return -EINVAL;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	memcpy(num, colon + 1, (size_t)(s + len - colon - 1));
	num[s + len - colon - 1] = '\0';
	p = strtol(num, &end, 10);
	if (*end || p < 1 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static int connect_one(struct kclient *k, const char *host, uint16_t port,
		       int64_t deadline, struct kclient_error *e)
{
	const struct kclient_config *c = k->cfg;
	bool tls = c->proto == KC_SSL || c->proto == KC_SASL_SSL;
	int64_t left = deadline - clock_mono_ms();
	char err[400] = "";
	int rc;

	rc = xport_connect(host, port, tls ? &c->tls : NULL,
			   (int)(left < 1 ? 1 : left), &k->x, err, sizeof(err));
	if (rc == -EPROTO || rc == -EINVAL)
		return local_error(e, "SslAuthenticationException", rc, err);
	if (rc)
		return local_error(e, "TimeoutException", rc, err);
	memset(k->max, 0xff, sizeof(k->max));
	rc = api_versions(k, e);
	if (!rc && (c->proto == KC_SASL_PLAINTEXT || c->proto == KC_SASL_SSL)) {
		rc = sasl_handshake(k, e);
		if (!rc)
			rc = strcmp(c->mechanism, "PLAIN") == 0
				 ? sasl_plain(k, e)
				 : sasl_scram(k, e);
		if (rc)
			rc = -EACCES; /* final: do not retry */
	}
	if (rc) {
		xport_close(k->x);
		k->x = NULL;
	}
	return rc;
}

static int try_all(struct kclient *k, int64_t deadline, struct kclient_error *e)
{
	const char *s = k->cfg->bootstrap;
	int rc = -EINVAL;

	while (s && *s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char host[256];
		uint16_t port;
		if (split_hostport(s, len, host, sizeof(host), &port))
			return local_error(e, "ConfigException", -EINVAL,
					   "Invalid url in bootstrap.servers");
		rc = connect_one(k, host, port, deadline, e);
		if (rc == 0 || rc == -EACCES || rc == -EPROTO)
			return rc;
		s = comma ? comma + 1 : NULL;
	}
	return rc;
}

int kclient_open(const struct kclient_config *c, struct kclient **out,
		 struct kclient_error *e)
{
	int64_t deadline = clock_mono_ms() + c->api_timeout_ms;
	struct kclient *k = calloc(1, sizeof(*k));
	struct timespec ts = {c->retry_backoff_ms / 1000,
			      (long)(c->retry_backoff_ms % 1000) * 1000000};
	int rc;

	if (!k)
		return local_error(e, "KafkaException", -ENOMEM,
				   "out of memory");
	k->cfg = c;
	for (;;) {
		rc = try_all(k, deadline, e);
		if (rc == 0 || rc == -EACCES || rc == -EPROTO ||
		    rc == -EINVAL || clock_mono_ms() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	if (rc) {
		free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void kclient_close(struct kclient *k)
{
	if (!k)
		return;
	xport_close(k->x);
	free(k);
}
