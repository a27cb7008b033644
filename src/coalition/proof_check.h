/* proof_check.h - equivocation proofs: two envelopes, both validly signed by one
 * member for one coalition, holding two different reports under the same
 * sequence number. Checked by the receiver of a proof message, before the
 * journal records one, and by anyone holding an evidence file. */
#ifndef A5_PROOF_H
#define A5_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "coalition/identity.h"
#include "coalition/wire.h"

/* An equivocation proof, as checked. */
struct journal_proof {
	uint8_t reporter[ID_PUBLIC_BYTES];
	uint8_t coalition[WIRE_COALITION_BYTES];
	struct wire_report first, second;	/* the two reports numbered seq */
};

/* Checks that a and b are envelopes whose signatures verify, by the same
 * reporter, for the same coalition, each holding a report numbered seq,
 * and that those two reports differ. Membership is the caller's to check
 * (against a charter). 0 (out filled), or -1 with why filled. */
int journal_proof_check(const void *a, size_t alen, const void *b, size_t blen, uint64_t seq,
    struct journal_proof *out, char *why, size_t whylen);

#endif
