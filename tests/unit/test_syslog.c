/* test_syslog.c - syslog header forms: what is a header, where the message starts. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "rules/syslog.h"

static void
expect(const char *line, const char *prog, long pid, const char *msg)
{
	struct syslog_hdr h;

	assert_int_equal(syslog_parse(line, strlen(line), &h), 0);
	assert_int_equal(h.proglen, strlen(prog));
	assert_memory_equal(h.prog, prog, h.proglen);
	assert_int_equal(h.has_pid, pid >= 0);
	if (pid >= 0)
		assert_int_equal(h.pid, pid);
	assert_int_equal(h.msglen, strlen(msg));
	assert_memory_equal(line + h.msg, msg, h.msglen);
	assert_int_equal(h.repeat, 1);
}

/* rsyslog's "message repeated N times: [ M]": M, n times. */
static void
expect_repeat(const char *line, const char *prog, long pid, const char *msg, unsigned n)
{
	struct syslog_hdr h;

	assert_int_equal(syslog_parse(line, strlen(line), &h), 0);
	assert_int_equal(h.proglen, strlen(prog));
	assert_memory_equal(h.prog, prog, h.proglen);
	assert_int_equal(h.has_pid, pid >= 0);
	if (pid >= 0)
		assert_int_equal(h.pid, pid);
	if (h.msglen != strlen(msg) || memcmp(line + h.msg, msg, h.msglen) != 0)
		fail_msg("message \"%.*s\", expected \"%s\"", (int)h.msglen, line + h.msg, msg);
	assert_int_equal(h.repeat, n);
}

/* Every text form of journalctl -o, <PRI> prefixes, RFC 5424. */
static void
test_journal_forms(void **state)
{
	(void)state;
	const char *m = "Failed password for root from 203.0.113.5 port 22 ssh2";
	char line[256];
	const char *heads[] = {
		"<38>Feb  5 14:34:10 host sshd[123]: ",			/* RFC 3164 with PRI */
		"<38>Feb  5 14:34:10 sshd[123]: ",
		"Feb 05 14:34:10 host sshd[123]: ",			/* short */
		"2024-02-05T14:34:10+0100 host sshd[123]: ",		/* short-iso */
		"2024-02-05T14:34:10.123456+01:00 host sshd[123]: ",	/* short-iso-precise */
		"Feb 05 14:34:10.123456 host sshd[123]: ",		/* short-precise */
		"Mon 2024-02-05 14:34:10 UTC host sshd[123]: ",		/* short-full */
		"Mon 2024-02-05 14:34:10 CET host sshd[123]: ",
		"[12345.678901] host sshd[123]: ",			/* short-monotonic */
		"[    3.000001] host sshd[123]: ",
		"1707143650.123456 host sshd[123]: ",			/* short-unix */
		"<38>1 2024-02-05T14:34:10.003Z host sshd 123 - - ",	/* RFC 5424 */
		"<38>1 2024-02-05T14:34:10Z host sshd 123 ID1 [a@1 b=\"]\"] ",
		"<38>2024-02-05T14:34:10.003+01:00 host sshd[123]: ",	/* RFC 3339 with PRI */
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", heads[i], m);
		expect(line, "sshd", 123, m);
	}
}

static void
test_repeated(void **state)
{
	struct syslog_hdr h;
	char line[2048];

	(void)state;
	expect_repeat("Feb  5 14:34:10 host sshd[123]: message repeated 3 times: [ Failed password "
	    "for root from 203.0.113.5 port 22 ssh2]", "sshd", 123,
	    "Failed password for root from 203.0.113.5 port 22 ssh2", 3);
	expect_repeat("<38>Feb  5 14:34:10 host sshd[9]: message repeated 2 times: [x]", "sshd", 9, "x", 2);
	/* bounded */
	expect_repeat("Feb  5 14:34:10 host sshd[1]: message repeated 999999999 times: [ y]", "sshd", 1,
	    "y", SYSLOG_REPEAT_MAX);
	/* not the form: kept as is */
	expect("Feb  5 14:34:10 host sshd[1]: message repeated 0 times: [ y]", "sshd", 1,
	    "message repeated 0 times: [ y]");
	expect("Feb  5 14:34:10 host sshd[1]: message repeated 3 times: [ y", "sshd", 1,
	    "message repeated 3 times: [ y");
	expect("Feb  5 14:34:10 host sshd[1]: message repeated x times: [ y]", "sshd", 1,
	    "message repeated x times: [ y]");
	/* rsyslog cuts the inner message at 800 bytes: one that long may have
	 * lost its end, it is not unwrapped */
	int n = snprintf(line, sizeof(line), "Feb  5 14:34:10 host sshd[1]: message repeated 3 times: [");
	memset(line + n, 'a', SYSLOG_REPEAT_MSG_MAX);
	line[n + SYSLOG_REPEAT_MSG_MAX] = ']';
	line[n + SYSLOG_REPEAT_MSG_MAX + 1] = '\0';
	assert_int_equal(syslog_parse(line, strlen(line), &h), 0);
	assert_int_equal(h.repeat, 1);
	line[n + SYSLOG_REPEAT_MSG_MAX - 1] = ']';
	line[n + SYSLOG_REPEAT_MSG_MAX] = '\0';
	assert_int_equal(syslog_parse(line, strlen(line), &h), 0);
	assert_int_equal(h.repeat, 3);
	assert_int_equal(h.msglen, SYSLOG_REPEAT_MSG_MAX - 1);
}

/* NULs and invalid UTF-8 in a header are just bytes: bounded, no crash. */
static void
test_hostile_bytes(void **state)
{
	struct syslog_hdr h;
	const char l1[] = "Feb  5 14:34:10 host sshd[1]: a\0b";
	const char l2[] = "Feb  5 14:34:10 h\0st sshd[1]: x";
	const char l3[] = "Feb  5 14:34:10 host \xff\xfe[1]: \xc3\x28 x";

	(void)state;
	assert_int_equal(syslog_parse(l1, sizeof(l1) - 1, &h), 0);
	assert_int_equal(h.msglen, 3);
	assert_int_equal(syslog_parse(l2, sizeof(l2) - 1, &h), 0);	/* a host name like any */
	assert_int_equal(h.proglen, 4);
	assert_int_equal(syslog_parse(l3, sizeof(l3) - 1, &h), 0);
	assert_int_equal(h.proglen, 2);
}

static void
test_forms(void **state)
{
	struct syslog_hdr h;

	(void)state;
	expect("Nov 24 04:00:01 host sshd[100]: Invalid user x", "sshd", 100, "Invalid user x");
	expect("Feb  5 04:00:01 host sshd-session[7]: m", "sshd-session", 7, "m");
	expect("Feb 5 04:00:01.123456 2026 host sshd[7]: m", "sshd", 7, "m");
	expect("2026-11-24T04:00:01.5+01:00 host.example sshd[9]: m", "sshd", 9, "m");
	expect("Nov 23 21:50:19 sshd[8148]: Disconnecting", "sshd", 8148, "Disconnecting");
	expect("Jun 25 23:53:34 [sshd] User root", "sshd", -1, "User root");
	expect("Jun 25 23:53:34 [sshd]: User root", "sshd", -1, "User root");
	expect("Mar 29 05:59:23 dusky sshd[20878]: [ID 800047 auth.info] Failed", "sshd", 20878, "Failed");
	expect("sshd[1]: from journal", "sshd", 1, "from journal");
	expect("Nov 24 04:00:01 host postfix/smtpd[12]: warning: x", "postfix/smtpd", 12, "warning: x");
	expect("Nov 24 04:00:01 host kernel: msg", "kernel", -1, "msg");
	expect("<38>1 2019-07-08T17:40:16.954167-04:00 h.example.com sshd 57915 - - Failed unknown", "sshd", 57915, "Failed unknown");
	expect("<38>1 2019-07-08T17:40:17Z h sshd 5 - [tq tzKnown=\"1\"][x@1 t=\"[b\\]\"] Failed x", "sshd", 5, "Failed x");
	expect("1 2019-07-08T17:40:17Z h sshd - ID47 - msg", "sshd", -1, "msg");
	/* ProFTPD: no colon after the tag */
	expect("Jun 09 07:30:58 ftp.example proftpd[11864] ftp.example (c.example[192.0.2.3]): USER x",
	    "proftpd", 11864, "ftp.example (c.example[192.0.2.3]): USER x");
	expect("2013-11-16 21:59:30,121 ftp proftpd[25891] localhost (a[192.0.2.4]): m", "proftpd", 25891,
	    "localhost (a[192.0.2.4]): m");
	expect("Feb  1 00:00:00 proftpd[7] s (a[192.0.2.5]): m", "proftpd", 7, "s (a[192.0.2.5]): m");
	/* Dovecot's own log: "name(id): " */
	expect("Jan 29 13:54:06 auth-worker(22401): Info: x", "auth-worker", -1, "Info: x");
	expect("2013-08-11 03:56:40 auth(default): m", "auth", -1, "m");
	expect("Jan 29 13:54:06 h sshd(pam_unix)[12]: m", "sshd(pam_unix)", 12, "m");
	/* not headers */
	const char *bad[] = { "", "192.0.2.1 - - [05/Feb/2026:15:34:10 +0100] \"GET / HTTP/1.1\"",
	    "Nov 24 04:00:01", "Nov 24 04:00:01 host sshd[abc]: x", "Nov 24 04:00:01 host sshd[1]x",
	    "Nov 24 04:00:01 host sshd[99999999999]: x", "Nov 24 04:00:01 host some words",
	    "Nov 24 04:00:01 host proftpd[] x", "Nov 24 04:00:01 host proftpd[12]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(syslog_parse(bad[i], strlen(bad[i]), &h), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_journal_forms),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_hostile_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
