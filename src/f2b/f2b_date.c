/* f2b_date.c - finds a log line's date as fail2ban's DateDetector does:
 * its template order and reordering, and its strptime rules for the time. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "f2b/f2b_date.h"
#include "f2b/f2b_datepat.h"
#include "f2b/f2b_time.h"
#include "f2b/f2b_u8.h"

/* Bounds on one regex search: fail2ban's templates need far less; a
 * hostile datepattern stops here instead of running away. */
#define DATE_MATCH_LIMIT 100000
#define DATE_DEPTH_LIMIT 1000
#define DATE_HEAP_LIMIT_KIB 2048

/* fail2ban moves a template up unless the target was used this recently. */
#define UNUSED_SECS 300
/* fail2ban reuses the last good date for a date it cannot read, when that
 * date is this recent. */
#define LAST_DATE_SECS 60

/* Lines with bad UTF-8 up to this long are fixed as fail2ban decodes them. */
#define FIX_LINE_MAX 8192

#define NONE_CH (-2)	/* fail2ban's None: equal to no character */
#define FIELDS_MAX 24

struct tmpl {
	pcre2_code *code;	/* byte-wise: ASCII lines, and lines that are not UTF-8 */
	pcre2_code *ucode;	/* UTF-8 and Unicode classes, as Python's str patterns */
	bool jit, ujit;		/* JIT-compiled: run by pcre2_jit_match */
	bool jit_tried, ujit_tried;	/* JIT compiles at the first run (tmatch) */
	enum f2b_tkind kind;
	unsigned flags;
	int vgrp;
	double weight;
	unsigned need;		/* F2B_NEED_* */
	unsigned long rx_hits;	/* regex matches: fail2ban's shared template.hits */
	struct f2b_field f[FIELDS_MAX];	/* named groups in group order */
	unsigned nf;
	int pgrp;		/* the %p group, -1 if none */
	/* For a pattern anchored at the start (fail2ban's "^..." date
	 * patterns): the bytes a match can start with, one bit each, from
	 * PCRE2's own analysis; a line starting with another fails without
	 * a call. */
	bool has_first, has_ufirst;
	uint8_t first[32], ufirst[32];
	uint32_t ncap;		/* capture groups */
	uint32_t rid;		/* runs shared with the templates of this id (0: none) */
	char *name, *regex;
};

/* fail2ban's DateDetectorTemplate: a template's place and usage here. */
struct slot {
	struct tmpl *t;
	unsigned long hits;
	int64_t last_used;
	int64_t distance;
};

struct f2b_dates {
	struct tmpl *t;
	size_t nt;
	struct slot *s;		/* the current order */
	size_t last_idx, first_unused;
	/* where the last date was: its start and end, the characters around */
	int64_t last_pos, last_end;
	int lp_before, lp_at, le_before, le_at;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *js;
	PCRE2_SIZE *saved;	/* the reserved match's offsets */
	uint32_t ovn;
	bool have_last;
	int64_t last_ts;
	struct f2b_clock clock;
	struct f2b_u8 u8;
	pcre2_code *alnum;	/* a letter or number (Python's isalnum) */
};

/* --- Python re syntax to PCRE2 ------------------------------------------ */

/* Appends s to o at *k. */
static void
put(char *o, size_t *k, const char *s)
{
	while (*s != '\0')
		o[(*k)++] = *s++;
}

/* The few spellings where Python's re and PCRE2 differ: inline flags a, L
 * and u (PCRE2 has none), \Z (PCRE2 \z), {,n} (PCRE2 10.42 reads it as
 * text), \s (Python's also takes \x1c-\x1f). \d is kept to ASCII digits,
 * in UTF mode too: a date is read with ASCII digits only. Global flags
 * after the start are an error in Python (fail2ban then fails on every
 * line): *bad. */
static char *
py_to_pcre(const char *r, bool *bad)
{
	size_t n = strlen(r);
	char *o = malloc(16 * n + 1);
	size_t k = 0;
	bool cls = false;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char ch = r[i];
		if (ch == '\\' && i + 1 < n) {
			char e = r[++i];
			if (!cls && e == 'Z')
				put(o, &k, "\\z");
			else if (e == 's')
				put(o, &k, cls ? "\\s\\x1c-\\x1f" : "[\\s\\x1c-\\x1f]");
			else if (!cls && e == 'S')
				put(o, &k, "[^\\s\\x1c-\\x1f]");
			else {
				o[k++] = ch;
				o[k++] = e;
			}
			continue;
		}
		if (cls) {
			if (ch == ']')
				cls = false;
			o[k++] = ch;
			continue;
		}
		if (ch == '[') {
			cls = true;
			o[k++] = ch;
			/* a ] first in a class is a member */
			if (i + 1 < n && r[i + 1] == '^')
				o[k++] = r[++i];
			if (i + 1 < n && r[i + 1] == ']')
				o[k++] = r[++i];
			continue;
		}
		if (ch == '(' && i + 2 < n && r[i + 1] == '?' && strchr("aiLmsux-", r[i + 2]) != NULL) {
			size_t j = i + 2;
			while (j < n && strchr("aiLmsux-", r[j]) != NULL)
				j++;
			if (j < n && (r[j] == ')' || r[j] == ':')) {
				char fl[16];
				size_t nf = 0;
				for (size_t q = i + 2; q < j && nf < sizeof(fl) - 1; q++)
					if (r[q] != 'a' && r[q] != 'L' && r[q] != 'u')
						fl[nf++] = r[q];
				if (r[j] == ')' && i != 0)
					*bad = true;
				if (nf == 0 && r[j] == ')') {
					i = j;
					continue;
				}
				o[k++] = '(';
				o[k++] = '?';
				memcpy(o + k, fl, nf);
				k += nf;
				o[k++] = r[j];
				i = j;
				continue;
			}
		}
		if (ch == '{' && i + 1 < n && r[i + 1] == ',') {
			size_t j = i + 2;
			while (j < n && r[j] >= '0' && r[j] <= '9')
				j++;
			if (j > i + 2 && j < n && r[j] == '}') {
				o[k++] = '{';
				o[k++] = '0';
				continue;
			}
		}
		o[k++] = ch;
	}
	o[k] = '\0';
	return o;
}

static const char field_keys[] = "YymbBdHIMSpaAwjUWzZ";

/* The bytes every match of an anchored pattern starts with, when PCRE2
 * knows them (its start bitmap). */
static bool
first_bytes(const pcre2_code *code, uint8_t out[32])
{
	uint32_t opts = 0;
	const uint8_t *bm = NULL;

	if (pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &opts) != 0 || !(opts & PCRE2_ANCHORED) ||
	    pcre2_pattern_info(code, PCRE2_INFO_FIRSTBITMAP, &bm) != 0 || bm == NULL)
		return false;
	memcpy(out, bm, 32);
	return true;
}

static int
tmpl_compile(struct tmpl *t, const struct f2b_tspec *sp, char *err, size_t errlen)
{
	int ecode;
	PCRE2_SIZE eoff;
	bool bad = false;
	char *pc = py_to_pcre(sp->regex, &bad);

	if (pc == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (bad) {
		snprintf(err, errlen, "date template '%s': inline flags such as (?i) must open "
		    "the pattern (Python refuses them elsewhere): '%s'", sp->name, sp->regex);
		free(pc);
		return -1;
	}
	/* No \C: Python refuses it, and in the UTF program it could split a
	 * character. */
	t->code = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED, PCRE2_NEVER_BACKSLASH_C,
	    &ecode, &eoff, NULL);
	if (t->code != NULL) {
		t->ucode = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C,
		    &ecode, &eoff, NULL);
		if (t->ucode == NULL) {
			pcre2_code_free(t->code);
			t->code = NULL;
		}
	}
	free(pc);
	if (t->code == NULL) {
		char msg[160];
		pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errlen, "date template '%s': bad regex: %s (near offset %zu of '%s')",
		    sp->name, msg, (size_t)eoff, sp->regex);
		return -1;
	}
	/* The date is group 1 (epoch kinds: vgrp); PCRE2 leaves the ovector
	 * pairs past the pattern's last group unset-by-nobody, so a pattern
	 * without that group would be read from uninitialised memory. fail2ban
	 * wraps an ungrouped pattern, so only a text Python refuses gets here
	 * ("^?" becomes "^(?)": a PCRE2 option setting, Python's error). */
	uint32_t ncap = 0;
	pcre2_pattern_info(t->code, PCRE2_INFO_CAPTURECOUNT, &ncap);
	if (ncap < 1 || (sp->kind != F2B_TK_REGEX && (sp->vgrp < 1 || (uint32_t)sp->vgrp > ncap))) {
		snprintf(err, errlen, "date template '%s': no group for the date in '%s'", sp->name,
		    sp->regex);
		pcre2_code_free(t->code);
		pcre2_code_free(t->ucode);
		t->code = t->ucode = NULL;
		return -1;
	}
	t->ncap = ncap;
	t->has_first = first_bytes(t->code, t->first);
	t->has_ufirst = first_bytes(t->ucode, t->ufirst);
	t->jit = t->ujit = t->jit_tried = t->ujit_tried = false;
	t->kind = sp->kind;
	t->flags = sp->flags;
	t->vgrp = sp->vgrp;
	t->weight = sp->weight;
	t->need = sp->need;
	t->pgrp = -1;
	t->nf = 0;
	if (sp->kind == F2B_TK_REGEX) {
		for (const char *k = field_keys; *k; k++) {
			char nm[2] = { *k, '\0' };
			int g = pcre2_substring_number_from_name(t->code, (PCRE2_SPTR)nm);
			if (g <= 0)
				continue;
			if (*k == 'p')
				t->pgrp = g;
			if (t->nf < FIELDS_MAX)
				t->f[t->nf++] = (struct f2b_field){ .grp = (uint16_t)g, .key = *k };
		}
		/* fail2ban reads the fields in their order in the pattern: a later
		 * one wins (%z after %Z) */
		for (unsigned i = 1; i < t->nf; i++)
			for (unsigned j = i; j > 0 && t->f[j - 1].grp > t->f[j].grp; j--) {
				struct f2b_field x = t->f[j];
				t->f[j] = t->f[j - 1];
				t->f[j - 1] = x;
			}
	}
	return 0;
}

struct f2b_dates *
f2b_dates_new(const char *const *patterns, size_t n, char *err, size_t errlen)
{
	struct f2b_tlist l;
	struct f2b_dates *d = NULL;
	char dummy[8];
	time_t now = time(NULL);
	struct tm tm;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	/* fail2ban's %ExY window follows the local year */
	int year = localtime_r(&now, &tm) ? tm.tm_year + 1900 : 2026;
	if (f2b_tlist_build(&l, patterns, patterns ? n : 0, year, err, errlen) != 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		goto oom;
	d->t = calloc(l.n ? l.n : 1, sizeof(*d->t));
	d->s = calloc(l.n ? l.n : 1, sizeof(*d->s));
	if (d->t == NULL || d->s == NULL)
		goto oom;
	uint32_t maxcap = 1;
	for (size_t i = 0; i < l.n; i++) {
		struct tmpl *t = &d->t[i];
		if (tmpl_compile(t, &l.v[i], err, errlen) != 0)
			goto fail;
		d->nt++;
		t->name = l.v[i].name;
		t->regex = l.v[i].regex;
		l.v[i].name = l.v[i].regex = NULL;
		uint32_t cap = 0;
		pcre2_pattern_info(t->code, PCRE2_INFO_CAPTURECOUNT, &cap);
		if (cap > maxcap)
			maxcap = cap;
		d->s[i] = (struct slot){ .t = t, .distance = 0x7fffffff };
	}
	d->ovn = maxcap + 1;
	d->md = pcre2_match_data_create(d->ovn, NULL);
	d->saved = calloc(2 * (size_t)d->ovn, sizeof(*d->saved));
	d->mctx = pcre2_match_context_create(NULL);
	d->js = pcre2_jit_stack_create(32 * 1024, 256 * 1024, NULL);
	int ecode;
	PCRE2_SIZE eoff;
	d->alnum = pcre2_compile((PCRE2_SPTR) "^[\\p{L}\\p{N}]", PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP, &ecode, &eoff, NULL);
	if (d->md == NULL || d->saved == NULL || d->mctx == NULL || d->js == NULL ||
	    d->alnum == NULL || f2b_u8_init(&d->u8, FIX_LINE_MAX) != 0)
		goto oom;
	pcre2_set_match_limit(d->mctx, DATE_MATCH_LIMIT);
	pcre2_set_depth_limit(d->mctx, DATE_DEPTH_LIMIT);
	pcre2_set_heap_limit(d->mctx, DATE_HEAP_LIMIT_KIB);
	pcre2_jit_stack_assign(d->mctx, NULL, d->js);
	d->last_idx = SIZE_MAX;
	d->last_pos = 1;
	d->last_end = 0x7fffffff;
	d->lp_before = d->lp_at = d->le_before = d->le_at = NONE_CH;
	f2b_tlist_free(&l);
	return d;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	f2b_tlist_free(&l);
	f2b_dates_free(d);
	return NULL;
}

void
f2b_dates_free(struct f2b_dates *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nt; i++) {
		pcre2_code_free(d->t[i].code);
		pcre2_code_free(d->t[i].ucode);
		free(d->t[i].name);
		free(d->t[i].regex);
	}
	free(d->t);
	free(d->s);
	pcre2_match_data_free(d->md);
	pcre2_match_context_free(d->mctx);
	pcre2_jit_stack_free(d->js);
	free(d->saved);
	f2b_u8_free(&d->u8);
	pcre2_code_free(d->alnum);
	free(d);
}

/* --- the search (fail2ban's DateDetector.matchTime) --------------------- */

/* The F2B_NEED_* features of a line, in one pass. */
static unsigned
line_features(const char *line, size_t len)
{
	unsigned f = 0;
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((unsigned)(c - '0') < 10u) {
			if (++run >= 8)
				f |= F2B_NEED_DIGITS8;
			continue;
		}
		if (c == ':' && run > 0)
			f |= F2B_NEED_DCOLON;
		else if (c == '@')
			f |= F2B_NEED_AT;
		run = 0;
	}
	return f;
}

struct search {
	const char *line;
	size_t len;
	int features;		/* -1 not looked at yet */
	bool utf;		/* non-ASCII UTF-8: the Unicode regexes */
	struct f2b_date_memo *memo;	/* NULL: run every regex */
};

/* fail2ban remembers where the last date was in characters; in a UTF-8
 * line they are not bytes. ASCII lines, the rule, skip all this. */
static size_t
pos_byte(const struct search *sc, int64_t ci)
{
	if (ci <= 0)
		return 0;
	if (!sc->utf)
		return (size_t)ci;
	size_t b = 0;
	for (int64_t c = 0; b < sc->len; b++) {
		if (((unsigned char)sc->line[b] & 0xc0) != 0x80 && c++ == ci)
			return b;
	}
	/* past the end: as far past it as asked */
	int64_t n = 0;
	for (size_t k = 0; k < sc->len; k++)
		n += ((unsigned char)sc->line[k] & 0xc0) != 0x80;
	return sc->len + (size_t)(ci - n);
}

static int64_t
pos_char(const struct search *sc, size_t b)
{
	if (!sc->utf)
		return (int64_t)b;
	int64_t c = 0;
	for (size_t k = 0; k < b && k < sc->len; k++)
		c += ((unsigned char)sc->line[k] & 0xc0) != 0x80;
	return c;
}

/* line[ci:ci+1] in Python: the code point, or -1 (no character). */
static int
char_at(const struct search *sc, int64_t ci)
{
	if (ci < 0)
		return -1;
	size_t b = pos_byte(sc, ci);
	if (b >= sc->len)
		return -1;
	const unsigned char *p = (const unsigned char *)sc->line + b;
	unsigned c = p[0];
	if (!sc->utf || c < 0x80)
		return (int)c;
	size_t k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	unsigned cp = c & (0x3f >> k);
	for (size_t j = 1; j <= k && b + j < sc->len; j++)
		cp = cp << 6 | (p[j] & 0x3f);
	return (int)cp;
}

static int64_t
nchars(const struct search *sc)
{
	return pos_char(sc, sc->len);
}

/* Python's str.isalnum() of one character: letters and numbers. */
static bool
cp_alnum(struct f2b_dates *d, int cp)
{
	if (cp < 0)
		return false;
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	unsigned char u[4];
	size_t n;
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return pcre2_match(d->alnum, u, n, 0, 0, d->md, d->mctx) > 0;
}

/* This line's run of t's regex from pos to endpos, if another detector
 * made it (gen is the memo's); else a slot to record it in (gen not yet
 * the memo's), or NULL when t has too many groups to record. */
static struct f2b_date_run *
run_find(struct f2b_date_memo *m, const struct tmpl *t, const struct search *sc, size_t pos,
    size_t endpos)
{
	for (unsigned k = 0; k < F2B_DATE_MEMO_RUNS; k++) {
		struct f2b_date_run *r = &m->run[k];
		if (r->gen == m->gen && r->rid == t->rid && r->subj == sc->line && r->len == sc->len &&
		    r->pos == pos && r->endpos == endpos && r->utf == sc->utf)
			return r;
	}
	if (t->ncap + 1 > F2B_DATE_MEMO_PAIRS)
		return NULL;
	struct f2b_date_run *r = &m->run[m->next];
	m->next = (m->next + 1) % F2B_DATE_MEMO_RUNS;
	r->gen = m->gen - 1;	/* not filled yet */
	r->rid = t->rid;
	r->utf = sc->utf;
	r->subj = sc->line;
	r->len = sc->len;
	r->pos = pos;
	r->endpos = endpos;
	r->npairs = t->ncap + 1;
	return r;
}

/* One template's regex over line[pos..endpos). The feature check pays
 * off for templates that will likely fail, not for the last one used. */
static bool
tmatch(struct f2b_dates *d, struct tmpl *t, struct search *sc, size_t pos, size_t endpos,
    bool check)
{
	if (check && t->need) {
		/* (digits of other scripts count as digits: not in UTF-8 lines) */
		if (sc->features < 0)
			sc->features = sc->utf ? (int)(F2B_NEED_DCOLON | F2B_NEED_DIGITS8 | F2B_NEED_AT) :
			    (int)line_features(sc->line, sc->len);
		if (!(t->need & (unsigned)sc->features))
			return false;
	}
	if (endpos > sc->len)
		endpos = sc->len;
	if (pos > endpos)
		return false;
	/* anchored: the match starts at pos, with a byte of the bitmap */
	if (pos < endpos && (sc->utf ? t->has_ufirst : t->has_first)) {
		unsigned char c = (unsigned char)sc->line[pos];
		if (!((sc->utf ? t->ufirst : t->first)[c / 8] & (1u << (c % 8))))
			return false;
	}
	/* pcre2_jit_match skips pcre2_match's checks of its arguments and of
	 * the subject's UTF-8 (some 200 instructions and a pass over the line
	 * per call, several calls a line): the Unicode regexes only ever see
	 * valid UTF-8 (f2b_dates_match decodes first), and pos <= endpos. */
	struct f2b_date_run *run = NULL;
	if (sc->memo != NULL && t->rid != 0) {
		run = run_find(sc->memo, t, sc, pos, endpos);
		if (run != NULL && run->gen == sc->memo->gen) {
			/* the same regex, subject and range: the same answer (PCRE2
			 * sets the pairs of all of the pattern's groups) */
			sc->memo->run_hits++;
			if (!run->matched)
				return false;
			memcpy(pcre2_get_ovector_pointer(d->md), run->ov,
			    2 * (size_t)run->npairs * sizeof(*run->ov));
			t->rx_hits++;
			return true;
		}
		sc->memo->run_misses++;
	}
	/* JIT-compiled at the first run: most templates of a list never run
	 * over a given log (the last one used is tried first), and compiling
	 * two programs of each of them was most of a start with many
	 * filters. JIT is an optimisation: without it the interpreter
	 * gives the same answers. */
	if (!sc->utf && !t->jit_tried) {
		t->jit = pcre2_jit_compile(t->code, PCRE2_JIT_COMPLETE) == 0;
		t->jit_tried = true;
	} else if (sc->utf && !t->ujit_tried) {
		t->ujit = pcre2_jit_compile(t->ucode, PCRE2_JIT_COMPLETE) == 0;
		t->ujit_tried = true;
	}
	const pcre2_code *code = sc->utf ? t->ucode : t->code;
	int rc = (sc->utf ? t->ujit : t->jit) ?
	    pcre2_jit_match(code, (PCRE2_SPTR)sc->line, endpos, pos, 0, d->md, d->mctx) :
	    pcre2_match(code, (PCRE2_SPTR)sc->line, endpos, pos, 0, d->md, d->mctx);
	if (run != NULL) {
		run->matched = rc >= 0;
		if (rc >= 0)
			memcpy(run->ov, pcre2_get_ovector_pointer(d->md),
			    2 * (size_t)run->npairs * sizeof(*run->ov));
		run->gen = sc->memo->gen;	/* complete: may be used */
	}
	if (rc < 0)
		return false;	/* no match, or a limit reached */
	t->rx_hits++;
	return true;
}

static double
slot_weight(const struct slot *s)
{
	return (double)s->hits * s->t->weight / (double)(s->distance > 1 ? s->distance : 1);
}

static bool
moveable(const struct f2b_dates *d, size_t num, size_t pos)
{
	const struct slot *a = &d->s[num], *b = &d->s[pos];
	int64_t untime = a->last_used - UNUSED_SECS;

	return slot_weight(a) > slot_weight(b) || b->last_used == 0 || untime > b->last_used;
}

/* fail2ban's _reorderTemplate: a template that matched moves up, fast to
 * the first unused place or half-way, else one place, if it weighs more
 * (hits per distance) or the place's template was long unused. */
static size_t
reorder(struct f2b_dates *d, size_t num)
{
	if (num == 0)
		return 0;
	size_t pos = d->first_unused < num ? d->first_unused : num / 2;
	if (!moveable(d, num, pos)) {
		if (pos == num - 1)
			return num;
		pos = num - 1;
		if (!moveable(d, num, pos))
			return num;
	}
	struct slot s = d->s[num];
	memmove(&d->s[pos + 1], &d->s[pos], (num - pos) * sizeof(s));
	d->s[pos] = s;
	while (d->first_unused < d->nt && d->s[d->first_unused].hits)
		d->first_unused++;
	return pos;
}

/* Returns the index (in the current order) of the template that matched,
 * with *ov its offsets, or SIZE_MAX. Positions kept between lines are in
 * characters, as fail2ban's. */
static size_t
match_time(struct f2b_dates *d, const char *line, size_t len, bool utf, int64_t ref,
    struct f2b_date_memo *memo, const PCRE2_SIZE **ov)
{
	struct search sc = { line, len, -1, utf, memo };
	size_t n = d->nt, i = d->last_idx, ignore = SIZE_MAX;
	bool matched = false;
	bool have_found = false;
	int64_t f_dist = INT64_MAX, dist = 0, endp = 0;
	size_t f_i = 0;
	PCRE2_SIZE *cur = pcre2_get_ovector_pointer(d->md);
	const PCRE2_SIZE *use = cur;

	if (i < n) {
		struct tmpl *t = d->s[i].t;
		if (t->flags & (F2B_TF_LINE_BEGIN | F2B_TF_LINE_END)) {
			matched = tmatch(d, t, &sc, 0, len, false);
			ignore = i;
		} else {
			int64_t ld = d->last_pos, le = d->last_end;
			/* the same surroundings as last time: search only there */
			bool same = (char_at(&sc, ld - 1) == d->lp_before ||
			    (char_at(&sc, ld) == d->lp_at && !cp_alnum(d, d->lp_at))) &&
			    (char_at(&sc, le) == d->le_at ||
			    (char_at(&sc, le - 1) == d->le_before && !cp_alnum(d, d->le_before)));
			if (same) {
				matched = tmatch(d, t, &sc, pos_byte(&sc, ld), pos_byte(&sc, le), false);
			} else {
				matched = tmatch(d, t, &sc, 0, len, false);
				ignore = i;
			}
		}
		if (matched) {
			dist = pos_char(&sc, cur[0]);
			endp = pos_char(&sc, cur[1]);
			if (!(n == 1 || (t->flags & (F2B_TF_LINE_BEGIN | F2B_TF_LINE_END)) ||
			    (dist == d->last_pos && endp == d->last_end))) {
				/* moved: maybe another template's date; keep it in reserve */
				memcpy(d->saved, cur, 2 * d->ovn * sizeof(*cur));
				have_found = true;
				f_dist = dist;
				f_i = i;
				matched = false;
			}
		}
	}
	if (!matched) {
		for (i = 0; i < n; i++) {
			if (i == ignore)
				continue;
			struct slot *s = &d->s[i];
			struct tmpl *t = s->t;
			if (!tmatch(d, t, &sc, 0, len, true))
				continue;
			dist = pos_char(&sc, cur[0]);
			endp = pos_char(&sc, cur[1]);
			if (i + 1 >= n || (t->flags & (F2B_TF_LINE_BEGIN | F2B_TF_LINE_END)) ||
			    (dist == 0 && s->hits && !d->s[i + 1].t->rx_hits)) {
				matched = true;
				break;
			}
			if (dist > s->distance || dist > d->last_pos) {
				/* further in than before: maybe text in the message */
				if (dist < f_dist) {
					memcpy(d->saved, cur, 2 * d->ovn * sizeof(*cur));
					have_found = true;
					f_dist = dist;
					f_i = i;
				}
				continue;
			}
			matched = true;
			break;
		}
		if (!matched && have_found) {
			matched = true;
			i = f_i;
			use = d->saved;
			dist = pos_char(&sc, use[0]);
			endp = pos_char(&sc, use[1]);
		}
	}
	if (!matched)
		return SIZE_MAX;
	struct slot *s = &d->s[i];
	s->hits++;
	s->last_used = ref;
	s->distance = dist;
	if (d->first_unused == i)
		d->first_unused++;
	d->last_pos = dist;
	d->lp_before = char_at(&sc, dist - 1);
	d->lp_at = char_at(&sc, dist);
	d->last_end = endp;
	/* Python's line[endpos-1]: the last character when endpos is 0 */
	d->le_before = char_at(&sc, endp > 0 ? endp - 1 : nchars(&sc) - 1);
	d->le_at = char_at(&sc, endp);
	if (i && i != d->last_idx)
		i = reorder(d, i);
	d->last_idx = i;
	*ov = use;
	return i;
}

/* The time of t's date at ov in line: from this line's memo when another
 * detector read the same template's groups at the same offsets (a few
 * compares instead of reading the fields), else through the time memo. */
static bool
time_fields(struct f2b_dates *d, struct f2b_date_memo *memo, const struct tmpl *t,
    const char *line, const PCRE2_SIZE *ov, int64_t ref, int64_t *ts)
{
	if (memo == NULL || t->rid == 0 || t->ncap + 1 > F2B_DATE_MEMO_PAIRS)
		return f2b_time_fields_memo(memo ? &memo->time : NULL, &d->clock, t->f, t->nf,
		    t->pgrp, line, ov, ref, ts);
	size_t nb = 2 * (size_t)(t->ncap + 1) * sizeof(*ov);
	if (memo->line_time.gen == memo->gen && memo->line_time.rid == t->rid &&
	    memo->line_time.subj == line && memo->line_time.ref == ref &&
	    memcmp(memo->line_time.ov, ov, nb) == 0) {
		memo->line_time_hits++;
		if (memo->line_time.ok)
			*ts = memo->line_time.ts;
		return memo->line_time.ok;
	}
	int64_t x = 0;
	bool ok = f2b_time_fields_memo(&memo->time, &d->clock, t->f, t->nf, t->pgrp, line, ov, ref,
	    &x);
	memo->line_time.gen = memo->gen;
	memo->line_time.rid = t->rid;
	memo->line_time.npairs = t->ncap + 1;
	memo->line_time.subj = line;
	memo->line_time.ref = ref;
	memo->line_time.ok = ok;
	memo->line_time.ts = x;
	memcpy(memo->line_time.ov, ov, nb);
	if (ok)
		*ts = x;
	return ok;
}

/* f2b_dates_match with what the caller knows: view F2B_U8_ASCII or
 * F2B_U8_VALID when it has classified the line already, else -1. */
static int
dates_match(struct f2b_dates *d, const char *line, size_t len, int64_t ref, int view,
    struct f2b_date_memo *memo, struct f2b_date_hit *hit)
{
	const PCRE2_SIZE *ov = NULL;
	/* fail2ban matches decoded text: non-ASCII UTF-8 goes to the Unicode
	 * regexes, bad bytes become U+FFFD first (too long a line to fix
	 * stays byte-wise, where bad bytes are non-word characters too) */
	if (view != F2B_U8_ASCII && view != F2B_U8_VALID)
		view = f2b_u8_view(&d->u8, line, len);
	bool fixed = view == F2B_U8_FIXED;
	const char *text = fixed ? d->u8.buf : line;
	size_t i = match_time(d, text, fixed ? d->u8.len : len,
	    view == F2B_U8_VALID || fixed, ref, fixed ? NULL : memo, &ov);

	if (i == SIZE_MAX)
		return F2B_DATE_NONE;
	const struct tmpl *t = d->s[i].t;
	size_t s = ov[2] == PCRE2_UNSET ? ov[0] : ov[2], e = ov[2] == PCRE2_UNSET ? ov[0] : ov[3];
	hit->start = fixed ? f2b_u8_orig(&d->u8, s) : s;
	hit->end = fixed ? f2b_u8_orig(&d->u8, e) : e;
	if (s == e) {
		hit->ts = ref;
		return F2B_DATE_EMPTY;
	}
	line = text;
	int64_t ts = 0;
	bool ok;
	if (t->kind == F2B_TK_REGEX) {
		ok = time_fields(d, memo, t, line, ov, ref, &ts);
	} else {
		size_t va = ov[2 * t->vgrp], vb = ov[2 * t->vgrp + 1];
		ok = va != PCRE2_UNSET && (t->kind == F2B_TK_TAI64N ?
		    f2b_time_tai64n(line + va, vb - va, &ts) :
		    f2b_time_epoch(line + va, vb - va, t->kind == F2B_TK_LEPOCH, &ts));
	}
	if (!ok) {
		hit->ts = ref;
		return F2B_DATE_BADTIME;
	}
	hit->ts = ts;
	return F2B_DATE_FOUND;
}

int
f2b_dates_match(struct f2b_dates *d, const char *line, size_t len, int64_t ref,
    struct f2b_date_hit *hit)
{
	return dates_match(d, line, len, ref, -1, NULL, hit);
}

int
f2b_dates_find(struct f2b_dates *d, const char *line, size_t len, int64_t ref,
    struct f2b_date_hit *hit)
{
	return f2b_dates_find_ex(d, line, len, ref, -1, NULL, hit);
}

int
f2b_dates_find_ex(struct f2b_dates *d, const char *line, size_t len, int64_t ref, int view,
    struct f2b_date_memo *memo, struct f2b_date_hit *hit)
{
	int st = dates_match(d, line, len, ref, view, memo, hit);

	switch (st) {
	case F2B_DATE_FOUND:
		d->have_last = true;
		d->last_ts = hit->ts;
		return 1;
	case F2B_DATE_BADTIME:
		/* fail2ban still cuts the text out, and takes its last date if
		 * recent, else now */
		hit->ts = d->have_last && d->last_ts > ref - LAST_DATE_SECS ? d->last_ts : ref;
		return 1;
	default:
		return 0;
	}
}

static bool
same_regex(const struct tmpl *a, const struct tmpl *b)
{
	/* JIT or not (compiled at the first run), the answers are the same */
	return b->rid != 0 && a->ncap == b->ncap && strcmp(a->regex, b->regex) == 0;
}

void
f2b_dates_share(struct f2b_dates *d, struct f2b_dates *const *others, size_t n)
{
	uint32_t next = 1;

	for (size_t k = 0; k < n; k++)
		for (size_t j = 0; j < others[k]->nt; j++)
			if (others[k]->t[j].rid >= next)
				next = others[k]->t[j].rid + 1;
	for (size_t i = 0; i < d->nt; i++) {
		struct tmpl *t = &d->t[i];
		t->rid = 0;
		for (size_t k = 0; k < n && t->rid == 0; k++)
			for (size_t j = 0; j < others[k]->nt && t->rid == 0; j++)
				if (others[k] != d && same_regex(t, &others[k]->t[j]))
					t->rid = others[k]->t[j].rid;
		for (size_t j = 0; j < i && t->rid == 0; j++)
			if (same_regex(t, &d->t[j]))
				t->rid = d->t[j].rid;
		if (t->rid == 0)
			t->rid = next++;
	}
}

size_t
f2b_dates_count(const struct f2b_dates *d)
{
	return d->nt;
}

int
f2b_dates_template(const struct f2b_dates *d, size_t i, const char **name, const char **regex,
    unsigned *flags)
{
	if (i >= d->nt)
		return -1;
	*name = d->s[i].t->name;
	*regex = d->s[i].t->regex;
	*flags = d->s[i].t->flags;
	return 0;
}

size_t
f2b_dates_last(const struct f2b_dates *d)
{
	return d->last_idx < d->nt ? d->last_idx : SIZE_MAX;
}
