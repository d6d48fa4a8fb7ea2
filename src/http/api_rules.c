/* api_rules.c: GET /api/v1/rules?date=YYYY-MM-DD&all=1: the rulebook, read-only, in the same JSON
 * as `pcmt rules --format json`: the rules in force on the date (default today), or every version.
 * Editing rules comes with roles (security issue). Never writes, not even to seed the rulebook. */
#include <string.h>

#include "engine/rulebook.h"
#include "http/http.h"
#include "util/date.h"

struct rules_q {
	int32_t date;
	int all;
};

static int rules_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct rules_q *q = cls;

	if (!strcmp(k, "date")) {
		if (!v || date_parse(v, &q->date))
			return http_failf(r, ERR_INVALID, "date", "date must be a date (YYYY-MM-DD or DD/MM/YYYY)");
		return 0;
	}
	if (!strcmp(k, "all")) {
		if (!v || !*v || !strcmp(v, "1") || !strcmp(v, "true"))
			q->all = 1;
		else if (!strcmp(v, "0") || !strcmp(v, "false"))
			q->all = 0;
		else
			return http_failf(r, ERR_INVALID, "all", "all must be 1 or 0 (or true or false)");
		return 0;
	}
	return http_failf(r, ERR_BAD_REQUEST, k, "unknown query parameter for rules (date and all are known)");
}

int api_rules(struct http_req *r)
{
	struct rules_q q = {r->ctx.today, 0};
	struct rulebook rb;
	struct pcmt_err err;
	json_t *body;
	int rc;

	if (http_query_each(r, rules_param, &q))
		return -1;
	err_clear(&err);
	rulebook_init(&rb);
	if (rulebook_read(r->st, &rb, &err)) {
		rc = http_fail(r, &err);
	} else if (!(body = rulebook_json(&rb, q.date, q.all))) {
		rc = http_failf(r, ERR_INTERNAL, NULL, "out of memory");
	} else {
		rc = http_json(r, 200, body);
	}
	rulebook_free(&rb);
	return rc;
}
