/* buf.h - growable byte buffer with a sticky error.
 *
 * Used to build responses and storage frames. After the first failed
 * growth (ENOMEM or the cap) every append is a no-op and buf.err stays
 * -ENOMEM / -EMSGSIZE, so callers check once at the end.
 *
 * Memory: the buffer owns data (malloc'd); buf_steal() hands it over.
 * Thread: one thread at a time.
 */
#ifndef SEALOG_BASE_BUF_H
#define SEALOG_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;   /* 0 = unlimited; growth past it sets err = -EMSGSIZE */
	int err;      /* 0 or negative errno, sticky */
};

void buf_init(struct buf *b, size_t max);
void buf_fini(struct buf *b);

/* Ensure room for add more bytes; returns a pointer to the free space
 * (len bytes in) or NULL and sets the sticky error. */
uint8_t *buf_reserve(struct buf *b, size_t add);

/* Append len bytes; no-op after an error. */
void buf_append(struct buf *b, const void *src, size_t len);

/* Append len bytes of unspecified content and return where they start
 * (to be patched later); NULL after an error. */
uint8_t *buf_extend(struct buf *b, size_t len);

/* Give up ownership of the bytes; the buffer is left empty. */
uint8_t *buf_steal(struct buf *b, size_t *len);

void buf_clear(struct buf *b);

#endif
