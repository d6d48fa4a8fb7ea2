/* api_classification.c: GET /api/v1/classification?year=YYYY[&orgunit=CODE][&details=0|1]: the
 * Decision 28/2025/QĐ-TTg type of every commune under an org unit for a year, with each criterion's
 * values, thresholds and status (engine/classification.h). */
#include <stdlib.h>
#include <string.h>

#include "engine/classification.h"
#include "http/http.h"
#include "util/date.h"

struct cl_args {
	const char *year, *orgunit, *details;
};

static int cl_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct cl_args *a = cls;
	const char **slot = !strcmp(k, "year") ? &a->year
			    : !strcmp(k, "orgunit") ? &a->orgunit
			    : !strcmp(k, "details") ? &a->details
						    : NULL;

	if (!slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use year, orgunit, details)", k);
	if (*slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "%s is given twice", k);
	*slot = v ? v : "";
	return 0;
}

int api_classification(struct http_req *r)
{
	struct cl_args a = {0};
	struct cx_opts o = {0};
	struct pcmt_err err;
	json_t *out = NULL;
	char *end;
	long y;

	err_clear(&err);
	if (http_query_each(r, cl_param, &a))
		return -1;
	if (!a.year || !*a.year)
		return http_failf(r, ERR_INVALID, "year", "year is required (the year to classify, e.g. 2025)");
	y = strtol(a.year, &end, 10);
	if (*end || strlen(a.year) != 4 || a.year[0] < '1' || a.year[0] > '9')
		return http_failf(r, ERR_INVALID, "year", "year must be four digits, e.g. 2025");
	o.year = (int)y;
	o.today = r->ctx.today;
	o.details = 1;
	if (a.details) {
		if (!strcmp(a.details, "0") || !strcmp(a.details, "false"))
			o.details = 0;
		else if (strcmp(a.details, "1") && strcmp(a.details, "true"))
			return http_failf(r, ERR_INVALID, "details", "details must be 0 or 1");
	}
	if (http_resolve_root(r, "orgunit", a.orgunit, "VN", &o.ou_id))
		return -1;
	if (cx_answer(r->live, r->st, &o, &out, &err))
		return http_fail(r, &err);
	return http_json(r, 200, out);
}
