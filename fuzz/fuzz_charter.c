/* fuzz_charter.c - libFuzzer target: the charter parser, and the invariants
 * a charter it accepts must hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/charter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct charter c;
	char err[1024];

	err[0] = '\0';
	if (charter_parse("fuzz.charter", (const char *)data, size, &c, err, sizeof(err)) != 0) {
		/* every refusal says where */
		if (strncmp(err, "fuzz.charter:", 13) != 0)
			abort();
		return 0;
	}
	if (c.name[0] == '\0' || c.nmembers == 0 || c.nmembers > CHARTER_MEMBERS_MAX ||
	    c.nurls > CHARTER_URLS_MAX || memchr(c.name, '\0', sizeof(c.name)) == NULL)
		abort();
	if (c.policy.max_prefix4 > 32 || c.policy.max_prefix6 > 128 ||
	    c.policy.rate_per_minute == 0 || c.policy.ttl_max == 0 || c.policy.quorum_window == 0)
		abort();
	for (size_t i = 0; i < c.nmembers; i++) {
		const struct charter_member *m = &c.members[i];
		/* names and keys are unique: each key finds its own member */
		if (charter_find(&c, m->pk) != m || m->nprefixes > CHARTER_MEMBER_PREFIXES_MAX)
			abort();
		if (strcmp(charter_role_name(m->role), "?") == 0)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(c.members[j].name, m->name) == 0)
				abort();
	}
	for (int r = 0; r < 3; r++)
		if (c.policy.response[r].quorum > CHARTER_QUORUM_MAX)
			abort();
	return 0;
}
