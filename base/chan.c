/* chan.c - see chan.h. */
#include "base/chan.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int chan_init(struct chan *c)
{
	c->head = c->tail = NULL;
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->efd < 0)
		return -errno;
	pthread_mutex_init(&c->mu, NULL);
	return 0;
}

void chan_fini(struct chan *c)
{
	if (c->efd >= 0)
		close(c->efd);
	c->efd = -1;
	pthread_mutex_destroy(&c->mu);
}

void chan_push(struct chan *c, struct chan_node *n)
{
	int was_empty;

	n->next = NULL;
	pthread_mutex_lock(&c->mu);
	was_empty = c->head == NULL;
	if (c->tail)
		c->tail->next = n;
	else
		c->head = n;
	c->tail = n;
	pthread_mutex_unlock(&c->mu);
	if (was_empty) {
		uint64_t one = 1;
		/* EAGAIN means the counter is already non-zero: still woken. */
		(void)!write(c->efd, &one, sizeof(one));
	}
}

struct chan_node *chan_drain(struct chan *c)
{
	struct chan_node *list;
	uint64_t v;

	/* Clear the wakeup first: a push after this read re-arms it. */
	(void)!read(c->efd, &v, sizeof(v));
	pthread_mutex_lock(&c->mu);
	list = c->head;
	c->head = c->tail = NULL;
	pthread_mutex_unlock(&c->mu);
	return list;
}
