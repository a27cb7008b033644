/* f2b_ini.h - internals shared by the INI reader (f2b_ini*.c) and
 * f2b_conf.c: the raw and interpolated lookups fail2ban's readers build
 * on, over texts that remember where their lines came from (f2b_txt.h).
 * Not for other modules. */
#ifndef A5_F2B_INI_H
#define A5_F2B_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "f2b/f2b_conf.h"
#include "f2b/f2b_txt.h"

/* "file:line" of loc into buf. */
void f2b_ini_where(const struct f2b_ini *ini, struct f2b_loc loc, char *buf, size_t n);

/* ConfigParser.get(section, key, vars=vars) with fail2ban's interpolation
 * (%(name)s, %(section/name)s, %(known/name)s, %(__name__)s, %%).
 * "DEFAULT" is the defaults. 1 with *out set (caller frees), 0 when there
 * is no such section or key, -1 with err. */
int f2b_ini_get_txt(const struct f2b_ini *ini, const char *section, const char *key,
    const struct f2b_opt *vars, size_t nvars, struct f2b_txt *out, char *err, size_t errlen);
/* True if section has key of its own (not from [DEFAULT]). */
bool f2b_ini_has_own(const struct f2b_ini *ini, const char *section, const char *key);

#endif
