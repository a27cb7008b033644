/* hashtab.c - open-addressing hash table of fixed-length keys (hashtab.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/hashtab.h"

_Static_assert(HASHTAB_SIPKEY_LEN == crypto_shorthash_KEYBYTES, "SipHash key length");

#define HASHTAB_CAP_MIN 1024

void
hashtab_init(struct hashtab *t, size_t klen, const uint8_t *sipkey)
{
	memset(t, 0, sizeof(*t));
	t->klen = klen;
	t->stride = 1 + klen + sizeof(uint64_t);
	t->sipkey = sipkey;
}

void
hashtab_free(struct hashtab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->cap = t->n = 0;
}

static size_t
home(const struct hashtab *t, const void *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, key, t->klen, t->sipkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & (t->cap - 1);
}

static uint8_t *
slot_at(const struct hashtab *t, size_t i)
{
	return t->slot + i * t->stride;
}

bool
hashtab_used(const struct hashtab *t, size_t at)
{
	return slot_at(t, at)[0] != 0;
}

const uint8_t *
hashtab_key(const struct hashtab *t, size_t at)
{
	return slot_at(t, at) + 1;
}

uint64_t
hashtab_value(const struct hashtab *t, size_t at)
{
	uint64_t v;

	memcpy(&v, slot_at(t, at) + 1 + t->klen, sizeof(v));
	return v;
}

void
hashtab_set_value(struct hashtab *t, size_t at, uint64_t value)
{
	memcpy(slot_at(t, at) + 1 + t->klen, &value, sizeof(value));
}

size_t
hashtab_len(const struct hashtab *t)
{
	return t->n;
}

size_t
hashtab_slots(const struct hashtab *t)
{
	return t->cap;
}

/* The slot holding key, or the empty slot where it would go. Ends because
 * the load stays under 3/4: there is always an empty slot. */
static bool
probe(const struct hashtab *t, const void *key, size_t *at)
{
	size_t i, mask = t->cap - 1;

	if (t->cap == 0) {
		*at = 0;
		return false;
	}
	for (i = home(t, key);; i = (i + 1) & mask) {
		if (!hashtab_used(t, i)) {
			*at = i;
			return false;
		}
		if (memcmp(hashtab_key(t, i), key, t->klen) == 0) {
			*at = i;
			return true;
		}
	}
}

bool
hashtab_find(const struct hashtab *t, const void *key, size_t *at)
{
	return probe(t, key, at);
}

static int
grow(struct hashtab *t)
{
	struct hashtab nt = *t;

	if (t->cap > SIZE_MAX / 2 / t->stride)
		return -1;
	nt.cap = t->cap ? t->cap * 2 : HASHTAB_CAP_MIN;
	nt.n = 0;
	if ((nt.slot = calloc(nt.cap, nt.stride)) == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		size_t at;

		if (!hashtab_used(t, i))
			continue;
		(void)probe(&nt, hashtab_key(t, i), &at);
		memcpy(slot_at(&nt, at), slot_at(t, i), t->stride);
		nt.n++;
	}
	free(t->slot);
	*t = nt;
	return 0;
}

int
hashtab_insert(struct hashtab *t, const void *key, uint64_t value)
{
	size_t at;

	if (probe(t, key, &at))
		return 0;
	if ((t->n + 1) * 4 > t->cap * 3) {
		if (grow(t) != 0)
			return -1;
		(void)probe(t, key, &at);
	}
	uint8_t *s = slot_at(t, at);
	s[0] = 1;
	memcpy(s + 1, key, t->klen);
	hashtab_set_value(t, at, value);
	t->n++;
	return 1;
}

void
hashtab_remove_at(struct hashtab *t, size_t at)
{
	size_t mask = t->cap - 1, i = at, j = at;

	slot_at(t, i)[0] = 0;
	t->n--;
	for (;;) {
		j = (j + 1) & mask;
		if (!hashtab_used(t, j))
			break;
		size_t h = home(t, hashtab_key(t, j));
		/* j may fill the hole at i unless its home lies cyclically
		 * in (i, j]. */
		bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (stays)
			continue;
		memcpy(slot_at(t, i), slot_at(t, j), t->stride);
		slot_at(t, j)[0] = 0;
		i = j;
	}
}
