/* f2b_datepat.c - builds fail2ban's date template regexes (its DateTemplate,
 * DatePatternRegex, DateEpoch, DateTai64n and DateDetector rules) as text. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_datepat.h"

/* A datepattern line or a built regex longer than this is refused. */
#define PAT_MAX 8192

/* --- growable strings, for setup only -------------------------------- */

struct sb {
	char *p;
	size_t n, cap;
	bool bad;	/* out of memory or over PAT_MAX */
};

static void
sb_addn(struct sb *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->n + n + 1 > PAT_MAX * 4) {
		b->bad = true;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->bad = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
sb_add(struct sb *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

/* Returns the text (caller frees) or NULL if anything failed. */
static char *
sb_take(struct sb *b)
{
	if (b->bad) {
		free(b->p);
		return NULL;
	}
	if (b->p == NULL)
		return strdup("");
	return b->p;
}

static char *
str_cat2(const char *a, const char *b)
{
	struct sb s = { 0 };

	sb_add(&s, a);
	sb_add(&s, b);
	return sb_take(&s);
}

/* --- fail2ban's regexes over regex texts ----------------------------- */

/* fail2ban inspects and rewrites its own regex texts with regexes; these
 * are the same expressions, run by PCRE2 (their syntax means the same
 * there). They run at setup only, so each is compiled when used. */
static const char RE_GROUPED[] = "(?<!(?:\\(\\?))(?<!\\\\)\\((?!\\?)";
static const char RE_GROUP[] = "^((?:\\(\\?\\w+\\))?\\^?(?:\\(\\?\\w+\\))?)(.*?)(\\$?)$";
static const char RE_GLOBALFLAGS[] = "((?:^|(?!<\\\\))\\(\\?[a-z]+\\))";
static const char RE_NO_WRD_BOUND_BEG[] = "^\\(*(?:\\(\\?\\w+\\))?(?:\\^|\\(*\\*\\*|\\((?:\\?:)?\\^)";
static const char RE_NO_WRD_BOUND_END[] = "(?<!\\\\)(?:\\$\\)?|\\\\b|\\\\s|\\*\\*\\)*)$";
static const char RE_DEL_WRD_BOUNDS[] = "^\\(*(?:\\(\\?\\w+\\))?\\(*\\*\\*|(?<!\\\\)\\*\\*\\)*$";
static const char RE_LINE_BOUND_BEG[] = "^(?:\\(\\?\\w+\\))?(?:\\^|\\((?:\\?:)?\\^(?!\\|))";
static const char RE_LINE_BOUND_END[] = "(?<![\\\\\\|])(?:\\$\\)?)$";
static const char RE_EPOCH_PATTERN[] = "(?i)(?<!\\\\)\\{L?EPOCH\\}";
static const char RE_DATE_PREMATCH[] = "(?i)(?<!\\\\)\\{DATE\\}";
static const char RE_EXSANC_BOUND_BEG[] = "^\\((?:\\?:)?\\^\\|\\\\b\\|\\\\W\\)";
static const char RE_EXEANC_BOUND_BEG[] = "\\(\\?=\\\\b\\|\\\\W\\|\\$\\)$";

/* Searches re in s from offset from; ov gets up to 4 groups (8 offsets).
 * 1 found, 0 not, -1 on failure. */
static int
meta_search(const char *re, const char *s, size_t from, PCRE2_SIZE ov[8])
{
	int ecode;
	PCRE2_SIZE eoff;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &ecode, &eoff, NULL);
	if (c == NULL)
		return -1;
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	if (md == NULL) {
		pcre2_code_free(c);
		return -1;
	}
	int rc = pcre2_match(c, (PCRE2_SPTR)s, strlen(s), from, 0, md, NULL);
	int ret = rc > 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
	if (rc > 0) {
		PCRE2_SIZE *o = pcre2_get_ovector_pointer(md);
		for (int i = 0; i < 8; i++)
			ov[i] = i < 2 * rc ? o[i] : PCRE2_UNSET;
	}
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	return ret;
}

static bool
meta_has(const char *re, const char *s)
{
	PCRE2_SIZE ov[8];
	return meta_search(re, s, 0, ov) == 1;
}

/* --- fail2ban's strptime directives --------------------------------- */

struct directive {
	const char *key;	/* after the % */
	const char *re;		/* NULL: %ExY, built from the year */
	const char *name;	/* fail2ban's name for it, in template names */
};

/* Multi-letter keys first: fail2ban's directive regex tries them first. */
static const struct directive directives[] = {
	{ "ExH", "(?P<H>[0-1]\\d|2[0-3])", "Ex24hour" },
	{ "ExM", "(?P<M>[0-5]\\d)", "ExMinute" },
	{ "ExS", "(?P<S>[0-5]\\d|6[0-1])", "ExSecond" },
	{ "ExY", NULL, "ExYear" },
	{ "ExZ", "(?P<Z>[A-Z](?:[A-Z]{2,4})?)", "ExZone name" },
	{ "Exd", "(?P<d>[1-2]\\d|0[1-9]|3[0-1])", "ExDay" },
	{ "Exk", " ?(?P<H>[0-1]?\\d|2[0-3])", "%Exk" },
	{ "Exl", " ?(?P<I>1[0-2]|\\d)", "%Exl" },
	{ "Exm", "(?P<m>0[1-9]|1[0-2])", "ExMonth" },
	{ "Exy", "(?P<y>\\d{2})", "ExYear2" },
	{ "Exz", "(?P<z>(?:[A-Z](?:[A-Z]{2,4})?)?[+-][01]\\d(?::?\\d{2})?|[A-Z](?:[A-Z]{2,4})?)",
	  "ExZone offset" },
	{ "%", "%", "%" },
	{ "a", "(?P<a>mon|tue|wed|thu|fri|sat|sun)", "DAY" },
	{ "A", "(?P<A>wednesday|thursday|saturday|tuesday|monday|friday|sunday)", "DAYNAME" },
	{ "b", "(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", "MON" },
	{ "B", "(?P<B>september|february|november|december|january|october|august|march|april"
	       "|june|july|may)", "MONTH" },
	{ "c", "(?P<a>mon|tue|wed|thu|fri|sat|sun)\\s+"
	       "(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\\s+"
	       "(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])\\s+"
	       "(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d):(?P<S>6[0-1]|[0-5]\\d|\\d)\\s+"
	       "(?P<Y>\\d\\d\\d\\d)", "%c" },
	{ "d", "(?P<d>[1-2]\\d|[0 ]?[1-9]|3[0-1])", "Day" },
	{ "f", "(?P<f>[0-9]{1,6})", "Microseconds" },
	{ "G", "(?P<G>\\d\\d\\d\\d)", "%G" },
	{ "H", "(?P<H>[0-1]?\\d|2[0-3])", "24hour" },
	{ "I", "(?P<I>1[0-2]|0[1-9]|[1-9])", "12hour" },
	{ "j", "(?P<j>36[0-6]|3[0-5]\\d|[1-2]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])",
	  "Yearday" },
	{ "k", " ?(?P<H>[0-2]?\\d)", "%k" },
	{ "l", " ?(?P<I>1?\\d)", "%l" },
	{ "m", "(?P<m>0?[1-9]|1[0-2])", "Month" },
	{ "M", "(?P<M>[0-5]?\\d)", "Minute" },
	{ "p", "(?P<p>am|pm)", "AMPM" },
	{ "S", "(?P<S>[0-5]?\\d|6[0-1])", "Second" },
	{ "U", "(?P<U>5[0-3]|[0-4]\\d|\\d)", "Yearweek" },
	{ "u", "(?P<u>[1-7])", "%u" },
	{ "V", "(?P<V>5[0-3]|0[1-9]|[1-4]\\d|\\d)", "%V" },
	{ "w", "(?P<w>[0-6])", "Weekday" },
	{ "W", "(?P<W>5[0-3]|[0-4]\\d|\\d)", "Yearweek" },
	{ "x", "(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])/(?P<y>\\d\\d)",
	  "%x" },
	{ "X", "(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d):(?P<S>6[0-1]|[0-5]\\d|\\d)", "%X" },
	{ "y", "(?P<y>\\d\\d)", "Year2" },
	{ "Y", "(?P<Y>\\d{4})", "Year" },
	{ "z", "(?P<z>Z|UTC|GMT|[+-][01]\\d(?::?\\d{2})?)", "Zone offset" },
	{ "Z", "(?P<Z>Z|[A-Z]{3,5})", "Zone name" },
};

/* fail2ban's default templates, in its order. */
static const char *const default_patterns[] = {
	"%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?",
	"(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
	"(?:%a )?%b %d %ExY %k:%M:%S(?:\\.%f)?",
	"%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
	"%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\\.%f)?(?: %z)?",
	"%m/%d/%ExY:%H:%M:%S",
	"%m-%d-%ExY %k:%M:%S(?:\\.%f)?",
	"EPOCH",
	"{^LN-BEG}%H:%M:%S",
	"^<%m/%d/%Exy@%H:%M:%S>",
	"%Exy%Exm%Exd  ?%H:%M:%S",
	"%b %d, %ExY %I:%M:%S %p",
	"^%b-%d-%Exy %k:%M:%S",
	"%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\\s*%z)?",
	"(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
	"(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
	"TAI64N",
};
#define N_DEFAULTS (sizeof(default_patterns) / sizeof(default_patterns[0]))

/* What each default needs in a line (all but epoch, the compact form and
 * TAI64N have a seconds field after "M:"). */
static const unsigned default_needs[N_DEFAULTS] = {
	F2B_NEED_DCOLON, F2B_NEED_DCOLON, F2B_NEED_DCOLON, F2B_NEED_DCOLON, F2B_NEED_DCOLON,
	F2B_NEED_DCOLON, F2B_NEED_DCOLON, F2B_NEED_DIGITS8, F2B_NEED_DCOLON, F2B_NEED_DCOLON,
	F2B_NEED_DCOLON, F2B_NEED_DCOLON, F2B_NEED_DCOLON, F2B_NEED_DIGITS8, F2B_NEED_DCOLON,
	F2B_NEED_DCOLON, F2B_NEED_AT,
};

#define EPOCH_RE "\\d{10,11}\\b(?:\\.\\d{3,6})?"
#define LEPOCH_RE "\\d{10,11}(?:\\d{3}(?:\\.\\d{1,6}|\\d{3})?)?"

/* A template under construction: fail2ban keeps the original pattern of
 * pattern templates (the {DATE} and line-begin wrappers reuse it). */
struct tmpl {
	struct f2b_tspec s;
	char *pattern;		/* NULL for epoch/TAI64N without a pattern */
};

struct ctx {
	int year;		/* the one %ExY is built for */
	char ey[96];		/* %ExY's regex */
	char *err;
	size_t errlen;
};

static void
errf(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

static void
tmpl_clear(struct tmpl *t)
{
	free(t->s.name);
	free(t->s.regex);
	free(t->pattern);
	memset(t, 0, sizeof(*t));
}

/* Writes the alternatives s[0..n) (sorted, distinct, all of length w, from
 * column off on) as fail2ban does: a common head, then [abc] or (?:..|..). */
static void
exy_group(struct sb *b, char (*s)[4], size_t n, size_t off, size_t w)
{
	size_t len = w - off, cl = 0;

	if (n > 1) {
		bool same = len > 1;
		for (size_t i = 1; i < n && same; i++)
			same = memcmp(s[i] + off, s[0] + off, len - 1) == 0;
		if (same) {
			cl = len - 1;
		} else {
			same = true;
			for (size_t i = 1; i < n && same; i++)
				same = s[i][off] == s[0][off];
			cl = same ? 1 : 0;
		}
	}
	if (cl) {
		sb_addn(b, s[0] + off, cl);
		exy_group(b, s, n, off + cl, w);
		return;
	}
	if (n == 1) {
		sb_addn(b, s[0] + off, len);
		return;
	}
	sb_add(b, len > 1 ? "(?:" : "[");
	for (size_t i = 0; i < n; i++) {
		if (i && len > 1)
			sb_add(b, "|");
		sb_addn(b, s[i] + off, len);
	}
	sb_add(b, len > 1 ? ")" : "]");
}

/* fail2ban's %ExY: the centuries (three first digits) of last year, of
 * three years ahead, and of every third year from 2000 on. */
static void
build_exy(struct ctx *c, int year)
{
	char pre[64][4];
	size_t np = 0;
	int years[64];
	size_t ny = 0;

	years[ny++] = year - 1;
	years[ny++] = year + 3;
	for (int y = 2000; y <= year && ny < 64; y += 3)
		years[ny++] = y;
	for (size_t i = 0; i < ny; i++) {
		char t[16];
		snprintf(t, sizeof(t), "%04d", years[i] < 1000 ? 1000 : years[i] % 10000);
		size_t k = 0;
		while (k < np && memcmp(pre[k], t, 3) < 0)
			k++;
		if (k < np && memcmp(pre[k], t, 3) == 0)
			continue;
		memmove(pre[k + 1], pre[k], (np - k) * sizeof(pre[0]));
		memcpy(pre[k], t, 3);
		pre[k][3] = '\0';
		np++;
	}
	struct sb b = { 0 };
	sb_add(&b, "(?P<Y>");
	exy_group(&b, pre, np, 0, 3);
	sb_add(&b, "\\d)");
	char *s = sb_take(&b);
	snprintf(c->ey, sizeof(c->ey), "%s", s ? s : "(?P<Y>20\\d\\d)");
	free(s);
}

static bool
is_ws(char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch >= 0x1c && ch <= 0x1f);
}

/* Replaces s by s[0..a) + mid + s[b..). */
static char *
splice(const char *s, size_t a, size_t b, const char *mid)
{
	struct sb o = { 0 };

	sb_addn(&o, s, a);
	sb_add(&o, mid);
	sb_add(&o, s + b);
	return sb_take(&o);
}

/* fail2ban's DateTemplate.setRegex: word or line boundaries around the
 * regex, a group 1 if it has none, global flags moved to the front.
 * word_begin: 0 no, 1 yes, 2 line start. Takes regex. 0 or -1. */
static int
set_regex(struct ctx *c, struct tmpl *t, char *regex, int word_begin, bool word_end)
{
	PCRE2_SIZE ov[8];
	char *gf = NULL, *r = regex, *tmp;
	int rc = -1;

	/* strip */
	size_t a = 0, n = strlen(r);
	while (a < n && is_ws(r[a]))
		a++;
	while (n > a && is_ws(r[n - 1]))
		n--;
	r[n] = '\0';
	memmove(r, r + a, n - a + 1);

	if (meta_search(RE_GLOBALFLAGS, r, 0, ov) == 1) {
		gf = strndup(r + ov[2], ov[3] - ov[2]);
		tmp = splice(r, ov[0], ov[1], "");
		free(r);
		r = tmp;
		if (gf == NULL || r == NULL)
			goto out;
	}
	bool bound_begin = word_begin && !meta_has(RE_NO_WRD_BOUND_BEG, r);
	bool bound_end = word_end && !meta_has(RE_NO_WRD_BOUND_END, r);
	if (!meta_has(RE_GROUPED, r) && meta_search(RE_GROUP, r, 0, ov) == 1) {
		struct sb o = { 0 };
		sb_addn(&o, r, ov[3] - ov[2]);
		sb_add(&o, "(");
		sb_addn(&o, r + ov[4], ov[5] - ov[4]);
		sb_add(&o, ")");
		sb_addn(&o, r + ov[6], ov[7] - ov[6]);
		free(r);
		r = sb_take(&o);
		if (r == NULL)
			goto out;
	}
	t->s.flags = 0;
	if (bound_begin) {
		if (word_begin != 2) {
			t->s.flags |= F2B_TF_WORD_BEGIN;
			tmp = str_cat2("(?=^|\\b|\\W)", r);
		} else {
			t->s.flags |= F2B_TF_LINE_BEGIN;
			tmp = str_cat2("^(?:\\W{0,2})?", r);
			if (strncmp(t->s.name, "{^LN-BEG}", 9) != 0) {
				char *nm = str_cat2("{^LN-BEG}", t->s.name);
				if (nm == NULL) {
					free(tmp);
					goto out;
				}
				free(t->s.name);
				t->s.name = nm;
			}
		}
		free(r);
		r = tmp;
		if (r == NULL)
			goto out;
	}
	if (bound_end) {
		t->s.flags |= F2B_TF_WORD_END;
		tmp = str_cat2(r, "(?=\\b|\\W|$)");
		free(r);
		r = tmp;
		if (r == NULL)
			goto out;
	}
	if (!(t->s.flags & F2B_TF_LINE_BEGIN) && meta_has(RE_LINE_BOUND_BEG, r))
		t->s.flags |= F2B_TF_LINE_BEGIN;
	if (!(t->s.flags & F2B_TF_LINE_END) && meta_has(RE_LINE_BOUND_END, r))
		t->s.flags |= F2B_TF_LINE_END;
	/* the "**" that switch boundaries off go away */
	{
		struct sb o = { 0 };
		size_t pos = 0;
		while (pos <= strlen(r) && meta_search(RE_DEL_WRD_BOUNDS, r, pos, ov) == 1) {
			sb_addn(&o, r + pos, ov[0] - pos);
			for (size_t k = ov[0]; k < ov[1]; k++) {
				if (r[k] == '*' && k + 1 < ov[1] && r[k + 1] == '*') {
					k++;
					continue;
				}
				sb_addn(&o, r + k, 1);
			}
			pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
		}
		if (pos <= strlen(r))
			sb_add(&o, r + pos);
		free(r);
		r = sb_take(&o);
		if (r == NULL)
			goto out;
	}
	if (gf != NULL) {
		tmp = str_cat2(gf, r);
		free(r);
		r = tmp;
		if (r == NULL)
			goto out;
	}
	free(t->s.regex);
	t->s.regex = r;
	r = NULL;
	rc = 0;
out:
	free(r);
	free(gf);
	if (rc != 0)
		errf(c, "out of memory");
	return rc;
}

/* fail2ban's DatePatternRegex: %-directives become named groups. */
static int
pattern_template(struct ctx *c, struct tmpl *t, const char *pattern, int word_begin, bool word_end)
{
	const char *p = pattern;

	if (strlen(pattern) > PAT_MAX) {
		errf(c, "datepattern too long (%zu bytes, at most %d)", strlen(pattern), PAT_MAX);
		return -1;
	}
	t->pattern = strdup(pattern);
	t->s.kind = F2B_TK_REGEX;
	t->s.weight = 1.0;
	if (strncmp(p, "{UNB}", 5) == 0) {
		p += 5;
		word_begin = 0;
		word_end = false;
	}
	if (word_begin && strncmp(p, "{^LN-BEG}", 9) == 0) {
		p += 9;
		word_begin = 2;
	}
	struct sb re = { 0 }, nm = { 0 };
	bool alpha = false;
	for (size_t i = 0; p[i] != '\0'; i++) {
		if (p[i] != '%') {
			sb_addn(&re, p + i, 1);
			sb_addn(&nm, p + i, 1);
			continue;
		}
		const struct directive *dv = NULL;
		for (size_t k = 0; k < sizeof(directives) / sizeof(directives[0]); k++) {
			size_t kl = strlen(directives[k].key);
			if (strncmp(p + i + 1, directives[k].key, kl) == 0) {
				dv = &directives[k];
				break;
			}
		}
		if (dv == NULL) {
			free(re.p);
			free(nm.p);
			errf(c, "datepattern '%s': unknown directive '%%%.*s' (a literal %% is %%%%)",
			    pattern, p[i + 1] ? 1 : 0, p + i + 1);
			return -1;
		}
		/* fail2ban goes case-insensitive for names (%a %A %b %B %p %c), unless
		 * the % is itself preceded by a % */
		if (strchr("aAbBpc", p[i + 1]) != NULL && (i == 0 || p[i - 1] != '%'))
			alpha = true;
		sb_add(&re, dv->re ? dv->re : c->ey);
		sb_add(&nm, dv->name);
		i += strlen(dv->key);
	}
	char *r = sb_take(&re);
	char *name = sb_take(&nm);
	if (r == NULL || name == NULL || t->pattern == NULL) {
		free(r);
		free(name);
		errf(c, "out of memory");
		return -1;
	}
	t->s.name = name;
	if (alpha) {
		char *r2 = str_cat2("(?iu)", r);
		free(r);
		if (r2 == NULL) {
			errf(c, "out of memory");
			return -1;
		}
		r = r2;
	}
	return set_regex(c, t, r, word_begin, word_end);
}

/* fail2ban's DateEpoch. */
static int
epoch_template(struct ctx *c, struct tmpl *t, bool line_begin_only, const char *pattern, bool longfrm)
{
	const char *ere = longfrm ? LEPOCH_RE : EPOCH_RE;
	char *r;

	t->s.kind = longfrm ? F2B_TK_LEPOCH : F2B_TK_EPOCH;
	t->s.weight = 1.0;
	t->s.vgrp = 1;
	t->s.name = strdup(pattern ? pattern : longfrm ? "LongEpoch" : "Epoch");
	if (t->s.name == NULL) {
		errf(c, "out of memory");
		return -1;
	}
	if (pattern != NULL) {
		struct sb o = { 0 };
		PCRE2_SIZE ov[8];
		size_t pos = 0;
		sb_add(&o, "(");
		while (meta_search(RE_EPOCH_PATTERN, pattern, pos, ov) == 1) {
			sb_addn(&o, pattern + pos, ov[0] - pos);
			sb_add(&o, "(");
			sb_add(&o, ere);
			sb_add(&o, ")");
			pos = ov[1];
		}
		sb_add(&o, pattern + pos);
		sb_add(&o, ")");
		r = sb_take(&o);
		t->s.vgrp = 2;
		return r ? set_regex(c, t, r, 1, true) : -1;
	}
	struct sb o = { 0 };
	if (!line_begin_only) {
		sb_add(&o, "((?:^|(?P<square>(?<=^\\[))|(?P<selinux>(?<=\\baudit\\()))");
		sb_add(&o, ere);
		sb_add(&o, ")(?:(?(selinux)(?=:\\d+\\)))|(?(square)(?=\\])))");
	} else {
		sb_add(&o, "((?P<square>(?<=^\\[))?");
		sb_add(&o, ere);
		sb_add(&o, ")(?(square)(?=\\]))");
	}
	r = sb_take(&o);
	if (r == NULL) {
		errf(c, "out of memory");
		return -1;
	}
	return set_regex(c, t, r, line_begin_only ? 2 : 0, true);
}

/* fail2ban's DateTai64n. */
static int
tai64n_template(struct ctx *c, struct tmpl *t, bool line_start)
{
	t->s.kind = F2B_TK_TAI64N;
	t->s.weight = 1.0;
	t->s.vgrp = 1;
	t->s.name = strdup("TAI64N");
	char *r = strdup("@[0-9a-f]{24}");
	if (t->s.name == NULL || r == NULL) {
		free(r);
		errf(c, "out of memory");
		return -1;
	}
	return set_regex(c, t, r, line_start ? 2 : 0, true);
}

static char *
upper_dup(const char *s)
{
	char *u = strdup(s);

	for (char *q = u; q && *q; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	return u;
}

static bool
key_in3(const char *key, const char *base)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), "{^LN-BEG}%s", base);
	snprintf(b, sizeof(b), "^%s", base);
	return strcmp(key, base) == 0 || strcmp(key, a) == 0 || strcmp(key, b) == 0;
}

/* fail2ban's _getPatternTemplate: EPOCH, LEPOCH, {EPOCH} and TAI64N
 * shortcuts, else a pattern template. key NULL: derived from pattern. */
static int
template_for(struct ctx *c, struct tmpl *t, const char *pattern, const char *key_in)
{
	char *key = key_in ? strdup(key_in) : strchr(pattern, '%') ? strdup(pattern) : upper_dup(pattern);
	int rc;

	memset(t, 0, sizeof(*t));
	if (key == NULL) {
		errf(c, "out of memory");
		return -1;
	}
	if (strstr(key, "EPOCH") != NULL && meta_has(RE_EPOCH_PATTERN, pattern))
		rc = epoch_template(c, t, false, pattern, strstr(key, "LEPOCH") != NULL);
	else if (strstr(key, "EPOCH") != NULL && key_in3(key, "EPOCH"))
		rc = epoch_template(c, t, strcmp(key, "EPOCH") != 0, NULL, false);
	else if (strstr(key, "EPOCH") != NULL && key_in3(key, "LEPOCH"))
		rc = epoch_template(c, t, strcmp(key, "LEPOCH") != 0, NULL, true);
	else if (key_in3(key, "TAI64N"))
		rc = tai64n_template(c, t, strcmp(key, "TAI64N") != 0);
	else
		rc = pattern_template(c, t, pattern, 1, true);
	free(key);
	if (rc != 0)
		tmpl_clear(t);
	return rc;
}

/* --- the detector's list --------------------------------------------- */

struct list {
	struct tmpl *v;
	size_t n, cap;
};

static void
list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		tmpl_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool
list_has_name(const struct list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].s.name, name) == 0)
			return true;
	return false;
}

/* Takes t. Duplicates (by name) are skipped, or refused unless ignore_dup. */
static int
list_add(struct ctx *c, struct list *l, struct tmpl *t, bool ignore_dup)
{
	if (list_has_name(l, t->s.name)) {
		int rc = ignore_dup ? 0 : -1;
		if (rc)
			errf(c, "there is already a date template named '%s'", t->s.name);
		tmpl_clear(t);
		return rc;
	}
	if (l->n >= 256) {
		errf(c, "too many date templates");
		tmpl_clear(t);
		return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct tmpl *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			errf(c, "out of memory");
			tmpl_clear(t);
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	memset(t, 0, sizeof(*t));
	return 0;
}

static int
tmpl_copy(struct ctx *c, struct tmpl *dst, const struct tmpl *src)
{
	*dst = *src;
	dst->s.name = strdup(src->s.name);
	dst->s.regex = strdup(src->s.regex);
	dst->pattern = src->pattern ? strdup(src->pattern) : NULL;
	if (dst->s.name == NULL || dst->s.regex == NULL || (src->pattern && dst->pattern == NULL)) {
		tmpl_clear(dst);
		errf(c, "out of memory");
		return -1;
	}
	return 0;
}

/* fail2ban's DEFAULT_TEMPLATES, built once per list. */
static int
base_defaults(struct ctx *c, struct list *base)
{
	for (size_t i = 0; i < N_DEFAULTS; i++) {
		struct tmpl t;
		if (template_for(c, &t, default_patterns[i], NULL) != 0)
			return -1;
		t.s.need = default_needs[i];
		if (list_add(c, base, &t, true) != 0)
			return -1;
	}
	return 0;
}

/* fail2ban's cached default list: first a line-begin copy of each default
 * that is not anchored already (weight 100: preferred), then the defaults. */
static int
cached_defaults(struct ctx *c, const struct list *base, struct list *out)
{
	struct list head = { 0 };
	int rc = -1;

	for (size_t i = 0; i < base->n; i++) {
		const struct tmpl *b = &base->v[i];
		if (strncmp(b->s.name, "{^LN-BEG}", 9) == 0 || b->s.name[0] == '^')
			continue;
		struct tmpl t;
		char *p = str_cat2("{^LN-BEG}", b->pattern ? b->pattern : b->s.name);
		if (p == NULL) {
			errf(c, "out of memory");
			goto out;
		}
		int r = template_for(c, &t, p, NULL);
		free(p);
		if (r != 0)
			goto out;
		if (strcmp(t.s.name, b->s.name) == 0) {
			tmpl_clear(&t);
			continue;
		}
		t.s.weight = 100.0;
		t.s.need = b->s.need;
		if (list_add(c, &head, &t, true) != 0)
			goto out;
	}
	for (size_t i = 0; i < head.n; i++) {
		struct tmpl t;
		if (tmpl_copy(c, &t, &head.v[i]) != 0 || list_add(c, out, &t, true) != 0)
			goto out;
	}
	for (size_t i = 0; i < base->n; i++) {
		struct tmpl t;
		if (tmpl_copy(c, &t, &base->v[i]) != 0 || list_add(c, out, &t, true) != 0)
			goto out;
	}
	rc = 0;
out:
	list_free(&head);
	return rc;
}

/* fail2ban's DateTemplate.unboundPattern. */
static char *
unbound(const char *s)
{
	PCRE2_SIZE ov[8];

	if (strncmp(s, "{UNB}", 5) == 0)
		s += 5;
	if (strncmp(s, "{^LN-BEG}", 9) == 0)
		s += 9;
	char *r = strdup(s);
	if (r != NULL && meta_search(RE_EXSANC_BOUND_BEG, r, 0, ov) == 1)
		memmove(r, r + ov[1], strlen(r + ov[1]) + 1);
	if (r != NULL && meta_search(RE_EXEANC_BOUND_BEG, r, 0, ov) == 1)
		r[ov[0]] = '\0';
	return r;
}

/* pre with every {DATE} replaced by inner. */
static char *
premixed(const char *pre, const char *inner)
{
	struct sb o = { 0 };
	PCRE2_SIZE ov[8];
	size_t pos = 0;

	while (meta_search(RE_DATE_PREMATCH, pre, pos, ov) == 1) {
		sb_addn(&o, pre + pos, ov[0] - pos);
		sb_add(&o, inner);
		pos = ov[1];
	}
	sb_add(&o, pre + pos);
	return sb_take(&o);
}

static int
list_copy(struct ctx *c, struct list *dst, const struct list *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct tmpl t;
		if (tmpl_copy(c, &t, &src->v[i]) != 0 || list_add(c, dst, &t, true) != 0)
			return -1;
	}
	return 0;
}

/* The default lists of the last year asked, kept for the process: with
 * every Debian filter loaded, 20 of the 24 date lists need them, and
 * building them (a regex rewrite per template) took ~5M instructions each
 * time. Detectors may be built on several threads. */
static struct {
	pthread_mutex_t mu;
	int year;
	struct list base, cached;
} defaults_kept = { PTHREAD_MUTEX_INITIALIZER, 0, { NULL, 0, 0 }, { NULL, 0, 0 } };

/* The defaults, built when first needed: most datepatterns do not. */
static int
defaults_build(struct ctx *c, struct list *base, struct list *cached)
{
	int rc = -1;

	if (base->n > 0)
		return 0;
	pthread_mutex_lock(&defaults_kept.mu);
	if (defaults_kept.base.n == 0 || defaults_kept.year != c->year) {
		list_free(&defaults_kept.base);
		list_free(&defaults_kept.cached);
		if (base_defaults(c, &defaults_kept.base) != 0 ||
		    cached_defaults(c, &defaults_kept.base, &defaults_kept.cached) != 0) {
			list_free(&defaults_kept.base);
			list_free(&defaults_kept.cached);
			goto out;
		}
		defaults_kept.year = c->year;
	}
	if (list_copy(c, base, &defaults_kept.base) != 0 ||
	    list_copy(c, cached, &defaults_kept.cached) != 0) {
		list_free(base);
		list_free(cached);
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&defaults_kept.mu);
	return rc;
}

/* One datepattern line, as fail2ban's DateDetector.appendTemplate. */
static int
append_pattern(struct ctx *c, struct list *l, struct list *base, struct list *cached,
    const char *pattern)
{
	char *key = strchr(pattern, '%') ? strdup(pattern) : upper_dup(pattern);
	int rc = -1;
	struct tmpl t;

	if (key == NULL) {
		errf(c, "out of memory");
		return -1;
	}
	bool ignore_dup = l->n > 0;
	bool special = strcmp(key, "{^LN-BEG}") == 0 || strcmp(key, "{DEFAULT}") == 0 ||
	    strstr(key, "{DATE}") != NULL;
	if (special && defaults_build(c, base, cached) != 0)
		goto out;
	if (strcmp(key, "{^LN-BEG}") == 0 || strcmp(key, "{DEFAULT}") == 0) {
		/* fail2ban's filter for {DEFAULT} refuses every template (its
		 * lambda returns None), so {DEFAULT} adds nothing: an empty list
		 * gets the defaults at the end, as fail2ban's first search does */
		bool dflt = key[1] != '^';
		for (size_t i = 0; i < cached->n && !dflt; i++) {
			if (!(cached->v[i].s.flags & F2B_TF_LINE_BEGIN))
				continue;
			if (tmpl_copy(c, &t, &cached->v[i]) != 0 || list_add(c, l, &t, ignore_dup) != 0)
				goto out;
		}
	} else if (strstr(key, "{DATE}") != NULL) {
		for (size_t i = 0; i < base->n; i++) {
			const struct tmpl *b = &base->v[i];
			char *inner = unbound(b->pattern ? b->pattern : b->s.name);
			char *p = inner ? premixed(pattern, inner) : NULL;
			free(inner);
			if (p == NULL) {
				errf(c, "out of memory");
				goto out;
			}
			int r = template_for(c, &t, p, NULL);
			free(p);
			if (r != 0 || list_add(c, l, &t, ignore_dup) != 0)
				goto out;
		}
	} else if (strcmp(key, "{NONE}") == 0) {
		if (template_for(c, &t, "{UNB}^", key) != 0 || list_add(c, l, &t, false) != 0)
			goto out;
	} else {
		if (template_for(c, &t, pattern, key) != 0 || list_add(c, l, &t, false) != 0)
			goto out;
	}
	rc = 0;
out:
	free(key);
	return rc;
}

int
f2b_tlist_build(struct f2b_tlist *out, const char *const *patterns, size_t n, int year,
    char *err, size_t errlen)
{
	struct ctx c = { .err = err, .errlen = errlen };
	struct list base = { 0 }, cached = { 0 }, l = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	c.year = year;
	build_exy(&c, year);
	for (size_t i = 0; i < n; i++) {
		if (patterns[i] == NULL) {
			errf(&c, "datepattern %zu is NULL", i);
			goto out;
		}
		/* as fail2ban's setDatePattern: one pattern per line, stripped,
		 * empty lines skipped (so a whole datepattern value works too) */
		const char *p = patterns[i];
		while (*p != '\0') {
			const char *e = strchr(p, '\n');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			size_t a = 0, b = len;
			while (a < b && is_ws(p[a]))
				a++;
			while (b > a && is_ws(p[b - 1]))
				b--;
			if (b > a) {
				char *one = strndup(p + a, b - a);
				if (one == NULL) {
					errf(&c, "out of memory");
					goto out;
				}
				int r = append_pattern(&c, &l, &base, &cached, one);
				if (r != 0 && err[0] == '\0')
					errf(&c, "datepattern '%s' is not usable", one);
				free(one);
				if (r != 0)
					goto out;
			}
			p += len;
			if (*p == '\n')
				p++;
		}
	}
	if (l.n == 0) {
		if (defaults_build(&c, &base, &cached) != 0)
			goto out;
		list_free(&l);
		l = cached;
		memset(&cached, 0, sizeof(cached));
	}
	out->v = calloc(l.n ? l.n : 1, sizeof(*out->v));
	if (out->v == NULL) {
		errf(&c, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		out->v[i] = l.v[i].s;
		free(l.v[i].pattern);
		memset(&l.v[i], 0, sizeof(l.v[i]));
	}
	out->n = out->cap = l.n;
	l.n = 0;
	rc = 0;
out:
	list_free(&base);
	list_free(&cached);
	list_free(&l);
	return rc;
}

void
f2b_tlist_free(struct f2b_tlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].regex);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
