/* rules.h - the rule set: rule files loaded, compiled into one literal
 * prefilter, and scanned over chunks of complete log lines. The prefilter
 * flags each line's candidate rules; PCRE2-JIT confirms them in load order
 * and captures the address. */
#ifndef A5_RULES_H
#define A5_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define RULES_NAME_MAX 48
#define RULES_MAX 2048
#define RULES_SERVICES_MAX 256
#define RULES_PATTERN_MAX 4096
#define RULES_PROGRAMS_MAX 16

enum rule_kind {
	RK_FAIL, RK_PROBE, RK_PENDING, RK_SUCCESS, RK_END, RK_END_AUTH, RK_CONTEXT,
};

struct rules_service {
	char name[RULES_NAME_MAX];
	int maxretry;			/* -1 = not set by the rules file */
	int64_t findtime, bantime;	/* -1 = not set */
	bool has_program;
	size_t nprograms;
	char programs[RULES_PROGRAMS_MAX][RULES_NAME_MAX];
};

struct rules_rule {
	char name[RULES_NAME_MAX];
	enum rule_kind kind;
	int service;			/* index into the services */
	char where[160];		/* "file:line", for messages */
};

/* One confirmed match, handed to the caller in input order. */
struct rules_match {
	int rule;			/* index of the rule */
	const struct rules_rule *info;
	const char *line;		/* the line, without its newline */
	size_t len;
	size_t line_index;		/* 0-based index of the line in the chunk */
	bool has_addr;
	struct a5_prefix addr;
	bool has_pid;
	uint32_t pid;
	unsigned repeat;		/* attempts the line stands for: 1, or N of
					 * "message repeated N times" (bounded) */
};

typedef void (*rules_match_cb)(void *arg, const struct rules_match *m);

struct ruleset;
struct rules_scratch;

struct ruleset *rules_new(void);
void rules_free(struct ruleset *rs);

/* The prefilter that flags the lines PCRE2 then confirms. RULES_PF_NATIVE
 * (the default): each rule's longest run of plain text, found by litset.
 * The others are for tests (tests/unit/test_hsdiff.c), never production:
 * RULES_PF_HS_LITERAL gives the same literals to Hyperscan, as before
 * vectorscan 5.4.9 was seen missing literals past the 60th byte;
 * RULES_PF_HS_REGEX gives Hyperscan each whole pattern (its message part),
 * to check the regular expression engine of the library linked. Set before
 * any rule is added; defined in rules_hs.c, so that a program that never
 * calls it does not link Hyperscan. */
enum rules_prefilter_engine {
	RULES_PF_NATIVE,
	RULES_PF_HS_LITERAL,
	RULES_PF_HS_REGEX,
};
void rules_set_prefilter_engine(struct ruleset *rs, enum rules_prefilter_engine e);

/* Loads one rules file / every *.rules file of a directory (sorted by name).
 * Errors name file:line. 0 or -1. */
int rules_load_file(struct ruleset *rs, const char *path, char *err, size_t errlen);
int rules_load_dir(struct ruleset *rs, const char *dir, char *err, size_t errlen);
/* The *.rules files of dir, then those of local (NULL or "" for none; a
 * missing local directory is empty): a local file replaces the file of dir
 * with the same name, the others add to it. Each directory in name order. */
int rules_load_dirs(struct ruleset *rs, const char *dir, const char *local, char *err,
    size_t errlen);
/* Adds one rule given as words (user rules from the configuration). A new
 * service is created without a program, so the pattern matches whole lines. */
int rules_add(struct ruleset *rs, const char *service, const char *kind,
    const char *name, const char *pattern, const char *where, char *err, size_t errlen);
/* Adds a service with no rule of its own, whose lines another detector
 * judges (a fail2ban filter): it gets a policy and detector windows like any
 * service. Its index, or -1 if the name is taken or invalid. */
int rules_service_add(struct ruleset *rs, const char *service, const char *where,
    char *err, size_t errlen);
/* Compiles everything loaded; no rule may be added afterwards. 0 or -1. */
int rules_compile(struct ruleset *rs, char *err, size_t errlen);

size_t rules_count(const struct ruleset *rs);
const struct rules_rule *rules_get(const struct ruleset *rs, int i);
size_t rules_service_count(const struct ruleset *rs);
const struct rules_service *rules_service_get(const struct ruleset *rs, int i);
int rules_service_find(const struct ruleset *rs, const char *name);
const char *rules_kind_name(enum rule_kind k);

/* Scanning state; also counts matches per rule. A compiled rule set may be
 * scanned by several threads at once, each with a scratch of its own (a
 * scratch is one thread's at a time): each rule's PCRE2 program is
 * JIT-compiled, under a lock, when it first runs. */
struct rules_scratch *rules_scratch_new(const struct ruleset *rs);
void rules_scratch_free(struct rules_scratch *sc);
/* Confirmed matches per rule since creation. */
uint64_t rules_scratch_hits(const struct rules_scratch *sc, int rule);
/* PCRE2 runs that hit their match limit (counted, treated as no match). */
uint64_t rules_scratch_limit_hits(const struct rules_scratch *sc);

/* prog non-NULL: the lines have no syslog header (journalctl -o cat); each
 * is a message of prog, for the services that name it in `program`. NULL
 * (the default): headers are parsed. prog must outlive the scratch's use. */
void rules_scratch_set_program(struct rules_scratch *sc, const char *prog);

/* Scans buf[0..len), which holds complete lines (the last may lack its
 * newline). Calls cb for each line a rule confirms, in input order; at most
 * one match per line (the first rule in load order that confirms it).
 * Returns the number of lines in buf, or -1 on a scanning error. */
long rules_scan(const struct ruleset *rs, struct rules_scratch *sc,
    const char *buf, size_t len, rules_match_cb cb, void *arg);

/* For tests and diagnostics. rules_prefilter runs the prefilter alone over buf
 * and calls cb for each (line, rule) it flags, in line order: the lines
 * rules_scan would confirm. rules_confirm_line runs one rule's PCRE2
 * program alone over one line (header parsing and program check included):
 * the reference the prefilter may over-approximate but never miss. */
typedef void (*rules_flag_cb)(void *arg, size_t line_index, int rule);
long rules_prefilter(const struct ruleset *rs, struct rules_scratch *sc,
    const char *buf, size_t len, rules_flag_cb cb, void *arg);
bool rules_confirm_line(const struct ruleset *rs, struct rules_scratch *sc, int rule,
    const char *line, size_t len, struct rules_match *m);
/* The literals the prefilter looks for on behalf of rule i (at most max
 * of them, into lits and lens): their number, 0 when the rule is tried on
 * every line. Literal engines only. */
size_t rules_literals(const struct ruleset *rs, int i, const char **lits, size_t *lens, size_t max);

#endif
