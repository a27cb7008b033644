/* test_lthash.c - LtHash16: add/sub inverse, order independence, multiset, pinned digests. */
#include "testutil.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "common/addr.h"
#include "common/lthash.h"
#include "enforcer/kset.h"

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	if (prefix_parse(s, strlen(s), &p) != 0)
		fail_msg("test prefix does not parse: %s", s);
	return p;
}

static void
digest_hex(const struct lthash *h, char hex[2 * LTHASH_DIGEST_LEN + 1])
{
	uint8_t d[LTHASH_DIGEST_LEN];

	lthash_digest(h, d);
	sodium_bin2hex(hex, 2 * LTHASH_DIGEST_LEN + 1, d, sizeof(d));
}

static const char *const list[] = { "192.0.2.7", "2001:db8::1",
    "198.51.100.0/24", "2001:db8:1::/48", "192.0.2.7", "10.0.0.0/8" };
#define NLIST (sizeof(list) / sizeof(list[0]))

/* Computed with the LtHash code as it was inside kset.c, before it moved
 * here (the same vectors are pinned through kset_digest_of in test_kset):
 * a digest once published must never change meaning. */
static void
test_pinned(void **state)
{
	struct lthash h;
	char hex[2 * LTHASH_DIGEST_LEN + 1];

	(void)state;
	lthash_zero(&h);
	digest_hex(&h, hex);
	assert_string_equal(hex, "7389dbe451b26d04a09e7eab33b4da020fa481be816b61"
	    "8720b79bb875bab375");
	for (size_t i = 0; i < NLIST; i++) {
		struct a5_prefix p = pfx(list[i]);

		assert_int_equal(lthash_add(&h, &p), 0);
		if (i == 0) {
			digest_hex(&h, hex);
			assert_string_equal(hex, "0e5bfd133de74e839c718a103cd1"
			    "caeddaa67c2c68b010a1a6bfaf4f6939638d");
		}
	}
	digest_hex(&h, hex);
	assert_string_equal(hex, "7299e2a3b7e2d57e2a4013d432080fafe5b6d6d9b590a1"
	    "c9e9bef1241db7ed57");

	/* kset_digest_of is the same function of a list. */
	struct a5_prefix p[NLIST];
	uint8_t d1[LTHASH_DIGEST_LEN], d2[KSET_DIGEST_LEN];
	for (size_t i = 0; i < NLIST; i++)
		p[i] = pfx(list[i]);
	lthash_digest(&h, d1);
	assert_int_equal(kset_digest_of(p, NLIST, d2), 0);
	assert_memory_equal(d1, d2, LTHASH_DIGEST_LEN);
}

static void
test_add_sub_inverse(void **state)
{
	struct lthash zero, h;
	struct a5_prefix a = pfx("192.0.2.1"), b = pfx("2001:db8::/32");

	(void)state;
	lthash_zero(&zero);
	lthash_zero(&h);
	assert_int_equal(lthash_add(&h, &a), 0);
	assert_memory_not_equal(&h, &zero, sizeof(h));
	assert_int_equal(lthash_add(&h, &b), 0);
	assert_int_equal(lthash_sub(&h, &a), 0);
	assert_int_equal(lthash_sub(&h, &b), 0);
	assert_memory_equal(&h, &zero, sizeof(h));
	/* Subtracting first is fine: the state is a difference. */
	assert_int_equal(lthash_sub(&h, &a), 0);
	assert_int_equal(lthash_add(&h, &a), 0);
	assert_memory_equal(&h, &zero, sizeof(h));
}

static void
test_order_independent(void **state)
{
	struct lthash x, y;

	(void)state;
	lthash_zero(&x);
	lthash_zero(&y);
	for (size_t i = 0; i < NLIST; i++) {
		struct a5_prefix p = pfx(list[i]), q = pfx(list[NLIST - 1 - i]);

		assert_int_equal(lthash_add(&x, &p), 0);
		assert_int_equal(lthash_add(&y, &q), 0);
	}
	assert_memory_equal(&x, &y, sizeof(x));
}

static void
test_multiset(void **state)
{
	struct lthash once, twice, zero;
	struct a5_prefix a = pfx("192.0.2.1");
	uint8_t d1[LTHASH_DIGEST_LEN], d2[LTHASH_DIGEST_LEN];

	(void)state;
	lthash_zero(&zero);
	lthash_zero(&once);
	lthash_zero(&twice);
	assert_int_equal(lthash_add(&once, &a), 0);
	assert_int_equal(lthash_add(&twice, &a), 0);
	assert_int_equal(lthash_add(&twice, &a), 0);
	/* A prefix held twice counts twice: no cancelling, as XOR would. */
	assert_memory_not_equal(&twice, &once, sizeof(once));
	assert_memory_not_equal(&twice, &zero, sizeof(once));
	lthash_digest(&once, d1);
	lthash_digest(&twice, d2);
	assert_memory_not_equal(d1, d2, sizeof(d1));
	/* The length is part of an element. */
	struct lthash h24;
	struct a5_prefix h = pfx("192.0.2.0"), n = pfx("192.0.2.0/24");
	lthash_zero(&once);
	lthash_zero(&h24);
	assert_int_equal(lthash_add(&once, &h), 0);
	assert_int_equal(lthash_add(&h24, &n), 0);
	assert_memory_not_equal(&once, &h24, sizeof(once));
}

/* States of disjoint parts add up to the state of the whole: what the
 * kernel mirror does with one state per set. */
static void
test_states_add_up(void **state)
{
	struct lthash whole, part1, part2, sum;

	(void)state;
	lthash_zero(&whole);
	lthash_zero(&part1);
	lthash_zero(&part2);
	for (size_t i = 0; i < NLIST; i++) {
		struct a5_prefix p = pfx(list[i]);

		assert_int_equal(lthash_add(&whole, &p), 0);
		assert_int_equal(lthash_add(i % 2 ? &part1 : &part2, &p), 0);
	}
	sum = part1;
	lthash_add_state(&sum, &part2);
	assert_memory_equal(&sum, &whole, sizeof(sum));
	lthash_sub_state(&sum, &part1);
	assert_memory_equal(&sum, &part2, sizeof(sum));
}

static void
test_refuses_bad_prefix(void **state)
{
	struct lthash h, zero;
	struct a5_prefix p = pfx("192.0.2.1");
	uint8_t d[KSET_DIGEST_LEN];

	(void)state;
	lthash_zero(&h);
	lthash_zero(&zero);
	p.family = 5;
	errno = 0;
	assert_int_equal(lthash_add(&h, &p), -1);
	assert_int_equal(errno, EINVAL);
	p = pfx("192.0.2.1");
	p.len = 33;
	assert_int_equal(lthash_sub(&h, &p), -1);
	p = pfx("2001:db8::1");
	p.len = 129;
	assert_int_equal(lthash_add(&h, &p), -1);
	assert_memory_equal(&h, &zero, sizeof(h));
	assert_int_equal(kset_digest_of(&p, 1, d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_add_sub_inverse),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_multiset),
		cmocka_unit_test(test_states_add_up),
		cmocka_unit_test(test_refuses_bad_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
