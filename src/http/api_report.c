/* api_report.c: GET /api/v1/reports?plan=CODE&format=xlsx|pdf|csv[&period=P][&orgunit=CODE]
 * [&date=YYYY-MM-DD][&lang=vi|en]: a plan's report as a file (src/report/), the same bytes
 * `pcmt report` writes, sent as an attachment with its Content-Type so that the web UI can offer it
 * as a download. Errors are JSON like every other route. */
#include <string.h>

#include "domain/indicators.h"
#include "http/http.h"
#include "report/report.h"
#include "util/date.h"

struct rp_args {
	const char *plan, *orgunit, *period, *date, *format, *lang;
};

static int rp_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct rp_args *a = cls;
	const char **slot = !strcmp(k, "plan")	  ? &a->plan
			    : !strcmp(k, "orgunit") ? &a->orgunit
			    : !strcmp(k, "period")  ? &a->period
			    : !strcmp(k, "date")    ? &a->date
			    : !strcmp(k, "format")  ? &a->format
			    : !strcmp(k, "lang")    ? &a->lang
						    : NULL;

	if (!slot)
		return http_failf(r, ERR_BAD_REQUEST, k,
				  "unknown parameter %s (use plan, orgunit, period, date, format, lang)", k);
	if (*slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "%s is given twice", k);
	*slot = v ? v : "";
	return 0;
}

int api_report(struct http_req *r)
{
	struct rp_args a = {0};
	struct rep_opts o = {0};
	enum rep_format fmt = REP_XLSX;
	struct ind_period per;
	struct report *rep = NULL;
	struct pcmt_err err;
	char *buf = NULL, name[128];
	size_t len = 0;

	err_clear(&err);
	if (http_query_each(r, rp_param, &a))
		return -1;
	if (!a.plan || !*a.plan)
		return http_failf(r, ERR_INVALID, "plan", "plan is required: a plan's code such as 180/KH-UBND (GET /api/v1/plans)");
	if (a.format && rep_format_parse(a.format, &fmt))
		return http_failf(r, ERR_INVALID, "format", "format must be xlsx, pdf or csv");
	if (a.lang && rep_lang_parse(a.lang, &o.lang))
		return http_failf(r, ERR_INVALID, "lang", "lang must be vi or en");
	o.plan = a.plan;
	if (!a.date)
		o.date = r->ctx.today;
	else if (date_parse(a.date, &o.date))
		return http_failf(r, ERR_INVALID, "date", "date must be a real date, YYYY-MM-DD or DD/MM/YYYY");
	if (a.period && ind_period_parse(a.period, "period", &per, &err))
		return http_fail(r, &err);
	o.period = a.period;
	if (a.orgunit && http_resolve_ou(r, "orgunit", a.orgunit, &o.ou_id))
		return -1;
	o.scope = r->scope;
	o.aggregates_only = r->user && r->user->role == ROLE_VIEWER;
	if (rep_build(r->live, r->st, &o, &rep, &err) || rep_render(rep, fmt, &buf, &len, &err)) {
		rep_free(rep);
		return http_fail(r, &err);
	}
	snprintf(name, sizeof(name), "%s.%s", rep->basename, rep_format_ext(fmt));
	rep_free(rep);
	return http_bytes(r, 200, rep_format_mime(fmt), name, buf, len);
}
