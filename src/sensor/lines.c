/* lines.c - turns a byte stream into complete lines, delivered in runs (one
 * callback for many lines), with a held partial line and a length ceiling. */
#include <string.h>

#include "common/log.h"
#include "sensor/source.h"

void
lines_deliver(struct sensor *s, const char *name, const char *buf, size_t len,
    size_t nlines, int64_t ts_usec)
{
	if (len == 0)
		return;
	s->stats.lines += nlines;
	s->cb(s->arg, name, buf, len, ts_usec);
}

void
lines_reset(struct linebuf *lb)
{
	lb->len = 0;
	lb->discarding = false;
}

/* Delivers the held line with its '\n'. cut: it was longer than the
 * ceiling; counted, and logged at power-of-two counts so that a flood of
 * long lines cannot flood the log too. */
static void
deliver_held(struct sensor *s, struct linebuf *lb, const char *name, bool cut)
{
	lb->part[lb->len++] = '\n';
	lines_deliver(s, name, lb->part, lb->len, 1, 0);
	lb->len = 0;
	if (cut) {
		uint64_t n = ++s->stats.truncated;

		if ((n & (n - 1)) == 0)
			log_warnx("%s: line longer than %d bytes cut (%llu so far)",
			    name, SENSOR_LINE_MAX, (unsigned long long)n);
	}
}

void
lines_feed(struct sensor *s, struct linebuf *lb, const char *name,
    const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *run;
		size_t seg, nlines;

		if (lb->discarding) {
			if (nl == NULL)
				return;
			lb->discarding = false;
			p = nl + 1;
			continue;
		}
		if (lb->len > 0) {
			/* Complete the held line first. */
			seg = (size_t)((nl != NULL ? nl : end) - p);
			if (lb->len + seg > SENSOR_LINE_MAX) {
				memcpy(lb->part + lb->len, p, SENSOR_LINE_MAX - lb->len);
				lb->len = SENSOR_LINE_MAX;
				deliver_held(s, lb, name, true);
				if (nl == NULL) {
					lb->discarding = true;
					return;
				}
			} else {
				memcpy(lb->part + lb->len, p, seg);
				lb->len += seg;
				if (nl == NULL)
					return;
				deliver_held(s, lb, name, false);
			}
			p = nl + 1;
			continue;
		}
		/* A run of complete lines, delivered straight from data. */
		run = p;
		nlines = 0;
		while (nl != NULL && (size_t)(nl - p) <= SENSOR_LINE_MAX) {
			nlines++;
			p = nl + 1;
			nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		}
		lines_deliver(s, name, run, (size_t)(p - run), nlines, 0);
		if (p == end)
			return;
		/* At p: an overlong line, or the unterminated tail of data. */
		seg = (size_t)((nl != NULL ? nl : end) - p);
		if (nl == NULL && seg <= SENSOR_LINE_MAX) {
			memcpy(lb->part, p, seg);
			lb->len = seg;
			return;
		}
		memcpy(lb->part, p, SENSOR_LINE_MAX);
		lb->len = SENSOR_LINE_MAX;
		deliver_held(s, lb, name, true);
		if (nl == NULL) {
			lb->discarding = true;
			return;
		}
		p = nl + 1;
	}
}

void
lines_flush(struct sensor *s, struct linebuf *lb, const char *name)
{
	if (!lb->discarding && lb->len > 0)
		deliver_held(s, lb, name, false);
	lines_reset(lb);
}
