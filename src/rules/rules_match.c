/* rules_match.c - scanning: each line's candidate rules from the
 * prefilter, confirmed by their PCRE2 programs in load order; the first
 * that confirms is the line's match. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rules/litset.h"
#include "rules/rules_int.h"
#include "rules/syslog.h"

struct rules_scratch *
rules_scratch_new(const struct ruleset *rs)
{
	struct rules_scratch *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return NULL;
	sc->rs = rs;
	sc->jit = calloc(rs->nrules, sizeof(*sc->jit));
	sc->cands = calloc(rs->nrules, sizeof(*sc->cands));
	sc->seen = calloc(rs->nrules, sizeof(*sc->seen));
	sc->counts = calloc(rs->nrules, sizeof(*sc->counts));
	sc->md = pcre2_match_data_create(32, NULL);
	sc->mctx = pcre2_match_context_copy(rs->mctx);
	sc->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (sc->jit == NULL || sc->cands == NULL || sc->seen == NULL || sc->counts == NULL ||
	    sc->md == NULL || sc->mctx == NULL || sc->jit_stack == NULL) {
		rules_scratch_free(sc);
		return NULL;
	}
	if (rs->alt != NULL) {
		sc->hits_cap = 4096;
		sc->hits = malloc(sc->hits_cap * sizeof(*sc->hits));
		sc->last_line = calloc(rs->nrules, sizeof(*sc->last_line));
		if (sc->hits == NULL || sc->last_line == NULL || rs->alt->scratch_new(sc) != 0) {
			rules_scratch_free(sc);
			return NULL;
		}
	}
	pcre2_jit_stack_assign(sc->mctx, NULL, sc->jit_stack);
	return sc;
}

void
rules_scratch_free(struct rules_scratch *sc)
{
	if (sc == NULL)
		return;
	if (sc->rs->alt != NULL && sc->alt_scratch != NULL)
		sc->rs->alt->scratch_free(sc);
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	pcre2_jit_stack_free(sc->jit_stack);
	free(sc->jit);
	free(sc->cands);
	free(sc->seen);
	free(sc->hits);
	free(sc->last_line);
	free(sc->counts);
	free(sc);
}

uint64_t
rules_scratch_hits(const struct rules_scratch *sc, int rule)
{
	return sc->counts[rule];
}

uint64_t
rules_scratch_limit_hits(const struct rules_scratch *sc)
{
	return sc->limit_hits;
}

void
rules_scratch_set_program(struct rules_scratch *sc, const char *prog)
{
	sc->bare_prog = prog;
	sc->bare_proglen = prog != NULL ? strlen(prog) : 0;
}

int
rules_hit_push(struct rules_scratch *sc, size_t start, int rule)
{
	if (sc->nhits == sc->hits_cap) {
		size_t ncap = sc->hits_cap ? sc->hits_cap * 2 : 4096;
		struct hit *n = ncap <= (1u << 24) ? realloc(sc->hits, ncap * sizeof(*n)) : NULL;
		if (n == NULL) {
			sc->overflow = true;
			return -1;
		}
		sc->hits = n;
		sc->hits_cap = ncap;
	}
	sc->hits[sc->nhits].line_start = start;
	sc->hits[sc->nhits].rule = rule;
	sc->nhits++;
	return 0;
}

/* Adds rule to the line's candidates, once. */
static void
cand_add(struct rules_scratch *sc, int rule)
{
	if (sc->seen[rule] == sc->line_no)
		return;
	sc->seen[rule] = sc->line_no;
	sc->cands[sc->ncands++] = rule;
}

/* litset's report: a literal of rule id in the line being scanned. */
static int
on_lit_match(void *ctx, unsigned id, size_t start)
{
	(void)start;
	cand_add(ctx, (int)id);
	return 0;
}

/* The candidate rules of the line buf[start..end), in load order:
 * sc->cands[0..ncands). *hit: the next of the alternative prefilter's
 * hits. */
static void
line_cands(const struct ruleset *rs, struct rules_scratch *sc, const char *buf,
    size_t start, size_t end, size_t *hit)
{
	sc->ncands = 0;
	sc->line_no++;
	if (rs->alt == NULL)
		(void)litset_scan(rs->lits, buf + start, end - start, on_lit_match, sc);
	else
		for (; *hit < sc->nhits && sc->hits[*hit].line_start == start; (*hit)++)
			sc->cands[sc->ncands++] = sc->hits[*hit].rule;
	/* Rules without literal text: every line is a candidate. */
	for (size_t k = 0; k < rs->nevery; k++)
		cand_add(sc, rs->every[k]);
	/* Literals come in order of their place in the line: a few rules,
	 * sorted by insertion. */
	for (size_t i = 1; i < sc->ncands; i++) {
		int r = sc->cands[i];
		size_t j = i;
		while (j > 0 && sc->cands[j - 1] > r) {
			sc->cands[j] = sc->cands[j - 1];
			j--;
		}
		sc->cands[j] = r;
	}
}

/* The header of the line being confirmed, parsed at most once, and the
 * last service whose programs were compared with its tag (a line's
 * candidates are mostly of one service). */
struct line_hdr {
	bool parsed, ok;
	struct syslog_hdr h;
	int svc;		/* -1: none yet */
	bool svc_ok;
};

static bool
program_matches(const struct ruleset *rs, int service, const struct syslog_hdr *h)
{
	const struct rules_service *svc = &rs->services[service];

	for (size_t i = 0; i < svc->nprograms; i++)
		if (rs->proglens[service][i] == h->proglen &&
		    memcmp(svc->programs[i], h->prog, h->proglen) == 0)
			return true;
	return false;
}

/* Serializes the lazy JIT compilation below: the compiled code is stored
 * in the rule set's pcre2_code, which threads scanning with scratches of
 * their own share (article5 scan --threads). Taken once per rule and
 * scratch, never on the matching path. */
static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

/* Runs rule r's PCRE2 program over subj[0..slen): the match count, or a
 * PCRE2 error. The program is JIT-compiled on its first run: a rule set
 * holds every service's rules, a log reaches a few of them. pcre2_jit_compile
 * leaves an already compiled program as it is, so each scratch asks once. */
static int
run_pcre(const struct ruleset *rs, struct rules_scratch *sc, int r, const char *subj, size_t slen)
{
	const struct rule_impl *ri = &rs->rules[r];

	if (sc->jit[r] == 0) {
		pthread_mutex_lock(&jit_lock);
		sc->jit[r] = pcre2_jit_compile(ri->code, PCRE2_JIT_COMPLETE) == 0 ? 1 : 2;
		pthread_mutex_unlock(&jit_lock);
	}
	/* JIT is an optimisation: without it the interpreter still works. */
	if (sc->jit[r] == 1)
		return pcre2_jit_match(ri->code, (PCRE2_SPTR)subj, slen, 0, 0, sc->md, sc->mctx);
	return pcre2_match(ri->code, (PCRE2_SPTR)subj, slen, 0, 0, sc->md, sc->mctx);
}

/* Runs rule r's PCRE2 program over one line (or its syslog message); fills
 * m on success. */
static bool
confirm(const struct ruleset *rs, struct rules_scratch *sc, int r,
    const char *line, size_t len, struct line_hdr *lh, struct rules_match *m)
{
	const struct rule_impl *ri = &rs->rules[r];
	const struct rules_service *svc = &rs->services[ri->info.service];
	const char *subj = line;
	size_t slen = len;
	PCRE2_SIZE *ov;

	if (svc->has_program) {
		if (!lh->parsed) {
			if (sc->bare_prog != NULL) {
				/* journalctl -o cat: no header, the caller names
				 * the program (scan --program). */
				memset(&lh->h, 0, sizeof(lh->h));
				lh->h.prog = sc->bare_prog;
				lh->h.proglen = sc->bare_proglen;
				lh->h.msglen = len;
				lh->h.repeat = 1;
				lh->ok = true;
			} else
				lh->ok = syslog_parse(line, len, &lh->h) == 0;
			lh->parsed = true;
		}
		if (!lh->ok)
			return false;
		if (lh->svc != ri->info.service) {
			lh->svc = ri->info.service;
			lh->svc_ok = program_matches(rs, lh->svc, &lh->h);
		}
		if (!lh->svc_ok)
			return false;
		subj = line + lh->h.msg;
		slen = lh->h.msglen;
	}
	/* '^' anchors at the subject's start: a subject that does not start
	 * with the pattern's fixed text cannot match (e.g. a line holding
	 * "Failed " elsewhere), and is refused without running PCRE2. */
	if (ri->prefixlen > 0 && (slen < ri->prefixlen || memcmp(subj, ri->prefix, ri->prefixlen) != 0))
		return false;
	int rc = run_pcre(rs, sc, r, subj, slen);
	if (rc < 0) {
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
			sc->limit_hits++;
		return false;
	}
	ov = pcre2_get_ovector_pointer(sc->md);
	m->has_addr = false;
	m->has_pid = svc->has_program && lh->h.has_pid;
	m->pid = m->has_pid ? lh->h.pid : 0;
	m->repeat = svc->has_program ? lh->h.repeat : 1;
	if (ri->host_group > 0 && rc > ri->host_group &&
	    ov[2 * ri->host_group] != PCRE2_UNSET) {
		size_t s = ov[2 * ri->host_group], e = ov[2 * ri->host_group + 1];
		if (addr_parse(subj + s, e - s, &m->addr) != 0)
			return false;	/* not an address: not this rule's line */
		m->has_addr = true;
	}
	if (ri->conn_group > 0 && rc > ri->conn_group && ov[2 * ri->conn_group] != PCRE2_UNSET) {
		uint32_t conn = 2166136261u;	/* FNV-1a */
		for (size_t k = ov[2 * ri->conn_group]; k < ov[2 * ri->conn_group + 1]; k++)
			conn = (conn ^ (uint8_t)subj[k]) * 16777619u;
		m->has_pid = true;
		m->pid = conn;
	}
	m->rule = r;
	m->info = &ri->info;
	return true;
}

long
rules_prefilter(const struct ruleset *rs, struct rules_scratch *sc,
    const char *buf, size_t len, rules_flag_cb cb, void *arg)
{
	size_t line_index = 0, hit = 0;

	if (len == 0)
		return 0;
	if (rs->alt != NULL && rs->alt->scan(sc, buf, len) != 0)
		return -1;
	for (size_t start = 0; start < len; line_index++) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len;
		line_cands(rs, sc, buf, start, end, &hit);
		for (size_t i = 0; i < sc->ncands; i++)
			cb(arg, line_index, sc->cands[i]);
		start = end + 1;
	}
	return (long)line_index;
}

bool
rules_confirm_line(const struct ruleset *rs, struct rules_scratch *sc, int rule,
    const char *line, size_t len, struct rules_match *m)
{
	struct line_hdr lh;

	memset(&lh, 0, sizeof(lh));
	lh.svc = -1;
	if (rule < 0 || (size_t)rule >= rs->nrules || !confirm(rs, sc, rule, line, len, &lh, m))
		return false;
	m->line = line;
	m->len = len;
	m->line_index = 0;
	return true;
}

long
rules_scan(const struct ruleset *rs, struct rules_scratch *sc,
    const char *buf, size_t len, rules_match_cb cb, void *arg)
{
	size_t line_index = 0, hit = 0;

	if (len == 0)
		return 0;
	if (rs->alt != NULL && rs->alt->scan(sc, buf, len) != 0)
		return -1;
	for (size_t start = 0; start < len; line_index++) {
		const char *line = buf + start;
		const char *nl = memchr(line, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len, llen = end - start;

		line_cands(rs, sc, buf, start, end, &hit);
		start = end + 1;
		if (sc->ncands == 0)
			continue;
		struct rules_match m;
		struct line_hdr lh = { false, false, { NULL, 0, false, 0, 0, 0, 0 }, -1, false };
		for (size_t i = 0; i < sc->ncands; i++)
			if (confirm(rs, sc, sc->cands[i], line, llen, &lh, &m)) {
				m.line = line;
				m.len = llen;
				m.line_index = line_index;
				sc->counts[m.rule]++;
				cb(arg, &m);
				break;
			}
	}
	return (long)line_index;
}
