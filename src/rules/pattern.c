/* pattern.c - a rule's pattern read as text: its PCRE2 form (the syslog
 * header left to syslog.c, <HOST> and <CONN> expanded) and the literals
 * the prefilter looks for. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rules/pattern.h"
#include "rules/rules.h"

static const char HOST_PCRE[] = "(?<host>[0-9A-Fa-f:.]{2,45})";
static const char HOST_HS[] = "[0-9A-Fa-f:.]+";
/* <CONN>: an identifier the service writes on each line of one connection
 * or message (MongoDB's "[conn12]", sendmail's queue id "4AB1cdE0012345"),
 * for lines whose syslog pid does not tell connections apart. Hashed, it
 * stands in for the pid in connection tracking. */
static const char CONN_PCRE[] = "(?<conn>[0-9A-Za-z]{1,20})";
static const char CONN_HS[] = "[0-9A-Za-z]+";

/* Appends src to a growing pattern buffer; false when it would not fit. */
static bool
pat_append(char *dst, size_t *used, const char *src, size_t n)
{
	if (*used + n >= RULES_PATTERN_MAX)
		return false;
	memcpy(dst + *used, src, n);
	*used += n;
	dst[*used] = '\0';
	return true;
}

/* Index just past the character class opened at p[i] ('['), or 0 if it
 * is not closed. A ']' first (after an optional '^') is a member, and so
 * are POSIX forms such as "[:alpha:]": taking their ']' for the class's end
 * would read the rest of the class as literal text the line must hold. */
static size_t
class_end(const char *p, size_t i)
{
	i++;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	for (; p[i] && p[i] != ']'; i++) {
		if (p[i] == '\\' && p[i + 1])
			i++;
		else if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
			char close[3] = { p[i + 1], ']', '\0' };
			const char *e = strstr(p + i + 2, close);
			if (e == NULL)
				return 0;
			i = (size_t)(e - p) + 1;
		}
	}
	return p[i] ? i + 1 : 0;
}

/* End of the atom starting at p[i] (a character, an escape, a class or a
 * whole group), or 0 if malformed. *literal tells whether the atom only
 * matches fixed text: a plain character, escaped punctuation, or a group of
 * such text with '|' and '?' only. */
static size_t
atom_end(const char *p, size_t i, bool *literal)
{
	*literal = false;
	if (p[i] == '\\') {
		if (p[i + 1] == '\0')
			return 0;
		*literal = strchr("dDsSwWbBAzZGQEpPxX0123456789kgRhHvVNKc", p[i + 1]) == NULL;
		return i + 2;
	}
	if (p[i] == '[')
		return class_end(p, i);
	if (p[i] == '(') {
		size_t depth = 0;
		bool lit = p[i + 1] == '?' && p[i + 2] == ':';
		for (; p[i]; i++) {
			if (p[i] == '\\' && p[i + 1]) {
				if (strchr("dDsSwWbBAzZGQEpPxX0123456789kgRhHvVNKc", p[i + 1]))
					lit = false;
				i++;
			} else if (p[i] == '[' || p[i] == '.' || p[i] == '*' || p[i] == '+' ||
			    p[i] == '{' || p[i] == '^' || p[i] == '$' || p[i] == '<') {
				lit = false;
				if (p[i] == '[') {
					size_t e = class_end(p, i);
					if (e == 0)
						return 0;
					i = e - 1;	/* at its ']' */
				}
			} else if (p[i] == '(') {
				depth++;
				if (depth > 1 && !(p[i + 1] == '?' && p[i + 2] == ':'))
					lit = false;
			} else if (p[i] == ')' && --depth == 0)
				break;
		}
		if (!p[i])
			return 0;
		*literal = lit;
		return i + 1;
	}
	if (strncmp(p + i, "<HOST>", 6) == 0 || strncmp(p + i, "<CONN>", 6) == 0)
		return i + 6;
	*literal = strchr(".^$|)*+?{", p[i]) == NULL;
	return i + 1;
}

/* One character of plain text at p: a plain character or a backslash
 * before punctuation (before a letter or digit it is a class, an assertion
 * or a control character). Its length in the pattern, 0 if not plain. */
static size_t
plain_char(const char *p, char *c)
{
	if (*p == '\\') {
		if (p[1] == '\0' || (p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z') ||
		    (p[1] >= '0' && p[1] <= '9'))
			return 0;
		*c = p[1];
		return 2;
	}
	if (*p == '\0' || strchr(".^$|()[]*+?{}", *p) != NULL)
		return 0;
	*c = *p;
	return 1;
}

/* The alternatives of an atom: one plain character, or a group
 * "(?:a|bc|d)" of plain text without nesting or empty branches. The
 * number of alternatives, 0 when the atom is not fixed text. */
static size_t
atom_alts(const char *p, size_t i, size_t end, char alts[][LIT_LEN_MAX], size_t *lens)
{
	size_t n = 0, k;
	char c;

	if (p[i] != '(') {
		if (plain_char(p + i, &c) != end - i)
			return 0;
		alts[0][0] = c;
		lens[0] = 1;
		return 1;
	}
	if (strncmp(p + i, "(?:", 3) != 0)
		return 0;
	lens[0] = 0;
	for (i += 3; i < end - 1; i += k) {
		if (p[i] == '|') {
			if (lens[n] == 0 || ++n == LIT_ALTS_MAX)
				return 0;
			lens[n] = 0;
			k = 1;
			continue;
		}
		if ((k = plain_char(p + i, &c)) == 0 || lens[n] == LIT_LEN_MAX)
			return 0;
		alts[n][lens[n]++] = c;
	}
	return lens[n] == 0 ? 0 : n + 1;
}

/* The prefilter literals of a pattern: its run of top-level fixed text
 * (plain characters and groups of plain alternatives, none quantified)
 * whose shortest expansion is longest, expanded. Every line the pattern
 * matches contains one of them. Their number, 0 when there is no run, or
 * the pattern has a top-level '|', an unscoped option setting such as
 * "(?i)" or "(?x)" that changes what the characters after it mean, or
 * \Q...\E. */
size_t
pattern_literals(const char *p, char out[][LIT_LEN_MAX], size_t *outlens, char *prefix, size_t *prefixlen)
{
	char cur[LIT_ALTS_MAX][LIT_LEN_MAX], next[LIT_ALTS_MAX][LIT_LEN_MAX];
	char alts[LIT_ALTS_MAX][LIT_LEN_MAX];
	size_t curlens[LIT_ALTS_MAX], nextlens[LIT_ALTS_MAX], altlens[LIT_ALTS_MAX];
	size_t i = 0, ncur = 0, nbest = 0, best_w = 0, plen = 0;
	bool at_start = true;

	*prefixlen = 0;
	if (strstr(p, "\\Q") != NULL)
		return 0;
	for (const char *q = strstr(p, "(?"); q != NULL; q = strstr(q + 2, "(?")) {
		size_t k = 2;
		while ((q[k] >= 'a' && q[k] <= 'z') || (q[k] >= 'A' && q[k] <= 'Z') ||
		    q[k] == '-' || q[k] == '^')
			k++;
		if (k > 2 && q[k] == ')')
			return 0;
	}
	while (p[i]) {
		bool lit;
		size_t end = atom_end(p, i, &lit), nalts = 0;
		if (end == 0)
			return 0;
		if (p[i] == '|')
			return 0;	/* top-level alternation */
		bool quantified = p[end] == '*' || p[end] == '+' || p[end] == '?' || p[end] == '{';
		if (!quantified)
			nalts = atom_alts(p, i, end, alts, altlens);
		if (at_start && nalts == 1 && plen + altlens[0] <= LIT_LEN_MAX) {
			memcpy(prefix + plen, alts[0], altlens[0]);
			plen += altlens[0];
		} else
			at_start = false;
		if (nalts == 0)
			ncur = 0;
		else {
			/* extend the run by this atom, or start a new run at
			 * it when the expansion would grow too large */
			bool fits = ncur > 0 && ncur * nalts <= LIT_ALTS_MAX;
			for (size_t a = 0; fits && a < ncur; a++)
				for (size_t b = 0; b < nalts; b++)
					fits = fits && curlens[a] + altlens[b] <= LIT_LEN_MAX;
			size_t nn = 0;
			for (size_t a = 0; a < (fits ? ncur : 1); a++)
				for (size_t b = 0; b < nalts; b++) {
					size_t la = fits ? curlens[a] : 0;
					memcpy(next[nn], cur[a], la);
					memcpy(next[nn] + la, alts[b], altlens[b]);
					nextlens[nn++] = la + altlens[b];
				}
			for (size_t a = 0; a < nn; a++)	/* the rows in use: 4 KiB per atom was most of loading */
				memcpy(cur[a], next[a], nextlens[a]);
			memcpy(curlens, nextlens, nn * sizeof(*curlens));
			ncur = nn;
			size_t w = SIZE_MAX;
			for (size_t a = 0; a < ncur; a++)
				w = curlens[a] < w ? curlens[a] : w;
			if (w > best_w) {
				best_w = w;
				nbest = ncur;
				for (size_t a = 0; a < ncur; a++) {
					memcpy(out[a], cur[a], curlens[a]);
					outlens[a] = curlens[a];
				}
			}
		}
		i = end;
		if (p[i] == '{') {
			while (p[i] && p[i] != '}')
				i++;
			if (p[i])
				i++;
		} else if (p[i] == '*' || p[i] == '+' || p[i] == '?')
			i++;
		if (p[i] == '?' || p[i] == '+')
			i++;
	}
	*prefixlen = plen;
	return nbest;
}

int
pattern_expand(const char *pattern, bool has_program, bool for_pcre, char *out,
    const char *where, char *err, size_t errlen)
{
	size_t used = 0;
	const char *p = pattern;
	bool ok = true;

	out[0] = '\0';
	if (pattern[0] != '^') {
		snprintf(err, errlen, "%s: pattern must start with '^' (anchor it to the line)", where);
		return -1;
	}
	if (!for_pcre && has_program)
		p++;
	/* For services with programs, PCRE2 matches the message alone: the
	 * syslog header is parsed once per line in C (rules/syslog.c) and the
	 * pattern's '^' anchors at the message start. */
	while (ok && *p) {
		if (strncmp(p, "<HOST>", 6) == 0) {
			const char *h = for_pcre ? HOST_PCRE : HOST_HS;
			ok = pat_append(out, &used, h, strlen(h));
			p += 6;
		} else if (strncmp(p, "<CONN>", 6) == 0) {
			const char *c = for_pcre ? CONN_PCRE : CONN_HS;
			ok = pat_append(out, &used, c, strlen(c));
			p += 6;
		} else {
			ok = pat_append(out, &used, p, 1);
			p++;
		}
	}
	/* The message of rsyslog's "message repeated N times: [ M]" ends in
	 * ']' (rules/syslog.c unwraps it for PCRE2): the prefilter lets one
	 * ']' sit between a final '$' and the line end. */
	if (ok && !for_pcre && has_program && used >= 1 && out[used - 1] == '$' &&
	    (used < 2 || out[used - 2] != '\\')) {
		used--;
		ok = pat_append(out, &used, "\\]?$", 4);
	}
	if (!ok) {
		snprintf(err, errlen, "%s: pattern too long (at most %d bytes after expansion)",
		    where, RULES_PATTERN_MAX);
		return -1;
	}
	return 0;
}
