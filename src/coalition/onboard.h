/* onboard.h - joining a coalition (article5 coalition init/invite/join/
 * admit, docs/operating.md): the invitation token, the key it derives for
 * the invitee's one-time NATS login, and the names of the join stream and
 * subjects. */
#ifndef A5_ONBOARD_H
#define A5_ONBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "coalition/charter.h"
#include "coalition/nkey.h"

#define ONB_SECRET_BYTES 32
#define ONB_TOKEN_PREFIX "a5join1:"
#define ONB_TOKEN_TEXT_MAX 4096		/* longest token accepted, in characters */
#define ONB_SUBJECT_MAX 160

/* What an invitation carries. Everything but the secret is public; the
 * secret is a password: whoever holds the token may fetch the charter
 * and ask to join under name. */
struct onb_token {
	char coalition[CHARTER_NAME_MAX];
	char name[CHARTER_NAME_MAX];		/* the invitee's name in the charter */
	enum member_role role;
	uint8_t charter_hash[CHARTER_HASH_BYTES];	/* BLAKE2b-256 of the charter text */
	uint8_t secret[ONB_SECRET_BYTES];
	size_t nurls;
	char urls[CHARTER_URLS_MAX][256];
};

/* One line: ONB_TOKEN_PREFIX + unpadded URL-safe base64 of the binary form
 * (docs/operating.md). 0, or -1 if t is malformed or out is too small. */
int onb_token_encode(const struct onb_token *t, char *out, size_t n);
/* Hostile input: exact lengths, names, role and URLs checked, trailing
 * bytes refused. 0, or -1 with err filled. */
int onb_token_decode(const char *text, struct onb_token *t, char *err, size_t errlen);
void onb_token_wipe(struct onb_token *t);

/* The invitee's one-time NATS key: a seed derived from the secret, the
 * coalition and the name (keyed BLAKE2b), so the inviter lists its public
 * half in the server configuration and the invitee logs in with it. */
void onb_invite_key(const struct onb_token *t, struct nkey *k);

/* [A-Za-z0-9_-], 1 to CHARTER_NAME_MAX - 1 characters (the charter's rule). */
int onb_name_ok(const char *s);
/* Whether u is a URL a charter accepts: nats://HOST[:PORT] or tls://...,
 * printable, no user:password@, at most 255 characters. */
int onb_url_ok(const char *u);

/* Names: stream "A5J_<c>"; subjects "a5.<c>.j.<name>.<what>", what one of
 * "charter" (the inviter), "request" (the invitee), "admit" (the update
 * that admits it). 0, or -1 if it does not fit. */
int onb_join_stream(const char *coalition, char *out, size_t n);
int onb_join_subject(const char *coalition, const char *name, const char *what, char *out, size_t n);

#endif
