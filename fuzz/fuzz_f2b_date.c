/* fuzz_f2b_date.c - libFuzzer target: fail2ban's date detection
 * (f2b_datepat.c, f2b_date.c). The first line of the input is a filter's
 * datepattern, compiled with f2b_dates_new and run over the other lines
 * (f2b_dates_find and f2b_dates_match); the default templates run over
 * every line. Checks find's contract: a hit lies inside its line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_date.h"

#define REF 1800000000

static struct f2b_dates *defaults;

static void
check(int rc, const struct f2b_date_hit *h, size_t len)
{
	if (rc != 0 && (h->start > h->end || h->end > len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], pat[4096];
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t plen = nl ? (size_t)(nl - text) : size;
	struct f2b_date_hit h;

	if (defaults == NULL && (defaults = f2b_dates_new(NULL, 0, err, sizeof(err))) == NULL)
		abort();
	if (plen >= sizeof(pat))
		plen = sizeof(pat) - 1;
	memcpy(pat, text, plen);
	pat[plen] = '\0';
	const char *pats[1] = { pat };
	struct f2b_dates *d = f2b_dates_new(pats, 1, err, sizeof(err));
	for (const char *p = text, *end = text + size; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t len = e ? (size_t)(e - p) : (size_t)(end - p);
		int rc;
		if (d != NULL && p != text) {
			rc = f2b_dates_find(d, p, len, REF, &h);
			check(rc, &h, len);
			rc = f2b_dates_match(d, p, len, REF, &h);
			check(rc, &h, len);
		}
		rc = f2b_dates_find(defaults, p, len, REF, &h);
		check(rc, &h, len);
		p += len + 1;
	}
	if (d != NULL) {
		const char *name, *regex;
		unsigned flags;
		for (size_t i = 0; i < f2b_dates_count(d); i++)
			(void)f2b_dates_template(d, i, &name, &regex, &flags);
	}
	f2b_dates_free(d);
	return 0;
}
