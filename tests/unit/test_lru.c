/* test_lru.c - the bounded LRU table (common/lru.c): every entry found
 * while its bucket array grows, least recently used order kept across the
 * growth, eviction at the cap, removal, both hash kinds. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/lru.h"

struct key {
	uint32_t a, b;
};

struct val {
	uint64_t n;
};

static struct key
key_of(uint32_t i)
{
	struct key k = { i * 2654435761u, i };
	return k;
}

struct order {
	uint32_t seen[4096];
	size_t n;
};

static void
collect(void *arg, const void *key, void *val)
{
	struct order *o = arg;
	struct key k;

	memcpy(&k, key, sizeof(k));
	assert_int_equal(((struct val *)val)->n, (uint64_t)k.b + 7);
	assert_true(o->n < 4096);
	o->seen[o->n++] = k.b;
}

/* cap entries put, each found again with its value, through the growth of
 * the buckets from 64 to the cap; the order oldest to newest is the order
 * of use. */
static void
check_table(struct lru *t, uint32_t cap)
{
	struct order o;
	int created;

	for (uint32_t i = 0; i < cap; i++) {
		struct key k = key_of(i);
		struct val *v = lru_put(t, &k, &created);
		assert_non_null(v);
		assert_int_equal(created, 1);
		v->n = i + 7;
		/* everything put so far is still there */
		if (i % 97 == 0)
			for (uint32_t j = 0; j <= i; j++) {
				struct key kj = key_of(j);
				assert_non_null(lru_get(t, &kj));
			}
		/* lru_get marked them used in order: put order again */
	}
	assert_int_equal(lru_size(t), cap);
	assert_int_equal(lru_evictions(t), 0);
	/* use the even ones: the odd ones are now the oldest */
	for (uint32_t i = 0; i < cap; i += 2) {
		struct key k = key_of(i);
		struct val *v = lru_get(t, &k);
		assert_non_null(v);
		assert_int_equal(v->n, (uint64_t)i + 7);
	}
	memset(&o, 0, sizeof(o));
	lru_foreach(t, collect, &o);
	assert_int_equal(o.n, cap);
	for (uint32_t i = 0; i < cap / 2; i++) {
		assert_int_equal(o.seen[i], 2 * i + 1);
		assert_int_equal(o.seen[cap / 2 + i], 2 * i);
	}
	struct key oldest;
	memcpy(&oldest, lru_oldest_key(t), sizeof(oldest));
	assert_int_equal(oldest.b, 1);
	/* full: a new key evicts the oldest (1), then the next oldest (3) */
	for (uint32_t i = cap; i < cap + 2; i++) {
		struct key k = key_of(i);
		struct val *v = lru_put(t, &k, &created);
		assert_non_null(v);
		assert_int_equal(created, 1);
		v->n = i + 7;
	}
	assert_int_equal(lru_evictions(t), 2);
	assert_int_equal(lru_size(t), cap);
	struct key k1 = key_of(1), k3 = key_of(3), k5 = key_of(5), k0 = key_of(0);
	assert_null(lru_get(t, &k1));
	assert_null(lru_get(t, &k3));
	assert_non_null(lru_get(t, &k5));
	/* an existing key is found, not created */
	assert_non_null(lru_put(t, &k0, &created));
	assert_int_equal(created, 0);
	lru_remove(t, &k0);
	assert_null(lru_get(t, &k0));
	assert_int_equal(lru_size(t), cap - 1);
	lru_remove(t, &k0);	/* absent: nothing */
	assert_int_equal(lru_size(t), cap - 1);
	/* every other entry removed (unlinked from chains of every length):
	 * the rest are all still found, the removed ones never */
	for (uint32_t i = 2; i < cap + 2; i++) {
		struct key k = key_of(i);
		if (i % 2 == 1)
			lru_remove(t, &k);
	}
	for (uint32_t i = 2; i < cap + 2; i++) {
		struct key k = key_of(i);
		struct val *v = lru_get(t, &k);
		if (i % 2 == 1)
			assert_null(v);
		else {
			assert_non_null(v);
			assert_int_equal(v->n, (uint64_t)i + 7);
		}
	}
}

static void
test_grow_keyed(void **state)
{
	struct lru *t = lru_new(3000, sizeof(struct key), sizeof(struct val));

	(void)state;
	assert_non_null(t);
	check_table(t, 3000);
	lru_free(t);
}

static void
test_grow_trusted(void **state)
{
	struct lru *t = lru_new_trusted(1000, sizeof(struct key), sizeof(struct val));

	(void)state;
	assert_non_null(t);
	check_table(t, 1000);
	lru_free(t);
}

/* A cap below the first bucket array's size. */
static void
test_small_cap(void **state)
{
	struct lru *t = lru_new(10, sizeof(struct key), sizeof(struct val));

	(void)state;
	assert_non_null(t);
	check_table(t, 10);
	lru_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_keyed),
		cmocka_unit_test(test_grow_trusted),
		cmocka_unit_test(test_small_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
