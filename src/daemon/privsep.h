/* privsep.h - the daemon's two processes and what passes between them
 * (docs/privsep.md).
 *
 * The enforcer process keeps root (CAP_NET_ADMIN) and parses nothing at
 * run time: it owns the nftables table and the kernel mirror, and reads
 * fixed-size messages from the worker over a socketpair. The worker reads
 * logs, the configuration, the charter, the coalition and control
 * requests, unprivileged and sandboxed, and hands the enforcer process
 * what it needs of them as records.
 *
 * A message is one SOCK_SEQPACKET datagram: a header, and n fixed-size
 * records of the one kind its type takes (none for most); its size must be
 * exactly that. Every ban record is checked again by enf_queue (form,
 * allowlist, ttl cap). PRIV_RECORDS, PRIV_ALLOW, PRIV_PROTECT,
 * PRIV_READY and PRIV_ALIVE have no reply; every other request is
 * answered with one struct priv_reply. A message of any other size or
 * type ends the worker (it is restarted). */
#ifndef A5_PRIVSEP_H
#define A5_PRIVSEP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "enforcer/enforcer.h"
#include "enforcer/kset.h"
#include "common/prefixlist.h"

#define PRIV_BATCH 512		/* records per message */

enum priv_type {
	PRIV_RECORDS = 1,	/* n records to queue; no reply */
	PRIV_COMMIT,		/* apply what is queued; reply rc = records failed */
	PRIV_FLUSH,		/* empty every set; reply rc 0 / -1 */
	PRIV_STATS,		/* reply: the enforcer's counters */
	PRIV_DIGEST,		/* arg: group, or -1 for both; reply digest + count */
	PRIV_RELOAD,		/* one priv_policy: reopen the enforcer with it and
				 * the PRIV_ALLOW prefixes sent since the last one;
				 * reply rc 0 / -1 */
	PRIV_READY,		/* the worker is up: later deaths are restarted */
	PRIV_ALLOW,		/* n a5_prefix: the reloaded allowlist, kept for
				 * the next PRIV_RELOAD; no reply */
	PRIV_PROTECT,		/* n a5_prefix: charter members' own prefixes,
				 * protected from coalition bans at once (the
				 * list only grows); no reply */
	PRIV_ALIVE,		/* one priv_alive, each second and after a
				 * SIGHUP: the worker's loop turns (systemd's
				 * watchdog, docs/systemd.md); no reply */
	PRIV_APPLY,		/* n records (0 to PRIV_BATCH) to queue, then
				 * apply all that is queued, as PRIV_COMMIT; no
				 * reply (failures are logged and counted there) */
};

struct priv_hdr {
	uint32_t type;
	uint32_t n;		/* records or prefixes that follow */
	int32_t arg;
	uint32_t zero;
};

/* The reloaded configuration as the enforcer process needs it; the
 * allowlist comes before it in PRIV_ALLOW messages. */
struct priv_policy {
	uint32_t ttl_max;		/* bantime_max, seconds (0: no cap) */
	uint8_t observe;		/* 0 or 1 */
	uint8_t max_prefix4;		/* the configured charter's policy; 0 0: */
	uint8_t max_prefix6;		/* no coalition */
	uint8_t zero;
};

/* The worker's heartbeat: numbers for systemd's STATUS line, and how many
 * SIGHUPs it has handled (a reload ends when that count moves). Nothing
 * in it reaches the kernel: a worker that lies only lies in STATUS. */
struct priv_alive {
	uint32_t sources;		/* log sources open */
	uint32_t hups;			/* SIGHUPs handled since this worker started */
	uint32_t reloads;		/* of which accepted */
	uint32_t zero;
	uint64_t bans_active;		/* local bans in force (the ledger's count) */
};

/* Digest answers: rc 0 digest valid; PRIV_NO_MIRROR none is kept; -1 the
 * mirror is being re-read (events were lost). */
#define PRIV_NO_MIRROR 1

struct priv_reply {
	int32_t rc;
	uint32_t zero;
	uint64_t count;
	uint8_t digest[KSET_DIGEST_LEN];
	struct enf_stats stats;
};

/* --- the enforcer process's side --- */

struct privs {
	struct enforcer *enf;
	struct kset *kset;		/* NULL: no mirror */
	/* Coalition additions are also checked against the charter's scope:
	 * no member's own prefix, nothing wider than the policy allows
	 * (max_prefix4/6; 0 = no coalition). The configured charter read at
	 * start gives the floor (max_floor4/6: a reload may narrow, never
	 * widen); PRIV_PROTECT adds members' prefixes, never removes any. */
	struct prefixlist protect;
	uint8_t max_prefix4, max_prefix6;
	uint8_t max_floor4, max_floor6;
	uint64_t refused_scope;
	uint64_t protect_dropped;	/* member prefixes past PREFIXLIST_MAX */
	/* PRIV_ALLOW prefixes waiting for the next PRIV_RELOAD */
	struct prefixlist allow_next;
	/* PRIV_RELOAD: reopens the enforcer with pol and allow (the worker's
	 * list as sent: the hook adds what must stay allowed); 0 or -1 */
	int (*reload)(void *arg, const struct priv_policy *pol, const struct prefixlist *allow);
	void *arg;
	bool ready;			/* the current worker said PRIV_READY */
	struct priv_alive alive;	/* its last PRIV_ALIVE */
};

/* Handles one message from the worker; fills *reply and returns 1 when one
 * is due, 0 when not, 2 when none is due but the worker's turn ended
 * (PRIV_APPLY), -1 when the message is malformed (the worker must be
 * ended). */
int priv_handle(struct privs *s, const void *msg, size_t len, struct priv_reply *reply);

/* --- the worker's side: the same calls as enforcer.h, over the socket --- */

struct privc;

struct privc *privc_new(int fd);
void privc_free(struct privc *c);
/* Buffers r; sends a full batch. 0, or -1 if the enforcer is gone. */
int privc_queue(struct privc *c, const struct enf_record *r);
/* Records queued since the last commit. */
unsigned privc_pending(const struct privc *c);
/* Sends what is buffered and waits until the enforcer applied it: the
 * number of records the kernel refused, or -1 if the enforcer is gone. */
int privc_commit(struct privc *c);
/* Sends what is buffered to be applied, without waiting: 0, or -1 if the
 * enforcer is gone. Later requests are answered after it is applied (one
 * socket, in order). */
int privc_apply(struct privc *c);
int privc_flush(struct privc *c);
int privc_stats(struct privc *c, struct enf_stats *out);
/* group: ENF_GROUP_LOCAL/COALITION, or -1 for both. 0, PRIV_NO_MIRROR, or
 * -1 (mirror being re-read, or the enforcer is gone). */
int privc_digest(struct privc *c, int group, uint8_t out[KSET_DIGEST_LEN], uint64_t *count);
/* The reloaded configuration cfg: the charter scope (privc_scope), the
 * allowlist, then PRIV_RELOAD with the mode, ttl cap and the configured
 * charter's widest prefixes. 0, or -1 if the enforcer refused it or is
 * gone. */
struct config;
int privc_policy(struct privc *c, const struct config *cfg);
/* Every member prefix of the charters cfg names (the configured file and
 * the copy adopted from the stream, read here, in the worker) for the
 * enforcer process to protect from coalition bans. Called at start and
 * when a charter update was adopted. 0, or -1 if the enforcer is gone. */
int privc_scope(struct privc *c, const struct config *cfg);
int privc_ready(struct privc *c);
/* The heartbeat (PRIV_ALIVE). 0, or -1 if the enforcer is gone. */
int privc_alive(struct privc *c, const struct priv_alive *a);
/* 1 once a call found the enforcer gone (the worker should stop). */
bool privc_broken(const struct privc *c);

#endif
