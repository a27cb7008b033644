/* f2b_ini_interp.c - ConfigParser.get with fail2ban's interpolation:
 * %(name)s, %(section/name)s, %(known/name)s, %(__name__)s and %%, each
 * substituted line keeping the file:line it came from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "f2b/f2b_conf.h"
#include "f2b/f2b_ini.h"
#include "f2b/f2b_ini_interp.h"

struct mapent {
	char *key;
	const struct f2b_txt *v;
};

struct ictx {
	const struct iset *set;
	const char *section;
	const struct isec *sec;
	const struct f2b_opt *vars;
	size_t nvars;
	struct mapent extra[64];	/* __name__ and %(section/key)s, per level */
	size_t nextra;
	struct f2b_txt name_txt;
	struct f2b_loc top;		/* where the value asked for starts */
	size_t refs;			/* %(name)s resolved: empty values nest for free */
	const char *option;
	char *err;
	size_t errlen;
};

/* Looks key up as the ChainMap(vars, section, defaults) does. 1 with the
 * text (or *var for a caller's value), 0 when absent. */
static int
map_get(const struct ictx *c, const char *key, const struct f2b_txt **v, const char **var)
{
	*v = NULL;
	*var = NULL;
	for (size_t i = c->nextra; i-- > 0;)
		if (strcmp(c->extra[i].key, key) == 0) {
			*v = c->extra[i].v;
			return 1;
		}
	for (size_t i = c->nvars; i-- > 0;) {
		char k[256];
		if (!strlcpy_ok(k, c->vars[i].name, sizeof(k)))
			continue;
		f2b_lower_ascii(k);
		if (strcmp(k, key) == 0 && c->vars[i].value != NULL) {
			*var = c->vars[i].value;
			return 1;
		}
	}
	struct ival *iv = f2b_val_find(c->sec, key);
	if (iv == NULL)
		iv = f2b_val_find(&c->set->defaults, key);
	if (iv == NULL)
		return 0;
	*v = &iv->v;
	return 1;
}

static int
extra_add(struct ictx *c, const char *key, size_t klen, const struct f2b_txt *v)
{
	if (c->nextra >= ARRAY_LEN(c->extra))
		return 0;	/* beyond this many, later lookups report the name missing */
	c->extra[c->nextra].key = strndup(key, klen);
	if (c->extra[c->nextra].key == NULL)
		return -1;
	c->extra[c->nextra++].v = v;
	return 0;
}

/* fail2ban's _map_section_options: the value's %(sec/key)s names, looked
 * up raw in [sec] (known: the value before the last override), falling
 * back to [DEFAULT]; unknown ones are left for the missing-name error. */
static int
map_section_options(struct ictx *c, const struct f2b_ini *ini, const char *rest, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if (rest[i] != '%' || rest[i + 1] != '(')
			continue;
		size_t a = i + 2, j = a;
		while (j < n && (rest[j] == '_' || rest[j] == '-' || (rest[j] >= '0' && rest[j] <= '9') ||
		    ((rest[j] | 0x20) >= 'a' && (rest[j] | 0x20) <= 'z') || (unsigned char)rest[j] >= 0x80))
			j++;
		if (j == a || j >= n || rest[j] != '/')
			continue;
		size_t o = j + 1, e = o;
		while (e < n && rest[e] != ')')
			e++;
		if (e == o || e + 1 >= n || rest[e + 1] != 's')
			continue;
		char sopt[256], sec[256], opt[256];
		if (e - a >= sizeof(sopt) || j - a >= sizeof(sec) || e - o >= sizeof(opt))
			continue;
		memcpy(sopt, rest + a, e - a);
		sopt[e - a] = '\0';
		memcpy(sec, rest + a, j - a);
		sec[j - a] = '\0';
		memcpy(opt, rest + o, e - o);
		opt[e - o] = '\0';
		i = e + 1;
		const struct f2b_txt *dummy;
		const char *dvar;
		if (map_get(c, sopt, &dummy, &dvar))
			continue;
		char seclwr[256];
		memcpy(seclwr, sec, sizeof(seclwr));
		f2b_lower_ascii(seclwr);
		const struct ival *iv = NULL;
		bool usedef = false;
		if (strcmp(seclwr, "default") == 0) {
			usedef = true;
		} else if (strcmp(seclwr, "known") == 0) {
			char kn[300];
			snprintf(kn, sizeof(kn), "KNOWN/%s", c->section);
			iv = f2b_val_find(f2b_sec_find(c->set, kn), opt);
			usedef = iv == NULL;
		} else {
			const struct isec *s = f2b_sec_find(c->set, sec);
			if (s == NULL)
				continue;
			iv = f2b_val_find(s, opt);
			usedef = iv == NULL;
		}
		if (usedef)
			iv = f2b_val_find(&c->set->defaults, opt);
		if (iv == NULL)
			continue;
		if (extra_add(c, sopt, strlen(sopt), &iv->v) < 0)
			return -1;
	}
	return 0;
}

static int interp_level(struct ictx *c, const struct f2b_ini *ini, struct f2b_txt *out,
    const char *rest, size_t n, const struct f2b_loc *loc, unsigned depth, bool tail);

/* fail2ban's BasicInterpolationWithName: every level (its guard tests the
 * module's __name__, so it never stops) maps __name__ and the %(sec/key)s
 * names of the text it interpolates, on a copy of the map it was given. */
static int
interp_some(struct ictx *c, const struct f2b_ini *ini, struct f2b_txt *out, const char *rest,
    size_t n, const struct f2b_loc *loc, unsigned depth, bool tail)
{
	size_t n0 = c->nextra;
	int rc = 0;

	if (c->section[0] != '\0' && (extra_add(c, "__name__", 8, &c->name_txt) < 0 ||
	    (memchr(rest, '/', n) != NULL && map_section_options(c, ini, rest, n) < 0)))
		rc = f2b_fail(c->err, c->errlen, "out of memory");
	if (rc == 0)
		rc = interp_level(c, ini, out, rest, n, loc, depth, tail);
	while (c->nextra > n0)
		free(c->extra[--c->nextra].key);
	return rc;
}

static int
interp_level(struct ictx *c, const struct f2b_ini *ini, struct f2b_txt *out, const char *rest,
    size_t n, const struct f2b_loc *loc, unsigned depth, bool tail)
{
	size_t line = 0;
	char w[F2B_WHERE_MAX];

#define WHERE() (f2b_ini_where(ini, loc ? loc[line] : c->top, w, sizeof(w)), w)
	if (depth > F2B_INTERP_DEPTH)
		return f2b_fail(c->err, c->errlen, "%s: %%(...)s in '%s' of [%s] nest deeper than %u levels, "
		    "expected no loop", WHERE(), c->option, c->section, F2B_INTERP_DEPTH);
	while (n > 0) {
		const char *p = memchr(rest, '%', n);
		size_t k = p ? (size_t)(p - rest) : n;
		if (f2b_txt_append(out, rest, k, loc ? loc + line : NULL) < 0)
			goto toobig;
		for (size_t i = 0; i < k; i++)
			line += rest[i] == '\n';
		rest += k;
		n -= k;
		if (n == 0)
			break;
		if (n >= 2 && rest[1] == '%') {
			if (f2b_txt_append(out, "%", 1, loc ? loc + line : NULL) < 0)
				goto toobig;
			rest += 2;
			n -= 2;
			continue;
		}
		if (n < 2 || rest[1] != '(')
			return f2b_fail(c->err, c->errlen, "%s: '%%' in '%s' of [%s] at '%.30s', expected '%%%%' "
			    "or '%%(name)s'", WHERE(), c->option, c->section, rest);
		const char *close = memchr(rest + 2, ')', n - 2);
		if (close == NULL || close == rest + 2 || (size_t)(close - rest) + 1 >= n || close[1] != 's')
			return f2b_fail(c->err, c->errlen, "%s: bad reference '%.30s' in '%s' of [%s], expected "
			    "'%%(name)s'", WHERE(), rest, c->option, c->section);
		char key[256];
		size_t kl = (size_t)(close - rest) - 2;
		if (kl >= sizeof(key))
			return f2b_fail(c->err, c->errlen, "%s: name in '%.30s' of '%s' in [%s] is too long",
			    WHERE(), rest, c->option, c->section);
		memcpy(key, rest + 2, kl);
		key[kl] = '\0';
		f2b_lower_ascii(key);
		for (size_t i = 0; i < (size_t)(close - rest) + 2; i++)
			line += rest[i] == '\n';
		n -= (size_t)(close - rest) + 2;
		rest = close + 2;
		const struct f2b_txt *v;
		const char *var;
		if (++c->refs > F2B_INTERP_REFS)
			return f2b_fail(c->err, c->errlen, "%s: '%s' of [%s] resolves more than %u %%(name)s, "
			    "expected fewer", WHERE(), c->option, c->section, F2B_INTERP_REFS);
		if (!map_get(c, key, &v, &var))
			return f2b_fail(c->err, c->errlen, "%s: '%s' of [%s] refers to %%(%s)s, which is not "
			    "set (in [%s], [DEFAULT] or the options), expected a known name", WHERE(),
			    c->option, c->section, key, c->section);
		const char *vs = v ? (v->s ? v->s : "") : var;
		size_t vl = v ? v->len : strlen(var);
		const struct f2b_loc *vloc = v && v->nloc ? v->loc : NULL;
		/* does the reference end its line? (then a one-line value
		 * filling the line is where that line comes from) */
		bool whole = n == 0 ? tail : rest[0] == '\n';
		if (memchr(vs, '%', vl) != NULL) {
			if (interp_some(c, ini, out, vs, vl, vloc, depth + 1, whole) < 0)
				return -1;
		} else if (f2b_txt_append_sub(out, vs, vl, vloc, whole, loc ? &loc[line] : &c->top) < 0) {
			goto toobig;
		}
	}
	return 0;
toobig:
	return f2b_fail(c->err, c->errlen, "%s: '%s' of [%s] grows past %u bytes", WHERE(), c->option,
	    c->section, F2B_VALUE_MAX);
#undef WHERE
}

int
f2b_ini_set_get_txt(const struct f2b_ini *ini, const struct iset *set, const char *section,
    const char *key, const struct f2b_opt *vars, size_t nvars, struct f2b_txt *out, char *err,
    size_t errlen)
{
	struct ictx c;
	char k[256];
	const struct f2b_txt *v;
	const char *var;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.set = set;
	c.section = section;
	c.vars = vars;
	c.nvars = nvars;
	c.option = key;
	c.err = err;
	c.errlen = errlen;
	if (strcmp(section, "DEFAULT") != 0) {
		c.sec = f2b_sec_find(set, section);
		if (c.sec == NULL)
			return 0;
	}
	if (!strlcpy_ok(k, key, sizeof(k)))
		return 0;
	f2b_lower_ascii(k);
	if (!map_get(&c, k, &v, &var))
		return 0;
	const char *vs = v ? (v->s ? v->s : "") : var;
	size_t vl = v ? v->len : strlen(var);
	const struct f2b_loc *vloc = v && v->nloc ? v->loc : NULL;
	if (vloc != NULL)
		c.top = vloc[0];
	if (f2b_txt_append(&c.name_txt, section, strlen(section), NULL) < 0) {
		rc = f2b_fail(err, errlen, "out of memory");
		goto out;
	}
	rc = interp_some(&c, ini, out, vs, vl, vloc, 1, true);
	if (rc == 0) {
		if (out->nloc == 0 && f2b_txt_append(out, "", 0, vloc) < 0)
			rc = f2b_fail(err, errlen, "out of memory");
		else
			rc = 1;
	}
out:
	if (rc < 0)
		f2b_txt_free(out);
	for (size_t i = 0; i < c.nextra; i++)
		free(c.extra[i].key);
	f2b_txt_free(&c.name_txt);
	return rc;
}

int
f2b_ini_get_txt(const struct f2b_ini *ini, const char *section, const char *key,
    const struct f2b_opt *vars, size_t nvars, struct f2b_txt *out, char *err, size_t errlen)
{
	return f2b_ini_set_get_txt(ini, &ini->set, section, key, vars, nvars, out, err, errlen);
}
