/* verdict.c - the ban verdict: allowlist, a ban already in force,
 * escalation, observe mode, the ledger's row and the journal's entry, and
 * the enforcer record that carries the ban out (verdict.h). */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "policy/verdict.h"

int64_t
verdict_duration(int64_t base, uint32_t count, int64_t max, unsigned factor)
{
	int64_t t = base;

	for (uint32_t i = 1; i < count && t < max; i++)
		t *= factor;
	return t > max ? max : t;
}

uint32_t
verdict_ttl(int64_t expires, int64_t now)
{
	if (expires == 0)
		return 0;
	int64_t left = expires - now;
	return left < 1 ? 1 : left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

void
verdict_record(struct enf_record *rec, enum enf_op op, int group, const struct a5_prefix *p,
    uint32_t ttl)
{
	memset(rec, 0, sizeof(*rec));
	rec->op = (uint8_t)op;
	rec->group = (uint8_t)group;
	rec->ttl = ttl;
	rec->prefix = *p;
}

/* A coalition ban ends at its deadline to the millisecond: every member
 * computes the same deadline, and the audit compares kernel sets at
 * half a period past deadlines. A timeout in whole seconds from a clock in
 * whole seconds let an element outlive its deadline by up to a second,
 * which a 2 s period cannot absorb. The enforcer commits within the same
 * loop iteration, milliseconds later. */
void
verdict_record_until(struct enf_record *rec, const struct a5_prefix *p, int64_t deadline)
{
	int64_t left = deadline * 1000 - now_usec() / 1000;

	if (left < 1)
		left = 1;
	if (left > (int64_t)UINT32_MAX * 1000)
		left = (int64_t)UINT32_MAX * 1000;
	memset(rec, 0, sizeof(*rec));
	rec->op = ENF_ADD;
	rec->group = ENF_GROUP_COALITION;
	rec->ttl = (uint32_t)(left / 1000);
	rec->ttl_ms = (uint16_t)(left % 1000);
	rec->prefix = *p;
}

int
verdict_from_detection(const struct prefixlist *allow, const struct det_result *r,
    const char *service, const char *rule, int64_t bantime, struct ban_request *out)
{
	memset(out, 0, sizeof(*out));
	/* An IPv6 form of an allowlisted IPv4 client (NAT64, 6to4, Teredo)
	 * is that client: not banned either. */
	if (!prefix_equal(&r->offender, &r->prefix) && prefixlist_overlaps(allow, &r->offender)) {
		char text[A5_PREFIX_STRLEN], v4[A5_PREFIX_STRLEN];
		prefix_format(&r->prefix, text, sizeof(text));
		prefix_format(&r->offender, v4, sizeof(v4));
		log_info("%s stands for %s, which overlaps the allowlist; not banned", text, v4);
		return -1;
	}
	out->prefix = r->prefix;
	/* The aggregate of an IPv6 attacker may hold this host's own addresses
	 * (an attacker in our /64): ban the address alone then. */
	if (!prefix_equal(&r->prefix, &r->addr) && prefixlist_overlaps(allow, &r->prefix) &&
	    !prefixlist_overlaps(allow, &r->addr))
		out->prefix = r->addr;
	out->service = service;
	out->rule = rule;
	out->reason = "maxretry";
	out->evidence = r->evidence;
	out->first_seen = r->first_seen;
	out->last_seen = r->last_seen;
	out->base = bantime;
	out->duration = 0;
	return 0;
}

void
verdict_ban(const struct verdict_env *env, const struct ban_request *req, struct verdict *out,
    char *err, size_t errlen)
{
	const struct a5_prefix *p = &req->prefix;
	struct ledger_ban old;
	char text[A5_PREFIX_STRLEN], dur[32];
	int64_t now = now_sec(), duration = req->duration;

	memset(out, 0, sizeof(*out));
	out->count = 1;
	prefix_format(p, text, sizeof(text));
	if (prefixlist_overlaps(env->allow, p)) {
		out->outcome = VERDICT_REFUSED;
		snprintf(err, errlen, "%s overlaps the allowlist (or this host's addresses); not banned", text);
		log_info("%s", err);
		return;
	}
	if (env->observe)
		out->count = 0;	/* no escalation history for dry runs */
	/* An offender already banned keeps its ban: lines logged before the
	 * kernel dropped its packets must not escalate it again. */
	if (duration == 0 && ledger_ban_get(env->ledger, p, &old) == 1 &&
	    (old.expires == 0 || old.expires > now)) {
		out->outcome = VERDICT_HELD;
		return;
	}
	/* Decisions, not raw reports (docs/scale.md): a detection of a prefix
	 * the coalition bans already corroborates the first report, which
	 * wins; re-publishing it would cost every member a delivery and a
	 * verification for nothing. */
	int64_t deadline = 0;
	bool coalition_holds = ledger_cban_get(env->ledger, p, &deadline) == 1 && deadline > now;
	if (duration == 0 && coalition_holds) {
		out->outcome = VERDICT_CORROBORATED;
		return;
	}
	if (duration == 0) {
		if (!env->observe && ledger_offender_bump(env->ledger, p, now, 0, &out->count) != 0) {
			out->ledger_errors++;
			log_warnx("ledger: %s", ledger_errmsg(env->ledger));
		}
		duration = verdict_duration(req->base, out->count, env->bantime_max, env->bantime_factor);
	}
	struct ledger_ban *b = &out->ban;
	b->prefix = *p;
	strlcpy_ok(b->service, req->service, sizeof(b->service));
	strlcpy_ok(b->rule, req->rule, sizeof(b->rule));
	strlcpy_ok(b->reason, req->reason, sizeof(b->reason));
	strlcpy_ok(b->origin, "local", sizeof(b->origin));
	b->evidence = req->evidence;
	b->first_seen = req->first_seen;
	b->last_seen = req->last_seen;
	b->created = now;
	b->expires = now + duration;
	duration_format(duration, dur, sizeof(dur));
	if (env->observe) {
		/* A dry run records nothing: a later switch to enforce mode must
		 * not turn its decisions into real bans. */
		out->outcome = VERDICT_OBSERVED;
		log_info("would ban %s: %s (%s/%s, %u failures)", text, dur, req->service, req->rule,
		    req->evidence);
		return;
	}
	if (ledger_ban_put(env->ledger, b) != 0) {
		out->ledger_errors++;
		log_warnx("ledger: %s", ledger_errmsg(env->ledger));
	}
	char why[2 * LEDGER_NAME_MAX + 48] = "manual";
	if (strcmp(req->reason, "manual") != 0)
		snprintf(why, sizeof(why), "%s/%s %u failures", req->service, req->rule, req->evidence);
	if (journal_local(env->journal, now, "ban", p, duration, why) != 0) {
		out->ledger_errors++;
		log_warnx("%s", journal_errmsg(env->journal));
	}
	verdict_record(&out->rec, ENF_ADD, ENF_GROUP_LOCAL, p, (uint32_t)duration);
	out->outcome = VERDICT_BAN;
	/* Enforced here in any case (a local decision outlives a revocation);
	 * published only when it bans longer than the coalition already does. */
	out->publish = !coalition_holds || b->expires > deadline;
}
