/* f2b_literal.c - texts every match of a regex contains: the longest
 * required run of plain characters, and the alternations every match goes
 * through (one text per branch), read from the PCRE2 text. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "f2b/f2b_literal.h"

/* True if an inline option group, "(?x)" or "(?ix)", "(?s-x:" ... sets
 * option OPT anywhere (PCRE2 takes option groups anywhere, Python only at
 * the start). A literal "\(?x" taken for one only costs this regex its
 * prefilter. */
static bool
sets_option(const char *p, char opt)
{
	for (const char *q = strstr(p, "(?"); q != NULL; q = strstr(q + 2, "(?"))
		for (const char *r = q + 2; *r != '\0' && strchr("imnsxJU^-", *r) != NULL; r++)
			if (*r == opt)
				return true;
	return false;
}

/* Where the group opened at p[i] closes (the index of its ')'), or 0. */
static size_t
group_end(const char *p, size_t i, bool *alt)
{
	int depth = 0;

	*alt = false;
	for (; p[i]; i++) {
		if (p[i] == '\\' && p[i + 1])
			i++;
		else if (p[i] == '[') {
			i++;
			if (p[i] == '^')
				i++;
			if (p[i] == ']')
				i++;
			while (p[i] && p[i] != ']')
				i += p[i] == '\\' && p[i + 1] ? 2 : 1;
			if (!p[i])
				return 0;
		} else if (p[i] == '(')
			depth++;
		else if (p[i] == '|' && depth == 1)
			*alt = true;
		else if (p[i] == ')' && --depth == 0)
			return i;
	}
	return 0;
}

/* The longest run of plain characters that every match contains: atoms
 * neither optional nor repeated, at the top level or inside groups that
 * are themselves required and hold no '|' (a group with '|', a lookaround
 * or a conditional is opaque). Runs stop at "[]", "()" and double spaces,
 * which is what a date cut out of the middle of a line leaves behind, so
 * that a run never spans the place where fail2ban removed the date from
 * the text its regex sees. NULL when the pattern has a top-level '|' or no
 * run of 3 characters. */
static char *
required_run(const char *p, bool caseless)
{
	char cur[256], best[256];
	size_t nc = 0, nb = 0;
	int opaque = 0;			/* depth inside opaque groups */
	bool stack[64];			/* open groups: transparent? */
	size_t nstack = 0;

	{
		bool alt;
		size_t k = 0;
		/* a top-level '|': no single run is required */
		for (size_t i = 0; p[i]; i++) {
			if (p[i] == '\\' && p[i + 1])
				i++;
			else if (p[i] == '[') {
				i++;
				if (p[i] == '^')
					i++;
				if (p[i] == ']')
					i++;
				while (p[i] && p[i] != ']')
					i += p[i] == '\\' && p[i + 1] ? 2 : 1;
				if (!p[i])
					return NULL;
			} else if (p[i] == '(') {
				if ((k = group_end(p, i, &alt)) == 0)
					return NULL;
				i = k;
			} else if (p[i] == '|')
				return NULL;
		}
	}
	for (size_t i = 0; p[i]; ) {
		char ch = 0;
		size_t len = 1;
		bool lit = false, is_close = false;
		if (p[i] == '\\') {
			char e = p[i + 1];
			if (e == '\0' || strchr("xpPgkNcou0123456789", e) != NULL)
				return NULL;	/* escapes with arguments */
			len = 2;
			if (!((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z'))) {
				ch = e;
				lit = opaque == 0 && (unsigned char)e < 0x80;
			}
		} else if (p[i] == '[') {
			size_t k = i + 1;
			if (p[k] == '^')
				k++;
			if (p[k] == ']')
				k++;
			while (p[k] && p[k] != ']')
				k += p[k] == '\\' && p[k + 1] ? 2 : 1;
			if (!p[k])
				return NULL;
			len = k + 1 - i;
		} else if (p[i] == '(') {
			bool alt, transp = false;
			size_t e = group_end(p, i, &alt), skip = 1;
			if (e == 0 || nstack == ARRAY_LEN(stack))
				return NULL;
			char q = p[e + 1];
			bool optional = q == '?' || q == '*' || (q == '{' && (p[e + 2] == '0' || p[e + 2] == ','));
			if (opaque == 0 && !alt && !optional) {
				if (p[i + 1] != '?')
					transp = true;
				else if (p[i + 2] == ':') {
					transp = true;
					skip = 3;
				} else if (p[i + 2] == 'P' && p[i + 3] == '<') {
					const char *gt = strchr(p + i, '>');
					transp = gt != NULL && (size_t)(gt - p) < e;
					skip = transp ? (size_t)(gt - p) - i + 1 : 1;
				}
			}
			stack[nstack++] = transp;
			if (!transp)
				opaque++;
			if (transp) {
				i += skip;	/* into the group: its atoms join the run */
				continue;
			}
			nc = 0;
			i++;
			continue;
		} else if (p[i] == ')') {
			if (nstack == 0)
				return NULL;
			bool transp = stack[--nstack];
			if (!transp)
				opaque--;
			is_close = true;
			if (!transp)
				nc = 0;
		} else if (strchr(".^$*+?{}|", p[i]) == NULL && (unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x80) {
			ch = p[i];
			lit = opaque == 0;
		}
		/* the atom's quantifier, if any: skipped whole */
		size_t nx = i + len, q = nx;
		bool optional = false, quant = false;
		if (p[q] == '*' || p[q] == '?') {
			optional = quant = true;
			q++;
		} else if (p[q] == '+') {
			quant = true;
			q++;
		} else if (p[q] == '{') {
			size_t k = q + 1;
			while ((p[k] >= '0' && p[k] <= '9') || p[k] == ',')
				k++;
			if (p[k] == '}' && k > q + 1) {
				quant = true;
				optional = p[q + 1] == '0' || p[q + 1] == ',';
				q = k + 1;
			}
		}
		if (quant && (p[q] == '?' || p[q] == '+'))
			q++;
		if (is_close) {
			/* a required group repeated: its text is there, what
			 * follows is not next to it */
			if (quant)
				nc = 0;
			i = q;
			continue;
		}
		if (optional || (caseless && (ch == 'k' || ch == 'K' || ch == 's' || ch == 'S')))
			lit = false;
		if (lit && nc > 0 && ((cur[nc - 1] == '[' && ch == ']') || (cur[nc - 1] == '(' && ch == ')') ||
		    (cur[nc - 1] == ' ' && ch == ' ')))
			nc = 0;
		if (lit && nc + 1 < sizeof(cur)) {
			cur[nc++] = ch;
			if (nc > nb) {
				memcpy(best, cur, nc);
				nb = nc;
			}
			if (quant)	/* x+ or x{2,}: x is required once, not what follows */
				nc = 0;
		} else
			nc = 0;
		i = q;
	}
	if (nb < 3)
		return NULL;
	char *r = malloc(nb + 1);
	if (r != NULL) {
		memcpy(r, best, nb);
		r[nb] = '\0';
	}
	return r;
}

/* The pattern as the literal readers take it: NULL when it is not worth
 * reading, else p past a leading "(?i)" (the prefilter is caseless
 * anyway), with *caseless set. With UCP, caseless k and s also match
 * U+212A (Kelvin) and U+017F (long s), which the ASCII prefilter does not
 * know: they end a run. */
static const char *
literal_pattern(const char *p, bool *caseless)
{
	*caseless = sets_option(p, 'i');
	if (strncmp(p, "(?i)", 4) == 0)
		p += 4;
	if (sets_option(p, 'x') || strstr(p, "\\Q") != NULL)
		return NULL;	/* extended mode (spaces, #-comments), quoting: not worth reading */
	/* Comments, which a quantifier after them skips ("(?:a|b)(?#c)?" is
	 * optional), PCRE2's verbs and "(*...:" groups (lookarounds, ACCEPT),
	 * and \c, whose next character may be a parenthesis: not read (found
	 * by review; none is in fail2ban's own filters). */
	if (strstr(p, "(?#") != NULL || strstr(p, "(*") != NULL || strstr(p, "\\c") != NULL)
		return NULL;
	return p;
}

char *
f2b_required_literal(const char *p)
{
	bool caseless;

	return (p = literal_pattern(p, &caseless)) == NULL ? NULL : required_run(p, caseless);
}

/* Where the character class opened at p[i] ends (its ']'), or 0. */
static size_t
class_end(const char *p, size_t i)
{
	i++;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	while (p[i] && p[i] != ']')
		i += p[i] == '\\' && p[i + 1] ? 2 : 1;
	return p[i] ? i : 0;
}

void
f2b_anyof_free(struct f2b_anyof *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->lit[i]);
	a->n = 0;
}

/* The alternation p[from..to) split at its top-level '|': each branch's
 * required run into *a. false (a left empty) when a branch has none, or
 * there are too many branches. */
static bool
anyof_read(const char *p, size_t from, size_t to, bool caseless, struct f2b_anyof *a)
{
	size_t start = from;
	int depth = 0;

	a->n = 0;
	for (size_t i = from; i <= to; i++) {
		if (i < to && p[i] == '\\' && i + 1 < to)
			i++;
		else if (i < to && p[i] == '[') {
			size_t k = class_end(p, i);
			if (k == 0 || k >= to)
				goto fail;
			i = k;
		} else if (i < to && p[i] == '(')
			depth++;
		else if (i < to && p[i] == ')')
			depth--;
		else if (i == to || (p[i] == '|' && depth == 0)) {
			char *br = strndup(p + start, i - start);
			char *lit = br != NULL ? required_run(br, caseless) : NULL;
			free(br);
			if (lit == NULL || a->n == F2B_ANYOF_LITS) {
				free(lit);
				goto fail;
			}
			a->lit[a->n++] = lit;
			start = i + 1;
		}
	}
	return a->n > 0;
fail:
	f2b_anyof_free(a);
	return false;
}

/* The clauses of the groups in p[from..to) that every match goes through
 * (neither optional nor a lookaround, a conditional or an option group):
 * a group with a '|' of its own is a clause, one without is looked into,
 * since what it requires is required too (sshd's "(?P<F_NOFAIL>
 * (?P<F_MLFFORGET>(Connection (?:closed|reset)|Disconnected)))"). */
static size_t
groups_anyof(const char *p, size_t from, size_t to, bool caseless, struct f2b_anyof *out,
    size_t max, int depth)
{
	size_t nout = 0;
	bool alt;

	for (size_t i = from; i < to && p[i] && nout < max; i++) {
		if (p[i] == '\\' && p[i + 1])
			i++;
		else if (p[i] == '[') {
			if ((i = class_end(p, i)) == 0)
				return nout;
		} else if (p[i] == '(') {
			size_t e = group_end(p, i, &alt), skip = 0;
			if (e == 0 || e >= to)
				return nout;
			char q = p[e + 1];
			bool optional = q == '?' || q == '*' || (q == '{' && (p[e + 2] == '0' || p[e + 2] == ','));
			if (p[i + 1] != '?')
				skip = 1;
			else if (p[i + 2] == ':')
				skip = 3;
			else if (p[i + 2] == 'P' && p[i + 3] == '<') {
				const char *gt = strchr(p + i, '>');
				if (gt != NULL && (size_t)(gt - p) < e)
					skip = (size_t)(gt - p) - i + 1;
			}
			if (!optional && skip > 0) {
				if (alt) {
					if (anyof_read(p, i + skip, e, caseless, &out[nout]))
						nout++;
				} else if (depth < 8)
					nout += groups_anyof(p, i + skip, e, caseless, out + nout,
					    max - nout, depth + 1);
			}
			i = e;
		}
	}
	return nout;
}

/* The alternations every match of re's pattern p goes through: the whole
 * pattern when it has a top-level '|', else the groups groups_anyof
 * finds. Each becomes a clause when every branch has a run of 3
 * characters: a line holding no text of a clause cannot match
 * (asterisk's "(?:NOTICE|SECURITY|WARNING)", postfix's "reject:" or
 * " after "). */
size_t
f2b_required_anyof(const char *p, struct f2b_anyof *out, size_t max)
{
	bool caseless, alt, top_alt = false;

	if (max == 0 || (p = literal_pattern(p, &caseless)) == NULL)
		return 0;
	size_t n = strlen(p);
	for (size_t i = 0; p[i]; i++) {
		if (p[i] == '\\' && p[i + 1])
			i++;
		else if (p[i] == '[') {
			if ((i = class_end(p, i)) == 0)
				return 0;
		} else if (p[i] == '(') {
			if ((i = group_end(p, i, &alt)) == 0)
				return 0;
		} else if (p[i] == '|')
			top_alt = true;
	}
	if (top_alt)
		return anyof_read(p, 0, n, caseless, &out[0]) ? 1 : 0;
	return groups_anyof(p, 0, n, caseless, out, max, 0);
}
