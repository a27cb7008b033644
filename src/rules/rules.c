/* rules.c - loads rule files, compiles them into one literal prefilter
 * (litset; Hyperscan for the tests' engines) plus one PCRE2-JIT program per
 * rule, and scans chunks of lines. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <hs.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "rules/litset.h"
#include "rules/rules.h"
#include "rules/syslog.h"

/* PCRE2 runs only on lines the prefilter flagged, but a rule author can still
 * write a pattern that backtracks badly; these bound every run. */
#define PCRE2_MATCH_LIMIT 200000
#define PCRE2_DEPTH_LIMIT 2000
#define PCRE2_HEAP_LIMIT_KIB 4096

/* A rule's prefilter literals: a run of plain text with groups of
 * alternatives expands to at most LIT_ALTS_MAX strings of LIT_LEN_MAX
 * bytes ("(?:pam|sql)\\(" to "pam(" and "sql("). */
#define LIT_ALTS_MAX 32
#define LIT_LEN_MAX 128

static const char HOST_PCRE[] = "(?<host>[0-9A-Fa-f:.]{2,45})";
static const char HOST_HS[] = "[0-9A-Fa-f:.]+";
/* <CONN>: an identifier the service writes on each line of one connection
 * or message (MongoDB's "[conn12]", sendmail's queue id "4AB1cdE0012345"),
 * for lines whose syslog pid does not tell connections apart. Hashed, it
 * stands in for the pid in connection tracking. */
static const char CONN_PCRE[] = "(?<conn>[0-9A-Za-z]{1,20})";
static const char CONN_HS[] = "[0-9A-Za-z]+";

struct rule_impl {
	struct rules_rule info;
	char *hs_pattern;
	char *pcre_pattern;
	/* the prefilter's literals (raw bytes): one of them is in every
	 * line the rule matches; none for an every_line rule */
	char *lit[LIT_ALTS_MAX];
	size_t litlen[LIT_ALTS_MAX];
	size_t nlits;
	/* the fixed text the pattern starts with ("Failed " of "^Failed
	 * ..."): a subject without it is refused before PCRE2 runs */
	char *prefix;
	size_t prefixlen;
	pcre2_code *code;
	int host_group;
	int conn_group;		/* <CONN>, or -1 */
	bool every_line;	/* no literal for the prefilter: PCRE2 tries each line */
};

struct ruleset {
	size_t nrules, nservices;
	struct rule_impl rules[RULES_MAX];
	struct rules_service services[RULES_SERVICES_MAX];
	struct litset *lits;		/* RULES_PF_NATIVE */
	hs_database_t *db;		/* the tests' Hyperscan engines */
	pcre2_match_context *mctx;
	bool compiled;
	enum rules_prefilter_engine engine;	/* tests: rules_set_prefilter_engine */
	size_t nevery;			/* rules with every_line */
	int every[RULES_MAX];
};

struct hit {
	size_t line_start;
	int rule;
};

struct rules_scratch {
	const struct ruleset *rs;
	hs_scratch_t *hs;
	pcre2_match_data *md;
	pcre2_jit_stack *jit_stack;
	struct hit *hits;
	size_t nhits, hits_cap;
	size_t *last_line;	/* per rule: line_start+1 of its last hit, for de-duplication */
	const char *buf;
	size_t lit_pos, lit_line;	/* on_lit_match: last start seen, its line's start */
	uint64_t *counts;
	uint64_t limit_hits;
	bool overflow;
	const char *bare_prog;	/* lines are headerless messages of this program */
	size_t bare_proglen;
};

static const char *const kind_names[] = {
	[RK_FAIL] = "fail", [RK_PROBE] = "probe", [RK_PENDING] = "pending",
	[RK_SUCCESS] = "success", [RK_END] = "end", [RK_END_AUTH] = "end-auth",
	[RK_CONTEXT] = "context",
};

const char *
rules_kind_name(enum rule_kind k)
{
	return (unsigned)k < ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

static int
kind_parse(const char *s, enum rule_kind *out)
{
	for (size_t i = 0; i < ARRAY_LEN(kind_names); i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum rule_kind)i;
			return 0;
		}
	return -1;
}

struct ruleset *
rules_new(void)
{
	return calloc(1, sizeof(struct ruleset));
}

void
rules_free(struct ruleset *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->nrules; i++) {
		free(rs->rules[i].hs_pattern);
		free(rs->rules[i].pcre_pattern);
		for (size_t k = 0; k < rs->rules[i].nlits; k++)
			free(rs->rules[i].lit[k]);
		free(rs->rules[i].prefix);
		pcre2_code_free(rs->rules[i].code);
	}
	hs_free_database(rs->db);
	litset_free(rs->lits);
	pcre2_match_context_free(rs->mctx);
	free(rs);
}

void
rules_set_prefilter_engine(struct ruleset *rs, enum rules_prefilter_engine e)
{
	rs->engine = e;
}

size_t rules_count(const struct ruleset *rs) { return rs->nrules; }

size_t
rules_literals(const struct ruleset *rs, int i, const char **lits, size_t *lens, size_t max)
{
	const struct rule_impl *r = &rs->rules[i];

	for (size_t k = 0; k < r->nlits && k < max; k++) {
		lits[k] = r->lit[k];
		lens[k] = r->litlen[k];
	}
	return r->every_line ? 0 : r->nlits;
}

size_t rules_service_count(const struct ruleset *rs) { return rs->nservices; }

const struct rules_rule *
rules_get(const struct ruleset *rs, int i)
{
	return &rs->rules[i].info;
}

const struct rules_service *
rules_service_get(const struct ruleset *rs, int i)
{
	return &rs->services[i];
}

int
rules_service_find(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nservices; i++)
		if (strcmp(rs->services[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RULES_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* Syslog tags also hold '/' (postfix/smtpd); matched literally, never as a regex. */
static bool
program_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RULES_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' || *s == '/'))
			return false;
	return true;
}

static int
service_get_or_add(struct ruleset *rs, const char *name, char *err, size_t errlen,
    const char *where)
{
	int i = rules_service_find(rs, name);

	if (i >= 0)
		return i;
	if (!name_valid(name)) {
		snprintf(err, errlen, "%s: invalid service name '%s', expected letters, digits, '-', '_' or '.'",
		    where, name);
		return -1;
	}
	if (rs->nservices >= RULES_SERVICES_MAX) {
		snprintf(err, errlen, "%s: too many services (at most %d)", where, RULES_SERVICES_MAX);
		return -1;
	}
	struct rules_service *s = &rs->services[rs->nservices];
	memset(s, 0, sizeof(*s));
	strlcpy_ok(s->name, name, sizeof(s->name));
	s->maxretry = -1;
	s->findtime = s->bantime = -1;
	return (int)rs->nservices++;
}

/* Frees what rule_add allocated for a rule it then refuses. */
static void
rule_impl_clear(struct rule_impl *r)
{
	free(r->hs_pattern);
	free(r->pcre_pattern);
	for (size_t k = 0; k < r->nlits; k++)
		free(r->lit[k]);
	free(r->prefix);
	memset(r, 0, sizeof(*r));
}

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
static size_t
literal_set(const char *p, char out[][LIT_LEN_MAX], size_t *outlens, char *prefix, size_t *prefixlen)
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
			memcpy(cur, next, sizeof(cur));
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

/* Writes lit as a Hyperscan pattern of \xHH escapes (the tests' Hyperscan
 * literal engine). */
static bool
hs_escape(const char *lit, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";

	if (4 * n + 1 > cap)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)lit[i];
		out[4 * i] = '\\';
		out[4 * i + 1] = 'x';
		out[4 * i + 2] = hex[c >> 4];
		out[4 * i + 3] = hex[c & 15];
	}
	out[4 * n] = '\0';
	return true;
}

/* Builds the Hyperscan (tests' RULES_PF_HS_REGEX only) and PCRE2 forms of a
 * pattern: the syslog header for services with programs, and <HOST>
 * expanded. The Hyperscan form is left empty for the literal engines. */
static int
pattern_expand(const struct ruleset *rs, const struct rules_service *svc, const char *pattern,
    bool for_pcre, char *out, const char *where, char *err, size_t errlen)
{
	size_t used = 0;
	const char *p = pattern;
	bool ok = true;

	out[0] = '\0';
	if (pattern[0] != '^') {
		snprintf(err, errlen, "%s: pattern must start with '^' (anchor it to the line)", where);
		return -1;
	}
	if (!for_pcre) {
		/* Only the tests' RULES_PF_HS_REGEX gives Hyperscan the
		 * expression; the literal engines take literal_set (rule_add). */
		if (rs->engine != RULES_PF_HS_REGEX)
			return 0;
		if (svc->has_program)
			p++;
	}
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
	if (ok && !for_pcre && svc->has_program && used >= 1 && out[used - 1] == '$' &&
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

static int
rule_add(struct ruleset *rs, int service, enum rule_kind kind, const char *name,
    const char *pattern, const char *where, char *err, size_t errlen)
{
	char hs[RULES_PATTERN_MAX], pc[RULES_PATTERN_MAX];
	const struct rules_service *svc = &rs->services[service];

	if (rs->compiled) {
		snprintf(err, errlen, "%s: rules already compiled", where);
		return -1;
	}
	if (!name_valid(name)) {
		snprintf(err, errlen, "%s: invalid rule name '%s', expected letters, digits, '-', '_' or '.'",
		    where, name);
		return -1;
	}
	if (rs->nrules >= RULES_MAX) {
		snprintf(err, errlen, "%s: too many rules (at most %d)", where, RULES_MAX);
		return -1;
	}
	bool has_host = strstr(pattern, "<HOST>") != NULL;
	/* pending and the closing kinds may take the address from an earlier
	 * line of the same connection; fail and probe count on their own line. */
	if (!has_host && (kind == RK_FAIL || kind == RK_PROBE)) {
		snprintf(err, errlen, "%s: a '%s' rule needs <HOST> in its pattern", where,
		    rules_kind_name(kind));
		return -1;
	}
	if (has_host && strstr(strstr(pattern, "<HOST>") + 6, "<HOST>") != NULL) {
		snprintf(err, errlen, "%s: <HOST> may appear only once", where);
		return -1;
	}
	bool has_conn = strstr(pattern, "<CONN>") != NULL;
	if (has_conn && strstr(strstr(pattern, "<CONN>") + 6, "<CONN>") != NULL) {
		snprintf(err, errlen, "%s: <CONN> may appear only once", where);
		return -1;
	}
	if (pattern_expand(rs, svc, pattern, false, hs, where, err, errlen) != 0 ||
	    pattern_expand(rs, svc, pattern, true, pc, where, err, errlen) != 0)
		return -1;

	/* The prefilter only flags candidates; PCRE2 confirms each with the
	 * full anchored pattern. So the prefilter gets the pattern's longest
	 * run of plain text ("Failed password for "), never the regular
	 * expression: vectorscan 5.4.9, Debian 12's libhs, misses real matches
	 * of some multi-line expressions ("^.+x$") and literals past the 60th
	 * byte (tests/unit/test_hsdiff.c), and a line the prefilter misses is
	 * an attack not seen. A pattern without LITSET_MIN bytes of plain
	 * text is left to PCRE2 on every line (docs/rules.md, "Hyperscan"). */
	char lit[LIT_ALTS_MAX][LIT_LEN_MAX], prefix[LIT_LEN_MAX];
	size_t litlens[LIT_ALTS_MAX], nlits = 0, prefixlen = 0;
	nlits = literal_set(pattern + 1, lit, litlens, prefix, &prefixlen);
	if (rs->engine == RULES_PF_HS_REGEX)
		nlits = 0;
	else {
		for (size_t k = 0; k < nlits; k++)
			if (litlens[k] < LITSET_MIN || memchr(lit[k], '\n', litlens[k]) != NULL)
				nlits = 0;	/* short; or a newline, which no line holds */
		/* the tests' Hyperscan engine: the literals as one pattern */
		size_t used = 0;
		for (size_t k = 0; rs->engine == RULES_PF_HS_LITERAL && k < nlits; k++) {
			if (used + 4 * litlens[k] + 2 >= sizeof(hs) ||
			    !hs_escape(lit[k], litlens[k], hs + used + (k > 0), sizeof(hs) - used - 1)) {
				nlits = 0;
				hs[0] = '\0';
				break;
			}
			if (k > 0)
				hs[used] = '|';
			used += (k > 0) + 4 * litlens[k];
		}
	}

	struct rule_impl *r = &rs->rules[rs->nrules];
	memset(r, 0, sizeof(*r));
	for (size_t k = 0; k < nlits; k++) {
		if ((r->lit[k] = malloc(litlens[k])) == NULL) {
			for (size_t j = 0; j < k; j++)
				free(r->lit[j]);
			snprintf(err, errlen, "%s: out of memory", where);
			return -1;
		}
		memcpy(r->lit[k], lit[k], litlens[k]);
		r->litlen[k] = litlens[k];
	}
	r->nlits = nlits;
	if (prefixlen > 0 && (r->prefix = malloc(prefixlen)) != NULL) {
		memcpy(r->prefix, prefix, prefixlen);
		r->prefixlen = prefixlen;
	}
	strlcpy_ok(r->info.name, name, sizeof(r->info.name));
	strlcpy_ok(r->info.where, where, sizeof(r->info.where));
	r->info.kind = kind;
	r->info.service = service;
	r->every_line = rs->engine == RULES_PF_HS_REGEX ? hs[0] == '\0' : nlits == 0;
	r->hs_pattern = strdup(hs);
	r->pcre_pattern = strdup(pc);
	if (r->hs_pattern == NULL || r->pcre_pattern == NULL) {
		rule_impl_clear(r);
		snprintf(err, errlen, "%s: out of memory", where);
		return -1;
	}

	int ecode;
	PCRE2_SIZE eoff;
	r->code = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED, 0, &ecode, &eoff, NULL);
	if (r->code == NULL) {
		char msg[256];
		pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errlen, "%s: bad pattern: %s (near offset %zu of the expanded pattern)",
		    where, msg, (size_t)eoff);
		rule_impl_clear(r);
		return -1;
	}
	/* JIT is an optimisation: without it the interpreter still works. */
	(void)pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
	r->host_group = has_host ? pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)"host") : -1;
	r->conn_group = has_conn ? pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)"conn") : -1;
	rs->nrules++;
	return 0;
}

int
rules_add(struct ruleset *rs, const char *service, const char *kind,
    const char *name, const char *pattern, const char *where, char *err, size_t errlen)
{
	enum rule_kind k;
	int svc;

	if (kind_parse(kind, &k) != 0) {
		snprintf(err, errlen, "%s: unknown rule kind '%s', expected fail, probe, pending, "
		    "success, end, end-auth or context", where, kind);
		return -1;
	}
	if ((svc = service_get_or_add(rs, service, err, errlen, where)) < 0)
		return -1;
	return rule_add(rs, svc, k, name, pattern, where, err, errlen);
}

int
rules_service_add(struct ruleset *rs, const char *service, const char *where,
    char *err, size_t errlen)
{
	if (rules_service_find(rs, service) >= 0) {
		snprintf(err, errlen, "%s: service '%s' already exists (a rules file or rule line "
		    "defines it): choose another name", where, service);
		return -1;
	}
	return service_get_or_add(rs, service, err, errlen, where);
}

/* Splits off the next space-separated word of *p; NULL at end of line. */
static char *
next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return NULL;
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static char *
rest_of_line(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		p[--n] = '\0';
	return p;
}

int
rules_load_file(struct ruleset *rs, const char *path, char *err, size_t errlen)
{
	char line[RULES_PATTERN_MAX + 2], where[160];
	FILE *f = fopen(path, "re");
	int service = -1, lineno = 0, rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		char *p = line, *word;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f)) {
			snprintf(err, errlen, "%s: line too long (at most %d bytes)", where, RULES_PATTERN_MAX);
			goto out;
		}
		if ((word = next_word(&p)) == NULL || word[0] == '#')
			continue;
		if (strcmp(word, "service") == 0) {
			char *name = next_word(&p);
			if (name == NULL || next_word(&p) != NULL) {
				snprintf(err, errlen, "%s: expected 'service NAME'", where);
				goto out;
			}
			if ((service = service_get_or_add(rs, name, err, errlen, where)) < 0)
				goto out;
			continue;
		}
		if (service < 0) {
			snprintf(err, errlen, "%s: '%s' before any 'service NAME' line", where, word);
			goto out;
		}
		struct rules_service *svc = &rs->services[service];
		if (strcmp(word, "program") == 0) {
			char *prog;
			while ((prog = next_word(&p)) != NULL) {
				if (!program_valid(prog) || svc->nprograms >= RULES_PROGRAMS_MAX) {
					snprintf(err, errlen, "%s: bad program name '%s' or more than %d programs",
					    where, prog, RULES_PROGRAMS_MAX);
					goto out;
				}
				strlcpy_ok(svc->programs[svc->nprograms++], prog, RULES_NAME_MAX);
			}
			if (svc->nprograms == 0) {
				snprintf(err, errlen, "%s: expected 'program NAME...'", where);
				goto out;
			}
			svc->has_program = true;
			continue;
		}
		if (strcmp(word, "maxretry") == 0 || strcmp(word, "findtime") == 0 ||
		    strcmp(word, "bantime") == 0) {
			char *v = next_word(&p);
			uint64_t u;
			int64_t d;
			if (v == NULL || next_word(&p) != NULL) {
				snprintf(err, errlen, "%s: expected '%s VALUE'", where, word);
				goto out;
			}
			if (word[0] == 'm') {
				if (uint_parse(v, 1, 64, &u) != 0) {
					snprintf(err, errlen, "%s: bad maxretry '%s', expected 1..64", where, v);
					goto out;
				}
				svc->maxretry = (int)u;
			} else {
				if (duration_parse(v, &d) != 0 || d == 0) {
					snprintf(err, errlen, "%s: bad %s '%s', expected a duration such as 10m",
					    where, word, v);
					goto out;
				}
				if (word[0] == 'f')
					svc->findtime = d;
				else
					svc->bantime = d;
			}
			continue;
		}
		enum rule_kind kind;
		if (kind_parse(word, &kind) != 0) {
			snprintf(err, errlen, "%s: unknown directive '%s', expected service, program, "
			    "maxretry, findtime, bantime or a rule kind (fail, probe, pending, success, "
			    "end, end-auth, context)", where, word);
			goto out;
		}
		char *name = next_word(&p);
		char *pattern = name ? rest_of_line(p) : NULL;
		if (name == NULL || pattern[0] == '\0') {
			snprintf(err, errlen, "%s: expected '%s NAME PATTERN'", where, word);
			goto out;
		}
		if (rule_add(rs, service, kind, name, pattern, where, err, errlen) != 0)
			goto out;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
rules_load_dir(struct ruleset *rs, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[512];
	size_t n = 0;
	int rc = 0;

	if (d == NULL) {
		snprintf(err, errlen, "%s: cannot open rules directory: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL && n < ARRAY_LEN(names)) {
		size_t len = strlen(e->d_name);
		if (len > 6 && strcmp(e->d_name + len - 6, ".rules") == 0 && e->d_name[0] != '.')
			if ((names[n] = strdup(e->d_name)) != NULL)
				n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		if (rc == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			rc = rules_load_file(rs, path, err, errlen);
		}
		free(names[i]);
	}
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "%s: no *.rules files", dir);
		rc = -1;
	}
	return rc;
}

int
rules_compile(struct ruleset *rs, char *err, size_t errlen)
{
	const char **pats = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *cerr = NULL;
	int rc = -1;

	if (rs->nrules == 0) {
		snprintf(err, errlen, "no rules loaded");
		return -1;
	}
	pats = calloc(rs->nrules, sizeof(*pats));
	flags = calloc(rs->nrules, sizeof(*flags));
	ids = calloc(rs->nrules, sizeof(*ids));
	if (pats == NULL || flags == NULL || ids == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	unsigned npats = 0;
	rs->nevery = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		if (rs->rules[i].every_line) {
			rs->every[rs->nevery++] = (int)i;
			continue;
		}
		pats[npats] = rs->rules[i].hs_pattern;
		ids[npats] = (unsigned)i;
		flags[npats] = HS_FLAG_MULTILINE;
		npats++;
	}
	if (rs->engine == RULES_PF_NATIVE) {
		if ((rs->lits = litset_new()) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		for (unsigned k = 0; k < npats; k++) {
			const struct rule_impl *ri = &rs->rules[ids[k]];
			for (size_t j = 0; j < ri->nlits; j++)
				if (litset_add(rs->lits, ri->lit[j], ri->litlen[j], ids[k]) != 0) {
					snprintf(err, errlen, "%s: cannot add the rule's literal", ri->info.where);
					goto out;
				}
		}
		npats = 0;
	}
	/* A pattern Hyperscan cannot take as is (back-references, some
	 * assertions) still works as a prefilter: it may flag more lines, and
	 * PCRE2 has the final word anyway. Each failure names one pattern;
	 * retry with that one in prefilter mode. */
	while (npats > 0) {
		if (hs_compile_multi(pats, flags, ids, npats, HS_MODE_BLOCK,
		    NULL, &rs->db, &cerr) == HS_SUCCESS)
			break;
		int bad = cerr->expression;
		if (bad >= 0 && !(flags[bad] & HS_FLAG_PREFILTER)) {
			flags[bad] |= HS_FLAG_PREFILTER;
			hs_free_compile_error(cerr);
			cerr = NULL;
			continue;
		}
		snprintf(err, errlen, "%s: Hyperscan cannot compile this pattern: %s",
		    bad >= 0 ? rs->rules[ids[bad]].info.where : "rules", cerr->message);
		hs_free_compile_error(cerr);
		goto out;
	}
	rs->mctx = pcre2_match_context_create(NULL);
	if (rs->mctx == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	pcre2_set_match_limit(rs->mctx, PCRE2_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, PCRE2_DEPTH_LIMIT);
	pcre2_set_heap_limit(rs->mctx, PCRE2_HEAP_LIMIT_KIB);
	rs->compiled = true;
	rc = 0;
out:
	free(pats);
	free(flags);
	free(ids);
	return rc;
}

struct rules_scratch *
rules_scratch_new(const struct ruleset *rs)
{
	struct rules_scratch *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return NULL;
	sc->rs = rs;
	sc->hits_cap = 4096;
	sc->hits = malloc(sc->hits_cap * sizeof(*sc->hits));
	sc->last_line = calloc(rs->nrules, sizeof(*sc->last_line));
	sc->counts = calloc(rs->nrules, sizeof(*sc->counts));
	sc->md = pcre2_match_data_create(32, NULL);
	sc->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (sc->hits == NULL || sc->last_line == NULL || sc->counts == NULL ||
	    sc->md == NULL || sc->jit_stack == NULL ||
	    (rs->db != NULL && hs_alloc_scratch(rs->db, &sc->hs) != HS_SUCCESS)) {
		rules_scratch_free(sc);
		return NULL;
	}
	pcre2_jit_stack_assign(rs->mctx, NULL, sc->jit_stack);
	return sc;
}

void
rules_scratch_free(struct rules_scratch *sc)
{
	if (sc == NULL)
		return;
	hs_free_scratch(sc->hs);
	pcre2_match_data_free(sc->md);
	pcre2_jit_stack_free(sc->jit_stack);
	free(sc->hits);
	free(sc->last_line);
	free(sc->counts);
	free(sc);
}

uint64_t
rules_scratch_hits(const struct rules_scratch *sc, int rule)
{
	return sc->counts[rule];
}

uint64_t
rules_scratch_limit_hits(const struct rules_scratch *sc)
{
	return sc->limit_hits;
}

void
rules_scratch_set_program(struct rules_scratch *sc, const char *prog)
{
	sc->bare_prog = prog;
	sc->bare_proglen = prog != NULL ? strlen(prog) : 0;
}

static int
hit_push(struct rules_scratch *sc, size_t start, int rule)
{
	if (sc->nhits == sc->hits_cap) {
		size_t ncap = sc->hits_cap ? sc->hits_cap * 2 : 4096;
		struct hit *n = ncap <= (1u << 24) ? realloc(sc->hits, ncap * sizeof(*n)) : NULL;
		if (n == NULL) {
			sc->overflow = true;
			return -1;
		}
		sc->hits = n;
		sc->hits_cap = ncap;
	}
	sc->hits[sc->nhits].line_start = start;
	sc->hits[sc->nhits].rule = rule;
	sc->nhits++;
	return 0;
}

static int
on_hs_match(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	struct rules_scratch *sc = ctx;
	const char *buf = sc->buf;
	size_t end = (size_t)to, start;

	(void)from;
	(void)flags;
	/* The match ends inside or at the end of its line; find the line start.
	 * A negated class may let a prefilter match run across a newline: the
	 * line holding the end is still the one to confirm. */
	const char *nl = end > 0 ? memrchr(buf, '\n', end) : NULL;
	if (end > 0 && buf[end - 1] == '\n')	/* cannot happen for '$' ends, be safe */
		nl = end > 1 ? memrchr(buf, '\n', end - 1) : NULL;
	start = nl ? (size_t)(nl - buf) + 1 : 0;
	if (sc->last_line[id] == start + 1)
		return 0;
	sc->last_line[id] = start + 1;
	return hit_push(sc, start, (int)id) == 0 ? 0 : 1;	/* 1 stops: the caller reports it */
}

/* litset's report: a literal of rule id starts at buf[start]. Starts come
 * in increasing order, so the line start is searched for only between the
 * last start and this one: each byte once per scan, however many literals
 * a line holds. */
static int
on_lit_match(void *ctx, unsigned id, size_t start)
{
	struct rules_scratch *sc = ctx;
	size_t from = start >= sc->lit_pos ? sc->lit_pos : 0;
	const char *nl = start > from ? memrchr(sc->buf + from, '\n', start - from) : NULL;

	if (nl != NULL)
		sc->lit_line = (size_t)(nl - sc->buf) + 1;
	else if (from == 0 && start < sc->lit_pos)
		sc->lit_line = 0;	/* out of order (never from litset): from the buffer start */
	sc->lit_pos = start;
	size_t line = sc->lit_line;
	if (sc->last_line[id] == line + 1)
		return 0;
	sc->last_line[id] = line + 1;
	return hit_push(sc, line, (int)id) == 0 ? 0 : 1;
}

static int
cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->line_start != y->line_start)
		return x->line_start < y->line_start ? -1 : 1;
	return x->rule - y->rule;
}

/* The header of the line being confirmed, parsed at most once. */
struct line_hdr {
	bool parsed, ok;
	struct syslog_hdr h;
};

static bool
program_matches(const struct rules_service *svc, const struct syslog_hdr *h)
{
	for (size_t i = 0; i < svc->nprograms; i++)
		if (strlen(svc->programs[i]) == h->proglen &&
		    memcmp(svc->programs[i], h->prog, h->proglen) == 0)
			return true;
	return false;
}

/* Runs rule r's PCRE2 program over one line (or its syslog message); fills
 * m on success. */
static bool
confirm(const struct ruleset *rs, struct rules_scratch *sc, int r,
    const char *line, size_t len, struct line_hdr *lh, struct rules_match *m)
{
	const struct rule_impl *ri = &rs->rules[r];
	const struct rules_service *svc = &rs->services[ri->info.service];
	const char *subj = line;
	size_t slen = len;
	PCRE2_SIZE *ov;

	if (svc->has_program) {
		if (!lh->parsed) {
			if (sc->bare_prog != NULL) {
				/* journalctl -o cat: no header, the caller names
				 * the program (scan --program). */
				memset(&lh->h, 0, sizeof(lh->h));
				lh->h.prog = sc->bare_prog;
				lh->h.proglen = sc->bare_proglen;
				lh->h.msglen = len;
				lh->h.repeat = 1;
				lh->ok = true;
			} else
				lh->ok = syslog_parse(line, len, &lh->h) == 0;
			lh->parsed = true;
		}
		if (!lh->ok || !program_matches(svc, &lh->h))
			return false;
		subj = line + lh->h.msg;
		slen = lh->h.msglen;
	}
	/* '^' anchors at the subject's start: a subject that does not start
	 * with the pattern's fixed text cannot match (e.g. a line holding
	 * "Failed " elsewhere), and is refused without running PCRE2. */
	if (ri->prefixlen > 0 && (slen < ri->prefixlen || memcmp(subj, ri->prefix, ri->prefixlen) != 0))
		return false;
	int rc = pcre2_match(ri->code, (PCRE2_SPTR)subj, slen, 0, 0, sc->md, rs->mctx);
	if (rc < 0) {
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
			sc->limit_hits++;
		return false;
	}
	ov = pcre2_get_ovector_pointer(sc->md);
	m->has_addr = false;
	m->has_pid = svc->has_program && lh->h.has_pid;
	m->pid = m->has_pid ? lh->h.pid : 0;
	m->repeat = svc->has_program ? lh->h.repeat : 1;
	if (ri->host_group > 0 && rc > ri->host_group &&
	    ov[2 * ri->host_group] != PCRE2_UNSET) {
		size_t s = ov[2 * ri->host_group], e = ov[2 * ri->host_group + 1];
		if (addr_parse(subj + s, e - s, &m->addr) != 0)
			return false;	/* not an address: not this rule's line */
		m->has_addr = true;
	}
	if (ri->conn_group > 0 && rc > ri->conn_group && ov[2 * ri->conn_group] != PCRE2_UNSET) {
		uint32_t conn = 2166136261u;	/* FNV-1a */
		for (size_t k = ov[2 * ri->conn_group]; k < ov[2 * ri->conn_group + 1]; k++)
			conn = (conn ^ (uint8_t)subj[k]) * 16777619u;
		m->has_pid = true;
		m->pid = conn;
	}
	m->rule = r;
	m->info = &ri->info;
	return true;
}

static size_t
count_newlines(const char *p, size_t n)
{
	size_t c = 0;
	const char *end = p + n;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* The prefilter's pass over buf: sc->hits gets the flagged (line, rule) pairs,
 * sorted by line, then rule. 0 or -1. */
static int
prefilter(const struct ruleset *rs, struct rules_scratch *sc, const char *buf, size_t len)
{
	if (len > UINT32_MAX)
		return -1;
	sc->buf = buf;
	sc->lit_pos = sc->lit_line = 0;
	sc->nhits = 0;
	sc->overflow = false;
	memset(sc->last_line, 0, rs->nrules * sizeof(*sc->last_line));
	if (rs->lits != NULL && litset_scan(rs->lits, buf, len, on_lit_match, sc) != 0)
		return -1;
	if (rs->db != NULL &&
	    hs_scan(rs->db, buf, (unsigned)len, 0, sc->hs, on_hs_match, sc) != HS_SUCCESS &&
	    !sc->overflow)
		return -1;
	if (sc->overflow)
		return -1;
	/* Rules without literal text: every line is a candidate. */
	for (size_t start = 0; rs->nevery > 0 && start < len; ) {
		const char *nl = memchr(buf + start, '\n', len - start);
		for (size_t k = 0; k < rs->nevery; k++)
			if (hit_push(sc, start, rs->every[k]) != 0)
				return -1;
		start = nl ? (size_t)(nl - buf) + 1 : len;
	}
	if (rs->nevery > 0) {
		qsort(sc->hits, sc->nhits, sizeof(*sc->hits), cmp_hit);
		return 0;
	}
	/* Hits arrive ordered by match end, so by line; only the rules of one
	 * line may come out of order. Insertion sort is linear on that. */
	for (size_t i = 1; i < sc->nhits; i++) {
		struct hit h = sc->hits[i];
		size_t j = i;
		while (j > 0 && cmp_hit(&sc->hits[j - 1], &h) > 0) {
			sc->hits[j] = sc->hits[j - 1];
			j--;
		}
		sc->hits[j] = h;
	}
	return 0;
}

long
rules_prefilter(const struct ruleset *rs, struct rules_scratch *sc,
    const char *buf, size_t len, rules_flag_cb cb, void *arg)
{
	size_t line_index = 0, counted_to = 0;

	if (len == 0)
		return 0;
	if (prefilter(rs, sc, buf, len) != 0)
		return -1;
	for (size_t i = 0; i < sc->nhits; i++) {
		size_t start = sc->hits[i].line_start;
		line_index += count_newlines(buf + counted_to, start - counted_to);
		counted_to = start;
		cb(arg, line_index, sc->hits[i].rule);
	}
	line_index += count_newlines(buf + counted_to, len - counted_to);
	if (buf[len - 1] != '\n')
		line_index++;
	return (long)line_index;
}

bool
rules_confirm_line(const struct ruleset *rs, struct rules_scratch *sc, int rule,
    const char *line, size_t len, struct rules_match *m)
{
	struct line_hdr lh;

	memset(&lh, 0, sizeof(lh));
	if (rule < 0 || (size_t)rule >= rs->nrules || !confirm(rs, sc, rule, line, len, &lh, m))
		return false;
	m->line = line;
	m->len = len;
	m->line_index = 0;
	return true;
}

long
rules_scan(const struct ruleset *rs, struct rules_scratch *sc,
    const char *buf, size_t len, rules_match_cb cb, void *arg)
{
	size_t line_index = 0, counted_to = 0;

	if (len == 0)
		return 0;
	if (prefilter(rs, sc, buf, len) != 0)
		return -1;
	for (size_t i = 0; i < sc->nhits; ) {
		size_t start = sc->hits[i].line_start;
		const char *line = buf + start;
		const char *nl = memchr(line, '\n', len - start);
		size_t llen = nl ? (size_t)(nl - line) : len - start;
		struct rules_match m;
		struct line_hdr lh = { false, false, { NULL, 0, false, 0, 0, 0, 0 } };
		bool found = false;

		line_index += count_newlines(buf + counted_to, start - counted_to);
		counted_to = start;
		for (; i < sc->nhits && sc->hits[i].line_start == start; i++) {
			if (!found && confirm(rs, sc, sc->hits[i].rule, line, llen, &lh, &m))
				found = true;
		}
		if (found) {
			m.line = line;
			m.len = llen;
			m.line_index = line_index;
			sc->counts[m.rule]++;
			cb(arg, &m);
		}
	}
	line_index += count_newlines(buf + counted_to, len - counted_to);
	if (buf[len - 1] != '\n')
		line_index++;
	return (long)line_index;
}
