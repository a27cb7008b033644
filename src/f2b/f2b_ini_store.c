/* f2b_ini_store.c - the INI reader's sections of keys and values, as
 * ConfigParser keeps them (a key set again replaces its value in place). */
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_conf.h"
#include "f2b/f2b_ini_store.h"

void
f2b_isec_free(struct isec *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->vals[i].key);
		f2b_txt_free(&s->vals[i].v);
	}
	free(s->vals);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void
f2b_iset_free(struct iset *set)
{
	f2b_isec_free(&set->defaults);
	for (size_t i = 0; i < set->nsecs; i++)
		f2b_isec_free(&set->secs[i]);
	free(set->secs);
	memset(set, 0, sizeof(*set));
}

struct isec *
f2b_sec_find(const struct iset *set, const char *name)
{
	for (size_t i = 0; i < set->nsecs; i++)
		if (strcmp(set->secs[i].name, name) == 0)
			return &set->secs[i];
	return NULL;
}

struct isec *
f2b_sec_add(struct iset *set, const char *name, bool known)
{
	if (set->nsecs >= F2B_SECTIONS_MAX)
		return NULL;
	if (set->nsecs == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 8;
		struct isec *s = realloc(set->secs, cap * sizeof(*s));
		if (s == NULL)
			return NULL;
		set->secs = s;
		set->cap = cap;
	}
	struct isec *s = &set->secs[set->nsecs];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (s->name == NULL)
		return NULL;
	s->known = known;
	set->nsecs++;
	return s;
}

struct ival *
f2b_val_find(const struct isec *s, const char *key)
{
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (strcmp(s->vals[i].key, key) == 0)
			return &s->vals[i];
	return NULL;
}

/* Sets key (kept in place if present, as a Python dict does), taking
 * ownership of *v. */
int
f2b_val_put(struct isec *s, const char *key, struct f2b_txt *v)
{
	struct ival *iv = f2b_val_find(s, key);

	if (iv != NULL) {
		f2b_txt_free(&iv->v);
		iv->v = *v;
		memset(v, 0, sizeof(*v));
		return 0;
	}
	if (s->n >= F2B_KEYS_MAX)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct ival *nv = realloc(s->vals, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		s->vals = nv;
		s->cap = cap;
	}
	char *k = strdup(key);
	if (k == NULL)
		return -1;
	s->vals[s->n].key = k;
	s->vals[s->n].v = *v;
	memset(v, 0, sizeof(*v));
	s->n++;
	return 0;
}

int
f2b_val_put_copy(struct isec *s, const char *key, const struct f2b_txt *v)
{
	struct f2b_txt c;

	if (f2b_txt_copy(&c, v) < 0)
		return -1;
	if (f2b_val_put(s, key, &c) < 0) {
		f2b_txt_free(&c);
		return -1;
	}
	return 0;
}
