/* lines.c - turns a byte stream into complete lines, delivered in runs (one
 * callback for many lines), with a held partial line and a length ceiling. */
#include <string.h>

#include "common/eol.h"

#include "common/log.h"
#include "common/util.h"
#include "sensor/source.h"

void
lines_deliver(struct sensor *s, struct source *src, const char *buf, size_t len,
    size_t nlines, int64_t ts_usec)
{
	if (len == 0)
		return;
	s->stats.lines += nlines;
	/* per source, for status: the caller's own source, not looked up by
	 * name (a strcmp for each source before it in the table, each time) */
	if (src->quiet)
		log_info("source %s: lines again", src->name);
	src->lines += nlines;
	src->last_line = now_sec();
	src->quiet = false;
	s->cb(s->arg, src->name, buf, len, ts_usec);
}

void
lines_reset(struct linebuf *lb)
{
	lb->len = 0;
	lb->discarding = false;
	eol_init_strict(&lb->eol);	/* others write into live logs */
}

/* Delivers the held line with its '\n'. */
static void
deliver_held(struct sensor *s, struct linebuf *lb, struct source *src)
{
	lb->part[lb->len++] = '\n';
	lines_deliver(s, src, lb->part, lb->len, 1, 0);
	lb->len = 0;
}

/* A line longer than the ceiling is dropped whole, never delivered in part:
 * its cut-off head would still match, and the part an attacker pads away
 * (a long user name) is what tells whose address the line carries. Counted,
 * and logged at power-of-two counts so that a flood of long lines cannot
 * flood the log too. */
static void
drop_overlong(struct sensor *s, struct linebuf *lb, const struct source *src)
{
	uint64_t n = ++s->stats.truncated;

	lb->len = 0;
	if ((n & (n - 1)) == 0)
		log_warnx("%s: line longer than %d bytes dropped (%llu so far)",
		    src->name, SENSOR_LINE_MAX, (unsigned long long)n);
}

/* Splits normalized data (LF lines) into runs and the held partial line. */
static void
lines_split(struct sensor *s, struct linebuf *lb, struct source *src,
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
				drop_overlong(s, lb, src);
				if (nl == NULL) {
					lb->discarding = true;
					return;
				}
			} else {
				memcpy(lb->part + lb->len, p, seg);
				lb->len += seg;
				if (nl == NULL)
					return;
				deliver_held(s, lb, src);
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
		lines_deliver(s, src, run, (size_t)(p - run), nlines, 0);
		if (p == end)
			return;
		/* At p: an overlong line, or the unterminated tail of data. */
		seg = (size_t)((nl != NULL ? nl : end) - p);
		if (nl == NULL && seg <= SENSOR_LINE_MAX) {
			memcpy(lb->part, p, seg);
			lb->len = seg;
			return;
		}
		drop_overlong(s, lb, src);
		if (nl == NULL) {
			lb->discarding = true;
			return;
		}
		p = nl + 1;
	}
}

void
lines_feed(struct sensor *s, struct linebuf *lb, struct source *src,
    char *data, size_t len)
{
	if (len == 0)
		return;
	if (lb->eol.cr_pending) {
		char c = (char)eol_carry(&lb->eol, (unsigned char)data[0]);

		if (c != 0)
			lines_split(s, lb, src, &c, 1);
	}
	len = eol_fix(&lb->eol, data, len);
	lines_split(s, lb, src, data, len);
}

void
lines_flush(struct sensor *s, struct linebuf *lb, struct source *src)
{
	if (!lb->discarding && lb->len > 0)
		deliver_held(s, lb, src);
	lines_reset(lb);
}
