/* charter_show.c - `article5 charter show`: the charter in force, or what an
 * update changes, who signed it and whether it is adoptable (text or JSON). */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/charter_cli.h"
#include "coalition/identity.h"
#include "common/addr.h"
#include "common/util.h"

static void
show_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter show [--json] [--charter CURRENT | -c CONFIG] [UPDATE]\n"
	    "\n"
	    "Without UPDATE: the charter in force (name, version, threshold, voters,\n"
	    "members). With UPDATE: the version change, what changes (members added and\n"
	    "removed, roles, keys, revocations, policy lines), each signature and whether\n"
	    "the update is adoptable. Without the charter in force, UPDATE is shown alone\n"
	    "and whether it is adoptable cannot be told.\n"
	    "\n"
	    "  --charter CURRENT  the charter in force\n"
	    "  -c CONFIG          the charter named by CONFIG's 'coalition' line\n"
	    "  --json             machine-readable output\n");
}

static void
json_str(const char *s)
{
	size_t n = strlen(s) * 6 + 3;
	char *buf = malloc(n);

	if (buf == NULL) {
		fputs("null", stdout);
		return;
	}
	json_escape(buf, n, s);
	fputs(buf, stdout);
	free(buf);
}

static void
show_charter(const struct charter_current *cur, bool json)
{
	const struct charter *c = cur->c;
	char hex[2 * CHARTER_HASH_BYTES + 1], pk[ID_PUBLIC_TEXT_MAX], th[64];
	char pf[CHARTER_MEMBER_PREFIXES_MAX * A5_PREFIX_STRLEN];

	sodium_bin2hex(hex, sizeof(hex), cur->hash, sizeof(cur->hash));
	if (json) {
		printf("{\"charter\": ");
		json_str(cur->path);
		printf(", \"coalition\": \"%s\", \"version\": %llu, \"hash\": \"%s\", "
		    "\"threshold\": %u, \"threshold_rule\": \"%s\", \"voters\": %u, "
		    "\"commit_period\": %u, \"members\": [", c->name, (unsigned long long)c->version, hex,
		    charter_threshold(c), c->threshold ? "fixed" : "majority", charter_voters(c),
		    c->policy.commit_period);
		for (size_t i = 0; i < c->nmembers; i++) {
			const struct charter_member *m = &c->members[i];
			identity_pk_to_text(m->pk, pk, sizeof(pk));
			printf("%s{\"name\": \"%s\", \"role\": \"%s\", \"key\": \"%s\", \"revoked\": %s, "
			    "\"voting\": %s, \"prefixes\": [", i ? ", " : "", m->name,
			    charter_role_name(m->role), pk, m->revoked ? "true" : "false",
			    charter_member_votes(c, m) ? "true" : "false");
			for (size_t k = 0; k < m->nprefixes; k++) {
				prefix_format(&m->prefixes[k], pf, sizeof(pf));
				printf("%s\"%s\"", k ? ", " : "", pf);
			}
			printf("]}");
		}
		printf("]}\n");
		return;
	}
	charter_threshold_text(c, th, sizeof(th));
	printf("charter %s\n", cur->path);
	printf("coalition %s, version %llu\n", c->name, (unsigned long long)c->version);
	printf("hash      %s\n", hex);
	printf("threshold %s (signatures an update needs)\n", th);
	printf("members   %zu:\n", c->nmembers);
	for (size_t i = 0; i < c->nmembers; i++) {
		const struct charter_member *m = &c->members[i];
		identity_pk_to_text(m->pk, pk, sizeof(pk));
		printf("  %-16s %-9s %s%s%s\n", m->name, charter_role_name(m->role), pk,
		    m->revoked ? "  revoked" : "",
		    charter_member_votes(c, m) ? "  (votes)" : "");
	}
}

static const char *
verdict_word(enum gov_sig_verdict v)
{
	switch (v) {
	case GOV_SIG_COUNTED: return "valid";
	case GOV_SIG_INVALID: return "invalid";
	case GOV_SIG_UNKNOWN: return "unknown-key";
	case GOV_SIG_NOT_VOTER: return "not-voter";
	}
	return "?";
}

static int
show_update(const char *path, const struct charter_current *cur, bool json)
{
	struct gov_update *u = NULL;
	struct gov_tally *t = calloc(1, sizeof(*t));
	struct charter *next = malloc(sizeof(*next));
	struct charter_changes ch = { 0 };
	char err[CHARTER_ERR_MAX], why[CHARTER_ERR_MAX] = "", hex[2 * CHARTER_HASH_BYTES + 1], th[2 * CHARTER_HASH_BYTES + 1];
	char pk[ID_PUBLIC_TEXT_MAX], name[80];
	uint8_t text_hash[CHARTER_HASH_BYTES], digest[GOV_DIGEST_BYTES];
	bool parsed = false;
	int verdict = GOV_REFUSED, rc = 1;

	if (t == NULL || next == NULL) {
		fprintf(stderr, "article5 charter show: out of memory\n");
		goto out;
	}
	if (charter_update_load(path, &u, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 charter show: %s\n", err);
		goto out;
	}
	sodium_bin2hex(hex, sizeof(hex), u->prev_hash, sizeof(u->prev_hash));
	charter_hash(u->text, u->len, text_hash);
	sodium_bin2hex(th, sizeof(th), text_hash, sizeof(text_hash));
	if (cur != NULL) {
		verdict = gov_check(cur->c, cur->hash, u, next, t, why, sizeof(why));
		/* gov_check parses the text only once the update fits the charter
		 * in force; the changes are worth showing anyway. */
		parsed = charter_parse("new charter", u->text, u->len, next, err, sizeof(err)) == 0;
		if (parsed)
			charter_diff(cur, next, u->text, u->len, &ch);
	} else {
		/* No charter in force: each signature is only checked for being
		 * one over this content; names come from the new text. */
		parsed = charter_parse("new charter", u->text, u->len, next, err, sizeof(err)) == 0;
		gov_digest(u, digest);
		for (size_t i = 0; i < u->nsigs; i++) {
			const struct charter_member *m = parsed ? charter_find(next, u->sigs[i].pk) : NULL;
			t->member[i] = m ? (int)(m - next->members) : -1;
			t->verdict[i] = crypto_sign_verify_detached(u->sigs[i].sig, digest, sizeof(digest),
			    u->sigs[i].pk) == 0 ? GOV_SIG_COUNTED : GOV_SIG_INVALID;
		}
		snprintf(why, sizeof(why), "%s", parsed ? "cannot tell without the charter in force "
		    "(--charter CURRENT)" : err);
	}
	const struct charter *names = cur != NULL ? cur->c : (parsed ? next : NULL);

	if (json) {
		printf("{\"update\": ");
		json_str(path);
		printf(", \"coalition\": \"%s\", \"version\": %llu, \"previous_hash\": \"%s\", "
		    "\"text_hash\": \"%s\"", u->coalition, (unsigned long long)u->version, hex, th);
		if (cur != NULL) {
			printf(", \"charter\": ");
			json_str(cur->path);
			printf(", \"charter_version\": %llu, \"replaces_charter\": %s", (unsigned long long)cur->c->version,
			    memcmp(u->prev_hash, cur->hash, CHARTER_HASH_BYTES) == 0 ? "true" : "false");
		}
		printf(", \"text_valid\": %s, \"changes\": [", parsed ? "true" : "false");
		for (size_t i = 0; i < ch.n; i++) {
			printf("%s", i ? ", " : "");
			json_str(ch.line[i]);
		}
		printf("], \"signatures\": [");
		for (size_t i = 0; i < u->nsigs; i++) {
			identity_pk_to_text(u->sigs[i].pk, pk, sizeof(pk));
			printf("%s{\"key\": \"%s\", \"name\": ", i ? ", " : "", pk);
			if (names != NULL && t->member[i] >= 0)
				printf("\"%s\"", names->members[t->member[i]].name);
			else
				printf("null");
			printf(", \"verdict\": \"%s\"}", cur != NULL ? verdict_word(t->verdict[i]) :
			    t->verdict[i] == GOV_SIG_COUNTED ? "valid" : "invalid");
		}
		printf("]");
		if (cur != NULL) {
			printf(", \"counted\": %u, \"required\": %u, \"missing\": [", t->counted, t->required);
			for (size_t i = 0; i < t->nmissing; i++)
				printf("%s\"%s\"", i ? ", " : "", cur->c->members[t->missing[i]].name);
			printf("], \"adoptable\": %s", verdict == GOV_ADOPTABLE ? "true" : "false");
		}
		if (verdict != GOV_ADOPTABLE) {
			printf(", \"reason\": ");
			json_str(why);
		}
		printf("}\n");
		rc = 0;
		goto out;
	}

	printf("update %s: coalition %s, version %llu -> %llu\n", path, u->coalition,
	    cur != NULL ? (unsigned long long)cur->c->version : (unsigned long long)u->version - 1,
	    (unsigned long long)u->version);
	printf("replaces charter %s%s\n", hex, cur == NULL ? "" :
	    memcmp(u->prev_hash, cur->hash, CHARTER_HASH_BYTES) == 0 ? " (the charter in force)" :
	    " (NOT the charter in force)");
	printf("new text %s, %zu bytes\n", th, u->len);
	if (cur != NULL && parsed) {
		printf("changes:%s\n", ch.n == 0 ? " none besides the version" : "");
		for (size_t i = 0; i < ch.n; i++)
			printf("  %s\n", ch.line[i]);
	} else if (!parsed)
		printf("new text does not parse: %s\n", err);
	printf("signatures: %zu\n", u->nsigs);
	for (size_t i = 0; i < u->nsigs; i++) {
		identity_pk_to_text(u->sigs[i].pk, pk, sizeof(pk));
		if (names != NULL && t->member[i] >= 0)
			snprintf(name, sizeof(name), "%s", names->members[t->member[i]].name);
		else
			snprintf(name, sizeof(name), "unknown key");
		printf("  %-16s %s  %s\n", name, pk, cur != NULL ? gov_sig_verdict_text(t->verdict[i]) :
		    t->verdict[i] == GOV_SIG_COUNTED ? "valid signature" : "invalid");
	}
	if (cur == NULL)
		printf("adoptable: %s\n", why);
	else if (verdict == GOV_ADOPTABLE)
		printf("%u of %u signatures: adoptable\n", t->counted, t->required);
	else if (verdict == GOV_PENDING && strstr(why, "(missing: ") != NULL)
		printf("%u of %u signatures: not adoptable %s\n", t->counted, t->required,
		    strstr(why, "(missing: "));
	else
		printf("%u of %u signatures: not adoptable: %s\n", t->counted, t->required, why);
	rc = 0;
out:
	charter_changes_free(&ch);
	gov_free(u);
	free(next);
	free(t);
	return rc;
}

int
cmd_charter_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "charter", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *charter = NULL, *cfgpath = NULL, *update = NULL;
	char chpath[PATH_MAX], err[CHARTER_ERR_MAX];
	struct charter_current cur = { 0 };
	bool json = false;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C': charter = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'j': json = true; break;
		case 'h': show_usage(stdout); return 0;
		default: show_usage(stderr); return 2;
		}
	}
	if (optind < argc - 1 || (charter != NULL && cfgpath != NULL)) {
		show_usage(stderr);
		return 2;
	}
	if (optind == argc - 1)
		update = argv[optind];
	if (cfgpath != NULL) {
		if (charter_paths_from_config(cfgpath, chpath, sizeof(chpath), NULL, 0, err, sizeof(err)) != 0) {
			fprintf(stderr, "article5 charter show: %s\n", err);
			return 1;
		}
		if (chpath[0] == '\0') {
			fprintf(stderr, "article5 charter show: %s: no 'coalition' line (the charter file)\n", cfgpath);
			return 1;
		}
		charter = chpath;
	}
	if (charter == NULL && update == NULL) {
		fprintf(stderr, "article5 charter show: nothing to show: give the charter (--charter FILE "
		    "or -c CONFIG), an update, or both\n");
		return 2;
	}
	if (charter != NULL && charter_current_load(charter, &cur, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 charter show: %s\n", err);
		return 1;
	}
	if (update == NULL) {
		show_charter(&cur, json);
		rc = 0;
	} else
		rc = show_update(update, charter ? &cur : NULL, json);
	charter_current_free(&cur);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
