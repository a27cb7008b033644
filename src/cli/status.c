/* status.c - `article5 status`: the running daemon's mode, sources,
 * counters and ban count; or one service's. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb status_verb = {
	.name = "status",
	.usage =
	    "usage: article5 status [-c CONFIG | -s SOCKET] [--json | -o json] [SERVICE]\n\n"
	    "Shows the daemon's mode, counters and ban count, and each log source\n"
	    "with its path, state (open, missing, waiting, error), lines read and\n"
	    "when it last gave a line (\"quiet\" when nothing came for source_quiet).\n"
	    "With SERVICE: that service's policy, rule hits, failed attempts,\n"
	    "offenders and current bans.\n",
	.operand = OPERAND_SERVICE_OPT,
};

int
cmd_status(int argc, char **argv)
{
	return control_verb_run(&status_verb, argc, argv);
}
