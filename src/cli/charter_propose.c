/* charter_propose.c - `article5 charter propose`: an unsigned charter update
 * from the edited charter text, for the voting members to sign. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/charter_cli.h"
#include "common/lineparse.h"
#include "common/util.h"

static void
propose_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter propose (--charter CURRENT | -c CONFIG) NEW_TEXT -o UPDATE\n"
	    "\n"
	    "Writes UPDATE, an unsigned charter update that replaces the charter in force\n"
	    "(CURRENT) by the text of NEW_TEXT. NEW_TEXT must parse, name the same\n"
	    "coalition, carry 'version N' with N the current version + 1, and keep at\n"
	    "least one voting member. UPDATE is never overwritten. Then each member signs\n"
	    "it with 'article5 charter sign'.\n"
	    "\n"
	    "  --charter CURRENT  the charter in force\n"
	    "  -c CONFIG          the charter named by CONFIG's 'coalition' line\n"
	    "  -o UPDATE          the update file to create (mode 0644)\n");
}

/* Creates path (never overwriting, never through a symlink) with exactly
 * mode, writes and syncs buf. 0, or -1 with err filled and nothing left. */
static int
write_new(const char *path, const void *buf, size_t n, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (refusing to overwrite it)" : "");
		return -1;
	}
	if (fchmod(fd, mode) != 0 || fd_write_all(fd, buf, n) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int
cmd_charter_propose(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "charter", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *charter = NULL, *cfgpath = NULL, *outpath = NULL, *newpath;
	char chpath[PATH_MAX], err[CHARTER_ERR_MAX];
	struct charter_current cur = { 0 };
	struct gov_update *u = NULL;
	uint8_t *enc = NULL;
	char *text = NULL;
	size_t tlen, elen;
	int opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C': charter = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'o': outpath = optarg; break;
		case 'h': propose_usage(stdout); return 0;
		default: propose_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || outpath == NULL || (charter == NULL) == (cfgpath == NULL)) {
		propose_usage(stderr);
		return 2;
	}
	newpath = argv[optind];
	if (charter_path_choose(&charter, cfgpath, chpath, sizeof(chpath), err, sizeof(err)) != 0 ||
	    charter_current_load(charter, &cur, err, sizeof(err)) != 0 ||
	    lp_read_file(newpath, CHARTER_FILE_MAX, &text, &tlen, err, sizeof(err)) != 0 ||
	    gov_propose(cur.c, cur.hash, newpath, text, tlen, &u, err, sizeof(err)) != 0 ||
	    (enc = charter_update_encode(u, &elen, outpath, err, sizeof(err))) == NULL ||
	    write_new(outpath, enc, elen, 0644, err, sizeof(err)) != 0)
		goto fail;
	fprintf(stderr, "article5 charter: wrote %s: coalition %s, version %llu -> %llu, unsigned; "
	    "it needs %u signatures of voting members (article5 charter sign)\n", outpath, cur.c->name,
	    (unsigned long long)cur.c->version, (unsigned long long)u->version,
	    charter_threshold(cur.c));
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "article5 charter propose: %s\n", err);
out:
	free(enc);
	free(text);
	gov_free(u);
	charter_current_free(&cur);
	return rc;
}
