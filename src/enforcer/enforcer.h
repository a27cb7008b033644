/* enforcer.h - applies validated ban records to nftables, in batches.
 *
 * The enforcer parses nothing: it takes fixed-size binary records, re-checks
 * them (family, length, host bits, allowlist, ttl cap) and applies them in
 * batches: one nfnetlink transaction per commit for the address sets,
 * written directly, and one libnftables transaction for the prefix sets. It
 * owns `table inet article5` and never touches any other table. It runs
 * in the daemon's root enforcer process, fed by the sandboxed worker over
 * a socketpair (daemon/privsep.h, docs/privsep.md). */
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
/* The same four for the coalition group: bans this host enforces on behalf
 * of other members live in sets of their own, so that a digest of exactly
 * them can be published (docs/commitment.md). */
#define ENF_CSET4 "cban4"
#define ENF_CSET6 "cban6"
#define ENF_CNET4 "cban4net"
#define ENF_CNET6 "cban6net"
/* Records queued beyond this before a commit are refused (counted). */
#define ENF_QUEUE_MAX 65536

enum enf_op { ENF_ADD = 1, ENF_DELETE = 2 };

/* Which group of sets a record goes to. A zeroed record is local. A record
 * only ever touches the sets of its own group: deleting X from the
 * coalition group leaves a local ban of X in place. */
#define ENF_GROUP_LOCAL		0	/* ban4, ban6, ban4net, ban6net */
#define ENF_GROUP_COALITION	1	/* cban4, cban6, cban4net, cban6net */

struct enf_record {
	uint8_t op;		/* enum enf_op */
	uint8_t group;		/* ENF_GROUP_*; anything else is refused */
	uint16_t ttl_ms;	/* milliseconds added to ttl, 0..999: a coalition
				 * ban ends at its deadline, not up to 1 s after */
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
 * ban4net/ban6net (prefixes), the same four for the coalition group
 * (cban4...), and chains on the input and forward hooks dropping the
 * members of all eight. Existing set elements are kept (they carry their
 * own kernel-side timeouts), missing sets are added (a table made by an
 * older version), our rules are rewritten to exist exactly once. Returns
 * NULL and fills err on failure. */
struct enforcer *enf_open(bool observe, const struct prefixlist *allow,
    uint32_t ttl_max, char *err, size_t errlen);

/* Validates and queues one record; 0, or -1 if refused (reason in the log).
 * Additions overlapping the allowlist are refused; deletions never are. A ttl
 * of 0 or above ttl_max is lowered to ttl_max when ttl_max is set. Within
 * its group, a /32 or /128 goes to the address set, a shorter prefix to the
 * prefix set. */
int enf_queue(struct enforcer *e, const struct enf_record *r);

/* Applies every queued record: the addresses in one transaction (a netlink
 * batch), then the prefixes in another (nft commands). If the kernel refuses
 * a transaction, it is split until the refused records stand alone, so a
 * single bad element does not lose the rest. Deleting an absent element is
 * not an error. Returns the number of records that failed. */
int enf_commit(struct enforcer *e);

/* Number of records waiting for enf_commit. */
unsigned enf_pending(const struct enforcer *e);

/* Removes every element from all eight sets, both groups (the table and
 * chains stay). If one of the sets is gone, the table is set up again, as
 * enf_commit does, and then flushed: 0 means every set exists and is empty,
 * and the drop rules are in place. -1 if that could not be reached (or the
 * table was removed by enf_destroy_table). */
int enf_flush(struct enforcer *e);

/* Reads back one element from the kernel: 1 if p is dropped (p is an
 * element, or lies inside one prefix element, of either group), 0 if not,
 * -1 on error. Uses per-element netlink gets, never a listing of the whole
 * set. Always 0 in observe mode. */
int enf_contains(struct enforcer *e, const struct a5_prefix *p);

/* The same, in the sets of one group only (ENF_GROUP_*; -1 for another). */
int enf_contains_group(struct enforcer *e, int group, const struct a5_prefix *p);

/* Deletes table inet article5 entirely (used by tests and `article5 flush --all`). */
int enf_destroy_table(struct enforcer *e);

const struct enf_stats *enf_get_stats(const struct enforcer *e);
void enf_close(struct enforcer *e);

#endif
