/* test_f2b_filter.c - the fail2ban filter engine on hand-made filters: tag
 * expansion, prefregex and <F-CONTENT>, ignoreregex, maxlines with
 * <SKIPLINES>, <F-MLFID> connections (nofail, pending, forget, gained),
 * compile errors naming file:line, and hostile lines. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "f2b/f2b_filter.h"
#include "f2b/f2b_literal.h"
#include "f2b/f2b_regex.h"

#define NOW 1700000000

struct got {
	int n;
	int line[64];
	bool has_addr[64];
	char addr[64][A5_PREFIX_STRLEN];
	char id[64][128];
	int lineno;
};

static void
collect(void *arg, const struct f2b_failure *f)
{
	struct got *g = arg;

	if (g->n >= 64)
		return;
	g->line[g->n] = g->lineno;
	g->has_addr[g->n] = f->has_addr;
	g->addr[g->n][0] = '\0';
	if (f->has_addr)
		prefix_format(&f->addr, g->addr[g->n], sizeof(g->addr[0]));
	strlcpy_ok(g->id[g->n], f->id, sizeof(g->id[0]));
	g->n++;
}

/* Adds a filter from texts to s: failregex and ignoreregex lists end with
 * NULL. Its index, or -1 with err. */
static int
add(struct f2b_set *s, const char *pref, const char *const *fail, const char *const *ign,
    int maxlines, unsigned flags, char *err, size_t errlen)
{
	struct f2b_regex fr[16], ir[16];
	struct f2b_def def;

	memset(&def, 0, sizeof(def));
	def.name = (char *)"test";
	def.prefregex = (char *)pref;
	snprintf(def.prefregex_where, sizeof(def.prefregex_where), "test.conf:1");
	for (; fail && fail[def.nfail]; def.nfail++) {
		fr[def.nfail].text = (char *)fail[def.nfail];
		snprintf(fr[def.nfail].where, sizeof(fr[0].where), "test.conf:%zu", 10 + def.nfail);
	}
	for (; ign && ign[def.nignore]; def.nignore++) {
		ir[def.nignore].text = (char *)ign[def.nignore];
		snprintf(ir[def.nignore].where, sizeof(ir[0].where), "test.conf:%zu", 30 + def.nignore);
	}
	def.fail = fr;
	def.ignore = ir;
	def.maxlines = maxlines;
	return f2b_set_add(s, &def, flags, err, errlen);
}

/* A set of one filter (see add), compiled. */
static struct f2b_set *
make(const char *pref, const char *const *fail, const char *const *ign, int maxlines,
    unsigned flags, char *err, size_t errlen)
{
	struct f2b_set *s = f2b_set_new();

	assert_non_null(s);
	if (add(s, pref, fail, ign, maxlines, flags, err, errlen) < 0 ||
	    f2b_set_compile(s, err, errlen) != 0) {
		f2b_set_free(s);
		return NULL;
	}
	return s;
}

static void
feed(struct f2b_set *s, struct got *g, const char *line)
{
	g->lineno++;
	f2b_set_line(s, line, strlen(line), NOW, collect, g);
}

static struct f2b_set *
make_ok(const char *pref, const char *const *fail, const char *const *ign, int maxlines, unsigned flags)
{
	char err[512] = "";
	struct f2b_set *s = make(pref, fail, ign, maxlines, flags, err, sizeof(err));

	if (s == NULL)
		fail_msg("%s", err);
	return s;
}

static void
test_translate(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(f2b_regex_translate("a <F-USER>\\S+</F-USER> b", out, sizeof(out)), 0);
	assert_string_equal(out, "a (?P<user>\\S+) b");
	/* a closing tag never opened stays text; <F-ID> maps to fid */
	assert_int_equal(f2b_regex_translate("</F-X><F-ID>x</F-ID>", out, sizeof(out)), 0);
	assert_string_equal(out, "</F-X>(?P<fid>x)");
	assert_int_equal(f2b_regex_translate("a{,3}\\Z[{,2}]", out, sizeof(out)), 0);
	assert_string_equal(out, "a{0,3}\\z[{,2}]");
	assert_int_equal(f2b_regex_translate("<F-ID/> <F-PORT/> <UNKNOWN>", out, sizeof(out)), 0);
	assert_string_equal(out, "(?P<fid>\\S+) (?P<fport>\\w+) <UNKNOWN>");
	assert_int_equal(f2b_regex_translate("x<SKIPLINES>y<SKIPLINES>", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "(?P<skiplines0>"));
	assert_non_null(strstr(out, "(?P<skiplines1>"));
	assert_int_equal(f2b_regex_translate("<HOST>", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "(?P<ip4>"));
	assert_non_null(strstr(out, "(?P<ip6>"));
	assert_non_null(strstr(out, "(?P<dns>"));
	assert_int_equal(f2b_regex_translate("<HOST>", out, 16), -1);	/* does not fit */
}

static void
test_hosts(void **state)
{
	static const char *const fail[] = { "^fail from <HOST>$", "^net <SUBNET>$", NULL };
	struct f2b_set *s = make_ok(NULL, fail, NULL, 1, F2B_FLT_NODATE);
	struct got g = { 0 };
	struct f2b_filter_stats st;

	(void)state;
	feed(s, &g, "fail from 192.0.2.1");
	feed(s, &g, "fail from ::ffff:192.0.2.7");
	feed(s, &g, "fail from [2001:DB8::1]");
	feed(s, &g, "fail from host.example.com");
	feed(s, &g, "fail from 192.168.001.1");	/* not an address to fail2ban either */
	feed(s, &g, "net 198.51.100.77/24");
	feed(s, &g, "nothing to see from 192.0.2.1");
	assert_int_equal(g.n, 6);
	assert_string_equal(g.addr[0], "192.0.2.1");
	assert_string_equal(g.addr[1], "192.0.2.7");
	assert_string_equal(g.addr[2], "2001:db8::1");
	assert_false(g.has_addr[3]);
	assert_string_equal(g.id[3], "host.example.com");
	assert_false(g.has_addr[4]);
	assert_string_equal(g.addr[5], "198.51.100.0/24");
	assert_int_equal(g.line[5], 6);
	f2b_set_stats(s, 0, &st);
	assert_int_equal(st.failures, 4);
	assert_int_equal(st.noaddr, 2);
	f2b_set_free(s);
}

static void
test_date_cut(void **state)
{
	static const char *const fail[] = { "^ host sshd\\[\\d+\\]: fail from <HOST>$", NULL };
	struct f2b_set *s = make_ok(NULL, fail, NULL, 1, 0);
	struct got g = { 0 };

	(void)state;
	/* the regexes see the line without its date */
	feed(s, &g, "Jan  3 10:00:00 host sshd[12]: fail from 192.0.2.3");
	assert_int_equal(g.n, 1);
	assert_string_equal(g.addr[0], "192.0.2.3");
	f2b_set_free(s);
}

static void
test_prefregex_content(void **state)
{
	static const char *const fail[] = { "^bad login from <HOST>$", NULL };
	struct f2b_set *s = make_ok("^svc\\[\\d+\\]: <F-CONTENT>.+</F-CONTENT>$", fail, NULL, 1,
	    F2B_FLT_NODATE);
	struct got g = { 0 };

	(void)state;
	feed(s, &g, "svc[1]: bad login from 192.0.2.1");
	feed(s, &g, "other[1]: bad login from 192.0.2.2");	/* prefregex does not match */
	feed(s, &g, "svc[1]: xx bad login from 192.0.2.3");	/* failregex ^ is the content's start */
	assert_int_equal(g.n, 1);
	assert_string_equal(g.addr[0], "192.0.2.1");
	assert_int_equal(g.line[0], 1);
	f2b_set_free(s);
}

static void
test_ignoreregex(void **state)
{
	/* one ignoreregex, one failregex: checked after the failregex matched */
	static const char *const fail1[] = { "^fail from <HOST>", NULL };
	/* one ignoreregex, four failregexes: checked first, on the whole text */
	static const char *const fail4[] = { "^fail from <HOST>", "^a <HOST>", "^b <HOST>", "^c <HOST>", NULL };
	static const char *const ign[] = { "trusted", NULL };
	struct f2b_filter_stats st;

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct f2b_set *s = make_ok(NULL, k ? fail4 : fail1, ign, 1, F2B_FLT_NODATE);
		struct got g = { 0 };
		feed(s, &g, "fail from 192.0.2.1 trusted");
		feed(s, &g, "fail from 192.0.2.2 untested");
		assert_int_equal(g.n, 1);
		assert_string_equal(g.addr[0], "192.0.2.2");
		f2b_set_stats(s, 0, &st);
		assert_int_equal(st.ignored, 1);
		f2b_set_free(s);
	}
}

static void
test_maxlines_skiplines(void **state)
{
	static const char *const fail[] = {
		"^conn (?P<c>\\d+) start$<SKIPLINES>^conn (?P=c) fail from <HOST>$", NULL
	};
	struct f2b_set *s = make_ok(NULL, fail, NULL, 3, F2B_FLT_NODATE);
	struct got g = { 0 };

	(void)state;
	feed(s, &g, "conn 1 start");
	feed(s, &g, "noise");
	feed(s, &g, "conn 1 fail from 192.0.2.5");	/* line 3: the failure */
	/* the two matched lines left the buffer; the skipped one stayed */
	feed(s, &g, "conn 1 fail from 192.0.2.5");
	/* beyond maxlines: the start has left the buffer */
	feed(s, &g, "conn 2 start");
	feed(s, &g, "noise a");
	feed(s, &g, "noise b");
	feed(s, &g, "conn 2 fail from 192.0.2.6");
	/* an empty line skipped */
	feed(s, &g, "conn 3 start");
	feed(s, &g, "");
	feed(s, &g, "conn 3 fail from 192.0.2.7");	/* line 11 */
	assert_int_equal(g.n, 2);
	assert_int_equal(g.line[0], 3);
	assert_string_equal(g.addr[0], "192.0.2.5");
	assert_int_equal(g.line[1], 11);
	assert_string_equal(g.addr[1], "192.0.2.7");
	f2b_set_free(s);
}

static void
test_mlfid(void **state)
{
	static const char *const fail[] = {
		"^<F-NOFAIL>connect from</F-NOFAIL> <HOST>$",
		"^auth failed for <F-USER>\\S+</F-USER>$",
		"^<F-NOFAIL><F-MLFFORGET>closed</F-MLFFORGET></F-NOFAIL>$",
		"^<F-MLFGAINED>accepted</F-MLFGAINED> for <F-USER>\\S+</F-USER>$",
		"^<F-MLFFORGET>reset</F-MLFFORGET>$",
		NULL
	};
	struct f2b_set *s = make_ok("^<F-MLFID>s\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$", fail,
	    NULL, 1, F2B_FLT_NODATE);
	struct got g = { 0 };

	(void)state;
	/* the address comes from the connection's first line */
	feed(s, &g, "s[1]: connect from 192.0.2.9");	/* 1: nofail */
	feed(s, &g, "s[1]: auth failed for root");	/* 2: failure for 192.0.2.9 */
	/* a failure before the address is pending, counted once it is known */
	feed(s, &g, "s[2]: auth failed for bob");		/* 3: pending */
	feed(s, &g, "s[2]: connect from 192.0.2.10");	/* 4: failure */
	/* forget: a closed connection keeps nothing */
	feed(s, &g, "s[3]: connect from 192.0.2.11");	/* 5 */
	feed(s, &g, "s[3]: closed");			/* 6 */
	feed(s, &g, "s[3]: auth failed for x");		/* 7: pending, no address */
	/* gained: a successful login is no failure */
	feed(s, &g, "s[4]: connect from 192.0.2.12");	/* 8 */
	feed(s, &g, "s[4]: accepted for alice");		/* 9 */
	/* forget without nofail: the connection's address fails once more */
	feed(s, &g, "s[5]: connect from 192.0.2.13");	/* 10 */
	feed(s, &g, "s[5]: reset");			/* 11: failure */
	feed(s, &g, "s[5]: reset");			/* 12: forgotten, no address */
	assert_int_equal(g.n, 3);
	assert_int_equal(g.line[0], 2);
	assert_string_equal(g.addr[0], "192.0.2.9");
	assert_int_equal(g.line[1], 4);
	assert_string_equal(g.addr[1], "192.0.2.10");
	assert_int_equal(g.line[2], 11);
	assert_string_equal(g.addr[2], "192.0.2.13");
	f2b_set_free(s);
}

static void
test_nofail_without_connection(void **state)
{
	/* fail2ban's server only honours nofail for <F-MLFID> connections */
	static const char *const fail[] = { "^<F-NOFAIL>note</F-NOFAIL> from <HOST>$", NULL };
	struct f2b_set *s = make_ok(NULL, fail, NULL, 1, F2B_FLT_NODATE);
	struct got g = { 0 };

	(void)state;
	feed(s, &g, "note from 192.0.2.20");
	assert_int_equal(g.n, 1);
	assert_string_equal(g.addr[0], "192.0.2.20");
	f2b_set_free(s);
}

static void
test_mlfid_table_bounded(void **state)
{
	static const char *const fail[] = { "^<F-NOFAIL>connect from</F-NOFAIL> <HOST>$",
	    "^auth failed$", NULL };
	struct f2b_set *s = make_ok("^<F-MLFID>s\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$", fail,
	    NULL, 1, F2B_FLT_NODATE);
	struct got g = { 0 };
	struct f2b_filter_stats st;
	char line[128];

	(void)state;
	for (int i = 0; i < 10 * F2B_FLT_MLF_MAX; i++) {
		snprintf(line, sizeof(line), "s[%d]: connect from 192.0.2.1", i);
		feed(s, &g, line);
	}
	f2b_set_stats(s, 0, &st);
	assert_int_equal(st.mlf_evictions, 9 * F2B_FLT_MLF_MAX);
	/* the newest connections are still known, the oldest forgotten */
	feed(s, &g, "s[999]: auth failed");
	feed(s, &g, "s[0]: auth failed");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.line[0], 10 * F2B_FLT_MLF_MAX + 1);
	f2b_set_free(s);
}

static void
test_errors_name_where(void **state)
{
	static const char *const bad[] = { "^ok <HOST>$", "^(unclosed <HOST>", NULL };
	static const char *const noid[] = { "^no id here$", NULL };
	char err[512] = "";

	(void)state;
	assert_null(make(NULL, bad, NULL, 1, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "test.conf:11"));
	assert_null(make(NULL, noid, NULL, 1, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "test.conf:10"));
	assert_non_null(strstr(err, "failure-id"));
	/* \C (one byte, may split a character): refused, as Python does */
	static const char *const onebyte[] = { "^x\\C+ <HOST>$", NULL };
	assert_null(make(NULL, onebyte, NULL, 1, F2B_FLT_NODATE, err, sizeof(err)));
	assert_non_null(strstr(err, "test.conf:10"));
}

static void
test_hostile_lines(void **state)
{
	static const char *const fail[] = { "^fail from <HOST> .*x$", "^(?:a|aa)+c <HOST>$", NULL };
	struct f2b_set *s = make_ok(NULL, fail, NULL, 1, F2B_FLT_NODATE);
	struct got g = { 0 };
	struct f2b_filter_stats st;
	size_t big = 1u << 20;
	char *line = malloc(big + 1);

	(void)state;
	assert_non_null(line);
	/* invalid UTF-8: decoded as fail2ban does (U+FFFD), still matched */
	feed(s, &g, "fail from 192.0.2.1 \xff\xfe\xc0\xaf x");
	assert_int_equal(g.n, 1);
	/* a 1 MiB line is dropped whole and counted, never matched in part */
	memset(line, 'y', big);
	memcpy(line, "fail from 192.0.2.2 ", 20);
	line[big - 1] = 'x';
	line[big] = '\0';
	feed(s, &g, line);
	assert_int_equal(g.n, 1);
	assert_int_equal(f2b_set_overlong(s), 1);
	/* a line whose first F2B_FLT_LINE_MAX bytes would match is dropped too
	 * (a reader that cuts would count 192.0.2.4) */
	memset(line, 'y', F2B_FLT_LINE_MAX + 10);
	memcpy(line, "fail from 192.0.2.4 ", 20);
	line[F2B_FLT_LINE_MAX - 1] = 'x';
	line[F2B_FLT_LINE_MAX + 10] = '\0';
	feed(s, &g, line);
	assert_int_equal(g.n, 1);
	assert_int_equal(f2b_set_overlong(s), 2);
	/* at the ceiling exactly: matched */
	line[F2B_FLT_LINE_MAX] = '\0';
	feed(s, &g, line);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.addr[1], "192.0.2.4");
	/* invalid bytes decode to three bytes each: the ceiling is on the
	 * line's own bytes, so padding with bad bytes cannot get an attacker's
	 * short line dropped (fail2ban matches it) */
	memset(line, '\xff', F2B_FLT_LINE_MAX / 2);
	memcpy(line, "fail from 192.0.2.5 ", 20);
	line[F2B_FLT_LINE_MAX / 2 - 1] = 'x';
	line[F2B_FLT_LINE_MAX / 2] = '\0';
	feed(s, &g, line);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.addr[2], "192.0.2.5");
	assert_int_equal(f2b_set_overlong(s), 2);
	/* one U+FFFD per maximal bad subpart, as Python decodes: "\xe2\x82"
	 * (a cut three-byte sequence) is one character */
	static const char *const cut[] = { "^cut .y from <HOST>$", NULL };
	struct f2b_set *s2 = make_ok(NULL, cut, NULL, 1, F2B_FLT_NODATE);
	struct got g2 = { 0 };
	feed(s2, &g2, "cut \xe2\x82y from 192.0.2.6");
	assert_int_equal(g2.n, 1);
	f2b_set_free(s2);
	/* ReDoS-shaped: stopped by the match limit, counted, no match */
	memset(line, 'a', 64);
	memcpy(line + 64, "Xc 192.0.2.3", 13);
	int64_t t0 = mono_usec();
	feed(s, &g, line);
	assert_true(mono_usec() - t0 < 5 * 1000000);
	assert_int_equal(g.n, 3);
	f2b_set_stats(s, 0, &st);
	assert_int_equal(st.limit_hits, 1);
	free(line);
	f2b_set_free(s);
}

static void
test_prefilter_agrees(void **state)
{
	/* the same lines with and without the literal prefilter */
	static const char *const fail[] = { "^x: (?:Invalid|Illegal) user \\S+ from <HOST>$",
	    "^x: Failed password for (?P<u>\\S+) from <HOST> port \\d+$", NULL };
	static const char *const lines[] = {
		"x: Invalid user a from 192.0.2.1",
		"x: FAILED PASSWORD for b from 192.0.2.2 port 22",	/* case differs: no match */
		"x: Failed password for c from 192.0.2.3 port 22",
		"x: Illegal user d from 192.0.2.4",
		"noise noise noise",
	};
	struct got g1 = { 0 }, g2 = { 0 };
	struct f2b_set *s1 = make_ok(NULL, fail, NULL, 1, F2B_FLT_NODATE);
	struct f2b_set *s2 = make_ok(NULL, fail, NULL, 1, F2B_FLT_NODATE | F2B_FLT_NOPREFILTER);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
		feed(s1, &g1, lines[i]);
		feed(s2, &g2, lines[i]);
	}
	assert_int_equal(g1.n, 3);
	assert_int_equal(g2.n, 3);
	for (int i = 0; i < g1.n; i++) {
		assert_int_equal(g1.line[i], g2.line[i]);
		assert_string_equal(g1.addr[i], g2.addr[i]);
	}
	assert_true(f2b_set_prefilter_passed(s1) < f2b_set_prefilter_passed(s2));
	f2b_set_free(s1);
	f2b_set_free(s2);
}

/* The alternations every match goes through: one text per branch. */
static void
test_required_anyof(void **state)
{
	struct f2b_anyof a[F2B_ANYOF_MAX];
	size_t n;

	(void)state;
	n = f2b_required_anyof("^x (?:NOTICE|SECURITY|WARNING)\\[\\d+\\]: (?P<a>\\S+ reject:|too many errors after \\S+) y",
	    a, F2B_ANYOF_MAX);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].n, 3);
	assert_string_equal(a[0].lit[0], "NOTICE");
	assert_string_equal(a[0].lit[2], "WARNING");
	assert_int_equal(a[1].n, 2);
	assert_string_equal(a[1].lit[0], " reject:");
	assert_string_equal(a[1].lit[1], "too many errors after ");
	for (size_t i = 0; i < n; i++)
		f2b_anyof_free(&a[i]);
	n = f2b_required_anyof("^foo bar|baz qux", a, F2B_ANYOF_MAX);	/* the whole pattern */
	assert_int_equal(n, 1);
	assert_int_equal(a[0].n, 2);
	f2b_anyof_free(&a[0]);
	/* inside required groups without a '|' of their own (sshd's closing
	 * lines, in <F-NOFAIL> and <F-MLFFORGET>) */
	n = f2b_required_anyof("^(?P<F_NOFAIL>(?P<F_MLFFORGET>(Connection (?:closed|reset)|Disconnected)))"
	    " (?:by|from) x", a, F2B_ANYOF_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].n, 2);
	assert_string_equal(a[0].lit[0], "Connection ");
	assert_string_equal(a[0].lit[1], "Disconnected");
	f2b_anyof_free(&a[0]);
	/* none: optional, a branch without 3 plain characters, a lookahead,
	 * a quantifier that allows none, extended mode; and, inside required
	 * groups, none in an optional one, a lookaround or a conditional;
	 * found by review: a quantifier after a comment applies to the group
	 * before it, PCRE2's "(*" groups and verbs, \c( is a character */
	static const char *const none[] = {
		"^x (?:abc|def)? y",
		"^x (?:abc|de) y",
		"^x (?=abc|def)\\w+",
		"^x (abc|def){0,2} y",
		"(?x)^x (?:abc|def) y",
		"^x (?:a(?:bcd|xyz)|def) y",
		"^x (?:y (?:abc|def))? z",
		"^x (?:y (?:abc|def))* z",
		"^x (?!y (?:abc|def)) z",
		"^(a)?x (?(1)y (?:abc|def)|q) z",
		"^x((?:abc|def)(?#c)?)y",
		"^x(?:abc|def)(?#c)*y",
		"^x(*nla:(?:abc|def))",
		"^(x(*ACCEPT)(?:abc|def))",
		"^(?:(?:abc|def)\\c()?x\\c)",
	};
	for (size_t i = 0; i < ARRAY_LEN(none); i++)
		if (f2b_required_anyof(none[i], a, F2B_ANYOF_MAX) != 0)
			fail_msg("a clause claimed in %s", none[i]);
	assert_null(f2b_required_literal("^xab(?#c)?d"));
	assert_null(f2b_required_literal("^(x(*ACCEPT)abcdef)"));
	char *lit = f2b_required_literal("^xab(?:c)?defgh");	/* still read without them */
	assert_non_null(lit);
	assert_string_equal(lit, "defgh");
	free(lit);
}

/* A failregex whose only required texts are alternatives, and a
 * prefregex with an alternation: the same failures with and without the
 * prefilter, fewer lines through PCRE2 with it. */
static void
test_prefilter_alternations(void **state)
{
	static const char *const fail[] = { "^(?:Login failed|FAILED login) for \\S+ from <HOST>$",
	    "^(?:denied|refused) <HOST>$", NULL };
	static const char *const lines[] = {
		"srv NOTICE: Login failed for a from 192.0.2.1",
		"srv NOTICE: Failed password for b from 192.0.2.2",	/* " from ", no branch */
		"srv WARNING: refused 192.0.2.3",
		"srv INFO: refused 192.0.2.4",				/* prefregex's clause */
		"srv warning: failed LOGIN for c from 192.0.2.5",	/* caseless prefilter, exact regex */
		"srv SECURITY: DENIED 192.0.2.6",
	};
	const char *pref = "^srv (?:NOTICE|SECURITY|WARNING): <F-CONTENT>.+</F-CONTENT>$";
	struct got g1 = { 0 }, g2 = { 0 };
	struct f2b_set *s1 = make_ok(pref, fail, NULL, 1, F2B_FLT_NODATE);
	struct f2b_set *s2 = make_ok(pref, fail, NULL, 1, F2B_FLT_NODATE | F2B_FLT_NOPREFILTER);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
		feed(s1, &g1, lines[i]);
		feed(s2, &g2, lines[i]);
	}
	assert_int_equal(g2.n, 2);
	assert_int_equal(g1.n, g2.n);
	for (int i = 0; i < g1.n; i++) {
		assert_int_equal(g1.line[i], g2.line[i]);
		assert_string_equal(g1.addr[i], g2.addr[i]);
	}
	assert_string_equal(g1.addr[0], "192.0.2.1");
	assert_string_equal(g1.addr[1], "192.0.2.3");
	/* the second and fourth lines never reach PCRE2 */
	assert_int_equal(f2b_set_prefilter_passed(s1), 4);
	assert_int_equal(f2b_set_prefilter_passed(s2), ARRAY_LEN(lines));
	f2b_set_free(s1);
	f2b_set_free(s2);
}

/* Cases found while fuzzing (fuzz/fuzz_f2b_filter.c), one per bug. */

static void
count_fail(void *arg, const struct f2b_failure *f)
{
	size_t *n = arg;

	assert_non_null(f->id);
	(*n)++;
}

/* A set of one filter with the given failregexes (no date, no prefilter). */
static struct f2b_set *
one_filter(struct f2b_regex *fail, size_t nfail, int maxlines)
{
	char err[512];
	struct f2b_def def = { .name = "t", .fail = fail, .nfail = nfail, .maxlines = maxlines };
	struct f2b_set *s = f2b_set_new();

	assert_non_null(s);
	if (f2b_set_add(s, &def, F2B_FLT_NODATE | F2B_FLT_NOPREFILTER, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (f2b_set_compile(s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return s;
}

/* fuzz_f2b_filter: an empty line kept in the maxlines buffer has a slot
 * with no buffer; joining the lines passed NULL to memcpy (UBSan). */
static void
test_empty_line_in_buffer(void **state)
{
	(void)state;
	struct f2b_regex fail[] = { { "^refused <HOST>$", "t:1" } };
	struct f2b_set *s = one_filter(fail, 1, 3);
	size_t n = 0;

	f2b_set_line(s, "", 0, 1800000000, count_fail, &n);
	f2b_set_line(s, "noise", 5, 1800000001, count_fail, &n);
	f2b_set_line(s, "", 0, 1800000002, count_fail, &n);
	f2b_set_line(s, "refused 192.0.2.1", 17, 1800000003, count_fail, &n);
	assert_int_equal(n, 1);
	f2b_set_free(s);
}

/* Review while writing fuzz_f2b_filter's prefilter oracle: "(?x" was
 * looked for, "(?ix)" was not; in extended mode "fa il" matches "fail",
 * yet the prefilter required the text "fa il" and hid the line. */
static void
test_prefilter_extended_mode(void **state)
{
	(void)state;
	char err[512];
	struct f2b_regex fail[] = { { "(?ix)fa il <HOST>", "t:1" } };
	struct f2b_def def = { .name = "t", .fail = fail, .nfail = 1, .maxlines = 1 };
	struct f2b_set *s = f2b_set_new();
	size_t n = 0;

	assert_non_null(s);
	assert_int_equal(f2b_set_add(s, &def, F2B_FLT_NODATE, err, sizeof(err)), 0);
	assert_int_equal(f2b_set_compile(s, err, sizeof(err)), 0);
	f2b_set_line(s, "fail192.0.2.1", 13, 1800000000, count_fail, &n);
	f2b_set_line(s, "FAIL192.0.2.2", 13, 1800000000, count_fail, &n);
	assert_int_equal(n, 2);
	f2b_set_free(s);
}

/* Review as above: caseless with Unicode, 'k' matches U+212A (Kelvin
 * sign) and 's' U+017F (long s); the prefilter's ASCII strncasecmp does
 * not, and hid the line. */
static void
test_prefilter_unicode_caseless(void **state)
{
	(void)state;
	char err[512];
	struct f2b_regex fail[] = { { "(?i)kiss from <HOST>", "t:1" } };
	struct f2b_def def = { .name = "t", .fail = fail, .nfail = 1, .maxlines = 1 };
	struct f2b_set *s = f2b_set_new();
	const char *l1 = "\xe2\x84\xaaiss from 192.0.2.1", *l2 = "ki\xc5\xbfs from 192.0.2.2";
	size_t n = 0;

	assert_non_null(s);
	assert_int_equal(f2b_set_add(s, &def, F2B_FLT_NODATE, err, sizeof(err)), 0);
	assert_int_equal(f2b_set_compile(s, err, sizeof(err)), 0);
	f2b_set_line(s, l1, strlen(l1), 1800000000, count_fail, &n);
	f2b_set_line(s, l2, strlen(l2), 1800000000, count_fail, &n);
	assert_int_equal(n, 2);
	f2b_set_free(s);
}

/* ---- batches give what f2b_set_line gives ---- */

struct rec {
	uint64_t line;
	int filter, regex;
	int64_t ts;
	char addr[A5_PREFIX_STRLEN], id[64];
};

struct recs {
	struct rec *r;
	size_t n, cap;
	uint64_t lineno;	/* f2b_set_line: the line being fed */
};

static void
rec_add(void *arg, const struct f2b_failure *f)
{
	struct recs *rs = arg;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 1024;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		assert_non_null(rs->r);
	}
	struct rec *r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	r->line = rs->lineno ? rs->lineno : f->line;
	r->filter = f->filter;
	r->regex = f->regex;
	r->ts = f->ts;
	if (f->has_addr)
		prefix_format(&f->addr, r->addr, sizeof(r->addr));
	strlcpy_ok(r->id, f->id, sizeof(r->id));
}

/* The same filters in two sets: a connection-merging one with a date and a
 * prefregex, a multi-line one, one without dates with an ignoreregex, and
 * two more multi-line ones (zz, ww) for the lines f2b_batch_run leaves out. */
static struct f2b_set *
batch_set(void)
{
	static const char *const conn[] = {
		"^<F-NOFAIL>connect from</F-NOFAIL> <HOST>$",
		"^auth failed for <F-USER>\\S+</F-USER>$",
		"^<F-NOFAIL><F-MLFFORGET>closed</F-MLFFORGET></F-NOFAIL>$",
		"^Failed password for \\S+ from <HOST> port \\d+$", NULL };
	static const char *const multi[] = {
		"^\\s*y: begin (\\d+)\\n(?:.*\\n)?\\s*y: fail \\1 from <HOST>$", NULL };
	/* its second regex fails on the lines the first filter fails on too */
	static const char *const plain[] = { "z: bad (?:user|key) from <HOST>",
	    "Failed password for r from <HOST> port", NULL };
	static const char *const ign[] = { "from 203\\.0\\.113\\.", NULL };
	/* its first line holds none of its texts: a line f2b_batch_run may
	 * leave out of the buffer must be one nothing reads */
	static const char *const zz[] = { "^\\s*zfirst\\n(?:.*\\n)?\\s*zsecond from <HOST>$",
	    "^\\s*zsecond from <HOST>\\n.*\\n\\s*zfirst$", NULL };
	/* a match (the first regex's) that ends past its last candidate line
	 * and leaves an older candidate in the buffer, which then stays there
	 * past maxlines lines: what it reads later (the second regex's match)
	 * must not have been left out; its texts are on the first lines */
	static const char *const ww[] = { "^\\s*wstart B\\n\\s*wstop <HOST>$",
	    "^\\s*wstart A\\n.*\\n\\s*wstop <HOST>$", NULL };
	struct f2b_set *s = f2b_set_new();
	char err[512] = "";

	assert_non_null(s);
	if (add(s, "^\\s*<F-MLFID>s\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$", conn, NULL, 1, 0,
	    err, sizeof(err)) < 0 || add(s, NULL, multi, NULL, 3, 0, err, sizeof(err)) < 0 ||
	    add(s, NULL, plain, ign, 1, F2B_FLT_NODATE, err, sizeof(err)) < 0 ||
	    add(s, NULL, zz, NULL, 3, 0, err, sizeof(err)) < 0 ||
	    add(s, NULL, ww, NULL, 3, 0, err, sizeof(err)) < 0 ||
	    f2b_set_compile(s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return s;
}

static void
test_batch_same_as_lines(void **state)
{
	enum { NLINES = 9000, PER_BATCH = 4500 };
	struct f2b_set *s1 = batch_set(), *s2 = batch_set();
	struct recs r1 = { 0 }, r2 = { 0 };
	char **lines = calloc(NLINES, sizeof(char *));
	uint32_t x = 12345;

	(void)state;
	assert_non_null(lines);
	for (size_t i = 0; i < NLINES; i++) {
		char buf[256];
		x = x * 1103515245u + 12345u;
		unsigned k = (x >> 16) % 14, a = (x >> 8) % 200, pid = (x >> 4) % 7;
		/* a few stamps out of order, some lines without a stamp */
		int sec = (int)(i / 60 % 60), min = (int)(i / 3600);
		switch (k) {
		case 0: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d h s[%u]: connect from 192.0.2.%u", min, sec, pid, a); break;
		case 1: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d h s[%u]: auth failed for u%u", min, sec, pid, a); break;
		case 2: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d h s[%u]: closed", min, sec, pid); break;
		case 3: snprintf(buf, sizeof(buf), "s[%u]: Failed password for r from 198.51.100.%u port 22", pid, a); break;
		case 4: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d y: begin %u", min, sec, a % 3); break;
		case 5: snprintf(buf, sizeof(buf), "2024-03-01 10:%02d:%02d y: fail %u from 192.0.2.%u", min, sec, a % 3, a); break;
		case 6: snprintf(buf, sizeof(buf), "z: bad user from 192.0.2.%u", a); break;
		case 7: snprintf(buf, sizeof(buf), "z: bad key from 203.0.113.%u", a); break;
		case 8: snprintf(buf, sizeof(buf), "z: bad \xff\xfe user from 192.0.2.%u", a); break;	/* repaired */
		case 9: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d noise %u\r", min, sec, a); break;
		case 10: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d zfirst", min, sec); break;
		case 11: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d zsecond from 192.0.2.%u", min, sec, a); break;
		default: snprintf(buf, sizeof(buf), "Mar  1 09:%02d:%02d h s[%u]: auth failed for v", 59 - min, sec, pid); break;
		}
		/* for ww: "wstart A", "wstart B", "wstop" (its first regex
		 * matches the last two: the first stays), a line, "wstop" (its
		 * second regex matches the three) */
		switch (i % 500) {
		case 100: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d wstart A", min, sec); break;
		case 101: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d wstart B", min, sec); break;
		case 102: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d wstop 192.0.2.%u", min, sec, a); break;
		case 103: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d noise", min, sec); break;
		case 104: snprintf(buf, sizeof(buf), "Mar  1 10:%02d:%02d wstop 198.51.100.%u", min, sec, a); break;
		default: break;
		}
		if (i % 1000 == 999) {	/* over the ceiling: dropped whole */
			lines[i] = malloc(F2B_FLT_LINE_MAX + 100);
			assert_non_null(lines[i]);
			memset(lines[i], 'x', F2B_FLT_LINE_MAX + 99);
			memcpy(lines[i], "z: bad user from 192.0.2.250 ", 29);
			lines[i][F2B_FLT_LINE_MAX + 99] = '\0';
		} else if (i % 1000 == 500) {	/* at the ceiling but for its end: kept */
			lines[i] = malloc(F2B_FLT_LINE_MAX + 3);
			assert_non_null(lines[i]);
			memset(lines[i], 'y', F2B_FLT_LINE_MAX);
			memcpy(lines[i], "z: bad user from 198.51.100.250 ", 32);
			memcpy(lines[i] + F2B_FLT_LINE_MAX, "\r\r", 3);
		} else
			assert_non_null(lines[i] = strdup(buf));
	}
	for (size_t i = 0; i < NLINES; i++) {
		r1.lineno = i + 1;
		f2b_set_line(s1, lines[i], strlen(lines[i]), NOW, rec_add, &r1);
	}
	/* batches: parts scanned last first, filters run last first, on two
	 * scratches, as threads might */
	struct f2b_batch *b = f2b_batch_new(s2);
	struct f2b_scratch *sa = f2b_scratch_new(s2), *sb = f2b_scratch_new(s2);
	assert_non_null(b);
	assert_non_null(sa);
	assert_non_null(sb);
	for (size_t from = 0; from < NLINES; from += PER_BATCH) {
		f2b_batch_reset(b, NOW);
		for (size_t i = from; i < from + PER_BATCH && i < NLINES; i++)
			assert_int_equal(f2b_batch_line(b, lines[i], strlen(lines[i])), 0);
		size_t np = f2b_batch_parts(b);
		assert_int_equal(np, (PER_BATCH + F2B_BATCH_PART_LINES - 1) / F2B_BATCH_PART_LINES);
		for (size_t p = np; p-- > 0;)
			f2b_batch_scan(s2, b, p, p % 2 ? sa : sb);
		assert_int_equal(f2b_batch_prepare(s2, b), 0);
		for (size_t f = f2b_set_count(s2); f-- > 0;)
			f2b_batch_run(s2, b, (int)f, f % 2 ? sb : sa);
		assert_int_equal(f2b_batch_emit(b, from + 1, rec_add, &r2), 0);
	}
	assert_true(r1.n > 1000);
	assert_int_equal(r1.n, r2.n);
	for (size_t i = 0; i < r1.n; i++) {
		if (r1.r[i].line != r2.r[i].line || r1.r[i].filter != r2.r[i].filter ||
		    r1.r[i].regex != r2.r[i].regex || r1.r[i].ts != r2.r[i].ts ||
		    strcmp(r1.r[i].addr, r2.r[i].addr) != 0 || strcmp(r1.r[i].id, r2.r[i].id) != 0)
			fail_msg("failure %zu differs: line %llu filter %d %s / line %llu filter %d %s", i,
			    (unsigned long long)r1.r[i].line, r1.r[i].filter, r1.r[i].id,
			    (unsigned long long)r2.r[i].line, r2.r[i].filter, r2.r[i].id);
	}
	size_t by[5] = { 0, 0, 0, 0, 0 }, at_ceiling = 0;
	for (size_t i = 0; i < r1.n; i++) {
		by[r1.r[i].filter]++;
		at_ceiling += strcmp(r1.r[i].addr, "198.51.100.250") == 0;
		assert_string_not_equal(r1.r[i].addr, "192.0.2.250");
	}
	assert_int_equal(at_ceiling, NLINES / 1000);
	if (by[0] == 0 || by[1] == 0 || by[2] == 0 || by[3] == 0 || by[4] == 0)
		fail_msg("failures by filter: %zu %zu %zu %zu %zu", by[0], by[1], by[2], by[3], by[4]);
	for (int f = 0; f < 5; f++) {
		struct f2b_filter_stats a, c;
		f2b_set_stats(s1, f, &a);
		f2b_set_stats(s2, f, &c);
		assert_memory_equal(&a, &c, sizeof(a));
	}
	assert_int_equal(f2b_set_overlong(s1), NLINES / 1000);
	assert_int_equal(f2b_set_overlong(s2), NLINES / 1000);
	assert_int_equal(f2b_set_prefilter_passed(s1), f2b_set_prefilter_passed(s2));
	f2b_scratch_free(sa);
	f2b_scratch_free(sb);
	f2b_batch_free(b);
	for (size_t i = 0; i < NLINES; i++)
		free(lines[i]);
	free(lines);
	free(r1.r);
	free(r2.r);
	f2b_set_free(s1);
	f2b_set_free(s2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_required_anyof),
		cmocka_unit_test(test_prefilter_alternations),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_date_cut),
		cmocka_unit_test(test_prefregex_content),
		cmocka_unit_test(test_ignoreregex),
		cmocka_unit_test(test_maxlines_skiplines),
		cmocka_unit_test(test_mlfid),
		cmocka_unit_test(test_nofail_without_connection),
		cmocka_unit_test(test_mlfid_table_bounded),
		cmocka_unit_test(test_errors_name_where),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_prefilter_agrees),
		cmocka_unit_test(test_empty_line_in_buffer),
		cmocka_unit_test(test_prefilter_extended_mode),
		cmocka_unit_test(test_prefilter_unicode_caseless),
		cmocka_unit_test(test_batch_same_as_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
