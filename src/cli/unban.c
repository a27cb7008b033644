/* unban.c - `article5 unban`: lifts the ban on exactly one address or prefix. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb unban_verb = {
	.name = "unban",
	.usage =
	    "usage: article5 unban [-c CONFIG | -s SOCKET] [--json] ADDR[/LEN]\n\n"
	    "Lifts the ban on exactly ADDR[/LEN] and forgets its failure windows.\n",
	.target = 1,
};

int
cmd_unban(int argc, char **argv)
{
	return control_verb_run(&unban_verb, argc, argv);
}
