/* test_f2b_services.c - the daemon's fail2ban-filter services: which
 * sources each reads, and journal lines (no date, fail2ban's systemd
 * backend) beside file lines. Uses Debian's sshd filter; skipped without it. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "daemon/config.h"
#include "daemon/f2b_services.h"

#define SSHD_FILTER "/etc/fail2ban/filter.d/sshd.conf"

struct hits {
	int n;
	char addr[8][A5_PREFIX_STRLEN];
};

static void
collect(void *arg, const struct f2b_hit *h)
{
	struct hits *g = arg;

	if (g->n < 8)
		prefix_format(&h->addr, g->addr[g->n++], sizeof(g->addr[0]));
}

static struct f2b_services *
build(const char *text, struct config *cfg, struct ruleset **rs)
{
	char err[1024];
	struct f2b_services *fs;

	config_defaults(cfg);
	if (config_parse("t.conf", text, strlen(text), cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	strlcpy_ok(cfg->rules_dir, A5_SRCDIR "/etc/rules", sizeof(cfg->rules_dir));
	cfg->rules_local[0] = '\0'; /* not this machine's rules.d */
	if ((*rs = config_build_rules(cfg, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	if ((fs = f2b_services_new(cfg, *rs, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return fs;
}

static void
feed(struct f2b_services *fs, const char *source, const char *line, struct hits *g)
{
	memset(g, 0, sizeof(*g));
	f2b_services_lines(fs, source, line, strlen(line), 1700000000, collect, g);
}

static void
test_routing(void **state)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct ruleset *rs;
	struct hits g;
	const char *file_line =
	    "Feb  5 14:34:10 srv sshd[123]: Failed password for root from 192.0.2.9 port 22 ssh2\n";
	const char *journal_line = "sshd[124]: Failed password for root from 192.0.2.10 port 22 ssh2\n";

	(void)state;
	if (access(SSHD_FILTER, R_OK) != 0)
		skip();
	assert_non_null(cfg);
	struct f2b_services *fs = build(
	    "source file /var/log/auth.log\n"
	    "source file /var/log/own.log service f2b-own\n"
	    "source journal _COMM=sshd\n"
	    "service f2b-all fail2ban-filter " SSHD_FILTER "\n"
	    "service f2b-own fail2ban-filter " SSHD_FILTER "\n", cfg, &rs);
	assert_int_equal(f2b_services_count(fs), 2);
	/* an untagged file: the native rules and f2b-all read it */
	assert_true(f2b_services_native_reads(fs, "/var/log/auth.log"));
	feed(fs, "/var/log/auth.log", file_line, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.addr[0], "192.0.2.9");
	/* a tagged file: only f2b-own */
	assert_false(f2b_services_native_reads(fs, "/var/log/own.log"));
	feed(fs, "/var/log/own.log", file_line, &g);
	assert_int_equal(g.n, 1);
	/* the journal's "IDENT[PID]: MSG" lines, through the systemd backend */
	assert_true(f2b_services_native_reads(fs, "journal"));
	feed(fs, "journal", journal_line, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.addr[0], "192.0.2.10");
	f2b_services_free(fs);
	rules_free(rs);
	free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
