/* conn_limits.c - max.connections.per.ip.overrides, parsed (see
 * conn_limits.h).
 *
 * Each entry is host:count, split at the last ':' so that IPv6 addresses
 * work ("::1:5"); Kafka splits at the first and so cannot express them.
 * Addresses are stored as inet_ntop prints them, the form net/ compares
 * peers in, so "0:0:0:0:0:0:0:1" and "::1" are the same override.
 */
#include "broker/conn_limits.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int push(struct net_ip_limit **arr, size_t *n, const char *addr,
		uint32_t max)
{
	struct net_ip_limit *a;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i].addr, addr) == 0) {
			(*arr)[i].max = max; /* the later entry wins */
			return 0;
		}
	a = realloc(*arr, (*n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	*arr = a;
	memset(&a[*n], 0, sizeof(a[*n]));
	snprintf(a[*n].addr, sizeof(a[*n].addr), "%s", addr);
	a[*n].max = max;
	(*n)++;
	return 0;
}

/* host -> its numeric addresses, each pushed with max. */
static int push_host(struct net_ip_limit **arr, size_t *n, const char *host,
		     uint32_t max)
{
	struct addrinfo hints, *res, *ai;
	char text[INET6_ADDRSTRLEN];
	int rc = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -ENOENT;
	for (ai = res; ai && !rc; ai = ai->ai_next) {
		const void *a =
		    ai->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)ai->ai_addr)
			      ->sin_addr
			: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)
			      ->sin6_addr;
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    inet_ntop(ai->ai_family, a, text, sizeof(text)))
			rc = push(arr, n, text, max);
	}
	freeaddrinfo(res);
	return rc;
}

static int parse_count(const char *s, uint32_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > INT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_entry(char *e, struct net_ip_limit **arr, size_t *n,
		       char *err, size_t errlen)
{
	char *colon = strrchr(e, ':');
	uint32_t max;
	int rc;

	if (!colon || colon == e || parse_count(colon + 1, &max)) {
		snprintf(err, errlen,
			 "max.connections.per.ip.overrides: '%s' is not "
			 "host:count with a count from 0 to 2147483647",
			 e);
		return -EINVAL;
	}
	*colon = 0;
	rc = push_host(arr, n, e, max);
	if (rc == -ENOENT) {
		snprintf(err, errlen,
			 "max.connections.per.ip.overrides: cannot resolve "
			 "host '%s'",
			 e);
		return -EINVAL;
	}
	return rc;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = 0;
	return s;
}

int conn_limits_parse_overrides(const char *value, struct net_ip_limit **out,
				size_t *n, char *err, size_t errlen)
{
	char *copy, *save = NULL, *tok;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!value || !*value)
		return 0;
	if (!(copy = strdup(value)))
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		char *e = trim(tok);
		if (*e)
			rc = parse_entry(e, out, n, err, errlen);
	}
	free(copy);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
