/* enforcer_impl.h - the enforcer's insides, shared by enforcer.c (queue,
 * checks, commit, read-back) and enf_batch.c (how a commit is written:
 * nft commands for the prefix sets, an nfnetlink batch for the address
 * sets). Internal to the enforcer; enforcer.h is the contract. */
#ifndef A5_ENF_IMPL_H
#define A5_ENF_IMPL_H

#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/prefixlist.h"
#include "enforcer/enforcer.h"
#include "enforcer/nfquery.h"
#include "enforcer/nlmsg.h"

/* Elements per `add/delete element` command. nft parses one command into
 * one list before evaluating it; 10k keeps that list small while the number
 * of commands per transaction stays low. */
#define ENF_CHUNK 10000
/* One element is at most ~70 bytes of text ("<ipv6>/nn timeout 49710d6h28m15s, ")
 * and a delete is written twice (see enf_batch_nft), so a full queue fits. */
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
/* A full queue of deletes (each sent twice, see enf_batch_nft) fits, even
 * when no two neighbours share a set (a message per element): 22 MB at
 * worst, allocated only as far as a batch needs it. */
#define ENF_NL_MAX ((size_t)ENF_QUEUE_MAX * 2 * (ENF_NL_ELEM_MAX + ENF_NL_MSG_MAX) + \
    2 * ENF_NL_MSG_MAX)
/* Replies to a batch: errors only, each with the header of the message it
 * refers to (NETLINK_CAP_ACK) or, on a kernel without that option, the
 * whole message (one chunk at most). */
#define ENF_NL_RXBUF (ENF_NL_CHUNK * ENF_NL_ELEM_MAX + 65536)

/* The sets of group g are g * SET_GROUP + (HOST4, HOST6, NET4, NET6). */
enum enf_set {
	SET_HOST4, SET_HOST6, SET_NET4, SET_NET6,
	SET_CHOST4, SET_CHOST6, SET_CNET4, SET_CNET6,
	SET_COUNT
};
#define SET_GROUP 4

extern const char *const enf_set_names[SET_COUNT];

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

static inline bool
is_host(const struct a5_prefix *p)
{
	return p->len == prefix_maxlen(p);
}

/* The set of group g where p goes: addresses and prefixes apart. */
static inline enum enf_set
set_of(int g, const struct a5_prefix *p)
{
	enum enf_set s;

	if (p->family == A5_AF_INET)
		s = is_host(p) ? SET_HOST4 : SET_NET4;
	else
		s = is_host(p) ? SET_HOST6 : SET_NET6;
	return (enum enf_set)(g * SET_GROUP + s);
}

static inline enum enf_set
rec_set(const struct enf_record *r)
{
	return set_of(r->group, &r->prefix);
}

static inline size_t
keylen(const struct a5_prefix *p)
{
	return p->family == A5_AF_INET ? 4 : 16;
}

/* --- enf_batch.c (comments at the definitions) --- */

/* nft command text: emptied, then one `VERB element` command per set with
 * its elements, closed. */
void enf_cmd_reset(struct cmdbuf *c);
void enf_cmd_open(struct cmdbuf *c, const char *verb, enum enf_set s);
void enf_cmd_elem(struct cmdbuf *c, const struct a5_prefix *p, uint32_t ttl, uint16_t ttl_ms,
    bool first);
void enf_cmd_close(struct cmdbuf *c);
/* "1d2h3m4s567ms" as nft writes a timeout. */
void enf_format_timeout(uint32_t secs, unsigned ms, char *buf, size_t n);
/* Runs nft commands: 0, or -1 with nft's reason in why. */
int enf_nft_run(struct enforcer *e, const char *cmds, char *why, size_t whylen);
/* queue[lo, hi) written as nft commands into e->cmd (prefix sets), or as
 * one nfnetlink batch into e->nl (address sets; returns its first
 * sequence number for enf_nl_send). */
void enf_batch_nft(struct enforcer *e, size_t lo, size_t hi);
uint32_t enf_batch_nl(struct enforcer *e, size_t lo, size_t hi);
/* The batch socket: 0, or -1 with err. */
int enf_nl_open(struct enforcer *e, char *err, size_t errlen);
/* Sends e->nl: 0 if the kernel committed it, -1 with why. */
int enf_nl_send(struct enforcer *e, uint32_t first, char *why, size_t whylen);

#endif
