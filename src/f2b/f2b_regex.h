/* f2b_regex.h - a fail2ban regex as PCRE2 text: its tags (<HOST>, <ADDR>,
 * <F-USER>...</F-USER>, <SKIPLINES>) expanded as fail2ban's failregex.py
 * does, and the Python-only syntax rewritten. */
#ifndef A5_F2B_REGEX_H
#define A5_F2B_REGEX_H

#include <stddef.h>

#define F2B_PATTERN_MAX (64u << 10)	/* bytes of one regex after tag expansion */

/* The PCRE2 text of one fail2ban regex: tags expanded as fail2ban does
 * (<HOST> with names allowed, as usedns=warn), Python-only syntax rewritten.
 * 0, or -1 when it does not fit in n bytes. */
int f2b_regex_translate(const char *text, char *out, size_t n);

#endif
