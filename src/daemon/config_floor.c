/* config_floor.c - the coalition floors of article5.conf (docs/config.md
 * "Coalition floors"): max prefix, special ranges, roles that act alone. */
#include <string.h>

#include "common/util.h"
#include "daemon/config_floor.h"

/* In the order of enum member_role (coalition/charter.h): the bits of
 * coalition_act_alone. */
static const char *const roles[] = { "member", "protected", "observer" };

static int
parse_roles(struct lineparse *p, const char *v, unsigned *out)
{
	unsigned bits = 0;
	const char *s = v;

	if (strcmp(v, "none") == 0) {
		*out = 0;
		return 0;
	}
	while (*s != '\0') {
		size_t n = strcspn(s, ","), i;
		for (i = 0; i < ARRAY_LEN(roles); i++)
			if (strlen(roles[i]) == n && strncmp(s, roles[i], n) == 0)
				break;
		if (i == ARRAY_LEN(roles))
			return lp_error(p, "bad coalition_act_alone '%s', expected none or ROLE[,ROLE...] "
			    "with ROLE member, protected or observer", v);
		bits |= 1u << i;
		s += n;
		if (*s == ',' && *++s == '\0')
			return lp_error(p, "bad coalition_act_alone '%s': ends with ','", v);
	}
	*out = bits;
	return 0;
}

int
config_parse_floor(struct lineparse *p, struct config *cfg, char **w, int nw)
{
	const char *k = w[0];
	uint64_t u;

	if (strcmp(k, "coalition_max_prefix4") == 0 || strcmp(k, "coalition_max_prefix6") == 0) {
		bool v4 = k[20] == '4';
		if (lp_want(p, nw, 2, v4 ? "coalition_max_prefix4 N" : "coalition_max_prefix6 N") != 0)
			return -1;
		if (uint_parse(w[1], v4 ? 8 : 16, v4 ? 32 : 128, &u) != 0)
			return lp_error(p, "bad %s '%s', expected %s", k, w[1], v4 ? "8..32" : "16..128");
		*(v4 ? &cfg->coalition_max_prefix4 : &cfg->coalition_max_prefix6) = (unsigned)u;
	} else if (strcmp(k, "coalition_allow_special") == 0) {
		if (lp_want(p, nw, 2, "coalition_allow_special yes|no") != 0)
			return -1;
		if (strcmp(w[1], "yes") != 0 && strcmp(w[1], "no") != 0)
			return lp_error(p, "bad coalition_allow_special '%s', expected yes or no", w[1]);
		cfg->coalition_allow_special = strcmp(w[1], "yes") == 0;
	} else if (strcmp(k, "coalition_act_alone") == 0) {
		if (lp_want(p, nw, 2, "coalition_act_alone none|ROLE[,ROLE...]") != 0)
			return -1;
		return parse_roles(p, w[1], &cfg->coalition_act_alone);
	} else
		return lp_error(p, "unknown directive '%s', expected coalition_max_prefix4, "
		    "coalition_max_prefix6, coalition_allow_special or coalition_act_alone", k);
	return 0;
}

void
config_print_floors(const struct config *cfg, FILE *f)
{
	/* printed only when not the default: the .ok files came before them */
	if (cfg->coalition_max_prefix4 != 24)
		fprintf(f, "coalition_max_prefix4 %u\n", cfg->coalition_max_prefix4);
	if (cfg->coalition_max_prefix6 != 48)
		fprintf(f, "coalition_max_prefix6 %u\n", cfg->coalition_max_prefix6);
	if (cfg->coalition_allow_special)
		fputs("coalition_allow_special yes\n", f);
	if (cfg->coalition_act_alone != CONFIG_ACT_ALONE_DEFAULT) {
		const char *sep = "";
		fputs("coalition_act_alone ", f);
		if (cfg->coalition_act_alone == 0)
			fputs("none", f);
		for (size_t i = 0; i < ARRAY_LEN(roles); i++)
			if (cfg->coalition_act_alone & (1u << i)) {
				fprintf(f, "%s%s", sep, roles[i]);
				sep = ",";
			}
		fputc('\n', f);
	}
}
