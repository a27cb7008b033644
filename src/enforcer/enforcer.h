/* enforcer.h - applies validated ban records to nftables, in batches.
 *
 * The enforcer parses nothing: it takes fixed-size binary records, re-checks
 * them (family, length, host bits, allowlist, ttl cap) and applies them in one
 * libnftables transaction per commit. It owns `table inet article5` and never
 * touches any other table. This interface is meant to move unchanged into a
 * small privileged process later. */
#ifndef A5_ENFORCER_H
#define A5_ENFORCER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/prefixlist.h"

#define ENF_TABLE "article5"
/* Single addresses (/32, /128) live in hash sets (flags timeout); shorter
 * prefixes in interval sets (flags interval, timeout). An interval set of a
 * million addresses makes every libnftables 1.0.6 element command dump it
 * first (minutes per commit); see docs/enforcer.md. */
#define ENF_SET4 "ban4"
#define ENF_SET6 "ban6"
#define ENF_NET4 "ban4net"
#define ENF_NET6 "ban6net"
/* Records queued beyond this before a commit are refused (counted). */
#define ENF_QUEUE_MAX 65536

enum enf_op { ENF_ADD = 1, ENF_DELETE = 2 };

struct enf_record {
	uint8_t op;		/* enum enf_op */
	uint8_t pad[3];
	uint32_t ttl;		/* seconds; 0 = no timeout (permanent) */
	struct a5_prefix prefix;
};

struct enf_stats {
	uint64_t commits;	/* transactions sent to the kernel */
	uint64_t applied;	/* records applied */
	uint64_t failed;	/* records the kernel refused (after isolation) */
	uint64_t refused;	/* records refused by the re-check (allowlist, bad form) */
	uint64_t dropped;	/* records dropped because the queue was full */
};

struct enforcer;

/* observe: log decisions, never touch nftables (no table is created).
 * allow: prefixes that must never be banned (copied).
 * ttl_max: upper bound on any ttl in seconds (0 = no bound).
 * Creates table inet article5 with sets ban4/ban6 (addresses) and
 * ban4net/ban6net (prefixes) and chains on the input and forward hooks
 * dropping their members; existing set elements are kept (they carry their
 * own kernel-side timeouts), our rules are rewritten to exist exactly once.
 * Returns NULL and fills err on failure. */
struct enforcer *enf_open(bool observe, const struct prefixlist *allow,
    uint32_t ttl_max, char *err, size_t errlen);

/* Validates and queues one record; 0, or -1 if refused (reason in the log).
 * Additions overlapping the allowlist are refused; deletions never are. A ttl
 * of 0 or above ttl_max is lowered to ttl_max when ttl_max is set. */
int enf_queue(struct enforcer *e, const struct enf_record *r);

/* Applies every queued record in one transaction. If the kernel refuses the
 * batch, the records are retried one by one so a single bad element does not
 * lose the rest. Deleting an absent element is not an error. Returns the
 * number of records that failed. */
int enf_commit(struct enforcer *e);

/* Number of records waiting for enf_commit. */
unsigned enf_pending(const struct enforcer *e);

/* Removes every element from both sets (the table and chain stay). */
int enf_flush(struct enforcer *e);

/* Reads back one element from the kernel: 1 if p is banned (p is an element,
 * or lies inside one prefix element), 0 if not, -1 on error. Uses per-element
 * netlink gets, never a listing of the whole set. Always 0 in observe mode. */
int enf_contains(struct enforcer *e, const struct a5_prefix *p);

/* Deletes table inet article5 entirely (used by tests and `article5 flush --all`). */
int enf_destroy_table(struct enforcer *e);

const struct enf_stats *enf_get_stats(const struct enforcer *e);
void enf_close(struct enforcer *e);

#endif
