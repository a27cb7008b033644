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

#endif
