/* ban.c - `article5 ban`: bans an address or prefix by hand, through the
 * running daemon (the allowlist still applies). */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb ban_verb = {
	.name = "ban",
	.usage =
	    "usage: article5 ban [-c CONFIG | -s SOCKET] [--json] ADDR[/LEN] [--for DURATION]\n\n"
	    "Bans an address or prefix by hand, for DURATION (e.g. 90s, 10m, 2h, 1d;\n"
	    "default: the configured bantime). The allowlist still applies.\n",
	.target = 1,
	.duration = 1,
};

int
cmd_ban(int argc, char **argv)
{
	return control_verb_run(&ban_verb, argc, argv);
}
