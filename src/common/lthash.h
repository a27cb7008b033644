/* lthash.h - LtHash16, a homomorphic multiset hash of prefixes.
 *
 * The state is 1024 lanes of 16 bits; a prefix joining adds its 2 KiB
 * vector lane by lane modulo 2^16, one leaving subtracts it, so the state
 * depends only on the multiset, and states of disjoint parts add up. The
 * digest is BLAKE2b-256 of the state. The math and the personalization
 * strings are fixed: a digest once published must keep its meaning (see
 * docs/commitment.md, "The hash: LtHash16"). */
#ifndef A5_LTHASH_H
#define A5_LTHASH_H

#include <stdint.h>

#include "common/addr.h"

#define LTHASH_LANES		1024
#define LTHASH_DIGEST_LEN	32

struct lthash {
	uint16_t lane[LTHASH_LANES];
};

/* The state of the empty multiset. */
void lthash_zero(struct lthash *h);

/* Adds or removes one prefix: h(family || len || addr[16]), the 16 address
 * bytes taken as they are (IPv4 in the first 4). 0, or -1 (errno EINVAL) if
 * the family is not A5_AF_INET/A5_AF_INET6 or len exceeds its width, or if
 * libsodium cannot start. Removing a prefix that was never added is
 * allowed: the state is a difference, like any sum. */
int lthash_add(struct lthash *h, const struct a5_prefix *p);
int lthash_sub(struct lthash *h, const struct a5_prefix *p);

/* dst += src, dst -= src: the state of a union, or of a difference, of
 * multisets. */
void lthash_add_state(struct lthash *dst, const struct lthash *src);
void lthash_sub_state(struct lthash *dst, const struct lthash *src);

/* The published digest: BLAKE2b-256 of the lanes, little-endian. */
void lthash_digest(const struct lthash *h, uint8_t out[LTHASH_DIGEST_LEN]);

#endif
