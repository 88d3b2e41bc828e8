/* kclient.h - a minimal Kafka admin client for sealog-acls: one broker
 * connection over PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, version
 * negotiation (ApiVersions) and request/response with the generated
 * codec (proto/kp_gen.h).
 *
 * Configuration is Kafka's admin client properties (--command-config):
 * security.protocol, ssl.truststore.location / .certificates,
 * ssl.keystore.location / .key / .certificate.chain, ssl.key.password,
 * ssl.endpoint.identification.algorithm (PEM only: ssl.*.type must be
 * PEM or unset), sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512),
 * sasl.jaas.config (username="..." password="..."), request.timeout.ms,
 * default.api.timeout.ms, retry.backoff.ms, client.id. Unknown keys are
 * ignored, as the Java client warns and ignores them.
 *
 * Connecting retries every bootstrap address (retry.backoff.ms apart)
 * until default.api.timeout.ms; an authentication failure is final.
 * Errors are reported as the Java admin client would raise them: the
 * exception class and its message (struct kclient_error).
 *
 * Thread: one thread per client.
 */
#ifndef SEALOG_TOOLS_KCLIENT_H
#define SEALOG_TOOLS_KCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/sealog-acls/xport.h"

struct arena;
struct props;

enum kc_proto { KC_PLAINTEXT, KC_SSL, KC_SASL_PLAINTEXT, KC_SASL_SSL };

struct kclient_config {
	struct props *props; /* owns the strings below */
	const char *bootstrap;
	enum kc_proto proto;
	struct xport_tls tls;
	const char *mechanism;
	char *username;
	char *password; /* secret; wiped by kclient_config_fini */
	const char *client_id;
	int request_timeout_ms;
	int api_timeout_ms;
	int retry_backoff_ms;
};

/* bootstrap "host:port,..." and the properties file at command_config
 * (may be NULL). 0, or -EINVAL / -ENOMEM / -errno with err saying which
 * key or file is wrong. */
int kclient_config_init(struct kclient_config *c, const char *bootstrap,
			const char *command_config, char *err, size_t errlen);
void kclient_config_fini(struct kclient_config *c);

struct kclient_error {
	int16_t code;	       /* Kafka error code, or 0 for local failures */
	const char *exception; /* Java class name, e.g. ...TimeoutException */
	char msg[512];
};

/* The Java exception class and default message for a Kafka error code. */
const char *kclient_exception(int16_t code, const char **default_msg);
/* e from a Kafka error code and the response's message (NULL/"" = the
 * default message). */
void kclient_error_set(struct kclient_error *e, int16_t code, const char *msg);

struct kclient;

int kclient_open(const struct kclient_config *c, struct kclient **out,
		 struct kclient_error *e);
void kclient_close(struct kclient *k);

/* The highest version of api both sides speak, at most max; -1 if none. */
int16_t kclient_version(const struct kclient *k, int16_t api, int16_t max);

/* Send req (the request struct of api) at version, wait for the reply
 * and decode it into resp (its response struct; strings in a). 0 or
 * -errno with e set. */
int kclient_call(struct kclient *k, int16_t api, int16_t version,
		 const void *req, struct arena *a, void *resp,
		 struct kclient_error *e);

/* "username" and "password" of a sasl.jaas.config value (malloc'd; the
 * password must be wiped). 0 or -EINVAL (no such option, bad quoting). */
int kclient_jaas_parse(const char *jaas, char **username, char **password);

#endif
