/* transport_int.h - what transport.c and transport_publish.c share: the
 * transport's state (part of it under mu, shared with libnats' threads) and
 * small helpers. Not for other modules: they use transport.h. */
#ifndef A5_TRANSPORT_INT_H
#define A5_TRANSPORT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <nats/nats.h>

#include "coalition/nkey.h"
#include "coalition/transport.h"

#define PUBLISH_WAIT_MS		2000		/* a synchronous publish (proofs, charter updates) */
#define QUEUE_BYTES_MAX		(64u << 20)	/* payload bytes waiting in the queue */
#define PUBLISH_ACK_WAIT_MS	5000		/* an asynchronous publish: its ack, or an error */

struct tx_node {
	natsMsg *msg;
	struct tx_node *prev, *next;
	uint64_t digest;		/* of the payload (tx_digest) */
	uint64_t sseq;			/* stream sequence; 0: came on the fast path */
};

/* Messages seen lately, by digest: each envelope comes twice, on the fast
 * path (core NATS) and from the stream (ordered consumer); the daemon gets
 * the first copy, the second is dropped here (transport_receive.c). */
#define TX_SEEN_MAX	(2 * TRANSPORT_QUEUE_MAX)
/* An entry stays pending while its first copy is queued or taken; with at
 * most TRANSPORT_QUEUE_MAX queued (and a batch taken), twice that many
 * newer first copies cannot arrive before it is done: the ring never
 * forgets a pending entry in normal running. */
enum tx_seen_state { TX_SEEN_FREE, TX_SEEN_PENDING, TX_SEEN_DONE };
struct tx_seen {
	uint64_t digest;
	int32_t next;			/* bucket chain; -1 ends it */
	uint8_t state;			/* enum tx_seen_state */
	natsMsg *parked;		/* the stream's copy, while the fast one is pending */
	uint64_t parked_sseq;
	uint64_t sseq;			/* where the stream holds it; 0: not seen there yet */
};

/* Messages done with wait here to be destroyed in a row (tx_discard): at
 * most this many, holding at most TX_DISCARD_BYTES of payload. */
#define TX_DISCARD_MAX		64
#define TX_DISCARD_BYTES	(1u << 20)

struct transport {
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *sub;			/* ordered consumer on the stream (synchronous) */
	natsSubscription *fast;			/* core NATS subscription */
	int efd;

	char stream[TRANSPORT_NAME_MAX + 8];		/* A5_<coalition> */
	int replicas;					/* of the stream, 1..5 */
	bool stream_admin;				/* cfg->stream_admin */
	char filter[TRANSPORT_NAME_MAX + 8];		/* a5.<coalition>.r.> */
	char subject[2 * TRANSPORT_NAME_MAX + 8];	/* a5.<coalition>.r.<self> */
	char kprefix[TRANSPORT_NAME_MAX + 8];		/* a5.<coalition>.k.: commitments */
	char csubject[2 * TRANSPORT_NAME_MAX + 8];	/* a5.<coalition>.k.<self>: ours */
	char inbox[TRANSPORT_NAME_MAX + 8];		/* _A5M.<self>: replies, deliveries */
	size_t prefix_len;				/* of "a5.<coalition>.r." */
	size_t kprefix_len;				/* of kprefix */
	uint64_t start_seq;				/* the stream is read after this */
	uint64_t stream_last;				/* the stream's last sequence at open */
	int64_t stream_created, start_created;		/* ns; 0: unknown */
	unsigned char digest_key[16];			/* crypto_shorthash */

	/* Shared with libnats' threads, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool sync_ok;
	struct tx_node *qhead, *qtail;
	size_t qlen, qmax, qbytes;
	int stream_buffer;			/* STREAM_PENDING_MSGS, or a test's */
	bool closing, fast_done, conn_closed;
	struct transport_stats st;
	/* The stream's position: every message up to max_sseq was delivered;
	 * those still queued, taken or parked hold it back (transport_position). */
	uint64_t max_sseq, nak_floor;
	/* The ordered consumer's continuity (tx_stream_follows), and whether
	 * the stream must be read again after max_sseq (tx_stream_catch_up). */
	uint64_t last_cseq, expect_from;
	bool stream_behind;
	int64_t next_catch_up_ms;		/* a failed re-read is tried again then */
	int64_t last_catch_up_log_ms;		/* the daemon's thread only */
	size_t nparked;
	int64_t last_big_log_ms;		/* an oversized message logged (nats_Now) */
	natsMsg *discard[TX_DISCARD_MAX];	/* tx_discard */
	size_t ndiscard, discard_bytes;
	struct tx_seen *seen;			/* TX_SEEN_MAX entries, used as a ring */
	int32_t *buckets;			/* TX_SEEN_MAX chain heads */
	size_t seen_next;			/* the ring's next slot */
	/* Asynchronous publishes: in flight, and their outcomes until the
	 * daemon collects them (transport_publish_results). */
	size_t inflight, nresults;
	bool async_started;			/* libnats has its pending-publish table */
	unsigned pub_callbacks;			/* tx_on_pub_ack running now */
	struct transport_pub_result results[TRANSPORT_PUB_INFLIGHT];
	char async_err[160];

	/* The daemon's thread only. */
	/* The commitments of the members this one audits: synchronous
	 * subscriptions (no thread of their own), read by transport_tick. */
	natsSubscription *ksubs[TRANSPORT_WATCH_MAX];
	size_t nksubs;
	uint64_t kdropped_subs;			/* their libnats drops, counted already */
	struct tx_node *taken;			/* polled, not yet acked or naked */
	int64_t stream_drops;			/* libnats' drops on sub, seen already */
	struct transport_stats snap;
	char errmsg[256];
	struct nkey nkey;			/* NATS login key (nkey_file), wiped at free */
};

bool tx_msgid_ok(const char *s);
/* libnats' last error text on this thread, or the status's text */
const char *tx_nats_err(natsStatus s);
void tx_seterr(struct transport *t, const char *what, natsStatus s, jsErrCode jerr);
void tx_count_error(struct transport *t);
/* the eventfd: readable while messages or publish outcomes wait */
void tx_wake(struct transport *t);
void tx_unwake(struct transport *t);
/* transport_receive.c: libnats' callback for the fast path (also given
 * the commitments), the daemon's reading of the stream's subscription, and
 * what tx_teardown needs. */
void tx_on_fast_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure);
/* The daemon's thread: hands up to max messages a synchronous
 * subscription holds to take(), while the queue is under half full; sets
 * *dropped to libnats' count of the messages it dropped on sub (its buffer
 * full). True if it stopped with messages still held. */
bool tx_take_sync(struct transport *t, natsSubscription *sub, int max,
    void (*take)(struct transport *, natsMsg *), int64_t *dropped);
/* The daemon's thread: what the ordered consumer holds goes to the queue
 * (or is dropped as a second copy), through tx_take_sync. True if it
 * still holds more. */
bool tx_stream_take(struct transport *t);
int tx_seen_init(struct transport *t);
/* Under mu: a message done with, destroyed later with others (each
 * natsMsg_Destroy wakes libnats' collector thread; in a row, it wakes
 * once). Destroyed at once while closing. */
void tx_discard(struct transport *t, natsMsg *msg);
/* Under mu: destroys the messages tx_discard holds. */
void tx_discard_flush(struct transport *t);
void tx_release_all(struct transport *t);
/* transport.c: (re)subscribes the ordered consumer after `from` - 1. */
int tx_stream_subscribe(struct transport *t, uint64_t from, char *err, size_t errlen);
/* transport.c, the daemon's thread: the stream read again after falling
 * behind (the old consumer replaced by one from max_sseq + 1). */
void tx_stream_catch_up(struct transport *t);
/* After a reconnect: sends again the asynchronous publishes still waiting
 * for their acknowledgment (transport_publish.c). */
void tx_publish_resend(struct transport *t);
/* libnats' callback for asynchronous publishes (jsOptions.PublishAsync) */
void tx_on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure);

#endif
