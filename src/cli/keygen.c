/* keygen.c - `article5 keygen`: creates this member's coalition key pair. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "coalition/identity.h"

#define KEYGEN_SECRET_NAME "member.key"
#define KEYGEN_PUBLIC_NAME "member.pub"

static void
keygen_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 keygen [-o DIR | --secret FILE --public FILE]\n"
	    "\n"
	    "Creates a new ed25519 key pair for this member of a coalition and prints\n"
	    "the public key (ed25519:BASE64), the text that goes into the charter.\n"
	    "Existing files are never overwritten.\n"
	    "\n"
	    "  -o DIR           write DIR/" KEYGEN_SECRET_NAME " and DIR/" KEYGEN_PUBLIC_NAME
	    " (default: the\n"
	    "                   current directory)\n"
	    "  --secret FILE    the secret key: 64 raw bytes, mode 0600; the daemon\n"
	    "                   refuses it if group or others may read it\n"
	    "  --public FILE    the public key text and a newline, mode 0644\n");
}

/* Joins dir and name; -1 if the result would not fit (never truncated: a
 * shortened path would be another file). */
static int
keygen_path(char *out, size_t n, const char *dir, const char *name)
{
	size_t dlen = strlen(dir);
	const char *sep = (dlen > 0 && dir[dlen - 1] == '/') ? "" : "/";
	int w = snprintf(out, n, "%s%s%s", dir, sep, name);

	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "public", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *secret = NULL, *public = NULL;
	char spath[PATH_MAX], ppath[PATH_MAX], text[ID_PUBLIC_TEXT_MAX], err[PATH_MAX + 256];
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': dir = optarg; break;
		case 's': secret = optarg; break;
		case 'p': public = optarg; break;
		case 'h': keygen_usage(stdout); return 0;
		default: keygen_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "article5 keygen: unexpected argument '%s'\n\n", argv[optind]);
		keygen_usage(stderr);
		return 2;
	}
	if (dir != NULL && (secret != NULL || public != NULL)) {
		fprintf(stderr, "article5 keygen: -o DIR and --secret/--public exclude each other\n");
		return 2;
	}
	/* Half a pair named by hand and half defaulted would scatter the two
	 * files; ask for both. */
	if ((secret == NULL) != (public == NULL)) {
		fprintf(stderr, "article5 keygen: --secret and --public go together\n");
		return 2;
	}
	if (secret == NULL) {
		if (dir == NULL)
			dir = ".";
		if (keygen_path(spath, sizeof(spath), dir, KEYGEN_SECRET_NAME) != 0 ||
		    keygen_path(ppath, sizeof(ppath), dir, KEYGEN_PUBLIC_NAME) != 0) {
			fprintf(stderr, "article5 keygen: directory name too long: '%s'\n", dir);
			return 2;
		}
		secret = spath;
		public = ppath;
	} else if (strcmp(secret, public) == 0) {
		fprintf(stderr, "article5 keygen: --secret and --public name the same file '%s'\n",
		    secret);
		return 2;
	}
	if (identity_generate(secret, public, text, sizeof(text), err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 keygen: %s\n", err);
		return 1;
	}
	/* The key on stdout alone, so that `article5 keygen > key.txt` and
	 * $(article5 keygen) give just the key; the file names go to stderr. */
	fprintf(stderr, "article5 keygen: wrote %s (secret, 0600) and %s\n", secret, public);
	printf("%s\n", text);
	return fflush(stdout) == 0 ? 0 : 1;
}
