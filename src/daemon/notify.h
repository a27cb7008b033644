/* notify.h - the daemon's word to systemd (sd_notify(3), docs/systemd.md):
 * READY, STATUS, RELOADING, STOPPING and the watchdog. Only the enforcer
 * process speaks (systemd watches it as MainPID); a forked worker calls
 * notify_forget first. Without NOTIFY_SOCKET every call does nothing. */
#ifndef A5_NOTIFY_H
#define A5_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Reads the service manager's environment once, in the enforcer process. */
void notify_init(void);
/* In a forked worker: forgets NOTIFY_SOCKET and the watchdog, so that it
 * never speaks for the service. */
void notify_forget(void);
/* WatchdogSec in microseconds, 0 when no watchdog is asked for. */
uint64_t notify_watchdog_usec(void);
/* READY=1 with STATUS=status (after start, or to end a reload). */
void notify_ready(const char *status);
/* STATUS=status, sent only when it differs from the last one sent. */
void notify_status(const char *status);
/* RELOADING=1 with MONOTONIC_USEC (systemd 253's Type=notify-reload
 * wants it; older ones ignore it). */
void notify_reloading(void);
void notify_stopping(void);
void notify_watchdog(void);

#endif
