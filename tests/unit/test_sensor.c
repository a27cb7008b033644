/* test_sensor.c - sensor: appends, partial and overlong lines, rename
 * rotation, copytruncate, replacement, late creation, saved positions,
 * line endings (CRLF, CR only), NUL padding,
 * bounded dispatch, stdin and the journal. Driven like the daemon drives it:
 * epoll_wait on sensor_fd, then sensor_dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "sensor/sensor.h"
#include "sensor/source.h"

#define WAIT_MS 2000	/* ceiling for expected data to show up */
#define SETTLE_MS 40	/* quiet time that must bring nothing more */

/* Everything the callback got, concatenated. */
struct got {
	char *buf;
	size_t len, cap;
	size_t calls;
	char source[256];
	int64_t ts;
};

static char tmpdir[64];
static struct got got;

static void
collect(void *arg, const char *source, const char *buf, size_t len, int64_t ts)
{
	struct got *g = arg;

	assert_true(len > 0);
	assert_int_equal(buf[len - 1], '\n');
	if (g->len + len > g->cap) {
		g->cap = (g->len + len) * 2;
		assert_non_null(g->buf = realloc(g->buf, g->cap));
	}
	memcpy(g->buf + g->len, buf, len);
	g->len += len;
	g->calls++;
	g->ts = ts;
	snprintf(g->source, sizeof(g->source), "%s", source);
}

static void
got_reset(void)
{
	got.len = 0;
	got.calls = 0;
	got.source[0] = '\0';
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/a5-sensor-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	got_reset();
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	(void)state;
	free(got.buf);
	memset(&got, 0, sizeof(got));
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop for up to ms, or until at least want bytes arrived. */
static void
pump(struct sensor *s, int ms, size_t want)
{
	int64_t end = ms_now() + ms;
	int epfd = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };

	assert_true(epfd >= 0);
	assert_int_equal(epoll_ctl(epfd, EPOLL_CTL_ADD, sensor_fd(s), &ev), 0);
	for (;;) {
		int64_t left = end - ms_now();
		int r;

		if (want > 0 && got.len >= want)
			break;
		if (left <= 0)
			break;
		r = epoll_wait(epfd, &ev, 1, (int)left);
		assert_true(r >= 0 || errno == EINTR);
		if (r <= 0)
			continue;
		while ((r = sensor_dispatch(s)) == 1)
			;
		assert_int_equal(r, 0);
	}
	close(epfd);
}

/* Exactly want arrives (nothing more within a settle period), then resets. */
static void
expect(struct sensor *s, const char *want)
{
	size_t n = strlen(want);

	if (n > 0)
		pump(s, WAIT_MS, n);
	pump(s, SETTLE_MS, 0);
	if (got.len != n || (n > 0 && memcmp(got.buf, want, n) != 0))
		fail_msg("expected \"%s\" (%zu bytes), got \"%.*s\" (%zu bytes)",
		    want, n, (int)got.len, got.buf ? got.buf : "", got.len);
	got_reset();
}

static void
path_of(char *buf, size_t n, const char *name)
{
	assert_true((size_t)snprintf(buf, n, "%s/%s", tmpdir, name) < n);
}

static void
put(const char *path, const char *data, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
append(const char *path, const char *data)
{
	put(path, data, strlen(data), O_APPEND);
}

static void
create(const char *path, const char *data)
{
	put(path, data, strlen(data), O_TRUNC);
}

static struct sensor *
follow(const char *path, const char *saved)
{
	struct sensor *s = sensor_new(collect, &got);
	char err[256];

	assert_non_null(s);
	if (sensor_add_file(s, path, saved, err, sizeof(err)) != 0)
		fail_msg("sensor_add_file: %s", err);
	return s;
}

static void
test_append(void **state)
{
	char path[128];
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "app.log");
	create(path, "history 1\nhistory 2\n");
	s = follow(path, NULL);
	expect(s, "");		/* history is not replayed */
	append(path, "a\nb\n");
	expect(s, "a\nb\n");
	append(path, "c\n");
	pump(s, WAIT_MS, 2);
	assert_string_equal(got.source, path);
	assert_int_equal(got.ts, 0);
	expect(s, "c\n");
	assert_int_equal(sensor_get_stats(s)->lines, 3);
	assert_int_equal(sensor_get_stats(s)->bytes, 6);
	sensor_free(s);
}

static void
test_partial_line(void **state)
{
	char path[128];
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "part.log");
	/* Started in the middle of a line being written: it comes whole. */
	create(path, "old\nhalf-");
	s = follow(path, NULL);
	expect(s, "");
	append(path, "done\nhel");
	expect(s, "half-done\n");
	append(path, "lo");
	expect(s, "");
	append(path, "\nworld\n");
	expect(s, "hello\nworld\n");
	sensor_free(s);
}

static void
test_rename_rotation(void **state)
{
	char path[128], rot[128];
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "rot.log");
	path_of(rot, sizeof(rot), "rot.log.1");
	create(path, "");
	s = follow(path, NULL);
	append(path, "a\n");
	expect(s, "a\n");

	/* Renamed; the writer still writes to it; then the new file. */
	assert_int_equal(rename(path, rot), 0);
	append(rot, "b\n");
	expect(s, "b\n");
	append(rot, "c\n");	/* after rename, before creation, unseen */
	create(path, "d\n");
	expect(s, "c\nd\n");
	/* A writer that reopens late: the old file is still drained. */
	append(rot, "e\n");
	expect(s, "e\n");
	append(path, "f\n");
	expect(s, "f\n");
	assert_int_equal(sensor_get_stats(s)->rotations, 1);

	/* A second rotation, everything before the sensor looks. */
	assert_int_equal(rename(path, rot), 0);
	append(rot, "g\n");
	create(path, "h\n");
	expect(s, "g\nh\n");
	assert_int_equal(sensor_get_stats(s)->rotations, 2);
	sensor_free(s);
}

static void
test_copytruncate(void **state)
{
	char path[128];
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "ct.log");
	create(path, "");
	s = follow(path, NULL);
	append(path, "1\n2\n");
	expect(s, "1\n2\n");
	assert_int_equal(truncate(path, 0), 0);
	append(path, "3\n");
	expect(s, "3\n");
	assert_int_equal(sensor_get_stats(s)->truncations, 1);

	/* Truncated and refilled past our offset before we looked: the size
	 * alone would not show it, the bytes before the offset do. */
	append(path, "short\n");
	expect(s, "short\n");
	assert_int_equal(truncate(path, 0), 0);
	append(path, "a much longer first line\n");
	expect(s, "a much longer first line\n");
	assert_int_equal(sensor_get_stats(s)->truncations, 2);
	assert_int_equal(sensor_get_stats(s)->rotations, 0);
	sensor_free(s);
}

static void
test_replace(void **state)
{
	char path[128], tmp[128];
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "rep.log");
	path_of(tmp, sizeof(tmp), "rep.log.new");
	create(path, "");
	s = follow(path, NULL);
	append(path, "x\n");
	expect(s, "x\n");

	/* unlink + create */
	assert_int_equal(unlink(path), 0);
	expect(s, "");
	create(path, "y\n");
	expect(s, "y\n");
	assert_int_equal(sensor_get_stats(s)->rotations, 1);

	/* mv new file */
	create(tmp, "z1\nz2\n");
	assert_int_equal(rename(tmp, path), 0);
	expect(s, "z1\nz2\n");
	append(path, "z3\n");
	expect(s, "z3\n");
	assert_int_equal(sensor_get_stats(s)->rotations, 2);
	sensor_free(s);
}

static void
test_created_later(void **state)
{
	char path[128], pos[128];
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "later.log");
	s = follow(path, NULL);
	expect(s, "");
	assert_int_equal(sensor_position(s, path, pos, sizeof(pos)), 0);
	/* A new file is read from its start. */
	create(path, "first\n");
	expect(s, "first\n");
	append(path, "second\n");
	expect(s, "second\n");
	assert_int_equal(sensor_position(s, path, pos, sizeof(pos)), 1);
	sensor_free(s);
}

/* The offset field of a "dev:ino:offset" position. */
static long long
pos_offset(const char *pos)
{
	const char *c = strrchr(pos, ':');

	assert_non_null(c);
	return strtoll(c + 1, NULL, 10);
}

static void
test_resume(void **state)
{
	char path[128], pos[128];
	struct stat st;
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "res.log");
	create(path, "a\nb\n");
	s = follow(path, NULL);
	assert_int_equal(sensor_position(s, path, pos, sizeof(pos)), 1);
	assert_int_equal(stat(path, &st), 0);
	{
		char want[128];

		snprintf(want, sizeof(want), "%ju:%ju:4", (uintmax_t)st.st_dev,
		    (uintmax_t)st.st_ino);
		assert_string_equal(pos, want);
	}
	append(path, "c\npart");
	expect(s, "c\n");
	/* The held partial line is not part of the position. */
	assert_int_equal(sensor_position(s, path, pos, sizeof(pos)), 1);
	assert_int_equal(pos_offset(pos), 6);
	{
		char small[4];

		assert_int_equal(sensor_position(s, path, small, sizeof(small)), 0);
	}
	sensor_free(s);

	/* Down for a while; then resumed: nothing lost, nothing repeated. */
	append(path, "ial\nd\n");
	s = follow(path, pos);
	expect(s, "partial\nd\n");
	/* A CRLF line cut after its CR: the CR is held too. */
	append(path, "e\r\nfg\r");
	expect(s, "e\n");
	assert_int_equal(sensor_position(s, path, pos, sizeof(pos)), 1);
	assert_int_equal(pos_offset(pos), 19);
	sensor_free(s);
	append(path, "\nh\r\n");
	s = follow(path, pos);
	expect(s, "fg\nh\n");
	sensor_free(s);
}

static void
test_resume_other_inode(void **state)
{
	char path[128], tmp[128], pos[128];
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "ino.log");
	path_of(tmp, sizeof(tmp), "ino.log.new");
	create(path, "old 1\nold 2\n");
	s = follow(path, NULL);
	assert_int_equal(sensor_position(s, path, pos, sizeof(pos)), 1);
	sensor_free(s);

	/* Rotated while down (both files exist at once: distinct inodes). */
	create(tmp, "n1\nn2\n");
	assert_int_equal(rename(tmp, path), 0);
	s = follow(path, pos);
	expect(s, "n1\nn2\n");
	sensor_free(s);

	/* Same inode, but shorter than the saved offset: truncated. */
	create(path, "n1\nn2\nn3\n");
	s = follow(path, NULL);
	assert_int_equal(sensor_position(s, path, pos, sizeof(pos)), 1);
	sensor_free(s);
	assert_int_equal(truncate(path, 0), 0);
	append(path, "t\n");
	s = follow(path, pos);
	expect(s, "t\n");
	assert_int_equal(sensor_get_stats(s)->truncations, 1);
	sensor_free(s);

	/* Malformed: ignored, start at the end. */
	s = follow(path, "12:x:3");
	expect(s, "");
	append(path, "u\n");
	expect(s, "u\n");
	sensor_free(s);
}

static char *
repeat(char c, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);
	char *b = malloc(n + sl + 1);

	assert_non_null(b);
	memset(b, c, n);
	memcpy(b + n, suffix, sl + 1);
	return b;
}

static void
test_long_lines(void **state)
{
	char path[128];
	struct sensor *s;
	char *in, *want;

	(void)state;
	path_of(path, sizeof(path), "long.log");
	create(path, "");
	s = follow(path, NULL);

	/* Exactly at the ceiling: intact. */
	in = repeat('a', SENSOR_LINE_MAX, "\n");
	append(path, in);
	expect(s, in);
	free(in);
	assert_int_equal(sensor_get_stats(s)->truncated, 0);

	/* Over it, in one read: dropped whole, never delivered in part. */
	in = repeat('x', SENSOR_LINE_MAX + 100, "\nshort\n");
	append(path, in);
	expect(s, "short\n");
	free(in);
	assert_int_equal(sensor_get_stats(s)->truncated, 1);

	/* Over it across reads: held, then dropped when it outgrows the ceiling. */
	in = repeat('y', 10000, "");
	append(path, in);
	expect(s, "");
	append(path, in);
	append(path, "\nok\n");
	expect(s, "ok\n");
	free(in);
	assert_int_equal(sensor_get_stats(s)->truncated, 2);

	/* Unterminated and overlong: dropped at once, the rest skipped later. */
	in = repeat('z', SENSOR_LINE_MAX + 5000, "");
	append(path, in);
	expect(s, "");
	append(path, "zzz\nafter\n");
	expect(s, "after\n");
	free(in);
	assert_int_equal(sensor_get_stats(s)->truncated, 3);

	/* A user name padded past the ceiling to push the client's own address
	 * out: the head that names the victim must not come out. */
	in = repeat('u', SENSOR_LINE_MAX, " from 203.0.113.5 port 22 ssh2\n");
	want = malloc(SENSOR_LINE_MAX + 200);
	assert_non_null(want);
	snprintf(want, SENSOR_LINE_MAX + 200, "Feb  5 14:34:10 h sshd[1]: Failed password for "
	    "invalid user x from 192.0.2.66 port 22 ssh2 %s", in);
	append(path, want);
	append(path, "next\n");
	expect(s, "next\n");
	free(in);
	free(want);
	assert_int_equal(sensor_get_stats(s)->truncated, 4);
	sensor_free(s);
}

/* CRLF (a log copied from another system), CR only (old Mac files), a CR
 * inside an LF line (data, not a line end), and each split across reads. */
static void
test_line_endings(void **state)
{
	char path[128];
	struct sensor *s;

	(void)state;
	path_of(path, sizeof(path), "crlf.log");
	create(path, "");
	s = follow(path, NULL);
	append(path, "a ssh2\r\nb\r\n");
	expect(s, "a ssh2\nb\n");
	append(path, "c\r");
	expect(s, "");
	append(path, "\nd\r\n");
	expect(s, "c\nd\n");
	append(path, "p\rq\r\n");		/* a lone CR in a CRLF stream is data */
	expect(s, "p\rq\n");
	sensor_free(s);

	path_of(path, sizeof(path), "cr.log");
	create(path, "");
	s = follow(path, NULL);
	append(path, "x ssh2\ry\r");
	expect(s, "x ssh2\ny\n");
	append(path, "z\r");
	expect(s, "z\n");
	append(path, "w\r\r");		/* an empty line */
	expect(s, "w\n\n");
	sensor_free(s);

	path_of(path, sizeof(path), "lf.log");
	create(path, "");
	s = follow(path, NULL);
	append(path, "first\n");
	expect(s, "first\n");
	/* An LF stream: a raw CR from client text cannot start a forged line. */
	append(path, "user x\rFeb  5 14:34:10 h sshd[1]: Failed\n");
	expect(s, "user x\rFeb  5 14:34:10 h sshd[1]: Failed\n");
	sensor_free(s);

	/* Nor as the very first line end of a new file (after a start or a
	 * rotation, before any LF told the stream's kind): the LF that ends
	 * the line in the same write says it is an LF stream. */
	path_of(path, sizeof(path), "first-cr.log");
	create(path, "");
	s = follow(path, NULL);
	append(path, "user x\rFeb  5 14:34:10 h sshd[1]: Failed\n");
	expect(s, "user x\rFeb  5 14:34:10 h sshd[1]: Failed\n");
	sensor_free(s);
}

/* Exactly want (which may hold NULs) arrives. */
static void
expect_bytes(struct sensor *s, const char *want, size_t n)
{
	pump(s, WAIT_MS, n);
	pump(s, SETTLE_MS, 0);
	if (got.len != n || memcmp(got.buf, want, n) != 0)
		fail_msg("expected %zu bytes, got \"%.*s\" (%zu bytes)", n, (int)got.len,
		    got.buf ? got.buf : "", got.len);
	got_reset();
}

/* A crash leaves NULs where lines were lost; the line written after it
 * starts behind them. NULs inside a line keep it one line. */
static void
test_nul_padding(void **state)
{
	char path[128];
	struct sensor *s;
	static const char pad[] = "\0\0\0\0\0\0\0\0Feb  5 14:34:10 h sshd[1]: ok\n";
	static const char mid[] = "a\0b\nc\n";
	static const char tail1[] = "\0\0", tail2[] = "\0x\0y\n";

	(void)state;
	path_of(path, sizeof(path), "nul.log");
	create(path, "");
	s = follow(path, NULL);
	put(path, pad, sizeof(pad) - 1, O_APPEND);
	expect(s, "Feb  5 14:34:10 h sshd[1]: ok\n");
	put(path, mid, sizeof(mid) - 1, O_APPEND);
	expect_bytes(s, mid, sizeof(mid) - 1);
	put(path, tail1, sizeof(tail1) - 1, O_APPEND);	/* a run split across reads */
	expect(s, "");
	put(path, tail2, sizeof(tail2) - 1, O_APPEND);
	expect_bytes(s, "x\0y\n", 4);
	/* invalid UTF-8 is just bytes */
	append(path, "\xff\xfe\xc3\x28 z\n");
	expect(s, "\xff\xfe\xc3\x28 z\n");
	sensor_free(s);
}

/* stdin: CRLF, CR-only, a CR at the very end of input, an overlong line. */
static void
test_stdin_forms(void **state)
{
	int saved = dup(STDIN_FILENO), p[2];
	char err[256], *in;
	struct sensor *s;

	(void)state;
	assert_true(saved >= 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	s = sensor_new(collect, &got);
	assert_non_null(s);
	if (sensor_add_stdin(s, err, sizeof(err)) != 0)
		fail_msg("sensor_add_stdin: %s", err);
	assert_int_equal(write(p[1], "s1\r\ns2\r", 7), 7);
	expect(s, "s1\n");
	assert_int_equal(write(p[1], "\ns3\r\n", 5), 5);
	expect(s, "s2\ns3\n");
	in = repeat('v', SENSOR_LINE_MAX + 1, "\r\nafter\r\n");
	assert_int_equal(write(p[1], in, strlen(in)), (ssize_t)strlen(in));
	expect(s, "after\n");
	free(in);
	assert_int_equal(sensor_get_stats(s)->truncated, 1);
	assert_int_equal(write(p[1], "fin\r", 4), 4);
	close(p[1]);
	expect(s, "fin\n");
	assert_true(sensor_stdin_done(s));
	sensor_free(s);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}

/* A journal MESSAGE: trailing CR/LF removed, one that does not fit is
 * refused whole (the entry is dropped, not cut). */
static void
test_journal_message(void **state)
{
	static char line[SENSOR_LINE_MAX + 1];
	char *msg;
	size_t o;

	(void)state;
	o = 9;
	memcpy(line, "sshd[1]: ", 9);
	assert_true(journal_message_append(line, &o, "Failed x ssh2\r\n", 15));
	assert_int_equal(o, 9 + 13);
	assert_memory_equal(line, "sshd[1]: Failed x ssh2", o);
	o = 9;
	assert_true(journal_message_append(line, &o, "a\nb\0c", 5));
	assert_memory_equal(line + 9, "a b c", 5);
	msg = repeat('m', SENSOR_LINE_MAX - 9, "");
	o = 9;
	assert_true(journal_message_append(line, &o, msg, strlen(msg)));
	assert_int_equal(o, SENSOR_LINE_MAX);
	free(msg);
	msg = repeat('m', SENSOR_LINE_MAX - 8, "");
	o = 9;
	assert_false(journal_message_append(line, &o, msg, strlen(msg)));
	free(msg);
}

static void
test_bounded_dispatch(void **state)
{
	char path[128];
	struct sensor *s;
	size_t nlines = 300000, len = 0;
	char *data = malloc(nlines * 16);
	int r;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < nlines; i++)
		len += (size_t)snprintf(data + len, 16, "line %08zu\n", i);
	path_of(path, sizeof(path), "bulk.log");
	create(path, "");
	s = follow(path, NULL);
	expect(s, "");
	put(path, data, len, O_APPEND);

	/* One call reads about 1 MiB, and says there is more. */
	r = sensor_dispatch(s);
	assert_int_equal(r, 1);
	assert_true(got.len > 0 && got.len <= 1024 * 1024);
	/* The daemon's loop dispatches only when sensor_fd is readable: what
	 * is left must keep it readable down to the last line, and then it
	 * goes quiet. */
	struct pollfd pfd = { .fd = sensor_fd(s), .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 1);
	for (int64_t end = ms_now() + 5000; got.len < len && ms_now() < end; )
		if (poll(&pfd, 1, 100) == 1)
			assert_true(sensor_dispatch(s) >= 0);
	assert_int_equal(got.len, len);
	for (int i = 0; i < 10 && poll(&pfd, 1, 0) == 1; i++)
		assert_int_equal(sensor_dispatch(s), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_memory_equal(got.buf, data, len);
	assert_int_equal(sensor_get_stats(s)->lines, nlines);
	/* Lines come in runs, not one callback each. */
	assert_true(got.calls < nlines / 100);
	got_reset();
	free(data);
	sensor_free(s);
}

static void
test_stdin(void **state)
{
	int saved = dup(STDIN_FILENO), p[2], fd;
	char err[256], path[128];
	struct sensor *s;

	(void)state;
	assert_true(saved >= 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	s = sensor_new(collect, &got);
	assert_non_null(s);
	if (sensor_add_stdin(s, err, sizeof(err)) != 0)
		fail_msg("sensor_add_stdin: %s", err);
	assert_int_equal(sensor_add_stdin(s, err, sizeof(err)), -1);
	assert_int_equal(write(p[1], "s1\ns2\nfin", 9), 9);
	pump(s, WAIT_MS, 6);
	assert_string_equal(got.source, "stdin");
	expect(s, "s1\ns2\n");
	assert_false(sensor_stdin_done(s));
	close(p[1]);
	expect(s, "fin\n");	/* the unterminated last line, at EOF */
	assert_true(sensor_stdin_done(s));
	assert_int_equal(sensor_position(s, "stdin", err, sizeof(err)), 0);
	sensor_free(s);
	/* The file status flags were put back. */
	assert_int_equal(fcntl(STDIN_FILENO, F_GETFL) & O_NONBLOCK, 0);

	/* A regular file on stdin (epoll refuses those). */
	path_of(path, sizeof(path), "stdin.txt");
	create(path, "r1\nr2\n");
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	s = sensor_new(collect, &got);
	assert_non_null(s);
	if (sensor_add_stdin(s, err, sizeof(err)) != 0)
		fail_msg("sensor_add_stdin: %s", err);
	expect(s, "r1\nr2\n");
	assert_true(sensor_stdin_done(s));
	sensor_free(s);

	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}

/* Well-formed, but from no journal, with a realtime far in the future. */
#define FUTURE_CURSOR "s=c71f20b0acc04c5cb4b11ff2a80eb151;i=15d;" \
	"b=0379e35acdb9418ea918ddb9e260a54a;m=3207072b;t=ffffffffffff;x=e1fc627a5fcae387"

static void
test_journal(void **state)
{
	const char *match[] = { "_SYSTEMD_UNIT=ssh.service", "_COMM=sshd" };
	const char *bad[] = { "no equals sign" };
	char err[256], cur[512];
	struct sensor *s;

	(void)state;
	s = sensor_new(collect, &got);
	assert_non_null(s);
	if (sensor_add_journal(s, match, 2, NULL, err, sizeof(err)) != 0) {
		sensor_free(s);
		if (strstr(err, "cannot open") != NULL)
			skip();
		fail_msg("sensor_add_journal: %s", err);
	}
	assert_int_equal(sensor_add_journal(s, match, 1, NULL, err, sizeof(err)), -1);
	pump(s, SETTLE_MS, 0);
	/* A cursor exists only if the journal holds a matching entry. */
	if (sensor_position(s, "journal", cur, sizeof(cur)) == 1) {
		sensor_free(s);
		s = sensor_new(collect, &got);
		assert_non_null(s);
		assert_int_equal(sensor_add_journal(s, match, 2, cur, err, sizeof(err)), 0);
		pump(s, SETTLE_MS, 0);
	}
	got_reset();
	sensor_free(s);

	/* Resumed from a cursor: it is the position until newer entries. */
	s = sensor_new(collect, &got);
	assert_non_null(s);
	assert_int_equal(sensor_add_journal(s, match, 1, FUTURE_CURSOR, err, sizeof(err)), 0);
	pump(s, SETTLE_MS, 0);
	assert_int_equal(sensor_position(s, "journal", cur, sizeof(cur)), 1);
	got_reset();
	sensor_free(s);

	s = sensor_new(collect, &got);
	assert_non_null(s);
	assert_int_equal(sensor_add_journal(s, bad, 1, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad match"));
	/* A failed add leaves no source behind. */
	assert_int_equal(sensor_position(s, "journal", cur, sizeof(cur)), 0);
	sensor_free(s);
}

static void
count_source(void *arg, const char *source)
{
	(void)source;
	(*(int *)arg)++;
}

static void
test_errors(void **state)
{
	char path[128], err[256];
	struct sensor *s;
	int n = 0;

	(void)state;
	s = sensor_new(collect, &got);
	assert_non_null(s);
	path_of(path, sizeof(path), "nodir/x.log");
	assert_int_equal(sensor_add_file(s, path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot watch directory"));
	path_of(path, sizeof(path), "");
	assert_int_equal(sensor_add_file(s, path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a file name"));
	path_of(path, sizeof(path), "other.log");	/* created below */
	assert_int_equal(sensor_add_file(s, path, NULL, err, sizeof(err)), 0);
	/* A failed add in the same directory keeps the shared watch. */
	path_of(path, sizeof(path), "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(sensor_add_file(s, path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	path_of(path, sizeof(path), "other.log");
	assert_int_equal(sensor_add_file(s, path, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already"));
	sensor_foreach(s, count_source, &n);
	assert_int_equal(n, 1);
	assert_int_equal(sensor_position(s, "nope", err, sizeof(err)), 0);
	assert_false(sensor_stdin_done(s));
	create(path, "o\n");
	expect(s, "o\n");
	sensor_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copytruncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_created_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_other_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_endings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_padding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin_forms, setup, teardown),
		cmocka_unit_test(test_journal_message),
		cmocka_unit_test_setup_teardown(test_bounded_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
