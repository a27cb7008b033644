/* eol.h - line endings as real systems write them (LF, CRLF, CR only) and
 * the NUL padding a crash leaves, normalized in place to LF lines. */
#ifndef A5_EOL_H
#define A5_EOL_H

#include <stdbool.h>
#include <stddef.h>

enum eol_mode { EOL_UNKNOWN, EOL_LF, EOL_CR };

/* Per stream. The mode is taken from the stream's first line end: a '\r'
 * not followed by '\n' makes it a CR-only stream (old Mac files), where
 * every '\r' ends a line; anything else (LF, CRLF) makes it LF, where a
 * '\r' right before '\n' is dropped and any other '\r' is line data (never a
 * line end: client text with a raw CR must not start a forged line). A '\n'
 * in a CR stream switches it to LF for good. */
struct eol {
	unsigned char mode;	/* enum eol_mode */
	bool cr_pending;	/* the last chunk ended with a '\r', removed */
	bool swallow_lf;	/* ... in a CR stream, already a line end */
	bool in_line;		/* false: the next byte starts a line (NULs
				 * there are skipped); all-zero is the start */
	bool strict;		/* see eol_init_strict */
};

void eol_init(struct eol *e);
/* For a log that others write into while it is read (the daemon's sensor):
 * a lone '\r' makes the stream CR-only only when no '\n' follows it in the
 * same chunk. Otherwise a client's raw CR as the first line end after a
 * start or a rotation ("user x\rFeb  5 ... sshd[1]: Failed ... from V\n")
 * would make the stream CR-only and deliver the forged text as a line. A
 * real CR-only file has no '\n' at all. */
void eol_init_strict(struct eol *e);
/* Normalizes buf[0..len) in place and returns the new length (never more):
 * CRLF -> LF, a lone CR -> LF in a CR stream, NUL bytes at the start of a
 * line dropped (a crash leaves a run of them before the next line written;
 * NULs inside a line are kept, the line stays one line). A '\r' ending
 * buf is removed and remembered: call eol_carry with the next byte first. */
size_t eol_fix(struct eol *e, char *buf, size_t len);
/* Settles a remembered '\r' given the byte that follows it (-1 at the end
 * of input): returns '\n' (it ended a line), '\r' (it was data) or 0 (the
 * '\n' that follows completes it: nothing to add). */
int eol_carry(struct eol *e, int next);

#endif
