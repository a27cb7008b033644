/* f2b_datepat.h - fail2ban's date templates as regex texts: the regexes
 * fail2ban builds from a filter's datepattern lines (or its default list),
 * in the order it tries them. Compiling and matching is f2b_date.c's job. */
#ifndef A5_F2B_DATEPAT_H
#define A5_F2B_DATEPAT_H

#include <stdbool.h>
#include <stddef.h>

enum f2b_tkind {
	F2B_TK_REGEX,	/* strptime-like fields in named groups */
	F2B_TK_EPOCH,	/* unix seconds, optional fraction */
	F2B_TK_LEPOCH,	/* unix seconds, milli- or microseconds */
	F2B_TK_TAI64N,	/* @ and 24 hex digits */
};

/* fail2ban's DateTemplate flags (same values). */
#define F2B_TF_LINE_BEGIN 8u
#define F2B_TF_LINE_END 4u
#define F2B_TF_WORD_BEGIN 2u
#define F2B_TF_WORD_END 1u

struct f2b_tspec {
	char *name;		/* fail2ban's template name (duplicates are refused by name) */
	char *regex;		/* Python re syntax, as fail2ban would compile it */
	enum f2b_tkind kind;
	unsigned flags;		/* F2B_TF_* */
	int vgrp;		/* epoch kinds: the group holding the number */
	double weight;		/* 100 for the line-begin copies of the defaults */
	unsigned need;		/* F2B_NEED_*: what a line must hold for it to match */
};

/* Cheap necessary conditions, known for fail2ban's default templates: a
 * line without them is not searched. */
#define F2B_NEED_DCOLON 1u	/* a digit followed by ':' (HH:MM:SS) */
#define F2B_NEED_DIGITS8 2u	/* eight digits in a row (epoch, 20050123T215959) */
#define F2B_NEED_AT 4u		/* '@' (TAI64N) */

struct f2b_tlist {
	struct f2b_tspec *v;
	size_t n, cap;
};

/* Builds the templates of a filter's datepattern lines (n == 0: fail2ban's
 * default list). year is the current year (fail2ban's %ExY accepts the
 * centuries of last year up to three years ahead). 0, or -1 with err. */
int f2b_tlist_build(struct f2b_tlist *l, const char *const *patterns, size_t n, int year,
    char *err, size_t errlen);
void f2b_tlist_free(struct f2b_tlist *l);

#endif
