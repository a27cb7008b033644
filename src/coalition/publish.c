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

int
coalition_scope_refusal(const struct coalition *co, const struct a5_prefix *p, char *why,
    size_t n)
{
	const struct charter_policy *pol = &co->charter->policy;
	enum accept_reason r = accept_charter_scope(co->accept, p);

	switch (r) {
	case ACC_OK:
		return 0;
	case ACC_TOO_WIDE:
		snprintf(why, n, "wider than the coalition charter allows (max_prefix /%u for IPv4, "
		    "/%u for IPv6)", pol->max_prefix4, pol->max_prefix6);
		break;
	case ACC_MEMBER_PREFIX:
		snprintf(why, n, "it overlaps a coalition member's own prefix (charter)");
		break;
	case ACC_SPECIAL_RANGE:
		snprintf(why, n, "it overlaps a special-purpose range the charter does not let "
		    "members report (allow_special)");
		break;
	default:
		snprintf(why, n, "the coalition would refuse it (%s)", accept_reason_name(r));
		break;
	}
	return -1;
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
coalition_local_unban(struct coalition *co, const struct a5_prefix *p, int64_t until)
{
	accept_local_unban(co->accept, p, until);
}

void
coalition_prepare(struct coalition *co)
{
	struct wire_envelope *e = co->out;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	char msgid[WIRE_MSGID_MAX + 24];
	const struct chain_head *own = &co->chains.heads[co->self];

	if (e->nreports == 0)
		return;
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
	uint8_t digest[8];
	char dhex[17];
	crypto_generichash(digest, sizeof(digest), buf, len, NULL, 0);
	sodium_bin2hex(dhex, sizeof(dhex), digest, sizeof(digest));
	wire_msgid(e, msgid, sizeof(msgid));
	size_t ml = strlen(msgid);
	snprintf(msgid + ml, sizeof(msgid) - ml, "-%s", dhex);
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
	for (size_t i = 0; i < e->nreports; i++)
		audit_report(co->audit, co->id.pk, e->reports[i].seq, &e->reports[i].prefix,
		    (int64_t)e->reports[i].timestamp_us, e->reports[i].ttl, now);
	e->nreports = 0;
}

static int
publish_one(const char *msgid, const void *data, size_t len, void *arg)
{
	struct coalition *co = arg;

	if (transport_publish(co->tr, data, len, msgid) != 0) {
		co->publish_errors++;
		return 1;	/* keep order: retry from here next time */
	}
	if (ledger_outbox_del(co->ledger, msgid) != 0)
		log_warnx("ledger: %s", ledger_errmsg(co->ledger));
	co->sent++;
	return 0;
}

void
coalition_publish(struct coalition *co)
{
	/* While NATS is unreachable the outbox keeps the envelopes: publishing
	 * would only block the loop on timeouts. */
	if (co->tr == NULL || !transport_connected(co->tr))
		return;
	ledger_outbox_each(co->ledger, publish_one, co);
}
