/* f2b_re.h - one fail2ban regex compiled to PCRE2(-JIT): the group names
 * fail2ban's findFailure looks at, <F-ALT_*> and <SKIPLINES> groups, the
 * texts every match contains (for the prefilter), and its run. */
#ifndef A5_F2B_RE_H
#define A5_F2B_RE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "f2b/f2b_literal.h"

#define F2B_SKIP_MAX 16		/* <SKIPLINES> per regex */
#define F2B_ALT_MAX 16		/* <F-ALT_*> groups per regex */

/* The group names findFailure looks at. */
enum f2b_key {
	K_IP4, K_IP6, K_DNS, K_FID, K_CIDR, K_MLFID, K_NOFAIL, K_MLFFORGET,
	K_MLFGAINED, K_CONTENT, K_USER, K_N
};
/* The ones a connection (mlfid) keeps between lines. */
#define V_N (K_CIDR + 1)

struct f2b_re {
	pcre2_code *code;
	int group[K_N];			/* group number, or -1 when absent */
	int alt_group[F2B_ALT_MAX], alt_key[F2B_ALT_MAX];
	size_t nalt;			/* <F-ALT_x> groups, in name order */
	int skip_group[F2B_SKIP_MAX];
	size_t nskip;
	uint32_t ncaptures;
	char *lit;			/* a text every match contains (prefilter), or NULL */
	int lit_id;			/* lit's index in the set's prefilter, or -1 */
	/* alternations every match goes through (single-line regexes only) */
	struct f2b_anyof anyof[F2B_ANYOF_MAX];
	size_t nanyof;
	bool anyof_live;		/* the clauses' texts are in the prefilter */
	bool jit;			/* JIT-compiled: run by pcre2_jit_match */
	bool jit_tried;			/* JIT compiles at the first run */
};

struct f2b_view {
	const char *p;
	size_t n;
	bool set;
};

/* One match's groups, as fail2ban's getGroups() dict: `has` is whether
 * the name is in the dict at all (a group that did not take part is there
 * as None and still overrides prefregex's value). */
struct f2b_gvals {
	struct f2b_view v[K_N];
	bool has[K_N];
	size_t mstart, mend;
	struct f2b_view skip[F2B_SKIP_MAX];
	size_t nskip;
};

/* Python truthiness of a str group: set and not empty. */
static inline bool
f2b_view_true(const struct f2b_view *v)
{
	return v->set && v->n > 0;
}

/* Compiles fail2ban regex text (tags expanded) into re; multiline for the
 * failregexes of a filter with maxlines > 1. 0, or -1 with err =
 * "where: ...". */
int f2b_re_compile(struct f2b_re *re, const char *text, bool multiline,
    pcre2_compile_context *cctx, const char *where, char *err, size_t errlen);
void f2b_re_free(struct f2b_re *re);
/* Runs re over subj (valid UTF-8); >0 on a match (its groups are in md),
 * 0 if none. A run stopped by a limit counts in *limit_hits. The first run
 * JIT-compiles re: the runs of one re are on one thread at a time. */
int f2b_re_run(struct f2b_re *re, const char *subj, size_t n, pcre2_match_data *md,
    pcre2_match_context *mctx, uint64_t *limit_hits);
/* failregex.py getGroups / _getGroupsWithAlt, for the names that matter. */
void f2b_re_values(const struct f2b_re *re, pcre2_match_data *md, const char *subj, int rc,
    struct f2b_gvals *g);

#endif
