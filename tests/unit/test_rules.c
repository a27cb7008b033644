/* test_rules.c - the rule engine: loading errors with file:line, syslog
 * header forms, address capture anchored against injection, ReDoS bounds. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rules/rules.h"

static char dir[] = "/tmp/a5rules.XXXXXX";

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

struct got {
	int n;
	char addr[8][A5_PREFIX_STRLEN];
	char rule[8][RULES_NAME_MAX];
	size_t line[8];
	uint32_t pid[8];
	unsigned repeat[8];
};

static void
collect(void *arg, const struct rules_match *m)
{
	struct got *g = arg;

	if (g->n >= 8)
		return;
	if (m->has_addr)
		addr_format(&m->addr, g->addr[g->n], sizeof(g->addr[0]));
	else
		strcpy(g->addr[g->n], "-");
	strcpy(g->rule[g->n], m->info->name);
	g->line[g->n] = m->line_index;
	g->pid[g->n] = m->has_pid ? m->pid : 0;
	g->repeat[g->n] = m->repeat;
	g->n++;
}

static struct ruleset *
load(const char *text)
{
	char err[1024], path[256];
	struct ruleset *rs = rules_new();

	write_file("t.rules", text);
	snprintf(path, sizeof(path), "%s/t.rules", dir);
	assert_int_equal(rules_load_file(rs, path, err, sizeof(err)), 0);
	assert_int_equal(rules_compile(rs, err, sizeof(err)), 0);
	return rs;
}

static struct got
scan(struct ruleset *rs, const char *text)
{
	struct rules_scratch *sc = rules_scratch_new(rs);
	struct got g;

	memset(&g, 0, sizeof(g));
	assert_non_null(sc);
	assert_true(rules_scan(rs, sc, text, strlen(text), collect, &g) >= 0);
	rules_scratch_free(sc);
	return g;
}

static const char SSHD[] =
    "service sshd\n"
    "program sshd sshd-session\n"
    "fail failed-password ^Failed password for (?:invalid user )?.* from <HOST> port \\d+(?: ssh2)?(?:: .*)?$\n"
    "probe invalid-user ^Invalid user .* from <HOST>(?: port \\d+)?$\n";

static void
test_headers_and_injection(void **state)
{
	struct ruleset *rs = load(SSHD);
	struct got g;

	(void)state;
	g = scan(rs,
	    "Nov 24 04:00:06 host sshd[101]: Failed password for invalid user x from 10.0.0.9 port 1 ssh2 from 203.0.113.5 port 22 ssh2\n"
	    "2026-11-24T04:00:07.5+01:00 host sshd-session[102]: Failed password for root from 2001:db8::7 port 22 ssh2\n"
	    "sshd[103]: Invalid user admin from ::ffff:198.51.100.3 port 9\n"
	    "Nov 24 04:00:08 host nginx[104]: Failed password for root from 192.0.2.66 port 22 ssh2\n"
	    "Nov 24 04:00:09 host sshd[105]: Failed password for root from 999.1.1.1 port 22 ssh2\n"
	    "Nov 24 04:00:10 host sshd[106]: Failed password for invalid user test from 10.1.1.1 port 1 ssh2 from 127.0.0.1 port 58946 ssh2\n"
	    "Nov 24 04:00:11 host sshd[107]: Invalid user x from 10.0.0.9 from 192.0.2.44\n");
	assert_int_equal(g.n, 5);
	assert_string_equal(g.addr[0], "203.0.113.5");
	assert_int_equal(g.pid[0], 101);
	assert_string_equal(g.addr[1], "2001:db8::7");
	assert_string_equal(g.rule[1], "failed-password");
	assert_string_equal(g.addr[2], "198.51.100.3");
	assert_string_equal(g.rule[2], "invalid-user");
	assert_int_equal(g.line[2], 2);
	/* nginx line and the invalid address are not matched */
	assert_string_equal(g.addr[3], "127.0.0.1");
	assert_int_equal(g.line[3], 5);
	assert_string_equal(g.addr[4], "192.0.2.44");
	rules_free(rs);
}

static void
test_load_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "fail x ^a <HOST>$\n", "t.rules:1: 'fail' before any 'service NAME' line" },
		{ "service s\n\nfail x a <HOST>$\n", "t.rules:3: pattern must start with '^' (anchor it to the line)" },
		{ "service s\nfail x ^a$\n", "t.rules:2: a 'fail' rule needs <HOST> in its pattern" },
		{ "service s\nfial x ^a <HOST>$\n", "t.rules:2: unknown directive 'fial'" },
		{ "service s\nfail x ^a (<HOST>$\n", "t.rules:2: bad pattern: missing closing parenthesis" },
		{ "service s\nfail x\n", "t.rules:2: expected 'fail NAME PATTERN'" },
		{ "service s\nmaxretry 99\n", "t.rules:2: bad maxretry '99', expected 1..64" },
	};
	char err[1024], path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/t.rules", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ruleset *rs = rules_new();
		write_file("t.rules", cases[i].text);
		assert_int_equal(rules_load_file(rs, path, err, sizeof(err)), -1);
		const char *e = strstr(err, "t.rules:");
		assert_non_null(e);
		if (strncmp(e, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, e, cases[i].msg);
		rules_free(rs);
	}
}

/* Every error of a file is reported, one per line, in file order; the
 * lines of a bad "service" line are skipped, not reported as orphans; a
 * line longer than the buffer is one error and the next line is read. */
static void
test_load_every_error(void **state)
{
	char err[2048], path[256], text[3 * RULES_PATTERN_MAX];
	struct ruleset *rs = rules_new();

	(void)state;
	int n = snprintf(text, sizeof(text), "service s\nfial x ^a <HOST>$\nmaxretry 99\n"
	    "fail ok ^ok from <HOST>$\nservice\nfail y ^b <HOST>$\nservice t\nfail z ^c$\nfail ");
	memset(text + n, 'a', RULES_PATTERN_MAX + 10);
	snprintf(text + n + RULES_PATTERN_MAX + 10, sizeof(text) - (size_t)n - RULES_PATTERN_MAX - 10,
	    "\nbantime 0\n");
	write_file("t.rules", text);
	snprintf(path, sizeof(path), "%s/t.rules", dir);
	assert_int_equal(rules_load_file(rs, path, err, sizeof(err)), -1);
	static const char *const want[] = {
		"t.rules:2: unknown directive 'fial'", "t.rules:3: bad maxretry '99'",
		"t.rules:5: expected 'service NAME'", "t.rules:8: a 'fail' rule needs <HOST>",
		"t.rules:9: line too long", "t.rules:10: bad bantime '0'",
	};
	const char *e = err;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *hit = strstr(e, want[i]);
		if (hit == NULL)
			fail_msg("error %zu '%s' missing (or out of order) in:\n%s", i, want[i], err);
		e = hit + strlen(want[i]);
	}
	assert_null(strstr(err, "t.rules:6"));	/* under the bad service line */
	assert_int_equal(strchr(e, '\n') == NULL, 1);	/* nothing after the last */
	rules_free(rs);
}

/* rules_local: a local file replaces the shipped file of its name, the
 * others add services; a missing local directory is none. */
static void
test_load_dirs(void **state)
{
	char err[1024], shipped[300], local[300], missing[300];
	struct ruleset *rs;

	(void)state;
	snprintf(shipped, sizeof(shipped), "%s/shipped", dir);
	snprintf(local, sizeof(local), "%s/local", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_int_equal(mkdir(shipped, 0700), 0);
	assert_int_equal(mkdir(local, 0700), 0);
	write_file("shipped/a.rules", "service a\nfail x ^a <HOST>$\n");
	write_file("shipped/b.rules", "service b\nfail x ^b <HOST>$\n");
	write_file("shipped/b.rules~", "service backup\nfail x ^b <HOST>$\n");
	write_file("local/b.rules", "service b2\nfail x ^b2 <HOST>$\n");
	write_file("local/c.rules", "service c\nfail x ^c <HOST>$\n");

	rs = rules_new();
	assert_int_equal(rules_load_dirs(rs, shipped, local, err, sizeof(err)), 0);
	assert_int_equal(rules_service_count(rs), 3);
	assert_int_equal(rules_service_find(rs, "a"), 0);
	assert_int_equal(rules_service_find(rs, "b"), -1);	/* replaced, not read */
	assert_int_equal(rules_service_find(rs, "b2"), 1);
	assert_int_equal(rules_service_find(rs, "c"), 2);	/* local ones come after */
	rules_free(rs);

	const char *none[] = { missing, "", NULL };
	for (size_t i = 0; i < 3; i++) {
		rs = rules_new();
		assert_int_equal(rules_load_dirs(rs, shipped, none[i], err, sizeof(err)), 0);
		assert_int_equal(rules_service_count(rs), 2);
		assert_int_equal(rules_service_find(rs, "b"), 1);
		rules_free(rs);
	}

	/* an error in a local file names it; the shipped directory must exist */
	write_file("local/d.rules", "service d\nfial x ^d <HOST>$\n");
	rs = rules_new();
	assert_int_equal(rules_load_dirs(rs, shipped, local, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "local/d.rules:2: unknown directive 'fial'"));
	rules_free(rs);
	rs = rules_new();
	assert_int_equal(rules_load_dirs(rs, missing, local, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open rules directory"));
	rules_free(rs);
}

static void
test_redos_bounded(void **state)
{
	/* A catastrophic pattern: PCRE2's limits must stop it, counted. */
	struct ruleset *rs = load("service evil\nfail nested ^(a+)+b <HOST>$\n");
	struct rules_scratch *sc = rules_scratch_new(rs);
	struct got g;
	char line[4096];

	(void)state;
	memset(line, 'a', 4000);
	strcpy(line + 4000, "c 192.0.2.1\n");
	memset(&g, 0, sizeof(g));
	assert_true(rules_scan(rs, sc, line, strlen(line), collect, &g) >= 0);
	assert_int_equal(g.n, 0);
	rules_scratch_free(sc);
	rules_free(rs);
}

static void
test_line_counting(void **state)
{
	struct ruleset *rs = load(SSHD);
	struct rules_scratch *sc = rules_scratch_new(rs);
	struct got g;
	const char *text = "a\nb\nsshd[1]: Invalid user x from 192.0.2.1\nc";

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(rules_scan(rs, sc, text, strlen(text), collect, &g), 4);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.line[0], 2);
	assert_int_equal(rules_scratch_hits(sc, 1), 1);
	rules_scratch_free(sc);
	rules_free(rs);
}

/* <CONN>: the service's own connection number stands in for the pid. */
static void
test_conn_macro(void **state)
{
	struct ruleset *rs = load("service m\n"
	    "pending p ^\\S+ \\[conn<CONN>\\] failed$\n"
	    "end e ^\\S+ \\[conn<CONN>\\] end <HOST>:\\d+$\n"
	    "fail f ^\\S+ \\[c\\] from <HOST>$\n");
	struct got g;

	(void)state;
	g = scan(rs, "t1 [conn42] failed\n"
	    "t2 [conn42] end 192.0.2.4:5\n"
	    "t3 [c] from 192.0.2.5\n"
	    "t4 [conn43] failed\n"
	    "t5 [conn123456789012345678901] failed\n");
	assert_int_equal(g.n, 4);
	assert_string_equal(g.rule[0], "p");
	assert_string_equal(g.rule[1], "e");
	assert_int_equal(g.pid[0], g.pid[1]);
	assert_string_equal(g.rule[3], "p");
	assert_true(g.pid[3] != g.pid[0]);
	assert_string_equal(g.addr[1], "192.0.2.4");
	assert_string_equal(g.rule[2], "f");
	assert_int_equal(g.pid[2], 0);	/* no program, no <CONN>: no pid */
	/* t5: more than 20 characters is not an identifier */
	rules_free(rs);

	char err[512], path[256];
	rs = rules_new();
	write_file("t.rules", "service m\nend e ^<CONN> <CONN> <HOST>$\n");
	snprintf(path, sizeof(path), "%s/t.rules", dir);
	assert_int_equal(rules_load_file(rs, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "<CONN> may appear only once"));
	rules_free(rs);
}

/* A pattern without literal text gets nothing in Hyperscan: PCRE2 tries
 * it on every line, in order with the rules Hyperscan flags. */
static void
test_no_literal_every_line(void **state)
{
	struct ruleset *rs = load(
	    "service w\n"
	    "fail lead ^denied \\S+ from <HOST>$\n"
	    "fail bare ^<HOST>$\n"
	    "fail word ^\\S+\\s+<HOST>$\n");
	struct got g;

	(void)state;
	g = scan(rs, "192.0.2.8\nfoo\nx 192.0.2.9\ndenied y from 192.0.2.10\n2001:db8::1");
	assert_int_equal(g.n, 4);
	assert_string_equal(g.rule[0], "bare");
	assert_string_equal(g.addr[0], "192.0.2.8");
	assert_string_equal(g.rule[1], "word");
	assert_int_equal(g.line[1], 2);
	assert_string_equal(g.rule[2], "lead");
	assert_string_equal(g.addr[2], "192.0.2.10");
	assert_string_equal(g.rule[3], "bare");
	assert_string_equal(g.addr[3], "2001:db8::1");
	rules_free(rs);
}

/* A class whose first member is ']' or a POSIX "[:alpha:]" is one atom:
 * the text after its first ']' is no literal the line must hold (the
 * prefilter took "abcdefgh" and missed these lines). */
static void
test_class_brackets(void **state)
{
	struct ruleset *rs = load(
	    "service w\n"
	    "fail close ^x[]abcdefgh] y from <HOST>$\n"
	    "fail posix ^z[[:digit:]abcdefgh] w from <HOST>$\n");
	struct got g;

	(void)state;
	g = scan(rs, "x] y from 192.0.2.8\nz7 w from 192.0.2.9\n");
	assert_int_equal(g.n, 2);
	assert_string_equal(g.rule[0], "close");
	assert_string_equal(g.addr[0], "192.0.2.8");
	assert_string_equal(g.rule[1], "posix");
	assert_string_equal(g.addr[1], "192.0.2.9");
	rules_free(rs);
}

/* rsyslog's "message repeated N times: [ M]": M is matched, N is passed
 * on, also for a rule whose prefilter keeps the pattern's '$' (no long
 * literal lead). */
static void
test_repeated(void **state)
{
	struct ruleset *rs = load(
	    "service sshd\n"
	    "program sshd\n"
	    "fail failed-password ^Failed password for \\S+ from <HOST> port \\d+(?: ssh2)?$\n"
	    "fail short ^Bad \\S <HOST>$\n");
	struct got g;

	(void)state;
	g = scan(rs,
	    "Feb  5 14:34:10 host sshd[123]: message repeated 3 times: [ Failed password for root from 203.0.113.5 port 22 ssh2]\n"
	    "Feb  5 14:34:11 host sshd[124]: message repeated 2 times: [ Bad x 192.0.2.7]\n"
	    "Feb  5 14:34:12 host sshd[125]: Bad y 192.0.2.8\n"
	    "Feb  5 14:34:13 host sshd[126]: message repeated 2 times: [ Bad x 192.0.2.9] trailing\n"
	    "Feb  5 14:34:14 host sshd[127]: message repeated 5000 times: [ Bad x 192.0.2.10]\n");
	assert_int_equal(g.n, 4);
	assert_string_equal(g.addr[0], "203.0.113.5");
	assert_int_equal(g.repeat[0], 3);
	assert_int_equal(g.pid[0], 123);
	assert_string_equal(g.addr[1], "192.0.2.7");
	assert_int_equal(g.repeat[1], 2);
	assert_string_equal(g.addr[2], "192.0.2.8");
	assert_int_equal(g.repeat[2], 1);
	assert_string_equal(g.addr[3], "192.0.2.10");
	assert_int_equal(g.repeat[3], 1000);	/* bounded */
	rules_free(rs);
}

/* journalctl -o cat: no header; the caller names the program. Without
 * that, such lines match no service with `program` (a line of client text
 * elsewhere must not pass for sshd's). */
static void
test_headerless(void **state)
{
	struct ruleset *rs = load(SSHD);
	struct rules_scratch *sc = rules_scratch_new(rs);
	const char *text = "Failed password for root from 203.0.113.5 port 22 ssh2\n"
	    "Invalid user x from 192.0.2.3 port 4\n";
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(rules_scan(rs, sc, text, strlen(text), collect, &g), 2);
	assert_int_equal(g.n, 0);
	rules_scratch_set_program(sc, "sshd");
	assert_int_equal(rules_scan(rs, sc, text, strlen(text), collect, &g), 2);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.addr[0], "203.0.113.5");
	assert_string_equal(g.addr[1], "192.0.2.3");
	assert_int_equal(g.pid[0], 0);
	memset(&g, 0, sizeof(g));
	rules_scratch_set_program(sc, "nginx");
	assert_int_equal(rules_scan(rs, sc, text, strlen(text), collect, &g), 2);
	assert_int_equal(g.n, 0);
	rules_scratch_free(sc);
	rules_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_injection),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_every_error),
		cmocka_unit_test(test_load_dirs),
		cmocka_unit_test(test_redos_bounded),
		cmocka_unit_test(test_line_counting),
		cmocka_unit_test(test_conn_macro),
		cmocka_unit_test(test_no_literal_every_line),
		cmocka_unit_test(test_class_brackets),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_headerless),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
