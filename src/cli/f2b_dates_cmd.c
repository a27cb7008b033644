/* f2b_dates_cmd.c - `article5 f2b-dates`, hidden: the date found in each
 * line of stdin, as fail2ban would find it (for tests/e2e/f2b-date-oracle.sh). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "f2b/f2b_date.h"

#define PATTERNS_MAX 32

static void
f2b_dates_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 f2b-dates [--datepattern P]... [--now SECS] [--dump] [--trace] < LINES\n"
	    "\n"
	    "For each line: 'START END TS' (the date is line[START..END), TS unix\n"
	    "seconds), 'START END bad' (a date text that makes no time), 'START END\n"
	    "empty' (an empty date text) or 'none'. Without --datepattern, fail2ban's\n"
	    "default templates. --dump lists the templates instead; --trace adds the\n"
	    "template that found each date, and its place in the current order.\n");
}

int
cmd_f2b_dates(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "datepattern", required_argument, NULL, 'p' },
		{ "now", required_argument, NULL, 'n' },
		{ "dump", no_argument, NULL, 'd' },
		{ "trace", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pats[PATTERNS_MAX];
	size_t npats = 0;
	int64_t now = now_sec();
	int dump = 0, trace = 0, c;

	while ((c = getopt_long(argc, argv, "p:n:dth", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (npats == PATTERNS_MAX) {
				fprintf(stderr, "article5 f2b-dates: at most %d datepatterns\n", PATTERNS_MAX);
				return 2;
			}
			pats[npats++] = optarg;
			break;
		case 'n': {
			uint64_t v;
			if (uint_parse(optarg, 0, INT64_MAX / 2, &v) != 0) {
				fprintf(stderr, "article5 f2b-dates: --now '%s': expected unix seconds\n", optarg);
				return 2;
			}
			now = (int64_t)v;
			break;
		}
		case 'd':
			dump = 1;
			break;
		case 't':
			trace = 1;
			break;
		case 'h':
			f2b_dates_usage(stdout);
			return 0;
		default:
			f2b_dates_usage(stderr);
			return 2;
		}
	}
	char err[512];
	struct f2b_dates *d = f2b_dates_new(pats, npats, err, sizeof(err));
	if (d == NULL) {
		fprintf(stderr, "article5 f2b-dates: %s\n", err);
		return 1;
	}
	if (dump) {
		for (size_t i = 0; i < f2b_dates_count(d); i++) {
			const char *name, *regex;
			unsigned flags;
			f2b_dates_template(d, i, &name, &regex, &flags);
			printf("%zu\t%u\t%s\t%s\n", i, flags, name, regex);
		}
		f2b_dates_free(d);
		return 0;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		size_t len = (size_t)n;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		struct f2b_date_hit hit;
		switch (f2b_dates_match(d, line, len, now, &hit)) {
		case F2B_DATE_FOUND:
			printf("%zu %zu %lld\n", hit.start, hit.end, (long long)hit.ts);
			break;
		case F2B_DATE_BADTIME:
			printf("%zu %zu bad\n", hit.start, hit.end);
			break;
		case F2B_DATE_EMPTY:
			printf("%zu %zu empty\n", hit.start, hit.end);
			break;
		default:
			printf("none\n");
			break;
		}
		if (trace && f2b_dates_last(d) != SIZE_MAX) {
			const char *name, *regex;
			unsigned flags;
			f2b_dates_template(d, f2b_dates_last(d), &name, &regex, &flags);
			printf("\t#%zu %s\n", f2b_dates_last(d), name);
		}
	}
	free(line);
	f2b_dates_free(d);
	return ferror(stdout) ? 1 : 0;
}
