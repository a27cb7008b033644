/* config.c - the configuration file parser: one directive per line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lineparse.h"
#include "common/util.h"
#include "daemon/config.h"
#include "daemon/config_floor.h"
#include "http/http.h"

#ifndef A5_RULES_DIR
#define A5_RULES_DIR "/usr/local/share/article5/rules"
#endif

#define CONFIG_FILE_MAX (1024 * 1024)

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->observe = false;
	strlcpy_ok(cfg->state_dir, "/var/lib/article5", sizeof(cfg->state_dir));
	strlcpy_ok(cfg->control_socket, "/run/article5/control.sock", sizeof(cfg->control_socket));
	strlcpy_ok(cfg->control_group, "root", sizeof(cfg->control_group));
	strlcpy_ok(cfg->user, "article5", sizeof(cfg->user));
	strlcpy_ok(cfg->rules_dir, A5_RULES_DIR, sizeof(cfg->rules_dir));
	strlcpy_ok(cfg->rules_local, CONFIG_RULES_LOCAL_DEFAULT, sizeof(cfg->rules_local));
	prefixlist_init(&cfg->allow);
	cfg->ipv6_prefix = 64;
	cfg->max_offenders = 100000;
	cfg->maxretry = 5;
	cfg->findtime = 600;
	cfg->bantime = 3600;
	cfg->bantime_max = 4 * 7 * 86400;
	cfg->bantime_factor = 2;
	cfg->unban_hold = 3600;
	/* the charter's own defaults: a charter may tighten them, and only
	 * this file loosens them */
	cfg->coalition_max_prefix4 = 24;
	cfg->coalition_max_prefix6 = 48;
	cfg->coalition_allow_special = false;
	cfg->coalition_act_alone = CONFIG_ACT_ALONE_DEFAULT;
	cfg->publish = true;
	cfg->kernel_mirror = -1;
	cfg->source_quiet = 3600;
}





static int
parse_path(struct lineparse *p, const char *v, char *dst, size_t n, const char *what)
{
	if (v[0] != '/')
		return lp_error(p, "%s '%s' must be an absolute path", what, v);
	if (!strlcpy_ok(dst, v, n))
		return lp_error(p, "%s '%s' is too long", what, v);
	return 0;
}

static int
parse_duration_arg(struct lineparse *p, const char *what, const char *v, int64_t *out)
{
	if (duration_parse(v, out) != 0 || *out == 0)
		return lp_error(p, "bad %s '%s', expected a duration such as 90s, 10m, 1h, 2d", what, v);
	return 0;
}

static int
parse_maxretry(struct lineparse *p, const char *v, int *out)
{
	uint64_t u;

	if (uint_parse(v, 1, 64, &u) != 0)
		return lp_error(p, "bad maxretry '%s', expected a number from 1 to 64", v);
	*out = (int)u;
	return 0;
}

bool
config_word_ok(const char *m)
{
	if (*m == '\0')
		return false;
	for (; *m; m++)
		if (!((*m >= 'a' && *m <= 'z') || (*m >= 'A' && *m <= 'Z') ||
		    (*m >= '0' && *m <= '9') || *m == '-' || *m == '_'))
			return false;
	return true;
}

static int
parse_service(struct lineparse *p, struct config *cfg, char **w, int nw)
{
	struct config_service *s;

	struct config_f2b *f = NULL;
	int first = 2;

	if (nw < 2)
		return lp_error(p, "expected 'service NAME [fail2ban-filter PATH [mode M]] [maxretry N] "
		    "[findtime D] [bantime D] [disabled]'");
	if (cfg->nservices >= CONFIG_SERVICES_MAX)
		return lp_error(p, "too many service lines (at most %d)", CONFIG_SERVICES_MAX);
	s = &cfg->services[cfg->nservices];
	memset(s, 0, sizeof(*s));
	if (!strlcpy_ok(s->name, w[1], sizeof(s->name)))
		return lp_error(p, "service name '%s' too long", w[1]);
	s->maxretry = -1;
	s->findtime = s->bantime = -1;
	s->f2b = -1;
	snprintf(s->where, sizeof(s->where), "%s:%d", p->name, p->line);
	if (nw > 2 && strcmp(w[2], "fail2ban-filter") == 0) {
		if (nw < 4)
			return lp_error(p, "expected 'service NAME fail2ban-filter PATH [mode M] ...'");
		int j = config_f2b_find(cfg, w[1]);
		if (j >= 0)
			return lp_error(p, "service '%s' already has a fail2ban filter (%s)",
			    w[1], cfg->f2b[j].where);
		if (cfg->nf2b >= CONFIG_F2B_MAX)
			return lp_error(p, "too many fail2ban-filter services (at most %d)", CONFIG_F2B_MAX);
		f = &cfg->f2b[cfg->nf2b];
		memset(f, 0, sizeof(*f));
		strlcpy_ok(f->service, s->name, sizeof(f->service));
		strlcpy_ok(f->where, s->where, sizeof(f->where));
		if (parse_path(p, w[3], f->path, sizeof(f->path), "fail2ban filter") != 0)
			return -1;
		first = 4;
	}
	for (int i = first; i < nw; i++) {
		if (strcmp(w[i], "disabled") == 0) {
			s->disabled = true;
			continue;
		}
		if (i + 1 >= nw)
			return lp_error(p, "'%s' needs a value", w[i]);
		if (strcmp(w[i], "maxretry") == 0) {
			if (parse_maxretry(p, w[i + 1], &s->maxretry) != 0)
				return -1;
		} else if (strcmp(w[i], "findtime") == 0) {
			if (parse_duration_arg(p, "findtime", w[i + 1], &s->findtime) != 0)
				return -1;
		} else if (strcmp(w[i], "bantime") == 0) {
			if (parse_duration_arg(p, "bantime", w[i + 1], &s->bantime) != 0)
				return -1;
		} else if (f != NULL && strcmp(w[i], "mode") == 0) {
			if (!strlcpy_ok(f->mode, w[i + 1], sizeof(f->mode)) || !config_word_ok(f->mode))
				return lp_error(p, "bad fail2ban filter mode '%s', expected letters, digits, '-', '_'",
				    w[i + 1]);
		} else
			return lp_error(p, "unknown service option '%s', expected %smaxretry, findtime, "
			    "bantime or disabled", w[i], f != NULL ? "mode, " : "");
		i++;
	}
	if (f != NULL)
		s->f2b = (int)cfg->nf2b++;
	cfg->nservices++;
	return 0;
}

static int
parse_source(struct lineparse *p, struct config *cfg, char **w, int nw)
{
	struct config_source *s;

	if (nw < 2)
		return lp_error(p, "expected 'source file PATH', 'source journal [FIELD=VALUE...]' or "
		    "'source stdin', each optionally followed by 'service NAME' (a file by "
		    "'unless-journal [service NAME]')");
	if (cfg->nsources >= CONFIG_SOURCES_MAX)
		return lp_error(p, "too many sources (at most %d)", CONFIG_SOURCES_MAX);
	s = &cfg->sources[cfg->nsources];
	memset(s, 0, sizeof(*s));
	snprintf(s->where, sizeof(s->where), "%s:%d", p->name, p->line);
	/* A trailing "service NAME[,NAME...]" gives the source to those
	 * fail2ban-filter services; config_parse checks the names once every
	 * line is read. */
	if (nw >= 4 && strcmp(w[nw - 2], "service") == 0) {
		if (!strlcpy_ok(s->services, w[nw - 1], sizeof(s->services)))
			return lp_error(p, "service list '%s' too long", w[nw - 1]);
		nw -= 2;
	}
	/* "source file PATH unless-journal": the fallback of the journal
	 * sources, read only when none of them finds a readable journal. */
	if (nw >= 3 && strcmp(w[nw - 1], "unless-journal") == 0) {
		if (strcmp(w[1], "file") != 0)
			return lp_error(p, "unless-journal: only a file source can stand in for the journal");
		s->unless_journal = true;
		nw--;
	}
	if (strcmp(w[1], "file") == 0) {
		if (lp_want(p, nw, 3, "source file PATH") != 0 ||
		    parse_path(p, w[2], s->path, sizeof(s->path), "log file") != 0)
			return -1;
		s->type = SRC_FILE;
	} else if (strcmp(w[1], "journal") == 0) {
		s->type = SRC_JOURNAL;
		for (int i = 2; i < nw; i++) {
			const char *eq = strchr(w[i], '=');
			if (eq == NULL || eq == w[i])
				return lp_error(p, "bad journal match '%s', expected FIELD=VALUE", w[i]);
			for (const char *c = w[i]; c < eq; c++)
				if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
					return lp_error(p, "bad journal field in '%s', expected upper-case letters, digits, '_'", w[i]);
			if (s->nmatches >= CONFIG_MATCHES_MAX ||
			    !strlcpy_ok(s->matches[s->nmatches], w[i], sizeof(s->matches[0])))
				return lp_error(p, "too many or too long journal matches");
			s->nmatches++;
		}
	} else if (strcmp(w[1], "stdin") == 0) {
		if (lp_want(p, nw, 2, "source stdin") != 0)
			return -1;
		s->type = SRC_STDIN;
	} else
		return lp_error(p, "unknown source type '%s', expected file, journal or stdin", w[1]);
	cfg->nsources++;
	return 0;
}

/* A user rule keeps the raw rest of the line as its pattern, so it is parsed
 * from the unsplit text. */
static int
parse_rule(struct lineparse *p, struct config *cfg, const char *raw)
{
	char buf[CONFIG_LINE_MAX], *w[4];
	struct config_rule *r;
	const char *rest = raw;

	if (cfg->nrules >= CONFIG_RULES_MAX)
		return lp_error(p, "too many rules (at most %d)", CONFIG_RULES_MAX);
	/* Skip "rule SERVICE KIND NAME" and keep the rest verbatim. */
	for (int i = 0; i < 4; i++) {
		while (*rest == ' ' || *rest == '\t')
			rest++;
		const char *e = rest;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		if (e == rest || (size_t)(e - rest) >= sizeof(buf) / 4)
			return lp_error(p, "expected 'rule SERVICE KIND NAME PATTERN'");
		memcpy(buf + i * (sizeof(buf) / 4), rest, (size_t)(e - rest));
		buf[i * (sizeof(buf) / 4) + (size_t)(e - rest)] = '\0';
		w[i] = buf + i * (sizeof(buf) / 4);
		rest = e;
	}
	while (*rest == ' ' || *rest == '\t')
		rest++;
	size_t n = strlen(rest);
	while (n > 0 && (rest[n - 1] == ' ' || rest[n - 1] == '\t'))
		n--;
	if (n == 0)
		return lp_error(p, "expected 'rule SERVICE KIND NAME PATTERN'");
	r = &cfg->rules[cfg->nrules];
	memset(r, 0, sizeof(*r));
	if (!strlcpy_ok(r->service, w[1], sizeof(r->service)) ||
	    !strlcpy_ok(r->kind, w[2], sizeof(r->kind)) ||
	    !strlcpy_ok(r->name, w[3], sizeof(r->name)) || n >= sizeof(r->pattern))
		return lp_error(p, "rule service, kind, name or pattern too long");
	memcpy(r->pattern, rest, n);
	r->pattern[n] = '\0';
	snprintf(r->where, sizeof(r->where), "%s:%d", p->name, p->line);
	cfg->nrules++;
	return 0;
}

static int
parse_line(struct lineparse *p, struct config *cfg, char *line)
{
	char raw[CONFIG_LINE_MAX], *w[2 + 2 * CONFIG_MATCHES_MAX];
	uint64_t u;
	int nw;

	strlcpy_ok(raw, line, sizeof(raw));
	if ((nw = lp_split(line, w, (int)ARRAY_LEN(w))) < 0) {
		if (strncmp(raw + strspn(raw, " \t"), "rule", 4) != 0)
			return lp_error(p, "too many words on this line");
	}
	if (nw == 0)
		return 0;
	const char *k = w[0];
	if (strcmp(k, "rule") == 0)
		return parse_rule(p, cfg, raw + strspn(raw, " \t"));
	if (nw < 0)
		return lp_error(p, "too many words on this line");
	if (strcmp(k, "mode") == 0) {
		if (lp_want(p, nw, 2, "mode enforce|observe") != 0)
			return -1;
		if (strcmp(w[1], "enforce") == 0)
			cfg->observe = false;
		else if (strcmp(w[1], "observe") == 0)
			cfg->observe = true;
		else
			return lp_error(p, "bad mode '%s', expected enforce or observe", w[1]);
	} else if (strcmp(k, "state_dir") == 0) {
		if (lp_want(p, nw, 2, "state_dir DIR") != 0 ||
		    parse_path(p, w[1], cfg->state_dir, sizeof(cfg->state_dir), "state_dir") != 0)
			return -1;
	} else if (strcmp(k, "control_socket") == 0) {
		if (lp_want(p, nw, 2, "control_socket PATH") != 0 ||
		    parse_path(p, w[1], cfg->control_socket, sizeof(cfg->control_socket), "control_socket") != 0)
			return -1;
	} else if (strcmp(k, "control_group") == 0) {
		if (lp_want(p, nw, 2, "control_group GROUP") != 0)
			return -1;
		if (!strlcpy_ok(cfg->control_group, w[1], sizeof(cfg->control_group)))
			return lp_error(p, "group name '%s' too long", w[1]);
		cfg->control_group_line = p->line;
	} else if (strcmp(k, "user") == 0) {
		if (lp_want(p, nw, 2, "user NAME") != 0)
			return -1;
		if (strcmp(w[1], "root") == 0)
			return lp_error(p, "user root: the worker must not run as root (docs/privsep.md)");
		if (!strlcpy_ok(cfg->user, w[1], sizeof(cfg->user)))
			return lp_error(p, "user name '%s' too long", w[1]);
		cfg->user_line = p->line;
	} else if (strcmp(k, "rules_dir") == 0) {
		if (lp_want(p, nw, 2, "rules_dir DIR") != 0 ||
		    parse_path(p, w[1], cfg->rules_dir, sizeof(cfg->rules_dir), "rules_dir") != 0)
			return -1;
	} else if (strcmp(k, "rules_local") == 0) {
		if (nw > 2)
			return lp_error(p, "expected 'rules_local DIR' or 'rules_local none'");
		if (nw == 1 || strcmp(w[1], "none") == 0)
			cfg->rules_local[0] = '\0';
		else if (parse_path(p, w[1], cfg->rules_local, sizeof(cfg->rules_local),
		    "rules_local") != 0)
			return -1;
	} else if (strcmp(k, "allow") == 0) {
		struct a5_prefix pf;
		const char *why;
		if (lp_want(p, nw, 2, "allow ADDRESS[/LEN]") != 0)
			return -1;
		if (prefix_parse(w[1], strlen(w[1]), &pf) != 0)
			return lp_error(p, "bad allow prefix '%s', expected an IPv4 or IPv6 address with "
			    "an optional /LEN and no host bits set", w[1]);
		if ((why = prefix_check(&pf)) != NULL)
			return lp_error(p, "bad allow prefix '%s': %s", w[1], why);
		if (prefixlist_add(&cfg->allow, &pf) != 0)
			return lp_error(p, "too many allow lines (at most %d)", PREFIXLIST_MAX);
	} else if (strcmp(k, "ipv6_prefix") == 0) {
		if (lp_want(p, nw, 2, "ipv6_prefix N") != 0)
			return -1;
		if (uint_parse(w[1], 32, 128, &u) != 0)
			return lp_error(p, "bad ipv6_prefix '%s', expected 32..128", w[1]);
		cfg->ipv6_prefix = (unsigned)u;
	} else if (strcmp(k, "max_offenders") == 0) {
		if (lp_want(p, nw, 2, "max_offenders N") != 0)
			return -1;
		if (uint_parse(w[1], 100, 50000000, &u) != 0)
			return lp_error(p, "bad max_offenders '%s', expected 100..50000000", w[1]);
		cfg->max_offenders = (size_t)u;
	} else if (strcmp(k, "maxretry") == 0) {
		if (lp_want(p, nw, 2, "maxretry N") != 0 || parse_maxretry(p, w[1], &cfg->maxretry) != 0)
			return -1;
		cfg->maxretry_set = true;
	} else if (strcmp(k, "findtime") == 0) {
		if (lp_want(p, nw, 2, "findtime DURATION") != 0 ||
		    parse_duration_arg(p, "findtime", w[1], &cfg->findtime) != 0)
			return -1;
		cfg->findtime_set = true;
	} else if (strcmp(k, "bantime") == 0) {
		if (lp_want(p, nw, 2, "bantime DURATION") != 0 ||
		    parse_duration_arg(p, "bantime", w[1], &cfg->bantime) != 0)
			return -1;
		cfg->bantime_set = true;
	} else if (strcmp(k, "bantime_max") == 0) {
		if (lp_want(p, nw, 2, "bantime_max DURATION") != 0 ||
		    parse_duration_arg(p, "bantime_max", w[1], &cfg->bantime_max) != 0)
			return -1;
	} else if (strcmp(k, "bantime_factor") == 0) {
		if (lp_want(p, nw, 2, "bantime_factor N") != 0)
			return -1;
		if (uint_parse(w[1], 1, 100, &u) != 0)
			return lp_error(p, "bad bantime_factor '%s', expected 1..100", w[1]);
		cfg->bantime_factor = (unsigned)u;
	} else if (strcmp(k, "coalition") == 0) {
		if (lp_want(p, nw, 2, "coalition CHARTER-FILE") != 0 ||
		    parse_path(p, w[1], cfg->charter, sizeof(cfg->charter), "charter file") != 0)
			return -1;
		cfg->charter_line = p->line;
	} else if (strcmp(k, "identity") == 0) {
		if (lp_want(p, nw, 2, "identity SECRET-KEY-FILE") != 0 ||
		    parse_path(p, w[1], cfg->identity, sizeof(cfg->identity), "identity file") != 0)
			return -1;
		cfg->identity_line = p->line;
	} else if (strcmp(k, "nats_creds") == 0) {
		if (lp_want(p, nw, 2, "nats_creds CREDENTIALS-FILE") != 0 ||
		    parse_path(p, w[1], cfg->nats_creds, sizeof(cfg->nats_creds), "NATS credentials file") != 0)
			return -1;
	} else if (strcmp(k, "nats_nkey") == 0) {
		if (lp_want(p, nw, 2, "nats_nkey NKEY-SEED-FILE") != 0 ||
		    parse_path(p, w[1], cfg->nats_nkey, sizeof(cfg->nats_nkey), "NATS nkey seed file") != 0)
			return -1;
	} else if (strcmp(k, "nats_tls_ca") == 0) {
		if (lp_want(p, nw, 2, "nats_tls_ca CA-FILE") != 0 ||
		    parse_path(p, w[1], cfg->nats_tls_ca, sizeof(cfg->nats_tls_ca), "NATS TLS CA file") != 0)
			return -1;
	} else if (strcmp(k, "unban_hold") == 0) {
		if (lp_want(p, nw, 2, "unban_hold DURATION") != 0 ||
		    parse_duration_arg(p, "unban_hold", w[1], &cfg->unban_hold) != 0)
			return -1;
	} else if (strncmp(k, "coalition_", 10) == 0) {
		return config_parse_floor(p, cfg, w, nw);
	} else if (strcmp(k, "source_quiet") == 0) {
		if (lp_want(p, nw, 2, "source_quiet DURATION|off") != 0)
			return -1;
		if (strcmp(w[1], "off") == 0)
			cfg->source_quiet = 0;
		else if (parse_duration_arg(p, "source_quiet", w[1], &cfg->source_quiet) != 0)
			return -1;
	} else if (strcmp(k, "kernel_mirror") == 0) {
		if (lp_want(p, nw, 2, "kernel_mirror yes|no") != 0)
			return -1;
		if (strcmp(w[1], "yes") == 0)
			cfg->kernel_mirror = 1;
		else if (strcmp(w[1], "no") == 0)
			cfg->kernel_mirror = 0;
		else
			return lp_error(p, "bad kernel_mirror '%s', expected yes or no", w[1]);
	} else if (strcmp(k, "publish") == 0) {
		if (lp_want(p, nw, 2, "publish yes|no") != 0)
			return -1;
		if (strcmp(w[1], "yes") == 0)
			cfg->publish = true;
		else if (strcmp(w[1], "no") == 0)
			cfg->publish = false;
		else
			return lp_error(p, "bad publish '%s', expected yes or no", w[1]);
	} else if (strcmp(k, "http") == 0) {
		bool loopback;
		char why[160];
		if (lp_want(p, nw, 2, "http ADDR:PORT") != 0)
			return -1;
		if (http_listen_parse(w[1], &loopback, why, sizeof(why)) != 0)
			return lp_error(p, "http: %s", why);
		strlcpy_ok(cfg->http_listen, w[1], sizeof(cfg->http_listen));
		snprintf(cfg->http_where, sizeof(cfg->http_where), "%s:%d", p->name, p->line);
	} else if (strcmp(k, "http_token") == 0) {
		if (lp_want(p, nw, 2, "http_token TOKEN-FILE") != 0 ||
		    parse_path(p, w[1], cfg->http_token, sizeof(cfg->http_token), "http_token file") != 0)
			return -1;
	} else if (strcmp(k, "source") == 0) {
		return parse_source(p, cfg, w, nw);
	} else if (strcmp(k, "service") == 0) {
		return parse_service(p, cfg, w, nw);
	} else
		return lp_error(p, "unknown directive '%s', expected one of mode, state_dir, "
		    "control_socket, control_group, user, rules_dir, rules_local, allow, ipv6_prefix, max_offenders, "
		    "maxretry, findtime, bantime, bantime_max, bantime_factor, coalition, identity, "
		    "nats_creds, nats_nkey, nats_tls_ca, unban_hold, coalition_max_prefix4, "
		    "coalition_max_prefix6, coalition_allow_special, coalition_act_alone, "
		    "publish, kernel_mirror, http, "
		    "http_token, source, source_quiet, service, rule", k);
	return 0;
}

/* One error found: with all (check-config), printed and counted and the
 * parse goes on; without, the parse stops (-1). */
static int
config_error(FILE *all, int *nerr, const char *err)
{
	(*nerr)++;
	if (all == NULL)
		return -1;
	fprintf(all, "%s\n", err);
	return 0;
}

static int
config_parse_report(const char *name, const char *text, size_t len, struct config *cfg,
    char *err, size_t errlen, FILE *all)
{
	struct lineparse p = { name, 0, err, errlen };
	int nerr = 0;
	char line[CONFIG_LINE_MAX];
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;

		p.line++;
		if (n >= sizeof(line)) {
			lp_error(&p, "line too long (at most %d bytes)", CONFIG_LINE_MAX - 1);
			if (config_error(all, &nerr, err) != 0)
				return -1;
		} else if (memchr(text + i, '\0', n) != NULL) {
			lp_error(&p, "NUL byte in configuration");
			if (config_error(all, &nerr, err) != 0)
				return -1;
		} else {
			memcpy(line, text + i, n);
			line[n] = '\0';
			if (n > 0 && line[n - 1] == '\r')
				line[n - 1] = '\0';
			if (parse_line(&p, cfg, line) != 0 && config_error(all, &nerr, err) != 0)
				return -1;
		}
		i += n + 1;
	}
	if ((cfg->charter[0] == '\0') != (cfg->identity[0] == '\0')) {
		snprintf(err, errlen, "%s: 'coalition' and 'identity' go together", name);
		if (config_error(all, &nerr, err) != 0)
			return -1;
	}
	if (cfg->http_listen[0] != '\0' && cfg->http_token[0] == '\0') {
		bool loopback = false;
		char why[160];
		if (http_listen_parse(cfg->http_listen, &loopback, why, sizeof(why)) == 0 && !loopback) {
			snprintf(err, errlen, "%s: http %s is not a loopback address: set 'http_token "
			    "FILE' to serve it there (docs/metrics.md)", cfg->http_where, cfg->http_listen);
			if (config_error(all, &nerr, err) != 0)
				return -1;
		}
	}
	if (cfg->bantime > cfg->bantime_max) {
		snprintf(err, errlen, "%s: bantime is longer than bantime_max", name);
		if (config_error(all, &nerr, err) != 0)
			return -1;
	}
	for (size_t j = 0; j < cfg->nsources; j++) {
		const struct config_source *src = &cfg->sources[j];
		char svc[RULES_NAME_MAX];
		size_t n = 1;

		if (src->services[0] == '\0')
			continue;
		for (const char *c = src->services; *c; c++)
			n += *c == ',';
		for (size_t k = 0; k < n; k++) {
			if (!config_source_service(src, k, svc, sizeof(svc))) {
				snprintf(err, errlen, "%s: bad service list '%s', expected NAME[,NAME...]",
				    src->where, src->services);
				if (config_error(all, &nerr, err) != 0)
					return -1;
				break;
			}
			if (config_f2b_find(cfg, svc) < 0) {
				snprintf(err, errlen, "%s: source for service '%s', which is no "
				    "'service %s fail2ban-filter PATH' line", src->where, svc, svc);
				if (config_error(all, &nerr, err) != 0)
					return -1;
			}
		}
	}
	return nerr;
}

int
config_parse(const char *name, const char *text, size_t len, struct config *cfg,
    char *err, size_t errlen)
{
	return config_parse_report(name, text, len, cfg, err, errlen, NULL) == 0 ? 0 : -1;
}

int
config_load_report(const char *path, struct config *cfg, FILE *errs)
{
	char err[1024];
	char *buf;
	size_t n;
	int rc;

	if (lp_read_file(path, CONFIG_FILE_MAX, &buf, &n, err, sizeof(err)) != 0) {
		fprintf(errs, "%s\n", err);
		return 1;
	}
	strlcpy_ok(cfg->path, path, sizeof(cfg->path));
	rc = config_parse_report(path, buf, n, cfg, err, sizeof(err), errs);
	free(buf);
	return rc;
}

int
config_source_service(const struct config_source *src, size_t k, char *name, size_t n)
{
	const char *p = src->services;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len >= n)
			return 0;	/* "", "a,,b" or a name too long: no more */
		if (k-- == 0) {
			memcpy(name, p, len);
			name[len] = '\0';
			return 1;
		}
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

int
config_f2b_find(const struct config *cfg, const char *service)
{
	for (size_t j = 0; j < cfg->nf2b; j++)
		if (strcmp(cfg->f2b[j].service, service) == 0)
			return (int)j;
	return -1;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	int rc;

	if (lp_read_file(path, CONFIG_FILE_MAX, &buf, &n, err, errlen) != 0)
		return -1;
	strlcpy_ok(cfg->path, path, sizeof(cfg->path));
	rc = config_parse(path, buf, n, cfg, err, errlen);
	free(buf);
	return rc;
}

struct ruleset *
config_build_rules(const struct config *cfg, char *err, size_t errlen)
{
	struct ruleset *rs = rules_new();

	if (rs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rules_load_dirs(rs, cfg->rules_dir, cfg->rules_local, err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct config_rule *r = &cfg->rules[i];
		if (rules_add(rs, r->service, r->kind, r->name, r->pattern, r->where, err, errlen) != 0)
			goto fail;
	}
	for (size_t i = 0; i < cfg->nf2b; i++)
		if (rules_service_add(rs, cfg->f2b[i].service, cfg->f2b[i].where, err, errlen) < 0)
			goto fail;
	if (rules_compile(rs, err, errlen) != 0)
		goto fail;
	return rs;
fail:
	rules_free(rs);
	return NULL;
}

int
config_policies(const struct config *cfg, const struct ruleset *rs,
    struct service_policy *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < rules_service_count(rs); i++) {
		const struct rules_service *s = rules_service_get(rs, (int)i);
		out[i].maxretry = s->maxretry > 0 && !cfg->maxretry_set ? s->maxretry : cfg->maxretry;
		out[i].findtime = s->findtime > 0 && !cfg->findtime_set ? s->findtime : cfg->findtime;
		out[i].bantime = s->bantime > 0 && !cfg->bantime_set ? s->bantime : cfg->bantime;
		out[i].disabled = false;
	}
	for (size_t j = 0; j < cfg->nservices; j++) {
		const struct config_service *c = &cfg->services[j];
		int i = rules_service_find(rs, c->name);
		if (i < 0) {
			snprintf(err, errlen, "%s: unknown service '%s' (see the rules directory %s)",
			    c->where, c->name, cfg->rules_dir);
			return -1;
		}
		if (c->maxretry > 0)
			out[i].maxretry = c->maxretry;
		if (c->findtime > 0)
			out[i].findtime = c->findtime;
		if (c->bantime > 0)
			out[i].bantime = c->bantime;
		if (c->disabled)
			out[i].disabled = true;
	}
	return 0;
}

void
config_adopted_charter(const struct config *cfg, char *out, size_t n)
{
	snprintf(out, n, "%s/charter.adopted", cfg->state_dir);
}

int
config_allowlist(const struct config *cfg, struct prefixlist *out)
{
	*out = cfg->allow;
	return prefixlist_add_local(out);
}
