/* nftev.c - nftables set-element notifications per network namespace
 * (see nftev.h). The kernel multicasts every committed change to the
 * ruleset of a namespace to the NFNLGRP_NFTABLES sockets opened in it: a
 * benchmark learns when an element is in the kernel without listing sets
 * or starting a process per sample. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "nftev.h"

static void __attribute__((noreturn))
nftev_die(const char *what, const char *ns)
{
	fprintf(stderr, "nftev: %s %s: %s\n", what, ns, strerror(errno));
	exit(1);
}

int
nft_events_open(const char *ns)
{
	char path[256];
	int self, target, fd;
	struct sockaddr_nl sa;
	int rcvbuf = 8 << 20;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if ((self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		nftev_die("open", "/proc/self/ns/net");
	if ((target = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		nftev_die("open", path);
	if (setns(target, CLONE_NEWNET) != 0)
		nftev_die("setns", path);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
	if (fd < 0)
		nftev_die("netlink socket in", ns);
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = 1u << (NFNLGRP_NFTABLES - 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		nftev_die("netlink bind in", ns);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setns(self, CLONE_NEWNET) != 0)
		nftev_die("setns back from", ns);
	close(self);
	close(target);
	return fd;
}

#define NLA_OK_(a, rem) ((rem) >= (int)sizeof(struct nlattr) && (a)->nla_len >= sizeof(struct nlattr) && \
	(int)(a)->nla_len <= (rem))
#define NLA_NEXT_(a, rem) ((rem) -= NLA_ALIGN((a)->nla_len), \
	(struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))
#define NLA_DATA_(a) ((void *)((char *)(a) + NLA_HDRLEN))
#define NLA_LEN_(a) ((int)(a)->nla_len - NLA_HDRLEN)
#define NLA_TYPE_(a) ((a)->nla_type & NLA_TYPE_MASK)

static bool
nla_str_is(const struct nlattr *a, const char *s)
{
	int n = NLA_LEN_(a);
	const char *p = NLA_DATA_(a);

	return n > 0 && strnlen(p, (size_t)n) == strlen(s) && strncmp(p, s, (size_t)n) == 0;
}

void
nft_events_each(const char *buf, int len, void (*fn)(uint32_t, bool, void *), void *arg)
{
	const struct nlmsghdr *nh;

	for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned)len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM))
			continue;
		int rem = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(struct nfgenmsg));
		struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(nh) +
		    NLMSG_ALIGN(sizeof(struct nfgenmsg)));
		bool table_ok = false, local = false, coalition = false;
		struct nlattr *elems = NULL;

		for (; NLA_OK_(a, rem); a = NLA_NEXT_(a, rem)) {
			switch (NLA_TYPE_(a)) {
			case NFTA_SET_ELEM_LIST_TABLE: table_ok = nla_str_is(a, "article5"); break;
			case NFTA_SET_ELEM_LIST_SET:
				local = nla_str_is(a, "ban4");
				coalition = nla_str_is(a, "cban4");
				break;
			case NFTA_SET_ELEM_LIST_ELEMENTS: elems = a; break;
			}
		}
		if (!table_ok || !(local || coalition) || elems == NULL)
			continue;
		int erem = NLA_LEN_(elems);
		for (struct nlattr *e = NLA_DATA_(elems); NLA_OK_(e, erem); e = NLA_NEXT_(e, erem)) {
			int krem = NLA_LEN_(e);
			for (struct nlattr *k = NLA_DATA_(e); NLA_OK_(k, krem); k = NLA_NEXT_(k, krem)) {
				if (NLA_TYPE_(k) != NFTA_SET_ELEM_KEY)
					continue;
				int vrem = NLA_LEN_(k);
				for (struct nlattr *v = NLA_DATA_(k); NLA_OK_(v, vrem); v = NLA_NEXT_(v, vrem)) {
					uint32_t got;
					if (NLA_TYPE_(v) != NFTA_DATA_VALUE || NLA_LEN_(v) != 4)
						continue;
					memcpy(&got, NLA_DATA_(v), 4);
					fn(got, coalition, arg);
				}
			}
		}
	}
}

struct has_arg {
	uint32_t want;
	bool found;
};

static void
has_visit(uint32_t addr, bool coalition, void *arg)
{
	struct has_arg *h = arg;

	(void)coalition;
	if (addr == h->want)
		h->found = true;
}

bool
nft_events_has(const char *buf, int len, uint32_t want)
{
	struct has_arg h = { want, false };

	nft_events_each(buf, len, has_visit, &h);
	return h.found;
}
