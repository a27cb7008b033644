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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
