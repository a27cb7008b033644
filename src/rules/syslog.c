/* syslog.c - bounded cursor parser for syslog line headers. */
#include <string.h>

#include "rules/syslog.h"

#define PROG_MAX 64

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Skips an RFC 3164 stamp at s[*i]; false (and *i unchanged) if none. */
static bool
skip_rfc3164(const char *s, size_t len, size_t *i)
{
	size_t k = *i;

	if (k + 15 > len || !(s[k] >= 'A' && s[k] <= 'Z') || s[k + 3] != ' ')
		return false;
	k += 4;
	while (k < len && s[k] == ' ')
		k++;
	if (k >= len || !is_digit(s[k]))
		return false;
	while (k < len && is_digit(s[k]))
		k++;
	if (k + 9 > len || s[k] != ' ' || !is_digit(s[k + 1]) || !is_digit(s[k + 2]) ||
	    s[k + 3] != ':' || !is_digit(s[k + 4]) || !is_digit(s[k + 5]) || s[k + 6] != ':' ||
	    !is_digit(s[k + 7]) || !is_digit(s[k + 8]))
		return false;
	k += 9;
	if (k < len && s[k] == '.')
		for (k++; k < len && is_digit(s[k]); k++)
			;
	/* journalctl -o short-full and some daemons add the year */
	if (k + 5 <= len && s[k] == ' ' && is_digit(s[k + 1]) && is_digit(s[k + 2]) &&
	    is_digit(s[k + 3]) && is_digit(s[k + 4]) && (k + 5 == len || s[k + 5] == ' '))
		k += 5;
	*i = k;
	return true;
}

static bool
skip_rfc3339(const char *s, size_t len, size_t *i)
{
	size_t k = *i;

	if (k + 19 > len || !is_digit(s[k]) || s[k + 4] != '-' || s[k + 7] != '-' ||
	    (s[k + 10] != 'T' && s[k + 10] != ' ') || s[k + 13] != ':' || s[k + 16] != ':')
		return false;
	k += 19;
	if (k < len && (s[k] == '.' || s[k] == ','))
		for (k++; k < len && is_digit(s[k]); k++)
			;
	if (k < len && s[k] == 'Z')
		k++;
	else if (k < len && (s[k] == '+' || s[k] == '-'))
		for (k++; k < len && (is_digit(s[k]) || s[k] == ':'); k++)
			;
	*i = k;
	return true;
}

/* "prog[pid]: " or "prog: " at s[*i]. */
static bool
parse_prog(const char *s, size_t len, size_t *i, struct syslog_hdr *h)
{
	size_t k = *i, start = k;

	while (k < len && s[k] != '[' && s[k] != ':' && s[k] != ' ' && k - start < PROG_MAX)
		k++;
	if (k == start || k >= len)
		return false;
	h->prog = s + start;
	h->proglen = k - start;
	h->has_pid = false;
	if (s[k] == '[') {
		uint64_t pid = 0;
		size_t d = ++k;
		while (k < len && is_digit(s[k]) && k - d < 10)
			pid = pid * 10 + (uint64_t)(s[k++] - '0');
		if (k == d || k >= len || s[k] != ']' || pid > UINT32_MAX)
			return false;
		h->has_pid = true;
		h->pid = (uint32_t)pid;
		k++;
	}
	if (k + 1 >= len + 1 || k >= len || s[k] != ':')
		return false;
	k++;
	if (k < len && s[k] == ' ')
		k++;
	else if (k != len)
		return false;
	*i = k;
	return true;
}

/* "[prog] " at s[*i]. */
static bool
parse_bracket_prog(const char *s, size_t len, size_t *i, struct syslog_hdr *h)
{
	size_t k = *i;

	if (k >= len || s[k] != '[')
		return false;
	const char *close = memchr(s + k, ']', len - k < PROG_MAX + 2 ? len - k : PROG_MAX + 2);
	if (close == NULL || close == s + k + 1 || (size_t)(close - s) + 1 >= len ||
	    close[1] != ' ')
		return false;
	h->prog = s + k + 1;
	h->proglen = (size_t)(close - (s + k + 1));
	h->has_pid = false;
	*i = (size_t)(close - s) + 2;
	return true;
}

static bool
parse_tag(const char *s, size_t len, size_t *i, struct syslog_hdr *h)
{
	return parse_bracket_prog(s, len, i, h) || parse_prog(s, len, i, h);
}

int
syslog_parse(const char *line, size_t len, struct syslog_hdr *h)
{
	size_t i = 0;

	memset(h, 0, sizeof(*h));
	if (skip_rfc3164(line, len, &i) || skip_rfc3339(line, len, &i)) {
		if (i >= len || line[i] != ' ')
			return -1;
		i++;
	}
	size_t t = i;
	if (!parse_tag(line, len, &t, h)) {
		/* a host name first */
		const char *sp = memchr(line + i, ' ', len - i);
		if (sp == NULL || sp == line + i || line[i] == '[')
			return -1;
		t = (size_t)(sp - line) + 1;
		if (!parse_tag(line, len, &t, h))
			return -1;
	}
	/* Solaris: "[ID 800047 auth.info] " */
	if (t + 4 < len && memcmp(line + t, "[ID ", 4) == 0) {
		const char *close = memchr(line + t, ']', len - t < 64 ? len - t : 64);
		if (close != NULL && (size_t)(close - line) + 1 < len && close[1] == ' ')
			t = (size_t)(close - line) + 2;
	}
	h->msg = t;
	return 0;
}
