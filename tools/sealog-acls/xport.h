/* xport.h - sealog-acls' byte transport to a broker: TCP, or TLS over it
 * (OpenSSL, client side), blocking with per-call timeouts.
 *
 * TLS settings are Kafka's client ssl.* keys in PEM form: trust anchors
 * from ssl.truststore.location (a PEM file) or ssl.truststore.certificates
 * (inline PEM), else the system's default store; a client certificate for
 * mutual TLS from ssl.keystore.location (one PEM file: private key and
 * chain) or ssl.keystore.key + ssl.keystore.certificate.chain (inline),
 * the key optionally encrypted (ssl.key.password). With
 * ssl.endpoint.identification.algorithm=https (Kafka's default) the
 * broker's certificate must name the host (DNS name or IP address) we
 * connected to; "" checks the chain only. TLS 1.2 minimum.
 *
 * Errors: -errno; err (may be NULL) says what failed, never a secret.
 * Thread: a transport belongs to one thread.
 */
#ifndef SEALOG_TOOLS_XPORT_H
#define SEALOG_TOOLS_XPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xport;

struct xport_tls {
	const char *truststore_file;
	const char *truststore_pem;
	const char *keystore_file; /* PEM: key + certificate chain */
	const char *key_pem;
	const char *chain_pem;
	const char *key_password; /* a secret */
	bool verify_hostname;
};

/* Connect to host:port (name or IP literal) within timeout_ms, then do
 * the TLS handshake when tls is not NULL. 0, -ETIMEDOUT, -ECONNREFUSED,
 * -EPROTO (TLS handshake or verification failed), -EINVAL (bad TLS
 * material), other -errno. */
int xport_connect(const char *host, uint16_t port, const struct xport_tls *tls,
		  int timeout_ms, struct xport **out, char *err, size_t errlen);

/* Write / read exactly len bytes within timeout_ms. 0, -ETIMEDOUT,
 * -ECONNRESET (peer closed), -EPROTO (TLS), -errno. */
int xport_write(struct xport *x, const void *p, size_t len, int timeout_ms);
int xport_read(struct xport *x, void *p, size_t len, int timeout_ms);

void xport_close(struct xport *x);

#endif
