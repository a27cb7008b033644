/* kset.h - a mirror of the ban sets the kernel holds, and a digest of them.
 *
 * The mirror follows nf_tables' own change events (netlink multicast), so
 * it describes what table inet article5 really contains, not what the
 * daemon meant to write: a ban deleted by hand, a flushed set or a dropped
 * table change the digest at once. Elements expire in the kernel without
 * any event, so the mirror keeps each element's expiry and drops it itself.
 * After the one dump at open, the cost of keeping the digest is O(1) per
 * changed element (O(log n) for the expiry heap) and O(1) to read it,
 * whatever the size of the sets.
 *
 * The sets come in two groups (enforcer.h): the local group (ban4, ban6,
 * ban4net, ban6net: this host's own decisions) and the coalition group
 * (cban4, ...: bans enforced on behalf of other members). Each group has
 * a digest of its own, and kset_digest covers both. See
 * docs/commitment.md. */
#ifndef A5_ENF_KSET_H
#define A5_ENF_KSET_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define KSET_DIGEST_LEN	32
/* Ceilings: elements beyond them are not mirrored, and kset_digest refuses
 * to answer (the digest would lie) until a resync finds the sets smaller. */
#define KSET_HOST_MAX	(1u << 24)	/* per address set (ban4, cban6...) */
#define KSET_NET_MAX	65536u		/* kernel elements per prefix set */
/* kset_verify re-reads only sets at most this large. */
#define KSET_VERIFY_MAX	10000u

enum kset_group { KSET_GROUP_LOCAL, KSET_GROUP_COALITION };

/* The sets of group g are g * KSET_GROUP_SETS + (HOST4, HOST6, NET4, NET6),
 * in the order of the ENF_* names. */
enum kset_set {
	KSET_HOST4, KSET_HOST6, KSET_NET4, KSET_NET6,		/* local */
	KSET_CHOST4, KSET_CHOST6, KSET_CNET4, KSET_CNET6,	/* coalition */
	KSET_NSETS
};
#define KSET_GROUP_SETS	4

struct kset_stats {
	uint64_t events;	/* element events applied */
	uint64_t ignored;	/* messages about other tables, sets or families */
	uint64_t malformed;	/* messages the parser refused */
	uint64_t expired;	/* elements dropped when their timeout passed */
	uint64_t resyncs;	/* full re-reads after lost events or a refused message */
	uint64_t repairs;	/* sets kset_verify found out of step (and fixed) */
	uint64_t overflow;	/* elements not mirrored (ceiling or no memory) */
	uint64_t unsettled;	/* set reads that found no quiet moment: a few
				 * elements may be missing (see docs) */
	uint32_t genid;		/* last nf_tables ruleset generation announced */
	uint64_t prefixes[KSET_NSETS];	/* prefixes counted in the digest, per set */
};

struct kset;

/* Subscribes to nf_tables events, then reads the eight sets of table inet
 * article5 once (an absent table or set is empty). Needs CAP_NET_ADMIN.
 * NULL and err on failure. */
struct kset *kset_open(char *err, size_t errlen);
void kset_close(struct kset *k);

/* The event socket, for the caller's poll/epoll (readable: call dispatch). */
int kset_fd(const struct kset *k);

/* Applies the pending events without blocking, then drops expired elements.
 * If events were lost (the socket overflowed) or one could not be read, the
 * eight sets are read again from the kernel (O(set size), rare). Returns the
 * number of element events applied, or -1 if the mirror could not be
 * brought up to date (errno; the digest is refused until it is). */
int kset_dispatch(struct kset *k);

/* The digest of the bans in force now (both groups), and how many prefixes
 * it covers. Drops expired elements first; otherwise O(1). 0, or -1 with
 * errno EOVERFLOW or EAGAIN when the mirror is known to be incomplete or
 * stale: publish nothing rather than a wrong digest. */
int kset_digest(struct kset *k, uint8_t out[KSET_DIGEST_LEN], uint64_t *count);

/* The same for the sets of one group only: equal to kset_digest_of of the
 * prefixes those four sets hold. EOVERFLOW only if a set of this group is
 * incomplete; EINVAL for an unknown group. */
int kset_digest_group(struct kset *k, enum kset_group g,
    uint8_t out[KSET_DIGEST_LEN], uint64_t *count);

/* The same digest computed from a list of prefixes (what a member intends,
 * or a list it reveals). A prefix listed twice counts twice. 0, or -1 if
 * a prefix has an unknown family or a length past it (EINVAL), or if
 * libsodium cannot start. */
int kset_digest_of(const struct a5_prefix *list, size_t n,
    uint8_t out[KSET_DIGEST_LEN]);

/* 1 if p is banned according to the mirror, by either group (an element
 * of an address set, or inside an interval of a prefix set), 0 if not. No
 * system call. */
int kset_contains(struct kset *k, const struct a5_prefix *p);

/* Whether p is itself an element of group g's sets: a full-length p in the
 * address set (or as a /32, /128 interval in the prefix set), a shorter one
 * as an interval of the prefix set that starts at p's first address and
 * ends at its last (a wider element holding p does not count). 1 with
 * *ms_left the milliseconds until it expires (-1: no timeout), 0 if not,
 * -1 (EINVAL) for an unknown group or a prefix not in canonical form.
 * Answers from the mirror, like kset_contains (no system call): check
 * kset_digest_group first to know that the mirror is up to date. */
int kset_expiry(struct kset *k, enum kset_group g, const struct a5_prefix *p,
    int64_t *ms_left);

/* Re-reads every set holding at most KSET_VERIFY_MAX elements and compares
 * it with the mirror; a set out of step is replaced by what the kernel
 * holds (counted in stats.repairs). Returns the number of sets repaired,
 * or -1. Costs up to eight dumps of KSET_VERIFY_MAX elements. */
int kset_verify(struct kset *k);

/* Applies a buffer of netlink messages as if the kernel had sent it (tests
 * and fuzzing). 0, or -1 if a message was refused (counted in malformed). */
int kset_feed(struct kset *k, const void *buf, size_t len);

const struct kset_stats *kset_get_stats(const struct kset *k);

#endif
