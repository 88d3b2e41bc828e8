/* tls_config.h - Kafka's ssl.* configuration -> net/tls.h settings, the
 * TLS transport and the principal mapping rules of one listener.
 *
 * Every key may be given per listener as listener.name.<listener in
 * lower case>.<key>, which wins over the plain key (Kafka's lookup
 * order). Keys read:
 *
 *   ssl.keystore.type            PEM (JKS / PKCS12 are refused; unset is
 *                                taken as PEM, the only format we read)
 *   ssl.keystore.location        PEM file: PKCS#8 key + certificate chain
 *   ssl.keystore.certificate.chain, ssl.keystore.key   the same, inline
 *   ssl.key.password             for an encrypted PKCS#8 key
 *   ssl.keystore.password        refused with PEM (as Kafka)
 *   ssl.truststore.type          PEM
 *   ssl.truststore.location / ssl.truststore.certificates   CA certs
 *   ssl.truststore.password      refused with PEM (as Kafka)
 *   ssl.client.auth              none | requested | required
 *   ssl.enabled.protocols        TLSv1.2, TLSv1.3 (older ones refused)
 *   ssl.protocol                 TLSv1.2 | TLSv1.3 | TLS: validated only;
 *                                ssl.enabled.protocols decides
 *   ssl.cipher.suites            IANA / Java (SSL_...) / OpenSSL names
 *   ssl.handshake.timeout.ms     ours: default 10000, 0 disables
 *   ssl.principal.mapping.rules  see auth/principal.h
 *   ssl.engine.factory.class     refused (no Java plug-ins)
 * Client-side or JVM-only keys (ssl.endpoint.identification.algorithm,
 * ssl.keymanager.algorithm, ssl.trustmanager.algorithm, ssl.provider,
 * ssl.secure.random.implementation) are accepted and ignored.
 *
 * Errors: 0 or -EINVAL / -ENOENT / -EACCES / -ENOMEM with err filled as
 * "<the key that supplied the value>: <what is wrong>", e.g.
 * "listener.name.ssl.ssl.keystore.location: cannot open /x: No such
 * file or directory", for the broker to print before exiting with 2.
 *
 * Thread: startup (main thread) and the SIGHUP reload path; props is
 * read-only here.
 */
#ifndef SEALOG_BROKER_TLS_CONFIG_H
#define SEALOG_BROKER_TLS_CONFIG_H

#include <stddef.h>

#include "net/tls.h"

struct props;
struct principal_rules;

/* Fill s (initialised here; tls_settings_fini() it) from p for the
 * listener named listener. */
int tls_config_settings(const struct props *p, const char *listener,
			struct tls_settings *s, char *err, size_t errlen);

/* tls_config_settings() + xprt_tls_create(); net's errors are reported
 * under the key that supplied the faulty setting. */
int tls_config_transport(const struct props *p, const char *listener,
			 struct xprt_tls **out, char *err, size_t errlen);

/* SIGHUP: xprt_tls_reload(t) with the same key naming for errors. The
 * settings (paths) are those t was created with; the files are re-read. */
int tls_config_reload(const struct props *p, const char *listener,
		      struct xprt_tls *t, char *err, size_t errlen);

/* ssl.principal.mapping.rules for the listener (DEFAULT when unset). */
int tls_config_principal_rules(const struct props *p, const char *listener,
			       struct principal_rules **out, char *err,
			       size_t errlen);

#endif
