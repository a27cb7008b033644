/* f2b_u8.h - a log line as fail2ban reads it: UTF-8, each bad sequence
 * replaced by U+FFFD as Python's 'replace' decoding does, with offsets in
 * the fixed text mapped back to the line's bytes. */
#ifndef A5_F2B_U8_H
#define A5_F2B_U8_H

#include <stddef.h>
#include <stdint.h>

enum {
	F2B_U8_ASCII,	/* no byte above 0x7f */
	F2B_U8_VALID,	/* valid UTF-8 */
	F2B_U8_FIXED,	/* bad sequences: the fixed text is buf[0..len) */
	F2B_U8_TOOBIG,	/* bad sequences, and too long or too many to fix */
};

struct f2b_u8 {
	char *buf;		/* the fixed text */
	size_t len, cap;
	uint32_t *rep;		/* each U+FFFD put in: offset in buf << 2 | bytes it replaced */
	size_t nrep, rep_cap;
};

/* Room to fix lines of up to max_line bytes. 0 or -1 (out of memory). */
int f2b_u8_init(struct f2b_u8 *u, size_t max_line);
void f2b_u8_free(struct f2b_u8 *u);

/* Classifies line[0..n) and, when it holds bad sequences, fixes it into
 * u->buf. No allocation. */
int f2b_u8_view(struct f2b_u8 *u, const char *line, size_t n);

/* The line's byte offset of offset off of the fixed text (off at a
 * character boundary). */
size_t f2b_u8_orig(const struct f2b_u8 *u, size_t off);

/* The value of the decimal digit (Unicode Nd, as Python's \\d and int()
 * take them) at s[0..n), with *len its bytes; -1 if none. */
int f2b_u8_digit(const char *s, size_t n, size_t *len);

#endif
