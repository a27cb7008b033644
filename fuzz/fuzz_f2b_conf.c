/* fuzz_f2b_conf.c - libFuzzer target: fail2ban filter files (f2b_ini.c,
 * f2b_conf.c). The input is split on lines "====" into up to five parts:
 * filter.d/fuzz.conf, filter.d/common.conf (what a filter includes),
 * filter.d/fuzz.local, filter.d/fuzz.d/x.conf, and name=value lines passed
 * as caller options (jail.conf's sshd[mode=...]). The files go to a
 * private temp dir made once and rewritten at each run (parts missing
 * from the input are removed); then f2b_def_load and the INI API the
 * importer uses (sections, keys, f2b_ini_get, f2b_ini_set_default). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "f2b/f2b_conf.h"

#define NPARTS 5
#define NOPTS 8

static char dir[256];
static const char *const rel[NPARTS - 1] = {
	"filter.d/fuzz.conf", "filter.d/common.conf", "filter.d/fuzz.local",
	"filter.d/fuzz.d/x.conf",
};

static void
cleanup(void)
{
	char p[512];

	for (size_t i = 0; i < NPARTS - 1; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, rel[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/filter.d/fuzz.d", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/filter.d", dir);
	rmdir(p);
	rmdir(dir);
}

static void
setup(void)
{
	char p[512];

	snprintf(dir, sizeof(dir), "%s/a5fuzzXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(p, sizeof(p), "%s/filter.d", dir);
	if (mkdir(p, 0700) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/filter.d/fuzz.d", dir);
	if (mkdir(p, 0700) != 0)
		abort();
	atexit(cleanup);
}

static void
put(size_t i, const uint8_t *data, size_t n, int present)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel[i]);
	if (!present) {
		unlink(p);
		return;
	}
	if ((f = fopen(p, "wb")) == NULL)
		abort();
	if (n > 0 && fwrite(data, 1, n, f) != n)
		abort();
	if (fclose(f) != 0)
		abort();
}

/* The next part of data[*pos..size): up to a line "====" (not included). */
static size_t
next_part(const uint8_t *data, size_t size, size_t *pos, size_t *len)
{
	size_t start = *pos;
	for (size_t i = start; i < size; i++) {
		if ((i == 0 || data[i - 1] == '\n') && size - i >= 5 &&
		    memcmp(data + i, "====\n", 5) == 0) {
			*len = i - start;
			*pos = i + 5;
			return start;
		}
	}
	*len = size - start;
	*pos = size + 1;
	return start;
}

static void
ini_walk(const char *path)
{
	char err[1024], where[F2B_WHERE_MAX];
	struct f2b_ini *ini = f2b_ini_load(path, err, sizeof(err));

	if (ini == NULL)
		return;
	(void)f2b_ini_set_default(ini, "fail2ban_version", "0.0.0");
	(void)f2b_ini_set_default(ini, "fail2ban_confpath", dir);
	for (size_t i = 0; i < 64; i++) {
		const char *sec = f2b_ini_section(ini, i);
		if (sec == NULL)
			break;
		for (size_t k = 0; k < 64; k++) {
			const char *key = f2b_ini_key(ini, sec, k);
			char *v = NULL;
			if (key == NULL)
				break;
			if (f2b_ini_get(ini, sec, key, &v, where, sizeof(where), err, sizeof(err)) == 1)
				free(v);
		}
		char *v = NULL;
		if (f2b_ini_get(ini, sec, "enabled", &v, NULL, 0, err, sizeof(err)) == 1)
			free(v);
	}
	f2b_ini_free(ini);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024], path[512], optbuf[4096];
	struct f2b_opt opts[NOPTS];
	size_t nopts = 0, pos = 0;
	struct f2b_def def;

	if (dir[0] == '\0')
		setup();
	for (size_t i = 0; i < NPARTS - 1; i++) {
		size_t len, start;
		int present = pos <= size;
		start = present ? next_part(data, size, &pos, &len) : (len = 0);
		put(i, data + start, len, present);
	}
	if (pos <= size) {
		/* options: name=value lines, the rest of the input */
		size_t len, start = next_part(data, size, &pos, &len);
		if (len >= sizeof(optbuf))
			len = sizeof(optbuf) - 1;
		memcpy(optbuf, data + start, len);
		optbuf[len] = '\0';
		for (char *l = optbuf; l != NULL && *l != '\0' && nopts < NOPTS;) {
			char *nl = strchr(l, '\n'), *eq;
			if (nl != NULL)
				*nl++ = '\0';
			if ((eq = strchr(l, '=')) != NULL) {
				*eq = '\0';
				opts[nopts++] = (struct f2b_opt){ l, eq + 1 };
			}
			l = nl;
		}
	}
	snprintf(path, sizeof(path), "%s/filter.d/fuzz.conf", dir);
	memset(&def, 0, sizeof(def));
	if (f2b_def_load_backend(path, opts, nopts, size & 1 ? "systemd" : "auto", &def, err,
	    sizeof(err)) == 0)
		f2b_def_free(&def);
	ini_walk(path);
	return 0;
}
