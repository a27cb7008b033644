/* worker.h - the worker's state, shared by its three files: daemon.c (the
 * event loop, and a verdict's records to the enforcer), worker.c (start,
 * reload, stop) and control_handlers.c (the control requests). Nothing
 * outside src/daemon/ includes it. */
#ifndef A5_WORKER_H
#define A5_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/prefixlist.h"
#include "daemon/parent.h"
#include "enforcer/enforcer.h"
#include "http/dashboard.h"
#include "policy/verdict.h"
#include "rules/rules.h"
#include "sensor/sensor.h"

struct daemon {
	struct config *cfg;
	/* the engine (worker.c builds it at start and on SIGHUP) */
	struct ruleset *rs;
	struct rules_scratch *sc;
	struct service_policy *pol;
	struct detector *det;
	struct f2b_services *f2b;
	struct ledger *ledger;
	struct journal *journal;	/* on the ledger's connection: entries join its batch */
	struct privc *pc;		/* to the enforcer process */
	struct sensor *sensor;
	struct coalition *co;		/* NULL: no coalition configured */
	bool mirror;			/* the enforcer keeps a kernel mirror */
	struct prefixlist allow;	/* configured + local addresses */
	int epfd, sigfd, timerfd, ctlfd;
	int commitfd;			/* CLOCK_REALTIME, at each commitment instant; -1: none */
	bool commit_due;
	uint64_t charter_version;	/* in force in the coalition, to see it change */
	int64_t started, last_position_save;
	int64_t chunk_ts;		/* journal timestamp of the current chunk (s), 0 = now */
	bool stop;
	/* counters */
	uint64_t lines, matches, attempts, bans, refused_allow, ledger_errors, reloads;
	uint64_t remote_applied;
	/* failed attempts per service index of rs, since the engine was built
	 * (status SERVICE) */
	uint64_t svc_attempts[RULES_SERVICES_MAX];
	/* metrics and dashboard (web.c) */
	struct metrics *metrics;	/* always: the control socket's `metrics` */
	struct http_server *http;	/* NULL: no `http` line */
	struct dash_feed feed;		/* with http only */
	/* the heartbeat to the enforcer process (worker_heartbeat) */
	uint32_t hups;			/* SIGHUPs handled */
	uint64_t active_bans, active_counted_at_bans;
	int64_t active_counted_at;
};

/* --- daemon.c --- */

/* Queue one record for the enforcer process: op on p in group, timeout
 * ttl seconds (0: none). */
void enforce_group(struct daemon *d, enum enf_op op, int group, const struct a5_prefix *p,
    uint32_t ttl);
/* Queue p into the coalition sets until deadline (to the millisecond). */
void enforce_until(struct daemon *d, const struct a5_prefix *p, int64_t deadline);
/* Asks policy/verdict.c for a ban and carries the verdict out: the record
 * to the enforcer, the ban to the coalition. 0 (banned, already banned,
 * or observed), or -1 when refused, with the reason in err. */
int daemon_ban(struct daemon *d, const struct ban_request *req, char *err, size_t errlen);
/* Commits the ledger batch (the outermost ledger_begin's); a failure is
 * counted in ledger_errors and logged. */
void daemon_commit(struct daemon *d);
/* Adds fd to the loop's epoll set (readable). 0 or -1. */
int daemon_watch(int epfd, int fd);

/* --- worker.c --- */

/* Everything the loop needs: the secret key, the sandbox, the engine, the
 * ledger (its bans restored to the kernel), the coalition, the timers, the
 * sources (their chunks go to on_lines). d is zeroed but for d->pc on
 * entry. 0, or -1 (logged); either way worker_stop releases what was set
 * up. */
int worker_start(struct daemon *d, struct parent *p, sensor_lines_cb on_lines);
/* SIGHUP, or `reload` on the control socket: configuration, engine and
 * allowlist again (sources stay). 0, or -1 with the running configuration
 * kept (logged, and the reason in why unless NULL). */
int worker_reload(struct daemon *d, char *why, size_t whylen);
/* Saves each source's position in the ledger (resumed after a restart). */
void worker_save_positions(struct daemon *d);
void worker_stop(struct daemon *d, const struct parent *p);
/* PRIV_ALIVE to the enforcer process: each second (on_tick) and after a
 * SIGHUP; it feeds systemd's watchdog and STATUS (docs/systemd.md). */
void worker_heartbeat(struct daemon *d);

/* --- commitments.c --- */

/* Arms d->commitfd for the next commitment instant, or disarms it when
 * the charter has no commitments (any more). 0 or -1. */
int commit_arm(struct daemon *d);
/* d->commitfd fired: a commitment is due at the end of this batch. */
void commit_timer_fired(struct daemon *d);
/* Publishes the commitment that is due (after the batch's nftables
 * commit, so that the digest includes it). */
void commit_now(struct daemon *d);
/* A charter update was adopted: the timer follows its period. */
void commit_follow_charter(struct daemon *d);

/* --- web.c --- */

/* The metrics, and with an `http` line the feed and the server (bound and
 * its token read here: call before the worker confines itself). 0, or -1
 * (logged). */
int web_open(struct daemon *d);
void web_close(struct daemon *d);
/* The loop's updates (cheap: a hash lookup each). */
void web_lines(struct daemon *d, const char *source, uint64_t n);
void web_attempt(struct daemon *d, const struct a5_prefix *addr, const char *service,
    const char *rule);
void web_ban(struct daemon *d, const struct a5_prefix *p, const char *service, const char *origin,
    int64_t reported_us);
/* A coalition ban reported by member: counted under its service only when
 * this host has a service of that name (or "manual"), else under
 * WEB_SERVICE_OTHER, so that reports cannot fill the label sets. */
#define WEB_SERVICE_OTHER "other"
void web_ban_remote(struct daemon *d, const struct a5_prefix *p, const char *service,
    const char *member, int64_t reported_us);
struct outbuf;
/* The control socket's `metrics`: Prometheus text, or JSON. */
void web_metrics(struct daemon *d, struct outbuf *out, int json);

/* --- control_handlers.c --- */

/* Serves the control socket's pending connections: one request each,
 * answered, closed. */
void control_serve(struct daemon *d);

#endif
