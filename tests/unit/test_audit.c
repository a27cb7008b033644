/* test_audit.c - the audit of commitments: deadlines rounded to the
 * period, a matching commitment is ok, declines are taken out, expiry
 * follows the commitment's time, two mismatches in a row flag, a
 * commitment ahead of our chain heads waits, non-members are non-binding,
 * the obligation log stays bounded while a binding member is silent,
 * auditors K assigns each member to K auditors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "coalition/audit.h"
#include "coalition/charter.h"
#include "common/lthash.h"

enum { SELF, ALICE, BOB, OLGA, NPEERS };
static uint8_t pk[NPEERS][ID_PUBLIC_BYTES];
static struct charter charter;
#define T0 1700000000LL		/* a multiple of the 10 s period */

static void
setup_charter(void)
{
	char text[2048], key[NPEERS][ID_PUBLIC_TEXT_MAX], err[512];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];

	assert_true(sodium_init() >= 0);
	for (int i = 0; i < NPEERS; i++) {
		crypto_sign_keypair(pk[i], sk);
		identity_pk_to_text(pk[i], key[i], sizeof(key[i]));
	}
	int n = snprintf(text, sizeof(text), "coalition t\nmember self %s member\n"
	    "member alice %s member\nmember bob %s member\nmember olga %s observer\n"
	    "commit_period 10s\n", key[SELF], key[ALICE], key[BOB], key[OLGA]);
	if (charter_parse("t.charter", text, (size_t)n, &charter, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	assert_int_equal(prefix_parse(s, strlen(s), &p), 0);
	return p;
}

/* Bob's commitment at time t (s + 5 past a multiple): applied = what he
 * processed of alice's chain, digest of the given prefixes. */
static struct wire_commitment *
commit_of(uint64_t seq, int64_t t, uint64_t alice_seq, const char **set, size_t n)
{
	static struct wire_commitment c;
	struct lthash h;

	memset(&c, 0, sizeof(c));
	memcpy(c.member, pk[BOB], ID_PUBLIC_BYTES);
	c.seq = seq;
	c.time_us = (uint64_t)t * 1000000;
	c.period = 10;
	lthash_zero(&h);
	for (size_t i = 0; i < n; i++) {
		struct a5_prefix p = pfx(set[i]);
		lthash_add(&h, &p);
	}
	lthash_digest(&h, c.digest);
	c.count = n;
	memcpy(c.applied[0].reporter, pk[ALICE], ID_PUBLIC_BYTES);
	c.applied[0].seq = alice_seq;
	c.napplied = 1;
	return &c;
}

static void
test_deadline(void **state)
{
	(void)state;
	setup_charter();
	/* ts + ttl rounded up to the period; the caps only shorten */
	assert_int_equal(audit_deadline(&charter, T0 + 1, 100, 0), T0 + 110);
	assert_int_equal(audit_deadline(&charter, T0, 100, 0), T0 + 100);
	assert_int_equal(audit_deadline(&charter, T0, 100, 30), T0 + 30);
	assert_int_equal(audit_deadline(&charter, T0, 0, 0), T0);
}

static void
test_match_decline_expiry_flag(void **state)
{
	uint64_t heads[NPEERS] = { 0, 2, 0, 0 };
	struct a5_prefix a = pfx("198.51.100.1/32"), b = pfx("198.51.100.2/32");
	const char *both[] = { "198.51.100.1/32", "198.51.100.2/32" };
	const char *one[] = { "198.51.100.2/32" };
	(void)state;

	setup_charter();
	struct audit *au = audit_new(&charter, pk[SELF]);
	assert_non_null(au);
	/* alice reports a (ttl 100 s) and b (ttl 1000 s) at T0 */
	audit_report(au, pk[ALICE], 1, &a, T0 * 1000000, 100, T0);
	audit_report(au, pk[ALICE], 2, &b, T0 * 1000000, 1000, T0);

	/* bob holds both at T0 + 15: ok */
	assert_int_equal(audit_commitment(au, commit_of(1, T0 + 15, 2, both, 2), heads, T0 + 15), 1);
	assert_int_equal(audit_state_of(au, BOB, T0 + 15), AUDIT_OK);
	assert_int_equal(audit_get(au, BOB)->expected, 2);
	assert_true(audit_percentile(audit_get(au, BOB), 50) >= 15000);

	/* past a's deadline (T0 + 100) only b is expected */
	assert_int_equal(audit_commitment(au, commit_of(2, T0 + 105, 2, one, 1), heads, T0 + 105), 1);
	assert_int_equal(audit_state_of(au, BOB, T0 + 105), AUDIT_OK);
	assert_int_equal(audit_get(au, BOB)->missed, 8);

	/* a gap that spans an instant this auditor may have missed
	 * (audit_unheard: disconnected, libnats dropped some) is not bob's: not
	 * counted; a later gap that does not span it counts again */
	audit_unheard(au, (T0 + 200) * 1000000LL);
	assert_int_equal(audit_commitment(au, commit_of(20, T0 + 305, 2, one, 1), heads, T0 + 305), 1);
	assert_int_equal(audit_get(au, BOB)->missed, 8);
	assert_int_equal(audit_commitment(au, commit_of(21, T0 + 335, 2, one, 1), heads, T0 + 335), 1);
	assert_int_equal(audit_get(au, BOB)->missed, 10);
	/* an older commitment, still buffered when the instant came, does not
	 * use the forgiveness up: its gap (before the instant) counts, the one
	 * after it, spanning the instant, does not */
	audit_unheard(au, (T0 + 370) * 1000000LL);
	assert_int_equal(audit_commitment(au, commit_of(22, T0 + 365, 2, one, 1), heads, T0 + 365), 1);
	assert_int_equal(audit_get(au, BOB)->missed, 12);
	assert_int_equal(audit_commitment(au, commit_of(23, T0 + 395, 2, one, 1), heads, T0 + 395), 1);
	assert_int_equal(audit_get(au, BOB)->missed, 12);

	/* b missing from the kernel: one mismatch, then flagged */
	assert_int_equal(audit_commitment(au, commit_of(33, T0 + 415, 2, NULL, 0), heads, T0 + 415), 1);
	assert_int_equal(audit_state_of(au, BOB, T0 + 415), AUDIT_MISMATCH);
	assert_int_equal(audit_commitment(au, commit_of(34, T0 + 425, 2, NULL, 0), heads, T0 + 425), 1);
	assert_int_equal(audit_state_of(au, BOB, T0 + 425), AUDIT_FLAGGED);

	/* the same, with b declined: a match again */
	struct wire_commitment *c = commit_of(35, T0 + 435, 2, NULL, 0);
	c->declines[0] = (struct wire_decline){ b, WIRE_DECLINE_UNBAN, T0 + 2000 };
	c->ndeclines = 1;
	assert_int_equal(audit_commitment(au, c, heads, T0 + 435), 1);
	assert_int_equal(audit_state_of(au, BOB, T0 + 435), AUDIT_OK);

	/* replayed or out of order: ignored */
	assert_int_equal(audit_commitment(au, commit_of(35, T0 + 445, 2, NULL, 0), heads, T0 + 445), -1);
	/* silent after two periods */
	assert_int_equal(audit_state_of(au, BOB, T0 + 500), AUDIT_SILENT);
	/* roles */
	assert_int_equal(audit_state_of(au, OLGA, T0 + 435), AUDIT_NON_BINDING);
	assert_int_equal(audit_state_of(au, SELF, T0 + 435), AUDIT_SELF);
	audit_free(au);
}

static void
test_waits_for_heads(void **state)
{
	uint64_t heads[NPEERS] = { 0, 0, 0, 0 };
	struct a5_prefix a = pfx("198.51.100.1/32");
	const char *one[] = { "198.51.100.1/32" };
	(void)state;

	setup_charter();
	struct audit *au = audit_new(&charter, pk[SELF]);
	assert_non_null(au);
	/* bob claims alice's #1 before we have it: kept, not judged */
	assert_int_equal(audit_commitment(au, commit_of(1, T0 + 5, 1, one, 1), heads, T0 + 5), 0);
	assert_int_equal(audit_state_of(au, BOB, T0 + 5), AUDIT_PENDING);
	assert_true(audit_waiting(au));
	audit_report(au, pk[ALICE], 1, &a, T0 * 1000000, 100, T0);
	heads[ALICE] = 1;
	audit_retry(au, heads, T0 + 6);
	assert_int_equal(audit_state_of(au, BOB, T0 + 6), AUDIT_OK);
	assert_false(audit_waiting(au));
	audit_free(au);
}

/* 100 reports a second for 1000 s, bob silent all along: the log keeps
 * about what can still matter, not all 100k. A commitment older than the
 * horizon is not audited; a fresh one still matches exactly the live set,
 * so nothing it needed was swept out. */
static void
test_log_bounded_while_silent(void **state)
{
	enum { N = 100000, RATE = 100, TTL = 10 };
	static char text[N][24];
	static const char *live[N];
	size_t nlive = 0;
	uint64_t heads[NPEERS] = { 0, N, 0, 0 };
	size_t peak = 0;
	(void)state;

	setup_charter();
	struct audit *au = audit_new(&charter, pk[SELF]);
	assert_non_null(au);
	int64_t t_commit = T0 + N / RATE + 5;
	for (int i = 0; i < N; i++) {
		int64_t ts_us = T0 * 1000000 + (int64_t)i * (1000000 / RATE);
		snprintf(text[i], sizeof(text[i]), "10.%d.%d.%d/32", i >> 16, (i >> 8) & 255, i & 255);
		struct a5_prefix p = pfx(text[i]);
		audit_report(au, pk[ALICE], (uint64_t)i + 1, &p, ts_us, TTL, ts_us / 1000000);
		if (audit_logged(au) > peak)
			peak = audit_logged(au);
		if (audit_deadline(&charter, ts_us / 1000000, TTL, 0) > t_commit)
			live[nlive++] = text[i];
	}
	/* horizon 60 s + ttl 10 s + rounding 10 s at 100/s, doubled by the
	 * amortized sweep: well under 20k */
	assert_true(peak < 20000);
	assert_true(nlive > 0);

	assert_int_equal(audit_commitment(au, commit_of(1, t_commit - 100, N, NULL, 0), heads,
	    t_commit), -1);
	assert_int_equal(audit_get(au, BOB)->stale, 1);
	assert_int_equal(audit_state_of(au, BOB, t_commit), AUDIT_PENDING);
	assert_int_equal(audit_commitment(au, commit_of(2, t_commit, N, live, nlive), heads,
	    t_commit), 1);
	assert_int_equal(audit_get(au, BOB)->expected, nlive);
	assert_int_equal(audit_state_of(au, BOB, t_commit), AUDIT_OK);
	audit_free(au);
}

/* auditors K: each member audited by the K before it in charter order,
 * revoked members skipped; its commitments judged by those only, seen by
 * the others (no model, no obligation waiting on them). */
static void
test_sampled_audits(void **state)
{
	enum { M = 8 };	/* m0..m5 members (m2 revoked), m6 observer, m7 protected */
	static const char *roles[M] = { "member", "member", "member", "member", "member", "member",
	    "observer", "protected" };
	char text[4096], key[M][ID_PUBLIC_TEXT_MAX], err[512];
	uint8_t mpk[M][ID_PUBLIC_BYTES], sk[crypto_sign_SECRETKEYBYTES];
	static struct charter c;
	size_t len = 0;

	(void)state;
	for (int i = 0; i < M; i++) {
		crypto_sign_keypair(mpk[i], sk);
		identity_pk_to_text(mpk[i], key[i], sizeof(key[i]));
	}
	len += (size_t)snprintf(text, sizeof(text), "coalition t\ncommit_period 10s\nauditors 2\n");
	for (int i = 0; i < M; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "member m%d %s %s\n", i,
		    key[i], roles[i]);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "revoked m2\n");
	if (charter_parse("t.charter", text, len, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.policy.auditors, 2);
	/* m2 revoked: the ring is m0 m1 m3 m4 m5 */
	assert_true(charter_audits(&c, 0, 1));
	assert_true(charter_audits(&c, 0, 3));
	assert_false(charter_audits(&c, 0, 4));
	assert_false(charter_audits(&c, 0, 5));
	assert_false(charter_audits(&c, 0, 0));
	assert_true(charter_audits(&c, 4, 0));		/* wraps around */
	assert_true(charter_audits(&c, 5, 0));
	assert_false(charter_audits(&c, 3, 0));
	/* the ring holds only committing members: each audited by exactly 2
	 * of them, never by the observer or the protected partner alone */
	for (size_t j = 0; j < 6; j++) {
		size_t by = 0;
		if (j == 2)
			continue;
		for (size_t i = 0; i < 6; i++)
			by += i != 2 && charter_audits(&c, i, j);
		assert_int_equal(by, 2);
	}
	/* off the ring: audits everyone (its own choice to look) */
	assert_true(charter_audits(&c, 6, 0));
	assert_true(charter_audits(&c, 7, 5));
	assert_true(charter_audits(&c, 0, 6));	/* nothing to audit there: binding() says so */

	struct audit *au = audit_new(&c, mpk[0]);
	assert_non_null(au);
	uint64_t heads[CHARTER_MEMBERS_MAX] = { 0 };
	assert_int_equal(audit_state_of(au, 1, T0), AUDIT_PENDING);
	assert_int_equal(audit_state_of(au, 4, T0), AUDIT_UNASSIGNED);
	assert_string_equal(audit_state_name(AUDIT_UNASSIGNED), "unassigned");
	/* m4's commitment: seen, not judged */
	struct wire_commitment *cm = commit_of(1, T0 + 5, 0, NULL, 0);
	memcpy(cm->member, mpk[4], ID_PUBLIC_BYTES);
	assert_int_equal(audit_commitment(au, cm, heads, T0 + 5), 1);
	assert_int_equal(audit_get(au, 4)->audited, 0);
	assert_int_equal(audit_state_of(au, 4, T0 + 100), AUDIT_UNASSIGNED);
	audit_free(au);

	/* auditors at or past n-1: everyone audits everyone */
	c.policy.auditors = 4;
	assert_true(charter_audits(&c, 0, 5));
	c.policy.auditors = 0;
	assert_true(charter_audits(&c, 0, 5));

	/* out of range refused with the line */
	assert_int_not_equal(charter_parse("t.charter", "coalition t\nauditors 0\n", 23, &c, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(err, "t.charter:2: bad auditors '0'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_match_decline_expiry_flag),
		cmocka_unit_test(test_waits_for_heads),
		cmocka_unit_test(test_log_bounded_while_silent),
		cmocka_unit_test(test_sampled_audits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
