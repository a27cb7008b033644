/* test_faults.c - fault injection (docs/hardening.md): the core paths run
 * once per failure point, with the Nth call of allocation, file, SQLite or
 * NATS functions failing. Linked with -Wl,--wrap for those functions (see
 * the Makefile), so the calls made by the project's own objects go through
 * the wrappers below; the libraries' internal calls do not.
 *
 * For every N from 1 until a run completes without reaching N calls, each
 * path must: not crash, return an error with a message when the failure
 * was not absorbed, leave nothing leaked (the ASan build runs this with
 * LeakSanitizer), and leave consistent state: the ledger reopens without
 * faults, its journal verifies, and a batch is there entirely or not at
 * all. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nats/nats.h>
#include <sqlite3.h>

#include "testutil.h"

#include "coalition/charter.h"
#include "coalition/evidence.h"
#include "coalition/governance.h"
#include "coalition/identity.h"
#include "coalition/transport.h"
#include "common/addr.h"
#include "daemon/config.h"
#include "detector/detector.h"
#include "rules/rules.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

/* --- the injector --- */

static long fi_left = -1;	/* calls to let through before the failing one; -1: off */
static bool fi_fired;
static unsigned long fi_calls;	/* wrapped calls while armed */

static bool
fi_fail(void)
{
	if (fi_left < 0)
		return false;
	fi_calls++;
	if (fi_left-- == 0) {
		fi_fired = true;
		return true;
	}
	return false;
}

static void
fi_arm(long n)
{
	fi_fired = false;
	fi_calls = 0;
	fi_left = n;
}

static void
fi_disarm(void)
{
	fi_left = -1;
}

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__wrap_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_sqlite3_open_v2(const char *f, sqlite3 **db, int flags, const char *vfs);
int __wrap_sqlite3_open_v2(const char *f, sqlite3 **db, int flags, const char *vfs);
int __real_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail);
int __wrap_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail);
int __real_sqlite3_step(sqlite3_stmt *st);
int __wrap_sqlite3_step(sqlite3_stmt *st);
int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
    void *arg, char **errmsg);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
    void *arg, char **errmsg);
natsStatus __real_natsOptions_Create(natsOptions **o);
natsStatus __wrap_natsOptions_Create(natsOptions **o);
natsStatus __real_natsConnection_Connect(natsConnection **nc, natsOptions *o);
natsStatus __wrap_natsConnection_Connect(natsConnection **nc, natsOptions *o);
natsStatus __real_natsConnection_JetStream(jsCtx **js, natsConnection *nc, jsOptions *o);
natsStatus __wrap_natsConnection_JetStream(jsCtx **js, natsConnection *nc, jsOptions *o);
natsStatus __real_js_GetStreamInfo(jsStreamInfo **si, jsCtx *js, const char *stream, jsOptions *o,
    jsErrCode *e);
natsStatus __wrap_js_GetStreamInfo(jsStreamInfo **si, jsCtx *js, const char *stream, jsOptions *o,
    jsErrCode *e);
natsStatus __real_js_AddConsumer(jsConsumerInfo **ci, jsCtx *js, const char *stream,
    jsConsumerConfig *cfg, jsOptions *o, jsErrCode *e);
natsStatus __wrap_js_AddConsumer(jsConsumerInfo **ci, jsCtx *js, const char *stream,
    jsConsumerConfig *cfg, jsOptions *o, jsErrCode *e);
natsStatus __real_js_Subscribe(natsSubscription **sub, jsCtx *js, const char *subject,
    natsMsgHandler cb, void *closure, jsOptions *o, jsSubOptions *so, jsErrCode *e);
natsStatus __wrap_js_Subscribe(natsSubscription **sub, jsCtx *js, const char *subject,
    natsMsgHandler cb, void *closure, jsOptions *o, jsSubOptions *so, jsErrCode *e);
natsStatus __real_js_Publish(jsPubAck **pa, jsCtx *js, const char *subj, const void *data, int len,
    jsPubOptions *o, jsErrCode *e);
natsStatus __wrap_js_Publish(jsPubAck **pa, jsCtx *js, const char *subj, const void *data, int len,
    jsPubOptions *o, jsErrCode *e);

void *
__wrap_malloc(size_t n)
{
	if (fi_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

void *
__wrap_calloc(size_t a, size_t b)
{
	if (fi_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(a, b);
}

void *
__wrap_realloc(void *p, size_t n)
{
	if (fi_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	if (fi_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	if (fi_fail()) {
		errno = EIO;
		return NULL;
	}
	return __real_fopen(path, mode);
}

int
__wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (fi_fail()) {
		errno = EIO;
		return -1;
	}
	return __real_open(path, flags, mode);
}

int
__wrap_sqlite3_open_v2(const char *f, sqlite3 **db, int flags, const char *vfs)
{
	if (fi_fail()) {
		*db = NULL;
		return SQLITE_CANTOPEN;
	}
	return __real_sqlite3_open_v2(f, db, flags, vfs);
}

int
__wrap_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail)
{
	if (fi_fail()) {
		*st = NULL;
		return SQLITE_NOMEM;
	}
	return __real_sqlite3_prepare_v2(db, sql, n, st, tail);
}

int
__wrap_sqlite3_step(sqlite3_stmt *st)
{
	if (fi_fail())
		return SQLITE_IOERR;
	return __real_sqlite3_step(st);
}

int
__wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
    void *arg, char **errmsg)
{
	if (fi_fail()) {
		if (errmsg != NULL)
			*errmsg = NULL;
		return SQLITE_IOERR;
	}
	return __real_sqlite3_exec(db, sql, cb, arg, errmsg);
}

natsStatus
__wrap_natsOptions_Create(natsOptions **o)
{
	return fi_fail() ? NATS_NO_MEMORY : __real_natsOptions_Create(o);
}

natsStatus
__wrap_natsConnection_Connect(natsConnection **nc, natsOptions *o)
{
	return fi_fail() ? NATS_NO_SERVER : __real_natsConnection_Connect(nc, o);
}

natsStatus
__wrap_natsConnection_JetStream(jsCtx **js, natsConnection *nc, jsOptions *o)
{
	return fi_fail() ? NATS_NO_MEMORY : __real_natsConnection_JetStream(js, nc, o);
}

natsStatus
__wrap_js_GetStreamInfo(jsStreamInfo **si, jsCtx *js, const char *stream, jsOptions *o, jsErrCode *e)
{
	return fi_fail() ? NATS_TIMEOUT : __real_js_GetStreamInfo(si, js, stream, o, e);
}

natsStatus
__wrap_js_AddConsumer(jsConsumerInfo **ci, jsCtx *js, const char *stream, jsConsumerConfig *cfg,
    jsOptions *o, jsErrCode *e)
{
	return fi_fail() ? NATS_TIMEOUT : __real_js_AddConsumer(ci, js, stream, cfg, o, e);
}

natsStatus
__wrap_js_Subscribe(natsSubscription **sub, jsCtx *js, const char *subject, natsMsgHandler cb,
    void *closure, jsOptions *o, jsSubOptions *so, jsErrCode *e)
{
	return fi_fail() ? NATS_TIMEOUT : __real_js_Subscribe(sub, js, subject, cb, closure, o, so, e);
}

natsStatus
__wrap_js_Publish(jsPubAck **pa, jsCtx *js, const char *subj, const void *data, int len,
    jsPubOptions *o, jsErrCode *e)
{
	return fi_fail() ? NATS_TIMEOUT : __real_js_Publish(pa, js, subj, data, len, o, e);
}

/* --- helpers --- */

static char dir[64];

static void
path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void
write_text(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	path_in(p, sizeof(p), name);
	f = __real_fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Runs path(n) for n = 0, 1, ... until a run completes without reaching
 * its failure point; returns the number of failure points. */
static long
every_failure_point(const char *what, int (*path)(bool fired_expected), long max)
{
	long n;

	for (n = 0; n < max; n++) {
		fi_arm(n);
		int rc = path(true);
		bool fired = fi_fired;
		fi_disarm();
		if (!fired) {
			assert_int_equal(rc, 0);	/* no failure injected: the path works */
			break;
		}
	}
	assert_true(n < max);
	print_message("[ FAULTS   ] %s: %ld failure points, each handled\n", what, n);
	return n;
}

/* --- path 1: the ledger and its journal --- */

static int
ledger_path(bool unused)
{
	char p[128], err[512];
	struct ledger *l = NULL;
	struct ledger_ban b;
	int64_t prev;
	int rc = -1;

	(void)unused;
	path_in(p, sizeof(p), "ledger.db");
	if (ledger_open(p, &l, err, sizeof(err)) != 0) {
		assert_true(err[0] != '\0');	/* a clear error */
		return -1;
	}
	struct journal *j = NULL;
	if (journal_attach(ledger_db(l), &j, err, sizeof(err)) != 0) {
		assert_true(err[0] != '\0');
		ledger_close(l);
		return -1;
	}
	memset(&b, 0, sizeof(b));
	assert_int_equal(prefix_parse("203.0.113.7", 11, &b.prefix), 0);
	snprintf(b.service, sizeof(b.service), "sshd");
	snprintf(b.rule, sizeof(b.rule), "failed-password");
	snprintf(b.origin, sizeof(b.origin), "local");
	b.created = b.first_seen = b.last_seen = 1700000000;
	b.expires = 4000000000;
	b.evidence = 3;
	if (ledger_begin(l) != 0)
		goto out;
	/* One batch: a ban, a coalition ban, a state key and a journal entry,
	 * all or nothing. */
	if (ledger_ban_put(l, &b) != 0 || ledger_cban_raise(l, &b, 1700000000, &prev) < 0 ||
	    ledger_state_set(l, "k", "v") != 0 ||
	    journal_local(j, 1700000000, "ban", &b.prefix, 3600, "test") != 0) {
		assert_true(ledger_errmsg(l)[0] != '\0' || journal_errmsg(j)[0] != '\0');
		goto out;
	}
	rc = ledger_commit(l);
out:
	journal_close(j);
	ledger_close(l);
	return rc;
}

/* Without faults: the ledger opens, its journal verifies, and the batch
 * is there entirely or not at all. */
static void
ledger_consistent(void)
{
	char p[128], err[512], v[64];
	struct ledger *l;
	struct journal *j;
	struct journal_check chk;
	struct ledger_ban b;
	struct a5_prefix pre;
	int64_t deadline;

	path_in(p, sizeof(p), "ledger.db");
	assert_int_equal(ledger_open(p, &l, err, sizeof(err)), 0);
	assert_int_equal(journal_attach(ledger_db(l), &j, err, sizeof(err)), 0);
	assert_int_equal(journal_verify(j, &chk), 0);
	assert_int_equal(prefix_parse("203.0.113.7", 11, &pre), 0);
	int has_ban = ledger_ban_get(l, &pre, &b) == 1;
	int has_cban = ledger_cban_get(l, &pre, &deadline) == 1;
	int has_state = ledger_state_get(l, "k", v, sizeof(v)) == 1;
	assert_int_equal(has_ban, has_cban);
	assert_int_equal(has_ban, has_state);
	journal_close(j);
	ledger_close(l);
}

static int
ledger_path_checked(bool unused)
{
	char p[128];
	int rc = ledger_path(unused);

	fi_disarm();
	ledger_consistent();
	/* start each failure point from an empty ledger */
	path_in(p, sizeof(p), "ledger.db");
	unlink(p);
	path_in(p, sizeof(p), "ledger.db-wal");
	unlink(p);
	path_in(p, sizeof(p), "ledger.db-shm");
	unlink(p);
	return rc;
}

static void
test_ledger_faults(void **state)
{
	(void)state;
	assert_true(every_failure_point("ledger + journal batch", ledger_path_checked, 2000) > 10);
}

/* --- path 2: configuration, charter, governance decode --- */

static const char *charter_text;

static int
files_path(bool unused)
{
	char p[128], err[1024];
	struct config *cfg = __real_malloc(sizeof(*cfg));
	struct charter *c = __real_malloc(sizeof(*c));
	uint8_t h[CHARTER_HASH_BYTES];
	int rc = 0;

	(void)unused;
	assert_non_null(cfg);
	assert_non_null(c);
	config_defaults(cfg);
	path_in(p, sizeof(p), "a5.conf");
	err[0] = '\0';
	if (config_load(p, cfg, err, sizeof(err)) != 0) {
		assert_true(err[0] != '\0');
		rc = -1;
	}
	path_in(p, sizeof(p), "coalition.charter");
	err[0] = '\0';
	if (charter_load_hash(p, c, h, err, sizeof(err)) != 0) {
		assert_true(err[0] != '\0');
		rc = -1;
	}
	free(cfg);
	free(c);
	return rc;
}

static void
test_file_faults(void **state)
{
	(void)state;
	write_text("a5.conf", "mode enforce\nmaxretry 3\nfindtime 10m\nbantime 1h\n"
	    "allow 192.0.2.0/24\nservice sshd maxretry 4\n");
	write_text("coalition.charter", charter_text);
	assert_true(every_failure_point("config + charter files", files_path, 2000) >= 2);
}

/* --- path 4: the shipped rules compiled, attack lines scanned, a ban --- */

static struct detector *fdet;
static int fbans;

static void
on_fault_match(void *arg, const struct rules_match *m)
{
	struct det_event ev;
	struct det_result r;

	(void)arg;
	det_event_from_match(m, 1800000000, &ev);
	det_feed(fdet, &ev, &r);
	if (r.ban)
		fbans++;
}

static int
detect_path(bool unused)
{
	static struct det_service svc[RULES_SERVICES_MAX];
	static const char lines[] =
	    "Dec  4 10:00:01 h sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2\n"
	    "Dec  4 10:00:02 h sshd[2]: Failed password for root from 203.0.113.9 port 2 ssh2\n"
	    "Dec  4 10:00:03 h sshd[3]: Failed password for root from 203.0.113.9 port 3 ssh2\n";
	struct ruleset *rs = rules_new();
	struct rules_scratch *sc = NULL;
	char err[1024];
	int rc = -1;

	(void)unused;
	fdet = NULL;
	fbans = 0;
	err[0] = '\0';
	if (rs == NULL)
		return -1;
	if (rules_load_dir(rs, A5_SRCDIR "/etc/rules", err, sizeof(err)) != 0 ||
	    rules_compile(rs, err, sizeof(err)) != 0) {
		assert_true(err[0] != '\0');	/* a clear error */
		goto out;
	}
	for (size_t i = 0; i < rules_service_count(rs); i++)
		svc[i] = (struct det_service){ 3, 600, false };
	struct det_config dc = { 64, 1000, 100, rules_service_count(rs), svc };
	if ((fdet = det_new(&dc)) == NULL || (sc = rules_scratch_new(rs)) == NULL)
		goto out;
	if (rules_scan(rs, sc, lines, sizeof(lines) - 1, on_fault_match, NULL) < 0)
		goto out;
	/* an allocation the detector could not make loses a window, counted;
	 * it never bans on fewer failures than configured */
	assert_true(fbans <= 1);
	rc = fbans == 1 ? 0 : -1;
out:
	rules_scratch_free(sc);
	det_free(fdet);
	rules_free(rs);
	return rc;
}

static void
test_detect_faults(void **state)
{
	(void)state;
	assert_true(every_failure_point("rules compile + scan + detector", detect_path, 20000) > 10);
}

/* --- path 3: the coalition transport against a real nats-server --- */

static pid_t nats_pid = -1;
static int nats_port;

static bool
nats_start(void)
{
	char port[16], sd[96];
	int fd;

	if (system("command -v nats-server >/dev/null 2>&1") != 0)
		return false;
	nats_port = 14000 + (int)(getpid() % 20000);
	snprintf(port, sizeof(port), "%d", nats_port);
	snprintf(sd, sizeof(sd), "%s/nats", dir);
	if ((nats_pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = __real_open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", port, "-js", "-sd", sd,
		    (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		char url[64];
		natsConnection *nc = NULL;
		snprintf(url, sizeof(url), "nats://127.0.0.1:%d", nats_port);
		if (natsConnection_ConnectTo(&nc, url) == NATS_OK) {
			natsConnection_Destroy(nc);
			return true;
		}
		usleep(100000);
	}
	return false;
}

static int
transport_path(bool unused)
{
	char url[64], err[512];
	const char *urls[1] = { url };
	static const uint8_t msg[] = "fault injection";
	struct transport_config tc;
	struct transport *t;
	int rc;

	(void)unused;
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", nats_port);
	memset(&tc, 0, sizeof(tc));
	tc.urls = urls;
	tc.nurls = 1;
	tc.coalition = "faults";
	tc.self = "0011223344556677";
	err[0] = '\0';
	if ((t = transport_open(&tc, err, sizeof(err))) == NULL) {
		assert_true(err[0] != '\0');
		return -1;
	}
	rc = transport_publish(t, msg, sizeof(msg), "fi-1");
	if (rc != 0)
		assert_true(transport_errmsg(t)[0] != '\0');
	transport_close(t);
	return rc;
}

static void
test_transport_faults(void **state)
{
	(void)state;
	if (!nats_start()) {
		print_message("nats-server not available: transport faults not run\n");
		skip();
	}
	every_failure_point("transport open + publish", transport_path, 500);
}

static int
setup(void **state)
{
	static char text[1024];
	struct identity a, b;
	char ka[ID_PUBLIC_TEXT_MAX], kb[ID_PUBLIC_TEXT_MAX];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/a5faults.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.pk[0] = 1;
	b.pk[0] = 2;
	identity_pk_to_text(a.pk, ka, sizeof(ka));
	identity_pk_to_text(b.pk, kb, sizeof(kb));
	snprintf(text, sizeof(text), "coalition faults\nnats nats://127.0.0.1:4222\n"
	    "member alice %s member 192.0.2.1/32\nmember bob %s member 192.0.2.2/32\n", ka, kb);
	charter_text = text;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (nats_pid > 0) {
		kill(nats_pid, SIGTERM);
		waitpid(nats_pid, NULL, 0);
	}
	transport_library_close();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger_faults),
		cmocka_unit_test(test_file_faults),
		cmocka_unit_test(test_detect_faults),
		cmocka_unit_test(test_transport_faults),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
