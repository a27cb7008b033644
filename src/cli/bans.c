/* bans.c - `article5 bans`: the active bans, with where each came from. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb bans_verb = {
	.name = "bans",
	.usage =
	    "usage: article5 bans [-c CONFIG | -s SOCKET] [--json | -o json] [--service S] [--origin O]\n\n"
	    "Lists the active bans: prefix, service, rule, failures, last seen,\n"
	    "expiry, and origin (local, or the coalition member that reported it).\n\n"
	    "  --service S    only the bans of service S (\"manual\": bans by hand)\n"
	    "  --origin O     only the bans from O: \"local\", or a member's name\n",
	.opts = VERB_FILTERS,
};

int
cmd_bans(int argc, char **argv)
{
	return control_verb_run(&bans_verb, argc, argv);
}
