/* ban.c - `article5 ban`: bans an address or prefix by hand, through the
 * running daemon (the allowlist, bantime_max and, when bans are published,
 * the coalition charter's scope still apply). */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb ban_verb = {
	.name = "ban",
	.usage =
	    "usage: article5 ban [-c CONFIG | -s SOCKET] [--json | -o json] ADDR[/LEN] [--for DURATION]\n\n"
	    "Bans an address or prefix by hand, for DURATION (e.g. 90s, 10m, 2h, 1d;\n"
	    "default: the configured bantime). A DURATION over bantime_max is cut to\n"
	    "bantime_max (the answer says so). The allowlist still applies. When this\n"
	    "daemon publishes its bans to a coalition, a prefix the charter would\n"
	    "refuse (wider than its max_prefix, a member's prefix, a special range)\n"
	    "is refused here, with the reason.\n\n"
	    "  --for DURATION how long (default: bantime)\n",
	.operand = OPERAND_PREFIX,
	.opts = VERB_FOR,
};

int
cmd_ban(int argc, char **argv)
{
	return control_verb_run(&ban_verb, argc, argv);
}
