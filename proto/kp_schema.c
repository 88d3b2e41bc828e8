/* kp_schema.c - the table-driven Kafka codec; see kp_schema.h.
 *
 * A message is a tree of structs; each kp_schema lists its fields in wire
 * order. Decoding a struct at version v:
 *
 *   for each field present at v and not tagged at v:  read it
 *   if v is flexible:                                 read the tag section
 *
 * Invariants:
 *  1. Input is read only through the kp_reader primitives (kp_codec.c),
 *     which never pass the end of their slice; a tagged field is decoded
 *     from a sub-reader limited to its declared size.
 *  2. Nothing is allocated before its length was checked against the
 *     bytes left (kp_read_array_len, kp_read_raw), and then only from the
 *     caller's arena, so memory stays a small multiple of the input.
 *  3. Recursion depth is that of the schema (fixed by the spec), never
 *     something the input chooses.
 *
 * Members are reached through their offsets; array pointers are copied
 * with memcpy so no pointer is accessed through a different pointer type.
 */
#include "proto/kp_schema.h"

#include <errno.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"

#define KP_TAG_MAX_LEN (128u * 1024u) /* as Redpanda: larger is hostile */
#define KP_POOL_LEN 512		      /* string pool chunk */

/* One decode call: the reader in use (a sub-reader inside a tagged field)
 * and a pool that packs small strings without per-string arena rounding. */
struct kp_dec {
	struct kp_reader *rd;
	struct arena *a;
	int16_t ver;
	bool flex;
	char *pool;
	size_t pool_left;
};

struct kp_enc {
	struct kp_writer *w;
	int16_t ver;
	bool flex;
};

static void kp_dec_struct(struct kp_dec *d, const struct kp_schema *s,
			  void *obj);
static void kp_enc_struct(struct kp_enc *e, const struct kp_schema *s,
			  const void *obj);
static bool kp_schema_is_default(const struct kp_schema *s, const void *obj);

static void *kp_at(void *obj, uint32_t off)
{
	return (char *)obj + off;
}

static const void *kp_at_c(const void *obj, uint32_t off)
{
	return (const char *)obj + off;
}

static bool kp_is_int(uint8_t type)
{
	return type >= KP_T_BOOL && type <= KP_T_INT64;
}

size_t kp_field_elem_size(const struct kp_field *f)
{
	switch (f->type) {
	case KP_T_BOOL:
		return sizeof(bool);
	case KP_T_INT8:
		return 1;
	case KP_T_INT16:
	case KP_T_UINT16:
		return 2;
	case KP_T_INT32:
	case KP_T_UINT32:
		return 4;
	case KP_T_INT64:
	case KP_T_FLOAT64:
		return 8;
	case KP_T_UUID:
		return sizeof(struct kp_uuid);
	case KP_T_STRING:
		return sizeof(struct kp_str);
	case KP_T_BYTES:
	case KP_T_RECORDS:
		return sizeof(struct kp_bytes);
	default:
		return f->sub->size;
	}
}

/* Fewest bytes one element can take on the wire (>= 1). */
static size_t kp_elem_min_len(const struct kp_field *f, int16_t ver,
			      bool compact)
{
	switch (f->type) {
	case KP_T_UUID:
		return 16;
	case KP_T_STRING:
		return compact ? 1 : 2;
	case KP_T_BYTES:
	case KP_T_RECORDS:
		return compact ? 1 : 4;
	case KP_T_STRUCT:
		return f->sub->min_len[ver] ? f->sub->min_len[ver] : 1;
	case KP_T_BOOL:
	case KP_T_INT8:
		return 1;
	default:
		return kp_field_elem_size(f); /* fixed-width integers and floats */
	}
}

static int64_t kp_int_load(uint8_t type, const void *p)
{
	switch (type) {
	case KP_T_BOOL:
		return *(const bool *)p;
	case KP_T_INT8:
		return *(const int8_t *)p;
	case KP_T_INT16:
		return *(const int16_t *)p;
	case KP_T_UINT16:
		return *(const uint16_t *)p;
	case KP_T_INT32:
		return *(const int32_t *)p;
	case KP_T_UINT32:
		return *(const uint32_t *)p;
	default:
		return *(const int64_t *)p;
	}
}

static void kp_int_store(uint8_t type, void *p, int64_t v)
{
	switch (type) {
	case KP_T_BOOL:
		*(bool *)p = v != 0;
		break;
	case KP_T_INT8:
		*(int8_t *)p = (int8_t)v;
		break;
	case KP_T_INT16:
		*(int16_t *)p = (int16_t)v;
		break;
	case KP_T_UINT16:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case KP_T_INT32:
		*(int32_t *)p = (int32_t)v;
		break;
	case KP_T_UINT32:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(int64_t *)p = v;
		break;
	}
}

static void *kp_array_ptr(const void *obj, const struct kp_field *f)
{
	void *arr;

	memcpy(&arr, kp_at_c(obj, f->off), sizeof(arr));
	return arr;
}

static int32_t kp_array_count(const void *obj, const struct kp_field *f)
{
	return *(const int32_t *)kp_at_c(obj, f->count_off);
}

/* --- init ------------------------------------------------------------- */

static void kp_field_init(const struct kp_field *f, void *obj)
{
	void *p = kp_at(obj, f->off);
	struct kp_str *s = p;
	struct kp_bytes *b = p;

	if (f->array) {
		*(int32_t *)kp_at(obj, f->count_off) = f->def_null ? -1 : 0;
		return;
	}
	if (kp_is_int(f->type)) {
		kp_int_store(f->type, p, f->def_int);
	} else if (f->type == KP_T_FLOAT64) {
		*(double *)p = f->def_float;
	} else if (f->type == KP_T_STRING) {
		*s = f->def_null ? KP_STR_NULL
				 : kp_str_of(f->def_str ? f->def_str : "");
	} else if (f->type == KP_T_BYTES || f->type == KP_T_RECORDS) {
		if (f->def_null)
			*b = KP_BYTES_NULL;
	} else if (f->type == KP_T_STRUCT) {
		kp_schema_init(f->sub, p);
	}
}

void kp_schema_init(const struct kp_schema *s, void *obj)
{
	memset(obj, 0, s->size);
	for (uint16_t i = 0; i < s->field_count; i++)
		kp_field_init(&s->fields[i], obj);
}

/* --- decode ----------------------------------------------------------- */

static bool kp_dec_compact(const struct kp_dec *d, const struct kp_field *f)
{
	return d->flex && kp_vrange_has(f->flexible, d->ver);
}

/* A NUL-terminated copy of n (> 0) bytes from the pool or the arena. */
static const char *kp_dec_copy(struct kp_dec *d, const uint8_t *p, size_t n)
{
	char *dst;

	if (n + 1 > KP_POOL_LEN / 4) {
		dst = arena_alloc(d->a, n + 1);
	} else {
		if (d->pool_left < n + 1) {
			d->pool = arena_alloc(d->a, KP_POOL_LEN);
			d->pool_left = d->pool ? KP_POOL_LEN : 0;
		}
		dst = d->pool;
		if (dst) {
			d->pool += n + 1;
			d->pool_left -= n + 1;
		}
	}
	if (!dst) {
		kp_reader_fail(d->rd, -ENOMEM);
		return NULL;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
	return dst;
}

static void kp_dec_string(struct kp_dec *d, bool compact, bool nullable,
			  struct kp_str *out)
{
	int32_t n = kp_read_str_len(d->rd, compact);
	const uint8_t *p;

	if (d->rd->err)
		return;
	if (n < 0) {
		if (!nullable)
			kp_reader_fail(d->rd, -EBADMSG);
		*out = KP_STR_NULL;
		return;
	}
	p = kp_read_raw(d->rd, (size_t)n);
	if (!p)
		return;
	out->ptr = n ? kp_dec_copy(d, p, (size_t)n) : "";
	out->len = out->ptr ? n : -1;
}

/* One value of f's type into p: a scalar field or an array element
 * (elements are never null; the spec's nullability is the array's). */
static void kp_dec_value(struct kp_dec *d, const struct kp_field *f, void *p,
			 bool elem)
{
	bool compact = kp_dec_compact(d, f);
	bool nullable = !elem && kp_vrange_has(f->nullable, d->ver);
	struct kp_reader *rd = d->rd;

	switch (f->type) {
	case KP_T_BOOL:
		*(bool *)p = kp_read_bool(rd);
		break;
	case KP_T_INT8:
		*(int8_t *)p = kp_read_i8(rd);
		break;
	case KP_T_INT16:
		*(int16_t *)p = kp_read_i16(rd);
		break;
	case KP_T_UINT16:
		*(uint16_t *)p = kp_read_u16(rd);
		break;
	case KP_T_INT32:
		*(int32_t *)p = kp_read_i32(rd);
		break;
	case KP_T_UINT32:
		*(uint32_t *)p = kp_read_u32(rd);
		break;
	case KP_T_INT64:
		*(int64_t *)p = kp_read_i64(rd);
		break;
	case KP_T_FLOAT64:
		*(double *)p = kp_read_f64(rd);
		break;
	case KP_T_UUID:
		kp_read_uuid(rd, p);
		break;
	case KP_T_STRING:
		kp_dec_string(d, compact, nullable, p);
		break;
	case KP_T_BYTES:
	case KP_T_RECORDS:
		kp_read_bytes(rd, compact, nullable, p);
		break;
	case KP_T_STRUCT:
		/* embedded structs were set up by the parent's init */
		if (elem)
			kp_schema_init(f->sub, p);
		kp_dec_struct(d, f->sub, p);
		break;
	default:
		kp_reader_fail(rd, -EINVAL);
		break;
	}
}

static void kp_dec_array(struct kp_dec *d, const struct kp_field *f, void *obj)
{
	bool compact = kp_dec_compact(d, f);
	size_t esz = kp_field_elem_size(f);
	int32_t n = kp_read_array_len(d->rd, compact,
				      kp_vrange_has(f->nullable, d->ver),
				      kp_elem_min_len(f, d->ver, compact));
	uint8_t *arr = NULL;

	if (d->rd->err)
		return;
	if (n > 0) {
		arr = arena_calloc(d->a, (size_t)n, esz);
		if (!arr) {
			kp_reader_fail(d->rd, -ENOMEM);
			return;
		}
		for (int32_t i = 0; i < n && !d->rd->err; i++)
			kp_dec_value(d, f, arr + (size_t)i * esz, true);
	}
	memcpy(kp_at(obj, f->off), &arr, sizeof(arr));
	*(int32_t *)kp_at(obj, f->count_off) = n;
}

static void kp_dec_field(struct kp_dec *d, const struct kp_field *f, void *obj)
{
	if (f->array)
		kp_dec_array(d, f, obj);
	else
		kp_dec_value(d, f, kp_at(obj, f->off), false);
}

static const struct kp_field *kp_tagged_find(const struct kp_schema *s,
					     uint32_t tag, int16_t ver)
{
	for (uint16_t i = 0; i < s->tag_count; i++) {
		const struct kp_field *f = &s->fields[s->tag_order[i]];
		if ((uint32_t)f->tag == tag && kp_field_tagged(f, ver))
			return f;
	}
	return NULL;
}

/* A known tagged field: decode it from exactly its size bytes. */
static void kp_dec_tagged(struct kp_dec *d, const struct kp_field *f, void *obj,
			  uint32_t size)
{
	struct kp_reader *outer = d->rd, sub;

	kp_reader_init(&sub, kp_read_raw(outer, size), size);
	d->rd = &sub;
	kp_dec_field(d, f, obj);
	d->rd = outer;
	if (sub.err)
		kp_reader_fail(outer, sub.err);
	else if (kp_reader_remaining(&sub))
		kp_reader_fail(outer, -EBADMSG);
}

static void kp_dec_tags(struct kp_dec *d, const struct kp_schema *s, void *obj)
{
	struct kp_reader *rd = d->rd;
	uint32_t n = kp_read_uvarint(rd);
	int64_t last = -1;

	/* Each entry takes at least two bytes (tag and size). */
	if (n > kp_reader_remaining(rd) / 2)
		kp_reader_fail(rd, -EBADMSG);
	for (uint32_t i = 0; i < n && !rd->err; i++) {
		uint32_t tag = kp_read_uvarint(rd);
		uint32_t size = kp_read_uvarint(rd);
		const struct kp_field *f;

		if (rd->err)
			return;
		if ((int64_t)tag <= last || size > KP_TAG_MAX_LEN ||
		    size > kp_reader_remaining(rd)) {
			kp_reader_fail(rd, -EBADMSG);
			return;
		}
		last = tag;
		f = kp_tagged_find(s, tag, d->ver);
		if (f)
			kp_dec_tagged(d, f, obj, size);
		else
			kp_read_raw(rd, size);
	}
}

/* obj is already initialised (defaults for fields absent at d->ver). */
static void kp_dec_struct(struct kp_dec *d, const struct kp_schema *s,
			  void *obj)
{
	for (uint16_t i = 0; i < s->field_count && !d->rd->err; i++) {
		const struct kp_field *f = &s->fields[i];
		if (kp_field_present(f, d->ver) && !kp_field_tagged(f, d->ver))
			kp_dec_field(d, f, obj);
	}
	if (d->flex && !d->rd->err)
		kp_dec_tags(d, s, obj);
}

int kp_schema_decode(const struct kp_schema *s, struct kp_reader *rd,
		     int16_t version, struct arena *a, void *obj)
{
	struct kp_dec d = {.rd = rd, .a = a, .ver = version};

	kp_schema_init(s, obj);
	if (rd->err)
		return rd->err;
	if (version < s->min_version || version > s->max_version) {
		kp_reader_fail(rd, -EBADMSG);
		return rd->err;
	}
	d.flex = kp_schema_flexible(s, version);
	kp_dec_struct(&d, s, obj);
	return rd->err;
}

/* --- defaults --------------------------------------------------------- */

bool kp_field_is_default(const struct kp_field *f, const void *obj)
{
	const void *p = kp_at_c(obj, f->off);
	const struct kp_str *s = p;
	const struct kp_bytes *b = p;
	static const struct kp_uuid zero;

	/* A null value is not the default unless the default is null, as
	 * Kafka's generated writers decide whether to send a tagged field. */
	if (f->array)
		return f->def_null ? kp_array_count(obj, f) < 0
				   : kp_array_count(obj, f) == 0;
	if (kp_is_int(f->type))
		return kp_int_load(f->type, p) == f->def_int;
	switch (f->type) {
	case KP_T_FLOAT64:
		return memcmp(p, &f->def_float, sizeof(double)) == 0;
	case KP_T_UUID:
		return memcmp(p, &zero, sizeof(zero)) == 0;
	case KP_T_STRING:
		if (f->def_null || s->len < 0)
			return f->def_null && s->len < 0;
		return kp_str_eq(*s, f->def_str ? f->def_str : "");
	case KP_T_BYTES:
	case KP_T_RECORDS:
		return f->def_null ? b->len < 0 : b->len == 0;
	case KP_T_STRUCT:
		return kp_schema_is_default(f->sub, p);
	default:
		return true;
	}
}

static bool kp_schema_is_default(const struct kp_schema *s, const void *obj)
{
	for (uint16_t i = 0; i < s->field_count; i++)
		if (!kp_field_is_default(&s->fields[i], obj))
			return false;
	return true;
}

/* --- encode ----------------------------------------------------------- */

static bool kp_enc_compact(const struct kp_enc *e, const struct kp_field *f)
{
	return e->flex && kp_vrange_has(f->flexible, e->ver);
}

static void kp_enc_value(struct kp_enc *e, const struct kp_field *f,
			 const void *p, bool elem)
{
	bool compact = kp_enc_compact(e, f);
	bool nullable = !elem && kp_vrange_has(f->nullable, e->ver);
	struct kp_writer *w = e->w;

	switch (f->type) {
	case KP_T_BOOL:
		kp_write_bool(w, *(const bool *)p);
		break;
	case KP_T_INT8:
		kp_write_i8(w, *(const int8_t *)p);
		break;
	case KP_T_INT16:
		kp_write_i16(w, *(const int16_t *)p);
		break;
	case KP_T_UINT16:
		kp_write_u16(w, *(const uint16_t *)p);
		break;
	case KP_T_INT32:
		kp_write_i32(w, *(const int32_t *)p);
		break;
	case KP_T_UINT32:
		kp_write_u32(w, *(const uint32_t *)p);
		break;
	case KP_T_INT64:
		kp_write_i64(w, *(const int64_t *)p);
		break;
	case KP_T_FLOAT64:
		kp_write_f64(w, *(const double *)p);
		break;
	case KP_T_UUID:
		kp_write_uuid(w, p);
		break;
	case KP_T_STRING:
		kp_write_str(w, compact, nullable, *(const struct kp_str *)p);
		break;
	case KP_T_BYTES:
	case KP_T_RECORDS:
		kp_write_bytes(w, compact, nullable,
			       *(const struct kp_bytes *)p);
		break;
	case KP_T_STRUCT:
		kp_enc_struct(e, f->sub, p);
		break;
	default:
		kp_writer_fail(w, -EINVAL);
		break;
	}
}

static void kp_enc_array(struct kp_enc *e, const struct kp_field *f,
			 const void *obj)
{
	bool compact = kp_enc_compact(e, f);
	int32_t n = kp_array_count(obj, f);
	const uint8_t *arr = kp_array_ptr(obj, f);
	size_t esz = kp_field_elem_size(f);

	if (n < 0) {
		/* Null where the version has no null: an empty array. */
		kp_write_bytes_len(e->w, compact,
				   kp_vrange_has(f->nullable, e->ver) ? -1 : 0);
		return;
	}
	if (n > 0 && !arr) {
		kp_writer_fail(e->w, -EINVAL);
		return;
	}
	kp_write_bytes_len(e->w, compact, n);
	for (int32_t i = 0; i < n && !e->w->b->err; i++)
		kp_enc_value(e, f, arr + (size_t)i * esz, true);
}

static void kp_enc_field(struct kp_enc *e, const struct kp_field *f,
			 const void *obj)
{
	if (f->array)
		kp_enc_array(e, f, obj);
	else
		kp_enc_value(e, f, kp_at_c(obj, f->off), false);
}

static bool kp_enc_tag_wanted(const struct kp_enc *e, const struct kp_field *f,
			      const void *obj)
{
	return kp_field_tagged(f, e->ver) && !kp_field_is_default(f, obj);
}

static void kp_enc_tags(struct kp_enc *e, const struct kp_schema *s,
			const void *obj)
{
	uint32_t n = 0;

	for (uint16_t i = 0; i < s->tag_count; i++)
		n += kp_enc_tag_wanted(e, &s->fields[s->tag_order[i]], obj);
	kp_write_uvarint(e->w, n);
	for (uint16_t i = 0; i < s->tag_count; i++) {
		const struct kp_field *f = &s->fields[s->tag_order[i]];
		size_t mark;

		if (!kp_enc_tag_wanted(e, f, obj))
			continue;
		kp_write_uvarint(e->w, (uint32_t)f->tag);
		mark = e->w->b->len;
		kp_enc_field(e, f, obj);
		kp_write_size_prefix(e->w, mark);
	}
}

static void kp_enc_struct(struct kp_enc *e, const struct kp_schema *s,
			  const void *obj)
{
	for (uint16_t i = 0; i < s->field_count && !e->w->b->err; i++) {
		const struct kp_field *f = &s->fields[i];
		if (kp_field_present(f, e->ver) && !kp_field_tagged(f, e->ver))
			kp_enc_field(e, f, obj);
	}
	if (e->flex)
		kp_enc_tags(e, s, obj);
}

void kp_schema_encode(const struct kp_schema *s, struct kp_writer *w,
		      int16_t version, const void *obj)
{
	struct kp_enc e = {.w = w, .ver = version};

	if (version < s->min_version || version > s->max_version) {
		kp_writer_fail(w, -EINVAL);
		return;
	}
	e.flex = kp_schema_flexible(s, version);
	kp_enc_struct(&e, s, obj);
}
