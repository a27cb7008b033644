/* nlmsg.c - building and reading nfnetlink messages, bounds-checked (nlmsg.h). */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforcer/nlmsg.h"

#define NLMSG_BUF_START 65536

/* --- building --- */

void
nlmsg_buf_init(struct nlmsg_buf *n, size_t max)
{
	memset(n, 0, sizeof(*n));
	n->max = max;
	n->grows = true;
}

void
nlmsg_buf_fixed(struct nlmsg_buf *n, void *mem, size_t size)
{
	memset(n, 0, sizeof(*n));
	n->b = mem;
	n->cap = n->max = size;
}

void
nlmsg_buf_reset(struct nlmsg_buf *n)
{
	n->len = 0;
	n->overflow = false;
}

void
nlmsg_buf_free(struct nlmsg_buf *n)
{
	if (n->grows)
		free(n->b);
	n->b = NULL;
	n->len = n->cap = 0;
}

/* Appends len bytes (zeroed, then aligned); NULL, and the buffer poisoned,
 * past the ceiling. */
static uint8_t *
grow(struct nlmsg_buf *n, size_t len)
{
	size_t need, ncap;
	uint8_t *nb;

	if (n->overflow)
		return NULL;
	if (len > n->max || n->len > n->max - NLMSG_ALIGN(len)) {
		n->overflow = true;
		return NULL;
	}
	need = n->len + NLMSG_ALIGN(len);
	if (need > n->cap) {
		if (!n->grows) {
			n->overflow = true;
			return NULL;
		}
		for (ncap = n->cap ? n->cap : NLMSG_BUF_START; ncap < need; ncap *= 2)
			;
		if (ncap > n->max)
			ncap = n->max;
		if ((nb = realloc(n->b, ncap)) == NULL) {
			n->overflow = true;
			return NULL;
		}
		n->b = nb;
		n->cap = ncap;
	}
	uint8_t *p = n->b + n->len;
	memset(p, 0, NLMSG_ALIGN(len));
	n->len = need;
	return p;
}

size_t
nlmsg_begin(struct nlmsg_buf *n, uint16_t type, uint16_t flags, uint32_t seq,
    uint8_t family, uint16_t res_id)
{
	size_t at = n->len;
	uint8_t *p = grow(n, NLMSG_HDRLEN + sizeof(struct nfgenmsg));
	struct nlmsghdr nlh;
	struct nfgenmsg nfg;

	if (p == NULL)
		return at;
	memset(&nlh, 0, sizeof(nlh));
	nlh.nlmsg_type = type;
	nlh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh.nlmsg_seq = seq;
	memcpy(p, &nlh, sizeof(nlh));
	memset(&nfg, 0, sizeof(nfg));
	nfg.nfgen_family = family;
	nfg.version = NFNETLINK_V0;
	nfg.res_id = htons(res_id);
	memcpy(p + NLMSG_HDRLEN, &nfg, sizeof(nfg));
	return at;
}

void
nlmsg_end(struct nlmsg_buf *n, size_t at)
{
	uint32_t len = (uint32_t)(n->len - at);

	if (!n->overflow)
		memcpy(n->b + at + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
}

size_t
nlmsg_put(struct nlmsg_buf *n, uint16_t type, const void *data, size_t len)
{
	size_t at = n->len;
	struct nlattr nla;
	uint8_t *p;

	if (len > UINT16_MAX - NLA_HDRLEN) {
		n->overflow = true;
		return at;
	}
	if ((p = grow(n, NLA_HDRLEN + len)) == NULL)
		return at;
	nla.nla_len = (uint16_t)(NLA_HDRLEN + len);
	nla.nla_type = type;
	memcpy(p, &nla, sizeof(nla));
	if (len > 0)
		memcpy(p + NLA_HDRLEN, data, len);
	return at;
}

size_t
nlmsg_put_str(struct nlmsg_buf *n, uint16_t type, const char *s)
{
	return nlmsg_put(n, type, s, strlen(s) + 1);
}

size_t
nlmsg_nest_begin(struct nlmsg_buf *n, uint16_t type)
{
	return nlmsg_put(n, (uint16_t)(type | NLA_F_NESTED), NULL, 0);
}

void
nlmsg_nest_end(struct nlmsg_buf *n, size_t at)
{
	struct nlattr nla;

	if (n->overflow)
		return;
	if (n->len - at > UINT16_MAX) {
		n->overflow = true;
		return;
	}
	memcpy(&nla, n->b + at, sizeof(nla));
	nla.nla_len = (uint16_t)(n->len - at);
	memcpy(n->b + at, &nla, sizeof(nla));
}

/* --- reading --- */

int
nlmsg_next(const uint8_t **p, size_t *left, struct nlmsg_view *m)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)), step;

	if (*left == 0)
		return 0;
	if (*left < NLMSG_HDRLEN)
		return -1;
	memcpy(&m->h, *p, sizeof(m->h));
	if (m->h.nlmsg_len < NLMSG_HDRLEN || m->h.nlmsg_len > *left)
		return -1;
	m->data = *p;
	memset(&m->nfg, 0, sizeof(m->nfg));
	m->short_nfg = m->h.nlmsg_len < off;
	if (!m->short_nfg) {
		memcpy(&m->nfg, *p + NLMSG_HDRLEN, sizeof(m->nfg));
		m->attrs = *p + off;
		m->alen = m->h.nlmsg_len - off;
	} else {
		m->attrs = NULL;
		m->alen = 0;
	}
	step = NLMSG_ALIGN(m->h.nlmsg_len);
	if (step > *left)
		step = *left;
	*p += step;
	*left -= step;
	return 1;
}

int
nlmsg_error(const struct nlmsg_view *m, int *err, struct nlmsghdr *req)
{
	struct nlmsgerr ne;

	if (m->h.nlmsg_type != NLMSG_ERROR)
		return 0;
	if (m->h.nlmsg_len < NLMSG_LENGTH(sizeof(ne)))
		return -1;
	memcpy(&ne, m->data + NLMSG_HDRLEN, sizeof(ne));
	*err = -ne.error;
	if (req != NULL)
		*req = ne.msg;
	return 1;
}

int
nlmsg_attr_next(const uint8_t **p, size_t *left, const struct nlattr **a)
{
	struct nlattr nla;
	size_t step;

	if (*left == 0)
		return 0;
	if (*left < NLA_HDRLEN)
		return -1;
	memcpy(&nla, *p, sizeof(nla));
	if (nla.nla_len < NLA_HDRLEN || nla.nla_len > *left)
		return -1;
	*a = (const struct nlattr *)*p;
	step = NLA_ALIGN(nla.nla_len);
	if (step > *left)
		step = *left;
	*p += step;
	*left -= step;
	return 1;
}

int
nlmsg_attr_parse(const uint8_t *p, size_t len, const struct nlattr **tb, unsigned max)
{
	const struct nlattr *a;
	int r;

	memset(tb, 0, (max + 1) * sizeof(*tb));	/* NOLINT(bugprone-sizeof-expression): an array of pointers */
	while ((r = nlmsg_attr_next(&p, &len, &a)) == 1) {
		unsigned type = nlmsg_attr_type(a);
		if (type > max)
			continue;
		if (tb[type] != NULL)
			return -1;
		tb[type] = a;
	}
	return r;
}

const struct nlattr *
nlmsg_attr_find(const uint8_t *p, size_t len, uint16_t type)
{
	const struct nlattr *a;

	while (nlmsg_attr_next(&p, &len, &a) == 1)
		if (nlmsg_attr_type(a) == type)
			return a;
	return NULL;
}

uint16_t
nlmsg_attr_type(const struct nlattr *a)
{
	struct nlattr nla;

	memcpy(&nla, a, sizeof(nla));
	return nla.nla_type & NLA_TYPE_MASK;
}

size_t
nlmsg_attr_len(const struct nlattr *a)
{
	struct nlattr nla;

	memcpy(&nla, a, sizeof(nla));
	return nla.nla_len - NLA_HDRLEN;
}

const uint8_t *
nlmsg_attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

int
nlmsg_attr_be32(const struct nlattr *a, uint32_t *v)
{
	if (a == NULL || nlmsg_attr_len(a) != 4)
		return -1;
	memcpy(v, nlmsg_attr_data(a), 4);
	*v = ntohl(*v);
	return 0;
}

int
nlmsg_attr_be64(const struct nlattr *a, uint64_t *v)
{
	const uint8_t *d;

	if (a == NULL || nlmsg_attr_len(a) != 8)
		return -1;
	d = nlmsg_attr_data(a);
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v = *v << 8 | d[i];
	return 0;
}

bool
nlmsg_attr_is(const struct nlattr *a, const char *s)
{
	size_t n = strlen(s) + 1;

	return a != NULL && nlmsg_attr_len(a) == n && memcmp(nlmsg_attr_data(a), s, n) == 0;
}

/* --- the socket --- */

int
nlmsg_socket(bool nonblock, int timeout_s, uint32_t *portid)
{
	struct sockaddr_nl sa;
	socklen_t salen = sizeof(sa);
	int fd, type = SOCK_RAW | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);

	if ((fd = socket(AF_NETLINK, type, NETLINK_NETFILTER)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (timeout_s > 0) {
		/* A lost reply must not hang the daemon. */
		struct timeval tv = { .tv_sec = timeout_s };
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
			goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) == -1)
		goto fail;
	if (portid != NULL)
		*portid = sa.nl_pid;
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
nlmsg_send(int fd, const struct nlmsg_buf *n)
{
	struct sockaddr_nl sa;
	ssize_t w;

	if (n->overflow) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	w = sendto(fd, n->b, n->len, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (w == (ssize_t)n->len)
		return 0;
	if (w >= 0)
		errno = EIO;
	return -1;
}

ssize_t
nlmsg_recv(int fd, void *buf, size_t len, int flags)
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
