/* transport.c - the coalition over NATS: connection, the stream, the two subscriptions (receiving: transport_receive.c; publishing: transport_publish.c). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "coalition/nkey.h"
#include "coalition/transport.h"
#include "coalition/transport_int.h"
#include "coalition/wire.h"
#include "common/log.h"
#include "common/util.h"

_Static_assert(TRANSPORT_MSG_MAX >= WIRE_PROOF_MAX, "a proof (two envelopes) must fit in one message");

/*
 * Receiving (transport_receive.c): a core subscription to every member's
 * subject, and an ordered consumer of the stream from the position the
 * caller kept. A pull consumer fetched by our own thread was rejected:
 * Fetch(batch > 1) waits for the whole batch or its timeout, so either
 * latency or catch-up speed suffers, and it would add a thread of ours
 * next to libnats' own. A durable consumer per member was the first design:
 * at 100 members on a 3-node cluster its acks through Raft and the Raft
 * election after a killed server made the tail (docs/scale.md).
 */
#define STREAM_MAX_AGE_S	(7 * 24 * 3600)
#define STREAM_DUP_WINDOW_S	120		/* MsgId de-duplication window */
#define STREAM_MAX_BYTES	(1LL << 30)
#define API_WAIT_MS		5000		/* stream/consumer management requests */
/* A member's stream create or update: a NATS user without the right gets
 * no answer at all (a permission violation), and transport_open runs in
 * the daemon's loop, retried every 10 s while the stream is missing. */
#define MEMBER_ADMIN_WAIT_MS	1500
#define RECONNECT_DELAY_MIN_MS	250		/* after every URL failed: doubles ... */
#define RECONNECT_DELAY_MAX_MS	8000		/* ... up to this, plus up to 25% jitter */
#define PING_INTERVAL_MS	20000		/* a dead server is noticed within ~1 min */
#define PING_MAX_OUT		3
#define CLOSE_WAIT_MS		3000		/* drain, and libnats' last callbacks */
#define ORDERED_HEARTBEAT_MS	1000		/* a lost ordered consumer is re-made after 2 missed */
#define FAST_PENDING_MSGS	65536		/* libnats' buffer for the core subscription */
#define FAST_PENDING_BYTES	(64 << 20)
#define STREAM_PENDING_MSGS	65536		/* libnats' buffer for the ordered consumer */
#define STREAM_PENDING_BYTES	(64 << 20)
/* Commitments: one per member and period; read once a second. */
#define KSUB_PENDING_MSGS	4096		/* libnats' buffer per commitment subscription */
#define KSUB_PENDING_BYTES	(16 << 20)
#define KSUB_TAKE_MAX		1024		/* taken from one subscription per tick */
#define KSUB_FLUSH_MS		500		/* the server has the subscriptions */

#define SEC_TO_NS(s)		((int64_t)(s) * 1000000000LL)
#define MS_TO_NS(ms)		((int64_t)(ms) * 1000000LL)

static bool
tx_name_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= TRANSPORT_NAME_MAX - 1)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n > 0;
}

bool
tx_msgid_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= TRANSPORT_MSGID_MAX || s[n] <= ' ' || s[n] > '~')
			return false;
	return n > 0;
}

/* libnats keeps the last error text per thread; it says more than the status. */
const char *
tx_nats_err(natsStatus s)
{
	natsStatus last = NATS_OK;
	const char *txt = nats_GetLastError(&last);

	return (txt != NULL && *txt != '\0') ? txt : natsStatus_GetText(s);
}

void
tx_seterr(struct transport *t, const char *what, natsStatus s, jsErrCode jerr)
{
	if (jerr != 0)
		snprintf(t->errmsg, sizeof(t->errmsg), "%s: %s (JetStream error %d)",
		    what, tx_nats_err(s), (int)jerr);
	else
		snprintf(t->errmsg, sizeof(t->errmsg), "%s: %s", what, tx_nats_err(s));
}

void
tx_count_error(struct transport *t)
{
	pthread_mutex_lock(&t->mu);
	t->st.errors++;
	pthread_mutex_unlock(&t->mu);
}

void
tx_wake(struct transport *t)
{
	uint64_t one = 1;

	if (write(t->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_warn("transport: eventfd write");
}

void
tx_unwake(struct transport *t)
{
	uint64_t v;

	if (read(t->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("transport: eventfd read");
}

/* --- libnats threads ---------------------------------------------------- */

static void
tx_on_fast_complete(void *closure)
{
	struct transport *t = closure;

	pthread_mutex_lock(&t->mu);
	t->fast_done = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static void
tx_on_closed(natsConnection *nc, void *closure)
{
	struct transport *t = closure;

	(void)nc;
	pthread_mutex_lock(&t->mu);
	t->conn_closed = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static void
tx_on_disconnected(natsConnection *nc, void *closure)
{
	struct transport *t = closure;
	bool closing;

	(void)nc;
	pthread_mutex_lock(&t->mu);
	closing = t->closing;
	pthread_mutex_unlock(&t->mu);
	if (!closing)
		log_warnx("transport: %s: disconnected from NATS, reconnecting", t->stream);
}

static void
tx_on_reconnected(natsConnection *nc, void *closure)
{
	struct transport *t = closure;
	char url[256] = "?";

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	pthread_mutex_lock(&t->mu);
	t->st.reconnects++;
	pthread_mutex_unlock(&t->mu);
	log_info("transport: %s: reconnected to %s", t->stream, url);
	/* Resent first, then the daemon's loop woken: it may sleep with
	 * envelopes it could not publish while disconnected, and newer ones
	 * must follow the resent (transport_poll reads the wake back when
	 * nothing is queued). */
	tx_publish_resend(t);
	pthread_mutex_lock(&t->mu);
	if (!t->closing)
		tx_wake(t);
	pthread_mutex_unlock(&t->mu);
}

static void
tx_on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	struct transport *t = closure;

	(void)nc;
	(void)sub;
	pthread_mutex_lock(&t->mu);
	t->st.errors++;
	pthread_mutex_unlock(&t->mu);
	log_warnx("transport: %s: %s", t->stream, natsStatus_GetText(err));
}

/* Called after every URL failed; the library's own wait is then ignored. */
static int64_t
tx_reconnect_delay(natsConnection *nc, int attempts, void *closure)
{
	int64_t d = RECONNECT_DELAY_MIN_MS;
	int i;

	(void)nc;
	(void)closure;
	for (i = 1; i < attempts && d < RECONNECT_DELAY_MAX_MS; i++)
		d *= 2;
	if (d > RECONNECT_DELAY_MAX_MS)
		d = RECONNECT_DELAY_MAX_MS;
	return d + nats_Now() % (d / 4 + 1);
}

/* --- setup and teardown ------------------------------------------------- */

static void
tx_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits, up to ms, for *flag (set under mu by a libnats callback). */
static bool
tx_wait_flag(struct transport *t, const bool *flag, int ms)
{
	struct timespec ts;
	bool ok;

	tx_deadline(&ts, ms);
	pthread_mutex_lock(&t->mu);
	while (!*flag)
		if (pthread_cond_timedwait(&t->cond, &t->mu, &ts) == ETIMEDOUT)
			break;
	ok = *flag;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

/* Waits, up to ms, until no tx_on_pub_ack runs. */
static bool
tx_wait_pub_callbacks(struct transport *t, int ms)
{
	struct timespec ts;
	bool ok;

	tx_deadline(&ts, ms);
	pthread_mutex_lock(&t->mu);
	while (t->pub_callbacks > 0)
		if (pthread_cond_timedwait(&t->cond, &t->mu, &ts) == ETIMEDOUT)
			break;
	ok = t->pub_callbacks == 0;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

/* --- commitments: only the auditors read them ------------------------- */

/* The daemon's thread. Synchronous subscriptions have no callback: gone
 * once unsubscribed and destroyed, with what they held. */
static void
tx_unwatch_commitments(struct transport *t)
{
	t->kdropped_subs = 0;	/* counted per subscription, which go */
	for (size_t i = 0; i < t->nksubs; i++) {
		natsSubscription_Unsubscribe(t->ksubs[i]);
		natsSubscription_Destroy(t->ksubs[i]);
		t->ksubs[i] = NULL;
	}
	t->nksubs = 0;
}

int
transport_watch_commitments(struct transport *t, const char *const *tokens, size_t n, bool all)
{
	char subj[2 * TRANSPORT_NAME_MAX + 12];
	natsStatus s;

	tx_unwatch_commitments(t);
	if (!all && n > TRANSPORT_WATCH_MAX) {
		snprintf(t->errmsg, sizeof(t->errmsg), "watch commitments: %zu members (max %d)",
		    n, TRANSPORT_WATCH_MAX);
		return -1;
	}
	if (!all && n == 0)
		return 0;
	for (size_t i = 0; i < (all ? 1 : n); i++) {
		const char *tok = all ? "*" : tokens[i];

		if (!all && !tx_name_ok(tok)) {
			snprintf(t->errmsg, sizeof(t->errmsg), "watch commitments: bad member token `%.64s'",
			    tok != NULL ? tok : "");
			return -1;
		}
		snprintf(subj, sizeof(subj), "%s%s", t->kprefix, tok);
		s = natsConnection_SubscribeSync(&t->ksubs[t->nksubs], t->nc, subj);
		if (s == NATS_OK)
			s = natsSubscription_SetPendingLimits(t->ksubs[t->nksubs], KSUB_PENDING_MSGS,
			    KSUB_PENDING_BYTES);
		if (s != NATS_OK) {
			if (t->ksubs[t->nksubs] != NULL)
				t->nksubs++;
			tx_seterr(t, "watch commitments", s, 0);
			tx_unwatch_commitments(t);
			return -1;
		}
		t->nksubs++;
	}
	/* The server has them once it answered a ping: what is published
	 * from here on reaches them (a failure here is only later). */
	if (t->nksubs > 0)
		(void)natsConnection_FlushTimeout(t->nc, KSUB_FLUSH_MS);
	return 0;
}

/* tx_take_sync's hand-over for a commitment: as a fast-path message
 * (de-duplicated the same way; there is no stream copy to wait for). */
static void
tx_take_commitment(struct transport *t, natsMsg *msg)
{
	tx_on_fast_msg(t->nc, NULL, msg, t);
}

/* The daemon's thread, from transport_tick: what the commitment
 * subscriptions hold goes to the queue; a commitment has no other copy,
 * so a full queue leaves it in libnats' buffer for the next tick. A
 * subscription libnats overflowed says so once: counted. */
static void
tx_take_commitments(struct transport *t)
{
	uint64_t dropped = 0;

	for (size_t i = 0; i < t->nksubs; i++) {
		int64_t d = 0;
		tx_take_sync(t, t->ksubs[i], KSUB_TAKE_MAX, tx_take_commitment, &d);
		dropped += (uint64_t)d;
	}
	/* What libnats dropped (its buffer full): their authors' gaps around
	 * now are not theirs (coalition_commitments_tick). */
	pthread_mutex_lock(&t->mu);
	if (dropped > t->kdropped_subs) {
		t->st.commitments_dropped += dropped - t->kdropped_subs;
		t->kdropped_subs = dropped;
	}
	pthread_mutex_unlock(&t->mu);
}

/* Tears down whatever transport_open got to. Returns false if libnats might
 * still call back into t, which must then be leaked rather than freed. */
static bool
tx_teardown(struct transport *t)
{
	bool quiet = true;

	/* From here the callbacks drop what comes: the caller took
	 * transport_position before, and the next open reads the stream from
	 * there. */
	pthread_mutex_lock(&t->mu);
	t->closing = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
	/* Connected: drain closes each subscription once libnats has handed
	 * over what it holds, and the complete callbacks tell when ours
	 * returned for the last time. Disconnected, a drain would wait for a
	 * server that is not there: closing the connection below ends the
	 * subscriptions at once. */
	tx_unwatch_commitments(t);
	bool live = t->nc != NULL && natsConnection_Status(t->nc) == NATS_CONN_STATUS_CONNECTED;
	if (live) {
		if (t->fast != NULL && natsSubscription_Drain(t->fast) != NATS_OK)
			natsSubscription_Unsubscribe(t->fast);
		if (t->fast != NULL && !tx_wait_flag(t, &t->fast_done, CLOSE_WAIT_MS))
			log_warnx("transport: %s: fast-path drain timed out", t->stream);
		/* The stream's subscription calls nothing back: what it holds
		 * is after the position, read again by the next open. Its
		 * consumer is deleted now rather than when the server notices
		 * (a request: not while disconnected). */
		if (t->sub != NULL)
			natsSubscription_Unsubscribe(t->sub);
	}
	tx_release_all(t);
	if (live)
		natsConnection_FlushTimeout(t->nc, 1000);
	if (t->nc != NULL) {
		natsConnection_Close(t->nc);
		if (!tx_wait_flag(t, &t->conn_closed, CLOSE_WAIT_MS)) {
			log_warnx("transport: %s: connection close timed out", t->stream);
			quiet = false;
		}
	}
	if (t->fast != NULL && !tx_wait_flag(t, &t->fast_done, CLOSE_WAIT_MS))
		quiet = false;
	/* libnats' own reply subscription calls tx_on_pub_ack: none may be
	 * running when t is freed. */
	if (!tx_wait_pub_callbacks(t, CLOSE_WAIT_MS))
		quiet = false;
	natsSubscription_Destroy(t->fast);
	t->fast = NULL;
	natsSubscription_Destroy(t->sub);
	t->sub = NULL;
	jsCtx_Destroy(t->js);
	t->js = NULL;
	natsConnection_Destroy(t->nc);
	t->nc = NULL;
	if (t->efd >= 0)
		close(t->efd);
	t->efd = -1;
	return quiet;
}

static void
tx_free(struct transport *t)
{
	if (!tx_teardown(t)) {
		log_warnx("transport: libnats still holds callbacks; leaking its state");
		return;
	}
	if (t->sync_ok) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->mu);
	}
	nkey_wipe(&t->nkey);
	free(t->seen);
	free(t->buckets);
	free(t);
}

/* libnats' signature callback (natsOptions_SetNKey): the nonce the
 * server sent, signed with the member's nkey; libnats frees the buffer. */
static natsStatus
tx_sign_nonce(char **custom_err, unsigned char **sig, int *siglen, const char *nonce, void *closure)
{
	unsigned char *s = malloc(64);

	(void)custom_err;
	if (s == NULL)
		return NATS_NO_MEMORY;
	nkey_sign_nonce(closure, nonce, s);
	*sig = s;
	*siglen = 64;
	return NATS_OK;
}

static int
tx_connect(struct transport *t, const struct transport_config *cfg, char *err, size_t errlen)
{
	natsOptions *o = NULL;
	natsStatus s;
	char name[3 * TRANSPORT_NAME_MAX];
	const char *what = "options";
	int rc = -1;

	snprintf(name, sizeof(name), "article5 %s/%s", cfg->coalition, cfg->self);
	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetServers(o, (const char **)cfg->urls, (int)cfg->nurls);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, name);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetCustomReconnectDelay(o, tx_reconnect_delay, NULL);
	/* Published envelopes (sent without waiting, transport_publish.c) and
	 * acks leave at once instead of when libnats' flusher thread next
	 * runs: +0.6 ms p50, +3 ms p99 on bench/propagation without it. */
	if (s == NATS_OK)
		s = natsOptions_SetSendAsap(o, true);
	/* Replies and the ordered consumer's deliveries under a prefix of
	 * this member's own: its NATS user may subscribe there and nowhere
	 * else but the reports (onboard_conf.c), so no member reads another's
	 * replies. */
	if (s == NATS_OK)
		s = natsOptions_SetCustomInboxPrefix(o, t->inbox);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(o, PING_INTERVAL_MS);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(o, PING_MAX_OUT);
	/* A publish in flight when the link drops fails now, not after
	 * PUBLISH_WAIT_MS: the daemon keeps the envelope and retries. */
	if (s == NATS_OK)
		s = natsOptions_SetFailRequestsOnDisconnect(o, true);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(o, tx_on_disconnected, t);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(o, tx_on_reconnected, t);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(o, tx_on_closed, t);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(o, tx_on_error, t);
	if (s == NATS_OK && cfg->tls_ca != NULL) {
		what = "TLS CA file";
		s = natsOptions_SetSecure(o, true);
		if (s == NATS_OK)
			s = natsOptions_LoadCATrustedCertificates(o, cfg->tls_ca);
	}
	if (s == NATS_OK && cfg->creds_file != NULL) {
		what = "credentials file";
		s = natsOptions_SetUserCredentialsFromFiles(o, cfg->creds_file, NULL);
	}
	/* A bare nkey (nats-server's "authorization { users = [ { nkey: U... } ] }"):
	 * the caller read the seed (as root, before the worker drops its
	 * privileges); the nonce is signed with libsodium. */
	if (s == NATS_OK && cfg->nkey != NULL) {
		t->nkey = *cfg->nkey;
		what = "nkey";
		s = natsOptions_SetNKey(o, t->nkey.pub, tx_sign_nonce, &t->nkey);
	}
	if (s != NATS_OK) {
		snprintf(err, errlen, "NATS %s: %s", what, tx_nats_err(s));
		goto out;
	}
	s = natsConnection_Connect(&t->nc, o);
	if (s != NATS_OK) {
		snprintf(err, errlen, "connect to %s%s: %s", cfg->urls[0],
		    cfg->nurls > 1 ? " (and the other URLs)" : "", tx_nats_err(s));
		t->nc = NULL;
		goto out;
	}
	rc = 0;
out:
	natsOptions_Destroy(o);
	return rc;
}

static bool
tx_stream_has_subject(const jsStreamConfig *c, const char *subject)
{
	int i;

	for (i = 0; i < c->SubjectsLen; i++)
		if (c->Subjects[i] != NULL && strcmp(c->Subjects[i], subject) == 0)
			return true;
	return false;
}

/*
 * Creates the stream, or makes sure an existing one carries our subjects and
 * de-duplication window. An existing stream's other settings (replicas,
 * limits, placement) are the coalition operator's and are left alone.
 * In a coalition formed by 'article5 coalition init' only the administrator
 * identity may create or update the stream (docs/operating.md): a member
 * uses the stream as it finds it.
 */
static int
tx_stream_ensure(struct transport *t, char *err, size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig c;
	jsErrCode jerr = 0;
	jsOptions admin;
	const char *subjects[1] = { t->filter };
	const char **more = NULL;
	natsStatus s;
	int rc = -1;

	jsOptions_Init(&admin);
	admin.Wait = t->stream_admin ? API_WAIT_MS : MEMBER_ADMIN_WAIT_MS;
	s = js_GetStreamInfo(&si, t->js, t->stream, NULL, &jerr);
	if (s == NATS_NOT_FOUND) {
		jsStreamConfig_Init(&c);
		c.Name = t->stream;
		c.Description = "article5 coalition ban reports";
		c.Subjects = subjects;
		c.SubjectsLen = 1;
		c.Storage = js_FileStorage;
		c.Retention = js_LimitsPolicy;
		c.Discard = js_DiscardOld;
		c.MaxAge = SEC_TO_NS(STREAM_MAX_AGE_S);
		c.MaxBytes = STREAM_MAX_BYTES;
		c.MaxMsgSize = TRANSPORT_MSG_MAX;
		c.Duplicates = SEC_TO_NS(STREAM_DUP_WINDOW_S);
		c.Replicas = t->replicas;
		jerr = 0;
		s = js_AddStream(NULL, t->js, &c, &admin, &jerr);
		/* Another member may have created it meanwhile: same config. */
		if (s != NATS_OK && jerr == JSStreamNameExistErr)
			s = NATS_OK;
		if (s != NATS_OK) {
			/* A member's NATS user may not create it (a permission
			 * violation: the request times out): say who must. */
			snprintf(err, errlen, "stream %s does not exist and this NATS user could not "
			    "create it: %s (JetStream error %d); only the coalition's administrator "
			    "identity creates it: run 'article5 coalition streams' where 'coalition init' "
			    "ran (docs/operating.md)", t->stream, tx_nats_err(s), (int)jerr);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (s != NATS_OK || si == NULL || si->Config == NULL) {
		snprintf(err, errlen, "stream %s: info: %s (JetStream error %d)",
		    t->stream, tx_nats_err(s), (int)jerr);
		goto out;
	}
	t->stream_last = si->State.LastSeq;
	t->stream_created = si->Created;
	if (tx_stream_has_subject(si->Config, t->filter) &&
	    si->Config->Duplicates >= SEC_TO_NS(STREAM_DUP_WINDOW_S) &&
	    (si->Config->MaxMsgSize < 0 || si->Config->MaxMsgSize >= TRANSPORT_MSG_MAX) &&
	    si->Config->Replicas >= t->replicas) {
		rc = 0;
		goto out;
	}
	c = *si->Config;		/* shallow: valid while si lives */
	if (!tx_stream_has_subject(&c, t->filter)) {
		more = calloc((size_t)c.SubjectsLen + 1, sizeof(*more));
		if (more == NULL) {
			snprintf(err, errlen, "stream %s: out of memory", t->stream);
			goto out;
		}
		if (c.SubjectsLen > 0)
			memcpy(more, c.Subjects, (size_t)c.SubjectsLen * sizeof(*more));
		more[c.SubjectsLen] = t->filter;
		c.Subjects = more;
		c.SubjectsLen++;
	}
	if (c.Duplicates < SEC_TO_NS(STREAM_DUP_WINDOW_S))
		c.Duplicates = SEC_TO_NS(STREAM_DUP_WINDOW_S);
	/* Streams made before proofs travelled took 64 KiB messages. */
	if (c.MaxMsgSize >= 0 && c.MaxMsgSize < TRANSPORT_MSG_MAX)
		c.MaxMsgSize = TRANSPORT_MSG_MAX;
	/* More copies when the charter asks; never fewer (another member's
	 * older charter must not shrink what a newer one raised). */
	if (c.Replicas < t->replicas)
		c.Replicas = t->replicas;
	jerr = 0;
	s = js_UpdateStream(NULL, t->js, &c, &admin, &jerr);
	if (s != NATS_OK && !t->stream_admin && tx_stream_has_subject(si->Config, t->filter)) {
		/* A member may not update the stream (least privilege): the
		 * stream as it is carries our subjects, so use it, and leave the
		 * change to the administrator. Said once per process. */
		static bool told;
		if (!told)
			log_warnx("transport: stream %s differs from what this member expects (duplicate "
			    "window %ds, message size %d, replicas %d) and this NATS user could not update "
			    "it: %s (JetStream error %d); using it as it is; the coalition's administrator "
			    "updates it with 'article5 coalition streams'", t->stream, STREAM_DUP_WINDOW_S,
			    TRANSPORT_MSG_MAX, t->replicas, tx_nats_err(s), (int)jerr);
		told = true;
		rc = 0;
		goto out;
	}
	if (s != NATS_OK) {
		snprintf(err, errlen, "stream %s: update (subjects %s, duplicate window %ds, message size, replicas): %s (JetStream error %d)",
		    t->stream, t->filter, STREAM_DUP_WINDOW_S, tx_nats_err(s), (int)jerr);
		goto out;
	}
	log_info("transport: stream %s updated (subjects, duplicate window, message size, replicas)", t->stream);
	rc = 0;
out:
	free(more);
	jsStreamInfo_Destroy(si);
	return rc;
}

/*
 * The two subscriptions. The fast path first, so that nothing published
 * while the ordered consumer is being created is missed by both. The
 * ordered consumer is libnats' own (ephemeral, one copy, memory, no acks,
 * flow control, heartbeats): libnats re-creates it from the next sequence
 * when heartbeats stop (its server died) or a sequence is skipped. It is a
 * synchronous subscription, read by the daemon's thread (tx_stream_take):
 * its copies are nearly all of envelopes the fast path brought already,
 * and a delivery thread of libnats' own woken for each was about 6 % of a
 * receiver's CPU and 1.6 context switches per envelope on bench/rx-cost
 * (docs/bench.md, "2026-12-07 (the stream's copies)").
 */
static int
tx_subscribe(struct transport *t, char *err, size_t errlen)
{
	natsStatus s;

	s = natsConnection_Subscribe(&t->fast, t->nc, t->filter, tx_on_fast_msg, t);
	if (s == NATS_OK)
		s = natsSubscription_SetPendingLimits(t->fast, FAST_PENDING_MSGS, FAST_PENDING_BYTES);
	if (s == NATS_OK)
		s = natsSubscription_SetOnCompleteCB(t->fast, tx_on_fast_complete, t);
	if (s != NATS_OK) {
		snprintf(err, errlen, "subscribe to %s: %s", t->filter, tx_nats_err(s));
		if (t->fast == NULL)
			t->fast_done = true;
		return -1;
	}
	/* A stream made anew since the position was kept (its sequences start
	 * again at 1): read it all, also when it has grown past the position. */
	if (t->start_seq > 0 && t->start_created != 0 && t->stream_created != 0 &&
	    t->start_created != t->stream_created) {
		log_warnx("transport: stream %s was re-created since this member kept its position "
		    "%llu: reading it from the start", t->stream, (unsigned long long)t->start_seq);
		t->start_seq = 0;
	}
	/* A position past the stream's end: the stream was made anew too. */
	if (t->start_seq > t->stream_last) {
		if (t->stream_last > 0 || t->start_seq > 0)
			log_warnx("transport: stream %s ends at %llu, before this member's position %llu: "
			    "it was re-created; reading it from the start", t->stream,
			    (unsigned long long)t->stream_last, (unsigned long long)t->start_seq);
		t->start_seq = 0;
	}
	return tx_stream_subscribe(t, t->start_seq + 1, err, errlen);
}

int
tx_stream_subscribe(struct transport *t, uint64_t from, char *err, size_t errlen)
{
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;

	jsSubOptions_Init(&so);
	so.Stream = t->stream;
	so.Ordered = true;
	so.Config.FilterSubject = t->filter;
	so.Config.Heartbeat = MS_TO_NS(ORDERED_HEARTBEAT_MS);
	so.Config.ReplayPolicy = js_ReplayInstant;
	if (from > 1) {
		so.Config.DeliverPolicy = js_DeliverByStartSequence;
		so.Config.OptStartSeq = from;
	} else {
		so.Config.DeliverPolicy = js_DeliverAll;
	}
	pthread_mutex_lock(&t->mu);
	t->last_cseq = 0;
	t->expect_from = from;
	t->stream_behind = false;
	pthread_mutex_unlock(&t->mu);
	s = js_SubscribeSync(&t->sub, t->js, t->filter, NULL, &so, &jerr);
	if (s == NATS_OK)
		s = natsSubscription_SetPendingLimits(t->sub, t->stream_buffer, STREAM_PENDING_BYTES);
	if (s != NATS_OK) {
		snprintf(err, errlen, "stream %s: ordered consumer from #%llu: %s (JetStream error %d)",
		    t->stream, (unsigned long long)from, tx_nats_err(s), (int)jerr);
		if (t->sub != NULL) {
			natsSubscription_Unsubscribe(t->sub);
			natsSubscription_Destroy(t->sub);
			t->sub = NULL;
		}
		return -1;
	}
	t->stream_drops = 0;
	return 0;
}

#define CATCH_UP_RETRY_MS	1000

/* The daemon's thread. The old ordered consumer goes (with what it still
 * holds), a new one reads from the message after the last one handled. */
void
tx_stream_catch_up(struct transport *t)
{
	char err[256];
	uint64_t from;

	pthread_mutex_lock(&t->mu);
	if (!t->stream_behind || t->closing || nats_Now() < t->next_catch_up_ms) {
		pthread_mutex_unlock(&t->mu);
		return;
	}
	from = t->max_sseq + 1;
	pthread_mutex_unlock(&t->mu);
	if (t->sub != NULL) {
		natsSubscription_Unsubscribe(t->sub);
		natsSubscription_Destroy(t->sub);
		t->sub = NULL;
	}
	if (tx_stream_subscribe(t, from, err, sizeof(err)) != 0) {
		/* transport_tick tries again, every second */
		pthread_mutex_lock(&t->mu);
		t->stream_behind = true;
		t->next_catch_up_ms = nats_Now() + CATCH_UP_RETRY_MS;
		pthread_mutex_unlock(&t->mu);
		log_warnx("transport: %s; trying again in %d ms", err, CATCH_UP_RETRY_MS);
		return;
	}
	/* A slow catch-up falls behind again and again: said once per 10 s. */
	if (nats_Now() - t->last_catch_up_log_ms >= 10000) {
		t->last_catch_up_log_ms = nats_Now();
		log_info("transport: %s: fell behind the stream; reading it again from #%llu",
		    t->stream, (unsigned long long)from);
	}
}

static bool
tx_config_ok(const struct transport_config *cfg, char *err, size_t errlen)
{
	size_t i;

	if (cfg == NULL || cfg->urls == NULL || cfg->nurls == 0 || cfg->nurls > TRANSPORT_URLS_MAX) {
		snprintf(err, errlen, "transport: between 1 and %d NATS URLs expected", TRANSPORT_URLS_MAX);
		return false;
	}
	for (i = 0; i < cfg->nurls; i++)
		if (cfg->urls[i] == NULL || cfg->urls[i][0] == '\0') {
			snprintf(err, errlen, "transport: NATS URL %zu is empty", i + 1);
			return false;
		}
	if (!tx_name_ok(cfg->coalition)) {
		snprintf(err, errlen, "transport: coalition name `%s': 1 to %d of [A-Za-z0-9_-] expected",
		    cfg->coalition ? cfg->coalition : "", TRANSPORT_NAME_MAX - 1);
		return false;
	}
	if (!tx_name_ok(cfg->self)) {
		snprintf(err, errlen, "transport: member token `%s': 1 to %d of [A-Za-z0-9_-] expected",
		    cfg->self ? cfg->self : "", TRANSPORT_NAME_MAX - 1);
		return false;
	}
	if (cfg->stream_buffer < 0 || cfg->stream_buffer > STREAM_PENDING_MSGS) {
		snprintf(err, errlen, "transport: stream buffer %d out of range", cfg->stream_buffer);
		return false;
	}
	if (cfg->queue_max > TRANSPORT_QUEUE_MAX) {
		snprintf(err, errlen, "transport: queue size %zu out of range", cfg->queue_max);
		return false;
	}
	return true;
}

struct transport *
transport_open(const struct transport_config *cfg, char *err, size_t errlen)
{
	struct transport *t;
	pthread_condattr_t ca;
	jsOptions jo;
	natsStatus s;

	if (!tx_config_ok(cfg, err, errlen))
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "transport: out of memory");
		return NULL;
	}
	t->efd = -1;
	t->qmax = cfg->queue_max > 0 ? cfg->queue_max : TRANSPORT_QUEUE_MAX;
	t->stream_buffer = cfg->stream_buffer > 0 ? cfg->stream_buffer : STREAM_PENDING_MSGS;
	snprintf(t->stream, sizeof(t->stream), "A5_%s", cfg->coalition);
	snprintf(t->filter, sizeof(t->filter), "a5.%s.r.>", cfg->coalition);
	snprintf(t->subject, sizeof(t->subject), "a5.%s.r.%s", cfg->coalition, cfg->self);
	snprintf(t->kprefix, sizeof(t->kprefix), "a5.%s.k.", cfg->coalition);
	t->kprefix_len = strlen(t->kprefix);
	snprintf(t->csubject, sizeof(t->csubject), "a5.%s.k.%s", cfg->coalition, cfg->self);
	snprintf(t->inbox, sizeof(t->inbox), "_A5M.%s", cfg->self);
	t->start_seq = cfg->start_seq;
	t->start_created = cfg->start_created;
	t->replicas = cfg->replicas > 0 ? cfg->replicas : 1;
	t->stream_admin = cfg->stream_admin;
	t->prefix_len = strlen(t->filter) - 1;

	if (pthread_condattr_init(&ca) != 0) {
		snprintf(err, errlen, "transport: condattr init failed");
		free(t);
		return NULL;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&t->mu, NULL) != 0 || pthread_cond_init(&t->cond, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		snprintf(err, errlen, "transport: mutex init failed");
		free(t);		/* a failed init leaves nothing to destroy worth the bother */
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	t->sync_ok = true;

	if (tx_seen_init(t) != 0) {
		snprintf(err, errlen, "transport: out of memory");
		goto fail;
	}
	if ((t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "transport: eventfd: %s", strerror(errno));
		goto fail;
	}
	if (tx_connect(t, cfg, err, errlen) != 0)
		goto fail;
	jsOptions_Init(&jo);
	jo.Wait = API_WAIT_MS;
	jo.PublishAsync.AckHandler = tx_on_pub_ack;
	jo.PublishAsync.AckHandlerClosure = t;
	jo.PublishAsync.MaxPending = TRANSPORT_PUB_INFLIGHT;
	if ((s = natsConnection_JetStream(&t->js, t->nc, &jo)) != NATS_OK) {
		snprintf(err, errlen, "JetStream context: %s", tx_nats_err(s));
		t->js = NULL;
		goto fail;
	}
	if (tx_stream_ensure(t, err, errlen) != 0)
		goto fail;
	if (!cfg->publish_only && tx_subscribe(t, err, errlen) != 0)
		goto fail;
	log_debug("transport: stream %s read after %llu, publishing on %s",
	    t->stream, (unsigned long long)t->start_seq, t->subject);
	return t;
fail:
	tx_free(t);
	return NULL;
}

void
transport_close(struct transport *t)
{
	if (t != NULL)
		tx_free(t);
}

void
transport_library_close(void)
{
	natsStatus s = nats_CloseAndWait(CLOSE_WAIT_MS);

	if (s != NATS_OK)
		log_warnx("transport: libnats shutdown: %s", natsStatus_GetText(s));
}

/* --- the daemon's thread ------------------------------------------------ */

void
transport_tick(struct transport *t)
{
	pthread_mutex_lock(&t->mu);
	tx_discard_flush(t);
	pthread_mutex_unlock(&t->mu);
	tx_stream_catch_up(t);
	if (tx_stream_take(t))
		tx_wake(t);	/* the next turn takes more (transport_poll) */
	tx_take_commitments(t);
}

bool
transport_connected(const struct transport *t)
{
	return natsConnection_Status(t->nc) == NATS_CONN_STATUS_CONNECTED;
}

const struct transport_stats *
transport_get_stats(const struct transport *t)
{
	/* The counters move under libnats' threads: copy them under the
	 * mutex into a snapshot the caller can read at leisure. */
	struct transport *mt = (struct transport *)t;

	pthread_mutex_lock(&mt->mu);
	mt->snap = mt->st;
	pthread_mutex_unlock(&mt->mu);
	return &mt->snap;
}

const char *
transport_errmsg(const struct transport *t)
{
	return t->errmsg;
}

int64_t
transport_stream_created(const struct transport *t)
{
	return t->stream_created;
}
