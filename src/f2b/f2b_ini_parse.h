/* f2b_ini_parse.h - one INI file parsed alone, as fail2ban's parser of
 * each file reads it. Internal to f2b_ini*.c. */
#ifndef A5_F2B_INI_PARSE_H
#define A5_F2B_INI_PARSE_H

#include <stddef.h>

#include "f2b/f2b_ini_store.h"

/* The file parsed alone, from the cache. NULL with *rc 0 when it cannot
 * be read (skipped, as fail2ban does), NULL with *rc -1 on error. */
struct pfile *f2b_ini_parse_cached(struct f2b_ini *ini, const char *path, int *rc, char *err,
    size_t errlen);

#endif
