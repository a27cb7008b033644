/* fuzz_f2b_filter.c - libFuzzer target: the fail2ban filter engine
 * (f2b_filter.c). f2b_regex_translate on the first line of the input, that
 * line also tried as the failregex of a filter of its own; and a fixed
 * filter built here (prefregex with <F-MLFID> and <F-CONTENT>; failregexes
 * with <HOST>, <ADDR>, <F-USER>, <F-NOFAIL>, <F-MLFFORGET>, <SKIPLINES>;
 * an ignoreregex; maxlines 3; fail2ban's default date detection on one
 * input in four) and a second one with a datepattern, both
 * fed every line of the input. The set is built at each run so that a
 * crash replays from its input alone (maxlines buffer and connection
 * table included). Failures must carry sane fields, and the literal
 * prefilter must not change what the first line's regex finds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_filter.h"
#include "f2b/f2b_regex.h"

static struct f2b_regex fixed_fail[] = {
	{ "^Failed password for (?:invalid user )?<F-USER>\\S+</F-USER> from <HOST>(?: port \\d+)?\\s*$", "fuzz:1" },
	{ "^Connection from <ADDR><SKIPLINES>^Login refused for <F-USER>.*</F-USER>$", "fuzz:2" },
	{ "^session opened for <F-USER>\\w+</F-USER><F-NOFAIL></F-NOFAIL>", "fuzz:3" },
	{ "^session closed(?: by <HOST>)?<F-MLFFORGET></F-MLFFORGET>", "fuzz:4" },
	{ "^auth(?:entication)? failure; rhost=<SUBNET>(?: user=<F-ALT_USER>\\S*</F-ALT_USER>)?", "fuzz:5" },
	{ "^bad token <F-ID>[0-9a-f]{4,}</F-ID>", "fuzz:6" },
};
static struct f2b_regex fixed_ignore[] = {
	{ "for root from", "fuzz:7" },
};
static char *dated_pats[] = { "{^LN-BEG}%Y-%m-%d %H:%M:%S(?:\\.%f)?(?: ?%z)?" };
static struct f2b_regex dated_fail[] = {
	{ "^\\s*\\[<F-MLFID>\\d+</F-MLFID>\\] (?:client )?<HOST> (?:denied|rejected)(?: <F-MLFGAINED>ok</F-MLFGAINED>)?", "dated:1" },
	{ "^\\s*(?:error|warn): <CIDR>? ?<IP6>|<IP4>", "dated:2" },
};

/* What a filter reported for one line, to compare two runs. */
struct seen {
	size_t n;
	char ids[8192];
	size_t len;
};

static void
on_seen(void *arg, const struct f2b_failure *f)
{
	struct seen *w = arg;
	int k = snprintf(w->ids + w->len, sizeof(w->ids) - w->len, "%d/%s|", f->regex, f->id);

	w->n++;
	if (k > 0 && (size_t)k < sizeof(w->ids) - w->len)
		w->len += (size_t)k;
}

static void
on_fail(void *arg, const struct f2b_failure *f)
{
	size_t *n = arg;

	if (f->id == NULL || strlen(f->id) > 4096 || f->filter < 0 || f->regex < 0)
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[1 << 16];
	char err[1024], first[4096];
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t flen = nl ? (size_t)(nl - text) : size, nfail = 0;

	if (flen >= sizeof(first))
		flen = sizeof(first) - 1;
	memcpy(first, text, flen);
	first[flen] = '\0';
	(void)f2b_regex_translate(first, out, sizeof(out));
	(void)f2b_regex_translate(first, out, 64);	/* too small: must refuse, not overflow */

	struct f2b_set *s = f2b_set_new();
	if (s == NULL)
		abort();
	struct f2b_def fixed = {
		.name = "fuzz",
		.prefregex = "^<F-MLFID>[\\w\\-]+\\[\\d+\\]</F-MLFID>: <F-CONTENT>.+</F-CONTENT>$",
		.prefregex_where = "fuzz:0",
		.fail = fixed_fail, .nfail = sizeof(fixed_fail) / sizeof(fixed_fail[0]),
		.ignore = fixed_ignore, .nignore = 1,
		.maxlines = 3,
	};
	struct f2b_def dated = {
		.name = "dated",
		.fail = dated_fail, .nfail = sizeof(dated_fail) / sizeof(dated_fail[0]),
		.datepatterns = dated_pats, .ndatepatterns = 1,
		.maxlines = 1,
	};
	struct f2b_regex user_fail[] = { { first, "user:1" } };
	struct f2b_def user = {
		.name = "user",
		.fail = user_fail, .nfail = 1,
		.maxlines = 2,
	};
	/* fail2ban's default date templates cost ~30 regex compilations: one
	 * run in four (by the input's size, so that a crash replays) */
	if (f2b_set_add(s, &fixed, size % 4 == 0 ? 0 : F2B_FLT_NODATE, err, sizeof(err)) != 0 ||
	    f2b_set_add(s, &dated, 0, err, sizeof(err)) != 1) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	(void)f2b_set_add(s, &user, size & 1 ? F2B_FLT_NODATE : 0, err, sizeof(err));
	if (f2b_set_compile(s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	/* The literal prefilter must never hide a match: the first line's
	 * regex alone (one line, no date), with and without it, must report
	 * the same failures on every line. */
	struct f2b_set *u1 = f2b_set_new(), *u2 = f2b_set_new();
	struct f2b_def solo = user;
	solo.maxlines = 1;
	if (u1 == NULL || u2 == NULL)
		abort();
	bool diff = f2b_set_add(u1, &solo, F2B_FLT_NODATE, err, sizeof(err)) == 0 &&
	    f2b_set_add(u2, &solo, F2B_FLT_NODATE | F2B_FLT_NOPREFILTER, err, sizeof(err)) == 0 &&
	    f2b_set_compile(u1, err, sizeof(err)) == 0 && f2b_set_compile(u2, err, sizeof(err)) == 0;
	int64_t now = 1800000000;
	for (const char *p = text, *end = text + size; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t len = e ? (size_t)(e - p) : (size_t)(end - p);
		f2b_set_line(s, p, len, now, on_fail, &nfail);
		if (diff) {
			static struct seen w1, w2;
			w1.n = w1.len = w2.n = w2.len = 0;
			f2b_set_line(u1, p, len, now, on_seen, &w1);
			f2b_set_line(u2, p, len, now, on_seen, &w2);
			if (w1.n != w2.n || w1.len != w2.len || memcmp(w1.ids, w2.ids, w1.len) != 0) {
				fprintf(stderr, "prefilter hid a match of '%s' in '%.*s': %zu vs %zu failures\n",
				    first, (int)len, p, w1.n, w2.n);
				abort();
			}
		}
		now += 7;
		p += len + 1;
	}
	f2b_set_free(u1);
	f2b_set_free(u2);
	f2b_set_free(s);
	return 0;
}
