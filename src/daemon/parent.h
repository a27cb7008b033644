/* parent.h - the daemon's privileged process: it sets up what needs root,
 * starts the sandboxed worker, applies the worker's records to the kernel
 * and restarts the worker if it dies (docs/privsep.md). */
#ifndef A5_PARENT_H
#define A5_PARENT_H

#include <stdbool.h>

#include "daemon/config.h"
#include "daemon/privsep.h"
#include "daemon/sandbox.h"

struct parent {
	struct config *cfg;		/* parsed at start; the worker gets a copy */
	bool reloaded;			/* PRIV_RELOAD applied: a new worker reads
					 * the file again (it may have changed) */
	struct privs s;
	struct sandbox_user user;
	bool drop;			/* started as root: each worker drops to user */
	bool mirror;			/* a kernel mirror is kept (s.kset, or retried) */
	int ctlfd;			/* the control socket, made here, served by the worker */
	pid_t pid;			/* this process */
	/* systemd (notify.c, docs/systemd.md): what was said, and when the
	 * worker was last heard from (CLOCK_MONOTONIC, microseconds) */
	int64_t heard_us, pinged_us, spawned_us;
	bool said_ready, reloading, observe;
	pid_t reload_worker;		/* the worker SIGHUP was forwarded to */
	uint32_t reload_hups, reload_oks;	/* its counts when it was */
	int64_t reload_since_us;
	bool reload_refused;		/* the last reload was refused */
	/* The worker's main, in the forked process; fd is its end of the
	 * socketpair. Returns the exit status. */
	int (*worker)(struct parent *p, int fd);
};

/* As root (or not): the state directory, the enforcer, the kernel mirror,
 * the control socket, the charter's scope. 0, or -1 with err. */
int parent_setup(struct parent *p, char *err, size_t errlen);

/* Starts the worker and serves it until SIGTERM/SIGINT (forwarded to it);
 * SIGHUP is forwarded too. A worker that dies after it said it was ready
 * is started again (1 s, doubling to 30 s); the kernel sets stay as they
 * are meanwhile. One that dies before is not: the daemon exits 1. Returns
 * the exit status. The caller blocks SIGTERM, SIGINT, SIGHUP and SIGCHLD
 * first, before any process or thread exists. */
int parent_run(struct parent *p);

#endif
