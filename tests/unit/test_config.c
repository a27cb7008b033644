/* test_config.c - configuration parsing: values, and FILE:LINE errors that
 * say what was expected (input / expected-message pairs). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

static struct config *cfg;

static int
setup(void **state)
{
	(void)state;
	cfg = malloc(sizeof(*cfg));
	return cfg == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	free(cfg);
	return 0;
}

static int
parse(const char *text, char *err, size_t n)
{
	config_defaults(cfg);
	err[0] = '\0';
	return config_parse("t.conf", text, strlen(text), cfg, err, n);
}

static void
test_valid(void **state)
{
	char err[1024];

	(void)state;
	assert_int_equal(parse(
	    "# comment\n"
	    "mode observe\n"
	    "state_dir /tmp/x\n"
	    "allow 198.51.100.0/24\n"
	    "allow 2001:db8::/32\n"
	    "ipv6_prefix 56\n"
	    "maxretry 3\n"
	    "findtime 5m\n"
	    "bantime 2h   # trailing comment\n"
	    "source file /var/log/auth.log\n"
	    "source journal _SYSTEMD_UNIT=ssh.service\n"
	    "service sshd maxretry 4 bantime 1d\n"
	    "rule myapp fail bad-login ^myapp: login failed from <HOST> (user .*)$\n",
	    err, sizeof(err)), 0);
	assert_true(cfg->observe);
	assert_string_equal(cfg->state_dir, "/tmp/x");
	assert_int_equal(cfg->allow.n, 2);
	assert_int_equal(cfg->ipv6_prefix, 56);
	assert_int_equal(cfg->maxretry, 3);
	assert_int_equal(cfg->findtime, 300);
	assert_int_equal(cfg->bantime, 7200);
	assert_int_equal(cfg->nsources, 2);
	assert_int_equal(cfg->sources[1].nmatches, 1);
	assert_int_equal(cfg->nservices, 1);
	assert_int_equal(cfg->services[0].maxretry, 4);
	assert_int_equal(cfg->services[0].bantime, 86400);
	assert_int_equal(cfg->nrules, 1);
	assert_string_equal(cfg->rules[0].pattern, "^myapp: login failed from <HOST> (user .*)$");
	/* NATS credentials and TLS for the coalition's servers */
	assert_int_equal(parse("nats_creds /etc/article5/nats.creds\nnats_tls_ca /etc/ssl/ca.pem\n",
	    err, sizeof(err)), 0);
	assert_string_equal(cfg->nats_creds, "/etc/article5/nats.creds");
	assert_string_equal(cfg->nats_tls_ca, "/etc/ssl/ca.pem");
}

static void
test_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "mode fast\n", "t.conf:1: bad mode 'fast', expected enforce or observe" },
		{ "\n\nmaxretry 0\n", "t.conf:3: bad maxretry '0', expected a number from 1 to 64" },
		{ "findtime soon\n", "t.conf:1: bad findtime 'soon', expected a duration such as 90s, 10m, 1h, 2d" },
		{ "allow 10.0.0.1/8\n", "t.conf:1: bad allow prefix '10.0.0.1/8', expected an IPv4 or IPv6 address with an optional /LEN and no host bits set" },
		{ "allow ::ffff:192.0.2.0/120\n", "t.conf:1: bad allow prefix '::ffff:192.0.2.0/120': IPv4-mapped IPv6 prefix (use the IPv4 form)" },
		{ "source file log\n", "t.conf:1: log file 'log' must be an absolute path" },
		{ "source pipe x\n", "t.conf:1: unknown source type 'pipe', expected file, journal or stdin" },
		{ "source journal unit\n", "t.conf:1: bad journal match 'unit', expected FIELD=VALUE" },
		{ "bantme 1h\n", "t.conf:1: unknown directive 'bantme', expected one of mode, state_dir, control_socket, control_group, user, rules_dir, allow, ipv6_prefix, max_offenders, maxretry, findtime, bantime, bantime_max, bantime_factor, coalition, identity, nats_creds, nats_tls_ca, unban_hold, publish, kernel_mirror, source, service, rule" },
		{ "service sshd maxretry\n", "t.conf:1: 'maxretry' needs a value" },
		{ "service sshd colour red\n", "t.conf:1: unknown service option 'colour', expected maxretry, findtime, bantime or disabled" },
		{ "rule x fail\n", "t.conf:1: expected 'rule SERVICE KIND NAME PATTERN'" },
		{ "mode\n", "t.conf:1: expected 'mode enforce|observe'" },
		{ "ipv6_prefix 200\n", "t.conf:1: bad ipv6_prefix '200', expected 32..128" },
		{ "nats_creds\n", "t.conf:1: expected 'nats_creds CREDENTIALS-FILE'" },
		{ "user root\n", "t.conf:1: user root: the worker must not run as root (docs/privsep.md)" },
		{ "user\n", "t.conf:1: expected 'user NAME'" },
		{ "service web fail2ban-filter\n", "t.conf:1: expected 'service NAME fail2ban-filter PATH [mode M] ...'" },
		{ "service web fail2ban-filter apache-auth.conf\n", "t.conf:1: fail2ban filter 'apache-auth.conf' must be an absolute path" },
		{ "service web fail2ban-filter /f.conf mode a;b\n", "t.conf:1: bad fail2ban filter mode 'a;b', expected letters, digits, '-', '_'" },
		{ "service web fail2ban-filter /f.conf colour red\n", "t.conf:1: unknown service option 'colour', expected mode, maxretry, findtime, bantime or disabled" },
		{ "service web fail2ban-filter /f.conf\nservice web fail2ban-filter /g.conf\n", "t.conf:2: service 'web' already has a fail2ban filter (t.conf:1)" },
		{ "service web maxretry 2\nsource file /var/log/x.log service web\n", "t.conf:2: source for service 'web', which is no 'service web fail2ban-filter PATH' line" },
	};
	char err[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].msg);
	}
	/* hostile input: NUL bytes and overlong lines */
	assert_int_equal(config_parse("t.conf", "mode\0x\n", 7, cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: NUL byte in configuration");
	char *big = malloc(10000);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	assert_int_equal(parse(big, err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: line too long (at most 4095 bytes)");
	free(big);
}

/* A fail2ban-filter service: its filter, mode and policy, and the sources
 * that belong to it. */
static void
test_f2b_service(void **state)
{
	char err[1024];
	struct ruleset *rs;

	(void)state;
	assert_int_equal(parse(
	    "source file /var/log/auth.log\n"
	    "source file /var/log/apache2/error.log service web\n"
	    "service web fail2ban-filter /etc/fail2ban/filter.d/apache-auth.conf mode aggressive maxretry 3\n",
	    err, sizeof(err)), 0);
	assert_int_equal(cfg->nf2b, 1);
	assert_string_equal(cfg->f2b[0].service, "web");
	assert_string_equal(cfg->f2b[0].path, "/etc/fail2ban/filter.d/apache-auth.conf");
	assert_string_equal(cfg->f2b[0].mode, "aggressive");
	assert_int_equal(cfg->services[0].maxretry, 3);
	assert_string_equal(cfg->sources[0].services, "");
	assert_string_equal(cfg->sources[1].services, "web");
	assert_string_equal(cfg->sources[1].path, "/var/log/apache2/error.log");
	assert_int_equal(config_f2b_find(cfg, "web"), 0);
	assert_int_equal(config_f2b_find(cfg, "sshd"), -1);
	/* the service joins the rule set, with no rule of its own */
	strcpy(cfg->rules_dir, A5_SRCDIR "/etc/rules");
	rs = config_build_rules(cfg, err, sizeof(err));
	assert_non_null(rs);
	assert_true(rules_service_find(rs, "web") >= 0);
	rules_free(rs);
	/* a source given to several services; an empty name in the list */
	char name[RULES_NAME_MAX];
	assert_int_equal(parse(
	    "service a fail2ban-filter /f.conf\nservice b fail2ban-filter /g.conf\n"
	    "source file /var/log/shared.log service a,b\n", err, sizeof(err)), 0);
	assert_int_equal(config_source_service(&cfg->sources[0], 0, name, sizeof(name)), 1);
	assert_string_equal(name, "a");
	assert_int_equal(config_source_service(&cfg->sources[0], 1, name, sizeof(name)), 1);
	assert_string_equal(name, "b");
	assert_int_equal(config_source_service(&cfg->sources[0], 2, name, sizeof(name)), 0);
	assert_int_equal(parse("service a fail2ban-filter /f.conf\nsource file /x service a,c\n",
	    err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:2: source for service 'c', which is no 'service c fail2ban-filter PATH' line");
	assert_int_equal(parse("service a fail2ban-filter /f.conf\nsource file /x service a,,a\n",
	    err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:2: bad service list 'a,,a', expected NAME[,NAME...]");
	assert_int_equal(parse("service a fail2ban-filter /f.conf\nsource file /x service ,a\n",
	    err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:2: bad service list ',a', expected NAME[,NAME...]");
	/* a native service's name is refused */
	assert_int_equal(parse("service sshd fail2ban-filter /etc/fail2ban/filter.d/sshd.conf\n",
	    err, sizeof(err)), 0);
	strcpy(cfg->rules_dir, A5_SRCDIR "/etc/rules");
	assert_null(config_build_rules(cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "t.conf:1: service 'sshd' already exists"));
}

static void
test_unknown_service(void **state)
{
	char err[1024];
	struct ruleset *rs;
	struct service_policy pol[RULES_SERVICES_MAX];

	(void)state;
	assert_int_equal(parse("service nosuch maxretry 2\n", err, sizeof(err)), 0);
	strcpy(cfg->rules_dir, A5_SRCDIR "/etc/rules");
	rs = config_build_rules(cfg, err, sizeof(err));
	assert_non_null(rs);
	assert_int_equal(config_policies(cfg, rs, pol, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:1: unknown service 'nosuch'"));
	rules_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unknown_service),
		cmocka_unit_test(test_f2b_service),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
