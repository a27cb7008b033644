/*
 * gen-authlog.c - deterministic generator of a realistic sshd auth.log.
 *
 *   bench-gen-authlog [-n LINES] [-s SEED] [-o FILE]
 *
 * Writes LINES (default 1000000) RFC 3164 syslog lines, ~110 bytes each, with
 * increasing timestamps: the traffic of an internet-facing server (scanners,
 * password guessing on root and on invalid users, a few legitimate logins)
 * plus non-sshd noise (CRON, systemd, kernel). Several connections are open
 * at once, so the lines of different sshd processes interleave, as in a real
 * log. Addresses come from the benchmark range 198.18.0.0/15 and the
 * documentation range 2001:db8::/32 only: they are text, never real hosts.
 * Same SEED, same output, byte for byte (own xorshift PRNG, no libc rand).
 *
 * Build: gcc -O2 -o build/bench-gen-authlog bench/gen-authlog.c
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXLINE 512
#define MAXCONN 12      /* connections open at once */
#define MAXQ    32      /* lines queued per connection */
#define NATTACK 3000    /* attacker pool */

static uint64_t rs;

static uint64_t rnd(void)       /* xorshift64* */
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

static unsigned below(unsigned n) { return (unsigned)((rnd() >> 32) % n); }
static int chance(unsigned pct) { return below(1000) < pct; } /* per mille */

/* ---- addresses ---------------------------------------------------------- */

static char attackers[NATTACK][40];

static void make_pool(void)
{
	for (int i = 0; i < NATTACK; i++) {
		if (i % 40 == 39) /* 2.5 % IPv6, 2001:db8::/32 */
			snprintf(attackers[i], sizeof attackers[i], "2001:db8:%x:%x::%x",
			         below(0x10000), below(0x100), 1 + below(0xfffe));
		else    /* 198.18.0.0/15, 198.19.255.0/24 kept for legitimate users */
			snprintf(attackers[i], sizeof attackers[i], "198.%u.%u.%u",
			         18 + below(2), below(255), 1 + below(254));
	}
}

/* skewed: a few addresses send most of the attempts, as in real logs */
static const char *attacker(void)
{
	double u = (double)(rnd() >> 11) / 9007199254740992.0;
	return attackers[(unsigned)(u * u * u * NATTACK)];
}

static const char *legit_addr[] = {
	"198.19.255.10", "198.19.255.11", "198.19.255.37", "2001:db8:aa::10",
};
static const char *legit_user[] = { "alice", "bob", "deploy", "backup" };
static const unsigned legit_uid[] = { 1000, 1001, 1002, 34 };

static const char *bad_user[] = {
	"admin", "test", "user", "oracle", "ubuntu", "postgres", "git", "ftpuser",
	"guest", "pi", "support", "mysql", "hadoop", "jenkins", "dev", "centos",
	"www-data", "nagios", "ansible", "minecraft", "steam", "teamspeak", "user1",
	"administrator", "tomcat", "elastic", "zabbix", "odoo", "sysadmin", "vagrant",
};
#define N_BAD (sizeof bad_user / sizeof *bad_user)

static unsigned port(void) { return 1024 + below(64511); }

/* ---- connections -------------------------------------------------------- */

struct conn {
	unsigned pid;
	int n, next;
	char *line[MAXQ];      /* message parts (after "sshd[PID]: ") */
};

static struct conn conns[MAXCONN];
static int nconn;
static unsigned next_pid = 1423;
static unsigned session_no = 1;

static unsigned new_pid(void)
{
	next_pid += 1 + below(40);
	if (next_pid > 4000000)
		next_pid = 1000 + below(100);
	return next_pid;
}

static void push(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void push(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	char buf[MAXLINE];
	if (c->n >= MAXQ)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	c->line[c->n++] = strdup(buf);
}


/* Fills a new connection with the lines of one of the typical scenarios. */
static void scenario(struct conn *c)
{
	unsigned r = below(1000), p = port();
	const char *h = attacker();
	c->pid = new_pid();
	c->n = c->next = 0;

	if (r < 40) {                               /* legitimate login */
		unsigned u = below(4);
		const char *lh = legit_addr[below(4)];
		push(c, "Accepted publickey for %s from %s port %u ssh2: ED25519 SHA256:%016llx%016llx",
		     legit_user[u], lh, p, (unsigned long long)rnd(), (unsigned long long)rnd());
		push(c, "pam_unix(sshd:session): session opened for user %s(uid=%u) by (uid=0)",
		     legit_user[u], legit_uid[u]);
		push(c, "Received disconnect from %s port %u:11: disconnected by user", lh, p);
		push(c, "Disconnected from user %s %s port %u", legit_user[u], lh, p);
		push(c, "pam_unix(sshd:session): session closed for user %s", legit_user[u]);
	} else if (r < 330) {                       /* scanner: connect, close */
		unsigned k = below(10);
		if (k < 6)
			push(c, "Connection closed by %s port %u [preauth]", h, p);
		else if (k < 8)
			push(c, "Connection reset by %s port %u [preauth]", h, p);
		else if (k < 9)
			push(c, "Unable to negotiate with %s port %u: no matching key exchange method found. Their offer: diffie-hellman-group14-sha1,diffie-hellman-group1-sha1 [preauth]", h, p);
		else {
			push(c, "error: kex_exchange_identification: Connection closed by remote host");
			push(c, "Connection closed by %s port %u", h, p);
		}
	} else if (r < 480) {                       /* preauth probe of root */
		push(c, "Received disconnect from %s port %u:11: Bye Bye [preauth]", h, p);
		push(c, "Disconnected from authenticating user root %s port %u [preauth]", h, p);
	} else if (r < 760) {                       /* invalid user guessing */
		const char *u = bad_user[below(N_BAD)];
		unsigned tries = 1 + (chance(200) ? below(3) : 0);
		push(c, "Invalid user %s from %s port %u", u, h, p);
		for (unsigned i = 0; i < tries; i++) {
			push(c, "pam_unix(sshd:auth): check pass; user unknown");
			push(c, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s", h);
			push(c, "Failed password for invalid user %s from %s port %u ssh2", u, h, p);
		}
		if (chance(700)) {
			push(c, "Received disconnect from %s port %u:11: Bye Bye [preauth]", h, p);
			push(c, "Disconnected from invalid user %s %s port %u [preauth]", u, h, p);
		} else
			push(c, "Connection closed by invalid user %s %s port %u [preauth]", u, h, p);
	} else if (r < 980) {                       /* password guessing on root */
		unsigned tries = chance(250) ? 6 : 1 + below(3);
		push(c, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=root", h);
		for (unsigned i = 0; i < tries; i++)
			push(c, "Failed password for root from %s port %u ssh2", h, p);
		if (tries == 6) {
			push(c, "error: maximum authentication attempts exceeded for root from %s port %u ssh2 [preauth]", h, p);
			push(c, "Disconnecting authenticating user root %s port %u: Too many authentication failures [preauth]", h, p);
			push(c, "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=root", h);
		} else {
			push(c, "Received disconnect from %s port %u:11: Bye Bye [preauth]", h, p);
			push(c, "Disconnected from authenticating user root %s port %u [preauth]", h, p);
		}
	} else {                                    /* bad protocol / banner */
		push(c, "banner exchange: Connection from %s port %u: invalid format", h, p);
	}
}

/* ---- clock -------------------------------------------------------------- */

static const char *mon_name[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const int mon_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
static int mon = 2, day = 1, hh, mm, ss;
static char stamp[64];

static void tick(unsigned secs)
{
	ss += (int)secs;
	while (ss >= 60) { ss -= 60; mm++; }
	while (mm >= 60) { mm -= 60; hh++; }
	while (hh >= 24) {
		hh -= 24;
		if (++day > mon_days[mon]) { day = 1; mon = (mon + 1) % 12; }
	}
	snprintf(stamp, sizeof stamp, "%s %2d %02d:%02d:%02d", mon_name[mon], day, hh, mm, ss);
}

/* ---- noise -------------------------------------------------------------- */

static void noise(FILE *out, const char *host)
{
	unsigned r = below(10);
	unsigned pid = new_pid();
	switch (r) {
	case 0: case 1:
		fprintf(out, "%s %s CRON[%u]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n", stamp, host, pid);
		break;
	case 2:
		fprintf(out, "%s %s CRON[%u]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)\n", stamp, host, pid);
		break;
	case 3: case 4:
		fprintf(out, "%s %s CRON[%u]: pam_unix(cron:session): session closed for user root\n", stamp, host, pid);
		break;
	case 5:
		fprintf(out, "%s %s systemd[1]: Started session-%u.scope - Session %u of User alice.\n", stamp, host, session_no, session_no);
		session_no++;
		break;
	case 6:
		fprintf(out, "%s %s systemd-logind[512]: New session %u of user alice.\n", stamp, host, session_no);
		break;
	case 7:
		fprintf(out, "%s %s systemd[1]: Starting sysstat-collect.service - system activity accounting tool...\n", stamp, host);
		break;
	case 8:
		fprintf(out, "%s %s kernel: [%u.%06u] [UFW BLOCK] IN=eth0 OUT= SRC=%s DST=198.19.255.1 PROTO=TCP DPT=23\n",
		        stamp, host, 100000 + below(900000), below(1000000), attacker());
		break;
	default:
		fprintf(out, "%s %s sudo: pam_unix(sudo:session): session closed for user root\n", stamp, host);
		break;
	}
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: bench-gen-authlog [-n LINES] [-s SEED] [-o FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long n = 1000000, seed = 0x5eed5eedULL;
	const char *outpath = NULL, *host = "srv1";
	int opt;
	char *end;

	while ((opt = getopt(argc, argv, "n:s:o:h")) != -1) {
		switch (opt) {
		case 'n':
			errno = 0;
			n = strtoull(optarg, &end, 10);
			if (errno || *end)
				usage();
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || *end)
				usage();
			break;
		case 'o': outpath = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	rs = seed ? seed : 1;
	for (int i = 0; i < 8; i++)
		rnd();

	FILE *out = stdout;
	if (outpath && !(out = fopen(outpath, "w"))) {
		perror(outpath);
		return 1;
	}
	static char obuf[1 << 20];
	setvbuf(out, obuf, _IOFBF, sizeof obuf);

	make_pool();
	tick(0);
	for (unsigned long long i = 0; i < n; i++) {
		if (chance(350))                /* ~0.6 s per line on average */
			tick(1 + below(3));
		if (chance(60)) {               /* 6 % non-sshd lines */
			noise(out, host);
			continue;
		}
		/* keep a few connections open; pick one to write its next line */
		while (nconn < 2 || (nconn < MAXCONN && chance(150)))
			scenario(&conns[nconn++]);
		struct conn *c = &conns[below((unsigned)nconn)];
		fprintf(out, "%s %s sshd[%u]: %s\n", stamp, host, c->pid, c->line[c->next]);
		free(c->line[c->next]);
		if (++c->next == c->n)
			*c = conns[--nconn];
	}
	if (fflush(out) || ferror(out) || (out != stdout && fclose(out))) {
		perror(outpath ? outpath : "stdout");
		return 1;
	}
	return 0;
}
