/* lthash.c - LtHash16 over prefixes: element vectors from BLAKE2b and ChaCha20, lanes mod 2^16. */
#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#include "common/lthash.h"

/* Lattice-based, as Bellare-Micciancio with the parameters of Lewi et al.
 * (folly's LtHash<16, 1024>). XOR or one 256-bit sum were rejected: whoever
 * picks the elements can solve for collisions (Gaussian elimination for
 * XOR, Wagner's generalized birthday for a single sum). BLAKE2Xb, which
 * folly uses to expand an element, is not in libsodium: ChaCha20 keyed by
 * BLAKE2b does that job. */

/* Personalization strings (exactly 16 bytes each, the NUL is not used).
 * Changing either changes every digest ever published. */
#define LTHASH_PERS_ELEM	"article5/kset/e1"
#define LTHASH_PERS_DIG		"article5/kset/d1"

static const uint8_t zero_salt[crypto_generichash_blake2b_SALTBYTES];
static const uint8_t zero_nonce[crypto_stream_chacha20_ietf_NONCEBYTES];

/* sodium_init takes a lock on every call; the hot path (one call per
 * kernel event) checks this flag instead. */
static atomic_int sodium_ready;

static int
ready(void)
{
	if (atomic_load_explicit(&sodium_ready, memory_order_acquire))
		return 0;
	if (sodium_init() == -1)
		return -1;
	atomic_store_explicit(&sodium_ready, 1, memory_order_release);
	return 0;
}

/* Adds (sign > 0) or subtracts the vector of p: BLAKE2b-256(family || len
 * || addr[16]) as a ChaCha20 key, 2 KiB of keystream as 1024 little-endian
 * lanes. */
static int
apply(struct lthash *h, const struct a5_prefix *p, int sign)
{
	uint8_t msg[18], seed[32], s[2 * LTHASH_LANES];
	unsigned width;

	if (p->family == A5_AF_INET)
		width = 32;
	else if (p->family == A5_AF_INET6)
		width = 128;
	else {
		errno = EINVAL;
		return -1;
	}
	if (p->len > width) {
		errno = EINVAL;
		return -1;
	}
	if (ready() == -1)
		return -1;
	msg[0] = p->family;
	msg[1] = p->len;
	memcpy(msg + 2, p->addr, 16);
	crypto_generichash_blake2b_salt_personal(seed, sizeof(seed), msg,
	    sizeof(msg), NULL, 0, zero_salt,
	    (const unsigned char *)LTHASH_PERS_ELEM);
	crypto_stream_chacha20_ietf(s, sizeof(s), zero_nonce, seed);
	if (sign > 0)
		for (size_t i = 0; i < LTHASH_LANES; i++)
			h->lane[i] = (uint16_t)(h->lane[i] +
			    (s[2 * i] | s[2 * i + 1] << 8));
	else
		for (size_t i = 0; i < LTHASH_LANES; i++)
			h->lane[i] = (uint16_t)(h->lane[i] -
			    (s[2 * i] | s[2 * i + 1] << 8));
	return 0;
}

void
lthash_zero(struct lthash *h)
{
	memset(h, 0, sizeof(*h));
}

int
lthash_add(struct lthash *h, const struct a5_prefix *p)
{
	return apply(h, p, +1);
}

int
lthash_sub(struct lthash *h, const struct a5_prefix *p)
{
	return apply(h, p, -1);
}

void
lthash_add_state(struct lthash *dst, const struct lthash *src)
{
	for (size_t i = 0; i < LTHASH_LANES; i++)
		dst->lane[i] = (uint16_t)(dst->lane[i] + src->lane[i]);
}

void
lthash_sub_state(struct lthash *dst, const struct lthash *src)
{
	for (size_t i = 0; i < LTHASH_LANES; i++)
		dst->lane[i] = (uint16_t)(dst->lane[i] - src->lane[i]);
}

void
lthash_digest(const struct lthash *h, uint8_t out[LTHASH_DIGEST_LEN])
{
	uint8_t b[2 * LTHASH_LANES];

	for (size_t i = 0; i < LTHASH_LANES; i++) {
		b[2 * i] = (uint8_t)(h->lane[i] & 0xff);
		b[2 * i + 1] = (uint8_t)(h->lane[i] >> 8);
	}
	/* sodium_init only picks the fastest implementation; the reference
	 * one gives the same bytes, so a failure here changes nothing. */
	(void)ready();
	crypto_generichash_blake2b_salt_personal(out, LTHASH_DIGEST_LEN, b,
	    sizeof(b), NULL, 0, zero_salt,
	    (const unsigned char *)LTHASH_PERS_DIG);
}
