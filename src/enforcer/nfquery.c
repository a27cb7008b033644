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

/* One receive buffer: the kernel sizes dump messages to at most a page or
 * two, and a reply to a single get is far smaller. */
#define NFQ_BUFSIZE	65536
#define NFQ_REQSIZE	512
#define NFQ_TIMEOUT_S	5

#define NFT_TYPE(msg)	((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (msg)))

struct nfq {
	int fd;
	uint32_t portid;
	uint32_t seq;
	uint8_t buf[NFQ_BUFSIZE];
};

/* A bounded request builder; any overflow poisons the whole message. */
struct req {
	uint8_t b[NFQ_REQSIZE];
	size_t len;
	bool overflow;
};

static size_t
req_put(struct req *r, uint16_t type, const void *data, size_t len)
{
	size_t at = r->len, total = NLA_HDRLEN + len;
	struct nlattr nla;

	if (r->overflow || total > UINT16_MAX ||
	    at + NLA_ALIGN(total) > sizeof(r->b)) {
		r->overflow = true;
		return at;
	}
	nla.nla_len = (uint16_t)total;
	nla.nla_type = type;
	memcpy(r->b + at, &nla, sizeof(nla));
	if (len > 0)
		memcpy(r->b + at + NLA_HDRLEN, data, len);
	memset(r->b + at + total, 0, NLA_ALIGN(total) - total);
	r->len = at + NLA_ALIGN(total);
	return at;
}

static size_t
req_nest_start(struct req *r, uint16_t type)
{
	return req_put(r, type | NLA_F_NESTED, NULL, 0);
}

static void
req_nest_end(struct req *r, size_t at)
{
	struct nlattr nla;

	if (r->overflow || r->len - at > UINT16_MAX) {
		r->overflow = true;
		return;
	}
	memcpy(&nla, r->b + at, sizeof(nla));
	nla.nla_len = (uint16_t)(r->len - at);
	memcpy(r->b + at, &nla, sizeof(nla));
}

static void
req_begin(struct req *r, struct nfq *q, uint8_t msg, uint16_t flags)
{
	struct nlmsghdr nlh;
	struct nfgenmsg nfg;

	memset(r, 0, sizeof(*r));
	memset(&nlh, 0, sizeof(nlh));
	nlh.nlmsg_type = NFT_TYPE(msg);
	nlh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh.nlmsg_seq = ++q->seq;
	memcpy(r->b, &nlh, sizeof(nlh));
	memset(&nfg, 0, sizeof(nfg));
	nfg.nfgen_family = NFPROTO_INET;
	nfg.version = NFNETLINK_V0;
	nfg.res_id = htons(0);
	memcpy(r->b + NLMSG_HDRLEN, &nfg, sizeof(nfg));
	r->len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfg));
}

static int
req_send(struct nfq *q, struct req *r)
{
	struct sockaddr_nl sa;
	uint32_t len;

	if (r->overflow) {
		errno = EMSGSIZE;
		return -1;
	}
	len = (uint32_t)r->len;
	memcpy(r->b + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(q->fd, r->b, r->len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) != (ssize_t)r->len)
		return -1;
	return 0;
}

static int
nfq_socket(struct nfq *q)
{
	struct sockaddr_nl sa;
	socklen_t salen = sizeof(sa);
	struct timeval tv = { .tv_sec = NFQ_TIMEOUT_S };

	q->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (q->fd == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	/* A receive timeout so a lost reply cannot hang the daemon. */
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    bind(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(q->fd, (struct sockaddr *)&sa, &salen) == -1) {
		int saved = errno;
		close(q->fd);
		q->fd = -1;
		errno = saved;
		return -1;
	}
	q->portid = sa.nl_pid;
	return 0;
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

/* Finds attribute type (ignoring flag bits) in [p, p+len). NULL if absent or
 * if any attribute header is malformed. */
static const struct nlattr *
attr_find(const uint8_t *p, size_t len, uint16_t type)
{
	while (len >= NLA_HDRLEN) {
		struct nlattr nla;

		memcpy(&nla, p, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len)
			return NULL;
		if ((nla.nla_type & NLA_TYPE_MASK) == type)
			return (const struct nlattr *)p;
		size_t step = NLA_ALIGN(nla.nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return NULL;
}

static size_t
attr_len(const struct nlattr *a)
{
	struct nlattr nla;

	memcpy(&nla, a, sizeof(nla));
	return nla.nla_len - NLA_HDRLEN;
}

static const uint8_t *
attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
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
parse_elems(const struct nlmsghdr *nlh, struct walk *w)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const struct nlattr *list;

	if (nlh->nlmsg_len < off) {
		errno = EPROTO;
		return -1;
	}
	list = attr_find((const uint8_t *)nlh + off, nlh->nlmsg_len - off,
	    NFTA_SET_ELEM_LIST_ELEMENTS);
	if (list == NULL)
		return 0;
	const uint8_t *p = attr_data(list);
	size_t len = attr_len(list);
	while (len >= NLA_HDRLEN) {
		struct nlattr nla;
		const struct nlattr *key, *val, *flags;
		uint32_t f = 0;

		memcpy(&nla, p, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len) {
			errno = EPROTO;
			return -1;
		}
		const uint8_t *ep = p + NLA_HDRLEN;
		size_t elen = nla.nla_len - NLA_HDRLEN;
		key = attr_find(ep, elen, NFTA_SET_ELEM_KEY);
		val = key ? attr_find(attr_data(key), attr_len(key),
		    NFTA_DATA_VALUE) : NULL;
		if (val == NULL || attr_len(val) != w->klen) {
			errno = EPROTO;
			return -1;
		}
		flags = attr_find(ep, elen, NFTA_SET_ELEM_FLAGS);
		if (flags != NULL && attr_len(flags) == sizeof(f)) {
			memcpy(&f, attr_data(flags), sizeof(f));
			f = ntohl(f);
		}
		if (++w->seen > w->max) {
			errno = E2BIG;
			return -1;
		}
		if (w->fn(attr_data(val), w->klen,
		    (f & NFT_SET_ELEM_INTERVAL_END) != 0, w->arg) == -1)
			return -1;
		size_t step = NLA_ALIGN(nla.nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

/* Reads replies to the last request until an error, an ack, the end of a
 * dump, or (for a plain get) the one reply of type want. Messages with
 * another sequence number are leftovers of an earlier request and skipped.
 * Element lists are handed to w when it is not NULL. */
ssize_t
nl_recv_kernel(int fd, void *buf, size_t len, int flags)
{
	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = { buf, len };
		struct msghdr msg = {
			.msg_name = &sa, .msg_namelen = sizeof(sa),
			.msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t n = recvmsg(fd, &msg, flags);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			errno = EMSGSIZE;
			return -1;
		}
		if (sa.nl_pid == 0)
			return n;
		/* not from the kernel: ignored */
	}
}

static int
recv_replies(struct nfq *q, bool dump, uint8_t want, struct walk *w)
{
	for (;;) {
		ssize_t n = nl_recv_kernel(q->fd, q->buf, sizeof(q->buf), 0);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return -1;
		}
		size_t left = (size_t)n;
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)q->buf;
		    NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != q->seq ||
			    nlh->nlmsg_pid != q->portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;
				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(e))) {
					errno = EPROTO;
					return -1;
				}
				memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
				if (e.error == 0)
					return 0;
				errno = -e.error;
				return -1;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
				/* The set changed under the dump: the caller retries. */
				errno = EAGAIN;
				return -1;
			}
			if (nlh->nlmsg_type != NFT_TYPE(want))
				continue;
			if (w != NULL && parse_elems(nlh, w) == -1)
				return -1;
			if (!dump)
				return 0;
		}
	}
}

static void
req_names(struct req *r, const char *table, const char *set)
{
	req_put(r, NFTA_SET_ELEM_LIST_TABLE, table, strlen(table) + 1);
	req_put(r, NFTA_SET_ELEM_LIST_SET, set, strlen(set) + 1);
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
	size_t elems = req_nest_start(&r, NFTA_SET_ELEM_LIST_ELEMENTS);
	size_t elem = req_nest_start(&r, NFTA_LIST_ELEM);
	size_t k = req_nest_start(&r, NFTA_SET_ELEM_KEY);
	req_put(&r, NFTA_DATA_VALUE, key, klen);
	req_nest_end(&r, k);
	req_nest_end(&r, elem);
	req_nest_end(&r, elems);
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
	req_put(&r, NFTA_SET_TABLE, table, strlen(table) + 1);
	req_put(&r, NFTA_SET_NAME, set, strlen(set) + 1);
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
