/* coalition_init.c - `article5 coalition init`: a new coalition with this
 * host as its first member: keys (the member's, and the coalition's
 * administrator key for NATS), the charter, the nats-server configuration
 * (JetStream, the administrator and one user per member) and article5.conf
 * lines. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/coalition_cli.h"
#include "coalition/onboard.h"
#include "coalition/onboard_conf.h"

#define INIT_PREFIXES_MAX CHARTER_MEMBER_PREFIXES_MAX

static void
init_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 coalition init NAME --nats URL [--member NAME] [--prefix PREFIX]...\n"
	    "                               [--listen HOST:PORT] [--dir DIR] [-c CONFIG]\n"
	    "\n"
	    "Starts coalition NAME with this host as its first member. In DIR (default\n"
	    COAL_DIR_DEFAULT "): this member's key (member.key, member.pub; kept if\n"
	    "there), its NATS login key (nats.nkey, 0600), the coalition's administrator\n"
	    "NATS key (admin.nkey, 0600: the only login that may create and administer the\n"
	    "streams), the charter (coalition.charter, version 1, this member alone), and\n"
	    "in DIR/nats the nats-server configuration: nats-server.conf (JetStream on) and\n"
	    "users.conf (the administrator, and one user per member allowed only its own\n"
	    "subject and consumer). Run the server, then create the streams, with\n"
	    "    nats-server -c DIR/nats/nats-server.conf\n"
	    "    article5 coalition streams -c CONFIG --dir DIR\n"
	    "The article5.conf lines (coalition, identity, nats_nkey) are appended to\n"
	    "CONFIG when given, printed otherwise.\n"
	    "\n"
	    "  --nats URL       the server members connect to, nats://HOST[:PORT]\n"
	    "  --member NAME    this member's name in the charter (default: NAME-1)\n"
	    "  --prefix PREFIX  this member's own addresses (never banned by the\n"
	    "                   coalition); repeatable\n"
	    "  --listen H:P     where nats-server listens (default 0.0.0.0 and URL's port)\n");
}

/* DIR/admin.nkey, the coalition's bootstrap identity on NATS: made if
 * missing (0600, never overwritten), loaded. */
static int
admin_key(const char *dir, struct nkey *k, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (coal_path(path, sizeof(path), dir, "admin.nkey") != 0) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if (access(path, F_OK) != 0) {
		nkey_generate(k);
		int rc = nkey_write_seed_file(path, k, err, errlen);
		nkey_wipe(k);
		if (rc != 0)
			return -1;
	}
	return nkey_load(path, k, err, errlen);
}

int
cmd_coalition_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nats", required_argument, NULL, 'n' },
		{ "member", required_argument, NULL, 'm' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *member = NULL, *listen = NULL, *dir = COAL_DIR_DEFAULT, *cfgpath = NULL;
	const char *prefixes[INIT_PREFIXES_MAX];
	char err[COAL_ERR_MAX], name[CHARTER_NAME_MAX + 8], lbuf[300], path[PATH_MAX], natsdir[PATH_MAX];
	char pk[ID_PUBLIC_TEXT_MAX], text[8192];
	size_t nprefixes = 0, len;
	struct identity id;
	struct nkey admin;
	struct charter *c = NULL;
	struct onb_users *us = NULL;
	int opt, rc = 1;

	memset(&id, 0, sizeof(id));
	memset(&admin, 0, sizeof(admin));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': url = optarg; break;
		case 'm': member = optarg; break;
		case 'l': listen = optarg; break;
		case 'd': dir = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'p':
			if (nprefixes >= INIT_PREFIXES_MAX) {
				fprintf(stderr, "article5 coalition init: at most %d prefixes\n", INIT_PREFIXES_MAX);
				return 2;
			}
			prefixes[nprefixes++] = optarg;
			break;
		case 'h': init_usage(stdout); return 0;
		default: init_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || url == NULL) {
		init_usage(stderr);
		return 2;
	}
	if (!onb_name_ok(argv[optind]) || !onb_url_ok(url)) {
		fprintf(stderr, "article5 coalition init: NAME is 1 to %d letters, digits, '-' or '_'; "
		    "URL is nats://HOST[:PORT] or tls://HOST[:PORT]\n", CHARTER_NAME_MAX - 1);
		return 2;
	}
	snprintf(name, sizeof(name), "%s-1", argv[optind]);
	if (member == NULL)
		member = name;
	if (!onb_name_ok(member)) {
		fprintf(stderr, "article5 coalition init: bad member name '%s'\n", member);
		return 2;
	}
	if (listen == NULL) {
		const char *host = strstr(url, "://") + 3, *colon = strrchr(host, ':');
		snprintf(lbuf, sizeof(lbuf), "0.0.0.0:%s", colon != NULL && colon[1] != ']' ? colon + 1 : "4222");
		listen = lbuf;
	}
	if (coal_mkdir(dir, 0755, err, sizeof(err)) != 0 || coal_keys(dir, &id, err, sizeof(err)) != 0 ||
	    admin_key(dir, &admin, err, sizeof(err)) != 0)
		goto fail;
	identity_pk_to_text(id.pk, pk, sizeof(pk));
	len = (size_t)snprintf(text, sizeof(text),
	    "# charter of coalition %s (article5 coalition init); changed only by\n"
	    "# updates the members sign (docs/governance.md)\n"
	    "coalition %s\nversion 1\nnats %s\nmember %s %s member",
	    argv[optind], argv[optind], url, member, pk);
	for (size_t i = 0; i < nprefixes && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, " %s", prefixes[i]);
	if (len + 2 >= sizeof(text)) {
		snprintf(err, sizeof(err), "charter too long");
		goto fail;
	}
	text[len++] = '\n';
	text[len] = '\0';
	/* what is written is what the parser accepts */
	if ((c = malloc(sizeof(*c))) == NULL || (us = calloc(1, sizeof(*us))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (charter_parse("new charter", text, len, c, err, sizeof(err)) != 0)
		goto fail;
	if (coal_path(path, sizeof(path), dir, "coalition.charter") != 0 ||
	    coal_path(natsdir, sizeof(natsdir), dir, "nats") != 0) {
		snprintf(err, sizeof(err), "%s: path too long", dir);
		goto fail;
	}
	if (coal_write_new(path, text, len, 0644, err, sizeof(err)) != 0)
		goto fail;
	if (coal_mkdir(natsdir, 0750, err, sizeof(err)) != 0 ||
	    onb_server_conf_write(natsdir, c->name, listen, err, sizeof(err)) != 0)
		goto fail;
	snprintf(us->coalition, sizeof(us->coalition), "%s", c->name);
	memcpy(us->admin, admin.pub, sizeof(us->admin));
	us->n = 1;
	memcpy(us->u[0].name, member, strlen(member) + 1);	/* onb_name_ok: < CHARTER_NAME_MAX */
	sodium_bin2hex(us->u[0].hex, sizeof(us->u[0].hex), id.pk, 8);
	memcpy(us->u[0].nkey, id.nats_key.pub, sizeof(us->u[0].nkey));
	if (onb_users_save(natsdir, us, err, sizeof(err)) != 0)
		goto fail;
	fprintf(stderr, "article5 coalition init: coalition %s, member %s (%s)\n"
	    "  charter        %s\n"
	    "  nats-server    %s/nats-server.conf (JetStream on, listen %s)\n"
	    "  administrator  %s/admin.nkey (creates the streams; members may not)\n"
	    "  start it with  nats-server -c %s/nats-server.conf\n"
	    "  then run       article5 coalition streams%s%s --dir %s\n",
	    c->name, member, pk, path, natsdir, listen, dir, natsdir,
	    cfgpath ? " -c " : "", cfgpath ? cfgpath : "", dir);
	if (coal_config_lines(cfgpath, dir, err, sizeof(err)) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "article5 coalition init: %s\n", err);
out:
	identity_wipe(&id);
	nkey_wipe(&admin);
	free(c);
	free(us);
	return rc;
}
