/* fuzz_rules.c - libFuzzer target: the shipped rules and the detector over
 * arbitrary log text (line ends, line matching, address and timestamp
 * parsing). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/eol.h"
#include "common/timeparse.h"
#include "detector/detector.h"
#include "rules/rules.h"

static struct ruleset *rs;
static struct rules_scratch *sc;
static struct detector *det;
static struct time_ctx tc;

static void
on_match(void *arg, const struct rules_match *m)
{
	struct det_event ev;
	struct det_result r;

	(void)arg;
	det_event_from_match(m, time_ctx_parse(&tc, m->line, m->len), &ev);
	for (unsigned i = 0; i < m->repeat; i++)
		det_feed(det, &ev, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (rs == NULL) {
		char err[1024];
		static struct det_service svc[RULES_SERVICES_MAX];
		rs = rules_new();
		if (rules_load_dir(rs, A5_SRCDIR "/etc/rules", err, sizeof(err)) != 0 ||
		    rules_compile(rs, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
		for (size_t i = 0; i < rules_service_count(rs); i++)
			svc[i] = (struct det_service){ 3, 600, false };
		struct det_config dc = { 64, 1000, 100, rules_service_count(rs), svc };
		det = det_new(&dc);
		sc = rules_scratch_new(rs);
	}
	(void)time_parse_line((const char *)data, size, 1800000000);
	time_ctx_init(&tc, 1800000000, true);
	if (size > 0)
		rules_scan(rs, sc, (const char *)data, size, on_match, NULL);
	/* The same text through the line-end normalization scan and the
	 * sensor use: never longer, and still scannable. */
	char *copy = malloc(size + 1);
	struct eol e;
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	eol_init(&e);
	size_t n = eol_fix(&e, copy, size);
	if (n > size)
		abort();
	if (n > 0)
		rules_scan(rs, sc, copy, n, on_match, NULL);
	free(copy);
	return 0;
}
