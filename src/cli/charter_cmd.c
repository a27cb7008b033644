/* charter_cmd.c - `article5 charter`: the table of its sub-verbs (propose,
 * sign, show, apply, submit; one file each, charter_SUBVERB.c). Charter
 * updates take effect once the threshold of voting members signed them
 * (docs/governance.md). */
#include <stdio.h>
#include <string.h>

#include "cli/charter_cli.h"
#include "cli/cli.h"
#include "common/util.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *synopsis;	/* after "article5 charter " */
	const char *summary;	/* continuation lines indented to the column */
} subs[] = {
	{ "propose", cmd_charter_propose, "propose (--charter CURRENT | -c CONFIG) NEW_TEXT -o UPDATE",
	  "make an unsigned update from the edited charter text NEW_TEXT\n"
	  "           (it must say 'version N', N the current version + 1)" },
	{ "sign", cmd_charter_sign,
	  "sign (--identity KEYFILE | -c CONFIG) [--charter CURRENT] UPDATE",
	  "add this member's signature to UPDATE" },
	{ "show", cmd_charter_show, "show [--json] [--charter CURRENT | -c CONFIG] [UPDATE]",
	  "the charter in force, or what UPDATE changes and who signed it" },
	{ "apply", cmd_charter_apply, "apply (--charter CURRENT | -c CONFIG) UPDATE",
	  "replace the charter file by UPDATE's text, if UPDATE is adoptable" },
	{ "submit", cmd_charter_submit, "submit -c CONFIG UPDATE",
	  "publish an adoptable UPDATE on the coalition stream: every running\n"
	  "           member checks it and adopts it" },
};

static void
charter_usage(FILE *f)
{
	for (size_t i = 0; i < ARRAY_LEN(subs); i++)
		fprintf(f, "%s article5 charter %s\n", i == 0 ? "usage:" : "      ", subs[i].synopsis);
	fprintf(f, "\n"
	    "Changes to the coalition's charter (members admitted or removed, roles, key\n"
	    "rotations, revocations, policy) take effect only once signed by the threshold\n"
	    "of voting members of the charter in force (docs/governance.md).\n"
	    "\n");
	for (size_t i = 0; i < ARRAY_LEN(subs); i++)
		fprintf(f, "  %-8s %s\n", subs[i].name, subs[i].summary);
	fprintf(f, "\n'article5 charter SUBCOMMAND --help' describes each.\n");
}

int
cmd_charter(int argc, char **argv)
{
	if (argc < 2) {
		charter_usage(stderr);
		return 2;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		charter_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_LEN(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "article5 charter: unknown subcommand '%s'\n\n", argv[1]);
	charter_usage(stderr);
	return 2;
}
