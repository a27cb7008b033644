/* journal.c - reads the local systemd journal through sd-journal and
 * delivers each entry as one syslog-style line "IDENT[PID]: MESSAGE". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "common/log.h"
#include "common/util.h"
#include "sensor/source.h"

#define JOURNAL_NAME "journal"
/* Entries per dispatch call; the byte budget applies as well. */
#define JOURNAL_BATCH_MAX 4096
#define IDENT_MAX 64
#define PID_MAX 20

struct journal_src {
	sd_journal *j;
	int fd;
	char *cursor;		/* of the last entry delivered or skipped */
	bool pending;		/* positioned on an entry not yet delivered */
	char line[SENSOR_LINE_MAX + 1];
};

static int journal_service(struct sensor *s, struct source *src);
static int journal_position(const struct source *src, char *buf, size_t n);
static void journal_tick(struct sensor *s, struct source *src);
static void journal_destroy(struct sensor *s, struct source *src);

static const struct source_ops journal_ops = {
	.service = journal_service,
	.position = journal_position,
	.tick = journal_tick,
	.destroy = journal_destroy,
};

/* The value of field in the current entry, or NULL. */
static const char *
field_get(sd_journal *j, const char *field, size_t *len)
{
	const void *data;
	size_t n, flen = strlen(field);

	if (sd_journal_get_data(j, field, &data, &n) < 0 || n <= flen ||
	    ((const char *)data)[flen] != '=')
		return NULL;
	*len = n - flen - 1;
	return (const char *)data + flen + 1;
}

/* Appends at most max bytes of v to line at *o (bounded by the line
 * ceiling), with newlines, carriage returns and NULs turned into spaces.
 * Returns false if something was cut. */
static bool
line_append(char *line, size_t *o, const char *v, size_t len, size_t max)
{
	size_t room = SENSOR_LINE_MAX - *o;
	bool whole = true;

	if (len > max) {
		len = max;
		whole = false;
	}
	if (len > room) {
		len = room;
		whole = false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = v[i];

		line[(*o)++] = c == '\n' || c == '\r' || c == '\0' ? ' ' : c;
	}
	return whole;
}

bool
journal_message_append(char *line, size_t *o, const char *msg, size_t len)
{
	/* A service writing CRLF to its stdout leaves a '\r' at the end of
	 * each message; it would keep the rules' '$' from matching. */
	while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == '\n'))
		len--;
	return line_append(line, o, msg, len, SENSOR_LINE_MAX);
}

/* Builds the current entry's line; its length including the '\n', or 0
 * when it would not fit the line ceiling (counted). */
static size_t
entry_format(struct sensor *s, struct journal_src *js)
{
	const char *v;
	size_t len, o = 0;
	bool whole = true;

	/* sd_journal_get_data's result lives only until the next call, so
	 * each field is copied before the next one is fetched. */
	if ((v = field_get(js->j, "SYSLOG_IDENTIFIER", &len)) == NULL &&
	    (v = field_get(js->j, "_COMM", &len)) == NULL) {
		v = "unknown";
		len = strlen(v);
	}
	line_append(js->line, &o, v, len, IDENT_MAX);
	if ((v = field_get(js->j, "_PID", &len)) != NULL ||
	    (v = field_get(js->j, "SYSLOG_PID", &len)) != NULL) {
		line_append(js->line, &o, "[", 1, 1);
		line_append(js->line, &o, v, len, PID_MAX);
		line_append(js->line, &o, "]", 1, 1);
	}
	line_append(js->line, &o, ": ", 2, 2);
	if ((v = field_get(js->j, "MESSAGE", &len)) != NULL)
		whole = journal_message_append(js->line, &o, v, len);
	if (!whole) {
		/* Dropped whole, never matched in part (see lines.c). */
		s->stats.truncated++;
		return 0;
	}
	js->line[o++] = '\n';
	return o;
}

static void
cursor_update(struct journal_src *js)
{
	char *c;

	if (sd_journal_get_cursor(js->j, &c) >= 0) {
		free(js->cursor);
		js->cursor = c;
	}
}

static int
journal_service(struct sensor *s, struct source *src)
{
	struct journal_src *js = src->priv;
	size_t bytes = 0;
	int n, r;

	/* Acknowledges the wakeup and picks up new or rotated journal files. */
	if ((r = sd_journal_process(js->j)) < 0) {
		log_warnx("journal: process: %s", strerror(-r));
		s->stats.errors++;
	}
	for (n = 0; n < JOURNAL_BATCH_MAX && bytes < SENSOR_READ_BUDGET; n++) {
		uint64_t ts = 0;
		size_t len;

		if (js->pending) {
			js->pending = false;
			r = 1;
		} else if ((r = sd_journal_next(js->j)) < 0) {
			log_warnx("journal: next: %s", strerror(-r));
			s->stats.errors++;
			break;
		}
		if (r == 0)
			break;
		if (sd_journal_get_realtime_usec(js->j, &ts) < 0)
			ts = 0;
		if ((len = entry_format(s, js)) == 0)
			continue;	/* over the line ceiling: counted, dropped */
		bytes += len;
		s->stats.bytes += len;
		lines_deliver(s, src, js->line, len, 1, (int64_t)ts);
	}
	if (n > 0)
		cursor_update(js);
	return n == JOURNAL_BATCH_MAX || bytes >= SENSOR_READ_BUDGET;
}

static void
journal_tick(struct sensor *s, struct source *src)
{
	/* For journal files on file systems without inotify. */
	(void)s;
	src->dirty = true;
}

static int
journal_position(const struct source *src, char *buf, size_t n)
{
	const struct journal_src *js = src->priv;

	if (js->cursor == NULL)
		return 0;
	return strlcpy_ok(buf, js->cursor, n) ? 1 : 0;
}

static void
journal_destroy(struct sensor *s, struct source *src)
{
	struct journal_src *js = src->priv;

	if (js->j != NULL) {
		sensor_poll_del(s, js->fd);
		sd_journal_close(js->j);
	}
	free(js->cursor);
	free(js);
}

/* Positions js->j just after cursor, or on the last entry. */
static void
journal_seek(struct journal_src *js, const char *cursor)
{
	int r;

	if (cursor != NULL && *cursor != '\0') {
		if ((r = sd_journal_seek_cursor(js->j, cursor)) >= 0) {
			/* Until something newer is read, the position stays the
			 * given cursor (seeking to it again is equivalent). */
			js->cursor = strdup(cursor);
			/* seek_cursor lands on the cursor's entry if it still
			 * exists (already processed: skip it), else on the
			 * next one (not processed yet: deliver it). */
			if (sd_journal_next(js->j) > 0) {
				if (sd_journal_test_cursor(js->j, cursor) > 0)
					cursor_update(js);
				else
					js->pending = true;
			}
			return;
		}
		log_warnx("journal: cannot seek to saved cursor `%s' (%s), "
		    "starting at the end", cursor, strerror(-r));
	}
	/* After seek_tail, sd_journal_next would return the last entry
	 * again; stepping back onto it makes next() wait for a new one. */
	if (sd_journal_seek_tail(js->j) >= 0 && sd_journal_previous(js->j) > 0)
		cursor_update(js);
}

bool
sensor_journal_readable(void)
{
	sd_journal *j;
	uint64_t bytes = 0;

	if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) < 0)
		return false;
	if (sd_journal_get_usage(j, &bytes) < 0)
		bytes = 0;
	sd_journal_close(j);
	return bytes > 0;
}

int
sensor_add_journal(struct sensor *s, const char *const *matches,
    size_t nmatches, const char *cursor, char *err, size_t errlen)
{
	struct journal_src *js;
	struct source *src = NULL;
	int r;

	if (source_can_add(s, JOURNAL_NAME, err, errlen) != 0)
		return -1;
	if ((js = calloc(1, sizeof(*js))) == NULL) {
		snprintf(err, errlen, "journal: out of memory");
		return -1;
	}
	js->fd = -1;
	if ((r = sd_journal_open(&js->j, SD_JOURNAL_LOCAL_ONLY)) < 0) {
		js->j = NULL;
		snprintf(err, errlen, "journal: cannot open the local journal: %s",
		    strerror(-r));
		goto fail;
	}
	/* Early, so that the inotify watches exist before we seek. */
	if ((js->fd = sd_journal_get_fd(js->j)) < 0) {
		snprintf(err, errlen, "journal: cannot get a wakeup fd: %s",
		    strerror(-js->fd));
		goto fail;
	}
	/* Bounds what sd_journal_get_data hands us per field. */
	sd_journal_set_data_threshold(js->j, SENSOR_LINE_MAX + 16);
	for (size_t i = 0; i < nmatches; i++) {
		if (i > 0 && (r = sd_journal_add_disjunction(js->j)) < 0) {
			snprintf(err, errlen, "journal: %s", strerror(-r));
			goto fail;
		}
		if ((r = sd_journal_add_match(js->j, matches[i], 0)) < 0) {
			snprintf(err, errlen, "journal: bad match `%s' (%s), "
			    "expected FIELD=value", matches[i], strerror(-r));
			goto fail;
		}
	}
	journal_seek(js, cursor);
	if ((src = source_alloc(JOURNAL_NAME, &journal_ops, js, err, errlen)) == NULL)
		goto fail;
	if (sensor_poll_add(s, js->fd, &src->pe) == -1) {
		snprintf(err, errlen, "journal: epoll: %s", strerror(errno));
		goto fail;
	}
	source_register(s, src);
	return 0;
fail:
	if (js->j != NULL)
		sd_journal_close(js->j);
	free(js->cursor);
	free(js);
	if (src != NULL)
		source_release(src);
	return -1;
}
