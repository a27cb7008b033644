/* rules_hs.c - the tests' Hyperscan prefilters (tests/unit/test_hsdiff.c):
 * RULES_PF_HS_LITERAL gives Hyperscan the literals litset takes,
 * RULES_PF_HS_REGEX each whole expression. Never production: vectorscan
 * 5.4.9 was seen missing matches (docs/rules.md, "Hyperscan"). Only
 * rules_set_prefilter_engine reaches this file, so the daemon and `scan`
 * do not link it. */
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

/* Writes lit as a Hyperscan pattern of \xHH escapes. */
static bool
hs_escape(const char *lit, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";

	if (4 * n + 1 > cap)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)lit[i];
		out[4 * i] = '\\';
		out[4 * i + 1] = 'x';
		out[4 * i + 2] = hex[c >> 4];
		out[4 * i + 3] = hex[c & 15];
	}
	out[4 * n] = '\0';
	return true;
}

static int
hs_rule_pattern(const struct ruleset *rs, const struct rules_service *svc, const char *pattern,
    char lits[][LIT_LEN_MAX], const size_t *litlens, size_t *nlits, char **out,
    const char *where, char *err, size_t errlen)
{
	char hs[RULES_PATTERN_MAX];

	hs[0] = '\0';
	if (rs->engine == RULES_PF_HS_REGEX) {
		if (pattern_expand(pattern, svc->has_program, false, hs, where, err, errlen) != 0)
			return -1;
		*nlits = 0;
	} else {
		/* the literals as one pattern */
		size_t used = 0;
		for (size_t k = 0; k < *nlits; k++) {
			if (used + 4 * litlens[k] + 2 >= sizeof(hs) ||
			    !hs_escape(lits[k], litlens[k], hs + used + (k > 0), sizeof(hs) - used - 1)) {
				*nlits = 0;
				hs[0] = '\0';
				break;
			}
			if (k > 0)
				hs[used] = '|';
			used += (k > 0) + 4 * litlens[k];
		}
	}
	if ((*out = strdup(hs)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", where);
		return -1;
	}
	return 0;
}

static int
hs_rules_compile(struct ruleset *rs, char *err, size_t errlen)
{
	const char **pats = calloc(rs->nrules, sizeof(*pats));
	unsigned *flags = calloc(rs->nrules, sizeof(*flags)), *ids = calloc(rs->nrules, sizeof(*ids));
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;
	unsigned npats = 0;
	int rc = -1;

	if (pats == NULL || flags == NULL || ids == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < rs->nrules; i++) {
		if (rs->rules[i].every_line)
			continue;
		pats[npats] = rs->rules[i].hs_pattern;
		ids[npats] = (unsigned)i;
		flags[npats] = HS_FLAG_MULTILINE;
		npats++;
	}
	/* A pattern Hyperscan cannot take as is (back-references, some
	 * assertions) still works as a prefilter: it may flag more lines, and
	 * PCRE2 has the final word anyway. Each failure names one pattern;
	 * retry with that one in prefilter mode. */
	while (npats > 0) {
		if (hs_compile_multi(pats, flags, ids, npats, HS_MODE_BLOCK,
		    NULL, &db, &cerr) == HS_SUCCESS)
			break;
		int bad = cerr->expression;
		if (bad >= 0 && !(flags[bad] & HS_FLAG_PREFILTER)) {
			flags[bad] |= HS_FLAG_PREFILTER;
			hs_free_compile_error(cerr);
			cerr = NULL;
			continue;
		}
		snprintf(err, errlen, "%s: Hyperscan cannot compile this pattern: %s",
		    bad >= 0 ? rs->rules[ids[bad]].info.where : "rules", cerr->message);
		hs_free_compile_error(cerr);
		goto out;
	}
	rs->alt_db = db;
	rc = 0;
out:
	free(pats);
	free(flags);
	free(ids);
	return rc;
}

static void
hs_rules_free(struct ruleset *rs)
{
	hs_free_database(rs->alt_db);
}

static int
hs_scratch_new(struct rules_scratch *sc)
{
	hs_scratch_t *hs = NULL;

	if (sc->rs->alt_db != NULL && hs_alloc_scratch(sc->rs->alt_db, &hs) != HS_SUCCESS)
		return -1;
	sc->alt_scratch = hs;
	return 0;
}

static void
hs_scratch_free(struct rules_scratch *sc)
{
	hs_free_scratch(sc->alt_scratch);
}

static int
on_hs_match(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	struct rules_scratch *sc = ctx;
	const char *buf = sc->buf;
	size_t end = (size_t)to, start;

	(void)from;
	(void)flags;
	/* The match ends inside or at the end of its line; find the line start.
	 * A negated class may let a prefilter match run across a newline: the
	 * line holding the end is still the one to confirm. */
	const char *nl = end > 0 ? memrchr(buf, '\n', end) : NULL;
	if (end > 0 && buf[end - 1] == '\n')	/* cannot happen for '$' ends, be safe */
		nl = end > 1 ? memrchr(buf, '\n', end - 1) : NULL;
	start = nl ? (size_t)(nl - buf) + 1 : 0;
	if (sc->last_line[id] == start + 1)
		return 0;
	sc->last_line[id] = start + 1;
	return rules_hit_push(sc, start, (int)id) == 0 ? 0 : 1;	/* 1 stops: the caller reports it */
}

static int
cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->line_start != y->line_start)
		return x->line_start < y->line_start ? -1 : 1;
	return x->rule - y->rule;
}

static int
hs_rules_scan(struct rules_scratch *sc, const char *buf, size_t len)
{
	if (len > UINT32_MAX)
		return -1;
	sc->buf = buf;
	sc->nhits = 0;
	sc->overflow = false;
	memset(sc->last_line, 0, sc->rs->nrules * sizeof(*sc->last_line));
	if (sc->rs->alt_db != NULL &&
	    hs_scan(sc->rs->alt_db, buf, (unsigned)len, 0, sc->alt_scratch, on_hs_match, sc) != HS_SUCCESS &&
	    !sc->overflow)
		return -1;
	if (sc->overflow)
		return -1;
	/* Hits arrive ordered by match end, so nearly by line. */
	qsort(sc->hits, sc->nhits, sizeof(*sc->hits), cmp_hit);
	return 0;
}

static const struct rules_alt_prefilter hs_prefilter = {
	hs_rule_pattern, hs_rules_compile, hs_rules_free, hs_scratch_new, hs_scratch_free,
	hs_rules_scan,
};

void
rules_set_prefilter_engine(struct ruleset *rs, enum rules_prefilter_engine e)
{
	rs->engine = e;
	rs->alt = e == RULES_PF_NATIVE ? NULL : &hs_prefilter;
}
