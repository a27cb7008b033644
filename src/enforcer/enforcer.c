/* enforcer.c - applies validated ban records to table inet article5: address
 * sets through nfnetlink batches, prefix sets and the table through libnftables. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/prefixlist.h"
#include "enforcer/enforcer_impl.h"
#include "enforcer/nfquery.h"
#include "enforcer/nlmsg.h"

/* The record crosses a process boundary one day: its layout stays fixed
 * (group took a byte of what was padding). */
_Static_assert(sizeof(struct enf_record) == 28 &&
    offsetof(struct enf_record, group) == 1 &&
    offsetof(struct enf_record, ttl_ms) == 2 &&
    offsetof(struct enf_record, ttl) == 4 &&
    offsetof(struct enf_record, prefix) == 8, "enf_record layout");

/* The kernel's names of the eight sets, in enum enf_set order. */
const char *const enf_set_names[SET_COUNT] = {
	ENF_SET4, ENF_SET6, ENF_NET4, ENF_NET6,
	ENF_CSET4, ENF_CSET6, ENF_CNET4, ENF_CNET6
};

/* A source in any of the eight sets is dropped. */
#define RULES(chain)							\
    "add rule inet " ENF_TABLE " " chain " ip saddr @" ENF_SET4 " counter drop\n" \
    "add rule inet " ENF_TABLE " " chain " ip saddr @" ENF_NET4 " counter drop\n" \
    "add rule inet " ENF_TABLE " " chain " ip6 saddr @" ENF_SET6 " counter drop\n" \
    "add rule inet " ENF_TABLE " " chain " ip6 saddr @" ENF_NET6 " counter drop\n" \
    "add rule inet " ENF_TABLE " " chain " ip saddr @" ENF_CSET4 " counter drop\n" \
    "add rule inet " ENF_TABLE " " chain " ip saddr @" ENF_CNET4 " counter drop\n" \
    "add rule inet " ENF_TABLE " " chain " ip6 saddr @" ENF_CSET6 " counter drop\n" \
    "add rule inet " ENF_TABLE " " chain " ip6 saddr @" ENF_CNET6 " counter drop\n"

/* Priority filter - 10: after conntrack and NAT prerouting, before the usual
 * filter-priority tables (distribution firewalls, docker), so a banned source
 * is dropped before anything else spends work on it. A drop in any base chain
 * is final, so the order only saves work; no accept elsewhere can undo it.
 * Rules live in chains we own and are rewritten on every open, so they exist
 * exactly once; elements are never touched by open. `add set` leaves an
 * existing set alone, so a table made before the coalition sets existed
 * gets them here. */
static const char setup_cmds[] =
    "add table inet " ENF_TABLE " { comment \"managed by article5; rules are rewritten at start\"; }\n"
    "add set inet " ENF_TABLE " " ENF_SET4 " { type ipv4_addr; flags timeout; }\n"
    "add set inet " ENF_TABLE " " ENF_SET6 " { type ipv6_addr; flags timeout; }\n"
    "add set inet " ENF_TABLE " " ENF_NET4 " { type ipv4_addr; flags interval, timeout; }\n"
    "add set inet " ENF_TABLE " " ENF_NET6 " { type ipv6_addr; flags interval, timeout; }\n"
    "add set inet " ENF_TABLE " " ENF_CSET4 " { type ipv4_addr; flags timeout; }\n"
    "add set inet " ENF_TABLE " " ENF_CSET6 " { type ipv6_addr; flags timeout; }\n"
    "add set inet " ENF_TABLE " " ENF_CNET4 " { type ipv4_addr; flags interval, timeout; }\n"
    "add set inet " ENF_TABLE " " ENF_CNET6 " { type ipv6_addr; flags interval, timeout; }\n"
    "add chain inet " ENF_TABLE " input { type filter hook input priority filter - 10; policy accept; }\n"
    "add chain inet " ENF_TABLE " forward { type filter hook forward priority filter - 10; policy accept; }\n"
    "flush chain inet " ENF_TABLE " input\n"
    "flush chain inet " ENF_TABLE " forward\n"
    RULES("input")
    RULES("forward");

/* ------------------------------------------------------------ records */

/* Family, length and host bits: the same checks whatever the operation.
 * Every byte past the prefix must be zero, including bytes 4..15 of an IPv4
 * address. */
static const char *
prefix_problem(const struct a5_prefix *p)
{
	/* A /0 would drop everything: never a valid ban, whatever asks. */
	if (p->len == 0 && (p->family == A5_AF_INET || p->family == A5_AF_INET6))
		return "prefix length out of range";
	return prefix_check(p);
}

/* Sets every bit after the prefix: the last address p covers. */
static void
prefix_last(const struct a5_prefix *p, uint8_t out[16])
{
	memcpy(out, p->addr, 16);
	for (unsigned bit = p->len; bit < prefix_maxlen(p); bit++)
		out[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

/* Big-endian increment; true on wrap-around. */
static bool
addr_inc(uint8_t *a, size_t klen)
{
	for (size_t i = klen; i-- > 0;)
		if (++a[i] != 0)
			return false;
	return true;
}

static void
describe(const struct enf_record *r, char *buf, size_t n)
{
	char p[A5_PREFIX_STRLEN], t[32];

	const char *g = r->group == ENF_GROUP_COALITION ? " (coalition)" : "";

	prefix_format(&r->prefix, p, sizeof(p));
	if (r->op != ENF_ADD)
		snprintf(buf, n, "unban %s%s", p, g);
	else if (r->ttl == 0)
		snprintf(buf, n, "ban %s permanently%s", p, g);
	else {
		enf_format_timeout(r->ttl, r->ttl_ms, t, sizeof(t));
		snprintf(buf, n, "ban %s for %s%s", p, t, g);
	}
}

/* ------------------------------------------------------------ read-back */

/* 1 if one element of group g's prefix set holds all of p. Elements are
 * disjoint intervals, so p is inside one exactly when its first and last
 * addresses fall in intervals with the same start. */
static int
net_covers(struct enforcer *e, int g, const struct a5_prefix *p)
{
	enum enf_set s = (enum enf_set)(g * SET_GROUP +
	    (p->family == A5_AF_INET ? SET_NET4 : SET_NET6));
	size_t klen = keylen(p);
	uint8_t last[16], s1[16], s2[16];
	int rc;

	rc = nfq_get(e->nfq, ENF_TABLE, enf_set_names[s], p->addr, klen, s1);
	if (rc <= 0 || is_host(p))
		return rc;
	prefix_last(p, last);
	rc = nfq_get(e->nfq, ENF_TABLE, enf_set_names[s], last, klen, s2);
	if (rc <= 0)
		return rc;
	return memcmp(s1, s2, klen) == 0;
}

/* 1 if p itself is an element of group g (not merely covered by a wider
 * one). For a prefix: the interval holding its first address starts there,
 * holds its last address, and does not go on past it. */
static int
is_element(struct enforcer *e, int g, const struct a5_prefix *p)
{
	size_t klen = keylen(p);
	uint8_t s1[16], s2[16], s3[16], last[16];
	enum enf_set s = set_of(g, p);
	int rc;

	rc = nfq_get(e->nfq, ENF_TABLE, enf_set_names[s], p->addr, klen, s1);
	if (rc <= 0 || is_host(p))
		return rc;
	if (memcmp(s1, p->addr, klen) != 0)
		return 0;
	prefix_last(p, last);
	if ((rc = nfq_get(e->nfq, ENF_TABLE, enf_set_names[s], last, klen, s2)) <= 0)
		return rc;
	if (memcmp(s1, s2, klen) != 0)
		return 0;
	if (addr_inc(last, klen))
		return 1;
	if ((rc = nfq_get(e->nfq, ENF_TABLE, enf_set_names[s], last, klen, s3)) < 0)
		return -1;
	return rc == 0 || memcmp(s3, s1, klen) != 0;
}

/* ------------------------------------------------------------ widening */

struct dumped {
	uint8_t key[16];
	bool end;
};

struct dumplist {
	struct dumped *v;
	size_t n, cap;
};

static int
collect(const uint8_t *key, size_t klen, bool end, void *arg)
{
	struct dumplist *l = arg;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct dumped *nv = reallocarray(l->v, ncap, sizeof(*nv));
		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	memset(l->v[l->n].key, 0, sizeof(l->v[l->n].key));
	memcpy(l->v[l->n].key, key, klen);
	l->v[l->n].end = end;
	l->n++;
	return 0;
}

/* Ascending keys; at equal keys the end marker of the interval below comes
 * before the start of the next one. */
static int
dumped_cmp(const void *a, const void *b)
{
	const struct dumped *x = a, *y = b;
	int c = memcmp(x->key, y->key, sizeof(x->key));

	if (c != 0)
		return c;
	return (int)y->end - (int)x->end;
}

/* The prefix spanning [start, end) (end exclusive; !has_end: to the top of
 * the address space), or false if the interval is not one aligned prefix. */
static bool
interval_prefix(uint8_t family, const uint8_t *start, const uint8_t *end,
    bool has_end, struct a5_prefix *out)
{
	size_t klen = family == A5_AF_INET ? 4 : 16;
	struct a5_prefix p;

	memset(&p, 0, sizeof(p));
	p.family = family;
	memcpy(p.addr, start, klen);
	for (unsigned len = 1; len <= prefix_maxlen(&p); len++) {
		struct a5_prefix t = p;
		uint8_t last[16];

		prefix_truncate(&t, len);
		if (memcmp(t.addr, p.addr, 16) != 0)
			continue;	/* start not aligned at this length */
		prefix_last(&t, last);
		bool wrap = addr_inc(last, klen);
		if (has_end ? (!wrap && memcmp(last, end, klen) == 0) : wrap) {
			*out = t;
			return true;
		}
	}
	return false;
}

/* Adds prefix r over the narrower prefixes already inside it: reads the
 * (small) prefix set, then deletes those and adds r in one transaction, so
 * an escalation from /24 to /16 is never refused and never leaves a gap.
 * 0, or -1 with why filled. */
static int
widen(struct enforcer *e, const struct enf_record *r, char *why, size_t whylen)
{
	enum enf_set s = rec_set(r);
	size_t klen = keylen(&r->prefix), ninner = 0;
	struct dumplist l = { NULL, 0, 0 };
	int rc = -1, tries = 0;

	do {
		l.n = 0;
		rc = nfq_dump(e->nfq, ENF_TABLE, enf_set_names[s], klen,
		    ENF_NET_DUMP_MAX, collect, &l);
	} while (rc == -1 && errno == EAGAIN && ++tries < 3);
	if (rc == -1) {
		snprintf(why, whylen, "reading set %s: %s", enf_set_names[s],
		    strerror(errno));
		goto done;
	}
	rc = -1;
	qsort(l.v, l.n, sizeof(*l.v), dumped_cmp);
	enf_cmd_reset(&e->cmd);
	for (size_t i = 0; i < l.n; i++) {
		struct a5_prefix q;
		size_t j = i + 1;

		if (l.v[i].end)
			continue;
		while (j < l.n && !l.v[j].end)
			j++;
		if (!interval_prefix(r->prefix.family, l.v[i].key,
		    j < l.n ? l.v[j].key : NULL, j < l.n, &q) ||
		    !prefix_contains(&r->prefix, &q) ||
		    prefix_equal(&r->prefix, &q))
			continue;
		if (ninner % ENF_CHUNK == 0) {
			if (ninner > 0)
				enf_cmd_close(&e->cmd);
			enf_cmd_open(&e->cmd, "delete", s);
		}
		enf_cmd_elem(&e->cmd, &q, 0, 0, ninner % ENF_CHUNK == 0);
		ninner++;
	}
	if (ninner == 0) {
		snprintf(why, whylen, "overlaps an element that is not a "
		    "narrower prefix");
		goto done;
	}
	enf_cmd_close(&e->cmd);
	enf_cmd_open(&e->cmd, "add", s);
	enf_cmd_elem(&e->cmd, &r->prefix, r->ttl, r->ttl_ms, true);
	enf_cmd_close(&e->cmd);
	e->stats.commits++;
	if (enf_nft_run(e, e->cmd.b, why, whylen) == 0) {
		char p[A5_PREFIX_STRLEN];
		prefix_format(&r->prefix, p, sizeof(p));
		log_info("enforcer: %s replaces %zu narrower prefix%s", p,
		    ninner, ninner == 1 ? "" : "es");
		rc = 0;
	}
done:
	free(l.v);
	return rc;
}

/* ------------------------------------------------------------ commit */

/* One record the kernel refused on its own. Judges by the goal rather than
 * by nft's error text: an add whose prefix is already banned (by itself or
 * a wider prefix) and a delete whose element is gone have both reached it.
 * Both are judged in the record's own group: a local ban does not make a
 * coalition ban applied, since each group has its own digest. Returns 1 if
 * the record failed. */
static unsigned
settle_one(struct enforcer *e, const struct enf_record *r, const char *why0)
{
	char desc[128], why[ENF_WHY_MAX];
	int rc;

	snprintf(why, sizeof(why), "%s", why0);
	describe(r, desc, sizeof(desc));
	if (r->op == ENF_ADD) {
		rc = enf_contains_group(e, r->group, &r->prefix);
		if (rc == 1) {
			log_debug("enforcer: %s: already covered", desc);
			e->stats.applied++;
			return 0;
		}
		if (rc == 0 && !is_host(&r->prefix) &&
		    widen(e, r, why, sizeof(why)) == 0) {
			e->stats.applied++;
			return 0;
		}
	} else {
		rc = is_element(e, r->group, &r->prefix);
		if (rc == 0) {
			log_debug("enforcer: %s: not in the set", desc);
			e->stats.applied++;
			return 0;
		}
	}
	log_warnx("enforcer: %s refused by nftables: %s", desc, why);
	e->stats.failed++;
	if (++e->commit_failed >= ENF_GIVEUP &&
	    e->stats.applied == e->commit_applied0) {
		log_warnx("enforcer: %u records refused and none applied; "
		    "failing the rest of this commit", e->commit_failed);
		e->giveup = true;
	}
	return 1;
}

/* `nft flush ruleset` (a firewall service reloading, an admin) removes our
 * table along with everything else, and every later commit would fail record
 * by record. If a set is gone, the table is set up again (its old elements
 * are lost with it) so the caller can retry once. 1 if recreated. */
static int
repair_if_gone(struct enforcer *e)
{
	char why[ENF_WHY_MAX];
	int rc = 1;

	if (e->destroyed)
		return 0;
	for (int s = 0; s < SET_COUNT && rc == 1; s++)
		rc = nfq_set_exists(e->nfq, ENF_TABLE, enf_set_names[s]);
	if (rc != 0)
		return 0;
	log_warnx("enforcer: table inet %s or one of its sets is gone "
	    "(nft flush ruleset?); recreating it", ENF_TABLE);
	e->stats.commits++;
	if (enf_nft_run(e, setup_cmds, why, sizeof(why)) != 0) {
		log_warnx("enforcer: recreating table inet %s: %s", ENF_TABLE, why);
		return 0;
	}
	return 1;
}

/* queue[lo, hi) as one transaction: a netlink batch for addresses, nft
 * commands for prefixes (enf_commit never mixes them in one range). */
static int
run_range(struct enforcer *e, size_t lo, size_t hi, char *why, size_t whylen)
{
	e->stats.commits++;
	if (is_host(&e->queue[lo].prefix))
		return enf_nl_send(e, enf_batch_nl(e, lo, hi), why, whylen);
	enf_batch_nft(e, lo, hi);
	return enf_nft_run(e, e->cmd.b, why, whylen);
}

/* Moves the address records to the front of the queue, keeping the order
 * within each part; returns their number. Records of the two parts never
 * share a set (enf_record's prefix decides the set), so applying one part
 * before the other changes nothing a set ends up holding. */
static size_t
partition_hosts(struct enforcer *e)
{
	size_t n = e->nqueue, nhost = 0, nnet = 0;

	for (size_t i = 0; i < n; i++)
		nhost += is_host(&e->queue[i].prefix);
	if (nhost == n || nhost == 0)
		return nhost;
	for (size_t i = 0, h = 0; i < n; i++) {
		if (is_host(&e->queue[i].prefix))
			e->scratch[h++] = e->queue[i];
		else
			e->scratch[nhost + nnet++] = e->queue[i];
	}
	memcpy(e->queue, e->scratch, n * sizeof(*e->queue));
	return nhost;
}

/* Applies queue[lo, hi) as one transaction; if nftables refuses it, splits
 * it in halves until the refused records stand alone. One bad record among
 * n costs about 2 log2(n) extra transactions instead of n, and everything
 * else is still applied in order. Returns the number of failed records. */
static unsigned
apply_range(struct enforcer *e, size_t lo, size_t hi, int depth)
{
	char why[ENF_WHY_MAX];

	if (lo == hi)
		return 0;
	if (e->giveup) {
		e->stats.failed += hi - lo;
		return (unsigned)(hi - lo);
	}
	if (run_range(e, lo, hi, why, sizeof(why)) == 0) {
		e->stats.applied += hi - lo;
		return 0;
	}
	if (depth == 0 && repair_if_gone(e) &&
	    run_range(e, lo, hi, why, sizeof(why)) == 0) {
		e->stats.applied += hi - lo;
		return 0;
	}
	if (hi - lo == 1)
		return settle_one(e, &e->queue[lo], why);
	if (depth == 0)
		log_warnx("enforcer: transaction of %zu records refused (%s); "
		    "isolating the bad ones", hi - lo, why);
	size_t mid = lo + (hi - lo) / 2;
	return apply_range(e, lo, mid, depth + 1) +
	    apply_range(e, mid, hi, depth + 1);
}

int
enf_commit(struct enforcer *e)
{
	unsigned n = e->nqueue, failed;

	if (n == 0)
		return 0;
	if (e->observe) {
		char desc[128];
		for (unsigned i = 0; i < n; i++) {
			describe(&e->queue[i], desc, sizeof(desc));
			log_info("enforcer: observe: would %s", desc);
		}
		e->stats.commits++;
		e->stats.applied += n;
		e->nqueue = 0;
		e->drop_logged = false;
		return 0;
	}
	e->giveup = false;
	e->commit_failed = 0;
	e->commit_applied0 = e->stats.applied;
	/* Addresses, then prefixes: one transaction each. */
	size_t nhost = partition_hosts(e);
	failed = apply_range(e, 0, nhost, 0) + apply_range(e, nhost, n, 0);
	e->nqueue = 0;
	e->drop_logged = false;
	return (int)failed;
}

int
enf_queue(struct enforcer *e, const struct enf_record *r)
{
	char p[A5_PREFIX_STRLEN];
	struct enf_record rec;
	const char *bad = NULL;

	rec = *r;
	if (r->op != ENF_ADD && r->op != ENF_DELETE)
		bad = "unknown operation";
	else if (r->group != ENF_GROUP_LOCAL && r->group != ENF_GROUP_COALITION)
		bad = "unknown group";
	else
		bad = prefix_problem(&r->prefix);
	if (bad != NULL) {
		/* Not formatted: a malformed prefix is not trusted even for text. */
		log_warnx("enforcer: refusing record (op %u, group %u, family %u, "
		    "len %u): %s", (unsigned)r->op, (unsigned)r->group,
		    (unsigned)r->prefix.family, (unsigned)r->prefix.len, bad);
		e->stats.refused++;
		return -1;
	}
	/* The prefix is only formatted for a log line: a flood queues tens
	 * of thousands of records per second. */
	/* Unbans are always allowed: lifting a ban on an address that was
	 * allowlisted after it got banned is exactly what should happen. */
	if (r->op == ENF_ADD && e->allow != NULL &&
	    prefixlist_overlaps(e->allow, &r->prefix)) {
		prefix_format(&r->prefix, p, sizeof(p));
		log_warnx("enforcer: refusing ban of %s: overlaps the allowlist", p);
		e->stats.refused++;
		return -1;
	}
	if (rec.ttl_ms > 999)
		rec.ttl_ms = 999;
	if (r->op == ENF_ADD && e->ttl_max != 0 &&
	    ((rec.ttl == 0 && rec.ttl_ms == 0) || rec.ttl >= e->ttl_max)) {
		rec.ttl = e->ttl_max;
		rec.ttl_ms = 0;
	}
	if (r->op == ENF_DELETE)
		rec.ttl = rec.ttl_ms = 0;
	if (e->nqueue >= ENF_QUEUE_MAX) {
		if (!e->drop_logged) {
			prefix_format(&r->prefix, p, sizeof(p));
			log_warnx("enforcer: queue full (%d records), dropping "
			    "%s and further records until the next commit",
			    ENF_QUEUE_MAX, p);
		}
		e->drop_logged = true;
		e->stats.dropped++;
		return -1;
	}
	e->queue[e->nqueue++] = rec;
	return 0;
}

unsigned
enf_pending(const struct enforcer *e)
{
	return e->nqueue;
}

/* ------------------------------------------------------------ lifecycle */

struct enforcer *
enf_open(bool observe, const struct prefixlist *allow, uint32_t ttl_max,
    char *err, size_t errlen)
{
	struct enforcer *e;
	char why[ENF_WHY_MAX];

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->allow = calloc(1, sizeof(*e->allow))) == NULL ||
	    (e->queue = calloc(ENF_QUEUE_MAX, sizeof(*e->queue))) == NULL ||
	    (e->scratch = calloc(ENF_QUEUE_MAX, sizeof(*e->scratch))) == NULL) {
		snprintf(err, errlen, "enforcer: %s", strerror(errno));
		goto fail;
	}
	e->nlfd = -1;
	e->observe = observe;
	e->ttl_max = ttl_max;
	if (allow != NULL)
		*e->allow = *allow;
	else
		prefixlist_init(e->allow);
	if (observe) {
		log_info("enforcer: observe mode: decisions are logged, "
		    "nftables is not touched");
		return e;
	}
	if ((e->nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		snprintf(err, errlen, "enforcer: nft_ctx_new failed");
		goto fail;
	}
	if (nft_ctx_buffer_output(e->nft) != 0 ||
	    nft_ctx_buffer_error(e->nft) != 0) {
		snprintf(err, errlen, "enforcer: cannot buffer nft output");
		goto fail;
	}
	if (enf_nft_run(e, setup_cmds, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "enforcer: setting up table inet %s: %s "
		    "(if the sets exist with another layout, delete the table: "
		    "nft delete table inet %s)", ENF_TABLE, why, ENF_TABLE);
		goto fail;
	}
	if ((e->nfq = nfq_open(err, errlen)) == NULL || enf_nl_open(e, err, errlen) != 0)
		goto fail;
	return e;
fail:
	enf_close(e);
	return NULL;
}

int
enf_flush(struct enforcer *e)
{
	static const char cmds[] =
	    "flush set inet " ENF_TABLE " " ENF_SET4 "\n"
	    "flush set inet " ENF_TABLE " " ENF_SET6 "\n"
	    "flush set inet " ENF_TABLE " " ENF_NET4 "\n"
	    "flush set inet " ENF_TABLE " " ENF_NET6 "\n"
	    "flush set inet " ENF_TABLE " " ENF_CSET4 "\n"
	    "flush set inet " ENF_TABLE " " ENF_CSET6 "\n"
	    "flush set inet " ENF_TABLE " " ENF_CNET4 "\n"
	    "flush set inet " ENF_TABLE " " ENF_CNET6 "\n";
	char why[ENF_WHY_MAX];

	if (e->observe) {
		log_info("enforcer: observe: would flush every ban");
		return 0;
	}
	e->stats.commits++;
	if (enf_nft_run(e, cmds, why, sizeof(why)) == 0)
		return 0;
	/* One set gone (a hand `delete set`, `nft flush ruleset`) fails the
	 * whole transaction, and would fail every flush after it. A missing
	 * set holds no ban, so the goal is reached by setting the table up
	 * again (which also restores the drop rules a `delete set` needed
	 * removed) and flushing once more. Not after enf_destroy_table. */
	if (repair_if_gone(e)) {
		e->stats.commits++;
		if (enf_nft_run(e, cmds, why, sizeof(why)) == 0)
			return 0;
	}
	log_warnx("enforcer: flushing the sets of table inet %s: %s",
	    ENF_TABLE, why);
	return -1;
}

int
enf_contains_group(struct enforcer *e, int group, const struct a5_prefix *p)
{
	const char *bad = prefix_problem(p);
	char a[A5_PREFIX_STRLEN];
	int rc;

	if (group != ENF_GROUP_LOCAL && group != ENF_GROUP_COALITION)
		bad = "unknown group";
	if (bad != NULL) {
		log_warnx("enforcer: contains: %s", bad);
		return -1;
	}
	if (e->observe)
		return 0;
	if (is_host(p)) {
		rc = nfq_get(e->nfq, ENF_TABLE, enf_set_names[set_of(group, p)],
		    p->addr, keylen(p), (uint8_t[16]){ 0 });
		if (rc != 0)
			goto out;
	}
	rc = net_covers(e, group, p);
out:
	if (rc == -1) {
		int saved = errno;
		prefix_format(p, a, sizeof(a));
		errno = saved;
		log_warn("enforcer: reading back %s", a);
	}
	return rc;
}

int
enf_contains(struct enforcer *e, const struct a5_prefix *p)
{
	int rc = enf_contains_group(e, ENF_GROUP_LOCAL, p);

	if (rc != 0)
		return rc;
	return enf_contains_group(e, ENF_GROUP_COALITION, p);
}

int
enf_destroy_table(struct enforcer *e)
{
	/* The add makes the delete succeed when the table is already gone. */
	static const char cmds[] =
	    "add table inet " ENF_TABLE "\n"
	    "delete table inet " ENF_TABLE "\n";
	char why[ENF_WHY_MAX];

	if (e->observe) {
		log_info("enforcer: observe: would delete table inet %s", ENF_TABLE);
		return 0;
	}
	e->stats.commits++;
	if (enf_nft_run(e, cmds, why, sizeof(why)) != 0) {
		log_warnx("enforcer: deleting table inet %s: %s", ENF_TABLE, why);
		return -1;
	}
	e->destroyed = true;
	return 0;
}

const struct enf_stats *
enf_get_stats(const struct enforcer *e)
{
	return &e->stats;
}

void
enf_close(struct enforcer *e)
{
	if (e == NULL)
		return;
	if (e->nft != NULL)
		nft_ctx_free(e->nft);
	nfq_close(e->nfq);
	if (e->nlfd >= 0)
		close(e->nlfd);
	nlmsg_buf_free(&e->nl);
	free(e->nlrx);
	free(e->cmd.b);
	free(e->queue);
	free(e->scratch);
	free(e->allow);
	free(e);
}
