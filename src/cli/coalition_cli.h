/* coalition_cli.h - what the `article5 coalition` verbs share
 * (coalition_cmd.c dispatches to coalition_init.c, coalition_invite.c,
 * coalition_join.c, coalition_admit.c, coalition_streams.c;
 * docs/operating.md). */
#ifndef A5_COALITION_CLI_H
#define A5_COALITION_CLI_H

#include <limits.h>
#include <stddef.h>

#include "cli/charter_cli.h"
#include "coalition/identity.h"
#include "coalition/transport.h"

#define COAL_DIR_DEFAULT "/etc/article5/coalition"
#define COAL_ERR_MAX (2 * PATH_MAX + 512)

int cmd_coalition_init(int argc, char **argv);
int cmd_coalition_invite(int argc, char **argv);
int cmd_coalition_join(int argc, char **argv);
int cmd_coalition_admit(int argc, char **argv);
int cmd_coalition_streams(int argc, char **argv);

/* dir + "/" + name into out; -1 if it does not fit. */
int coal_path(char *out, size_t n, const char *dir, const char *name);
/* mkdir -p of dir with mode (the last component). 0 or -1 with err. */
int coal_mkdir(const char *dir, mode_t mode, char *err, size_t errlen);
/* DIR/member.key (and member.pub) loaded, or made if missing; DIR/nats.nkey
 * the same. id->has_nats_key is set. 0 or -1 with err. */
int coal_keys(const char *dir, struct identity *id, char *err, size_t errlen);
/* Writes n bytes to a new file path (mode, O_EXCL). 0 or -1 with err. */
int coal_write_new(const char *path, const void *buf, size_t n, mode_t mode, char *err, size_t errlen);
/* The lines this member's article5.conf needs; appended to cfgpath if
 * given and it has no 'coalition' line yet (created if missing), printed
 * on stdout otherwise. 0 or -1 with err. */
int coal_config_lines(const char *cfgpath, const char *dir, char *err, size_t errlen);

/* A member's view from its configuration: the charter in force, the
 * identity and its NATS nkey (nats_nkey). 0 or -1 with err. */
struct coal_self {
	struct charter_current cur;
	struct identity id;
	char tls_ca[PATH_MAX];
	char charter_path[PATH_MAX];
};
int coal_self_load(const char *cfgpath, struct coal_self *s, char *err, size_t errlen);
void coal_self_free(struct coal_self *s);

/* transport_open, tried up to 5 times 200 ms apart when the login is
 * refused or JetStream does not answer (both happen for a moment after a
 * reload of nats-server). NULL with err. */
struct transport *coal_transport_open(const struct transport_config *tc, char *err, size_t errlen);

/* Logs in as the coalition's administrator (DIR/admin.nkey) and creates
 * the coalition and join streams, or raises them to the charter's
 * replicas (coalition_streams.c). 1 done; 0 if there is no admin.nkey and
 * must is 0 (a member's host: nothing to do); -1 with err. */
int coal_streams_ensure(const char *dir, const struct coal_self *s, int must, char *err,
    size_t errlen);

#endif
