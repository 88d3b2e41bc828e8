/* kp_reflect.c - see kp_reflect.h. */
#include "tests/unit/proto/kp_reflect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

uint64_t reflect_next(struct reflect_rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void *at(void *obj, uint32_t off)
{
	return (char *)obj + off;
}

static const void *at_c(const void *obj, uint32_t off)
{
	return (const char *)obj + off;
}

/* A random integer for type that differs from def. */
static int64_t fill_int(uint8_t type, int64_t def, struct reflect_rng *r)
{
	uint64_t x = reflect_next(r);
	int64_t v;

	switch (type) {
	case KP_T_BOOL:
		return !def;
	case KP_T_INT8:
		v = (int8_t)x;
		break;
	case KP_T_INT16:
		v = (int16_t)x;
		break;
	case KP_T_UINT16:
		v = (uint16_t)x;
		break;
	case KP_T_INT32:
		v = (int32_t)x;
		break;
	case KP_T_UINT32:
		v = (uint32_t)x;
		break;
	default:
		v = (int64_t)x;
		break;
	}
	return v == def ? (v == 1 ? 2 : 1) : v;
}

static int fill_bytes(const struct kp_field *f, struct kp_bytes *b,
		      struct reflect_rng *r, struct arena *a)
{
	size_t n = 1 + reflect_next(r) % 24;
	uint8_t *p = arena_alloc(a, n);

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)reflect_next(r);
	b->ptr = p;
	b->len = (int32_t)n;
	return 0;
}

static int fill_string(struct kp_str *s, struct reflect_rng *r, struct arena *a)
{
	size_t n = 1 + reflect_next(r) % 12;
	char *p = arena_alloc(a, n + 1);

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + reflect_next(r) % 26);
	if (n > 2 && reflect_next(r) % 8 == 0)
		p[1] = '\0'; /* embedded NULs must survive */
	p[n] = '\0';
	s->ptr = p;
	s->len = (int32_t)n;
	return 0;
}

static int fill_value(const struct kp_field *f, void *p, int16_t v, bool elem,
		      struct reflect_rng *r, struct arena *a)
{
	bool null_ok = !elem && kp_vrange_has(f->nullable, v);

	if (f->type <= KP_T_INT64) {
		int64_t x = fill_int(f->type, elem ? 0 : f->def_int, r);
		switch (f->type) {
		case KP_T_BOOL:
			*(bool *)p = x != 0;
			break;
		case KP_T_INT8:
			*(int8_t *)p = (int8_t)x;
			break;
		case KP_T_INT16:
			*(int16_t *)p = (int16_t)x;
			break;
		case KP_T_UINT16:
			*(uint16_t *)p = (uint16_t)x;
			break;
		case KP_T_INT32:
			*(int32_t *)p = (int32_t)x;
			break;
		case KP_T_UINT32:
			*(uint32_t *)p = (uint32_t)x;
			break;
		default:
			*(int64_t *)p = x;
			break;
		}
		return 0;
	}
	switch (f->type) {
	case KP_T_FLOAT64:
		*(double *)p = (double)(reflect_next(r) % 100000) / 7.0 + 0.5;
		return 0;
	case KP_T_UUID:
		for (int i = 0; i < 16; i++)
			((uint8_t *)p)[i] = (uint8_t)(reflect_next(r) | 1);
		return 0;
	case KP_T_STRING:
		if (null_ok && reflect_next(r) % 4 == 0) {
			*(struct kp_str *)p = KP_STR_NULL;
			return 0;
		}
		return fill_string(p, r, a);
	case KP_T_BYTES:
	case KP_T_RECORDS:
		if (null_ok && reflect_next(r) % 4 == 0) {
			*(struct kp_bytes *)p = KP_BYTES_NULL;
			return 0;
		}
		return fill_bytes(f, p, r, a);
	default:
		if (elem)
			kp_schema_init(f->sub, p);
		return reflect_fill(f->sub, p, v, r, a);
	}
}

static int fill_array(const struct kp_field *f, void *obj, int16_t v,
		      struct reflect_rng *r, struct arena *a)
{
	int32_t n = 1 + (int32_t)(reflect_next(r) % 3);
	size_t esz = kp_field_elem_size(f);
	uint8_t *arr;

	if (kp_vrange_has(f->nullable, v) && reflect_next(r) % 5 == 0) {
		*(int32_t *)at(obj, f->count_off) = -1;
		return 0;
	}
	arr = arena_calloc(a, (size_t)n, esz);
	if (!arr)
		return -ENOMEM;
	for (int32_t i = 0; i < n; i++) {
		int rc = fill_value(f, arr + (size_t)i * esz, v, true, r, a);
		if (rc)
			return rc;
	}
	memcpy(at(obj, f->off), &arr, sizeof(arr));
	*(int32_t *)at(obj, f->count_off) = n;
	return 0;
}

int reflect_fill(const struct kp_schema *s, void *obj, int16_t version,
		 struct reflect_rng *r, struct arena *a)
{
	for (uint16_t i = 0; i < s->field_count; i++) {
		const struct kp_field *f = &s->fields[i];
		int rc;

		if (!kp_field_present(f, version))
			continue;
		rc = f->array
			 ? fill_array(f, obj, version, r, a)
			 : fill_value(f, at(obj, f->off), version, false, r, a);
		if (rc)
			return rc;
	}
	return 0;
}

/* --- compare ---------------------------------------------------------- */

static bool equal_value(const struct kp_field *f, const void *x, const void *y,
			int16_t v, char *why, size_t why_len);

static bool equal_lenptr(const void *xp, int32_t xl, const void *yp, int32_t yl)
{
	if (xl < 0 || yl < 0)
		return xl < 0 && yl < 0;
	return xl == yl && (xl == 0 || memcmp(xp, yp, (size_t)xl) == 0);
}

static bool equal_array(const struct kp_field *f, const void *x, const void *y,
			int16_t v, char *why, size_t why_len)
{
	int32_t xn = *(const int32_t *)at_c(x, f->count_off);
	int32_t yn = *(const int32_t *)at_c(y, f->count_off);
	const uint8_t *xa, *ya;
	size_t esz = kp_field_elem_size(f);

	if (xn != yn) {
		snprintf(why, why_len, "%s: count %d != %d", f->name, xn, yn);
		return false;
	}
	memcpy(&xa, at_c(x, f->off), sizeof(xa));
	memcpy(&ya, at_c(y, f->off), sizeof(ya));
	for (int32_t i = 0; i < xn; i++)
		if (!equal_value(f, xa + (size_t)i * esz, ya + (size_t)i * esz,
				 v, why, why_len))
			return false;
	return true;
}

static bool equal_value(const struct kp_field *f, const void *x, const void *y,
			int16_t v, char *why, size_t why_len)
{
	bool ok;

	switch (f->type) {
	case KP_T_STRING: {
		const struct kp_str *a = x, *b = y;
		ok = equal_lenptr(a->ptr, a->len, b->ptr, b->len);
		if (ok && b->len >= 0 && b->ptr && b->ptr[b->len] != '\0')
			ok = false; /* decoded strings are NUL-terminated */
		break;
	}
	case KP_T_BYTES:
	case KP_T_RECORDS: {
		const struct kp_bytes *a = x, *b = y;
		ok = equal_lenptr(a->ptr, a->len, b->ptr, b->len);
		break;
	}
	case KP_T_STRUCT:
		return reflect_equal(f->sub, x, y, v, why, why_len);
	default:
		ok = memcmp(x, y, kp_field_elem_size(f)) == 0;
		break;
	}
	if (!ok)
		snprintf(why, why_len, "%s differs", f->name);
	return ok;
}

bool reflect_equal(const struct kp_schema *s, const void *want, const void *got,
		   int16_t version, char *why, size_t why_len)
{
	for (uint16_t i = 0; i < s->field_count; i++) {
		const struct kp_field *f = &s->fields[i];
		bool ok;

		if (!kp_field_present(f, version)) {
			ok = kp_field_is_default(f, got);
			if (!ok)
				snprintf(why, why_len,
					 "%s: absent at v%d but "
					 "not default",
					 f->name, version);
		} else if (f->array) {
			ok = equal_array(f, want, got, version, why, why_len);
		} else {
			ok = equal_value(f, at_c(want, f->off),
					 at_c(got, f->off), version, why,
					 why_len);
		}
		if (!ok) {
			size_t n = strlen(why);
			snprintf(why + n, why_len - n, " (in %s)", s->name);
			return false;
		}
	}
	return true;
}
