/* transport_publish.c - publishing: on this member's subject, waiting for
 * the stream (proofs, charter updates) or not (the outbox: outcomes come
 * back by message id through the eventfd), and its commitments on core
 * NATS (docs/transport.md, "Commitments"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "coalition/transport.h"
#include "coalition/transport_int.h"
#include "common/log.h"

/* The outcome of an asynchronous publish (js_PublishAsync), on a libnats
 * thread: recorded by message id for the daemon, which deletes the
 * envelope from its outbox on success and sends it again on failure. */
void
tx_on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct transport *t = closure;
	const char *id = NULL;

	(void)js;
	if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK)
		id = NULL;
	pthread_mutex_lock(&t->mu);
	t->pub_callbacks++;
	if (t->inflight > 0)
		t->inflight--;
	if (pa != NULL) {
		t->st.published++;
		if (pa->Duplicate)
			t->st.duplicates++;
	} else {
		t->st.errors++;
		snprintf(t->async_err, sizeof(t->async_err), "publish: %s (JetStream error %d)",
		    pae != NULL ? natsStatus_GetText(pae->Err) : "no answer",
		    pae != NULL ? (int)pae->ErrCode : 0);
	}
	/* inflight bounds the results: one slot per publish in flight */
	if (id != NULL && t->nresults < TRANSPORT_PUB_INFLIGHT) {
		struct transport_pub_result *r = &t->results[t->nresults++];
		snprintf(r->msgid, sizeof(r->msgid), "%s", id);
		r->ok = pa != NULL;
	}
	if (!t->closing)
		tx_wake(t);
	pthread_mutex_unlock(&t->mu);
	natsMsg_Destroy(msg);
	/* Last: tx_teardown waits for zero before freeing t. */
	pthread_mutex_lock(&t->mu);
	t->pub_callbacks--;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

/* The number a message id carries after its first '-' (and a one-letter
 * tag: "<key>-<seq>-..." for an envelope, "-r<seq>-" a revocation); ids
 * that carry none sort last (kind 1). Commitments have no message id: they
 * go on core NATS (transport_publish_commitment). */
static void
msgid_order(natsMsg *m, int *kind, unsigned long long *n)
{
	const char *id = NULL, *dash;
	char *end;

	*kind = 1;
	*n = 0;
	if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK || id == NULL ||
	    (dash = strchr(id, '-')) == NULL)
		return;
	dash++;
	if (*dash == 'r')
		dash++;
	if (*dash < '0' || *dash > '9')
		return;
	*n = strtoull(dash, &end, 10);
	*kind = 0;
}

static int
cmp_msgid(const void *x, const void *y)
{
	natsMsg *a = *(natsMsg *const *)x, *b = *(natsMsg *const *)y;
	int ka, kb;
	unsigned long long na, nb;

	msgid_order(a, &ka, &na);
	msgid_order(b, &kb, &nb);
	if (ka != kb)
		return ka < kb ? -1 : 1;
	return (na > nb) - (na < nb);
}

/*
 * A publish in flight when the connection dropped may have died with the
 * server it went to: neither stored nor delivered on the fast path. Its
 * acknowledgment would then time out (PUBLISH_ACK_WAIT_MS) before the
 * daemon sent it again, and every member would get it seconds late
 * (bench/scale with a killed server). So, once reconnected, every publish
 * still unacknowledged is sent again at once, in chain order: the same message, so the
 * same message id (the stream stores it once) and the same bytes (the
 * receivers drop a second copy). The resent ones keep their place in
 * `inflight`; one libnats refuses is reported failed, as a timeout would.
 */
void
tx_publish_resend(struct transport *t)
{
	natsMsgList pending;
	jsPubOptions po;
	int again = 0;
	bool started;

	/* libnats 3.4.1 crashes asking for the pending list of a context that
	 * never published asynchronously (its table is made by the first
	 * js_PublishAsync): ask only after one returned. */
	pthread_mutex_lock(&t->mu);
	started = t->async_started;
	pthread_mutex_unlock(&t->mu);
	if (!started || t->js == NULL || js_PublishAsyncGetPendingList(&pending, t->js) != NATS_OK)
		return;
	/* libnats lists them in its hash table's order; the receivers would
	 * see the chain's links out of order, a hole then a late report
	 * (docs/commitment.md "Holes"). */
	if (pending.Count > 1)
		qsort(pending.Msgs, (size_t)pending.Count, sizeof(void *), cmp_msgid);	/* natsMsg pointers */
	jsPubOptions_Init(&po);
	po.MaxWait = PUBLISH_ACK_WAIT_MS;
	for (int i = 0; i < pending.Count; i++) {
		const char *id = NULL;

		if (js_PublishMsgAsync(t->js, &pending.Msgs[i], &po) == NATS_OK) {
			again++;
			continue;
		}
		if (natsMsgHeader_Get(pending.Msgs[i], "Nats-Msg-Id", &id) != NATS_OK)
			id = NULL;
		pthread_mutex_lock(&t->mu);
		if (t->inflight > 0)
			t->inflight--;
		t->st.errors++;
		if (id != NULL && t->nresults < TRANSPORT_PUB_INFLIGHT) {
			struct transport_pub_result *r = &t->results[t->nresults++];
			snprintf(r->msgid, sizeof(r->msgid), "%s", id);
			r->ok = false;
		}
		if (!t->closing)
			tx_wake(t);
		pthread_mutex_unlock(&t->mu);
	}
	natsMsgList_Destroy(&pending);
	if (again > 0)
		log_info("transport: %s: %d publishes in flight sent again after the reconnect",
		    t->stream, again);
}

int
transport_publish(struct transport *t, const uint8_t *data, size_t len, const char *msgid)
{
	jsPubOptions po;
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	if ((data == NULL && len > 0) || len > TRANSPORT_MSG_MAX) {
		snprintf(t->errmsg, sizeof(t->errmsg), "publish: %zu bytes (max %d)",
		    len, TRANSPORT_MSG_MAX);
		goto fail;
	}
	if (!tx_msgid_ok(msgid)) {
		snprintf(t->errmsg, sizeof(t->errmsg),
		    "publish: message id `%.*s': 1 to %d printable characters expected",
		    TRANSPORT_MSGID_MAX, msgid ? msgid : "", TRANSPORT_MSGID_MAX);
		goto fail;
	}
	/* Not connected: fail now instead of blocking the event loop on a
	 * request that cannot be answered. */
	if (natsConnection_Status(t->nc) != NATS_CONN_STATUS_CONNECTED) {
		snprintf(t->errmsg, sizeof(t->errmsg), "publish: not connected to NATS");
		goto fail;
	}
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	po.ExpectStream = t->stream;
	po.MaxWait = PUBLISH_WAIT_MS;
	s = js_Publish(&pa, t->js, t->subject, data, (int)len, &po, &jerr);
	if (s != NATS_OK) {
		tx_seterr(t, "publish", s, jerr);
		goto fail;
	}
	pthread_mutex_lock(&t->mu);
	t->st.published++;
	if (pa != NULL && pa->Duplicate)
		t->st.duplicates++;
	pthread_mutex_unlock(&t->mu);
	jsPubAck_Destroy(pa);
	return 0;
fail:
	tx_count_error(t);
	return -1;
}

int
transport_publish_async(struct transport *t, const uint8_t *data, size_t len, const char *msgid)
{
	jsPubOptions po;
	natsStatus s;

	if ((data == NULL && len > 0) || len > TRANSPORT_MSG_MAX || !tx_msgid_ok(msgid)) {
		snprintf(t->errmsg, sizeof(t->errmsg), "publish: bad message (%zu bytes) or id", len);
		tx_count_error(t);
		return -1;
	}
	if (natsConnection_Status(t->nc) != NATS_CONN_STATUS_CONNECTED) {
		snprintf(t->errmsg, sizeof(t->errmsg), "publish: not connected to NATS");
		tx_count_error(t);
		return -1;
	}
	/* Never more in flight than result slots (and than libnats' own
	 * MaxPending, where it would stall the loop): the caller waits. */
	pthread_mutex_lock(&t->mu);
	bool full = t->inflight + t->nresults >= TRANSPORT_PUB_INFLIGHT;
	if (!full)
		t->inflight++;
	pthread_mutex_unlock(&t->mu);
	if (full)
		return 1;
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	po.ExpectStream = t->stream;
	po.MaxWait = PUBLISH_ACK_WAIT_MS;
	s = js_PublishAsync(t->js, t->subject, data, (int)len, &po);
	pthread_mutex_lock(&t->mu);
	if (s != NATS_OK)
		t->inflight--;
	else
		t->async_started = true;
	pthread_mutex_unlock(&t->mu);
	if (s != NATS_OK) {
		tx_seterr(t, "publish", s, 0);
		tx_count_error(t);
		return -1;
	}
	return 0;
}

/* Core NATS, not the stream (docs/transport.md, "Commitments"): no ack to
 * wait for; while disconnected libnats keeps it in its reconnect buffer. */
int
transport_publish_commitment(struct transport *t, const uint8_t *data, size_t len)
{
	natsStatus s;

	if ((data == NULL && len > 0) || len > TRANSPORT_MSG_MAX) {
		snprintf(t->errmsg, sizeof(t->errmsg), "publish commitment: %zu bytes (max %d)",
		    len, TRANSPORT_MSG_MAX);
		tx_count_error(t);
		return -1;
	}
	s = natsConnection_Publish(t->nc, t->csubject, data, (int)len);
	if (s != NATS_OK) {
		tx_seterr(t, "publish commitment", s, 0);
		tx_count_error(t);
		return -1;
	}
	pthread_mutex_lock(&t->mu);
	t->st.published++;
	pthread_mutex_unlock(&t->mu);
	return 0;
}

size_t
transport_publish_results(struct transport *t, struct transport_pub_result *out, size_t max,
    char *err, size_t errlen)
{
	size_t n;

	pthread_mutex_lock(&t->mu);
	n = t->nresults < max ? t->nresults : max;
	memcpy(out, t->results, n * sizeof(*out));
	memmove(t->results, t->results + n, (t->nresults - n) * sizeof(*out));
	t->nresults -= n;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", t->async_err);
	/* Read back only when this took the last of what woke the fd: the
	 * daemon collects after every turn of its loop, mostly finding
	 * nothing, and an empty read was a system call a turn (a wake left
	 * by another cause is read back by transport_poll). */
	if (n > 0 && t->qlen == 0 && t->nresults == 0)
		tx_unwake(t);
	pthread_mutex_unlock(&t->mu);
	return n;
}
