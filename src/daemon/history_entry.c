/* history_entry.c - journal text bodies back into fields (history_entry.h).
 * A small cursor over "key=value" words; the last key of each form takes
 * the rest of the body (a reason may hold spaces). */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "coalition/evidence.h"
#include "daemon/history_entry.h"

struct cursor {
	const char *p, *end;
};

/* Expects "key=" at the cursor; the value up to the next space (or the end
 * if rest) into v. 0 or -1. */
static int
field(struct cursor *c, const char *key, bool rest, char *v, size_t vn)
{
	size_t kl = strlen(key);

	if ((size_t)(c->end - c->p) < kl + 1 || memcmp(c->p, key, kl) != 0 || c->p[kl] != '=')
		return -1;
	c->p += kl + 1;
	const char *e = rest ? c->end : memchr(c->p, ' ', (size_t)(c->end - c->p));
	if (e == NULL)
		e = c->end;
	size_t n = (size_t)(e - c->p);
	if (n >= vn || (!rest && n == 0))
		return -1;
	memcpy(v, c->p, n);
	v[n] = '\0';
	c->p = e;
	if (!rest) {
		if (c->p == c->end)
			return -1;	/* another field must follow */
		c->p++;
	}
	return 0;
}

static int
parse_local(const struct journal_entry *e, struct cursor *c, struct history_item *out)
{
	char ttl[24];
	uint64_t t;

	if (field(c, "action", false, out->action, sizeof(out->action)) != 0 ||
	    field(c, "ttl", false, ttl, sizeof(ttl)) != 0 ||
	    uint_parse(ttl, 0, INT64_MAX, &t) != 0 ||
	    field(c, "reason", true, out->reason, sizeof(out->reason)) != 0)
		return -1;
	out->ttl = (int64_t)t;
	if (strcmp(e->subject, "*") == 0)
		out->all = true;
	else if (prefix_parse(e->subject, e->subject_len, &out->prefix) != 0)
		return -1;
	else
		out->has_prefix = true;
	return 0;
}

static int
parse_refusal(const struct journal_entry *e, struct cursor *c, struct history_item *out)
{
	char seq[24], pfx[A5_PREFIX_STRLEN + 1];

	if (field(c, "seq", false, seq, sizeof(seq)) != 0 ||
	    uint_parse(seq, 0, UINT64_MAX, &out->report_seq) != 0 ||
	    field(c, "reason", false, out->reason, sizeof(out->reason)) != 0 ||
	    field(c, "prefix", true, pfx, sizeof(pfx)) != 0)
		return -1;
	if (strcmp(pfx, "-") != 0) {
		if (prefix_parse(pfx, strlen(pfx), &out->prefix) != 0)
			return -1;
		out->has_prefix = true;
	}
	if (!strlcpy_ok(out->member, e->subject, sizeof(out->member)))
		return -1;
	snprintf(out->action, sizeof(out->action), "refused");
	return 0;
}

int
history_entry_parse(const struct journal_entry *e, struct history_item *out)
{
	struct cursor c = { (const char *)e->body, (const char *)e->body + e->len };

	memset(out, 0, sizeof(*out));
	out->seq = e->seq;
	out->at = e->at;
	if (e->len > JOURNAL_TEXT_MAX || !journal_printable((const char *)e->body, e->len) ||
	    e->subject == NULL)
		return -1;
	if (strcmp(e->kind, JOURNAL_LOCAL) == 0)
		return parse_local(e, &c, out);
	if (strcmp(e->kind, JOURNAL_REFUSAL) == 0)
		return parse_refusal(e, &c, out);
	return -1;
}

bool
history_entry_about(const struct history_item *it, const struct a5_prefix *p)
{
	return it->all || (it->has_prefix && prefix_overlaps(&it->prefix, p));
}
