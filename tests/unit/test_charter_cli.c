/* test_charter_cli.c - charter_path_choose, the charter the `charter
 * propose` and `charter apply` sub-verbs work on: --charter as given, else
 * the one the configuration names, else an error naming the configuration. */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/charter_cli.h"

static char dir[64];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void
test_choose(void **state)
{
	char with[PATH_MAX], without[PATH_MAX], chpath[PATH_MAX], buf[PATH_MAX], text[3 * PATH_MAX];
	char err[CHARTER_ERR_MAX];
	const char *charter;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/a5-chcli-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(with, sizeof(with), "%s/with.conf", dir);
	snprintf(without, sizeof(without), "%s/without.conf", dir);
	snprintf(chpath, sizeof(chpath), "%s/test.charter", dir);
	snprintf(text, sizeof(text), "source stdin\nstate_dir %s\ncoalition %s\nidentity %s/id.key\n",
	    dir, chpath, dir);
	write_file(with, text);
	snprintf(text, sizeof(text), "source stdin\nstate_dir %s\n", dir);
	write_file(without, text);

	/* --charter given: taken as is, the configuration not read */
	charter = "/given.charter";
	buf[0] = 'x';
	assert_int_equal(charter_path_choose(&charter, "/nonexistent.conf", buf, sizeof(buf), err,
	    sizeof(err)), 0);
	assert_string_equal(charter, "/given.charter");
	assert_int_equal(buf[0], 'x');

	/* the configuration's 'coalition' line (no adopted charter in state_dir) */
	charter = NULL;
	assert_int_equal(charter_path_choose(&charter, with, buf, sizeof(buf), err, sizeof(err)), 0);
	assert_ptr_equal(charter, buf);
	assert_string_equal(charter, chpath);

	/* no 'coalition' line: refused, naming the configuration */
	charter = NULL;
	err[0] = '\0';
	assert_int_equal(charter_path_choose(&charter, without, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_null(charter);
	assert_non_null(strstr(err, without));
	assert_non_null(strstr(err, "no 'coalition' line"));

	/* a configuration that cannot be read: refused with the loader's error */
	err[0] = '\0';
	assert_int_equal(charter_path_choose(&charter, "/nonexistent/a5.conf", buf, sizeof(buf), err,
	    sizeof(err)), -1);
	assert_null(charter);
	assert_true(err[0] != '\0');

	unlink(with);
	unlink(without);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
