/* charter_apply.c - `article5 charter apply`: replaces the charter file by an
 * adoptable update's text (for a member that was away from the stream). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include <sodium.h>

#include "cli/charter_cli.h"

static void
apply_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter apply (--charter CURRENT | -c CONFIG) UPDATE\n"
	    "\n"
	    "Checks UPDATE against the charter in force and, if it is adoptable (same\n"
	    "coalition, the next version, it replaces this very text, the new text\n"
	    "parses, enough signatures of voting members), replaces CURRENT by the new\n"
	    "text atomically. For a member that was away from the coalition stream.\n"
	    "Exit status: 0 applied, 1 refused (the reason is printed), 2 usage.\n"
	    "\n"
	    "  --charter CURRENT  the charter in force, replaced\n"
	    "  -c CONFIG          the charter named by CONFIG's 'coalition' line\n");
}

int
cmd_charter_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "charter", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *charter = NULL, *cfgpath = NULL, *path;
	char chpath[PATH_MAX], err[CHARTER_ERR_MAX], why[1024], hex[2 * CHARTER_HASH_BYTES + 1];
	uint8_t h[CHARTER_HASH_BYTES];
	struct charter_current cur = { 0 };
	struct gov_update *u = NULL;
	int opt, rc = 1, verdict;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C': charter = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'h': apply_usage(stdout); return 0;
		default: apply_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (charter == NULL) == (cfgpath == NULL)) {
		apply_usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (charter_path_choose(&charter, cfgpath, chpath, sizeof(chpath), err, sizeof(err)) != 0 ||
	    charter_current_load(charter, &cur, err, sizeof(err)) != 0 ||
	    charter_update_load(path, &u, err, sizeof(err)) != 0)
		goto fail;
	verdict = gov_check(cur.c, cur.hash, u, NULL, NULL, why, sizeof(why));
	if (verdict != GOV_ADOPTABLE) {
		snprintf(err, sizeof(err), "%s: not adopted: %s", path, why);
		goto fail;
	}
	if (charter_write_file(charter, u->text, u->len, err, sizeof(err)) != 0)
		goto fail;
	charter_hash(u->text, u->len, h);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	printf("%s: now version %llu of coalition %s (hash %s)\n", charter,
	    (unsigned long long)u->version, u->coalition, hex);
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "article5 charter apply: %s\n", err);
out:
	gov_free(u);
	charter_current_free(&cur);
	return rc;
}
