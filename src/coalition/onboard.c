/* onboard.c - the invitation token and the names of the join stream (see
 * onboard.h). The token's binary form, before base64:
 *   "A5J1" | n | coalition (n) | m | name (m) | role (1) | charter hash (32)
 *   | secret (32) | k | k x (len (1) | URL (len))
 * with n, m in 1..47, role 0..2, k in 1..8, len in 1..255. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "coalition/onboard.h"

#define MAGIC "A5J1"
#define BIN_MAX (4 + 1 + 48 + 1 + 48 + 1 + 32 + 32 + 1 + CHARTER_URLS_MAX * 256)

int
onb_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return 0;
	}
	return n >= 1 && n < CHARTER_NAME_MAX;
}

int
onb_url_ok(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > 255 || strchr(u, '@') != NULL)
		return 0;
	if (strncmp(u, "nats://", 7) != 0 && strncmp(u, "tls://", 6) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (u[i] <= ' ' || u[i] > '~')
			return 0;
	return u[strncmp(u, "tls://", 6) == 0 ? 6 : 7] != '\0';
}

int
onb_token_encode(const struct onb_token *t, char *out, size_t n)
{
	uint8_t bin[BIN_MAX];
	size_t o = 0, a = strlen(t->coalition), b = strlen(t->name);

	if (!onb_name_ok(t->coalition) || !onb_name_ok(t->name) || (unsigned)t->role > ROLE_OBSERVER ||
	    t->nurls == 0 || t->nurls > CHARTER_URLS_MAX)
		return -1;
	for (o = 0; o < 4; o++)
		bin[o] = (uint8_t)MAGIC[o];
	bin[o++] = (uint8_t)a, memcpy(bin + o, t->coalition, a), o += a;
	bin[o++] = (uint8_t)b, memcpy(bin + o, t->name, b), o += b;
	bin[o++] = (uint8_t)t->role;
	memcpy(bin + o, t->charter_hash, 32), o += 32;
	memcpy(bin + o, t->secret, 32), o += 32;
	bin[o++] = (uint8_t)t->nurls;
	for (size_t i = 0; i < t->nurls; i++) {
		size_t l = strlen(t->urls[i]);
		if (!onb_url_ok(t->urls[i]))
			return -1;
		bin[o++] = (uint8_t)l, memcpy(bin + o, t->urls[i], l), o += l;
	}
	size_t plen = strlen(ONB_TOKEN_PREFIX);
	size_t need = plen + sodium_base64_ENCODED_LEN(o, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (need > n || need > ONB_TOKEN_TEXT_MAX) {
		sodium_memzero(bin, sizeof(bin));
		return -1;
	}
	snprintf(out, n, "%s", ONB_TOKEN_PREFIX);	/* need <= n: fits */
	sodium_bin2base64(out + plen, n - plen, bin, o, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(bin, sizeof(bin));
	return 0;
}

/* A length-prefixed name from bin at *o (of len): a charter name. */
static int
get_name(const uint8_t *bin, size_t len, size_t *o, char *out, const char *what, char *err,
    size_t errlen)
{
	size_t l;

	/* A NUL inside would cut the name short: two tokens for one text. */
	if (*o >= len || (l = bin[*o]) == 0 || l >= CHARTER_NAME_MAX || len - *o - 1 < l ||
	    memchr(bin + *o + 1, '\0', l) != NULL) {
		snprintf(err, errlen, "token: %s: bad length", what);
		return -1;
	}
	memcpy(out, bin + *o + 1, l);
	out[l] = '\0';
	*o += 1 + l;
	if (!onb_name_ok(out)) {
		snprintf(err, errlen, "token: %s is not 1 to %d letters, digits, '-' or '_'", what,
		    CHARTER_NAME_MAX - 1);
		return -1;
	}
	return 0;
}

int
onb_token_decode(const char *text, struct onb_token *t, char *err, size_t errlen)
{
	uint8_t bin[BIN_MAX];
	size_t plen = strlen(ONB_TOKEN_PREFIX), tlen = strlen(text), len = 0, o = 0;
	const char *end = NULL;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (tlen > ONB_TOKEN_TEXT_MAX || strncmp(text, ONB_TOKEN_PREFIX, plen) != 0) {
		snprintf(err, errlen, "not an article5 invitation (expected '%s...', at most %d characters)",
		    ONB_TOKEN_PREFIX, ONB_TOKEN_TEXT_MAX);
		return -1;
	}
	/* Only the 64 characters of the alphabet: libsodium's decoder compares
	 * in plain char, and a byte above 0x7f can pass for '_' (0xf5 did, found
	 * by fuzz_token), so two texts would name one token. */
	if (strspn(text + plen, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") != tlen - plen) {
		snprintf(err, errlen, "token: not URL-safe base64 (damaged when copied?)");
		return -1;
	}
	if (sodium_base642bin(bin, sizeof(bin), text + plen, tlen - plen, NULL, &len, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || end != text + tlen) {
		snprintf(err, errlen, "token: not URL-safe base64 (damaged when copied?)");
		goto out;
	}
	if (len < 4 || memcmp(bin, MAGIC, 4) != 0) {
		snprintf(err, errlen, "token: unknown format");
		goto out;
	}
	o = 4;
	if (get_name(bin, len, &o, t->coalition, "coalition name", err, errlen) != 0 ||
	    get_name(bin, len, &o, t->name, "member name", err, errlen) != 0)
		goto out;
	if (len - o < 1 + 32 + 32 + 1 || bin[o] > ROLE_OBSERVER) {
		snprintf(err, errlen, "token: truncated or unknown role");
		goto out;
	}
	t->role = (enum member_role)bin[o++];
	memcpy(t->charter_hash, bin + o, 32), o += 32;
	memcpy(t->secret, bin + o, 32), o += 32;
	t->nurls = bin[o++];
	if (t->nurls == 0 || t->nurls > CHARTER_URLS_MAX) {
		snprintf(err, errlen, "token: %zu NATS URLs, expected 1 to %d", t->nurls, CHARTER_URLS_MAX);
		goto out;
	}
	for (size_t i = 0; i < t->nurls; i++) {
		size_t l;
		if (o >= len || (l = bin[o]) == 0 || l >= sizeof(t->urls[i]) || len - o - 1 < l ||
		    memchr(bin + o + 1, '\0', l) != NULL) {
			snprintf(err, errlen, "token: NATS URL %zu: bad length", i + 1);
			goto out;
		}
		memcpy(t->urls[i], bin + o + 1, l);
		t->urls[i][l] = '\0';
		o += 1 + l;
		if (!onb_url_ok(t->urls[i])) {
			snprintf(err, errlen, "token: NATS URL %zu is not nats://HOST[:PORT] or tls://...", i + 1);
			goto out;
		}
	}
	if (o != len) {
		snprintf(err, errlen, "token: %zu bytes after the end", len - o);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(bin, sizeof(bin));
	if (rc != 0)
		onb_token_wipe(t);
	return rc;
}

void
onb_token_wipe(struct onb_token *t)
{
	sodium_memzero(t, sizeof(*t));
}

void
onb_invite_key(const struct onb_token *t, struct nkey *k)
{
	static const char domain[] = "article5/invite-nkey/v1";
	crypto_generichash_state st;
	uint8_t seed[NKEY_SEED_BYTES];

	crypto_generichash_init(&st, t->secret, sizeof(t->secret), sizeof(seed));
	crypto_generichash_update(&st, (const uint8_t *)domain, sizeof(domain));
	crypto_generichash_update(&st, (const uint8_t *)t->coalition, strlen(t->coalition) + 1);
	crypto_generichash_update(&st, (const uint8_t *)t->name, strlen(t->name) + 1);
	crypto_generichash_final(&st, seed, sizeof(seed));
	nkey_from_seed(seed, k);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(&st, sizeof(st));
}

int
onb_join_stream(const char *coalition, char *out, size_t n)
{
	int w = snprintf(out, n, "A5J_%s", coalition);

	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

int
onb_join_subject(const char *coalition, const char *name, const char *what, char *out, size_t n)
{
	int w = snprintf(out, n, "a5.%s.j.%s.%s", coalition, name, what);

	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}
