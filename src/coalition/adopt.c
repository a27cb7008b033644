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
#include "coalition/state.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/journal.h"

/* Puts next (parsed from the adopted text) in force: a new acceptance
 * pipeline and audit built for it, chain positions and audit logs reloaded
 * from the ledger as at a start. The transport and this member's own chain
 * stay. 0, or -1 when this member is no longer an active member of next
 * (the alliance is then defunct: the daemon closes it). */
static int
adopt(struct alliance *al, struct charter *next, const uint8_t hash[CHARTER_HASH_BYTES])
{
	int self = -1;

	for (size_t i = 0; i < next->nmembers; i++)
		if (memcmp(next->members[i].pk, al->id.pk, ID_PUBLIC_BYTES) == 0)
			self = (int)i;
	if (self < 0 || next->members[self].revoked) {
		log_warnx("coalition: charter version %llu %s this member: leaving the coalition "
		    "(the local shield keeps working)", (unsigned long long)next->version,
		    self < 0 ? "no longer names" : "revokes");
		al->defunct = true;
		free(next);
		return -1;
	}
	struct accept *acc = accept_new(next, al->id.pk, al->allow, al->ttl_cap);
	struct audit *aud = audit_new(next, al->id.pk);
	if (acc == NULL || aud == NULL) {
		accept_free(acc);
		audit_free(aud);
		free(next);
		log_warnx("coalition: out of memory adopting a charter update; restart the daemon");
		return 0;
	}
	accept_free(al->accept);
	audit_free(al->audit);
	free(al->charter);
	al->charter = next;
	al->self = self;
	al->accept = acc;
	al->audit = aud;
	memcpy(al->charter_hash, hash, CHARTER_HASH_BYTES);
	memset(al->last_refusal_log, 0, sizeof(al->last_refusal_log));
	chain_table_reset(&al->chains, next, (size_t)self);
	chain_load_peers(&al->chains, al->ledger, al->accept);
	alliance_audit_seed(al);
	return 0;
}

/* A charter update from the stream: adopted when gov_check says so against
 * the charter in force (threshold of its voting members, the next version,
 * the hash of the text in force). Written to the charter file first, so a
 * restart starts from it. */
void
alliance_charter_received(struct alliance *al, const struct transport_msg *msg)
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
	if (strcmp(u->coalition, al->charter->name) == 0 && u->version <= al->charter->version) {
		/* Normal for a member that joined with a later charter, or an
		 * update seen again on a replay of the stream. */
		al->charters_old++;
		log_debug("coalition: charter update to version %llu: not newer than %llu",
		    (unsigned long long)u->version, (unsigned long long)al->charter->version);
		gov_free(u);
		return;
	}
	if ((next = calloc(1, sizeof(*next))) == NULL) {
		snprintf(why, sizeof(why), "out of memory");
		goto refused;
	}
	v = gov_check(al->charter, al->charter_hash, u, next, &t, why, sizeof(why));
	if (v != GOV_ADOPTABLE)
		goto refused;
	if (access(al->charter_path, F_OK) != 0) {
		/* charter_write_file replaces a file; the first adoption makes it */
		int fd = open(al->charter_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
		if (fd >= 0)
			close(fd);
	}
	if (charter_write_file(al->charter_path, u->text, u->len, why, sizeof(why)) != 0) {
		log_warnx("coalition: charter update to version %llu is valid but cannot be written: "
		    "%s; keeping version %llu", (unsigned long long)u->version, why,
		    (unsigned long long)al->charter->version);
		goto out;
	}
	charter_hash(u->text, u->len, hash);
	log_info("coalition: charter version %llu adopted (%u of %u required signatures), "
	    "written to %s", (unsigned long long)u->version, t.counted, t.required, al->charter_path);
	al->charters_adopted++;
	if (journal_charter(al->journal, now, msg->data, msg->len) != 0)
		log_warnx("%s", journal_errmsg(al->journal));
	adopt(al, next, hash);
	next = NULL;
	goto out;
refused:
	al->charters_refused++;
	if (now - al->last_charter_log >= 10) {
		al->last_charter_log = now;
		log_warnx("coalition: charter update%s refused (subject of %s): %s",
		    u ? "" : " (undecodable)", msg->reporter ? msg->reporter : "?", why);
	}
out:
	free(next);
	gov_free(u);
}
