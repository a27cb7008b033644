/* nlmsg.h - the one nfnetlink codec of the enforcer, its read-backs
 * (nfquery.c) and the kernel mirror (kset.c): messages and attributes
 * built into a bounded buffer, and read back through bounds-checked
 * readers that copy headers (kernel buffers may be unaligned for us) and
 * refuse any length past the end. Internal to src/enforcer. */
#ifndef A5_ENF_NLMSG_H
#define A5_ENF_NLMSG_H

#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NFT_TYPE(msg)	((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (msg)))

/* --- building --- */

/* A message buffer with a hard ceiling: growable (nlmsg_buf_init, up to
 * max bytes) or the caller's fixed memory (nlmsg_buf_fixed). Any write
 * past the ceiling, or an attribute or nest longer than 16 bits allow,
 * poisons it: overflow stays set until nlmsg_buf_reset and nothing more
 * is written. */
struct nlmsg_buf {
	uint8_t *b;
	size_t len, cap, max;
	bool grows;		/* b is ours to realloc and free */
	bool overflow;
};

void nlmsg_buf_init(struct nlmsg_buf *n, size_t max);
void nlmsg_buf_fixed(struct nlmsg_buf *n, void *mem, size_t size);
void nlmsg_buf_reset(struct nlmsg_buf *n);
void nlmsg_buf_free(struct nlmsg_buf *n);

/* Starts a message (netlink header, then an nfgenmsg of family and res_id,
 * version 0) with NLM_F_REQUEST | flags and sequence number seq. Returns
 * its offset, for nlmsg_end, which writes its length. */
size_t nlmsg_begin(struct nlmsg_buf *n, uint16_t type, uint16_t flags, uint32_t seq,
    uint8_t family, uint16_t res_id);
void nlmsg_end(struct nlmsg_buf *n, size_t at);
/* Appends an attribute of len bytes (padded with zeros); returns its
 * offset. _str includes the terminating NUL. */
size_t nlmsg_put(struct nlmsg_buf *n, uint16_t type, const void *data, size_t len);
size_t nlmsg_put_str(struct nlmsg_buf *n, uint16_t type, const char *s);
/* A nested attribute: begin, the attributes inside, end (which writes its
 * length). */
size_t nlmsg_nest_begin(struct nlmsg_buf *n, uint16_t type);
void nlmsg_nest_end(struct nlmsg_buf *n, size_t at);

/* --- reading --- */

/* One message of a received buffer: its header (copied), its nfgenmsg
 * (zero when the payload is too short for one) and its attributes. */
struct nlmsg_view {
	struct nlmsghdr h;
	struct nfgenmsg nfg;
	const uint8_t *data;	/* the whole message, header included */
	const uint8_t *attrs;	/* after the nfgenmsg; NULL when short_nfg */
	size_t alen;
	bool short_nfg;		/* no room for an nfgenmsg */
};

/* Takes the next message off [*p, *p + *left). 1, 0 at the end, -1 if the
 * rest is not a whole message (NLMSG_NEXT would run past the end on a last
 * message of unaligned length; this does not). */
int nlmsg_next(const uint8_t **p, size_t *left, struct nlmsg_view *m);
/* For an NLMSG_ERROR message: 1 with *err the error (0 = an ack; else a
 * positive errno), and *req the header of the request it answers. 0 for
 * any other type, -1 for an error message too short to hold its body. */
int nlmsg_error(const struct nlmsg_view *m, int *err, struct nlmsghdr *req);

/* Takes the next attribute off [*p, *p + *left): 1 with *a, 0 at the end,
 * -1 for a header that is short or whose length runs past the end. */
int nlmsg_attr_next(const uint8_t **p, size_t *left, const struct nlattr **a);
/* Splits [p, p+len) into tb[0..max] by type (flag bits masked off); types
 * above max are skipped. -1 on a malformed header, a length past the end,
 * trailing bytes or a repeated type. */
int nlmsg_attr_parse(const uint8_t *p, size_t len, const struct nlattr **tb, unsigned max);
/* The first attribute of type in [p, p+len), or NULL if there is none
 * before the end or a malformed header. */
const struct nlattr *nlmsg_attr_find(const uint8_t *p, size_t len, uint16_t type);
/* An attribute's type (flag bits masked off), payload length and payload. */
uint16_t nlmsg_attr_type(const struct nlattr *a);
size_t nlmsg_attr_len(const struct nlattr *a);
const uint8_t *nlmsg_attr_data(const struct nlattr *a);
/* Big-endian integers of exactly 4 or 8 bytes: 0, or -1 (a NULL a, or
 * another length). */
int nlmsg_attr_be32(const struct nlattr *a, uint32_t *v);
int nlmsg_attr_be64(const struct nlattr *a, uint64_t *v);
/* Whether a is the NUL-terminated string s, exactly. */
bool nlmsg_attr_is(const struct nlattr *a, const char *s);

/* --- the socket --- */

/* A bound NETLINK_NETFILTER socket (needs CAP_NET_ADMIN for anything but
 * reading), non-blocking if asked, with a receive timeout of timeout_s
 * seconds if not 0; *portid its port if not NULL. fd, or -1 with errno. */
int nlmsg_socket(bool nonblock, int timeout_s, uint32_t *portid);
/* Sends n bytes to the kernel in one datagram: 0, or -1 (errno; EMSGSIZE
 * for a poisoned buffer, EIO for a short write). */
int nlmsg_send(int fd, const struct nlmsg_buf *n);
/* Receives one datagram from the kernel: retries on EINTR, skips datagrams
 * from any other sender, and refuses a truncated one (errno EMSGSIZE).
 * Returns its length, or -1 with errno (EAGAIN when a non-blocking or
 * timed-out socket has nothing). */
ssize_t nlmsg_recv(int fd, void *buf, size_t len, int flags);

#endif
