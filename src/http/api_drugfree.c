/* api_drugfree.c: GET /api/v1/drug-free?orgunit=CODE&date=YYYY-MM-DD[&details=0|1][&names=0|1][&suppress=0|1]:
 * the drug-free commune evaluation of every commune under an org unit on a date (engine/drugfree). */
#include <string.h>

#include "engine/drugfree.h"
#include "http/http.h"
#include "util/date.h"

struct df_args {
	const char *orgunit, *date, *details, *names, *suppress;
};

static int df_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct df_args *a = cls;

	if (!strcmp(k, "orgunit"))
		a->orgunit = v;
	else if (!strcmp(k, "date"))
		a->date = v;
	else if (!strcmp(k, "details"))
		a->details = v;
	else if (!strcmp(k, "names"))
		a->names = v;
	else if (!strcmp(k, "suppress"))
		a->suppress = v;
	else
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use orgunit, date, details, names, suppress)",
				  k);
	return 0;
}

static int flag(struct http_req *r, const char *name, const char *v, int dflt, int *out)
{
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!strcmp(v, "1") || !strcmp(v, "true")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "0") || !strcmp(v, "false")) {
		*out = 0;
		return 0;
	}
	return http_failf(r, ERR_INVALID, name, "%s must be 0 or 1", name);
}

int api_drugfree(struct http_req *r)
{
	struct df_args a = {0};
	struct drugfree_opts o = {0};
	struct pcmt_err err;
	json_t *out = NULL;

	err_clear(&err);
	if (http_query_each(r, df_param, &a))
		return -1;
	if ((!a.orgunit || !*a.orgunit) && !(r->scope && r->scope->ou_id))
		return http_failf(r, ERR_INVALID, "orgunit", "orgunit is required (a code such as 40, or an id)");
	if (!a.date)
		o.date = r->ctx.today;
	else if (date_parse(a.date, &o.date))
		return http_failf(r, ERR_INVALID, "date", "date must be a real date, YYYY-MM-DD or DD/MM/YYYY");
	if (http_resolve_root_on(r, "orgunit", a.orgunit, NULL, o.date, &o.ou_id))
		return -1;
	if (flag(r, "details", a.details, 1, &o.details) || flag(r, "names", a.names, 1, &o.names) ||
	    flag(r, "suppress", a.suppress, 0, &o.suppress))
		return -1;
	/* viewers see aggregates only: no names, no person ids, no per-person failure rows, and small
	 * cells suppressed (docs/security.md); anyone may ask for the latter with suppress=1 */
	if (r->user && r->user->role == ROLE_VIEWER) {
		o.names = 0;
		o.aggregate_only = 1;
		o.suppress = 1;
	}
	if (o.suppress)
		o.names = 0; /* failures are left out: no name is looked up */
	o.scope = r->scope;
	if (drugfree_eval(r->live, r->st, &o, &out, &err))
		return http_fail(r, &err);
	return http_json(r, 200, out);
}
