/* charter_sign.c - `article5 charter sign`: adds this member's signature to
 * a charter update, refusing one that could never be adopted. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/charter_cli.h"
#include "coalition/identity.h"

static void
sign_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter sign (--identity KEYFILE | -c CONFIG) [--charter CURRENT] UPDATE\n"
	    "\n"
	    "Adds this member's signature to UPDATE (rewritten in place, atomically). With\n"
	    "the charter in force (--charter, or the config's), refuses to sign an update\n"
	    "that could never be adopted and warns when this key's signature would not\n"
	    "count. Check what you sign first: 'article5 charter show --charter CURRENT\n"
	    "UPDATE'.\n"
	    "\n"
	    "  --identity KEYFILE  this member's secret key (article5 keygen)\n"
	    "  --charter CURRENT   the charter in force\n"
	    "  -c CONFIG           the 'identity' and 'coalition' files of CONFIG\n");
}

int
cmd_charter_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "charter", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyfile = NULL, *charter = NULL, *cfgpath = NULL, *path;
	char chpath[PATH_MAX], idpath[PATH_MAX], err[CHARTER_ERR_MAX], why[1024], pk[ID_PUBLIC_TEXT_MAX];
	struct charter_current cur = { 0 };
	struct gov_update *u = NULL;
	struct gov_tally *t = NULL;
	struct identity *id = NULL;
	uint8_t *enc = NULL;
	size_t elen;
	int opt, rc = 1, verdict = GOV_REFUSED;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': keyfile = optarg; break;
		case 'C': charter = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'h': sign_usage(stdout); return 0;
		default: sign_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (keyfile == NULL && cfgpath == NULL)) {
		sign_usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (cfgpath != NULL) {
		if (charter_paths_from_config(cfgpath, chpath, sizeof(chpath), idpath, sizeof(idpath), err,
		    sizeof(err)) != 0)
			goto fail;
		if (keyfile == NULL) {
			if (idpath[0] == '\0') {
				snprintf(err, sizeof(err), "%s: no 'identity' line (or use --identity KEYFILE)",
				    cfgpath);
				goto fail;
			}
			keyfile = idpath;
		}
		if (charter == NULL && chpath[0] != '\0')
			charter = chpath;
	}
	if ((id = malloc(sizeof(*id))) == NULL || (t = malloc(sizeof(*t))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (charter_update_load(path, &u, err, sizeof(err)) != 0)
		goto fail;
	if (charter != NULL) {
		if (charter_current_load(charter, &cur, err, sizeof(err)) != 0)
			goto fail;
		/* Signing what can never be adopted helps nobody and may confuse
		 * those who count; only missing signatures are fine. */
		if (gov_check(cur.c, cur.hash, u, NULL, t, why, sizeof(why)) == GOV_REFUSED) {
			fprintf(stderr, "article5 charter sign: %s: refusing to sign: %s (charter in force: "
			    "%s)\n", path, why, charter);
			goto out;
		}
	}
	if (identity_load(keyfile, id, err, sizeof(err)) != 0) {
		free(id);
		id = NULL;
		goto fail;
	}
	identity_pk_to_text(id->pk, pk, sizeof(pk));
	if (gov_sign(u, id, why, sizeof(why)) != 0) {
		snprintf(err, sizeof(err), "%s: %s", path, why);
		goto fail;
	}
	if ((enc = charter_update_encode(u, &elen, path, err, sizeof(err))) == NULL ||
	    charter_write_file(path, enc, elen, err, sizeof(err)) != 0)
		goto fail;
	if (cur.c != NULL) {
		const struct charter_member *m = charter_find(cur.c, id->pk);
		verdict = gov_check(cur.c, cur.hash, u, NULL, t, why, sizeof(why));
		if (m == NULL)
			fprintf(stderr, "article5 charter: warning: %s is not a member of %s: this signature "
			    "does not count\n", pk, charter);
		else if (!charter_member_votes(cur.c, m))
			fprintf(stderr, "article5 charter: warning: %s is %s in %s: this signature does not "
			    "count\n", m->name, m->revoked ? "revoked" : m->role == ROLE_PROTECTED ?
			    "protected (no protected_votes yes)" : "an observer", charter);
		fprintf(stderr, "article5 charter: signed %s as %s: %s\n", path, m ? m->name : pk,
		    verdict == GOV_ADOPTABLE ? "adoptable now" : why);
	} else
		fprintf(stderr, "article5 charter: signed %s with %s (%zu signature%s; no charter in force "
		    "given, so not counted)\n", path, pk, u->nsigs, u->nsigs == 1 ? "" : "s");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "article5 charter sign: %s\n", err);
out:
	if (id != NULL) {
		identity_wipe(id);
		free(id);
	}
	free(enc);
	free(t);
	gov_free(u);
	charter_current_free(&cur);
	return rc;
}
