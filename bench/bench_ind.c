/* bench_ind.c: pcmt-bench-ind, the in-process half of bench/indicators.sh (issue 4: every plan's
 * indicators for one province under 50 ms). Loads the live snapshot once, then asks ind_answer for
 * every plan in the database, round after round, as GET /api/v1/indicators would (store reads, sync,
 * computation, JSON), and prints min and median per plan and for all plans together. Without HTTP it
 * isolates the engine from curl and the loopback, and profiles cleanly under perf.
 * Built with the project (bench/CMakeLists.txt, option PCMT_BENCH) as bench/pcmt-bench-ind in the
 * build directory.
 * Figures are printed, never asserted. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "domain/entity.h"
#include "engine/indicators.h"
#include "engine/live.h"
#include "util/date.h"

enum { MAX_PLANS = 64 };

static const char usage[] = "usage: pcmt-bench-ind --db URL [--orgunit CODE] [--date YYYY-MM-DD] [--repeat N]\n"
			    "                      [--plan CODE]...\n\n"
			    "Times ind_answer for every plan (or each --plan) rooted at --orgunit (default 40) on\n"
			    "--date (default today), --repeat rounds (default 20): min and median per plan and for\n"
			    "every plan together.\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("  %-22s min %9.3f ms  median %9.3f ms\n", what, t[0] * 1e3,
	       (n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2) * 1e3);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},	     {"date", required_argument, 0, 't'},
					     {"orgunit", required_argument, 0, 'o'}, {"repeat", required_argument, 0, 'n'},
					     {"plan", required_argument, 0, 'p'},    {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *ou = "40", *plans[MAX_PLANS];
	int nplans = 0, repeat = 20, c, rc = 1;
	int32_t date = date_today();
	struct store *st = NULL;
	struct live *lv = NULL;
	struct pcmt_err err;
	struct ou_info info;
	json_t *items = NULL;
	double *t = NULL, t0, load_s;
	char *end, d[DATE_BUFSZ];

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'o': ou = optarg; break;
		case 't':
			if (date_parse(optarg, &date)) {
				fprintf(stderr, "pcmt-bench-ind: --date: '%s' is not a date\n", optarg);
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			repeat = (int)strtol(optarg, &end, 10);
			if (errno || *end || repeat < 1 || repeat > 100000) {
				fprintf(stderr, "pcmt-bench-ind: --repeat must be a whole number from 1 to 100000\n");
				return 2;
			}
			break;
		case 'p':
			if (nplans < MAX_PLANS)
				plans[nplans++] = optarg;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc || !db) {
		fputs(usage, stderr);
		return 2;
	}
	err_clear(&err);
	if (!(st = cli_open(db, 1)))
		goto out;
	if (st->ops->ou_by_code(st, ou, date, &info, &err)) {
		fprintf(stderr, "pcmt-bench-ind: no org unit with code %s\n", ou);
		goto out;
	}
	if (!nplans) {
		struct store_query q;
		int64_t total = 0;
		size_t i;
		json_t *p;

		memset(&q, 0, sizeof(q));
		q.as_of = DATE_NONE;
		q.limit = MAX_PLANS;
		if (st->ops->list(st, &ent_plans, &q, &items, &total, &err)) {
			fprintf(stderr, "pcmt-bench-ind: %s\n", err.message);
			goto out;
		}
		json_array_foreach(items, i, p) plans[nplans++] = json_string_value(json_object_get(p, "code"));
	}
	if (!nplans) {
		fprintf(stderr, "pcmt-bench-ind: no plans in %s\n", db);
		goto out;
	}
	if (!(t = calloc((size_t)repeat * (size_t)(nplans + 1), sizeof(*t)))) {
		fprintf(stderr, "pcmt-bench-ind: out of memory\n");
		goto out;
	}
	t0 = now_s();
	if (!(lv = live_open(st, &err))) {
		fprintf(stderr, "pcmt-bench-ind: live_open: %s\n", err.message);
		goto out;
	}
	load_s = now_s() - t0;
	/* one warm-up round, then the timed rounds; plan after plan as bench/indicators.sh asks */
	for (int r = -1; r < repeat; r++) {
		double all = 0;

		for (int k = 0; k < nplans; k++) {
			struct ind_opts o = {plans[k], info.id, NULL, date};
			json_t *ans = NULL;
			double dt;

			t0 = now_s();
			if (ind_answer(lv, st, &o, &ans, &err)) {
				fprintf(stderr, "pcmt-bench-ind: %s: %s\n", plans[k], err.message);
				goto out;
			}
			dt = now_s() - t0;
			json_decref(ans);
			all += dt;
			if (r >= 0)
				t[(size_t)k * repeat + r] = dt;
		}
		if (r >= 0)
			t[(size_t)nplans * repeat + r] = all;
	}
	printf("pcmt-bench-ind: org unit %s on %s, %d rounds, snapshot loaded in %.1f s (%s)\n", ou,
	       date_format(date, d), repeat, load_s, db);
	for (int k = 0; k < nplans; k++)
		stats(plans[k], &t[(size_t)k * repeat], repeat);
	stats("every plan", &t[(size_t)nplans * repeat], repeat);
	rc = 0;
out:
	live_close(lv);
	store_close(st);
	json_decref(items);
	free(t);
	return rc;
}
