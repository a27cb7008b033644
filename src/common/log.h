/* log.h - daemon and CLI logging: stderr, the journal or syslog;
 * errno-appending variants. */
#ifndef A5_LOG_H
#define A5_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Where the lines go (log_target() says which was chosen). */
enum log_dest {
	LOG_DEST_PLAIN,		/* stderr, "PROG: message" (the CLI) */
	LOG_DEST_STAMPED,	/* stderr, "ISO-8601-UTC PROG[PID]: message" */
	LOG_DEST_JOURNAL,	/* stderr is the journal: "<N>message", N the priority */
	LOG_DEST_SYSLOG,	/* syslog(3), facility daemon */
};

/* The CLI: plain lines on stderr, or syslog(3) when use_syslog. */
void log_init(const char *progname, int verbose, int use_syslog);
/* The daemon: the journal when JOURNAL_STREAM names stderr (systemd),
 * syslog(3) when stderr is closed or /dev/null, else stamped lines. */
void log_init_daemon(const char *progname, int verbose);
enum log_dest log_target(void);
void log_setverbose(int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* decisions */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));  /* appends strerror(errno) */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
