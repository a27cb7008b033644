/* file.c - follows a log file by name with inotify: appends, rename
 * rotation, copytruncate, replacement, and a file that does not exist yet.
 *
 * Events are only hints that mark a source dirty; the service routine then
 * works out what happened from the file itself (fstat of the open fd, stat
 * of the path), so a lost or coalesced event costs latency, never lines.
 * The periodic recheck (SENSOR_RECHECK_SEC) and an inotify queue overflow
 * mark every file dirty. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "sensor/source.h"

/* Name events in the directory: the file appears, is renamed or deleted. */
#define DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)
/* Events on the open file itself, wherever it has been renamed to. */
#define FILE_MASK (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)
/* Bytes remembered just before the read offset, to notice a file truncated
 * and refilled past our offset before we looked (size alone misses it). */
#define TAIL_LEN 32
#define INOTIFY_READS_MAX 16
#define POSITION_MAX 80

/* One open file behind the path: the current one, or the one rotated away
 * that is drained until it has been quiet for a whole recheck period. */
struct file_inst {
	int fd;			/* -1: not open */
	int wd;			/* watch on the open file, or -1 */
	dev_t dev;
	ino_t ino;
	off_t off;		/* bytes read */
	bool active;		/* read something since the last recheck */
	size_t taillen;
	unsigned char tail[TAIL_LEN];	/* the taillen bytes before off */
	struct linebuf lb;
};

struct file_src {
	char *dir, *base;
	int dir_wd;		/* -1: lost; re-added on the recheck */
	int open_errno;		/* last open error logged (each logged once) */
	bool drop_old;		/* old was quiet for a recheck period: close it */
	struct file_inst cur, old;
};

static int file_service(struct sensor *s, struct source *src);
static int file_position(const struct source *src, char *buf, size_t n);
static void file_tick(struct sensor *s, struct source *src);
static void file_destroy(struct sensor *s, struct source *src);
static enum sensor_state file_state(const struct source *src, char *detail, size_t n);

static const struct source_ops file_ops = {
	.service = file_service,
	.position = file_position,
	.tick = file_tick,
	.destroy = file_destroy,
	.state = file_state,
};

static void
inst_init(struct file_inst *in)
{
	in->fd = -1;
	in->wd = -1;
	in->off = 0;
	in->active = false;
	in->taillen = 0;
	lines_reset(&in->lb);
}

/* True if another watch field of a file source holds the same descriptor
 * (inotify hands out one descriptor per inode: two paths to one file, or
 * several files in one directory, share it). */
static bool
watch_shared(const struct sensor *s, const int *wdp)
{
	for (size_t i = 0; i < s->nsrc; i++) {
		const struct file_src *f;

		if (s->src[i]->ops != &file_ops)
			continue;
		f = s->src[i]->priv;
		if ((&f->dir_wd != wdp && f->dir_wd == *wdp) ||
		    (&f->cur.wd != wdp && f->cur.wd == *wdp) ||
		    (&f->old.wd != wdp && f->old.wd == *wdp))
			return true;
	}
	return false;
}

static void
watch_drop(struct sensor *s, int *wdp)
{
	if (*wdp != -1 && !watch_shared(s, wdp))
		inotify_rm_watch(s->inotify_fd, *wdp);
	*wdp = -1;
}

/* Sets the read offset and remembers the bytes before it. */
static void
inst_seek(struct file_inst *in, off_t off)
{
	in->off = off;
	in->taillen = off < TAIL_LEN ? (size_t)off : TAIL_LEN;
	if (in->taillen > 0 &&
	    pread(in->fd, in->tail, in->taillen, off - (off_t)in->taillen) != (ssize_t)in->taillen)
		in->taillen = 0;
}

static void
tail_update(struct file_inst *in, const char *data, size_t n)
{
	size_t keep;

	if (n >= TAIL_LEN) {
		memcpy(in->tail, data + n - TAIL_LEN, TAIL_LEN);
		in->taillen = TAIL_LEN;
		return;
	}
	keep = in->taillen < TAIL_LEN - n ? in->taillen : TAIL_LEN - n;
	memmove(in->tail, in->tail + in->taillen - keep, keep);
	memcpy(in->tail + keep, data, n);
	in->taillen = keep + n;
}

/* Opens the path into in (offset 0) and watches the opened inode. 0, or -1
 * with errno set (ENOENT: not there) and err filled. */
static int
inst_open(struct sensor *s, const char *path, struct file_inst *in, char *err, size_t errlen)
{
	char proc[64];
	struct stat st;
	int fd, e;

	/* O_NONBLOCK: opening a FIFO put at the path must not hang the loop. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) == -1) {
		e = errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		e = errno;
		snprintf(err, errlen, "%s: fstat: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	inst_init(in);
	in->fd = fd;
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	/* Watch the inode we opened, not whatever the path names by now. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((in->wd = inotify_add_watch(s->inotify_fd, proc, FILE_MASK)) == -1 &&
	    (in->wd = inotify_add_watch(s->inotify_fd, path, FILE_MASK)) == -1)
		log_warn("%s: cannot watch the file, relying on the %ds recheck",
		    path, SENSOR_RECHECK_SEC);
	return 0;
}

static void
inst_close(struct sensor *s, struct source *src, struct file_inst *in, bool flush)
{
	if (in->fd == -1)
		return;
	if (flush)
		lines_flush(s, &in->lb, src);
	close(in->fd);
	watch_drop(s, &in->wd);
	inst_init(in);
}

/* Shorter than our offset, or different bytes just before it: the file was
 * truncated (and maybe refilled) under us. */
static bool
inst_truncated(const struct file_inst *in)
{
	unsigned char buf[TAIL_LEN];
	struct stat st;

	if (fstat(in->fd, &st) == -1)
		return false;
	if (st.st_size < in->off)
		return true;
	if (in->taillen == 0)
		return false;
	if (pread(in->fd, buf, in->taillen, in->off - (off_t)in->taillen) != (ssize_t)in->taillen)
		return true;
	return memcmp(buf, in->tail, in->taillen) != 0;
}

/* Reads in until its end or until the budget is spent. 1 if the budget ran
 * out (more may be pending), 0 at end of file, -1 on a read error. */
static int
inst_read(struct sensor *s, struct source *src, struct file_inst *in, size_t *budget)
{
	if (inst_truncated(in)) {
		/* A held partial line belonged to the old contents: dropped. */
		log_info("%s: truncated, reading it again from the start", src->name);
		s->stats.truncations++;
		in->off = 0;
		in->taillen = 0;
		lines_reset(&in->lb);
	}
	while (*budget > 0) {
		size_t want = *budget < sizeof(s->rbuf) ? *budget : sizeof(s->rbuf);
		ssize_t n = pread(in->fd, s->rbuf, want, in->off);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read", src->name);
			s->stats.errors++;
			return -1;
		}
		if (n == 0)
			return 0;
		in->off += n;
		*budget -= (size_t)n;
		in->active = true;
		s->stats.bytes += (uint64_t)n;
		tail_update(in, s->rbuf, (size_t)n);
		lines_feed(s, &in->lb, src, s->rbuf, (size_t)n);
	}
	return 1;
}

/* The path now names another file: keep draining the current one (a writer
 * may not have reopened yet) and follow the new one from its start. */
static void
file_rotate(struct sensor *s, struct source *src)
{
	struct file_src *f = src->priv;

	/* A second rotation while the first file drains: it is at its end. */
	inst_close(s, src, &f->old, true);
	f->old = f->cur;
	f->drop_old = false;
	inst_init(&f->cur);
	s->stats.rotations++;
	log_info("%s: rotated or replaced, following the new file", src->name);
}

static void
file_open_failed(struct sensor *s, struct source *src, const char *err)
{
	struct file_src *f = src->priv;

	if (errno != ENOENT && errno != f->open_errno) {
		log_warnx("%s", err);
		s->stats.errors++;
	}
	f->open_errno = errno;
}

static int
file_service(struct sensor *s, struct source *src)
{
	struct file_src *f = src->priv;
	size_t budget = SENSOR_READ_BUDGET;
	char err[256];
	struct stat st;
	int r;

	/* The rotated-away file first: its lines are the older ones. */
	if (f->old.fd != -1) {
		if ((r = inst_read(s, src, &f->old, &budget)) > 0)
			return 1;
		if (r < 0 || f->drop_old) {
			inst_close(s, src, &f->old, true);
			f->drop_old = false;
		}
	}
	/* Each round follows at most one replacement; more means come back. */
	for (int round = 0; round < 3; round++) {
		if (f->cur.fd == -1) {
			if (inst_open(s, src->name, &f->cur, err, sizeof(err)) == -1) {
				file_open_failed(s, src, err);
				return 0;
			}
			f->open_errno = 0;
			log_debug("%s: opened, reading from the start", src->name);
		}
		if ((r = inst_read(s, src, &f->cur, &budget)) != 0)
			return r > 0;	/* read error: retried on the next event */
		/* At the end: does the path still name this file? */
		if (stat(src->name, &st) == -1)
			return 0;	/* renamed or deleted: wait for a new one */
		if (st.st_dev == f->cur.dev && st.st_ino == f->cur.ino)
			return 0;
		file_rotate(s, src);
		/* What reached the old file before the new one appeared. */
		if (inst_read(s, src, &f->old, &budget) > 0)
			return 1;
	}
	return 1;
}

static enum sensor_state
file_state(const struct source *src, char *detail, size_t n)
{
	const struct file_src *f = src->priv;

	if (f->cur.fd != -1)
		return SENSOR_OPEN;
	if (f->open_errno != 0 && f->open_errno != ENOENT) {
		snprintf(detail, n, "%s", strerror(f->open_errno));
		return SENSOR_ERROR;
	}
	if (f->dir_wd == -1) {
		snprintf(detail, n, "directory %s missing", f->dir);
		return SENSOR_WAITING;
	}
	return SENSOR_MISSING;
}

static void
file_tick(struct sensor *s, struct source *src)
{
	struct file_src *f = src->priv;

	if (f->dir_wd == -1)
		f->dir_wd = inotify_add_watch(s->inotify_fd, f->dir, DIR_MASK);
	if (f->old.fd != -1) {
		f->drop_old = !f->old.active;
		f->old.active = false;
	}
	src->dirty = true;
}

/* "dev:ino:offset", all decimal. The offset excludes a held partial line,
 * which is therefore read again, whole, after a restart. */
static int
file_position(const struct source *src, char *buf, size_t n)
{
	const struct file_src *f = src->priv;
	const struct file_inst *in = &f->cur;
	off_t off;
	int w;

	if (in->fd == -1)
		return 0;
	/* A '\r' that ended the last read is held too, outside lb.len. */
	off = in->lb.discarding ? in->off :
	    in->off - (off_t)in->lb.len - (in->lb.eol.cr_pending ? 1 : 0);
	w = snprintf(buf, n, "%ju:%ju:%jd", (uintmax_t)in->dev,
	    (uintmax_t)in->ino, (intmax_t)off);
	return w >= 0 && (size_t)w < n;
}

/* Parses "dev:ino:offset". 0 or -1. */
static int
position_parse(const char *saved, uint64_t *dev, uint64_t *ino, uint64_t *off)
{
	char buf[POSITION_MAX];
	char *ino_s, *off_s;

	if (!strlcpy_ok(buf, saved, sizeof(buf)) ||
	    (ino_s = strchr(buf, ':')) == NULL)
		return -1;
	*ino_s++ = '\0';
	if ((off_s = strchr(ino_s, ':')) == NULL)
		return -1;
	*off_s++ = '\0';
	if (uint_parse(buf, 0, UINT64_MAX, dev) != 0 ||
	    uint_parse(ino_s, 0, UINT64_MAX, ino) != 0 ||
	    uint_parse(off_s, 0, INT64_MAX, off) != 0)
		return -1;
	return 0;
}

/* No usable saved position: start after the last complete line, so that a
 * line being written right now is delivered whole once finished. */
static void
start_at_end(struct sensor *s, struct file_inst *in, off_t size)
{
	off_t from = size > SENSOR_LINE_MAX ? size - SENSOR_LINE_MAX : 0;
	ssize_t n = pread(in->fd, s->rbuf, (size_t)(size - from), from);
	const char *nl;

	if (n != size - from) {
		inst_seek(in, size);
		return;
	}
	if ((nl = memrchr(s->rbuf, '\n', (size_t)n)) != NULL) {
		inst_seek(in, from + (nl - s->rbuf) + 1);
	} else if (from == 0) {
		inst_seek(in, 0);	/* the whole file is one unfinished line */
	} else {
		inst_seek(in, size);	/* inside an overlong line: skip its rest */
		in->lb.discarding = true;
	}
}

static void
start_position(struct sensor *s, const char *path, struct file_inst *in,
    const char *saved)
{
	uint64_t dev, ino, off;
	struct stat st;

	if (fstat(in->fd, &st) == -1)
		st.st_size = 0;
	if (saved == NULL || *saved == '\0') {
		start_at_end(s, in, st.st_size);
		return;
	}
	if (position_parse(saved, &dev, &ino, &off) != 0) {
		log_warnx("%s: malformed saved position `%s', starting at the end",
		    path, saved);
		start_at_end(s, in, st.st_size);
	} else if (dev != (uint64_t)in->dev || ino != (uint64_t)in->ino) {
		/* Rotated while we were down. The new file holds only lines
		 * we have not seen; the tail of the old one is not searched. */
		log_info("%s: not the file of the saved position, reading it "
		    "from the start", path);
		inst_seek(in, 0);
	} else if ((off_t)off > st.st_size) {
		log_info("%s: shorter than the saved position (truncated), "
		    "reading it from the start", path);
		s->stats.truncations++;
		inst_seek(in, 0);
	} else {
		inst_seek(in, (off_t)off);
	}
}

static int
inotify_setup(struct sensor *s, char *err, size_t errlen)
{
	if ((s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		return -1;
	}
	if (sensor_poll_add(s, s->inotify_fd, &s->pe_inotify) == -1) {
		snprintf(err, errlen, "inotify: epoll: %s", strerror(errno));
		close(s->inotify_fd);
		s->inotify_fd = -1;
		return -1;
	}
	return 0;
}

static int
path_split(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	*base = strdup(slash != NULL ? slash + 1 : path);
	return *dir != NULL && *base != NULL ? 0 : -1;
}

int
sensor_add_file(struct sensor *s, const char *path, const char *saved,
    char *err, size_t errlen)
{
	struct file_src *f;
	struct source *src = NULL;

	if (source_can_add(s, path, err, errlen) != 0)
		return -1;
	if (path[0] == '\0' || path[strlen(path) - 1] == '/') {
		snprintf(err, errlen, "`%s': not a file name", path);
		return -1;
	}
	if (s->inotify_fd == -1 && inotify_setup(s, err, errlen) != 0)
		return -1;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	inst_init(&f->cur);
	inst_init(&f->old);
	f->dir_wd = -1;
	if (path_split(path, &f->dir, &f->base) != 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if ((src = source_alloc(path, &file_ops, f, err, errlen)) == NULL)
		goto fail;
	/* The directory first: a file created after the open attempt below
	 * is then announced by an event. */
	if ((f->dir_wd = inotify_add_watch(s->inotify_fd, f->dir, DIR_MASK)) == -1) {
		snprintf(err, errlen, "%s: cannot watch directory %s: %s%s", path,
		    f->dir, strerror(errno), errno == ENOSPC ?
		    " (raise fs.inotify.max_user_watches)" : "");
		goto fail;
	}
	if (inst_open(s, path, &f->cur, err, errlen) == -1) {
		if (errno != ENOENT)
			goto fail;
		log_info("%s: does not exist yet, waiting for it", path);
	} else {
		start_position(s, path, &f->cur, saved);
	}
	source_register(s, src);
	return 0;
fail:
	if (f->cur.fd != -1)
		close(f->cur.fd);
	watch_drop(s, &f->cur.wd);
	watch_drop(s, &f->dir_wd);
	free(f->dir);
	free(f->base);
	free(f);
	if (src != NULL)
		source_release(src);
	return -1;
}

static void
file_destroy(struct sensor *s, struct source *src)
{
	struct file_src *f = src->priv;

	/* No watch_drop: the sensor closes the inotify fd right after. */
	(void)s;
	if (f->cur.fd != -1)
		close(f->cur.fd);
	if (f->old.fd != -1)
		close(f->old.fd);
	free(f->dir);
	free(f->base);
	free(f);
}

static void
mark_all(struct sensor *s)
{
	for (size_t i = 0; i < s->nsrc; i++)
		if (s->src[i]->ops == &file_ops)
			s->src[i]->dirty = true;
}

static void
file_event(struct sensor *s, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		log_warnx("inotify queue overflow, rechecking every file");
		mark_all(s);
		return;
	}
	for (size_t i = 0; i < s->nsrc; i++) {
		struct source *src = s->src[i];
		struct file_src *f;

		if (src->ops != &file_ops)
			continue;
		f = src->priv;
		if (ev->wd == f->dir_wd) {
			if (ev->mask & IN_IGNORED) {
				f->dir_wd = -1;	/* directory gone */
				src->dirty = true;
			} else if (ev->len > 0 && strcmp(ev->name, f->base) == 0) {
				src->dirty = true;
			}
		} else if (ev->wd == f->cur.wd || ev->wd == f->old.wd) {
			if (ev->mask & IN_IGNORED)
				*(ev->wd == f->cur.wd ? &f->cur.wd : &f->old.wd) = -1;
			src->dirty = true;
		}
	}
}

void
file_read_events(struct sensor *s)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (int i = 0; i < INOTIFY_READS_MAX; i++) {
		ssize_t n = read(s->inotify_fd, buf, sizeof(buf));
		const char *p = buf;

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				log_warn("inotify: read");
				s->stats.errors++;
			}
			return;
		}
		while (p < buf + n) {
			const struct inotify_event *ev = (const void *)p;

			file_event(s, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}
