/* litset.c - every occurrence of a set of literals: a table of the
 * literals by a hash of their first four bytes, checked at every position
 * that a sampled two-byte block says may start one.
 *
 * Why not Hyperscan's literal matcher: vectorscan 5.4.9 (Debian 12's
 * libhs, AVX-512) misses literals that start past about the 60th byte of
 * the input once its database holds two literals (tests/unit/test_hsdiff.c,
 * test_vectorscan_literal_bug). This one is simple enough to be checked by
 * reading, and test_hsdiff checks it against memmem.
 *
 * Sampling: every literal is at least four bytes long, so of the three
 * positions s, s+1, s+2 of a literal starting at s, whose two-byte blocks
 * lie inside it, exactly one is a multiple of three. The scan reads the
 * block at every third position j; kmask[block] has bit k set when some
 * literal holds that block at offset k (0..2), and each such k makes j - k
 * a candidate start. Each start is a candidate from one j only, in
 * increasing order. A candidate costs a bit test of the hash of its four
 * bytes; a set bit, a four-byte compare per literal of that hash, then a
 * memcmp of the rest. Measured (callgrind, generated auth.log): 9
 * instructions per byte of input instead of 16 testing every position;
 * blocks such as " f" or "se" (of " for ", " user ") are common in logs.
 * Rejected: Aho-Corasick (a DFA over ~100
 * literals is tens of kilobytes of transitions, out of L1, and slower per
 * byte than the bit test); memmem per literal (one pass per literal). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/litset.h"

#define STRIDE (LITSET_MIN - 1)	/* positions sampled: 0, 3, 6, ... */
#define HASH_BITS 16
#define HASH_SIZE (1u << HASH_BITS)

struct lit {
	uint32_t key;		/* the first four bytes */
	uint32_t tail;		/* the last four (they may overlap the first) */
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
	uint8_t kmask[1u << 16];		/* block -> offsets (bits 0..2) it has in a literal */
};

static inline uint32_t
load4(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t
load2(const char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
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
	l->tail = load4(lit + len - 4);
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
	for (unsigned k = 0; k < STRIDE; k++)
		ls->kmask[load2(lit + k)] |= (uint8_t)(1u << k);
	ls->n++;
	return 0;
}

/* Reports the literals starting at buf[i] (i + LITSET_MIN <= len). */
static inline int
check_start(const struct litset *ls, const char *buf, size_t len, size_t i, litset_cb cb, void *arg)
{
	uint32_t key = load4(buf + i), h = hash4(key);

	if (!(ls->bits[h / 64] & (UINT64_C(1) << (h % 64))))
		return 0;
	for (uint32_t k = ls->head[h]; k != 0; k = ls->lits[k - 1].next) {
		const struct lit *l = &ls->lits[k - 1];
		/* the last four bytes refuse most near misses ("Failed
		 * password" for "Failed none for ") without calling memcmp;
		 * up to 8 bytes, first and last four are the whole literal */
		if (l->key != key || l->len > len - i || load4(buf + i + l->len - 4) != l->tail ||
		    (l->len > 8 && memcmp(buf + i + 4, l->text + 4, l->len - 8) != 0))
			continue;
		int rc = cb(arg, l->id, i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
litset_scan(const struct litset *ls, const char *buf, size_t len, litset_cb cb, void *arg)
{
	if (ls->n == 0 || len < LITSET_MIN)
		return 0;
	for (size_t j = 0; j + 1 < len; j += STRIDE) {
		unsigned m = ls->kmask[load2(buf + j)];
		if (m == 0)
			continue;
		/* k from 2 down to 0: candidate starts in increasing order */
		for (unsigned k = STRIDE; k-- > 0; ) {
			if (!(m & (1u << k)) || j < k || j - k + LITSET_MIN > len)
				continue;
			int rc = check_start(ls, buf, len, j - k, cb, arg);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}
