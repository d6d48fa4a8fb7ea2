/* cmd_import.c: `pcmt import --kind ENTITY FILE`: a CSV or xlsx file into the database in one
 * transaction (src/import/). The file is read whole before the database is touched; rows with errors
 * come back in an error file beside it. A progress bar is drawn on stderr when it is a terminal. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "domain/audit.h"
#include "import/imp.h"
#include "util/date.h"

enum { FILE_MAX_MB = 2048 };

static const char usage[] =
	"usage: pcmt import --kind ENTITY [--db URL] [--partial] [--errors OUT] [--format csv|xlsx] FILE\n\n"
	"Imports the rows of FILE (.csv in UTF-8, comma or semicolon; or .xlsx, its first sheet) into\n"
	"ENTITY: persons, classifications, determinations, records, tests, treatments, support,\n"
	"facilities, hotspots, cases, plant_sites, communication, populations (any entity of\n"
	"GET /api/v1/schema). The first row holds the column headers, in Vietnamese or English (the\n"
	"field labels of docs/api.md) or the field names. Every row is checked as the API checks it.\n"
	"  --partial      write the good rows and refuse the bad (default: any bad row, nothing written)\n"
	"  --errors OUT   where to write the file back with the errors (default: FILE-errors.csv/.xlsx)\n"
	"  --format F     csv or xlsx (default: from the content)\n"
	"Persons are matched by national ID, cases by case number, other rows by all their values: a\n"
	"row already there is skipped, so importing a file again changes nothing. See docs/import.md.\n"
	"Exit status 0 when every row was taken, 1 when rows were refused or the file is unreadable.\n";

struct bar {
	int on;
	struct timespec last;
};

static void progress(void *cls, size_t pos, size_t total, long rows)
{
	struct bar *b = cls;
	struct timespec now;
	int pct = total ? (int)(pos * 100 / total) : 100, w = pct / 4;
	char line[32];

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (pos < total && (now.tv_sec - b->last.tv_sec) * 1000 + (now.tv_nsec - b->last.tv_nsec) / 1000000 < 100)
		return;
	b->last = now;
	memset(line, '#', (size_t)w);
	memset(line + w, '.', (size_t)(25 - w));
	line[25] = '\0';
	fprintf(stderr, "\r[%s] %3d%%  %ld rows", line, pct, rows);
	fflush(stderr);
}

/* The CLI's import is in the audit log as the web's is, in the same transaction as its rows: user
 * "cli:" and the login name (the CLI has database access, not a pcmt session). */
struct cli_audit {
	struct store *s;
	const char *kind, *path;
};

static int audit_in_tx(void *cls, const struct imp_result *res, struct pcmt_err *err)
{
	struct cli_audit *a = cls;
	struct audit_entry e;
	const char *who = getenv("USER");

	memset(&e, 0, sizeof(e));
	audit_now(e.at);
	snprintf(e.username, sizeof(e.username), "cli:%.50s", who && *who ? who : "unknown");
	snprintf(e.action, sizeof(e.action), "import");
	snprintf(e.entity, sizeof(e.entity), "%s", a->kind);
	snprintf(e.detail, sizeof(e.detail), "file=%.200s&rows=%ld&inserted=%ld&updated=%ld&skipped=%ld&failed=%ld", a->path,
		 res->rows, res->inserted, res->updated, res->skipped, res->failed);
	snprintf(e.addr, sizeof(e.addr), "local");
	snprintf(e.outcome, sizeof(e.outcome), "ok");
	return a->s->ops->audit_append(a->s, &e, 1, err);
}

static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	size_t got;

	if (!f)
		return cli_fail("import", "cannot open %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return cli_fail("import", "%s is not a regular file", path);
	}
	if ((unsigned long long)st.st_size > (unsigned long long)FILE_MAX_MB << 20) {
		fclose(f);
		return cli_fail("import", "%s is larger than %d MiB: split it", path, FILE_MAX_MB);
	}
	if (!(*buf = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return cli_fail("import", "out of memory");
	}
	got = fread(*buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (got != (size_t)st.st_size) {
		free(*buf);
		*buf = NULL;
		return cli_fail("import", "cannot read %s", path);
	}
	*len = got;
	return 0;
}

static int write_all(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		if (f)
			fclose(f);
		return cli_fail("import", "cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},     {"kind", required_argument, 0, 'k'},
					     {"partial", no_argument, 0, 'p'},          {"errors", required_argument, 0, 'e'},
					     {"format", required_argument, 0, 'f'},     {0, 0, 0, 0}};
	const char *db = NULL, *kind = NULL, *errpath = NULL, *fmt = NULL, *path;
	struct imp_opts o;
	struct imp_result res;
	struct pcmt_err err;
	struct store *s = NULL;
	struct bar bar = {0};
	struct cli_audit aud;
	char *buf = NULL, *eout = NULL, defpath[4096];
	size_t len = 0, eoutn = 0;
	int c, rc = 1;

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:k:pe:f:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'k': kind = optarg; break;
		case 'p': o.partial = 1; break;
		case 'e': errpath = optarg; break;
		case 'f': fmt = optarg; break;
		default: return cli_usage(&cmd_import);
		}
	}
	if (optind != argc - 1 || !kind)
		return cli_usage(&cmd_import);
	path = argv[optind];
	if (!(o.e = ent_find(kind)))
		return cli_fail("import", "--kind %s: no such entity (see pcmt import --help)", kind);
	if (fmt && strcmp(fmt, "csv") && strcmp(fmt, "xlsx"))
		return cli_fail("import", "--format must be csv or xlsx");
	if (read_all(path, &buf, &len))
		return 1;
	o.format = fmt ? (!strcmp(fmt, "xlsx") ? IMP_XLSX : IMP_CSV) : imp_sniff(buf, len);
	o.ctx.today = date_today();
	imp_limits_default(&o.lim);
	if (isatty(2)) {
		bar.on = 1;
		o.progress = progress;
		o.progress_cls = &bar;
	}
	if (!(s = cli_open(cli_db(db), 1)))
		goto out;
	o.own_handle = 1;
	aud.s = s;
	aud.kind = o.e->name;
	aud.path = path;
	o.before_commit = audit_in_tx;
	o.commit_cls = &aud;
	err_clear(&err);
	if (imp_run(s, &o, buf, len, &res, &err)) {
		if (bar.on)
			fputc('\n', stderr);
		cli_fail("import", "%s: %s%s", path, err.message, res.written ? "" : "; nothing was written");
		goto out;
	}
	if (bar.on)
		fputc('\n', stderr);
	printf("%s: %ld rows: %ld added, %ld updated, %ld unchanged, %ld refused\n", o.e->name, res.rows, res.inserted,
	       res.updated, res.skipped, res.failed);
	if (!res.failed) {
		rc = 0;
		goto out;
	}
	if (!errpath) {
		const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
		int stem = dot && (!slash || dot > slash) ? (int)(dot - path) : (int)strlen(path);

		snprintf(defpath, sizeof(defpath), "%.*s-errors.%s", stem, path, o.format == IMP_XLSX ? "xlsx" : "csv");
		errpath = defpath;
	}
	if (imp_errfile(&o, buf, len, &res, o.partial, &eout, &eoutn, &err)) {
		cli_fail("import", "cannot make the error file: %s", err.message);
	} else if (write_all(errpath, eout, eoutn) == 0) {
		const struct imp_rowerr *x = &res.errs[0];

		cli_fail("import", "%s: %ld of %ld rows refused (first: row %ld, %s: %s); %s; the rows and their errors are in %s",
			 path, res.failed, res.rows, x->row, x->field[0] ? x->field : "-", x->message,
			 res.written ? "the other rows were written" : "nothing was written", errpath);
	}
out:
	imp_result_free(&res);
	free(eout);
	free(buf);
	if (s)
		store_close(s);
	return rc;
}

const struct cmd cmd_import = {"import", "import persons, tests, ... from a CSV or xlsx file", usage, run};
