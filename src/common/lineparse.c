/* lineparse.c - shared pieces of the line-oriented file parsers. */
#include <stdarg.h>
#include <stdio.h>

#include "common/lineparse.h"

int
lp_error(struct lineparse *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, msg);
	return -1;
}

int
lp_split(char *s, char **words, int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == max)
			return -1;
		words[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

int
lp_want(struct lineparse *p, int nw, int want, const char *usage)
{
	if (nw != want)
		return lp_error(p, "expected '%s'", usage);
	return 0;
}
