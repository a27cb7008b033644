/* proof.c - equivocation proofs on the stream (docs/protocol.md "Proofs"):
 * a fork found here is proven from the message kept at its number and
 * published for the members that saw only one of the two, and a proof
 * received quarantines its reporter here. */
#include <stdio.h>
#include <string.h>

#include "coalition/evidence.h"
#include "coalition/identity.h"
#include "coalition/state.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

/* Gossips a proof found here, so that members which saw only one of the two
 * envelopes quarantine the reporter too. Published once per finder: the
 * message id names the finder, the reporter and the number. */
void
coalition_proof_publish(struct coalition *co, const uint8_t reporter[ID_PUBLIC_BYTES], uint64_t seq,
    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	static uint8_t buf[WIRE_PROOF_MAX];
	char msgid[WIRE_MSGID_MAX + 48], rhex[ID_TOKEN_TEXT];
	size_t len = wire_proof_encode(seq, a, alen, b, blen, buf, sizeof(buf));

	if (len == 0 || co->tr == NULL)
		return;
	identity_token(reporter, rhex);
	snprintf(msgid, sizeof(msgid), "%s-p%s-%llu", co->self_hex, rhex, (unsigned long long)seq);
	if (transport_publish(co->tr, buf, len, msgid) != 0) {
		co->publish_errors++;
		log_warnx("coalition: publishing the proof against %s failed: %s; it stays in the ledger",
		    rhex, transport_errmsg(co->tr));
		return;
	}
	co->proofs_sent++;
}

int
coalition_fork_proof(struct coalition *co, const uint8_t reporter[ID_PUBLIC_BYTES], uint64_t seq,
    const uint8_t *msg, size_t len, int64_t now)
{
	static uint8_t other[WIRE_ENVELOPE_MAX];
	struct journal_proof pr;
	char why[160];
	size_t olen = 0;

	int found = ledger_envelope_find(co->ledger, reporter, seq, other, sizeof(other), &olen);
	if (found < 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (found != 1 || (olen == len && memcmp(other, msg, len) == 0))
		return 0;
	/* Checked before it is stored: the ledger's proofs are what a restart
	 * quarantines from, and what `article5 evidence` exports. */
	if (journal_proof_check(other, olen, msg, len, seq, &pr, why, sizeof(why)) != 0) {
		log_warnx("coalition: no proof of the fork at #%llu from the message kept: %s",
		    (unsigned long long)seq, why);
		return 0;
	}
	if (ledger_proof_put(co->ledger, reporter, seq, other, olen, msg, len, now) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (journal_proof(co->journal, now, seq, other, olen, msg, len) != 0)
		log_warnx("%s", journal_errmsg(co->journal));
	coalition_proof_publish(co, reporter, seq, other, olen, msg, len);
	return 1;
}

/* A proof from the stream: both messages must verify and hold different
 * links (reports or revocations) numbered alike by one member of this
 * coalition. A valid proof quarantines its reporter here as if the fork
 * had been seen here. */
void
coalition_proof_received(struct coalition *co, const struct transport_msg *msg)
{
	struct wire_proof p;
	struct journal_proof pr;
	uint8_t coalition[WIRE_COALITION_BYTES];
	char why[160];
	int64_t now = now_sec();

	if (wire_proof_decode(msg->data, msg->len, &p) != WIRE_OK) {
		snprintf(why, sizeof(why), "not a proof message");
		goto invalid;
	}
	/* Cheap refusals before the two signature checks: anyone who can
	 * publish can send proofs naming strangers, or again a member already
	 * quarantined on a stored proof (the usual case: every finder
	 * publishes one). */
	const uint8_t *signer = journal_proof_signer(p.a, p.alen);
	int named = signer ? coalition_member_index(co, signer) : -1;
	if (named < 0) {
		snprintf(why, sizeof(why), "the first envelope's signer is not in the charter");
		goto invalid;
	}
	const struct accept_member_stats *was = accept_stats(co->accept, (size_t)named);
	if (named != co->self && was != NULL && was->quarantined &&
	    ledger_proofs_count(co->ledger, signer) > 0) {
		co->proofs_known++;
		return;
	}
	if (journal_proof_check(p.a, p.alen, p.b, p.blen, p.seq, &pr, why, sizeof(why)) != 0)
		goto invalid;
	wire_coalition_id(co->charter->name, coalition);
	if (memcmp(coalition, pr.coalition, sizeof(coalition)) != 0) {
		snprintf(why, sizeof(why), "the envelopes are for another coalition");
		goto invalid;
	}
	int mi = coalition_member_index(co, pr.reporter);
	if (mi < 0) {
		snprintf(why, sizeof(why), "the reporter is not in the charter");
		goto invalid;
	}
	const char *who = co->charter->members[mi].name;
	if (mi == co->self) {
		/* Only a lost or restored ledger makes this member reuse a number. */
		log_warnx("coalition: a proof on the stream shows THIS member (%s) signed two reports "
		    "#%llu: was the ledger restored from an old copy?", who, (unsigned long long)p.seq);
		return;
	}
	if (ledger_proof_put(co->ledger, pr.reporter, p.seq, p.a, p.alen, p.b, p.blen, now) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (journal_proof(co->journal, now, p.seq, p.a, p.alen, p.b, p.blen) != 0)
		log_warnx("%s", journal_errmsg(co->journal));
	accept_quarantine(co->accept, pr.reporter);
	co->proofs_received++;
	log_warnx("coalition: proof on the stream (subject of %s): %s signed two different %s "
	    "#%llu: quarantined, proof kept", msg->reporter ? msg->reporter : "?", who,
	    pr.first.revocation || pr.second.revocation ? "links" : "reports",
	    (unsigned long long)p.seq);
	return;
invalid:
	/* Anyone who can publish can send these: counted, logged once per burst. */
	co->proofs_invalid++;
	if (now - co->last_proof_log >= 10) {
		co->last_proof_log = now;
		log_warnx("coalition: invalid proof refused (subject of %s): %s",
		    msg->reporter ? msg->reporter : "?", why);
	}
}
