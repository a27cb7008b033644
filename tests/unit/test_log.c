/* test_log.c - where the daemon's lines go (common/log.c): "<N>message"
 * when stderr is the journal (JOURNAL_STREAM names it), stamped lines
 * when it is a file, and never a second line out of one message. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

/* Runs fn with stderr sent to a fresh file; returns what it wrote. */
static char *
capture(const char *journal_env, void (*fn)(void))
{
	static char out[4096];
	char path[] = "/tmp/a5-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct stat st;
	char env[64];

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	dup2(fd, STDERR_FILENO);
	if (journal_env == NULL)
		unsetenv("JOURNAL_STREAM");
	else if (strcmp(journal_env, "self") == 0) {
		snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", env, 1);
	} else
		setenv("JOURNAL_STREAM", journal_env, 1);
	log_init_daemon("a5test", 0);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = pread(fd, out, sizeof(out) - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
	close(fd);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
	return out;
}

static void
some_lines(void)
{
	log_warnx("warned %d", 1);
	log_notice("ban 192.0.2.1 for 1h: service sshd");
	log_info("two\nlines");
	log_debug("not shown");
}

static void
test_journal(void **state)
{
	(void)state;
	char *out = capture("self", some_lines);
	assert_int_equal(log_target(), LOG_DEST_JOURNAL);
	assert_string_equal(out, "<4>warned 1\n<5>ban 192.0.2.1 for 1h: service sshd\n<6>two lines\n");
}

static void
test_stamped(void **state)
{
	(void)state;
	/* JOURNAL_STREAM of another stream (a shell redirected stderr), or
	 * garbage: not the journal */
	const char *envs[] = { NULL, "1:2", "12", "x:y", "1:2:3" };
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		char *out = capture(envs[i], some_lines);
		assert_int_equal(log_target(), LOG_DEST_STAMPED);
		size_t lines = 0;
		for (char *p = out; (p = strchr(p, '\n')) != NULL; p++)
			lines++;
		assert_int_equal(lines, 3);
		/* 2026-12-06T18:30:00.123Z a5test[PID]: warned 1 */
		assert_true(strlen(out) > 25 && out[4] == '-' && out[10] == 'T' && out[19] == '.' &&
		    out[23] == 'Z' && out[24] == ' ');
		char want[64];
		snprintf(want, sizeof(want), " a5test[%d]: warned 1\n", (int)getpid());
		assert_memory_equal(out + 24, want, strlen(want));
		assert_non_null(strstr(out, "]: two lines\n"));
		assert_null(strstr(out, "not shown"));
		assert_null(strstr(out, "<4>"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_stamped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
