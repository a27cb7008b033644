/* f2b_re.c - one fail2ban regex compiled to PCRE2-JIT (failregex.py
 * Regex): its groups by name, <F-ALT_*> in name order, <SKIPLINES>, the
 * texts every match contains, and its run and values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "f2b/f2b_re.h"
#include "f2b/f2b_regex.h"

static const char *const key_names[K_N] = {
	"ip4", "ip6", "dns", "fid", "cidr", "mlfid", "nofail", "mlfforget",
	"mlfgained", "content", "user",
};

void
f2b_re_free(struct f2b_re *re)
{
	pcre2_code_free(re->code);
	free(re->lit);
	for (size_t i = 0; i < re->nanyof; i++)
		f2b_anyof_free(&re->anyof[i]);
	memset(re, 0, sizeof(*re));
}

/* failregex.py COMPLNAME_CRE and mapTag2Opt: alt_user_1 -> user. */
static int
alt_target(const char *name)
{
	char t[64];
	size_t n;

	if (strncmp(name, "alt_", 4) != 0 || strlen(name) <= 4)
		return -1;
	if (!strlcpy_ok(t, name + 4, sizeof(t)))
		return -1;
	n = strlen(t);
	size_t k = n;
	while (k > 0 && t[k - 1] >= '0' && t[k - 1] <= '9')
		k--;
	if (k < n && k > 0 && t[k - 1] == '_')
		t[k - 1] = '\0';
	for (char *c = t; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	const char *m = strcmp(t, "id") == 0 ? "fid" : strcmp(t, "port") == 0 ? "fport" : t;
	for (int i = 0; i < K_N; i++)
		if (strcmp(m, key_names[i]) == 0)
			return i;
	return -1;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
f2b_re_compile(struct f2b_re *re, const char *text, bool multiline, pcre2_compile_context *cctx,
    const char *where, char *err, size_t errlen)
{
	char *pc = malloc(F2B_PATTERN_MAX);
	int ecode, rc = -1;
	PCRE2_SIZE eoff;

	memset(re, 0, sizeof(*re));
	if (pc == NULL) {
		snprintf(err, errlen, "%s: out of memory", where);
		return -1;
	}
	const char *t = text;
	while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
		t++;
	if (*t == '\0') {
		snprintf(err, errlen, "%s: empty regex", where);
		goto out;
	}
	if (f2b_regex_translate(text, pc, F2B_PATTERN_MAX) != 0) {
		snprintf(err, errlen, "%s: regex too long after tag expansion (at most %u bytes)",
		    where, F2B_PATTERN_MAX);
		goto out;
	}
	/* \C (one code unit) could split a character and hand PCRE2 invalid
	 * UTF-8 under PCRE2_NO_UTF_CHECK; Python refuses it, so does this. */
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C;
	if (multiline)
		opts |= PCRE2_MULTILINE | PCRE2_ALT_CIRCUMFLEX;
	re->code = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED, opts, &ecode, &eoff, cctx);
	if (re->code == NULL) {
		char msg[256];
		pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errlen, "%s: bad regex: %s at offset %zu of '%.*s'", where, msg,
		    (size_t)eoff, 200, pc);
		goto out;
	}
	/* JIT-compiled at the first run (f2b_re_run): with every filter
	 * loaded, most regexes never run over a given log, and compiling them
	 * all was much of the start (time, and memory mapped). */
	re->jit = re->jit_tried = false;
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ncaptures);
	for (int k = 0; k < K_N; k++) {
		int g = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)key_names[k]);
		re->group[k] = g > 0 ? g : -1;
	}
	for (int k = 0; k < F2B_SKIP_MAX; k++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "skiplines%d", k);
		int g = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)nm);
		if (g <= 0)
			break;
		re->skip_group[re->nskip++] = g;
	}
	uint32_t count = 0, esize = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	const char *alts[F2B_ALT_MAX] = { NULL };
	size_t nalts = 0;
	for (uint32_t i = 0; i < count && nalts < F2B_ALT_MAX; i++) {
		const char *nm = (const char *)table + (size_t)i * esize + 2;
		if (alt_target(nm) >= 0)
			alts[nalts++] = nm;
	}
	qsort(alts, nalts, sizeof(alts[0]), cmp_name);
	for (size_t i = 0; i < nalts; i++) {
		re->alt_group[i] = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)alts[i]);
		re->alt_key[i] = alt_target(alts[i]);
	}
	re->nalt = nalts;
	re->lit = f2b_required_literal(pc);
	if (!multiline)		/* the clauses serve single-line filters only */
		re->nanyof = f2b_required_anyof(pc, re->anyof, F2B_ANYOF_MAX);
	rc = 0;
out:
	free(pc);
	return rc;
}

int
f2b_re_run(struct f2b_re *re, const char *subj, size_t n, pcre2_match_data *md,
    pcre2_match_context *mctx, uint64_t *limit_hits)
{
	/* JIT is a speed-up; the interpreter gives the same answers. */
	if (!re->jit_tried) {
		re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
		re->jit_tried = true;
	}
	/* pcre2_jit_match is pcre2_match's JIT path without its checks of
	 * the arguments (which cost some 200 instructions a call, and there
	 * are several calls a line); the subject is valid UTF-8 either way. */
	int rc = re->jit ?
	    pcre2_jit_match(re->code, (PCRE2_SPTR)subj, n, 0, PCRE2_NO_UTF_CHECK, md, mctx) :
	    pcre2_match(re->code, (PCRE2_SPTR)subj, n, 0, PCRE2_NO_UTF_CHECK, md, mctx);

	if (rc > 0)
		return rc;
	if (rc != PCRE2_ERROR_NOMATCH)
		(*limit_hits)++;	/* match, depth, heap or JIT stack limit */
	return 0;
}

static struct f2b_view
group_view(const char *subj, int rc, const PCRE2_SIZE *ov, int g)
{
	struct f2b_view v = { NULL, 0, false };

	if (g > 0 && g < rc && ov[2 * g] != PCRE2_UNSET) {
		v.p = subj + ov[2 * g];
		v.n = ov[2 * g + 1] - ov[2 * g];
		v.set = true;
	}
	return v;
}

void
f2b_re_values(const struct f2b_re *re, pcre2_match_data *md, const char *subj, int rc,
    struct f2b_gvals *g)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

	for (int k = 0; k < K_N; k++) {
		g->has[k] = re->group[k] > 0;
		g->v[k] = group_view(subj, rc, ov, re->group[k]);
	}
	for (size_t i = 0; i < re->nalt; i++) {
		struct f2b_view v = group_view(subj, rc, ov, re->alt_group[i]);
		int k = re->alt_key[i];
		if (f2b_view_true(&v) && !f2b_view_true(&g->v[k])) {
			g->v[k] = v;
			g->has[k] = true;
		}
	}
	g->mstart = ov[0];
	g->mend = ov[1];
	g->nskip = 0;
	for (size_t i = 0; i < re->nskip; i++)
		g->skip[g->nskip++] = group_view(subj, rc, ov, re->skip_group[i]);
}
