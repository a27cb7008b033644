/* fuzz_control.c - libFuzzer target: the control socket's request parser
 * (docs/control.md). Whatever it accepts must be a request the daemon can
 * act on without checking again: a known command, a canonical prefix for
 * ban and unban, a duration that is not negative. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_request req;
	char err[256];

	memset(&req, 0, sizeof(req));
	if (control_parse((const char *)data, size, &req, err, sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();	/* a refusal always says why */
		return 0;
	}
	if (size > CONTROL_REQUEST_MAX)
		abort();
	if (req.cmd < CTL_STATUS || req.cmd >= CTL_NCMDS || (req.json != 0 && req.json != 1))
		abort();
	if ((req.cmd == CTL_BAN || req.cmd == CTL_UNBAN) && prefix_check(&req.prefix) != NULL)
		abort();
	if (req.duration < 0)
		abort();
	return 0;
}
