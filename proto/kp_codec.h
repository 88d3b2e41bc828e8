/* kp_codec.h - Kafka wire primitives: a bounded reader and a buf writer.
 *
 * The reader has a sticky error: after the first failure (short input,
 * bad length, over-long varint) every read returns zero and rd->err stays
 * set, so a caller checks once at the end. It never reads past its slice.
 * The writer appends to a struct buf whose own sticky error (buf.err)
 * records failures; nothing here allocates except through that buf.
 *
 * Strings are (pointer, length): a decoded string is a NUL-terminated copy
 * in the caller's arena (so .ptr works as a C string) but may contain
 * embedded NULs, which kp_str_has_nul() detects. Byte fields and record
 * sets are not copied: they point into the buffer being read.
 *
 * Thread: a reader or writer belongs to one thread at a time.
 */
#ifndef SEALOG_PROTO_KP_CODEC_H
#define SEALOG_PROTO_KP_CODEC_H

#include <errno.h> /* the -EBADMSG / -ENOMEM / -EMSGSIZE contract */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct buf;

/* A string field. Null is { NULL, -1 }; a zeroed kp_str is "" (len 0). */
struct kp_str {
	const char *ptr;
	int32_t len;
};

/* A bytes or records field. Null is { NULL, -1 }; zeroed is empty. */
struct kp_bytes {
	const uint8_t *ptr;
	int32_t len;
};

struct kp_uuid {
	uint8_t b[16];
};

/* A kp_str for a string literal (not for a pointer: uses sizeof). */
#define KP_STR(lit) ((struct kp_str){(lit), (int32_t)(sizeof(lit) - 1)})
#define KP_STR_NULL ((struct kp_str){NULL, -1})
#define KP_BYTES_NULL ((struct kp_bytes){NULL, -1})

/* cstr as a kp_str (not copied); NULL gives the null string. */
struct kp_str kp_str_of(const char *cstr);
/* s equals cstr byte for byte; the null string equals only NULL. */
bool kp_str_eq(struct kp_str s, const char *cstr);
/* s contains a NUL byte within its length (names with one are invalid). */
bool kp_str_has_nul(struct kp_str s);

/* --- reader ----------------------------------------------------------- */

struct kp_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err; /* 0, -EBADMSG or -ENOMEM; sticky */
};

/* Read from p[0..len); p may be NULL when len is 0. */
void kp_reader_init(struct kp_reader *rd, const uint8_t *p, size_t len);
/* Bytes not yet consumed; 0 once an error is set. */
size_t kp_reader_remaining(const struct kp_reader *rd);
/* Record err (negative errno) unless an error is already set. */
void kp_reader_fail(struct kp_reader *rd, int err);

/* The next len bytes (a pointer into the input, not a copy) or NULL with
 * -EBADMSG when fewer remain. */
const uint8_t *kp_read_raw(struct kp_reader *rd, size_t len);

/* Big-endian fixed-width reads; 0 after an error. bool: any non-zero
 * byte is true (as Kafka reads it). */
bool kp_read_bool(struct kp_reader *rd);
int8_t kp_read_i8(struct kp_reader *rd);
int16_t kp_read_i16(struct kp_reader *rd);
uint16_t kp_read_u16(struct kp_reader *rd);
int32_t kp_read_i32(struct kp_reader *rd);
uint32_t kp_read_u32(struct kp_reader *rd);
int64_t kp_read_i64(struct kp_reader *rd);
double kp_read_f64(struct kp_reader *rd);
void kp_read_uuid(struct kp_reader *rd, struct kp_uuid *out);

/* Unsigned LEB128 varints. uvarint: at most 5 bytes and a value that fits
 * 32 bits; uvarlong: at most 10 bytes, fits 64 bits. Longer or overflowing
 * encodings and a continuation bit at the end of input are -EBADMSG. */
uint32_t kp_read_uvarint(struct kp_reader *rd);
uint64_t kp_read_uvarlong(struct kp_reader *rd);
/* Zigzag signed varints (record batches). */
int32_t kp_read_varint(struct kp_reader *rd);
int64_t kp_read_varlong(struct kp_reader *rd);

/* Length prefixes. Return -1 for null, else the length (>= 0); on error
 * -1 with rd->err set, so check rd->err. Non-compact string lengths are
 * int16, bytes and array lengths int32; a value below -1 is -EBADMSG.
 * Compact lengths are uvarint N+1 (0 = null); N+1 > INT32_MAX+1 is
 * -EBADMSG. Lengths are not checked against the bytes left here. */
int32_t kp_read_str_len(struct kp_reader *rd, bool compact);
int32_t kp_read_bytes_len(struct kp_reader *rd, bool compact);

/* An array count: null (-1) only when nullable, and never more elements
 * than could fit in the bytes left at min_elem_len (>= 1) bytes each, so a
 * caller can allocate count elements without trusting the peer. -1 for
 * null, else the count; on error 0 with -EBADMSG set. */
int32_t kp_read_array_len(struct kp_reader *rd, bool compact, bool nullable,
			  size_t min_elem_len);

/* A string: null only when nullable; the bytes are copied into a (NUL
 * terminated). 0, -EBADMSG or -ENOMEM (also left in rd->err). */
int kp_read_str(struct kp_reader *rd, bool compact, bool nullable,
		struct arena *a, struct kp_str *out);
/* Bytes: null only when nullable; out points into the input (no copy).
 * 0 or -EBADMSG. */
int kp_read_bytes(struct kp_reader *rd, bool compact, bool nullable,
		  struct kp_bytes *out);

/* --- writer ----------------------------------------------------------- */

/* Appends to *b. Zero-initialise, then set b; nothing else to set up.
 * Errors (ENOMEM, the buf's cap, EMSGSIZE for a length the wire cannot
 * carry, EINVAL for an inconsistent value) are sticky in b->err. */
struct kp_writer {
	struct buf *b;
};

/* Record err in w->b unless an error is already set. */
void kp_writer_fail(struct kp_writer *w, int err);

void kp_write_raw(struct kp_writer *w, const void *p, size_t len);
void kp_write_bool(struct kp_writer *w, bool v);
void kp_write_i8(struct kp_writer *w, int8_t v);
void kp_write_i16(struct kp_writer *w, int16_t v);
void kp_write_u16(struct kp_writer *w, uint16_t v);
void kp_write_i32(struct kp_writer *w, int32_t v);
void kp_write_u32(struct kp_writer *w, uint32_t v);
void kp_write_i64(struct kp_writer *w, int64_t v);
void kp_write_f64(struct kp_writer *w, double v);
void kp_write_uuid(struct kp_writer *w, const struct kp_uuid *u);
void kp_write_uvarint(struct kp_writer *w, uint32_t v);
void kp_write_uvarlong(struct kp_writer *w, uint64_t v);
void kp_write_varint(struct kp_writer *w, int32_t v);
void kp_write_varlong(struct kp_writer *w, int64_t v);

/* Length prefixes; len -1 writes null (0 in compact form). */
void kp_write_str_len(struct kp_writer *w, bool compact, int32_t len);
void kp_write_bytes_len(struct kp_writer *w, bool compact, int32_t len);

/* A string or bytes value with its prefix. A null value (len < 0) is
 * written as null when nullable, else as empty. A non-compact string
 * longer than INT16_MAX is -EMSGSIZE; len > 0 with ptr NULL is -EINVAL. */
void kp_write_str(struct kp_writer *w, bool compact, bool nullable,
		  struct kp_str s);
void kp_write_bytes(struct kp_writer *w, bool compact, bool nullable,
		    struct kp_bytes v);

/* Insert, at offset mark, the uvarint of the number of bytes written
 * since mark (the size prefix of a tagged field). */
void kp_write_size_prefix(struct kp_writer *w, size_t mark);

/* Append a 4-byte size placeholder and return its offset. */
size_t kp_frame_begin(struct kp_writer *w);
/* Patch the placeholder at mark with the number of bytes after it;
 * -EMSGSIZE when that exceeds INT32_MAX. No-op after an error. */
void kp_frame_end(struct kp_writer *w, size_t mark);

#endif
