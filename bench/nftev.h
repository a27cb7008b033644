/* nftev.h - nftables set-element notifications from inside a network
 * namespace, for the benchmarks (bench/flood.c, bench/scale.c). */
#ifndef A5_BENCH_NFTEV_H
#define A5_BENCH_NFTEV_H

#include <stdbool.h>
#include <stdint.h>

/* A non-blocking netlink socket subscribed to NFNLGRP_NFTABLES inside the
 * network namespace /run/netns/NS (the caller's namespace is restored).
 * Dies with a message on failure. */
int nft_events_open(const char *ns);

/* Calls fn(addr, coalition, arg) for every IPv4 element (network order)
 * that a datagram announces as new in `inet article5` set ban4
 * (coalition false) or cban4 (coalition true). */
void nft_events_each(const char *buf, int len,
    void (*fn)(uint32_t addr, bool coalition, void *arg), void *arg);

/* Does the datagram announce `want` (network order) in ban4 or cban4? */
bool nft_events_has(const char *buf, int len, uint32_t want);

#endif
