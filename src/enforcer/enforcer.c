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
#include "enforcer/enforcer.h"
#include "enforcer/nfquery.h"
#include "enforcer/nlmsg.h"

/* Elements per `add/delete element` command. nft parses one command into
 * one list before evaluating it; 10k keeps that list small while the number
 * of commands per transaction stays low. */
#define ENF_CHUNK 10000
/* One element is at most ~70 bytes of text ("<ipv6>/nn timeout 49710d6h28m15s, ")
 * and a delete is written twice (see build_batch), so a full queue fits. */
#define ENF_CMD_MAX ((size_t)ENF_QUEUE_MAX * 2 * 96 + 65536)
/* Prefix sets hold escalations, not bulk lists: widening reads one whole
 * prefix set and refuses to read more than this. */
#define ENF_NET_DUMP_MAX 65536
/* Single records refused in one commit, with nothing applied, before the
 * rest of the commit is given up: a systemic failure (no CAP_NET_ADMIN, no
 * memory) would otherwise cost two transactions per record. */
#define ENF_GIVEUP 16
/* How much of nft's error text reaches the log. */
#define ENF_WHY_MAX 256
/* Address elements per NEWSETELEM/DELSETELEM message: a message's element
 * list is one attribute, whose length has 16 bits. An IPv6 element with a
 * timeout takes 40 bytes, so 1024 of them fit with room to spare. */
#define ENF_NL_CHUNK 1024
/* Bytes per element at most (IPv6 key and a timeout), and per message
 * (headers, table and set names). */
#define ENF_NL_ELEM_MAX 40
#define ENF_NL_MSG_MAX 128
/* A full queue of deletes (each sent twice, see build_batch) fits, even
 * when no two neighbours share a set (a message per element): 22 MB at
 * worst, allocated only as far as a batch needs it. */
#define ENF_NL_MAX ((size_t)ENF_QUEUE_MAX * 2 * (ENF_NL_ELEM_MAX + ENF_NL_MSG_MAX) + \
    2 * ENF_NL_MSG_MAX)
/* Replies to a batch: errors only, each with the header of the message it
 * refers to (NETLINK_CAP_ACK) or, on a kernel without that option, the
 * whole message (one chunk at most). */
#define ENF_NL_RXBUF (ENF_NL_CHUNK * ENF_NL_ELEM_MAX + 65536)

/* The record crosses a process boundary one day: its layout stays fixed
 * (group took a byte of what was padding). */
_Static_assert(sizeof(struct enf_record) == 28 &&
    offsetof(struct enf_record, group) == 1 &&
    offsetof(struct enf_record, ttl_ms) == 2 &&
    offsetof(struct enf_record, ttl) == 4 &&
    offsetof(struct enf_record, prefix) == 8, "enf_record layout");

/* The sets of group g are g * SET_GROUP + (HOST4, HOST6, NET4, NET6). */
enum enf_set {
	SET_HOST4, SET_HOST6, SET_NET4, SET_NET6,
	SET_CHOST4, SET_CHOST6, SET_CNET4, SET_CNET6,
	SET_COUNT
};
#define SET_GROUP 4

static const char *const set_names[SET_COUNT] = {
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

/* A growable command text with a hard ceiling; overflow poisons it. */
struct cmdbuf {
	char *b;
	size_t len, cap;
	bool overflow;
	uint32_t ttl_last;	/* ttl_text is the timeout text of ttl_last */
	uint16_t ttl_ms_last;	/* and ttl_ms_last */
	char ttl_text[32];
};

struct enforcer {
	bool observe;
	bool drop_logged;
	bool destroyed;		/* enf_destroy_table ran: do not recreate */
	bool giveup;		/* this commit failed systemically */
	unsigned commit_failed;	/* records refused in this commit */
	uint64_t commit_applied0; /* stats.applied when this commit began */
	uint32_t ttl_max;
	struct prefixlist *allow;
	struct nft_ctx *nft;
	struct nfq *nfq;
	struct enf_record *queue;
	struct enf_record *scratch;	/* enf_commit's partition of the queue */
	unsigned nqueue;
	struct enf_stats stats;
	struct cmdbuf cmd;
	/* address sets: nfnetlink batches on a socket of our own */
	int nlfd;
	uint32_t nlseq;
	int nlsndbuf;		/* the socket's send buffer as last set */
	struct nlmsg_buf nl;	/* growable up to ENF_NL_MAX */
	uint8_t *nlrx;		/* ENF_NL_RXBUF bytes */
};

/* ------------------------------------------------------------ text */

static void
cmd_reset(struct cmdbuf *c)
{
	c->len = 0;
	c->overflow = false;
	if (c->b != NULL)
		c->b[0] = '\0';
}

/* Makes room for n more bytes and a NUL; false, and the text poisoned, past
 * the ceiling. */
static bool
cmd_reserve(struct cmdbuf *c, size_t n)
{
	size_t need = c->len + n + 1, ncap;
	char *nb;

	if (c->overflow)
		return false;
	if (need <= c->cap)
		return true;
	if (need > ENF_CMD_MAX) {
		c->overflow = true;
		return false;
	}
	for (ncap = c->cap ? c->cap : 65536; ncap < need; ncap *= 2)
		;
	if (ncap > ENF_CMD_MAX)
		ncap = ENF_CMD_MAX;
	if ((nb = realloc(c->b, ncap)) == NULL) {
		c->overflow = true;
		return false;
	}
	c->b = nb;
	c->cap = ncap;
	return true;
}

static void
cmd_append(struct cmdbuf *c, const char *s, size_t n)
{
	if (!cmd_reserve(c, n))
		return;
	memcpy(c->b + c->len, s, n);
	c->len += n;
	c->b[c->len] = '\0';
}

static void cmd_printf(struct cmdbuf *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cmd_printf(struct cmdbuf *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->overflow = true;
		return;
	}
	if (!cmd_reserve(c, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(c->b + c->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	c->len += (size_t)n;
}

/* nft takes at most 8 digits per unit, so 4294967295 s must be written as
 * 49710d6h28m15s rather than in seconds. */
static void
format_timeout(uint32_t secs, unsigned ms, char *buf, size_t n)
{
	unsigned d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60,
	    s = secs % 60;
	size_t used = 0;

	buf[0] = '\0';
	if (d)
		used += (size_t)snprintf(buf + used, n - used, "%ud", d);
	if (h && used < n)
		used += (size_t)snprintf(buf + used, n - used, "%uh", h);
	if (m && used < n)
		used += (size_t)snprintf(buf + used, n - used, "%um", m);
	if ((s || (used == 0 && ms == 0)) && used < n)
		used += (size_t)snprintf(buf + used, n - used, "%us", s);
	if (ms && used < n)
		snprintf(buf + used, n - used, "%ums", ms);
}

/* Reduces nft's error text ("Error: what\n<command>\n   ^^^^\n") to
 * "what: `token'", the token being the part of the command the carets mark
 * (usually the offending element), so a 10k-element command never floods the
 * log. nft 1.0.6 echoes the first line of a multi-line buffer with the carets
 * of the line that failed, so the token is only taken from one-line input. */
static void
trim_error(const char *text, bool one_line, char *why, size_t n)
{
	const char *msg, *eol, *cmdline, *carets;
	size_t mlen;

	if (text == NULL || *text == '\0') {
		snprintf(why, n, "(no error text)");
		return;
	}
	msg = strstr(text, "Error: ");
	msg = msg ? msg + 7 : text;
	eol = strchr(msg, '\n');
	mlen = eol ? (size_t)(eol - msg) : strlen(msg);
	if (mlen > n / 2)
		mlen = n / 2;
	snprintf(why, n, "%.*s", (int)mlen, msg);
	if (eol == NULL || !one_line)
		goto clean;
	cmdline = eol + 1;
	if ((eol = strchr(cmdline, '\n')) == NULL)
		goto clean;
	carets = eol + 1;
	const char *first = strchr(carets, '^');
	const char *nl = strchr(carets, '\n');
	if (first == NULL || (nl != NULL && first > nl))
		goto clean;
	size_t from = (size_t)(first - carets), to = from;
	while (carets[to] == '^')
		to++;
	size_t linelen = (size_t)(eol - cmdline);
	if (from < linelen) {
		if (to > linelen)
			to = linelen;
		size_t tlen = to - from, used = strlen(why);
		if (tlen > 64)
			snprintf(why + used, n - used, ": `%.*s...'", 64,
			    cmdline + from);
		else
			snprintf(why + used, n - used, ": `%.*s'", (int)tlen,
			    cmdline + from);
	}
clean:
	for (char *p = why; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
}

/* ------------------------------------------------------------ records */

static bool
is_host(const struct a5_prefix *p)
{
	return p->len == prefix_maxlen(p);
}

/* The set of group g where p goes: addresses and prefixes apart. */
static enum enf_set
set_of(int g, const struct a5_prefix *p)
{
	enum enf_set s;

	if (p->family == A5_AF_INET)
		s = is_host(p) ? SET_HOST4 : SET_NET4;
	else
		s = is_host(p) ? SET_HOST6 : SET_NET6;
	return (enum enf_set)(g * SET_GROUP + s);
}

static enum enf_set
rec_set(const struct enf_record *r)
{
	return set_of(r->group, &r->prefix);
}

static size_t
keylen(const struct a5_prefix *p)
{
	return p->family == A5_AF_INET ? 4 : 16;
}

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
		format_timeout(r->ttl, r->ttl_ms, t, sizeof(t));
		snprintf(buf, n, "ban %s for %s%s", p, t, g);
	}
}

/* ------------------------------------------------------------ nft */

static int
nft_run(struct enforcer *e, const char *cmds, char *why, size_t whylen)
{
	int rc;

	if (cmds == NULL || (e->cmd.overflow && cmds == e->cmd.b)) {
		snprintf(why, whylen, "command text exceeds %zu bytes",
		    (size_t)ENF_CMD_MAX);
		return -1;
	}
	rc = nft_run_cmd_from_buffer(e->nft, cmds);
	/* Reading the buffers also empties them for the next command. */
	const char *errtext = nft_ctx_get_error_buffer(e->nft);
	(void)nft_ctx_get_output_buffer(e->nft);
	if (rc != 0) {
		const char *nl = strchr(cmds, '\n');
		trim_error(errtext, nl == NULL || nl[1] == '\0', why, whylen);
		return -1;
	}
	return 0;
}

static void
cmd_open(struct cmdbuf *c, const char *verb, enum enf_set s)
{
	cmd_printf(c, "%s element inet " ENF_TABLE " %s { ", verb,
	    set_names[s]);
}

/* The hot path of a large commit: no printf, and the timeout text of the
 * previous element reused (a batch mostly shares one ttl). */
static void
cmd_elem(struct cmdbuf *c, const struct a5_prefix *p, uint32_t ttl, uint16_t ttl_ms,
    bool first)
{
	char a[A5_PREFIX_STRLEN];

	if (is_host(p))
		addr_format(p, a, sizeof(a));
	else
		prefix_format(p, a, sizeof(a));
	if (!first)
		cmd_append(c, ", ", 2);
	cmd_append(c, a, strlen(a));
	if (ttl == 0 && ttl_ms == 0)
		return;
	if (ttl != c->ttl_last || ttl_ms != c->ttl_ms_last || c->ttl_text[0] == '\0') {
		format_timeout(ttl, ttl_ms, c->ttl_text, sizeof(c->ttl_text));
		c->ttl_last = ttl;
		c->ttl_ms_last = ttl_ms;
	}
	cmd_append(c, " timeout ", 9);
	cmd_append(c, c->ttl_text, strlen(c->ttl_text));
}

static void
cmd_close(struct cmdbuf *c)
{
	cmd_printf(c, " }\n");
}

static void
emit_run(struct enforcer *e, const char *verb, size_t lo, size_t hi,
    bool with_ttl)
{
	enum enf_set s = rec_set(&e->queue[lo]);

	cmd_open(&e->cmd, verb, s);
	for (size_t i = lo; i < hi; i++)
		cmd_elem(&e->cmd, &e->queue[i].prefix, with_ttl ? e->queue[i].ttl : 0,
		    with_ttl ? e->queue[i].ttl_ms : 0, i == lo);
	cmd_close(&e->cmd);
}

/* Writes queue[lo, hi) as commands, keeping record order: consecutive
 * records with the same set and operation share one command of at most
 * ENF_CHUNK elements. A delete is written as "add X; delete X" so that an
 * element that already expired (the usual case for an unban) is not an error
 * that would fail the whole transaction; nft 1.0.6 has no `destroy element`. */
static void
build_batch(struct enforcer *e, size_t lo, size_t hi)
{
	cmd_reset(&e->cmd);
	for (size_t i = lo; i < hi;) {
		enum enf_set s = rec_set(&e->queue[i]);
		uint8_t op = e->queue[i].op;
		size_t j = i;

		while (j < hi && j - i < ENF_CHUNK && e->queue[j].op == op &&
		    rec_set(&e->queue[j]) == s)
			j++;
		if (op == ENF_ADD)
			emit_run(e, "add", i, j, true);
		else {
			emit_run(e, "add", i, j, false);
			emit_run(e, "delete", i, j, false);
		}
		i = j;
	}
}

/* ------------------------------------------------------------ netlink */

/* Address sets (hash sets) skip libnftables: the records are written as one
 * nfnetlink batch, the same messages `nft add element` sends (checked with
 * `nft --debug=mnl`), without its text parser and without the cache it
 * refills before every command (8 request/response pairs, and a read of
 * every interval set's elements). Prefix sets stay with libnftables, whose
 * evaluation of intervals (start and end elements, overlaps) is not worth
 * repeating here. */

/* Starts a message of the batch; returns its offset, for nlmsg_end. */
static size_t
nl_msg_begin(struct enforcer *e, uint16_t type, uint16_t flags, uint8_t family,
    uint16_t res_id)
{
	return nlmsg_begin(&e->nl, type, flags, ++e->nlseq, family, res_id);
}

/* One NEWSETELEM (add) or DELSETELEM message per ENF_NL_CHUNK records of
 * queue[lo, hi), all of one address set. */
static void
nl_emit_run(struct enforcer *e, uint8_t msg, size_t lo, size_t hi, bool with_ttl)
{
	const char *set = set_names[rec_set(&e->queue[lo])];

	for (size_t i = lo; i < hi; i += ENF_NL_CHUNK) {
		size_t end = hi - i > ENF_NL_CHUNK ? i + ENF_NL_CHUNK : hi;
		size_t m = nl_msg_begin(e, NFT_TYPE(msg),
		    msg == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, NFPROTO_INET, 0);
		nlmsg_put_str(&e->nl, NFTA_SET_ELEM_LIST_TABLE, ENF_TABLE);
		nlmsg_put_str(&e->nl, NFTA_SET_ELEM_LIST_SET, set);
		size_t list = nlmsg_nest_begin(&e->nl, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (size_t j = i; j < end; j++) {
			const struct enf_record *r = &e->queue[j];
			size_t el = nlmsg_nest_begin(&e->nl, NFTA_LIST_ELEM);
			size_t key = nlmsg_nest_begin(&e->nl, NFTA_SET_ELEM_KEY);
			nlmsg_put(&e->nl, NFTA_DATA_VALUE, r->prefix.addr, keylen(&r->prefix));
			nlmsg_nest_end(&e->nl, key);
			if (with_ttl && (r->ttl != 0 || r->ttl_ms != 0)) {
				uint64_t ms = htobe64((uint64_t)r->ttl * 1000 + r->ttl_ms);
				nlmsg_put(&e->nl, NFTA_SET_ELEM_TIMEOUT, &ms, sizeof(ms));
			}
			nlmsg_nest_end(&e->nl, el);
		}
		nlmsg_nest_end(&e->nl, list);
		nlmsg_end(&e->nl, m);
	}
}

/* queue[lo, hi), all address records, as one batch: the same runs as
 * build_batch, a delete again written as add then delete. Returns the
 * sequence number of its first message. */
static uint32_t
nl_build_batch(struct enforcer *e, size_t lo, size_t hi)
{
	nlmsg_buf_reset(&e->nl);
	size_t b = nl_msg_begin(e, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	uint32_t first = e->nlseq;
	nlmsg_end(&e->nl, b);
	for (size_t i = lo; i < hi;) {
		enum enf_set s = rec_set(&e->queue[i]);
		uint8_t op = e->queue[i].op;
		size_t j = i;

		while (j < hi && e->queue[j].op == op && rec_set(&e->queue[j]) == s)
			j++;
		if (op == ENF_ADD)
			nl_emit_run(e, NFT_MSG_NEWSETELEM, i, j, true);
		else {
			nl_emit_run(e, NFT_MSG_NEWSETELEM, i, j, false);
			nl_emit_run(e, NFT_MSG_DELSETELEM, i, j, false);
		}
		i = j;
	}
	b = nl_msg_begin(e, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nlmsg_end(&e->nl, b);
	return first;
}

/* The first error among the kernel's replies to the batch whose messages
 * are numbered first..e->nlseq, as "strerror: the kernel's message". */
static void
nl_error_text(const struct nlmsg_view *m, int err, const struct nlmsghdr *req,
    char *why, size_t whylen)
{
	const char *msg = NULL;
	size_t mlen = 0;

	/* Extended ack: attributes after the error and the (capped) request. */
	if (m->h.nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
		if (!(m->h.nlmsg_flags & NLM_F_CAPPED))
			off += NLMSG_ALIGN(req->nlmsg_len) - NLMSG_HDRLEN;
		const uint8_t *p = m->data + off;
		size_t left = m->h.nlmsg_len > off ? m->h.nlmsg_len - off : 0;
		const struct nlattr *a;
		while (nlmsg_attr_next(&p, &left, &a) == 1)
			if (nlmsg_attr_type(a) == NLMSGERR_ATTR_MSG) {
				msg = (const char *)nlmsg_attr_data(a);
				mlen = strnlen(msg, nlmsg_attr_len(a));
				break;
			}
	}
	if (mlen > 0)
		snprintf(why, whylen, "%s: %.*s", strerror(err), (int)mlen, msg);
	else
		snprintf(why, whylen, "%s", strerror(err));
	for (char *c = why; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
}

/* Sends the batch in e->nl. nfnetlink handles a batch within the send
 * call, so when sendto returns every reply is already queued on the
 * socket: an error reply means the kernel refused the transaction (and
 * applied none of it), none means it committed. 0, or -1 with why. */
static int
nl_send(struct enforcer *e, uint32_t first, char *why, size_t whylen)
{
	int rc = 0, err = 0;

	if (e->nl.overflow) {
		snprintf(why, whylen, "netlink batch exceeds %zu bytes", (size_t)ENF_NL_MAX);
		return -1;
	}
	/* A netlink message goes in one piece: the send buffer must hold it. */
	if (e->nl.len + 4096 > (size_t)e->nlsndbuf) {
		int want = (int)(e->nl.len + 65536);
		if (setsockopt(e->nlfd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) == 0 ||
		    setsockopt(e->nlfd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) == 0)
			e->nlsndbuf = want;
	}
	if (nlmsg_send(e->nlfd, &e->nl) != 0) {
		snprintf(why, whylen, "sending the netlink batch: %s",
		    errno == EIO ? "short write" : strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t got = nlmsg_recv(e->nlfd, e->nlrx, ENF_NL_RXBUF, MSG_DONTWAIT);
		if (got < 0) {
			int saved = errno;
			if (saved == EAGAIN || saved == EWOULDBLOCK)
				break;
			/* ENOBUFS: replies were lost, so whether it committed
			 * is unknown; it counts as refused (a retry is harmless:
			 * adds and add-then-delete are idempotent). */
			if (rc == 0)
				snprintf(why, whylen, "reading the kernel's replies: %s",
				    strerror(saved));
			rc = -1;
			if (saved != ENOBUFS && saved != EMSGSIZE)
				break;
			continue;
		}
		const uint8_t *p = e->nlrx;
		size_t left = (size_t)got;
		struct nlmsg_view m;
		while (nlmsg_next(&p, &left, &m) == 1) {
			struct nlmsghdr req;
			int merr;
			if (nlmsg_error(&m, &merr, &req) != 1)
				continue;
			/* replies to an earlier batch would be a bug; skipped */
			if (merr == 0 || req.nlmsg_seq - first > e->nlseq - first)
				continue;
			if (err == 0) {
				err = merr;
				nl_error_text(&m, err, &req, why, whylen);
			}
			rc = -1;
		}
	}
	return rc;
}

static int
nl_open(struct enforcer *e, char *err, size_t errlen)
{
	int one = 1;
	socklen_t len = sizeof(e->nlsndbuf);

	nlmsg_buf_init(&e->nl, ENF_NL_MAX);
	if ((e->nlfd = nlmsg_socket(false, 0, NULL)) < 0 ||
	    getsockopt(e->nlfd, SOL_SOCKET, SO_SNDBUF, &e->nlsndbuf, &len) != 0) {
		snprintf(err, errlen, "enforcer: netlink socket: %s", strerror(errno));
		return -1;
	}
	/* Error replies carry the header of the refused message, not all of
	 * it, and the kernel's reason when it has one; older kernels lack
	 * these options and send the whole message (ENF_NL_RXBUF holds it). */
	(void)setsockopt(e->nlfd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(e->nlfd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if ((e->nlrx = malloc(ENF_NL_RXBUF)) == NULL) {
		snprintf(err, errlen, "enforcer: %s", strerror(errno));
		return -1;
	}
	return 0;
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

	rc = nfq_get(e->nfq, ENF_TABLE, set_names[s], p->addr, klen, s1);
	if (rc <= 0 || is_host(p))
		return rc;
	prefix_last(p, last);
	rc = nfq_get(e->nfq, ENF_TABLE, set_names[s], last, klen, s2);
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

	rc = nfq_get(e->nfq, ENF_TABLE, set_names[s], p->addr, klen, s1);
	if (rc <= 0 || is_host(p))
		return rc;
	if (memcmp(s1, p->addr, klen) != 0)
		return 0;
	prefix_last(p, last);
	if ((rc = nfq_get(e->nfq, ENF_TABLE, set_names[s], last, klen, s2)) <= 0)
		return rc;
	if (memcmp(s1, s2, klen) != 0)
		return 0;
	if (addr_inc(last, klen))
		return 1;
	if ((rc = nfq_get(e->nfq, ENF_TABLE, set_names[s], last, klen, s3)) < 0)
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
		rc = nfq_dump(e->nfq, ENF_TABLE, set_names[s], klen,
		    ENF_NET_DUMP_MAX, collect, &l);
	} while (rc == -1 && errno == EAGAIN && ++tries < 3);
	if (rc == -1) {
		snprintf(why, whylen, "reading set %s: %s", set_names[s],
		    strerror(errno));
		goto done;
	}
	rc = -1;
	qsort(l.v, l.n, sizeof(*l.v), dumped_cmp);
	cmd_reset(&e->cmd);
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
				cmd_close(&e->cmd);
			cmd_open(&e->cmd, "delete", s);
		}
		cmd_elem(&e->cmd, &q, 0, 0, ninner % ENF_CHUNK == 0);
		ninner++;
	}
	if (ninner == 0) {
		snprintf(why, whylen, "overlaps an element that is not a "
		    "narrower prefix");
		goto done;
	}
	cmd_close(&e->cmd);
	cmd_open(&e->cmd, "add", s);
	cmd_elem(&e->cmd, &r->prefix, r->ttl, r->ttl_ms, true);
	cmd_close(&e->cmd);
	e->stats.commits++;
	if (nft_run(e, e->cmd.b, why, whylen) == 0) {
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
		rc = nfq_set_exists(e->nfq, ENF_TABLE, set_names[s]);
	if (rc != 0)
		return 0;
	log_warnx("enforcer: table inet %s or one of its sets is gone "
	    "(nft flush ruleset?); recreating it", ENF_TABLE);
	e->stats.commits++;
	if (nft_run(e, setup_cmds, why, sizeof(why)) != 0) {
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
		return nl_send(e, nl_build_batch(e, lo, hi), why, whylen);
	build_batch(e, lo, hi);
	return nft_run(e, e->cmd.b, why, whylen);
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
	if (nft_run(e, setup_cmds, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "enforcer: setting up table inet %s: %s "
		    "(if the sets exist with another layout, delete the table: "
		    "nft delete table inet %s)", ENF_TABLE, why, ENF_TABLE);
		goto fail;
	}
	if ((e->nfq = nfq_open(err, errlen)) == NULL || nl_open(e, err, errlen) != 0)
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
	if (nft_run(e, cmds, why, sizeof(why)) == 0)
		return 0;
	/* One set gone (a hand `delete set`, `nft flush ruleset`) fails the
	 * whole transaction, and would fail every flush after it. A missing
	 * set holds no ban, so the goal is reached by setting the table up
	 * again (which also restores the drop rules a `delete set` needed
	 * removed) and flushing once more. Not after enf_destroy_table. */
	if (repair_if_gone(e)) {
		e->stats.commits++;
		if (nft_run(e, cmds, why, sizeof(why)) == 0)
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
		rc = nfq_get(e->nfq, ENF_TABLE, set_names[set_of(group, p)],
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
	if (nft_run(e, cmds, why, sizeof(why)) != 0) {
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
