/* f2b_txt.c - texts with the file:line of each of their lines, and the
 * small helpers of the INI reader (errors, Python's whitespace, key case). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_conf.h"
#include "f2b/f2b_txt.h"

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
