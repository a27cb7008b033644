/* wire.c - encoding, signing, verifying and decoding coalition envelopes
 * (the format is described field by field in docs/protocol.md). */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "coalition/wire.h"
#include "coalition/wirebuf.h"

#define OFF_VERSION 2
#define OFF_COALITION 3
#define OFF_REPORTER (OFF_COALITION + WIRE_COALITION_BYTES)
#define OFF_COUNT (OFF_REPORTER + ID_PUBLIC_BYTES)

/* seq, prev, timestamp, family, len, address (16 at most), service and
 * rule (length byte + 47 at most each), evidence, first/last seen, ttl. */
#define REPORT_MIN_BYTES (8 + WIRE_HASH_BYTES + 8 + 1 + 1 + 4 + 1 + 1 + 1 + 1 + 4 + 8 + 8 + 4)
#define REPORT_MAX_BYTES (8 + WIRE_HASH_BYTES + 8 + 1 + 1 + 16 + 2 * (1 + WIRE_NAME_MAX) + \
	4 + 8 + 8 + 4)

_Static_assert(OFF_COUNT + 2 == WIRE_HEADER_BYTES, "header layout");
/* A full envelope always fits: the encoder never needs a length check
 * beyond the caller's buffer. */
_Static_assert(WIRE_HEADER_BYTES + WIRE_REPORTS_MAX * REPORT_MAX_BYTES + ID_SIGNATURE_BYTES <=
    WIRE_ENVELOPE_MAX, "largest envelope exceeds WIRE_ENVELOPE_MAX");

static const uint8_t wire_magic[2] = { 'A', '5' };

/* libsodium picks its fastest BLAKE2b at sodium_init(); calling it on every
 * report hash would take its mutex 256 times per envelope. */
static atomic_bool sodium_ready;

static int
wire_sodium_init(void)
{
	if (atomic_load_explicit(&sodium_ready, memory_order_acquire))
		return 0;
	if (sodium_init() < 0)
		return -1;
	atomic_store_explicit(&sodium_ready, true, memory_order_release);
	return 0;
}

static bool
name_valid(const char *s, size_t n)
{
	if (n == 0 || n > WIRE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static size_t
addr_bytes(uint8_t family)
{
	return family == A5_AF_INET ? 4 : 16;
}

/* One report on its own: the chain rules that need no history (seq from
 * 1, zeros before the first) and the form of every field. */
bool
wire_report_valid(const struct wire_report *r)
{
	if (r->seq == 0 || (r->seq == 1 && !sodium_is_zero(r->prev, WIRE_HASH_BYTES)))
		return false;
	if (prefix_check(&r->prefix) != NULL)
		return false;
	return name_valid(r->service, strnlen(r->service, sizeof(r->service))) &&
	    name_valid(r->rule, strnlen(r->rule, sizeof(r->rule)));
}

static void
put_name(struct wbuf *w, const char *s)
{
	/* Clamped so that even an invalid report (wire_report_hash takes any)
	 * cannot be read past its array. */
	size_t n = strnlen(s, WIRE_NAME_MAX);

	put_uint(w, n, 1);
	put_bytes(w, s, n);
}

static void
put_report(struct wbuf *w, const struct wire_report *r)
{
	put_uint(w, r->seq, 8);
	put_bytes(w, r->prev, WIRE_HASH_BYTES);
	put_uint(w, r->timestamp_us, 8);
	put_uint(w, r->prefix.family, 1);
	put_uint(w, r->prefix.len, 1);
	put_bytes(w, r->prefix.addr, addr_bytes(r->prefix.family));
	put_name(w, r->service);
	put_name(w, r->rule);
	put_uint(w, r->evidence, 4);
	put_uint(w, r->first_seen, 8);
	put_uint(w, r->last_seen, 8);
	put_uint(w, r->ttl, 4);
}

static enum wire_status
get_name(struct rbuf *rb, char out[WIRE_NAME_MAX + 1])
{
	uint64_t n;

	if (get_uint(rb, 1, &n) != 0)
		return WIRE_ERR_LENGTH;
	if (n == 0 || n > WIRE_NAME_MAX)
		return WIRE_ERR_FIELD;
	if (get_bytes(rb, out, (size_t)n) != 0)
		return WIRE_ERR_LENGTH;
	out[n] = '\0';
	/* Checked on the bytes read, not with strlen: a NUL inside the name
	 * must be refused, not cut at. */
	return name_valid(out, (size_t)n) ? WIRE_OK : WIRE_ERR_FIELD;
}

static enum wire_status
get_report(struct rbuf *rb, struct wire_report *r)
{
	uint64_t v, family, len;
	enum wire_status st;

	if (get_uint(rb, 8, &r->seq) != 0 ||
	    get_bytes(rb, r->prev, WIRE_HASH_BYTES) != 0 ||
	    get_uint(rb, 8, &r->timestamp_us) != 0 ||
	    get_uint(rb, 1, &family) != 0 ||
	    get_uint(rb, 1, &len) != 0)
		return WIRE_ERR_LENGTH;
	/* The family decides how many address bytes follow: nothing further
	 * can be read without a valid one. */
	if (family != A5_AF_INET && family != A5_AF_INET6)
		return WIRE_ERR_FIELD;
	memset(&r->prefix, 0, sizeof(r->prefix));
	r->prefix.family = (uint8_t)family;
	r->prefix.len = (uint8_t)len;
	if (get_bytes(rb, r->prefix.addr, addr_bytes(r->prefix.family)) != 0)
		return WIRE_ERR_LENGTH;
	if ((st = get_name(rb, r->service)) != WIRE_OK ||
	    (st = get_name(rb, r->rule)) != WIRE_OK)
		return st;
	if (get_uint(rb, 4, &v) != 0)
		return WIRE_ERR_LENGTH;
	r->evidence = (uint32_t)v;
	if (get_uint(rb, 8, &r->first_seen) != 0 ||
	    get_uint(rb, 8, &r->last_seen) != 0 ||
	    get_uint(rb, 4, &v) != 0)
		return WIRE_ERR_LENGTH;
	r->ttl = (uint32_t)v;
	return wire_report_valid(r) ? WIRE_OK : WIRE_ERR_FIELD;
}

const char *
wire_status_text(enum wire_status s)
{
	switch (s) {
	case WIRE_OK: return "ok";
	case WIRE_ERR_LENGTH: return "bad length (truncated, too long, or trailing bytes)";
	case WIRE_ERR_VERSION: return "not an article5 envelope or unsupported version";
	case WIRE_ERR_FIELD: return "field out of range";
	case WIRE_ERR_SIGNATURE: return "bad signature";
	}
	return "unknown wire status";
}

void
wire_coalition_id(const char *name, uint8_t out[WIRE_COALITION_BYTES])
{
	(void)wire_sodium_init();	/* only picks the fastest code; works without */
	crypto_generichash(out, WIRE_COALITION_BYTES, (const uint8_t *)name, strlen(name),
	    NULL, 0);
}

void
wire_report_hash(const struct wire_report *r, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint8_t out[WIRE_HASH_BYTES])
{
	uint8_t buf[ID_PUBLIC_BYTES + REPORT_MAX_BYTES];
	struct wbuf w = { buf, sizeof(buf), 0, false };

	(void)wire_sodium_init();
	put_bytes(&w, reporter, ID_PUBLIC_BYTES);
	put_report(&w, r);	/* cannot overflow: REPORT_MAX_BYTES is the most */
	crypto_generichash(out, WIRE_HASH_BYTES, buf, w.off, NULL, 0);
}

size_t
wire_encode(const struct wire_envelope *e, const struct identity *id,
    uint8_t *buf, size_t buflen)
{
	struct wbuf w = { buf, buflen, 0, false };

	if (wire_sodium_init() != 0)
		return 0;
	if (e->nreports == 0 || e->nreports > WIRE_REPORTS_MAX)
		return 0;
	/* Signed with another key than the one it names, it would only ever
	 * fail verification at every receiver. */
	if (memcmp(e->reporter, id->pk, ID_PUBLIC_BYTES) != 0)
		return 0;
	for (size_t i = 0; i < e->nreports; i++) {
		if (!wire_report_valid(&e->reports[i]))
			return 0;
		if (i > 0 && e->reports[i].seq != e->reports[i - 1].seq + 1)
			return 0;
	}
	put_bytes(&w, wire_magic, sizeof(wire_magic));
	put_uint(&w, WIRE_VERSION, 1);
	put_bytes(&w, e->coalition, WIRE_COALITION_BYTES);
	put_bytes(&w, e->reporter, ID_PUBLIC_BYTES);
	put_uint(&w, e->nreports, 2);
	for (size_t i = 0; i < e->nreports; i++)
		put_report(&w, &e->reports[i]);
	if (w.overflow || ID_SIGNATURE_BYTES > w.cap - w.off)
		return 0;
	crypto_sign_detached(buf + w.off, NULL, buf, w.off, id->sk);
	return w.off + ID_SIGNATURE_BYTES;
}

/* What every signed message (envelope, commitment) passes before any field
 * is parsed: its length within [header + signature, max], the magic and
 * version (before the signature: another version may sign differently),
 * then the whole signature, by the key the message names at OFF_REPORTER,
 * so a forgery costs one verify and never reaches a parser. Whether that
 * key belongs to a member is the caller's question. libsodium refuses
 * small-order keys and non-canonical signatures, so a signed message has
 * one encoding. */
static enum wire_status
signed_check(const uint8_t *buf, size_t len, const uint8_t magic[2], size_t header, size_t max)
{
	size_t body;

	if (len < header + ID_SIGNATURE_BYTES || len > max)
		return WIRE_ERR_LENGTH;
	if (memcmp(buf, magic, 2) != 0 || buf[OFF_VERSION] != WIRE_VERSION)
		return WIRE_ERR_VERSION;
	if (wire_sodium_init() != 0)
		return WIRE_ERR_SIGNATURE;
	body = len - ID_SIGNATURE_BYTES;
	if (crypto_sign_verify_detached(buf + body, buf, body, buf + OFF_REPORTER) != 0)
		return WIRE_ERR_SIGNATURE;
	return WIRE_OK;
}

enum wire_status
wire_decode(const uint8_t *buf, size_t len, struct wire_envelope *e)
{
	struct rbuf rb;
	uint64_t count;
	size_t body;
	enum wire_status st;

	e->nreports = 0;
	if ((st = signed_check(buf, len, wire_magic, WIRE_HEADER_BYTES, WIRE_ENVELOPE_MAX)) != WIRE_OK)
		return st;
	body = len - ID_SIGNATURE_BYTES;

	rb = (struct rbuf){ buf, body, OFF_COALITION };
	if (get_bytes(&rb, e->coalition, WIRE_COALITION_BYTES) != 0 ||
	    get_bytes(&rb, e->reporter, ID_PUBLIC_BYTES) != 0 ||
	    get_uint(&rb, 2, &count) != 0)
		return WIRE_ERR_LENGTH;
	if (count == 0 || count > WIRE_REPORTS_MAX)
		return WIRE_ERR_FIELD;
	/* Cheap early refusal of a count the remaining bytes cannot hold. */
	if (count * REPORT_MIN_BYTES > rb.len - rb.off)
		return WIRE_ERR_LENGTH;
	for (size_t i = 0; i < count; i++) {
		struct wire_report *r = &e->reports[i];
		if ((st = get_report(&rb, r)) != WIRE_OK)
			return st;
		/* One envelope carries one run of the reporter's chain. */
		if (i > 0 && r->seq != e->reports[i - 1].seq + 1)
			return WIRE_ERR_FIELD;
	}
	if (rb.off != rb.len)
		return WIRE_ERR_LENGTH;	/* bytes between the last report and the signature */
	e->nreports = (size_t)count;
	return WIRE_OK;
}

void
wire_msgid(const struct wire_envelope *e, char *out, size_t n)
{
	char hex[ID_PUBLIC_BYTES * 2 + 1];

	if (n == 0)
		return;
	out[0] = '\0';
	if (e->nreports == 0)
		return;
	sodium_bin2hex(hex, sizeof(hex), e->reporter, ID_PUBLIC_BYTES);
	if ((size_t)snprintf(out, n, "%s-%" PRIu64, hex, e->reports[0].seq) >= n)
		out[0] = '\0';	/* a truncated id would de-duplicate the wrong messages */
}

void
wire_link_msgid(const uint8_t signer[ID_PUBLIC_BYTES], const char *tag, uint64_t seq,
    const uint8_t *buf, size_t len, char *out, size_t n)
{
	uint8_t digest[8];
	char dhex[2 * sizeof(digest) + 1], khex[ID_PUBLIC_BYTES * 2 + 1];

	if (n == 0)
		return;
	crypto_generichash(digest, sizeof(digest), buf, len, NULL, 0);
	sodium_bin2hex(dhex, sizeof(dhex), digest, sizeof(digest));
	sodium_bin2hex(khex, sizeof(khex), signer, ID_PUBLIC_BYTES);
	if ((size_t)snprintf(out, n, "%s-%s%" PRIu64 "-%s", khex, tag, seq, dhex) >= n)
		out[0] = '\0';	/* a truncated id would de-duplicate the wrong messages */
}

/* --- commitments --- */

static const uint8_t commit_magic[2] = { 'A', 'C' };

/* magic, version, coalition, member, seq, time, period, ttl cap, flags,
 * count, digest, applied count, decline count */
#define COMMIT_HEADER_BYTES (2 + 1 + WIRE_COALITION_BYTES + ID_PUBLIC_BYTES + 8 + 8 + 4 + 4 + \
	1 + 8 + WIRE_HASH_BYTES + 2 + 2)
#define APPLIED_BYTES (ID_PUBLIC_BYTES + 8)
/* family, length, address (4 or 16), reason, until */
#define DECLINE_MIN_BYTES (1 + 1 + 4 + 1 + 8)
#define DECLINE_MAX_BYTES (1 + 1 + 16 + 1 + 8)
#define WIRE_COMMIT_MAX (COMMIT_HEADER_BYTES + WIRE_COMMIT_APPLIED_MAX * APPLIED_BYTES + \
	WIRE_COMMIT_DECLINES_MAX * DECLINE_MAX_BYTES + ID_SIGNATURE_BYTES)
_Static_assert(WIRE_COMMIT_MAX <= WIRE_ENVELOPE_MAX, "a full commitment must fit a message");

enum wire_kind
wire_kind(const uint8_t *buf, size_t len)
{
	if (len < 2 || buf[0] != 'A')
		return WIRE_KIND_UNKNOWN;
	switch (buf[1]) {
	case '5': return WIRE_KIND_ENVELOPE;
	case 'C': return WIRE_KIND_COMMITMENT;
	case 'P': return WIRE_KIND_PROOF;
	case 'G': return WIRE_KIND_CHARTER;
	case 'R': return WIRE_KIND_REVOCATION;
	}
	return WIRE_KIND_UNKNOWN;
}

const char *
wire_decline_name(uint8_t reason)
{
	switch (reason) {
	case WIRE_DECLINE_ALLOWLIST: return "allowlist";
	case WIRE_DECLINE_UNBAN: return "local-unban";
	case WIRE_DECLINE_RATE: return "rate";
	case WIRE_DECLINE_KERNEL: return "kernel-refused";
	}
	return "unknown";
}

static bool
commit_valid(const struct wire_commitment *c)
{
	if (c->seq == 0 || c->period == 0 || c->napplied > WIRE_COMMIT_APPLIED_MAX ||
	    c->ndeclines > WIRE_COMMIT_DECLINES_MAX || (c->flags & ~(WIRE_COMMIT_NO_DIGEST |
	    WIRE_COMMIT_TRUNCATED)) != 0)
		return false;
	for (size_t i = 0; i < c->ndeclines; i++)
		if (prefix_check(&c->declines[i].prefix) != NULL || c->declines[i].reason == 0 ||
		    c->declines[i].reason > WIRE_DECLINE_MAX)
			return false;
	return true;
}

size_t
wire_commit_encode(const struct wire_commitment *c, const struct identity *id,
    uint8_t *buf, size_t buflen)
{
	struct wbuf w = { buf, buflen, 0, false };

	if (wire_sodium_init() != 0 || !commit_valid(c) ||
	    memcmp(c->member, id->pk, ID_PUBLIC_BYTES) != 0)
		return 0;
	put_bytes(&w, commit_magic, sizeof(commit_magic));
	put_uint(&w, WIRE_VERSION, 1);
	put_bytes(&w, c->coalition, WIRE_COALITION_BYTES);
	put_bytes(&w, c->member, ID_PUBLIC_BYTES);
	put_uint(&w, c->seq, 8);
	put_uint(&w, c->time_us, 8);
	put_uint(&w, c->period, 4);
	put_uint(&w, c->ttl_cap, 4);
	put_uint(&w, c->flags, 1);
	put_uint(&w, c->count, 8);
	put_bytes(&w, c->digest, WIRE_HASH_BYTES);
	put_uint(&w, c->napplied, 2);
	put_uint(&w, c->ndeclines, 2);
	for (size_t i = 0; i < c->napplied; i++) {
		put_bytes(&w, c->applied[i].reporter, ID_PUBLIC_BYTES);
		put_uint(&w, c->applied[i].seq, 8);
	}
	for (size_t i = 0; i < c->ndeclines; i++) {
		const struct wire_decline *d = &c->declines[i];
		put_uint(&w, d->prefix.family, 1);
		put_uint(&w, d->prefix.len, 1);
		put_bytes(&w, d->prefix.addr, addr_bytes(d->prefix.family));
		put_uint(&w, d->reason, 1);
		put_uint(&w, d->until, 8);
	}
	if (w.overflow || ID_SIGNATURE_BYTES > w.cap - w.off)
		return 0;
	crypto_sign_detached(buf + w.off, NULL, buf, w.off, id->sk);
	return w.off + ID_SIGNATURE_BYTES;
}

enum wire_status
wire_commit_decode(const uint8_t *buf, size_t len, struct wire_commitment *c)
{
	struct rbuf rb;
	uint64_t v, napplied, ndeclines, family, plen, reason;
	size_t body;
	enum wire_status st;

	c->napplied = c->ndeclines = 0;
	if ((st = signed_check(buf, len, commit_magic, COMMIT_HEADER_BYTES, WIRE_COMMIT_MAX)) != WIRE_OK)
		return st;
	body = len - ID_SIGNATURE_BYTES;

	rb = (struct rbuf){ buf, body, OFF_COALITION };
	if (get_bytes(&rb, c->coalition, WIRE_COALITION_BYTES) != 0 ||
	    get_bytes(&rb, c->member, ID_PUBLIC_BYTES) != 0 ||
	    get_uint(&rb, 8, &c->seq) != 0 || get_uint(&rb, 8, &c->time_us) != 0 ||
	    get_uint(&rb, 4, &v) != 0)
		return WIRE_ERR_LENGTH;
	c->period = (uint32_t)v;
	if (get_uint(&rb, 4, &v) != 0)
		return WIRE_ERR_LENGTH;
	c->ttl_cap = (uint32_t)v;
	if (get_uint(&rb, 1, &v) != 0)
		return WIRE_ERR_LENGTH;
	c->flags = (uint8_t)v;
	if (get_uint(&rb, 8, &c->count) != 0 || get_bytes(&rb, c->digest, WIRE_HASH_BYTES) != 0 ||
	    get_uint(&rb, 2, &napplied) != 0 || get_uint(&rb, 2, &ndeclines) != 0)
		return WIRE_ERR_LENGTH;
	if (napplied > WIRE_COMMIT_APPLIED_MAX || ndeclines > WIRE_COMMIT_DECLINES_MAX)
		return WIRE_ERR_FIELD;
	if (napplied * APPLIED_BYTES + ndeclines * DECLINE_MIN_BYTES > rb.len - rb.off)
		return WIRE_ERR_LENGTH;
	for (size_t i = 0; i < napplied; i++)
		if (get_bytes(&rb, c->applied[i].reporter, ID_PUBLIC_BYTES) != 0 ||
		    get_uint(&rb, 8, &c->applied[i].seq) != 0)
			return WIRE_ERR_LENGTH;
	for (size_t i = 0; i < ndeclines; i++) {
		struct wire_decline *d = &c->declines[i];
		if (get_uint(&rb, 1, &family) != 0 || get_uint(&rb, 1, &plen) != 0)
			return WIRE_ERR_LENGTH;
		if (family != A5_AF_INET && family != A5_AF_INET6)
			return WIRE_ERR_FIELD;
		memset(&d->prefix, 0, sizeof(d->prefix));
		d->prefix.family = (uint8_t)family;
		d->prefix.len = (uint8_t)plen;
		if (get_bytes(&rb, d->prefix.addr, addr_bytes(d->prefix.family)) != 0 ||
		    get_uint(&rb, 1, &reason) != 0 || get_uint(&rb, 8, &d->until) != 0)
			return WIRE_ERR_LENGTH;
		d->reason = (uint8_t)reason;
	}
	if (rb.off != rb.len)
		return WIRE_ERR_LENGTH;
	c->napplied = (size_t)napplied;
	c->ndeclines = (size_t)ndeclines;
	if (!commit_valid(c)) {
		c->napplied = c->ndeclines = 0;
		return WIRE_ERR_FIELD;
	}
	return WIRE_OK;
}

/* --- equivocation proofs --- */

static const uint8_t proof_magic[2] = { 'A', 'P' };

size_t
wire_proof_encode(uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    uint8_t *buf, size_t buflen)
{
	struct wbuf w = { buf, buflen, 0, false };

	if (alen == 0 || blen == 0 || alen > WIRE_ENVELOPE_MAX || blen > WIRE_ENVELOPE_MAX)
		return 0;
	put_bytes(&w, proof_magic, sizeof(proof_magic));
	put_uint(&w, WIRE_VERSION, 1);
	put_uint(&w, seq, 8);
	put_uint(&w, alen, 4);
	put_bytes(&w, a, alen);
	put_uint(&w, blen, 4);
	put_bytes(&w, b, blen);
	return w.overflow ? 0 : w.off;
}

enum wire_status
wire_proof_decode(const uint8_t *buf, size_t len, struct wire_proof *p)
{
	struct rbuf rb = { buf, len, sizeof(proof_magic) + 1 };
	uint64_t alen, blen;

	memset(p, 0, sizeof(*p));
	if (len < WIRE_PROOF_HEADER_BYTES + 4 || len > WIRE_PROOF_MAX)
		return WIRE_ERR_LENGTH;
	if (memcmp(buf, proof_magic, sizeof(proof_magic)) != 0 || buf[2] != WIRE_VERSION)
		return WIRE_ERR_VERSION;
	if (get_uint(&rb, 8, &p->seq) != 0 || get_uint(&rb, 4, &alen) != 0)
		return WIRE_ERR_LENGTH;
	if (alen == 0 || alen > WIRE_ENVELOPE_MAX || alen > rb.len - rb.off)
		return WIRE_ERR_LENGTH;
	p->a = buf + rb.off;
	p->alen = (size_t)alen;
	rb.off += (size_t)alen;
	if (get_uint(&rb, 4, &blen) != 0 || blen == 0 || blen > WIRE_ENVELOPE_MAX ||
	    blen != rb.len - rb.off) {
		memset(p, 0, sizeof(*p));
		return WIRE_ERR_LENGTH;
	}
	p->b = buf + rb.off;
	p->blen = (size_t)blen;
	return WIRE_OK;
}

const uint8_t *
wire_envelope_signer(const uint8_t *buf, size_t len)
{
	if (len < WIRE_HEADER_BYTES + ID_SIGNATURE_BYTES || wire_kind(buf, len) != WIRE_KIND_ENVELOPE)
		return NULL;
	return buf + OFF_REPORTER;
}

const uint8_t *
wire_signer(const uint8_t *buf, size_t len)
{
	switch (wire_kind(buf, len)) {
	case WIRE_KIND_ENVELOPE: case WIRE_KIND_COMMITMENT: case WIRE_KIND_REVOCATION:
		break;
	default:
		return NULL;
	}
	if (len < OFF_REPORTER + ID_PUBLIC_BYTES + ID_SIGNATURE_BYTES)
		return NULL;
	return buf + OFF_REPORTER;
}

/* --- revocations --- */

static const uint8_t revoke_magic[2] = { 'A', 'R' };

/* magic, version, coalition, reporter */
#define REVOKE_HEADER_BYTES (2 + 1 + WIRE_COALITION_BYTES + ID_PUBLIC_BYTES)
/* seq, prev, timestamp, kind, origin, revoked seq and hash, family, len,
 * address (16 at most) */
#define REVOKE_RECORD_MAX (8 + WIRE_HASH_BYTES + 8 + 1 + ID_PUBLIC_BYTES + 8 + WIRE_HASH_BYTES + \
	1 + 1 + 16)
_Static_assert(REVOKE_HEADER_BYTES + REVOKE_RECORD_MAX + ID_SIGNATURE_BYTES == 254,
    "revocation layout (docs/protocol.md)");
_Static_assert(REVOKE_HEADER_BYTES + REVOKE_RECORD_MAX + ID_SIGNATURE_BYTES <= WIRE_REVOKE_MAX,
    "WIRE_REVOKE_MAX");

bool
wire_revocation_valid(const struct wire_revocation *v)
{
	if (v->seq == 0 || (v->seq == 1 && !sodium_is_zero(v->prev, WIRE_HASH_BYTES)))
		return false;
	/* One's own report comes before its revocation in one's own chain;
	 * another's report is in another chain (refused by the receiver as
	 * not-origin, with that reason, not as malformed). */
	if (v->revoked_seq == 0 || (v->revoked_seq >= v->seq &&
	    memcmp(v->origin, v->reporter, ID_PUBLIC_BYTES) == 0))
		return false;
	return prefix_check(&v->prefix) == NULL;
}

static void
put_revocation(struct wbuf *w, const struct wire_revocation *v)
{
	put_uint(w, v->seq, 8);
	put_bytes(w, v->prev, WIRE_HASH_BYTES);
	put_uint(w, v->timestamp_us, 8);
	put_uint(w, WIRE_REVOKE_KIND, 1);
	put_bytes(w, v->origin, ID_PUBLIC_BYTES);
	put_uint(w, v->revoked_seq, 8);
	put_bytes(w, v->revoked_hash, WIRE_HASH_BYTES);
	put_uint(w, v->prefix.family, 1);
	put_uint(w, v->prefix.len, 1);
	put_bytes(w, v->prefix.addr, addr_bytes(v->prefix.family));
}

void
wire_revocation_hash(const struct wire_revocation *v, uint8_t out[WIRE_HASH_BYTES])
{
	uint8_t buf[ID_PUBLIC_BYTES + REVOKE_RECORD_MAX];
	struct wbuf w = { buf, sizeof(buf), 0, false };

	(void)wire_sodium_init();
	put_bytes(&w, v->reporter, ID_PUBLIC_BYTES);
	put_revocation(&w, v);	/* cannot overflow: REVOKE_RECORD_MAX is the most */
	crypto_generichash(out, WIRE_HASH_BYTES, buf, w.off, NULL, 0);
}

size_t
wire_revocation_encode(const struct wire_revocation *v, const struct identity *id,
    uint8_t *buf, size_t buflen)
{
	struct wbuf w = { buf, buflen, 0, false };

	if (wire_sodium_init() != 0 || !wire_revocation_valid(v) ||
	    memcmp(v->reporter, id->pk, ID_PUBLIC_BYTES) != 0)
		return 0;
	put_bytes(&w, revoke_magic, sizeof(revoke_magic));
	put_uint(&w, WIRE_VERSION, 1);
	put_bytes(&w, v->coalition, WIRE_COALITION_BYTES);
	put_bytes(&w, v->reporter, ID_PUBLIC_BYTES);
	put_revocation(&w, v);
	if (w.overflow || ID_SIGNATURE_BYTES > w.cap - w.off)
		return 0;
	crypto_sign_detached(buf + w.off, NULL, buf, w.off, id->sk);
	return w.off + ID_SIGNATURE_BYTES;
}

enum wire_status
wire_revocation_decode(const uint8_t *buf, size_t len, struct wire_revocation *v)
{
	struct rbuf rb;
	uint64_t kind, family, plen;
	enum wire_status st;

	memset(v, 0, sizeof(*v));
	if ((st = signed_check(buf, len, revoke_magic, REVOKE_HEADER_BYTES, WIRE_REVOKE_MAX)) != WIRE_OK)
		return st;
	rb = (struct rbuf){ buf, len - ID_SIGNATURE_BYTES, OFF_COALITION };
	if (get_bytes(&rb, v->coalition, WIRE_COALITION_BYTES) != 0 ||
	    get_bytes(&rb, v->reporter, ID_PUBLIC_BYTES) != 0 ||
	    get_uint(&rb, 8, &v->seq) != 0 ||
	    get_bytes(&rb, v->prev, WIRE_HASH_BYTES) != 0 ||
	    get_uint(&rb, 8, &v->timestamp_us) != 0 ||
	    get_uint(&rb, 1, &kind) != 0 ||
	    get_bytes(&rb, v->origin, ID_PUBLIC_BYTES) != 0 ||
	    get_uint(&rb, 8, &v->revoked_seq) != 0 ||
	    get_bytes(&rb, v->revoked_hash, WIRE_HASH_BYTES) != 0 ||
	    get_uint(&rb, 1, &family) != 0 ||
	    get_uint(&rb, 1, &plen) != 0)
		return WIRE_ERR_LENGTH;
	if (kind != WIRE_REVOKE_KIND || (family != A5_AF_INET && family != A5_AF_INET6))
		return WIRE_ERR_FIELD;
	v->prefix.family = (uint8_t)family;
	v->prefix.len = (uint8_t)plen;
	if (get_bytes(&rb, v->prefix.addr, addr_bytes(v->prefix.family)) != 0)
		return WIRE_ERR_LENGTH;
	if (rb.off != rb.len)
		return WIRE_ERR_LENGTH;
	return wire_revocation_valid(v) ? WIRE_OK : WIRE_ERR_FIELD;
}
