/* identity.h - a member's ed25519 identity: key files and key text. */
#ifndef A5_IDENTITY_H
#define A5_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coalition/nkey.h"

#define ID_PUBLIC_BYTES 32
#define ID_SECRET_BYTES 64	/* libsodium's seed||public form */
#define ID_SIGNATURE_BYTES 64
/* "ed25519:" + unpadded URL-safe base64 of 32 bytes (43 chars) + NUL */
#define ID_PUBLIC_TEXT_MAX 56

struct identity {
	uint8_t pk[ID_PUBLIC_BYTES];
	uint8_t sk[ID_SECRET_BYTES];	/* sodium_mlock'ed, wiped by identity_wipe */
	/* The NATS login key (configuration's nats_nkey), read with the
	 * identity as root; a separate key, see nkey.h. */
	bool has_nats_key;
	struct nkey nats_key;
};

/* Writes a new key pair: the secret file is created 0600 (O_EXCL: never
 * overwrites), the public file 0644 holds the key text and a newline.
 * 0, or -1 with err filled. */
int identity_generate(const char *secret_path, const char *public_path,
    char *pk_text, size_t pk_text_len, char *err, size_t errlen);
/* Loads a secret key file (exactly the 64 raw bytes of sk, as written by
 * identity_generate); refuses one readable by group or others, of the
 * wrong size, or whose public half does not match its seed. 0 or -1 with
 * err (and id wiped). */
int identity_load(const char *secret_path, struct identity *id, char *err, size_t errlen);
void identity_wipe(struct identity *id);

/* A member's token in NATS subjects and inboxes (a5.<c>.r.<token>,
 * a5.<c>.k.<token>, _A5M.<token>): the hex of its key's first 8 bytes. */
#define ID_TOKEN_TEXT 17
void identity_token(const uint8_t pk[ID_PUBLIC_BYTES], char out[ID_TOKEN_TEXT]);

/* "ed25519:BASE64" <-> 32 bytes; parse refuses any other length, padding
 * or trailing garbage. */
void identity_pk_to_text(const uint8_t pk[ID_PUBLIC_BYTES], char *out, size_t n);
int identity_pk_from_text(const char *s, uint8_t pk[ID_PUBLIC_BYTES]);

#endif
