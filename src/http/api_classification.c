/* api_classification.c: GET /api/v1/classification?year=YYYY[&orgunit=CODE][&details=0|1][&suppress=0|1]: the
 * Decision 28/2025/QĐ-TTg type of every commune under an org unit for a year, with each criterion's
 * values, thresholds and status (engine/classification.h). */
#include <stdlib.h>
#include <string.h>

#include "domain/suppress.h"
#include "engine/classification.h"
#include "engine/live.h"
#include "http/http.h"
#include "util/date.h"

struct cl_args {
	const char *year, *orgunit, *details, *suppress;
};

static int cl_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct cl_args *a = cls;
	const char **slot = !strcmp(k, "year") ? &a->year
			    : !strcmp(k, "orgunit") ? &a->orgunit
			    : !strcmp(k, "details") ? &a->details
			    : !strcmp(k, "suppress") ? &a->suppress
						    : NULL;

	if (!slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use year, orgunit, details, suppress)", k);
	if (*slot)
		return http_failf(r, ERR_BAD_REQUEST, k, "%s is given twice", k);
	*slot = v ? v : "";
	return 0;
}

/* Small cells (docs/security.md): a count of persons ("persons": managed addicts and users,
 * "arrested") from 1 to t-1 becomes the string "<t", and its percentage of the population, which
 * would give it back, null. Each such count stands alone in the answer (no sums of persons are
 * printed), so no secondary suppression is needed. */
static void suppress_walk(json_t *j, int64_t t)
{
	static const char *const keys[] = {"persons", "arrested"};
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			suppress_walk(v, t);
		return;
	}
	if (!json_is_object(j))
		return;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_int_t n;

		v = json_object_get(j, keys[i]);
		if (!json_is_integer(v) || (n = json_integer_value(v)) < 1 || n >= t)
			continue;
		{
			char buf[SUP_TEXT_MAX];

			json_object_set_new(j, keys[i], json_string(sup_text(n, SUP_PRIMARY, t, buf)));
		}
		if (json_object_get(j, "percent"))
			json_object_set_new(j, "percent", json_null());
	}
	json_object_foreach(j, k, v)
		suppress_walk(v, t);
}

int api_classification(struct http_req *r)
{
	struct cl_args a = {0};
	struct cx_opts o = {0};
	struct pcmt_err err;
	json_t *out = NULL;
	char *end;
	long y;
	int suppress = 0;
	int64_t t = 0;

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
	if (a.suppress) {
		if (!strcmp(a.suppress, "1") || !strcmp(a.suppress, "true"))
			suppress = 1;
		else if (strcmp(a.suppress, "0") && strcmp(a.suppress, "false"))
			return http_failf(r, ERR_INVALID, "suppress", "suppress must be 0 or 1");
	}
	/* viewers' answers always (docs/security.md) */
	if (r->user && r->user->role == ROLE_VIEWER)
		suppress = 1;
	if (suppress && sup_threshold(live_rules(r->live), r->ctx.today, &t, &err))
		return http_fail(r, &err);
	if (cx_answer(r->live, r->st, &o, &out, &err))
		return http_fail(r, &err);
	if (suppress)
		suppress_walk(out, t);
	return http_json(r, 200, out);
}
