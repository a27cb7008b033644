/* f2b_literal.h - texts every match of a regex contains, read from its
 * PCRE2 text: what lets the prefilter keep PCRE2 off lines that cannot
 * match. Both readers may give up (NULL, no clause); they never claim a
 * text a match can lack. */
#ifndef A5_F2B_LITERAL_H
#define A5_F2B_LITERAL_H

#include <stddef.h>

#define F2B_ANYOF_MAX 4		/* alternation clauses per regex */
#define F2B_ANYOF_LITS 16	/* branches of one alternation clause */

/* One alternation every match goes through: each match contains at least
 * one of the texts (one per branch). */
struct f2b_anyof {
	char *lit[F2B_ANYOF_LITS];
	int id[F2B_ANYOF_LITS];	/* for the caller (the prefilter's index) */
	size_t n;
};

/* The longest run of plain characters (3 or more) every match contains,
 * or NULL. The caller frees it. */
char *f2b_required_literal(const char *pcre);
/* The alternation clauses of pcre, at most max, into out; their count. */
size_t f2b_required_anyof(const char *pcre, struct f2b_anyof *out, size_t max);
void f2b_anyof_free(struct f2b_anyof *a);

#endif
