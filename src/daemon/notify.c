/* notify.c - sd_notify(3) for the enforcer process (notify.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "common/log.h"
#include "daemon/notify.h"

static uint64_t watchdog_usec;
static bool enabled;
static char last_status[256];

void
notify_init(void)
{
	uint64_t usec = 0;
	const char *sock = getenv("NOTIFY_SOCKET");

	enabled = sock != NULL && *sock != '\0';
	/* > 0 only if WATCHDOG_PID, when set, is this process */
	if (enabled && sd_watchdog_enabled(0, &usec) > 0)
		watchdog_usec = usec;
}

void
notify_forget(void)
{
	enabled = false;
	watchdog_usec = 0;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

uint64_t
notify_watchdog_usec(void)
{
	return watchdog_usec;
}

static void
send_state(const char *state)
{
	int r;

	if (!enabled)
		return;
	if ((r = sd_notify(0, state)) < 0)
		log_warnx("sd_notify: %s", strerror(-r));
}

static void
with_status(const char *head, const char *status)
{
	char msg[512];

	snprintf(last_status, sizeof(last_status), "%s", status);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", head, last_status);
	send_state(msg);
}

void
notify_ready(const char *status)
{
	with_status("READY=1\n", status);
}

void
notify_status(const char *status)
{
	if (strncmp(status, last_status, sizeof(last_status) - 1) == 0)
		return;
	with_status("", status);
}

void
notify_reloading(void)
{
	struct timespec ts;
	char msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	snprintf(last_status, sizeof(last_status), "reloading");
	send_state(msg);
}

void
notify_stopping(void)
{
	with_status("STOPPING=1\n", "stopping");
}

void
notify_watchdog(void)
{
	send_state("WATCHDOG=1");
}
