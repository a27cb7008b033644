/* sensor.h - log sources: files (inotify, follows rotation and truncation),
 * the systemd journal, and stdin. A sensor hands out complete lines in
 * chunks; it never interprets them. */
#ifndef A5_SENSOR_H
#define A5_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Lines longer than this are dropped whole (never delivered in part) and
 * counted in sensor_stats.truncated. */
#define SENSOR_LINE_MAX 16384
#define SENSOR_SOURCES_MAX 256

/* Called with one or more complete lines, each terminated by '\n' (a line
 * without a final newline at EOF is held back until it is completed). CRLF
 * and CR-only line ends arrive as '\n', NULs at a line start are skipped
 * (common/eol.h).
 * ts_usec: the journal's realtime timestamp of the entry, or 0 for files and
 * stdin (the matcher then parses the line's own timestamp).
 * For the journal, each entry is delivered as one synthesized syslog-style
 * line: "IDENT[PID]: MESSAGE\n" with newlines inside MESSAGE replaced by
 * spaces. */
typedef void (*sensor_lines_cb)(void *arg, const char *source,
    const char *buf, size_t len, int64_t ts_usec);

struct sensor_stats {
	uint64_t lines, bytes, truncated, rotations, truncations, errors;	/* truncated: over-long lines dropped */
};

struct sensor;

struct sensor *sensor_new(sensor_lines_cb cb, void *arg);
void sensor_free(struct sensor *s);

/* Follows path. Position: if a saved position (see sensor_position) for the
 * same device and inode is given, resumes there; otherwise starts at the end
 * of the file (history before the daemon started is not replayed). A file
 * that does not exist yet is waited for (its directory is watched).
 * saved may be NULL. 0, or -1 with err filled. */
int sensor_add_file(struct sensor *s, const char *path, const char *saved,
    char *err, size_t errlen);
/* Reads the journal, from just after cursor when given, else from its end.
 * matches: journal field matches such as "_SYSTEMD_UNIT=ssh.service",
 * OR-ed together (none = everything). */
int sensor_add_journal(struct sensor *s, const char *const *matches,
    size_t nmatches, const char *cursor, char *err, size_t errlen);
/* Whether this process can read any journal file now (sd_journal_open
 * succeeds even where there is none: no journald, or not in its group). */
bool sensor_journal_readable(void);
/* Reads stdin until EOF. */
int sensor_add_stdin(struct sensor *s, char *err, size_t errlen);

/* One fd to poll for readability (an epoll fd over all sources). */
int sensor_fd(const struct sensor *s);
/* Reads what is available from every source and delivers it through the
 * callback. Bounded work per call (at most ~1 MiB per source) so the event
 * loop stays responsive; returns 1 if more data may be waiting (call again),
 * 0 if idle, -1 on a fatal error. */
int sensor_dispatch(struct sensor *s);

/* Serialises a source's position ("dev:ino:offset" for files, the cursor for
 * the journal) for persistence; 1 if written, 0 if the source has none. */
int sensor_position(const struct sensor *s, const char *source, char *buf, size_t n);
/* Calls fn for every source (name as passed to the callback). */
void sensor_foreach(const struct sensor *s, void (*fn)(void *arg, const char *source), void *arg);

/* True once stdin (the only finite source) has reached EOF. */
int sensor_stdin_done(const struct sensor *s);

const struct sensor_stats *sensor_get_stats(const struct sensor *s);

/* Where a source stands, for status (docs/sensor.md). */
enum sensor_state {
	SENSOR_OPEN,		/* being read */
	SENSOR_MISSING,		/* the file does not exist (yet); its directory is watched */
	SENSOR_WAITING,		/* the file's directory is missing or cannot be watched; rechecked */
	SENSOR_ERROR,		/* it exists but cannot be opened (detail says why) */
	SENSOR_CLOSED,		/* stdin reached its end */
};
const char *sensor_state_name(enum sensor_state st);

struct sensor_source_info {
	const char *name;	/* the path, "journal" or "stdin"; valid while the sensor is */
	enum sensor_state state;
	char detail[128];	/* "" or why (SENSOR_ERROR) */
	uint64_t lines;		/* delivered since the source was added */
	int64_t last_line;	/* unix seconds of the last line, 0: none yet */
	int64_t added;		/* unix seconds */
	int quiet;		/* nothing for the quiet period (sensor_set_quiet) */
};
size_t sensor_source_count(const struct sensor *s);
/* The i-th source (0 <= i < sensor_source_count). */
void sensor_source_get(const struct sensor *s, size_t i, struct sensor_source_info *out);
/* A source that delivers no line for secs (since the last one, or since it
 * was added) is logged once as a warning and shown as quiet; 0 turns this
 * off. Checked every SENSOR_RECHECK_SEC. */
void sensor_set_quiet(struct sensor *s, int64_t secs);

#endif
