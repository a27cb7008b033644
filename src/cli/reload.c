/* reload.c - `article5 reload`: the daemon reads its configuration again,
 * as on SIGHUP, and this command says whether it took it. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb reload_verb = {
	.name = "reload",
	.usage =
	    "usage: article5 reload [-c CONFIG | -s SOCKET] [--json | -o json]\n\n"
	    "Asks the daemon to read its configuration file and rules again (as\n"
	    "SIGHUP does) and prints the result. A file the daemon refuses leaves\n"
	    "the running configuration in place; the reason is printed and the\n"
	    "exit status is 1. Sources are not reopened: a changed `source` line\n"
	    "takes a restart.\n",
};

int
cmd_reload(int argc, char **argv)
{
	return control_verb_run(&reload_verb, argc, argv);
}
