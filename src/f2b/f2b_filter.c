/* f2b_filter.c - fail2ban filters compiled to PCRE2-JIT and run line by line
 * as fail2ban's server does (server/filter.py processLine and findFailure,
 * server/failregex.py Regex and FailRegex), with a literal prefilter in
 * front. Every buffer has a ceiling; see f2b_filter.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lru.h"
#include "common/util.h"
#include "f2b/f2b_date.h"
#include "f2b/f2b_filter.h"
#include "f2b/f2b_mlf.h"
#include "f2b/f2b_prefilter.h"
#include "f2b/f2b_re.h"
#include "f2b/f2b_time.h"
#include "f2b/f2b_u8.h"

/* The bounds rules.c uses: a filter file is input we did not write. */
#define F2B_MATCH_LIMIT 200000
#define F2B_DEPTH_LIMIT 2000
#define F2B_HEAP_LIMIT_KIB 4096

struct slot {
	char *p;
	size_t n, cap;
	bool cand;		/* holds a literal of the filter (or may: content) */
};

struct sbuf {
	char *p;
	size_t n, cap;
};

struct f2b_flt {
	char *name;
	unsigned flags;
	int maxlines;
	int dates;			/* index into the set's date detectors; -1: none */
	bool has_pref;
	struct f2b_re pref;
	struct f2b_re *fail, *ign;
	size_t nfail, nign;
	bool always;			/* the prefilter cannot rule a line out */
	struct lru *mlf;		/* connections, when a regex has <F-MLFID> */
	struct slot *slots;
	size_t nslots;
	uint32_t *mark, stamp;
	int *lb, *org, *matched, *unmatched;
	size_t nlb, norg, nmatched, nunmatched;
	struct f2b_filter_stats st;
};

struct dateset {
	struct f2b_dates *d;
	char **pats;
	size_t n;
	/* this line's answer */
	uint64_t gen;
	int found;
	struct f2b_date_hit hit;
	bool have_last;
	int64_t last;
};

/* What one thread needs to run filters: PCRE2's match data and JIT stack,
 * and the buffers lines are joined in. The set has one; each other thread
 * running the filters of a batch has its own (f2b_scratch_new). */
struct f2b_scratch {
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	pcre2_match_data *md;
	struct sbuf a, b, c;
	struct sbuf text;		/* the line with its date cut out, and "\n" */
	char id[F2B_VAL_MAX + 1];
	/* phase one's line-alone part */
	struct f2b_prefilter pf;	/* a fork of the set's: this thread's findings */
	struct f2b_u8 u8;		/* the line as fail2ban decodes it */
	int *visit;			/* this line's filters, in order */
	struct f2b_cand *cands;		/* and how they visit it */
};

/* A filter that visits a line, as phase one's line-alone part found. */
struct f2b_cand {
	int filter;
	bool cand;			/* holds a literal of the filter (or may) */
	uint64_t possible;		/* failregexes 0..63 that may match; 64.. always may */
};

/* One filter's visit of one line, as phase one decided it (see
 * f2b_batch_line): phase two needs nothing else of the set's per-line
 * state, so the two can run on different threads. */
struct f2b_visit {
	uint32_t line;			/* index of the line in its batch (0 alone) */
	uint32_t cut_start, cut_end;	/* the date's bytes, when cut */
	bool cut;
	bool cand;			/* holds a literal of the filter (or may) */
	uint64_t possible;		/* failregexes 0..63 that may match; 64.. always may */
	int64_t ts;
};

struct f2b_set {
	struct f2b_flt *flt[F2B_FLT_MAX];
	size_t n;
	struct dateset *dates;
	size_t ndates;
	pcre2_compile_context *cctx;
	struct f2b_scratch *sc;		/* f2b_set_line's (and the batch caller's) */
	uint32_t max_captures;
	bool compiled;
	struct f2b_prefilter pf;
	/* the filters to visit on every line, in order: those the prefilter
	 * cannot rule out (always) and the multi-line ones; the others only
	 * when flagged */
	int *every;
	size_t nevery;
	uint64_t passed;
	uint64_t overlong;		/* lines over F2B_FLT_LINE_MAX, dropped whole */
	/* per-line scratch of phase one's ordered part */
	uint64_t gen;
	struct f2b_date_memo dmemo;	/* what the date detectors share on a line */
};

/* ---- small helpers ---- */

static int
sbuf_reserve(struct sbuf *b, size_t n)
{
	if (n <= b->cap)
		return 0;
	if (n > F2B_FLT_BUF_MAX + 2 * F2B_FLT_LINE_MAX + 16)
		return -1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* ---- the line buffer ---- */

static int
slot_alloc(struct f2b_flt *f)
{
	if (++f->stamp == 0) {
		memset(f->mark, 0, f->nslots * sizeof(*f->mark));
		f->stamp = 1;
	}
	for (size_t i = 0; i < f->nlb; i++)
		f->mark[f->lb[i]] = f->stamp;
	for (size_t i = 0; i < f->norg; i++)
		f->mark[f->org[i]] = f->stamp;
	for (size_t i = 0; i < f->nslots; i++)
		if (f->mark[i] != f->stamp)
			return (int)i;
	return -1;	/* cannot happen: maxlines + 2 slots, at most maxlines + 1 live */
}

static int
slot_set(struct slot *sl, const char *a, size_t na, const char *b, size_t nb)
{
	size_t n = na + nb;

	if (n > sl->cap) {
		size_t cap = sl->cap ? sl->cap : 128;
		while (cap < n)
			cap *= 2;
		char *p = realloc(sl->p, cap);
		if (p == NULL)
			return -1;
		sl->p = p;
		sl->cap = cap;
	}
	if (na)
		memcpy(sl->p, a, na);
	if (nb)
		memcpy(sl->p + na, b, nb);
	sl->n = n;
	return 0;
}

/* Regex._tupleLinesBuf: the lines joined by "\n", and a final "\n". */
static int
join_lines(const struct f2b_flt *f, const int *ids, size_t n, struct sbuf *out)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += f->slots[ids[i]].n + 1;
	if (sbuf_reserve(out, total + 1) != 0)
		return -1;
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct slot *sl = &f->slots[ids[i]];
		if (sl->n > 0)	/* an empty line may have no buffer yet */
			memcpy(out->p + out->n, sl->p, sl->n);
		out->n += sl->n;
		out->p[out->n++] = '\n';
	}
	out->p[out->n] = '\0';
	return 0;
}

static size_t
count_nl(const char *p, size_t n)
{
	size_t c = 0;
	const char *end = p + n;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* Regex.search's bookkeeping: which lines of org the match covers (they
 * leave the buffer) and which stay (before it, <SKIPLINES>, after it). */
static void
split_matched(struct f2b_flt *f, const char *buf, size_t blen, const struct f2b_gvals *g)
{
	f->nmatched = f->nunmatched = 0;
	if (f->norg <= 1) {
		for (size_t i = 0; i < f->norg; i++)
			f->matched[f->nmatched++] = f->org[i];
		return;
	}
	size_t lim = g->mstart + 1 < blen ? g->mstart + 1 : blen;
	const char *nl = lim ? memrchr(buf, '\n', lim) : NULL;
	size_t mls = nl ? (size_t)(nl - buf) + 1 : 0;
	size_t from = g->mend > 0 ? g->mend - 1 : (blen ? blen - 1 : 0);
	nl = from < blen ? memchr(buf + from, '\n', blen - from) : NULL;
	size_t mle = nl ? (size_t)(nl - buf) + 1 : blen;
	size_t lc1 = count_nl(buf, mls), lc2 = count_nl(buf, mle);
	if (lc1 > f->norg)
		lc1 = f->norg;
	if (lc2 > f->norg)
		lc2 = f->norg;
	for (size_t i = 0; i < lc1; i++)
		f->unmatched[f->nunmatched++] = f->org[i];
	for (size_t i = lc1; i < lc2; i++)
		f->matched[f->nmatched++] = f->org[i];
	/* each skipped line leaves the matched ones (the first equal one at or
	 * after the previous find) */
	size_t from_m = 0;
	for (size_t k = 0; k < g->nskip; k++) {
		const char *p = g->skip[k].p, *end = p + g->skip[k].n;
		if (!g->skip[k].set)
			continue;
		while (p < end) {
			const char *e = memchr(p, '\n', (size_t)(end - p));
			size_t ln = e ? (size_t)(e - p) : (size_t)(end - p);
			for (size_t m = from_m; m < f->nmatched; m++) {
				const struct slot *sl = &f->slots[f->matched[m]];
				if (sl->n == ln && (ln == 0 || memcmp(sl->p, p, ln) == 0)) {
					f->unmatched[f->nunmatched++] = f->matched[m];
					memmove(f->matched + m, f->matched + m + 1,
					    (f->nmatched - m - 1) * sizeof(*f->matched));
					f->nmatched--;
					from_m = m;
					break;
				}
			}
			p += ln + 1;
		}
	}
	for (size_t i = lc2; i < f->norg; i++)
		f->unmatched[f->nunmatched++] = f->org[i];
}

static void
lb_set(struct f2b_flt *f, const int *ids, size_t n)
{
	memmove(f->lb, ids, n * sizeof(*ids));
	f->nlb = n;
}

/* ---- the regexes of a filter, with the set's PCRE2 contexts ---- */

static int
re_compile(struct f2b_set *s, struct f2b_re *re, const char *text, bool multiline,
    const char *where, char *err, size_t errlen)
{
	if (f2b_re_compile(re, text, multiline, s->cctx, where, err, errlen) != 0)
		return -1;
	if (re->ncaptures + 1 > s->max_captures)
		s->max_captures = re->ncaptures + 1;
	return 0;
}

/* Whether the line may hold a match of re, by the prefilter's findings
 * (for a single-line filter's regexes: their text is cut from the line). */
static inline bool
re_possible(const struct f2b_prefilter *pf, const struct f2b_re *re)
{
	if (re->lit_id >= 0 && !f2b_pf_found(pf, re->lit_id))
		return false;
	if (!re->anyof_live)
		return true;
	for (size_t c = 0; c < re->nanyof; c++) {
		const struct f2b_anyof *a = &re->anyof[c];
		size_t k = 0;
		while (k < a->n && !f2b_pf_found(pf, a->id[k]))
			k++;
		if (k == a->n)
			return false;
	}
	return true;
}

static int
re_run(struct f2b_scratch *sc, struct f2b_flt *f, struct f2b_re *re, const char *subj, size_t n)
{
	return f2b_re_run(re, subj, n, sc->md, sc->mctx, &f->st.limit_hits);
}

static void
re_values(struct f2b_scratch *sc, const struct f2b_re *re, const char *subj, int rc, struct f2b_gvals *g)
{
	f2b_re_values(re, sc->md, subj, rc, g);
}

static bool
possible_has(uint64_t possible, size_t ri)
{
	return ri >= 64 || (possible >> ri & 1) != 0;
}

/* ---- one line through one filter: filter.py findFailure ---- */

static void
merged_view(const struct f2b_gvals *pre, const struct f2b_gvals *g, int k, struct f2b_view *v)
{
	static const struct f2b_view none = { NULL, 0, false };

	if (g->has[k])
		*v = g->v[k];
	else if (pre != NULL)
		*v = pre->v[k];
	else
		*v = none;
}

static void
report(struct f2b_scratch *sc, struct f2b_flt *f, int fi, int ri, const struct f2b_fail *fl,
    const struct f2b_visit *vis, f2b_failure_cb cb, void *arg)
{
	struct f2b_failure out;
	const struct f2b_fstr *ip = NULL, *id;
	bool raw = true;

	memset(&out, 0, sizeof(out));
	out.filter = fi;
	out.regex = ri;
	out.ts = vis->ts;
	out.line = vis->line;
	if (fl->v[K_IP4].set)
		ip = &fl->v[K_IP4];
	else if (fl->v[K_IP6].set)
		ip = &fl->v[K_IP6];
	else if (fl->v[K_DNS].set) {
		ip = &fl->v[K_DNS];
		raw = false;	/* fail2ban would resolve it; we never do */
	}
	id = ip ? ip : &fl->v[K_FID];
	memcpy(sc->id, id->s, id->n);
	sc->id[id->n] = '\0';
	out.id = sc->id;
	if (raw && !id->trunc && addr_parse(id->s, id->n, &out.addr) == 0) {
		out.has_addr = true;
		if (ip != NULL && fl->v[K_CIDR].set) {
			uint64_t c;
			if (uint_parse(fl->v[K_CIDR].s, 0, prefix_maxlen(&out.addr), &c) == 0)
				prefix_truncate(&out.addr, (unsigned)c);
			else
				out.has_addr = false;
		}
	}
	if (out.has_addr)
		f->st.failures++;
	else
		f->st.noaddr++;
	cb(arg, &out);
}

/* text/ntext: pre and post joined with a final "\n" (the buffer's text when
 * maxlines is 1), shared by the filters of one date detector. */
static void
flt_line(struct f2b_scratch *sc, struct f2b_flt *f, int fi, const struct f2b_visit *vis,
    const char *pre, size_t npre, const char *post, size_t npost, const char *text, size_t ntext,
    int64_t now, f2b_failure_cb cb, void *arg)
{
	struct f2b_gvals pg, g;
	bool cand = vis->cand, have_pre = false, any = cand;
	const char *cur;
	size_t ncur;
	int sl, rc;

	f->st.lines++;
	if (f->maxlines == 1) {
		/* The buffer is this line alone and its text is the shared one:
		 * no copy. Slot 0 stands for the line; nothing reads its bytes
		 * (split_matched looks at the lines only when there are several,
		 * and the buffer is emptied or replaced before it is joined). */
		f->slots[0].cand = cand;
		f->lb[0] = f->org[0] = 0;
		f->nlb = f->norg = 1;
		cur = text;
		ncur = ntext;
	} else {
		if ((sl = slot_alloc(f)) < 0 || slot_set(&f->slots[sl], pre, npre, post, npost) != 0)
			return;
		f->slots[sl].cand = cand;
		if (f->nlb == (size_t)f->maxlines)
			lb_set(f, f->lb + 1, f->nlb - 1);
		f->lb[f->nlb++] = sl;
		size_t total = 0;
		bool buffered = false;	/* a line of the buffer holds a literal */
		for (size_t i = 0; i < f->nlb; i++) {
			total += f->slots[f->lb[i]].n + 1;
			buffered |= f->slots[f->lb[i]].cand;
		}
		if (total > F2B_FLT_BUF_MAX && f->nlb > 1) {
			while (total > F2B_FLT_BUF_MAX && f->nlb > 1) {
				total -= f->slots[f->lb[0]].n + 1;
				lb_set(f, f->lb + 1, f->nlb - 1);
				f->st.dropped++;
			}
			buffered = false;
			for (size_t i = 0; i < f->nlb; i++)
				buffered |= f->slots[f->lb[i]].cand;
		}
		memcpy(f->org, f->lb, f->nlb * sizeof(*f->lb));
		f->norg = f->nlb;
		/* With no literal of the filter in the buffer no failregex can
		 * match; only prefregex's <F-CONTENT> may still change the
		 * buffer. Without a prefregex the line only joins the buffer. */
		any |= buffered;
		if (!any && !f->has_pref)
			return;
		if (join_lines(f, f->org, f->norg, &sc->a) != 0)
			return;
		cur = sc->a.p;
		ncur = sc->a.n;
	}

	/* ignoreregex first, when there are few of them */
	if (any && f->nign > 0 && (long)f->nign < (long)f->nfail - 2)
		for (size_t i = 0; i < f->nign; i++)
			if (re_run(sc, f, &f->ign[i], cur, ncur) > 0) {
				f->st.ignored++;
				return;
			}
	if (f->has_pref) {
		if ((rc = re_run(sc, f, &f->pref, cur, ncur)) == 0)
			return;
		re_values(sc, &f->pref, cur, rc, &pg);
		have_pre = true;
		if (f2b_view_true(&pg.v[K_CONTENT])) {
			int cs = slot_alloc(f);
			if (cs < 0 || slot_set(&f->slots[cs], "", 0, pg.v[K_CONTENT].p, pg.v[K_CONTENT].n) != 0)
				return;
			f->slots[cs].cand = true;
			f->lb[0] = cs;
			f->nlb = 1;
			cur = NULL;
		}
		pg.has[K_CONTENT] = false;
		pg.v[K_CONTENT].set = false;
	}
	for (size_t ri = 0; any && ri < f->nfail; ri++) {
		struct f2b_re *re = &f->fail[ri];
		/* A single-line filter's text is cut from this line: without the
		 * regex's literal in the line it cannot match. */
		if (f->maxlines == 1 && !possible_has(vis->possible, ri))
			continue;
		if (cur == NULL) {
			if (join_lines(f, f->lb, f->nlb, &sc->b) != 0)
				return;
			cur = sc->b.p;
			ncur = sc->b.n;
		}
		if ((rc = re_run(sc, f, re, cur, ncur)) == 0)
			continue;
		re_values(sc, re, cur, rc, &g);
		split_matched(f, cur, ncur, &g);
		if (f->nign > 0) {
			const char *ib = cur;
			size_t nib = ncur;
			if (f->maxlines > 1) {
				if (join_lines(f, f->matched, f->nmatched, &sc->c) != 0)
					return;
				ib = sc->c.p;
				nib = sc->c.n;
			}
			for (size_t i = 0; i < f->nign; i++)
				if (re_run(sc, f, &f->ign[i], ib, nib) > 0) {
					lb_set(f, f->unmatched, f->nunmatched);
					f->st.ignored++;
					return;
				}
		}
		lb_set(f, f->unmatched, f->nunmatched);
		cur = NULL;

		/* fail = prefregex's groups updated with this regex's */
		const struct f2b_gvals *pp = have_pre ? &pg : NULL;
		struct f2b_view mlfid, user, forget, gained, nofail, v;
		struct f2b_fail cf, tmp, *fl;
		struct f2b_mlf_entry *entry = NULL;
		memset(&cf, 0, sizeof(cf));
		for (int k = 0; k < V_N; k++) {
			merged_view(pp, &g, k, &v);
			f2b_fstr_set(&cf.v[k], &v);
		}
		merged_view(pp, &g, K_MLFID, &mlfid);
		merged_view(pp, &g, K_USER, &user);
		merged_view(pp, &g, K_MLFFORGET, &forget);
		merged_view(pp, &g, K_MLFGAINED, &gained);
		merged_view(pp, &g, K_NOFAIL, &nofail);
		if (mlfid.set && f->mlf != NULL) {
			fl = f2b_mlf_merge(f->mlf, &f->st.mlf_evictions, &mlfid, &cf, &user, &forget, &gained, &nofail, now, &tmp, &entry);
			if (fl->nofail) {
				f->st.nofail++;
				return;
			}
		} else
			fl = &cf;	/* without a connection, nofail stops nothing (as fail2ban) */
		if (!fl->v[K_IP4].set && !fl->v[K_IP6].set && !fl->v[K_DNS].set) {
			if (!fl->v[K_FID].set) {
				if (!mlfid.set)
					continue;	/* fail2ban: "No group found", next regex */
				if (entry != NULL)
					entry->fail.mlfpending = true;
				f->st.nofail++;
				return;		/* pending: waiting for the connection's address */
			}
		}
		report(sc, f, fi, (int)ri, fl, vis, cb, arg);
		return;
	}
}

/* ---- the set ---- */

struct f2b_set *
f2b_set_new(void)
{
	struct f2b_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cctx = pcre2_compile_context_create(NULL);
	if (s->cctx == NULL) {
		f2b_set_free(s);
		return NULL;
	}
	pcre2_set_newline(s->cctx, PCRE2_NEWLINE_LF);
	return s;
}

static void
flt_free(struct f2b_flt *f)
{
	if (f == NULL)
		return;
	f2b_re_free(&f->pref);
	for (size_t i = 0; i < f->nfail; i++)
		f2b_re_free(&f->fail[i]);
	for (size_t i = 0; i < f->nign; i++)
		f2b_re_free(&f->ign[i]);
	free(f->fail);
	free(f->ign);
	lru_free(f->mlf);
	for (size_t i = 0; i < f->nslots; i++)
		free(f->slots[i].p);
	free(f->slots);
	free(f->mark);
	free(f->lb);
	free(f->org);
	free(f->matched);
	free(f->unmatched);
	free(f->name);
	free(f);
}

void
f2b_set_free(struct f2b_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		flt_free(s->flt[i]);
	for (size_t i = 0; i < s->ndates; i++) {
		f2b_dates_free(s->dates[i].d);
		for (size_t k = 0; k < s->dates[i].n; k++)
			free(s->dates[i].pats[k]);
		free(s->dates[i].pats);
	}
	free(s->dates);
	f2b_pf_free(&s->pf);
	free(s->every);
	f2b_scratch_free(s->sc);
	pcre2_compile_context_free(s->cctx);
	free(s);
}

struct f2b_scratch *
f2b_scratch_new(const struct f2b_set *s)
{
	struct f2b_scratch *sc;

	if (!s->compiled || (sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	sc->mctx = pcre2_match_context_create(NULL);
	sc->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	sc->md = pcre2_match_data_create(s->max_captures + 1, NULL);
	if (sc->mctx == NULL || sc->jit == NULL || sc->md == NULL) {
		f2b_scratch_free(sc);
		return NULL;
	}
	pcre2_set_match_limit(sc->mctx, F2B_MATCH_LIMIT);
	pcre2_set_depth_limit(sc->mctx, F2B_DEPTH_LIMIT);
	pcre2_set_heap_limit(sc->mctx, F2B_HEAP_LIMIT_KIB);
	pcre2_jit_stack_assign(sc->mctx, NULL, sc->jit);
	sc->visit = calloc(s->n ? s->n : 1, sizeof(*sc->visit));	/* n >= 1 once compiled */
	sc->cands = calloc(s->n ? s->n : 1, sizeof(*sc->cands));
	if (sc->visit == NULL || sc->cands == NULL || f2b_u8_init(&sc->u8, F2B_FLT_LINE_MAX) != 0 ||
	    f2b_pf_fork(&s->pf, &sc->pf) != 0) {
		f2b_scratch_free(sc);
		return NULL;
	}
	return sc;
}

void
f2b_scratch_free(struct f2b_scratch *sc)
{
	if (sc == NULL)
		return;
	pcre2_match_data_free(sc->md);
	pcre2_jit_stack_free(sc->jit);
	pcre2_match_context_free(sc->mctx);
	free(sc->a.p);
	free(sc->b.p);
	free(sc->c.p);
	free(sc->text.p);
	free(sc->visit);
	free(sc->cands);
	f2b_u8_free(&sc->u8);
	f2b_pf_free(&sc->pf);
	free(sc);
}

/* Filters with the same datepattern lines share one date detector. */
static int
dates_get(struct f2b_set *s, const struct f2b_def *def, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->ndates; i++) {
		bool same = s->dates[i].n == def->ndatepatterns;
		for (size_t k = 0; same && k < def->ndatepatterns; k++)
			same = strcmp(s->dates[i].pats[k], def->datepatterns[k]) == 0;
		if (same)
			return (int)i;
	}
	struct dateset *n = realloc(s->dates, (s->ndates + 1) * sizeof(*n));
	if (n == NULL)
		goto oom;
	s->dates = n;
	struct dateset *d = &s->dates[s->ndates];
	memset(d, 0, sizeof(*d));
	char derr[256] = "";
	d->d = f2b_dates_new((const char *const *)def->datepatterns, def->ndatepatterns, derr, sizeof(derr));
	if (d->d == NULL) {
		snprintf(err, errlen, "%s: datepattern: %s", def->name, derr);
		return -1;
	}
	/* the same templates in several lists run once a line (every
	 * detector of the set is looked at: ids must not collide) */
	struct f2b_dates **others = calloc(s->ndates + 1, sizeof(void *));	/* pointers */
	if (others == NULL) {
		f2b_dates_free(d->d);
		goto oom;
	}
	for (size_t i = 0; i < s->ndates; i++)
		others[i] = s->dates[i].d;
	f2b_dates_share(d->d, others, s->ndates);
	free(others);
	if (def->ndatepatterns && (d->pats = calloc(def->ndatepatterns, sizeof(char *))) == NULL) {
		f2b_dates_free(d->d);
		goto oom;
	}
	for (size_t k = 0; k < def->ndatepatterns; k++) {
		if ((d->pats[k] = strdup(def->datepatterns[k])) == NULL) {
			for (size_t j = 0; j < k; j++)
				free(d->pats[j]);
			free(d->pats);
			f2b_dates_free(d->d);
			goto oom;
		}
		d->n = k + 1;
	}
	return (int)s->ndates++;
oom:
	snprintf(err, errlen, "%s: out of memory", def->name);
	return -1;
}

int
f2b_set_add(struct f2b_set *s, const struct f2b_def *def, unsigned flags, char *err, size_t errlen)
{
	struct f2b_flt *f;
	bool has_id = false;

	if (s->compiled || s->n >= F2B_FLT_MAX) {
		snprintf(err, errlen, "%s: %s", def->name, s->compiled ? "filters already compiled" :
		    "too many filters");
		return -1;
	}
	if (def->nfail == 0) {
		snprintf(err, errlen, "%s: the filter has no failregex", def->name);
		return -1;
	}
	if (def->maxlines < 1 || def->maxlines > F2B_FLT_MAXLINES) {
		snprintf(err, errlen, "%s: maxlines %d out of range 1..%d", def->name, def->maxlines,
		    F2B_FLT_MAXLINES);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		goto oom;
	f->name = strdup(def->name ? def->name : "?");
	f->flags = flags;
	f->maxlines = def->maxlines;
	f->nslots = (size_t)def->maxlines + 2;
	f->slots = calloc(f->nslots, sizeof(*f->slots));
	f->mark = calloc(f->nslots, sizeof(*f->mark));
	f->lb = calloc(f->nslots, sizeof(int));
	f->org = calloc(f->nslots, sizeof(int));
	f->matched = calloc(f->nslots, sizeof(int));
	f->unmatched = calloc(f->nslots, sizeof(int));
	f->fail = calloc(def->nfail, sizeof(*f->fail));
	f->ign = def->nignore ? calloc(def->nignore, sizeof(*f->ign)) : NULL;
	if (f->name == NULL || f->slots == NULL || f->mark == NULL || f->lb == NULL ||
	    f->org == NULL || f->matched == NULL || f->unmatched == NULL || f->fail == NULL ||
	    (def->nignore && f->ign == NULL))
		goto oom;
	f->dates = -1;
	if (!(flags & F2B_FLT_NODATE) && (f->dates = dates_get(s, def, err, errlen)) < 0)
		goto fail;
	if (def->prefregex != NULL) {
		if (re_compile(s, &f->pref, def->prefregex, false, def->prefregex_where, err, errlen) != 0)
			goto fail;
		f->has_pref = true;
		for (int k = K_IP4; k <= K_MLFID; k++)
			if (k != K_CIDR)
				has_id |= f->pref.group[k] > 0;
	}
	bool mlf = f->has_pref && f->pref.group[K_MLFID] > 0;
	for (size_t i = 0; i < def->nfail; i++) {
		struct f2b_re *re = &f->fail[i];
		if (re_compile(s, re, def->fail[i].text, def->maxlines > 1, def->fail[i].where, err, errlen) != 0)
			goto fail;
		f->nfail++;
		bool id = has_id;
		for (int k = K_IP4; k <= K_MLFID; k++)
			if (k != K_CIDR)
				id |= re->group[k] > 0;
		if (!id) {
			snprintf(err, errlen, "%s: no failure-id group (<HOST>, <ADDR>, <F-ID>, <F-MLFID>...) in the regex",
			    def->fail[i].where);
			goto fail;
		}
		mlf |= re->group[K_MLFID] > 0;
	}
	for (size_t i = 0; i < def->nignore; i++) {
		if (re_compile(s, &f->ign[i], def->ignore[i].text, false, def->ignore[i].where, err, errlen) != 0)
			goto fail;
		f->nign++;
	}
	if (mlf && (f->mlf = f2b_mlf_new(F2B_FLT_MLF_MAX)) == NULL)
		goto oom;
	s->flt[s->n] = f;
	return (int)s->n++;
oom:
	snprintf(err, errlen, "%s: out of memory", def->name ? def->name : "?");
fail:
	flt_free(f);
	return -1;
}

/* Adds the texts of re's clauses (of filter fi, or -1) to the prefilter. */
static int
anyof_add(struct f2b_set *s, struct f2b_re *re, int fi)
{
	for (size_t c = 0; c < re->nanyof; c++)
		for (size_t k = 0; k < re->anyof[c].n; k++)
			if ((re->anyof[c].id[k] = f2b_pf_add(&s->pf, re->anyof[c].lit[k], fi)) < 0)
				return -1;
	re->anyof_live = re->nanyof > 0;
	return 0;
}

int
f2b_set_compile(struct f2b_set *s, char *err, size_t errlen)
{
	size_t cap = 0;

	if (s->compiled) {
		snprintf(err, errlen, "compiled already");
		return -1;
	}
	if (s->n == 0) {
		snprintf(err, errlen, "no filter");
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct f2b_flt *f = s->flt[i];
		for (size_t r = 0; r <= f->nfail; r++) {	/* and prefregex */
			const struct f2b_re *re = r < f->nfail ? &f->fail[r] : &f->pref;
			cap++;
			for (size_t c = 0; c < re->nanyof; c++)
				cap += re->anyof[c].n;
		}
	}
	s->every = calloc(s->n, sizeof(*s->every));
	if (f2b_pf_init(&s->pf, cap, s->n) != 0 || s->every == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* A filter is flagged when a literal of one of its failregexes is in
	 * the line; one failregex without a literal makes it run on every
	 * line. A multi-line filter sees every line (each enters its buffer)
	 * but runs its failregexes only while a flagged line is buffered.
	 * The literals of such an always-run filter are still looked for:
	 * a single-line filter skips each failregex whose literal is not in
	 * the line (sshd has 22 failregexes, one without a literal). */
	/* A single-line filter's regexes also have their alternation
	 * clauses: a failregex without a literal but with a clause no longer
	 * makes the filter run on every line (the texts of its clause flag
	 * it), and a flagged filter runs only if one of its failregexes has
	 * all it needs in the line (roundcube-auth's " from " alone does not
	 * run it, its "failed login" or "login failed" must be there too). */
	for (size_t i = 0; i < s->n; i++) {
		struct f2b_flt *f = s->flt[i];
		bool nopre = (f->flags & F2B_FLT_NOPREFILTER) != 0;
		bool single = f->maxlines == 1;
		f->always = nopre;
		f->pref.lit_id = -1;
		for (size_t r = 0; r < f->nfail; r++) {
			f->fail[r].lit_id = -1;
			if (f->fail[r].lit == NULL && !(single && f->fail[r].nanyof > 0))
				f->always = true;
		}
		if (nopre)
			continue;
		for (size_t r = 0; r < f->nfail; r++) {
			if (f->fail[r].lit != NULL &&
			    (f->fail[r].lit_id = f2b_pf_add(&s->pf, f->fail[r].lit, (int)i)) < 0)
				goto oom;
			if (single && anyof_add(s, &f->fail[r], (int)i) != 0)
				goto oom;
		}
		/* A single-line filter whose prefregex has a literal of its own
		 * needs that one too: without it prefregex fails, and the
		 * filter does nothing with the line (apache-auth's "[client ",
		 * pam-generic's "authentication failure;"). */
		if (f->has_pref && single && f->pref.lit != NULL &&
		    (f->pref.lit_id = f2b_pf_add(&s->pf, f->pref.lit, -1)) < 0)
			goto oom;
		if (f->has_pref && single && anyof_add(s, &f->pref, -1) != 0)
			goto oom;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->flt[i]->always || s->flt[i]->maxlines > 1)
			s->every[s->nevery++] = (int)i;
	s->compiled = true;
	if ((s->sc = f2b_scratch_new(s)) == NULL) {
		s->compiled = false;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The length of line without its end (any '\n' and '\r' at the end): what
 * the ceiling applies to, in both paths. */
static size_t
line_body(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return len;
}

/* The line as fail2ban decodes it (Python's 'replace': one U+FFFD per
 * maximal bad subpart, common with f2b_date through f2b_u8). Returns the
 * line itself when nothing changes, NULL when it is longer than
 * F2B_FLT_LINE_MAX: such a line is dropped whole (and counted), never
 * matched in part, since the part cut off could hold what makes a
 * failregex name another address. The ceiling is on the line's own bytes:
 * bad bytes growing threefold once decoded must not let an attacker's
 * line be dropped for being short. */
static const char *
line_clean(struct f2b_scratch *sc, const char *line, size_t *len, int *view)
{
	if (*len > F2B_FLT_LINE_MAX)
		return NULL;
	switch (f2b_u8_view(&sc->u8, line, *len)) {
	case F2B_U8_FIXED:	/* now valid UTF-8 */
		*view = F2B_U8_VALID;
		*len = sc->u8.len;
		return sc->u8.buf;
	case F2B_U8_TOOBIG:	/* cannot happen: room for 3 x F2B_FLT_LINE_MAX */
		return NULL;
	case F2B_U8_ASCII:
		*view = F2B_U8_ASCII;
		return line;
	default:
		*view = F2B_U8_VALID;
		return line;
	}
}

/* The filters this line visits, in filter order (failures are reported in
 * that order): every[] merged with the ones the prefilter flagged. */
static size_t
visit_list(const struct f2b_set *s, struct f2b_scratch *sc)
{
	int *fl = sc->pf.flagged;
	size_t nfl = sc->pf.nflagged, n = 0, a = 0, b = 0;

	for (size_t i = 1; i < nfl; i++) {	/* a few: insertion sort */
		int x = fl[i];
		size_t j = i;
		for (; j > 0 && fl[j - 1] > x; j--)
			fl[j] = fl[j - 1];
		fl[j] = x;
	}
	while (a < s->nevery || b < nfl) {
		int x;
		if (b == nfl || (a < s->nevery && s->every[a] <= fl[b])) {
			x = s->every[a++];
			if (b < nfl && fl[b] == x)
				b++;
		} else
			x = fl[b++];
		sc->visit[n++] = x;
	}
	return n;
}

/* Phase one, the part that depends on the line alone (any thread, any
 * order): the line cleaned, the prefilter run, and the filters that visit
 * it, in filter order, each a candidate or not (a multi-line filter sees
 * every line) and with the failregexes that may match. out has room for
 * every filter. Returns the clean line (in sc's buffer when repaired), or
 * NULL when the line is over F2B_FLT_LINE_MAX. */
static const char *
line_scan(const struct f2b_set *s, struct f2b_scratch *sc, const char *line, size_t *len,
    int *view, struct f2b_cand *out, size_t *nout)
{
	size_t n = line_body(line, *len);

	*nout = 0;
	if ((line = line_clean(sc, line, &n, view)) == NULL)
		return NULL;
	*len = n;
	f2b_pf_scan(&sc->pf, line, n);
	size_t nvisit = visit_list(s, sc);
	for (size_t vi = 0; vi < nvisit; vi++) {
		int i = sc->visit[vi];
		const struct f2b_flt *f = s->flt[i];
		struct f2b_cand c = { i, f->always || sc->pf.cand[i], ~(uint64_t)0 };

		if (f->maxlines == 1 && c.cand) {
			/* prefregex, or every failregex, cannot match */
			if (!re_possible(&sc->pf, &f->pref))
				c.cand = false;
			else {
				bool some = false;
				c.possible = 0;
				for (size_t r = 0; r < f->nfail; r++)
					if (re_possible(&sc->pf, &f->fail[r])) {
						some = true;
						if (r < 64)
							c.possible |= (uint64_t)1 << r;
					}
				if (!f->always)
					c.cand = some;
			}
		}
		if (!c.cand && f->maxlines == 1)
			continue;
		out[(*nout)++] = c;
	}
	return line;
}

/* Phase one, the part that keeps state from line to line (one thread, the
 * lines in order): the dates the visiting filters' detectors find (each
 * detector remembers its last template and last date), and the visits
 * made, in filter order, with fn. */
typedef int (*visit_fn)(struct f2b_set *s, void *arg, int fi, const char *line, size_t len,
    const struct f2b_visit *v);

static void
line_dates(struct f2b_set *s, const char *line, size_t len, int view, const struct f2b_cand *c,
    size_t nc, int64_t now, uint32_t idx, visit_fn fn, void *arg)
{
	s->gen++;
	s->dmemo.gen = s->gen;
	if (nc > 0)
		s->passed++;
	for (size_t k = 0; k < nc; k++) {
		int i = c[k].filter;
		const struct f2b_flt *f = s->flt[i];
		struct f2b_visit v = { idx, 0, 0, false, c[k].cand, c[k].possible, now };

		if (f->dates >= 0) {
			struct dateset *d = &s->dates[f->dates];
			if (d->gen != s->gen) {
				d->gen = s->gen;
				/* the line's class is known: the detector need not
				 * look at its bytes again */
				d->found = f2b_dates_find_ex(d->d, line, len, now, view, &s->dmemo, &d->hit);
				if (d->found && d->hit.end <= len && d->hit.start <= d->hit.end) {
					d->last = d->hit.ts;
					d->have_last = true;
				} else
					d->found = 0;
			}
			if (d->found && d->hit.start < d->hit.end) {
				v.cut = true;
				v.cut_start = (uint32_t)d->hit.start;
				v.cut_end = (uint32_t)d->hit.end;
			}
			v.ts = d->found ? d->hit.ts : d->have_last ? d->last : now;
		}
		if (fn(s, arg, i, line, len, &v) != 0)
			break;
	}
}

/* Phase two of one visit: the filter's regexes and state. */
static void
visit_run(struct f2b_set *s, struct f2b_scratch *sc, int fi, const char *line, size_t len,
    const struct f2b_visit *v, int64_t now, f2b_failure_cb cb, void *arg)
{
	struct f2b_flt *f = s->flt[fi];
	const char *pre = "", *post = line;
	size_t npre = 0, npost = len;

	if (v->cut) {
		pre = line;
		npre = v->cut_start;
		post = line + v->cut_end;
		npost = len - v->cut_end;
	}
	if (f->maxlines == 1) {
		struct sbuf *t = &sc->text;
		if (sbuf_reserve(t, npre + npost + 2) != 0)
			return;
		memcpy(t->p, pre, npre);
		memcpy(t->p + npre, post, npost);
		t->n = npre + npost;
		t->p[t->n++] = '\n';
		t->p[t->n] = '\0';
	}
	flt_line(sc, f, fi, v, pre, npre, post, npost, sc->text.p, sc->text.n, now, cb, arg);
}

struct now_run {
	int64_t now;
	f2b_failure_cb cb;
	void *arg;
};

static int
run_now(struct f2b_set *s, void *arg, int fi, const char *line, size_t len, const struct f2b_visit *v)
{
	struct now_run *r = arg;

	visit_run(s, s->sc, fi, line, len, v, r->now, r->cb, r->arg);
	return 0;
}

void
f2b_set_line(struct f2b_set *s, const char *line, size_t len, int64_t now,
    f2b_failure_cb cb, void *arg)
{
	struct now_run r = { now, cb, arg };
	size_t nc;
	int view;

	if (!s->compiled)
		return;
	if ((line = line_scan(s, s->sc, line, &len, &view, s->sc->cands, &nc)) == NULL) {
		s->overlong++;
		return;
	}
	line_dates(s, line, len, view, s->sc->cands, nc, now, 0, run_now, &r);
}

/* ---- batches: phase one (in parts), phase two per filter ---- */

struct bfail {
	uint32_t line;
	int regex;
	bool has_addr;
	struct a5_prefix addr;
	size_t id_off;
	int64_t ts;
};

/* One filter's share of a batch: written by the thread running it. */
struct bflt {
	struct f2b_visit *v;
	size_t nv, capv;
	struct bfail *f;
	size_t nf, capf;
	char *ids;
	size_t nids, capids;
	bool oom;
};

enum { BL_SKIP, BL_OVERLONG, BL_OK };

struct bline {
	const char *p;		/* as given, then the clean line */
	uint32_t len;
	uint8_t state;		/* BL_* */
	uint8_t view;
	uint32_t cfirst, ncand;	/* its candidates in its part's list */
};

/* Copies of lines that were repaired (bad UTF-8): the scratch's decoding
 * buffer is reused at the next line. Chunks are never moved. */
#define BATCH_CHUNK (64u << 10)
struct bchunk {
	struct bchunk *next;
	size_t used;
	char data[];
};

/* One part of phase one's line-alone work: written by one thread. */
struct bpart {
	struct f2b_cand *c;
	size_t nc, capc;
	struct bchunk *chunks;
	bool oom;
};

struct f2b_batch {
	size_t nflt;
	int64_t now;
	struct bline *lines;
	size_t nlines, caplines;
	struct bpart *parts;
	size_t capparts;
	struct bflt *flt;
	bool oom;
};

struct f2b_batch *
f2b_batch_new(const struct f2b_set *s)
{
	struct f2b_batch *b;

	if (!s->compiled || (b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->nflt = s->n;
	if ((b->flt = calloc(s->n, sizeof(*b->flt))) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

static void
chunks_free(struct bchunk *c)
{
	while (c != NULL) {
		struct bchunk *next = c->next;
		free(c);
		c = next;
	}
}

void
f2b_batch_free(struct f2b_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nflt; i++) {
		free(b->flt[i].v);
		free(b->flt[i].f);
		free(b->flt[i].ids);
	}
	for (size_t i = 0; i < b->capparts; i++) {
		free(b->parts[i].c);
		chunks_free(b->parts[i].chunks);
	}
	free(b->parts);
	free(b->flt);
	free(b->lines);
	free(b);
}

void
f2b_batch_reset(struct f2b_batch *b, int64_t now)
{
	b->now = now;
	b->nlines = 0;
	for (size_t i = 0; i < b->nflt; i++) {
		b->flt[i].nv = b->flt[i].nf = b->flt[i].nids = 0;
		b->flt[i].oom = false;
	}
	for (size_t i = 0; i < b->capparts; i++) {
		b->parts[i].nc = 0;
		b->parts[i].oom = false;
		chunks_free(b->parts[i].chunks);
		b->parts[i].chunks = NULL;
	}
	b->oom = false;
}

/* Grows *p (of *cap elements of size sz) to hold n + 1. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *q = realloc(*p, ncap * sz);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

static void
batch_add(struct f2b_batch *b, const char *line, size_t len, uint8_t state)
{
	if (b->oom || grow((void **)&b->lines, &b->caplines, b->nlines, sizeof(*b->lines)) != 0) {
		b->oom = true;
		return;
	}
	b->lines[b->nlines++] = (struct bline){ line, (uint32_t)len, state, 0, 0, 0 };
}

int
f2b_batch_line(struct f2b_batch *b, const char *line, size_t len)
{
	size_t n = line_body(line, len);

	/* kept without its end: a length that fits the ceiling fits the
	 * record's 32 bits, whatever line end the caller left on it */
	batch_add(b, line, n > F2B_FLT_LINE_MAX ? 0 : n,
	    n > F2B_FLT_LINE_MAX ? BL_OVERLONG : BL_OK);
	return b->oom ? -1 : 0;
}

void
f2b_batch_skip(struct f2b_batch *b)
{
	batch_add(b, NULL, 0, BL_SKIP);
}

size_t
f2b_batch_parts(struct f2b_batch *b)
{
	size_t n = (b->nlines + F2B_BATCH_PART_LINES - 1) / F2B_BATCH_PART_LINES;

	if (n > b->capparts) {
		struct bpart *p = realloc(b->parts, n * sizeof(*p));
		if (p == NULL) {
			b->oom = true;
			return 0;
		}
		memset(p + b->capparts, 0, (n - b->capparts) * sizeof(*p));
		b->parts = p;
		b->capparts = n;
	}
	return n;
}

static const char *
part_keep(struct bpart *pt, const char *line, size_t len)
{
	if (pt->chunks == NULL || pt->chunks->used + len + 1 > BATCH_CHUNK) {
		size_t sz = len + 1 > BATCH_CHUNK ? len + 1 : BATCH_CHUNK;
		struct bchunk *c = malloc(sizeof(*c) + sz);
		if (c == NULL)
			return NULL;
		c->next = pt->chunks;
		c->used = 0;
		pt->chunks = c;
	}
	char *p = pt->chunks->data + pt->chunks->used;
	memcpy(p, line, len);
	p[len] = '\0';
	pt->chunks->used += len + 1;
	return p;
}

void
f2b_batch_scan(const struct f2b_set *s, struct f2b_batch *b, size_t part, struct f2b_scratch *sc)
{
	struct bpart *pt = &b->parts[part];
	size_t from = part * F2B_BATCH_PART_LINES, to = from + F2B_BATCH_PART_LINES;

	if (to > b->nlines)
		to = b->nlines;
	pt->nc = 0;
	for (size_t i = from; i < to && !pt->oom; i++) {
		struct bline *bl = &b->lines[i];
		size_t len = bl->len, nc;
		int view;
		if (bl->state != BL_OK)
			continue;
		const char *clean = line_scan(s, sc, bl->p, &len, &view, sc->cands, &nc);
		if (clean == NULL) {
			bl->state = BL_OVERLONG;
			continue;
		}
		if (clean != bl->p && (clean = part_keep(pt, clean, len)) == NULL) {
			pt->oom = true;
			break;
		}
		bl->p = clean;
		bl->len = (uint32_t)len;
		bl->view = (uint8_t)view;
		bl->cfirst = (uint32_t)pt->nc;
		bl->ncand = (uint32_t)nc;
		for (size_t k = 0; k < nc; k++) {
			if (grow((void **)&pt->c, &pt->capc, pt->nc, sizeof(*pt->c)) != 0) {
				pt->oom = true;
				break;
			}
			pt->c[pt->nc++] = sc->cands[k];
		}
	}
}

static int
batch_visit(struct f2b_set *s, void *arg, int fi, const char *line, size_t len,
    const struct f2b_visit *v)
{
	struct f2b_batch *b = arg;
	struct bflt *bf = &b->flt[fi];

	(void)s;
	(void)line;
	(void)len;
	if (grow((void **)&bf->v, &bf->capv, bf->nv, sizeof(*bf->v)) != 0) {
		b->oom = true;
		return -1;
	}
	bf->v[bf->nv++] = *v;
	return 0;
}

int
f2b_batch_prepare(struct f2b_set *s, struct f2b_batch *b)
{
	for (size_t i = 0; i < b->nlines && !b->oom; i++) {
		const struct bline *bl = &b->lines[i];
		const struct bpart *pt = &b->parts[i / F2B_BATCH_PART_LINES];
		if (pt->oom)
			b->oom = true;
		else if (bl->state == BL_OVERLONG)
			s->overlong++;
		else if (bl->state == BL_OK)
			line_dates(s, bl->p, bl->len, bl->view, bl->ncand > 0 ? pt->c + bl->cfirst : NULL,
			    bl->ncand, b->now,
			    (uint32_t)i, batch_visit, b);
	}
	return b->oom ? -1 : 0;
}

size_t
f2b_batch_visits(const struct f2b_batch *b, int filter)
{
	return b->flt[filter].nv;
}

static void
batch_fail(void *arg, const struct f2b_failure *f)
{
	struct bflt *bf = arg;
	size_t n = strlen(f->id);

	if (grow((void **)&bf->f, &bf->capf, bf->nf, sizeof(*bf->f)) != 0) {
		bf->oom = true;
		return;
	}
	while (bf->nids + n + 1 > bf->capids) {
		size_t ncap = bf->capids ? bf->capids * 2 : 4096;
		char *q = realloc(bf->ids, ncap);
		if (q == NULL) {
			bf->oom = true;
			return;
		}
		bf->ids = q;
		bf->capids = ncap;
	}
	memcpy(bf->ids + bf->nids, f->id, n + 1);
	bf->f[bf->nf++] = (struct bfail){ (uint32_t)f->line, f->regex, f->has_addr, f->addr,
	    bf->nids, f->ts };
	bf->nids += n + 1;
}

/* Whether the lines a multi-line filter without prefregex takes into its
 * buffer during this batch may be left out where nothing will read them
 * (see f2b_batch_run): only while no line can be dropped for the buffer's
 * byte ceiling, whose count would then differ. */
static bool
batch_may_skip(const struct f2b_flt *f, const struct f2b_batch *b, const struct bflt *bf)
{
	size_t longest = 0;

	if (f->maxlines == 1 || f->has_pref)
		return false;
	for (size_t i = 0; i < f->nlb; i++) {
		const struct slot *sl = &f->slots[f->lb[i]];
		longest = sl->n > longest ? sl->n : longest;
	}
	for (size_t i = 0; i < bf->nv; i++) {
		size_t n = b->lines[bf->v[i].line].len;
		longest = n > longest ? n : longest;
	}
	return (size_t)f->maxlines * (longest + 1) <= F2B_FLT_BUF_MAX;
}

/* Whether a candidate line is in the filter's buffer now. */
static bool
buffer_has_cand(const struct f2b_flt *f)
{
	for (size_t i = 0; i < f->nlb; i++)
		if (f->slots[f->lb[i]].cand)
			return true;
	return false;
}

void
f2b_batch_run(struct f2b_set *s, struct f2b_batch *b, int filter, struct f2b_scratch *sc)
{
	struct bflt *bf = &b->flt[filter];
	const struct f2b_flt *f = s->flt[filter];
	bool may_skip = batch_may_skip(f, b, bf);
	size_t m = (size_t)f->maxlines, next = 0;	/* next: the first candidate after i */
	bool clean = false;		/* known: no candidate in the buffer */

	for (size_t i = 0; i < bf->nv; i++) {
		const struct f2b_visit *v = &bf->v[i];
		const struct bline *bl = &b->lines[v->line];
		/* A multi-line filter without prefregex runs its regexes over
		 * its buffer only while a candidate line is in it. Line i is
		 * never read, and may be left out of the buffer, when no
		 * candidate is in the buffer now (none is run until the next
		 * candidate comes, so none leaves it early through a match),
		 * the next candidate is maxlines visits away or more (line i
		 * would have left the buffer before it), and that next one is
		 * in this batch (visit i + maxlines is): the maxlines lines
		 * before a candidate, and the batch's last ones, are always
		 * added, so the buffer is the same wherever it is read. Only
		 * the visit is counted. (Counting visits since the last
		 * candidate is not enough: a match ending past it can leave
		 * an older candidate in a shorter buffer, which then stays
		 * longer than maxlines lines.) */
		if (may_skip && !v->cand) {
			if (next <= i)
				next = i + 1;
			while (next < bf->nv && !bf->v[next].cand)
				next++;
			if (next - i >= m && i + m < bf->nv && (clean || !buffer_has_cand(f))) {
				clean = true;	/* the buffer is left as it is */
				s->flt[filter]->st.lines++;
				continue;
			}
		}
		clean = false;
		visit_run(s, sc, filter, bl->p, bl->len, v, b->now, batch_fail, bf);
	}
}

int
f2b_batch_emit(struct f2b_batch *b, uint64_t base, f2b_failure_cb cb, void *arg)
{
	size_t at[F2B_FLT_MAX], live[F2B_FLT_MAX], nlive = 0;
	int rc = b->oom ? -1 : 0;

	for (size_t i = 0; i < b->nflt; i++) {
		at[i] = 0;
		if (b->flt[i].oom)
			rc = -1;
		if (b->flt[i].nf > 0)
			live[nlive++] = i;
	}
	/* a merge by line; on one line, filter order (as f2b_set_line) */
	while (nlive > 0) {
		size_t best = 0;
		for (size_t k = 1; k < nlive; k++)
			if (b->flt[live[k]].f[at[live[k]]].line < b->flt[live[best]].f[at[live[best]]].line)
				best = k;
		size_t fi = live[best];
		const struct bfail *x = &b->flt[fi].f[at[fi]];
		struct f2b_failure out = { (int)fi, x->regex, x->has_addr, x->addr,
		    b->flt[fi].ids + x->id_off, x->ts, base + x->line };
		cb(arg, &out);
		if (++at[fi] == b->flt[fi].nf)
			memmove(live + best, live + best + 1, (--nlive - best) * sizeof(*live));
	}
	return rc;
}

size_t
f2b_set_count(const struct f2b_set *s)
{
	return s->n;
}

const char *
f2b_set_name(const struct f2b_set *s, int filter)
{
	return s->flt[filter]->name;
}

void
f2b_set_stats(const struct f2b_set *s, int filter, struct f2b_filter_stats *st)
{
	*st = s->flt[filter]->st;
}

uint64_t
f2b_set_overlong(const struct f2b_set *s)
{
	return s->overlong;
}

uint64_t
f2b_set_prefilter_passed(const struct f2b_set *s)
{
	return s->passed;
}
