/* cmd_demo.c: `pcmt demo`: creates a deterministic demonstration database: the country's org units
 * and Nghệ An province before the 2025 reform, with facilities, persons and their histories.
 * The generator is src/demo/demo.c; this file parses options and prints the summary. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "demo/national.h"
#include "demo/demo.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt demo --db URL [--scale small|province] [--seed N] [--units FILE]\n\n"
	"Creates (or migrates) the database and fills it, in one transaction, with a demonstration of\n"
	"Nghệ An province (code 40) as it was before the 2025 reform: its real 20 districts and 412\n"
	"communes, health stations, rehabilitation facilities, methadone and counselling points, and\n"
	"persons with classifications, determinations, management records, drug tests, treatments and\n"
	"reintegration support from 2021-01-01 to today (PCMT_TODAY=YYYY-MM-DD fixes \"today\").\n"
	"About two thirds of the communes meet the drug-free criteria today.\n\n"
	"  --scale small      about 600 persons\n"
	"  --scale province   about 6,000 persons (default)\n"
	"  --scale national   the benchmark data set: every commune of Vietnam (2025-03-01), 1,000,000\n"
	"                     persons, about 30,000,000 tests and 3,000,000 treatments, generated valid\n"
	"                     and loaded through the store's bulk path (--persons N for fewer)\n"
	"  --seed N           random seed (default 1); the same seed gives the same data\n"
	"  --units FILE       org units to import first (TSV or official JSON, as `pcmt orgunits\n"
	"                     import`); default: the 2025-03-01 list built into pcmt\n\n"
	"The database must hold no persons or facilities yet. Exit status 0 on success, 1 on error.\n\n"
	"It also adds one demo user per role (an admin; officers of Nghệ An, Kỳ Sơn and Nậm Cắn; a health\n"
	"worker in Kỳ Sơn; a viewer of Nghệ An) with random passwords, printed once at the end: note\n"
	"them. Nothing in pcmt has a default password.\n";

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void summary(const struct demo_opts *o, const struct demo_stats *st, double secs)
{
	char today[DATE_BUFSZ];
	const struct units_counts *u = &st->units;

	printf("demo: Nghệ An (40), seed %" PRIu64 ", scale %s, today %s\n", o->seed,
	       o->scale == DEMO_SMALL ? "small" : "province", date_format(st->today, today));
	printf("  org units added     %d nation, %d provinces, %d districts, %d communes (%d already present)\n",
	       u->added[0], u->added[1], u->added[2], u->added[3],
	       u->skipped[0] + u->skipped[1] + u->skipped[2] + u->skipped[3]);
	printf("  province            %d districts, %d communes\n", st->districts, st->communes);
	printf("  facilities          %d health stations (%d qualified), %d public + %d private rehab, "
	       "%d methadone points, %d counselling points\n",
	       st->stations, st->stations_qualified, st->rehab_public, st->rehab_private, st->ost_points,
	       st->counselling_points);
	printf("  persons             %d (%d citizen ID, %d old ID, %d none; %d double registrations)\n",
	       st->persons, st->with_cccd, st->with_cmnd, st->without_id, st->double_registrations);
	printf("  held today          %d addicts, %d illegal users, %d post-rehab, %d psychosis signs, %d released\n",
	       st->current[0], st->current[1], st->current[2], st->current[3], st->current[4]);
	printf("  classifications     %d\n", st->classifications);
	printf("  determinations      %d\n", st->determinations);
	printf("  records             %d (%d open)\n", st->records, st->records_open);
	printf("  tests               %d (%d positive)\n", st->tests, st->tests_positive);
	printf("  treatments          %d (%d ongoing)\n", st->treatments, st->treatments_ongoing);
	printf("  support             %d (%d loans, %" PRId64 " VND)\n", st->support, st->loans, st->loans_vnd);
	printf("  methadone clinics   %d points, %d patients today; %d prescriptions, %d doses (%d taken home, %d guest),"
	       " %d stock movements, %d daily reconciliations (%d flagged)\n",
	       st->ost.clinics, st->ost.patients_today, st->ost.prescriptions, st->ost.doses, st->ost.take_home,
	       st->ost.guest, st->ost.stock_movements, st->ost.reconciliations, st->ost.flagged);
	if (st->checked_free >= 0 && st->reformed)
		printf("  drug-free today     %d of %d communes on the old units, before the reform was applied (%d planned)\n",
		       st->checked_free, st->communes, st->planned_free);
	else if (st->checked_free >= 0)
		printf("  drug-free today     %d of %d communes (pcmt eval drug-free; %d planned)\n", st->checked_free,
		       st->communes, st->planned_free);
	else
		printf("  drug-free today     not evaluated: no drug-free criteria in the rulebook on that date (%d planned)\n",
		       st->planned_free);
	if (st->reformed) {
		const struct reform_counts *r = &st->reform;

		printf("  reform 2025-07-01   applied: %d provinces and %d communes created, %d provinces kept, %d closed,\n"
		       "                      %d districts and %d communes closed; %lld persons moved with their commune,\n"
		       "                      %lld awaiting re-assignment (pcmt orgunits reassign)\n",
		       r->provinces_created, r->communes_created, r->provinces_kept, r->provinces_closed, r->districts_closed,
		       r->communes_closed, r->persons_moved, r->persons_pending);
		if (st->checked_free >= 0) {
			printf("  drug-free 2025-06-30 %d of %d communes (old units)\n", st->free_before, st->communes_before);
			printf("  drug-free today     %d of %d communes (new units, pcmt eval drug-free; %d persons awaiting\n"
			       "                      re-assignment are counted in none)\n",
			       st->free_after, st->communes_after, st->awaiting);
		}
	}
	printf("  time                %.1f s\n", secs);
}

/* One user per role, with random passwords printed once (docs/security.md). The health worker sits
 * on the province: since the 2025 reform there are no districts, the methadone points are the
 * province health department's and serve patients of many communes, and the queue shows only the
 * patients resident under the user's unit (a nurse on district 417, closed 2025-06-30, saw none). */
enum { N_USERS = 6 };

static const struct {
	const char *name, *role, *ou;
} demo_users[N_USERS] = {{"demo-admin", "admin", NULL},        {"demo-province", "province", "40"},
		  {"demo-district", "district", "417"}, {"demo-commune", "commune", "16837"},
		  {"demo-health", "health", "40"},      {"demo-viewer", "viewer", "40"}};

static int add_demo_users(struct store *s, struct pcmt_err *err)
{
	char pw[N_USERS][24];
	unsigned char raw[12];
	size_t n = sizeof(demo_users) / sizeof(demo_users[0]);

	for (size_t i = 0; i < n; i++) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(pw[i], sizeof(pw[i]), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		if (auth_user_add(s, demo_users[i].name, demo_users[i].role, demo_users[i].ou, pw[i], NULL, err))
			return err_set(err, err->code, err->field, "demo user %s: %s", demo_users[i].name, err->message);
	}
	printf("  demo users          (passwords shown only now; change them with pcmt user passwd)\n");
	for (size_t i = 0; i < n; i++)
		printf("    %-15s %-9s %-6s %s\n", demo_users[i].name, demo_users[i].role,
		       demo_users[i].ou ? demo_users[i].ou : "-", pw[i]);
	sodium_memzero(pw, sizeof(pw));
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"scale", required_argument, 0, 's'},
					     {"seed", required_argument, 0, 'S'},
					     {"units", required_argument, 0, 'u'},
					     {"persons", required_argument, 0, 'p'},
					     {0, 0, 0, 0}};
	struct demo_opts o = {DEMO_PROVINCE, 1, NULL};
	struct demo_stats st;
	struct pcmt_err err;
	const char *db = NULL;
	struct store *s;
	double t0 = now_seconds();
	char *end;
	int c, rc = 1, national = 0;
	int64_t npersons = NATIONAL_PERSONS;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "small"))
				o.scale = DEMO_SMALL;
			else if (!strcmp(optarg, "province"))
				o.scale = DEMO_PROVINCE;
			else if (!strcmp(optarg, "national"))
				national = 1;
			else
				return cli_fail("demo", "--scale must be small, province or national");
			break;
		case 'S':
			errno = 0;
			o.seed = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || optarg[0] == '-')
				return cli_fail("demo", "--seed must be a non-negative whole number");
			break;
		case 'u':
			o.units_path = optarg;
			break;
		case 'p':
			npersons = strtoll(optarg, &end, 10);
			if (!*optarg || *end || npersons < 1 || npersons > 100000000)
				return cli_fail("demo", "--persons must be a whole number from 1 to 100000000");
			break;
		default:
			return cli_usage(&cmd_demo);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_demo);
	err_clear(&err);
	if (!(s = cli_open(cli_db(db), 1)))
		return 1;
	if (national) {
		struct national_stats ns;

		if (national_run(s, o.seed, npersons, &ns, &err)) {
			cli_fail("demo", "%s", err.message);
			goto out;
		}
		printf("demo: national data set, seed %" PRIu64 "\n"
		       "  communes            %d\n  persons             %" PRId64 "\n  classifications     %" PRId64 "\n"
		       "  determinations      %" PRId64 "\n  records             %" PRId64 "\n  tests               %" PRId64 "\n"
		       "  treatments          %" PRId64 "\n  support             %" PRId64 "\n  time                %.1f s\n",
		       o.seed, ns.communes, ns.persons, ns.classifications, ns.determinations, ns.records, ns.tests,
		       ns.treatments, ns.support, now_seconds() - t0);
		if (add_demo_users(s, &err)) {
			cli_fail("demo", "%s", err.message);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (demo_run(s, &o, &st, &err)) {
		cli_fail("demo", "%s", err.message);
		goto out;
	}
	summary(&o, &st, now_seconds() - t0);
	if (add_demo_users(s, &err)) {
		cli_fail("demo", "%s", err.message);
		goto out;
	}
	rc = 0;
out:
	store_close(s);
	return rc;
}

const struct cmd cmd_demo = {"demo", "create a demonstration database (Nghệ An province, deterministic)", usage, run};
