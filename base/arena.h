/* arena.h - per-request bump allocator.
 *
 * An arena hands out memory that is released all at once by arena_reset()
 * or arena_fini(). Every allocation made while decoding or handling one
 * request comes from that request's arena, so a handler never frees.
 *
 * Bounded: an arena created with a non-zero limit refuses (returns NULL)
 * any allocation that would take its total above the limit. This is the
 * guard that keeps hostile length fields from turning into large heaps.
 *
 * Thread: an arena belongs to one thread at a time; no locking.
 */
#ifndef SEALOG_BASE_ARENA_H
#define SEALOG_BASE_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* newest chunk first */
	size_t used;              /* bytes handed out, including padding */
	size_t limit;             /* 0 = unlimited */
};

/* Initialise an empty arena. limit: maximum total bytes, 0 for none. */
void arena_init(struct arena *a, size_t limit);

/* Free every chunk. The arena may be reused after arena_init(). */
void arena_fini(struct arena *a);

/* Release all allocations but keep the first chunk for reuse. */
void arena_reset(struct arena *a);

/* 16-byte aligned memory of len bytes, or NULL when the limit would be
 * exceeded or malloc fails. len 0 returns a valid unique pointer. */
void *arena_alloc(struct arena *a, size_t len);

/* arena_alloc() + zero fill. count * size overflow returns NULL. */
void *arena_calloc(struct arena *a, size_t count, size_t size);

/* Copy of len bytes of src followed by a NUL byte. */
char *arena_strndup(struct arena *a, const char *src, size_t len);

/* Copy of len bytes. */
void *arena_memdup(struct arena *a, const void *src, size_t len);

/* printf into the arena; NULL on failure. */
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
