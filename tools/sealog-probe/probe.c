/* sealog-probe - is a broker answering Kafka requests?
 *
 *   sealog-probe [host:port]     (default 127.0.0.1:9092)
 *
 * Connects, sends one ApiVersions v0 request and waits (5 s at most) for
 * an answer with error code 0. Exit 0 when it came, 1 otherwise, with one
 * line on stderr saying why. Meant for container health checks: a TCP
 * connect alone would pass before the broker serves anything.
 *
 * PLAINTEXT listeners only (a health check runs inside the container,
 * against a local plaintext or loopback listener).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROBE_TIMEOUT_MS 5000

static int probe_connect(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, rc = getaddrinfo(host, port, &hints, &res);

	if (rc) {
		fprintf(stderr, "sealog-probe: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "sealog-probe: connect %s:%s: %s\n", host, port,
			strerror(errno));
	return fd;
}

/* Read exactly n bytes within the deadline. 0 or -1. */
static int probe_read(int fd, uint8_t *p, size_t n)
{
	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got;
		if (poll(&pfd, 1, PROBE_TIMEOUT_MS) <= 0)
			return -1;
		got = read(fd, p, n);
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* size 22 | api key 18 | version 0 | correlation id 1 | "sealog-probe" */
	static const uint8_t req[] = { 0, 0, 0, 22, 0, 18, 0, 0, 0, 0, 0, 1,
				       0, 12, 's', 'e', 'a', 'l', 'o', 'g', '-',
				       'p', 'r', 'o', 'b', 'e' };
	char addr[300] = "127.0.0.1:9092", *colon;
	uint8_t resp[10];
	int fd;

	if (argc > 2 || (argc == 2 && strlen(argv[1]) >= sizeof(addr))) {
		fprintf(stderr, "usage: sealog-probe [host:port]\n");
		return 2;
	}
	if (argc == 2)
		strcpy(addr, argv[1]);
	colon = strrchr(addr, ':');
	if (!colon) {
		fprintf(stderr, "sealog-probe: %s: expected host:port\n", addr);
		return 2;
	}
	*colon = '\0';
	fd = probe_connect(addr, colon + 1);
	if (fd < 0)
		return 1;
	/* size, correlation id, error code of the v0 response */
	if (write(fd, req, sizeof(req)) != (ssize_t)sizeof(req) ||
	    probe_read(fd, resp, sizeof(resp))) {
		fprintf(stderr, "sealog-probe: no ApiVersions answer\n");
		close(fd);
		return 1;
	}
	close(fd);
	if (resp[7] != 1 || resp[8] != 0 || resp[9] != 0) {
		fprintf(stderr, "sealog-probe: unexpected ApiVersions answer\n");
		return 1;
	}
	return 0;
}
