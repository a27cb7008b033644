/* daemon_cmd.c - `article5 daemon`: options, the configuration, then the
 * enforcer process (daemon/parent.c), which forks the worker
 * (daemon/daemon.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/config_check.h"
#include "daemon/daemon.h"
#include "daemon/parent.h"
#include "enforcer/enforcer.h"
#include "enforcer/kset.h"

static void
daemon_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 daemon [-c CONFIG] [-v]\n"
	    "\n"
	    "Runs the shield in the foreground: follows the configured log sources,\n"
	    "counts failed attempts per address and service, bans offenders in\n"
	    "nftables (table inet article5) and records everything in the ledger.\n"
	    "With 'coalition' and 'identity' in CONFIG it also publishes its bans as\n"
	    "signed reports and applies the reports of the other members that pass\n"
	    "the acceptance checks (docs/charter.md).\n"
	    "SIGTERM/SIGINT stop it cleanly; SIGHUP reloads the configuration, the\n"
	    "rules and the allowlist (sources are fixed until restart).\n"
	    "\n"
	    "  -c CONFIG   configuration file (see docs/config.md); default\n"
	    "              " CONFIG_DEFAULT_PATH "\n"
	    "  -v          log debug messages\n");
}

static void
report_error(void *arg, const char *msg)
{
	log_warnx("%s", msg);
}

int
cmd_daemon(int argc, char **argv)
{
	struct parent p;
	char err[1024], cfgpath[PATH_MAX];
	int opt, verbose = 0, rc;
	sigset_t mask;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0) {
			daemon_usage(stdout);
			return 0;
		}
	optind = 1;
	cfgpath[0] = '\0';
	while ((opt = getopt(argc, argv, "c:vh")) != -1) {
		switch (opt) {
		case 'c':
			/* absolute: the worker works from / */
			if (realpath(optarg, cfgpath) == NULL) {
				fprintf(stderr, "article5 daemon: %s: %s\n", optarg, strerror(errno));
				return 1;
			}
			break;
		case 'v': verbose = 1; break;
		case 'h': daemon_usage(stdout); return 0;
		default: daemon_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		daemon_usage(stderr);
		return 2;
	}
	if (cfgpath[0] == '\0' && realpath(CONFIG_DEFAULT_PATH, cfgpath) == NULL) {
		fprintf(stderr, "article5 daemon: %s: %s (name another with -c)\n",
		    CONFIG_DEFAULT_PATH, strerror(errno));
		return 1;
	}
	log_init_daemon("article5", verbose);
	/* Blocked before any process or thread exists (libnats starts some):
	 * both processes read them from a signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&p, 0, sizeof(p));
	p.worker = worker_main;	/* daemon.c: the worker's event loop */
	if ((p.cfg = calloc(1, sizeof(*p.cfg))) == NULL)
		fatalx("out of memory");
	config_defaults(p.cfg);
	if (config_load(cfgpath, p.cfg, err, sizeof(err)) != 0)
		fatalx("%s", err);
	/* What check-config checks too (config_check.c): every error at once. */
	if (config_check_start(p.cfg, geteuid() == 0, report_error, NULL) != 0)
		fatalx("%s: refused (article5 check-config -c %s lists the same errors)", cfgpath,
		    cfgpath);
	if (parent_setup(&p, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		if (p.ctlfd >= 0) {
			close(p.ctlfd);
			unlink(p.cfg->control_socket);
		}
		kset_close(p.s.kset);
		enf_close(p.s.enf);
		free(p.cfg);
		return 1;
	}
	log_info("enforcer process %d: %s; the worker runs as %s", (int)getpid(),
	    p.cfg->observe ? "observe mode, nftables untouched" : "owns table inet article5",
	    p.drop ? p.user.name : "this same user (not started as root)");
	rc = parent_run(&p);
	free(p.cfg);
	log_info("stopped");
	return rc;
}
