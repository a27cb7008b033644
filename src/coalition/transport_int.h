/* transport_int.h - what transport.c and transport_publish.c share: the
 * transport's state (part of it under mu, shared with libnats' threads) and
 * small helpers. Not for other modules: they use transport.h. */
#ifndef A5_TRANSPORT_INT_H
#define A5_TRANSPORT_INT_H

#include <pthread.h>
#include <stdbool.h>

#include <nats/nats.h>

#include "coalition/nkey.h"
#include "coalition/transport.h"

#define PUBLISH_WAIT_MS		2000		/* a synchronous publish (commitments, proofs) */
#define PUBLISH_ACK_WAIT_MS	5000		/* an asynchronous publish: its ack, or an error */

struct tx_node {
	natsMsg *msg;
	struct tx_node *prev, *next;
};

struct transport {
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *sub;
	int efd;

	char stream[TRANSPORT_NAME_MAX + 8];		/* A5_<coalition> */
	int replicas;					/* of the stream, 1..5 */
	bool stream_admin;				/* cfg->stream_admin */
	char filter[TRANSPORT_NAME_MAX + 8];		/* a5.<coalition>.r.> */
	char subject[2 * TRANSPORT_NAME_MAX + 8];	/* a5.<coalition>.r.<self> */
	char deliver[2 * TRANSPORT_NAME_MAX + 8];	/* a5.<coalition>.d.<durable> */
	char durable[TRANSPORT_NAME_MAX + 1];
	size_t prefix_len;				/* of "a5.<coalition>.r." */

	/* Shared with libnats' threads, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool sync_ok;
	struct tx_node *qhead, *qtail;
	size_t qlen, qmax, qbytes;
	bool closing, sub_done, conn_closed;
	struct transport_stats st;
	/* Asynchronous publishes: in flight, and their outcomes until the
	 * daemon collects them (transport_publish_results). */
	size_t inflight, nresults;
	struct transport_pub_result results[TRANSPORT_PUB_INFLIGHT];
	char async_err[160];

	/* The daemon's thread only. */
	struct tx_node *taken;			/* polled, not yet acked or naked */
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
/* libnats' callback for asynchronous publishes (jsOptions.PublishAsync) */
void tx_on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure);

#endif
