/* fuzz_config.c - libFuzzer target: the configuration parser, the control
 * request parser and the prefix parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	struct control_request req;
	struct a5_prefix p;
	char err[1024];

	config_defaults(&cfg);
	(void)config_parse("fuzz.conf", (const char *)data, size, &cfg, err, sizeof(err));
	(void)control_parse((const char *)data, size, &req, err, sizeof(err));
	(void)prefix_parse((const char *)data, size, &p);
	return 0;
}
