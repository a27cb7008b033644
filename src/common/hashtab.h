/* hashtab.h - a hash table of fixed-length keys, each with a 64-bit value
 * (the kernel mirror's address sets: an address and its expiry).
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones); the load stays under 3/4. Slots are addressed by index so
 * that a caller can walk every used slot (hashtab_slots, hashtab_used).
 * Homes come from keyed SipHash (libsodium's crypto_shorthash): keys an
 * attacker chooses cannot build long chains without the key. */
#ifndef A5_HASHTAB_H
#define A5_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HASHTAB_KEY_MAX 32
#define HASHTAB_SIPKEY_LEN 16	/* crypto_shorthash_KEYBYTES */

struct hashtab {
	uint8_t *slot;		/* a used byte, the key, the value */
	size_t cap, n;		/* cap is 0 or a power of two */
	size_t klen, stride;
	const uint8_t *sipkey;	/* HASHTAB_SIPKEY_LEN bytes, kept by the caller */
};

/* An empty table of klen-byte keys (1..HASHTAB_KEY_MAX); sipkey must
 * outlive it. Allocates nothing until the first insert. */
void hashtab_init(struct hashtab *t, size_t klen, const uint8_t *sipkey);
void hashtab_free(struct hashtab *t);

/* True and the slot of key in *at if it is there; false otherwise. */
bool hashtab_find(const struct hashtab *t, const void *key, size_t *at);
/* Adds key with value: 1, 0 if key was already there (nothing changed),
 * -1 if the table could not grow (nothing changed). */
int hashtab_insert(struct hashtab *t, const void *key, uint64_t value);
/* Removes the key in used slot at; other keys may move to other slots. */
void hashtab_remove_at(struct hashtab *t, size_t at);

/* Keys held, and slots to walk (0..hashtab_slots - 1). */
size_t hashtab_len(const struct hashtab *t);
size_t hashtab_slots(const struct hashtab *t);
bool hashtab_used(const struct hashtab *t, size_t at);
/* The key and value of used slot at. */
const uint8_t *hashtab_key(const struct hashtab *t, size_t at);
uint64_t hashtab_value(const struct hashtab *t, size_t at);
void hashtab_set_value(struct hashtab *t, size_t at, uint64_t value);

#endif
