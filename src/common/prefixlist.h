/* prefixlist.h - a short list of prefixes (allowlists, own addresses). */
#ifndef A5_PREFIXLIST_H
#define A5_PREFIXLIST_H

#include "common/addr.h"

/* Allowlists are short (tens of entries), so a linear scan beats any tree. */
#define PREFIXLIST_MAX 1024

struct prefixlist {
	size_t n;
	struct a5_prefix p[PREFIXLIST_MAX];
};

void prefixlist_init(struct prefixlist *l);
/* 0, or -1 when the list is full. Duplicates are ignored. */
int prefixlist_add(struct prefixlist *l, const struct a5_prefix *p);
/* True if any entry overlaps p: banning p would block a listed address. */
bool prefixlist_overlaps(const struct prefixlist *l, const struct a5_prefix *p);
/* Adds 127.0.0.0/8, ::1 and every address configured on this host's
 * interfaces (getifaddrs). Returns the number added, or -1. */
int prefixlist_add_local(struct prefixlist *l);

#endif
