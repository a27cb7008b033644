/* test_transport.c - coalition transport against a real nats-server: delivery on both paths, de-dup, catch-up from a position, restart, latency. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <nats/nats.h>

#include "testutil.h"

#include "coalition/transport.h"
#include "common/log.h"
#include "common/util.h"

/*
 * One nats-server for the whole run, a child of this process on 127.0.0.1 and
 * a random free port, with its store in a temporary directory. It is killed by
 * pid in the group teardown, from atexit, and by the kernel if we die
 * (PR_SET_PDEATHSIG). Each test uses its own coalition, hence its own stream.
 */
static struct {
	bool available;		/* nats-server is installed */
	pid_t pid;
	int port;
	char dir[64];
	char url[64];
	char log[128];
} srv;

#define PAYLOAD_MAX 64

/* Messages a test received: payload text and how often it came. */
struct inbox {
	char text[512][PAYLOAD_MAX];
	size_t n;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool
in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[512];

	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");

		if (n > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static bool
port_free(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;
	bool ok;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static bool
port_accepts(int port)
{
	struct sockaddr_in sa;
	int fd;
	bool ok;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void
server_stop(void)
{
	if (srv.pid > 0) {
		kill(srv.pid, SIGKILL);
		while (waitpid(srv.pid, NULL, 0) < 0 && errno == EINTR)
			;
		srv.pid = 0;
	}
}

/* Starts nats-server on srv.port with the store in srv.dir; 0 once it accepts. */
static int
server_start(void)
{
	char port[16];
	int64_t deadline;
	pid_t pid;

	snprintf(port, sizeof(port), "%d", srv.port);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int fd = open(srv.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", port,
		    "-js", "-sd", srv.dir, (char *)NULL);
		_exit(127);
	}
	srv.pid = pid;
	for (deadline = mono_ms() + 10000; mono_ms() < deadline; sleep_ms(20)) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			srv.pid = 0;		/* port taken, most likely */
			return -1;
		}
		if (port_accepts(srv.port))
			return 0;
	}
	server_stop();
	return -1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
server_cleanup(void)
{
	server_stop();
	if (srv.dir[0] != '\0') {
		nftw(srv.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		srv.dir[0] = '\0';
	}
}

static int
group_setup(void **state)
{
	int tries;

	(void)state;
	if (!(srv.available = in_path("nats-server")))
		return 0;
	snprintf(srv.dir, sizeof(srv.dir), "/tmp/a5-nats-XXXXXX");
	if (mkdtemp(srv.dir) == NULL) {
		srv.dir[0] = '\0';
		return -1;
	}
	snprintf(srv.log, sizeof(srv.log), "%s/server.log", srv.dir);
	atexit(server_cleanup);
	srand((unsigned)(getpid() ^ time(NULL)));
	for (tries = 0; tries < 20; tries++) {
		srv.port = 20000 + rand() % 20000;
		if (port_free(srv.port) && server_start() == 0) {
			snprintf(srv.url, sizeof(srv.url), "nats://127.0.0.1:%d", srv.port);
			return 0;
		}
	}
	fprintf(stderr, "could not start nats-server (see %s)\n", srv.log);
	return -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	server_cleanup();
	return 0;
}

#define NEED_SERVER()							\
	do {								\
		if (!srv.available) {					\
			print_message("nats-server not installed\n");	\
			skip();						\
		}							\
	} while (0)

static struct transport *
member_open_cfg(struct transport_config *cfg)
{
	static const char *urls[1];
	struct transport *t = NULL;
	char err[512];
	int64_t deadline = mono_ms() + 5000;

	urls[0] = srv.url;
	cfg->urls = urls;
	cfg->nurls = 1;
	/* JetStream may still be recovering after a restart. */
	while ((t = transport_open(cfg, err, sizeof(err))) == NULL && mono_ms() < deadline)
		sleep_ms(100);
	if (t == NULL)
		fail_msg("transport_open %s/%s: %s", cfg->coalition, cfg->self, err);
	return t;
}

static struct transport *
member_open(const char *coalition, const char *self, uint64_t start_seq)
{
	struct transport_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.coalition = coalition;
	cfg.self = self;
	cfg.start_seq = start_seq;
	return member_open_cfg(&cfg);
}

static void
publish(struct transport *t, const char *text, const char *msgid)
{
	if (transport_publish(t, (const uint8_t *)text, strlen(text), msgid) != 0)
		fail_msg("publish %s: %s", msgid, transport_errmsg(t));
}

static void
publish_n(struct transport *t, const char *tag, int from, int to)
{
	char text[PAYLOAD_MAX], id[PAYLOAD_MAX];
	int i;

	for (i = from; i < to; i++) {
		snprintf(text, sizeof(text), "%s-%d", tag, i);
		snprintf(id, sizeof(id), "%s-id-%d", tag, i);
		publish(t, text, id);
	}
}

/*
 * Takes messages from t until `want` have arrived (or timeout_ms passed), then
 * keeps listening quiet_ms longer to catch any extra. Acks each one when ack
 * is set; otherwise leaves them taken (transport_close naks them).
 */
static size_t
collect(struct transport *t, struct inbox *in, size_t want, int timeout_ms, int quiet_ms, bool ack)
{
	int64_t deadline = mono_ms() + timeout_ms;
	bool reached = false;

	for (;;) {
		struct transport_msg m[64];
		struct pollfd pfd = { .fd = transport_fd(t), .events = POLLIN };
		int64_t left = deadline - mono_ms();
		size_t k, i;

		if (!reached && in->n >= want) {
			reached = true;
			deadline = mono_ms() + quiet_ms;
			left = quiet_ms;
		}
		if (left <= 0)
			break;
		/* The stream's copies are read by the daemon's turns and ticks
		 * (tx_stream_take): a tick at least every 100 ms here. */
		transport_tick(t);
		if (poll(&pfd, 1, left < 100 ? (int)left : 100) <= 0)
			continue;
		k = transport_poll(t, m, ARRAY_LEN(m));
		for (i = 0; i < k; i++) {
			if (in->n < ARRAY_LEN(in->text)) {
				assert_true(m[i].len < PAYLOAD_MAX);
				memcpy(in->text[in->n], m[i].data, m[i].len);
				in->text[in->n][m[i].len] = '\0';
				in->n++;
			}
			if (ack)
				transport_ack(t, &m[i]);
		}
	}
	return in->n;
}

static size_t
count_text(const struct inbox *in, const char *text)
{
	size_t i, c = 0;

	for (i = 0; i < in->n; i++)
		if (strcmp(in->text[i], text) == 0)
			c++;
	return c;
}

/* Every tag-from..tag-(to-1) is in the inbox; returns how many came twice or more. */
static size_t
assert_all_seen(const struct inbox *in, const char *tag, int from, int to)
{
	char text[PAYLOAD_MAX];
	size_t dups = 0, c;
	int i;

	for (i = from; i < to; i++) {
		snprintf(text, sizeof(text), "%s-%d", tag, i);
		if ((c = count_text(in, text)) == 0)
			fail_msg("%s never arrived", text);
		dups += c - 1;
	}
	return dups;
}

/* --- tests -------------------------------------------------------------- */

static void
test_config_refused(void **state)
{
	struct transport_config cfg;
	const char *urls[1] = { "nats://127.0.0.1:1" };
	char err[512];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.urls = urls;
	cfg.nurls = 1;
	cfg.coalition = "a.b";
	cfg.self = "aa";
	assert_null(transport_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "`a.b'"));

	cfg.coalition = "ok";
	cfg.self = "";
	assert_null(transport_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "member token"));

	cfg.self = "aa";
	cfg.queue_max = TRANSPORT_QUEUE_MAX + 1;
	assert_null(transport_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "queue size"));

	cfg.queue_max = 0;
	cfg.nurls = 0;
	assert_null(transport_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "URLs"));

	/* Nothing listens on port 1: refused at once, and the URL is named. */
	cfg.nurls = 1;
	assert_null(transport_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "nats://127.0.0.1:1"));
}

static void
test_publish_receive_ack(void **state)
{
	struct transport *a, *b;
	struct inbox *in = calloc(1, sizeof(*in));
	struct transport_msg m;
	const struct transport_stats *st;
	struct pollfd pfd;
	static uint8_t big[TRANSPORT_MSG_MAX + 1];

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("pr", "aa", 0);
	b = member_open("pr", "bb", 0);
	assert_true(transport_connected(a));

	/* Refused before reaching the server. */
	assert_int_equal(transport_publish(a, big, sizeof(big), "x"), -1);
	assert_non_null(strstr(transport_errmsg(a), "bytes"));
	assert_int_equal(transport_publish(a, big, 1, "bad id"), -1);
	assert_int_equal(transport_publish(a, big, 1, ""), -1);
	assert_int_equal(transport_publish(a, big, 1, NULL), -1);

	publish(a, "hello", "aa-1");
	pfd.fd = transport_fd(b);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(transport_poll(b, &m, 1), 1);
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.data, "hello", 5);
	assert_string_equal(m.reporter, "aa");
	/* Drained: no longer readable. */
	assert_int_equal(poll(&pfd, 1, 0), 0);
	transport_ack(b, &m);
	assert_null(m.handle);
	transport_ack(b, &m);		/* a second ack of the same slot is a no-op */

	/* The publisher's own consumer gets its own report too. */
	assert_int_equal(collect(a, in, 1, 5000, 0, true), 1);
	assert_string_equal(in->text[0], "hello");

	/* It came twice, on the fast path and from the stream: the daemon
	 * got the first copy only, the second was dropped (taken at a tick,
	 * as the daemon's loop does each second). */
	for (int64_t deadline = mono_ms() + 5000; transport_get_stats(b)->deduped < 1 &&
	    mono_ms() < deadline; ) {
		transport_tick(b);
		sleep_ms(10);
	}
	assert_int_equal(poll(&pfd, 1, 300), 0);
	st = transport_get_stats(b);
	assert_int_equal(st->received, 1);
	assert_int_equal(st->acked, 1);
	assert_true(st->fast <= 1);	/* the stream's copy may come first */
	assert_int_equal(st->deduped, 1);
	assert_int_equal(transport_position(b), 1);
	st = transport_get_stats(a);
	assert_int_equal(st->published, 1);
	assert_true(st->errors >= 4);

	/* Acked means done: reopening at the position brings nothing back;
	 * from the start (a member without a kept position), it comes again. */
	transport_close(b);
	b = member_open("pr", "bb", 1);
	memset(in, 0, sizeof(*in));
	assert_int_equal(collect(b, in, 0, 0, 500, true), 0);
	transport_close(b);
	b = member_open("pr", "bb", 0);
	assert_int_equal(collect(b, in, 1, 5000, 300, true), 1);
	assert_string_equal(in->text[0], "hello");
	transport_close(a);
	transport_close(b);
	free(in);
}

static void
test_msgid_dedup(void **state)
{
	struct transport *a, *b;
	struct inbox *in = calloc(1, sizeof(*in));

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("dd", "aa", 0);
	b = member_open("dd", "bb", 0);
	publish(a, "report", "aa-7");
	publish(a, "report", "aa-7");		/* a retry after a lost publish ack */
	publish(a, "end", "aa-8");
	assert_int_equal(transport_get_stats(a)->duplicates, 1);
	assert_int_equal(transport_get_stats(a)->published, 3);
	/* One stream, in order: once "end" is here the duplicate would be too
	 * (its fast-path copy, same bytes, is dropped as a copy). */
	collect(b, in, 2, 5000, 300, true);
	assert_int_equal(in->n, 2);
	assert_string_equal(in->text[0], "report");
	assert_string_equal(in->text[1], "end");
	/* The same bytes stored again under another id (a replay): the
	 * daemon gets it, to refuse and count. */
	publish(a, "report", "aa-9");
	collect(b, in, 3, 5000, 300, true);
	assert_int_equal(in->n, 3);
	assert_string_equal(in->text[2], "report");
	transport_close(a);
	transport_close(b);
	free(in);
}

/* Asynchronous publishing: returns before the stream answers; each
 * outcome comes back by message id (a duplicate id is still stored-ok),
 * readable on the transport's fd; order on the stream is publish order;
 * the in-flight window says "later" (1), not error, when full. */
static void
test_publish_async(void **state)
{
	struct transport *a, *b;
	struct inbox *in = calloc(1, sizeof(*in));
	struct transport_pub_result res[TRANSPORT_PUB_INFLIGHT];
	char text[PAYLOAD_MAX], id[PAYLOAD_MAX];
	bool seen[40] = { false };
	size_t got = 0;
	int64_t deadline;

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("pa", "aa", 0);
	b = member_open("pa", "bb", 0);
	assert_int_equal(transport_publish_async(a, (const uint8_t *)"x", 1, "bad id"), -1);
	for (int i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "async-%d", i);
		snprintf(id, sizeof(id), "pa-%d", i == 39 ? 0 : i);	/* the last repeats id 0 */
		assert_int_equal(transport_publish_async(a, (const uint8_t *)text, strlen(text), id), 0);
	}
	deadline = mono_ms() + 5000;
	while (got < 40 && mono_ms() < deadline) {
		struct pollfd pfd = { .fd = transport_fd(a), .events = POLLIN };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		char err[160];
		size_t n = transport_publish_results(a, res, TRANSPORT_PUB_INFLIGHT, err, sizeof(err));
		for (size_t i = 0; i < n; i++) {
			int k;
			assert_true(res[i].ok);
			assert_int_equal(sscanf(res[i].msgid, "pa-%d", &k), 1);
			assert_true(k >= 0 && k < 39);
			seen[k] = true;
		}
		got += n;
	}
	assert_int_equal(got, 40);
	for (int i = 0; i < 39; i++)
		assert_true(seen[i]);
	/* Collected: the fd is quiet again (a's own consumer not yet read
	 * would keep it readable, so ask only the results). */
	assert_int_equal(transport_publish_results(a, res, 1, NULL, 0), 0);
	assert_int_equal(transport_get_stats(a)->published, 40);
	assert_int_equal(transport_get_stats(a)->duplicates, 1);
	/* The stream kept 39; the fast path carried all 40 as they were
	 * published (de-duplication by message id is the stream's; a repeat
	 * the daemon sends has the same bytes, and the copy is dropped). */
	collect(b, in, 40, 5000, 300, true);
	assert_int_equal(in->n, 40);
	for (int i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "async-%d", i);
		assert_string_equal(in->text[i], text);
	}
	/* A full window: 1 (later), not an error. */
	int rc = 0, sent = 0;
	for (int i = 0; i < TRANSPORT_PUB_INFLIGHT + 10 && rc == 0; i++) {
		snprintf(id, sizeof(id), "pw-%d", i);
		rc = transport_publish_async(a, (const uint8_t *)"w", 1, id);
		sent += rc == 0;
	}
	/* uncollected outcomes hold their slots: full at exactly the window */
	assert_int_equal(rc, 1);
	assert_int_equal(sent, TRANSPORT_PUB_INFLIGHT);
	transport_close(a);
	transport_close(b);
	free(in);
}

/* Takes what t gets within ms (ticking, so that the watched commitments
 * come too), acking it; counts payloads in in, and those that came on a
 * commitment subject in *on_k. */
static void
take_ticking(struct transport *t, struct inbox *in, size_t *on_k, int ms)
{
	int64_t deadline = mono_ms() + ms;

	while (mono_ms() < deadline) {
		struct transport_msg m[16];
		struct pollfd pfd = { .fd = transport_fd(t), .events = POLLIN };

		transport_tick(t);
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		size_t k = transport_poll(t, m, ARRAY_LEN(m));
		for (size_t i = 0; i < k; i++) {
			assert_true(m[i].len < PAYLOAD_MAX && in->n < ARRAY_LEN(in->text));
			memcpy(in->text[in->n], m[i].data, m[i].len);
			in->text[in->n++][m[i].len] = '\0';
			*on_k += m[i].commitment_subject;
			/* the flag and the subject agree */
			assert_int_equal(m[i].commitment_subject,
			    strncmp((const char *)m[i].data, "commit-", 7) == 0);
			transport_ack(t, &m[i]);
		}
	}
}

/*
 * Commitments reach only the members that watch them (their auditors):
 * aa watches bb's, cc every member's, bb none. Reports still reach every
 * member on both paths; commitments go over core NATS, outside the stream
 * (a member reading the stream from its start gets the reports only). A
 * bad token is refused.
 */
static void
test_commitments_watched(void **state)
{
	struct transport *a, *b, *c, *d;
	struct inbox *ia = calloc(1, sizeof(*ia)), *ib = calloc(1, sizeof(*ib));
	struct inbox *ic = calloc(1, sizeof(*ic)), *id = calloc(1, sizeof(*id));
	const char *tok_b[1] = { "bb" }, *bad[1] = { "b.b" };
	size_t ka = 0, kb = 0, kc = 0, kd = 0;

	(void)state;
	NEED_SERVER();
	assert_true(ia != NULL && ib != NULL && ic != NULL && id != NULL);
	a = member_open("kw", "aa", 0);
	b = member_open("kw", "bb", 0);
	c = member_open("kw", "cc", 0);
	assert_int_equal(transport_watch_commitments(b, bad, 1, false), -1);
	assert_non_null(strstr(transport_errmsg(b), "bad member token"));
	assert_int_equal(transport_watch_commitments(a, tok_b, 1, false), 0);
	assert_int_equal(transport_watch_commitments(c, NULL, 0, true), 0);
	sleep_ms(200);	/* the servers have the subscriptions */
	assert_int_equal(transport_publish_commitment(b, (const uint8_t *)"commit-bb", 9), 0);
	assert_int_equal(transport_publish_commitment(c, (const uint8_t *)"commit-cc", 9), 0);
	publish(b, "report-bb", "rb-1");
	publish(c, "report-cc", "rc-1");
	take_ticking(a, ia, &ka, 1500);
	take_ticking(b, ib, &kb, 300);
	take_ticking(c, ic, &kc, 300);
	/* aa: both reports once each, bb's commitment, not cc's */
	assert_int_equal(count_text(ia, "report-bb"), 1);
	assert_int_equal(count_text(ia, "report-cc"), 1);
	assert_int_equal(count_text(ia, "commit-bb"), 1);
	assert_int_equal(count_text(ia, "commit-cc"), 0);
	assert_int_equal(ka, 1);
	/* bb watches nothing; cc every member's (its own included) */
	assert_int_equal(count_text(ib, "commit-bb") + count_text(ib, "commit-cc"), 0);
	assert_int_equal(count_text(ib, "report-cc"), 1);
	assert_int_equal(count_text(ic, "commit-bb"), 1);
	assert_int_equal(count_text(ic, "commit-cc"), 1);
	assert_int_equal(kc, 2);
	/* the stream from its start: the reports, no commitment */
	d = member_open("kw", "dd", 0);
	take_ticking(d, id, &kd, 1000);
	assert_int_equal(count_text(id, "report-bb"), 1);
	assert_int_equal(count_text(id, "report-cc"), 1);
	assert_int_equal(id->n, 2);
	assert_int_equal(kd, 0);
	/* watching nothing: aa no longer gets bb's */
	assert_int_equal(transport_watch_commitments(a, NULL, 0, false), 0);
	sleep_ms(200);
	assert_int_equal(transport_publish_commitment(b, (const uint8_t *)"commit-bb2", 10), 0);
	size_t before = ia->n;
	take_ticking(a, ia, &ka, 800);
	assert_int_equal(ia->n, before);
	transport_close(a);
	transport_close(b);
	transport_close(c);
	transport_close(d);
	free(ia);
	free(ib);
	free(ic);
	free(id);
}

/*
 * The daemon's loop takes one batch a turn and asks for no second turn
 * (daemon.c): the fd must stay readable while messages wait beyond what a
 * poll took, and be quiet once the queue is empty and the copies dropped.
 * A publish outcome wakes it, and collecting the outcome reads it back.
 * Acked messages are destroyed later, with others (transport_tick): the
 * transport goes on working across a tick, and closes with some held.
 */
static void
test_wake_level(void **state)
{
	struct transport *a, *b, *c;
	struct inbox *in = calloc(1, sizeof(*in));
	struct transport_msg m[8];
	struct transport_pub_result res[4];
	struct pollfd pfd;

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("wl", "aa", 0);
	b = member_open("wl", "bb", 0);
	publish_n(a, "wl", 0, 3);
	/* all three queued, and their second copies parked or dropped */
	for (int64_t deadline = mono_ms() + 5000; transport_get_stats(b)->received < 3 &&
	    mono_ms() < deadline; )
		sleep_ms(10);
	assert_int_equal(transport_get_stats(b)->received, 3);
	sleep_ms(300);
	pfd.fd = transport_fd(b);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(transport_poll(b, m, 1), 1);
	/* two left: still readable, with no new message */
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(transport_poll(b, m + 1, ARRAY_LEN(m) - 1), 2);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	for (int i = 0; i < 3; i++)
		transport_ack(b, &m[i]);
	/* the parked copies go with the acks: nothing comes back */
	assert_int_equal(poll(&pfd, 1, 300), 0);
	assert_int_equal(transport_get_stats(b)->deduped, 3);
	/* nothing to collect: still quiet */
	assert_int_equal(transport_publish_results(b, res, ARRAY_LEN(res), NULL, 0), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);

	/* A tick destroys what the acks left; the next messages arrive. */
	transport_tick(b);
	publish_n(a, "wl", 3, 6);
	assert_int_equal(collect(b, in, 3, 5000, 300, true), 3);
	assert_all_seen(in, "wl", 3, 6);

	/* An outcome wakes a transport that receives nothing, and is read
	 * back once collected. */
	struct transport_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.coalition = "wl";
	cfg.self = "cc";
	cfg.publish_only = true;
	c = member_open_cfg(&cfg);
	pfd.fd = transport_fd(c);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(transport_publish_async(c, (const uint8_t *)"wl-c", 4, "wl-c"), 0);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(transport_publish_results(c, res, ARRAY_LEN(res), NULL, 0), 1);
	assert_true(res[0].ok);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(transport_publish_results(c, res, ARRAY_LEN(res), NULL, 0), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);

	/* b closes with the last acks' messages still held */
	memset(in, 0, sizeof(*in));
	assert_int_equal(collect(b, in, 1, 5000, 300, true), 1);
	assert_string_equal(in->text[0], "wl-c");
	transport_close(c);
	transport_close(a);
	transport_close(b);
	free(in);
}

static void
test_offline_catchup(void **state)
{
	struct transport *a, *b;
	struct inbox *in = calloc(1, sizeof(*in));
	char text[PAYLOAD_MAX];
	int i;
	uint64_t pos;

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("cu", "aa", 0);
	publish_n(a, "old", 0, 3);
	b = member_open("cu", "bb", 0);
	collect(b, in, 3, 5000, 300, true);
	assert_int_equal(in->n, 3);
	pos = transport_position(b);
	assert_int_equal(pos, 3);
	transport_close(b);
	publish_n(a, "m", 0, 100);
	memset(in, 0, sizeof(*in));
	b = member_open("cu", "bb", pos);
	collect(b, in, 100, 10000, 300, true);
	assert_int_equal(in->n, 100);
	for (i = 0; i < 100; i++) {
		snprintf(text, sizeof(text), "m-%d", i);
		assert_string_equal(in->text[i], text);		/* in order, once */
	}
	transport_close(a);
	transport_close(b);
	free(in);
}

/* The stream deleted and made again, then grown past a member's kept
 * position before that member opens: its sequences started again at 1, so
 * the position means nothing in it. With the creation time kept beside the
 * position the member reads the new stream from its start; without it
 * (start_created 0, an old ledger) only what lies past the position. */
static void
test_stream_recreated(void **state)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	struct transport *a, *b;
	struct inbox *in = calloc(1, sizeof(*in));
	struct transport_config cfg;
	uint64_t pos;
	int64_t created;

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("rc", "aa", 0);
	publish_n(a, "old", 0, 3);
	b = member_open("rc", "bb", 0);
	collect(b, in, 3, 5000, 300, true);
	assert_int_equal(in->n, 3);
	pos = transport_position(b);
	created = transport_stream_created(b);
	assert_int_equal(pos, 3);
	assert_true(created > 0);
	transport_close(b);
	transport_close(a);

	/* made anew (a later creation time: the server's clock moved on) */
	assert_int_equal(natsConnection_ConnectTo(&nc, srv.url), NATS_OK);
	assert_int_equal(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
	assert_int_equal(js_DeleteStream(js, "A5_rc", NULL, NULL), NATS_OK);
	sleep_ms(20);
	a = member_open("rc", "aa", 0);
	publish_n(a, "new", 0, 5);

	memset(in, 0, sizeof(*in));
	memset(&cfg, 0, sizeof(cfg));
	cfg.coalition = "rc";
	cfg.self = "bb";
	cfg.start_seq = pos;
	cfg.start_created = created;
	b = member_open_cfg(&cfg);
	assert_true(transport_stream_created(b) > created);
	collect(b, in, 5, 5000, 300, true);
	assert_int_equal(in->n, 5);
	assert_string_equal(in->text[0], "new-0");
	transport_close(b);

	/* the creation unknown: the position is taken as it is */
	memset(in, 0, sizeof(*in));
	cfg.start_created = 0;
	b = member_open_cfg(&cfg);
	collect(b, in, 2, 5000, 300, true);
	assert_int_equal(in->n, 2);
	assert_string_equal(in->text[0], "new-3");
	transport_close(b);
	transport_close(a);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	free(in);
}

static void
test_unacked_redelivered(void **state)
{
	struct transport *a, *b;
	struct inbox *in = calloc(1, sizeof(*in));
	struct transport_msg m[16];
	struct pollfd pfd;
	size_t k = 0, i;
	int64_t deadline;
	uint64_t pos;

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("ua", "aa", 0);
	b = member_open("ua", "bb", 0);
	publish_n(a, "u", 0, 10);
	pfd.fd = transport_fd(b);
	pfd.events = POLLIN;
	for (deadline = mono_ms() + 5000; k < 10 && mono_ms() < deadline; )
		if (poll(&pfd, 1, 100) == 1)
			k += transport_poll(b, m + k, 10 - k);
	assert_int_equal(k, 10);
	for (i = 0; i < 4; i++)
		transport_ack(b, &m[i]);
	/* Let the second copies arrive: those of u-0..3 are dropped; those of
	 * u-4..9 are parked (or, if the stream's copy came first, were the
	 * ones taken) and hold the position. */
	for (deadline = mono_ms() + 5000; transport_get_stats(b)->deduped < 4 &&
	    mono_ms() < deadline; )
		sleep_ms(10);
	sleep_ms(300);
	assert_true(transport_get_stats(b)->deduped >= 4);
	pos = transport_position(b);
	assert_int_equal(pos, 4);
	/* m[4..9] are neither acked nor naked: as after a crash. */
	transport_close(b);

	b = member_open("ua", "bb", pos);
	collect(b, in, 6, 5000, 300, true);
	assert_int_equal(in->n, 6);
	assert_int_equal(assert_all_seen(in, "u", 4, 10), 0);
	assert_int_equal(count_text(in, "u-0"), 0);
	assert_int_equal(transport_position(b), 10);

	/* A naked fast copy: the stream's copy comes instead. A naked stream
	 * copy: not on this connection (the ordered consumer delivers once),
	 * but the position stays before it, so the next open brings it. */
	uint64_t fast0 = transport_get_stats(b)->fast;
	publish(a, "n-0", "n-id-0");
	pfd.fd = transport_fd(b);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(transport_poll(b, m, 1), 1);
	bool was_fast = transport_get_stats(b)->fast > fast0;
	sleep_ms(300);		/* the other copy: parked, or dropped */
	transport_nak(b, &m[0]);
	assert_null(m[0].handle);
	if (was_fast) {
		/* usually: the stream's copy replaces the naked fast one */
		assert_int_equal(poll(&pfd, 1, 5000), 1);
		assert_int_equal(transport_poll(b, m, 1), 1);
		assert_memory_equal(m[0].data, "n-0", 3);
		transport_nak(b, &m[0]);
	}
	print_message("nak: the first copy came on the %s\n", was_fast ? "fast path" : "stream");
	memset(in, 0, sizeof(*in));
	assert_int_equal(collect(b, in, 0, 0, 300, true), 0);
	pos = transport_position(b);
	assert_int_equal(pos, 10);
	transport_close(b);
	b = member_open("ua", "bb", pos);
	assert_int_equal(collect(b, in, 1, 5000, 300, true), 1);
	assert_string_equal(in->text[0], "n-0");
	assert_int_equal(transport_position(b), 11);
	transport_close(b);
	transport_close(a);
	free(in);
}

/* A stream the coalition operator made: open adds our subjects and the
 * de-duplication window and leaves the rest (here max age) alone. */
static void
test_existing_stream_kept(void **state)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsStreamConfig c;
	const char *subjects[1] = { "other.>" };
	struct transport *a;
	bool ours = false, theirs = false;
	int i;

	(void)state;
	NEED_SERVER();
	assert_int_equal(natsConnection_ConnectTo(&nc, srv.url), NATS_OK);
	assert_int_equal(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
	jsStreamConfig_Init(&c);
	c.Name = "A5_op";
	c.Subjects = subjects;
	c.SubjectsLen = 1;
	c.Storage = js_FileStorage;
	c.MaxAge = 3600LL * 1000000000LL;
	c.Duplicates = 10LL * 1000000000LL;
	assert_int_equal(js_AddStream(NULL, js, &c, NULL, NULL), NATS_OK);

	a = member_open("op", "aa", 0);
	publish(a, "x", "op-1");
	transport_close(a);

	assert_int_equal(js_GetStreamInfo(&si, js, "A5_op", NULL, NULL), NATS_OK);
	for (i = 0; i < si->Config->SubjectsLen; i++) {
		ours |= strcmp(si->Config->Subjects[i], "a5.op.r.>") == 0;
		theirs |= strcmp(si->Config->Subjects[i], "other.>") == 0;
	}
	assert_true(ours && theirs);
	assert_int_equal(si->Config->Duplicates, 120LL * 1000000000LL);
	assert_int_equal(si->Config->MaxAge, 3600LL * 1000000000LL);
	assert_int_equal(si->State.Msgs, 1);
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
}

/* The crash case: a consumer that dies holding messages. Run in a child
 * (this binary, re-executed) so the parent's libnats stays untouched;
 * exits with the number of messages it held. */
static int
crash_consumer_main(const char *url)
{
	const char *urls[1] = { url };
	struct transport_config cfg;
	struct transport *t;
	struct inbox *in = calloc(1, sizeof(*in));
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	cfg.urls = urls;
	cfg.nurls = 1;
	cfg.coalition = "cr";
	cfg.self = "cc";
	if (in == NULL || (t = transport_open(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "crash consumer: %s\n", in ? err : "calloc");
		_exit(100);
	}
	collect(t, in, 5, 5000, 0, false);
	_exit((int)in->n);	/* no ack, no close: as if killed */
}

static void
test_crash_redelivered(void **state)
{
	struct transport *a, *c;
	struct transport_config cfg;
	struct inbox *in = calloc(1, sizeof(*in));
	pid_t pid;
	int status;
	int64_t t0;

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("cr", "aa", 0);
	publish_n(a, "k", 0, 5);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test_transport", "--crash-consumer", srv.url, (char *)NULL);
		_exit(101);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 5);

	memset(&cfg, 0, sizeof(cfg));
	cfg.coalition = "cr";
	cfg.self = "cc";
	cfg.start_seq = 0;	/* the crashed member kept no position past them */
	t0 = mono_ms();
	c = member_open_cfg(&cfg);
	collect(c, in, 5, 5000, 300, true);
	assert_int_equal(in->n, 5);
	assert_int_equal(assert_all_seen(in, "k", 0, 5), 0);
	print_message("crash: redelivered after %lld ms\n", (long long)(mono_ms() - t0));
	transport_close(c);
	transport_close(a);
	free(in);
}

/* A daemon slower than the stream: with a queue of 8, 300 envelopes sent
 * while it takes nothing. The fast path's copies beyond the queue are
 * dropped; the stream's wait in libnats' buffer and are taken while the
 * queue is under half full (one that finds it full anyway, filled by the
 * fast path meanwhile, is dropped and the stream read again from the last
 * one handled). All 300 arrive, and the position reaches the end. With a
 * buffer of stream_buffer messages (0: the default, 65536), libnats drops
 * the rest of the stream's copies: the next one taken does not follow the
 * last, and the stream is read again (rereads). */
static void
overflow_run(const char *coalition, int stream_buffer)
{
	enum { N = 300 };
	struct transport *a, *b;
	struct transport_config cfg;
	struct inbox *in = calloc(1, sizeof(*in));
	int64_t deadline;
	char text[PAYLOAD_MAX];
	int seen = 0;

	assert_non_null(in);
	a = member_open(coalition, "aa", 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.coalition = coalition;
	cfg.self = "bb";
	cfg.queue_max = 8;
	cfg.stream_buffer = stream_buffer;
	b = member_open_cfg(&cfg);
	publish_n(a, "q", 0, N);
	sleep_ms(500);
	for (deadline = mono_ms() + 20000; mono_ms() < deadline && seen < N; ) {
		struct transport_msg m[8];
		struct pollfd pfd = { .fd = transport_fd(b), .events = POLLIN };
		size_t k, i;

		if (poll(&pfd, 1, 100) != 1) {
			transport_tick(b);	/* as the daemon's loop each second */
			continue;
		}
		k = transport_poll(b, m, ARRAY_LEN(m));
		assert_true(k <= 8);
		for (i = 0; i < k; i++) {
			assert_true(m[i].len < PAYLOAD_MAX);
			memcpy(text, m[i].data, m[i].len);
			text[m[i].len] = '\0';
			if (count_text(in, text) == 0 && in->n < ARRAY_LEN(in->text)) {
				snprintf(in->text[in->n++], PAYLOAD_MAX, "%s", text);
				seen++;
			}
			transport_ack(b, &m[i]);
		}
	}
	assert_all_seen(in, "q", 0, N);
	assert_true(transport_get_stats(b)->overflows > 0);
	if (stream_buffer > 0)
		assert_true(transport_get_stats(b)->rereads > 0);
	for (deadline = mono_ms() + 3000; transport_position(b) < N && mono_ms() < deadline; ) {
		struct transport_msg m[8];
		transport_tick(b);
		size_t k = transport_poll(b, m, ARRAY_LEN(m));
		for (size_t i = 0; i < k; i++)
			transport_ack(b, &m[i]);
		sleep_ms(20);
	}
	assert_int_equal(transport_position(b), N);
	print_message("overflow (stream buffer %d): %llu fast-path copies dropped, the stream read "
	    "again %llu times\n", stream_buffer,
	    (unsigned long long)transport_get_stats(b)->overflows,
	    (unsigned long long)transport_get_stats(b)->rereads);
	transport_close(a);
	transport_close(b);
	free(in);
}

static void
test_queue_overflow(void **state)
{
	(void)state;
	NEED_SERVER();
	overflow_run("qo", 0);
}

static void
test_stream_buffer_overflow(void **state)
{
	(void)state;
	NEED_SERVER();
	overflow_run("sb", 16);
}

static void
test_server_restart(void **state)
{
	struct transport *a, *b, *c;
	struct transport_config cfg;
	struct inbox *in = calloc(1, sizeof(*in));
	char text[PAYLOAD_MAX], id[PAYLOAD_MAX];
	int64_t deadline, t0;
	size_t dups;
	int i, tries;

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("rs", "aa", 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.coalition = "rs";
	cfg.self = "bb";
	b = member_open_cfg(&cfg);
	publish_n(a, "r", 0, 50);
	collect(b, in, 50, 5000, 0, true);
	assert_int_equal(in->n, 50);

	c = member_open("rs", "cc", 0);
	server_stop();
	for (deadline = mono_ms() + 3000; transport_connected(a) && mono_ms() < deadline; )
		sleep_ms(10);
	assert_false(transport_connected(a));
	/* A daemon stopped while NATS is down must not hang in close (the
	 * service manager kills it after its grace time). */
	t0 = mono_ms();
	transport_close(c);
	print_message("restart: closed while disconnected in %lld ms\n", (long long)(mono_ms() - t0));
	assert_true(mono_ms() - t0 < 1500);
	assert_int_equal(transport_publish(a, (const uint8_t *)"x", 1, "down"), -1);
	assert_non_null(strstr(transport_errmsg(a), "not connected"));

	t0 = mono_ms();
	for (tries = 0; tries < 50 && server_start() != 0; tries++)
		sleep_ms(100);
	assert_true(srv.pid > 0);

	/* The daemon keeps what it could not publish and retries with the
	 * same ids; here, until JetStream is back. */
	for (i = 50, deadline = mono_ms() + 15000; i < 100 && mono_ms() < deadline; ) {
		snprintf(text, sizeof(text), "r-%d", i);
		snprintf(id, sizeof(id), "r-id-%d", i);
		if (transport_publish(a, (const uint8_t *)text, strlen(text), id) == 0)
			i++;
		else
			sleep_ms(50);
	}
	assert_int_equal(i, 100);
	print_message("restart: publishing again %lld ms after the server was started\n",
	    (long long)(mono_ms() - t0));

	for (deadline = mono_ms() + 15000; mono_ms() < deadline; ) {
		bool all = true;

		collect(b, in, in->n + 1, 200, 0, true);
		for (i = 50; i < 100 && all; i++) {
			snprintf(text, sizeof(text), "r-%d", i);
			all = count_text(in, text) > 0;
		}
		if (all)
			break;
	}
	dups = assert_all_seen(in, "r", 0, 100);
	print_message("restart: %zu duplicates (at-least-once)\n", dups);
	assert_true(transport_get_stats(a)->reconnects >= 1);
	assert_true(transport_get_stats(b)->reconnects >= 1);
	transport_close(a);
	transport_close(b);
	free(in);
}

/* Publishes in flight when the server died (stopped, then killed: sent,
 * never read) are sent again once reconnected, not after their ack
 * timeout (PUBLISH_ACK_WAIT_MS, 5 s): all stored, once each, soon after
 * the server is back, and delivered. */
static void
test_inflight_resent(void **state)
{
	enum { N = 20 };
	struct transport *a, *b;
	struct transport_pub_result res[TRANSPORT_PUB_INFLIGHT];
	struct inbox *in = calloc(1, sizeof(*in));
	char text[PAYLOAD_MAX], id[PAYLOAD_MAX];
	size_t ok = 0, failed = 0;
	int64_t deadline, back;
	int tries;

	(void)state;
	NEED_SERVER();
	assert_non_null(in);
	a = member_open("ir", "aa", 0);
	b = member_open("ir", "bb", 0);
	kill(srv.pid, SIGSTOP);
	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "f-%d", i);
		snprintf(id, sizeof(id), "ir-%d", i);
		assert_int_equal(transport_publish_async(a, (const uint8_t *)text, strlen(text), id), 0);
	}
	sleep_ms(200);
	kill(srv.pid, SIGCONT);
	server_stop();
	for (tries = 0; tries < 50 && server_start() != 0; tries++)
		sleep_ms(100);
	assert_true(srv.pid > 0);
	back = mono_ms();
	for (deadline = back + 15000; ok + failed < N && mono_ms() < deadline; ) {
		struct pollfd pfd = { .fd = transport_fd(a), .events = POLLIN };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		size_t n = transport_publish_results(a, res, TRANSPORT_PUB_INFLIGHT, NULL, 0);
		for (size_t i = 0; i < n; i++)
			res[i].ok ? ok++ : failed++;
		struct transport_msg m[64];	/* a's own copies: drained, not kept */
		size_t k = transport_poll(a, m, ARRAY_LEN(m));
		for (size_t i = 0; i < k; i++)
			transport_ack(a, &m[i]);
	}
	print_message("resend: %zu stored, %zu failed, %lld ms after the server was back\n",
	    ok, failed, (long long)(mono_ms() - back));
	assert_int_equal(ok, N);
	assert_true(mono_ms() - back < 4000);	/* not the 5 s ack timeout */
	collect(b, in, N, 10000, 300, true);
	assert_int_equal(assert_all_seen(in, "f", 0, N), 0);
	/* sent again in the order of their ids' numbers (a chain's order),
	 * not in libnats' hash table's */
	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "f-%d", i);
		assert_string_equal(in->text[i], text);
	}
	transport_close(a);
	transport_close(b);
	free(in);
}

static int
cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static void
test_latency(void **state)
{
	enum { N = 1000 };
	struct transport *a, *b;
	static int64_t lat[N], pub[N];
	char text[PAYLOAD_MAX], id[PAYLOAD_MAX];
	struct pollfd pfd;
	struct transport_msg m;
	int i;

	(void)state;
	NEED_SERVER();
	a = member_open("lt", "aa", 0);
	b = member_open("lt", "bb", 0);
	pfd.fd = transport_fd(b);
	pfd.events = POLLIN;
	for (i = 0; i < N; i++) {
		int64_t t0, t1;

		snprintf(text, sizeof(text), "l-%d", i);
		snprintf(id, sizeof(id), "l-id-%d", i);
		t0 = mono_ns();
		publish(a, text, id);
		t1 = mono_ns();
		assert_int_equal(poll(&pfd, 1, 5000), 1);
		lat[i] = mono_ns() - t0;
		pub[i] = t1 - t0;
		assert_int_equal(transport_poll(b, &m, 1), 1);
		assert_int_equal(m.len, strlen(text));
		transport_ack(b, &m);
	}
	qsort(lat, N, sizeof(lat[0]), cmp_i64);
	qsort(pub, N, sizeof(pub[0]), cmp_i64);
	print_message("latency publish->eventfd over %d: p50 %lld us, p99 %lld us, max %lld us\n",
	    N, (long long)lat[N / 2] / 1000, (long long)lat[N * 99 / 100] / 1000,
	    (long long)lat[N - 1] / 1000);
	print_message("latency publish ack (stored)    : p50 %lld us, p99 %lld us\n",
	    (long long)pub[N / 2] / 1000, (long long)pub[N * 99 / 100] / 1000);
	transport_close(a);
	transport_close(b);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_publish_receive_ack),
		cmocka_unit_test(test_msgid_dedup),
		cmocka_unit_test(test_publish_async),
		cmocka_unit_test(test_commitments_watched),
		cmocka_unit_test(test_wake_level),
		cmocka_unit_test(test_offline_catchup),
		cmocka_unit_test(test_stream_recreated),
		cmocka_unit_test(test_unacked_redelivered),
		cmocka_unit_test(test_existing_stream_kept),
		cmocka_unit_test(test_crash_redelivered),
		cmocka_unit_test(test_queue_overflow),
		cmocka_unit_test(test_stream_buffer_overflow),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_server_restart),
		cmocka_unit_test(test_inflight_resent),
	};
	int rc;

	log_init("test_transport", 0, 0);
	if (argc == 3 && strcmp(argv[1], "--crash-consumer") == 0)
		return crash_consumer_main(argv[2]);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	transport_library_close();
	if (rc == 0 && !srv.available) {
		printf("nats-server not installed: JetStream tests skipped\n");
		return 77;
	}
	return rc;
}
