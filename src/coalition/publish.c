/* publish.c - this member's bans out: queued as reports during a loop
 * iteration, signed and chained as one envelope into the ledger's outbox
 * (prepare), then published from the outbox once the ledger has them. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "coalition/accept.h"
#include "coalition/audit.h"
#include "coalition/state.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/ledger.h"

const char *
coalition_publish_refusal(const struct coalition *co, const struct a5_prefix *p)
{
	/* The charter's part of the receivers' scope check, the very function
	 * they call (their own allowlists are theirs alone to know). */
	switch (accept_charter_scope(co->accept, p)) {
	case ACC_OK:
		return NULL;
	case ACC_TOO_WIDE:
		return "too-wide: wider than the charter's max_prefix allows";
	case ACC_MEMBER_PREFIX:
		return "member-prefix: inside a coalition member's own addresses";
	case ACC_SPECIAL_RANGE:
		return "special-range: a special-purpose range (private, loopback, ...) "
		    "the charter does not allow";
	default:
		return "malformed: not a prefix the coalition takes";
	}
}

void
coalition_local_ban(struct coalition *co, const struct ledger_ban *b)
{
	struct wire_envelope *e = co->out;
	struct wire_report *r;
	uint64_t seq = co->chains.heads[co->self].seq;
	int64_t now = now_sec();

	if (seq == CHAIN_BROKEN || e->nreports >= WIRE_REPORTS_MAX)
		return;	/* the next iteration's envelope takes the rest */
	const char *refusal = coalition_publish_refusal(co, &b->prefix);
	if (refusal != NULL) {
		/* Every member would refuse it: publishing would only be
		 * counted against us. Enforced here all the same. */
		char text[A5_PREFIX_STRLEN];
		prefix_format(&b->prefix, text, sizeof(text));
		log_warnx("coalition: ban of %s kept local, not published: the members would refuse "
		    "it (%s)", text, refusal);
		co->bans_kept_local++;
		return;
	}
	r = &e->reports[e->nreports++];
	memset(r, 0, sizeof(*r));
	r->timestamp_us = (uint64_t)now_usec();
	r->prefix = b->prefix;
	strlcpy_ok(r->service, b->service, sizeof(r->service));
	strlcpy_ok(r->rule, b->rule, sizeof(r->rule));
	r->evidence = b->evidence;
	r->first_seen = (uint64_t)b->first_seen;
	r->last_seen = (uint64_t)b->last_seen;
	r->ttl = b->expires > now ? (uint32_t)(b->expires - now) : 1;
	r->seq = seq + e->nreports;	/* provisional, for the check; set again in prepare */
	if (!wire_report_valid(r)) {
		/* e.g. an IPv4-mapped prefix typed by hand: one such report must
		 * not make the encoder refuse the whole envelope */
		char text[A5_PREFIX_STRLEN];
		prefix_format(&b->prefix, text, sizeof(text));
		log_warnx("coalition: ban of %s cannot be reported (not a valid report); kept local", text);
		e->nreports--;
	}
}

void
coalition_corroborated(struct coalition *co, const char *member)
{
	if (member == NULL) {
		co->corroborations[co->self]++;
		return;
	}
	/* by name: the charter the report came under may have been replaced
	 * since (a linear scan, at most CHARTER_MEMBERS_MAX short strings, on
	 * a path that already cost a ledger statement) */
	const struct charter_member *m = charter_find_name(co->charter, member);
	if (m != NULL)
		co->corroborations[m - co->charter->members]++;
	else
		co->corroborations_other++;
}

void
coalition_local_unban(struct coalition *co, const struct a5_prefix *p, int64_t until)
{
	accept_local_unban(co->accept, p, until);
	/* Whether this member reported p is looked up at prepare, after the
	 * bans of the same iteration have been recorded. */
	if (co->nrevokes < COALITION_REVOKES_MAX)
		co->revokes[co->nrevokes++] = *p;
	else
		log_warnx("coalition: too many unbans at once; this one is not revoked at the others");
}


/* One revocation of this member's last report of p, if it has one in
 * force: the next link of its chain, into the outbox like an envelope. */
static void
revoke_prepare(struct coalition *co, const struct a5_prefix *p, int64_t now)
{
	static uint8_t buf[WIRE_REVOKE_MAX];
	struct wire_revocation v;
	struct ledger_corigin o;
	const struct chain_head *own = &co->chains.heads[co->self];
	char msgid[WIRE_LINK_MSGID_MAX], text[A5_PREFIX_STRLEN];
	uint8_t hash[WIRE_HASH_BYTES];

	int found = ledger_corigin_get(co->ledger, p, co->id.pk, &o);
	if (found < 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	if (found != 1 || o.deadline <= now || own->seq == CHAIN_BROKEN)
		return;	/* not ours, or over already everywhere */
	memset(&v, 0, sizeof(v));
	wire_coalition_id(co->charter->name, v.coalition);
	memcpy(v.reporter, co->id.pk, ID_PUBLIC_BYTES);
	memcpy(v.origin, co->id.pk, ID_PUBLIC_BYTES);
	v.seq = own->seq + 1;
	memcpy(v.prev, own->hash, WIRE_HASH_BYTES);
	v.timestamp_us = (uint64_t)now_usec();
	v.revoked_seq = o.seq;
	memcpy(v.revoked_hash, o.hash, WIRE_HASH_BYTES);
	v.prefix = *p;
	prefix_format(p, text, sizeof(text));
	size_t len = wire_revocation_encode(&v, &co->id, buf, sizeof(buf));
	if (len == 0) {
		log_warnx("coalition: cannot encode the revocation of %s; not revoked", text);
		return;
	}
	wire_revocation_hash(&v, hash);
	wire_link_msgid(co->id.pk, "r", v.seq, buf, len, msgid, sizeof(msgid));
	co->outbox_walk = true;
	if (ledger_outbox_put(co->ledger, msgid, buf, len) != 0 ||
	    chain_save_own(&co->chains, co->ledger, v.seq, hash) != 0 ||
	    ledger_corigin_del(co->ledger, p, co->id.pk) < 0) {
		log_warnx("coalition: ledger: %s; revocation of %s not published",
		    ledger_errmsg(co->ledger), text);
		return;
	}
	/* Kept like our envelopes: evidence of what we signed at v.seq. */
	if (ledger_envelope_put(co->ledger, co->id.pk, v.seq, v.seq, now, buf, len) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	co->revokes_sent++;
	log_info("coalition: revoking our ban of %s (report #%llu) at the other members", text,
	    (unsigned long long)o.seq);
}

/* The queued local bans as one signed envelope, into the outbox. */
static void
prepare_envelope(struct coalition *co)
{
	struct wire_envelope *e = co->out;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	char msgid[WIRE_LINK_MSGID_MAX];
	const struct chain_head *own = &co->chains.heads[co->self];

	wire_coalition_id(co->charter->name, e->coalition);
	memcpy(e->reporter, co->id.pk, ID_PUBLIC_BYTES);
	uint64_t first = own->seq + 1;
	uint8_t head[WIRE_HASH_BYTES];
	memcpy(head, own->hash, sizeof(head));
	for (size_t i = 0; i < e->nreports; i++) {
		e->reports[i].seq = first + i;
		memcpy(e->reports[i].prev, head, sizeof(head));
		wire_report_hash(&e->reports[i], co->id.pk, head);
	}
	size_t len = wire_encode(e, &co->id, buf, sizeof(buf));
	if (len == 0) {
		log_warnx("coalition: cannot encode %zu reports; dropped", e->nreports);
		e->nreports = 0;
		return;
	}
	/* Chain head and outbox in the caller's transaction: after a crash the
	 * envelope is either fully recorded (and published at restart) or the
	 * sequence numbers were never used. */
	/* The id names the reporter, the first sequence number and a digest of
	 * the bytes: predictable ids would let another member publish first
	 * under ours and have JetStream drop our envelope as a duplicate. A
	 * retry sends the same bytes, so it still de-duplicates. */
	wire_link_msgid(co->id.pk, "", first, buf, len, msgid, sizeof(msgid));
	co->outbox_walk = true;
	if (ledger_outbox_put(co->ledger, msgid, buf, len) != 0 ||
	    chain_save_own(&co->chains, co->ledger, first + e->nreports - 1, head) != 0) {
		log_warnx("coalition: ledger: %s; %zu reports not published", ledger_errmsg(co->ledger),
		    e->nreports);
		e->nreports = 0;
		return;
	}
	/* Kept like the others' envelopes: evidence of what we signed, and
	 * what the audit's record of our own obligations is rebuilt from. */
	if (ledger_envelope_put(co->ledger, co->id.pk, first, first + e->nreports - 1, now_sec(),
	    buf, len) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	int64_t now = now_sec();
	for (size_t i = 0; i < e->nreports; i++) {
		const struct wire_report *r = &e->reports[i];
		audit_report(co->audit, co->id.pk, r->seq, &r->prefix, (int64_t)r->timestamp_us,
		    r->ttl, now);
		/* What an unban of it will name in its revocation, until the
		 * deadline the receivers hold it to (audit_deadline, as accept
		 * computes it: capped by the charter's ttl_max, rounded up to
		 * the commit period; no local cap, theirs only shorten it). Not
		 * ts + ttl: a revocation in the last period would be skipped
		 * while the others still enforce the ban, and one past ttl_max
		 * would be signed for bans over everywhere. */
		struct ledger_corigin o = { .seq = r->seq,
		    .deadline = audit_deadline(co->charter, (int64_t)(r->timestamp_us / 1000000), r->ttl,
		    0) };
		wire_report_hash(r, co->id.pk, o.hash);
		if (ledger_corigin_put(co->ledger, &r->prefix, co->id.pk, &o) != 0)
			log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	}
	e->nreports = 0;
}

void
coalition_prepare(struct coalition *co)
{
	if (co->out->nreports > 0)
		prepare_envelope(co);
	/* After the bans: a ban and its unban in one iteration are published
	 * and revoked in that order. */
	for (size_t i = 0; i < co->nrevokes; i++)
		revoke_prepare(co, &co->revokes[i], now_sec());
	co->nrevokes = 0;
}

bool
coalition_nothing_to_sign(const struct coalition *co)
{
	return co->out->nreports == 0 && co->nrevokes == 0;
}

static bool
inflight_has(const struct coalition *co, const char *msgid)
{
	for (size_t i = 0; i < co->ninflight; i++)
		if (strcmp(co->inflight[i], msgid) == 0)
			return true;
	return false;
}

/* false: not an outbox envelope (none since commitments went to core
 * NATS, docs/transport.md "Commitments") */
static bool
inflight_drop(struct coalition *co, const char *msgid)
{
	for (size_t i = 0; i < co->ninflight; i++)
		if (strcmp(co->inflight[i], msgid) == 0) {
			co->ninflight--;
			if (i != co->ninflight)
				memcpy(co->inflight[i], co->inflight[co->ninflight], sizeof(co->inflight[i]));
			return true;
		}
	return false;
}

/* Hands one outbox envelope to libnats without waiting for the stream:
 * a publish waited for blocked the whole loop (bans, reports, the control
 * socket) for as long as JetStream took to answer, seconds under load.
 * Envelopes go out in outbox order on one connection, so the stream stores
 * them in chain order; one that fails is sent again (same message id, so
 * the stream drops a copy it already has), and a member that saw the next
 * link first counts it late. */
static int
publish_one(const char *msgid, const void *data, size_t len, void *arg)
{
	struct coalition *co = arg;

	if (inflight_has(co, msgid))
		return 0;
	int rc = co->ninflight >= TRANSPORT_PUB_INFLIGHT ? 1 :
	    transport_publish_async(co->tr, data, len, msgid);
	if (rc != 0) {
		/* keep order: retry from here next time; a full window is
		 * re-armed by publish_collect when a publish finishes */
		if (rc < 0) {
			co->publish_errors++;
			co->outbox_walk = true;
		}
		return 1;
	}
	snprintf(co->inflight[co->ninflight++], sizeof(co->inflight[0]), "%s", msgid);
	return 0;
}

/* The outcomes of the publishes in flight: stored ones leave the outbox,
 * failed ones are sent again by the next coalition_publish. */
static void
publish_collect(struct coalition *co)
{
	static struct transport_pub_result res[64];
	char err[160];
	size_t n;

	while ((n = transport_publish_results(co->tr, res, 64, err, sizeof(err))) > 0) {
		co->outbox_walk = true;	/* a slot of the window is free again */
		for (size_t i = 0; i < n; i++) {
			bool outbox = inflight_drop(co, res[i].msgid);
			if (!res[i].ok) {
				co->publish_errors++;	/* an envelope is sent again */
				if (!outbox)
					continue;
				int64_t now = now_sec();
				if (now - co->last_publish_error_log >= 60) {
					log_warnx("coalition: %s; the envelope stays in the outbox and is "
					    "sent again", err);
					co->last_publish_error_log = now;
				}
				continue;
			}
			if (!outbox)
				continue;
			if (ledger_outbox_del(co->ledger, res[i].msgid) != 0)
				log_warnx("ledger: %s", ledger_errmsg(co->ledger));
			co->sent++;
		}
	}
}

void
coalition_publish(struct coalition *co)
{
	if (co->tr == NULL)
		return;
	publish_collect(co);
	/* While NATS is unreachable the outbox keeps the envelopes. */
	if (!transport_connected(co->tr) || !co->outbox_walk)
		return;
	co->outbox_walk = false;
	ledger_outbox_each(co->ledger, publish_one, co);
}
