/* cmd_classification.c: `pcmt eval classification`: the Decision 28/2025/QĐ-TTg commune types for a
 * year from the command line, as a table for a person, JSON for programs (the same answer as GET
 * /api/v1/classification) or CSV for a spreadsheet. Dispatched from cmd_eval.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/classification.h"
#include "util/date.h"

const char eval_classification_usage[] =
	"usage: pcmt eval classification --year YYYY [--db URL] [--orgunit CODE] [--format table|json|csv]\n\n"
	"Classifies every commune under --orgunit (a code such as 40 for Nghe An; default VN, the nation)\n"
	"for --year under Decision 28/2025/QĐ-TTg: complex type I, II, III or none, from the managed\n"
	"addicts and illegal users and the arrests per 100 of the commune's population for the year (pcmt\n"
	"populations), the places organising or harbouring drug use (hotspots), the narcotic plants or\n"
	"area destroyed (plant sites) and whether it lies on a complex route (cases). The thresholds are\n"
	"the rulebook rows in force on 31 December of the year (pcmt rules); a year in progress is read up\n"
	"to today. Rows not confirmed in the official text (types II and III) are marked with '*', and so\n"
	"is every commune whose type rests on one.\n\n"
	"The table lists the counts per unit below, the thresholds, then each commune of type I, II or III\n"
	"with its values; after each value, the highest type whose threshold it reaches. json gives every\n"
	"commune with each criterion's values, thresholds and status; csv one row per commune.\n\n"
	"Exit status 0 on success, 1 on error (unknown org unit, a year without thresholds...), 2 on bad\n"
	"usage.\n";

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static json_t *type_of(json_t *commune, int t)
{
	return json_array_get(json_object_get(commune, "types"), (size_t)t);
}

/* The criterion c ("places"...) of type block t of a commune, or NULL. */
static json_t *crit(json_t *commune, int t, const char *c)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(type_of(commune, t), "criteria"), i, x)
		if (!strcmp(js(x, "criterion"), c))
			return x;
	return NULL;
}

/* "I", "II", "III" for the highest type whose threshold the value reaches, "-" when none. */
static const char *reached(json_t *commune, const char *c)
{
	static const char *const names[] = {"I", "II", "III"};

	for (int t = 0; t < 3; t++)
		if (json_is_true(json_object_get(crit(commune, t, c), "met")))
			return names[t];
	return "-";
}

/* s padded with spaces to `width` characters (not bytes: Vietnamese names take 2-3 bytes a letter),
 * cut at `width` characters */
static void col(const char *s, int width)
{
	int n = 0;

	for (; *s && n < width; n++) {
		const char *p = s + 1;

		while ((*p & 0xC0) == 0x80)
			p++;
		fwrite(s, 1, (size_t)(p - s), stdout);
		s = p;
	}
	for (; n < width; n++)
		putchar(' ');
	putchar(' ');
}

static double num(json_t *v)
{
	return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

static void print_thresholds(json_t *a)
{
	static const char *const crits[] = {"users_addicts_pct", "places", "arrests_pct", "plants", "route"};
	json_t *c0 = json_array_get(json_object_get(a, "communes"), 0);

	if (!c0)
		return;
	printf("\nThresholds (rulebook rows in force on %s; * not confirmed in the official text):\n", js(a, "rules_date"));
	for (int t = 0; t < 3; t++) {
		json_t *ty = type_of(c0, t), *mn = json_object_get(ty, "criteria_min");

		printf("  type %-3s at least %g%s of:", js(ty, "type"), num(json_object_get(mn, "value")),
		       json_is_true(json_object_get(mn, "confirmed")) ? "" : "*");
		for (int c = 0; c < 5; c++) {
			json_t *x = crit(c0, t, crits[c]), *th;
			size_t i;

			if (!x)
				continue;
			printf(" %s", crits[c]);
			json_array_foreach(json_object_get(x, "thresholds"), i, th) {
				if (json_is_true(json_object_get(th, "missing")))
					printf("%s(no row)", i ? "/" : " ");
				else
					printf("%s%g%s", i ? "/" : " >= ", num(json_object_get(th, "value")),
					       json_is_true(json_object_get(th, "confirmed")) ? "" : "*");
			}
			printf(c < 4 ? ";" : "");
		}
		putchar('\n');
	}
}

static void print_table(json_t *a)
{
	json_t *sum = json_object_get(a, "summary"), *u, *c;
	size_t i;
	int none = 0;

	printf("Complex communes (Decision 28/2025/QĐ-TTg) under %s %s, %lld: facts from %s to %s\n",
	       js(json_object_get(a, "orgunit"), "code"), js(json_object_get(a, "orgunit"), "name"),
	       json_integer_value(json_object_get(a, "year")), js(a, "from"), js(a, "measured_on"));
	printf("%-8s %-36s %8s %7s %7s %8s %6s\n", "code", "unit", "communes", "type I", "type II", "type III", "none");
	json_array_foreach(json_object_get(a, "units"), i, u) {
		printf("%-8s ", js(u, "code"));
		col(js(u, "name"), 36);
		printf("%8lld %7lld %7lld %8lld %6lld\n", json_integer_value(json_object_get(u, "communes")),
		       json_integer_value(json_object_get(u, "type_I")), json_integer_value(json_object_get(u, "type_II")),
		       json_integer_value(json_object_get(u, "type_III")), json_integer_value(json_object_get(u, "none")));
	}
	printf("%-8s %-36s %8lld %7lld %7lld %8lld %6lld\n", "", "total", json_integer_value(json_object_get(sum, "communes")),
	       json_integer_value(json_object_get(sum, "type_I")), json_integer_value(json_object_get(sum, "type_II")),
	       json_integer_value(json_object_get(sum, "type_III")), json_integer_value(json_object_get(sum, "none")));
	printf("%lld communes have no population recorded for the year (their rate criteria have no data); the type of "
	       "%lld rests on thresholds not confirmed.\n",
	       json_integer_value(json_object_get(sum, "without_population")),
	       json_integer_value(json_object_get(sum, "unconfirmed")));
	print_thresholds(a);
	printf("\n%-8s %-28s %-5s %7s %-14s %-7s %-14s %-16s %s\n", "code", "commune", "type", "pop.", "users %",
	       "places", "arrests %", "plants / m2", "route cases");
	json_array_foreach(json_object_get(a, "communes"), i, c) {
		json_t *uv = json_object_get(crit(c, 0, "users_addicts_pct"), "values"),
		       *av = json_object_get(crit(c, 0, "arrests_pct"), "values"),
		       *pv = json_object_get(crit(c, 0, "plants"), "values"), *rv = json_object_get(crit(c, 0, "route"), "values");
		char users[40], arrests[40], plants[40], pop[24], type[8], route[24], places[24];

		if (!strcmp(js(c, "type"), "none")) {
			none++;
			continue;
		}
		snprintf(type, sizeof(type), "%s%s", js(c, "type"), json_is_true(json_object_get(c, "confirmed")) ? "" : "*");
		if (json_is_null(json_object_get(c, "population"))) {
			snprintf(pop, sizeof(pop), "-");
			snprintf(users, sizeof(users), "n/a (%lld)", json_integer_value(json_object_get(uv, "persons")));
			snprintf(arrests, sizeof(arrests), "n/a (%lld)", json_integer_value(json_object_get(av, "arrested")));
		} else {
			snprintf(pop, sizeof(pop), "%lld", json_integer_value(json_object_get(c, "population")));
			snprintf(users, sizeof(users), "%.2f %s", num(json_object_get(uv, "percent")), reached(c, "users_addicts_pct"));
			snprintf(arrests, sizeof(arrests), "%.3f %s", num(json_object_get(av, "percent")), reached(c, "arrests_pct"));
		}
		snprintf(plants, sizeof(plants), "%lld/%lld %s", json_integer_value(json_object_get(pv, "plants")),
			 json_integer_value(json_object_get(pv, "area_m2")), reached(c, "plants"));
		snprintf(route, sizeof(route), "%lld%s", json_integer_value(json_object_get(rv, "route_cases")),
			 json_is_true(json_object_get(rv, "on_complex_route")) ? " (on route)" : "");
		snprintf(places, sizeof(places), "%lld %s",
			 json_integer_value(json_object_get(json_object_get(crit(c, 0, "places"), "values"), "places")),
			 reached(c, "places"));
		printf("%-8s ", js(c, "code"));
		col(js(c, "name"), 28);
		printf("%-5s %7s %-14s %-7s %-14s %-16s %s\n", type, pop, users, places, arrests, plants, route);
	}
	if (none)
		printf("(%d communes of no type not listed: --format csv or json lists every commune)\n", none);
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
		printf("%lld", json_integer_value(v));
	else if (json_is_real(v))
		printf("%.6g", json_real_value(v));
}

static void print_csv(json_t *a)
{
	static const char *const crits[] = {"users_addicts_pct", "places", "arrests_pct", "plants", "route"};
	json_t *c;
	size_t i;

	puts("year,code,name,type,confirmed,population,users_addicts,users_addicts_pct,places,arrested,arrests_pct,"
	     "plants_destroyed,area_destroyed_m2,route_cases,on_complex_route,type3_criteria_met,met_I,met_II,met_III,notes");
	json_array_foreach(json_object_get(a, "communes"), i, c) {
		json_t *uv = json_object_get(crit(c, 0, "users_addicts_pct"), "values"),
		       *av = json_object_get(crit(c, 0, "arrests_pct"), "values"),
		       *pv = json_object_get(crit(c, 0, "plants"), "values"), *rv = json_object_get(crit(c, 0, "route"), "values"),
		       *n;
		size_t j;

		printf("%lld,%s,", json_integer_value(json_object_get(a, "year")), js(c, "code"));
		csv_text(js(c, "name"));
		printf(",%s,%d,", js(c, "type"), json_is_true(json_object_get(c, "confirmed")));
		csv_num(json_object_get(c, "population"));
		printf(",%lld,", json_integer_value(json_object_get(uv, "persons")));
		csv_num(json_object_get(uv, "percent"));
		printf(",%lld,%lld,", json_integer_value(json_object_get(json_object_get(crit(c, 0, "places"), "values"), "places")),
		       json_integer_value(json_object_get(av, "arrested")));
		csv_num(json_object_get(av, "percent"));
		printf(",%lld,%lld,%lld,%s,%lld", json_integer_value(json_object_get(pv, "plants")),
		       json_integer_value(json_object_get(pv, "area_m2")), json_integer_value(json_object_get(rv, "route_cases")),
		       json_is_true(json_object_get(rv, "on_complex_route")) ? "1" : "0",
		       json_integer_value(json_object_get(rv, "type3_criteria_met")));
		for (int t = 0; t < 3; t++) {
			int first = 1;

			putchar(',');
			for (int k = 0; k < 5; k++)
				if (json_is_true(json_object_get(crit(c, t, crits[k]), "met"))) {
					printf("%s%s", first ? "" : ";", crits[k]);
					first = 0;
				}
		}
		putchar(',');
		putchar('"');
		json_array_foreach(json_object_get(c, "notes"), j, n) {
			const char *s = json_string_value(n);

			if (j)
				fputs("; ", stdout);
			for (; s && *s; s++)
				putchar(*s == '"' ? '\'' : *s);
		}
		puts("\"");
	}
}

int eval_classification(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"year", required_argument, 0, 'y'},
					     {"orgunit", required_argument, 0, 'o'},
					     {"format", required_argument, 0, 'f'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *ou = "VN", *fmt = "table", *year = NULL;
	struct cx_opts o = {0};
	struct ou_info info;
	struct pcmt_err err;
	struct store *s = NULL;
	struct live *lv = NULL;
	json_t *ans = NULL;
	char *end;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'y')
			year = optarg;
		else if (c == 'o')
			ou = optarg;
		else if (c == 'f')
			fmt = optarg;
		else
			return fputs(eval_classification_usage, stderr), 2;
	}
	if (optind < argc)
		return fputs(eval_classification_usage, stderr), 2;
	if (!year)
		return cli_fail("eval", "--year is required (the year to classify, e.g. 2025)"), 2;
	o.year = (int)strtol(year, &end, 10);
	if (*end || strlen(year) != 4 || *year < '1' || *year > '9')
		return cli_fail("eval", "--year: '%s' is not a year (four digits, e.g. 2025)", year), 2;
	if (strcmp(fmt, "table") && strcmp(fmt, "json") && strcmp(fmt, "csv"))
		return cli_fail("eval", "--format must be table, json or csv"), 2;
	o.today = date_today();
	o.details = 1;
	err_clear(&err);
	if (!(s = cli_open(cli_db(db), 1)))
		return 1;
	if (s->ops->ou_by_code(s, ou, o.today, &info, &err)) {
		cli_fail("eval", "no org unit with code %s", ou);
		goto out;
	}
	o.ou_id = info.id;
	if (!(lv = live_open(s, &err)) || cx_answer(lv, s, &o, &ans, &err)) {
		cli_fail("eval", "%s%s%s", err.field[0] ? err.field : "", err.field[0] ? ": " : "", err.message);
		goto out;
	}
	if (!strcmp(fmt, "json")) {
		if (json_dumpf(ans, stdout, JSON_INDENT(2)) == 0)
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
