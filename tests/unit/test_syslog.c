/* test_syslog.c - syslog header forms: what is a header, where the message starts. */
#include "testutil.h"

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
	assert_string_equal(line + h.msg, msg);
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
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_forms) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
