/* coalition_cmd.c - `article5 coalition`: forming and joining a coalition
 * (init, invite, join, admit, streams) and what the verbs share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/coalition_cli.h"
#include "common/util.h"
#include "daemon/config.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} verbs[] = {
	{ "init", cmd_coalition_init, "start a coalition: charter, keys, nats-server configuration" },
	{ "invite", cmd_coalition_invite, "invite a new member: prints a one-time token" },
	{ "join", cmd_coalition_join, "join with a token: keys, charter checked, configuration" },
	{ "admit", cmd_coalition_admit, "admit an invitee who joined: signed charter update" },
	{ "streams", cmd_coalition_streams, "create the coalition's streams (its administrator key)" },
};

static void
coalition_usage(FILE *f)
{
	fprintf(f, "usage: article5 coalition VERB [OPTIONS]\n\nverbs:\n");
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
		fprintf(f, "  %-7s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\n'article5 coalition VERB --help' describes each; docs/operating.md walks\n"
	    "through forming a coalition.\n");
}

int
cmd_coalition(int argc, char **argv)
{
	if (argc < 2) {
		coalition_usage(stderr);
		return 2;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		coalition_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "article5 coalition: unknown verb '%s'\n\n", argv[1]);
	coalition_usage(stderr);
	return 2;
}

struct transport *
coal_transport_open(const struct transport_config *tc, char *err, size_t errlen)
{
	struct transport *tr = NULL;

	/* As onb_connect: a login just after invite/admit reloaded
	 * nats-server is refused for a moment, and libnats 3.4.1 now and then
	 * sends its CONNECT without the nonce's signature (nats-server -D:
	 * "Signature missing"); and for a moment after a reload JetStream
	 * answers no request ("No responders available", onboard.sh saw it in
	 * admit). A few tries, 200 ms apart, of those two failures only. */
	for (int tries = 0; tries < 5; tries++) {
		if (tries > 0)
			nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
		if ((tr = transport_open(tc, err, errlen)) != NULL ||
		    (strncmp(err, "connect to ", 11) != 0 && strstr(err, "No responders") == NULL))
			break;
	}
	return tr;
}

int
coal_path(char *out, size_t n, const char *dir, const char *name)
{
	int w = snprintf(out, n, "%s/%s", dir, name);

	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

int
coal_mkdir(const char *dir, mode_t mode, char *err, size_t errlen)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p)) {
		snprintf(err, errlen, "'%s': bad directory name", dir);
		return -1;
	}
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, c == '\0' ? mode : 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", p, strerror(errno));
			return -1;
		}
		p[i] = c;
	}
	return 0;
}

int
coal_write_new(const char *path, const void *buf, size_t n, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (write(fd, buf, n) != (ssize_t)n || fsync(fd) != 0 || close(fd) != 0) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int
coal_keys(const char *dir, struct identity *id, char *err, size_t errlen)
{
	char sk[PATH_MAX], pk[PATH_MAX], nk[PATH_MAX], text[ID_PUBLIC_TEXT_MAX];
	struct nkey k;

	memset(id, 0, sizeof(*id));
	if (coal_path(sk, sizeof(sk), dir, "member.key") != 0 ||
	    coal_path(pk, sizeof(pk), dir, "member.pub") != 0 ||
	    coal_path(nk, sizeof(nk), dir, "nats.nkey") != 0) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if (access(sk, F_OK) != 0 &&
	    identity_generate(sk, pk, text, sizeof(text), err, errlen) != 0)
		return -1;
	if (identity_load(sk, id, err, errlen) != 0)
		return -1;
	if (access(nk, F_OK) != 0) {
		nkey_generate(&k);
		int rc = nkey_write_seed_file(nk, &k, err, errlen);
		nkey_wipe(&k);
		if (rc != 0)
			goto fail;
	}
	if (nkey_load(nk, &id->nats_key, err, errlen) != 0)
		goto fail;
	id->has_nats_key = true;
	return 0;
fail:
	identity_wipe(id);
	return -1;
}

int
coal_config_lines(const char *cfgpath, const char *dir, char *err, size_t errlen)
{
	char lines[3 * PATH_MAX + 256];
	int w = snprintf(lines, sizeof(lines),
	    "# coalition (article5 coalition init/join)\n"
	    "coalition %s/coalition.charter\n"
	    "identity %s/member.key\n"
	    "nats_nkey %s/nats.nkey\n", dir, dir, dir);
	FILE *f;

	if (w < 0 || (size_t)w >= sizeof(lines)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if (cfgpath == NULL) {
		fputs(lines, stdout);
		return 0;
	}
	if ((f = fopen(cfgpath, "re")) != NULL) {
		char l[4096];
		while (fgets(l, sizeof(l), f) != NULL) {
			const char *c = l + strspn(l, " \t");
			if (strncmp(c, "coalition", 9) == 0 && (c[9] == ' ' || c[9] == '\t')) {
				fclose(f);
				snprintf(err, errlen, "%s already has a 'coalition' line; add these "
				    "lines by hand:\n%s", cfgpath, lines);
				return -1;
			}
		}
		fclose(f);
	}
	if ((f = fopen(cfgpath, "ae")) == NULL || fputs(lines, f) < 0 || fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", cfgpath, strerror(errno));
		return -1;
	}
	fprintf(stderr, "article5 coalition: added to %s:\n%s", cfgpath, lines);
	return 0;
}

int
coal_self_load(const char *cfgpath, struct coal_self *s, char *err, size_t errlen)
{
	struct config *cfg = malloc(sizeof(*cfg));
	char adopted[PATH_MAX + 32], skipped[512];
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (cfg == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	config_defaults(cfg);
	if (config_load(cfgpath, cfg, err, errlen) != 0)
		goto out;
	if (cfg->charter[0] == '\0' || cfg->identity[0] == '\0' || cfg->nats_nkey[0] == '\0') {
		snprintf(err, errlen, "%s: needs 'coalition', 'identity' and 'nats_nkey' lines "
		    "(article5 coalition init or join writes them)", cfgpath);
		goto out;
	}
	config_adopted_charter(cfg, adopted, sizeof(adopted));
	snprintf(s->charter_path, sizeof(s->charter_path), "%s",
	    charter_in_force(cfg->charter, adopted, skipped, sizeof(skipped)));
	snprintf(s->tls_ca, sizeof(s->tls_ca), "%s", cfg->nats_tls_ca);
	if (charter_current_load(s->charter_path, &s->cur, err, errlen) != 0)
		goto out;
	if (identity_load(cfg->identity, &s->id, err, errlen) != 0 ||
	    nkey_load(cfg->nats_nkey, &s->id.nats_key, err, errlen) != 0) {
		charter_current_free(&s->cur);
		identity_wipe(&s->id);
		goto out;
	}
	s->id.has_nats_key = true;
	rc = 0;
out:
	free(cfg);
	return rc;
}

void
coal_self_free(struct coal_self *s)
{
	charter_current_free(&s->cur);
	identity_wipe(&s->id);
}
