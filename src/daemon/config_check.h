/* config_check.h - what the daemon checks of a configuration at start,
 * beyond its syntax: shared by `article5 daemon` and `check-config`. */
#ifndef A5_CONFIG_CHECK_H
#define A5_CONFIG_CHECK_H

#include <stdbool.h>

struct config;

/* Receives each error, "FILE[:LINE]: what is wrong, what to do". */
typedef void (*config_check_cb)(void *arg, const char *msg);

/* Checks what would stop the daemon at start, reporting every error: at
 * least one source, each file source's directory watchable (not an
 * unless-journal one's when the journal will be read instead), the worker's
 * user (when with_user: the daemon looks it up only when started as root)
 * and the control group in their databases, the identity key (a regular
 * file, 0600, the right size) and the charter (loads, names this key).
 * Returns the number of errors. */
int config_check_start(const struct config *cfg, bool with_user, config_check_cb report,
    void *arg);

#endif
