/* cmd_mat.c: `pcmt mat queue|dose|stock|reconcile`: the substitution clinic's day from a terminal,
 * through the same engine as the API (engine/ost.c) and so with the same rules and refusals. An
 * administrative command: it runs without an org-unit scope, like every CLI command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/ost.h"
#include "engine/rulebook.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt mat queue --facility ID [--date D] [--q TEXT] [--format table|json] [--db URL]\n"
	"       pcmt mat dose --person ID [--date D] [--kind witnessed|take_home|guest] [--dose-mg N]\n"
	"                     [--reason TEXT] [--days N] [--facility ID] [--mg-per-ml N] [--db URL]\n"
	"       pcmt mat stock --facility ID [--date D] [--receipt ML | --waste ML --reason TEXT]\n"
	"                      [--mg-per-ml N] [--format table|json] [--db URL]\n"
	"       pcmt mat reconcile --facility ID --counted ML [--date D] [--opening ML] [--by NAME] [--db URL]\n"
	"       pcmt mat rules [--db URL]\n\n"
	"The opioid substitution clinic (docs/ost.md). queue: the patients due at a dispensing point on\n"
	"--date (default today), with the prescription, whether dosed, and the missed-dose streak and its\n"
	"alert (alert from the 3rd missed day, escalate from the 5th, review from the 30th: rulebook rows\n"
	"ost.missed_dose.*). --q filters by name without accents, national ID or person id.\n"
	"dose: records a dose (and its stock movement) as POST /api/v1/doses does: refused without a\n"
	"prescription valid that day, a second time the same day, above the prescribed dose, or when it\n"
	"differs without --reason. stock: the day's stock, or a receipt or waste (volumes in mL) when asked.\n"
	"reconcile: the evening count; any difference from opening + received - dispensed - waste is flagged.\n"
	"rules: an alias of pcmt migrate, which adds to an older rulebook the built-in rows of every code\n"
	"it lacks (the clinic's ost.* rows among them) and never touches a code it has.\n\n"
	"Exit status 0 on success, 1 when refused or on error (one line on stderr naming the field), 2 on\n"
	"bad usage.\n";

enum fmt { FMT_TABLE, FMT_JSON };

struct args {
	const char *db, *q, *kind, *reason, *by, *format;
	int64_t person, facility;
	int32_t date;
	int dose_mg, days, mg_per_ml, has_date;
	double receipt, waste, counted, opening;
	int has_receipt, has_waste, has_counted, has_opening;
};

static int fail_err(const char *sub, const struct pcmt_err *err)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "mat %s", sub);
	if (err->field[0])
		return cli_fail(cmd, "%s: %s", err->field, err->message);
	return cli_fail(cmd, "%s", err->message);
}

static int pos_int(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int ml(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= 0) || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

static int parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},       {"facility", required_argument, 0, 'f'},
		{"person", required_argument, 0, 'p'},   {"date", required_argument, 0, 't'},
		{"q", required_argument, 0, 'q'},        {"kind", required_argument, 0, 'k'},
		{"dose-mg", required_argument, 0, 'm'},  {"reason", required_argument, 0, 'r'},
		{"days", required_argument, 0, 'n'},     {"mg-per-ml", required_argument, 0, 'c'},
		{"receipt", required_argument, 0, 'R'},  {"waste", required_argument, 0, 'W'},
		{"counted", required_argument, 0, 'C'},  {"opening", required_argument, 0, 'O'},
		{"by", required_argument, 0, 'b'},       {"format", required_argument, 0, 'F'},
		{0, 0, 0, 0}};
	int64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->db = optarg; break;
		case 'f': if (pos_int(optarg, &a->facility)) return -1; break;
		case 'p': if (pos_int(optarg, &a->person)) return -1; break;
		case 't': if (date_parse(optarg, &a->date)) return -1; a->has_date = 1; break;
		case 'q': a->q = optarg; break;
		case 'k': a->kind = optarg; break;
		case 'm': if (pos_int(optarg, &v) || v > 1000) return -1; a->dose_mg = (int)v; break;
		case 'r': a->reason = optarg; break;
		case 'n': if (pos_int(optarg, &v) || v > 366) return -1; a->days = (int)v; break;
		case 'c': if (pos_int(optarg, &v) || v > 100) return -1; a->mg_per_ml = (int)v; break;
		case 'R': if (ml(optarg, &a->receipt)) return -1; a->has_receipt = 1; break;
		case 'W': if (ml(optarg, &a->waste)) return -1; a->has_waste = 1; break;
		case 'C': if (ml(optarg, &a->counted)) return -1; a->has_counted = 1; break;
		case 'O': if (ml(optarg, &a->opening)) return -1; a->has_opening = 1; break;
		case 'b': a->by = optarg; break;
		case 'F': a->format = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc)
		return -1;
	if (a->format && strcmp(a->format, "table") && strcmp(a->format, "json"))
		return -1;
	return 0;
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(1));

	if (s) {
		puts(s);
		free(s);
	}
}

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long ji(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_queue(json_t *q)
{
	json_t *sum = json_object_get(q, "summary"), *p;
	size_t i;

	printf("%s, %s: %lld due, %lld dosed, %lld waiting; %lld alert, %lld escalate, %lld review\n",
	       js(json_object_get(q, "facility"), "name"), js(q, "date"), ji(sum, "due"), ji(sum, "dosed"),
	       ji(sum, "waiting"), ji(sum, "alert"), ji(sum, "escalate"), ji(sum, "review"));
	printf("%-8s  %-32s  %-13s  %7s  %-12s  %-10s  %6s  %s\n", "PERSON", "NAME", "MEDICINE", "DOSE_MG", "PHASE",
	       "DOSED", "MISSED", "ALERT");
	json_array_foreach(json_object_get(q, "patients"), i, p) {
		json_t *rx = json_object_get(p, "prescription"), *d = json_object_get(p, "dosed");

		printf("%-8lld  %-32s  %-13s  %7lld  %-12s  %-10s  %6lld  %s\n", ji(p, "person_id"), js(p, "full_name"),
		       js(rx, "medicine"), ji(rx, "dose_mg"), js(rx, "phase"), json_is_object(d) ? js(d, "kind") : "-",
		       ji(p, "missed_days"), js(p, "alert"));
	}
}

static void print_stock(json_t *s)
{
	json_t *r = json_object_get(s, "reconciliation"), *op = json_object_get(s, "opening_ul");

	printf("%s, %s (mL)\n", js(json_object_get(s, "facility"), "name"), js(s, "date"));
	if (json_is_integer(op))
		printf("  opening            %12.3f\n", (double)json_integer_value(op) / 1000.0);
	else
		printf("  opening                       - (no earlier reconciliation)\n");
	printf("  received           %12.3f\n", (double)ji(s, "received_ul") / 1000.0);
	printf("  dispensed          %12.3f\n", (double)ji(s, "dispensed_ul") / 1000.0);
	printf("  waste              %12.3f\n", (double)ji(s, "waste_ul") / 1000.0);
	printf("  expected closing   %12.3f\n", (double)ji(s, "expected_closing_ul") / 1000.0);
	if (json_is_object(r))
		printf("  counted            %12.3f  difference %.3f%s\n", (double)ji(r, "counted_ul") / 1000.0,
		       (double)ji(r, "difference_ul") / 1000.0, json_is_true(json_object_get(r, "flagged")) ? "  FLAGGED" : "");
	else
		printf("  counted                       - (not reconciled yet)\n");
}

static int run(int argc, char **argv)
{
	struct args a;
	struct rulebook rb;
	struct pcmt_err err;
	struct ost_env env;
	struct store *s = NULL;
	json_t *body = NULL, *out = NULL;
	const char *sub;
	char d[DATE_BUFSZ];
	int rc = 1, json;

	if (argc < 2 || cli_wants_help(argc, argv))
		return argc < 2 ? cli_usage(&cmd_mat) : (fputs(usage, stdout), 0);
	sub = argv[1];
	memset(&a, 0, sizeof(a));
	if (parse(argc - 1, argv + 1, &a))
		return cli_usage(&cmd_mat);
	json = a.format && !strcmp(a.format, "json");
	if (strcmp(sub, "queue") && strcmp(sub, "dose") && strcmp(sub, "stock") && strcmp(sub, "reconcile") &&
	    strcmp(sub, "rules"))
		return cli_usage(&cmd_mat);
	if (!strcmp(sub, "rules"))
		return cmd_migrate.run(argc - 1, argv + 1); /* the alias it became: the rulebook step of migrate */
	if ((strcmp(sub, "dose") && !a.facility) || (!strcmp(sub, "dose") && !a.person) ||
	    (!strcmp(sub, "reconcile") && !a.has_counted) || (a.has_receipt && a.has_waste) ||
	    (a.has_waste && !a.reason && !strcmp(sub, "stock")))
		return cli_usage(&cmd_mat);
	err_clear(&err);
	rulebook_init(&rb);
	if (!(s = cli_open(cli_db(a.db), 1)))
		goto out;
	if (rulebook_open(s, &rb, &err)) {
		fail_err(sub, &err);
		goto out;
	}
	env = (struct ost_env){s, NULL, &rb, {date_today()}};
	if (!a.has_date)
		a.date = env.ctx.today;
	if (!strcmp(sub, "queue")) {
		if (ost_queue(&env, a.facility, a.date, a.q, &out, &err))
			goto refused;
		json ? print_json(out) : print_queue(out);
	} else if (!strcmp(sub, "dose")) {
		body = json_pack("{s:I, s:s}", "person_id", (json_int_t)a.person, "dose_date", date_format(a.date, d));
		if (a.kind)
			json_object_set_new(body, "kind", json_string(a.kind));
		if (a.dose_mg)
			json_object_set_new(body, "dose_mg", json_integer(a.dose_mg));
		if (a.reason)
			json_object_set_new(body, "reason", json_string(a.reason));
		if (a.days)
			json_object_set_new(body, "days", json_integer(a.days));
		if (a.facility)
			json_object_set_new(body, "facility_id", json_integer(a.facility));
		if (a.mg_per_ml)
			json_object_set_new(body, "mg_per_ml", json_integer(a.mg_per_ml));
		if (ost_dose_record(&env, body, &out, &err))
			goto refused;
		if (json) {
			print_json(out);
		} else {
			json_t *x;
			size_t i;

			json_array_foreach(json_object_get(out, "doses"), i, x)
				printf("dose %lld: person %lld, %s, %lld mg, %s\n", ji(x, "id"), ji(x, "person_id"), js(x, "dose_date"),
				       ji(x, "dose_mg"), js(x, "kind"));
		}
	} else if (!strcmp(sub, "stock")) {
		if (a.has_receipt || a.has_waste) {
			body = json_pack("{s:I, s:s, s:s, s:f, s:i}", "facility_id", (json_int_t)a.facility, "move_date",
					 date_format(a.date, d), "kind", a.has_receipt ? "receipt" : "waste", "volume_ml",
					 a.has_receipt ? a.receipt : a.waste, "mg_per_ml", a.mg_per_ml ? a.mg_per_ml : 10);
			if (a.reason)
				json_object_set_new(body, "reason", json_string(a.reason));
			if (ost_stock_add(&env, body, &out, &err))
				goto refused;
			json_decref(out);
			out = NULL;
		}
		if (ost_stock_day(&env, a.facility, a.date, &out, &err))
			goto refused;
		json ? print_json(out) : print_stock(out);
	} else {
		body = json_pack("{s:I, s:s, s:f}", "facility_id", (json_int_t)a.facility, "day", date_format(a.date, d),
				 "counted_ml", a.counted);
		if (a.has_opening)
			json_object_set_new(body, "opening_ml", json_real(a.opening));
		if (a.by)
			json_object_set_new(body, "counted_by", json_string(a.by));
		if (ost_reconcile_record(&env, body, &out, &err))
			goto refused;
		if (json)
			print_json(out);
		else
			printf("reconciled %s: expected %.3f mL, counted %.3f mL, difference %.3f mL%s\n", js(out, "day"),
			       (double)ji(out, "expected_ul") / 1000.0, (double)ji(out, "counted_ul") / 1000.0,
			       (double)ji(out, "difference_ul") / 1000.0,
			       json_is_true(json_object_get(out, "flagged")) ? ": FLAGGED" : "");
	}
	rc = 0;
	goto out;
refused:
	fail_err(sub, &err);
out:
	json_decref(body);
	json_decref(out);
	rulebook_free(&rb);
	if (s)
		store_close(s);
	return rc;
}

const struct cmd cmd_mat = {"mat", "the opioid substitution clinic: queue, doses, stock, reconciliation", usage, run};
