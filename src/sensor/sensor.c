/* sensor.c - the sensor core: one epoll set over all sources, the dispatch
 * loop, the source table, positions and stats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "sensor/source.h"

#define DISPATCH_EVENTS_MAX 64

struct sensor *
sensor_new(sensor_lines_cb cb, void *arg)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = SENSOR_RECHECK_SEC },
		.it_value = { .tv_sec = SENSOR_RECHECK_SEC },
	};
	struct sensor *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cb = cb;
	s->arg = arg;
	s->inotify_fd = -1;
	s->timer_fd = -1;
	s->kick_fd = -1;
	s->pe_inotify.kind = PE_INOTIFY;
	s->pe_timer.kind = PE_TIMER;
	s->pe_kick.kind = PE_KICK;
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto fail;
	if ((s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) == -1 ||
	    timerfd_settime(s->timer_fd, 0, &its, NULL) == -1 ||
	    sensor_poll_add(s, s->timer_fd, &s->pe_timer) == -1)
		goto fail;
	if ((s->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    sensor_poll_add(s, s->kick_fd, &s->pe_kick) == -1)
		goto fail;
	return s;
fail:
	log_warn("sensor: cannot set up the event set");
	sensor_free(s);
	return NULL;
}

void
sensor_free(struct sensor *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nsrc; i++) {
		s->src[i]->ops->destroy(s, s->src[i]);
		source_release(s->src[i]);
	}
	if (s->inotify_fd != -1)
		close(s->inotify_fd);
	if (s->timer_fd != -1)
		close(s->timer_fd);
	if (s->kick_fd != -1)
		close(s->kick_fd);
	if (s->epfd != -1)
		close(s->epfd);
	free(s);
}

int
sensor_poll_add(struct sensor *s, int fd, struct pollent *pe)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = pe };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void
sensor_poll_del(struct sensor *s, int fd)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

void
sensor_kick(struct sensor *s)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: readable anyway. */
	if (write(s->kick_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("sensor: eventfd write");
}

static void
drain_fd(int fd)
{
	uint64_t v;

	/* timerfd and eventfd both hand out one 8-byte counter. */
	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		;
}

struct source *
source_find(const struct sensor *s, const char *name)
{
	for (size_t i = 0; i < s->nsrc; i++)
		if (strcmp(s->src[i]->name, name) == 0)
			return s->src[i];
	return NULL;
}

int
source_can_add(const struct sensor *s, const char *name, char *err, size_t errlen)
{
	if (source_find(s, name) != NULL) {
		snprintf(err, errlen, "%s: source already added", name);
		return -1;
	}
	if (s->nsrc >= SENSOR_SOURCES_MAX) {
		snprintf(err, errlen, "%s: too many sources (at most %d)", name,
		    SENSOR_SOURCES_MAX);
		return -1;
	}
	return 0;
}

struct source *
source_alloc(const char *name, const struct source_ops *ops, void *priv,
    char *err, size_t errlen)
{
	struct source *src;

	if ((src = calloc(1, sizeof(*src))) == NULL ||
	    (src->name = strdup(name)) == NULL) {
		free(src);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	src->ops = ops;
	src->priv = priv;
	src->pe.kind = PE_SOURCE;
	src->pe.src = src;
	src->added = now_sec();
	return src;
}

void
source_register(struct sensor *s, struct source *src)
{
	s->src[s->nsrc++] = src;
	src->dirty = true;
	sensor_kick(s);
}

void
source_release(struct source *src)
{
	free(src->name);
	free(src);
}

int
sensor_fd(const struct sensor *s)
{
	return s->epfd;
}

/* A source silent for the quiet period is worth a warning: a wrong path
 * or a log that went elsewhere (sshd to the journal, no rsyslog) protects
 * nothing, silently. Once per silence; lines_deliver clears it. */
static void
quiet_check(struct sensor *s)
{
	int64_t now = now_sec();
	char d[32], detail[128];

	if (s->quiet_secs <= 0)
		return;
	for (size_t k = 0; k < s->nsrc; k++) {
		struct source *src = s->src[k];
		int64_t since = src->last_line ? src->last_line : src->added;
		if (src->quiet || now - since < s->quiet_secs)
			continue;
		src->quiet = true;
		detail[0] = '\0';
		enum sensor_state st = src->ops->state ? src->ops->state(src, detail, sizeof(detail)) :
		    SENSOR_OPEN;
		duration_format(now - since, d, sizeof(d));
		log_warnx("source %s: no line for %s (%s%s%s; %llu lines so far): is it the log "
		    "the service writes to?", src->name, d, sensor_state_name(st), detail[0] ? ": " : "",
		    detail, (unsigned long long)src->lines);
	}
}

/* Level-triggered epoll: whatever is not handled now stays readable. The
 * sources themselves are serviced only through their dirty flag, so that a
 * source stopped by its budget is resumed on the next call even though its
 * own fd may no longer be readable (the kick eventfd keeps sensor_fd
 * readable meanwhile, so a loop that ignores our return value still works). */
int
sensor_dispatch(struct sensor *s)
{
	struct epoll_event ev[DISPATCH_EVENTS_MAX];
	int n, more = 0;

	n = epoll_wait(s->epfd, ev, DISPATCH_EVENTS_MAX, 0);
	if (n == -1) {
		if (errno == EINTR)
			return 1;
		log_warn("sensor: epoll_wait");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct pollent *pe = ev[i].data.ptr;

		switch (pe->kind) {
		case PE_INOTIFY:
			file_read_events(s);
			break;
		case PE_TIMER:
			drain_fd(s->timer_fd);
			for (size_t k = 0; k < s->nsrc; k++)
				if (s->src[k]->ops->tick != NULL)
					s->src[k]->ops->tick(s, s->src[k]);
			quiet_check(s);
			break;
		case PE_KICK:
			drain_fd(s->kick_fd);
			break;
		case PE_SOURCE:
			pe->src->dirty = true;
			break;
		}
	}
	for (size_t k = 0; k < s->nsrc; k++) {
		struct source *src = s->src[k];

		if (!src->dirty)
			continue;
		src->dirty = src->ops->service(s, src) > 0;
		if (src->dirty)
			more = 1;
	}
	if (more)
		sensor_kick(s);
	/* Not all ready fds may have fit in ev[]; they are still readable. */
	return more || n == DISPATCH_EVENTS_MAX;
}

int
sensor_position(const struct sensor *s, const char *source, char *buf, size_t n)
{
	const struct source *src = source_find(s, source);

	if (src == NULL || n == 0)
		return 0;
	return src->ops->position(src, buf, n);
}

void
sensor_foreach(const struct sensor *s, void (*fn)(void *arg, const char *source), void *arg)
{
	for (size_t i = 0; i < s->nsrc; i++)
		fn(arg, s->src[i]->name);
}

const struct sensor_stats *
sensor_get_stats(const struct sensor *s)
{
	return &s->stats;
}

const char *
sensor_state_name(enum sensor_state st)
{
	switch (st) {
	case SENSOR_OPEN: return "open";
	case SENSOR_MISSING: return "missing";
	case SENSOR_WAITING: return "waiting";
	case SENSOR_ERROR: return "error";
	case SENSOR_CLOSED: return "closed";
	}
	return "?";
}

size_t
sensor_source_count(const struct sensor *s)
{
	return s->nsrc;
}

void
sensor_source_get(const struct sensor *s, size_t i, struct sensor_source_info *out)
{
	const struct source *src = s->src[i];

	memset(out, 0, sizeof(*out));
	out->name = src->name;
	out->state = src->ops->state != NULL ?
	    src->ops->state(src, out->detail, sizeof(out->detail)) : SENSOR_OPEN;
	out->lines = src->lines;
	out->last_line = src->last_line;
	out->added = src->added;
	out->quiet = src->quiet;
}

void
sensor_set_quiet(struct sensor *s, int64_t secs)
{
	s->quiet_secs = secs;
}
