/* test_f2b_date_memo.c - date detectors that share their work (one line's
 * regex runs, the last time read: f2b_dates_share, f2b_dates_find_ex with
 * a memo) give exactly the answers of detectors that share nothing, line
 * after line (the detectors keep state: template order, last place, last
 * date). Several lists, as a filter set has them, over lines of many
 * formats, repeated stamps, non-ASCII and bad UTF-8. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_date.h"
#include "f2b/f2b_u8.h"

#define TEST_NOW 1124013600

/* The lists of a filter set over Debian's filters: the defaults, and the
 * ones of guacamole, ejabberd-auth and a few custom ones (one list twice,
 * as two filters with the same datepattern would not: a set shares it, but
 * the memo must not care). */
static const char *const lists[][4] = {
	{ NULL },
	{ "^%b %d, %ExY %I:%M:%S %p", "^WARNING:()**", "{^LN-BEG}", NULL },
	{ "^(?:=[^=]+={3,} )?(%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?)",
	    "^I\\(()**", NULL },
	{ "{^LN-BEG}%ExY-%Exm-%Exd %ExH:%ExM:%ExS", NULL },
	{ "{^LN-BEG}", NULL },
	{ "%d/%b/%Y:%H:%M:%S %z", NULL },
	{ "EPOCH", NULL },
	{ "{^LN-BEG}%H:%M:%S", "{DEFAULT}", NULL },
	{ "%Y-%m-%d %H:%M:%S", "{DEFAULT}", NULL },
	{ NULL },
};
#define NLISTS (sizeof(lists) / sizeof(lists[0]))

static size_t
npats(const char *const *p)
{
	size_t n = 0;
	while (p[n] != NULL)
		n++;
	return n;
}

/* Line k of a log that changes format now and then and repeats stamps;
 * some lines carry a second date further in, behind a prefix of varying
 * length, so that detectors in different states search different ranges. */
static size_t
make_line(char *buf, size_t cap, unsigned k)
{
	unsigned s = k / 3;	/* three lines a second */
	unsigned h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
	unsigned r = (k * 2654435761u) >> 24;
	int n;
	switch (r % 5 == 0 ? 9 + r % 3 : k / 40 % 9) {
	case 9:
		n = snprintf(buf, cap, "%.*sAug 14 %02u:%02u:%02u x Aug 15 %02u:%02u:%02u y", (int)(r % 7),
		    "abc de ", h, m, sec, (h + 1) % 24, m, sec);
		break;
	case 10:
		n = snprintf(buf, cap, "%02u:%02u:%02u srv 2005-08-13 %02u:%02u:%02u z", h, m, sec, h, m, sec);
		break;
	case 11:
		n = snprintf(buf, cap, "[%.*s] 2005-08-1%u %02u:%02u:%02u Aug 14 %02u:%02u:%02u", (int)(r % 4),
		    "pre", r % 9, h, m, sec, h, m, sec);
		break;
	case 0:
		n = snprintf(buf, cap, "Aug 14 %02u:%02u:%02u srv sshd[%u]: Failed password for root "
		    "from 192.0.2.%u port 22 ssh2", h, m, sec, 100 + k, k % 250);
		break;
	case 1:
		n = snprintf(buf, cap, "2005-08-14 %02u:%02u:%02u,%03u [I(<0.1.2>:ejabberd_c2s:1)] "
		    "Failed authentication for u from 192.0.2.%u", h, m, sec, k % 1000, k % 250);
		break;
	case 2:
		n = snprintf(buf, cap, "192.0.2.%u - - [14/Aug/2005:%02u:%02u:%02u +0200] \"GET /x HTTP/1.1\" "
		    "404 12", k % 250, h, m, sec);
		break;
	case 3:
		n = snprintf(buf, cap, "Aug 14, 2005 %u:%02u:%02u %s org.apache.guacamole x\n"
		    "WARNING: Authentication attempt from 192.0.2.%u for user \"u\" failed.",
		    h % 12 ? h % 12 : 12, m, sec, h < 12 ? "AM" : "PM", k % 250);
		break;
	case 4:
		n = snprintf(buf, cap, "@4000000042ff1d%02x%08x host x %u", sec, k, k);
		break;
	case 5:
		n = snprintf(buf, cap, "Aug 14 %02u:%02u:%02u sr\xc3\xa9v sshd[%u]: Invalid user j\xc3\xb6rg "
		    "from 192.0.2.%u", h, m, sec, k, k % 250);
		break;
	case 6:
		n = snprintf(buf, cap, "Aug 14 %02u:%02u:%02u srv x[1]: bad \xff\xfe bytes %u", h, m, sec, k);
		break;
	case 7:
		n = snprintf(buf, cap, "%u host no date here %u", 1124000000u + s, k);
		break;
	default:
		n = snprintf(buf, cap, "no date at all %u", k);
		break;
	}
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static void
test_shared_same_answers(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Berlin", 1);
	struct f2b_dates *plain[NLISTS], *shared[NLISTS];
	static struct f2b_date_memo memo;
	struct f2b_u8 u8;
	char err[256], line[512];
	unsigned long found = 0;

	memset(&memo, 0, sizeof(memo));
	assert_int_equal(f2b_u8_init(&u8, 4096), 0);
	for (size_t i = 0; i < NLISTS; i++) {
		const char *const *p = lists[i];
		size_t n = p[0] ? npats(p) : 0;
		plain[i] = f2b_dates_new(n ? p : NULL, n, err, sizeof(err));
		if (plain[i] == NULL)
			fail_msg("list %zu: %s", i, err);
		shared[i] = f2b_dates_new(n ? p : NULL, n, err, sizeof(err));
		assert_non_null(shared[i]);
		f2b_dates_share(shared[i], shared, i);
	}
	for (unsigned k = 0; k < 3000; k++) {
		size_t len = make_line(line, sizeof(line), k);
		/* as the filter set does: bad bytes fixed first, the class known */
		const char *text = line;
		int view = f2b_u8_view(&u8, line, len);
		if (view == F2B_U8_FIXED) {
			text = u8.buf;
			len = u8.len;
			view = F2B_U8_VALID;
		}
		assert_true(view == F2B_U8_ASCII || view == F2B_U8_VALID);
		memo.gen = k + 1;
		/* ref flips between two years from line to line in the first
		 * half (a stamp without a year then changes year while its
		 * text stays the same), then moves by a day now and then */
		int64_t now = k < 1500 ? TEST_NOW + (int64_t)(k % 2) * 400 * 86400 :
		    TEST_NOW + (int64_t)(k / 200) * 86400;
		for (size_t i = 0; i < NLISTS; i++) {
			struct f2b_date_hit a = { 0, 0, 0 }, b = { 0, 0, 0 };
			int ra = f2b_dates_find(plain[i], text, len, now, &a);
			int rb = f2b_dates_find_ex(shared[i], text, len, now, view, &memo, &b);
			if (ra != rb || (ra && (a.start != b.start || a.end != b.end || a.ts != b.ts)))
				fail_msg("line %u list %zu: %d %zu-%zu %lld vs %d %zu-%zu %lld: %s", k, i,
				    ra, a.start, a.end, (long long)a.ts, rb, b.start, b.end,
				    (long long)b.ts, line);
			assert_int_equal(f2b_dates_last(plain[i]), f2b_dates_last(shared[i]));
			found += (unsigned long)ra;
		}
	}
	/* the same template order at the end */
	for (size_t i = 0; i < NLISTS; i++) {
		assert_int_equal(f2b_dates_count(plain[i]), f2b_dates_count(shared[i]));
		for (size_t t = 0; t < f2b_dates_count(plain[i]); t++) {
			const char *na, *ra, *nb, *rb;
			unsigned fa, fb;
			assert_int_equal(f2b_dates_template(plain[i], t, &na, &ra, &fa), 0);
			assert_int_equal(f2b_dates_template(shared[i], t, &nb, &rb, &fb), 0);
			assert_string_equal(ra, rb);
		}
	}
	/* the memo was used, both ways, and dates were found */
	assert_true(memo.run_hits > 1000);
	assert_true(memo.run_misses > 1000);
	assert_true(memo.time.hits > 1000);
	assert_true(memo.line_time_hits > 1000);
	assert_true(found > 3000);
	for (size_t i = 0; i < NLISTS; i++) {
		f2b_dates_free(plain[i]);
		f2b_dates_free(shared[i]);
	}
	f2b_u8_free(&u8);
}

/* A memo whose gen is not moved on between lines would hand one line's
 * runs to the next: the set moves it; this shows the runs are kept per
 * subject too, so a stale gen with a new line is still right. */
static void
test_memo_keyed_on_subject(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	struct f2b_dates *d[2];
	static struct f2b_date_memo memo;
	struct f2b_date_hit h;
	char a[] = "Aug 14 09:00:00 host x", b[] = "Aug 14 09:00:01 host x";

	memset(&memo, 0, sizeof(memo));
	d[0] = f2b_dates_new(NULL, 0, NULL, 0);
	d[1] = f2b_dates_new(NULL, 0, NULL, 0);
	assert_non_null(d[0]);
	assert_non_null(d[1]);
	f2b_dates_share(d[0], d, 0);
	f2b_dates_share(d[1], d, 1);
	memo.gen = 1;
	assert_int_equal(f2b_dates_find_ex(d[0], a, strlen(a), TEST_NOW, F2B_U8_ASCII, &memo, &h), 1);
	int64_t ta = h.ts;
	assert_int_equal(f2b_dates_find_ex(d[1], b, strlen(b), TEST_NOW, F2B_U8_ASCII, &memo, &h), 1);
	assert_int_equal(h.ts, ta + 1);
	assert_true(memo.run_hits == 0);
	f2b_dates_free(d[0]);
	f2b_dates_free(d[1]);
}

/* Two detectors whose last date was in different places search the same
 * line in different ranges and find different dates: a run is only
 * reused for the same range. */
static void
test_memo_keyed_on_range(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	const char *pat[] = { "%H:%M:%S" };
	struct f2b_dates *d[2];
	static struct f2b_date_memo memo;
	struct f2b_date_hit h;
	const char *p1 = "ab 09:00:00 x", *p2 = "abcdefghijklm 09:00:00 x";
	const char *l = "ab 10:00:00 x 11:00:00 y";

	memset(&memo, 0, sizeof(memo));
	d[0] = f2b_dates_new(pat, 1, NULL, 0);
	d[1] = f2b_dates_new(pat, 1, NULL, 0);
	assert_non_null(d[0]);
	assert_non_null(d[1]);
	f2b_dates_share(d[0], d, 0);
	f2b_dates_share(d[1], d, 1);
	memo.gen = 1;
	assert_int_equal(f2b_dates_find_ex(d[0], p1, strlen(p1), TEST_NOW, F2B_U8_ASCII, &memo, &h), 1);
	assert_int_equal(h.start, 3);
	memo.gen = 2;
	assert_int_equal(f2b_dates_find_ex(d[1], p2, strlen(p2), TEST_NOW, F2B_U8_ASCII, &memo, &h), 1);
	assert_int_equal(h.start, 14);
	memo.gen = 3;
	assert_int_equal(f2b_dates_find_ex(d[0], l, strlen(l), TEST_NOW, F2B_U8_ASCII, &memo, &h), 1);
	assert_int_equal(h.start, 3);
	assert_int_equal(f2b_dates_find_ex(d[1], l, strlen(l), TEST_NOW, F2B_U8_ASCII, &memo, &h), 1);
	assert_int_equal(h.start, 14);
	assert_int_equal(h.end, 22);
	f2b_dates_free(d[0]);
	f2b_dates_free(d[1]);
}

/* The same line read by two detectors with different clocks: a stamp
 * without a year takes it from ref, so the times differ. */
static void
test_memo_keyed_on_ref(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	struct f2b_dates *d[2];
	static struct f2b_date_memo memo;
	struct f2b_date_hit h;
	const char *l = "Aug 14 09:00:00 host x";

	memset(&memo, 0, sizeof(memo));
	d[0] = f2b_dates_new(NULL, 0, NULL, 0);
	d[1] = f2b_dates_new(NULL, 0, NULL, 0);
	assert_non_null(d[0]);
	assert_non_null(d[1]);
	f2b_dates_share(d[0], d, 0);
	f2b_dates_share(d[1], d, 1);
	memo.gen = 1;
	assert_int_equal(f2b_dates_find_ex(d[0], l, strlen(l), TEST_NOW, F2B_U8_ASCII, &memo, &h), 1);
	int64_t t0 = h.ts;
	assert_int_equal(f2b_dates_find_ex(d[1], l, strlen(l), TEST_NOW + 365 * 86400, F2B_U8_ASCII,
	    &memo, &h), 1);
	assert_int_equal(h.ts, t0 + 365 * 86400);
	assert_true(memo.run_hits > 0);
	f2b_dates_free(d[0]);
	f2b_dates_free(d[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_same_answers),
		cmocka_unit_test(test_memo_keyed_on_subject),
		cmocka_unit_test(test_memo_keyed_on_range),
		cmocka_unit_test(test_memo_keyed_on_ref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
