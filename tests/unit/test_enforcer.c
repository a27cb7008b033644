/* test_enforcer.c - the nftables enforcer against a real kernel, inside a
 * private network namespace so the host's firewall is never touched. */
#include "testutil.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/prefixlist.h"
#include "enforcer/enforcer.h"

/* ------------------------------------------------------------ helpers */

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	if (prefix_parse(s, strlen(s), &p) != 0)
		fail_msg("test prefix does not parse: %s", s);
	return p;
}

static struct enf_record
rec(uint8_t op, const char *s, uint32_t ttl)
{
	struct enf_record r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.ttl = ttl;
	r.prefix = pfx(s);
	return r;
}

static void
queue_ok(struct enforcer *e, uint8_t op, const char *s, uint32_t ttl)
{
	struct enf_record r = rec(op, s, ttl);

	assert_int_equal(enf_queue(e, &r), 0);
}

/* A record for the coalition group (bans enforced for other members). */
static void
queue_coal(struct enforcer *e, uint8_t op, const char *s, uint32_t ttl)
{
	struct enf_record r = rec(op, s, ttl);

	r.group = ENF_GROUP_COALITION;
	assert_int_equal(enf_queue(e, &r), 0);
}

static int
contains(struct enforcer *e, const char *s)
{
	struct a5_prefix p = pfx(s);

	return enf_contains(e, &p);
}

static int
contains_in(struct enforcer *e, int group, const char *s)
{
	struct a5_prefix p = pfx(s);

	return enf_contains_group(e, group, &p);
}

static struct enforcer *
open_real(const struct prefixlist *allow, uint32_t ttl_max)
{
	char err[512] = "";
	struct enforcer *e = enf_open(false, allow, ttl_max, err, sizeof(err));

	if (e == NULL)
		fail_msg("enf_open: %s", err);
	return e;
}

/* A fresh table for each test: open, drop whatever an earlier test left,
 * open again. */
static struct enforcer *
open_fresh(const struct prefixlist *allow, uint32_t ttl_max)
{
	struct enforcer *e = open_real(NULL, 0);

	assert_int_equal(enf_destroy_table(e), 0);
	enf_close(e);
	return open_real(allow, ttl_max);
}

/* Runs one nft command in a context of its own (an independent observer of
 * the kernel state). Returns nft's status; out receives its output. */
static int
nft_cmd(const char *cmd, char *out, size_t outlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc;

	assert_non_null(ctx);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	rc = nft_run_cmd_from_buffer(ctx, cmd);
	if (out != NULL)
		snprintf(out, outlen, "%s", nft_ctx_get_output_buffer(ctx));
	nft_ctx_free(ctx);
	return rc;
}

static bool
table_exists(void)
{
	return nft_cmd("list table inet " ENF_TABLE, NULL, 0) == 0;
}

/* Linux 6.10 made a re-added element take the new timeout; before, the
 * first timeout stays. */
static bool
kernel_updates_timeouts(void)
{
	struct utsname u;
	unsigned long major, minor;
	char *end;

	if (uname(&u) != 0)
		return false;
	major = strtoul(u.release, &end, 10);
	minor = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
	return major > 6 || (major == 6 && minor >= 10);
}

static int
count_substr(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* ------------------------------------------------------------ tests */

static void
test_open_creates_table(void **state)
{
	static char out[65536];
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	assert_true(table_exists());
	assert_int_equal(nft_cmd("list table inet " ENF_TABLE, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "set " ENF_SET4));
	assert_non_null(strstr(out, "set " ENF_SET6));
	assert_non_null(strstr(out, "set " ENF_NET4));
	assert_non_null(strstr(out, "set " ENF_NET6));
	assert_non_null(strstr(out, "set " ENF_CSET4 " {"));
	assert_non_null(strstr(out, "set " ENF_CSET6 " {"));
	assert_non_null(strstr(out, "set " ENF_CNET4 " {"));
	assert_non_null(strstr(out, "set " ENF_CNET6 " {"));
	assert_non_null(strstr(out, "@" ENF_CSET4 " counter"));
	assert_non_null(strstr(out, "@" ENF_CNET6 " counter"));
	assert_non_null(strstr(out, "hook input priority filter - 10; policy accept;"));
	assert_non_null(strstr(out, "hook forward priority filter - 10; policy accept;"));
	/* Eight sets, each dropped on the input and the forward hook. */
	assert_int_equal(count_substr(out, "drop"), 16);
	assert_int_equal(nft_cmd("list set inet " ENF_TABLE " " ENF_CNET4, out,
	    sizeof(out)), 0);
	assert_non_null(strstr(out, "flags interval,timeout"));
	assert_int_equal(nft_cmd("list set inet " ENF_TABLE " " ENF_CSET6, out,
	    sizeof(out)), 0);
	assert_non_null(strstr(out, "type ipv6_addr"));
	assert_non_null(strstr(out, "flags timeout"));
	assert_null(strstr(out, "interval"));
	enf_close(e);
}

static void
test_add_contains_delete(void **state)
{
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	queue_ok(e, ENF_ADD, "192.0.2.7", 3600);
	queue_ok(e, ENF_ADD, "2001:db8::7", 3600);
	queue_ok(e, ENF_ADD, "198.51.100.0/24", 0);
	queue_ok(e, ENF_ADD, "2001:db8:1::/48", 600);
	assert_int_equal(enf_pending(e), 4);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(enf_pending(e), 0);

	assert_int_equal(contains(e, "192.0.2.7"), 1);
	assert_int_equal(contains(e, "192.0.2.8"), 0);
	assert_int_equal(contains(e, "2001:db8::7"), 1);
	assert_int_equal(contains(e, "2001:db8::8"), 0);
	assert_int_equal(contains(e, "198.51.100.0/24"), 1);
	/* Inside a banned prefix counts as banned, the other way round not. */
	assert_int_equal(contains(e, "198.51.100.77"), 1);
	assert_int_equal(contains(e, "198.51.100.128/25"), 1);
	assert_int_equal(contains(e, "198.51.0.0/16"), 0);
	assert_int_equal(contains(e, "198.51.101.1"), 0);
	assert_int_equal(contains(e, "2001:db8:1:ffff::1"), 1);
	assert_int_equal(contains(e, "2001:db8:1::/64"), 1);
	assert_int_equal(contains(e, "2001:db8:2::/48"), 0);

	queue_ok(e, ENF_DELETE, "192.0.2.7", 0);
	queue_ok(e, ENF_DELETE, "2001:db8::7", 0);
	queue_ok(e, ENF_DELETE, "198.51.100.0/24", 0);
	queue_ok(e, ENF_DELETE, "2001:db8:1::/48", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "192.0.2.7"), 0);
	assert_int_equal(contains(e, "2001:db8::7"), 0);
	assert_int_equal(contains(e, "198.51.100.77"), 0);
	assert_int_equal(contains(e, "2001:db8:1::/48"), 0);

	const struct enf_stats *st = enf_get_stats(e);
	assert_int_equal(st->applied, 8);
	assert_int_equal(st->failed, 0);
	assert_int_equal(st->refused, 0);
	assert_true(st->commits >= 2);
	enf_close(e);
}

static void
test_order_within_commit(void **state)
{
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	/* Same element added, deleted, added again in one commit: order kept. */
	queue_ok(e, ENF_ADD, "192.0.2.10", 0);
	queue_ok(e, ENF_DELETE, "192.0.2.10", 0);
	queue_ok(e, ENF_ADD, "192.0.2.10", 0);
	queue_ok(e, ENF_ADD, "192.0.2.11", 0);
	queue_ok(e, ENF_DELETE, "192.0.2.11", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "192.0.2.10"), 1);
	assert_int_equal(contains(e, "192.0.2.11"), 0);
	assert_int_equal(enf_get_stats(e)->commits, 1);
	enf_close(e);
}

static void
test_delete_absent_ok(void **state)
{
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	queue_ok(e, ENF_DELETE, "203.0.113.9", 0);
	queue_ok(e, ENF_DELETE, "2001:db8::99", 0);
	queue_ok(e, ENF_DELETE, "203.0.113.0/24", 0);
	queue_ok(e, ENF_DELETE, "2001:db8:5::/48", 0);
	assert_int_equal(enf_commit(e), 0);
	/* Absent from a prefix set, but inside a wider banned prefix. */
	queue_ok(e, ENF_ADD, "10.20.0.0/16", 0);
	assert_int_equal(enf_commit(e), 0);
	queue_ok(e, ENF_DELETE, "10.20.1.0/24", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "10.20.0.0/16"), 1);
	assert_int_equal(enf_get_stats(e)->failed, 0);
	assert_int_equal(enf_get_stats(e)->applied, 6);
	assert_true(table_exists());
	enf_close(e);
}

static void
test_batch_isolates_bad_record(void **state)
{
	struct enforcer *e;
	char addr[64];

	(void)state;
	e = open_fresh(NULL, 0);
	/* A range that is not a prefix, written by someone else: a prefix over
	 * it can neither be added nor widened, so the kernel refuses it. */
	assert_int_equal(nft_cmd("add element inet " ENF_TABLE " " ENF_NET4
	    " { 10.9.0.3-10.9.0.7 }", NULL, 0), 0);
	for (int i = 0; i < 300; i++) {
		if (i == 150)
			queue_ok(e, ENF_ADD, "10.9.0.0/24", 60);
		snprintf(addr, sizeof(addr), "172.16.%d.%d", i / 250, i % 250 + 1);
		queue_ok(e, ENF_ADD, addr, 600);
	}
	assert_int_equal(enf_commit(e), 1);
	for (int i = 0; i < 300; i += 7) {
		snprintf(addr, sizeof(addr), "172.16.%d.%d", i / 250, i % 250 + 1);
		assert_int_equal(contains(e, addr), 1);
	}
	assert_int_equal(contains(e, "10.9.0.0/24"), 0);
	assert_int_equal(contains(e, "10.9.0.5"), 1);	/* the foreign range */
	const struct enf_stats *st = enf_get_stats(e);
	assert_int_equal(st->failed, 1);
	assert_int_equal(st->applied, 300);
	/* Bisection, not one transaction per record. */
	assert_true(st->commits < 40);
	enf_close(e);
}

static void
test_prefix_overlaps(void **state)
{
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	/* Narrower inside wider: already covered, counts as applied. */
	queue_ok(e, ENF_ADD, "10.6.0.0/16", 0);
	assert_int_equal(enf_commit(e), 0);
	queue_ok(e, ENF_ADD, "10.6.1.0/24", 0);
	assert_int_equal(enf_commit(e), 0);
	/* Wider over narrower ones (escalation): the narrower go, the wider stays. */
	queue_ok(e, ENF_ADD, "10.7.1.0/24", 0);
	queue_ok(e, ENF_ADD, "10.7.2.0/25", 0);
	queue_ok(e, ENF_ADD, "2001:db8:7:1::/64", 0);
	assert_int_equal(enf_commit(e), 0);
	queue_ok(e, ENF_ADD, "10.7.0.0/16", 3600);
	queue_ok(e, ENF_ADD, "2001:db8:7::/48", 3600);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "10.7.0.0/16"), 1);
	assert_int_equal(contains(e, "10.7.200.1"), 1);
	assert_int_equal(contains(e, "2001:db8:7::/48"), 1);
	/* The /24 is no longer an element of its own: deleting the /16 unbans all. */
	queue_ok(e, ENF_DELETE, "10.7.0.0/16", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "10.7.1.1"), 0);
	/* Both in one commit: isolated, then widened. */
	queue_ok(e, ENF_ADD, "10.8.3.0/24", 0);
	queue_ok(e, ENF_ADD, "10.8.0.0/16", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "10.8.0.0/16"), 1);
	/* Hosts and prefixes live in different sets and never collide. */
	queue_ok(e, ENF_ADD, "10.6.5.5", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(enf_get_stats(e)->failed, 0);
	enf_close(e);
}

static void
test_allowlist_refusal(void **state)
{
	struct prefixlist *allow = calloc(1, sizeof(*allow));
	struct enforcer *e;
	struct enf_record r;

	(void)state;
	assert_non_null(allow);
	prefixlist_init(allow);
	struct a5_prefix a = pfx("192.0.2.0/24"), b = pfx("2001:db8:a::1");
	assert_int_equal(prefixlist_add(allow, &a), 0);
	assert_int_equal(prefixlist_add(allow, &b), 0);
	e = open_fresh(allow, 0);
	free(allow);	/* the enforcer keeps its own copy */

	r = rec(ENF_ADD, "192.0.2.5", 60);
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_ADD, "192.0.0.0/16", 60);	/* wider, holds allowed addresses */
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_ADD, "2001:db8:a::/64", 60);
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_ADD, "192.0.3.5", 60);
	assert_int_equal(enf_queue(e, &r), 0);
	/* Unbanning an allowlisted address is always allowed. */
	r = rec(ENF_DELETE, "192.0.2.5", 0);
	assert_int_equal(enf_queue(e, &r), 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "192.0.2.5"), 0);
	assert_int_equal(contains(e, "192.0.3.5"), 1);
	assert_int_equal(enf_get_stats(e)->refused, 3);
	enf_close(e);
}

static void
test_record_validation(void **state)
{
	struct enforcer *e;
	struct enf_record r;

	(void)state;
	e = open_fresh(NULL, 0);
	r = rec(ENF_ADD, "192.0.2.1", 60);
	r.op = 0;
	assert_int_equal(enf_queue(e, &r), -1);
	r.op = 3;
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_ADD, "192.0.2.1", 60);
	r.prefix.family = 5;
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_ADD, "192.0.2.1", 60);
	r.prefix.len = 0;
	assert_int_equal(enf_queue(e, &r), -1);
	r.prefix.len = 33;
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_ADD, "192.0.2.0/24", 60);
	r.prefix.addr[3] = 1;			/* host bit */
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_ADD, "192.0.2.1", 60);
	r.prefix.addr[9] = 1;			/* garbage past an IPv4 address */
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_ADD, "2001:db8::/32", 60);
	r.prefix.len = 129;
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_DELETE, "2001:db8::/32", 0);
	r.prefix.addr[15] = 1;
	assert_int_equal(enf_queue(e, &r), -1);
	/* Only the two groups exist, for an add or a delete. */
	r = rec(ENF_ADD, "192.0.2.1", 60);
	r.group = 2;
	assert_int_equal(enf_queue(e, &r), -1);
	r = rec(ENF_DELETE, "192.0.2.1", 0);
	r.group = 255;
	assert_int_equal(enf_queue(e, &r), -1);
	assert_int_equal(enf_pending(e), 0);
	assert_int_equal(enf_get_stats(e)->refused, 11);
	/* A malformed prefix is refused by contains too. */
	struct a5_prefix p = pfx("192.0.2.0/24");
	p.addr[3] = 1;
	assert_int_equal(enf_contains(e, &p), -1);
	assert_int_equal(enf_contains_group(e, ENF_GROUP_COALITION, &p), -1);
	p = pfx("192.0.2.0/24");
	assert_int_equal(enf_contains_group(e, 2, &p), -1);
	assert_int_equal(enf_contains_group(e, -1, &p), -1);
	enf_close(e);
}

static void
test_queue_bound(void **state)
{
	struct enforcer *e;
	struct enf_record r;

	(void)state;
	e = open_fresh(NULL, 0);
	memset(&r, 0, sizeof(r));
	r.op = ENF_ADD;
	r.ttl = 600;
	r.prefix.family = A5_AF_INET;
	r.prefix.len = 32;
	for (uint32_t i = 0; i < ENF_QUEUE_MAX; i++) {
		uint32_t a = htonl(0x0b000001u + i);	/* 11.0.0.1 onwards */
		memcpy(r.prefix.addr, &a, 4);
		assert_int_equal(enf_queue(e, &r), 0);
	}
	r.prefix.addr[0] = 12;
	assert_int_equal(enf_queue(e, &r), -1);
	assert_int_equal(enf_queue(e, &r), -1);
	assert_int_equal(enf_get_stats(e)->dropped, 2);
	assert_int_equal(enf_pending(e), ENF_QUEUE_MAX);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(enf_get_stats(e)->applied, ENF_QUEUE_MAX);
	assert_int_equal(contains(e, "11.0.0.1"), 1);
	assert_int_equal(contains(e, "11.1.0.0"), 1);	/* the last one */
	assert_int_equal(contains(e, "11.1.0.1"), 0);
	/* After a commit the queue takes records again. */
	assert_int_equal(enf_queue(e, &r), 0);
	enf_close(e);
}

static void
test_observe_touches_nothing(void **state)
{
	char err[256];
	struct enforcer *e;

	(void)state;
	e = open_real(NULL, 0);
	assert_int_equal(enf_destroy_table(e), 0);
	enf_close(e);
	assert_false(table_exists());

	e = enf_open(true, NULL, 0, err, sizeof(err));
	assert_non_null(e);
	queue_ok(e, ENF_ADD, "192.0.2.50", 60);
	queue_ok(e, ENF_ADD, "198.51.100.0/24", 0);
	queue_ok(e, ENF_DELETE, "192.0.2.51", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(enf_flush(e), 0);
	assert_int_equal(enf_contains(e, &(struct a5_prefix){ .family = A5_AF_INET,
	    .len = 32, .addr = { 192, 0, 2, 50 } }), 0);
	assert_int_equal(enf_destroy_table(e), 0);
	assert_int_equal(enf_get_stats(e)->applied, 3);
	enf_close(e);
	/* A fresh listing, from a context of its own: still no table. */
	assert_false(table_exists());
}

static void
test_flush(void **state)
{
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	queue_ok(e, ENF_ADD, "192.0.2.60", 0);
	queue_ok(e, ENF_ADD, "2001:db8::60", 0);
	queue_ok(e, ENF_ADD, "198.51.100.0/24", 0);
	queue_ok(e, ENF_ADD, "2001:db8:60::/48", 0);
	queue_coal(e, ENF_ADD, "192.0.2.61", 0);
	queue_coal(e, ENF_ADD, "2001:db8::61", 0);
	queue_coal(e, ENF_ADD, "198.51.101.0/24", 0);
	queue_coal(e, ENF_ADD, "2001:db8:61::/48", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "198.51.101.1"), 1);
	assert_int_equal(enf_flush(e), 0);
	assert_int_equal(contains(e, "192.0.2.60"), 0);
	assert_int_equal(contains(e, "2001:db8::60"), 0);
	assert_int_equal(contains(e, "198.51.100.1"), 0);
	assert_int_equal(contains(e, "2001:db8:60::1"), 0);
	/* Both groups. */
	assert_int_equal(contains(e, "192.0.2.61"), 0);
	assert_int_equal(contains(e, "2001:db8::61"), 0);
	assert_int_equal(contains(e, "198.51.101.1"), 0);
	assert_int_equal(contains(e, "2001:db8:61::1"), 0);
	assert_true(table_exists());
	/* Flushing empty sets is fine too. */
	assert_int_equal(enf_flush(e), 0);
	enf_close(e);
}

static void
test_ttl(void **state)
{
	struct enforcer *e, *capped;

	(void)state;
	e = open_fresh(NULL, 0);
	queue_ok(e, ENF_ADD, "192.0.2.70", 1);
	queue_ok(e, ENF_ADD, "198.51.100.0/24", 1);
	queue_ok(e, ENF_ADD, "2001:db8::70", 1);
	queue_ok(e, ENF_ADD, "192.0.2.71", 3600);
	assert_int_equal(enf_commit(e), 0);
	/* A second ban of the same address with a longer ttl: last one wins. */
	queue_ok(e, ENF_ADD, "192.0.2.74", 1);
	assert_int_equal(enf_commit(e), 0);
	queue_ok(e, ENF_ADD, "192.0.2.74", 3600);
	assert_int_equal(enf_commit(e), 0);
	/* ttl_max lowers every ttl, a permanent one included. */
	capped = open_real(NULL, 1);
	queue_ok(capped, ENF_ADD, "192.0.2.72", 0);
	queue_ok(capped, ENF_ADD, "192.0.2.73", 3600);
	assert_int_equal(enf_commit(capped), 0);
	assert_int_equal(contains(e, "192.0.2.70"), 1);
	assert_int_equal(contains(e, "198.51.100.9"), 1);
	assert_int_equal(contains(e, "192.0.2.72"), 1);

	struct timespec ts = { 2, 500000000 };
	nanosleep(&ts, NULL);
	assert_int_equal(contains(e, "192.0.2.70"), 0);
	assert_int_equal(contains(e, "198.51.100.9"), 0);
	assert_int_equal(contains(e, "2001:db8::70"), 0);
	assert_int_equal(contains(e, "192.0.2.72"), 0);
	assert_int_equal(contains(e, "192.0.2.73"), 0);
	assert_int_equal(contains(e, "192.0.2.71"), 1);
	if (kernel_updates_timeouts())
		assert_int_equal(contains(e, "192.0.2.74"), 1);
	/* Unbanning what already expired is not an error. */
	queue_ok(e, ENF_DELETE, "192.0.2.70", 0);
	queue_ok(e, ENF_DELETE, "198.51.100.0/24", 0);
	assert_int_equal(enf_commit(e), 0);
	enf_close(capped);
	enf_close(e);
}

static void
test_reopen_keeps_elements(void **state)
{
	static char out[65536];
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	queue_ok(e, ENF_ADD, "192.0.2.80", 3600);
	queue_ok(e, ENF_ADD, "2001:db8::80", 0);
	queue_ok(e, ENF_ADD, "198.51.100.0/24", 3600);
	assert_int_equal(enf_commit(e), 0);
	enf_close(e);
	e = open_real(NULL, 0);
	enf_close(e);
	e = open_real(NULL, 0);
	assert_int_equal(contains(e, "192.0.2.80"), 1);
	assert_int_equal(contains(e, "2001:db8::80"), 1);
	assert_int_equal(contains(e, "198.51.100.0/24"), 1);
	/* Our rules exist exactly once however often we open. */
	assert_int_equal(nft_cmd("list chain inet " ENF_TABLE " input", out, sizeof(out)), 0);
	assert_int_equal(count_substr(out, "drop"), 8);
	assert_int_equal(nft_cmd("list chain inet " ENF_TABLE " forward", out, sizeof(out)), 0);
	assert_int_equal(count_substr(out, "drop"), 8);
	enf_close(e);
}

static void
test_open_refuses_foreign_layout(void **state)
{
	char err[512] = "";
	struct enforcer *e;

	(void)state;
	e = open_real(NULL, 0);
	assert_int_equal(enf_destroy_table(e), 0);
	enf_close(e);
	assert_int_equal(nft_cmd("add table inet " ENF_TABLE "\n"
	    "add set inet " ENF_TABLE " " ENF_SET4 " { type ipv4_addr; }", NULL, 0), 0);
	e = enf_open(false, NULL, 0, err, sizeof(err));
	assert_null(e);
	assert_non_null(strstr(err, "File exists"));
	assert_non_null(strstr(err, "nft delete table inet " ENF_TABLE));
	assert_int_equal(nft_cmd("delete table inet " ENF_TABLE, NULL, 0), 0);
}

static void
test_destroy_table(void **state)
{
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	assert_true(table_exists());
	assert_int_equal(enf_destroy_table(e), 0);
	assert_false(table_exists());
	assert_int_equal(enf_destroy_table(e), 0);	/* already gone */
	/* With the table gone nothing is banned and commits fail cleanly. */
	assert_int_equal(contains(e, "192.0.2.1"), 0);
	queue_ok(e, ENF_ADD, "192.0.2.90", 0);
	assert_int_equal(enf_commit(e), 1);
	assert_int_equal(enf_get_stats(e)->failed, 1);
	/* A failure of every record is given up early, not bisected to the end. */
	uint64_t commits0 = enf_get_stats(e)->commits;
	char addr[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "172.17.%d.%d", i / 250, i % 250 + 1);
		queue_ok(e, ENF_ADD, addr, 0);
	}
	assert_int_equal(enf_commit(e), 1000);
	assert_int_equal(enf_get_stats(e)->failed, 1001);
	assert_true(enf_get_stats(e)->commits - commits0 < 64);
	enf_close(e);
}

static void
test_repairs_flushed_ruleset(void **state)
{
	static char out[65536];
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	queue_ok(e, ENF_ADD, "192.0.2.100", 0);
	assert_int_equal(enf_commit(e), 0);
	/* What a firewall service reload does. */
	assert_int_equal(nft_cmd("flush ruleset", NULL, 0), 0);
	assert_false(table_exists());
	queue_ok(e, ENF_ADD, "192.0.2.101", 0);
	queue_ok(e, ENF_ADD, "198.51.100.0/24", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "192.0.2.101"), 1);
	assert_int_equal(contains(e, "198.51.100.1"), 1);
	assert_int_equal(contains(e, "192.0.2.100"), 0);	/* lost with the table */
	assert_int_equal(nft_cmd("list chain inet " ENF_TABLE " input", out, sizeof(out)), 0);
	assert_int_equal(count_substr(out, "drop"), 8);
	/* A coalition set alone gone is repaired too. */
	assert_int_equal(nft_cmd("flush chain inet " ENF_TABLE " input; "
	    "flush chain inet " ENF_TABLE " forward; "
	    "delete set inet " ENF_TABLE " " ENF_CNET6, NULL, 0), 0);
	queue_coal(e, ENF_ADD, "2001:db8:100::/48", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "2001:db8:100::1"), 1);
	assert_int_equal(contains(e, "192.0.2.101"), 1);	/* kept */
	assert_int_equal(nft_cmd("list chain inet " ENF_TABLE " forward", out, sizeof(out)), 0);
	assert_int_equal(count_substr(out, "drop"), 8);
	assert_int_equal(enf_get_stats(e)->failed, 0);
	/* A flush with a set gone sets the table up again instead of
	 * failing every time: the other sets are emptied, the rules are
	 * back. */
	assert_int_equal(nft_cmd("flush chain inet " ENF_TABLE " input; "
	    "flush chain inet " ENF_TABLE " forward; "
	    "delete set inet " ENF_TABLE " " ENF_CSET4, NULL, 0), 0);
	assert_int_equal(enf_flush(e), 0);
	assert_int_equal(contains(e, "192.0.2.101"), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "2001:db8:100::1"), 0);
	assert_int_equal(nft_cmd("list chain inet " ENF_TABLE " input", out, sizeof(out)), 0);
	assert_int_equal(count_substr(out, "drop"), 8);
	/* The same after the whole ruleset went. */
	assert_int_equal(nft_cmd("flush ruleset", NULL, 0), 0);
	assert_int_equal(enf_flush(e), 0);
	assert_true(table_exists());
	queue_coal(e, ENF_ADD, "192.0.2.102", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "192.0.2.102"), 1);
	enf_close(e);
}

/* 1 if element s is in set `set` (an independent read through nft). */
static int
in_set(const char *set, const char *s)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "get element inet " ENF_TABLE " %s { %s }",
	    set, s);
	return nft_cmd(cmd, NULL, 0) == 0;
}

/* The same address or prefix banned by both groups: each group's records
 * touch only its own sets. */
static void
test_groups_are_separate(void **state)
{
	static char out[4096];
	struct enforcer *e;

	(void)state;
	e = open_fresh(NULL, 0);
	queue_ok(e, ENF_ADD, "192.0.2.110", 3600);
	queue_coal(e, ENF_ADD, "192.0.2.110", 3600);
	queue_ok(e, ENF_ADD, "198.51.100.0/24", 3600);
	queue_coal(e, ENF_ADD, "198.51.100.0/24", 3600);
	queue_coal(e, ENF_ADD, "2001:db8::110", 0);
	queue_coal(e, ENF_ADD, "2001:db8:110::/48", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_true(in_set(ENF_SET4, "192.0.2.110"));
	assert_true(in_set(ENF_CSET4, "192.0.2.110"));
	assert_true(in_set(ENF_NET4, "198.51.100.0/24"));
	assert_true(in_set(ENF_CNET4, "198.51.100.0/24"));
	assert_true(in_set(ENF_CSET6, "2001:db8::110"));
	assert_true(in_set(ENF_CNET6, "2001:db8:110::/48"));
	assert_false(in_set(ENF_SET6, "2001:db8::110"));
	assert_false(in_set(ENF_NET6, "2001:db8:110::/48"));
	assert_int_equal(contains_in(e, ENF_GROUP_LOCAL, "2001:db8::110"), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "2001:db8::110"), 1);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "2001:db8:110:1::/64"), 1);
	assert_int_equal(contains(e, "2001:db8::110"), 1);

	/* Deleted from the coalition group: still dropped, by the local ban. */
	queue_coal(e, ENF_DELETE, "192.0.2.110", 0);
	queue_coal(e, ENF_DELETE, "198.51.100.0/24", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "192.0.2.110"), 1);
	assert_int_equal(contains(e, "198.51.100.7"), 1);
	assert_int_equal(contains_in(e, ENF_GROUP_LOCAL, "192.0.2.110"), 1);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "192.0.2.110"), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_LOCAL, "198.51.100.0/24"), 1);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "198.51.100.7"), 0);
	assert_true(in_set(ENF_SET4, "192.0.2.110"));
	assert_false(in_set(ENF_CSET4, "192.0.2.110"));

	/* And the other way round. */
	queue_coal(e, ENF_ADD, "192.0.2.110", 3600);
	queue_ok(e, ENF_DELETE, "192.0.2.110", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "192.0.2.110"), 1);
	assert_int_equal(contains_in(e, ENF_GROUP_LOCAL, "192.0.2.110"), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "192.0.2.110"), 1);
	queue_coal(e, ENF_DELETE, "192.0.2.110", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains(e, "192.0.2.110"), 0);

	/* An escalation widens within its group only: the local /24 stays an
	 * element of its own. */
	queue_ok(e, ENF_ADD, "10.7.1.0/24", 0);
	queue_coal(e, ENF_ADD, "10.7.1.0/24", 0);
	queue_coal(e, ENF_ADD, "10.7.2.0/24", 0);
	assert_int_equal(enf_commit(e), 0);
	queue_coal(e, ENF_ADD, "10.7.0.0/16", 600);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "10.7.0.0/16"), 1);
	/* (nft's get answers with the interval holding the key.) */
	assert_int_equal(nft_cmd("get element inet " ENF_TABLE " " ENF_CNET4
	    " { 10.7.1.0/24 }", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "10.7.0.0/16"));
	assert_int_equal(nft_cmd("get element inet " ENF_TABLE " " ENF_NET4
	    " { 10.7.1.0/24 }", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "10.7.1.0/24"));
	assert_null(strstr(out, "10.7.0.0/16"));
	assert_int_equal(contains_in(e, ENF_GROUP_LOCAL, "10.7.2.1"), 0);
	/* A local prefix does not make a narrower coalition add "covered":
	 * it goes into the coalition set. */
	queue_ok(e, ENF_ADD, "10.5.0.0/16", 0);
	assert_int_equal(enf_commit(e), 0);
	queue_coal(e, ENF_ADD, "10.5.1.0/24", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_true(in_set(ENF_CNET4, "10.5.1.0/24"));
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "10.5.2.1"), 0);
	/* Deleting a coalition prefix never present in the coalition group
	 * is not an error, and leaves the local one. */
	queue_coal(e, ENF_DELETE, "10.5.0.0/16", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_LOCAL, "10.5.0.0/16"), 1);
	assert_int_equal(enf_get_stats(e)->failed, 0);
	enf_close(e);
}

/* A table made by a version without the coalition sets: enf_open adds them
 * and keeps every element. */
static void
test_open_upgrades_old_table(void **state)
{
	static char out[65536];
	struct enforcer *e;

	(void)state;
	e = open_real(NULL, 0);
	assert_int_equal(enf_destroy_table(e), 0);
	enf_close(e);
	assert_int_equal(nft_cmd(
	    "add table inet " ENF_TABLE "\n"
	    "add set inet " ENF_TABLE " " ENF_SET4 " { type ipv4_addr; flags timeout; }\n"
	    "add set inet " ENF_TABLE " " ENF_SET6 " { type ipv6_addr; flags timeout; }\n"
	    "add set inet " ENF_TABLE " " ENF_NET4 " { type ipv4_addr; flags interval, timeout; }\n"
	    "add set inet " ENF_TABLE " " ENF_NET6 " { type ipv6_addr; flags interval, timeout; }\n"
	    "add chain inet " ENF_TABLE " input { type filter hook input priority filter - 10; policy accept; }\n"
	    "add chain inet " ENF_TABLE " forward { type filter hook forward priority filter - 10; policy accept; }\n"
	    "add rule inet " ENF_TABLE " input ip saddr @" ENF_SET4 " counter drop\n"
	    "add rule inet " ENF_TABLE " input ip saddr @" ENF_NET4 " counter drop\n"
	    "add rule inet " ENF_TABLE " input ip6 saddr @" ENF_SET6 " counter drop\n"
	    "add rule inet " ENF_TABLE " input ip6 saddr @" ENF_NET6 " counter drop\n"
	    "add rule inet " ENF_TABLE " forward ip saddr @" ENF_SET4 " counter drop\n"
	    "add element inet " ENF_TABLE " " ENF_SET4 " { 192.0.2.120 timeout 1h }\n"
	    "add element inet " ENF_TABLE " " ENF_SET6 " { 2001:db8::120 }\n"
	    "add element inet " ENF_TABLE " " ENF_NET4 " { 198.51.100.0/24 timeout 1h }\n",
	    NULL, 0), 0);
	assert_int_equal(nft_cmd("list set inet " ENF_TABLE " " ENF_CSET4, NULL, 0) == 0, 0);

	e = open_real(NULL, 0);
	assert_int_equal(nft_cmd("list table inet " ENF_TABLE, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "set " ENF_CSET4 " {"));
	assert_non_null(strstr(out, "set " ENF_CSET6 " {"));
	assert_non_null(strstr(out, "set " ENF_CNET4 " {"));
	assert_non_null(strstr(out, "set " ENF_CNET6 " {"));
	assert_int_equal(count_substr(out, "drop"), 16);
	assert_true(in_set(ENF_SET4, "192.0.2.120"));
	assert_true(in_set(ENF_SET6, "2001:db8::120"));
	assert_true(in_set(ENF_NET4, "198.51.100.0/24"));
	assert_int_equal(contains_in(e, ENF_GROUP_LOCAL, "192.0.2.120"), 1);
	queue_coal(e, ENF_ADD, "192.0.2.121", 600);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(contains_in(e, ENF_GROUP_COALITION, "192.0.2.121"), 1);
	enf_close(e);
}

/* Real packets on loopback: a banned source is dropped, an unbanned one
 * passes. */
static void
test_drops_traffic(void **state)
{
	struct sockaddr_in srv = { .sin_family = AF_INET }, src = { .sin_family = AF_INET };
	struct timeval tv = { 0, 300000 };
	struct enforcer *e;
	socklen_t slen = sizeof(srv);
	char buf[8];
	int rs, ss;

	(void)state;
	e = open_fresh(NULL, 0);
	inet_pton(AF_INET, "127.0.0.1", &srv.sin_addr);
	inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
	assert_true((rs = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_true((ss = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(setsockopt(rs, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(bind(rs, (struct sockaddr *)&srv, sizeof(srv)), 0);
	assert_int_equal(getsockname(rs, (struct sockaddr *)&srv, &slen), 0);
	assert_int_equal(bind(ss, (struct sockaddr *)&src, sizeof(src)), 0);

	assert_int_equal(sendto(ss, "a", 1, 0, (struct sockaddr *)&srv, sizeof(srv)), 1);
	assert_int_equal(recv(rs, buf, sizeof(buf), 0), 1);

	queue_ok(e, ENF_ADD, "127.0.0.2", 60);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(sendto(ss, "b", 1, 0, (struct sockaddr *)&srv, sizeof(srv)), 1);
	assert_int_equal(recv(rs, buf, sizeof(buf), 0), -1);

	queue_ok(e, ENF_DELETE, "127.0.0.2", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(sendto(ss, "c", 1, 0, (struct sockaddr *)&srv, sizeof(srv)), 1);
	assert_int_equal(recv(rs, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'c');

	/* A coalition ban drops as well, an address or a prefix. */
	queue_coal(e, ENF_ADD, "127.0.0.2", 60);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(sendto(ss, "d", 1, 0, (struct sockaddr *)&srv, sizeof(srv)), 1);
	assert_int_equal(recv(rs, buf, sizeof(buf), 0), -1);
	queue_coal(e, ENF_DELETE, "127.0.0.2", 0);
	queue_coal(e, ENF_ADD, "127.0.0.0/30", 60);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(sendto(ss, "e", 1, 0, (struct sockaddr *)&srv, sizeof(srv)), 1);
	assert_int_equal(recv(rs, buf, sizeof(buf), 0), -1);
	queue_coal(e, ENF_DELETE, "127.0.0.0/30", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_int_equal(sendto(ss, "f", 1, 0, (struct sockaddr *)&srv, sizeof(srv)), 1);
	assert_int_equal(recv(rs, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'f');
	close(rs);
	close(ss);
	enf_close(e);
}

/* The new namespace starts with lo down. */
static int
loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (fd == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_creates_table),
		cmocka_unit_test(test_add_contains_delete),
		cmocka_unit_test(test_order_within_commit),
		cmocka_unit_test(test_delete_absent_ok),
		cmocka_unit_test(test_batch_isolates_bad_record),
		cmocka_unit_test(test_prefix_overlaps),
		cmocka_unit_test(test_allowlist_refusal),
		cmocka_unit_test(test_record_validation),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_observe_touches_nothing),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_reopen_keeps_elements),
		cmocka_unit_test(test_open_refuses_foreign_layout),
		cmocka_unit_test(test_destroy_table),
		cmocka_unit_test(test_repairs_flushed_ruleset),
		cmocka_unit_test(test_groups_are_separate),
		cmocka_unit_test(test_open_upgrades_old_table),
		cmocka_unit_test(test_drops_traffic),
	};

	/* Every nftables change below happens in this private namespace,
	 * which disappears with the process: the host firewall is never seen. */
	if (unshare(CLONE_NEWNET) == -1) {
		if (errno == EPERM) {
			printf("skipped: unshare(CLONE_NEWNET): %s (needs root "
			    "or CAP_SYS_ADMIN)\n", strerror(errno));
			return 77;
		}
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	if (loopback_up() == -1) {
		fprintf(stderr, "bringing up lo: %s\n", strerror(errno));
		return 1;
	}
	log_init("test_enforcer", 0, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
