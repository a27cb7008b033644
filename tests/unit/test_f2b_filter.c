/* test_f2b_filter.c - the fail2ban filter engine on inputs the fuzzer
 * (fuzz/fuzz_f2b_filter.c) found hostile; one case per bug, each named
 * after what went wrong. Run under the sanitizer build (make unit-asan). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_filter.h"

static void
count_fail(void *arg, const struct f2b_failure *f)
{
	size_t *n = arg;

	assert_non_null(f->id);
	(*n)++;
}

/* A set of one filter with the given failregexes (no date, no prefilter). */
static struct f2b_set *
one_filter(struct f2b_regex *fail, size_t nfail, int maxlines)
{
	char err[512];
	struct f2b_def def = { .name = "t", .fail = fail, .nfail = nfail, .maxlines = maxlines };
	struct f2b_set *s = f2b_set_new();

	assert_non_null(s);
	if (f2b_set_add(s, &def, F2B_FLT_NODATE | F2B_FLT_NOPREFILTER, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (f2b_set_compile(s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return s;
}

/* fuzz_f2b_filter: an empty line kept in the maxlines buffer has a slot
 * with no buffer; joining the lines passed NULL to memcpy (UBSan). */
static void
test_empty_line_in_buffer(void **state)
{
	(void)state;
	struct f2b_regex fail[] = { { "^refused <HOST>$", "t:1" } };
	struct f2b_set *s = one_filter(fail, 1, 3);
	size_t n = 0;

	f2b_set_line(s, "", 0, 1800000000, count_fail, &n);
	f2b_set_line(s, "noise", 5, 1800000001, count_fail, &n);
	f2b_set_line(s, "", 0, 1800000002, count_fail, &n);
	f2b_set_line(s, "refused 192.0.2.1", 17, 1800000003, count_fail, &n);
	assert_int_equal(n, 1);
	f2b_set_free(s);
}

/* Review while writing fuzz_f2b_filter's prefilter oracle: "(?x" was
 * looked for, "(?ix)" was not; in extended mode "fa il" matches "fail",
 * yet the prefilter required the text "fa il" and hid the line. */
static void
test_prefilter_extended_mode(void **state)
{
	(void)state;
	char err[512];
	struct f2b_regex fail[] = { { "(?ix)fa il <HOST>", "t:1" } };
	struct f2b_def def = { .name = "t", .fail = fail, .nfail = 1, .maxlines = 1 };
	struct f2b_set *s = f2b_set_new();
	size_t n = 0;

	assert_non_null(s);
	assert_int_equal(f2b_set_add(s, &def, F2B_FLT_NODATE, err, sizeof(err)), 0);
	assert_int_equal(f2b_set_compile(s, err, sizeof(err)), 0);
	f2b_set_line(s, "fail192.0.2.1", 13, 1800000000, count_fail, &n);
	f2b_set_line(s, "FAIL192.0.2.2", 13, 1800000000, count_fail, &n);
	assert_int_equal(n, 2);
	f2b_set_free(s);
}

/* Review as above: caseless with Unicode, 'k' matches U+212A (Kelvin
 * sign) and 's' U+017F (long s); the prefilter's ASCII strncasecmp does
 * not, and hid the line. */
static void
test_prefilter_unicode_caseless(void **state)
{
	(void)state;
	char err[512];
	struct f2b_regex fail[] = { { "(?i)kiss from <HOST>", "t:1" } };
	struct f2b_def def = { .name = "t", .fail = fail, .nfail = 1, .maxlines = 1 };
	struct f2b_set *s = f2b_set_new();
	const char *l1 = "\xe2\x84\xaaiss from 192.0.2.1", *l2 = "ki\xc5\xbfs from 192.0.2.2";
	size_t n = 0;

	assert_non_null(s);
	assert_int_equal(f2b_set_add(s, &def, F2B_FLT_NODATE, err, sizeof(err)), 0);
	assert_int_equal(f2b_set_compile(s, err, sizeof(err)), 0);
	f2b_set_line(s, l1, strlen(l1), 1800000000, count_fail, &n);
	f2b_set_line(s, l2, strlen(l2), 1800000000, count_fail, &n);
	assert_int_equal(n, 2);
	f2b_set_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_line_in_buffer),
		cmocka_unit_test(test_prefilter_extended_mode),
		cmocka_unit_test(test_prefilter_unicode_caseless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
