/* kset.c - mirrors the ban sets of table inet article5 from nf_tables events, with
 * their digest: the interface (kset.h); the sets are in mset.c, the reading
 * of the kernel in kset_kernel.c. */
#include <sys/socket.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforcer/kset_impl.h"

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
	if ((k->fd = kset_events_open()) == -1) {
		snprintf(err, errlen, "kset: nf_tables event socket: %s",
		    strerror(errno));
		goto fail;
	}
	if ((k->qfd = nlmsg_socket(false, KSET_TIMEOUT_S, &k->qportid)) == -1 || kset_resync(k) == -1) {
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
		(void)kset_feed_buf(k, k->buf, (size_t)n);
	}
	/* Over a ceiling, try again now and then: the sets may have shrunk. */
	if (!k->stale && kset_overflowed(k) &&
	    kset_now_ms() - k->last_full_ms >= KSET_RETRY_MS)
		k->stale = true;
	if (k->stale) {
		k->stats.resyncs++;
		if (kset_resync(k) == -1)
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
	u128 last = kset_key_load(p->addr, klen);

	if (p->len < 8 * klen)
		last |= p->len == 0 ? kset_key_max(klen) :
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
	if (!mset_net_find(m, p->addr, false, &at)) {
		if (at == 0)
			return 0;
		at--;
	}
	if (m->nv[at].end)
		return 0;
	if (at + 1 >= m->nn)
		return 1;
	return prefix_last_key(p, klen) < kset_key_load(m->nv[at + 1].key, klen) ?
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
	if (!mset_net_find(m, p->addr, false, &at))
		return 0;
	last = prefix_last_key(p, klen);
	if (at + 1 < m->nn) {
		if (last == kset_key_max(klen) ||
		    kset_key_load(m->nv[at + 1].key, klen) != last + 1)
			return 0;
	} else if (last != kset_key_max(klen))
		return 0;
	exp = m->nv[at].expires;
found:
	now = kset_now_ms();
	if (ms_left != NULL)
		*ms_left = exp == 0 ? -1 :
		    exp > (uint64_t)now ? (int64_t)(exp - (uint64_t)now) : 0;
	return 1;
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

			if (kset_set_read(k, (enum kset_set)s, &fresh, &g0, &quiet) == -1)
				return -1;
			if (kset_getgen(k, &g1) == -1 || kset_dispatch(k) == -1) {
				mset_free(&fresh);
				return -1;
			}
			/* Compare only at one generation on both sides:
			 * otherwise a change in flight looks like drift. */
			if (g0 != g1 || k->gen != g1) {
				mset_free(&fresh);
				continue;
			}
			(void)mset_expire(&fresh, kset_now_ms());
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
	int rc = kset_feed_buf(k, buf, len);

	kset_settle(k);
	return rc;
}

const struct kset_stats *
kset_get_stats(const struct kset *k)
{
	return &k->stats;
}
