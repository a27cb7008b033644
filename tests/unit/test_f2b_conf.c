/* test_f2b_conf.c - fail2ban configuration files: INI syntax, includes,
 * .local and .d/, known/, %(x)s, [Init] and <tag>, errors with file:line,
 * ceilings; then every filter of the host's /etc/fail2ban, read in place. */
#include "testutil.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "f2b/f2b_conf.h"

#define F2B_ETC "/etc/fail2ban"

static char tmpdir[256];

static void
put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *
path(const char *rel)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, rel);
	return p[i];
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/a5f2bXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* the interpolated value, "" when absent; err kept for the caller */
static char err[1024];

static char *
get(struct f2b_ini *ini, const char *sec, const char *key, char *where)
{
	char *v = NULL;
	int rc = f2b_ini_get(ini, sec, key, &v, where, where ? F2B_WHERE_MAX : 0, err, sizeof(err));

	if (rc < 0)
		return strdup("ERROR");
	if (rc == 0)
		return strdup("ABSENT");
	return v;
}

static void
expect(struct f2b_ini *ini, const char *sec, const char *key, const char *want)
{
	char *v = get(ini, sec, key, NULL);

	if (strcmp(v, want) != 0)
		fail_msg("[%s] %s = '%s', expected '%s' (%s)", sec, key, v, want, err);
	free(v);
}

static void
test_ini_syntax(void **state)
{
	(void)state;
	put("syn.conf",
	    "# comment\n"
	    "; comment too\n"
	    "[DEFAULT]\n"
	    "shared = from-default\n"
	    "[One]\n"
	    "Key = value ; inline comment\n"
	    "colon: other=thing\n"
	    "semi = a;b\n"
	    "multi = first\n"
	    "    second\n"
	    "# a comment inside the value\n"
	    "\n"
	    "    third\n"
	    "\n"
	    "\n"
	    "empty =\n"
	    "  after = continued\n"
	    "[two words]\n"
	    "shared = own\n");
	struct f2b_ini *ini = f2b_ini_load(path("syn.conf"), err, sizeof(err));
	assert_non_null(ini);
	expect(ini, "One", "key", "value");
	expect(ini, "One", "KEY", "value");	/* keys are case-insensitive */
	expect(ini, "One", "colon", "other=thing");
	expect(ini, "One", "semi", "a;b");
	expect(ini, "One", "multi", "first\nsecond\n\nthird");
	expect(ini, "One", "empty", "\nafter = continued");
	expect(ini, "One", "shared", "from-default");
	expect(ini, "two words", "shared", "own");
	expect(ini, "one", "key", "ABSENT");	/* section names are not */
	expect(ini, "DEFAULT", "shared", "from-default");
	assert_string_equal(f2b_ini_section(ini, 0), "One");
	assert_string_equal(f2b_ini_section(ini, 1), "two words");
	assert_null(f2b_ini_section(ini, 2));
	char where[F2B_WHERE_MAX];
	char *v = get(ini, "One", "multi", where);
	free(v);
	char want[600];
	snprintf(want, sizeof(want), "%s:9", path("syn.conf"));
	assert_string_equal(where, want);
	f2b_ini_free(ini);
}

static void
test_includes_local_known(void **state)
{
	(void)state;
	mkdir(path("inc"), 0755);
	mkdir(path("inc/main.d"), 0755);
	put("inc/common.conf", "[DEFAULT]\nbase = common\norder = common\n[Definition]\nx = common-x\n");
	put("inc/common.local", "[DEFAULT]\norder = common.local\n");
	put("inc/tail.conf", "[Definition]\nx = tail-x\n");
	put("inc/main.conf",
	    "[INCLUDES]\n"
	    "before = common.conf\n"
	    "         missing.conf\n"
	    "after = tail.conf\n"
	    "[Definition]\n"
	    "x = main-x\n"
	    "y = %(x)s+%(base)s+%(order)s\n"
	    "z = main-z\n");
	put("inc/main.d/10-a.conf", "[Definition]\nz = d-conf-z\n");
	put("inc/main.local", "[Definition]\nz = local(%(known/z)s)\nw = %(known/base)s\n");
	put("inc/main.d/20-b.local", "[Definition]\nv = late\n");
	struct f2b_ini *ini = f2b_ini_load(path("inc/main.conf"), err, sizeof(err));
	assert_non_null(ini);
	/* order: common.conf common.local main.conf tail.conf main.d/10-a.conf
	 * main.local main.d/20-b.local */
	expect(ini, "Definition", "x", "tail-x");
	expect(ini, "Definition", "y", "tail-x+common+common.local");
	expect(ini, "Definition", "z", "local(d-conf-z)");
	expect(ini, "Definition", "w", "common");	/* known/ falls back to [DEFAULT] */
	expect(ini, "Definition", "v", "late");
	f2b_ini_free(ini);
	/* known/ reaches one override back only: a second one loops, in
	 * fail2ban too */
	put("inc/main.d/20-b.local", "[Definition]\nz = last(%(known/z)s)\n");
	ini = f2b_ini_load(path("inc/main.conf"), err, sizeof(err));
	assert_non_null(ini);
	expect(ini, "Definition", "z", "ERROR");
	assert_non_null(strstr(err, "deeper than 10"));
	f2b_ini_free(ini);
	/* an include loop is cut where fail2ban cuts it */
	put("inc/loop1.conf", "[INCLUDES]\nbefore = loop2.conf\n[A]\na = 1\n");
	put("inc/loop2.conf", "[INCLUDES]\nbefore = loop1.conf\n[A]\nb = 2\n");
	ini = f2b_ini_load(path("inc/loop1.conf"), err, sizeof(err));
	assert_non_null(ini);
	expect(ini, "A", "a", "1");
	expect(ini, "A", "b", "2");
	f2b_ini_free(ini);
	/* a .local that includes its .conf would recurse for ever in fail2ban:
	 * here it stops at the include depth */
	put("inc/self.conf", "[A]\na = 1\n");
	put("inc/self.local", "[INCLUDES]\nbefore = self.conf\n[A]\nb = 2\n");
	ini = f2b_ini_load(path("inc/self.conf"), err, sizeof(err));
	assert_null(ini);
	assert_non_null(strstr(err, "deeper than"));
	/* nothing there at all */
	ini = f2b_ini_load(path("inc/none.conf"), err, sizeof(err));
	assert_null(ini);
	assert_non_null(strstr(err, "no such file"));
}

static void
test_interpolation(void **state)
{
	(void)state;
	put("interp.conf",
	    "[DEFAULT]\n"
	    "d = dflt\n"
	    "[S]\n"
	    "a = <%(b)s>\n"
	    "b = %(d)s-%(__name__)s\n"
	    "pct = 100%% %%(not)s\n"
	    "other = %(tsec/t)s and %(default/d)s\n"
	    "upper = %(T/t)s\n"
	    "missing = x %(nope)s\n"
	    "loop1 = %(loop2)s\n"
	    "loop2 = %(loop1)s\n"
	    "lone = 5% off\n"
	    "e0 =\n"
	    "e1 = %(e0)s%(e0)s%(e0)s%(e0)s%(e0)s%(e0)s%(e0)s%(e0)s%(e0)s%(e0)s\n"
	    "e2 = %(e1)s%(e1)s%(e1)s%(e1)s%(e1)s%(e1)s%(e1)s%(e1)s%(e1)s%(e1)s\n"
	    "e3 = %(e2)s%(e2)s%(e2)s%(e2)s%(e2)s%(e2)s%(e2)s%(e2)s%(e2)s%(e2)s\n"
	    "e4 = %(e3)s%(e3)s%(e3)s%(e3)s%(e3)s%(e3)s%(e3)s%(e3)s%(e3)s%(e3)s\n"
	    "e5 = %(e4)s%(e4)s%(e4)s%(e4)s%(e4)s%(e4)s%(e4)s%(e4)s%(e4)s%(e4)s\n"
	    "e6 = %(e5)s%(e5)s%(e5)s%(e5)s%(e5)s%(e5)s%(e5)s%(e5)s%(e5)s%(e5)s\n"
	    "[tsec]\n"
	    "t = tee\n"
	    "[T]\n"
	    "t = other\n");
	struct f2b_ini *ini = f2b_ini_load(path("interp.conf"), err, sizeof(err));
	assert_non_null(ini);
	expect(ini, "S", "a", "<dflt-S>");
	expect(ini, "S", "pct", "100% %(not)s");
	expect(ini, "S", "other", "tee and dflt");
	/* the name is lowercased, the section is not: fail2ban misses it too */
	expect(ini, "S", "upper", "ERROR");
	expect(ini, "S", "missing", "ERROR");
	char want[600];
	snprintf(want, sizeof(want), "%s:9: ", path("interp.conf"));
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "%(nope)s"));
	expect(ini, "S", "loop1", "ERROR");
	assert_non_null(strstr(err, "deeper than 10"));
	expect(ini, "S", "lone", "ERROR");
	assert_non_null(strstr(err, "expected '%%'"));
	/* empty values nested ten-fold: a million references for nothing */
	expect(ini, "S", "e4", "");
	expect(ini, "S", "e6", "ERROR");
	assert_non_null(strstr(err, "resolves more than"));
	assert_int_equal(f2b_ini_set_default(ini, "Added", "new"), 0);
	expect(ini, "tsec", "added", "new");
	f2b_ini_free(ini);
}

static void
load_err(const char *rel, const char *text, const char *want_line, const char *want)
{
	char w[600];

	put(rel, text);
	struct f2b_ini *ini = f2b_ini_load(path(rel), err, sizeof(err));
	if (ini != NULL)
		fail_msg("%s loaded, expected an error", rel);
	snprintf(w, sizeof(w), "%s:%s: ", path(rel), want_line);
	if (strstr(err, w) == NULL || strstr(err, want) == NULL)
		fail_msg("%s: error '%s', expected '%s' and '%s'", rel, err, w, want);
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	load_err("e1.conf", "key = before any section\n", "1", "before any [section]");
	load_err("e2.conf", "[A]\nok = 1\njust words\n", "3", "expected a key");
	load_err("e3.conf", "[A]\nk = 1\nK = 2\n", "3", "already in [A]");
	load_err("e4.conf", "[A]\n[B]\n[A]\n", "3", "section [A] already");
	load_err("e5.conf", "[A]\n = v\n", "2", "empty key");
	load_err("e6.conf", "[A]\nk = \xff\xfe\n", "2", "not UTF-8");
	/* one line past the ceiling */
	char *big = malloc(F2B_LINE_MAX + 64);
	assert_non_null(big);
	memcpy(big, "[A]\nk = ", 8);
	memset(big + 8, 'x', F2B_LINE_MAX);
	memcpy(big + 8 + F2B_LINE_MAX, "\n", 2);
	load_err("e7.conf", big, "2", "expected at most");
	free(big);
	/* a file past the ceiling */
	big = malloc(F2B_FILE_MAX + 64);
	assert_non_null(big);
	memcpy(big, "[A]\n", 4);
	for (size_t i = 4; i < F2B_FILE_MAX + 32; i += 8)
		memcpy(big + i, "#......\n", 8);
	big[F2B_FILE_MAX + 32] = '\0';
	put("e8.conf", big);
	free(big);
	assert_null(f2b_ini_load(path("e8.conf"), err, sizeof(err)));
	assert_non_null(strstr(err, "expected at most"));
}

static void
test_filter_tags(void **state)
{
	struct f2b_def def;

	(void)state;
	mkdir(path("filter.d"), 0755);
	put("filter.d/common.conf", "[DEFAULT]\n_daemon = \\S*\n__prefix_line = ^<_daemon>:\\s\n");
	put("filter.d/t.conf",
	    "[INCLUDES]\n"
	    "before = common.conf\n"
	    "[Init]\n"
	    "user = root\n"
	    "maxlines = 3\n"
	    "[Definition]\n"
	    "_daemon = food\n"
	    "mode = calm\n"
	    "re-calm = ^calm from <HOST>$\n"
	    "re-wild = ^wild from <HOST>$\n"
	    "          ^wilder from <ADDR> as <user>$\n"
	    "failregex = %(__prefix_line)sfailed for <user> from <HOST>\n"
	    "            <re-<mode>>\n"
	    "\n"
	    "            ^<F-USER>\\S+</F-USER> <SKIPLINES> <known/user>\n"
	    "ignoreregex = ^ignore <user>$\n"
	    "datepattern = ^%%Y-%%m-%%d\n"
	    "              {^LN-BEG}\n"
	    "journalmatch = _COMM=food\n");
	assert_int_equal(f2b_def_load(path("filter.d/t.conf"), NULL, 0, &def, err, sizeof(err)), 0);
	assert_string_equal(def.name, "t");
	assert_string_equal(def.mode, "calm");
	assert_int_equal(def.nfail, 3);
	assert_string_equal(def.fail[0].text, "^food:\\sfailed for root from <HOST>");
	assert_string_equal(def.fail[1].text, "^calm from <HOST>$");
	assert_string_equal(def.fail[2].text, "^<F-USER>\\S+</F-USER> <SKIPLINES> root");
	char w[600];
	snprintf(w, sizeof(w), "%s:12", path("filter.d/t.conf"));
	assert_string_equal(def.fail[0].where, w);
	snprintf(w, sizeof(w), "%s:9", path("filter.d/t.conf"));	/* re-calm's line */
	assert_string_equal(def.fail[1].where, w);
	snprintf(w, sizeof(w), "%s:15", path("filter.d/t.conf"));
	assert_string_equal(def.fail[2].where, w);
	assert_int_equal(def.nignore, 1);
	assert_string_equal(def.ignore[0].text, "^ignore root$");
	assert_int_equal(def.ndatepatterns, 2);
	assert_string_equal(def.datepatterns[0], "^%Y-%m-%d");
	assert_string_equal(def.datepatterns[1], "{^LN-BEG}");
	assert_int_equal(def.maxlines, 3);
	assert_string_equal(def.journalmatch, "_COMM=food");
	assert_null(def.prefregex);
	f2b_def_free(&def);

	/* the caller's options win over [Init] and [Definition]; known/
	 * keeps [Init]'s value */
	const struct f2b_opt opts[] = { { "mode", "wild" }, { "user", "admin" } };
	assert_int_equal(f2b_def_load(path("filter.d/t.conf"), opts, 2, &def, err, sizeof(err)), 0);
	assert_string_equal(def.mode, "wild");
	assert_int_equal(def.nfail, 4);
	assert_string_equal(def.fail[0].text, "^food:\\sfailed for admin from <HOST>");
	assert_string_equal(def.fail[1].text, "^wild from <HOST>$");
	assert_string_equal(def.fail[2].text, "^wilder from <ADDR> as admin$");
	assert_string_equal(def.fail[3].text, "^<F-USER>\\S+</F-USER> <SKIPLINES> root");
	snprintf(w, sizeof(w), "%s:11", path("filter.d/t.conf"));
	assert_string_equal(def.fail[2].where, w);
	f2b_def_free(&def);

	/* a .local overriding failregex with <known/failregex> */
	put("filter.d/t.local", "[Definition]\nfailregex = <known/failregex>\n            ^extra <HOST>\n");
	assert_int_equal(f2b_def_load(path("filter.d/t.conf"), NULL, 0, &def, err, sizeof(err)), 0);
	assert_int_equal(def.nfail, 4);
	assert_string_equal(def.fail[3].text, "^extra <HOST>");
	f2b_def_free(&def);
	unlink(path("filter.d/t.local"));

	/* self reference and endless growth are errors naming the line */
	put("filter.d/self.conf", "[Definition]\n\nfailregex = a <failregex>\n");
	assert_int_equal(f2b_def_load(path("filter.d/self.conf"), NULL, 0, &def, err, sizeof(err)), -1);
	snprintf(w, sizeof(w), "%s:3: ", path("filter.d/self.conf"));
	assert_non_null(strstr(err, w));
	assert_non_null(strstr(err, "<failregex>"));
	put("filter.d/grow.conf", "[Definition]\na = <b>x\nb = <a>y\nfailregex = <a>\n");
	assert_int_equal(f2b_def_load(path("filter.d/grow.conf"), NULL, 0, &def, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "refers to"));
	/* exponential growth meets the value ceiling */
	put("filter.d/boom.conf",
	    "[Definition]\nx0 = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	    "x1 = <x0><x0><x0><x0>\nx2 = <x1><x1><x1><x1>\nx3 = <x2><x2><x2><x2>\n"
	    "x4 = <x3><x3><x3><x3>\nx5 = <x4><x4><x4><x4>\nx6 = <x5><x5><x5><x5>\n"
	    "x7 = <x6><x6><x6><x6>\nx8 = <x7><x7><x7><x7>\nx9 = <x8><x8><x8><x8>\n"
	    "failregex = <x9>\n");
	assert_int_equal(f2b_def_load(path("filter.d/boom.conf"), NULL, 0, &def, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "grows past"));
	/* maxlines must be a count */
	put("filter.d/ml.conf", "[Definition]\nfailregex = x <HOST>\nmaxlines = many\n");
	assert_int_equal(f2b_def_load(path("filter.d/ml.conf"), NULL, 0, &def, err, sizeof(err)), -1);
	snprintf(w, sizeof(w), "%s:3: maxlines", path("filter.d/ml.conf"));
	assert_non_null(strstr(err, w));
	/* systemd backend: logtype journal */
	put("filter.d/lt.conf", "[Definition]\nfailregex = <logtype> <HOST>\n");
	assert_int_equal(f2b_def_load_backend(path("filter.d/lt.conf"), NULL, 0, "systemd", &def, err,
	    sizeof(err)), 0);
	assert_string_equal(def.fail[0].text, "journal <HOST>");
	f2b_def_free(&def);
}

/* ---- the host's own fail2ban filters, read in place ---- */

static bool
have_etc(void)
{
	struct stat st;

	if (stat(F2B_ETC "/filter.d/sshd.conf", &st) != 0) {
		print_message("skipped: no %s/filter.d/sshd.conf (fail2ban not installed)\n", F2B_ETC);
		return false;
	}
	return true;
}

static void
test_every_etc_filter(void **state)
{
	DIR *d;
	struct dirent *e;
	size_t n = 0, nfrag = 0;

	(void)state;
	if (!have_etc())
		return;
	d = opendir(F2B_ETC "/filter.d");
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		char p[600];
		struct f2b_def def;
		if (l < 6 || strcmp(e->d_name + l - 5, ".conf") != 0)
			continue;
		snprintf(p, sizeof(p), F2B_ETC "/filter.d/%s", e->d_name);
		n++;
		if (f2b_def_load(p, NULL, 0, &def, err, sizeof(err)) != 0) {
			/* a fragment for selinux-ssh.conf: %(_type)s is set by
			 * its includers only, and fail2ban refuses it alone too */
			if (strcmp(e->d_name, "selinux-common.conf") == 0 && strstr(err, "%(_type)s") != NULL) {
				nfrag++;
				continue;
			}
			closedir(d);
			fail_msg("%s: %s", p, err);
		}
		for (size_t i = 0; i < def.nfail; i++)
			if (strstr(def.fail[i].text, "%(") != NULL)
				fail_msg("%s: failregex %zu left %%(: %s", p, i, def.fail[i].text);
		f2b_def_free(&def);
	}
	closedir(d);
	print_message("%zu of %zu filters of %s/filter.d loaded (the other: a fragment fail2ban "
	    "refuses alone too)\n", n - nfrag, n, F2B_ETC);
	assert_true(n > 10);
}

static void
test_etc_spot_checks(void **state)
{
	struct f2b_def def, agg;
	const struct f2b_opt aggressive = { "mode", "aggressive" };

	(void)state;
	if (!have_etc())
		return;
	assert_int_equal(f2b_def_load(F2B_ETC "/filter.d/sshd.conf", NULL, 0, &def, err, sizeof(err)), 0);
	assert_string_equal(def.name, "sshd");
	assert_string_equal(def.mode, "normal");
	assert_non_null(def.prefregex);
	assert_null(strstr(def.prefregex, "%("));
	assert_true(def.nfail > 10);
	bool host = false;
	for (size_t i = 0; i < def.nfail; i++) {
		assert_null(strstr(def.fail[i].text, "%("));
		assert_null(strstr(def.fail[i].text, "<mdre-"));
		host = host || strstr(def.fail[i].text, "<HOST>") != NULL;
		assert_non_null(strstr(def.fail[i].where, "/etc/fail2ban/filter.d/sshd.conf:"));
	}
	assert_true(host);
	assert_non_null(def.journalmatch);
	assert_int_equal(f2b_def_load(F2B_ETC "/filter.d/sshd.conf", &aggressive, 1, &agg, err,
	    sizeof(err)), 0);
	assert_string_equal(agg.mode, "aggressive");
	assert_true(agg.nfail > def.nfail);
	f2b_def_free(&def);
	f2b_def_free(&agg);

	/* [Init] maxlines */
	assert_int_equal(f2b_def_load(F2B_ETC "/filter.d/mongodb-auth.conf", NULL, 0, &def, err,
	    sizeof(err)), 0);
	assert_int_equal(def.maxlines, 10);
	f2b_def_free(&def);
	/* an [Init] value used as a tag, overridden by the caller */
	const struct f2b_opt hp = { "honeypot", "bait@example.org" };
	assert_int_equal(f2b_def_load(F2B_ETC "/filter.d/exim-spam.conf", &hp, 1, &def, err,
	    sizeof(err)), 0);
	bool bait = false;
	for (size_t i = 0; i < def.nfail; i++)
		bait = bait || strstr(def.fail[i].text, "bait@example.org") != NULL;
	assert_true(bait);
	f2b_def_free(&def);
}

/* fuzz_f2b_conf (a seed written for it): each append to a value scanned
 * back to the value's last '\n', so a long one-line value cost O(n^2):
 * ten levels of ten %(x)s each ran for minutes before the 1 MiB ceiling.
 * Refused within a second or two now. */
static void
test_interpolation_bomb(void **state)
{
	(void)state;
	char text[2048];
	size_t n = (size_t)snprintf(text, sizeof(text), "[Definition]\nk0 = %050d\n", 0);
	struct f2b_def def;
	struct timespec a, b;

	for (int i = 1; i < 10; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "k%d =", i);
		for (int j = 0; j < 10; j++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, " %%(k%d)s", i - 1);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
	}
	snprintf(text + n, sizeof(text) - n, "failregex = %%(k9)s <HOST>\n");
	assert_true(n + 40 < sizeof(text));
	put("bomb.conf", text);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(f2b_def_load(path("bomb.conf"), NULL, 0, &def, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (strstr(err, "grows past") == NULL)
		fail_msg("unexpected error: %s", err);
	assert_true(b.tv_sec - a.tv_sec < 10);
}

/* Hostile includes: a FIFO is skipped at once (no regular file; the open
 * does not block), and a walk that follows include lines again and again
 * (one file naming another hundreds of times, which names a missing file
 * thousands of times) is refused fast, not minutes later. */
static void
test_hostile_includes(void **state)
{
	struct f2b_def def;
	struct timespec a, b;
	char *text = malloc(200000);
	size_t n;

	(void)state;
	assert_non_null(text);
	assert_int_equal(mkfifo(path("fifo.conf"), 0600), 0);
	put("usesfifo.conf", "[INCLUDES]\nbefore = fifo.conf\n[Definition]\nfailregex = ^y <HOST>$\n");
	assert_int_equal(f2b_def_load(path("usesfifo.conf"), NULL, 0, &def, err, sizeof(err)), 0);
	assert_int_equal(def.nfail, 1);
	f2b_def_free(&def);

	n = (size_t)snprintf(text, 200000, "[INCLUDES]\nbefore = missing0\n");
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(text + n, 200000 - n, " missing\n");
	snprintf(text + n, 200000 - n, "[Definition]\nfailregex = ^x <HOST>$\n");
	put("wide.conf", text);
	n = (size_t)snprintf(text, 200000, "[INCLUDES]\nbefore = wide.conf\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, 200000 - n, " wide.conf\n");
	snprintf(text + n, 200000 - n, "[Definition]\nfailregex = ^y <HOST>$\n");
	put("many.conf", text);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(f2b_def_load(path("many.conf"), NULL, 0, &def, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (strstr(err, "include lines followed") == NULL)
		fail_msg("unexpected error: %s", err);
	assert_true(b.tv_sec - a.tv_sec < 5);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_syntax),
		cmocka_unit_test(test_includes_local_known),
		cmocka_unit_test(test_interpolation),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_filter_tags),
		cmocka_unit_test(test_interpolation_bomb),
		cmocka_unit_test(test_hostile_includes),
		cmocka_unit_test(test_every_etc_filter),
		cmocka_unit_test(test_etc_spot_checks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
