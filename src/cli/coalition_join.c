/* coalition_join.c - `article5 coalition join TOKEN`: the new member's side.
 * Fetches the charter with the invitation's one-time login, checks it
 * against the hash the token carries, makes this member's keys, posts the
 * join request (its member line and NATS key) and writes the charter and
 * configuration lines; with --wait, waits for the signed update that
 * admits it and puts it in force. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/coalition_cli.h"
#include "coalition/onboard.h"
#include "coalition/onboard_nats.h"
#include "common/util.h"

#define JOIN_PREFIXES_MAX CHARTER_MEMBER_PREFIXES_MAX

static void
join_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 coalition join TOKEN [--dir DIR] [--prefix PREFIX]... [-c CONFIG]\n"
	    "                                [--wait SECONDS]\n"
	    "\n"
	    "Joins the coalition of TOKEN (from 'article5 coalition invite'): fetches its\n"
	    "charter and checks it against the token's hash, writes DIR/coalition.charter\n"
	    "(DIR default " COAL_DIR_DEFAULT "), makes this member's keys (member.key,\n"
	    "nats.nkey; kept if there) and asks to join. The article5.conf lines are\n"
	    "appended to CONFIG when given, printed otherwise. The members then admit it\n"
	    "('article5 coalition admit NAME', a charter update they sign). With --wait,\n"
	    "waits up to SECONDS for that update, checks it and writes the new charter;\n"
	    "run again with --wait later if it was not there yet.\n"
	    "\n"
	    "  --prefix PREFIX  this member's own addresses (repeatable)\n");
}

/* Polls for the update admitting t->name, checks it against cur (hash h),
 * and writes its text to path. 1 admitted, 0 not yet, -1 refused. */
static int
join_admitted(const struct onb_token *t, const struct identity *id, const struct charter *cur,
    const uint8_t h[CHARTER_HASH_BYTES], const char *path, char *err, size_t errlen)
{
	const char *urls[CHARTER_URLS_MAX];
	char stream[64], subj[ONB_SUBJECT_MAX];
	struct gov_update *u = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	natsConnection *nc;
	char inbox[32];
	int rc;

	for (size_t i = 0; i < t->nurls; i++)
		urls[i] = t->urls[i];
	/* once admitted, this member logs in with its own key */
	onb_member_inbox(id->pk, inbox, sizeof(inbox));
	if ((nc = onb_connect(urls, t->nurls, &id->nats_key, inbox, NULL, err, errlen)) == NULL)
		return 0;
	onb_join_stream(t->coalition, stream, sizeof(stream));
	onb_join_subject(t->coalition, t->name, "admit", subj, sizeof(subj));
	rc = onb_last(nc, stream, subj, &buf, &len, err, errlen);
	onb_close(nc);
	if (rc <= 0)
		return 0;
	if (gov_decode(buf, len, &u, err, errlen) != 0) {
		free(buf);
		return -1;
	}
	free(buf);
	struct charter *next = malloc(sizeof(*next));
	rc = next == NULL ? GOV_REFUSED : gov_check(cur, h, u, next, NULL, err, errlen);
	if (rc == GOV_ADOPTABLE) {
		if (charter_find(next, id->pk) == NULL) {
			snprintf(err, errlen, "the update does not name this member's key");
			rc = -1;
		} else
			rc = charter_write_file(path, u->text, u->len, err, errlen) == 0 ? 1 : -1;
	} else
		rc = rc == GOV_PENDING ? 0 : -1;
	free(next);
	gov_free(u);
	return rc;
}

int
cmd_coalition_join(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = COAL_DIR_DEFAULT, *cfgpath = NULL, *prefixes[JOIN_PREFIXES_MAX];
	const char *urls[CHARTER_URLS_MAX];
	char err[COAL_ERR_MAX], path[PATH_MAX], prefix[64], stream[64], subj[ONB_SUBJECT_MAX];
	char pk[ID_PUBLIC_TEXT_MAX], req[4096], *end;
	uint8_t h[CHARTER_HASH_BYTES], *text = NULL;
	size_t nprefixes = 0, len = 0, rl;
	long wait_s = 0;
	struct onb_token t;
	struct identity id;
	struct nkey ik;
	struct charter *c = NULL;
	natsConnection *nc = NULL;
	int opt, rc = 1, got;

	memset(&id, 0, sizeof(id));
	memset(&ik, 0, sizeof(ik));
	memset(&t, 0, sizeof(t));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'w':
			wait_s = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || wait_s < 0 || wait_s > 86400) {
				fprintf(stderr, "article5 coalition join: --wait 0 to 86400 seconds\n");
				return 2;
			}
			break;
		case 'p':
			if (nprefixes >= JOIN_PREFIXES_MAX) {
				fprintf(stderr, "article5 coalition join: at most %d prefixes\n", JOIN_PREFIXES_MAX);
				return 2;
			}
			prefixes[nprefixes++] = optarg;
			break;
		case 'h': join_usage(stdout); return 0;
		default: join_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		join_usage(stderr);
		return 2;
	}
	if (onb_token_decode(argv[optind], &t, err, sizeof(err)) != 0 ||
	    (c = malloc(sizeof(*c))) == NULL || coal_path(path, sizeof(path), dir, "coalition.charter") != 0)
		goto fail;
	for (size_t i = 0; i < t.nurls; i++)
		urls[i] = t.urls[i];
	if (coal_mkdir(dir, 0755, err, sizeof(err)) != 0 || coal_keys(dir, &id, err, sizeof(err)) != 0)
		goto fail;
	/* joined before (the charter of the token is here): only the wait is left */
	if (charter_load_hash(path, c, h, err, sizeof(err)) == 0 &&
	    sodium_memcmp(h, t.charter_hash, sizeof(h)) == 0)
		goto wait;
	onb_invite_key(&t, &ik);
	snprintf(prefix, sizeof(prefix), "_A5I.%s", t.name);
	if ((nc = onb_connect(urls, t.nurls, &ik, prefix, NULL, err, sizeof(err))) == NULL)
		goto fail;
	onb_join_stream(t.coalition, stream, sizeof(stream));
	onb_join_subject(t.coalition, t.name, "charter", subj, sizeof(subj));
	if ((got = onb_last(nc, stream, subj, &text, &len, err, sizeof(err))) <= 0) {
		if (got == 0)
			snprintf(err, sizeof(err), "no charter published for %s (invitation cancelled or "
			    "older than 30 days?)", t.name);
		goto fail;
	}
	charter_hash(text, len, h);
	if (sodium_memcmp(h, t.charter_hash, sizeof(h)) != 0) {
		snprintf(err, sizeof(err), "the charter fetched does not match the token's hash: refused");
		goto fail;
	}
	if (charter_parse("fetched charter", (const char *)text, len, c, err, sizeof(err)) != 0)
		goto fail;
	if (strcmp(c->name, t.coalition) != 0 || charter_find_name(c, t.name) != NULL ||
	    charter_find(c, id.pk) != NULL) {
		snprintf(err, sizeof(err), "the charter is of coalition %s and must not name %s or this "
		    "key yet", c->name, t.name);
		goto fail;
	}
	identity_pk_to_text(id.pk, pk, sizeof(pk));
	rl = (size_t)snprintf(req, sizeof(req), "member %s %s %s", t.name, pk, charter_role_name(t.role));
	for (size_t i = 0; i < nprefixes && rl < sizeof(req); i++)
		rl += (size_t)snprintf(req + rl, sizeof(req) - rl, " %s", prefixes[i]);
	if (rl < sizeof(req))
		rl += (size_t)snprintf(req + rl, sizeof(req) - rl, "\nnkey %s\n", id.nats_key.pub);
	if (rl >= sizeof(req)) {
		snprintf(err, sizeof(err), "join request too long");
		goto fail;
	}
	onb_join_subject(t.coalition, t.name, "request", subj, sizeof(subj));
	if (onb_put(nc, subj, req, rl, err, sizeof(err)) != 0)
		goto fail;
	onb_close(nc);
	nc = NULL;
	if (access(path, F_OK) == 0 ? charter_write_file(path, text, len, err, sizeof(err)) != 0 :
	    coal_write_new(path, text, len, 0644, err, sizeof(err)) != 0)
		goto fail;
	fprintf(stderr, "article5 coalition join: charter of %s (version %llu) checked and written "
	    "to %s; asked to join as %s (%s)\n", c->name, (unsigned long long)c->version, path,
	    t.name, charter_role_name(t.role));
	if (coal_config_lines(cfgpath, dir, err, sizeof(err)) != 0)
		goto fail;
	if (wait_s == 0) {
		fprintf(stderr, "article5 coalition join: now the inviter runs 'article5 coalition "
		    "admit %s'; then run this again with --wait SECONDS\n", t.name);
		rc = 0;
		goto out;
	}
wait:
	for (long i = 0;; i++) {
		got = join_admitted(&t, &id, c, h, path, err, sizeof(err));
		if (got < 0)
			goto fail;
		if (got > 0) {
			fprintf(stderr, "article5 coalition join: admitted: %s now holds the charter "
			    "naming %s; start the daemon\n", path, t.name);
			rc = 0;
			goto out;
		}
		if (i >= wait_s)
			break;
		sleep(1);
	}
	fprintf(stderr, "article5 coalition join: not admitted yet: the inviter runs "
	    "'article5 coalition admit %s'; then run this again with --wait SECONDS\n", t.name);
	rc = wait_s > 0 ? 3 : 0;
	goto out;
fail:
	fprintf(stderr, "article5 coalition join: %s\n", err);
out:
	onb_close(nc);
	onb_token_wipe(&t);
	identity_wipe(&id);
	nkey_wipe(&ik);
	free(text);
	free(c);
	return rc;
}
