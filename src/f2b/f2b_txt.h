/* f2b_txt.h - texts that remember, line by line, the file:line they came
 * from (so that a regex still names its line after %(x)s and <x>
 * substitution), and the small helpers the INI reader and f2b_conf.c
 * share. Not for other modules. */
#ifndef A5_F2B_TXT_H
#define A5_F2B_TXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills err (when given) and returns -1. */
int f2b_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Python's str.strip() whitespace, ASCII part. */
bool f2b_py_space(unsigned char c);
/* ConfigParser's optionxform: keys lower-cased (ASCII). */
void f2b_lower_ascii(char *s);

/* file indexes ini->files; line 0 means "not from a file" (a caller option) */
struct f2b_loc {
	uint32_t file;
	uint32_t line;
};

/* A value and, for each of its '\n'-separated lines, where that line came
 * from: after %(x)s and <x> substitution a regex can still name its line. */
struct f2b_txt {
	char *s;
	size_t len, cap;
	struct f2b_loc *loc;
	size_t nloc, loccap;
};

void f2b_txt_free(struct f2b_txt *t);
/* Appends s[0..n); loc has one entry per line of s (NULL: "not from a
 * file"). A line joined to a non-empty last line keeps that line's loc. */
int f2b_txt_append(struct f2b_txt *t, const char *s, size_t n, const struct f2b_loc *loc);
/* Appends a substituted value: a one-line value that neither fills its
 * line (whole: nothing follows it there) nor continues a line keeps the
 * origin HERE of the text it replaces; otherwise as f2b_txt_append. */
int f2b_txt_append_sub(struct f2b_txt *t, const char *s, size_t n, const struct f2b_loc *loc,
    bool whole, const struct f2b_loc *here);
int f2b_txt_copy(struct f2b_txt *dst, const struct f2b_txt *src);
/* Copies t->s (NUL-terminated) or NULL on allocation failure. */
char *f2b_txt_strdup(const struct f2b_txt *t);

#endif
