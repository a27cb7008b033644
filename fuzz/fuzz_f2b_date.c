/* fuzz_f2b_date.c - libFuzzer target: fail2ban date detection over arbitrary
 * lines, with the default templates or with a datepattern from the input
 * (everything before a NUL byte). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_date.h"

static struct f2b_dates *defaults;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
feed(struct f2b_dates *d, const char *p, size_t n)
{
	int64_t ref = 1124013600;

	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;
		struct f2b_date_hit hit;
		if (f2b_dates_find(d, p, len, ref, &hit) == 1 && (hit.start > hit.end || hit.end > len))
			abort();
		ref += 7200;
		p += len;
		n -= len;
		if (nl) {
			p++;
			n--;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nul = memchr(p, '\0', size);

	if (defaults == NULL) {
		char err[256];
		defaults = f2b_dates_new(NULL, 0, err, sizeof(err));
		if (defaults == NULL) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
	}
	if (nul == NULL || nul - p > 512) {
		feed(defaults, p, size);
		return 0;
	}
	/* a datepattern (possibly several lines), then lines */
	const char *pat = p;
	char err[256];
	struct f2b_dates *d = f2b_dates_new(&pat, 1, err, sizeof(err));
	if (d != NULL) {
		feed(d, nul + 1, size - (size_t)(nul + 1 - p));
		f2b_dates_free(d);
	}
	return 0;
}
