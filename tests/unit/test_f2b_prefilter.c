/* test_f2b_prefilter.c - the literal prefilter against a plain caseless
 * search: many literals sharing their first bytes (as fail2ban's "auth...",
 * "fail..." do), of 3 to 20 bytes, found anywhere in a line, at its very
 * end, cut by its end, in any case; random lines over a small alphabet so
 * that near misses are the rule. Every literal's found state and every
 * filter's flag must be the plain search's. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "f2b/f2b_prefilter.h"

#define NLIT 120
#define NFILT 30

static uint32_t rng = 12345;

static unsigned
rnd(unsigned n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

/* A caseless (ASCII) search for lit in line[0..len). */
static bool
holds(const char *line, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(line + i, lit, n) == 0)
			return true;
	return false;
}

static void
test_agrees_with_search(void **state)
{
	(void)state;
	static const char *const stems[] = { "auth", "authenti", "fail", "faile", "ab", "abab",
		"a b", "x" };
	static const char alpha[] = "abAB x-";
	struct f2b_prefilter pf;
	char lit[NLIT][24];
	int filt[NLIT];
	char line[200];
	unsigned long founds = 0, misses = 0;

	assert_int_equal(f2b_pf_init(&pf, NLIT, NFILT), 0);
	for (int k = 0; k < NLIT; k++) {
		/* a stem, then random bytes up to 3..20 in all */
		size_t n = 3 + rnd(18);
		snprintf(lit[k], sizeof(lit[k]), "%s", stems[rnd(8)]);
		size_t m = strlen(lit[k]);
		while (m < n)
			lit[k][m++] = alpha[rnd(sizeof(alpha) - 1)];
		lit[k][n < m ? n : m] = '\0';
		if (strlen(lit[k]) < 3)
			snprintf(lit[k], sizeof(lit[k]), "abA");
		filt[k] = k % 7 == 0 ? -1 : (int)rnd(NFILT);
		assert_int_equal(f2b_pf_add(&pf, lit[k], filt[k]), k);
	}
	for (int round = 0; round < 20000; round++) {
		size_t len = rnd(60);
		for (size_t i = 0; i < len; i++)
			line[i] = alpha[rnd(sizeof(alpha) - 1)];
		/* now and then a literal put in whole, or cut by the line's end,
		 * with its case flipped */
		if (len > 0 && rnd(2)) {
			const char *l = lit[rnd(NLIT)];
			size_t n = strlen(l), at = rnd((unsigned)len);
			for (size_t j = 0; j < n && at + j < sizeof(line); j++)
				line[at + j] = (char)(rnd(2) ? l[j] ^ ((l[j] >= 'a' && l[j] <= 'z') ? 0x20 : 0) : l[j]);
			if (at + n > len)
				len = rnd(2) ? at + n : len;
		}
		/* bytes after the line that would complete a literal: unseen */
		memcpy(line + len, "uthentication", 14);
		f2b_pf_scan(&pf, line, len);
		bool flag[NFILT] = { false };
		for (int k = 0; k < NLIT; k++) {
			bool want = holds(line, len, lit[k]);
			if (f2b_pf_found(&pf, k) != want)
				fail_msg("round %d literal '%s' in '%.*s': %d, want %d", round, lit[k],
				    (int)len, line, f2b_pf_found(&pf, k), want);
			if (want && filt[k] >= 0)
				flag[filt[k]] = true;
			founds += want;
			misses += !want;
		}
		size_t nflag = 0;
		for (int f = 0; f < NFILT; f++) {
			assert_int_equal(pf.cand[f] != 0, flag[f]);
			nflag += flag[f];
		}
		assert_int_equal(pf.nflagged, nflag);
	}
	assert_true(founds > 20000);
	assert_true(misses > 20000);
	f2b_pf_free(&pf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agrees_with_search),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
