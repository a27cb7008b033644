/* detector.h - turns matched lines into counted attempts, and attempts into
 * ban decisions: per (address, service) failure windows, sshd-style
 * connection tracking so one attempt counts once, bounded memory. */
#ifndef A5_DETECTOR_H
#define A5_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "rules/rules.h"

#define DET_MAXRETRY_MAX 64
/* Connections tracked (sshd pids). sshd itself refuses more than MaxStartups
 * (100 by default) unauthenticated connections; closed ones are kept until
 * evicted so that a second closing line is recognised. Small enough to stay
 * in cache: 65536 made each lookup a cache miss (scan 15% slower). */
#define DET_CONNS_MAX 4096

struct det_service {
	int maxretry;		/* 1..DET_MAXRETRY_MAX */
	int64_t findtime;	/* seconds */
	bool disabled;
};

struct det_config {
	unsigned ipv6_prefix;	/* IPv6 offenders are aggregated to this length */
	size_t max_offenders;	/* windows tracked; oldest evicted beyond */
	size_t max_conns;	/* connections tracked */
	size_t nservices;
	const struct det_service *services;	/* indexed like the ruleset's services */
};

struct det_event {
	enum rule_kind kind;
	int service;
	bool has_addr;
	struct a5_prefix addr;
	bool has_pid;
	uint32_t pid;
	int64_t ts;		/* unix seconds */
};

struct det_result {
	bool counted;		/* this line is where a failed attempt counts */
	struct a5_prefix addr;	/* the attempt's address (full length) */
	bool ban;		/* the window is full: ban `prefix` */
	struct a5_prefix prefix;	/* what to ban: det_offender_prefix */
	struct a5_prefix offender;	/* the window's key: prefix, or the IPv4
					 * client an IPv6 form stands for */
	uint32_t evidence;	/* failures in the window */
	int64_t first_seen, last_seen;
};

struct det_stats {
	uint64_t attempts, bans, evictions, conn_evictions;
	size_t offenders, conns;
};

struct detector;

struct detector *det_new(const struct det_config *cfg);
void det_free(struct detector *d);
/* The event a rule match stands for, at time ts. */
void det_event_from_match(const struct rules_match *m, int64_t ts, struct det_event *ev);
/* Feeds one matched line; fills r (r->counted / r->ban tell what happened). */
void det_feed(struct detector *d, const struct det_event *ev, struct det_result *r);
/* Forgets the windows of every service for prefix (after a manual unban),
 * and for the IPv4 client it stands for (addr_embedded_ipv4). */
void det_forget(struct detector *d, const struct a5_prefix *prefix);
/* The prefixes an address is banned and counted under. ban: the address,
 * or its IPv6 aggregate; for an IPv6 form of an IPv4 client (NAT64, 6to4,
 * Teredo: addr_embedded_ipv4) the narrowest prefix of that client in that
 * form, never the aggregate. key: ban, or that client's IPv4 address, so
 * that its attempts count in one window whatever form they arrive in. */
void det_offender_prefix(const struct detector *d, const struct a5_prefix *addr,
    struct a5_prefix *ban, struct a5_prefix *key);
void det_get_stats(const struct detector *d, struct det_stats *st);

#endif
