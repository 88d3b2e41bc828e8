/* kp_reflect.h - schema-driven helpers for codec tests and fuzz seeds.
 *
 * Walk a kp_schema to fill a message with deterministic pseudo-random,
 * non-default values for one version, and to compare two messages field
 * by field at a version. Used by the round-trip test and by the fuzz seed
 * generator; not part of the library.
 */
#ifndef SEALOG_TESTS_KP_REFLECT_H
#define SEALOG_TESTS_KP_REFLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "proto/kp_schema.h"

struct reflect_rng {
	uint64_t s;
};

uint64_t reflect_next(struct reflect_rng *r);

/* Fill obj (of schema s) with values for version: every field present at
 * version gets a value different from its default where the type allows
 * (tagged fields included); nullable fields are sometimes null; arrays
 * hold 1-3 elements (sometimes null when nullable). Memory from a. 0 or
 * -ENOMEM. */
int reflect_fill(const struct kp_schema *s, void *obj, int16_t version,
		 struct reflect_rng *r, struct arena *a);

/* Compare every field present at version; fields absent at version must
 * be at their default in got. false with a path in why on a mismatch. */
bool reflect_equal(const struct kp_schema *s, const void *want, const void *got,
		   int16_t version, char *why, size_t why_len);

#endif
