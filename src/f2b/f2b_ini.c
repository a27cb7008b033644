/* f2b_ini.c - fail2ban's INI files loaded as its SafeConfigParserWithIncludes
 * (over Python's ConfigParser) loads them: [INCLUDES], .local and .d/
 * files, the known/ copies, the merge of the files in include order, and
 * the lookups of the result. Parsing is f2b_ini_parse.c, interpolation
 * f2b_ini_interp.c. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "f2b/f2b_conf.h"
#include "f2b/f2b_ini.h"
#include "f2b/f2b_ini_interp.h"
#include "f2b/f2b_ini_parse.h"
#include "f2b/f2b_ini_store.h"
#include "common/util.h"

void
f2b_ini_where(const struct f2b_ini *ini, struct f2b_loc loc, char *buf, size_t n)
{
	if (loc.line == 0 || loc.file == 0 || loc.file >= ini->nfiles)
		snprintf(buf, n, "(option)");
	else
		snprintf(buf, n, "%s:%u", ini->files[loc.file], loc.line);
}

int
f2b_ini_get(const struct f2b_ini *ini, const char *section, const char *key, char **out,
    char *where, size_t wherelen, char *err, size_t errlen)
{
	struct f2b_txt t;
	int rc = f2b_ini_get_txt(ini, section, key, NULL, 0, &t, err, errlen);

	if (rc <= 0)
		return rc;
	if (where != NULL)
		f2b_ini_where(ini, t.loc[0], where, wherelen);
	*out = f2b_txt_strdup(&t);
	f2b_txt_free(&t);
	if (*out == NULL)
		return f2b_fail(err, errlen, "out of memory");
	return 1;
}

bool
f2b_ini_has_own(const struct f2b_ini *ini, const char *section, const char *key)
{
	char k[256];

	if (!strlcpy_ok(k, key, sizeof(k)))
		return false;
	f2b_lower_ascii(k);
	return f2b_val_find(f2b_sec_find(&ini->set, section), k) != NULL;
}

const char *
f2b_ini_key(const struct f2b_ini *ini, const char *section, size_t i)
{
	const struct isec *s = f2b_sec_find(&ini->set, section);

	return s != NULL && i < s->n ? s->vals[i].key : NULL;
}

const char *
f2b_ini_section(const struct f2b_ini *ini, size_t i)
{
	for (size_t j = 0; j < ini->set.nsecs; j++)
		if (!ini->set.secs[j].known && i-- == 0)
			return ini->set.secs[j].name;
	return NULL;
}

int
f2b_ini_set_default(struct f2b_ini *ini, const char *key, const char *value)
{
	struct f2b_txt t = { 0 };
	char k[256];

	if (!strlcpy_ok(k, key, sizeof(k)))
		return -1;
	f2b_lower_ascii(k);
	if (f2b_txt_append(&t, value, strlen(value), NULL) < 0 || f2b_val_put(&ini->set.defaults, k, &t) < 0) {
		f2b_txt_free(&t);
		return -1;
	}
	return 0;
}

/* ---- includes and merge ---- */

struct plist {
	char **v;
	size_t n, cap;
};

static void
plist_free(struct plist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
plist_add(struct plist *l, const char *s)
{
	if (l->n >= 4 * F2B_FILES_MAX)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static bool
plist_has(const struct plist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static bool
is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool
exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* os.path.splitext(p)[0] + ".local" */
static int
local_name(const char *p, char *buf, size_t n)
{
	const char *base = strrchr(p, '/');
	const char *dot;
	size_t root;

	base = base ? base + 1 : p;
	while (*base == '.')
		base++;
	dot = strrchr(base, '.');
	root = dot ? (size_t)(dot - p) : strlen(p);
	if ((size_t)snprintf(buf, n, "%.*s.local", (int)root, p) >= n)
		return -1;
	return 0;
}

static int get_includes(struct f2b_ini *ini, const struct plist *names, const struct plist *seen,
    struct plist *out, char *err, size_t errlen);

/* fail2ban's __getIncludesUncached: before-files, the file, after-files. */
static int
includes_of(struct f2b_ini *ini, const char *res, const struct plist *seen, struct plist *out,
    char *err, size_t errlen)
{
	static const char *const opts[2] = { "before", "after" };
	struct plist lists[2] = { { 0 }, { 0 } };
	int rc;
	struct pfile *pf = f2b_ini_parse_cached(ini, res, &rc, err, errlen);

	if (pf == NULL)
		return rc;
	if (seen->n >= F2B_INCLUDE_DEPTH)
		return f2b_fail(err, errlen, "%s: includes nest deeper than %u files, expected no include "
		    "loop", res, F2B_INCLUDE_DEPTH);
	if (f2b_sec_find(&pf->set, "INCLUDES") != NULL) {
		const char *slash = strrchr(res, '/');
		size_t dl = slash ? (size_t)(slash - res) : 0;
		for (int o = 0; o < 2; o++) {
			struct f2b_txt v;
			rc = f2b_ini_set_get_txt(ini, &pf->set, "INCLUDES", opts[o], NULL, 0, &v, err, errlen);
			if (rc < 0)
				goto out;
			if (rc == 0)
				continue;
			for (char *ln = v.s, *e; ln != NULL; ln = e ? e + 1 : NULL) {
				char path[4096];
				e = strchr(ln, '\n');
				int ll = e ? (int)(e - ln) : (int)strlen(ln);
				int w;
				if (ln[0] == '/' || slash == NULL)
					w = snprintf(path, sizeof(path), "%.*s", ll, ln);
				else if (dl == 0)	/* os.path.dirname("/x.conf") is "/" */
					w = snprintf(path, sizeof(path), "/%.*s", ll, ln);
				else
					w = snprintf(path, sizeof(path), "%.*s/%.*s", (int)dl, res, ll, ln);
				if (w < 0 || (size_t)w >= sizeof(path)) {
					f2b_txt_free(&v);
					rc = f2b_fail(err, errlen, "%s: include path too long", res);
					goto out;
				}
				if (++ini->visits > F2B_INCLUDE_VISITS) {
					f2b_txt_free(&v);
					rc = f2b_fail(err, errlen, "%s: more than %u include lines followed, "
					    "expected fewer includes", res, F2B_INCLUDE_VISITS);
					goto out;
				}
				if (plist_has(seen, path))
					continue;	/* fail2ban skips an include of an includer */
				struct plist s = { 0 }, one = { 0 };
				rc = 0;
				for (size_t i = 0; i < seen->n && rc == 0; i++)
					rc = plist_add(&s, seen->v[i]);
				if (rc == 0)
					rc = plist_add(&s, res);
				if (rc == 0)
					rc = plist_add(&one, path);
				if (rc < 0)
					rc = f2b_fail(err, errlen, "%s: out of memory", res);
				else
					rc = get_includes(ini, &one, &s, &lists[o], err, errlen);
				plist_free(&s);
				plist_free(&one);
				if (rc < 0) {
					f2b_txt_free(&v);
					goto out;
				}
			}
			f2b_txt_free(&v);
		}
	}
	rc = 0;
	for (size_t i = 0; i < lists[0].n && rc == 0; i++)
		rc = plist_add(out, lists[0].v[i]);
	if (rc == 0)
		rc = plist_add(out, res);
	for (size_t i = 0; i < lists[1].n && rc == 0; i++)
		rc = plist_add(out, lists[1].v[i]);
	if (rc < 0)
		rc = f2b_fail(err, errlen, "%s: more than %u files to read, expected fewer includes", res,
		    F2B_FILES_MAX);
out:
	plist_free(&lists[0]);
	plist_free(&lists[1]);
	return rc;
}

/* fail2ban's _getIncludes: each name then its .local, with includes. */
static int
get_includes(struct f2b_ini *ini, const struct plist *names, const struct plist *seen,
    struct plist *out, char *err, size_t errlen)
{
	struct plist exp = { 0 };
	int rc = 0;

	for (size_t i = 0; i < names->n && rc == 0; i++) {
		char loc[4096];
		rc = plist_add(&exp, names->v[i]);
		if (rc == 0 && local_name(names->v[i], loc, sizeof(loc)) == 0 && !plist_has(names, loc) &&
		    is_file(loc))
			rc = plist_add(&exp, loc);
	}
	if (rc < 0)
		rc = f2b_fail(err, errlen, "out of memory");
	for (size_t i = 0; i < exp.n && rc == 0; i++)
		rc = includes_of(ini, exp.v[i], seen, out, err, errlen);
	plist_free(&exp);
	return rc;
}

/* Merges one parsed file into the load, as fail2ban's read() does:
 * defaults updated, sections updated with the values they replace kept
 * in KNOWN/<section>; [name?cond] sections add keys "key?cond". */
static int
merge_file(struct f2b_ini *ini, const struct pfile *pf)
{
	for (size_t i = 0; i < pf->set.defaults.n; i++)
		if (f2b_val_put_copy(&ini->set.defaults, pf->set.defaults.vals[i].key,
		    &pf->set.defaults.vals[i].v) < 0)
			return -1;
	for (size_t si = 0; si < pf->set.nsecs; si++) {
		const struct isec *s = &pf->set.secs[si];
		char name[512], cond[512] = "";
		const char *q = strchr(s->name, '?');
		size_t w = 0;
		if (q != NULL && q > s->name && q[1] != '\0') {
			for (w = 0; s->name + w < q; w++) {
				char ch = s->name[w];
				if (!(ch == '_' || (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')))
					break;
			}
		}
		if (q != NULL && w > 0 && s->name + w == q) {
			snprintf(name, sizeof(name), "%.*s", (int)w, s->name);
			snprintf(cond, sizeof(cond), "%s", q);
		} else if (!strlcpy_ok(name, s->name, sizeof(name))) {
			return -1;
		}
		struct isec *s2 = f2b_sec_find(&ini->set, name);
		if (s2 != NULL) {
			char kn[600];
			snprintf(kn, sizeof(kn), "KNOWN/%s", name);
			struct isec *k = f2b_sec_find(&ini->set, kn);
			if (k == NULL && (k = f2b_sec_add(&ini->set, kn, true)) == NULL)
				return -1;
			s2 = f2b_sec_find(&ini->set, name);	/* sec_add may have moved it */
			for (size_t i = 0; i < s->n; i++) {
				char key[600];
				snprintf(key, sizeof(key), "%s%s", s->vals[i].key, cond);
				struct ival *old = f2b_val_find(s2, key);
				if (old != NULL && f2b_val_put_copy(k, key, &old->v) < 0)
					return -1;
			}
		} else if ((s2 = f2b_sec_add(&ini->set, name, false)) == NULL) {
			return -1;
		}
		for (size_t i = 0; i < s->n; i++) {
			char key[600];
			snprintf(key, sizeof(key), "%s%s", s->vals[i].key, cond);
			if (f2b_val_put_copy(s2, key, &s->vals[i].v) < 0)
				return -1;
		}
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add_glob(struct plist *l, const char *pattern)
{
	glob_t g;
	int rc = 0;

	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
		return 0;
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), cmp_str);
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
		rc = plist_add(l, g.gl_pathv[i]);
	globfree(&g);
	return rc;
}

struct f2b_ini *
f2b_ini_load(const char *path, char *err, size_t errlen)
{
	struct f2b_ini *ini = calloc(1, sizeof(*ini));
	struct plist cand = { 0 }, top = { 0 }, seen = { 0 }, all = { 0 };
	char base[4096], buf[4200];
	size_t bl = strlen(path);
	int rc = -1;

	if (ini == NULL) {
		f2b_fail(err, errlen, "out of memory");
		return NULL;
	}
	ini->files = calloc(1, sizeof(char *));
	if (ini->files == NULL) {
		f2b_fail(err, errlen, "out of memory");
		goto out;
	}
	ini->nfiles = 1;
	if (bl >= sizeof(base)) {
		f2b_fail(err, errlen, "%.64s...: path too long", path);
		goto out;
	}
	memcpy(base, path, bl + 1);
	if (bl > 5 && strcmp(base + bl - 5, ".conf") == 0)
		base[bl - 5] = '\0';
	else if (bl > 6 && strcmp(base + bl - 6, ".local") == 0)
		base[bl - 6] = '\0';
	/* ConfigReaderUnshared.read: NAME.conf, NAME.d/ *.conf, NAME.local,
	 * NAME.d/ *.local, the existing ones */
	snprintf(buf, sizeof(buf), "%s.conf", base);
	if (plist_add(&cand, buf) < 0)
		goto oom;
	snprintf(buf, sizeof(buf), "%s.d/*.conf", base);
	if (add_glob(&cand, buf) < 0)
		goto oom;
	snprintf(buf, sizeof(buf), "%s.local", base);
	if (plist_add(&cand, buf) < 0)
		goto oom;
	snprintf(buf, sizeof(buf), "%s.d/*.local", base);
	if (add_glob(&cand, buf) < 0)
		goto oom;
	for (size_t i = 0; i < cand.n; i++)
		if (exists(cand.v[i]) && plist_add(&top, cand.v[i]) < 0)
			goto oom;
	if (top.n == 0) {
		f2b_fail(err, errlen, "%s.conf: no such file (nor %s.local, nor %s.d/), expected a "
		    "fail2ban configuration file", base, base, base);
		goto out;
	}
	if (get_includes(ini, &top, &seen, &all, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < all.n; i++) {
		int prc;
		struct pfile *pf = f2b_ini_parse_cached(ini, all.v[i], &prc, err, errlen);
		if (pf == NULL && prc < 0)
			goto out;
		if (pf != NULL && merge_file(ini, pf) < 0) {
			f2b_fail(err, errlen, "%s: too many sections or keys (at most %u sections of %u keys)",
			    all.v[i], F2B_SECTIONS_MAX, F2B_KEYS_MAX);
			goto out;
		}
	}
	if (all.n == 0) {
		f2b_fail(err, errlen, "%s: no readable file, expected a fail2ban configuration file", top.v[0]);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	f2b_fail(err, errlen, "out of memory");
out:
	plist_free(&cand);
	plist_free(&top);
	plist_free(&seen);
	plist_free(&all);
	/* the per-file parses are only needed while loading */
	for (size_t i = 0; i < ini->nparsed; i++) {
		free(ini->parsed[i]->path);
		f2b_iset_free(&ini->parsed[i]->set);
		free(ini->parsed[i]);
	}
	free(ini->parsed);
	ini->parsed = NULL;
	ini->nparsed = 0;
	if (rc < 0) {
		f2b_ini_free(ini);
		return NULL;
	}
	return ini;
}

void
f2b_ini_free(struct f2b_ini *ini)
{
	if (ini == NULL)
		return;
	f2b_iset_free(&ini->set);
	for (size_t i = 1; i < ini->nfiles; i++)
		free(ini->files[i]);
	free(ini->files);
	for (size_t i = 0; i < ini->nparsed; i++) {
		free(ini->parsed[i]->path);
		f2b_iset_free(&ini->parsed[i]->set);
		free(ini->parsed[i]);
	}
	free(ini->parsed);
	free(ini);
}
