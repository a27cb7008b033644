/* test_control.c - the control socket's request grammar (control_parse),
 * the prefix split of `unban --split` and the reading of journal bodies
 * for `history`. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/prefix_split.h"
#include "daemon/control.h"
#include "daemon/history_entry.h"

static int
parse(const char *s, struct control_request *r)
{
	char err[256] = "";
	int rc = control_parse(s, strlen(s), r, err, sizeof(err));

	if (rc != 0)
		assert_true(err[0] != '\0');	/* a refusal always says why */
	return rc;
}

static void
test_parse_accepts(void **state)
{
	struct control_request r;
	char p[A5_PREFIX_STRLEN];

	(void)state;
	assert_int_equal(parse("text ping", &r), 0);
	assert_int_equal(r.cmd, CTL_PING);
	assert_int_equal(parse("json reload", &r), 0);
	assert_int_equal(r.cmd, CTL_RELOAD);
	assert_int_equal(r.json, 1);
	assert_int_equal(parse("text status", &r), 0);
	assert_string_equal(r.service, "");
	assert_int_equal(parse("text status sshd", &r), 0);
	assert_string_equal(r.service, "sshd");
	assert_int_equal(parse("text bans service=f2b-apache origin=alpha", &r), 0);
	assert_string_equal(r.service, "f2b-apache");
	assert_string_equal(r.origin, "alpha");
	assert_int_equal(parse("text bans origin=local", &r), 0);
	assert_string_equal(r.service, "");
	assert_string_equal(r.origin, "local");
	assert_int_equal(parse("text ban 192.0.2.0/24 3600", &r), 0);
	assert_int_equal(r.duration, 3600);
	prefix_format(&r.prefix, p, sizeof(p));
	assert_string_equal(p, "192.0.2.0/24");
	assert_int_equal(parse("text unban 192.0.2.5", &r), 0);
	assert_int_equal(r.split, 0);
	assert_int_equal(parse("text unban 192.0.2.5 split", &r), 0);
	assert_int_equal(r.split, 1);
	assert_int_equal(parse("text history", &r), 0);
	assert_int_equal(r.has_prefix, 0);
	assert_int_equal(r.limit, CONTROL_HISTORY_DEFAULT);
	assert_int_equal(parse("json history 2001:db8::/32 limit=7", &r), 0);
	assert_int_equal(r.has_prefix, 1);
	assert_int_equal(r.limit, 7);
	assert_int_equal(parse("json history limit=10000 192.0.2.1", &r), 0);
	assert_int_equal(r.limit, 10000);
}

static void
test_parse_refuses(void **state)
{
	struct control_request r;
	const char *bad[] = {
		"", "ping", "xml ping", "text", "text pong", "text ping extra",
		"text reload now", "text status sshd more", "text status ss/hd",
		"text bans sshd", "text bans service=", "text bans service=a b",
		"text bans color=red", "text bans service=a;b",
		"text ban", "text ban 10.0.0.1/8", "text ban 192.0.2.1 soon",
		"text ban 192.0.2.1 999999999999", "text ban 192.0.2.1 60 split",
		"text unban", "text unban 192.0.2.1 whole", "text unban 192.0.2.1 split split",
		"text history limit=0", "text history limit=10001", "text history limit=x",
		"text history 192.0.2.1 192.0.2.2", "text history 300.1.1.1",
		"text flush all",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &r) != -1)
			fail_msg("accepted: '%s'", bad[i]);
	}
	/* too long, NUL inside */
	char big[CONTROL_REQUEST_MAX + 10];
	memset(big, 'a', sizeof(big));
	memcpy(big, "text ping ", 10);
	char err[64];
	assert_int_equal(control_parse(big, sizeof(big), &r, err, sizeof(err)), -1);
	assert_int_equal(control_parse("text ping\0", 10, &r, err, sizeof(err)), -1);
	assert_true(control_word_ok("f2b-apache_2.x:1@a"));
	assert_false(control_word_ok(""));
	assert_false(control_word_ok("a b"));
	assert_false(control_word_ok("a\"b"));
}

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	assert_int_equal(prefix_parse(s, strlen(s), &p), 0);
	return p;
}

/* Every address of outer is in inner or in exactly one piece, never both. */
static void
check_split(const char *outer_s, const char *inner_s, int want)
{
	struct a5_prefix outer = pfx(outer_s), inner = pfx(inner_s), pieces[PREFIX_SPLIT_MAX];
	int n = prefix_split_around(&outer, &inner, pieces);

	assert_int_equal(n, want);
	for (int i = 0; i < n; i++) {
		assert_null(prefix_check(&pieces[i]));	/* canonical: no host bits */
		assert_true(prefix_contains(&outer, &pieces[i]));
		assert_false(prefix_overlaps(&inner, &pieces[i]));
		for (int j = i + 1; j < n; j++)
			assert_false(prefix_overlaps(&pieces[i], &pieces[j]));
	}
	srand(7);
	for (int k = 0; k < 2000; k++) {
		struct a5_prefix a = outer;
		unsigned bits = a.family == A5_AF_INET ? 32 : 128;
		for (unsigned b = outer.len; b < bits; b++)
			if (rand() & 1)
				a.addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		if (k == 0)
			a = inner;	/* at least one address inside inner */
		a.len = (uint8_t)bits;
		memset(a.addr + bits / 8, 0, sizeof(a.addr) - bits / 8);
		int in = prefix_contains(&inner, &a) ? 1 : 0;
		for (int i = 0; i < n; i++)
			in += prefix_contains(&pieces[i], &a);
		assert_int_equal(in, 1);
	}
}

static void
test_split(void **state)
{
	struct a5_prefix pieces[PREFIX_SPLIT_MAX];
	char buf[A5_PREFIX_STRLEN];

	(void)state;
	check_split("198.51.100.0/24", "198.51.100.5", 8);
	check_split("10.0.0.0/8", "10.200.3.0/24", 16);
	check_split("192.0.2.0/31", "192.0.2.1", 1);
	check_split("2001:db8::/32", "2001:db8:1:2::77", 96);
	check_split("2001:db8::/64", "2001:db8::/65", 1);
	/* the widest piece first, the neighbour of inner last */
	struct a5_prefix o = pfx("198.51.100.0/24"), in = pfx("198.51.100.5");
	assert_int_equal(prefix_split_around(&o, &in, pieces), 8);
	prefix_format(&pieces[0], buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.128/25");
	prefix_format(&pieces[7], buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.4");	/* a full-length piece is an address */
	/* not strictly inside: refused */
	struct a5_prefix x = pfx("192.0.2.0/24"), y = pfx("198.51.100.5"), v6 = pfx("2001:db8::1");
	assert_int_equal(prefix_split_around(&x, &y, pieces), -1);
	assert_int_equal(prefix_split_around(&x, &x, pieces), -1);
	assert_int_equal(prefix_split_around(&in, &o, pieces), -1);
	assert_int_equal(prefix_split_around(&x, &v6, pieces), -1);
}

/* A random address inside p (k == 0: p's first address). */
static struct a5_prefix
addr_in(const struct a5_prefix *p, int k)
{
	struct a5_prefix a = *p;
	unsigned bits = a.family == A5_AF_INET ? 32 : 128;

	for (unsigned b = p->len; b < bits && k > 0; b++)
		if (rand() & 1)
			a.addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	a.len = (uint8_t)bits;
	return a;
}

/* nest[0..n) around inner: disjoint pieces, each inside the prefix it was
 * cut from and outside every narrower nest prefix; every address of the
 * widest is in inner or in exactly one piece. */
static void
check_nest(const struct a5_prefix *nest, size_t n, const char *inner_s, int want)
{
	struct a5_prefix inner = pfx(inner_s), widest = nest[0];
	struct prefix_piece pieces[PREFIX_SPLIT_MAX];
	int got = prefix_split_nest(nest, n, &inner, pieces);

	assert_int_equal(got, want);
	for (size_t i = 1; i < n; i++)
		if (nest[i].len < widest.len)
			widest = nest[i];
	for (int i = 0; i < got; i++) {
		const struct a5_prefix *from = &nest[pieces[i].from];
		assert_true(pieces[i].from < n);
		assert_null(prefix_check(&pieces[i].prefix));
		assert_true(prefix_contains(from, &pieces[i].prefix));
		assert_false(prefix_overlaps(&inner, &pieces[i].prefix));
		for (size_t j = 0; j < n; j++)
			if (nest[j].len > from->len)
				assert_false(prefix_overlaps(&nest[j], &pieces[i].prefix));
		for (int j = i + 1; j < got; j++)
			assert_false(prefix_overlaps(&pieces[i].prefix, &pieces[j].prefix));
	}
	srand(11);
	for (int k = 0; k < 2000; k++) {
		/* half of them inside the narrowest nest prefixes' region */
		struct a5_prefix a = addr_in(k % 2 ? &widest : &nest[k / 2 % n], k);
		int in = prefix_contains(&inner, &a) ? 1 : 0;
		for (int i = 0; i < got; i++)
			in += prefix_contains(&pieces[i].prefix, &a);
		assert_int_equal(in, 1);
	}
}

static void
test_split_nest(void **state)
{
	struct a5_prefix nest[PREFIX_NEST_MAX + 1], in;
	struct prefix_piece pieces[PREFIX_SPLIT_MAX];
	const char *e2e[] = { "10.20.30.4/31", "10.20.30.4/30", "10.20.30.0/29", "10.20.30.0/28",
	    "10.20.30.0/27", "10.20.30.0/26", "10.20.30.0/25", "10.20.30.0/24", "10.20.16.0/20",
	    "10.20.0.0/18", "10.20.0.0/16" };
	size_t n = 0;

	(void)state;
	/* a /24 inside a /16, either order: 8 + 8 pieces, not 16 + 8 overlapping */
	nest[0] = pfx("10.20.0.0/16");
	nest[1] = pfx("10.20.30.0/24");
	check_nest(nest, 2, "10.20.30.5", 16);
	nest[0] = pfx("10.20.30.0/24");
	nest[1] = pfx("10.20.0.0/16");
	check_nest(nest, 2, "10.20.30.5", 16);
	in = pfx("10.20.30.5");
	assert_int_equal(prefix_split_nest(nest, 2, &in, pieces), 16);
	/* the /16's pieces (widest first) are cut around the /24, not the address */
	assert_int_equal(pieces[0].from, 1);
	assert_int_equal(pieces[0].prefix.len, 17);
	assert_int_equal(pieces[7].from, 1);
	assert_int_equal(pieces[7].prefix.len, 24);
	assert_int_equal(pieces[8].from, 0);
	assert_int_equal(pieces[8].prefix.len, 25);
	/* the e2e case: 11 nested bans, more than the first version's 8 */
	for (n = 0; n < sizeof(e2e) / sizeof(e2e[0]); n++)
		nest[n] = pfx(e2e[n]);
	check_nest(nest, n, "10.20.30.5", 16);
	check_nest(nest, 1, "10.20.30.5", 1);
	/* the most a nest can hold: every IPv6 length from 0 to 127 */
	in = pfx("2001:db8::1");
	for (n = 0; n < PREFIX_NEST_MAX; n++) {
		nest[n] = in;
		prefix_truncate(&nest[n], (unsigned)(PREFIX_NEST_MAX - 1 - n));
	}
	check_nest(nest, PREFIX_NEST_MAX, "2001:db8::1", 128);
	/* refused: one more, two equal, one not holding inner, inner itself */
	nest[PREFIX_NEST_MAX] = nest[0];
	assert_int_equal(prefix_split_nest(nest, PREFIX_NEST_MAX + 1, &in, pieces), -1);
	nest[1] = nest[0];
	assert_int_equal(prefix_split_nest(nest, 2, &in, pieces), -1);
	nest[0] = pfx("10.20.0.0/16");
	nest[1] = pfx("10.21.0.0/16");
	in = pfx("10.20.30.5");
	assert_int_equal(prefix_split_nest(nest, 2, &in, pieces), -1);
	nest[1] = in;
	assert_int_equal(prefix_split_nest(nest, 2, &in, pieces), -1);
	nest[1] = pfx("2001:db8::/32");
	assert_int_equal(prefix_split_nest(nest, 2, &in, pieces), -1);
}

static int
entry(const char *kind, const char *subject, const char *body, struct history_item *it)
{
	struct journal_entry e = { .seq = 9, .at = 1700000000, .kind = kind, .subject = subject,
	    .subject_len = strlen(subject), .body = (const uint8_t *)body, .len = strlen(body) };

	return history_entry_parse(&e, it);
}

static void
test_history_entries(void **state)
{
	struct history_item it;
	struct a5_prefix q = pfx("198.51.100.5"), other = pfx("192.0.2.1");
	char buf[A5_PREFIX_STRLEN];

	(void)state;
	assert_int_equal(entry("local", "198.51.100.0/24", "action=ban ttl=3600 reason=manual", &it), 0);
	assert_string_equal(it.action, "ban");
	assert_int_equal(it.ttl, 3600);
	assert_string_equal(it.reason, "manual");
	assert_int_equal(it.seq, 9);
	prefix_format(&it.prefix, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.0/24");
	assert_true(history_entry_about(&it, &q));
	assert_false(history_entry_about(&it, &other));
	/* a reason keeps its spaces and '=' */
	assert_int_equal(entry("local", "192.0.2.1", "action=ban ttl=60 reason=sshd/x 3 failures a=b", &it), 0);
	assert_string_equal(it.reason, "sshd/x 3 failures a=b");
	/* a flush concerns every address */
	assert_int_equal(entry("local", "*", "action=flush ttl=0 reason=by request, 3 bans", &it), 0);
	assert_true(it.all);
	assert_true(history_entry_about(&it, &other));
	assert_int_equal(entry("refusal", "ed25519:abc", "seq=42 reason=too-wide prefix=10.0.0.0/8", &it), 0);
	assert_string_equal(it.action, "refused");
	assert_string_equal(it.reason, "too-wide");
	assert_string_equal(it.member, "ed25519:abc");
	assert_int_equal(it.report_seq, 42);
	assert_int_equal(entry("refusal", "ed25519:abc", "seq=1 reason=rate prefix=-", &it), 0);
	assert_false(it.has_prefix);
	assert_false(history_entry_about(&it, &other));
	const char *bad[][3] = {
		{ "local", "192.0.2.1", "" },
		{ "local", "192.0.2.1", "action=ban" },
		{ "local", "192.0.2.1", "action=ban ttl=-1 reason=x" },
		{ "local", "192.0.2.1", "action=ban ttl=1x reason=x" },
		{ "local", "192.0.2.1", "ttl=1 action=ban reason=x" },
		{ "local", "192.0.2.1", "action= ttl=1 reason=x" },
		{ "local", "not-a-prefix", "action=ban ttl=1 reason=x" },
		{ "local", "192.0.2.1", "action=ban ttl=1 reason=\x01" },
		{ "refusal", "k", "seq=1 reason=rate" },
		{ "refusal", "k", "seq=1 reason=rate prefix=10.0.0.1/8" },
		{ "report", "k", "action=ban ttl=1 reason=x" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (entry(bad[i][0], bad[i][1], bad[i][2], &it) != -1)
			fail_msg("accepted: %s '%s' '%s'", bad[i][0], bad[i][1], bad[i][2]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_nest),
		cmocka_unit_test(test_history_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
