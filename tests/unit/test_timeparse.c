/* test_timeparse.c - log timestamp formats. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeparse.h"

static int64_t
tp(const char *s, int64_t ref)
{
	return time_parse_line(s, strlen(s), ref);
}

static void
test_formats(void **state)
{
	int64_t ref = days_from_civil(2026, 11, 24) * 86400;	/* 2026-11-24 00:00 UTC */
	int64_t feb5 = days_from_civil(2026, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10;

	(void)state;
	assert_int_equal(tp("Feb  5 14:34:10 host sshd[1]: x", ref), feb5);
	assert_int_equal(tp("Feb 5 14:34:10 host sshd[1]: x", ref), feb5);
	assert_int_equal(tp("Feb 05 14:34:10 host sshd[1]: x", ref), feb5);
	/* late December read in late November: last year */
	assert_int_equal(tp("Dec 31 23:00:00 h x", ref), days_from_civil(2025, 12, 31) * 86400 + 23 * 3600);
	assert_int_equal(tp("2026-02-05T14:34:10Z h x", ref), feb5);
	assert_int_equal(tp("2026-02-05T15:34:10.123+01:00 h x", ref), feb5);
	assert_int_equal(tp("2026-02-05 14:34:10 x", ref), feb5);
	assert_int_equal(tp("2026/02/05 14:34:10 [error] 1#0: x", ref), feb5);
	assert_int_equal(tp("192.0.2.1 - - [05/Feb/2026:15:34:10 +0100] \"GET / HTTP/1.1\" 200 1", ref), feb5);
	assert_int_equal(tp("garbage", ref), -1);
	assert_int_equal(tp("Foo 99 99:99:99", ref), -1);
	assert_int_equal(tp("2026-13-05T14:34:10Z", ref), -1);
	assert_int_equal(tp("", ref), -1);
}

/* journalctl -o forms, <PRI> prefixes, RFC 5424, CLF: each its own stamp. */
static void
test_journal_forms(void **state)
{
	int64_t ref = days_from_civil(2026, 11, 24) * 86400;
	int64_t feb5 = days_from_civil(2024, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10;
	int64_t feb5y = days_from_civil(2026, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10;

	(void)state;
	assert_int_equal(tp("<38>Feb  5 14:34:10 host sshd[123]: x", ref), feb5y);
	assert_int_equal(tp("Feb 05 14:34:10.123456 host sshd[1]: x", ref), feb5y);	/* short-precise */
	assert_int_equal(tp("Feb  5 14:34:10 2024 host sshd[1]: x", ref), feb5);	/* with a year */
	assert_int_equal(tp("2024-02-05T15:34:10+0100 host sshd[1]: x", ref), feb5);	/* short-iso */
	assert_int_equal(tp("2024-02-05T15:34:10.123456+01:00 host sshd[1]: x", ref), feb5);
	assert_int_equal(tp("2024-02-05T09:34:10-05:00 host sshd[1]: x", ref), feb5);
	assert_int_equal(tp("Mon 2024-02-05 14:34:10 UTC host sshd[1]: x", ref), feb5);	/* short-full */
	assert_int_equal(tp("1707143650.123456 host sshd[1]: x", ref), feb5);		/* short-unix */
	assert_int_equal(tp("[12345.678901] host sshd[1]: x", ref), 12345);		/* short-monotonic */
	assert_int_equal(tp("[    7.000001] host sshd[1]: x", ref), 7);
	assert_int_equal(tp("<38>1 2024-02-05T14:34:10.003Z host sshd 1 - - x", ref), feb5);	/* RFC 5424 */
	assert_int_equal(tp("<38>2024-02-05T14:34:10Z host sshd[1]: x", ref), feb5);
	assert_int_equal(tp("203.0.113.5 - - [05/Feb/2024:15:34:10 +0100] \"GET / HTTP/1.1\" 404 1", ref), feb5);
	assert_int_equal(tp("[12345] x", ref), -1);
	assert_int_equal(tp("<38>", ref), -1);
}

/* A file without years: the year follows the file over Dec 31 -> Jan 1;
 * a stamp going back a little (out of order) keeps its year. */
static void
test_year_rollover(void **state)
{
	struct time_ctx tc;
	int64_t ref = days_from_civil(2026, 12, 6) * 86400;
	const char *l1 = "Dec 31 23:59:58 h sshd[1]: x", *l2 = "Jan  1 00:00:01 h sshd[1]: x";
	const char *l3 = "Dec 31 23:59:59 h sshd[1]: x";

	(void)state;
	time_ctx_init(&tc, ref, false);
	/* Dec 31 2026 would be after "now": the file is from 2025. */
	assert_int_equal(time_ctx_parse(&tc, l1, strlen(l1)), days_from_civil(2025, 12, 31) * 86400 + 86398);
	assert_int_equal(time_ctx_parse(&tc, l2, strlen(l2)), days_from_civil(2026, 1, 1) * 86400 + 1);
	/* late, out of order: still the year before Jan 1's */
	assert_int_equal(time_ctx_parse(&tc, l3, strlen(l3)), days_from_civil(2025, 12, 31) * 86400 + 86399 + 0 * 365);
	/* without a context, each line alone: Jan 1 of this year, Dec 31 of the last */
	assert_int_equal(tp(l2, ref), days_from_civil(2026, 1, 1) * 86400 + 1);
}

/* Consecutive lines with the same first 15 bytes need not share a stamp. */
static void
test_same_prefix(void **state)
{
	struct time_ctx tc;
	const char *a = "2024-02-05T14:30:00Z h sshd[1]: x", *b = "2024-02-05T14:39:59Z h sshd[1]: x";
	const char *c = "Feb  5 14:34:10 h sshd[1]: x", *d = "Feb  5 14:34:10 2023 h sshd[1]: x";
	int64_t ref = days_from_civil(2026, 11, 24) * 86400;

	(void)state;
	time_ctx_init(&tc, ref, false);
	assert_int_equal(time_ctx_parse(&tc, a, strlen(a)), days_from_civil(2024, 2, 5) * 86400 + 14 * 3600 + 30 * 60);
	assert_int_equal(time_ctx_parse(&tc, b, strlen(b)), days_from_civil(2024, 2, 5) * 86400 + 14 * 3600 + 39 * 60 + 59);
	assert_int_equal(time_ctx_parse(&tc, c, strlen(c)), days_from_civil(2026, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
	assert_int_equal(time_ctx_parse(&tc, d, strlen(d)), days_from_civil(2023, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
	assert_int_equal(time_ctx_parse(&tc, c, strlen(c)), days_from_civil(2026, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
	/* a line that ends right after its stamp is no key for a longer one */
	const char *e = "Feb  5 14:34:10", *f = "Feb  5 14:34:10 2023 h sshd[1]: x";
	assert_int_equal(time_ctx_parse(&tc, e, strlen(e)), days_from_civil(2026, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
	assert_int_equal(time_ctx_parse(&tc, f, strlen(f)), days_from_civil(2023, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
}

/* Zoneless stamps in the local zone (TZ), with its summer time; stamps
 * with a zone as they say. */
static void
test_local_zone(void **state)
{
	struct time_ctx tc;
	int64_t ref = days_from_civil(2026, 11, 24) * 86400;
	const char *winter = "2024-02-05 15:34:10 h x", *summer = "2024-07-05 16:34:10 h x";
	const char *zoned = "2024-02-05T14:34:10Z h x", *bsd = "Feb  5 15:34:10 2024 h sshd[1]: x";

	(void)state;
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	time_ctx_init(&tc, ref, true);
	assert_int_equal(time_ctx_parse(&tc, winter, strlen(winter)), days_from_civil(2024, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
	assert_int_equal(time_ctx_parse(&tc, summer, strlen(summer)), days_from_civil(2024, 7, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
	assert_int_equal(time_ctx_parse(&tc, zoned, strlen(zoned)), days_from_civil(2024, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
	assert_int_equal(time_ctx_parse(&tc, bsd, strlen(bsd)), days_from_civil(2024, 2, 5) * 86400 + 14 * 3600 + 34 * 60 + 10);
	unsetenv("TZ");
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_journal_forms),
		cmocka_unit_test(test_year_rollover),
		cmocka_unit_test(test_same_prefix),
		cmocka_unit_test(test_local_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
