/* member_fixture.h - what the coalition unit tests share: the members'
 * keys from fixed seeds, and a temporary directory for their charters and
 * ledgers, removed at the end (cmocka group setup and teardown). */
#ifndef A5_MEMBER_FIXTURE_H
#define A5_MEMBER_FIXTURE_H

#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "coalition/identity.h"
#include "coalition/wire.h"
#include "common/addr.h"
#include "common/util.h"

/* n keys: seed byte seed0 + i, so that each test file has its own. */
static inline void
fixture_keys(struct identity *ids, char (*pk_text)[ID_PUBLIC_TEXT_MAX], int n, int seed0)
{
	for (int i = 0; i < n; i++) {
		uint8_t seed[crypto_sign_SEEDBYTES] = { 0 };
		seed[0] = (uint8_t)(i + seed0);
		crypto_sign_seed_keypair(ids[i].pk, ids[i].sk, seed);
		identity_pk_to_text(ids[i].pk, pk_text[i], sizeof(pk_text[i]));
	}
}

/* /tmp/a5-TAG-XXXXXX; 0 or -1. */
static inline int
fixture_dir_make(char *dir, size_t n, const char *tag)
{
	snprintf(dir, n, "/tmp/a5-%s-XXXXXX", tag);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static inline int
fixture_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void
fixture_dir_remove(const char *dir)
{
	nftw(dir, fixture_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A prefix the test writes as text (must parse). */
static inline struct a5_prefix
fixture_pfx(const char *s)
{
	struct a5_prefix p;

	assert_int_equal(prefix_parse(s, strlen(s), &p), 0);
	return p;
}

/* A signer's chain as the test builds its messages: the next link gets
 * *head_seq + 1 and names head_hash, which then moves on. */
struct fixture_chain {
	uint64_t *head_seq;
	uint8_t *head_hash;		/* WIRE_HASH_BYTES */
};

/* One report of coalition "test" signed by id on its chain, banning
 * prefix for ttl seconds, stamped ago seconds before now; *seq and hash
 * get its number and chain hash. The encoded length. */
static inline size_t
fixture_report(const struct identity *id, struct fixture_chain ch, const char *prefix,
    uint32_t ttl, int64_t ago, uint8_t *buf, size_t n, uint64_t *seq,
    uint8_t hash[WIRE_HASH_BYTES])
{
	static struct wire_envelope e;
	struct wire_report *r = &e.reports[0];

	memset(&e, 0, sizeof(e));
	wire_coalition_id("test", e.coalition);
	memcpy(e.reporter, id->pk, ID_PUBLIC_BYTES);
	e.nreports = 1;
	r->seq = ++*ch.head_seq;
	memcpy(r->prev, ch.head_hash, WIRE_HASH_BYTES);
	r->timestamp_us = (uint64_t)(now_usec() - ago * 1000000);
	r->prefix = fixture_pfx(prefix);
	snprintf(r->service, sizeof(r->service), "sshd");
	snprintf(r->rule, sizeof(r->rule), "auth-fail");
	r->evidence = 5;
	r->first_seen = r->last_seen = (uint64_t)now_sec();
	r->ttl = ttl;
	wire_report_hash(r, id->pk, ch.head_hash);
	*seq = r->seq;
	memcpy(hash, ch.head_hash, WIRE_HASH_BYTES);
	size_t len = wire_encode(&e, id, buf, n);
	assert_true(len > 0);
	return len;
}

/* A revocation signed by id on its chain, naming origin's report (seq,
 * hash) of prefix. The encoded length. */
static inline size_t
fixture_revocation(const struct identity *id, struct fixture_chain ch,
    const uint8_t origin[ID_PUBLIC_BYTES], uint64_t seq, const uint8_t hash[WIRE_HASH_BYTES],
    const char *prefix, uint8_t *buf, size_t n)
{
	struct wire_revocation v;

	memset(&v, 0, sizeof(v));
	wire_coalition_id("test", v.coalition);
	memcpy(v.reporter, id->pk, ID_PUBLIC_BYTES);
	memcpy(v.origin, origin, ID_PUBLIC_BYTES);
	v.seq = ++*ch.head_seq;
	memcpy(v.prev, ch.head_hash, WIRE_HASH_BYTES);
	v.timestamp_us = (uint64_t)now_usec();
	v.revoked_seq = seq;
	memcpy(v.revoked_hash, hash, WIRE_HASH_BYTES);
	v.prefix = fixture_pfx(prefix);
	wire_revocation_hash(&v, ch.head_hash);
	size_t len = wire_revocation_encode(&v, id, buf, n);
	assert_true(len > 0);
	return len;
}

#endif
