/* test_f2b_import.c - `article5 import-fail2ban` on jail files the fuzzer
 * (fuzz/fuzz_f2b_jail.c) found hostile; one case per bug. Run under the
 * sanitizer build (make unit-asan). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static char tmpdir[256];

static void
put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Runs the importer on tmpdir; the output file's text (caller frees). */
static char *
import(void)
{
	char out[512], *text;
	FILE *f;
	long n;

	snprintf(out, sizeof(out), "%s/out.conf", tmpdir);
	char *argv[] = { "import-fail2ban", tmpdir, "-o", out, NULL };
	assert_int_equal(cmd_import_f2b(4, argv), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static int
setup(void **state)
{
	char p[512];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/a5impXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/filter.d", tmpdir);
	return mkdir(p, 0700);
}

static int
teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* fuzz_f2b_jail: the terms of a duration were summed without a bound;
 * forty "9999999999y" overflowed a long long (UBSan). Refused now. */
static void
test_duration_sum_overflow(void **state)
{
	(void)state;
	char jail[1024];
	size_t n = (size_t)snprintf(jail, sizeof(jail),
	    "[j]\nenabled = true\nfilter = f\nlogpath = /var/log/a5-test.log\nbantime =");

	for (int i = 0; i < 40 && n < sizeof(jail); i++)
		n += (size_t)snprintf(jail + n, sizeof(jail) - n, " 9999999999y");
	assert_true(n + 2 < sizeof(jail));
	snprintf(jail + n, sizeof(jail) - n, "\n");
	put("jail.conf", jail);
	put("filter.d/f.conf", "[Definition]\nfailregex = ^refused <HOST>$\n");
	char *out = import();
	if (strstr(out, "is not a duration article5 reads") == NULL)
		fail_msg("no note on the bantime in:\n%s", out);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_sum_overflow),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
