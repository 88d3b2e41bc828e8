/* conn_limits.h - Kafka's connection caps -> net/net.h's net_config.
 *
 *   max.connections                   broker-wide; at the cap accepting
 *                                     pauses until a connection closes
 *   max.connections.per.ip            per client address; a connection
 *                                     beyond it is closed at accept
 *   max.connections.per.ip.overrides  "host:count,host:count": a cap per
 *                                     address; a host name stands for
 *                                     every address it resolves to (once,
 *                                     at startup, as Kafka resolves it)
 *
 * Kafka's rule: max.connections.per.ip=0 is valid only with overrides.
 * Defaults (INT32_MAX) mean no cap.
 *
 * Thread: startup (main thread).
 */
#ifndef SEALOG_BROKER_CONN_LIMITS_H
#define SEALOG_BROKER_CONN_LIMITS_H

#include <stddef.h>

#include "net/net.h"

/* Parse max.connections.per.ip.overrides (value; "" or NULL = none) into
 * a malloc'd array *out of *n entries with canonical numeric addresses
 * (NULL when none). 0, or -EINVAL with err naming the entry, -ENOMEM. */
int conn_limits_parse_overrides(const char *value, struct net_ip_limit **out,
				size_t *n, char *err, size_t errlen);

#endif
