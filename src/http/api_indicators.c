/* api_indicators.c: GET /api/v1/indicators?plan=CODE[&orgunit=CODE][&period=2022|2022-Q1|2022-03|plan]
 * [&date=YYYY-MM-DD][&suppress=0|1]: a plan's targets with each unit's value and status (engine/indicators), and
 * GET /api/v1/measures: what can be measured, with the documentation of each measure. */
#include <stdlib.h>
#include <string.h>

#include "domain/suppress.h"
#include "engine/indicators.h"
#include "engine/live.h"
#include "http/http.h"
#include "util/date.h"

struct ia_args {
	const char *plan, *orgunit, *period, *date, *suppress;
};

static int ia_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct ia_args *a = cls;
	const char **slot = !strcmp(k, "plan") ? &a->plan
			    : !strcmp(k, "orgunit") ? &a->orgunit
			    : !strcmp(k, "period") ? &a->period
			    : !strcmp(k, "date") ? &a->date
			    : !strcmp(k, "suppress") ? &a->suppress
						 : NULL;

	if (!slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use plan, orgunit, period, date, suppress)",
				  k);
	if (*slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "%s is given twice", k);
	*slot = v ? v : "";
	return 0;
}

/* Small cells (docs/security.md) in one target's units: every whole-number measure from 1 to t-1 is
 * "<t"; the first unit is the root, and when the units below it add up to it exactly for a measure,
 * that sum is a line for secondary suppression ("x"). A unit with a hidden measure loses its value
 * and progress (a share of a small count gives it back), the target its result when the root does. */
static int suppress_target(json_t *target, int64_t t, struct pcmt_err *err)
{
	json_t *units = json_object_get(target, "units"), *u0 = json_array_get(units, 0), *mv;
	size_t n = json_array_size(units);
	const char *m;
	int rc = 0;

	if (n == 0 || !json_is_object(json_object_get(u0, "measures")))
		return 0;
	json_object_foreach(json_object_get(u0, "measures"), m, mv) {
		int64_t *val = calloc(n, sizeof *val);
		unsigned char *st = calloc(n, 1);
		int *cells = calloc(n, sizeof *cells), ok = 1;
		struct sup_line line;
		int64_t sum = 0;

		if (!val || !st || !cells) {
			rc = err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto next;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *v = json_object_get(json_object_get(json_array_get(units, i), "measures"), m);

			if (!json_is_integer(v) || json_integer_value(v) < 0) {
				ok = 0; /* not a count: left alone */
				break;
			}
			val[i] = json_integer_value(v);
			if (i) {
				cells[i - 1] = (int)i;
				sum += val[i];
			}
		}
		if (!ok)
			goto next;
		line = (struct sup_line){0, (int)n - 1, cells};
		if (sup_apply(t, (int)n, val, n > 1 && sum == val[0] ? 1 : 0, &line, st, err)) {
			rc = -1;
			goto next;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *u = json_array_get(units, i);
			char buf[SUP_TEXT_MAX];

			if (!st[i])
				continue;
			json_object_set_new(json_object_get(u, "measures"), m, json_string(sup_text(val[i], st[i], t, buf)));
			if (json_object_get(u, "value"))
				json_object_set_new(u, "value", json_null());
			if (json_object_get(u, "progress"))
				json_object_set_new(u, "progress", json_null());
			if (i == 0 && json_object_get(target, "result"))
				json_object_set_new(target, "result", json_null());
		}
next:
		free(val);
		free(st);
		free(cells);
		if (rc)
			return rc;
	}
	return 0;
}

int api_indicators(struct http_req *r)
{
	struct ia_args a = {0};
	struct ind_opts o = {0};
	struct pcmt_err err;
	json_t *out = NULL;
	int suppress = 0;
	int64_t t = 0;

	err_clear(&err);
	if (http_query_each(r, ia_param, &a))
		return -1;
	if (!a.plan || !*a.plan)
		return http_failf(r, ERR_INVALID, "plan", "plan is required: a plan's code such as 180/KH-UBND (GET /api/v1/plans)");
	o.plan = a.plan;
	if (!a.date)
		o.date = r->ctx.today;
	else if (date_parse(a.date, &o.date))
		return http_failf(r, ERR_INVALID, "date", "date must be a real date, YYYY-MM-DD or DD/MM/YYYY");
	if (a.period && !*a.period)
		return http_failf(r, ERR_INVALID, "period", "period needs a value: 2022, 2022-Q1, 2022-03 or plan");
	o.period = a.period;
	if (http_resolve_root(r, "orgunit", a.orgunit, NULL, &o.ou_id))
		return -1;
	if (a.suppress) {
		if (!strcmp(a.suppress, "1") || !strcmp(a.suppress, "true"))
			suppress = 1;
		else if (strcmp(a.suppress, "0") && strcmp(a.suppress, "false"))
			return http_failf(r, ERR_INVALID, "suppress", "suppress must be 0 or 1");
	}
	/* viewers' answers always (docs/security.md) */
	if (r->user && r->user->role == ROLE_VIEWER)
		suppress = 1;
	if (suppress && sup_threshold(live_rules(r->live), o.date, &t, &err))
		return http_fail(r, &err);
	if (ind_answer(r->live, r->st, &o, &out, &err))
		return http_fail(r, &err);
	if (suppress) {
		json_t *tg;
		size_t i;

		json_array_foreach(json_object_get(out, "targets"), i, tg)
			if (suppress_target(tg, t, &err)) {
				json_decref(out);
				return http_fail(r, &err);
			}
	}
	return http_json(r, 200, out);
}

static int no_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (measures takes none)", k);
}

int api_measures(struct http_req *r)
{
	if (http_query_each(r, no_param, NULL))
		return -1;
	return http_json(r, 200, ind_catalogue());
}
