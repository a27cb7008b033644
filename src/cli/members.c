/* members.c - `article5 members`: the coalition's members as the running
 * daemon sees them. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb members_verb = {
	.name = "members",
	.usage =
	    "usage: article5 members [-c CONFIG | -s SOCKET] [--json | -o json]\n\n"
	    "Lists the coalition's members: role, last seen (its last signed message:\n"
	    "report, revocation or commitment), reports sent (self), accepted and\n"
	    "refused (by reason), quarantine and revocation, and why a member is\n"
	    "throttled or quarantined (a fork, or over its budget: --json gives its\n"
	    "budget use).\n",
};

int
cmd_members(int argc, char **argv)
{
	return control_verb_run(&members_verb, argc, argv);
}
