/* status.c - `article5 status`: the running daemon's mode, sources, counters
 * and ban count. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb status_verb = {
	.name = "status",
	.usage =
	    "usage: article5 status [-c CONFIG | -s SOCKET] [--json]\n\n"
	    "Shows the daemon's mode, sources, counters and ban count.\n",
};

int
cmd_status(int argc, char **argv)
{
	return control_verb_run(&status_verb, argc, argv);
}
