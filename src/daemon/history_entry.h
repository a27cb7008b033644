/* history_entry.h - one journal entry as `article5 history` shows it: the
 * text bodies of the decisions (this host's ban, unban and flush; the
 * coalition reports it refused) read back into fields. Pure, so that the
 * reading of each body is tested on its own (tests/unit/test_history.c). */
#ifndef A5_HISTORY_ENTRY_H
#define A5_HISTORY_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "ledger/journal.h"

struct history_item {
	uint64_t seq;
	int64_t at;
	char action[16];		/* ban, unban, flush; "refused" for a refusal */
	bool all;			/* a flush: every prefix */
	bool has_prefix;		/* false: a flush, or a refused whole envelope */
	struct a5_prefix prefix;
	int64_t ttl;			/* seconds; 0 when it does not apply */
	char reason[JOURNAL_TEXT_MAX];
	char member[JOURNAL_SUBJECT_MAX];	/* refusal: the reporter's key */
	uint64_t report_seq;		/* refusal: the report's number in its chain */
};

/* Reads e ("local" or "refusal", docs/journal.md) into out. 0, or -1 when
 * the body is not of the form its kind writes (or another kind). */
int history_entry_parse(const struct journal_entry *e, struct history_item *out);

/* Whether the item concerns p: its prefix overlaps p, or it is a flush. */
bool history_entry_about(const struct history_item *it, const struct a5_prefix *p);

#endif
