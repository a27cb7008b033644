/* f2b_prefilter.h - the literal prefilter of a filter set: one pass over
 * a line finds which of the set's literals it holds (ASCII caseless) and
 * flags the filters they belong to. */
#ifndef A5_F2B_PREFILTER_H
#define A5_F2B_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct f2b_prefilter {
	char **lit;			/* in lower case */
	size_t *len, n, cap;
	int *filter;			/* literal -> filter, or -1 */
	uint32_t *next;			/* literal -> next literal with the same hash, +1 */
	uint64_t *head, *mask;		/* literal -> its first 8 bytes, and which count */
	uint64_t *head2, *mask2;	/* the same of its bytes 8..15 */
	uint32_t *hash_head;		/* hash -> first literal, +1 (65536 entries) */
	uint64_t hash_bits[65536 / 64];	/* hashes that start some literal */
	uint64_t *found;		/* literal -> gen of the last line holding it */
	uint64_t gen;			/* the line's number */
	uint8_t *cand;			/* filter -> flagged on this line */
	int *flagged;			/* the filters flagged, in the order found */
	size_t nflagged, nfilters;
	char *low;			/* the line in lower case, 16 zero bytes after it */
	size_t lowcap;
	bool forked;			/* the literals are another's (f2b_pf_fork) */
};

/* Room for cap literals of nfilters filters. 0, or -1 (out of memory;
 * f2b_pf_free still frees). */
int f2b_pf_init(struct f2b_prefilter *pf, size_t cap, size_t nfilters);
void f2b_pf_free(struct f2b_prefilter *pf);
/* out: a prefilter that reads lines on another thread than pf: pf's
 * literals (shared; pf must outlive it and get no more), its own per-line
 * state. 0, or -1 (out of memory; f2b_pf_free still frees). */
int f2b_pf_fork(const struct f2b_prefilter *pf, struct f2b_prefilter *out);
/* Adds literal text (3 bytes or more) of filter (-1: flags none). Its
 * index, or -1 when out of memory or past cap. */
int f2b_pf_add(struct f2b_prefilter *pf, const char *text, int filter);
/* Reads one line: cand[], flagged[] and f2b_pf_found answer for it until
 * the next. */
void f2b_pf_scan(struct f2b_prefilter *pf, const char *line, size_t len);

/* Whether the last line scanned holds literal id. */
static inline bool
f2b_pf_found(const struct f2b_prefilter *pf, int id)
{
	return pf->found[id] == pf->gen;
}

#endif
