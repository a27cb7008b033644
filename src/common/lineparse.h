/* lineparse.h - what the line-oriented file parsers (configuration,
 * charter) share: "FILE:LINE: what is wrong, expected what" errors and
 * splitting a line into words. */
#ifndef A5_LINEPARSE_H
#define A5_LINEPARSE_H

#include <stddef.h>

struct lineparse {
	const char *name;	/* file name, for messages */
	int line;		/* current line, from 1 */
	char *err;
	size_t errlen;
};

/* Writes "NAME:LINE: message" into p->err; always returns -1. */
int lp_error(struct lineparse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Splits s in place into at most max space-separated words, stopping at a
 * '#' that starts a word. Returns the count, or -1 if there are more. */
int lp_split(char *s, char **words, int max);
/* -1 with "expected 'USAGE'" unless nw == want. */
int lp_want(struct lineparse *p, int nw, int want, const char *usage);

/* Reads a whole file of at most max bytes into a malloc'ed buffer (*out,
 * *len; NUL-terminated). 0, or -1 with "PATH: why" in err. */
int lp_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen);

#endif
