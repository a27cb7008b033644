/* f2b_date.c - finds a log line's date as fail2ban's DateDetector does:
 * its template order and reordering, and its strptime rules for the time. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeparse.h"
#include "f2b/f2b_date.h"
#include "f2b/f2b_datepat.h"

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

#define NONE_CH (-2)	/* fail2ban's None: equal to no character */
#define FIELDS_MAX 24

struct field {
	uint16_t grp;
	char key;		/* the strptime letter: Y y m b B d H I M S p a A w j U W z Z */
};

struct tmpl {
	pcre2_code *code;
	enum f2b_tkind kind;
	unsigned flags;
	int vgrp;
	double weight;
	unsigned need;		/* F2B_NEED_* */
	unsigned long rx_hits;	/* regex matches: fail2ban's shared template.hits */
	struct field f[FIELDS_MAX];	/* named groups in group order */
	unsigned nf;
	int pgrp;		/* the %p group, -1 if none */
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
	/* local time: offset at "now", and mktime's answer per civil hour */
	int64_t now_ref, now_civ;
	bool now_valid;
	int64_t hour_key, hour_off;
	bool hour_valid;
};

/* --- Python re syntax to PCRE2 ------------------------------------------ */

/* The few spellings where Python's re and PCRE2 differ: inline flags a, L
 * and u (PCRE2 has none; this matcher is byte-wise, \d \w ASCII), \Z (PCRE2
 * \z), and {,n} (PCRE2 10.42 reads it as text). Global flags after the
 * start are an error in Python (fail2ban then fails on every line): *bad. */
static char *
py_to_pcre(const char *r, bool *bad)
{
	size_t n = strlen(r);
	char *o = malloc(2 * n + 1);
	size_t k = 0;
	bool cls = false;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char ch = r[i];
		if (ch == '\\' && i + 1 < n) {
			o[k++] = ch;
			o[k++] = (!cls && r[i + 1] == 'Z') ? 'z' : r[i + 1];
			i++;
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
	t->code = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED, 0, &ecode, &eoff, NULL);
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
		t->code = NULL;
		return -1;
	}
	/* JIT is an optimisation: without it the interpreter still works. */
	(void)pcre2_jit_compile(t->code, PCRE2_JIT_COMPLETE);
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
				t->f[t->nf++] = (struct field){ .grp = (uint16_t)g, .key = *k };
		}
		/* fail2ban reads the fields in their order in the pattern: a later
		 * one wins (%z after %Z) */
		for (unsigned i = 1; i < t->nf; i++)
			for (unsigned j = i; j > 0 && t->f[j - 1].grp > t->f[j].grp; j--) {
				struct field x = t->f[j];
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
	if (d->md == NULL || d->saved == NULL || d->mctx == NULL || d->js == NULL)
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
		free(d->t[i].name);
		free(d->t[i].regex);
	}
	free(d->t);
	free(d->s);
	pcre2_match_data_free(d->md);
	pcre2_match_context_free(d->mctx);
	pcre2_jit_stack_free(d->js);
	free(d->saved);
	free(d);
}

/* --- the search (fail2ban's DateDetector.matchTime) --------------------- */

/* line[i:i+1] in Python: a character, or none out of range. */
static int
ch_slice(const char *line, size_t len, int64_t i)
{
	return i >= 0 && (uint64_t)i < len ? (unsigned char)line[i] : -1;
}

static bool
ch_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

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
};

/* One template's regex over line[pos..endpos). The feature check pays
 * off for templates that will likely fail, not for the last one used. */
static bool
tmatch(struct f2b_dates *d, struct tmpl *t, struct search *sc, size_t pos, size_t endpos,
    bool check)
{
	if (check && t->need) {
		if (sc->features < 0)
			sc->features = (int)line_features(sc->line, sc->len);
		if (!(t->need & (unsigned)sc->features))
			return false;
	}
	if (endpos > sc->len)
		endpos = sc->len;
	if (pos > endpos)
		return false;
	int rc = pcre2_match(t->code, (PCRE2_SPTR)sc->line, endpos, pos, 0, d->md, d->mctx);
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
 * with *ov its offsets, or SIZE_MAX. */
static size_t
match_time(struct f2b_dates *d, const char *line, size_t len, int64_t ref, const PCRE2_SIZE **ov)
{
	struct search sc = { line, len, -1 };
	size_t n = d->nt, i = d->last_idx, ignore = SIZE_MAX;
	bool matched = false;
	bool have_found = false;
	size_t f_dist = SIZE_MAX, f_i = 0;
	PCRE2_SIZE *cur = pcre2_get_ovector_pointer(d->md);
	const PCRE2_SIZE *use = cur;

	if (i < n) {
		struct tmpl *t = d->s[i].t;
		if (t->flags & (F2B_TF_LINE_BEGIN | F2B_TF_LINE_END)) {
			matched = tmatch(d, t, &sc, 0, len, false);
			ignore = i;
		} else {
			int64_t dist = d->last_pos, endp = d->last_end;
			/* the same surroundings as last time: search only there */
			bool same = (ch_slice(line, len, dist - 1) == d->lp_before ||
			    (ch_slice(line, len, dist) == d->lp_at && !ch_alnum(d->lp_at))) &&
			    (ch_slice(line, len, endp) == d->le_at ||
			    (ch_slice(line, len, endp - 1) == d->le_before && !ch_alnum(d->le_before)));
			if (same) {
				matched = tmatch(d, t, &sc, (size_t)dist, (size_t)endp, false);
			} else {
				matched = tmatch(d, t, &sc, 0, len, false);
				ignore = i;
			}
		}
		if (matched && !(n == 1 || (t->flags & (F2B_TF_LINE_BEGIN | F2B_TF_LINE_END)) ||
		    ((int64_t)cur[0] == d->last_pos && (int64_t)cur[1] == d->last_end))) {
			/* moved: maybe another template's date; keep it in reserve */
			memcpy(d->saved, cur, 2 * d->ovn * sizeof(*cur));
			have_found = true;
			f_dist = cur[0];
			f_i = i;
			matched = false;
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
			size_t dist = cur[0];
			if (i + 1 >= n || (t->flags & (F2B_TF_LINE_BEGIN | F2B_TF_LINE_END)) ||
			    (dist == 0 && s->hits && !d->s[i + 1].t->rx_hits)) {
				matched = true;
				break;
			}
			if ((int64_t)dist > s->distance || (int64_t)dist > d->last_pos) {
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
		}
	}
	if (!matched)
		return SIZE_MAX;
	struct slot *s = &d->s[i];
	size_t dist = use[0], endp = use[1];
	s->hits++;
	s->last_used = ref;
	s->distance = (int64_t)dist;
	if (d->first_unused == i)
		d->first_unused++;
	d->last_pos = (int64_t)dist;
	d->lp_before = ch_slice(line, len, (int64_t)dist - 1);
	d->lp_at = ch_slice(line, len, (int64_t)dist);
	d->last_end = (int64_t)endp;
	/* Python's line[endpos-1]: the last character when endpos is 0 */
	d->le_before = endp > 0 ? ch_slice(line, len, (int64_t)endp - 1) : ch_slice(line, len, (int64_t)len - 1);
	d->le_at = ch_slice(line, len, (int64_t)endp);
	if (i && i != d->last_idx)
		i = reorder(d, i);
	d->last_idx = i;
	*ov = use;
	return i;
}

/* --- the time (fail2ban's reGroupDictStrptime) ------------------------- */

static const char *const mon_abbr[12] = { "jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const mon_full[12] = { "january", "february", "march", "april", "may",
	"june", "july", "august", "september", "october", "november", "december" };
static const char *const wd_abbr[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const wd_full[7] = { "monday", "tuesday", "wednesday", "thursday",
	"friday", "saturday", "sunday" };

/* fail2ban's zone abbreviations, minutes east of UTC (fixed offsets). */
static const struct {
	const char *name;
	int16_t off;
} zones[] = {
	{ "Y", -720 }, { "X", -660 }, { "NUT", -660 }, { "SST", -660 }, { "W", -600 }, { "CKT", -600 },
	{ "HAST", -600 }, { "HST", -600 }, { "TAHT", -600 }, { "TKT", -600 }, { "V", -540 },
	{ "AKST", -540 }, { "GAMT", -540 }, { "GIT", -540 }, { "HADT", -540 }, { "HNY", -540 },
	{ "U", -480 }, { "AKDT", -480 }, { "CIST", -480 }, { "HAY", -480 }, { "HNP", -480 },
	{ "PST", -480 }, { "PT", -480 }, { "T", -420 }, { "HAP", -420 }, { "HNR", -420 },
	{ "MST", -420 }, { "PDT", -420 }, { "S", -360 }, { "CST", -360 }, { "EAST", -360 },
	{ "GALT", -360 }, { "HAR", -360 }, { "HNC", -360 }, { "MDT", -360 }, { "R", -300 },
	{ "CDT", -300 }, { "COT", -300 }, { "EASST", -300 }, { "ECT", -300 }, { "EST", -300 },
	{ "ET", -300 }, { "HAC", -300 }, { "HNE", -300 }, { "PET", -300 }, { "Q", -240 },
	{ "AST", -240 }, { "BOT", -240 }, { "CLT", -240 }, { "COST", -240 }, { "EDT", -240 },
	{ "FKT", -240 }, { "GYT", -240 }, { "HAE", -240 }, { "HNA", -240 }, { "PYT", -240 },
	{ "P", -180 }, { "ADT", -180 }, { "ART", -180 }, { "BRT", -180 }, { "CLST", -180 },
	{ "FKST", -180 }, { "GFT", -180 }, { "HAA", -180 }, { "PMST", -180 }, { "PYST", -180 },
	{ "SRT", -180 }, { "UYT", -180 }, { "WGT", -180 }, { "O", -120 }, { "BRST", -120 },
	{ "FNT", -120 }, { "PMDT", -120 }, { "UYST", -120 }, { "WGST", -120 }, { "N", -60 },
	{ "AZOT", -60 }, { "CVT", -60 }, { "EGT", -60 }, { "Z", 0 }, { "EGST", 0 }, { "GMT", 0 },
	{ "UTC", 0 }, { "WET", 0 }, { "WT", 0 }, { "A", 60 }, { "CET", 60 }, { "DFT", 60 },
	{ "WAT", 60 }, { "WEDT", 60 }, { "WEST", 60 }, { "B", 120 }, { "CAT", 120 }, { "CEDT", 120 },
	{ "CEST", 120 }, { "EET", 120 }, { "SAST", 120 }, { "WAST", 120 }, { "C", 180 },
	{ "EAT", 180 }, { "EEDT", 180 }, { "EEST", 180 }, { "IDT", 180 }, { "MSK", 180 },
	{ "D", 240 }, { "AMT", 240 }, { "AZT", 240 }, { "GET", 240 }, { "GST", 240 },
	{ "KUYT", 240 }, { "MSD", 240 }, { "MUT", 240 }, { "RET", 240 }, { "SAMT", 240 },
	{ "SCT", 240 }, { "E", 300 }, { "AMST", 300 }, { "AQTT", 300 }, { "AZST", 300 },
	{ "HMT", 300 }, { "MAWT", 300 }, { "MVT", 300 }, { "PKT", 300 }, { "TFT", 300 },
	{ "TJT", 300 }, { "TMT", 300 }, { "UZT", 300 }, { "YEKT", 300 }, { "F", 360 },
	{ "ALMT", 360 }, { "BIOT", 360 }, { "BTT", 360 }, { "IOT", 360 }, { "KGT", 360 },
	{ "NOVT", 360 }, { "OMST", 360 }, { "YEKST", 360 }, { "G", 420 }, { "CXT", 420 },
	{ "DAVT", 420 }, { "HOVT", 420 }, { "ICT", 420 }, { "KRAT", 420 }, { "NOVST", 420 },
	{ "OMSST", 420 }, { "THA", 420 }, { "WIB", 420 }, { "H", 480 }, { "ACT", 480 },
	{ "AWST", 480 }, { "BDT", 480 }, { "BNT", 480 }, { "CAST", 480 }, { "HKT", 480 },
	{ "IRKT", 480 }, { "KRAST", 480 }, { "MYT", 480 }, { "PHT", 480 }, { "SGT", 480 },
	{ "ULAT", 480 }, { "WITA", 480 }, { "WST", 480 }, { "I", 540 }, { "AWDT", 540 },
	{ "IRKST", 540 }, { "JST", 540 }, { "KST", 540 }, { "PWT", 540 }, { "TLT", 540 },
	{ "WDT", 540 }, { "WIT", 540 }, { "YAKT", 540 }, { "K", 600 }, { "AEST", 600 },
	{ "ChST", 600 }, { "PGT", 600 }, { "VLAT", 600 }, { "YAKST", 600 }, { "YAPT", 600 },
	{ "L", 660 }, { "AEDT", 660 }, { "LHDT", 660 }, { "MAGT", 660 }, { "NCT", 660 },
	{ "PONT", 660 }, { "SBT", 660 }, { "VLAST", 660 }, { "VUT", 660 }, { "M", 720 },
	{ "ANAST", 720 }, { "ANAT", 720 }, { "FJT", 720 }, { "GILT", 720 }, { "MAGST", 720 },
	{ "MHT", 720 }, { "NZST", 720 }, { "PETST", 720 }, { "PETT", 720 }, { "TVT", 720 },
	{ "WFT", 720 }, { "FJST", 780 }, { "NZDT", 780 }, { "NFT", 690 }, { "ACDT", 630 },
	{ "LHST", 630 }, { "ACST", 570 }, { "CCT", 390 }, { "MMT", 390 }, { "NPT", 345 },
	{ "SLT", 330 }, { "AFT", 270 }, { "IRDT", 270 }, { "IRST", 210 }, { "HAT", -150 },
	{ "NDT", -150 }, { "HNT", -210 }, { "NST", -210 }, { "NT", -210 }, { "HLV", -270 },
	{ "VET", -270 }, { "MART", -570 }, { "MIT", -570 },
};

static bool
word_eq(const char *s, size_t n, const char *w)
{
	if (strlen(w) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != w[i])
			return false;
	}
	return true;
}

static int
word_index(const char *s, size_t n, const char *const *words, int nw)
{
	for (int i = 0; i < nw; i++)
		if (word_eq(s, n, words[i]))
			return i;
	return -1;
}

/* Digits (after blanks, as Python's int() allows); -1 if not a number. */
static int64_t
num(const char *s, size_t n)
{
	size_t i = 0;
	int64_t v = 0;

	while (i < n && s[i] == ' ')
		i++;
	while (n > i && s[n - 1] == ' ')
		n--;
	if (i == n || n - i > 12)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* fail2ban's zone2offset: Z/UTC/GMT, [ABBR][+-]hh[[:]mm]. false if fail2ban
 * fails on it (an unknown abbreviation, lower case). */
static bool
zone_offset(const char *s, size_t n, int64_t *min)
{
	if ((n == 1 && s[0] == 'Z') || (n == 3 && (memcmp(s, "UTC", 3) == 0 || memcmp(s, "GMT", 3) == 0))) {
		*min = 0;
		return true;
	}
	size_t a = 0;
	while (a < n && s[a] >= 'A' && s[a] <= 'Z')
		a++;
	if (!(a == 0 || a == 1 || (a >= 3 && a <= 5)))
		return false;
	int64_t base = 0;
	if (a > 0) {
		size_t k;
		for (k = 0; k < sizeof(zones) / sizeof(zones[0]); k++)
			if (strlen(zones[k].name) == a && memcmp(zones[k].name, s, a) == 0)
				break;
		if (k == sizeof(zones) / sizeof(zones[0]))
			return false;
		base = zones[k].off;
	}
	const char *o = s + a;
	size_t on = n - a;
	if (on == 0) {
		*min = base;
		return true;
	}
	/* [+-][01]\d(?::?\d{2})? */
	if (on < 3 || (o[0] != '+' && o[0] != '-') || (o[1] != '0' && o[1] != '1') ||
	    o[2] < '0' || o[2] > '9')
		return false;
	int sign = o[0] == '-' ? -1 : 1;
	int64_t hh = (o[1] - '0') * 10 + (o[2] - '0');
	if (on == 3) {
		*min = base + sign * hh * 60;
		return true;
	}
	size_t p = 3;
	if (o[p] == ':')
		p++;
	if (on != p + 2 || o[p] < '0' || o[p] > '9' || o[p + 1] < '0' || o[p + 1] > '9')
		return false;
	*min = base + sign * (hh * 60 + (o[p] - '0') * 10 + (o[p + 1] - '0'));
	return true;
}

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : dm[m - 1];
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *dd)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*dd = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* "Now" as local civil seconds (Python's naive datetime.now()). */
static int64_t
now_civil(struct f2b_dates *d, int64_t ref)
{
	if (!d->now_valid || d->now_ref != ref) {
		time_t t = (time_t)ref;
		struct tm tm;
		if (localtime_r(&t, &tm) == NULL)
			return ref;
		d->now_civ = days_from_civil(tm.tm_year + 1900LL, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
		    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
		d->now_ref = ref;
		d->now_valid = true;
	}
	return d->now_civ;
}

static bool
mktime_civil(int64_t civ, int64_t *out)
{
	int64_t days = floordiv(civ, 86400), sod = civ - days * 86400;
	int64_t y;
	int m, dd;
	struct tm tm = { 0 };

	civil_from_days(days, &y, &m, &dd);
	if (y < 1 || y > 9999)
		return false;
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = m - 1;
	tm.tm_mday = dd;
	tm.tm_hour = (int)(sod / 3600);
	tm.tm_min = (int)(sod / 60 % 60);
	tm.tm_sec = (int)(sod % 60);
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
		return false;
	*out = (int64_t)t;
	return true;
}

/* Local civil seconds to unix seconds as Python's time.mktime (libc's
 * mktime, isdst unknown). mktime costs a lock and a stat of /etc/localtime
 * per call, so an hour whose two ends have the same offset is remembered. */
static bool
local_to_unix(struct f2b_dates *d, int64_t civ, int64_t *out)
{
	int64_t hour = floordiv(civ, 3600);

	if (d->hour_valid && d->hour_key == hour) {
		*out = civ - d->hour_off;
		return true;
	}
	int64_t a, b;
	if (!mktime_civil(hour * 3600, &a) || !mktime_civil(hour * 3600 + 3599, &b))
		return false;
	if (hour * 3600 - a == hour * 3600 + 3599 - b) {
		d->hour_key = hour;
		d->hour_off = hour * 3600 - a;
		d->hour_valid = true;
		*out = civ - d->hour_off;
		return true;
	}
	return mktime_civil(civ, out);
}

/* fail2ban's _calc_julian_from_U_or_W. */
static int64_t
julian_from_week(int64_t year, int64_t week, int64_t wday, bool monday_first)
{
	int64_t jan1 = days_from_civil(year, 1, 1) + 3;	/* 1970-01-01 was a Thursday */
	int64_t first = jan1 - floordiv(jan1, 7) * 7;	/* 0 = Monday */
	if (!monday_first) {
		first = (first + 1) % 7;
		wday = (wday + 1) % 7;
	}
	int64_t week0 = (7 - first) % 7;
	if (week == 0)
		return 1 + wday - first;
	return 1 + week0 + 7 * (week - 1) + wday;
}

static bool
parse_fields(struct f2b_dates *d, const struct tmpl *t, const char *line, const PCRE2_SIZE *ov,
    int64_t ref, int64_t *ts)
{
	int64_t year = -1, month = -1, day = -1, hour = 0, minute = 0, second = 0;
	int64_t weekday = -1, julian = -1, week = -1, tzoff = 0;
	bool have_tz = false, week_monday = false;

	for (unsigned i = 0; i < t->nf; i++) {
		PCRE2_SIZE a = ov[2 * t->f[i].grp], b = ov[2 * t->f[i].grp + 1];
		if (a == PCRE2_UNSET)
			continue;
		const char *v = line + a;
		size_t n = b - a;
		int64_t x;
		switch (t->f[i].key) {
		case 'y':
			if ((x = num(v, n)) < 0)
				return false;
			year = x <= 2000 ? x + 2000 : x;
			break;
		case 'Y':
			if ((year = num(v, n)) < 0)
				return false;
			break;
		case 'm':
			if ((month = num(v, n)) < 0)
				return false;
			break;
		case 'b':
			if ((x = word_index(v, n, mon_abbr, 12)) < 0)
				return false;
			month = x + 1;
			break;
		case 'B':
			if ((x = word_index(v, n, mon_full, 12)) < 0)
				return false;
			month = x + 1;
			break;
		case 'd':
			if ((day = num(v, n)) < 0)
				return false;
			break;
		case 'H':
			if ((hour = num(v, n)) < 0)
				return false;
			break;
		case 'I': {
			if ((hour = num(v, n)) < 0)
				return false;
			/* fail2ban fails on an unmatched %p (None has no lower()) */
			if (t->pgrp > 0 && ov[2 * t->pgrp] == PCRE2_UNSET)
				return false;
			bool pm = false, am = true;
			if (t->pgrp > 0) {
				PCRE2_SIZE pa = ov[2 * t->pgrp], pb = ov[2 * t->pgrp + 1];
				am = word_eq(line + pa, pb - pa, "am");
				pm = word_eq(line + pa, pb - pa, "pm");
			}
			if (am && hour == 12)
				hour = 0;
			else if (pm && hour != 12)
				hour += 12;
			break;
		}
		case 'M':
			if ((minute = num(v, n)) < 0)
				return false;
			break;
		case 'S':
			if ((second = num(v, n)) < 0)
				return false;
			break;
		case 'A':
			if ((weekday = word_index(v, n, wd_full, 7)) < 0)
				return false;
			break;
		case 'a':
			if ((weekday = word_index(v, n, wd_abbr, 7)) < 0)
				return false;
			break;
		case 'w':
			if ((x = num(v, n)) < 0)
				return false;
			weekday = x - 1 < 0 ? 6 : x - 1;
			break;
		case 'j':
			if ((julian = num(v, n)) < 0)
				return false;
			break;
		case 'U':
		case 'W':
			if ((week = num(v, n)) < 0)
				return false;
			week_monday = t->f[i].key == 'W';
			break;
		case 'z':
		case 'Z':
			if (!zone_offset(v, n, &tzoff))
				return false;
			have_tz = true;
			break;
		default:
			break;
		}
	}
	int64_t now = -1;
	bool assume_year = false, assume_today = false;
	if (year < 0) {
		now = now_civil(d, ref);
		int m;
		int dd;
		civil_from_days(floordiv(now, 86400), &year, &m, &dd);
		assume_year = true;
	}
	if (month < 0 || day < 0) {
		bool have_julian = julian >= 0;
		if (!have_julian && week >= 0 && weekday >= 0) {
			julian = julian_from_week(year, week, weekday, week_monday);
			have_julian = true;
		}
		if (have_julian) {
			int m, dd;
			civil_from_days(days_from_civil(year, 1, 1) + julian - 1, &year, &m, &dd);
			month = m;
			day = dd;
		}
	}
	if (month < 0 && day < 0) {
		if (now < 0)
			now = now_civil(d, ref);
		int64_t y;
		int m, dd;
		civil_from_days(floordiv(now, 86400), &y, &m, &dd);
		month = m;
		day = dd;
		assume_today = true;
	}
	/* Python's datetime() refuses these */
	if (month < 1 || day < 1 || year < 1 || year > 9999 || month > 12 || day > mdays(year, (int)month) ||
	    hour > 23 || minute > 59 || second > 59)
		return false;
	int64_t civ = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 +
	    hour * 3600 + minute * 60 + second;
	if (have_tz)
		civ -= tzoff * 60;
	if (assume_today) {
		if (civ > now)
			civ -= 86400;	/* after midnight: it was yesterday */
	}
	if (assume_year && civ > now + 86400) {
		/* more than a day ahead: last year's; fail2ban keeps the time
		 * of day and sets the month and day read */
		int64_t sod = civ - floordiv(civ, 86400) * 86400;
		if (day > mdays(year - 1, (int)month) || year - 1 < 1)
			return false;
		civ = days_from_civil(year - 1, (unsigned)month, (unsigned)day) * 86400 + sod;
	}
	if (have_tz) {
		*ts = civ;
		return true;
	}
	return local_to_unix(d, civ, ts);
}

static bool
parse_epoch(const struct tmpl *t, const char *line, const PCRE2_SIZE *ov, int64_t *ts)
{
	PCRE2_SIZE a = ov[2 * t->vgrp], b = ov[2 * t->vgrp + 1];
	if (a == PCRE2_UNSET)
		return false;
	const char *v = line + a;
	size_t n = b - a, ip = 0;
	int64_t x = 0;
	bool dot = false;

	while (ip < n && v[ip] >= '0' && v[ip] <= '9') {
		if (ip >= 18)
			return false;
		x = x * 10 + (v[ip] - '0');
		ip++;
	}
	for (size_t k = ip; k < n; k++)
		dot |= v[k] == '.';
	if (ip == 0)
		return false;
	if (t->kind == F2B_TK_LEPOCH && n >= 13)
		x /= (n >= 16 && !dot) ? 1000000 : 1000;
	*ts = x;
	return true;
}

static bool
parse_tai64n(const char *line, const PCRE2_SIZE *ov, int64_t *ts)
{
	PCRE2_SIZE a = ov[2], b = ov[3];
	int64_t x = 0;

	if (a == PCRE2_UNSET || b - a < 17)
		return false;
	for (size_t k = a + 2; k < a + 17; k++) {
		char c = line[k];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return false;
		x = x * 16 + v;
	}
	*ts = x;
	return true;
}

int
f2b_dates_match(struct f2b_dates *d, const char *line, size_t len, int64_t ref,
    struct f2b_date_hit *hit)
{
	const PCRE2_SIZE *ov = NULL;
	size_t i = match_time(d, line, len, ref, &ov);

	if (i == SIZE_MAX)
		return F2B_DATE_NONE;
	const struct tmpl *t = d->s[i].t;
	if (ov[2] == PCRE2_UNSET || ov[2] == ov[3]) {
		hit->start = hit->end = ov[2] == PCRE2_UNSET ? ov[0] : ov[2];
		hit->ts = ref;
		return F2B_DATE_EMPTY;
	}
	hit->start = ov[2];
	hit->end = ov[3];
	int64_t ts = 0;
	bool ok = t->kind == F2B_TK_REGEX ? parse_fields(d, t, line, ov, ref, &ts) :
	    t->kind == F2B_TK_TAI64N ? parse_tai64n(line, ov, &ts) : parse_epoch(t, line, ov, &ts);
	if (!ok) {
		hit->ts = ref;
		return F2B_DATE_BADTIME;
	}
	hit->ts = ts;
	return F2B_DATE_FOUND;
}

int
f2b_dates_find(struct f2b_dates *d, const char *line, size_t len, int64_t ref,
    struct f2b_date_hit *hit)
{
	int st = f2b_dates_match(d, line, len, ref, hit);

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
