/* privsep.c - the enforcer process's handling of the worker's messages, and
 * the worker's side of the socket (privsep.h, docs/privsep.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/privsep.h"

/* docs/privsep.md gives the record's size: keep it true */
_Static_assert(sizeof(struct enf_record) == 28, "enf_record is 28 bytes on the socket");

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

int
priv_handle(struct privs *s, const void *msg, size_t len, struct priv_reply *reply)
{
	struct priv_hdr h;

	memset(reply, 0, sizeof(*reply));
	if (len < sizeof(h))
		return -1;
	memcpy(&h, msg, sizeof(h));
	if (h.zero != 0)
		return -1;
	if (h.type != PRIV_RECORDS && (h.n != 0 || len != sizeof(h)))
		return -1;
	switch (h.type) {
	case PRIV_RECORDS: {
		if (h.n == 0 || h.n > PRIV_BATCH || len != sizeof(h) + (size_t)h.n * sizeof(struct enf_record))
			return -1;
		const unsigned char *p = (const unsigned char *)msg + sizeof(h);
		for (uint32_t i = 0; i < h.n; i++) {
			struct enf_record r;
			memcpy(&r, p + (size_t)i * sizeof(r), sizeof(r));
			if (r.op == ENF_ADD && r.group == ENF_GROUP_COALITION && !coalition_scope_ok(s, &r.prefix)) {
				s->refused_scope++;
				continue;
			}
			/* enf_queue checks the record again and counts a refusal */
			enf_queue(s->enf, &r);
		}
		return 0;
	}
	case PRIV_COMMIT:
		reply->rc = enf_commit(s->enf);
		return 1;
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
		reply->rc = s->reload != NULL ? s->reload(s->arg) : -1;
		return 1;
	case PRIV_READY:
		s->ready = true;
		return 0;
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

static int
send_msg(struct privc *c, uint32_t type, int32_t arg, const struct enf_record *recs, uint32_t n)
{
	struct priv_hdr h = { type, n, arg, 0 };
	struct iovec iov[2] = {
		{ &h, sizeof(h) },
		{ (void *)recs, (size_t)n * sizeof(*recs) },
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
	int rc = send_msg(c, PRIV_RECORDS, 0, c->buf, c->nbuf);
	c->nbuf = 0;
	return rc;
}

static int
call(struct privc *c, uint32_t type, int32_t arg, struct priv_reply *r)
{
	if (flush_buf(c) != 0 || send_msg(c, type, arg, NULL, 0) != 0)
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

int
privc_reload(struct privc *c)
{
	struct priv_reply r;

	if (call(c, PRIV_RELOAD, 0, &r) != 0)
		return -1;
	return r.rc;
}

int
privc_ready(struct privc *c)
{
	return send_msg(c, PRIV_READY, 0, NULL, 0);
}

bool
privc_broken(const struct privc *c)
{
	return c->broken;
}
