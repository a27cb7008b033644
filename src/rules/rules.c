/* rules.c - the rule set: services and rules added, each rule's PCRE2
 * program compiled, and the literal prefilter (litset) built from the
 * rules' literals. Scanning is rules_match.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "rules/litset.h"
#include "rules/rules_int.h"

/* PCRE2 runs only on lines the prefilter flagged, but a rule author can still
 * write a pattern that backtracks badly; these bound every run. */
#define PCRE2_MATCH_LIMIT 200000
#define PCRE2_DEPTH_LIMIT 2000
#define PCRE2_HEAP_LIMIT_KIB 4096

static const char *const kind_names[] = {
	[RK_FAIL] = "fail", [RK_PROBE] = "probe", [RK_PENDING] = "pending",
	[RK_SUCCESS] = "success", [RK_END] = "end", [RK_END_AUTH] = "end-auth",
	[RK_CONTEXT] = "context",
};

const char *
rules_kind_name(enum rule_kind k)
{
	return (unsigned)k < ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

int
rules_kind_parse(const char *s, enum rule_kind *out)
{
	for (size_t i = 0; i < ARRAY_LEN(kind_names); i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum rule_kind)i;
			return 0;
		}
	return -1;
}

struct ruleset *
rules_new(void)
{
	return calloc(1, sizeof(struct ruleset));
}

void
rules_free(struct ruleset *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->nrules; i++) {
		free(rs->rules[i].hs_pattern);
		free(rs->rules[i].pcre_pattern);
		for (size_t k = 0; k < rs->rules[i].nlits; k++)
			free(rs->rules[i].lit[k]);
		free(rs->rules[i].prefix);
		pcre2_code_free(rs->rules[i].code);
	}
	if (rs->alt != NULL)
		rs->alt->free(rs);
	litset_free(rs->lits);
	pcre2_match_context_free(rs->mctx);
	free(rs);
}

size_t rules_count(const struct ruleset *rs) { return rs->nrules; }

size_t
rules_literals(const struct ruleset *rs, int i, const char **lits, size_t *lens, size_t max)
{
	const struct rule_impl *r = &rs->rules[i];

	for (size_t k = 0; k < r->nlits && k < max; k++) {
		lits[k] = r->lit[k];
		lens[k] = r->litlen[k];
	}
	return r->every_line ? 0 : r->nlits;
}

size_t rules_service_count(const struct ruleset *rs) { return rs->nservices; }

const struct rules_rule *
rules_get(const struct ruleset *rs, int i)
{
	return &rs->rules[i].info;
}

const struct rules_service *
rules_service_get(const struct ruleset *rs, int i)
{
	return &rs->services[i];
}

int
rules_service_find(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nservices; i++)
		if (strcmp(rs->services[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RULES_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

int
rules_service_get_or_add(struct ruleset *rs, const char *name, char *err, size_t errlen,
    const char *where)
{
	int i = rules_service_find(rs, name);

	if (i >= 0)
		return i;
	if (!name_valid(name)) {
		snprintf(err, errlen, "%s: invalid service name '%s', expected letters, digits, '-', '_' or '.'",
		    where, name);
		return -1;
	}
	if (rs->nservices >= RULES_SERVICES_MAX) {
		snprintf(err, errlen, "%s: too many services (at most %d)", where, RULES_SERVICES_MAX);
		return -1;
	}
	struct rules_service *s = &rs->services[rs->nservices];
	memset(s, 0, sizeof(*s));
	strlcpy_ok(s->name, name, sizeof(s->name));
	s->maxretry = -1;
	s->findtime = s->bantime = -1;
	return (int)rs->nservices++;
}

/* Frees what rule_add allocated for a rule it then refuses. */
static void
rule_impl_clear(struct rule_impl *r)
{
	free(r->hs_pattern);
	free(r->pcre_pattern);
	for (size_t k = 0; k < r->nlits; k++)
		free(r->lit[k]);
	free(r->prefix);
	memset(r, 0, sizeof(*r));
}

int
rules_rule_add(struct ruleset *rs, int service, enum rule_kind kind, const char *name,
    const char *pattern, const char *where, char *err, size_t errlen)
{
	char pc[RULES_PATTERN_MAX];
	const struct rules_service *svc = &rs->services[service];

	if (rs->compiled) {
		snprintf(err, errlen, "%s: rules already compiled", where);
		return -1;
	}
	if (!name_valid(name)) {
		snprintf(err, errlen, "%s: invalid rule name '%s', expected letters, digits, '-', '_' or '.'",
		    where, name);
		return -1;
	}
	if (rs->nrules >= RULES_MAX) {
		snprintf(err, errlen, "%s: too many rules (at most %d)", where, RULES_MAX);
		return -1;
	}
	bool has_host = strstr(pattern, "<HOST>") != NULL;
	/* pending and the closing kinds may take the address from an earlier
	 * line of the same connection; fail and probe count on their own line. */
	if (!has_host && (kind == RK_FAIL || kind == RK_PROBE)) {
		snprintf(err, errlen, "%s: a '%s' rule needs <HOST> in its pattern", where,
		    rules_kind_name(kind));
		return -1;
	}
	if (has_host && strstr(strstr(pattern, "<HOST>") + 6, "<HOST>") != NULL) {
		snprintf(err, errlen, "%s: <HOST> may appear only once", where);
		return -1;
	}
	bool has_conn = strstr(pattern, "<CONN>") != NULL;
	if (has_conn && strstr(strstr(pattern, "<CONN>") + 6, "<CONN>") != NULL) {
		snprintf(err, errlen, "%s: <CONN> may appear only once", where);
		return -1;
	}
	if (pattern_expand(pattern, svc->has_program, true, pc, where, err, errlen) != 0)
		return -1;

	/* The prefilter only flags candidates; PCRE2 confirms each with the
	 * full anchored pattern. So the prefilter gets the pattern's longest
	 * run of plain text ("Failed password for "), never the regular
	 * expression: vectorscan 5.4.9, Debian 12's libhs, misses real matches
	 * of some multi-line expressions ("^.+x$") and literals past the 60th
	 * byte (tests/unit/test_hsdiff.c), and a line the prefilter misses is
	 * an attack not seen. A pattern without LITSET_MIN bytes of plain
	 * text is left to PCRE2 on every line (docs/rules.md, "Hyperscan"). */
	char lit[LIT_ALTS_MAX][LIT_LEN_MAX], prefix[LIT_LEN_MAX];
	size_t litlens[LIT_ALTS_MAX], nlits = 0, prefixlen = 0;
	nlits = pattern_literals(pattern + 1, lit, litlens, prefix, &prefixlen);
	for (size_t k = 0; k < nlits; k++)
		if (litlens[k] < LITSET_MIN || memchr(lit[k], '\n', litlens[k]) != NULL)
			nlits = 0;	/* short; or a newline, which no line holds */
	char *hs = NULL;	/* the tests' Hyperscan engines: their expression */
	if (rs->alt != NULL && rs->alt->rule_pattern(rs, svc, pattern, lit, litlens, &nlits, &hs,
	    where, err, errlen) != 0)
		return -1;

	struct rule_impl *r = &rs->rules[rs->nrules];
	memset(r, 0, sizeof(*r));
	for (size_t k = 0; k < nlits; k++) {
		if ((r->lit[k] = malloc(litlens[k])) == NULL) {
			for (size_t j = 0; j < k; j++)
				free(r->lit[j]);
			free(hs);
			snprintf(err, errlen, "%s: out of memory", where);
			return -1;
		}
		memcpy(r->lit[k], lit[k], litlens[k]);
		r->litlen[k] = litlens[k];
	}
	r->nlits = nlits;
	if (prefixlen > 0 && (r->prefix = malloc(prefixlen)) != NULL) {
		memcpy(r->prefix, prefix, prefixlen);
		r->prefixlen = prefixlen;
	}
	strlcpy_ok(r->info.name, name, sizeof(r->info.name));
	strlcpy_ok(r->info.where, where, sizeof(r->info.where));
	r->info.kind = kind;
	r->info.service = service;
	r->every_line = hs != NULL && rs->engine == RULES_PF_HS_REGEX ? hs[0] == '\0' : nlits == 0;
	r->hs_pattern = hs;
	r->pcre_pattern = strdup(pc);
	if (r->pcre_pattern == NULL) {
		rule_impl_clear(r);
		snprintf(err, errlen, "%s: out of memory", where);
		return -1;
	}

	int ecode;
	PCRE2_SIZE eoff;
	r->code = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED, 0, &ecode, &eoff, NULL);
	if (r->code == NULL) {
		char msg[256];
		pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errlen, "%s: bad pattern: %s (near offset %zu of the expanded pattern)",
		    where, msg, (size_t)eoff);
		rule_impl_clear(r);
		return -1;
	}
	/* JIT-compiled when the rule first runs (rules_match.c): a rule set
	 * holds every service's rules, a log reaches a few of them. */
	r->host_group = has_host ? pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)"host") : -1;
	r->conn_group = has_conn ? pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)"conn") : -1;
	rs->nrules++;
	return 0;
}

int
rules_add(struct ruleset *rs, const char *service, const char *kind,
    const char *name, const char *pattern, const char *where, char *err, size_t errlen)
{
	enum rule_kind k;
	int svc;

	if (rules_kind_parse(kind, &k) != 0) {
		snprintf(err, errlen, "%s: unknown rule kind '%s', expected fail, probe, pending, "
		    "success, end, end-auth or context", where, kind);
		return -1;
	}
	if ((svc = rules_service_get_or_add(rs, service, err, errlen, where)) < 0)
		return -1;
	return rules_rule_add(rs, svc, k, name, pattern, where, err, errlen);
}

int
rules_service_add(struct ruleset *rs, const char *service, const char *where,
    char *err, size_t errlen)
{
	if (rules_service_find(rs, service) >= 0) {
		snprintf(err, errlen, "%s: service '%s' already exists (a rules file or rule line "
		    "defines it): choose another name", where, service);
		return -1;
	}
	return rules_service_get_or_add(rs, service, err, errlen, where);
}

int
rules_compile(struct ruleset *rs, char *err, size_t errlen)
{
	if (rs->nrules == 0) {
		snprintf(err, errlen, "no rules loaded");
		return -1;
	}
	rs->nevery = 0;
	for (size_t i = 0; i < rs->nrules; i++)
		if (rs->rules[i].every_line)
			rs->every[rs->nevery++] = (int)i;
	for (size_t i = 0; i < rs->nservices; i++)
		for (size_t k = 0; k < rs->services[i].nprograms; k++)
			rs->proglens[i][k] = strlen(rs->services[i].programs[k]);
	if (rs->alt != NULL) {
		if (rs->alt->compile(rs, err, errlen) != 0)
			return -1;
	} else {
		if ((rs->lits = litset_new()) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < rs->nrules; i++) {
			const struct rule_impl *ri = &rs->rules[i];
			for (size_t j = 0; !ri->every_line && j < ri->nlits; j++)
				if (litset_add(rs->lits, ri->lit[j], ri->litlen[j], (unsigned)i) != 0) {
					snprintf(err, errlen, "%s: cannot add the rule's literal", ri->info.where);
					return -1;
				}
		}
	}
	rs->mctx = pcre2_match_context_create(NULL);
	if (rs->mctx == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pcre2_set_match_limit(rs->mctx, PCRE2_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, PCRE2_DEPTH_LIMIT);
	pcre2_set_heap_limit(rs->mctx, PCRE2_HEAP_LIMIT_KIB);
	rs->compiled = true;
	return 0;
}
