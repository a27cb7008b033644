/* mset.c - one mirrored set of the kernel mirror: its elements, the LtHash of its
 * prefixes and its expiry queue (kset_impl.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enforcer/kset_impl.h"

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

u128
kset_key_load(const uint8_t *key, size_t klen)
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

u128
kset_key_max(size_t klen)
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

int64_t
kset_now_ms(void)
{
	struct timespec ts;

	/* Kernel timeouts run on jiffies, which stop in suspend, like
	 * CLOCK_MONOTONIC (CLOCK_BOOTTIME would run ahead of them). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
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

void
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

void
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

bool
mset_net_find(const struct mset *m, const uint8_t *key, bool end, size_t *at)
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
	u128 lo = kset_key_load(e->key, m->klen), last;
	uint64_t n;

	if (e->open)
		last = kset_key_max(m->klen);
	else {
		u128 next = kset_key_load(e->next, m->klen);
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

void
mset_net_recount(struct mset *m, size_t i)
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

		if (mset_net_find(m, m->dirty[d], false, &i) && m->nv[i].dirty)
			mset_net_recount(m, i);
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

	if (mset_net_find(m, x->key, x->end, &i)) {
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

int
mset_host_insert(struct kset *k, struct mset *m, const struct elem *x)
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

int
mset_add(struct kset *k, struct mset *m, const struct elem *x)
{
	return m->net ? ninsert(k, m, x) : mset_host_insert(k, m, x);
}

void
mset_del(struct mset *m, const struct elem *x)
{
	size_t at;

	if (m->net) {
		if (mset_net_find(m, x->key, x->end, &at))
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
uint64_t
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
			if (!mset_net_find(m, key, false, &at) || m->nv[at].expires != exp)
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

void
kset_settle(struct kset *k)
{
	int64_t now = kset_now_ms();

	for (int s = 0; s < KSET_NSETS; s++) {
		struct mset *m = &k->sets[s];

		k->stats.expired += mset_expire(m, now);
		if (m->net)
			nflush(m);
		heap_compact(k, m);
		k->stats.prefixes[s] = m->prefixes;
	}
}

static int
nsort_cmp(const void *a, const void *b, void *arg)
{
	const struct nelem *x = a, *y = b;

	return ncmp(x->key, x->end, y->key, y->end, *(const size_t *)arg);
}

/* Sorts a prefix set read from dumps and drops the copies. */
void
mset_net_sort(struct mset *m)
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
uint64_t
mset_first_expiry(struct mset *m, int64_t since)
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

/* Adds to m the elements of fresh (a read that was not quiet) that m
 * lacks: what a dump returns was there, and later events and timeouts
 * still apply to it. Elements m has are left as they are. */
void
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
			(void)mset_host_insert(k, m, &x);
		}
		return;
	}
	for (size_t i = 0; i < fresh->nn; i++) {
		const struct nelem *e = &fresh->nv[i];

		if (mset_net_find(m, e->key, e->end, &at))
			continue;
		memset(&x, 0, sizeof(x));
		memcpy(x.key, e->key, 16);
		x.end = e->end;
		x.expires = e->expires;
		(void)ninsert(k, m, &x);
	}
	nflush(m);
}

/* Whether two mirrors of one set hold the same prefixes. */
bool
mset_same(const struct mset *a, const struct mset *b)
{
	return a->prefixes == b->prefixes &&
	    memcmp(&a->acc, &b->acc, sizeof(a->acc)) == 0;
}
