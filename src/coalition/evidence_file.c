/* evidence_file.c - evidence files: equivocation proofs as text anyone
 * holding the coalition's charter can check offline (docs/journal.md). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coalition/charter.h"
#include "coalition/evidence_file.h"
#include "coalition/proof_check.h"
#include "common/addr.h"
#include "common/util.h"

/* Room for a verdict's reason (journal_proof_check's why). */
#define EVIDENCE_WHY_MAX 256

static bool
text_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

#define EVIDENCE_HEADER "article5-proof 1"

static int
put_base64(FILE *f, const char *field, const void *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b = malloc(n);

	if (b == NULL)
		return -1;
	sodium_bin2base64(b, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	fprintf(f, "%s %s\n", field, b);
	free(b);
	return 0;
}

int
journal_evidence_write(FILE *f, const char *member, uint64_t seq, int64_t found,
    const void *a, size_t alen, const void *b, size_t blen, char *why, size_t whylen)
{
	struct journal_proof pr;
	char key[ID_PUBLIC_TEXT_MAX];

	/* Exporting a proof that does not hold would accuse falsely. */
	if (journal_proof_check(a, alen, b, blen, seq, &pr, why, whylen) != 0)
		return -1;
	if (!text_printable(member, strlen(member)) || member[0] == '\0') {
		snprintf(why, whylen, "member name not printable");
		return -1;
	}
	identity_pk_to_text(pr.reporter, key, sizeof(key));
	fprintf(f, "\n" EVIDENCE_HEADER "\nmember %s\nkey %s\nseq %llu\nfound %lld\n", member, key,
	    (unsigned long long)seq, (long long)found);
	if (put_base64(f, "first", a, alen) != 0 || put_base64(f, "second", b, blen) != 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	fprintf(f, "end\n");
	if (ferror(f)) {
		snprintf(why, whylen, "write error");
		return -1;
	}
	return 0;
}

/* One proof block of an evidence file: slices of the text. */
struct ev_block {
	size_t line;			/* of the header */
	const char *key, *first, *second;
	size_t keylen, firstlen, secondlen;
	uint64_t seq;
	bool has_seq;
};

static int
base64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	const char *end;

	if (n == 0 || sodium_base642bin(out, cap, s, n, NULL, len, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n)
		return -1;
	return 0;
}

/* Checks one complete block; msg gets the verdict's text. 0 valid. */
static int
ev_block_check(const struct ev_block *b, const struct charter *c, uint8_t *ea, uint8_t *eb,
    char *msg, size_t n)
{
	uint8_t pk[ID_PUBLIC_BYTES], coalition[WIRE_COALITION_BYTES];
	char key[ID_PUBLIC_TEXT_MAX], why[EVIDENCE_WHY_MAX - 32];
	char pa[A5_PREFIX_STRLEN], pb[A5_PREFIX_STRLEN];
	const struct charter_member *m;
	struct journal_proof pr;
	size_t alen, blen;

	if (b->key == NULL || !b->has_seq || b->first == NULL || b->second == NULL) {
		snprintf(msg, n, "incomplete: expected key, seq, first and second");
		return -1;
	}
	if (b->keylen >= sizeof(key)) {
		snprintf(msg, n, "bad key");
		return -1;
	}
	memcpy(key, b->key, b->keylen);
	key[b->keylen] = '\0';
	if (identity_pk_from_text(key, pk) != 0) {
		snprintf(msg, n, "bad key");
		return -1;
	}
	if (base64_decode(b->first, b->firstlen, ea, WIRE_ENVELOPE_MAX, &alen) != 0 ||
	    base64_decode(b->second, b->secondlen, eb, WIRE_ENVELOPE_MAX, &blen) != 0) {
		snprintf(msg, n, "an envelope is not base64 of at most %d bytes", WIRE_ENVELOPE_MAX);
		return -1;
	}
	if (journal_proof_check(ea, alen, eb, blen, b->seq, &pr, why, sizeof(why)) != 0) {
		snprintf(msg, n, "%s", why);
		return -1;
	}
	/* The header only says what to expect: the envelopes decide. */
	if (memcmp(pr.reporter, pk, ID_PUBLIC_BYTES) != 0) {
		snprintf(msg, n, "the envelopes are not signed by %s", key);
		return -1;
	}
	if ((m = charter_find(c, pr.reporter)) == NULL) {
		snprintf(msg, n, "%s is not a member of coalition %s", key, c->name);
		return -1;
	}
	wire_coalition_id(c->name, coalition);
	if (memcmp(pr.coalition, coalition, sizeof(coalition)) != 0) {
		snprintf(msg, n, "the envelopes were signed for another coalition than %s", c->name);
		return -1;
	}
	prefix_format(&pr.first.prefix, pa, sizeof(pa));
	prefix_format(&pr.second.prefix, pb, sizeof(pb));
	if (!pr.first.revocation && !pr.second.revocation)
		snprintf(msg, n, "%s signed two different reports #%llu (%s and %s)", m->name,
		    (unsigned long long)b->seq, pa, pb);
	else	/* a revocation in it: say which side unbans */
		snprintf(msg, n, "%s signed two different links #%llu (%s of %s and %s of %s)",
		    m->name, (unsigned long long)b->seq, pr.first.revocation ? "revocation" : "report",
		    pa, pr.second.revocation ? "revocation" : "report", pb);
	return 0;
}

static bool
word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* Sets a field once; -1 if it was set already. */
static int
field_set(const char **field, size_t *flen, const char *v, size_t vlen)
{
	if (*field != NULL)
		return -1;
	*field = v;
	*flen = vlen;
	return 0;
}

static int
ev_err(char *err, size_t n, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
ev_err(char *err, size_t n, size_t line, const char *fmt, ...)
{
	va_list ap;
	int w = snprintf(err, n, "line %zu: ", line);

	if (w >= 0 && (size_t)w < n) {
		va_start(ap, fmt);
		vsnprintf(err + w, n - (size_t)w, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Parses one "name value" line inside a block into b. 0, 1 at "end", -1. */
static int
ev_field(struct ev_block *b, const char *line, size_t n, size_t lineno, char *err, size_t errlen)
{
	const char *sp = memchr(line, ' ', n), *v = sp ? sp + 1 : line + n;
	size_t klen = sp ? (size_t)(sp - line) : n, vlen = n - klen - (sp ? 1 : 0);
	char num[24];
	int dup = 0;

	if (word_is(line, n, "end"))
		return 1;
	if (word_is(line, klen, "key"))
		dup = field_set(&b->key, &b->keylen, v, vlen);
	else if (word_is(line, klen, "first"))
		dup = field_set(&b->first, &b->firstlen, v, vlen);
	else if (word_is(line, klen, "second"))
		dup = field_set(&b->second, &b->secondlen, v, vlen);
	else if (word_is(line, klen, "seq")) {
		if (b->has_seq || vlen == 0 || vlen >= sizeof(num))
			return ev_err(err, errlen, lineno, "bad or repeated seq, expected one number");
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (uint_parse(num, 1, UINT64_MAX / 2, &b->seq) != 0)
			return ev_err(err, errlen, lineno, "bad seq '%s', expected a number from 1", num);
		b->has_seq = true;
	} else if (!word_is(line, klen, "member") && !word_is(line, klen, "found"))
		return ev_err(err, errlen, lineno, "unknown field '%.*s', expected member, key, seq, "
		    "found, first, second or end", (int)(klen > 40 ? 40 : klen), line);
	if (dup)
		return ev_err(err, errlen, lineno, "'%.*s' given twice in one proof", (int)klen, line);
	return 0;
}

int
journal_evidence_check(const char *text, size_t len, const struct charter *c,
    void (*each)(void *arg, size_t line, bool valid, const char *msg), void *arg,
    char *err, size_t errlen)
{
	uint8_t *ea = malloc(WIRE_ENVELOPE_MAX), *eb = malloc(WIRE_ENVELOPE_MAX);
	struct ev_block b;
	size_t lineno = 0, nproofs = 0, nbad = 0;
	bool in = false;
	char msg[EVIDENCE_WHY_MAX + 64];
	int ret = -1;

	if (err && errlen > 0)
		err[0] = '\0';
	memset(&b, 0, sizeof(b));
	if (ea == NULL || eb == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (len > JOURNAL_EVIDENCE_MAX) {
		snprintf(err, errlen, "larger than %u bytes", JOURNAL_EVIDENCE_MAX);
		goto done;
	}
	for (size_t off = 0; off < len;) {
		const char *line = text + off, *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		int r;

		off += n + (nl ? 1 : 0);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if (memchr(line, '\0', n) != NULL) {
			ev_err(err, errlen, lineno, "NUL byte");
			goto done;
		}
		if (!in) {
			if (!word_is(line, n, EVIDENCE_HEADER)) {
				ev_err(err, errlen, lineno, "expected '" EVIDENCE_HEADER "', found '%.*s'",
				    (int)(n > 40 ? 40 : n), line);
				goto done;
			}
			if (++nproofs > JOURNAL_EVIDENCE_PROOFS_MAX) {
				ev_err(err, errlen, lineno, "more than %d proofs",
				    JOURNAL_EVIDENCE_PROOFS_MAX);
				goto done;
			}
			memset(&b, 0, sizeof(b));
			b.line = lineno;
			in = true;
			continue;
		}
		if ((r = ev_field(&b, line, n, lineno, err, errlen)) < 0)
			goto done;
		if (r == 1) {
			bool valid = ev_block_check(&b, c, ea, eb, msg, sizeof(msg)) == 0;
			if (!valid)
				nbad++;
			if (each != NULL)
				each(arg, b.line, valid, msg);
			in = false;
		}
	}
	if (in) {
		ev_err(err, errlen, b.line, "proof not closed by 'end'");
		goto done;
	}
	if (nproofs == 0) {
		snprintf(err, errlen, "no proof in the file");
		goto done;
	}
	ret = nbad == 0 ? 0 : 1;
done:
	free(ea);
	free(eb);
	return ret;
}
