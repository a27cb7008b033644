/* evidence_file.h - evidence files: equivocation proofs anyone holding the
 * charter can check offline (docs/journal.md). Each proof is a block of
 * text lines:
 *   article5-proof 1 / member NAME / key ed25519:... / seq N / found UNIX /
 *   first BASE64 / second BASE64 / end
 * Blank lines and lines starting with '#' are ignored. */
#ifndef A5_EVIDENCE_FILE_H
#define A5_EVIDENCE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coalition/charter.h"

#define JOURNAL_EVIDENCE_MAX (64u * 1024 * 1024)	/* bytes per file */
#define JOURNAL_EVIDENCE_PROOFS_MAX 256

/* Writes one proof block (after checking it as journal_proof_check does).
 * 0, or -1 with why filled. */
int journal_evidence_write(FILE *f, const char *member, uint64_t seq, int64_t found,
    const void *a, size_t alen, const void *b, size_t blen, char *why, size_t whylen);
/* Checks every proof block of text against charter c: the envelopes'
 * signatures, one signer who is a member of c, c's coalition, the same
 * number, different links (reports or revocations); the header's key and
 * seq must agree with the envelopes (member and found are for people, not
 * checked). each, if not NULL, is called once per proof with its line,
 * verdict and a message ("NAME signed two different reports #N (P and Q)",
 * "NAME signed two different links #N (report of P and revocation of Q)",
 * or what is wrong).
 * 0 every proof (at least one) holds, 1 some do not, -1 the file is not an
 * evidence file (err: "line N: what"). */
int journal_evidence_check(const char *text, size_t len, const struct charter *c,
    void (*each)(void *arg, size_t line, bool valid, const char *msg), void *arg,
    char *err, size_t errlen);

#endif
