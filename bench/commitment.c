/* commitment.c - CPU cost of one commitment period against 1k and 1M coalition bans.
 *
 * Built and run by bench/commitment, inside a private network namespace it
 * creates (the host firewall is never touched). A period is what the daemon
 * does every time it publishes: kset_dispatch on the events pending since
 * the last period, kset_digest_group of the coalition group (what a
 * commitment covers, docs/commitment.md), and an ed25519 signature
 * (throwaway key) over a small commitment message. The bans are coalition
 * records (set cban4); LOCAL_BANS local bans (set ban4) sit next to them
 * and must stay out of the digest. Between periods, untimed, the enforcer
 * bans CHURN new addresses and unbans the CHURN oldest ones, so the set
 * keeps its size and every period has the same events to apply. The 1M
 * set is loaded before any timed period, with a mirror following it (as a
 * running daemon's would); a second mirror is then opened on the loaded set
 * to time the one-off initial read, and must agree with the first. Last line:
 *   commitment: bans=1000 X ms, bans=1000000 Y ms */
#include <sys/resource.h>
#include <sys/utsname.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "enforcer/enforcer.h"
#include "enforcer/kset.h"

#define BASE4	0x0a000000u	/* 10.0.0.0 onwards: coalition bans */
#define LOCAL4	0xac100000u	/* 172.16.0.0 onwards: local bans */
#define LOCAL_BANS 1000
#define TTL	3600		/* nothing expires during the run */
#define CHURN	64		/* bans and unbans between two periods */
#define PERIODS	51		/* timed periods per size; the median is reported */
#define MSG_LEN	(16 + 8 + 4 + 8 + KSET_DIGEST_LEN)

struct run {
	struct enforcer *e;
	uint32_t lo, hi;	/* banned: BASE4 + [lo, hi) */
};

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

static double
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double
rss_mb(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	double mb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			errno = 0;
			unsigned long kb = strtoul(line + 6, NULL, 10);
			if (errno == 0)
				mb = (double)kb / 1024;
		}
	fclose(f);
	return mb;
}

static void
commit(struct run *r)
{
	int rc = enf_commit(r->e);

	if (rc != 0)
		fatalx("commit: %d records failed", rc);
}

/* Bans BASE4 + [hi, to), committing full queues; the mirror, if any,
 * follows after each commit. Returns the CPU ms spent in kset_dispatch. */
static double
load(struct run *r, uint32_t to, struct kset *k)
{
	struct enf_record rec = { .op = ENF_ADD, .group = ENF_GROUP_COALITION,
	    .ttl = TTL };
	double spent = 0;

	while (r->hi < to) {
		for (; r->hi < to && enf_pending(r->e) < ENF_QUEUE_MAX; r->hi++) {
			rec.prefix = v4(BASE4 + r->hi);
			if (enf_queue(r->e, &rec) != 0)
				fatalx("queue refused %u", r->hi);
		}
		commit(r);
		if (k == NULL)
			continue;
		double c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
		while (kset_dispatch(k) > 0)
			;
		spent += clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
	}
	return spent;
}

static void
churn(struct run *r)
{
	struct enf_record rec = { .group = ENF_GROUP_COALITION, .ttl = TTL };

	for (int i = 0; i < CHURN; i++) {
		rec.op = ENF_ADD;
		rec.prefix = v4(BASE4 + r->hi++);
		enf_queue(r->e, &rec);
		rec.op = ENF_DELETE;
		rec.prefix = v4(BASE4 + r->lo++);
		enf_queue(r->e, &rec);
	}
	commit(r);
}

/* LOCAL_BANS local bans: in the kernel and in the mirror, never in the
 * coalition digest (periods() checks the count). */
static void
ban_local(struct enforcer *e)
{
	struct enf_record rec = { .op = ENF_ADD, .group = ENF_GROUP_LOCAL,
	    .ttl = TTL };

	for (uint32_t i = 0; i < LOCAL_BANS; i++) {
		rec.prefix = v4(LOCAL4 + i);
		if (enf_queue(e, &rec) != 0)
			fatalx("queue refused local %u", i);
	}
	if (enf_commit(e) != 0)
		fatalx("local bans failed");
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)(v & 0xff);
}

/* One period; returns its CPU ms and fills the count it committed to. */
static double
period(struct kset *k, const uint8_t *sk, uint64_t *count, uint64_t *events)
{
	uint8_t msg[MSG_LEN], sig[crypto_sign_BYTES];
	double c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
	int n;

	*events = 0;
	while ((n = kset_dispatch(k)) > 0)
		*events += (uint64_t)n;
	if (n == -1)
		fatal("kset_dispatch");
	/* Provisional layout (docs/commitment.md): magic, time, ruleset
	 * generation, count, digest. */
	memcpy(msg, "article5/commit1", 16);
	put_be(msg + 16, (uint64_t)time(NULL), 8);
	put_be(msg + 24, kset_get_stats(k)->genid, 4);
	if (kset_digest_group(k, KSET_GROUP_COALITION, msg + 36, count) == -1)
		fatal("kset_digest_group");
	put_be(msg + 28, *count, 8);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	return clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* PERIODS quiet periods (no event pending), then PERIODS periods with
 * CHURN bans and unbans before each. Returns the median CPU ms of the
 * latter. */
static double
periods(struct run *r, struct kset *k, const uint8_t *sk, uint32_t size)
{
	double t[PERIODS], quiet;
	uint64_t count, events = 0, ev;

	for (int i = 0; i < PERIODS; i++)
		t[i] = period(k, sk, &count, &ev);
	qsort(t, PERIODS, sizeof(t[0]), cmp_double);
	quiet = t[PERIODS / 2];
	for (int i = 0; i < PERIODS; i++) {
		churn(r);
		t[i] = period(k, sk, &count, &ev);
		events += ev;
		if (count != size)
			fatalx("digest counts %llu bans, %u expected",
			    (unsigned long long)count, size);
	}
	qsort(t, PERIODS, sizeof(t[0]), cmp_double);
	printf("commitment: bans=%u: period (dispatch %llu events + coalition "
	    "digest + "
	    "sign) cpu median %.3f ms, min %.3f, max %.3f; quiet period (no "
	    "event) median %.3f ms\n",
	    size, (unsigned long long)(events / PERIODS), t[PERIODS / 2], t[0],
	    t[PERIODS - 1], quiet);
	fflush(stdout);
	return t[PERIODS / 2];
}

static struct kset *
kopen(const char *what, uint32_t size)
{
	char err[512];
	double w0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
	double m0 = rss_mb();
	struct kset *k = kset_open(err, sizeof(err));

	if (k == NULL)
		fatalx("%s", err);
	printf("commitment: %s: initial read of %u coalition + %d local bans: "
	    "%.3f s wall, %.3f s cpu, mirror %+.0f MiB RSS\n", what, size,
	    LOCAL_BANS,
	    (clock_ms(CLOCK_MONOTONIC) - w0) / 1e3,
	    (clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e3, rss_mb() - m0);
	fflush(stdout);
	return k;
}

int
main(void)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t d1[KSET_DIGEST_LEN], d2[KSET_DIGEST_LEN];
	uint64_t n1, n2;
	struct utsname u;
	struct run r = { 0 };
	struct kset *k, *k2;
	char err[512];
	double x, y;

	log_init("bench-commitment", -1, 0);	/* warnings only */
	if (unshare(CLONE_NEWNET) == -1) {
		fprintf(stderr, "bench-commitment: unshare(CLONE_NEWNET): %s "
		    "(run as root)\n", strerror(errno));
		return errno == EPERM ? 77 : 1;
	}
	if (sodium_init() == -1)
		fatalx("sodium_init");
	crypto_sign_keypair(pk, sk);	/* throwaway */
	uname(&u);
	printf("commitment: kernel %s, private network namespace, ttl 1h, "
	    "coalition group (%d local bans beside it), %d bans + %d unbans "
	    "between periods, %d periods per size\n",
	    u.release, LOCAL_BANS, CHURN, CHURN, PERIODS);

	if ((r.e = enf_open(false, NULL, 0, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	ban_local(r.e);
	load(&r, 1000, NULL);
	k = kopen("1k", 1000);
	x = periods(&r, k, sk, 1000);

	/* Up to 1M with the mirror following each commit, as in the daemon. */
	double w0 = clock_ms(CLOCK_MONOTONIC);
	uint64_t ev0 = kset_get_stats(k)->events;
	double spent = load(&r, r.hi + 1000000 - 1000, k);
	uint64_t ev = kset_get_stats(k)->events - ev0;
	printf("commitment: load to 1M: %.1f s wall; the mirror followed %llu "
	    "events in %.3f s cpu (%.2f us each), %llu resyncs\n",
	    (clock_ms(CLOCK_MONOTONIC) - w0) / 1e3, (unsigned long long)ev,
	    spent / 1e3, ev ? spent * 1e3 / (double)ev : 0,
	    (unsigned long long)kset_get_stats(k)->resyncs);

	/* The one-off initial read, by a second mirror: it must agree. */
	k2 = kopen("1M", 1000000);
	if (kset_dispatch(k) == -1 ||
	    kset_digest_group(k, KSET_GROUP_COALITION, d1, &n1) == -1 ||
	    kset_digest_group(k2, KSET_GROUP_COALITION, d2, &n2) == -1)
		fatal("digest");
	printf("commitment: followed and freshly read mirrors agree: %s "
	    "(%llu bans)\n", n1 == n2 && memcmp(d1, d2, sizeof(d1)) == 0 ?
	    "yes" : "NO", (unsigned long long)n1);
	if (n1 != n2 || memcmp(d1, d2, sizeof(d1)) != 0)
		return 1;
	kset_close(k2);

	y = periods(&r, k, sk, 1000000);

	double c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
	int rep = kset_verify(k);
	printf("commitment: kset_verify with 1M in cban4 (only sets <= %u are "
	    "re-read): %.3f ms cpu, %d repaired\n", KSET_VERIFY_MAX,
	    clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0, rep);

	kset_close(k);
	enf_destroy_table(r.e);
	enf_close(r.e);
	sodium_memzero(sk, sizeof(sk));
	printf("commitment: bans=1000 %.3f ms, bans=1000000 %.3f ms\n", x, y);
	return 0;
}
