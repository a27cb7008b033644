/* check_config.c - `article5 check-config`: checks a configuration file
 * without starting anything, and prints the effective configuration (-v). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/config.h"
#include "daemon/config_check.h"
#include "daemon/f2b_services.h"

static void
check_config_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 check-config [-n] [-v] [-c CONFIG]\n"
	    "\n"
	    "Parses CONFIG, compiles its rules, loads its fail2ban filters and runs\n"
	    "the daemon's start checks (sources, user, control group, key,\n"
	    "charter); prints every FILE:LINE error and exits 1 if there is one.\n"
	    "\n"
	    "  -c CONFIG   the configuration file (default " CONFIG_DEFAULT_PATH ";\n"
	    "              -c - with -v: the built-in defaults alone)\n"
	    "  -n          the file alone: read neither the rules directory nor the\n"
	    "              fail2ban filters it names, nor run the start checks\n"
	    "  -v          print the effective configuration instead of the summary:\n"
	    "              every setting, defaults included, as configuration text\n"
	    "              that reads back to the same configuration\n");
}

/* The rules, the per-service policies and the fail2ban filters, as the
 * daemon would load them; prints the summary line unless quiet. 0 or 1. */
static void
print_error(void *arg, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static int
check_config_load_all(const struct config *cfg, const char *path, bool quiet)
{
	struct service_policy *pol = NULL;
	struct f2b_services *f2b = NULL;
	struct ruleset *rs;
	char err[4096];
	int rc = 1;

	if ((rs = config_build_rules(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	pol = calloc(rules_service_count(rs), sizeof(*pol));
	if (pol != NULL && config_policies(cfg, rs, pol, err, sizeof(err)) == 0 &&
	    (f2b = f2b_services_new(cfg, rs, err, sizeof(err))) != NULL) {
		if (!quiet)
			printf("%s: OK (%zu services, %zu rules, %zu fail2ban filters, %zu sources)\n",
			    path, rules_service_count(rs), rules_count(rs), f2b_services_count(f2b),
			    cfg->nsources);
		rc = 0;
	} else
		fprintf(stderr, "%s\n", pol ? err : "out of memory");
	f2b_services_free(f2b);
	free(pol);
	rules_free(rs);
	return rc;
}

int
cmd_check_config(int argc, char **argv)
{
	static struct config cfg;
	const char *path = NULL;
	bool alone = false, print = false;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			check_config_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-n") == 0)
			alone = true;
		else if (strcmp(argv[i], "-v") == 0)
			print = true;
		else {
			check_config_usage(stderr);
			return 2;
		}
	}
	if (path == NULL)
		path = CONFIG_DEFAULT_PATH;
	/* "-c -": no file, only the defaults to show. */
	if (strcmp(path, "-") == 0) {
		if (!print) {
			check_config_usage(stderr);
			return 2;
		}
		path = NULL;
	}
	config_defaults(&cfg);
	int nerr = path != NULL ? config_load_report(path, &cfg, stderr) : 0;
	/* The start checks and the rules also after a parse error: every
	 * error at once; the summary line only when all is well. */
	if (!alone && path != NULL)
		nerr += config_check_start(&cfg, true, print_error, NULL);
	if (!alone && check_config_load_all(&cfg, path ? path : "(defaults)", print || nerr > 0) != 0)
		nerr++;
	if (nerr != 0)
		return 1;
	if (alone && !print)
		printf("%s: OK (the file alone: %zu sources, %zu service lines, %zu rules)\n", path,
		    cfg.nsources, cfg.nservices, cfg.nrules);
	if (print && (config_print(&cfg, stdout) != 0 || fflush(stdout) != 0)) {
		fprintf(stderr, "check-config: cannot write the configuration\n");
		return 1;
	}
	return 0;
}
