/* f2b_mlf.c - fail2ban's connections (<F-MLFID>): filter.py
 * _mergeFailure, the failure's groups merged into its connection's, in a
 * table with a ceiling and an expiry (F2B_FLT_MLF_MAX, F2B_FLT_MLF_TTL). */
#include <string.h>

#include "f2b/f2b_filter.h"
#include "f2b/f2b_mlf.h"

struct mlf_key {
	uint64_t hash;
	uint16_t n;
	char head[54];
};

static uint64_t
fnv64(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct lru *
f2b_mlf_new(size_t max)
{
	return lru_new(max, sizeof(struct mlf_key), sizeof(struct f2b_mlf_entry));
}

void
f2b_fstr_set(struct f2b_fstr *d, const struct f2b_view *v)
{
	d->set = v->set;
	d->trunc = v->n >= sizeof(d->s);
	d->n = (uint16_t)(d->trunc ? sizeof(d->s) - 1 : v->n);
	if (v->set)
		memcpy(d->s, v->p, d->n);
	d->s[d->n] = '\0';
}

static void
mlf_key_make(struct mlf_key *k, const struct f2b_view *id)
{
	memset(k, 0, sizeof(*k));
	k->hash = fnv64(id->p, id->n);
	k->n = (uint16_t)(id->n > UINT16_MAX ? UINT16_MAX : id->n);
	memcpy(k->head, id->p, id->n < sizeof(k->head) ? id->n : sizeof(k->head));
}

struct f2b_fail *
f2b_mlf_merge(struct lru *mlf, uint64_t *evictions, const struct f2b_view *mlfid,
    struct f2b_fail *cur, const struct f2b_view *user, const struct f2b_view *forget,
    const struct f2b_view *gained, const struct f2b_view *nofail, int64_t now,
    struct f2b_fail *tmp, struct f2b_mlf_entry **entry)
{
	struct mlf_key key;
	struct f2b_mlf_entry *e;
	unsigned fl = 0;
	int nusers = -1;	/* -1: no users set (Python: users is None) */

	*entry = NULL;
	cur->nofail = f2b_view_true(nofail);
	cur->mlfgained = f2b_view_true(gained);
	if (f2b_view_true(gained)) {
		fl |= 8 | 1;
		cur->nofail = true;
	} else if (f2b_view_true(nofail))
		fl |= 1;
	if (f2b_view_true(forget))
		fl |= 2;
	mlf_key_make(&key, mlfid);
	e = lru_get(mlf, &key);
	if (e != NULL && e->expires <= now) {
		lru_remove(mlf, &key);
		e = NULL;
	}
	uint64_t uh = f2b_view_true(user) ? fnv64(user->p, user->n) : 0;
	struct f2b_fail *r;
	if (e != NULL) {
		struct f2b_fail *g = &e->fail;
		if (f2b_view_true(user)) {
			if (g->nusers == 0) {
				g->nusers = 1;
				g->user1 = uh;
			} else if (g->nusers == 1 && g->user1 != uh)
				g->nusers = 2;
		}
		nusers = g->nusers ? g->nusers : -1;
		if (g->nofail)
			fl |= 4;
		if (g->mlfgained)
			fl |= 4;
		g->nofail = g->mlfgained = false;
		if (fl & 8)
			g->mlfpending = false;
		/* update with the values the current match has */
		for (int k = 0; k < V_N; k++)
			if (cur->v[k].set)
				g->v[k] = cur->v[k];
		if (nofail->set || (fl & 8))
			g->nofail = cur->nofail;
		if (gained->set)
			g->mlfgained = cur->mlfgained;
		if (fl & 2) {
			*tmp = *g;
			lru_remove(mlf, &key);
			r = tmp;
		} else {
			*entry = e;
			r = g;
		}
	} else if (!(fl & 2)) {
		int created;
		uint64_t ev = lru_evictions(mlf);
		if (f2b_view_true(user)) {
			cur->nusers = 1;
			cur->user1 = uh;
			nusers = 1;
		}
		e = lru_put(mlf, &key, &created);
		*evictions += lru_evictions(mlf) - ev;
		if (e != NULL) {
			e->expires = now + F2B_FLT_MLF_TTL;
			e->fail = *cur;
			*entry = e;
			r = &e->fail;
		} else
			r = cur;
	} else
		r = cur;
	bool pending = r->mlfpending;
	r->mlfpending = false;
	if (pending || nusers > 1) {
		r->nofail = r->mlfgained = false;
	}
	return r;
}
