/* onboard_conf.h - the coalition's nats-server configuration as article5
 * writes it (coalition init/invite/admit): the server file with JetStream,
 * and the users file regenerated from a list of members and pending
 * invitations, each with permissions limited to its own subjects
 * (docs/operating.md lists them). */
#ifndef A5_ONBOARD_CONF_H
#define A5_ONBOARD_CONF_H

#include <stddef.h>

#include "coalition/charter.h"
#include "coalition/nkey.h"

#define ONB_USERS_MAX (CHARTER_MEMBERS_MAX + 64)

struct onb_user {
	int invite;				/* 1: a pending invitation, 0: a member */
	char name[CHARTER_NAME_MAX];
	char hex[ID_TOKEN_TEXT];		/* member: subject token (identity_token) */
	char nkey[NKEY_PUBLIC_TEXT + 1];
	enum member_role role;			/* invite: the role it was invited for */
};

struct onb_users {
	char coalition[CHARTER_NAME_MAX];
	char admin[NKEY_PUBLIC_TEXT + 1];	/* the bootstrap identity's nkey; "" if none */
	size_t n;
	struct onb_user u[ONB_USERS_MAX];
};

/* Writes DIR/nats-server.conf (never overwriting), listening on listen
 * ("HOST:PORT"), JetStream stored in DIR/jetstream, pid in
 * DIR/nats-server.pid, users from DIR/users.conf. 0 or -1 with err. */
int onb_server_conf_write(const char *dir, const char *coalition, const char *listen, char *err,
    size_t errlen);
/* DIR/users.list: one "member NAME HEX NKEY" or "invite NAME NKEY ROLE" a line,
 * and at most one "admin NKEY" (the coalition's bootstrap identity, the only
 * user allowed to create and administer the streams).
 * A missing file is an empty list. 0 or -1 with err (FILE:LINE). */
int onb_users_load(const char *dir, const char *coalition, struct onb_users *us, char *err,
    size_t errlen);
/* Writes DIR/users.list and DIR/users.conf (atomically: temporary file,
 * rename). 0 or -1 with err. */
int onb_users_save(const char *dir, const struct onb_users *us, char *err, size_t errlen);
/* The user named name of that kind, or NULL. */
struct onb_user *onb_users_find(struct onb_users *us, const char *name, int invite);
/* Tells the nats-server of DIR/nats-server.pid to reload its
 * configuration (SIGHUP), if that pid is a nats-server. 1 signalled, 0 no
 * such server (err says why), -1 error. */
int onb_server_reload(const char *dir, char *err, size_t errlen);

#endif
