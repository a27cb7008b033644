/* metrics.h - the daemon's numbers as named series: counters and gauges
 * with up to two labels, and one histogram, rendered in the Prometheus
 * text format (GET /metrics) or as JSON (`article5 metrics --json`). Pure
 * data: no I/O, no clock. Every family is bounded (METRICS_SERIES_MAX
 * label sets; past it, new label sets are dropped and counted), every
 * label value is cut to METRICS_LABEL_MAX and escaped when rendered:
 * some of them come from other members' reports (docs/metrics.md). */
#ifndef A5_METRICS_H
#define A5_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_SERIES_MAX 512	/* label sets per family */
#define METRICS_LABEL_MAX 96	/* bytes of a label value, NUL included */

/* Every family the daemon exports; the table in metrics.c gives each its
 * name, type, help and label names. */
enum metric_id {
	M_LINES_READ,		/* counter {source} */
	M_ATTEMPTS,		/* counter {service,rule} */
	M_BANS,			/* counter {service,origin} */
	M_BANS_ACTIVE,		/* gauge */
	M_REFUSALS,		/* counter {member,reason} */
	M_CORROBORATIONS,	/* counter {member} */
	M_PROPAGATION,		/* histogram, seconds */
	M_COMMIT_LAG,		/* gauge {member} */
	M_MEMBER_AUDIT,		/* gauge {member,state} */
	M_KERNEL_SET,		/* gauge {set} */
	M_NATS_CONNECTED,	/* gauge */
	M_UPTIME,		/* gauge */
	M_SERIES_DROPPED,	/* counter */
	M_NMETRICS
};

struct metrics;
struct outbuf;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Adds v to the series of id with these label values (NULL for a label
 * the family does not have). A new label set past METRICS_SERIES_MAX is
 * dropped (counted in M_SERIES_DROPPED). */
void metrics_add(struct metrics *m, enum metric_id id, const char *l1, const char *l2, double v);
/* Sets the series to v (gauges). */
void metrics_set(struct metrics *m, enum metric_id id, const char *l1, const char *l2, double v);
/* Forgets every series of id (a gauge refreshed from scratch). */
void metrics_clear(struct metrics *m, enum metric_id id);
/* One observation of a histogram family (id M_PROPAGATION). */
void metrics_observe(struct metrics *m, enum metric_id id, double v);
/* The value of one series, or -1 if it does not exist (tests). */
double metrics_get(const struct metrics *m, enum metric_id id, const char *l1, const char *l2);

/* Prometheus text exposition format 0.0.4. */
void metrics_render(const struct metrics *m, struct outbuf *out);
/* {"NAME": {"type": "...", "help": "...", "series": [{"labels": {...},
 * "value": N}]}, ...}; a histogram's series carry "buckets", "sum",
 * "count". */
void metrics_render_json(const struct metrics *m, struct outbuf *out);

/* s as a Prometheus label value, quotes included: backslash, double quote
 * and newline escaped, other control bytes and bytes that are not
 * well-formed UTF-8 replaced by '?'. Cut (at a character boundary) to fit
 * n. Returns the length written. */
size_t metrics_escape_label(char *buf, size_t n, const char *s);

#endif
