/* f2b_regex.c - fail2ban regex text to PCRE2 text: tag expansion
 * (failregex.py Regex._resolveHostTag and the <F-*> groups) and the
 * Python re syntax PCRE2 reads differently. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "f2b/f2b_regex.h"

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
