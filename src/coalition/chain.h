/* chain.h - the heads of the coalition's chains, one row per member of the
 * charter in force: this member's own (the last report it signed) and each
 * other member's (the last report processed here, with the numbers a gap
 * skipped), kept in the ledger's state table across restarts.
 *
 * The acceptance pipeline (accept.h) checks the others' chains; this table
 * is what is recorded of them and what commitments declare. The ledger
 * keeps each head as the text "seq:hexhash" under "chain:self" or
 * "chain:<member key in hex>", and the missing numbers as "n,n,..." under
 * "gaps:<member key in hex>": that format is read and written here only. */
#ifndef A5_CHAIN_H
#define A5_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coalition/charter.h"
#include "coalition/wire.h"

struct accept;
struct ledger;

/* The own head could not be read: publishing stays off, since reusing a
 * sequence number is equivocation. */
#define CHAIN_BROKEN UINT64_MAX

struct chain_head {
	uint8_t member[ID_PUBLIC_BYTES];
	uint64_t seq;			/* 0: no report yet; own: CHAIN_BROKEN */
	uint8_t hash[WIRE_HASH_BYTES];	/* the chain hash of report seq */
	bool gaps_saved;		/* the ledger holds missing numbers for it */
};

struct chain_table {
	size_t n;			/* rows: the charter's members, in its order */
	size_t self;			/* this member's row */
	struct chain_head heads[CHARTER_MEMBERS_MAX];
	uint64_t positions[CHARTER_MEMBERS_MAX];	/* chain_positions' answer */
	uint64_t settled[CHARTER_MEMBERS_MAX];		/* chain_settled's answer */
};

/* Rows for the members of c, this member at row self; the own head is
 * kept when the table held one (a charter update keeps the own chain),
 * the others' start empty. */
void chain_table_reset(struct chain_table *t, const struct charter *c, size_t self);
/* Reads the own head from the ledger (none: seq 0). A head that does not
 * parse sets CHAIN_BROKEN, logged. */
void chain_load_own(struct chain_table *t, struct ledger *l);
/* Reads the others' heads and missing numbers into the table and into
 * acc, and quarantines in acc the members the ledger holds proofs against. */
void chain_load_peers(struct chain_table *t, struct ledger *l, struct accept *acc);
/* Records the own head after an envelope numbered up to seq: the ledger in
 * the caller's batch, the table once that worked. 0, or -1 (ledger error,
 * table unchanged). */
int chain_save_own(struct chain_table *t, struct ledger *l, uint64_t seq,
    const uint8_t hash[WIRE_HASH_BYTES]);
/* Records member row's head and missing numbers as acc holds them now. */
void chain_save_peer(struct chain_table *t, struct ledger *l, const struct accept *acc,
    size_t row);
/* How far each chain is processed, in charter order (the own one: what is
 * signed, 0 while broken), as audit.h and commitments take them. Refreshed
 * from acc; valid until the next call. */
const uint64_t *chain_positions(struct chain_table *t, const struct accept *acc);
/* The same, each other chain only as far as it holds no hole
 * (accept_chain_settled, holes given up after settle seconds): what this
 * member has really applied of each, as an audit of the others must count
 * it. */
const uint64_t *chain_settled(struct chain_table *t, struct accept *acc, int64_t now,
    int64_t settle);
/* Whether some other chain has a hole below its head (with
 * chain_settled's answer of the same call). */
bool chain_holes(const struct chain_table *t);

#endif
