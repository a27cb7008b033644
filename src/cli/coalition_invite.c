/* coalition_invite.c - `article5 coalition invite`: a one-time token for a
 * new member. The token's secret derives an nkey the server lets read this
 * invitation's copy of the charter and post one join request, nothing more. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/coalition_cli.h"
#include "coalition/onboard.h"
#include "coalition/onboard_conf.h"
#include "coalition/onboard_nats.h"
#include "daemon/config.h"

static void
invite_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 coalition invite [-c CONFIG] [--dir DIR] [--name NAME] [--role ROLE]\n"
	    "\n"
	    "Invites a new member NAME (default: member<N>) with ROLE (member, protected,\n"
	    "observer; default member). Adds a one-time NATS user for it to DIR/nats/users.conf\n"
	    "(DIR default " COAL_DIR_DEFAULT ", where 'coalition init' wrote it), reloads the\n"
	    "nats-server of DIR/nats/nats-server.pid, publishes the charter in force for it\n"
	    "and prints the token (one line) to give to the new member, who runs\n"
	    "'article5 coalition join TOKEN'. Keep the token secret until it is used.\n"
	    "\n"
	    "  -c CONFIG  this member's configuration (default /etc/article5/article5.conf)\n");
}

int
cmd_coalition_invite(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = CONFIG_DEFAULT_PATH, *dir = COAL_DIR_DEFAULT, *name = NULL;
	const char *role = "member", *urls[CHARTER_URLS_MAX];
	char err[COAL_ERR_MAX], natsdir[PATH_MAX], stream[64], subj[ONB_SUBJECT_MAX];
	char token[ONB_TOKEN_TEXT_MAX + 1];
	struct coal_self self;
	struct onb_token t;
	struct onb_users *us = NULL;
	struct onb_user *u;
	struct nkey ik;
	natsConnection *nc = NULL;
	char inbox[32];
	int opt, rc = 1, loaded = 0;

	memset(&t, 0, sizeof(t));
	memset(&ik, 0, sizeof(ik));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'd': dir = optarg; break;
		case 'n': name = optarg; break;
		case 'r': role = optarg; break;
		case 'h': invite_usage(stdout); return 0;
		default: invite_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		invite_usage(stderr);
		return 2;
	}
	if (strcmp(role, "member") == 0)
		t.role = ROLE_MEMBER;
	else if (strcmp(role, "protected") == 0)
		t.role = ROLE_PROTECTED;
	else if (strcmp(role, "observer") == 0)
		t.role = ROLE_OBSERVER;
	else {
		fprintf(stderr, "article5 coalition invite: role '%s': expected member, protected or "
		    "observer\n", role);
		return 2;
	}
	if (coal_self_load(cfgpath, &self, err, sizeof(err)) != 0)
		goto fail;
	loaded = 1;
	if (name != NULL) {
		if (!onb_name_ok(name)) {
			snprintf(err, sizeof(err), "bad name '%s'", name);
			goto fail;
		}
		snprintf(t.name, sizeof(t.name), "%s", name);
	} else {
		for (unsigned i = (unsigned)self.cur.c->nmembers + 1; i < 100000; i++) {
			snprintf(t.name, sizeof(t.name), "member%u", i);
			if (charter_find_name(self.cur.c, t.name) == NULL)
				break;
		}
	}
	if (charter_find_name(self.cur.c, t.name) != NULL) {
		snprintf(err, sizeof(err), "%s is a member already", t.name);
		goto fail;
	}
	snprintf(t.coalition, sizeof(t.coalition), "%s", self.cur.c->name);
	memcpy(t.charter_hash, self.cur.hash, sizeof(t.charter_hash));
	randombytes_buf(t.secret, sizeof(t.secret));
	t.nurls = self.cur.c->nurls;
	for (size_t i = 0; i < t.nurls; i++) {
		snprintf(t.urls[i], sizeof(t.urls[i]), "%s", self.cur.c->urls[i]);
		urls[i] = self.cur.c->urls[i];
	}
	if (t.nurls == 0 || onb_token_encode(&t, token, sizeof(token)) != 0) {
		snprintf(err, sizeof(err), "the charter names no usable NATS server ('nats' line)");
		goto fail;
	}
	onb_invite_key(&t, &ik);
	/* the server learns the invitee's login before the charter is there */
	if ((us = malloc(sizeof(*us))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (coal_path(natsdir, sizeof(natsdir), dir, "nats") != 0 ||
	    onb_users_load(natsdir, t.coalition, us, err, sizeof(err)) != 0)
		goto fail;
	if ((u = onb_users_find(us, t.name, 1)) == NULL) {
		if (us->n >= ONB_USERS_MAX) {
			snprintf(err, sizeof(err), "too many NATS users");
			goto fail;
		}
		u = &us->u[us->n++];
	}
	memset(u, 0, sizeof(*u));
	u->invite = 1;
	u->role = t.role;
	memcpy(u->name, t.name, sizeof(u->name));
	memcpy(u->nkey, ik.pub, sizeof(u->nkey));
	if (onb_users_save(natsdir, us, err, sizeof(err)) != 0)
		goto fail;
	if (onb_server_reload(natsdir, err, sizeof(err)) != 1)
		fprintf(stderr, "article5 coalition invite: warning: %s: reload nats-server yourself "
		    "(kill -HUP its pid) before the invitee joins\n", err);
	/* the streams exist before the charter is posted: made here by the
	 * administrator identity if 'coalition streams' was not run yet */
	if (coal_streams_ensure(dir, &self, 0, err, sizeof(err)) < 0)
		goto fail;
	onb_member_inbox(self.id.pk, inbox, sizeof(inbox));
	if ((nc = onb_connect(urls, t.nurls, &self.id.nats_key, inbox,
	    self.tls_ca[0] ? self.tls_ca : NULL, err, sizeof(err))) == NULL ||
	    onb_join_stream_ensure(nc, t.coalition, (int)self.cur.c->policy.replicas, err,
	    sizeof(err)) != 0)
		goto fail;
	onb_join_stream(t.coalition, stream, sizeof(stream));
	onb_join_subject(t.coalition, t.name, "charter", subj, sizeof(subj));
	if (onb_put(nc, subj, self.cur.text, self.cur.len, err, sizeof(err)) != 0)
		goto fail;
	fprintf(stderr, "article5 coalition invite: %s invited as %s to coalition %s (charter "
	    "version %llu); give it this token, then run 'article5 coalition admit %s'\n"
	    "once it has joined:\n", t.name, charter_role_name(t.role), t.coalition,
	    (unsigned long long)self.cur.c->version, t.name);
	printf("%s\n", token);
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "article5 coalition invite: %s\n", err);
out:
	onb_close(nc);
	if (loaded)
		coal_self_free(&self);
	onb_token_wipe(&t);
	nkey_wipe(&ik);
	sodium_memzero(token, sizeof(token));
	free(us);
	return rc;
}
