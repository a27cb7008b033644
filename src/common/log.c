/* log.c - logging to stderr or syslog, in the OpenBSD log_warn/fatalx style. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common/log.h"

static const char *log_prog = "article5";
static int log_verbose;
static int log_syslog;

void
log_init(const char *progname, int verbose, int use_syslog)
{
	log_prog = progname;
	log_verbose = verbose;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

static void
vlog(int prio, const char *fmt, va_list ap, int with_errno)
{
	char msg[2048];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		size_t used = strlen(msg);
		snprintf(msg + used, sizeof(msg) - used, ": %s", strerror(saved));
	}
	if (log_syslog)
		syslog(prio, "%s", msg);
	else
		fprintf(stderr, "%s: %s\n", log_prog, msg);
	errno = saved;
}

#define LOGFN(name, prio, with_errno, cond)			\
void name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	if (!(cond))						\
		return;						\
	va_start(ap, fmt);					\
	vlog(prio, fmt, ap, with_errno);			\
	va_end(ap);						\
}

LOGFN(log_warn, LOG_WARNING, 1, 1)
LOGFN(log_warnx, LOG_WARNING, 0, 1)
LOGFN(log_info, LOG_INFO, 0, log_verbose >= 0)
LOGFN(log_debug, LOG_DEBUG, 0, log_verbose > 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
