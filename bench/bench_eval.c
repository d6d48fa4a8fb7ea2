/* bench_eval.c: pcmt-bench-eval, the timing half of the drug-free benchmark (issue 4 "Real time and
 * speed"; the seed of the issue 10 harness). It times what a server pays: loading the live snapshot
 * once at start, then each evaluation over it, then the sync that keeps it in step with writes.
 * bench/run.sh runs it beside the plain-SQL baseline and passes the baseline's time in, so that the
 * ratio is printed next to its target. Figures are printed, never asserted: this is not a test. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "domain/criteria.h"
#include "engine/drugfree.h"
#include "engine/live.h"
#include "util/date.h"

#define TARGET_ALL_S 1.0   /* every commune evaluated in under 1 s (issue 4) */
#define TARGET_RATIO 20.0  /* at least 20x less time than the same rules as plain SQL (issue 4) */

static const char usage[] =
	"usage: pcmt-bench-eval --db URL [--date YYYY-MM-DD] [--orgunit CODE] [--repeat N]\n"
	"                       [--baseline-ms MS]\n\n"
	"Times the drug-free evaluation on the live snapshot: the snapshot load (live_open), the\n"
	"evaluation of every commune under --orgunit (default VN) on --date (default today) with and\n"
	"without the per-commune details, the criteria pass alone, one commune (the most populous under\n"
	"--orgunit), and a sync with nothing to apply. Each evaluation runs --repeat times (default 10)\n"
	"and is reported as min and median. --baseline-ms is the time of the same question asked in\n"
	"plain SQL (bench/run.sh measures it): the ratio is then printed against its target.\n"
	"The last line, \"bench: key=value ...\", is for scripts.\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak resident set of this process so far (VmHWM), in KiB; -1 when /proc is not there. */
static long peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6)) {
			v = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat2 {
	double min, median; /* seconds */
};

static struct stat2 summarise(double *t, int n)
{
	struct stat2 s;

	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	s.min = t[0];
	s.median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	return s;
}

/* "12.3 ms", "456 us", "1.23 s" */
static const char *fmt_time(double s, char *buf, size_t cap)
{
	if (s >= 1.0)
		snprintf(buf, cap, "%.3f s", s);
	else if (s >= 1e-3)
		snprintf(buf, cap, "%.3f ms", s * 1e3);
	else
		snprintf(buf, cap, "%.1f us", s * 1e6);
	return buf;
}

static void row(const char *figure, const char *value, const char *target, const char *verdict)
{
	printf("%-48s %-34s %-8s %s\n", figure, value, target, verdict);
}

static void row_times(const char *figure, struct stat2 s, const char *target, int ok)
{
	char a[32], b[32], v[80];

	snprintf(v, sizeof(v), "min %s, median %s", fmt_time(s.min, a, sizeof(a)), fmt_time(s.median, b, sizeof(b)));
	row(figure, v, target, target[0] ? (ok ? "ok" : "MISS") : "");
}

/* The commune under root with the most residents, for the one-commune figure. */
struct pick {
	int32_t ix, members, n;
};

static int pick_fn(const struct snap *s, int32_t ci, void *cls)
{
	struct pick *p = cls;

	p->n++;
	if (p->ix < 0 || s->ous[ci].nmembers > p->members) {
		p->ix = ci;
		p->members = s->ous[ci].nmembers;
	}
	return 0;
}

/* The criteria alone over every commune, without shaping an answer. */
struct pass {
	const struct crit_params *cp;
	int32_t date;
	int n, pass, oom;
};

static int pass_fn(const struct snap *s, int32_t ci, void *cls)
{
	struct pass *p = cls;
	struct crit_result r;

	if (crit_eval(s, ci, p->date, p->cp, &r)) {
		crit_result_free(&r);
		p->oom = 1;
		return -1;
	}
	p->n++;
	p->pass += r.pass;
	crit_result_free(&r);
	return 0;
}

/* Runs drugfree_eval n times into t[]; the last answer's summary counts into *communes, *free. */
static int time_eval(struct live *lv, struct store *st, const struct drugfree_opts *o, int n, double *t,
		     long long *communes, long long *free_n, struct pcmt_err *err)
{
	for (int i = 0; i < n; i++) {
		json_t *ans = NULL;
		double t0 = now_s();

		if (drugfree_eval(lv, st, o, &ans, err))
			return -1;
		t[i] = now_s() - t0;
		*communes = json_integer_value(json_object_get(json_object_get(ans, "summary"), "communes"));
		*free_n = json_integer_value(json_object_get(json_object_get(ans, "summary"), "drug_free"));
		json_decref(ans);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"date", required_argument, 0, 't'},
					     {"orgunit", required_argument, 0, 'o'},
					     {"repeat", required_argument, 0, 'n'},
					     {"baseline-ms", required_argument, 0, 'b'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *ou = "VN";
	int32_t date = date_today();
	int repeat = 10, c, rc = 1;
	double baseline_ms = 0, *t = NULL, t0, load_s;
	struct store *st = NULL;
	struct live *lv = NULL;
	struct pcmt_err err;
	struct ou_info info;
	struct drugfree_opts o = {0};
	struct stat2 all0, all1, crit, one, sync;
	struct pick pk = {-1, 0, 0};
	struct pass ps = {0};
	struct crit_params cp;
	long long communes = 0, free0 = 0, free1 = 0, one_n = 0, one_free = 0;
	long rss_load, rss_end;
	int32_t root, npersons = 0;
	char d[DATE_BUFSZ], a[32], v[96], one_code[17] = "", root_name[96] = "";
	char *end;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 't':
			if (date_parse(optarg, &date)) {
				fprintf(stderr, "pcmt-bench-eval: --date: '%s' is not a date\n", optarg);
				return 2;
			}
			break;
		case 'o':
			ou = optarg;
			break;
		case 'n':
			errno = 0;
			repeat = (int)strtol(optarg, &end, 10);
			if (errno || *end || repeat < 1 || repeat > 100000) {
				fprintf(stderr, "pcmt-bench-eval: --repeat must be a whole number from 1 to 100000\n");
				return 2;
			}
			break;
		case 'b':
			errno = 0;
			baseline_ms = strtod(optarg, &end);
			if (errno || *end || baseline_ms <= 0) {
				fprintf(stderr, "pcmt-bench-eval: --baseline-ms must be a positive number\n");
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc || !db) {
		fputs(usage, stderr);
		return 2;
	}
	err_clear(&err);
	if (!(t = calloc((size_t)repeat, sizeof(*t)))) {
		fprintf(stderr, "pcmt-bench-eval: out of memory\n");
		return 1;
	}
	if (!(st = cli_open(db, 1)))
		goto out;
	if (st->ops->ou_by_code(st, ou, date, &info, &err)) {
		fprintf(stderr, "pcmt-bench-eval: no org unit with code %s\n", ou);
		goto out;
	}

	/* 1. the snapshot load, paid once when a server starts */
	t0 = now_s();
	if (!(lv = live_open(st, &err))) {
		fprintf(stderr, "pcmt-bench-eval: live_open: %s\n", err.message);
		goto out;
	}
	load_s = now_s() - t0;
	rss_load = peak_rss_kib();
	{
		const struct snap *s = live_read(lv);

		for (int32_t i = 0; i < s->npersons; i++)
			npersons += s->persons[i] != NULL;
		root = snap_ou_ix(s, info.id);
		if (root >= 0) {
			snprintf(root_name, sizeof(root_name), "%s", s->ous[root].name);
			snap_communes(s, root, date, pick_fn, &pk);
			if (pk.ix >= 0)
				snprintf(one_code, sizeof(one_code), "%s", s->ous[pk.ix].code);
		}
		live_done(lv);
	}
	if (root < 0 || pk.ix < 0) {
		fprintf(stderr, "pcmt-bench-eval: no commune under %s in force on %s\n", ou, date_format(date, d));
		goto out;
	}

	/* 2. every commune, as GET /api/v1/drug-free answers it (roll-ups only, then with details) */
	o.ou_id = info.id;
	o.date = date;
	o.names = 0;
	o.details = 0;
	if (time_eval(lv, st, &o, repeat, t, &communes, &free0, &err))
		goto evalfail;
	all0 = summarise(t, repeat);
	o.details = 1;
	if (time_eval(lv, st, &o, repeat, t, &communes, &free1, &err))
		goto evalfail;
	all1 = summarise(t, repeat);

	/* 3. the criteria alone: what the JSON costs is the difference */
	if (crit_params_at(live_rules(lv), date, &cp, &err))
		goto evalfail;
	ps.cp = &cp;
	ps.date = date;
	for (int i = 0; i < repeat; i++) {
		const struct snap *s = live_read(lv);

		ps.n = ps.pass = 0;
		t0 = now_s();
		snap_communes(s, root, date, pass_fn, &ps);
		t[i] = now_s() - t0;
		live_done(lv);
		if (ps.oom) {
			err_set(&err, ERR_INTERNAL, NULL, "out of memory");
			goto evalfail;
		}
	}
	crit = summarise(t, repeat);

	/* 4. one commune (a request for one commune's page) */
	{
		const struct snap *s = live_read(lv);

		o.ou_id = s->ous[pk.ix].id;
		live_done(lv);
	}
	if (time_eval(lv, st, &o, repeat, t, &one_n, &one_free, &err))
		goto evalfail;
	one = summarise(t, repeat);

	/* 5. the real-time check every request pays: a sync with nothing to apply */
	for (int i = 0; i < repeat; i++) {
		t0 = now_s();
		if (live_sync(lv, st, &err))
			goto evalfail;
		t[i] = now_s() - t0;
	}
	sync = summarise(t, repeat);
	rss_end = peak_rss_kib();

	printf("pcmt-bench-eval: %s (%s) on %s, %d repetitions, database %s\n\n", root_name, ou, date_format(date, d),
	       repeat, db);
	row("figure", "value", "target", "");
	row("snapshot load (live_open)", fmt_time(load_s, a, sizeof(a)), "", "");
	snprintf(v, sizeof(v), "%d", npersons);
	row("  persons in the snapshot", v, "", "");
	snprintf(v, sizeof(v), "%.0f", load_s > 0 ? npersons / load_s : 0.0);
	row("  persons loaded per second", v, "", "");
	snprintf(v, sizeof(v), "%.1f MiB", rss_load / 1024.0);
	row("  peak RSS after load (VmHWM)", rss_load < 0 ? "n/a" : v, "", "");
	snprintf(v, sizeof(v), "all %lld communes, details=0", communes);
	row_times(v, all0, "< 1 s", all0.median < TARGET_ALL_S);
	snprintf(v, sizeof(v), "all %lld communes, details=1", communes);
	row_times(v, all1, "< 1 s", all1.median < TARGET_ALL_S);
	row_times("  criteria pass alone (no JSON)", crit, "", 0);
	snprintf(v, sizeof(v), "one commune (%s, %d residents), details=1", one_code, pk.members);
	row_times(v, one, "", 0);
	row_times("live_sync with no change", sync, "", 0);
	snprintf(v, sizeof(v), "%.1f MiB", rss_end / 1024.0);
	row("peak RSS at the end (VmHWM)", rss_end < 0 ? "n/a" : v, "", "");
	if (baseline_ms > 0) {
		snprintf(v, sizeof(v), "%s", fmt_time(baseline_ms / 1e3, a, sizeof(a)));
		row("plain SQL baseline (given)", v, "", "");
		snprintf(v, sizeof(v), "%.1fx (details=0: %.1fx)", baseline_ms / 1e3 / all1.median,
			 baseline_ms / 1e3 / all0.median);
		row("ratio SQL / engine (medians, details=1)", v, ">= 20x",
		    baseline_ms / 1e3 / all1.median >= TARGET_RATIO ? "ok" : "MISS");
	}
	snprintf(v, sizeof(v), "%lld of %lld", free1, communes);
	row("drug-free communes", v, "", "");
	if (free0 != free1 || ps.n != communes || ps.pass != free1) {
		fprintf(stderr, "pcmt-bench-eval: the runs disagree: %lld, %lld and %d drug-free\n", free0, free1, ps.pass);
		goto out;
	}
	printf("\nbench: communes=%lld drug_free=%lld persons=%d load_s=%.6f rss_load_kib=%ld rss_end_kib=%ld "
	       "all0_min_ms=%.4f all0_median_ms=%.4f all1_min_ms=%.4f all1_median_ms=%.4f crit_median_ms=%.4f "
	       "one_median_ms=%.4f sync_median_us=%.2f\n",
	       communes, free1, npersons, load_s, rss_load, rss_end, all0.min * 1e3, all0.median * 1e3, all1.min * 1e3,
	       all1.median * 1e3, crit.median * 1e3, one.median * 1e3, sync.median * 1e6);
	rc = 0;
	goto out;
evalfail:
	fprintf(stderr, "pcmt-bench-eval: %s\n", err.message);
out:
	live_close(lv);
	store_close(st);
	free(t);
	return rc;
}
