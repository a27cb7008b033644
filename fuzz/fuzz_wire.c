/* fuzz_wire.c - libFuzzer target: the envelope, commitment, proof and
 * revocation decoders. Random bytes never
 * carry a valid signature, so besides decoding the input as it is, the
 * target signs it with a fixed key (as a member could) to reach the report
 * parser, and checks that whatever decodes re-encodes to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coalition/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Offset of the reporter key in the header (docs/protocol.md). */
#define FUZZ_OFF_REPORTER 19

static struct identity fuzz_id;
static struct wire_envelope fuzz_env;
static struct wire_commitment fuzz_commit;
static struct wire_revocation fuzz_revoke;
static uint8_t fuzz_buf[WIRE_ENVELOPE_MAX], fuzz_again[WIRE_ENVELOPE_MAX];

static void
fuzz_init(void)
{
	static int done;
	uint8_t seed[crypto_sign_SEEDBYTES];

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0xa5, sizeof(seed));
	crypto_sign_seed_keypair(fuzz_id.pk, fuzz_id.sk, seed);
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();

	/* As received: length, version and signature checks. */
	(void)wire_decode(data, size, &fuzz_env);
	(void)wire_commit_decode(data, size, &fuzz_commit);
	(void)wire_revocation_decode(data, size, &fuzz_revoke);
	struct wire_proof proof;
	if (wire_proof_decode(data, size, &proof) == WIRE_OK &&
	    (proof.a < data || proof.b + proof.blen != data + size ||
	    proof.a + proof.alen > proof.b))
		abort();	/* the two envelopes must lie inside the input, in order */

	/* A commitment signed by a member ("AC"; the key sits where an
	 * envelope's reporter does): decoded, and re-encoded to the same bytes. */
	if (size >= 2 + 1 + 16 + ID_PUBLIC_BYTES + ID_SIGNATURE_BYTES && size <= sizeof(fuzz_buf) &&
	    wire_kind(data, size) == WIRE_KIND_COMMITMENT) {
		memcpy(fuzz_buf, data, size);
		memcpy(fuzz_buf + FUZZ_OFF_REPORTER, fuzz_id.pk, ID_PUBLIC_BYTES);
		crypto_sign_detached(fuzz_buf + size - ID_SIGNATURE_BYTES, NULL, fuzz_buf,
		    size - ID_SIGNATURE_BYTES, fuzz_id.sk);
		if (wire_commit_decode(fuzz_buf, size, &fuzz_commit) == WIRE_OK) {
			size_t n = wire_commit_encode(&fuzz_commit, &fuzz_id, fuzz_again,
			    sizeof(fuzz_again));
			if (n != size || memcmp(fuzz_again, fuzz_buf, size) != 0)
				abort();
		}
		return 0;
	}

	/* A revocation signed by a member ("AR", the signer's key at the same
	 * offset): decoded, and re-encoded to the same bytes (its chain hash
	 * is computed from the fields). */
	if (size >= 2 + 1 + 16 + ID_PUBLIC_BYTES + ID_SIGNATURE_BYTES && size <= WIRE_REVOKE_MAX &&
	    wire_kind(data, size) == WIRE_KIND_REVOCATION) {
		memcpy(fuzz_buf, data, size);
		memcpy(fuzz_buf + FUZZ_OFF_REPORTER, fuzz_id.pk, ID_PUBLIC_BYTES);
		crypto_sign_detached(fuzz_buf + size - ID_SIGNATURE_BYTES, NULL, fuzz_buf,
		    size - ID_SIGNATURE_BYTES, fuzz_id.sk);
		if (wire_revocation_decode(fuzz_buf, size, &fuzz_revoke) == WIRE_OK) {
			size_t n = wire_revocation_encode(&fuzz_revoke, &fuzz_id, fuzz_again,
			    sizeof(fuzz_again));
			if (n != size || memcmp(fuzz_again, fuzz_buf, size) != 0)
				abort();
		}
		return 0;
	}

	if (size < WIRE_HEADER_BYTES + ID_SIGNATURE_BYTES || size > sizeof(fuzz_buf))
		return 0;
	/* As signed by a member: the parser sees every byte of the body. */
	memcpy(fuzz_buf, data, size);
	memcpy(fuzz_buf + FUZZ_OFF_REPORTER, fuzz_id.pk, ID_PUBLIC_BYTES);
	crypto_sign_detached(fuzz_buf + size - ID_SIGNATURE_BYTES, NULL, fuzz_buf,
	    size - ID_SIGNATURE_BYTES, fuzz_id.sk);
	if (wire_decode(fuzz_buf, size, &fuzz_env) != WIRE_OK)
		return 0;

	/* One encoding per envelope: what decodes must encode back to the
	 * same bytes, or two members could disagree on a report's hash. */
	size_t n = wire_encode(&fuzz_env, &fuzz_id, fuzz_again, sizeof(fuzz_again));
	if (n != size || memcmp(fuzz_again, fuzz_buf, size) != 0)
		abort();
	for (size_t i = 0; i < fuzz_env.nreports; i++) {
		uint8_t h[WIRE_HASH_BYTES];
		wire_report_hash(&fuzz_env.reports[i], fuzz_env.reporter, h);
	}
	return 0;
}
