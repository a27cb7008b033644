/* test_accept_budget.c - what bounds one member's damage in the acceptance
 * pipeline (docs/charter.md "Budgets"): budgets of bans and of address
 * space, the throttle then the quarantine of a member over them, wide
 * prefixes that need k-of-n, and this host's floors (accept_floors) that no
 * charter loosens. Each case fails without the rule it is named after. */
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/accept.h"
#include "common/util.h"

#define NOW 1700000000LL

enum { SELF, ALICE, BOB, CAROL, NPEERS };

struct peer {
	uint8_t pk[ID_PUBLIC_BYTES];
	char text[ID_PUBLIC_TEXT_MAX];
	uint64_t seq;
	uint8_t last[WIRE_HASH_BYTES];
};

static struct peer peers[NPEERS];
static struct charter *charter;

static void
peer_init(struct peer *p, int i)
{
	uint8_t seed[crypto_sign_SEEDBYTES] = { 0 }, sk[crypto_sign_SECRETKEYBYTES];

	memset(p, 0, sizeof(*p));
	seed[0] = (uint8_t)(i + 1);
	crypto_sign_seed_keypair(p->pk, sk, seed);
	identity_pk_to_text(p->pk, p->text, sizeof(p->text));
}

/* self, alice and bob members, carol protected; extra policy lines; the
 * allowlist is empty; floors f (NULL: none). */
static struct accept *
new_accept(const char *extra, const struct accept_floors *f)
{
	char text[4096], err[1024];
	struct accept *a;
	int n;

	for (int i = 0; i < NPEERS; i++) {
		peers[i].seq = 0;
		memset(peers[i].last, 0, WIRE_HASH_BYTES);
	}
	n = snprintf(text, sizeof(text), "coalition test\nmember self %s member\n"
	    "member alice %s member\nmember bob %s member\nmember carol %s protected\n%s",
	    peers[SELF].text, peers[ALICE].text, peers[BOB].text, peers[CAROL].text, extra);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (charter_parse("test.charter", text, (size_t)n, charter, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	a = accept_new_floors(charter, peers[SELF].pk, NULL, 0, f);
	assert_non_null(a);
	return a;
}

/* p's next report of prefix, stamped at, ttl seconds, decided at now. */
static enum accept_reason
report_ttl(struct accept *a, struct peer *p, const char *prefix, uint32_t ttl, int64_t at,
    int64_t now, struct accept_decision *d)
{
	struct wire_report r;
	uint8_t h[WIRE_HASH_BYTES];

	memset(&r, 0, sizeof(r));
	r.seq = p->seq + 1;
	memcpy(r.prev, p->last, WIRE_HASH_BYTES);
	r.timestamp_us = (uint64_t)at * 1000000;
	if (prefix_parse(prefix, strlen(prefix), &r.prefix) != 0)
		fail_msg("bad test prefix %s", prefix);
	strcpy(r.service, "sshd");
	strcpy(r.rule, "invalid-user");
	r.ttl = ttl;
	wire_report_hash(&r, p->pk, h);
	accept_report_hashed(a, p->pk, &r, h, now, d);
	p->seq = r.seq;
	memcpy(p->last, h, WIRE_HASH_BYTES);
	return d->reason;
}

static enum accept_reason
report(struct accept *a, struct peer *p, const char *prefix, int64_t now, struct accept_decision *d)
{
	return report_ttl(a, p, prefix, 3600, now, now, d);
}

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < NPEERS; i++)
		peer_init(&peers[i], i);
	charter = malloc(sizeof(*charter));
	return charter == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	free(charter);
	return 0;
}

/* budget_bans: the member's bans in force here; an expired one gives its
 * place back, and the throttle lifts once under half the budget. */
static void
test_budget_bans(void **state)
{
	struct accept *a = new_accept("budget_bans 4\n", NULL);
	const struct accept_member_stats *st = accept_stats(a, ALICE);
	struct accept_decision d;
	char ip[32];

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
		assert_int_equal(report_ttl(a, &peers[ALICE], ip, 60, NOW, NOW, &d), ACC_OK);
	}
	assert_int_equal(st->budget_bans, 4);
	assert_int_equal(st->budget_addresses4, 4);
	assert_false(st->throttled);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.9", NOW, &d), ACC_BUDGET_BANS);
	assert_int_equal(d.verdict, ACC_REFUSE);
	assert_int_equal(st->refused[ACC_BUDGET_BANS], 1);
	assert_true(st->throttled);
	assert_int_equal(st->strikes, 1);
	/* another member has a budget of its own */
	assert_int_equal(report(a, &peers[BOB], "198.51.100.9", NOW, &d), ACC_OK);
	/* once the 60 s bans ended, the budget is free again: the throttle lifts */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.10", NOW + 100, &d), ACC_OK);
	assert_int_equal(st->budget_bans, 1);
	assert_false(st->throttled);
	assert_int_equal(st->strikes, 0);
	accept_free(a);
}

/* budget_addresses4/6: what the bans cover, IPv4 addresses and IPv6 /64s. */
static void
test_budget_addresses(void **state)
{
	struct accept *a = new_accept("budget_addresses4 300\nbudget_addresses6 /56\n", NULL);
	const struct accept_member_stats *st = accept_stats(a, ALICE);
	struct accept_decision d;

	(void)state;
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.0/24", NOW, &d), ACC_OK);
	assert_int_equal(st->budget_addresses4, 256);
	assert_int_equal(report(a, &peers[ALICE], "203.0.113.0/24", NOW, &d), ACC_BUDGET_ADDRESSES);
	assert_int_equal(report(a, &peers[ALICE], "203.0.113.0/26", NOW, &d), ACC_BUDGET_ADDRESSES);
	assert_int_equal(report(a, &peers[ALICE], "203.0.113.0/27", NOW, &d), ACC_OK);
	assert_int_equal(st->budget_addresses4, 288);
	/* a /56 is 256 /64s: the whole IPv6 budget; a longer one counts as one */
	assert_int_equal(report(a, &peers[ALICE], "2001:db8:1::/56", NOW, &d), ACC_OK);
	assert_int_equal(st->budget_units6, 256);
	assert_int_equal(report(a, &peers[ALICE], "2001:db8:2::1/128", NOW, &d), ACC_BUDGET_ADDRESSES);
	assert_int_equal(st->refused[ACC_BUDGET_ADDRESSES], 3);
	assert_int_equal(report(a, &peers[BOB], "2001:db8:2::/64", NOW, &d), ACC_OK);
	assert_int_equal(accept_stats(a, BOB)->budget_units6, 1);
	accept_free(a);
}

/* Over budget: a tenth of the rate at once, quarantined at budget_strikes. */
static void
test_throttle_then_quarantine(void **state)
{
	struct accept *a = new_accept("budget_bans 2\nbudget_strikes 15\nrate 100/min\n", NULL);
	const struct accept_member_stats *st = accept_stats(a, ALICE);
	struct accept_decision d;
	size_t throttled = 0, budget = 0;
	char ip[32];

	(void)state;
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.2", NOW, &d), ACC_OK);
	/* the bucket held 100 reports: throttled, it holds 10, and refills
	 * one report every 6 s; two reports a second */
	for (int i = 0; i < 200; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i % 200 + 10);
		enum accept_reason why = report(a, &peers[ALICE], ip, NOW + i / 2, &d);
		throttled += why == ACC_THROTTLED;
		budget += why == ACC_BUDGET_BANS;
		if (st->quarantined)
			break;
	}
	assert_true(throttled > 0);
	assert_int_equal(budget, 15);
	assert_true(st->quarantined);
	assert_int_equal(st->quarantine_why, ACC_BUDGET_BANS);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.99", NOW + 3600, &d), ACC_QUARANTINED);
	/* the others go on */
	assert_int_equal(report(a, &peers[BOB], "198.51.100.99", NOW, &d), ACC_OK);
	accept_free(a);
}

/* Wider than wide_prefix4/6: wide_quorum distinct members within the
 * window, whatever the role's own response. */
static void
test_wide_quorum(void **state)
{
	struct accept *a = new_accept("max_prefix4 16\nmax_prefix6 32\nbudget_addresses4 1000000\n"
	    "budget_addresses6 /16\n", NULL);
	struct accept_decision d;

	(void)state;
	assert_int_equal(report(a, &peers[ALICE], "198.51.0.0/20", NOW, &d), ACC_WIDE_PENDING);
	assert_int_equal(d.verdict, ACC_WAIT);
	assert_int_equal(report(a, &peers[ALICE], "198.51.0.0/20", NOW + 1, &d), ACC_WIDE_PENDING);
	assert_int_equal(report(a, &peers[BOB], "198.51.0.0/20", NOW + 2, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "2001:db8::/40", NOW, &d), ACC_WIDE_PENDING);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.0/24", NOW, &d), ACC_OK);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_WIDE_PENDING], 3);
	/* nothing pending budgets: only bob's applied /20 counts */
	assert_int_equal(accept_stats(a, BOB)->budget_addresses4, 4096);
	accept_free(a);
	/* wide_prefix4 at max_prefix4: one member acts alone again */
	a = new_accept("max_prefix4 16\nwide_prefix4 16\nbudget_addresses4 1000000\n", NULL);
	assert_int_equal(report(a, &peers[ALICE], "198.51.0.0/20", NOW, &d), ACC_OK);
	accept_free(a);
}

/* This host's floors hold under a charter that allows more. */
static void
test_floors(void **state)
{
	struct accept_floors f = { .max_prefix4 = 24, .max_prefix6 = 48, .no_special = true };
	struct accept *a = new_accept("max_prefix4 16\nwide_prefix4 16\nallow_special yes\n"
	    "budget_addresses4 1000000\n", &f);
	struct accept_decision d;

	(void)state;
	assert_int_equal(report(a, &peers[ALICE], "198.51.0.0/20", NOW, &d), ACC_LOCAL_FLOOR);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.0/24", NOW, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "10.1.2.3", NOW, &d), ACC_LOCAL_FLOOR);
	assert_int_equal(report(a, &peers[ALICE], "64:ff9b::1", NOW, &d), ACC_LOCAL_FLOOR);
	/* what the charter alone decides is unchanged (the audit's view) */
	struct a5_prefix p;
	assert_int_equal(prefix_parse("198.51.0.0/20", 13, &p), 0);
	assert_int_equal(accept_charter_scope(a, &p), ACC_OK);
	accept_free(a);
	/* without the floors, the same charter lets them through */
	a = new_accept("max_prefix4 16\nwide_prefix4 16\nallow_special yes\n"
	    "budget_addresses4 1000000\n", NULL);
	assert_int_equal(report(a, &peers[ALICE], "198.51.0.0/20", NOW, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "10.1.2.3", NOW, &d), ACC_OK);
	accept_free(a);
	/* roles that may act alone: members not, here; a second member's
	 * report of the prefix makes it */
	memset(&f, 0, sizeof(f));
	f.not_alone[ROLE_MEMBER] = true;
	a = new_accept("", &f);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW, &d), ACC_LOCAL_FLOOR);
	assert_int_equal(report(a, &peers[BOB], "198.51.100.7", NOW + 1, &d), ACC_OK);
	/* carol (protected) may still act alone */
	assert_int_equal(report(a, &peers[CAROL], "198.51.100.8", NOW, &d), ACC_OK);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_LOCAL_FLOOR], 1);
	accept_free(a);
}

/* A report stamped ahead within the skew ends at this clock + the stamp
 * grace (2 s) + the capped ttl: the ledger's row and a restart's re-apply
 * use that deadline. */
static void
test_future_deadline(void **state)
{
	struct accept *a = new_accept("ttl_max 1h\n", NULL);
	struct accept_decision d;

	(void)state;
	assert_int_equal(report_ttl(a, &peers[ALICE], "198.51.100.1", 30 * 86400,
	    NOW + ACCEPT_SKEW_MAX, NOW, &d), ACC_OK);
	/* the period rounds up: 10 s */
	assert_true(d.deadline <= NOW + ACCEPT_STAMP_GRACE + 3600 + 9);
	assert_true(d.ttl <= ACCEPT_STAMP_GRACE + 3600 + 9);
	assert_int_equal(report_ttl(a, &peers[ALICE], "198.51.100.2", 600,
	    NOW + ACCEPT_SKEW_MAX + 1, NOW, &d), ACC_FUTURE);
	accept_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_bans),
		cmocka_unit_test(test_budget_addresses),
		cmocka_unit_test(test_throttle_then_quarantine),
		cmocka_unit_test(test_wide_quorum),
		cmocka_unit_test(test_floors),
		cmocka_unit_test(test_future_deadline),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
