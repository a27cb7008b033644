/* kset_kernel.c - what nf_tables tells the kernel mirror: element events, and
 * the dumps that read a set again (kset_impl.h). */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforcer/kset_impl.h"

static const char *const set_names[KSET_NSETS] = {
	ENF_SET4, ENF_SET6, ENF_NET4, ENF_NET6,
	ENF_CSET4, ENF_CSET6, ENF_CNET4, ENF_CNET6
};

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
	int64_t now = kset_now_ms();

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
	(void)mset_add(k, m, x);	/* a ceiling is counted, not an error */
	k->stats.events++;
	return 0;
}

static int
ev_del(struct kset *k, struct mset *m, const struct elem *x, void *arg)
{
	(void)arg;
	mset_del(m, x);
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
int
kset_feed_buf(struct kset *k, const uint8_t *buf, size_t len)
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
int
kset_events_open(void)
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
		(void)mset_host_insert(k, m, x);	/* a ceiling is counted, not an error */
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

int
kset_getgen(struct kset *k, uint32_t *gen)
{
	if (q_send(k, -1) == -1 || q_recv(k, NULL, gen) == -1) {
		int saved = errno;
		q_reset(k);
		errno = saved;
		return -1;
	}
	return 0;
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
int
kset_set_read(struct kset *k, enum kset_set s, struct mset *fresh, uint32_t *gen,
    bool *quiet)
{
	int tries = KSET_DUMP_TRIES;

	*quiet = false;
	if (mset_init(k, fresh, s) == -1)
		return -1;
	for (int t = 0; t < tries; t++) {
		int64_t t0 = kset_now_ms();
		uint32_t g0, g1;

		if (kset_getgen(k, &g0) == -1)
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
			mset_net_sort(fresh);
		if (kset_getgen(k, &g1) == -1)
			goto fail;
		/* Elements that expired well before this dump were collected
		 * before it too: they could not disturb it. */
		uint64_t first = mset_first_expiry(fresh, t0 - KSET_GC_SLACK_MS);
		if (g0 == g1 && (first == 0 ||
		    first > (uint64_t)kset_now_ms() + KSET_GC_SLACK_MS)) {
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
			mset_net_recount(fresh, i);
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

void
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


/* Reads the eight sets again. Events queued before are dropped first (the
 * dumps hold their effect); those after the first generation read are
 * applied on top (applying an event twice changes nothing). */
int
kset_resync(struct kset *k)
{
	for (int i = 0; i < KSET_DRAIN_MAX; i++)
		if (recv(k->fd, k->buf, sizeof(k->buf), MSG_DONTWAIT) == -1 &&
		    errno != ENOBUFS && errno != EINTR)
			break;
	for (int s = 0; s < KSET_NSETS; s++) {
		struct mset fresh;
		uint32_t gen;
		bool quiet;

		if (kset_set_read(k, (enum kset_set)s, &fresh, &gen, &quiet) == -1)
			return -1;
		mset_replace(k, (enum kset_set)s, &fresh, gen, quiet);
		k->gen = k->stats.genid = gen;
	}
	k->stale = false;
	k->last_full_ms = kset_now_ms();
	return 0;
}
