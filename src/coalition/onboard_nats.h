/* onboard_nats.h - the few NATS calls joining a coalition makes outside
 * the daemon's transport: connect with an nkey, keep one message per
 * subject on the join stream, read the last one back (JetStream direct
 * get, which a permission can grant for one subject), publish one. */
#ifndef A5_ONBOARD_NATS_H
#define A5_ONBOARD_NATS_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "coalition/nkey.h"

#define ONB_MSG_MAX (2 * 1024 * 1024)	/* a charter (1 MiB) or an update bundle */

/* Connects (2 s timeout, no reconnect) logging in with k; inbox_prefix
 * (NULL: libnats' "_INBOX") is where replies come, so a permission can
 * name it. NULL with err filled. k must outlive the connection. */
natsConnection *onb_connect(const char *const *urls, size_t nurls, const struct nkey *k,
    const char *inbox_prefix, const char *tls_ca, char *err, size_t errlen);
void onb_close(natsConnection *nc);
/* The inbox prefix of the member whose ed25519 public key is pk: "_A5M."
 * and the hex of its first 8 bytes, the one its NATS user may subscribe
 * under (onboard_conf.c; the transport uses the same). */
void onb_member_inbox(const uint8_t *pk, char *out, size_t n);

/* Creates the join stream of coalition c if missing (subjects a5.<c>.j.>,
 * one message kept per subject, direct get allowed, 30 days, replicas
 * copies; only the administrator's NATS user may). 0 or -1. */
int onb_join_stream_ensure(natsConnection *nc, const char *coalition, int replicas, char *err,
    size_t errlen);
/* The last message on subject of stream: 1 with *buf (malloc'ed, free) and
 * *len, 0 if there is none, -1 with err. */
int onb_last(natsConnection *nc, const char *stream, const char *subject, uint8_t **buf,
    size_t *len, char *err, size_t errlen);
/* Publishes on a subject a JetStream stream captures and waits for its
 * acknowledgment. 0 or -1 with err. */
int onb_put(natsConnection *nc, const char *subject, const void *data, size_t len, char *err,
    size_t errlen);

#endif
