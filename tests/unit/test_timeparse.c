/* test_timeparse.c - log timestamp formats. */
#include "testutil.h"

#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_formats) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
