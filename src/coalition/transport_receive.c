/* transport_receive.c - messages in: the fast path (core NATS) and the
 * stream's ordered consumer feed one bounded queue; the first copy of an
 * envelope goes to the daemon, the second is dropped; the stream position
 * follows what the daemon acknowledged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "coalition/transport.h"
#include "coalition/transport_int.h"
#include "common/log.h"

/*
 * Why two paths: a JetStream consumer per member is a replicated Raft group
 * of its own, acked message by message; at 100 members the cluster's work
 * grew with the members even when no one reported, and a killed server
 * stalled delivery for an election (docs/scale.md). A core subscription is
 * served as the publish is routed. The ordered consumer (ephemeral, one
 * copy, no acks, flow-controlled) brings what the fast path missed while
 * this member was disconnected, and, after a restart, everything since the
 * position the daemon kept.
 *
 * Which copy counts: the first. A second copy is dropped once the first is
 * acked. A copy the stream holds at another sequence than the first one it
 * delivered is not a copy but the same envelope published again (a
 * replay): it goes to the daemon, which refuses it. A stream copy taken
 * while the fast copy is still queued or taken is parked: dropped when the
 * fast copy is acked, queued if the fast copy is naked or forgotten. So
 * every stream sequence is either still held (queued, taken, parked) or
 * done, and the position is the sequence before the lowest one held.
 *
 * Which threads: the fast path's messages come through libnats' delivery
 * thread (tx_on_fast_msg), which wakes the daemon's loop; the stream's
 * are read by the daemon's thread itself (tx_stream_take), since they
 * need no one woken: they wait in libnats' buffer for the next turn.
 */

static uint64_t
tx_digest(const struct transport *t, const void *data, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t d;

	crypto_shorthash(h, data, len, t->digest_key);
	memcpy(&d, h, sizeof(d));
	return d;
}

/*
 * natsMsg_Destroy does not free a received message: it hands it to
 * libnats' garbage-collector thread and wakes that thread when it sleeps, a
 * futex wake and two context switches per message. Each envelope comes
 * twice (both copies are destroyed), so a receiver trickled single-report
 * envelopes paid about a tenth of its CPU for those wakes (docs/bench.md,
 * "rx-cost"). Destroyed in a row, the messages of a batch cost one wake.
 * The payloads wait at most until the daemon's next one-second tick
 * (transport_tick), within TX_DISCARD_MAX messages and TX_DISCARD_BYTES.
 */
void
tx_discard_flush(struct transport *t)
{
	for (size_t i = 0; i < t->ndiscard; i++)
		natsMsg_Destroy(t->discard[i]);
	t->ndiscard = 0;
	t->discard_bytes = 0;
}

void
tx_discard(struct transport *t, natsMsg *msg)
{
	if (msg == NULL)
		return;
	if (t->closing) {
		natsMsg_Destroy(msg);
		return;
	}
	size_t len = (size_t)natsMsg_GetDataLength(msg);
	if (t->ndiscard == TX_DISCARD_MAX || t->discard_bytes + len > TX_DISCARD_BYTES)
		tx_discard_flush(t);
	t->discard[t->ndiscard++] = msg;
	t->discard_bytes += len;
}

int
tx_seen_init(struct transport *t)
{
	t->seen = calloc(TX_SEEN_MAX, sizeof(*t->seen));
	t->buckets = malloc(TX_SEEN_MAX * sizeof(*t->buckets));
	if (t->seen == NULL || t->buckets == NULL)
		return -1;
	for (size_t i = 0; i < TX_SEEN_MAX; i++)
		t->buckets[i] = -1;
	randombytes_buf(t->digest_key, sizeof(t->digest_key));
	return 0;
}

/* Under mu, as every tx_seen_* below. */
static struct tx_seen *
tx_seen_find(struct transport *t, uint64_t d)
{
	for (int32_t i = t->buckets[d % TX_SEEN_MAX]; i >= 0; i = t->seen[i].next)
		if (t->seen[i].digest == d && t->seen[i].state != TX_SEEN_FREE)
			return &t->seen[i];
	return NULL;
}

static void
tx_seen_unlink(struct transport *t, int32_t slot)
{
	int32_t *p = &t->buckets[t->seen[slot].digest % TX_SEEN_MAX];

	while (*p >= 0 && *p != slot)
		p = &t->seen[*p].next;
	if (*p == slot)
		*p = t->seen[slot].next;
	t->seen[slot].state = TX_SEEN_FREE;
}

static int tx_enqueue(struct transport *t, natsMsg *msg, uint64_t d, uint64_t sseq);

/* A parked stream copy whose fast copy will not be acked goes to the
 * queue itself (the daemon may then see the envelope twice; it takes a
 * repeat as done). */
static void
tx_seen_unpark(struct transport *t, struct tx_seen *e)
{
	if (e->parked == NULL)
		return;
	tx_enqueue(t, e->parked, e->digest, e->parked_sseq);
	e->parked = NULL;
	t->nparked--;
}

/* Records a first copy; the ring's oldest entry makes room. */
static struct tx_seen *
tx_seen_add(struct transport *t, uint64_t d)
{
	int32_t slot = (int32_t)t->seen_next;
	struct tx_seen *e = &t->seen[slot];

	t->seen_next = (t->seen_next + 1) % TX_SEEN_MAX;
	if (e->state != TX_SEEN_FREE) {
		/* Forgotten while its fast copy is still pending (the queue
		 * holds more than TX_SEEN_MAX): its parked stream copy must not
		 * be lost with the entry. */
		tx_seen_unpark(t, e);
		tx_seen_unlink(t, slot);
	}
	e->digest = d;
	e->state = TX_SEEN_PENDING;
	e->parked = NULL;
	e->sseq = 0;
	e->next = t->buckets[d % TX_SEEN_MAX];
	t->buckets[d % TX_SEEN_MAX] = slot;
	return e;
}

/* 0, or -1 when out of memory (msg destroyed; a stream copy holds the
 * position before it, so the next open reads it again). */
static int
tx_enqueue(struct transport *t, natsMsg *msg, uint64_t d, uint64_t sseq)
{
	struct tx_node *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		if (sseq != 0 && (t->nak_floor == 0 || sseq < t->nak_floor))
			t->nak_floor = sseq;
		t->st.errors++;
		natsMsg_Destroy(msg);
		return -1;
	}
	n->msg = msg;
	n->digest = d;
	n->sseq = sseq;
	if (t->qtail != NULL)
		t->qtail->next = n;
	else
		t->qhead = n;
	t->qtail = n;
	t->qlen++;
	t->qbytes += (size_t)natsMsg_GetDataLength(msg);
	t->st.received++;
	if (sseq == 0)
		t->st.fast++;
	/* Readable exactly while the queue is not empty: written on the first
	 * message, read back when transport_poll empties it. */
	if (t->qlen == 1)
		tx_wake(t);
	return 0;
}

static bool
tx_full(const struct transport *t, int len)
{
	return t->qlen >= t->qmax || t->qbytes + (size_t)len > QUEUE_BYTES_MAX;
}

static bool
tx_len_ok(struct transport *t, natsMsg *msg, int len)
{
	bool say;

	if (len >= 0 && len <= TRANSPORT_MSG_MAX)
		return true;
	/* The stream's MaxMsgSize refuses these, but the fast path carries
	 * whatever a member publishes (up to the server's 1 MiB): counted,
	 * logged once per 10 s. */
	pthread_mutex_lock(&t->mu);
	t->st.errors++;
	say = nats_Now() - t->last_big_log_ms >= 10000;
	if (say)
		t->last_big_log_ms = nats_Now();
	pthread_mutex_unlock(&t->mu);
	if (say)
		log_warnx("transport: %s: %d-byte message refused (max %d)",
		    natsMsg_GetSubject(msg), len, TRANSPORT_MSG_MAX);
	return false;
}

/* --- libnats threads ---------------------------------------------------- */

void
tx_on_fast_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct transport *t = closure;
	int len = natsMsg_GetDataLength(msg);
	uint64_t d;

	(void)nc;
	(void)sub;
	if (!tx_len_ok(t, msg, len)) {
		natsMsg_Destroy(msg);
		return;
	}
	d = tx_digest(t, natsMsg_GetData(msg), (size_t)len);
	pthread_mutex_lock(&t->mu);
	if (t->closing || tx_seen_find(t, d) != NULL) {
		if (!t->closing)
			t->st.deduped++;
		tx_discard(t, msg);
		pthread_mutex_unlock(&t->mu);
		return;
	}
	if (tx_full(t, len)) {
		/* The stream's copy will come: nothing is lost by dropping. (A
		 * commitment has no such copy: tx_take_commitments hands one
		 * over only while the queue is under half full.) */
		t->st.overflows++;
		pthread_mutex_unlock(&t->mu);
		natsMsg_Destroy(msg);
		return;
	}
	struct tx_seen *e = tx_seen_add(t, d);
	/* Not queued: forgotten, so that the stream's copy is taken instead
	 * of parked behind nothing. */
	if (tx_enqueue(t, msg, d, 0) != 0)
		tx_seen_unlink(t, (int32_t)(e - t->seen));
	pthread_mutex_unlock(&t->mu);
}

/* --- the daemon's thread: the stream's copies --------------------------- */

/* The message's stream and consumer sequences; false without them. */
static bool
tx_stream_meta(natsMsg *msg, uint64_t *sseq, uint64_t *cseq)
{
	jsMsgMetaData *meta = NULL;

	if (natsMsg_GetMetaData(&meta, msg) != NATS_OK)
		return false;
	*sseq = meta->Sequence.Stream;
	*cseq = meta->Sequence.Consumer;
	jsMsgMetaData_Destroy(meta);
	return *sseq != 0;
}

/*
 * Under mu. Whether this stream message follows the last one without a
 * hole. An ordered consumer numbers its deliveries 1, 2, 3...; a jump
 * means libnats dropped some (its buffer for the subscription was full:
 * it does not tell the consumer, and flow control did not hold the
 * server). A new consumer starts again at 1: fine from the start we asked
 * (expect_from); one libnats re-made by itself after dropping may start
 * past the drops, so its first message must follow the last one handled.
 */
static bool
tx_stream_follows(struct transport *t, uint64_t sseq, uint64_t cseq)
{
	bool ok;

	if (cseq == 1)
		ok = t->expect_from != 0 ? sseq >= t->expect_from :
		    t->max_sseq == 0 || sseq <= t->max_sseq + 1;
	else
		ok = t->last_cseq != 0 && cseq == t->last_cseq + 1;
	t->last_cseq = cseq;
	t->expect_from = 0;
	return ok;
}

/* Under mu. The stream is read again from the message after the last one
 * handled, by the daemon's thread once the queue has room
 * (tx_stream_catch_up); until then its messages are dropped, and the
 * position does not pass them. */
static void
tx_stream_fall_behind(struct transport *t)
{
	if (!t->stream_behind) {
		t->st.rereads++;
		tx_wake(t);	/* the daemon's next transport_poll catches up */
	}
	t->stream_behind = true;
}

static void
tx_stream_msg(struct transport *t, natsMsg *msg)
{
	int len = natsMsg_GetDataLength(msg);
	uint64_t sseq = 0, cseq = 0, d;
	struct tx_seen *e;

	if (!tx_stream_meta(msg, &sseq, &cseq)) {
		tx_count_error(t);
		natsMsg_Destroy(msg);
		return;
	}
	pthread_mutex_lock(&t->mu);
	if (t->closing || t->stream_behind || !tx_stream_follows(t, sseq, cseq)) {
		if (!t->closing)
			tx_stream_fall_behind(t);
		pthread_mutex_unlock(&t->mu);
		natsMsg_Destroy(msg);
		return;
	}
	pthread_mutex_unlock(&t->mu);
	if (!tx_len_ok(t, msg, len)) {
		/* Refused for good, yet handled: the position may pass it. */
		pthread_mutex_lock(&t->mu);
		if (sseq > t->max_sseq)
			t->max_sseq = sseq;
		pthread_mutex_unlock(&t->mu);
		natsMsg_Destroy(msg);
		return;
	}
	d = tx_digest(t, natsMsg_GetData(msg), (size_t)len);
	pthread_mutex_lock(&t->mu);
	e = tx_seen_find(t, d);
	bool needs_room = e == NULL || (e->sseq != 0 && e->sseq != sseq);
	if (needs_room && tx_full(t, len)) {
		/* The stream's copy may be the only one: not dropped, read
		 * again. (tx_stream_take stops at half full: only a queue
		 * filled by the fast path between two of its checks.) */
		tx_stream_fall_behind(t);
		pthread_mutex_unlock(&t->mu);
		natsMsg_Destroy(msg);
		return;
	}
	if (sseq > t->max_sseq)
		t->max_sseq = sseq;
	if (e == NULL) {
		e = tx_seen_add(t, d);
		e->sseq = sseq;
		if (tx_enqueue(t, msg, d, sseq) != 0)
			tx_seen_unlink(t, (int32_t)(e - t->seen));
	} else if (e->sseq != 0 && e->sseq != sseq) {
		/* The stream stored the same bytes twice (published again under
		 * another message id): a replay, for the daemon to refuse and
		 * count, as it would without the fast path. */
		tx_enqueue(t, msg, d, sseq);
	} else if (e->state == TX_SEEN_DONE || e->parked != NULL) {
		e->sseq = sseq;
		t->st.deduped++;
		tx_discard(t, msg);
	} else {
		e->sseq = sseq;
		e->parked = msg;
		e->parked_sseq = sseq;
		t->nparked++;
	}
	pthread_mutex_unlock(&t->mu);
}

/*
 * The ordered consumer's messages, taken at the start of each
 * transport_poll and at each tick. Nearly all are second copies, dropped
 * here; one the fast path missed waits at most until the next envelope or
 * tick. While the queue is half full they stay in libnats' buffer (past
 * t->stream_buffer messages libnats drops them: the stream is read again,
 * below), and transport_poll keeps the daemon's fd readable so that the
 * next turn takes more: a catch-up goes at the daemon's pace.
 */
bool
tx_take_sync(struct transport *t, natsSubscription *sub, int max,
    void (*take)(struct transport *, natsMsg *), int64_t *dropped)
{
	bool more = false;

	for (int k = 0; k < max; k++) {
		int pending = 0;
		natsMsg *msg = NULL;

		/* Not asked when empty: NextMsg would leave a NATS_TIMEOUT as
		 * this thread's last libnats error (tx_nats_err). */
		if (natsSubscription_GetPending(sub, &pending, NULL) != NATS_OK || pending == 0)
			break;
		pthread_mutex_lock(&t->mu);
		bool room = t->qlen < t->qmax / 2 && t->qbytes < QUEUE_BYTES_MAX / 2;
		pthread_mutex_unlock(&t->mu);
		more = !room || k + 1 == max;
		if (!room)
			break;
		natsStatus s = natsSubscription_NextMsg(&msg, sub, 0);
		if (s == NATS_SLOW_CONSUMER)
			continue;	/* in libnats' count of drops, below */
		if (s != NATS_OK)
			break;
		take(t, msg);
	}
	if (natsSubscription_GetDropped(sub, dropped) != NATS_OK)
		*dropped = 0;
	return more;
}

bool
tx_stream_take(struct transport *t)
{
	int64_t dropped = 0;

	if (t->sub == NULL)
		return false;
	bool more = tx_take_sync(t, t->sub, TRANSPORT_QUEUE_MAX, tx_stream_msg, &dropped);
	/* What libnats dropped (its buffer full) is a hole: the next message
	 * taken would not follow (tx_stream_follows), but there may be no
	 * next one. Read again from the last one handled. */
	if (dropped > t->stream_drops) {
		t->stream_drops = dropped;
		pthread_mutex_lock(&t->mu);
		tx_stream_fall_behind(t);
		pthread_mutex_unlock(&t->mu);
	}
	return more;
}

void
tx_release_all(struct transport *t)
{
	struct tx_node *n, *next, *queued;

	pthread_mutex_lock(&t->mu);
	t->closing = true;
	tx_discard_flush(t);
	queued = t->qhead;
	if (t->qlen > 0)
		tx_unwake(t);
	t->qhead = t->qtail = NULL;
	t->qlen = t->qbytes = 0;
	for (size_t i = 0; t->seen != NULL && i < TX_SEEN_MAX; i++)
		if (t->seen[i].parked != NULL) {
			natsMsg_Destroy(t->seen[i].parked);
			t->seen[i].parked = NULL;
		}
	t->nparked = 0;
	pthread_mutex_unlock(&t->mu);

	/* Nothing to give back: what was not acked is after the position,
	 * and the next open reads the stream from there. */
	for (n = queued; n != NULL; n = next) {
		next = n->next;
		natsMsg_Destroy(n->msg);
		free(n);
	}
	for (n = t->taken; n != NULL; n = next) {
		next = n->next;
		natsMsg_Destroy(n->msg);
		free(n);
	}
	t->taken = NULL;
}

int
transport_fd(const struct transport *t)
{
	return t->efd;
}

size_t
transport_poll(struct transport *t, struct transport_msg *out, size_t max)
{
	struct tx_node *n;
	size_t i;
	bool more = tx_stream_take(t);

	pthread_mutex_lock(&t->mu);
	for (i = 0; i < max && t->qhead != NULL; i++) {
		const char *subj;

		n = t->qhead;
		t->qhead = n->next;
		if (t->qhead == NULL)
			t->qtail = NULL;
		t->qlen--;
		t->qbytes -= (size_t)natsMsg_GetDataLength(n->msg);

		n->prev = NULL;
		n->next = t->taken;
		if (t->taken != NULL)
			t->taken->prev = n;
		t->taken = n;

		subj = natsMsg_GetSubject(n->msg);
		out[i].data = (const uint8_t *)natsMsg_GetData(n->msg);
		out[i].len = (size_t)natsMsg_GetDataLength(n->msg);
		out[i].commitment_subject = subj != NULL &&
		    strncmp(subj, t->kprefix, t->kprefix_len) == 0;
		if (out[i].commitment_subject)
			out[i].reporter = subj + t->kprefix_len;
		else
			out[i].reporter = (subj != NULL && strlen(subj) > t->prefix_len) ?
			    subj + t->prefix_len : "";
		out[i].handle = n;
		if (natsMsgHeader_Get(n->msg, "Nats-Msg-Id", &out[i].msgid) != NATS_OK ||
		    out[i].msgid == NULL)
			out[i].msgid = "";
	}
	bool behind = t->stream_behind && t->qlen <= t->qmax / 2;
	if (more && t->qlen == 0)
		tx_wake(t);
	else if (t->qlen == 0 && t->nresults == 0)
		tx_unwake(t);
	pthread_mutex_unlock(&t->mu);
	if (behind)
		tx_stream_catch_up(t);
	return i;
}

static struct tx_node *
tx_untake(struct transport *t, struct transport_msg *m)
{
	struct tx_node *n = m->handle;

	if (n == NULL)
		return NULL;
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		t->taken = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	memset(m, 0, sizeof(*m));
	return n;
}

void
transport_ack(struct transport *t, struct transport_msg *m)
{
	struct tx_node *n = tx_untake(t, m);
	struct tx_seen *e;

	if (n == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if ((e = tx_seen_find(t, n->digest)) != NULL) {
		e->state = TX_SEEN_DONE;
		if (e->parked != NULL) {
			tx_discard(t, e->parked);
			e->parked = NULL;
			t->nparked--;
			t->st.deduped++;
		}
	}
	t->st.acked++;
	tx_discard(t, n->msg);
	pthread_mutex_unlock(&t->mu);
	free(n);
}

void
transport_nak(struct transport *t, struct transport_msg *m)
{
	struct tx_node *n = tx_untake(t, m);
	struct tx_seen *e;

	if (n == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if (n->sseq != 0) {
		/* The ordered consumer does not deliver twice: the next open
		 * reads the stream again from before this message. */
		if (t->nak_floor == 0 || n->sseq < t->nak_floor)
			t->nak_floor = n->sseq;
	} else if ((e = tx_seen_find(t, n->digest)) != NULL) {
		/* A fast copy: the stream's copy counts instead, parked or to
		 * come. */
		if (e->parked != NULL)
			tx_seen_unpark(t, e);
		tx_seen_unlink(t, (int32_t)(e - t->seen));
	}
	pthread_mutex_unlock(&t->mu);
	natsMsg_Destroy(n->msg);
	free(n);
}

uint64_t
transport_position(const struct transport *t)
{
	struct transport *mt = (struct transport *)t;
	uint64_t low = 0;
	const struct tx_node *n;

	pthread_mutex_lock(&mt->mu);
	low = mt->max_sseq + 1;
	if (mt->nak_floor != 0 && mt->nak_floor < low)
		low = mt->nak_floor;
	/* Not in stream order: an unparked copy joins the queue's tail. */
	for (n = mt->qhead; n != NULL; n = n->next)
		if (n->sseq != 0 && n->sseq < low)
			low = n->sseq;
	for (n = mt->taken; n != NULL; n = n->next)
		if (n->sseq != 0 && n->sseq < low)
			low = n->sseq;
	for (size_t i = 0; mt->nparked > 0 && i < TX_SEEN_MAX; i++)
		if (mt->seen[i].parked != NULL && mt->seen[i].parked_sseq < low)
			low = mt->seen[i].parked_sseq;
	/* Before the first stream message, the position we started from. */
	uint64_t pos = mt->max_sseq == 0 ? mt->start_seq : low - 1;
	pthread_mutex_unlock(&mt->mu);
	return pos;
}
