/* f2b_ini_parse.c - one fail2ban INI file read and parsed alone, as
 * Python's ConfigParser reads it (sections, keys, continuation lines,
 * comments), with the ceilings of f2b_conf.h; parsed once per load. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/util.h"
#include "f2b/f2b_conf.h"
#include "f2b/f2b_ini.h"
#include "f2b/f2b_ini_parse.h"

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
	rc = f2b_val_put(p->sec, p->key, &p->v);
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
			} else if (f2b_sec_find(set, name) != NULL) {
				f2b_fail(err, errlen, "%s:%zu: section [%s] already in this file, expected it once",
				    path, lineno, name);
				goto out;
			} else {
				cur = f2b_sec_add(set, name, false);
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
		if (f2b_val_find(cur, value) != NULL) {
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
			if (f2b_txt_append(&empty, "", 0, &l) < 0 || f2b_val_put(cur, p.key, &empty) < 0) {
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
struct pfile *
f2b_ini_parse_cached(struct f2b_ini *ini, const char *path, int *rc, char *err, size_t errlen)
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
