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
/* Bytes of the file consumed so far and its size (0 if unknown). */
void scan_input_progress(const struct scan_input *in, uint64_t *done, uint64_t *total);
void scan_input_close(struct scan_input *in);

#endif
