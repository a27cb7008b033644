/* metrics.c - named series with up to two labels, and their Prometheus and
 * JSON renderings (metrics.h). Series are found by a small open-addressing
 * hash over their label values: the loop adds to one per attempt, and a
 * scan of a few hundred label sets there would cost more than the match. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "daemon/control.h"
#include "http/metrics.h"

enum metric_type { MT_COUNTER, MT_GAUGE, MT_HISTOGRAM };

static const struct {
	const char *name, *help;
	enum metric_type type;
	const char *label[2];	/* NULL: no such label */
} families[M_NMETRICS] = {
	[M_LINES_READ] = { "article5_lines_read_total", "Log lines read, by source.",
	    MT_COUNTER, { "source", NULL } },
	[M_ATTEMPTS] = { "article5_attempts_total",
	    "Failed attempts counted by the detector, by service and rule.",
	    MT_COUNTER, { "service", "rule" } },
	[M_BANS] = { "article5_bans_total",
	    "Bans decided since start, by service and origin (local, or the reporting member).",
	    MT_COUNTER, { "service", "origin" } },
	[M_BANS_ACTIVE] = { "article5_bans_active", "Bans in force now (ledger, local and coalition).",
	    MT_GAUGE, { NULL, NULL } },
	[M_REFUSALS] = { "article5_refusals_total",
	    "Coalition reports and envelopes refused, by member and reason.",
	    MT_COUNTER, { "member", "reason" } },
	[M_CORROBORATIONS] = { "article5_corroborations_total",
	    "Bans already held that a member (this one: a local detection) reported again: "
	    "counted, not re-sent.",
	    MT_COUNTER, { "member", NULL } },
	[M_PROPAGATION] = { "article5_propagation_seconds",
	    "Delay from a member's signed report to its application here.",
	    MT_HISTOGRAM, { NULL, NULL } },
	[M_COMMIT_LAG] = { "article5_commitment_lag_seconds",
	    "Age of each member's last commitment seen here.",
	    MT_GAUGE, { "member", NULL } },
	[M_MEMBER_AUDIT] = { "article5_member_audit_state",
	    "1 for each member's current audit state.",
	    MT_GAUGE, { "member", "state" } },
	[M_KERNEL_SET] = { "article5_kernel_set_elements",
	    "Prefixes in the kernel's nftables sets, by group (kernel mirror only).",
	    MT_GAUGE, { "set", NULL } },
	[M_NATS_CONNECTED] = { "article5_nats_connected",
	    "1 when connected to the coalition's NATS server, else 0.",
	    MT_GAUGE, { NULL, NULL } },
	[M_UPTIME] = { "article5_uptime_seconds", "Seconds since the worker started.",
	    MT_GAUGE, { NULL, NULL } },
	[M_SERIES_DROPPED] = { "article5_metrics_series_dropped_total",
	    "Label sets not kept because their family was full.",
	    MT_COUNTER, { NULL, NULL } },
};

/* Upper bounds of the histogram's buckets (seconds); +Inf follows. */
static const double buckets[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

#define HASH_SLOTS (2 * METRICS_SERIES_MAX)	/* a power of two */

struct series {
	char label[2][METRICS_LABEL_MAX];
	double value;
};

struct family {
	struct series *s;	/* METRICS_SERIES_MAX, allocated at first use */
	size_t n;
	int16_t slot[HASH_SLOTS];	/* index in s + 1; 0 = empty */
	/* histogram (one series, no labels) */
	uint64_t bucket[NBUCKETS + 1];	/* per bucket, not cumulative; last: +Inf */
	uint64_t count;
	double sum;
};

struct metrics {
	struct family f[M_NMETRICS];
};

struct metrics *
metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < M_NMETRICS; i++)
		free(m->f[i].s);
	free(m);
}

/* FNV-1a over both values (a NUL between them). */
static uint32_t
labels_hash(const char *a, const char *b)
{
	uint32_t h = 2166136261u;

	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = b; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* The label values as stored: cut to METRICS_LABEL_MAX (the escaping,
 * when rendered, keeps the cut at a character boundary). */
static void
label_key(char *dst, const char *v)
{
	size_t n = v ? strnlen(v, METRICS_LABEL_MAX - 1) : 0;

	if (n > 0)
		memcpy(dst, v, n);
	dst[n] = '\0';
}

/* The series of id with these labels, created if create and there is room;
 * NULL otherwise. */
static struct series *
series_find(struct metrics *m, enum metric_id id, const char *l1, const char *l2, bool create)
{
	struct family *f = &m->f[id];
	char a[METRICS_LABEL_MAX], b[METRICS_LABEL_MAX];

	label_key(a, families[id].label[0] ? l1 : NULL);
	label_key(b, families[id].label[1] ? l2 : NULL);
	uint32_t h = labels_hash(a, b) & (HASH_SLOTS - 1);
	for (size_t probe = 0; probe < HASH_SLOTS; probe++, h = (h + 1) & (HASH_SLOTS - 1)) {
		int idx = f->slot[h];
		if (idx == 0)
			break;
		struct series *s = &f->s[idx - 1];
		if (strcmp(s->label[0], a) == 0 && strcmp(s->label[1], b) == 0)
			return s;
	}
	if (!create)
		return NULL;
	if (f->s == NULL && (f->s = calloc(METRICS_SERIES_MAX, sizeof(*f->s))) == NULL)
		return NULL;
	if (f->n == METRICS_SERIES_MAX) {
		if (id != M_SERIES_DROPPED)
			metrics_add(m, M_SERIES_DROPPED, NULL, NULL, 1);
		return NULL;
	}
	/* h is the empty slot the probe stopped at: at most half the slots
	 * are ever used, so there is one. */
	struct series *s = &f->s[f->n++];
	memcpy(s->label[0], a, sizeof(a));
	memcpy(s->label[1], b, sizeof(b));
	s->value = 0;
	f->slot[h] = (int16_t)f->n;
	return s;
}

void
metrics_add(struct metrics *m, enum metric_id id, const char *l1, const char *l2, double v)
{
	struct series *s = series_find(m, id, l1, l2, true);

	if (s != NULL)
		s->value += v;
}

void
metrics_set(struct metrics *m, enum metric_id id, const char *l1, const char *l2, double v)
{
	struct series *s = series_find(m, id, l1, l2, true);

	if (s != NULL)
		s->value = v;
}

double
metrics_get(const struct metrics *m, enum metric_id id, const char *l1, const char *l2)
{
	struct series *s = series_find((struct metrics *)m, id, l1, l2, false);

	if (families[id].type == MT_HISTOGRAM)
		return (double)m->f[id].count;
	return s ? s->value : -1;
}

void
metrics_clear(struct metrics *m, enum metric_id id)
{
	struct family *f = &m->f[id];

	f->n = 0;
	memset(f->slot, 0, sizeof(f->slot));
	memset(f->bucket, 0, sizeof(f->bucket));
	f->count = 0;
	f->sum = 0;
}

void
metrics_observe(struct metrics *m, enum metric_id id, double v)
{
	struct family *f = &m->f[id];
	size_t b = 0;

	if (families[id].type != MT_HISTOGRAM || isnan(v))
		return;
	while (b < NBUCKETS && v > buckets[b])
		b++;
	f->bucket[b]++;
	f->count++;
	f->sum += v;
}

/* --- rendering --- */

size_t
metrics_escape_label(char *buf, size_t n, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;

	if (n < 3) {
		if (n)
			buf[0] = '\0';
		return 0;
	}
	buf[o++] = '"';
	while (*s) {
		char esc[4] = { 0 };
		size_t len = utf8_seq(s), w;
		const char *from = (const char *)s;

		if (*s == '\\' || *s == '"') {
			esc[0] = '\\', esc[1] = (char)*s;
			from = esc, w = 2;
		} else if (*s == '\n') {
			esc[0] = '\\', esc[1] = 'n';
			from = esc, w = 2;
		} else if (len == 0 || *s < 0x20 || *s == 0x7f) {
			esc[0] = '?';
			from = esc, w = 1;
			len = 1;
		} else
			w = len;
		if (o + w + 2 > n)
			break;	/* cut before a whole character, room kept for '"' */
		memcpy(buf + o, from, w);
		o += w;
		s += len;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return o;
}

/* Integral values as integers (counters read best that way), others with
 * enough digits to read back. */
static void
print_value(struct outbuf *out, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		outbuf_printf(out, "%.0f", v);
	else
		outbuf_printf(out, "%.9g", v);
}

static void
print_labels(struct outbuf *out, enum metric_id id, const struct series *s, const char *extra)
{
	char esc[4 * METRICS_LABEL_MAX + 3];
	int k = 0;

	for (int i = 0; i < 2; i++) {
		if (families[id].label[i] == NULL)
			continue;
		metrics_escape_label(esc, sizeof(esc), s->label[i]);
		outbuf_printf(out, "%s%s=%s", k++ ? "," : "{", families[id].label[i], esc);
	}
	if (extra != NULL)
		outbuf_printf(out, "%s%s", k++ ? "," : "{", extra);
	if (k)
		outbuf_printf(out, "}");
}

static void
render_histogram(const struct metrics *m, enum metric_id id, struct outbuf *out)
{
	const struct family *f = &m->f[id];
	uint64_t cum = 0;
	char le[48];

	for (size_t b = 0; b <= NBUCKETS; b++) {
		cum += f->bucket[b];
		if (b < NBUCKETS)
			snprintf(le, sizeof(le), "le=\"%g\"", buckets[b]);
		else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		outbuf_printf(out, "%s_bucket{%s} %llu\n", families[id].name, le, (unsigned long long)cum);
	}
	outbuf_printf(out, "%s_sum ", families[id].name);
	print_value(out, f->sum);
	outbuf_printf(out, "\n%s_count %llu\n", families[id].name, (unsigned long long)f->count);
}

void
metrics_render(const struct metrics *m, struct outbuf *out)
{
	static const char *type_name[] = { "counter", "gauge", "histogram" };

	for (int id = 0; id < M_NMETRICS; id++) {
		const struct family *f = &m->f[id];
		bool unlabeled = families[id].label[0] == NULL;

		outbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", families[id].name,
		    families[id].help, families[id].name, type_name[families[id].type]);
		if (families[id].type == MT_HISTOGRAM) {
			render_histogram(m, (enum metric_id)id, out);
			continue;
		}
		/* A family without labels always has its one series (0 if
		 * never set): a scrape can tell 0 from missing. */
		if (unlabeled && f->n == 0) {
			outbuf_printf(out, "%s 0\n", families[id].name);
			continue;
		}
		for (size_t i = 0; i < f->n; i++) {
			outbuf_printf(out, "%s", families[id].name);
			print_labels(out, (enum metric_id)id, &f->s[i], NULL);
			outbuf_printf(out, " ");
			print_value(out, f->s[i].value);
			outbuf_printf(out, "\n");
		}
	}
}

void
metrics_render_json(const struct metrics *m, struct outbuf *out)
{
	static const char *type_name[] = { "counter", "gauge", "histogram" };
	char esc[6 * METRICS_LABEL_MAX + 3];

	outbuf_printf(out, "{");
	for (int id = 0; id < M_NMETRICS; id++) {
		const struct family *f = &m->f[id];

		outbuf_printf(out, "%s\n  \"%s\": {\"type\": \"%s\", \"series\": [", id ? "," : "",
		    families[id].name, type_name[families[id].type]);
		if (families[id].type == MT_HISTOGRAM) {
			uint64_t cum = 0;
			outbuf_printf(out, "{\"buckets\": [");
			for (size_t b = 0; b <= NBUCKETS; b++) {
				cum += f->bucket[b];
				if (b < NBUCKETS)
					outbuf_printf(out, "%s[%g, %llu]", b ? ", " : "", buckets[b],
					    (unsigned long long)cum);
				else
					outbuf_printf(out, ", [\"+Inf\", %llu]", (unsigned long long)cum);
			}
			outbuf_printf(out, "], \"sum\": ");
			print_value(out, f->sum);
			outbuf_printf(out, ", \"count\": %llu}]}", (unsigned long long)f->count);
			continue;
		}
		if (families[id].label[0] == NULL && f->n == 0)
			outbuf_printf(out, "{\"labels\": {}, \"value\": 0}");
		for (size_t i = 0; i < f->n; i++) {
			outbuf_printf(out, "%s{\"labels\": {", i ? ", " : "");
			for (int l = 0; l < 2 && families[id].label[l] != NULL; l++) {
				json_escape(esc, sizeof(esc), f->s[i].label[l]);
				outbuf_printf(out, "%s\"%s\": %s", l ? ", " : "", families[id].label[l], esc);
			}
			outbuf_printf(out, "}, \"value\": ");
			print_value(out, f->s[i].value);
			outbuf_printf(out, "}");
		}
		outbuf_printf(out, "]}");
	}
	outbuf_printf(out, "\n}\n");
}
