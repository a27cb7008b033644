/* util.c - clocks, durations, integer parsing, JSON string escaping. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

int64_t
now_sec(void)
{
	return (int64_t)time(NULL);
}

int64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

#define DURATION_MAX (10LL * 366 * 86400)

int
duration_parse(const char *s, int64_t *out)
{
	char num[24];
	size_t n = strlen(s);
	int64_t unit = 1;
	uint64_t v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	switch (s[n - 1]) {
	case 's': unit = 1; n--; break;
	case 'm': unit = 60; n--; break;
	case 'h': unit = 3600; n--; break;
	case 'd': unit = 86400; n--; break;
	case 'w': unit = 7 * 86400; n--; break;
	default: break;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (uint_parse(num, 0, (uint64_t)(DURATION_MAX / unit), &v) != 0)
		return -1;
	*out = (int64_t)v * unit;
	return 0;
}

void
duration_format(int64_t secs, char *buf, size_t n)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 7 * 86400, 'w' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t used = 0;

	if (n == 0)
		return;
	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, n, "0s");
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(units) && secs > 0; i++) {
		if (secs < units[i].secs)
			continue;
		int w = snprintf(buf + used, n - used, "%lld%c",
		    (long long)(secs / units[i].secs), units[i].unit);
		if (w < 0 || (size_t)w >= n - used)
			return;
		used += (size_t)w;
		secs %= units[i].secs;
	}
}

bool
strlcpy_ok(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (n == 0)
		return false;
	if (len >= n) {
		memcpy(dst, src, n - 1);
		dst[n - 1] = '\0';
		return false;
	}
	memcpy(dst, src, len + 1);
	return true;
}

size_t
utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (s[0] == 0xe0 && s[1] < 0xa0)
			return 0;
		if (s[0] == 0xed && s[1] > 0x9f)
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (s[0] == 0xf0 && s[1] < 0x90)
			return 0;
		if (s[0] == 0xf4 && s[1] > 0x8f)
			return 0;
		return 4;
	}
	return 0;
}

size_t
json_escape(char *buf, size_t n, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;

	if (n < 3) {
		if (n)
			buf[0] = '\0';
		return 0;
	}
	buf[o++] = '"';
	while (*s) {
		char esc[8];
		size_t elen, adv = 1;

		if (*s == '"' || *s == '\\') {
			esc[0] = '\\'; esc[1] = (char)*s; elen = 2;
		} else if (*s < 0x20 || *s == 0x7f) {
			elen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *s);
		} else if (*s < 0x80) {
			esc[0] = (char)*s; elen = 1;
		} else if ((adv = utf8_seq(s)) != 0) {
			memcpy(esc, s, adv); elen = adv;
		} else {
			/* Invalid UTF-8: replace by U+FFFD so the output stays valid JSON. */
			/* esc is counted (elen), never a string */
			memcpy(esc, "\xef\xbf\xbd", 3); elen = 3; adv = 1;	/* NOLINT(bugprone-not-null-terminated-result) */
		}
		if (o + elen + 2 > n)
			break;
		memcpy(buf + o, esc, elen);
		o += elen;
		s += adv;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return o;
}

int
fd_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
