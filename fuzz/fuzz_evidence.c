/* fuzz_evidence.c - libFuzzer target: the evidence file parser (proofs
 * that a member equivocated, received from anyone and checked offline),
 * the proof message decoder ("AP") and the key text decoder. The input is
 * also tried as a proof message whose envelopes are checked like a
 * receiver does.
 *
 * The charter names the key of seed 0xa5 (the key fuzz_wire signs with), so
 * a well-formed evidence file by that key reaches the signature checks;
 * fuzz/corpus/evidence/ holds such a file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coalition/charter.h"
#include "coalition/evidence_file.h"
#include "coalition/identity.h"
#include "coalition/proof_check.h"
#include "coalition/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct charter fuzz_charter;

static void
fuzz_init(void)
{
	static int done;
	uint8_t seed[crypto_sign_SEEDBYTES], pk[ID_PUBLIC_BYTES], sk[crypto_sign_SECRETKEYBYTES];
	char key[ID_PUBLIC_TEXT_MAX], text[512], err[512];

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0xa5, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	identity_pk_to_text(pk, key, sizeof(key));
	snprintf(text, sizeof(text), "coalition fuzz\nnats nats://127.0.0.1:4222\n"
	    "member alice %s member 192.0.2.1/32\n", key);
	if (charter_parse("fuzz.charter", text, strlen(text), &fuzz_charter, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	done = 1;
}

static void
each(void *arg, size_t line, bool valid, const char *msg)
{
	(void)arg;
	(void)line;
	(void)valid;
	if (msg == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	uint8_t pk[ID_PUBLIC_BYTES];
	struct wire_proof p;
	struct journal_proof pr;

	fuzz_init();
	(void)journal_evidence_check((const char *)data, size, &fuzz_charter, each, NULL, err,
	    sizeof(err));
	if (size < 128) {
		char s[128];
		memcpy(s, data, size);
		s[size] = '\0';
		(void)identity_pk_from_text(s, pk);
	}
	if (wire_proof_decode(data, size, &p) == WIRE_OK)
		(void)journal_proof_check(p.a, p.alen, p.b, p.blen, p.seq, &pr, err, sizeof(err));
	return 0;
}
