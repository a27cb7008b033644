/* f2b_u8.c - fail2ban's view of a log line's bytes: UTF-8 validation and
 * Python's 'replace' decoding (one U+FFFD per maximal bad subpart). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_u8.h"

int
f2b_u8_init(struct f2b_u8 *u, size_t max_line)
{
	memset(u, 0, sizeof(*u));
	u->cap = 3 * max_line;
	u->rep_cap = max_line / 8 + 1;
	u->buf = malloc(u->cap ? u->cap : 1);
	u->rep = malloc(u->rep_cap * sizeof(*u->rep));
	if (u->buf == NULL || u->rep == NULL) {
		f2b_u8_free(u);
		return -1;
	}
	return 0;
}

void
f2b_u8_free(struct f2b_u8 *u)
{
	free(u->buf);
	free(u->rep);
	memset(u, 0, sizeof(*u));
}

/* The length of the valid sequence at p[0..n) (n > 0, p[0] >= 0x80), or 0
 * with *bad the length of its maximal bad subpart (at least 1): the ranges
 * of Unicode's table 3-7, which Python's decoder follows. */
static size_t
seq_len(const unsigned char *p, size_t n, size_t *bad)
{
	unsigned c = p[0];
	size_t k;
	unsigned lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*bad = 1;
		return 0;
	}
	for (size_t j = 1; j < k; j++) {
		if (j >= n || p[j] < lo || p[j] > hi) {
			*bad = j;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return k;
}

int
f2b_u8_view(struct f2b_u8 *u, const char *line, size_t n)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i = 0;

	/* ASCII lines are the rule: eight bytes at a time */
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	while (i < n && p[i] < 0x80)
		i++;
	if (i == n)
		return F2B_U8_ASCII;
	size_t first_bad = SIZE_MAX, bad = 0;
	for (size_t j = i; j < n;) {
		if (p[j] < 0x80) {
			j++;
			continue;
		}
		size_t k = seq_len(p + j, n - j, &bad);
		if (k == 0) {
			first_bad = j;
			break;
		}
		j += k;
	}
	if (first_bad == SIZE_MAX)
		return F2B_U8_VALID;
	if (n > u->cap / 3)
		return F2B_U8_TOOBIG;
	memcpy(u->buf, line, first_bad);
	u->len = first_bad;
	u->nrep = 0;
	for (size_t j = first_bad; j < n;) {
		size_t k = p[j] < 0x80 ? 1 : seq_len(p + j, n - j, &bad);
		if (k == 0) {
			if (u->nrep == u->rep_cap)
				return F2B_U8_TOOBIG;
			u->rep[u->nrep++] = (uint32_t)(u->len << 2 | bad);
			memcpy(u->buf + u->len, "\xef\xbf\xbd", 3);
			u->len += 3;
			j += bad;
			continue;
		}
		memcpy(u->buf + u->len, p + j, k);
		u->len += k;
		j += k;
	}
	return F2B_U8_FIXED;
}

size_t
f2b_u8_orig(const struct f2b_u8 *u, size_t off)
{
	size_t o = off;

	for (size_t r = 0; r < u->nrep && (u->rep[r] >> 2) < off; r++)
		o -= 3 - (u->rep[r] & 3);
	return o;
}
