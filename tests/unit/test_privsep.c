/* test_privsep.c - the enforcer process's side of the socket refuses every
 * message whose size or type is wrong, checks coalition additions against
 * the charter's scope on its own, and the worker's calls round-trip over a
 * real socketpair to a forked server (the enforcer in observe mode: no
 * kernel is touched). */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/privsep.h"

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
	uint8_t dg[KSET_DIGEST_LEN];
	uint64_t count;
	assert_int_equal(privc_digest(c, ENF_GROUP_COALITION, dg, &count), PRIV_NO_MIRROR);
	assert_int_equal(privc_reload(c), -1);	/* no reload hook in this server */
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
		cmocka_unit_test(test_rechecks),
		cmocka_unit_test(test_roundtrip),
	};
	signal(SIGPIPE, SIG_IGN);
	log_init("test_privsep", 0, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
