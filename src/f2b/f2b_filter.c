/* f2b_filter.c - fail2ban filters compiled to PCRE2-JIT and run line by line
 * as fail2ban's server does (server/filter.py processLine and findFailure,
 * server/failregex.py Regex and FailRegex), with a literal prefilter in
 * front. Every buffer has a ceiling; see f2b_filter.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/lru.h"
#include "common/util.h"
#include "f2b/f2b_date.h"
#include "f2b/f2b_filter.h"
#include "f2b/f2b_u8.h"

/* The bounds rules.c uses: a filter file is input we did not write. */
#define F2B_MATCH_LIMIT 200000
#define F2B_DEPTH_LIMIT 2000
#define F2B_HEAP_LIMIT_KIB 4096
#define F2B_PATTERN_MAX (64u << 10)	/* bytes of one regex after tag expansion */
#define F2B_VAL_MAX 256			/* bytes kept of one group value (ids, addresses) */
#define F2B_SKIP_MAX 16			/* <SKIPLINES> per regex */
#define F2B_ALT_MAX 16			/* <F-ALT_*> groups per regex */
#define F2B_ANYOF_MAX 4			/* alternation clauses per regex */
#define F2B_ANYOF_LITS 16		/* branches of one alternation clause */

/* fail2ban's tag expansions (failregex.py R_HOST, RH4TAG), as PCRE2 text. */
#define RX_IP4 "(?:::f{4,6}:)?(?P<ip4>(?:\\d{1,3}\\.){3}\\d{1,3})"
#define RX_IP6 "(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):))"
#define RX_DNS "(?P<dns>[\\w\\-.^_]*\\w)"
#define RX_ADDR "\\[?(?:" RX_IP4 "|" RX_IP6 ")\\]?"
#define RX_HOST "(?:" RX_ADDR "|" RX_DNS ")"
#define RX_CIDR "(?P<cidr>\\d+)"
#define RX_SUBNET "\\[?(?:" RX_IP4 "|" RX_IP6 ")(?:/" RX_CIDR ")?\\]?"

static const struct {
	const char *tag, *rx;
} tag_table[] = {
	{ "HOST", RX_HOST },	/* usedns is not "no": names allowed, never resolved */
	{ "IP4", RX_IP4 }, { "F-IP4/", RX_IP4 },
	{ "IP6", RX_IP6 }, { "F-IP6/", RX_IP6 },
	{ "ADDR", RX_ADDR }, { "F-ADDR/", RX_ADDR },
	{ "CIDR", RX_CIDR }, { "F-CIDR/", RX_CIDR },
	{ "SUBNET", RX_SUBNET }, { "F-SUBNET/", RX_SUBNET },
	{ "DNS", RX_DNS }, { "F-DNS/", RX_DNS },
	{ "F-ID/", "(?P<fid>\\S+)" },
	{ "F-PORT/", "(?P<fport>\\w+)" },
};

/* The group names findFailure looks at. */
enum key {
	K_IP4, K_IP6, K_DNS, K_FID, K_CIDR, K_MLFID, K_NOFAIL, K_MLFFORGET,
	K_MLFGAINED, K_CONTENT, K_USER, K_N
};
static const char *const key_names[K_N] = {
	"ip4", "ip6", "dns", "fid", "cidr", "mlfid", "nofail", "mlfforget",
	"mlfgained", "content", "user",
};
/* The ones a connection (mlfid) keeps between lines. */
#define V_N (K_CIDR + 1)

struct f2b_re {
	pcre2_code *code;
	int group[K_N];			/* group number, or -1 when absent */
	int alt_group[F2B_ALT_MAX], alt_key[F2B_ALT_MAX];
	size_t nalt;			/* <F-ALT_x> groups, in name order */
	int skip_group[F2B_SKIP_MAX];
	size_t nskip;
	uint32_t ncaptures;
	char *lit;			/* a text every match contains (prefilter), or NULL */
	int lit_id;			/* lit's index in the set's prefilter, or -1 */
	/* alternations every match goes through, each as one text per
	 * branch: a match contains at least one text of each clause */
	struct anyof {
		char *lit[F2B_ANYOF_LITS];
		int id[F2B_ANYOF_LITS];	/* index in the prefilter, or -1 */
		size_t n;
	} anyof[F2B_ANYOF_MAX];
	size_t nanyof;
	bool anyof_live;		/* the clauses' texts are in the prefilter */
	bool jit;			/* JIT-compiled: run by pcre2_jit_match */
};

struct slot {
	char *p;
	size_t n, cap;
	bool cand;		/* holds a literal of the filter (or may: content) */
};

struct sbuf {
	char *p;
	size_t n, cap;
};

struct view {
	const char *p;
	size_t n;
	bool set;
};

/* One match's groups, as fail2ban's getGroups() dict: `has` is whether
 * the name is in the dict at all (a group that did not take part is there
 * as None and still overrides prefregex's value). */
struct gvals {
	struct view v[K_N];
	bool has[K_N];
	size_t mstart, mend;
	struct view skip[F2B_SKIP_MAX];
	size_t nskip;
};

struct fstr {
	bool set, trunc;
	uint16_t n;
	char s[F2B_VAL_MAX];
};

/* A failure's merged data (fail2ban's `fail` dict, the fields that decide). */
struct fail {
	struct fstr v[V_N];
	bool nofail, mlfgained, mlfpending;
	uint8_t nusers;			/* distinct users seen, up to 2 */
	uint64_t user1;
};

struct mlf_key {
	uint64_t hash;
	uint16_t n;
	char head[54];
};

struct mlf_entry {
	int64_t expires;
	struct fail fail;
};

struct f2b_flt {
	char *name;
	unsigned flags;
	int maxlines;
	int dates;			/* index into the set's date detectors; -1: none */
	bool has_pref;
	struct f2b_re pref;
	struct f2b_re *fail, *ign;
	size_t nfail, nign;
	bool always;			/* the prefilter cannot rule a line out */
	struct lru *mlf;		/* connections, when a regex has <F-MLFID> */
	struct slot *slots;
	size_t nslots;
	uint32_t *mark, stamp;
	int *lb, *org, *matched, *unmatched;
	size_t nlb, norg, nmatched, nunmatched;
	struct f2b_filter_stats st;
};

struct dateset {
	struct f2b_dates *d;
	char **pats;
	size_t n;
	/* this line's answer */
	uint64_t gen;
	int found;
	struct f2b_date_hit hit;
	bool have_last;
	int64_t last;
	/* this line's text with the date cut out, plus the final "\n": what
	 * every single-line filter of this date detector sees (built once) */
	uint64_t text_gen;
	struct sbuf text;
};

struct f2b_set {
	struct f2b_flt *flt[F2B_FLT_MAX];
	size_t n;
	struct dateset *dates;
	size_t ndates;
	pcre2_compile_context *cctx;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	pcre2_match_data *md;
	uint32_t max_captures;
	bool compiled;
	/* prefilter: the literals, chained by a hash of their first three bytes */
	char **lit;
	size_t *lit_len, nlit;
	int *lit_filter;		/* literal -> filter */
	uint32_t *lit_next;		/* literal -> next literal with the same pair, +1 */
	uint32_t *lit_head, *lit_mask;	/* literal -> its first 4 bytes, and which count */
	uint32_t *pair_head;		/* hash -> first literal, +1 (65536 entries) */
	uint64_t pair_bits[65536 / 64];	/* hashes that start some literal */
	uint8_t *cand;			/* per filter: flagged on this line */
	uint64_t *lit_gen;		/* per literal: gen of the last line holding it */
	struct sbuf lower;		/* the line in lower case, 4 zero bytes after it */
	uint64_t passed;
	uint64_t overlong;		/* lines over F2B_FLT_LINE_MAX, dropped whole */
	/* per-line scratch */
	uint64_t gen;
	struct f2b_u8 u8;		/* the line as fail2ban decodes it */
	struct sbuf a, b, c;
	struct sbuf nodate_text;	/* the line and "\n", for filters without dates */
	uint64_t nodate_gen;
	char id[F2B_VAL_MAX + 1];
};

/* ---- small helpers ---- */

static int
sbuf_reserve(struct sbuf *b, size_t n)
{
	if (n <= b->cap)
		return 0;
	if (n > F2B_FLT_BUF_MAX + 2 * F2B_FLT_LINE_MAX + 16)
		return -1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static uint64_t
fnv64(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static bool
view_true(const struct view *v)
{
	return v->set && v->n > 0;	/* Python truthiness of a str group */
}

/* ---- fail2ban regex text to PCRE2 text ---- */

struct out {
	char *p;
	size_t n, cap;
	bool over;
};

static void
out_put(struct out *o, const char *s, size_t n)
{
	if (o->over || o->n + n >= o->cap) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
}

static bool
is_tagchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-';
}

/* failregex.py _resolveHostTag: every </?[\w\-]+/?> is looked up; unknown
 * tags stay as they are. */
static void
expand_tags(const char *s, struct out *o)
{
	char open[32][48];
	size_t nopen = 0;
	int skiplines = 0;

	while (*s) {
		size_t i = 1, j;
		if (s[0] != '<') {
			out_put(o, s, 1);
			s++;
			continue;
		}
		if (s[i] == '/')
			i++;
		j = i;
		while (is_tagchar(s[j]))
			j++;
		if (j == i) {
			out_put(o, s, 1);
			s++;
			continue;
		}
		if (s[j] == '/')
			j++;
		if (s[j] != '>') {
			out_put(o, s, 1);
			s++;
			continue;
		}
		/* the tag is s[0..j], its name s[1..j) */
		const char *tn = s + 1;
		size_t tl = j - 1;
		const char *rx = NULL;
		char buf[96];
		if (tl == 4 && memcmp(tn, "HOST", 4) == 0)
			rx = RX_HOST;
		else if (tl == 9 && memcmp(tn, "SKIPLINES", 9) == 0) {
			snprintf(buf, sizeof(buf), "\\n(?P<skiplines%d>(?:(?:.*\\n)*?))", skiplines++);
			rx = buf;
		} else {
			for (size_t k = 0; k < ARRAY_LEN(tag_table); k++)
				if (strlen(tag_table[k].tag) == tl && memcmp(tag_table[k].tag, tn, tl) == 0)
					rx = tag_table[k].rx;
		}
		if (rx == NULL) {
			/* ^(/?)F-([A-Z0-9_\-]+)$: a custom group, opened or closed */
			bool close = tn[0] == '/';
			const char *nm = tn + close;
			size_t nl = tl - close;
			bool ok = nl > 2 && nm[0] == 'F' && nm[1] == '-';
			for (size_t k = 2; ok && k < nl; k++)
				ok = (nm[k] >= 'A' && nm[k] <= 'Z') || (nm[k] >= '0' && nm[k] <= '9') ||
				    nm[k] == '_' || nm[k] == '-';
			if (ok && nl - 2 < sizeof(open[0])) {
				char name[48];
				memcpy(name, nm + 2, nl - 2);
				name[nl - 2] = '\0';
				if (close) {
					for (size_t k = 0; k < nopen && rx == NULL; k++)
						if (strcmp(open[k], name) == 0)
							rx = ")";
				} else {
					bool known = false;
					for (size_t k = 0; k < nopen; k++)
						known |= strcmp(open[k], name) == 0;
					if (!known && nopen < ARRAY_LEN(open))
						memcpy(open[nopen++], name, sizeof(name));
					for (char *c = name; *c; c++)
						if (*c >= 'A' && *c <= 'Z')
							*c = (char)(*c - 'A' + 'a');
					snprintf(buf, sizeof(buf), "(?P<%s>",
					    strcmp(name, "id") == 0 ? "fid" : strcmp(name, "port") == 0 ? "fport" : name);
					rx = buf;
				}
			}
		}
		if (rx != NULL)
			out_put(o, rx, strlen(rx));
		else
			out_put(o, s, j + 1);
		s += j + 1;
	}
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* What Python's re reads differently from PCRE2: x{,n} (PCRE2: literal),
 * \Z (Python: the very end, PCRE2's \z), \uXXXX and \UXXXXXXXX, and '['
 * inside a class (PCRE2 would start a POSIX class "[:alpha:]"). */
static void
python_to_pcre(const char *s, struct out *o)
{
	while (*s) {
		if (s[0] == '\\') {
			if (s[1] == '\0') {
				out_put(o, s, 1);
				return;
			}
			if (s[1] == 'Z') {
				out_put(o, "\\z", 2);
				s += 2;
				continue;
			}
			size_t nd = s[1] == 'u' ? 4 : s[1] == 'U' ? 8 : 0;
			bool hex = nd > 0;
			for (size_t k = 0; hex && k < nd; k++)
				hex = is_hex(s[2 + k]);
			if (hex) {
				out_put(o, "\\x{", 3);
				out_put(o, s + 2, nd);
				out_put(o, "}", 1);
				s += 2 + nd;
				continue;
			}
			out_put(o, s, 2);
			s += 2;
			continue;
		}
		if (s[0] == '[') {
			out_put(o, s++, 1);
			if (*s == '^')
				out_put(o, s++, 1);
			if (*s == ']') {
				out_put(o, "\\]", 2);
				s++;
			}
			while (*s && *s != ']') {
				if (s[0] == '\\' && s[1]) {
					out_put(o, s, 2);
					s += 2;
				} else if (s[0] == '[') {
					out_put(o, "\\[", 2);
					s++;
				} else
					out_put(o, s++, 1);
			}
			if (*s)
				out_put(o, s++, 1);
			continue;
		}
		if (s[0] == '{' && s[1] == ',') {
			size_t k = 2;
			while (s[k] >= '0' && s[k] <= '9')
				k++;
			if (k > 2 && s[k] == '}') {
				out_put(o, "{0,", 3);
				s += 2;
				continue;
			}
		}
		out_put(o, s++, 1);
	}
}

int
f2b_regex_translate(const char *text, char *out, size_t n)
{
	struct out t = { malloc(F2B_PATTERN_MAX), 0, F2B_PATTERN_MAX, false };
	struct out o = { out, 0, n, false };

	if (t.p == NULL || n == 0) {
		free(t.p);
		return -1;
	}
	t.p[0] = out[0] = '\0';
	expand_tags(text, &t);
	if (!t.over)
		python_to_pcre(t.p, &o);
	free(t.p);
	return t.over || o.over ? -1 : 0;
}

/* ---- literal prefilter: a text every match of a regex contains ---- */

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
	return p;
}

static char *
required_literal(const char *p)
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

static void
anyof_free(struct anyof *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->lit[i]);
	a->n = 0;
}

/* The alternation p[from..to) split at its top-level '|': each branch's
 * required run into *a. false (a left empty) when a branch has none, or
 * there are too many branches. */
static bool
anyof_read(const char *p, size_t from, size_t to, bool caseless, struct anyof *a)
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
	anyof_free(a);
	return false;
}

/* The alternations every match of re's pattern p goes through: the whole
 * pattern when it has a top-level '|', else each top-level group with a
 * '|' that is neither optional nor a lookaround. Each becomes a clause
 * when every branch has a run of 3 characters: a line holding no text of
 * a clause cannot match (asterisk's "(?:NOTICE|SECURITY|WARNING)",
 * postfix's "reject:" or " after "). */
static void
required_anyof(const char *p, struct f2b_re *re)
{
	bool caseless, alt, top_alt = false;

	re->nanyof = 0;
	if ((p = literal_pattern(p, &caseless)) == NULL)
		return;
	size_t n = strlen(p);
	for (size_t i = 0; p[i]; i++) {
		if (p[i] == '\\' && p[i + 1])
			i++;
		else if (p[i] == '[') {
			if ((i = class_end(p, i)) == 0)
				return;
		} else if (p[i] == '(') {
			if ((i = group_end(p, i, &alt)) == 0)
				return;
		} else if (p[i] == '|')
			top_alt = true;
	}
	if (top_alt) {
		if (anyof_read(p, 0, n, caseless, &re->anyof[0]))
			re->nanyof = 1;
		return;
	}
	for (size_t i = 0; p[i] && re->nanyof < F2B_ANYOF_MAX; i++) {
		if (p[i] == '\\' && p[i + 1])
			i++;
		else if (p[i] == '[')
			i = class_end(p, i);
		else if (p[i] == '(') {
			size_t e = group_end(p, i, &alt), skip = 0;
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
			if (alt && !optional && skip > 0 &&
			    anyof_read(p, i + skip, e, caseless, &re->anyof[re->nanyof]))
				re->nanyof++;
			i = e;
		}
	}
}

/* ---- compiling ---- */

static void
re_free(struct f2b_re *re)
{
	pcre2_code_free(re->code);
	free(re->lit);
	for (size_t i = 0; i < re->nanyof; i++)
		anyof_free(&re->anyof[i]);
	memset(re, 0, sizeof(*re));
}

/* failregex.py COMPLNAME_CRE and mapTag2Opt: alt_user_1 -> user. */
static int
alt_target(const char *name)
{
	char t[64];
	size_t n;

	if (strncmp(name, "alt_", 4) != 0 || strlen(name) <= 4)
		return -1;
	if (!strlcpy_ok(t, name + 4, sizeof(t)))
		return -1;
	n = strlen(t);
	size_t k = n;
	while (k > 0 && t[k - 1] >= '0' && t[k - 1] <= '9')
		k--;
	if (k < n && k > 0 && t[k - 1] == '_')
		t[k - 1] = '\0';
	for (char *c = t; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	const char *m = strcmp(t, "id") == 0 ? "fid" : strcmp(t, "port") == 0 ? "fport" : t;
	for (int i = 0; i < K_N; i++)
		if (strcmp(m, key_names[i]) == 0)
			return i;
	return -1;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
re_compile(struct f2b_set *s, struct f2b_re *re, const char *text, bool multiline,
    const char *where, char *err, size_t errlen)
{
	char *pc = malloc(F2B_PATTERN_MAX);
	int ecode, rc = -1;
	PCRE2_SIZE eoff;

	memset(re, 0, sizeof(*re));
	if (pc == NULL) {
		snprintf(err, errlen, "%s: out of memory", where);
		return -1;
	}
	const char *t = text;
	while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
		t++;
	if (*t == '\0') {
		snprintf(err, errlen, "%s: empty regex", where);
		goto out;
	}
	if (f2b_regex_translate(text, pc, F2B_PATTERN_MAX) != 0) {
		snprintf(err, errlen, "%s: regex too long after tag expansion (at most %u bytes)",
		    where, F2B_PATTERN_MAX);
		goto out;
	}
	/* \C (one code unit) could split a character and hand PCRE2 invalid
	 * UTF-8 under PCRE2_NO_UTF_CHECK; Python refuses it, so does this. */
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C;
	if (multiline)
		opts |= PCRE2_MULTILINE | PCRE2_ALT_CIRCUMFLEX;
	re->code = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED, opts, &ecode, &eoff, s->cctx);
	if (re->code == NULL) {
		char msg[256];
		pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errlen, "%s: bad regex: %s at offset %zu of '%.*s'", where, msg,
		    (size_t)eoff, 200, pc);
		goto out;
	}
	/* JIT is a speed-up; the interpreter gives the same answers. */
	re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ncaptures);
	if (re->ncaptures + 1 > s->max_captures)
		s->max_captures = re->ncaptures + 1;
	for (int k = 0; k < K_N; k++) {
		int g = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)key_names[k]);
		re->group[k] = g > 0 ? g : -1;
	}
	for (int k = 0; k < F2B_SKIP_MAX; k++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "skiplines%d", k);
		int g = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)nm);
		if (g <= 0)
			break;
		re->skip_group[re->nskip++] = g;
	}
	uint32_t count = 0, esize = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	const char *alts[F2B_ALT_MAX] = { NULL };
	size_t nalts = 0;
	for (uint32_t i = 0; i < count && nalts < F2B_ALT_MAX; i++) {
		const char *nm = (const char *)table + (size_t)i * esize + 2;
		if (alt_target(nm) >= 0)
			alts[nalts++] = nm;
	}
	qsort(alts, nalts, sizeof(alts[0]), cmp_name);
	for (size_t i = 0; i < nalts; i++) {
		re->alt_group[i] = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)alts[i]);
		re->alt_key[i] = alt_target(alts[i]);
	}
	re->nalt = nalts;
	re->lit = required_literal(pc);
	if (!multiline)		/* the clauses serve single-line filters only */
		required_anyof(pc, re);
	rc = 0;
out:
	free(pc);
	return rc;
}

/* Whether the line may hold a match of re, by the prefilter's findings
 * (for a single-line filter's regexes: their text is cut from the line). */
static bool
re_possible(const struct f2b_set *s, const struct f2b_re *re)
{
	if (re->lit_id >= 0 && s->lit_gen[re->lit_id] != s->gen)
		return false;
	if (!re->anyof_live)
		return true;
	for (size_t c = 0; c < re->nanyof; c++) {
		const struct anyof *a = &re->anyof[c];
		size_t k = 0;
		while (k < a->n && s->lit_gen[a->id[k]] != s->gen)
			k++;
		if (k == a->n)
			return false;
	}
	return true;
}

/* Runs re over subj; >0 on a match (its groups are in s->md), 0 if none. */
static int
re_run(struct f2b_set *s, struct f2b_flt *f, const struct f2b_re *re, const char *subj, size_t n)
{
	/* pcre2_jit_match is pcre2_match's JIT path without its checks of
	 * the arguments (which cost some 200 instructions a call, and there
	 * are several calls a line); the subject is valid UTF-8 either way. */
	int rc = re->jit ?
	    pcre2_jit_match(re->code, (PCRE2_SPTR)subj, n, 0, PCRE2_NO_UTF_CHECK, s->md, s->mctx) :
	    pcre2_match(re->code, (PCRE2_SPTR)subj, n, 0, PCRE2_NO_UTF_CHECK, s->md, s->mctx);

	if (rc > 0)
		return rc;
	if (rc != PCRE2_ERROR_NOMATCH)
		f->st.limit_hits++;	/* match, depth, heap or JIT stack limit */
	return 0;
}

static struct view
group_view(const char *subj, int rc, const PCRE2_SIZE *ov, int g)
{
	struct view v = { NULL, 0, false };

	if (g > 0 && g < rc && ov[2 * g] != PCRE2_UNSET) {
		v.p = subj + ov[2 * g];
		v.n = ov[2 * g + 1] - ov[2 * g];
		v.set = true;
	}
	return v;
}

/* failregex.py getGroups / _getGroupsWithAlt, for the names that matter. */
static void
re_values(struct f2b_set *s, const struct f2b_re *re, const char *subj, int rc, struct gvals *g)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);

	for (int k = 0; k < K_N; k++) {
		g->has[k] = re->group[k] > 0;
		g->v[k] = group_view(subj, rc, ov, re->group[k]);
	}
	for (size_t i = 0; i < re->nalt; i++) {
		struct view v = group_view(subj, rc, ov, re->alt_group[i]);
		int k = re->alt_key[i];
		if (view_true(&v) && !view_true(&g->v[k])) {
			g->v[k] = v;
			g->has[k] = true;
		}
	}
	g->mstart = ov[0];
	g->mend = ov[1];
	g->nskip = 0;
	for (size_t i = 0; i < re->nskip; i++)
		g->skip[g->nskip++] = group_view(subj, rc, ov, re->skip_group[i]);
}

/* ---- the line buffer ---- */

static int
slot_alloc(struct f2b_flt *f)
{
	if (++f->stamp == 0) {
		memset(f->mark, 0, f->nslots * sizeof(*f->mark));
		f->stamp = 1;
	}
	for (size_t i = 0; i < f->nlb; i++)
		f->mark[f->lb[i]] = f->stamp;
	for (size_t i = 0; i < f->norg; i++)
		f->mark[f->org[i]] = f->stamp;
	for (size_t i = 0; i < f->nslots; i++)
		if (f->mark[i] != f->stamp)
			return (int)i;
	return -1;	/* cannot happen: maxlines + 2 slots, at most maxlines + 1 live */
}

static int
slot_set(struct slot *sl, const char *a, size_t na, const char *b, size_t nb)
{
	size_t n = na + nb;

	if (n > sl->cap) {
		size_t cap = sl->cap ? sl->cap : 128;
		while (cap < n)
			cap *= 2;
		char *p = realloc(sl->p, cap);
		if (p == NULL)
			return -1;
		sl->p = p;
		sl->cap = cap;
	}
	if (na)
		memcpy(sl->p, a, na);
	if (nb)
		memcpy(sl->p + na, b, nb);
	sl->n = n;
	return 0;
}

/* Regex._tupleLinesBuf: the lines joined by "\n", and a final "\n". */
static int
join_lines(const struct f2b_flt *f, const int *ids, size_t n, struct sbuf *out)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += f->slots[ids[i]].n + 1;
	if (sbuf_reserve(out, total + 1) != 0)
		return -1;
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct slot *sl = &f->slots[ids[i]];
		if (sl->n > 0)	/* an empty line may have no buffer yet */
			memcpy(out->p + out->n, sl->p, sl->n);
		out->n += sl->n;
		out->p[out->n++] = '\n';
	}
	out->p[out->n] = '\0';
	return 0;
}

static size_t
count_nl(const char *p, size_t n)
{
	size_t c = 0;
	const char *end = p + n;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* Regex.search's bookkeeping: which lines of org the match covers (they
 * leave the buffer) and which stay (before it, <SKIPLINES>, after it). */
static void
split_matched(struct f2b_flt *f, const char *buf, size_t blen, const struct gvals *g)
{
	f->nmatched = f->nunmatched = 0;
	if (f->norg <= 1) {
		for (size_t i = 0; i < f->norg; i++)
			f->matched[f->nmatched++] = f->org[i];
		return;
	}
	size_t lim = g->mstart + 1 < blen ? g->mstart + 1 : blen;
	const char *nl = lim ? memrchr(buf, '\n', lim) : NULL;
	size_t mls = nl ? (size_t)(nl - buf) + 1 : 0;
	size_t from = g->mend > 0 ? g->mend - 1 : (blen ? blen - 1 : 0);
	nl = from < blen ? memchr(buf + from, '\n', blen - from) : NULL;
	size_t mle = nl ? (size_t)(nl - buf) + 1 : blen;
	size_t lc1 = count_nl(buf, mls), lc2 = count_nl(buf, mle);
	if (lc1 > f->norg)
		lc1 = f->norg;
	if (lc2 > f->norg)
		lc2 = f->norg;
	for (size_t i = 0; i < lc1; i++)
		f->unmatched[f->nunmatched++] = f->org[i];
	for (size_t i = lc1; i < lc2; i++)
		f->matched[f->nmatched++] = f->org[i];
	/* each skipped line leaves the matched ones (the first equal one at or
	 * after the previous find) */
	size_t from_m = 0;
	for (size_t k = 0; k < g->nskip; k++) {
		const char *p = g->skip[k].p, *end = p + g->skip[k].n;
		if (!g->skip[k].set)
			continue;
		while (p < end) {
			const char *e = memchr(p, '\n', (size_t)(end - p));
			size_t ln = e ? (size_t)(e - p) : (size_t)(end - p);
			for (size_t m = from_m; m < f->nmatched; m++) {
				const struct slot *sl = &f->slots[f->matched[m]];
				if (sl->n == ln && (ln == 0 || memcmp(sl->p, p, ln) == 0)) {
					f->unmatched[f->nunmatched++] = f->matched[m];
					memmove(f->matched + m, f->matched + m + 1,
					    (f->nmatched - m - 1) * sizeof(*f->matched));
					f->nmatched--;
					from_m = m;
					break;
				}
			}
			p += ln + 1;
		}
	}
	for (size_t i = lc2; i < f->norg; i++)
		f->unmatched[f->nunmatched++] = f->org[i];
}

static void
lb_set(struct f2b_flt *f, const int *ids, size_t n)
{
	memmove(f->lb, ids, n * sizeof(*ids));
	f->nlb = n;
}

/* ---- connections (<F-MLFID>): filter.py _mergeFailure ---- */

static void
fstr_set(struct fstr *d, const struct view *v)
{
	d->set = v->set;
	d->trunc = v->n >= sizeof(d->s);
	d->n = (uint16_t)(d->trunc ? sizeof(d->s) - 1 : v->n);
	if (v->set)
		memcpy(d->s, v->p, d->n);
	d->s[d->n] = '\0';
}

static void
mlf_key_make(struct mlf_key *k, const struct view *id)
{
	memset(k, 0, sizeof(*k));
	k->hash = fnv64(id->p, id->n);
	k->n = (uint16_t)(id->n > UINT16_MAX ? UINT16_MAX : id->n);
	memcpy(k->head, id->p, id->n < sizeof(k->head) ? id->n : sizeof(k->head));
}

/* Merges the current match (cur, whose user is `user`) into the
 * connection's data. Returns the data to decide on: the table's entry
 * (*entry set, so that a pending mark sticks) or *tmp. */
static struct fail *
mlf_merge(struct f2b_flt *f, const struct view *mlfid, struct fail *cur,
    const struct view *user, const struct view *forget, const struct view *gained,
    const struct view *nofail, int64_t now, struct fail *tmp, struct mlf_entry **entry)
{
	struct mlf_key key;
	struct mlf_entry *e;
	unsigned fl = 0;
	int nusers = -1;	/* -1: no users set (Python: users is None) */

	*entry = NULL;
	cur->nofail = view_true(nofail);
	cur->mlfgained = view_true(gained);
	if (view_true(gained)) {
		fl |= 8 | 1;
		cur->nofail = true;
	} else if (view_true(nofail))
		fl |= 1;
	if (view_true(forget))
		fl |= 2;
	mlf_key_make(&key, mlfid);
	e = lru_get(f->mlf, &key);
	if (e != NULL && e->expires <= now) {
		lru_remove(f->mlf, &key);
		e = NULL;
	}
	uint64_t uh = view_true(user) ? fnv64(user->p, user->n) : 0;
	struct fail *r;
	if (e != NULL) {
		struct fail *g = &e->fail;
		if (view_true(user)) {
			if (g->nusers == 0) {
				g->nusers = 1;
				g->user1 = uh;
			} else if (g->nusers == 1 && g->user1 != uh)
				g->nusers = 2;
		}
		nusers = g->nusers ? g->nusers : -1;
		if (g->nofail)
			fl |= 4;
		if (g->mlfgained)
			fl |= 4;
		g->nofail = g->mlfgained = false;
		if (fl & 8)
			g->mlfpending = false;
		/* update with the values the current match has */
		for (int k = 0; k < V_N; k++)
			if (cur->v[k].set)
				g->v[k] = cur->v[k];
		if (nofail->set || (fl & 8))
			g->nofail = cur->nofail;
		if (gained->set)
			g->mlfgained = cur->mlfgained;
		if (fl & 2) {
			*tmp = *g;
			lru_remove(f->mlf, &key);
			r = tmp;
		} else {
			*entry = e;
			r = g;
		}
	} else if (!(fl & 2)) {
		int created;
		uint64_t ev = lru_evictions(f->mlf);
		if (view_true(user)) {
			cur->nusers = 1;
			cur->user1 = uh;
			nusers = 1;
		}
		e = lru_put(f->mlf, &key, &created);
		f->st.mlf_evictions += lru_evictions(f->mlf) - ev;
		if (e != NULL) {
			e->expires = now + F2B_FLT_MLF_TTL;
			e->fail = *cur;
			*entry = e;
			r = &e->fail;
		} else
			r = cur;
	} else
		r = cur;
	bool pending = r->mlfpending;
	r->mlfpending = false;
	if (pending || nusers > 1) {
		r->nofail = r->mlfgained = false;
	}
	return r;
}

/* ---- one line through one filter: filter.py findFailure ---- */

static void
merged_view(const struct gvals *pre, const struct gvals *g, int k, struct view *v)
{
	static const struct view none = { NULL, 0, false };

	if (g->has[k])
		*v = g->v[k];
	else if (pre != NULL)
		*v = pre->v[k];
	else
		*v = none;
}

static void
report(struct f2b_set *s, struct f2b_flt *f, int fi, int ri, const struct fail *fl,
    int64_t ts, f2b_failure_cb cb, void *arg)
{
	struct f2b_failure out;
	const struct fstr *ip = NULL, *id;
	bool raw = true;

	memset(&out, 0, sizeof(out));
	out.filter = fi;
	out.regex = ri;
	out.ts = ts;
	if (fl->v[K_IP4].set)
		ip = &fl->v[K_IP4];
	else if (fl->v[K_IP6].set)
		ip = &fl->v[K_IP6];
	else if (fl->v[K_DNS].set) {
		ip = &fl->v[K_DNS];
		raw = false;	/* fail2ban would resolve it; we never do */
	}
	id = ip ? ip : &fl->v[K_FID];
	memcpy(s->id, id->s, id->n);
	s->id[id->n] = '\0';
	out.id = s->id;
	if (raw && !id->trunc && addr_parse(id->s, id->n, &out.addr) == 0) {
		out.has_addr = true;
		if (ip != NULL && fl->v[K_CIDR].set) {
			uint64_t c;
			if (uint_parse(fl->v[K_CIDR].s, 0, prefix_maxlen(&out.addr), &c) == 0)
				prefix_truncate(&out.addr, (unsigned)c);
			else
				out.has_addr = false;
		}
	}
	if (out.has_addr)
		f->st.failures++;
	else
		f->st.noaddr++;
	cb(arg, &out);
}

/* text/ntext: pre and post joined with a final "\n" (the buffer's text when
 * maxlines is 1), shared by the filters of one date detector. */
static void
flt_line(struct f2b_set *s, struct f2b_flt *f, int fi, bool cand, const char *pre, size_t npre,
    const char *post, size_t npost, const char *text, size_t ntext, int64_t ts, int64_t now,
    f2b_failure_cb cb, void *arg)
{
	struct gvals pg, g;
	bool have_pre = false, any = cand;
	const char *cur;
	size_t ncur;
	int sl, rc;

	f->st.lines++;
	if (f->maxlines == 1) {
		/* The buffer is this line alone and its text is the shared one:
		 * no copy. Slot 0 stands for the line; nothing reads its bytes
		 * (split_matched looks at the lines only when there are several,
		 * and the buffer is emptied or replaced before it is joined). */
		f->slots[0].cand = cand;
		f->lb[0] = f->org[0] = 0;
		f->nlb = f->norg = 1;
		cur = text;
		ncur = ntext;
	} else {
		if ((sl = slot_alloc(f)) < 0 || slot_set(&f->slots[sl], pre, npre, post, npost) != 0)
			return;
		f->slots[sl].cand = cand;
		if (f->nlb == (size_t)f->maxlines)
			lb_set(f, f->lb + 1, f->nlb - 1);
		f->lb[f->nlb++] = sl;
		size_t total = 0;
		for (size_t i = 0; i < f->nlb; i++)
			total += f->slots[f->lb[i]].n + 1;
		while (total > F2B_FLT_BUF_MAX && f->nlb > 1) {
			total -= f->slots[f->lb[0]].n + 1;
			lb_set(f, f->lb + 1, f->nlb - 1);
			f->st.dropped++;
		}
		memcpy(f->org, f->lb, f->nlb * sizeof(*f->lb));
		f->norg = f->nlb;
		/* With no literal of the filter in the buffer no failregex can
		 * match; only prefregex's <F-CONTENT> may still change the
		 * buffer. Without a prefregex the line only joins the buffer. */
		for (size_t i = 0; i < f->nlb && !any; i++)
			any = f->slots[f->lb[i]].cand;
		if (!any && !f->has_pref)
			return;
		if (join_lines(f, f->org, f->norg, &s->a) != 0)
			return;
		cur = s->a.p;
		ncur = s->a.n;
	}

	/* ignoreregex first, when there are few of them */
	if (any && f->nign > 0 && (long)f->nign < (long)f->nfail - 2)
		for (size_t i = 0; i < f->nign; i++)
			if (re_run(s, f, &f->ign[i], cur, ncur) > 0) {
				f->st.ignored++;
				return;
			}
	if (f->has_pref) {
		if ((rc = re_run(s, f, &f->pref, cur, ncur)) == 0)
			return;
		re_values(s, &f->pref, cur, rc, &pg);
		have_pre = true;
		if (view_true(&pg.v[K_CONTENT])) {
			int cs = slot_alloc(f);
			if (cs < 0 || slot_set(&f->slots[cs], "", 0, pg.v[K_CONTENT].p, pg.v[K_CONTENT].n) != 0)
				return;
			f->slots[cs].cand = true;
			f->lb[0] = cs;
			f->nlb = 1;
			cur = NULL;
		}
		pg.has[K_CONTENT] = false;
		pg.v[K_CONTENT].set = false;
	}
	for (size_t ri = 0; any && ri < f->nfail; ri++) {
		const struct f2b_re *re = &f->fail[ri];
		/* A single-line filter's text is cut from this line: without the
		 * regex's literal in the line it cannot match. */
		if (f->maxlines == 1 && !re_possible(s, re))
			continue;
		if (cur == NULL) {
			if (join_lines(f, f->lb, f->nlb, &s->b) != 0)
				return;
			cur = s->b.p;
			ncur = s->b.n;
		}
		if ((rc = re_run(s, f, re, cur, ncur)) == 0)
			continue;
		re_values(s, re, cur, rc, &g);
		split_matched(f, cur, ncur, &g);
		if (f->nign > 0) {
			const char *ib = cur;
			size_t nib = ncur;
			if (f->maxlines > 1) {
				if (join_lines(f, f->matched, f->nmatched, &s->c) != 0)
					return;
				ib = s->c.p;
				nib = s->c.n;
			}
			for (size_t i = 0; i < f->nign; i++)
				if (re_run(s, f, &f->ign[i], ib, nib) > 0) {
					lb_set(f, f->unmatched, f->nunmatched);
					f->st.ignored++;
					return;
				}
		}
		lb_set(f, f->unmatched, f->nunmatched);
		cur = NULL;

		/* fail = prefregex's groups updated with this regex's */
		const struct gvals *pp = have_pre ? &pg : NULL;
		struct view mlfid, user, forget, gained, nofail, v;
		struct fail cf, tmp, *fl;
		struct mlf_entry *entry = NULL;
		memset(&cf, 0, sizeof(cf));
		for (int k = 0; k < V_N; k++) {
			merged_view(pp, &g, k, &v);
			fstr_set(&cf.v[k], &v);
		}
		merged_view(pp, &g, K_MLFID, &mlfid);
		merged_view(pp, &g, K_USER, &user);
		merged_view(pp, &g, K_MLFFORGET, &forget);
		merged_view(pp, &g, K_MLFGAINED, &gained);
		merged_view(pp, &g, K_NOFAIL, &nofail);
		if (mlfid.set && f->mlf != NULL) {
			fl = mlf_merge(f, &mlfid, &cf, &user, &forget, &gained, &nofail, now, &tmp, &entry);
			if (fl->nofail) {
				f->st.nofail++;
				return;
			}
		} else
			fl = &cf;	/* without a connection, nofail stops nothing (as fail2ban) */
		if (!fl->v[K_IP4].set && !fl->v[K_IP6].set && !fl->v[K_DNS].set) {
			if (!fl->v[K_FID].set) {
				if (!mlfid.set)
					continue;	/* fail2ban: "No group found", next regex */
				if (entry != NULL)
					entry->fail.mlfpending = true;
				f->st.nofail++;
				return;		/* pending: waiting for the connection's address */
			}
		}
		report(s, f, fi, (int)ri, fl, ts, cb, arg);
		return;
	}
}

/* ---- the set ---- */

struct f2b_set *
f2b_set_new(void)
{
	struct f2b_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cctx = pcre2_compile_context_create(NULL);
	s->mctx = pcre2_match_context_create(NULL);
	s->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (s->cctx == NULL || s->mctx == NULL || s->jit == NULL ||
	    f2b_u8_init(&s->u8, F2B_FLT_LINE_MAX) != 0) {
		f2b_set_free(s);
		return NULL;
	}
	pcre2_set_newline(s->cctx, PCRE2_NEWLINE_LF);
	pcre2_set_match_limit(s->mctx, F2B_MATCH_LIMIT);
	pcre2_set_depth_limit(s->mctx, F2B_DEPTH_LIMIT);
	pcre2_set_heap_limit(s->mctx, F2B_HEAP_LIMIT_KIB);
	pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
	return s;
}

static void
flt_free(struct f2b_flt *f)
{
	if (f == NULL)
		return;
	re_free(&f->pref);
	for (size_t i = 0; i < f->nfail; i++)
		re_free(&f->fail[i]);
	for (size_t i = 0; i < f->nign; i++)
		re_free(&f->ign[i]);
	free(f->fail);
	free(f->ign);
	lru_free(f->mlf);
	for (size_t i = 0; i < f->nslots; i++)
		free(f->slots[i].p);
	free(f->slots);
	free(f->mark);
	free(f->lb);
	free(f->org);
	free(f->matched);
	free(f->unmatched);
	free(f->name);
	free(f);
}

void
f2b_set_free(struct f2b_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		flt_free(s->flt[i]);
	for (size_t i = 0; i < s->ndates; i++) {
		f2b_dates_free(s->dates[i].d);
		for (size_t k = 0; k < s->dates[i].n; k++)
			free(s->dates[i].pats[k]);
		free(s->dates[i].pats);
		free(s->dates[i].text.p);
	}
	free(s->dates);
	for (size_t i = 0; i < s->nlit; i++)
		free(s->lit[i]);
	free(s->lit);
	free(s->lit_len);
	free(s->lit_next);
	free(s->pair_head);
	free(s->lit_filter);
	free(s->lit_gen);
	free(s->lit_head);
	free(s->lit_mask);
	free(s->lower.p);
	free(s->cand);
	pcre2_match_data_free(s->md);
	pcre2_jit_stack_free(s->jit);
	pcre2_match_context_free(s->mctx);
	pcre2_compile_context_free(s->cctx);
	f2b_u8_free(&s->u8);
	free(s->a.p);
	free(s->b.p);
	free(s->c.p);
	free(s->nodate_text.p);
	free(s);
}

/* Filters with the same datepattern lines share one date detector. */
static int
dates_get(struct f2b_set *s, const struct f2b_def *def, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->ndates; i++) {
		bool same = s->dates[i].n == def->ndatepatterns;
		for (size_t k = 0; same && k < def->ndatepatterns; k++)
			same = strcmp(s->dates[i].pats[k], def->datepatterns[k]) == 0;
		if (same)
			return (int)i;
	}
	struct dateset *n = realloc(s->dates, (s->ndates + 1) * sizeof(*n));
	if (n == NULL)
		goto oom;
	s->dates = n;
	struct dateset *d = &s->dates[s->ndates];
	memset(d, 0, sizeof(*d));
	char derr[256] = "";
	d->d = f2b_dates_new((const char *const *)def->datepatterns, def->ndatepatterns, derr, sizeof(derr));
	if (d->d == NULL) {
		snprintf(err, errlen, "%s: datepattern: %s", def->name, derr);
		return -1;
	}
	if (def->ndatepatterns && (d->pats = calloc(def->ndatepatterns, sizeof(char *))) == NULL) {
		f2b_dates_free(d->d);
		goto oom;
	}
	for (size_t k = 0; k < def->ndatepatterns; k++) {
		if ((d->pats[k] = strdup(def->datepatterns[k])) == NULL) {
			for (size_t j = 0; j < k; j++)
				free(d->pats[j]);
			free(d->pats);
			f2b_dates_free(d->d);
			goto oom;
		}
		d->n = k + 1;
	}
	return (int)s->ndates++;
oom:
	snprintf(err, errlen, "%s: out of memory", def->name);
	return -1;
}

int
f2b_set_add(struct f2b_set *s, const struct f2b_def *def, unsigned flags, char *err, size_t errlen)
{
	struct f2b_flt *f;
	bool has_id = false;

	if (s->compiled || s->n >= F2B_FLT_MAX) {
		snprintf(err, errlen, "%s: %s", def->name, s->compiled ? "filters already compiled" :
		    "too many filters");
		return -1;
	}
	if (def->nfail == 0) {
		snprintf(err, errlen, "%s: the filter has no failregex", def->name);
		return -1;
	}
	if (def->maxlines < 1 || def->maxlines > F2B_FLT_MAXLINES) {
		snprintf(err, errlen, "%s: maxlines %d out of range 1..%d", def->name, def->maxlines,
		    F2B_FLT_MAXLINES);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		goto oom;
	f->name = strdup(def->name ? def->name : "?");
	f->flags = flags;
	f->maxlines = def->maxlines;
	f->nslots = (size_t)def->maxlines + 2;
	f->slots = calloc(f->nslots, sizeof(*f->slots));
	f->mark = calloc(f->nslots, sizeof(*f->mark));
	f->lb = calloc(f->nslots, sizeof(int));
	f->org = calloc(f->nslots, sizeof(int));
	f->matched = calloc(f->nslots, sizeof(int));
	f->unmatched = calloc(f->nslots, sizeof(int));
	f->fail = calloc(def->nfail, sizeof(*f->fail));
	f->ign = def->nignore ? calloc(def->nignore, sizeof(*f->ign)) : NULL;
	if (f->name == NULL || f->slots == NULL || f->mark == NULL || f->lb == NULL ||
	    f->org == NULL || f->matched == NULL || f->unmatched == NULL || f->fail == NULL ||
	    (def->nignore && f->ign == NULL))
		goto oom;
	f->dates = -1;
	if (!(flags & F2B_FLT_NODATE) && (f->dates = dates_get(s, def, err, errlen)) < 0)
		goto fail;
	if (def->prefregex != NULL) {
		if (re_compile(s, &f->pref, def->prefregex, false, def->prefregex_where, err, errlen) != 0)
			goto fail;
		f->has_pref = true;
		for (int k = K_IP4; k <= K_MLFID; k++)
			if (k != K_CIDR)
				has_id |= f->pref.group[k] > 0;
	}
	bool mlf = f->has_pref && f->pref.group[K_MLFID] > 0;
	for (size_t i = 0; i < def->nfail; i++) {
		struct f2b_re *re = &f->fail[i];
		if (re_compile(s, re, def->fail[i].text, def->maxlines > 1, def->fail[i].where, err, errlen) != 0)
			goto fail;
		f->nfail++;
		bool id = has_id;
		for (int k = K_IP4; k <= K_MLFID; k++)
			if (k != K_CIDR)
				id |= re->group[k] > 0;
		if (!id) {
			snprintf(err, errlen, "%s: no failure-id group (<HOST>, <ADDR>, <F-ID>, <F-MLFID>...) in the regex",
			    def->fail[i].where);
			goto fail;
		}
		mlf |= re->group[K_MLFID] > 0;
	}
	for (size_t i = 0; i < def->nignore; i++) {
		if (re_compile(s, &f->ign[i], def->ignore[i].text, false, def->ignore[i].where, err, errlen) != 0)
			goto fail;
		f->nign++;
	}
	if (mlf && (f->mlf = lru_new(F2B_FLT_MLF_MAX, sizeof(struct mlf_key), sizeof(struct mlf_entry))) == NULL)
		goto oom;
	s->flt[s->n] = f;
	return (int)s->n++;
oom:
	snprintf(err, errlen, "%s: out of memory", def->name ? def->name : "?");
fail:
	flt_free(f);
	return -1;
}

static unsigned char
lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The 4 bytes at p as one number (the same on any byte order for the
 * same bytes: only compared with other loads). */
static inline uint32_t
load4(const char *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* A 16-bit hash of the first three of 4 bytes loaded by load4. */
static inline unsigned
pair_hash(uint32_t w)
{
	uint32_t three;
	unsigned char b[4] = { 0xff, 0xff, 0xff, 0 };

	memcpy(&three, b, sizeof(three));	/* the mask of the first three bytes */
	return ((w & three) * 0x9e3779b1u) >> 16;
}

/* Adds a literal of filter fi (-1: of no filter, a prefregex's, which
 * flags none) to the prefilter. Its index, or -1 when out of memory. */
static int
lit_add(struct f2b_set *s, const char *text, int fi)
{
	size_t k = s->nlit;

	if ((s->lit[k] = strdup(text)) == NULL)
		return -1;
	s->lit_len[k] = strlen(s->lit[k]);
	for (size_t j = 0; j < s->lit_len[k]; j++)	/* compared caseless */
		s->lit[k][j] = (char)lc((unsigned char)s->lit[k][j]);
	s->lit_filter[k] = fi;
	char head[4] = { 0, 0, 0, 0 };
	unsigned char mask[4] = { 0, 0, 0, 0 };
	for (size_t j = 0; j < 4 && j < s->lit_len[k]; j++) {
		head[j] = s->lit[k][j];
		mask[j] = 0xff;
	}
	s->lit_head[k] = load4(head);
	memcpy(&s->lit_mask[k], mask, sizeof(mask));
	unsigned pr = pair_hash(s->lit_head[k]);
	s->lit_next[k] = s->pair_head[pr];
	s->pair_head[pr] = (uint32_t)k + 1;
	s->pair_bits[pr / 64] |= 1ull << (pr % 64);
	s->nlit++;
	return (int)k;
}

/* Adds the texts of re's clauses (of filter fi, or -1) to the prefilter. */
static int
anyof_add(struct f2b_set *s, struct f2b_re *re, int fi)
{
	for (size_t c = 0; c < re->nanyof; c++)
		for (size_t k = 0; k < re->anyof[c].n; k++)
			if ((re->anyof[c].id[k] = lit_add(s, re->anyof[c].lit[k], fi)) < 0)
				return -1;
	re->anyof_live = re->nanyof > 0;
	return 0;
}

/* The prefilter is a table of the literals by their first three bytes, not
 * Hyperscan: vectorscan 5.4.9 on this machine (AVX-512) misses literals
 * that start past the 64th byte of a line once the database holds two of
 * them (FDR), caseless or not, which would silently drop failures. Each
 * position of a line costs one bit test; a hit, a caseless compare. */
int
f2b_set_compile(struct f2b_set *s, char *err, size_t errlen)
{
	size_t cap = 0;

	if (s->compiled) {
		snprintf(err, errlen, "compiled already");
		return -1;
	}
	if (s->n == 0) {
		snprintf(err, errlen, "no filter");
		return -1;
	}
	s->md = pcre2_match_data_create(s->max_captures + 1, NULL);
	s->cand = calloc(s->n, 1);
	for (size_t i = 0; i < s->n; i++) {
		const struct f2b_flt *f = s->flt[i];
		for (size_t r = 0; r <= f->nfail; r++) {	/* and prefregex */
			const struct f2b_re *re = r < f->nfail ? &f->fail[r] : &f->pref;
			cap++;
			for (size_t c = 0; c < re->nanyof; c++)
				cap += re->anyof[c].n;
		}
	}
	s->lit = calloc(cap, sizeof(*s->lit));
	s->lit_len = calloc(cap, sizeof(*s->lit_len));
	s->lit_filter = calloc(cap, sizeof(*s->lit_filter));
	s->lit_next = calloc(cap, sizeof(*s->lit_next));
	s->lit_gen = calloc(cap, sizeof(*s->lit_gen));
	s->lit_head = calloc(cap, sizeof(*s->lit_head));
	s->lit_mask = calloc(cap, sizeof(*s->lit_mask));
	s->pair_head = calloc(65536, sizeof(*s->pair_head));
	if (s->md == NULL || s->cand == NULL || s->lit == NULL || s->lit_len == NULL ||
	    s->lit_gen == NULL || s->lit_head == NULL || s->lit_mask == NULL ||
	    s->lit_filter == NULL || s->lit_next == NULL || s->pair_head == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* A filter is flagged when a literal of one of its failregexes is in
	 * the line; one failregex without a literal makes it run on every
	 * line. A multi-line filter sees every line (each enters its buffer)
	 * but runs its failregexes only while a flagged line is buffered.
	 * The literals of such an always-run filter are still looked for:
	 * a single-line filter skips each failregex whose literal is not in
	 * the line (sshd has 22 failregexes, one without a literal). */
	/* A single-line filter's regexes also have their alternation
	 * clauses: a failregex without a literal but with a clause no longer
	 * makes the filter run on every line (the texts of its clause flag
	 * it), and a flagged filter runs only if one of its failregexes has
	 * all it needs in the line (roundcube-auth's " from " alone does not
	 * run it, its "failed login" or "login failed" must be there too). */
	for (size_t i = 0; i < s->n; i++) {
		struct f2b_flt *f = s->flt[i];
		bool nopre = (f->flags & F2B_FLT_NOPREFILTER) != 0;
		bool single = f->maxlines == 1;
		f->always = nopre;
		f->pref.lit_id = -1;
		for (size_t r = 0; r < f->nfail; r++) {
			f->fail[r].lit_id = -1;
			if (f->fail[r].lit == NULL && !(single && f->fail[r].nanyof > 0))
				f->always = true;
		}
		if (nopre)
			continue;
		for (size_t r = 0; r < f->nfail; r++) {
			if (f->fail[r].lit != NULL &&
			    (f->fail[r].lit_id = lit_add(s, f->fail[r].lit, (int)i)) < 0)
				goto oom;
			if (single && anyof_add(s, &f->fail[r], (int)i) != 0)
				goto oom;
		}
		/* A single-line filter whose prefregex has a literal of its own
		 * needs that one too: without it prefregex fails, and the
		 * filter does nothing with the line (apache-auth's "[client ",
		 * pam-generic's "authentication failure;"). */
		if (f->has_pref && single && f->pref.lit != NULL &&
		    (f->pref.lit_id = lit_add(s, f->pref.lit, -1)) < 0)
			goto oom;
		if (f->has_pref && single && anyof_add(s, &f->pref, -1) != 0)
			goto oom;
	}
	s->compiled = true;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Flags the filters whose literals the line holds and marks the
 * literals found (lit_gen). The line is lowered once; each position costs
 * a hash of its three bytes and a bit test, a hit a compare of 4 bytes
 * (most hits stop there), then of the rest. */
static void
prefilter(struct f2b_set *s, const char *line, size_t len)
{
	memset(s->cand, 0, s->n);
	if (len < 3 || sbuf_reserve(&s->lower, len + 4) != 0)
		return;
	char *low = s->lower.p;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)lc((unsigned char)line[i]);
	memset(low + len, 0, 4);
	for (size_t i = 0; i + 2 < len; i++) {
		uint32_t w = load4(low + i);
		unsigned pr = pair_hash(w);
		if (!(s->pair_bits[pr / 64] & (1ull << (pr % 64))))
			continue;
		for (uint32_t k = s->pair_head[pr]; k != 0; k = s->lit_next[k - 1]) {
			size_t n = s->lit_len[k - 1];
			if ((w & s->lit_mask[k - 1]) == s->lit_head[k - 1] &&
			    s->lit_gen[k - 1] != s->gen && n <= len - i &&
			    (n <= 4 || memcmp(low + i + 4, s->lit[k - 1] + 4, n - 4) == 0)) {
				s->lit_gen[k - 1] = s->gen;
				if (s->lit_filter[k - 1] >= 0)
					s->cand[s->lit_filter[k - 1]] = 1;
			}
		}
	}
}

/* The line as fail2ban decodes it (Python's 'replace': one U+FFFD per
 * maximal bad subpart, common with f2b_date through f2b_u8). Returns the
 * line itself when nothing changes, NULL when it is longer than
 * F2B_FLT_LINE_MAX: such a line is dropped whole (and counted), never
 * matched in part, since the part cut off could hold what makes a
 * failregex name another address. The ceiling is on the line's own bytes:
 * bad bytes growing threefold once decoded must not let an attacker's
 * line be dropped for being short. */
static const char *
line_clean(struct f2b_set *s, const char *line, size_t *len)
{
	if (*len > F2B_FLT_LINE_MAX)
		return NULL;
	switch (f2b_u8_view(&s->u8, line, *len)) {
	case F2B_U8_FIXED:
		*len = s->u8.len;
		return s->u8.buf;
	case F2B_U8_TOOBIG:	/* cannot happen: room for 3 x F2B_FLT_LINE_MAX */
		return NULL;
	default:
		return line;
	}
}

void
f2b_set_line(struct f2b_set *s, const char *line, size_t len, int64_t now,
    f2b_failure_cb cb, void *arg)
{
	bool any = false;

	if (!s->compiled)
		return;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if ((line = line_clean(s, line, &len)) == NULL) {
		s->overlong++;
		return;
	}
	s->gen++;
	if (s->nlit > 0)
		prefilter(s, line, len);
	for (size_t i = 0; i < s->n; i++) {
		struct f2b_flt *f = s->flt[i];
		const char *pre = "", *post = line;
		size_t npre = 0, npost = len;
		int64_t ts = now;
		struct sbuf *text = &s->nodate_text;
		uint64_t *text_gen = &s->nodate_gen;

		bool cand = f->always || s->cand[i];
		if (f->maxlines == 1 && cand) {
			/* prefregex, or every failregex, cannot match */
			if (!re_possible(s, &f->pref))
				cand = false;
			else if (!f->always) {
				size_t r = 0;
				while (r < f->nfail && !re_possible(s, &f->fail[r]))
					r++;
				cand = r < f->nfail;
			}
		}
		if (!cand && f->maxlines == 1)
			continue;
		any = true;
		if (f->dates >= 0) {
			struct dateset *d = &s->dates[f->dates];
			if (d->gen != s->gen) {
				d->gen = s->gen;
				d->found = f2b_dates_find(d->d, line, len, now, &d->hit);
				if (d->found && d->hit.end <= len && d->hit.start <= d->hit.end) {
					d->last = d->hit.ts;
					d->have_last = true;
				} else
					d->found = 0;
			}
			if (d->found && d->hit.start < d->hit.end) {
				pre = line;
				npre = d->hit.start;
				post = line + d->hit.end;
				npost = len - d->hit.end;
			}
			ts = d->found ? d->hit.ts : d->have_last ? d->last : now;
			text = &d->text;
			text_gen = &d->text_gen;
		}
		if (f->maxlines == 1 && *text_gen != s->gen) {
			if (sbuf_reserve(text, npre + npost + 2) != 0)
				continue;
			memcpy(text->p, pre, npre);
			memcpy(text->p + npre, post, npost);
			text->n = npre + npost;
			text->p[text->n++] = '\n';
			text->p[text->n] = '\0';
			*text_gen = s->gen;
		}
		flt_line(s, f, (int)i, cand, pre, npre, post, npost, text->p, text->n, ts, now, cb, arg);
	}
	if (any)
		s->passed++;
}

size_t
f2b_set_count(const struct f2b_set *s)
{
	return s->n;
}

const char *
f2b_set_name(const struct f2b_set *s, int filter)
{
	return s->flt[filter]->name;
}

void
f2b_set_stats(const struct f2b_set *s, int filter, struct f2b_filter_stats *st)
{
	*st = s->flt[filter]->st;
}

uint64_t
f2b_set_overlong(const struct f2b_set *s)
{
	return s->overlong;
}

uint64_t
f2b_set_prefilter_passed(const struct f2b_set *s)
{
	return s->passed;
}
