/* scan_input.c - reads a log for `article5 scan`, inflating gzip files
 * (logrotate's auth.log.2.gz) through zlib when they start with its magic. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/scan_input.h"
#include "common/eol.h"

#define RAW_CHUNK (256 * 1024)

struct scan_input {
	const char *path;
	int fd;
	bool gz, eof, failed;	/* failed: report err on the next read */
	char err[256];
	z_stream zs;
	unsigned char *raw;	/* bytes read ahead: the magic, then gzip input */
	size_t rawpos, rawlen;
	uint64_t done, total;
	struct eol eol;		/* line ends and NUL padding, for read_lines */
};

/* Reads into in->raw (after what is left); 0 at end, -1 on error. */
static ssize_t
raw_fill(struct scan_input *in, char *err, size_t errlen)
{
	ssize_t n;

	if (in->rawpos > 0) {
		memmove(in->raw, in->raw + in->rawpos, in->rawlen - in->rawpos);
		in->rawlen -= in->rawpos;
		in->rawpos = 0;
	}
	do
		n = read(in->fd, in->raw + in->rawlen, RAW_CHUNK - in->rawlen);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", in->path, strerror(errno));
		return -1;
	}
	in->rawlen += (size_t)n;
	in->done += (uint64_t)n;
	return n;
}

struct scan_input *
scan_input_open(const char *path, char *err, size_t errlen)
{
	struct scan_input *in = calloc(1, sizeof(*in));

	if (in == NULL || (in->raw = malloc(RAW_CHUNK)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	in->path = path;
	eol_init(&in->eol);
	in->fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (in->fd != 0) {
		off_t end = lseek(in->fd, 0, SEEK_END);
		in->total = end > 0 ? (uint64_t)end : 0;
		if (lseek(in->fd, 0, SEEK_SET) != 0 && end > 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
	}
	/* Two bytes decide; a pipe may hand them out one at a time. */
	while (in->rawlen < 2) {
		ssize_t n = raw_fill(in, err, errlen);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
	}
	if (in->rawlen >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		in->gz = true;
		/* 16 + MAX_WBITS: gzip framing only */
		if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK) {
			snprintf(err, errlen, "%s: cannot start decompressing", path);
			in->gz = false;
			goto fail;
		}
	}
	return in;
fail:
	scan_input_close(in);
	return NULL;
}

static ssize_t
gz_inflate(struct scan_input *in, char *buf, size_t n, char *err, size_t errlen)
{
	in->zs.next_out = (unsigned char *)buf;
	in->zs.avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	while (in->zs.avail_out > 0 && !in->eof) {
		if (in->rawpos == in->rawlen) {
			ssize_t r = raw_fill(in, err, errlen);
			if (r < 0)
				return -1;
			if (r == 0) {
				snprintf(err, errlen, "%s: unexpected end of compressed data", in->path);
				return -1;
			}
		}
		in->zs.next_in = in->raw + in->rawpos;
		in->zs.avail_in = (uInt)(in->rawlen - in->rawpos);
		int rc = inflate(&in->zs, Z_NO_FLUSH);
		in->rawpos = in->rawlen - in->zs.avail_in;
		if (rc == Z_STREAM_END) {
			/* Another member may follow (cat a.gz b.gz); anything else
			 * after the end is ignored, as gzip(1) does. */
			if (in->rawpos == in->rawlen && raw_fill(in, err, errlen) < 0)
				return -1;
			if (in->rawlen - in->rawpos >= 2 && in->raw[in->rawpos] == 0x1f &&
			    in->raw[in->rawpos + 1] == 0x8b)
				inflateReset(&in->zs);
			else
				in->eof = true;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(err, errlen, "%s: corrupt compressed data (%s)", in->path,
			    in->zs.msg ? in->zs.msg : "inflate failed");
			return -1;
		}
	}
	return (ssize_t)((size_t)(in->zs.next_out - (unsigned char *)buf));
}

/* What was inflated before an error (a truncated .gz, still being written
 * or cut short) is handed out first; the error comes with the next read. */
static ssize_t
gz_read(struct scan_input *in, char *buf, size_t n, char *err, size_t errlen)
{
	ssize_t r;

	if (in->failed) {
		snprintf(err, errlen, "%s", in->err);
		return -1;
	}
	r = gz_inflate(in, buf, n, in->err, sizeof(in->err));
	if (r >= 0)
		return r;
	size_t got = (size_t)(in->zs.next_out - (unsigned char *)buf);
	if (got > 0) {
		in->failed = true;
		return (ssize_t)got;
	}
	snprintf(err, errlen, "%s", in->err);
	return -1;
}

ssize_t
scan_input_read(struct scan_input *in, char *buf, size_t n, char *err, size_t errlen)
{
	ssize_t r;

	if (in->gz)
		return gz_read(in, buf, n, err, errlen);
	if (in->rawpos < in->rawlen) {	/* the bytes read to look for the magic */
		size_t k = in->rawlen - in->rawpos < n ? in->rawlen - in->rawpos : n;
		memcpy(buf, in->raw + in->rawpos, k);
		in->rawpos += k;
		return (ssize_t)k;
	}
	do
		r = read(in->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", in->path, strerror(errno));
		return -1;
	}
	in->done += (uint64_t)r;
	return r;
}

void
scan_input_progress(const struct scan_input *in, uint64_t *done, uint64_t *total)
{
	*done = in->done;
	*total = in->total;
}

ssize_t
scan_input_read_lines(struct scan_input *in, char *buf, size_t n, size_t *got,
    char *err, size_t errlen)
{
	size_t ins = 0;
	ssize_t r;

	*got = 0;
	if (n < 2) {
		snprintf(err, errlen, "%s: no room to read into", in->path);
		return -1;
	}
	/* One byte kept free: a '\r' that ended the last read may turn into a
	 * '\n' in front of this one. */
	if ((r = scan_input_read(in, buf, n - 1, err, errlen)) < 0)
		return -1;
	if (in->eol.cr_pending) {
		/* settled by the byte after it; not normalized again */
		int ch = eol_carry(&in->eol, r > 0 ? (unsigned char)buf[0] : -1);
		if (ch != 0) {
			memmove(buf + 1, buf, (size_t)r);
			buf[0] = (char)ch;
			ins = 1;
		}
	}
	*got = ins + eol_fix(&in->eol, buf + ins, (size_t)r);
	return r;
}

void
scan_input_close(struct scan_input *in)
{
	if (in == NULL)
		return;
	if (in->gz)
		inflateEnd(&in->zs);
	if (in->fd > 0)
		close(in->fd);
	free(in->raw);
	free(in);
}
