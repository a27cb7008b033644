/* f2b_dump.c - `article5 f2b-dump`: shows a fail2ban filter as article5
 * resolves it (the texts f2b_filter compiles), for people and for the
 * differential test against fail2ban's own reader. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "f2b/f2b_conf.h"

#define DUMP_OPTS_MAX 64

static void
dump_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 f2b-dump FILTER.conf [--opt NAME=VALUE ...] [--backend B] [--no-where]\n"
	    "\n"
	    "Reads a fail2ban filter as fail2ban does (includes, .local, .d/, [Init],\n"
	    "%%(name)s and <tag> substitution, `mode`) and prints one line per item:\n"
	    "name, mode, prefregex, each failregex and ignoreregex (each followed by a\n"
	    "'.where' line naming its file:line), datepattern, maxlines, journalmatch.\n"
	    "--opt sets a filter option as jail.conf's `filter = NAME[NAME=VALUE]` does;\n"
	    "--backend systemd makes `logtype` journal, as in a systemd jail.\n");
}

static void
print_multi(const char *key, const char *v)
{
	while (v != NULL && *v != '\0') {
		const char *nl = strchr(v, '\n');
		int n = nl ? (int)(nl - v) : (int)strlen(v);
		if (n > 0)
			printf("%s\t%.*s\n", key, n, v);
		v = nl ? nl + 1 : NULL;
	}
}

int
cmd_f2b_dump(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "opt", required_argument, NULL, 'o' },
		{ "backend", required_argument, NULL, 'b' },
		{ "no-where", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct f2b_opt opts[DUMP_OPTS_MAX];
	size_t nopts = 0;
	const char *backend = "auto";
	int where = 1, c;
	struct f2b_def def;
	char err[1024];

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:b:Wh", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': {
			char *eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg || nopts >= DUMP_OPTS_MAX) {
				fprintf(stderr, "article5 f2b-dump: --opt '%s', expected NAME=VALUE (at most %d)\n",
				    optarg, DUMP_OPTS_MAX);
				return 2;
			}
			*eq = '\0';
			opts[nopts].name = optarg;
			opts[nopts++].value = eq + 1;
			break;
		}
		case 'b':
			backend = optarg;
			break;
		case 'W':
			where = 0;
			break;
		case 'h':
			dump_usage(stdout);
			return 0;
		default:
			dump_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		dump_usage(stderr);
		return 2;
	}
	if (f2b_def_load_backend(argv[optind], opts, nopts, backend, &def, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 f2b-dump: %s\n", err);
		return 1;
	}
	printf("name\t%s\n", def.name);
	if (def.mode != NULL)
		printf("mode\t%s\n", def.mode);
	if (def.prefregex != NULL) {
		printf("prefregex\t%s\n", def.prefregex);
		if (where)
			printf("prefregex.where\t%s\n", def.prefregex_where);
	}
	for (size_t i = 0; i < def.nfail; i++) {
		printf("failregex\t%s\n", def.fail[i].text);
		if (where)
			printf("failregex.where\t%s\n", def.fail[i].where);
	}
	for (size_t i = 0; i < def.nignore; i++) {
		printf("ignoreregex\t%s\n", def.ignore[i].text);
		if (where)
			printf("ignoreregex.where\t%s\n", def.ignore[i].where);
	}
	for (size_t i = 0; i < def.ndatepatterns; i++)
		printf("datepattern\t%s\n", def.datepatterns[i]);
	printf("maxlines\t%d\n", def.maxlines);
	print_multi("journalmatch", def.journalmatch);
	f2b_def_free(&def);
	return 0;
}
