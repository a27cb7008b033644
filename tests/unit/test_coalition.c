/* test_coalition.c - receiving hands back records instead of calling the
 * daemon: an envelope of another member goes through the pipeline, the
 * report to apply comes back in the batch (copied: it outlives the
 * decoded envelope), the one this host's allowlist refuses is declined in the
 * ledger by the coalition itself, the chain head is recorded, and a member
 * whose role does not enforce gets nothing to apply. No NATS server: the
 * coalition runs alone, and the test hands it the message. */
#include "testutil.h"
#include "member_fixture.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/audit.h"
#include "coalition/coalition.h"
#include "coalition/state.h"
#include "common/util.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "http/metrics.h"
#include "ledger/ledger.h"

enum { SELF, ALICE, NMEMBERS };

static struct identity ids[NMEMBERS];
static char pk_text[NMEMBERS][ID_PUBLIC_TEXT_MAX];
static char dir[64];
static struct coalition_batch batch, later;	/* 3 MiB each: not on the stack */

static int
setup(void **state)
{
	(void)state;
	fixture_keys(ids, pk_text, NMEMBERS, 1);
	return fixture_dir_make(dir, sizeof(dir), "coalition");
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

/* This member in a two-member coalition, with role self_role; its NATS
 * server refuses connections (port 1 on loopback), so it works alone. */
static void
member_open(struct member *m, const char *self_role)
{
	char text[1024], err[512], path[PATH_MAX];
	struct a5_prefix p;
	FILE *f;

	memset(m, 0, sizeof(*m));
	config_defaults(&m->cfg);
	snprintf(path, sizeof(path), "%s/%s.charter", dir, self_role);
	snprintf(text, sizeof(text), "coalition test\nnats nats://127.0.0.1:1\n"
	    "member self %s %s\nmember alice %s member\n", pk_text[SELF], self_role,
	    pk_text[ALICE]);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	snprintf(m->cfg.charter, sizeof(m->cfg.charter), "%s", path);
	snprintf(m->cfg.identity, sizeof(m->cfg.identity), "%s/self.key", dir);
	snprintf(m->cfg.state_dir, sizeof(m->cfg.state_dir), "%s", dir);
	m->cfg.bantime_max = 7 * 86400;
	prefixlist_init(&m->allow);
	assert_int_equal(prefix_parse("198.51.100.0/24", 15, &p), 0);
	assert_int_equal(prefixlist_add(&m->allow, &p), 0);
	if (ledger_open(":memory:", &m->ledger, err, sizeof(err)) != 0)
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

/* Alice's envelope with reports first and first + 1 of her chain, the
 * first one after head: one ban of 203.0.113.7, one of 198.51.100.9 (in
 * self's allowlist). */
static size_t
alice_envelope_at(uint8_t *buf, size_t n, const char *service, uint64_t first,
    const uint8_t prev[WIRE_HASH_BYTES])
{
	static struct wire_envelope e;
	static const char *addrs[] = { "203.0.113.7/32", "198.51.100.9/32" };
	uint8_t head[WIRE_HASH_BYTES];

	memcpy(head, prev, sizeof(head));

	memset(&e, 0, sizeof(e));
	wire_coalition_id("test", e.coalition);
	memcpy(e.reporter, ids[ALICE].pk, ID_PUBLIC_BYTES);
	e.nreports = 2;
	for (size_t i = 0; i < e.nreports; i++) {
		struct wire_report *r = &e.reports[i];
		r->seq = first + i;
		memcpy(r->prev, head, sizeof(head));
		r->timestamp_us = (uint64_t)now_usec();
		assert_int_equal(prefix_parse(addrs[i], strlen(addrs[i]), &r->prefix), 0);
		snprintf(r->service, sizeof(r->service), "%s", service);
		snprintf(r->rule, sizeof(r->rule), "auth-fail");
		r->evidence = 5;
		r->first_seen = (uint64_t)now_sec() - 60;
		r->last_seen = (uint64_t)now_sec();
		r->ttl = 3600;
		wire_report_hash(r, ids[ALICE].pk, head);
	}
	size_t len = wire_encode(&e, &ids[ALICE], buf, n);
	assert_true(len > 0);
	return len;
}

/* Alice's reports 1 and 2. */
static size_t
alice_envelope(uint8_t *buf, size_t n, const char *service)
{
	static const uint8_t zero[WIRE_HASH_BYTES];

	return alice_envelope_at(buf, n, service, 1, zero);
}

struct declines {
	size_t n;
	struct a5_prefix last;
	int reason;
};

static int
decline_one(const struct a5_prefix *p, int reason, int64_t until, void *arg)
{
	struct declines *d = arg;

	(void)until;
	d->n++;
	d->last = *p;
	d->reason = reason;
	return 0;
}

static void
test_member_gets_batch(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	struct declines declined;
	struct a5_prefix want;
	char v[LEDGER_STATE_MAX], key[96], khex[2 * ID_PUBLIC_BYTES + 1];

	(void)state;
	member_open(&m, "member");
	size_t len = alice_envelope(buf, sizeof(buf), "sshd");
	struct transport_msg msg = { buf, len, "alice", NULL, NULL, false };
	batch.napply = 0;	/* coalition_receive resets it; coalition_handle appends */
	coalition_handle(m.co, &msg, 1, &batch);

	assert_int_equal(batch.napply, 1);
	const struct coalition_apply *a = &batch.apply[0];
	assert_int_equal(prefix_parse("203.0.113.7/32", 14, &want), 0);
	assert_true(prefix_equal(&a->prefix, &want));
	assert_string_equal(a->member, "alice");
	assert_string_equal(a->service, "sshd");
	assert_string_equal(a->rule, "auth-fail");
	assert_int_equal(a->evidence, 5);
	assert_true(a->deadline > now_sec() && a->ttl > 0);
	/* the report's own time, for the propagation histogram (metrics.md) */
	assert_true(a->reported_us > now_usec() - 60000000 && a->reported_us <= now_usec());

	/* the allowlisted report: not in the batch, declined by the coalition */
	memset(&declined, 0, sizeof(declined));
	assert_true(ledger_declines_active(m.ledger, now_sec(), decline_one, &declined) >= 0);
	assert_int_equal(declined.n, 1);
	assert_int_equal(declined.reason, WIRE_DECLINE_ALLOWLIST);
	assert_int_equal(prefix_parse("198.51.100.9/32", 15, &want), 0);
	assert_true(prefix_equal(&declined.last, &want));

	/* alice's chain head is recorded: report 2 */
	sodium_bin2hex(khex, sizeof(khex), ids[ALICE].pk, ID_PUBLIC_BYTES);
	snprintf(key, sizeof(key), "chain:%s", khex);
	assert_int_equal(ledger_state_get(m.ledger, key, v, sizeof(v)), 1);
	assert_memory_equal(v, "2:", 2);

	/* the same message again (a redelivery) is a replay: nothing to apply */
	later.napply = 0;
	coalition_handle(m.co, &msg, 1, &later);
	assert_int_equal(later.napply, 0);
	/* other reports under the same numbers are a fork: nothing to apply
	 * either, and the first batch's records are copies, not views of the
	 * envelope decoded last */
	len = alice_envelope(buf, sizeof(buf), "nginx");
	struct transport_msg fork = { buf, len, "alice", NULL, NULL, false };
	coalition_handle(m.co, &fork, 1, &later);
	assert_int_equal(later.napply, 0);
	assert_string_equal(batch.apply[0].service, "sshd");
	assert_string_equal(batch.apply[0].member, "alice");

	/* /metrics: the replayed and forked reports are alice's refusals, by
	 * reason, as `members` counts them; no NATS connection here */
	struct metrics *mt = metrics_new();
	struct outbuf out = { 0 };
	assert_non_null(mt);
	coalition_metrics(m.co, mt);
	assert_true(metrics_get(mt, M_NATS_CONNECTED, NULL, NULL) == 0);
	metrics_render(mt, &out);
	outbuf_printf(&out, "%s", "");
	assert_non_null(strstr(out.data, "article5_refusals_total{member=\"alice\",reason=\""));
	assert_null(strstr(out.data, "article5_refusals_total{member=\"self\""));
	assert_non_null(strstr(out.data, "article5_member_audit_state{member=\"alice\",state=\""));
	outbuf_free(&out);
	metrics_free(mt);
	member_close(&m);
}

/* A new chain link must come under its own message id (wire_link_msgid):
 * the stream de-duplicates by id, so a link under another's id may be
 * dropped there while the fast path delivers it. Refused as "msgid", the
 * chain stays; the same bytes under their own id are taken. Once taken,
 * the same bytes under their own id again are a redelivery (done, not
 * refused), under another id a replay. */
static void
test_link_msgid(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	char own[WIRE_LINK_MSGID_MAX], khex[2 * ID_PUBLIC_BYTES + 1];
	struct member m;

	(void)state;
	member_open(&m, "member");
	size_t len = alice_envelope(buf, sizeof(buf), "sshd");
	sodium_bin2hex(khex, sizeof(khex), ids[ALICE].pk, ID_PUBLIC_BYTES);
	wire_link_msgid(ids[ALICE].pk, "", 1, buf, len, own, sizeof(own));
	assert_memory_equal(own, khex, strlen(khex));
	assert_memory_equal(own + strlen(khex), "-1-", 3);

	/* alice's earlier envelope's id, reused; and none at all */
	struct transport_msg reused = { buf, len, "alice", NULL, "reused-id", false };
	struct transport_msg none = { buf, len, "alice", NULL, "", false };
	batch.napply = 0;
	coalition_handle(m.co, &reused, 1, &batch);
	coalition_handle(m.co, &none, 1, &batch);
	assert_int_equal(batch.napply, 0);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->refused[ACC_MSGID], 2);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->last_seq, 0);

	struct transport_msg right = { buf, len, "alice", NULL, own, false };
	coalition_handle(m.co, &right, 1, &batch);
	assert_int_equal(batch.napply, 1);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->last_seq, 2);
	/* the same bytes again under their own id: the stream read again after
	 * a crash, taken as done, no refusal */
	later.napply = 0;
	coalition_handle(m.co, &right, 1, &later);
	assert_int_equal(later.napply, 0);
	assert_int_equal(m.co->redelivered, 1);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->refused[ACC_REPLAY], 0);
	/* under another id: a replay, as before */
	coalition_handle(m.co, &reused, 1, &later);
	assert_int_equal(later.napply, 0);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->refused[ACC_MSGID], 2);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->refused[ACC_REPLAY], 2);
	assert_int_equal(m.co->redelivered, 1);
	/* one that starts at the head and goes past it (reports 2 and 3)
	 * extends the chain: under another id it is refused too, before any
	 * chain check (no fork, no quarantine, the head stays) */
	static uint8_t buf2[WIRE_ENVELOPE_MAX];
	uint8_t zero[WIRE_HASH_BYTES] = { 0 };
	size_t len2 = alice_envelope_at(buf2, sizeof(buf2), "sshd", 2, zero);
	struct transport_msg straddle = { buf2, len2, "alice", NULL, "reused-id", false };
	coalition_handle(m.co, &straddle, 1, &later);
	assert_int_equal(later.napply, 0);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->refused[ACC_MSGID], 3);
	assert_false(accept_stats(m.co->accept, ALICE)->quarantined);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->last_seq, 2);
	member_close(&m);
}

/* A protected partner accepts the report (chain recorded) but enforces
 * nothing for the others: the batch stays empty. */
static void
test_protected_applies_nothing(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	char v[LEDGER_STATE_MAX], key[96], khex[2 * ID_PUBLIC_BYTES + 1];

	(void)state;
	member_open(&m, "protected");
	assert_false(coalition_enforces(m.co));
	size_t len = alice_envelope(buf, sizeof(buf), "sshd");
	struct transport_msg msg = { buf, len, "alice", NULL, NULL, false };
	batch.napply = 0;
	coalition_handle(m.co, &msg, 1, &batch);
	assert_int_equal(batch.napply, 0);
	sodium_bin2hex(khex, sizeof(khex), ids[ALICE].pk, ID_PUBLIC_BYTES);
	snprintf(key, sizeof(key), "chain:%s", khex);
	assert_int_equal(ledger_state_get(m.ledger, key, v, sizeof(v)), 1);
	assert_memory_equal(v, "2:", 2);
	member_close(&m);
}

/* Decisions, not raw reports: a report of a ban already held, and a
 * local detection of one, are counted per member (members, status,
 * /metrics), not re-sent. */
static void
test_corroborations_counted(void **state)
{
	struct member m;
	struct outbuf out = { 0 };

	(void)state;
	member_open(&m, "member");
	coalition_corroborated(m.co, "alice");
	coalition_corroborated(m.co, "alice");
	coalition_corroborated(m.co, NULL);		/* a detection here */
	coalition_corroborated(m.co, "gone-member");	/* no longer in the charter */
	coalition_members(m.co, &out, 1);
	outbuf_printf(&out, "%s", "");
	const char *alice = strstr(out.data, "\"name\": \"alice\"");
	assert_non_null(alice);
	assert_non_null(strstr(alice, "\"corroborations\": 2,"));
	outbuf_free(&out);
	memset(&out, 0, sizeof(out));
	coalition_status(m.co, &out, 1);
	outbuf_printf(&out, "%s", "");
	assert_non_null(strstr(out.data, "\"corroborations\": 4, \"corroborations_local\": 1,"));
	outbuf_free(&out);
	struct metrics *mt = metrics_new();
	assert_non_null(mt);
	coalition_metrics(m.co, mt);
	assert_true(metrics_get(mt, M_CORROBORATIONS, "alice", NULL) == 2);
	assert_true(metrics_get(mt, M_CORROBORATIONS, "self", NULL) == 1);
	/* nothing was queued for publication by any of it */
	assert_int_equal(m.co->out->nreports, 0);
	metrics_free(mt);
	member_close(&m);
}

/* The charter before the signature: an envelope naming a key that is not
 * a member's is refused as an unknown key without a signature check (its
 * signature here is not even valid for the key it names: were it checked,
 * it would count as a bad signature instead); a member's envelope with a
 * broken signature is still checked and refused as one. */
static void
test_unknown_key_before_signature(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	uint8_t seed[crypto_sign_SEEDBYTES] = { 99 }, pk[ID_PUBLIC_BYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	struct member m;

	(void)state;
	member_open(&m, "member");
	crypto_sign_seed_keypair(pk, sk, seed);
	size_t len = alice_envelope(buf, sizeof(buf), "sshd");
	uint8_t *signer = (uint8_t *)wire_signer(buf, len);
	assert_non_null(signer);
	assert_memory_equal(signer, ids[ALICE].pk, ID_PUBLIC_BYTES);
	memcpy(signer, pk, ID_PUBLIC_BYTES);
	struct transport_msg msg = { buf, len, "stranger", NULL, NULL, false };
	batch.napply = 0;
	coalition_handle(m.co, &msg, 1, &batch);
	assert_int_equal(batch.napply, 0);
	assert_int_equal(accept_stats_unknown(m.co->accept)->refused[ACC_UNKNOWN_KEY], 1);
	assert_int_equal(m.co->invalid_envelopes, 0);
	/* a member's, with its signature broken: checked, refused */
	len = alice_envelope(buf, sizeof(buf), "sshd");
	buf[len - 1] ^= 1;
	msg.len = len;
	coalition_handle(m.co, &msg, 1, &batch);
	assert_int_equal(batch.napply, 0);
	assert_int_equal(m.co->invalid_envelopes, 1);
	assert_int_equal(accept_stats_unknown(m.co->accept)->refused[ACC_UNKNOWN_KEY], 1);
	member_close(&m);
}

/*
 * A commitment subject (a5.<c>.k.<token>) carries its owner's commitments
 * and nothing else: a report there would reach that member's auditors only,
 * and another member's commitment there is a relay. Both are dropped and
 * counted; the owner's own commitment is audited.
 */
static void
test_commitment_subject(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	static struct wire_commitment c;
	char alice_tok[ID_TOKEN_TEXT], self_tok[ID_TOKEN_TEXT];
	struct member m;

	(void)state;
	member_open(&m, "member");
	identity_token(ids[ALICE].pk, alice_tok);
	identity_token(ids[SELF].pk, self_tok);
	/* a report on alice's commitment subject: dropped before the pipeline */
	size_t len = alice_envelope(buf, sizeof(buf), "sshd");
	struct transport_msg msg = { buf, len, alice_tok, NULL, NULL, true };
	batch.napply = 0;
	coalition_handle(m.co, &msg, 1, &batch);
	assert_int_equal(batch.napply, 0);
	assert_int_equal(m.co->invalid_envelopes, 1);
	/* alice's commitment, relayed on another member's commitment subject */
	memset(&c, 0, sizeof(c));
	wire_coalition_id("test", c.coalition);
	memcpy(c.member, ids[ALICE].pk, ID_PUBLIC_BYTES);
	c.seq = 1;
	c.time_us = (uint64_t)now_usec();
	c.period = 10;
	len = wire_commit_encode(&c, &ids[ALICE], buf, sizeof(buf));
	assert_true(len > 0);
	msg.len = len;
	msg.reporter = self_tok;
	coalition_handle(m.co, &msg, 1, &batch);
	assert_int_equal(m.co->invalid_commitments, 1);
	assert_int_equal(audit_get(m.co->audit, ALICE)->commitments, 0);
	/* on her own: audited */
	msg.reporter = alice_tok;
	coalition_handle(m.co, &msg, 1, &batch);
	assert_int_equal(m.co->invalid_commitments, 1);
	assert_int_equal(audit_get(m.co->audit, ALICE)->commitments, 1);
	member_close(&m);
}

/* The commitment phase: inside the middle half of the period, one per
 * charter position (self is first of two: a quarter period in); the
 * middle of the period below 4 s; none for a protected partner. */
static void
test_commit_phase_spread(void **state)
{
	struct member m;

	(void)state;
	member_open(&m, "member");
	assert_int_equal(coalition_commit_period(m.co), 10);
	assert_int_equal(coalition_commit_phase_ms(m.co), 2500);
	m.co->self = 1;		/* as alice would take it */
	assert_int_equal(coalition_commit_phase_ms(m.co), 5000);
	m.co->self = 0;
	m.co->charter->policy.commit_period = 2;
	assert_int_equal(coalition_commit_phase_ms(m.co), 1000);
	member_close(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_gets_batch),
		cmocka_unit_test(test_link_msgid),
		cmocka_unit_test(test_protected_applies_nothing),
		cmocka_unit_test(test_corroborations_counted),
		cmocka_unit_test(test_unknown_key_before_signature),
		cmocka_unit_test(test_commit_phase_spread),
		cmocka_unit_test(test_commitment_subject),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
