/* flush.c - `article5 flush`: lifts every ban. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb flush_verb = {
	.name = "flush",
	.usage =
	    "usage: article5 flush [-c CONFIG | -s SOCKET] [--json | -o json]\n\n"
	    "Lifts every ban (kernel sets and ledger).\n",
};

int
cmd_flush(int argc, char **argv)
{
	return control_verb_run(&flush_verb, argc, argv);
}
