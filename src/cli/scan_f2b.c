/* scan_f2b.c - `article5 scan --fail2ban-filter`: fail2ban filter files run
 * as they are over log files, offline (the fail2ban-regex role), with the
 * detector deciding what would be banned. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/f2b_pool.h"
#include "cli/scan_input.h"
#include "common/util.h"
#include "daemon/config.h"
#include "detector/detector.h"
#include "f2b/f2b_conf.h"
#include "f2b/f2b_filter.h"

/* Bytes read at once; each block's lines are one batch. SF_SLOTS blocks are
 * in memory: see scan_file. */
#define SF_BLOCK (1u << 20)
#define SF_SLOTS 3
/* Threads by default: one per CPU, at most this many (as the native scan). */
#define SF_THREADS_DEFAULT_MAX 4
#define SF_OPTS_MAX 64

enum sf_mode { SF_SUMMARY, SF_MATCHES, SF_BANS };

struct sf_ban {
	char text[A5_PREFIX_STRLEN];
	int filter;
	uint32_t evidence;
};

struct sf_ctx {
	enum sf_mode mode;
	struct f2b_set *set;
	struct f2b_pool *pool;
	struct f2b_batch *batch[SF_SLOTS];
	struct detector *det;
	uint64_t lineno;		/* lines read, per file */
	uint64_t failures, noaddr;
	uint64_t overlong;		/* lines longer than a whole block (never handed over) */
	struct sf_ban *bans;
	size_t nbans, bans_cap;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 scan --fail2ban-filter FILTER.conf [--fail2ban-filter ...]\n"
	    "                     [--opt NAME=VALUE ...] [--mode M] [-c CONFIG] [--threads N]\n"
	    "                     [--matches | --bans] LOG...\n"
	    "\n"
	    "Runs fail2ban filter files as they are (fail2ban's includes, .local,\n"
	    "[Init] and modes) over log files ('-' is stdin), all filters at once.\n"
	    "\n"
	    "  (default)          per-filter counts, lines/s, and the addresses that\n"
	    "                     would be banned\n"
	    "  --matches          one JSON object per failure, on the line where\n"
	    "                     fail2ban reports it: {\"line\": N, \"filter\": F,\n"
	    "                     \"addr\": A}; N counts from 1 per file. A failure whose\n"
	    "                     id is no address (a host name: never resolved) has\n"
	    "                     \"addr\": null and \"host\": its text\n"
	    "  --bans             each address or prefix that would be banned, sorted\n"
	    "  --opt NAME=VALUE   a filter [Init] option, as jail.conf's\n"
	    "                     `filter = sshd[NAME=VALUE]`; logtype=journal also\n"
	    "                     means the lines carry no date\n"
	    "  --mode M           the same as --opt mode=M\n"
	    "  -c CONFIG          take maxretry, findtime and ipv6_prefix from CONFIG\n"
	    "  --threads N        threads that run the filters, 1..16 (default: one\n"
	    "                     per CPU, at most 4); the output is the same for any N\n");
}

static void
ban_record(struct sf_ctx *c, const struct det_result *r, int filter)
{
	if (c->nbans == c->bans_cap) {
		size_t ncap = c->bans_cap ? c->bans_cap * 2 : 256;
		struct sf_ban *n = realloc(c->bans, ncap * sizeof(*n));
		if (n == NULL)
			return;
		c->bans = n;
		c->bans_cap = ncap;
	}
	prefix_format(&r->prefix, c->bans[c->nbans].text, sizeof(c->bans[c->nbans].text));
	c->bans[c->nbans].filter = filter;
	c->bans[c->nbans].evidence = r->evidence;
	c->nbans++;
}

static void
on_failure(void *arg, const struct f2b_failure *f)
{
	struct sf_ctx *c = arg;
	char a[A5_PREFIX_STRLEN], q[6 * 256 + 8], name[6 * 64 + 8];

	if (c->mode == SF_MATCHES)
		json_escape(name, sizeof(name), f2b_set_name(c->set, f->filter));
	if (!f->has_addr) {
		c->noaddr++;
		if (c->mode == SF_MATCHES) {
			json_escape(q, sizeof(q), f->id);
			printf("{\"line\": %llu, \"filter\": %s, \"addr\": null, \"host\": %s}\n",
			    (unsigned long long)f->line, name, q);
		}
		return;
	}
	c->failures++;
	if (c->mode == SF_MATCHES) {
		prefix_format(&f->addr, a, sizeof(a));
		printf("{\"line\": %llu, \"filter\": %s, \"addr\": \"%s\"}\n",
		    (unsigned long long)f->line, name, a);
		return;
	}
	struct det_event ev = { RK_FAIL, f->filter, true, f->addr, false, 0, f->ts };
	struct det_result r;
	det_feed(c->det, &ev, &r);
	if (r.ban)
		ban_record(c, &r, f->filter);
}

/* The batch whose filters run is done: its failures, in order, for the
 * detector. Its lines are numbered from base + 1. */
static int
batch_done(struct sf_ctx *c, int k, uint64_t base)
{
	f2b_pool_finish(c->pool);
	if (f2b_batch_emit(c->batch[k], base + 1, on_failure, c) != 0) {
		fprintf(stderr, "article5 scan: out of memory\n");
		return -1;
	}
	return 0;
}

/* Batch k, scanned, gets its dates (this thread), once the batch before it
 * is done and emitted; its filters then start. next: the batch whose scan
 * is queued meanwhile (-1: none). */
static int
batch_advance(struct sf_ctx *c, int k, int next, int *running, const uint64_t *base)
{
	int rc = 0;

	f2b_pool_scanned(c->pool);
	if (next >= 0)
		f2b_pool_scan(c->pool, c->batch[next]);
	if (f2b_batch_prepare(c->set, c->batch[k]) != 0) {
		fprintf(stderr, "article5 scan: out of memory\n");
		rc = -1;
	}
	if (*running >= 0 && batch_done(c, *running, base[*running]) != 0)
		rc = -1;
	f2b_pool_start(c->pool, c->batch[k]);
	*running = k;
	return rc;
}

/* Runs every line of one file (plain or gzip, line ends and NUL padding
 * normalized as the native scan does: common/eol.h, cli/scan_input.h). A
 * line longer than F2B_FLT_LINE_MAX is dropped whole and counted, never
 * run in part, wherever the reads cut it.
 * Each block read is a batch (f2b/f2b_filter.h), in one of three slots:
 * while this thread reads block k and gives the dates of block k - 1, the
 * pool's threads scan block k's lines and run the filters over block k - 2. */
static int
scan_file(struct sf_ctx *c, const char *path, char *bufs[SF_SLOTS], uint64_t *lines, uint64_t *bytes)
{
	struct scan_input *in;
	char err[512];
	size_t have = 0, tail_at = 0;
	bool skipping = false;		/* inside a line already counted as overlong */
	int rc = 0, cur = 0, running = -1, scanned = -1;
	uint64_t base[SF_SLOTS] = { 0 };

	if ((in = scan_input_open(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "article5 scan: %s\n", err);
		return -1;
	}
	c->lineno = 0;
	for (;;) {
		char *buf = bufs[cur];
		struct f2b_batch *b = c->batch[cur];
		size_t got;
		/* the incomplete line left at the end of the block before */
		if (scanned >= 0 && have > 0)
			memcpy(buf, bufs[scanned] + tail_at, have);
		ssize_t n = scan_input_read_lines(in, buf + have, SF_BLOCK - have, &got, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "article5 scan: %s\n", err);
			rc = -1;
			break;
		}
		*bytes += (uint64_t)n;
		have += got;
		size_t pos = 0;
		f2b_batch_reset(b, now_sec());	/* once a block: for undated lines */
		base[cur] = c->lineno;
		while (pos < have) {
			char *nl = memchr(buf + pos, '\n', have - pos);
			if (nl == NULL && n > 0) {
				if (have - pos >= SF_BLOCK - 1) {
					/* one line fills the block: far over the ceiling
					 * (it may start past a line end the input put
					 * first, a CR settled as LF) */
					if (!skipping) {
						c->lineno++;
						c->overlong++;
						f2b_batch_skip(b);
					}
					skipping = true;
					pos = have;
				}
				break;	/* else an incomplete line: read more */
			}
			size_t end = nl ? (size_t)(nl - buf) : have;
			if (skipping)
				skipping = false;	/* the end of a line counted already */
			else {
				/* the engine drops and counts a line over its ceiling */
				c->lineno++;
				f2b_batch_line(b, buf + pos, end - pos);
			}
			pos = nl ? end + 1 : have;
		}
		tail_at = pos;
		have -= pos;
		if (scanned >= 0) {
			if (batch_advance(c, scanned, cur, &running, base) != 0)
				rc = -1;
		} else
			f2b_pool_scan(c->pool, b);
		scanned = cur;
		cur = (cur + 1) % SF_SLOTS;
		if (n == 0 || rc != 0)
			break;
	}
	if (scanned >= 0 && batch_advance(c, scanned, -1, &running, base) != 0)
		rc = -1;
	if (running >= 0 && batch_done(c, running, base[running]) != 0)
		rc = -1;
	*lines += c->lineno;
	scan_input_close(in);
	return rc;
}

static int
cmp_ban(const void *a, const void *b)
{
	return strcmp(((const struct sf_ban *)a)->text, ((const struct sf_ban *)b)->text);
}

static void
print_summary(struct sf_ctx *c, const struct config *cfg, uint64_t lines, uint64_t bytes, double secs)
{
	uint64_t limits = 0;

	printf("lines:     %llu (%.1f MB) in %.3f s: %.0f lines/s, %zu filters\n",
	    (unsigned long long)lines, (double)bytes / 1e6, secs,
	    secs > 0 ? (double)lines / secs : 0.0, f2b_set_count(c->set));
	printf("failures:  %llu with an address, %llu without (host names are not resolved)\n",
	    (unsigned long long)c->failures, (unsigned long long)c->noaddr);
	uint64_t overlong = c->overlong + f2b_set_overlong(c->set);
	if (overlong)
		printf("overlong:  %llu lines longer than %u bytes dropped\n",
		    (unsigned long long)overlong, F2B_FLT_LINE_MAX);
	printf("prefilter: %llu of the lines went to some filter's regexes\n",
	    (unsigned long long)f2b_set_prefilter_passed(c->set));
	printf("offenders: %zu would be banned (maxretry %d within %llds)\n",
	    c->nbans, cfg->maxretry, (long long)cfg->findtime);
	printf("\n%-24s %9s %9s %9s %9s\n", "FILTER", "FAILURES", "NOADDR", "IGNORED", "NOFAIL");
	for (size_t i = 0; i < f2b_set_count(c->set); i++) {
		struct f2b_filter_stats st;
		f2b_set_stats(c->set, (int)i, &st);
		limits += st.limit_hits;
		if (st.failures || st.noaddr || st.ignored || st.nofail)
			printf("%-24s %9llu %9llu %9llu %9llu\n", f2b_set_name(c->set, (int)i),
			    (unsigned long long)st.failures, (unsigned long long)st.noaddr,
			    (unsigned long long)st.ignored, (unsigned long long)st.nofail);
	}
	if (c->nbans) {
		printf("\n%-42s %-24s %s\n", "WOULD BAN", "FILTER", "FAILURES");
		for (size_t i = 0; i < c->nbans; i++)
			printf("%-42s %-24s %u\n", c->bans[i].text,
			    f2b_set_name(c->set, c->bans[i].filter), c->bans[i].evidence);
	}
	if (limits)
		printf("\nwarning: %llu regex runs hit the PCRE2 match limit\n", (unsigned long long)limits);
}

int
cmd_scan_f2b(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "fail2ban-filter", required_argument, NULL, 'f' },
		{ "opt", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, 'M' },
		{ "matches", no_argument, NULL, 'm' },
		{ "bans", no_argument, NULL, 'b' },
		{ "config", required_argument, NULL, 'c' },
		{ "no-prefilter", no_argument, NULL, 'P' },	/* for tests: PCRE2 on every line */
		{ "threads", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct f2b_opt opts[SF_OPTS_MAX];
	char *optbuf[SF_OPTS_MAX];
	const char *filters[F2B_FLT_MAX], *cfgpath = NULL;
	size_t nopts = 0, nfilters = 0;
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct det_service *dsvc = NULL;
	struct sf_ctx c;
	unsigned flags = 0;
	char err[1024], *bufs[SF_SLOTS] = { NULL };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = ncpu < 1 ? 1 : ncpu > SF_THREADS_DEFAULT_MAX ? SF_THREADS_DEFAULT_MAX :
	    (unsigned)ncpu;
	uint64_t t;
	uint64_t lines = 0, bytes = 0;
	int opt, rc = 1;

	memset(&c, 0, sizeof(c));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (nfilters == ARRAY_LEN(filters)) {
				fprintf(stderr, "article5 scan: more than %zu filters\n", ARRAY_LEN(filters));
				goto out;
			}
			filters[nfilters++] = optarg;
			break;
		case 'o':
		case 'M': {
			char *eq = opt == 'o' ? strchr(optarg, '=') : NULL;
			if ((opt == 'o' && (eq == NULL || eq == optarg)) || nopts == SF_OPTS_MAX) {
				fprintf(stderr, "article5 scan: bad --opt '%s', expected NAME=VALUE (at most %d)\n",
				    optarg, SF_OPTS_MAX);
				goto out;
			}
			if ((optbuf[nopts] = strdup(opt == 'o' ? optarg : "mode")) == NULL)
				goto out;
			opts[nopts].name = optbuf[nopts];
			if (opt == 'o') {
				optbuf[nopts][eq - optarg] = '\0';
				opts[nopts].value = optbuf[nopts] + (eq - optarg) + 1;
			} else
				opts[nopts].value = optarg;
			if (strcmp(opts[nopts].name, "logtype") == 0)
				flags = strcmp(opts[nopts].value, "journal") == 0 ? flags | F2B_FLT_NODATE :
				    flags & ~F2B_FLT_NODATE;
			nopts++;
			break;
		}
		case 'm': c.mode = SF_MATCHES; break;
		case 'b': c.mode = SF_BANS; break;
		case 'c': cfgpath = optarg; break;
		case 'P': flags |= F2B_FLT_NOPREFILTER; break;
		case 'T':
			if (uint_parse(optarg, 1, F2B_POOL_THREADS_MAX, &t) != 0) {
				fprintf(stderr, "article5 scan: bad --threads '%s', expected 1..%d\n",
				    optarg, F2B_POOL_THREADS_MAX);
				rc = 2;
				goto out;
			}
			threads = (unsigned)t;
			break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); rc = 2; goto out;
		}
	}
	if (optind >= argc || nfilters == 0) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	if (cfg == NULL || (c.set = f2b_set_new()) == NULL)
		goto oom;
	config_defaults(cfg);
	if (cfgpath && config_load(cfgpath, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 scan: %s\n", err);
		goto out;
	}
	for (size_t i = 0; i < nfilters; i++) {
		struct f2b_def def;
		memset(&def, 0, sizeof(def));
		if (f2b_def_load(filters[i], opts, nopts, &def, err, sizeof(err)) != 0) {
			fprintf(stderr, "article5 scan: %s\n", err);
			goto out;
		}
		int r = f2b_set_add(c.set, &def, flags, err, sizeof(err));
		f2b_def_free(&def);
		if (r < 0) {
			fprintf(stderr, "article5 scan: %s\n", err);
			goto out;
		}
	}
	if (f2b_set_compile(c.set, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 scan: %s\n", err);
		goto out;
	}
	if ((dsvc = calloc(nfilters, sizeof(*dsvc))) == NULL)
		goto oom;
	for (size_t i = 0; i < nfilters; i++) {
		dsvc[i].maxretry = cfg->maxretry;
		dsvc[i].findtime = cfg->findtime;
	}
	struct det_config dc = { cfg->ipv6_prefix, cfg->max_offenders, DET_CONNS_MAX, nfilters, dsvc };
	if ((c.pool = f2b_pool_new(c.set, threads, err, sizeof(err))) == NULL) {
		fprintf(stderr, "article5 scan: %s\n", err);
		goto out;
	}
	if ((c.det = det_new(&dc)) == NULL)
		goto oom;
	for (int k = 0; k < SF_SLOTS; k++)
		if ((bufs[k] = malloc(SF_BLOCK)) == NULL || (c.batch[k] = f2b_batch_new(c.set)) == NULL)
			goto oom;
	int64_t t0 = mono_usec();
	rc = 0;
	for (int i = optind; i < argc; i++)
		if (scan_file(&c, argv[i], bufs, &lines, &bytes) != 0)
			rc = 1;
	double secs = (double)(mono_usec() - t0) / 1e6;
	if (c.nbans > 1)
		qsort(c.bans, c.nbans, sizeof(*c.bans), cmp_ban);
	size_t uniq = 0;
	for (size_t i = 0; i < c.nbans; i++)
		if (uniq == 0 || strcmp(c.bans[uniq - 1].text, c.bans[i].text) != 0)
			c.bans[uniq++] = c.bans[i];
	c.nbans = uniq;
	if (c.mode == SF_BANS)
		for (size_t i = 0; i < c.nbans; i++)
			printf("%s\n", c.bans[i].text);
	else if (c.mode == SF_SUMMARY)
		print_summary(&c, cfg, lines, bytes, secs);
	goto out;
oom:
	fprintf(stderr, "article5 scan: out of memory\n");
	rc = 1;
out:
	for (size_t i = 0; i < nopts; i++)
		free(optbuf[i]);
	f2b_pool_free(c.pool);
	for (int k = 0; k < SF_SLOTS; k++) {
		f2b_batch_free(c.batch[k]);
		free(bufs[k]);
	}
	free(c.bans);
	free(dsvc);
	det_free(c.det);
	f2b_set_free(c.set);
	free(cfg);
	return rc;
}
