/* api_audit.c: GET /api/v1/audit?user=&since=&until=&action=&limit=&offset= (admins only, by the
 * route table): the audit log in chain order; ?verify=1 checks the chain instead. */
#include <string.h>

#include "auth/auditlog.h"
#include "http/http.h"
#include "util/arena.h"

struct au_args {
	struct audit_filter f;
	int verify;
};

static int au_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct au_args *a = cls;
	int64_t n;

	if (!strcmp(k, "user"))
		a->f.user = v;
	else if (!strcmp(k, "since"))
		a->f.since = v;
	else if (!strcmp(k, "until"))
		a->f.until = v;
	else if (!strcmp(k, "action"))
		a->f.action = v;
	else if (!strcmp(k, "verify"))
		a->verify = v && !strcmp(v, "1");
	else if (!strcmp(k, "limit")) {
		if ((n = http_parse_pos(v)) <= 0 || n > 10000)
			return http_failf(r, ERR_BAD_REQUEST, k, "limit must be a whole number from 1 to 10000");
		a->f.limit = (int)n;
	} else if (!strcmp(k, "offset")) {
		if (v && !strcmp(v, "0"))
			n = 0;
		else if ((n = http_parse_pos(v)) <= 0 || n > 1000000000)
			return http_failf(r, ERR_BAD_REQUEST, k, "offset must be a whole number from 0");
		a->f.offset = (int)n;
	} else
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use user, since, until, action, limit, "
				  "offset, verify)", k);
	if (v && strlen(v) > 64)
		return http_failf(r, ERR_BAD_REQUEST, k, "%s is longer than 64 bytes", k);
	return 0;
}

int api_audit(struct http_req *r)
{
	struct au_args a;
	struct pcmt_err err;
	json_t *items = NULL;

	memset(&a, 0, sizeof(a));
	a.f.limit = 100;
	err_clear(&err);
	if (http_query_each(r, au_param, &a))
		return -1;
	r->audit = 1; /* reading the audit log is itself logged */
	snprintf(r->audit_action, sizeof(r->audit_action), "audit");
	if (a.verify) {
		struct audit_verdict v;

		if (audit_verify(r->st, &v, &err))
			return http_fail(r, &err);
		return http_json(r, 200, json_pack("{s:b, s:I, s:I, s:s, s:s}", "intact", v.broken_at == 0, "checked",
						   (json_int_t)v.checked, "broken_at", (json_int_t)v.broken_at, "why", v.why,
						   "head", v.head));
	}
	if (audit_query(r->st, &a.f, &items, &err))
		return http_fail(r, &err);
	return http_json(r, 200, json_pack("{s:o, s:i, s:i}", "items", items, "limit", a.f.limit, "offset", a.f.offset));
}
