/* chan.h - multi-producer, single-consumer queue with an eventfd wakeup.
 *
 * Threads hand work to each other through a chan: producers (any thread)
 * chan_push() intrusive nodes; the one consumer thread waits until
 * chan_fd() is readable (poll(2) or an io_uring read), then chan_drain()
 * takes every queued node in FIFO order and clears the wakeup.
 *
 * The eventfd is written only when the queue goes from empty to non-empty,
 * so a burst of pushes costs one wakeup.
 */
#ifndef SEALOG_BASE_CHAN_H
#define SEALOG_BASE_CHAN_H

#include <pthread.h>

struct chan_node {
	struct chan_node *next;
};

struct chan {
	pthread_mutex_t mu;
	struct chan_node *head;
	struct chan_node *tail;
	int efd;
};

/* 0 or -errno (eventfd failure). */
int chan_init(struct chan *c);

/* Closes the eventfd; queued nodes are not freed (drain first). */
void chan_fini(struct chan *c);

/* Any thread. Never fails. */
void chan_push(struct chan *c, struct chan_node *n);

/* Consumer thread only: returns the queued list (NULL if empty), oldest
 * first, linked by next, and resets the eventfd counter. */
struct chan_node *chan_drain(struct chan *c);

/* The eventfd that becomes readable when nodes are queued. */
static inline int chan_fd(const struct chan *c) { return c->efd; }

#endif
