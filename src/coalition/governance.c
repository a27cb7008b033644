/* governance.c - charter updates: proposing, signing, the binary bundle
 * (docs/governance.md) and the check that decides whether an update may
 * replace the charter in force. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coalition/governance.h"
#include "coalition/wire.h"
#include "coalition/wirebuf.h"
#include "common/util.h"

static const uint8_t gov_magic[2] = { 'A', 'G' };
/* Domain separation: a signature over a charter update can never be taken
 * for a signature over anything else a member signs (envelopes sign their
 * own bytes, which start with "A5"). */
static const char gov_domain[] = "article5/charter-update/v1";

_Static_assert(sizeof(gov_magic) + 1 + 1 + 8 + CHARTER_HASH_BYTES + 4 + 2 == GOV_FIXED_BYTES,
    "fixed part of the bundle");
_Static_assert(GOV_SIGS_MAX <= 0xffff, "signature count is 16 bits");
_Static_assert(CHARTER_FILE_MAX <= UINT32_MAX, "text length is 32 bits");

/* The charter's name alphabet (charter.c name_ok), on counted bytes so
 * that a NUL inside is refused rather than cut at. */
static bool
coalition_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= CHARTER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool
version_ok(uint64_t v)
{
	/* An update replaces a charter of version 1 at least. */
	return v >= 2 && v <= CHARTER_VERSION_MAX;
}

static void
hash_prefix(const uint8_t h[CHARTER_HASH_BYTES], char out[17])
{
	sodium_bin2hex(out, 17, h, 8);
}

void
gov_free(struct gov_update *u)
{
	if (u == NULL)
		return;
	free(u->text);
	free(u);
}

/* A zeroed update with a copy of text. NULL when out of memory. */
static struct gov_update *
gov_alloc(const char *text, size_t len)
{
	struct gov_update *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	if ((u->text = malloc(len + 1)) == NULL) {
		free(u);
		return NULL;
	}
	if (len > 0)
		memcpy(u->text, text, len);
	u->text[len] = '\0';
	u->len = len;
	return u;
}

/* What a new charter must be beyond parsing, whoever checks it. */
static int
check_next(const struct charter *cur, const struct charter *next, uint64_t version,
    const char *name, char *err, size_t errlen)
{
	if (strcmp(next->name, cur->name) != 0) {
		snprintf(err, errlen, "%s: coalition '%s', expected '%s' (an update cannot move members "
		    "to another coalition)", name, next->name, cur->name);
		return -1;
	}
	if (next->version != version) {
		snprintf(err, errlen, "%s: version %llu, expected %llu (the charter in force is version "
		    "%llu): the new text needs the line 'version %llu'", name,
		    (unsigned long long)next->version, (unsigned long long)version,
		    (unsigned long long)cur->version, (unsigned long long)version);
		return -1;
	}
	/* Nothing could ever replace a charter without voters. */
	if (charter_voters(next) == 0) {
		snprintf(err, errlen, "%s: no voting member left (every member revoked or observer), "
		    "expected at least one: no later update could ever be adopted", name);
		return -1;
	}
	return 0;
}

int
gov_propose(const struct charter *cur, const uint8_t cur_hash[CHARTER_HASH_BYTES],
    const char *name, const char *text, size_t len, struct gov_update **out,
    char *err, size_t errlen)
{
	struct charter *next;
	struct gov_update *u;
	int rc = -1;

	*out = NULL;
	if (cur->version >= CHARTER_VERSION_MAX) {
		snprintf(err, errlen, "the charter in force has the last version there is (%llu)",
		    (unsigned long long)cur->version);
		return -1;
	}
	if (len > CHARTER_FILE_MAX) {
		snprintf(err, errlen, "%s: too large (%zu bytes, at most %d)", name, len, CHARTER_FILE_MAX);
		return -1;
	}
	if ((next = malloc(sizeof(*next))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (charter_parse(name, text, len, next, err, errlen) != 0 ||
	    check_next(cur, next, cur->version + 1, name, err, errlen) != 0)
		goto out;
	if ((u = gov_alloc(text, len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	strlcpy_ok(u->coalition, cur->name, sizeof(u->coalition));
	u->version = cur->version + 1;
	memcpy(u->prev_hash, cur_hash, CHARTER_HASH_BYTES);
	*out = u;
	rc = 0;
out:
	free(next);
	return rc;
}

void
gov_digest(const struct gov_update *u, uint8_t out[GOV_DIGEST_BYTES])
{
	crypto_generichash_state st;
	uint8_t id[WIRE_COALITION_BYTES], ver[8], th[CHARTER_HASH_BYTES];

	/* Fixed-length fields after a fixed string: no two updates share a
	 * message. The text enters by its hash, as the next update names it. */
	wire_coalition_id(u->coalition, id);
	for (int i = 0; i < 8; i++)
		ver[i] = (uint8_t)(u->version >> (56 - 8 * i));
	charter_hash(u->text, u->len, th);
	crypto_generichash_init(&st, NULL, 0, GOV_DIGEST_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)gov_domain, sizeof(gov_domain) - 1);
	crypto_generichash_update(&st, id, sizeof(id));
	crypto_generichash_update(&st, ver, sizeof(ver));
	crypto_generichash_update(&st, u->prev_hash, CHARTER_HASH_BYTES);
	crypto_generichash_update(&st, th, sizeof(th));
	crypto_generichash_final(&st, out, GOV_DIGEST_BYTES);
}

/* Where pk belongs in u's sorted signatures; *found if it is there. */
static size_t
sig_slot(const struct gov_update *u, const uint8_t pk[ID_PUBLIC_BYTES], bool *found)
{
	size_t i = 0;

	*found = false;
	while (i < u->nsigs) {
		int c = memcmp(u->sigs[i].pk, pk, ID_PUBLIC_BYTES);
		if (c == 0)
			*found = true;
		if (c >= 0)
			break;
		i++;
	}
	return i;
}

static void
sig_insert(struct gov_update *u, size_t at, const struct gov_signature *s)
{
	memmove(&u->sigs[at + 1], &u->sigs[at], (u->nsigs - at) * sizeof(u->sigs[0]));
	u->sigs[at] = *s;
	u->nsigs++;
}

static bool
sig_valid(const struct gov_signature *s, const uint8_t digest[GOV_DIGEST_BYTES])
{
	return crypto_sign_verify_detached(s->sig, digest, GOV_DIGEST_BYTES, s->pk) == 0;
}

int
gov_sign(struct gov_update *u, const struct identity *id, char *err, size_t errlen)
{
	struct gov_signature s;
	uint8_t digest[GOV_DIGEST_BYTES];
	char pktext[ID_PUBLIC_TEXT_MAX];
	bool found;
	size_t at;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	gov_digest(u, digest);
	at = sig_slot(u, id->pk, &found);
	/* An entry under this key that does not verify (damaged, or put
	 * there by someone else to keep the key from signing) is replaced. */
	if (found && sig_valid(&u->sigs[at], digest)) {
		identity_pk_to_text(id->pk, pktext, sizeof(pktext));
		snprintf(err, errlen, "key %s has signed this update already", pktext);
		return -1;
	}
	if (!found && u->nsigs >= GOV_SIGS_MAX) {
		snprintf(err, errlen, "update already holds %d signatures, the most there can be",
		    GOV_SIGS_MAX);
		return -1;
	}
	memcpy(s.pk, id->pk, ID_PUBLIC_BYTES);
	crypto_sign_detached(s.sig, NULL, digest, sizeof(digest), id->sk);
	if (found)
		u->sigs[at] = s;
	else
		sig_insert(u, at, &s);
	return 0;
}

static bool
same_content(const struct gov_update *a, const struct gov_update *b)
{
	return strcmp(a->coalition, b->coalition) == 0 && a->version == b->version &&
	    memcmp(a->prev_hash, b->prev_hash, CHARTER_HASH_BYTES) == 0 && a->len == b->len &&
	    memcmp(a->text, b->text, a->len) == 0;
}

int
gov_merge(struct gov_update *dst, const struct gov_update *src, char *err, size_t errlen)
{
	uint8_t digest[GOV_DIGEST_BYTES];
	int added = 0;

	if (!same_content(dst, src)) {
		snprintf(err, errlen, "not the same update (coalition, version, previous charter or "
		    "text differ)");
		return -1;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	/* The same content, hence the same digest for both. Only signatures
	 * that verify are taken: a forged entry under a member's key must not
	 * take the place of the member's real signature. */
	gov_digest(dst, digest);
	for (size_t i = 0; i < src->nsigs; i++) {
		bool found;
		size_t at;

		if (!sig_valid(&src->sigs[i], digest))
			continue;
		at = sig_slot(dst, src->sigs[i].pk, &found);
		if (found) {
			if (sig_valid(&dst->sigs[at], digest))
				continue;
			dst->sigs[at] = src->sigs[i];
			added++;
			continue;
		}
		if (dst->nsigs >= GOV_SIGS_MAX) {
			snprintf(err, errlen, "more than %d signatures in all", GOV_SIGS_MAX);
			return -1;
		}
		sig_insert(dst, at, &src->sigs[i]);
		added++;
	}
	return added;
}

/* Well formed enough to encode: what the decoder would refuse, refused. */
static bool
encodable(const struct gov_update *u)
{
	size_t n = strnlen(u->coalition, sizeof(u->coalition));

	if (!coalition_name_ok(u->coalition, n) || !version_ok(u->version) ||
	    u->text == NULL || u->len == 0 || u->len > CHARTER_FILE_MAX || u->nsigs > GOV_SIGS_MAX)
		return false;
	for (size_t i = 1; i < u->nsigs; i++)
		if (memcmp(u->sigs[i - 1].pk, u->sigs[i].pk, ID_PUBLIC_BYTES) >= 0)
			return false;
	return true;
}

size_t
gov_encoded_len(const struct gov_update *u)
{
	return GOV_FIXED_BYTES + strnlen(u->coalition, sizeof(u->coalition)) + u->len +
	    u->nsigs * GOV_SIG_ENTRY_BYTES;
}

size_t
gov_encode(const struct gov_update *u, uint8_t *buf, size_t buflen)
{
	struct wbuf w = { buf, buflen, 0, false };
	size_t n;

	if (!encodable(u))
		return 0;
	n = strlen(u->coalition);
	put_bytes(&w, gov_magic, sizeof(gov_magic));
	put_uint(&w, GOV_FORMAT_VERSION, 1);
	put_uint(&w, n, 1);
	put_bytes(&w, u->coalition, n);
	put_uint(&w, u->version, 8);
	put_bytes(&w, u->prev_hash, CHARTER_HASH_BYTES);
	put_uint(&w, u->len, 4);
	put_bytes(&w, u->text, u->len);
	put_uint(&w, u->nsigs, 2);
	for (size_t i = 0; i < u->nsigs; i++) {
		put_bytes(&w, u->sigs[i].pk, ID_PUBLIC_BYTES);
		put_bytes(&w, u->sigs[i].sig, ID_SIGNATURE_BYTES);
	}
	return w.overflow ? 0 : w.off;
}

int
gov_decode(const uint8_t *buf, size_t len, struct gov_update **out, char *err, size_t errlen)
{
	struct rbuf rb = { buf, len, 0 };
	struct gov_update *u = NULL;
	uint8_t magic[2];
	uint64_t format, namelen, version, textlen, count;
	char name[CHARTER_NAME_MAX];
	uint8_t prev[CHARTER_HASH_BYTES];

	*out = NULL;
	if (len > GOV_BUNDLE_MAX) {
		snprintf(err, errlen, "too large for a charter update (%zu bytes, at most %d)", len,
		    GOV_BUNDLE_MAX);
		return -1;
	}
	if (get_bytes(&rb, magic, 2) != 0 || memcmp(magic, gov_magic, 2) != 0) {
		snprintf(err, errlen, "not a charter update (it does not start with \"AG\")");
		return -1;
	}
	if (get_uint(&rb, 1, &format) != 0)
		goto truncated;
	if (format != GOV_FORMAT_VERSION) {
		snprintf(err, errlen, "unsupported charter update format %u (this article5 reads "
		    "format %d)", (unsigned)format, GOV_FORMAT_VERSION);
		return -1;
	}
	if (get_uint(&rb, 1, &namelen) != 0)
		goto truncated;
	/* The name's length is checked before the name is read into name[]. */
	if (namelen == 0 || namelen >= CHARTER_NAME_MAX) {
		snprintf(err, errlen, "bad coalition name length %u in charter update, expected 1 to %d",
		    (unsigned)namelen, CHARTER_NAME_MAX - 1);
		return -1;
	}
	if (get_bytes(&rb, name, (size_t)namelen) != 0)
		goto truncated;
	if (!coalition_name_ok(name, (size_t)namelen)) {
		snprintf(err, errlen, "bad coalition name in charter update (expected 1 to %d letters, "
		    "digits, '-' or '_')", CHARTER_NAME_MAX - 1);
		return -1;
	}
	name[namelen] = '\0';
	if (get_uint(&rb, 8, &version) != 0)
		goto truncated;
	if (!version_ok(version)) {
		snprintf(err, errlen, "bad version %llu in charter update, expected 2 to %llu",
		    (unsigned long long)version, (unsigned long long)CHARTER_VERSION_MAX);
		return -1;
	}
	if (get_bytes(&rb, prev, sizeof(prev)) != 0 || get_uint(&rb, 4, &textlen) != 0)
		goto truncated;
	if (textlen == 0 || textlen > CHARTER_FILE_MAX) {
		snprintf(err, errlen, "bad text length %llu in charter update, expected 1 to %d",
		    (unsigned long long)textlen, CHARTER_FILE_MAX);
		return -1;
	}
	/* The length is checked against what is left before anything is
	 * allocated for it. */
	if (textlen > rb.len - rb.off)
		goto truncated;
	if ((u = gov_alloc((const char *)buf + rb.off, (size_t)textlen)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rb.off += (size_t)textlen;
	if (get_uint(&rb, 2, &count) != 0)
		goto truncated;
	if (count > GOV_SIGS_MAX) {
		snprintf(err, errlen, "%llu signatures in charter update, at most %d",
		    (unsigned long long)count, GOV_SIGS_MAX);
		goto fail;
	}
	/* Exactly the signatures announced, nothing after them. */
	if (rb.len - rb.off != count * GOV_SIG_ENTRY_BYTES) {
		if (rb.len - rb.off < count * GOV_SIG_ENTRY_BYTES)
			goto truncated;
		snprintf(err, errlen, "%zu bytes after the last signature of the charter update",
		    (size_t)(rb.len - rb.off - count * GOV_SIG_ENTRY_BYTES));
		goto fail;
	}
	for (size_t i = 0; i < count; i++) {
		struct gov_signature *s = &u->sigs[i];
		(void)get_bytes(&rb, s->pk, ID_PUBLIC_BYTES);
		(void)get_bytes(&rb, s->sig, ID_SIGNATURE_BYTES);
		/* Strictly increasing keys: one encoding per set of signatures,
		 * and no signer twice. */
		if (i > 0) {
			int c = memcmp(u->sigs[i - 1].pk, s->pk, ID_PUBLIC_BYTES);
			if (c == 0) {
				snprintf(err, errlen, "signature %zu of the charter update repeats the "
				    "signer of the one before", i + 1);
				goto fail;
			}
			if (c > 0) {
				snprintf(err, errlen, "signatures of the charter update are not in key "
				    "order (signature %zu)", i + 1);
				goto fail;
			}
		}
	}
	memcpy(u->coalition, name, (size_t)namelen + 1);
	u->version = version;
	memcpy(u->prev_hash, prev, sizeof(prev));
	u->nsigs = (size_t)count;
	*out = u;
	return 0;

truncated:
	snprintf(err, errlen, "truncated charter update (%zu bytes)", len);
fail:
	gov_free(u);
	return -1;
}

const char *
gov_sig_verdict_text(enum gov_sig_verdict v)
{
	switch (v) {
	case GOV_SIG_COUNTED: return "valid";
	case GOV_SIG_INVALID: return "invalid";
	case GOV_SIG_UNKNOWN: return "not counted: unknown key";
	case GOV_SIG_NOT_VOTER: return "not counted: not a voting member";
	}
	return "?";
}

/* Verifies every signature against the current charter. */
static void
tally(const struct charter *cur, const struct gov_update *u, struct gov_tally *t)
{
	uint8_t digest[GOV_DIGEST_BYTES];
	bool signed_by[CHARTER_MEMBERS_MAX] = { false };
	size_t nsigs = u->nsigs < GOV_SIGS_MAX ? u->nsigs : GOV_SIGS_MAX;

	memset(t, 0, sizeof(*t));
	t->required = charter_threshold(cur);
	gov_digest(u, digest);
	for (size_t i = 0; i < nsigs; i++) {
		const struct gov_signature *s = &u->sigs[i];
		const struct charter_member *m = charter_find(cur, s->pk);

		t->member[i] = m ? (int)(m - cur->members) : -1;
		if (!sig_valid(s, digest)) {
			t->verdict[i] = GOV_SIG_INVALID;
			t->invalid++;
		} else if (m == NULL) {
			t->verdict[i] = GOV_SIG_UNKNOWN;
			t->not_counted++;
		} else if (!charter_member_votes(cur, m) || signed_by[m - cur->members]) {
			/* (a member twice cannot happen through gov_decode or
			 * gov_sign; counted once all the same) */
			t->verdict[i] = GOV_SIG_NOT_VOTER;
			t->not_counted++;
		} else {
			t->verdict[i] = GOV_SIG_COUNTED;
			signed_by[m - cur->members] = true;
			t->counted++;
		}
	}
	for (size_t i = 0; i < cur->nmembers; i++) {
		const struct charter_member *m = &cur->members[i];
		if (charter_member_votes(cur, m) && !signed_by[i])
			t->missing[t->nmissing++] = i;
	}
}

/* "N of K required signatures (missing: a, b, and 3 more)" */
static void
pending_message(const struct charter *cur, const struct gov_tally *t, char *err, size_t errlen)
{
	char list[512];
	size_t o = 0, i;

	list[0] = '\0';
	for (i = 0; i < t->nmissing; i++) {
		const char *name = cur->members[t->missing[i]].name;
		/* room for this name and a closing ", and NNN more" */
		if (o + strlen(name) + 2 + 20 >= sizeof(list))
			break;
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", name);
	}
	if (i < t->nmissing)
		snprintf(list + o, sizeof(list) - o, ", and %zu more", t->nmissing - i);
	snprintf(err, errlen, "%u of %u required signatures (missing: %s)", t->counted, t->required,
	    list);
}

int
gov_check(const struct charter *cur, const uint8_t cur_hash[CHARTER_HASH_BYTES],
    const struct gov_update *u, struct charter *next, struct gov_tally *t,
    char *err, size_t errlen)
{
	struct gov_tally *own_t = NULL;
	struct charter *own_next = NULL;
	char name[64], h1[17], h2[17];
	int rc = GOV_REFUSED;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return GOV_REFUSED;
	}
	if (t == NULL && (t = own_t = malloc(sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return GOV_REFUSED;
	}
	if (next == NULL && (next = own_next = malloc(sizeof(*next))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* The tally first: whatever else is wrong, the caller can show who
	 * signed. */
	tally(cur, u, t);

	if (strcmp(u->coalition, cur->name) != 0) {
		snprintf(err, errlen, "update for coalition '%.47s', expected '%s'", u->coalition, cur->name);
		goto out;
	}
	if (u->version != cur->version + 1) {
		if (u->version <= cur->version)
			snprintf(err, errlen, "update to version %llu is not newer than the charter in force "
			    "(version %llu): an old update, expected version %llu",
			    (unsigned long long)u->version, (unsigned long long)cur->version,
			    (unsigned long long)cur->version + 1);
		else
			snprintf(err, errlen, "update to version %llu skips versions: the charter in force is "
			    "version %llu, expected version %llu", (unsigned long long)u->version,
			    (unsigned long long)cur->version, (unsigned long long)cur->version + 1);
		goto out;
	}
	if (memcmp(u->prev_hash, cur_hash, CHARTER_HASH_BYTES) != 0) {
		hash_prefix(u->prev_hash, h1);
		hash_prefix(cur_hash, h2);
		snprintf(err, errlen, "update replaces another charter text (previous hash %s..., the "
		    "charter in force is %s...)", h1, h2);
		goto out;
	}
	if (u->text == NULL || u->len == 0 || u->len > CHARTER_FILE_MAX) {
		snprintf(err, errlen, "update text is empty or larger than %d bytes", CHARTER_FILE_MAX);
		goto out;
	}
	snprintf(name, sizeof(name), "new charter (version %llu)", (unsigned long long)u->version);
	if (charter_parse(name, u->text, u->len, next, err, errlen) != 0 ||
	    check_next(cur, next, u->version, name, err, errlen) != 0)
		goto out;
	if (t->counted < t->required) {
		pending_message(cur, t, err, errlen);
		rc = GOV_PENDING;
		goto out;
	}
	snprintf(err, errlen, "%u of %u required signatures: adoptable", t->counted, t->required);
	rc = GOV_ADOPTABLE;
out:
	free(own_t);
	free(own_next);
	return rc;
}

size_t
gov_prune(struct gov_update *u, const struct charter *cur)
{
	struct gov_tally *t = malloc(sizeof(*t));
	size_t kept = 0, dropped;

	/* Without memory or libsodium, drop everything: nothing unchecked
	 * is kept. */
	if (t == NULL || sodium_init() < 0) {
		free(t);
		dropped = u->nsigs;
		u->nsigs = 0;
		return dropped;
	}
	tally(cur, u, t);
	for (size_t i = 0; i < u->nsigs; i++)
		if (t->verdict[i] == GOV_SIG_COUNTED)
			u->sigs[kept++] = u->sigs[i];
	dropped = u->nsigs - kept;
	u->nsigs = kept;
	free(t);
	return dropped;
}
