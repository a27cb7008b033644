/* alliance.c - coalition glue: local bans out as signed chained envelopes,
 * remote reports in through the acceptance pipeline. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coalition/accept.h"
#include "coalition/audit.h"
#include "coalition/charter.h"
#include "coalition/evidence.h"
#include "coalition/governance.h"
#include "coalition/identity.h"
#include "coalition/transport.h"
#include "coalition/wire.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/alliance.h"
#include "ledger/journal.h"

/* Envelopes taken from the transport per loop iteration: 64 x 256 reports
 * stays well under the enforcer's queue (ENF_QUEUE_MAX), leaving room for
 * the local bans of the same iteration. */
#define RECEIVE_BATCH 64
/* Envelopes kept as evidence this long. */
#define ENVELOPE_KEEP_SECS (8 * 86400)
/* Missing sequence numbers kept per member across restarts (each at most
 * 20 digits and a comma: they fit a ledger state value). */
#define GAPS_SAVED 48
/* Reconnection attempts while the first connect has not succeeded. */
#define CONNECT_RETRY_SECS 10
/* Redelivery of reports not acknowledged (a crash between delivery and ack). */
#define ACK_WAIT_MS 5000

struct alliance {
	struct charter *charter;
	struct identity id;
	int self;			/* index in the charter */
	struct accept *accept;
	struct transport *tr;
	struct ledger *ledger;
	struct journal *journal;	/* on the ledger's connection */
	char self_hex[17];
	char durable[64];
	int64_t next_connect;		/* while tr is NULL: when to try again */
	int64_t next_expire;		/* next pruning of stored envelopes */
	/* own chain */
	uint64_t seq;
	uint8_t head[WIRE_HASH_BYTES];
	struct wire_envelope *out;	/* local bans of this iteration */
	/* received, to ack after the caller's commit */
	struct transport_msg pending[RECEIVE_BATCH];
	size_t npending;
	uint64_t sent, publish_errors, outbox_len;
	/* a refusal is logged once per burst: per member, and once for all
	 * senders that are not members (anyone who can publish could flood) */
	int64_t last_refusal_log[CHARTER_MEMBERS_MAX];
	int64_t last_stranger_log;
	uint64_t invalid_envelopes;	/* undecodable or badly signed: no sender to charge */
	/* commitments (docs/commitment.md) */
	struct audit *audit;
	struct wire_commitment *commit;	/* this member's, built each period */
	uint32_t ttl_cap;		/* local bantime_max, declared in commitments */
	uint64_t commit_seq, commits_sent, commits_skipped;
	uint64_t invalid_commitments, declines_made;
	uint64_t heads[CHARTER_MEMBERS_MAX];
	/* equivocation proofs on the stream (docs/protocol.md "Proofs") */
	uint64_t proofs_sent, proofs_received, proofs_known, proofs_invalid;
	int64_t last_proof_log;
	/* charter updates on the stream (docs/governance.md) */
	char charter_path[PATH_MAX];
	uint8_t charter_hash[CHARTER_HASH_BYTES];
	const struct prefixlist *allow;
	char nats_creds[PATH_MAX], nats_tls_ca[PATH_MAX];
	uint64_t charters_adopted, charters_refused, charters_old;
	int64_t last_charter_log;
	bool defunct;			/* the charter in force no longer names this member */
	bool gaps_saved[CHARTER_MEMBERS_MAX];	/* a "gaps:" state key holds numbers */
};

static int member_index(const struct alliance *al, const uint8_t pk[ID_PUBLIC_BYTES]);

static int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t bin_len;

	if (strlen(s) != 2 * n || sodium_hex2bin(out, n, s, 2 * n, NULL, &bin_len, NULL) != 0 ||
	    bin_len != n)
		return -1;
	return 0;
}

/* Chain head "seq:hexhash" in the ledger's state table. */
static void
chain_load(struct alliance *al)
{
	char v[LEDGER_STATE_MAX], *colon;

	al->seq = 0;
	memset(al->head, 0, sizeof(al->head));
	if (ledger_state_get(al->ledger, "chain:self", v, sizeof(v)) != 1 ||
	    (colon = strchr(v, ':')) == NULL)
		return;
	*colon = '\0';
	uint64_t seq;
	if (uint_parse(v, 1, UINT64_MAX / 2, &seq) != 0 ||
	    hex_decode(colon + 1, al->head, sizeof(al->head)) != 0) {
		log_warnx("coalition: bad chain head in the ledger; refusing to guess a sequence number");
		al->seq = UINT64_MAX;	/* publishing stays off: reusing a number is equivocation */
		return;
	}
	al->seq = seq;
}

static void
peer_chains_load(struct alliance *al)
{
	for (size_t i = 0; i < al->charter->nmembers; i++) {
		const struct charter_member *m = &al->charter->members[i];
		char key[96], v[LEDGER_STATE_MAX], khex[2 * ID_PUBLIC_BYTES + 1], *colon;
		uint8_t h[WIRE_HASH_BYTES];
		uint64_t seq;

		sodium_bin2hex(khex, sizeof(khex), m->pk, ID_PUBLIC_BYTES);
		snprintf(key, sizeof(key), "chain:%s", khex);
		if (ledger_state_get(al->ledger, key, v, sizeof(v)) != 1 ||
		    (colon = strchr(v, ':')) == NULL)
			continue;
		*colon = '\0';
		if (uint_parse(v, 0, UINT64_MAX / 2, &seq) == 0 &&
		    hex_decode(colon + 1, h, sizeof(h)) == 0)
			accept_chain_set(al->accept, m->pk, seq, h);
		snprintf(key, sizeof(key), "gaps:%s", khex);
		if (ledger_state_get(al->ledger, key, v, sizeof(v)) == 1) {
			for (char *tok = v, *comma; tok != NULL; tok = comma ? comma + 1 : NULL) {
				uint64_t miss;
				if ((comma = strchr(tok, ',')) != NULL)
					*comma = '\0';
				if (uint_parse(tok, 1, UINT64_MAX / 2, &miss) == 0) {
					accept_chain_set_missing(al->accept, m->pk, miss);
					al->gaps_saved[i] = true;
				}
			}
		}
		if (ledger_proofs_count(al->ledger, m->pk) > 0)
			accept_quarantine(al->accept, m->pk);
	}
}

static void
peer_chain_save(struct alliance *al, const uint8_t pk[ID_PUBLIC_BYTES])
{
	char key[96], v[128], khex[2 * ID_PUBLIC_BYTES + 1], hhex[2 * WIRE_HASH_BYTES + 1];
	uint8_t h[WIRE_HASH_BYTES];
	uint64_t seq, missing[GAPS_SAVED];
	int mi = member_index(al, pk);

	if (accept_chain_get(al->accept, pk, &seq, h) != 0 || mi < 0)
		return;
	sodium_bin2hex(khex, sizeof(khex), pk, ID_PUBLIC_BYTES);
	sodium_bin2hex(hhex, sizeof(hhex), h, sizeof(h));
	snprintf(key, sizeof(key), "chain:%s", khex);
	snprintf(v, sizeof(v), "%llu:%s", (unsigned long long)seq, hhex);
	if (ledger_state_set(al->ledger, key, v) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	/* The numbers still missing behind the head, in the same batch: a
	 * report in flight at a crash comes back after later ones. Written
	 * only while there are some, and once more to clear them. */
	size_t n = accept_chain_missing(al->accept, pk, missing, GAPS_SAVED);
	if (n == 0 && !al->gaps_saved[mi])
		return;
	char list[LEDGER_STATE_MAX];
	size_t used = 0;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%llu", i ? "," : "",
		    (unsigned long long)missing[i]);
		if (w < 0 || (size_t)w >= sizeof(list) - used)
			break;
		used += (size_t)w;
	}
	snprintf(key, sizeof(key), "gaps:%s", khex);
	if (ledger_state_set(al->ledger, key, list) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	al->gaps_saved[mi] = n > 0;
}

static void
commit_seq_load(struct alliance *al)
{
	char v[LEDGER_STATE_MAX];
	uint64_t seq;

	al->commit_seq = 0;
	if (ledger_state_get(al->ledger, "commit:self", v, sizeof(v)) == 1 &&
	    uint_parse(v, 0, UINT64_MAX / 2, &seq) == 0)
		al->commit_seq = seq;
}

/* Whether a report this member processed obliges the coalition: what every
 * member must then enforce (or decline by reason). The refusals that are
 * this host's own business (its allowlist, rate seen here, a local unban)
 * do not lift the obligation of the others; the charter's own checks do. */
static bool
report_obliges(const struct alliance *al, int mi, const struct wire_report *r,
    const struct accept_decision *d)
{
	const struct charter_member *m = &al->charter->members[mi];
	const struct response_policy *rp = &al->charter->policy.response[m->role];

	if (d->verdict == ACC_APPLY)
		return true;
	switch (d->reason) {
	case ACC_ALLOWLIST: case ACC_RATE: case ACC_LOCAL_UNBAN: case ACC_EXPIRED:
		return !rp->never && rp->quorum < 2 &&
		    accept_charter_scope(al->accept, &r->prefix) == ACC_OK;
	default:
		return false;
	}
}

/* The audit's record of obligations lives in memory; at start it is
 * rebuilt from the envelopes the ledger keeps (8 days), so a restart of
 * this member does not make it blame the others for bans it forgot. */
static int
seed_one(const void *data, size_t len, void *arg)
{
	struct alliance *al = arg;
	static struct wire_envelope e;
	int64_t now = now_sec();

	if (wire_decode(data, len, &e) != WIRE_OK)
		return 0;
	int mi = member_index(al, e.reporter);
	if (mi < 0 || al->charter->members[mi].revoked)
		return 0;
	const struct response_policy *rp =
	    &al->charter->policy.response[al->charter->members[mi].role];
	if (rp->never || rp->quorum >= 2)
		return 0;
	for (size_t i = 0; i < e.nreports; i++) {
		const struct wire_report *r = &e.reports[i];
		if (accept_charter_scope(al->accept, &r->prefix) != ACC_OK ||
		    audit_deadline(al->charter, (int64_t)(r->timestamp_us / 1000000), r->ttl, 0) <= now)
			continue;
		audit_report(al->audit, e.reporter, r->seq, &r->prefix, (int64_t)r->timestamp_us, r->ttl,
		    now);
	}
	return 0;
}

static void
audit_seed(struct alliance *al)
{
	if (ledger_envelopes_each(al->ledger, seed_one, al) < 0)
		log_warnx("coalition: audit: %s", ledger_errmsg(al->ledger));
}

/* How far this member has processed each chain (its own: what it signed). */
static const uint64_t *
heads_now(struct alliance *al)
{
	uint8_t h[WIRE_HASH_BYTES];

	for (size_t i = 0; i < al->charter->nmembers; i++) {
		if ((int)i == al->self)
			al->heads[i] = al->seq == UINT64_MAX ? 0 : al->seq;
		else if (accept_chain_get(al->accept, al->charter->members[i].pk, &al->heads[i], h) != 0)
			al->heads[i] = 0;
	}
	return al->heads;
}

static int
alliance_connect(struct alliance *al, char *err, size_t errlen)
{
	const char *urls[CHARTER_URLS_MAX];
	struct transport_config tc;

	for (size_t i = 0; i < al->charter->nurls; i++)
		urls[i] = al->charter->urls[i];
	memset(&tc, 0, sizeof(tc));
	tc.urls = urls;
	tc.nurls = al->charter->nurls;
	tc.coalition = al->charter->name;
	tc.self = al->self_hex;
	tc.durable = al->durable;
	tc.replicas = (int)al->charter->policy.replicas;
	tc.creds_file = al->nats_creds[0] ? al->nats_creds : NULL;
	tc.tls_ca = al->nats_tls_ca[0] ? al->nats_tls_ca : NULL;
	/* A report is applied within milliseconds of delivery; after a crash
	 * the un-acked ones come back this soon. */
	tc.ack_wait_ms = ACK_WAIT_MS;
	al->next_connect = now_sec() + CONNECT_RETRY_SECS;
	if ((al->tr = transport_open(&tc, err, errlen)) == NULL)
		return -1;
	return 0;
}

int
alliance_tick(struct alliance *al)
{
	char err[512];

	int64_t now = now_sec();

	if (now >= al->next_expire) {
		ledger_envelopes_expire(al->ledger, now - ENVELOPE_KEEP_SECS);
		al->next_expire = now + 60;
	}
	if (al->tr != NULL || now < al->next_connect)
		return 0;
	if (alliance_connect(al, err, sizeof(err)) != 0) {
		log_debug("coalition: still unreachable: %s", err);
		return 0;
	}
	log_info("coalition %s: connected", al->charter->name);
	return 1;
}

struct alliance *
alliance_open(const struct config *cfg, const struct identity *id,
    const struct prefixlist *allow, struct ledger *ledger, char *err, size_t errlen)
{
	struct alliance *al = calloc(1, sizeof(*al));
	char why[512];

	if (al == NULL || (al->charter = calloc(1, sizeof(*al->charter))) == NULL ||
	    (al->out = calloc(1, sizeof(*al->out))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	al->ledger = ledger;
	al->self = -1;
	if (journal_attach(ledger_db(ledger), &al->journal, err, errlen) != 0)
		goto fail;
	/* Adopted updates are written to the state directory, the only place
	 * the worker may write; the newer of the two copies is in force. */
	config_adopted_charter(cfg, al->charter_path, sizeof(al->charter_path));
	const char *chpath = charter_in_force(cfg->charter, al->charter_path, why, sizeof(why));
	if (why[0] != '\0')
		log_warnx("coalition: adopted charter not used: %s", why);
	if (charter_load_hash(chpath, al->charter, al->charter_hash, err, errlen) != 0)
		goto fail;
	if (chpath != cfg->charter)
		log_info("coalition: charter version %llu in force, adopted from the stream (%s)",
		    (unsigned long long)al->charter->version, chpath);
	al->id = *id;
	(void)sodium_mlock(al->id.sk, sizeof(al->id.sk));
	snprintf(al->nats_creds, sizeof(al->nats_creds), "%s", cfg->nats_creds);
	snprintf(al->nats_tls_ca, sizeof(al->nats_tls_ca), "%s", cfg->nats_tls_ca);
	al->allow = allow;
	for (size_t i = 0; i < al->charter->nmembers; i++)
		if (memcmp(al->charter->members[i].pk, al->id.pk, ID_PUBLIC_BYTES) == 0)
			al->self = (int)i;
	if (al->self < 0) {
		char pk[ID_PUBLIC_TEXT_MAX];
		identity_pk_to_text(al->id.pk, pk, sizeof(pk));
		snprintf(err, errlen, "%s: this member's key %s is not in the charter %s",
		    cfg->identity, pk, cfg->charter);
		goto fail;
	}
	if (al->charter->members[al->self].revoked) {
		snprintf(err, errlen, "%s: this member's key is revoked in %s", cfg->identity, cfg->charter);
		goto fail;
	}
	sodium_bin2hex(al->self_hex, sizeof(al->self_hex), al->id.pk, 8);
	al->accept = accept_new(al->charter, al->id.pk, allow, (uint32_t)cfg->bantime_max);
	if (al->accept == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	al->ttl_cap = (uint32_t)cfg->bantime_max;
	if ((al->audit = audit_new(al->charter, al->id.pk)) == NULL ||
	    (al->commit = calloc(1, sizeof(*al->commit))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	chain_load(al);
	peer_chains_load(al);
	commit_seq_load(al);
	audit_seed(al);
	snprintf(al->durable, sizeof(al->durable), "a5-%s", al->self_hex);
	/* An unreachable NATS must not take the shield down with it: the
	 * daemon runs alone and alliance_tick keeps trying. */
	if (alliance_connect(al, err, errlen) != 0)
		log_warnx("coalition: %s; working alone, retrying every %ds", err, CONNECT_RETRY_SECS);
	log_info("coalition %s: member %s (%s), %zu members, chain at %llu",
	    al->charter->name, al->charter->members[al->self].name,
	    charter_role_name(al->charter->members[al->self].role), al->charter->nmembers,
	    (unsigned long long)al->seq);
	return al;
fail:
	alliance_close(al);
	return NULL;
}

void
alliance_close(struct alliance *al)
{
	if (al == NULL)
		return;
	for (size_t i = 0; al->tr != NULL && i < al->npending; i++)
		transport_nak(al->tr, &al->pending[i]);
	if (al->tr != NULL)
		transport_close(al->tr);
	accept_free(al->accept);
	audit_free(al->audit);
	free(al->commit);
	journal_close(al->journal);
	identity_wipe(&al->id);
	free(al->charter);
	free(al->out);
	free(al);
}

int
alliance_fd(const struct alliance *al)
{
	return al->tr != NULL ? transport_fd(al->tr) : -1;
}

bool
alliance_enforces(const struct alliance *al)
{
	return al->charter->members[al->self].role == ROLE_MEMBER;
}

void
alliance_local_ban(struct alliance *al, const struct ledger_ban *b)
{
	struct wire_envelope *e = al->out;
	struct wire_report *r;
	int64_t now = now_sec();

	if (al->seq == UINT64_MAX || e->nreports >= WIRE_REPORTS_MAX)
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
	r->seq = al->seq + e->nreports;	/* provisional, for the check; set again in prepare */
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
alliance_local_unban(struct alliance *al, const struct a5_prefix *p, int64_t until)
{
	accept_local_unban(al->accept, p, until);
}

void
alliance_prepare(struct alliance *al)
{
	struct wire_envelope *e = al->out;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	char msgid[WIRE_MSGID_MAX + 24], hhex[2 * WIRE_HASH_BYTES + 1], v[128];

	if (e->nreports == 0)
		return;
	wire_coalition_id(al->charter->name, e->coalition);
	memcpy(e->reporter, al->id.pk, ID_PUBLIC_BYTES);
	uint64_t first = al->seq + 1;
	uint8_t head[WIRE_HASH_BYTES];
	memcpy(head, al->head, sizeof(head));
	for (size_t i = 0; i < e->nreports; i++) {
		e->reports[i].seq = first + i;
		memcpy(e->reports[i].prev, head, sizeof(head));
		wire_report_hash(&e->reports[i], al->id.pk, head);
	}
	size_t len = wire_encode(e, &al->id, buf, sizeof(buf));
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
	sodium_bin2hex(hhex, sizeof(hhex), head, sizeof(head));
	snprintf(v, sizeof(v), "%llu:%s", (unsigned long long)(first + e->nreports - 1), hhex);
	if (ledger_outbox_put(al->ledger, msgid, buf, len) != 0 ||
	    ledger_state_set(al->ledger, "chain:self", v) != 0) {
		log_warnx("coalition: ledger: %s; %zu reports not published", ledger_errmsg(al->ledger),
		    e->nreports);
		e->nreports = 0;
		return;
	}
	/* Kept like the others' envelopes: evidence of what we signed, and
	 * what the audit's record of our own obligations is rebuilt from. */
	if (ledger_envelope_put(al->ledger, al->id.pk, first, first + e->nreports - 1, now_sec(),
	    buf, len) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	int64_t now = now_sec();
	for (size_t i = 0; i < e->nreports; i++)
		audit_report(al->audit, al->id.pk, e->reports[i].seq, &e->reports[i].prefix,
		    (int64_t)e->reports[i].timestamp_us, e->reports[i].ttl, now);
	al->seq = first + e->nreports - 1;
	memcpy(al->head, head, sizeof(head));
	e->nreports = 0;
}

static int
publish_one(const char *msgid, const void *data, size_t len, void *arg)
{
	struct alliance *al = arg;

	if (transport_publish(al->tr, data, len, msgid) != 0) {
		al->publish_errors++;
		return 1;	/* keep order: retry from here next time */
	}
	if (ledger_outbox_del(al->ledger, msgid) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	al->sent++;
	return 0;
}

void
alliance_publish(struct alliance *al)
{
	/* While NATS is unreachable the outbox keeps the envelopes: publishing
	 * would only block the loop on timeouts. */
	if (al->tr == NULL || !transport_connected(al->tr))
		return;
	ledger_outbox_each(al->ledger, publish_one, al);
}

static void
log_refusal(struct alliance *al, int member, const char *who, enum accept_reason why,
    const struct a5_prefix *p)
{
	char text[A5_PREFIX_STRLEN] = "-";
	int64_t now = now_sec();

	/* once per burst: one line per member per 10 s; the counters have the rest */
	int64_t *last = member >= 0 ? &al->last_refusal_log[member] : &al->last_stranger_log;
	if (now - *last < 10)
		return;
	*last = now;
	if (p)
		prefix_format(p, text, sizeof(text));
	log_warnx("coalition: refused report from %s (%s): %s", who, text, accept_reason_name(why));
}

static int
member_index(const struct alliance *al, const uint8_t pk[ID_PUBLIC_BYTES])
{
	const struct charter_member *m = charter_find(al->charter, pk);

	return m ? (int)(m - al->charter->members) : -1;
}

/* A report this member does not enforce for a reason of its own is
 * declared in its commitments until the report's deadline, so that the
 * auditors do not count it as a failure. */
static void
decline(struct alliance *al, const struct wire_report *r, enum accept_reason why, int64_t now)
{
	int reason = why == ACC_ALLOWLIST ? WIRE_DECLINE_ALLOWLIST :
	    why == ACC_RATE ? WIRE_DECLINE_RATE : why == ACC_LOCAL_UNBAN ? WIRE_DECLINE_UNBAN : 0;

	if (reason == 0 || !alliance_enforces(al))
		return;
	int64_t until = audit_deadline(al->charter, (int64_t)(r->timestamp_us / 1000000), r->ttl,
	    al->ttl_cap);
	if (until <= now)
		return;
	if (ledger_decline_put(al->ledger, &r->prefix, reason, until) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	else
		al->declines_made++;
}

void
alliance_decline(struct alliance *al, const struct a5_prefix *p, int reason, int64_t until)
{
	if (!alliance_enforces(al) || until <= now_sec())
		return;
	if (ledger_decline_put(al->ledger, p, reason, until) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	else
		al->declines_made++;
}

/* Gossips a proof found here, so that members which saw only one of the two
 * envelopes quarantine the reporter too. Published once per finder: the
 * message id names the finder, the reporter and the number. */
static void
proof_publish(struct alliance *al, const uint8_t reporter[ID_PUBLIC_BYTES], uint64_t seq,
    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	static uint8_t buf[WIRE_PROOF_MAX];
	char msgid[WIRE_MSGID_MAX + 48], rhex[17];
	size_t len = wire_proof_encode(seq, a, alen, b, blen, buf, sizeof(buf));

	if (len == 0 || al->tr == NULL)
		return;
	sodium_bin2hex(rhex, sizeof(rhex), reporter, 8);
	snprintf(msgid, sizeof(msgid), "%s-p%s-%llu", al->self_hex, rhex, (unsigned long long)seq);
	if (transport_publish(al->tr, buf, len, msgid) != 0) {
		al->publish_errors++;
		log_warnx("coalition: publishing the proof against %s failed: %s; it stays in the ledger",
		    rhex, transport_errmsg(al->tr));
		return;
	}
	al->proofs_sent++;
}

/* A proof from the stream: both envelopes must verify and hold different
 * reports numbered alike by one member of this coalition. A valid proof
 * quarantines its reporter here as if the fork had been seen here. */
static void
handle_proof(struct alliance *al, const struct transport_msg *msg)
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
	const uint8_t *signer = wire_envelope_signer(p.a, p.alen);
	int named = signer ? member_index(al, signer) : -1;
	if (named < 0) {
		snprintf(why, sizeof(why), "the first envelope's signer is not in the charter");
		goto invalid;
	}
	const struct accept_member_stats *was = accept_stats(al->accept, (size_t)named);
	if (named != al->self && was != NULL && was->quarantined &&
	    ledger_proofs_count(al->ledger, signer) > 0) {
		al->proofs_known++;
		return;
	}
	if (journal_proof_check(p.a, p.alen, p.b, p.blen, p.seq, &pr, why, sizeof(why)) != 0)
		goto invalid;
	wire_coalition_id(al->charter->name, coalition);
	if (memcmp(coalition, pr.coalition, sizeof(coalition)) != 0) {
		snprintf(why, sizeof(why), "the envelopes are for another coalition");
		goto invalid;
	}
	int mi = member_index(al, pr.reporter);
	if (mi < 0) {
		snprintf(why, sizeof(why), "the reporter is not in the charter");
		goto invalid;
	}
	const char *who = al->charter->members[mi].name;
	if (mi == al->self) {
		/* Only a lost or restored ledger makes this member reuse a number. */
		log_warnx("coalition: a proof on the stream shows THIS member (%s) signed two reports "
		    "#%llu: was the ledger restored from an old copy?", who, (unsigned long long)p.seq);
		return;
	}
	if (ledger_proof_put(al->ledger, pr.reporter, p.seq, p.a, p.alen, p.b, p.blen, now) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	if (journal_proof(al->journal, now, p.seq, p.a, p.alen, p.b, p.blen) != 0)
		log_warnx("%s", journal_errmsg(al->journal));
	accept_quarantine(al->accept, pr.reporter);
	al->proofs_received++;
	log_warnx("coalition: proof on the stream (subject of %s): %s signed two different reports "
	    "#%llu: quarantined, proof kept", msg->reporter ? msg->reporter : "?", who,
	    (unsigned long long)p.seq);
	return;
invalid:
	/* Anyone who can publish can send these: counted, logged once per burst. */
	al->proofs_invalid++;
	if (now - al->last_proof_log >= 10) {
		al->last_proof_log = now;
		log_warnx("coalition: invalid proof refused (subject of %s): %s",
		    msg->reporter ? msg->reporter : "?", why);
	}
}

static void
handle_envelope(struct alliance *al, const struct transport_msg *msg, alliance_apply_cb cb, void *arg)
{
	static struct wire_envelope e;
	enum wire_status ws = wire_decode(msg->data, msg->len, &e);
	uint8_t coalition[WIRE_COALITION_BYTES];
	int64_t now = now_sec();

	if (ws != WIRE_OK) {
		/* Not charged to the key it claims: without a valid signature
		 * anyone can claim any key. Counted apart (status). */
		al->invalid_envelopes++;
		log_refusal(al, -1, "unverified sender", ws == WIRE_ERR_SIGNATURE ?
		    ACC_BAD_SIGNATURE : ACC_MALFORMED, NULL);
		return;
	}
	if (memcmp(e.reporter, al->id.pk, ID_PUBLIC_BYTES) == 0)
		return;	/* our own reports come back on the stream */
	int mi = member_index(al, e.reporter);
	const char *who = mi >= 0 ? al->charter->members[mi].name : "unknown key";
	wire_coalition_id(al->charter->name, coalition);
	if (memcmp(coalition, e.coalition, sizeof(coalition)) != 0) {
		accept_count_envelope(al->accept, e.reporter, ACC_WRONG_COALITION);
		log_refusal(al, mi, who, ACC_WRONG_COALITION, NULL);
		return;
	}
	if (mi < 0) {
		accept_count_envelope(al->accept, e.reporter, ACC_UNKNOWN_KEY);
		log_refusal(al, mi, who, ACC_UNKNOWN_KEY, NULL);
		return;
	}
	size_t applied = 0, kept = 0;
	uint16_t accepted[WIRE_REPORTS_MAX];
	for (size_t i = 0; i < e.nreports; i++) {
		const struct wire_report *r = &e.reports[i];
		struct accept_decision d;

		accept_report(al->accept, e.reporter, r, now, &d);
		if (d.reason == ACC_FORK) {
			static uint8_t other[WIRE_ENVELOPE_MAX];
			size_t olen = 0;
			int found = ledger_envelope_find(al->ledger, e.reporter, r->seq, other,
			    sizeof(other), &olen);
			if (found == 1 && (olen != msg->len || memcmp(other, msg->data, olen) != 0)) {
				ledger_proof_put(al->ledger, e.reporter, r->seq, other, olen,
				    msg->data, msg->len, now);
				if (journal_proof(al->journal, now, r->seq, other, olen, msg->data,
				    msg->len) != 0)
					log_warnx("%s", journal_errmsg(al->journal));
				proof_publish(al, e.reporter, r->seq, other, olen, msg->data, msg->len);
			}
			log_warnx("coalition: %s signed two different reports #%llu: quarantined%s",
			    who, (unsigned long long)r->seq, found == 1 ? ", proof kept" : "");
		}
		bool obliges = report_obliges(al, mi, r, &d);
		if (obliges) {
			audit_report(al->audit, e.reporter, r->seq, &r->prefix,
			    (int64_t)r->timestamp_us, r->ttl, now);
			if (d.verdict != ACC_APPLY)
				decline(al, r, d.reason, now);
		}
		if (obliges || d.verdict == ACC_WAIT || d.reason == ACC_FORK)
			kept++;
		if (d.verdict == ACC_APPLY) {
			accepted[applied++] = (uint16_t)i;
			struct alliance_apply a = {
				r->prefix, d.ttl, d.deadline, who, r->service, r->rule, r->evidence,
				(int64_t)r->first_seen, (int64_t)r->last_seen,
			};
			cb(arg, &a);
		} else if (d.verdict == ACC_REFUSE && d.reason != ACC_OK) {
			/* same throttle as the log line, checked before log_refusal moves it */
			if (now - al->last_refusal_log[mi] >= 10 &&
			    journal_refusal(al->journal, now, e.reporter, r->seq,
			    accept_reason_name(d.reason), &r->prefix) != 0)
				log_warnx("%s", journal_errmsg(al->journal));
			log_refusal(al, mi, who, d.reason, &r->prefix);
		}
	}
	/* Kept as evidence only when something in it counted: a member over
	 * its rate must not grow every receiver's disk at the stream's pace.
	 * (A fork against a report refused earlier is still detected, from
	 * the hashes kept in memory; only the stored proof is then missing.) */
	if (kept > 0 && ledger_envelope_put(al->ledger, e.reporter, e.reports[0].seq,
	    e.reports[e.nreports - 1].seq, now, msg->data, msg->len) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	if (applied > 0 && journal_report_decoded(al->journal, now, msg->data, msg->len, &e,
	    accepted, applied) != 0)
		log_warnx("%s", journal_errmsg(al->journal));
	if (applied > 0)
		log_info("coalition: %s reported %zu bans, %zu applied", who, e.nreports, applied);
	peer_chain_save(al, e.reporter);
}

static void
handle_commitment(struct alliance *al, const struct transport_msg *msg)
{
	struct wire_commitment *c = al->commit;	/* ours is rebuilt from scratch each period */
	uint8_t coalition[WIRE_COALITION_BYTES];
	enum wire_status ws = wire_commit_decode(msg->data, msg->len, c);

	if (ws != WIRE_OK) {
		al->invalid_commitments++;
		log_refusal(al, -1, "unverified sender", ws == WIRE_ERR_SIGNATURE ?
		    ACC_BAD_SIGNATURE : ACC_MALFORMED, NULL);
		return;
	}
	int mi = member_index(al, c->member);
	wire_coalition_id(al->charter->name, coalition);
	if (mi < 0 || memcmp(coalition, c->coalition, sizeof(coalition)) != 0) {
		al->invalid_commitments++;
		return;
	}
	if (mi == al->self)
		return;
	int was_flagged = audit_state_of(al->audit, (size_t)mi, now_sec()) == AUDIT_FLAGGED;
	if (audit_commitment(al->audit, c, heads_now(al), now_sec()) == 1) {
		const struct audit_member *st = audit_get(al->audit, (size_t)mi);
		if (!was_flagged && audit_state_of(al->audit, (size_t)mi, now_sec()) == AUDIT_FLAGGED)
			log_warnx("audit: %s flagged: %s (kernel %llu, expected %llu)",
			    al->charter->members[mi].name, st->last_problem,
			    (unsigned long long)st->count, (unsigned long long)st->expected);
	}
}

/* Puts next (parsed from the adopted text) in force: a new acceptance
 * pipeline and audit built for it, chain positions and audit logs reloaded
 * from the ledger as at a start. The transport and this member's own chain
 * stay. 0, or -1 when this member is no longer an active member of next
 * (the alliance is then defunct: the daemon closes it). */
static int
alliance_adopt(struct alliance *al, struct charter *next, const uint8_t hash[CHARTER_HASH_BYTES])
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
	peer_chains_load(al);
	audit_seed(al);
	return 0;
}

/* A charter update from the stream: adopted when gov_check says so against
 * the charter in force (threshold of its voting members, the next version,
 * the hash of the text in force). Written to the charter file first, so a
 * restart starts from it. */
static void
handle_charter(struct alliance *al, const struct transport_msg *msg)
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
	alliance_adopt(al, next, hash);
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

bool
alliance_defunct(const struct alliance *al)
{
	return al->defunct;
}

int
alliance_receive(struct alliance *al, alliance_apply_cb cb, void *arg)
{
	size_t room = RECEIVE_BATCH - al->npending;
	if (al->tr == NULL)
		return 0;
	size_t n = transport_poll(al->tr, al->pending + al->npending, room);

	for (size_t i = 0; i < n && !al->defunct; i++) {
		const struct transport_msg *m = &al->pending[al->npending + i];
		switch (wire_kind(m->data, m->len)) {
		case WIRE_KIND_COMMITMENT:
			handle_commitment(al, m);
			break;
		case WIRE_KIND_PROOF:
			handle_proof(al, m);
			break;
		case WIRE_KIND_CHARTER:
			handle_charter(al, m);
			break;
		default:
			handle_envelope(al, m, cb, arg);
			break;
		}
	}
	al->npending += n;
	if (n > 0)
		audit_retry(al->audit, heads_now(al), now_sec());
	return (int)n;
}

/* --- commitments --- */

struct decl_walk {
	struct wire_commitment *c;
	bool truncated;
};

static int
decl_one(const struct a5_prefix *p, int reason, int64_t until, void *arg)
{
	struct decl_walk *w = arg;

	if (w->c->ndeclines == WIRE_COMMIT_DECLINES_MAX) {
		w->truncated = true;
		return 1;
	}
	struct wire_decline *d = &w->c->declines[w->c->ndeclines++];
	d->prefix = *p;
	d->reason = (uint8_t)reason;
	d->until = (uint64_t)until;
	return 0;
}

uint64_t
alliance_charter_version(const struct alliance *al)
{
	return al->charter->version;
}

int64_t
alliance_commit_period(const struct alliance *al)
{
	return al->charter->members[al->self].role == ROLE_MEMBER ? al->charter->policy.commit_period : 0;
}

void
alliance_commit(struct alliance *al, const uint8_t *digest, uint64_t count)
{
	struct wire_commitment *c = al->commit;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	char msgid[WIRE_MSGID_MAX + 24], v[32];
	int64_t now_us = now_usec(), now = now_us / 1000000;

	if (alliance_commit_period(al) == 0)
		return;
	if (al->tr == NULL || !transport_connected(al->tr)) {
		al->commits_skipped++;	/* a period missed, as the others will see */
		return;
	}
	memset(c, 0, offsetof(struct wire_commitment, applied));
	wire_coalition_id(al->charter->name, c->coalition);
	memcpy(c->member, al->id.pk, ID_PUBLIC_BYTES);
	c->seq = al->commit_seq + 1;
	c->time_us = (uint64_t)now_us;
	c->period = al->charter->policy.commit_period;
	c->ttl_cap = al->ttl_cap;
	if (digest != NULL) {
		c->count = count;
		memcpy(c->digest, digest, WIRE_HASH_BYTES);
	} else
		c->flags |= WIRE_COMMIT_NO_DIGEST;
	const uint64_t *heads = heads_now(al);
	for (size_t i = 0; i < al->charter->nmembers; i++) {
		if ((int)i == al->self || heads[i] == 0)
			continue;
		memcpy(c->applied[c->napplied].reporter, al->charter->members[i].pk, ID_PUBLIC_BYTES);
		c->applied[c->napplied++].seq = heads[i];
	}
	struct decl_walk w = { c, false };
	ledger_declines_expire(al->ledger, now);
	if (ledger_declines_active(al->ledger, now, decl_one, &w) < 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	if (w.truncated)
		c->flags |= WIRE_COMMIT_TRUNCATED;
	size_t len = wire_commit_encode(c, &al->id, buf, sizeof(buf));
	if (len == 0) {
		log_warnx("coalition: cannot encode commitment #%llu", (unsigned long long)c->seq);
		return;
	}
	snprintf(msgid, sizeof(msgid), "%s-c%llu", al->self_hex, (unsigned long long)c->seq);
	if (transport_publish(al->tr, buf, len, msgid) != 0) {
		al->publish_errors++;
		al->commits_skipped++;
		return;
	}
	al->commit_seq = c->seq;
	al->commits_sent++;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)c->seq);
	if (ledger_state_set(al->ledger, "commit:self", v) != 0)
		log_warnx("ledger: %s", ledger_errmsg(al->ledger));
	if (journal_commitment(al->journal, now, buf, len) != 0)
		log_warnx("%s", journal_errmsg(al->journal));
}

void
alliance_audit(const struct alliance *al, struct outbuf *out, int json)
{
	int64_t now = now_sec(), now_us = now_usec();

	if (json)
		outbuf_printf(out, "[");
	else
		outbuf_printf(out, "%-16s %-10s %-8s %8s %7s %6s %8s %8s %9s %9s  %s\n", "MEMBER",
		    "ROLE", "LAST", "COMMITS", "MISSED", "MISM.", "P50 MS", "P99 MS", "KERNEL",
		    "EXPECTED", "STATE");
	for (size_t i = 0; i < al->charter->nmembers; i++) {
		const struct charter_member *m = &al->charter->members[i];
		const struct audit_member *st = audit_get(al->audit, i);
		enum audit_state s = audit_state_of(al->audit, i, now);
		bool binding = m->role == ROLE_MEMBER && !m->revoked;
		bool flagged = s == AUDIT_FLAGGED || (s == AUDIT_SILENT && binding);
		int64_t p50 = audit_percentile(st, 50), p99 = audit_percentile(st, 99);
		double age = st->last_commit_us ? (double)(now_us - st->last_commit_us) / 1e6 : -1;
		if ((int)i == al->self)
			age = -1;
		if (json) {
			outbuf_printf(out, "%s\n  {\"name\": \"%s\", \"role\": \"%s\", \"binding\": %s, "
			    "\"state\": \"%s\", \"flagged\": %s, \"last_commit_age\": %.3f, "
			    "\"commitments\": %llu, \"audited\": %llu, \"missed\": %llu, "
			    "\"mismatches\": %llu, \"stale\": %llu, \"response_p50_ms\": %lld, \"response_p99_ms\": %lld, "
			    "\"count\": %llu, \"expected\": %llu, \"declines\": %llu, \"problem\": \"%s\"}",
			    i ? "," : "", m->name, charter_role_name(m->role), binding ? "true" : "false",
			    audit_state_name(s), flagged ? "true" : "false", age,
			    (unsigned long long)st->commitments, (unsigned long long)st->audited,
			    (unsigned long long)st->missed, (unsigned long long)st->mismatches,
			    (unsigned long long)st->stale, (long long)p50, (long long)p99, (unsigned long long)st->count,
			    (unsigned long long)st->expected, (unsigned long long)st->declines,
			    st->last_problem);
		} else {
			char last[24] = "-", a50[24] = "-", a99[24] = "-";
			if (age >= 0)
				snprintf(last, sizeof(last), "%.1fs", age);
			if (p50 >= 0) {
				snprintf(a50, sizeof(a50), "%lld", (long long)p50);
				snprintf(a99, sizeof(a99), "%lld", (long long)p99);
			}
			outbuf_printf(out, "%-16s %-10s %-8s %8llu %7llu %6llu %8s %8s %9llu %9llu  %s%s%s\n",
			    m->name, charter_role_name(m->role), last,
			    (unsigned long long)st->commitments, (unsigned long long)st->missed,
			    (unsigned long long)st->mismatches, a50, a99, (unsigned long long)st->count,
			    (unsigned long long)st->expected, audit_state_name(s),
			    st->last_problem[0] ? ": " : "", st->last_problem);
		}
	}
	if (json)
		outbuf_printf(out, "\n]\n");
	else
		outbuf_printf(out, "this member: %llu commitments published (%llu periods skipped), "
		    "%llu declines declared\n", (unsigned long long)al->commits_sent,
		    (unsigned long long)al->commits_skipped, (unsigned long long)al->declines_made);
}

void
alliance_ack(struct alliance *al)
{
	for (size_t i = 0; al->tr != NULL && i < al->npending; i++)
		transport_ack(al->tr, &al->pending[i]);
	al->npending = 0;
}

void
alliance_members(const struct alliance *al, struct outbuf *out, int json)
{
	int64_t now = now_sec();

	if (json)
		outbuf_printf(out, "[");
	else
		outbuf_printf(out, "%-16s %-10s %-10s %10s %10s %10s  %s\n", "MEMBER", "ROLE",
		    "LAST SEEN", "SENT", "ACCEPTED", "REFUSED", "REFUSALS / STATE");
	for (size_t i = 0; i < al->charter->nmembers; i++) {
		const struct charter_member *m = &al->charter->members[i];
		const struct accept_member_stats *st = accept_stats(al->accept, i);
		char pk[ID_PUBLIC_TEXT_MAX], seen[32], reasons[1024] = "";
		uint64_t refused = 0;
		size_t used = 0;
		bool self = (int)i == al->self;

		identity_pk_to_text(m->pk, pk, sizeof(pk));
		for (int r = 1; st && r < ACC_NREASONS; r++) {
			if (st->refused[r] == 0)
				continue;
			refused += st->refused[r];
			int w = snprintf(reasons + used, sizeof(reasons) - used, json ?
			    "%s\"%s\": %llu" : "%s%s=%llu", used ? (json ? ", " : " ") : "",
			    accept_reason_name((enum accept_reason)r), (unsigned long long)st->refused[r]);
			if (w > 0 && (size_t)w < sizeof(reasons) - used)
				used += (size_t)w;
		}
		int64_t last = st ? st->last_seen : 0;
		if (self)
			snprintf(seen, sizeof(seen), "self");
		else if (last == 0)
			snprintf(seen, sizeof(seen), "never");
		else
			duration_format(now - last, seen, sizeof(seen));
		bool quarantined = st && st->quarantined;
		if (json) {
			outbuf_printf(out, "%s\n  {\"name\": \"%s\", \"key\": \"%s\", \"role\": \"%s\", "
			    "\"self\": %s, \"revoked\": %s, \"quarantined\": %s, \"last_seen\": %lld, "
			    "\"last_seq\": %llu, \"sent\": %llu, \"accepted\": %llu, \"refused\": {%s}}",
			    i ? "," : "", m->name, pk, charter_role_name(m->role), self ? "true" : "false",
			    m->revoked ? "true" : "false", quarantined ? "true" : "false",
			    (long long)last, (unsigned long long)(self ? al->seq : st ? st->last_seq : 0),
			    (unsigned long long)(self ? al->sent : 0),
			    (unsigned long long)(st ? st->accepted : 0), reasons);
		} else {
			char sent[24];
			snprintf(sent, sizeof(sent), self ? "%llu" : "-", (unsigned long long)al->sent);
			outbuf_printf(out, "%-16s %-10s %-10s %10s %10llu %10llu  %s%s%s\n", m->name,
			    charter_role_name(m->role), seen, sent,
			    (unsigned long long)(st ? st->accepted : 0), (unsigned long long)refused,
			    quarantined ? "QUARANTINED " : "", m->revoked ? "REVOKED " : "", reasons);
		}
	}
	if (json)
		outbuf_printf(out, "\n]\n");
}

static uint64_t
unknown_refused(const struct alliance *al)
{
	const struct accept_member_stats *st = accept_stats_unknown(al->accept);
	uint64_t n = 0;

	for (int r = 0; st != NULL && r < ACC_NREASONS; r++)
		n += st->refused[r];
	return n;
}

void
alliance_status(const struct alliance *al, struct outbuf *out, int json)
{
	static const struct transport_stats none;
	const struct transport_stats *ts = al->tr ? transport_get_stats(al->tr) : &none;
	bool up = al->tr != NULL && transport_connected(al->tr);

	if (json) {
		outbuf_printf(out, "\"coalition\": {\"name\": \"%s\", \"member\": \"%s\", \"role\": \"%s\", "
		    "\"connected\": %s, \"chain_seq\": %llu, \"published\": %llu, \"received\": %llu, "
		    "\"publish_errors\": %llu, \"invalid_envelopes\": %llu, \"unknown_key_envelopes\": %llu, "
		    "\"proofs_sent\": %llu, \"proofs_received\": %llu, \"proofs_known\": %llu, "
		    "\"proofs_invalid\": %llu, \"charter_version\": %llu, \"charters_adopted\": %llu, "
		    "\"charters_refused\": %llu, \"charters_old\": %llu, \"audit_obligations\": %zu}",
		    al->charter->name, al->charter->members[al->self].name,
		    charter_role_name(al->charter->members[al->self].role), up ? "true" : "false",
		    (unsigned long long)al->seq, (unsigned long long)ts->published,
		    (unsigned long long)ts->received, (unsigned long long)al->publish_errors,
		    (unsigned long long)al->invalid_envelopes, (unsigned long long)unknown_refused(al),
		    (unsigned long long)al->proofs_sent, (unsigned long long)al->proofs_received,
		    (unsigned long long)al->proofs_known, (unsigned long long)al->proofs_invalid,
		    (unsigned long long)al->charter->version, (unsigned long long)al->charters_adopted,
		    (unsigned long long)al->charters_refused, (unsigned long long)al->charters_old,
		    al->audit ? audit_logged(al->audit) : 0);
		return;
	}
	outbuf_printf(out, "coalition:   %s as %s (%s), NATS %s; %llu reports published, "
	    "%llu envelopes received, chain at #%llu\n", al->charter->name,
	    al->charter->members[al->self].name, charter_role_name(al->charter->members[al->self].role),
	    up ? "connected" : "DISCONNECTED", (unsigned long long)al->sent,
	    (unsigned long long)ts->received, (unsigned long long)al->seq);
	outbuf_printf(out, "refused:     %llu envelopes unverifiable (bad signature or form), "
	    "%llu from keys not in the charter\n", (unsigned long long)al->invalid_envelopes,
	    (unsigned long long)unknown_refused(al));
	outbuf_printf(out, "proofs:      %llu published, %llu received (quarantined from them), "
	    "%llu already known, %llu invalid\n", (unsigned long long)al->proofs_sent,
	    (unsigned long long)al->proofs_received, (unsigned long long)al->proofs_known,
	    (unsigned long long)al->proofs_invalid);
	outbuf_printf(out, "charter:     version %llu; updates from the stream: %llu adopted, "
	    "%llu refused, %llu not newer\n", (unsigned long long)al->charter->version,
	    (unsigned long long)al->charters_adopted, (unsigned long long)al->charters_refused,
	    (unsigned long long)al->charters_old);
}
