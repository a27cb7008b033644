/* test_scan_pipe.c - scan's matching threads (cli/scan_pipe.c): blocks
 * matched by several workers come back in submission order with the same
 * matches, line numbers and per-rule counts as one thread scanning the
 * whole text; overlong and skipped lines are counted where they were. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/scan_pipe.h"
#include "rules/rules.h"

#define LINE_MAX_TEST 200
#define NLINES 20000

/* One match as the detector would see it: line number and rule, address. */
struct seen {
	uint64_t line;
	int rule;
	char addr[A5_PREFIX_STRLEN];
};

struct collect {
	struct seen *v;
	size_t n, cap;
	uint64_t base;		/* lines before the current block */
	uint64_t overlong, skipped, blocks;
};

static void
collect_add(struct collect *c, uint64_t line, const struct rules_match *m)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		assert_non_null(c->v);
	}
	c->v[c->n].line = line;
	c->v[c->n].rule = m->rule;
	if (m->has_addr)
		prefix_format(&m->addr, c->v[c->n].addr, sizeof(c->v[c->n].addr));
	else
		c->v[c->n].addr[0] = '\0';
	c->n++;
}

static void
on_direct(void *arg, const struct rules_match *m)
{
	struct collect *c = arg;

	collect_add(c, c->base + m->line_index, m);
}

static void
on_block(void *arg, const struct scan_pipe_block *b)
{
	struct collect *c = arg;

	assert_int_equal(b->failed, 0);
	c->base += b->skipped;
	c->skipped += b->skipped;
	for (size_t i = 0; i < b->nmatches; i++)
		collect_add(c, c->base + b->matches[i].line_index, &b->matches[i]);
	c->base += b->lines;
	c->overlong += b->overlong;
	c->blocks++;
}

/* NLINES lines: failures from many addresses, noise, and every 997th line
 * over LINE_MAX_TEST (carrying an address that must not count). */
static char *
make_log(size_t *len)
{
	size_t cap = (size_t)NLINES * 400, n = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (unsigned i = 0; i < NLINES; i++) {
		int w;
		if (i % 997 == 500)
			w = snprintf(buf + n, cap - n, "Mar  1 00:%02u:%02u srv sshd[%u]: Failed password "
			    "for %0250u from 192.0.2.99 port 1 ssh2\n", i / 60 % 60, i % 60, i, i);
		else if (i % 3 == 0)
			w = snprintf(buf + n, cap - n, "Mar  1 00:%02u:%02u srv sshd[%u]: Failed password "
			    "for root from 198.18.%u.%u port %u ssh2\n", i / 60 % 60, i % 60, 1000 + i % 50,
			    i / 256 % 256, i % 256, 1024 + i);
		else if (i % 3 == 1)
			w = snprintf(buf + n, cap - n, "Mar  1 00:%02u:%02u srv sshd[%u]: Invalid user u%u "
			    "from 2001:db8::%x port 22\n", i / 60 % 60, i % 60, 1000 + i % 50, i, i);
		else
			w = snprintf(buf + n, cap - n, "Mar  1 00:%02u:%02u srv CRON[%u]: session opened "
			    "for user root\n", i / 60 % 60, i % 60, i);
		assert_true(w > 0 && (size_t)w < cap - n);
		n += (size_t)w;
	}
	*len = n;
	return buf;
}

static struct ruleset *
load_rules(void)
{
	struct ruleset *rs = rules_new();
	char err[512];

	assert_non_null(rs);
	if (rules_load_dir(rs, A5_SRCDIR "/etc/rules", err, sizeof(err)) != 0 ||
	    rules_compile(rs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return rs;
}

static void
test_same_as_one_thread(void **state)
{
	struct ruleset *rs = load_rules();
	struct rules_scratch *sc = rules_scratch_new(rs);
	struct collect ref, got;
	uint64_t lines = 0, overlong = 0;
	size_t len;
	char *log = make_log(&len), err[256];

	(void)state;
	assert_non_null(sc);
	memset(&ref, 0, sizeof(ref));
	memset(&got, 0, sizeof(got));
	assert_int_equal(scan_lines(rs, sc, log, len, LINE_MAX_TEST, on_direct, &ref, &lines,
	    &overlong), 0);
	assert_int_equal(lines, NLINES);
	assert_int_equal(overlong, NLINES / 997 + (NLINES % 997 > 500));
	assert_true(ref.n > NLINES / 2);

	for (unsigned workers = 1; workers <= 3; workers++) {
		/* small buffers: many blocks, each cut at a newline */
		const size_t bufsize = 4096;
		struct scan_pipe *p = scan_pipe_new(rs, NULL, workers, bufsize, LINE_MAX_TEST,
		    err, sizeof(err));
		size_t off = 0, have = 0;
		char *buf;

		assert_non_null(p);
		memset(&got, 0, sizeof(got));
		buf = scan_pipe_buffer(p);
		/* a dropped line first: every later line number moves by one */
		scan_pipe_skip(p);
		while (off < len || have > 0) {
			size_t take = len - off < bufsize - have ? len - off : bufsize - have;
			/* uneven reads, as the input gives them */
			if (take > 700 + off % 900)
				take = 700 + off % 900;
			memcpy(buf + have, log + off, take);
			off += take;
			have += take;
			const char *nl = memrchr(buf, '\n', have);
			size_t upto = off == len ? have : nl != NULL ? (size_t)(nl - buf) + 1 : 0;
			assert_true(upto > 0 || have < bufsize);
			if (upto > 0) {
				buf = scan_pipe_submit(p, upto, have - upto, on_block, &got);
				have -= upto;
			}
		}
		scan_pipe_drain(p, on_block, &got);
		assert_true(got.blocks > 100);
		assert_int_equal(got.skipped, 1);
		assert_int_equal(got.base, NLINES + 1);
		assert_int_equal(got.overlong, overlong);
		assert_int_equal(got.n, ref.n);
		for (size_t i = 0; i < ref.n; i++) {
			assert_int_equal(got.v[i].line, ref.v[i].line + 1);
			assert_int_equal(got.v[i].rule, ref.v[i].rule);
			assert_string_equal(got.v[i].addr, ref.v[i].addr);
			assert_string_not_equal(got.v[i].addr, "192.0.2.99");
		}
		for (size_t r = 0; r < rules_count(rs); r++)
			assert_int_equal(scan_pipe_hits(p, (int)r), rules_scratch_hits(sc, (int)r));
		assert_int_equal(scan_pipe_limit_hits(p), 0);
		scan_pipe_free(p);
		free(got.v);
	}
	free(ref.v);
	free(log);
	rules_scratch_free(sc);
	rules_free(rs);
}

static void
test_bad_worker_count(void **state)
{
	struct ruleset *rs = load_rules();
	char err[256];

	(void)state;
	assert_null(scan_pipe_new(rs, NULL, 0, 4096, LINE_MAX_TEST, err, sizeof(err)));
	assert_non_null(strstr(err, "expected 1.."));
	assert_null(scan_pipe_new(rs, NULL, SCAN_PIPE_WORKERS_MAX + 1, 4096, LINE_MAX_TEST, err,
	    sizeof(err)));
	/* a pipe freed with blocks still in flight stops cleanly */
	struct scan_pipe *p = scan_pipe_new(rs, NULL, 2, 4096, LINE_MAX_TEST, err, sizeof(err));
	assert_non_null(p);
	char *buf = scan_pipe_buffer(p);
	struct collect got;
	memset(&got, 0, sizeof(got));
	for (int i = 0; i < 20; i++) {
		int n = snprintf(buf, 4096, "Mar  1 00:00:00 srv sshd[1]: Failed password for root "
		    "from 198.18.0.%d port 1 ssh2\n", i);
		buf = scan_pipe_submit(p, (size_t)n, 0, on_block, &got);
	}
	scan_pipe_free(p);
	free(got.v);
	rules_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_one_thread),
		cmocka_unit_test(test_bad_worker_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
