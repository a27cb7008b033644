/* control_client.h - what the subcommands that talk to a running daemon
 * share (status, bans, ban, unban, flush, members, audit): their options,
 * the control socket they reach and their one request (docs/control.md). */
#ifndef A5_CONTROL_CLIENT_H
#define A5_CONTROL_CLIENT_H

/* One request word of the control socket, as its command file describes it. */
struct control_verb {
	const char *name;	/* the subcommand, and the request's word */
	const char *usage;	/* usage line and description; the common options follow */
	int target;		/* takes one ADDR[/LEN] */
	int duration;		/* takes --for DURATION, sent after the target */
};

/* Parses argv (-c CONFIG | -s SOCKET, --json, and what v takes), sends the
 * request and prints the daemon's answer. Exit status: 0, 1 failed, 2 usage. */
int control_verb_run(const struct control_verb *v, int argc, char **argv);

#endif
