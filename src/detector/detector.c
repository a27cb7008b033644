/* detector.c - failure windows and connection tracking.
 *
 * sshd writes several lines about one attempt; counting lines would ban
 * legitimate users. Lines of one connection are tied together by the
 * process id of their syslog header, and the rule kinds (see docs/rules.md)
 * say how each line contributes: each password tried counts once, a probe
 * that ends without a password counts once, public keys that end in a
 * successful login count nothing. */
#include <stdlib.h>
#include <string.h>

#include "common/lru.h"
#include "detector/detector.h"

/* An open connection quiet for this long is assumed gone (its pid may be
 * reused). sshd ends an unauthenticated connection after LoginGraceTime
 * (2 minutes by default), and every line that takes its address from an
 * earlier one is written before authentication: 10 minutes covers any
 * sensible LoginGraceTime. It was an hour, which let an address-less line
 * of a later connection with the same pid inherit an earlier client's
 * address. */
#define CONN_STALE_SECS 600
/* An open connection that owes a pending failure and never named its
 * client (MongoDB up to 3.x: the failure line has no address, the
 * connection's end line has it) lends no address to anyone: it is kept as
 * long as before, so that a client idling past CONN_STALE_SECS before it
 * disconnects does not get its failures forgotten. */
#define CONN_PENDING_STALE_SECS 3600
/* A closed connection absorbs the closing lines sshd writes right after
 * the first one for this long; then it is forgotten. */
#define CONN_CLOSE_GRACE 5

struct off_key {
	struct a5_prefix prefix;
	uint16_t service;
};

/* Kept small: with 100k tracked offenders every byte here is 100 kB.
 * Times are unix seconds in 32 bits (good until 2106). */
struct off_val {
	uint32_t first_seen, last_seen;
	uint32_t evidence;
	uint16_t n, head;
	uint32_t ring[];	/* last failure times, capacity = max maxretry */
};

static uint32_t
ts32(int64_t ts)
{
	return ts < 0 ? 0 : ts > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)ts;
}

struct conn_key {
	uint32_t pid;
	uint16_t service;
	uint16_t zero;
};

struct conn_val {
	struct a5_prefix addr;
	bool has_addr;
	bool credit;		/* a counted probe absorbs the next fail */
	bool pending;		/* possible failure, counted at the end */
	bool closed;		/* authenticated, or an end line was seen */
	uint16_t counted;
	int64_t last_ts, closed_ts;
};

struct detector {
	struct det_config cfg;
	struct det_service *services;
	int ring_cap;
	struct lru *offenders, *conns;
	uint64_t attempts, bans;
};


struct detector *
det_new(const struct det_config *cfg)
{
	struct detector *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = *cfg;
	d->services = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*d->services));
	if (d->services == NULL)
		goto fail;
	memcpy(d->services, cfg->services, cfg->nservices * sizeof(*d->services));
	d->cfg.services = d->services;
	d->ring_cap = 1;
	for (size_t i = 0; i < cfg->nservices; i++) {
		if (d->services[i].maxretry < 1)
			d->services[i].maxretry = 1;
		if (d->services[i].maxretry > DET_MAXRETRY_MAX)
			d->services[i].maxretry = DET_MAXRETRY_MAX;
		if (d->services[i].maxretry > d->ring_cap)
			d->ring_cap = d->services[i].maxretry;
	}
	d->offenders = lru_new(cfg->max_offenders, sizeof(struct off_key),
	    sizeof(struct off_val) + (size_t)d->ring_cap * sizeof(uint32_t));
	/* pids are the kernel's choice, not the attacker's: no SipHash needed */
	d->conns = lru_new_trusted(cfg->max_conns, sizeof(struct conn_key), sizeof(struct conn_val));
	if (d->offenders == NULL || d->conns == NULL)
		goto fail;
	return d;
fail:
	det_free(d);
	return NULL;
}

void
det_free(struct detector *d)
{
	if (d == NULL)
		return;
	lru_free(d->offenders);
	lru_free(d->conns);
	free(d->services);
	free(d);
}

void
det_offender_prefix(const struct detector *d, const struct a5_prefix *addr,
    struct a5_prefix *ban, struct a5_prefix *key)
{
	struct a5_prefix v4;
	unsigned form;

	*ban = *addr;
	if (ban->family != A5_AF_INET6) {
		*key = *ban;
		return;
	}
	/* An IPv6 form of an IPv4 client: the /64 around it is every client
	 * of the translator (NAT64, Teredo server) or of the IPv4 site
	 * (6to4), never one offender. Counted as the IPv4 client, banned
	 * as what the kernel sees of it. */
	if ((form = addr_embedded_ipv4(addr, &v4)) != 0) {
		prefix_truncate(ban, form);
		*key = v4;
		return;
	}
	prefix_truncate(ban, d->cfg.ipv6_prefix);
	*key = *ban;
}

/* Records one failed attempt in its window; decides a ban. */
static void
count_attempt(struct detector *d, int service, const struct a5_prefix *addr,
    int64_t ts, struct det_result *r)
{
	const struct det_service *svc = &d->services[service];
	struct off_key key;
	struct off_val *v;
	int created;

	r->counted = true;
	r->addr = *addr;
	d->attempts++;
	struct a5_prefix ban;

	memset(&key, 0, sizeof(key));
	det_offender_prefix(d, addr, &ban, &key.prefix);
	key.service = (uint16_t)service;
	if ((v = lru_put(d->offenders, &key, &created)) == NULL)
		return;	/* out of memory: the attempt is reported, not tracked */
	if (created)
		v->first_seen = ts32(ts);
	v->last_seen = ts32(ts);
	v->evidence++;
	v->ring[v->head] = ts32(ts);
	v->head = (uint16_t)((v->head + 1) % svc->maxretry);
	if (v->n < svc->maxretry)
		v->n++;
	if (v->n < svc->maxretry)
		return;
	/* The ring is full: head now points at the oldest of the last maxretry. */
	if ((int64_t)ts32(ts) - (int64_t)v->ring[v->head] > svc->findtime)
		return;
	r->ban = true;
	r->prefix = ban;
	r->offender = key.prefix;
	r->evidence = v->evidence;
	r->first_seen = v->first_seen;
	r->last_seen = ts;
	d->bans++;
	/* The window starts again after a ban. Not for an IPv4 client seen in
	 * an IPv6 form (Teredo, NAT64): the ban is that form's /128, and a
	 * new port or new flag bits give the same client a new address; its
	 * next attempt in any form, still in the window, bans that one too. */
	if (prefix_equal(&ban, &key.prefix))
		lru_remove(d->offenders, &key);
}

void
det_event_from_match(const struct rules_match *m, int64_t ts, struct det_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = m->info->kind;
	ev->service = m->info->service;
	ev->has_addr = m->has_addr;
	ev->addr = m->addr;
	ev->has_pid = m->has_pid;
	ev->pid = m->pid;
	ev->ts = ts;
}

/* Whether entry c cannot be the connection of event ev (pid reused). */
static bool
conn_stale(const struct conn_val *c, const struct det_event *ev)
{
	/* Either way in time: a log read out of order (rotated files, a year
	 * boundary, the same lines twice) is another connection too, and a
	 * closed entry must not absorb lines of the past forever. */
	int64_t since = ev->ts - (c->closed ? c->closed_ts : c->last_ts);

	if (since < 0)
		since = -since;
	if (ev->has_addr && c->has_addr && !prefix_equal(&c->addr, &ev->addr))
		return true;
	if (c->closed)
		return since > CONN_CLOSE_GRACE;
	return since > (c->pending && !c->has_addr ? CONN_PENDING_STALE_SECS : CONN_STALE_SECS);
}

static void
conn_close(struct conn_val *c, int64_t ts)
{
	if (!c->closed)
		c->closed_ts = ts;
	c->closed = true;
	c->pending = false;
	c->credit = false;
}

void
det_feed(struct detector *d, const struct det_event *ev, struct det_result *r)
{
	struct conn_val *c = NULL;
	struct conn_key ck;

	memset(r, 0, sizeof(*r));
	if (ev->service < 0 || (size_t)ev->service >= d->cfg.nservices ||
	    d->services[ev->service].disabled)
		return;
	if (ev->has_pid) {
		memset(&ck, 0, sizeof(ck));
		ck.pid = ev->pid;
		ck.service = (uint16_t)ev->service;
		c = lru_get(d->conns, &ck);
		/* A different address, a long silence, a close a while ago:
		 * the pid was reused. */
		if (c != NULL && conn_stale(c, ev)) {
			lru_remove(d->conns, &ck);
			c = NULL;
		}
		/* A closed connection lends its address to no one: a line
		 * without one is a trailing closing line of it (absorbed) or
		 * the first line of another connection with the same pid,
		 * whose client nobody knows yet. */
		if (c != NULL && c->closed && !ev->has_addr) {
			c->last_ts = ev->ts;
			return;
		}
		if (c == NULL && ev->kind != RK_SUCCESS && ev->kind != RK_END) {
			int created;
			c = lru_put(d->conns, &ck, &created);
		}
		if (c != NULL) {
			c->last_ts = ev->ts;
			if (ev->has_addr && !c->has_addr) {
				c->addr = ev->addr;
				c->has_addr = true;
			}
		}
	}
	const struct a5_prefix *addr = ev->has_addr ? &ev->addr :
	    (c != NULL && c->has_addr) ? &c->addr : NULL;

	switch (ev->kind) {
	case RK_FAIL:
		if (c != NULL && c->credit) {
			c->credit = false;	/* same attempt as the probe line */
			c->pending = false;
			return;
		}
		if (addr == NULL)
			return;
		if (c != NULL) {
			c->counted++;
			c->pending = false;
		}
		count_attempt(d, ev->service, addr, ev->ts, r);
		return;
	case RK_PROBE:
		if (addr == NULL || (c != NULL && c->counted > 0))
			return;
		if (c != NULL) {
			c->counted++;
			c->credit = true;
		}
		count_attempt(d, ev->service, addr, ev->ts, r);
		return;
	case RK_PENDING:
		if (c != NULL)
			c->pending = true;
		return;
	case RK_SUCCESS:
		/* Authenticated: what follows is the session, whose lines no
		 * rule takes an address from. */
		if (c != NULL)
			conn_close(c, ev->ts);
		return;
	case RK_END:
	case RK_END_AUTH: {
		bool owed = c != NULL ? (c->counted == 0 && (c->pending || ev->kind == RK_END_AUTH))
		    : ev->kind == RK_END_AUTH;
		if (!owed)
			goto closed;
		if (addr == NULL) {
			/* The address comes on a later line of this connection. */
			if (c != NULL)
				c->pending = true;
			return;
		}
		if (c != NULL)
			c->counted++;
		count_attempt(d, ev->service, addr, ev->ts, r);
		goto closed;
	}
	case RK_CONTEXT:
		return;
	}
	return;
closed:
	/* Kept, not removed: sshd often writes two closing lines ("Received
	 * disconnect", then "Disconnected from invalid user"), and the second
	 * must see that the connection was already accounted for. Closed,
	 * it is forgotten after CONN_CLOSE_GRACE. */
	if (c != NULL)
		conn_close(c, ev->ts);
}

struct forget_ctx {
	struct a5_prefix prefix;
	struct off_key keys[64];
	size_t n;
};

static void
collect_forget(void *arg, const void *key, void *val)
{
	struct forget_ctx *f = arg;
	const struct off_key *k = key;

	(void)val;
	if (f->n < 64 && prefix_overlaps(&f->prefix, &k->prefix))
		f->keys[f->n++] = *k;
}

void
det_forget(struct detector *d, const struct a5_prefix *prefix)
{
	struct forget_ctx f;

	/* A linear walk, but only on a manual unban: rare, and bounded by the cap. */
	memset(&f, 0, sizeof(f));
	f.prefix = *prefix;
	lru_foreach(d->offenders, collect_forget, &f);
	for (size_t i = 0; i < f.n; i++)
		lru_remove(d->offenders, &f.keys[i]);
	/* An IPv6 form of an IPv4 client was counted under that IPv4 address. */
	struct a5_prefix v4;
	if (addr_embedded_ipv4(prefix, &v4) != 0 && !prefix_equal(&v4, prefix))
		det_forget(d, &v4);
}

void
det_get_stats(const struct detector *d, struct det_stats *st)
{
	st->attempts = d->attempts;
	st->bans = d->bans;
	st->evictions = lru_evictions(d->offenders);
	st->conn_evictions = lru_evictions(d->conns);
	st->offenders = lru_size(d->offenders);
	st->conns = lru_size(d->conns);
}
