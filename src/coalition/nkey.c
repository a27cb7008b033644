/* nkey.c - NATS user nkeys (see nkey.h): the text encoding nats-server and
 * libnats use (RFC 4648 base32 without padding of a prefix, the 32 key
 * bytes and a CRC16/XMODEM, little-endian), key files and the nonce
 * signature. The keys and signatures are libsodium's ed25519; only the
 * encoding is written here (libnats can read a seed but not make one). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "coalition/nkey.h"

#define PREFIX_SEED (18 << 3)	/* 'S' */
#define PREFIX_USER (20 << 3)	/* 'U' */
#define SEED_RAW 36		/* 2 prefix bytes, 32 seed bytes, CRC */
#define PUBLIC_RAW 35		/* 1 prefix byte, 32 key bytes, CRC */
#define SEED_FILE_MAX 256

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static uint16_t
crc16_xmodem(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

/* n bytes to ceil(8n/5) characters and a NUL; out has room (callers' sizes). */
static void
b32_encode(const uint8_t *in, size_t n, char *out)
{
	unsigned buf = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

/* Exactly want bytes from exactly the characters of s; the unused low
 * bits of the last character must be zero (one encoding per key). */
static int
b32_decode(const char *s, uint8_t *out, size_t want)
{
	size_t len = strlen(s), o = 0;
	unsigned buf = 0, bits = 0;

	if (len != (want * 8 + 4) / 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *c = s[i] != '\0' ? strchr(b32, s[i]) : NULL;
		if (c == NULL)
			return -1;
		buf = (buf << 5) | (unsigned)(c - b32);
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(buf >> (bits - 8));
			bits -= 8;
		}
		buf &= (1u << bits) - 1;
	}
	return (o == want && buf == 0) ? 0 : -1;
}

void
nkey_from_seed(const uint8_t seed[NKEY_SEED_BYTES], struct nkey *k)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];

	crypto_sign_seed_keypair(pk, k->sk, seed);
	nkey_public_text(pk, k->pub, sizeof(k->pub));
}

void
nkey_generate(struct nkey *k)
{
	uint8_t seed[NKEY_SEED_BYTES];

	randombytes_buf(seed, sizeof(seed));
	nkey_from_seed(seed, k);
	sodium_memzero(seed, sizeof(seed));
}

void
nkey_public_text(const uint8_t pk[32], char *out, size_t n)
{
	uint8_t raw[PUBLIC_RAW];
	char text[NKEY_PUBLIC_TEXT + 1];
	uint16_t crc;

	raw[0] = PREFIX_USER;
	memcpy(raw + 1, pk, 32);
	crc = crc16_xmodem(raw, 33);
	raw[33] = (uint8_t)(crc & 0xff);
	raw[34] = (uint8_t)(crc >> 8);
	b32_encode(raw, sizeof(raw), text);
	snprintf(out, n, "%s", text);
}

void
nkey_seed_text(const struct nkey *k, char *out, size_t n)
{
	uint8_t raw[SEED_RAW];
	char text[NKEY_SEED_TEXT + 1];
	uint16_t crc;

	raw[0] = (uint8_t)(PREFIX_SEED | (PREFIX_USER >> 5));
	raw[1] = (uint8_t)((PREFIX_USER & 31) << 3);
	memcpy(raw + 2, k->sk, 32);	/* the seed half of seed||public */
	crc = crc16_xmodem(raw, 34);
	raw[34] = (uint8_t)(crc & 0xff);
	raw[35] = (uint8_t)(crc >> 8);
	b32_encode(raw, sizeof(raw), text);
	snprintf(out, n, "%s", text);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(text, sizeof(text));
}

int
nkey_from_seed_text(const char *s, struct nkey *k)
{
	uint8_t raw[SEED_RAW];
	int rc = -1;

	if (b32_decode(s, raw, sizeof(raw)) != 0)
		goto out;
	if (raw[0] != (uint8_t)(PREFIX_SEED | (PREFIX_USER >> 5)) ||
	    raw[1] != (uint8_t)((PREFIX_USER & 31) << 3))
		goto out;
	if (crc16_xmodem(raw, 34) != (uint16_t)(raw[34] | raw[35] << 8))
		goto out;
	nkey_from_seed(raw + 2, k);
	rc = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

int
nkey_public_valid(const char *s)
{
	uint8_t raw[PUBLIC_RAW];

	return b32_decode(s, raw, sizeof(raw)) == 0 && raw[0] == PREFIX_USER &&
	    crc16_xmodem(raw, 33) == (uint16_t)(raw[33] | raw[34] << 8);
}

int
nkey_write_seed_file(const char *path, const struct nkey *k, char *err, size_t errlen)
{
	char text[NKEY_SEED_TEXT + 2];
	size_t len;
	int fd, rc = -1;

	nkey_seed_text(k, text, sizeof(text));
	len = strlen(text);
	text[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "%s: close: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	return rc;
}

int
nkey_load(const char *path, struct nkey *k, char *err, size_t errlen)
{
	char buf[SEED_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t a, b;
	int fd, rc = -1;

	memset(k, 0, sizeof(*k));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: NATS nkey seed readable by group or others (mode %04o), "
		    "expected 0600", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0 || n > SEED_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "larger than a seed line");
		goto out;
	}
	buf[n] = '\0';
	for (a = 0; a < (size_t)n && strchr(" \t\r\n", buf[a]) != NULL; a++)
		;
	for (b = (size_t)n; b > a && strchr(" \t\r\n", buf[b - 1]) != NULL; b--)
		;
	buf[b] = '\0';
	if (memchr(buf + a, '\0', b - a) != NULL || nkey_from_seed_text(buf + a, k) != 0) {
		snprintf(err, errlen, "%s: not a NATS user nkey seed (SU... , 58 characters)", path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

void
nkey_wipe(struct nkey *k)
{
	sodium_memzero(k, sizeof(*k));
}

void
nkey_sign_nonce(const struct nkey *k, const char *nonce, uint8_t sig[64])
{
	crypto_sign_detached(sig, NULL, (const unsigned char *)nonce, strlen(nonce), k->sk);
}
