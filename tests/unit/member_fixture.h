/* member_fixture.h - what the coalition unit tests share: the members'
 * keys from fixed seeds, and a temporary directory for their charters and
 * ledgers, removed at the end (cmocka group setup and teardown). */
#ifndef A5_MEMBER_FIXTURE_H
#define A5_MEMBER_FIXTURE_H

#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "coalition/identity.h"

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

#endif
