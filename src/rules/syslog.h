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
};

/* Accepts, in order: an optional RFC 3164 ("Feb  5 14:34:10[.frac][ 2026]")
 * or RFC 3339 stamp and a space; an optional host name and a space; then
 * "prog[pid]: ", "prog: " or "[prog] " (failing these, "prog[pid] ", as
 * ProFTPD writes it; a "(id)" at the end of the name is dropped, as
 * Dovecot's "auth-worker(304): "); then an optional Solaris
 * "[ID n fac.level] " tag. Returns 0 and fills h, or -1 when the line does
 * not have this shape. */
int syslog_parse(const char *line, size_t len, struct syslog_hdr *h);

#endif
