/* f2b_time.h - the time of a date fail2ban found in a line: fail2ban's
 * strptime rules over the fields its regex captured, or an epoch or TAI64N
 * value. */
#ifndef A5_F2B_TIME_H
#define A5_F2B_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Local time, remembered: "now" as local civil time, and the offset of
 * the last civil hour asked (mktime costs a lock and a stat per call). */
struct f2b_clock {
	int64_t now_ref, now_civ;
	bool now_valid;
	int64_t hour_key, hour_off;
	bool hour_valid;
};

/* A named group of a date regex: its number and strptime letter
 * (Y y m b B d H I M S p a A w j U W z Z). */
struct f2b_field {
	uint16_t grp;
	char key;
};

/* fail2ban's reGroupDictStrptime over the fields f[0..nf) (in group order:
 * a later one wins), read from text at ovector ov (unset groups SIZE_MAX,
 * as PCRE2's); pgrp is the %p group or -1. ref is "now" for what the date
 * leaves out. Local time (no zone in the date) is the process's TZ. false
 * where fail2ban fails: 31 Feb, 24:00, an unknown zone... */
bool f2b_time_fields(struct f2b_clock *c, const struct f2b_field *f, unsigned nf, int pgrp,
    const char *text, const size_t *ov, int64_t ref, int64_t *ts);

/* The last time f2b_time_fields_memo worked out, keyed on what it depends
 * on: each field's letter and text in order, the %p text, and ref (the
 * clock is the process's TZ, the same for every detector). Several date
 * detectors may share one (a filter set's detectors see the same line and
 * mostly find the same stamp), never two threads. */
#define F2B_TIME_MEMO_KEY 96
struct f2b_time_memo {
	unsigned char key[F2B_TIME_MEMO_KEY];
	size_t nkey;		/* 0: empty */
	int64_t ref, ts;
	bool ok;
	uint64_t hits, misses;
};

/* f2b_time_fields, answered from memo when the key is the same; the
 * answer is identical either way. memo may be NULL. */
bool f2b_time_fields_memo(struct f2b_time_memo *memo, struct f2b_clock *c,
    const struct f2b_field *f, unsigned nf, int pgrp, const char *text, const size_t *ov,
    int64_t ref, int64_t *ts);

/* fail2ban's epoch value v[0..n): seconds with an optional fraction, or
 * (longfrm, LEPOCH) milli- or microseconds. */
bool f2b_time_epoch(const char *v, size_t n, bool longfrm, int64_t *ts);

/* fail2ban's TAI64N value v[0..n) ("@4" and 23 hex digits): its seconds. */
bool f2b_time_tai64n(const char *v, size_t n, int64_t *ts);

#endif
