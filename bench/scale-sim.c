/* scale-sim.c - the C program of bench/scale-sim (docs/scale.md): a model of
 * a coalition of 1k to 10k members on NATS, without kernels or daemons.
 *
 *   bench-scale-sim --url URL[,URL...] --members N --rate R [options]
 *
 * Members are state structs: a key pair, a chain head, the set of the
 * addresses they ban. They are grouped; each group shares one NATS
 * connection and one core subscription to every member's decisions
 * (a5.sim.r.>), and on each message every member of the group does what a
 * member daemon does: looks the signer up in the charter (before any
 * signature check), decodes and verifies the envelope with the project's
 * own wire.c (ed25519, libsodium), and decides: a ban it does not hold yet
 * is applied, one it holds already is a corroboration, counted, not sent
 * on. One connection per group models one member's own connection for the
 * bytes (each member receives the same messages its group does); the NATS
 * server fans out to G connections, not N (said in docs/scale.md).
 *
 * Attacks arrive as a Poisson process of rate R at random members, on
 * addresses that are new with probability --new-fraction (CrowdSec's 13k
 * new addresses among 365k signals a day: 0.036) and otherwise one already
 * attacked. A member attacked from an address it already bans counts a
 * local corroboration; otherwise it decides, bans, and publishes one
 * signed envelope on its own subject a5.sim.r.<group>.<member>: a
 * JetStream publish (acked once stored), delivered to the members by their
 * core subscriptions (the fast path). --raw publishes every attack instead (raw
 * reports, for comparison). A JetStream stream (replicas --replicas) takes
 * the same subjects for catch-up only: no consumer per member; at the end
 * one fresh member catches up through an ordered (ephemeral) consumer.
 *
 * Delivery latency of one member: from the report's timestamp (taken just
 * before signing) to the message's arrival at the group's connection,
 * plus that member's own verify-and-decide time (measured for it alone:
 * the members of a group would each have their own CPU).
 *
 * Loopback NATS servers only (the wrapper starts them). Last line of a run:
 *   scale-sim: members=N rate=R/s p99=X ms bytes_member=B/s verify_member=V/s
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <nats/nats.h>
#include <sodium.h>

#include "coalition/wire.h"

#define MEMBERS_MAX 20000
#define GROUPS_MAX 1000
#define SECONDS_MAX 600
#define HELD_MAX (1u << 20)	/* addresses one member holds, at most */
#define SUBJECT_PREFIX "a5.sim.r"
#define STREAM "A5SIM"
/* latency histogram: 10 us buckets to 100 ms, then 1 ms to 10 s */
#define FINE_US 10
#define FINE_N 10000
#define COARSE_US 1000
#define COARSE_N 9900
#define HIST_N (FINE_N + COARSE_N + 1)

struct member {
	struct identity id;
	uint64_t seq;
	uint8_t head[WIRE_HASH_BYTES];
	uint32_t *held;		/* open addressing, 0 = empty */
	uint32_t cap, nheld;
	uint64_t corroborated_local, corroborated_received, verified, applied;
};

struct group {
	int index;
	size_t first, n;	/* members first .. first+n-1 */
	natsConnection *nc;
	jsCtx *js;		/* publishing: stored (R3) and acked, delivered by core */
	natsSubscription *sub;
	pthread_mutex_t lock;	/* the members' state: callback vs attacks */
	struct wire_envelope *env;	/* decoded here, one per group thread */
	uint64_t msgs, bytes, bad, unknown, full;
	uint64_t verify_us;	/* verify-and-decide time of its verifying members */
	uint32_t hist[HIST_N];
};

static struct member *members;
static size_t nmembers;
static struct group *groups;
static size_t ngroups;
/* The charter: key -> member index, open addressing on the key's bytes. */
static int32_t *charter;
static size_t charter_cap;
static uint8_t coalition_id[WIRE_COALITION_BYTES];
static atomic_uint_fast64_t delivered;
static atomic_uint_fast64_t published;
static size_t verifiers = MEMBERS_MAX;	/* per group (--verifiers) */

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
die(const char *what, natsStatus s)
{
	fprintf(stderr, "scale-sim: %s: %s\n", what, s == NATS_OK ? "failed" : natsStatus_GetText(s));
	exit(1);
}

static uint64_t
key_hash(const uint8_t *pk)
{
	uint64_t h;

	memcpy(&h, pk, sizeof(h));	/* ed25519 public keys: uniform bytes */
	return h;
}

static void
charter_build(void)
{
	charter_cap = 1;
	while (charter_cap < nmembers * 2)
		charter_cap <<= 1;
	charter = malloc(charter_cap * sizeof(*charter));
	if (charter == NULL)
		die("out of memory", NATS_OK);
	for (size_t i = 0; i < charter_cap; i++)
		charter[i] = -1;
	for (size_t m = 0; m < nmembers; m++) {
		size_t i = key_hash(members[m].id.pk) & (charter_cap - 1);
		while (charter[i] >= 0)
			i = (i + 1) & (charter_cap - 1);
		charter[i] = (int32_t)m;
	}
}

static int32_t
charter_lookup(const uint8_t *pk)
{
	for (size_t i = key_hash(pk) & (charter_cap - 1);; i = (i + 1) & (charter_cap - 1)) {
		if (charter[i] < 0)
			return -1;
		if (memcmp(members[charter[i]].id.pk, pk, ID_PUBLIC_BYTES) == 0)
			return charter[i];
	}
}

static uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* 1: newly held, 0: held already, -1: the member's set is full. */
static int
held_add(struct member *m, uint32_t a)
{
	if (m->nheld * 2 >= m->cap) {
		uint32_t ncap = m->cap ? m->cap * 2 : 64;
		if (ncap > HELD_MAX * 2)
			return -1;
		uint32_t *n = calloc(ncap, sizeof(*n));
		if (n == NULL)
			return -1;
		for (uint32_t i = 0; i < m->cap; i++) {
			if (m->held[i] == 0)
				continue;
			uint32_t j = mix32(m->held[i]) & (ncap - 1);
			while (n[j] != 0)
				j = (j + 1) & (ncap - 1);
			n[j] = m->held[i];
		}
		free(m->held);
		m->held = n;
		m->cap = ncap;
	}
	uint32_t j = mix32(a) & (m->cap - 1);
	while (m->held[j] != 0) {
		if (m->held[j] == a)
			return 0;
		j = (j + 1) & (m->cap - 1);
	}
	m->held[j] = a;
	m->nheld++;
	return 1;
}

static bool
held_has(const struct member *m, uint32_t a)
{
	if (m->cap == 0)
		return false;
	for (uint32_t j = mix32(a) & (m->cap - 1); m->held[j] != 0; j = (j + 1) & (m->cap - 1))
		if (m->held[j] == a)
			return true;
	return false;
}

static void
hist_add(uint32_t *hist, int64_t us)
{
	size_t b;

	if (us < 0)
		us = 0;
	if (us < (int64_t)FINE_US * FINE_N)
		b = (size_t)(us / FINE_US);
	else if (us < (int64_t)FINE_US * FINE_N + (int64_t)COARSE_US * COARSE_N)
		b = FINE_N + (size_t)((us - FINE_US * FINE_N) / COARSE_US);
	else
		b = HIST_N - 1;
	hist[b]++;
}

/* Upper bound of bucket b in milliseconds. */
static double
hist_bound_ms(size_t b)
{
	if (b < FINE_N)
		return (double)(b + 1) * FINE_US / 1000.0;
	if (b < FINE_N + COARSE_N)
		return (FINE_US * FINE_N + (double)(b - FINE_N + 1) * COARSE_US) / 1000.0;
	return INFINITY;
}

static size_t
digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* One message on a group's connection: every member of the group checks
 * and decides on its own. */
static void
on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
	struct group *g = arg;
	const uint8_t *buf = (const uint8_t *)natsMsg_GetData(msg);
	size_t len = (size_t)natsMsg_GetDataLength(msg);
	int64_t arrived = now_us();

	(void)nc;
	(void)sub;
	/* what this connection read: "MSG <subject> <sid> <len>\r\n<data>\r\n" */
	g->bytes += 4 + strlen(natsMsg_GetSubject(msg)) + 1 + 1 + 1 + digits(len) + 2 + len + 2;
	g->msgs++;
	/* the charter before the signature: a stranger costs no verification */
	const uint8_t *signer = wire_envelope_signer(buf, len);
	int32_t from = signer != NULL ? charter_lookup(signer) : -1;
	if (from < 0) {
		g->unknown++;
		natsMsg_Destroy(msg);
		return;
	}
	bool decoded = false, ok = false;
	for (size_t k = g->first; k < g->first + g->n; k++) {
		if ((size_t)from == k)
			continue;	/* its own decision, held already */
		struct member *m = &members[k];
		/* --verifiers: the first V members of the group verify on their
		 * own; the others (if any) decide on the envelope the group has
		 * verified, and are left out of the latency and verification
		 * figures */
		bool verifying = k - g->first < verifiers || !decoded;
		int64_t t0 = now_us();
		if (verifying) {
			ok = wire_decode(buf, len, g->env) == WIRE_OK && g->env->nreports == 1 &&
			    g->env->reports[0].prefix.family == A5_AF_INET &&
			    memcmp(g->env->coalition, coalition_id, sizeof(coalition_id)) == 0;
			decoded = true;
		}
		if (!ok) {
			g->bad++;
			continue;
		}
		uint32_t a;
		memcpy(&a, g->env->reports[0].prefix.addr, sizeof(a));
		pthread_mutex_lock(&g->lock);
		if (verifying)
			m->verified++;
		int r = held_add(m, a);
		if (r == 1)
			m->applied++;
		else if (r == 0)
			m->corroborated_received++;	/* first report won: counted */
		else
			g->full++;
		pthread_mutex_unlock(&g->lock);
		int64_t t1 = now_us();
		if (verifying)
			g->verify_us += (uint64_t)(t1 - t0);
		if (verifying)
			hist_add(g->hist, (arrived - (int64_t)g->env->reports[0].timestamp_us) + (t1 - t0));
		atomic_fetch_add(&delivered, 1);
	}
	natsMsg_Destroy(msg);
}

/* Member k's decision to ban a: one signed envelope of one report, into
 * buf (returns its length), and its own subject. Called with its group's
 * lock held (the chain head); published after it is released. */
static size_t
sign_decision(struct group *g, size_t k, uint32_t a, uint8_t *buf, struct wire_envelope *e,
    char *subject, size_t sublen)
{
	struct member *m = &members[k];
	struct wire_report *r = &e->reports[0];

	memset(r, 0, sizeof(*r));
	memcpy(e->coalition, coalition_id, sizeof(coalition_id));
	memcpy(e->reporter, m->id.pk, ID_PUBLIC_BYTES);
	e->nreports = 1;
	r->seq = ++m->seq;
	memcpy(r->prev, m->head, WIRE_HASH_BYTES);
	r->prefix.family = A5_AF_INET;
	r->prefix.len = 32;
	memcpy(r->prefix.addr, &a, sizeof(a));
	snprintf(r->service, sizeof(r->service), "sshd");
	snprintf(r->rule, sizeof(r->rule), "auth-fail");
	r->evidence = 5;
	r->ttl = 3600;
	r->timestamp_us = (uint64_t)now_us();
	r->first_seen = r->last_seen = r->timestamp_us / 1000000;
	wire_report_hash(r, m->id.pk, m->head);
	size_t len = wire_encode(e, &m->id, buf, WIRE_ENVELOPE_MAX);
	if (len == 0)
		die("wire_encode", NATS_OK);
	snprintf(subject, sublen, SUBJECT_PREFIX ".g%d.m%zu", g->index, k);
	return len;
}

static void
publish_decision(struct group *g, const char *subject, const uint8_t *buf, size_t len)
{
	/* A JetStream publish: the stream's ack says the decision is stored
	 * for catch-up; the members get it from their core subscription to the
	 * same subject at the same time, not through a consumer. */
	jsErrCode jerr = 0;
	natsStatus s = js_Publish(NULL, g->js, subject, buf, (int)len, NULL, &jerr);
	if (s != NATS_OK) {
		fprintf(stderr, "scale-sim: publish %s: %s (%d)\n", subject, natsStatus_GetText(s), (int)jerr);
		exit(1);
	}
	atomic_fetch_add(&published, 1);
}

static double
exp_interval(double rate)
{
	double u = (randombytes_uniform(1u << 30) + 1.0) / (double)(1u << 30);
	return -log(u) / rate;
}

struct run {
	double rate, new_fraction, seconds;
	bool raw;
	uint64_t attacks, local_corroborations, new_addresses, full;
};

/* The attacks, for rs->seconds, in this thread. */
static void
attack(struct run *rs)
{
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	static struct wire_envelope e;
	uint32_t *addrs = malloc(sizeof(uint32_t) * (size_t)(rs->rate * rs->seconds + 16));
	size_t naddrs = 0, cap = (size_t)(rs->rate * rs->seconds + 16);
	int64_t start = now_us(), end = start + (int64_t)(rs->seconds * 1e6);
	double next = (double)start;

	if (addrs == NULL)
		die("out of memory", NATS_OK);
	for (;;) {
		next += exp_interval(rs->rate) * 1e6;
		if (next >= (double)end)
			break;
		int64_t wait = (int64_t)next - now_us();
		if (wait > 0)
			usleep((useconds_t)wait);
		/* the address: new, or one attacked before (from any member) */
		uint32_t a;
		bool fresh = naddrs == 0 || naddrs >= cap ||
		    randombytes_uniform(1000000) < (uint32_t)(rs->new_fraction * 1e6);
		if (fresh && naddrs < cap) {
			/* 1.0.0.0 + n: a /32 the wire takes, never 0 */
			uint32_t host = 0x01000000u + (uint32_t)naddrs + 1;
			a = htonl(host);
			addrs[naddrs++] = a;
			rs->new_addresses++;
		} else {
			a = addrs[randombytes_uniform((uint32_t)naddrs)];
		}
		size_t k = randombytes_uniform((uint32_t)nmembers);
		struct group *g = &groups[k * ngroups / nmembers];
		rs->attacks++;
		char subject[64];
		size_t len = 0;
		pthread_mutex_lock(&g->lock);
		struct member *m = &members[k];
		if (!rs->raw && held_has(m, a)) {
			m->corroborated_local++;	/* held already: not re-sent */
			rs->local_corroborations++;
		} else if (held_add(m, a) < 0) {
			rs->full++;
		} else {
			len = sign_decision(g, k, a, buf, &e, subject, sizeof(subject));
		}
		pthread_mutex_unlock(&g->lock);
		if (len > 0)
			publish_decision(g, subject, buf, len);
	}
	free(addrs);
}

static void
groups_connect(char **urls, int nurls)
{
	for (size_t i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];
		natsOptions *o = NULL;
		natsStatus s;
		char name[32];

		g->index = (int)i;
		g->first = i * nmembers / ngroups;
		g->n = (i + 1) * nmembers / ngroups - g->first;
		g->env = malloc(sizeof(*g->env));
		if (g->env == NULL)
			die("out of memory", NATS_OK);
		pthread_mutex_init(&g->lock, NULL);
		snprintf(name, sizeof(name), "sim-g%zu", i);
		/* groups spread over the cluster's nodes, as owners would be */
		const char *url = urls[i % (size_t)nurls];
		s = natsOptions_Create(&o);
		if (s == NATS_OK)
			s = natsOptions_SetURL(o, url);
		if (s == NATS_OK)
			s = natsOptions_SetName(o, name);
		if (s == NATS_OK)
			s = natsOptions_SetMaxReconnect(o, 0);
		if (s == NATS_OK)
			s = natsConnection_Connect(&g->nc, o);
		natsOptions_Destroy(o);
		if (s != NATS_OK)
			die(url, s);
		s = natsConnection_Subscribe(&g->sub, g->nc, SUBJECT_PREFIX ".>", on_msg, g);
		if (s == NATS_OK)
			s = natsSubscription_SetPendingLimits(g->sub, 1 << 20, 256 << 20);
		if (s == NATS_OK)
			s = natsConnection_Flush(g->nc);
		if (s == NATS_OK)
			s = natsConnection_JetStream(&g->js, g->nc, NULL);
		if (s != NATS_OK)
			die("subscribe", s);
	}
}

static jsCtx *
stream_create(natsConnection *nc, int replicas)
{
	jsCtx *js = NULL;
	jsStreamConfig c;
	jsErrCode jerr = 0;
	const char *subjects[] = { SUBJECT_PREFIX ".>" };
	natsStatus s = natsConnection_JetStream(&js, nc, NULL);

	if (s != NATS_OK)
		die("jetstream", s);
	js_DeleteStream(js, STREAM, NULL, &jerr);	/* a previous run's */
	jsStreamConfig_Init(&c);
	c.Name = STREAM;
	c.Subjects = subjects;
	c.SubjectsLen = 1;
	c.Storage = js_FileStorage;
	c.Replicas = replicas;
	c.MaxAge = (int64_t)3600 * 1000000000;
	/* a 3-node cluster elects the stream's leader: allow it a few tries */
	for (int i = 0; i < 20; i++) {
		s = js_AddStream(NULL, js, &c, NULL, &jerr);
		if (s == NATS_OK)
			return js;
		usleep(500000);
	}
	fprintf(stderr, "scale-sim: stream %s (replicas %d): %s (%d)\n", STREAM, replicas,
	    natsStatus_GetText(s), (int)jerr);
	exit(1);
}

static uint64_t
stream_msgs(jsCtx *js)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	uint64_t n = 0;

	if (js_GetStreamInfo(&si, js, STREAM, NULL, &jerr) == NATS_OK) {
		n = si->State.Msgs;
		jsStreamInfo_Destroy(si);
	}
	return n;
}

/* A member back after an outage: everything since the start, through an
 * ordered consumer (ephemeral, flow-controlled), verified and decided. */
static void
catch_up(jsCtx *js, uint64_t want)
{
	natsSubscription *sub = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	struct member fresh;
	static struct wire_envelope e;
	uint64_t got = 0, applied = 0;

	memset(&fresh, 0, sizeof(fresh));
	jsSubOptions_Init(&so);
	so.Ordered = true;
	int64_t t0 = now_us();
	natsStatus s = js_SubscribeSync(&sub, js, SUBJECT_PREFIX ".>", NULL, &so, &jerr);
	if (s != NATS_OK) {
		printf("scale-sim: catch-up: no ordered consumer: %s (%d)\n", natsStatus_GetText(s), (int)jerr);
		return;
	}
	while (got < want) {
		natsMsg *msg = NULL;
		if (natsSubscription_NextMsg(&msg, sub, 2000) != NATS_OK)
			break;
		const uint8_t *buf = (const uint8_t *)natsMsg_GetData(msg);
		size_t len = (size_t)natsMsg_GetDataLength(msg);
		const uint8_t *signer = wire_envelope_signer(buf, len);
		if (signer != NULL && charter_lookup(signer) >= 0 &&
		    wire_decode(buf, len, &e) == WIRE_OK && e.nreports == 1) {
			uint32_t a;
			memcpy(&a, e.reports[0].prefix.addr, sizeof(a));
			if (held_add(&fresh, a) == 1)
				applied++;
		}
		got++;
		natsMsg_Destroy(msg);
	}
	int64_t t1 = now_us();
	printf("scale-sim: catch-up: %" PRIu64 " of %" PRIu64 " stored decisions read, verified and "
	    "decided in %.1f ms (%" PRIu64 " bans) by one ordered consumer\n", got, want,
	    (double)(t1 - t0) / 1000.0, applied);
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
	free(fresh.held);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench-scale-sim --url URL[,URL...] --members N --rate R "
	    "[--groups G] [--seconds S] [--new-fraction F] [--raw] [--replicas 1|3] "
	    "[--verifiers V]\n");
	exit(2);
}

static double
num_arg(const char *s, double lo, double hi, const char *what)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "scale-sim: %s: '%s' is not a number in %g..%g\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct run rs = { .rate = 0, .new_fraction = 0.036, .seconds = 30 };
	char *urlarg = NULL, *urls[3];
	int nurls = 0, replicas = 3;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--raw") == 0) {
			rs.raw = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(o, "--url") == 0)
			urlarg = strdup(v);
		else if (strcmp(o, "--members") == 0)
			nmembers = (size_t)num_arg(v, 2, MEMBERS_MAX, o);
		else if (strcmp(o, "--groups") == 0)
			ngroups = (size_t)num_arg(v, 1, GROUPS_MAX, o);
		else if (strcmp(o, "--rate") == 0)
			rs.rate = num_arg(v, 0.01, 10000, o);
		else if (strcmp(o, "--seconds") == 0)
			rs.seconds = num_arg(v, 1, SECONDS_MAX, o);
		else if (strcmp(o, "--new-fraction") == 0)
			rs.new_fraction = num_arg(v, 0, 1, o);
		else if (strcmp(o, "--verifiers") == 0)
			verifiers = (size_t)num_arg(v, 1, MEMBERS_MAX, o);
		else if (strcmp(o, "--replicas") == 0)
			replicas = (int)num_arg(v, 1, 3, o);
		else
			usage();
	}
	if (urlarg == NULL || nmembers == 0 || rs.rate == 0)
		usage();
	for (char *save = NULL, *u = strtok_r(urlarg, ",", &save); u != NULL && nurls < 3;
	    u = strtok_r(NULL, ",", &save)) {
		if (strncmp(u, "nats://127.", 11) != 0) {
			fprintf(stderr, "scale-sim: %s: loopback servers only\n", u);
			return 2;
		}
		urls[nurls++] = u;
	}
	if (ngroups == 0)
		ngroups = nmembers / 50 > 0 ? nmembers / 50 : 1;
	if (ngroups > nmembers)
		ngroups = nmembers;
	if (sodium_init() < 0)
		die("sodium_init", NATS_OK);
	members = calloc(nmembers, sizeof(*members));
	groups = calloc(ngroups, sizeof(*groups));
	if (members == NULL || groups == NULL)
		die("out of memory", NATS_OK);
	for (size_t k = 0; k < nmembers; k++)
		crypto_sign_keypair(members[k].id.pk, members[k].id.sk);
	charter_build();
	wire_coalition_id("scale-sim", coalition_id);
	groups_connect(urls, nurls);
	jsCtx *js = stream_create(groups[0].nc, replicas);

	char who[64] = "every member verifies";
	if (verifiers < (nmembers + ngroups - 1) / ngroups)
		snprintf(who, sizeof(who), "%zu members per group verify", verifiers);
	printf("scale-sim: %zu members in %zu groups (connections) on %d NATS node%s, %s, rate "
	    "%.2f attacks/s, new addresses %.3f, %s, %.0f s\n", nmembers, ngroups,
	    nurls, nurls > 1 ? "s" : "", who, rs.rate, rs.new_fraction,
	    rs.raw ? "raw reports (every attack published)" : "decisions (first report wins)",
	    rs.seconds);
	fflush(stdout);
	attack(&rs);
	/* the last deliveries: up to 10 s more */
	uint64_t pub = atomic_load(&published), want = pub * (nmembers - 1);
	for (int i = 0; i < 100 && atomic_load(&delivered) < want; i++)
		usleep(100000);
	double secs = rs.seconds;

	uint64_t verified = 0, corr_local = 0, corr_recv = 0, bytes = 0, msgs = 0, bad = 0, dropped = 0;
	uint64_t verify_us = 0;
	static uint32_t hist[HIST_N];
	for (size_t i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];
		int64_t d = 0;
		pthread_mutex_lock(&g->lock);
		for (size_t k = g->first; k < g->first + g->n; k++) {
			verified += members[k].verified;
			corr_local += members[k].corroborated_local;
			corr_recv += members[k].corroborated_received;
		}
		bytes += g->bytes;
		msgs += g->msgs;
		verify_us += g->verify_us;
		bad += g->bad + g->unknown + g->full;
		for (size_t b = 0; b < HIST_N; b++)
			hist[b] += g->hist[b];
		pthread_mutex_unlock(&g->lock);
		if (natsSubscription_GetDropped(g->sub, &d) == NATS_OK)
			dropped += (uint64_t)d;
	}
	uint64_t n = atomic_load(&delivered), seen = 0, samples = 0;
	double p50 = 0, p99 = 0;
	for (size_t b = 0; b < HIST_N; b++)
		samples += hist[b];
	for (size_t b = 0; b < HIST_N && samples > 0; b++) {
		seen += hist[b];
		if (p50 == 0 && seen * 100 >= samples * 50)
			p50 = hist_bound_ms(b);
		if (seen * 100 >= samples * 99) {
			p99 = hist_bound_ms(b);
			break;
		}
	}
	uint64_t stored = stream_msgs(js);
	double bytes_member = (double)bytes / (double)ngroups / secs;
	size_t nverifying = 0;
	for (size_t i = 0; i < ngroups; i++)
		nverifying += groups[i].n < verifiers ? groups[i].n : verifiers;
	double verify_member = (double)verified / (double)nverifying / secs;
	printf("scale-sim: %" PRIu64 " attacks, %" PRIu64 " new addresses; %" PRIu64 " decisions "
	    "published (%.3f/s), %" PRIu64 " corroborations here (not sent), %" PRIu64
	    " corroborations received (raced)\n", rs.attacks, rs.new_addresses, pub,
	    (double)pub / secs, corr_local, corr_recv);
	printf("scale-sim: deliveries %" PRIu64 " of %" PRIu64 " (lost %" PRIu64 ", dropped by NATS %"
	    PRIu64 ", refused %" PRIu64 "); latency of the %zu verifying members (%" PRIu64
	    " samples): p50 %.2f ms, p99 %.2f ms; JetStream stored %" PRIu64 " of %" PRIu64
	    " (replicas %d)\n", n, want, want > n ? want - n : 0, dropped, bad, nverifying, samples,
	    p50, p99, stored, pub, replicas);
	printf("scale-sim: one member's verify-and-decide: %.0f us a message (mean of %" PRIu64
	    "); a message is %.0f bytes on the wire\n", verified ? (double)verify_us / (double)verified : 0,
	    verified, msgs ? (double)bytes / (double)msgs : 0);
	printf("scale-sim: NATS fan-out: %.0f messages/s to %zu connections here; with one connection "
	    "per member %.0f deliveries/s and %.1f MB/s out of the cluster\n",
	    (double)msgs / secs, ngroups, (double)pub / secs * (double)nmembers,
	    bytes_member * (double)nmembers / 1e6);
	fflush(stdout);
	catch_up(js, stored);
	printf("scale-sim: members=%zu rate=%g/s p99=%.2f ms bytes_member=%.0f/s verify_member=%.3f/s\n",
	    nmembers, rs.rate, p99, bytes_member, verify_member);
	fflush(stdout);

	jsErrCode jerr = 0;
	js_DeleteStream(js, STREAM, NULL, &jerr);
	jsCtx_Destroy(js);
	/* every callback finished (nats_CloseAndWait) before the state goes */
	for (size_t i = 0; i < ngroups; i++) {
		jsCtx_Destroy(groups[i].js);
		natsSubscription_Unsubscribe(groups[i].sub);
		natsSubscription_Destroy(groups[i].sub);
		natsConnection_Close(groups[i].nc);
		natsConnection_Destroy(groups[i].nc);
	}
	if (nats_CloseAndWait(10000) != NATS_OK) {
		fprintf(stderr, "scale-sim: NATS library threads still running; state not freed\n");
		return n < want ? 1 : 0;
	}
	for (size_t i = 0; i < ngroups; i++)
		free(groups[i].env);
	for (size_t k = 0; k < nmembers; k++) {
		sodium_memzero(members[k].id.sk, sizeof(members[k].id.sk));
		free(members[k].held);
	}
	free(members);
	free(groups);
	free(charter);
	free(urlarg);
	return n < want ? 1 : 0;
}
