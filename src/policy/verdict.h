/* verdict.h - the ban verdict: whether an offender named by the detector
 * or by an operator is banned here, for how long, and the enforcer record
 * that carries the ban out. The verdict writes the ledger and the journal
 * (its own record of the decision); it never calls the enforcer or the
 * coalition: the caller (daemon.c) queues the record and publishes.
 *
 * The path of a log line: sensor/ → rules/ → detector/ → policy/ (here)
 * → enforcer/ (through the privileged process, daemon/privsep.h). */
#ifndef A5_VERDICT_H
#define A5_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/prefixlist.h"
#include "detector/detector.h"
#include "enforcer/enforcer.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

/* What a verdict reads and writes. */
struct verdict_env {
	const struct prefixlist *allow;	/* configured + this host's addresses */
	struct ledger *ledger;		/* bans in force, escalation history */
	struct journal *journal;	/* on the ledger's connection */
	bool observe;			/* dry run: decide and log, record nothing */
	int64_t bantime_max;		/* escalation cap (seconds) */
	unsigned bantime_factor;	/* escalation: base * factor^(n-1) */
};

/* A ban asked for. The strings are copied into the ledger's row. */
struct ban_request {
	struct a5_prefix prefix;
	const char *service, *rule;
	const char *reason;		/* "maxretry" (detector) or "manual" */
	uint32_t evidence;		/* failures counted */
	int64_t first_seen, last_seen;
	int64_t base;			/* the service's bantime (seconds) */
	int64_t duration;		/* 0: base, escalated for a repeat
					 * offender; else exactly this (manual) */
};

enum verdict_outcome {
	VERDICT_REFUSED,	/* the allowlist covers the prefix (err says so) */
	VERDICT_HELD,		/* already banned: the ban in force stays as it is */
	VERDICT_CORROBORATED,	/* a coalition ban in force holds the prefix already:
				 * first report wins; nothing recorded, enforced or
				 * published, the caller counts the corroboration */
	VERDICT_OBSERVED,	/* observe mode: "would ban" logged, nothing recorded */
	VERDICT_BAN,		/* recorded: queue rec, publish ban */
};

struct verdict {
	enum verdict_outcome outcome;
	struct enf_record rec;		/* VERDICT_BAN: for the local sets */
	struct ledger_ban ban;		/* VERDICT_BAN: the row written */
	bool publish;			/* VERDICT_BAN: news for the coalition. False
					 * when its ban of the prefix in force lasts
					 * at least as long (a manual ban of a prefix
					 * another member reported): a decision, not
					 * a raw report, is what gets published */
	uint32_t count;			/* the offender's bans, this one included
					 * (1 for a manual ban, 0 in observe mode) */
	unsigned ledger_errors;		/* ledger or journal writes that failed
					 * (each logged) */
};

/* The ban request for a full window of the detector (r->ban set), or -1
 * when the client is allowlisted under another form (an IPv6 form of an
 * allowlisted IPv4 client: logged, not banned). An IPv6 aggregate that
 * holds an allowlisted address is narrowed to the attacker's address. */
int verdict_from_detection(const struct prefixlist *allow, const struct det_result *r,
    const char *service, const char *rule, int64_t bantime, struct ban_request *out);

/* Decides on req; for VERDICT_BAN the ban is in the ledger and the journal
 * when this returns. Refusals and observe-mode decisions are logged here;
 * err gets the refusal's reason. */
void verdict_ban(const struct verdict_env *env, const struct ban_request *req,
    struct verdict *out, char *err, size_t errlen);

/* Escalation: base * factor^(count-1), capped at max. */
int64_t verdict_duration(int64_t base, uint32_t count, int64_t max, unsigned factor);

/* The enforcer record for op on p in group, timeout ttl seconds (0: none). */
void verdict_record(struct enf_record *rec, enum enf_op op, int group,
    const struct a5_prefix *p, uint32_t ttl);

/* The coalition record that adds p until deadline (unix seconds), to the
 * millisecond from now. */
void verdict_record_until(struct enf_record *rec, const struct a5_prefix *p, int64_t deadline);

/* Seconds from now to expires, at least 1; 0 for expires 0 (never). */
uint32_t verdict_ttl(int64_t expires, int64_t now);

#endif
