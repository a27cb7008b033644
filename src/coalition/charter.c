/* charter.c - the coalition charter parser: one directive per line. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "coalition/charter.h"
#include "common/lineparse.h"
#include "common/util.h"

#define CHARTER_LINE_MAX 4096
/* "member NAME KEY ROLE" plus its prefixes, plus one to notice too many. */
#define CHARTER_WORDS_MAX (4 + CHARTER_MEMBER_PREFIXES_MAX + 1)
#define CHARTER_URL_MAX 256
#define CHARTER_RATE_MAX 60000
/* A member's own prefix shields it from every ban in the coalition, so it
 * may not shield a sizeable part of the Internet: /8 or /16 at the widest. */
#define OWN_PREFIX4_MIN 8
#define OWN_PREFIX6_MIN 16
/* Widest prefix the policy may allow anyone to ban. */
#define MAX_PREFIX4_MIN 8
#define MAX_PREFIX6_MIN 16
#define COMMIT_PERIOD_DEFAULT 10	/* seconds */
#define BUDGET_BANS_DEFAULT 100000
#define BUDGET_BANS_MAX 10000000
#define BUDGET_ADDR4_DEFAULT 65536	/* 256 /24s, 65536 single addresses */
#define BUDGET_ADDR6_DEFAULT 40		/* a /40: 2^24 /64s, 256 /48s */
#define BUDGET_STRIKES_DEFAULT 100
/* Auditors per member: every other member up to 9 members; past that, what
 * a member verifies per period stays at 8 commitments, not N-1. */
#define AUDITORS_DEFAULT 8

/* Directives that may appear once; the line of the first is kept so that a
 * duplicate (and an unreachable quorum) can point at it. */
enum once {
	ONCE_COALITION, ONCE_QUORUM_WINDOW, ONCE_RATE, ONCE_MAX_PREFIX4, ONCE_MAX_PREFIX6,
	ONCE_TTL_MAX, ONCE_ALLOW_SPECIAL, ONCE_VERSION, ONCE_THRESHOLD, ONCE_COMMIT_PERIOD,
	ONCE_REPLICAS, ONCE_BUDGET_BANS, ONCE_BUDGET_ADDR4, ONCE_BUDGET_ADDR6, ONCE_BUDGET_STRIKES,
	ONCE_WIDE_PREFIX4, ONCE_WIDE_PREFIX6, ONCE_WIDE_QUORUM, ONCE_PROTECTED_VOTES, ONCE_AUDITORS,
	ONCE_RESPONSE,	/* + role: three slots */
	ONCE_N = ONCE_RESPONSE + 3
};

struct parser {
	struct lineparse lp;
	int once[ONCE_N];
	int member_line[CHARTER_MEMBERS_MAX];
};

static const char *const role_names[] = { "member", "protected", "observer" };

/* Marks a once-only directive as seen; refuses the second one. */
static int
once(struct parser *p, enum once which, const char *what)
{
	if (p->once[which] != 0)
		return lp_error(&p->lp, "duplicate '%s' line (first on line %d), expected it once",
		    what, p->once[which]);
	p->once[which] = p->lp.line;
	return 0;
}

/* Names end up in NATS subjects and stream names ("a5.<coalition>...",
 * "A5_<coalition>") and in logs, so they are kept to a plain alphabet:
 * no '.', '*', '>' or spaces, which NATS gives a meaning. */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CHARTER_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static int
parse_role(const char *s, enum member_role *out)
{
	for (size_t i = 0; i < ARRAY_LEN(role_names); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum member_role)i;
			return 0;
		}
	return -1;
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_';
}

/* nats://HOST[:PORT] or tls://HOST[:PORT], HOST a name, an IPv4 address or
 * [IPv6]. No user:password@: credentials do not belong in a shared file. */
static bool
url_ok(const char *u)
{
	const char *h, *port = NULL;
	uint64_t v;

	if (strncmp(u, "nats://", 7) == 0)
		h = u + 7;
	else if (strncmp(u, "tls://", 6) == 0)
		h = u + 6;
	else
		return false;
	if (*h == '[') {
		const char *e = strchr(h, ']');
		if (e == NULL || e == h + 1)
			return false;
		for (const char *c = h + 1; c < e; c++)
			if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
			    (*c >= 'A' && *c <= 'F') || *c == ':' || *c == '.'))
				return false;
		if (e[1] == ':')
			port = e + 2;
		else if (e[1] != '\0')
			return false;
	} else {
		const char *c = h;
		while (host_char(*c))
			c++;
		if (c == h)
			return false;
		if (*c == ':')
			port = c + 1;
		else if (*c != '\0')
			return false;
	}
	return port == NULL || uint_parse(port, 1, 65535, &v) == 0;
}

static int
parse_nats(struct parser *p, struct charter *c, char **w, int nw)
{
	if (lp_want(&p->lp, nw, 2, "nats URL") != 0)
		return -1;
	if (strlen(w[1]) >= CHARTER_URL_MAX)
		return lp_error(&p->lp, "nats URL '%.40s...' too long (at most %d bytes)", w[1],
		    CHARTER_URL_MAX - 1);
	if (!url_ok(w[1]))
		return lp_error(&p->lp, "bad nats URL '%s', expected nats://HOST[:PORT] or tls://HOST[:PORT]", w[1]);
	for (size_t i = 0; i < c->nurls; i++)
		if (strcmp(c->urls[i], w[1]) == 0)
			return lp_error(&p->lp, "duplicate nats URL '%s', expected each server once", w[1]);
	if (c->nurls >= CHARTER_URLS_MAX)
		return lp_error(&p->lp, "too many nats lines (at most %d)", CHARTER_URLS_MAX);
	strlcpy_ok(c->urls[c->nurls++], w[1], sizeof(c->urls[0]));
	return 0;
}

static int
parse_member(struct parser *p, struct charter *c, char **w, int nw)
{
	struct charter_member *m;

	if (nw < 4)
		return lp_error(&p->lp, "expected 'member NAME KEY ROLE [PREFIX...]'");
	if (!name_ok(w[1]))
		return lp_error(&p->lp, "bad member name '%s', expected 1 to %d letters, digits, '-' or '_'",
		    w[1], CHARTER_NAME_MAX - 1);
	if (nw - 4 > CHARTER_MEMBER_PREFIXES_MAX)
		return lp_error(&p->lp, "too many prefixes for member '%s' (at most %d)", w[1],
		    CHARTER_MEMBER_PREFIXES_MAX);
	if (c->nmembers >= CHARTER_MEMBERS_MAX)
		return lp_error(&p->lp, "too many members (at most %d)", CHARTER_MEMBERS_MAX);
	m = &c->members[c->nmembers];
	memset(m, 0, sizeof(*m));
	strlcpy_ok(m->name, w[1], sizeof(m->name));
	if (identity_pk_from_text(w[2], m->pk) != 0)
		return lp_error(&p->lp, "bad key '%s' for member '%s', expected 'ed25519:' and 43 characters "
		    "of unpadded URL-safe base64", w[2], w[1]);
	if (parse_role(w[3], &m->role) != 0)
		return lp_error(&p->lp, "bad role '%s' for member '%s', expected member, protected or observer",
		    w[3], w[1]);
	for (int i = 4; i < nw; i++) {
		struct a5_prefix pf;
		if (prefix_parse(w[i], strlen(w[i]), &pf) != 0)
			return lp_error(&p->lp, "bad prefix '%s' for member '%s', expected an IPv4 or IPv6 address "
			    "with an optional /LEN and no host bits set", w[i], w[1]);
		const char *why = prefix_check(&pf);
		if (why != NULL)
			return lp_error(&p->lp, "bad prefix '%s' for member '%s': %s", w[i], w[1], why);
		if (pf.len < (pf.family == A5_AF_INET ? OWN_PREFIX4_MIN : OWN_PREFIX6_MIN))
			return lp_error(&p->lp, "prefix '%s' for member '%s' is too wide, expected /%d or longer "
			    "for IPv4, /%d or longer for IPv6", w[i], w[1], OWN_PREFIX4_MIN, OWN_PREFIX6_MIN);
		m->prefixes[m->nprefixes++] = pf;
	}
	for (size_t i = 0; i < c->nmembers; i++) {
		if (strcmp(c->members[i].name, m->name) == 0)
			return lp_error(&p->lp, "duplicate member '%s' (first on line %d), expected unique names",
			    m->name, p->member_line[i]);
		if (memcmp(c->members[i].pk, m->pk, ID_PUBLIC_BYTES) == 0)
			return lp_error(&p->lp, "key of member '%s' is already the key of member '%s' (line %d), "
			    "expected one key per member", m->name, c->members[i].name, p->member_line[i]);
	}
	p->member_line[c->nmembers++] = p->lp.line;
	return 0;
}

/* A revocation names a member declared above: revoking is appending a line
 * under the member's, and a typo in a name must not pass unnoticed. */
static int
parse_revoked(struct parser *p, struct charter *c, char **w, int nw)
{
	if (lp_want(&p->lp, nw, 2, "revoked NAME") != 0)
		return -1;
	for (size_t i = 0; i < c->nmembers; i++) {
		if (strcmp(c->members[i].name, w[1]) != 0)
			continue;
		if (c->members[i].revoked)
			return lp_error(&p->lp, "member '%s' is already revoked, expected one revoked line per member",
			    w[1]);
		c->members[i].revoked = true;
		return 0;
	}
	return lp_error(&p->lp, "unknown member '%s', expected the name of a member declared above", w[1]);
}

static int
parse_response(struct parser *p, struct charter *c, char **w, int nw)
{
	static const char usage[] = "response ROLE immediate|quorum K|never";
	struct response_policy rp = { false, 0 };
	enum member_role role;
	uint64_t k;

	if (nw < 3)
		return lp_error(&p->lp, "expected '%s'", usage);
	if (parse_role(w[1], &role) != 0)
		return lp_error(&p->lp, "bad role '%s', expected member, protected or observer", w[1]);
	if (strcmp(w[2], "immediate") == 0) {
		if (lp_want(&p->lp, nw, 3, usage) != 0)
			return -1;
	} else if (strcmp(w[2], "never") == 0) {
		if (lp_want(&p->lp, nw, 3, usage) != 0)
			return -1;
		rp.never = true;
	} else if (strcmp(w[2], "quorum") == 0) {
		if (lp_want(&p->lp, nw, 4, usage) != 0)
			return -1;
		if (uint_parse(w[3], 1, CHARTER_QUORUM_MAX, &k) != 0)
			return lp_error(&p->lp, "bad quorum '%s', expected a number from 1 to %d", w[3],
			    CHARTER_QUORUM_MAX);
		rp.quorum = k == 1 ? 0 : (unsigned)k;
	} else
		return lp_error(&p->lp, "bad response '%s', expected immediate, quorum K or never", w[2]);
	char what[32];
	snprintf(what, sizeof(what), "response %s", role_names[role]);
	if (once(p, (enum once)(ONCE_RESPONSE + role), what) != 0)
		return -1;
	c->policy.response[role] = rp;
	return 0;
}

static int
parse_duration_arg(struct parser *p, const char *what, const char *v, uint32_t *out)
{
	int64_t d;

	if (duration_parse(v, &d) != 0 || d == 0 || d > UINT32_MAX)
		return lp_error(&p->lp, "bad %s '%s', expected a duration such as 90s, 10m, 1h, 2d", what, v);
	*out = (uint32_t)d;
	return 0;
}

static int
parse_rate(struct parser *p, struct charter *c, const char *v)
{
	char num[16];
	const char *slash = strchr(v, '/');
	uint64_t n;

	if (slash == NULL || strcmp(slash, "/min") != 0 || (size_t)(slash - v) >= sizeof(num))
		goto bad;
	memcpy(num, v, (size_t)(slash - v));
	num[slash - v] = '\0';
	if (uint_parse(num, 1, CHARTER_RATE_MAX, &n) != 0)
		goto bad;
	c->policy.rate_per_minute = (uint32_t)n;
	return 0;
bad:
	return lp_error(&p->lp, "bad rate '%s', expected N/min with N from 1 to %d", v, CHARTER_RATE_MAX);
}

/* "threshold majority|K": K is checked against the voters once every
 * member and revocation is known (check_threshold). */
static int
parse_threshold(struct parser *p, struct charter *c, char **w, int nw)
{
	uint64_t k;

	if (lp_want(&p->lp, nw, 2, "threshold majority|K") != 0)
		return -1;
	if (strcmp(w[1], "majority") == 0)
		k = 0;
	else if (uint_parse(w[1], 1, CHARTER_MEMBERS_MAX, &k) != 0)
		return lp_error(&p->lp, "bad threshold '%s', expected majority or a number from 1 to %d",
		    w[1], CHARTER_MEMBERS_MAX);
	if (once(p, ONCE_THRESHOLD, "threshold") != 0)
		return -1;
	c->threshold = (unsigned)k;
	return 0;
}

/* The budget and wide-prefix directives (docs/charter.md "Budgets"), and
 * auditors (docs/commitment.md "Sampled audits"). */
static int
parse_budget(struct parser *p, struct charter *c, char **w, int nw)
{
	static const struct {
		const char *name, *usage;
		enum once slot;
		uint64_t min, max;
	} kw[] = {
		{ "budget_bans", "budget_bans N", ONCE_BUDGET_BANS, 1, BUDGET_BANS_MAX },
		{ "budget_addresses4", "budget_addresses4 N", ONCE_BUDGET_ADDR4, 1, UINT64_C(1) << 32 },
		{ "budget_addresses6", "budget_addresses6 /LEN", ONCE_BUDGET_ADDR6, 16, 64 },
		{ "budget_strikes", "budget_strikes N", ONCE_BUDGET_STRIKES, 1, 1000000 },
		{ "wide_prefix4", "wide_prefix4 N", ONCE_WIDE_PREFIX4, MAX_PREFIX4_MIN, 32 },
		{ "wide_prefix6", "wide_prefix6 N", ONCE_WIDE_PREFIX6, MAX_PREFIX6_MIN, 128 },
		{ "wide_quorum", "wide_quorum K", ONCE_WIDE_QUORUM, 1, CHARTER_QUORUM_MAX },
		{ "protected_votes", "protected_votes yes|no", ONCE_PROTECTED_VOTES, 0, 1 },
		{ "auditors", "auditors K", ONCE_AUDITORS, 1, CHARTER_MEMBERS_MAX },
	};
	const char *v;
	uint64_t u;
	size_t i;

	for (i = 0; i < ARRAY_LEN(kw); i++)
		if (strcmp(w[0], kw[i].name) == 0)
			break;
	if (i == ARRAY_LEN(kw))
		return lp_error(&p->lp, "unknown directive '%s', expected one of budget_bans, "
		    "budget_addresses4, budget_addresses6, budget_strikes, wide_prefix4, wide_prefix6, "
		    "wide_quorum, protected_votes, auditors", w[0]);
	if (lp_want(&p->lp, nw, 2, kw[i].usage) != 0)
		return -1;
	v = w[1];
	if (kw[i].slot == ONCE_PROTECTED_VOTES) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return lp_error(&p->lp, "bad protected_votes '%s', expected yes or no", v);
		u = strcmp(v, "yes") == 0;
	} else {
		if (kw[i].slot == ONCE_BUDGET_ADDR6 && *v++ != '/')
			return lp_error(&p->lp, "bad budget_addresses6 '%s', expected /LEN with LEN "
			    "from 16 to 64 (the space of one /LEN, counted in /64s)", w[1]);
		if (uint_parse(v, kw[i].min, kw[i].max, &u) != 0)
			return lp_error(&p->lp, "bad %s '%s', expected %s%llu..%llu", kw[i].name, w[1],
			    kw[i].slot == ONCE_BUDGET_ADDR6 ? "/" : "", (unsigned long long)kw[i].min,
			    (unsigned long long)kw[i].max);
	}
	if (once(p, kw[i].slot, kw[i].name) != 0)
		return -1;
	switch (kw[i].slot) {
	case ONCE_BUDGET_BANS: c->policy.budget_bans = (uint32_t)u; break;
	case ONCE_BUDGET_ADDR4: c->policy.budget_addresses4 = u; break;
	case ONCE_BUDGET_ADDR6: c->policy.budget_addresses6 = (uint8_t)u; break;
	case ONCE_BUDGET_STRIKES: c->policy.budget_strikes = (uint32_t)u; break;
	case ONCE_WIDE_PREFIX4: c->policy.wide_prefix4 = (uint8_t)u; break;
	case ONCE_WIDE_PREFIX6: c->policy.wide_prefix6 = (uint8_t)u; break;
	case ONCE_WIDE_QUORUM: c->policy.wide_quorum = (unsigned)u; break;
	case ONCE_AUDITORS: c->policy.auditors = (unsigned)u; break;
	default: c->policy.protected_votes = u != 0; break;
	}
	return 0;
}

static int
parse_line(struct parser *p, struct charter *c, char *line)
{
	char *w[CHARTER_WORDS_MAX];
	uint64_t u;
	int nw;

	if ((nw = lp_split(line, w, (int)ARRAY_LEN(w))) < 0) {
		/* Only a member line may be long; say what is too many. */
		if (strcmp(w[0], "member") == 0 && name_ok(w[1]))
			return lp_error(&p->lp, "too many prefixes for member '%s' (at most %d)", w[1],
			    CHARTER_MEMBER_PREFIXES_MAX);
		return lp_error(&p->lp, "too many words on this line");
	}
	if (nw == 0)
		return 0;
	const char *k = w[0];
	if (strcmp(k, "coalition") == 0) {
		if (lp_want(&p->lp, nw, 2, "coalition NAME") != 0)
			return -1;
		if (!name_ok(w[1]))
			return lp_error(&p->lp, "bad coalition name '%s', expected 1 to %d letters, digits, '-' or '_'",
			    w[1], CHARTER_NAME_MAX - 1);
		if (once(p, ONCE_COALITION, "coalition") != 0)
			return -1;
		strlcpy_ok(c->name, w[1], sizeof(c->name));
	} else if (strcmp(k, "version") == 0) {
		if (lp_want(&p->lp, nw, 2, "version N") != 0)
			return -1;
		if (uint_parse(w[1], 1, CHARTER_VERSION_MAX, &u) != 0)
			return lp_error(&p->lp, "bad version '%s', expected a number from 1 to %llu", w[1],
			    (unsigned long long)CHARTER_VERSION_MAX);
		if (once(p, ONCE_VERSION, "version") != 0)
			return -1;
		c->version = u;
	} else if (strcmp(k, "threshold") == 0) {
		return parse_threshold(p, c, w, nw);
	} else if (strcmp(k, "commit_period") == 0) {
		int64_t d;
		if (lp_want(&p->lp, nw, 2, "commit_period DURATION") != 0)
			return -1;
		if (duration_parse(w[1], &d) != 0 || d < 1 || d > CHARTER_COMMIT_PERIOD_MAX)
			return lp_error(&p->lp, "bad commit_period '%s', expected a duration from 1s to 1h",
			    w[1]);
		if (once(p, ONCE_COMMIT_PERIOD, "commit_period") != 0)
			return -1;
		c->policy.commit_period = (uint32_t)d;
	} else if (strcmp(k, "replicas") == 0) {
		if (lp_want(&p->lp, nw, 2, "replicas N") != 0)
			return -1;
		if (uint_parse(w[1], 1, 5, &u) != 0)
			return lp_error(&p->lp, "bad replicas '%s', expected 1 to 5 (copies of the "
			    "stream in the NATS cluster)", w[1]);
		if (once(p, ONCE_REPLICAS, "replicas") != 0)
			return -1;
		c->policy.replicas = (unsigned)u;
	} else if (strcmp(k, "nats") == 0) {
		return parse_nats(p, c, w, nw);
	} else if (strcmp(k, "member") == 0) {
		return parse_member(p, c, w, nw);
	} else if (strcmp(k, "revoked") == 0) {
		return parse_revoked(p, c, w, nw);
	} else if (strcmp(k, "response") == 0) {
		return parse_response(p, c, w, nw);
	} else if (strcmp(k, "quorum_window") == 0) {
		if (lp_want(&p->lp, nw, 2, "quorum_window DURATION") != 0 ||
		    parse_duration_arg(p, "quorum_window", w[1], &c->policy.quorum_window) != 0 ||
		    once(p, ONCE_QUORUM_WINDOW, "quorum_window") != 0)
			return -1;
	} else if (strcmp(k, "rate") == 0) {
		if (lp_want(&p->lp, nw, 2, "rate N/min") != 0 || parse_rate(p, c, w[1]) != 0 ||
		    once(p, ONCE_RATE, "rate") != 0)
			return -1;
	} else if (strcmp(k, "max_prefix4") == 0) {
		if (lp_want(&p->lp, nw, 2, "max_prefix4 N") != 0)
			return -1;
		if (uint_parse(w[1], MAX_PREFIX4_MIN, 32, &u) != 0)
			return lp_error(&p->lp, "bad max_prefix4 '%s', expected %d..32", w[1], MAX_PREFIX4_MIN);
		if (once(p, ONCE_MAX_PREFIX4, "max_prefix4") != 0)
			return -1;
		c->policy.max_prefix4 = (uint8_t)u;
	} else if (strcmp(k, "max_prefix6") == 0) {
		if (lp_want(&p->lp, nw, 2, "max_prefix6 N") != 0)
			return -1;
		if (uint_parse(w[1], MAX_PREFIX6_MIN, 128, &u) != 0)
			return lp_error(&p->lp, "bad max_prefix6 '%s', expected %d..128", w[1], MAX_PREFIX6_MIN);
		if (once(p, ONCE_MAX_PREFIX6, "max_prefix6") != 0)
			return -1;
		c->policy.max_prefix6 = (uint8_t)u;
	} else if (strcmp(k, "ttl_max") == 0) {
		if (lp_want(&p->lp, nw, 2, "ttl_max DURATION") != 0 ||
		    parse_duration_arg(p, "ttl_max", w[1], &c->policy.ttl_max) != 0 ||
		    once(p, ONCE_TTL_MAX, "ttl_max") != 0)
			return -1;
	} else if (strcmp(k, "allow_special") == 0) {
		if (lp_want(&p->lp, nw, 2, "allow_special yes|no") != 0)
			return -1;
		if (strcmp(w[1], "yes") == 0)
			c->policy.allow_special = true;
		else if (strcmp(w[1], "no") == 0)
			c->policy.allow_special = false;
		else
			return lp_error(&p->lp, "bad allow_special '%s', expected yes or no", w[1]);
		if (once(p, ONCE_ALLOW_SPECIAL, "allow_special") != 0)
			return -1;
	} else if (strncmp(k, "budget_", 7) == 0 || strncmp(k, "wide_", 5) == 0 ||
	    strcmp(k, "protected_votes") == 0 || strcmp(k, "auditors") == 0) {
		return parse_budget(p, c, w, nw);
	} else
		return lp_error(&p->lp, "unknown directive '%s', expected one of coalition, version, "
		    "threshold, nats, member, revoked, response, quorum_window, rate, max_prefix4, "
		    "max_prefix6, ttl_max, allow_special, commit_period, replicas, budget_bans, "
		    "budget_addresses4, budget_addresses6, budget_strikes, wide_prefix4, wide_prefix6, "
		    "wide_quorum, protected_votes, auditors", k);
	return 0;
}

static void
charter_defaults(struct charter *c)
{
	memset(c, 0, sizeof(*c));
	c->version = 1;
	c->threshold = 0;	/* majority */
	c->policy.response[ROLE_MEMBER] = (struct response_policy){ false, 0 };
	c->policy.response[ROLE_PROTECTED] = (struct response_policy){ false, 0 };
	c->policy.response[ROLE_OBSERVER] = (struct response_policy){ true, 0 };
	c->policy.quorum_window = 600;
	c->policy.rate_per_minute = 600;
	c->policy.max_prefix4 = 24;
	c->policy.max_prefix6 = 48;
	c->policy.ttl_max = 7 * 86400;
	c->policy.allow_special = false;
	c->policy.commit_period = COMMIT_PERIOD_DEFAULT;
	c->policy.replicas = 1;
	/* Budgets: far above what an honest member holds (a busy one bans a
	 * few thousand addresses a day), far below what a stolen key could
	 * push at the default rate (600 a minute, each up to a /24). */
	c->policy.budget_bans = BUDGET_BANS_DEFAULT;
	c->policy.budget_addresses4 = BUDGET_ADDR4_DEFAULT;
	c->policy.budget_addresses6 = BUDGET_ADDR6_DEFAULT;
	c->policy.budget_strikes = BUDGET_STRIKES_DEFAULT;
	c->policy.auditors = AUDITORS_DEFAULT;
	/* No prefix the default max_prefix allows is "wide": a charter that
	 * widens max_prefix4/6 must also move these for one member to act
	 * alone on the wider ones. */
	c->policy.wide_prefix4 = 24;
	c->policy.wide_prefix6 = 48;
	c->policy.wide_quorum = 2;
	c->policy.protected_votes = false;
}

/* A quorum larger than the number of members whose reports count (those not
 * revoked and whose role is not "never") would silently disable a role. */
static int
check_quorums(struct parser *p, const struct charter *c)
{
	unsigned voters = 0, inrole[3] = { 0, 0, 0 };

	for (size_t i = 0; i < c->nmembers; i++) {
		const struct charter_member *m = &c->members[i];
		if (m->revoked)
			continue;
		inrole[m->role]++;
		if (!c->policy.response[m->role].never)
			voters++;
	}
	for (int r = 0; r < 3; r++) {
		const struct response_policy *rp = &c->policy.response[r];
		if (rp->never || rp->quorum <= voters || inrole[r] == 0)
			continue;
		p->lp.line = p->once[ONCE_RESPONSE + r];
		return lp_error(&p->lp, "quorum %u for role %s can never be reached, expected at most %u "
		    "(the members not revoked whose reports count)", rp->quorum, role_names[r], voters);
	}
	/* The default (2) is left alone in a coalition of one: nothing there
	 * could corroborate a wide prefix anyway. */
	if (p->once[ONCE_WIDE_QUORUM] != 0 && c->policy.wide_quorum > voters) {
		p->lp.line = p->once[ONCE_WIDE_QUORUM];
		return lp_error(&p->lp, "wide_quorum %u can never be reached, expected at most %u "
		    "(the members not revoked whose reports count)", c->policy.wide_quorum, voters);
	}
	return 0;
}

/* A threshold above the voters would freeze the charter: no update could
 * ever gather enough signatures. */
static int
check_threshold(struct parser *p, const struct charter *c)
{
	unsigned voters = charter_voters(c);

	if (c->threshold == 0 || c->threshold <= voters)
		return 0;
	p->lp.line = p->once[ONCE_THRESHOLD];
	return lp_error(&p->lp, "threshold %u can never be reached, expected 1 to %u (the voting members: "
	    "not revoked, role member, or protected with protected_votes yes) or majority", c->threshold, voters);
}

int
charter_parse(const char *name, const char *text, size_t len, struct charter *c,
    char *err, size_t errlen)
{
	struct parser p = { .lp = { .name = name, .err = err, .errlen = errlen } };
	char line[CHARTER_LINE_MAX];
	size_t i = 0;

	charter_defaults(c);
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;

		p.lp.line++;
		if (n >= sizeof(line))
			return lp_error(&p.lp, "line too long (at most %d bytes)", CHARTER_LINE_MAX - 1);
		if (memchr(text + i, '\0', n) != NULL)
			return lp_error(&p.lp, "NUL byte in charter");
		memcpy(line, text + i, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (parse_line(&p, c, line) != 0)
			return -1;
		i += n + 1;
	}
	if (c->name[0] == '\0') {
		snprintf(err, errlen, "%s: no coalition line, expected 'coalition NAME'", name);
		return -1;
	}
	if (c->nmembers == 0) {
		snprintf(err, errlen, "%s: no member line, expected at least one "
		    "'member NAME KEY ROLE [PREFIX...]'", name);
		return -1;
	}
	if (check_quorums(&p, c) != 0)
		return -1;
	return check_threshold(&p, c);
}

int
charter_load(const char *path, struct charter *c, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	int rc;

	if (lp_read_file(path, CHARTER_FILE_MAX, &buf, &n, err, errlen) != 0)
		return -1;
	rc = charter_parse(path, buf, n, c, err, errlen);
	free(buf);
	return rc;
}

const char *
charter_in_force(const char *configured, const char *adopted, char *why, size_t whylen)
{
	struct charter *a = NULL, *c = NULL;
	const char *pick = configured;

	why[0] = '\0';
	if (adopted == NULL || adopted[0] == '\0' || access(adopted, F_OK) != 0)
		return configured;
	if ((a = malloc(sizeof(*a))) == NULL || (c = malloc(sizeof(*c))) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (charter_load(adopted, a, why, whylen) != 0)
		goto out;
	if (charter_load(configured, c, why, whylen) != 0) {
		why[0] = '\0';		/* the caller reports the configured file's error */
		goto out;
	}
	if (strcmp(a->name, c->name) != 0)
		snprintf(why, whylen, "%s: coalition %s, not %s", adopted, a->name, c->name);
	else if (a->version > c->version)
		pick = adopted;
out:
	free(a);
	free(c);
	return pick;
}

int
charter_load_hash(const char *path, struct charter *c, uint8_t hash[CHARTER_HASH_BYTES],
    char *err, size_t errlen)
{
	char *buf;
	size_t n;
	int rc;

	if (lp_read_file(path, CHARTER_FILE_MAX, &buf, &n, err, errlen) != 0)
		return -1;
	rc = charter_parse(path, buf, n, c, err, errlen);
	if (rc == 0)
		charter_hash(buf, n, hash);
	free(buf);
	return rc;
}

void
charter_hash(const void *text, size_t len, uint8_t out[CHARTER_HASH_BYTES])
{
	/* sodium_init only picks the fastest BLAKE2b; the hash is the same
	 * without it. */
	int ready = sodium_init();

	(void)ready;
	crypto_generichash(out, CHARTER_HASH_BYTES, text, len, NULL, 0);
}

int
charter_hash_file(const char *path, uint8_t out[CHARTER_HASH_BYTES], char *err, size_t errlen)
{
	char *buf;
	size_t n;

	if (lp_read_file(path, CHARTER_FILE_MAX, &buf, &n, err, errlen) != 0)
		return -1;
	charter_hash(buf, n, out);
	free(buf);
	return 0;
}

int
charter_write_file(const char *path, const void *buf, size_t n, char *err, size_t errlen)
{
	char real[PATH_MAX], dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX + 16];
	struct stat st;
	int fd, dfd, w;

	if (realpath(path, real) == NULL || stat(real, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	/* dirname and basename may modify their argument: each gets a copy. */
	strlcpy_ok(dir, real, sizeof(dir));
	strlcpy_ok(base, real, sizeof(base));
	w = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(dir), basename(base));
	if (w < 0 || (size_t)w >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file next to it: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, st.st_mode & 07777) != 0 || fd_write_all(fd, buf, n) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, real) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The rename itself survives a power cut only once the directory is
	 * synced; the file is in place either way, so a failure is no error. */
	strlcpy_ok(dir, real, sizeof(dir));
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

bool
charter_member_votes(const struct charter *c, const struct charter_member *m)
{
	if (m->revoked || m->role == ROLE_OBSERVER)
		return false;
	return m->role == ROLE_MEMBER || c->policy.protected_votes;
}

unsigned
charter_voters(const struct charter *c)
{
	unsigned n = 0;

	for (size_t i = 0; i < c->nmembers; i++)
		if (charter_member_votes(c, &c->members[i]))
			n++;
	return n;
}

unsigned
charter_threshold(const struct charter *c)
{
	return c->threshold != 0 ? c->threshold : charter_voters(c) / 2 + 1;
}

const struct charter_member *
charter_find_name(const struct charter *c, const char *name)
{
	for (size_t i = 0; i < c->nmembers; i++)
		if (strcmp(c->members[i].name, name) == 0)
			return &c->members[i];
	return NULL;
}

/* The ring is made of the members that commit (role member, not revoked):
 * only they can audit and be audited in turn, so that no member's K
 * auditors can all be observers. A protected partner or an observer is
 * not on the ring and, if it audits at all, audits every member. */
static bool
on_ring(const struct charter_member *m)
{
	return m->role == ROLE_MEMBER && !m->revoked;
}

bool
charter_audits(const struct charter *c, size_t auditor, size_t member)
{
	size_t n = 0, ra = 0, rm = 0;

	if (auditor == member || auditor >= c->nmembers || member >= c->nmembers)
		return false;
	if (c->policy.auditors == 0 || !on_ring(&c->members[auditor]) ||
	    !on_ring(&c->members[member]))
		return true;
	for (size_t i = 0; i < c->nmembers; i++) {
		if (!on_ring(&c->members[i]))
			continue;
		if (i == auditor)
			ra = n;
		if (i == member)
			rm = n;
		n++;
	}
	if (n < 2)
		return true;	/* impossible: both are on the ring */
	/* rm != ra, so the distance is 1..n-1 */
	return (rm + n - ra) % n <= c->policy.auditors;
}

const struct charter_member *
charter_find(const struct charter *c, const uint8_t pk[ID_PUBLIC_BYTES])
{
	for (size_t i = 0; i < c->nmembers; i++)
		if (memcmp(c->members[i].pk, pk, ID_PUBLIC_BYTES) == 0)
			return &c->members[i];
	return NULL;
}

const char *
charter_role_name(enum member_role r)
{
	if ((unsigned)r >= ARRAY_LEN(role_names))
		return "?";
	return role_names[r];
}
