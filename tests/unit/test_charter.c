/* test_charter.c - charter parsing: values, defaults, and FILE:LINE errors
 * that say what was expected (input / expected-message pairs). */
#include "testutil.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coalition/charter.h"

static struct charter *c;

#ifndef A5_SRCDIR
#define A5_SRCDIR "."
#endif

/* Key i: a real ed25519 public key from a seed derived from i (a key parser
 * may check the point), and its "ed25519:" text. */
static void
test_key(int i, uint8_t pk[ID_PUBLIC_BYTES], char *text, size_t n)
{
	uint8_t seed[crypto_sign_SEEDBYTES] = { 0 }, sk[crypto_sign_SECRETKEYBYTES];
	char b64[sodium_base64_ENCODED_LEN(ID_PUBLIC_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	seed[0] = (uint8_t)i;
	seed[1] = (uint8_t)(i >> 8);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2base64(b64, sizeof(b64), pk, ID_PUBLIC_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(text, n, "ed25519:%s", b64);
}

/* Copies tmpl replacing $1..$9 by the text of keys 1..9. */
static char *
expand(const char *tmpl)
{
	size_t cap = strlen(tmpl) * 8 + 64, o = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	for (const char *s = tmpl; *s; s++) {
		if (s[0] == '$' && s[1] >= '1' && s[1] <= '9') {
			uint8_t pk[ID_PUBLIC_BYTES];
			char t[ID_PUBLIC_TEXT_MAX];
			test_key(s[1] - '0', pk, t, sizeof(t));
			assert_true(o + strlen(t) < cap);
			memcpy(out + o, t, strlen(t));
			o += strlen(t);
			s++;
			continue;
		}
		assert_true(o + 1 < cap);
		out[o++] = *s;
	}
	out[o] = '\0';
	return out;
}

static int
parse(const char *tmpl, char *err, size_t n)
{
	char *text = expand(tmpl);
	int rc;

	err[0] = '\0';
	rc = charter_parse("t.charter", text, strlen(text), c, err, n);
	free(text);
	return rc;
}

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	c = malloc(sizeof(*c));
	return c == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	free(c);
	return 0;
}

static void
test_valid(void **state)
{
	uint8_t pk[ID_PUBLIC_BYTES];
	char err[1024], t[ID_PUBLIC_TEXT_MAX];
	const struct charter_member *m;

	(void)state;
	assert_int_equal(parse(
	    "# the coalition\n"
	    "coalition north-sea_1\n"
	    "nats nats://nats1.example.org:4222\n"
	    "nats tls://[2001:db8::42]:4443   # trailing comment\n"
	    "nats nats://192.0.2.9\n"
	    "\n"
	    "member alice $1 member 203.0.113.0/26 2001:db8:a::/48\r\n"
	    "member bob $2 protected\n"
	    "member olga $3 observer 198.51.100.128/25\n"
	    "member mallory $4 member\n"
	    "revoked mallory\n"
	    "response member quorum 2\n"
	    "response protected immediate\n"
	    "response observer quorum 1\n"
	    "quorum_window 5m\n"
	    "rate 120/min\n"
	    "max_prefix4 20\n"
	    "max_prefix6 40\n"
	    "ttl_max 2d\n"
	    "allow_special yes\n"
	    "version 9007199254740992\n"
	    "threshold 2\n"
	    "commit_period 1h\n"
	    "replicas 3\n"
	    "protected_votes yes\n"
	    "budget_bans 500\n"
	    "budget_addresses4 4096\n"
	    "budget_addresses6 /44\n"
	    "budget_strikes 7\n"
	    "wide_prefix4 28\n"
	    "wide_prefix6 56\n"
	    "wide_quorum 2\n",
	    err, sizeof(err)), 0);
	assert_string_equal(c->name, "north-sea_1");
	assert_int_equal(c->nurls, 3);
	assert_string_equal(c->urls[1], "tls://[2001:db8::42]:4443");
	assert_int_equal(c->nmembers, 4);
	m = &c->members[0];
	assert_string_equal(m->name, "alice");
	assert_int_equal(m->role, ROLE_MEMBER);
	assert_int_equal(m->nprefixes, 2);
	assert_int_equal(m->prefixes[0].family, A5_AF_INET);
	assert_int_equal(m->prefixes[0].len, 26);
	assert_int_equal(m->prefixes[1].family, A5_AF_INET6);
	assert_int_equal(m->prefixes[1].len, 48);
	assert_false(m->revoked);
	assert_int_equal(c->members[1].role, ROLE_PROTECTED);
	assert_int_equal(c->members[2].role, ROLE_OBSERVER);
	assert_true(c->members[3].revoked);
	assert_false(c->policy.response[ROLE_MEMBER].never);
	assert_int_equal(c->policy.response[ROLE_MEMBER].quorum, 2);
	assert_int_equal(c->policy.response[ROLE_PROTECTED].quorum, 0);
	/* quorum 1 is immediate */
	assert_false(c->policy.response[ROLE_OBSERVER].never);
	assert_int_equal(c->policy.response[ROLE_OBSERVER].quorum, 0);
	assert_int_equal(c->policy.quorum_window, 300);
	assert_int_equal(c->policy.rate_per_minute, 120);
	assert_int_equal(c->policy.max_prefix4, 20);
	assert_int_equal(c->policy.max_prefix6, 40);
	assert_int_equal(c->policy.ttl_max, 2 * 86400);
	assert_true(c->policy.allow_special);
	assert_int_equal(c->version, CHARTER_VERSION_MAX);
	assert_int_equal(c->threshold, 2);
	assert_int_equal(charter_threshold(c), 2);
	/* voters: alice and bob (protected_votes yes); olga observes, mallory
	 * is revoked */
	assert_int_equal(charter_voters(c), 2);
	assert_true(c->policy.protected_votes);
	assert_int_equal(c->policy.budget_bans, 500);
	assert_int_equal(c->policy.budget_addresses4, 4096);
	assert_int_equal(c->policy.budget_addresses6, 44);
	assert_int_equal(c->policy.budget_strikes, 7);
	assert_int_equal(c->policy.wide_prefix4, 28);
	assert_int_equal(c->policy.wide_prefix6, 56);
	assert_int_equal(c->policy.wide_quorum, 2);
	assert_int_equal(c->policy.commit_period, 3600);
	assert_int_equal(c->policy.replicas, 3);
	assert_ptr_equal(charter_find_name(c, "olga"), &c->members[2]);
	assert_null(charter_find_name(c, "olg"));

	test_key(2, pk, t, sizeof(t));
	assert_ptr_equal(charter_find(c, pk), &c->members[1]);
	test_key(9, pk, t, sizeof(t));
	assert_null(charter_find(c, pk));
	assert_string_equal(charter_role_name(ROLE_MEMBER), "member");
	assert_string_equal(charter_role_name(ROLE_PROTECTED), "protected");
	assert_string_equal(charter_role_name(ROLE_OBSERVER), "observer");
	assert_string_equal(charter_role_name((enum member_role)7), "?");
}

static void
test_defaults(void **state)
{
	char err[1024];

	(void)state;
	assert_int_equal(parse("coalition x\nmember a $1 member\n", err, sizeof(err)), 0);
	assert_int_equal(c->nurls, 0);
	assert_false(c->policy.response[ROLE_MEMBER].never);
	assert_int_equal(c->policy.response[ROLE_MEMBER].quorum, 0);
	assert_false(c->policy.response[ROLE_PROTECTED].never);
	assert_int_equal(c->policy.response[ROLE_PROTECTED].quorum, 0);
	assert_true(c->policy.response[ROLE_OBSERVER].never);
	assert_int_equal(c->policy.quorum_window, 600);
	assert_int_equal(c->policy.rate_per_minute, 600);
	assert_int_equal(c->policy.max_prefix4, 24);
	assert_int_equal(c->policy.max_prefix6, 48);
	assert_int_equal(c->policy.ttl_max, 7 * 86400);
	assert_false(c->policy.allow_special);
	assert_int_equal(c->version, 1);
	assert_int_equal(c->threshold, 0);
	assert_int_equal(c->policy.commit_period, 10);
	assert_int_equal(c->policy.replicas, 1);
	assert_int_equal(charter_voters(c), 1);
	assert_int_equal(charter_threshold(c), 1);
	/* a second parse starts from the defaults again */
	assert_int_equal(parse("coalition y\nmember b $2 observer\nrate 1/min\n", err, sizeof(err)), 0);
	assert_int_equal(c->nmembers, 1);
	assert_string_equal(c->members[0].name, "b");
	assert_int_equal(c->policy.rate_per_minute, 1);
	/* no voter at all: majority is still 1 (and nothing can be adopted) */
	assert_int_equal(charter_voters(c), 0);
	assert_int_equal(charter_threshold(c), 1);
}

/* The effective threshold: floor(voters / 2) + 1, or K. */
static void
test_threshold(void **state)
{
	static const struct { const char *text; unsigned voters, threshold; } cases[] = {
		{ "member a $1 member\n", 1, 1 },
		/* protected partners enforce nothing: no vote unless the charter
		 * says protected_votes yes */
		{ "member a $1 member\nmember b $2 protected\n", 1, 1 },
		{ "member a $1 member\nmember b $2 protected\nprotected_votes yes\n", 2, 2 },
		{ "member a $1 member\nmember b $2 protected\nmember c $3 member\n", 2, 2 },
		{ "protected_votes yes\nmember a $1 member\nmember b $2 protected\nmember c $3 member\n", 3, 2 },
		{ "member a $1 member\nmember b $2 protected\nprotected_votes no\nmember c $3 member\n", 2, 2 },
		{ "member a $1 member\nmember b $2 member\nmember c $3 member\nmember d $4 member\n", 4, 3 },
		{ "member a $1 member\nmember b $2 member\nmember c $3 member\nmember d $4 member\n"
		  "member e $5 member\n", 5, 3 },
		{ "member a $1 member\nmember b $2 member\nmember c $3 member\nmember d $4 member\n"
		  "revoked d\nmember o $5 observer\n", 3, 2 },
		{ "member a $1 member\nmember b $2 member\nmember c $3 member\nthreshold 3\n", 3, 3 },
		{ "threshold 1\nmember a $1 member\nmember b $2 member\nmember c $3 member\n", 3, 1 },
		{ "member a $1 member\nmember b $2 member\nthreshold majority\n", 2, 2 },
	};
	char err[1024], text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "coalition x\n%s", cases[i].text);
		if (parse(text, err, sizeof(err)) != 0)
			fail_msg("case %zu: %s", i, err);
		if (charter_voters(c) != cases[i].voters || charter_threshold(c) != cases[i].threshold)
			fail_msg("case %zu: %u voters, threshold %u", i, charter_voters(c),
			    charter_threshold(c));
	}
}

static void
test_errors(void **state)
{
#define HEAD "coalition x\n"
#define ONE HEAD "member a $1 member\n"
	static const struct { const char *text, *msg; } cases[] = {
		{ "coalition\n", "t.charter:1: expected 'coalition NAME'" },
		{ "coalition a.b\n", "t.charter:1: bad coalition name 'a.b', expected 1 to 47 letters, digits, '-' or '_'" },
		{ "coalition x\n# c\ncoalition y\n", "t.charter:3: duplicate 'coalition' line (first on line 1), expected it once" },
		{ "nats http://h:4222\n", "t.charter:1: bad nats URL 'http://h:4222', expected nats://HOST[:PORT] or tls://HOST[:PORT]" },
		{ "nats nats://u:p@h:4222\n", "t.charter:1: bad nats URL 'nats://u:p@h:4222', expected nats://HOST[:PORT] or tls://HOST[:PORT]" },
		{ "nats nats://h:0\n", "t.charter:1: bad nats URL 'nats://h:0', expected nats://HOST[:PORT] or tls://HOST[:PORT]" },
		{ "nats tls://[::1\n", "t.charter:1: bad nats URL 'tls://[::1', expected nats://HOST[:PORT] or tls://HOST[:PORT]" },
		{ "nats nats://\n", "t.charter:1: bad nats URL 'nats://', expected nats://HOST[:PORT] or tls://HOST[:PORT]" },
		{ "nats\n", "t.charter:1: expected 'nats URL'" },
		{ "nats nats://h\nnats nats://h\n", "t.charter:2: duplicate nats URL 'nats://h', expected each server once" },
		{ "nats nats://a\nnats nats://b\nnats nats://c\nnats nats://d\nnats nats://e\n"
		  "nats nats://f\nnats nats://g\nnats nats://h\nnats nats://i\n",
		  "t.charter:9: too many nats lines (at most 8)" },
		{ "member a\n", "t.charter:1: expected 'member NAME KEY ROLE [PREFIX...]'" },
		{ "member a.b $1 member\n", "t.charter:1: bad member name 'a.b', expected 1 to 47 letters, digits, '-' or '_'" },
		{ "member a ed25519:abc member\n", "t.charter:1: bad key 'ed25519:abc' for member 'a', expected 'ed25519:' and 43 characters of unpadded URL-safe base64" },
		{ "member a $1 admin\n", "t.charter:1: bad role 'admin' for member 'a', expected member, protected or observer" },
		{ "member a $1 member 10.0.0.1/8\n", "t.charter:1: bad prefix '10.0.0.1/8' for member 'a', expected an IPv4 or IPv6 address with an optional /LEN and no host bits set" },
		{ "member a $1 member 10.0.0.0/7\n", "t.charter:1: prefix '10.0.0.0/7' for member 'a' is too wide, expected /8 or longer for IPv4, /16 or longer for IPv6" },
		{ "member a $1 member ::/0\n", "t.charter:1: prefix '::/0' for member 'a' is too wide, expected /8 or longer for IPv4, /16 or longer for IPv6" },
		{ "member a $1 member\n\nmember a $2 member\n", "t.charter:3: duplicate member 'a' (first on line 1), expected unique names" },
		{ "member a $1 member\nmember b $1 observer\n", "t.charter:2: key of member 'b' is already the key of member 'a' (line 1), expected one key per member" },
		{ "revoked zed\n", "t.charter:1: unknown member 'zed', expected the name of a member declared above" },
		{ "revoked a\nmember a $1 member\n", "t.charter:1: unknown member 'a', expected the name of a member declared above" },
		{ ONE "revoked a\nrevoked a\n", "t.charter:4: member 'a' is already revoked, expected one revoked line per member" },
		{ "revoked\n", "t.charter:1: expected 'revoked NAME'" },
		{ "response admin never\n", "t.charter:1: bad role 'admin', expected member, protected or observer" },
		{ "response member sometimes\n", "t.charter:1: bad response 'sometimes', expected immediate, quorum K or never" },
		{ "response member\n", "t.charter:1: expected 'response ROLE immediate|quorum K|never'" },
		{ "response member quorum\n", "t.charter:1: expected 'response ROLE immediate|quorum K|never'" },
		{ "response member never 2\n", "t.charter:1: expected 'response ROLE immediate|quorum K|never'" },
		{ "response member quorum 0\n", "t.charter:1: bad quorum '0', expected a number from 1 to 16" },
		{ "response member quorum 17\n", "t.charter:1: bad quorum '17', expected a number from 1 to 16" },
		{ "response observer never\nresponse observer quorum 2\n", "t.charter:2: duplicate 'response observer' line (first on line 1), expected it once" },
		{ "quorum_window 0\n", "t.charter:1: bad quorum_window '0', expected a duration such as 90s, 10m, 1h, 2d" },
		{ "quorum_window 10m\nquorum_window 5m\n", "t.charter:2: duplicate 'quorum_window' line (first on line 1), expected it once" },
		{ "rate 600\n", "t.charter:1: bad rate '600', expected N/min with N from 1 to 60000" },
		{ "rate 0/min\n", "t.charter:1: bad rate '0/min', expected N/min with N from 1 to 60000" },
		{ "rate 10/sec\n", "t.charter:1: bad rate '10/sec', expected N/min with N from 1 to 60000" },
		{ "rate /min\n", "t.charter:1: bad rate '/min', expected N/min with N from 1 to 60000" },
		{ "rate 60001/min\n", "t.charter:1: bad rate '60001/min', expected N/min with N from 1 to 60000" },
		{ "rate 5/min\nrate 6/min\n", "t.charter:2: duplicate 'rate' line (first on line 1), expected it once" },
		{ "max_prefix4 7\n", "t.charter:1: bad max_prefix4 '7', expected 8..32" },
		{ "max_prefix4 33\n", "t.charter:1: bad max_prefix4 '33', expected 8..32" },
		{ "max_prefix6 129\n", "t.charter:1: bad max_prefix6 '129', expected 16..128" },
		{ "max_prefix6 0\n", "t.charter:1: bad max_prefix6 '0', expected 16..128" },
		{ "ttl_max forever\n", "t.charter:1: bad ttl_max 'forever', expected a duration such as 90s, 10m, 1h, 2d" },
		{ "ttl_max\n", "t.charter:1: expected 'ttl_max DURATION'" },
		{ "allow_special maybe\n", "t.charter:1: bad allow_special 'maybe', expected yes or no" },
		{ "allow_special no\nallow_special yes\n", "t.charter:2: duplicate 'allow_special' line (first on line 1), expected it once" },
		{ "colition x\n", "t.charter:1: unknown directive 'colition', expected one of coalition, version, threshold, nats, member, revoked, response, quorum_window, rate, max_prefix4, max_prefix6, ttl_max, allow_special, commit_period, replicas, budget_bans, budget_addresses4, budget_addresses6, budget_strikes, wide_prefix4, wide_prefix6, wide_quorum, protected_votes, auditors" },
		{ "version 0\n", "t.charter:1: bad version '0', expected a number from 1 to 9007199254740992" },
		{ "version 9007199254740993\n", "t.charter:1: bad version '9007199254740993', expected a number from 1 to 9007199254740992" },
		{ "version -1\n", "t.charter:1: bad version '-1', expected a number from 1 to 9007199254740992" },
		{ "version 2 3\n", "t.charter:1: expected 'version N'" },
		{ "version 2\nversion 3\n", "t.charter:2: duplicate 'version' line (first on line 1), expected it once" },
		{ "threshold\n", "t.charter:1: expected 'threshold majority|K'" },
		{ "threshold most\n", "t.charter:1: bad threshold 'most', expected majority or a number from 1 to 256" },
		{ "threshold 0\n", "t.charter:1: bad threshold '0', expected majority or a number from 1 to 256" },
		{ "threshold 257\n", "t.charter:1: bad threshold '257', expected majority or a number from 1 to 256" },
		{ "threshold 1\nthreshold majority\n", "t.charter:2: duplicate 'threshold' line (first on line 1), expected it once" },
		{ HEAD "threshold 2\nmember a $1 member\nmember o $2 observer\n",
		  "t.charter:2: threshold 2 can never be reached, expected 1 to 1 (the voting members: not revoked, role member, or protected with protected_votes yes) or majority" },
		{ ONE "member b $2 protected\nthreshold 2\nrevoked b\n",
		  "t.charter:4: threshold 2 can never be reached, expected 1 to 1 (the voting members: not revoked, role member, or protected with protected_votes yes) or majority" },
		{ "coalition x\nmember o $1 observer\nthreshold 1\n",
		  "t.charter:3: threshold 1 can never be reached, expected 1 to 0 (the voting members: not revoked, role member, or protected with protected_votes yes) or majority" },
		{ "budget_bans 0\n", "t.charter:1: bad budget_bans '0', expected 1..10000000" },
		{ "budget_addresses4 4294967297\n", "t.charter:1: bad budget_addresses4 '4294967297', expected 1..4294967296" },
		{ "budget_addresses6 40\n", "t.charter:1: bad budget_addresses6 '40', expected /LEN with LEN from 16 to 64 (the space of one /LEN, counted in /64s)" },
		{ "budget_addresses6 /65\n", "t.charter:1: bad budget_addresses6 '/65', expected /16..64" },
		{ "budget_strikes 5\nbudget_strikes 6\n", "t.charter:2: duplicate 'budget_strikes' line (first on line 1), expected it once" },
		{ "wide_prefix4 7\n", "t.charter:1: bad wide_prefix4 '7', expected 8..32" },
		{ "wide_prefix6\n", "t.charter:1: expected 'wide_prefix6 N'" },
		{ "protected_votes maybe\n", "t.charter:1: bad protected_votes 'maybe', expected yes or no" },
		{ "budget_frobs 1\n", "t.charter:1: unknown directive 'budget_frobs', expected one of budget_bans, budget_addresses4, budget_addresses6, budget_strikes, wide_prefix4, wide_prefix6, wide_quorum, protected_votes, auditors" },
		{ ONE "member b $2 member\nwide_quorum 3\n",
		  "t.charter:4: wide_quorum 3 can never be reached, expected at most 2 (the members not revoked whose reports count)" },
		{ "commit_period 0\n", "t.charter:1: bad commit_period '0', expected a duration from 1s to 1h" },
		{ "commit_period 3601s\n", "t.charter:1: bad commit_period '3601s', expected a duration from 1s to 1h" },
		{ "commit_period 2h\n", "t.charter:1: bad commit_period '2h', expected a duration from 1s to 1h" },
		{ "commit_period soon\n", "t.charter:1: bad commit_period 'soon', expected a duration from 1s to 1h" },
		{ "commit_period 5s\ncommit_period 5s\n", "t.charter:2: duplicate 'commit_period' line (first on line 1), expected it once" },
		{ "member a $1 member\n", "t.charter: no coalition line, expected 'coalition NAME'" },
		{ HEAD, "t.charter: no member line, expected at least one 'member NAME KEY ROLE [PREFIX...]'" },
		{ "", "t.charter: no coalition line, expected 'coalition NAME'" },
		/* a quorum that can never be reached silently disables a role */
		{ ONE "member b $2 member\nresponse member quorum 3\n",
		  "t.charter:4: quorum 3 for role member can never be reached, expected at most 2 (the members not revoked whose reports count)" },
		{ ONE "member b $2 member\nmember c $3 observer\nresponse member quorum 2\nrevoked b\n",
		  "t.charter:5: quorum 2 for role member can never be reached, expected at most 1 (the members not revoked whose reports count)" },
	};
	char err[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, err, sizeof(err)), -1);
		if (strcmp(err, cases[i].msg) != 0)
			fail_msg("case %zu: got \"%s\"", i, err);
	}
	/* Counted as voters: observers once their role may be enforced. */
	assert_int_equal(parse(ONE "member c $3 observer\nresponse member quorum 2\n"
	    "response observer quorum 2\n", err, sizeof(err)), 0);
	/* A role without members may have any quorum. */
	assert_int_equal(parse(ONE "response protected quorum 5\n", err, sizeof(err)), 0);
#undef ONE
#undef HEAD
}

static void
test_hostile(void **state)
{
	char err[1024], *big, *p;
	size_t n;

	(void)state;
	assert_int_equal(charter_parse("t.charter", "coalition\0x\n", 12, c, err, sizeof(err)), -1);
	assert_string_equal(err, "t.charter:1: NUL byte in charter");

	big = malloc(10000);
	assert_non_null(big);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	assert_int_equal(parse(big, err, sizeof(err)), -1);
	assert_string_equal(err, "t.charter:1: line too long (at most 4095 bytes)");

	/* 32 prefixes fit, 33 do not; far too many words say so too */
	p = big;
	p += sprintf(p, "coalition x\nmember a $1 member");
	for (int i = 0; i < 32; i++)
		p += sprintf(p, " 198.51.%d.0/24", i);
	strcpy(p, "\n");
	assert_int_equal(parse(big, err, sizeof(err)), 0);
	assert_int_equal(c->members[0].nprefixes, 32);
	strcpy(p, " 198.51.99.0/24\n");
	assert_int_equal(parse(big, err, sizeof(err)), -1);
	assert_string_equal(err, "t.charter:2: too many prefixes for member 'a' (at most 32)");
	strcpy(p, " 198.51.99.0/24 198.51.98.0/24\n");
	assert_int_equal(parse(big, err, sizeof(err)), -1);
	assert_string_equal(err, "t.charter:2: too many prefixes for member 'a' (at most 32)");
	p = big + sprintf(big, "coalition x\nnats");
	for (int i = 0; i < 40; i++)
		p += sprintf(p, " nats://h%d", i);
	strcpy(p, "\n");
	assert_int_equal(parse(big, err, sizeof(err)), -1);
	assert_string_equal(err, "t.charter:2: too many words on this line");
	free(big);

	/* an overlong URL is quoted only in part */
	big = malloc(400);
	assert_non_null(big);
	n = (size_t)sprintf(big, "nats nats://");
	memset(big + n, 'h', 300);
	strcpy(big + n + 300, "\n");
	assert_int_equal(parse(big, err, sizeof(err)), -1);
	assert_string_equal(err, "t.charter:1: nats URL 'nats://hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh...' too long (at most 255 bytes)");
	free(big);

	/* names: 47 bytes fit, 48 do not */
	char line[256];
	snprintf(line, sizeof(line), "coalition %047d\nmember a $1 member\n", 7);
	assert_int_equal(parse(line, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "coalition %048d\n", 7);
	assert_int_equal(parse(line, err, sizeof(err)), -1);
}

static void
test_too_many_members(void **state)
{
	size_t cap = 300 * 100;
	char *text = malloc(cap), err[1024];
	size_t o;

	(void)state;
	assert_non_null(text);
	o = (size_t)snprintf(text, cap, "coalition x\n");
	for (int i = 0; i < CHARTER_MEMBERS_MAX + 1; i++) {
		uint8_t pk[ID_PUBLIC_BYTES];
		char t[ID_PUBLIC_TEXT_MAX];
		test_key(i, pk, t, sizeof(t));
		o += (size_t)snprintf(text + o, cap - o, "member m%d %s member\n", i, t);
	}
	assert_true(o < cap);
	assert_int_equal(charter_parse("t.charter", text, o, c, err, sizeof(err)), -1);
	assert_string_equal(err, "t.charter:258: too many members (at most 256)");
	free(text);
}

static void
test_load(void **state)
{
	char path[] = "/tmp/a5-charter-XXXXXX", err[1024];
	char *text = expand("coalition x\nmember a $1 member\n");
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(charter_load(path, c, err, sizeof(err)), 0);
	assert_string_equal(c->name, "x");
	unlink(path);
	assert_int_equal(charter_load(path, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	free(text);

	/* the shipped example parses */
	assert_int_equal(charter_load(A5_SRCDIR "/etc/coalition.charter.example", c, err, sizeof(err)), 0);
	assert_true(c->nmembers >= 2);
}

/* Entries of a directory, "." and ".." aside. */
static int
dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* charter_write_file: the new bytes in place of the old, the mode kept,
 * a symlink's target replaced, no temporary file left; refusals leave
 * nothing behind. */
static void
test_write_file(void **state)
{
	char dir[] = "/tmp/a5-charter-w-XXXXXX", path[256], link[256], err[1024], *text;
	uint8_t h1[CHARTER_HASH_BYTES], h2[CHARTER_HASH_BYTES];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/coalition.charter", dir);
	snprintf(link, sizeof(link), "%s/link.charter", dir);
	/* the file must exist: an update replaces a charter */
	assert_int_equal(charter_write_file(path, "x", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "coalition.charter: No such file"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(symlink(path, link), 0);

	text = expand("coalition x\nmember a $1 member\nversion 2\n");
	assert_int_equal(charter_write_file(link, text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, (off_t)strlen(text));
	assert_int_equal(charter_load_hash(path, c, h1, err, sizeof(err)), 0);
	assert_int_equal(c->version, 2);
	charter_hash(text, strlen(text), h2);
	assert_memory_equal(h1, h2, sizeof(h1));

	/* a directory is not a charter */
	assert_int_equal(charter_write_file(dir, "x", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": not a regular file"));

	/* only the two names remain: no temporary file left behind */
	assert_int_equal(dir_entries(dir), 2);
	unlink(link);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	free(text);
}

static void
put(const char *path, const char *tmpl)
{
	char *text = expand(tmpl);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
}

/* The newer of the configured charter and the copy adopted from the
 * stream is in force; anything odd about the copy leaves the configured
 * file in force, and says why. */
static void
test_in_force(void **state)
{
	char dir[] = "/tmp/a5-charter-f-XXXXXX", conf[256], adopted[256], why[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/coalition.charter", dir);
	snprintf(adopted, sizeof(adopted), "%s/charter.adopted", dir);
	put(conf, "coalition x\nmember a $1 member\nversion 2\n");
	/* no copy */
	assert_string_equal(charter_in_force(conf, adopted, why, sizeof(why)), conf);
	assert_string_equal(why, "");
	/* a newer copy wins */
	put(adopted, "coalition x\nmember a $1 member\nmember b $2 member\nversion 3\n");
	assert_string_equal(charter_in_force(conf, adopted, why, sizeof(why)), adopted);
	/* the administrator's file wins again once it is as new */
	put(conf, "coalition x\nmember a $1 member\nversion 3\n");
	assert_string_equal(charter_in_force(conf, adopted, why, sizeof(why)), conf);
	assert_string_equal(why, "");
	/* another coalition's charter, or one that does not parse: passed over */
	put(adopted, "coalition y\nmember a $1 member\nversion 9\n");
	assert_string_equal(charter_in_force(conf, adopted, why, sizeof(why)), conf);
	assert_non_null(strstr(why, "coalition y, not x"));
	put(adopted, "coalition x\nversion nine\n");
	assert_string_equal(charter_in_force(conf, adopted, why, sizeof(why)), conf);
	assert_non_null(strstr(why, "charter.adopted:2"));
	unlink(adopted);
	unlink(conf);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_too_many_members),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_in_force),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
