/* lru.h - a bounded hash table with least-recently-used eviction, for state
 * that attackers can make grow (offender windows, connections). Keys are
 * fixed-size byte strings hashed with a keyed SipHash, so an attacker cannot
 * aim for one bucket. */
#ifndef A5_LRU_H
#define A5_LRU_H

#include <stddef.h>
#include <stdint.h>

struct lru;

/* cap: most entries kept; keysize/valsize: bytes per key and value. */
struct lru *lru_new(size_t cap, size_t keysize, size_t valsize);
/* Same, for keys no attacker chooses (process ids): a cheaper unkeyed hash
 * instead of SipHash. */
struct lru *lru_new_trusted(size_t cap, size_t keysize, size_t valsize);
void lru_free(struct lru *t);

/* Returns the value for key (and marks it recently used), or NULL. */
void *lru_get(struct lru *t, const void *key);
/* Returns the value for key, creating a zeroed one if absent; when full, the
 * least recently used entry is evicted first. NULL only if out of memory. */
void *lru_put(struct lru *t, const void *key, int *created);
/* Removes key if present. */
void lru_remove(struct lru *t, const void *key);
/* Key of the least recently used entry (NULL if empty). */
const void *lru_oldest_key(const struct lru *t);
/* Calls fn for each entry from oldest to newest; fn may not modify t. */
void lru_foreach(const struct lru *t, void (*fn)(void *arg, const void *key, void *val), void *arg);

size_t lru_size(const struct lru *t);
uint64_t lru_evictions(const struct lru *t);

#endif
