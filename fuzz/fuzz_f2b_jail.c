/* fuzz_f2b_jail.c - libFuzzer target: `article5 import-fail2ban DIR`
 * (src/cli/import_f2b.c) on a directory written from the input. The input
 * is split on lines "====" into jail.conf, jail.local, jail.d/x.conf,
 * filter.d/f.conf (a filter the jails may name) and paths-common.conf (what
 * jail.conf includes); a part missing from the input is a file missing
 * from the directory. The importer's notes on stderr are sent to
 * /dev/null during the call (sanitizer reports keep the real stderr). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "cli/cli.h"

#define NPARTS 5

static char dir[256];
static int devnull = -1, realerr = -1;
static const char *const rel[NPARTS] = {
	"jail.conf", "jail.local", "jail.d/x.conf", "filter.d/f.conf", "paths-common.conf",
};

static void
cleanup(void)
{
	char p[512];

	for (size_t i = 0; i < NPARTS; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, rel[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/out.conf", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/jail.d", dir);
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
	snprintf(p, sizeof(p), "%s/jail.d", dir);
	if (mkdir(p, 0700) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/filter.d", dir);
	if (mkdir(p, 0700) != 0)
		abort();
	if ((devnull = open("/dev/null", O_WRONLY)) < 0 || (realerr = dup(2)) < 0)
		abort();
	__sanitizer_set_report_fd((void *)(intptr_t)realerr);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[512];
	size_t pos = 0;

	if (dir[0] == '\0')
		setup();
	for (size_t i = 0; i < NPARTS; i++) {
		size_t start = pos, len = 0;
		int present = pos <= size;
		if (present) {
			size_t k;
			for (k = start; k < size; k++)
				if ((k == 0 || data[k - 1] == '\n') && size - k >= 5 &&
				    memcmp(data + k, "====\n", 5) == 0)
					break;
			len = k - start;
			pos = k < size ? k + 5 : size + 1;
		}
		put(i, data + start, len, present);
	}
	snprintf(out, sizeof(out), "%s/out.conf", dir);
	char *argv[] = { "import-fail2ban", dir, "-o", out, NULL };
	fflush(stderr);
	dup2(devnull, 2);
	(void)cmd_import_f2b(4, argv);
	fflush(stderr);
	dup2(realerr, 2);
	return 0;
}
