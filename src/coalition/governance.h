/* governance.h - charter updates (docs/governance.md): a new charter text,
 * the hash of the one it replaces and the members' signatures, in one
 * binary bundle that is both a file and a coalition stream message. An
 * update takes effect only when signed by the threshold of voting members
 * of the charter in force. */
#ifndef A5_GOVERNANCE_H
#define A5_GOVERNANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coalition/charter.h"
#include "coalition/identity.h"

#define GOV_FORMAT_VERSION 1
#define GOV_SIGS_MAX CHARTER_MEMBERS_MAX
#define GOV_DIGEST_BYTES 32
/* magic (2), format (1), name length (1), version (8), previous hash (32),
 * text length (4), signature count (2): everything but the name, the text
 * and the signatures. */
#define GOV_FIXED_BYTES 50
#define GOV_SIG_ENTRY_BYTES (ID_PUBLIC_BYTES + ID_SIGNATURE_BYTES)
#define GOV_BUNDLE_MAX (GOV_FIXED_BYTES + (CHARTER_NAME_MAX - 1) + CHARTER_FILE_MAX + \
	GOV_SIGS_MAX * GOV_SIG_ENTRY_BYTES)

struct gov_signature {
	uint8_t pk[ID_PUBLIC_BYTES];
	uint8_t sig[ID_SIGNATURE_BYTES];
};

struct gov_update {
	char coalition[CHARTER_NAME_MAX];	/* the coalition's name */
	uint64_t version;			/* of the new charter: the current one's + 1 */
	uint8_t prev_hash[CHARTER_HASH_BYTES];	/* charter_hash of the text it replaces */
	char *text;				/* the new charter, len bytes (+ a NUL) */
	size_t len;
	size_t nsigs;				/* sorted by pk, no duplicates */
	struct gov_signature sigs[GOV_SIGS_MAX];
};

/* What became of each signature in gov_check. */
enum gov_sig_verdict {
	GOV_SIG_COUNTED,	/* valid, by a voting member of the current charter */
	GOV_SIG_INVALID,	/* does not verify: made for other content, or damaged */
	GOV_SIG_UNKNOWN,	/* valid, but the key is not in the current charter */
	GOV_SIG_NOT_VOTER,	/* valid, by an observer or a revoked member: not counted */
};

struct gov_tally {
	unsigned required;		/* charter_threshold(current) */
	unsigned counted, invalid, not_counted;	/* not_counted: UNKNOWN + NOT_VOTER */
	enum gov_sig_verdict verdict[GOV_SIGS_MAX];	/* per u->sigs[i] */
	int member[GOV_SIGS_MAX];	/* per u->sigs[i]: index in current->members, or -1 */
	size_t nmissing;		/* voting members without a counted signature */
	size_t missing[CHARTER_MEMBERS_MAX];	/* their indexes in current->members */
};

/* gov_check's results. */
#define GOV_ADOPTABLE 0
#define GOV_PENDING 1		/* valid, but not enough signatures yet */
#define GOV_REFUSED (-1)

/* A new, unsigned update replacing cur (whose exact text hashes to
 * cur_hash) by text: the text must parse (its errors are reported as
 * "name:LINE: ..."), name the same coalition, say "version" cur->version + 1
 * and leave at least one voting member. *out is for gov_free. 0, or -1
 * with err filled. */
int gov_propose(const struct charter *cur, const uint8_t cur_hash[CHARTER_HASH_BYTES],
    const char *name, const char *text, size_t len, struct gov_update **out,
    char *err, size_t errlen);
void gov_free(struct gov_update *u);

/* What each member signs (docs/governance.md): BLAKE2b-256 over a domain
 * string, the coalition id, the version, the previous hash and the hash
 * of the new text. */
void gov_digest(const struct gov_update *u, uint8_t out[GOV_DIGEST_BYTES]);

/* Adds id's signature, kept in key order. Refuses a key whose valid
 * signature is there already and a full update; an entry under id's key
 * that does not verify is replaced. Any key may sign; only the current
 * charter's voting members count (gov_check). 0, or -1 with err filled. */
int gov_sign(struct gov_update *u, const struct identity *id, char *err, size_t errlen);

/* Adds to dst the signatures of src that verify and that dst lacks (or
 * holds only in a form that does not verify), when both carry the same
 * update (coalition, version, previous hash and text). Whether a signer
 * counts is gov_check's business (see gov_prune). Returns the number added
 * or replaced, or -1 with err filled (another update, or more than
 * GOV_SIGS_MAX signatures in all). */
int gov_merge(struct gov_update *dst, const struct gov_update *src, char *err, size_t errlen);
/* Drops every signature gov_check(cur, ...) would not count (invalid,
 * unknown key, observer, revoked), keeping the order. Whoever collects
 * signatures from others (the coalition stream) prunes what it receives
 * before merging, so that strangers' valid signatures cannot fill the
 * GOV_SIGS_MAX slots. Returns the number dropped. */
size_t gov_prune(struct gov_update *u, const struct charter *cur);

/* The exact size of u's encoding, and the encoding itself into buf.
 * gov_encode returns the length written, or 0 if buf is too small or u
 * is malformed (a field out of range, signatures not strictly in key
 * order). */
size_t gov_encoded_len(const struct gov_update *u);
size_t gov_encode(const struct gov_update *u, uint8_t *buf, size_t buflen);
/* Decodes a bundle (hostile input: every length is checked before use,
 * the total must be exact, signers strictly in key order hence distinct).
 * Signatures are verified by gov_check, not here. *out is for gov_free.
 * 0, or -1 with err filled. */
int gov_decode(const uint8_t *buf, size_t len, struct gov_update **out, char *err, size_t errlen);

/* Whether u may replace cur now: same coalition, version cur->version + 1,
 * previous hash cur_hash, a new text that parses (into *next, which may be
 * NULL) to the same coalition and version with at least one voting
 * member, and at least charter_threshold(cur) valid signatures of distinct
 * voting members of cur. t (may be NULL) gets every signature's verdict
 * whatever the result. Returns GOV_ADOPTABLE, GOV_PENDING (only the
 * signatures are missing; err says "N of K required signatures (missing:
 * ...)") or GOV_REFUSED (err says why). */
int gov_check(const struct charter *cur, const uint8_t cur_hash[CHARTER_HASH_BYTES],
    const struct gov_update *u, struct charter *next, struct gov_tally *t,
    char *err, size_t errlen);

const char *gov_sig_verdict_text(enum gov_sig_verdict v);

#endif
