/* coalition_streams.c - `article5 coalition streams`: the coalition's
 * administrator identity (DIR/admin.nkey, written by init) creates the
 * coalition stream A5_<c> and the join stream A5J_<c>, or brings them to
 * what the charter in force asks (replicas). Members' NATS users may not:
 * one stolen member key must not purge, delete or reconfigure the stream
 * everyone's reports travel on (docs/operating.md). invite and admit call
 * coal_streams_ensure too, so a forgotten step is made up for there. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/coalition_cli.h"
#include "coalition/onboard.h"
#include "coalition/onboard_conf.h"
#include "coalition/onboard_nats.h"
#include "coalition/transport.h"
#include "daemon/config.h"

static void
streams_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 coalition streams [-c CONFIG] [--dir DIR]\n"
	    "\n"
	    "Logs in to the coalition's NATS server as its administrator (DIR/admin.nkey,\n"
	    "which 'coalition init' wrote; DIR default " COAL_DIR_DEFAULT ") and creates\n"
	    "the coalition stream A5_<name> and the join stream A5J_<name>, with the\n"
	    "replicas of the charter in force, or updates them to it. Run it once\n"
	    "nats-server runs, before the first daemon starts, and after a charter\n"
	    "update raises 'replicas'. Members' NATS users may not create, update,\n"
	    "purge or delete these streams. A coalition made before admin.nkey existed\n"
	    "gets one here: it is added to DIR/nats/users.conf (nats-server reloaded).\n"
	    "\n"
	    "  -c CONFIG  this member's configuration (default /etc/article5/article5.conf)\n");
}

/* DIR/admin.nkey and its user in DIR/nats/users.list, made if missing. */
static int
admin_key_make(const char *dir, const char *coalition, char *err, size_t errlen)
{
	char path[PATH_MAX], natsdir[PATH_MAX], why[COAL_ERR_MAX];
	struct onb_users *us = NULL;
	struct nkey k;
	int rc = -1;

	if (coal_path(path, sizeof(path), dir, "admin.nkey") != 0 ||
	    coal_path(natsdir, sizeof(natsdir), dir, "nats") != 0) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if (access(path, F_OK) == 0)
		return 0;
	if ((us = malloc(sizeof(*us))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (onb_users_load(natsdir, coalition, us, err, errlen) != 0)
		goto out;
	if (us->n == 0) {
		snprintf(err, errlen, "%s/users.list: missing or empty: run this where 'article5 "
		    "coalition init' ran (--dir)", natsdir);
		goto out;
	}
	if (us->admin[0] != '\0') {
		snprintf(err, errlen, "%s is missing but %s/users.list names an administrator key: "
		    "restore the file, or remove the 'admin' line and run this again", path, natsdir);
		goto out;
	}
	nkey_generate(&k);
	memcpy(us->admin, k.pub, sizeof(us->admin));
	rc = nkey_write_seed_file(path, &k, err, errlen);
	nkey_wipe(&k);
	if (rc != 0 || (rc = onb_users_save(natsdir, us, err, errlen)) != 0)
		goto out;
	fprintf(stderr, "article5 coalition streams: new administrator key %s added to %s/users.conf\n",
	    path, natsdir);
	if (onb_server_reload(natsdir, why, sizeof(why)) != 1)
		fprintf(stderr, "article5 coalition streams: warning: %s: reload nats-server yourself\n", why);
out:
	free(us);
	return rc;
}

int
coal_streams_ensure(const char *dir, const struct coal_self *s, int must, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *urls[CHARTER_URLS_MAX];
	const char *tls = s->tls_ca[0] ? s->tls_ca : NULL;
	int replicas = (int)s->cur.c->policy.replicas;
	struct transport *tr;
	natsConnection *nc;
	struct nkey k;
	int rc;

	if (coal_path(path, sizeof(path), dir, "admin.nkey") != 0) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if (!must && access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (nkey_load(path, &k, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < s->cur.c->nurls; i++)
		urls[i] = s->cur.c->urls[i];
	if ((nc = onb_connect(urls, s->cur.c->nurls, &k, NULL, tls, err, errlen)) == NULL) {
		nkey_wipe(&k);
		return -1;
	}
	rc = onb_join_stream_ensure(nc, s->cur.c->name, replicas, err, errlen);
	onb_close(nc);
	if (rc == 0) {
		/* the transport's own stream settings, made or raised by the one
		 * identity allowed to */
		struct transport_config tc = {
			.urls = urls, .nurls = s->cur.c->nurls, .coalition = s->cur.c->name,
			.self = "admin", .publish_only = true, .stream_admin = true,
			.replicas = replicas, .tls_ca = tls, .nkey = &k,
		};
		if ((tr = coal_transport_open(&tc, err, errlen)) == NULL)
			rc = -1;
		else
			transport_close(tr);
	}
	nkey_wipe(&k);
	return rc == 0 ? 1 : -1;
}

int
cmd_coalition_streams(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = CONFIG_DEFAULT_PATH, *dir = COAL_DIR_DEFAULT;
	char err[COAL_ERR_MAX];
	struct coal_self s;
	int opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'd': dir = optarg; break;
		case 'h': streams_usage(stdout); return 0;
		default: streams_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		streams_usage(stderr);
		return 2;
	}
	if (coal_self_load(cfgpath, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 coalition streams: %s\n", err);
		return 1;
	}
	if (admin_key_make(dir, s.cur.c->name, err, sizeof(err)) != 0 ||
	    coal_streams_ensure(dir, &s, 1, err, sizeof(err)) != 1)
		fprintf(stderr, "article5 coalition streams: %s\n", err);
	else {
		fprintf(stderr, "article5 coalition streams: A5_%s and A5J_%s ready (replicas %u, "
		    "charter version %llu)\n", s.cur.c->name, s.cur.c->name, s.cur.c->policy.replicas,
		    (unsigned long long)s.cur.c->version);
		rc = 0;
	}
	coal_self_free(&s);
	return rc;
}
