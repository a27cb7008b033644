/* sandbox.c - the worker's confinement (sandbox.h, docs/privsep.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/sandbox.h"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (saved != 0) {
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, ": %s", strerror(saved));
	}
	return -1;
}

int
sandbox_lookup(const char *name, struct sandbox_user *u, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int n = SANDBOX_GROUPS_MAX;

	memset(u, 0, sizeof(*u));
	errno = 0;
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
		if (errno == 0)
			return fail(err, errlen, "user %s does not exist: create it (make deps does: "
			    "useradd --system --user-group article5) or name another with 'user'", name);
		return fail(err, errlen, "looking up user %s", name);
	}
	if (pw.pw_uid == 0 || pw.pw_gid == 0) {
		errno = 0;
		return fail(err, errlen, "user %s has uid or gid 0: the worker must not run as root",
		    name);
	}
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	gid_t groups[SANDBOX_GROUPS_MAX];
	if (getgrouplist(name, pw.pw_gid, groups, &n) < 0) {
		errno = 0;
		return fail(err, errlen, "user %s is in more than %d groups", name, SANDBOX_GROUPS_MAX);
	}
	for (int i = 0; i < n; i++) {
		if (groups[i] == 0) {
			errno = 0;
			return fail(err, errlen, "user %s is in group 0 (root): refused", name);
		}
		u->groups[u->ngroups++] = groups[i];
	}
	return 0;
}

int
sandbox_own_dir(const char *dir, const struct sandbox_user *u, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(err, errlen, "state_dir %s", dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "state_dir %s (must be a directory, not a link)", dir);
	if (fstat(fd, &st) != 0 || fchown(fd, u->uid, u->gid) != 0 || fchmod(fd, 0700) != 0) {
		fail(err, errlen, "state_dir %s: giving it to %s", dir, u->name);
		close(fd);
		return -1;
	}
	DIR *dp = fdopendir(fd);
	if (dp == NULL) {
		fail(err, errlen, "state_dir %s", dir);
		close(fd);
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		/* Regular files only, never through a link: the directory was
		 * the worker's, and it could have planted one. */
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (fchownat(fd, de->d_name, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = fail(err, errlen, "state_dir %s/%s: giving it to %s", dir, de->d_name,
			    u->name);
			break;
		}
	}
	closedir(dp);
	return rc;
}

/* Calls no process of ours needs once it runs, each a way to widen what
 * a compromised worker could do: kill the process if one is made. */
static const char *const deny[] = {
	"execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"mount_setattr", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
	"reboot", "swapon", "swapoff", "acct", "quotactl", "settimeofday", "clock_settime",
	"clock_adjtime", "adjtimex", "syslog", "iopl", "ioperm", "name_to_handle_at",
	"open_by_handle_at", "setuid", "setgid", "setreuid", "setregid", "setresuid",
	"setresgid", "setgroups", "setfsuid", "setfsgid", "capset", "io_uring_setup",
	"io_uring_enter", "io_uring_register", "uselib", "vhangup",
};

static int
seccomp_install(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (ctx == NULL) {
		errno = 0;
		return fail(err, errlen, "seccomp_init failed");
	}
	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
		int nr = seccomp_syscall_resolve_name(deny[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0)) != 0)
			goto bad;
	}
	/* The kernel's firewall is the enforcer's alone: no nf_tables socket,
	 * and no raw packet socket. Refused, not killed: a library probing
	 * gets an error, the worker lives. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 2,
	    SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_EQ, NETLINK_NETFILTER))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_PACKET))) != 0)
		goto bad;
	/* Threads started before (none are, but a library could) get it too. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0 ||
	    (rc = seccomp_load(ctx)) != 0)
		goto bad;
	seccomp_release(ctx);
	return 0;
bad:
	seccomp_release(ctx);
	errno = -rc;
	return fail(err, errlen, "seccomp filter");
}

static int
no_new_privs(char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}

static int
caps_none(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (d[i].effective != 0 || d[i].permitted != 0 || d[i].inheritable != 0)
			return -1;
	return 0;
}

/* Effective and permitted sets reduced to keep (capabilities 0 to 31),
 * inheritable and ambient sets emptied. */
static int
caps_set(uint32_t keep, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = keep;
	if (syscall(SYS_capset, &h, d) != 0)
		return fail(err, errlen, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return fail(err, errlen, "clearing ambient capabilities");
	return 0;
}

int
sandbox_filter_only(char *err, size_t errlen)
{
	/* Under systemd's User= with AmbientCapabilities=CAP_NET_ADMIN the
	 * fork gave this process the enforcer's capability: dropped, and
	 * checked, as after a change of user. */
	if (caps_set(0, err, errlen) != 0)
		return -1;
	if (caps_none() != 0) {
		errno = 0;
		return fail(err, errlen, "capabilities left after dropping them");
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(err, errlen, "prctl(PR_SET_DUMPABLE)");
	if (no_new_privs(err, errlen) != 0)
		return -1;
	return seccomp_install(err, errlen);
}

/* Everything read-only and nosuid, then the writable directories bound
 * over themselves and made writable again. */
static int
mounts_restrict(const char *const *writable, size_t n, char *err, size_t errlen)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID };
	struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY };

	if (unshare(CLONE_NEWNS) != 0)
		return fail(err, errlen, "unshare(CLONE_NEWNS)");
	/* Nothing done here may leak back to the host's mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return fail(err, errlen, "making / private");
	for (size_t i = 0; i < n; i++)
		if (mount(writable[i], writable[i], NULL, MS_BIND | MS_REC, NULL) != 0)
			return fail(err, errlen, "bind-mounting %s", writable[i]);
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) != 0)
		return fail(err, errlen, "making / read-only");
	for (size_t i = 0; i < n; i++)
		if (mount_setattr(AT_FDCWD, writable[i], AT_RECURSIVE, &rw, sizeof(rw)) != 0)
			return fail(err, errlen, "making %s writable", writable[i]);
	if (chdir("/") != 0)
		return fail(err, errlen, "chdir /");
	return 0;
}

#define CAP_BIT(c) (1u << (c))
#define PARENT_CAPS (CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_SYS_ADMIN) | CAP_BIT(CAP_SETUID) | \
    CAP_BIT(CAP_SETGID) | CAP_BIT(CAP_KILL))

int
sandbox_parent_caps(char *err, size_t errlen)
{
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

	/* the running kernel may know more capabilities than our headers */
	if (f != NULL) {
		char line[16], *end;
		if (fgets(line, sizeof(line), f) != NULL) {
			long v = strtol(line, &end, 10);
			if (end != line && v >= 0 && v <= 63)
				last = (int)v;
		}
		fclose(f);
	}
	for (int c = 0; c <= last; c++)
		if ((c >= 32 || (PARENT_CAPS & CAP_BIT(c)) == 0) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
			return fail(err, errlen, "dropping capability %d from the bounding set", c);
	return caps_set(PARENT_CAPS, err, errlen);
}

int
sandbox_parent_caps_unprivileged(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return fail(err, errlen, "capget");
	/* The bounding set needs CAP_SETPCAP to shrink, which this process
	 * does not have: the unit's CapabilityBoundingSet does it. */
	if (caps_set(d[0].permitted & CAP_BIT(CAP_NET_ADMIN), err, errlen) != 0)
		return -1;
	/* The worker runs as this same user: not dumpable, so that it cannot
	 * read this process's memory through /proc (its seccomp filter
	 * forbids ptrace as well). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(err, errlen, "prctl(PR_SET_DUMPABLE)");
	return 0;
}

int
sandbox_enter(const struct sandbox_user *u, const char *const *writable, size_t nwritable,
    char *err, size_t errlen)
{
	if (mounts_restrict(writable, nwritable, err, errlen) != 0)
		return -1;
	if (setgroups(u->ngroups, u->groups) != 0)
		return fail(err, errlen, "setgroups for %s", u->name);
	if (setresgid(u->gid, u->gid, u->gid) != 0)
		return fail(err, errlen, "setresgid %u", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) != 0)
		return fail(err, errlen, "setresuid %u", (unsigned)u->uid);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return fail(err, errlen, "clearing ambient capabilities");
	/* Checked, not assumed: a kernel or a policy could have kept some. */
	if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0) {
		errno = 0;
		return fail(err, errlen, "root could be regained after dropping to %s", u->name);
	}
	if (caps_none() != 0) {
		errno = 0;
		return fail(err, errlen, "capabilities left after dropping to %s", u->name);
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(err, errlen, "prctl(PR_SET_DUMPABLE)");
	if (no_new_privs(err, errlen) != 0)
		return -1;
	return seccomp_install(err, errlen);
}
