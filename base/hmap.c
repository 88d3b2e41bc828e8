/* hmap.c - see hmap.h. */
#include "base/hmap.h"

#include <errno.h>
#include <stdlib.h>

#define HMAP_INITIAL 16

int hmap_init(struct hmap *m)
{
	m->buckets = calloc(HMAP_INITIAL, sizeof(*m->buckets));
	if (!m->buckets)
		return -ENOMEM;
	m->mask = HMAP_INITIAL - 1;
	m->count = 0;
	return 0;
}

void hmap_fini(struct hmap *m)
{
	free(m->buckets);
	m->buckets = NULL;
	m->count = 0;
}

static void hmap_grow(struct hmap *m)
{
	size_t ncap = (m->mask + 1) * 2;
	struct hmap_node **nb = calloc(ncap, sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; i <= m->mask; i++) {
		struct hmap_node *n = m->buckets[i];
		while (n) {
			struct hmap_node *next = n->next;
			size_t j = n->hash & (ncap - 1);
			n->next = nb[j];
			nb[j] = n;
			n = next;
		}
	}
	free(m->buckets);
	m->buckets = nb;
	m->mask = ncap - 1;
}

void hmap_insert(struct hmap *m, struct hmap_node *n, uint64_t h)
{
	size_t i;

	if (m->count > m->mask)
		hmap_grow(m);
	i = h & m->mask;
	n->hash = h;
	n->next = m->buckets[i];
	m->buckets[i] = n;
	m->count++;
}

void hmap_remove(struct hmap *m, struct hmap_node *n)
{
	struct hmap_node **pp = &m->buckets[n->hash & m->mask];

	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		m->count--;
	}
}

struct hmap_node *hmap_first(const struct hmap *m, uint64_t h)
{
	struct hmap_node *n = m->buckets[h & m->mask];

	while (n && n->hash != h)
		n = n->next;
	return n;
}

struct hmap_node *hmap_next(const struct hmap_node *n, uint64_t h)
{
	n = n->next;
	while (n && n->hash != h)
		n = n->next;
	return (struct hmap_node *)n;
}

void hmap_iter_init(struct hmap_iter *it, const struct hmap *m)
{
	it->m = m;
	it->bucket = 0;
	it->next = NULL;
}

struct hmap_node *hmap_iter_next(struct hmap_iter *it)
{
	struct hmap_node *n = it->next;

	while (!n) {
		if (it->bucket > it->m->mask)
			return NULL;
		n = it->m->buckets[it->bucket++];
	}
	/* Saved before the caller sees n, so n may be removed. */
	it->next = n->next;
	return n;
}

uint64_t hmap_hash_u64(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t hmap_hash_bytes(const void *p, size_t len)
{
	/* FNV-1a, then mixed: keys are short names. */
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return hmap_hash_u64(h);
}
