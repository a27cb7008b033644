/* main.c - the article5 binary: one dispatch table over the subcommands,
 * each in its own file, with the one-line help `article5 help` prints. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/util.h"

#define A5_VERSION "0.1.0"

static int cmd_version(int argc, char **argv);

/* A NULL summary keeps a debugging or test aid out of the usage text. */
static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "daemon", cmd_daemon, "run the shield: follow logs, detect, ban in nftables" },
	{ "scan", cmd_scan, "run the rules and detector over log files offline" },
	{ "status", cmd_status, "show the running daemon's state, or one service's" },
	{ "ping", cmd_ping, "check that the daemon answers" },
	{ "reload", cmd_reload, "make the daemon read its configuration again" },
	{ "bans", cmd_bans, "list active bans" },
	{ "ban", cmd_ban, "ban an address or prefix by hand" },
	{ "unban", cmd_unban, "lift a ban" },
	{ "flush", cmd_flush, "lift every ban" },
	{ "history", cmd_history, "decisions from the journal, newest first" },
	{ "members", cmd_members, "coalition members: role, last seen, reports, refusals" },
	{ "audit", cmd_audit, "audit of the other members' signed commitments" },
	{ "metrics", cmd_metrics, "the daemon's metrics (Prometheus text, or --json)" },
	{ "check-config", cmd_check_config, "check a configuration file and its rules" },
	{ "keygen", cmd_keygen, "create this member's coalition key pair" },
	{ "verify", cmd_verify, "check the tamper-evident journal, entry by entry" },
	{ "evidence", cmd_evidence, "export or check a member's equivocation proofs" },
	{ "charter", cmd_charter, "propose, sign, show or apply a charter update" },
	{ "coalition", cmd_coalition, "form or join a coalition: init, invite, join, admit" },
	{ "f2b-dump", cmd_f2b_dump, "show a fail2ban filter as article5 reads it" },
	{ "import-fail2ban", cmd_import_f2b, "translate a fail2ban configuration to article5's" },
	{ "version", cmd_version, "print the version" },
	{ "f2b-dates", cmd_f2b_dates, NULL },	/* docs/f2b-dates.md */
};

int
cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static int
cmd_version(int argc, char **argv)
{
	printf("article5 %s\n", A5_VERSION);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: article5 COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (commands[i].summary != NULL)
			fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'article5 COMMAND --help' describes each command.\n");
}

int
main(int argc, char **argv)
{
	log_init("article5", 0, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "article5: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
