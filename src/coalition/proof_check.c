/* proof_check.c - checks an equivocation proof: two signed messages, one
 * member, one number, two different links of its chain (reports or
 * revocations). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coalition/proof_check.h"

/* A link of a member's chain as found in one message of a proof. */
struct link {
	uint8_t reporter[ID_PUBLIC_BYTES];
	uint8_t coalition[WIRE_COALITION_BYTES];
	uint8_t hash[WIRE_HASH_BYTES];
	struct journal_proof_link about;
};

/* Decodes message buf (an envelope, whose report seq is the link, or a
 * revocation numbered seq) into l; env is room for an envelope. 0, or -1
 * with why filled (which: "first" or "second"). */
static int
link_decode(const void *buf, size_t len, uint64_t seq, struct wire_envelope *env, struct link *l,
    const char *which, char *why, size_t whylen)
{
	enum wire_status ws;

	memset(l, 0, sizeof(*l));
	l->about.seq = seq;
	if (wire_kind(buf, len) == WIRE_KIND_REVOCATION) {
		struct wire_revocation v;
		if ((ws = wire_revocation_decode(buf, len, &v)) != WIRE_OK) {
			snprintf(why, whylen, "%s envelope (a revocation): %s", which,
			    wire_status_text(ws));
			return -1;
		}
		if (v.seq != seq) {
			snprintf(why, whylen, "the %s envelope is a revocation #%llu, not #%llu", which,
			    (unsigned long long)v.seq, (unsigned long long)seq);
			return -1;
		}
		memcpy(l->reporter, v.reporter, ID_PUBLIC_BYTES);
		memcpy(l->coalition, v.coalition, WIRE_COALITION_BYTES);
		wire_revocation_hash(&v, l->hash);
		l->about.revocation = true;
		l->about.prefix = v.prefix;
		return 0;
	}
	/* Anything else goes to the envelope decoder, which names what is wrong. */
	if ((ws = wire_decode(buf, len, env)) != WIRE_OK) {
		snprintf(why, whylen, "%s envelope: %s", which, wire_status_text(ws));
		return -1;
	}
	for (size_t i = 0; i < env->nreports; i++)
		if (env->reports[i].seq == seq) {
			memcpy(l->reporter, env->reporter, ID_PUBLIC_BYTES);
			memcpy(l->coalition, env->coalition, WIRE_COALITION_BYTES);
			wire_report_hash(&env->reports[i], env->reporter, l->hash);
			l->about.prefix = env->reports[i].prefix;
			return 0;
		}
	snprintf(why, whylen, "the %s envelope holds no report #%llu", which, (unsigned long long)seq);
	return -1;
}

int
journal_proof_check(const void *a, size_t alen, const void *b, size_t blen, uint64_t seq,
    struct journal_proof *out, char *why, size_t whylen)
{
	struct wire_envelope *env = malloc(sizeof(*env));
	struct link la, lb;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (env == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (link_decode(a, alen, seq, env, &la, "first", why, whylen) != 0 ||
	    link_decode(b, blen, seq, env, &lb, "second", why, whylen) != 0)
		goto done;
	if (memcmp(la.reporter, lb.reporter, ID_PUBLIC_BYTES) != 0) {
		snprintf(why, whylen, "the envelopes are signed by two different keys");
		goto done;
	}
	/* Two coalitions are two chains: the same number in each is no fork. */
	if (memcmp(la.coalition, lb.coalition, WIRE_COALITION_BYTES) != 0) {
		snprintf(why, whylen, "the envelopes are for two different coalitions");
		goto done;
	}
	/* The chain hash covers every byte of the link (a revocation's kind
	 * byte keeps it apart from any report): equal hashes, same link. */
	if (memcmp(la.hash, lb.hash, WIRE_HASH_BYTES) == 0) {
		snprintf(why, whylen, "the two %s #%llu are the same %s",
		    la.about.revocation ? "revocations" : "reports", (unsigned long long)seq,
		    la.about.revocation ? "revocation" : "report");
		goto done;
	}
	memcpy(out->reporter, la.reporter, ID_PUBLIC_BYTES);
	memcpy(out->coalition, la.coalition, WIRE_COALITION_BYTES);
	out->first = la.about;
	out->second = lb.about;
	ret = 0;
done:
	free(env);
	return ret;
}

const uint8_t *
journal_proof_signer(const void *a, size_t alen)
{
	switch (wire_kind(a, alen)) {
	case WIRE_KIND_ENVELOPE: case WIRE_KIND_REVOCATION:
		return wire_signer(a, alen);
	default:
		return NULL;
	}
}
