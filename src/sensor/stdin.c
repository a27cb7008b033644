/* stdin.c - reads lines from standard input until EOF (replaying a log:
 * `article5 ... < auth.log`, or a pipe). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "sensor/source.h"

#define STDIN_NAME "stdin"

struct stdin_src {
	int fd;
	int saved_flags;	/* file status flags to restore, or -1 */
	bool polled;		/* in the epoll set (false: always readable) */
	bool eof;
	struct linebuf lb;
};

static int stdin_service(struct sensor *s, struct source *src);
static int stdin_position(const struct source *src, char *buf, size_t n);
static void stdin_destroy(struct sensor *s, struct source *src);

static enum sensor_state
stdin_state(const struct source *src, char *detail, size_t n)
{
	(void)detail;
	(void)n;
	return ((const struct stdin_src *)src->priv)->eof ? SENSOR_CLOSED : SENSOR_OPEN;
}

static const struct source_ops stdin_ops = {
	.service = stdin_service,
	.position = stdin_position,
	.tick = NULL,
	.destroy = stdin_destroy,
	.state = stdin_state,
};

/* O_NONBLOCK is set on the open file description, which a terminal shares
 * with the shell: put the flags back once done. */
static void
stdin_restore(struct stdin_src *in)
{
	if (in->saved_flags != -1)
		fcntl(in->fd, F_SETFL, in->saved_flags);
	in->saved_flags = -1;
}

static void
stdin_finish(struct sensor *s, struct source *src)
{
	struct stdin_src *in = src->priv;

	lines_flush(s, &in->lb, src);
	if (in->polled)
		sensor_poll_del(s, in->fd);
	in->polled = false;
	stdin_restore(in);
	in->eof = true;
	log_debug("stdin: end of input");
}

static int
stdin_service(struct sensor *s, struct source *src)
{
	struct stdin_src *in = src->priv;
	size_t budget = SENSOR_READ_BUDGET;

	if (in->eof)
		return 0;
	while (budget > 0) {
		size_t want = budget < sizeof(s->rbuf) ? budget : sizeof(s->rbuf);
		ssize_t n = read(in->fd, s->rbuf, want);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			/* Nothing more will come: end of input. */
			log_warn("stdin: read");
			s->stats.errors++;
			stdin_finish(s, src);
			return 0;
		}
		if (n == 0) {
			stdin_finish(s, src);
			return 0;
		}
		budget -= (size_t)n;
		s->stats.bytes += (uint64_t)n;
		lines_feed(s, &in->lb, src, s->rbuf, (size_t)n);
	}
	return 1;
}

static int
stdin_position(const struct source *src, char *buf, size_t n)
{
	(void)src;
	(void)buf;
	(void)n;
	return 0;
}

static void
stdin_destroy(struct sensor *s, struct source *src)
{
	struct stdin_src *in = src->priv;

	if (in->polled)
		sensor_poll_del(s, in->fd);
	stdin_restore(in);
	free(in);
}

int
sensor_add_stdin(struct sensor *s, char *err, size_t errlen)
{
	struct stdin_src *in;
	struct source *src;
	int fl;

	if (source_can_add(s, STDIN_NAME, err, errlen) != 0)
		return -1;
	if ((fl = fcntl(STDIN_FILENO, F_GETFL)) == -1) {
		snprintf(err, errlen, "stdin: %s", strerror(errno));
		return -1;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "stdin: out of memory");
		return -1;
	}
	in->fd = STDIN_FILENO;
	in->saved_flags = -1;
	lines_reset(&in->lb);
	if ((src = source_alloc(STDIN_NAME, &stdin_ops, in, err, errlen)) == NULL) {
		free(in);
		return -1;
	}
	if (sensor_poll_add(s, in->fd, &src->pe) == 0) {
		in->polled = true;
	} else if (errno != EPERM) {
		snprintf(err, errlen, "stdin: epoll: %s", strerror(errno));
		goto fail;
	}
	/* EPERM: a regular file or /dev/null, which epoll refuses; they are
	 * always readable, and the dirty flag keeps us reading to EOF. */
	if (!(fl & O_NONBLOCK)) {
		if (fcntl(in->fd, F_SETFL, fl | O_NONBLOCK) == -1) {
			snprintf(err, errlen, "stdin: set non-blocking: %s", strerror(errno));
			goto fail;
		}
		in->saved_flags = fl;
	}
	source_register(s, src);
	return 0;
fail:
	stdin_destroy(s, src);
	source_release(src);
	return -1;
}

int
sensor_stdin_done(const struct sensor *s)
{
	const struct source *src = source_find(s, STDIN_NAME);

	if (src == NULL || src->ops != &stdin_ops)
		return 0;
	return ((const struct stdin_src *)src->priv)->eof;
}
