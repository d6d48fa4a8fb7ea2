/* routes.c: the API's route table (libmicrohttpd examples style: a table ending in a 404 sentinel).
 * Patterns are matched segment by segment; {entity} matches the name of an entity in ent_all[] and
 * {id} any one segment (handlers check it with http_need_id). More specific routes come first.
 *
 * Authorisation is declared here and nowhere else: each route names the roles that may call it
 * (0 = public), and the {entity} routes take theirs from entity_access[] below, by entity and by
 * read or write. The dispatcher (server.c) authenticates, refuses other roles with 403 and gives
 * the handler the caller's org-unit scope, which the store applies to every person-level row. */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "util/arena.h"

struct route {
	const char *method;  /* NULL in the sentinel */
	const char *pattern;
	http_handler fn;
	int body;            /* 1: reads a JSON body; 2: a raw upload of up to HTTP_UPLOAD_MAX bytes */
	int roles;           /* who may call it (enum auth_role bits); 0 public; BY_ENTITY: entity_access[] */
	const char *audit;   /* audit every call as this action ("read" of persons, "export"); NULL: the
				dispatcher's default (person-level entities, writes, refusals) */
};

enum { BY_ENTITY = -1 };

#define STAFF (ROLE_ADMIN | ROLES_OFFICER)        /* officers and admins */
#define CARE (STAFF | ROLE_HEALTH)                /* ... and health workers */

/* Who may read and write each entity through the generic CRUD routes. Health workers: tests,
 * determinations, treatments and support, and reading persons; viewers: no person-level entity at
 * all (they see aggregates: drug-free roll-ups, indicators, classification). An entity missing
 * here is for admins only. */
static const struct {
	const char *entity;
	int read, write;
} entity_access[] = {
	{"orgunits", ROLES_ALL, ROLE_ADMIN},
	{"facilities", ROLES_ALL, ROLE_ADMIN | ROLE_PROVINCE},
	{"persons", CARE, STAFF},
	{"classifications", STAFF, STAFF},
	{"records", STAFF, STAFF},
	{"determinations", CARE, CARE},
	{"tests", CARE, CARE},
	{"treatments", CARE, CARE},
	{"support", CARE, CARE},
	{"plans", ROLES_ALL, STAFF},
	{"targets", ROLES_ALL, STAFF},
	{"custom_indicators", ROLES_ALL, STAFF},
	{"populations", ROLES_ALL, STAFF},
	{"hotspots", STAFF, STAFF},
	{"cases", STAFF, STAFF},
	{"plant_sites", STAFF, STAFF},
	{"communication", STAFF, STAFF},
	{"prescriptions", CARE, CARE},
	{"doses", CARE, CARE},
	{"stock_movements", CARE, CARE},
	{"reconciliations", CARE, CARE},
	{"guest_authorisations", CARE, CARE},
	{NULL, 0, 0}};

int http_entity_roles(const struct entity_def *e, int write)
{
	for (int i = 0; e && entity_access[i].entity; i++)
		if (!strcmp(entity_access[i].entity, e->name))
			return write ? entity_access[i].write : entity_access[i].read;
	return ROLE_ADMIN;
}

int http_may(const struct http_req *r, const struct entity_def *e, int write)
{
	return r->user && (http_entity_roles(e, write) & r->user->role);
}

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
#define MAT_IMMUTABLE(ent) {"PUT", "/api/v1/" ent "/{id}", api_mat_immutable, 1, CARE, NULL}, \
	{"PATCH", "/api/v1/" ent "/{id}", api_mat_immutable, 1, CARE, NULL}, \
	{"DELETE", "/api/v1/" ent "/{id}", api_mat_immutable, 0, CARE, NULL}

static const struct route routes[] = {
	{"GET", "/api/v1/health", api_health, 0, 0, NULL}, /* ?counts=1 is for admins (api_health.c) */
	{"POST", "/api/v1/auth/login", api_login, 1, 0, NULL},
	{"POST", "/api/v1/auth/logout", api_logout, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/auth/me", api_me, 0, ROLES_ALL, NULL},
	{"POST", "/api/v1/auth/tokens", api_token_new, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/audit", api_audit, 0, ROLE_ADMIN, NULL},
	{"GET", "/api/v1/enums", api_enums, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/schema", api_schema, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/persons/{id}/timeline", api_person_timeline, 0, CARE, "read"},
	{"GET", "/api/v1/persons/{id}/residence", api_person_residence, 0, CARE, "read"},
	{"GET", "/api/v1/orgunits/search", api_orgunit_search, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/orgunits/{id}/history", api_orgunit_history, 0, ROLES_ALL, NULL},
	/* the pending persons of a split commune, by name, for the officers of its candidate units */
	{"GET", "/api/v1/reassignments", api_reassign_list, 0, STAFF, "read"},
	{"POST", "/api/v1/reassignments", api_reassign, 1, STAFF, NULL},
	{"GET", "/api/v1/rules", api_rules, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/drug-free", api_drugfree, 0, ROLES_ALL, "read"}, /* viewers: no names, no person ids */
	{"GET", "/api/v1/indicators", api_indicators, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/measures", api_measures, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/classification", api_classification, 0, ROLES_ALL, NULL},
	{"GET", "/api/v1/reports", api_report, 0, ROLES_ALL, "export"},
	{"GET", "/api/v1/mat/queue", api_mat_queue, 0, CARE, "read"},
	{"GET", "/api/v1/mat/stock", api_mat_stock_day, 0, CARE, NULL},
	{"GET", "/api/v1/mat/indicators", api_mat_indicators, 0, CARE, NULL},
	{"POST", "/api/v1/prescriptions", api_mat_prescribe, 1, CARE, NULL},
	{"POST", "/api/v1/doses", api_mat_dose, 1, CARE, NULL},
	{"POST", "/api/v1/stock_movements", api_mat_stock_add, 1, CARE, NULL},
	{"POST", "/api/v1/reconciliations", api_mat_reconcile, 1, CARE, NULL},
	{"POST", "/api/v1/guest_authorisations", api_mat_guest_authorise, 1, CARE, NULL},
	MAT_IMMUTABLE("prescriptions"),
	MAT_IMMUTABLE("doses"),
	MAT_IMMUTABLE("stock_movements"),
	MAT_IMMUTABLE("reconciliations"),
	MAT_IMMUTABLE("guest_authorisations"),
	/* who may import what is checked per entity by the handler (http_may) */
	{"POST", "/api/v1/imports", api_import, 2, CARE, "import"},
	{"GET", "/api/v1/due", api_due, 0, CARE, "read"}, /* names persons: not for viewers */
	{"GET", "/api/v1/{entity}", api_list, 0, BY_ENTITY, NULL},
	{"POST", "/api/v1/{entity}", api_create, 1, BY_ENTITY, NULL},
	{"GET", "/api/v1/{entity}/{id}", api_get, 0, BY_ENTITY, NULL},
	{"PUT", "/api/v1/{entity}/{id}", api_replace, 1, BY_ENTITY, NULL},
	{"PATCH", "/api/v1/{entity}/{id}", api_patch, 1, BY_ENTITY, NULL},
	{"DELETE", "/api/v1/{entity}/{id}", api_delete, 0, BY_ENTITY, NULL},
	{NULL, NULL, not_found, 0, 0, NULL}};

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

size_t http_body_cap(const char *method, const char *path)
{
	/* upload routes have literal patterns; a trailing slash is ignored as in http_route */
	for (const struct route *rt = routes; rt->method; rt++) {
		size_t n = strlen(rt->pattern);

		if (rt->body == 2 && !strcmp(rt->method, method) && !strncmp(path, rt->pattern, n) &&
		    (path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0')))
			return HTTP_UPLOAD_MAX;
	}
	return HTTP_BODY_MAX;
}

http_handler http_route(struct http_req *r, int *needs_body, int *roles)
{
	size_t plen = strlen(r->path);
	char allow[64] = "";
	size_t an = 0;

	*needs_body = 0;
	*roles = 0;
	if (plen > 1 && r->path[plen - 1] == '/')
		plen--; /* "/api/v1/persons/" is "/api/v1/persons" */
	for (const struct route *rt = routes; rt->method; rt++) {
		if (!strcmp(rt->method, r->method) && match(r, rt->pattern, r->path, plen)) {
			*needs_body = rt->body;
			*roles = rt->roles == BY_ENTITY ? http_entity_roles(r->ent, strcmp(r->method, "GET") != 0)
							: rt->roles;
			if (rt->audit) {
				r->audit = 1;
				snprintf(r->audit_action, sizeof(r->audit_action), "%s", rt->audit);
			}
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
