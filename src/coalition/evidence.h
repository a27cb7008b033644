/* evidence.h - the coalition's entries in the tamper-evident journal
 * (ledger/journal.h): received envelopes and the reports accepted from
 * them, refusals, equivocation proofs, this member's commitments and the
 * charter updates it adopted. Each call checks what it is given as
 * journal_verify will, formats the body docs/journal.md describes, names
 * the subject, and hands the bytes to journal_append; journal_verify
 * re-walks the chain and checks every stored signature again. */
#ifndef A5_EVIDENCE_H
#define A5_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "coalition/identity.h"
#include "coalition/proof_check.h"
#include "coalition/wire.h"
#include "common/addr.h"
#include "ledger/journal.h"

/* The coalition's entry kinds (docs/journal.md gives each body's layout). */
#define JOURNAL_REPORT "report"		/* a received envelope and the reports accepted */
#define JOURNAL_REFUSAL "refusal"	/* a member's report refused, and why */
#define JOURNAL_PROOF "proof"		/* two envelopes: a member equivocated */
#define JOURNAL_COMMITMENT "commitment"	/* a signed commitment (docs/commitment.md) */
#define JOURNAL_CHARTER "charter"	/* a charter update adopted (docs/governance.md) */

/* report: a received envelope (its bytes as they arrived) and the indexes
 * (strictly increasing) of its reports the acceptance pipeline accepted
 * (verdict ACC_APPLY); subject is the envelope's signer. The envelope's
 * signature is checked again here. */
int journal_report(struct journal *j, int64_t at, const void *env, size_t len,
    const uint16_t *accepted, size_t naccepted);
/* The same for a caller that has just decoded env with wire_decode
 * (WIRE_OK) into decoded: its signature is not verified twice. The index
 * list is checked against decoded as journal_verify will check it. */
int journal_report_decoded(struct journal *j, int64_t at, const void *env, size_t len,
    const struct wire_envelope *decoded, const uint16_t *accepted, size_t naccepted);
/* refusal: report seq of reporter refused for reason (accept_reason_name);
 * p may be NULL (a refusal of a whole envelope). */
int journal_refusal(struct journal *j, int64_t at, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const char *reason, const struct a5_prefix *p);
/* commitment: a signed commitment message as published (its signature is
 * checked here, and again by verify); subject is its signer. */
int journal_commitment(struct journal *j, int64_t at, const void *msg, size_t len);
/* charter: a charter update bundle adopted from the stream, as received;
 * subject "version N". verify checks that it decodes, that the subject is
 * its version and that it carries at least one valid signature (whether
 * they were enough depends on the charter then in force: `article5 charter
 * show --charter PREVIOUS` tells, offline). */
int journal_charter(struct journal *j, int64_t at, const void *bundle, size_t len);
/* proof: the two messages (envelopes or revocations) holding different
 * links numbered seq, both signed by the same member (checked with
 * journal_proof_check first: an invalid proof is refused, not recorded). */
int journal_proof(struct journal *j, int64_t at, uint64_t seq,
    const void *a, size_t alen, const void *b, size_t blen);

/* journal_walk with the coalition's checks: every stored signature
 * verifies (envelopes; proofs: see journal_proof_check), every subject
 * names what its body says, every kind is known. 0 intact, 1 broken
 * (out->bad, out->why), -1 on a database error (journal_errmsg). */
int journal_verify(struct journal *j, struct journal_check *out);

#endif
