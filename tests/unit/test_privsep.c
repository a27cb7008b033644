/* test_privsep.c - the enforcer process's side of the socket refuses every
 * message whose size or type is wrong, checks coalition additions against
 * the charter's scope on its own, takes a reload and a charter's scope as
 * records (never below the start's floor), and the worker's calls
 * round-trip over a real socketpair to a forked server (the enforcer in
 * observe mode: no kernel is touched). */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/config.h"
#include "daemon/privsep.h"

#ifndef A5_SRCDIR
#define A5_SRCDIR "."
#endif

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	assert_int_equal(prefix_parse(s, strlen(s), &p), 0);
	return p;
}

static struct privs *
server(void)
{
	static struct privs s;
	static struct prefixlist allow;
	char err[256];

	memset(&s, 0, sizeof(s));
	prefixlist_init(&allow);
	struct a5_prefix a = pfx("192.0.2.0/24");
	prefixlist_add(&allow, &a);
	s.enf = enf_open(true, &allow, 3600, err, sizeof(err));
	assert_non_null(s.enf);
	prefixlist_init(&s.protect);
	struct a5_prefix m = pfx("198.51.100.0/28");	/* a member's own */
	prefixlist_add(&s.protect, &m);
	s.max_prefix4 = 24;
	s.max_prefix6 = 48;
	return &s;
}

static size_t
records_msg(unsigned char *buf, uint32_t n, const struct enf_record *r)
{
	struct priv_hdr h = { PRIV_RECORDS, n, 0, 0 };

	memcpy(buf, &h, sizeof(h));
	for (uint32_t i = 0; i < n; i++)
		memcpy(buf + sizeof(h) + i * sizeof(*r), r, sizeof(*r));
	return sizeof(h) + n * sizeof(*r);
}

static struct enf_record
rec(uint8_t op, uint8_t group, const char *p)
{
	struct enf_record r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.group = group;
	r.ttl = 60;
	r.prefix = pfx(p);
	return r;
}

/* APPLY queues the records it carries (0 to PRIV_BATCH, checked as
 * RECORDS' are), applies all that is queued, answers nothing and ends the
 * worker's turn (2: the enforcer process goes back to poll). */
static void
test_apply(void **state)
{
	unsigned char buf[sizeof(struct priv_hdr) + 3 * sizeof(struct enf_record)];
	struct priv_reply reply;
	struct privs *s = server();
	struct enf_record r = rec(ENF_ADD, ENF_GROUP_LOCAL, "203.0.113.7/32");
	struct enf_record wide = rec(ENF_ADD, ENF_GROUP_COALITION, "203.0.112.0/22");
	struct enf_record c = rec(ENF_ADD, ENF_GROUP_COALITION, "203.0.113.9/32");
	struct priv_hdr h = { PRIV_APPLY, 0, 0, 0 };
	(void)state;

	/* queued by RECORDS, applied by an APPLY without a body */
	size_t n = records_msg(buf, 1, &r);
	assert_int_equal(priv_handle(s, buf, n, &reply), 0);
	assert_int_equal(enf_get_stats(s->enf)->applied, 0);
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), 2);
	assert_int_equal(enf_get_stats(s->enf)->applied, 1);

	/* an APPLY with two records: the one wider than the charter's scope
	 * is refused there, the other applied */
	h.n = 2;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &wide, sizeof(wide));
	memcpy(buf + sizeof(h) + sizeof(wide), &c, sizeof(c));
	n = sizeof(h) + 2 * sizeof(c);
	assert_int_equal(priv_handle(s, buf, n, &reply), 2);
	assert_int_equal(enf_get_stats(s->enf)->applied, 2);
	assert_int_equal(s->refused_scope, 1);

	/* a size that is not the header and n records: refused */
	assert_int_equal(priv_handle(s, buf, n - 1, &reply), -1);
	assert_int_equal(priv_handle(s, buf, n + sizeof(c), &reply), -1);
	h.n = PRIV_BATCH + 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(priv_handle(s, buf, sizeof(buf), &reply), -1);
	assert_int_equal(enf_get_stats(s->enf)->applied, 2);
	enf_close(s->enf);
}

/* The heartbeat: exactly one record with its reserved word zero, kept
 * (the last one); no reply. */
static void
test_alive(void **state)
{
	unsigned char buf[sizeof(struct priv_hdr) + 2 * sizeof(struct priv_alive)];
	struct priv_reply reply;
	struct privs *s = server();
	struct priv_alive a = { 3, 1, 1, 0, 12 }, b = { 2, 0, 0, 0, 7 };
	struct priv_hdr h = { PRIV_ALIVE, 1, 0, 0 };
	(void)state;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &a, sizeof(a));
	assert_int_equal(priv_handle(s, buf, sizeof(h) + sizeof(a), &reply), 0);
	assert_int_equal(s->alive.sources, 3);
	assert_int_equal(s->alive.hups, 1);
	assert_int_equal(s->alive.bans_active, 12);
	/* a byte short, a byte more, none, two, the reserved word set:
	 * refused, and what was kept stays */
	assert_int_equal(priv_handle(s, buf, sizeof(h) + sizeof(a) - 1, &reply), -1);
	assert_int_equal(priv_handle(s, buf, sizeof(h) + sizeof(a) + 1, &reply), -1);
	h.n = 0;
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), -1);
	h.n = 2;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h) + sizeof(a), &b, sizeof(b));
	assert_int_equal(priv_handle(s, buf, sizeof(buf), &reply), -1);
	h.n = 1;
	memcpy(buf, &h, sizeof(h));
	b.zero = 1;
	memcpy(buf + sizeof(h), &b, sizeof(b));
	assert_int_equal(priv_handle(s, buf, sizeof(h) + sizeof(b), &reply), -1);
	assert_int_equal(s->alive.sources, 3);
	assert_int_equal(s->alive.hups, 1);
	assert_int_equal(s->alive.bans_active, 12);
	/* the next one replaces it */
	b.zero = 0;
	memcpy(buf + sizeof(h), &b, sizeof(b));
	assert_int_equal(priv_handle(s, buf, sizeof(h) + sizeof(b), &reply), 0);
	assert_int_equal(s->alive.sources, 2);
	assert_int_equal(s->alive.hups, 0);
	assert_int_equal(s->alive.bans_active, 7);
	enf_close(s->enf);
}

static void
test_malformed(void **state)
{
	static unsigned char buf[sizeof(struct priv_hdr) + (PRIV_BATCH + 1) * sizeof(struct enf_record)];
	struct priv_reply reply;
	struct privs *s = server();
	struct enf_record r = rec(ENF_ADD, ENF_GROUP_LOCAL, "203.0.113.1/32");
	(void)state;

	/* shorter than a header */
	assert_int_equal(priv_handle(s, buf, 3, &reply), -1);
	/* a header announcing more records than follow, or fewer */
	size_t n = records_msg(buf, 2, &r);
	assert_int_equal(priv_handle(s, buf, n - 1, &reply), -1);
	assert_int_equal(priv_handle(s, buf, n + 1, &reply), -1);
	/* zero records, or more than a batch */
	n = records_msg(buf, 0, &r);
	assert_int_equal(priv_handle(s, buf, n, &reply), -1);
	n = records_msg(buf, PRIV_BATCH + 1, &r);
	assert_int_equal(priv_handle(s, buf, n, &reply), -1);
	/* unknown type, a request with a body, the reserved word set */
	struct priv_hdr h = { 99, 0, 0, 0 };
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), -1);
	h = (struct priv_hdr){ PRIV_COMMIT, 1, 0, 0 };
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), -1);
	h = (struct priv_hdr){ PRIV_COMMIT, 0, 0, 7 };
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), -1);
	/* a digest of a group that does not exist */
	h = (struct priv_hdr){ PRIV_DIGEST, 0, 5, 0 };
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), -1);
	/* prefixes: none, or one of bad form; a reload without its policy,
	 * with two, or with a policy out of bounds */
	unsigned char pb[sizeof(struct priv_hdr) + 2 * sizeof(struct a5_prefix)];
	struct a5_prefix bad = pfx("203.0.113.0/24");
	bad.addr[3] = 1;
	for (uint32_t t = PRIV_ALLOW; t <= PRIV_PROTECT; t++) {
		h = (struct priv_hdr){ t, 0, 0, 0 };
		assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), -1);
		h = (struct priv_hdr){ t, 1, 0, 0 };
		memcpy(pb, &h, sizeof(h));
		memcpy(pb + sizeof(h), &bad, sizeof(bad));
		assert_int_equal(priv_handle(s, pb, sizeof(h) + sizeof(bad), &reply), -1);
		assert_int_equal(priv_handle(s, pb, sizeof(h) + sizeof(bad) - 1, &reply), -1);
	}
	struct priv_policy pol[2] = { { 3600, 0, 24, 48, 0 }, { 3600, 0, 24, 48, 0 } };
	h = (struct priv_hdr){ PRIV_RELOAD, 0, 0, 0 };
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), -1);
	h = (struct priv_hdr){ PRIV_RELOAD, 2, 0, 0 };
	memcpy(pb, &h, sizeof(h));
	memcpy(pb + sizeof(h), pol, sizeof(pol));
	assert_int_equal(priv_handle(s, pb, sizeof(h) + sizeof(pol), &reply), -1);
	struct priv_policy wrong[4] = {
		{ 3600, 2, 24, 48, 0 }, { 3600, 0, 33, 48, 0 }, { 3600, 0, 24, 129, 0 },
		{ 3600, 0, 24, 48, 1 },
	};
	h = (struct priv_hdr){ PRIV_RELOAD, 1, 0, 0 };
	memcpy(pb, &h, sizeof(h));
	for (int i = 0; i < 4; i++) {
		memcpy(pb + sizeof(h), &wrong[i], sizeof(wrong[i]));
		assert_int_equal(priv_handle(s, pb, sizeof(h) + sizeof(wrong[i]), &reply), -1);
	}
	/* well-formed, but this server has no reload hook: refused */
	memcpy(pb + sizeof(h), &pol[0], sizeof(pol[0]));
	assert_int_equal(priv_handle(s, pb, sizeof(h) + sizeof(pol[0]), &reply), 1);
	assert_int_equal(reply.rc, -1);
	/* well-formed: a batch is queued (no reply), a commit is answered */
	n = records_msg(buf, PRIV_BATCH, &r);
	assert_int_equal(priv_handle(s, buf, n, &reply), 0);
	h = (struct priv_hdr){ PRIV_COMMIT, 0, 0, 0 };
	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	dup2(null, 2);	/* observe mode logs each record it would apply */
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), 1);
	dup2(saved, 2);
	close(saved);
	close(null);
	assert_int_equal(reply.rc, 0);
	/* no mirror here: the digest says so */
	h = (struct priv_hdr){ PRIV_DIGEST, 0, -1, 0 };
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), 1);
	assert_int_equal(reply.rc, PRIV_NO_MIRROR);
	enf_close(s->enf);
}

/* What the enforcer refuses of a worker that lies: records of bad form,
 * the allowlist, and for coalition bans a member's prefix or a prefix
 * wider than the charter allows. Deletions and local bans of the same
 * prefixes are not scope-checked (a local decision may ban anything not
 * allowlisted). */
static void
test_rechecks(void **state)
{
	unsigned char buf[sizeof(struct priv_hdr) + 8 * sizeof(struct enf_record)];
	struct priv_reply reply;
	struct privs *s = server();
	struct enf_record v[8];
	(void)state;

	v[0] = rec(ENF_ADD, ENF_GROUP_COALITION, "203.0.113.7/32");	/* fine */
	v[1] = rec(ENF_ADD, ENF_GROUP_COALITION, "198.51.100.5/32");	/* a member's */
	v[2] = rec(ENF_ADD, ENF_GROUP_COALITION, "203.0.112.0/23");	/* too wide */
	v[3] = rec(ENF_ADD, ENF_GROUP_LOCAL, "192.0.2.9/32");		/* allowlisted */
	v[4] = rec(ENF_ADD, ENF_GROUP_LOCAL, "198.51.100.5/32");	/* local: allowed */
	v[5] = rec(ENF_DELETE, ENF_GROUP_COALITION, "198.51.100.5/32");	/* delete: allowed */
	v[6] = rec(ENF_ADD, 7, "203.0.113.8/32");			/* no such group */
	v[7] = rec(ENF_ADD, ENF_GROUP_LOCAL, "203.0.113.9/32");
	v[7].prefix.addr[3] = 9;
	v[7].prefix.len = 24;						/* host bits set */
	struct priv_hdr h = { PRIV_RECORDS, 8, 0, 0 };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), v, sizeof(v));
	assert_int_equal(priv_handle(s, buf, sizeof(buf), &reply), 0);
	h = (struct priv_hdr){ PRIV_COMMIT, 0, 0, 0 };
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), 1);
	h = (struct priv_hdr){ PRIV_STATS, 0, 0, 0 };
	assert_int_equal(priv_handle(s, &h, sizeof(h), &reply), 1);
	assert_int_equal(s->refused_scope, 2);
	assert_int_equal(reply.stats.refused, 5);	/* 2 scope + allowlist + group + form */
	assert_int_equal(reply.stats.applied, 3);

	/* without a coalition, no coalition ban at all */
	s->max_prefix4 = s->max_prefix6 = 0;
	h = (struct priv_hdr){ PRIV_RECORDS, 1, 0, 0 };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &v[0], sizeof(v[0]));
	assert_int_equal(priv_handle(s, buf, sizeof(h) + sizeof(v[0]), &reply), 0);
	assert_int_equal(s->refused_scope, 3);
	enf_close(s->enf);
}

static struct priv_policy got_pol;
static struct prefixlist got_allow;

static int
record_reload(void *arg, const struct priv_policy *pol, const struct prefixlist *allow)
{
	(void)arg;
	got_pol = *pol;
	got_allow = *allow;
	return 0;
}

static size_t
prefixes_msg(unsigned char *buf, uint32_t type, const char *a, const char *b)
{
	struct priv_hdr h = { type, b != NULL ? 2 : 1, 0, 0 };
	struct a5_prefix p[2] = { pfx(a), pfx(b != NULL ? b : a) };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), p, h.n * sizeof(p[0]));
	return sizeof(h) + h.n * sizeof(p[0]);
}

static size_t
policy_msg(unsigned char *buf, uint8_t max4, uint8_t max6)
{
	struct priv_hdr h = { PRIV_RELOAD, 1, 0, 0 };
	struct priv_policy pol = { 7200, 1, max4, max6, 0 };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &pol, sizeof(pol));
	return sizeof(h) + sizeof(pol);
}

/* A coalition addition of p: refused by the scope (1) or not (0). */
static int
scope_refuses(struct privs *s, const char *p)
{
	unsigned char buf[sizeof(struct priv_hdr) + sizeof(struct enf_record)];
	struct enf_record r = rec(ENF_ADD, ENF_GROUP_COALITION, p);
	struct priv_reply reply;
	uint64_t before = s->refused_scope;

	assert_int_equal(priv_handle(s, buf, records_msg(buf, 1, &r), &reply), 0);
	return s->refused_scope != before;
}

/* A reload and a charter's scope come as records: the allowlist reaches
 * the hook and is not kept for the next reload; member prefixes are
 * protected at once and stay; the widest prefixes never go below the
 * floor of the start, and a configuration without a charter ends
 * coalition bans. */
static void
test_reload_scope(void **state)
{
	unsigned char buf[sizeof(struct priv_hdr) + 2 * sizeof(struct a5_prefix)];
	struct priv_reply reply;
	struct privs *s = server();
	(void)state;

	s->reload = record_reload;
	s->max_floor4 = 24;
	s->max_floor6 = 48;
	assert_int_equal(scope_refuses(s, "203.0.113.7/32"), 0);
	assert_int_equal(priv_handle(s, buf, prefixes_msg(buf, PRIV_PROTECT, "203.0.113.0/26",
	    "2001:db8:a1::/48"), &reply), 0);
	assert_int_equal(scope_refuses(s, "203.0.113.7/32"), 1);
	assert_int_equal(scope_refuses(s, "2001:db8:a1::5/128"), 1);
	assert_int_equal(scope_refuses(s, "198.51.100.3/32"), 1);	/* from the start */
	assert_int_equal(scope_refuses(s, "203.0.113.77/32"), 0);

	assert_int_equal(priv_handle(s, buf, prefixes_msg(buf, PRIV_ALLOW, "192.0.2.0/24",
	    "2001:db8::/32"), &reply), 0);
	assert_int_equal(priv_handle(s, buf, policy_msg(buf, 16, 32), &reply), 1);
	assert_int_equal(reply.rc, 0);
	assert_int_equal(got_pol.ttl_max, 7200);
	assert_int_equal(got_pol.observe, 1);
	assert_int_equal(got_allow.n, 2);
	struct a5_prefix want = pfx("2001:db8::/32");
	assert_true(prefix_equal(&got_allow.p[1], &want));
	/* wider than the start's charter: the floor holds */
	assert_int_equal(s->max_prefix4, 24);
	assert_int_equal(s->max_prefix6, 48);
	assert_int_equal(scope_refuses(s, "203.0.114.0/23"), 1);
	/* narrower: taken; the allowlist was not kept */
	assert_int_equal(priv_handle(s, buf, policy_msg(buf, 28, 56), &reply), 1);
	assert_int_equal(got_allow.n, 0);
	assert_int_equal(s->max_prefix4, 28);
	assert_int_equal(s->max_prefix6, 56);
	assert_int_equal(scope_refuses(s, "203.0.114.0/24"), 1);
	assert_int_equal(scope_refuses(s, "203.0.114.0/28"), 0);
	/* member prefixes protected before stay protected */
	assert_int_equal(scope_refuses(s, "203.0.113.7/32"), 1);
	/* no charter any more: no coalition bans */
	assert_int_equal(priv_handle(s, buf, policy_msg(buf, 0, 0), &reply), 1);
	assert_int_equal(scope_refuses(s, "203.0.114.9/32"), 1);
	/* a refused reload changes nothing */
	s->reload = NULL;
	assert_int_equal(priv_handle(s, buf, policy_msg(buf, 28, 56), &reply), 1);
	assert_int_equal(reply.rc, -1);
	assert_int_equal(s->max_prefix4, 0);
	enf_close(s->enf);
}

/* The forked server's reload hook: 0 only for the policy and allowlist
 * test_roundtrip's configuration gives. */
static int
expect_reload(void *arg, const struct priv_policy *pol, const struct prefixlist *allow)
{
	struct a5_prefix a = pfx("192.0.2.128/25"), b = pfx("2001:db8:77::/48");

	(void)arg;
	if (pol->observe != 1 || pol->ttl_max != 1234 || pol->max_prefix4 != 24 ||
	    pol->max_prefix6 != 48 || allow->n != 2 || !prefix_equal(&allow->p[0], &a) ||
	    !prefix_equal(&allow->p[1], &b))
		return -1;
	return 0;
}

/* A state directory with a charter.adopted: the example charter with one
 * member's prefix changed. The directory's path is written to dir. */
static void
adopted_charter(char *dir, size_t n)
{
	char path[512], line[512];

	snprintf(dir, n, "/tmp/test_privsep.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/charter.adopted", dir);
	FILE *in = fopen(A5_SRCDIR "/etc/coalition.charter.example", "r");
	FILE *out = fopen(path, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		char *m = strstr(line, "203.0.113.128/26");
		if (m != NULL)
			memcpy(m, "203.0.113.192/26", 16);
		fputs(line, out);
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* The worker's calls against a forked enforcer, and what a worker sees
 * once it is gone. */
static void
test_roundtrip(void **state)
{
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static unsigned char buf[sizeof(struct priv_hdr) + PRIV_BATCH * sizeof(struct enf_record)];
		struct privs *s = server();
		struct priv_reply reply;
		s->reload = expect_reload;
		close(sv[0]);
		/* observe mode logs each record it would apply: 522 lines */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(5);
		for (;;) {
			ssize_t n = recv(sv[1], buf, sizeof(buf), 0);
			if (n <= 0)
				_exit(0);
			int r = priv_handle(s, buf, (size_t)n, &reply);
			if (r < 0)
				_exit(3);
			if (r == 1 && send(sv[1], &reply, sizeof(reply), 0) != (ssize_t)sizeof(reply))
				_exit(4);
		}
	}
	close(sv[1]);
	struct privc *c = privc_new(sv[0]);
	assert_non_null(c);
	struct enf_record r = rec(ENF_ADD, ENF_GROUP_LOCAL, "203.0.113.1/32");
	/* more than one batch: the first goes out by itself */
	for (int i = 0; i < PRIV_BATCH + 10; i++) {
		r.prefix.addr[3] = (uint8_t)(i % 250 + 1);
		r.prefix.addr[2] = (uint8_t)(i / 250);
		assert_int_equal(privc_queue(c, &r), 0);
	}
	assert_int_equal(privc_pending(c), PRIV_BATCH + 10);
	assert_int_equal(privc_commit(c), 0);
	assert_int_equal(privc_pending(c), 0);
	struct enf_stats st;
	assert_int_equal(privc_stats(c, &st), 0);
	assert_int_equal(st.applied, PRIV_BATCH + 10);
	/* applied without an answer: the next request's answer, behind it on
	 * the socket, already counts it (no reply of its own is left to
	 * read, or stats would read it as theirs) */
	r.prefix.addr[2] = 9;
	assert_int_equal(privc_queue(c, &r), 0);
	assert_int_equal(privc_apply(c), 0);
	assert_int_equal(privc_pending(c), 0);
	assert_int_equal(privc_apply(c), 0);	/* nothing queued: nothing sent */
	assert_int_equal(privc_stats(c, &st), 0);
	assert_int_equal(st.applied, PRIV_BATCH + 11);
	assert_int_equal(st.commits, 2);	/* privc_commit's, then the apply's */
	uint8_t dg[KSET_DIGEST_LEN];
	uint64_t count;
	assert_int_equal(privc_digest(c, ENF_GROUP_COALITION, dg, &count), PRIV_NO_MIRROR);
	/* a reload: the charters' scope, the allowlist, the policy */
	static struct config cfg;
	char dir[64];
	adopted_charter(dir, sizeof(dir));
	config_defaults(&cfg);
	snprintf(cfg.charter, sizeof(cfg.charter), "%s", A5_SRCDIR "/etc/coalition.charter.example");
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", dir);
	cfg.observe = true;
	cfg.bantime_max = 1234;
	struct a5_prefix a = pfx("192.0.2.128/25"), b = pfx("2001:db8:77::/48");
	prefixlist_add(&cfg.allow, &a);
	assert_int_equal(privc_policy(c, &cfg), -1);	/* the hook wants two */
	prefixlist_add(&cfg.allow, &b);
	assert_int_equal(privc_policy(c, &cfg), 0);
	/* members of both charters are protected, others are not */
	struct enf_stats before;
	assert_int_equal(privc_stats(c, &before), 0);
	const char *cban[4] = { "203.0.113.5/32", "203.0.113.130/32", "203.0.113.200/32",
		"198.18.0.1/32" };
	for (int i = 0; i < 4; i++) {
		struct enf_record cr = rec(ENF_ADD, ENF_GROUP_COALITION, cban[i]);
		assert_int_equal(privc_queue(c, &cr), 0);
	}
	assert_int_equal(privc_commit(c), 0);
	assert_int_equal(privc_stats(c, &st), 0);
	assert_int_equal(st.refused - before.refused, 3);
	assert_int_equal(st.applied - before.applied, 1);
	char path[128];
	snprintf(path, sizeof(path), "%s/charter.adopted", dir);
	unlink(path);
	rmdir(dir);
	/* privc_scope alone: no reply, the link stays usable */
	assert_int_equal(privc_scope(c, &cfg), 0);
	assert_int_equal(privc_flush(c), 0);
	assert_false(privc_broken(c));

	/* a commit with nothing queued costs no round trip */
	assert_int_equal(privc_commit(c), 0);

	/* the enforcer goes away: every call fails, and says so */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(privc_queue(c, &r), 0);	/* buffered: not sent yet */
	assert_int_equal(privc_commit(c), -1);
	assert_true(privc_broken(c));
	assert_int_equal(privc_queue(c, &r), -1);
	assert_int_equal(privc_commit(c), -1);
	struct enf_stats none;
	assert_int_equal(privc_stats(c, &none), -1);
	privc_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_alive),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_rechecks),
		cmocka_unit_test(test_reload_scope),
		cmocka_unit_test(test_roundtrip),
	};
	signal(SIGPIPE, SIG_IGN);
	log_init("test_privsep", 0, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
