/* test_budget_restart.c - a member's budget survives a restart of the
 * receiver (docs/charter.md "Budgets"): the bans it asked for that are in
 * force here are counted again from the ledger at coalition_open, so a
 * member over its budget before the restart is refused for the same reason
 * after it; and an adopted charter's new pipeline keeps the sanctions of
 * the one it replaces (accept_carry_sanctions). No NATS server: the
 * coalition runs alone and the test hands it the messages. */
#include "testutil.h"
#include "member_fixture.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/coalition.h"
#include "coalition/state.h"
#include "common/util.h"
#include "daemon/config.h"
#include "ledger/ledger.h"

enum { SELF, ALICE, BOB, NMEMBERS };

static struct identity ids[NMEMBERS];
static char pk_text[NMEMBERS][ID_PUBLIC_TEXT_MAX];
static uint64_t seqs[NMEMBERS];
static uint8_t heads[NMEMBERS][WIRE_HASH_BYTES];
static char dir[64];
static struct coalition_batch batch;	/* 3 MiB: not on the stack */

static int
setup(void **state)
{
	(void)state;
	fixture_keys(ids, pk_text, NMEMBERS, 1);
	return fixture_dir_make(dir, sizeof(dir), "budget");
}

static int
teardown(void **state)
{
	(void)state;
	fixture_dir_remove(dir);
	return 0;
}

struct member {
	struct config cfg;
	struct ledger *ledger;
	struct prefixlist allow;
	struct coalition *co;
};

static const char policy[] = "budget_bans 3\nbudget_addresses4 300\n";

static void
charter_write(const char *path)
{
	char text[2048];
	FILE *f;

	snprintf(text, sizeof(text), "coalition test\nnats nats://127.0.0.1:1\n"
	    "member self %s member\nmember alice %s member\nmember bob %s member\n%s",
	    pk_text[SELF], pk_text[ALICE], pk_text[BOB], policy);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* This member, on the ledger file in dir (kept across member_close), its
 * NATS server refusing connections (port 1 on loopback): it works alone. */
static void
member_open(struct member *m)
{
	char err[512], path[PATH_MAX];

	memset(m, 0, sizeof(*m));
	config_defaults(&m->cfg);
	snprintf(path, sizeof(path), "%s/test.charter", dir);
	charter_write(path);
	snprintf(m->cfg.charter, sizeof(m->cfg.charter), "%s", path);
	snprintf(m->cfg.identity, sizeof(m->cfg.identity), "%s/self.key", dir);
	snprintf(m->cfg.state_dir, sizeof(m->cfg.state_dir), "%s", dir);
	m->cfg.bantime_max = 7 * 86400;
	prefixlist_init(&m->allow);
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	if (ledger_open(path, &m->ledger, err, sizeof(err)) != 0)
		fail_msg("ledger_open: %s", err);
	m->co = coalition_open(&m->cfg, &ids[SELF], &m->allow, m->ledger, err, sizeof(err));
	if (m->co == NULL)
		fail_msg("coalition_open: %s", err);
}

static void
member_close(struct member *m)
{
	coalition_close(m->co);
	ledger_close(m->ledger);
}

/* Member who's next report, of prefix, for an hour, handed to m: the
 * number of bans it brought to apply. */
static size_t
send_report(struct member *m, int who, const char *prefix)
{
	static struct wire_envelope e;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct wire_report *r = &e.reports[0];

	memset(&e, 0, sizeof(e));
	wire_coalition_id("test", e.coalition);
	memcpy(e.reporter, ids[who].pk, ID_PUBLIC_BYTES);
	e.nreports = 1;
	r->seq = ++seqs[who];
	memcpy(r->prev, heads[who], WIRE_HASH_BYTES);
	r->timestamp_us = (uint64_t)now_usec();
	if (prefix_parse(prefix, strlen(prefix), &r->prefix) != 0)
		fail_msg("bad test prefix %s", prefix);
	snprintf(r->service, sizeof(r->service), "sshd");
	snprintf(r->rule, sizeof(r->rule), "auth-fail");
	r->evidence = 5;
	r->first_seen = (uint64_t)now_sec() - 60;
	r->last_seen = (uint64_t)now_sec();
	r->ttl = 3600;
	wire_report_hash(r, ids[who].pk, heads[who]);
	size_t len = wire_encode(&e, &ids[who], buf, sizeof(buf));
	assert_true(len > 0);
	struct transport_msg msg = { buf, len, who == ALICE ? "alice" : "bob", NULL, NULL, false };
	batch.napply = 0;
	assert_true(ledger_begin(m->ledger) == 0);
	coalition_handle(m->co, &msg, 1, &batch);
	assert_true(ledger_commit(m->ledger) == 0);
	return batch.napply;
}

/* A member that filled its budget of bans (alice) or of addresses (bob)
 * is refused for it after the receiver restarts; expired rows and this
 * member's own do not count. Without the rebuild the restart hands both a
 * fresh budget and their next reports are applied. */
static void
test_budget_survives_restart(void **state)
{
	struct member m;
	struct a5_prefix p;
	struct ledger_corigin o;
	const struct accept_member_stats *st;

	(void)state;
	member_open(&m);
	/* alice: three bans, her budget; the fourth is refused */
	assert_int_equal(send_report(&m, ALICE, "192.0.2.0/24"), 1);
	assert_int_equal(send_report(&m, ALICE, "203.0.113.1/32"), 1);
	assert_int_equal(send_report(&m, ALICE, "203.0.113.2/32"), 1);
	assert_int_equal(send_report(&m, ALICE, "203.0.113.3/32"), 0);
	st = accept_stats(m.co->accept, ALICE);
	assert_int_equal(st->refused[ACC_BUDGET_BANS], 1);
	/* bob: a /24, 256 of his 300 addresses */
	assert_int_equal(send_report(&m, BOB, "198.18.0.0/24"), 1);
	/* rows that must not count: one of bob's that ended, one of self's */
	memset(&o, 0, sizeof(o));
	o.seq = 1;
	o.deadline = now_sec() - 10;
	assert_int_equal(prefix_parse("198.18.1.0/24", 13, &p), 0);
	assert_int_equal(ledger_corigin_put(m.ledger, &p, ids[BOB].pk, &o), 0);
	o.deadline = now_sec() + 3600;
	assert_int_equal(ledger_corigin_put(m.ledger, &p, ids[SELF].pk, &o), 0);
	member_close(&m);

	member_open(&m);
	st = accept_stats(m.co->accept, ALICE);
	assert_int_equal(st->budget_bans, 3);
	assert_int_equal(st->budget_addresses4, 258);
	assert_int_equal(st->refused[ACC_BUDGET_BANS], 0);	/* counters are this run's */
	st = accept_stats(m.co->accept, BOB);
	assert_int_equal(st->budget_bans, 1);
	assert_int_equal(st->budget_addresses4, 256);
	st = accept_stats(m.co->accept, SELF);
	assert_int_equal(st->budget_bans, 0);

	/* still over: refused for the budget, and struck (throttled) */
	assert_int_equal(send_report(&m, ALICE, "203.0.113.4/32"), 0);
	st = accept_stats(m.co->accept, ALICE);
	assert_int_equal(st->refused[ACC_BUDGET_BANS], 1);
	assert_true(st->throttled);
	/* 256 + 64 > 300: bob's /26 passes his address budget */
	assert_int_equal(send_report(&m, BOB, "198.18.2.0/26"), 0);
	st = accept_stats(m.co->accept, BOB);
	assert_int_equal(st->refused[ACC_BUDGET_ADDRESSES], 1);
	/* within what is left, bob is still served */
	assert_int_equal(send_report(&m, BOB, "198.18.2.0/27"), 1);
	assert_int_equal(st->budget_addresses4, 288);
	member_close(&m);
}

/* A charter adopted in force builds a new pipeline: the sanctions the
 * ledger does not hold (strikes, throttle, a budget quarantine) go over. */
static void
test_sanctions_carried(void **state)
{
	struct charter *c = calloc(1, sizeof(*c));
	char text[2048], err[512];
	struct wire_report r;
	struct accept_decision d;
	uint8_t prev[WIRE_HASH_BYTES] = { 0 };
	int n;

	(void)state;
	assert_non_null(c);
	n = snprintf(text, sizeof(text), "coalition test\nmember self %s member\n"
	    "member alice %s member\nmember bob %s member\nbudget_bans 1\nbudget_strikes 2\n",
	    pk_text[SELF], pk_text[ALICE], pk_text[BOB]);
	if (charter_parse("t.charter", text, (size_t)n, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	struct accept *a = accept_new(c, ids[SELF].pk, NULL, 0);
	assert_non_null(a);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		memset(&r, 0, sizeof(r));
		r.seq = seq;
		memcpy(r.prev, prev, sizeof(prev));
		r.timestamp_us = (uint64_t)now_usec();
		r.ttl = 3600;
		assert_int_equal(prefix_parse("203.0.113.9/32", 14, &r.prefix), 0);
		r.prefix.addr[3] = (uint8_t)seq;
		strcpy(r.service, "sshd");
		wire_report_hash(&r, ids[ALICE].pk, prev);
		accept_report(a, ids[ALICE].pk, &r, now_sec(), &d);
	}
	assert_true(accept_stats(a, ALICE)->quarantined);
	/* the next charter: bob gone, alice at another place */
	n = snprintf(text, sizeof(text), "coalition test\nversion 2\nmember alice %s member\n"
	    "member self %s member\nbudget_bans 1\nbudget_strikes 2\n", pk_text[ALICE],
	    pk_text[SELF]);
	if (charter_parse("t.charter", text, (size_t)n, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	struct accept *b = accept_new(c, ids[SELF].pk, NULL, 0);
	assert_non_null(b);
	assert_false(accept_stats(b, 0)->quarantined);
	accept_carry_sanctions(b, a);
	assert_true(accept_stats(b, 0)->quarantined);
	assert_int_equal(accept_stats(b, 0)->quarantine_why, ACC_BUDGET_BANS);
	assert_true(accept_stats(b, 0)->throttled);
	assert_int_equal(accept_stats(b, 0)->strikes, 2);
	assert_false(accept_stats(b, 1)->quarantined);
	accept_free(a);
	accept_free(b);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_survives_restart),
		cmocka_unit_test(test_sanctions_carried),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
