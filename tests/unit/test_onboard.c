/* test_onboard.c - joining a coalition: the invitation token (round trip,
 * hostile tokens), NATS nkeys (checked against libnats' own decoder and
 * signer), the invitee key derivation and the users list. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nats/nats.h>
#include <sodium.h>

#include "coalition/nkey.h"
#include "coalition/onboard.h"
#include "coalition/onboard_conf.h"

static void
sample(struct onb_token *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->coalition, sizeof(t->coalition), "e2e");
	snprintf(t->name, sizeof(t->name), "m2");
	t->role = ROLE_PROTECTED;
	randombytes_buf(t->charter_hash, sizeof(t->charter_hash));
	randombytes_buf(t->secret, sizeof(t->secret));
	t->nurls = 2;
	snprintf(t->urls[0], sizeof(t->urls[0]), "nats://198.51.100.1:4222");
	snprintf(t->urls[1], sizeof(t->urls[1]), "tls://nats.example.org");
}

static void
test_token_round_trip(void **state)
{
	struct onb_token t, d;
	char text[ONB_TOKEN_TEXT_MAX + 1], err[256];

	(void)state;
	sample(&t);
	assert_int_equal(onb_token_encode(&t, text, sizeof(text)), 0);
	assert_memory_equal(text, ONB_TOKEN_PREFIX, strlen(ONB_TOKEN_PREFIX));
	assert_null(strpbrk(text, " \n+/="));
	assert_int_equal(onb_token_decode(text, &d, err, sizeof(err)), 0);
	assert_string_equal(d.coalition, "e2e");
	assert_string_equal(d.name, "m2");
	assert_int_equal(d.role, ROLE_PROTECTED);
	assert_memory_equal(d.charter_hash, t.charter_hash, 32);
	assert_memory_equal(d.secret, t.secret, 32);
	assert_int_equal(d.nurls, 2);
	assert_string_equal(d.urls[1], "tls://nats.example.org");
	/* too small a buffer, a bad name, no URL, a URL with credentials */
	assert_int_equal(onb_token_encode(&t, text, 20), -1);
	snprintf(t.name, sizeof(t.name), "a.b");
	assert_int_equal(onb_token_encode(&t, text, sizeof(text)), -1);
	sample(&t);
	t.nurls = 0;
	assert_int_equal(onb_token_encode(&t, text, sizeof(text)), -1);
	sample(&t);
	snprintf(t.urls[0], sizeof(t.urls[0]), "nats://u:p@host");
	assert_int_equal(onb_token_encode(&t, text, sizeof(text)), -1);
}

/* Encodes raw binary bytes as a token text. */
static void
raw_token(const uint8_t *bin, size_t n, char *out, size_t outn)
{
	size_t p = strlen(ONB_TOKEN_PREFIX);

	memcpy(out, ONB_TOKEN_PREFIX, p);
	sodium_bin2base64(out + p, outn - p, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void
test_token_hostile(void **state)
{
	struct onb_token t, d;
	char text[ONB_TOKEN_TEXT_MAX + 1], bad[ONB_TOKEN_TEXT_MAX + 64], err[256];
	uint8_t bin[4096];
	size_t n = 0;

	(void)state;
	sample(&t);
	t.nurls = 1;
	assert_int_equal(onb_token_encode(&t, text, sizeof(text)), 0);
	/* not a token, wrong prefix, bad base64, padding, trailing garbage */
	assert_int_equal(onb_token_decode("", &d, err, sizeof(err)), -1);
	assert_int_equal(onb_token_decode("a5join2:QTVK", &d, err, sizeof(err)), -1);
	snprintf(bad, sizeof(bad), "%s=", text);
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	snprintf(bad, sizeof(bad), "%s!", text);
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	/* a byte above 0x7f in place of any character is refused: libsodium's
	 * decoder took 0xf5 for '_' (fuzz_token), two texts for one token */
	for (size_t i = strlen(ONB_TOKEN_PREFIX); i < strlen(text); i++) {
		snprintf(bad, sizeof(bad), "%s", text);
		bad[i] = (char)0xf5;
		assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	}
	/* every truncation of the text is refused, and leaves nothing behind */
	for (size_t l = strlen(ONB_TOKEN_PREFIX); l < strlen(text); l++) {
		memcpy(bad, text, l);
		bad[l] = '\0';
		assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
		for (size_t i = 0; i < sizeof(d.secret); i++)
			assert_int_equal(d.secret[i], 0);
	}
	/* too long */
	memset(bad, 'A', sizeof(bad) - 1);
	memcpy(bad, ONB_TOKEN_PREFIX, strlen(ONB_TOKEN_PREFIX));
	bad[sizeof(bad) - 1] = '\0';
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	/* hand-made binaries: a bad role, a name with a dot, a byte too many */
	memcpy(bin, "A5J1", 4), n = 4;
	bin[n++] = 3, memcpy(bin + n, "e2e", 3), n += 3;
	bin[n++] = 2, memcpy(bin + n, "m2", 2), n += 2;
	bin[n++] = 0;
	memset(bin + n, 7, 64), n += 64;
	bin[n++] = 1;
	bin[n++] = 14, memcpy(bin + n, "nats://h:4222x", 14), n += 14;
	raw_token(bin, n, bad, sizeof(bad));
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), 0);
	bin[n] = 0;
	raw_token(bin, n + 1, bad, sizeof(bad));
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "after the end"));
	bin[4 + 1 + 3 + 1 + 2] = 3;	/* role */
	raw_token(bin, n, bad, sizeof(bad));
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	bin[4 + 1 + 3 + 1 + 2] = 0;
	bin[4 + 1 + 3 + 1 + 1] = '.';	/* "m." */
	raw_token(bin, n, bad, sizeof(bad));
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	bin[4 + 1 + 3 + 1 + 1] = '\0';	/* "m\0": a NUL would cut the name short */
	raw_token(bin, n, bad, sizeof(bad));
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	bin[4 + 1 + 3 + 1 + 1] = '2';
	bin[n - 2] = '\0';		/* "nats://h:42\0\x" (fuzz_token) */
	raw_token(bin, n, bad, sizeof(bad));
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
	bin[n - 2] = '2';
	bin[4] = 200;			/* a name length beyond the buffer */
	raw_token(bin, n, bad, sizeof(bad));
	assert_int_equal(onb_token_decode(bad, &d, err, sizeof(err)), -1);
}

static void
test_invite_key(void **state)
{
	struct onb_token t;
	struct nkey a, b;

	(void)state;
	sample(&t);
	onb_invite_key(&t, &a);
	onb_invite_key(&t, &b);
	assert_string_equal(a.pub, b.pub);	/* inviter and invitee derive the same */
	assert_true(nkey_public_valid(a.pub));
	t.secret[0] ^= 1;
	onb_invite_key(&t, &b);
	assert_string_not_equal(a.pub, b.pub);
	t.secret[0] ^= 1;
	snprintf(t.name, sizeof(t.name), "m3");	/* another invitee, another key */
	onb_invite_key(&t, &b);
	assert_string_not_equal(a.pub, b.pub);
}

/* Independent RFC 4648 base32 decoder (the test's own, not nkey.c's). */
static int
sodium_base322bin_fallback(const char *s, uint8_t *out, size_t *n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned long long acc = 0;
	int bits = 0;

	*n = 0;
	for (; *s; s++) {
		const char *p = strchr(a, *s);
		if (p == NULL)
			return -1;
		acc = (acc << 5) | (unsigned long long)(p - a);
		bits += 5;
		if (bits >= 8) {
			out[(*n)++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return 0;
}

/* The key texts: prefixes, lengths, a signature verifying under the
 * public key decoded independently, and damaged texts refused. */
static void
test_nkey_libnats(void **state)
{
	struct nkey k, k2;
	char seed[NKEY_SEED_TEXT + 1];
	unsigned char *sig = NULL;
	uint8_t mine[64], pk[32];
	int siglen = 0;

	(void)state;
	nkey_generate(&k);
	nkey_seed_text(&k, seed, sizeof(seed));
	assert_int_equal(strlen(seed), NKEY_SEED_TEXT);
	assert_memory_equal(seed, "SU", 2);
	assert_int_equal(strlen(k.pub), NKEY_PUBLIC_TEXT);
	assert_int_equal(k.pub[0], 'U');
	/* the signature libnats sends for us verifies under the public key
	 * the server configuration names (nats-server itself checks this in
	 * tests/e2e/onboard.sh) */
	uint8_t raw[35];
	size_t rawlen = 0;
	nkey_sign_nonce(&k, "nonce-123", mine);
	assert_int_equal(sodium_base322bin_fallback(k.pub, raw, &rawlen), 0);
	assert_int_equal(rawlen, 35);
	assert_int_equal(raw[0], 20 << 3);
	memcpy(pk, raw + 1, 32);
	assert_int_equal(crypto_sign_verify_detached(mine, (const uint8_t *)"nonce-123", 9, pk), 0);
	(void)sig;
	(void)siglen;
	/* the seed text reads back; a damaged one does not */
	assert_int_equal(nkey_from_seed_text(seed, &k2), 0);
	assert_string_equal(k2.pub, k.pub);
	seed[10] = seed[10] == 'A' ? 'B' : 'A';
	assert_int_equal(nkey_from_seed_text(seed, &k2), -1);
	assert_false(nkey_public_valid("UAAAA"));
	char pub[NKEY_PUBLIC_TEXT + 1];
	memcpy(pub, k.pub, sizeof(pub));
	pub[20] = pub[20] == 'A' ? 'B' : 'A';
	assert_false(nkey_public_valid(pub));
	assert_true(nkey_public_valid(k.pub));
}

static void
test_nkey_file(void **state)
{
	char dir[] = "/tmp/a5-test-onboard-XXXXXX", path[128], err[256];
	struct nkey k, l;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nats.nkey", dir);
	nkey_generate(&k);
	assert_int_equal(nkey_write_seed_file(path, &k, err, sizeof(err)), 0);
	assert_int_equal(nkey_write_seed_file(path, &k, err, sizeof(err)), -1);	/* never overwrites */
	assert_int_equal(nkey_load(path, &l, err, sizeof(err)), 0);
	assert_string_equal(l.pub, k.pub);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(nkey_load(path, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0600"));
	unlink(path);
	rmdir(dir);
}

static void
test_users_list(void **state)
{
	char dir[] = "/tmp/a5-test-onboard-XXXXXX", path[128], err[256];
	struct onb_users *us = calloc(1, sizeof(*us)), *back = calloc(1, sizeof(*back));
	struct nkey k;
	FILE *f;

	(void)state;
	assert_non_null(us);
	assert_non_null(mkdtemp(dir));
	nkey_generate(&k);
	snprintf(us->coalition, sizeof(us->coalition), "e2e");
	memcpy(us->admin, k.pub, sizeof(k.pub));
	us->n = 2;
	snprintf(us->u[0].name, sizeof(us->u[0].name), "m1");
	snprintf(us->u[0].hex, sizeof(us->u[0].hex), "0123456789abcdef");
	memcpy(us->u[0].nkey, k.pub, sizeof(k.pub));
	us->u[1].invite = 1;
	us->u[1].role = ROLE_OBSERVER;
	snprintf(us->u[1].name, sizeof(us->u[1].name), "m2");
	memcpy(us->u[1].nkey, k.pub, sizeof(k.pub));
	assert_int_equal(onb_users_save(dir, us, err, sizeof(err)), 0);
	assert_int_equal(onb_users_load(dir, "e2e", back, err, sizeof(err)), 0);
	assert_int_equal(back->n, 2);
	assert_string_equal(back->admin, k.pub);
	assert_non_null(onb_users_find(back, "m2", 1));
	assert_int_equal(onb_users_find(back, "m2", 1)->role, ROLE_OBSERVER);
	assert_null(onb_users_find(back, "m2", 0));
	assert_string_equal(onb_users_find(back, "m1", 0)->hex, "0123456789abcdef");
	/* the member may publish its own subject only */
	snprintf(path, sizeof(path), "%s/users.conf", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "\"a5.e2e.j.m2.request\""));
	/* only the administrator creates or administers the streams: no
	 * member line names a stream API beyond INFO */
	char *member = strstr(buf, "# member m1"), *end, *sub;
	assert_non_null(member);
	assert_non_null(strstr(buf, "# the coalition's administrator"));
	assert_true(strstr(buf, "# the coalition's administrator") < member);
	assert_non_null(strstr(buf, "\"$JS.API.STREAM.*.A5_e2e\""));
	end = strstr(member + 1, "    # ");	/* the invitation after it */
	assert_non_null(end);
	*end = '\0';
	sub = strstr(member, "subscribe:");
	assert_non_null(sub);
	*sub++ = '\0';		/* member: its publish rights; sub: its subscriptions */
	assert_non_null(strstr(member, "\"a5.e2e.r.0123456789abcdef\""));
	/* and its commitments, on their own subject (only its auditors read it) */
	assert_non_null(strstr(member, "\"a5.e2e.k.0123456789abcdef\""));
	assert_null(strstr(member, "\"a5.e2e.k.>\""));
	assert_null(strstr(member, "\"a5.e2e.k.*\""));
	assert_null(strstr(member, "\"a5.e2e.r.>\""));
	assert_null(strstr(member, "STREAM.CREATE"));
	assert_null(strstr(member, "STREAM.*"));
	assert_null(strstr(member, "STREAM.UPDATE"));
	assert_non_null(strstr(member, "\"$JS.API.STREAM.INFO.A5_e2e\""));
	/* consumers: ephemeral ones only (an ordered consumer), on the subject
	 * where nats-server refuses a durable name; no durable endpoint */
	assert_non_null(strstr(member, "\"$JS.API.CONSUMER.CREATE.A5_e2e\""));
	assert_null(strstr(member, "CONSUMER.CREATE.A5_e2e."));
	assert_null(strstr(member, "DURABLE"));
	assert_null(strstr(member, "CONSUMER.*"));
	assert_non_null(strstr(member, "\"$JS.API.CONSUMER.DELETE.A5_e2e.*\""));
	assert_non_null(strstr(member, "\"$JS.FC.A5_e2e.>\""));
	assert_null(strstr(member, "$JS.ACK"));
	/* it reads every member's reports, and replies under its own prefix */
	assert_non_null(strstr(sub, "\"a5.e2e.r.>\""));
	assert_non_null(strstr(sub, "\"a5.e2e.k.>\""));
	assert_non_null(strstr(sub, "\"_A5M.0123456789abcdef.>\""));
	assert_null(strstr(sub, "_INBOX"));
	assert_null(strstr(sub, "\"_A5M.>\""));
	/* a damaged list is refused with its line */
	snprintf(path, sizeof(path), "%s/users.list", dir);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("member m3 nothex UABC\n", f);
	fclose(f);
	assert_int_equal(onb_users_load(dir, "e2e", back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "users.list:5:"));
	/* a second administrator line is refused */
	onb_users_save(dir, us, err, sizeof(err));
	f = fopen(path, "a");
	assert_non_null(f);
	fprintf(f, "admin %s\n", k.pub);
	fclose(f);
	assert_int_equal(onb_users_load(dir, "e2e", back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "users.list:5:"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/users.conf", dir);
	unlink(path);
	rmdir(dir);
	free(us);
	free(back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_round_trip),
		cmocka_unit_test(test_token_hostile),
		cmocka_unit_test(test_invite_key),
		cmocka_unit_test(test_nkey_libnats),
		cmocka_unit_test(test_nkey_file),
		cmocka_unit_test(test_users_list),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
