/* ping.c - `article5 ping`: whether the daemon answers on its socket. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb ping_verb = {
	.name = "ping",
	.usage =
	    "usage: article5 ping [-c CONFIG | -s SOCKET] [--json | -o json]\n\n"
	    "Prints \"pong\" when the daemon answers on its control socket; exit 1\n"
	    "when it cannot be reached.\n",
};

int
cmd_ping(int argc, char **argv)
{
	return control_verb_run(&ping_verb, argc, argv);
}
