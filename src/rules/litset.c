/* litset.c - every occurrence of a set of literals: a table of the
 * literals by a hash of their first four bytes, checked at every position.
 *
 * Why not Hyperscan's literal matcher: vectorscan 5.4.9 (Debian 12's
 * libhs, AVX-512) misses literals that start past about the 60th byte of
 * the input once its database holds two literals (tests/unit/test_hsdiff.c,
 * test_vectorscan_literal_bug). This one is simple enough to be checked by
 * reading: each position of the buffer costs one load, one multiply and
 * one bit test; a set bit costs a four-byte compare per literal of that
 * hash, then a memcmp of the rest. Rejected: Aho-Corasick (a DFA over ~100
 * literals is tens of kilobytes of transitions, out of L1, and slower per
 * byte than the bit test); memmem per literal (one pass per literal). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/litset.h"

#define HASH_BITS 16
#define HASH_SIZE (1u << HASH_BITS)

struct lit {
	uint32_t key;		/* the first four bytes */
	uint32_t next;		/* next literal with the same hash, index + 1 */
	unsigned id;
	size_t len;
	char *text;
};

struct litset {
	struct lit *lits;
	size_t n, cap;
	uint32_t head[HASH_SIZE];		/* hash -> first literal, index + 1 */
	uint64_t bits[HASH_SIZE / 64];		/* hashes that start some literal */
};

static inline uint32_t
load4(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint32_t
hash4(uint32_t key)
{
	return (key * UINT32_C(2654435761)) >> (32 - HASH_BITS);
}

struct litset *
litset_new(void)
{
	return calloc(1, sizeof(struct litset));
}

void
litset_free(struct litset *ls)
{
	if (ls == NULL)
		return;
	for (size_t i = 0; i < ls->n; i++)
		free(ls->lits[i].text);
	free(ls->lits);
	free(ls);
}

size_t
litset_count(const struct litset *ls)
{
	return ls->n;
}

int
litset_add(struct litset *ls, const char *lit, size_t len, unsigned id)
{
	if (len < LITSET_MIN || ls->n >= LITSET_MAX)
		return -1;
	if (ls->n == ls->cap) {
		size_t ncap = ls->cap ? 2 * ls->cap : 64;
		struct lit *n = realloc(ls->lits, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		ls->lits = n;
		ls->cap = ncap;
	}
	struct lit *l = &ls->lits[ls->n];
	if ((l->text = malloc(len)) == NULL)
		return -1;
	memcpy(l->text, lit, len);
	l->len = len;
	l->id = id;
	l->key = load4(lit);
	uint32_t h = hash4(l->key);
	/* appended at the chain's end: ties report in order of addition */
	l->next = 0;
	if (ls->head[h] == 0)
		ls->head[h] = (uint32_t)ls->n + 1;
	else {
		struct lit *t = &ls->lits[ls->head[h] - 1];
		while (t->next != 0)
			t = &ls->lits[t->next - 1];
		t->next = (uint32_t)ls->n + 1;
	}
	ls->bits[h / 64] |= UINT64_C(1) << (h % 64);
	ls->n++;
	return 0;
}

int
litset_scan(const struct litset *ls, const char *buf, size_t len, litset_cb cb, void *arg)
{
	if (ls->n == 0 || len < LITSET_MIN)
		return 0;
	for (size_t i = 0; i + LITSET_MIN <= len; i++) {
		uint32_t key = load4(buf + i), h = hash4(key);
		if (!(ls->bits[h / 64] & (UINT64_C(1) << (h % 64))))
			continue;
		for (uint32_t k = ls->head[h]; k != 0; k = ls->lits[k - 1].next) {
			const struct lit *l = &ls->lits[k - 1];
			if (l->key != key || l->len > len - i ||
			    memcmp(buf + i + LITSET_MIN, l->text + LITSET_MIN, l->len - LITSET_MIN) != 0)
				continue;
			int rc = cb(arg, l->id, i);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}
