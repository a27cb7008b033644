/* fuzz_token.c - libFuzzer target: the invitation token decoder
 * (onb_token_decode), and the invariant that whatever it accepts encodes
 * back to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/onboard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct onb_token t;
	char text[ONB_TOKEN_TEXT_MAX + 2], back[ONB_TOKEN_TEXT_MAX + 1], err[256];

	if (size > ONB_TOKEN_TEXT_MAX + 1)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (onb_token_decode(text, &t, err, sizeof(err)) != 0)
		return 0;
	if (!onb_name_ok(t.coalition) || !onb_name_ok(t.name) || t.nurls == 0 ||
	    t.nurls > CHARTER_URLS_MAX)
		abort();
	for (size_t i = 0; i < t.nurls; i++)
		if (!onb_url_ok(t.urls[i]))
			abort();
	if (onb_token_encode(&t, back, sizeof(back)) != 0 || strcmp(back, text) != 0)
		abort();
	return 0;
}
