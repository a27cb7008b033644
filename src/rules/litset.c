/* litset.c - every occurrence of a set of literals: a table of the
 * literals by a hash of their first four bytes, checked at every position
 * that a sampled block says may start one.
 *
 * Why not Hyperscan's literal matcher: vectorscan 5.4.9 (Debian 12's
 * libhs, AVX-512) misses literals that start past about the 60th byte of
 * the input once its database holds two literals (tests/unit/test_hsdiff.c,
 * test_vectorscan_literal_bug). This one is simple enough to be checked by
 * reading, and test_hsdiff checks it against memmem.
 *
 * Sampling: the scan reads the input at every third position j. Of the
 * three positions s, s+1, s+2 of a literal starting at s, exactly one is
 * a multiple of three; if the literal is at least LONG_MIN (6) bytes long,
 * the four bytes from there lie inside it. kmask4[hash of those four
 * bytes] has bit k set when some literal holds them at offset k (0..2),
 * and each such k makes j - k a candidate start. Literals of four or five
 * bytes (Dovecot's "pam(") do the same with the two bytes at j, in
 * kmask2 (only read when the set has such a literal). Each start is a
 * candidate from one j only, in increasing order. A candidate costs a bit
 * test of the hash of its four bytes; a set bit, a four-byte compare per
 * literal of that hash, then a memcmp of the rest.
 * Measured (callgrind, generated sshd auth.log, etc/rules): two-byte
 * blocks alone flagged 42 % of the sampled positions (" f", "se" of
 * " for ", " user "), 11.8 instructions per byte; four bytes flag few
 * more than the literals really there.
 * Rejected: Aho-Corasick (a DFA over ~200 literals is tens of kilobytes
 * of transitions, out of L1, and slower per byte than the table test);
 * memmem per literal (one pass per literal). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/litset.h"

#define STRIDE (LITSET_MIN - 1)	/* positions sampled: 0, 3, 6, ... */
#define LONG_MIN (4 + STRIDE - 1)	/* four bytes at each of the STRIDE offsets */
#define HASH_BITS 16
#define HASH_SIZE (1u << HASH_BITS)
/* 16 KiB: stays in the L1 cache; a few hundred windows fill 4 % of it */
#define WIN_BITS 14

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
	uint8_t kmask4[1u << WIN_BITS];	/* window hash -> offsets (bits 0..2) in a literal */
	bool has_short;				/* some literal is shorter than LONG_MIN */
	uint8_t kmask2[1u << 16];		/* two bytes -> offsets in a short literal */
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

static inline uint64_t
load8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Whether a[4..n-4) equals b[4..n-4), n > 8 (the first and last four
 * bytes are already known equal): eight bytes at a time, the last read
 * overlapping what was compared. No call to memcmp: a third of the
 * candidates come this far. */
static inline bool
middle_equal(const char *a, const char *b, size_t n)
{
	size_t o = 4;

	if (n < 12)
		return load4(a + n - 8) == load4(b + n - 8);
	for (; o + 8 < n - 4; o += 8)
		if (load8(a + o) != load8(b + o))
			return false;
	return load8(a + n - 12) == load8(b + n - 12);
}

static inline uint32_t
hash4(uint32_t key)
{
	return (key * UINT32_C(2654435761)) >> (32 - HASH_BITS);
}

static inline uint32_t
hash_win(uint32_t win)
{
	return (win * UINT32_C(2654435761)) >> (32 - WIN_BITS);
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
	for (unsigned k = 0; k < STRIDE; k++) {
		if (len >= LONG_MIN)
			ls->kmask4[hash_win(load4(lit + k))] |= (uint8_t)(1u << k);
		else
			ls->kmask2[load2(lit + k)] |= (uint8_t)(1u << k);
	}
	if (len < LONG_MIN)
		ls->has_short = true;
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
		    (l->len > 8 && !middle_equal(buf + i, l->text, l->len)))
			continue;
		int rc = cb(arg, l->id, i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Reports the literals that may start at j - k for each bit k of m, in
 * increasing order of start. */
static inline int
check_sampled(const struct litset *ls, const char *buf, size_t len, size_t j, unsigned m,
    litset_cb cb, void *arg)
{
	/* k from 2 down to 0: candidate starts in increasing order */
	for (unsigned k = STRIDE; k-- > 0; ) {
		if (!(m & (1u << k)) || j < k || j - k + LITSET_MIN > len)
			continue;
		int rc = check_start(ls, buf, len, j - k, cb, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The candidate mask of sampled position j: kmask4 alone, or with kmask2
 * when the set has short literals (j + 4 <= len). */
static inline unsigned
sample(const struct litset *ls, bool with_short, const char *p)
{
	unsigned m = ls->kmask4[hash_win(load4(p))];

	return with_short ? m | ls->kmask2[load2(p)] : m;
}

/* The sampled positions from 0 while a window fits (j + 4 <= len), two
 * per round: nearly all have no candidate, and one test for both halves
 * the loop's own instructions. *at: the first position left. */
static inline int
scan_windows(const struct litset *ls, bool with_short, const char *buf, size_t len, size_t *at,
    litset_cb cb, void *arg)
{
	size_t last = len - 4, j = 0;	/* last: the last position a window fits at */
	int rc = 0;

	for (; j + STRIDE <= last; j += 2 * STRIDE) {
		unsigned m0 = sample(ls, with_short, buf + j);
		unsigned m1 = sample(ls, with_short, buf + j + STRIDE);
		if ((m0 | m1) == 0)
			continue;
		if (m0 != 0 && (rc = check_sampled(ls, buf, len, j, m0, cb, arg)) != 0)
			return rc;
		if (m1 != 0 && (rc = check_sampled(ls, buf, len, j + STRIDE, m1, cb, arg)) != 0)
			return rc;
	}
	for (; j <= last; j += STRIDE) {
		unsigned m = sample(ls, with_short, buf + j);
		if (m != 0 && (rc = check_sampled(ls, buf, len, j, m, cb, arg)) != 0)
			return rc;
	}
	*at = j;
	return 0;
}

int
litset_scan(const struct litset *ls, const char *buf, size_t len, litset_cb cb, void *arg)
{
	size_t j = 0;
	int rc;

	if (ls->n == 0 || len < LITSET_MIN)
		return 0;
	/* A long literal's window ends inside it, so at most at len; one
	 * copy of the loop per case, so that the common one reads one table. */
	if (!ls->has_short)
		return scan_windows(ls, false, buf, len, &j, cb, arg);
	if ((rc = scan_windows(ls, true, buf, len, &j, cb, arg)) != 0)
		return rc;
	for (; j + 1 < len; j += STRIDE) {
		unsigned m = ls->kmask2[load2(buf + j)];
		if (m != 0 && (rc = check_sampled(ls, buf, len, j, m, cb, arg)) != 0)
			return rc;
	}
	return 0;
}
