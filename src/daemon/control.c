/* control.c - control socket: request parsing, listening, client calls. */
#include <errno.h>
#include <fcntl.h>
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
	{ "audit", CTL_AUDIT }, { "ping", CTL_PING }, { "reload", CTL_RELOAD },
	{ "history", CTL_HISTORY }, { "metrics", CTL_METRICS },
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
control_word_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CONTROL_WORD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(".-_:@", c) != NULL))
			return 0;
	}
	return 1;
}

/* A canonical prefix in w into out; -1 with err filled. */
static int
parse_prefix(const char *w, struct a5_prefix *out, char *err, size_t errlen)
{
	const char *why;

	if (prefix_parse(w, strlen(w), out) != 0) {
		snprintf(err, errlen, "expected an address or prefix (ADDR or ADDR/LEN, no host bits)");
		return -1;
	}
	if ((why = prefix_check(out)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

/* "key=value" in w with key k: the value into out (a filter word). 1 if w
 * has that key, 0 if not, -1 when the value is bad (err filled). */
static int
keyword(const char *w, const char *k, char *out, char *err, size_t errlen)
{
	size_t kl = strlen(k);

	if (strncmp(w, k, kl) != 0 || w[kl] != '=')
		return 0;
	if (!control_word_ok(w + kl + 1)) {
		snprintf(err, errlen, "bad %s: letters, digits and .-_:@ only, 1 to %d of them", k,
		    CONTROL_WORD_MAX - 1);
		return -1;
	}
	strlcpy_ok(out, w + kl + 1, CONTROL_WORD_MAX);
	return 1;
}

/* The words after the command, per command (docs/control.md). */
static int
parse_args(const char *req, size_t len, size_t *i, struct control_request *out,
    char *err, size_t errlen)
{
	char arg[80];
	int seen = 0, r;

	while (word(req, len, i, arg, sizeof(arg)) == 0) {
		seen++;
		switch (out->cmd) {
		case CTL_BAN:
		case CTL_UNBAN:
			if (seen == 1) {
				if (parse_prefix(arg, &out->prefix, err, errlen) != 0)
					return -1;
				out->has_prefix = 1;
			} else if (seen == 2 && out->cmd == CTL_BAN) {
				uint64_t secs;
				if (uint_parse(arg, 0, 10ULL * 366 * 86400, &secs) != 0) {
					snprintf(err, errlen, "bad duration");
					return -1;
				}
				out->duration = (int64_t)secs;
			} else if (seen == 2 && strcmp(arg, "split") == 0)
				out->split = 1;
			else
				goto extra;
			break;
		case CTL_STATUS:
			if (seen != 1)
				goto extra;
			if (!control_word_ok(arg)) {
				snprintf(err, errlen, "bad service name");
				return -1;
			}
			strlcpy_ok(out->service, arg, sizeof(out->service));
			break;
		case CTL_BANS:
			if ((r = keyword(arg, "service", out->service, err, errlen)) == 0)
				r = keyword(arg, "origin", out->origin, err, errlen);
			if (r < 0)
				return -1;
			if (r == 0)
				goto extra;
			break;
		case CTL_HISTORY:
			if (strncmp(arg, "limit=", 6) == 0) {
				uint64_t n;
				if (uint_parse(arg + 6, 1, CONTROL_HISTORY_MAX, &n) != 0) {
					snprintf(err, errlen, "bad limit: 1 to %d", CONTROL_HISTORY_MAX);
					return -1;
				}
				out->limit = (unsigned)n;
			} else if (!out->has_prefix) {
				if (parse_prefix(arg, &out->prefix, err, errlen) != 0)
					return -1;
				out->has_prefix = 1;
			} else
				goto extra;
			break;
		default:
			goto extra;
		}
	}
	if ((out->cmd == CTL_BAN || out->cmd == CTL_UNBAN) && !out->has_prefix) {
		snprintf(err, errlen, "expected an address or prefix (ADDR or ADDR/LEN, no host bits)");
		return -1;
	}
	if (*i < len)
		goto extra;	/* a word too long for arg */
	return 0;
extra:
	snprintf(err, errlen, "unexpected words after the command");
	return -1;
}

int
control_parse(const char *req, size_t len, struct control_request *out,
    char *err, size_t errlen)
{
	char fmt[8], cmd[16];
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	out->limit = CONTROL_HISTORY_DEFAULT;
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
	return parse_args(req, len, &i, out, err, errlen);
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

/* Splits path into its directory and last component; -1 (logged) when the
 * socket is not in a directory of its own name ("/x.sock", "x.sock"). */
static int
split_path(const char *path, char *dir, size_t dn, char *name, size_t nn)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash == path || slash[1] == '\0') {
		log_warnx("control: control_socket %s: expected an absolute path DIR/NAME", path);
		return -1;
	}
	if ((size_t)(slash - path) >= dn || !strlcpy_ok(name, slash + 1, nn)) {
		log_warnx("control: control_socket %s: too long", path);
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

/* The socket's directory, opened once, never through a symlink: created
 * root:gid 0750 when missing (mkdir under a private umask, then fchown and
 * fchmod on the opened fd, so nothing acts on a path that could have been
 * swapped); an existing one must be ours and writable by no one else, and
 * is left as the administrator made it (a warning when the group cannot
 * pass through). Returns an O_DIRECTORY fd, or -1 (logged). */
static int
open_socket_dir(const char *dir, gid_t gid, const char *group)
{
	struct stat st;
	int created = 0, dfd;
	mode_t old = umask(0077);

	if (mkdir(dir, 0700) == 0)
		created = 1;
	else if (errno != EEXIST) {
		log_warn("control: mkdir %s", dir);
		umask(old);
		return -1;
	}
	umask(old);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			log_warnx("control: %s is a symbolic link or not a directory: refused "
			    "(the control socket's directory must be a real directory)", dir);
		else
			log_warn("control: open %s", dir);
		return -1;
	}
	if (fstat(dfd, &st) != 0) {
		log_warn("control: fstat %s", dir);
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		log_warnx("control: %s is owned by uid %u, not by us (uid %u): refused", dir,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		goto fail;
	}
	if (created) {
		if (fchown(dfd, geteuid(), gid) != 0 && geteuid() == 0) {
			log_warn("control: fchown %s", dir);
			goto fail;
		}
		if (fchmod(dfd, 0750) != 0) {
			log_warn("control: fchmod %s", dir);
			goto fail;
		}
		return dfd;
	}
	/* Someone else able to write here could replace the socket. */
	if ((st.st_mode & 0022) != 0 && (st.st_mode & S_ISVTX) == 0) {
		log_warnx("control: %s is writable by group or others (mode %04o): refused", dir,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if ((st.st_mode & 0001) == 0 && !(st.st_gid == gid && (st.st_mode & 0010) != 0))
		log_warnx("control: %s (mode %04o, gid %u): group %s cannot reach the socket in it",
		    dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid, group);
	return dfd;
fail:
	close(dfd);
	return -1;
}

/* Binds fd to name inside the directory dfd: through /proc/self/fd, so
 * the directory is the one opened and checked, whatever its path names
 * now; by the full path where /proc is not mounted. The umask makes the
 * socket 0660 from its first instant. */
static int
bind_in(int fd, int dfd, const char *name, const char *path)
{
	struct sockaddr_un sun;
	int rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	int w = snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d/%s", dfd, name);
	if (w < 0 || (size_t)w >= sizeof(sun.sun_path) || access("/proc/self/fd", X_OK) != 0)
		strlcpy_ok(sun.sun_path, path, sizeof(sun.sun_path));
	mode_t old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	return rc;
}

int
control_listen(const char *path, const char *group)
{
	struct sockaddr_un sun;
	struct group *gr;
	struct stat st;
	char dir[sizeof(sun.sun_path)], name[sizeof(sun.sun_path)];
	gid_t gid;
	int fd = -1, dfd = -1;

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
	if (split_path(path, dir, sizeof(dir), name, sizeof(name)) != 0 ||
	    (dfd = open_socket_dir(dir, gid, group)) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		log_warn("control: socket");
		goto fail;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode) && !S_ISLNK(st.st_mode)) {
			log_warnx("control: %s exists and is not a socket: refused", path);
			goto fail;
		}
		/* A stale socket from a crashed daemon; a live daemon would answer. */
		if (S_ISSOCK(st.st_mode) && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			log_warnx("control: %s: another daemon is running", path);
			goto fail;
		}
		if (unlinkat(dfd, name, 0) != 0) {
			log_warn("control: unlink %s", path);
			goto fail;
		}
	}
	if (bind_in(fd, dfd, name, path) != 0) {
		log_warn("control: bind %s", path);
		goto fail;
	}
	if (fchownat(dfd, name, geteuid(), gid, AT_SYMLINK_NOFOLLOW) != 0 && geteuid() == 0) {
		log_warn("control: chown %s", path);
		goto fail;
	}
	if (listen(fd, 16) != 0) {
		log_warn("control: listen %s", path);
		goto fail;
	}
	close(dfd);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return -1;
}

void
control_print_error(int json, const char *fmt, ...)
{
	char msg[1024], esc[2200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json) {
		json_escape(esc, sizeof(esc), msg);
		printf("{\"error\": %s}\n", esc);
		fflush(stdout);
	} else
		fprintf(stderr, "article5: %s\n", msg);
}

int
control_call(const char *path, const char *request, int json)
{
	struct sockaddr_un sun;
	struct timeval tv = { 30, 0 };
	char buf[65536];
	ssize_t n;
	int fd, rc = 0, first = 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (!strlcpy_ok(sun.sun_path, path, sizeof(sun.sun_path))) {
		control_print_error(json, "control socket path too long: %s", path);
		return 1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		if (json)
			control_print_error(1, "cannot reach the daemon at %s: %s", path, strerror(e));
		else
			fprintf(stderr, "article5: cannot reach the daemon at %s: %s\n"
			    "  (is `article5 daemon` running? -s PATH or -c CONFIG selects the socket)\n",
			    path, strerror(e));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t len = strlen(request);
	if (write(fd, request, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		control_print_error(json, "%s: %s", path, strerror(errno));
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
		/* JSON mode keeps errors on stdout: a script reads one document there */
		fwrite(buf, 1, (size_t)n, rc && !json ? stderr : stdout);
	}
	if (n < 0) {
		control_print_error(json, "reading from %s: %s", path, strerror(errno));
		rc = 1;
	} else if (first) {
		control_print_error(json, "%s: the daemon closed the connection without an answer",
		    path);
		rc = 1;
	}
	close(fd);
	return rc;
}
