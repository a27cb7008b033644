/* coalition_admit.c - `article5 coalition admit NAME`: an existing member
 * reads the join request of invitee NAME, makes the charter update that
 * adds it (version + 1), signs it, and once it has the signatures the
 * charter needs, publishes it on the coalition stream (where the running
 * daemons adopt it) and for the invitee, and turns its one-time NATS
 * login into a member's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/coalition_cli.h"
#include "coalition/identity.h"
#include "coalition/onboard.h"
#include "coalition/onboard_conf.h"
#include "coalition/onboard_nats.h"
#include "coalition/transport.h"
#include "daemon/config.h"

static void
admit_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 coalition admit NAME [-c CONFIG] [--dir DIR] [--update FILE]\n"
	    "\n"
	    "Reads the join request of invitee NAME, writes the charter update adding it\n"
	    "(NAME-vN.update in the current directory, or FILE) signed by this member. If\n"
	    "that is enough signatures (docs/governance.md), publishes it on the coalition\n"
	    "stream and for the invitee, and makes the invitee's NATS user a member's in\n"
	    "DIR/nats/users.conf (reloading nats-server). Otherwise the other members sign\n"
	    "FILE ('article5 charter sign'), and this is run again with --update FILE.\n");
}

/* The request: "member NAME KEY ROLE [PREFIX...]\nnkey U...\n". The member
 * line into line (NUL-terminated), the nkey into nk. */
static int
parse_request(const uint8_t *buf, size_t len, const char *name, enum member_role role, char *line,
    size_t linen, char *nk, char *err, size_t errlen)
{
	char want[CHARTER_NAME_MAX + 16];
	const char *nl, *s = (const char *)buf;

	if (len >= 4096 || memchr(buf, '\0', len) != NULL || (nl = memchr(s, '\n', len)) == NULL ||
	    (size_t)(nl - s) >= linen) {
		snprintf(err, errlen, "join request: malformed");
		return -1;
	}
	memcpy(line, s, (size_t)(nl - s));
	line[nl - s] = '\0';
	snprintf(want, sizeof(want), "member %s ", name);
	const char *k = nl + 1, *end = s + len;
	if (strncmp(line, want, strlen(want)) != 0 || end - k != 5 + NKEY_PUBLIC_TEXT + 1 ||
	    strncmp(k, "nkey ", 5) != 0 || k[5 + NKEY_PUBLIC_TEXT] != '\n') {
		snprintf(err, errlen, "join request: not for %s, or malformed", name);
		return -1;
	}
	memcpy(nk, k + 5, NKEY_PUBLIC_TEXT);
	nk[NKEY_PUBLIC_TEXT] = '\0';
	/* the role after the key must be the one invited */
	const char *r = strchr(line + strlen(want), ' ');
	size_t rn = strlen(charter_role_name(role));
	if (!nkey_public_valid(nk) || r == NULL || strncmp(r + 1, charter_role_name(role), rn) != 0 ||
	    (r[1 + rn] != '\0' && r[1 + rn] != ' ')) {
		snprintf(err, errlen, "join request: bad NATS key, or not the role %s was invited for",
		    charter_role_name(role));
		return -1;
	}
	return 0;
}

/* The current text with its version line dropped, then "version N+1" and
 * the new member's line. */
static char *
new_text(const struct charter_current *cur, const char *line, size_t *n)
{
	size_t cap = cur->len + strlen(line) + 64, o = 0;
	char *t = malloc(cap);
	const char *p = cur->text, *end = cur->text + cur->len;

	if (t == NULL)
		return NULL;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t l = e ? (size_t)(e - p) + 1 : (size_t)(end - p);
		const char *w = p + strspn(p, " \t");
		if (!(strncmp(w, "version", 7) == 0 && (w[7] == ' ' || w[7] == '\t')))
			memcpy(t + o, p, l), o += l;
		p += l;
	}
	if (o > 0 && t[o - 1] != '\n')
		t[o++] = '\n';
	o += (size_t)snprintf(t + o, cap - o, "version %llu\n%s\n",
	    (unsigned long long)cur->c->version + 1, line);
	*n = o;
	return t;
}

int
cmd_coalition_admit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "update", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = CONFIG_DEFAULT_PATH, *dir = COAL_DIR_DEFAULT, *upath = NULL;
	const char *urls[CHARTER_URLS_MAX], *name;
	char err[COAL_ERR_MAX], why[1024], natsdir[PATH_MAX], stream[64], subj[ONB_SUBJECT_MAX];
	char line[4096], nk[NKEY_PUBLIC_TEXT + 1], ubuf[PATH_MAX], self[ID_TOKEN_TEXT], msgid[64], dhex[17];
	uint8_t *req = NULL, *enc = NULL, digest[GOV_DIGEST_BYTES];
	size_t rlen = 0, tlen = 0, elen = 0;
	struct coal_self s;
	struct onb_users *us = NULL;
	struct onb_user *u;
	struct gov_update *up = NULL;
	struct charter *next = NULL;
	struct transport *tr = NULL;
	natsConnection *nc = NULL;
	char inbox[32];
	char *text = NULL;
	int opt, rc = 1, loaded = 0, got;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'd': dir = optarg; break;
		case 'u': upath = optarg; break;
		case 'h': admit_usage(stdout); return 0;
		default: admit_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || !onb_name_ok(argv[optind])) {
		admit_usage(stderr);
		return 2;
	}
	name = argv[optind];
	if (coal_self_load(cfgpath, &s, err, sizeof(err)) != 0)
		goto fail;
	loaded = 1;
	if ((us = malloc(sizeof(*us))) == NULL || (next = malloc(sizeof(*next))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (coal_path(natsdir, sizeof(natsdir), dir, "nats") != 0 ||
	    onb_users_load(natsdir, s.cur.c->name, us, err, sizeof(err)) != 0)
		goto fail;
	if ((u = onb_users_find(us, name, 1)) == NULL) {
		snprintf(err, sizeof(err), "no pending invitation for %s in %s/users.list", name, natsdir);
		goto fail;
	}
	for (size_t i = 0; i < s.cur.c->nurls; i++)
		urls[i] = s.cur.c->urls[i];
	if (coal_streams_ensure(dir, &s, 0, err, sizeof(err)) < 0)
		goto fail;
	onb_member_inbox(s.id.pk, inbox, sizeof(inbox));
	if ((nc = onb_connect(urls, s.cur.c->nurls, &s.id.nats_key, inbox,
	    s.tls_ca[0] ? s.tls_ca : NULL, err, sizeof(err))) == NULL)
		goto fail;
	onb_join_stream(s.cur.c->name, stream, sizeof(stream));
	onb_join_subject(s.cur.c->name, name, "request", subj, sizeof(subj));
	if ((got = onb_last(nc, stream, subj, &req, &rlen, err, sizeof(err))) <= 0) {
		if (got == 0)
			snprintf(err, sizeof(err), "%s has not joined yet (no join request)", name);
		goto fail;
	}
	if (parse_request(req, rlen, name, u->role, line, sizeof(line), nk, err, sizeof(err)) != 0)
		goto fail;
	if (upath != NULL) {
		if (charter_update_load(upath, &up, err, sizeof(err)) != 0)
			goto fail;
	} else {
		if ((text = new_text(&s.cur, line, &tlen)) == NULL) {
			snprintf(err, sizeof(err), "out of memory");
			goto fail;
		}
		/* gov_propose parses the new text: what is signed is what parses */
		if (gov_propose(s.cur.c, s.cur.hash, "new charter", text, tlen, &up, err, sizeof(err)) != 0 ||
		    gov_sign(up, &s.id, err, sizeof(err)) != 0)
			goto fail;
		snprintf(ubuf, sizeof(ubuf), "%s-v%llu.update", name, (unsigned long long)up->version);
		upath = ubuf;
		if ((enc = charter_update_encode(up, &elen, upath, err, sizeof(err))) == NULL ||
		    coal_write_new(upath, enc, elen, 0644, err, sizeof(err)) != 0)
			goto fail;
		free(enc);
		enc = NULL;
	}
	gov_prune(up, s.cur.c);
	got = gov_check(s.cur.c, s.cur.hash, up, next, NULL, why, sizeof(why));
	if (got == GOV_PENDING) {
		fprintf(stderr, "article5 coalition admit: %s written: %s. The other members run\n"
		    "  article5 charter sign -c CONFIG %s\n"
		    "then: article5 coalition admit %s --update %s\n", upath, why, upath, name, upath);
		rc = 3;
		goto out;
	}
	if (got != GOV_ADOPTABLE) {
		snprintf(err, sizeof(err), "%s: %s", upath, why);
		goto fail;
	}
	if (charter_find_name(next, name) == NULL) {
		snprintf(err, sizeof(err), "%s: the update does not admit %s", upath, name);
		goto fail;
	}
	/* the member's NATS user first: its daemon may start as soon as it has the charter */
	{
		const struct charter_member *m = charter_find_name(next, name);
		u->invite = 0;
		identity_token(m->pk, u->hex);
		memcpy(u->nkey, nk, sizeof(u->nkey));
	}
	if (onb_users_save(natsdir, us, err, sizeof(err)) != 0)
		goto fail;
	if (onb_server_reload(natsdir, err, sizeof(err)) != 1)
		fprintf(stderr, "article5 coalition admit: warning: %s: reload nats-server yourself\n", err);
	if ((enc = charter_update_encode(up, &elen, upath, err, sizeof(err))) == NULL)
		goto fail;
	onb_join_subject(s.cur.c->name, name, "admit", subj, sizeof(subj));
	if (onb_put(nc, subj, enc, elen, err, sizeof(err)) != 0)
		goto fail;
	/* and on the coalition stream, as 'charter submit' does */
	identity_token(s.id.pk, self);
	gov_digest(up, digest);
	sodium_bin2hex(dhex, sizeof(dhex), digest, 8);
	snprintf(msgid, sizeof(msgid), "%s-g%llu-%s", self, (unsigned long long)up->version, dhex);
	struct transport_config tc = {
		.urls = urls, .nurls = s.cur.c->nurls, .coalition = s.cur.c->name, .self = self,
		.publish_only = true, .replicas = (int)s.cur.c->policy.replicas,
		.tls_ca = s.tls_ca[0] ? s.tls_ca : NULL, .nkey = &s.id.nats_key,
	};
	if ((tr = coal_transport_open(&tc, err, sizeof(err))) == NULL)
		goto fail;
	if (transport_publish(tr, enc, elen, msgid) != 0) {
		snprintf(err, sizeof(err), "publish: %s", transport_errmsg(tr));
		goto fail;
	}
	fprintf(stderr, "article5 coalition admit: %s admitted (charter version %llu, %s); "
	    "published on the coalition stream and for %s\n", name,
	    (unsigned long long)up->version, upath, name);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "article5 coalition admit: %s\n", err);
out:
	if (tr != NULL)
		transport_close(tr);
	onb_close(nc);
	if (loaded)
		coal_self_free(&s);
	gov_free(up);
	free(req);
	free(enc);
	free(text);
	free(us);
	free(next);
	return rc;
}
