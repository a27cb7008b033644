/* test_verdict.c - policy/verdict: the ban verdict on its own (no loop, no
 * enforcer): allowlist, a ban already in force, escalation, manual bans,
 * observe mode, the ledger row, the journal entry and the record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "common/addr.h"
#include "common/prefixlist.h"
#include "common/util.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"
#include "policy/verdict.h"

#define BASE 600
#define MAX 3600
#define FACTOR 2

struct fix {
	struct ledger *ledger;
	struct journal *journal;
	struct prefixlist allow;
	struct verdict_env env;
};

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	assert_int_equal(prefix_parse(s, strlen(s), &p), 0);
	return p;
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	assert_int_equal(ledger_open(":memory:", &f->ledger, err, sizeof(err)), 0);
	assert_int_equal(journal_attach(ledger_db(f->ledger), &f->journal, err, sizeof(err)), 0);
	prefixlist_init(&f->allow);
	struct a5_prefix a = pfx("192.0.2.0/24");
	assert_int_equal(prefixlist_add(&f->allow, &a), 0);
	a = pfx("2001:db8:1::5/128");
	assert_int_equal(prefixlist_add(&f->allow, &a), 0);
	f->env = (struct verdict_env){ &f->allow, f->ledger, f->journal, false, MAX, FACTOR };
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	journal_close(f->journal);
	ledger_close(f->ledger);
	free(f);
	return 0;
}

/* A detector's ban request for p (duration 0: base, escalated). */
static struct ban_request
detected(const char *p)
{
	struct ban_request r = { .prefix = pfx(p), .service = "sshd", .rule = "failed-password",
	    .reason = "maxretry", .evidence = 5, .first_seen = 100, .last_seen = 160,
	    .base = BASE, .duration = 0 };
	return r;
}

static uint64_t
journal_seq(struct fix *f)
{
	uint64_t seq = 0;
	uint8_t hash[JOURNAL_HASH_BYTES];

	assert_true(journal_head(f->journal, &seq, hash) >= 0);
	return seq;
}

static void
test_first_ban(void **state)
{
	struct fix *f = *state;
	struct ban_request r = detected("203.0.113.7/32");
	struct verdict v;
	struct ledger_ban b;
	char err[256] = "";
	uint64_t seq = journal_seq(f);

	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_BAN);
	assert_int_equal(v.count, 1);
	assert_int_equal(v.ledger_errors, 0);
	/* the record: an addition to the local sets for the base bantime */
	assert_int_equal(v.rec.op, ENF_ADD);
	assert_int_equal(v.rec.group, ENF_GROUP_LOCAL);
	assert_int_equal(v.rec.ttl, BASE);
	assert_int_equal(v.rec.ttl_ms, 0);
	assert_true(prefix_equal(&v.rec.prefix, &r.prefix));
	/* the row written is the one handed back (to be published) */
	assert_int_equal(ledger_ban_get(f->ledger, &r.prefix, &b), 1);
	assert_string_equal(b.service, "sshd");
	assert_string_equal(b.rule, "failed-password");
	assert_string_equal(b.reason, "maxretry");
	assert_string_equal(b.origin, "local");
	assert_int_equal(b.evidence, 5);
	assert_int_equal(b.expires - b.created, BASE);
	assert_int_equal(memcmp(&b, &v.ban, sizeof(b)), 0);
	assert_int_equal(journal_seq(f), seq + 1);
	assert_true(v.publish);	/* news for the coalition */
}

static void
test_allowlist_refused(void **state)
{
	struct fix *f = *state;
	struct ban_request r = detected("192.0.2.0/28");
	struct verdict v;
	struct ledger_ban b;
	char err[256] = "";
	uint64_t seq = journal_seq(f);

	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_REFUSED);
	assert_non_null(strstr(err, "192.0.2.0/28 overlaps the allowlist"));
	assert_int_equal(ledger_ban_get(f->ledger, &r.prefix, &b), 0);
	assert_int_equal(journal_seq(f), seq);
	/* a manual ban is refused the same way */
	r.reason = "manual";
	r.duration = 60;
	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_REFUSED);
}

static void
test_held_then_escalated(void **state)
{
	struct fix *f = *state;
	struct ban_request r = detected("198.51.100.9/32");
	struct verdict v;
	char err[256] = "";

	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_BAN);
	assert_int_equal(v.rec.ttl, BASE);
	/* lines logged before the kernel dropped its packets: no new ban */
	uint64_t seq = journal_seq(f);
	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_HELD);
	assert_int_equal(journal_seq(f), seq);
	/* once the ban is gone, the next one is the second: doubled, then capped */
	assert_int_equal(ledger_ban_remove(f->ledger, &r.prefix), 1);
	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_BAN);
	assert_int_equal(v.count, 2);
	assert_int_equal(v.rec.ttl, BASE * FACTOR);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ledger_ban_remove(f->ledger, &r.prefix), 1);
		verdict_ban(&f->env, &r, &v, err, sizeof(err));
	}
	assert_int_equal(v.count, 5);
	assert_int_equal(v.rec.ttl, MAX);
}

static void
test_coalition_ban_holds(void **state)
{
	struct fix *f = *state;
	struct ban_request r = detected("198.51.100.0/24");
	struct ledger_ban cb;
	struct verdict v;
	char err[256] = "";
	int64_t prev = 0, now = now_sec();

	memset(&cb, 0, sizeof(cb));
	cb.prefix = r.prefix;
	snprintf(cb.service, sizeof(cb.service), "sshd");
	snprintf(cb.reason, sizeof(cb.reason), "coalition");
	snprintf(cb.origin, sizeof(cb.origin), "member-b");
	cb.created = now;
	cb.expires = now + 300;
	assert_int_equal(ledger_cban_raise(f->ledger, &cb, now, &prev), 1);
	/* decisions, not raw reports: a detection of what the coalition bans
	 * already corroborates it, records nothing and publishes nothing */
	uint64_t seq = journal_seq(f);
	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_CORROBORATED);
	assert_false(v.publish);
	assert_int_equal(journal_seq(f), seq);
	struct ledger_ban lb;
	assert_int_equal(ledger_ban_get(f->ledger, &r.prefix, &lb), 0);
	/* a manual ban is never held: the operator's duration applies here,
	 * but one shorter than the coalition's ban is no news to the others */
	r.reason = "manual";
	r.duration = 42;
	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_BAN);
	assert_int_equal(v.rec.ttl, 42);
	assert_false(v.publish);
	/* one that outlasts it is a new decision: published */
	r.duration = 3600;
	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_BAN);
	assert_true(v.publish);
	/* a coalition ban over: the detection is a ban of its own again */
	assert_int_equal(ledger_ban_remove(f->ledger, &r.prefix), 1);
	assert_int_equal(ledger_cban_remove(f->ledger, &r.prefix), 1);
	r = detected("198.51.100.0/24");
	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_BAN);
	assert_true(v.publish);
}

static void
test_manual_exact(void **state)
{
	struct fix *f = *state;
	struct ban_request r = detected("203.0.113.0/24");
	struct verdict v;
	char err[256] = "";

	r.service = r.rule = r.reason = "manual";
	r.duration = 7 * 86400;	/* beyond bantime_max: not capped */
	for (int i = 0; i < 2; i++) {
		verdict_ban(&f->env, &r, &v, err, sizeof(err));
		assert_int_equal(v.outcome, VERDICT_BAN);
		assert_int_equal(v.count, 1);	/* no escalation history */
		assert_int_equal(v.rec.ttl, 7 * 86400);
	}
}

static void
test_observe_records_nothing(void **state)
{
	struct fix *f = *state;
	struct ban_request r = detected("203.0.113.8/32");
	struct verdict v;
	struct ledger_ban b;
	char err[256] = "";
	uint64_t seq = journal_seq(f);

	f->env.observe = true;
	for (int i = 0; i < 2; i++) {
		verdict_ban(&f->env, &r, &v, err, sizeof(err));
		assert_int_equal(v.outcome, VERDICT_OBSERVED);
		assert_int_equal(v.count, 0);
	}
	assert_int_equal(ledger_ban_get(f->ledger, &r.prefix, &b), 0);
	assert_int_equal(journal_seq(f), seq);
	/* switched to enforce mode: a first offence, not an escalated one */
	f->env.observe = false;
	verdict_ban(&f->env, &r, &v, err, sizeof(err));
	assert_int_equal(v.outcome, VERDICT_BAN);
	assert_int_equal(v.count, 1);
	assert_int_equal(v.rec.ttl, BASE);
}

static void
test_from_detection(void **state)
{
	struct fix *f = *state;
	struct det_result r;
	struct ban_request req;

	/* an IPv6 aggregate holding an allowlisted address: the address alone */
	memset(&r, 0, sizeof(r));
	r.ban = true;
	r.addr = pfx("2001:db8:1::9/128");
	r.prefix = pfx("2001:db8:1::/64");
	r.offender = r.prefix;
	r.evidence = 5;
	r.first_seen = 10;
	r.last_seen = 20;
	assert_int_equal(verdict_from_detection(&f->allow, &r, "sshd", "rule-x", BASE, &req), 0);
	assert_true(prefix_equal(&req.prefix, &r.addr));
	assert_string_equal(req.service, "sshd");
	assert_string_equal(req.rule, "rule-x");
	assert_string_equal(req.reason, "maxretry");
	assert_int_equal(req.evidence, 5);
	assert_int_equal(req.first_seen, 10);
	assert_int_equal(req.last_seen, 20);
	assert_int_equal(req.base, BASE);
	assert_int_equal(req.duration, 0);
	/* an aggregate clear of the allowlist stays the aggregate */
	r.addr = pfx("2001:db8:2::9/128");
	r.prefix = r.offender = pfx("2001:db8:2::/64");
	assert_int_equal(verdict_from_detection(&f->allow, &r, "sshd", "rule-x", BASE, &req), 0);
	assert_true(prefix_equal(&req.prefix, &r.prefix));
	/* the IPv6 form (NAT64) of an allowlisted IPv4 client: not banned */
	r.addr = r.prefix = pfx("64:ff9b::c000:205/128");
	r.offender = pfx("192.0.2.5/32");
	assert_int_equal(verdict_from_detection(&f->allow, &r, "sshd", "rule-x", BASE, &req), -1);
}

static void
test_durations_and_records(void **state)
{
	struct enf_record rec;
	struct a5_prefix p = pfx("203.0.113.0/24");

	(void)state;
	assert_int_equal(verdict_duration(600, 0, 3600, 2), 600);
	assert_int_equal(verdict_duration(600, 1, 3600, 2), 600);
	assert_int_equal(verdict_duration(600, 3, 3600, 2), 2400);
	assert_int_equal(verdict_duration(600, 4, 3600, 2), 3600);
	assert_int_equal(verdict_duration(600, 4000000000u, 3600, 2), 3600);
	assert_int_equal(verdict_ttl(0, 1000), 0);
	assert_int_equal(verdict_ttl(900, 1000), 1);
	assert_int_equal(verdict_ttl(1600, 1000), 600);
	assert_int_equal(verdict_ttl(INT64_MAX, 0), UINT32_MAX);
	verdict_record(&rec, ENF_DELETE, ENF_GROUP_COALITION, &p, 0);
	assert_int_equal(rec.op, ENF_DELETE);
	assert_int_equal(rec.group, ENF_GROUP_COALITION);
	assert_int_equal(rec.ttl, 0);
	assert_true(prefix_equal(&rec.prefix, &p));
	/* until a deadline: to the millisecond, at least 1 ms */
	int64_t deadline = now_sec() + 100;
	verdict_record_until(&rec, &p, deadline);
	assert_int_equal(rec.op, ENF_ADD);
	assert_int_equal(rec.group, ENF_GROUP_COALITION);
	assert_true(rec.ttl >= 98 && rec.ttl <= 100);
	assert_true(rec.ttl_ms < 1000);
	verdict_record_until(&rec, &p, now_sec() - 5);
	assert_int_equal(rec.ttl, 0);
	assert_int_equal(rec.ttl_ms, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_ban, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allowlist_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_then_escalated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalition_ban_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_observe_records_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_detection, setup, teardown),
		cmocka_unit_test(test_durations_and_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
