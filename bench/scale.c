/* scale.c - the C helper of bench/scale (docs/bench.md, "bench/scale").
 *
 *   bench-scale -n MEMBERS -p NETNS_PREFIX -d DIR [options]
 *
 * Member i (1..N) runs in network namespace PREFIX-m<i> and follows the log
 * DIR/m<i>/auth.log. The helper subscribes, in every member's namespace, to
 * the kernel's nftables notifications (nftev.c), then injects -k attacks,
 * one every -i ms, each at a member drawn at random (seeded by -s): the
 * attack is MAXRETRY "Failed password" lines for a fresh address of
 * 198.18.0.0/15, appended at once to that member's log, stamped with
 * CLOCK_MONOTONIC. A receiving member's latency is the time from that stamp
 * to the kernel's "new element" notification for the address in its cban4
 * set (coalition group; ban4 counts too); the reporter's own ban4 is shown
 * for reference only. Attacks overlap: the next one does not wait for the
 * previous to arrive everywhere. A ban that has not arrived at a receiver
 * -t ms after its attack is lost.
 *
 * With -P PID -K INDEX, the helper sends SIGKILL to PID (one nats-server
 * of the cluster) just before attack INDEX (0-based), and reports the
 * attacks before and after separately.
 *
 * Prints a table; writes "p50_ms p99_ms lost samples" to -o RESULT.
 * Exit 0 when nothing was lost, 3 otherwise. Only for benchmarks inside
 * throw-away network namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "nftev.h"

#define MEMBERS_MAX 1000
#define ATTACKS_MAX 10000	/* 198.18.0.1 .. 198.18.39.250 */

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-scale: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long
arg_long(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
		die("%s: `%s': expected %ld..%ld", what, s, min, max);
	return v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least q of the samples at or below it. */
static double
pct(const double *sorted, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);

	if (n == 0)
		return NAN;
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

/* Attack k's address: 198.18.(k / 250).(k % 250 + 1), network order. */
static uint32_t
attack_addr(int k)
{
	return htonl((198u << 24) | (18u << 16) | ((uint32_t)(k / 250) << 8) | (uint32_t)(k % 250 + 1));
}

static int
attack_index(uint32_t addr, int nattacks)
{
	uint32_t h = ntohl(addr);
	int k;

	if ((h >> 16) != ((198u << 8) | 18u) || (h & 0xff) == 0 || (h & 0xff) > 250)
		return -1;
	k = (int)((h >> 8) & 0xff) * 250 + (int)(h & 0xff) - 1;
	return k < nattacks ? k : -1;
}

struct run {
	int n, nattacks, sent;
	int64_t *t0;		/* [attack]: the append, 0: not yet */
	int *reporter;		/* [attack]: member index */
	int64_t *arrival;	/* [attack * n + member], 0: not yet */
	int64_t arrived;	/* receiver arrivals (reporter excluded) */
	int cur;		/* member whose socket is being read */
	int64_t now;
};

static void
on_element(uint32_t addr, bool coalition, void *arg)
{
	struct run *r = arg;
	int k = attack_index(addr, r->sent);
	int64_t *slot;

	(void)coalition;
	if (k < 0)
		return;
	slot = &r->arrival[(size_t)k * (size_t)r->n + (size_t)r->cur];
	if (*slot != 0)
		return;
	*slot = r->now;
	if (r->cur != r->reporter[k])
		r->arrived++;
}

static void
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write to a log: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
}

static void
inject(int fd, int k, int maxretry)
{
	char lines[4096], ts[32], ip[INET_ADDRSTRLEN];
	uint32_t a = attack_addr(k);
	size_t used = 0;
	time_t now = time(NULL);
	struct tm tm;

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	for (int j = 0; j < maxretry; j++) {
		int w = snprintf(lines + used, sizeof(lines) - used,
		    "%s bench sshd[%d]: Failed password for root from %s port %d ssh2\n",
		    ts, 10000 + k % 50000, ip, 40000 + j);
		if (w < 0 || (size_t)w >= sizeof(lines) - used)
			die("attack lines too long");
		used += (size_t)w;
	}
	write_all(fd, lines, used);
}

/* Latencies (ms) of receivers for attacks [from, to); lost counted. */
static size_t
collect(const struct run *r, int from, int to, int64_t deadline_ns, double *out, int64_t *lost)
{
	size_t n = 0;

	*lost = 0;
	for (int k = from; k < to; k++)
		for (int i = 0; i < r->n; i++) {
			int64_t t = r->arrival[(size_t)k * (size_t)r->n + (size_t)i];
			if (i == r->reporter[k])
				continue;
			if (t == 0 || t - r->t0[k] > deadline_ns)
				(*lost)++;
			else
				out[n++] = (double)(t - r->t0[k]) / 1e6;
		}
	qsort(out, n, sizeof(*out), cmp_double);
	return n;
}

static void
row(const char *what, const double *v, size_t n, int64_t lost)
{
	size_t over = 0;

	for (size_t i = 0; i < n; i++)
		over += v[i] > 100.0;
	printf("%-22s %8zu %6lld %8.1f %8.1f %8.1f %8.1f %8.1f %8zu\n", what, n, (long long)lost,
	    n ? v[0] : NAN, pct(v, n, 0.50), pct(v, n, 0.90), pct(v, n, 0.99), n ? v[n - 1] : NAN, over);
}

int
main(int argc, char **argv)
{
	const char *prefix = NULL, *dir = NULL, *result = NULL;
	int n = 0, nattacks = 200, interval_ms = 100, deadline_ms = 5000, maxretry = 3;
	int kill_at = -1, opt, ep;
	long kill_pid = 0;
	unsigned seed = 1;
	static char buf[1 << 17];

	while ((opt = getopt(argc, argv, "n:p:d:k:i:t:m:s:K:P:o:")) != -1) {
		switch (opt) {
		case 'n': n = (int)arg_long(optarg, 2, MEMBERS_MAX, "-n members"); break;
		case 'p': prefix = optarg; break;
		case 'd': dir = optarg; break;
		case 'k': nattacks = (int)arg_long(optarg, 1, ATTACKS_MAX, "-k attacks"); break;
		case 'i': interval_ms = (int)arg_long(optarg, 1, 60000, "-i interval ms"); break;
		case 't': deadline_ms = (int)arg_long(optarg, 100, 600000, "-t deadline ms"); break;
		case 'm': maxretry = (int)arg_long(optarg, 1, 20, "-m maxretry"); break;
		case 's': seed = (unsigned)arg_long(optarg, 0, 1L << 30, "-s seed"); break;
		case 'K': kill_at = (int)arg_long(optarg, 0, ATTACKS_MAX, "-K attack index"); break;
		case 'P': kill_pid = arg_long(optarg, 2, 1L << 30, "-P pid"); break;
		case 'o': result = optarg; break;
		default: return 2;
		}
	}
	if (n == 0 || prefix == NULL || dir == NULL || optind != argc || (kill_at >= 0) != (kill_pid > 0))
		die("usage: bench-scale -n MEMBERS -p NETNS_PREFIX -d DIR [-k ATTACKS] [-i INTERVAL_MS] "
		    "[-t DEADLINE_MS] [-m MAXRETRY] [-s SEED] [-K ATTACK_INDEX -P NATS_PID] [-o RESULT]");

	struct run r = { .n = n, .nattacks = nattacks };
	int *nlfd = calloc((size_t)n, sizeof(int)), *logfd = calloc((size_t)n, sizeof(int));
	r.t0 = calloc((size_t)nattacks, sizeof(int64_t));
	r.reporter = calloc((size_t)nattacks, sizeof(int));
	r.arrival = calloc((size_t)nattacks * (size_t)n, sizeof(int64_t));
	double *lat = calloc((size_t)nattacks * (size_t)n + 1, sizeof(double));
	if (nlfd == NULL || logfd == NULL || r.t0 == NULL || r.reporter == NULL || r.arrival == NULL ||
	    lat == NULL || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("out of memory / epoll");
	for (int i = 0; i < n; i++) {
		char ns[256], path[4096];
		snprintf(ns, sizeof(ns), "%s-m%d", prefix, i + 1);
		snprintf(path, sizeof(path), "%s/m%d/auth.log", dir, i + 1);
		nlfd[i] = nft_events_open(ns);
		if ((logfd[i] = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
			die("%s: %s", path, strerror(errno));
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, nlfd[i], &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	srandom(seed);

	const int64_t ival = (int64_t)interval_ms * 1000000LL, dl = (int64_t)deadline_ms * 1000000LL;
	const int64_t expected = (int64_t)nattacks * (n - 1);
	int64_t start = mono_ns(), next = start, kill_t = 0, overruns = 0;
	for (;;) {
		int64_t now = mono_ns();
		if (r.sent < nattacks && now >= next) {
			int k = r.sent, m = (int)(random() % n);
			if (k == kill_at) {
				if (kill(kill_pid, SIGKILL) != 0)
					die("kill %ld: %s", kill_pid, strerror(errno));
				kill_t = mono_ns();
				printf("bench-scale: nats-server pid %ld killed before attack %d (%.1f s into the run)\n",
				    kill_pid, k + 1, (double)(kill_t - start) / 1e9);
				fflush(stdout);
			}
			r.reporter[k] = m;
			r.sent++;
			r.t0[k] = mono_ns();
			inject(logfd[m], k, maxretry);
			next += ival;
			continue;
		}
		int64_t until;
		if (r.sent < nattacks)
			until = next;
		else if (r.arrived >= expected)
			break;
		else
			until = r.t0[nattacks - 1] + dl;
		if (now >= until && r.sent >= nattacks)
			break;
		int wait_ms = (int)((until - now + 999999) / 1000000);
		struct epoll_event evs[64];
		int ne = epoll_wait(ep, evs, 64, wait_ms);
		if (ne < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int e = 0; e < ne; e++) {
			int i = (int)evs[e].data.u32;
			ssize_t got;
			while ((got = recv(nlfd[i], buf, sizeof(buf), MSG_DONTWAIT)) > 0 ||
			    (got < 0 && errno == ENOBUFS)) {
				if (got < 0) {
					overruns++;
					continue;
				}
				r.now = mono_ns();
				r.cur = i;
				nft_events_each(buf, (int)got, on_element, &r);
			}
		}
	}
	double run_s = (double)(mono_ns() - start) / 1e9;

	printf("bench-scale: %d attacks at random members of %d, one every %d ms (%.1f s); deadline %d ms%s\n",
	    nattacks, n, interval_ms, run_s, deadline_ms, overruns ? " (netlink overruns!)" : "");
	printf("%-22s %8s %6s %8s %8s %8s %8s %8s %8s\n", "attacks", "samples", "lost", "min ms",
	    "p50 ms", "p90 ms", "p99 ms", "max ms", ">100ms");
	int64_t lost, lost_all;
	size_t nl;
	if (kill_at > 0 && kill_at < nattacks) {
		char what[64];
		snprintf(what, sizeof(what), "1..%d (before kill)", kill_at);
		nl = collect(&r, 0, kill_at, dl, lat, &lost);
		row(what, lat, nl, lost);
		snprintf(what, sizeof(what), "%d..%d (after kill)", kill_at + 1, nattacks);
		nl = collect(&r, kill_at, nattacks, dl, lat, &lost);
		row(what, lat, nl, lost);
	}
	/* The reporters' own (local) bans, for reference. */
	size_t nloc = 0;
	for (int k = 0; k < nattacks; k++) {
		int64_t t = r.arrival[(size_t)k * (size_t)n + (size_t)r.reporter[k]];
		if (t != 0)
			lat[nloc++] = (double)(t - r.t0[k]) / 1e6;
	}
	qsort(lat, nloc, sizeof(*lat), cmp_double);
	row("reporter (local ban)", lat, nloc, nattacks - (int64_t)nloc);
	nl = collect(&r, 0, nattacks, dl, lat, &lost_all);
	row("all receivers", lat, nl, lost_all);
	if (lost_all > 0) {
		int shown = 0;
		for (int k = 0; k < nattacks && shown < 10; k++)
			for (int i = 0; i < n && shown < 10; i++) {
				int64_t t = r.arrival[(size_t)k * (size_t)n + (size_t)i];
				if (i != r.reporter[k] && (t == 0 || t - r.t0[k] > dl)) {
					fprintf(stderr, "bench-scale: attack %d (from m%d): m%d %s\n", k + 1,
					    r.reporter[k] + 1, i + 1, t == 0 ? "never banned" : "banned late");
					shown++;
				}
			}
	}
	if (result != NULL) {
		FILE *f = fopen(result, "w");
		if (f == NULL || fprintf(f, "%.1f %.1f %lld %zu\n", pct(lat, nl, 0.50), pct(lat, nl, 0.99),
		    (long long)lost_all, nl) < 0 || fclose(f) != 0)
			die("%s: %s", result, strerror(errno));
	}
	return lost_all == 0 ? 0 : 3;
}
