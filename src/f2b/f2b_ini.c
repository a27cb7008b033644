/* f2b_ini.c - fail2ban's INI files read as its SafeConfigParserWithIncludes
 * (over Python's ConfigParser) reads them: parsing, [INCLUDES], .local and
 * .d/ files, the known/ copies and %(name)s interpolation. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "f2b/f2b_conf.h"
#include "f2b/f2b_ini.h"
#include "common/util.h"

struct ival {
	char *key;
	struct f2b_txt v;
};

struct isec {
	char *name;
	struct ival *vals;
	size_t n, cap;
	bool known;		/* a KNOWN/<section> copy: not listed */
};

/* The sections and defaults of one file, or of a whole load. */
struct iset {
	struct isec defaults;
	struct isec *secs;
	size_t nsecs, cap;
};

/* One file as parsed alone: fail2ban parses each file with a parser of
 * its own (its [INCLUDES] interpolate with its own [DEFAULT] only), then
 * merges them in include order. Parsed once, shared as fail2ban does. */
struct pfile {
	char *path;
	bool readable;
	struct iset set;
};

struct f2b_ini {
	struct iset set;
	char **files;		/* loc.file indexes this; [0] is unused */
	size_t nfiles;
	struct pfile **parsed;	/* each its own allocation: held across includes */
	size_t nparsed;
	/* Include lines followed, in all: the walk visits a file again for
	 * every line naming it (as fail2ban's uncached walk does), and lines
	 * naming missing files add nothing the other ceilings would count. */
	size_t visits;
};

int
f2b_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

bool
f2b_py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

void
f2b_lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* ---- texts with locations ---- */

void
f2b_txt_free(struct f2b_txt *t)
{
	free(t->s);
	free(t->loc);
	memset(t, 0, sizeof(*t));
}

static int
f2b_txt_reserve(struct f2b_txt *t, size_t add, size_t addloc)
{
	if (t->len + add + 1 > F2B_VALUE_MAX + 1)
		return -1;
	if (t->len + add + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 64;
		while (cap < t->len + add + 1)
			cap *= 2;
		char *s = realloc(t->s, cap);
		if (s == NULL)
			return -1;
		t->s = s;
		t->cap = cap;
	}
	if (t->nloc + addloc > t->loccap) {
		size_t cap = t->loccap ? t->loccap : 4;
		while (cap < t->nloc + addloc)
			cap *= 2;
		struct f2b_loc *l = realloc(t->loc, cap * sizeof(*l));
		if (l == NULL)
			return -1;
		t->loc = l;
		t->loccap = cap;
	}
	return 0;
}

int
f2b_txt_append(struct f2b_txt *t, const char *s, size_t n, const struct f2b_loc *loc)
{
	size_t lines = 1, i;
	static const struct f2b_loc none = { 0, 0 };

	for (i = 0; i < n; i++)
		lines += s[i] == '\n';
	if (f2b_txt_reserve(t, n, lines) < 0)
		return -1;
	if (t->nloc == 0) {
		t->loc[t->nloc++] = loc ? loc[0] : none;
	} else {
		/* the first line of s continues t's last line: keep that line's
		 * origin unless it is still empty */
		bool empty = t->len == 0 || t->s[t->len - 1] == '\n';
		if (empty && n > 0 && s[0] != '\n')
			t->loc[t->nloc - 1] = loc ? loc[0] : none;
	}
	for (i = 1; i < lines; i++)
		t->loc[t->nloc++] = loc ? loc[i] : none;
	if (n > 0)
		memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
	return 0;
}

int
f2b_txt_append_sub(struct f2b_txt *t, const char *s, size_t n, const struct f2b_loc *loc, bool whole,
    const struct f2b_loc *here)
{
	bool multi = memchr(s, '\n', n) != NULL;
	static const struct f2b_loc none = { 0, 0 };
	bool empty = t->nloc == 0 || t->len == 0 || t->s[t->len - 1] == '\n';
	if (f2b_txt_append(t, s, n, loc) < 0)
		return -1;
	/* the line it starts: the value's own line when the value fills it,
	 * else the line of the text it is substituted into */
	if (empty && !multi && !whole) {
		size_t first = t->nloc - 1;
		t->loc[first] = here ? *here : none;
	}
	return 0;
}

int
f2b_txt_copy(struct f2b_txt *dst, const struct f2b_txt *src)
{
	memset(dst, 0, sizeof(*dst));
	if (f2b_txt_append(dst, src->s ? src->s : "", src->len, src->nloc ? src->loc : NULL) < 0) {
		f2b_txt_free(dst);
		return -1;
	}
	return 0;
}

char *
f2b_txt_strdup(const struct f2b_txt *t)
{
	return strndup(t->s ? t->s : "", t->len);
}

void
f2b_ini_where(const struct f2b_ini *ini, struct f2b_loc loc, char *buf, size_t n)
{
	if (loc.line == 0 || loc.file == 0 || loc.file >= ini->nfiles)
		snprintf(buf, n, "(option)");
	else
		snprintf(buf, n, "%s:%u", ini->files[loc.file], loc.line);
}

/* ---- sections ---- */

static void
sec_free(struct isec *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->vals[i].key);
		f2b_txt_free(&s->vals[i].v);
	}
	free(s->vals);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

static void
set_free(struct iset *set)
{
	sec_free(&set->defaults);
	for (size_t i = 0; i < set->nsecs; i++)
		sec_free(&set->secs[i]);
	free(set->secs);
	memset(set, 0, sizeof(*set));
}

static struct isec *
sec_find(const struct iset *set, const char *name)
{
	for (size_t i = 0; i < set->nsecs; i++)
		if (strcmp(set->secs[i].name, name) == 0)
			return &set->secs[i];
	return NULL;
}

static struct isec *
sec_add(struct iset *set, const char *name, bool known)
{
	if (set->nsecs >= F2B_SECTIONS_MAX)
		return NULL;
	if (set->nsecs == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 8;
		struct isec *s = realloc(set->secs, cap * sizeof(*s));
		if (s == NULL)
			return NULL;
		set->secs = s;
		set->cap = cap;
	}
	struct isec *s = &set->secs[set->nsecs];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (s->name == NULL)
		return NULL;
	s->known = known;
	set->nsecs++;
	return s;
}

static struct ival *
val_find(const struct isec *s, const char *key)
{
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (strcmp(s->vals[i].key, key) == 0)
			return &s->vals[i];
	return NULL;
}

/* Sets key (kept in place if present, as a Python dict does), taking
 * ownership of *v. */
static int
val_put(struct isec *s, const char *key, struct f2b_txt *v)
{
	struct ival *iv = val_find(s, key);

	if (iv != NULL) {
		f2b_txt_free(&iv->v);
		iv->v = *v;
		memset(v, 0, sizeof(*v));
		return 0;
	}
	if (s->n >= F2B_KEYS_MAX)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct ival *nv = realloc(s->vals, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		s->vals = nv;
		s->cap = cap;
	}
	char *k = strdup(key);
	if (k == NULL)
		return -1;
	s->vals[s->n].key = k;
	s->vals[s->n].v = *v;
	memset(v, 0, sizeof(*v));
	s->n++;
	return 0;
}

static int
val_put_copy(struct isec *s, const char *key, const struct f2b_txt *v)
{
	struct f2b_txt c;

	if (f2b_txt_copy(&c, v) < 0)
		return -1;
	if (val_put(s, key, &c) < 0) {
		f2b_txt_free(&c);
		return -1;
	}
	return 0;
}

/* ---- one file ---- */

static uint32_t
file_index(struct f2b_ini *ini, const char *path)
{
	for (size_t i = 1; i < ini->nfiles; i++)
		if (strcmp(ini->files[i], path) == 0)
			return (uint32_t)i;
	char **f = realloc(ini->files, (ini->nfiles + 1) * sizeof(*f));
	if (f == NULL)
		return 0;
	ini->files = f;
	f[ini->nfiles] = strdup(path);
	if (f[ini->nfiles] == NULL)
		return 0;
	return (uint32_t)ini->nfiles++;
}

static bool
utf8_valid(const unsigned char *s, size_t n, size_t *bad)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			*bad = i;
			return false;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80) {
				*bad = i;
				return false;
			}
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			*bad = i;
			return false;
		}
		i += k + 1;
	}
	return true;
}

/* Reads path whole. 1, 0 when it cannot be opened (fail2ban skips such
 * files silently), -1 with err. */
static int
file_slurp(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO among the includes or in a .d/ directory must not
	 * block the open before fstat can refuse it (it is no regular file). */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	FILE *f;
	char *buf;
	size_t n = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (f = fdopen(fd, "rb")) == NULL) {
		close(fd);
		return 0;
	}
	if (st.st_size > (off_t)F2B_FILE_MAX) {
		fclose(f);
		return f2b_fail(err, errlen, "%s: file is %lld bytes, expected at most %u",
		    path, (long long)st.st_size, F2B_FILE_MAX);
	}
	size_t want = (size_t)st.st_size;
	buf = malloc(want + 2);
	if (buf == NULL) {
		fclose(f);
		return f2b_fail(err, errlen, "%s: out of memory", path);
	}
	n = fread(buf, 1, want + 1, f);
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		free(buf);
		return f2b_fail(err, errlen, "%s: %s", path, strerror(e));
	}
	fclose(f);
	if (n > want) {
		free(buf);
		return f2b_fail(err, errlen, "%s: file grew while read, expected a configuration file", path);
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 1;
}

/* A value being read: its lines and their numbers, joined at the end. */
struct pending {
	struct isec *sec;
	char *key;
	struct f2b_txt v;
};

static int
pending_flush(struct pending *p)
{
	int rc = 0;

	if (p->key == NULL)
		return 0;
	/* Python joins the lines with '\n' and rstrips: trailing empty
	 * lines go */
	while (p->v.len > 0 && f2b_py_space((unsigned char)p->v.s[p->v.len - 1])) {
		if (p->v.s[p->v.len - 1] == '\n')
			p->v.nloc--;
		p->v.len--;
	}
	if (p->v.s != NULL)
		p->v.s[p->v.len] = '\0';
	rc = val_put(p->sec, p->key, &p->v);
	f2b_txt_free(&p->v);
	free(p->key);
	p->key = NULL;
	return rc;
}

/* Python's configparser._read, strict mode, ';' inline comments. */
static int
parse_text(struct f2b_ini *ini, const char *path, char *buf, size_t n, struct iset *set,
    char *err, size_t errlen)
{
	uint32_t fi = file_index(ini, path);
	struct isec *cur = NULL;
	struct pending p = { 0 };
	size_t indent_level = 0, lineno = 0, bad;
	char *line, *next;
	int rc = -1;

	if (fi == 0)
		return f2b_fail(err, errlen, "%s: out of memory", path);
	if (!utf8_valid((const unsigned char *)buf, n, &bad)) {
		size_t l = 1;
		for (size_t i = 0; i < bad; i++)
			l += buf[i] == '\n';
		return f2b_fail(err, errlen, "%s:%zu: not UTF-8 text, expected UTF-8", path, l);
	}
	/* universal newlines: \r\n and \r end lines too */
	{
		size_t w = 0;
		for (size_t r = 0; r < n; r++) {
			if (buf[r] == '\r') {
				buf[w++] = '\n';
				if (r + 1 < n && buf[r + 1] == '\n')
					r++;
			} else {
				buf[w++] = buf[r];
			}
		}
		n = w;
		buf[n] = '\0';
	}
	for (line = buf; line < buf + n; line = next) {
		char *nl = memchr(line, '\n', (size_t)(buf + n - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(buf + n - line);
		size_t comment = len, vs, ve, indent;
		bool has_comment = false;

		next = nl ? nl + 1 : buf + n;
		lineno++;
		if (len > F2B_LINE_MAX) {
			f2b_fail(err, errlen, "%s:%zu: line is %zu bytes, expected at most %u", path, lineno, len,
			    F2B_LINE_MAX);
			goto out;
		}
		if (memchr(line, '\0', len) != NULL) {
			f2b_fail(err, errlen, "%s:%zu: NUL byte, expected text", path, lineno);
			goto out;
		}
		line[len] = '\0';
		/* inline comment: the first ';' at the start or after a space */
		for (size_t i = 0; i < len; i++)
			if (line[i] == ';' && (i == 0 || f2b_py_space((unsigned char)line[i - 1]))) {
				comment = i;
				has_comment = true;
				break;
			}
		for (vs = 0; vs < len && f2b_py_space((unsigned char)line[vs]); vs++)
			;
		if (vs < len && (line[vs] == '#' || line[vs] == ';')) {
			comment = 0;
			has_comment = true;
		}
		ve = comment;
		indent = vs;
		if (vs > ve)
			vs = ve;
		while (ve > vs && f2b_py_space((unsigned char)line[ve - 1]))
			ve--;
		if (ve == vs) {
			/* an empty line (no comment) belongs to the value */
			if (!has_comment && cur != NULL && p.key != NULL) {
				struct f2b_loc l = { fi, (uint32_t)lineno };
				struct f2b_loc two[2] = { l, l };
				if (f2b_txt_append(&p.v, "\n", 1, two) < 0)
					goto toobig;
			}
			continue;
		}
		line[ve] = '\0';
		char *value = line + vs;
		size_t vlen = ve - vs;
		if (cur != NULL && p.key != NULL && indent > indent_level) {
			struct f2b_loc l = { fi, (uint32_t)lineno };
			struct f2b_loc two[2] = { l, l };
			if (f2b_txt_append(&p.v, "\n", 1, two) < 0 || f2b_txt_append(&p.v, value, vlen, &l) < 0)
				goto toobig;
			continue;
		}
		indent_level = indent;
		char *rb = strrchr(value, ']');
		if (value[0] == '[' && rb != NULL && rb - value >= 2) {
			if (pending_flush(&p) < 0)
				goto keys;
			*rb = '\0';
			const char *name = value + 1;
			if (strcmp(name, "DEFAULT") == 0) {
				cur = &set->defaults;
			} else if (sec_find(set, name) != NULL) {
				f2b_fail(err, errlen, "%s:%zu: section [%s] already in this file, expected it once",
				    path, lineno, name);
				goto out;
			} else {
				cur = sec_add(set, name, false);
				if (cur == NULL) {
					f2b_fail(err, errlen, "%s:%zu: too many sections, expected at most %u", path,
					    lineno, F2B_SECTIONS_MAX);
					goto out;
				}
			}
			continue;
		}
		if (cur == NULL) {
			f2b_fail(err, errlen, "%s:%zu: '%.40s' before any [section], expected a section header",
			    path, lineno, value);
			goto out;
		}
		size_t d = strcspn(value, "=:");
		if (d == vlen) {
			f2b_fail(err, errlen, "%s:%zu: '%.40s' is not 'name = value', expected a key, '=' or ':' "
			    "and a value", path, lineno, value);
			goto out;
		}
		size_t ke = d;
		while (ke > 0 && f2b_py_space((unsigned char)value[ke - 1]))
			ke--;
		if (ke == 0) {
			f2b_fail(err, errlen, "%s:%zu: empty key before '%c', expected a name", path, lineno,
			    value[d]);
			goto out;
		}
		if (pending_flush(&p) < 0)
			goto keys;
		value[ke] = '\0';
		f2b_lower_ascii(value);
		if (val_find(cur, value) != NULL) {
			f2b_fail(err, errlen, "%s:%zu: key '%s' already in [%s] of this file, expected it once",
			    path, lineno, value, cur == &set->defaults ? "DEFAULT" : cur->name);
			goto out;
		}
		const char *v = value + d + 1;
		while (*v && f2b_py_space((unsigned char)*v))
			v++;
		struct f2b_loc l = { fi, (uint32_t)lineno };
		p.sec = cur;
		p.key = strdup(value);
		if (p.key == NULL)
			goto toobig;
		memset(&p.v, 0, sizeof(p.v));
		if (f2b_txt_append(&p.v, v, strlen(v), &l) < 0)
			goto toobig;
		/* a placeholder so a duplicate in this file is seen now */
		{
			struct f2b_txt empty = { 0 };
			if (f2b_txt_append(&empty, "", 0, &l) < 0 || val_put(cur, p.key, &empty) < 0) {
				f2b_txt_free(&empty);
				goto keys;
			}
		}
	}
	if (pending_flush(&p) < 0)
		goto keys;
	rc = 0;
	goto out;
toobig:
	f2b_fail(err, errlen, "%s:%zu: value longer than %u bytes", path, lineno, F2B_VALUE_MAX);
	goto out;
keys:
	f2b_fail(err, errlen, "%s:%zu: too many keys in a section, expected at most %u", path, lineno,
	    F2B_KEYS_MAX);
out:
	free(p.key);
	f2b_txt_free(&p.v);
	return rc;
}

/* The file parsed alone, from the cache. NULL with *rc 0 when it cannot
 * be read (skipped, as fail2ban does), NULL with *rc -1 on error. */
static struct pfile *
parse_cached(struct f2b_ini *ini, const char *path, int *rc, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	struct pfile *pf;

	for (size_t i = 0; i < ini->nparsed; i++)
		if (strcmp(ini->parsed[i]->path, path) == 0) {
			*rc = ini->parsed[i]->readable ? 1 : 0;
			return ini->parsed[i]->readable ? ini->parsed[i] : NULL;
		}
	if (ini->nparsed >= F2B_FILES_MAX) {
		*rc = f2b_fail(err, errlen, "%s: more than %u files read, expected fewer includes", path,
		    F2B_FILES_MAX);
		return NULL;
	}
	struct pfile **pv = realloc(ini->parsed, (ini->nparsed + 1) * sizeof(*pv));	/* NOLINT(bugprone-sizeof-expression): an array of pointers */
	if (pv == NULL) {
		*rc = f2b_fail(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	ini->parsed = pv;
	pf = calloc(1, sizeof(*pf));
	if (pf == NULL || (pf->path = strdup(path)) == NULL) {
		free(pf);
		*rc = f2b_fail(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	pv[ini->nparsed] = pf;
	ini->nparsed++;
	*rc = file_slurp(path, &buf, &n, err, errlen);
	if (*rc <= 0)
		return NULL;
	if (parse_text(ini, path, buf, n, &pf->set, err, errlen) < 0) {
		free(buf);
		*rc = -1;
		return NULL;
	}
	free(buf);
	pf->readable = true;
	*rc = 1;
	return pf;
}

/* ---- interpolation ---- */

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
	struct ival *iv = val_find(c->sec, key);
	if (iv == NULL)
		iv = val_find(&c->set->defaults, key);
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
			iv = val_find(sec_find(c->set, kn), opt);
			usedef = iv == NULL;
		} else {
			const struct isec *s = sec_find(c->set, sec);
			if (s == NULL)
				continue;
			iv = val_find(s, opt);
			usedef = iv == NULL;
		}
		if (usedef)
			iv = val_find(&c->set->defaults, opt);
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

static int
set_get_txt(const struct f2b_ini *ini, const struct iset *set, const char *section,
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
		c.sec = sec_find(set, section);
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
	return set_get_txt(ini, &ini->set, section, key, vars, nvars, out, err, errlen);
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
	return val_find(sec_find(&ini->set, section), k) != NULL;
}

const char *
f2b_ini_key(const struct f2b_ini *ini, const char *section, size_t i)
{
	const struct isec *s = sec_find(&ini->set, section);

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
	if (f2b_txt_append(&t, value, strlen(value), NULL) < 0 || val_put(&ini->set.defaults, k, &t) < 0) {
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
	struct pfile *pf = parse_cached(ini, res, &rc, err, errlen);

	if (pf == NULL)
		return rc;
	if (seen->n >= F2B_INCLUDE_DEPTH)
		return f2b_fail(err, errlen, "%s: includes nest deeper than %u files, expected no include "
		    "loop", res, F2B_INCLUDE_DEPTH);
	if (sec_find(&pf->set, "INCLUDES") != NULL) {
		const char *slash = strrchr(res, '/');
		size_t dl = slash ? (size_t)(slash - res) : 0;
		for (int o = 0; o < 2; o++) {
			struct f2b_txt v;
			rc = set_get_txt(ini, &pf->set, "INCLUDES", opts[o], NULL, 0, &v, err, errlen);
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
		if (val_put_copy(&ini->set.defaults, pf->set.defaults.vals[i].key,
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
		struct isec *s2 = sec_find(&ini->set, name);
		if (s2 != NULL) {
			char kn[600];
			snprintf(kn, sizeof(kn), "KNOWN/%s", name);
			struct isec *k = sec_find(&ini->set, kn);
			if (k == NULL && (k = sec_add(&ini->set, kn, true)) == NULL)
				return -1;
			s2 = sec_find(&ini->set, name);	/* sec_add may have moved it */
			for (size_t i = 0; i < s->n; i++) {
				char key[600];
				snprintf(key, sizeof(key), "%s%s", s->vals[i].key, cond);
				struct ival *old = val_find(s2, key);
				if (old != NULL && val_put_copy(k, key, &old->v) < 0)
					return -1;
			}
		} else if ((s2 = sec_add(&ini->set, name, false)) == NULL) {
			return -1;
		}
		for (size_t i = 0; i < s->n; i++) {
			char key[600];
			snprintf(key, sizeof(key), "%s%s", s->vals[i].key, cond);
			if (val_put_copy(s2, key, &s->vals[i].v) < 0)
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
		struct pfile *pf = parse_cached(ini, all.v[i], &prc, err, errlen);
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
		set_free(&ini->parsed[i]->set);
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
	set_free(&ini->set);
	for (size_t i = 1; i < ini->nfiles; i++)
		free(ini->files[i]);
	free(ini->files);
	for (size_t i = 0; i < ini->nparsed; i++) {
		free(ini->parsed[i]->path);
		set_free(&ini->parsed[i]->set);
		free(ini->parsed[i]);
	}
	free(ini->parsed);
	free(ini);
}
