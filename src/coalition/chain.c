/* chain.c - the table of chain heads and its records in the ledger
 * (contract in chain.h). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "coalition/accept.h"
#include "coalition/chain.h"
#include "common/log.h"
#include "common/util.h"
#include "ledger/ledger.h"

/* Missing sequence numbers kept per member across restarts (each at most
 * 20 digits and a comma: they fit a ledger state value). */
#define GAPS_SAVED 48

static int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t bin_len;

	if (strlen(s) != 2 * n || sodium_hex2bin(out, n, s, 2 * n, NULL, &bin_len, NULL) != 0 ||
	    bin_len != n)
		return -1;
	return 0;
}

/* "seq:hexhash" with seq at least min. 0, or -1 (h unchanged). */
static int
head_parse(char *v, uint64_t min, uint64_t *seq, uint8_t hash[WIRE_HASH_BYTES])
{
	char *colon = strchr(v, ':');
	uint8_t h[WIRE_HASH_BYTES];
	uint64_t s;

	if (colon == NULL)
		return -1;
	*colon = '\0';
	if (uint_parse(v, min, UINT64_MAX / 2, &s) != 0 || hex_decode(colon + 1, h, sizeof(h)) != 0)
		return -1;
	*seq = s;
	memcpy(hash, h, sizeof(h));
	return 0;
}

static void
head_format(uint64_t seq, const uint8_t hash[WIRE_HASH_BYTES], char *v, size_t n)
{
	char hhex[2 * WIRE_HASH_BYTES + 1];

	sodium_bin2hex(hhex, sizeof(hhex), hash, WIRE_HASH_BYTES);
	snprintf(v, n, "%llu:%s", (unsigned long long)seq, hhex);
}

/* "<prefix>:<member key in hex>" */
static void
member_key(const char *prefix, const uint8_t pk[ID_PUBLIC_BYTES], char *key, size_t n)
{
	char khex[2 * ID_PUBLIC_BYTES + 1];

	sodium_bin2hex(khex, sizeof(khex), pk, ID_PUBLIC_BYTES);
	snprintf(key, n, "%s:%s", prefix, khex);
}

void
chain_table_reset(struct chain_table *t, const struct charter *c, size_t self)
{
	struct chain_head own;

	memset(&own, 0, sizeof(own));
	if (t->n > 0)
		own = t->heads[t->self];
	memset(t->heads, 0, sizeof(t->heads));
	t->n = c->nmembers;
	t->self = self;
	for (size_t i = 0; i < t->n; i++)
		memcpy(t->heads[i].member, c->members[i].pk, ID_PUBLIC_BYTES);
	t->heads[self].seq = own.seq;
	memcpy(t->heads[self].hash, own.hash, WIRE_HASH_BYTES);
}

void
chain_load_own(struct chain_table *t, struct ledger *l)
{
	struct chain_head *h = &t->heads[t->self];
	char v[LEDGER_STATE_MAX];

	h->seq = 0;
	memset(h->hash, 0, sizeof(h->hash));
	if (ledger_state_get(l, "chain:self", v, sizeof(v)) != 1 || strchr(v, ':') == NULL)
		return;
	if (head_parse(v, 1, &h->seq, h->hash) != 0) {
		log_warnx("coalition: bad chain head in the ledger; refusing to guess a sequence number");
		h->seq = CHAIN_BROKEN;
		memset(h->hash, 0, sizeof(h->hash));
	}
}

/* The "gaps:" list: numbers that do not parse are skipped. */
static void
gaps_load(struct chain_head *h, struct ledger *l, struct accept *acc)
{
	char key[96], v[LEDGER_STATE_MAX];

	member_key("gaps", h->member, key, sizeof(key));
	if (ledger_state_get(l, key, v, sizeof(v)) != 1)
		return;
	for (char *tok = v, *comma; tok != NULL; tok = comma ? comma + 1 : NULL) {
		uint64_t miss;
		if ((comma = strchr(tok, ',')) != NULL)
			*comma = '\0';
		if (uint_parse(tok, 1, UINT64_MAX / 2, &miss) == 0) {
			accept_chain_set_missing(acc, h->member, miss);
			h->gaps_saved = true;
		}
	}
}

void
chain_load_peers(struct chain_table *t, struct ledger *l, struct accept *acc)
{
	for (size_t i = 0; i < t->n; i++) {
		struct chain_head *h = &t->heads[i];
		char key[96], v[LEDGER_STATE_MAX];
		uint64_t seq;
		uint8_t hash[WIRE_HASH_BYTES];

		member_key("chain", h->member, key, sizeof(key));
		if (ledger_state_get(l, key, v, sizeof(v)) != 1 || strchr(v, ':') == NULL)
			continue;
		if (head_parse(v, 0, &seq, hash) == 0) {
			accept_chain_set(acc, h->member, seq, hash);
			if (i != t->self) {	/* the own head is "chain:self" */
				h->seq = seq;
				memcpy(h->hash, hash, sizeof(hash));
			}
		}
		gaps_load(h, l, acc);
		if (ledger_proofs_count(l, h->member) > 0)
			accept_quarantine(acc, h->member);
	}
}

int
chain_save_own(struct chain_table *t, struct ledger *l, uint64_t seq,
    const uint8_t hash[WIRE_HASH_BYTES])
{
	struct chain_head *h = &t->heads[t->self];
	char v[128];

	head_format(seq, hash, v, sizeof(v));
	if (ledger_state_set(l, "chain:self", v) != 0)
		return -1;
	h->seq = seq;
	memcpy(h->hash, hash, WIRE_HASH_BYTES);
	return 0;
}

void
chain_save_peer(struct chain_table *t, struct ledger *l, const struct accept *acc, size_t row)
{
	struct chain_head *h = &t->heads[row];
	char key[96], v[128];
	uint64_t missing[GAPS_SAVED];

	if (row >= t->n || accept_chain_get(acc, h->member, &h->seq, h->hash) != 0)
		return;
	member_key("chain", h->member, key, sizeof(key));
	head_format(h->seq, h->hash, v, sizeof(v));
	if (ledger_state_set(l, key, v) != 0)
		log_warnx("ledger: %s", ledger_errmsg(l));
	/* The numbers still missing behind the head, in the same batch: a
	 * report in flight at a crash comes back after later ones. Written
	 * only while there are some, and once more to clear them. */
	size_t n = accept_chain_missing(acc, h->member, missing, GAPS_SAVED);
	if (n == 0 && !h->gaps_saved)
		return;
	char list[LEDGER_STATE_MAX];
	size_t used = 0;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%llu", i ? "," : "",
		    (unsigned long long)missing[i]);
		if (w < 0 || (size_t)w >= sizeof(list) - used)
			break;
		used += (size_t)w;
	}
	member_key("gaps", h->member, key, sizeof(key));
	if (ledger_state_set(l, key, list) != 0)
		log_warnx("ledger: %s", ledger_errmsg(l));
	h->gaps_saved = n > 0;
}

const uint64_t *
chain_positions(struct chain_table *t, const struct accept *acc)
{
	uint8_t h[WIRE_HASH_BYTES];

	for (size_t i = 0; i < t->n; i++) {
		if (i == t->self)
			t->positions[i] = t->heads[i].seq == CHAIN_BROKEN ? 0 : t->heads[i].seq;
		else if (accept_chain_get(acc, t->heads[i].member, &t->positions[i], h) != 0)
			t->positions[i] = 0;
	}
	return t->positions;
}

const uint64_t *
chain_settled(struct chain_table *t, struct accept *acc, int64_t now, int64_t settle)
{
	chain_positions(t, acc);
	for (size_t i = 0; i < t->n; i++)
		t->settled[i] = i == t->self ? t->positions[i] :
		    accept_chain_settled(acc, t->heads[i].member, now, settle);
	return t->settled;
}

bool
chain_holes(const struct chain_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (i != t->self && t->settled[i] < t->positions[i])
			return true;
	return false;
}
