/* unban.c - `article5 unban`: lifts the ban on one address or prefix, and
 * says so when something else still blocks it. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb unban_verb = {
	.name = "unban",
	.usage =
	    "usage: article5 unban [-c CONFIG | -s SOCKET] [--json | -o json] [--split] ADDR[/LEN]\n\n"
	    "Lifts the ban on exactly ADDR[/LEN] and forgets its failure windows.\n"
	    "When ADDR[/LEN] lies inside a wider banned prefix, that prefix is named\n"
	    "and the command fails (exit 1) unless --split is given. It also fails\n"
	    "when nothing was banned.\n\n"
	    "  --split        lift ADDR[/LEN] out of the wider local bans holding it: each\n"
	    "                 wider prefix is removed and the rest of it banned again as\n"
	    "                 narrower prefixes, until the latest expiry that held them\n",
	.operand = OPERAND_PREFIX,
	.opts = VERB_SPLIT,
};

int
cmd_unban(int argc, char **argv)
{
	return control_verb_run(&unban_verb, argc, argv);
}
