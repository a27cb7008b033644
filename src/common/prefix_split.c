/* prefix_split.c - outer minus inner (prefix_split.h). At each length L
 * from outer's to inner's, the half that does not hold inner is one
 * piece: inner's first L+1 bits with bit L flipped. */
#include <string.h>

#include "common/prefix_split.h"

int
prefix_split_around(const struct a5_prefix *outer, const struct a5_prefix *inner,
    struct a5_prefix *out)
{
	int n = 0;

	if (outer->family != inner->family || inner->len <= outer->len ||
	    !prefix_contains(outer, inner))
		return -1;
	for (unsigned l = outer->len; l < inner->len; l++) {
		struct a5_prefix *p = &out[n++];
		memset(p, 0, sizeof(*p));
		p->family = inner->family;
		p->len = (uint8_t)(l + 1);
		/* inner's first l+1 bits, the rest zero */
		memcpy(p->addr, inner->addr, (l + 1 + 7) / 8);
		if ((l + 1) % 8 != 0)
			p->addr[l / 8] &= (uint8_t)(0xff << (8 - (l + 1) % 8));
		p->addr[l / 8] ^= (uint8_t)(0x80 >> (l % 8));
	}
	return n;
}

/* Why not split each nest prefix around inner: the wider prefix's pieces
 * would hold the narrower prefix's, and nftables refuses an interval that
 * overlaps another. */
int
prefix_split_nest(const struct a5_prefix *nest, size_t n, const struct a5_prefix *inner,
    struct prefix_piece *out)
{
	/* by_len[L]: the index + 1 of the nest prefix of length L (0: none) */
	size_t by_len[PREFIX_NEST_MAX + 1];
	int total = 0;

	if (n > PREFIX_NEST_MAX)
		return -1;
	memset(by_len, 0, sizeof(by_len));
	for (size_t i = 0; i < n; i++) {
		if (nest[i].family != inner->family || nest[i].len >= inner->len ||
		    !prefix_contains(&nest[i], inner) || by_len[nest[i].len] != 0)
			return -1;
		by_len[nest[i].len] = i + 1;
	}
	for (unsigned l = 0; l < inner->len; l++) {
		struct a5_prefix pieces[PREFIX_SPLIT_MAX];
		const struct a5_prefix *around = inner;
		size_t from = by_len[l];
		int k;

		if (from == 0)
			continue;
		for (unsigned m = l + 1; m < inner->len; m++)
			if (by_len[m] != 0) {
				around = &nest[by_len[m] - 1];
				break;
			}
		if ((k = prefix_split_around(&nest[from - 1], around, pieces)) < 0)
			return -1;
		for (int j = 0; j < k; j++) {
			out[total].prefix = pieces[j];
			out[total++].from = from - 1;
		}
	}
	return total;
}
