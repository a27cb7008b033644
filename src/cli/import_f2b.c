/* import_f2b.c - `article5 import-fail2ban [DIR]`: reads fail2ban's jails
 * (jail.conf, jail.d/, jail.local, as fail2ban does) and writes the
 * equivalent article5 configuration; what has no equivalent is listed as
 * "# not translated: ..." there and on stderr, never dropped silently. */
#include <getopt.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A jail's service name: article5's native services already take the
 * common jail names (sshd, postfix...), and a fail2ban-filter service may
 * not reuse one (config: rules_service_add). */
#define F2B_SVC_PREFIX "f2b-"

#include "cli/cli.h"
#include "common/addr.h"
#include "common/util.h"
#include "daemon/config.h"
#include "f2b/f2b_conf.h"

#define IMP_OPTS_MAX	32
#define IMP_MATCH_MAX	64
#define IMP_ALLOW_MAX	256
#define IMP_SOURCES_MAX	256
#define FOREVER		(520LL * 7 * 86400)	/* article5's longest bantime, about 10 years */
#define F2B_SECONDS_MAX	(1LL << 50)	/* a duration sum beyond this is refused (35 million years) */

/* jail options that are translated, or deliberately not (said below) */
static const char *const known_opts[] = {
	"enabled", "filter", "backend", "logpath", "maxretry", "findtime", "bantime",
	"bantime.increment", "bantime.factor", "bantime.maxtime", "bantime.multipliers",
	"bantime.formula", "bantime.rndtime", "bantime.overalljails", "ignoreip", "ignoreself",
	"port", "protocol", "action", "banaction", "banaction_allports", "chain", "mode",
	"ignorecommand", "usedns", "logencoding", "maxmatches", "logtimezone", "journalmatch",
	"failregex", "ignoreregex", "prefregex", "datepattern", "maxlines",
};

struct strset {
	char *v[IMP_SOURCES_MAX];
	char *svcs[IMP_SOURCES_MAX];	/* files: the services reading each, "a,b" */
	size_t n;
};

enum { SET_ADDED, SET_DUP, SET_FULL };

/* Adds v once; SET_FULL when the set is full or memory is short (the
 * caller notes it: nothing is dropped silently). */
static int
set_add(struct strset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return SET_DUP;
	if (s->n >= IMP_SOURCES_MAX || (s->v[s->n] = strdup(v)) == NULL)
		return SET_FULL;
	s->svcs[s->n] = NULL;
	s->n++;
	return SET_ADDED;
}

/* Appends ",svc" (or "svc") to the list of the element v. 0 or -1. */
static int
set_add_service(struct strset *s, const char *v, const char *svc)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], v) != 0)
			continue;
		size_t have = s->svcs[i] ? strlen(s->svcs[i]) : 0, add = strlen(svc);
		if (have + add + 2 > CONFIG_SOURCE_SERVICES_MAX)
			return -1;
		char *n = realloc(s->svcs[i], have + add + 2);
		if (n == NULL)
			return -1;
		if (have > 0)
			n[have++] = ',';
		memcpy(n + have, svc, add + 1);
		s->svcs[i] = n;
		return 0;
	}
	return -1;
}

static void
set_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i]);
		free(s->svcs[i]);
	}
	s->n = 0;
}

struct imp {
	const char *dir;
	struct f2b_ini *ini;
	FILE *head, *svc;	/* global lines; per-jail lines */
	char *headbuf, *svcbuf;
	size_t headlen, svclen;
	struct strset files, matches, allows;
	bool journal_all, journal_any;
	char journal_svcs[CONFIG_SOURCE_SERVICES_MAX];	/* the systemd jails' services */
	int untranslated;
	int inc_on, inc_off, maxtime_unset;	/* jails with and without bantime.increment */
	char maxtime[32];
};

static void
note(struct imp *im, FILE *f, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* one line per note in the output, whatever the value held */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(f, "# not translated: %s\n", buf);
	fprintf(stderr, "article5 import-fail2ban: not translated: %s\n", buf);
	im->untranslated++;
}

/* The interpolated value of key in the jail; NULL when absent. An
 * interpolation error is a note and counts as absent. */
static char *
jget(struct imp *im, const char *jail, const char *key)
{
	char *v = NULL, err[512];
	int rc = f2b_ini_get(im->ini, jail, key, &v, NULL, 0, err, sizeof(err));

	if (rc < 0) {
		note(im, im->svc, "jail %s: %s: %s", jail, key, err);
		return NULL;
	}
	return rc == 1 ? v : NULL;
}

static bool
as_bool(const char *v)
{
	return v != NULL && (strcasecmp(v, "1") == 0 || strcasecmp(v, "on") == 0 ||
	    strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0);
}

/* fail2ban's MyTime.str2seconds for the forms people write: terms like
 * 10m, 1h 30m, 2d, 600, -1, with its unit words. 0 or -1. */
static int
f2b_seconds(const char *s, long long *out)
{
	static const struct {
		const char *w;
		long long mul;
	} units[] = {
		{ "seconds", 1 }, { "second", 1 }, { "sec", 1 }, { "se", 1 }, { "ss", 1 }, { "s", 1 },
		{ "minutes", 60 }, { "minute", 60 }, { "min", 60 }, { "mi", 60 }, { "mm", 60 }, { "m", 60 },
		{ "hours", 3600 }, { "hour", 3600 }, { "hou", 3600 }, { "ho", 3600 }, { "hh", 3600 },
		{ "h", 3600 }, { "days", 86400 }, { "day", 86400 }, { "da", 86400 }, { "dd", 86400 },
		{ "d", 86400 }, { "weeks", 604800 }, { "week", 604800 }, { "wee", 604800 },
		{ "we", 604800 }, { "ww", 604800 }, { "w", 604800 }, { "months", 2629800 },
		{ "month", 2629800 }, { "mon", 2629800 }, { "mo", 2629800 }, { "years", 31557600 },
		{ "year", 31557600 }, { "yea", 31557600 }, { "ye", 31557600 }, { "yy", 31557600 },
		{ "y", 31557600 },
	};
	long long total = 0;
	bool any = false;

	while (*s) {
		int sign = 1;
		long long v = 0;
		bool digits = false;
		while (*s == ' ' || *s == '\t' || *s == '+')
			s++;
		if (*s == '\0')
			break;
		if (*s == '-') {
			sign = -1;
			s++;
		}
		while (*s >= '0' && *s <= '9') {
			if (v > 1000000000LL)
				return -1;
			v = v * 10 + (*s++ - '0');
			digits = true;
		}
		if (!digits)
			return -1;
		while (*s == ' ' || *s == '\t')
			s++;
		long long mul = 1;
		if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') {
			size_t n = 0;
			while (((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z'))
				n++;
			size_t u;
			for (u = 0; u < ARRAY_LEN(units); u++)
				if (strlen(units[u].w) == n && strncasecmp(units[u].w, s, n) == 0)
					break;
			if (u == ARRAY_LEN(units))
				return -1;
			mul = units[u].mul;
			s += n;
		}
		total += sign * v * mul;	/* each term below 2^59: no overflow here */
		if (total > F2B_SECONDS_MAX || total < -F2B_SECONDS_MAX)
			return -1;	/* else many terms overflowed the sum */
		any = true;
	}
	if (!any)
		return -1;
	*out = total;
	return 0;
}

/* seconds as article5 writes a DURATION: one number, one unit */
static void
fmt_dur(long long s, char *buf, size_t n)
{
	if (s % 604800 == 0)
		snprintf(buf, n, "%lldw", s / 604800);
	else if (s % 86400 == 0)
		snprintf(buf, n, "%lldd", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, n, "%lldh", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, n, "%lldm", s / 60);
	else
		snprintf(buf, n, "%llds", s);
}

/* fail2ban's extractOptions: NAME[key=value, key="value", ...]. 0 or -1. */
static int
extract_options(char *spec, char **name, struct f2b_opt *opts, size_t *nopts)
{
	char *b = strchr(spec, '['), *e;

	*nopts = 0;
	while (*spec == ' ' || *spec == '\t' || *spec == '\n')
		spec++;
	if (b == NULL) {
		e = spec + strlen(spec);
		while (e > spec && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
			*--e = '\0';
		*name = spec;
		return *spec ? 0 : -1;
	}
	e = strrchr(b, ']');
	if (e == NULL || b == spec)
		return -1;
	*b = '\0';
	*e = '\0';
	for (char *t = b; t > spec && (t[-1] == ' ' || t[-1] == '\t');)
		*--t = '\0';
	*name = spec;
	for (char *p = b + 1; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',' || *p == '[' || *p == ']')
			p++;
		if (*p == '\0')
			break;
		char *k = p;
		while (*p && *p != '=' && *p != ' ')
			p++;
		if (*p != '=')
			return -1;
		*p++ = '\0';
		char *v;
		if (*p == '"' || *p == '\'') {
			char q = *p++;
			v = p;
			p = strchr(p, q);
			if (p == NULL)
				return -1;
			*p++ = '\0';
		} else {
			v = p;
			while (*p && *p != ',' && *p != ']')
				p++;
			if (*p)
				*p++ = '\0';
			for (char *t = v + strlen(v); t > v && (t[-1] == ' ' || t[-1] == '\t');)
				*--t = '\0';
		}
		if (*nopts >= IMP_OPTS_MAX)
			return -1;
		opts[*nopts].name = k;
		opts[(*nopts)++].value = v;
	}
	return 0;
}

/* The next word of *cur split at any of seps (NUL-terminated in place),
 * NULL at the end: a cursor, not strtok's hidden state. */
static char *
next_word(char **cur, const char *seps)
{
	char *p = *cur + strspn(*cur, seps), *e;

	if (*p == '\0')
		return NULL;
	e = p + strcspn(p, seps);
	*cur = *e ? e + 1 : e;
	*e = '\0';
	return p;
}

static bool
has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* The file joins the sources, read by this jail's service alone (and by
 * every other jail naming it): fail2ban runs a jail's filter on that jail's
 * logpath only. The lines are written at the end (emit_sources). */
static void
add_file_source(struct imp *im, const char *jail, const char *path)
{
	char svc[RULES_NAME_MAX];

	if (path[0] != '/' || strpbrk(path, " \t#") != NULL) {
		note(im, im->svc, "jail %s: logpath '%s' is not an absolute path without spaces or '#'",
		    jail, path);
		return;
	}
	snprintf(svc, sizeof(svc), F2B_SVC_PREFIX "%s", jail);
	if (set_add(&im->files, path) == SET_FULL || set_add_service(&im->files, path, svc) != 0)
		note(im, im->head, "jail %s: logpath %s: more than %d sources or services to a source",
		    jail, path, IMP_SOURCES_MAX);
}

static void
emit_sources(struct imp *im)
{
	struct stat st;

	for (size_t i = 0; i < im->files.n; i++) {
		fprintf(im->head, "source file %s service %s\n", im->files.v[i], im->files.svcs[i]);
		if (stat(im->files.v[i], &st) != 0)
			fprintf(im->head, "# (%s does not exist yet; article5 waits for it)\n",
			    im->files.v[i]);
	}
	if (!im->journal_any && !im->journal_all)
		return;
	fprintf(im->head, "source journal");
	for (size_t i = 0; !im->journal_all && i < im->matches.n; i++)
		fprintf(im->head, " %s", im->matches.v[i]);
	fprintf(im->head, " service %s\n", im->journal_svcs);
}

static void
do_logpath(struct imp *im, const char *jail, char *lp)
{
	for (char *line = lp, *nl; line != NULL; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		/* fail2ban: "PATH [head|tail]", the last word after a space */
		char *sp = strrchr(line, ' ');
		if (sp != NULL && (strcmp(sp + 1, "head") == 0 || strcmp(sp + 1, "tail") == 0)) {
			if (strcmp(sp + 1, "head") == 0)
				note(im, im->svc, "jail %s: logpath '%s' reads from the head; article5 follows "
				    "new lines only", jail, line);
			*sp = '\0';
		}
		if (*line == '\0')
			continue;
		if (!has_glob(line)) {
			add_file_source(im, jail, line);
			continue;
		}
		glob_t g;
		if (glob(line, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
			note(im, im->svc, "jail %s: logpath glob '%s' matches no file now; article5 has no "
			    "globs in sources", jail, line);
			continue;
		}
		for (size_t i = 0; i < g.gl_pathc; i++)
			add_file_source(im, jail, g.gl_pathv[i]);
		note(im, im->svc, "jail %s: logpath glob '%s' expanded to today's %zu file(s); new "
		    "matches will not be read", jail, line, g.gl_pathc);
		globfree(&g);
	}
}

/* journalmatch "A + B C": groups joined by '+' are alternatives, words in
 * a group must all match. article5's `source journal` takes alternatives
 * of one field each. */
static void
do_journalmatch(struct imp *im, const char *jail, const char *jm)
{
	size_t have = strlen(im->journal_svcs);
	int w = snprintf(im->journal_svcs + have, sizeof(im->journal_svcs) - have, "%s" F2B_SVC_PREFIX
	    "%s", have ? "," : "", jail);
	if (w < 0 || (size_t)w >= sizeof(im->journal_svcs) - have) {
		im->journal_svcs[have] = '\0';
		note(im, im->svc, "jail %s: too many systemd jails for one journal source", jail);
		return;
	}
	if (jm == NULL || *jm == '\0') {
		im->journal_all = true;
		note(im, im->svc, "jail %s: systemd backend without journalmatch: article5 reads "
		    "the whole journal", jail);
		return;
	}
	char *copy = strdup(jm);
	if (copy == NULL)
		return;
	for (char *p = copy; *p; p++)
		if (*p == '\n')
			*p = ' ';
	int inwords = 0;
	char *tok, *cur = copy;
	bool and_group = false;
	while ((tok = next_word(&cur, " \t")) != NULL) {
		if (strcmp(tok, "+") == 0) {
			inwords = 0;
			continue;
		}
		if (++inwords > 1)
			and_group = true;
		/* fail2ban's shlex.split: drop the quotes */
		size_t n = strlen(tok);
		if (n >= 2 && (tok[0] == '"' || tok[0] == '\'') && tok[n - 1] == tok[0]) {
			tok[n - 1] = '\0';
			tok++;
		}
		if (set_add(&im->matches, tok) == SET_FULL)
			note(im, im->svc, "jail %s: journal match %s: more than %d matches", jail, tok,
			    IMP_SOURCES_MAX);
	}
	if (and_group)
		note(im, im->svc, "jail %s: journalmatch '%s' requires several fields at once; article5 "
		    "reads entries matching any of them", jail, jm);
	free(copy);
	im->journal_any = true;
}

static void
do_ignoreip(struct imp *im, const char *jail, char *v)
{
	for (char *p = v; *p; p++)
		if (*p == ',' || *p == '\n' || *p == '\t')
			*p = ' ';
	char *w, *cur = v;
	while ((w = next_word(&cur, " ")) != NULL) {
		struct a5_prefix pf;
		char *slash = strchr(w, '/');
		size_t al = slash ? (size_t)(slash - w) : strlen(w);
		uint64_t len = 0;
		if (addr_parse(w, al, &pf) != 0 ||
		    (slash != NULL && uint_parse(slash + 1, 0, prefix_maxlen(&pf), &len) != 0)) {
			note(im, im->head, "jail %s: ignoreip '%s' is not an address or prefix (host "
			    "names are not resolved)", jail, w);
			continue;
		}
		if (slash != NULL)
			prefix_truncate(&pf, (unsigned)len);
		char txt[80];
		prefix_format(&pf, txt, sizeof(txt));
		if ((pf.family == A5_AF_INET && pf.addr[0] == 127) ||
		    (pf.family == A5_AF_INET6 && pf.len == 128 && memcmp(pf.addr,
		    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0)) {
			if (set_add(&im->allows, txt) == SET_ADDED)
				fprintf(im->head, "# ignoreip %s: loopback, which article5 always allows\n", w);
			continue;
		}
		const char *why = prefix_check(&pf);
		if (why != NULL) {
			note(im, im->head, "jail %s: ignoreip '%s': %s", jail, w, why);
			continue;
		}
		int added = set_add(&im->allows, txt);
		if (added == SET_ADDED)
			fprintf(im->head, "allow %s\n", txt);
		else if (added == SET_FULL)
			note(im, im->head, "jail %s: ignoreip %s: more than %d allow lines", jail, txt,
			    IMP_SOURCES_MAX);
	}
}

static void
dur_or_note(struct imp *im, const char *jail, const char *key, const char *v, char *out,
    size_t n, bool forever_ok)
{
	long long s;

	out[0] = '\0';
	if (v == NULL)
		return;
	if (f2b_seconds(v, &s) != 0) {
		note(im, im->svc, "jail %s: %s '%s' is not a duration article5 reads", jail, key, v);
		return;
	}
	if (s < 0 && forever_ok) {
		note(im, im->svc, "jail %s: %s %s (for ever); article5's longest, %s, instead", jail, key,
		    v, "520w");
		s = FOREVER;
	} else if (s <= 0) {
		note(im, im->svc, "jail %s: %s %s is not a positive duration", jail, key, v);
		return;
	} else if (s > FOREVER) {
		note(im, im->svc, "jail %s: %s %s is longer than article5's longest, 520w", jail, key, v);
		s = FOREVER;
	}
	fmt_dur(s, out, n);
}

/* A filter NAME in DIR/filter.d: NAME.conf, else NAME.local. */
static int
filter_path(const char *dir, const char *name, char *buf, size_t n)
{
	struct stat st;

	if (strchr(name, '/') != NULL)
		return -1;
	snprintf(buf, n, "%s/filter.d/%s.conf", dir, name);
	if (stat(buf, &st) == 0)
		return 0;
	snprintf(buf, n, "%s/filter.d/%s.local", dir, name);
	return stat(buf, &st) == 0 ? 0 : -1;
}

static void
do_jail(struct imp *im, const char *jail)
{
	char *v;
	char fpath[4096], err[1024];
	struct f2b_opt opts[IMP_OPTS_MAX];
	size_t nopts = 0;
	char *fname = NULL;

	fprintf(im->svc, "\n# jail %s\n", jail);
	/* the name becomes a service name, a word of the configuration */
	if (!config_word_ok(jail) || strlen(F2B_SVC_PREFIX) + strlen(jail) >= RULES_NAME_MAX) {
		note(im, im->svc, "jail '%s': the name is no service name (letters, digits, '-', '_', "
		    "at most %zu bytes)", jail, RULES_NAME_MAX - 1 - strlen(F2B_SVC_PREFIX));
		return;
	}
	char *filter = jget(im, jail, "filter");
	char *backend = jget(im, jail, "backend");
	bool journal = backend != NULL && strncmp(backend, "systemd", 7) == 0;
	if (filter == NULL || *filter == '\0') {
		note(im, im->svc, "jail %s has no filter", jail);
		goto out;
	}
	if (extract_options(filter, &fname, opts, &nopts) != 0) {
		note(im, im->svc, "jail %s: filter '%s', expected NAME[key=value, ...]", jail, filter);
		goto out;
	}
	if (filter_path(im->dir, fname, fpath, sizeof(fpath)) != 0) {
		note(im, im->svc, "jail %s: no filter %s in %s/filter.d", jail, fname, im->dir);
		goto out;
	}
	struct f2b_def def;
	if (f2b_def_load_backend(fpath, opts, nopts, backend ? backend : "auto", &def, err,
	    sizeof(err)) != 0) {
		note(im, im->svc, "jail %s: filter %s: %s", jail, fpath, err);
		goto out;
	}
	const char *mode = NULL;
	for (size_t i = 0; i < nopts; i++) {
		if (strcmp(opts[i].name, "mode") == 0)
			mode = opts[i].value;
		else
			note(im, im->svc, "jail %s: filter option %s=%s (the directive takes a mode only)",
			    jail, opts[i].name, opts[i].value);
	}
	if (mode != NULL && *mode != '\0' && !config_word_ok(mode)) {
		note(im, im->svc, "jail %s: filter mode '%s' is no word (letters, digits, '-', '_')",
		    jail, mode);
		f2b_def_free(&def);
		goto out;
	}
	if (strpbrk(fpath, " \t#") != NULL) {
		note(im, im->svc, "jail %s: filter path %s holds a space or '#'", jail, fpath);
		f2b_def_free(&def);
		goto out;
	}
	if (mode != NULL && *mode != '\0')
		fprintf(im->svc, "service " F2B_SVC_PREFIX "%s fail2ban-filter %s mode %s\n", jail, fpath, mode);
	else
		fprintf(im->svc, "service " F2B_SVC_PREFIX "%s fail2ban-filter %s\n", jail, fpath);

	/* filter options the jail sets itself win over the filter's in
	 * fail2ban; the fail2ban-filter directive takes the filter alone */
	static const char *const jail_filter_opts[] = {
		"failregex", "ignoreregex", "prefregex", "datepattern", "maxlines",
	};
	for (size_t i = 0; i < ARRAY_LEN(jail_filter_opts); i++) {
		char *x = jget(im, jail, jail_filter_opts[i]);
		if (x != NULL)
			note(im, im->svc, "jail %s: %s = %s (set in the jail over the filter's)", jail,
			    jail_filter_opts[i], x);
		free(x);
	}
	static const struct {
		const char *key, *fine[3];
	} jail_misc[] = {
		{ "usedns", { "warn", "no", NULL } },
		{ "logencoding", { "auto", "utf-8", "UTF-8" } },
		{ "logtimezone", { NULL, NULL, NULL } },
	};
	for (size_t i = 0; i < ARRAY_LEN(jail_misc); i++) {
		char *x = jget(im, jail, jail_misc[i].key);
		bool fine = x == NULL;
		for (size_t j = 0; !fine && j < 3 && jail_misc[i].fine[j] != NULL; j++)
			fine = strcmp(x, jail_misc[i].fine[j]) == 0;
		if (!fine)
			note(im, im->svc, "jail %s: %s = %s", jail, jail_misc[i].key, x);
		free(x);
	}

	/* where the lines come from */
	if (journal) {
		char *jm = jget(im, jail, "journalmatch");
		do_journalmatch(im, jail, jm != NULL ? jm : def.journalmatch);
		free(jm);
	} else {
		if (backend != NULL && strcmp(backend, "auto") != 0 && strcmp(backend, "polling") != 0 &&
		    strcmp(backend, "pyinotify") != 0)
			note(im, im->svc, "jail %s: backend %s; article5 follows files itself", jail, backend);
		char *lp = jget(im, jail, "logpath");
		if (lp == NULL || *lp == '\0')
			note(im, im->svc, "jail %s has no logpath", jail);
		else
			do_logpath(im, jail, lp);
		free(lp);
	}
	f2b_def_free(&def);

	/* policy */
	char line[256] = "", mr[32] = "", ft[32], bt[32];
	char *maxretry = jget(im, jail, "maxretry");
	char *findtime = jget(im, jail, "findtime");
	char *bantime = jget(im, jail, "bantime");
	if (maxretry != NULL) {
		uint64_t u;
		if (uint_parse(maxretry, 1, 1000000, &u) != 0) {
			note(im, im->svc, "jail %s: maxretry '%s', expected a count", jail, maxretry);
		} else if (u > 64) {
			note(im, im->svc, "jail %s: maxretry %s; article5's largest, 64, instead", jail, maxretry);
			snprintf(mr, sizeof(mr), " maxretry 64");
		} else {
			snprintf(mr, sizeof(mr), " maxretry %llu", (unsigned long long)u);
		}
	}
	dur_or_note(im, jail, "findtime", findtime, ft, sizeof(ft), false);
	dur_or_note(im, jail, "bantime", bantime, bt, sizeof(bt), true);
	snprintf(line, sizeof(line), "%s%s%s%s%s", mr, ft[0] ? " findtime " : "", ft,
	    bt[0] ? " bantime " : "", bt);
	if (line[0] != '\0')
		fprintf(im->svc, "service " F2B_SVC_PREFIX "%s%s\n", jail, line);
	free(maxretry);
	free(findtime);
	free(bantime);

	/* allowlist: fail2ban's is per jail, article5's for every service */
	if ((v = jget(im, jail, "ignoreip")) != NULL) {
		do_ignoreip(im, jail, v);
		free(v);
	}
	if ((v = jget(im, jail, "ignoreself")) != NULL) {
		if (!as_bool(v))
			note(im, im->svc, "jail %s: ignoreself %s; article5 never bans this host's own "
			    "addresses", jail, v);
		free(v);
	}
	if ((v = jget(im, jail, "ignorecommand")) != NULL) {
		if (*v != '\0')
			note(im, im->svc, "jail %s: ignorecommand %s", jail, v);
		free(v);
	}

	/* escalation: article5's bantime_factor and bantime_max are global,
	 * decided once every jail is read */
	if ((v = jget(im, jail, "bantime.increment")) != NULL && as_bool(v)) {
		static const char *const inc[] = { "bantime.multipliers", "bantime.formula",
			"bantime.rndtime", "bantime.overalljails" };
		im->inc_on++;
		for (size_t i = 0; i < ARRAY_LEN(inc); i++) {
			char *x = jget(im, jail, inc[i]);
			if (x != NULL && *x != '\0' && strcasecmp(x, "false") != 0)
				note(im, im->svc, "jail %s: %s = %s (article5: each further ban lasts "
				    "bantime_factor times the one before, up to bantime_max)", jail, inc[i], x);
			free(x);
		}
		char *x = jget(im, jail, "bantime.factor");
		if (x != NULL && strcmp(x, "1") != 0)
			note(im, im->svc, "jail %s: bantime.factor %s (article5 doubles each further ban, "
			    "as fail2ban does with factor 1)", jail, x);
		free(x);
		x = jget(im, jail, "bantime.maxtime");
		char mt[32] = "";
		dur_or_note(im, jail, "bantime.maxtime", x, mt, sizeof(mt), true);
		if (im->maxtime[0] == '\0' && mt[0] != '\0')
			snprintf(im->maxtime, sizeof(im->maxtime), "%s", mt);
		else if (mt[0] != '\0' && strcmp(mt, im->maxtime) != 0)
			note(im, im->svc, "jail %s: bantime.maxtime %s, another jail's %s is used for "
			    "every service", jail, mt, im->maxtime);
		else if (mt[0] == '\0')
			im->maxtime_unset++;
		free(x);
	} else {
		im->inc_off++;
	}
	free(v);

	/* what happens on a ban */
	if ((v = jget(im, jail, "port")) != NULL) {
		note(im, im->svc, "jail %s: port %s (article5 bans the address on every port)", jail, v);
		free(v);
	}
	if ((v = jget(im, jail, "action")) != NULL) {
		for (char *l = v, *nl; l != NULL; l = nl ? nl + 1 : NULL) {
			nl = strchr(l, '\n');
			if (nl != NULL)
				*nl = '\0';
			if (*l != '\0')
				note(im, im->svc, "jail %s: action %s (article5 bans in its own nftables table)",
				    jail, l);
		}
		free(v);
	}
	/* anything else the jail sets itself */
	for (size_t i = 0;; i++) {
		const char *k = f2b_ini_key(im->ini, jail, i);
		bool known = false;
		if (k == NULL)
			break;
		for (size_t j = 0; j < ARRAY_LEN(known_opts); j++)
			known = known || strcmp(k, known_opts[j]) == 0;
		if (known)
			continue;
		char *x = jget(im, jail, k);
		note(im, im->svc, "jail %s: option %s = %s", jail, k, x ? x : "");
		free(x);
	}
out:
	free(filter);
	free(backend);
}

static void
import_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 import-fail2ban [DIR] [-o FILE]\n"
	    "\n"
	    "Reads fail2ban's jails from DIR (default /etc/fail2ban): jail.conf,\n"
	    "jail.d/*.conf, jail.local, jail.d/*.local, as fail2ban does, and writes\n"
	    "the equivalent article5 configuration to stdout (or FILE): sources,\n"
	    "allow lines, and for each enabled jail\n"
	    "    service f2b-JAIL fail2ban-filter FILTER.conf [mode MODE]\n"
	    "    service f2b-JAIL [maxretry N] [findtime D] [bantime D]\n"
	    "(the prefix keeps a jail apart from article5's native service of the\n"
	    "same name, e.g. sshd: both then watch the same log).\n"
	    "What article5 cannot express (actions, ports, per-jail escalation, ...)\n"
	    "is listed as '# not translated: ...' lines and on stderr.\n");
}

int
cmd_import_f2b(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct imp im;
	const char *out = NULL;
	char path[4096], err[1024];
	int c, rc = 1, enabled = 0, disabled = 0;

	memset(&im, 0, sizeof(im));
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			import_usage(stdout);
			return 0;
		default:
			import_usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		import_usage(stderr);
		return 2;
	}
	im.dir = optind < argc ? argv[optind] : "/etc/fail2ban";
	snprintf(path, sizeof(path), "%s/jail.conf", im.dir);
	im.ini = f2b_ini_load(path, err, sizeof(err));
	if (im.ini == NULL) {
		fprintf(stderr, "article5 import-fail2ban: %s\n", err);
		return 1;
	}
	/* fail2ban's merge_defaults before reading the jails */
	if (f2b_ini_set_default(im.ini, "fail2ban_version", "0.0.0") != 0 ||
	    f2b_ini_set_default(im.ini, "fail2ban_confpath", im.dir) != 0)
		goto out;
	im.head = open_memstream(&im.headbuf, &im.headlen);
	im.svc = open_memstream(&im.svcbuf, &im.svclen);
	if (im.head == NULL || im.svc == NULL)
		goto out;
	for (size_t i = 0;; i++) {
		const char *jail = f2b_ini_section(im.ini, i);
		if (jail == NULL)
			break;
		if (strcmp(jail, "INCLUDES") == 0)
			continue;
		char *en = jget(&im, jail, "enabled");
		bool on = as_bool(en);
		free(en);
		if (!on) {
			disabled++;
			continue;
		}
		enabled++;
		do_jail(&im, jail);
	}
	/* fail2ban without bantime.increment bans for bantime each time;
	 * with it (factor 1, the default formula) each ban doubles */
	if (im.inc_on == 0 && enabled > 0) {
		fprintf(im.head, "bantime_factor 1\n");
	} else if (im.inc_on > 0) {
		fprintf(im.head, "bantime_factor 2\n");
		if (im.maxtime[0] != '\0')
			fprintf(im.head, "bantime_max %s\n", im.maxtime);
		if (im.maxtime_unset > 0)
			note(&im, im.head, "%d jail(s) with bantime.increment and no bantime.maxtime "
			    "(fail2ban: no limit); article5's bantime_max applies", im.maxtime_unset);
		if (im.inc_off > 0)
			note(&im, im.head, "%d jail(s) without bantime.increment; article5 lengthens "
			    "repeated bans for every service alike", im.inc_off);
	}
	emit_sources(&im);
	fclose(im.head);
	fclose(im.svc);
	im.head = im.svc = NULL;

	FILE *f = out ? fopen(out, "w") : stdout;
	if (f == NULL) {
		fprintf(stderr, "article5 import-fail2ban: %s: cannot write\n", out);
		goto out;
	}
	fprintf(f, "# article5 configuration translated from fail2ban's %s by\n"
	    "# `article5 import-fail2ban`: %d jail(s) enabled, %d disabled (not translated),\n"
	    "# %d item(s) not translated (listed below).\n", im.dir, enabled, disabled,
	    im.untranslated);
	fputs(im.headbuf, f);
	fputs(im.svcbuf, f);
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "article5 import-fail2ban: %s: write failed\n", out);
		goto out;
	}
	if (f == stdout)
		fflush(stdout);
	fprintf(stderr, "article5 import-fail2ban: %d jail(s) translated, %d item(s) not translated\n",
	    enabled, im.untranslated);
	rc = 0;
out:
	if (im.head != NULL)
		fclose(im.head);
	if (im.svc != NULL)
		fclose(im.svc);
	free(im.headbuf);
	free(im.svcbuf);
	set_free(&im.files);
	set_free(&im.matches);
	set_free(&im.allows);
	f2b_ini_free(im.ini);
	return rc;
}
