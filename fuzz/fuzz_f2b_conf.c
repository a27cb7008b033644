/* fuzz_f2b_conf.c - libFuzzer target for the fail2ban filter reader
 * (src/f2b/f2b_ini.c, f2b_conf.c): the input, split at "\n----\n", becomes
 * filter.d/f.conf, filter.d/f.local and filter.d/common.conf in a private
 * directory, then f2b_def_load reads f.conf (with mode=aggressive when the
 * input's length is odd). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "f2b/f2b_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static void
put(const char *name, const uint8_t *p, size_t n)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/filter.d/%s", dir, name);
	if (p == NULL) {
		unlink(path);
		return;
	}
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (n > 0 && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[3] = { "f.conf", "f.local", "common.conf" };
	static const char sep[] = "\n----\n";
	const uint8_t *p = data, *end = data + size;
	struct f2b_def def;
	char err[512], path[400];
	const struct f2b_opt opt = { "mode", "aggressive" };

	if (dir[0] == '\0') {
		char sub[300];
		snprintf(dir, sizeof(dir), "/tmp/a5fuzzf2b.%d", (int)getpid());
		snprintf(sub, sizeof(sub), "%s/filter.d", dir);
		if (mkdir(dir, 0700) != 0 || mkdir(sub, 0700) != 0)
			abort();
	}
	for (int i = 0; i < 3; i++) {
		if (p == NULL) {
			put(names[i], NULL, 0);
			continue;
		}
		const uint8_t *s = memmem(p, (size_t)(end - p), sep, sizeof(sep) - 1);
		put(names[i], p, s ? (size_t)(s - p) : (size_t)(end - p));
		p = s ? s + sizeof(sep) - 1 : NULL;
	}
	snprintf(path, sizeof(path), "%s/filter.d/f.conf", dir);
	if (f2b_def_load(path, &opt, size & 1, &def, err, sizeof(err)) == 0)
		f2b_def_free(&def);
	return 0;
}
