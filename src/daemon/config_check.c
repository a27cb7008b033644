/* config_check.c - the daemon's start checks of a configuration, also run
 * by check-config (config_check.h), so the two cannot disagree. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coalition/charter.h"
#include "coalition/identity.h"
#include "daemon/config.h"
#include "daemon/config_check.h"
#include "daemon/sandbox.h"
#include "sensor/sensor.h"

struct checker {
	const struct config *cfg;
	config_check_cb report;
	void *arg;
	int nerr;
};

/* "FILE:LINE: " for a directive at line (0: its default, "FILE: "). */
static void __attribute__((format(printf, 3, 4)))
check_error(struct checker *c, int line, const char *fmt, ...)
{
	char msg[1200], out[PATH_MAX + 1300];
	const char *file = c->cfg->path[0] ? c->cfg->path : "(defaults)";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(out, sizeof(out), "%s:%d: %s", file, line, msg);
	else
		snprintf(out, sizeof(out), "%s: %s", file, msg);
	c->report(c->arg, out);
	c->nerr++;
}

/* Whether the unless-journal file sources will stay unread: the worker
 * reads them only when no journal source gives it a readable journal
 * (worker.c, sources_add). Judged here as the caller: a check-config run
 * by a user who cannot read the journal checks them, which errs on the
 * safe side. */
static bool
fallback_unread(const struct config *cfg)
{
	bool fallback = false, journal = false;

	for (size_t i = 0; i < cfg->nsources; i++) {
		fallback |= cfg->sources[i].unless_journal;
		journal |= cfg->sources[i].type == SRC_JOURNAL;
	}
	return fallback && journal && sensor_journal_readable();
}

/* The sensor watches a file's directory (inotify): it must exist, for
 * each file that will be read. */
static void
check_sources(struct checker *c)
{
	const struct config *cfg = c->cfg;
	bool skip_fallback = fallback_unread(cfg);

	if (cfg->nsources == 0)
		check_error(c, 0, "no 'source' line: nothing to watch");
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct config_source *s = &cfg->sources[i];
		char dir[PATH_MAX];
		struct stat st;

		if (s->type != SRC_FILE || (s->unless_journal && skip_fallback))
			continue;
		snprintf(dir, sizeof(dir), "%s", s->path);
		char *slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		int bad = stat(dir, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
		if (bad != 0) {
			char msg[PATH_MAX * 2 + 64];
			snprintf(msg, sizeof(msg), "%s: cannot watch directory %s: %s", s->where, dir,
			    strerror(bad));
			c->report(c->arg, msg);
			c->nerr++;
		}
	}
}

static void
check_coalition(struct checker *c)
{
	static struct charter ch;	/* large: not on the stack */
	const struct config *cfg = c->cfg;
	struct identity id;
	char err[1024];
	bool have_id = false;

	if (cfg->charter[0] == '\0' || cfg->identity[0] == '\0')
		return;		/* the parse already says they go together */
	if (identity_load(cfg->identity, &id, err, sizeof(err)) != 0)
		check_error(c, cfg->identity_line, "identity: %s", err);
	else
		have_id = true;
	if (charter_load(cfg->charter, &ch, err, sizeof(err)) != 0)
		check_error(c, cfg->charter_line, "coalition: %s", err);
	else if (have_id && charter_find(&ch, id.pk) == NULL) {
		char pk[ID_PUBLIC_TEXT_MAX];
		identity_pk_to_text(id.pk, pk, sizeof(pk));
		check_error(c, cfg->identity_line, "this member's key %s is not in the charter %s",
		    pk, cfg->charter);
	}
	if (have_id)
		identity_wipe(&id);
}

int
config_check_start(const struct config *cfg, bool with_user, config_check_cb report, void *arg)
{
	struct checker c = { cfg, report, arg, 0 };
	char err[1024];

	check_sources(&c);
	if (with_user) {
		struct sandbox_user u;
		if (sandbox_lookup(cfg->user, &u, err, sizeof(err)) != 0)
			check_error(&c, cfg->user_line, "%s", err);
	}
	if (getgrnam(cfg->control_group) == NULL)
		check_error(&c, cfg->control_group_line, "control_group '%s' does not exist",
		    cfg->control_group);
	check_coalition(&c);
	return c.nerr;
}
