/* control.h - the daemon's Unix control socket: one request line in, one
 * response out, connection closed. Requests are tiny and parsed with a
 * bounded cursor; see docs/control.md. */
#ifndef A5_CONTROL_H
#define A5_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define CONTROL_REQUEST_MAX 512
/* Responses larger than this are cut (with an error) rather than grown. */
#define CONTROL_RESPONSE_MAX (256u << 20)

enum control_cmd {
	CTL_STATUS, CTL_BANS, CTL_BAN, CTL_UNBAN, CTL_FLUSH, CTL_MEMBERS, CTL_AUDIT,
	CTL_PING, CTL_RELOAD, CTL_HISTORY, CTL_METRICS,
	CTL_NCMDS
};

/* A filter word (service, origin): letters, digits and ".-_:@", 1..63. */
#define CONTROL_WORD_MAX 64
/* history: entries answered by default, and at most. */
#define CONTROL_HISTORY_DEFAULT 50
#define CONTROL_HISTORY_MAX 10000

struct control_request {
	enum control_cmd cmd;
	int json;			/* 1: JSON answer, 0: text table */
	int has_prefix;			/* prefix given (always for ban, unban) */
	struct a5_prefix prefix;	/* ban, unban, history */
	int64_t duration;		/* ban: seconds, 0 = policy default */
	int split;			/* unban: lift PREFIX out of a wider ban */
	unsigned limit;			/* history: entries, newest first */
	char service[CONTROL_WORD_MAX];	/* status SERVICE, bans service=S; "" = all */
	char origin[CONTROL_WORD_MAX];	/* bans origin=O; "" = all */
};

/* Whether s is a filter word (CONTROL_WORD_MAX). */
int control_word_ok(const char *s);

/* Parses "json|text CMD [ARGS]" (no newline). 0, or -1 with err filled.
 * The grammar of each command is in docs/control.md. */
int control_parse(const char *req, size_t len, struct control_request *out,
    char *err, size_t errlen);

/* A growing response buffer with a hard ceiling. */
struct outbuf {
	char *data;
	size_t len, cap;
	int overflow;
};
void outbuf_printf(struct outbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void outbuf_free(struct outbuf *b);

/* Creates the listening socket at path, mode 0660, owner root, group
 * `group`. Its directory is created root:group 0750 if missing; an
 * existing one must be a real directory (not a symlink) owned by us and
 * writable by nobody else. Nothing is changed by path: the directory is
 * opened once (O_NOFOLLOW) and everything after goes through that fd
 * (docs/control.md). Returns the fd or -1 (logged). */
int control_listen(const char *path, const char *group);

/* Client side: sends one request, writes the response to stdout (an error
 * answer: to stderr in text mode; to stdout, as the daemon's JSON object,
 * in JSON mode). Returns 0 when the daemon answered without error, 1
 * otherwise (unreachable: 1 too, with {"error": ...} in JSON mode). */
int control_call(const char *path, const char *request, int json);

/* Prints {"error": MESSAGE} (JSON mode, stdout) or "article5: MESSAGE"
 * (text, stderr): how every CLI error looks in each mode. */
void control_print_error(int json, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
