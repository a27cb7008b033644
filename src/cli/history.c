/* history.c - `article5 history`: the decisions recorded in the daemon's
 * tamper-evident journal, newest first. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb history_verb = {
	.name = "history",
	.usage =
	    "usage: article5 history [-c CONFIG | -s SOCKET] [--json | -o json] [--limit N] [ADDR[/LEN]]\n\n"
	    "Lists the decisions recorded in the journal (docs/journal.md), newest\n"
	    "first: this host's bans, unbans and flushes, and the coalition reports\n"
	    "it refused. With ADDR[/LEN]: only the entries about prefixes that\n"
	    "overlap it.\n\n"
	    "  --limit N      at most N entries (default 50, at most 10000)\n",
	.operand = OPERAND_PREFIX_OPT,
	.opts = VERB_LIMIT,
};

int
cmd_history(int argc, char **argv)
{
	return control_verb_run(&history_verb, argc, argv);
}
