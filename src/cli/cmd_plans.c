/* cmd_plans.c: `pcmt plans list` (every plan with its scope, period and number of targets),
 * `pcmt plans show CODE` (one plan's targets with the sentence each implements) and `pcmt plans seed`
 * (the seeds' plans into any database, e.g. the national benchmark set). Plans and targets are
 * otherwise entered through the API (/api/v1/plans, /api/v1/targets) or loaded by `pcmt demo`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "demo/plans.h"
#include "domain/plan.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt plans list [--db URL] [--format table|json|csv]\n"
	"       pcmt plans show CODE [--db URL] [--format table|json|csv]\n"
	"       pcmt plans seed [--db URL]\n\n"
	"list: every plan with its code, scope unit, period and number of targets.\n"
	"show: one plan's targets: indicator, comparator, value, unit, period, deadline and the plan's sentence.\n"
	"seed: loads the seeds' plans and targets (those `pcmt demo` loads) into a database that has the\n"
	"      org units but not the plans, in one transaction (a plan code already there: nothing written).\n"
	"The codes are what `pcmt indicators --plan CODE` takes.\n\n"
	"Exit status 0 on success, 1 when the plan does not exist or on error, 2 on bad usage.\n";

enum { LIMIT = 1000 };

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
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

static int list_all(struct store *s, const struct entity_def *e, const char *field, json_t *val, json_t **items,
		    struct pcmt_err *err)
{
	struct store_query q;
	int64_t total;

	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = LIMIT;
	if (field) {
		q.eq[0].field = field;
		q.eq[0].value = val;
		q.neq = 1;
	}
	return s->ops->list(s, e, &q, items, &total, err);
}

/* The org unit's code for an id, "" when unknown. */
static const char *ou_code(struct store *s, json_t *id, char *buf)
{
	struct ou_info ou;
	struct pcmt_err err;

	buf[0] = '\0';
	err_clear(&err);
	if (json_is_integer(id) && s->ops->ou_get(s, json_integer_value(id), &ou, &err) == 0)
		snprintf(buf, 17, "%s", ou.code);
	return buf;
}

static int do_list(struct store *s, const char *fmt)
{
	json_t *plans = NULL, *targets = NULL, *p, *t;
	struct pcmt_err err;
	size_t i, j;
	char code[17];

	err_clear(&err);
	if (list_all(s, &ent_plans, NULL, NULL, &plans, &err) || list_all(s, &ent_targets, NULL, NULL, &targets, &err)) {
		json_decref(plans);
		return cli_fail("plans", "%s", err.message);
	}
	json_array_foreach(plans, i, p) {
		int n = 0;

		json_array_foreach(targets, j, t)
			n += json_integer_value(json_object_get(t, "plan_id")) == json_integer_value(json_object_get(p, "id"));
		json_object_set_new(p, "targets", json_integer(n));
		json_object_set_new(p, "scope_code", json_string(ou_code(s, json_object_get(p, "scope_ou"), code)));
	}
	if (!strcmp(fmt, "json")) {
		if (json_dumpf(plans, stdout, JSON_INDENT(2)) == 0)
			putchar('\n');
	} else if (!strcmp(fmt, "csv")) {
		puts("code,scope,period_from,period_to,date_issued,targets,title");
		json_array_foreach(plans, i, p) {
			csv_text(js(p, "code"));
			printf(",%s,%s,%s,%s,%lld,", js(p, "scope_code"), js(p, "period_from"), js(p, "period_to"),
			       js(p, "date_issued"), (long long)json_integer_value(json_object_get(p, "targets")));
			csv_text(js(p, "title"));
			putchar('\n');
		}
	} else {
		printf("%-20s %-6s %-23s %7s  %s\n", "code", "scope", "period", "targets", "title");
		json_array_foreach(plans, i, p)
			printf("%-20s %-6s %s..%s %7lld  %s\n", js(p, "code"), js(p, "scope_code"), js(p, "period_from"),
			       js(p, "period_to"), (long long)json_integer_value(json_object_get(p, "targets")), js(p, "title"));
	}
	json_decref(plans);
	json_decref(targets);
	return 0;
}

static int do_show(struct store *s, const char *code, const char *fmt)
{
	json_t *plans = NULL, *targets = NULL, *p, *t, *v = json_string(code);
	struct pcmt_err err;
	size_t i;
	int rc = 1;
	char sc[17];

	err_clear(&err);
	if (!v)
		return cli_fail("plans", "the code is not valid UTF-8");
	if (list_all(s, &ent_plans, "code", v, &plans, &err)) {
		cli_fail("plans", "%s", err.message);
		goto out;
	}
	if (!(p = json_array_get(plans, 0))) {
		cli_fail("plans", "no plan has the code %s (pcmt plans list)", code);
		goto out;
	}
	json_decref(v);
	v = json_integer(json_integer_value(json_object_get(p, "id")));
	if (list_all(s, &ent_targets, "plan_id", v, &targets, &err)) {
		cli_fail("plans", "%s", err.message);
		goto out;
	}
	if (!strcmp(fmt, "json")) {
		json_object_set(p, "targets", targets);
		if (json_dumpf(p, stdout, JSON_INDENT(2)) == 0)
			putchar('\n');
	} else if (!strcmp(fmt, "csv")) {
		puts("id,indicator,comparator,value,unit,period_kind,deadline,denominator,scope,statement");
		json_array_foreach(targets, i, t) {
			printf("%lld,%s,%s,%lld,%s,%s,%s,", (long long)json_integer_value(json_object_get(t, "id")),
			       js(t, "indicator"), js(t, "comparator"), (long long)json_integer_value(json_object_get(t, "value")),
			       js(t, "unit"), js(t, "period_kind"), js(t, "deadline"));
			if (json_is_integer(json_object_get(t, "denominator")))
				printf("%lld", (long long)json_integer_value(json_object_get(t, "denominator")));
			printf(",%s,", ou_code(s, json_object_get(t, "scope_ou"), sc));
			csv_text(js(t, "statement"));
			putchar('\n');
		}
	} else {
		printf("Plan %s: %s\n", js(p, "code"), js(p, "title"));
		printf("Scope %s, period %s..%s, issued %s\n", ou_code(s, json_object_get(p, "scope_ou"), sc),
		       js(p, "period_from"), js(p, "period_to"), *js(p, "date_issued") ? js(p, "date_issued") : "-");
		if (*js(p, "source"))
			printf("Source: %s\n", js(p, "source"));
		json_array_foreach(targets, i, t) {
			printf("\n[%lld] %s %s %lld %s, %s, by %s", (long long)json_integer_value(json_object_get(t, "id")),
			       js(t, "indicator"), js(t, "comparator"), (long long)json_integer_value(json_object_get(t, "value")),
			       js(t, "unit"), js(t, "period_kind"), js(t, "deadline"));
			if (json_is_integer(json_object_get(t, "denominator")))
				printf(", of %lld assigned", (long long)json_integer_value(json_object_get(t, "denominator")));
			if (json_is_integer(json_object_get(t, "scope_ou")))
				printf(", scope %s", ou_code(s, json_object_get(t, "scope_ou"), sc));
			putchar('\n');
			if (*js(t, "statement"))
				printf("    \"%s\"\n", js(t, "statement"));
			if (*js(t, "note"))
				printf("    note: %s\n", js(t, "note"));
		}
	}
	rc = 0;
out:
	json_decref(v);
	json_decref(plans);
	json_decref(targets);
	return rc;
}

static int do_seed(struct store *s)
{
	struct ent_ctx ctx = {date_today()};
	struct pcmt_err err;

	err_clear(&err);
	if (s->ops->begin(s, &err))
		return cli_fail("plans", "%s", err.message);
	if (demo_plans(s, &ctx, &err)) {
		s->ops->rollback(s);
		if (err.code == ERR_CONFLICT)
			return cli_fail("plans", "the seeds' plans are already there (%s)", err.message);
		return cli_fail("plans", "cannot load the seeds' plans: %s (%s)", err.message, err.field);
	}
	if (s->ops->commit(s, &err))
		return cli_fail("plans", "%s", err.message);
	printf("plans: the seeds' plans loaded (pcmt plans list)\n");
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"format", required_argument, 0, 'f'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *fmt = "table", *sub, *code = NULL;
	struct store *s;
	int c, rc;

	if (argc < 2)
		return cli_usage(&cmd_plans);
	sub = argv[1];
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "seed"))
		return cli_usage(&cmd_plans);
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'f')
			fmt = optarg;
		else
			return cli_usage(&cmd_plans);
	}
	if (!strcmp(sub, "show")) {
		if (optind + 1 != argc)
			return cli_fail("plans", "show takes one plan code"), 2;
		code = argv[optind];
	} else if (optind < argc) {
		return cli_usage(&cmd_plans);
	}
	if (strcmp(fmt, "table") && strcmp(fmt, "json") && strcmp(fmt, "csv"))
		return cli_fail("plans", "--format must be table, json or csv"), 2;
	if (!(s = cli_open(cli_db(db), 1)))
		return 1;
	rc = !strcmp(sub, "seed") ? do_seed(s) : code ? do_show(s, code, fmt) : do_list(s, fmt);
	store_close(s);
	return rc;
}

const struct cmd cmd_plans = {"plans", "list programme plans and their targets", usage, run};
