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
	/* every bad subpart is a byte at least: room for all of them */
	u->rep_cap = max_line + 1;
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

/* The zero of every run of ten decimal digits in Unicode 14 (the version
 * of Python 3.11 and PCRE2 10.42): each run holds 0 to 9 in order. */
static const uint32_t nd_zeros[] = {
	0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6,
	0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0,
	0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0,
	0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136,
	0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950,
	0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2,
	0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
};

int
f2b_u8_digit(const char *s, size_t n, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t bad;

	if (n == 0)
		return -1;
	if (p[0] < 0x80) {
		*len = 1;
		return p[0] >= '0' && p[0] <= '9' ? p[0] - '0' : -1;
	}
	size_t k = seq_len(p, n, &bad);
	if (k == 0)
		return -1;
	uint32_t cp = p[0] & (0x7f >> k);
	for (size_t j = 1; j < k; j++)
		cp = cp << 6 | (p[j] & 0x3f);
	size_t lo = 0, hi = sizeof(nd_zeros) / sizeof(nd_zeros[0]);
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (nd_zeros[mid] <= cp)
			lo = mid;
		else
			hi = mid;
	}
	if (cp < nd_zeros[lo] || cp - nd_zeros[lo] > 9)
		return -1;
	*len = k;
	return (int)(cp - nd_zeros[lo]);
}
