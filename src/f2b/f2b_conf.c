/* f2b_conf.c - one fail2ban filter resolved as fail2ban's FilterReader
 * does: [Definition] read with the caller's options as variables, [Init]
 * values and known/ copies, then <tag> substitution (helpers.py
 * substituteRecursiveTags) and the split of the regex lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_conf.h"
#include "f2b/f2b_ini.h"
#include "common/util.h"

/* Bounds on the substitution work beyond fail2ban's own 25-per-tag one:
 * passes over all values and replacements in total. */
#define TAG_PASSES_MAX	256u
#define TAG_REPL_MAX	100000u
#define TAG_SEEN_MAX	100000u		/* <tag>s looked up: each costs a search of the names */

struct cnt {
	char *name;
	unsigned n;
};

/* One entry of fail2ban's "combined options" dict. */
struct tag {
	char *key;
	struct f2b_txt v;
	bool done;		/* no '<' left: skipped by later passes */
	bool persist;		/* its counts carry over passes (repCounts) */
	struct cnt *cnts;
	size_t ncnts;
};

struct tags {
	struct tag *v;
	size_t n, cap;
};

/* getCombOption's cache, as fail2ban's _defCache (absent names too). */
struct comb {
	struct comb *next;
	char *key;
	bool found;
	struct f2b_txt v;
};

struct ctx {
	const struct f2b_ini *ini;
	struct f2b_opt *vars;	/* fail2ban's _pOpts: caller options and logtype */
	size_t nvars;
	struct comb *cache;
	size_t repl;
	size_t seen;
	size_t work;		/* bytes scanned and written, against F2B_SUBST_WORK */
	char *err;
	size_t errlen;
};

static void
tag_free(struct tag *t)
{
	free(t->key);
	f2b_txt_free(&t->v);
	for (size_t i = 0; i < t->ncnts; i++)
		free(t->cnts[i].name);
	free(t->cnts);
}

static void
tags_free(struct tags *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		tag_free(&ts->v[i]);
	free(ts->v);
	memset(ts, 0, sizeof(*ts));
}

static struct tag *
tags_find(const struct tags *ts, const char *key, size_t klen)
{
	for (size_t i = 0; i < ts->n; i++)
		if (strlen(ts->v[i].key) == klen && memcmp(ts->v[i].key, key, klen) == 0)
			return &ts->v[i];
	return NULL;
}

/* dict[key] = v (v is taken over; the key keeps its place if present) */
static int
tags_put(struct tags *ts, const char *key, struct f2b_txt *v)
{
	struct tag *t = tags_find(ts, key, strlen(key));

	if (t != NULL) {
		f2b_txt_free(&t->v);
		t->v = *v;
		memset(v, 0, sizeof(*v));
		return 0;
	}
	if (ts->n >= F2B_KEYS_MAX * 2)
		return -1;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 16;
		struct tag *nv = realloc(ts->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		ts->v = nv;
		ts->cap = cap;
	}
	t = &ts->v[ts->n];
	memset(t, 0, sizeof(*t));
	if ((t->key = strdup(key)) == NULL)
		return -1;
	t->v = *v;
	memset(v, 0, sizeof(*v));
	ts->n++;
	return 0;
}

static int
tags_put_str(struct tags *ts, const char *key, const char *value)
{
	struct f2b_txt v = { 0 };

	if (f2b_txt_append(&v, value, strlen(value), NULL) < 0 || tags_put(ts, key, &v) < 0) {
		f2b_txt_free(&v);
		return -1;
	}
	return 0;
}

static bool
is_word(char c)
{
	return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	    (unsigned char)c >= 0x80;
}

/* fail2ban's get_ex("Definition", name, vars=_pOpts): NAME may be
 * "section/key" (known/key: the value before the last override, then the
 * current one; default/key: [DEFAULT]). 1, 0 absent, -1 error. */
static int
get_ex(struct ctx *c, const char *name, struct f2b_txt *out)
{
	const char *slash = strchr(name, '/');
	int rc;

	if (slash != NULL && slash > name && slash[1] != '\0' &&
	    strcspn(slash + 1, " \t\n\r\f\v>") == strlen(slash + 1)) {
		bool word = true;
		for (const char *p = name; p < slash; p++)
			word = word && (is_word(*p) || *p == '-');
		if (word) {
			char sec[256];
			const char *opt = slash + 1;
			snprintf(sec, sizeof(sec), "%.*s", (int)(slash - name), name);
			char lw[256];
			memcpy(lw, sec, sizeof(lw));
			f2b_lower_ascii(lw);
			if (strcmp(lw, "known") == 0) {
				rc = f2b_ini_get_txt(c->ini, "KNOWN/Definition", opt, NULL, 0, out, c->err, c->errlen);
				if (rc != 0)
					return rc;
				rc = f2b_ini_get_txt(c->ini, "Definition", opt, NULL, 0, out, c->err, c->errlen);
			} else {
				rc = f2b_ini_get_txt(c->ini, strcmp(lw, "default") == 0 ? "DEFAULT" : sec, opt,
				    NULL, 0, out, c->err, c->errlen);
			}
			if (rc != 0)
				return rc;
		}
	}
	return f2b_ini_get_txt(c->ini, "Definition", name, c->vars, c->nvars, out, c->err, c->errlen);
}

/* fail2ban's getCombOption, cached. NULL with *rc 0 when absent. */
static const struct f2b_txt *
comb_get(struct ctx *c, const char *name, int *rc)
{
	struct comb *e;

	for (e = c->cache; e != NULL; e = e->next)
		if (strcmp(e->key, name) == 0) {
			*rc = e->found;
			return e->found ? &e->v : NULL;
		}
	e = calloc(1, sizeof(*e));
	if (e == NULL || (e->key = strdup(name)) == NULL) {
		free(e);
		*rc = f2b_fail(c->err, c->errlen, "out of memory");
		return NULL;
	}
	*rc = get_ex(c, name, &e->v);
	if (*rc < 0) {
		free(e->key);
		free(e);
		return NULL;
	}
	e->found = *rc == 1;
	e->next = c->cache;
	c->cache = e;
	return e->found ? &e->v : NULL;
}

/* TAG_CRE = <([^ <>]+)> searched from pos. */
static bool
tag_search(struct ctx *c, const struct f2b_txt *v, size_t pos, size_t *ms, size_t *me)
{
	const char *s = v->s;

	c->work += v->len > pos ? v->len - pos : 0;

	for (size_t i = pos; i < v->len; i++) {
		if (s[i] != '<')
			continue;
		size_t j = i + 1;
		while (j < v->len && s[j] != ' ' && s[j] != '<' && s[j] != '>')
			j++;
		if (j > i + 1 && j < v->len && s[j] == '>') {
			*ms = i;
			*me = j + 1;
			return true;
		}
	}
	return false;
}

/* value.replace(needle, repl), line origins carried along. */
static int
f2b_txt_replace_all(struct f2b_txt *val, const char *needle, size_t nl, const struct f2b_txt *repl)
{
	struct f2b_txt out = { 0 };
	size_t pos = 0, line = 0;
	const char *s = val->s;

	while (pos <= val->len) {
		const char *hit = nl <= val->len - pos ? memmem(s + pos, val->len - pos, needle, nl) : NULL;
		size_t end = hit ? (size_t)(hit - s) : val->len;
		if (f2b_txt_append(&out, s + pos, end - pos, val->loc + line) < 0)
			goto fail;
		for (size_t i = pos; i < end; i++)
			line += s[i] == '\n';
		if (hit == NULL)
			break;
		bool whole = end + nl >= val->len || s[end + nl] == '\n';
		if (f2b_txt_append_sub(&out, repl->s ? repl->s : "", repl->len, repl->nloc ? repl->loc : NULL,
		    whole, val->loc + line) < 0)
			goto fail;
		for (size_t i = end; i < end + nl; i++)
			line += s[i] == '\n';
		pos = end + nl;
	}
	f2b_txt_free(val);
	*val = out;
	return 0;
fail:
	f2b_txt_free(&out);
	return -1;
}

static unsigned *
cnt_slot(struct tag *t, const char *name, size_t nlen)
{
	for (size_t i = 0; i < t->ncnts; i++)
		if (strlen(t->cnts[i].name) == nlen && memcmp(t->cnts[i].name, name, nlen) == 0)
			return &t->cnts[i].n;
	struct cnt *nc = realloc(t->cnts, (t->ncnts + 1) * sizeof(*nc));
	if (nc == NULL)
		return NULL;
	t->cnts = nc;
	if ((nc[t->ncnts].name = strndup(name, nlen)) == NULL)
		return NULL;
	nc[t->ncnts].n = 0;
	return &nc[t->ncnts++].n;
}

static bool
ignored(char *const *ign, size_t nign, const char *name, size_t nlen)
{
	for (size_t i = 0; i < nign; i++)
		if (strlen(ign[i]) == nlen && memcmp(ign[i], name, nlen) == 0)
			return true;
	return false;
}

/* substituteRecursiveTags(tags, ignore, addrepl=getCombOption): every
 * value's <name> replaced by the value of name, again and again while
 * that changes something; names nobody defines (<HOST>, <F-USER>, ...)
 * stay. A value naming itself, or one name replaced more than 25 times
 * in one value, is an error, as in fail2ban. */
static int
substitute(struct ctx *c, struct tags *ts, char *const *ign, size_t nign)
{
	for (unsigned pass = 0;; pass++) {
		bool again = false;
		if (pass >= TAG_PASSES_MAX)
			return f2b_fail(c->err, c->errlen, "tag substitution did not settle after %u passes, "
			    "expected tags without cycles", TAG_PASSES_MAX);
		for (size_t ti = 0; ti < ts->n; ti++) {
			struct tag *t = &ts->v[ti];
			size_t ms, me;
			bool changed = false;
			if (t->done || ignored(ign, nign, t->key, strlen(t->key)))
				continue;
			if (!t->persist) {
				for (size_t i = 0; i < t->ncnts; i++)
					free(t->cnts[i].name);
				t->ncnts = 0;
			}
			bool m = tag_search(c, &t->v, 0, &ms, &me);
			while (m) {
				const char *rtag = t->v.s + ms + 1;
				size_t rl = me - ms - 2;
				if (++c->seen > TAG_SEEN_MAX || (c->work += rl) > F2B_SUBST_WORK)
					return f2b_fail(c->err, c->errlen, "more than %u <tag>s to look up or %u "
					    "bytes of work, expected fewer", TAG_SEEN_MAX, F2B_SUBST_WORK);
				if (ignored(ign, nign, rtag, rl)) {
					m = tag_search(c, &t->v, me, &ms, &me);
					continue;
				}
				const struct tag *rt = tags_find(ts, rtag, rl);
				const struct f2b_txt *repl = rt ? &rt->v : NULL;
				if (repl == NULL) {
					char name[512];
					int rc;
					if (rl >= sizeof(name)) {
						m = tag_search(c, &t->v, me, &ms, &me);
						continue;
					}
					memcpy(name, rtag, rl);
					name[rl] = '\0';
					repl = comb_get(c, name, &rc);
					if (rc < 0)
						return -1;
				}
				if (repl == NULL) {
					m = tag_search(c, &t->v, me, &ms, &me);
					continue;
				}
				/* Counted only for a name that is replaced: slots for
				 * unknown tags made each lookup scan them all (100k
				 * distinct unknown tags: a minute). */
				unsigned *cn = cnt_slot(t, rtag, rl);
				if (cn == NULL)
					return f2b_fail(c->err, c->errlen, "out of memory");
				if ((strlen(t->key) == rl && memcmp(t->key, rtag, rl) == 0) ||
				    (*cn ? *cn : 1) > F2B_TAG_REPEAT) {
					char where[F2B_WHERE_MAX];
					f2b_ini_where(c->ini, t->v.loc[0], where, sizeof(where));
					return f2b_fail(c->err, c->errlen, "%s: '%s' refers to <%.*s> %s, expected tags "
					    "that do not refer to themselves", where, t->key, (int)rl, rtag,
					    (strlen(t->key) == rl && memcmp(t->key, rtag, rl) == 0) ? "inside itself"
					    : "over and over");
				}
				char needle[520];
				if (rl + 2 >= sizeof(needle))
					return f2b_fail(c->err, c->errlen, "tag name too long");
				needle[0] = '<';
				memcpy(needle + 1, rtag, rl);
				needle[rl + 1] = '>';
				needle[rl + 2] = '\0';
				c->work += t->v.len;
				if (++c->repl > TAG_REPL_MAX || c->work > F2B_SUBST_WORK ||
				    f2b_txt_replace_all(&t->v, needle, rl + 2, repl) < 0) {
					char where[F2B_WHERE_MAX];
					f2b_ini_where(c->ini, t->v.loc[0], where, sizeof(where));
					return f2b_fail(c->err, c->errlen, "%s: '%s' grows past %u bytes, %u "
					    "replacements or %u bytes of work while substituting <%s>, expected "
					    "less", where, t->key, F2B_VALUE_MAX, TAG_REPL_MAX, F2B_SUBST_WORK,
					    needle + 1);
				}
				changed = true;
				/* counted after the replace (cnt_slot's entry is still valid) */
				cn = cnt_slot(t, needle + 1, rl);
				if (cn == NULL)
					return f2b_fail(c->err, c->errlen, "out of memory");
				(*cn)++;
				m = tag_search(c, &t->v, ms, &ms, &me);
			}
			if (changed && tag_search(c, &t->v, 0, &ms, &me)) {
				t->persist = true;
				again = true;
			}
			if (t->v.s == NULL || memchr(t->v.s, '<', t->v.len) == NULL)
				t->done = true;
		}
		if (c->work > F2B_SUBST_WORK)
			return f2b_fail(c->err, c->errlen, "tag substitution past %u bytes of work, expected "
			    "less", F2B_SUBST_WORK);
		if (!again)
			return 0;
	}
}

static void
def_where(const struct f2b_ini *ini, const struct f2b_txt *v, size_t line, char *buf, size_t n)
{
	if (line < v->nloc)
		f2b_ini_where(ini, v->loc[line], buf, n);
	else
		snprintf(buf, n, "(option)");
}

/* Splits a regex list at '\n', dropping empty lines (fail2ban's
 * _fillStream), each with where its line came from. */
static int
split_regexes(const struct f2b_ini *ini, const struct f2b_txt *v, struct f2b_regex **out, size_t *n)
{
	size_t line = 0;
	const char *s = v->s ? v->s : "";
	const char *end = s + v->len;

	*out = NULL;
	*n = 0;
	for (const char *p = s; p <= end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l > 0) {
			struct f2b_regex *r = realloc(*out, (*n + 1) * sizeof(*r));
			if (r == NULL)
				return -1;
			*out = r;
			r[*n].text = strndup(p, l);
			if (r[*n].text == NULL)
				return -1;
			def_where(ini, v, line, r[*n].where, sizeof(r[*n].where));
			(*n)++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

/* DateDetector's split: re.split('\n+'), each stripped, empty ones out. */
static int
split_dates(const struct f2b_txt *v, char ***out, size_t *n)
{
	const char *s = v->s ? v->s : "";
	const char *end = s + v->len;

	for (const char *p = s; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *b = p;
		while (b < e && f2b_py_space((unsigned char)*b))
			b++;
		while (e > b && f2b_py_space((unsigned char)e[-1]))
			e--;
		if (e > b) {
			char **r = realloc(*out, (*n + 1) * sizeof(*r));
			if (r == NULL)
				return -1;
			*out = r;
			if ((r[*n] = strndup(b, (size_t)(e - b))) == NULL)
				return -1;
			(*n)++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

/* Python's int(): spaces around, a sign, digits (underscores between). */
static int
py_int(const char *s, long long *out)
{
	long long v = 0;
	bool neg = false, digit = false;

	while (f2b_py_space((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '_' && digit && s[1] >= '0' && s[1] <= '9')
			continue;
		if (*s < '0' || *s > '9')
			break;
		if (v > 100000000000LL)
			return -1;
		v = v * 10 + (*s - '0');
		digit = true;
	}
	while (f2b_py_space((unsigned char)*s))
		s++;
	if (!digit || *s != '\0')
		return -1;
	*out = neg ? -v : v;
	return 0;
}

static int
vars_add(struct ctx *c, const char *name, const char *value)
{
	struct f2b_opt *v = realloc(c->vars, (c->nvars + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	c->vars = v;
	v[c->nvars].name = strdup(name);
	v[c->nvars].value = strdup(value);
	c->nvars++;
	if (v[c->nvars - 1].name == NULL || v[c->nvars - 1].value == NULL)
		return -1;
	return 0;
}

static void
ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->nvars; i++) {
		free((char *)c->vars[i].name);
		free((char *)c->vars[i].value);
	}
	free(c->vars);
	while (c->cache != NULL) {
		struct comb *e = c->cache;
		c->cache = e->next;
		free(e->key);
		f2b_txt_free(&e->v);
		free(e);
	}
}

static char *
filter_name(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 5 && strcmp(b + n - 5, ".conf") == 0)
		n -= 5;
	else if (n > 6 && strcmp(b + n - 6, ".local") == 0)
		n -= 6;
	return strndup(b, n);
}

static const char *const def_opts[] = {
	"usedns", "prefregex", "ignoreregex", "failregex", "maxlines", "datepattern", "journalmatch",
};

int
f2b_def_load_backend(const char *path, const struct f2b_opt *opts, size_t nopts,
    const char *backend, struct f2b_def *def, char *err, size_t errlen)
{
	struct ctx c = { 0 };
	struct tags init = { 0 }, comb = { 0 };
	char **ign = NULL;
	size_t nign = 0;
	int rc = -1;

	memset(def, 0, sizeof(*def));
	def->maxlines = 1;
	c.err = err;
	c.errlen = errlen;
	struct f2b_ini *ini = f2b_ini_load(path, err, errlen);
	if (ini == NULL)
		return -1;
	c.ini = ini;
	if ((def->name = filter_name(path)) == NULL)
		goto oom;
	/* the jail's filter options, then applyAutoOptions' logtype */
	for (size_t i = 0; i < nopts; i++)
		if (opts[i].name == NULL || opts[i].value == NULL ||
		    tags_put_str(&init, opts[i].name, opts[i].value) < 0)
			goto oom;
	{
		const struct tag *lt = tags_find(&init, "logtype", 7);
		if ((lt == NULL || lt->v.len == 0) && !f2b_ini_has_own(ini, "Definition", "logtype") &&
		    tags_put_str(&init, "logtype", backend != NULL && strncmp(backend, "systemd", 7) == 0 ?
		    "journal" : "file") < 0)
			goto oom;
	}
	for (size_t i = 0; i < init.n; i++)
		if (vars_add(&c, init.v[i].key, init.v[i].v.s ? init.v[i].v.s : "") < 0)
			goto oom;
	/* [Definition]'s own filter options, the caller's winning */
	for (size_t i = 0; i < ARRAY_LEN(def_opts); i++) {
		struct f2b_txt v;
		if (tags_find(&init, def_opts[i], strlen(def_opts[i])) != NULL)
			continue;
		int g = f2b_ini_get_txt(ini, "Definition", def_opts[i], c.vars, c.nvars, &v, err, errlen);
		if (g < 0)
			goto out;
		if (g == 1 && tags_put(&comb, def_opts[i], &v) < 0) {
			f2b_txt_free(&v);
			goto oom;
		}
	}
	/* [Init]: each value as known/NAME, and as NAME unless the caller
	 * set it */
	for (size_t i = 0;; i++) {
		const char *k = f2b_ini_key(ini, "Init", i);
		struct f2b_txt v, v2;
		char kn[300];
		if (k == NULL)
			break;
		int g = f2b_ini_get_txt(ini, "Init", k, NULL, 0, &v, err, errlen);
		if (g < 0)
			goto out;
		if (g == 0)
			continue;
		if (strncmp(k, "known/", 6) != 0) {
			snprintf(kn, sizeof(kn), "known/%s", k);
			if (f2b_txt_copy(&v2, &v) < 0 || tags_put(&init, kn, &v2) < 0) {
				f2b_txt_free(&v);
				goto oom;
			}
		}
		if (tags_find(&init, k, strlen(k)) == NULL) {
			if (tags_put(&init, k, &v) < 0) {
				f2b_txt_free(&v);
				goto oom;
			}
		}
		f2b_txt_free(&v);
	}
	/* combined = definition options updated by the init ones */
	for (size_t i = 0; i < init.n; i++) {
		struct f2b_txt v;
		if (f2b_txt_copy(&v, &init.v[i].v) < 0 || tags_put(&comb, init.v[i].key, &v) < 0)
			goto oom;
	}
	/* conditional options (name?cond) are not substituted by name */
	for (size_t i = 0; i < comb.n; i++) {
		const char *k = comb.v[i].key, *q = strchr(k, '?');
		bool w = q != NULL && q > k && q[1] != '\0';
		for (const char *p = k; w && p < q; p++)
			w = is_word(*p);
		if (w) {
			char **ni = realloc(ign, (nign + 1) * sizeof(*ni));
			if (ni == NULL)
				goto oom;
			ign = ni;
			if ((ign[nign] = strndup(k, (size_t)(q - k))) == NULL)
				goto oom;
			nign++;
		}
	}
	if (substitute(&c, &comb, ign, nign) < 0)
		goto out;
	/* the results */
	const struct tag *t;
	if ((t = tags_find(&comb, "prefregex", 9)) != NULL) {
		if ((def->prefregex = f2b_txt_strdup(&t->v)) == NULL)
			goto oom;
		def_where(ini, &t->v, 0, def->prefregex_where, sizeof(def->prefregex_where));
	}
	if ((t = tags_find(&comb, "failregex", 9)) != NULL &&
	    split_regexes(ini, &t->v, &def->fail, &def->nfail) < 0)
		goto oom;
	if ((t = tags_find(&comb, "ignoreregex", 11)) != NULL &&
	    split_regexes(ini, &t->v, &def->ignore, &def->nignore) < 0)
		goto oom;
	if ((t = tags_find(&comb, "datepattern", 11)) != NULL &&
	    split_dates(&t->v, &def->datepatterns, &def->ndatepatterns) < 0)
		goto oom;
	if ((t = tags_find(&comb, "journalmatch", 12)) != NULL &&
	    (def->journalmatch = f2b_txt_strdup(&t->v)) == NULL)
		goto oom;
	if ((t = tags_find(&comb, "maxlines", 8)) != NULL) {
		long long ml;
		char where[F2B_WHERE_MAX];
		def_where(ini, &t->v, 0, where, sizeof(where));
		if (py_int(t->v.s ? t->v.s : "", &ml) < 0 || ml < 1 || ml > 1000) {
			f2b_fail(err, errlen, "%s: maxlines '%.40s', expected a number of lines in 1..1000",
			    where, t->v.s ? t->v.s : "");
			goto out;
		}
		def->maxlines = (int)ml;
	}
	if ((t = tags_find(&comb, "mode", 4)) != NULL) {
		if ((def->mode = f2b_txt_strdup(&t->v)) == NULL)
			goto oom;
	} else {
		int g;
		const struct f2b_txt *m = comb_get(&c, "mode", &g);
		if (g < 0)
			goto out;
		if (m != NULL && (def->mode = f2b_txt_strdup(m)) == NULL)
			goto oom;
	}
	rc = 0;
	goto out;
oom:
	f2b_fail(err, errlen, "%s: out of memory or too many options", path);
out:
	for (size_t i = 0; i < nign; i++)
		free(ign[i]);
	free(ign);
	tags_free(&init);
	tags_free(&comb);
	ctx_free(&c);
	f2b_ini_free(ini);
	if (rc < 0)
		f2b_def_free(def);
	return rc;
}

int
f2b_def_load(const char *path, const struct f2b_opt *opts, size_t nopts, struct f2b_def *def,
    char *err, size_t errlen)
{
	return f2b_def_load_backend(path, opts, nopts, "auto", def, err, errlen);
}

void
f2b_def_free(struct f2b_def *def)
{
	if (def == NULL)
		return;
	free(def->name);
	free(def->prefregex);
	for (size_t i = 0; i < def->nfail; i++)
		free(def->fail[i].text);
	free(def->fail);
	for (size_t i = 0; i < def->nignore; i++)
		free(def->ignore[i].text);
	free(def->ignore);
	for (size_t i = 0; i < def->ndatepatterns; i++)
		free(def->datepatterns[i]);
	free(def->datepatterns);
	free(def->journalmatch);
	free(def->mode);
	memset(def, 0, sizeof(*def));
	def->maxlines = 1;
}
