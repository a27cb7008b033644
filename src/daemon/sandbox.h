/* sandbox.h - the daemon's worker gives up root: a restricted view of the
 * filesystem, an unprivileged user with no capabilities, no-new-privs and
 * a seccomp filter (docs/privsep.md). Every step is checked; any failure
 * is returned, and the caller refuses to run. */
#ifndef A5_SANDBOX_H
#define A5_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_GROUPS_MAX 32
#define SANDBOX_WRITABLE_MAX 4

struct sandbox_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[SANDBOX_GROUPS_MAX];	/* supplementary, from the group database */
	size_t ngroups;
};

/* Looks name up in the user database. 0, or -1 with a message. Root (uid 0)
 * is refused: the worker must run as someone else. */
int sandbox_lookup(const char *name, struct sandbox_user *u, char *err, size_t errlen);

/* Gives dir (created 0700 if missing) and the regular files directly in it
 * to u, so the worker can keep writing them; run as root before the first
 * worker starts. 0, or -1 with a message. */
int sandbox_own_dir(const char *dir, const struct sandbox_user *u, char *err, size_t errlen);

/* In a process that is still root and has one thread: a private mount
 * namespace where everything is read-only and nosuid except the writable
 * directories listed, then setgroups/setgid/setuid to u (which drops every
 * capability), no-new-privs, not dumpable, and the seccomp filter. Checks
 * afterwards that uid 0 cannot be regained and that no capability is left.
 * 0, or -1 with a message: the caller must not go on. */
int sandbox_enter(const struct sandbox_user *u, const char *const *writable, size_t nwritable,
    char *err, size_t errlen);

/* The enforcer process, once set up, keeps only what it still uses:
 * CAP_NET_ADMIN (nftables), and to start each worker CAP_SYS_ADMIN (its
 * mount namespace), CAP_SETUID, CAP_SETGID, and CAP_KILL (to end it). Every
 * other capability leaves the effective, permitted, inheritable and
 * bounding sets. 0, or -1 with a message. */
int sandbox_parent_caps(char *err, size_t errlen);

/* The enforcer process started by another user (systemd's User=article5
 * with AmbientCapabilities=CAP_NET_ADMIN, docs/systemd.md): keeps
 * CAP_NET_ADMIN if it has it, drops every other capability, and is made
 * non-dumpable (the worker runs as the same user). 0, or -1 with a
 * message. */
int sandbox_parent_caps_unprivileged(char *err, size_t errlen);

/* For a worker that was never root: every capability it inherited
 * dropped (checked), not dumpable, no-new-privs and the seccomp filter.
 * 0, or -1 with a message. */
int sandbox_filter_only(char *err, size_t errlen);

#endif
