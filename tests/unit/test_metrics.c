/* test_metrics.c - the metrics' renderings and the web server's inputs:
 * label values escaped (quotes, backslashes, newlines, control bytes,
 * broken UTF-8) and cut at a character boundary; histogram buckets
 * cumulative with +Inf equal to the count; families bounded, the dropped
 * label sets counted; the listen address parser; the dashboard's rings
 * oldest first across wrap-around, their text JSON-escaped; a coalition
 * ban's service labels bans_total only when this host has that service. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "daemon/control.h"
#include "http/dashboard.h"
#include "http/http.h"
#include "http/metrics.h"
#include "daemon/worker.h"
#include "rules/rules.h"

static char *
render(const struct metrics *m, int json)
{
	static struct outbuf out;

	outbuf_free(&out);
	if (json)
		metrics_render_json(m, &out);
	else
		metrics_render(m, &out);
	assert_false(out.overflow);
	outbuf_printf(&out, "%s", "");	/* NUL-terminated even when empty */
	return out.data;
}

static void
test_escape(void **state)
{
	char buf[64];
	(void)state;

	metrics_escape_label(buf, sizeof(buf), "plain");
	assert_string_equal(buf, "\"plain\"");
	metrics_escape_label(buf, sizeof(buf), "a\"b\\c\nd");
	assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\"");
	metrics_escape_label(buf, sizeof(buf), "tab\there\x7f");
	assert_string_equal(buf, "\"tab?here?\"");
	/* well-formed UTF-8 kept; a lone continuation byte, an overlong
	 * form and a surrogate replaced byte by byte */
	metrics_escape_label(buf, sizeof(buf), "caf\xc3\xa9 \x80 \xc0\xaf \xed\xa0\x80");
	assert_string_equal(buf, "\"caf\xc3\xa9 ? ?? ???\"");
	/* cut before a character that does not fit, the quote kept */
	metrics_escape_label(buf, 6, "ab\xc3\xa9");
	assert_string_equal(buf, "\"ab\"");
	metrics_escape_label(buf, 7, "ab\xc3\xa9");
	assert_string_equal(buf, "\"ab\xc3\xa9\"");
	/* an escape is never split either */
	metrics_escape_label(buf, 5, "a\"");
	assert_string_equal(buf, "\"a\"");
}

/* utf8_seq (util.c), which label escaping and json_escape share: each
 * lead byte's range at both ends, and the sequences it must refuse. */
static void
test_utf8_seq(void **state)
{
	static const struct {
		const char *s;
		size_t len;
	} cases[] = {
		{ "a", 1 }, { "\x7f", 1 }, { "", 1 },		/* ASCII, NUL included */
		{ "\x80", 0 }, { "\xbf", 0 },			/* lone continuations */
		{ "\xc0\xaf", 0 }, { "\xc1\xbf", 0 },		/* overlong 2-byte */
		{ "\xc2\x80", 2 }, { "\xdf\xbf", 2 },
		{ "\xc3", 0 }, { "\xc3(", 0 },			/* cut: NUL, not a continuation */
		{ "\xe0\x9f\xbf", 0 }, { "\xe0\xa0\x80", 3 },	/* overlong 3-byte, U+0800 */
		{ "\xed\x9f\xbf", 3 }, { "\xed\xa0\x80", 0 },	/* U+D7FF, a surrogate */
		{ "\xef\xbf\xbf", 3 }, { "\xe2\x82", 0 },
		{ "\xf0\x8f\xbf\xbf", 0 }, { "\xf0\x90\x80\x80", 4 },	/* overlong, U+10000 */
		{ "\xf4\x8f\xbf\xbf", 4 }, { "\xf4\x90\x80\x80", 0 },	/* U+10FFFF, past it */
		{ "\xf0\x90\x80", 0 }, { "\xf5\x80\x80\x80", 0 }, { "\xff", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (utf8_seq((const unsigned char *)cases[i].s) != cases[i].len)
			fail_msg("case %zu: utf8_seq %zu, expected %zu", i,
			    utf8_seq((const unsigned char *)cases[i].s), cases[i].len);
}

static void
test_render_counters(void **state)
{
	struct metrics *m = metrics_new();
	(void)state;

	assert_non_null(m);
	metrics_add(m, M_LINES_READ, "/var/log/auth.log", NULL, 10);
	metrics_add(m, M_LINES_READ, "/var/log/auth.log", NULL, 5);
	metrics_add(m, M_LINES_READ, "journal", NULL, 7);
	metrics_add(m, M_ATTEMPTS, "sshd", "invalid-user", 3);
	metrics_add(m, M_BANS, "sshd", "evil\"}\nfake_metric 1", 1);
	assert_true(metrics_get(m, M_LINES_READ, "/var/log/auth.log", NULL) == 15);
	assert_true(metrics_get(m, M_LINES_READ, "nowhere", NULL) == -1);
	const char *t = render(m, 0);
	assert_non_null(strstr(t, "# TYPE article5_lines_read_total counter\n"));
	assert_non_null(strstr(t, "article5_lines_read_total{source=\"/var/log/auth.log\"} 15\n"));
	assert_non_null(strstr(t, "article5_lines_read_total{source=\"journal\"} 7\n"));
	assert_non_null(strstr(t, "article5_attempts_total{service=\"sshd\",rule=\"invalid-user\"} 3\n"));
	/* a hostile origin stays inside its quotes, on its line */
	assert_non_null(strstr(t, "article5_bans_total{service=\"sshd\",origin=\"evil\\\"}\\nfake_metric 1\"} 1\n"));
	assert_null(strstr(t, "\nfake_metric"));
	/* families without labels are there, at 0 */
	assert_non_null(strstr(t, "\narticle5_nats_connected 0\n"));
	assert_non_null(strstr(t, "\narticle5_bans_active 0\n"));
	/* a family with labels and no series has its HELP and TYPE only */
	assert_non_null(strstr(t, "# TYPE article5_refusals_total counter\n# HELP"));
	metrics_set(m, M_BANS_ACTIVE, NULL, NULL, 4);
	metrics_set(m, M_COMMIT_LAG, "b", NULL, 1.5);
	t = render(m, 0);
	assert_non_null(strstr(t, "\narticle5_bans_active 4\n"));
	assert_non_null(strstr(t, "\narticle5_commitment_lag_seconds{member=\"b\"} 1.5\n"));
	metrics_clear(m, M_COMMIT_LAG);
	t = render(m, 0);
	assert_null(strstr(t, "article5_commitment_lag_seconds{"));
	t = render(m, 1);
	assert_non_null(strstr(t, "\"article5_lines_read_total\": {\"type\": \"counter\", \"series\": "
	    "[{\"labels\": {\"source\": \"/var/log/auth.log\"}, \"value\": 15}, "
	    "{\"labels\": {\"source\": \"journal\"}, \"value\": 7}]}"));
	assert_non_null(strstr(t, "\"origin\": \"evil\\\"}\\u000afake_metric 1\""));
	metrics_free(m);
}

static void
test_histogram(void **state)
{
	static const double obs[] = { 0.005, 0.3, 0.3, 7, 1000, 0.01 };
	static const char *want[] = {
		"article5_propagation_seconds_bucket{le=\"0.01\"} 2\n",
		"article5_propagation_seconds_bucket{le=\"0.025\"} 2\n",
		"article5_propagation_seconds_bucket{le=\"0.25\"} 2\n",
		"article5_propagation_seconds_bucket{le=\"0.5\"} 4\n",
		"article5_propagation_seconds_bucket{le=\"5\"} 4\n",
		"article5_propagation_seconds_bucket{le=\"10\"} 5\n",
		"article5_propagation_seconds_bucket{le=\"300\"} 5\n",
		"article5_propagation_seconds_bucket{le=\"+Inf\"} 6\n",
		"article5_propagation_seconds_count 6\n",
		"article5_propagation_seconds_sum 1007.615\n",
		"# TYPE article5_propagation_seconds histogram\n",
	};
	struct metrics *m = metrics_new();
	(void)state;

	const char *t = render(m, 0);
	assert_non_null(strstr(t, "article5_propagation_seconds_bucket{le=\"+Inf\"} 0\n"));
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		metrics_observe(m, M_PROPAGATION, obs[i]);
	metrics_observe(m, M_BANS, 1);	/* not a histogram: ignored */
	t = render(m, 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (strstr(t, want[i]) == NULL)
			fail_msg("missing: %s", want[i]);
	}
	/* cumulative: never decreasing, in order */
	unsigned long long prev = 0, v;
	int n = 0;
	for (const char *p = t; (p = strstr(p, "article5_propagation_seconds_bucket{")) != NULL; p++) {
		const char *sp = strchr(p, ' ');
		v = strtoull(sp + 1, NULL, 10);
		assert_true(v >= prev);
		prev = v;
		n++;
	}
	assert_int_equal(n, 14);
	t = render(m, 1);
	assert_non_null(strstr(t, "[0.5, 4]"));
	assert_non_null(strstr(t, "[\"+Inf\", 6]], \"sum\": 1007.615, \"count\": 6}"));
	metrics_free(m);
}

static void
test_bounds(void **state)
{
	struct metrics *m = metrics_new();
	char name[32], longv[300];
	(void)state;

	for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
		snprintf(name, sizeof(name), "svc%d", i);
		metrics_add(m, M_ATTEMPTS, name, "r", 1);
	}
	/* the existing ones are still found, and counted */
	for (int i = 0; i < METRICS_SERIES_MAX; i += 97) {
		snprintf(name, sizeof(name), "svc%d", i);
		metrics_add(m, M_ATTEMPTS, name, "r", 1);
		assert_true(metrics_get(m, M_ATTEMPTS, name, "r") == 2);
	}
	snprintf(name, sizeof(name), "svc%d", METRICS_SERIES_MAX);
	assert_true(metrics_get(m, M_ATTEMPTS, name, "r") == -1);
	assert_true(metrics_get(m, M_SERIES_DROPPED, NULL, NULL) == 10);
	/* a value too long is cut, and the cut value is one series */
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	metrics_add(m, M_LINES_READ, longv, NULL, 1);
	longv[200] = '\0';
	metrics_add(m, M_LINES_READ, longv, NULL, 1);
	assert_true(metrics_get(m, M_LINES_READ, longv, NULL) == 2);
	const char *t = render(m, 0);
	char want[METRICS_LABEL_MAX + 40];
	snprintf(want, sizeof(want), "{source=\"%.*s\"} 2\n", METRICS_LABEL_MAX - 1, longv);
	assert_non_null(strstr(t, want));
	metrics_free(m);
}

static void
test_listen_parse(void **state)
{
	static const struct { const char *text; int ok; bool loopback; } cases[] = {
		{ "127.0.0.1:9851", 1, true }, { "127.8.9.10:1", 1, true },
		{ "[::1]:9851", 1, true }, { "0.0.0.0:9851", 1, false },
		{ "192.0.2.7:65535", 1, false }, { "[2001:db8::1]:80", 1, false },
		{ "[::ffff:127.0.0.1]:80", 1, false },
		{ "127.0.0.1", 0, false }, { "127.0.0.1:0", 0, false },
		{ "127.0.0.1:65536", 0, false }, { "::1:9851", 0, false },
		{ "[::1]9851", 0, false }, { "localhost:9851", 0, false },
		{ "127.0.0.1:98x", 0, false }, { ":9851", 0, false },
		{ "[127.0.0.1]:80", 0, false },
		{ "127.000000000000000000000000000000000000000000000000000000000000.0.0.1:1", 0, false },
	};
	char err[256];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool lo = !cases[i].loopback;
		int rc = http_listen_parse(cases[i].text, &lo, err, sizeof(err));
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d (%s)", cases[i].text, rc, rc ? err : "");
		if (rc == 0 && lo != cases[i].loopback)
			fail_msg("%s: loopback %d", cases[i].text, lo);
	}
}

static void
test_feed(void **state)
{
	struct dash_feed f;
	struct a5_prefix p;
	struct outbuf out = { 0 };
	char svc[32];
	(void)state;

	assert_int_equal(dash_feed_init(&f), 0);
	assert_int_equal(prefix_parse("192.0.2.0/24", 12, &p), 0);
	for (int i = 0; i < DASH_BANS_MAX + 3; i++) {
		snprintf(svc, sizeof(svc), "s%d", i);
		dash_feed_ban(&f, 1000 + i, &p, svc, "local");
	}
	dash_feed_attempt(&f, 5, &p, "ss\"h", "<script>\n");
	dash_feed_json(&f, &out);
	outbuf_printf(&out, "%s", "");
	/* the three oldest bans are gone; the fourth comes first */
	assert_null(strstr(out.data, "\"service\": \"s2\""));
	const char *first = strstr(out.data, "\"bans\": [\n  {");
	assert_non_null(first);
	assert_non_null(strstr(first, "\"ts\": 1003, \"prefix\": \"192.0.2.0/24\", \"service\": \"s3\""));
	assert_true(strstr(out.data, "\"service\": \"s3\"") < strstr(out.data, "\"service\": \"s502\""));
	assert_non_null(strstr(out.data, "\"service\": \"ss\\\"h\", \"rule\": \"<script>\\u000a\""));
	outbuf_free(&out);
	dash_feed_free(&f);
}

/* A coalition ban's service is the reporting member's free text: under
 * ever new names, one member must not fill article5_bans_total's label
 * sets. Only a service this host has labels the series; the rest count
 * under "other". This host's own bans keep their service. */
static void
test_remote_ban_service(void **state)
{
	struct daemon d;
	struct a5_prefix p;
	char err[256], name[32];

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_non_null(d.metrics = metrics_new());
	assert_non_null(d.rs = rules_new());
	if (rules_add(d.rs, "sshd", "fail", "pw", "^Failed password from <HOST>", "test", err,
	    sizeof(err)) != 0 || rules_compile(d.rs, err, sizeof(err)) != 0)
		fail_msg("rules: %s", err);
	assert_int_equal(prefix_parse("192.0.2.1", 9, &p), 0);
	for (int i = 0; i < METRICS_SERIES_MAX + 100; i++) {
		snprintf(name, sizeof(name), "junk%d", i);
		web_ban_remote(&d, &p, name, "m1", 0);
	}
	web_ban_remote(&d, &p, "sshd", "m1", 0);
	web_ban_remote(&d, &p, "manual", "m2", 0);
	web_ban(&d, &p, "sshd", "local", 0);
	web_ban(&d, &p, "manual", "local", 0);
	assert_true(metrics_get(d.metrics, M_BANS, "other", "m1") == METRICS_SERIES_MAX + 100);
	assert_true(metrics_get(d.metrics, M_BANS, "junk7", "m1") == -1);
	assert_true(metrics_get(d.metrics, M_BANS, "sshd", "m1") == 1);
	assert_true(metrics_get(d.metrics, M_BANS, "manual", "m2") == 1);
	assert_true(metrics_get(d.metrics, M_BANS, "sshd", "local") == 1);
	assert_true(metrics_get(d.metrics, M_BANS, "manual", "local") == 1);
	assert_true(metrics_get(d.metrics, M_SERIES_DROPPED, NULL, NULL) <= 0);
	rules_free(d.rs);
	metrics_free(d.metrics);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_utf8_seq),
		cmocka_unit_test(test_render_counters),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_feed),
		cmocka_unit_test(test_remote_ban_service),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
