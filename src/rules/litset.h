/* litset.h - finds every occurrence of a set of fixed strings in a buffer:
 * the rules' prefilter (docs/rules.md, "Hyperscan"). */
#ifndef A5_RULES_LITSET_H
#define A5_RULES_LITSET_H

#include <stddef.h>

/* Literals are at least this long: the table is keyed by their first four
 * bytes. A rule with a shorter literal is tried on every line instead. */
#define LITSET_MIN 4
#define LITSET_MAX (1u << 20)	/* literals per set */

struct litset;

struct litset *litset_new(void);
void litset_free(struct litset *ls);
/* Adds lit[0..len) (len >= LITSET_MIN) reported as id. 0 or -1. */
int litset_add(struct litset *ls, const char *lit, size_t len, unsigned id);
size_t litset_count(const struct litset *ls);

/* Called for each occurrence, in order of its start (ties: order of
 * litset_add); a non-zero return stops the scan. */
typedef int (*litset_cb)(void *arg, unsigned id, size_t start);
/* Reports every occurrence of every literal in buf[0..len). Returns 0, or
 * the callback's non-zero value. */
int litset_scan(const struct litset *ls, const char *buf, size_t len, litset_cb cb, void *arg);

#endif
