/* util.h - small shared helpers: time, durations, bounded string copies. */
#ifndef A5_UTIL_H
#define A5_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Wall clock in seconds / microseconds, and a monotonic clock in microseconds. */
int64_t now_sec(void);
int64_t now_usec(void);
int64_t mono_usec(void);

/* Parses "90", "90s", "10m", "1h", "2d", "1w" into seconds (max 10 years).
 * 0 or -1. */
int duration_parse(const char *s, int64_t *out);
/* Formats seconds as "1h30m" style text. */
void duration_format(int64_t secs, char *buf, size_t n);

/* Parses a base-10 unsigned integer in [min, max], the whole string. 0 or -1. */
int uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Copies at most n-1 bytes and NUL-terminates; returns true if it all fit. */
bool strlcpy_ok(char *dst, const char *src, size_t n);

/* Length of the well-formed UTF-8 sequence at s (1 to 4), or 0 if it is
 * not one (overlong forms, surrogates, past U+10FFFF, a cut sequence).
 * Reads no byte past a NUL: s must be NUL-terminated. */
size_t utf8_seq(const unsigned char *s);

/* Writes s as a JSON string (with quotes) into buf; escapes control bytes,
 * quotes, backslashes and non-UTF-8 bytes. Returns bytes written (truncated
 * safely if buf is short; always NUL-terminated). */
size_t json_escape(char *buf, size_t n, const char *s);

/* Writes all n bytes of buf to fd, retrying short writes and EINTR. 0, or
 * -1 with errno. */
int fd_write_all(int fd, const void *buf, size_t n);

#endif
