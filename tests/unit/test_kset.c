/* test_kset.c - the kernel set mirror and its digest against a real kernel,
 * inside a private network namespace so the host's firewall is never touched. */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sodium.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "enforcer/enforcer.h"
#include "enforcer/kset.h"

#define MAXP 64

/* ------------------------------------------------------------ helpers */

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	if (prefix_parse(s, strlen(s), &p) != 0)
		fail_msg("test prefix does not parse: %s", s);
	return p;
}

/* Runs nft commands in a context of their own: an operator at the shell. */
static int
nft_cmd(const char *cmd)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc;

	assert_non_null(ctx);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	rc = nft_run_cmd_from_buffer(ctx, cmd);
	if (rc != 0)
		print_message("nft: %s", nft_ctx_get_error_buffer(ctx));
	nft_ctx_free(ctx);
	return rc;
}

static void
drop_table(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	assert_non_null(ctx);
	nft_ctx_buffer_error(ctx);	/* absent is fine */
	(void)nft_run_cmd_from_buffer(ctx, "delete table inet " ENF_TABLE);
	nft_ctx_free(ctx);
}

static struct enforcer *
enf_fresh(void)
{
	char err[512] = "";
	struct enforcer *e;

	drop_table();
	e = enf_open(false, NULL, 0, err, sizeof(err));
	if (e == NULL)
		fail_msg("enf_open: %s", err);
	return e;
}

static void
ban_in(struct enforcer *e, uint8_t group, uint8_t op, const char *s,
    uint32_t ttl)
{
	struct enf_record r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.group = group;
	r.ttl = ttl;
	r.prefix = pfx(s);
	assert_int_equal(enf_queue(e, &r), 0);
}

static void
ban(struct enforcer *e, uint8_t op, const char *s, uint32_t ttl)
{
	ban_in(e, ENF_GROUP_LOCAL, op, s, ttl);
}

/* A ban enforced on behalf of other members: the coalition sets. */
static void
cban(struct enforcer *e, uint8_t op, const char *s, uint32_t ttl)
{
	ban_in(e, ENF_GROUP_COALITION, op, s, ttl);
}

static struct kset *
kopen(void)
{
	char err[512] = "";
	struct kset *k = kset_open(err, sizeof(err));

	if (k == NULL)
		fail_msg("kset_open: %s", err);
	return k;
}

/* An intended list, as text. */
struct list {
	struct a5_prefix p[MAXP];
	size_t n;
};

static void
list_add(struct list *l, const char *s)
{
	assert_true(l->n < MAXP);
	l->p[l->n++] = pfx(s);
}

static void
list_del(struct list *l, const char *s)
{
	struct a5_prefix p = pfx(s);

	for (size_t i = 0; i < l->n; i++)
		if (prefix_equal(&l->p[i], &p)) {
			l->p[i] = l->p[--l->n];
			return;
		}
	fail_msg("not in the list: %s", s);
}

/* Dispatches pending events, then checks the mirror's digest and count
 * against the digest of the list. */
static void
assert_mirrors(struct kset *k, const struct list *l)
{
	uint8_t got[KSET_DIGEST_LEN], want[KSET_DIGEST_LEN];
	uint64_t count = 0;

	assert_true(kset_dispatch(k) >= 0);
	assert_int_equal(kset_digest(k, got, &count), 0);
	assert_int_equal(kset_digest_of(l->p, l->n, want), 0);
	assert_int_equal(count, l->n);
	assert_memory_equal(got, want, KSET_DIGEST_LEN);
}

/* The same for one group's sets. */
static void
assert_group_mirrors(struct kset *k, enum kset_group g, const struct list *l)
{
	uint8_t got[KSET_DIGEST_LEN], want[KSET_DIGEST_LEN];
	uint64_t count = 0;

	assert_true(kset_dispatch(k) >= 0);
	assert_int_equal(kset_digest_group(k, g, got, &count), 0);
	assert_int_equal(kset_digest_of(l->p, l->n, want), 0);
	assert_int_equal(count, l->n);
	assert_memory_equal(got, want, KSET_DIGEST_LEN);
}

/* Both groups, and the whole (their multiset union). */
static void
assert_groups_mirror(struct kset *k, const struct list *local,
    const struct list *coal)
{
	struct list all = *local;

	assert_true(all.n + coal->n <= MAXP);
	for (size_t i = 0; i < coal->n; i++)
		all.p[all.n++] = coal->p[i];
	assert_group_mirrors(k, KSET_GROUP_LOCAL, local);
	assert_group_mirrors(k, KSET_GROUP_COALITION, coal);
	assert_mirrors(k, &all);
}

static void
digest_now(struct kset *k, uint8_t out[KSET_DIGEST_LEN])
{
	assert_true(kset_dispatch(k) >= 0);
	assert_int_equal(kset_digest(k, out, NULL), 0);
}

static int
kcontains(struct kset *k, const char *s)
{
	struct a5_prefix p = pfx(s);

	return kset_contains(k, &p);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ digest_of */

static void
test_digest_of_is_a_multiset_hash(void **state)
{
	struct a5_prefix a[3] = { pfx("192.0.2.1"), pfx("2001:db8::1"),
	    pfx("198.51.100.0/24") };
	struct a5_prefix b[3] = { a[2], a[0], a[1] };
	struct a5_prefix twice[2] = { a[0], a[0] };
	uint8_t d1[32], d2[32], d3[32], d0[32], d4[32];

	(void)state;
	assert_int_equal(kset_digest_of(a, 3, d1), 0);
	assert_int_equal(kset_digest_of(b, 3, d2), 0);
	assert_memory_equal(d1, d2, 32);		/* order does not matter */
	assert_int_equal(kset_digest_of(a, 2, d3), 0);
	assert_memory_not_equal(d1, d3, 32);
	assert_int_equal(kset_digest_of(NULL, 0, d0), 0);
	assert_int_equal(kset_digest_of(twice, 2, d4), 0);
	assert_memory_not_equal(d4, d0, 32);	/* a duplicate does not cancel */
	assert_int_equal(kset_digest_of(a, 1, d3), 0);
	assert_memory_not_equal(d4, d3, 32);
	/* The length is part of an element: 192.0.2.0/32 is not /24. */
	struct a5_prefix h = pfx("192.0.2.0"), n = pfx("192.0.2.0/24");
	assert_int_equal(kset_digest_of(&h, 1, d1), 0);
	assert_int_equal(kset_digest_of(&n, 1, d2), 0);
	assert_memory_not_equal(d1, d2, 32);
}

/* Digests computed by the code before LtHash moved to common/lthash.c:
 * a digest once published must never change meaning. */
static void
test_digest_of_pinned(void **state)
{
	static const char *const list[] = { "192.0.2.7", "2001:db8::1",
	    "198.51.100.0/24", "2001:db8:1::/48", "192.0.2.7", "10.0.0.0/8" };
	struct a5_prefix p[6];
	uint8_t d[32], want[32];

	(void)state;
	for (size_t i = 0; i < 6; i++)
		p[i] = pfx(list[i]);
	assert_int_equal(sodium_hex2bin(want, 32, "7389dbe451b26d04a09e7eab33b4"
	    "da020fa481be816b618720b79bb875bab375", 64, NULL, NULL, NULL), 0);
	assert_int_equal(kset_digest_of(NULL, 0, d), 0);
	assert_memory_equal(d, want, 32);
	assert_int_equal(sodium_hex2bin(want, 32, "0e5bfd133de74e839c718a103cd1"
	    "caeddaa67c2c68b010a1a6bfaf4f6939638d", 64, NULL, NULL, NULL), 0);
	assert_int_equal(kset_digest_of(p, 1, d), 0);
	assert_memory_equal(d, want, 32);
	assert_int_equal(sodium_hex2bin(want, 32, "7299e2a3b7e2d57e2a4013d43208"
	    "0fafe5b6d6d9b590a1c9e9bef1241db7ed57", 64, NULL, NULL, NULL), 0);
	assert_int_equal(kset_digest_of(p, 6, d), 0);
	assert_memory_equal(d, want, 32);
}

/* ------------------------------------------------------------ kernel */

static void
test_open_without_table(void **state)
{
	struct list l = { .n = 0 };
	struct kset *k;

	(void)state;
	drop_table();
	k = kopen();
	assert_mirrors(k, &l);
	assert_int_equal(kcontains(k, "192.0.2.1"), 0);
	kset_close(k);
}

static void
test_enforcer_bans_match_intended(void **state)
{
	static const char *const bans[] = {
		"192.0.2.1", "192.0.2.2", "198.51.100.77", "2001:db8::1",
		"2001:db8::2", "203.0.113.0/24", "198.18.0.0/15",
		"2001:db8:1::/48", "2001:db8:2::/64",
	};
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bans) / sizeof(bans[0]); i++) {
		ban(e, ENF_ADD, bans[i], i % 2 ? 3600 : 0);
		list_add(&l, bans[i]);
	}
	assert_int_equal(enf_commit(e), 0);
	assert_mirrors(k, &l);
	assert_int_equal(kset_get_stats(k)->prefixes[KSET_HOST4], 3);
	assert_int_equal(kset_get_stats(k)->prefixes[KSET_NET6], 2);
	assert_int_equal(kcontains(k, "192.0.2.2"), 1);
	assert_int_equal(kcontains(k, "192.0.2.3"), 0);
	assert_int_equal(kcontains(k, "203.0.113.9"), 1);
	assert_int_equal(kcontains(k, "203.0.113.128/25"), 1);
	assert_int_equal(kcontains(k, "203.0.112.0/23"), 0);
	assert_int_equal(kcontains(k, "203.0.114.1"), 0);
	assert_int_equal(kcontains(k, "198.19.255.255"), 1);
	assert_int_equal(kcontains(k, "2001:db8:1:ffff::7"), 1);
	assert_int_equal(kcontains(k, "2001:db8:3::1"), 0);

	/* An unban through the enforcer ("add X; delete X" in one
	 * transaction), and a ban of an address already banned. */
	ban(e, ENF_DELETE, "192.0.2.1", 0);
	ban(e, ENF_DELETE, "203.0.113.0/24", 0);
	ban(e, ENF_DELETE, "192.0.2.99", 0);	/* absent: no change */
	ban(e, ENF_ADD, "2001:db8::1", 7200);
	assert_int_equal(enf_commit(e), 0);
	list_del(&l, "192.0.2.1");
	list_del(&l, "203.0.113.0/24");
	assert_mirrors(k, &l);
	assert_int_equal(kcontains(k, "203.0.113.9"), 0);
	kset_close(k);
	enf_close(e);
}

static void
test_hand_delete_changes_digest_at_once(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };
	uint8_t before[32], after[32];

	(void)state;
	ban(e, ENF_ADD, "192.0.2.10", 3600);
	ban(e, ENF_ADD, "192.0.2.11", 3600);
	ban(e, ENF_ADD, "2001:db8::10", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.10");
	list_add(&l, "192.0.2.11");
	list_add(&l, "2001:db8::10");
	assert_mirrors(k, &l);
	digest_now(k, before);

	/* The daemon still "intends" the ban; the kernel no longer has it. */
	assert_int_equal(nft_cmd("delete element inet " ENF_TABLE " " ENF_SET4
	    " { 192.0.2.10 }"), 0);
	digest_now(k, after);
	assert_memory_not_equal(before, after, 32);
	list_del(&l, "192.0.2.10");
	assert_mirrors(k, &l);
	assert_int_equal(kcontains(k, "192.0.2.10"), 0);

	/* And added by hand: counted too, it is enforced. */
	assert_int_equal(nft_cmd("add element inet " ENF_TABLE " " ENF_SET6
	    " { 2001:db8::99 }"), 0);
	list_add(&l, "2001:db8::99");
	assert_mirrors(k, &l);
	kset_close(k);
	enf_close(e);
}

static void
test_expiry_without_event(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };
	uint64_t events;

	(void)state;
	ban(e, ENF_ADD, "192.0.2.20", 1);
	ban(e, ENF_ADD, "198.51.100.0/24", 1);
	ban(e, ENF_ADD, "2001:db8:5::/48", 1);
	ban(e, ENF_ADD, "192.0.2.21", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.20");
	list_add(&l, "198.51.100.0/24");
	list_add(&l, "2001:db8:5::/48");
	list_add(&l, "192.0.2.21");
	assert_mirrors(k, &l);
	assert_int_equal(kcontains(k, "198.51.100.5"), 1);

	sleep_ms(1300);
	events = kset_get_stats(k)->events;
	list_del(&l, "192.0.2.20");
	list_del(&l, "198.51.100.0/24");
	list_del(&l, "2001:db8:5::/48");
	assert_mirrors(k, &l);
	/* nf_tables announced nothing: the mirror's own timers did it. */
	assert_int_equal(kset_get_stats(k)->events, events);
	assert_int_equal(kset_get_stats(k)->expired, 3);
	assert_int_equal(kcontains(k, "198.51.100.5"), 0);
	/* The kernel agrees (its dump skips expired elements). */
	assert_int_equal(kset_verify(k), 0);
	assert_int_equal(kset_get_stats(k)->repairs, 0);
	kset_close(k);
	enf_close(e);
}

static void
test_refresh_keeps_one_element(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };

	(void)state;
	ban(e, ENF_ADD, "192.0.2.30", 1);
	ban(e, ENF_ADD, "10.30.0.0/16", 1);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.30");
	list_add(&l, "10.30.0.0/16");
	assert_mirrors(k, &l);
	/* Banned again for an hour before the first timeout: one element,
	 * and the old timeout must not drop it (Linux >= 6.10 replaces the
	 * timeout; older kernels keep the first, and so would the mirror). */
	ban(e, ENF_ADD, "192.0.2.30", 3600);
	ban(e, ENF_ADD, "10.30.0.0/16", 3600);
	assert_int_equal(enf_commit(e), 0);
	assert_mirrors(k, &l);
	sleep_ms(1300);
	assert_true(kset_dispatch(k) >= 0);
	assert_int_equal(kset_verify(k), 0);
	uint8_t d[32];
	uint64_t n;
	assert_int_equal(kset_digest(k, d, &n), 0);
	/* Whatever the kernel decided, the mirror says the same. */
	assert_true(n == 2 || n == 0);
	kset_close(k);
	enf_close(e);
}

static void
test_prefix_sets(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };

	(void)state;
	/* Adjacent prefixes share a boundary: [a, b) then [b, c). */
	ban(e, ENF_ADD, "10.1.0.0/24", 3600);
	ban(e, ENF_ADD, "10.1.1.0/24", 3600);
	ban(e, ENF_ADD, "10.2.0.0/16", 0);
	ban(e, ENF_ADD, "2001:db8:a::/48", 0);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "10.1.0.0/24");
	list_add(&l, "10.1.1.0/24");
	list_add(&l, "10.2.0.0/16");
	list_add(&l, "2001:db8:a::/48");
	assert_mirrors(k, &l);

	/* Removing the first keeps the second whole. */
	assert_int_equal(nft_cmd("delete element inet " ENF_TABLE " " ENF_NET4
	    " { 10.1.0.0/24 }"), 0);
	list_del(&l, "10.1.0.0/24");
	assert_mirrors(k, &l);
	assert_int_equal(kcontains(k, "10.1.0.1"), 0);
	assert_int_equal(kcontains(k, "10.1.1.1"), 1);

	/* A prefix open to the top of the space has no end element. */
	assert_int_equal(nft_cmd("add element inet " ENF_TABLE " " ENF_NET4
	    " { 255.255.255.0/24 }; add element inet " ENF_TABLE " " ENF_NET6
	    " { ffff::/16 }"), 0);
	list_add(&l, "255.255.255.0/24");
	list_add(&l, "ffff::/16");
	assert_mirrors(k, &l);
	assert_int_equal(kcontains(k, "255.255.255.255"), 1);

	/* A range typed by hand counts as the CIDR blocks it covers. */
	assert_int_equal(nft_cmd("add element inet " ENF_TABLE " " ENF_NET4
	    " { 10.9.0.1-10.9.0.5 }"), 0);
	list_add(&l, "10.9.0.1/32");
	list_add(&l, "10.9.0.2/31");
	list_add(&l, "10.9.0.4/31");
	assert_mirrors(k, &l);
	assert_int_equal(kcontains(k, "10.9.0.5"), 1);
	assert_int_equal(kcontains(k, "10.9.0.6"), 0);
	assert_int_equal(kcontains(k, "10.9.0.0"), 0);

	/* Restart: a new mirror reads the same digest from the kernel. */
	struct kset *k2 = kopen();
	assert_mirrors(k2, &l);
	kset_close(k2);
	kset_close(k);
	enf_close(e);
}

static void
test_flush(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };

	(void)state;
	ban(e, ENF_ADD, "192.0.2.40", 3600);
	ban(e, ENF_ADD, "2001:db8::40", 3600);
	ban(e, ENF_ADD, "10.40.0.0/16", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.40");
	list_add(&l, "2001:db8::40");
	list_add(&l, "10.40.0.0/16");
	assert_mirrors(k, &l);

	assert_int_equal(nft_cmd("flush set inet " ENF_TABLE " " ENF_SET6), 0);
	list_del(&l, "2001:db8::40");
	assert_mirrors(k, &l);

	assert_int_equal(enf_flush(e), 0);
	l.n = 0;
	assert_mirrors(k, &l);
	kset_close(k);
	enf_close(e);
}

static void
test_table_and_set_deletion(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };
	char err[256];

	(void)state;
	ban(e, ENF_ADD, "192.0.2.50", 3600);
	ban(e, ENF_ADD, "10.50.0.0/16", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.50");
	list_add(&l, "10.50.0.0/16");
	assert_mirrors(k, &l);

	/* A firewall reload: the table and its elements go, with no element
	 * events. */
	assert_int_equal(nft_cmd("flush ruleset"), 0);
	l.n = 0;
	assert_mirrors(k, &l);
	enf_close(e);

	/* The enforcer sets it up again: tracked from scratch. */
	e = enf_open(false, NULL, 0, err, sizeof(err));
	assert_non_null(e);
	ban(e, ENF_ADD, "192.0.2.51", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.51");
	assert_mirrors(k, &l);

	/* One set deleted by hand (the rules referring to it go first). */
	assert_int_equal(nft_cmd("flush chain inet " ENF_TABLE " input; "
	    "flush chain inet " ENF_TABLE " forward; "
	    "delete set inet " ENF_TABLE " " ENF_SET4), 0);
	l.n = 0;
	assert_mirrors(k, &l);
	kset_close(k);
	enf_close(e);
}

static void
test_other_tables_ignored(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };
	uint64_t ignored;

	(void)state;
	ban(e, ENF_ADD, "192.0.2.60", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.60");
	assert_mirrors(k, &l);
	ignored = kset_get_stats(k)->ignored;

	/* Same set names, another table; our table name, another family. */
	assert_int_equal(nft_cmd(
	    "add table inet other\n"
	    "add set inet other " ENF_SET4 " { type ipv4_addr; flags timeout; }\n"
	    "add element inet other " ENF_SET4 " { 192.0.2.61, 192.0.2.60 }\n"
	    "add table ip " ENF_TABLE "\n"
	    "add set ip " ENF_TABLE " " ENF_SET4 " { type ipv4_addr; }\n"
	    "add element ip " ENF_TABLE " " ENF_SET4 " { 192.0.2.62 }\n"), 0);
	assert_mirrors(k, &l);
	assert_true(kset_get_stats(k)->ignored > ignored);
	assert_int_equal(nft_cmd("delete element inet other " ENF_SET4
	    " { 192.0.2.60 }; delete table inet other; delete table ip "
	    ENF_TABLE), 0);
	assert_mirrors(k, &l);
	assert_int_equal(kcontains(k, "192.0.2.60"), 1);
	kset_close(k);
	enf_close(e);
}

static void
test_restart_reads_same_digest(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen(), *k2;
	uint8_t d1[32], d2[32];
	uint64_t n1, n2;
	char a[64];

	(void)state;
	for (int i = 0; i < 2000; i++) {
		snprintf(a, sizeof(a), "10.60.%d.%d", i / 256, i % 256);
		ban(e, ENF_ADD, a, (uint32_t)(600 + i));
	}
	ban(e, ENF_ADD, "2001:db8:77::/48", 600);
	assert_int_equal(enf_commit(e), 0);
	assert_true(kset_dispatch(k) >= 0);
	assert_int_equal(kset_digest(k, d1, &n1), 0);
	assert_int_equal(n1, 2001);

	k2 = kopen();
	assert_int_equal(kset_digest(k2, d2, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(d1, d2, 32);
	kset_close(k2);
	kset_close(k);
	enf_close(e);
}

/* A burst larger than a commit, read only afterwards: whether the event
 * socket kept up or overflowed (and the sets were read again), the digest
 * must be the kernel's. */
static void
test_burst(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen(), *k2;
	uint8_t d1[32], d2[32];
	uint64_t n1 = 0, n2 = 0;

	(void)state;
	for (uint32_t i = 0; i < 3 * ENF_QUEUE_MAX; i++) {
		struct enf_record r;
		uint32_t a = htonl(0x0b000000u + i);

		memset(&r, 0, sizeof(r));
		r.op = ENF_ADD;
		r.ttl = 3600;
		r.prefix.family = A5_AF_INET;
		r.prefix.len = 32;
		memcpy(r.prefix.addr, &a, 4);
		assert_int_equal(enf_queue(e, &r), 0);
		if (enf_pending(e) == ENF_QUEUE_MAX)
			assert_int_equal(enf_commit(e), 0);
	}
	assert_int_equal(enf_commit(e), 0);
	assert_true(kset_dispatch(k) >= 0);
	while (kset_dispatch(k) > 0)
		;
	assert_int_equal(kset_digest(k, d1, &n1), 0);
	assert_int_equal(n1, 3 * ENF_QUEUE_MAX);
	k2 = kopen();
	assert_int_equal(kset_digest(k2, d2, &n2), 0);
	assert_memory_equal(d1, d2, 32);
	print_message("burst of %u: %llu resyncs\n", 3 * ENF_QUEUE_MAX,
	    (unsigned long long)kset_get_stats(k)->resyncs);
	kset_close(k2);
	kset_close(k);
	enf_close(e);
}

static void
ban_range(struct enforcer *e, uint32_t base, uint32_t n, uint32_t ttl_lo,
    uint32_t ttl_spread)
{
	for (uint32_t i = 0; i < n; i++) {
		struct enf_record r;
		uint32_t a = htonl(base + i);

		memset(&r, 0, sizeof(r));
		r.op = ENF_ADD;
		r.ttl = ttl_lo + (ttl_spread ? i % ttl_spread : 0);
		r.prefix.family = A5_AF_INET;
		r.prefix.len = 32;
		memcpy(r.prefix.addr, &a, 4);
		assert_int_equal(enf_queue(e, &r), 0);
		if (enf_pending(e) == ENF_QUEUE_MAX)
			assert_int_equal(enf_commit(e), 0);
	}
	assert_int_equal(enf_commit(e), 0);
}

/* The kernel expires elements while the mirror reads the set: its dumps
 * then skip untouched elements (see set_read). Once the storm is over the
 * mirror must hold exactly the elements that stay. */
static void
test_open_during_expiry_storm(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k, *k2;
	uint8_t d1[32], d2[32];
	uint64_t n1 = 0, n2 = 0;

	(void)state;
	ban_range(e, 0x0a400000u, 200000, 3600, 0);	/* 10.64/14: stay */
	ban_range(e, 0x0a500000u, 150000, 1, 4);	/* 10.80/14: 1-4 s */
	k = kopen();
	sleep_ms(4500);
	/* A read that was never quiet is read again by kset_verify. */
	assert_true(kset_verify(k) >= 0);
	assert_int_equal(kset_digest(k, d1, &n1), 0);
	assert_int_equal(n1, 200000);
	k2 = kopen();		/* a quiet read: the reference */
	assert_int_equal(kset_digest(k2, d2, &n2), 0);
	assert_int_equal(n2, 200000);
	assert_memory_equal(d1, d2, 32);
	print_message("read during the storm: %llu unsettled reads\n",
	    (unsigned long long)kset_get_stats(k)->unsettled);
	kset_close(k2);
	kset_close(k);
	enf_close(e);
}

/* ------------------------------------------------------------ groups */

static void
test_groups_digests(void **state)
{
	static const char *const local[] = { "192.0.2.130", "192.0.2.131",
	    "2001:db8::130", "203.0.113.0/24", "2001:db8:130::/48" };
	static const char *const coal[] = { "192.0.2.131", "192.0.2.132",
	    "2001:db8::132", "203.0.113.0/24", "10.130.0.0/16",
	    "2001:db8:132::/56" };
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 }, c = { .n = 0 };
	uint8_t d[32];

	(void)state;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		ban(e, ENF_ADD, local[i], 3600);
		list_add(&l, local[i]);
	}
	for (size_t i = 0; i < sizeof(coal) / sizeof(coal[0]); i++) {
		cban(e, ENF_ADD, coal[i], i % 2 ? 3600 : 0);
		list_add(&c, coal[i]);
	}
	assert_int_equal(enf_commit(e), 0);
	assert_groups_mirror(k, &l, &c);
	assert_int_equal(kset_get_stats(k)->prefixes[KSET_HOST4], 2);
	assert_int_equal(kset_get_stats(k)->prefixes[KSET_CHOST4], 2);
	assert_int_equal(kset_get_stats(k)->prefixes[KSET_CHOST6], 1);
	assert_int_equal(kset_get_stats(k)->prefixes[KSET_CNET4], 2);
	assert_int_equal(kset_get_stats(k)->prefixes[KSET_CNET6], 1);
	assert_int_equal(kcontains(k, "10.130.9.9"), 1);	/* coalition only */

	/* Held by both groups, deleted from one: still banned, still in
	 * the other group's digest. */
	cban(e, ENF_DELETE, "192.0.2.131", 0);
	cban(e, ENF_DELETE, "203.0.113.0/24", 0);
	ban(e, ENF_DELETE, "2001:db8::130", 0);
	assert_int_equal(enf_commit(e), 0);
	list_del(&c, "192.0.2.131");
	list_del(&c, "203.0.113.0/24");
	list_del(&l, "2001:db8::130");
	assert_groups_mirror(k, &l, &c);
	assert_int_equal(kcontains(k, "192.0.2.131"), 1);
	assert_int_equal(kcontains(k, "203.0.113.77"), 1);
	assert_int_equal(kcontains(k, "2001:db8::130"), 0);

	/* A hand change to a coalition set moves that group's digest only. */
	assert_int_equal(nft_cmd("add element inet " ENF_TABLE " " ENF_CSET6
	    " { 2001:db8::199 }"), 0);
	list_add(&c, "2001:db8::199");
	assert_groups_mirror(k, &l, &c);

	/* Restart: a new mirror reads the same group digests. */
	struct kset *k2 = kopen();
	assert_groups_mirror(k2, &l, &c);
	kset_close(k2);

	/* One coalition set deleted by hand empties that set only. */
	assert_int_equal(nft_cmd("flush chain inet " ENF_TABLE " input; "
	    "flush chain inet " ENF_TABLE " forward; "
	    "delete set inet " ENF_TABLE " " ENF_CNET4), 0);
	list_del(&c, "10.130.0.0/16");
	assert_groups_mirror(k, &l, &c);

	/* enf_flush empties both groups, the missing set included: it sets
	 * the table up again (set and drop rules) rather than fail. */
	assert_int_equal(enf_flush(e), 0);
	l.n = c.n = 0;
	assert_groups_mirror(k, &l, &c);
	assert_int_equal(nft_cmd("list set inet " ENF_TABLE " " ENF_CNET4), 0);
	cban(e, ENF_ADD, "10.131.0.0/16", 0);
	assert_int_equal(enf_commit(e), 0);
	list_add(&c, "10.131.0.0/16");
	assert_groups_mirror(k, &l, &c);
	assert_int_equal(kset_digest_group(k, (enum kset_group)2, d, NULL), -1);
	assert_int_equal(errno, EINVAL);
	kset_close(k);
	enf_close(e);
}

static int
kexpiry(struct kset *k, enum kset_group g, const char *s, int64_t *ms)
{
	struct a5_prefix p = pfx(s);

	return kset_expiry(k, g, &p, ms);
}

static void
test_expiry_of_elements(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	int64_t ms = 0;

	(void)state;
	cban(e, ENF_ADD, "192.0.2.140", 60);
	cban(e, ENF_ADD, "10.140.0.0/16", 60);
	cban(e, ENF_ADD, "2001:db8:140::/48", 60);
	cban(e, ENF_ADD, "2001:db8::140", 0);
	ban(e, ENF_ADD, "192.0.2.141", 60);
	assert_int_equal(enf_commit(e), 0);
	assert_true(kset_dispatch(k) >= 0);

	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "192.0.2.140", &ms), 1);
	assert_in_range(ms, 55000, 60000);
	ms = 0;
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "10.140.0.0/16", &ms), 1);
	assert_in_range(ms, 55000, 60000);
	ms = 0;
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "2001:db8:140::/48", &ms), 1);
	assert_in_range(ms, 55000, 60000);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "2001:db8::140", &ms), 1);
	assert_int_equal(ms, -1);		/* permanent */
	assert_int_equal(kexpiry(k, KSET_GROUP_LOCAL, "192.0.2.141", &ms), 1);
	assert_in_range(ms, 55000, 60000);
	/* Exact elements of that group only. */
	assert_int_equal(kexpiry(k, KSET_GROUP_LOCAL, "192.0.2.140", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "192.0.2.141", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "10.140.1.0/24", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "10.140.1.1", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "10.0.0.0/8", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "10.140.0.0/17", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "2001:db8:140::/49", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "2001:db8::/32", &ms), 0);
	/* Refused: an unknown group, a prefix with host bits. */
	struct a5_prefix bad = pfx("10.140.0.0/16");
	bad.addr[3] = 1;
	assert_int_equal(kset_expiry(k, KSET_GROUP_COALITION, &bad, &ms), -1);
	bad = pfx("10.140.0.0/16");
	assert_int_equal(kset_expiry(k, (enum kset_group)7, &bad, &ms), -1);

	/* A prefix open to the top of the address space, added by hand. */
	assert_int_equal(nft_cmd("add element inet " ENF_TABLE " " ENF_CNET4
	    " { 255.255.255.0/24 timeout 1m }"), 0);
	assert_true(kset_dispatch(k) >= 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "255.255.255.0/24", &ms), 1);
	assert_in_range(ms, 55000, 60000);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "255.255.255.0/25", &ms), 0);

	cban(e, ENF_DELETE, "192.0.2.140", 0);
	cban(e, ENF_DELETE, "10.140.0.0/16", 0);
	assert_int_equal(enf_commit(e), 0);
	assert_true(kset_dispatch(k) >= 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "192.0.2.140", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "10.140.0.0/16", &ms), 0);
	assert_int_equal(kexpiry(k, KSET_GROUP_COALITION, "2001:db8:140::/48", &ms), 1);
	kset_close(k);
	enf_close(e);
}

/* A table from before the coalition sets: the mirror reads it (absent sets
 * are empty), then follows the sets enf_open adds. */
static void
test_old_table_then_upgrade(void **state)
{
	struct list l = { .n = 0 }, c = { .n = 0 };
	struct enforcer *e;
	struct kset *k;
	char err[512] = "";

	(void)state;
	drop_table();
	assert_int_equal(nft_cmd(
	    "add table inet " ENF_TABLE "\n"
	    "add set inet " ENF_TABLE " " ENF_SET4 " { type ipv4_addr; flags timeout; }\n"
	    "add set inet " ENF_TABLE " " ENF_SET6 " { type ipv6_addr; flags timeout; }\n"
	    "add set inet " ENF_TABLE " " ENF_NET4 " { type ipv4_addr; flags interval, timeout; }\n"
	    "add set inet " ENF_TABLE " " ENF_NET6 " { type ipv6_addr; flags interval, timeout; }\n"
	    "add element inet " ENF_TABLE " " ENF_SET4 " { 192.0.2.150 timeout 1h }\n"
	    "add element inet " ENF_TABLE " " ENF_NET4 " { 10.150.0.0/16 }\n"), 0);
	k = kopen();
	list_add(&l, "192.0.2.150");
	list_add(&l, "10.150.0.0/16");
	assert_groups_mirror(k, &l, &c);

	e = enf_open(false, NULL, 0, err, sizeof(err));
	if (e == NULL)
		fail_msg("enf_open: %s", err);
	cban(e, ENF_ADD, "192.0.2.151", 3600);
	cban(e, ENF_ADD, "10.151.0.0/16", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&c, "192.0.2.151");
	list_add(&c, "10.151.0.0/16");
	assert_groups_mirror(k, &l, &c);
	assert_int_equal(kset_verify(k), 0);
	kset_close(k);
	enf_close(e);
}

/* ------------------------------------------------------------ hostile input */

/* Builds one nf_tables message for kset_feed, stamped with the current
 * ruleset generation (older ones are taken as already read). */
struct msg {
	uint8_t b[512];
	size_t len;
};

static void
m_begin(struct msg *m, struct kset *k, uint8_t type, uint8_t family)
{
	struct nlmsghdr nlh = { 0 };
	struct nfgenmsg nfg = { 0 };

	memset(m, 0, sizeof(*m));
	nlh.nlmsg_type = (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type);
	nfg.nfgen_family = family;
	nfg.res_id = htons((uint16_t)kset_get_stats(k)->genid);
	memcpy(m->b + NLMSG_HDRLEN, &nfg, sizeof(nfg));
	memcpy(m->b, &nlh, sizeof(nlh));
	m->len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfg));
}

static size_t
m_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr nla = { (uint16_t)(NLA_HDRLEN + len), type };
	size_t at = m->len;

	assert_true(at + NLA_ALIGN(NLA_HDRLEN + len) <= sizeof(m->b));
	memcpy(m->b + at, &nla, sizeof(nla));
	if (len > 0)
		memcpy(m->b + at + NLA_HDRLEN, data, len);
	m->len = at + NLA_ALIGN(NLA_HDRLEN + len);
	return at;
}

static void
m_end_nest(struct msg *m, size_t at)
{
	struct nlattr nla;

	memcpy(&nla, m->b + at, sizeof(nla));
	nla.nla_len = (uint16_t)(m->len - at);
	memcpy(m->b + at, &nla, sizeof(nla));
}

static void
m_finish(struct msg *m)
{
	uint32_t len = (uint32_t)m->len;

	memcpy(m->b, &len, sizeof(len));
}

/* An element message for our table and set with one key of klen bytes. */
static void
m_elem(struct msg *m, struct kset *k, uint8_t type, const char *set,
    const uint8_t *key, size_t klen)
{
	m_begin(m, k, type, NFPROTO_INET);
	m_attr(m, NFTA_SET_ELEM_LIST_TABLE, ENF_TABLE, sizeof(ENF_TABLE));
	m_attr(m, NFTA_SET_ELEM_LIST_SET, set, strlen(set) + 1);
	size_t l = m_attr(m, NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED, NULL, 0);
	size_t el = m_attr(m, NFTA_LIST_ELEM | NLA_F_NESTED, NULL, 0);
	size_t kk = m_attr(m, NFTA_SET_ELEM_KEY | NLA_F_NESTED, NULL, 0);
	m_attr(m, NFTA_DATA_VALUE, key, klen);
	m_end_nest(m, kk);
	m_end_nest(m, el);
	m_end_nest(m, l);
	m_finish(m);
}

static void
test_feed_refuses_malformed(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };
	uint8_t key4[4] = { 192, 0, 2, 70 }, d[32];
	struct msg m;

	(void)state;
	ban(e, ENF_ADD, "192.0.2.70", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.70");
	assert_mirrors(k, &l);

	/* A key of the wrong length. */
	m_elem(&m, k, NFT_MSG_DELSETELEM, ENF_SET4, key4, 3);
	assert_int_equal(kset_feed(k, m.b, m.len), -1);
	assert_int_equal(kset_get_stats(k)->malformed, 1);
	/* The mirror is no longer trusted until it has read the kernel. */
	assert_int_equal(kset_digest(k, d, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_mirrors(k, &l);

	/* Every truncation of a valid message is refused, none crashes. */
	m_elem(&m, k, NFT_MSG_NEWSETELEM, ENF_SET4, key4, 4);
	for (size_t cut = 1; cut < m.len; cut++) {
		struct msg t = m;
		uint32_t len = (uint32_t)cut;

		memcpy(t.b, &len, sizeof(len));	/* header says cut */
		(void)kset_feed(k, t.b, cut);
		(void)kset_feed(k, m.b, cut);	/* header says more than there is */
	}
	/* An attribute longer than its container. */
	struct msg t = m;
	t.b[NLMSG_HDRLEN + 4] = 0xff;
	assert_int_equal(kset_feed(k, t.b, t.len), -1);
	assert_true(kset_get_stats(k)->malformed > 2);
	assert_mirrors(k, &l);

	/* An interval end in an address set is not our layout. */
	m_begin(&m, k, NFT_MSG_NEWSETELEM, NFPROTO_INET);
	m_attr(&m, NFTA_SET_ELEM_LIST_TABLE, ENF_TABLE, sizeof(ENF_TABLE));
	m_attr(&m, NFTA_SET_ELEM_LIST_SET, ENF_SET4, sizeof(ENF_SET4));
	size_t ls = m_attr(&m, NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED, NULL, 0);
	size_t el = m_attr(&m, NFTA_LIST_ELEM | NLA_F_NESTED, NULL, 0);
	size_t kk = m_attr(&m, NFTA_SET_ELEM_KEY | NLA_F_NESTED, NULL, 0);
	m_attr(&m, NFTA_DATA_VALUE, key4, 4);
	m_end_nest(&m, kk);
	uint32_t fl = htonl(NFT_SET_ELEM_INTERVAL_END);
	m_attr(&m, NFTA_SET_ELEM_FLAGS, &fl, 4);
	m_end_nest(&m, el);
	m_end_nest(&m, ls);
	m_finish(&m);
	assert_int_equal(kset_feed(k, m.b, m.len), -1);
	assert_mirrors(k, &l);
	kset_close(k);
	enf_close(e);
}

static void
test_verify_repairs_drift(void **state)
{
	struct enforcer *e = enf_fresh();
	struct kset *k = kopen();
	struct list l = { .n = 0 };
	uint8_t key4[4] = { 192, 0, 2, 80 };
	uint8_t want[32], got[32];
	struct msg m;

	(void)state;
	ban(e, ENF_ADD, "192.0.2.80", 3600);
	ban(e, ENF_ADD, "192.0.2.81", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&l, "192.0.2.80");
	list_add(&l, "192.0.2.81");
	assert_mirrors(k, &l);
	assert_int_equal(kset_verify(k), 0);

	/* A well-formed event the kernel never sent: the mirror drifts. */
	m_elem(&m, k, NFT_MSG_DELSETELEM, ENF_SET4, key4, 4);
	assert_int_equal(kset_feed(k, m.b, m.len), 0);
	assert_int_equal(kset_digest(k, got, NULL), 0);
	assert_int_equal(kset_digest_of(l.p, l.n, want), 0);
	assert_memory_not_equal(got, want, 32);

	assert_int_equal(kset_verify(k), 1);
	assert_int_equal(kset_get_stats(k)->repairs, 1);
	assert_mirrors(k, &l);

	/* The same in a coalition set. */
	struct list none = { .n = 0 }, c = { .n = 0 };
	cban(e, ENF_ADD, "192.0.2.80", 3600);
	assert_int_equal(enf_commit(e), 0);
	list_add(&c, "192.0.2.80");
	assert_groups_mirror(k, &l, &c);
	m_elem(&m, k, NFT_MSG_DELSETELEM, ENF_CSET4, key4, 4);
	assert_int_equal(kset_feed(k, m.b, m.len), 0);
	assert_group_mirrors(k, KSET_GROUP_COALITION, &none);
	assert_group_mirrors(k, KSET_GROUP_LOCAL, &l);
	assert_int_equal(kset_verify(k), 1);
	assert_int_equal(kset_get_stats(k)->repairs, 2);
	assert_groups_mirror(k, &l, &c);
	kset_close(k);
	enf_close(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_of_is_a_multiset_hash),
		cmocka_unit_test(test_digest_of_pinned),
		cmocka_unit_test(test_open_without_table),
		cmocka_unit_test(test_enforcer_bans_match_intended),
		cmocka_unit_test(test_hand_delete_changes_digest_at_once),
		cmocka_unit_test(test_expiry_without_event),
		cmocka_unit_test(test_refresh_keeps_one_element),
		cmocka_unit_test(test_prefix_sets),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_table_and_set_deletion),
		cmocka_unit_test(test_other_tables_ignored),
		cmocka_unit_test(test_restart_reads_same_digest),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_open_during_expiry_storm),
		cmocka_unit_test(test_groups_digests),
		cmocka_unit_test(test_expiry_of_elements),
		cmocka_unit_test(test_old_table_then_upgrade),
		cmocka_unit_test(test_feed_refuses_malformed),
		cmocka_unit_test(test_verify_repairs_drift),
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
	log_init("test_kset", 0, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
