/* metrics.c - `article5 metrics`: the numbers of /metrics (docs/metrics.md),
 * from the running daemon over the control socket, whether or not an
 * `http` line serves them. */
#include "cli/cli.h"
#include "cli/control_client.h"

static const struct control_verb metrics_verb = {
	.name = "metrics",
	.usage =
	    "usage: article5 metrics [-c CONFIG | -s SOCKET] [--json]\n\n"
	    "Prints the daemon's metrics in the Prometheus text format, as GET /metrics\n"
	    "serves them (lines read by source, attempts by service and rule, bans by\n"
	    "service and origin, bans in force, coalition refusals by member and reason,\n"
	    "propagation delays, commitment lag, kernel set sizes, NATS state); with\n"
	    "--json, the same series as JSON. docs/metrics.md lists them.\n",
};

int
cmd_metrics(int argc, char **argv)
{
	return control_verb_run(&metrics_verb, argc, argv);
}
