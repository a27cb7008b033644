/* f2b_date_stub.c - TEMPORARY stand-in for f2b_date.c (branch f2bdate) until
 * it is merged: finds only an RFC 3164 stamp at the start of a line. */
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_date.h"

struct f2b_dates {
	int none;
};

struct f2b_dates *
f2b_dates_new(const char *const *patterns, size_t n, char *err, size_t errlen)
{
	struct f2b_dates *d = calloc(1, sizeof(*d));

	if (d != NULL)
		d->none = n == 1 && strcmp(patterns[0], "{NONE}") == 0;
	return d;
}

void
f2b_dates_free(struct f2b_dates *d)
{
	free(d);
}

int
f2b_dates_find(struct f2b_dates *d, const char *line, size_t len, int64_t ref,
    struct f2b_date_hit *hit)
{
	if (d->none || len < 15 || line[3] != ' ' || line[6] != ' ' || line[9] != ':' || line[12] != ':')
		return 0;
	hit->start = 0;
	hit->end = 15;
	hit->ts = ref;
	return 1;
}
