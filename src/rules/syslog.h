/* syslog.h - splits a syslog line into its header and message, in C: the
 * header is the same for every rule, so parsing it once per flagged line
 * is cheaper than letting every PCRE2 pattern re-match it. */
#ifndef A5_SYSLOG_H
#define A5_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct syslog_hdr {
	const char *prog;	/* program tag (not NUL-terminated) */
	size_t proglen;
	bool has_pid;
	uint32_t pid;
	size_t msg;		/* offset of the message in the line */
	size_t msglen;		/* its length */
	unsigned repeat;	/* attempts the line stands for: 1, or N of
				 * rsyslog's "message repeated N times: [ M]" */
};

/* rsyslog's repeat count is believed up to this (a flood of one message is
 * real evidence, but one line must not stand for an unbounded number). */
#define SYSLOG_REPEAT_MAX 1000
/* rsyslog cuts the repeated message to this many bytes ("[%.800s]"): an
 * inner message this long may have lost its end, so it is not matched. */
#define SYSLOG_REPEAT_MSG_MAX 800

/* Accepts, in order: an optional "<PRI>"; an optional stamp and a space:
 * RFC 3164 ("Feb  5 14:34:10[.frac][ 2026]"), RFC 3339 ("2024-02-05T14:34:10
 * [.frac][Z|+01:00]", also with a space for the T), journalctl's short-full
 * ("Mon 2024-02-05 14:34:10 UTC"), short-monotonic ("[12345.678901]") or
 * short-unix ("1707143650.123456"); an optional host name and a space; then
 * "prog[pid]: ", "prog: " or "[prog] " (failing these, "prog[pid] ", as
 * ProFTPD writes it; a "(id)" at the end of a name without a pid is
 * dropped, as Dovecot's "auth-worker(304): "); then an optional Solaris
 * "[ID n fac.level] " tag. RFC 5424 ("<PRI>1 STAMP HOST APP PROCID MSGID SD
 * MSG") too. A message "message repeated N times: [ M]" (rsyslog) stands for
 * M, N times (N at most SYSLOG_REPEAT_MAX). Returns 0 and fills h, or -1
 * when the line does not have this shape. */
int syslog_parse(const char *line, size_t len, struct syslog_hdr *h);

#endif
