/* natsprobe.c - test helper for tests/e2e/nats-perms.sh: logs in to
 * nats-server with one nkey (a member's, or the coalition's administrator)
 * and tries one JetStream operation on the coalition stream, saying
 * whether the server let it through. Debian 12 ships no `nats` CLI, so the
 * test needs this. Not part of article5; built by the test:
 *
 *   gcc -std=gnu11 -D_GNU_SOURCE -Isrc tests/e2e/natsprobe.c \
 *       src/coalition/nkey.c -lnats -lsodium -o natsprobe
 *
 * usage: natsprobe -s URL -c COALITION -N NKEYFILE COMMAND ...
 *   pub SUBJECT TEXT      JetStream publish; "stored stream_seq=N"
 *   purge                 purge stream A5_<c>
 *   delete                delete stream A5_<c>
 *   update                shorten A5_<c>'s retention (and duplicate window) to
 *                         1 s and MaxMsgs to 1
 *   dupwindow SECONDS     set A5_<c>'s duplicate window (nothing else)
 *   create NAME SUBJECT   create stream NAME capturing SUBJECT
 *   delconsumer NAME      delete consumer NAME of A5_<c>
 *   info                  "msgs=N max_age_s=N max_msgs=N replicas=N consumers=N"
 *   cinfo NAME            "consumer NAME pending=N" if consumer NAME exists
 *   last SUBJECT          the data of the last message on SUBJECT
 *   grep TEXT             "matches=N of=M": how many of the M messages in
 *                         the stream hold exactly TEXT
 *   recv DURABLE WAIT_MS  creates this durable (push, deliver subject
 *                         a5.<c>.d.DURABLE, the coalition's filter),
 *                         prints "received SUBJECT DATA" for each message
 *                         within WAIT_MS and acks it
 * Exit: 0 done, 3 refused or failed (a line "refused: ..." saying why, with
 * "permission violation" when the server sent one), 4 no such stream,
 * consumer or message, 1 usage or connection error. */
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
static volatile bool violation;

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

static void
on_error(natsConnection *c, natsSubscription *sub, natsStatus err, void *closure)
{
	(void)c;
	(void)sub;
	(void)closure;
	if (err == NATS_NOT_PERMITTED)
		violation = true;
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
	if (violation && nc != NULL)
		natsConnection_GetLastError(nc, &txt);
	else
		txt = nats_GetLastError(NULL);
	printf("refused: %s: %s (JetStream error %d)%s%s%s\n", what, natsStatus_GetText(s), (int)jerr,
	    violation ? "; permission violation" : "", txt != NULL && *txt ? ": " : "",
	    txt != NULL ? txt : "");
	return 3;
}

static int
usage(void)
{
	fprintf(stderr, "usage: natsprobe -s URL -c COALITION -N NKEYFILE pub|purge|delete|update|"
	    "dupwindow|create|delconsumer|info|cinfo|last|grep|recv ...\n");
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

static int
cmd_recv(const char *durable, int wait_ms)
{
	char deliver[256], filter[256];
	jsConsumerConfig cc;
	natsSubscription *sub = NULL;
	jsErrCode jerr = 0;
	natsMsg *m = NULL;
	natsStatus s;
	int rc, n = 0;

	snprintf(deliver, sizeof(deliver), "a5.%s.d.%s", coalition, durable);
	snprintf(filter, sizeof(filter), "a5.%s.r.>", coalition);
	jsConsumerConfig_Init(&cc);
	cc.Durable = durable;
	cc.DeliverSubject = deliver;
	cc.DeliverPolicy = js_DeliverAll;
	cc.AckPolicy = js_AckExplicit;
	cc.FilterSubject = filter;
	if ((rc = verdict("consumer create", js_AddConsumer(NULL, js, stream, &cc, NULL, &jerr), jerr)) != 0)
		return rc;
	if ((rc = verdict("subscribe", natsConnection_SubscribeSync(&sub, nc, deliver), 0)) != 0)
		return rc;
	while ((s = natsSubscription_NextMsg(&m, sub, wait_ms)) == NATS_OK) {
		printf("received %s %.*s\n", natsMsg_GetSubject(m), natsMsg_GetDataLength(m),
		    natsMsg_GetData(m));
		if (natsMsg_GetReply(m) != NULL)
			natsConnection_PublishString(nc, natsMsg_GetReply(m), "+ACK");
		natsMsg_Destroy(m);
		n++;
	}
	natsConnection_Flush(nc);
	natsSubscription_Destroy(sub);
	printf("%d received\n", n);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *url = NULL, *keyfile = NULL;
	char err[256];
	natsOptions *o = NULL;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus s;
	int c, rc;

	while ((c = getopt(argc, argv, "+s:c:N:")) != -1) {
		switch (c) {
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
	    (s = natsOptions_SetTimeout(o, 2000)) != NATS_OK) {
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
			printf("consumer %s pending=%llu\n", argv[1], (unsigned long long)ci->NumPending);
		jsConsumerInfo_Destroy(ci);
	} else if (strcmp(argv[0], "last") == 0 && argc == 2) {
		natsMsg *m = NULL;
		rc = verdict("last message", js_GetLastMsg(&m, js, stream, argv[1], NULL, &jerr), jerr);
		if (rc == 0)
			printf("%.*s\n", natsMsg_GetDataLength(m), natsMsg_GetData(m));
		natsMsg_Destroy(m);
	} else if (strcmp(argv[0], "grep") == 0 && argc == 2) {
		rc = cmd_grep(argv[1]);
	} else if (strcmp(argv[0], "recv") == 0 && argc == 3) {
		rc = cmd_recv(argv[1], (int)strtol(argv[2], NULL, 10));
	} else
		return usage();
	fflush(stdout);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(o);
	nkey_wipe(&key);
	return rc;
}
