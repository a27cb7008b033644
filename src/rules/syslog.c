/* syslog.c - bounded cursor parser for syslog line headers. */
#include <string.h>

#include "rules/syslog.h"

#define PROG_MAX 64

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The end of a tag's name at s[k]: the first '[', ':' or ' ' before
 * min(len, k + PROG_MAX). One table lookup per byte: every flagged line's
 * header passes here twice (host name, then tag). */
static size_t
name_end(const char *s, size_t len, size_t k)
{
	static const bool stop[256] = { ['['] = true, [':'] = true, [' '] = true };
	size_t lim = len - k > PROG_MAX ? k + PROG_MAX : len;

	while (k < lim && !stop[(unsigned char)s[k]])
		k++;
	return k;
}

/* Reads the digits of a pid at s[*k] (at most 10, before len) into *pid;
 * false when there is none. */
static bool
pid_digits(const char *s, size_t len, size_t *k, uint64_t *pid)
{
	size_t d = *k, lim = len - d > 10 ? d + 10 : len, i = d;
	uint64_t v = 0;

	while (i < lim && is_digit(s[i]))
		v = v * 10 + (uint64_t)(s[i++] - '0');
	*k = i;
	*pid = v;
	return i > d;
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

/* journalctl -o short-full: "Mon 2024-02-05 14:34:10 UTC" (the zone is a
 * name, letters only). */
static bool
skip_short_full(const char *s, size_t len, size_t *i)
{
	size_t k = *i;

	if (k + 4 > len || !(s[k] >= 'A' && s[k] <= 'Z') || s[k + 3] != ' ')
		return false;
	k += 4;
	if (!skip_rfc3339(s, len, &k))
		return false;
	if (k + 1 < len && s[k] == ' ' && s[k + 1] >= 'A' && s[k + 1] <= 'Z') {
		size_t z = k + 1;
		while (z < len && z - k <= 6 && ((s[z] >= 'A' && s[z] <= 'Z') || (s[z] >= 'a' && s[z] <= 'z')))
			z++;
		if (z < len && s[z] == ' ')
			k = z;
	}
	*i = k;
	return true;
}

/* journalctl -o short-monotonic: "[12345.678901]", digits maybe padded. */
static bool
skip_monotonic(const char *s, size_t len, size_t *i)
{
	size_t k = *i, d;

	if (k >= len || s[k] != '[')
		return false;
	for (k++; k < len && s[k] == ' ' && k - *i < 16; k++)
		;
	for (d = k; k < len && is_digit(s[k]) && k - d < 20; k++)
		;
	if (k == d || k >= len || s[k] != '.')
		return false;
	for (d = ++k; k < len && is_digit(s[k]) && k - d < 9; k++)
		;
	if (k == d || k >= len || s[k] != ']')
		return false;
	*i = k + 1;
	return true;
}

/* journalctl -o short-unix: "1707143650.123456" (seconds since 1970). */
static bool
skip_unix(const char *s, size_t len, size_t *i)
{
	size_t k = *i, d;

	for (d = k; k < len && is_digit(s[k]) && k - d < 12; k++)
		;
	if (k - d < 9 || k >= len || s[k] != '.')
		return false;
	for (d = ++k; k < len && is_digit(s[k]) && k - d < 9; k++)
		;
	if (k == d)
		return false;
	*i = k;
	return true;
}

/* "prog[pid]: " or "prog: " at s[*i]. */
static bool
parse_prog(const char *s, size_t len, size_t *i, struct syslog_hdr *h)
{
	size_t k = name_end(s, len, *i), start = *i;

	if (k == start || k >= len)
		return false;
	h->prog = s + start;
	h->proglen = k - start;
	h->has_pid = false;
	if (s[k] == '[') {
		uint64_t pid;
		++k;
		if (!pid_digits(s, len, &k, &pid) || k >= len || s[k] != ']' || pid > UINT32_MAX)
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
	if (close == NULL || close == s + k + 1 || (size_t)(close - s) + 1 >= len)
		return false;
	size_t after = (size_t)(close - s) + 1;
	if (s[after] == ':')		/* "[sshd]: " as well as "[sshd] " */
		after++;
	if (after >= len || s[after] != ' ')
		return false;
	h->prog = s + k + 1;
	h->proglen = (size_t)(close - (s + k + 1));
	h->has_pid = false;
	*i = after + 1;
	return true;
}

/* "prog[pid] " with no colon after it, at s[*i]: ProFTPD's syslog tag
 * ("proftpd[123] server (client[addr]): USER ..."). Tried only when no
 * other tag form fits; the pid is required, so that a host name followed
 * by words is never taken for a tag. */
static bool
parse_prog_nocolon(const char *s, size_t len, size_t *i, struct syslog_hdr *h)
{
	size_t k = name_end(s, len, *i), start = *i;
	uint64_t pid;

	if (k == start || k >= len || s[k] != '[')
		return false;
	size_t d = ++k;
	if (!pid_digits(s, len, &k, &pid) || k + 1 >= len || s[k] != ']' || s[k + 1] != ' ' ||
	    pid > UINT32_MAX)
		return false;
	h->prog = s + start;
	h->proglen = d - 1 - start;
	h->has_pid = true;
	h->pid = (uint32_t)pid;
	*i = k + 2;
	return true;
}

static bool
parse_tag(const char *s, size_t len, size_t *i, struct syslog_hdr *h)
{
	return parse_bracket_prog(s, len, i, h) || parse_prog(s, len, i, h);
}

/* Next space-delimited field of an RFC 5424 header at s[*i]. */
static bool
field_5424(const char *s, size_t len, size_t *i, size_t *start, size_t *flen)
{
	const char *sp;

	if (*i >= len)
		return false;
	sp = memchr(s + *i, ' ', len - *i);
	if (sp == NULL || sp == s + *i)
		return false;
	*start = *i;
	*flen = (size_t)(sp - (s + *i));
	*i = (size_t)(sp - s) + 1;
	return true;
}

/* RFC 5424: "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG" (the <PRI> may
 * be missing when a relay strips it). SD is "-" or bracketed elements whose
 * values may hold escaped brackets. */
static int
parse_5424(const char *s, size_t len, struct syslog_hdr *h)
{
	size_t i = 0, st, n;

	if (i < len && s[i] == '<') {
		for (i++; i < len && is_digit(s[i]) && i < 5; i++)
			;
		if (i >= len || s[i] != '>')
			return -1;
		i++;
	}
	if (i + 2 > len || s[i] != '1' || s[i + 1] != ' ')
		return -1;
	i += 2;
	if (!field_5424(s, len, &i, &st, &n) || !field_5424(s, len, &i, &st, &n) ||	/* stamp, host */
	    !field_5424(s, len, &i, &st, &n) || n > PROG_MAX)			/* app */
		return -1;
	h->prog = s + st;
	h->proglen = n;
	if (!field_5424(s, len, &i, &st, &n))					/* procid */
		return -1;
	h->has_pid = false;
	if (n <= 10 && !(n == 1 && s[st] == '-')) {
		uint64_t pid = 0;
		size_t k;
		for (k = st; k < st + n && is_digit(s[k]); k++)
			pid = pid * 10 + (uint64_t)(s[k] - '0');
		if (k == st + n && pid <= UINT32_MAX) {
			h->has_pid = true;
			h->pid = (uint32_t)pid;
		}
	}
	if (!field_5424(s, len, &i, &st, &n))					/* msgid */
		return -1;
	if (i < len && s[i] == '-')
		i++;
	else {
		while (i < len && s[i] == '[') {
			bool quoted = false;
			/* ']' ends the element only outside a quoted value */
			for (i++; i < len && (quoted || s[i] != ']'); i++) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if (s[i] == '"')
					quoted = !quoted;
			}
			if (i >= len)
				return -1;
			i++;
		}
	}
	if (i < len && s[i] == ' ')
		i++;
	else if (i != len)
		return -1;
	h->msg = i;
	return 0;
}

/* rsyslog's "message repeated N times: [ M]" at line[h->msg]: h then
 * describes M, with the count in h->repeat. */
static void
unwrap_repeat(const char *line, size_t len, struct syslog_hdr *h)
{
	static const char head[] = "message repeated ";
	const size_t hl = sizeof(head) - 1;
	size_t k = h->msg, d;
	unsigned n = 0;

	/* the first byte alone turns nearly every message away */
	if (len - k < hl + 12 || line[k] != 'm' || memcmp(line + k, head, hl) != 0 ||
	    line[len - 1] != ']')
		return;
	for (k += hl, d = k; k < len && is_digit(line[k]) && k - d < 9; k++)
		n = n * 10 + (unsigned)(line[k] - '0');
	if (k == d || len - k < 10 || memcmp(line + k, " times: [", 9) != 0 || n == 0)
		return;
	k += 9;
	/* rsyslog keeps the message's leading space: "[ Failed ...]" */
	if (len - 1 - k > SYSLOG_REPEAT_MSG_MAX - 1 || len - 1 - k == 0)
		return;
	if (line[k] == ' ')
		k++;
	h->msg = k;
	h->msglen = len - 1 - k;
	h->repeat = n > SYSLOG_REPEAT_MAX ? SYSLOG_REPEAT_MAX : n;
}

/* Dovecot's own log names a process "auth-worker(304): " or
 * "auth(default): ": the tag is the name before the parenthesis, as in its
 * syslog lines ("dovecot: auth-worker(304): ..."). Only without a "[pid]",
 * so that old "sshd(pam_unix)[12]: " tags stay what they were. */
static void
trim_paren_suffix(struct syslog_hdr *h)
{
	const char *open;

	if (h->has_pid || h->proglen < 3 || h->prog[h->proglen - 1] != ')')
		return;
	open = memchr(h->prog, '(', h->proglen);
	if (open != NULL && open > h->prog)
		h->proglen = (size_t)(open - h->prog);
}

static int
parse_3164(const char *line, size_t len, size_t i, struct syslog_hdr *h)
{
	size_t t = i;
	if (!parse_tag(line, len, &t, h)) {
		/* a host name first */
		const char *sp = memchr(line + i, ' ', len - i);
		if (sp == NULL || sp == line + i || line[i] == '[')
			return -1;
		t = (size_t)(sp - line) + 1;
		if (!parse_tag(line, len, &t, h)) {
			size_t at_host = t;
			t = i;
			if (!parse_prog_nocolon(line, len, &t, h)) {
				t = at_host;
				if (!parse_prog_nocolon(line, len, &t, h))
					return -1;
			}
		}
	}
	/* Solaris: "[ID 800047 auth.info] " */
	if (t + 4 < len && line[t] == '[' && memcmp(line + t, "[ID ", 4) == 0) {
		const char *close = memchr(line + t, ']', len - t < 64 ? len - t : 64);
		if (close != NULL && (size_t)(close - line) + 1 < len && close[1] == ' ')
			t = (size_t)(close - line) + 2;
	}
	trim_paren_suffix(h);
	h->msg = t;
	return 0;
}

int
syslog_parse(const char *line, size_t len, struct syslog_hdr *h)
{
	size_t i = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len > 2 && line[0] == '<') {
		/* "<PRI>": RFC 5424 when "1 " follows, else RFC 3164 */
		for (i = 1; i < len && is_digit(line[i]) && i < 5; i++)
			;
		if (i == 1 || i >= len || line[i] != '>')
			return -1;
		i++;
	}
	if (i + 2 <= len && line[i] == '1' && line[i + 1] == ' ')
		rc = parse_5424(line, len, h);
	else {
		size_t k = i;
		if (skip_rfc3164(line, len, &k) || skip_rfc3339(line, len, &k) ||
		    skip_short_full(line, len, &k) || skip_monotonic(line, len, &k) ||
		    skip_unix(line, len, &k)) {
			if (k >= len || line[k] != ' ')
				return -1;
			i = k + 1;
		}
		rc = parse_3164(line, len, i, h);
	}
	if (rc != 0)
		return rc;
	h->msglen = len - h->msg;
	h->repeat = 1;
	unwrap_repeat(line, len, h);
	return 0;
}
