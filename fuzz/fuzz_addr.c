/* fuzz_addr.c - libFuzzer target: address, prefix, timestamp and syslog
 * header parsing, the text an attacker writes into log lines. Checks what
 * the rest of the code relies on: a parsed prefix is canonical, formats to
 * text that parses back to itself, and contains itself; a syslog header
 * stays inside the line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/timeparse.h"
#include "rules/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const struct a5_prefix *p, int (*parse)(const char *, size_t, struct a5_prefix *))
{
	char text[A5_PREFIX_STRLEN];
	struct a5_prefix q;

	if (prefix_check(p) != NULL)
		abort();
	if (!prefix_contains(p, p) || !prefix_overlaps(p, p))
		abort();
	prefix_format(p, text, sizeof(text));
	if (parse(text, strlen(text), &q) != 0 || !prefix_equal(p, &q))
		abort();
	/* every shorter prefix contains it; a longer one cut from it is inside */
	q = *p;
	prefix_truncate(&q, p->len / 2);
	if (!prefix_contains(&q, p) || (p->len > 0 && prefix_contains(p, &q) && !prefix_equal(p, &q)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct a5_prefix p;
	struct syslog_hdr h;

	if (addr_parse(s, size, &p) == 0) {
		if (p.len != prefix_maxlen(&p))
			abort();	/* an address is a full-length prefix */
		round_trip(&p, addr_parse);
	}
	/* prefix_parse also reads the special-purpose table ("::ffff:0:0/96");
	 * what takes hostile text checks the result with prefix_check. */
	if (prefix_parse(s, size, &p) == 0 && prefix_check(&p) == NULL)
		round_trip(&p, prefix_parse);
	(void)time_parse_line(s, size, 1800000000);
	(void)time_parse_line(s, size, 0);
	if (syslog_parse(s, size, &h) == 0) {
		if (h.msg > size || h.msglen > size - h.msg || h.prog < s ||
		    h.prog + h.proglen > s + size || h.repeat < 1 || h.repeat > SYSLOG_REPEAT_MAX)
			abort();
	}
	return 0;
}
