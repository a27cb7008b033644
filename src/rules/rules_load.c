/* rules_load.c - reads rule files: "service", "program", "maxretry",
 * "findtime", "bantime" lines and one rule per line (docs/rules.md). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "rules/rules_int.h"

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

/* Every error of a file is reported, up to RULES_ERRORS_MAX, one per line
 * of err: an operator fixes a file in one pass, as with the configuration. */
#define RULES_ERRORS_MAX 20

static void
error_add(char *err, size_t errlen, int *nerr, const char *msg)
{
	size_t used = *nerr > 0 ? strlen(err) : 0;

	if (*nerr == 0)
		snprintf(err, errlen, "%s", msg);
	else if (used + 1 < errlen)
		snprintf(err + used, errlen - used, "\n%s", msg);
	(*nerr)++;
}

/* Reads what is left of a line longer than the buffer. */
static void
skip_rest_of_line(FILE *f)
{
	int c;

	while ((c = getc(f)) != EOF && c != '\n')
		;
}

/* One line; -1 with msg set on error. *service is the current service,
 * -2 after a bad "service" line (its lines are skipped, not reported). */
static int
load_line(struct ruleset *rs, char *p, const char *where, int *service, char *msg, size_t n)
{
	char *word = next_word(&p);

	if (word == NULL || word[0] == '#')
		return 0;
	if (strcmp(word, "service") == 0) {
		char *name = next_word(&p);
		*service = -2;
		if (name == NULL || next_word(&p) != NULL) {
			snprintf(msg, n, "%s: expected 'service NAME'", where);
			return -1;
		}
		if ((*service = rules_service_get_or_add(rs, name, msg, n, where)) < 0) {
			*service = -2;
			return -1;
		}
		return 0;
	}
	if (*service == -2)
		return 0;
	if (*service < 0) {
		snprintf(msg, n, "%s: '%s' before any 'service NAME' line", where, word);
		return -1;
	}
	struct rules_service *svc = &rs->services[*service];
	if (strcmp(word, "program") == 0) {
		char *prog;
		while ((prog = next_word(&p)) != NULL) {
			if (!program_valid(prog) || svc->nprograms >= RULES_PROGRAMS_MAX) {
				snprintf(msg, n, "%s: bad program name '%s' or more than %d programs",
				    where, prog, RULES_PROGRAMS_MAX);
				return -1;
			}
			strlcpy_ok(svc->programs[svc->nprograms++], prog, RULES_NAME_MAX);
		}
		if (svc->nprograms == 0) {
			snprintf(msg, n, "%s: expected 'program NAME...'", where);
			return -1;
		}
		svc->has_program = true;
		return 0;
	}
	if (strcmp(word, "maxretry") == 0 || strcmp(word, "findtime") == 0 ||
	    strcmp(word, "bantime") == 0) {
		char *v = next_word(&p);
		uint64_t u;
		int64_t d;
		if (v == NULL || next_word(&p) != NULL) {
			snprintf(msg, n, "%s: expected '%s VALUE'", where, word);
			return -1;
		}
		if (word[0] == 'm') {
			if (uint_parse(v, 1, 64, &u) != 0) {
				snprintf(msg, n, "%s: bad maxretry '%s', expected 1..64", where, v);
				return -1;
			}
			svc->maxretry = (int)u;
		} else {
			if (duration_parse(v, &d) != 0 || d == 0) {
				snprintf(msg, n, "%s: bad %s '%s', expected a duration such as 10m",
				    where, word, v);
				return -1;
			}
			if (word[0] == 'f')
				svc->findtime = d;
			else
				svc->bantime = d;
		}
		return 0;
	}
	enum rule_kind kind;
	if (rules_kind_parse(word, &kind) != 0) {
		snprintf(msg, n, "%s: unknown directive '%s', expected service, program, "
		    "maxretry, findtime, bantime or a rule kind (fail, probe, pending, success, "
		    "end, end-auth, context)", where, word);
		return -1;
	}
	char *name = next_word(&p);
	char *pattern = name ? rest_of_line(p) : NULL;
	if (name == NULL || pattern[0] == '\0') {
		snprintf(msg, n, "%s: expected '%s NAME PATTERN'", where, word);
		return -1;
	}
	return rules_rule_add(rs, *service, kind, name, pattern, where, msg, n);
}

int
rules_load_file(struct ruleset *rs, const char *path, char *err, size_t errlen)
{
	char line[RULES_PATTERN_MAX + 2], where[160], msg[600];
	FILE *f = fopen(path, "re");
	int service = -1, lineno = 0, nerr = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (nerr < RULES_ERRORS_MAX && fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f)) {
			snprintf(msg, sizeof(msg), "%s: line too long (at most %d bytes)", where,
			    RULES_PATTERN_MAX);
			error_add(err, errlen, &nerr, msg);
			skip_rest_of_line(f);
			continue;
		}
		if (load_line(rs, line, where, &service, msg, sizeof(msg)) != 0)
			error_add(err, errlen, &nerr, msg);
	}
	if (nerr >= RULES_ERRORS_MAX && !feof(f))
		error_add(err, errlen, &nerr, "(more errors not shown)");
	else if (ferror(f)) {
		snprintf(msg, sizeof(msg), "%s: read error: %s", path, strerror(errno));
		error_add(err, errlen, &nerr, msg);
	}
	fclose(f);
	return nerr > 0 ? -1 : 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.rules files of dir (caller frees them). A missing
 * directory is an empty list when missing_ok (the local overrides). */
static int
list_rules(const char *dir, bool missing_ok, char **names, size_t max, size_t *n,
    char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	*n = 0;
	if (d == NULL) {
		if (missing_ok && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		snprintf(err, errlen, "%s: cannot open rules directory: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 6 || strcmp(e->d_name + len - 6, ".rules") != 0 || e->d_name[0] == '.')
			continue;
		if (*n >= max) {
			snprintf(err, errlen, "%s: more than %zu *.rules files", dir, max);
			rc = -1;
			break;
		}
		if ((names[*n] = strdup(e->d_name)) == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		(*n)++;
	}
	closedir(d);
	qsort(names, *n, sizeof(names[0]), cmp_str);
	return rc;
}

static int
load_listed(struct ruleset *rs, const char *dir, char **names, size_t n,
    char **skip, size_t nskip, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		if (nskip > 0 && bsearch(&names[i], skip, nskip, sizeof(skip[0]), cmp_str) != NULL)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			snprintf(err, errlen, "%s/%s: path too long", dir, names[i]);
			return -1;
		}
		if (rules_load_file(rs, path, err, errlen) != 0)
			return -1;
	}
	return 0;
}

#define RULES_FILES_MAX 512

int
rules_load_dirs(struct ruleset *rs, const char *dir, const char *local, char *err, size_t errlen)
{
	char *shipped[RULES_FILES_MAX], *own[RULES_FILES_MAX];
	size_t ns = 0, nl = 0;
	int rc = list_rules(dir, false, shipped, RULES_FILES_MAX, &ns, err, errlen);

	if (rc == 0 && local != NULL && local[0] != '\0')
		rc = list_rules(local, true, own, RULES_FILES_MAX, &nl, err, errlen);
	/* A local file replaces the shipped file of the same name; the rest adds. */
	if (rc == 0)
		rc = load_listed(rs, dir, shipped, ns, own, nl, err, errlen);
	if (rc == 0)
		rc = load_listed(rs, local, own, nl, NULL, 0, err, errlen);
	if (rc == 0 && ns == 0 && nl == 0) {
		snprintf(err, errlen, "%s: no *.rules files", dir);
		rc = -1;
	}
	for (size_t i = 0; i < ns; i++)
		free(shipped[i]);
	for (size_t i = 0; i < nl; i++)
		free(own[i]);
	return rc;
}

int
rules_load_dir(struct ruleset *rs, const char *dir, char *err, size_t errlen)
{
	return rules_load_dirs(rs, dir, NULL, err, errlen);
}
