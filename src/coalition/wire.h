/* wire.h - the coalition's wire format (docs/protocol.md): reports carried
 * in signed envelopes. One ed25519 signature covers a whole envelope, so a
 * busy member signs once per batch; an idle one sends envelopes of one.
 * Decoding is bounds-checked and only starts once the length is valid. */
#ifndef A5_WIRE_H
#define A5_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coalition/identity.h"
#include "common/addr.h"

#define WIRE_VERSION 1
#define WIRE_HASH_BYTES 32		/* BLAKE2b-256 */
#define WIRE_COALITION_BYTES 16		/* BLAKE2b-128 of the coalition name */
#define WIRE_NAME_MAX 47		/* service and rule names */
#define WIRE_REPORTS_MAX 256		/* reports per envelope */
#define WIRE_ENVELOPE_MAX 65536		/* bytes */
/* magic "A5" (2), version (1), coalition (16), reporter (32), count (2) */
#define WIRE_HEADER_BYTES 53
/* "<reporter hex>-<first seq>": 64 + 1 + 20 digits + NUL */
#define WIRE_MSGID_MAX 88

struct wire_report {
	uint64_t seq;			/* per reporter, from 1, no gaps */
	uint8_t prev[WIRE_HASH_BYTES];	/* hash of the reporter's previous report; zeros for seq 1 */
	uint64_t timestamp_us;
	struct a5_prefix prefix;
	char service[WIRE_NAME_MAX + 1];
	char rule[WIRE_NAME_MAX + 1];
	uint32_t evidence;
	uint64_t first_seen, last_seen;	/* unix seconds */
	uint32_t ttl;			/* seconds */
};

struct wire_envelope {
	uint8_t coalition[WIRE_COALITION_BYTES];
	uint8_t reporter[ID_PUBLIC_BYTES];
	size_t nreports;
	struct wire_report reports[WIRE_REPORTS_MAX];
};

enum wire_status {
	WIRE_OK = 0,
	WIRE_ERR_LENGTH,	/* too short, too long, or lengths that do not add up */
	WIRE_ERR_VERSION,
	WIRE_ERR_FIELD,		/* a field out of range (family, prefix length, names) */
	WIRE_ERR_SIGNATURE,
};

const char *wire_status_text(enum wire_status s);

/* Coalition id from its name. */
void wire_coalition_id(const char *name, uint8_t out[WIRE_COALITION_BYTES]);
/* Hash of one report's encoding (the chain link): BLAKE2b-256 over the
 * reporter key followed by the report's bytes as they appear on the wire.
 * Meaningful for a valid report only (one wire_encode accepts). */
void wire_report_hash(const struct wire_report *r, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint8_t out[WIRE_HASH_BYTES]);

/* True if r alone is well formed: seq >= 1 (zeros in prev when seq is 1),
 * family 4/6, length within it, no host bits, no IPv4-mapped IPv6 prefix,
 * names of 1..47 bytes of [A-Za-z0-9._-]. wire_encode refuses a whole
 * envelope holding one bad report; a sender checks each before adding it. */
bool wire_report_valid(const struct wire_report *r);

/* Encodes and signs e with id's secret key. Returns the length, or 0 if buf
 * is too small or e is invalid. */
size_t wire_encode(const struct wire_envelope *e, const struct identity *id,
    uint8_t *buf, size_t buflen);
/* Decodes buf into e and verifies the signature against e->reporter (taken
 * from the message; the caller then checks that key is a member). The
 * signature is checked before any report is parsed. On error e->nreports
 * is 0. */
enum wire_status wire_decode(const uint8_t *buf, size_t len, struct wire_envelope *e);

/* The JetStream message id of an envelope, "<reporter hex>-<first seq>"
 * (de-duplicates a publish that is retried); "" if e has no reports. out
 * should hold WIRE_MSGID_MAX bytes. */
void wire_msgid(const struct wire_envelope *e, char *out, size_t n);

/* The message id a chain link is published under: "<signer hex>-<seq>-<d>"
 * for an envelope (seq: its first report's), "<signer hex>-r<seq>-<d>" for
 * a revocation, d = 8 bytes of BLAKE2b of the signed bytes, in hex.
 * JetStream drops a second message with an id it holds, so the id must name
 * the bytes: a member that published two links under one id would have the
 * stream keep one while the fast path delivered both, and the members that
 * catch up from the stream would never see the other. Receivers therefore
 * refuse a new link whose id is not this one (ACC_MSGID). out: at least
 * WIRE_LINK_MSGID_MAX bytes. */
#define WIRE_LINK_MSGID_MAX (WIRE_MSGID_MAX + 24)
void wire_link_msgid(const uint8_t signer[ID_PUBLIC_BYTES], const char *tag, uint64_t seq,
    const uint8_t *buf, size_t len, char *out, size_t n);

/* --- commitments (docs/protocol.md, "Commitments") ---
 * Every period a member signs what it enforces on behalf of the others:
 * how far it has processed each reporter's chain, the count and LtHash
 * digest of its kernel's coalition sets, and the prefixes it declines on
 * purpose, by reason. Magic "AC", same version byte as envelopes. */
#define WIRE_COMMIT_APPLIED_MAX 256	/* = CHARTER_MEMBERS_MAX */
#define WIRE_COMMIT_DECLINES_MAX 1024
/* bit 0: the kernel digest could not be read (no mirror, observe mode,
 * stale mirror): count and digest are zero and mean nothing */
#define WIRE_COMMIT_NO_DIGEST 0x01
/* bit 1: more declines than WIRE_COMMIT_DECLINES_MAX; the list is cut */
#define WIRE_COMMIT_TRUNCATED 0x02

enum wire_decline_reason {
	WIRE_DECLINE_ALLOWLIST = 1,	/* the member's local allowlist */
	WIRE_DECLINE_UNBAN = 2,		/* a local unban holds against reports */
	WIRE_DECLINE_RATE = 3,		/* over the reporter's rate as seen here */
	WIRE_DECLINE_KERNEL = 4,	/* the kernel refused the element */
	WIRE_DECLINE_MAX = 4
};

struct wire_applied {
	uint8_t reporter[ID_PUBLIC_BYTES];
	uint64_t seq;			/* reports up to this one were processed */
};

struct wire_decline {
	struct a5_prefix prefix;
	uint8_t reason;			/* enum wire_decline_reason */
	uint64_t until;			/* unix seconds */
};

struct wire_commitment {
	uint8_t coalition[WIRE_COALITION_BYTES];
	uint8_t member[ID_PUBLIC_BYTES];
	uint64_t seq;			/* this member's commitments, from 1 */
	uint64_t time_us;		/* when the digest was read */
	uint32_t period;		/* seconds; the charter's commit_period */
	uint32_t ttl_cap;		/* the member's local ban cap, seconds; 0 = none */
	uint8_t flags;			/* WIRE_COMMIT_* */
	uint64_t count;			/* coalition bans in the kernel */
	uint8_t digest[WIRE_HASH_BYTES];	/* LtHash16 digest of them */
	size_t napplied, ndeclines;
	struct wire_applied applied[WIRE_COMMIT_APPLIED_MAX];
	struct wire_decline declines[WIRE_COMMIT_DECLINES_MAX];
};

/* The first two bytes of every coalition message say what it is. */
enum wire_kind { WIRE_KIND_UNKNOWN, WIRE_KIND_ENVELOPE, WIRE_KIND_COMMITMENT,
	WIRE_KIND_PROOF, WIRE_KIND_CHARTER, WIRE_KIND_REVOCATION };
enum wire_kind wire_kind(const uint8_t *buf, size_t len);

/* Encodes and signs c with id (c->member must be id's key). Returns the
 * length, or 0 if buf is too small or a field is invalid. */
size_t wire_commit_encode(const struct wire_commitment *c, const struct identity *id,
    uint8_t *buf, size_t buflen);
/* Verifies the signature against the key the message names, then decodes;
 * every count is checked against the bytes left before it is used. */
enum wire_status wire_commit_decode(const uint8_t *buf, size_t len, struct wire_commitment *c);
const char *wire_decline_name(uint8_t reason);

/*
 * Equivocation proof "AP" (docs/protocol.md "Proofs"): the two messages
 * (envelopes "A5" or revocations "AR", either or both) in which one reporter
 * signed two different links of its chain under one sequence number.
 * The message itself is not signed: each envelope carries its reporter's
 * signature, which is all the proof rests on, and whoever relays it adds
 * nothing a receiver should trust. Checking the two envelopes is the
 * receiver's job (journal_proof_check).
 */
#define WIRE_PROOF_HEADER_BYTES 15	/* magic, version, seq, first length */
#define WIRE_PROOF_MAX (WIRE_PROOF_HEADER_BYTES + 4 + 2 * WIRE_ENVELOPE_MAX)

struct wire_proof {
	uint64_t seq;
	const uint8_t *a, *b;		/* point into the decoded buffer */
	size_t alen, blen;
};

/* Returns the length written, or 0 if buf is too small or an envelope is
 * empty or longer than WIRE_ENVELOPE_MAX. */
size_t wire_proof_encode(uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t *buf, size_t buflen);
/* Bounds only: the lengths must add up to len exactly. */
enum wire_status wire_proof_decode(const uint8_t *buf, size_t len, struct wire_proof *p);
/*
 * Revocation "AR" (docs/protocol.md "Revocations"): the origin of a ban
 * takes it back (its operator unbanned it). It is a link of the origin's
 * own chain like a report (seq, prev, timestamp; the next report's prev is
 * its hash), so it is ordered with the reports and cannot be replayed. It
 * names the report it revokes by (origin, seq, hash) and the prefix. One
 * per message: unbans are rare operator actions.
 */
#define WIRE_REVOKE_KIND 0x52	/* 'R': where a report has its family (4 or 6) */
#define WIRE_REVOKE_MAX 256	/* bytes: the IPv6 form is 254 */

struct wire_revocation {
	uint8_t coalition[WIRE_COALITION_BYTES];
	uint8_t reporter[ID_PUBLIC_BYTES];	/* the signer */
	uint64_t seq;				/* in the signer's chain */
	uint8_t prev[WIRE_HASH_BYTES];
	uint64_t timestamp_us;
	uint8_t origin[ID_PUBLIC_BYTES];	/* whose report is revoked (must be the signer) */
	uint64_t revoked_seq;
	uint8_t revoked_hash[WIRE_HASH_BYTES];
	struct a5_prefix prefix;
};

/* seq >= 1 (zeros in prev when 1), revoked_seq >= 1 and, when origin is
 * the signer, below seq; a valid prefix (no IPv4-mapped IPv6 one). */
bool wire_revocation_valid(const struct wire_revocation *v);
/* The chain link: BLAKE2b-256 over the signer's key and the record's
 * bytes (seq to address) as on the wire; the kind byte keeps it apart from
 * any report's. */
void wire_revocation_hash(const struct wire_revocation *v, uint8_t out[WIRE_HASH_BYTES]);
/* Encodes and signs (v->reporter must be id's key). Length, or 0. */
size_t wire_revocation_encode(const struct wire_revocation *v, const struct identity *id,
    uint8_t *buf, size_t buflen);
/* Length, magic and version, signature (by the key named), then fields. */
enum wire_status wire_revocation_decode(const uint8_t *buf, size_t len, struct wire_revocation *v);

/* The key an envelope names as its signer, NOT verified: for cheap
 * refusals before signatures are checked. NULL if buf is no envelope. */
const uint8_t *wire_envelope_signer(const uint8_t *buf, size_t len);
/* The same for any signed message (envelope, commitment, revocation): the
 * key it names, NOT verified, so that a receiver looks it up in its
 * charter before it spends a signature check. NULL if too short for one. */
const uint8_t *wire_signer(const uint8_t *buf, size_t len);

#endif
