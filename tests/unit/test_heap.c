/* test_heap.c - the expiry heap: entries come out in key order with their
 * payloads, across growth, duplicates and negative keys; interleaved
 * pushes and pops agree with a sorted array; clear keeps it usable. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/heap.h"

struct pay {
	int64_t key;
	uint32_t id;
};

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
test_order(void **state)
{
	enum { N = 5000 };
	static int64_t keys[N];
	struct heap h;
	(void)state;

	heap_init(&h, sizeof(struct pay));
	assert_int_equal(heap_len(&h), 0);
	srand(11);
	for (uint32_t i = 0; i < N; i++) {
		/* duplicates (mod 997) and negative keys */
		keys[i] = (int64_t)(rand() % 997) - 300;
		struct pay p = { keys[i], i };
		assert_int_equal(heap_push(&h, keys[i], &p), 0);
	}
	assert_int_equal(heap_len(&h), N);
	qsort(keys, N, sizeof(keys[0]), cmp64);
	for (int i = 0; i < N; i++) {
		struct pay p;
		assert_int_equal(heap_top_key(&h), keys[i]);
		memcpy(&p, heap_top(&h), sizeof(p));
		assert_int_equal(p.key, keys[i]);	/* the payload follows its key */
		heap_pop(&h);
	}
	assert_int_equal(heap_len(&h), 0);
	heap_free(&h);
}

/* Pushes and pops mixed, against a sorted array of what is held. */
static void
test_interleaved(void **state)
{
	enum { OPS = 20000 };
	static int64_t held[OPS];
	size_t n = 0;
	struct heap h;
	(void)state;

	heap_init(&h, 4);
	srand(3);
	for (int op = 0; op < OPS; op++) {
		if (n > 0 && rand() % 3 == 0) {
			assert_int_equal(heap_top_key(&h), held[0]);
			heap_pop(&h);
			memmove(held, held + 1, (n - 1) * sizeof(held[0]));
			n--;
		} else {
			int64_t k = (int64_t)rand() * 1000;
			uint32_t pay = (uint32_t)op;
			assert_int_equal(heap_push(&h, k, &pay), 0);
			size_t at = n;
			while (at > 0 && held[at - 1] > k) {
				held[at] = held[at - 1];
				at--;
			}
			held[at] = k;
			n++;
		}
		assert_int_equal(heap_len(&h), n);
	}
	heap_clear(&h);
	assert_int_equal(heap_len(&h), 0);
	uint32_t pay = 1;
	assert_int_equal(heap_push(&h, 42, &pay), 0);
	assert_int_equal(heap_top_key(&h), 42);
	assert_int_equal(*(const uint32_t *)heap_top(&h), 1);
	heap_pop(&h);
	assert_int_equal(heap_len(&h), 0);
	heap_free(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_interleaved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
