/* test_wire.c - the envelope codec: round trips, forgeries, truncations,
 * malformed fields (crafted, then re-signed so they reach the parser),
 * encoder refusals, and the cost of verifying an envelope. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "coalition/wire.h"
#include "common/addr.h"

/* Offsets inside the first report (docs/protocol.md). */
#define R_SEQ 0
#define R_PREV 8
#define R_FAMILY 48
#define R_LEN 49
#define R_ADDR 50

static struct identity id;
/* Large: static, off the stack. */
static struct wire_envelope env, out;
static uint8_t buf[WIRE_ENVELOPE_MAX + 64];

static void
make_identity(struct identity *i, uint8_t fill)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, fill, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(i->pk, i->sk, seed), 0);
}

static void
prefix_of(const char *text, struct a5_prefix *p)
{
	assert_int_equal(prefix_parse(text, strlen(text), p), 0);
}

/* n reports, seq first.., alternating v4 and v6 prefixes when mixed. */
static void
make_envelope(struct wire_envelope *e, size_t n, uint64_t first, bool mixed)
{
	memset(e, 0, sizeof(*e));
	wire_coalition_id("test-coalition", e->coalition);
	memcpy(e->reporter, id.pk, ID_PUBLIC_BYTES);
	e->nreports = n;
	for (size_t i = 0; i < n; i++) {
		struct wire_report *r = &e->reports[i];
		char text[64];

		r->seq = first + i;
		if (r->seq > 1)
			memset(r->prev, (int)(0x10 + i), sizeof(r->prev));
		r->timestamp_us = 1767225600123456ull + i;
		if (mixed && i % 2 == 1)
			snprintf(text, sizeof(text), "2001:db8:%zx::/48", i);
		else
			snprintf(text, sizeof(text), "198.51.%zu.%zu", i / 250, 1 + i % 250);
		prefix_of(text, &r->prefix);
		snprintf(r->service, sizeof(r->service), "sshd");
		snprintf(r->rule, sizeof(r->rule), "invalid-user.%zu", i);
		r->evidence = (uint32_t)(5 + i);
		r->first_seen = 1767225000 + i;
		r->last_seen = 1767225600 + i;
		r->ttl = 3600;
	}
}

static void
assert_reports_equal(const struct wire_report *a, const struct wire_report *b)
{
	assert_int_equal(a->seq, b->seq);
	assert_memory_equal(a->prev, b->prev, WIRE_HASH_BYTES);
	assert_int_equal(a->timestamp_us, b->timestamp_us);
	assert_true(prefix_equal(&a->prefix, &b->prefix));
	assert_string_equal(a->service, b->service);
	assert_string_equal(a->rule, b->rule);
	assert_int_equal(a->evidence, b->evidence);
	assert_int_equal(a->first_seen, b->first_seen);
	assert_int_equal(a->last_seen, b->last_seen);
	assert_int_equal(a->ttl, b->ttl);
}

static void
assert_envelopes_equal(const struct wire_envelope *a, const struct wire_envelope *b)
{
	assert_memory_equal(a->coalition, b->coalition, WIRE_COALITION_BYTES);
	assert_memory_equal(a->reporter, b->reporter, ID_PUBLIC_BYTES);
	assert_int_equal(a->nreports, b->nreports);
	for (size_t i = 0; i < a->nreports; i++)
		assert_reports_equal(&a->reports[i], &b->reports[i]);
}

/* Signs b[0..len-64) again with `who`, so a crafted body reaches the
 * parser: this is what a member with a valid key could send. */
static void
resign(uint8_t *b, size_t len, const struct identity *who)
{
	assert_true(len >= ID_SIGNATURE_BYTES);
	crypto_sign_detached(b + len - ID_SIGNATURE_BYTES, NULL, b, len - ID_SIGNATURE_BYTES,
	    who->sk);
}

static size_t
encode_ok(const struct wire_envelope *e)
{
	size_t n = wire_encode(e, &id, buf, sizeof(buf));

	assert_true(n > 0);
	return n;
}

/* Encodes e, lets patch change the body, re-signs, returns the status. */
static enum wire_status
craft(const struct wire_envelope *e, size_t off, const uint8_t *bytes, size_t nbytes)
{
	size_t n = encode_ok(e);

	memcpy(buf + off, bytes, nbytes);
	resign(buf, n, &id);
	return wire_decode(buf, n, &out);
}

static void
test_roundtrip(void **state)
{
	(void)state;
	size_t sizes[] = { 1, 2, 3, 255, 256 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (int mixed = 0; mixed <= 1; mixed++) {
			make_envelope(&env, sizes[k], 1, mixed);
			size_t n = encode_ok(&env);
			assert_true(n <= WIRE_ENVELOPE_MAX);
			assert_int_equal(wire_decode(buf, n, &out), WIRE_OK);
			assert_envelopes_equal(&env, &out);
			/* ed25519 is deterministic: re-encoding gives the same bytes. */
			uint8_t *again = malloc(n);
			assert_non_null(again);
			assert_int_equal(wire_encode(&out, &id, again, n), n);
			assert_memory_equal(again, buf, n);
			free(again);
		}
	}
	/* v6 full address, v4 /0 and v6 /0, longest names, extreme numbers */
	make_envelope(&env, 4, UINT64_MAX - 3, false);
	prefix_of("2001:db8::1", &env.reports[0].prefix);
	prefix_of("0.0.0.0/0", &env.reports[1].prefix);
	prefix_of("::/0", &env.reports[2].prefix);
	prefix_of("64:ff9b::/96", &env.reports[3].prefix);
	memset(env.reports[0].service, 'a', WIRE_NAME_MAX);
	env.reports[0].service[WIRE_NAME_MAX] = '\0';
	snprintf(env.reports[0].rule, sizeof(env.reports[0].rule), "A-Z_a.z-0.9");
	env.reports[1].evidence = UINT32_MAX;
	env.reports[1].ttl = UINT32_MAX;
	env.reports[1].first_seen = env.reports[1].last_seen = UINT64_MAX;
	env.reports[1].timestamp_us = 0;
	size_t n = encode_ok(&env);
	assert_int_equal(wire_decode(buf, n, &out), WIRE_OK);
	assert_envelopes_equal(&env, &out);
}

static void
test_layout(void **state)
{
	uint8_t h[WIRE_HASH_BYTES], want[WIRE_HASH_BYTES];

	(void)state;
	make_envelope(&env, 1, 7, false);
	prefix_of("192.0.2.0/24", &env.reports[0].prefix);
	size_t n = encode_ok(&env);
	/* header, then one v4 report of 8+32+8+1+1+4 + (1+4) + (1+14) + 4+8+8+4 */
	assert_int_equal(n, WIRE_HEADER_BYTES + 98 + ID_SIGNATURE_BYTES);
	assert_memory_equal(buf, "A5\x01", 3);
	assert_memory_equal(buf + 19, id.pk, ID_PUBLIC_BYTES);
	assert_int_equal(buf[51], 0);
	assert_int_equal(buf[52], 1);
	const uint8_t *r = buf + WIRE_HEADER_BYTES;
	assert_memory_equal(r + R_SEQ, "\0\0\0\0\0\0\0\x07", 8);	/* big-endian */
	assert_int_equal(r[R_FAMILY], 4);
	assert_int_equal(r[R_LEN], 24);
	assert_memory_equal(r + R_ADDR, "\xc0\x00\x02\x00", 4);
	assert_int_equal(r[R_ADDR + 4], 4);
	assert_memory_equal(r + R_ADDR + 5, "sshd", 4);
	assert_int_equal(r[R_ADDR + 9], 14);
	assert_memory_equal(r + R_ADDR + 10, "invalid-user.0", 14);
	assert_memory_equal(r + 94, "\0\0\x0e\x10", 4);	/* ttl 3600 */

	/* The chain link: BLAKE2b-256(reporter || report bytes on the wire). */
	uint8_t in[ID_PUBLIC_BYTES + 98];
	memcpy(in, id.pk, ID_PUBLIC_BYTES);
	memcpy(in + ID_PUBLIC_BYTES, r, 98);
	crypto_generichash(want, sizeof(want), in, sizeof(in), NULL, 0);
	wire_report_hash(&env.reports[0], id.pk, h);
	assert_memory_equal(h, want, sizeof(h));
	/* another reporter, another chain */
	uint8_t other[ID_PUBLIC_BYTES];
	memset(other, 1, sizeof(other));
	wire_report_hash(&env.reports[0], other, want);
	assert_memory_not_equal(h, want, sizeof(h));

	/* Coalition id: BLAKE2b with a 16-byte output (not a truncated -256). */
	uint8_t cid[WIRE_COALITION_BYTES], cwant[WIRE_COALITION_BYTES];
	wire_coalition_id("example", cid);
	crypto_generichash(cwant, sizeof(cwant), (const uint8_t *)"example", 7, NULL, 0);
	assert_memory_equal(cid, cwant, sizeof(cid));

	char msgid[WIRE_MSGID_MAX], hex[65];
	sodium_bin2hex(hex, sizeof(hex), id.pk, ID_PUBLIC_BYTES);
	wire_msgid(&env, msgid, sizeof(msgid));
	assert_int_equal(strlen(msgid), 66);
	assert_memory_equal(msgid, hex, 64);
	assert_string_equal(msgid + 64, "-7");
	env.reports[0].seq = UINT64_MAX;
	wire_msgid(&env, msgid, sizeof(msgid));
	assert_string_equal(msgid + 64, "-18446744073709551615");
	wire_msgid(&env, msgid, 70);
	assert_string_equal(msgid, "");		/* never truncated */
}

static void
test_every_flip_rejected(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };

	(void)state;
	for (int mixed = 0; mixed <= 1; mixed++) {
		make_envelope(&env, 3, 1, mixed);
		size_t n = encode_ok(&env);
		for (size_t i = 0; i < n; i++) {
			for (size_t m = 0; m < sizeof(masks); m++) {
				buf[i] ^= masks[m];
				enum wire_status st = wire_decode(buf, n, &out);
				if (i < 3)
					assert_int_equal(st, WIRE_ERR_VERSION);
				else
					assert_int_equal(st, WIRE_ERR_SIGNATURE);
				assert_int_equal(out.nreports, 0);
				buf[i] ^= masks[m];
			}
		}
		assert_int_equal(wire_decode(buf, n, &out), WIRE_OK);
	}
	/* The large envelope: every byte would take minutes; a stride does. */
	make_envelope(&env, WIRE_REPORTS_MAX, 1, true);
	size_t n = encode_ok(&env);
	for (size_t i = 3; i < n; i += 61) {
		buf[i] ^= 0x20;
		assert_int_equal(wire_decode(buf, n, &out), WIRE_ERR_SIGNATURE);
		buf[i] ^= 0x20;
	}
}

static void
test_every_truncation_rejected(void **state)
{
	(void)state;
	make_envelope(&env, 3, 1, true);
	size_t n = encode_ok(&env);
	for (size_t len = 0; len < n; len++) {
		enum wire_status st = wire_decode(buf, len, &out);
		if (len < WIRE_HEADER_BYTES + ID_SIGNATURE_BYTES)
			assert_int_equal(st, WIRE_ERR_LENGTH);
		else
			assert_int_equal(st, WIRE_ERR_SIGNATURE);
	}
	/* one byte more, and the largest size plus one */
	buf[n] = 0;
	assert_int_equal(wire_decode(buf, n + 1, &out), WIRE_ERR_SIGNATURE);
	assert_int_equal(wire_decode(buf, WIRE_ENVELOPE_MAX + 1, &out), WIRE_ERR_LENGTH);
}

static void
test_version_and_magic(void **state)
{
	(void)state;
	make_envelope(&env, 1, 1, false);
	assert_int_equal(craft(&env, 2, (const uint8_t *)"\x02", 1), WIRE_ERR_VERSION);
	assert_int_equal(craft(&env, 2, (const uint8_t *)"\x00", 1), WIRE_ERR_VERSION);
	assert_int_equal(craft(&env, 0, (const uint8_t *)"A6", 2), WIRE_ERR_VERSION);
	assert_int_equal(craft(&env, 0, (const uint8_t *)"a5", 2), WIRE_ERR_VERSION);
}

static void
test_signature_key(void **state)
{
	struct identity other;

	(void)state;
	make_identity(&other, 0x42);
	make_envelope(&env, 2, 1, false);
	/* signed by another key than the one named */
	size_t n = encode_ok(&env);
	resign(buf, n, &other);
	assert_int_equal(wire_decode(buf, n, &out), WIRE_ERR_SIGNATURE);
	/* names another key than the one that signed */
	n = encode_ok(&env);
	memcpy(buf + 19, other.pk, ID_PUBLIC_BYTES);
	assert_int_equal(wire_decode(buf, n, &out), WIRE_ERR_SIGNATURE);
	/* signed by, and naming, the other key: valid (membership is the
	 * caller's check) */
	resign(buf, n, &other);
	assert_int_equal(wire_decode(buf, n, &out), WIRE_OK);
	assert_memory_equal(out.reporter, other.pk, ID_PUBLIC_BYTES);
	/* a small-order key (the identity point) with a zero signature */
	n = encode_ok(&env);
	memset(buf + 19, 0, ID_PUBLIC_BYTES);
	buf[19] = 1;
	memset(buf + n - ID_SIGNATURE_BYTES, 0, ID_SIGNATURE_BYTES);
	buf[n - ID_SIGNATURE_BYTES] = 1;
	assert_int_equal(wire_decode(buf, n, &out), WIRE_ERR_SIGNATURE);
	/* the encoder refuses to sign an envelope naming another reporter */
	memcpy(env.reporter, other.pk, ID_PUBLIC_BYTES);
	assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
	sodium_memzero(&other, sizeof(other));
}

static void
test_bad_fields(void **state)
{
	const size_t r = WIRE_HEADER_BYTES;
	uint8_t b;

	(void)state;
	/* v4 first report */
	make_envelope(&env, 2, 1, false);
	for (unsigned f = 0; f < 256; f++) {
		if (f == 4 || f == 6)
			continue;
		b = (uint8_t)f;
		assert_int_equal(craft(&env, r + R_FAMILY, &b, 1), WIRE_ERR_FIELD);
	}
	b = 33;
	assert_int_equal(craft(&env, r + R_LEN, &b, 1), WIRE_ERR_FIELD);
	b = 255;
	assert_int_equal(craft(&env, r + R_LEN, &b, 1), WIRE_ERR_FIELD);
	b = 24;		/* 198.51.0.1/24: host bits set */
	assert_int_equal(craft(&env, r + R_LEN, &b, 1), WIRE_ERR_FIELD);
	b = 31;
	assert_int_equal(craft(&env, r + R_LEN, &b, 1), WIRE_ERR_FIELD);
	b = 32;
	assert_int_equal(craft(&env, r + R_LEN, &b, 1), WIRE_OK);
	/* family 6 with a v4 body: 16 address bytes swallow the names, and
	 * what follows is read as a name length and refused */
	b = 6;
	assert_int_equal(craft(&env, r + R_FAMILY, &b, 1), WIRE_ERR_FIELD);

	/* v6 /48 first report */
	make_envelope(&env, 2, 1, false);
	prefix_of("2001:db8:1::/48", &env.reports[0].prefix);
	b = 129;
	assert_int_equal(craft(&env, r + R_LEN, &b, 1), WIRE_ERR_FIELD);
	b = 47;		/* 2001:db8:1::/47 has bit 47 set */
	assert_int_equal(craft(&env, r + R_LEN, &b, 1), WIRE_ERR_FIELD);
	b = 64;
	assert_int_equal(craft(&env, r + R_LEN, &b, 1), WIRE_OK);
	b = 0x80;	/* last address byte: host bit beyond /48 */
	assert_int_equal(craft(&env, r + R_ADDR + 15, &b, 1), WIRE_ERR_FIELD);
	b = 4;		/* family 4 with a v6 body */
	assert_int_equal(craft(&env, r + R_FAMILY, &b, 1), WIRE_ERR_FIELD);
	/* an IPv4-mapped address sent as IPv6 */
	prefix_of("2001:db8::1", &env.reports[0].prefix);
	static const uint8_t mapped[16] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff, 192,0,2,1 };
	assert_int_equal(craft(&env, r + R_ADDR, mapped, 16), WIRE_ERR_FIELD);

	/* chain rules within one envelope */
	make_envelope(&env, 2, 1, false);
	b = 0;
	assert_int_equal(craft(&env, r + R_SEQ + 7, &b, 1), WIRE_ERR_FIELD);	/* seq 0 */
	b = 1;
	assert_int_equal(craft(&env, r + R_PREV, &b, 1), WIRE_ERR_FIELD);	/* seq 1, prev != 0 */
	b = 3;
	assert_int_equal(craft(&env, r + R_SEQ + 7, &b, 1), WIRE_ERR_FIELD);	/* 3 then 2 */
	make_envelope(&env, 2, 5, false);
	b = 4;
	assert_int_equal(craft(&env, r + R_SEQ + 7, &b, 1), WIRE_ERR_FIELD);	/* 4 then 6 */
}

static void
test_bad_names(void **state)
{
	const size_t svc = WIRE_HEADER_BYTES + R_ADDR + 4;	/* v4: length byte of service */
	static const uint8_t bad[] = { ' ', '/', ':', '@', '*', '\n', '\0', 0x7f, 0x80, 0xc3, '"' };
	uint8_t b;

	(void)state;
	make_envelope(&env, 1, 1, false);
	for (size_t i = 0; i < sizeof(bad); i++) {
		assert_int_equal(craft(&env, svc + 1, &bad[i], 1), WIRE_ERR_FIELD);	/* first */
		assert_int_equal(craft(&env, svc + 4, &bad[i], 1), WIRE_ERR_FIELD);	/* last */
		/* rule "invalid-user.0" starts after "sshd" and its length byte */
		assert_int_equal(craft(&env, svc + 6 + 7, &bad[i], 1), WIRE_ERR_FIELD);
	}
	b = 0;		/* empty service: the name bytes then read as garbage */
	assert_int_equal(craft(&env, svc, &b, 1), WIRE_ERR_FIELD);
	b = 48;
	assert_int_equal(craft(&env, svc, &b, 1), WIRE_ERR_FIELD);
	b = 255;
	assert_int_equal(craft(&env, svc, &b, 1), WIRE_ERR_FIELD);

	/* the encoder refuses the same */
	const char *names[] = { "", "ssh d", "ssh/d", "s\xc3\xa9", "a\tb", "x:y" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		make_envelope(&env, 1, 1, false);
		snprintf(env.reports[0].service, sizeof(env.reports[0].service), "%s", names[i]);
		assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
		make_envelope(&env, 1, 1, false);
		snprintf(env.reports[0].rule, sizeof(env.reports[0].rule), "%s", names[i]);
		assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
	}
	make_envelope(&env, 1, 1, false);
	memset(env.reports[0].rule, 'r', sizeof(env.reports[0].rule));	/* no NUL: 48 */
	assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
}

static void
test_lengths_and_counts(void **state)
{
	static uint8_t big[WIRE_ENVELOPE_MAX + 512];
	const size_t r = WIRE_HEADER_BYTES;

	(void)state;
	/* trailing byte between the last report and the signature */
	make_envelope(&env, 2, 1, true);
	size_t n = encode_ok(&env);
	memmove(buf + n - ID_SIGNATURE_BYTES + 1, buf + n - ID_SIGNATURE_BYTES, ID_SIGNATURE_BYTES);
	buf[n - ID_SIGNATURE_BYTES] = 0;
	resign(buf, n + 1, &id);
	assert_int_equal(wire_decode(buf, n + 1, &out), WIRE_ERR_LENGTH);

	/* count says more than there is, or less */
	make_envelope(&env, 2, 1, false);
	assert_int_equal(craft(&env, 51, (const uint8_t *)"\x00\x03", 2), WIRE_ERR_LENGTH);
	assert_int_equal(craft(&env, 51, (const uint8_t *)"\x00\x01", 2), WIRE_ERR_LENGTH);
	assert_int_equal(craft(&env, 51, (const uint8_t *)"\x00\x00", 2), WIRE_ERR_FIELD);
	assert_int_equal(craft(&env, 51, (const uint8_t *)"\xff\xff", 2), WIRE_ERR_FIELD);
	/* a name length that runs past the body */
	uint8_t b = 47;
	assert_int_equal(craft(&env, r + R_ADDR + 4 + 98, &b, 1), WIRE_ERR_LENGTH);

	/* 257 reports: the 256 the encoder allows, one more appended by hand */
	make_envelope(&env, WIRE_REPORTS_MAX, 1, false);
	n = wire_encode(&env, &id, big, sizeof(big));
	assert_true(n > 0);
	size_t body = n - ID_SIGNATURE_BYTES;
	/* find the last report (its seq is 256), copy it and make it 257 */
	size_t last = WIRE_HEADER_BYTES;
	for (size_t i = 0; i + 1 < WIRE_REPORTS_MAX; i++) {
		const uint8_t *p = big + last + R_ADDR + 4;		/* v4 service length */
		size_t l = R_ADDR + 4 + 1 + p[0];
		l += 1 + big[last + l] + 4 + 8 + 8 + 4;
		last += l;
	}
	size_t lastlen = body - last;
	memcpy(big + body, big + last, lastlen);
	big[body + 7] = 1;	/* seq 257 = 0x101 */
	big[body + 6] = 1;
	big[51] = 0x01;
	big[52] = 0x01;
	size_t n2 = body + lastlen + ID_SIGNATURE_BYTES;
	assert_true(n2 <= WIRE_ENVELOPE_MAX);
	resign(big, n2, &id);
	assert_int_equal(wire_decode(big, n2, &out), WIRE_ERR_FIELD);
	/* the same bytes with the count back at 256: trailing report */
	big[51] = 0x01;
	big[52] = 0x00;
	resign(big, n2, &id);
	assert_int_equal(wire_decode(big, n2, &out), WIRE_ERR_LENGTH);

	/* encoder refusals */
	make_envelope(&env, 1, 1, false);
	env.nreports = 0;
	assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
	env.nreports = WIRE_REPORTS_MAX + 1;
	assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
	make_envelope(&env, 3, 1, true);
	n = encode_ok(&env);
	for (size_t len = 0; len < n; len++)
		assert_int_equal(wire_encode(&env, &id, buf, len), 0);
	assert_int_equal(wire_encode(&env, &id, buf, n), n);
}

/* env's single report is bad: refused alone and in the envelope. */
static void
refused_alone(void)
{
	assert_false(wire_report_valid(&env.reports[0]));
	assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
}

static void
test_encoder_refuses_bad_reports(void **state)
{
	(void)state;
	make_envelope(&env, 1, 1, false);
	env.reports[0].prefix.family = 5;
	refused_alone();
	make_envelope(&env, 1, 1, false);
	env.reports[0].prefix.len = 33;
	refused_alone();
	make_envelope(&env, 1, 1, false);
	env.reports[0].prefix.len = 24;		/* 198.51.0.1/24 */
	refused_alone();
	make_envelope(&env, 1, 1, false);
	env.reports[0].prefix.addr[4] = 1;	/* beyond an IPv4 address */
	refused_alone();
	make_envelope(&env, 1, 1, false);
	prefix_of("2001:db8::/32", &env.reports[0].prefix);
	env.reports[0].prefix.len = 129;
	refused_alone();
	make_envelope(&env, 1, 1, false);
	prefix_of("::ffff:192.0.2.0/120", &env.reports[0].prefix);	/* IPv4 spelt as IPv6 */
	assert_int_equal(env.reports[0].prefix.family, A5_AF_INET6);
	refused_alone();
	make_envelope(&env, 1, 1, false);
	env.reports[0].seq = 0;
	refused_alone();
	make_envelope(&env, 1, 1, false);
	env.reports[0].prev[31] = 1;		/* seq 1 has no predecessor */
	refused_alone();
	/* each report valid, the run between them not */
	make_envelope(&env, 3, 1, false);
	env.reports[2].seq = 4;			/* gap */
	assert_true(wire_report_valid(&env.reports[2]));
	assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
	make_envelope(&env, 2, UINT64_MAX, false);	/* seq wraps to 0 */
	assert_true(wire_report_valid(&env.reports[0]));
	assert_false(wire_report_valid(&env.reports[1]));
	assert_int_equal(wire_encode(&env, &id, buf, sizeof(buf)), 0);
}

static double
seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Informative: what one envelope costs a receiver and a sender. */
static void
test_measure(void **state)
{
	/* the last one is the largest envelope: v6 and 47-byte names */
	size_t sizes[] = { 1, 16, WIRE_REPORTS_MAX, WIRE_REPORTS_MAX };

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct timespec t0, t1, t2;
		int iters = sizes[k] == 1 ? 2000 : 500;
		uint8_t h[WIRE_HASH_BYTES];

		make_envelope(&env, sizes[k], 1, true);
		if (k == 3) {
			for (size_t i = 0; i < env.nreports; i++) {
				struct wire_report *r = &env.reports[i];
				prefix_of("2001:db8:77::1", &r->prefix);
				memset(r->service, 's', WIRE_NAME_MAX);
				memset(r->rule, 'r', WIRE_NAME_MAX);
			}
		}
		size_t n = encode_ok(&env);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < iters; i++)
			assert_int_equal(wire_decode(buf, n, &out), WIRE_OK);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		for (int i = 0; i < iters; i++)
			assert_true(wire_encode(&env, &id, buf, sizeof(buf)) == n);
		clock_gettime(CLOCK_MONOTONIC, &t2);
		double dec = seconds(&t0, &t1) / iters * 1e6, enc = seconds(&t1, &t2) / iters * 1e6;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < iters; i++)
			for (size_t j = 0; j < out.nreports; j++)
				wire_report_hash(&out.reports[j], out.reporter, h);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double hash = seconds(&t0, &t1) / iters * 1e6;
		printf("[ MEASURE  ] %3zu report(s), %5zu bytes: decode+verify %7.1f us "
		    "(%6.2f us/report), encode+sign %7.1f us, chain hashes %6.1f us\n",
		    sizes[k], n, dec, dec / (double)sizes[k], enc, hash);
	}
}

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	make_identity(&id, 0x07);
	return 0;
}

/* Proofs ("AP"): two envelopes carried as they are; every length checked. */
static void
test_proof_codec(void **state)
{
	static uint8_t a[64], b[96], proof[WIRE_PROOF_MAX + 8];
	struct wire_proof p;
	size_t n;

	(void)state;
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	n = wire_proof_encode(42, a, sizeof(a), b, sizeof(b), proof, sizeof(proof));
	assert_int_equal(n, WIRE_PROOF_HEADER_BYTES + sizeof(a) + 4 + sizeof(b));
	assert_int_equal(wire_kind(proof, n), WIRE_KIND_PROOF);
	assert_int_equal(wire_proof_decode(proof, n, &p), WIRE_OK);
	assert_int_equal(p.seq, 42);
	assert_int_equal(p.alen, sizeof(a));
	assert_int_equal(p.blen, sizeof(b));
	assert_memory_equal(p.a, a, sizeof(a));
	assert_memory_equal(p.b, b, sizeof(b));
	/* every truncation and one extra byte are refused */
	for (size_t len = 0; len < n; len++)
		assert_int_not_equal(wire_proof_decode(proof, len, &p), WIRE_OK);
	proof[n] = 0;
	assert_int_equal(wire_proof_decode(proof, n + 1, &p), WIRE_ERR_LENGTH);
	/* a first length pointing past the end */
	proof[14] = 0xff;
	assert_int_equal(wire_proof_decode(proof, n, &p), WIRE_ERR_LENGTH);
	proof[14] = 0;
	proof[2] = WIRE_VERSION + 1;
	assert_int_equal(wire_proof_decode(proof, n, &p), WIRE_ERR_VERSION);
	/* the encoder refuses empty or oversized envelopes and small buffers */
	assert_int_equal(wire_proof_encode(1, a, 0, b, sizeof(b), proof, sizeof(proof)), 0);
	assert_int_equal(wire_proof_encode(1, a, WIRE_ENVELOPE_MAX + 1, b, sizeof(b), proof,
	    sizeof(proof)), 0);
	assert_int_equal(wire_proof_encode(1, a, sizeof(a), b, sizeof(b), proof, n - 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_every_flip_rejected),
		cmocka_unit_test(test_every_truncation_rejected),
		cmocka_unit_test(test_version_and_magic),
		cmocka_unit_test(test_signature_key),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_lengths_and_counts),
		cmocka_unit_test(test_encoder_refuses_bad_reports),
		cmocka_unit_test(test_measure),
		cmocka_unit_test(test_proof_codec),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
