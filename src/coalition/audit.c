/* audit.c - the model of what each member must enforce, and the check of
 * its commitments against it (audit.h, docs/commitment.md "Audit"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/audit.h"
#include "common/heap.h"
#include "common/lru.h"
#include "common/lthash.h"

/* One obliging report, as logged for its reporter. */
struct obligation {
	uint64_t seq;
	int64_t ts_us;
	uint32_t ttl;
	struct a5_prefix prefix;
};

struct report_log {
	struct obligation *v;	/* sorted by seq */
	size_t n, cap;
	uint64_t dropped_upto;	/* entries up to this seq were dropped (cap) */
	size_t sweep_at;	/* n at which ended obligations are next swept out */
};

/* What the auditor believes one member's coalition sets hold. */
struct model {
	struct lru *set;	/* prefix -> int64_t deadline */
	struct heap heap;	/* deadline -> prefix; stale entries skipped */
	struct lthash hash;
	uint64_t cursor[CHARTER_MEMBERS_MAX];	/* reports moved in, per reporter */
	struct wire_commitment *kept;		/* waiting for our heads */
	bool lost;		/* history it needs was dropped: unverifiable */
};

struct audit {
	struct charter c;
	uint8_t self[ID_PUBLIC_BYTES];
	int self_index;			/* in c; -1: not a member of it */
	/* charter_audits(self, i), worked out once at audit_new: it walks the
	 * charter, and binding() is asked per member in every log sweep and
	 * every status or metrics read */
	bool assigned[CHARTER_MEMBERS_MAX];
	int64_t started;
	/* The last instant this auditor may have missed commitments
	 * (audit_unheard): a gap that spans it is not counted as missed. */
	int64_t unheard_us;
	struct report_log logs[CHARTER_MEMBERS_MAX];
	struct model models[CHARTER_MEMBERS_MAX];
	struct audit_member st[CHARTER_MEMBERS_MAX];
};

static int
member_index(const struct audit *a, const uint8_t pk[ID_PUBLIC_BYTES])
{
	for (size_t i = 0; i < a->c.nmembers; i++)
		if (memcmp(a->c.members[i].pk, pk, ID_PUBLIC_BYTES) == 0)
			return (int)i;
	return -1;
}

/* This auditor's share when the charter samples audits (auditors K). */
static bool
assigned(const struct audit *a, size_t i)
{
	return a->assigned[i];
}

bool
audit_assigned(const struct audit *a, size_t i)
{
	return i < a->c.nmembers && a->assigned[i];
}

/* A member whose commitments this auditor judges: one that enforces, not
 * revoked, not us, and ours to audit. The others' commitments are counted
 * as seen, and their models are neither kept nor waited for. */
static bool
binding(const struct audit *a, size_t i)
{
	return a->c.members[i].role == ROLE_MEMBER && !a->c.members[i].revoked &&
	    memcmp(a->c.members[i].pk, a->self, ID_PUBLIC_BYTES) != 0 && assigned(a, i);
}

struct audit *
audit_new(const struct charter *c, const uint8_t self[ID_PUBLIC_BYTES])
{
	struct audit *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->c = *c;
	memcpy(a->self, self, ID_PUBLIC_BYTES);
	a->self_index = member_index(a, self);
	for (size_t i = 0; i < c->nmembers; i++)
		a->assigned[i] = a->self_index < 0 || charter_audits(c, (size_t)a->self_index, i);
	a->started = 0;
	for (size_t i = 0; i < c->nmembers; i++) {
		struct model *m = &a->models[i];
		lthash_zero(&m->hash);
		heap_init(&m->heap, sizeof(struct a5_prefix));
		if (!binding(a, i))
			continue;
		m->set = lru_new(AUDIT_MODEL_MAX, sizeof(struct a5_prefix), sizeof(int64_t));
		if (m->set == NULL) {
			audit_free(a);
			return NULL;
		}
	}
	return a;
}

void
audit_free(struct audit *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < CHARTER_MEMBERS_MAX; i++) {
		lru_free(a->models[i].set);
		heap_free(&a->models[i].heap);
		free(a->models[i].kept);
		free(a->logs[i].v);
	}
	free(a);
}

int64_t
audit_deadline(const struct charter *c, int64_t ts_sec, uint32_t ttl, uint32_t cap)
{
	int64_t q = c->policy.commit_period > 0 ? c->policy.commit_period : 10;
	uint32_t t = ttl;

	if (c->policy.ttl_max != 0 && t > c->policy.ttl_max)
		t = c->policy.ttl_max;
	if (cap != 0 && t > cap)
		t = cap;
	int64_t end = ts_sec + (int64_t)t;
	if (end <= 0)
		return 0;
	return (end + q - 1) / q * q;
}

/* --- the per-reporter log --- */

/* Commitments taken longer ago than this (seconds, by this host's clock)
 * are counted but not audited. That is what lets an obligation be
 * forgotten once it ended before the horizon, even while a binding member
 * is silent and so never moves past it: no commitment still audited can
 * need it. */
static int64_t
horizon(const struct audit *a)
{
	int64_t h = 4 * (int64_t)(a->c.policy.commit_period > 0 ? a->c.policy.commit_period : 10);

	return h < 60 ? 60 : h;
}

/* Drops the obligations that ended before the horizon, whatever their
 * reporter's position in every model: the longest deadline any member
 * could be held to (charter cap only) is past. */
static void
log_sweep(struct audit *a, struct report_log *l, int64_t now)
{
	int64_t before = now - horizon(a);
	size_t k = 0;

	for (size_t j = 0; j < l->n; j++) {
		const struct obligation *o = &l->v[j];
		if (audit_deadline(&a->c, o->ts_us / 1000000, o->ttl, 0) > before)
			l->v[k++] = *o;
	}
	l->n = k;
	/* Amortized: the next sweep waits until the log has doubled. */
	l->sweep_at = k * 2 > 1024 ? k * 2 : 1024;
}

static size_t
log_first_after(const struct report_log *l, uint64_t seq)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
audit_report(struct audit *a, const uint8_t reporter[ID_PUBLIC_BYTES], uint64_t seq,
    const struct a5_prefix *p, int64_t ts_us, uint32_t ttl, int64_t now)
{
	int ri = member_index(a, reporter);
	struct report_log *l;

	if (ri < 0)
		return;
	l = &a->logs[ri];
	if (l->n >= l->sweep_at || l->n == AUDIT_LOG_MAX)
		log_sweep(a, l, now);
	if (l->n == AUDIT_LOG_MAX) {
		/* Bounded: the oldest half goes, and members that had not moved
		 * past it can no longer be checked (see model.lost). */
		size_t half = l->n / 2;
		l->dropped_upto = l->v[half - 1].seq;
		memmove(l->v, l->v + half, (l->n - half) * sizeof(*l->v));
		l->n -= half;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct obligation *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return;	/* the audit of this report's receivers will differ: visible */
		l->v = v;
		l->cap = cap;
	}
	/* Reports come in chain order: the usual one goes at the end. Late
	 * reports (redelivered gaps) go in order; a seq already logged is not
	 * logged twice. */
	size_t at = l->n;
	if (l->n > 0 && l->v[l->n - 1].seq >= seq) {
		at = log_first_after(l, seq);
		if (at > 0 && l->v[at - 1].seq == seq)
			return;
		memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof(*l->v));
	}
	l->v[at] = (struct obligation){ seq, ts_us, ttl, *p };
	l->n++;
}

/* Drops what every binding member has moved past. */
static void
log_trim(struct audit *a, size_t ri)
{
	struct report_log *l = &a->logs[ri];
	uint64_t upto = UINT64_MAX;

	for (size_t i = 0; i < a->c.nmembers; i++)
		if (i != ri && binding(a, i) && a->models[i].cursor[ri] < upto)
			upto = a->models[i].cursor[ri];
	if (upto == UINT64_MAX || l->n == 0)
		return;
	size_t n = log_first_after(l, upto);
	memmove(l->v, l->v + n, (l->n - n) * sizeof(*l->v));
	l->n -= n;
}

/* --- the model of one member --- */

static void
model_add(struct model *m, const struct a5_prefix *p, int64_t deadline)
{
	int created = 0;
	int64_t *v = lru_put(m->set, p, &created);

	if (v == NULL || lru_evictions(m->set) > 0) {
		m->lost = true;
		return;
	}
	if (created) {
		*v = deadline;
		lthash_add(&m->hash, p);
	} else if (deadline > *v)
		*v = deadline;
	else
		return;
	if (heap_push(&m->heap, deadline, p) != 0)
		m->lost = true;
}

/* Everything whose deadline is not after t (unix seconds) leaves. */
static void
model_expire(struct model *m, int64_t t_us)
{
	while (heap_len(&m->heap) > 0 && heap_top_key(&m->heap) * 1000000 <= t_us) {
		int64_t deadline = heap_top_key(&m->heap);
		struct a5_prefix p;
		memcpy(&p, heap_top(&m->heap), sizeof(p));
		heap_pop(&m->heap);
		int64_t *v = lru_get(m->set, &p);
		if (v != NULL && *v == deadline) {
			lru_remove(m->set, &p);
			lthash_sub(&m->hash, &p);
		}
	}
}

static void
sample(struct audit_member *st, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	st->samples[st->sample_next] = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	st->sample_next = (st->sample_next + 1) % AUDIT_SAMPLES;
	if (st->nsamples < AUDIT_SAMPLES)
		st->nsamples++;
}

/* 1 if every reporter position c claims is one we have processed too. */
static bool
heads_reached(const struct audit *a, const struct wire_commitment *c, const uint64_t *heads)
{
	for (size_t i = 0; i < c->napplied; i++) {
		int ri = member_index(a, c->applied[i].reporter);
		if (ri >= 0 && c->applied[i].seq > heads[ri])
			return false;
	}
	return true;
}

static void
audit_now(struct audit *a, size_t mi, const struct wire_commitment *c)
{
	struct model *m = &a->models[mi];
	struct audit_member *st = &a->st[mi];
	int64_t t_us = (int64_t)c->time_us;
	static struct lthash expect;

	for (size_t i = 0; i < c->napplied; i++) {
		int ri = member_index(a, c->applied[i].reporter);
		if (ri < 0 || (size_t)ri == mi)
			continue;
		struct report_log *l = &a->logs[ri];
		uint64_t upto = c->applied[i].seq;
		if (upto <= m->cursor[ri])
			continue;
		if (l->dropped_upto > m->cursor[ri])
			m->lost = true;
		for (size_t j = log_first_after(l, m->cursor[ri]); j < l->n && l->v[j].seq <= upto; j++) {
			const struct obligation *o = &l->v[j];
			int64_t dl = audit_deadline(&a->c, o->ts_us / 1000000, o->ttl, c->ttl_cap);
			sample(st, (t_us - o->ts_us) / 1000);
			if (dl * 1000000 > t_us)
				model_add(m, &o->prefix, dl);
		}
		m->cursor[ri] = upto;
		log_trim(a, (size_t)ri);
	}
	model_expire(m, t_us);

	expect = m->hash;
	uint64_t count = lru_size(m->set);
	for (size_t i = 0; i < c->ndeclines; i++) {
		if (lru_get(m->set, &c->declines[i].prefix) == NULL)
			continue;
		lthash_sub(&expect, &c->declines[i].prefix);
		count--;
	}
	uint8_t digest[LTHASH_DIGEST_LEN];
	lthash_digest(&expect, digest);

	st->audited++;
	st->count = c->count;
	st->expected = count;
	st->declines = c->ndeclines;
	st->unverifiable = m->lost || (c->flags & WIRE_COMMIT_TRUNCATED) != 0;
	st->last_problem[0] = '\0';
	if (st->unverifiable)
		return;	/* neither a match nor a mismatch: shown as such */
	const char *problem = NULL;
	if ((c->flags & WIRE_COMMIT_NO_DIGEST) != 0) {
		if (count > 0)
			problem = "no kernel digest (not enforcing, or its mirror is down)";
	} else if (c->count != count)
		problem = c->count < count ? "fewer bans in its kernel than it is obliged to" :
		    "more bans in its kernel than reported to it";
	else if (memcmp(digest, c->digest, sizeof(digest)) != 0)
		problem = "kernel digest differs from the bans it is obliged to";
	if (problem == NULL) {
		st->consecutive = 0;
		return;
	}
	st->mismatches++;
	st->consecutive++;
	snprintf(st->last_problem, sizeof(st->last_problem), "%s", problem);
}

void
audit_unheard(struct audit *a, int64_t at_us)
{
	if (at_us > a->unheard_us)
		a->unheard_us = at_us;
}

int
audit_commitment(struct audit *a, const struct wire_commitment *c, const uint64_t *heads,
    int64_t now)
{
	int mi = member_index(a, c->member);

	if (a->started == 0)
		a->started = now;
	if (mi < 0 || memcmp(c->member, a->self, ID_PUBLIC_BYTES) == 0)
		return -1;
	struct audit_member *st = &a->st[mi];
	if (c->seq <= st->last_seq || (int64_t)c->time_us <= st->last_commit_us)
		return -1;	/* replayed or out of order: the newer one counts */
	int64_t q = (int64_t)a->c.policy.commit_period * 1000000;
	bool unheard = a->unheard_us > st->last_commit_us && a->unheard_us <= (int64_t)c->time_us;
	if (st->last_commit_us > 0 && q > 0 && !unheard) {
		int64_t periods = ((int64_t)c->time_us - st->last_commit_us + q / 2) / q;
		if (periods > 1)
			st->missed += (uint64_t)(periods - 1);
	}
	st->commitments++;
	st->last_seq = c->seq;
	st->last_commit_us = (int64_t)c->time_us;
	st->last_received = now;
	if (!binding(a, (size_t)mi))
		return 1;	/* non-binding: seen, never judged */
	struct model *m = &a->models[mi];
	if ((int64_t)c->time_us < (now - horizon(a)) * 1000000) {
		st->stale++;	/* e.g. redelivered after a partition */
		return -1;
	}
	if (!heads_reached(a, c, heads)) {
		if (m->kept == NULL && (m->kept = malloc(sizeof(*m->kept))) == NULL)
			return -1;
		*m->kept = *c;	/* only the newest waits */
		return 0;
	}
	free(m->kept);
	m->kept = NULL;
	audit_now(a, (size_t)mi, c);
	return 1;
}

void
audit_retry(struct audit *a, const uint64_t *heads, int64_t now)
{
	for (size_t i = 0; i < a->c.nmembers; i++) {
		struct model *m = &a->models[i];
		if (m->kept == NULL)
			continue;
		if ((int64_t)m->kept->time_us < (now - horizon(a)) * 1000000) {
			a->st[i].stale++;	/* waited too long for our heads */
			free(m->kept);
			m->kept = NULL;
			continue;
		}
		if (!heads_reached(a, m->kept, heads))
			continue;
		audit_now(a, i, m->kept);
		free(m->kept);
		m->kept = NULL;
	}
}

bool
audit_waiting(const struct audit *a)
{
	for (size_t i = 0; i < a->c.nmembers; i++)
		if (a->models[i].kept != NULL)
			return true;
	return false;
}

size_t
audit_logged(const struct audit *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->c.nmembers; i++)
		n += a->logs[i].n;
	return n;
}

const struct audit_member *
audit_get(const struct audit *a, size_t member_index)
{
	return member_index < a->c.nmembers ? &a->st[member_index] : NULL;
}

enum audit_state
audit_state_of(const struct audit *a, size_t i, int64_t now)
{
	const struct audit_member *st = &a->st[i];
	int64_t q = a->c.policy.commit_period;

	if (memcmp(a->c.members[i].pk, a->self, ID_PUBLIC_BYTES) == 0)
		return AUDIT_SELF;
	if (!assigned(a, i) && a->c.members[i].role == ROLE_MEMBER && !a->c.members[i].revoked)
		return AUDIT_UNASSIGNED;
	if (!binding(a, i))
		return AUDIT_NON_BINDING;
	if (st->consecutive >= 2)
		return AUDIT_FLAGGED;
	int64_t since = st->last_received ? st->last_received : a->started;
	if (since != 0 && now - since > 2 * q)
		return AUDIT_SILENT;
	if (st->unverifiable)
		return AUDIT_UNVERIFIABLE;
	if (st->audited == 0)
		return AUDIT_PENDING;
	return st->consecutive ? AUDIT_MISMATCH : AUDIT_OK;
}

const char *
audit_state_name(enum audit_state s)
{
	switch (s) {
	case AUDIT_PENDING: return "pending";
	case AUDIT_OK: return "ok";
	case AUDIT_MISMATCH: return "mismatch";
	case AUDIT_FLAGGED: return "flagged";
	case AUDIT_SILENT: return "silent";
	case AUDIT_UNVERIFIABLE: return "unverifiable";
	case AUDIT_SELF: return "self";
	case AUDIT_NON_BINDING: return "non-binding";
	case AUDIT_UNASSIGNED: return "unassigned";
	}
	return "unknown";
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

int64_t
audit_percentile(const struct audit_member *m, unsigned pct)
{
	uint32_t v[AUDIT_SAMPLES];

	if (m->nsamples == 0)
		return -1;
	memcpy(v, m->samples, m->nsamples * sizeof(v[0]));
	qsort(v, m->nsamples, sizeof(v[0]), cmp_u32);
	size_t k = (m->nsamples * pct + 99) / 100;
	return v[k == 0 ? 0 : k - 1];
}
