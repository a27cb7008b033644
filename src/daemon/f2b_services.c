/* f2b_services.c - fail2ban-filter services in the daemon: loading, source
 * routing, and running lines through their filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "daemon/f2b_services.h"
#include "f2b/f2b_conf.h"
#include "f2b/f2b_filter.h"

/* The sensor names a file source by its path, the journal "journal" and
 * standard input "stdin" (src/sensor/). */
#define F2B_SRC_NAME_MAX PATH_MAX
/* (source, service) pairs: a source may be given to several services. */
#define F2B_ROUTES_MAX (2 * CONFIG_SOURCES_MAX)

struct f2b_svc {
	int service;			/* index into the ruleset's services */
	/* One filter per set (sources differ per service), loaded twice when
	 * the service reads the journal: journal lines are "IDENT[PID]: MSG"
	 * with no date, which fail2ban reads with its systemd backend
	 * (logtype=journal: another prefix, no date searched in the message). */
	struct f2b_set *set;		/* file and stdin lines */
	struct f2b_set *jset;		/* journal lines, or NULL */
	bool own_sources;		/* reads only the sources naming it */
	char filter[RULES_NAME_MAX];
};

struct f2b_route {
	char source[F2B_SRC_NAME_MAX];
	int svc;			/* index into svcs */
};

struct f2b_services {
	size_t nsvcs, nroutes;
	struct f2b_svc svcs[CONFIG_F2B_MAX];
	struct f2b_route routes[F2B_ROUTES_MAX];
};

/* What the line callback needs to turn a filter failure into a hit. */
struct line_ctx {
	const struct f2b_svc *svc;
	f2b_hit_cb cb;
	void *arg;
};

static const char *
source_name(const struct config_source *s)
{
	switch (s->type) {
	case SRC_FILE: return s->path;
	case SRC_JOURNAL: return "journal";
	case SRC_STDIN: return "stdin";
	}
	return "";
}

static bool
routed(const struct f2b_services *fs, const char *source, int svc)
{
	for (size_t r = 0; r < fs->nroutes; r++)
		if ((svc < 0 || fs->routes[r].svc == svc) && strcmp(fs->routes[r].source, source) == 0)
			return true;
	return false;
}

/* Loads and compiles one filter file for one kind of source. */
static struct f2b_set *
set_load(const struct config_f2b *c, bool journal, char *name, size_t namelen,
    char *err, size_t errlen)
{
	struct f2b_def def;
	struct f2b_opt opt = { "mode", c->mode };
	struct f2b_set *set = NULL;
	char e[512];

	if (f2b_def_load_backend(c->path, &opt, c->mode[0] ? 1 : 0, journal ? "systemd" : "auto",
	    &def, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "%s: fail2ban filter %s: %s", c->where, c->path, e);
		return NULL;
	}
	if ((set = f2b_set_new()) == NULL)
		snprintf(err, errlen, "out of memory");
	else if (f2b_set_add(set, &def, journal ? F2B_FLT_NODATE : 0, e, sizeof(e)) < 0 ||
	    f2b_set_compile(set, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "%s: fail2ban filter %s: %s", c->where, c->path, e);
		f2b_set_free(set);
		set = NULL;
	} else
		strlcpy_ok(name, def.name ? def.name : c->service, namelen);
	f2b_def_free(&def);
	return set;
}

struct f2b_services *
f2b_services_new(const struct config *cfg, const struct ruleset *rs, char *err, size_t errlen)
{
	struct f2b_services *fs = calloc(1, sizeof(*fs));
	bool untagged_journal = false;

	if (fs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Routes first: which services read the journal decides what to load. */
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct config_source *s = &cfg->sources[i];
		char name[RULES_NAME_MAX];

		if (s->services[0] == '\0') {
			untagged_journal |= s->type == SRC_JOURNAL;
			continue;
		}
		/* config_parse checked every name */
		for (size_t k = 0; config_source_service(s, k, name, sizeof(name)); k++) {
			int j = config_f2b_find(cfg, name);
			if (j < 0 || fs->nroutes >= F2B_ROUTES_MAX) {
				snprintf(err, errlen, "%s: no fail2ban-filter service '%s', or more than %d "
				    "source-service pairs", s->where, name, F2B_ROUTES_MAX);
				goto fail;
			}
			fs->svcs[j].own_sources = true;
			strlcpy_ok(fs->routes[fs->nroutes].source, source_name(s),
			    sizeof(fs->routes[0].source));
			fs->routes[fs->nroutes++].svc = j;
		}
	}
	for (size_t i = 0; i < cfg->nf2b; i++) {
		struct f2b_svc *v = &fs->svcs[i];
		bool journal = v->own_sources ? routed(fs, "journal", (int)i) : untagged_journal;

		fs->nsvcs++;
		if ((v->service = rules_service_find(rs, cfg->f2b[i].service)) < 0) {
			snprintf(err, errlen, "%s: service '%s' missing from the rule set",
			    cfg->f2b[i].where, cfg->f2b[i].service);
			goto fail;
		}
		if ((v->set = set_load(&cfg->f2b[i], false, v->filter, sizeof(v->filter),
		    err, errlen)) == NULL)
			goto fail;
		if (journal && (v->jset = set_load(&cfg->f2b[i], true, v->filter, sizeof(v->filter),
		    err, errlen)) == NULL)
			goto fail;
	}
	return fs;
fail:
	f2b_services_free(fs);
	return NULL;
}

void
f2b_services_free(struct f2b_services *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->nsvcs; i++) {
		f2b_set_free(fs->svcs[i].set);
		f2b_set_free(fs->svcs[i].jset);
	}
	free(fs);
}

size_t
f2b_services_count(const struct f2b_services *fs)
{
	return fs ? fs->nsvcs : 0;
}

bool
f2b_services_native_reads(const struct f2b_services *fs, const char *source)
{
	return fs == NULL || !routed(fs, source, -1);
}

static void
on_failure(void *arg, const struct f2b_failure *f)
{
	const struct line_ctx *lc = arg;
	struct f2b_hit h;

	if (!f->has_addr)
		return;		/* a host name: never resolved, never banned */
	h.service = lc->svc->service;
	h.filter = lc->svc->filter;
	h.addr = f->addr;
	h.ts = f->ts;
	lc->cb(lc->arg, &h);
}

void
f2b_services_lines(struct f2b_services *fs, const char *source, const char *buf,
    size_t len, int64_t ts, f2b_hit_cb cb, void *arg)
{
	int64_t now = ts > 0 ? ts : now_sec();
	bool untagged, journal = strcmp(source, "journal") == 0;

	if (fs == NULL || fs->nsvcs == 0)
		return;
	untagged = f2b_services_native_reads(fs, source);
	for (size_t i = 0; i < fs->nsvcs; i++) {
		struct line_ctx lc = { &fs->svcs[i], cb, arg };
		struct f2b_set *set = journal && fs->svcs[i].jset ? fs->svcs[i].jset : fs->svcs[i].set;

		/* A service with sources of its own reads only those; the
		 * others read every untagged source, as the native rules do. */
		if (fs->svcs[i].own_sources ? !routed(fs, source, (int)i) : !untagged)
			continue;
		for (const char *p = buf, *end = buf + len; p < end; ) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)((nl ? nl : end) - p);

			f2b_set_line(set, p, n, now, on_failure, &lc);
			p += n + 1;
		}
	}
}
