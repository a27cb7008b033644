/* f2b_services.h - the daemon's fail2ban-filter services (`service NAME
 * fail2ban-filter PATH [mode M]`): each filter file loaded as fail2ban loads
 * it, compiled once, and fed the lines of the sources that belong to it. */
#ifndef A5_F2B_SERVICES_H
#define A5_F2B_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "daemon/config.h"
#include "rules/rules.h"

struct f2b_services;

/* One failure a filter found: the service (index into the ruleset's
 * services), its address and the line's time. */
struct f2b_hit {
	int service;
	const char *filter;		/* the filter's name, as the ban's rule */
	struct a5_prefix addr;
	int64_t ts;
};
typedef void (*f2b_hit_cb)(void *arg, const struct f2b_hit *h);

/* Loads and compiles every fail2ban-filter service of cfg; rs must hold
 * their services (config_build_rules adds them). NULL with err filled
 * ("file:line: ...") on failure; an empty set when cfg has none. */
struct f2b_services *f2b_services_new(const struct config *cfg, const struct ruleset *rs,
    char *err, size_t errlen);
void f2b_services_free(struct f2b_services *fs);
size_t f2b_services_count(const struct f2b_services *fs);

/* Whether the native rules read this source: every source not given to a
 * fail2ban-filter service with `service NAME`. */
bool f2b_services_native_reads(const struct f2b_services *fs, const char *source);

/* Runs the complete lines buf[0..len) of source through the filters that
 * read it. ts: the journal's time of the entry, or 0 (then each line's own
 * date, else now). Calls cb for each failure with an address. */
void f2b_services_lines(struct f2b_services *fs, const char *source, const char *buf,
    size_t len, int64_t ts, f2b_hit_cb cb, void *arg);

#endif
