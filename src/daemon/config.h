/* config.h - article5.conf: parsed into a struct, errors as FILE:LINE. */
#ifndef A5_CONFIG_H
#define A5_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/prefixlist.h"
#include "rules/rules.h"

#define CONFIG_SOURCES_MAX 64
#define CONFIG_MATCHES_MAX 16
#define CONFIG_SERVICES_MAX 256
#define CONFIG_RULES_MAX 256
#define CONFIG_LINE_MAX 4096
#define CONFIG_F2B_MAX 64
#define CONFIG_SOURCE_SERVICES_MAX 512

#ifndef A5_SYSCONFDIR
#define A5_SYSCONFDIR "/etc"
#endif
/* The file `article5 daemon` and `check-config` read without -c. */
#define CONFIG_DEFAULT_PATH A5_SYSCONFDIR "/article5/article5.conf"
/* The local rules that replace or add to the shipped ones (rules_local). */
#define CONFIG_RULES_LOCAL_DEFAULT A5_SYSCONFDIR "/article5/rules.d"

enum source_type { SRC_FILE, SRC_JOURNAL, SRC_STDIN };

struct config_source {
	enum source_type type;
	char path[PATH_MAX];
	size_t nmatches;
	char matches[CONFIG_MATCHES_MAX][128];
	/* "": the native rules and every fail2ban-filter service without a
	 * source of its own read it; else only the fail2ban-filter services
	 * it names, "NAME[,NAME...]" (config_source_service). */
	char services[CONFIG_SOURCE_SERVICES_MAX];
	char where[160];		/* "file:line" of the source line */
	bool unless_journal;		/* a file read only when no journal is */
};

/* A service detected by a fail2ban filter file, run as it is (docs/fail2ban.md). */
struct config_f2b {
	char service[RULES_NAME_MAX];
	char path[PATH_MAX];
	char mode[64];			/* "": the filter's own default */
	char where[160];
};

struct config_service {
	char name[RULES_NAME_MAX];
	int maxretry;			/* -1 = inherit */
	int64_t findtime, bantime;	/* -1 = inherit */
	bool disabled;
	int f2b;			/* index in config.f2b of the filter this line names, or -1 */
	char where[160];
};

struct config_rule {
	char service[RULES_NAME_MAX], kind[16], name[RULES_NAME_MAX];
	char pattern[RULES_PATTERN_MAX];
	char where[160];
};

struct config {
	char path[PATH_MAX];
	bool observe;
	char state_dir[PATH_MAX];
	char control_socket[108];
	char control_group[64];
	char user[64];			/* the worker runs as this user (docs/privsep.md) */
	char rules_dir[PATH_MAX];
	char rules_local[PATH_MAX];	/* local overrides of rules_dir; "" for none */
	struct prefixlist allow;	/* configured only; local addresses are added at start */
	unsigned ipv6_prefix;
	size_t max_offenders;
	int maxretry;
	int64_t findtime, bantime, bantime_max;
	unsigned bantime_factor;
	/* Set explicitly in the file: then they beat the rules files' defaults. */
	bool maxretry_set, findtime_set, bantime_set;
	/* coalition (optional): the shared charter and this member's secret key */
	char charter[PATH_MAX];
	char identity[PATH_MAX];
	char nats_creds[PATH_MAX];	/* optional NATS credentials file (JWT + nkey seed) */
	char nats_tls_ca[PATH_MAX];	/* optional CA file: TLS to the NATS servers */
	char nats_nkey[PATH_MAX];	/* optional NATS user nkey seed file (coalition/nkey.h) */
	int64_t unban_hold;		/* a local unban holds against remote reports */
	/* Floors under any charter, adopted ones included (docs/config.md
	 * "Coalition floors"): widest prefix accepted, special ranges, and
	 * the roles (bit 1 << enum member_role) whose reports may act alone. */
	unsigned coalition_max_prefix4, coalition_max_prefix6;
	bool coalition_allow_special;
	unsigned coalition_act_alone;
	bool publish;			/* publish local bans to the coalition */
	int kernel_mirror;		/* -1: only with a coalition; 0 no; 1 yes */
	int64_t source_quiet;		/* a source silent this long is a warning; 0: never */
	/* metrics and dashboard (docs/metrics.md): "" = off */
	char http_listen[64];		/* "ADDR:PORT" or "[ADDR]:PORT" */
	char http_token[PATH_MAX];	/* bearer token file; required unless loopback */
	char http_where[160];		/* "file:line" of the http line */
	/* Lines of the directives the start checks name (0: the default). */
	int user_line, control_group_line, charter_line, identity_line;
	size_t nsources;
	struct config_source sources[CONFIG_SOURCES_MAX];
	size_t nservices;
	struct config_service services[CONFIG_SERVICES_MAX];
	size_t nrules;
	struct config_rule rules[CONFIG_RULES_MAX];
	size_t nf2b;
	struct config_f2b f2b[CONFIG_F2B_MAX];
};

/* Roles that act alone unless configured: member and protected (the
 * charter's defaults), not observer. */
#define CONFIG_ACT_ALONE_DEFAULT 3u

/* Fills cfg with the defaults (no sources). */
void config_defaults(struct config *cfg);
/* What must never be banned: the configured allowlist, loopback and every
 * address of this host. 0, or -1 if the host's addresses could not be
 * listed (the configured ones are in out anyway). */
int config_allowlist(const struct config *cfg, struct prefixlist *out);
/* Where the daemon keeps a charter adopted from the stream: its state
 * directory, the only place the worker may write (docs/privsep.md). */
void config_adopted_charter(const struct config *cfg, char *out, size_t n);
/* Reads path over the defaults. 0, or -1 with "FILE:LINE: ..." in err. */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
/* Reads path over the defaults going on after an error: prints every
 * "FILE:LINE: ..." error to errs; returns how many (0: it parsed). */
int config_load_report(const char *path, struct config *cfg, FILE *errs);
/* Parses configuration text (for tests and fuzzing); name is used in errors. */
int config_parse(const char *name, const char *text, size_t len, struct config *cfg,
    char *err, size_t errlen);

/* Writes cfg as configuration text (config_print.c): every setting, the
 * defaults too, so that it parses back to the same configuration. 0, or -1
 * on a write error. */
int config_print(const struct config *cfg, FILE *f);

/* A plain word: letters, digits, '-', '_' (a fail2ban filter's mode names
 * an option of the filter file, `mdre-<mode>`; jail names become service
 * names). Not empty. */
bool config_word_ok(const char *s);
/* The k-th (from 0) service name of src->services into name: 1, or 0 when
 * there is none (or it does not fit). */
int config_source_service(const struct config_source *src, size_t k, char *name, size_t n);
/* Index in cfg->f2b of the fail2ban-filter service named service, or -1. */
int config_f2b_find(const struct config *cfg, const char *service);

/* Builds and compiles the rule set: every rules file of cfg->rules_dir and
 * cfg->rules_local (a local file replaces the shipped one of its name) plus
 * the user rules. NULL with err filled on failure. */
struct ruleset *config_build_rules(const struct config *cfg, char *err, size_t errlen);

/* Effective per-service policy: a `service` line, else the configuration's
 * global value if set explicitly, else the rules file's default for the
 * service, else the built-in default. */
struct service_policy {
	int maxretry;
	int64_t findtime, bantime;
	bool disabled;
};
/* Fills out[i] for every service of rs; err on a `service` line naming an
 * unknown service. 0 or -1. */
int config_policies(const struct config *cfg, const struct ruleset *rs,
    struct service_policy *out, char *err, size_t errlen);

#endif
