/* natsprobe.c - test helper for tests/e2e/nats-perms.sh: logs in to
 * nats-server with one nkey (a member's, or the coalition's administrator)
 * and tries one operation on the coalition stream or its subjects, saying
 * whether the server let it through. Debian 12 ships no `nats` CLI, so the
 * test needs this. Not part of article5; built by the test:
 *
 *   gcc -std=gnu11 -D_GNU_SOURCE -Isrc tests/e2e/natsprobe.c \
 *       src/coalition/nkey.c -lnats -lsodium -o natsprobe
 *
 * usage: natsprobe -s URL -c COALITION -N NKEYFILE [-I INBOX_PREFIX] COMMAND ...
 *   -I                    the connection's inbox prefix (replies, ordered
 *                         consumer deliveries): a member's is _A5M.<hex>
 *   pub SUBJECT TEXT      JetStream publish; "stored stream_seq=N"
 *   purge                 purge stream A5_<c>
 *   delete                delete stream A5_<c>
 *   update                shorten A5_<c>'s retention (and duplicate window) to
 *                         1 s and MaxMsgs to 1
 *   dupwindow SECONDS     set A5_<c>'s duplicate window (nothing else)
 *   create NAME SUBJECT   create stream NAME capturing SUBJECT
 *   delconsumer NAME      delete consumer NAME of A5_<c>
 *   info                  "msgs=N max_age_s=N max_msgs=N replicas=N consumers=N"
 *   consumers             "consumer NAME durable=D pending=N" for each
 *                         consumer of A5_<c>, then "N consumers"
 *   cinfo NAME            "consumer NAME durable=D pending=N" if it exists
 *   last SUBJECT          the data of the last message on SUBJECT
 *   grep TEXT             "matches=N of=M": how many of the M messages in
 *                         the stream hold exactly TEXT
 *   ordered WAIT_MS [SEQ] reads A5_<c> (filter a5.<c>.r.>) through a libnats
 *                         ordered consumer, as the transport does, from
 *                         sequence SEQ (default: all); prints "received
 *                         SUBJECT DATA" for each message within WAIT_MS, then
 *                         "N received"; unsubscribing deletes the consumer
 *   cpub SUBJECT DATA     core NATS publish (no stream), then a round trip:
 *                         refused when the server answered a violation
 *   sub SUBJECT WAIT_MS   core NATS subscription: "received SUBJECT DATA" for
 *                         each message within WAIT_MS (after a line "ready"
 *                         once the server took the subscription), "N received"
 *   request SUBJECT JSON  a raw request (JetStream API); prints the reply,
 *                         refused when it holds an "error"
 * Exit: 0 done, 3 refused or failed (a line "refused: ..." saying why, with
 * "permission violation" and the server's text when it sent one), 4 no such
 * stream, consumer or message, 1 usage or connection error. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>
#include <sodium.h>

#include "coalition/nkey.h"

#define WAIT_MS 2000	/* a refused JetStream request times out: keep it short */

static const char *coalition;
static char stream[128];
static natsConnection *nc;
static jsCtx *js;
static struct nkey key;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* Under mu: the server's permission violations (libnats' error callback
 * thread), and the messages a subscription got. */
static bool violation;
static char violation_text[1024];
static int received;

static natsStatus
sign_cb(char **custom_err, unsigned char **sig, int *siglen, const char *nonce, void *closure)
{
	unsigned char *s = malloc(64);

	(void)custom_err;
	(void)closure;
	if (s == NULL)
		return NATS_NO_MEMORY;
	nkey_sign_nonce(&key, nonce, s);
	*sig = s;
	*siglen = 64;
	return NATS_OK;
}

/* Keeps the text of every violation ("Permissions Violation for Publish
 * to ..."), so the test can tell a refused publish from a refused
 * subscription. */
static void
on_error(natsConnection *c, natsSubscription *sub, natsStatus err, void *closure)
{
	const char *txt = NULL;
	size_t len;

	(void)sub;
	(void)closure;
	if (err != NATS_NOT_PERMITTED)
		return;
	natsConnection_GetLastError(c, &txt);
	pthread_mutex_lock(&mu);
	violation = true;
	len = strlen(violation_text);
	if (txt != NULL && len + strlen(txt) + 3 < sizeof(violation_text))
		snprintf(violation_text + len, sizeof(violation_text) - len, "%s%s", len > 0 ? "; " : "",
		    txt);
	pthread_mutex_unlock(&mu);
}

static bool
violated(void)
{
	bool v;

	pthread_mutex_lock(&mu);
	v = violation;
	pthread_mutex_unlock(&mu);
	return v;
}

/* libnats 3.4.1 keeps the server's last -ERR as the connection's last
 * error, set by its reader thread before it reads what follows; its error
 * callback runs on another thread, later, or (for a refused subscription)
 * not at all. Both are looked at. */
static void
note_last_error(void)
{
	const char *txt = NULL;

	if (nc == NULL || natsConnection_GetLastError(nc, &txt) != NATS_NOT_PERMITTED)
		return;
	pthread_mutex_lock(&mu);
	if (!violation && txt != NULL)
		snprintf(violation_text, sizeof(violation_text), "%s", txt);
	violation = true;
	pthread_mutex_unlock(&mu);
}

/* 0 done; otherwise prints why and returns 3 (4: not found). */
static int
verdict(const char *what, natsStatus s, jsErrCode jerr)
{
	const char *txt = NULL;

	if (s == NATS_OK)
		return 0;
	if (s == NATS_NOT_FOUND) {
		printf("not found: %s\n", what);
		return 4;
	}
	note_last_error();
	pthread_mutex_lock(&mu);
	if (!violation)
		txt = nats_GetLastError(NULL);
	printf("refused: %s: %s (JetStream error %d)%s%s%s\n", what, natsStatus_GetText(s), (int)jerr,
	    violation ? "; permission violation: " : "", violation ? violation_text : "",
	    txt != NULL && *txt ? txt : "");
	pthread_mutex_unlock(&mu);
	return 3;
}

/* A refused subscription is only known once the server answered: a flush
 * (a round trip) makes sure its -ERR, if any, was read. */
static int
sub_verdict(const char *what)
{
	natsStatus s = natsConnection_Flush(nc);

	note_last_error();
	if (s == NATS_OK && violated())
		s = NATS_NOT_PERMITTED;
	return verdict(what, s, 0);
}

static int
usage(void)
{
	fprintf(stderr, "usage: natsprobe -s URL -c COALITION -N NKEYFILE [-I INBOX_PREFIX] pub|purge|"
	    "delete|update|dupwindow|create|delconsumer|info|consumers|cinfo|last|grep|ordered|sub|"
	    "cpub|request ...\n");
	return 1;
}

static int
cmd_info(void)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
	int rc = verdict("stream info", s, jerr);

	if (rc == 0) {
		printf("msgs=%llu max_age_s=%lld max_msgs=%lld replicas=%d consumers=%lld\n",
		    (unsigned long long)si->State.Msgs, (long long)(si->Config->MaxAge / 1000000000LL),
		    (long long)si->Config->MaxMsgs, (int)si->Config->Replicas,
		    (long long)si->State.Consumers);
		jsStreamInfo_Destroy(si);
	}
	return rc;
}

static int
cmd_dupwindow(const char *secs)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig c;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
	int rc;

	if ((rc = verdict("stream info", s, jerr)) != 0)
		return rc;
	c = *si->Config;
	c.Duplicates = strtoll(secs, NULL, 10) * 1000000000LL;
	jerr = 0;
	rc = verdict("stream update", js_UpdateStream(NULL, js, &c, NULL, &jerr), jerr);
	jsStreamInfo_Destroy(si);
	return rc;
}

static int
cmd_update(void)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig c;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
	int rc;

	if ((rc = verdict("stream info", s, jerr)) != 0)
		return rc;
	c = *si->Config;
	c.MaxAge = 1000000000LL;
	c.Duplicates = c.MaxAge;	/* the server wants it within MaxAge */
	c.MaxMsgs = 1;
	jerr = 0;
	rc = verdict("stream update", js_UpdateStream(NULL, js, &c, NULL, &jerr), jerr);
	jsStreamInfo_Destroy(si);
	return rc;
}

static int
cmd_grep(const char *text)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	uint64_t first, last, n = 0, of = 0;
	int rc = verdict("stream info", js_GetStreamInfo(&si, js, stream, NULL, &jerr), jerr);

	if (rc != 0)
		return rc;
	first = si->State.FirstSeq;
	last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	/* bounded: the test's stream holds a handful of messages */
	for (uint64_t seq = first; seq <= last && seq - first < 100000; seq++) {
		natsMsg *m = NULL;
		jerr = 0;
		if (js_GetMsg(&m, js, stream, seq, NULL, &jerr) != NATS_OK)
			continue;	/* deleted, or gone meanwhile */
		of++;
		if ((size_t)natsMsg_GetDataLength(m) == strlen(text) &&
		    memcmp(natsMsg_GetData(m), text, strlen(text)) == 0)
			n++;
		natsMsg_Destroy(m);
	}
	printf("matches=%llu of=%llu\n", (unsigned long long)n, (unsigned long long)of);
	return 0;
}

/* Prints "received SUBJECT DATA", DATA's bytes outside printable ASCII as
 * '.' (a signed envelope is binary), at most 2000 of them. */
static void
on_msg(natsConnection *c, natsSubscription *sub, natsMsg *m, void *closure)
{
	const char *d = natsMsg_GetData(m);
	int n = natsMsg_GetDataLength(m);

	(void)c;
	(void)sub;
	(void)closure;
	pthread_mutex_lock(&mu);
	printf("received %s ", natsMsg_GetSubject(m));
	for (int i = 0; i < n && i < 2000; i++)
		putchar(d[i] >= 0x20 && d[i] < 0x7f ? d[i] : '.');
	putchar('\n');
	fflush(stdout);
	received++;
	pthread_mutex_unlock(&mu);
	natsMsg_Destroy(m);
}

static int
wait_and_count(natsSubscription *sub, int wait_ms)
{
	int n;

	nats_Sleep(wait_ms);
	natsSubscription_Unsubscribe(sub);	/* an ordered consumer: deletes it */
	natsConnection_Flush(nc);
	natsSubscription_Destroy(sub);
	pthread_mutex_lock(&mu);
	n = received;
	printf("%d received\n", n);
	pthread_mutex_unlock(&mu);
	return 0;
}

/* The transport's reading of the stream (src/coalition/transport.c): an
 * ordered consumer, ephemeral, no acks, flow control and heartbeats. */
static int
cmd_ordered(int wait_ms, const char *seq)
{
	char filter[256];
	jsSubOptions so;
	natsSubscription *sub = NULL;
	jsErrCode jerr = 0;
	int rc;

	snprintf(filter, sizeof(filter), "a5.%s.r.>", coalition);
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Ordered = true;
	so.Config.FilterSubject = filter;
	so.Config.Heartbeat = 1000000000LL;
	so.Config.ReplayPolicy = js_ReplayInstant;
	if (seq != NULL) {
		so.Config.DeliverPolicy = js_DeliverByStartSequence;
		so.Config.OptStartSeq = strtoull(seq, NULL, 10);
	} else {
		so.Config.DeliverPolicy = js_DeliverAll;
	}
	rc = verdict("ordered consumer", js_Subscribe(&sub, js, filter, on_msg, NULL, NULL, &so, &jerr),
	    jerr);
	if (rc == 0 && (rc = sub_verdict("ordered consumer's subscription")) != 0)
		natsSubscription_Destroy(sub);
	return rc != 0 ? rc : wait_and_count(sub, wait_ms);
}

static int
cmd_sub(const char *subject, int wait_ms)
{
	natsSubscription *sub = NULL;
	int rc;

	rc = verdict("subscribe", natsConnection_Subscribe(&sub, nc, subject, on_msg, NULL), 0);
	if (rc == 0 && (rc = sub_verdict("subscription")) != 0)
		natsSubscription_Destroy(sub);
	if (rc != 0)
		return rc;
	printf("ready\n");
	fflush(stdout);
	return wait_and_count(sub, wait_ms);
}

/* A refused publish is only known once the server answered: the flush
 * (a round trip) makes sure its -ERR, if any, was read. */
static int
cmd_cpub(const char *subject, const char *data)
{
	int rc = verdict("publish", natsConnection_PublishString(nc, subject, data), 0);

	if (rc == 0)
		rc = sub_verdict("publish");
	if (rc == 0)
		printf("published\n");
	return rc;
}

static int
cmd_request(const char *subject, const char *json)
{
	natsMsg *reply = NULL;
	int rc = verdict("request", natsConnection_RequestString(&reply, nc, subject, json, WAIT_MS), 0);

	if (rc != 0)
		return rc;
	printf("reply %.*s\n", natsMsg_GetDataLength(reply), natsMsg_GetData(reply));
	if (memmem(natsMsg_GetData(reply), (size_t)natsMsg_GetDataLength(reply), "\"error\"", 7) != NULL) {
		printf("refused: the server answered with an error\n");
		rc = 3;
	}
	natsMsg_Destroy(reply);
	return rc;
}

static int
cmd_consumers(void)
{
	jsConsumerInfoList *l = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_Consumers(&l, js, stream, NULL, &jerr);
	int rc;

	if (s == NATS_NOT_FOUND) {	/* libnats' answer for none */
		printf("0 consumers\n");
		return 0;
	}
	if ((rc = verdict("consumer list", s, jerr)) != 0)
		return rc;
	for (int i = 0; i < l->Count; i++)
		printf("consumer %s durable=%s pending=%llu\n", l->List[i]->Name,
		    l->List[i]->Config->Durable != NULL ? l->List[i]->Config->Durable : "-",
		    (unsigned long long)l->List[i]->NumPending);
	printf("%d consumers\n", l->Count);
	jsConsumerInfoList_Destroy(l);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *url = NULL, *keyfile = NULL, *inbox = NULL;
	char err[256];
	natsOptions *o = NULL;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus s;
	int c, rc;

	while ((c = getopt(argc, argv, "+s:c:N:I:")) != -1) {
		switch (c) {
		case 'I': inbox = optarg; break;
		case 's': url = optarg; break;
		case 'c': coalition = optarg; break;
		case 'N': keyfile = optarg; break;
		default: return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (url == NULL || coalition == NULL || keyfile == NULL || argc < 1)
		return usage();
	if (sodium_init() < 0 || nkey_load(keyfile, &key, err, sizeof(err)) != 0) {
		fprintf(stderr, "natsprobe: %s\n", err);
		return 1;
	}
	snprintf(stream, sizeof(stream), "A5_%s", coalition);
	if ((s = natsOptions_Create(&o)) != NATS_OK || (s = natsOptions_SetURL(o, url)) != NATS_OK ||
	    (s = natsOptions_SetNKey(o, key.pub, sign_cb, NULL)) != NATS_OK ||
	    (s = natsOptions_SetErrorHandler(o, on_error, NULL)) != NATS_OK ||
	    (s = natsOptions_SetTimeout(o, 2000)) != NATS_OK ||
	    (inbox != NULL && (s = natsOptions_SetCustomInboxPrefix(o, inbox)) != NATS_OK)) {
		fprintf(stderr, "natsprobe: options: %s\n", natsStatus_GetText(s));
		return 1;
	}
	/* libnats 3.4.1 now and then sends its CONNECT without the nonce's
	 * signature (nats-server -D logs "Signature missing", about 1 login
	 * in 100 here): a few tries, as onboard_nats.c does. */
	for (int tries = 0; (s = natsConnection_Connect(&nc, o)) != NATS_OK && tries < 4; tries++)
		nats_Sleep(100);
	if (s != NATS_OK) {
		fprintf(stderr, "natsprobe: connect %s: %s\n", url, natsStatus_GetText(s));
		return 1;
	}
	jsOptions_Init(&jo);
	jo.Wait = WAIT_MS;
	if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK) {
		fprintf(stderr, "natsprobe: jetstream: %s\n", natsStatus_GetText(s));
		return 1;
	}
	if (strcmp(argv[0], "pub") == 0 && argc == 3) {
		jsPubAck *pa = NULL;
		jsPubOptions po;
		jsPubOptions_Init(&po);
		po.MaxWait = WAIT_MS;
		rc = verdict("publish", js_Publish(&pa, js, argv[1], argv[2], (int)strlen(argv[2]), &po,
		    &jerr), jerr);
		if (rc == 0)
			printf("stored stream_seq=%llu\n", (unsigned long long)pa->Sequence);
		jsPubAck_Destroy(pa);
	} else if (strcmp(argv[0], "purge") == 0 && argc == 1) {
		rc = verdict("stream purge", js_PurgeStream(js, stream, NULL, &jerr), jerr);
	} else if (strcmp(argv[0], "delete") == 0 && argc == 1) {
		rc = verdict("stream delete", js_DeleteStream(js, stream, NULL, &jerr), jerr);
	} else if (strcmp(argv[0], "update") == 0 && argc == 1) {
		rc = cmd_update();
	} else if (strcmp(argv[0], "dupwindow") == 0 && argc == 2) {
		rc = cmd_dupwindow(argv[1]);
	} else if (strcmp(argv[0], "create") == 0 && argc == 3) {
		jsStreamConfig sc;
		const char *subj[1] = { argv[2] };
		jsStreamConfig_Init(&sc);
		sc.Name = argv[1];
		sc.Subjects = subj;
		sc.SubjectsLen = 1;
		sc.Storage = js_FileStorage;
		rc = verdict("stream create", js_AddStream(NULL, js, &sc, NULL, &jerr), jerr);
	} else if (strcmp(argv[0], "delconsumer") == 0 && argc == 2) {
		rc = verdict("consumer delete", js_DeleteConsumer(js, stream, argv[1], NULL, &jerr), jerr);
	} else if (strcmp(argv[0], "info") == 0 && argc == 1) {
		rc = cmd_info();
	} else if (strcmp(argv[0], "cinfo") == 0 && argc == 2) {
		jsConsumerInfo *ci = NULL;
		rc = verdict("consumer info", js_GetConsumerInfo(&ci, js, stream, argv[1], NULL, &jerr), jerr);
		if (rc == 0)
			printf("consumer %s durable=%s pending=%llu\n", argv[1],
			    ci->Config->Durable != NULL ? ci->Config->Durable : "-",
			    (unsigned long long)ci->NumPending);
		jsConsumerInfo_Destroy(ci);
	} else if (strcmp(argv[0], "last") == 0 && argc == 2) {
		natsMsg *m = NULL;
		rc = verdict("last message", js_GetLastMsg(&m, js, stream, argv[1], NULL, &jerr), jerr);
		if (rc == 0)
			printf("%.*s\n", natsMsg_GetDataLength(m), natsMsg_GetData(m));
		natsMsg_Destroy(m);
	} else if (strcmp(argv[0], "grep") == 0 && argc == 2) {
		rc = cmd_grep(argv[1]);
	} else if (strcmp(argv[0], "consumers") == 0 && argc == 1) {
		rc = cmd_consumers();
	} else if (strcmp(argv[0], "ordered") == 0 && (argc == 2 || argc == 3)) {
		rc = cmd_ordered((int)strtol(argv[1], NULL, 10), argc == 3 ? argv[2] : NULL);
	} else if (strcmp(argv[0], "cpub") == 0 && argc == 3) {
		rc = cmd_cpub(argv[1], argv[2]);
	} else if (strcmp(argv[0], "sub") == 0 && argc == 3) {
		rc = cmd_sub(argv[1], (int)strtol(argv[2], NULL, 10));
	} else if (strcmp(argv[0], "request") == 0 && argc == 3) {
		rc = cmd_request(argv[1], argv[2]);
	} else
		return usage();
	fflush(stdout);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(o);
	nkey_wipe(&key);
	return rc;
}
