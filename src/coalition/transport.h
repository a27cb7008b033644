/* transport.h - the coalition over NATS (libnats): one JetStream stream per
 * coalition, one subject per reporter, de-duplication by message id.
 * Envelopes reach a member twice: at once on a core NATS subscription (the
 * fast path: no consumer, no ack, no per-member state on the servers) and
 * from the stream through an ordered consumer (catch-up: what the fast path
 * missed while disconnected). The daemon gets the first copy; the second is
 * dropped. The stream position of what the daemon acknowledged
 * (transport_position) is the caller's to keep: the next open reads the
 * stream from there, so a crash never loses a report. libnats runs its own
 * threads; received messages are queued and an eventfd wakes the daemon's
 * single event loop. */
#ifndef A5_TRANSPORT_H
#define A5_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSPORT_QUEUE_MAX 16384	/* messages waiting for the daemon */
#define TRANSPORT_MSG_MAX 262144	/* bytes per message: a proof holds two envelopes */
#define TRANSPORT_MSGID_MAX 128		/* de-duplication id: printable ASCII, no spaces */
#define TRANSPORT_NAME_MAX 64		/* coalition, self: [A-Za-z0-9_-] */
#define TRANSPORT_URLS_MAX 16

struct nkey;

struct transport_config {
	const char *const *urls;	/* nats://host:port */
	size_t nurls;
	const char *coalition;		/* stream "A5_<coalition>", subjects "a5.<coalition>.r.<reporter>" */
	const char *self;		/* this member's subject token (hex of its key prefix) */
	const char *creds_file;		/* optional NATS credentials */
	const struct nkey *nkey;	/* optional NATS user nkey (nkey.h), copied at open */
	const char *tls_ca;		/* optional CA file: enables TLS */
	uint64_t start_seq;		/* transport_position of the last run: the stream
					 * is read after it; 0: from its first message */
	int64_t start_created;		/* transport_stream_created when start_seq was
					 * kept: a stream made anew since is read from its
					 * start; 0: unknown (not checked) */
	size_t queue_max;		/* 0: TRANSPORT_QUEUE_MAX (lower it only in tests) */
	int stream_buffer;		/* libnats' buffer for the stream's copies, in
					 * messages; 0: 65536 (lower it only in tests) */
	int replicas;			/* stream copies in a cluster; 0: 1 */
	bool publish_only;		/* no subscription: for a one-off publish (charter submit) */
	bool stream_admin;		/* the coalition's administrator: a stream update it
					 * cannot make is an error; for a member it is a warning
					 * and the stream is used as it is */
};

struct transport_msg {
	const uint8_t *data;
	size_t len;
	const char *reporter;		/* subject token after "a5.<coalition>.r." */
	void *handle;			/* for transport_ack */
	/* its Nats-Msg-Id header ("" without one); NULL only for a message
	 * that did not come from NATS (tests hand those in): not checked */
	const char *msgid;
	/* came on a member's commitment subject (a5.<coalition>.k.<m>; reporter
	 * is then <m>), which only that member's auditors read: nothing else
	 * may come there */
	bool commitment_subject;
};
/* data, reporter and msgid stay valid until the message is acked or naked,
 * or the transport is closed. */

struct transport;

struct transport *transport_open(const struct transport_config *cfg, char *err, size_t errlen);
void transport_close(struct transport *t);

/* Readable when messages are queued. */
int transport_fd(const struct transport *t);
/* Takes up to max queued messages (oldest first). */
size_t transport_poll(struct transport *t, struct transport_msg *out, size_t max);
/* Acknowledges (then frees, with others: at the latest at the next
 * transport_tick) a message taken by transport_poll: applied and
 * recorded; its other copy will be dropped. */
void transport_ack(struct transport *t, struct transport_msg *m);
/* Releases a message without ack: the stream's copy comes again, on this
 * connection when it has not come yet, else at the next open (the position
 * stays before it). */
void transport_nak(struct transport *t, struct transport_msg *m);
/* Once a second from the daemon's loop: what must be retried (the stream
 * read again after falling behind, when that failed); the messages done
 * with are destroyed; the commitments watched are queued. */
void transport_tick(struct transport *t);
/* The stream sequence up to which every message was acknowledged (or was
 * a copy of one): keep it and pass it as start_seq to the next open. */
uint64_t transport_position(const struct transport *t);
/* When the stream was created (ns since the epoch, as the server says;
 * 0 when unknown): kept beside the position, it tells a stream deleted and
 * made again, whose sequences start again at 1, from the one the position
 * was taken in. */
int64_t transport_stream_created(const struct transport *t);

/* Publishes one envelope on this member's subject with msgid for
 * de-duplication; returns 0 once the stream has stored it, -1 on error. */
int transport_publish(struct transport *t, const uint8_t *data, size_t len, const char *msgid);

/* The same without waiting: 0 once handed to libnats, 1 when
 * TRANSPORT_PUB_INFLIGHT publishes are in flight already (try later), -1
 * on error. The outcome comes back by message id through
 * transport_publish_results, after the fd becomes readable. */
#define TRANSPORT_PUB_INFLIGHT 256
struct transport_pub_result {
	char msgid[TRANSPORT_MSGID_MAX + 1];
	bool ok;		/* stored by the stream (or a duplicate of a stored one) */
};
int transport_publish_async(struct transport *t, const uint8_t *data, size_t len, const char *msgid);
/* A commitment, on this member's commitment subject a5.<coalition>.k.<self>
 * (core NATS: not stored by the stream, no outcome comes back). 0 once
 * handed to libnats, -1 on error. */
int transport_publish_commitment(struct transport *t, const uint8_t *data, size_t len);

/*
 * Commitments reach only their auditors (docs/transport.md, "Commitments"):
 * each member publishes its own on core NATS, on a5.<coalition>.k.<self>,
 * outside the stream's subjects. An auditor subscribes to the commitment
 * subjects of the members it audits: tokens[0..n), or every member's
 * (a5.<coalition>.k.*) when all. Replaces the previous set;
 * libnats renews them after a reconnect. Their messages are queued by
 * transport_tick, so at most about a second late. What was published while
 * this member was disconnected is not read again. 0, or -1 with
 * transport_errmsg.
 */
#define TRANSPORT_WATCH_MAX 256
int transport_watch_commitments(struct transport *t, const char *const *tokens, size_t n,
    bool all);
/* Takes up to max outcomes, oldest first; err gets the last failure's text. */
size_t transport_publish_results(struct transport *t, struct transport_pub_result *out, size_t max,
    char *err, size_t errlen);

bool transport_connected(const struct transport *t);
struct transport_stats {
	uint64_t published, received, acked, errors, reconnects;
	uint64_t duplicates;		/* publishes the stream dropped as already seen */
	uint64_t overflows;		/* fast-path messages dropped because the queue was full */
	uint64_t fast;			/* messages the daemon got from the fast path */
	uint64_t deduped;		/* second copies dropped */
	uint64_t rereads;		/* the stream read again after falling behind */
	uint64_t commitments_dropped;	/* libnats overflowed a commitment subscription */
};
/* A snapshot, valid until the next call. */
const struct transport_stats *transport_get_stats(const struct transport *t);
/* Text of the last error of transport_publish or transport_ack/nak. */
const char *transport_errmsg(const struct transport *t);

/* Releases libnats' process-wide state (nats_CloseAndWait): once, at exit,
 * after every transport is closed; no transport_open afterwards. */
void transport_library_close(void);

#endif
