/* addr.c - strict text <-> binary conversion of IPv4/IPv6 addresses and prefixes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"

/* Whether b[0..n) is all zero bytes. Addresses are no secret: no need for
 * sodium_is_zero's constant time, a library call per parsed address (2%
 * of `scan`). */
static bool
bytes_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* Dotted quad, decimal only, no leading zeros, exactly four octets. */
static int
parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int octet = 0; octet < 4; octet++) {
		unsigned v = 0, digits = 0;

		if (octet > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits > 0 && v == 0)
				return -1;	/* leading zero */
			v = v * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || v > 255)
				return -1;
			i++;
		}
		if (digits == 0)
			return -1;
		out[octet] = (uint8_t)v;
	}
	return i == n ? 0 : -1;
}

static int
parse_ipv6(const char *s, size_t n, uint8_t out[16])
{
	char tmp[INET6_ADDRSTRLEN];

	/* inet_pton is strict about RFC 4291 forms; only its input is bounded here. */
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			return -1;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

int
addr_parse(const char *s, size_t n, struct a5_prefix *out)
{
	static const uint8_t mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
	uint8_t b[16];

	memset(out, 0, sizeof(*out));
	if (memchr(s, ':', n) == NULL) {
		if (parse_ipv4(s, n, b) != 0 || bytes_zero(b, 4))
			return -1;
		out->family = A5_AF_INET;
		out->len = 32;
		memcpy(out->addr, b, 4);
		return 0;
	}
	if (parse_ipv6(s, n, b) != 0 || bytes_zero(b, 16))
		return -1;
	if (memcmp(b, mapped, sizeof(mapped)) == 0) {
		if (bytes_zero(b + 12, 4))
			return -1;
		out->family = A5_AF_INET;
		out->len = 32;
		memcpy(out->addr, b + 12, 4);
		return 0;
	}
	out->family = A5_AF_INET6;
	out->len = 128;
	memcpy(out->addr, b, 16);
	return 0;
}

unsigned
prefix_maxlen(const struct a5_prefix *p)
{
	return p->family == A5_AF_INET ? 32 : 128;
}

void
prefix_truncate(struct a5_prefix *p, unsigned len)
{
	unsigned max = prefix_maxlen(p);

	if (len > max)
		len = max;
	p->len = (uint8_t)len;
	/* Whole bytes, not bits: every received report passes here several
	 * times (decode, acceptance, both processes' checks). */
	unsigned byte = len / 8;
	if (len % 8 != 0)
		p->addr[byte++] &= (uint8_t)(0xff00u >> (len % 8));
	memset(p->addr + byte, 0, sizeof(p->addr) - byte);
}

/* Whether every bit of addr from bit len on is zero. */
static bool
host_bits_zero(const uint8_t *addr, unsigned len)
{
	unsigned byte = len / 8;

	if (len % 8 != 0 && (addr[byte++] & (uint8_t)(0xffu >> (len % 8))) != 0)
		return false;
	for (; byte < 16; byte++)
		if (addr[byte] != 0)
			return false;
	return true;
}

int
prefix_parse(const char *s, size_t n, struct a5_prefix *out)
{
	const char *slash = memchr(s, '/', n);
	struct a5_prefix p;
	unsigned len = 0;

	if (slash == NULL)
		return addr_parse(s, n, out);
	size_t alen = (size_t)(slash - s), llen = n - alen - 1;
	if (llen == 0 || llen > 3)
		return -1;
	for (size_t i = 0; i < llen; i++) {
		char c = slash[1 + i];
		if (c < '0' || c > '9' || (i == 0 && c == '0' && llen > 1))
			return -1;
		len = len * 10 + (unsigned)(c - '0');
	}
	/* The unspecified address is legal as a network ("::/0"); parse it here. */
	memset(&p, 0, sizeof(p));
	if (memchr(s, ':', alen) == NULL) {
		if (parse_ipv4(s, alen, p.addr) != 0)
			return -1;
		p.family = A5_AF_INET;
	} else {
		if (parse_ipv6(s, alen, p.addr) != 0)
			return -1;
		p.family = A5_AF_INET6;
	}
	if (len > prefix_maxlen(&p))
		return -1;
	struct a5_prefix t = p;
	prefix_truncate(&t, len);
	if (memcmp(t.addr, p.addr, sizeof(p.addr)) != 0)
		return -1;	/* host bits set */
	*out = t;
	return 0;
}

const char *
prefix_check(const struct a5_prefix *p)
{
	static const uint8_t mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

	if (p->family != A5_AF_INET && p->family != A5_AF_INET6)
		return "unknown address family";
	if (p->len > prefix_maxlen(p))
		return "prefix length out of range";
	if (!host_bits_zero(p->addr, p->len))
		return "host bits set beyond the prefix length";
	/* addr_parse stores IPv4-mapped addresses as IPv4; a second spelling
	 * of the same hosts would slip past prefix comparisons. */
	if (p->family == A5_AF_INET6 && p->len >= 96 && memcmp(p->addr, mapped, 12) == 0)
		return "IPv4-mapped IPv6 prefix (use the IPv4 form)";
	return NULL;
}

bool
prefix_equal(const struct a5_prefix *a, const struct a5_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	    memcmp(a->addr, b->addr, 16) == 0;
}

/* The first 16 bytes of an address, big-endian, as two words. */
static void
addr_words(const uint8_t *a, uint64_t w[2])
{
	w[0] = w[1] = 0;
	for (int i = 0; i < 8; i++) {
		w[0] = w[0] << 8 | a[i];
		w[1] = w[1] << 8 | a[8 + i];
	}
}

/* Whether the first len bits (0..128) of a and b agree. Two masked word
 * compares: the acceptance pipeline runs this against every member prefix
 * and special-purpose range for each received report. */
static bool
bits_equal(const uint8_t *a, const uint8_t *b, unsigned len)
{
	uint64_t x[2], y[2];

	if (len == 0)
		return true;
	if (len > 128)
		len = 128;	/* unchecked prefixes: the whole address */
	addr_words(a, x);
	addr_words(b, y);
	if (len <= 64)
		return ((x[0] ^ y[0]) & (~UINT64_C(0) << (64 - len))) == 0;
	return x[0] == y[0] && ((x[1] ^ y[1]) & (~UINT64_C(0) << (128 - len))) == 0;
}

bool
prefix_contains(const struct a5_prefix *outer, const struct a5_prefix *inner)
{
	return outer->family == inner->family && outer->len <= inner->len &&
	    bits_equal(outer->addr, inner->addr, outer->len);
}

bool
prefix_overlaps(const struct a5_prefix *a, const struct a5_prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

/* Fills v4 from 4 bytes, refusing what no client sends from: 0.0.0.0/8,
 * and x.0.0.0, which is what the other RFC 6052 layouts leave in the last
 * 32 bits of a local-use address (the suffix is zero). */
static bool
v4_from(const uint8_t b[4], uint8_t xor, struct a5_prefix *v4)
{
	uint8_t c[4];

	for (int i = 0; i < 4; i++)
		c[i] = (uint8_t)(b[i] ^ xor);
	if (c[0] == 0 || (c[1] == 0 && c[2] == 0 && c[3] == 0))
		return false;
	memset(v4, 0, sizeof(*v4));
	v4->family = A5_AF_INET;
	v4->len = 32;
	memcpy(v4->addr, c, 4);
	return true;
}

unsigned
addr_embedded_ipv4(const struct a5_prefix *a, struct a5_prefix *v4)
{
	static const uint8_t nat64[4] = { 0x00, 0x64, 0xff, 0x9b };
	const uint8_t *b = a->addr;
	struct a5_prefix c;
	unsigned form;
	bool ok;

	if (a->family != A5_AF_INET6)
		return 0;
	if (memcmp(b, nat64, 4) == 0 && bytes_zero(b + 4, 4)) {
		/* 64:ff9b::/64: the well-known /96 and the rest of its /64,
		 * which an aggregate of any of them would cover. */
		form = 128;
		ok = bytes_zero(b + 8, 4) && v4_from(b + 12, 0, &c);
	} else if (memcmp(b, nat64, 4) == 0 && b[4] == 0 && b[5] == 1) {
		form = 128;
		/* RFC 6052: bits 64..71 are zero in every layout */
		ok = b[8] == 0 && v4_from(b + 12, 0, &c);
	} else if (b[0] == 0x20 && b[1] == 0x02) {
		form = 48;
		ok = v4_from(b + 2, 0, &c);
	} else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
		form = 128;
		ok = v4_from(b + 12, 0xff, &c);
	} else
		return 0;
	if (a->len < form)
		return 0;	/* wider than one client: not an address of the form */
	if (!ok) {
		c = *a;
		prefix_truncate(&c, form);
	}
	*v4 = c;
	return form;
}

void
addr_format(const struct a5_prefix *p, char *buf, size_t n)
{
	if (n == 0)
		return;
	if (inet_ntop(p->family == A5_AF_INET ? AF_INET : AF_INET6, p->addr,
	    buf, (socklen_t)n) == NULL)
		snprintf(buf, n, "?");
}

void
prefix_format(const struct a5_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	addr_format(p, a, sizeof(a));
	/* The unspecified address keeps its length ("::/128"): alone it is
	 * no host, and addr_parse would refuse the text. */
	if (p->len == prefix_maxlen(p) && !bytes_zero(p->addr, sizeof(p->addr)))
		snprintf(buf, n, "%s", a);
	else
		snprintf(buf, n, "%s/%u", a, p->len);
}
