/* nfquery.h - read-only nfnetlink queries on set elements, without libnftables.
 *
 * libnftables 1.0.6 fills its cache with every element of every set before
 * it runs `get element` (and before any element command on an interval set),
 * which took 55 s against a 1M-element set. These queries talk to the
 * kernel directly so a read-back costs one round trip whatever the set size.
 * Internal to the enforcer. */
#ifndef A5_ENF_NFQUERY_H
#define A5_ENF_NFQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

struct nfq;

/* Opens a NETLINK_NETFILTER socket (needs CAP_NET_ADMIN). NULL and err. */
struct nfq *nfq_open(char *err, size_t errlen);
void nfq_close(struct nfq *q);

/* Looks key (klen bytes, 4 or 16) up in set `set` of table inet `table`.
 * Returns 1 and copies the key of the matching element to start (for an
 * interval set: the first address of the interval holding key), 0 if no
 * element matches, -1 on error (errno set). */
int nfq_get(struct nfq *q, const char *table, const char *set,
    const uint8_t *key, size_t klen, uint8_t *start);

/* 1 if set `set` exists in table inet `table`, 0 if it (or the table) does
 * not, -1 on error. */
int nfq_set_exists(struct nfq *q, const char *table, const char *set);

/* Calls fn once per element of the set, in kernel order, with the element's
 * key and whether it is an interval end marker. Stops after max elements
 * (returns -1, errno E2BIG) so a huge set cannot pin the caller. fn returns
 * 0 to go on, -1 to abort. 0 or -1. */
typedef int (*nfq_elem_fn)(const uint8_t *key, size_t klen, bool end, void *arg);
int nfq_dump(struct nfq *q, const char *table, const char *set, size_t klen,
    size_t max, nfq_elem_fn fn, void *arg);

#endif
