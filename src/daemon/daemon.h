/* daemon.h - the worker process of `article5 daemon` (docs/privsep.md):
 * what the enforcer process (parent.c) starts after the fork. */
#ifndef A5_DAEMON_H
#define A5_DAEMON_H

#include "daemon/parent.h"

/* The worker's main, for parent.h's worker: reads what only root may
 * read, confines itself (sandbox.c), then runs the event loop until
 * SIGTERM/SIGINT. Its changes to the kernel go to the enforcer process
 * over privfd. Returns the exit status. */
int worker_main(struct parent *p, int privfd);

#endif
