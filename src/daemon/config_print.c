/* config_print.c - writes a parsed configuration back as article5.conf text
 * (`check-config -v`): every setting with its value, defaults included.
 * The text parses back to the same configuration, and printing that again
 * gives the same text (tests/config/, test_config's round trip). The one
 * exception: a value ending in CR, which the parser keeps when a space
 * follows it, reads back without it (a CR that ends a line is its end). */
#include <inttypes.h>
#include <stdio.h>

#include "common/addr.h"
#include "daemon/config.h"
#include "daemon/config_floor.h"

/* In the largest unit that divides it ("10m", "4w", "90s"): a single unit
 * is what duration_parse reads back (duration_format's "1h30m" is not). */
static void
print_duration(FILE *f, int64_t secs)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 7 * 86400, 'w' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (secs % units[i].secs == 0) {
			fprintf(f, "%" PRId64 "%c", secs / units[i].secs, units[i].unit);
			return;
		}
	fprintf(f, "%" PRId64 "s", secs);
}

/* "NAME VALUE", or "# NAME: none" for an optional file that is not set. */
static void
print_path(FILE *f, const char *name, const char *path)
{
	if (path[0] != '\0')
		fprintf(f, "%s %s\n", name, path);
	else
		fprintf(f, "# %s: none\n", name);
}

/* A global maxretry, findtime or bantime applies to every service only when
 * the file sets it; otherwise a rules file's default comes first. A line
 * would set it, so the unset value is printed as a comment. */
static void
print_global(FILE *f, const char *name, bool set, int64_t value, bool duration)
{
	if (!set)
		fputs("# ", f);
	fprintf(f, "%s ", name);
	if (duration)
		print_duration(f, value);
	else
		fprintf(f, "%" PRId64, value);
	fputs(set ? "\n" : " (not set: a rules file's default for its services comes first)\n", f);
}

static void
print_source(FILE *f, const struct config_source *s)
{
	switch (s->type) {
	case SRC_FILE:
		fprintf(f, "source file %s%s", s->path, s->unless_journal ? " unless-journal" : "");
		break;
	case SRC_JOURNAL:
		fputs("source journal", f);
		for (size_t i = 0; i < s->nmatches; i++)
			fprintf(f, " %s", s->matches[i]);
		break;
	case SRC_STDIN:
		fputs("source stdin", f);
		break;
	}
	if (s->services[0] != '\0')
		fprintf(f, " service %s", s->services);
	fputc('\n', f);
}

static void
print_service(FILE *f, const struct config *cfg, const struct config_service *s)
{
	fprintf(f, "service %s", s->name);
	if (s->f2b >= 0) {
		const struct config_f2b *b = &cfg->f2b[s->f2b];
		fprintf(f, " fail2ban-filter %s", b->path);
		if (b->mode[0] != '\0')
			fprintf(f, " mode %s", b->mode);
	}
	if (s->maxretry > 0)
		fprintf(f, " maxretry %d", s->maxretry);
	if (s->findtime > 0) {
		fputs(" findtime ", f);
		print_duration(f, s->findtime);
	}
	if (s->bantime > 0) {
		fputs(" bantime ", f);
		print_duration(f, s->bantime);
	}
	if (s->disabled)
		fputs(" disabled", f);
	fputc('\n', f);
}

int
config_print(const struct config *cfg, FILE *f)
{
	char pf[A5_PREFIX_STRLEN];

	fputs("# article5 configuration, every setting (check-config -v)\n", f);
	fprintf(f, "mode %s\n", cfg->observe ? "observe" : "enforce");
	fprintf(f, "state_dir %s\n", cfg->state_dir);
	fprintf(f, "control_socket %s\n", cfg->control_socket);
	fprintf(f, "control_group %s\n", cfg->control_group);
	fprintf(f, "user %s\n", cfg->user);
	fprintf(f, "rules_dir %s\n", cfg->rules_dir);
	fprintf(f, "rules_local %s\n", cfg->rules_local[0] ? cfg->rules_local : "none");
	fprintf(f, "ipv6_prefix %u\n", cfg->ipv6_prefix);
	fprintf(f, "max_offenders %zu\n", cfg->max_offenders);
	print_global(f, "maxretry", cfg->maxretry_set, cfg->maxretry, false);
	print_global(f, "findtime", cfg->findtime_set, cfg->findtime, true);
	print_global(f, "bantime", cfg->bantime_set, cfg->bantime, true);
	fputs("bantime_max ", f);
	print_duration(f, cfg->bantime_max);
	fprintf(f, "\nbantime_factor %u\n", cfg->bantime_factor);

	fputs("\n# coalition\n", f);
	print_path(f, "coalition", cfg->charter);
	print_path(f, "identity", cfg->identity);
	print_path(f, "nats_creds", cfg->nats_creds);
	print_path(f, "nats_tls_ca", cfg->nats_tls_ca);
	/* printed only when set: the nkey login came after the .ok files */
	if (cfg->nats_nkey[0] != '\0')
		print_path(f, "nats_nkey", cfg->nats_nkey);
	fputs("unban_hold ", f);
	print_duration(f, cfg->unban_hold);
	fputc('\n', f);
	config_print_floors(cfg, f);
	fprintf(f, "publish %s\n", cfg->publish ? "yes" : "no");
	if (cfg->kernel_mirror < 0)
		fputs("# kernel_mirror: not set (yes with a coalition, else no)\n", f);
	else
		fprintf(f, "kernel_mirror %s\n", cfg->kernel_mirror ? "yes" : "no");

	fputs("\n# metrics and dashboard (docs/metrics.md)\n", f);
	if (cfg->http_listen[0] != '\0')
		fprintf(f, "http %s\n", cfg->http_listen);
	else
		fputs("# http: off\n", f);
	print_path(f, "http_token", cfg->http_token);

	fputs("\n# never banned, besides loopback and this host's addresses\n", f);
	if (cfg->allow.n == 0)
		fputs("# allow: none\n", f);
	for (size_t i = 0; i < cfg->allow.n; i++) {
		prefix_format(&cfg->allow.p[i], pf, sizeof(pf));
		fprintf(f, "allow %s\n", pf);
	}

	fputs("\n# what is read\n", f);
	if (cfg->nsources == 0)
		fputs("# source: none\n", f);
	for (size_t i = 0; i < cfg->nsources; i++)
		print_source(f, &cfg->sources[i]);
	if (cfg->source_quiet == 0)
		fputs("source_quiet off\n", f);
	else {
		fputs("source_quiet ", f);
		print_duration(f, cfg->source_quiet);
		fputc('\n', f);
	}

	fputs("\n# services and rules beyond the rules directory's\n", f);
	if (cfg->nservices == 0)
		fputs("# service: none\n", f);
	for (size_t i = 0; i < cfg->nservices; i++)
		print_service(f, cfg, &cfg->services[i]);
	if (cfg->nrules == 0)
		fputs("# rule: none\n", f);
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct config_rule *r = &cfg->rules[i];
		fprintf(f, "rule %s %s %s %s\n", r->service, r->kind, r->name, r->pattern);
	}
	return ferror(f) ? -1 : 0;
}
