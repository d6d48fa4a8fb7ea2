/* api_health.c: GET /api/v1/health: liveness, version and backend, cheap enough for a load
 * balancer to poll every second; ?counts=1 adds the row count of every table (tests, monitoring),
 * which on a national database means scanning tens of millions of rows. */
#include <string.h>

#include "http/http.h"

int api_health(struct http_req *r)
{
	struct pcmt_err err;
	json_t *counts = NULL, *out;
	const char *c = http_query(r, "counts");

	err_clear(&err);
	out = json_pack("{s:s, s:s, s:s}", "status", "ok", "version", PCMT_VERSION, "backend", r->st->ops->name);
	if (c && strcmp(c, "0")) {
		/* row counts are for admins: the route is public, so the check is the handler's */
		if (!r->user) {
			json_decref(out);
			return http_failf(r, ERR_UNAUTHENTICATED, "counts", "counts=1 needs an administrator's credentials");
		}
		if (r->user->role != ROLE_ADMIN) {
			json_decref(out);
			return http_failf(r, ERR_FORBIDDEN, "counts", "counts=1 is for administrators");
		}
		if (r->st->ops->counts(r->st, &counts, &err)) {
			json_decref(out);
			return http_fail(r, &err);
		}
		json_object_set_new(out, "counts", counts);
	}
	return http_json(r, 200, out);
}
