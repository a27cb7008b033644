/* proof_check.c - checks an equivocation proof: two signed envelopes, one member,
 * one number, two different reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/proof_check.h"

static const struct wire_report *
report_numbered(const struct wire_envelope *e, uint64_t seq)
{
	for (size_t i = 0; i < e->nreports; i++)
		if (e->reports[i].seq == seq)
			return &e->reports[i];
	return NULL;
}

int
journal_proof_check(const void *a, size_t alen, const void *b, size_t blen, uint64_t seq,
    struct journal_proof *out, char *why, size_t whylen)
{
	struct wire_envelope *ea = malloc(sizeof(*ea)), *eb = malloc(sizeof(*eb));
	const struct wire_report *ra, *rb;
	uint8_t ha[WIRE_HASH_BYTES], hb[WIRE_HASH_BYTES];
	enum wire_status ws;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (ea == NULL || eb == NULL) {
		snprintf(why, whylen, "out of memory");
		goto done;
	}
	if ((ws = wire_decode(a, alen, ea)) != WIRE_OK) {
		snprintf(why, whylen, "first envelope: %s", wire_status_text(ws));
		goto done;
	}
	if ((ws = wire_decode(b, blen, eb)) != WIRE_OK) {
		snprintf(why, whylen, "second envelope: %s", wire_status_text(ws));
		goto done;
	}
	if (memcmp(ea->reporter, eb->reporter, ID_PUBLIC_BYTES) != 0) {
		snprintf(why, whylen, "the envelopes are signed by two different keys");
		goto done;
	}
	/* Two coalitions are two chains: the same number in each is no fork. */
	if (memcmp(ea->coalition, eb->coalition, WIRE_COALITION_BYTES) != 0) {
		snprintf(why, whylen, "the envelopes are for two different coalitions");
		goto done;
	}
	if ((ra = report_numbered(ea, seq)) == NULL || (rb = report_numbered(eb, seq)) == NULL) {
		snprintf(why, whylen, "the %s envelope holds no report #%llu",
		    ra == NULL ? "first" : "second", (unsigned long long)seq);
		goto done;
	}
	wire_report_hash(ra, ea->reporter, ha);
	wire_report_hash(rb, eb->reporter, hb);
	if (memcmp(ha, hb, sizeof(ha)) == 0) {
		snprintf(why, whylen, "the two reports #%llu are the same report",
		    (unsigned long long)seq);
		goto done;
	}
	memcpy(out->reporter, ea->reporter, ID_PUBLIC_BYTES);
	memcpy(out->coalition, ea->coalition, WIRE_COALITION_BYTES);
	out->first = *ra;
	out->second = *rb;
	ret = 0;
done:
	free(ea);
	free(eb);
	return ret;
}
