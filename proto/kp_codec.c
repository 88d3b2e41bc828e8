/* kp_codec.c - Kafka wire primitives; see kp_codec.h.
 *
 * Every read goes through kp_read_raw(), the one place that compares a
 * length with the bytes left, so no other function can read out of
 * bounds. Varints are decoded with unsigned arithmetic and an explicit
 * byte limit, so hostile input cannot reach an undefined shift.
 */
#include "proto/kp_codec.h"

#include <errno.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"

struct kp_str kp_str_of(const char *cstr)
{
	struct kp_str s = {NULL, -1};
	size_t n;

	if (!cstr)
		return s;
	n = strlen(cstr);
	s.ptr = cstr;
	s.len = n > INT32_MAX ? INT32_MAX : (int32_t)n;
	return s;
}

bool kp_str_eq(struct kp_str s, const char *cstr)
{
	if (s.len < 0 || !cstr)
		return s.len < 0 && !cstr;
	if (strlen(cstr) != (size_t)s.len)
		return false;
	return s.len == 0 || memcmp(s.ptr, cstr, (size_t)s.len) == 0;
}

bool kp_str_has_nul(struct kp_str s)
{
	return s.len > 0 && s.ptr && memchr(s.ptr, '\0', (size_t)s.len);
}

/* --- reader ----------------------------------------------------------- */

void kp_reader_init(struct kp_reader *rd, const uint8_t *p, size_t len)
{
	rd->p = p;
	rd->len = p ? len : 0;
	rd->off = 0;
	rd->err = 0;
}

size_t kp_reader_remaining(const struct kp_reader *rd)
{
	return rd->err ? 0 : rd->len - rd->off;
}

void kp_reader_fail(struct kp_reader *rd, int err)
{
	if (!rd->err)
		rd->err = err;
}

const uint8_t *kp_read_raw(struct kp_reader *rd, size_t len)
{
	const uint8_t *p;

	if (rd->err)
		return NULL;
	if (len > rd->len - rd->off) {
		rd->err = -EBADMSG;
		return NULL;
	}
	if (!rd->p)
		return (const uint8_t *)""; /* len is 0: no NULL + 0 */
	p = rd->p + rd->off;
	rd->off += len;
	return p;
}

static uint64_t kp_read_be(struct kp_reader *rd, size_t n)
{
	const uint8_t *p = kp_read_raw(rd, n);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

bool kp_read_bool(struct kp_reader *rd)
{
	return kp_read_be(rd, 1) != 0;
}

int8_t kp_read_i8(struct kp_reader *rd)
{
	return (int8_t)kp_read_be(rd, 1);
}

int16_t kp_read_i16(struct kp_reader *rd)
{
	return (int16_t)kp_read_be(rd, 2);
}

uint16_t kp_read_u16(struct kp_reader *rd)
{
	return (uint16_t)kp_read_be(rd, 2);
}

int32_t kp_read_i32(struct kp_reader *rd)
{
	return (int32_t)kp_read_be(rd, 4);
}

uint32_t kp_read_u32(struct kp_reader *rd)
{
	return (uint32_t)kp_read_be(rd, 4);
}

int64_t kp_read_i64(struct kp_reader *rd)
{
	return (int64_t)kp_read_be(rd, 8);
}

double kp_read_f64(struct kp_reader *rd)
{
	uint64_t bits = kp_read_be(rd, 8);
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

void kp_read_uuid(struct kp_reader *rd, struct kp_uuid *out)
{
	const uint8_t *p = kp_read_raw(rd, sizeof(out->b));

	if (p)
		memcpy(out->b, p, sizeof(out->b));
	else
		memset(out->b, 0, sizeof(out->b));
}

/* LEB128 with at most max_bytes bytes; last_mask: bits the final byte may
 * not carry (they would overflow the width). */
static uint64_t kp_read_leb(struct kp_reader *rd, unsigned max_bytes,
			    uint8_t last_mask)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < max_bytes; i++) {
		const uint8_t *p = kp_read_raw(rd, 1);
		if (!p)
			return 0;
		if (i == max_bytes - 1 && (*p & last_mask)) {
			rd->err = -EBADMSG;
			return 0;
		}
		v |= (uint64_t)(*p & 0x7f) << (7 * i);
		if (!(*p & 0x80))
			return v;
	}
	return 0; /* not reached: last_mask always includes 0x80 */
}

uint32_t kp_read_uvarint(struct kp_reader *rd)
{
	return (uint32_t)kp_read_leb(rd, 5, 0xf0);
}

uint64_t kp_read_uvarlong(struct kp_reader *rd)
{
	return kp_read_leb(rd, 10, 0xfe);
}

int32_t kp_read_varint(struct kp_reader *rd)
{
	uint32_t u = kp_read_uvarint(rd);

	return (int32_t)((u >> 1) ^ (0u - (u & 1)));
}

int64_t kp_read_varlong(struct kp_reader *rd)
{
	uint64_t u = kp_read_uvarlong(rd);

	return (int64_t)((u >> 1) ^ (0u - (u & 1)));
}

static int32_t kp_read_compact_len(struct kp_reader *rd)
{
	uint32_t n = kp_read_uvarint(rd);

	if (rd->err || n == 0)
		return -1;
	if (n - 1 > INT32_MAX) {
		rd->err = -EBADMSG;
		return -1;
	}
	return (int32_t)(n - 1);
}

int32_t kp_read_str_len(struct kp_reader *rd, bool compact)
{
	int16_t n;

	if (compact)
		return kp_read_compact_len(rd);
	n = kp_read_i16(rd);
	if (n < -1)
		kp_reader_fail(rd, -EBADMSG);
	return rd->err ? -1 : n;
}

int32_t kp_read_bytes_len(struct kp_reader *rd, bool compact)
{
	int32_t n;

	if (compact)
		return kp_read_compact_len(rd);
	n = kp_read_i32(rd);
	if (n < -1)
		kp_reader_fail(rd, -EBADMSG);
	return rd->err ? -1 : n;
}

int32_t kp_read_array_len(struct kp_reader *rd, bool compact, bool nullable,
			  size_t min_elem_len)
{
	int32_t n = kp_read_bytes_len(rd, compact);

	if (rd->err)
		return 0;
	if (n < 0) {
		if (!nullable)
			rd->err = -EBADMSG;
		return rd->err ? 0 : -1;
	}
	if (min_elem_len == 0)
		min_elem_len = 1;
	if ((size_t)n > (rd->len - rd->off) / min_elem_len) {
		rd->err = -EBADMSG;
		return 0;
	}
	return n;
}

int kp_read_str(struct kp_reader *rd, bool compact, bool nullable,
		struct arena *a, struct kp_str *out)
{
	int32_t n = kp_read_str_len(rd, compact);
	const uint8_t *p;
	char *copy;

	if (rd->err)
		return rd->err;
	if (n < 0) {
		if (!nullable)
			return rd->err = -EBADMSG;
		*out = KP_STR_NULL;
		return 0;
	}
	p = kp_read_raw(rd, (size_t)n);
	if (!p)
		return rd->err;
	copy = n ? arena_strndup(a, (const char *)p, (size_t)n) : (char *)"";
	if (!copy)
		return rd->err = -ENOMEM;
	out->ptr = copy;
	out->len = n;
	return 0;
}

int kp_read_bytes(struct kp_reader *rd, bool compact, bool nullable,
		  struct kp_bytes *out)
{
	int32_t n = kp_read_bytes_len(rd, compact);
	const uint8_t *p;

	if (rd->err)
		return rd->err;
	if (n < 0) {
		if (!nullable)
			return rd->err = -EBADMSG;
		*out = KP_BYTES_NULL;
		return 0;
	}
	p = kp_read_raw(rd, (size_t)n);
	if (!p)
		return rd->err;
	out->ptr = p;
	out->len = n;
	return 0;
}

/* --- writer ----------------------------------------------------------- */

void kp_writer_fail(struct kp_writer *w, int err)
{
	if (!w->b->err)
		w->b->err = err;
}

void kp_write_raw(struct kp_writer *w, const void *p, size_t len)
{
	buf_append(w->b, p, len);
}

static void kp_write_be(struct kp_writer *w, uint64_t v, size_t n)
{
	uint8_t *p = buf_extend(w->b, n);

	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

void kp_write_bool(struct kp_writer *w, bool v)
{
	kp_write_be(w, v ? 1 : 0, 1);
}

void kp_write_i8(struct kp_writer *w, int8_t v)
{
	kp_write_be(w, (uint8_t)v, 1);
}

void kp_write_i16(struct kp_writer *w, int16_t v)
{
	kp_write_be(w, (uint16_t)v, 2);
}

void kp_write_u16(struct kp_writer *w, uint16_t v)
{
	kp_write_be(w, v, 2);
}

void kp_write_i32(struct kp_writer *w, int32_t v)
{
	kp_write_be(w, (uint32_t)v, 4);
}

void kp_write_u32(struct kp_writer *w, uint32_t v)
{
	kp_write_be(w, v, 4);
}

void kp_write_i64(struct kp_writer *w, int64_t v)
{
	kp_write_be(w, (uint64_t)v, 8);
}

void kp_write_f64(struct kp_writer *w, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	kp_write_be(w, bits, 8);
}

void kp_write_uuid(struct kp_writer *w, const struct kp_uuid *u)
{
	buf_append(w->b, u->b, sizeof(u->b));
}

static size_t kp_leb_encode(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

void kp_write_uvarint(struct kp_writer *w, uint32_t v)
{
	uint8_t tmp[5];

	buf_append(w->b, tmp, kp_leb_encode(tmp, v));
}

void kp_write_uvarlong(struct kp_writer *w, uint64_t v)
{
	uint8_t tmp[10];

	buf_append(w->b, tmp, kp_leb_encode(tmp, v));
}

void kp_write_varint(struct kp_writer *w, int32_t v)
{
	uint32_t u = (uint32_t)v << 1 ^ (v < 0 ? UINT32_MAX : 0);

	kp_write_uvarint(w, u);
}

void kp_write_varlong(struct kp_writer *w, int64_t v)
{
	uint64_t u = (uint64_t)v << 1 ^ (v < 0 ? UINT64_MAX : 0);

	kp_write_uvarlong(w, u);
}

void kp_write_str_len(struct kp_writer *w, bool compact, int32_t len)
{
	if (len < 0)
		len = -1;
	if (compact) {
		kp_write_uvarint(w, (uint32_t)len + 1);
	} else if (len > INT16_MAX) {
		kp_writer_fail(w, -EMSGSIZE);
	} else {
		kp_write_i16(w, (int16_t)len);
	}
}

void kp_write_bytes_len(struct kp_writer *w, bool compact, int32_t len)
{
	if (len < 0)
		len = -1;
	if (compact)
		kp_write_uvarint(w, (uint32_t)len + 1);
	else
		kp_write_i32(w, len);
}

void kp_write_str(struct kp_writer *w, bool compact, bool nullable,
		  struct kp_str s)
{
	if (s.len < 0) {
		kp_write_str_len(w, compact, nullable ? -1 : 0);
		return;
	}
	if (s.len > 0 && !s.ptr) {
		kp_writer_fail(w, -EINVAL);
		return;
	}
	kp_write_str_len(w, compact, s.len);
	if (!w->b->err)
		buf_append(w->b, s.ptr, (size_t)s.len);
}

void kp_write_bytes(struct kp_writer *w, bool compact, bool nullable,
		    struct kp_bytes v)
{
	if (v.len < 0) {
		kp_write_bytes_len(w, compact, nullable ? -1 : 0);
		return;
	}
	if (v.len > 0 && !v.ptr) {
		kp_writer_fail(w, -EINVAL);
		return;
	}
	kp_write_bytes_len(w, compact, v.len);
	buf_append(w->b, v.ptr, (size_t)v.len);
}

void kp_write_size_prefix(struct kp_writer *w, size_t mark)
{
	struct buf *b = w->b;
	uint8_t tmp[10];
	size_t n, k;

	if (b->err)
		return;
	if (mark > b->len) {
		b->err = -EINVAL;
		return;
	}
	n = b->len - mark;
	if (n > UINT32_MAX) {
		b->err = -EMSGSIZE;
		return;
	}
	k = kp_leb_encode(tmp, n);
	if (!buf_extend(b, k))
		return;
	memmove(b->data + mark + k, b->data + mark, n);
	memcpy(b->data + mark, tmp, k);
}

size_t kp_frame_begin(struct kp_writer *w)
{
	size_t mark = w->b->len;

	kp_write_i32(w, 0);
	return mark;
}

void kp_frame_end(struct kp_writer *w, size_t mark)
{
	struct buf *b = w->b;
	size_t n;

	if (b->err)
		return;
	if (mark > b->len || b->len - mark < 4) {
		b->err = -EINVAL;
		return;
	}
	n = b->len - mark - 4;
	if (n > INT32_MAX) {
		b->err = -EMSGSIZE;
		return;
	}
	for (int i = 0; i < 4; i++)
		b->data[mark + (size_t)i] = (uint8_t)(n >> (8 * (3 - i)));
}
