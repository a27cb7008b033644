/* onboard_conf.c - the coalition's nats-server configuration (see
 * onboard_conf.h). Permissions follow the transport's names
 * (docs/transport.md): stream A5_<c>, member subjects a5.<c>.r.<hex> and
 * a5.<c>.k.<hex> (its commitments, core NATS),
 * replies and ordered-consumer deliveries under _A5M.<hex>; and the join
 * stream A5J_<c> (onboard.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coalition/onboard.h"
#include "coalition/onboard_conf.h"

static int
role_parse(const char *s, enum member_role *r)
{
	for (int i = ROLE_MEMBER; i <= ROLE_OBSERVER; i++)
		if (strcmp(s, charter_role_name((enum member_role)i)) == 0) {
			*r = (enum member_role)i;
			return 0;
		}
	return -1;
}

static int
path_join(char *out, size_t n, const char *dir, const char *name)
{
	int w = snprintf(out, n, "%s/%s", dir, name);

	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

/* A path written inside double quotes in nats-server's syntax. */
static int
path_quotable(const char *p)
{
	return strpbrk(p, "\"\\$\n\r") == NULL;
}

int
onb_server_conf_write(const char *dir, const char *coalition, const char *listen, char *err,
    size_t errlen)
{
	char path[4096];
	FILE *f;
	int fd;

	if (!path_quotable(dir) || strpbrk(listen, "\" \t\n{}") != NULL) {
		snprintf(err, errlen, "%s: directory or listen address not usable in a nats-server "
		    "configuration", dir);
		return -1;
	}
	if (path_join(path, sizeof(path), dir, "nats-server.conf") != 0) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f,
	    "# nats-server configuration of article5 coalition %s (article5 coalition init).\n"
	    "# JetStream must be on: without it every member's daemon works alone.\n"
	    "# Users and their permissions are in users.conf, which article5 coalition\n"
	    "# invite/admit rewrite (and then reload this server with SIGHUP).\n"
	    "server_name: \"a5-%s\"\n"
	    "listen: \"%s\"\n"
	    "pid_file: \"%s/nats-server.pid\"\n"
	    "jetstream {\n"
	    "  store_dir: \"%s/jetstream\"\n"
	    "}\n"
	    "include \"users.conf\"\n",
	    coalition, coalition, listen, dir, dir);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
onb_users_load(const char *dir, const char *coalition, struct onb_users *us, char *err,
    size_t errlen)
{
	char path[4096], line[512];
	unsigned lineno = 0;
	FILE *f;

	memset(us, 0, sizeof(*us));
	snprintf(us->coalition, sizeof(us->coalition), "%s", coalition);
	if (path_join(path, sizeof(path), dir, "users.list") != 0) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *w[5], *c = line;
		struct onb_user *u;
		size_t k = 0;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			goto bad;
		/* words separated by spaces or tabs, at most 4 */
		while (*c != '\0' && k < 5) {
			while (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
				*c++ = '\0';
			if (*c == '\0')
				break;
			w[k++] = c;
			while (*c != '\0' && *c != ' ' && *c != '\t' && *c != '\n' && *c != '\r')
				c++;
		}
		if (k == 0 || w[0][0] == '#')
			continue;
		if (strcmp(w[0], "admin") == 0) {
			if (k != 2 || !nkey_public_valid(w[1]) || us->admin[0] != '\0')
				goto bad;
			memcpy(us->admin, w[1], NKEY_PUBLIC_TEXT + 1);
			continue;
		}
		if (us->n >= ONB_USERS_MAX || k < 3 || k > 4 || !onb_name_ok(w[1]))
			goto bad;
		u = &us->u[us->n];
		snprintf(u->name, sizeof(u->name), "%s", w[1]);
		if (strcmp(w[0], "invite") == 0 && k == 4 && nkey_public_valid(w[2]) &&
		    role_parse(w[3], &u->role) == 0) {
			u->invite = 1;
			memcpy(u->nkey, w[2], NKEY_PUBLIC_TEXT + 1);
		} else if (strcmp(w[0], "member") == 0 && k == 4 && strlen(w[2]) == 16 &&
		    strspn(w[2], "0123456789abcdef") == 16 && nkey_public_valid(w[3])) {
			memcpy(u->hex, w[2], 17);
			memcpy(u->nkey, w[3], NKEY_PUBLIC_TEXT + 1);
		} else
			goto bad;
		us->n++;
	}
	fclose(f);
	return 0;
bad:
	snprintf(err, errlen, "%s:%u: expected 'member NAME HEX NKEY', 'invite NAME NKEY ROLE' or "
	    "one 'admin NKEY'", path, lineno);
	fclose(f);
	return -1;
}

struct onb_user *
onb_users_find(struct onb_users *us, const char *name, int invite)
{
	for (size_t i = 0; i < us->n; i++)
		if (us->u[i].invite == invite && strcmp(us->u[i].name, name) == 0)
			return &us->u[i];
	return NULL;
}

/* A member may publish its own reports, read every member's (the fast
 * path), read the stream through ordered consumers (create one, delete
 * its own when done, answer flow control), read the streams' info (its
 * transport checks the stream is there) and take part in invite/admit on
 * the join stream; its replies and deliveries come under its own inbox
 * prefix. It may not create, update, purge or delete a stream, nor publish
 * on another member's subject, nor read another member's replies: one
 * stolen member key cannot erase or forge the others' reports
 * (docs/operating.md).
 * Consumers are created on $JS.API.CONSUMER.CREATE.A5_<c> only, the
 * subject libnats 3.4.1 uses for an ordered consumer: nats-server 2.9
 * refuses a durable name there ("consumer expected to be ephemeral"),
 * whereas CREATE.A5_<c>.<name>.<filter> and DURABLE.CREATE.A5_<c>.<name>
 * take one, which would let a member leave consumers on the servers that
 * never go away (tests/e2e/nats-perms.sh tries all three). An ephemeral
 * one still lasts as long as the inactivity threshold its creator asks:
 * docs/operating.md says what these rights leave open. */
static void
write_member(FILE *f, const char *c, const struct onb_user *u)
{
	const char *h = u->hex;

	fprintf(f,
	    "    # member %s\n"
	    "    { nkey: \"%s\", permissions: {\n"
	    "        publish: { allow: [\n"
	    "          \"a5.%s.r.%s\", \"a5.%s.k.%s\",\n"
	    "          \"$JS.API.STREAM.INFO.A5_%s\",\n"
	    "          \"$JS.API.CONSUMER.CREATE.A5_%s\",\n"
	    "          \"$JS.API.CONSUMER.DELETE.A5_%s.*\", \"$JS.FC.A5_%s.>\",\n"
	    "          \"$JS.API.STREAM.INFO.A5J_%s\",\n"
	    "          \"$JS.API.DIRECT.GET.A5J_%s.>\", \"a5.%s.j.*.charter\", \"a5.%s.j.*.admit\" ] },\n"
	    "        subscribe: { allow: [ \"a5.%s.r.>\", \"a5.%s.k.>\", \"_A5M.%s.>\" ] } } }\n",
	    u->name, u->nkey, c, h, c, h, c, c, c, c, c, c, c, c, c, c, h);
}

/* The coalition's bootstrap identity (DIR/admin.nkey, written by init):
 * the one login that creates and administers the two streams and their
 * consumers ('article5 coalition streams', invite, admit). */
static void
write_admin(FILE *f, const char *c, const char *nkey)
{
	fprintf(f,
	    "    # the coalition's administrator (article5 coalition streams)\n"
	    "    { nkey: \"%s\", permissions: {\n"
	    "        publish: { allow: [ \"$JS.API.INFO\", \"$JS.API.STREAM.NAMES\", \"$JS.API.STREAM.LIST\",\n"
	    "          \"$JS.API.STREAM.*.A5_%s\", \"$JS.API.STREAM.*.*.A5_%s\",\n"
	    "          \"$JS.API.STREAM.*.A5J_%s\", \"$JS.API.STREAM.*.*.A5J_%s\",\n"
	    "          \"$JS.API.CONSUMER.*.A5_%s\", \"$JS.API.CONSUMER.*.A5_%s.>\", \"$JS.API.CONSUMER.*.*.A5_%s.>\",\n"
	    "          \"$JS.API.CONSUMER.*.A5J_%s\", \"$JS.API.CONSUMER.*.A5J_%s.>\", \"$JS.API.CONSUMER.*.*.A5J_%s.>\",\n"
	    "          \"$JS.API.DIRECT.GET.A5_%s.>\", \"$JS.API.DIRECT.GET.A5J_%s.>\", \"a5.%s.j.>\" ] },\n"
	    "        subscribe: { allow: [ \"_INBOX.>\", \"_A5M.>\" ] } } }\n",
	    nkey, c, c, c, c, c, c, c, c, c, c, c, c, c);
}

static void
write_invite(FILE *f, const char *c, const struct onb_user *u)
{
	const char *n = u->name;

	fprintf(f,
	    "    # invitation for %s: read the charter, post one join request\n"
	    "    { nkey: \"%s\", permissions: {\n"
	    "        publish: { allow: [ \"$JS.API.DIRECT.GET.A5J_%s.a5.%s.j.%s.charter\",\n"
	    "          \"a5.%s.j.%s.request\" ] },\n"
	    "        subscribe: { allow: [ \"_A5I.%s.>\" ] } } }\n",
	    n, u->nkey, c, c, n, c, n, n);
}

/* Writes path through path.tmp and a rename; body writes the content. */
static int
write_atomic(const char *path, const struct onb_users *us, int conf, char *err, size_t errlen)
{
	char tmp[4200];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (conf) {
		fprintf(f, "# generated by article5 coalition init/invite/admit from users.list: "
		    "do not edit\nauthorization {\n  users = [\n");
		if (us->admin[0] != '\0')
			write_admin(f, us->coalition, us->admin);
		for (size_t i = 0; i < us->n; i++)
			(us->u[i].invite ? write_invite : write_member)(f, us->coalition, &us->u[i]);
		fprintf(f, "  ]\n}\n");
	} else {
		fprintf(f, "# article5 coalition %s: NATS users (admin NKEY | member NAME HEX NKEY | "
		    "invite NAME NKEY ROLE)\n", us->coalition);
		if (us->admin[0] != '\0')
			fprintf(f, "admin %s\n", us->admin);
		for (size_t i = 0; i < us->n; i++) {
			if (us->u[i].invite)
				fprintf(f, "invite %s %s %s\n", us->u[i].name, us->u[i].nkey,
				    charter_role_name(us->u[i].role));
			else
				fprintf(f, "member %s %s %s\n", us->u[i].name, us->u[i].hex, us->u[i].nkey);
		}
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
onb_users_save(const char *dir, const struct onb_users *us, char *err, size_t errlen)
{
	char list[4096], conf[4096];

	if (path_join(list, sizeof(list), dir, "users.list") != 0 ||
	    path_join(conf, sizeof(conf), dir, "users.conf") != 0) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if (write_atomic(list, us, 0, err, errlen) != 0)
		return -1;
	return write_atomic(conf, us, 1, err, errlen);
}

int
onb_server_reload(const char *dir, char *err, size_t errlen)
{
	char path[4096], buf[64], comm[64] = "";
	long pid;
	char *end;
	FILE *f;

	if (path_join(path, sizeof(path), dir, "nats-server.pid") != 0 ||
	    (f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: no pid file (nats-server not running with this configuration?)",
		    path);
		return 0;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || pid <= 1 || (*end != '\0' && *end != '\n')) {
		snprintf(err, errlen, "%s: not a pid", path);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
	}
	/* never signal a process the pid file names by mistake */
	if (strcmp(comm, "nats-server\n") != 0) {
		snprintf(err, errlen, "pid %ld is not a running nats-server", pid);
		return 0;
	}
	if (kill((pid_t)pid, SIGHUP) != 0) {
		snprintf(err, errlen, "kill -HUP %ld: %s", pid, strerror(errno));
		return -1;
	}
	return 1;
}
