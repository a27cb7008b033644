/* heap.h - a binary min-heap of (int64 key, fixed-size payload): expiry
 * queues (the kernel mirror's elements, the audit's models of members).
 *
 * Callers leave stale entries in place and skip them when they come up
 * (an entry counts only if what it names still has that key): a refresh
 * costs one push, and the caller rebuilds the heap (heap_clear, pushes)
 * when stale entries pile up. */
#ifndef A5_HEAP_H
#define A5_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_PAYLOAD_MAX 32

struct heap {
	uint8_t *e;		/* entries: the 8-byte key, then the payload */
	size_t n, cap;
	size_t size;		/* payload bytes */
};

/* An empty heap of size-byte payloads (1..HEAP_PAYLOAD_MAX). */
void heap_init(struct heap *h, size_t size);
void heap_free(struct heap *h);
/* 0, or -1 if it could not grow (nothing changed). */
int heap_push(struct heap *h, int64_t key, const void *payload);
size_t heap_len(const struct heap *h);
/* The smallest key and its payload; the heap must not be empty. Of equal
 * keys, any one comes first. */
int64_t heap_top_key(const struct heap *h);
const void *heap_top(const struct heap *h);
/* Removes the top entry; the heap must not be empty. */
void heap_pop(struct heap *h);
/* Empties the heap, keeping its memory. */
void heap_clear(struct heap *h);

#endif
