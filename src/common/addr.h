/* addr.h - binary IPv4/IPv6 addresses and prefixes, parsed strictly from text. */
#ifndef A5_ADDR_H
#define A5_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define A5_AF_INET  4
#define A5_AF_INET6 6

/* Longest text form: full IPv6 with embedded IPv4 plus "/128" and NUL. */
#define A5_PREFIX_STRLEN 52

/* An address is a prefix of full length (32 or 128). IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) are always stored as IPv4. Host bits beyond
 * len are always zero. */
struct a5_prefix {
	uint8_t family;		/* A5_AF_INET or A5_AF_INET6 */
	uint8_t len;		/* prefix length in bits */
	uint8_t addr[16];	/* network byte order; IPv4 uses addr[0..3] */
};

/* Parses one address (no length) from s[0..n). Refuses anything that is not
 * a plain dotted-quad or RFC 4291 text form, the unspecified address, and
 * octets with leading zeros (ambiguous: octal to some parsers). 0 or -1. */
int addr_parse(const char *s, size_t n, struct a5_prefix *out);

/* Parses ADDR or ADDR/LEN. Host bits set beyond LEN are an error, so that
 * "10.0.0.1/8" is refused rather than silently widened. 0 or -1. It also
 * reads IPv4-mapped ranges ("::ffff:0:0/96", for the special-purpose
 * table), which prefix_check refuses: text from outside (configuration,
 * charter, control requests) is checked with prefix_check after it. */
int prefix_parse(const char *s, size_t n, struct a5_prefix *out);

/* Clears host bits beyond len (len is clamped to the family's width). */
void prefix_truncate(struct a5_prefix *p, unsigned len);

unsigned prefix_maxlen(const struct a5_prefix *p);
/* Whether p is in canonical form: a known family, len within it, every bit
 * after len zero (bytes 4..15 of IPv4 included), and no IPv4-mapped IPv6
 * spelling of IPv4 hosts. NULL when it is, else what is wrong. Binary
 * prefixes from the network or another process go through this. */
const char *prefix_check(const struct a5_prefix *p);
bool prefix_equal(const struct a5_prefix *a, const struct a5_prefix *b);
/* True if inner lies inside outer (same family, outer->len <= inner->len). */
bool prefix_contains(const struct a5_prefix *outer, const struct a5_prefix *inner);
/* True if the two prefixes share any address. */
bool prefix_overlaps(const struct a5_prefix *a, const struct a5_prefix *b);

/* IPv6 forms that stand for one IPv4 client: NAT64 (RFC 6052 well-known
 * prefix 64:ff9b::/96, and RFC 8215 local-use 64:ff9b:1::/48 read with a /96
 * prefix, the usual choice), 6to4 (RFC 3056, 2002:V4::/48) and Teredo
 * (RFC 4380, 2001:0::/32, the client's address inverted in the last 32
 * bits). For such an address (or a prefix at least as long as its form)
 * returns the length of the narrowest IPv6 prefix that holds only that
 * client's addresses of this form (128 for NAT64 and Teredo, 48 for 6to4),
 * and fills v4 with the client's IPv4 address. When the IPv4 address cannot
 * be recovered (the /64 around 64:ff9b::/96 outside it, a local-use prefix
 * of another length, an embedded 0.0.0.0/8 or x.0.0.0) v4 gets a itself cut
 * to that length: one client still, whom we cannot name. Returns 0 for
 * every other address, and v4 is then untouched. */
unsigned addr_embedded_ipv4(const struct a5_prefix *a, struct a5_prefix *v4);

/* Writes "192.0.2.1" for a full-length prefix, "2001:db8::/64" otherwise
 * (and "::/128" for the unspecified address, which is no host: the text
 * parses back to the same prefix). Always NUL-terminates; buf must hold A5_PREFIX_STRLEN. */
void prefix_format(const struct a5_prefix *p, char *buf, size_t n);
/* Like prefix_format but always writes the address part only. */
void addr_format(const struct a5_prefix *p, char *buf, size_t n);

#endif
