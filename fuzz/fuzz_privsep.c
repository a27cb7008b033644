/* fuzz_privsep.c - libFuzzer target: the enforcer process's reading of the
 * worker's messages (priv_handle), which a compromised worker controls
 * entirely. The enforcer runs in observe mode (no kernel is touched) with
 * an allowlist and a charter scope, so records reach every re-check; a
 * reload is accepted without reopening it, so policies reach the floor
 * checks and allowlists the staging list. Logs
 * go to syslog, which drops them here: a refused record logs a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/privsep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
reload_accept(void *arg, const struct priv_policy *pol, const struct prefixlist *allow)
{
	(void)arg;
	/* what priv_handle passes on was checked */
	if (pol->observe > 1 || pol->max_prefix4 > 32 || pol->max_prefix6 > 128 ||
	    allow->n > PREFIXLIST_MAX)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct privs s;
	static unsigned calls;
	struct priv_reply reply;

	if (s.enf == NULL) {
		static struct prefixlist allow;
		struct a5_prefix p;
		char err[256];
		log_init("fuzz_privsep", 0, 1);
		prefixlist_init(&allow);
		if (prefix_parse("192.0.2.0/24", 12, &p) == 0)
			prefixlist_add(&allow, &p);
		if ((s.enf = enf_open(true, &allow, 3600, err, sizeof(err))) == NULL)
			abort();
		prefixlist_init(&s.protect);
		if (prefix_parse("198.51.100.0/28", 15, &p) == 0)
			prefixlist_add(&s.protect, &p);
		s.max_prefix4 = s.max_floor4 = 24;
		s.max_prefix6 = s.max_floor6 = 48;
		s.reload = reload_accept;
	}
	int r = priv_handle(&s, data, size, &reply);
	if (r < -1 || r > 2)
		abort();
	/* a reply is a fixed, fully initialised struct */
	if (r == 1 && reply.zero != 0)
		abort();
	/* a reload never widens the scope below the start's floor */
	if ((s.max_prefix4 != 0 || s.max_prefix6 != 0) &&
	    (s.max_prefix4 < s.max_floor4 || s.max_prefix6 < s.max_floor6))
		abort();
	/* keep the queue from filling up: it is bounded anyway (ENF_QUEUE_MAX) */
	if (++calls % 256 == 0)
		enf_commit(s.enf);
	return 0;
}
