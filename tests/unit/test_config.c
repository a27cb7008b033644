/* test_config.c - configuration parsing through the C API: values, the
 * printed configuration read back, policies and fail2ban-filter services.
 * Input / expected-output pairs (every FILE:LINE error) are text files in
 * tests/config/, run by tests/e2e/config-pairs.sh. */
#include "testutil.h"

#include <stdio.h>
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

/* A NUL byte inside the given length is refused, not taken for the end of
 * the text (tests/config/bad-nul.in does the same through a file). */
static void
test_nul(void **state)
{
	char err[1024];

	(void)state;
	config_defaults(cfg);
	assert_int_equal(config_parse("t.conf", "mode\0x\n", 7, cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: NUL byte in configuration");
}

/* Prints cfg into a malloc'ed string. */
static char *
print_to_string(const struct config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(config_print(c, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* The "FILE:LINE" of each line: where, not what, so left out below. */
static void
clear_where(struct config *c)
{
	for (size_t i = 0; i < c->nsources; i++)
		memset(c->sources[i].where, 0, sizeof(c->sources[i].where));
	for (size_t i = 0; i < c->nservices; i++)
		memset(c->services[i].where, 0, sizeof(c->services[i].where));
	for (size_t i = 0; i < c->nrules; i++)
		memset(c->rules[i].where, 0, sizeof(c->rules[i].where));
	for (size_t i = 0; i < c->nf2b; i++)
		memset(c->f2b[i].where, 0, sizeof(c->f2b[i].where));
	c->user_line = c->control_group_line = c->charter_line = c->identity_line = 0;
}

/* config_print's text parses back to the same configuration, byte for
 * byte, and prints the same again: for the defaults and for a file that
 * sets everything. */
static void
test_print_round_trip(void **state)
{
	static const char *const texts[] = {
		"",
		"rules_local none\n",
		"coalition_max_prefix4 32\ncoalition_max_prefix6 128\ncoalition_allow_special yes\n"
		"coalition_act_alone none\n",
		"coalition_act_alone observer,member\n",
		"mode observe\nstate_dir /s\ncontrol_socket /c.sock\ncontrol_group adm\nuser u\n"
		"rules_dir /r\nrules_local /l\nallow 192.0.2.1\nallow 2001:db8::/32\nipv6_prefix 48\nmax_offenders 200\n"
		"maxretry 3\nfindtime 90\nbantime 36h\nbantime_max 3w\nbantime_factor 4\n"
		"coalition /ch\nidentity /id\nnats_creds /nc\nnats_tls_ca /ca\nunban_hold 2d\n"
		"publish no\nkernel_mirror no\n"
		"source file /var/log/auth.log\nsource journal _COMM=sshd A=b service w,x\nsource stdin\n"
		"source file /var/log/w.log unless-journal service w\n"
		"service sshd maxretry 2 findtime 1d bantime 1w disabled\n"
		"service w fail2ban-filter /f.conf mode aggressive bantime 61s\n"
		"service x fail2ban-filter /g.conf\nservice w maxretry 9\n"
		"rule app fail bad ^x <HOST> # kept  \n",
	};
	struct config *again = malloc(sizeof(*again));
	char err[1024];

	(void)state;
	assert_non_null(again);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(parse(texts[i], err, sizeof(err)), 0);
		char *printed = print_to_string(cfg);
		config_defaults(again);
		assert_int_equal(config_parse("printed", printed, strlen(printed), again, err,
		    sizeof(err)), 0);
		char *twice = print_to_string(again);
		assert_string_equal(printed, twice);
		clear_where(cfg);
		clear_where(again);
		assert_memory_equal(cfg, again, sizeof(*cfg));
		free(printed);
		free(twice);
	}
	free(again);
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
	cfg->rules_local[0] = '\0'; /* not this machine's rules.d */
	rs = config_build_rules(cfg, err, sizeof(err));
	assert_non_null(rs);
	assert_true(rules_service_find(rs, "web") >= 0);
	rules_free(rs);
	/* a source given to several services */
	char name[RULES_NAME_MAX];
	assert_int_equal(parse(
	    "service a fail2ban-filter /f.conf\nservice b fail2ban-filter /g.conf\n"
	    "source file /var/log/shared.log service a,b\n", err, sizeof(err)), 0);
	assert_int_equal(config_source_service(&cfg->sources[0], 0, name, sizeof(name)), 1);
	assert_string_equal(name, "a");
	assert_int_equal(config_source_service(&cfg->sources[0], 1, name, sizeof(name)), 1);
	assert_string_equal(name, "b");
	assert_int_equal(config_source_service(&cfg->sources[0], 2, name, sizeof(name)), 0);
	/* (the refused lists are tests/config/bad-source-list-*.in) */
	/* a native service's name is refused */
	assert_int_equal(parse("service sshd fail2ban-filter /etc/fail2ban/filter.d/sshd.conf\n",
	    err, sizeof(err)), 0);
	strcpy(cfg->rules_dir, A5_SRCDIR "/etc/rules");
	cfg->rules_local[0] = '\0'; /* not this machine's rules.d */
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
	cfg->rules_local[0] = '\0'; /* not this machine's rules.d */
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
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_unknown_service),
		cmocka_unit_test(test_f2b_service),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
