/* onboard_nats.c - NATS calls of the coalition join (see onboard_nats.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coalition/identity.h"
#include "coalition/onboard.h"
#include "coalition/onboard_nats.h"

#define JOIN_MAX_AGE_NS (30LL * 86400 * 1000000000LL)
#define REQUEST_WAIT_MS 3000

static natsStatus
onb_sign(char **custom_err, unsigned char **sig, int *siglen, const char *nonce, void *closure)
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

static const char *
onb_nats_err(natsStatus s)
{
	const char *last = nats_GetLastError(NULL);

	return (last != NULL && last[0] != '\0') ? last : natsStatus_GetText(s);
}

void
onb_member_inbox(const uint8_t *pk, char *out, size_t n)
{
	char hex[ID_TOKEN_TEXT];

	identity_token(pk, hex);
	snprintf(out, n, "_A5M.%s", hex);
}

natsConnection *
onb_connect(const char *const *urls, size_t nurls, const struct nkey *k, const char *inbox_prefix,
    const char *tls_ca, char *err, size_t errlen)
{
	natsConnection *nc = NULL;
	natsOptions *o = NULL;
	natsStatus s = natsOptions_Create(&o);

	if (s == NATS_OK)
		s = natsOptions_SetServers(o, (const char **)urls, (int)nurls);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, "article5 coalition");
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(o, false);
	if (s == NATS_OK && inbox_prefix != NULL)
		s = natsOptions_SetCustomInboxPrefix(o, inbox_prefix);
	if (s == NATS_OK && k != NULL)
		s = natsOptions_SetNKey(o, k->pub, onb_sign, (void *)k);
	if (s == NATS_OK && tls_ca != NULL) {
		s = natsOptions_SetSecure(o, true);
		if (s == NATS_OK)
			s = natsOptions_LoadCATrustedCertificates(o, tls_ca);
	}
	/* invite, join and admit reload nats-server, which for a moment
	 * answers a login with an authorization error (seen in onboard.sh;
	 * libnats reports it under more than one status): a few tries, 200 ms
	 * apart, before a failure is the answer. */
	for (int tries = 0; s == NATS_OK; tries++) {
		s = natsConnection_Connect(&nc, o);
		if (s == NATS_OK || tries == 4)
			break;
		nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
		s = NATS_OK;
	}
	if (s != NATS_OK) {
		snprintf(err, errlen, "connect to %s%s: %s", urls[0], nurls > 1 ? " (and the others)" : "",
		    onb_nats_err(s));
		nc = NULL;
	}
	natsOptions_Destroy(o);
	return nc;
}

void
onb_close(natsConnection *nc)
{
	if (nc == NULL)
		return;
	natsConnection_Close(nc);
	natsConnection_Destroy(nc);
}

int
onb_join_stream_ensure(natsConnection *nc, const char *coalition, int replicas, char *err,
    size_t errlen)
{
	char stream[CHARTER_NAME_MAX + 8], subj[CHARTER_NAME_MAX + 16];
	const char *subjects[1] = { subj };
	jsStreamInfo *si = NULL;
	jsStreamConfig c;
	jsErrCode jerr = 0;
	jsCtx *js = NULL;
	natsStatus s;
	int rc = -1;

	if (onb_join_stream(coalition, stream, sizeof(stream)) != 0)
		goto out;
	snprintf(subj, sizeof(subj), "a5.%s.j.>", coalition);
	if ((s = natsConnection_JetStream(&js, nc, NULL)) != NATS_OK) {
		snprintf(err, errlen, "JetStream: %s", onb_nats_err(s));
		goto out;
	}
	s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
	if (s == NATS_OK) {
		rc = 0;
		goto out;
	}
	jsStreamConfig_Init(&c);
	c.Name = stream;
	c.Description = "article5 coalition joins";
	c.Subjects = subjects;
	c.SubjectsLen = 1;
	c.Storage = js_FileStorage;
	c.Retention = js_LimitsPolicy;
	c.MaxMsgsPerSubject = 1;
	c.MaxMsgSize = ONB_MSG_MAX;
	c.MaxAge = JOIN_MAX_AGE_NS;
	c.AllowDirect = true;
	c.Replicas = replicas > 0 ? replicas : 1;
	jerr = 0;
	s = js_AddStream(NULL, js, &c, NULL, &jerr);
	if (s != NATS_OK) {
		snprintf(err, errlen, "create stream %s: %s (JetStream error %d; is JetStream on in "
		    "nats-server? Only the coalition's administrator may create it: 'article5 "
		    "coalition streams' where 'coalition init' ran)", stream, onb_nats_err(s), (int)jerr);
		goto out;
	}
	rc = 0;
out:
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	return rc;
}

int
onb_last(natsConnection *nc, const char *stream, const char *subject, uint8_t **buf, size_t *len,
    char *err, size_t errlen)
{
	char api[2 * ONB_SUBJECT_MAX];
	natsMsg *m = NULL;
	const char *status = NULL;
	natsStatus s;
	int n;

	*buf = NULL;
	*len = 0;
	/* "last message of this subject" with the subject in the API subject
	 * (nats-server 2.9): a permission can allow exactly this read. */
	snprintf(api, sizeof(api), "$JS.API.DIRECT.GET.%s.%s", stream, subject);
	s = natsConnection_Request(&m, nc, api, NULL, 0, REQUEST_WAIT_MS);
	if (s != NATS_OK) {
		snprintf(err, errlen, "read %s: %s", subject, onb_nats_err(s));
		return -1;
	}
	if (natsMsgHeader_Get(m, "Status", &status) == NATS_OK && status != NULL) {
		int found = strcmp(status, "404") == 0 ? 0 : -1;
		if (found < 0)
			snprintf(err, errlen, "read %s: status %s", subject, status);
		natsMsg_Destroy(m);
		return found;
	}
	n = natsMsg_GetDataLength(m);
	if (n <= 0 || n > ONB_MSG_MAX || (*buf = malloc((size_t)n)) == NULL) {
		snprintf(err, errlen, "read %s: %d bytes", subject, n);
		natsMsg_Destroy(m);
		return n == 0 ? 0 : -1;
	}
	memcpy(*buf, natsMsg_GetData(m), (size_t)n);
	*len = (size_t)n;
	natsMsg_Destroy(m);
	return 1;
}

int
onb_put(natsConnection *nc, const char *subject, const void *data, size_t len, char *err,
    size_t errlen)
{
	natsMsg *m = NULL;
	natsStatus s;
	const char *reply;

	s = natsConnection_Request(&m, nc, subject, data, (int)len, REQUEST_WAIT_MS);
	if (s != NATS_OK) {
		snprintf(err, errlen, "publish %s: %s", subject, onb_nats_err(s));
		return -1;
	}
	reply = natsMsg_GetData(m);
	/* JetStream's PubAck: {"stream":...,"seq":N}, or {"error":...} */
	if (reply == NULL || strstr(reply, "\"error\"") != NULL || strstr(reply, "\"seq\"") == NULL) {
		snprintf(err, errlen, "publish %s: not stored: %.200s", subject, reply ? reply : "");
		natsMsg_Destroy(m);
		return -1;
	}
	natsMsg_Destroy(m);
	return 0;
}
