/* nfquery.c - read-only nfnetlink GETSETELEM requests (one element, or one small set). */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforcer/nfquery.h"
#include "enforcer/nlmsg.h"

/* One receive buffer: the kernel sizes dump messages to at most a page or
 * two, and a reply to a single get is far smaller. */
#define NFQ_BUFSIZE	65536
#define NFQ_REQSIZE	512
#define NFQ_TIMEOUT_S	5

struct nfq {
	int fd;
	uint32_t portid;
	uint32_t seq;
	uint8_t buf[NFQ_BUFSIZE];
};

/* A request: one message in a fixed buffer (nlmsg_buf_fixed); anything
 * past it poisons the message and it is not sent. */
struct req {
	uint8_t mem[NFQ_REQSIZE];
	struct nlmsg_buf b;
};

static void
req_begin(struct req *r, struct nfq *q, uint8_t msg, uint16_t flags)
{
	nlmsg_buf_fixed(&r->b, r->mem, sizeof(r->mem));
	nlmsg_begin(&r->b, NFT_TYPE(msg), flags, ++q->seq, NFPROTO_INET, 0);
}

static int
req_send(struct nfq *q, struct req *r)
{
	nlmsg_end(&r->b, 0);
	return nlmsg_send(q->fd, &r->b);
}

static int
nfq_socket(struct nfq *q)
{
	q->fd = nlmsg_socket(false, NFQ_TIMEOUT_S, &q->portid);
	return q->fd == -1 ? -1 : 0;
}

struct nfq *
nfq_open(char *err, size_t errlen)
{
	struct nfq *q;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		snprintf(err, errlen, "nfquery: %s", strerror(errno));
		return NULL;
	}
	if (nfq_socket(q) == -1) {
		snprintf(err, errlen, "nfquery: netlink socket: %s",
		    strerror(errno));
		free(q);
		return NULL;
	}
	return q;
}

void
nfq_close(struct nfq *q)
{
	if (q == NULL)
		return;
	if (q->fd != -1)
		close(q->fd);
	free(q);
}

/* Drops a socket that may still hold the tail of an abandoned dump; later
 * requests would otherwise have to wade through it. */
static void
nfq_reset(struct nfq *q)
{
	if (q->fd != -1)
		close(q->fd);
	if (nfq_socket(q) == -1)
		q->fd = -1;
}

struct walk {
	size_t klen;
	size_t max, seen;
	nfq_elem_fn fn;
	void *arg;
};

/* Walks the elements of one NEWSETELEM message. Elements whose key is not
 * exactly klen bytes are refused: the set type is ours and fixed. */
static int
parse_elems(const struct nlmsg_view *m, struct walk *w)
{
	const struct nlattr *list, *el;
	int r;

	if (m->short_nfg) {
		errno = EPROTO;
		return -1;
	}
	list = nlmsg_attr_find(m->attrs, m->alen, NFTA_SET_ELEM_LIST_ELEMENTS);
	if (list == NULL)
		return 0;
	const uint8_t *p = nlmsg_attr_data(list);
	size_t len = nlmsg_attr_len(list);
	while ((r = nlmsg_attr_next(&p, &len, &el)) == 1) {
		const struct nlattr *key, *val;
		const uint8_t *ep = nlmsg_attr_data(el);
		size_t elen = nlmsg_attr_len(el);
		uint32_t f = 0;

		key = nlmsg_attr_find(ep, elen, NFTA_SET_ELEM_KEY);
		val = key ? nlmsg_attr_find(nlmsg_attr_data(key), nlmsg_attr_len(key),
		    NFTA_DATA_VALUE) : NULL;
		if (val == NULL || nlmsg_attr_len(val) != w->klen) {
			errno = EPROTO;
			return -1;
		}
		/* absent, or of another size: no flags */
		(void)nlmsg_attr_be32(nlmsg_attr_find(ep, elen, NFTA_SET_ELEM_FLAGS), &f);
		if (++w->seen > w->max) {
			errno = E2BIG;
			return -1;
		}
		if (w->fn(nlmsg_attr_data(val), w->klen,
		    (f & NFT_SET_ELEM_INTERVAL_END) != 0, w->arg) == -1)
			return -1;
	}
	if (r == -1) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Reads replies to the last request until an error, an ack, the end of a
 * dump, or (for a plain get) the one reply of type want. Messages with
 * another sequence number are leftovers of an earlier request and skipped.
 * Element lists are handed to w when it is not NULL. */
static int
recv_replies(struct nfq *q, bool dump, uint8_t want, struct walk *w)
{
	for (;;) {
		ssize_t n = nlmsg_recv(q->fd, q->buf, sizeof(q->buf), 0);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return -1;
		}
		const uint8_t *p = q->buf;
		size_t left = (size_t)n;
		struct nlmsg_view m;
		int more, err;

		while ((more = nlmsg_next(&p, &left, &m)) == 1) {
			if (m.h.nlmsg_seq != q->seq || m.h.nlmsg_pid != q->portid)
				continue;
			switch (nlmsg_error(&m, &err, NULL)) {
			case -1:
				errno = EPROTO;
				return -1;
			case 1:
				if (err == 0)
					return 0;
				errno = err;
				return -1;
			}
			if (m.h.nlmsg_type == NLMSG_DONE)
				return 0;
			if (m.h.nlmsg_flags & NLM_F_DUMP_INTR) {
				/* The set changed under the dump: the caller retries. */
				errno = EAGAIN;
				return -1;
			}
			if (m.h.nlmsg_type != NFT_TYPE(want))
				continue;
			if (w != NULL && parse_elems(&m, w) == -1)
				return -1;
			if (!dump)
				return 0;
		}
		if (more == -1) {
			errno = EPROTO;
			return -1;
		}
	}
}

static void
req_names(struct req *r, const char *table, const char *set)
{
	nlmsg_put_str(&r->b, NFTA_SET_ELEM_LIST_TABLE, table);
	nlmsg_put_str(&r->b, NFTA_SET_ELEM_LIST_SET, set);
}

struct first {
	uint8_t *start;
	bool found;
};

static int
take_first(const uint8_t *key, size_t klen, bool end, void *arg)
{
	struct first *f = arg;

	(void)end;
	if (!f->found) {
		memcpy(f->start, key, klen);
		f->found = true;
	}
	return 0;
}

int
nfq_get(struct nfq *q, const char *table, const char *set,
    const uint8_t *key, size_t klen, uint8_t *start)
{
	struct req r;
	struct first f = { start, false };
	struct walk w = { klen, 1, 0, take_first, &f };

	if (q->fd == -1 && nfq_socket(q) == -1)
		return -1;
	req_begin(&r, q, NFT_MSG_GETSETELEM, 0);
	req_names(&r, table, set);
	size_t elems = nlmsg_nest_begin(&r.b, NFTA_SET_ELEM_LIST_ELEMENTS);
	size_t elem = nlmsg_nest_begin(&r.b, NFTA_LIST_ELEM);
	size_t k = nlmsg_nest_begin(&r.b, NFTA_SET_ELEM_KEY);
	nlmsg_put(&r.b, NFTA_DATA_VALUE, key, klen);
	nlmsg_nest_end(&r.b, k);
	nlmsg_nest_end(&r.b, elem);
	nlmsg_nest_end(&r.b, elems);
	if (req_send(q, &r) == -1)
		return -1;
	if (recv_replies(q, false, NFT_MSG_NEWSETELEM, &w) == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ETIMEDOUT || errno == EMSGSIZE || errno == EPROTO)
			nfq_reset(q);
		return -1;
	}
	if (!f.found) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}

int
nfq_dump(struct nfq *q, const char *table, const char *set, size_t klen,
    size_t max, nfq_elem_fn fn, void *arg)
{
	struct req r;
	struct walk w = { klen, max, 0, fn, arg };

	if (q->fd == -1 && nfq_socket(q) == -1)
		return -1;
	req_begin(&r, q, NFT_MSG_GETSETELEM, NLM_F_DUMP);
	req_names(&r, table, set);
	if (req_send(q, &r) == -1)
		return -1;
	if (recv_replies(q, true, NFT_MSG_NEWSETELEM, &w) == -1) {
		int saved = errno;
		nfq_reset(q);
		errno = saved;
		return -1;
	}
	return 0;
}

int
nfq_set_exists(struct nfq *q, const char *table, const char *set)
{
	struct req r;

	if (q->fd == -1 && nfq_socket(q) == -1)
		return -1;
	req_begin(&r, q, NFT_MSG_GETSET, 0);
	nlmsg_put_str(&r.b, NFTA_SET_TABLE, table);
	nlmsg_put_str(&r.b, NFTA_SET_NAME, set);
	if (req_send(q, &r) == -1)
		return -1;
	if (recv_replies(q, false, NFT_MSG_NEWSET, NULL) == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ETIMEDOUT || errno == EMSGSIZE || errno == EPROTO)
			nfq_reset(q);
		return -1;
	}
	return 1;
}
