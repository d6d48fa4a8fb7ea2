/* api_health.c: GET /api/v1/health: liveness, version, backend and row counts (tests and
 * monitoring poll it). */
#include "http/http.h"

int api_health(struct http_req *r)
{
	struct pcmt_err err;
	json_t *counts = NULL;

	err_clear(&err);
	if (r->st->ops->counts(r->st, &counts, &err))
		return http_fail(r, &err);
	return http_json(r, 200, json_pack("{s:s, s:s, s:s, s:o}", "status", "ok", "version", PCMT_VERSION,
					   "backend", r->st->ops->name, "counts", counts));
}
