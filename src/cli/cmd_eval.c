/* cmd_eval.c: `pcmt eval drug-free`: the drug-free commune evaluation from the command line, as a
 * table for a person, JSON for programs, or CSV for a spreadsheet. Same engine as the API. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/orghist.h"
#include "engine/drugfree.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt eval drug-free [--db URL] [--date YYYY-MM-DD] [--orgunit CODE]\n"
	"                           [--format table|json|csv]\n"
	"       pcmt eval classification --year YYYY [--db URL] [--orgunit CODE] [--format table|json|csv]\n\n"
	"drug-free evaluates the drug-free commune criteria (seed: Thanh Hoa project 2024-2025) for every commune\n"
	"under --orgunit (a code such as 40 for Nghe An or 16837 for a commune; default VN, the nation)\n"
	"on --date (the date of the request for recognition; default today), with the rules in force\n"
	"on that date (pcmt rules). The table lists the number and share of drug-free communes per unit\n"
	"below, then every failing commune with the persons and reasons behind each failing criterion.\n"
	"json gives the same answer as GET /api/v1/drug-free; csv gives one row per commune.\n"
	"Units are those in force on --date; a code names the unit that had it then (codes are reused by\n"
	"the 2025 reform), CODE@YYYY-MM-DD the one in force on another date: --orgunit 17357@2025-07-01\n"
	"--date 2025-06-30 is the new commune evaluated over the old ones it was formed from (marked\n"
	"approximate when one of them went into it only in part; docs/reform.md).\n\n"
	"classification gives every commune's type under Decision 28/2025/QĐ-TTg (complex type I, II,\n"
	"III or none) for --year, with each criterion's value, threshold (rulebook row, * when not\n"
	"confirmed) and whether it is met; json as GET /api/v1/classification (docs/operations.md).\n\n"
	"Exit status 0 on success, 1 on error (unknown org unit, ...), 2 on bad usage.\n";

static void print_table(json_t *a)
{
	json_t *sum = json_object_get(a, "summary"), *u, *c, *f;
	size_t i, j;

	printf("Drug-free communes under %s %s on %s\n", json_string_value(json_object_get(json_object_get(a, "orgunit"), "code")),
	       json_string_value(json_object_get(json_object_get(a, "orgunit"), "name")),
	       json_string_value(json_object_get(a, "date")));
	printf("%-8s %-36s %8s %10s %7s\n", "code", "unit", "communes", "drug-free", "share");
	json_array_foreach(json_object_get(a, "units"), i, u)
		printf("%-8s %-36s %8lld %10lld %6.1f%%\n", json_string_value(json_object_get(u, "code")),
		       json_string_value(json_object_get(u, "name")), json_integer_value(json_object_get(u, "communes")),
		       json_integer_value(json_object_get(u, "drug_free")), json_real_value(json_object_get(u, "share")));
	printf("%-8s %-36s %8lld %10lld %6.1f%%\n", "", "total", json_integer_value(json_object_get(sum, "communes")),
	       json_integer_value(json_object_get(sum, "drug_free")), json_real_value(json_object_get(sum, "share")));
	if (json_is_true(json_object_get(a, "over_predecessors"))) {
		json_t *x;

		printf("%s over the units it was formed from:", json_is_true(json_object_get(a, "approximate"))
								    ? "APPROXIMATE: computed" : "Computed");
		json_array_foreach(json_object_get(a, "formed_from"), i, x)
			printf("%s %s %s (%s)", i ? "," : "", json_string_value(json_object_get(x, "code")),
			       json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(x, "link")));
		printf("\n");
	}
	if (json_integer_value(json_object_get(a, "awaiting_reassignment")))
		printf("%lld persons of split communes await re-assignment and are counted in no commune "
		       "(pcmt orgunits reassign)\n", json_integer_value(json_object_get(a, "awaiting_reassignment")));
	json_array_foreach(json_object_get(a, "communes"), i, c) {
		if (json_is_true(json_object_get(c, "drug_free")))
			continue;
		printf("\n%s %s: not drug-free\n", json_string_value(json_object_get(c, "code")),
		       json_string_value(json_object_get(c, "name")));
		json_array_foreach(json_object_get(c, "failures"), j, f) {
			json_t *pid = json_object_get(f, "person_id");

			if (pid)
				printf("  criterion %lld  person %lld %-28s %s\n", json_integer_value(json_object_get(f, "criterion")),
				       json_integer_value(pid),
				       json_string_value(json_object_get(f, "full_name")) ? json_string_value(json_object_get(f, "full_name")) : "",
				       json_string_value(json_object_get(f, "reason")));
			else
				printf("  criterion %lld  %s\n", json_integer_value(json_object_get(f, "criterion")),
				       json_string_value(json_object_get(f, "reason")));
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

static void print_csv(json_t *a)
{
	json_t *c, *f;
	size_t i, j;

	puts("code,name,date,drug_free,criterion_1,criterion_2,criterion_3,addicts,addicts_in_community,failures");
	json_array_foreach(json_object_get(a, "communes"), i, c) {
		json_t *cr = json_object_get(c, "criteria");
		int first = 1;

		printf("%s,", json_string_value(json_object_get(c, "code")));
		csv_text(json_string_value(json_object_get(c, "name")));
		printf(",%s,%d,%d,%d,%d,%lld,%lld,\"", json_string_value(json_object_get(a, "date")),
		       json_is_true(json_object_get(c, "drug_free")),
		       json_is_true(json_object_get(json_array_get(cr, 0), "pass")),
		       json_is_true(json_object_get(json_array_get(cr, 1), "pass")),
		       json_is_true(json_object_get(json_array_get(cr, 2), "pass")),
		       json_integer_value(json_object_get(json_object_get(json_array_get(cr, 0), "counts"), "addicts")),
		       json_integer_value(json_object_get(json_object_get(json_array_get(cr, 0), "counts"), "in_community")));
		json_array_foreach(json_object_get(c, "failures"), j, f) {
			const char *r = json_string_value(json_object_get(f, "reason"));

			printf("%s%lld:", first ? "" : "; ", json_integer_value(json_object_get(f, "person_id")));
			for (; r && *r; r++)
				putchar(*r == '"' ? '\'' : *r);
			first = 0;
		}
		puts("\"");
	}
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"date", required_argument, 0, 't'},
					     {"orgunit", required_argument, 0, 'o'},
					     {"format", required_argument, 0, 'f'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *ou = "VN", *fmt = "table";
	struct drugfree_opts o = {0};
	struct ou_info info;
	struct pcmt_err err;
	struct store *s = NULL;
	struct live *lv = NULL;
	json_t *ans = NULL;
	int c, rc = 1;

	o.date = date_today();
	optind = 1;
	if (argc >= 2 && !strcmp(argv[1], "classification"))
		return eval_classification(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "drug-free"))
		return cli_usage(&cmd_eval);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 't' && date_parse(optarg, &o.date))
			return cli_fail("eval", "--date: '%s' is not a date (YYYY-MM-DD or DD/MM/YYYY)", optarg), 2;
		else if (c == 'o')
			ou = optarg;
		else if (c == 'f')
			fmt = optarg;
		else if (c != 't')
			return cli_usage(&cmd_eval);
	}
	if (optind < argc)
		return cli_usage(&cmd_eval);
	if (strcmp(fmt, "table") && strcmp(fmt, "json") && strcmp(fmt, "csv"))
		return cli_fail("eval", "--format must be table, json or csv"), 2;
	err_clear(&err);
	if (!(s = cli_open(cli_db(db), 1)))
		return 1;
	if (orghist_resolve(s, ou, o.date, &info, &err)) {
		cli_fail("eval", "%s", err.code == ERR_NOT_FOUND ? "no org unit with that code" : err.message);
		goto out;
	}
	o.ou_id = info.id;
	o.details = 1;
	o.names = strcmp(fmt, "csv") != 0;
	if (!(lv = live_open(s, &err)) || drugfree_eval(lv, s, &o, &ans, &err)) {
		cli_fail("eval", "%s", err.message);
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

const struct cmd cmd_eval = {"eval", "evaluate the drug-free criteria or the Decision 28 commune types", usage, run};
