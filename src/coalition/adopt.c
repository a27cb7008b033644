/* adopt.c - charter updates from the stream (docs/governance.md): checked
 * against the charter in force, written to the state directory, and put in
 * force with a new acceptance pipeline and audit. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coalition/audit.h"
#include "coalition/governance.h"
#include "coalition/evidence.h"
#include "coalition/state.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/journal.h"

/* Corroborations are counted by charter position: an update may reorder,
 * add or remove members, so the counts follow each member's key; those of
 * members no longer named go to the "other" count. */
static void
corroborations_carry(struct coalition *co, const struct charter *next)
{
	uint64_t moved[CHARTER_MEMBERS_MAX] = { 0 };

	for (size_t i = 0; i < co->charter->nmembers; i++) {
		const struct charter_member *m = charter_find(next, co->charter->members[i].pk);
		if (m != NULL)
			moved[m - next->members] += co->corroborations[i];
		else
			co->corroborations_other += co->corroborations[i];
	}
	memcpy(co->corroborations, moved, sizeof(moved));
}

/* Puts next (parsed from the adopted text) in force: a new acceptance
 * pipeline and audit built for it, chain positions, budgets and audit logs
 * reloaded from the ledger as at a start, members' sanctions carried over. The transport and this member's own chain
 * stay. 0, or -1 when this member is no longer an active member of next
 * (the coalition is then defunct: the daemon closes it). */
static int
adopt(struct coalition *co, struct charter *next, const uint8_t hash[CHARTER_HASH_BYTES])
{
	int self = -1;

	for (size_t i = 0; i < next->nmembers; i++)
		if (memcmp(next->members[i].pk, co->id.pk, ID_PUBLIC_BYTES) == 0)
			self = (int)i;
	if (self < 0 || next->members[self].revoked) {
		log_warnx("coalition: charter version %llu %s this member: leaving the coalition "
		    "(the local shield keeps working)", (unsigned long long)next->version,
		    self < 0 ? "no longer names" : "revokes");
		co->defunct = true;
		free(next);
		return -1;
	}
	struct accept *acc = accept_new_floors(next, co->id.pk, co->allow, co->ttl_cap, &co->floors);
	struct audit *aud = audit_new(next, co->id.pk);
	if (acc == NULL || aud == NULL) {
		accept_free(acc);
		audit_free(aud);
		free(next);
		log_warnx("coalition: out of memory adopting a charter update; restart the daemon");
		return 0;
	}
	/* What the ledger does not hold (strikes, throttle, a quarantine seen
	 * here without a stored proof) goes over from the pipeline it replaces:
	 * an adopted charter lifts no member's sanction. */
	accept_carry_sanctions(acc, co->accept);
	corroborations_carry(co, next);
	accept_free(co->accept);
	audit_free(co->audit);
	free(co->charter);
	co->charter = next;
	co->self = self;
	co->accept = acc;
	co->audit = aud;
	memcpy(co->charter_hash, hash, CHARTER_HASH_BYTES);
	memset(co->last_refusal_log, 0, sizeof(co->last_refusal_log));
	chain_table_reset(&co->chains, next, (size_t)self);
	chain_load_peers(&co->chains, co->ledger, co->accept);
	coalition_budgets_load(co);
	coalition_audit_seed(co);
	coalition_watch_commitments(co);	/* the members this one audits may have changed */
	return 0;
}

/* A charter update from the stream: adopted when gov_check says so against
 * the charter in force (threshold of its voting members, the next version,
 * the hash of the text in force). Written to the charter file first, so a
 * restart starts from it. */
void
coalition_charter_received(struct coalition *co, const struct transport_msg *msg)
{
	struct gov_update *u = NULL;
	struct gov_tally t;
	struct charter *next = NULL;
	uint8_t hash[CHARTER_HASH_BYTES];
	char why[512];
	int64_t now = now_sec();
	int v;

	if (gov_decode(msg->data, msg->len, &u, why, sizeof(why)) != 0)
		goto refused;
	if (strcmp(u->coalition, co->charter->name) == 0 && u->version <= co->charter->version) {
		/* Normal for a member that joined with a later charter, or an
		 * update seen again on a replay of the stream. */
		co->charters_old++;
		log_debug("coalition: charter update to version %llu: not newer than %llu",
		    (unsigned long long)u->version, (unsigned long long)co->charter->version);
		gov_free(u);
		return;
	}
	if ((next = calloc(1, sizeof(*next))) == NULL) {
		snprintf(why, sizeof(why), "out of memory");
		goto refused;
	}
	v = gov_check(co->charter, co->charter_hash, u, next, &t, why, sizeof(why));
	if (v != GOV_ADOPTABLE)
		goto refused;
	if (access(co->charter_path, F_OK) != 0) {
		/* charter_write_file replaces a file; the first adoption makes it */
		int fd = open(co->charter_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
		if (fd >= 0)
			close(fd);
	}
	if (charter_write_file(co->charter_path, u->text, u->len, why, sizeof(why)) != 0) {
		log_warnx("coalition: charter update to version %llu is valid but cannot be written: "
		    "%s; keeping version %llu", (unsigned long long)u->version, why,
		    (unsigned long long)co->charter->version);
		goto out;
	}
	charter_hash(u->text, u->len, hash);
	log_info("coalition: charter version %llu adopted (%u of %u required signatures), "
	    "written to %s", (unsigned long long)u->version, t.counted, t.required, co->charter_path);
	co->charters_adopted++;
	if (journal_charter(co->journal, now, msg->data, msg->len) != 0)
		log_warnx("%s", journal_errmsg(co->journal));
	adopt(co, next, hash);
	next = NULL;
	goto out;
refused:
	co->charters_refused++;
	if (now - co->last_charter_log >= 10) {
		co->last_charter_log = now;
		log_warnx("coalition: charter update%s refused (subject of %s): %s",
		    u ? "" : " (undecodable)", msg->reporter ? msg->reporter : "?", why);
	}
out:
	free(next);
	gov_free(u);
}
