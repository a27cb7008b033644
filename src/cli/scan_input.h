/* scan_input.h - what `article5 scan` reads: a file or stdin, plain or
 * gzip-compressed (rotated logs), told apart by the gzip magic bytes. */
#ifndef A5_SCAN_INPUT_H
#define A5_SCAN_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct scan_input;

/* path "-" is stdin. NULL with err filled ("PATH: reason"). */
struct scan_input *scan_input_open(const char *path, char *err, size_t errlen);
/* Reads up to n bytes of the (decompressed) contents: the count, 0 at the
 * end, -1 with err filled. */
ssize_t scan_input_read(struct scan_input *in, char *buf, size_t n, char *err, size_t errlen);
/* Like scan_input_read, with line ends and NUL padding normalized
 * (common/eol.h: CRLF and CR-only to LF, NULs at a line's start dropped),
 * the state kept from one call to the next. buf has room for n bytes (at
 * least 2): at most n - 1 are read, and a '\r' that ended the previous read
 * may come back as a '\n' in front. *got: the bytes appended to buf (0 is
 * possible while data comes). Returns the bytes read from the input (0 at
 * the end), or -1 with err filled. */
ssize_t scan_input_read_lines(struct scan_input *in, char *buf, size_t n, size_t *got,
    char *err, size_t errlen);
/* Bytes of the file consumed so far and its size (0 if unknown). */
void scan_input_progress(const struct scan_input *in, uint64_t *done, uint64_t *total);
void scan_input_close(struct scan_input *in);

#endif
