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
