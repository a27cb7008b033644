/* privsep.c - the enforcer process's handling of the worker's messages, and
 * the worker's side of the socket (privsep.h, docs/privsep.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coalition/charter.h"
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/privsep.h"

/* docs/privsep.md gives the record's size: keep it true */
_Static_assert(sizeof(struct enf_record) == 28, "enf_record is 28 bytes on the socket");
_Static_assert(sizeof(struct a5_prefix) == 18, "a5_prefix is 18 bytes on the socket");
_Static_assert(sizeof(struct priv_policy) == 8, "priv_policy is 8 bytes on the socket");
_Static_assert(sizeof(struct priv_alive) == 24, "priv_alive is 24 bytes on the socket");

/* --- the enforcer process --- */

static int
reply_digest(struct privs *s, int group, struct priv_reply *r)
{
	if (s->kset == NULL)
		return PRIV_NO_MIRROR;
	/* Events of the commit just made are read first: the digest must be
	 * of what the kernel holds now. */
	if (kset_dispatch(s->kset) < 0)
		return -1;
	if (group < 0)
		return kset_digest(s->kset, r->digest, &r->count) == 0 ? 0 : -1;
	enum kset_group g = group == ENF_GROUP_COALITION ? KSET_GROUP_COALITION : KSET_GROUP_LOCAL;
	return kset_digest_group(s->kset, g, r->digest, &r->count) == 0 ? 0 : -1;
}

/* The worker checked this already; a compromised one would not have. */
static bool
coalition_scope_ok(const struct privs *s, const struct a5_prefix *p)
{
	if (s->max_prefix4 == 0 && s->max_prefix6 == 0)
		return false;	/* no coalition: no coalition bans */
	if (prefix_check(p) != NULL)
		return false;
	if (p->len < (p->family == A5_AF_INET ? s->max_prefix4 : s->max_prefix6))
		return false;
	return !prefixlist_overlaps(&s->protect, p);
}

/* The size of one record of a message type, and how many it takes: the
 * message must be exactly the header and n of them. */
static int
msg_shape(uint32_t type, size_t *size, uint32_t *min, uint32_t *max)
{
	*size = 0;
	*min = *max = 0;
	switch (type) {
	case PRIV_RECORDS:
		*size = sizeof(struct enf_record);
		*min = 1;
		*max = PRIV_BATCH;
		return 0;
	case PRIV_ALLOW:
	case PRIV_PROTECT:
		*size = sizeof(struct a5_prefix);
		*min = 1;
		*max = PRIV_BATCH;
		return 0;
	case PRIV_RELOAD:
		*size = sizeof(struct priv_policy);
		*min = *max = 1;
		return 0;
	case PRIV_ALIVE:
		*size = sizeof(struct priv_alive);
		*min = *max = 1;
		return 0;
	case PRIV_APPLY:
		*size = sizeof(struct enf_record);
		*max = PRIV_BATCH;
		return 0;
	case PRIV_COMMIT:
	case PRIV_FLUSH:
	case PRIV_STATS:
	case PRIV_DIGEST:
	case PRIV_READY:
		return 0;
	default:
		return -1;
	}
}

static void
handle_records(struct privs *s, const unsigned char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct enf_record r;
		memcpy(&r, p + (size_t)i * sizeof(r), sizeof(r));
		if (r.op == ENF_ADD && r.group == ENF_GROUP_COALITION && !coalition_scope_ok(s, &r.prefix)) {
			s->refused_scope++;
			continue;
		}
		/* enf_queue checks the record again and counts a refusal */
		enf_queue(s->enf, &r);
	}
}

/* PRIV_ALLOW, PRIV_PROTECT: prefixes of canonical form only (the worker
 * read them through prefix_check). -1 for one that is not, or for more
 * allowlist entries than a configuration can hold. */
static int
handle_prefixes(struct privs *s, uint32_t type, const unsigned char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct a5_prefix pf;
		memcpy(&pf, p + (size_t)i * sizeof(pf), sizeof(pf));
		if (prefix_check(&pf) != NULL)
			return -1;
		if (type == PRIV_ALLOW) {
			if (prefixlist_add(&s->allow_next, &pf) != 0)
				return -1;
		} else if (prefixlist_add(&s->protect, &pf) != 0 && s->protect_dropped++ == 0) {
			log_warnx("enforcer: more than %d member prefixes; the rest are checked by "
			    "the worker only", PREFIXLIST_MAX);
		}
	}
	return 0;
}

/* PRIV_RELOAD: the policy's bounds, then the widest prefixes: a charter
 * may narrow what the start allowed, never widen it, and a configuration
 * without a charter ends coalition bans. -1 if the policy is malformed. */
static int
handle_reload(struct privs *s, const unsigned char *p, struct priv_reply *reply)
{
	struct priv_policy pol;

	memcpy(&pol, p, sizeof(pol));
	if (pol.zero != 0 || pol.observe > 1 || pol.max_prefix4 > 32 || pol.max_prefix6 > 128)
		return -1;
	reply->rc = s->reload != NULL ? s->reload(s->arg, &pol, &s->allow_next) : -1;
	prefixlist_init(&s->allow_next);
	if (reply->rc != 0)
		return 0;
	if (pol.max_prefix4 == 0 && pol.max_prefix6 == 0) {
		s->max_prefix4 = s->max_prefix6 = 0;
	} else if (s->max_floor4 != 0 || s->max_floor6 != 0) {
		s->max_prefix4 = pol.max_prefix4 > s->max_floor4 ? pol.max_prefix4 : s->max_floor4;
		s->max_prefix6 = pol.max_prefix6 > s->max_floor6 ? pol.max_prefix6 : s->max_floor6;
	}
	return 0;
}

int
priv_handle(struct privs *s, const void *msg, size_t len, struct priv_reply *reply)
{
	struct priv_hdr h;
	size_t size;
	uint32_t min, max;

	memset(reply, 0, sizeof(*reply));
	if (len < sizeof(h))
		return -1;
	memcpy(&h, msg, sizeof(h));
	if (h.zero != 0 || msg_shape(h.type, &size, &min, &max) != 0)
		return -1;
	if (h.n < min || h.n > max || len != sizeof(h) + (size_t)h.n * size)
		return -1;
	const unsigned char *body = (const unsigned char *)msg + sizeof(h);
	switch (h.type) {
	case PRIV_RECORDS:
		handle_records(s, body, h.n);
		return 0;
	case PRIV_ALLOW:
	case PRIV_PROTECT:
		return handle_prefixes(s, h.type, body, h.n);
	case PRIV_COMMIT:
		reply->rc = enf_commit(s->enf);
		return 1;
	case PRIV_APPLY:
		handle_records(s, body, h.n);
		enf_commit(s->enf);	/* it logs what the kernel refused */
		return 2;
	case PRIV_FLUSH:
		reply->rc = enf_flush(s->enf);
		return 1;
	case PRIV_STATS:
		reply->stats = *enf_get_stats(s->enf);
		reply->stats.refused += s->refused_scope;
		return 1;
	case PRIV_DIGEST:
		if (h.arg != -1 && h.arg != ENF_GROUP_LOCAL && h.arg != ENF_GROUP_COALITION)
			return -1;
		reply->rc = reply_digest(s, h.arg, reply);
		return 1;
	case PRIV_RELOAD:
		return handle_reload(s, body, reply) != 0 ? -1 : 1;
	case PRIV_READY:
		s->ready = true;
		return 0;
	case PRIV_ALIVE: {
		struct priv_alive a;
		memcpy(&a, body, sizeof(a));
		if (a.zero != 0)
			return -1;
		s->alive = a;
		return 0;
	}
	default:
		return -1;
	}
}

/* --- the worker --- */

struct privc {
	int fd;
	bool broken;
	unsigned pending;		/* queued since the last commit */
	uint32_t nbuf;
	struct enf_record buf[PRIV_BATCH];
};

struct privc *
privc_new(int fd)
{
	struct privc *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->fd = fd;
	return c;
}

void
privc_free(struct privc *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c);
}

static int
gone(struct privc *c, const char *what)
{
	if (!c->broken)
		log_warn("enforcer process: %s", what);
	c->broken = true;
	return -1;
}

/* One message: the header and n records of size bytes each. */
static int
send_msg(struct privc *c, uint32_t type, int32_t arg, const void *recs, size_t size, uint32_t n)
{
	struct priv_hdr h = { type, n, arg, 0 };
	struct iovec iov[2] = {
		{ &h, sizeof(h) },
		{ (void *)recs, (size_t)n * size },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = n > 0 ? 2 : 1 };

	if (c->broken)
		return -1;
	for (;;) {
		ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w == (ssize_t)(sizeof(h) + iov[1].iov_len) || (n == 0 && w == (ssize_t)sizeof(h)))
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		return gone(c, "send");
	}
}

static int
flush_buf(struct privc *c)
{
	if (c->nbuf == 0)
		return 0;
	int rc = send_msg(c, PRIV_RECORDS, 0, c->buf, sizeof(c->buf[0]), c->nbuf);
	c->nbuf = 0;
	return rc;
}

/* A request with a body of nbody records (may be 0), and its reply. */
static int
call_with(struct privc *c, uint32_t type, int32_t arg, const void *body, size_t size,
    uint32_t nbody, struct priv_reply *r)
{
	if (flush_buf(c) != 0 || send_msg(c, type, arg, body, size, nbody) != 0)
		return -1;
	for (;;) {
		ssize_t n = recv(c->fd, r, sizeof(*r), 0);
		if (n == (ssize_t)sizeof(*r))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return gone(c, n == 0 ? "closed" : "receive");
	}
}

static int
call(struct privc *c, uint32_t type, int32_t arg, struct priv_reply *r)
{
	return call_with(c, type, arg, NULL, 0, 0, r);
}

int
privc_queue(struct privc *c, const struct enf_record *r)
{
	if (c->broken)
		return -1;
	c->buf[c->nbuf++] = *r;
	c->pending++;
	if (c->nbuf == PRIV_BATCH)
		return flush_buf(c);
	return 0;
}

unsigned
privc_pending(const struct privc *c)
{
	return c->pending;
}

int
privc_commit(struct privc *c)
{
	struct priv_reply r;

	if (c->pending == 0)
		return c->broken ? -1 : 0;	/* nothing to apply: no round trip */
	c->pending = 0;
	if (call(c, PRIV_COMMIT, 0, &r) != 0)
		return -1;
	return r.rc;
}

/* Why not privc_commit after every turn of the loop: the worker waited
 * for the nftables transaction to read a result it did not use, one more
 * sleep and wake-up per received envelope (docs/privsep.md). The records
 * still buffered travel with the APPLY: one message, so the enforcer
 * process is not woken once for them and again for the APPLY. */
int
privc_apply(struct privc *c)
{
	if (c->pending == 0)
		return c->broken ? -1 : 0;
	c->pending = 0;
	int rc = send_msg(c, PRIV_APPLY, 0, c->buf, sizeof(c->buf[0]), c->nbuf);
	c->nbuf = 0;
	return rc;
}

int
privc_flush(struct privc *c)
{
	struct priv_reply r;

	c->pending = 0;
	if (call(c, PRIV_FLUSH, 0, &r) != 0)
		return -1;
	return r.rc;
}

int
privc_stats(struct privc *c, struct enf_stats *out)
{
	struct priv_reply r;

	if (call(c, PRIV_STATS, 0, &r) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	*out = r.stats;
	return 0;
}

int
privc_digest(struct privc *c, int group, uint8_t out[KSET_DIGEST_LEN], uint64_t *count)
{
	struct priv_reply r;

	if (call(c, PRIV_DIGEST, group, &r) != 0)
		return -1;
	memcpy(out, r.digest, KSET_DIGEST_LEN);
	*count = r.count;
	return r.rc;
}

/* n prefixes in messages of at most PRIV_BATCH, after what is buffered. */
static int
send_prefixes(struct privc *c, uint32_t type, const struct a5_prefix *p, size_t n)
{
	if (flush_buf(c) != 0)
		return -1;
	for (size_t i = 0; i < n; i += PRIV_BATCH) {
		uint32_t k = n - i > PRIV_BATCH ? PRIV_BATCH : (uint32_t)(n - i);
		if (send_msg(c, type, 0, p + i, sizeof(*p), k) != 0)
			return -1;
	}
	return 0;
}

/* The members' own prefixes of one charter file, for PRIV_PROTECT. A
 * charter that does not parse adds nothing (its members are checked by
 * the worker's acceptance only, as when it could not be adopted). */
static int
scope_of(struct privc *c, const char *path, struct charter *ch, bool configured)
{
	static struct prefixlist l;	/* large: not on the stack */
	char err[512];

	if (charter_load(path, ch, err, sizeof(err)) != 0) {
		if (configured)
			log_warnx("coalition scope: %s", err);
		return 1;
	}
	prefixlist_init(&l);
	for (size_t i = 0; i < ch->nmembers; i++)
		for (size_t j = 0; j < ch->members[i].nprefixes; j++)
			if (prefix_check(&ch->members[i].prefixes[j]) == NULL &&
			    prefixlist_add(&l, &ch->members[i].prefixes[j]) != 0) {
				log_warnx("coalition scope: %s: more than %d member prefixes; the "
				    "rest are checked by this process only", path, PREFIXLIST_MAX);
				goto send;
			}
send:
	return send_prefixes(c, PRIV_PROTECT, l.p, l.n);
}

/* privc_scope, and the configured charter's widest prefixes in *pol. */
static int
scope_send(struct privc *c, const struct config *cfg, struct priv_policy *pol)
{
	static struct charter ch;	/* large: not on the stack */
	char adopted[PATH_MAX + 32];
	int rc;

	pol->max_prefix4 = pol->max_prefix6 = 0;
	if (cfg->charter[0] == '\0')
		return 0;
	if ((rc = scope_of(c, cfg->charter, &ch, true)) < 0)
		return -1;
	if (rc == 0) {
		pol->max_prefix4 = ch.policy.max_prefix4;
		pol->max_prefix6 = ch.policy.max_prefix6;
	}
	config_adopted_charter(cfg, adopted, sizeof(adopted));
	if (access(adopted, F_OK) == 0 && scope_of(c, adopted, &ch, false) < 0)
		return -1;
	return 0;
}

int
privc_scope(struct privc *c, const struct config *cfg)
{
	struct priv_policy pol;

	return scope_send(c, cfg, &pol);
}

int
privc_policy(struct privc *c, const struct config *cfg)
{
	struct priv_policy pol;
	struct priv_reply r;

	memset(&pol, 0, sizeof(pol));
	if (scope_send(c, cfg, &pol) != 0)
		return -1;
	pol.observe = cfg->observe ? 1 : 0;
	pol.ttl_max = (uint32_t)cfg->bantime_max;
	if (cfg->allow.n > 0 && send_prefixes(c, PRIV_ALLOW, cfg->allow.p, cfg->allow.n) != 0)
		return -1;
	if (call_with(c, PRIV_RELOAD, 0, &pol, sizeof(pol), 1, &r) != 0)
		return -1;
	return r.rc;
}

int
privc_ready(struct privc *c)
{
	return send_msg(c, PRIV_READY, 0, NULL, 0, 0);
}

int
privc_alive(struct privc *c, const struct priv_alive *a)
{
	return send_msg(c, PRIV_ALIVE, 0, a, sizeof(*a), 1);
}

bool
privc_broken(const struct privc *c)
{
	return c->broken;
}
