/* charter_diff.c - what a charter update changes, in words: members added
 * and removed, roles, keys, prefixes, revocations, policy lines, and the
 * signatures later updates need (`article5 charter show UPDATE`). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/charter_cli.h"
#include "coalition/identity.h"
#include "common/addr.h"
#include "common/lineparse.h"
#include "common/util.h"


static void __attribute__((format(printf, 2, 3)))
change_add(struct charter_changes *ch, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? 2 * ch->cap : 16;
		char **l = realloc(ch->line, cap * sizeof(*l));
		if (l == NULL)
			return;
		ch->line = l;
		ch->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s != NULL)
		ch->line[ch->n++] = s;
}

void
charter_changes_free(struct charter_changes *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->line[i]);
	free(ch->line);
	memset(ch, 0, sizeof(*ch));
}

static void
prefixes_text(const struct charter_member *m, char *out, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	if (m->nprefixes == 0) {
		snprintf(out, n, "(none)");
		return;
	}
	for (size_t i = 0; i < m->nprefixes && o < n; i++) {
		char p[A5_PREFIX_STRLEN];
		prefix_format(&m->prefixes[i], p, sizeof(p));
		o += (size_t)snprintf(out + o, n - o, "%s%s", i ? " " : "", p);
	}
}

static bool
same_prefixes(const struct charter_member *a, const struct charter_member *b)
{
	if (a->nprefixes != b->nprefixes)
		return false;
	for (size_t i = 0; i < a->nprefixes; i++)
		if (!prefix_equal(&a->prefixes[i], &b->prefixes[i]))
			return false;
	return true;
}

/* The directive lines other than member, revoked and version (those are
 * compared as members), each with its words joined by one space. */
static size_t
policy_lines(const char *text, size_t len, char ***out)
{
	char **v = NULL, line[4096];
	size_t n = 0, i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) : len - i;
		char *w[64], joined[4096];
		int nw;

		if (l < sizeof(line)) {
			memcpy(line, text + i, l);
			line[l] = '\0';
			if (l > 0 && line[l - 1] == '\r')
				line[l - 1] = '\0';
			nw = lp_split(line, w, (int)ARRAY_LEN(w));
			if (nw > 0 && strcmp(w[0], "member") != 0 && strcmp(w[0], "revoked") != 0 &&
			    strcmp(w[0], "version") != 0) {
				size_t o = 0;
				for (int k = 0; k < nw && o < sizeof(joined); k++)
					o += (size_t)snprintf(joined + o, sizeof(joined) - o, "%s%s",
					    k ? " " : "", w[k]);
				char **nv = realloc(v, (n + 1) * sizeof(*v));
				if (nv != NULL && (nv[n] = strdup(joined)) != NULL) {
					v = nv;
					n++;
				} else if (nv != NULL)
					v = nv;
			}
		}
		i += l + 1;
	}
	*out = v;
	return n;
}

static void
lines_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Lines of a that b lacks, as a multiset. */
static void
lines_missing(char **a, size_t na, char **b, size_t nb, struct charter_changes *ch,
    const char *what)
{
	bool *used = calloc(nb + 1, sizeof(*used));

	if (used == NULL)
		return;
	for (size_t i = 0; i < na; i++) {
		size_t j;
		for (j = 0; j < nb; j++)
			if (!used[j] && strcmp(a[i], b[j]) == 0)
				break;
		if (j < nb)
			used[j] = true;
		else
			change_add(ch, "%s: %s", what, a[i]);
	}
	free(used);
}

void
charter_threshold_text(const struct charter *c, char *out, size_t n)
{
	if (c->threshold == 0)
		snprintf(out, n, "majority: %u of %u voters", charter_threshold(c), charter_voters(c));
	else
		snprintf(out, n, "%u of %u voters", c->threshold, charter_voters(c));
}

void
charter_diff(const struct charter_current *cur, const struct charter *next, const char *next_text,
    size_t next_len, struct charter_changes *ch)
{
	const struct charter *c = cur->c;
	char a[ID_PUBLIC_TEXT_MAX], b[ID_PUBLIC_TEXT_MAX];
	char pa[CHARTER_MEMBER_PREFIXES_MAX * A5_PREFIX_STRLEN], pb[sizeof(pa)];
	char **la, **lb;
	size_t na, nb;

	for (size_t i = 0; i < c->nmembers; i++) {
		const struct charter_member *m = &c->members[i];
		const struct charter_member *n = charter_find_name(next, m->name);

		if (n == NULL) {
			change_add(ch, "member removed: %s (its key becomes unknown%s)", m->name,
			    m->nprefixes ? "; its prefixes are no longer shielded" : "");
			continue;
		}
		if (m->role != n->role)
			change_add(ch, "member %s: role %s -> %s", m->name, charter_role_name(m->role),
			    charter_role_name(n->role));
		if (memcmp(m->pk, n->pk, ID_PUBLIC_BYTES) != 0) {
			identity_pk_to_text(m->pk, a, sizeof(a));
			identity_pk_to_text(n->pk, b, sizeof(b));
			change_add(ch, "member %s: key rotated %s -> %s", m->name, a, b);
		}
		if (!same_prefixes(m, n)) {
			prefixes_text(m, pa, sizeof(pa));
			prefixes_text(n, pb, sizeof(pb));
			change_add(ch, "member %s: prefixes %s -> %s", m->name, pa, pb);
		}
		if (!m->revoked && n->revoked)
			change_add(ch, "member %s: revoked", m->name);
		else if (m->revoked && !n->revoked)
			change_add(ch, "member %s: revocation lifted", m->name);
	}
	for (size_t i = 0; i < next->nmembers; i++) {
		const struct charter_member *n = &next->members[i];
		if (charter_find_name(c, n->name) != NULL)
			continue;
		identity_pk_to_text(n->pk, b, sizeof(b));
		prefixes_text(n, pb, sizeof(pb));
		change_add(ch, "member added: %s %s %s, prefixes %s%s", n->name,
		    charter_role_name(n->role), b, pb, n->revoked ? " (revoked)" : "");
	}
	na = policy_lines(cur->text, cur->len, &la);
	nb = policy_lines(next_text, next_len, &lb);
	lines_missing(la, na, lb, nb, ch, "line removed");
	lines_missing(lb, nb, la, na, ch, "line added");
	lines_free(la, na);
	lines_free(lb, nb);
	if (charter_voters(c) != charter_voters(next) || charter_threshold(c) != charter_threshold(next)) {
		charter_threshold_text(c, pa, sizeof(pa));
		charter_threshold_text(next, pb, sizeof(pb));
		change_add(ch, "signatures needed for later updates: %s -> %s", pa, pb);
	}
}
