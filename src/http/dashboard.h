/* dashboard.h - the dashboard: its page (one HTML document with its CSS
 * and JS inline, nothing loaded from elsewhere) and the recent attempts
 * and bans it shows, kept in two bounded rings and rendered as the JSON
 * that the page polls (/api/feed; docs/metrics.md). */
#ifndef A5_DASHBOARD_H
#define A5_DASHBOARD_H

#include <stdint.h>

#include "common/addr.h"

#define DASH_ATTEMPTS_MAX 100	/* the latest attempts kept */
#define DASH_BANS_MAX 500	/* the latest bans kept (the chart's hour) */
#define DASH_TEXT_MAX 64	/* service, rule or origin, cut */

struct outbuf;

struct dash_event {
	uint64_t seq;		/* 1, 2, ... across both rings */
	int64_t ts;		/* unix seconds */
	struct a5_prefix prefix;
	char service[DASH_TEXT_MAX];
	char detail[DASH_TEXT_MAX];	/* attempts: the rule; bans: the origin */
};

struct dash_ring {
	struct dash_event *ev;
	size_t cap, n, next;
};

struct dash_feed {
	struct dash_ring attempts, bans;
	uint64_t seq;
};

extern const char dashboard_html[];

/* 0, or -1 when out of memory. */
int dash_feed_init(struct dash_feed *f);
void dash_feed_free(struct dash_feed *f);
void dash_feed_attempt(struct dash_feed *f, int64_t ts, const struct a5_prefix *p,
    const char *service, const char *rule);
void dash_feed_ban(struct dash_feed *f, int64_t ts, const struct a5_prefix *p,
    const char *service, const char *origin);
/* "\"attempts\": [...], \"bans\": [...]", oldest first, every text field
 * JSON-escaped: members part of a JSON object the caller writes. */
void dash_feed_json(const struct dash_feed *f, struct outbuf *out);

#endif
