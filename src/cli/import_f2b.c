/* import_f2b.c - `article5 import-fail2ban`: translates fail2ban's jails. */
#include <stdio.h>

#include "cli/cli.h"

int
cmd_import_f2b(int argc, char **argv)
{
	fprintf(stderr, "article5 import-fail2ban: not yet\n");
	return 1;
}
