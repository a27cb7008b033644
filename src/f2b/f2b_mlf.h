/* f2b_mlf.h - fail2ban's connections (<F-MLFID>): what a failure's groups
 * merge into, line after line, as filter.py _mergeFailure does, with
 * nofail, mlfforget, mlfgained and the users seen. */
#ifndef A5_F2B_MLF_H
#define A5_F2B_MLF_H

#include <stdbool.h>
#include <stdint.h>

#include "common/lru.h"
#include "f2b/f2b_re.h"

#define F2B_VAL_MAX 256		/* bytes kept of one group value (ids, addresses) */

struct f2b_fstr {
	bool set, trunc;
	uint16_t n;
	char s[F2B_VAL_MAX];
};

/* A failure's merged data (fail2ban's `fail` dict, the fields that decide). */
struct f2b_fail {
	struct f2b_fstr v[V_N];
	bool nofail, mlfgained, mlfpending;
	uint8_t nusers;			/* distinct users seen, up to 2 */
	uint64_t user1;
};

struct f2b_mlf_entry {
	int64_t expires;
	struct f2b_fail fail;
};

/* Copies a group's value (truncated to F2B_VAL_MAX - 1 bytes, marked so). */
void f2b_fstr_set(struct f2b_fstr *d, const struct f2b_view *v);

/* A table of max connections, keyed by their id. */
struct lru *f2b_mlf_new(size_t max);

/* Merges the current match (cur, whose user is `user`) into the
 * connection mlfid of table mlf (connections that expire by now are
 * forgotten; evictions are counted in *evictions). Returns the data to
 * decide on: the table's entry (*entry set, so that a pending mark sticks)
 * or *tmp. */
struct f2b_fail *f2b_mlf_merge(struct lru *mlf, uint64_t *evictions, const struct f2b_view *mlfid,
    struct f2b_fail *cur, const struct f2b_view *user, const struct f2b_view *forget,
    const struct f2b_view *gained, const struct f2b_view *nofail, int64_t now,
    struct f2b_fail *tmp, struct f2b_mlf_entry **entry);

#endif
