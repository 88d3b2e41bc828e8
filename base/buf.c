/* buf.c - see buf.h. */
#include "base/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
}

void buf_fini(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	b->err = 0;
}

uint8_t *buf_reserve(struct buf *b, size_t add)
{
	size_t need, cap;
	uint8_t *p;

	if (b->err)
		return NULL;
	if (add > SIZE_MAX - b->len) {
		b->err = -ENOMEM;
		return NULL;
	}
	need = b->len + add;
	if (b->max && need > b->max) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	if (need <= b->cap)
		return b->data + b->len;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (b->max && cap > b->max)
		cap = b->max;
	p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return NULL;
	}
	b->data = p;
	b->cap = cap;
	return b->data + b->len;
}

void buf_append(struct buf *b, const void *src, size_t len)
{
	uint8_t *p = buf_reserve(b, len);

	if (!p)
		return;
	if (len)
		memcpy(p, src, len);
	b->len += len;
}

uint8_t *buf_extend(struct buf *b, size_t len)
{
	uint8_t *p = buf_reserve(b, len);

	if (!p)
		return NULL;
	b->len += len;
	return p;
}

uint8_t *buf_steal(struct buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
