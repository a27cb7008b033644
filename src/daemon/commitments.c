/* commitments.c - the worker's commitment timer: the instants at which
 * this member publishes the digest of its coalition sets
 * (docs/commitment.md), re-armed at each instant and when an adopted
 * charter changes the period. */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "coalition/coalition.h"
#include "daemon/privsep.h"
#include "daemon/worker.h"
#include "enforcer/kset.h"
#include "ledger/ledger.h"

/* Commitments are taken between a quarter and three quarters of a period
 * after each multiple of the period (wall clock), at this member's phase
 * (coalition_commit_phase_ms): deadlines are multiples of the period, so
 * no ban is ever about to expire at the instant its digest is read
 * (docs/commitment.md). */
int
commit_arm(struct daemon *d)
{
	struct timespec now;
	struct itimerspec its;
	int64_t q = coalition_commit_period(d->co) * 1000;

	memset(&its, 0, sizeof(its));
	if (q <= 0)	/* no commitments (any more): disarmed */
		return timerfd_settime(d->commitfd, 0, &its, NULL);
	int64_t phase = coalition_commit_phase_ms(d->co);
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	int64_t next = (now_ms - phase) / q * q + q + phase;
	if (next <= now_ms)
		next += q;
	its.it_value.tv_sec = (time_t)(next / 1000);
	its.it_value.tv_nsec = (long)(next % 1000) * 1000000L;
	return timerfd_settime(d->commitfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* A charter update was adopted from the stream: this member's role or the
 * commit period may have changed, so the commitment timer follows. */
void
commit_follow_charter(struct daemon *d)
{
	d->charter_version = coalition_charter_version(d->co);
	privc_scope(d->pc, d->cfg);	/* the enforcer protects the new members' prefixes */
	if (d->commitfd < 0 && coalition_commit_period(d->co) > 0 &&
	    ((d->commitfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    daemon_watch(d->epfd, d->commitfd) != 0)) {
		log_warn("commitment timer");
		return;
	}
	if (d->commitfd >= 0 && commit_arm(d) != 0)
		log_warn("commitment timer");
}

/* Reads the digest of the coalition sets from the kernel mirror, after the
 * events of this iteration's nftables commit, and publishes the
 * commitment. Without a mirror (observe mode, no CAP) it says so. */
void
commit_now(struct daemon *d)
{
	uint8_t dg[KSET_DIGEST_LEN];
	uint64_t n = 0;
	const uint8_t *digest = NULL;

	d->commit_due = false;
	if (d->mirror && privc_digest(d->pc, ENF_GROUP_COALITION, dg, &n) == 0)
		digest = dg;
	ledger_begin(d->ledger);
	coalition_commit(d->co, digest, n);
	daemon_commit(d);
}

void
commit_timer_fired(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->commitfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("timerfd");
	d->commit_due = true;
	if (commit_arm(d) != 0)
		log_warn("commitment timer");
}
