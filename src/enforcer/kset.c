/* kset.c - mirrors the ban sets of table inet article5 from nf_tables events, with their digest. */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
/* Dumps merged at most to read one set (see set_read), and how close to
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

static const char *const set_names[KSET_NSETS] = {
	ENF_SET4, ENF_SET6, ENF_NET4, ENF_NET6,
	ENF_CSET4, ENF_CSET6, ENF_CNET4, ENF_CNET6
};

/* ------------------------------------------------------------ LtHash */

_Static_assert(KSET_DIGEST_LEN == LTHASH_DIGEST_LEN, "one digest size");

/* Adds (sign > 0) or subtracts one prefix. The mirror only hashes what it
 * built itself (a known family, a length within it) after libsodium
 * started, so this cannot fail. */
static void
lt_apply(struct lthash *acc, uint8_t family, uint8_t len,
    const uint8_t addr[16], int sign)
{
	struct a5_prefix p;

	p.family = family;
	p.len = len;
	memcpy(p.addr, addr, 16);
	if (sign > 0)
		(void)lthash_add(acc, &p);
	else
		(void)lthash_sub(acc, &p);
}

/* ------------------------------------------------------------ addresses */

static u128
key_load(const uint8_t *key, size_t klen)
{
	u128 v = 0;

	for (size_t i = 0; i < klen; i++)
		v = v << 8 | key[i];
	return v;
}

static void
key_store(u128 v, uint8_t out[16], size_t klen)
{
	memset(out, 0, 16);
	for (size_t i = klen; i-- > 0; v >>= 8)
		out[i] = (uint8_t)(v & 0xff);
}

static u128
key_max(size_t klen)
{
	return klen == 16 ? ~(u128)0 : ((u128)1 << (8 * klen)) - 1;
}

/* Counts the CIDR blocks covering [lo, last] (largest aligned block first,
 * from lo up) into acc with the given sign; returns how many. At most
 * 2 * width blocks, so a hand-made range costs at most 256 hashes. */
static uint64_t
range_apply(struct lthash *acc, u128 lo, u128 last, size_t klen, int sign)
{
	unsigned w = (unsigned)(8 * klen);
	uint8_t family = klen == 4 ? A5_AF_INET : A5_AF_INET6, addr[16];
	uint64_t n = 0;

	for (unsigned guard = 0; guard <= 2 * w; guard++) {
		unsigned k = 0;
		u128 mask = 0;

		while (k < w) {
			u128 m = k + 1 == 128 ? ~(u128)0 :
			    ((u128)1 << (k + 1)) - 1;
			if ((lo & m) != 0 || last - lo < m)
				break;
			k++;
			mask = m;
		}
		key_store(lo, addr, klen);
		lt_apply(acc, family, (uint8_t)(w - k), addr, sign);
		n++;
		if ((lo | mask) >= last)
			break;
		lo = (lo | mask) + 1;
	}
	return n;
}

/* ------------------------------------------------------------ mirrored sets */

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

static int64_t
now_ms(void)
{
	struct timespec ts;

	/* Kernel timeouts run on jiffies, which stop in suspend, like
	 * CLOCK_MONOTONIC (CLOCK_BOOTTIME would run ahead of them). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
mset_init(struct kset *k, struct mset *m, enum kset_set id)
{
	enum kset_set kind = (enum kset_set)(id % KSET_GROUP_SETS);

	memset(m, 0, sizeof(*m));
	m->klen = (kind == KSET_HOST4 || kind == KSET_NET4) ? 4 : 16;
	m->net = kind == KSET_NET4 || kind == KSET_NET6;
	hashtab_init(&m->ht, m->klen, k->sipkey);
	heap_init(&m->heap, m->klen);
	if (m->net && (m->dirty = calloc(KSET_DIRTY_MAX, 16)) == NULL)
		return -1;
	return 0;
}

static void
mset_free(struct mset *m)
{
	hashtab_free(&m->ht);
	free(m->nv);
	free(m->dirty);
	heap_free(&m->heap);
	memset(m, 0, sizeof(*m));
}

static uint8_t
mset_family(const struct mset *m)
{
	return m->klen == 4 ? A5_AF_INET : A5_AF_INET6;
}

static void
mset_overflow(struct kset *k, struct mset *m)
{
	m->overflow = true;
	k->stats.overflow++;
}

/* --- prefix sets: an interval start covers [its key, the next element's
 * key), or up to the top when it is last: this is how the kernel's rbtree
 * looks an address up (the closest element at or below it decides), so a
 * start followed by another start counts up to that start. End-of-interval
 * elements count nothing by themselves. */

static int
ncmp(const uint8_t *ak, bool aend, const uint8_t *bk, bool bend, size_t klen)
{
	int c = memcmp(ak, bk, klen);

	if (c != 0)
		return c;
	/* An end sorts before a start at the same key: [a, b) then [b, c). */
	return (aend ? 0 : 1) - (bend ? 0 : 1);
}

static bool
nfind(const struct mset *m, const uint8_t *key, bool end, size_t *at)
{
	size_t lo = 0, hi = m->nn;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ncmp(m->nv[mid].key, m->nv[mid].end, key, end, m->klen);
		if (c < 0)
			lo = mid + 1;
		else if (c > 0)
			hi = mid;
		else {
			*at = mid;
			return true;
		}
	}
	*at = lo;
	return false;
}

static void
ncount(struct mset *m, struct nelem *e, int sign)
{
	u128 lo = key_load(e->key, m->klen), last;
	uint64_t n;

	if (e->open)
		last = key_max(m->klen);
	else {
		u128 next = key_load(e->next, m->klen);
		if (next <= lo)
			return;		/* cannot happen in sorted order */
		last = next - 1;
	}
	n = range_apply(&m->acc, lo, last, m->klen, sign);
	if (sign > 0)
		m->prefixes += n;
	else
		m->prefixes -= n;
}

static void
nrecount(struct mset *m, size_t i)
{
	struct nelem *e = &m->nv[i];

	if (e->counted)
		ncount(m, e, -1);
	e->open = i + 1 >= m->nn;
	if (!e->open)
		memcpy(e->next, m->nv[i + 1].key, 16);
	ncount(m, e, +1);
	e->counted = true;
	e->dirty = false;
}

/* Works off the recount queue: an interval added as start then end costs
 * one count, not one to the top of the address space and then one more. */
static void
nflush(struct mset *m)
{
	for (size_t d = 0; d < m->ndirty; d++) {
		size_t i;

		if (nfind(m, m->dirty[d], false, &i) && m->nv[i].dirty)
			nrecount(m, i);
	}
	m->ndirty = 0;
}

static void
nmark(struct mset *m, size_t i)
{
	if (m->nv[i].end || m->nv[i].dirty)
		return;
	if (m->ndirty == KSET_DIRTY_MAX)
		nflush(m);
	m->nv[i].dirty = true;
	memcpy(m->dirty[m->ndirty++], m->nv[i].key, 16);
}

static int
ninsert(struct kset *k, struct mset *m, const struct elem *x)
{
	size_t i;

	if (nfind(m, x->key, x->end, &i)) {
		if (!x->end && x->expires != m->nv[i].expires) {
			m->nv[i].expires = x->expires;
			if (x->expires && heap_push(&m->heap, (int64_t)x->expires, x->key))
				mset_overflow(k, m);
		}
		return 0;
	}
	if (m->nn >= KSET_NET_MAX) {
		mset_overflow(k, m);
		return -1;
	}
	if (m->nn == m->ncap) {
		size_t ncap = m->ncap ? m->ncap * 2 : 64;
		struct nelem *nv = realloc(m->nv, ncap * sizeof(*nv));
		if (nv == NULL) {
			mset_overflow(k, m);
			return -1;
		}
		m->nv = nv;
		m->ncap = ncap;
	}
	if (i > 0)
		nmark(m, i - 1);	/* its upper bound changes */
	memmove(&m->nv[i + 1], &m->nv[i], (m->nn - i) * sizeof(*m->nv));
	m->nn++;
	memset(&m->nv[i], 0, sizeof(m->nv[i]));
	memcpy(m->nv[i].key, x->key, 16);
	m->nv[i].end = x->end;
	m->nv[i].expires = x->end ? 0 : x->expires;
	nmark(m, i);
	if (m->nv[i].expires && heap_push(&m->heap, (int64_t)m->nv[i].expires, x->key))
		mset_overflow(k, m);
	return 1;
}

static void
nremove_at(struct mset *m, size_t i)
{
	/* Mark first: the mark may work the queue off, and must not count
	 * the element being removed again. */
	if (i > 0)
		nmark(m, i - 1);
	if (m->nv[i].counted)
		ncount(m, &m->nv[i], -1);
	memmove(&m->nv[i], &m->nv[i + 1], (m->nn - i - 1) * sizeof(*m->nv));
	m->nn--;
}

/* --- address sets */

static void
host_hash(struct mset *m, const uint8_t *key, int sign)
{
	uint8_t addr[16] = { 0 };

	memcpy(addr, key, m->klen);
	lt_apply(&m->acc, mset_family(m), (uint8_t)(8 * m->klen), addr, sign);
	if (sign > 0)
		m->prefixes++;
	else
		m->prefixes--;
}

static int
hinsert(struct kset *k, struct mset *m, const struct elem *x)
{
	size_t at;

	if (hashtab_find(&m->ht, x->key, &at)) {
		if (hashtab_value(&m->ht, at) != x->expires) {
			hashtab_set_value(&m->ht, at, x->expires);
			if (x->expires && heap_push(&m->heap, (int64_t)x->expires, x->key))
				mset_overflow(k, m);
		}
		return 0;
	}
	if (hashtab_len(&m->ht) >= KSET_HOST_MAX || hashtab_insert(&m->ht, x->key, x->expires) < 0) {
		mset_overflow(k, m);
		return -1;
	}
	host_hash(m, x->key, +1);
	if (x->expires && heap_push(&m->heap, (int64_t)x->expires, x->key))
		mset_overflow(k, m);
	return 1;
}

static int
elem_add(struct kset *k, struct mset *m, const struct elem *x)
{
	return m->net ? ninsert(k, m, x) : hinsert(k, m, x);
}

static void
elem_del(struct mset *m, const struct elem *x)
{
	size_t at;

	if (m->net) {
		if (nfind(m, x->key, x->end, &at))
			nremove_at(m, at);
	} else if (hashtab_find(&m->ht, x->key, &at)) {
		host_hash(m, x->key, -1);
		hashtab_remove_at(&m->ht, at);
	}
}

/* Rebuilds the heap from the live elements once stale entries (left by
 * timeout refreshes) outnumber them: amortized O(log n) per refresh. */
static void
heap_compact(struct kset *k, struct mset *m)
{
	size_t live = m->net ? m->nn : hashtab_len(&m->ht);

	if (heap_len(&m->heap) <= 2 * live + 4096)
		return;
	heap_clear(&m->heap);
	if (m->net) {
		for (size_t i = 0; i < m->nn; i++)
			if (m->nv[i].expires &&
			    heap_push(&m->heap, (int64_t)m->nv[i].expires, m->nv[i].key))
				mset_overflow(k, m);
		return;
	}
	for (size_t i = 0; i < hashtab_slots(&m->ht); i++)
		if (hashtab_used(&m->ht, i) && hashtab_value(&m->ht, i) &&
		    heap_push(&m->heap, (int64_t)hashtab_value(&m->ht, i), hashtab_key(&m->ht, i)))
			mset_overflow(k, m);
}

/* Drops the elements whose timeout has passed: nf_tables sends no event
 * when it expires an element (checked on Linux 6.18, see the docs). An
 * expired interval start takes the end marker after it along, as the
 * kernel's rbtree garbage collector does. Returns how many. */
static uint64_t
mset_expire(struct mset *m, int64_t now)
{
	uint8_t key[16] = { 0 };
	uint64_t n = 0;

	while (heap_len(&m->heap) > 0 && heap_top_key(&m->heap) <= now) {
		uint64_t exp = (uint64_t)heap_top_key(&m->heap);
		size_t at;

		memcpy(key, heap_top(&m->heap), m->klen);
		heap_pop(&m->heap);
		if (m->net) {
			if (!nfind(m, key, false, &at) || m->nv[at].expires != exp)
				continue;	/* gone, or refreshed */
			nremove_at(m, at);
			if (at < m->nn && m->nv[at].end)
				nremove_at(m, at);
		} else {
			if (!hashtab_find(&m->ht, key, &at) || hashtab_value(&m->ht, at) != exp)
				continue;
			host_hash(m, key, -1);
			hashtab_remove_at(&m->ht, at);
		}
		n++;
	}
	if (m->net)
		nflush(m);
	return n;
}

static void
kset_settle(struct kset *k)
{
	int64_t now = now_ms();

	for (int s = 0; s < KSET_NSETS; s++) {
		struct mset *m = &k->sets[s];

		k->stats.expired += mset_expire(m, now);
		if (m->net)
			nflush(m);
		heap_compact(k, m);
		k->stats.prefixes[s] = m->prefixes;
	}
}

/* ------------------------------------------------------------ attributes */

/* Which of our sets a (a set name attribute) names, or -1. */
static int
set_of_name(const struct nlattr *a)
{
	for (int s = 0; s < KSET_NSETS; s++)
		if (nlmsg_attr_is(a, set_names[s]))
			return s;
	return -1;
}

/* Parses one NFTA_LIST_ELEM. 1 with x filled, 0 for an element to skip (a
 * catch-all element has no key), -1 if malformed: a key that is not
 * exactly klen bytes, a closing key (concatenated ranges: not our layout),
 * an interval end in an address set. */
static int
elem_parse(const uint8_t *p, size_t len, const struct mset *m, int64_t now,
    struct elem *x)
{
	const struct nlattr *tb[NFTA_SET_ELEM_KEY_END + 1], *kb[NFTA_DATA_VALUE + 1];
	uint32_t flags = 0;
	uint64_t v;

	if (nlmsg_attr_parse(p, len, tb, NFTA_SET_ELEM_KEY_END) == -1)
		return -1;
	if (tb[NFTA_SET_ELEM_FLAGS] != NULL &&
	    nlmsg_attr_be32(tb[NFTA_SET_ELEM_FLAGS], &flags) == -1)
		return -1;
	if (flags & NFT_SET_ELEM_CATCHALL)
		return 0;
	if (tb[NFTA_SET_ELEM_KEY] == NULL || tb[NFTA_SET_ELEM_KEY_END] != NULL)
		return -1;
	if (nlmsg_attr_parse(nlmsg_attr_data(tb[NFTA_SET_ELEM_KEY]),
	    nlmsg_attr_len(tb[NFTA_SET_ELEM_KEY]), kb, NFTA_DATA_VALUE) == -1 ||
	    kb[NFTA_DATA_VALUE] == NULL ||
	    nlmsg_attr_len(kb[NFTA_DATA_VALUE]) != m->klen)
		return -1;
	memset(x, 0, sizeof(*x));
	memcpy(x->key, nlmsg_attr_data(kb[NFTA_DATA_VALUE]), m->klen);
	x->end = (flags & NFT_SET_ELEM_INTERVAL_END) != 0;
	if (x->end && !m->net)
		return -1;
	/* Expiration is the time left when the kernel wrote the message;
	 * a message read late makes the mirror drop it that much late. */
	if (nlmsg_attr_be64(tb[NFTA_SET_ELEM_EXPIRATION], &v) == 0 ||
	    nlmsg_attr_be64(tb[NFTA_SET_ELEM_TIMEOUT], &v) == 0) {
		if (v > (uint64_t)INT64_MAX / 2)
			v = (uint64_t)INT64_MAX / 2;
		x->expires = (uint64_t)now + v;
	}
	return 1;
}

typedef int (*elem_fn)(struct kset *k, struct mset *m, const struct elem *x,
    void *arg);

/* Walks NFTA_SET_ELEM_LIST_ELEMENTS of one message. The whole list is
 * parsed before fn sees any element, so a malformed message changes
 * nothing. */
static int
elems_walk(struct kset *k, struct mset *m, const struct nlattr *list,
    elem_fn fn, void *arg)
{
	int64_t now = now_ms();

	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *p = nlmsg_attr_data(list);
		size_t len = nlmsg_attr_len(list);

		while (len > 0) {
			struct nlattr nla;
			struct elem x;
			size_t step;
			int rc;

			if (len < NLA_HDRLEN)
				return -1;
			memcpy(&nla, p, sizeof(nla));
			if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len ||
			    (nla.nla_type & NLA_TYPE_MASK) != NFTA_LIST_ELEM)
				return -1;
			rc = elem_parse(p + NLA_HDRLEN, nla.nla_len - NLA_HDRLEN,
			    m, now, &x);
			if (rc == -1)
				return -1;
			if (pass == 1 && rc == 1 && fn(k, m, &x, arg) == -1)
				return -1;
			step = NLA_ALIGN(nla.nla_len);
			if (step > len)
				step = len;
			p += step;
			len -= step;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ events */

static bool
gen_skip(struct mset *m, uint16_t resid)
{
	if (!m->gen_filter)
		return false;
	if ((int16_t)(uint16_t)(resid - m->gen_from) < 0)
		return true;
	m->gen_filter = false;	/* events arrive in order: no older ones follow */
	return false;
}

static void
mset_clear(struct kset *k, enum kset_set id)
{
	struct mset *m = &k->sets[id];

	mset_free(m);
	if (mset_init(k, m, id) == -1)
		mset_overflow(k, m);
}

static int
ev_add(struct kset *k, struct mset *m, const struct elem *x, void *arg)
{
	(void)arg;
	(void)elem_add(k, m, x);	/* a ceiling is counted, not an error */
	k->stats.events++;
	return 0;
}

static int
ev_del(struct kset *k, struct mset *m, const struct elem *x, void *arg)
{
	(void)arg;
	elem_del(m, x);
	k->stats.events++;
	return 0;
}

/* One message from the event socket. 0, or -1 if it was refused. */
static int
feed_msg(struct kset *k, const struct nlmsg_view *nm)
{
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_ELEMENTS + 1];
	const struct nfgenmsg nfg = nm->nfg;
	const uint8_t *p = nm->attrs;
	size_t len = nm->alen;
	uint16_t resid;
	int s;

	if ((nm->h.nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) {
		k->stats.ignored++;
		return 0;
	}
	if (nm->short_nfg)
		return -1;
	resid = ntohs(nfg.res_id);

	switch (nm->h.nlmsg_type & 0xff) {
	case NFT_MSG_NEWGEN: {
		uint32_t g;

		if (nlmsg_attr_parse(p, len, tb, NFTA_GEN_ID) == -1 ||
		    nlmsg_attr_be32(tb[NFTA_GEN_ID], &g) == -1)
			return -1;
		if ((int32_t)(g - k->gen) > 0)
			k->gen = k->stats.genid = g;
		return 0;
	}
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		if (nfg.nfgen_family != NFPROTO_INET)
			break;
		if (nlmsg_attr_parse(p, len, tb, NFTA_SET_ELEM_LIST_ELEMENTS) == -1)
			return -1;
		if (!nlmsg_attr_is(tb[NFTA_SET_ELEM_LIST_TABLE], ENF_TABLE) ||
		    (s = set_of_name(tb[NFTA_SET_ELEM_LIST_SET])) == -1)
			break;
		if (gen_skip(&k->sets[s], resid))
			break;
		if (tb[NFTA_SET_ELEM_LIST_ELEMENTS] == NULL)
			return 0;
		return elems_walk(k, &k->sets[s], tb[NFTA_SET_ELEM_LIST_ELEMENTS],
		    (nm->h.nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM ?
		    ev_add : ev_del, NULL);
	case NFT_MSG_DELSET:
		/* A deleted set takes its elements without one event each. */
		if (nfg.nfgen_family != NFPROTO_INET)
			break;
		if (nlmsg_attr_parse(p, len, tb, NFTA_SET_NAME) == -1)
			return -1;
		if (!nlmsg_attr_is(tb[NFTA_SET_TABLE], ENF_TABLE) ||
		    (s = set_of_name(tb[NFTA_SET_NAME])) == -1)
			break;
		if (!gen_skip(&k->sets[s], resid))
			mset_clear(k, (enum kset_set)s);
		return 0;
	case NFT_MSG_DELTABLE:
		if (nfg.nfgen_family != NFPROTO_INET)
			break;
		if (nlmsg_attr_parse(p, len, tb, NFTA_TABLE_NAME) == -1)
			return -1;
		if (!nlmsg_attr_is(tb[NFTA_TABLE_NAME], ENF_TABLE))
			break;
		for (s = 0; s < KSET_NSETS; s++)
			if (!gen_skip(&k->sets[s], resid))
				mset_clear(k, (enum kset_set)s);
		return 0;
	default:
		break;
	}
	k->stats.ignored++;
	return 0;
}

/* A buffer of messages; each refused one is counted and makes the mirror
 * stale (it is read again from the kernel before the next digest). */
static int
feed_buf(struct kset *k, const uint8_t *buf, size_t len)
{
	struct nlmsg_view nm;
	size_t left = len;
	int rc = 0, more;

	while ((more = nlmsg_next(&buf, &left, &nm)) == 1) {
		if (nm.h.nlmsg_type < NLMSG_MIN_TYPE)
			continue;	/* NOOP, ERROR, DONE, OVERRUN */
		if (feed_msg(k, &nm) == -1) {
			k->stats.malformed++;
			k->stale = true;
			rc = -1;
		}
	}
	if (more == -1) {
		k->stats.malformed++;
		k->stale = true;
		rc = -1;
	}
	return rc;
}

/* ------------------------------------------------------------ requests */

/* The non-blocking socket subscribed to nf_tables events, with a large
 * receive buffer. fd, or -1 with errno. */
static int
events_open(void)
{
	int fd = nlmsg_socket(true, 0, NULL), group = NFNLGRP_NFTABLES, size = KSET_RCVBUF;

	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* FORCE needs CAP_NET_ADMIN, which subscribing needed too; the plain
	 * option is capped by net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fd;
}

/* Replaces a request socket that may hold the tail of an abandoned dump. */
static void
q_reset(struct kset *k)
{
	if (k->qfd != -1)
		close(k->qfd);
	k->qfd = nlmsg_socket(false, KSET_TIMEOUT_S, &k->qportid);
}

/* Sends GETGEN (s < 0) or a GETSETELEM dump of set s of our table. The
 * names are constants, so the request always fits. */
static int
q_send(struct kset *k, int s)
{
	uint8_t mem[KSET_REQSIZE];
	struct nlmsg_buf b;

	if (k->qfd == -1 && (k->qfd = nlmsg_socket(false, KSET_TIMEOUT_S, &k->qportid)) == -1)
		return -1;
	nlmsg_buf_fixed(&b, mem, sizeof(mem));
	if (s < 0) {
		nlmsg_begin(&b, NFT_TYPE(NFT_MSG_GETGEN), 0, ++k->qseq, NFPROTO_UNSPEC, 0);
	} else {
		nlmsg_begin(&b, NFT_TYPE(NFT_MSG_GETSETELEM), NLM_F_DUMP, ++k->qseq,
		    NFPROTO_INET, 0);
		nlmsg_put_str(&b, NFTA_SET_ELEM_LIST_TABLE, ENF_TABLE);
		nlmsg_put_str(&b, NFTA_SET_ELEM_LIST_SET, set_names[s]);
	}
	nlmsg_end(&b, 0);
	return nlmsg_send(k->qfd, &b);
}

/* Collects a dump into a fresh set: address sets directly, prefix sets
 * unsorted (sorted and counted once at the end, not one insert at a time). */
static int
dump_elem(struct kset *k, struct mset *m, const struct elem *x, void *arg)
{
	(void)arg;
	if (!m->net) {
		(void)hinsert(k, m, x);	/* a ceiling is counted, not an error */
		return 0;
	}
	if (m->nn >= KSET_NET_MAX) {
		mset_overflow(k, m);
		return 0;
	}
	if (m->nn == m->ncap) {
		size_t ncap = m->ncap ? m->ncap * 2 : 64;
		struct nelem *nv = realloc(m->nv, ncap * sizeof(*nv));
		if (nv == NULL) {
			mset_overflow(k, m);
			return 0;
		}
		m->nv = nv;
		m->ncap = ncap;
	}
	memset(&m->nv[m->nn], 0, sizeof(m->nv[0]));
	memcpy(m->nv[m->nn].key, x->key, 16);
	m->nv[m->nn].end = x->end;
	m->nv[m->nn].expires = x->end ? 0 : x->expires;
	m->nn++;
	return 0;
}

/* Reads the replies to the last request until the ack, the end of a dump
 * or an error. GETGEN's answer goes to *gen; a dump's elements into m.
 * Messages of other sequence numbers are leftovers and skipped. */
static int
q_recv(struct kset *k, struct mset *m, uint32_t *gen)
{
	for (;;) {
		ssize_t n = nlmsg_recv(k->qfd, k->buf, sizeof(k->buf), 0);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return -1;
		}
		const uint8_t *p = k->buf;
		size_t left = (size_t)n;
		struct nlmsg_view nm;
		int more;

		while ((more = nlmsg_next(&p, &left, &nm)) == 1) {
			const struct nlattr *tb[NFTA_SET_ELEM_LIST_ELEMENTS + 1];

			if (nm.h.nlmsg_seq != k->qseq || nm.h.nlmsg_pid != k->qportid)
				continue;
			int err, isack = nlmsg_error(&nm, &err, NULL);
			if (isack != 0) {
				/* Asked for the generation, an answer without it is no answer. */
				if (isack == 1 && err == 0 && gen == NULL)
					return 0;
				errno = isack == -1 || err == 0 ? EPROTO : err;
				return -1;
			}
			if (nm.h.nlmsg_type == NLMSG_DONE) {
				if (gen == NULL)
					return 0;
				errno = EPROTO;
				return -1;
			}
			if (nm.h.nlmsg_flags & NLM_F_DUMP_INTR) {
				errno = EAGAIN;	/* changed under the dump */
				return -1;
			}
			if (nm.short_nfg) {
				errno = EPROTO;
				return -1;
			}
			if (gen != NULL &&
			    nm.h.nlmsg_type == NFT_TYPE(NFT_MSG_NEWGEN)) {
				if (nlmsg_attr_parse(nm.attrs, nm.alen, tb, NFTA_GEN_ID) == -1 ||
				    nlmsg_attr_be32(tb[NFTA_GEN_ID], gen) == -1) {
					errno = EPROTO;
					return -1;
				}
				return 0;
			}
			if (m == NULL ||
			    nm.h.nlmsg_type != NFT_TYPE(NFT_MSG_NEWSETELEM))
				continue;
			if (nlmsg_attr_parse(nm.attrs, nm.alen, tb,
			    NFTA_SET_ELEM_LIST_ELEMENTS) == -1) {
				errno = EPROTO;
				return -1;
			}
			if (tb[NFTA_SET_ELEM_LIST_ELEMENTS] != NULL &&
			    elems_walk(k, m, tb[NFTA_SET_ELEM_LIST_ELEMENTS],
			    dump_elem, NULL) == -1) {
				errno = EPROTO;
				return -1;
			}
		}
		if (more == -1) {
			errno = EPROTO;
			return -1;
		}
	}
}

static int
q_getgen(struct kset *k, uint32_t *gen)
{
	if (q_send(k, -1) == -1 || q_recv(k, NULL, gen) == -1) {
		int saved = errno;
		q_reset(k);
		errno = saved;
		return -1;
	}
	return 0;
}

static int
nsort_cmp(const void *a, const void *b, void *arg)
{
	const struct nelem *x = a, *y = b;

	return ncmp(x->key, x->end, y->key, y->end, *(const size_t *)arg);
}

/* Sorts a prefix set read from dumps and drops the copies. */
static void
nsort_unique(struct mset *m)
{
	size_t klen = m->klen, w = 0;

	if (m->nn > 1)
		qsort_r(m->nv, m->nn, sizeof(*m->nv), nsort_cmp, &klen);
	for (size_t i = 0; i < m->nn; i++)
		if (w == 0 || ncmp(m->nv[w - 1].key, m->nv[w - 1].end,
		    m->nv[i].key, m->nv[i].end, klen) != 0)
			m->nv[w++] = m->nv[i];
	m->nn = w;
}

/* The earliest timeout at or after since in a set being read, 0 if none
 * (an address set drops the earlier ones: they are expired). */
static uint64_t
first_expiry(struct mset *m, int64_t since)
{
	uint64_t first = 0;

	if (!m->net) {
		if (since > 0)
			(void)mset_expire(m, since);
		return heap_len(&m->heap) > 0 ? (uint64_t)heap_top_key(&m->heap) : 0;
	}
	for (size_t i = 0; i < m->nn; i++) {
		uint64_t x = m->nv[i].expires;
		if (x != 0 && x >= (uint64_t)since && (first == 0 || x < first))
			first = x;
	}
	return first;
}

/* Reads set s from the kernel into fresh (initialized here); *gen is the
 * generation before the first dump. An absent set or table reads as empty.
 *
 * A dump is not a snapshot. The kernel walks the set again for each reply
 * and skips as many elements as it already sent, so every element removed
 * behind the walk in between makes it skip one untouched element, silently
 * (no NLM_F_DUMP_INTR; measured on Linux 6.18: 10% of 200k untouched
 * elements missing from a dump while 150k others expired). Removals come
 * from transactions (they change the generation) and from the garbage
 * collector of expired elements (every second by default; it does not).
 * So dumps are merged, and reading stops at the first quiet one: same
 * generation before and after, and no timeout among the elements read so
 * far that is past or less than KSET_GC_SLACK_MS away (a timeout just
 * ahead also hints at others just behind, which the dump cannot show).
 * Merging is sound: every element seen was there, and the events since
 * the first dump (applied after it) and the timeouts remove those that
 * left. */
static int
set_read(struct kset *k, enum kset_set s, struct mset *fresh, uint32_t *gen,
    bool *quiet)
{
	int tries = KSET_DUMP_TRIES;

	*quiet = false;
	if (mset_init(k, fresh, s) == -1)
		return -1;
	for (int t = 0; t < tries; t++) {
		int64_t t0 = now_ms();
		uint32_t g0, g1;

		if (q_getgen(k, &g0) == -1)
			goto fail;
		if (t == 0)
			*gen = g0;
		if (q_send(k, s) == -1 || q_recv(k, fresh, NULL) == -1) {
			int saved = errno;

			q_reset(k);	/* may hold the rest of the dump */
			if (saved == ENOENT) {	/* no such set or table: empty */
				mset_free(fresh);
				*gen = g0;
				*quiet = true;
				return mset_init(k, fresh, s);
			}
			if (saved == EAGAIN)	/* NLM_F_DUMP_INTR */
				continue;
			errno = saved;
			goto fail;
		}
		if (fresh->net)
			nsort_unique(fresh);
		if (q_getgen(k, &g1) == -1)
			goto fail;
		/* Elements that expired well before this dump were collected
		 * before it too: they could not disturb it. */
		uint64_t first = first_expiry(fresh, t0 - KSET_GC_SLACK_MS);
		if (g0 == g1 && (first == 0 ||
		    first > (uint64_t)now_ms() + KSET_GC_SLACK_MS)) {
			*quiet = true;
			goto done;
		}
		/* A dump of a large set costs seconds (the walk is
		 * quadratic); at ordinary churn two already make a miss
		 * unlikely (docs/commitment.md). */
		if ((fresh->net ? fresh->nn : hashtab_len(&fresh->ht)) > KSET_VERIFY_MAX &&
		    tries > KSET_DUMP_TRIES_LARGE)
			tries = KSET_DUMP_TRIES_LARGE;
	}
	k->stats.unsettled++;
done:
	if (fresh->net)
		for (size_t i = 0; i < fresh->nn; i++) {
			if (fresh->nv[i].end)
				continue;
			nrecount(fresh, i);
			if (fresh->nv[i].expires &&
			    heap_push(&fresh->heap, (int64_t)fresh->nv[i].expires,
			    fresh->nv[i].key))
				mset_overflow(k, fresh);
		}
	return 0;
fail:;
	int saved = errno;
	mset_free(fresh);
	errno = saved;
	return -1;
}

static void
mset_replace(struct kset *k, enum kset_set s, struct mset *fresh, uint32_t gen,
    bool quiet)
{
	mset_free(&k->sets[s]);
	k->sets[s] = *fresh;
	/* Queued events older than the dump are already in it. */
	k->sets[s].gen_filter = true;
	k->sets[s].gen_from = (uint16_t)gen;
	k->sets[s].unsettled = !quiet;
	memset(fresh, 0, sizeof(*fresh));
}

/* Adds to m the elements of fresh (a read that was not quiet) that m
 * lacks: what a dump returns was there, and later events and timeouts
 * still apply to it. Elements m has are left as they are. */
static void
mset_merge(struct kset *k, struct mset *m, const struct mset *fresh)
{
	struct elem x;
	size_t at;

	if (!m->net) {
		for (size_t i = 0; i < hashtab_slots(&fresh->ht); i++) {
			if (!hashtab_used(&fresh->ht, i) ||
			    hashtab_find(&m->ht, hashtab_key(&fresh->ht, i), &at))
				continue;
			memset(&x, 0, sizeof(x));
			memcpy(x.key, hashtab_key(&fresh->ht, i), m->klen);
			x.expires = hashtab_value(&fresh->ht, i);
			(void)hinsert(k, m, &x);
		}
		return;
	}
	for (size_t i = 0; i < fresh->nn; i++) {
		const struct nelem *e = &fresh->nv[i];

		if (nfind(m, e->key, e->end, &at))
			continue;
		memset(&x, 0, sizeof(x));
		memcpy(x.key, e->key, 16);
		x.end = e->end;
		x.expires = e->expires;
		(void)ninsert(k, m, &x);
	}
	nflush(m);
}

/* Reads the eight sets again. Events queued before are dropped first (the
 * dumps hold their effect); those after the first generation read are
 * applied on top (applying an event twice changes nothing). */
static int
resync(struct kset *k)
{
	for (int i = 0; i < KSET_DRAIN_MAX; i++)
		if (recv(k->fd, k->buf, sizeof(k->buf), MSG_DONTWAIT) == -1 &&
		    errno != ENOBUFS && errno != EINTR)
			break;
	for (int s = 0; s < KSET_NSETS; s++) {
		struct mset fresh;
		uint32_t gen;
		bool quiet;

		if (set_read(k, (enum kset_set)s, &fresh, &gen, &quiet) == -1)
			return -1;
		mset_replace(k, (enum kset_set)s, &fresh, gen, quiet);
		k->gen = k->stats.genid = gen;
	}
	k->stale = false;
	k->last_full_ms = now_ms();
	return 0;
}

/* ------------------------------------------------------------ interface */

struct kset *
kset_open(char *err, size_t errlen)
{
	struct kset *k;

	if (sodium_init() == -1) {
		snprintf(err, errlen, "kset: libsodium failed to initialize");
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "kset: %s", strerror(errno));
		return NULL;
	}
	k->fd = k->qfd = -1;
	randombytes_buf(k->sipkey, sizeof(k->sipkey));
	for (int s = 0; s < KSET_NSETS; s++)
		if (mset_init(k, &k->sets[s], (enum kset_set)s) == -1) {
			snprintf(err, errlen, "kset: %s", strerror(errno));
			goto fail;
		}
	/* Subscribe before reading: a change made during the reads is then
	 * either in a dump or in the queue (or both, which is harmless). */
	if ((k->fd = events_open()) == -1) {
		snprintf(err, errlen, "kset: nf_tables event socket: %s",
		    strerror(errno));
		goto fail;
	}
	if ((k->qfd = nlmsg_socket(false, KSET_TIMEOUT_S, &k->qportid)) == -1 || resync(k) == -1) {
		snprintf(err, errlen, "kset: reading table inet %s: %s",
		    ENF_TABLE, strerror(errno));
		goto fail;
	}
	kset_settle(k);
	return k;
fail:
	kset_close(k);
	return NULL;
}

void
kset_close(struct kset *k)
{
	if (k == NULL)
		return;
	if (k->fd != -1)
		close(k->fd);
	if (k->qfd != -1)
		close(k->qfd);
	for (int s = 0; s < KSET_NSETS; s++)
		mset_free(&k->sets[s]);
	free(k);
}

int
kset_fd(const struct kset *k)
{
	return k->fd;
}

static bool
kset_overflowed(const struct kset *k)
{
	for (int s = 0; s < KSET_NSETS; s++)
		if (k->sets[s].overflow)
			return true;
	return false;
}

int
kset_dispatch(struct kset *k)
{
	uint64_t before = k->stats.events;
	int rc = 0;

	for (int i = 0; i < KSET_RECV_MAX && !k->stale; i++) {
		ssize_t n = nlmsg_recv(k->fd, k->buf, sizeof(k->buf), MSG_DONTWAIT);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {	/* notifications were lost */
				k->stale = true;
				break;
			}
			if (errno == EMSGSIZE) {	/* truncated: events lost */
				k->stats.malformed++;
				k->stale = true;
				break;
			}
			return -1;
		}
		(void)feed_buf(k, k->buf, (size_t)n);
	}
	/* Over a ceiling, try again now and then: the sets may have shrunk. */
	if (!k->stale && kset_overflowed(k) &&
	    now_ms() - k->last_full_ms >= KSET_RETRY_MS)
		k->stale = true;
	if (k->stale) {
		k->stats.resyncs++;
		if (resync(k) == -1)
			rc = -1;
	}
	kset_settle(k);
	if (rc == -1)
		return -1;
	return (int)(k->stats.events - before > INT32_MAX ? INT32_MAX :
	    k->stats.events - before);
}

/* The digest of sets [first, first + n): refused while the mirror is stale
 * or one of those sets is incomplete. */
static int
digest_sets(struct kset *k, int first, int n, uint8_t out[KSET_DIGEST_LEN],
    uint64_t *count)
{
	struct lthash acc;
	uint64_t prefixes = 0;

	if (k->stale) {
		errno = EAGAIN;
		return -1;
	}
	for (int s = first; s < first + n; s++)
		if (k->sets[s].overflow) {
			errno = EOVERFLOW;
			return -1;
		}
	kset_settle(k);
	lthash_zero(&acc);
	for (int s = first; s < first + n; s++) {
		lthash_add_state(&acc, &k->sets[s].acc);
		prefixes += k->sets[s].prefixes;
	}
	lthash_digest(&acc, out);
	if (count != NULL)
		*count = prefixes;
	return 0;
}

int
kset_digest(struct kset *k, uint8_t out[KSET_DIGEST_LEN], uint64_t *count)
{
	return digest_sets(k, 0, KSET_NSETS, out, count);
}

int
kset_digest_group(struct kset *k, enum kset_group g,
    uint8_t out[KSET_DIGEST_LEN], uint64_t *count)
{
	if (g != KSET_GROUP_LOCAL && g != KSET_GROUP_COALITION) {
		errno = EINVAL;
		return -1;
	}
	return digest_sets(k, (int)g * KSET_GROUP_SETS, KSET_GROUP_SETS, out,
	    count);
}

int
kset_digest_of(const struct a5_prefix *list, size_t n,
    uint8_t out[KSET_DIGEST_LEN])
{
	struct lthash acc;

	lthash_zero(&acc);
	for (size_t i = 0; i < n; i++)
		if (lthash_add(&acc, &list[i]) == -1)
			return -1;
	lthash_digest(&acc, out);
	return 0;
}

/* The address set and the prefix set of p's family in group g; false for
 * an unknown family or a length past it. */
static bool
group_sets(struct kset *k, int g, const struct a5_prefix *p,
    struct mset **hs, struct mset **ns)
{
	int base = g * KSET_GROUP_SETS;

	if (p->family == A5_AF_INET && p->len <= 32) {
		*hs = &k->sets[base + KSET_HOST4];
		*ns = &k->sets[base + KSET_NET4];
	} else if (p->family == A5_AF_INET6 && p->len <= 128) {
		*hs = &k->sets[base + KSET_HOST6];
		*ns = &k->sets[base + KSET_NET6];
	} else
		return false;
	return true;
}

/* The last address of p, as a key of klen bytes. */
static u128
prefix_last_key(const struct a5_prefix *p, size_t klen)
{
	u128 last = key_load(p->addr, klen);

	if (p->len < 8 * klen)
		last |= p->len == 0 ? key_max(klen) :
		    ((u128)1 << (8 * klen - p->len)) - 1;
	return last;
}

static int
group_contains(struct kset *k, int g, const struct a5_prefix *p)
{
	struct mset *h, *m;
	size_t klen, at;

	if (!group_sets(k, g, p, &h, &m))
		return 0;
	klen = m->klen;
	if (p->len == 8 * klen && hashtab_find(&h->ht, p->addr, &at))
		return 1;
	/* The closest element at or below p's first address decides, as in
	 * the kernel; a start covers up to the next element. */
	if (!nfind(m, p->addr, false, &at)) {
		if (at == 0)
			return 0;
		at--;
	}
	if (m->nv[at].end)
		return 0;
	if (at + 1 >= m->nn)
		return 1;
	return prefix_last_key(p, klen) < key_load(m->nv[at + 1].key, klen) ?
	    1 : 0;
}

int
kset_contains(struct kset *k, const struct a5_prefix *p)
{
	kset_settle(k);
	return group_contains(k, KSET_GROUP_LOCAL, p) ||
	    group_contains(k, KSET_GROUP_COALITION, p);
}

int
kset_expiry(struct kset *k, enum kset_group g, const struct a5_prefix *p,
    int64_t *ms_left)
{
	struct mset *h, *m;
	uint64_t exp;
	size_t klen, at;
	int64_t now;
	u128 last;

	if ((g != KSET_GROUP_LOCAL && g != KSET_GROUP_COALITION) ||
	    prefix_check(p) != NULL || !group_sets(k, (int)g, p, &h, &m)) {
		errno = EINVAL;
		return -1;
	}
	kset_settle(k);
	klen = m->klen;
	if (p->len == 8 * klen && hashtab_find(&h->ht, p->addr, &at)) {
		exp = hashtab_value(&h->ht, at);
		goto found;
	}
	/* An interval start at p's first address, closed right after p's
	 * last one (by its end marker or the next start), or open to the top
	 * when p reaches it. */
	if (!nfind(m, p->addr, false, &at))
		return 0;
	last = prefix_last_key(p, klen);
	if (at + 1 < m->nn) {
		if (last == key_max(klen) ||
		    key_load(m->nv[at + 1].key, klen) != last + 1)
			return 0;
	} else if (last != key_max(klen))
		return 0;
	exp = m->nv[at].expires;
found:
	now = now_ms();
	if (ms_left != NULL)
		*ms_left = exp == 0 ? -1 :
		    exp > (uint64_t)now ? (int64_t)(exp - (uint64_t)now) : 0;
	return 1;
}

/* Whether two mirrors of one set hold the same prefixes. */
static bool
mset_same(const struct mset *a, const struct mset *b)
{
	return a->prefixes == b->prefixes &&
	    memcmp(&a->acc, &b->acc, sizeof(a->acc)) == 0;
}

int
kset_verify(struct kset *k)
{
	int repaired = 0;

	if (kset_dispatch(k) == -1)
		return -1;
	for (int s = 0; s < KSET_NSETS; s++) {
		struct mset *m = &k->sets[s];
		bool small = (m->net ? m->nn : hashtab_len(&m->ht)) <= KSET_VERIFY_MAX;
		int bad = 0, tries = small ? KSET_VERIFY_TRIES : 1;

		/* A large set is read again only if its last read was never
		 * quiet: a dump of 1M elements costs tens of seconds. */
		if (m->overflow || (!small && !m->unsettled))
			continue;
		for (int t = 0; t < tries && bad < KSET_VERIFY_BAD; t++) {
			struct mset fresh;
			uint32_t g0, g1;
			bool quiet;

			if (set_read(k, (enum kset_set)s, &fresh, &g0, &quiet) == -1)
				return -1;
			if (q_getgen(k, &g1) == -1 || kset_dispatch(k) == -1) {
				mset_free(&fresh);
				return -1;
			}
			/* Compare only at one generation on both sides:
			 * otherwise a change in flight looks like drift. */
			if (g0 != g1 || k->gen != g1) {
				mset_free(&fresh);
				continue;
			}
			(void)mset_expire(&fresh, now_ms());
			kset_settle(k);
			if (mset_same(m, &fresh)) {
				if (quiet)
					m->unsettled = false;
				mset_free(&fresh);
				break;
			}
			/* A read that was not quiet may lack elements: it can
			 * only add to the mirror, never replace it. */
			if (!quiet) {
				mset_merge(k, m, &fresh);
				mset_free(&fresh);
				kset_settle(k);
				continue;
			}
			if (++bad < KSET_VERIFY_BAD && small) {
				mset_free(&fresh);
				continue;
			}
			mset_replace(k, (enum kset_set)s, &fresh, g1, true);
			k->stats.repairs++;
			repaired++;
		}
	}
	kset_settle(k);
	return repaired;
}

int
kset_feed(struct kset *k, const void *buf, size_t len)
{
	int rc = feed_buf(k, buf, len);

	kset_settle(k);
	return rc;
}

const struct kset_stats *
kset_get_stats(const struct kset *k)
{
	return &k->stats;
}
