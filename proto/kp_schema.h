/* kp_schema.h - the table-driven codec behind every generated message.
 *
 * tools/kpgen/kpgen.py turns each Kafka JSON spec into a kp_schema per
 * struct (kp_gen.c): the C layout (member offsets) plus the spec's rules
 * (versions, nullable versions, tagged versions and tags, defaults). The
 * functions here walk those tables, so every bound check of every message
 * lives in one hand-written, fuzzed file (kp_schema.c).
 *
 * Decoding rules (peer input; reliability.md 3.2 P1-P7):
 *  - a string, bytes or array length is checked against the bytes left
 *    before anything is allocated; an array of N elements needs at least
 *    N * (the element's minimum encoded size) bytes;
 *  - null (-1, or compact 0) only where the spec says nullable;
 *  - compact forms in flexible versions; over-long varints rejected;
 *  - tagged fields: count bounded by the bytes left, tags strictly
 *    increasing, each size <= bytes left and <= 128 KiB, a known tag's
 *    value must fill its size exactly; unknown tags are skipped;
 *  - all memory from the arena. Decoding takes at most ~24x the input
 *    (arrays of tiny structs or of empty compact strings; checked by
 *    proto_roundtrip_test), typical messages 1-3x.
 * Ownership: decoded strings are NUL-terminated copies in the arena (an
 * empty string may point to a static ""); bytes and records point into
 * the reader's buffer, which must outlive the decoded message. Arrays
 * with 0 elements have a NULL pointer.
 *
 * Encoding: fields absent in the version are skipped; a null value where
 * the version does not allow null is written empty; tagged fields are
 * written in tag order, only those that differ from their default.
 *
 * Thread: any; the tables are constant.
 */
#ifndef SEALOG_PROTO_KP_SCHEMA_H
#define SEALOG_PROTO_KP_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/kp_codec.h"

struct arena;

enum kp_type {
	KP_T_BOOL = 1,
	KP_T_INT8,
	KP_T_INT16,
	KP_T_UINT16,
	KP_T_INT32,
	KP_T_UINT32,
	KP_T_INT64,
	KP_T_FLOAT64,
	KP_T_UUID,
	KP_T_STRING,  /* struct kp_str */
	KP_T_BYTES,   /* struct kp_bytes */
	KP_T_RECORDS, /* struct kp_bytes, default null */
	KP_T_STRUCT,  /* embedded struct described by kp_field.sub */
};

/* Versions lo..hi inclusive; lo > hi is the empty range ("none"). */
struct kp_vrange {
	int16_t lo, hi;
};

struct kp_field {
	const char *name;   /* the JSON name, e.g. "TopicData" */
	uint32_t off;	    /* offsetof the member */
	uint32_t count_off; /* arrays: offsetof the <member>_count */
	uint8_t type;	    /* enum kp_type; of the elements for arrays */
	bool array;
	struct kp_vrange versions, nullable, tagged;
	struct kp_vrange flexible; /* field override; compact iff also here */
	int32_t tag;		   /* -1: never tagged */
	bool def_null;		   /* string/bytes/records/array default */
	int64_t def_int;	   /* integers and bool */
	double def_float;
	const char *def_str;	     /* string default, NULL = "" */
	const struct kp_schema *sub; /* KP_T_STRUCT */
};

struct kp_schema {
	/* "ProduceRequest", "ProduceRequest.TopicProduceData" */
	const char *name;
	size_t size; /* sizeof the C struct */
	const struct kp_field *fields;
	uint16_t field_count;
	const uint16_t *tag_order; /* indexes of tagged fields, ascending tag */
	uint16_t tag_count;
	int16_t min_version, max_version; /* the message's valid versions */
	int16_t flexible_min;		  /* INT16_MAX: never flexible */
	const uint16_t *min_len; /* fewest encoded bytes, by version 0..max */
};

static inline bool kp_vrange_has(struct kp_vrange r, int16_t v)
{
	return v >= r.lo && v <= r.hi;
}

/* The field is on the wire at version v (as a regular or tagged field). */
static inline bool kp_field_present(const struct kp_field *f, int16_t v)
{
	return kp_vrange_has(f->versions, v);
}

static inline bool kp_field_tagged(const struct kp_field *f, int16_t v)
{
	return f->tag >= 0 && kp_vrange_has(f->tagged, v);
}

static inline bool kp_schema_flexible(const struct kp_schema *s, int16_t v)
{
	return v >= s->flexible_min;
}

/* Zero obj (s->size bytes) and apply the spec's defaults. */
void kp_schema_init(const struct kp_schema *s, void *obj);

/* Decode one message at version into obj (initialised first). Returns 0,
 * -EBADMSG (malformed input, or version outside s's valid versions) or
 * -ENOMEM (the arena refused); the error is also left in rd->err. Bytes
 * after the message are not an error: check kp_reader_remaining(). */
int kp_schema_decode(const struct kp_schema *s, struct kp_reader *rd,
		     int16_t version, struct arena *a, void *obj);

/* Encode obj at version. Errors are sticky in w->b: -EINVAL for a version
 * outside the valid range or an inconsistent value (count > 0 with a NULL
 * array), -EMSGSIZE for a string too long for its prefix, -ENOMEM. */
void kp_schema_encode(const struct kp_schema *s, struct kp_writer *w,
		      int16_t version, const void *obj);

/* Bytes one value (one array element) of f takes in memory. */
size_t kp_field_elem_size(const struct kp_field *f);

/* The field's value in obj (a struct of the field's schema) equals its
 * default, i.e. a tagged field would not be written. */
bool kp_field_is_default(const struct kp_field *f, const void *obj);

#endif
