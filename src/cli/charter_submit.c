/* charter_submit.c - `article5 charter submit`: publishes an adoptable
 * update on the coalition's stream, where running members adopt it. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/charter_cli.h"
#include "coalition/identity.h"
#include "coalition/transport.h"
#include "common/util.h"
#include "daemon/config.h"

static void
submit_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter submit -c CONFIG UPDATE\n"
	    "\n"
	    "Checks UPDATE against the charter in force (CONFIG's 'coalition' file) and, if\n"
	    "it is adoptable, publishes it on the coalition's stream, on this member's\n"
	    "subject (CONFIG's 'identity'), through the charter's NATS servers. Each\n"
	    "running daemon checks it again against its own charter in force, writes the\n"
	    "new text to its charter file and applies it at once ('article5 status' shows\n"
	    "the version); a member that is offline adopts it when it catches up. Nothing\n"
	    "is published for an update that is not adoptable (exit 1, the reason is\n"
	    "printed). The local charter file is left to the local daemon.\n"
	    "\n"
	    "  -c CONFIG  the configuration naming the charter, the identity and the NATS\n"
	    "             credentials (nats_creds, nats_nkey, nats_tls_ca)\n");
}

int
cmd_charter_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = NULL, *path, *urls[CHARTER_URLS_MAX];
	char chpath[PATH_MAX], idpath[PATH_MAX], err[CHARTER_ERR_MAX], why[1024];
	char self[ID_TOKEN_TEXT], msgid[64], dhex[17];
	uint8_t digest[GOV_DIGEST_BYTES], *buf = NULL;
	struct charter_current cur = { 0 };
	struct gov_update *u = NULL;
	struct gov_tally t;
	struct identity id;
	struct transport *tr = NULL;
	struct config *cfg = NULL;
	size_t len = 0;
	int opt, rc = 1;

	memset(&id, 0, sizeof(id));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'h': submit_usage(stdout); return 0;
		default: submit_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || cfgpath == NULL) {
		submit_usage(stderr);
		return 2;
	}
	path = argv[optind];
	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	config_defaults(cfg);
	if (config_load(cfgpath, cfg, err, sizeof(err)) != 0)
		goto fail;
	{
		char adopted[PATH_MAX + 32], skipped[512];
		config_adopted_charter(cfg, adopted, sizeof(adopted));
		strlcpy_ok(chpath, cfg->charter[0] ? charter_in_force(cfg->charter, adopted, skipped,
		    sizeof(skipped)) : "", sizeof(chpath));
	}
	strlcpy_ok(idpath, cfg->identity, sizeof(idpath));
	if (chpath[0] == '\0' || idpath[0] == '\0') {
		snprintf(err, sizeof(err), "%s: needs 'coalition' and 'identity' lines", cfgpath);
		goto fail;
	}
	if (charter_current_load(chpath, &cur, err, sizeof(err)) != 0 ||
	    charter_update_load(path, &u, err, sizeof(err)) != 0 ||
	    identity_load(idpath, &id, err, sizeof(err)) != 0)
		goto fail;
	if (cfg->nats_nkey[0] != '\0') {
		if (nkey_load(cfg->nats_nkey, &id.nats_key, err, sizeof(err)) != 0)
			goto fail;
		id.has_nats_key = true;
	}
	/* Signatures that cannot count are not worth the stream's bytes. */
	gov_prune(u, cur.c);
	if (gov_check(cur.c, cur.hash, u, NULL, &t, why, sizeof(why)) != GOV_ADOPTABLE) {
		snprintf(err, sizeof(err), "%s: not adoptable, not published: %s", path, why);
		goto fail;
	}
	if ((buf = charter_update_encode(u, &len, path, err, sizeof(err))) == NULL)
		goto fail;
	if (len > TRANSPORT_MSG_MAX) {
		snprintf(err, sizeof(err), "%s: %zu bytes, more than a stream message holds (%d); "
		    "use 'article5 charter apply' on each member", path, len, TRANSPORT_MSG_MAX);
		goto fail;
	}
	for (size_t i = 0; i < cur.c->nurls; i++)
		urls[i] = cur.c->urls[i];
	identity_token(id.pk, self);
	gov_digest(u, digest);
	sodium_bin2hex(dhex, sizeof(dhex), digest, 8);
	snprintf(msgid, sizeof(msgid), "%s-g%llu-%s", self, (unsigned long long)u->version, dhex);
	struct transport_config tc = {
		.urls = urls, .nurls = cur.c->nurls, .coalition = cur.c->name, .self = self,
		.publish_only = true, .replicas = (int)cur.c->policy.replicas,
		.creds_file = cfg->nats_creds[0] ? cfg->nats_creds : NULL,
		.tls_ca = cfg->nats_tls_ca[0] ? cfg->nats_tls_ca : NULL,
		.nkey = id.has_nats_key ? &id.nats_key : NULL,
	};
	if ((tr = transport_open(&tc, err, sizeof(err))) == NULL)
		goto fail;
	if (transport_publish(tr, buf, len, msgid) != 0) {
		snprintf(err, sizeof(err), "publish: %s", transport_errmsg(tr));
		goto fail;
	}
	printf("published the update to version %llu of coalition %s (%u of %u required "
	    "signatures, %zu bytes%s); running members adopt it as they read it\n",
	    (unsigned long long)u->version, cur.c->name, t.counted, t.required, len,
	    transport_get_stats(tr)->duplicates > 0 ? ", already on the stream" : "");
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "article5 charter submit: %s\n", err);
out:
	if (tr != NULL)
		transport_close(tr);
	free(cfg);
	identity_wipe(&id);
	free(buf);
	gov_free(u);
	charter_current_free(&cur);
	return rc;
}
