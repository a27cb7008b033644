/* client.c - `article5 check-config`, left here until it moves to its own
 * file. The subcommands that talk to a running daemon are one file each
 * (status.c, bans.c, ...), sharing control_client.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/config.h"
#include "daemon/f2b_services.h"

int
cmd_check_config(int argc, char **argv)
{
	static struct config cfg;
	struct service_policy *pol = NULL;
	struct f2b_services *f2b = NULL;
	struct ruleset *rs;
	char err[1024];
	const char *path = NULL;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: article5 check-config -c CONFIG\n\n"
			    "Parses CONFIG, compiles its rules and loads its fail2ban filters;\n"
			    "prints FILE:LINE errors.\n");
			return 0;
		}
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else {
			fprintf(stderr, "usage: article5 check-config -c CONFIG\n");
			return 2;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "usage: article5 check-config -c CONFIG\n");
		return 2;
	}
	config_defaults(&cfg);
	if (config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if ((rs = config_build_rules(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	pol = calloc(rules_service_count(rs), sizeof(*pol));
	if (pol != NULL && config_policies(&cfg, rs, pol, err, sizeof(err)) == 0 &&
	    (f2b = f2b_services_new(&cfg, rs, err, sizeof(err))) != NULL) {
		printf("%s: OK (%zu services, %zu rules, %zu fail2ban filters, %zu sources)\n", path,
		    rules_service_count(rs), rules_count(rs), f2b_services_count(f2b), cfg.nsources);
		rc = 0;
	} else
		fprintf(stderr, "%s\n", pol ? err : "out of memory");
	f2b_services_free(f2b);
	free(pol);
	rules_free(rs);
	return rc;
}
