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
		if (r->st->ops->counts(r->st, &counts, &err)) {
			json_decref(out);
			return http_fail(r, &err);
		}
		json_object_set_new(out, "counts", counts);
	}
	return http_json(r, 200, out);
}
