/* identity.c - a member's ed25519 key pair: creating and loading the key
 * files, and the "ed25519:BASE64" text form of public keys. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "coalition/identity.h"
#include "common/util.h"

#define PK_PREFIX "ed25519:"
#define PK_PREFIX_LEN (sizeof(PK_PREFIX) - 1)
/* Unpadded base64 of 32 bytes: ceil(32 * 4 / 3) characters. */
#define PK_B64_LEN 43

/*
 * The secret key file holds exactly the 64 raw bytes of libsodium's secret
 * key (seed || public key), nothing else. Raw rather than text: the loader
 * then has no parser to get wrong around secret material, "wrong size" is
 * the whole format check, and nobody pastes a secret key into a chat by
 * habit. The public half inside it is checked against the seed on load.
 */

/* Creates path exclusively with exactly `mode`: fchmod because the umask
 * may have taken bits away from what open() asked for. -1 with errno. */
static int
create_exclusive(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) != 0) {
		int e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	return fd;
}

/* Writes, syncs and closes fd; a key file lost to a power cut after
 * keygen said "done" would be worse than a slow keygen. */
static int
finish_file(int fd, const void *buf, size_t n)
{
	int rc = 0;

	if (fd_write_all(fd, buf, n) != 0 || fsync(fd) != 0)
		rc = -1;
	if (close(fd) != 0 && rc == 0)
		rc = -1;
	return rc;
}

int
identity_generate(const char *secret_path, const char *public_path,
    char *pk_text, size_t pk_text_len, char *err, size_t errlen)
{
	struct identity id;
	char text[ID_PUBLIC_TEXT_MAX + 1];
	int sfd = -1, pfd = -1, rc = -1;
	bool created_secret = false, created_public = false;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	/* Not fatal: without RLIMIT_MEMLOCK room the key may reach swap, which
	 * is still better than refusing to run. */
	(void)sodium_mlock(id.sk, sizeof(id.sk));
	crypto_sign_keypair(id.pk, id.sk);
	identity_pk_to_text(id.pk, text, sizeof(text));
	if (pk_text != NULL && strlen(text) >= pk_text_len) {
		snprintf(err, errlen, "public key text buffer too small (%zu bytes, need %zu)",
		    pk_text_len, strlen(text) + 1);
		goto cleanup;
	}

	/* Both files are created before either is written, so a refusal to
	 * overwrite leaves nothing behind. */
	if ((sfd = create_exclusive(secret_path, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s%s", secret_path, strerror(errno),
		    errno == EEXIST ? " (refusing to overwrite a key file)" : "");
		goto cleanup;
	}
	created_secret = true;
	if ((pfd = create_exclusive(public_path, 0644)) < 0) {
		snprintf(err, errlen, "%s: %s%s", public_path, strerror(errno),
		    errno == EEXIST ? " (refusing to overwrite a key file)" : "");
		goto cleanup;
	}
	created_public = true;

	rc = finish_file(sfd, id.sk, sizeof(id.sk));
	sfd = -1;
	if (rc != 0) {
		snprintf(err, errlen, "%s: write: %s", secret_path, strerror(errno));
		goto cleanup;
	}
	size_t tlen = strlen(text);
	text[tlen] = '\n';
	rc = finish_file(pfd, text, tlen + 1);
	text[tlen] = '\0';
	pfd = -1;
	if (rc != 0) {
		snprintf(err, errlen, "%s: write: %s", public_path, strerror(errno));
		goto cleanup;
	}
	if (pk_text != NULL)
		memcpy(pk_text, text, tlen + 1);
	rc = 0;

cleanup:
	if (sfd >= 0)
		close(sfd);
	if (pfd >= 0)
		close(pfd);
	if (rc != 0) {
		/* Half a key pair is of no use to anyone; leave no trace. */
		if (created_secret)
			unlink(secret_path);
		if (created_public)
			unlink(public_path);
	}
	identity_wipe(&id);
	return rc;
}

int
identity_load(const char *secret_path, struct identity *id, char *err, size_t errlen)
{
	uint8_t buf[ID_SECRET_BYTES + 1];	/* one more: notices a file that grew */
	uint8_t seed[crypto_sign_SEEDBYTES], pk[ID_PUBLIC_BYTES], sk[ID_SECRET_BYTES];
	struct stat st;
	size_t got = 0;
	int fd = -1, rc = -1;

	memset(id, 0, sizeof(*id));
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	(void)sodium_mlock(id->sk, sizeof(id->sk));	/* best effort, as in identity_generate */
	(void)sodium_mlock(buf, sizeof(buf));
	/* O_NONBLOCK: a FIFO planted at the path must not hang the daemon;
	 * it is refused below as not a regular file. */
	if ((fd = open(secret_path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", secret_path, strerror(errno));
		goto cleanup;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", secret_path, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "secret key file %s is not a regular file", secret_path);
		goto cleanup;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "secret key file %s is readable by group or others "
		    "(mode %04o); chmod 600 %s", secret_path, (unsigned)(st.st_mode & 07777),
		    secret_path);
		goto cleanup;
	}
	/* Read until EOF rather than trusting st_size: the file is judged by
	 * what was actually read. */
	while (got < sizeof(buf)) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: read: %s", secret_path, strerror(errno));
			goto cleanup;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got != ID_SECRET_BYTES) {
		snprintf(err, errlen, "secret key file %s has the wrong size (%s%zu bytes, "
		    "expected exactly %d: the raw key written by 'article5 keygen')",
		    secret_path, got > ID_SECRET_BYTES ? "more than " : "",
		    got > ID_SECRET_BYTES ? (size_t)ID_SECRET_BYTES : got, ID_SECRET_BYTES);
		goto cleanup;
	}
	/* The second half is the public key: it must be the one the seed
	 * gives, or a damaged file would sign with a key nobody knows. */
	memcpy(seed, buf, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	if (sodium_memcmp(sk, buf, ID_SECRET_BYTES) != 0) {
		snprintf(err, errlen, "secret key file %s is damaged: its public half does not "
		    "match its seed", secret_path);
		goto cleanup;
	}
	memcpy(id->sk, buf, ID_SECRET_BYTES);
	memcpy(id->pk, pk, ID_PUBLIC_BYTES);
	rc = 0;

cleanup:
	if (fd >= 0)
		close(fd);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_munlock(buf, sizeof(buf));	/* zeroes, then unlocks */
	if (rc != 0)
		identity_wipe(id);
	return rc;
}

void
identity_wipe(struct identity *id)
{
	/* sodium_munlock zeroes before unlocking, and is harmless on memory
	 * that was never locked. */
	sodium_munlock(id->sk, sizeof(id->sk));
	sodium_memzero(id->pk, sizeof(id->pk));
	nkey_wipe(&id->nats_key);
	id->has_nats_key = false;
}

void
identity_token(const uint8_t pk[ID_PUBLIC_BYTES], char out[ID_TOKEN_TEXT])
{
	sodium_bin2hex(out, ID_TOKEN_TEXT, pk, (ID_TOKEN_TEXT - 1) / 2);
}

void
identity_pk_to_text(const uint8_t pk[ID_PUBLIC_BYTES], char *out, size_t n)
{
	char b64[sodium_base64_ENCODED_LEN(ID_PUBLIC_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	if (n == 0)
		return;
	sodium_bin2base64(b64, sizeof(b64), pk, ID_PUBLIC_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	/* Truncated output would be a different, wrong key: write nothing. */
	if ((size_t)snprintf(out, n, PK_PREFIX "%s", b64) >= n)
		out[0] = '\0';
}

int
identity_pk_from_text(const char *s, uint8_t pk[ID_PUBLIC_BYTES])
{
	uint8_t bin[ID_PUBLIC_BYTES];
	char again[ID_PUBLIC_TEXT_MAX];
	const char *end = NULL;
	size_t binlen = 0;

	if (strncmp(s, PK_PREFIX, PK_PREFIX_LEN) != 0)
		return -1;
	s += PK_PREFIX_LEN;
	/* Exact length first: this rejects padding ("=") and trailing bytes,
	 * newline included, before the decoder sees them. */
	if (strnlen(s, PK_B64_LEN + 1) != PK_B64_LEN)
		return -1;
	if (sodium_base642bin(bin, sizeof(bin), s, PK_B64_LEN, NULL, &binlen, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    binlen != ID_PUBLIC_BYTES || end != s + PK_B64_LEN)
		return -1;
	/* The last character carries 2 unused bits; only the form with them
	 * zero is accepted, so each key has exactly one text. */
	identity_pk_to_text(bin, again, sizeof(again));
	if (strcmp(again + PK_PREFIX_LEN, s) != 0)
		return -1;
	memcpy(pk, bin, ID_PUBLIC_BYTES);
	return 0;
}
