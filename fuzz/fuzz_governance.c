/* fuzz_governance.c - libFuzzer target: the charter update decoder, and the
 * adoption check behind it. Whatever decodes must re-encode to the same
 * bytes (one encoding per update). Random bytes carry no valid signature,
 * so the target also rewrites a decoded update to follow the fixed
 * charter below and signs it with two of its voters, as members would:
 * then gov_check parses the text and must never answer "pending". In
 * between, gov_prune must leave only signatures gov_check counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coalition/governance.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct identity fuzz_ids[4];
static struct charter fuzz_cur, fuzz_next;
static uint8_t fuzz_hash[CHARTER_HASH_BYTES];
static struct gov_tally fuzz_tally;

/* The charter in force: f1 and f2 members, f3 protected, f4 observer (so
 * three voters, two signatures needed). The seeds in fuzz/corpus/governance
 * update this charter. Keys come from seeds {i, 0xa6, 0, ...}. */
static void
fuzz_init(void)
{
	static int done;
	static const char *const roles[] = { "member", "member", "protected", "observer" };
	char text[1024], pk[ID_PUBLIC_TEXT_MAX], err[512];
	size_t o;

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	o = (size_t)snprintf(text, sizeof(text), "coalition fuzz-net\n");
	for (int i = 0; i < 4; i++) {
		uint8_t seed[crypto_sign_SEEDBYTES] = { 0 };
		seed[0] = (uint8_t)(i + 1);
		seed[1] = 0xa6;
		crypto_sign_seed_keypair(fuzz_ids[i].pk, fuzz_ids[i].sk, seed);
		identity_pk_to_text(fuzz_ids[i].pk, pk, sizeof(pk));
		o += (size_t)snprintf(text + o, sizeof(text) - o, "member f%d %s %s\n", i + 1, pk,
		    roles[i]);
	}
	if (o >= sizeof(text) || charter_parse("fuzz", text, o, &fuzz_cur, err, sizeof(err)) != 0)
		abort();
	charter_hash(text, o, fuzz_hash);
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gov_update *u = NULL;
	uint8_t *again;
	size_t n;
	char err[1024];
	int rc;

	fuzz_init();
	err[0] = '\0';
	if (gov_decode(data, size, &u, err, sizeof(err)) != 0) {
		/* every refusal says why */
		if (u != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (u->nsigs > GOV_SIGS_MAX || u->text[u->len] != '\0')
		abort();
	n = gov_encoded_len(u);
	if (n != size || (again = malloc(n)) == NULL)
		abort();
	if (gov_encode(u, again, n) != n || memcmp(again, data, n) != 0)
		abort();
	free(again);

	/* As received: never adoptable without valid signatures of voters. */
	rc = gov_check(&fuzz_cur, fuzz_hash, u, &fuzz_next, &fuzz_tally, err, sizeof(err));
	if (rc == GOV_ADOPTABLE && fuzz_tally.counted < fuzz_tally.required)
		abort();

	/* Pruned, only what counts is left: gov_check counts the
	 * signatures first, whatever else it refuses. */
	gov_prune(u, &fuzz_cur);
	(void)gov_check(&fuzz_cur, fuzz_hash, u, &fuzz_next, &fuzz_tally, err, sizeof(err));
	if (fuzz_tally.counted != u->nsigs)
		abort();

	/* As members would make it: for this charter, signed by two voters. */
	strlcpy_ok(u->coalition, fuzz_cur.name, sizeof(u->coalition));
	u->version = fuzz_cur.version + 1;
	memcpy(u->prev_hash, fuzz_hash, CHARTER_HASH_BYTES);
	if (gov_sign(u, &fuzz_ids[0], err, sizeof(err)) == 0 &&
	    gov_sign(u, &fuzz_ids[1], err, sizeof(err)) == 0) {
		rc = gov_check(&fuzz_cur, fuzz_hash, u, &fuzz_next, &fuzz_tally, err, sizeof(err));
		if (rc == GOV_PENDING || fuzz_tally.counted < 2)
			abort();
		if (rc == GOV_ADOPTABLE && (strcmp(fuzz_next.name, fuzz_cur.name) != 0 ||
		    fuzz_next.version != u->version || charter_voters(&fuzz_next) == 0))
			abort();
	}
	gov_free(u);
	return 0;
}
