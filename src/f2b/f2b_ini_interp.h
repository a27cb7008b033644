/* f2b_ini_interp.h - a value with fail2ban's interpolation, looked up in
 * one set of sections. Internal to f2b_ini*.c. */
#ifndef A5_F2B_INI_INTERP_H
#define A5_F2B_INI_INTERP_H

#include <stddef.h>

#include "f2b/f2b_ini.h"
#include "f2b/f2b_ini_store.h"

/* f2b_ini_get_txt over set (a file's own, or the load's). */
int f2b_ini_set_get_txt(const struct f2b_ini *ini, const struct iset *set, const char *section,
    const char *key, const struct f2b_opt *vars, size_t nvars, struct f2b_txt *out, char *err,
    size_t errlen);

#endif
