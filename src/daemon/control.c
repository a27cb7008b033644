/* control.c - control socket: request parsing, listening, client calls. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "daemon/control.h"

static const struct { const char *name; enum control_cmd cmd; } cmds[] = {
	{ "status", CTL_STATUS }, { "bans", CTL_BANS }, { "ban", CTL_BAN },
	{ "unban", CTL_UNBAN }, { "flush", CTL_FLUSH }, { "members", CTL_MEMBERS },
	{ "audit", CTL_AUDIT }, { "metrics", CTL_METRICS },
};

/* Next space-separated word of s[*i..len) into w (bounded); 0 or -1. */
static int
word(const char *s, size_t len, size_t *i, char *w, size_t wn)
{
	size_t n = 0;

	while (*i < len && s[*i] == ' ')
		(*i)++;
	while (*i < len && s[*i] != ' ') {
		if (n + 1 >= wn)
			return -1;
		w[n++] = s[(*i)++];
	}
	w[n] = '\0';
	return n > 0 ? 0 : -1;
}

int
control_parse(const char *req, size_t len, struct control_request *out,
    char *err, size_t errlen)
{
	char fmt[8], cmd[16], arg[64], extra[2];
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	if (len > CONTROL_REQUEST_MAX || memchr(req, '\0', len) != NULL) {
		snprintf(err, errlen, "malformed request");
		return -1;
	}
	if (word(req, len, &i, fmt, sizeof(fmt)) != 0 ||
	    (strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0)) {
		snprintf(err, errlen, "request must start with 'json' or 'text'");
		return -1;
	}
	out->json = fmt[0] == 'j';
	if (word(req, len, &i, cmd, sizeof(cmd)) != 0) {
		snprintf(err, errlen, "missing command");
		return -1;
	}
	size_t k;
	for (k = 0; k < ARRAY_LEN(cmds); k++)
		if (strcmp(cmd, cmds[k].name) == 0)
			break;
	if (k == ARRAY_LEN(cmds)) {
		snprintf(err, errlen, "unknown command");
		return -1;
	}
	out->cmd = cmds[k].cmd;
	if (out->cmd == CTL_BAN || out->cmd == CTL_UNBAN) {
		if (word(req, len, &i, arg, sizeof(arg)) != 0 ||
		    prefix_parse(arg, strlen(arg), &out->prefix) != 0) {
			snprintf(err, errlen, "expected an address or prefix (ADDR or ADDR/LEN, no host bits)");
			return -1;
		}
		const char *why = prefix_check(&out->prefix);
		if (why != NULL) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		if (out->cmd == CTL_BAN && word(req, len, &i, arg, sizeof(arg)) == 0) {
			uint64_t secs;
			if (uint_parse(arg, 0, 10ULL * 366 * 86400, &secs) != 0) {
				snprintf(err, errlen, "bad duration");
				return -1;
			}
			out->duration = (int64_t)secs;
		}
	}
	if (word(req, len, &i, extra, sizeof(extra)) == 0 || i < len) {
		snprintf(err, errlen, "unexpected words after the command");
		return -1;
	}
	return 0;
}

void
outbuf_printf(struct outbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->overflow = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 4096;
		while (ncap - b->len <= (size_t)n)
			ncap *= 2;
		char *nd = ncap <= CONTROL_RESPONSE_MAX ? realloc(b->data, ncap) : NULL;
		if (nd == NULL) {
			b->overflow = 1;
			return;
		}
		b->data = nd;
		b->cap = ncap;
	}
}

void
outbuf_free(struct outbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static int
mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	strlcpy_ok(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		log_warn("control: mkdir %s", dir);
		return -1;
	}
	return 0;
}

int
control_listen(const char *path, const char *group)
{
	struct sockaddr_un sun;
	struct group *gr;
	gid_t gid = 0;
	int fd;

	if ((gr = getgrnam(group)) == NULL) {
		log_warnx("control: unknown group '%s'", group);
		return -1;
	}
	gid = gr->gr_gid;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (!strlcpy_ok(sun.sun_path, path, sizeof(sun.sun_path))) {
		log_warnx("control: socket path too long: %s", path);
		return -1;
	}
	if (mkdir_parent(path) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		log_warn("control: socket");
		return -1;
	}
	/* A stale socket from a crashed daemon; a live daemon would answer. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("control: %s: another daemon is running", path);
		close(fd);
		return -1;
	}
	unlink(path);
	mode_t old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old);
		log_warn("control: bind %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (chown(path, 0, gid) != 0 && geteuid() == 0)
		log_warn("control: chown %s", path);
	if (chmod(path, 0660) != 0 || listen(fd, 16) != 0) {
		log_warn("control: %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
control_call(const char *path, const char *request)
{
	struct sockaddr_un sun;
	struct timeval tv = { 30, 0 };
	char buf[65536];
	ssize_t n;
	int fd, rc = 0, first = 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (!strlcpy_ok(sun.sun_path, path, sizeof(sun.sun_path))) {
		fprintf(stderr, "article5: control socket path too long: %s\n", path);
		return 1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "article5: cannot reach the daemon at %s: %s\n"
		    "  (is `article5 daemon` running? -s PATH or -c CONFIG selects the socket)\n",
		    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t len = strlen(request);
	if (write(fd, request, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		fprintf(stderr, "article5: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		/* The daemon starts an error answer with "error: " or {"error": */
		if (first && ((n >= 7 && memcmp(buf, "error: ", 7) == 0) ||
		    (n >= 9 && memcmp(buf, "{\"error\":", 9) == 0)))
			rc = 1;
		first = 0;
		fwrite(buf, 1, (size_t)n, rc ? stderr : stdout);
	}
	if (n < 0) {
		fprintf(stderr, "article5: reading from %s: %s\n", path, strerror(errno));
		rc = 1;
	}
	close(fd);
	return rc;
}
