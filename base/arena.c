/* arena.c - chunked bump allocator; see arena.h. */
#include "base/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_CHUNK_MIN 4096

struct arena_chunk {
	struct arena_chunk *next;
	size_t cap;
	size_t off;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(struct arena *a, size_t limit)
{
	a->head = NULL;
	a->used = 0;
	a->limit = limit;
}

void arena_fini(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *keep = a->head;

	if (!keep)
		return;
	/* Keep the oldest chunk: it is usually the one sized for a request. */
	while (keep->next) {
		struct arena_chunk *c = keep;
		keep = keep->next;
		free(c);
	}
	keep->off = 0;
	a->head = keep;
	a->used = 0;
}

static struct arena_chunk *arena_chunk_new(size_t need)
{
	size_t cap = need < ARENA_CHUNK_MIN ? ARENA_CHUNK_MIN : need;
	struct arena_chunk *c;

	if (cap > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + cap);
	if (!c)
		return NULL;
	c->cap = cap;
	c->off = 0;
	c->next = NULL;
	return c;
}

void *arena_alloc(struct arena *a, size_t len)
{
	size_t rounded = (len + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	struct arena_chunk *c = a->head;
	void *p;

	if (rounded < len)
		return NULL;
	if (rounded == 0)
		rounded = ARENA_ALIGN;
	if (a->limit && (rounded > a->limit || a->used > a->limit - rounded))
		return NULL;
	if (!c || c->cap - c->off < rounded) {
		size_t grow = c ? c->cap * 2 : ARENA_CHUNK_MIN;
		struct arena_chunk *n =
			arena_chunk_new(rounded > grow ? rounded : grow);
		if (!n)
			return NULL;
		n->next = c;
		a->head = n;
		c = n;
	}
	p = c->data + c->off;
	c->off += rounded;
	a->used += rounded;
	return p;
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
	void *p;

	if (size && count > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(a, count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

char *arena_strndup(struct arena *a, const char *src, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, len + 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, src, len);
	p[len] = '\0';
	return p;
}

void *arena_memdup(struct arena *a, const void *src, size_t len)
{
	void *p = arena_alloc(a, len);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
