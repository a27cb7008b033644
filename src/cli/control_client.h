/* control_client.h - what the subcommands that talk to a running daemon
 * share (status, bans, ban, unban, flush, members, audit, ping, reload,
 * history): their options, the control socket they reach and their one
 * request (docs/control.md). */
#ifndef A5_CONTROL_CLIENT_H
#define A5_CONTROL_CLIENT_H

/* What a verb takes as its operand. */
enum verb_operand {
	OPERAND_NONE,
	OPERAND_PREFIX,		/* ADDR[/LEN], required */
	OPERAND_PREFIX_OPT,	/* [ADDR[/LEN]] */
	OPERAND_SERVICE_OPT,	/* [SERVICE] */
};

/* Options beyond the common ones (-c, -s, --json, -o, --help). */
#define VERB_FOR	0x01	/* --for DURATION, sent after the operand */
#define VERB_FILTERS	0x02	/* --service S, --origin O */
#define VERB_LIMIT	0x04	/* --limit N */
#define VERB_SPLIT	0x08	/* --split */

/* One request word of the control socket, as its command file describes it. */
struct control_verb {
	const char *name;	/* the subcommand, and the request's word */
	const char *usage;	/* usage line and description; the common options follow */
	enum verb_operand operand;
	unsigned opts;		/* VERB_* */
};

/* Parses argv (-c CONFIG | -s SOCKET, --json | -o json, and what v takes),
 * sends the request and prints the daemon's answer. Exit status: 0, 1
 * failed, 2 usage. In JSON mode every error is {"error": "..."} on stdout. */
int control_verb_run(const struct control_verb *v, int argc, char **argv);

#endif
