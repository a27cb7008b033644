/* audit_cmd.c - `article5 audit`: this member's audit of the others' signed
 * commitments (the audit itself is coalition/audit.c). */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb audit_verb = {
	.name = "audit",
	.usage =
	    "usage: article5 audit [-c CONFIG | -s SOCKET] [--json | -o json]\n\n"
	    "Shows this member's audit of the others' signed commitments: per member,\n"
	    "its role (binding or not), the age of its last commitment, commitments\n"
	    "seen, periods missed, mismatches, the response time from a report to its\n"
	    "inclusion in that member's commitment (p50/p99), the kernel count it\n"
	    "committed to against the count expected here, and a state: ok, mismatch,\n"
	    "flagged (two mismatches in a row), silent (no commitment for two\n"
	    "periods), unverifiable, pending, self, non-binding, or unassigned (audited\n"
	    "by others: the charter's auditors K; docs/commitment.md).\n",
};

int
cmd_audit(int argc, char **argv)
{
	return control_verb_run(&audit_verb, argc, argv);
}
