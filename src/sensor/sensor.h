/* sensor.h - log sources: files (inotify, follows rotation and truncation),
 * the systemd journal, and stdin. A sensor hands out complete lines in
 * chunks; it never interprets them. */
#ifndef A5_SENSOR_H
#define A5_SENSOR_H

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

#endif
