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
/* Redelivery of reports not acknowledged (a crash between delivery and ack). */
#define ACK_WAIT_MS 5000

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
	chain_table_reset(&al->chains, al->charter, (size_t)al->self);
	chain_load_own(&al->chains, al->ledger);
	chain_load_peers(&al->chains, al->ledger, al->accept);
	alliance_commit_seq_load(al);
	alliance_audit_seed(al);
	snprintf(al->durable, sizeof(al->durable), "a5-%s", al->self_hex);
	/* An unreachable NATS must not take the shield down with it: the
	 * daemon runs alone and alliance_tick keeps trying. */
	if (alliance_connect(al, err, errlen) != 0)
		log_warnx("coalition: %s; working alone, retrying every %ds", err, CONNECT_RETRY_SECS);
	log_info("coalition %s: member %s (%s), %zu members, chain at %llu",
	    al->charter->name, al->charter->members[al->self].name,
	    charter_role_name(al->charter->members[al->self].role), al->charter->nmembers,
	    (unsigned long long)al->chains.heads[al->self].seq);
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
alliance_log_refusal(struct alliance *al, int member, const char *who, enum accept_reason why,
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

int
alliance_member_index(const struct alliance *al, const uint8_t pk[ID_PUBLIC_BYTES])
{
	const struct charter_member *m = charter_find(al->charter, pk);

	return m ? (int)(m - al->charter->members) : -1;
}

bool
alliance_defunct(const struct alliance *al)
{
	return al->defunct;
}

uint64_t
alliance_charter_version(const struct alliance *al)
{
	return al->charter->version;
}

void
alliance_ack(struct alliance *al)
{
	for (size_t i = 0; al->tr != NULL && i < al->npending; i++)
		transport_ack(al->tr, &al->pending[i]);
	al->npending = 0;
}
