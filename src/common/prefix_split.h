/* prefix_split.h - a prefix with a narrower one taken out of it: the
 * prefixes that cover the rest (`article5 unban --split`). */
#ifndef A5_PREFIX_SPLIT_H
#define A5_PREFIX_SPLIT_H

#include <stddef.h>

#include "common/addr.h"

/* At most one piece per bit between the two lengths. */
#define PREFIX_SPLIT_MAX 128

/* outer minus inner as inner->len - outer->len disjoint prefixes, widest
 * first, into out (room for PREFIX_SPLIT_MAX). Returns how many, or -1
 * when inner is not strictly inside outer (same family, longer, within). */
int prefix_split_around(const struct a5_prefix *outer, const struct a5_prefix *inner,
    struct a5_prefix *out);

#endif
