/* f2b_conf.h - fail2ban configuration files read as fail2ban reads them:
 * INI sections, [INCLUDES] before/after, .local overrides and .d/ drop-ins,
 * %(name)s interpolation, [Init] values and <tag> substitution (including
 * known/ values), fail2ban's filter `mode`. Yields the resolved texts of one
 * filter; compiling them is f2b_filter's job. Every input is hostile: sizes,
 * include depth and substitution depth are bounded, errors name file:line. */
#ifndef A5_F2B_CONF_H
#define A5_F2B_CONF_H

#include <stddef.h>

#define F2B_WHERE_MAX 192

/* One caller override, as in jail.conf's `filter = sshd[mode=aggressive]` or
 * a sample test's `# filterOptions:`: it sets name=value in the filter's
 * [Init] section (so it wins over [Init], [Definition] and [DEFAULT]). */
struct f2b_opt {
	const char *name;
	const char *value;
};

/* One regular expression of a multi-line option (failregex, ignoreregex),
 * fully substituted: fail2ban's own tags (<HOST>, <ADDR>, <F-*>,
 * <SKIPLINES>...) are left in place for f2b_filter. */
struct f2b_regex {
	char *text;
	char where[F2B_WHERE_MAX];	/* "file:line" of the option's first line */
};

struct f2b_def {
	char *name;			/* the filter's name: file name without .conf */
	char *prefregex;		/* NULL when the filter has none */
	char prefregex_where[F2B_WHERE_MAX];
	struct f2b_regex *fail;		/* failregex lines, empty ones dropped */
	size_t nfail;
	struct f2b_regex *ignore;	/* ignoreregex lines */
	size_t nignore;
	char **datepatterns;		/* datepattern lines; none: default detection */
	size_t ndatepatterns;
	int maxlines;			/* 1 unless the filter says more */
	char *journalmatch;		/* NULL when none */
	char *mode;			/* the effective `mode`, NULL when none */
};

/* Loads PATH (e.g. /etc/fail2ban/filter.d/sshd.conf) with its includes and
 * PATH's .local, applies opts, resolves every option the filter uses.
 * 0 on success; -1 with err = "file:line: what is wrong". */
int f2b_def_load(const char *path, const struct f2b_opt *opts, size_t nopts,
    struct f2b_def *def, char *err, size_t errlen);
void f2b_def_free(struct f2b_def *def);
/* f2b_def_load for a jail with BACKEND ("auto", "systemd", ...): as
 * fail2ban's applyAutoOptions, `logtype` becomes "journal" for systemd
 * backends, "file" otherwise, unless opts or the filter's [Definition] set
 * it. f2b_def_load is this with "auto". */
int f2b_def_load_backend(const char *path, const struct f2b_opt *opts, size_t nopts,
    const char *backend, struct f2b_def *def, char *err, size_t errlen);

/* Ceilings on hostile input (each refusal is an error naming file:line). */
#define F2B_FILE_MAX		(1u << 20)	/* bytes of one file */
#define F2B_LINE_MAX		65536u		/* bytes of one line */
#define F2B_SECTIONS_MAX	4096u		/* sections of one load */
#define F2B_KEYS_MAX		1024u		/* keys of one section (lookups are linear) */
#define F2B_FILES_MAX		256u		/* files read by one load, includes counted */
#define F2B_INCLUDE_DEPTH	16u		/* nested [INCLUDES] */
#define F2B_INCLUDE_VISITS	4096u		/* include lines followed by one load */
#define F2B_INTERP_DEPTH	10u		/* nested %(name)s, as Python's ConfigParser */
#define F2B_INTERP_REFS		100000u		/* %(name)s resolved for one value */
#define F2B_SUBST_WORK		(256u << 20)	/* bytes scanned and written substituting tags */
#define F2B_TAG_REPEAT		25u		/* one <tag> replaced in one value, as fail2ban */
#define F2B_VALUE_MAX		(1u << 20)	/* bytes of one substituted value */

/* Generic INI reading, as fail2ban's SafeConfigParserWithIncludes: keys are
 * case-insensitive (lowercased), section names are not; [DEFAULT] is seen
 * from every section; a file read later overrides keys of a section read
 * earlier, whose old values stay reachable as %(known/key)s. */
struct f2b_ini;

/* Reads BASE.conf, BASE.d/ *.conf, BASE.local, BASE.d/ *.local (the ones
 * that exist; PATH may also end in .conf or .local), each file preceded by
 * its [INCLUDES] `before =` files and followed by its `after =` files and
 * its own .local. As fail2ban: an include naming a missing file, or one of
 * its own includers, is skipped. NULL with err = "file:line: ...". */
struct f2b_ini *f2b_ini_load(const char *path, char *err, size_t errlen);
void f2b_ini_free(struct f2b_ini *ini);
/* Sets KEY in [DEFAULT] (fail2ban's merge_defaults). 0 or -1. */
int f2b_ini_set_default(struct f2b_ini *ini, const char *key, const char *value);
/* The i-th section in first-read order, [DEFAULT] and the internal known/
 * copies left out; NULL past the end. */
const char *f2b_ini_section(const struct f2b_ini *ini, size_t i);
/* The i-th key SECTION sets itself (lowercased, first-read order, those of
 * [DEFAULT] left out); NULL past the end. */
const char *f2b_ini_key(const struct f2b_ini *ini, const char *section, size_t i);
/* Interpolated value of KEY in SECTION ([DEFAULT] as fallback; "DEFAULT"
 * for the defaults themselves). 1 with *out (caller frees) and, if where is
 * not NULL, the "file:line" of its first line; 0 when absent; -1 with err. */
int f2b_ini_get(const struct f2b_ini *ini, const char *section, const char *key,
    char **out, char *where, size_t wherelen, char *err, size_t errlen);

#endif
