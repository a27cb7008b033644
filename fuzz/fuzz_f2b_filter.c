/* fuzz_f2b_filter.c - libFuzzer target: the fail2ban filter engine over
 * arbitrary log text, with fail2ban's sshd filter (prefregex, F-MLFID
 * connections, nofail, forget) and a multi-line filter (maxlines,
 * SKIPLINES, ignoreregex), the date cut out by the default templates. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f2b/f2b_conf.h"
#include "f2b/f2b_filter.h"

static struct f2b_set *set;

static void
on_failure(void *arg, const struct f2b_failure *f)
{
	size_t *n = arg;

	/* the id is NUL-terminated text */
	*n += strlen(f->id) + (f->has_addr ? 1 : 0);
}

static void
add(const char *pref, const char *const *fail, const char *const *ign, int maxlines)
{
	struct f2b_regex fr[8], ir[8];
	struct f2b_def def;
	char err[1024];

	memset(&def, 0, sizeof(def));
	def.name = (char *)"fuzz";
	def.prefregex = (char *)pref;
	for (; fail[def.nfail]; def.nfail++)
		fr[def.nfail] = (struct f2b_regex){ (char *)fail[def.nfail], "fuzz:1" };
	for (; ign && ign[def.nignore]; def.nignore++)
		ir[def.nignore] = (struct f2b_regex){ (char *)ign[def.nignore], "fuzz:2" };
	def.fail = fr;
	def.ignore = ir;
	def.maxlines = maxlines;
	if (f2b_set_add(set, &def, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	if (set == NULL) {
		static const char *const conn[] = {
			"^<F-NOFAIL>connect from</F-NOFAIL> <HOST>$",
			"^auth failed for <F-USER>\\S+</F-USER>(?: from <HOST>)?$",
			"^<F-NOFAIL><F-MLFFORGET>closed</F-MLFFORGET></F-NOFAIL>$",
			"^<F-MLFGAINED>accepted</F-MLFGAINED> for <F-USER>\\S+</F-USER>$",
			"^reset <F-MLFFORGET>x</F-MLFFORGET> <SUBNET>$", NULL,
		};
		static const char *const multi[] = {
			"^conn (?P<c>\\d+) start$<SKIPLINES>^conn (?P=c) fail from <HOST>$",
			"^one <ADDR>/<CIDR> <F-ID/>$", NULL,
		};
		static const char *const ign[] = { "trusted", NULL };
		char err[1024];
		struct f2b_def def;
		set = f2b_set_new();
		memset(&def, 0, sizeof(def));
		if (set == NULL) {
			abort();
		}
		add("^\\s*<F-MLFID>\\S+ s\\[\\d+\\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$", conn, NULL, 1);
		add(NULL, multi, ign, 4);
		if (f2b_def_load("/etc/fail2ban/filter.d/sshd.conf", NULL, 0, &def, err,
		    sizeof(err)) == 0) {
			(void)f2b_set_add(set, &def, 0, err, sizeof(err));
			f2b_def_free(&def);
		}
		if (f2b_set_compile(set, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
	}
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		f2b_set_line(set, p, len, 1800000000, on_failure, &n);
		p += len + 1;
	}
	return n == SIZE_MAX;
}
