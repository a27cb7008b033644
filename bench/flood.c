/* flood.c - the C helper of bench/propagation (docs/bench.md, "Coalition").
 *
 *   bench-flood rounds [options] NAME=NETNS...
 *	Propagation latency. Subscribes, in every listed network namespace,
 *	to the kernel's nftables notifications (NFNLGRP_NFTABLES: one netlink
 *	socket per namespace, created after setns(2) into /run/netns/NETNS),
 *	then for each round appends maxretry "Failed password" lines for a
 *	fresh attacker address to the reporter's log file and stamps the
 *	append of the last line with CLOCK_MONOTONIC. The latency of a member
 *	is the time from that stamp to the arrival of the kernel's "new set
 *	element" notification for the address in that member's ban4 set
 *	(the reporter) or cban4 set (the others, coalition group): the
 *	element is in the kernel from then on. No set is ever listed and no
 *	process is started per sample. The first NAME is the reporter (its
 *	own, local, ban is shown for reference, not aggregated).
 *
 *   bench-flood flood [options]
 *	Flood of valid reports, published as one member with the project's
 *	own modules (wire.c, identity.c, transport.c; the chain head is read
 *	from that member's ledger, whose daemon must be stopped), while the
 *	receiving daemon is watched through its control socket (`json
 *	status`, `json members`) and /proc/PID/stat (utime + stime).
 *
 *   bench-flood trickle [options] -c SOCKET...
 *	The CPU a receiving member spends per envelope (bench/rx-cost): as
 *	flood, publishes as one member, but envelopes of one report, one at
 *	a time, a gap apart, as attacks arrive in normal operation. Before
 *	and after, the utime + stime of both of each receiver's processes
 *	(the worker, and the privileged enforcer process that applies to the
 *	kernel); first the same over an idle stretch as long as the run, the
 *	background (one-second tick, heartbeat) a reader may subtract.
 *
 * Only for benchmarks inside throw-away network namespaces.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <nats/nats.h>
#include <sodium.h>

#include "coalition/identity.h"
#include "coalition/transport.h"
#include "coalition/wire.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/ledger.h"
#include "nftev.h"

#define MEMBERS_MAX 64
#define ROUNDS_MAX 1000

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-flood: ");
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

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
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

/* --- rounds: nftables notifications per namespace ----------------------- */

struct member {
	char name[32];
	int fd;
	double lat_ms[ROUNDS_MAX];
	int nlat, missed;
	bool seen;		/* this round */
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least q of the samples at or below it. */
static double
pct(const double *sorted, int n, double q)
{
	int rank = (int)ceil(q * n);

	if (n == 0)
		return NAN;
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static void
summary_line(const char *name, const char *role, double *v, int n, int missed)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-14s %-9s %7d %6d %8.1f %8.1f %8.1f %8.1f %8.1f\n", name, role, n, missed,
	    n ? v[0] : NAN, pct(v, n, 0.50), pct(v, n, 0.90), pct(v, n, 0.99), n ? v[n - 1] : NAN);
}

static void
attack_line(char *out, size_t n, const char *ip, int pid, int port)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	snprintf(out, n, "%s bench sshd[%d]: Failed password for root from %s port %d ssh2\n",
	    ts, pid, ip, port);
}

static void
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write to the log: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
}

/* Wire tap: a plain NATS subscriber in the hub's namespace stamps the
 * arrival of each envelope the reporter publishes (its subjects are
 * a5.<coalition>.r.*), splitting the latency in "reporter: detect, commit,
 * publish" and "hub to member: store, deliver, verify, apply". The socket
 * is made inside the hub's namespace (setns around the connect); libnats'
 * reconnects, if any, would not be. */
static _Atomic int64_t tap_first;	/* first arrival since the reset, 0: none */

static void
tap_on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	int64_t t = mono_ns(), zero = 0;

	(void)nc; (void)sub; (void)closure;
	atomic_compare_exchange_strong(&tap_first, &zero, t);
	natsMsg_Destroy(msg);
}

static natsConnection *
tap_open(const char *ns, const char *url, const char *subject, natsSubscription **subp)
{
	char path[256];
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	int self, target;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if ((self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
	    (target = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		die("%s: %s", path, strerror(errno));
	if (setns(target, CLONE_NEWNET) != 0)
		die("setns %s: %s", path, strerror(errno));
	if (natsConnection_ConnectTo(&nc, url) != NATS_OK ||
	    natsConnection_Subscribe(&sub, nc, subject, tap_on_msg, NULL) != NATS_OK ||
	    natsConnection_Flush(nc) != NATS_OK)
		die("wire tap: %s %s: %s", url, subject, nats_GetLastError(NULL));
	if (setns(self, CLONE_NEWNET) != 0)
		die("setns back: %s", strerror(errno));
	close(self);
	close(target);
	*subp = sub;
	return nc;
}

static int
cmd_rounds(int argc, char **argv)
{
	const char *logpath = NULL, *result = NULL, *tap_ns = NULL, *tap_url = NULL, *tap_subj = NULL;
	static double tap_ms[ROUNDS_MAX];
	int ntap = 0, tap_missed = 0;
	int maxretry = 3, rounds = 50, timeout_ms = 5000, gap_ms = 50, pre_ms = 30;
	struct member *m;
	int nm = 0, opt, ep;

	while ((opt = getopt(argc, argv, "l:m:k:t:g:p:o:N:U:S:")) != -1) {
		switch (opt) {
		case 'N': tap_ns = optarg; break;
		case 'U': tap_url = optarg; break;
		case 'S': tap_subj = optarg; break;
		case 'l': logpath = optarg; break;
		case 'm': maxretry = (int)arg_long(optarg, 1, 100, "-m maxretry"); break;
		case 'k': rounds = (int)arg_long(optarg, 1, ROUNDS_MAX, "-k rounds"); break;
		case 't': timeout_ms = (int)arg_long(optarg, 100, 60000, "-t timeout ms"); break;
		case 'g': gap_ms = (int)arg_long(optarg, 0, 10000, "-g gap ms"); break;
		case 'p': pre_ms = (int)arg_long(optarg, 0, 10000, "-p ms"); break;
		case 'o': result = optarg; break;
		default: return 2;
		}
	}
	if (logpath == NULL || optind + 2 > argc || argc - optind > MEMBERS_MAX)
		die("usage: bench-flood rounds -l LOG [-m MAXRETRY] [-k ROUNDS] [-t TIMEOUT_MS] "
		    "[-g GAP_MS] [-p PRE_MS] [-o RESULT] [-N HUB_NETNS -U NATS_URL -S SUBJECT] "
		    "REPORTER=NETNS MEMBER=NETNS...");
	if ((tap_ns != NULL) != (tap_url != NULL) || (tap_url != NULL) != (tap_subj != NULL))
		die("-N, -U and -S go together");
	m = calloc((size_t)(argc - optind), sizeof(*m));
	if (m == NULL || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("out of memory / epoll");
	for (int i = optind; i < argc; i++, nm++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(m[nm].name))
			die("`%s': NAME=NETNS expected", argv[i]);
		snprintf(m[nm].name, sizeof(m[nm].name), "%.*s", (int)(eq - argv[i]), argv[i]);
		m[nm].fd = nft_events_open(eq + 1);
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)nm };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, m[nm].fd, &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	natsSubscription *tap_sub = NULL;
	natsConnection *tap = tap_ns != NULL ? tap_open(tap_ns, tap_url, tap_subj, &tap_sub) : NULL;
	int logfd = open(logpath, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (logfd < 0)
		die("%s: %s", logpath, strerror(errno));

	static char buf[1 << 17];
	for (int r = 0; r < rounds; r++) {
		char ip[32], lines[4096], one[256];
		struct in_addr ia;
		size_t used = 0;

		/* Fresh attackers: 203.0.113.1-250, then 198.18.0.0/15. */
		if (r < 250)
			snprintf(ip, sizeof(ip), "203.0.113.%d", r + 1);
		else
			snprintf(ip, sizeof(ip), "198.18.%d.%d", (r - 250) / 250, (r - 250) % 250 + 1);
		inet_pton(AF_INET, ip, &ia);
		for (int i = 0; i < nm; i++)
			m[i].seen = false;
		/* Drain anything left from earlier rounds. */
		for (int i = 0; i < nm; i++)
			while (recv(m[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
		/* The first maxretry-1 failures, then (pre_ms later, once the
		 * daemon has read them) the one that triggers the ban. */
		for (int j = 0; j < maxretry - 1; j++) {
			attack_line(one, sizeof(one), ip, 20000 + r * 64 + j, 40000 + j);
			used += (size_t)snprintf(lines + used, sizeof(lines) - used, "%s", one);
			if (used >= sizeof(lines) - 256)
				die("too many lines");
		}
		if (used > 0) {
			write_all(logfd, lines, used);
			sleep_ms(pre_ms);
		}
		attack_line(one, sizeof(one), ip, 20000 + r * 64 + maxretry, 40000 + maxretry);
		atomic_store(&tap_first, 0);
		int64_t t0 = mono_ns();
		write_all(logfd, one, strlen(one));

		int pending = nm;
		int64_t deadline = t0 + (int64_t)timeout_ms * 1000000LL;
		while (pending > 0) {
			struct epoll_event evs[MEMBERS_MAX];
			int64_t left = (deadline - mono_ns()) / 1000000LL;
			if (left < 0)
				break;
			int n = epoll_wait(ep, evs, MEMBERS_MAX, (int)left + 1);
			if (n < 0 && errno != EINTR)
				die("epoll_wait: %s", strerror(errno));
			for (int e = 0; e < n; e++) {
				struct member *mm = &m[evs[e].data.u32];
				ssize_t got;
				while ((got = recv(mm->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0 ||
				    (got < 0 && errno == ENOBUFS)) {
					int64_t t = mono_ns();
					if (got < 0) {
						fprintf(stderr, "bench-flood: %s: netlink overrun\n", mm->name);
						continue;
					}
					if (!mm->seen && nft_events_has(buf, (int)got, ia.s_addr)) {
						mm->seen = true;
						mm->lat_ms[mm->nlat++] = (double)(t - t0) / 1e6;
						pending--;
					}
				}
			}
		}
		if (tap != NULL) {
			/* The tap's libnats thread may run after the members'
			 * events were read: give it a moment. */
			for (int w = 0; w < 100 && atomic_load(&tap_first) == 0; w++)
				sleep_ms(5);
			int64_t tt = atomic_load(&tap_first);
			if (tt > t0)
				tap_ms[ntap++] = (double)(tt - t0) / 1e6;
			else
				tap_missed++;
		}
		for (int i = 0; i < nm; i++)
			if (!m[i].seen) {
				m[i].missed++;
				fprintf(stderr, "bench-flood: round %d: %s did not ban %s within %d ms\n",
				    r + 1, m[i].name, ip, timeout_ms);
			}
		sleep_ms(gap_ms);
	}
	close(logfd);
	if (tap != NULL) {
		natsSubscription_Unsubscribe(tap_sub);
		natsSubscription_Destroy(tap_sub);
		natsConnection_Close(tap);
		natsConnection_Destroy(tap);
		nats_CloseAndWait(1000);
		tap = NULL;
	}
	for (int i = 0; i < nm; i++)
		close(m[i].fd);
	close(ep);

	/* Aggregate over every (round, receiving member). */
	double *all = calloc((size_t)rounds * (size_t)nm + 1, sizeof(double));
	int nall = 0, missed = 0;
	if (all == NULL)
		die("out of memory");
	for (int i = 1; i < nm; i++) {
		memcpy(all + nall, m[i].lat_ms, (size_t)m[i].nlat * sizeof(double));
		nall += m[i].nlat;
		missed += m[i].missed;
	}
	printf("%-14s %-9s %7s %6s %8s %8s %8s %8s %8s\n", "member", "role", "samples", "missed",
	    "min ms", "p50 ms", "p90 ms", "p99 ms", "max ms");
	summary_line(m[0].name, "reporter", m[0].lat_ms, m[0].nlat, m[0].missed);
	for (int i = 1; i < nm; i++)
		summary_line(m[i].name, "receiver", m[i].lat_ms, m[i].nlat, m[i].missed);
	summary_line("all receivers", "", all, nall, missed);
	if (ntap > 0 || tap_missed > 0) {
		summary_line("hub (tap)", "wire", tap_ms, ntap, tap_missed);
		printf("(hub: the envelope's arrival at a plain NATS subscriber in the hub's namespace)\n");
	}
	char line[160];
	snprintf(line, sizeof(line), "propagation: members=%d p50=%.1f ms p99=%.1f ms", nm,
	    pct(all, nall, 0.50), pct(all, nall, 0.99));
	if (result != NULL) {
		FILE *f = fopen(result, "w");
		if (f == NULL || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0)
			die("%s: %s", result, strerror(errno));
	} else
		printf("%s\n", line);
	int rc = missed == 0 && m[0].missed == 0 ? 0 : 3;
	free(all);
	free(m);
	return rc;
}

/* --- flood: publish as one member, watch the receiver ------------------- */

/* One control request ("json status", "json members"); the answer in buf. */
static int
control(const char *sock, const char *req, char *buf, size_t n)
{
	struct sockaddr_un sa;
	size_t used = 0;
	ssize_t r;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	while (used + 1 < n && (r = read(fd, buf + used, n - 1 - used)) > 0)
		used += (size_t)r;
	buf[used] = '\0';
	close(fd);
	return used > 0 ? 0 : -1;
}

static uint64_t
json_u64(const char *s, const char *key)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	if (s == NULL || (p = strstr(s, pat)) == NULL)
		return 0;
	return strtoull(p + strlen(pat), NULL, 10);
}

struct rx {
	uint64_t applied, nft_applied, nft_commits, nft_failed, received;
	uint64_t accepted, refused, refused_rate;
	long pid, enforcer_pid;		/* the worker, and the process applying to the kernel */
};

/* The receiver's counters from `json members` (decided reports); `key`
 * selects the flooding member. */
static int
rx_members(const char *sock, const char *key, struct rx *x)
{
	static char buf[1 << 20];
	char pat[128];
	const char *p, *q;

	x->accepted = x->refused = x->refused_rate = 0;
	if (control(sock, "json members\n", buf, sizeof(buf)) != 0)
		return -1;
	snprintf(pat, sizeof(pat), "\"key\": \"%s\"", key);
	if ((p = strstr(buf, pat)) == NULL)
		return -1;
	x->accepted = json_u64(p, "accepted");
	if ((p = strstr(p, "\"refused\": {")) == NULL || (q = strchr(p, '}')) == NULL)
		return -1;
	x->refused_rate = 0;
	for (p += strlen("\"refused\": {"); p < q;) {
		const char *colon = strchr(p, ':');
		if (colon == NULL || colon > q)
			break;
		uint64_t v = strtoull(colon + 1, NULL, 10);
		x->refused += v;
		if (strncmp(p, "\"rate\"", 6) == 0)
			x->refused_rate += v;
		p = strchr(colon, ',');
		if (p == NULL || p > q)
			break;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
}

/* All of them: `json status` (applied, nft, pid), then `json members`.
 * Only at the start and the end of a phase: status counts the ledger's
 * bans (a query over all of them), which polled every few milliseconds
 * would be a cost of the benchmark charged to the receiver. */
static int
rx_read(const char *sock, const char *key, struct rx *x)
{
	static char buf[1 << 20];

	memset(x, 0, sizeof(*x));
	if (control(sock, "json status\n", buf, sizeof(buf)) != 0 || strstr(buf, "\"pid\"") == NULL)
		return -1;
	x->pid = (long)json_u64(buf, "pid");
	x->enforcer_pid = (long)json_u64(buf, "enforcer_pid");
	x->applied = json_u64(buf, "remote_applied");
	x->nft_applied = json_u64(buf, "nft_applied");
	x->nft_commits = json_u64(buf, "nft_commits");
	x->nft_failed = json_u64(buf, "nft_failed");
	x->received = json_u64(buf, "received");
	return rx_members(sock, key, x);
}

/* utime + stime of a process (all its threads), seconds. */
static double
cpu_sec(long pid)
{
	char path[64], buf[4096], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after "(comm)": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

struct chain {
	uint64_t seq;
	uint8_t head[WIRE_HASH_BYTES];
};

struct encoded {
	uint8_t *data;
	size_t len;
	char msgid[WIRE_LINK_MSGID_MAX];
};

/* Encodes n envelopes of `per` reports, continuing the chain; attacker
 * number `*next` onwards in 198.18.0.0/15 (wraps after 131072). */
static struct encoded *
encode_all(int n, int per, const struct identity *id, const char *coalition,
    struct chain *c, uint64_t *next, uint32_t ttl)
{
	struct encoded *out = calloc((size_t)n, sizeof(*out));
	struct wire_envelope *e = calloc(1, sizeof(*e));
	static uint8_t buf[WIRE_ENVELOPE_MAX];

	if (out == NULL || e == NULL)
		die("out of memory");
	for (int k = 0; k < n; k++) {
		int64_t now = now_sec();

		memset(e, 0, sizeof(*e));
		wire_coalition_id(coalition, e->coalition);
		memcpy(e->reporter, id->pk, ID_PUBLIC_BYTES);
		e->nreports = (size_t)per;
		for (int i = 0; i < per; i++) {
			struct wire_report *r = &e->reports[i];
			uint32_t a = 0xc6120000u + (uint32_t)(*next % 131072u);	/* 198.18.0.0 + n */

			(*next)++;
			r->seq = ++c->seq;
			memcpy(r->prev, c->head, WIRE_HASH_BYTES);
			r->timestamp_us = (uint64_t)now_usec();
			r->prefix.family = A5_AF_INET;
			r->prefix.len = 32;
			r->prefix.addr[0] = (uint8_t)(a >> 24);
			r->prefix.addr[1] = (uint8_t)(a >> 16);
			r->prefix.addr[2] = (uint8_t)(a >> 8);
			r->prefix.addr[3] = (uint8_t)a;
			strlcpy_ok(r->service, "sshd", sizeof(r->service));
			strlcpy_ok(r->rule, "failed-password", sizeof(r->rule));
			r->evidence = 5;
			r->first_seen = r->last_seen = (uint64_t)now;
			r->ttl = ttl;
			wire_report_hash(r, id->pk, c->head);
		}
		size_t len = wire_encode(e, id, buf, sizeof(buf));
		if (len == 0)
			die("wire_encode refused envelope %d", k);
		if ((out[k].data = malloc(len)) == NULL)
			die("out of memory");
		memcpy(out[k].data, buf, len);
		out[k].len = len;
		wire_link_msgid(id->pk, "", e->reports[0].seq, buf, len, out[k].msgid, sizeof(out[k].msgid));
	}
	free(e);
	return out;
}

struct flood_opts {
	const char *sock, *key_text;
	long nats_pid;
	int timeout_s, poll_ms;
};

struct phase_result {
	uint64_t reports, decided, applied, accepted, refused, refused_rate;
	uint64_t nft_applied, nft_commits, nft_failed;
	double wall, publish, cpu, hub_cpu;
	int envelopes;
	size_t bytes;
	bool complete;
};

static void
phase_run(struct transport *tr, struct encoded *env, int n, int per,
    const struct flood_opts *o, struct phase_result *pr)
{
	struct rx a, b = { 0 };

	memset(pr, 0, sizeof(*pr));
	if (rx_read(o->sock, o->key_text, &a) != 0)
		die("%s: cannot read the receiver's status and members", o->sock);
	/* Both of the receiver's processes: the worker verifies and records,
	 * the enforcer process applies to the kernel (docs/privsep.md). */
	double cpu0 = cpu_sec(a.pid) + cpu_sec(a.enforcer_pid), hub0 = cpu_sec(o->nats_pid);
	int64_t t0 = mono_ns();
	for (int k = 0; k < n; k++) {
		int tries = 0;
		while (transport_publish(tr, env[k].data, env[k].len, env[k].msgid) != 0) {
			if (++tries >= 5)
				die("publish %s: %s", env[k].msgid, transport_errmsg(tr));
			sleep_ms(100);
		}
		pr->bytes += env[k].len;
	}
	int64_t tpub = mono_ns();
	uint64_t want = (uint64_t)n * (uint64_t)per;
	int64_t deadline = t0 + (int64_t)o->timeout_s * 1000000000LL;
	for (;;) {
		int64_t now = mono_ns();
		if (rx_members(o->sock, o->key_text, &b) == 0 &&
		    b.accepted + b.refused - a.accepted - a.refused >= want) {
			/* Every report decided: a control request commits what
			 * is queued first, so status now shows them applied. */
			if (rx_read(o->sock, o->key_text, &b) != 0)
				die("%s: cannot read the receiver's status and members", o->sock);
			pr->complete = true;
			break;
		}
		if (now > deadline) {
			/* what it got to, for the report of an incomplete phase */
			if (rx_read(o->sock, o->key_text, &b) != 0)
				b = a;
			break;
		}
		sleep_ms(o->poll_ms);
	}
	int64_t t1 = mono_ns();
	pr->cpu = cpu_sec(a.pid) + cpu_sec(a.enforcer_pid) - cpu0;
	pr->hub_cpu = o->nats_pid > 0 ? cpu_sec(o->nats_pid) - hub0 : NAN;
	pr->envelopes = n;
	pr->reports = want;
	pr->accepted = b.accepted - a.accepted;
	pr->refused = b.refused - a.refused;
	pr->refused_rate = b.refused_rate - a.refused_rate;
	pr->decided = pr->accepted + pr->refused;
	pr->applied = b.applied - a.applied;
	pr->nft_applied = b.nft_applied - a.nft_applied;
	pr->nft_commits = b.nft_commits - a.nft_commits;
	pr->nft_failed = b.nft_failed - a.nft_failed;
	pr->wall = (double)(t1 - t0) / 1e9;
	pr->publish = (double)(tpub - t0) / 1e9;
}

static void
phase_print(const char *label, const struct phase_result *p)
{
	printf("%s: %d envelopes (%.1f MB) published in %.2f s; %llu reports decided in %.2f s%s: "
	    "applied %llu, refused %llu (rate %llu); nft %llu elements in %llu transactions, "
	    "%llu failed; receiver CPU %.2f s, hub CPU %.2f s\n",
	    label, p->envelopes, (double)p->bytes / 1e6, p->publish,
	    (unsigned long long)p->decided, p->wall, p->complete ? "" : " (TIMEOUT: incomplete)",
	    (unsigned long long)p->applied, (unsigned long long)p->refused,
	    (unsigned long long)p->refused_rate, (unsigned long long)p->nft_applied,
	    (unsigned long long)p->nft_commits, (unsigned long long)p->nft_failed, p->cpu, p->hub_cpu);
}

/* The member's own chain head as its ledger holds it ("seq:hexhash" in v):
 * 1, 0 (none yet) or -1. */
static int
chain_self_read(const char *ledgerdb, char *v, size_t n)
{
	struct ledger *l;
	char err[512];

	if (ledger_open(ledgerdb, &l, err, sizeof(err)) != 0)
		die("%s", err);
	int got = ledger_state_get(l, "chain:self", v, n);
	ledger_close(l);
	return got;
}

/* Logging and libsodium set up, then the member's key, its text and its
 * subject token (hex of 8 bytes). */
static void
member_load(const char *keyfile, struct identity *id, char pk_text[ID_PUBLIC_TEXT_MAX],
    char self_hex[17])
{
	char err[512];

	log_init("bench-flood", 0, 0);
	if (sodium_init() < 0)
		die("sodium_init failed");
	if (identity_load(keyfile, id, err, sizeof(err)) != 0)
		die("%s", err);
	identity_pk_to_text(id->pk, pk_text, ID_PUBLIC_TEXT_MAX);
	sodium_bin2hex(self_hex, 17, id->pk, 8);
}

/* This member's publishing end: no subscription, the stream is not pushed
 * back to this process. */
static struct transport *
publisher_open(const char *url, const char *coalition, const char *self_hex)
{
	const char *urls[1] = { url };
	struct transport_config tc;
	char err[512];

	memset(&tc, 0, sizeof(tc));
	tc.urls = urls;
	tc.nurls = 1;
	tc.coalition = coalition;
	tc.self = self_hex;
	tc.publish_only = true;
	struct transport *tr = transport_open(&tc, err, sizeof(err));
	if (tr == NULL)
		die("%s", err);
	return tr;
}

static int
cmd_flood(int argc, char **argv)
{
	const char *url = NULL, *coalition = NULL, *keyfile = NULL, *ledgerdb = NULL;
	struct flood_opts o = { NULL, NULL, 0, 60, 50 };
	int envelopes = 2000, budget = 230, per = WIRE_REPORTS_MAX, opt;
	uint32_t ttl = 3600;

	while ((opt = getopt(argc, argv, "u:n:k:l:c:e:a:r:T:P:i:")) != -1) {
		switch (opt) {
		case 'u': url = optarg; break;
		case 'n': coalition = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'l': ledgerdb = optarg; break;
		case 'c': o.sock = optarg; break;
		case 'e': envelopes = (int)arg_long(optarg, 1, 100000, "-e envelopes"); break;
		case 'a': budget = (int)arg_long(optarg, 0, 100000, "-a envelopes in phase 1"); break;
		case 'r': per = (int)arg_long(optarg, 1, WIRE_REPORTS_MAX, "-r reports per envelope"); break;
		case 'T': o.timeout_s = (int)arg_long(optarg, 1, 3600, "-T timeout s"); break;
		case 'P': o.nats_pid = arg_long(optarg, 1, 1L << 30, "-P pid"); break;
		case 'i': o.poll_ms = (int)arg_long(optarg, 5, 10000, "-i poll ms"); break;
		default: return 2;
		}
	}
	if (url == NULL || coalition == NULL || keyfile == NULL || ledgerdb == NULL || o.sock == NULL)
		die("usage: bench-flood flood -u NATS_URL -n COALITION -k MEMBER_KEY -l MEMBER_LEDGER "
		    "-c RECEIVER_CONTROL_SOCKET [-e ENVELOPES] [-a PHASE1_ENVELOPES] [-r REPORTS] "
		    "[-T TIMEOUT_S] [-P NATS_PID] [-i POLL_MS]");
	if (budget > envelopes)
		budget = envelopes;
	struct identity id;
	char pk_text[ID_PUBLIC_TEXT_MAX], self_hex[17];
	member_load(keyfile, &id, pk_text, self_hex);
	o.key_text = pk_text;

	/* The member's chain head, as its (stopped) daemon left it. */
	struct chain c = { 0, { 0 } };
	char v[LEDGER_STATE_MAX];
	int got = chain_self_read(ledgerdb, v, sizeof(v));
	if (got == 1) {
		char *colon = strchr(v, ':');
		size_t bl;
		if (colon == NULL)
			die("%s: bad chain head `%s'", ledgerdb, v);
		*colon = '\0';
		c.seq = strtoull(v, NULL, 10);
		if (sodium_hex2bin(c.head, sizeof(c.head), colon + 1, strlen(colon + 1), NULL, &bl,
		    NULL) != 0 || bl != sizeof(c.head))
			die("%s: bad chain hash", ledgerdb);
	} else if (got < 0)
		die("%s: chain head unreadable", ledgerdb);
	printf("flood: publishing as %s (%s), chain head #%llu\n", pk_text, self_hex,
	    (unsigned long long)c.seq);

	struct transport *tr = publisher_open(url, coalition, self_hex);

	/* Phase 1: within the charter's rate budget: every report is applied.
	 * Phase 2: the rest, beyond the budget: mostly refused (rate). */
	uint64_t next = 65536;	/* from 198.19.0.0: clear of the rounds' addresses */
	struct phase_result p1, p2;
	int64_t te = mono_ns();
	struct encoded *env = encode_all(envelopes, per, &id, coalition, &c, &next, ttl);
	printf("flood: %d envelopes of %d reports encoded and signed in %.2f s (%zu bytes each)\n",
	    envelopes, per, (double)(mono_ns() - te) / 1e9, env[0].len);
	fflush(stdout);

	int rc = 0;
	if (budget > 0) {
		phase_run(tr, env, budget, per, &o, &p1);
		phase_print("flood phase 1 (within the rate budget)", &p1);
		if (!p1.complete)
			rc = 3;
	}
	if (envelopes > budget) {
		phase_run(tr, env + budget, envelopes - budget, per, &o, &p2);
		phase_print("flood phase 2 (beyond the rate budget)", &p2);
		printf("flood-overload: reports=%llu decided=%llu applied=%llu in %.2f s, "
		    "%.0f reports/s wall, %.0f reports/s per CPU-second\n",
		    (unsigned long long)p2.reports, (unsigned long long)p2.decided,
		    (unsigned long long)p2.applied, p2.wall, (double)p2.decided / p2.wall,
		    p2.cpu > 0 ? (double)p2.decided / p2.cpu : NAN);
		if (!p2.complete)
			rc = 3;
	}
	if (budget > 0)
		printf("flood: reports=%llu applied=%llu in %.2f s, %.0f reports/s wall, "
		    "%.0f reports/s per CPU-second\n",
		    (unsigned long long)p1.reports, (unsigned long long)p1.applied, p1.wall,
		    (double)p1.applied / p1.wall, p1.cpu > 0 ? (double)p1.applied / p1.cpu : NAN);
	fflush(stdout);
	for (int k = 0; k < envelopes; k++)
		free(env[k].data);
	free(env);
	transport_close(tr);
	transport_library_close();
	identity_wipe(&id);
	return rc;
}

/* --- trickle: single-report envelopes one at a time ------------------- */

#define TRICKLE_RX_MAX 8

/* utime + stime of a process (all its threads), clock ticks. */
static unsigned long long
cpu_ticks(long pid)
{
	char path[64], buf[4096], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		die("%s: unreadable", path);
	return ut + st;
}

/* Context switches of a process, all its threads (voluntary and not): a
 * count that CPU time's noise does not blur, and what a wake-up between
 * threads or processes costs shows in it. */
static unsigned long long
switches(long pid)
{
	char path[64], line[128];
	unsigned long long sum = 0, v;
	DIR *dir;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	if ((dir = opendir(path)) == NULL)
		die("%s: %s", path, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		char st[300];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(st, sizeof(st), "/proc/%ld/task/%s/status", pid, de->d_name);
		if ((f = fopen(st, "r")) == NULL)
			continue;	/* a thread that just ended */
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1 ||
			    sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
				sum += v;
		fclose(f);
	}
	closedir(dir);
	return sum;
}

struct trickle_rx {
	const char *sock;
	struct rx start;
	unsigned long long worker0, enforcer0, worker_idle, enforcer_idle, switches0;
	double worker_us, enforcer_us, switches;	/* per envelope */
};

static void
trickle_ticks(struct trickle_rx *r, unsigned long long *w, unsigned long long *e)
{
	*w = cpu_ticks(r->start.pid);
	*e = cpu_ticks(r->start.enforcer_pid);
}

static int
cmd_trickle(int argc, char **argv)
{
	const char *url = NULL, *coalition = NULL, *keyfile = NULL, *ledgerdb = NULL;
	struct trickle_rx rx[TRICKLE_RX_MAX];
	int envelopes = 500, gap_ms = 4, timeout_s = 60, nrx = 0, opt;

	memset(rx, 0, sizeof(rx));
	while ((opt = getopt(argc, argv, "u:n:k:l:c:e:g:T:")) != -1) {
		switch (opt) {
		case 'u': url = optarg; break;
		case 'n': coalition = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'l': ledgerdb = optarg; break;
		case 'c':
			if (nrx == TRICKLE_RX_MAX)
				die("at most %d receivers (-c)", TRICKLE_RX_MAX);
			rx[nrx++].sock = optarg;
			break;
		case 'e': envelopes = (int)arg_long(optarg, 1, 20000, "-e envelopes"); break;
		case 'g': gap_ms = (int)arg_long(optarg, 0, 1000, "-g gap ms"); break;
		case 'T': timeout_s = (int)arg_long(optarg, 1, 3600, "-T timeout s"); break;
		default: return 2;
		}
	}
	if (url == NULL || coalition == NULL || keyfile == NULL || ledgerdb == NULL || nrx == 0)
		die("usage: bench-flood trickle -u NATS_URL -n COALITION -k MEMBER_KEY -l MEMBER_LEDGER "
		    "-c RECEIVER_CONTROL_SOCKET... [-e ENVELOPES] [-g GAP_MS] [-T TIMEOUT_S]");
	struct identity id;
	char pk_text[ID_PUBLIC_TEXT_MAX], self_hex[17];
	member_load(keyfile, &id, pk_text, self_hex);
	/* A fresh chain: the member's daemon never ran, or its ledger says. */
	struct chain c = { 0, { 0 } };
	char v[LEDGER_STATE_MAX];
	int got = chain_self_read(ledgerdb, v, sizeof(v));
	if (got != 0)
		die("%s: the member has a chain already; trickle starts one", ledgerdb);

	struct transport *tr = publisher_open(url, coalition, self_hex);

	for (int i = 0; i < nrx; i++)
		if (rx_read(rx[i].sock, pk_text, &rx[i].start) != 0 || rx[i].start.pid <= 0 ||
		    rx[i].start.enforcer_pid <= 0)
			die("%s: cannot read the receiver's status and members", rx[i].sock);

	/* Idle: as long as the publishing will take, nothing published. */
	int idle_ms = envelopes * gap_ms < 1000 ? 1000 : envelopes * gap_ms;
	for (int i = 0; i < nrx; i++)
		trickle_ticks(&rx[i], &rx[i].worker0, &rx[i].enforcer0);
	int64_t ti = mono_ns();
	sleep_ms(idle_ms);
	double idle_s = (double)(mono_ns() - ti) / 1e9;
	for (int i = 0; i < nrx; i++) {
		unsigned long long w, e;
		trickle_ticks(&rx[i], &w, &e);
		rx[i].worker_idle = w - rx[i].worker0;
		rx[i].enforcer_idle = e - rx[i].enforcer0;
	}

	/* Each envelope encoded and signed just before it goes (its stamp is
	 * fresh), published synchronously (acked by the stream), then the
	 * gap. */
	uint64_t next = 0;
	for (int i = 0; i < nrx; i++) {
		trickle_ticks(&rx[i], &rx[i].worker0, &rx[i].enforcer0);
		rx[i].switches0 = switches(rx[i].start.pid) + switches(rx[i].start.enforcer_pid);
	}
	int64_t t0 = mono_ns();
	for (int k = 0; k < envelopes; k++) {
		struct encoded *env = encode_all(1, 1, &id, coalition, &c, &next, 3600);
		int tries = 0;
		while (transport_publish(tr, env[0].data, env[0].len, env[0].msgid) != 0) {
			if (++tries >= 5)
				die("publish %s: %s", env[0].msgid, transport_errmsg(tr));
			sleep_ms(100);
		}
		free(env[0].data);
		free(env);
		sleep_ms(gap_ms);
	}
	double pub_s = (double)(mono_ns() - t0) / 1e9;
	/* Every receiver decided every report (polled after the publishing
	 * only: the polls are the receivers' CPU too). */
	int64_t deadline = t0 + (int64_t)timeout_s * 1000000000LL;
	int rc = 0;
	for (int i = 0; i < nrx; i++) {
		struct rx b;
		for (;;) {
			uint64_t decided = 0;
			if (rx_members(rx[i].sock, pk_text, &b) == 0)
				decided = b.accepted + b.refused - rx[i].start.accepted -
				    rx[i].start.refused;
			if (decided >= (uint64_t)envelopes)
				break;
			if (mono_ns() > deadline) {
				fprintf(stderr, "bench-flood: %s: %llu of %d reports decided within %d s\n",
				    rx[i].sock, (unsigned long long)decided, envelopes, timeout_s);
				rc = 3;
				break;
			}
			sleep_ms(20);
		}
	}
	double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK);
	double sum_w = 0, sum_e = 0, sum_s = 0;
	printf("trickle: %d envelopes of 1 report, %d ms apart, published in %.2f s; idle %.2f s "
	    "before\n", envelopes, gap_ms, pub_s, idle_s);
	for (int i = 0; i < nrx; i++) {
		struct rx b;
		unsigned long long w, e;
		trickle_ticks(&rx[i], &w, &e);
		rx[i].switches = (double)(switches(rx[i].start.pid) +
		    switches(rx[i].start.enforcer_pid) - rx[i].switches0) / envelopes;
		sum_s += rx[i].switches;
		if (rx_read(rx[i].sock, pk_text, &b) != 0)
			die("%s: cannot read the receiver's status and members", rx[i].sock);
		rx[i].worker_us = (double)(w - rx[i].worker0) * tick_us / envelopes;
		rx[i].enforcer_us = (double)(e - rx[i].enforcer0) * tick_us / envelopes;
		sum_w += rx[i].worker_us;
		sum_e += rx[i].enforcer_us;
		printf("trickle: %s: accepted %llu, refused %llu, applied %llu, nft %llu elements in "
		    "%llu transactions; per envelope: worker %.0f us, enforcer %.0f us, %.1f context "
		    "switches; idle: worker %.0f us/s, enforcer %.0f us/s\n", rx[i].sock,
		    (unsigned long long)(b.accepted - rx[i].start.accepted),
		    (unsigned long long)(b.refused - rx[i].start.refused),
		    (unsigned long long)(b.applied - rx[i].start.applied),
		    (unsigned long long)(b.nft_applied - rx[i].start.nft_applied),
		    (unsigned long long)(b.nft_commits - rx[i].start.nft_commits),
		    rx[i].worker_us, rx[i].enforcer_us, rx[i].switches,
		    (double)rx[i].worker_idle * tick_us / idle_s,
		    (double)rx[i].enforcer_idle * tick_us / idle_s);
		if (b.applied - rx[i].start.applied != (uint64_t)envelopes)
			rc = 3;
	}
	printf("rx-cost: envelopes=%d cpu_per_envelope_us=%.0f daemon_us=%.0f privsep_us=%.0f "
	    "switches=%.1f\n", envelopes, (sum_w + sum_e) / nrx, sum_w / nrx, sum_e / nrx,
	    sum_s / nrx);
	transport_close(tr);
	transport_library_close();
	identity_wipe(&id);
	return rc;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "rounds") == 0)
		return cmd_rounds(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "flood") == 0)
		return cmd_flood(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "trickle") == 0)
		return cmd_trickle(argc - 1, argv + 1);
	fprintf(stderr, "usage: bench-flood rounds|flood|trickle ... (see bench/flood.c, docs/bench.md)\n");
	return 2;
}
