/* control_client.c - the options and the one request of the subcommands
 * that talk to a running daemon over its control socket; daemon/control.c
 * sends it and prints the answer. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/control_client.h"
#include "common/addr.h"
#include "common/util.h"
#include "daemon/config.h"
#include "daemon/control.h"

struct client_opts {
	const char *socket;
	int json;
	int64_t duration;
	const char *target;
};

static void
client_usage(FILE *f, const struct control_verb *v)
{
	fputs(v->usage, f);
	fprintf(f, "\n  -c CONFIG   read control_socket from CONFIG\n"
	    "  -s SOCKET   control socket path (default /run/article5/control.sock)\n"
	    "  --json      machine-readable output\n");
}

/* Fills o from argv. Returns -1 to go on, or the exit status (usage shown). */
static int
client_parse(int argc, char **argv, const struct control_verb *v, struct client_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "for", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = NULL;
	int opt;

	memset(o, 0, sizeof(*o));
	o->socket = "/run/article5/control.sock";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': o->json = 1; break;
		case 's': o->socket = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'f':
			if (!v->duration || duration_parse(optarg, &o->duration) != 0 ||
			    o->duration == 0) {
				fprintf(stderr, "article5 %s: bad --for '%s', expected a duration such as 10m\n",
				    v->name, optarg);
				return 2;
			}
			break;
		case 'h': client_usage(stdout, v); return 0;
		default: client_usage(stderr, v); return 2;
		}
	}
	if (v->target) {
		if (optind != argc - 1) {
			client_usage(stderr, v);
			return 2;
		}
		o->target = argv[optind];
	} else if (optind != argc) {
		client_usage(stderr, v);
		return 2;
	}
	if (cfgpath != NULL) {
		static struct config cfg;	/* large; static keeps it off the stack */
		char err[1024];
		config_defaults(&cfg);
		if (config_load(cfgpath, &cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "article5 %s: %s\n", v->name, err);
			return 1;
		}
		static char sock[sizeof(cfg.control_socket)];
		strlcpy_ok(sock, cfg.control_socket, sizeof(sock));
		o->socket = sock;
	}
	return -1;	/* go on */
}

int
control_verb_run(const struct control_verb *v, int argc, char **argv)
{
	struct client_opts o;
	char req[CONTROL_REQUEST_MAX];
	int rc;

	if ((rc = client_parse(argc, argv, v, &o)) >= 0)
		return rc;
	if (v->target) {
		struct a5_prefix p;
		const char *why;
		if (prefix_parse(o.target, strlen(o.target), &p) != 0) {
			fprintf(stderr, "article5 %s: bad address or prefix '%s', expected ADDR or "
			    "ADDR/LEN with no host bits set (e.g. 192.0.2.7, 2001:db8::/64)\n", v->name,
			    o.target);
			return 2;
		}
		if ((why = prefix_check(&p)) != NULL) {
			fprintf(stderr, "article5 %s: bad address or prefix '%s': %s\n", v->name, o.target,
			    why);
			return 2;
		}
		if (v->duration)
			snprintf(req, sizeof(req), "%s %s %s %lld", o.json ? "json" : "text", v->name,
			    o.target, (long long)o.duration);
		else
			snprintf(req, sizeof(req), "%s %s %s", o.json ? "json" : "text", v->name, o.target);
	} else
		snprintf(req, sizeof(req), "%s %s", o.json ? "json" : "text", v->name);
	return control_call(o.socket, req);
}
