/* coalition.c - this member in its coalition: opening (charter, identity,
 * chains restored from the ledger), the connection and its retries, and
 * the small questions the other files and the daemon ask. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/audit.h"
#include "coalition/state.h"
#include "common/log.h"
#include "common/prefixlist.h"
#include "common/util.h"
#include "daemon/config.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

/* Envelopes kept as evidence this long. */
#define ENVELOPE_KEEP_SECS (8 * 86400)
/* Reconnection attempts while the first connect has not succeeded. */
#define CONNECT_RETRY_SECS 10
/* The stream position is written at most this often (and at close): after
 * a crash, at most this much of the stream is read again, and a repeat is
 * taken as done. */
#define POSITION_SAVE_SECS 1

static void
position_key(const struct coalition *co, char *key, size_t n)
{
	snprintf(key, n, "stream:A5_%s", co->charter->name);
}

/* The value is "POSITION CREATED": the stream sequence and the stream's
 * creation time in ns (transport_stream_created), which tells a stream made
 * anew since; an older value holds the position alone (creation unknown).
 * A value that does not parse is read from the stream's start. */
static void
position_load(struct coalition *co)
{
	char key[96], v[64], *space;
	uint64_t pos, created = 0;

	position_key(co, key, sizeof(key));
	co->stream_pos = 0;
	co->stream_created = 0;
	if (ledger_state_get(co->ledger, key, v, sizeof(v)) != 1)
		return;
	if ((space = strchr(v, ' ')) != NULL)
		*space = '\0';
	if (uint_parse(v, 0, UINT64_MAX / 2, &pos) != 0 ||
	    (space != NULL && uint_parse(space + 1, 0, INT64_MAX, &created) != 0)) {
		if (space != NULL)
			*space = ' ';
		log_warnx("ledger: stream position '%s' does not parse: reading the stream from its start", v);
		return;
	}
	co->stream_pos = pos;
	co->stream_created = (int64_t)created;
}

/* Keeps the transport's position when it moved; returns 0 or -1. */
static int
position_save(struct coalition *co)
{
	char key[96], v[64];
	uint64_t pos;
	int64_t created;

	if (co->tr == NULL)
		return 0;
	pos = transport_position(co->tr);
	created = transport_stream_created(co->tr);
	if (pos == co->stream_pos && created == co->stream_created)
		return 0;
	position_key(co, key, sizeof(key));
	snprintf(v, sizeof(v), "%llu %lld", (unsigned long long)pos, (long long)created);
	if (ledger_state_set(co->ledger, key, v) != 0) {
		log_warnx("ledger: stream position: %s", ledger_errmsg(co->ledger));
		return -1;
	}
	co->stream_pos = pos;
	co->stream_created = created;
	return 0;
}

struct budget_load {
	struct accept *accept;
	int64_t now;
};

static int
budget_row(const struct a5_prefix *p, const uint8_t reporter[LEDGER_KEY_BYTES], int64_t deadline,
    void *arg)
{
	struct budget_load *b = arg;

	accept_budget_restore(b->accept, reporter, p, deadline, b->now);
	return 0;
}

void
coalition_budgets_load(struct coalition *co)
{
	struct budget_load b = { co->accept, now_sec() };
	int64_t t0 = now_usec();
	int n;

	if ((n = ledger_corigins_active(co->ledger, b.now, budget_row, &b)) < 0) {
		/* Fail open here would hand out fresh budgets; the rows read so
		 * far stay charged, and the error is the operator's to see. */
		log_warnx("coalition: budgets not fully rebuilt: %s", ledger_errmsg(co->ledger));
		return;
	}
	if (n > 0)
		log_info("coalition: budgets rebuilt from %d bans in force by origin (%lld ms)", n,
		    (long long)((now_usec() - t0) / 1000));
}

static int
coalition_connect(struct coalition *co, char *err, size_t errlen)
{
	const char *urls[CHARTER_URLS_MAX];
	struct transport_config tc;

	for (size_t i = 0; i < co->charter->nurls; i++)
		urls[i] = co->charter->urls[i];
	memset(&tc, 0, sizeof(tc));
	tc.urls = urls;
	tc.nurls = co->charter->nurls;
	tc.coalition = co->charter->name;
	tc.self = co->self_hex;
	tc.start_seq = co->stream_pos;
	tc.start_created = co->stream_created;
	tc.replicas = (int)co->charter->policy.replicas;
	tc.creds_file = co->nats_creds[0] ? co->nats_creds : NULL;
	tc.tls_ca = co->nats_tls_ca[0] ? co->nats_tls_ca : NULL;
	tc.nkey = co->id.has_nats_key ? &co->id.nats_key : NULL;
	co->next_connect = now_sec() + CONNECT_RETRY_SECS;
	co->ninflight = 0;	/* a new connection: nothing of ours in flight */
	co->outbox_walk = true;
	if ((co->tr = transport_open(&tc, err, errlen)) == NULL)
		return -1;
	coalition_watch_commitments(co);
	return 0;
}

int
coalition_tick(struct coalition *co)
{
	char err[512];

	int64_t now = now_sec();

	if (now >= co->next_expire) {
		ledger_envelopes_expire(co->ledger, now - ENVELOPE_KEEP_SECS);
		co->next_expire = now + 60;
	}
	if (co->tr != NULL) {
		coalition_commitments_tick(co);
		transport_tick(co->tr);
	}
	if (co->tr != NULL && now >= co->next_pos_save) {
		position_save(co);
		co->next_pos_save = now + POSITION_SAVE_SECS;
	}
	if (co->tr != NULL || now < co->next_connect)
		return 0;
	if (coalition_connect(co, err, sizeof(err)) != 0) {
		log_debug("coalition: still unreachable: %s", err);
		return 0;
	}
	log_info("coalition %s: connected", co->charter->name);
	return 1;
}

struct coalition *
coalition_open(const struct config *cfg, const struct identity *id,
    const struct prefixlist *allow, struct ledger *ledger, char *err, size_t errlen)
{
	struct coalition *co = calloc(1, sizeof(*co));
	char why[512];

	if (co == NULL || (co->charter = calloc(1, sizeof(*co->charter))) == NULL ||
	    (co->out = calloc(1, sizeof(*co->out))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	co->ledger = ledger;
	co->self = -1;
	if (journal_attach(ledger_db(ledger), &co->journal, err, errlen) != 0)
		goto fail;
	/* Adopted updates are written to the state directory, the only place
	 * the worker may write; the newer of the two copies is in force. */
	config_adopted_charter(cfg, co->charter_path, sizeof(co->charter_path));
	const char *chpath = charter_in_force(cfg->charter, co->charter_path, why, sizeof(why));
	if (why[0] != '\0')
		log_warnx("coalition: adopted charter not used: %s", why);
	if (charter_load_hash(chpath, co->charter, co->charter_hash, err, errlen) != 0)
		goto fail;
	if (chpath != cfg->charter)
		log_info("coalition: charter version %llu in force, adopted from the stream (%s)",
		    (unsigned long long)co->charter->version, chpath);
	co->id = *id;
	(void)sodium_mlock(co->id.sk, sizeof(co->id.sk));
	snprintf(co->nats_creds, sizeof(co->nats_creds), "%s", cfg->nats_creds);
	snprintf(co->nats_tls_ca, sizeof(co->nats_tls_ca), "%s", cfg->nats_tls_ca);
	co->allow = allow;
	for (size_t i = 0; i < co->charter->nmembers; i++)
		if (memcmp(co->charter->members[i].pk, co->id.pk, ID_PUBLIC_BYTES) == 0)
			co->self = (int)i;
	if (co->self < 0) {
		char pk[ID_PUBLIC_TEXT_MAX];
		identity_pk_to_text(co->id.pk, pk, sizeof(pk));
		snprintf(err, errlen, "%s: this member's key %s is not in the charter %s",
		    cfg->identity, pk, cfg->charter);
		goto fail;
	}
	if (co->charter->members[co->self].revoked) {
		snprintf(err, errlen, "%s: this member's key is revoked in %s", cfg->identity, cfg->charter);
		goto fail;
	}
	identity_token(co->id.pk, co->self_hex);
	co->floors.max_prefix4 = (uint8_t)cfg->coalition_max_prefix4;
	co->floors.max_prefix6 = (uint8_t)cfg->coalition_max_prefix6;
	co->floors.no_special = !cfg->coalition_allow_special;
	for (int r = 0; r < 3; r++)
		co->floors.not_alone[r] = (cfg->coalition_act_alone & (1u << r)) == 0;
	co->accept = accept_new_floors(co->charter, co->id.pk, allow, (uint32_t)cfg->bantime_max,
	    &co->floors);
	if (co->accept == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	co->ttl_cap = (uint32_t)cfg->bantime_max;
	if ((co->audit = audit_new(co->charter, co->id.pk)) == NULL ||
	    (co->commit = calloc(1, sizeof(*co->commit))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	chain_table_reset(&co->chains, co->charter, (size_t)co->self);
	chain_load_own(&co->chains, co->ledger);
	chain_load_peers(&co->chains, co->ledger, co->accept);
	coalition_budgets_load(co);
	coalition_commit_seq_load(co);
	coalition_audit_seed(co);
	position_load(co);
	/* An unreachable NATS must not take the shield down with it: the
	 * daemon runs alone and coalition_tick keeps trying. */
	if (coalition_connect(co, err, errlen) != 0)
		log_warnx("coalition: %s; working alone, retrying every %ds", err, CONNECT_RETRY_SECS);
	log_info("coalition %s: member %s (%s), %zu members, chain at %llu",
	    co->charter->name, co->charter->members[co->self].name,
	    charter_role_name(co->charter->members[co->self].role), co->charter->nmembers,
	    (unsigned long long)co->chains.heads[co->self].seq);
	return co;
fail:
	coalition_close(co);
	return NULL;
}

void
coalition_close(struct coalition *co)
{
	if (co == NULL)
		return;
	for (size_t i = 0; co->tr != NULL && i < co->npending; i++)
		transport_nak(co->tr, &co->pending[i]);
	position_save(co);
	if (co->tr != NULL)
		transport_close(co->tr);
	accept_free(co->accept);
	audit_free(co->audit);
	free(co->commit);
	journal_close(co->journal);
	identity_wipe(&co->id);
	free(co->charter);
	free(co->out);
	free(co);
}

int
coalition_fd(const struct coalition *co)
{
	return co->tr != NULL ? transport_fd(co->tr) : -1;
}

bool
coalition_enforces(const struct coalition *co)
{
	return co->charter->members[co->self].role == ROLE_MEMBER;
}

void
coalition_log_refusal(struct coalition *co, int member, const char *who, enum accept_reason why,
    const struct a5_prefix *p)
{
	char text[A5_PREFIX_STRLEN] = "-";
	int64_t now = now_sec();

	/* once per burst: one line per member per 10 s; the counters have the rest */
	int64_t *last = member >= 0 ? &co->last_refusal_log[member] : &co->last_stranger_log;
	if (now - *last < 10)
		return;
	*last = now;
	if (p)
		prefix_format(p, text, sizeof(text));
	log_warnx("coalition: refused report from %s (%s): %s", who, text, accept_reason_name(why));
}

int
coalition_member_index(const struct coalition *co, const uint8_t pk[ID_PUBLIC_BYTES])
{
	const struct charter_member *m = charter_find(co->charter, pk);

	return m ? (int)(m - co->charter->members) : -1;
}

bool
coalition_defunct(const struct coalition *co)
{
	return co->defunct;
}

uint64_t
coalition_charter_version(const struct coalition *co)
{
	return co->charter->version;
}

void
coalition_ack(struct coalition *co)
{
	for (size_t i = 0; co->tr != NULL && i < co->npending; i++)
		transport_ack(co->tr, &co->pending[i]);
	co->npending = 0;
}
