/* f2b_ini_store.h - the INI reader's store: sections of keys and values
 * (f2b_ini_store.c), the files parsed, and the whole load. Internal to
 * f2b_ini*.c. */
#ifndef A5_F2B_INI_STORE_H
#define A5_F2B_INI_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "f2b/f2b_txt.h"

struct ival {
	char *key;
	struct f2b_txt v;
};

struct isec {
	char *name;
	struct ival *vals;
	size_t n, cap;
	bool known;		/* a KNOWN/<section> copy: not listed */
};

/* The sections and defaults of one file, or of a whole load. */
struct iset {
	struct isec defaults;
	struct isec *secs;
	size_t nsecs, cap;
};

/* One file as parsed alone: fail2ban parses each file with a parser of
 * its own (its [INCLUDES] interpolate with its own [DEFAULT] only), then
 * merges them in include order. Parsed once, shared as fail2ban does. */
struct pfile {
	char *path;
	bool readable;
	struct iset set;
};

struct f2b_ini {
	struct iset set;
	char **files;		/* loc.file indexes this; [0] is unused */
	size_t nfiles;
	struct pfile **parsed;	/* each its own allocation: held across includes */
	size_t nparsed;
	/* Include lines followed, in all: the walk visits a file again for
	 * every line naming it (as fail2ban's uncached walk does), and lines
	 * naming missing files add nothing the other ceilings would count. */
	size_t visits;
};

void f2b_isec_free(struct isec *s);
void f2b_iset_free(struct iset *set);
/* The section named name, or NULL. */
struct isec *f2b_sec_find(const struct iset *set, const char *name);
/* A new section (or the one of that name); NULL past F2B_SECTIONS_MAX or
 * out of memory. */
struct isec *f2b_sec_add(struct iset *set, const char *name, bool known);
/* The value of key (lower case) in s (NULL: none), or NULL. */
struct ival *f2b_val_find(const struct isec *s, const char *key);
/* Sets key to *v, which it takes (v is left empty); 0, or -1. */
int f2b_val_put(struct isec *s, const char *key, struct f2b_txt *v);
/* Sets key to a copy of *v; 0, or -1. */
int f2b_val_put_copy(struct isec *s, const char *key, const struct f2b_txt *v);

#endif
