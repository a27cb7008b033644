/* test_hashtab.c - the kernel mirror's hash table against a plain array:
 * random inserts, lookups and removals (backward-shift deletion moves
 * keys), growth, values, and a walk over the slots that sees every key
 * once. */
#include "testutil.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/hashtab.h"

static uint8_t sipkey[HASHTAB_SIPKEY_LEN];

static void
test_basic(void **state)
{
	struct hashtab t;
	size_t at;
	uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 2 };
	(void)state;

	hashtab_init(&t, 4, sipkey);
	assert_false(hashtab_find(&t, a, &at));		/* empty, nothing allocated */
	assert_int_equal(hashtab_insert(&t, a, 7), 1);
	assert_int_equal(hashtab_insert(&t, a, 9), 0);	/* there: unchanged */
	assert_true(hashtab_find(&t, a, &at));
	assert_int_equal(hashtab_value(&t, at), 7);
	assert_memory_equal(hashtab_key(&t, at), a, 4);
	hashtab_set_value(&t, at, 11);
	assert_true(hashtab_find(&t, a, &at));
	assert_int_equal(hashtab_value(&t, at), 11);
	assert_false(hashtab_find(&t, b, &at));
	assert_int_equal(hashtab_len(&t), 1);
	assert_true(hashtab_find(&t, a, &at));
	hashtab_remove_at(&t, at);
	assert_int_equal(hashtab_len(&t), 0);
	assert_false(hashtab_find(&t, a, &at));
	hashtab_free(&t);
	hashtab_free(&t);	/* twice is harmless */
}

/* 16-byte keys that differ in one byte: many share a home in a small
 * table, so removals shift whole runs. */
static void
test_random_against_array(void **state)
{
	enum { N = 6000, OPS = 60000 };
	static uint8_t keys[N][16];
	static uint64_t vals[N];
	static bool in[N];
	struct hashtab t;
	size_t held = 0, at;
	(void)state;

	hashtab_init(&t, 16, sipkey);
	for (int i = 0; i < N; i++) {
		memset(keys[i], 0x20, 16);
		keys[i][15] = (uint8_t)i;
		keys[i][14] = (uint8_t)(i >> 8);
	}
	srand(5);
	for (int op = 0; op < OPS; op++) {
		int i = rand() % N;
		switch (rand() % 3) {
		case 0: {
			uint64_t v = (uint64_t)rand() << 20 | (uint64_t)op;
			int r = hashtab_insert(&t, keys[i], v);
			assert_int_equal(r, in[i] ? 0 : 1);
			if (!in[i]) {
				in[i] = true;
				vals[i] = v;
				held++;
			}
			break;
		}
		case 1:
			if (hashtab_find(&t, keys[i], &at)) {
				assert_true(in[i]);
				hashtab_remove_at(&t, at);
				in[i] = false;
				held--;
			} else {
				assert_false(in[i]);
			}
			break;
		default:
			assert_int_equal(hashtab_find(&t, keys[i], &at), in[i]);
			if (in[i])
				assert_int_equal(hashtab_value(&t, at), vals[i]);
		}
		assert_int_equal(hashtab_len(&t), held);
	}
	/* every key once in a walk, with its value; the load stays under 3/4 */
	size_t seen = 0;
	for (size_t s = 0; s < hashtab_slots(&t); s++) {
		if (!hashtab_used(&t, s))
			continue;
		const uint8_t *k = hashtab_key(&t, s);
		int i = k[14] << 8 | k[15];
		assert_true(i < N && in[i]);
		assert_int_equal(hashtab_value(&t, s), vals[i]);
		seen++;
	}
	assert_int_equal(seen, held);
	assert_true(hashtab_len(&t) * 4 <= hashtab_slots(&t) * 3);
	for (int i = 0; i < N; i++)
		assert_int_equal(hashtab_find(&t, keys[i], &at), in[i]);
	hashtab_free(&t);
}

/* Growing keeps every key and value. */
static void
test_growth(void **state)
{
	struct hashtab t;
	size_t at;
	(void)state;

	hashtab_init(&t, 4, sipkey);
	for (uint32_t i = 0; i < 100000; i++)
		assert_int_equal(hashtab_insert(&t, &i, (uint64_t)i * 3), 1);
	assert_int_equal(hashtab_len(&t), 100000);
	assert_true(hashtab_slots(&t) >= 131072);
	for (uint32_t i = 0; i < 100000; i++) {
		assert_true(hashtab_find(&t, &i, &at));
		assert_int_equal(hashtab_value(&t, at), (uint64_t)i * 3);
	}
	uint32_t absent = 100000;
	assert_false(hashtab_find(&t, &absent, &at));
	hashtab_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_random_against_array),
		cmocka_unit_test(test_growth),
	};
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(sipkey, sizeof(sipkey));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
