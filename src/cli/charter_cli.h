/* charter_cli.h - what the `article5 charter` sub-verbs share: the charter
 * in force and update files, the paths a configuration names, and what an
 * update changes. charter_cmd.c dispatches to one file per sub-verb
 * (charter_propose.c, charter_sign.c, charter_show.c, charter_apply.c,
 * charter_submit.c). */
#ifndef A5_CHARTER_CLI_H
#define A5_CHARTER_CLI_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "coalition/charter.h"
#include "coalition/governance.h"

/* Room for an error message that quotes a path. */
#define CHARTER_ERR_MAX (PATH_MAX + 1024)

int cmd_charter_propose(int argc, char **argv);
int cmd_charter_sign(int argc, char **argv);
int cmd_charter_show(int argc, char **argv);
int cmd_charter_apply(int argc, char **argv);
int cmd_charter_submit(int argc, char **argv);

/* charter_cli.c */

/* The charter in force: parsed, and its exact bytes with their hash (an
 * update names that hash). */
struct charter_current {
	const char *path;
	struct charter *c;
	char *text;
	size_t len;
	uint8_t hash[CHARTER_HASH_BYTES];
};

/* Reads and parses the charter at path. 0, or -1 with err filled and
 * nothing held. */
int charter_current_load(const char *path, struct charter_current *cur, char *err, size_t errlen);
void charter_current_free(struct charter_current *cur);
/* Reads and decodes the update file at path into *u (gov_free). */
int charter_update_load(const char *path, struct gov_update **u, char *err, size_t errlen);
/* *u encoded in a new buffer of *n bytes, or NULL with err filled (path
 * names the file it is for). */
uint8_t *charter_update_encode(const struct gov_update *u, size_t *n, const char *path, char *err,
    size_t errlen);
/* The charter in force and the identity file named by the configuration
 * at cfgpath ("" for a missing line); either output may be NULL. */
int charter_paths_from_config(const char *cfgpath, char *charter, size_t chn, char *identity,
    size_t idn, char *err, size_t errlen);
/* The charter a sub-verb works on: *charter as given (--charter), or else
 * the one in force by the configuration at cfgpath, written into buf (n
 * bytes) and *charter pointed at it. 0, or -1 with err filled (the
 * configuration refused, or it has no 'coalition' line). */
int charter_path_choose(const char **charter, const char *cfgpath, char *buf, size_t n,
    char *err, size_t errlen);

/* charter_diff.c */

/* What an update changes, one line of text each. */
struct charter_changes {
	char **line;
	size_t n, cap;
};

/* Adds to ch what replacing cur by next (parsed from next_text) changes:
 * members added, removed, their roles, keys, prefixes and revocations,
 * policy lines, and the signatures later updates need. */
void charter_diff(const struct charter_current *cur, const struct charter *next,
    const char *next_text, size_t next_len, struct charter_changes *ch);
void charter_changes_free(struct charter_changes *ch);
/* "N of M voters", or "majority: N of M voters". */
void charter_threshold_text(const struct charter *c, char *out, size_t n);

#endif
