/* kset_impl.h - the kernel mirror's insides, shared by kset.c (the
 * interface), kset_kernel.c (what nf_tables says: events and dumps) and
 * mset.c (one mirrored set: its elements, digest and expiries). Internal
 * to kset; see kset.h for the contract. */
#ifndef A5_ENF_KSET_IMPL_H
#define A5_ENF_KSET_IMPL_H

#include <linux/netfilter/nf_tables.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/hashtab.h"
#include "common/heap.h"
#include "common/lthash.h"
#include "enforcer/enforcer.h"
#include "enforcer/kset.h"
#include "enforcer/nlmsg.h"

/* One receive buffer: multicast notifications come in skbs of at most
 * NLMSG_GOODSIZE and dump replies of at most 32 KiB. */
#define KSET_BUFSIZE	65536
#define KSET_REQSIZE	256
/* Event socket buffer (SO_RCVBUFFORCE; the kernel doubles it). Measured:
 * a commit of 65,536 bans queues 13.5 MB (41 notifications per 4 KiB skb),
 * one of 65,536 unbans 20 MB (each is written as an add and a delete). */
#define KSET_RCVBUF	(32 << 20)
#define KSET_TIMEOUT_S	5
/* Reads per kset_dispatch call; the rest waits for the next call (the fd
 * stays readable). 1024 reads are about 42,000 notifications. */
#define KSET_RECV_MAX	1024
/* Reads discarded after an overflow, before the sets are read again. */
#define KSET_DRAIN_MAX	65536
/* Dumps merged at most to read one set (see kset_set_read), and how close to
 * a timeout a dump counts as disturbed by the kernel's garbage collector
 * (it runs every second by default). */
#define KSET_DUMP_TRIES	8
#define KSET_DUMP_TRIES_LARGE 3	/* above KSET_VERIFY_MAX: seconds each */
#define KSET_GC_SLACK_MS 3000
/* While over a ceiling, the sets are read in full at most this often. */
#define KSET_RETRY_MS	600000
/* Interval starts queued for a recount before the queue is worked off. */
#define KSET_DIRTY_MAX	4096
/* kset_verify: tries per set, and how many of them must disagree. */
#define KSET_VERIFY_TRIES 3
#define KSET_VERIFY_BAD	2


typedef unsigned __int128 u128;

/* One kernel element of a prefix set: an interval start, or the end marker
 * (NFT_SET_ELEM_INTERVAL_END) that closes the interval before it. */
struct nelem {
	uint8_t key[16];
	uint8_t next[16];	/* upper bound the start was counted with */
	uint64_t expires;	/* CLOCK_MONOTONIC ms, 0 = none */
	bool end;
	bool counted;		/* its blocks are in acc (with next/open) */
	bool open;		/* counted up to the top of the address space */
	bool dirty;		/* queued for a recount */
};

struct mset {
	size_t klen;
	bool net;		/* interval set */
	struct lthash acc;	/* sum of h(prefix) over the set */
	uint64_t prefixes;	/* prefixes in acc */
	struct hashtab ht;	/* address sets: key -> expiry */
	struct nelem *nv;	/* prefix sets: sorted by (key, end before start) */
	size_t nn, ncap;
	uint8_t (*dirty)[16];	/* starts to recount (keys), KSET_DIRTY_MAX */
	size_t ndirty;
	/* Expiries (key: expiry, payload: the element's key), stale entries
	 * left in place: an entry counts only if the element still has
	 * exactly that expiry when it comes up. Rebuilt from the set when
	 * stale entries outnumber live elements (heap_compact). */
	struct heap heap;
	bool overflow;		/* an element was not mirrored */
	bool unsettled;		/* read from dumps that were never quiet */
	bool gen_filter;	/* skip events older than gen_from (a dump has them) */
	uint16_t gen_from;
};

struct kset {
	int fd;			/* nf_tables events, non-blocking */
	int qfd;		/* requests: generation, dumps */
	uint32_t qportid, qseq;
	bool stale;		/* events lost or refused: read the sets again */
	uint32_t gen;		/* latest ruleset generation known */
	int64_t last_full_ms;	/* last full read */
	uint8_t sipkey[crypto_shorthash_KEYBYTES];
	struct mset sets[KSET_NSETS];
	struct kset_stats stats;
	uint8_t buf[KSET_BUFSIZE];
};

/* A parsed element of a message. */
struct elem {
	uint8_t key[16];
	bool end;
	uint64_t expires;	/* absolute, 0 = no timeout */
};

/* --- mset.c: one mirrored set (comments at the definitions) --- */

/* CLOCK_MONOTONIC in milliseconds: the clock of the kernel's timeouts. */
int64_t kset_now_ms(void);
int mset_init(struct kset *k, struct mset *m, enum kset_set id);
void mset_free(struct mset *m);
/* An element is not mirrored (ceiling or no memory): counted. */
void mset_overflow(struct kset *k, struct mset *m);
/* An event's element in or out: 1 added, 0 already there, -1 overflow. */
int mset_add(struct kset *k, struct mset *m, const struct elem *x);
void mset_del(struct mset *m, const struct elem *x);
int mset_host_insert(struct kset *k, struct mset *m, const struct elem *x);
bool mset_net_find(const struct mset *m, const uint8_t *key, bool end, size_t *at);
void mset_net_recount(struct mset *m, size_t i);
/* Sorts a prefix set read from dumps and drops the copies. */
void mset_net_sort(struct mset *m);
uint64_t mset_expire(struct mset *m, int64_t now);
uint64_t mset_first_expiry(struct mset *m, int64_t since);
void mset_merge(struct kset *k, struct mset *m, const struct mset *fresh);
bool mset_same(const struct mset *a, const struct mset *b);
/* Expires, recounts and compacts every set; refreshes the stats. */
void kset_settle(struct kset *k);
/* Addresses as 128-bit numbers: the key's value, the largest of klen. */
u128 kset_key_load(const uint8_t *key, size_t klen);
u128 kset_key_max(size_t klen);

/* --- kset_kernel.c: reading nf_tables --- */

/* The subscribed, non-blocking event socket. fd, or -1 with errno. */
int kset_events_open(void);
/* Applies a buffer of event messages: 0, or -1 if one was refused. */
int kset_feed_buf(struct kset *k, const uint8_t *buf, size_t len);
/* The ruleset generation: 0, or -1 with errno. */
int kset_getgen(struct kset *k, uint32_t *gen);
int kset_set_read(struct kset *k, enum kset_set s, struct mset *fresh, uint32_t *gen,
    bool *quiet);
void mset_replace(struct kset *k, enum kset_set s, struct mset *fresh, uint32_t gen,
    bool quiet);
/* Reads the eight sets again: 0, or -1 with errno. */
int kset_resync(struct kset *k);

#endif
