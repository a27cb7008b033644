/* parent.c - the privileged process (parent.h, docs/privsep.md). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coalition/charter.h"
#include "common/log.h"
#include "daemon/control.h"
#include "daemon/notify.h"
#include "daemon/parent.h"

#define RESTART_MIN_SECS 1
#define RESTART_MAX_SECS 30
#define STABLE_SECS 60		/* a worker up this long resets the backoff */
#define STOP_GRACE_SECS 10	/* then SIGKILL */
#define VERIFY_SECS 600		/* kernel mirror cross-check */
#define START_GRACE_US (120 * 1000000LL)	/* a restarted worker's start, watchdog-wise */
#define RELOAD_WAIT_US (60 * 1000000LL)	/* then the reload is said over anyway */

static int64_t
mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The coalition scope this process enforces on its own, as the
 * configured charter gives it at start: its members' prefixes, and its
 * widest prefixes as the floor no reload may go below. The charter is the
 * administrator's file, read before any worker exists; the copy adopted
 * from the stream is the worker's to read (it writes it): its members'
 * prefixes come as PRIV_PROTECT records (privc_scope). */
static void
scope_build(struct privs *s, const struct config *cfg)
{
	static struct charter c;	/* large: not on the stack */
	char err[512];

	prefixlist_init(&s->protect);
	s->max_prefix4 = s->max_prefix6 = 0;
	if (cfg->charter[0] == '\0')
		return;
	if (charter_load(cfg->charter, &c, err, sizeof(err)) != 0) {
		log_warnx("enforcer: %s; coalition bans refused", err);
		return;
	}
	s->max_prefix4 = s->max_floor4 = c.policy.max_prefix4;
	s->max_prefix6 = s->max_floor6 = c.policy.max_prefix6;
	for (size_t i = 0; i < c.nmembers; i++)
		for (size_t j = 0; j < c.members[i].nprefixes; j++)
			if (prefixlist_add(&s->protect, &c.members[i].prefixes[j]) != 0)
				log_warnx("enforcer: more than %d member prefixes; the rest are "
				    "checked by the worker only", PREFIXLIST_MAX);
}

/* PRIV_RELOAD: the worker read the administrator's file again and sent
 * what this process needs of it; nothing is parsed here. The enforcer is
 * reopened with that mode and ttl cap, and an allowlist that keeps what
 * the file allowed at start and every address of this host (a worker
 * cannot take them off: see docs/privsep.md); the kernel sets are kept. */
static int
parent_reload(void *arg, const struct priv_policy *pol, const struct prefixlist *sent)
{
	struct parent *p = arg;
	struct prefixlist *allow = malloc(sizeof(*allow));
	struct enforcer *nenf;
	char err[1024];
	int rc = -1;

	if (allow == NULL)
		return -1;
	*allow = *sent;
	for (size_t i = 0; i < p->cfg->allow.n; i++)
		if (prefixlist_add(allow, &p->cfg->allow.p[i]) != 0) {
			log_warnx("enforcer: reload refused: more than %d allow prefixes",
			    PREFIXLIST_MAX);
			goto out;
		}
	if (prefixlist_add_local(allow) < 0)
		log_warn("enforcer: cannot list this host's addresses; only configured ones are allowed");
	enf_commit(p->s.enf);
	if ((nenf = enf_open(pol->observe != 0, allow, pol->ttl_max, err, sizeof(err))) == NULL) {
		log_warnx("enforcer: reload refused: %s", err);
		goto out;
	}
	enf_close(p->s.enf);
	p->s.enf = nenf;
	p->reloaded = true;
	p->observe = pol->observe != 0;
	rc = 0;
out:
	free(allow);
	return rc;
}

/* In a worker started again after a reload: the configuration as it was
 * last reloaded, read here, in the worker's process before it confines
 * itself, as at the first start. What was set up at start stays until
 * restart: the state directory, the control socket and the user. If the
 * file no longer parses, the one read at start is kept. */
static void
worker_config(struct parent *p)
{
	struct config *ncfg = calloc(1, sizeof(*ncfg));
	char err[1024];

	if (ncfg == NULL)
		return;
	config_defaults(ncfg);
	if (config_load(p->cfg->path, ncfg, err, sizeof(err)) != 0) {
		log_warnx("worker: %s; keeping the configuration read at start", err);
		free(ncfg);
		return;
	}
	memcpy(ncfg->state_dir, p->cfg->state_dir, sizeof(ncfg->state_dir));
	memcpy(ncfg->control_socket, p->cfg->control_socket, sizeof(ncfg->control_socket));
	memcpy(ncfg->control_group, p->cfg->control_group, sizeof(ncfg->control_group));
	memcpy(ncfg->user, p->cfg->user, sizeof(ncfg->user));
	free(p->cfg);
	p->cfg = ncfg;
}

int
parent_setup(struct parent *p, char *err, size_t errlen)
{
	struct prefixlist *allow = malloc(sizeof(*allow));
	const struct config *cfg = p->cfg;
	int rc = -1;

	p->ctlfd = -1;
	p->pid = getpid();
	p->s.reload = parent_reload;
	p->s.arg = p;
	p->observe = cfg->observe;
	if (allow == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->drop = geteuid() == 0;
	if (p->drop) {
		if (sandbox_lookup(cfg->user, &p->user, err, errlen) != 0 ||
		    sandbox_own_dir(cfg->state_dir, &p->user, err, errlen) != 0)
			goto out;
	} else if (mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %s: %s", cfg->state_dir, strerror(errno));
		goto out;
	}
	if (config_allowlist(cfg, allow) < 0)
		log_warn("cannot list this host's addresses; only configured ones are allowed");
	if ((p->s.enf = enf_open(cfg->observe, allow, (uint32_t)cfg->bantime_max, err,
	    errlen)) == NULL)
		goto out;
	/* The digest of what the kernel really holds, kept from nf_tables
	 * events (docs/commitment.md); the shield works without it. Its first
	 * read of the sets is O(set size) in the kernel (about 40 s for 1M
	 * bans), so a host that works alone only pays it on request. */
	p->mirror = !cfg->observe && (cfg->kernel_mirror == 1 ||
	    (cfg->kernel_mirror == -1 && cfg->charter[0] != '\0'));
	if (p->mirror && (p->s.kset = kset_open(err, errlen)) == NULL) {
		log_warnx("kernel mirror: %s; status shows no kernel digest", err);
		err[0] = '\0';
	}
	scope_build(&p->s, cfg);
	if ((p->ctlfd = control_listen(cfg->control_socket, cfg->control_group)) < 0) {
		snprintf(err, errlen, "control socket %s: see above", cfg->control_socket);
		goto out;
	}
	/* What needed more (the state directory's owner, the socket) is done. */
	if (p->drop ? sandbox_parent_caps(err, errlen) != 0 :
	    sandbox_parent_caps_unprivileged(err, errlen) != 0)
		goto out;
	rc = 0;
out:
	free(allow);
	return rc;
}

/* In the forked process: what the worker must not keep, then its main. */
static pid_t
spawn(struct parent *p, int sigfd, int *wfd)
{
	int sv[2];
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("enforcer: socketpair");
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_warn("enforcer: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		close(sigfd);
		notify_forget();	/* systemd hears the enforcer process only */
		/* The worker never outlives the enforcer: without it nothing
		 * it decides reaches the kernel. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(1);
		enf_close(p->s.enf);
		kset_close(p->s.kset);
		p->s.enf = NULL;
		p->s.kset = NULL;
		if (p->reloaded)
			worker_config(p);
		int rc = p->worker(p, sv[1]);
		fflush(NULL);
		_exit(rc);
	}
	close(sv[1]);
	*wfd = sv[0];
	return pid;
}

/* Everything the worker sent: 0, or -1 once it is gone or must go. */
static int
serve(struct parent *p, int fd, pid_t worker)
{
	unsigned char buf[sizeof(struct priv_hdr) + PRIV_BATCH * sizeof(struct enf_record)];
	struct priv_reply reply;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;	/* closed: SIGCHLD follows */
		p->heard_us = mono_us();
		int r = (size_t)n > sizeof(buf) ? -1 : priv_handle(&p->s, buf, (size_t)n, &reply);
		if (r < 0) {
			log_warnx("enforcer: malformed message from the worker (%zd bytes): ending it",
			    n);
			kill(worker, SIGKILL);
			return -1;
		}
		if (r == 1 && send(fd, &reply, sizeof(reply), MSG_NOSIGNAL) != (ssize_t)sizeof(reply)) {
			log_warn("enforcer: reply to the worker");
			return -1;
		}
		/* After a reply, or the APPLY that ends a turn of the worker's
		 * loop, back to poll: a read would most often find EAGAIN (the
		 * worker waits for a reply; after an APPLY it waits for its
		 * next event), and when the worker sends faster than the
		 * kernel takes its records, poll still comes round to the
		 * signals, the watchdog and the mirror's events. */
		if (r >= 1)
			return 0;
	}
}

static void
describe(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(buf, n, "was killed by SIGSYS: a forbidden system call (seccomp)");
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "ended (status %#x)", status);
}

/* --- systemd (notify.c): the enforcer process speaks for the service --- */

/* "protecting: 3 sources, 12 bans in force", from the worker's last
 * heartbeat. */
static void
status_text(const struct parent *p, char *buf, size_t n)
{
	const struct priv_alive *a = &p->s.alive;

	snprintf(buf, n, "%s%s: %u source%s, %llu ban%s in force",
	    p->reload_refused ? "last reload refused (see the log); " : "",
	    p->observe ? "observing (mode observe)" : "protecting", a->sources,
	    a->sources == 1 ? "" : "s", (unsigned long long)a->bans_active,
	    a->bans_active == 1 ? "" : "s");
}

static void
sd_reload_begin(struct parent *p, pid_t worker)
{
	notify_reloading();
	if (!p->reloading) {
		p->reload_hups = p->s.alive.hups;
		p->reload_oks = p->s.alive.reloads;
	}
	p->reloading = true;
	p->reload_worker = worker;
	p->reload_since_us = mono_us();
}

/* After the worker's messages: READY once it protects; a reload is over
 * when the worker's count of SIGHUPs moved (a refused reload too: the
 * old configuration runs on), when a new worker is ready, or after
 * RELOAD_WAIT_US; systemd waits for READY=1 after RELOADING=1. Else the
 * STATUS line follows the heartbeat. */
static void
sd_after_serve(struct parent *p, pid_t worker)
{
	char status[200];

	if (!p->s.ready)
		return;
	if (p->reloading) {
		bool moved = worker == p->reload_worker && p->s.alive.hups != p->reload_hups;
		if (moved || worker != p->reload_worker ||
		    mono_us() - p->reload_since_us >= RELOAD_WAIT_US) {
			p->reload_refused = worker == p->reload_worker &&
			    p->s.alive.reloads == p->reload_oks;
			p->reloading = false;
			status_text(p, status, sizeof(status));
			notify_ready(status);
		}
		return;
	}
	status_text(p, status, sizeof(status));
	if (!p->said_ready) {
		p->said_ready = true;
		notify_ready(status);
	} else
		notify_status(status);
}

/* WATCHDOG=1 every half period, if the worker was heard from since the
 * last one: a worker stuck in a loop stops the pings, and systemd
 * restarts the service. While the worker is being restarted the enforcer
 * process answers for itself: the restart is its own, bounded, doing. */
static void
sd_watchdog(struct parent *p, pid_t worker, bool stopping)
{
	int64_t wd = (int64_t)notify_watchdog_usec(), now = mono_us();
	bool alive;

	if (wd == 0 || now - p->pinged_us < wd / 2)
		return;
	if (worker <= 0 || stopping)
		alive = true;
	else if (!p->s.ready)
		alive = now - p->spawned_us < START_GRACE_US;
	else
		alive = p->heard_us > p->pinged_us;
	if (alive) {
		notify_watchdog();
		p->pinged_us = now;
	}
}

/* The poll's timeout: a second, or less for a short watchdog period. */
static int
poll_ms(void)
{
	int64_t wd = (int64_t)notify_watchdog_usec() / 4000;

	return wd > 0 && wd < 1000 ? (wd < 10 ? 10 : (int)wd) : 1000;
}

int
parent_run(struct parent *p)
{
	sigset_t mask;
	int sigfd, wfd = -1, rc = 1;
	pid_t worker = -1;
	bool stopping = false;
	int64_t backoff = RESTART_MIN_SECS, next_spawn = 0, started = 0, kill_at = 0;
	int64_t next_verify = mono_sec() + VERIFY_SECS;

	/* cmd_daemon blocked SIGTERM, SIGINT, SIGHUP and SIGCHLD before
	 * anything started: they are read here. */
	sigprocmask(SIG_BLOCK, NULL, &mask);
	notify_init();
	p->pinged_us = mono_us();
	if ((sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		log_warn("enforcer: signalfd");
		goto out;
	}
	for (;;) {
		int64_t now = mono_sec();
		if (worker < 0 && !stopping && now >= next_spawn) {
			p->s.ready = false;
			if ((worker = spawn(p, sigfd, &wfd)) < 0)
				goto out;
			started = now;
			p->spawned_us = mono_us();
		}
		if (stopping && worker > 0 && kill_at > 0 && now >= kill_at) {
			log_warnx("enforcer: worker did not stop in %d s: killing it", STOP_GRACE_SECS);
			kill(worker, SIGKILL);
			kill_at = 0;
		}
		struct pollfd fds[3] = {
			{ sigfd, POLLIN, 0 },
			{ wfd, POLLIN, 0 },
			{ p->s.kset != NULL ? kset_fd(p->s.kset) : -1, POLLIN, 0 },
		};
		if (poll(fds, 3, poll_ms()) < 0 && errno != EINTR) {
			log_warn("enforcer: poll");
			goto out;
		}
		if (wfd >= 0 && fds[1].revents != 0 && serve(p, wfd, worker) != 0) {
			close(wfd);
			wfd = -1;
		}
		if (!stopping)
			sd_after_serve(p, worker);
		sd_watchdog(p, worker, stopping);
		/* The kernel queues the events of a commit on the mirror's
		 * socket before it acknowledges the commit: read with the
		 * worker's messages, they cost no turn of their own (a poll and
		 * a wake-up for every batch the worker commits; docs/bench.md,
		 * "rx-cost"). */
		if ((fds[2].revents != 0 || fds[1].revents != 0) && p->s.kset != NULL &&
		    kset_dispatch(p->s.kset) < 0)
			log_warn("kernel mirror");
		if (p->s.kset != NULL && now >= next_verify) {
			int fixed = kset_verify(p->s.kset);
			if (fixed > 0)
				log_warnx("kernel mirror: %d sets were out of step, re-read", fixed);
			next_verify = now + VERIFY_SECS;
		}
		/* Signals, and the worker's exit (SIGCHLD, blocked: it waits
		 * in the signalfd), only when the signalfd is readable: the
		 * loop turns for every batch of bans the worker commits, and a
		 * read and a waitpid that find nothing were two system calls
		 * a turn (docs/bench.md, "rx-cost"). */
		if (fds[0].revents == 0)
			continue;
		struct signalfd_siginfo si;
		while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				if (worker > 0 && p->s.ready && !stopping) {
					sd_reload_begin(p, worker);
					kill(worker, SIGHUP);
				} else if (!stopping)
					log_warnx("SIGHUP: no worker is running; it reads the "
					    "configuration when it starts again");
			} else if (si.ssi_signo != SIGCHLD) {
				if (!stopping) {
					log_info("signal %d: stopping", (int)si.ssi_signo);
					notify_stopping();
				}
				stopping = true;
				if (worker <= 0) {
					rc = 0;
					goto out;
				}
				kill(worker, SIGTERM);
				kill_at = mono_sec() + STOP_GRACE_SECS;
			}
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid != worker)
				continue;
			char how[96];
			describe(status, how, sizeof(how));
			worker = -1;
			if (wfd >= 0) {
				close(wfd);
				wfd = -1;
			}
			if (stopping) {
				rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
				goto out;
			}
			if (!p->s.ready) {
				log_warnx("enforcer: the worker %s while starting; not restarting it", how);
				rc = 1;
				goto out;
			}
			now = mono_sec();
			if (now - started >= STABLE_SECS)
				backoff = RESTART_MIN_SECS;
			log_warnx("enforcer: the worker %s; restarting it in %lld s (the kernel sets "
			    "stay as they are)", how, (long long)backoff);
			char st[256];
			snprintf(st, sizeof(st), "the worker %s; restarting it in %lld s (bans in "
			    "force stay)", how, (long long)backoff);
			notify_status(st);
			next_spawn = now + backoff;
			backoff = backoff * 2 > RESTART_MAX_SECS ? RESTART_MAX_SECS : backoff * 2;
		}
	}
out:
	if (worker > 0) {
		kill(worker, SIGKILL);
		waitpid(worker, NULL, 0);
	}
	if (wfd >= 0)
		close(wfd);
	if (sigfd >= 0)
		close(sigfd);
	if (p->s.enf != NULL)
		enf_commit(p->s.enf);
	kset_close(p->s.kset);
	enf_close(p->s.enf);
	if (p->ctlfd >= 0) {
		close(p->ctlfd);
		unlink(p->cfg->control_socket);
	}
	return rc;
}
