/* eol.c - normalizes line endings (CRLF, CR-only) and crash NUL padding in
 * place, with a fast path for the common clean LF chunk. */
#include <string.h>

#include "common/eol.h"

void
eol_init(struct eol *e)
{
	memset(e, 0, sizeof(*e));	/* all zero: mode unknown, at a line start */
}

void
eol_init_strict(struct eol *e)
{
	eol_init(e);
	e->strict = true;
}

int
eol_carry(struct eol *e, int next)
{
	if (!e->cr_pending)
		return 0;
	e->cr_pending = false;
	if (next == '\n') {
		if (e->mode == EOL_UNKNOWN)
			e->mode = EOL_LF;
		return 0;
	}
	if (next < 0) {
		e->in_line = false;
		return '\n';
	}
	if (e->mode == EOL_UNKNOWN)
		e->mode = EOL_CR;
	if (e->mode == EOL_CR) {
		e->in_line = false;
		return '\n';
	}
	e->in_line = true;
	return '\r';
}

size_t
eol_fix(struct eol *e, char *buf, size_t len)
{
	size_t o = 0, i = 0;
	const char *cr, *nul;

	if (len == 0)
		return 0;
	if (e->swallow_lf) {
		e->swallow_lf = false;
		if (buf[0] == '\n') {	/* the LF of a CRLF cut between chunks */
			e->mode = EOL_LF;
			i = 1;
		}
	}
	cr = memchr(buf + i, '\r', len - i);
	nul = memchr(buf + i, '\0', len - i);
	/* Fast path, nearly every chunk: nothing to change. Two memchr passes
	 * run at memory speed, far below the cost of matching. */
	if (i == 0 && cr == NULL && nul == NULL) {
		if (e->mode != EOL_LF && memchr(buf, '\n', len) != NULL)
			e->mode = EOL_LF;
		e->in_line = buf[len - 1] != '\n';
		return len;
	}
	while (i < len) {
		size_t stop = cr != NULL ? (size_t)(cr - buf) : len;
		if (nul != NULL && (size_t)(nul - buf) < stop)
			stop = (size_t)(nul - buf);
		if (stop > i) {
			/* A run without CR or NUL moves as a block (CRLF files:
			 * one memmove per line, not a loop over bytes). */
			size_t n = stop - i;
			if (e->mode != EOL_LF && memchr(buf + i, '\n', n) != NULL)
				e->mode = EOL_LF;
			if (o != i)
				memmove(buf + o, buf + i, n);
			o += n;
			i = stop;
			e->in_line = buf[o - 1] != '\n';
			continue;
		}
		char c = buf[i];
		if (c == '\0') {
			nul = i + 1 < len ? memchr(buf + i + 1, '\0', len - i - 1) : NULL;
			i++;
			if (e->in_line)		/* inside a line: kept */
				buf[o++] = '\0';
			continue;
		}
		cr = i + 1 < len ? memchr(buf + i + 1, '\r', len - i - 1) : NULL;
		if (i + 1 < len && buf[i + 1] == '\n') {
			if (e->mode == EOL_UNKNOWN)
				e->mode = EOL_LF;
			i++;			/* the '\n' starts the next run */
			continue;
		}
		if (i + 1 == len && e->mode != EOL_CR) {
			e->cr_pending = true;	/* the next chunk decides */
			break;
		}
		if (e->mode == EOL_UNKNOWN)
			e->mode = e->strict && memchr(buf + i + 1, '\n', len - i - 1) != NULL ?
			    EOL_LF : EOL_CR;
		if (e->mode == EOL_CR) {
			/* Ending the chunk: a line end now, not when the next
			 * line comes; a '\n' right after is its pair. */
			e->swallow_lf = i + 1 == len;
			c = '\n';
		}
		buf[o++] = c;
		e->in_line = c != '\n';
		i++;
	}
	return o;
}
