/* pattern.h - a rule's pattern read as text: its PCRE2 (or Hyperscan)
 * form, and the literals the prefilter looks for on its behalf. */
#ifndef A5_RULES_PATTERN_H
#define A5_RULES_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

/* A rule's prefilter literals: a run of plain text with groups of
 * alternatives expands to at most LIT_ALTS_MAX strings of LIT_LEN_MAX
 * bytes ("(?:pam|sql)\\(" to "pam(" and "sql("). */
#define LIT_ALTS_MAX 32
#define LIT_LEN_MAX 128

/* The prefilter literals of pattern p (without its '^'): its run of
 * top-level fixed text whose shortest expansion is longest, expanded into
 * out/outlens; every line p matches holds one of them. Their number, 0
 * when p has no such run. prefix gets the fixed text p starts with (at
 * most LIT_LEN_MAX bytes). */
size_t pattern_literals(const char *p, char out[][LIT_LEN_MAX], size_t *outlens, char *prefix,
    size_t *prefixlen);
/* Writes into out (RULES_PATTERN_MAX bytes) the PCRE2 form of pattern
 * (for_pcre) or the Hyperscan form the tests' RULES_PF_HS_REGEX gives the
 * library: <HOST> and <CONN> expanded; for a service with programs the
 * pattern matches the message alone, the header is parsed in C. 0, or -1
 * with err ("WHERE: ...") filled. */
int pattern_expand(const char *pattern, bool has_program, bool for_pcre, char *out,
    const char *where, char *err, size_t errlen);

#endif
