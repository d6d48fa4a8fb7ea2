/* api_reform.c: the 2025 reform over HTTP (docs/api.md, docs/reform.md): an org unit's history,
 * searches that know old names and codes, a person's residence history, and the re-assignment
 * list of persons whose commune was split, with the placing of one of them. */
#include <stdlib.h>
#include <string.h>

#include "engine/orghist.h"
#include "http/http.h"
#include "util/date.h"

/* ?date= (default today), shared by the GETs below. */
static int date_param(struct http_req *r, int32_t *date)
{
	const char *v = http_query(r, "date");

	*date = r->ctx.today;
	if (v && date_parse(v, date))
		return http_failf(r, ERR_INVALID, "date", "date must be a real date, YYYY-MM-DD or DD/MM/YYYY");
	return 0;
}

static int only_params(struct http_req *r, const char *k, const char *v, void *cls)
{
	const char *const *allowed = cls;

	for (int i = 0; allowed[i]; i++)
		if (!strcmp(k, allowed[i]))
			return 0;
	return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s", k);
}

/* GET /api/v1/orgunits/{id}/history[?date=]: {id} is an id, a code (the unit in force on date) or
 * CODE@YYYY-MM-DD. */
int api_orgunit_history(struct http_req *r)
{
	static const char *const allowed[] = {"date", NULL};
	struct pcmt_err err;
	int32_t date;
	int64_t id;
	json_t *out = NULL;

	err_clear(&err);
	if (http_query_each(r, only_params, (void *)allowed) || date_param(r, &date) ||
	    http_resolve_ou_on(r, "id", r->id_text, date, &id))
		return -1;
	if (orghist_history(r->st, id, &out, &err))
		return http_fail(r, &err);
	return http_json(r, 200, out);
}

/* GET /api/v1/orgunits/search?q=TEXT[&date=][&limit=] */
int api_orgunit_search(struct http_req *r)
{
	static const char *const allowed[] = {"q", "date", "limit", NULL};
	const char *q = http_query(r, "q"), *l = http_query(r, "limit");
	struct pcmt_err err;
	int32_t date;
	int64_t total = 0, limit = 50;
	json_t *items = NULL;

	err_clear(&err);
	if (http_query_each(r, only_params, (void *)allowed) || date_param(r, &date))
		return -1;
	if (!q || !*q)
		return http_failf(r, ERR_INVALID, "q", "q is required: a name (accents optional) or a code");
	if (strlen(q) > 200)
		return http_failf(r, ERR_TOO_LARGE, "q", "q is longer than 200 bytes");
	if (l && ((limit = http_parse_pos(l)) < 1 || limit > 200))
		return http_failf(r, ERR_INVALID, "limit", "limit must be 1 to 200");
	if (orghist_search(r->st, q, date, (int)limit, &items, &total, &err))
		return http_fail(r, &err);
	return http_json(r, 200, json_pack("{s:o, s:I, s:s}", "items", items, "total", (json_int_t)total, "date",
					  http_query(r, "date") ? http_query(r, "date") : ""));
}

/* GET /api/v1/persons/{id}/residence */
int api_person_residence(struct http_req *r)
{
	struct pcmt_err err;
	json_t *out = NULL;

	err_clear(&err);
	if (http_need_id(r))
		return -1;
	if (r->st->ops->residence_history(r->st, r->scope, r->id, &out, &err))
		return http_fail(r, &err);
	return http_json(r, 200, json_pack("{s:I, s:o}", "person_id", (json_int_t)r->id, "residences", out));
}

/* The root a caller may place persons under: its scope, narrowed by ?orgunit= / "orgunit" inside it. */
static int caller_root(struct http_req *r, const char *given, int64_t *root)
{
	int64_t id = 0;
	int within = 1;
	struct pcmt_err err;

	err_clear(&err);
	*root = r->scope ? r->scope->ou_id : 0;
	if (!given)
		return 0;
	if (http_resolve_ou(r, "orgunit", given, &id))
		return -1;
	if (*root && r->st->ops->ou_within(r->st, id, *root, &within, &err))
		return http_fail(r, &err);
	if (!within)
		return http_failf(r, ERR_NOT_FOUND, "orgunit", "no such org unit in your scope");
	*root = id;
	return 0;
}

/* GET /api/v1/reassignments[?orgunit=CODE]: persons awaiting re-assignment today whose candidate
 * units lie under orgunit (and the caller's scope), with their names. */
int api_reassign_list(struct http_req *r)
{
	static const char *const allowed[] = {"orgunit", NULL};
	struct pcmt_err err;
	int64_t root;
	json_t *out = NULL;

	err_clear(&err);
	if (http_query_each(r, only_params, (void *)allowed) || caller_root(r, http_query(r, "orgunit"), &root))
		return -1;
	if (orghist_pending(r->st, root, r->ctx.today + 1, 1, &out, &err))
		return http_fail(r, &err);
	return http_json(r, 200, json_pack("{s:o, s:I}", "items", out, "total", (json_int_t)json_array_size(out)));
}

/* POST /api/v1/reassignments {"person_id": N, "orgunit": CODE|id}: places a pending person in one
 * of the units their commune went into, from the reform's date; 200 with their residences. */
int api_reassign(struct http_req *r)
{
	json_t *b = r->body, *pid = json_object_get(b, "person_id"), *ou = json_object_get(b, "orgunit"), *out = NULL;
	const char *k;
	json_t *v;
	struct pcmt_err err;
	int64_t root, to = 0;
	char idtext[24];

	err_clear(&err);
	if (!json_is_object(b))
		return http_failf(r, ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
	json_object_foreach(b, k, v)
		if (strcmp(k, "person_id") && strcmp(k, "orgunit"))
			return http_failf(r, ERR_INVALID, k, "unknown field %s (use person_id and orgunit)", k);
	if (!json_is_integer(pid) || json_integer_value(pid) <= 0)
		return http_failf(r, ERR_INVALID, "person_id", "person_id must be a person's id");
	if (json_is_integer(ou) && json_integer_value(ou) > 0) {
		snprintf(idtext, sizeof(idtext), "%lld", (long long)json_integer_value(ou));
	} else if (json_is_string(ou) && *json_string_value(ou) && strlen(json_string_value(ou)) < sizeof(idtext)) {
		snprintf(idtext, sizeof(idtext), "%s", json_string_value(ou));
	} else {
		return http_failf(r, ERR_INVALID, "orgunit", "orgunit must be the code or id of one of the candidate units");
	}
	if (caller_root(r, NULL, &root) || http_resolve_ou(r, "orgunit", idtext, &to))
		return -1;
	if (orghist_reassign(r->st, json_integer_value(pid), to, root, &out, &err))
		return http_fail(r, &err);
	return http_json(r, 200, json_pack("{s:I, s:o}", "person_id", (json_int_t)json_integer_value(pid), "residences", out));
}
