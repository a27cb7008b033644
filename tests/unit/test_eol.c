/* test_eol.c - line endings and NUL padding normalized the same whatever
 * the chunk boundaries: every input cut at every position. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "common/eol.h"

/* Feeds in[0..n) as two chunks cut at `cut`, the way sensor/lines.c does. */
static size_t
run(const char *in, size_t n, size_t cut, char *out)
{
	struct eol e;
	char buf[256];
	size_t o = 0;
	size_t parts[2][2] = { { 0, cut }, { cut, n } };

	eol_init(&e);
	for (int k = 0; k < 2; k++) {
		size_t len = parts[k][1] - parts[k][0];
		if (len == 0)
			continue;
		memcpy(buf, in + parts[k][0], len);
		if (e.cr_pending) {
			int c = eol_carry(&e, (unsigned char)buf[0]);
			if (c != 0)
				out[o++] = (char)c;
		}
		len = eol_fix(&e, buf, len);
		memcpy(out + o, buf, len);
		o += len;
	}
	if (e.cr_pending && eol_carry(&e, -1) != 0)
		out[o++] = '\n';
	return o;
}

static void
check(const char *in, size_t n, const char *want, size_t wn)
{
	char out[256];

	assert_true(n < 200);
	for (size_t cut = 0; cut <= n; cut++) {
		size_t o = run(in, n, cut, out);
		if (o != wn || memcmp(out, want, wn) != 0)
			fail_msg("input %zu bytes cut at %zu: got %zu bytes \"%.*s\", expected \"%s\"",
			    n, cut, o, (int)o, out, want);
	}
}

#define CHECK(in, want) check(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void
test_forms(void **state)
{
	(void)state;
	CHECK("a\nb\n", "a\nb\n");
	CHECK("a\r\nb\r\n", "a\nb\n");			/* CRLF */
	CHECK("a\rb\r", "a\nb\n");			/* CR only */
	CHECK("a\r\rb\r", "a\n\nb\n");
	CHECK("a\rb\r\nc\n", "a\nb\nc\n");		/* a CR stream turning LF */
	CHECK("a\nb\rc\n", "a\nb\rc\n");		/* a lone CR in an LF stream: data */
	CHECK("a\r\nb\rc\r\n", "a\nb\rc\n");
	CHECK("\0\0\0a\n\0\0b\n", "a\nb\n");		/* NUL runs at line starts */
	CHECK("a\0b\n", "a\0b\n");			/* inside a line: kept */
	CHECK("\0\0a\r\n\0b\r\n", "a\nb\n");
	CHECK("\xff\xfe\xc3\x28\r\n", "\xff\xfe\xc3\x28\n");
	CHECK("x\r", "x\n");				/* a CR at the end of input */
	CHECK("\r\n", "\n");
	CHECK("\0\0\0", "");
}

/* The rules, one byte at a time over the whole input: what any chunking
 * must give. */
static size_t
reference(const char *in, size_t n, char *out)
{
	int mode = EOL_UNKNOWN;
	bool in_line = false;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '\0' && !in_line)
			continue;
		if (c == '\r') {
			if (i + 1 < n && in[i + 1] == '\n') {
				if (mode == EOL_UNKNOWN)
					mode = EOL_LF;
				continue;
			}
			if (mode == EOL_UNKNOWN)
				mode = EOL_CR;
			if (mode == EOL_CR || i + 1 == n)
				c = '\n';
		} else if (c == '\n')
			mode = EOL_LF;
		out[o++] = c;
		in_line = c != '\n';
	}
	return o;
}

static void
test_random(void **state)
{
	static const char alphabet[] = { 'a', '\r', '\n', '\0', 'b' };
	char in[64], want[64], out[256];
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = 1 + (seed = seed * 1103515245 + 12345) % 40;
		for (size_t i = 0; i < n; i++)
			in[i] = alphabet[((seed = seed * 1103515245 + 12345) >> 16 & 0xff) % 5];
		size_t wn = reference(in, n, want);
		for (size_t cut = 0; cut <= n; cut++) {
			size_t o = run(in, n, cut, out);
			if (o != wn || memcmp(out, want, wn) != 0)
				fail_msg("round %d, %zu bytes cut at %zu: %zu bytes out, expected %zu",
				    round, n, cut, o, wn);
		}
	}
}

/* eol_init_strict (the daemon's live logs): a lone CR before any line end
 * is data when an LF follows in the same chunk; a CR-only chunk still
 * splits. */
static void
test_strict(void **state)
{
	struct eol e;
	char buf[64];
	size_t n;

	(void)state;
	eol_init_strict(&e);
	strcpy(buf, "user x\rforged line\n");
	n = eol_fix(&e, buf, strlen(buf));
	assert_int_equal(n, strlen("user x\rforged line\n"));
	assert_memory_equal(buf, "user x\rforged line\n", n);
	eol_init_strict(&e);
	strcpy(buf, "a\rb\r");
	n = eol_fix(&e, buf, strlen(buf));
	assert_memory_equal(buf, "a\nb", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
