/* fuzz_rules_file.c - libFuzzer target: the rules file parser (service,
 * program, maxretry/findtime/bantime and rule lines, pattern translation
 * and compilation) over arbitrary file text. A local rules file is written
 * by an operator, but rules_local makes it a second source of text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	char err[4096];

	if (fd < 0) {
		if ((fd = memfd_create("fuzz.rules", 0)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct ruleset *rs = rules_new();
	if (rs == NULL)
		return 0;
	err[0] = '\0';
	if (rules_load_file(rs, path, err, sizeof(err)) == 0)
		(void)rules_compile(rs, err, sizeof(err));
	if (strnlen(err, sizeof(err)) >= sizeof(err))
		abort();	/* every message ends inside the buffer */
	rules_free(rs);
	return 0;
}
