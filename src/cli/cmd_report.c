/* cmd_report.c: `pcmt report --plan CODE --format xlsx|pdf|csv --out FILE`: a plan's periodic report
 * (src/report/) as a file: targets with value, status and trend per unit, the counts behind them, the
 * drug-free commune evaluation, charts in the PDF. The file appears whole or not at all: it is
 * written beside FILE under a temporary name and renamed into place. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "domain/indicators.h"
#include "report/report.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt report --plan CODE --format xlsx|pdf|csv --out FILE [--db URL] [--orgunit CODE]\n"
	"                   [--period P] [--date YYYY-MM-DD] [--lang vi|en]\n\n"
	"Writes the plan's report for a unit and period, laid out like a provincial report: title,\n"
	"issuing unit, period; the targets with value, target, status and trend (against the same span\n"
	"of the period before) for the unit and each unit below it; the counts behind each value; the\n"
	"drug-free commune evaluation per unit and per commune with its counts and the reasons communes\n"
	"fail. xlsx has one sheet per section; the PDF adds charts; csv puts the sections one after\n"
	"another. A report for a unit above commune level shows person counts of 1-4 as \"<5\".\n"
	"  --orgunit CODE  the reporting unit (default: the plan's scope, e.g. 40 for Nghe An)\n"
	"  --period P      2022, 2022-Q1, 2022-03 or plan (default: each target's own period)\n"
	"  --date D        the date asked about (default today); values are final at the period's end\n"
	"  --lang vi|en    headings in Vietnamese (default) or English\n"
	"  --out FILE      the file to write (- for standard output)\n\n"
	"Exit status 0 on success, 1 when the plan or org unit does not exist or on error, 2 on bad usage.\n";

/* Writes buf to path whole: a temporary file in the same directory, then rename. */
static int write_whole(const char *path, const char *buf, size_t len)
{
	char *tmp;
	size_t n = strlen(path);
	int fd, rc = -1;
	FILE *f = NULL;

	if (!strcmp(path, "-"))
		return fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
	if (!(tmp = malloc(n + 16)))
		return -1;
	snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0)
		goto out;
	if (!(f = fdopen(fd, "wb"))) {
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (fwrite(buf, 1, len, f) != len || fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f)) {
		unlink(tmp);
		goto out;
	}
	/* mkstemp makes 0600; a report is an ordinary document */
	if (chmod(tmp, 0644) || rename(tmp, path)) {
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"plan", required_argument, 0, 'p'},
					     {"orgunit", required_argument, 0, 'o'},
					     {"period", required_argument, 0, 'P'},
					     {"date", required_argument, 0, 't'},
					     {"format", required_argument, 0, 'f'},
					     {"out", required_argument, 0, 'O'},
					     {"lang", required_argument, 0, 'l'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *ou = NULL, *fmt_s = NULL, *outp = NULL, *lang = "vi";
	struct rep_opts o = {0};
	enum rep_format fmt;
	struct ind_period per;
	struct ou_info info;
	struct pcmt_err err;
	struct store *s = NULL;
	struct live *lv = NULL;
	struct report *rep = NULL;
	char *buf = NULL;
	size_t len = 0;
	int c, rc = 1;

	o.date = date_today();
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'p': o.plan = optarg; break;
		case 'o': ou = optarg; break;
		case 'P': o.period = optarg; break;
		case 'f': fmt_s = optarg; break;
		case 'O': outp = optarg; break;
		case 'l': lang = optarg; break;
		case 't':
			if (date_parse(optarg, &o.date))
				return cli_fail("report", "--date: '%s' is not a date (YYYY-MM-DD or DD/MM/YYYY)", optarg), 2;
			break;
		default: return cli_usage(&cmd_report);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_report);
	if (!o.plan || !*o.plan)
		return cli_fail("report", "--plan is required (pcmt plans list shows the codes)"), 2;
	if (!fmt_s || rep_format_parse(fmt_s, &fmt))
		return cli_fail("report", "--format must be xlsx, pdf or csv"), 2;
	if (!outp || !*outp)
		return cli_fail("report", "--out FILE is required (- for standard output)"), 2;
	if (rep_lang_parse(lang, &o.lang))
		return cli_fail("report", "--lang must be vi or en"), 2;
	if (o.period && ind_period_parse(o.period, "--period", &per, &err))
		return cli_fail("report", "%s", err.message), 2;
	if (!(s = cli_open(cli_db(db), 1)))
		return 1;
	if (ou) {
		if (s->ops->ou_by_code(s, ou, o.date, &info, &err)) {
			cli_fail("report", "no org unit with code %s", ou);
			goto out;
		}
		o.ou_id = info.id;
	}
	if (!(lv = live_open(s, &err)) || rep_build(lv, s, &o, &rep, &err) || rep_render(rep, fmt, &buf, &len, &err)) {
		cli_fail("report", "%s", err.message);
		goto out;
	}
	if (write_whole(outp, buf, len)) {
		cli_fail("report", "cannot write %s: %s", outp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(buf);
	rep_free(rep);
	live_close(lv);
	store_close(s);
	return rc;
}

const struct cmd cmd_report = {"report", "a plan's report as xlsx, PDF or CSV", usage, run};
