/* evidence.c - the coalition's entries in the journal: checked as they are
 * written, laid out as docs/journal.md says, and checked again by
 * journal_verify. The journal stores the bytes (ledger/journal.c). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coalition/evidence.h"
#include "coalition/governance.h"

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Checks a report body: count:2, count indexes:2 (strictly increasing,
 * each < the envelope's report count), then the envelope. */
static int
report_check(struct wire_envelope *e, const uint8_t *body, size_t len,
    char key[ID_PUBLIC_TEXT_MAX], char *why, size_t n)
{
	size_t count, off;
	enum wire_status ws;

	if (len < 2 || (count = (size_t)get_be(body, 2)) == 0 || count > WIRE_REPORTS_MAX ||
	    len < 2 + 2 * count) {
		snprintf(why, n, "report: malformed index list");
		return -1;
	}
	off = 2 + 2 * count;
	if ((ws = wire_decode(body + off, len - off, e)) != WIRE_OK) {
		snprintf(why, n, "report: stored envelope does not verify: %s", wire_status_text(ws));
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		uint64_t idx = get_be(body + 2 + 2 * i, 2);
		if (idx >= e->nreports || (i > 0 && idx <= get_be(body + 2 * i, 2))) {
			snprintf(why, n, "report: index %llu out of order or beyond the envelope's %zu reports",
			    (unsigned long long)idx, e->nreports);
			return -1;
		}
	}
	identity_pk_to_text(e->reporter, key, ID_PUBLIC_TEXT_MAX);
	return 0;
}

/* journal_report and journal_report_decoded: decoded, when not NULL, is
 * the caller's wire_decode of exactly env, whose signature is then not
 * checked a second time; the rest of report_check is done either way. */
static int
report_append(struct journal *j, int64_t at, const void *env, size_t len,
    const struct wire_envelope *decoded, const uint16_t *accepted, size_t naccepted)
{
	struct wire_envelope *e = NULL;
	char key[ID_PUBLIC_TEXT_MAX], why[JOURNAL_WHY_MAX];
	uint8_t *body;
	size_t blen = 2 + 2 * naccepted + len;
	int ret = 0;

	if (decoded == NULL && (e = malloc(sizeof(*e))) == NULL)
		return journal_fail(j, "out of memory");
	if (naccepted == 0 || naccepted > WIRE_REPORTS_MAX || len > WIRE_ENVELOPE_MAX) {
		free(e);
		return journal_fail(j, "report: %zu accepted indexes, %zu envelope bytes", naccepted,
		    len);
	}
	if ((body = malloc(blen)) == NULL) {
		free(e);
		return journal_fail(j, "out of memory");
	}
	put_be(body, naccepted, 2);
	for (size_t i = 0; i < naccepted; i++)
		put_be(body + 2 + 2 * i, accepted[i], 2);
	memcpy(body + 2 + 2 * naccepted, env, len);
	/* Checked as journal_verify will: never record what it would flag. */
	if (decoded == NULL) {
		if (report_check(e, body, blen, key, why, sizeof(why)) != 0)
			ret = journal_fail(j, "%s", why);
	} else {
		for (size_t i = 0; i < naccepted && ret == 0; i++)
			if (accepted[i] >= decoded->nreports || (i > 0 && accepted[i] <= accepted[i - 1]))
				ret = journal_fail(j, "report: index %u out of order or beyond the envelope's "
				    "%zu reports", (unsigned)accepted[i], decoded->nreports);
		identity_pk_to_text(decoded->reporter, key, sizeof(key));
	}
	if (ret == 0)
		ret = journal_append(j, at, JOURNAL_REPORT, key, body, blen);
	free(body);
	free(e);
	return ret;
}

int
journal_report(struct journal *j, int64_t at, const void *env, size_t len,
    const uint16_t *accepted, size_t naccepted)
{
	return report_append(j, at, env, len, NULL, accepted, naccepted);
}

int
journal_report_decoded(struct journal *j, int64_t at, const void *env, size_t len,
    const struct wire_envelope *decoded, const uint16_t *accepted, size_t naccepted)
{
	return report_append(j, at, env, len, decoded, accepted, naccepted);
}

int
journal_refusal(struct journal *j, int64_t at, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const char *reason, const struct a5_prefix *p)
{
	char key[ID_PUBLIC_TEXT_MAX], text[A5_PREFIX_STRLEN] = "-", body[JOURNAL_TEXT_MAX];
	int w;

	identity_pk_to_text(reporter, key, sizeof(key));
	if (p != NULL)
		prefix_format(p, text, sizeof(text));
	w = snprintf(body, sizeof(body), "seq=%llu reason=%s prefix=%s",
	    (unsigned long long)seq, reason, text);
	if (w < 0 || (size_t)w >= sizeof(body) || !journal_printable(body, (size_t)w))
		return journal_fail(j, "refusal: reason not printable or too long");
	return journal_append(j, at, JOURNAL_REFUSAL, key, body, (size_t)w);
}

int
journal_proof(struct journal *j, int64_t at, uint64_t seq,
    const void *a, size_t alen, const void *b, size_t blen)
{
	struct journal_proof pr;
	char key[ID_PUBLIC_TEXT_MAX], why[JOURNAL_WHY_MAX];
	uint8_t *body;
	size_t len = 12 + alen + blen;
	int ret;

	if (journal_proof_check(a, alen, b, blen, seq, &pr, why, sizeof(why)) != 0)
		return journal_fail(j, "proof: %s", why);
	if ((body = malloc(len)) == NULL)
		return journal_fail(j, "out of memory");
	put_be(body, seq, 8);
	put_be(body + 8, alen, 4);
	memcpy(body + 12, a, alen);
	memcpy(body + 12 + alen, b, blen);
	identity_pk_to_text(pr.reporter, key, sizeof(key));
	ret = journal_append(j, at, JOURNAL_PROOF, key, body, len);
	free(body);
	return ret;
}

int
journal_commitment(struct journal *j, int64_t at, const void *msg, size_t len)
{
	struct wire_commitment *c = malloc(sizeof(*c));
	char key[ID_PUBLIC_TEXT_MAX];
	enum wire_status ws;

	if (c == NULL)
		return journal_fail(j, "out of memory");
	ws = wire_commit_decode(msg, len, c);
	if (ws == WIRE_OK)
		identity_pk_to_text(c->member, key, sizeof(key));
	free(c);
	if (ws != WIRE_OK)
		return journal_fail(j, "commitment: %s", wire_status_text(ws));
	return journal_append(j, at, JOURNAL_COMMITMENT, key, msg, len);
}

/* A charter bundle that decodes, with at least one valid signature; its
 * subject "version N" in subject. 0, or -1 with why. */
static int
charter_check(const void *bundle, size_t len, char *subject, size_t sn, char *why, size_t n)
{
	struct gov_update *u;
	uint8_t digest[GOV_DIGEST_BYTES];
	char gwhy[200];
	size_t valid = 0;

	if (gov_decode(bundle, len, &u, gwhy, sizeof(gwhy)) != 0) {
		snprintf(why, n, "charter: %s", gwhy);
		return -1;
	}
	gov_digest(u, digest);
	for (size_t i = 0; i < u->nsigs; i++)
		if (crypto_sign_verify_detached(u->sigs[i].sig, digest, sizeof(digest),
		    u->sigs[i].pk) == 0)
			valid++;
	snprintf(subject, sn, "version %llu", (unsigned long long)u->version);
	gov_free(u);
	if (valid == 0) {
		snprintf(why, n, "charter: no valid signature");
		return -1;
	}
	return 0;
}

int
journal_charter(struct journal *j, int64_t at, const void *bundle, size_t len)
{
	char subject[64], why[JOURNAL_WHY_MAX];

	if (charter_check(bundle, len, subject, sizeof(subject), why, sizeof(why)) != 0)
		return journal_fail(j, "%s", why);
	return journal_append(j, at, JOURNAL_CHARTER, subject, bundle, len);
}

/* --- verification --- */

/* What an entry's kind says its body must be (journal_check_fn; the
 * journal checks its own kind, local). env is a decode buffer. */
static int
entry_check(void *env, const struct journal_entry *en, char *why, size_t n)
{
	const char *kind = en->kind, *subject = en->subject;
	const uint8_t *body = en->body;
	size_t len = en->len;
	char key[ID_PUBLIC_TEXT_MAX];
	uint8_t pk[ID_PUBLIC_BYTES];

	if (strcmp(kind, JOURNAL_REPORT) == 0) {
		if (report_check(env, body, len, key, why, n) != 0)
			return -1;
		if (strcmp(subject, key) != 0) {
			snprintf(why, n, "report: subject is not the envelope's signer %s", key);
			return -1;
		}
		return 0;
	}
	if (strcmp(kind, JOURNAL_PROOF) == 0) {
		struct journal_proof pr;
		char pwhy[JOURNAL_WHY_MAX - 16];
		uint64_t alen;
		if (len < 12 || (alen = get_be(body + 8, 4)) > len - 12) {
			snprintf(why, n, "proof: malformed body");
			return -1;
		}
		if (journal_proof_check(body + 12, (size_t)alen, body + 12 + alen,
		    len - 12 - (size_t)alen, get_be(body, 8), &pr, pwhy, sizeof(pwhy)) != 0) {
			snprintf(why, n, "proof: %s", pwhy);
			return -1;
		}
		identity_pk_to_text(pr.reporter, key, sizeof(key));
		if (strcmp(subject, key) != 0) {
			snprintf(why, n, "proof: subject is not the envelopes' signer %s", key);
			return -1;
		}
		return 0;
	}
	if (strcmp(kind, JOURNAL_REFUSAL) == 0) {
		if (len > JOURNAL_TEXT_MAX || !journal_printable((const char *)body, len)) {
			snprintf(why, n, "%s: body is not short printable text", kind);
			return -1;
		}
		if (identity_pk_from_text(subject, pk) != 0) {
			snprintf(why, n, "%s: subject is not a key", kind);
			return -1;
		}
		return 0;
	}
	if (strcmp(kind, JOURNAL_COMMITMENT) == 0) {
		struct wire_commitment *c = malloc(sizeof(*c));
		enum wire_status ws;
		if (c == NULL) {
			snprintf(why, n, "out of memory");
			return -1;
		}
		ws = wire_commit_decode(body, len, c);
		if (ws == WIRE_OK)
			identity_pk_to_text(c->member, key, sizeof(key));
		free(c);
		if (ws != WIRE_OK) {
			snprintf(why, n, "commitment: %s", wire_status_text(ws));
			return -1;
		}
		if (strcmp(subject, key) != 0) {
			snprintf(why, n, "commitment: subject is not its signer %s", key);
			return -1;
		}
		return 0;
	}
	if (strcmp(kind, JOURNAL_CHARTER) == 0) {
		char want[64];
		if (charter_check(body, len, want, sizeof(want), why, n) != 0)
			return -1;
		if (strcmp(subject, want) != 0) {
			snprintf(why, n, "charter: subject is not \"%s\"", want);
			return -1;
		}
		return 0;
	}
	snprintf(why, n, "unknown kind \"%s\"", kind);
	return -1;
}

int
journal_verify(struct journal *j, struct journal_check *out)
{
	struct wire_envelope *env = malloc(sizeof(*env));
	int ret;

	if (env == NULL) {
		memset(out, 0, sizeof(*out));
		return journal_fail(j, "out of memory");
	}
	ret = journal_walk(j, entry_check, env, out);
	free(env);
	return ret;
}
