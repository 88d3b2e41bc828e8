/* hmap.h - intrusive chained hash map.
 *
 * Entries embed a struct hmap_node; the map stores pointers and never
 * allocates entries. Keys are either 64-bit integers or byte strings;
 * the caller computes the hash (hmap_hash_u64 / hmap_hash_bytes) and
 * compares keys in its own lookup loop:
 *
 *   for (n = hmap_first(m, h); n; n = hmap_next(n, h))
 *           if (container_of(n, struct topic, hnode)->... matches) ...
 *
 * The bucket array doubles when the load factor passes 1.
 * Thread: one thread at a time.
 */
#ifndef SEALOG_BASE_HMAP_H
#define SEALOG_BASE_HMAP_H

#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct hmap_node {
	struct hmap_node *next;
	uint64_t hash;
};

struct hmap {
	struct hmap_node **buckets;
	size_t mask;  /* bucket count - 1 */
	size_t count;
};

/* 0 or -ENOMEM. */
int hmap_init(struct hmap *m);
/* Frees the bucket array only; entries belong to the caller. */
void hmap_fini(struct hmap *m);

/* Insert n with hash h (duplicates allowed: the caller checks first).
 * Never fails: when growing fails the map just stays denser. */
void hmap_insert(struct hmap *m, struct hmap_node *n, uint64_t h);
/* Remove n, which must be in the map. */
void hmap_remove(struct hmap *m, struct hmap_node *n);

/* First node whose hash is h, then the next ones with the same hash. */
struct hmap_node *hmap_first(const struct hmap *m, uint64_t h);
struct hmap_node *hmap_next(const struct hmap_node *n, uint64_t h);

/* Iterate over everything. Removing the node just returned is allowed;
 * inserting while iterating is not (the map may grow). */
struct hmap_iter {
	const struct hmap *m;
	size_t bucket;
	struct hmap_node *next;
};
void hmap_iter_init(struct hmap_iter *it, const struct hmap *m);
struct hmap_node *hmap_iter_next(struct hmap_iter *it);

uint64_t hmap_hash_u64(uint64_t x);
uint64_t hmap_hash_bytes(const void *p, size_t len);

#endif
