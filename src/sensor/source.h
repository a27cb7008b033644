/* source.h - private to src/sensor/: the sensor core, the source interface
 * every kind of source implements, and the shared line assembler. */
#ifndef A5_SENSOR_SOURCE_H
#define A5_SENSOR_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/eol.h"
#include "sensor/sensor.h"

/* Work ceiling per source and sensor_dispatch call (bytes read). */
#define SENSOR_READ_BUDGET (1024 * 1024)
/* One read(2) at most this much; also the size of the shared read buffer. */
#define SENSOR_READ_CHUNK (64 * 1024)
/* Every source is re-checked this often even without any event: catches
 * what inotify misses (network file systems, a path behind a symlink whose
 * target directory rotates, a lost directory watch) and lets a rotated-away
 * file that went quiet be closed. */
#define SENSOR_RECHECK_SEC 5

/* What an epoll event points at. */
enum pollent_kind { PE_INOTIFY, PE_TIMER, PE_KICK, PE_SOURCE };

struct source;

struct pollent {
	enum pollent_kind kind;
	struct source *src;	/* PE_SOURCE only */
};

/* A partial line held between reads, and the state of an overlong line. */
struct linebuf {
	size_t len;		/* bytes held in part (no '\n' among them) */
	bool discarding;	/* dropping the rest of an overlong line */
	struct eol eol;		/* line endings of the stream (CRLF, CR, NULs) */
	char part[SENSOR_LINE_MAX + 1];	/* +1: room for the '\n' on delivery */
};

struct sensor;

struct source_ops {
	/* Reads at most SENSOR_READ_BUDGET bytes and delivers the lines.
	 * 1 if more may be pending, 0 if idle. Errors are logged and counted
	 * in the stats; the source retries on the next event or recheck. */
	int (*service)(struct sensor *s, struct source *src);
	/* sensor_position for this source: 1 if written, 0 if none. */
	int (*position)(const struct source *src, char *buf, size_t n);
	/* Every SENSOR_RECHECK_SEC; may be NULL. */
	void (*tick)(struct sensor *s, struct source *src);
	void (*destroy)(struct sensor *s, struct source *src);
	/* sensor_source_get's state and detail; NULL: always "open". */
	enum sensor_state (*state)(const struct source *src, char *detail, size_t n);
};

struct source {
	const struct source_ops *ops;
	char *name;		/* path, "journal" or "stdin" */
	void *priv;		/* the kind's own state */
	bool dirty;		/* service() must run on the next dispatch */
	struct pollent pe;
	/* for status: lines delivered, when the last came and when the
	 * source was added (unix seconds), quiet warning logged */
	uint64_t lines;
	int64_t last_line, added;
	bool quiet;
};

struct sensor {
	sensor_lines_cb cb;
	void *arg;
	int epfd;
	int inotify_fd;		/* -1 until the first file source */
	int timer_fd;
	int kick_fd;		/* eventfd: readable while work is pending */
	struct pollent pe_inotify, pe_timer, pe_kick;
	struct source *src[SENSOR_SOURCES_MAX];
	size_t nsrc;
	struct sensor_stats stats;
	int64_t quiet_secs;	/* a source silent this long is warned about; 0: never */
	char rbuf[SENSOR_READ_CHUNK];
};

/* sensor.c */
/* The source named name, or NULL. */
struct source *source_find(const struct sensor *s, const char *name);
/* 0, or -1 with err filled if name is taken or the table is full. */
int source_can_add(const struct sensor *s, const char *name, char *err, size_t errlen);
/* Allocates a source (name copied); NULL with err filled on failure. */
struct source *source_alloc(const char *name, const struct source_ops *ops,
    void *priv, char *err, size_t errlen);
/* Adds src to the table (source_can_add must have passed) and marks it
 * dirty so the next dispatch services it. */
void source_register(struct sensor *s, struct source *src);
/* Frees what source_alloc allocated (not priv). */
void source_release(struct source *src);
/* Makes sensor_fd readable so that the loop calls sensor_dispatch. */
void sensor_kick(struct sensor *s);
/* Registers fd for reading in the epoll set; 0 or -1 with errno set. */
int sensor_poll_add(struct sensor *s, int fd, struct pollent *pe);
void sensor_poll_del(struct sensor *s, int fd);

/* lines.c */
void lines_reset(struct linebuf *lb);
/* Splits data into lines: complete ones are delivered (many per callback),
 * a trailing partial one is held in lb, overlong ones are dropped whole and
 * counted. data is normalized in place first (CRLF and CR-only line ends,
 * NULs at line starts: common/eol.h), so it must be writable. */
void lines_feed(struct sensor *s, struct linebuf *lb, struct source *src,
    char *data, size_t len);
/* Delivers a held partial line with a '\n' added (end of input). */
void lines_flush(struct sensor *s, struct linebuf *lb, struct source *src);
/* Calls the callback with nlines complete lines of src and counts them
 * (in s and in src). */
void lines_deliver(struct sensor *s, struct source *src, const char *buf,
    size_t len, size_t nlines, int64_t ts_usec);

/* journal.c */
/* Appends an entry's MESSAGE to its line (SENSOR_LINE_MAX + 1 bytes) at *o,
 * without its trailing line ends, newlines and NULs inside as spaces. false
 * when it does not fit whole: the entry is then dropped, never delivered in
 * part. */
bool journal_message_append(char *line, size_t *o, const char *msg, size_t len);

/* file.c */
/* Reads the inotify queue and marks the file sources it concerns dirty. */
void file_read_events(struct sensor *s);

#endif
