/* log.c - logging to stderr, the journal or syslog, in the OpenBSD
 * log_warn/fatalx style (log.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_prog = "article5";
static int log_verbose;
static enum log_dest log_dest = LOG_DEST_PLAIN;

void
log_init(const char *progname, int verbose, int use_syslog)
{
	log_prog = progname;
	log_verbose = verbose;
	log_dest = use_syslog ? LOG_DEST_SYSLOG : LOG_DEST_PLAIN;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* systemd sets JOURNAL_STREAM to "DEV:INO" of the stream it connected to
 * stdout/stderr (systemd.exec(5)); it is only the journal if stderr is
 * still that stream (not redirected by a shell in between). */
static int
stderr_is_journal(const struct stat *st)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char *end;

	if (env == NULL || *env == '\0')
		return 0;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (errno != 0 || end == env || *end != ':')
		return 0;
	const char *p = end + 1;
	ino = strtoull(p, &end, 10);
	if (errno != 0 || end == p || *end != '\0')
		return 0;
	return (unsigned long long)st->st_dev == dev && (unsigned long long)st->st_ino == ino;
}

static int
is_dev_null(const struct stat *st)
{
	struct stat null;

	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && st->st_rdev == null.st_rdev;
}

void
log_init_daemon(const char *progname, int verbose)
{
	struct stat st;

	log_prog = progname;
	log_verbose = verbose;
	if (fstat(STDERR_FILENO, &st) != 0 || is_dev_null(&st)) {
		/* Nobody would read stderr: syslog(3) does reach someone. The
		 * socket is opened now, before the worker's sandbox. */
		log_dest = LOG_DEST_SYSLOG;
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	} else if (stderr_is_journal(&st))
		log_dest = LOG_DEST_JOURNAL;	/* the journal stamps lines itself */
	else
		log_dest = LOG_DEST_STAMPED;
}

enum log_dest
log_target(void)
{
	return log_dest;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

/* "2026-12-06T18:30:00.123Z": UTC, so that lines of hosts in different
 * zones sort together. */
static size_t
stamp(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL)
		return 0;
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	if (k == 0)
		return 0;
	int m = snprintf(buf + k, n - k, ".%03ldZ ", ts.tv_nsec / 1000000);
	return m > 0 && (size_t)m < n - k ? k + (size_t)m : 0;
}

/* One line, one write(2): the enforcer process and the worker share
 * stderr, and a line must not be cut by the other's. */
static void
write_line(int prio, const char *msg)
{
	char line[2304];
	size_t k = 0;
	int m;

	switch (log_dest) {
	case LOG_DEST_JOURNAL:
		m = snprintf(line, sizeof(line), "<%d>%s\n", prio, msg);
		break;
	case LOG_DEST_STAMPED:
		k = stamp(line, sizeof(line));
		m = snprintf(line + k, sizeof(line) - k, "%s[%d]: %s\n", log_prog, (int)getpid(),
		    msg);
		break;
	default:
		m = snprintf(line, sizeof(line), "%s: %s\n", log_prog, msg);
		break;
	}
	if (m < 0)
		return;
	size_t len = k + (size_t)m;
	if (len >= sizeof(line)) {	/* cut: still one line */
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(STDERR_FILENO, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
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
	/* A line read back from the journal or a file is one record: no
	 * newline of a logged value may start a forged one. */
	for (char *p = msg; (p = strchr(p, '\n')) != NULL; p++)
		*p = ' ';
	if (log_dest == LOG_DEST_SYSLOG)
		syslog(prio, "%s", msg);
	else
		write_line(prio, msg);
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
LOGFN(log_notice, LOG_NOTICE, 0, log_verbose >= 0)
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
