/* charter_cmd.c - `article5 charter propose|sign|show|apply|submit`: charter
 * updates that take effect once the threshold of voting members signed
 * them (docs/governance.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "coalition/charter.h"
#include "coalition/governance.h"
#include "coalition/identity.h"
#include "coalition/transport.h"
#include "common/addr.h"
#include "common/lineparse.h"
#include "common/util.h"
#include "daemon/config.h"

#define ERR_MAX (PATH_MAX + 1024)

/* The charter in force: parsed, and its exact bytes with their hash (an
 * update names that hash). */
struct current {
	const char *path;
	struct charter *c;
	char *text;
	size_t len;
	uint8_t hash[CHARTER_HASH_BYTES];
};

static void
charter_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter propose (--charter CURRENT | -c CONFIG) NEW_TEXT -o UPDATE\n"
	    "       article5 charter sign (--identity KEYFILE | -c CONFIG) [--charter CURRENT] UPDATE\n"
	    "       article5 charter show [--json] [--charter CURRENT | -c CONFIG] [UPDATE]\n"
	    "       article5 charter apply (--charter CURRENT | -c CONFIG) UPDATE\n"
	    "       article5 charter submit -c CONFIG UPDATE\n"
	    "\n"
	    "Changes to the coalition's charter (members admitted or removed, roles, key\n"
	    "rotations, revocations, policy) take effect only once signed by the threshold\n"
	    "of voting members of the charter in force (docs/governance.md).\n"
	    "\n"
	    "  propose  make an unsigned update from the edited charter text NEW_TEXT\n"
	    "           (it must say 'version N', N the current version + 1)\n"
	    "  sign     add this member's signature to UPDATE\n"
	    "  show     the charter in force, or what UPDATE changes and who signed it\n"
	    "  apply    replace the charter file by UPDATE's text, if UPDATE is adoptable\n"
	    "  submit   publish an adoptable UPDATE on the coalition stream: every running\n"
	    "           member checks it and adopts it\n"
	    "\n"
	    "'article5 charter SUBCOMMAND --help' describes each.\n");
}

static void
propose_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter propose (--charter CURRENT | -c CONFIG) NEW_TEXT -o UPDATE\n"
	    "\n"
	    "Writes UPDATE, an unsigned charter update that replaces the charter in force\n"
	    "(CURRENT) by the text of NEW_TEXT. NEW_TEXT must parse, name the same\n"
	    "coalition, carry 'version N' with N the current version + 1, and keep at\n"
	    "least one voting member. UPDATE is never overwritten. Then each member signs\n"
	    "it with 'article5 charter sign'.\n"
	    "\n"
	    "  --charter CURRENT  the charter in force\n"
	    "  -c CONFIG          the charter named by CONFIG's 'coalition' line\n"
	    "  -o UPDATE          the update file to create (mode 0644)\n");
}

static void
sign_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter sign (--identity KEYFILE | -c CONFIG) [--charter CURRENT] UPDATE\n"
	    "\n"
	    "Adds this member's signature to UPDATE (rewritten in place, atomically). With\n"
	    "the charter in force (--charter, or the config's), refuses to sign an update\n"
	    "that could never be adopted and warns when this key's signature would not\n"
	    "count. Check what you sign first: 'article5 charter show --charter CURRENT\n"
	    "UPDATE'.\n"
	    "\n"
	    "  --identity KEYFILE  this member's secret key (article5 keygen)\n"
	    "  --charter CURRENT   the charter in force\n"
	    "  -c CONFIG           the 'identity' and 'coalition' files of CONFIG\n");
}

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
apply_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter apply (--charter CURRENT | -c CONFIG) UPDATE\n"
	    "\n"
	    "Checks UPDATE against the charter in force and, if it is adoptable (same\n"
	    "coalition, the next version, it replaces this very text, the new text\n"
	    "parses, enough signatures of voting members), replaces CURRENT by the new\n"
	    "text atomically. For a member that was away from the coalition stream.\n"
	    "Exit status: 0 applied, 1 refused (the reason is printed), 2 usage.\n"
	    "\n"
	    "  --charter CURRENT  the charter in force, replaced\n"
	    "  -c CONFIG          the charter named by CONFIG's 'coalition' line\n");
}

static void
submit_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 charter submit -c CONFIG UPDATE\n"
	    "\n"
	    "Checks UPDATE against the charter in force (CONFIG's 'coalition' file) and, if\n"
	    "it is adoptable, publishes it on the coalition's stream, on this member's\n"
	    "subject (CONFIG's 'identity'), through the charter's NATS servers. Each\n"
	    "running daemon checks it again against its own charter in force, writes the\n"
	    "new text to its charter file and applies it at once ('article5 status' shows\n"
	    "the version); a member that is offline adopts it when it catches up. Nothing\n"
	    "is published for an update that is not adoptable (exit 1, the reason is\n"
	    "printed). The local charter file is left to the local daemon.\n"
	    "\n"
	    "  -c CONFIG  the configuration naming the charter, the identity and the NATS\n"
	    "             credentials (nats_creds, nats_tls_ca)\n");
}

/* --- files --- */

/* Creates path (never overwriting, never through a symlink) with exactly
 * mode, writes and syncs buf. 0, or -1 with err filled and nothing left. */
static int
write_new(const char *path, const void *buf, size_t n, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (refusing to overwrite it)" : "");
		return -1;
	}
	if (fchmod(fd, mode) != 0 || fd_write_all(fd, buf, n) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

static void
current_free(struct current *cur)
{
	free(cur->c);
	free(cur->text);
	cur->c = NULL;
	cur->text = NULL;
}

static int
current_load(const char *path, struct current *cur, char *err, size_t errlen)
{
	memset(cur, 0, sizeof(*cur));
	cur->path = path;
	if ((cur->c = malloc(sizeof(*cur->c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (lp_read_file(path, CHARTER_FILE_MAX, &cur->text, &cur->len, err, errlen) != 0) {
		current_free(cur);
		return -1;
	}
	if (charter_parse(path, cur->text, cur->len, cur->c, err, errlen) != 0) {
		current_free(cur);
		return -1;
	}
	charter_hash(cur->text, cur->len, cur->hash);
	return 0;
}

static int
update_load(const char *path, struct gov_update **u, char *err, size_t errlen)
{
	char *buf, why[512];
	size_t n;

	if (lp_read_file(path, GOV_BUNDLE_MAX, &buf, &n, err, errlen) != 0)
		return -1;
	if (gov_decode((const uint8_t *)buf, n, u, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

static uint8_t *
update_encode(const struct gov_update *u, size_t *n, const char *path, char *err, size_t errlen)
{
	size_t cap = gov_encoded_len(u);
	uint8_t *buf = malloc(cap);

	if (buf == NULL || (*n = gov_encode(u, buf, cap)) == 0) {
		snprintf(err, errlen, "%s: %s", path, buf ? "cannot encode the update" : "out of memory");
		free(buf);
		return NULL;
	}
	return buf;
}

/* The charter (and identity) paths from a configuration file. */
static int
paths_from_config(const char *cfgpath, char *charter, size_t chn, char *identity, size_t idn,
    char *err, size_t errlen)
{
	struct config *cfg = malloc(sizeof(*cfg));

	if (cfg == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	config_defaults(cfg);
	if (config_load(cfgpath, cfg, err, errlen) != 0) {
		free(cfg);
		return -1;
	}
	if (charter != NULL) {
		char adopted[PATH_MAX + 32], why[512];
		config_adopted_charter(cfg, adopted, sizeof(adopted));
		strlcpy_ok(charter, charter_in_force(cfg->charter, adopted, why, sizeof(why)), chn);
	}
	if (identity != NULL)
		strlcpy_ok(identity, cfg->identity, idn);
	free(cfg);
	return 0;
}

/* --- what an update changes --- */

struct changes {
	char **line;
	size_t n, cap;
};

static void __attribute__((format(printf, 2, 3)))
change_add(struct changes *ch, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? 2 * ch->cap : 16;
		char **l = realloc(ch->line, cap * sizeof(*l));
		if (l == NULL)
			return;
		ch->line = l;
		ch->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s != NULL)
		ch->line[ch->n++] = s;
}

static void
changes_free(struct changes *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->line[i]);
	free(ch->line);
	memset(ch, 0, sizeof(*ch));
}

static void
prefixes_text(const struct charter_member *m, char *out, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	if (m->nprefixes == 0) {
		snprintf(out, n, "(none)");
		return;
	}
	for (size_t i = 0; i < m->nprefixes && o < n; i++) {
		char p[A5_PREFIX_STRLEN];
		prefix_format(&m->prefixes[i], p, sizeof(p));
		o += (size_t)snprintf(out + o, n - o, "%s%s", i ? " " : "", p);
	}
}

static bool
same_prefixes(const struct charter_member *a, const struct charter_member *b)
{
	if (a->nprefixes != b->nprefixes)
		return false;
	for (size_t i = 0; i < a->nprefixes; i++)
		if (!prefix_equal(&a->prefixes[i], &b->prefixes[i]))
			return false;
	return true;
}

/* The directive lines other than member, revoked and version (those are
 * compared as members), each with its words joined by one space. */
static size_t
policy_lines(const char *text, size_t len, char ***out)
{
	char **v = NULL, line[4096];
	size_t n = 0, i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) : len - i;
		char *w[64], joined[4096];
		int nw;

		if (l < sizeof(line)) {
			memcpy(line, text + i, l);
			line[l] = '\0';
			if (l > 0 && line[l - 1] == '\r')
				line[l - 1] = '\0';
			nw = lp_split(line, w, (int)ARRAY_LEN(w));
			if (nw > 0 && strcmp(w[0], "member") != 0 && strcmp(w[0], "revoked") != 0 &&
			    strcmp(w[0], "version") != 0) {
				size_t o = 0;
				for (int k = 0; k < nw && o < sizeof(joined); k++)
					o += (size_t)snprintf(joined + o, sizeof(joined) - o, "%s%s",
					    k ? " " : "", w[k]);
				char **nv = realloc(v, (n + 1) * sizeof(*v));
				if (nv != NULL && (nv[n] = strdup(joined)) != NULL) {
					v = nv;
					n++;
				} else if (nv != NULL)
					v = nv;
			}
		}
		i += l + 1;
	}
	*out = v;
	return n;
}

static void
lines_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Lines of a that b lacks, as a multiset. */
static void
lines_missing(char **a, size_t na, char **b, size_t nb, struct changes *ch, const char *what)
{
	bool *used = calloc(nb + 1, sizeof(*used));

	if (used == NULL)
		return;
	for (size_t i = 0; i < na; i++) {
		size_t j;
		for (j = 0; j < nb; j++)
			if (!used[j] && strcmp(a[i], b[j]) == 0)
				break;
		if (j < nb)
			used[j] = true;
		else
			change_add(ch, "%s: %s", what, a[i]);
	}
	free(used);
}

static void
threshold_text(const struct charter *c, char *out, size_t n)
{
	if (c->threshold == 0)
		snprintf(out, n, "majority: %u of %u voters", charter_threshold(c), charter_voters(c));
	else
		snprintf(out, n, "%u of %u voters", c->threshold, charter_voters(c));
}

static void
diff_charters(const struct current *cur, const struct charter *next, const char *next_text,
    size_t next_len, struct changes *ch)
{
	const struct charter *c = cur->c;
	char a[ID_PUBLIC_TEXT_MAX], b[ID_PUBLIC_TEXT_MAX];
	char pa[CHARTER_MEMBER_PREFIXES_MAX * A5_PREFIX_STRLEN], pb[sizeof(pa)];
	char **la, **lb;
	size_t na, nb;

	for (size_t i = 0; i < c->nmembers; i++) {
		const struct charter_member *m = &c->members[i];
		const struct charter_member *n = charter_find_name(next, m->name);

		if (n == NULL) {
			change_add(ch, "member removed: %s (its key becomes unknown%s)", m->name,
			    m->nprefixes ? "; its prefixes are no longer shielded" : "");
			continue;
		}
		if (m->role != n->role)
			change_add(ch, "member %s: role %s -> %s", m->name, charter_role_name(m->role),
			    charter_role_name(n->role));
		if (memcmp(m->pk, n->pk, ID_PUBLIC_BYTES) != 0) {
			identity_pk_to_text(m->pk, a, sizeof(a));
			identity_pk_to_text(n->pk, b, sizeof(b));
			change_add(ch, "member %s: key rotated %s -> %s", m->name, a, b);
		}
		if (!same_prefixes(m, n)) {
			prefixes_text(m, pa, sizeof(pa));
			prefixes_text(n, pb, sizeof(pb));
			change_add(ch, "member %s: prefixes %s -> %s", m->name, pa, pb);
		}
		if (!m->revoked && n->revoked)
			change_add(ch, "member %s: revoked", m->name);
		else if (m->revoked && !n->revoked)
			change_add(ch, "member %s: revocation lifted", m->name);
	}
	for (size_t i = 0; i < next->nmembers; i++) {
		const struct charter_member *n = &next->members[i];
		if (charter_find_name(c, n->name) != NULL)
			continue;
		identity_pk_to_text(n->pk, b, sizeof(b));
		prefixes_text(n, pb, sizeof(pb));
		change_add(ch, "member added: %s %s %s, prefixes %s%s", n->name,
		    charter_role_name(n->role), b, pb, n->revoked ? " (revoked)" : "");
	}
	na = policy_lines(cur->text, cur->len, &la);
	nb = policy_lines(next_text, next_len, &lb);
	lines_missing(la, na, lb, nb, ch, "line removed");
	lines_missing(lb, nb, la, na, ch, "line added");
	lines_free(la, na);
	lines_free(lb, nb);
	if (charter_voters(c) != charter_voters(next) || charter_threshold(c) != charter_threshold(next)) {
		threshold_text(c, pa, sizeof(pa));
		threshold_text(next, pb, sizeof(pb));
		change_add(ch, "signatures needed for later updates: %s -> %s", pa, pb);
	}
}

/* --- propose --- */

static int
charter_propose(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "charter", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *charter = NULL, *cfgpath = NULL, *outpath = NULL, *newpath;
	char chpath[PATH_MAX], err[ERR_MAX];
	struct current cur = { 0 };
	struct gov_update *u = NULL;
	uint8_t *enc = NULL;
	char *text = NULL;
	size_t tlen, elen;
	int opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C': charter = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'o': outpath = optarg; break;
		case 'h': propose_usage(stdout); return 0;
		default: propose_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || outpath == NULL || (charter == NULL) == (cfgpath == NULL)) {
		propose_usage(stderr);
		return 2;
	}
	newpath = argv[optind];
	if (charter == NULL) {
		if (paths_from_config(cfgpath, chpath, sizeof(chpath), NULL, 0, err, sizeof(err)) != 0)
			goto fail;
		if (chpath[0] == '\0') {
			snprintf(err, sizeof(err), "%s: no 'coalition' line (the charter file) (or use --charter FILE)", cfgpath);
			goto fail;
		}
		charter = chpath;
	}
	if (current_load(charter, &cur, err, sizeof(err)) != 0 ||
	    lp_read_file(newpath, CHARTER_FILE_MAX, &text, &tlen, err, sizeof(err)) != 0 ||
	    gov_propose(cur.c, cur.hash, newpath, text, tlen, &u, err, sizeof(err)) != 0 ||
	    (enc = update_encode(u, &elen, outpath, err, sizeof(err))) == NULL ||
	    write_new(outpath, enc, elen, 0644, err, sizeof(err)) != 0)
		goto fail;
	fprintf(stderr, "article5 charter: wrote %s: coalition %s, version %llu -> %llu, unsigned; "
	    "it needs %u signatures of voting members (article5 charter sign)\n", outpath, cur.c->name,
	    (unsigned long long)cur.c->version, (unsigned long long)u->version,
	    charter_threshold(cur.c));
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "article5 charter propose: %s\n", err);
out:
	free(enc);
	free(text);
	gov_free(u);
	current_free(&cur);
	return rc;
}

/* --- sign --- */

static int
charter_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "charter", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyfile = NULL, *charter = NULL, *cfgpath = NULL, *path;
	char chpath[PATH_MAX], idpath[PATH_MAX], err[ERR_MAX], why[1024], pk[ID_PUBLIC_TEXT_MAX];
	struct current cur = { 0 };
	struct gov_update *u = NULL;
	struct gov_tally *t = NULL;
	struct identity *id = NULL;
	uint8_t *enc = NULL;
	size_t elen;
	int opt, rc = 1, verdict = GOV_REFUSED;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': keyfile = optarg; break;
		case 'C': charter = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'h': sign_usage(stdout); return 0;
		default: sign_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (keyfile == NULL && cfgpath == NULL)) {
		sign_usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (cfgpath != NULL) {
		if (paths_from_config(cfgpath, chpath, sizeof(chpath), idpath, sizeof(idpath), err,
		    sizeof(err)) != 0)
			goto fail;
		if (keyfile == NULL) {
			if (idpath[0] == '\0') {
				snprintf(err, sizeof(err), "%s: no 'identity' line (or use --identity KEYFILE)",
				    cfgpath);
				goto fail;
			}
			keyfile = idpath;
		}
		if (charter == NULL && chpath[0] != '\0')
			charter = chpath;
	}
	if ((id = malloc(sizeof(*id))) == NULL || (t = malloc(sizeof(*t))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (update_load(path, &u, err, sizeof(err)) != 0)
		goto fail;
	if (charter != NULL) {
		if (current_load(charter, &cur, err, sizeof(err)) != 0)
			goto fail;
		/* Signing what can never be adopted helps nobody and may confuse
		 * those who count; only missing signatures are fine. */
		if (gov_check(cur.c, cur.hash, u, NULL, t, why, sizeof(why)) == GOV_REFUSED) {
			fprintf(stderr, "article5 charter sign: %s: refusing to sign: %s (charter in force: "
			    "%s)\n", path, why, charter);
			goto out;
		}
	}
	if (identity_load(keyfile, id, err, sizeof(err)) != 0) {
		free(id);
		id = NULL;
		goto fail;
	}
	identity_pk_to_text(id->pk, pk, sizeof(pk));
	if (gov_sign(u, id, why, sizeof(why)) != 0) {
		snprintf(err, sizeof(err), "%s: %s", path, why);
		goto fail;
	}
	if ((enc = update_encode(u, &elen, path, err, sizeof(err))) == NULL ||
	    charter_write_file(path, enc, elen, err, sizeof(err)) != 0)
		goto fail;
	if (cur.c != NULL) {
		const struct charter_member *m = charter_find(cur.c, id->pk);
		verdict = gov_check(cur.c, cur.hash, u, NULL, t, why, sizeof(why));
		if (m == NULL)
			fprintf(stderr, "article5 charter: warning: %s is not a member of %s: this signature "
			    "does not count\n", pk, charter);
		else if (m->revoked || m->role == ROLE_OBSERVER)
			fprintf(stderr, "article5 charter: warning: %s is %s in %s: this signature does not "
			    "count\n", m->name, m->revoked ? "revoked" : "an observer", charter);
		fprintf(stderr, "article5 charter: signed %s as %s: %s\n", path, m ? m->name : pk,
		    verdict == GOV_ADOPTABLE ? "adoptable now" : why);
	} else
		fprintf(stderr, "article5 charter: signed %s with %s (%zu signature%s; no charter in force "
		    "given, so not counted)\n", path, pk, u->nsigs, u->nsigs == 1 ? "" : "s");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "article5 charter sign: %s\n", err);
out:
	if (id != NULL) {
		identity_wipe(id);
		free(id);
	}
	free(enc);
	free(t);
	gov_free(u);
	current_free(&cur);
	return rc;
}

/* --- show --- */

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
show_charter(const struct current *cur, bool json)
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
			    !m->revoked && m->role != ROLE_OBSERVER ? "true" : "false");
			for (size_t k = 0; k < m->nprefixes; k++) {
				prefix_format(&m->prefixes[k], pf, sizeof(pf));
				printf("%s\"%s\"", k ? ", " : "", pf);
			}
			printf("]}");
		}
		printf("]}\n");
		return;
	}
	threshold_text(c, th, sizeof(th));
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
		    !m->revoked && m->role != ROLE_OBSERVER ? "  (votes)" : "");
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
show_update(const char *path, const struct current *cur, bool json)
{
	struct gov_update *u = NULL;
	struct gov_tally *t = calloc(1, sizeof(*t));
	struct charter *next = malloc(sizeof(*next));
	struct changes ch = { 0 };
	char err[ERR_MAX], why[ERR_MAX] = "", hex[2 * CHARTER_HASH_BYTES + 1], th[2 * CHARTER_HASH_BYTES + 1];
	char pk[ID_PUBLIC_TEXT_MAX], name[80];
	uint8_t text_hash[CHARTER_HASH_BYTES], digest[GOV_DIGEST_BYTES];
	bool parsed = false;
	int verdict = GOV_REFUSED, rc = 1;

	if (t == NULL || next == NULL) {
		fprintf(stderr, "article5 charter show: out of memory\n");
		goto out;
	}
	if (update_load(path, &u, err, sizeof(err)) != 0) {
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
			diff_charters(cur, next, u->text, u->len, &ch);
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
	changes_free(&ch);
	gov_free(u);
	free(next);
	free(t);
	return rc;
}

static int
charter_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "charter", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *charter = NULL, *cfgpath = NULL, *update = NULL;
	char chpath[PATH_MAX], err[ERR_MAX];
	struct current cur = { 0 };
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
		if (paths_from_config(cfgpath, chpath, sizeof(chpath), NULL, 0, err, sizeof(err)) != 0) {
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
	if (charter != NULL && current_load(charter, &cur, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 charter show: %s\n", err);
		return 1;
	}
	if (update == NULL) {
		show_charter(&cur, json);
		rc = 0;
	} else
		rc = show_update(update, charter ? &cur : NULL, json);
	current_free(&cur);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

/* --- apply --- */

static int
charter_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "charter", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *charter = NULL, *cfgpath = NULL, *path;
	char chpath[PATH_MAX], err[ERR_MAX], why[1024], hex[2 * CHARTER_HASH_BYTES + 1];
	uint8_t h[CHARTER_HASH_BYTES];
	struct current cur = { 0 };
	struct gov_update *u = NULL;
	int opt, rc = 1, verdict;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C': charter = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'h': apply_usage(stdout); return 0;
		default: apply_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (charter == NULL) == (cfgpath == NULL)) {
		apply_usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (charter == NULL) {
		if (paths_from_config(cfgpath, chpath, sizeof(chpath), NULL, 0, err, sizeof(err)) != 0)
			goto fail;
		if (chpath[0] == '\0') {
			snprintf(err, sizeof(err), "%s: no 'coalition' line (the charter file) (or use --charter FILE)", cfgpath);
			goto fail;
		}
		charter = chpath;
	}
	if (current_load(charter, &cur, err, sizeof(err)) != 0 ||
	    update_load(path, &u, err, sizeof(err)) != 0)
		goto fail;
	verdict = gov_check(cur.c, cur.hash, u, NULL, NULL, why, sizeof(why));
	if (verdict != GOV_ADOPTABLE) {
		snprintf(err, sizeof(err), "%s: not adopted: %s", path, why);
		goto fail;
	}
	if (charter_write_file(charter, u->text, u->len, err, sizeof(err)) != 0)
		goto fail;
	charter_hash(u->text, u->len, h);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	printf("%s: now version %llu of coalition %s (hash %s)\n", charter,
	    (unsigned long long)u->version, u->coalition, hex);
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "article5 charter apply: %s\n", err);
out:
	gov_free(u);
	current_free(&cur);
	return rc;
}

static int
charter_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = NULL, *path, *urls[CHARTER_URLS_MAX];
	char chpath[PATH_MAX], idpath[PATH_MAX], err[ERR_MAX], why[1024];
	char self[17], msgid[64], dhex[17];
	uint8_t digest[GOV_DIGEST_BYTES], *buf = NULL;
	struct current cur = { 0 };
	struct gov_update *u = NULL;
	struct gov_tally t;
	struct identity id;
	struct transport *tr = NULL;
	struct config *cfg = NULL;
	size_t len = 0;
	int opt, rc = 1;

	memset(&id, 0, sizeof(id));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'h': submit_usage(stdout); return 0;
		default: submit_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || cfgpath == NULL) {
		submit_usage(stderr);
		return 2;
	}
	path = argv[optind];
	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	config_defaults(cfg);
	if (config_load(cfgpath, cfg, err, sizeof(err)) != 0)
		goto fail;
	{
		char adopted[PATH_MAX + 32], skipped[512];
		config_adopted_charter(cfg, adopted, sizeof(adopted));
		strlcpy_ok(chpath, cfg->charter[0] ? charter_in_force(cfg->charter, adopted, skipped,
		    sizeof(skipped)) : "", sizeof(chpath));
	}
	strlcpy_ok(idpath, cfg->identity, sizeof(idpath));
	if (chpath[0] == '\0' || idpath[0] == '\0') {
		snprintf(err, sizeof(err), "%s: needs 'coalition' and 'identity' lines", cfgpath);
		goto fail;
	}
	if (current_load(chpath, &cur, err, sizeof(err)) != 0 ||
	    update_load(path, &u, err, sizeof(err)) != 0 ||
	    identity_load(idpath, &id, err, sizeof(err)) != 0)
		goto fail;
	/* Signatures that cannot count are not worth the stream's bytes. */
	gov_prune(u, cur.c);
	if (gov_check(cur.c, cur.hash, u, NULL, &t, why, sizeof(why)) != GOV_ADOPTABLE) {
		snprintf(err, sizeof(err), "%s: not adoptable, not published: %s", path, why);
		goto fail;
	}
	if ((buf = update_encode(u, &len, path, err, sizeof(err))) == NULL)
		goto fail;
	if (len > TRANSPORT_MSG_MAX) {
		snprintf(err, sizeof(err), "%s: %zu bytes, more than a stream message holds (%d); "
		    "use 'article5 charter apply' on each member", path, len, TRANSPORT_MSG_MAX);
		goto fail;
	}
	for (size_t i = 0; i < cur.c->nurls; i++)
		urls[i] = cur.c->urls[i];
	sodium_bin2hex(self, sizeof(self), id.pk, 8);
	gov_digest(u, digest);
	sodium_bin2hex(dhex, sizeof(dhex), digest, 8);
	snprintf(msgid, sizeof(msgid), "%s-g%llu-%s", self, (unsigned long long)u->version, dhex);
	struct transport_config tc = {
		.urls = urls, .nurls = cur.c->nurls, .coalition = cur.c->name, .self = self,
		.publish_only = true, .replicas = (int)cur.c->policy.replicas,
		.creds_file = cfg->nats_creds[0] ? cfg->nats_creds : NULL,
		.tls_ca = cfg->nats_tls_ca[0] ? cfg->nats_tls_ca : NULL,
	};
	if ((tr = transport_open(&tc, err, sizeof(err))) == NULL)
		goto fail;
	if (transport_publish(tr, buf, len, msgid) != 0) {
		snprintf(err, sizeof(err), "publish: %s", transport_errmsg(tr));
		goto fail;
	}
	printf("published the update to version %llu of coalition %s (%u of %u required "
	    "signatures, %zu bytes%s); running members adopt it as they read it\n",
	    (unsigned long long)u->version, cur.c->name, t.counted, t.required, len,
	    transport_get_stats(tr)->duplicates > 0 ? ", already on the stream" : "");
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "article5 charter submit: %s\n", err);
out:
	if (tr != NULL)
		transport_close(tr);
	free(cfg);
	identity_wipe(&id);
	free(buf);
	gov_free(u);
	current_free(&cur);
	return rc;
}

/* Declared here as well as where main.c dispatches (cli.h is the place). */
int cmd_charter(int argc, char **argv);

int
cmd_charter(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "propose", charter_propose },
		{ "sign", charter_sign },
		{ "show", charter_show },
		{ "apply", charter_apply },
		{ "submit", charter_submit },
	};

	if (argc < 2) {
		charter_usage(stderr);
		return 2;
	}
	if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		charter_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_LEN(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "article5 charter: unknown subcommand '%s'\n\n", argv[1]);
	charter_usage(stderr);
	return 2;
}
