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

enum control_cmd { CTL_STATUS, CTL_BANS, CTL_BAN, CTL_UNBAN, CTL_FLUSH, CTL_MEMBERS, CTL_AUDIT,
    CTL_METRICS };

struct control_request {
	enum control_cmd cmd;
	int json;			/* 1: JSON answer, 0: text table */
	struct a5_prefix prefix;	/* ban, unban */
	int64_t duration;		/* ban: seconds, 0 = policy default */
};

/* Parses "json|text CMD [ARGS]" (no newline). 0, or -1 with err filled. */
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

/* Creates the listening socket at path (mode 0660, group gid); the
 * directory is created 0750 if missing. Returns the fd or -1 (logged). */
int control_listen(const char *path, const char *group);

/* Client side: sends one request, writes the response to stdout. Returns
 * 0 when the daemon answered without error, 1 otherwise. */
int control_call(const char *path, const char *request);

#endif
