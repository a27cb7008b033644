/* charter_cli.c - the files the `article5 charter` sub-verbs read: the
 * charter in force, an update, and the paths a configuration names. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/charter_cli.h"
#include "common/lineparse.h"
#include "common/util.h"
#include "daemon/config.h"

void
charter_current_free(struct charter_current *cur)
{
	free(cur->c);
	free(cur->text);
	cur->c = NULL;
	cur->text = NULL;
}

int
charter_current_load(const char *path, struct charter_current *cur, char *err, size_t errlen)
{
	memset(cur, 0, sizeof(*cur));
	cur->path = path;
	if ((cur->c = malloc(sizeof(*cur->c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (lp_read_file(path, CHARTER_FILE_MAX, &cur->text, &cur->len, err, errlen) != 0) {
		charter_current_free(cur);
		return -1;
	}
	if (charter_parse(path, cur->text, cur->len, cur->c, err, errlen) != 0) {
		charter_current_free(cur);
		return -1;
	}
	charter_hash(cur->text, cur->len, cur->hash);
	return 0;
}

int
charter_update_load(const char *path, struct gov_update **u, char *err, size_t errlen)
{
	char *buf, why[512];
	size_t n;

	if (lp_read_file(path, GOV_BUNDLE_MAX, &buf, &n, err, errlen) != 0)
		return -1;
	if (gov_decode((const uint8_t *)buf, n, u, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

uint8_t *
charter_update_encode(const struct gov_update *u, size_t *n, const char *path, char *err,
    size_t errlen)
{
	size_t cap = gov_encoded_len(u);
	uint8_t *buf = malloc(cap);

	if (buf == NULL || (*n = gov_encode(u, buf, cap)) == 0) {
		snprintf(err, errlen, "%s: %s", path, buf ? "cannot encode the update" : "out of memory");
		free(buf);
		return NULL;
	}
	return buf;
}

/* The charter (and identity) paths from a configuration file. */
int
charter_paths_from_config(const char *cfgpath, char *charter, size_t chn, char *identity,
    size_t idn, char *err, size_t errlen)
{
	struct config *cfg = malloc(sizeof(*cfg));

	if (cfg == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	config_defaults(cfg);
	if (config_load(cfgpath, cfg, err, errlen) != 0) {
		free(cfg);
		return -1;
	}
	if (charter != NULL) {
		char adopted[PATH_MAX + 32], why[512];
		config_adopted_charter(cfg, adopted, sizeof(adopted));
		strlcpy_ok(charter, charter_in_force(cfg->charter, adopted, why, sizeof(why)), chn);
	}
	if (identity != NULL)
		strlcpy_ok(identity, cfg->identity, idn);
	free(cfg);
	return 0;
}

int
charter_path_choose(const char **charter, const char *cfgpath, char *buf, size_t n, char *err,
    size_t errlen)
{
	if (*charter != NULL)
		return 0;
	if (charter_paths_from_config(cfgpath, buf, n, NULL, 0, err, errlen) != 0)
		return -1;
	if (buf[0] == '\0') {
		snprintf(err, errlen, "%s: no 'coalition' line (the charter file) (or use --charter FILE)",
		    cfgpath);
		return -1;
	}
	*charter = buf;
	return 0;
}
