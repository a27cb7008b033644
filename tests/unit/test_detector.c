/* test_detector.c - windows, attempt counting per connection, IPv6
 * aggregation, and the memory bound under an address spray. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector/detector.h"

static struct det_service svc[2] = { { 3, 600, false }, { 2, 60, false } };

static struct detector *
mk(size_t cap, unsigned v6)
{
	struct det_config c = { v6, cap, 1024, 2, svc };
	return det_new(&c);
}

static struct det_event
ev(enum rule_kind k, const char *addr, uint32_t pid, int64_t ts)
{
	struct det_event e;

	memset(&e, 0, sizeof(e));
	e.kind = k;
	e.service = 0;
	e.ts = ts;
	if (addr) {
		e.has_addr = true;
		assert_int_equal(addr_parse(addr, strlen(addr), &e.addr), 0);
	}
	if (pid) {
		e.has_pid = true;
		e.pid = pid;
	}
	return e;
}

static int
feed(struct detector *d, struct det_event e, struct det_result *r)
{
	det_feed(d, &e, r);
	return r->counted;
}

static void
test_window(void **state)
{
	struct detector *d = mk(100, 64);
	struct det_result r;

	(void)state;
	/* two failures, then a long pause: the window slides, no ban */
	feed(d, ev(RK_FAIL, "192.0.2.1", 0, 1000), &r);
	feed(d, ev(RK_FAIL, "192.0.2.1", 0, 1001), &r);
	feed(d, ev(RK_FAIL, "192.0.2.1", 0, 2000), &r);
	assert_false(r.ban);
	feed(d, ev(RK_FAIL, "192.0.2.1", 0, 2100), &r);
	assert_false(r.ban);
	feed(d, ev(RK_FAIL, "192.0.2.1", 0, 2200), &r);
	assert_true(r.ban);
	assert_int_equal(r.evidence, 5);
	assert_int_equal(r.first_seen, 1000);
	char buf[A5_PREFIX_STRLEN];
	prefix_format(&r.prefix, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1");
	/* after a ban the window starts over */
	feed(d, ev(RK_FAIL, "192.0.2.1", 0, 2201), &r);
	assert_false(r.ban);
	det_free(d);
}

static void
test_services_separate(void **state)
{
	struct detector *d = mk(100, 64);
	struct det_result r;
	struct det_event e = ev(RK_FAIL, "192.0.2.2", 0, 10);

	(void)state;
	e.service = 1;
	det_feed(d, &e, &r);
	assert_false(r.ban);
	feed(d, ev(RK_FAIL, "192.0.2.2", 0, 11), &r);	/* service 0 */
	assert_false(r.ban);
	det_feed(d, &e, &r);				/* service 1: 2 of 2 */
	assert_true(r.ban);
	det_free(d);
}

static void
test_ssh_connection(void **state)
{
	struct detector *d = mk(100, 64);
	struct det_result r;

	(void)state;
	/* invalid user + 2 passwords = 2 attempts, counted on the probe and the 2nd password */
	assert_true(feed(d, ev(RK_PROBE, "192.0.2.3", 7, 1), &r));
	assert_false(feed(d, ev(RK_CONTEXT, "192.0.2.3", 7, 1), &r));
	assert_false(feed(d, ev(RK_FAIL, "192.0.2.3", 7, 1), &r));
	assert_true(feed(d, ev(RK_FAIL, "192.0.2.3", 7, 2), &r));
	assert_false(feed(d, ev(RK_END, "192.0.2.3", 7, 2), &r));
	assert_false(feed(d, ev(RK_END_AUTH, "192.0.2.3", 7, 2), &r));

	/* publickey failures then success: nothing */
	assert_false(feed(d, ev(RK_PENDING, "192.0.2.4", 8, 3), &r));
	assert_false(feed(d, ev(RK_PENDING, "192.0.2.4", 8, 3), &r));
	assert_false(feed(d, ev(RK_SUCCESS, "192.0.2.4", 8, 3), &r));
	assert_false(feed(d, ev(RK_END, "192.0.2.4", 8, 4), &r));

	/* publickey failures then a preauth end without address: one attempt */
	assert_false(feed(d, ev(RK_PENDING, "192.0.2.5", 9, 5), &r));
	assert_true(feed(d, ev(RK_END_AUTH, NULL, 9, 5), &r));
	char buf[A5_PREFIX_STRLEN];
	addr_format(&r.addr, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.5");
	assert_false(feed(d, ev(RK_END, "192.0.2.5", 9, 5), &r));

	/* end without address first, address on the next closing line */
	assert_false(feed(d, ev(RK_END_AUTH, NULL, 10, 6), &r));
	assert_true(feed(d, ev(RK_END, "192.0.2.6", 10, 6), &r));

	/* a bare preauth disconnect of an authenticating user counts once */
	assert_true(feed(d, ev(RK_END_AUTH, "192.0.2.7", 11, 7), &r));
	/* the pid is reused by another client later: fresh connection */
	assert_true(feed(d, ev(RK_FAIL, "192.0.2.8", 11, 8), &r));
	det_free(d);
}

static void
test_ipv6_aggregation(void **state)
{
	struct detector *d = mk(100, 64);
	struct det_result r;
	char buf[A5_PREFIX_STRLEN];

	(void)state;
	feed(d, ev(RK_FAIL, "2001:db8:1:2::1", 0, 1), &r);
	feed(d, ev(RK_FAIL, "2001:db8:1:2::2", 0, 2), &r);
	feed(d, ev(RK_FAIL, "2001:db8:1:2:ffff::3", 0, 3), &r);
	assert_true(r.ban);
	prefix_format(&r.prefix, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1:2::/64");
	det_free(d);

	d = mk(100, 128);
	feed(d, ev(RK_FAIL, "2001:db8:1:2::1", 0, 1), &r);
	feed(d, ev(RK_FAIL, "2001:db8:1:2::2", 0, 2), &r);
	feed(d, ev(RK_FAIL, "2001:db8:1:2::3", 0, 3), &r);
	assert_false(r.ban);
	det_free(d);
}

/* An address-less line never takes the address of another connection
 * that had the same pid: not after a login, not after an end line, not
 * after a silence longer than any unauthenticated connection lasts. */
static void
test_conn_no_inherit(void **state)
{
	struct detector *d = mk(100, 64);
	struct det_result r;

	(void)state;
	/* a login by .20; a minute later another connection with that pid
	 * ends with an address-less line: not .20's attempt */
	assert_false(feed(d, ev(RK_PENDING, "192.0.2.20", 20, 100), &r));
	assert_false(feed(d, ev(RK_SUCCESS, "192.0.2.20", 20, 100), &r));
	assert_false(feed(d, ev(RK_END_AUTH, NULL, 20, 160), &r));
	/* ... whose address comes later: counted for its own client */
	assert_true(feed(d, ev(RK_END, "192.0.2.120", 20, 160), &r));
	char buf[A5_PREFIX_STRLEN];
	addr_format(&r.addr, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.120");

	/* .21's connection ends (nothing owed); the pid is reused */
	assert_false(feed(d, ev(RK_CONTEXT, "192.0.2.21", 21, 200), &r));
	assert_false(feed(d, ev(RK_END, "192.0.2.21", 21, 201), &r));
	assert_false(feed(d, ev(RK_END_AUTH, NULL, 21, 300), &r));
	/* within the grace, a second closing line of a closed connection
	 * is absorbed, with or without address */
	assert_false(feed(d, ev(RK_CONTEXT, "192.0.2.22", 22, 400), &r));
	assert_true(feed(d, ev(RK_END_AUTH, "192.0.2.22", 22, 401), &r));
	assert_false(feed(d, ev(RK_END_AUTH, NULL, 22, 401), &r));
	assert_false(feed(d, ev(RK_END, "192.0.2.22", 22, 402), &r));
	/* lines from the past (a log read out of order) are not trailing
	 * lines of it: a connection of their own */
	assert_false(feed(d, ev(RK_END_AUTH, NULL, 22, 300), &r));
	assert_true(feed(d, ev(RK_END, "192.0.2.122", 22, 300), &r));

	/* an open connection silent for 20 minutes is gone */
	assert_false(feed(d, ev(RK_CONTEXT, "192.0.2.23", 23, 500), &r));
	assert_false(feed(d, ev(RK_END_AUTH, NULL, 23, 500 + 1200), &r));
	det_free(d);
}

static void
check_fmt(const struct a5_prefix *p, const char *want)
{
	char buf[A5_PREFIX_STRLEN];

	prefix_format(p, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* NAT64, 6to4 and Teredo addresses are their IPv4 client: never
 * aggregated to the /64 (all clients of the translator), counted as the
 * IPv4 address, banned as the form the kernel sees. */
static void
test_embedded_ipv4_offenders(void **state)
{
	struct detector *d = mk(100, 64);
	struct det_result r;

	(void)state;
	/* three IPv4 clients through NAT64: three offenders, no ban */
	feed(d, ev(RK_FAIL, "64:ff9b::198.51.100.1", 0, 1), &r);
	feed(d, ev(RK_FAIL, "64:ff9b::198.51.100.2", 0, 2), &r);
	feed(d, ev(RK_FAIL, "64:ff9b::198.51.100.3", 0, 3), &r);
	assert_false(r.ban);
	/* one of them again, and once directly over IPv4: one window */
	feed(d, ev(RK_FAIL, "198.51.100.1", 0, 4), &r);
	assert_false(r.ban);
	feed(d, ev(RK_FAIL, "64:ff9b::198.51.100.1", 0, 5), &r);
	assert_true(r.ban);
	check_fmt(&r.prefix, "64:ff9b::c633:6401");
	check_fmt(&r.offender, "198.51.100.1");
	check_fmt(&r.addr, "64:ff9b::c633:6401");

	/* 6to4: the /48 is one IPv4 host's, whichever /64 it uses */
	feed(d, ev(RK_FAIL, "2002:c000:204:1::1", 0, 10), &r);
	feed(d, ev(RK_FAIL, "2002:c000:204:2::1", 0, 11), &r);
	feed(d, ev(RK_FAIL, "2002:c000:205:1::1", 0, 12), &r);	/* another host */
	assert_false(r.ban);
	feed(d, ev(RK_FAIL, "2002:c000:204:3::1", 0, 13), &r);
	assert_true(r.ban);
	check_fmt(&r.prefix, "2002:c000:204::/48");
	check_fmt(&r.offender, "192.0.2.4");

	/* Teredo: one client behind one NAT through two ports; another
	 * client of the same server is not it */
	feed(d, ev(RK_FAIL, "2001:0:4136:e378:8000:63bf:3fff:fdd2", 0, 20), &r);
	feed(d, ev(RK_FAIL, "2001:0:4136:e378:8000:63be:3fff:fdd2", 0, 21), &r);
	feed(d, ev(RK_FAIL, "2001:0:4136:e378:8000:63bf:3fff:fdd1", 0, 22), &r);
	assert_false(r.ban);
	feed(d, ev(RK_FAIL, "2001:0:4136:e378:8000:63bf:3fff:fdd2", 0, 23), &r);
	assert_true(r.ban);
	check_fmt(&r.prefix, "2001:0:4136:e378:8000:63bf:3fff:fdd2");
	check_fmt(&r.offender, "192.0.2.45");
	/* the same client from a new NAT port: a new Teredo address, banned
	 * at its first attempt (the window was kept), not after maxretry more */
	feed(d, ev(RK_FAIL, "2001:0:4136:e378:8000:63bd:3fff:fdd2", 0, 24), &r);
	assert_true(r.ban);
	check_fmt(&r.prefix, "2001:0:4136:e378:8000:63bd:3fff:fdd2");

	/* an unban of the NAT64 form forgets the IPv4 client's window */
	feed(d, ev(RK_FAIL, "64:ff9b::198.51.100.7", 0, 30), &r);
	feed(d, ev(RK_FAIL, "64:ff9b::198.51.100.7", 0, 31), &r);
	struct a5_prefix p;
	assert_int_equal(addr_parse("64:ff9b::198.51.100.7", 21, &p), 0);
	det_forget(d, &p);
	feed(d, ev(RK_FAIL, "64:ff9b::198.51.100.7", 0, 32), &r);
	assert_false(r.ban);

	/* ordinary IPv6 still aggregates */
	feed(d, ev(RK_FAIL, "2001:db8:5::1", 0, 40), &r);
	feed(d, ev(RK_FAIL, "2001:db8:5::2", 0, 41), &r);
	feed(d, ev(RK_FAIL, "2001:db8:5::3", 0, 42), &r);
	assert_true(r.ban);
	check_fmt(&r.prefix, "2001:db8:5::/64");
	check_fmt(&r.offender, "2001:db8:5::/64");
	det_free(d);
}

/* A connection that owes a failure without naming its client (MongoDB
 * up to 3.x: the address comes on the end line) is not forgotten after 10
 * idle minutes: an attacker idling before it disconnects is still counted. */
static void
test_pending_without_address(void **state)
{
	struct detector *d = mk(100, 64);
	struct det_result r;

	(void)state;
	feed(d, ev(RK_PENDING, NULL, 77, 1000), &r);
	assert_false(r.counted);
	assert_true(feed(d, ev(RK_END, "192.0.2.70", 77, 1000 + 700), &r));
	check_fmt(&r.addr, "192.0.2.70");
	/* an hour and more: the connection is gone */
	feed(d, ev(RK_PENDING, NULL, 78, 5000), &r);
	assert_false(feed(d, ev(RK_END, "192.0.2.71", 78, 5000 + 3700), &r));
	det_free(d);
}

static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

static void
test_spray_bounded(void **state)
{
	const size_t cap = 100000;
	struct detector *d = mk(cap, 128);
	struct det_result r;
	struct det_stats st;
	struct det_event e = ev(RK_FAIL, "2001:db8::1", 0, 1);

	(void)state;
	long before = rss_kib();
	/* 2M distinct IPv6 sources, one failure each */
	for (uint32_t i = 0; i < 2000000; i++) {
		memcpy(&e.addr.addr[8], &i, sizeof(i));
		e.ts = 1 + i / 1000;
		det_feed(d, &e, &r);
		assert_false(r.ban);
	}
	det_get_stats(d, &st);
	long after = rss_kib();
	assert_int_equal(st.offenders, cap);
	assert_int_equal(st.evictions, 2000000 - cap);
	printf("spray: 2M addresses, %zu tracked, %llu evicted, RSS +%ld KiB\n",
	    st.offenders, (unsigned long long)st.evictions, after - before);
	/* 100k tracked windows must fit well inside 32 MiB */
	assert_true(after - before < 24 * 1024);
	/* a real attacker still gets banned while the table is full */
	for (int i = 0; i < 3; i++)
		feed(d, ev(RK_FAIL, "192.0.2.99", 0, 5000 + i), &r);
	assert_true(r.ban);
	det_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_services_separate),
		cmocka_unit_test(test_ssh_connection),
		cmocka_unit_test(test_ipv6_aggregation),
		cmocka_unit_test(test_conn_no_inherit),
		cmocka_unit_test(test_embedded_ipv4_offenders),
		cmocka_unit_test(test_pending_without_address),
		cmocka_unit_test(test_spray_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
