/* lru.c - chained hash table with an intrusive LRU list and a hard cap. */
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/lru.h"

struct node {
	struct node *hnext;		/* bucket chain */
	struct node **hpprev;		/* what points at this node: unlinking walks no chain */
	uint64_t hash;			/* full hash: compared before the key */
	struct node *prev, *next;	/* LRU list: head = newest */
	unsigned char data[];		/* key, then value (aligned) */
};

/* The bucket array starts at this size and doubles with the entries (one
 * per bucket at most), up to about one bucket per entry of the cap. Sized
 * for the cap from the start, a table holding a few thousand of its 100,000
 * offenders spread them over a megabyte of buckets. Measured (cachegrind,
 * 200k lines of bench's log, 32 KiB D1 / 512 KiB LL): the lookups' own
 * misses fall by about 7 %, the whole scan's hardly change (its LRU misses
 * are mostly the connection table's nodes); what it saves for sure is the
 * megabyte of a table that stays small. */
#define LRU_BUCKETS_MIN 64

struct lru {
	size_t cap, size, keysize, valoff, valsize, nbuckets, maxbuckets;
	uint64_t evictions;
	bool trusted;			/* keys not chosen by attackers: FNV-1a */
	struct node **buckets;
	struct node *head, *tail;
	unsigned char hkey[crypto_shorthash_KEYBYTES];
};

struct lru *
lru_new(size_t cap, size_t keysize, size_t valsize)
{
	struct lru *t;

	if (sodium_init() < 0 || cap == 0)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->cap = cap;
	t->keysize = keysize;
	t->valoff = (keysize + 7) & ~(size_t)7;
	t->valsize = valsize;
	/* About one entry per bucket at the cap keeps chains short. */
	for (t->maxbuckets = LRU_BUCKETS_MIN; t->maxbuckets < cap; t->maxbuckets <<= 1)
		;
	t->nbuckets = LRU_BUCKETS_MIN;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));	/* NOLINT(bugprone-sizeof-expression): bucket heads are pointers */
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	randombytes_buf(t->hkey, sizeof(t->hkey));
	return t;
}

struct lru *
lru_new_trusted(size_t cap, size_t keysize, size_t valsize)
{
	struct lru *t = lru_new(cap, keysize, valsize);

	if (t != NULL)
		t->trusted = true;
	return t;
}

void
lru_free(struct lru *t)
{
	if (t == NULL)
		return;
	for (struct node *n = t->head, *next; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
	free(t->buckets);
	free(t);
}

static uint64_t
hash_of(const struct lru *t, const void *key)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	if (t->trusted) {
		const unsigned char *k = key;
		v = 0xcbf29ce484222325ULL;
		for (size_t i = 0; i < t->keysize; i++)
			v = (v ^ k[i]) * 0x100000001b3ULL;
		return v ^ (v >> 29);
	}

	crypto_shorthash(h, key, t->keysize, t->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

static void
list_unlink(struct lru *t, struct node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		t->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		t->tail = n->prev;
	n->prev = n->next = NULL;
}

static void
list_push_head(struct lru *t, struct node *n)
{
	n->prev = NULL;
	n->next = t->head;
	if (t->head)
		t->head->prev = n;
	t->head = n;
	if (t->tail == NULL)
		t->tail = n;
}

static struct node **
find_slot(struct lru *t, const void *key, uint64_t hash)
{
	struct node **pp = &t->buckets[hash & (t->nbuckets - 1)];

	while (*pp != NULL && ((*pp)->hash != hash || memcmp((*pp)->data, key, t->keysize) != 0))
		pp = &(*pp)->hnext;
	return pp;
}

/* Unlinks n from its chain and the list; the node itself is kept. Evicting
 * the oldest entry used to walk its chain again (a cache miss per node,
 * for every new connection once the table is full). */
static void
node_unlink(struct lru *t, struct node *n)
{
	*n->hpprev = n->hnext;
	if (n->hnext != NULL)
		n->hnext->hpprev = n->hpprev;
	list_unlink(t, n);
	t->size--;
}

static void *
get_hashed(struct lru *t, const void *key, uint64_t hash)
{
	struct node *n = *find_slot(t, key, hash);

	if (n == NULL)
		return NULL;
	if (t->head != n) {
		list_unlink(t, n);
		list_push_head(t, n);
	}
	return n->data + t->valoff;
}

void *
lru_get(struct lru *t, const void *key)
{
	return get_hashed(t, key, hash_of(t, key));
}

/* Doubles the bucket array and relinks every entry by its stored hash.
 * Out of memory: the table keeps its buckets (longer chains, still right). */
static void
grow_buckets(struct lru *t)
{
	size_t nb = t->nbuckets * 2;
	struct node **b = calloc(nb, sizeof(*b));	/* NOLINT(bugprone-sizeof-expression): bucket heads are pointers */

	if (b == NULL)
		return;
	for (struct node *n = t->head; n != NULL; n = n->next) {
		struct node **slot = &b[n->hash & (nb - 1)];
		n->hnext = *slot;
		if (*slot != NULL)
			(*slot)->hpprev = &n->hnext;
		n->hpprev = slot;
		*slot = n;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

void *
lru_put(struct lru *t, const void *key, int *created)
{
	uint64_t hash = hash_of(t, key);
	void *v = get_hashed(t, key, hash);
	struct node *n;

	if (created)
		*created = 0;
	if (v != NULL)
		return v;
	if (t->size >= t->cap) {
		/* Full: the oldest entry's node is reused for the new one. */
		n = t->tail;
		node_unlink(t, n);
		t->evictions++;
		memset(n, 0, sizeof(*n) + t->valoff + t->valsize);
	} else {
		if (t->size >= t->nbuckets && t->nbuckets < t->maxbuckets)
			grow_buckets(t);
		if ((n = calloc(1, sizeof(*n) + t->valoff + t->valsize)) == NULL)
			return NULL;
	}
	memcpy(n->data, key, t->keysize);
	n->hash = hash;
	struct node **b = &t->buckets[hash & (t->nbuckets - 1)];
	n->hnext = *b;
	if (*b != NULL)
		(*b)->hpprev = &n->hnext;
	n->hpprev = b;
	*b = n;
	list_push_head(t, n);
	t->size++;
	if (created)
		*created = 1;
	return n->data + t->valoff;
}

void
lru_remove(struct lru *t, const void *key)
{
	struct node *n = *find_slot(t, key, hash_of(t, key));

	if (n != NULL) {
		node_unlink(t, n);
		free(n);
	}
}

const void *
lru_oldest_key(const struct lru *t)
{
	return t->tail ? t->tail->data : NULL;
}

void
lru_foreach(const struct lru *t, void (*fn)(void *arg, const void *key, void *val), void *arg)
{
	for (struct node *n = t->tail; n != NULL; n = n->prev)
		fn(arg, n->data, n->data + t->valoff);
}

size_t lru_size(const struct lru *t) { return t->size; }
uint64_t lru_evictions(const struct lru *t) { return t->evictions; }
