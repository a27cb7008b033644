/* verify.c - `article5 verify` (re-walks the tamper-evident journal) and
 * `article5 evidence` (exports a member's equivocation proofs as a file
 * anyone holding the charter can check offline, and checks such a file). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "coalition/charter.h"
#include "coalition/evidence.h"
#include "coalition/evidence_file.h"
#include "coalition/identity.h"
#include "common/util.h"
#include "daemon/config.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

/* "STATE_DIR/ledger.db" from cfgpath (NULL: the built-in defaults); the
 * charter path too when charter is not NULL. 0, or -1 with a message. */
static int
paths_from_config(const char *cmd, const char *cfgpath, char *db, size_t dbn,
    char *charter, size_t chn)
{
	static struct config cfg;	/* large: off the stack */
	char err[1024];
	int w;

	config_defaults(&cfg);
	if (cfgpath != NULL && config_load(cfgpath, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 %s: %s\n", cmd, err);
		return -1;
	}
	w = snprintf(db, dbn, "%s/ledger.db", cfg.state_dir);
	if (w < 0 || (size_t)w >= dbn) {
		fprintf(stderr, "article5 %s: state_dir too long: %s\n", cmd, cfg.state_dir);
		return -1;
	}
	if (charter != NULL)
		strlcpy_ok(charter, cfg.charter, chn);
	return 0;
}

/* --- verify --- */

static void
verify_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 verify [-c CONFIG | --db PATH] [--json]\n"
	    "\n"
	    "Re-walks the tamper-evident journal in STATE_DIR/ledger.db (read-only):\n"
	    "every entry's hash, its link to the one before, the sequence, the head,\n"
	    "and every stored signature. Prints \"ok: N entries, head HASH\", or\n"
	    "\"FAIL at entry N: why\" for the first bad entry and exits 1.\n"
	    "\n"
	    "  -c CONFIG   read state_dir from CONFIG (default: /var/lib/article5)\n"
	    "  --db PATH   the database file itself\n"
	    "  --json      machine-readable output\n");
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = NULL, *db = NULL;
	char dbpath[PATH_MAX + 16], err[PATH_MAX + 1024], hhex[2 * JOURNAL_HASH_BYTES + 1];
	char jwhy[2 * JOURNAL_WHY_MAX];
	struct journal_check chk;
	struct journal *j;
	int opt, json = 0, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'd': db = optarg; break;
		case 'j': json = 1; break;
		case 'h': verify_usage(stdout); return 0;
		default: verify_usage(stderr); return 2;
		}
	}
	if (optind != argc || (cfgpath != NULL && db != NULL)) {
		verify_usage(stderr);
		return 2;
	}
	if (db == NULL) {
		if (paths_from_config("verify", cfgpath, dbpath, sizeof(dbpath), NULL, 0) != 0)
			return 1;
		db = dbpath;
	}
	if (journal_open(db, true, &j, err, sizeof(err)) != 0) {
		if (json) {
			json_escape(jwhy, sizeof(jwhy), err);
			printf("{\"ok\": false, \"error\": %s}\n", jwhy);
		} else
			fprintf(stderr, "article5 verify: %s\n", err);
		return 1;
	}
	rc = journal_verify(j, &chk);
	if (rc < 0) {
		strlcpy_ok(err, journal_errmsg(j), sizeof(err));
		journal_close(j);
		if (json) {
			json_escape(jwhy, sizeof(jwhy), err);
			printf("{\"ok\": false, \"error\": %s}\n", jwhy);
		} else
			fprintf(stderr, "article5 verify: %s\n", err);
		return 1;
	}
	journal_close(j);
	sodium_bin2hex(hhex, sizeof(hhex), chk.head, sizeof(chk.head));
	if (json) {
		if (rc == 0)
			printf("{\"ok\": true, \"entries\": %llu, \"head\": \"%s\"}\n",
			    (unsigned long long)chk.entries, hhex);
		else {
			json_escape(jwhy, sizeof(jwhy), chk.why);
			printf("{\"ok\": false, \"entries\": %llu, \"bad_entry\": %llu, \"why\": %s}\n",
			    (unsigned long long)chk.entries, (unsigned long long)chk.bad, jwhy);
		}
	} else if (rc == 0) {
		if (chk.entries == 0)
			printf("ok: 0 entries (empty journal)\n");
		else
			printf("ok: %llu entries, head %s\n", (unsigned long long)chk.entries, hhex);
	} else
		printf("FAIL at entry %llu: %s\n", (unsigned long long)chk.bad, chk.why);
	return rc == 0 ? 0 : 1;
}

/* --- evidence --- */

static void
evidence_usage(FILE *f)
{
	fprintf(f,
	    "usage: article5 evidence MEMBER [-c CONFIG | --db PATH] [--charter FILE] [-o FILE]\n"
	    "       article5 evidence --verify FILE [-c CONFIG | --charter FILE]\n"
	    "\n"
	    "Exports the stored equivocation proofs of MEMBER (a charter name, or a key\n"
	    "ed25519:...): for each, the two envelopes it signed with one sequence number\n"
	    "and different reports. Anyone holding the coalition's charter can check the\n"
	    "file offline with --verify: both signatures, the same signer, a charter\n"
	    "member, the same coalition and number, different reports.\n"
	    "\n"
	    "  -c CONFIG       read state_dir and charter from CONFIG\n"
	    "  --db PATH       the database file (default STATE_DIR/ledger.db)\n"
	    "  --charter FILE  the coalition's charter\n"
	    "  -o FILE         write the proofs to FILE (default: standard output)\n"
	    "  --verify FILE   check an evidence file; exit 0 only if every proof holds\n");
}

static struct charter *
charter_read(const char *path)
{
	struct charter *c = malloc(sizeof(*c));
	char err[1024];

	if (c == NULL) {
		fprintf(stderr, "article5 evidence: out of memory\n");
		return NULL;
	}
	if (charter_load(path, c, err, sizeof(err)) != 0) {
		fprintf(stderr, "article5 evidence: %s\n", err);
		free(c);
		return NULL;
	}
	return c;
}

static const struct charter_member *
member_by_name(const struct charter *c, const char *name)
{
	for (size_t i = 0; i < c->nmembers; i++)
		if (strcmp(c->members[i].name, name) == 0)
			return &c->members[i];
	return NULL;
}

/* Where proofs_export writes, and how it went. */
struct export {
	FILE *out;
	const char *db, *who;
	int n;			/* proofs written; -1 once one does not hold */
};

/* One stored proof: written if it holds, else the export stops. */
static int
proof_row(int64_t seq, int64_t found, const void *a, size_t alen, const void *b, size_t blen,
    void *arg)
{
	struct export *x = arg;
	char why[JOURNAL_WHY_MAX];

	if (seq < 1 || a == NULL || b == NULL ||
	    journal_evidence_write(x->out, x->who, (uint64_t)seq, found, a, alen, b, blen, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "article5 evidence: %s: the stored proof #%lld of %s does not "
		    "hold: %s; nothing exported\n", x->db, (long long)seq, x->who,
		    seq < 1 || a == NULL || b == NULL ? "malformed row" : why);
		x->n = -1;
		return 1;
	}
	x->n++;
	return 0;
}

/* Writes every proof of pk stored in db to out (an open_memstream).
 * Returns the number written, or -1 with a message printed. */
static int
proofs_export(const char *db, const uint8_t pk[ID_PUBLIC_BYTES], const char *who, FILE *out)
{
	struct export x = { out, db, who, 0 };
	char err[PATH_MAX + 1024];

	fprintf(out, "# article5 equivocation proofs: %s signed two different reports with one\n"
	    "# sequence number. Anyone holding the coalition's charter can check this file:\n"
	    "#   article5 evidence --verify FILE --charter CHARTER\n", who);
	if (ledger_proofs_read(db, pk, proof_row, &x, err, sizeof(err)) < 0) {
		fprintf(stderr, "article5 evidence: %s\n", err);
		return -1;
	}
	return x.n;
}

static int
evidence_export(const char *target, const char *db, const char *charter_path, const char *outpath)
{
	struct charter *c = NULL;
	const struct charter_member *m = NULL;
	uint8_t pk[ID_PUBLIC_BYTES];
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem, *f;
	int n, rc = 1;

	if (charter_path[0] != '\0' && (c = charter_read(charter_path)) == NULL)
		return 1;
	if (strncmp(target, "ed25519:", 8) == 0) {
		if (identity_pk_from_text(target, pk) != 0) {
			fprintf(stderr, "article5 evidence: bad key '%s', expected ed25519: and 43 "
			    "characters of base64\n", target);
			goto out;
		}
		m = c ? charter_find(c, pk) : NULL;
	} else if (c == NULL) {
		fprintf(stderr, "article5 evidence: a member name needs the charter (--charter FILE "
		    "or -c CONFIG); or give the key, ed25519:...\n");
		rc = 2;
		goto out;
	} else if ((m = member_by_name(c, target)) == NULL) {
		fprintf(stderr, "article5 evidence: no member named '%s' in %s\n", target, charter_path);
		goto out;
	} else
		memcpy(pk, m->pk, ID_PUBLIC_BYTES);
	if ((mem = open_memstream(&text, &tlen)) == NULL) {
		fprintf(stderr, "article5 evidence: %s\n", strerror(errno));
		goto out;
	}
	n = proofs_export(db, pk, m ? m->name : target, mem);
	if (fclose(mem) != 0 || n < 0)
		goto out;
	if (n == 0) {
		fprintf(stderr, "article5 evidence: no equivocation proof stored for %s in %s\n",
		    m ? m->name : target, db);
		goto out;
	}
	if (outpath == NULL)
		f = stdout;
	else if ((f = fopen(outpath, "w")) == NULL) {
		fprintf(stderr, "article5 evidence: %s: %s\n", outpath, strerror(errno));
		goto out;
	}
	bool written = fwrite(text, 1, tlen, f) == tlen;
	if (!((f == stdout ? fflush(f) : fclose(f)) == 0 && written)) {
		fprintf(stderr, "article5 evidence: %s: %s\n", outpath ? outpath : "stdout",
		    strerror(errno));
		goto out;
	}
	if (outpath != NULL)
		fprintf(stderr, "article5 evidence: %d proof%s of %s written to %s\n", n,
		    n == 1 ? "" : "s", m ? m->name : target, outpath);
	rc = 0;
out:
	free(text);
	free(c);
	return rc;
}

static void
print_verdict(void *arg, size_t line, bool valid, const char *msg)
{
	const char *path = arg;

	if (valid)
		printf("valid proof: %s\n", msg);
	else
		printf("invalid proof (%s:%zu): %s\n", path, line, msg);
}

static int
evidence_verify(const char *path, const char *charter_path)
{
	struct charter *c;
	char *text = NULL, err[512];
	size_t len = 0;
	FILE *f;
	struct stat sb;
	int rc = 1;

	if (charter_path[0] == '\0') {
		fprintf(stderr, "article5 evidence: --verify needs the charter (--charter FILE or "
		    "-c CONFIG)\n");
		return 2;
	}
	if ((c = charter_read(charter_path)) == NULL)
		return 1;
	if ((f = fopen(path, "r")) == NULL || fstat(fileno(f), &sb) != 0) {
		fprintf(stderr, "article5 evidence: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		goto out;
	}
	if (sb.st_size < 0 || (uint64_t)sb.st_size > JOURNAL_EVIDENCE_MAX ||
	    (text = malloc((size_t)sb.st_size + 1)) == NULL ||
	    (len = fread(text, 1, (size_t)sb.st_size, f)) != (size_t)sb.st_size) {
		fprintf(stderr, "article5 evidence: %s: unreadable, or larger than %u bytes\n", path,
		    JOURNAL_EVIDENCE_MAX);
		fclose(f);
		goto out;
	}
	fclose(f);
	rc = journal_evidence_check(text, len, c, print_verdict, (void *)path, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "article5 evidence: %s: %s\n", path, err);
		rc = 1;
	}
out:
	free(text);
	free(c);
	return rc;
}

int
cmd_evidence(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "charter", required_argument, NULL, 'C' },
		{ "verify", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = NULL, *db = NULL, *charter = NULL, *outpath = NULL, *check = NULL;
	char dbpath[PATH_MAX + 16], chpath[PATH_MAX];
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'd': db = optarg; break;
		case 'C': charter = optarg; break;
		case 'o': outpath = optarg; break;
		case 'V': check = optarg; break;
		case 'h': evidence_usage(stdout); return 0;
		default: evidence_usage(stderr); return 2;
		}
	}
	if (check != NULL ? (optind != argc || outpath != NULL || db != NULL) :
	    optind != argc - 1) {
		evidence_usage(stderr);
		return 2;
	}
	chpath[0] = '\0';
	if (cfgpath != NULL || db == NULL) {
		if (paths_from_config("evidence", cfgpath, dbpath, sizeof(dbpath), chpath,
		    sizeof(chpath)) != 0)
			return 1;
		if (db == NULL)
			db = dbpath;
	}
	if (charter != NULL)
		strlcpy_ok(chpath, charter, sizeof(chpath));
	if (check != NULL)
		return evidence_verify(check, chpath);
	return evidence_export(argv[optind], db, chpath, outpath);
}
