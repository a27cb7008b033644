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
		cmocka_unit_test(test_spray_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
