/* control_client.c - the options and the one request of the subcommands
 * that talk to a running daemon over its control socket; daemon/control.c
 * sends it and prints the answer. One option table for all of them: each
 * verb says which of the optional ones it takes (control_client.h). */
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
	int json, split;
	int64_t duration;
	uint64_t limit;
	const char *operand, *service, *origin;
};

static void
client_usage(FILE *f, const struct control_verb *v)
{
	fputs(v->usage, f);
	fprintf(f, "\n  -c CONFIG      read control_socket from CONFIG\n"
	    "  -s SOCKET      control socket path (default /run/article5/control.sock)\n"
	    "  --json         machine-readable output (errors too: {\"error\": ...} on stdout)\n"
	    "  -o FORMAT      json (same as --json) or text\n");
}

/* A usage error: the message, then the usage (text), or one JSON object. */
static int
usage_error(const struct control_verb *v, int json, const char *msg, const char *arg)
{
	if (json)
		control_print_error(1, "%s: %s%s%s", v->name, msg, arg ? ": " : "", arg ? arg : "");
	else {
		fprintf(stderr, "article5 %s: %s%s%s\n", v->name, msg, arg ? ": " : "", arg ? arg : "");
		client_usage(stderr, v);
	}
	return 2;
}

/* JSON mode is known before parsing, so that a usage error is JSON too. */
static int
wants_json(int argc, char **argv)
{
	int json = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-ojson") == 0 ||
		    strcmp(argv[i], "--output=json") == 0 ||
		    ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
		    i + 1 < argc && strcmp(argv[i + 1], "json") == 0))
			json = 1;
	}
	return json;
}

/* Whether v takes the option opt (an index in opts[] below). */
static int
takes(const struct control_verb *v, int opt)
{
	switch (opt) {
	case 'f': return (v->opts & VERB_FOR) != 0;
	case 'S': case 'O': return (v->opts & VERB_FILTERS) != 0;
	case 'n': return (v->opts & VERB_LIMIT) != 0;
	case 'p': return (v->opts & VERB_SPLIT) != 0;
	default: return 1;
	}
}

/* Fills o from argv. Returns -1 to go on, or the exit status (usage shown). */
static int
client_parse(int argc, char **argv, const struct control_verb *v, struct client_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "for", required_argument, NULL, 'f' },
		{ "service", required_argument, NULL, 'S' },
		{ "origin", required_argument, NULL, 'O' },
		{ "limit", required_argument, NULL, 'n' },
		{ "split", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = NULL;
	int opt, json = wants_json(argc, argv);

	memset(o, 0, sizeof(*o));
	o->json = json;
	o->socket = "/run/article5/control.sock";
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:s:o:jh", opts, NULL)) != -1) {
		if (!takes(v, opt)) {
			char name[32] = "?";
			for (size_t k = 0; opts[k].name != NULL; k++)
				if (opts[k].val == opt)
					snprintf(name, sizeof(name), "--%s", opts[k].name);
			return usage_error(v, json, "option not taken by this command", name);
		}
		switch (opt) {
		case 'j': o->json = 1; break;
		case 'o':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
				return usage_error(v, json, "bad -o, expected json or text", optarg);
			o->json = optarg[0] == 'j';
			break;
		case 's': o->socket = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'f':
			if (duration_parse(optarg, &o->duration) != 0 || o->duration == 0)
				return usage_error(v, json, "bad --for, expected a duration such as 10m",
				    optarg);
			break;
		case 'S':
		case 'O':
			if (!control_word_ok(optarg))
				return usage_error(v, json, opt == 'S' ? "bad --service name" :
				    "bad --origin name", optarg);
			*(opt == 'S' ? &o->service : &o->origin) = optarg;
			break;
		case 'n':
			if (uint_parse(optarg, 1, CONTROL_HISTORY_MAX, &o->limit) != 0)
				return usage_error(v, json, "bad --limit, expected 1 to 10000", optarg);
			break;
		case 'p': o->split = 1; break;
		case 'h': client_usage(stdout, v); return 0;
		case ':': return usage_error(v, json, "option needs a value", argv[optind - 1]);
		default: return usage_error(v, json, "unknown option", argv[optind - 1]);
		}
	}
	int nops = argc - optind;
	if (nops > 1 || (nops == 1 && v->operand == OPERAND_NONE))
		return usage_error(v, json, "unexpected argument", argv[argc - 1]);
	if (nops == 0 && v->operand == OPERAND_PREFIX)
		return usage_error(v, json, "missing ADDR[/LEN]", NULL);
	o->operand = nops == 1 ? argv[optind] : NULL;
	if (cfgpath != NULL) {
		static struct config cfg;	/* large; static keeps it off the stack */
		char err[1024];
		config_defaults(&cfg);
		if (config_load(cfgpath, &cfg, err, sizeof(err)) != 0) {
			control_print_error(o->json, "%s: %s", v->name, err);
			return 1;
		}
		static char sock[sizeof(cfg.control_socket)];
		strlcpy_ok(sock, cfg.control_socket, sizeof(sock));
		o->socket = sock;
	}
	return -1;	/* go on */
}

/* Appends " WORD" to req; 0, or -1 when it does not fit. */
static int
req_add(char *req, size_t n, const char *fmt, const char *word)
{
	size_t len = strlen(req);
	int w = snprintf(req + len, n - len, fmt, word);

	return w < 0 || (size_t)w >= n - len ? -1 : 0;
}

int
control_verb_run(const struct control_verb *v, int argc, char **argv)
{
	struct client_opts o;
	char req[CONTROL_REQUEST_MAX], num[32];
	int rc;

	if ((rc = client_parse(argc, argv, v, &o)) >= 0)
		return rc;
	snprintf(req, sizeof(req), "%s %s", o.json ? "json" : "text", v->name);
	if (o.operand != NULL && v->operand == OPERAND_SERVICE_OPT) {
		if (!control_word_ok(o.operand))
			return usage_error(v, o.json, "bad service name", o.operand);
	} else if (o.operand != NULL) {
		struct a5_prefix p;
		const char *why;
		if (prefix_parse(o.operand, strlen(o.operand), &p) != 0)
			return usage_error(v, o.json, "bad address or prefix, expected ADDR or "
			    "ADDR/LEN with no host bits set (e.g. 192.0.2.7, 2001:db8::/64)", o.operand);
		if ((why = prefix_check(&p)) != NULL)
			return usage_error(v, o.json, why, o.operand);
	}
	rc = 0;
	if (o.operand != NULL)
		rc |= req_add(req, sizeof(req), " %s", o.operand);
	if (v->opts & VERB_FOR) {
		snprintf(num, sizeof(num), "%lld", (long long)o.duration);
		rc |= req_add(req, sizeof(req), " %s", num);
	}
	if (o.split)
		rc |= req_add(req, sizeof(req), " %s", "split");
	if (o.service != NULL)
		rc |= req_add(req, sizeof(req), " service=%s", o.service);
	if (o.origin != NULL)
		rc |= req_add(req, sizeof(req), " origin=%s", o.origin);
	if (o.limit != 0) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)o.limit);
		rc |= req_add(req, sizeof(req), " limit=%s", num);
	}
	if (rc != 0)
		return usage_error(v, o.json, "request too long", NULL);
	return control_call(o.socket, req, o.json);
}
