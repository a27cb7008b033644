/* enf_batch.c - writes a commit: nft commands for the prefix sets and the table
 * (libnftables), one nfnetlink batch for the address sets (enforcer_impl.h). */
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
#include "enforcer/enforcer_impl.h"
#include "enforcer/nfquery.h"
#include "enforcer/nlmsg.h"

/* ------------------------------------------------------------ text */

void
enf_cmd_reset(struct cmdbuf *c)
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
void
enf_format_timeout(uint32_t secs, unsigned ms, char *buf, size_t n)
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

/* ------------------------------------------------------------ nft */

int
enf_nft_run(struct enforcer *e, const char *cmds, char *why, size_t whylen)
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

void
enf_cmd_open(struct cmdbuf *c, const char *verb, enum enf_set s)
{
	cmd_printf(c, "%s element inet " ENF_TABLE " %s { ", verb,
	    enf_set_names[s]);
}

/* The hot path of a large commit: no printf, and the timeout text of the
 * previous element reused (a batch mostly shares one ttl). */
void
enf_cmd_elem(struct cmdbuf *c, const struct a5_prefix *p, uint32_t ttl, uint16_t ttl_ms,
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
		enf_format_timeout(ttl, ttl_ms, c->ttl_text, sizeof(c->ttl_text));
		c->ttl_last = ttl;
		c->ttl_ms_last = ttl_ms;
	}
	cmd_append(c, " timeout ", 9);
	cmd_append(c, c->ttl_text, strlen(c->ttl_text));
}

void
enf_cmd_close(struct cmdbuf *c)
{
	cmd_printf(c, " }\n");
}

static void
emit_run(struct enforcer *e, const char *verb, size_t lo, size_t hi,
    bool with_ttl)
{
	enum enf_set s = rec_set(&e->queue[lo]);

	enf_cmd_open(&e->cmd, verb, s);
	for (size_t i = lo; i < hi; i++)
		enf_cmd_elem(&e->cmd, &e->queue[i].prefix, with_ttl ? e->queue[i].ttl : 0,
		    with_ttl ? e->queue[i].ttl_ms : 0, i == lo);
	enf_cmd_close(&e->cmd);
}

/* Writes queue[lo, hi) as commands, keeping record order: consecutive
 * records with the same set and operation share one command of at most
 * ENF_CHUNK elements. A delete is written as "add X; delete X" so that an
 * element that already expired (the usual case for an unban) is not an error
 * that would fail the whole transaction; nft 1.0.6 has no `destroy element`. */
void
enf_batch_nft(struct enforcer *e, size_t lo, size_t hi)
{
	enf_cmd_reset(&e->cmd);
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
	const char *set = enf_set_names[rec_set(&e->queue[lo])];

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
 * enf_batch_nft, a delete again written as add then delete. Returns the
 * sequence number of its first message. */
uint32_t
enf_batch_nl(struct enforcer *e, size_t lo, size_t hi)
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
int
enf_nl_send(struct enforcer *e, uint32_t first, char *why, size_t whylen)
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

int
enf_nl_open(struct enforcer *e, char *err, size_t errlen)
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
