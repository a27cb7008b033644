/* test_revoke.c - revocations (docs/protocol.md "Revocations"): the wire
 * form, then a member that receives them: a valid one from the origin lifts
 * that origin's ban only (another member's ban of the same prefix stays, and
 * the coalition's element then ends with it), one by another member is
 * refused and counted, a replay is refused, this member's own bans are not
 * touched, and a ban's deadline comes from the origin's time. The origin's
 * side too: an unban of a reported ban signs the revocation of that report,
 * and a ban the members would refuse is kept local. No NATS server: the
 * coalition runs alone and the test hands it the messages. */
#include "testutil.h"
#include "member_fixture.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coalition/accept.h"
#include "coalition/audit.h"
#include "coalition/coalition.h"
#include "coalition/state.h"
#include "common/util.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "ledger/ledger.h"

enum { SELF, ALICE, BOB, NMEMBERS };
static const char *const names[NMEMBERS] = { "self", "alice", "bob" };

static struct identity ids[NMEMBERS];
static const char *charter_extra = "";	/* policy lines for the next member_open */
static char pk_text[NMEMBERS][ID_PUBLIC_TEXT_MAX];
static char dir[64];
static struct coalition_batch batch;	/* 3 MiB: not on the stack */

/* Each sender's chain head, as the test builds its messages. */
static uint64_t head_seq[NMEMBERS];
static uint8_t head_hash[NMEMBERS][WIRE_HASH_BYTES];

static int
setup(void **state)
{
	(void)state;
	fixture_keys(ids, pk_text, NMEMBERS, 11);
	return fixture_dir_make(dir, sizeof(dir), "revoke");
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

/* self, alice and bob, all members; the NATS server refuses connections
 * (port 1 on loopback), so self works alone. */
static void
member_open(struct member *m)
{
	char text[1024], err[512], path[PATH_MAX];
	FILE *f;

	memset(m, 0, sizeof(*m));
	memset(head_seq, 0, sizeof(head_seq));
	memset(head_hash, 0, sizeof(head_hash));
	config_defaults(&m->cfg);
	snprintf(path, sizeof(path), "%s/test.charter", dir);
	snprintf(text, sizeof(text), "coalition test\nnats nats://127.0.0.1:1\n"
	    "member self %s member\nmember alice %s member\nmember bob %s member\n"
	    "member home %s member 192.0.2.0/24\n%s", pk_text[SELF], pk_text[ALICE], pk_text[BOB],
	    "ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", charter_extra);
	charter_extra = "";	/* for this member only, even if its test fails */
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	snprintf(m->cfg.charter, sizeof(m->cfg.charter), "%s", path);
	snprintf(m->cfg.identity, sizeof(m->cfg.identity), "%s/self.key", dir);
	snprintf(m->cfg.state_dir, sizeof(m->cfg.state_dir), "%s", dir);
	m->cfg.bantime_max = 7 * 86400;
	prefixlist_init(&m->allow);
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

static struct a5_prefix
pfx(const char *s)
{
	return fixture_pfx(s);
}

/* One report of who's chain banning prefix for ttl seconds, made ago
 * seconds before now; *hash gets its chain hash. */
static size_t
report(int who, const char *prefix, uint32_t ttl, int64_t ago, uint8_t *buf, size_t n,
    uint64_t *seq, uint8_t hash[WIRE_HASH_BYTES])
{
	struct fixture_chain ch = { &head_seq[who], head_hash[who] };

	return fixture_report(&ids[who], ch, prefix, ttl, ago, buf, n, seq, hash);
}

/* A revocation signed by who, naming origin's report (seq, hash) of prefix. */
static size_t
revocation(int who, int origin, uint64_t seq, const uint8_t hash[WIRE_HASH_BYTES],
    const char *prefix, uint8_t *buf, size_t n)
{
	struct fixture_chain ch = { &head_seq[who], head_hash[who] };

	return fixture_revocation(&ids[who], ch, ids[origin].pk, seq, hash, prefix, buf, n);
}

/* Hands one message to the member; returns the batch's size. What is
 * applied goes to the ledger as the daemon's on_remote would. */
static size_t
deliver(struct member *m, int from, const uint8_t *buf, size_t len)
{
	struct transport_msg msg = { buf, len, names[from], NULL, NULL, false };

	batch.napply = 0;
	coalition_handle(m->co, &msg, 1, &batch);
	for (size_t i = 0; i < batch.napply; i++) {
		const struct coalition_apply *a = &batch.apply[i];
		struct ledger_ban b;
		int64_t prev;
		if (a->revoke)
			continue;
		memset(&b, 0, sizeof(b));
		b.prefix = a->prefix;
		snprintf(b.service, sizeof(b.service), "%s", a->service);
		snprintf(b.rule, sizeof(b.rule), "%s", a->rule);
		snprintf(b.reason, sizeof(b.reason), "coalition");
		snprintf(b.origin, sizeof(b.origin), "%s", a->member);
		b.created = now_sec();
		b.expires = a->deadline;
		assert_true(ledger_cban_raise(m->ledger, &b, now_sec(), &prev) >= 0);
	}
	return batch.napply;
}

static uint64_t
refused(const struct member *m, int who, enum accept_reason why)
{
	const struct accept_member_stats *st = accept_stats(m->co->accept, (size_t)who);

	assert_non_null(st);
	return st->refused[why];
}

/* --- the wire form --- */

static void
test_wire(void **state)
{
	uint8_t buf[WIRE_REVOKE_MAX], hash[WIRE_HASH_BYTES] = { 7 };
	struct wire_revocation v;
	static struct wire_envelope e;

	(void)state;
	memset(head_seq, 0, sizeof(head_seq));
	head_seq[ALICE] = 4;
	size_t len = revocation(ALICE, ALICE, 3, hash, "2001:db8::/48", buf, sizeof(buf));
	assert_int_equal(len, 254);
	assert_int_equal(wire_kind(buf, len), WIRE_KIND_REVOCATION);
	assert_int_equal(wire_revocation_decode(buf, len, &v), WIRE_OK);
	assert_int_equal(v.seq, 5);
	assert_int_equal(v.revoked_seq, 3);
	assert_memory_equal(v.revoked_hash, hash, WIRE_HASH_BYTES);
	assert_memory_equal(v.origin, ids[ALICE].pk, ID_PUBLIC_BYTES);
	assert_true(prefix_equal(&v.prefix, &(struct a5_prefix){ 0 }) == false);
	/* every byte is signed */
	for (size_t i = 3; i < len; i += 17) {
		buf[i] ^= 1;
		assert_int_not_equal(wire_revocation_decode(buf, len, &v), WIRE_OK);
		buf[i] ^= 1;
	}
	/* cut or padded */
	assert_int_equal(wire_revocation_decode(buf, len - 1, &v), WIRE_ERR_SIGNATURE);
	assert_int_equal(wire_revocation_decode(buf, 100, &v), WIRE_ERR_LENGTH);
	/* what the previous version does with it: its envelope decoder refuses
	 * it by its magic, a reason, before anything else */
	assert_int_equal(wire_decode(buf, len, &e), WIRE_ERR_VERSION);
	assert_int_equal(e.nreports, 0);
	/* a revocation cannot name itself or a later link */
	memset(&v, 0, sizeof(v));
	v.seq = 3;
	v.revoked_seq = 3;
	v.prefix = pfx("203.0.113.0/24");
	assert_false(wire_revocation_valid(&v));
	v.revoked_seq = 2;
	assert_true(wire_revocation_valid(&v));
	memcpy(v.reporter, ids[BOB].pk, ID_PUBLIC_BYTES);
	memcpy(v.origin, ids[BOB].pk, ID_PUBLIC_BYTES);
	assert_int_equal(wire_revocation_encode(&v, &ids[ALICE], buf, sizeof(buf)), 0);
}

/* --- a member receiving them --- */

/* Alice and Bob both ban the prefix; Alice revokes: Bob's ban holds (the
 * element now ends with it); Bob revokes: nothing is left, and the
 * absence is declared for the auditors. */
static void
test_revoke_only_origin(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	uint64_t aseq, bseq;
	uint8_t ahash[WIRE_HASH_BYTES], bhash[WIRE_HASH_BYTES];
	int64_t deadline, alice_dl, bob_dl;
	struct a5_prefix p = pfx("203.0.113.7/32");
	struct ledger_corigin o;

	(void)state;
	member_open(&m);
	size_t len = report(ALICE, "203.0.113.7/32", 7200, 0, buf, sizeof(buf), &aseq, ahash);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	alice_dl = batch.apply[0].deadline;
	len = report(BOB, "203.0.113.7/32", 3600, 0, buf, sizeof(buf), &bseq, bhash);
	assert_int_equal(deliver(&m, BOB, buf, len), 1);
	bob_dl = batch.apply[0].deadline;
	assert_true(bob_dl < alice_dl);
	assert_int_equal(ledger_cban_get(m.ledger, &p, &deadline), 1);
	assert_int_equal(deadline, alice_dl);

	len = revocation(ALICE, ALICE, aseq, ahash, "203.0.113.7/32", buf, sizeof(buf));
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	assert_true(batch.apply[0].revoke);
	assert_true(prefix_equal(&batch.apply[0].prefix, &p));
	assert_int_equal(batch.apply[0].deadline, bob_dl);	/* bob's stays */
	assert_string_equal(batch.apply[0].member, "alice");
	assert_int_equal(ledger_cban_get(m.ledger, &p, &deadline), 1);
	assert_int_equal(deadline, bob_dl);
	assert_int_equal(ledger_corigin_get(m.ledger, &p, ids[ALICE].pk, &o), 0);
	assert_int_equal(ledger_corigin_get(m.ledger, &p, ids[BOB].pk, &o), 1);
	assert_int_equal(o.seq, bseq);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->accepted, 2);

	len = revocation(BOB, BOB, bseq, bhash, "203.0.113.7/32", buf, sizeof(buf));
	assert_int_equal(deliver(&m, BOB, buf, len), 1);
	assert_true(batch.apply[0].revoke);
	assert_int_equal(batch.apply[0].deadline, 0);	/* nothing left */
	assert_int_equal(ledger_cban_get(m.ledger, &p, &deadline), 0);
	member_close(&m);
}

/* Bob signs a revocation of Alice's report: refused, counted against Bob,
 * Alice's ban untouched. Then Alice's own revocation, delivered twice:
 * the second is a replay. */
static void
test_revoke_not_origin_and_replay(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	uint64_t aseq;
	uint8_t ahash[WIRE_HASH_BYTES];
	int64_t deadline;
	struct a5_prefix p = pfx("203.0.113.8/32");
	struct ledger_corigin o;

	(void)state;
	member_open(&m);
	size_t len = report(ALICE, "203.0.113.8/32", 3600, 0, buf, sizeof(buf), &aseq, ahash);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);

	len = revocation(BOB, ALICE, aseq, ahash, "203.0.113.8/32", buf, sizeof(buf));
	assert_int_equal(deliver(&m, BOB, buf, len), 0);
	assert_int_equal(refused(&m, BOB, ACC_NOT_ORIGIN), 1);
	assert_int_equal(ledger_cban_get(m.ledger, &p, &deadline), 1);
	assert_int_equal(ledger_corigin_get(m.ledger, &p, ids[ALICE].pk, &o), 1);

	/* a revocation of a ban this member does not hold: counted apart */
	uint8_t none[WIRE_HASH_BYTES] = { 1 };
	len = revocation(ALICE, ALICE, aseq, none, "203.0.113.8/32", buf, sizeof(buf));
	assert_int_equal(deliver(&m, ALICE, buf, len), 0);
	assert_int_equal(refused(&m, ALICE, ACC_REVOKE_UNKNOWN), 1);
	assert_int_equal(ledger_cban_get(m.ledger, &p, &deadline), 1);

	static uint8_t rev[WIRE_REVOKE_MAX];
	size_t rlen = revocation(ALICE, ALICE, aseq, ahash, "203.0.113.8/32", rev, sizeof(rev));
	assert_int_equal(deliver(&m, ALICE, rev, rlen), 1);
	assert_int_equal(ledger_cban_get(m.ledger, &p, &deadline), 0);
	/* the same message again, as a redelivery or a replay would bring it */
	assert_int_equal(deliver(&m, ALICE, rev, rlen), 0);
	assert_int_equal(refused(&m, ALICE, ACC_REPLAY), 1);
	/* a later ban of the prefix by alice is not revoked by the old one */
	uint64_t seq2;
	uint8_t hash2[WIRE_HASH_BYTES];
	len = report(ALICE, "203.0.113.8/32", 3600, 0, buf, sizeof(buf), &seq2, hash2);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	len = revocation(ALICE, ALICE, aseq, ahash, "203.0.113.8/32", buf, sizeof(buf));
	assert_int_equal(deliver(&m, ALICE, buf, len), 0);
	assert_int_equal(refused(&m, ALICE, ACC_REVOKE_UNKNOWN), 2);
	assert_int_equal(ledger_cban_get(m.ledger, &p, &deadline), 1);
	member_close(&m);
}

/* A daemon's restart on the same ledger: the chains and the budgets come
 * back from it; the rate buckets start full (they are not kept). */
static void
member_restart(struct member *m)
{
	char err[512];

	coalition_close(m->co);
	m->co = coalition_open(&m->cfg, &ids[SELF], &m->allow, m->ledger, err, sizeof(err));
	if (m->co == NULL)
		fail_msg("coalition_open: %s", err);
}

/* Revocations take their tokens from their signer's bucket, as its reports
 * do (docs/charter.md "Rate"). With rate 4/min, Alice reports four bans,
 * which empty her bucket: her revocation right after is refused as rate.
 * Then eight bans in force (a restart between, which fills the bucket),
 * a restart and a burst of eight revocations: the four the bucket holds
 * lift their bans, the other four are refused as rate, counted, and their
 * bans stay. Each refused one still took its link of the chain: Alice's
 * next report is neither a gap nor a fork (refused as rate: the bucket is
 * the same), and after one more restart it applies. */
static void
test_revoke_rate(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	uint64_t seq[8], s;
	uint8_t hash[8][WIRE_HASH_BYTES], h[WIRE_HASH_BYTES];
	char text[8][32];
	struct a5_prefix p;
	struct ledger_corigin o;
	int64_t deadline;
	size_t len;

	(void)state;
	charter_extra = "rate 4/min\n";
	member_open(&m);
	for (int i = 0; i < 8; i++) {
		if (i == 4) {
			/* shared bucket: four reports took the minute's tokens */
			len = revocation(ALICE, ALICE, seq[0], hash[0], text[0], buf, sizeof(buf));
			assert_int_equal(deliver(&m, ALICE, buf, len), 0);
			assert_int_equal(refused(&m, ALICE, ACC_RATE), 1);
			member_restart(&m);
		}
		snprintf(text[i], sizeof(text[i]), "203.0.113.%d/32", 40 + i);
		len = report(ALICE, text[i], 3600, 0, buf, sizeof(buf), &seq[i], hash[i]);
		assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	}
	member_restart(&m);
	for (int i = 0; i < 8; i++) {
		len = revocation(ALICE, ALICE, seq[i], hash[i], text[i], buf, sizeof(buf));
		assert_int_equal(deliver(&m, ALICE, buf, len), i < 4 ? 1 : 0);
	}
	const struct accept_member_stats *st = accept_stats(m.co->accept, ALICE);
	assert_int_equal(st->refused[ACC_RATE], 4);	/* since the restart */
	assert_int_equal(st->accepted, 4);
	for (int i = 0; i < 8; i++) {
		p = pfx(text[i]);
		assert_int_equal(ledger_cban_get(m.ledger, &p, &deadline), i < 4 ? 0 : 1);
		assert_int_equal(ledger_corigin_get(m.ledger, &p, ids[ALICE].pk, &o), i < 4 ? 0 : 1);
	}
	assert_int_equal(st->last_seq, head_seq[ALICE]);
	len = report(ALICE, "203.0.113.60/32", 3600, 0, buf, sizeof(buf), &s, h);
	assert_int_equal(deliver(&m, ALICE, buf, len), 0);
	assert_int_equal(st->refused[ACC_RATE], 5);
	assert_int_equal(st->last_seq, s);
	assert_int_equal(st->gaps, 0);
	assert_int_equal(st->refused[ACC_FORK] + st->refused[ACC_REPLAY], 0);
	assert_false(st->quarantined);
	/* the chain the refused links moved was kept: after a restart, the
	 * next report follows on */
	member_restart(&m);
	len = report(ALICE, "203.0.113.61/32", 3600, 0, buf, sizeof(buf), &s, h);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	st = accept_stats(m.co->accept, ALICE);
	assert_int_equal(st->gaps, 0);
	assert_false(st->quarantined);
	member_close(&m);
}

/* This member's own ban of the prefix is not the coalition's to lift. */
static void
test_local_ban_survives(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	uint64_t aseq;
	uint8_t ahash[WIRE_HASH_BYTES];
	struct ledger_ban local, got;
	struct a5_prefix p = pfx("203.0.113.9/32");

	(void)state;
	member_open(&m);
	memset(&local, 0, sizeof(local));
	local.prefix = p;
	snprintf(local.service, sizeof(local.service), "manual");
	snprintf(local.rule, sizeof(local.rule), "manual");
	snprintf(local.reason, sizeof(local.reason), "manual");
	snprintf(local.origin, sizeof(local.origin), "local");
	local.created = now_sec();
	local.expires = now_sec() + 600;
	assert_int_equal(ledger_ban_put(m.ledger, &local), 0);
	/* published too, as the daemon does: this member's report of it is
	 * its own local ban, not a coalition ban to keep after alice's */
	coalition_local_ban(m.co, &local);
	coalition_prepare(m.co);
	size_t len = report(ALICE, "203.0.113.9/32", 3600, 0, buf, sizeof(buf), &aseq, ahash);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	len = revocation(ALICE, ALICE, aseq, ahash, "203.0.113.9/32", buf, sizeof(buf));
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	assert_true(batch.apply[0].revoke);
	assert_int_equal(batch.apply[0].deadline, 0);	/* no coalition element left */
	assert_int_equal(ledger_ban_get(m.ledger, &p, &got), 1);
	assert_int_equal(got.expires, local.expires);
	member_close(&m);
}

/* The deadline is the origin's: its report's time plus its ttl (rounded up
 * to the commit period, as every auditor computes it), not the time of
 * receipt plus the ttl. */
static void
test_expiry_from_origin_time(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	uint64_t seq;
	uint8_t hash[WIRE_HASH_BYTES];
	int64_t made = now_sec() - 300;

	(void)state;
	member_open(&m);
	size_t len = report(ALICE, "203.0.113.10/32", 600, 300, buf, sizeof(buf), &seq, hash);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	int64_t dl = batch.apply[0].deadline;
	int64_t period = m.co->charter->policy.commit_period;
	assert_true(period > 0);
	assert_true(dl >= made + 600 - 1);
	assert_true(dl <= made + 600 + period);
	assert_true(dl < now_sec() + 600 - 200);	/* not from receipt */
	assert_int_equal(dl % period, 0);	/* the auditors' quantum */
	/* a report from a clock a little ahead is taken as made now + the
	 * stamp grace (2 s): it ends at this clock + 2 s + its ttl (rounded up
	 * to the period), not at its own time + ttl; one from further ahead
	 * than the tolerance is refused, whatever its ttl: its ban would last
	 * that much longer here */
	len = report(ALICE, "203.0.113.12/32", 600, -60, buf, sizeof(buf), &seq, hash);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	assert_true(batch.apply[0].deadline >= now_sec() + 600 - 2);
	assert_true(batch.apply[0].deadline <= now_sec() + ACCEPT_STAMP_GRACE + 600 + period);
	len = report(ALICE, "203.0.113.13/32", 600, -(ACCEPT_SKEW_MAX + 60), buf, sizeof(buf),
	    &seq, hash);
	assert_int_equal(deliver(&m, ALICE, buf, len), 0);
	assert_int_equal(refused(&m, ALICE, ACC_FUTURE), 1);
	/* a report whose end has passed at the origin is not enforced */
	len = report(ALICE, "203.0.113.11/32", 60, 300, buf, sizeof(buf), &seq, hash);
	assert_int_equal(deliver(&m, ALICE, buf, len), 0);
	assert_int_equal(refused(&m, ALICE, ACC_EXPIRED), 1);
	member_close(&m);
}

/* --- the origin's side --- */

struct outbox_seen {
	size_t envelopes, revocations;
	struct wire_revocation last;
};

static int
outbox_one(const char *msgid, const void *data, size_t len, void *arg)
{
	struct outbox_seen *s = arg;

	(void)msgid;
	if (wire_kind(data, len) == WIRE_KIND_REVOCATION) {
		assert_int_equal(wire_revocation_decode(data, len, &s->last), WIRE_OK);
		s->revocations++;
	} else
		s->envelopes++;
	return 0;
}

static void
test_origin_unban_revokes(void **state)
{
	struct member m;
	struct ledger_ban b;
	struct ledger_corigin o;
	struct outbox_seen seen;
	struct a5_prefix p = pfx("203.0.113.20/32"), q = pfx("203.0.113.21/32");

	(void)state;
	member_open(&m);
	memset(&b, 0, sizeof(b));
	b.prefix = p;
	snprintf(b.service, sizeof(b.service), "sshd");
	snprintf(b.rule, sizeof(b.rule), "auth-fail");
	b.created = now_sec();
	b.expires = now_sec() + 600;
	coalition_local_ban(m.co, &b);
	coalition_prepare(m.co);
	assert_int_equal(ledger_corigin_get(m.ledger, &p, ids[SELF].pk, &o), 1);
	assert_int_equal(o.seq, 1);

	/* an unban of what this member never reported revokes nothing */
	coalition_local_unban(m.co, &q, now_sec() + 60);
	coalition_prepare(m.co);
	memset(&seen, 0, sizeof(seen));
	assert_true(ledger_outbox_each(m.ledger, outbox_one, &seen) >= 0);
	assert_int_equal(seen.envelopes, 1);
	assert_int_equal(seen.revocations, 0);

	coalition_local_unban(m.co, &p, now_sec() + 60);
	coalition_prepare(m.co);
	memset(&seen, 0, sizeof(seen));
	assert_true(ledger_outbox_each(m.ledger, outbox_one, &seen) >= 0);
	assert_int_equal(seen.revocations, 1);
	assert_int_equal(seen.last.seq, 2);		/* the next link of the chain */
	assert_int_equal(seen.last.revoked_seq, 1);
	assert_memory_equal(seen.last.revoked_hash, o.hash, WIRE_HASH_BYTES);
	assert_memory_equal(seen.last.origin, ids[SELF].pk, ID_PUBLIC_BYTES);
	assert_true(prefix_equal(&seen.last.prefix, &p));
	assert_int_equal(ledger_corigin_get(m.ledger, &p, ids[SELF].pk, &o), 0);
	/* a second unban has nothing left to revoke */
	coalition_local_unban(m.co, &p, now_sec() + 60);
	coalition_prepare(m.co);
	memset(&seen, 0, sizeof(seen));
	assert_true(ledger_outbox_each(m.ledger, outbox_one, &seen) >= 0);
	assert_int_equal(seen.revocations, 1);
	member_close(&m);
}

static void
own_ban(struct member *m, const struct a5_prefix *p, int64_t ttl)
{
	struct ledger_ban b;

	memset(&b, 0, sizeof(b));
	b.prefix = *p;
	snprintf(b.service, sizeof(b.service), "sshd");
	snprintf(b.rule, sizeof(b.rule), "auth-fail");
	b.created = now_sec();
	b.expires = b.created + ttl;
	coalition_local_ban(m->co, &b);
	coalition_prepare(m->co);
}

/* This member's own report ends where the receivers' ban of it ends
 * (audit_deadline): rounded up to the commit period, capped by the
 * charter's ttl_max. Not at its time + ttl: with ttl_max 1s an unban two
 * seconds later has nothing left to revoke anywhere, and signs nothing. */
static void
test_origin_deadline_as_receivers(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	struct ledger_corigin o;
	struct outbox_seen seen;
	uint64_t seq;
	uint8_t hash[WIRE_HASH_BYTES];
	struct a5_prefix p = pfx("203.0.113.30/32");

	(void)state;
	charter_extra = "commit_period 1h\n";
	member_open(&m);
	int64_t before = now_sec();
	own_ban(&m, &p, 600);
	assert_int_equal(ledger_corigin_get(m.ledger, &p, ids[SELF].pk, &o), 1);
	assert_int_equal(o.deadline % 3600, 0);		/* the receivers' quantum */
	assert_true(o.deadline >= before + 600);
	assert_true(o.deadline <= now_sec() + 600 + 3600);
	size_t len = report(ALICE, "203.0.113.31/32", 600, 0, buf, sizeof(buf), &seq, hash);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	assert_int_equal(batch.apply[0].deadline % 3600, 0);	/* as a receiver holds it */
	member_close(&m);

	charter_extra = "ttl_max 1s\ncommit_period 1s\n";
	member_open(&m);
	before = now_sec();
	own_ban(&m, &p, 600);
	assert_int_equal(ledger_corigin_get(m.ledger, &p, ids[SELF].pk, &o), 1);
	assert_true(o.deadline >= before + 1);
	assert_true(o.deadline <= now_sec() + 1);	/* not + 600 */
	for (int i = 0; i < 40 && now_sec() <= o.deadline; i++)
		usleep(100000);
	assert_true(now_sec() > o.deadline);
	coalition_local_unban(m.co, &p, now_sec() + 60);
	coalition_prepare(m.co);
	memset(&seen, 0, sizeof(seen));
	assert_true(ledger_outbox_each(m.ledger, outbox_one, &seen) >= 0);
	assert_int_equal(seen.envelopes, 1);
	assert_int_equal(seen.revocations, 0);
	member_close(&m);
}

/* A ban the members would refuse is not published, and says why. */
static void
test_publish_refusal(void **state)
{
	struct member m;
	struct ledger_ban b;
	struct a5_prefix p;
	const char *why;

	(void)state;
	member_open(&m);
	assert_null(coalition_publish_refusal(m.co, (p = pfx("203.0.113.7/32"), &p)));
	assert_non_null(why = coalition_publish_refusal(m.co, (p = pfx("10.1.2.3/32"), &p)));
	assert_memory_equal(why, "special-range", 13);
	assert_non_null(why = coalition_publish_refusal(m.co, (p = pfx("192.0.2.77/32"), &p)));
	assert_memory_equal(why, "member-prefix", 13);
	assert_non_null(why = coalition_publish_refusal(m.co, (p = pfx("203.0.0.0/8"), &p)));
	assert_memory_equal(why, "too-wide", 8);
	/* the same answer the receivers' check gives */
	assert_int_equal(accept_charter_scope(m.co->accept, (p = pfx("10.1.2.3/32"), &p)),
	    ACC_SPECIAL_RANGE);

	memset(&b, 0, sizeof(b));
	b.prefix = pfx("10.1.2.3/32");
	snprintf(b.service, sizeof(b.service), "manual");
	snprintf(b.rule, sizeof(b.rule), "manual");
	b.created = now_sec();
	b.expires = now_sec() + 600;
	coalition_local_ban(m.co, &b);
	assert_int_equal(m.co->out->nreports, 0);
	b.prefix = pfx("203.0.113.7/32");
	coalition_local_ban(m.co, &b);
	assert_int_equal(m.co->out->nreports, 1);
	member_close(&m);
}

/* `members` and `audit` agree: a member that only commits (nothing to
 * report) is seen, not "never". */
static void
test_members_seen_by_commitment(void **state)
{
	static struct wire_commitment c;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member m;
	struct outbuf out;

	(void)state;
	member_open(&m);
	memset(&out, 0, sizeof(out));
	coalition_members(m.co, &out, 0);
	assert_non_null(out.data);
	assert_non_null(strstr(out.data, "never"));	/* before: nobody seen */
	outbuf_free(&out);

	memset(&c, 0, sizeof(c));
	wire_coalition_id("test", c.coalition);
	memcpy(c.member, ids[BOB].pk, ID_PUBLIC_BYTES);
	c.seq = 1;
	c.time_us = (uint64_t)now_usec();
	c.period = m.co->charter->policy.commit_period;
	c.flags = WIRE_COMMIT_NO_DIGEST;
	size_t len = wire_commit_encode(&c, &ids[BOB], buf, sizeof(buf));
	assert_true(len > 0);
	struct transport_msg msg = { buf, len, "bob", NULL, NULL, false };
	batch.napply = 0;
	coalition_handle(m.co, &msg, 1, &batch);
	assert_int_equal(audit_get(m.co->audit, BOB)->commitments, 1);

	memset(&out, 0, sizeof(out));
	coalition_members(m.co, &out, 1);
	assert_non_null(out.data);
	const char *bob = strstr(out.data, "\"name\": \"bob\"");
	assert_non_null(bob);
	const char *seen = strstr(bob, "\"last_seen\": ");
	assert_non_null(seen);
	long long t = strtoll(seen + strlen("\"last_seen\": "), NULL, 10);
	assert_true(t >= now_sec() - 5 && t <= now_sec());
	outbuf_free(&out);
	memset(&out, 0, sizeof(out));
	coalition_members(m.co, &out, 0);
	bob = strstr(out.data, "\nbob ");
	assert_non_null(bob);
	const char *eol = strchr(bob + 1, '\n');
	assert_true(eol == NULL || memmem(bob, (size_t)(eol - bob), "never", 5) == NULL);
	outbuf_free(&out);
	member_close(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_revoke_only_origin),
		cmocka_unit_test(test_revoke_not_origin_and_replay),
		cmocka_unit_test(test_revoke_rate),
		cmocka_unit_test(test_local_ban_survives),
		cmocka_unit_test(test_expiry_from_origin_time),
		cmocka_unit_test(test_origin_unban_revokes),
		cmocka_unit_test(test_origin_deadline_as_receivers),
		cmocka_unit_test(test_publish_refusal),
		cmocka_unit_test(test_members_seen_by_commitment),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
