/* forge.c - test helper for tests/e2e/byzantine.sh: crafts coalition
 * envelopes a well-behaved member never sends and publishes them, raw, on
 * the coalition's JetStream stream. Not part of article5; built by the test:
 *
 *   gcc -std=gnu11 -D_GNU_SOURCE -Isrc tests/e2e/forge.c src/coalition/wire.c \
 *       src/coalition/identity.c src/common/(every .c) -lnats -lsodium -o forge
 *
 * usage: forge -s URL -c COALITION COMMAND ...
 *   report -k KEY -S STATE [-n COUNT] [-t TTL] [-a AGE] [-f AHEAD] [-x OTHER] [-F] [-I MSGID] PREFIX
 *        COUNT envelopes of one report each, signed with KEY, chained from the
 *        STATE file ("seq hexhash"; missing = before the first report) which is
 *        updated after each publish. With COUNT > 1 the address is incremented
 *        per envelope (IPv4 only). -t ttl (default 3600 s); -a AGE: timestamp
 *        AGE seconds in the past; -f AHEAD: timestamp AHEAD seconds in the
 *        future (a clock ahead, or a member asking for a longer ban);
 *        -x OTHER: signed for coalition OTHER;
 *        -F: flip one byte of the signature after signing (STATE untouched,
 *        sequence 1: the envelope never reaches the chain check; nor does
 *        one for another coalition, so -x leaves STATE alone too);
 *        -I MSGID: published under MSGID instead of the link's own id
 *        (receivers refuse it before the chain check: STATE stays).
 *   revoke -k KEY -S STATE [-n COUNT] PREFIX
 *        COUNT revocations ("AR") signed with KEY, chained from STATE like
 *        report's, each revoking the link before it (number - 1, whose hash
 *        is its prev: its origin's row of an older report of PREFIX is then
 *        lifted) of PREFIX, the address incremented per revocation (IPv4).
 *   replay -k KEY|-p PUBKEYFILE
 *        fetches the last envelope on that member's subject and publishes the
 *        very same bytes again under a fresh message id.
 *   fork -k KEY [-R] PREFIX
 *        fetches the last envelope on KEY's subject, keeps its first report's
 *        sequence number and prev hash, puts PREFIX in it, signs it with KEY
 *        (a real member equivocating) and publishes it. -R: signs instead a
 *        revocation ("AR") under that number and prev, revoking the link
 *        before it (number - 1, whose hash is prev) of PREFIX: a report and
 *        a revocation under one number (that report must not be #1).
 *   proof -k KEY [-P PUBKEY_KEYFILE] [-n SEQ] [-same] [-R] PREFIX_A PREFIX_B
 *        signs two envelopes with KEY holding different reports (PREFIX_A,
 *        PREFIX_B) numbered SEQ (default 1000000), never publishes them, and
 *        publishes only the equivocation proof ("AP") made of the two, on
 *        the subject of the key in PUBKEY_KEYFILE's key file (default KEY's).
 *        -same: both reports for PREFIX_A, identical (an invalid proof).
 *        -R: the second is a revocation numbered SEQ, of PREFIX_B.
 *   raw -k KEY FILE  publishes FILE's bytes as they are on KEY's subject.
 *   dump -k KEY|-p PUBKEYFILE
 *        prints every report of the envelopes on that member's subject, in
 *        stream order: "stream=N seq=N prefix=P" (bench/crash counts
 *        reports published twice with it).
 *   info             prints the stream's "replicas=N messages=N".
 *   token -k KEY     prints the subject token of KEY (hex of 8 key bytes).
 * Prints one line per published message:
 *   published subject=... msgid=... seq=N prefix=P stream_seq=N [duplicate]
 * Exit 0, or 1 with a message on stderr. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>
#include <sodium.h>

#include "coalition/identity.h"
#include "coalition/wire.h"
#include "common/addr.h"

static const char *url = "nats://127.0.0.1:4222";
static const char *coalition;
static natsConnection *nc;
static jsCtx *js;

static void
die(const char *fmt, const char *a)
{
	fprintf(stderr, "forge: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(1);
}

static void
connect_js(void)
{
	natsStatus s;

	if (nc != NULL)
		return;
	if ((s = natsConnection_ConnectTo(&nc, url)) != NATS_OK)
		die("connect: %s", natsStatus_GetText(s));
	if ((s = natsConnection_JetStream(&js, nc, NULL)) != NATS_OK)
		die("jetstream: %s", natsStatus_GetText(s));
}

static void
token_of(const uint8_t pk[ID_PUBLIC_BYTES], char out[17])
{
	sodium_bin2hex(out, 17, pk, 8);
}

static void
subject_of(const uint8_t pk[ID_PUBLIC_BYTES], char *out, size_t n)
{
	char tok[17];

	token_of(pk, tok);
	snprintf(out, n, "a5.%s.r.%s", coalition, tok);
}

static void
publish(const uint8_t pk[ID_PUBLIC_BYTES], const uint8_t *buf, size_t len, const char *msgid,
    const struct wire_report *r)
{
	char subject[160], text[A5_PREFIX_STRLEN] = "-";
	jsPubOptions po;
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	connect_js();
	subject_of(pk, subject, sizeof(subject));
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	po.MaxWait = 3000;
	s = js_Publish(&pa, js, subject, buf, (int)len, &po, &jerr);
	if (s != NATS_OK) {
		fprintf(stderr, "forge: publish on %s: %s (JetStream error %d)\n", subject,
		    natsStatus_GetText(s), (int)jerr);
		exit(1);
	}
	if (r != NULL)
		prefix_format(&r->prefix, text, sizeof(text));
	printf("published subject=%s msgid=%s seq=%" PRIu64 " prefix=%s stream_seq=%" PRIu64 "%s\n",
	    subject, msgid, r ? r->seq : 0, text, pa ? pa->Sequence : 0,
	    pa && pa->Duplicate ? " duplicate" : "");
	fflush(stdout);
	jsPubAck_Destroy(pa);
}

static void
load_key(const char *path, struct identity *id)
{
	char err[256];

	if (identity_load(path, id, err, sizeof(err)) != 0)
		die("%s", err);
}

static void
load_pub(const char *path, uint8_t pk[ID_PUBLIC_BYTES])
{
	char line[128];
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(line, sizeof(line), f) == NULL)
		die("cannot read %s", path);
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (identity_pk_from_text(line, pk) != 0)
		die("%s: not a public key", path);
}

static void
state_load(const char *path, uint64_t *seq, uint8_t head[WIRE_HASH_BYTES])
{
	char hexh[2 * WIRE_HASH_BYTES + 2];
	unsigned long long s;
	size_t bl;
	FILE *f = fopen(path, "r");

	*seq = 0;
	memset(head, 0, WIRE_HASH_BYTES);
	if (f == NULL)
		return;
	if (fscanf(f, "%llu %65s", &s, hexh) != 2 ||
	    sodium_hex2bin(head, WIRE_HASH_BYTES, hexh, strlen(hexh), NULL, &bl, NULL) != 0 ||
	    bl != WIRE_HASH_BYTES)
		die("%s: bad state", path);
	fclose(f);
	*seq = s;
}

static void
state_save(const char *path, uint64_t seq, const uint8_t head[WIRE_HASH_BYTES])
{
	char hexh[2 * WIRE_HASH_BYTES + 1];
	FILE *f = fopen(path, "w");

	if (f == NULL)
		die("cannot write %s", path);
	sodium_bin2hex(hexh, sizeof(hexh), head, WIRE_HASH_BYTES);
	fprintf(f, "%llu %s\n", (unsigned long long)seq, hexh);
	fclose(f);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
fill_report(struct wire_report *r, const struct a5_prefix *p, uint32_t ttl, uint64_t age)
{
	uint64_t now = now_us();

	memset(r, 0, sizeof(*r));
	r->timestamp_us = now - age * 1000000u;
	r->prefix = *p;
	snprintf(r->service, sizeof(r->service), "sshd");
	snprintf(r->rule, sizeof(r->rule), "forged");
	r->evidence = 3;
	r->first_seen = r->last_seen = r->timestamp_us / 1000000u;
	r->ttl = ttl;
}

/* The next IPv4 address after p's (p a single address or a prefix whose
 * host bits are zero: -n with a /32 is what the tests use). */
static void
prefix_next4(struct a5_prefix *p)
{
	if (p->family != A5_AF_INET)
		die("%s", "-n > 1 needs an IPv4 address");
	uint32_t a = ((uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
	    (uint32_t)p->addr[2] << 8 | p->addr[3]) + 1;
	p->addr[0] = (uint8_t)(a >> 24);
	p->addr[1] = (uint8_t)(a >> 16);
	p->addr[2] = (uint8_t)(a >> 8);
	p->addr[3] = (uint8_t)a;
}

static int
cmd_report(int argc, char **argv)
{
	const char *key = NULL, *state = NULL, *other = NULL, *idover = NULL;
	unsigned long count = 1, ttl = 3600, age = 0, ahead = 0;
	int flip = 0, c;
	struct identity id;
	struct a5_prefix p;
	static struct wire_envelope e;
	static uint8_t buf[WIRE_ENVELOPE_MAX];
	uint64_t seq;
	uint8_t head[WIRE_HASH_BYTES];
	char msgid[WIRE_LINK_MSGID_MAX + 32];

	optind = 1;
	while ((c = getopt(argc, argv, "k:S:n:t:a:f:x:FI:")) != -1) {
		switch (c) {
		case 'I': idover = optarg; break;
		case 'k': key = optarg; break;
		case 'S': state = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 't': ttl = strtoul(optarg, NULL, 10); break;
		case 'a': age = strtoul(optarg, NULL, 10); break;
		case 'f': ahead = strtoul(optarg, NULL, 10); break;
		case 'x': other = optarg; break;
		case 'F': flip = 1; break;
		default: return 2;
		}
	}
	if (key == NULL || optind != argc - 1 || count == 0 || count > 10000)
		die("%s", "report -k KEY -S STATE [-n COUNT] [-t TTL] [-a AGE] [-f AHEAD] [-x OTHER] [-F] [-I MSGID] PREFIX");
	if (state == NULL && !flip)
		die("%s", "report: -S STATE is required (except with -F)");
	if (prefix_parse(argv[optind], strlen(argv[optind]), &p) != 0)
		die("bad prefix %s", argv[optind]);
	load_key(key, &id);
	if (flip) {
		seq = 0;
		memset(head, 0, sizeof(head));
	} else
		state_load(state, &seq, head);
	for (unsigned long i = 0; i < count; i++) {
		memset(&e, 0, sizeof(e));
		wire_coalition_id(other ? other : coalition, e.coalition);
		memcpy(e.reporter, id.pk, ID_PUBLIC_BYTES);
		e.nreports = 1;
		fill_report(&e.reports[0], &p, (uint32_t)ttl, age);
		e.reports[0].timestamp_us += (uint64_t)ahead * 1000000u;
		e.reports[0].seq = seq + 1;
		memcpy(e.reports[0].prev, head, WIRE_HASH_BYTES);
		size_t len = wire_encode(&e, &id, buf, sizeof(buf));
		if (len == 0)
			die("%s", "wire_encode refused the report");
		/* the id members publish under (receivers refuse another); the
		 * refused cases below are refused before it is looked at */
		wire_link_msgid(id.pk, "", e.reports[0].seq, buf, len, msgid, sizeof(msgid));
		if (flip) {
			buf[len - 1] ^= 0x5a;	/* last byte of the signature */
			snprintf(msgid + strlen(msgid), sizeof(msgid) - strlen(msgid), "-flip-%llu",
			    (unsigned long long)now_us());
		} else if (other != NULL)
			snprintf(msgid + strlen(msgid), sizeof(msgid) - strlen(msgid), "-x-%llu",
			    (unsigned long long)now_us());
		else if (idover != NULL)
			snprintf(msgid, sizeof(msgid), "%s", idover);
		publish(id.pk, buf, len, msgid, &e.reports[0]);
		/* refused before the chain check: the reporter's chain stays */
		if (!flip && other == NULL && idover == NULL) {
			wire_report_hash(&e.reports[0], id.pk, head);
			seq++;
			state_save(state, seq, head);
		}
		if (count > 1)
			prefix_next4(&p);
	}
	identity_wipe(&id);
	return 0;
}

/* The last envelope on pk's subject, decoded; its bytes in raw/rawlen.
 * Other messages share the subject (commitments "AC", proofs "AP",
 * charter updates "AG"): the stream is walked back from its end, at most
 * 100000 messages. */
static void
fetch_last(const uint8_t pk[ID_PUBLIC_BYTES], struct wire_envelope *e, uint8_t *raw, size_t *rawlen)
{
	char subject[160];
	char stream[96];
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	enum wire_status ws;

	connect_js();
	subject_of(pk, subject, sizeof(subject));
	snprintf(stream, sizeof(stream), "A5_%s", coalition);
	if (js_GetStreamInfo(&si, js, stream, NULL, &jerr) != NATS_OK)
		die("no stream %s", stream);
	uint64_t first = si->State.FirstSeq, q = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	for (unsigned steps = 0; q >= first && q != 0 && steps < 100000; q--, steps++) {
		natsMsg *m = NULL;
		jerr = 0;
		if (js_GetMsg(&m, js, stream, q, NULL, &jerr) != NATS_OK)
			continue;
		int len = natsMsg_GetDataLength(m);
		if (strcmp(natsMsg_GetSubject(m), subject) != 0 || len < 2 || len > WIRE_ENVELOPE_MAX ||
		    wire_kind((const uint8_t *)natsMsg_GetData(m), (size_t)len) != WIRE_KIND_ENVELOPE) {
			natsMsg_Destroy(m);
			continue;
		}
		*rawlen = (size_t)len;
		memcpy(raw, natsMsg_GetData(m), *rawlen);
		natsMsg_Destroy(m);
		if ((ws = wire_decode(raw, *rawlen, e)) != WIRE_OK)
			die("last envelope does not decode: %s", wire_status_text(ws));
		return;
	}
	die("%s", "no envelope on the stream for that member");
}

static int
cmd_replay(int argc, char **argv)
{
	const char *key = NULL, *pub = NULL;
	uint8_t pk[ID_PUBLIC_BYTES];
	static struct wire_envelope e;
	static uint8_t raw[WIRE_ENVELOPE_MAX];
	size_t len;
	char msgid[64];
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "k:p:")) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'p': pub = optarg; break;
		default: return 2;
		}
	}
	if (key != NULL) {
		struct identity id;
		load_key(key, &id);
		memcpy(pk, id.pk, sizeof(pk));
		identity_wipe(&id);
	} else if (pub != NULL)
		load_pub(pub, pk);
	else
		die("%s", "replay -k KEY | -p PUBFILE");
	fetch_last(pk, &e, raw, &len);
	snprintf(msgid, sizeof(msgid), "replay-%llu", (unsigned long long)now_us());
	publish(pk, raw, len, msgid, &e.reports[0]);
	return 0;
}

/* A revocation signed by id at seq (after prev) of its own link
 * revoked_seq (hash revoked) for prefix p. Length, or 0. */
static size_t
sign_revocation(const struct identity *id, uint64_t seq, const uint8_t prev[WIRE_HASH_BYTES],
    uint64_t revoked_seq, const uint8_t revoked[WIRE_HASH_BYTES], const struct a5_prefix *p,
    uint8_t *buf, size_t cap)
{
	struct wire_revocation v;

	memset(&v, 0, sizeof(v));
	wire_coalition_id(coalition, v.coalition);
	memcpy(v.reporter, id->pk, ID_PUBLIC_BYTES);
	memcpy(v.origin, id->pk, ID_PUBLIC_BYTES);
	v.seq = seq;
	memcpy(v.prev, prev, WIRE_HASH_BYTES);
	v.timestamp_us = now_us();
	v.revoked_seq = revoked_seq;
	memcpy(v.revoked_hash, revoked, WIRE_HASH_BYTES);
	v.prefix = *p;
	return wire_revocation_encode(&v, id, buf, cap);
}

static int
cmd_revoke(int argc, char **argv)
{
	const char *key = NULL, *state = NULL;
	unsigned long count = 1;
	struct identity id;
	struct a5_prefix p;
	static uint8_t buf[WIRE_REVOKE_MAX];
	uint64_t seq;
	uint8_t head[WIRE_HASH_BYTES];
	char msgid[WIRE_LINK_MSGID_MAX];
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "k:S:n:")) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'S': state = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (key == NULL || state == NULL || optind != argc - 1 || count == 0 || count > 10000)
		die("%s", "revoke -k KEY -S STATE [-n COUNT] PREFIX");
	if (prefix_parse(argv[optind], strlen(argv[optind]), &p) != 0)
		die("bad prefix %s", argv[optind]);
	load_key(key, &id);
	state_load(state, &seq, head);
	if (seq == 0)
		die("%s: no link yet: a revocation names an earlier one", state);
	for (unsigned long i = 0; i < count; i++) {
		struct wire_revocation v;
		char text[A5_PREFIX_STRLEN];
		size_t len = sign_revocation(&id, seq + 1, head, seq, head, &p, buf, sizeof(buf));
		if (len == 0 || wire_revocation_decode(buf, len, &v) != WIRE_OK)
			die("%s", "wire_revocation_encode refused the revocation");
		/* the id members publish under (receivers refuse another) */
		wire_link_msgid(id.pk, "r", seq + 1, buf, len, msgid, sizeof(msgid));
		publish(id.pk, buf, len, msgid, NULL);
		prefix_format(&p, text, sizeof(text));
		printf("revocation seq=%llu revokes=%llu prefix=%s\n", (unsigned long long)seq + 1,
		    (unsigned long long)seq, text);
		wire_revocation_hash(&v, head);
		seq++;
		state_save(state, seq, head);
		if (count > 1)
			prefix_next4(&p);
	}
	identity_wipe(&id);
	return 0;
}

static int
cmd_fork(int argc, char **argv)
{
	const char *key = NULL;
	struct identity id;
	struct a5_prefix p;
	static struct wire_envelope e;
	static uint8_t raw[WIRE_ENVELOPE_MAX], buf[WIRE_ENVELOPE_MAX];
	size_t rawlen, len;
	char msgid[64];
	int c, revoke = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "k:R")) != -1) {
		if (c == 'k')
			key = optarg;
		else if (c == 'R')
			revoke = 1;
		else
			return 2;
	}
	if (key == NULL || optind != argc - 1)
		die("%s", "fork -k KEY [-R] PREFIX");
	if (prefix_parse(argv[optind], strlen(argv[optind]), &p) != 0)
		die("bad prefix %s", argv[optind]);
	load_key(key, &id);
	fetch_last(id.pk, &e, raw, &rawlen);
	if (revoke) {
		const struct wire_report *r = &e.reports[0];
		if (r->seq < 2)
			die("%s", "fork -R: the last envelope's report is #1: nothing before it to revoke");
		if ((len = sign_revocation(&id, r->seq, r->prev, r->seq - 1, r->prev, &p, buf,
		    sizeof(buf))) == 0)
			die("%s", "wire_revocation_encode refused the forked revocation");
		snprintf(msgid, sizeof(msgid), "forkr-%llu", (unsigned long long)now_us());
		publish(id.pk, buf, len, msgid, NULL);
		printf("revocation seq=%llu revokes=%llu prefix=%s\n", (unsigned long long)r->seq,
		    (unsigned long long)(r->seq - 1), argv[optind]);
		identity_wipe(&id);
		return 0;
	}
	e.nreports = 1;		/* its first report, same seq and prev ... */
	e.reports[0].prefix = p;	/* ... other content */
	e.reports[0].timestamp_us = now_us();
	if ((len = wire_encode(&e, &id, buf, sizeof(buf))) == 0)
		die("%s", "wire_encode refused the forked report");
	snprintf(msgid, sizeof(msgid), "fork-%llu", (unsigned long long)now_us());
	publish(id.pk, buf, len, msgid, &e.reports[0]);
	identity_wipe(&id);
	return 0;
}

static size_t
sign_one(const struct identity *id, const struct a5_prefix *p, uint64_t seq, uint64_t ts,
    uint8_t *buf, size_t cap)
{
	static struct wire_envelope e;

	memset(&e, 0, sizeof(e));
	wire_coalition_id(coalition, e.coalition);
	memcpy(e.reporter, id->pk, ID_PUBLIC_BYTES);
	e.nreports = 1;
	fill_report(&e.reports[0], p, 3600, 0);
	e.reports[0].timestamp_us = ts;
	e.reports[0].seq = seq;
	return wire_encode(&e, id, buf, cap);
}

static int
cmd_proof(int argc, char **argv)
{
	const char *key = NULL, *via = NULL;
	struct identity id, relay;
	struct a5_prefix pa, pb;
	static uint8_t a[WIRE_ENVELOPE_MAX], b[WIRE_ENVELOPE_MAX], proof[WIRE_PROOF_MAX];
	unsigned long long seq = 1000000;
	int same = 0, prefixes = 0, revoke = 0;
	char msgid[64];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "-P") == 0 && i + 1 < argc)
			via = argv[++i];
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			seq = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-same") == 0)
			same = 1;
		else if (strcmp(argv[i], "-R") == 0)
			revoke = 1;
		else if (i + 2 == argc) {
			if (prefix_parse(argv[i], strlen(argv[i]), &pa) != 0 ||
			    prefix_parse(argv[i + 1], strlen(argv[i + 1]), &pb) != 0)
				die("%s", "bad prefix");
			prefixes = 1;
			i++;
		} else
			die("unexpected argument %s", argv[i]);
	}
	if (key == NULL || seq == 0 || !prefixes)
		die("%s", "proof -k KEY [-P KEYFILE] [-n SEQ] [-same] [-R] PREFIX_A PREFIX_B");
	if (revoke && seq < 2)
		die("%s", "proof -R: SEQ must be 2 or more (a revocation names an earlier link)");
	load_key(key, &id);
	load_key(via ? via : key, &relay);
	uint64_t ts = now_us();
	static const uint8_t zero[WIRE_HASH_BYTES];
	size_t alen = sign_one(&id, &pa, seq, ts, a, sizeof(a));
	size_t blen = revoke ? sign_revocation(&id, seq, zero, seq - 1, zero, &pb, b, sizeof(b)) :
	    sign_one(&id, same ? &pa : &pb, seq, ts, b, sizeof(b));
	size_t len = wire_proof_encode(seq, a, alen, b, blen, proof, sizeof(proof));
	if (alen == 0 || blen == 0 || len == 0)
		die("%s", "encoding the proof failed");
	snprintf(msgid, sizeof(msgid), "proof-%llu", (unsigned long long)now_us());
	publish(relay.pk, proof, len, msgid, NULL);
	identity_wipe(&id);
	identity_wipe(&relay);
	return 0;
}

static int
cmd_raw(int argc, char **argv)
{
	struct identity id;
	static uint8_t buf[1 << 20];
	char msgid[64];
	FILE *f;
	size_t len;

	if (argc != 4 || strcmp(argv[1], "-k") != 0)
		die("%s", "raw -k KEY FILE");
	if ((f = fopen(argv[3], "rb")) == NULL)
		die("cannot open %s", argv[3]);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	load_key(argv[2], &id);
	snprintf(msgid, sizeof(msgid), "raw-%llu", (unsigned long long)now_us());
	publish(id.pk, buf, len, msgid, NULL);
	identity_wipe(&id);
	return 0;
}

static int
cmd_dump(int argc, char **argv)
{
	uint8_t pk[ID_PUBLIC_BYTES];
	char subject[160], stream[96];
	static struct wire_envelope e;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;

	if (argc != 3 || (strcmp(argv[1], "-k") != 0 && strcmp(argv[1], "-p") != 0))
		die("%s", "dump -k KEY | -p PUBFILE");
	if (argv[1][1] == 'k') {
		struct identity id;
		load_key(argv[2], &id);
		memcpy(pk, id.pk, sizeof(pk));
		identity_wipe(&id);
	} else
		load_pub(argv[2], pk);
	connect_js();
	subject_of(pk, subject, sizeof(subject));
	snprintf(stream, sizeof(stream), "A5_%s", coalition);
	if (js_GetStreamInfo(&si, js, stream, NULL, &jerr) != NATS_OK)
		die("no stream %s", stream);
	uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	for (uint64_t q = first; q <= last && q != 0; q++) {
		natsMsg *m = NULL;
		jerr = 0;
		if (js_GetMsg(&m, js, stream, q, NULL, &jerr) != NATS_OK)
			continue;	/* deleted */
		if (strcmp(natsMsg_GetSubject(m), subject) == 0 &&
		    wire_decode((const uint8_t *)natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m),
		    &e) == WIRE_OK) {
			for (size_t i = 0; i < e.nreports; i++) {
				char text[A5_PREFIX_STRLEN];
				prefix_format(&e.reports[i].prefix, text, sizeof(text));
				printf("stream=%" PRIu64 " seq=%" PRIu64 " prefix=%s\n", q,
				    e.reports[i].seq, text);
			}
		}
		natsMsg_Destroy(m);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int c, rc;

	if (sodium_init() < 0)
		die("%s", "sodium_init failed");
	while ((c = getopt(argc, argv, "+s:c:")) != -1) {
		switch (c) {
		case 's': url = optarg; break;
		case 'c': coalition = optarg; break;
		default:
			fprintf(stderr, "usage: forge -s URL -c COALITION report|revoke|replay|fork|proof|raw|dump|info|token ...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: forge -s URL -c COALITION report|revoke|replay|fork|proof|raw|dump|info|token ...\n");
		return 2;
	}
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "token") == 0) {
		struct identity id;
		char tok[17];
		if (argc != 3 || strcmp(argv[1], "-k") != 0)
			die("%s", "token -k KEY");
		load_key(argv[2], &id);
		token_of(id.pk, tok);
		printf("%s\n", tok);
		return 0;
	}
	if (coalition == NULL)
		die("%s", "-c COALITION is required");
	if (strcmp(argv[0], "report") == 0)
		rc = cmd_report(argc, argv);
	else if (strcmp(argv[0], "revoke") == 0)
		rc = cmd_revoke(argc, argv);
	else if (strcmp(argv[0], "replay") == 0)
		rc = cmd_replay(argc, argv);
	else if (strcmp(argv[0], "fork") == 0)
		rc = cmd_fork(argc, argv);
	else if (strcmp(argv[0], "proof") == 0)
		rc = cmd_proof(argc, argv);
	else if (strcmp(argv[0], "raw") == 0)
		rc = cmd_raw(argc, argv);
	else if (strcmp(argv[0], "dump") == 0)
		rc = cmd_dump(argc, argv);
	else if (strcmp(argv[0], "info") == 0) {
		char stream[96];
		jsStreamInfo *si = NULL;
		jsErrCode jerr = 0;
		connect_js();
		snprintf(stream, sizeof(stream), "A5_%s", coalition);
		if (js_GetStreamInfo(&si, js, stream, NULL, &jerr) != NATS_OK)
			die("no stream %s", stream);
		printf("replicas=%lld messages=%" PRIu64 "\n", (long long)si->Config->Replicas,
		    si->State.Msgs);
		jsStreamInfo_Destroy(si);
		rc = 0;
	}
	else
		die("unknown command %s", argv[0]);
	if (nc != NULL) {
		natsConnection_FlushTimeout(nc, 2000);
		jsCtx_Destroy(js);
		natsConnection_Destroy(nc);
	}
	nats_Close();
	return rc;
}
