/* cmd_indicators.c: `pcmt indicators --plan CODE`: a plan's targets with each unit's value and status
 * (met, on track, at risk, missed...) as a table for a person, JSON for programs (the same answer as
 * GET /api/v1/indicators) or CSV for a spreadsheet; `--measures` lists what can be measured. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/indicators.h"
#include "engine/indicators.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt indicators --plan CODE [--db URL] [--orgunit CODE] [--period P] [--date YYYY-MM-DD]\n"
	"                       [--format table|json|csv]\n"
	"       pcmt indicators --measures [--format table|json]\n\n"
	"For each target of the plan (pcmt plans list), the indicator's value for a unit and for each unit\n"
	"directly below it, and its status against the target: met, on_track, at_risk, missed (the deadline\n"
	"passed), no_data, not_started or not_applicable (a count target shown below its scope unit).\n"
	"  --orgunit CODE  the unit to drill into (default: each target's scope, e.g. 40 for Nghe An)\n"
	"  --period P      2022, 2022-Q1, 2022-03 or plan (default: each target's own period around --date)\n"
	"  --date D        the date asked about (default today): values are measured on it, or on the\n"
	"                  period's end or the target's deadline when that comes first\n"
	"  --measures      the built-in measures and indicators with what each counts (docs/indicators.md)\n\n"
	"Exit status 0 on success, 1 when the plan or org unit does not exist or on error, 2 on bad usage.\n";

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* A value as the table shows it: whole numbers bare, others with one decimal, "-" for none. */
static const char *num(json_t *v, char *buf, size_t cap)
{
	if (json_is_integer(v))
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, cap, "%.1f", json_real_value(v));
	else
		snprintf(buf, cap, "-");
	return buf;
}

/* Prints s padded or cut to `cols` characters: printf's widths count bytes, and Vietnamese names are
 * mostly multi-byte. A character is a UTF-8 lead byte (names are NFC, so precomposed). */
static void pad(const char *s, int cols)
{
	int n = 0;
	const char *p = s;

	for (; *p; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80) {
			if (n == cols)
				break;
			n++;
		}
	}
	fwrite(s, 1, (size_t)(p - s), stdout);
	for (; n < cols; n++)
		putchar(' ');
}

static void measures_text(json_t *ms, char *buf, size_t cap)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	char b[32];

	buf[0] = '\0';
	json_object_foreach(ms, k, v) {
		int w = snprintf(buf + n, cap - n, "%s%s=%s", n ? " " : "", k, num(v, b, sizeof(b)));

		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
}

static void print_table(json_t *a)
{
	json_t *plan = json_object_get(a, "plan"), *t, *u;
	size_t i, j;
	char b1[32], b2[32], mt[512];

	printf("Plan %s: %s\n", js(plan, "code"), js(plan, "title"));
	printf("Scope %s %s, period %s..%s; as of %s\n", js(json_object_get(plan, "scope"), "code"),
	       js(json_object_get(plan, "scope"), "name"), js(plan, "period_from"), js(plan, "period_to"), js(a, "date"));
	json_array_foreach(json_object_get(a, "targets"), i, t) {
		json_t *ind = json_object_get(t, "indicator"), *per = json_object_get(t, "period");

		printf("\n[%lld] %s %s %s %s, %s", (long long)json_integer_value(json_object_get(t, "id")), js(ind, "code"),
		       js(t, "comparator"), num(json_object_get(t, "value"), b1, sizeof(b1)), js(t, "unit"), js(per, "name"));
		if (json_is_string(json_object_get(per, "measured_on")))
			printf(" (measured on %s, due %s)", js(per, "measured_on"), js(per, "due"));
		printf(": %s\n", js(t, "status"));
		if (*js(ind, "name_en"))
			printf("    %s\n", js(ind, "name_en"));
		if (*js(t, "reason"))
			printf("    %s\n", js(t, "reason"));
		json_array_foreach(json_object_get(t, "units"), j, u) {
			json_t *ou = json_object_get(u, "orgunit");

			measures_text(json_object_get(u, "measures"), mt, sizeof(mt));
			printf("  %-8s ", js(ou, "code"));
			pad(js(ou, "name"), 30);
			printf(" %9s  %-14s %s%s%s\n", num(json_object_get(u, "value"), b2, sizeof(b2)), js(u, "status"), mt,
			       *js(u, "reason") ? "  " : "", js(u, "reason"));
		}
	}
}

static void csv_text(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void csv_num(json_t *v)
{
	if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		printf("%.6g", json_real_value(v));
}

static void print_csv(json_t *a)
{
	json_t *plan = json_object_get(a, "plan"), *t, *u;
	size_t i, j;

	puts("plan,target_id,indicator,comparator,target,unit,period,measured_on,orgunit_code,orgunit_name,value,"
	     "status,progress,elapsed");
	json_array_foreach(json_object_get(a, "targets"), i, t) {
		json_t *per = json_object_get(t, "period");

		json_array_foreach(json_object_get(t, "units"), j, u) {
			json_t *ou = json_object_get(u, "orgunit");

			csv_text(js(plan, "code"));
			printf(",%lld,%s,%s,", (long long)json_integer_value(json_object_get(t, "id")),
			       js(json_object_get(t, "indicator"), "code"), js(t, "comparator"));
			csv_num(json_object_get(t, "value"));
			printf(",%s,%s,%s,%s,", js(t, "unit"), js(per, "name"), js(per, "measured_on"), js(ou, "code"));
			csv_text(js(ou, "name"));
			putchar(',');
			csv_num(json_object_get(u, "value"));
			printf(",%s,", js(u, "status"));
			csv_num(json_object_get(u, "progress"));
			putchar(',');
			csv_num(json_object_get(u, "elapsed"));
			putchar('\n');
		}
		if (!json_array_size(json_object_get(t, "units"))) {
			csv_text(js(plan, "code"));
			printf(",%lld,%s,%s,", (long long)json_integer_value(json_object_get(t, "id")),
			       js(json_object_get(t, "indicator"), "code"), js(t, "comparator"));
			csv_num(json_object_get(t, "value"));
			printf(",%s,%s,,,,,%s,,\n", js(t, "unit"), js(per, "name"), js(t, "status"));
		}
	}
}

static void print_measures(json_t *c)
{
	json_t *m;
	size_t i;

	printf("Measures (a name + \"_prev\" is the previous period's value):\n");
	json_array_foreach(json_object_get(c, "measures"), i, m)
		printf("  %-46s %-10s %-5s %s\n", js(m, "name"), js(m, "unit"), js(m, "time"), js(m, "counts"));
	printf("\nBuilt-in indicators:\n");
	json_array_foreach(json_object_get(c, "indicators"), i, m)
		printf("  %-34s %-8s %s\n", js(m, "code"), js(m, "unit"), js(m, "expression"));
	printf("\nReserved for the operations registry (answered as no_data until then):\n");
	json_array_foreach(json_object_get(c, "pending"), i, m)
		printf("  %-34s %s\n", js(m, "code"), js(m, "awaits"));
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"plan", required_argument, 0, 'p'},
					     {"orgunit", required_argument, 0, 'o'},
					     {"period", required_argument, 0, 'P'},
					     {"date", required_argument, 0, 't'},
					     {"format", required_argument, 0, 'f'},
					     {"measures", no_argument, 0, 'm'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *ou = NULL, *fmt = "table";
	struct ind_opts o = {0};
	struct ind_period per;
	struct ou_info info;
	struct pcmt_err err;
	struct store *s = NULL;
	struct live *lv = NULL;
	json_t *ans = NULL;
	int c, rc = 1, measures = 0;

	o.date = date_today();
	optind = 1;
	err_clear(&err);
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'p': o.plan = optarg; break;
		case 'o': ou = optarg; break;
		case 'P': o.period = optarg; break;
		case 'f': fmt = optarg; break;
		case 'm': measures = 1; break;
		case 't':
			if (date_parse(optarg, &o.date))
				return cli_fail("indicators", "--date: '%s' is not a date (YYYY-MM-DD or DD/MM/YYYY)", optarg), 2;
			break;
		default: return cli_usage(&cmd_indicators);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_indicators);
	if (strcmp(fmt, "table") && strcmp(fmt, "json") && strcmp(fmt, "csv"))
		return cli_fail("indicators", "--format must be table, json or csv"), 2;
	if (measures) {
		json_t *cat = ind_catalogue();

		if (!strcmp(fmt, "json")) {
			if (json_dumpf(cat, stdout, JSON_INDENT(2)) == 0)
				putchar('\n');
		} else {
			print_measures(cat);
		}
		json_decref(cat);
		return 0;
	}
	if (!o.plan || !*o.plan)
		return cli_fail("indicators", "--plan is required (pcmt plans list shows the codes)"), 2;
	if (o.period && ind_period_parse(o.period, "--period", &per, &err))
		return cli_fail("indicators", "%s", err.message), 2;
	if (!(s = cli_open(cli_db(db), 1)))
		return 1;
	if (ou) {
		if (s->ops->ou_by_code(s, ou, o.date, &info, &err)) {
			cli_fail("indicators", "no org unit with code %s", ou);
			goto out;
		}
		o.ou_id = info.id;
	}
	if (!(lv = live_open(s, &err)) || ind_answer(lv, s, &o, &ans, &err)) {
		cli_fail("indicators", "%s", err.message);
		goto out;
	}
	if (!strcmp(fmt, "json")) {
		if (json_dumpf(ans, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) == 0)
			putchar('\n');
	} else if (!strcmp(fmt, "csv")) {
		print_csv(ans);
	} else {
		print_table(ans);
	}
	rc = 0;
out:
	json_decref(ans);
	live_close(lv);
	store_close(s);
	return rc;
}

const struct cmd cmd_indicators = {"indicators", "a plan's indicators per unit and period, with status", usage, run};
