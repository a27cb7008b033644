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

/* Prefixes strictly holding one prefix are nested in one another, so at
 * most one per length: the most a nest around a prefix can hold. */
#define PREFIX_NEST_MAX 128

/* One piece of a nest split: a prefix, and the index in the nest of the
 * prefix it was cut from. */
struct prefix_piece {
	struct a5_prefix prefix;
	size_t from;
};

/* The union of nest[0..n) minus inner, where each nest prefix strictly
 * holds inner (any order): each is cut around the next narrower prefix of
 * the nest (the narrowest around inner), so the pieces are disjoint and
 * each lies in the nest prefixes from its own outwards, never in a
 * narrower one. Into out (room for PREFIX_SPLIT_MAX), widest nest prefix's
 * pieces first. Returns how many, or -1 when a nest prefix does not
 * strictly hold inner, two are equal, or n is over PREFIX_NEST_MAX. */
int prefix_split_nest(const struct a5_prefix *nest, size_t n, const struct a5_prefix *inner,
    struct prefix_piece *out);

#endif
