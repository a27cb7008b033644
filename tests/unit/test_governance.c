/* test_governance.c - charter updates: propose, sign, the bundle codec
 * (round trip, every truncation, every tampered byte, hostile headers) and
 * the adoption check (threshold, who counts, and each refusal's reason). */
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coalition/charter.h"
#include "coalition/governance.h"

/* The charter in force in most tests: three voters (majority: 2), one
 * observer. */
#define BASE \
	"coalition net\n" \
	"member m1 $1 member 203.0.113.0/26\n" \
	"member m2 $2 member\n" \
	"member m3 $3 protected\n" \
	"member obs $4 observer\n" \
	"protected_votes yes\n"

static struct charter *cur, *next;
static struct gov_tally *tally;
static uint8_t cur_hash[CHARTER_HASH_BYTES];
static struct identity ids[10];

/* Key i (1..9): a real ed25519 pair from a seed derived from i. */
static void
make_identity(int i, struct identity *id)
{
	uint8_t seed[crypto_sign_SEEDBYTES] = { 0 };

	seed[0] = (uint8_t)i;
	seed[1] = 0x60;
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
}

/* Copies tmpl replacing $1..$9 by the text of keys 1..9. */
static char *
expand(const char *tmpl)
{
	size_t cap = strlen(tmpl) * 8 + 64, o = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	for (const char *s = tmpl; *s; s++) {
		if (s[0] == '$' && s[1] >= '1' && s[1] <= '9') {
			char t[ID_PUBLIC_TEXT_MAX];
			identity_pk_to_text(ids[s[1] - '0'].pk, t, sizeof(t));
			assert_true(o + strlen(t) < cap);
			memcpy(out + o, t, strlen(t));
			o += strlen(t);
			s++;
			continue;
		}
		assert_true(o + 1 < cap);
		out[o++] = *s;
	}
	out[o] = '\0';
	return out;
}

/* Parses tmpl as the charter in force (into c) and hashes its text. */
static void
load_current(const char *tmpl, struct charter *c, uint8_t hash[CHARTER_HASH_BYTES])
{
	char *text = expand(tmpl), err[1024];

	if (charter_parse("cur.charter", text, strlen(text), c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	charter_hash(text, strlen(text), hash);
	free(text);
}

/* An update of the current charter to tmpl; fails the test if refused. */
static struct gov_update *
propose(const char *tmpl)
{
	char *text = expand(tmpl), err[1024];
	struct gov_update *u;

	if (gov_propose(cur, cur_hash, "new.charter", text, strlen(text), &u, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	free(text);
	return u;
}

static int
propose_err(const char *tmpl, char *err, size_t n)
{
	char *text = expand(tmpl);
	struct gov_update *u = NULL;
	int rc;

	err[0] = '\0';
	rc = gov_propose(cur, cur_hash, "new.charter", text, strlen(text), &u, err, n);
	free(text);
	assert_true(rc != 0 || u != NULL);
	gov_free(u);
	return rc;
}

static void
sign(struct gov_update *u, int who)
{
	char err[256];

	if (gov_sign(u, &ids[who], err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static uint8_t *
encode(const struct gov_update *u, size_t *n)
{
	size_t cap = gov_encoded_len(u);
	uint8_t *buf = malloc(cap);

	assert_non_null(buf);
	*n = gov_encode(u, buf, cap);
	assert_int_equal(*n, cap);
	return buf;
}

static int
check(const struct gov_update *u, char *err, size_t n)
{
	err[0] = '\0';
	return gov_check(cur, cur_hash, u, next, tally, err, n);
}

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 1; i < 10; i++)
		make_identity(i, &ids[i]);
	cur = malloc(sizeof(*cur));
	next = malloc(sizeof(*next));
	tally = malloc(sizeof(*tally));
	return cur == NULL || next == NULL || tally == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	free(cur);
	free(next);
	free(tally);
	return 0;
}

static int
reset(void **state)
{
	(void)state;
	load_current(BASE, cur, cur_hash);
	return 0;
}

static void
test_round_trip(void **state)
{
	struct gov_update *u, *d;
	uint8_t *buf, *again;
	size_t n, n2;
	char err[1024];

	(void)state;
	assert_int_equal(charter_voters(cur), 3);
	assert_int_equal(charter_threshold(cur), 2);
	u = propose(BASE "member m5 $5 member\nversion 2\n");
	assert_string_equal(u->coalition, "net");
	assert_int_equal(u->version, 2);
	assert_memory_equal(u->prev_hash, cur_hash, CHARTER_HASH_BYTES);
	assert_int_equal(u->nsigs, 0);
	sign(u, 2);
	sign(u, 1);
	assert_int_equal(u->nsigs, 2);
	/* kept in key order, whatever the order of signing */
	assert_true(memcmp(u->sigs[0].pk, u->sigs[1].pk, ID_PUBLIC_BYTES) < 0);

	buf = encode(u, &n);
	assert_int_equal(n, GOV_FIXED_BYTES + 3 + u->len + 2 * GOV_SIG_ENTRY_BYTES);
	assert_memory_equal(buf, "AG\x01", 3);
	assert_int_equal(gov_decode(buf, n, &d, err, sizeof(err)), 0);
	assert_string_equal(d->coalition, "net");
	assert_int_equal(d->version, 2);
	assert_memory_equal(d->prev_hash, cur_hash, CHARTER_HASH_BYTES);
	assert_int_equal(d->len, u->len);
	assert_memory_equal(d->text, u->text, u->len);
	assert_int_equal(d->text[d->len], '\0');
	assert_int_equal(d->nsigs, 2);
	assert_memory_equal(d->sigs, u->sigs, 2 * sizeof(u->sigs[0]));
	/* one encoding per update */
	again = encode(d, &n2);
	assert_int_equal(n2, n);
	assert_memory_equal(again, buf, n);

	assert_int_equal(check(d, err, sizeof(err)), GOV_ADOPTABLE);
	assert_int_equal(next->nmembers, 5);
	assert_int_equal(next->version, 2);
	assert_int_equal(tally->required, 2);
	assert_int_equal(tally->counted, 2);
	assert_int_equal(tally->invalid, 0);
	assert_int_equal(tally->not_counted, 0);
	assert_int_equal(tally->nmissing, 1);
	assert_string_equal(cur->members[tally->missing[0]].name, "m3");
	for (size_t i = 0; i < d->nsigs; i++)
		assert_int_equal(tally->verdict[i], GOV_SIG_COUNTED);
	/* t and next are optional */
	assert_int_equal(gov_check(cur, cur_hash, d, NULL, NULL, err, sizeof(err)), GOV_ADOPTABLE);

	/* a too-small buffer is refused, not overrun */
	assert_int_equal(gov_encode(u, again, n - 1), 0);
	free(buf);
	free(again);
	gov_free(u);
	gov_free(d);
	gov_free(NULL);
}

static void
test_threshold(void **state)
{
	struct gov_update *u;
	char err[1024];

	(void)state;
	u = propose(BASE "version 2\nrate 10/min\n");
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "0 of 2 required signatures (missing: m1, m2, m3)");
	sign(u, 3);
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "1 of 2 required signatures (missing: m1, m2)");
	assert_int_equal(tally->counted, 1);
	sign(u, 1);
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);
	assert_int_equal(next->policy.rate_per_minute, 10);
	gov_free(u);

	/* an explicit threshold: all three */
	load_current(BASE "threshold 3\n", cur, cur_hash);
	assert_int_equal(charter_threshold(cur), 3);
	u = propose(BASE "version 2\n");
	sign(u, 1);
	sign(u, 2);
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "2 of 3 required signatures (missing: m3)");
	sign(u, 3);
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);
	/* the new charter went back to the default: a majority of 3 */
	assert_int_equal(charter_threshold(next), 2);
	gov_free(u);
}

/* Without protected_votes, a protected partner (which enforces nothing)
 * has no say on what the others enforce: its signature is not counted,
 * and the majority is of the members alone. */
#define NOVOTE \
	"coalition net\n" \
	"member m1 $1 member\n" \
	"member m2 $2 member\n" \
	"member m3 $3 protected\n"

static void
test_protected_no_vote(void **state)
{
	struct gov_update *u;
	char err[1024];

	(void)state;
	load_current(NOVOTE, cur, cur_hash);
	assert_int_equal(charter_voters(cur), 2);
	assert_false(charter_member_votes(cur, &cur->members[2]));
	u = propose(NOVOTE "max_prefix4 8\nversion 2\n");
	sign(u, 1);
	sign(u, 3);
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "1 of 2 required signatures (missing: m2)");
	for (size_t i = 0; i < u->nsigs; i++)
		if (memcmp(u->sigs[i].pk, ids[3].pk, ID_PUBLIC_BYTES) == 0)
			assert_int_equal(tally->verdict[i], GOV_SIG_NOT_VOTER);
	sign(u, 2);
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);
	gov_free(u);
	/* the charter may give them a vote */
	load_current(NOVOTE "protected_votes yes\n", cur, cur_hash);
	assert_int_equal(charter_voters(cur), 3);
	u = propose(NOVOTE "protected_votes yes\nversion 2\n");
	sign(u, 1);
	sign(u, 3);
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);
	gov_free(u);
	load_current(BASE, cur, cur_hash);
}

static void
test_not_counted(void **state)
{
	struct gov_update *u;
	char err[1024];

	(void)state;
	/* the observer and an unknown key sign alongside m1 */
	u = propose(BASE "version 2\n");
	sign(u, 4);
	sign(u, 9);
	sign(u, 1);
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "1 of 2 required signatures (missing: m2, m3)");
	assert_int_equal(tally->counted, 1);
	assert_int_equal(tally->not_counted, 2);
	assert_int_equal(tally->invalid, 0);
	for (size_t i = 0; i < u->nsigs; i++) {
		if (memcmp(u->sigs[i].pk, ids[4].pk, ID_PUBLIC_BYTES) == 0) {
			assert_int_equal(tally->verdict[i], GOV_SIG_NOT_VOTER);
			assert_string_equal(cur->members[tally->member[i]].name, "obs");
		} else if (memcmp(u->sigs[i].pk, ids[9].pk, ID_PUBLIC_BYTES) == 0) {
			assert_int_equal(tally->verdict[i], GOV_SIG_UNKNOWN);
			assert_int_equal(tally->member[i], -1);
		} else
			assert_int_equal(tally->verdict[i], GOV_SIG_COUNTED);
	}
	assert_string_equal(gov_sig_verdict_text(GOV_SIG_UNKNOWN), "not counted: unknown key");
	gov_free(u);

	/* a revoked member's signature does not count either */
	load_current(BASE "revoked m2\n", cur, cur_hash);
	assert_int_equal(charter_voters(cur), 2);
	assert_int_equal(charter_threshold(cur), 2);
	u = propose(BASE "revoked m2\nversion 2\n");
	sign(u, 1);
	sign(u, 2);
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "1 of 2 required signatures (missing: m3)");
	gov_free(u);

	/* Fake members added by the update itself do not count: only the
	 * charter in force says who votes. */
	load_current(BASE, cur, cur_hash);
	u = propose(BASE "member f6 $6 member\nmember f7 $7 member\nmember f8 $8 member\n"
	    "threshold 1\nversion 2\n");
	sign(u, 6);
	sign(u, 7);
	sign(u, 8);
	sign(u, 1);
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "1 of 2 required signatures (missing: m2, m3)");
	assert_int_equal(tally->not_counted, 3);
	gov_free(u);
}

static void
test_duplicates(void **state)
{
	struct gov_update *u, *d;
	uint8_t *buf;
	size_t n, first;
	char err[1024], want[256], pk[ID_PUBLIC_TEXT_MAX];

	(void)state;
	u = propose(BASE "version 2\n");
	sign(u, 1);
	assert_int_equal(gov_sign(u, &ids[1], err, sizeof(err)), -1);
	identity_pk_to_text(ids[1].pk, pk, sizeof(pk));
	snprintf(want, sizeof(want), "key %s has signed this update already", pk);
	assert_string_equal(err, want);
	assert_int_equal(u->nsigs, 1);
	sign(u, 2);

	/* the same signer twice in a bundle: refused by the decoder */
	buf = encode(u, &n);
	first = n - 2 * GOV_SIG_ENTRY_BYTES;
	memcpy(buf + first + GOV_SIG_ENTRY_BYTES, buf + first, GOV_SIG_ENTRY_BYTES);
	assert_int_equal(gov_decode(buf, n, &d, err, sizeof(err)), -1);
	assert_null(d);
	assert_string_equal(err, "signature 2 of the charter update repeats the signer of the one before");
	free(buf);

	/* out of key order: one encoding per set of signatures */
	buf = encode(u, &n);
	uint8_t tmp[GOV_SIG_ENTRY_BYTES];
	memcpy(tmp, buf + first, GOV_SIG_ENTRY_BYTES);
	memcpy(buf + first, buf + first + GOV_SIG_ENTRY_BYTES, GOV_SIG_ENTRY_BYTES);
	memcpy(buf + first + GOV_SIG_ENTRY_BYTES, tmp, GOV_SIG_ENTRY_BYTES);
	assert_int_equal(gov_decode(buf, n, &d, err, sizeof(err)), -1);
	assert_string_equal(err, "signatures of the charter update are not in key order (signature 2)");
	/* nor will the encoder write such a thing */
	struct gov_signature s = u->sigs[0];
	u->sigs[0] = u->sigs[1];
	u->sigs[1] = s;
	assert_int_equal(gov_encode(u, buf, n), 0);
	u->sigs[1] = u->sigs[0];
	assert_int_equal(gov_encode(u, buf, n), 0);
	free(buf);

	/* Made in memory (no decoder in the way), the same member's valid
	 * signature twice still counts once. */
	u->sigs[0] = u->sigs[1];
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_int_equal(tally->counted, 1);
	assert_int_equal(tally->not_counted, 1);
	assert_int_equal(tally->verdict[0], GOV_SIG_COUNTED);
	assert_int_equal(tally->verdict[1], GOV_SIG_NOT_VOTER);
	assert_int_equal(tally->member[0], tally->member[1]);
	gov_free(u);
}

static void
test_merge(void **state)
{
	struct gov_update *a, *b, *c;
	char err[1024];

	(void)state;
	a = propose(BASE "version 2\n");
	b = propose(BASE "version 2\n");
	c = propose(BASE "version 2\nrate 5/min\n");
	sign(a, 1);
	sign(b, 2);
	sign(b, 1);
	assert_int_equal(gov_merge(a, b, err, sizeof(err)), 1);
	assert_int_equal(a->nsigs, 2);
	assert_int_equal(gov_merge(a, b, err, sizeof(err)), 0);
	assert_int_equal(check(a, err, sizeof(err)), GOV_ADOPTABLE);
	assert_int_equal(gov_merge(a, c, err, sizeof(err)), -1);
	assert_string_equal(err, "not the same update (coalition, version, previous charter or text differ)");
	gov_free(a);
	gov_free(b);
	gov_free(c);
}

/* Finds pk's entry in u, or fails. */
static struct gov_signature *
sig_of(struct gov_update *u, int who)
{
	for (size_t i = 0; i < u->nsigs; i++)
		if (memcmp(u->sigs[i].pk, ids[who].pk, ID_PUBLIC_BYTES) == 0)
			return &u->sigs[i];
	fail_msg("no signature of key %d", who);
	return NULL;
}

/* A forged entry under a member's key (what anyone on the coalition stream
 * could send) never takes the place of the member's real signature. */
static void
test_forged_entries(void **state)
{
	struct gov_update *a, *b;
	struct gov_signature real;
	char err[1024];

	(void)state;
	a = propose(BASE "version 2\n");
	b = propose(BASE "version 2\n");
	sign(a, 1);
	sign(b, 2);
	real = *sig_of(b, 2);
	sig_of(b, 2)->sig[5] ^= 1;
	/* src's forgery is not merged */
	assert_int_equal(gov_merge(a, b, err, sizeof(err)), 0);
	assert_int_equal(a->nsigs, 1);
	/* dst's forgery is replaced by the real one */
	*sig_of(b, 2) = real;
	sign(a, 2);
	sig_of(a, 2)->sig[5] ^= 1;
	assert_int_equal(check(a, err, sizeof(err)), GOV_PENDING);
	assert_int_equal(tally->invalid, 1);
	assert_int_equal(gov_merge(a, b, err, sizeof(err)), 1);
	assert_memory_equal(sig_of(a, 2), &real, sizeof(real));
	assert_int_equal(check(a, err, sizeof(err)), GOV_ADOPTABLE);
	/* the member itself may sign over a forgery under its key */
	sig_of(a, 2)->sig[0] ^= 0x80;
	sign(a, 2);
	assert_int_equal(a->nsigs, 2);
	assert_memory_equal(sig_of(a, 2), &real, sizeof(real));
	assert_int_equal(check(a, err, sizeof(err)), GOV_ADOPTABLE);
	gov_free(a);
	gov_free(b);
}

/* gov_prune keeps exactly what gov_check counts, in order. */
static void
test_prune(void **state)
{
	struct gov_update *u;
	char err[1024];

	(void)state;
	load_current(BASE "revoked m3\n", cur, cur_hash);
	u = propose(BASE "revoked m3\nversion 2\n");
	for (int who = 1; who <= 9; who++)
		sign(u, who);
	sig_of(u, 2)->sig[9] ^= 4;	/* m2: damaged */
	assert_int_equal(u->nsigs, 9);
	/* m1 counts; m2 invalid, m3 revoked, obs observer, 5..9 unknown */
	assert_int_equal(gov_prune(u, cur), 8);
	assert_int_equal(u->nsigs, 1);
	assert_memory_equal(u->sigs[0].pk, ids[1].pk, ID_PUBLIC_BYTES);
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "1 of 2 required signatures (missing: m2)");
	sign(u, 2);
	sign(u, 7);
	assert_int_equal(gov_prune(u, cur), 1);
	assert_int_equal(u->nsigs, 2);
	assert_true(memcmp(u->sigs[0].pk, u->sigs[1].pk, ID_PUBLIC_BYTES) < 0);
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);
	assert_int_equal(gov_prune(u, cur), 0);
	gov_free(u);
}

static void
test_refusals(void **state)
{
	struct gov_update *u;
	uint8_t h[CHARTER_HASH_BYTES];
	char err[1024], want[512], hex1[17], hex2[17];

	(void)state;
	/* gov_propose says what is wrong with the new text */
	assert_int_equal(propose_err(BASE "version 3\n", err, sizeof(err)), -1);
	assert_string_equal(err, "new.charter: version 3, expected 2 (the charter in force is version 1): "
	    "the new text needs the line 'version 2'");
	assert_int_equal(propose_err(BASE, err, sizeof(err)), -1);
	assert_string_equal(err, "new.charter: version 1, expected 2 (the charter in force is version 1): "
	    "the new text needs the line 'version 2'");
	assert_int_equal(propose_err("coalition other\nmember m1 $1 member\nversion 2\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "new.charter: coalition 'other', expected 'net' (an update cannot move "
	    "members to another coalition)");
	assert_int_equal(propose_err(BASE "version 2\nrevoked m1\nrevoked m2\nrevoked m3\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "new.charter: no voting member left (every member revoked or observer), "
	    "expected at least one: no later update could ever be adopted");
	assert_int_equal(propose_err(BASE "version 2\nfrobnicate\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "new.charter:8: unknown directive 'frobnicate'"));

	/* gov_check: each refusal with its reason, signatures or not */
	u = propose(BASE "version 2\n");
	sign(u, 1);
	sign(u, 2);
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);

	/* an old update, replayed once the charter moved on */
	load_current(BASE "version 2\n", cur, h);
	assert_int_equal(gov_check(cur, h, u, next, tally, err, sizeof(err)), GOV_REFUSED);
	assert_string_equal(err, "update to version 2 is not newer than the charter in force (version 2): "
	    "an old update, expected version 3");
	/* the tally is filled all the same */
	assert_int_equal(tally->counted, 2);

	/* skipping a version */
	load_current(BASE, cur, cur_hash);
	u->version = 3;
	assert_int_equal(check(u, err, sizeof(err)), GOV_REFUSED);
	assert_string_equal(err, "update to version 3 skips versions: the charter in force is version 1, "
	    "expected version 2");
	/* (and the signatures were made for version 2) */
	assert_int_equal(tally->invalid, 2);
	u->version = 2;

	/* another previous text: the same version, but not this charter */
	u->prev_hash[0] ^= 1;
	sodium_bin2hex(hex1, sizeof(hex1), u->prev_hash, 8);
	sodium_bin2hex(hex2, sizeof(hex2), cur_hash, 8);
	snprintf(want, sizeof(want), "update replaces another charter text (previous hash %s..., the "
	    "charter in force is %s...)", hex1, hex2);
	assert_int_equal(check(u, err, sizeof(err)), GOV_REFUSED);
	assert_string_equal(err, want);
	u->prev_hash[0] ^= 1;
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);

	/* another coalition */
	load_current("coalition other\nmember m1 $1 member\nmember m2 $2 member\n", cur, h);
	assert_int_equal(gov_check(cur, h, u, next, tally, err, sizeof(err)), GOV_REFUSED);
	assert_string_equal(err, "update for coalition 'net', expected 'other'");
	load_current(BASE, cur, cur_hash);
	gov_free(u);

	/* a text that does not parse, signed all the same */
	u = propose(BASE "version 2\n");
	char *bad = expand(BASE "version 2\nmember m1 $5 member\n");
	free(u->text);
	u->text = bad;
	u->len = strlen(bad);
	sign(u, 1);
	sign(u, 2);
	assert_int_equal(check(u, err, sizeof(err)), GOV_REFUSED);
	assert_string_equal(err, "new charter (version 2):8: duplicate member 'm1' (first on line 2), "
	    "expected unique names");
	gov_free(u);

	/* a text whose version line disagrees with the update's */
	u = propose(BASE "version 2\n");
	bad = expand(BASE "version 7\n");
	free(u->text);
	u->text = bad;
	u->len = strlen(bad);
	sign(u, 1);
	sign(u, 2);
	assert_int_equal(check(u, err, sizeof(err)), GOV_REFUSED);
	assert_string_equal(err, "new charter (version 2): version 7, expected 2 (the charter in force is "
	    "version 1): the new text needs the line 'version 2'");
	gov_free(u);
}

/* Every byte of a bundle that is adoptable with exactly the threshold of
 * signatures matters: changed, decode or check fails. */
static void
test_tamper(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	struct gov_update *u, *d;
	uint8_t *buf;
	size_t n;
	char err[1024];

	(void)state;
	u = propose(BASE "version 2\nrevoked m3\n");
	sign(u, 1);
	sign(u, 3);
	buf = encode(u, &n);
	assert_int_equal(gov_decode(buf, n, &d, err, sizeof(err)), 0);
	assert_int_equal(check(d, err, sizeof(err)), GOV_ADOPTABLE);
	gov_free(d);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(masks); k++) {
			buf[i] ^= masks[k];
			if (gov_decode(buf, n, &d, err, sizeof(err)) == 0) {
				if (check(d, err, sizeof(err)) == GOV_ADOPTABLE)
					fail_msg("byte %zu ^ 0x%02x: still adoptable", i, masks[k]);
				gov_free(d);
			} else
				assert_null(d);
			buf[i] ^= masks[k];
		}
	}
	free(buf);
	gov_free(u);
}

static void
test_truncations(void **state)
{
	struct gov_update *u, *d;
	uint8_t *buf, *copy;
	size_t n;
	char err[1024];

	(void)state;
	u = propose(BASE "version 2\n");
	sign(u, 1);
	sign(u, 2);
	sign(u, 4);
	buf = encode(u, &n);
	/* each prefix in a buffer of its own size, so ASan sees any over-read */
	for (size_t len = 0; len < n; len++) {
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, buf, len);
		if (gov_decode(copy, len, &d, err, sizeof(err)) != -1)
			fail_msg("truncated to %zu of %zu bytes: decoded", len, n);
		assert_null(d);
		free(copy);
	}
	assert_int_equal(gov_decode(buf, 3, &d, err, sizeof(err)), -1);
	assert_string_equal(err, "truncated charter update (3 bytes)");
	/* one more byte is refused too */
	copy = malloc(n + 1);
	assert_non_null(copy);
	memcpy(copy, buf, n);
	copy[n] = 0;
	assert_int_equal(gov_decode(copy, n + 1, &d, err, sizeof(err)), -1);
	assert_string_equal(err, "1 bytes after the last signature of the charter update");
	free(copy);
	free(buf);
	gov_free(u);
}

/* Writes a 16-bit or 32-bit or 64-bit big-endian value at p. */
static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void
test_hostile(void **state)
{
	struct gov_update *u, *d;
	uint8_t *buf, *big;
	size_t n;
	char err[1024], want[128];
	/* offsets for the coalition "net" (3 bytes) */
	const size_t off_name = 4, off_version = 7, off_textlen = 47, off_text = 51;

	(void)state;
	u = propose(BASE "version 2\n");
	sign(u, 1);
	buf = encode(u, &n);
	const size_t off_count = off_text + u->len;

#define EXPECT(msg) do { \
	assert_int_equal(gov_decode(buf, n, &d, err, sizeof(err)), -1); \
	assert_null(d); \
	assert_string_equal(err, msg); \
} while (0)
	buf[0] = 'A'; buf[1] = '5';
	EXPECT("not a charter update (it does not start with \"AG\")");
	buf[1] = 'G'; buf[2] = 2;
	EXPECT("unsupported charter update format 2 (this article5 reads format 1)");
	buf[2] = 1; buf[3] = 0;
	EXPECT("bad coalition name length 0 in charter update, expected 1 to 47");
	buf[3] = 200;
	EXPECT("bad coalition name length 200 in charter update, expected 1 to 47");
	buf[3] = 3; buf[off_name + 1] = '.';
	EXPECT("bad coalition name in charter update (expected 1 to 47 letters, digits, '-' or '_')");
	buf[off_name + 1] = '\0';
	EXPECT("bad coalition name in charter update (expected 1 to 47 letters, digits, '-' or '_')");
	buf[off_name + 1] = 'e';
	put_be(buf + off_version, 1, 8);
	EXPECT("bad version 1 in charter update, expected 2 to 9007199254740992");
	put_be(buf + off_version, CHARTER_VERSION_MAX + 1, 8);
	EXPECT("bad version 9007199254740993 in charter update, expected 2 to 9007199254740992");
	put_be(buf + off_version, UINT64_MAX, 8);
	EXPECT("bad version 18446744073709551615 in charter update, expected 2 to 9007199254740992");
	put_be(buf + off_version, 2, 8);
	put_be(buf + off_textlen, 0, 4);
	EXPECT("bad text length 0 in charter update, expected 1 to 1048576");
	put_be(buf + off_textlen, CHARTER_FILE_MAX + 1, 4);
	EXPECT("bad text length 1048577 in charter update, expected 1 to 1048576");
	put_be(buf + off_textlen, UINT32_MAX, 4);
	EXPECT("bad text length 4294967295 in charter update, expected 1 to 1048576");
	/* a text length beyond what follows */
	put_be(buf + off_textlen, u->len + GOV_SIG_ENTRY_BYTES + 3, 4);
	snprintf(want, sizeof(want), "truncated charter update (%zu bytes)", n);
	EXPECT(want);
	put_be(buf + off_textlen, u->len, 4);
	put_be(buf + off_count, GOV_SIGS_MAX + 1, 2);
	EXPECT("257 signatures in charter update, at most 256");
	put_be(buf + off_count, 2, 2);
	EXPECT(want);
	put_be(buf + off_count, 0, 2);
	EXPECT("96 bytes after the last signature of the charter update");
	put_be(buf + off_count, 1, 2);
	assert_int_equal(gov_decode(buf, n, &d, err, sizeof(err)), 0);
	gov_free(d);
#undef EXPECT

	/* larger than any bundle: refused before a byte is read */
	big = calloc(1, GOV_BUNDLE_MAX + 1);
	assert_non_null(big);
	memcpy(big, buf, n);
	assert_int_equal(gov_decode(big, GOV_BUNDLE_MAX + 1, &d, err, sizeof(err)), -1);
	assert_string_equal(err, "too large for a charter update (1073250 bytes, at most 1073249)");
	free(big);
	free(buf);
	gov_free(u);
}

/* A full bundle: the longest name, the longest text, every signature. */
static void
test_largest(void **state)
{
	struct gov_update *u, *d;
	struct identity id;
	uint8_t *buf, seed[crypto_sign_SEEDBYTES] = { 0 };
	size_t n;
	char err[1024];

	(void)state;
	u = calloc(1, sizeof(*u));
	assert_non_null(u);
	memset(u->coalition, 'n', CHARTER_NAME_MAX - 1);
	u->version = CHARTER_VERSION_MAX;
	u->len = CHARTER_FILE_MAX;
	u->text = malloc(u->len + 1);
	assert_non_null(u->text);
	memset(u->text, '#', u->len);
	u->text[u->len] = '\0';
	for (int i = 0; i < GOV_SIGS_MAX; i++) {
		seed[0] = (uint8_t)i;
		seed[1] = 0x77;
		crypto_sign_seed_keypair(id.pk, id.sk, seed);
		if (gov_sign(u, &id, err, sizeof(err)) != 0)
			fail_msg("%s", err);
	}
	seed[0] = 0xff;
	seed[1] = 0xff;
	crypto_sign_seed_keypair(id.pk, id.sk, seed);
	assert_int_equal(gov_sign(u, &id, err, sizeof(err)), -1);
	assert_string_equal(err, "update already holds 256 signatures, the most there can be");
	assert_int_equal(gov_encoded_len(u), GOV_BUNDLE_MAX);
	buf = encode(u, &n);
	assert_int_equal(gov_decode(buf, n, &d, err, sizeof(err)), 0);
	assert_int_equal(d->nsigs, GOV_SIGS_MAX);
	assert_int_equal(d->len, CHARTER_FILE_MAX);
	gov_free(d);
	free(buf);
	gov_free(u);
}

/* A revocation and a key rotation through updates, one after the other:
 * each counted against the charter then in force. */
static void
test_revoke_and_rotate(void **state)
{
	struct gov_update *u;
	char *text, err[1024];

	(void)state;
	u = propose(BASE "version 2\nrevoked m3\n");
	sign(u, 1);
	sign(u, 2);
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);
	assert_true(charter_find_name(next, "m3")->revoked);
	assert_false(charter_find_name(next, "m1")->revoked);
	assert_int_equal(charter_voters(next), 2);
	/* adopt it: the new text is the charter in force */
	memcpy(cur, next, sizeof(*cur));
	charter_hash(u->text, u->len, cur_hash);
	gov_free(u);

	/* m2 rotates to key 6; m3's signature no longer counts */
	text = expand("coalition net\n"
	    "member m1 $1 member 203.0.113.0/26\n"
	    "member m2 $6 member\n"
	    "member m3 $3 protected\n"
	    "member obs $4 observer\n"
	    "version 3\nrevoked m3\n");
	assert_int_equal(gov_propose(cur, cur_hash, "v3", text, strlen(text), &u, err, sizeof(err)), 0);
	free(text);
	sign(u, 3);
	sign(u, 6);	/* the new key: not yet m2's */
	sign(u, 1);
	assert_int_equal(check(u, err, sizeof(err)), GOV_PENDING);
	assert_string_equal(err, "1 of 2 required signatures (missing: m2)");
	sign(u, 2);	/* the key in force */
	assert_int_equal(check(u, err, sizeof(err)), GOV_ADOPTABLE);
	assert_memory_equal(charter_find_name(next, "m2")->pk, ids[6].pk, ID_PUBLIC_BYTES);
	assert_null(charter_find(next, ids[2].pk));
	gov_free(u);
}

/* The signed digest covers each field: change one, the signatures fail. */
static void
test_digest(void **state)
{
	struct gov_update *u;
	uint8_t a[GOV_DIGEST_BYTES], b[GOV_DIGEST_BYTES];

	(void)state;
	u = propose(BASE "version 2\n");
	gov_digest(u, a);
	u->version++;
	gov_digest(u, b);
	assert_memory_not_equal(a, b, sizeof(a));
	u->version--;
	u->prev_hash[31] ^= 1;
	gov_digest(u, b);
	assert_memory_not_equal(a, b, sizeof(a));
	u->prev_hash[31] ^= 1;
	u->text[0] = 'C';
	gov_digest(u, b);
	assert_memory_not_equal(a, b, sizeof(a));
	u->text[0] = 'c';
	u->coalition[0] = 'N';
	gov_digest(u, b);
	assert_memory_not_equal(a, b, sizeof(a));
	u->coalition[0] = 'n';
	gov_digest(u, b);
	assert_memory_equal(a, b, sizeof(a));
	gov_free(u);
}

static void
test_hash_file(void **state)
{
	char path[] = "/tmp/a5-gov-XXXXXX", err[1024];
	char *text = expand(BASE);
	uint8_t h1[CHARTER_HASH_BYTES], h2[CHARTER_HASH_BYTES], h3[CHARTER_HASH_BYTES];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	charter_hash(text, strlen(text), h1);
	assert_int_equal(charter_hash_file(path, h2, err, sizeof(err)), 0);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_int_equal(charter_load_hash(path, next, h3, err, sizeof(err)), 0);
	assert_memory_equal(h1, h3, sizeof(h1));
	assert_memory_equal(h1, cur_hash, sizeof(h1));
	assert_string_equal(next->name, "net");
	unlink(path);
	assert_int_equal(charter_hash_file(path, h2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_round_trip, reset),
		cmocka_unit_test_setup(test_threshold, reset),
		cmocka_unit_test_setup(test_not_counted, reset),
		cmocka_unit_test_setup(test_protected_no_vote, reset),
		cmocka_unit_test_setup(test_duplicates, reset),
		cmocka_unit_test_setup(test_merge, reset),
		cmocka_unit_test_setup(test_forged_entries, reset),
		cmocka_unit_test_setup(test_prune, reset),
		cmocka_unit_test_setup(test_refusals, reset),
		cmocka_unit_test_setup(test_tamper, reset),
		cmocka_unit_test_setup(test_truncations, reset),
		cmocka_unit_test_setup(test_hostile, reset),
		cmocka_unit_test_setup(test_largest, reset),
		cmocka_unit_test_setup(test_revoke_and_rotate, reset),
		cmocka_unit_test_setup(test_digest, reset),
		cmocka_unit_test_setup(test_hash_file, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
