/* proof_check.h - equivocation proofs: two signed links of one member's
 * chain for one coalition, under the same sequence number, that differ.
 * A link is a report inside an envelope ("A5") or a revocation ("AR",
 * docs/protocol.md "Revocations"), so a proof holds two envelopes, two
 * revocations, or one of each. Checked by the receiver of a proof message,
 * before the journal records one, and by anyone holding an evidence file. */
#ifndef A5_PROOF_H
#define A5_PROOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "coalition/identity.h"
#include "coalition/wire.h"

/* One side of a proof: the link numbered seq in one signed message. */
struct journal_proof_link {
	uint64_t seq;
	bool revocation;		/* an "AR" revocation; else a report of an envelope */
	struct a5_prefix prefix;	/* what the report bans, or the revocation unbans */
};

/* An equivocation proof, as checked. */
struct journal_proof {
	uint8_t reporter[ID_PUBLIC_BYTES];
	uint8_t coalition[WIRE_COALITION_BYTES];
	struct journal_proof_link first, second;	/* the two links numbered seq */
};

/* Checks that a and b are envelopes or revocations whose signatures
 * verify, by the same reporter, for the same coalition, each holding a
 * link numbered seq (a report of that number; a revocation of that seq),
 * and that those two links differ (their chain hashes: a report and a
 * revocation always do). Membership is the caller's to check (against a
 * charter). 0 (out filled), or -1 with why filled. */
int journal_proof_check(const void *a, size_t alen, const void *b, size_t blen, uint64_t seq,
    struct journal_proof *out, char *why, size_t whylen);
/* The key the message a of a proof names as its signer, NOT verified (for
 * cheap refusals before the signature checks): NULL unless a is an
 * envelope or a revocation. */
const uint8_t *journal_proof_signer(const void *a, size_t alen);

#endif
