/* scan.c - `article5 scan`: the rules and detector over log files, offline,
 * with the logs' own timestamps (the fail2ban-regex / sshg-parser role). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/scan_input.h"
#include "cli/scan_pipe.h"
#include "common/timeparse.h"
#include "common/util.h"
#include "daemon/config.h"
#include "detector/detector.h"
#include "sensor/sensor.h"

#define SCAN_BLOCK (4u << 20)
/* Read, normalized and scanned in pieces that stay in the CPU's cache
 * between the read's copy, eol_fix and the prefilter (4 MiB at once did not). */
#define SCAN_READ (256u << 10)
/* Lines longer than the daemon's ceiling are dropped whole, as the daemon
 * drops them (sensor/lines.c): never matched in part. */
#define SCAN_LINE_MAX SENSOR_LINE_MAX
/* Default threads: one per online CPU, at most this many; beyond, the one
 * thread that feeds the detector is the bottleneck. */
#define SCAN_THREADS_DEFAULT_MAX 4

enum scan_mode { SCAN_SUMMARY, SCAN_MATCHES, SCAN_BANS };

struct scan_ban {
	char text[A5_PREFIX_STRLEN];
	int service;
	uint32_t evidence;
};

struct scan_ctx {
	enum scan_mode mode;
	const struct ruleset *rs;
	struct detector *det;
	uint64_t line_base;		/* lines before the current chunk */
	int64_t ref, last_ts;
	struct time_ctx tc;		/* the current file's stamps */
	uint64_t attempts, overlong;
	bool failed;			/* a block's matching failed */
	struct scan_pipe *pipe;		/* NULL: matching on this thread */
	struct scan_ban *bans;
	size_t nbans, bans_cap;
	FILE *out;
};

/* A syslog tag as rule files' `program` takes it. */
static bool
program_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RULES_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("-_./", s[i]) != NULL))
			return false;
	return true;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 scan [-c CONFIG] [--matches | --bans] [--ipv6-prefix N]\n"
	    "                    [--program NAME] [--threads N] FILE...\n"
	    "\n"
	    "Runs the detection rules and the detector over log files ('-' is stdin;\n"
	    "gzip files are read as such), using the logs' own timestamps (local time\n"
	    "when a stamp has no zone) and the default policy (or CONFIG's).\n"
	    "\n"
	    "  (default)          per-rule counts, lines/s, and the offenders that\n"
	    "                     would be banned\n"
	    "  --matches          one JSON object per counted failed attempt, on the\n"
	    "                     line where it counts: {\"line\": N, \"service\": S,\n"
	    "                     \"rule\": R, \"addr\": A}; N counts from 1 per file\n"
	    "  --bans             each address or prefix that would be banned, sorted\n"
	    "  --ipv6-prefix N    aggregate IPv6 offenders to /N (default 64)\n"
	    "  --program NAME     the lines are messages without a header, written by\n"
	    "                     NAME (journalctl -o cat -u ssh | article5 scan\n"
	    "                     --program sshd -)\n"
	    "  --threads N        N threads (1..%d): N - 1 match lines, one reads,\n"
	    "                     feeds the detector in file order and matches when\n"
	    "                     they fall behind; 1: everything on one thread. The\n"
	    "                     output is the same. Default: one per CPU, at most %d\n"
	    "  -c CONFIG          take rules_dir, rules_local, rules and policy from CONFIG\n"
	    "\n"
	    "article5 scan --fail2ban-filter FILTER.conf ... runs fail2ban's filters\n"
	    "instead (see its --help).\n", SCAN_PIPE_WORKERS_MAX + 1, SCAN_THREADS_DEFAULT_MAX);
}

static void
ban_record(struct scan_ctx *c, const struct det_result *r, int service)
{
	char text[A5_PREFIX_STRLEN];

	/* Duplicates (an offender banned again after its window refilled)
	 * are removed once, after sorting. */
	prefix_format(&r->prefix, text, sizeof(text));
	if (c->nbans == c->bans_cap) {
		size_t ncap = c->bans_cap ? c->bans_cap * 2 : 256;
		struct scan_ban *n = realloc(c->bans, ncap * sizeof(*n));
		if (n == NULL)
			return;
		c->bans = n;
		c->bans_cap = ncap;
	}
	strlcpy_ok(c->bans[c->nbans].text, text, sizeof(text));
	c->bans[c->nbans].service = service;
	c->bans[c->nbans].evidence = r->evidence;
	c->nbans++;
}

static void
on_match(void *arg, const struct rules_match *m)
{
	struct scan_ctx *c = arg;
	struct det_event ev;
	struct det_result r;
	int64_t ts;

	/* Every line's own stamp: lines sharing a prefix need not share a
	 * stamp (RFC 3339 stamps, access logs). A line without one takes the
	 * last line's. */
	ts = time_ctx_parse(&c->tc, m->line, m->len);
	if (ts < 0)
		ts = c->last_ts;
	c->last_ts = ts;
	det_event_from_match(m, ts, &ev);
	/* "message repeated N times" (bounded, rules/syslog.h) is N lines */
	for (unsigned i = 0; i < (m->repeat > 0 ? m->repeat : 1u); i++) {
		det_feed(c->det, &ev, &r);
		if (r.counted) {
			c->attempts++;
			if (c->mode == SCAN_MATCHES) {
				char a[A5_PREFIX_STRLEN];
				addr_format(&r.addr, a, sizeof(a));
				fprintf(c->out, "{\"line\": %llu, \"service\": \"%s\", \"rule\": \"%s\", \"addr\": \"%s\"}\n",
				    (unsigned long long)c->line_base + m->line_index + 1,
				    rules_service_get(c->rs, m->info->service)->name, m->info->name, a);
			}
		}
		if (r.ban)
			ban_record(c, &r, m->info->service);
	}
}

static int
cmp_ban(const void *a, const void *b)
{
	return strcmp(((const struct scan_ban *)a)->text, ((const struct scan_ban *)b)->text);
}

static void
progress(const char *name, uint64_t done, uint64_t total, uint64_t lines)
{
	int pct = total ? (int)(done * 100 / total) : 0, width = 30, fill = pct * width / 100;

	fprintf(stderr, "\r%-24.24s [%.*s%*s] %3d%% %llu lines", name, fill,
	    "##############################", width - fill, "", pct, (unsigned long long)lines);
}

/* A block matched by the pipeline's workers, in file order: its matches to
 * the detector, as on_match gets them on the single-threaded path. */
static void
consume_block(void *arg, const struct scan_pipe_block *b)
{
	struct scan_ctx *c = arg;

	c->line_base += b->skipped;
	c->overlong += b->skipped;
	if (b->failed)
		c->failed = true;
	for (size_t i = 0; i < b->nmatches; i++)
		on_match(c, &b->matches[i]);
	c->line_base += b->lines;
	c->overlong += b->overlong;
}

/* Scans one file in blocks cut at the last newline, its line ends and NUL
 * padding normalized (common/eol.h): matched here (sc, into buf), or by
 * c->pipe's workers (into its buffers), and fed to the detector in order. */
static int
scan_file(struct scan_ctx *c, struct rules_scratch *sc, const char *path,
    char *buf, uint64_t *lines_total, uint64_t *bytes_total)
{
	struct scan_input *in;
	char err[512];
	size_t have = 0;
	uint64_t done, total;
	bool tty = c->mode == SCAN_SUMMARY && isatty(2), skipping = false;
	int rc = 0;

	if ((in = scan_input_open(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "article5 scan: %s\n", err);
		return -1;
	}
	time_ctx_init(&c->tc, c->ref, true);
	c->line_base = 0;
	c->failed = false;
	if (c->pipe != NULL)
		buf = scan_pipe_buffer(c->pipe);
	for (;;) {
		size_t room = SCAN_BLOCK - have < SCAN_READ + 1 ? SCAN_BLOCK - have : SCAN_READ + 1;
		size_t from = have, got;
		ssize_t n = scan_input_read_lines(in, buf + have, room, &got, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "article5 scan: %s\n", err);
			rc = -1;
			break;
		}
		*bytes_total += (uint64_t)n;
		have += got;
		if (skipping) {
			/* the rest of a line longer than a whole block */
			const char *nl = memchr(buf + from, '\n', have - from);
			size_t cut = nl != NULL ? (size_t)(nl - buf) + 1 : have;
			memmove(buf + from, buf + cut, have - cut);
			have -= cut - from;
			skipping = nl == NULL;
		}
		size_t upto = have;
		if (n > 0) {
			const char *nl = memrchr(buf, '\n', have);
			if (nl != NULL)
				upto = (size_t)(nl - buf) + 1;
			else if (have < SCAN_BLOCK - 1)
				upto = 0;
			else {
				/* One line fills the block: far over the ceiling. */
				if (c->pipe != NULL)
					scan_pipe_skip(c->pipe);
				else {
					c->overlong++;
					c->line_base++;
				}
				skipping = true;
				have = upto = 0;
			}
		}
		if (upto > 0 && c->pipe != NULL) {
			buf = scan_pipe_submit(c->pipe, upto, have - upto, consume_block, c);
			have -= upto;
		} else if (upto > 0) {
			uint64_t nl = 0;
			if (scan_lines(c->rs, sc, buf, upto, SCAN_LINE_MAX, on_match, c, &nl,
			    &c->overlong) != 0)
				c->failed = true;
			c->line_base += nl;
			memmove(buf, buf + upto, have - upto);
			have -= upto;
		}
		if (c->failed) {
			fprintf(stderr, "article5 scan: %s: scanning failed\n", path);
			rc = -1;
			break;
		}
		if (tty) {
			scan_input_progress(in, &done, &total);
			progress(path, done, total, c->line_base);
		}
		if (n == 0)
			break;
	}
	if (c->pipe != NULL) {
		scan_pipe_drain(c->pipe, consume_block, c);
		if (c->failed && rc == 0) {
			fprintf(stderr, "article5 scan: %s: scanning failed\n", path);
			rc = -1;
		}
	}
	if (tty)
		fputc('\n', stderr);
	*lines_total += c->line_base;
	scan_input_close(in);
	return rc;
}

int
cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "matches", no_argument, NULL, 'm' },
		{ "bans", no_argument, NULL, 'b' },
		{ "ipv6-prefix", required_argument, NULL, '6' },
		{ "program", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct service_policy *pol = NULL;
	struct det_service *dsvc = NULL;
	struct scan_ctx c;
	struct rules_scratch *sc = NULL;
	struct ruleset *rs = NULL;
	char err[1024], *buf = NULL;
	const char *cfgpath = NULL, *program = NULL;
	unsigned v6 = 0, threads = 0;
	uint64_t u, lines = 0, bytes = 0;
	int opt, rc = 1;

	/* fail2ban filter files: their own path (scan_f2b.c) */
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--fail2ban-filter", 17) == 0) {
			free(cfg);
			return cmd_scan_f2b(argc, argv);
		}
	memset(&c, 0, sizeof(c));
	c.mode = SCAN_SUMMARY;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': c.mode = SCAN_MATCHES; break;
		case 'b': c.mode = SCAN_BANS; break;
		case 'c': cfgpath = optarg; break;
		case '6':
			if (uint_parse(optarg, 32, 128, &u) != 0) {
				fprintf(stderr, "article5 scan: bad --ipv6-prefix '%s', expected 32..128\n", optarg);
				goto out;
			}
			v6 = (unsigned)u;
			break;
		case 'p':
			if (!program_name_ok(optarg)) {
				fprintf(stderr, "article5 scan: bad --program '%s', expected a syslog "
				    "tag (letters, digits, '-_./', at most %d)\n", optarg, RULES_NAME_MAX - 1);
				goto out;
			}
			program = optarg;
			break;
		case 't':
			if (uint_parse(optarg, 1, SCAN_PIPE_WORKERS_MAX + 1, &u) != 0) {
				fprintf(stderr, "article5 scan: bad --threads '%s', expected 1..%d\n",
				    optarg, SCAN_PIPE_WORKERS_MAX + 1);
				goto out;
			}
			threads = (unsigned)u;
			break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); rc = 2; goto out;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	if (cfg == NULL)
		goto out;
	config_defaults(cfg);
	if (cfgpath && config_load(cfgpath, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 scan: %s\n", err);
		goto out;
	}
	if (v6)
		cfg->ipv6_prefix = v6;
	if ((rs = config_build_rules(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "article5 scan: %s\n", err);
		goto out;
	}
	size_t ns = rules_service_count(rs);
	pol = calloc(ns, sizeof(*pol));
	dsvc = calloc(ns, sizeof(*dsvc));
	if (pol == NULL || dsvc == NULL || config_policies(cfg, rs, pol, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 scan: %s\n", pol && dsvc ? err : "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ns; i++) {
		dsvc[i].maxretry = pol[i].maxretry;
		dsvc[i].findtime = pol[i].findtime;
		dsvc[i].disabled = pol[i].disabled;
	}
	struct det_config dc = { cfg->ipv6_prefix, cfg->max_offenders, DET_CONNS_MAX, ns, dsvc };
	c.det = det_new(&dc);
	c.rs = rs;
	c.ref = now_sec();
	c.last_ts = c.ref;
	c.out = stdout;
	sc = rules_scratch_new(rs);
	buf = malloc(SCAN_BLOCK);
	if (c.det == NULL || sc == NULL || buf == NULL) {
		fprintf(stderr, "article5 scan: out of memory\n");
		goto out;
	}
	rules_scratch_set_program(sc, program);
	if (threads == 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = ncpu < 1 ? 1 : ncpu > SCAN_THREADS_DEFAULT_MAX ?
		    SCAN_THREADS_DEFAULT_MAX : (unsigned)ncpu;
	}
	if (threads > 1 && (c.pipe = scan_pipe_new(rs, program, threads - 1, SCAN_BLOCK,
	    SCAN_LINE_MAX, err, sizeof(err))) == NULL) {
		fprintf(stderr, "article5 scan: %s\n", err);
		goto out;
	}
	int64_t t0 = mono_usec();
	rc = 0;
	for (int i = optind; i < argc; i++)
		if (scan_file(&c, sc, argv[i], buf, &lines, &bytes) != 0)
			rc = 1;
	double secs = (double)(mono_usec() - t0) / 1e6;

	if (c.nbans > 1)
		qsort(c.bans, c.nbans, sizeof(*c.bans), cmp_ban);
	size_t uniq = 0;
	for (size_t i = 0; i < c.nbans; i++)
		if (uniq == 0 || strcmp(c.bans[uniq - 1].text, c.bans[i].text) != 0)
			c.bans[uniq++] = c.bans[i];
	c.nbans = uniq;
	if (c.mode == SCAN_BANS) {
		for (size_t i = 0; i < c.nbans; i++)
			printf("%s\n", c.bans[i].text);
	} else if (c.mode == SCAN_SUMMARY) {
		struct det_stats st;
		det_get_stats(c.det, &st);
		printf("lines:     %llu (%.1f MB) in %.3f s: %.0f lines/s\n",
		    (unsigned long long)lines, (double)bytes / 1e6, secs,
		    secs > 0 ? (double)lines / secs : 0.0);
		if (c.overlong)
			printf("overlong:  %llu lines longer than %d bytes dropped\n",
			    (unsigned long long)c.overlong, SCAN_LINE_MAX);
		printf("attempts:  %llu failed attempts counted\n", (unsigned long long)c.attempts);
		printf("offenders: %zu would be banned (maxretry %d within %llds by default)\n",
		    c.nbans, cfg->maxretry, (long long)cfg->findtime);
		printf("\n%-20s %-32s %-9s %s\n", "SERVICE", "RULE", "KIND", "LINES");
		for (size_t i = 0; i < rules_count(rs); i++) {
			uint64_t h = rules_scratch_hits(sc, (int)i) +
			    (c.pipe != NULL ? scan_pipe_hits(c.pipe, (int)i) : 0);
			const struct rules_rule *r = rules_get(rs, (int)i);
			if (h)
				printf("%-20s %-32s %-9s %llu\n", rules_service_get(rs, r->service)->name,
				    r->name, rules_kind_name(r->kind), (unsigned long long)h);
		}
		if (c.nbans) {
			printf("\n%-42s %-20s %s\n", "WOULD BAN", "SERVICE", "FAILURES");
			for (size_t i = 0; i < c.nbans; i++)
				printf("%-42s %-20s %u\n", c.bans[i].text,
				    rules_service_get(rs, c.bans[i].service)->name, c.bans[i].evidence);
		}
		uint64_t lim = rules_scratch_limit_hits(sc) +
		    (c.pipe != NULL ? scan_pipe_limit_hits(c.pipe) : 0);
		if (lim)
			printf("\nwarning: %llu lines hit the PCRE2 match limit\n",
			    (unsigned long long)lim);
	}
out:
	scan_pipe_free(c.pipe);
	free(buf);
	free(c.bans);
	rules_scratch_free(sc);
	det_free(c.det);
	rules_free(rs);
	free(pol);
	free(dsvc);
	free(cfg);
	return rc;
}
