/* heap.c - binary min-heap of (key, payload) entries (heap.h). */
#include <stdlib.h>
#include <string.h>

#include "common/heap.h"

#define HEAP_CAP_MIN 256

void
heap_init(struct heap *h, size_t size)
{
	memset(h, 0, sizeof(*h));
	h->size = size;
}

void
heap_free(struct heap *h)
{
	free(h->e);
	h->e = NULL;
	h->n = h->cap = 0;
}

static size_t
stride(const struct heap *h)
{
	return sizeof(int64_t) + h->size;
}

static int64_t
key_at(const struct heap *h, size_t i)
{
	int64_t k;

	memcpy(&k, h->e + i * stride(h), sizeof(k));
	return k;
}

static void
swap(struct heap *h, size_t a, size_t b)
{
	uint8_t tmp[sizeof(int64_t) + HEAP_PAYLOAD_MAX];
	size_t s = stride(h);

	memcpy(tmp, h->e + a * s, s);
	memcpy(h->e + a * s, h->e + b * s, s);
	memcpy(h->e + b * s, tmp, s);
}

int
heap_push(struct heap *h, int64_t key, const void *payload)
{
	size_t s = stride(h), i;

	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : HEAP_CAP_MIN;
		if (ncap > SIZE_MAX / s)
			return -1;
		uint8_t *ne = realloc(h->e, ncap * s);
		if (ne == NULL)
			return -1;
		h->e = ne;
		h->cap = ncap;
	}
	i = h->n++;
	memcpy(h->e + i * s, &key, sizeof(key));
	memcpy(h->e + i * s + sizeof(key), payload, h->size);
	while (i > 0 && key_at(h, (i - 1) / 2) > key_at(h, i)) {
		swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

size_t
heap_len(const struct heap *h)
{
	return h->n;
}

int64_t
heap_top_key(const struct heap *h)
{
	return key_at(h, 0);
}

const void *
heap_top(const struct heap *h)
{
	return h->e + sizeof(int64_t);
}

void
heap_pop(struct heap *h)
{
	size_t i = 0, s = stride(h);

	if (--h->n == 0)
		return;
	memcpy(h->e, h->e + h->n * s, s);
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && key_at(h, l) < key_at(h, m))
			m = l;
		if (r < h->n && key_at(h, r) < key_at(h, m))
			m = r;
		if (m == i)
			break;
		swap(h, i, m);
		i = m;
	}
}

void
heap_clear(struct heap *h)
{
	h->n = 0;
}
