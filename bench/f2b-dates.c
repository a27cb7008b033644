/* f2b-dates.c - speed of fail2ban date detection (src/f2b/f2b_date.c) on
 * typical lines: lines per second and ns per line, one core.
 *   cc -O2 -std=gnu11 -D_GNU_SOURCE -Isrc -o build/bench-f2b-dates \
 *      bench/f2b-dates.c build/libarticle5.a -lpcre2-8 -lm && build/bench-f2b-dates */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "f2b/f2b_date.h"

#define NLINES 1000

static double
secs(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* fmt takes three ints: minute, second, a varying number. */
static void
run(const char *label, const char *const *pats, size_t np, const char *fmt, int n)
{
	char err[256];
	struct f2b_dates *d = f2b_dates_new(pats, np, err, sizeof(err));
	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", label, err);
		exit(1);
	}
	static char lines[NLINES][200];
	size_t lens[NLINES];
	for (int i = 0; i < NLINES; i++)
		lens[i] = (size_t)snprintf(lines[i], sizeof(lines[i]), fmt, i / 60 % 60, i % 60, i % 250);
	struct f2b_date_hit h;
	long found = 0;
	double t0 = secs();
	for (int k = 0; k < n; k++)
		found += f2b_dates_find(d, lines[k % NLINES], lens[k % NLINES], 1124013600, &h);
	double dt = secs() - t0;
	printf("%-30s %9.0f lines/s %6.0f ns/line  dates %ld/%d\n", label, n / dt, dt / n * 1e9, found, n);
	f2b_dates_free(d);
}

int
main(void)
{
	static const char *const apache[] = { "^[^\\[]*\\[({DATE})", "{^LN-BEG}" };
	static const char *const lnbeg[] = { "{^LN-BEG}" };

	setenv("TZ", "UTC", 1);
	tzset();
	run("syslog, defaults", NULL, 0,
	    "Aug 14 09:%02d:%02d host sshd[1234]: Failed password for root from 192.0.2.%d port 22 ssh2", 2000000);
	run("ISO 8601, defaults", NULL, 0,
	    "2005-08-14 09:%02d:%02d,123 fail2ban.actions [1]: NOTICE [sshd] Ban 192.0.2.%d", 2000000);
	run("CLF in brackets, defaults", NULL, 0,
	    "192.0.2.1 - - [14/Aug/2005:09:%02d:%02d +0000] \"GET /x/%d HTTP/1.1\" 404 1", 2000000);
	run("no date (digits), defaults", NULL, 0, "client %d sent %d bytes to 192.0.2.%d", 2000000);
	run("apache error log, apache-auth", apache, 2,
	    "[Sun Aug 14 09:%02d:%02d.123 2005] [error] [client 192.0.2.%d] user x not found", 2000000);
	run("syslog, {^LN-BEG}", lnbeg, 1,
	    "Aug 14 09:%02d:%02d host sshd[1234]: Failed password for root from 192.0.2.%d port 22 ssh2", 2000000);
	run("syslog, UTF-8 message", NULL, 0,
	    "Aug 14 09:%02d:%02d host sshd[1234]: Invalid user J\xc3\xbcrgen from 192.0.2.%d", 2000000);
	return 0;
}
