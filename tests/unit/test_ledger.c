/* test_ledger.c - ledger: bans, expiry, offenders, state, batching, reopen, versioning,
 * the proofs the CLI reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"

#include "common/addr.h"
#include "ledger/ledger.h"

#define NOW 1700000000

/* A temporary directory per file-backed test, removed in teardown. */
struct tmpdb {
	char dir[64];
	char path[128];
};

static struct a5_prefix
pfx(const char *s)
{
	struct a5_prefix p;

	assert_int_equal(prefix_parse(s, strlen(s), &p), 0);
	return p;
}

static struct ledger_ban
mkban(const char *prefix, int64_t created, int64_t expires)
{
	struct ledger_ban b;

	memset(&b, 0, sizeof(b));
	b.prefix = pfx(prefix);
	snprintf(b.service, sizeof(b.service), "sshd");
	snprintf(b.rule, sizeof(b.rule), "failed-password");
	snprintf(b.reason, sizeof(b.reason), "maxretry");
	snprintf(b.origin, sizeof(b.origin), "local");
	b.evidence = 5;
	b.first_seen = created - 60;
	b.last_seen = created;
	b.created = created;
	b.expires = expires;
	return b;
}

static struct ledger *
open_mem(void)
{
	struct ledger *l = NULL;
	char err[256];

	if (ledger_open(":memory:", &l, err, sizeof(err)) != 0)
		fail_msg("ledger_open: %s", err);
	return l;
}

static void
put(struct ledger *l, const struct ledger_ban *b)
{
	if (ledger_ban_put(l, b) != 0)
		fail_msg("ledger_ban_put: %s", ledger_errmsg(l));
}

static int
tmp_setup(void **state)
{
	struct tmpdb *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_ledger.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/ledger.db", t->dir);
	*state = t;
	return 0;
}

static int
tmp_teardown(void **state)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	struct tmpdb *t = *state;
	char p[160];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/not-a-db", t->dir);
	unlink(p);
	assert_int_equal(rmdir(t->dir), 0);
	free(t);
	return 0;
}

static void
test_put_get_remove(void **state)
{
	struct ledger *l = open_mem();
	struct ledger_ban b = mkban("192.0.2.1", NOW, NOW + 600), got;
	struct ledger_ban b6 = mkban("2001:db8::/64", NOW, 0);
	struct a5_prefix net = pfx("192.0.2.0/24");

	(void)state;
	put(l, &b);
	put(l, &b6);
	assert_int_equal(ledger_ban_get(l, &b.prefix, &got), 1);
	assert_true(prefix_equal(&got.prefix, &b.prefix));
	assert_string_equal(got.service, "sshd");
	assert_string_equal(got.rule, "failed-password");
	assert_string_equal(got.reason, "maxretry");
	assert_string_equal(got.origin, "local");
	assert_int_equal(got.evidence, 5);
	assert_int_equal(got.first_seen, NOW - 60);
	assert_int_equal(got.last_seen, NOW);
	assert_int_equal(got.created, NOW);
	assert_int_equal(got.expires, NOW + 600);
	assert_int_equal(ledger_ban_get(l, &b6.prefix, &got), 1);
	assert_true(prefix_equal(&got.prefix, &b6.prefix));
	assert_int_equal(got.expires, 0);

	/* The key is family+address+length: the /24 is a different ban. */
	assert_int_equal(ledger_ban_get(l, &net, &got), 0);
	assert_int_equal(ledger_ban_remove(l, &net), 0);

	assert_int_equal(ledger_ban_remove(l, &b.prefix), 1);
	assert_int_equal(ledger_ban_get(l, &b.prefix, &got), 0);
	assert_int_equal(ledger_ban_remove(l, &b.prefix), 0);
	assert_int_equal(ledger_bans_count(l, NOW), 1);
	ledger_close(l);
}

static void
test_upsert_replaces(void **state)
{
	struct ledger *l = open_mem();
	struct ledger_ban b = mkban("198.51.100.7", NOW, NOW + 60), got;

	(void)state;
	put(l, &b);
	b.evidence = 9;
	b.expires = NOW + 3600;
	snprintf(b.reason, sizeof(b.reason), "recidive");
	put(l, &b);
	assert_int_equal(ledger_bans_count(l, NOW), 1);
	assert_int_equal(ledger_ban_get(l, &b.prefix, &got), 1);
	assert_int_equal(got.evidence, 9);
	assert_int_equal(got.expires, NOW + 3600);
	assert_string_equal(got.reason, "recidive");
	ledger_close(l);
}

struct walk {
	int n, stop_after;
	char seen[8][A5_PREFIX_STRLEN];
	char origin[8][LEDGER_NAME_MAX];
	int64_t expires[8];
};

static int
walk_cb(const struct ledger_ban *b, void *arg)
{
	struct walk *w = arg;

	if (w->n < 8) {
		prefix_format(&b->prefix, w->seen[w->n], sizeof(w->seen[0]));
		snprintf(w->origin[w->n], sizeof(w->origin[0]), "%s", b->origin);
		w->expires[w->n] = b->expires;
	}
	w->n++;
	return w->stop_after > 0 && w->n >= w->stop_after;
}

static void
test_active_vs_expired(void **state)
{
	struct ledger *l = open_mem();
	struct ledger_ban bans[] = {
		mkban("10.0.0.3", NOW - 5, NOW + 100),	/* active, created last */
		mkban("10.0.0.1", NOW - 30, 0),		/* never expires */
		mkban("10.0.0.2", NOW - 10, NOW),	/* expired exactly at now */
		mkban("10.0.0.4", NOW - 20, NOW - 1),	/* expired */
		mkban("10.0.0.5", NOW - 5, NOW + 1),	/* same second as .3, later rowid */
	};
	struct walk w;

	(void)state;
	for (size_t i = 0; i < sizeof(bans) / sizeof(bans[0]); i++)
		put(l, &bans[i]);

	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), 3);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.seen[0], "10.0.0.1");
	assert_string_equal(w.seen[1], "10.0.0.3");
	assert_string_equal(w.seen[2], "10.0.0.5");

	/* Replacing a ban keeps its place among bans of the same second. */
	put(l, &bans[0]);
	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), 3);
	assert_string_equal(w.seen[1], "10.0.0.3");
	assert_string_equal(w.seen[2], "10.0.0.5");

	/* A callback returning non-zero stops the walk. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), 2);

	/* Earlier, every ban was still active. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW - 2, walk_cb, &w), 5);
	assert_string_equal(w.seen[0], "10.0.0.1");
	assert_string_equal(w.seen[1], "10.0.0.4");
	assert_string_equal(w.seen[2], "10.0.0.2");

	/* Far in the future only the permanent ban is left. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW + 1000000, walk_cb, &w), 1);
	ledger_close(l);
}

static struct ledger *nested_l;

static int
nested_cb(const struct ledger_ban *b, void *arg)
{
	struct walk w;

	(void)b;
	memset(&w, 0, sizeof(w));
	*(int *)arg = ledger_bans_active(nested_l, NOW, walk_cb, &w);
	return 0;
}

static struct ledger_ban
mkcban(const char *prefix, const char *member, int64_t created, int64_t deadline)
{
	struct ledger_ban b = mkban(prefix, created, deadline);

	snprintf(b.reason, sizeof(b.reason), "coalition");
	snprintf(b.origin, sizeof(b.origin), "%s", member);
	return b;
}

/* Coalition bans are one cbans row each, with provenance; the listing
 * merges them with this host's bans, one row per prefix (the longer). */
static void
test_coalition_listing(void **state)
{
	struct ledger *l = open_mem();
	struct ledger_ban a = mkban("10.0.0.1", NOW - 30, NOW + 100);
	struct ledger_ban c = mkban("10.0.0.3", NOW - 20, 0);
	struct ledger_ban ca = mkcban("10.0.0.1", "m1", NOW - 10, NOW + 50);
	struct ledger_ban cb = mkcban("10.0.0.2", "m2", NOW - 5, NOW + 60);
	struct ledger_ban cc = mkcban("10.0.0.3", "m1", NOW - 1, NOW + 500);
	struct walk w;
	int64_t prev, dl;

	(void)state;
	put(l, &a);
	put(l, &c);
	assert_int_equal(ledger_cban_raise(l, &ca, NOW, &prev), 1);
	assert_int_equal(prev, 0);
	assert_int_equal(ledger_cban_raise(l, &cb, NOW, &prev), 1);
	assert_int_equal(ledger_cban_raise(l, &cc, NOW, &prev), 1);
	/* held at least as long: nothing written */
	ca.expires = NOW + 40;
	assert_int_equal(ledger_cban_raise(l, &ca, NOW, &prev), 0);
	assert_int_equal(prev, NOW + 50);

	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), 3);
	assert_string_equal(w.seen[0], "10.0.0.1");	/* the local ban lasts longer */
	assert_string_equal(w.origin[0], "local");
	assert_string_equal(w.seen[1], "10.0.0.3");	/* a permanent local ban */
	assert_string_equal(w.origin[1], "local");
	assert_string_equal(w.seen[2], "10.0.0.2");
	assert_string_equal(w.origin[2], "m2");
	assert_int_equal(w.expires[2], NOW + 60);
	assert_int_equal(ledger_bans_count(l, NOW), 3);

	/* raised past the local ban, by another member: the coalition's shows */
	ca = mkcban("10.0.0.1", "m3", NOW, NOW + 200);
	assert_int_equal(ledger_cban_raise(l, &ca, NOW, &prev), 1);
	assert_int_equal(prev, NOW + 50);
	assert_int_equal(ledger_cban_get(l, &ca.prefix, &dl), 1);
	assert_int_equal(dl, NOW + 200);
	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), 3);
	assert_string_equal(w.seen[2], "10.0.0.1");	/* created now: last */
	assert_string_equal(w.origin[2], "m3");
	assert_int_equal(w.expires[2], NOW + 200);
	assert_int_equal(ledger_bans_count(l, NOW), 3);

	/* a malformed row is refused */
	struct ledger_ban bad = cb;
	bad.prefix.addr[15] = 1;
	assert_int_equal(ledger_cban_raise(l, &bad, NOW, &prev), -1);

	/* clearing this host's bans leaves the coalition's; expired ones go */
	assert_int_equal(ledger_bans_clear(l), 2);
	assert_int_equal(ledger_bans_count(l, NOW), 3);
	assert_int_equal(ledger_bans_count(l, NOW + 100), 2);
	assert_int_equal(ledger_cbans_expire(l, NOW + 100), 1);
	assert_int_equal(ledger_bans_count(l, NOW + 100), 2);
	ledger_close(l);
}

static void
test_walk_not_reentrant(void **state)
{
	struct ledger *l = open_mem();
	struct ledger_ban b = mkban("10.1.0.1", NOW, 0);
	int inner = 0;

	(void)state;
	put(l, &b);
	nested_l = l;
	assert_int_equal(ledger_bans_active(l, NOW, nested_cb, &inner), 1);
	assert_int_equal(inner, -1);
	assert_non_null(strstr(ledger_errmsg(l), "callback"));
	ledger_close(l);
}

static void
test_expire_and_count(void **state)
{
	struct ledger *l = open_mem();
	struct ledger_ban b;
	struct a5_prefix p;

	(void)state;
	b = mkban("203.0.113.1", NOW, 0);
	put(l, &b);
	b = mkban("203.0.113.2", NOW, NOW);
	put(l, &b);
	b = mkban("203.0.113.3", NOW, NOW - 100);
	put(l, &b);
	b = mkban("203.0.113.4", NOW, NOW + 1);
	put(l, &b);

	assert_int_equal(ledger_bans_count(l, NOW - 200), 4);
	assert_int_equal(ledger_bans_count(l, NOW), 2);
	assert_int_equal(ledger_bans_expire(l, NOW), 2);
	assert_int_equal(ledger_bans_expire(l, NOW), 0);
	assert_int_equal(ledger_bans_count(l, NOW - 200), 2);
	p = pfx("203.0.113.1");
	assert_int_equal(ledger_ban_get(l, &p, &b), 1);
	p = pfx("203.0.113.4");
	assert_int_equal(ledger_ban_get(l, &p, &b), 1);
	p = pfx("203.0.113.2");
	assert_int_equal(ledger_ban_get(l, &p, &b), 0);

	/* The permanent ban survives any expiry. */
	assert_int_equal(ledger_bans_expire(l, INT64_MAX), 1);
	assert_int_equal(ledger_bans_count(l, INT64_MAX), 1);
	ledger_close(l);
}

static void
test_clear(void **state)
{
	struct ledger *l = open_mem();
	char name[32];

	(void)state;
	assert_int_equal(ledger_bans_clear(l), 0);
	for (int i = 1; i <= 10; i++) {
		snprintf(name, sizeof(name), "192.0.2.%d", i);
		struct ledger_ban b = mkban(name, NOW, i % 2 ? 0 : NOW - 1);
		put(l, &b);
	}
	assert_int_equal(ledger_bans_clear(l), 10);
	assert_int_equal(ledger_bans_count(l, 0), 0);
	ledger_close(l);
}

static void
test_offenders(void **state)
{
	struct ledger *l = open_mem();
	struct a5_prefix p = pfx("198.51.100.9"), q = pfx("2001:db8::9");
	uint32_t n = 99;

	(void)state;
	assert_int_equal(ledger_offender_count(l, &p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ledger_offender_bump(l, &p, NOW, 3600, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ledger_offender_bump(l, &p, NOW + 100, 3600, &n), 0);
	assert_int_equal(n, 2);
	/* Exactly forget_after later is not yet "older than". */
	assert_int_equal(ledger_offender_bump(l, &p, NOW + 3700, 3600, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ledger_offender_count(l, &p, &n), 0);
	assert_int_equal(n, 3);
	/* Another address has its own history. */
	assert_int_equal(ledger_offender_bump(l, &q, NOW, 3600, &n), 0);
	assert_int_equal(n, 1);
	/* Quiet for longer than forget_after: history starts over. */
	assert_int_equal(ledger_offender_bump(l, &p, NOW + 3700 + 3601, 3600, &n), 0);
	assert_int_equal(n, 1);
	/* forget_after 0 never forgets. */
	assert_int_equal(ledger_offender_bump(l, &p, NOW + 10 * 365 * 86400LL, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ledger_offender_bump(l, &p, NOW, -1, &n), -1);
	assert_int_equal(ledger_offender_count(l, &q, &n), 0);
	assert_int_equal(n, 1);
	ledger_close(l);
}

static void
test_state(void **state)
{
	struct ledger *l = open_mem();
	char buf[LEDGER_STATE_MAX], small[4], big[LEDGER_STATE_MAX + 1];

	(void)state;
	assert_int_equal(ledger_state_get(l, "journal.cursor", buf, sizeof(buf)), 0);
	assert_int_equal(ledger_state_set(l, "journal.cursor", "s=abc;i=1"), 0);
	assert_int_equal(ledger_state_get(l, "journal.cursor", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "s=abc;i=1");
	assert_int_equal(ledger_state_set(l, "journal.cursor", "s=abc;i=2"), 0);
	assert_int_equal(ledger_state_get(l, "journal.cursor", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "s=abc;i=2");
	assert_int_equal(ledger_state_set(l, "empty", ""), 0);
	assert_int_equal(ledger_state_get(l, "empty", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "");

	/* The buffer is too small: an error, never a silent truncation. */
	assert_int_equal(ledger_state_get(l, "journal.cursor", small, sizeof(small)), -1);
	assert_string_equal(small, "");

	/* The longest value fits; one byte more is refused. */
	memset(big, 'x', sizeof(big));
	big[LEDGER_STATE_MAX - 1] = '\0';
	assert_int_equal(ledger_state_set(l, "big", big), 0);
	assert_int_equal(ledger_state_get(l, "big", buf, sizeof(buf)), 1);
	assert_int_equal(strlen(buf), LEDGER_STATE_MAX - 1);
	big[LEDGER_STATE_MAX - 1] = 'x';
	big[LEDGER_STATE_MAX] = '\0';
	assert_int_equal(ledger_state_set(l, "big", big), -1);
	assert_non_null(strstr(ledger_errmsg(l), "value longer"));
	assert_int_equal(ledger_state_set(l, big, "v"), -1);
	assert_int_equal(ledger_state_get(l, big, buf, sizeof(buf)), -1);
	/* The refused write left the old value alone. */
	assert_int_equal(ledger_state_get(l, "big", buf, sizeof(buf)), 1);
	assert_int_equal(strlen(buf), LEDGER_STATE_MAX - 1);
	ledger_close(l);
}

static void
test_invalid_input(void **state)
{
	struct ledger *l = open_mem();
	struct ledger_ban b = mkban("192.0.2.1", NOW, 0), got;
	struct a5_prefix p;
	uint32_t n;

	(void)state;
	b.prefix.len = 33;
	assert_int_equal(ledger_ban_put(l, &b), -1);
	assert_non_null(strstr(ledger_errmsg(l), ":memory:: invalid prefix"));
	b = mkban("192.0.2.1", NOW, 0);
	b.prefix.family = 5;
	assert_int_equal(ledger_ban_put(l, &b), -1);
	b = mkban("192.0.2.1", NOW, 0);
	b.prefix.len = 24;	/* host bits set */
	assert_int_equal(ledger_ban_put(l, &b), -1);
	assert_int_equal(ledger_ban_get(l, &b.prefix, &got), -1);
	assert_int_equal(ledger_ban_remove(l, &b.prefix), -1);
	assert_int_equal(ledger_offender_bump(l, &b.prefix, NOW, 0, &n), -1);
	assert_int_equal(ledger_offender_count(l, &b.prefix, &n), -1);
	b = mkban("192.0.2.1", NOW, 0);
	b.prefix.addr[8] = 1;	/* garbage past an IPv4 address */
	assert_int_equal(ledger_ban_put(l, &b), -1);

	b = mkban("192.0.2.1", NOW, 0);
	memset(b.service, 'a', sizeof(b.service));	/* not terminated */
	assert_int_equal(ledger_ban_put(l, &b), -1);
	assert_non_null(strstr(ledger_errmsg(l), "NUL"));
	p = pfx("192.0.2.1");
	assert_int_equal(ledger_ban_get(l, &p, &got), 0);
	assert_int_equal(ledger_bans_count(l, NOW), 0);

	/* The longest name fits. */
	b = mkban("192.0.2.1", NOW, 0);
	memset(b.service, 'a', sizeof(b.service) - 1);
	put(l, &b);
	assert_int_equal(ledger_ban_get(l, &p, &got), 1);
	assert_int_equal(strlen(got.service), LEDGER_NAME_MAX - 1);
	ledger_close(l);
}

static void
test_batching(void **state)
{
	struct ledger *l = open_mem();
	char name[32];

	(void)state;
	assert_int_equal(ledger_commit(l), -1);	/* no begin */
	assert_non_null(strstr(ledger_errmsg(l), "commit without begin"));

	assert_int_equal(ledger_begin(l), 0);
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "10.%d.%d.1", i / 256, i % 256);
		struct ledger_ban b = mkban(name, NOW + i, 0);
		put(l, &b);
	}
	assert_int_equal(ledger_state_set(l, "k", "v"), 0);
	assert_int_equal(ledger_commit(l), 0);
	assert_int_equal(ledger_bans_count(l, NOW), 2000);

	/* Nested: only the outermost commit ends the transaction. */
	assert_int_equal(ledger_begin(l), 0);
	assert_int_equal(ledger_begin(l), 0);
	assert_int_equal(ledger_bans_clear(l), 2000);
	assert_int_equal(ledger_commit(l), 0);
	assert_int_equal(ledger_commit(l), 0);
	assert_int_equal(ledger_commit(l), -1);
	assert_int_equal(ledger_bans_count(l, NOW), 0);

	/* Nesting has a ceiling; the batch is still committable after. */
	int depth = 0;
	while (ledger_begin(l) == 0)
		depth++;
	assert_true(depth >= 2 && depth < 1000);
	while (depth-- > 0)
		assert_int_equal(ledger_commit(l), 0);
	ledger_close(l);
}

static int
count_ban(const struct ledger_ban *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

/*
 * Checkpoints in a thread of their own (checkpoint.c): the writer's commits
 * only signal it once the WAL passes 1000 pages, and SQLite's automatic
 * checkpoint is off, so pages reach the database file only through the
 * thread. 3000 batches of one ban each pass the threshold; the thread runs
 * without failing, the file grows, and everything is there after a reopen.
 * In memory there is no thread.
 */
static void
test_checkpoint_thread(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l, *m = open_mem();
	char err[512], addr[32];
	uint64_t runs = 0, failures = 0;
	struct stat st0, st1;
	int n = 0;

	assert_int_equal(ledger_checkpoint_in_background(m, err, sizeof(err)), 0);
	ledger_checkpoint_counts(m, &runs, &failures);
	assert_int_equal(runs, 0);
	ledger_close(m);

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	if (ledger_checkpoint_in_background(l, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(stat(t->path, &st0), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
		struct ledger_ban b = mkban(addr, NOW, 0);
		assert_int_equal(ledger_begin(l), 0);
		put(l, &b);
		assert_int_equal(ledger_commit(l), 0);
	}
	for (int i = 0; i < 100 && runs == 0; i++) {
		usleep(50000);
		ledger_checkpoint_counts(l, &runs, &failures);
	}
	assert_true(runs >= 1);
	assert_int_equal(failures, 0);
	assert_int_equal(stat(t->path, &st1), 0);
	assert_true(st1.st_size > st0.st_size);
	ledger_close(l);
	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	assert_int_equal(ledger_bans_active(l, NOW, count_ban, &n), 3000);
	assert_int_equal(n, 3000);
	ledger_close(l);
}

/* A second connection sees only what the outermost commit wrote. */
static void
test_batching_visibility(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *w, *r;
	struct ledger_ban b = mkban("192.0.2.50", NOW, 0), got;
	char err[512];

	assert_int_equal(ledger_open(t->path, &w, err, sizeof(err)), 0);
	assert_int_equal(ledger_open(t->path, &r, err, sizeof(err)), 0);

	assert_int_equal(ledger_begin(w), 0);
	assert_int_equal(ledger_begin(w), 0);
	put(w, &b);
	assert_int_equal(ledger_commit(w), 0);
	assert_int_equal(ledger_ban_get(r, &b.prefix, &got), 0);
	/* Opening an up-to-date file takes no write lock, so it does not wait
	 * behind an open batch (the CLI next to the daemon). */
	struct ledger *r2;
	int64_t t0 = (int64_t)time(NULL);
	assert_int_equal(ledger_open(t->path, &r2, err, sizeof(err)), 0);
	assert_true((int64_t)time(NULL) - t0 < 2);
	assert_int_equal(ledger_ban_get(r2, &b.prefix, &got), 0);
	ledger_close(r2);
	assert_int_equal(ledger_commit(w), 0);
	assert_int_equal(ledger_ban_get(r, &b.prefix, &got), 1);

	/* Outside a batch every write is visible at once (autocommit). */
	assert_int_equal(ledger_ban_remove(w, &b.prefix), 1);
	assert_int_equal(ledger_ban_get(r, &b.prefix, &got), 0);

	/* Closing with a batch open drops it. */
	assert_int_equal(ledger_begin(w), 0);
	put(w, &b);
	ledger_close(w);
	assert_int_equal(ledger_ban_get(r, &b.prefix, &got), 0);
	ledger_close(r);
}

struct collect {
	int n;
	struct ledger_ban bans[4];
};

static int
collect_cb(const struct ledger_ban *b, void *arg)
{
	struct collect *c = arg;

	if (c->n < 4)
		c->bans[c->n] = *b;
	c->n++;
	return 0;
}

static void
test_reopen_persists(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l;
	struct ledger_ban b4 = mkban("192.0.2.77", NOW, NOW + 3600);
	struct ledger_ban b6 = mkban("2001:db8:1::/48", NOW + 1, 0);
	struct collect c;
	struct stat sb;
	char err[512], buf[64];
	uint32_t n;

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	assert_int_equal(stat(t->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(ledger_begin(l), 0);
	put(l, &b4);
	put(l, &b6);
	assert_int_equal(ledger_offender_bump(l, &b4.prefix, NOW, 0, &n), 0);
	assert_int_equal(ledger_offender_bump(l, &b4.prefix, NOW, 0, &n), 0);
	assert_int_equal(ledger_state_set(l, "pos:/var/log/auth.log", "123:4567"), 0);
	assert_int_equal(ledger_commit(l), 0);
	/* The WAL and shm files follow the database file's mode. */
	char side[160];
	snprintf(side, sizeof(side), "%s-wal", t->path);
	assert_int_equal(stat(side, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(side, sizeof(side), "%s-shm", t->path);
	assert_int_equal(stat(side, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	ledger_close(l);

	/* Restore path: what the daemon re-applies after a restart. */
	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(ledger_bans_active(l, NOW, collect_cb, &c), 2);
	assert_true(prefix_equal(&c.bans[0].prefix, &b4.prefix));
	assert_int_equal(c.bans[0].expires, NOW + 3600);
	assert_true(prefix_equal(&c.bans[1].prefix, &b6.prefix));
	assert_int_equal(c.bans[1].prefix.len, 48);
	assert_int_equal(ledger_offender_count(l, &b4.prefix, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ledger_state_get(l, "pos:/var/log/auth.log", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "123:4567");
	ledger_close(l);

	/* The file is in WAL mode and carries the schema version. */
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 4);	/* version 4: corigins */
	sqlite3_finalize(st);
	/* version 3: bans has one index besides its unique key */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'index' AND tbl_name = 'bans' AND name NOT LIKE 'sqlite_autoindex%'", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A version 2 file (with the index on bans.created) opens as version 3:
 * the index is gone, the bans and their order are kept. */
static void
test_migrate_v2(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l = NULL;
	struct ledger_ban b1 = mkban("10.0.0.1", NOW - 5, NOW + 100);
	struct ledger_ban b2 = mkban("10.0.0.2", NOW - 9, NOW + 100);
	struct walk w;
	char err[512];

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	put(l, &b1);
	put(l, &b2);
	ledger_close(l);
	/* back to version 2's shape, with a coalition ban of that version */
	exec_sql(t->path, "CREATE INDEX bans_created ON bans (created);"
	    "ALTER TABLE cbans DROP COLUMN service; ALTER TABLE cbans DROP COLUMN rule;"
	    "ALTER TABLE cbans DROP COLUMN origin; ALTER TABLE cbans DROP COLUMN evidence;"
	    "ALTER TABLE cbans DROP COLUMN first_seen; ALTER TABLE cbans DROP COLUMN last_seen;"
	    "ALTER TABLE cbans DROP COLUMN created;"
	    "INSERT INTO cbans VALUES (4, x'c6336407000000000000000000000000', 32, 1700000200);"
	    "PRAGMA user_version = 2;");

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), 3);
	assert_string_equal(w.seen[0], "198.51.100.7");	/* created 0: unknown, first */
	assert_string_equal(w.seen[1], "10.0.0.2");	/* created first */
	assert_string_equal(w.seen[2], "10.0.0.1");
	assert_string_equal(w.origin[0], "coalition");
	ledger_close(l);

	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version), "
	    "(SELECT count(*) FROM sqlite_master WHERE name = 'bans_created')", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 4);
	assert_int_equal(sqlite3_column_int(st, 1), 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* A version 1 file (no cbans, no declines) takes both migration steps:
 * its bans stay, and the coalition's tables work. */
static void
test_migrate_v1(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l = NULL;
	struct ledger_ban b1 = mkban("10.0.0.1", NOW - 5, NOW + 100), got;
	struct a5_prefix p = pfx("10.0.0.1"), q = pfx("198.51.100.0/24");
	int64_t deadline = 0;
	char err[512];

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	put(l, &b1);
	ledger_close(l);
	exec_sql(t->path, "DROP TABLE cbans; DROP TABLE declines; PRAGMA user_version = 1;");

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	assert_int_equal(ledger_ban_get(l, &p, &got), 1);
	assert_int_equal(got.expires, NOW + 100);
	assert_int_equal(ledger_decline_put(l, &q, 1, NOW + 50), 0);
	b1.prefix = q;
	assert_int_equal(ledger_cban_raise(l, &b1, NOW, &deadline), 1);
	assert_int_equal(ledger_cban_get(l, &q, &deadline), 1);
	assert_int_equal(deadline, NOW + 100);
	ledger_close(l);
}

struct proofs_seen {
	int n;
	int64_t seq[4];
	size_t alen[4];
	int stop_after;		/* 0: never */
};

static int
proof_cb(int64_t seq, int64_t found, const void *a, size_t alen, const void *b, size_t blen,
    void *arg)
{
	struct proofs_seen *s = arg;

	assert_true(s->n < 4);
	assert_int_equal(found, NOW + seq);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(blen, alen + 1);
	assert_int_equal(((const uint8_t *)a)[0], (uint8_t)seq);
	s->seq[s->n] = seq;
	s->alen[s->n] = alen;
	s->n++;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

/* ledger_proofs_read (article5 evidence): one reporter's proofs by seq, on
 * a read-only connection that neither creates nor changes the file. */
static void
test_proofs_read(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l = NULL;
	uint8_t alice[LEDGER_KEY_BYTES], bob[LEDGER_KEY_BYTES], a[8], b[9];
	struct proofs_seen s;
	struct stat sb;
	char err[512];

	memset(alice, 0xa1, sizeof(alice));
	memset(bob, 0xb0, sizeof(bob));
	/* no file: refused, and not created */
	assert_int_equal(ledger_proofs_read(t->path, alice, proof_cb, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(stat(t->path, &sb), -1);

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	for (uint8_t seq = 3; seq >= 1; seq--) {
		memset(a, seq, sizeof(a));
		memset(b, seq, sizeof(b));
		assert_int_equal(ledger_proof_put(l, alice, seq, a, sizeof(a) - seq, b,
		    sizeof(a) - seq + 1, NOW + seq), 0);
	}
	memset(a, 9, sizeof(a));
	assert_int_equal(ledger_proof_put(l, bob, 9, a, 2, a, 3, NOW + 9), 0);
	ledger_close(l);

	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_proofs_read(t->path, alice, proof_cb, &s, err, sizeof(err)), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seq[0], 1);
	assert_int_equal(s.seq[1], 2);
	assert_int_equal(s.seq[2], 3);
	assert_int_equal(s.alen[0], 7);
	assert_int_equal(s.alen[2], 5);
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(ledger_proofs_read(t->path, alice, proof_cb, &s, err, sizeof(err)), 1);
	memset(bob, 0xcc, sizeof(bob));
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_proofs_read(t->path, bob, proof_cb, &s, err, sizeof(err)), 0);
	/* a file without the ledger's tables: SQLite's word for it */
	exec_sql(t->path, "DROP TABLE proofs");
	assert_int_equal(ledger_proofs_read(t->path, alice, proof_cb, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no such table: proofs"));
}

/* Version 2 also wrote a bans row (reason "coalition") per coalition ban:
 * the migration hands its provenance to the cbans row and deletes it, so
 * the listing shows each coalition ban once, with who reported it. */
static void
test_migrate_v2_coalition_rows(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l = NULL;
	struct ledger_ban local = mkban("10.0.0.1", NOW - 5, NOW + 100);
	struct ledger_ban remote = mkcban("198.51.100.7", "m2", NOW - 3, NOW + 200);
	struct ledger_ban orphan = mkcban("198.51.100.8", "m3", NOW - 2, NOW + 200);
	struct walk w;
	char err[512], sql[1024];

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	put(l, &local);
	put(l, &remote);	/* as version 2 wrote them: bans rows */
	put(l, &orphan);
	ledger_close(l);
	snprintf(sql, sizeof(sql), "CREATE INDEX bans_created ON bans (created);"
	    "ALTER TABLE cbans DROP COLUMN service; ALTER TABLE cbans DROP COLUMN rule;"
	    "ALTER TABLE cbans DROP COLUMN origin; ALTER TABLE cbans DROP COLUMN evidence;"
	    "ALTER TABLE cbans DROP COLUMN first_seen; ALTER TABLE cbans DROP COLUMN last_seen;"
	    "ALTER TABLE cbans DROP COLUMN created;"
	    "INSERT INTO cbans VALUES (4, x'c6336407000000000000000000000000', 32, %lld);"
	    "PRAGMA user_version = 2;", (long long)(NOW + 200));
	exec_sql(t->path, sql);

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), 2);
	assert_string_equal(w.seen[0], "10.0.0.1");
	assert_string_equal(w.origin[0], "local");
	assert_string_equal(w.seen[1], "198.51.100.7");
	assert_string_equal(w.origin[1], "m2");	/* the provenance moved */
	assert_int_equal(w.expires[1], NOW + 200);
	assert_int_equal(ledger_bans_count(l, NOW), 2);
	/* no bans row is left for either: an unban finds only the local one */
	assert_int_equal(ledger_ban_remove(l, &remote.prefix), 0);
	assert_int_equal(ledger_ban_remove(l, &orphan.prefix), 0);
	ledger_close(l);
}

static void
test_newer_version_refused(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l = (struct ledger *)1;
	char err[512];

	exec_sql(t->path, "CREATE TABLE future (x); PRAGMA user_version = 99;");
	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), -1);
	assert_null(l);
	assert_non_null(strstr(err, t->path));
	assert_non_null(strstr(err, "schema version 99 is newer"));

	/* Refusing did not touch the file: still version 99, not WAL. */
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "delete");
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* A tiny err buffer is still terminated. */
	char tiny[8];
	assert_int_equal(ledger_open(t->path, &l, tiny, sizeof(tiny)), -1);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static void
test_open_errors(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l;
	char err[512], path[160];
	FILE *f;

	assert_int_equal(ledger_open("/nonexistent-dir/x/ledger.db", &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x/ledger.db: create:"));

	snprintf(path, sizeof(path), "%s/not-a-db", t->dir);
	assert_non_null(f = fopen(path, "w"));
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database\n", f);
	fclose(f);
	assert_int_equal(ledger_open(path, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a database"));
}

/* Rows edited behind the ledger's back are refused, not copied blindly. */
static void
test_corrupt_rows(void **state)
{
	struct tmpdb *t = *state;
	struct ledger *l;
	struct ledger_ban b = mkban("192.0.2.9", NOW, 0), got;
	struct walk w;
	char err[512], buf[LEDGER_STATE_MAX];
	uint32_t n;

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	put(l, &b);
	assert_int_equal(ledger_offender_bump(l, &b.prefix, NOW, 0, &n), 0);
	ledger_close(l);
	exec_sql(t->path,
	    "UPDATE bans SET service = printf('%.*c', 200, 'x');"
	    "UPDATE offenders SET count = -5;"
	    "INSERT INTO state VALUES ('huge', printf('%.*c', 5000, 'y'));");

	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	assert_int_equal(ledger_ban_get(l, &b.prefix, &got), -1);
	assert_non_null(strstr(ledger_errmsg(l), "corrupt ban row"));
	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), -1);
	assert_int_equal(w.n, 0);
	assert_int_equal(ledger_offender_count(l, &b.prefix, &n), -1);
	assert_int_equal(ledger_state_get(l, "huge", buf, sizeof(buf)), -1);
	ledger_close(l);

	exec_sql(t->path, "UPDATE bans SET service = 'sshd', addr = x'0102';");
	assert_int_equal(ledger_open(t->path, &l, err, sizeof(err)), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(ledger_bans_active(l, NOW, walk_cb, &w), -1);
	assert_non_null(strstr(ledger_errmsg(l), "16 bytes"));
	ledger_close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_remove),
		cmocka_unit_test(test_upsert_replaces),
		cmocka_unit_test(test_active_vs_expired),
		cmocka_unit_test(test_coalition_listing),
		cmocka_unit_test(test_walk_not_reentrant),
		cmocka_unit_test(test_expire_and_count),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_offenders),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_batching),
		cmocka_unit_test_setup_teardown(test_batching_visibility, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_persists, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2_coalition_rows, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_newer_version_refused, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_rows, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_proofs_read, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_thread, tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
