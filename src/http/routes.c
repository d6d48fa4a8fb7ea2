/* routes.c: the API's route table (libmicrohttpd examples style: a table ending in a 404 sentinel).
 * Patterns are matched segment by segment; {entity} matches the name of an entity in ent_all[] and
 * {id} any one segment (handlers check it with http_need_id). More specific routes come first. */
#include <string.h>

#include "http/http.h"
#include "util/arena.h"

struct route {
	const char *method;  /* NULL in the sentinel */
	const char *pattern;
	http_handler fn;
	int body;            /* reads a JSON body */
};

static int not_found(struct http_req *r)
{
	return http_failf(r, ERR_NOT_FOUND, NULL, "no such API route; see /api/v1/schema and docs/api.md");
}

static int not_allowed(struct http_req *r)
{
	return http_failf(r, ERR_METHOD, NULL, "method %s is not allowed here (allowed: %s)", r->method,
			  r->allow ? r->allow : "none");
}

/* the clinic's records are written through api_mat.c and never changed (docs/ost.md) */
#define MAT_IMMUTABLE(ent) {"PUT", "/api/v1/" ent "/{id}", api_mat_immutable, 1}, \
	{"PATCH", "/api/v1/" ent "/{id}", api_mat_immutable, 1}, {"DELETE", "/api/v1/" ent "/{id}", api_mat_immutable, 0}

static const struct route routes[] = {
	{"GET", "/api/v1/health", api_health, 0},
	{"GET", "/api/v1/enums", api_enums, 0},
	{"GET", "/api/v1/schema", api_schema, 0},
	{"GET", "/api/v1/persons/{id}/timeline", api_person_timeline, 0},
	{"GET", "/api/v1/rules", api_rules, 0},
	{"GET", "/api/v1/drug-free", api_drugfree, 0},
	{"GET", "/api/v1/indicators", api_indicators, 0},
	{"GET", "/api/v1/measures", api_measures, 0},
	{"GET", "/api/v1/classification", api_classification, 0},
	{"GET", "/api/v1/reports", api_report, 0},
	{"GET", "/api/v1/mat/queue", api_mat_queue, 0},
	{"GET", "/api/v1/mat/stock", api_mat_stock_day, 0},
	{"POST", "/api/v1/prescriptions", api_mat_prescribe, 1},
	{"POST", "/api/v1/doses", api_mat_dose, 1},
	{"POST", "/api/v1/stock_movements", api_mat_stock_add, 1},
	{"POST", "/api/v1/reconciliations", api_mat_reconcile, 1},
	MAT_IMMUTABLE("prescriptions"),
	MAT_IMMUTABLE("doses"),
	MAT_IMMUTABLE("stock_movements"),
	MAT_IMMUTABLE("reconciliations"),
	{"GET", "/api/v1/{entity}", api_list, 0},
	{"POST", "/api/v1/{entity}", api_create, 1},
	{"GET", "/api/v1/{entity}/{id}", api_get, 0},
	{"PUT", "/api/v1/{entity}/{id}", api_replace, 1},
	{"PATCH", "/api/v1/{entity}/{id}", api_patch, 1},
	{"DELETE", "/api/v1/{entity}/{id}", api_delete, 0},
	{NULL, NULL, not_found, 0}};

/* Next '/'-separated segment of *p (without the slash) as [s, s+n); 0 at the end. */
static int segment(const char **p, const char **s, size_t *n)
{
	if (**p != '/')
		return 0;
	*s = ++*p;
	while (**p && **p != '/')
		(*p)++;
	*n = (size_t)(*p - *s);
	return 1;
}

/* 1 if path matches pattern; fills r->ent and r->id_text from its parameters when it does. */
static int match(struct http_req *r, const char *pattern, const char *path, size_t plen)
{
	const char *pp = pattern, *up = path, *ps = NULL, *us = NULL, *end = path + plen;
	size_t pn = 0, un = 0;
	const struct entity_def *ent = NULL;
	const char *id = NULL;
	size_t idn = 0;

	for (;;) {
		int more_p = segment(&pp, &ps, &pn), more_u = up < end && segment(&up, &us, &un);

		if (up > end)
			return 0;
		if (!more_p || !more_u) {
			if (more_p || more_u)
				return 0;
			break;
		}
		if (pn == 8 && !memcmp(ps, "{entity}", 8)) {
			char name[32];

			if (un == 0 || un >= sizeof(name))
				return 0;
			memcpy(name, us, un);
			name[un] = '\0';
			if (!(ent = ent_find(name)))
				return 0;
		} else if (pn == 4 && !memcmp(ps, "{id}", 4)) {
			if (un == 0)
				return 0;
			id = us;
			idn = un;
		} else if (pn != un || memcmp(ps, us, un)) {
			return 0;
		}
	}
	r->ent = ent;
	r->id_text = id ? arena_strndup(r->arena, id, idn) : NULL;
	return 1;
}

http_handler http_route(struct http_req *r, int *needs_body)
{
	size_t plen = strlen(r->path);
	char allow[64] = "";
	size_t an = 0;

	*needs_body = 0;
	if (plen > 1 && r->path[plen - 1] == '/')
		plen--; /* "/api/v1/persons/" is "/api/v1/persons" */
	for (const struct route *rt = routes; rt->method; rt++) {
		if (!strcmp(rt->method, r->method) && match(r, rt->pattern, r->path, plen)) {
			*needs_body = rt->body;
			return rt->fn;
		}
	}
	/* Known path, other method: 405 with the methods it does take. */
	for (const struct route *rt = routes; rt->method; rt++) {
		if (!match(r, rt->pattern, r->path, plen) || strstr(allow, rt->method))
			continue;
		an += (size_t)snprintf(allow + an, sizeof(allow) - an, "%s%s", an ? ", " : "", rt->method);
		if (an >= sizeof(allow))
			break;
	}
	r->ent = NULL;
	r->id_text = NULL;
	if (an) {
		r->allow = arena_strdup(r->arena, allow);
		return not_allowed;
	}
	return not_found;
}
