/* f2b_prefilter.c - the literal prefilter: a table of the literals by a
 * hash of their first three bytes, not Hyperscan: vectorscan 5.4.9 on this
 * machine (AVX-512) misses literals that start past the 64th byte of a
 * line once the database holds two of them (FDR), caseless or not, which
 * would silently drop failures. The line is lowered once; each position
 * costs a hash of its three bytes and a bit test, a hit a compare of 8
 * bytes (most hits stop there: many literals share their first four),
 * then of the rest. */
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_prefilter.h"

static unsigned char
lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The 4 bytes at p as one number (compared only with other loads, so the
 * byte order does not matter). */
static inline uint32_t
load4(const char *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* The 8 bytes at p, as load4 (its first 4 bytes are load4's). */
static inline uint64_t
load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* dst[0..n) = src[0..n) with ASCII A-Z lowered, 8 bytes at a time: in each
 * byte below 0x80, adding 0x80 - 'A' sets the high bit from 'A' up and
 * adding 0x7f - 'Z' sets it past 'Z'; where exactly the first is set,
 * 0x20 is or-ed in. Bytes from 0x80 up stay as they are. */
static void
lower_ascii(char *dst, const char *src, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, low7, ge_a, gt_z;
		memcpy(&x, src + i, 8);
		low7 = x & ~high;
		ge_a = low7 + ones * (0x80 - 'A');
		gt_z = low7 + ones * (0x7f - 'Z');
		x |= ((ge_a & ~gt_z & ~x) & high) >> 2;
		memcpy(dst + i, &x, 8);
	}
	for (; i < n; i++)
		dst[i] = (char)lc((unsigned char)src[i]);
}

/* A 16-bit hash of the first three of 4 bytes loaded by load4. */
static inline unsigned
hash3(uint32_t w)
{
	uint32_t three;
	unsigned char b[4] = { 0xff, 0xff, 0xff, 0 };

	memcpy(&three, b, sizeof(three));	/* the mask of the first three bytes */
	return ((w & three) * 0x9e3779b1u) >> 16;
}

int
f2b_pf_init(struct f2b_prefilter *pf, size_t cap, size_t nfilters)
{
	memset(pf, 0, sizeof(*pf));
	pf->cap = cap;
	pf->nfilters = nfilters;
	pf->lit = calloc(cap ? cap : 1, sizeof(*pf->lit));
	pf->len = calloc(cap ? cap : 1, sizeof(*pf->len));
	pf->filter = calloc(cap ? cap : 1, sizeof(*pf->filter));
	pf->next = calloc(cap ? cap : 1, sizeof(*pf->next));
	pf->head = calloc(cap ? cap : 1, sizeof(*pf->head));
	pf->mask = calloc(cap ? cap : 1, sizeof(*pf->mask));
	pf->head2 = calloc(cap ? cap : 1, sizeof(*pf->head2));
	pf->mask2 = calloc(cap ? cap : 1, sizeof(*pf->mask2));
	pf->found = calloc(cap ? cap : 1, sizeof(*pf->found));
	pf->hash_head = calloc(65536, sizeof(*pf->hash_head));
	pf->cand = calloc(nfilters ? nfilters : 1, 1);
	pf->flagged = calloc(nfilters ? nfilters : 1, sizeof(*pf->flagged));
	if (pf->lit == NULL || pf->len == NULL || pf->filter == NULL || pf->next == NULL ||
	    pf->head == NULL || pf->mask == NULL || pf->head2 == NULL || pf->mask2 == NULL ||
	    pf->found == NULL || pf->hash_head == NULL ||
	    pf->cand == NULL || pf->flagged == NULL)
		return -1;
	return 0;
}

int
f2b_pf_fork(const struct f2b_prefilter *pf, struct f2b_prefilter *out)
{
	*out = *pf;
	out->forked = true;
	out->gen = 0;
	out->nflagged = 0;
	out->low = NULL;
	out->lowcap = 0;
	out->found = calloc(pf->cap ? pf->cap : 1, sizeof(*out->found));
	out->cand = calloc(pf->nfilters ? pf->nfilters : 1, 1);
	out->flagged = calloc(pf->nfilters ? pf->nfilters : 1, sizeof(*out->flagged));
	if (out->found == NULL || out->cand == NULL || out->flagged == NULL)
		return -1;
	return 0;
}

void
f2b_pf_free(struct f2b_prefilter *pf)
{
	if (pf->forked) {
		free(pf->found);
		free(pf->cand);
		free(pf->flagged);
		free(pf->low);
		memset(pf, 0, sizeof(*pf));
		return;
	}
	for (size_t i = 0; i < pf->n; i++)
		free(pf->lit[i]);
	free(pf->lit);
	free(pf->len);
	free(pf->filter);
	free(pf->next);
	free(pf->head);
	free(pf->mask);
	free(pf->head2);
	free(pf->mask2);
	free(pf->found);
	free(pf->hash_head);
	free(pf->cand);
	free(pf->flagged);
	free(pf->low);
	memset(pf, 0, sizeof(*pf));
}

int
f2b_pf_add(struct f2b_prefilter *pf, const char *text, int filter)
{
	size_t k = pf->n;

	if (k >= pf->cap || strlen(text) < 3 || (pf->lit[k] = strdup(text)) == NULL)
		return -1;
	pf->len[k] = strlen(pf->lit[k]);
	for (size_t j = 0; j < pf->len[k]; j++)	/* compared caseless */
		pf->lit[k][j] = (char)lc((unsigned char)pf->lit[k][j]);
	pf->filter[k] = filter;
	char head[8] = { 0 };
	unsigned char mask[8] = { 0 };
	for (size_t j = 0; j < 8 && j < pf->len[k]; j++) {
		head[j] = pf->lit[k][j];
		mask[j] = 0xff;
	}
	pf->head[k] = load8(head);
	memcpy(&pf->mask[k], mask, sizeof(mask));
	unsigned h = hash3(load4(head));
	pf->next[k] = pf->hash_head[h];
	pf->hash_head[h] = (uint32_t)k + 1;
	pf->hash_bits[h / 64] |= 1ull << (h % 64);
	memset(head, 0, sizeof(head));
	memset(mask, 0, sizeof(mask));
	for (size_t j = 8; j < 16 && j < pf->len[k]; j++) {
		head[j - 8] = pf->lit[k][j];
		mask[j - 8] = 0xff;
	}
	pf->head2[k] = load8(head);
	memcpy(&pf->mask2[k], mask, sizeof(mask));
	pf->n++;
	return (int)k;
}

void
f2b_pf_scan(struct f2b_prefilter *pf, const char *line, size_t len)
{
	pf->gen++;
	for (size_t i = 0; i < pf->nflagged; i++)
		pf->cand[pf->flagged[i]] = 0;
	pf->nflagged = 0;
	if (pf->n == 0 || len < 3)
		return;
	if (len + 16 > pf->lowcap) {
		size_t cap = pf->lowcap ? pf->lowcap : 256;
		while (cap < len + 16)
			cap *= 2;
		char *p = realloc(pf->low, cap);
		if (p == NULL)
			return;	/* no literal found: out of memory only */
		pf->low = p;
		pf->lowcap = cap;
	}
	char *low = pf->low;
	lower_ascii(low, line, len);
	memset(low + len, 0, 16);
	for (size_t i = 0; i + 2 < len; i++) {
		unsigned h = hash3(load4(low + i));
		if (!(pf->hash_bits[h / 64] & (1ull << (h % 64))))
			continue;
		uint64_t w = load8(low + i);
		for (uint32_t k = pf->hash_head[h]; k != 0; k = pf->next[k - 1]) {
			size_t n = pf->len[k - 1];
			/* bytes 8..15 compared as one word before any call: low
			 * has 16 zero bytes after the line, so the load stays
			 * in it, and n <= len - i decides past the end */
			if ((w & pf->mask[k - 1]) == pf->head[k - 1] && pf->found[k - 1] != pf->gen &&
			    n <= len - i && (n <= 8 || ((load8(low + i + 8) & pf->mask2[k - 1]) ==
			    pf->head2[k - 1] && (n <= 16 ||
			    memcmp(low + i + 16, pf->lit[k - 1] + 16, n - 16) == 0)))) {
				pf->found[k - 1] = pf->gen;
				int f = pf->filter[k - 1];
				if (f >= 0 && !pf->cand[f]) {
					pf->cand[f] = 1;
					pf->flagged[pf->nflagged++] = f;
				}
			}
		}
	}
}
