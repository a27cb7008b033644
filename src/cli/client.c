/* client.c - the subcommands that talk to a running daemon: status, bans,
 * ban, unban, flush. Each sends one request over the control socket. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "daemon/config.h"
#include "daemon/f2b_services.h"
#include "daemon/control.h"

struct client_opts {
	const char *socket;
	int json;
	int64_t duration;
	const char *target;
};

static void
client_usage(FILE *f, const char *cmd)
{
	if (strcmp(cmd, "ban") == 0)
		fprintf(f, "usage: article5 ban [-c CONFIG | -s SOCKET] [--json] ADDR[/LEN] [--for DURATION]\n\n"
		    "Bans an address or prefix by hand, for DURATION (e.g. 90s, 10m, 2h, 1d;\n"
		    "default: the configured bantime). The allowlist still applies.\n");
	else if (strcmp(cmd, "unban") == 0)
		fprintf(f, "usage: article5 unban [-c CONFIG | -s SOCKET] [--json] ADDR[/LEN]\n\n"
		    "Lifts the ban on exactly ADDR[/LEN] and forgets its failure windows.\n");
	else if (strcmp(cmd, "flush") == 0)
		fprintf(f, "usage: article5 flush [-c CONFIG | -s SOCKET] [--json]\n\n"
		    "Lifts every ban (kernel sets and ledger).\n");
	else if (strcmp(cmd, "members") == 0)
		fprintf(f, "usage: article5 members [-c CONFIG | -s SOCKET] [--json]\n\n"
		    "Lists the coalition's members: role, last seen, reports sent (self),\n"
		    "accepted and refused (by reason), quarantine and revocation.\n");
	else if (strcmp(cmd, "audit") == 0)
		fprintf(f, "usage: article5 audit [-c CONFIG | -s SOCKET] [--json]\n\n"
		    "Shows this member's audit of the others' signed commitments: per member,\n"
		    "its role (binding or not), the age of its last commitment, commitments\n"
		    "seen, periods missed, mismatches, the response time from a report to its\n"
		    "inclusion in that member's commitment (p50/p99), the kernel count it\n"
		    "committed to against the count expected here, and a state: ok, mismatch,\n"
		    "flagged (two mismatches in a row), silent (no commitment for two\n"
		    "periods), unverifiable, pending, self or non-binding (docs/commitment.md).\n");
	else if (strcmp(cmd, "bans") == 0)
		fprintf(f, "usage: article5 bans [-c CONFIG | -s SOCKET] [--json]\n\n"
		    "Lists the active bans: prefix, service, rule, failures, last seen,\n"
		    "expiry, and origin (local, or the coalition member that reported it).\n");
	else
		fprintf(f, "usage: article5 status [-c CONFIG | -s SOCKET] [--json]\n\n"
		    "Shows the daemon's mode, sources, counters and ban count.\n");
	fprintf(f, "\n  -c CONFIG   read control_socket from CONFIG\n"
	    "  -s SOCKET   control socket path (default /run/article5/control.sock)\n"
	    "  --json      machine-readable output\n");
}

static int
client_parse(int argc, char **argv, const char *cmd, struct client_opts *o, int want_target)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "for", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = NULL;
	int opt;

	memset(o, 0, sizeof(*o));
	o->socket = "/run/article5/control.sock";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': o->json = 1; break;
		case 's': o->socket = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'f':
			if (strcmp(cmd, "ban") != 0 || duration_parse(optarg, &o->duration) != 0 ||
			    o->duration == 0) {
				fprintf(stderr, "article5 %s: bad --for '%s', expected a duration such as 10m\n",
				    cmd, optarg);
				return 2;
			}
			break;
		case 'h': client_usage(stdout, cmd); return 0;
		default: client_usage(stderr, cmd); return 2;
		}
	}
	if (want_target) {
		if (optind != argc - 1) {
			client_usage(stderr, cmd);
			return 2;
		}
		o->target = argv[optind];
	} else if (optind != argc) {
		client_usage(stderr, cmd);
		return 2;
	}
	if (cfgpath != NULL) {
		static struct config cfg;	/* large; static keeps it off the stack */
		char err[1024];
		config_defaults(&cfg);
		if (config_load(cfgpath, &cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "article5 %s: %s\n", cmd, err);
			return 1;
		}
		static char sock[sizeof(cfg.control_socket)];
		strlcpy_ok(sock, cfg.control_socket, sizeof(sock));
		o->socket = sock;
	}
	return -1;	/* go on */
}

static int
client_run(int argc, char **argv, const char *cmd, int want_target)
{
	struct client_opts o;
	char req[CONTROL_REQUEST_MAX];
	int rc;

	if ((rc = client_parse(argc, argv, cmd, &o, want_target)) >= 0)
		return rc;
	if (want_target) {
		struct a5_prefix p;
		const char *why;
		if (prefix_parse(o.target, strlen(o.target), &p) != 0) {
			fprintf(stderr, "article5 %s: bad address or prefix '%s', expected ADDR or "
			    "ADDR/LEN with no host bits set (e.g. 192.0.2.7, 2001:db8::/64)\n", cmd, o.target);
			return 2;
		}
		if ((why = prefix_check(&p)) != NULL) {
			fprintf(stderr, "article5 %s: bad address or prefix '%s': %s\n", cmd, o.target, why);
			return 2;
		}
		snprintf(req, sizeof(req), "%s %s %s %lld", o.json ? "json" : "text", cmd,
		    o.target, (long long)o.duration);
		if (strcmp(cmd, "unban") == 0)
			snprintf(req, sizeof(req), "%s %s %s", o.json ? "json" : "text", cmd, o.target);
	} else
		snprintf(req, sizeof(req), "%s %s", o.json ? "json" : "text", cmd);
	return control_call(o.socket, req);
}

int cmd_status(int argc, char **argv) { return client_run(argc, argv, "status", 0); }
int cmd_bans(int argc, char **argv) { return client_run(argc, argv, "bans", 0); }
int cmd_ban(int argc, char **argv) { return client_run(argc, argv, "ban", 1); }
int cmd_unban(int argc, char **argv) { return client_run(argc, argv, "unban", 1); }
int cmd_flush(int argc, char **argv) { return client_run(argc, argv, "flush", 0); }
int cmd_members(int argc, char **argv) { return client_run(argc, argv, "members", 0); }
int cmd_audit(int argc, char **argv) { return client_run(argc, argv, "audit", 0); }
