/* accept.c - decides, report by report, whether a member's report is enforced here. */
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "coalition/accept.h"
#include "coalition/audit.h"
#include "common/heap.h"
#include "common/lru.h"
#include "common/util.h"

#define CHAIN_RING 1024		/* (seq, hash) pairs remembered per member */
#define QUORUM_PREFIXES 65536	/* prefixes with votes pending; LRU beyond */
#define HOLDS_MAX 1024		/* local unban holds; operator actions, so few */

/* Ranges no coalition report may ban unless the charter says allow_special:
 * this network, private, shared, loopback, link-local, IETF, multicast,
 * reserved (IANA special-purpose registries). Documentation (TEST-NET-1/2/3,
 * 2001:db8::/32) and benchmarking (198.18.0.0/15) ranges are deliberately
 * NOT here: tests and demos use them as attackers, and no real host lives
 * there that a ban could hurt. */
static const char *const special_ranges[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "fc00::/7",
	"fe80::/10", "fec0::/10", "ff00::/8",
	/* Translation and tunnels: a ban there hits every host behind the
	 * relay or the gateway (NAT64 well-known prefix, 6to4 and its IPv4
	 * relay anycast, Teredo). Then the anycast and protocol ranges of the
	 * registries: AS112, AMT, ORCHIDv2, segment routing SIDs. */
	"64:ff9b::/96", "2002::/16", "192.88.99.0/24", "2001::/32",
	"192.31.196.0/24", "192.52.193.0/24", "192.175.48.0/24", "2001:3::/32",
	"2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2620:4f:8000::/48", "5f00::/16",
};

static const char *const reason_names[ACC_NREASONS] = {
	[ACC_OK] = "ok",
	[ACC_UNKNOWN_KEY] = "unknown-key",
	[ACC_REVOKED] = "revoked",
	[ACC_QUARANTINED] = "quarantined",
	[ACC_BAD_SIGNATURE] = "bad-signature",
	[ACC_MALFORMED] = "malformed",
	[ACC_WRONG_COALITION] = "wrong-coalition",
	[ACC_REPLAY] = "replay",
	[ACC_FORK] = "fork",
	[ACC_CHAIN_GAP] = "chain-gap",
	[ACC_ALLOWLIST] = "allowlist",
	[ACC_MEMBER_PREFIX] = "member-prefix",
	[ACC_SPECIAL_RANGE] = "special-range",
	[ACC_TOO_WIDE] = "too-wide",
	[ACC_RATE] = "rate",
	[ACC_LOCAL_UNBAN] = "local-unban",
	[ACC_OBSERVER_ALONE] = "observer-alone",
	[ACC_QUORUM_PENDING] = "quorum-pending",
	[ACC_EXPIRED] = "expired",
	[ACC_FUTURE] = "future",
	[ACC_NOT_ORIGIN] = "not-origin",
	[ACC_REVOKE_UNKNOWN] = "revoke-unknown",
	[ACC_BUDGET_BANS] = "budget-bans",
	[ACC_BUDGET_ADDRESSES] = "budget-addresses",
	[ACC_THROTTLED] = "throttled",
	[ACC_WIDE_PENDING] = "wide-pending",
	[ACC_LOCAL_FLOOR] = "local-floor",
	[ACC_MSGID] = "msgid",
};

struct ring_entry {
	uint64_t seq;			/* 0: empty */
	bool missing;			/* skipped by a gap, not received (yet) */
	uint8_t hash[WIRE_HASH_BYTES];
};

struct member_state {
	uint8_t last_hash[WIRE_HASH_BYTES];	/* head; its seq is stats.last_seq */
	/* Token bucket in 1/60 of a report: a report costs 60, each second
	 * adds rate_per_minute, the bucket holds one minute's worth. */
	uint64_t tokens;
	int64_t refilled;
	struct accept_member_stats stats;
	struct ring_entry ring[CHAIN_RING];
	unsigned nmissing;		/* ring entries marked missing */
	int64_t gap_since;		/* when accept_chain_settled first saw one */
	/* budget: the bans applied here, by deadline, with what each covers
	 * (struct budget_cost); at most budget_bans entries */
	struct heap budget;
};

struct budget_cost {
	uint64_t units;		/* IPv4 addresses, or IPv6 /64s */
	uint8_t v6;
};

/* Quorum: the most recent distinct voters per prefix, oldest first. Only
 * kmax (the largest quorum in the charter) are kept: if K distinct members
 * voted within the window, the K most recent of them all did. */
struct vote {
	int64_t at;
	uint32_t member;
};

struct quorum_entry {
	uint32_t n;
	struct vote votes[];
};

struct hold {
	struct a5_prefix p;
	int64_t until;
};

struct accept {
	struct charter c;
	bool has_self;
	uint8_t self[ID_PUBLIC_BYTES];
	struct prefixlist allow;
	uint32_t ttl_max_local;
	struct a5_prefix special[ARRAY_LEN(special_ranges)];
	struct accept_floors floors;
	uint64_t budget6;			/* budget_addresses6 in /64s */
	struct member_state *ms;		/* one per charter member */
	struct accept_member_stats unknown;
	struct lru *quorum;			/* NULL when no role needs one */
	unsigned kmax;
	size_t nholds;
	struct hold holds[HOLDS_MAX];
};

struct accept *
accept_new(const struct charter *c, const uint8_t self[ID_PUBLIC_BYTES],
    const struct prefixlist *local_allow, uint32_t ttl_max_local)
{
	return accept_new_floors(c, self, local_allow, ttl_max_local, NULL);
}

struct accept *
accept_new_floors(const struct charter *c, const uint8_t self[ID_PUBLIC_BYTES],
    const struct prefixlist *local_allow, uint32_t ttl_max_local, const struct accept_floors *f)
{
	struct accept *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->c = *c;
	if (f != NULL)
		a->floors = *f;
	a->budget6 = UINT64_C(1) << (64 - (c->policy.budget_addresses6 >= 16 &&
	    c->policy.budget_addresses6 <= 64 ? c->policy.budget_addresses6 : 40));
	if (self != NULL) {
		a->has_self = true;
		memcpy(a->self, self, ID_PUBLIC_BYTES);
	}
	prefixlist_init(&a->allow);
	if (local_allow != NULL)
		a->allow = *local_allow;
	a->ttl_max_local = ttl_max_local;
	for (size_t i = 0; i < ARRAY_LEN(special_ranges); i++)
		if (prefix_parse(special_ranges[i], strlen(special_ranges[i]), &a->special[i]) != 0)
			goto fail;	/* impossible: the table is ours */
	/* calloc of a large block is backed lazily: members that never report
	 * cost no memory for their rings. */
	if ((a->ms = calloc(c->nmembers ? c->nmembers : 1, sizeof(*a->ms))) == NULL)
		goto fail;
	for (size_t i = 0; i < c->nmembers; i++) {
		a->ms[i].tokens = (uint64_t)c->policy.rate_per_minute * 60;
		heap_init(&a->ms[i].budget, sizeof(struct budget_cost));
	}
	for (int r = 0; r < 3; r++) {
		const struct response_policy *rp = &c->policy.response[r];
		if (!rp->never && rp->quorum > a->kmax)
			a->kmax = rp->quorum;
		if (!rp->never && a->floors.not_alone[r] && a->kmax < 2)
			a->kmax = 2;
	}
	/* Votes for wide prefixes are kept only when the charter lets some
	 * prefix be wide: with the defaults none is, and no memory is spent. */
	if (c->policy.wide_quorum > a->kmax && (c->policy.max_prefix4 < c->policy.wide_prefix4 ||
	    c->policy.max_prefix6 < c->policy.wide_prefix6))
		a->kmax = c->policy.wide_quorum;
	if (a->kmax > CHARTER_QUORUM_MAX)
		a->kmax = CHARTER_QUORUM_MAX;
	if (a->kmax >= 2) {
		a->quorum = lru_new(QUORUM_PREFIXES, sizeof(struct a5_prefix),
		    sizeof(struct quorum_entry) + a->kmax * sizeof(struct vote));
		if (a->quorum == NULL)
			goto fail;
	}
	return a;
fail:
	accept_free(a);
	return NULL;
}

void
accept_free(struct accept *a)
{
	if (a == NULL)
		return;
	lru_free(a->quorum);
	for (size_t i = 0; a->ms != NULL && i < a->c.nmembers; i++)
		heap_free(&a->ms[i].budget);
	free(a->ms);
	free(a);
}

static size_t
member_index(const struct accept *a, const uint8_t pk[ID_PUBLIC_BYTES])
{
	const struct charter_member *m = charter_find(&a->c, pk);

	return m == NULL ? SIZE_MAX : (size_t)(m - a->c.members);
}

static void
ring_put(struct member_state *ms, uint64_t seq, bool missing, const uint8_t *hash)
{
	struct ring_entry *e = &ms->ring[seq % CHAIN_RING];

	ms->nmissing -= e->missing;
	ms->nmissing += missing;
	e->seq = seq;
	e->missing = missing;
	if (hash != NULL)
		memcpy(e->hash, hash, WIRE_HASH_BYTES);
	else
		memset(e->hash, 0, WIRE_HASH_BYTES);
}

/* The report held at seq, or NULL. */
static const struct ring_entry *
ring_get(const struct member_state *ms, uint64_t seq)
{
	const struct ring_entry *e = &ms->ring[seq % CHAIN_RING];

	return e->seq == seq && !e->missing ? e : NULL;
}

/* ACC_OK (the chain advanced or a gap was filled), ACC_REPLAY or ACC_FORK
 * (other filled). */
static enum accept_reason
chain_check(struct member_state *ms, const struct wire_report *r,
    const uint8_t hash[WIRE_HASH_BYTES], uint8_t other[WIRE_HASH_BYTES])
{
	uint64_t last = ms->stats.last_seq;
	struct ring_entry *e = &ms->ring[r->seq % CHAIN_RING];
	const struct ring_entry *before;

	if (r->seq <= last) {
		if (e->seq != r->seq)
			return ACC_REPLAY;	/* too old to tell a replay from a fork */
		if (!e->missing) {
			if (memcmp(e->hash, hash, WIRE_HASH_BYTES) == 0)
				return ACC_REPLAY;
			memcpy(other, e->hash, WIRE_HASH_BYTES);
			return ACC_FORK;
		}
		/* A report a gap skipped, arriving after its successors. */
		if ((before = ring_get(ms, r->seq - 1)) != NULL &&
		    memcmp(before->hash, r->prev, WIRE_HASH_BYTES) != 0) {
			memcpy(other, before->hash, WIRE_HASH_BYTES);
			return ACC_FORK;
		}
		ring_put(ms, r->seq, false, hash);
		ms->stats.late++;
		return ACC_OK;
	}
	if (last != 0 && r->seq == last + 1) {
		if (memcmp(r->prev, ms->last_hash, WIRE_HASH_BYTES) != 0) {
			memcpy(other, ms->last_hash, WIRE_HASH_BYTES);
			return ACC_FORK;
		}
	} else if (last != 0) {
		/* A gap: a report lost or withheld. Refusing would block this
		 * member for good, so the gap is counted and remembered, in case
		 * the missing reports still come. On first contact (last == 0)
		 * there was nothing to expect, so nothing is missing. */
		uint64_t from = last + 1;
		ms->stats.gaps += r->seq - from;
		if (r->seq - from > CHAIN_RING - 1)
			from = r->seq - (CHAIN_RING - 1);
		for (uint64_t s = from; s < r->seq; s++)
			ring_put(ms, s, true, NULL);
	}
	ring_put(ms, r->seq, false, hash);
	ms->stats.last_seq = r->seq;
	memcpy(ms->last_hash, hash, WIRE_HASH_BYTES);
	return ACC_OK;
}


/* Whether p overlaps one of special_ranges (allow_special, no_special). */
static bool
special_overlaps(const struct accept *a, const struct a5_prefix *p)
{
	for (size_t i = 0; i < ARRAY_LEN(a->special); i++)
		if (prefix_overlaps(&a->special[i], p))
			return true;
	return false;
}

/* Members' own prefixes, special-purpose ranges. */
static enum accept_reason
ranges_check(const struct accept *a, const struct a5_prefix *p)
{
	const struct charter_policy *pol = &a->c.policy;

	/* Revoked members' prefixes stay protected: a revoked key says nothing
	 * about who lives at those addresses. */
	for (size_t i = 0; i < a->c.nmembers; i++) {
		const struct charter_member *m = &a->c.members[i];
		for (size_t j = 0; j < m->nprefixes; j++)
			if (prefix_overlaps(&m->prefixes[j], p))
				return ACC_MEMBER_PREFIX;
	}
	if (!pol->allow_special && special_overlaps(a, p))
		return ACC_SPECIAL_RANGE;
	return ACC_OK;
}

/* Form and width, checked first: a /0 is refused as too wide, which says
 * more than the allowlist or the member prefix it also covers. */
static enum accept_reason
width_check(const struct accept *a, const struct a5_prefix *p)
{
	const struct charter_policy *pol = &a->c.policy;

	if (prefix_check(p) != NULL)
		return ACC_MALFORMED;
	if (p->len < (p->family == A5_AF_INET ? pol->max_prefix4 : pol->max_prefix6))
		return ACC_TOO_WIDE;
	return ACC_OK;
}

/* Widest first (width_check), then this host's allowlist, then the
 * charter's ranges; the form is checked once per report. */
static enum accept_reason
scope_check(const struct accept *a, const struct a5_prefix *p)
{
	enum accept_reason why;

	if ((why = width_check(a, p)) != ACC_OK)
		return why;
	if (prefixlist_overlaps(&a->allow, p))
		return ACC_ALLOWLIST;
	return ranges_check(a, p);
}

enum accept_reason
accept_charter_scope(const struct accept *a, const struct a5_prefix *p)
{
	enum accept_reason why;

	if ((why = width_check(a, p)) != ACC_OK)
		return why;
	return ranges_check(a, p);
}


/* This host's floors (accept_floors), after the charter's own checks:
 * what an adopted charter may allow but this host's configuration does
 * not. */
static enum accept_reason
floor_check(const struct accept *a, const struct a5_prefix *p)
{
	const struct accept_floors *f = &a->floors;
	uint8_t widest = p->family == A5_AF_INET ? f->max_prefix4 : f->max_prefix6;

	if (widest != 0 && p->len < widest)
		return ACC_LOCAL_FLOOR;
	if (f->no_special && a->c.policy.allow_special && special_overlaps(a, p))
		return ACC_LOCAL_FLOOR;
	return ACC_OK;
}

/* What a prefix covers against the budgets: IPv4 addresses, or IPv6 /64s
 * (a host's usual unit; anything longer counts as one). Lengths below 16
 * never get here (max_prefix6 is 16 at the widest). */
static struct budget_cost
budget_cost_of(const struct a5_prefix *p)
{
	struct budget_cost c = { 1, 0 };

	if (p->family == A5_AF_INET) {
		c.units = UINT64_C(1) << (32 - (p->len <= 32 ? p->len : 32));
		return c;
	}
	c.v6 = 1;
	if (p->len < 64)
		c.units = UINT64_C(1) << (64 - (p->len >= 16 ? p->len : 16));
	return c;
}

/* Forgets the bans that ended; lifts the throttle once the member is back
 * under half of every budget. */
static void
budget_expire(const struct accept *a, struct member_state *ms, int64_t now)
{
	struct accept_member_stats *st = &ms->stats;
	const struct charter_policy *pol = &a->c.policy;

	while (heap_len(&ms->budget) > 0 && heap_top_key(&ms->budget) <= now) {
		const struct budget_cost *c = heap_top(&ms->budget);
		if (c->v6)
			st->budget_units6 -= c->units;
		else
			st->budget_addresses4 -= c->units;
		st->budget_bans--;
		heap_pop(&ms->budget);
	}
	if (st->throttled && st->budget_bans <= pol->budget_bans / 2 &&
	    st->budget_addresses4 <= pol->budget_addresses4 / 2 && st->budget_units6 <= a->budget6 / 2) {
		st->throttled = false;
		st->strikes = 0;
	}
}

/* ACC_OK if one more ban of p stays within the member's budgets. */
static enum accept_reason
budget_check(const struct accept *a, const struct member_state *ms, const struct a5_prefix *p)
{
	const struct accept_member_stats *st = &ms->stats;
	struct budget_cost c = budget_cost_of(p);

	if (st->budget_bans >= a->c.policy.budget_bans)
		return ACC_BUDGET_BANS;
	if (c.v6 ? c.units > a->budget6 - st->budget_units6 :
	    c.units > a->c.policy.budget_addresses4 - st->budget_addresses4)
		return ACC_BUDGET_ADDRESSES;
	return ACC_OK;
}

/* A budget refusal: throttled at once, quarantined at budget_strikes. */
static void
budget_strike(const struct accept *a, struct member_state *ms, enum accept_reason why)
{
	ms->stats.throttled = true;
	if (++ms->stats.strikes >= a->c.policy.budget_strikes && !ms->stats.quarantined) {
		ms->stats.quarantined = true;
		ms->stats.quarantine_why = why;
	}
}

static void
budget_charge(struct member_state *ms, const struct a5_prefix *p, int64_t deadline)
{
	struct budget_cost c = budget_cost_of(p);

	/* Counted even if the heap cannot grow (it only holds what it needs to
	 * give back); the entry is then never given back: fail closed. */
	(void)heap_push(&ms->budget, deadline, &c);
	ms->stats.budget_bans++;
	if (c.v6)
		ms->stats.budget_units6 += c.units;
	else
		ms->stats.budget_addresses4 += c.units;
}

static bool
rate_take(struct member_state *ms, uint32_t per_minute, int64_t now)
{
	uint64_t cap = (uint64_t)per_minute * 60;

	if (now > ms->refilled) {
		/* A full refill takes 60 s; capping elapsed keeps this exact and
		 * free of overflow whatever the clock did. */
		int64_t elapsed = now - ms->refilled;
		if (elapsed > 60)
			elapsed = 60;
		ms->tokens += (uint64_t)elapsed * per_minute;
		if (ms->tokens > cap)
			ms->tokens = cap;
		ms->refilled = now;
	}
	if (ms->tokens > cap)
		ms->tokens = cap;	/* a throttled member keeps no more than its new minute */
	if (ms->tokens < 60)
		return false;
	ms->tokens -= 60;
	return true;
}

/* One token of the member's bucket, which its reports and its revocations
 * share: a revocation costs a receiver as much as a report (signature,
 * ledger lookups, an unban), so a stolen key must not get a second,
 * unlimited stream through them. A member over its budget lately gets a
 * tenth of the rate. ACC_OK, or ACC_RATE (ACC_THROTTLED while throttled). */
static enum accept_reason
rate_check(const struct accept *a, struct member_state *ms, int64_t now)
{
	uint32_t rate = a->c.policy.rate_per_minute;

	if (ms->stats.throttled)
		rate = rate >= 10 ? rate / 10 : 1;
	if (rate_take(ms, rate, now))
		return ACC_OK;
	return ms->stats.throttled ? ACC_THROTTLED : ACC_RATE;
}

/* True if a local unban still holds against p; drops expired holds. */
static bool
held(struct accept *a, const struct a5_prefix *p, int64_t now)
{
	bool hit = false;

	for (size_t i = 0; i < a->nholds;) {
		if (a->holds[i].until <= now) {
			a->holds[i] = a->holds[--a->nholds];
			continue;
		}
		if (prefix_overlaps(&a->holds[i].p, p))
			hit = true;
		i++;
	}
	return hit;
}

/* Records member's vote for p and returns the number of distinct members
 * (not quarantined since) that voted for p within the window. */
static unsigned
quorum_vote(struct accept *a, size_t member, const struct a5_prefix *p, int64_t now)
{
	struct quorum_entry *q;
	struct a5_prefix key;
	uint32_t n = 0;
	int created;

	memset(&key, 0, sizeof(key));
	key.family = p->family;
	key.len = p->len;
	memcpy(key.addr, p->addr, sizeof(key.addr));
	if ((q = lru_put(a->quorum, &key, &created)) == NULL)
		return 0;
	for (uint32_t i = 0; i < q->n && i < a->kmax; i++) {
		const struct vote *v = &q->votes[i];
		if (now - v->at >= (int64_t)a->c.policy.quorum_window || v->member == member ||
		    v->member >= a->c.nmembers || a->ms[v->member].stats.quarantined)
			continue;
		q->votes[n++] = *v;
	}
	if (n == a->kmax) {
		memmove(&q->votes[0], &q->votes[1], (n - 1) * sizeof(q->votes[0]));
		n--;
	}
	q->votes[n].at = now;
	q->votes[n].member = (uint32_t)member;
	q->n = n + 1;
	return q->n;
}

/* The pipeline for a report of member idx: ACC_OK to apply (d->ttl set),
 * ACC_QUORUM_PENDING to wait, any other reason to refuse. */
static enum accept_reason
decide(struct accept *a, size_t idx, const struct wire_report *r,
    const uint8_t hash[WIRE_HASH_BYTES], int64_t now, struct accept_decision *d)
{
	const struct charter_member *m = &a->c.members[idx];
	const struct response_policy *rp = &a->c.policy.response[m->role];
	struct member_state *ms = &a->ms[idx];
	enum accept_reason why;
	int64_t end, remaining;

	if (m->revoked)
		return ACC_REVOKED;
	if (ms->stats.quarantined)
		return ACC_QUARANTINED;
	if (r->seq == 0 || (r->seq == 1 && !sodium_is_zero(r->prev, WIRE_HASH_BYTES)))
		return ACC_MALFORMED;
	if ((why = chain_check(ms, r, hash, d->other_hash)) != ACC_OK) {
		if (why == ACC_FORK && !ms->stats.quarantined) {
			ms->stats.quarantined = true;
			ms->stats.quarantine_why = ACC_FORK;
		}
		return why;
	}
	if ((why = scope_check(a, &r->prefix)) != ACC_OK)
		return why;
	/* The ban lasts until the report's own end (timestamp + ttl, capped
	 * by the charter and the local cap), rounded up to the commit period:
	 * the deadline every auditor computes for this member (audit.h). A
	 * report delivered late (a member back from downtime) does not start
	 * its ttl afresh; one from the future gains at most the clock skew,
	 * never more than the capped ttl and one period; from further ahead
	 * than the skew tolerated, it is refused: the kernel's element would
	 * last until its time + ttl, however far ahead. */
	int64_t ts = (int64_t)(r->timestamp_us / 1000000);
	if (ts > now + ACCEPT_SKEW_MAX)
		return ACC_FUTURE;
	/* Within the skew, a report stamped ahead is taken as stamped now +
	 * the grace (accept_stamp): its deadline is at most this receiver's
	 * time + 2 s + the capped ttl (rounded up to the period), whatever the
	 * stamp says; so is the ledger's row, which a restart re-applies. */
	end = audit_deadline(&a->c, accept_stamp(r, now), r->ttl, a->ttl_max_local);
	if (end <= now)
		return ACC_EXPIRED;
	remaining = end - now;
	int64_t longest = (int64_t)r->ttl + (int64_t)a->c.policy.commit_period;
	if (remaining > longest)
		remaining = longest;
	if ((why = rate_check(a, ms, now)) != ACC_OK)
		return why;
	if (held(a, &r->prefix, now))
		return ACC_LOCAL_UNBAN;
	if (rp->never)
		return ACC_OBSERVER_ALONE;
	budget_expire(a, ms, now);
	if ((why = budget_check(a, ms, &r->prefix)) != ACC_OK) {
		budget_strike(a, ms, why);
		return why;
	}
	/* Every report that could count is a vote, immediate ones included: a
	 * member that may act alone surely counts toward another's quorum. */
	unsigned votes = a->quorum != NULL ? quorum_vote(a, idx, &r->prefix, now) : 0;
	if (rp->quorum >= 2 && votes < rp->quorum)
		return ACC_QUORUM_PENDING;
	const struct charter_policy *pol = &a->c.policy;
	if (pol->wide_quorum >= 2 && r->prefix.len < (r->prefix.family == A5_AF_INET ?
	    pol->wide_prefix4 : pol->wide_prefix6) && votes < pol->wide_quorum)
		return ACC_WIDE_PENDING;
	d->ttl = remaining > UINT32_MAX ? UINT32_MAX : (uint32_t)remaining;
	d->deadline = end;
	/* The coalition applies it: charged to the member's budget here as
	 * at every other member, so that all count alike. */
	budget_charge(ms, &r->prefix, end);
	/* This host's floors come last, once the charter's verdict is known:
	 * a refusal here is this host's own (declined in its commitments,
	 * like the allowlist), not the coalition's. */
	if (floor_check(a, &r->prefix) != ACC_OK || (a->floors.not_alone[m->role] && votes < 2))
		return ACC_LOCAL_FLOOR;
	return ACC_OK;
}

void
accept_report_hashed(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    const struct wire_report *r, const uint8_t hash[WIRE_HASH_BYTES], int64_t now,
    struct accept_decision *d)
{
	struct accept_member_stats *st;
	size_t idx;

	memset(d, 0, sizeof(*d));
	if (a->has_self && memcmp(reporter, a->self, ID_PUBLIC_BYTES) == 0) {
		/* Already enforced here when this member made it. */
		d->verdict = ACC_SKIP;
		d->reason = ACC_OK;
		return;
	}
	if ((idx = member_index(a, reporter)) == SIZE_MAX) {
		st = &a->unknown;
		d->reason = ACC_UNKNOWN_KEY;
	} else {
		st = &a->ms[idx].stats;
		d->reason = decide(a, idx, r, hash, now, d);
	}
	st->last_seen = now;
	if (d->reason == ACC_OK) {
		d->verdict = ACC_APPLY;
		st->accepted++;
		return;
	}
	d->verdict = d->reason == ACC_QUORUM_PENDING || d->reason == ACC_WIDE_PENDING ?
	    ACC_WAIT : ACC_REFUSE;
	d->ttl = 0;
	st->refused[d->reason]++;
}

void
accept_report(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    const struct wire_report *r, int64_t now, struct accept_decision *d)
{
	uint8_t hash[WIRE_HASH_BYTES];

	wire_report_hash(r, reporter, hash);
	accept_report_hashed(a, reporter, r, hash, now, d);
}

/* decide() for a revocation, which has a seq, a prev and a hash like a
 * report: the chain, then its own check (only the origin may revoke), then
 * a token from the bucket its signer's reports take theirs from. Checked in
 * that order for the reasons decide() has: a refused revocation still
 * advances the chain (the next link is not a gap or a fork), and one the
 * charter refuses anyway takes no token. */
static enum accept_reason
decide_revocation(struct accept *a, size_t idx, const struct wire_revocation *v,
    const uint8_t hash[WIRE_HASH_BYTES], int64_t now, struct accept_decision *d)
{
	struct member_state *ms = &a->ms[idx];
	struct wire_report link;
	enum accept_reason why;

	if (a->c.members[idx].revoked)
		return ACC_REVOKED;
	if (ms->stats.quarantined)
		return ACC_QUARANTINED;
	if (!wire_revocation_valid(v))
		return ACC_MALFORMED;
	/* chain_check reads seq and prev only */
	memset(&link, 0, sizeof(link));
	link.seq = v->seq;
	memcpy(link.prev, v->prev, WIRE_HASH_BYTES);
	if ((why = chain_check(ms, &link, hash, d->other_hash)) != ACC_OK) {
		if (why == ACC_FORK && !ms->stats.quarantined) {
			ms->stats.quarantined = true;
			ms->stats.quarantine_why = ACC_FORK;
		}
		return why;
	}
	/* Only the member that made a report can take it back: another's
	 * revocation is refused whatever it names (its chain still moved). */
	if (memcmp(v->origin, v->reporter, ID_PUBLIC_BYTES) != 0)
		return ACC_NOT_ORIGIN;
	return rate_check(a, ms, now);
}

void
accept_revocation(struct accept *a, const struct wire_revocation *v,
    const uint8_t hash[WIRE_HASH_BYTES], int64_t now, struct accept_decision *d)
{
	struct accept_member_stats *st;
	size_t idx;

	memset(d, 0, sizeof(*d));
	if (a->has_self && memcmp(v->reporter, a->self, ID_PUBLIC_BYTES) == 0) {
		d->verdict = ACC_SKIP;
		return;
	}
	if ((idx = member_index(a, v->reporter)) == SIZE_MAX) {
		st = &a->unknown;
		d->reason = ACC_UNKNOWN_KEY;
	} else {
		st = &a->ms[idx].stats;
		d->reason = decide_revocation(a, idx, v, hash, now, d);
	}
	st->last_seen = now;
	if (d->reason == ACC_OK) {
		d->verdict = ACC_APPLY;
		return;
	}
	d->verdict = ACC_REFUSE;
	st->refused[d->reason]++;
}

void
accept_count_revocation(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    enum accept_reason why)
{
	size_t idx = member_index(a, reporter);
	struct accept_member_stats *st = idx == SIZE_MAX ? &a->unknown : &a->ms[idx].stats;

	if (why == ACC_OK)
		st->accepted++;
	else
		st->refused[(unsigned)why < ACC_NREASONS ? why : ACC_MALFORMED]++;
}

void
accept_count_envelope(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    enum accept_reason why)
{
	size_t idx = member_index(a, reporter);
	struct accept_member_stats *st = idx == SIZE_MAX ? &a->unknown : &a->ms[idx].stats;

	if ((unsigned)why >= ACC_NREASONS)
		why = ACC_MALFORMED;
	st->refused[why]++;
}

/* Holds are few (an operator's unbans): a linear scan per report is cheaper
 * than any index. When full, the hold that ends first makes room. */
void
accept_local_unban(struct accept *a, const struct a5_prefix *p, int64_t until)
{
	size_t soonest = 0;

	for (size_t i = 0; i < a->nholds; i++) {
		if (prefix_equal(&a->holds[i].p, p)) {
			a->holds[i].until = until;
			return;
		}
		if (a->holds[i].until < a->holds[soonest].until)
			soonest = i;
	}
	if (a->nholds < HOLDS_MAX)
		soonest = a->nholds++;
	a->holds[soonest].p = *p;
	a->holds[soonest].until = until;
}

int
accept_chain_get(const struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t *seq, uint8_t hash[WIRE_HASH_BYTES])
{
	size_t idx = member_index(a, reporter);

	if (idx == SIZE_MAX)
		return -1;
	*seq = a->ms[idx].stats.last_seq;
	memcpy(hash, a->ms[idx].last_hash, WIRE_HASH_BYTES);
	return 0;
}

void
accept_chain_set(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const uint8_t hash[WIRE_HASH_BYTES])
{
	size_t idx = member_index(a, reporter);
	struct member_state *ms;

	if (idx == SIZE_MAX)
		return;
	ms = &a->ms[idx];
	memset(ms->ring, 0, sizeof(ms->ring));
	ms->nmissing = 0;
	ms->gap_since = 0;
	ms->stats.last_seq = seq;
	memcpy(ms->last_hash, hash, WIRE_HASH_BYTES);
	if (seq != 0)
		ring_put(ms, seq, false, hash);
}

size_t
accept_chain_missing(const struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t *out, size_t max)
{
	size_t idx = member_index(a, reporter), n = 0;
	const struct member_state *ms;

	if (idx == SIZE_MAX)
		return 0;
	ms = &a->ms[idx];
	/* Called after every envelope: without gaps, no walk of the ring. */
	for (size_t i = 0; ms->nmissing > 0 && i < CHAIN_RING && n < max; i++) {
		const struct ring_entry *e = &ms->ring[i];
		if (e->missing && e->seq != 0 && e->seq < ms->stats.last_seq)
			out[n++] = e->seq;
	}
	return n;
}

uint64_t
accept_chain_settled(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES], int64_t now,
    int64_t settle)
{
	size_t idx = member_index(a, reporter);
	struct member_state *ms;
	uint64_t lowest = UINT64_MAX;

	if (idx == SIZE_MAX)
		return 0;
	ms = &a->ms[idx];
	for (size_t i = 0; ms->nmissing > 0 && i < CHAIN_RING; i++) {
		const struct ring_entry *e = &ms->ring[i];
		if (e->missing && e->seq != 0 && e->seq < ms->stats.last_seq && e->seq < lowest)
			lowest = e->seq;
	}
	if (lowest == UINT64_MAX) {
		ms->gap_since = 0;
		return ms->stats.last_seq;
	}
	if (ms->gap_since == 0)
		ms->gap_since = now;
	return now - ms->gap_since >= settle ? ms->stats.last_seq : lowest - 1;
}

void
accept_chain_set_missing(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES], uint64_t seq)
{
	size_t idx = member_index(a, reporter);
	struct member_state *ms;

	if (idx == SIZE_MAX)
		return;
	ms = &a->ms[idx];
	if (seq == 0 || seq >= ms->stats.last_seq || ms->stats.last_seq - seq >= CHAIN_RING)
		return;
	ring_put(ms, seq, true, NULL);
}

void
accept_budget_restore(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES],
    const struct a5_prefix *p, int64_t deadline, int64_t now)
{
	size_t idx = member_index(a, reporter);

	/* This member's own rows are its published reports, never charged
	 * here (they are skipped in accept_report). */
	if (idx == SIZE_MAX || deadline <= now ||
	    (a->has_self && memcmp(reporter, a->self, ID_PUBLIC_BYTES) == 0))
		return;
	budget_charge(&a->ms[idx], p, deadline);
}

void
accept_carry_sanctions(struct accept *a, const struct accept *from)
{
	for (size_t i = 0; i < a->c.nmembers; i++) {
		size_t j = member_index(from, a->c.members[i].pk);
		if (j == SIZE_MAX)
			continue;
		const struct accept_member_stats *was = &from->ms[j].stats;
		struct accept_member_stats *st = &a->ms[i].stats;
		st->throttled = st->throttled || was->throttled;
		st->strikes += was->strikes;
		if (was->quarantined && !st->quarantined) {
			st->quarantined = true;
			st->quarantine_why = was->quarantine_why;
		}
	}
}

void
accept_quarantine(struct accept *a, const uint8_t reporter[ID_PUBLIC_BYTES])
{
	size_t idx = member_index(a, reporter);

	if (idx != SIZE_MAX && !a->ms[idx].stats.quarantined) {
		a->ms[idx].stats.quarantined = true;
		a->ms[idx].stats.quarantine_why = ACC_FORK;
	}
}

int64_t
accept_stamp_us(const struct wire_report *r, int64_t now)
{
	int64_t latest_us = (now + ACCEPT_STAMP_GRACE) * 1000000;

	return r->timestamp_us > (uint64_t)latest_us ? latest_us : (int64_t)r->timestamp_us;
}

int64_t
accept_stamp(const struct wire_report *r, int64_t now)
{
	return accept_stamp_us(r, now) / 1000000;
}

const struct accept_member_stats *
accept_stats(const struct accept *a, size_t member_index)
{
	return member_index < a->c.nmembers ? &a->ms[member_index].stats : NULL;
}

const struct accept_member_stats *
accept_stats_unknown(const struct accept *a)
{
	return &a->unknown;
}

const char *
accept_reason_name(enum accept_reason r)
{
	if ((unsigned)r >= ACC_NREASONS || reason_names[r] == NULL)
		return "?";
	return reason_names[r];
}
