/* rules_int.h - the rule engine's inside, shared by its files: rules.c
 * (the set, compiling), rules_load.c (rule files), pattern.c (a pattern's
 * PCRE2 form and literals), rules_match.c (scanning) and rules_hs.c (the
 * tests' Hyperscan prefilters). Not for use outside src/rules. */
#ifndef A5_RULES_INT_H
#define A5_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules/pattern.h"
#include "rules/rules.h"

struct rule_impl {
	struct rules_rule info;
	char *hs_pattern;	/* the tests' Hyperscan engines only, else NULL */
	char *pcre_pattern;
	/* the prefilter's literals (raw bytes): one of them is in every
	 * line the rule matches; none for an every_line rule */
	char *lit[LIT_ALTS_MAX];
	size_t litlen[LIT_ALTS_MAX];
	size_t nlits;
	/* the fixed text the pattern starts with ("Failed " of "^Failed
	 * ..."): a subject without it is refused before PCRE2 runs */
	char *prefix;
	size_t prefixlen;
	pcre2_code *code;
	int host_group;
	int conn_group;		/* <CONN>, or -1 */
	bool every_line;	/* no literal for the prefilter: PCRE2 tries each line */
};

/* A prefilter other than litset: the tests' Hyperscan engines
 * (rules_hs.c), plugged in by rules_set_prefilter_engine, so that the
 * daemon and `article5 scan` never reach Hyperscan. */
struct rules_alt_prefilter {
	/* The rule's expression for this engine (*hs, malloc'ed; "" for
	 * none), and its literals kept or dropped (*nlits = 0). */
	int (*rule_pattern)(const struct ruleset *rs, const struct rules_service *svc,
	    const char *pattern, char lits[][LIT_LEN_MAX], const size_t *litlens, size_t *nlits,
	    char **hs, const char *where, char *err, size_t errlen);
	int (*compile)(struct ruleset *rs, char *err, size_t errlen);
	void (*free)(struct ruleset *rs);
	int (*scratch_new)(struct rules_scratch *sc);
	void (*scratch_free)(struct rules_scratch *sc);
	/* Fills sc->hits with the (line start, rule) pairs of buf, sorted
	 * by line then rule, each once. 0 or -1. */
	int (*scan)(struct rules_scratch *sc, const char *buf, size_t len);
};

struct ruleset {
	size_t nrules, nservices;
	struct rule_impl rules[RULES_MAX];
	struct rules_service services[RULES_SERVICES_MAX];
	size_t proglens[RULES_SERVICES_MAX][RULES_PROGRAMS_MAX];	/* strlen of programs */
	struct litset *lits;		/* RULES_PF_NATIVE */
	pcre2_match_context *mctx;
	bool compiled;
	enum rules_prefilter_engine engine;	/* tests: rules_set_prefilter_engine */
	const struct rules_alt_prefilter *alt;	/* NULL for RULES_PF_NATIVE */
	void *alt_db;
	size_t nevery;			/* rules with every_line */
	int every[RULES_MAX];
};

struct hit {
	size_t line_start;
	int rule;
};

struct rules_scratch {
	const struct ruleset *rs;
	pcre2_match_data *md;
	/* the rule set's limits with this scratch's own JIT stack: a match
	 * context shared by threads would share one stack */
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	/* per rule: 0 until its PCRE2 program first runs, then 1 when it
	 * is JIT-compiled, 2 when the interpreter runs it */
	uint8_t *jit;
	/* the flagged rules of the line being scanned, and per rule the
	 * number (+1) of the last line that flagged it */
	int *cands;
	size_t ncands;
	uint64_t *seen, line_no;
	/* the alternative prefilter's hits over a whole buffer */
	struct hit *hits;
	size_t nhits, hits_cap;
	size_t *last_line;	/* per rule: line_start+1 of its last hit */
	const char *buf;
	bool overflow;
	void *alt_scratch;
	uint64_t *counts;
	uint64_t limit_hits;
	const char *bare_prog;	/* lines are headerless messages of this program */
	size_t bare_proglen;
};

/* rules.c */
int rules_kind_parse(const char *s, enum rule_kind *out);
int rules_service_get_or_add(struct ruleset *rs, const char *name, char *err, size_t errlen,
    const char *where);
int rules_rule_add(struct ruleset *rs, int service, enum rule_kind kind, const char *name,
    const char *pattern, const char *where, char *err, size_t errlen);

/* rules_match.c: appends a hit (alternative prefilters); 0, or -1 when
 * the array cannot grow (sc->overflow set). */
int rules_hit_push(struct rules_scratch *sc, size_t start, int rule);

#endif
