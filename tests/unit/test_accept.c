/* test_accept.c - the acceptance pipeline: who may report, chains (replay,
 * fork, gaps), scope, expiry, rate, local unban holds, response policies,
 * ttl caps and the counters. Reports carry test-made chain hashes through
 * accept_report_hashed; one test goes through accept_report and
 * wire_report_hash. */
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/accept.h"
#include "common/util.h"

#define NOW 1700000000LL

/* Members of the test charter, by index. */
enum { SELF, ALICE, BOB, CAROL, OLGA, MALLORY, NPEERS };

struct peer {
	uint8_t pk[ID_PUBLIC_BYTES];
	char text[ID_PUBLIC_TEXT_MAX];
	uint64_t seq;
	uint8_t last[WIRE_HASH_BYTES];
};

static struct peer peers[NPEERS], stranger;
static struct charter *charter;

static void
peer_init(struct peer *p, int i)
{
	uint8_t seed[crypto_sign_SEEDBYTES] = { 0 }, sk[crypto_sign_SECRETKEYBYTES];
	char b64[sodium_base64_ENCODED_LEN(ID_PUBLIC_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	memset(p, 0, sizeof(*p));
	seed[0] = (uint8_t)(i + 1);
	crypto_sign_seed_keypair(p->pk, sk, seed);
	sodium_bin2base64(b64, sizeof(b64), p->pk, ID_PUBLIC_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(p->text, sizeof(p->text), "ed25519:%s", b64);
}

static void
peers_reset(void)
{
	for (int i = 0; i < NPEERS; i++) {
		peers[i].seq = 0;
		memset(peers[i].last, 0, WIRE_HASH_BYTES);
	}
	stranger.seq = 0;
	memset(stranger.last, 0, WIRE_HASH_BYTES);
}

/* Parses the test charter with extra policy lines appended. */
static void
load_charter(const char *extra)
{
	char text[4096], err[1024];
	int n;

	n = snprintf(text, sizeof(text),
	    "coalition test\n"
	    "member self %s member 192.0.2.128/25\n"
	    "member alice %s member 203.0.113.0/26\n"
	    "member bob %s member 2001:db8:b0b::/48\n"
	    "member carol %s protected\n"
	    "member olga %s observer\n"
	    "member mallory %s member 203.0.113.192/26\n"
	    "revoked mallory\n"
	    "%s",
	    peers[SELF].text, peers[ALICE].text, peers[BOB].text, peers[CAROL].text,
	    peers[OLGA].text, peers[MALLORY].text, extra);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (charter_parse("test.charter", text, (size_t)n, charter, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* The accept state for the test charter; the local allowlist holds
 * 192.0.2.0/28 besides loopback. */
static struct accept *
new_accept(const char *extra, uint32_t ttl_max_local)
{
	static struct prefixlist allow;
	struct a5_prefix p;
	struct accept *a;

	peers_reset();
	load_charter(extra);
	prefixlist_init(&allow);
	assert_int_equal(prefix_parse("192.0.2.0/28", 12, &p), 0);
	assert_int_equal(prefixlist_add(&allow, &p), 0);
	assert_int_equal(prefix_parse("127.0.0.0/8", 11, &p), 0);
	assert_int_equal(prefixlist_add(&allow, &p), 0);
	a = accept_new(charter, peers[SELF].pk, &allow, ttl_max_local);
	assert_non_null(a);
	return a;
}

/* A stand-in chain hash: distinct for distinct reports. */
static void
test_hash(const struct peer *p, const struct wire_report *r, uint8_t out[WIRE_HASH_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, WIRE_HASH_BYTES);
	crypto_generichash_update(&st, p->pk, ID_PUBLIC_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)&r->seq, sizeof(r->seq));
	crypto_generichash_update(&st, r->prev, WIRE_HASH_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)&r->prefix, sizeof(r->prefix));
	crypto_generichash_update(&st, (const uint8_t *)&r->ttl, sizeof(r->ttl));
	crypto_generichash_update(&st, (const uint8_t *)&r->timestamp_us, sizeof(r->timestamp_us));
	crypto_generichash_final(&st, out, WIRE_HASH_BYTES);
}

/* The next report in p's chain (not yet sent). */
static void
make(const struct peer *p, const char *prefix, uint32_t ttl, int64_t stamped,
    struct wire_report *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = p->seq + 1;
	memcpy(r->prev, p->last, WIRE_HASH_BYTES);
	r->timestamp_us = (uint64_t)stamped * 1000000;
	if (prefix_parse(prefix, strlen(prefix), &r->prefix) != 0)
		fail_msg("bad test prefix %s", prefix);
	strcpy(r->service, "sshd");
	strcpy(r->rule, "invalid-user");
	r->evidence = 5;
	r->first_seen = r->last_seen = (uint64_t)stamped;
	r->ttl = ttl;
}

/* Sends r as p's report and advances p's chain to it. */
static enum accept_reason
send_report(struct accept *a, struct peer *p, const struct wire_report *r, int64_t now,
    struct accept_decision *d)
{
	uint8_t h[WIRE_HASH_BYTES];

	test_hash(p, r, h);
	accept_report_hashed(a, p->pk, r, h, now, d);
	p->seq = r->seq;
	memcpy(p->last, h, WIRE_HASH_BYTES);
	return d->reason;
}

/* The next report of p for prefix, stamped now with a 1h ttl. */
static enum accept_reason
report(struct accept *a, struct peer *p, const char *prefix, int64_t now,
    struct accept_decision *d)
{
	struct wire_report r;

	make(p, prefix, 3600, now, &r);
	return send_report(a, p, &r, now, d);
}

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < NPEERS; i++)
		peer_init(&peers[i], i);
	peer_init(&stranger, 100);
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

static void
test_apply(void **state)
{
	struct accept *a = new_accept("", 0);
	struct accept_decision d;

	(void)state;
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW, &d), ACC_OK);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(d.ttl, 3600);
	assert_int_equal(report(a, &peers[CAROL], "2001:db8:1::/64", NOW, &d), ACC_OK);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(accept_stats(a, ALICE)->accepted, 1);
	assert_int_equal(accept_stats(a, ALICE)->last_seq, 1);
	assert_int_equal(accept_stats(a, ALICE)->last_seen, NOW);
	assert_null(accept_stats(a, NPEERS));
	accept_free(a);
	accept_free(NULL);
}

static void
test_who(void **state)
{
	struct accept *a = new_accept("", 0);
	struct accept_decision d;

	(void)state;
	/* unknown key */
	assert_int_equal(report(a, &stranger, "198.51.100.7", NOW, &d), ACC_UNKNOWN_KEY);
	assert_int_equal(d.verdict, ACC_REFUSE);
	assert_int_equal(accept_stats_unknown(a)->refused[ACC_UNKNOWN_KEY], 1);
	/* revoked */
	assert_int_equal(report(a, &peers[MALLORY], "198.51.100.7", NOW, &d), ACC_REVOKED);
	assert_int_equal(d.verdict, ACC_REFUSE);
	assert_int_equal(accept_stats(a, MALLORY)->refused[ACC_REVOKED], 1);
	assert_int_equal(accept_stats(a, MALLORY)->last_seq, 0);
	/* own reports are skipped, not counted */
	assert_int_equal(report(a, &peers[SELF], "198.51.100.7", NOW, &d), ACC_OK);
	assert_int_equal(d.verdict, ACC_SKIP);
	const struct accept_member_stats *st = accept_stats(a, SELF);
	assert_int_equal(st->accepted, 0);
	for (int i = 0; i < ACC_NREASONS; i++)
		assert_int_equal(st->refused[i], 0);
	assert_int_equal(st->last_seq, 0);
	/* seq 0, and seq 1 with a predecessor, are malformed */
	struct wire_report r;
	make(&peers[ALICE], "198.51.100.7", 3600, NOW, &r);
	r.seq = 0;
	assert_int_equal(send_report(a, &peers[ALICE], &r, NOW, &d), ACC_MALFORMED);
	peers[ALICE].seq = 0;
	make(&peers[ALICE], "198.51.100.7", 3600, NOW, &r);
	r.prev[3] = 1;
	assert_int_equal(send_report(a, &peers[ALICE], &r, NOW, &d), ACC_MALFORMED);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_MALFORMED], 2);
	assert_int_equal(accept_stats(a, ALICE)->last_seq, 0);
	accept_free(a);

	/* without a self key nothing is skipped */
	a = accept_new(charter, NULL, NULL, 0);
	assert_non_null(a);
	peers_reset();
	assert_int_equal(report(a, &peers[SELF], "198.51.100.7", NOW, &d), ACC_OK);
	assert_int_equal(d.verdict, ACC_APPLY);
	accept_free(a);
}

static void
test_replay_fork(void **state)
{
	struct accept *a = new_accept("", 0);
	struct accept_decision d;
	struct wire_report r1, r2, fork;
	uint8_t h1[WIRE_HASH_BYTES], h2[WIRE_HASH_BYTES];
	struct peer *p = &peers[ALICE];

	(void)state;
	make(p, "198.51.100.1", 3600, NOW, &r1);
	test_hash(p, &r1, h1);
	assert_int_equal(send_report(a, p, &r1, NOW, &d), ACC_OK);
	make(p, "198.51.100.2", 3600, NOW, &r2);
	test_hash(p, &r2, h2);
	assert_int_equal(send_report(a, p, &r2, NOW, &d), ACC_OK);
	/* the same reports again: replays, head unchanged */
	assert_int_equal(send_report(a, p, &r1, NOW, &d), ACC_REPLAY);
	assert_int_equal(d.verdict, ACC_REFUSE);
	assert_int_equal(send_report(a, p, &r2, NOW, &d), ACC_REPLAY);
	assert_int_equal(accept_stats(a, ALICE)->last_seq, 2);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_REPLAY], 2);
	assert_false(accept_stats(a, ALICE)->quarantined);
	/* a different report with seq 1: fork, with the proof's other hash */
	fork = r1;
	fork.prefix.addr[3] = 99;
	assert_int_equal(send_report(a, p, &fork, NOW, &d), ACC_FORK);
	assert_int_equal(d.verdict, ACC_REFUSE);
	assert_memory_equal(d.other_hash, h1, WIRE_HASH_BYTES);
	assert_true(accept_stats(a, ALICE)->quarantined);
	/* quarantined: every later report is refused */
	make(p, "198.51.100.3", 3600, NOW, &r1);
	r1.seq = 3;
	memcpy(r1.prev, h2, WIRE_HASH_BYTES);
	assert_int_equal(send_report(a, p, &r1, NOW, &d), ACC_QUARANTINED);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_FORK], 1);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_QUARANTINED], 1);
	assert_int_equal(accept_stats(a, ALICE)->accepted, 2);

	/* seq == last + 1 whose prev is not the report we hold: a fork too */
	p = &peers[BOB];
	assert_int_equal(report(a, p, "198.51.100.4", NOW, &d), ACC_OK);
	memcpy(h1, p->last, WIRE_HASH_BYTES);
	make(p, "198.51.100.5", 3600, NOW, &r2);
	r2.prev[0] ^= 1;
	assert_int_equal(send_report(a, p, &r2, NOW, &d), ACC_FORK);
	assert_memory_equal(d.other_hash, h1, WIRE_HASH_BYTES);
	assert_true(accept_stats(a, BOB)->quarantined);

	/* accept_quarantine (restored from a stored proof) */
	assert_int_equal(report(a, &peers[CAROL], "198.51.100.6", NOW, &d), ACC_OK);
	accept_quarantine(a, peers[CAROL].pk);
	accept_quarantine(a, stranger.pk);
	assert_int_equal(report(a, &peers[CAROL], "198.51.100.7", NOW, &d), ACC_QUARANTINED);
	accept_free(a);
}

/* How far a chain is here without a hole: below the lowest number a gap
 * skipped while it is open, the head once it fills or once it has been
 * open for the settle time (taken as lost). */
static void
test_chain_settled(void **state)
{
	struct accept *a = new_accept("", 0);
	struct accept_decision d;
	struct wire_report r[8];
	uint8_t h[8][WIRE_HASH_BYTES];
	struct peer *p = &peers[ALICE];
	const int64_t settle = 10;

	(void)state;
	for (int i = 1; i <= 7; i++) {
		char pf[32];
		snprintf(pf, sizeof(pf), "198.51.100.%d", i);
		make(p, pf, 3600, NOW, &r[i]);
		test_hash(p, &r[i], h[i]);
		p->seq = r[i].seq;
		memcpy(p->last, h[i], WIRE_HASH_BYTES);
	}
	assert_int_equal(accept_chain_settled(a, p->pk, NOW, settle), 0);
	accept_report_hashed(a, p->pk, &r[1], h[1], NOW, &d);
	assert_int_equal(accept_chain_settled(a, p->pk, NOW, settle), 1);
	/* 3 before 2: settled at 1 while 2 is missing, whatever the head */
	accept_report_hashed(a, p->pk, &r[3], h[3], NOW, &d);
	assert_int_equal(accept_stats(a, ALICE)->last_seq, 3);
	assert_int_equal(accept_chain_settled(a, p->pk, NOW, settle), 1);
	accept_report_hashed(a, p->pk, &r[5], h[5], NOW + 1, &d);
	assert_int_equal(accept_chain_settled(a, p->pk, NOW + 9, settle), 1);
	/* 2 comes: the lowest hole is now 4 */
	accept_report_hashed(a, p->pk, &r[2], h[2], NOW + 9, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(accept_chain_settled(a, p->pk, NOW + 9, settle), 3);
	/* 4 never comes: given up once a hole has been open 10 s (since the
	 * first call that saw one, NOW) */
	assert_int_equal(accept_chain_settled(a, p->pk, NOW + 10, settle), 5);
	/* no hole left when 4 comes after all */
	accept_report_hashed(a, p->pk, &r[4], h[4], NOW + 11, &d);
	assert_int_equal(accept_chain_settled(a, p->pk, NOW + 11, settle), 5);
	/* a new hole is timed from when it is first seen */
	accept_report_hashed(a, p->pk, &r[7], h[7], NOW + 20, &d);
	assert_int_equal(accept_chain_settled(a, p->pk, NOW + 20, settle), 5);
	assert_int_equal(accept_chain_settled(a, p->pk, NOW + 29, settle), 5);
	assert_int_equal(accept_chain_settled(a, p->pk, NOW + 30, settle), 7);
	/* not a member: 0 */
	assert_int_equal(accept_chain_settled(a, stranger.pk, NOW, settle), 0);
	accept_free(a);
}

static void
test_gaps(void **state)
{
	struct accept *a = new_accept("", 0);
	struct accept_decision d;
	struct wire_report r[8];
	uint8_t h[8][WIRE_HASH_BYTES];
	struct peer *p = &peers[ALICE];

	(void)state;
	/* a chain of 7 reports, of which we see 1, 2, then 6 */
	for (int i = 1; i <= 7; i++) {
		char pf[32];
		snprintf(pf, sizeof(pf), "198.51.100.%d", i);
		make(p, pf, 3600, NOW, &r[i]);
		test_hash(p, &r[i], h[i]);
		p->seq = r[i].seq;
		memcpy(p->last, h[i], WIRE_HASH_BYTES);
	}
	accept_report_hashed(a, p->pk, &r[1], h[1], NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	accept_report_hashed(a, p->pk, &r[2], h[2], NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	/* a gap is accepted and counted */
	accept_report_hashed(a, p->pk, &r[6], h[6], NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(accept_stats(a, ALICE)->gaps, 3);
	assert_int_equal(accept_stats(a, ALICE)->last_seq, 6);
	/* a skipped report arriving late is accepted once */
	accept_report_hashed(a, p->pk, &r[4], h[4], NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(accept_stats(a, ALICE)->late, 1);
	accept_report_hashed(a, p->pk, &r[4], h[4], NOW, &d);
	assert_int_equal(d.reason, ACC_REPLAY);
	/* a late one whose prev contradicts the report we hold before it */
	struct wire_report bad5 = r[5];
	bad5.prev[0] ^= 1;
	uint8_t hb[WIRE_HASH_BYTES];
	test_hash(p, &bad5, hb);
	accept_report_hashed(a, p->pk, &bad5, hb, NOW, &d);
	assert_int_equal(d.reason, ACC_FORK);
	assert_memory_equal(d.other_hash, h[4], WIRE_HASH_BYTES);
	assert_int_equal(accept_stats(a, ALICE)->late, 1);
	accept_free(a);

	/* the chain goes on after a gap: 7 follows 6 */
	a = new_accept("", 0);
	accept_report_hashed(a, p->pk, &r[2], h[2], NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	/* first contact at seq 2: nothing was expected, nothing is missing */
	assert_int_equal(accept_stats(a, ALICE)->gaps, 0);
	accept_report_hashed(a, p->pk, &r[6], h[6], NOW, &d);
	accept_report_hashed(a, p->pk, &r[7], h[7], NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(accept_stats(a, ALICE)->gaps, 3);
	/* report 1 is older than first contact: cannot be told from a replay */
	accept_report_hashed(a, p->pk, &r[1], h[1], NOW, &d);
	assert_int_equal(d.reason, ACC_REPLAY);
	accept_free(a);

	/* a huge jump: counted, no more than the ring remembered */
	a = new_accept("", 0);
	accept_report_hashed(a, p->pk, &r[1], h[1], NOW, &d);
	struct wire_report far = r[2];
	far.seq = 1000000;
	test_hash(p, &far, hb);
	accept_report_hashed(a, p->pk, &far, hb, NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(accept_stats(a, ALICE)->gaps, 1000000 - 2);
	accept_report_hashed(a, p->pk, &r[2], h[2], NOW, &d);
	assert_int_equal(d.reason, ACC_REPLAY);	/* far behind the ring */
	struct wire_report recent = r[2];
	recent.seq = 1000000 - 5;
	test_hash(p, &recent, hb);
	accept_report_hashed(a, p->pk, &recent, hb, NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);	/* within the ring: late */
	/* a jump near the end of the sequence space stays cheap */
	far.seq = UINT64_MAX - 1;
	test_hash(p, &far, hb);
	accept_report_hashed(a, p->pk, &far, hb, NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(accept_stats(a, ALICE)->last_seq, UINT64_MAX - 1);
	accept_free(a);

	/* across a restart: the numbers still missing are kept with the head,
	 * so a report redelivered after later ones is late, not a replay */
	uint64_t miss[4], seq;
	uint8_t head[WIRE_HASH_BYTES];
	a = new_accept("", 0);
	accept_report_hashed(a, p->pk, &r[1], h[1], NOW, &d);
	accept_report_hashed(a, p->pk, &r[2], h[2], NOW, &d);
	accept_report_hashed(a, p->pk, &r[4], h[4], NOW, &d);	/* 3 skipped */
	assert_int_equal(accept_chain_missing(a, p->pk, miss, 4), 1);
	assert_int_equal(miss[0], 3);
	assert_int_equal(accept_chain_get(a, p->pk, &seq, head), 0);
	accept_free(a);
	a = new_accept("", 0);	/* the head alone: 3 cannot be told from a replay */
	accept_chain_set(a, p->pk, seq, head);
	accept_report_hashed(a, p->pk, &r[3], h[3], NOW, &d);
	assert_int_equal(d.reason, ACC_REPLAY);
	accept_free(a);
	a = new_accept("", 0);	/* the head and the missing list */
	accept_chain_set(a, p->pk, seq, head);
	accept_chain_set_missing(a, p->pk, 3);
	accept_chain_set_missing(a, p->pk, 4);	/* the head itself: ignored */
	accept_report_hashed(a, p->pk, &r[3], h[3], NOW, &d);
	assert_int_equal(d.verdict, ACC_APPLY);
	accept_report_hashed(a, p->pk, &r[3], h[3], NOW, &d);
	assert_int_equal(d.reason, ACC_REPLAY);
	assert_int_equal(accept_chain_missing(a, p->pk, miss, 4), 0);
	accept_free(a);
}

static void
test_scope(void **state)
{
	static const struct { const char *prefix; enum accept_reason why; } cases[] = {
		{ "198.51.100.7", ACC_OK },
		{ "198.51.100.0/24", ACC_OK },
		{ "198.18.0.1", ACC_OK },		/* benchmarking: not special */
		{ "203.0.113.77", ACC_OK },		/* TEST-NET-3 outside members */
		{ "2001:db8:1::/48", ACC_OK },		/* documentation: not special */
		{ "192.0.2.5", ACC_ALLOWLIST },
		{ "192.0.2.0/24", ACC_ALLOWLIST },	/* overlaps the allowlist */
		{ "127.0.0.1", ACC_ALLOWLIST },
		{ "203.0.113.5", ACC_MEMBER_PREFIX },	/* alice's, and alice reports */
		{ "192.0.2.200", ACC_MEMBER_PREFIX },	/* ours */
		{ "2001:db8:b0b:1::/64", ACC_MEMBER_PREFIX },
		{ "203.0.113.200", ACC_MEMBER_PREFIX },	/* a revoked member's too */
		{ "10.1.2.3", ACC_SPECIAL_RANGE },
		{ "100.64.0.1", ACC_SPECIAL_RANGE },
		{ "169.254.1.1", ACC_SPECIAL_RANGE },
		{ "172.16.0.0/24", ACC_SPECIAL_RANGE },
		{ "192.168.1.1", ACC_SPECIAL_RANGE },
		{ "224.0.0.1", ACC_SPECIAL_RANGE },
		{ "255.255.255.255", ACC_SPECIAL_RANGE },
		{ "0.1.2.3", ACC_SPECIAL_RANGE },
		{ "::1", ACC_SPECIAL_RANGE },
		{ "fe80::1", ACC_SPECIAL_RANGE },
		{ "fd00::1", ACC_SPECIAL_RANGE },
		{ "ff02::1", ACC_SPECIAL_RANGE },
		/* translation and tunnels: every host behind the gateway */
		{ "64:ff9b::c633:6401", ACC_SPECIAL_RANGE },	/* NAT64 of 198.51.100.1 */
		{ "2002:cb00:7101::/48", ACC_SPECIAL_RANGE },	/* 6to4 */
		{ "192.88.99.1", ACC_SPECIAL_RANGE },		/* 6to4 relay anycast */
		{ "2001:0:4136:e378::/64", ACC_SPECIAL_RANGE },	/* Teredo */
		{ "192.175.48.1", ACC_SPECIAL_RANGE },		/* AS112 */
		{ "2001:20::1", ACC_SPECIAL_RANGE },		/* ORCHIDv2 */
		{ "64:ff9b:2::1", ACC_OK },			/* beside NAT64 */
		{ "2003::/48", ACC_OK },			/* beside 6to4 */
		{ "0.0.0.0/0", ACC_TOO_WIDE },
		{ "::/0", ACC_TOO_WIDE },
		{ "198.51.100.0/23", ACC_TOO_WIDE },
		{ "10.0.0.0/8", ACC_TOO_WIDE },		/* widest first */
		{ "2001:db8:2::/47", ACC_TOO_WIDE },
	};
	struct accept *a = new_accept("", 0);
	struct accept_decision d;
	uint64_t refused = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		enum accept_reason why = report(a, &peers[ALICE], cases[i].prefix, NOW, &d);
		if (why != cases[i].why)
			fail_msg("%s: %s, expected %s", cases[i].prefix, accept_reason_name(why),
			    accept_reason_name(cases[i].why));
		assert_int_equal(d.verdict, why == ACC_OK ? ACC_APPLY : ACC_REFUSE);
		refused += why != ACC_OK;
	}
	/* every report passed the chain check: no gap after refusals */
	const struct accept_member_stats *st = accept_stats(a, ALICE);
	assert_int_equal(st->last_seq, ARRAY_LEN(cases));
	assert_int_equal(st->gaps, 0);
	assert_int_equal(st->refused[ACC_SPECIAL_RANGE], 18);
	assert_int_equal(st->refused[ACC_TOO_WIDE], 5);
	assert_int_equal(st->accepted, ARRAY_LEN(cases) - refused);

	/* a prefix with host bits set is malformed (the decoder refuses it too) */
	struct wire_report r;
	make(&peers[ALICE], "198.51.100.0/24", 3600, NOW, &r);
	r.prefix.addr[3] = 1;
	assert_int_equal(send_report(a, &peers[ALICE], &r, NOW, &d), ACC_MALFORMED);
	make(&peers[ALICE], "198.51.100.0/24", 3600, NOW, &r);
	r.prefix.family = 5;
	assert_int_equal(send_report(a, &peers[ALICE], &r, NOW, &d), ACC_MALFORMED);
	accept_free(a);

	/* allow_special, and a policy that allows wider prefixes (and lets
	 * one member act alone on them: wide_prefix4/6) */
	a = new_accept("allow_special yes\nmax_prefix4 16\nmax_prefix6 32\nwide_prefix4 16\n"
	    "wide_prefix6 32\nbudget_addresses4 1000000\nbudget_addresses6 /16\n", 0);
	assert_int_equal(report(a, &peers[ALICE], "10.1.2.3", NOW, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "198.51.0.0/16", NOW, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "198.50.0.0/15", NOW, &d), ACC_TOO_WIDE);
	assert_int_equal(report(a, &peers[ALICE], "2001:db9::/32", NOW, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "192.0.2.0/28", NOW, &d), ACC_ALLOWLIST);
	accept_free(a);
}

static void
test_expiry_ttl(void **state)
{
	struct accept *a = new_accept("ttl_max 1d\n", 0);
	struct accept_decision d;
	struct wire_report r;
	struct peer *p = &peers[ALICE];

	(void)state;
	/* stamped 2h ago with a 1h ttl: expired */
	make(p, "198.51.100.1", 3600, NOW - 7200, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_EXPIRED);
	/* exactly at its end: nothing left */
	make(p, "198.51.100.1", 3600, NOW - 3600, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_EXPIRED);
	/* stamped 100 s ago: what is left */
	make(p, "198.51.100.1", 3600, NOW - 100, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_OK);
	assert_int_equal(d.ttl, 3500);
	/* stamped ahead (clock skew): taken as stamped now + the grace, its
	 * deadline no later than this clock + 2 s + its ttl (rounded up to the
	 * commit period, 10 s, as every deadline), not its stamp + ttl */
	make(p, "198.51.100.1", 3600, NOW + 100, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_OK);
	assert_true(d.deadline <= NOW + ACCEPT_STAMP_GRACE + 3600 + 9);
	assert_int_equal(d.deadline, (NOW + ACCEPT_STAMP_GRACE + 3600 + 9) / 10 * 10);
	assert_true(d.ttl <= ACCEPT_STAMP_GRACE + 3600 + 9);
	/* ... and never beyond the capped ttl, however long it asks */
	make(p, "198.51.100.1", 30 * 86400, NOW + ACCEPT_SKEW_MAX, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_OK);
	assert_true(d.deadline <= NOW + ACCEPT_STAMP_GRACE + 86400 + 9);
	assert_true(d.ttl <= ACCEPT_STAMP_GRACE + 86400 + 9);
	/* further ahead than the skew tolerated: refused, its ban would end
	 * that much later here */
	make(p, "198.51.100.1", 3600, NOW + ACCEPT_SKEW_MAX + 1, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_FUTURE);
	make(p, "198.51.100.1", 3600, NOW + 100000, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_FUTURE);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_FUTURE], 2);
	/* capped by the charter's ttl_max */
	make(p, "198.51.100.1", 30 * 86400, NOW, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_OK);
	assert_int_equal(d.ttl, 86400);
	/* a zero ttl is nothing to apply */
	make(p, "198.51.100.1", 0, NOW, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_EXPIRED);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_EXPIRED], 3);
	accept_free(a);

	/* the local cap only tightens */
	a = new_accept("ttl_max 1d\n", 7200);
	make(p, "198.51.100.1", 30 * 86400, NOW, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_OK);
	assert_int_equal(d.ttl, 7200);
	make(p, "198.51.100.1", 600, NOW, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_OK);
	assert_int_equal(d.ttl, 600);
	accept_free(a);
	a = new_accept("ttl_max 1h\n", 86400);
	make(p, "198.51.100.1", 30 * 86400, NOW, &r);
	assert_int_equal(send_report(a, p, &r, NOW, &d), ACC_OK);
	assert_int_equal(d.ttl, 3600);
	accept_free(a);
}

static void
test_rate(void **state)
{
	struct accept *a = new_accept("rate 5/min\n", 0);
	struct accept_decision d;

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW, &d), ACC_OK);
	/* the 6th within the minute is refused, and so is the flood after it */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW, &d), ACC_RATE);
	assert_int_equal(d.verdict, ACC_REFUSE);
	for (int i = 0; i < 100; i++)
		assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW + 5, &d), ACC_RATE);
	/* each member has its own bucket */
	assert_int_equal(report(a, &peers[BOB], "198.51.100.1", NOW, &d), ACC_OK);
	/* 5/min is one every 12 s */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW + 12, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW + 12, &d), ACC_RATE);
	/* a minute refills the bucket, and no more */
	for (int i = 0; i < 5; i++)
		assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW + 3600, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW + 3600, &d), ACC_RATE);
	/* a clock stepping back takes nothing and gives nothing */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.1", NOW, &d), ACC_RATE);
	const struct accept_member_stats *st = accept_stats(a, ALICE);
	assert_int_equal(st->accepted, 11);
	assert_int_equal(st->refused[ACC_RATE], 104);
	/* refused reports still advance the chain */
	assert_int_equal(st->last_seq, 115);
	accept_free(a);
}

/* p's next link: a revocation of origin's report revoked_seq of prefix,
 * stamped now; p's chain advances to it. */
static enum accept_reason
revoke(struct accept *a, struct peer *p, const struct peer *origin, uint64_t revoked_seq,
    const char *prefix, int64_t now, struct accept_decision *d)
{
	struct wire_revocation v;
	uint8_t h[WIRE_HASH_BYTES];

	memset(&v, 0, sizeof(v));
	memcpy(v.reporter, p->pk, ID_PUBLIC_BYTES);
	memcpy(v.origin, origin->pk, ID_PUBLIC_BYTES);
	v.seq = p->seq + 1;
	memcpy(v.prev, p->last, WIRE_HASH_BYTES);
	v.timestamp_us = (uint64_t)now * 1000000;
	v.revoked_seq = revoked_seq;
	if (prefix_parse(prefix, strlen(prefix), &v.prefix) != 0)
		fail_msg("bad test prefix %s", prefix);
	wire_revocation_hash(&v, h);
	accept_revocation(a, &v, h, now, d);
	p->seq = v.seq;
	memcpy(p->last, h, WIRE_HASH_BYTES);
	return d->reason;
}

/* Revocations take their tokens from the bucket of their signer's reports
 * (docs/charter.md "Rate"): a burst past it is refused as rate and
 * counted, the two kinds drain and refill one bucket, and a refused
 * revocation still advances the chain. */
static void
test_rate_revocations(void **state)
{
	struct accept *a = new_accept("rate 5/min\n", 0);
	struct accept_decision d;
	struct peer *al = &peers[ALICE];
	const struct accept_member_stats *st = accept_stats(a, ALICE);

	(void)state;
	/* three reports and two revocations take the minute's five tokens */
	for (int i = 0; i < 3; i++)
		assert_int_equal(report(a, al, "198.51.100.1", NOW, &d), ACC_OK);
	assert_int_equal(revoke(a, al, al, 1, "198.51.100.1", NOW, &d), ACC_OK);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(revoke(a, al, al, 2, "198.51.100.1", NOW, &d), ACC_OK);
	/* a burst past the bucket is refused, whichever kind comes */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(revoke(a, al, al, 3, "198.51.100.1", NOW + 5, &d), ACC_RATE);
		assert_int_equal(d.verdict, ACC_REFUSE);
	}
	assert_int_equal(report(a, al, "198.51.100.2", NOW + 5, &d), ACC_RATE);
	assert_int_equal(st->refused[ACC_RATE], 51);
	assert_int_equal(st->accepted, 3);	/* revocations: accept_count_revocation's */
	/* each refused one still took its link: no gap, no fork */
	assert_int_equal(st->last_seq, 56);
	assert_int_equal(st->gaps, 0);
	assert_false(st->quarantined);
	/* another member's bucket is its own */
	assert_int_equal(report(a, &peers[BOB], "198.51.100.1", NOW + 5, &d), ACC_OK);
	assert_int_equal(revoke(a, &peers[BOB], &peers[BOB], 1, "198.51.100.1", NOW + 5, &d),
	    ACC_OK);
	/* 5/min is one token every 12 s, for either kind; one the charter
	 * refuses anyway (not its origin) takes none and says why */
	assert_int_equal(revoke(a, al, &peers[BOB], 1, "198.51.100.1", NOW + 12, &d),
	    ACC_NOT_ORIGIN);
	assert_int_equal(revoke(a, al, al, 3, "198.51.100.1", NOW + 12, &d), ACC_OK);
	assert_int_equal(report(a, al, "198.51.100.2", NOW + 12, &d), ACC_RATE);
	assert_int_equal(report(a, al, "198.51.100.2", NOW + 24, &d), ACC_OK);
	assert_int_equal(revoke(a, al, al, 3, "198.51.100.1", NOW + 24, &d), ACC_RATE);
	/* a minute refills it, and no more */
	for (int i = 0; i < 5; i++)
		assert_int_equal(revoke(a, al, al, 3, "198.51.100.1", NOW + 3600, &d), ACC_OK);
	assert_int_equal(revoke(a, al, al, 3, "198.51.100.1", NOW + 3600, &d), ACC_RATE);
	assert_int_equal(st->refused[ACC_RATE], 54);
	assert_int_equal(st->refused[ACC_NOT_ORIGIN], 1);
	assert_int_equal(st->last_seq, 67);
	assert_int_equal(st->gaps, 0);
	assert_false(st->quarantined);
	accept_free(a);
}

/* A member over its budget gets a tenth of the rate for its revocations
 * too, refused beyond as throttled, as its reports are. */
static void
test_rate_revocations_throttled(void **state)
{
	struct accept *a = new_accept("rate 20/min\nbudget_bans 2\n", 0);
	struct accept_decision d;
	struct peer *al = &peers[ALICE];
	const struct accept_member_stats *st = accept_stats(a, ALICE);

	(void)state;
	assert_int_equal(report(a, al, "198.51.100.1", NOW, &d), ACC_OK);
	assert_int_equal(report(a, al, "198.51.100.2", NOW, &d), ACC_OK);
	assert_int_equal(report(a, al, "198.51.100.3", NOW, &d), ACC_BUDGET_BANS);
	assert_true(st->throttled);
	/* 20/min throttled is 2/min: the bucket keeps two tokens */
	assert_int_equal(revoke(a, al, al, 1, "198.51.100.1", NOW, &d), ACC_OK);
	assert_int_equal(revoke(a, al, al, 2, "198.51.100.2", NOW, &d), ACC_OK);
	assert_int_equal(revoke(a, al, al, 2, "198.51.100.2", NOW, &d), ACC_THROTTLED);
	assert_int_equal(st->refused[ACC_THROTTLED], 1);
	assert_int_equal(st->refused[ACC_RATE], 0);
	accept_free(a);
}

static void
test_local_unban(void **state)
{
	struct accept *a = new_accept("", 0);
	struct accept_decision d;
	struct a5_prefix p;

	(void)state;
	assert_int_equal(prefix_parse("198.51.100.7", 12, &p), 0);
	accept_local_unban(a, &p, NOW + 100);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW, &d), ACC_LOCAL_UNBAN);
	assert_int_equal(d.verdict, ACC_REFUSE);
	/* a wider prefix would ban the unbanned address too */
	assert_int_equal(report(a, &peers[BOB], "198.51.100.0/24", NOW + 50, &d), ACC_LOCAL_UNBAN);
	assert_int_equal(report(a, &peers[BOB], "198.51.100.8", NOW + 50, &d), ACC_OK);
	/* the hold ends at until */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW + 100, &d), ACC_OK);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_LOCAL_UNBAN], 1);
	/* renewing a hold replaces its end; ending it early lifts it */
	accept_local_unban(a, &p, NOW + 1000);
	accept_local_unban(a, &p, NOW + 2000);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW + 1500, &d), ACC_LOCAL_UNBAN);
	accept_local_unban(a, &p, NOW);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW + 1500, &d), ACC_OK);
	/* more holds than fit: the one ending first makes room */
	for (int i = 0; i < 1100; i++) {
		struct a5_prefix q = { A5_AF_INET6, 128, { 0x20, 0x01, 0x0d, 0xb8, 9 } };
		q.addr[14] = (uint8_t)(i >> 8);
		q.addr[15] = (uint8_t)i;
		accept_local_unban(a, &q, NOW + 5000 + i);
	}
	assert_int_equal(report(a, &peers[ALICE], "2001:db8:900::/64", NOW + 1500, &d), ACC_LOCAL_UNBAN);
	accept_free(a);
}

static void
test_observer_alone(void **state)
{
	struct accept *a = new_accept("", 0);
	struct accept_decision d;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(report(a, &peers[OLGA], "198.51.100.7", NOW + i, &d), ACC_OBSERVER_ALONE);
		assert_int_equal(d.verdict, ACC_REFUSE);
	}
	assert_int_equal(accept_stats(a, OLGA)->refused[ACC_OBSERVER_ALONE], 3);
	assert_int_equal(accept_stats(a, OLGA)->accepted, 0);
	accept_free(a);

	/* "response member never" applies to members the same way */
	a = new_accept("response member never\n", 0);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW, &d), ACC_OBSERVER_ALONE);
	assert_int_equal(report(a, &peers[CAROL], "198.51.100.7", NOW, &d), ACC_OK);
	accept_free(a);
}

static void
test_quorum(void **state)
{
	struct accept *a = new_accept("response member quorum 2\nquorum_window 10m\n", 0);
	struct accept_decision d;

	(void)state;
	/* one member: wait; the same member again does not count twice */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW, &d), ACC_QUORUM_PENDING);
	assert_int_equal(d.verdict, ACC_WAIT);
	assert_int_equal(d.ttl, 0);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW + 1, &d), ACC_QUORUM_PENDING);
	/* an observer (never) casts no vote */
	assert_int_equal(report(a, &peers[OLGA], "198.51.100.7", NOW + 2, &d), ACC_OBSERVER_ALONE);
	/* a different prefix is a different count */
	assert_int_equal(report(a, &peers[BOB], "198.51.100.8", NOW + 3, &d), ACC_QUORUM_PENDING);
	/* the second distinct member applies */
	assert_int_equal(report(a, &peers[BOB], "198.51.100.7", NOW + 4, &d), ACC_OK);
	assert_int_equal(d.verdict, ACC_APPLY);
	assert_int_equal(d.ttl, 3606);
	assert_int_equal(accept_stats(a, ALICE)->refused[ACC_QUORUM_PENDING], 2);
	assert_int_equal(accept_stats(a, BOB)->accepted, 1);
	/* more voters than the quorum: the most recent are kept, still applied */
	assert_int_equal(report(a, &peers[CAROL], "198.51.100.7", NOW + 5, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW + 6, &d), ACC_OK);
	assert_int_equal(report(a, &peers[SELF], "198.51.100.7", NOW + 6, &d), ACC_OK);
	assert_int_equal(d.verdict, ACC_SKIP);
	/* protected reports are immediate, and count as votes */
	assert_int_equal(report(a, &peers[CAROL], "198.51.100.9", NOW + 5, &d), ACC_OK);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.9", NOW + 6, &d), ACC_OK);
	/* votes older than the window do not count */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.10", NOW, &d), ACC_QUORUM_PENDING);
	assert_int_equal(report(a, &peers[BOB], "198.51.100.10", NOW + 600, &d), ACC_QUORUM_PENDING);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.10", NOW + 601, &d), ACC_OK);
	/* a vote refreshed by the same member keeps it in the window */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.11", NOW, &d), ACC_QUORUM_PENDING);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.11", NOW + 500, &d), ACC_QUORUM_PENDING);
	assert_int_equal(report(a, &peers[BOB], "198.51.100.11", NOW + 900, &d), ACC_OK);
	/* a member quarantined since its vote no longer counts */
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.12", NOW, &d), ACC_QUORUM_PENDING);
	accept_quarantine(a, peers[ALICE].pk);
	assert_int_equal(report(a, &peers[BOB], "198.51.100.12", NOW + 1, &d), ACC_QUORUM_PENDING);
	accept_free(a);

	/* observers vote once their role is enforced by quorum */
	a = new_accept("response observer quorum 2\nresponse member quorum 3\n", 0);
	assert_int_equal(report(a, &peers[OLGA], "198.51.100.7", NOW, &d), ACC_QUORUM_PENDING);
	assert_int_equal(report(a, &peers[ALICE], "198.51.100.7", NOW, &d), ACC_QUORUM_PENDING);
	assert_int_equal(report(a, &peers[BOB], "198.51.100.7", NOW, &d), ACC_OK);
	accept_free(a);
}

static void
test_chain_state(void **state)
{
	struct accept *a = new_accept("", 0), *b;
	struct accept_decision d;
	uint8_t h[WIRE_HASH_BYTES], zero[WIRE_HASH_BYTES] = { 0 };
	struct peer *p = &peers[ALICE];
	struct wire_report r[3], next;
	uint64_t seq;

	(void)state;
	assert_int_equal(accept_chain_get(a, p->pk, &seq, h), 0);
	assert_int_equal(seq, 0);
	assert_memory_equal(h, zero, WIRE_HASH_BYTES);
	for (int i = 0; i < 3; i++) {
		make(p, "198.51.100.7", 3600, NOW, &r[i]);
		assert_int_equal(send_report(a, p, &r[i], NOW, &d), ACC_OK);
	}
	assert_int_equal(accept_chain_get(a, p->pk, &seq, h), 0);
	assert_int_equal(seq, 3);
	assert_memory_equal(h, p->last, WIRE_HASH_BYTES);
	assert_int_equal(accept_chain_get(a, stranger.pk, &seq, h), -1);
	/* set forgets what was remembered below the head: a changed report 1
	 * can no longer be told from a replay */
	accept_chain_set(a, p->pk, seq, h);
	r[0].ttl = 60;
	assert_int_equal(send_report(a, p, &r[0], NOW, &d), ACC_REPLAY);
	p->seq = 3;
	memcpy(p->last, h, WIRE_HASH_BYTES);
	accept_free(a);

	/* restored in a new instance: the head is a replay, the chain goes on */
	b = accept_new(charter, peers[SELF].pk, NULL, 0);
	assert_non_null(b);
	accept_chain_set(b, p->pk, seq, h);
	accept_chain_set(b, stranger.pk, seq, h);	/* not a member: ignored */
	assert_int_equal(send_report(b, p, &r[2], NOW, &d), ACC_REPLAY);
	assert_int_equal(report(b, p, "198.51.100.8", NOW, &d), ACC_OK);
	assert_int_equal(accept_stats(b, ALICE)->gaps, 0);
	assert_int_equal(accept_stats(b, ALICE)->last_seq, 4);
	assert_int_equal(accept_chain_get(b, p->pk, &seq, h), 0);
	assert_int_equal(seq, 4);
	assert_memory_equal(h, p->last, WIRE_HASH_BYTES);
	accept_free(b);

	/* a report that does not follow the restored head is a fork */
	b = accept_new(charter, peers[SELF].pk, NULL, 0);
	assert_non_null(b);
	accept_chain_set(b, p->pk, 4, zero);
	make(p, "198.51.100.9", 3600, NOW, &next);
	assert_int_equal(send_report(b, p, &next, NOW, &d), ACC_FORK);
	assert_memory_equal(d.other_hash, zero, WIRE_HASH_BYTES);
	/* setting seq 0 forgets the chain (the quarantine stays) */
	accept_chain_set(b, p->pk, 0, zero);
	assert_int_equal(accept_chain_get(b, p->pk, &seq, h), 0);
	assert_int_equal(seq, 0);
	assert_true(accept_stats(b, ALICE)->quarantined);
	accept_free(b);
}

static void
test_counters(void **state)
{
	struct accept *a = new_accept("rate 3/min\n", 0);
	struct accept_decision d;
	struct a5_prefix p;

	(void)state;
	assert_int_equal(prefix_parse("198.51.100.99", 13, &p), 0);
	accept_local_unban(a, &p, NOW + 60);
	report(a, &peers[ALICE], "198.51.100.1", NOW, &d);	/* ok */
	report(a, &peers[ALICE], "10.0.0.1", NOW, &d);		/* special */
	report(a, &peers[ALICE], "192.0.2.1", NOW, &d);		/* allowlist */
	report(a, &peers[ALICE], "203.0.113.1", NOW, &d);	/* member prefix */
	report(a, &peers[ALICE], "198.51.100.99", NOW, &d);	/* local unban */
	report(a, &peers[ALICE], "198.51.100.2", NOW, &d);	/* ok */
	report(a, &peers[ALICE], "198.51.100.3", NOW, &d);	/* rate */
	accept_count_envelope(a, peers[ALICE].pk, ACC_BAD_SIGNATURE);
	accept_count_envelope(a, peers[ALICE].pk, ACC_WRONG_COALITION);
	accept_count_envelope(a, stranger.pk, ACC_BAD_SIGNATURE);
	accept_count_envelope(a, stranger.pk, (enum accept_reason)1000);

	const struct accept_member_stats *st = accept_stats(a, ALICE);
	assert_int_equal(st->accepted, 2);
	assert_int_equal(st->refused[ACC_SPECIAL_RANGE], 1);
	assert_int_equal(st->refused[ACC_ALLOWLIST], 1);
	assert_int_equal(st->refused[ACC_MEMBER_PREFIX], 1);
	assert_int_equal(st->refused[ACC_LOCAL_UNBAN], 1);
	assert_int_equal(st->refused[ACC_RATE], 1);
	assert_int_equal(st->refused[ACC_BAD_SIGNATURE], 1);
	assert_int_equal(st->refused[ACC_WRONG_COALITION], 1);
	assert_int_equal(st->refused[ACC_OK], 0);
	assert_int_equal(accept_stats_unknown(a)->refused[ACC_BAD_SIGNATURE], 1);
	assert_int_equal(accept_stats_unknown(a)->refused[ACC_MALFORMED], 1);
	assert_int_equal(accept_stats(a, BOB)->accepted, 0);

	for (int i = 0; i < ACC_NREASONS; i++) {
		const char *n = accept_reason_name((enum accept_reason)i);
		assert_string_not_equal(n, "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, accept_reason_name((enum accept_reason)j));
	}
	assert_string_equal(accept_reason_name(ACC_FORK), "fork");
	assert_string_equal(accept_reason_name(ACC_NREASONS), "?");
	accept_free(a);
}

/* Through accept_report: the chain hash is wire_report_hash. */
static void
test_wire_hash(void **state)
{
	struct accept *a = new_accept("", 0);
	struct accept_decision d;
	struct wire_report r[3];
	struct peer *p = &peers[BOB];

	(void)state;
	for (int i = 0; i < 3; i++) {
		make(p, "198.51.100.7", 3600, NOW, &r[i]);
		accept_report(a, p->pk, &r[i], NOW, &d);
		assert_int_equal(d.verdict, ACC_APPLY);
		p->seq = r[i].seq;
		wire_report_hash(&r[i], p->pk, p->last);
	}
	accept_report(a, p->pk, &r[1], NOW, &d);
	assert_int_equal(d.reason, ACC_REPLAY);
	r[1].ttl = 60;
	accept_report(a, p->pk, &r[1], NOW, &d);
	assert_int_equal(d.reason, ACC_FORK);
	accept_free(a);
}

/* The stamp a deadline counts from: the report's own, to the microsecond,
 * up to ACCEPT_STAMP_GRACE ahead of this clock; this clock's now + the
 * grace when further ahead (the seconds form is the same instant,
 * truncated). */
static void
test_stamp(void **state)
{
	const int64_t G = ACCEPT_STAMP_GRACE;
	struct wire_report r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.timestamp_us = (uint64_t)NOW * 1000000 - 2500000;	/* 2.5 s behind */
	assert_int_equal(accept_stamp_us(&r, NOW), NOW * 1000000 - 2500000);
	assert_int_equal(accept_stamp(&r, NOW), NOW - 3);
	r.timestamp_us = (uint64_t)NOW * 1000000;		/* exactly now */
	assert_int_equal(accept_stamp_us(&r, NOW), NOW * 1000000);
	assert_int_equal(accept_stamp(&r, NOW), NOW);
	r.timestamp_us = (uint64_t)NOW * 1000000 + 1;		/* a microsecond ahead */
	assert_int_equal(accept_stamp_us(&r, NOW), NOW * 1000000 + 1);
	assert_int_equal(accept_stamp(&r, NOW), NOW);
	r.timestamp_us = (uint64_t)(NOW + G) * 1000000;		/* the grace, exactly */
	assert_int_equal(accept_stamp_us(&r, NOW), (NOW + G) * 1000000);
	assert_int_equal(accept_stamp(&r, NOW), NOW + G);
	r.timestamp_us = (uint64_t)(NOW + G) * 1000000 + 1;	/* past it: clamped */
	assert_int_equal(accept_stamp_us(&r, NOW), (NOW + G) * 1000000);
	assert_int_equal(accept_stamp(&r, NOW), NOW + G);
	r.timestamp_us = (uint64_t)(NOW + ACCEPT_SKEW_MAX) * 1000000;
	assert_int_equal(accept_stamp_us(&r, NOW), (NOW + G) * 1000000);
	assert_int_equal(accept_stamp(&r, NOW), NOW + G);
	r.timestamp_us = UINT64_MAX;				/* past any int64_t */
	assert_int_equal(accept_stamp_us(&r, NOW), (NOW + G) * 1000000);
	assert_int_equal(accept_stamp(&r, NOW), NOW + G);
}

/* Receivers agree on a deadline although their clocks do not quite: a
 * report stamped 3 ms into second NOW, received where the clock (time(2),
 * a tick behind clock_gettime) still reads NOW - 1 and where it reads NOW.
 * Both count from the stamp. Before the grace, the first receiver counted
 * from NOW - 1: with a 17 s ttl and a 2 s period its ban ended at NOW + 16,
 * the other's at NOW + 18, and audits differed at that end (e2e/churn). */
static void
test_stamp_receivers_agree(void **state)
{
	struct accept *behind = new_accept("ttl_max 1d\ncommit_period 2s\n", 0);
	struct accept *on_time = new_accept("ttl_max 1d\ncommit_period 2s\n", 0);
	struct accept_decision d_behind, d_on_time;
	struct wire_report r;
	struct peer p = peers[ALICE];
	uint8_t h[WIRE_HASH_BYTES];

	(void)state;
	make(&p, "198.51.100.1", 17, NOW, &r);
	r.timestamp_us += 3000;
	test_hash(&p, &r, h);
	accept_report_hashed(behind, p.pk, &r, h, NOW - 1, &d_behind);
	accept_report_hashed(on_time, p.pk, &r, h, NOW, &d_on_time);
	assert_int_equal(d_behind.reason, ACC_OK);
	assert_int_equal(d_on_time.reason, ACC_OK);
	assert_int_equal(d_behind.deadline, d_on_time.deadline);
	assert_int_equal(d_on_time.deadline, (NOW + 17 + 1) / 2 * 2);
	accept_free(behind);
	accept_free(on_time);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_who),
		cmocka_unit_test(test_replay_fork),
		cmocka_unit_test(test_chain_settled),
		cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_expiry_ttl),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_rate_revocations),
		cmocka_unit_test(test_rate_revocations_throttled),
		cmocka_unit_test(test_local_unban),
		cmocka_unit_test(test_observer_alone),
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_chain_state),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_wire_hash),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_stamp_receivers_agree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
