/* test_addr.c - address/prefix parsing, formatting and containment. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/prefixlist.h"

static int
parse(const char *s, struct a5_prefix *p)
{
	return addr_parse(s, strlen(s), p);
}

static void
fmt_eq(const struct a5_prefix *p, const char *want)
{
	char buf[A5_PREFIX_STRLEN];

	prefix_format(p, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_ipv4(void **state)
{
	struct a5_prefix p;

	(void)state;
	assert_int_equal(parse("192.0.2.1", &p), 0);
	assert_int_equal(p.family, A5_AF_INET);
	assert_int_equal(p.len, 32);
	fmt_eq(&p, "192.0.2.1");
	const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "01.2.3.4",
	    "1.2.3.4 ", " 1.2.3.4", "1..2.3", "0.0.0.0", "1.2.3.-4", "1.2.3.4/32", "a.b.c.d" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &p), -1);
}

static void
test_ipv6_and_mapped(void **state)
{
	struct a5_prefix p;

	(void)state;
	assert_int_equal(parse("2001:db8::1", &p), 0);
	assert_int_equal(p.family, A5_AF_INET6);
	fmt_eq(&p, "2001:db8::1");
	assert_int_equal(parse("::ffff:203.0.113.5", &p), 0);
	assert_int_equal(p.family, A5_AF_INET);
	fmt_eq(&p, "203.0.113.5");
	assert_int_equal(parse("::", &p), -1);
	assert_int_equal(parse("2001:db8::g", &p), -1);
	assert_int_equal(parse("2001:db8:::1", &p), -1);
	assert_int_equal(parse("fe80::1%eth0", &p), -1);
}

static void
test_prefix(void **state)
{
	struct a5_prefix p, q;

	(void)state;
	assert_int_equal(prefix_parse("10.0.0.0/8", 10, &p), 0);
	fmt_eq(&p, "10.0.0.0/8");
	assert_int_equal(prefix_parse("10.0.0.1/8", 10, &p), -1);	/* host bits */
	assert_int_equal(prefix_parse("10.0.0.0/33", 11, &p), -1);
	assert_int_equal(prefix_parse("10.0.0.0/", 9, &p), -1);
	assert_int_equal(prefix_parse("2001:db8::/32", 13, &p), 0);
	assert_int_equal(prefix_parse("::/0", 4, &p), 0);
	assert_int_equal(p.len, 0);
	/* the unspecified address as a host keeps its length in text, which
	 * parses back (found by fuzz_addr) */
	assert_int_equal(prefix_parse("::/128", 6, &p), 0);
	fmt_eq(&p, "::/128");
	assert_int_equal(prefix_parse("0.0.0.0/32", 10, &p), 0);
	fmt_eq(&p, "0.0.0.0/32");
	/* parsed, but no prefix to act on: callers taking hostile text check */
	assert_int_equal(prefix_parse("::ffff:192.0.2.1/128", 20, &p), 0);
	assert_non_null(prefix_check(&p));
	assert_int_equal(prefix_parse("2001:db8::/32", 13, &p), 0);
	assert_int_equal(parse("2001:db8:1::5", &q), 0);
	assert_true(prefix_contains(&p, &q));
	assert_false(prefix_contains(&q, &p));
	assert_true(prefix_overlaps(&q, &p));
	prefix_truncate(&q, 64);
	fmt_eq(&q, "2001:db8:1::/64");
}

/* The definitions, bit by bit, that the word-wise code must agree with. */
static int
bit(const uint8_t *a, unsigned i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

static bool
slow_contains(const struct a5_prefix *o, const struct a5_prefix *in)
{
	if (o->family != in->family || o->len > in->len)
		return false;
	for (unsigned i = 0; i < o->len; i++)
		if (bit(o->addr, i) != bit(in->addr, i))
			return false;
	return true;
}

static void
test_prefix_bits_random(void **state)
{
	struct a5_prefix a, b, t;

	(void)state;
	srand(5);
	for (int round = 0; round < 200000; round++) {
		memset(&a, 0, sizeof(a));
		a.family = rand() % 2 ? A5_AF_INET : A5_AF_INET6;
		unsigned w = prefix_maxlen(&a);
		for (unsigned i = 0; i < w / 8; i++)
			a.addr[i] = (uint8_t)rand();
		b = a;
		/* b: a with one bit flipped (or none), both cut to random lengths */
		unsigned flip = (unsigned)rand() % (w + 1);
		if (flip < w)
			b.addr[flip / 8] ^= (uint8_t)(0x80u >> (flip % 8));
		prefix_truncate(&a, (unsigned)rand() % (w + 1));
		prefix_truncate(&b, (unsigned)rand() % (w + 1));
		for (unsigned i = a.len; i < 128; i++)
			assert_int_equal(bit(a.addr, i), 0);
		assert_null(prefix_check(&a));
		assert_int_equal(prefix_contains(&a, &b), slow_contains(&a, &b));
		assert_int_equal(prefix_contains(&b, &a), slow_contains(&b, &a));
		/* a host bit set just past the length is refused */
		if (a.len < w) {
			t = a;
			t.addr[a.len / 8] |= (uint8_t)(0x80u >> (a.len % 8));
			assert_non_null(prefix_check(&t));
			t = a;
			t.addr[15] |= 1;	/* beyond the family's width too */
			assert_non_null(prefix_check(&t));
		}
	}
}

/* IPv6 forms of IPv4 clients: the client, and the narrowest prefix of it. */
static void
test_embedded_ipv4(void **state)
{
	static const struct { const char *a; unsigned form; const char *v4; } cases[] = {
		{ "64:ff9b::198.51.100.7", 128, "198.51.100.7" },	/* NAT64, RFC 6052 */
		{ "64:ff9b::c633:6408", 128, "198.51.100.8" },
		/* local use (RFC 8215), read with a /96 prefix */
		{ "64:ff9b:1:abcd::198.51.100.9", 128, "198.51.100.9" },
		/* the /48 layout leaves zeros in the last 32 bits: not guessed */
		{ "64:ff9b:1:c633:64:900::", 128, "64:ff9b:1:c633:64:900::" },
		/* in the /64 of the well-known prefix, outside the /96 */
		{ "64:ff9b::1:0:c633:6409", 128, "64:ff9b::1:0:c633:6409" },
		{ "2002:c000:204::1", 48, "192.0.2.4" },		/* 6to4 */
		{ "2002:c000:204:ffff::7", 48, "192.0.2.4" },
		{ "2002:0:204::1", 48, "2002:0:204::/48" },		/* 0.0.2.4: no client */
		/* Teredo (RFC 4380's example): server 65.54.227.120, client inverted */
		{ "2001:0:4136:e378:8000:63bf:3fff:fdd2", 128, "192.0.2.45" },
		{ "2001:0:4136:e378:8000:63bf:ffff:ffff", 128, "2001:0:4136:e378:8000:63bf:ffff:ffff" },
		{ "2001:db8::1", 0, NULL },				/* documentation, not Teredo */
		{ "2001:1::1", 0, NULL },
		{ "64:ff9b:2::1", 0, NULL },
		{ "2003::1", 0, NULL },
		{ "192.0.2.1", 0, NULL },
		{ "::ffff:192.0.2.1", 0, NULL },			/* mapped: IPv4 already */
	};
	struct a5_prefix a, v4;
	char buf[A5_PREFIX_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].a, &a), 0);
		memset(&v4, 0xee, sizeof(v4));
		unsigned form = addr_embedded_ipv4(&a, &v4);
		if (form != cases[i].form)
			fail_msg("%s: form %u, expected %u", cases[i].a, form, cases[i].form);
		if (cases[i].v4 == NULL) {
			assert_int_equal(v4.family, 0xee);	/* untouched */
			continue;
		}
		assert_null(prefix_check(&v4));
		prefix_format(&v4, buf, sizeof(buf));
		if (strcmp(buf, cases[i].v4) != 0)
			fail_msg("%s: %s, expected %s", cases[i].a, buf, cases[i].v4);
	}
	/* a prefix at least as long as the form stands for the client too;
	 * a wider one holds many clients */
	assert_int_equal(prefix_parse("2002:c000:204::/48", 18, &a), 0);
	assert_int_equal(addr_embedded_ipv4(&a, &v4), 48);
	fmt_eq(&v4, "192.0.2.4");
	assert_int_equal(prefix_parse("2002:c000::/32", 14, &a), 0);
	assert_int_equal(addr_embedded_ipv4(&a, &v4), 0);
	assert_int_equal(prefix_parse("64:ff9b::/96", 12, &a), 0);
	assert_int_equal(addr_embedded_ipv4(&a, &v4), 0);
}

static void
test_prefixlist(void **state)
{
	struct prefixlist *l = malloc(sizeof(*l));
	struct a5_prefix p;

	(void)state;
	prefixlist_init(l);
	assert_true(prefixlist_add_local(l) >= 2);
	assert_int_equal(parse("127.0.0.9", &p), 0);
	assert_true(prefixlist_overlaps(l, &p));
	assert_int_equal(parse("::1", &p), 0);
	assert_true(prefixlist_overlaps(l, &p));
	assert_int_equal(prefix_parse("127.0.0.0/7", 11, &p), -1);
	assert_int_equal(prefix_parse("126.0.0.0/7", 11, &p), 0);
	assert_true(prefixlist_overlaps(l, &p));	/* a wider ban would cover loopback */
	assert_int_equal(parse("192.0.2.1", &p), 0);
	(void)p;
	free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6_and_mapped),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_prefix_bits_random),
		cmocka_unit_test(test_prefixlist),
		cmocka_unit_test(test_embedded_ipv4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
