/* enforce.c - bans/s of the enforcer into nftables, inside a private network namespace.
 *
 * Built and run by bench/enforce. For 100k and then 1M distinct IPv4
 * addresses (ttl 1h each) it opens a fresh table inet article5, queues and
 * commits them in full queues of ENF_QUEUE_MAX, and prints wall time,
 * bans/s, RSS, then checks a sample with enf_contains (banned and not
 * banned). An untimed warm-up commit of 1000 bans comes first. With the 1M set loaded it also times an idempotent reopen and an
 * unban batch, and, for comparison, one `nft` process per ban (what
 * fail2ban's nftables action does). The namespace, and every element in it,
 * disappears when the program exits. Last line:
 *   enforce: 100000 bans X/s, 1000000 bans Y/s */
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/util.h"
#include "enforcer/enforcer.h"

#define SAMPLE		1000	/* enf_contains checks each way */
#define PEER_BANS	200	/* nft processes spawned for the comparison */
#define BASE4		0x0a000001u	/* 10.0.0.1 onwards */
#define ABSENT4		0x0b000001u	/* 11.0.0.1 onwards: never banned */

extern char **environ;

static struct a5_prefix
v4(uint32_t a)
{
	struct a5_prefix p;
	uint32_t be = htonl(a);

	memset(&p, 0, sizeof(p));
	p.family = A5_AF_INET;
	p.len = 32;
	memcpy(p.addr, &be, 4);
	return p;
}

/* VmRSS and VmHWM in MiB, from /proc/self/status. */
static void
rss_mb(double *rss, double *hwm)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long kb;

	*rss = *hwm = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		double *to = strncmp(line, "VmRSS:", 6) == 0 ? rss :
		    strncmp(line, "VmHWM:", 6) == 0 ? hwm : NULL;
		if (to == NULL)
			continue;
		errno = 0;
		kb = strtoul(line + 6, NULL, 10);
		if (errno == 0)
			*to = (double)kb / 1024;
	}
	fclose(f);
}

/* User + system CPU seconds of this process so far. */
static double
cpu_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double
secs_since(int64_t t0)
{
	return (double)(mono_usec() - t0) / 1e6;
}

static struct enforcer *
open_fresh(void)
{
	char err[512];
	struct enforcer *e = enf_open(false, NULL, 0, err, sizeof(err));

	if (e == NULL)
		fatalx("%s", err);
	if (enf_destroy_table(e) != 0)
		fatalx("cannot delete table inet %s", ENF_TABLE);
	enf_close(e);
	if ((e = enf_open(false, NULL, 0, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	return e;
}

/* Bans n distinct addresses; returns bans/s, or 0 if anything failed. */
static double
run(struct enforcer *e, uint32_t n)
{
	struct enf_record r;
	double slowest = 0, rss, hwm;
	unsigned failed = 0;
	double cpu0 = cpu_secs();
	int64_t t0 = mono_usec();

	memset(&r, 0, sizeof(r));
	r.op = ENF_ADD;
	r.group = ENF_GROUP_LOCAL;	/* ban4; the coalition sets are alike */
	r.ttl = 3600;
	for (uint32_t i = 0; i < n;) {
		for (; i < n && enf_pending(e) < ENF_QUEUE_MAX; i++) {
			r.prefix = v4(BASE4 + i);
			if (enf_queue(e, &r) != 0)
				fatalx("queue refused record %u", i);
		}
		int64_t c0 = mono_usec();
		int rc = enf_commit(e);
		double dt = secs_since(c0);
		if (rc < 0)
			fatalx("commit failed");
		failed += (unsigned)rc;
		if (dt > slowest)
			slowest = dt;
	}
	double total = secs_since(t0);
	const struct enf_stats *st = enf_get_stats(e);
	rss_mb(&rss, &hwm);
	printf("enforce: %u bans: %.2f s (cpu %.2f s), %.0f bans/s, %llu "
	    "transactions, slowest %.2f s, failed %u, RSS %.0f MiB (peak %.0f MiB)\n",
	    n, total, cpu_secs() - cpu0, n / total,
	    (unsigned long long)st->commits, slowest, failed, rss, hwm);
	fflush(stdout);
	return failed ? 0 : n / total;
}

/* Checks SAMPLE banned addresses spread over [0, n) and SAMPLE never
 * banned ones. Returns the number of wrong answers. */
static unsigned
verify(struct enforcer *e, uint32_t n)
{
	unsigned wrong = 0;
	uint32_t x = 12345;
	int64_t t0 = mono_usec();

	for (int i = 0; i < SAMPLE; i++) {
		x = x * 1103515245u + 12345u;
		struct a5_prefix in = v4(BASE4 + (x >> 8) % n);
		struct a5_prefix out = v4(ABSENT4 + (x >> 8) % n);
		if (enf_contains(e, &in) != 1)
			wrong++;
		if (enf_contains(e, &out) != 0)
			wrong++;
	}
	double us = secs_since(t0) * 1e6 / (2 * SAMPLE);
	printf("enforce: verify %d banned + %d never banned with enf_contains: "
	    "%s, %.0f us per lookup\n", SAMPLE, SAMPLE,
	    wrong ? "MISMATCH" : "ok", us);
	if (wrong)
		printf("enforce: %u wrong answers\n", wrong);
	fflush(stdout);
	return wrong;
}

static void
reopen_and_unban(struct enforcer **ep, uint32_t n)
{
	struct enf_record r;
	char err[512];
	int64_t t0 = mono_usec();

	enf_close(*ep);
	if ((*ep = enf_open(false, NULL, 0, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	printf("enforce: reopen with %u elements in place: %.3f s\n", n,
	    secs_since(t0));
	memset(&r, 0, sizeof(r));
	r.op = ENF_DELETE;
	r.group = ENF_GROUP_LOCAL;
	for (uint32_t i = 0; i < ENF_QUEUE_MAX; i++) {
		r.prefix = v4(BASE4 + i * (n / ENF_QUEUE_MAX));
		enf_queue(*ep, &r);
	}
	t0 = mono_usec();
	int rc = enf_commit(*ep);
	struct a5_prefix gone = v4(BASE4), kept = v4(BASE4 + 1);
	printf("enforce: unban %d of %u in one commit: %.2f s, failed %d, "
	    "read back %s\n", ENF_QUEUE_MAX, n, secs_since(t0), rc,
	    enf_contains(*ep, &gone) == 0 && enf_contains(*ep, &kept) == 1 ?
	    "ok" : "MISMATCH");
	fflush(stdout);
}

/* The usual way today: one nft process per ban, into a table of its own. */
static void
peer_nft_per_ban(void)
{
	char cmd[128], *argv[] = { "nft", cmd, NULL };
	int64_t t0;
	pid_t pid;
	int status, ok = 0;

	snprintf(cmd, sizeof(cmd), "add table inet peer; add set inet peer s "
	    "{ type ipv4_addr; flags timeout; }");
	if (posix_spawnp(&pid, "nft", NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &status, 0) != pid || status != 0) {
		printf("enforce: peer comparison skipped: nft(8) not runnable\n");
		return;
	}
	t0 = mono_usec();
	for (uint32_t i = 0; i < PEER_BANS; i++) {
		char a[INET_ADDRSTRLEN];
		uint32_t be = htonl(BASE4 + i);
		inet_ntop(AF_INET, &be, a, sizeof(a));
		snprintf(cmd, sizeof(cmd), "add element inet peer s { %s timeout 3600s }", a);
		if (posix_spawnp(&pid, "nft", NULL, NULL, argv, environ) == 0 &&
		    waitpid(pid, &status, 0) == pid && status == 0)
			ok++;
	}
	double dt = secs_since(t0);
	printf("enforce: peer, one nft process per ban (fail2ban nftables "
	    "action style): %d bans in %.2f s, %.0f bans/s\n", ok, dt, ok / dt);
	snprintf(cmd, sizeof(cmd), "delete table inet peer");
	if (posix_spawnp(&pid, "nft", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &status, 0);
	fflush(stdout);
}

int
main(void)
{
	struct utsname u;
	struct enforcer *e;
	double r100k, r1m;
	unsigned wrong = 0;

	log_init("bench-enforce", -1, 0);	/* warnings only */
	/* Everything below happens in a namespace of our own. */
	if (unshare(CLONE_NEWNET) == -1) {
		fprintf(stderr, "bench-enforce: unshare(CLONE_NEWNET): %s "
		    "(run as root)\n", strerror(errno));
		return errno == EPERM ? 77 : 1;
	}
	uname(&u);
	printf("enforce: kernel %s, libnftables, private network namespace, "
	    "queue %d, ttl 1h per element\n", u.release, ENF_QUEUE_MAX);

	/* Warm-up, untimed: the first commit of a process pays one-time costs
	 * (libnftables and malloc start-up) that a running daemon has behind it. */
	e = open_fresh();
	struct enf_record w = { .op = ENF_ADD, .ttl = 60 };
	for (uint32_t i = 0; i < 1000; i++) {
		w.prefix = v4(ABSENT4 + i);
		enf_queue(e, &w);
	}
	enf_commit(e);
	enf_close(e);

	e = open_fresh();
	r100k = run(e, 100000);
	wrong += verify(e, 100000);
	enf_close(e);

	e = open_fresh();
	r1m = run(e, 1000000);
	wrong += verify(e, 1000000);
	reopen_and_unban(&e, 1000000);
	enf_destroy_table(e);
	enf_close(e);

	peer_nft_per_ban();
	printf("enforce: 100000 bans %.0f/s, 1000000 bans %.0f/s\n", r100k, r1m);
	return wrong ? 1 : 0;
}
