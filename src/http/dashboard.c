/* dashboard.c - the recent attempts and bans the dashboard shows
 * (dashboard.h), in two rings so that a flood of attempts does not push
 * the bans out of the chart. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "daemon/control.h"
#include "http/dashboard.h"

static int
ring_init(struct dash_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if ((r->ev = calloc(cap, sizeof(*r->ev))) == NULL)
		return -1;
	r->cap = cap;
	return 0;
}

int
dash_feed_init(struct dash_feed *f)
{
	memset(f, 0, sizeof(*f));
	if (ring_init(&f->attempts, DASH_ATTEMPTS_MAX) != 0 || ring_init(&f->bans, DASH_BANS_MAX) != 0) {
		dash_feed_free(f);
		return -1;
	}
	return 0;
}

void
dash_feed_free(struct dash_feed *f)
{
	free(f->attempts.ev);
	free(f->bans.ev);
	memset(f, 0, sizeof(*f));
}

static void
ring_push(struct dash_feed *f, struct dash_ring *r, int64_t ts, const struct a5_prefix *p,
    const char *a, const char *b)
{
	if (r->cap == 0)
		return;
	struct dash_event *e = &r->ev[r->next];
	e->seq = ++f->seq;
	e->ts = ts;
	e->prefix = *p;
	/* cut, not refused: a name this long is shown shortened */
	strlcpy_ok(e->service, a ? a : "", sizeof(e->service));
	strlcpy_ok(e->detail, b ? b : "", sizeof(e->detail));
	r->next = (r->next + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
}

void
dash_feed_attempt(struct dash_feed *f, int64_t ts, const struct a5_prefix *p, const char *service,
    const char *rule)
{
	ring_push(f, &f->attempts, ts, p, service, rule);
}

void
dash_feed_ban(struct dash_feed *f, int64_t ts, const struct a5_prefix *p, const char *service,
    const char *origin)
{
	ring_push(f, &f->bans, ts, p, service, origin);
}

static void
ring_json(const struct dash_ring *r, const char *name, const char *detail, struct outbuf *out)
{
	char pf[A5_PREFIX_STRLEN], svc[6 * DASH_TEXT_MAX + 3], det[6 * DASH_TEXT_MAX + 3];

	outbuf_printf(out, "\"%s\": [", name);
	for (size_t i = 0; i < r->n; i++) {
		/* oldest first: the slot after the newest, once the ring is full */
		const struct dash_event *e = &r->ev[(r->next + r->cap - r->n + i) % r->cap];
		prefix_format(&e->prefix, pf, sizeof(pf));
		json_escape(svc, sizeof(svc), e->service);
		json_escape(det, sizeof(det), e->detail);
		outbuf_printf(out, "%s\n  {\"seq\": %llu, \"ts\": %lld, \"prefix\": \"%s\", "
		    "\"service\": %s, \"%s\": %s}", i ? "," : "", (unsigned long long)e->seq,
		    (long long)e->ts, pf, svc, detail, det);
	}
	outbuf_printf(out, "]");
}

void
dash_feed_json(const struct dash_feed *f, struct outbuf *out)
{
	ring_json(&f->attempts, "attempts", "rule", out);
	outbuf_printf(out, ", ");
	ring_json(&f->bans, "bans", "origin", out);
}
