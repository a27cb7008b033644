/* charter.h - the coalition file every member shares: name, NATS servers,
 * members (name, key, role, own prefixes) and the policy. */
#ifndef A5_CHARTER_H
#define A5_CHARTER_H

#include <stdbool.h>
#include <stdint.h>

#include "coalition/identity.h"
#include "common/prefixlist.h"

#define CHARTER_MEMBERS_MAX 256
#define CHARTER_NAME_MAX 48
#define CHARTER_URLS_MAX 8
#define CHARTER_MEMBER_PREFIXES_MAX 32
/* Largest K in "response ROLE quorum K": the receiver keeps the K most
 * recent distinct reporters per prefix, so K bounds that memory. */
#define CHARTER_QUORUM_MAX 16
/* Largest charter text, in a file or in a charter update (governance.h). */
#define CHARTER_FILE_MAX (1024 * 1024)
#define CHARTER_HASH_BYTES 32		/* The charter in force of two copies: the configured one, and the one the
 * daemon adopted from the stream (may not exist). The adopted copy wins
 * when it parses, names the same coalition and has a higher version: the
 * administrator's file wins again once it is as new. Returns one of the
 * two paths; *why says why the adopted copy was passed over, if it was
 * there ("" otherwise). */
const char *charter_in_force(const char *configured, const char *adopted, char *why,
    size_t whylen);
/* BLAKE2b-256 of a charter's exact bytes */
/* "version N": at most 2^53, so that it survives any JSON reader. */
#define CHARTER_VERSION_MAX (UINT64_C(1) << 53)
#define CHARTER_COMMIT_PERIOD_MAX 3600	/* seconds */

enum member_role { ROLE_MEMBER, ROLE_PROTECTED, ROLE_OBSERVER };

struct charter_member {
	char name[CHARTER_NAME_MAX];
	uint8_t pk[ID_PUBLIC_BYTES];
	enum member_role role;
	bool revoked;
	size_t nprefixes;
	struct a5_prefix prefixes[CHARTER_MEMBER_PREFIXES_MAX];
};

/* How a receiver responds to reports of one role. */
struct response_policy {
	bool never;		/* never enforced on its own (observers' default) */
	unsigned quorum;	/* 0/1 = immediate; K = K distinct members within window */
};

struct charter_policy {
	struct response_policy response[3];	/* indexed by enum member_role */
	uint32_t quorum_window;			/* seconds */
	uint32_t rate_per_minute;		/* reports per member */
	uint8_t max_prefix4, max_prefix6;	/* widest allowed: smallest length */
	uint32_t ttl_max;			/* seconds */
	bool allow_special;			/* special-purpose ranges may be reported */
	uint32_t commit_period;			/* seconds between signed commitments */
	unsigned replicas;			/* copies of the stream in a NATS cluster, 1..5 */
	/* Budgets per member (docs/charter.md "Budgets"): its bans in force
	 * here, the IPv4 addresses and the IPv6 /64s they cover. A report
	 * past one is refused; past budget_strikes such refusals the member
	 * is quarantined. */
	uint32_t budget_bans;
	uint64_t budget_addresses4;
	uint8_t budget_addresses6;		/* as the size of one /LEN, counted in /64s */
	uint32_t budget_strikes;
	/* Prefixes wider than these lengths need wide_quorum distinct members. */
	uint8_t wide_prefix4, wide_prefix6;
	unsigned wide_quorum;
	bool protected_votes;			/* protected partners vote on updates */
	/* Members that audit each member's commitments (charter_audits),
	 * default 8; 0 (only in code): all. Bounds what a member verifies per
	 * period at `auditors` commitments, not N-1. */
	unsigned auditors;
};

struct charter {
	char name[CHARTER_NAME_MAX];
	uint64_t version;		/* 1.. ; an update carries version + 1 */
	unsigned threshold;		/* signatures an update needs; 0 = majority */
	size_t nurls;
	char urls[CHARTER_URLS_MAX][256];
	size_t nmembers;
	struct charter_member members[CHARTER_MEMBERS_MAX];
	struct charter_policy policy;
};

/* Parses a charter file (same line syntax as the configuration; errors as
 * FILE:LINE: what, expected what). Fills every default first (docs/charter.md).
 * 0, or -1 with err filled and *c unspecified. */
int charter_load(const char *path, struct charter *c, char *err, size_t errlen);
int charter_parse(const char *name, const char *text, size_t len, struct charter *c,
    char *err, size_t errlen);
/* Parses path and hashes the very bytes it parsed (no window in which the
 * file could change between the two). 0, or -1 with err filled. */
int charter_load_hash(const char *path, struct charter *c, uint8_t hash[CHARTER_HASH_BYTES],
    char *err, size_t errlen);
/* The charter in force of two copies: the configured one, and the one the
 * daemon adopted from the stream (may not exist). The adopted copy wins
 * when it parses, names the same coalition and has a higher version: the
 * administrator's file wins again once it is as new. Returns one of the
 * two paths; *why says why the adopted copy was passed over, if it was
 * there ("" otherwise). */
const char *charter_in_force(const char *configured, const char *adopted, char *why,
    size_t whylen);
/* BLAKE2b-256 of a charter's exact bytes: what a charter update names as
 * the text it replaces. The _file form: 0, or -1 with "PATH: why" in err. */
void charter_hash(const void *text, size_t len, uint8_t out[CHARTER_HASH_BYTES]);
int charter_hash_file(const char *path, uint8_t out[CHARTER_HASH_BYTES], char *err, size_t errlen);
/* Replaces the file at path by the n bytes of buf atomically: a temporary
 * file next to it, synced, renamed over it, the directory synced. A
 * symlink at path is followed (its target is replaced); the file keeps its
 * mode; path must exist and be a regular file. For an adopted charter
 * update: charter_write_file(path, u->text, u->len, ...). 0, or -1 with
 * "PATH: why" in err and the old file untouched. */
int charter_write_file(const char *path, const void *buf, size_t n, char *err, size_t errlen);

/* Members who vote on charter updates: not revoked, role member, or
 * protected when the charter says protected_votes yes (partners that
 * enforce nothing do not decide what the others enforce); observers never. */
unsigned charter_voters(const struct charter *c);
bool charter_member_votes(const struct charter *c, const struct charter_member *m);
/* Signatures of distinct voters an update needs: the charter's "threshold
 * K", or a majority of the voters (voters / 2 + 1). */
unsigned charter_threshold(const struct charter *c);
/* Member named name, or NULL. */
const struct charter_member *charter_find_name(const struct charter *c, const char *name);
/* Whether member `auditor` audits member `member`'s commitments: with
 * `auditors K`, the K members before it in charter order among those of
 * role member, not revoked (wrapping around); every other member when K
 * is 0, and for an auditor off that ring (protected, observer). */
bool charter_audits(const struct charter *c, size_t auditor, size_t member);
/* Member with this key, or NULL. */
const struct charter_member *charter_find(const struct charter *c, const uint8_t pk[ID_PUBLIC_BYTES]);
const char *charter_role_name(enum member_role r);

#endif
