/* api_indicators.c: GET /api/v1/indicators?plan=CODE[&orgunit=CODE][&period=2022|2022-Q1|2022-03|plan]
 * [&date=YYYY-MM-DD]: a plan's targets with each unit's value and status (engine/indicators), and
 * GET /api/v1/measures: what can be measured, with the documentation of each measure. */
#include <string.h>

#include "engine/indicators.h"
#include "http/http.h"
#include "util/date.h"

struct ia_args {
	const char *plan, *orgunit, *period, *date;
};

static int ia_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct ia_args *a = cls;
	const char **slot = !strcmp(k, "plan") ? &a->plan
			    : !strcmp(k, "orgunit") ? &a->orgunit
			    : !strcmp(k, "period") ? &a->period
			    : !strcmp(k, "date") ? &a->date
						 : NULL;

	if (!slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use plan, orgunit, period, date)", k);
	if (*slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "%s is given twice", k);
	*slot = v ? v : "";
	return 0;
}

int api_indicators(struct http_req *r)
{
	struct ia_args a = {0};
	struct ind_opts o = {0};
	struct pcmt_err err;
	json_t *out = NULL;

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
	if (ind_answer(r->live, r->st, &o, &out, &err))
		return http_fail(r, &err);
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
