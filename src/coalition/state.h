/* state.h - what the files behind coalition.h share: this member's state in
 * its coalition, and the calls between them. Not for use outside
 * src/coalition. */
#ifndef A5_COALITION_STATE_H
#define A5_COALITION_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "coalition/accept.h"
#include "coalition/chain.h"
#include "coalition/charter.h"
#include "coalition/coalition.h"
#include "coalition/identity.h"
#include "coalition/transport.h"
#include "coalition/wire.h"

/* Unbans revoked per loop iteration: operator actions, so few. */
#define COALITION_REVOKES_MAX 64

struct coalition {
	struct charter *charter;
	struct identity id;
	int self;			/* index in the charter */
	struct accept *accept;
	struct accept_floors floors;	/* article5.conf's, under every charter */
	struct transport *tr;
	struct ledger *ledger;
	struct journal *journal;	/* on the ledger's connection */
	char self_hex[ID_TOKEN_TEXT];
	/* the stream's position (transport_position), kept in the ledger:
	 * the next connection reads the stream after it */
	uint64_t stream_pos;
	int64_t stream_created;		/* the stream's creation (ns) at that position */
	int64_t next_pos_save;
	int64_t next_connect;		/* while tr is NULL: when to try again */
	int64_t next_expire;		/* next pruning of stored envelopes */
	struct chain_table chains;	/* own chain and the others' (chain.h) */
	struct wire_envelope *out;	/* local bans of this iteration */
	/* local unbans of this iteration, to revoke if this member reported
	 * them (docs/protocol.md "Revocations"); beyond the cap, not revoked */
	struct a5_prefix revokes[COALITION_REVOKES_MAX];
	size_t nrevokes;
	uint64_t revokes_sent, bans_kept_local;
	/* bans already held that a member (self: a local detection) reported
	 * again: counted, not re-sent (coalition_corroborated); by index in
	 * the charter in force, a name it no longer has in _other */
	uint64_t corroborations[CHARTER_MEMBERS_MAX];
	uint64_t corroborations_other;
	/* received, to ack after the caller's commit */
	struct transport_msg pending[COALITION_RECEIVE_MAX];
	size_t npending;
	uint64_t sent, publish_errors, outbox_len;
	/* outbox envelopes handed to libnats, not yet stored or failed
	 * (transport_publish_async): not sent again meanwhile */
	char inflight[TRANSPORT_PUB_INFLIGHT][TRANSPORT_MSGID_MAX + 1];
	size_t ninflight;
	/* the outbox may hold an envelope not in flight: walk it (a walk
	 * reads every envelope from SQLite, once per loop iteration) */
	bool outbox_walk;
	int64_t last_publish_error_log;
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
	uint64_t commits_held;		/* of the skipped, for a hole in a chain */
	uint64_t redelivered;		/* chain links processed already, delivered again */
	bool holding;			/* the last period was one of those */
	uint64_t invalid_commitments, declines_made;
	uint64_t commitments_unassigned;	/* others' to audit (auditors K): not verified */
	uint64_t reconnects_seen;	/* the transport's reconnects when last looked at */
	uint64_t kdropped_seen;		/* and its commitments_dropped */
	bool watch_failed;		/* coalition_watch_commitments: tried again each tick */
	int64_t last_watch_log;		/* its failure, logged once a minute */
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
};

/* coalition.c */
/* Index of pk in the charter in force, or -1. */
int coalition_member_index(const struct coalition *co, const uint8_t pk[ID_PUBLIC_BYTES]);
/* Logs a refused report or envelope once per burst (member -1: a sender
 * that is not a member); the counters have the rest. p may be NULL. */
void coalition_log_refusal(struct coalition *co, int member, const char *who,
    enum accept_reason why, const struct a5_prefix *p);

/* receive.c */
/* False (counted and logged) if msg names a signer that is not in the
 * charter: refused before any signature check. */
bool coalition_sender_known(struct coalition *co, const struct transport_msg *msg);
/* Decides on n messages taken from the transport (coalition_receive) and
 * appends the reports to apply to out; a test hands it messages of its own. */
void coalition_handle(struct coalition *co, const struct transport_msg *msgs, size_t n,
    struct coalition_batch *out);

/* proof.c */
/* Gossips a fork found here: a and b, two envelopes of reporter numbered seq. */
void coalition_proof_publish(struct coalition *co, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* A fork of reporter's chain at seq found here with message msg (an
 * envelope or a revocation): the message kept as evidence at seq is looked
 * up, and when the two make a valid proof it is stored, journaled and
 * gossiped. 1 proof kept, 0 none (nothing kept at seq, or no valid pair). */
int coalition_fork_proof(struct coalition *co, const uint8_t reporter[ID_PUBLIC_BYTES],
    uint64_t seq, const uint8_t *msg, size_t len, int64_t now);
void coalition_proof_received(struct coalition *co, const struct transport_msg *msg);

/* coalition.c */
/* Rebuilds every member's budget use (accept_budget_restore) from the
 * coalition bans in force in the ledger and who asked for them (corigins):
 * at a start and with an adopted charter, so that neither gives a member
 * over its budget a fresh one. One pass over the rows in force. */
void coalition_budgets_load(struct coalition *co);

/* adopt.c */
void coalition_charter_received(struct coalition *co, const struct transport_msg *msg);

/* commitment.c */
/* Whether report r of member mi, decided d, obliges the coalition (the
 * audit logs it). */
bool coalition_report_obliges(const struct coalition *co, int mi, const struct wire_report *r,
    const struct accept_decision *d);
void coalition_commitment_received(struct coalition *co, const struct transport_msg *msg);
/* Subscribes to the commitments of the members this one audits (after a
 * connection and with every adopted charter). */
void coalition_watch_commitments(struct coalition *co);
/* Once a tick, before transport_tick: after a reconnect or an overflow,
 * the commitments published meanwhile were not heard here, and the next
 * gap is not counted against their authors; a failed watch is retried. */
void coalition_commitments_tick(struct coalition *co);
/* Rebuilds the audit's record of obligations from the stored envelopes. */
void coalition_audit_seed(struct coalition *co);
void coalition_commit_seq_load(struct coalition *co);

#endif
