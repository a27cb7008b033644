/* test_revoke_proof.c - forks that involve revocations are proven like
 * forks of reports (docs/protocol.md "Proofs"): alice signs two different
 * links under one number (a report and a revocation, a revocation and a
 * report, two revocations); the member that sees both keeps a proof built
 * from the message it kept, and bob, given only that proof as the stream
 * gossips it, quarantines alice. Then what is kept as evidence: received
 * revocations the chain took, this member's own, not the refused ones. No
 * NATS server: the coalitions run alone and the test hands them messages. */
#include "testutil.h"
#include "member_fixture.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/accept.h"
#include "coalition/coalition.h"
#include "coalition/evidence_file.h"
#include "coalition/proof_check.h"
#include "coalition/state.h"
#include "common/util.h"
#include "daemon/config.h"
#include "ledger/ledger.h"

enum { SELF, ALICE, BOB, NMEMBERS };
static const char *const names[NMEMBERS] = { "self", "alice", "bob" };

static struct identity ids[NMEMBERS];
static char pk_text[NMEMBERS][ID_PUBLIC_TEXT_MAX];
static char dir[64];
static struct coalition_batch batch;	/* 3 MiB: not on the stack */

/* Each signer's chain head, as the test builds its messages. */
static uint64_t head_seq[NMEMBERS];
static uint8_t head_hash[NMEMBERS][WIRE_HASH_BYTES];

static int
setup(void **state)
{
	(void)state;
	fixture_keys(ids, pk_text, NMEMBERS, 41);
	return fixture_dir_make(dir, sizeof(dir), "rproof");
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
	char path[PATH_MAX];	/* the ledger's file */
};

/* Member `who` (self or bob) of the coalition self, alice, bob, with a
 * ledger file of its own, named by tag; the NATS server refuses
 * connections (port 1 on loopback), so it works alone. */
static void
member_open(struct member *m, int who, const char *tag)
{
	char text[1024], err[512], path[PATH_MAX];
	FILE *f;

	memset(m, 0, sizeof(*m));
	config_defaults(&m->cfg);
	snprintf(path, sizeof(path), "%s/test.charter", dir);
	snprintf(text, sizeof(text), "coalition test\nnats nats://127.0.0.1:1\n"
	    "member self %s member\nmember alice %s member\nmember bob %s member\n",
	    pk_text[SELF], pk_text[ALICE], pk_text[BOB]);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	snprintf(m->cfg.charter, sizeof(m->cfg.charter), "%s", path);
	snprintf(m->cfg.identity, sizeof(m->cfg.identity), "%s/%s.key", dir, names[who]);
	snprintf(m->cfg.state_dir, sizeof(m->cfg.state_dir), "%s", dir);
	m->cfg.bantime_max = 7 * 86400;
	prefixlist_init(&m->allow);
	snprintf(m->path, sizeof(m->path), "%s/%s-%s.db", dir, names[who], tag);
	remove(m->path);
	if (ledger_open(m->path, &m->ledger, err, sizeof(err)) != 0)
		fail_msg("ledger_open: %s", err);
	m->co = coalition_open(&m->cfg, &ids[who], &m->allow, m->ledger, err, sizeof(err));
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

/* One report of who's chain banning prefix for an hour; *seq and *hash
 * get its number and chain hash. */
static size_t
report(int who, const char *prefix, uint8_t *buf, size_t n, uint64_t *seq,
    uint8_t hash[WIRE_HASH_BYTES])
{
	struct fixture_chain ch = { &head_seq[who], head_hash[who] };

	return fixture_report(&ids[who], ch, prefix, 3600, 0, buf, n, seq, hash);
}

/* A revocation signed by who, naming origin's report (seq, hash) of prefix. */
static size_t
revocation(int who, int origin, uint64_t seq, const uint8_t hash[WIRE_HASH_BYTES],
    const char *prefix, uint8_t *buf, size_t n)
{
	struct fixture_chain ch = { &head_seq[who], head_hash[who] };

	return fixture_revocation(&ids[who], ch, ids[origin].pk, seq, hash, prefix, buf, n);
}

/* who's chain head goes back to seq 1 (hash h1): the next link forks #2. */
static void
rewind_to(int who, const uint8_t h1[WIRE_HASH_BYTES])
{
	head_seq[who] = 1;
	memcpy(head_hash[who], h1, WIRE_HASH_BYTES);
}

static size_t
deliver(struct member *m, int from, const uint8_t *buf, size_t len)
{
	struct transport_msg msg = { buf, len, names[from], NULL, NULL, false };

	batch.napply = 0;
	coalition_handle(m->co, &msg, 1, &batch);
	return batch.napply;
}

/* The proof the finder stored, as its proof.c publishes it on the stream. */
struct stored {
	uint8_t msg[WIRE_PROOF_MAX];
	size_t len;
	int64_t seq;
	uint8_t a[WIRE_ENVELOPE_MAX], b[WIRE_ENVELOPE_MAX];
	size_t alen, blen;
};

static int
proof_one(int64_t seq, int64_t found, const void *a, size_t alen, const void *b, size_t blen,
    void *arg)
{
	struct stored *s = arg;

	(void)found;
	assert_non_null(a);
	assert_non_null(b);
	assert_true(alen <= sizeof(s->a) && blen <= sizeof(s->b));
	memcpy(s->a, a, alen);
	memcpy(s->b, b, blen);
	s->alen = alen;
	s->blen = blen;
	s->seq = seq;
	s->len = wire_proof_encode((uint64_t)seq, a, alen, b, blen, s->msg, sizeof(s->msg));
	return 1;
}

/* The finder kept exactly one proof against alice, at #2, holding one
 * message of each kind given; bob, who saw only alice's #1, quarantines
 * her from that proof alone and refuses her next report. */
static void
check_proven(struct member *finder, int kind_a, int kind_b)
{
	static struct stored s;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	struct member bob;
	char err[256];
	uint64_t seq;
	uint8_t hash[WIRE_HASH_BYTES];

	assert_true(accept_stats(finder->co->accept, ALICE)->quarantined);
	assert_int_equal(ledger_proofs_count(finder->ledger, ids[ALICE].pk), 1);
	memset(&s, 0, sizeof(s));
	if (ledger_proofs_read(finder->path, ids[ALICE].pk, proof_one, &s, err, sizeof(err)) != 1)
		fail_msg("ledger_proofs_read: %s", err);
	assert_int_equal(s.seq, 2);
	assert_true(s.len > 0);
	assert_int_equal(wire_kind(s.a, s.alen), kind_a);
	assert_int_equal(wire_kind(s.b, s.blen), kind_b);

	member_open(&bob, BOB, "third");
	struct transport_msg msg = { s.msg, s.len, "self", NULL, NULL, false };
	batch.napply = 0;
	coalition_handle(bob.co, &msg, 1, &batch);
	assert_int_equal(bob.co->proofs_invalid, 0);
	assert_int_equal(bob.co->proofs_received, 1);
	const struct accept_member_stats *st = accept_stats(bob.co->accept, ALICE);
	assert_true(st->quarantined);
	assert_int_equal(st->quarantine_why, ACC_FORK);
	assert_int_equal(ledger_proofs_count(bob.ledger, ids[ALICE].pk), 1);
	/* alice's next link, valid on the chain she showed the finder: refused */
	size_t len = report(ALICE, "198.51.100.99/32", buf, sizeof(buf), &seq, hash);
	assert_int_equal(deliver(&bob, ALICE, buf, len), 0);
	assert_int_equal(accept_stats(bob.co->accept, ALICE)->refused[ACC_QUARANTINED], 1);
	member_close(&bob);

	/* and anyone holding the charter can check it offline */
	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	assert_non_null(f);
	assert_int_equal(journal_evidence_write(f, "alice", 2, now_sec(), s.a, s.alen, s.b, s.blen,
	    err, sizeof(err)), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(journal_evidence_check(text, tlen, finder->co->charter, NULL, NULL, err,
	    sizeof(err)), 0);
	free(text);
}

/* Alice reports P as #1; then #2 twice: a report of Q, and the revocation
 * of #1. The finder sees the report first. */
static void
test_report_then_revocation(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX], rev[WIRE_REVOKE_MAX];
	struct member m;
	uint64_t s1, s2;
	uint8_t h1[WIRE_HASH_BYTES], h2[WIRE_HASH_BYTES];

	(void)state;
	memset(head_seq, 0, sizeof(head_seq));
	memset(head_hash, 0, sizeof(head_hash));
	member_open(&m, SELF, "a");
	size_t len = report(ALICE, "198.51.100.1/32", buf, sizeof(buf), &s1, h1);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	len = report(ALICE, "198.51.100.2/32", buf, sizeof(buf), &s2, h2);
	rewind_to(ALICE, h1);
	size_t rlen = revocation(ALICE, ALICE, s1, h1, "198.51.100.1/32", rev, sizeof(rev));
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	assert_int_equal(deliver(&m, ALICE, rev, rlen), 0);	/* the fork */
	assert_int_equal(accept_stats(m.co->accept, ALICE)->refused[ACC_FORK], 1);
	check_proven(&m, WIRE_KIND_ENVELOPE, WIRE_KIND_REVOCATION);
	member_close(&m);
}

/* The same two links the other way round: the revocation, applied and
 * kept, then the report (found by the envelope's side of receive.c). */
static void
test_revocation_then_report(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX], rev[WIRE_REVOKE_MAX];
	struct member m;
	uint64_t s1, s2;
	uint8_t h1[WIRE_HASH_BYTES], h2[WIRE_HASH_BYTES];

	(void)state;
	memset(head_seq, 0, sizeof(head_seq));
	memset(head_hash, 0, sizeof(head_hash));
	member_open(&m, SELF, "b");
	size_t len = report(ALICE, "198.51.100.3/32", buf, sizeof(buf), &s1, h1);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	size_t rlen = revocation(ALICE, ALICE, s1, h1, "198.51.100.3/32", rev, sizeof(rev));
	rewind_to(ALICE, h1);
	len = report(ALICE, "198.51.100.4/32", buf, sizeof(buf), &s2, h2);
	assert_int_equal(deliver(&m, ALICE, rev, rlen), 1);	/* applied */
	assert_true(batch.apply[0].revoke);
	assert_int_equal(deliver(&m, ALICE, buf, len), 0);	/* the fork */
	check_proven(&m, WIRE_KIND_REVOCATION, WIRE_KIND_ENVELOPE);
	member_close(&m);
}

/* Two revocations #2: the first names a ban this member does not hold
 * (revoke-unknown: not applied here, still a link of alice's chain, so
 * kept), the second the real one. */
static void
test_two_revocations(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX], rev1[WIRE_REVOKE_MAX], rev2[WIRE_REVOKE_MAX];
	struct member m;
	uint64_t s1;
	uint8_t h1[WIRE_HASH_BYTES], wrong[WIRE_HASH_BYTES] = { 9 };

	(void)state;
	memset(head_seq, 0, sizeof(head_seq));
	memset(head_hash, 0, sizeof(head_hash));
	member_open(&m, SELF, "c");
	size_t len = report(ALICE, "198.51.100.5/32", buf, sizeof(buf), &s1, h1);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	size_t l1 = revocation(ALICE, ALICE, s1, wrong, "198.51.100.5/32", rev1, sizeof(rev1));
	rewind_to(ALICE, h1);
	size_t l2 = revocation(ALICE, ALICE, s1, h1, "198.51.100.5/32", rev2, sizeof(rev2));
	assert_int_equal(deliver(&m, ALICE, rev1, l1), 0);
	assert_int_equal(accept_stats(m.co->accept, ALICE)->refused[ACC_REVOKE_UNKNOWN], 1);
	assert_int_equal(deliver(&m, ALICE, rev2, l2), 0);	/* the fork */
	check_proven(&m, WIRE_KIND_REVOCATION, WIRE_KIND_REVOCATION);
	member_close(&m);
}

/* The proof check itself: a revocation and a report, or two revocations,
 * numbered alike; not the same revocation twice, not two numbers, not a
 * commitment. */
static void
test_proof_check_kinds(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX], rev1[WIRE_REVOKE_MAX], rev2[WIRE_REVOKE_MAX];
	struct journal_proof pr;
	char why[256];
	uint64_t s1, s2;
	uint8_t h1[WIRE_HASH_BYTES], h2[WIRE_HASH_BYTES];

	(void)state;
	memset(head_seq, 0, sizeof(head_seq));
	memset(head_hash, 0, sizeof(head_hash));
	report(ALICE, "198.51.100.6/32", buf, sizeof(buf), &s1, h1);
	size_t l1 = revocation(ALICE, ALICE, s1, h1, "198.51.100.6/32", rev1, sizeof(rev1));
	rewind_to(ALICE, h1);
	size_t len = report(ALICE, "198.51.100.7/32", buf, sizeof(buf), &s2, h2);
	rewind_to(ALICE, h1);
	size_t l2 = revocation(ALICE, ALICE, s1, h1, "198.51.100.8/32", rev2, sizeof(rev2));

	assert_int_equal(journal_proof_check(rev1, l1, buf, len, 2, &pr, why, sizeof(why)), 0);
	assert_memory_equal(pr.reporter, ids[ALICE].pk, ID_PUBLIC_BYTES);
	assert_true(pr.first.revocation);
	assert_false(pr.second.revocation);
	struct a5_prefix p6 = pfx("198.51.100.6/32");
	assert_true(prefix_equal(&pr.first.prefix, &p6));
	assert_int_equal(journal_proof_check(rev1, l1, rev2, l2, 2, &pr, why, sizeof(why)), 0);
	assert_int_equal(journal_proof_check(rev1, l1, rev1, l1, 2, &pr, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "same revocation"));
	assert_int_equal(journal_proof_check(rev1, l1, buf, len, 3, &pr, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not #3"));
	rev2[100] ^= 1;
	assert_int_equal(journal_proof_check(rev1, l1, rev2, l2, 2, &pr, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "second envelope"));
	rev2[100] ^= 1;
	/* bob's revocation #2 against alice's: two keys */
	head_seq[BOB] = 1;
	size_t lb = revocation(BOB, BOB, 1, h1, "198.51.100.6/32", rev2, sizeof(rev2));
	assert_int_equal(journal_proof_check(rev1, l1, rev2, lb, 2, &pr, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "different keys"));
	assert_null(journal_proof_signer(buf, 1));
	assert_memory_equal(journal_proof_signer(rev1, l1), ids[ALICE].pk, ID_PUBLIC_BYTES);
	assert_memory_equal(journal_proof_signer(buf, len), ids[ALICE].pk, ID_PUBLIC_BYTES);
}

/* What is kept: a revocation the chain took, this member's own, not one
 * refused (another member's ban named: not-origin). */
static void
test_revocations_kept(void **state)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX], got[WIRE_ENVELOPE_MAX];
	struct member m;
	struct ledger_ban b;
	uint64_t s1;
	uint8_t h1[WIRE_HASH_BYTES];
	size_t glen;

	(void)state;
	memset(head_seq, 0, sizeof(head_seq));
	memset(head_hash, 0, sizeof(head_hash));
	member_open(&m, SELF, "d");
	size_t len = report(ALICE, "198.51.100.9/32", buf, sizeof(buf), &s1, h1);
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	/* bob revokes alice's report: refused, not kept */
	len = revocation(BOB, ALICE, s1, h1, "198.51.100.9/32", buf, sizeof(buf));
	assert_int_equal(deliver(&m, BOB, buf, len), 0);
	assert_int_equal(accept_stats(m.co->accept, BOB)->refused[ACC_NOT_ORIGIN], 1);
	assert_int_equal(ledger_envelope_find(m.ledger, ids[BOB].pk, 1, got, sizeof(got), &glen), 0);
	/* alice's own: applied and kept, byte for byte */
	len = revocation(ALICE, ALICE, s1, h1, "198.51.100.9/32", buf, sizeof(buf));
	assert_int_equal(deliver(&m, ALICE, buf, len), 1);
	assert_int_equal(ledger_envelope_find(m.ledger, ids[ALICE].pk, 2, got, sizeof(got), &glen), 1);
	assert_int_equal(glen, len);
	assert_memory_equal(got, buf, len);

	/* this member's own revocation, as it signs it */
	memset(&b, 0, sizeof(b));
	b.prefix = pfx("198.51.100.10/32");
	snprintf(b.service, sizeof(b.service), "sshd");
	snprintf(b.rule, sizeof(b.rule), "auth-fail");
	b.created = now_sec();
	b.expires = now_sec() + 600;
	coalition_local_ban(m.co, &b);
	coalition_prepare(m.co);
	coalition_local_unban(m.co, &b.prefix, now_sec() + 60);
	coalition_prepare(m.co);
	assert_int_equal(ledger_envelope_find(m.ledger, ids[SELF].pk, 2, got, sizeof(got), &glen), 1);
	assert_int_equal(wire_kind(got, glen), WIRE_KIND_REVOCATION);
	member_close(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_then_revocation),
		cmocka_unit_test(test_revocation_then_report),
		cmocka_unit_test(test_two_revocations),
		cmocka_unit_test(test_proof_check_kinds),
		cmocka_unit_test(test_revocations_kept),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
