/* nkey.h - NATS user nkeys: the ed25519 key a member (or an invitee) uses
 * to log in to the coalition's nats-server, in NATS' own text encoding
 * (base32 of a prefix byte, the key and a CRC16), and the nonce signature
 * libnats asks for when it connects. A member's nkey is NOT its article5
 * identity: nats-server chooses the nonce it asks the client to sign, so
 * a hostile server could make an identity key sign a charter-update
 * digest; the two keys never meet. */
#ifndef A5_NKEY_H
#define A5_NKEY_H

#include <stddef.h>
#include <stdint.h>

#define NKEY_SEED_BYTES 32
#define NKEY_PUBLIC_TEXT 56	/* "U" + 55 base32 characters */
#define NKEY_SEED_TEXT 58	/* "SU" + 56 base32 characters */

struct nkey {
	char pub[NKEY_PUBLIC_TEXT + 1];	/* "U...", what nats-server's config names */
	uint8_t sk[64];			/* libsodium's seed||public form, wiped by nkey_wipe */
};

/* The user key pair of a 32-byte seed. */
void nkey_from_seed(const uint8_t seed[NKEY_SEED_BYTES], struct nkey *k);
/* A new random user key pair. */
void nkey_generate(struct nkey *k);
/* "SU..." text of k's seed into out (at least NKEY_SEED_TEXT + 1 bytes). */
void nkey_seed_text(const struct nkey *k, char *out, size_t n);
/* "U..." text of a 32-byte public key into out (at least NKEY_PUBLIC_TEXT + 1). */
void nkey_public_text(const uint8_t pk[32], char *out, size_t n);
/* Decodes a user seed "SU..." (exact length, alphabet, prefix and CRC
 * checked, no trailing garbage) into k. 0 or -1. */
int nkey_from_seed_text(const char *s, struct nkey *k);
/* Whether s is a well-formed user public key "U..." (length, alphabet,
 * prefix, CRC). */
int nkey_public_valid(const char *s);

/* Writes a new seed file: created 0600 with O_EXCL (never overwrites),
 * the seed text and a newline. 0 or -1 with err. */
int nkey_write_seed_file(const char *path, const struct nkey *k, char *err, size_t errlen);
/* Loads a seed file: refused if readable by group or others, larger than
 * a line, or not one user seed (surrounding white space allowed). */
int nkey_load(const char *path, struct nkey *k, char *err, size_t errlen);
void nkey_wipe(struct nkey *k);
/* The 64-byte ed25519 signature of the server's nonce (what libnats'
 * signature callback returns), into sig. */
void nkey_sign_nonce(const struct nkey *k, const char *nonce, uint8_t sig[64]);

#endif
