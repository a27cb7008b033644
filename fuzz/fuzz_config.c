/* fuzz_config.c - libFuzzer target: the configuration parser. (Control
 * requests and prefixes have their own targets, fuzz_control and
 * fuzz_addr.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char err[1024];

	config_defaults(&cfg);
	(void)config_parse("fuzz.conf", (const char *)data, size, &cfg, err, sizeof(err));
	return 0;
}
