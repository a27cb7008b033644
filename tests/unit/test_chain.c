/* test_chain.c - the table of chain heads: rows keyed by member, the own
 * head and the others' read from and written to the ledger in the form
 * earlier versions wrote ("seq:hexhash", "n,n,..."), a bad own head stops
 * publishing, missing numbers and proofs restored into the pipeline, the
 * own head kept across a charter update that moves this member. */
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "coalition/accept.h"
#include "coalition/chain.h"
#include "ledger/ledger.h"

enum { SELF, ALICE, BOB, NMEMBERS };

static uint8_t pk[NMEMBERS][ID_PUBLIC_BYTES];
static char pk_text[NMEMBERS][ID_PUBLIC_TEXT_MAX];
static char pk_hex[NMEMBERS][2 * ID_PUBLIC_BYTES + 1];
static struct charter charter, reordered;
static struct chain_table table;

static void
charter_make(struct charter *c, const char *first, int a, const char *second, int b,
    const char *third, int d)
{
	char text[2048], err[512];
	int n = snprintf(text, sizeof(text), "coalition test\n"
	    "member %s %s member\nmember %s %s member\nmember %s %s member\n",
	    first, pk_text[a], second, pk_text[b], third, pk_text[d]);

	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (charter_parse("test.charter", text, (size_t)n, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static int
setup(void **state)
{
	(void)state;
	for (int i = 0; i < NMEMBERS; i++) {
		uint8_t seed[crypto_sign_SEEDBYTES] = { 0 }, sk[crypto_sign_SECRETKEYBYTES];
		char b64[sodium_base64_ENCODED_LEN(ID_PUBLIC_BYTES,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
		seed[0] = (uint8_t)(i + 1);
		crypto_sign_seed_keypair(pk[i], sk, seed);
		sodium_bin2base64(b64, sizeof(b64), pk[i], ID_PUBLIC_BYTES,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		snprintf(pk_text[i], sizeof(pk_text[i]), "ed25519:%s", b64);
		sodium_bin2hex(pk_hex[i], sizeof(pk_hex[i]), pk[i], ID_PUBLIC_BYTES);
	}
	charter_make(&charter, "self", SELF, "alice", ALICE, "bob", BOB);
	charter_make(&reordered, "bob", BOB, "alice", ALICE, "self", SELF);
	return 0;
}

static struct ledger *
ledger_new(void)
{
	struct ledger *l;
	char err[256];

	if (ledger_open(":memory:", &l, err, sizeof(err)) != 0)
		fail_msg("ledger_open: %s", err);
	return l;
}

static void
hash_fill(uint8_t h[WIRE_HASH_BYTES], uint8_t v)
{
	memset(h, v, WIRE_HASH_BYTES);
}

static void
state_expect(struct ledger *l, const char *key, const char *want)
{
	char v[LEDGER_STATE_MAX];

	assert_int_equal(ledger_state_get(l, key, v, sizeof(v)), 1);
	assert_string_equal(v, want);
}

/* The own head: none, saved in the old text form, read back, refused when
 * it does not parse (publishing stays off; commitments say 0). */
static void
test_own_head(void **state)
{
	struct ledger *l = ledger_new();
	struct accept *acc = accept_new(&charter, pk[SELF], NULL, 0);
	uint8_t h[WIRE_HASH_BYTES];
	char want[128], hhex[2 * WIRE_HASH_BYTES + 1];

	(void)state;
	memset(&table, 0, sizeof(table));
	chain_table_reset(&table, &charter, SELF);
	assert_int_equal(table.n, NMEMBERS);
	assert_memory_equal(table.heads[ALICE].member, pk[ALICE], ID_PUBLIC_BYTES);
	chain_load_own(&table, l);
	assert_int_equal(table.heads[SELF].seq, 0);

	hash_fill(h, 0xab);
	assert_int_equal(chain_save_own(&table, l, 42, h), 0);
	assert_int_equal(table.heads[SELF].seq, 42);
	sodium_bin2hex(hhex, sizeof(hhex), h, sizeof(h));
	snprintf(want, sizeof(want), "42:%s", hhex);
	state_expect(l, "chain:self", want);

	table.heads[SELF].seq = 0;
	chain_load_own(&table, l);
	assert_int_equal(table.heads[SELF].seq, 42);
	assert_memory_equal(table.heads[SELF].hash, h, WIRE_HASH_BYTES);
	assert_int_equal(chain_positions(&table, acc)[SELF], 42);

	assert_int_equal(ledger_state_set(l, "chain:self", "42:abz"), 0);
	chain_load_own(&table, l);
	assert_true(table.heads[SELF].seq == CHAIN_BROKEN);
	assert_int_equal(chain_positions(&table, acc)[SELF], 0);
	assert_int_equal(ledger_state_set(l, "chain:self", "0:00"), 0);
	chain_load_own(&table, l);
	assert_true(table.heads[SELF].seq == CHAIN_BROKEN);	/* own chains start at 1 */

	accept_free(acc);
	ledger_close(l);
}

/* The others' heads and missing numbers, written by an earlier version,
 * go into the table and the pipeline; a proof in the ledger quarantines. */
static void
test_peer_heads_load(void **state)
{
	struct ledger *l = ledger_new();
	struct accept *acc = accept_new(&charter, pk[SELF], NULL, 0);
	char key[128], v[256], hhex[2 * WIRE_HASH_BYTES + 1];
	uint8_t h[WIRE_HASH_BYTES], got[WIRE_HASH_BYTES];
	uint64_t seq, missing[8];

	(void)state;
	hash_fill(h, 0x11);
	sodium_bin2hex(hhex, sizeof(hhex), h, sizeof(h));
	snprintf(key, sizeof(key), "chain:%s", pk_hex[ALICE]);
	snprintf(v, sizeof(v), "100:%s", hhex);
	assert_int_equal(ledger_state_set(l, key, v), 0);
	snprintf(key, sizeof(key), "gaps:%s", pk_hex[ALICE]);
	assert_int_equal(ledger_state_set(l, key, "97,x,99"), 0);
	snprintf(key, sizeof(key), "chain:%s", pk_hex[BOB]);
	assert_int_equal(ledger_state_set(l, key, "7:nothex"), 0);
	assert_int_equal(ledger_proof_put(l, pk[BOB], 3, "a", 1, "b", 1, 1700000000), 0);

	memset(&table, 0, sizeof(table));
	chain_table_reset(&table, &charter, SELF);
	chain_load_peers(&table, l, acc);
	assert_int_equal(table.heads[ALICE].seq, 100);
	assert_memory_equal(table.heads[ALICE].hash, h, WIRE_HASH_BYTES);
	assert_true(table.heads[ALICE].gaps_saved);
	assert_int_equal(accept_chain_get(acc, pk[ALICE], &seq, got), 0);
	assert_int_equal(seq, 100);
	assert_memory_equal(got, h, WIRE_HASH_BYTES);
	assert_int_equal(accept_chain_missing(acc, pk[ALICE], missing, 8), 2);
	assert_true((missing[0] == 97 && missing[1] == 99) || (missing[0] == 99 && missing[1] == 97));
	/* bob's head does not parse: left at 0, and quarantined on the proof */
	assert_int_equal(table.heads[BOB].seq, 0);
	assert_false(table.heads[BOB].gaps_saved);
	assert_true(accept_stats(acc, BOB)->quarantined);
	assert_false(accept_stats(acc, ALICE)->quarantined);
	const uint64_t *pos = chain_positions(&table, acc);
	assert_int_equal(pos[ALICE], 100);
	assert_int_equal(pos[BOB], 0);
	/* what an audit counts of alice's chain: up to her first hole, 96,
	 * until the holes are given up (10 s after first seen here) */
	const uint64_t *settled = chain_settled(&table, acc, 1700000000, 10);
	assert_int_equal(settled[ALICE], 96);
	assert_int_equal(settled[BOB], 0);
	assert_true(chain_holes(&table));
	settled = chain_settled(&table, acc, 1700000010, 10);
	assert_int_equal(settled[ALICE], 100);
	assert_false(chain_holes(&table));

	accept_free(acc);
	ledger_close(l);
}

/* A peer's head as the pipeline holds it is written in the old form; the
 * missing numbers are written while there are some, and cleared once. */
static void
test_peer_head_save(void **state)
{
	struct ledger *l = ledger_new();
	struct accept *acc = accept_new(&charter, pk[SELF], NULL, 0);
	char key[128], want[256], hhex[2 * WIRE_HASH_BYTES + 1], v[LEDGER_STATE_MAX];
	uint8_t h[WIRE_HASH_BYTES];

	(void)state;
	memset(&table, 0, sizeof(table));
	chain_table_reset(&table, &charter, SELF);
	hash_fill(h, 0x22);
	sodium_bin2hex(hhex, sizeof(hhex), h, sizeof(h));
	accept_chain_set(acc, pk[BOB], 50, h);
	accept_chain_set_missing(acc, pk[BOB], 48);
	chain_save_peer(&table, l, acc, BOB);
	assert_int_equal(table.heads[BOB].seq, 50);
	snprintf(key, sizeof(key), "chain:%s", pk_hex[BOB]);
	snprintf(want, sizeof(want), "50:%s", hhex);
	state_expect(l, key, want);
	snprintf(key, sizeof(key), "gaps:%s", pk_hex[BOB]);
	state_expect(l, key, "48");
	assert_true(table.heads[BOB].gaps_saved);

	accept_chain_set(acc, pk[BOB], 51, h);	/* forgets the missing numbers */
	chain_save_peer(&table, l, acc, BOB);
	state_expect(l, key, "");
	assert_false(table.heads[BOB].gaps_saved);
	/* nothing missing and nothing saved: no "gaps:" key written */
	snprintf(key, sizeof(key), "gaps:%s", pk_hex[ALICE]);
	chain_save_peer(&table, l, acc, ALICE);
	assert_int_equal(ledger_state_get(l, key, v, sizeof(v)), 0);

	accept_free(acc);
	ledger_close(l);
}

/* A charter update that moves this member to another row keeps its own
 * head there; the others' rows follow their keys. */
static void
test_reset_keeps_own(void **state)
{
	struct ledger *l = ledger_new();
	struct accept *acc = accept_new(&reordered, pk[SELF], NULL, 0);
	uint8_t h[WIRE_HASH_BYTES];

	(void)state;
	memset(&table, 0, sizeof(table));
	chain_table_reset(&table, &charter, SELF);
	hash_fill(h, 0x33);
	assert_int_equal(chain_save_own(&table, l, 9, h), 0);
	table.heads[ALICE].seq = 5;

	chain_table_reset(&table, &reordered, 2);
	assert_int_equal(table.self, 2);
	assert_int_equal(table.heads[2].seq, 9);
	assert_memory_equal(table.heads[2].hash, h, WIRE_HASH_BYTES);
	assert_memory_equal(table.heads[2].member, pk[SELF], ID_PUBLIC_BYTES);
	assert_memory_equal(table.heads[0].member, pk[BOB], ID_PUBLIC_BYTES);
	assert_int_equal(table.heads[0].seq, 0);
	assert_int_equal(table.heads[1].seq, 0);	/* reloaded from the ledger, not carried */
	assert_int_equal(chain_positions(&table, acc)[2], 9);

	accept_free(acc);
	ledger_close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_head),
		cmocka_unit_test(test_peer_heads_load),
		cmocka_unit_test(test_peer_head_save),
		cmocka_unit_test(test_reset_keeps_own),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
