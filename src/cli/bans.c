/* bans.c - `article5 bans`: the active bans, with where each came from. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb bans_verb = {
	.name = "bans",
	.usage =
	    "usage: article5 bans [-c CONFIG | -s SOCKET] [--json]\n\n"
	    "Lists the active bans: prefix, service, rule, failures, last seen,\n"
	    "expiry, and origin (local, or the coalition member that reported it).\n",
};

int
cmd_bans(int argc, char **argv)
{
	return control_verb_run(&bans_verb, argc, argv);
}
