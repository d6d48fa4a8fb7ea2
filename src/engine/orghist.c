/* orghist.c: history, search and re-assignment answers over the store (orghist.h). */
#include "engine/orghist.h"

#include <stdlib.h>
#include <string.h>

#include "util/date.h"
#include "util/text.h"

int orghist_resolve(struct store *s, const char *text, int32_t date, struct ou_info *out, struct pcmt_err *err)
{
	const char *at = strchr(text, '@');
	char code[40];

	if (!at)
		return s->ops->ou_by_code(s, text, date, out, err);
	if ((size_t)(at - text) >= sizeof(code) || date_parse(at + 1, &date))
		return err_set(err, ERR_INVALID, "orgunit", "%s: write CODE@YYYY-MM-DD", text);
	memcpy(code, text, (size_t)(at - text));
	code[at - text] = '\0';
	return s->ops->ou_by_code(s, code, date, out, err);
}

static json_t *date_or_null(int32_t d)
{
	char b[DATE_BUFSZ];

	return d == DATE_NONE ? json_null() : json_string(date_format(d, b));
}

static json_t *brief(const struct ou_info *o)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)o->id, "code", o->code, "name", o->name,
			 "kind", o->kind, "valid_from", date_or_null(o->valid_from), "valid_to", date_or_null(o->valid_to));
}

int orghist_history(struct store *s, int64_t id, json_t **out, struct pcmt_err *err)
{
	struct ou_info o, par;
	json_t *preds = NULL, *succs = NULL, *u;

	*out = NULL;
	if (s->ops->ou_get(s, id, &o, err) || s->ops->ou_history(s, id, &preds, &succs, err))
		return -1;
	u = brief(&o);
	if (o.parent_id && s->ops->ou_get(s, o.parent_id, &par, err) == 0)
		json_object_set_new(u, "parent", brief(&par));
	else
		json_object_set_new(u, "parent", json_null());
	*out = json_pack("{s:o, s:o, s:o}", "orgunit", u, "predecessors", preds, "successors", succs);
	return 0;
}

static int in_force(const struct ou_info *o, int32_t d)
{
	return (o->valid_from == DATE_NONE || o->valid_from <= d) && (o->valid_to == DATE_NONE || o->valid_to >= d);
}

/* Appends the units of one list query (by name words or by code) not yet in `seen`. */
static int search_add(struct store *s, struct store_query *q, int32_t date, int limit, json_t *arr, int64_t *total,
		      struct pcmt_err *err)
{
	json_t *items = NULL, *it;
	int64_t n = 0;
	size_t i;

	if (s->ops->list(s, &ent_orgunits, q, &items, &n, err))
		return -1;
	*total += n;
	json_array_foreach(items, i, it) {
		int64_t id = json_integer_value(json_object_get(it, "id"));
		struct ou_info o;
		json_t *e, *preds = NULL, *succs = NULL, *x;
		size_t k;
		int dup = 0;

		json_array_foreach(arr, k, x)
			dup |= json_integer_value(json_object_get(x, "id")) == id;
		if (dup) {
			(*total)--;
			continue;
		}
		if ((int)json_array_size(arr) >= limit)
			continue;
		if (s->ops->ou_get(s, id, &o, err) || s->ops->ou_history(s, id, &preds, &succs, err)) {
			json_decref(items);
			return -1;
		}
		e = brief(&o);
		json_object_set_new(e, "in_force", json_boolean(in_force(&o, date)));
		if (o.valid_to != DATE_NONE && o.valid_to < date)
			json_object_set(e, "became", succs);
		if (o.valid_from != DATE_NONE && o.valid_from > date)
			json_object_set(e, "formed_from", preds);
		json_decref(preds);
		json_decref(succs);
		json_array_append_new(arr, e);
	}
	json_decref(items);
	return 0;
}

int orghist_search(struct store *s, const char *text, int32_t date, int limit, json_t **out, int64_t *total,
		   struct pcmt_err *err)
{
	struct store_query q;
	json_t *arr = json_array();
	char *fold = text_fold(text ? text : "");
	int rc = -1;

	*out = NULL;
	*total = 0;
	if (!fold || !*fold) {
		err_set(err, ERR_INVALID, "q", "give a name or a code to search for");
		goto out;
	}
	if (limit < 1 || limit > 200)
		limit = 50;
	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = 200;
	/* by code first (codes are reused: every unit that ever had it), then by name */
	q.eq[0].field = "code";
	q.eq[0].value = json_string(text);
	q.neq = 1;
	rc = q.eq[0].value ? search_add(s, &q, date, limit, arr, total, err) : 0;
	json_decref(q.eq[0].value);
	if (rc)
		goto out;
	q.neq = 0;
	q.search = fold;
	if ((rc = search_add(s, &q, date, limit, arr, total, err)))
		goto out;
	*out = arr;
	arr = NULL;
out:
	json_decref(arr);
	free(fold);
	return rc;
}

int orghist_pending(struct store *s, int64_t root, int32_t date, int with_names, json_t **out, struct pcmt_err *err)
{
	json_t *e;
	size_t i;

	if (s->ops->reassign_pending(s, root, date, out, err))
		return -1;
	json_array_foreach(*out, i, e) {
		json_t *p = NULL;
		struct pcmt_err e2;

		err_clear(&e2);
		if (!with_names)
			continue;
		if (s->ops->get(s, &ent_persons, NULL, json_integer_value(json_object_get(e, "person_id")), &p, &e2) == 0) {
			json_object_set(e, "full_name", json_object_get(p, "full_name"));
			json_object_set(e, "dob", json_object_get(p, "dob"));
		}
		json_decref(p);
	}
	return 0;
}

int orghist_reassign(struct store *s, int64_t person_id, int64_t to, int64_t scope_root, json_t **out,
		     struct pcmt_err *err)
{
	json_t *pend = NULL, *e, *cand;
	struct ou_info from, dest;
	int64_t moved = 0;
	size_t i, k;
	int found = 0, ok = 0, within = 1;

	*out = NULL;
	if (s->ops->ou_get(s, to, &dest, err))
		return err_set(err, ERR_INVALID, "orgunit", "no such org unit");
	if (s->ops->reassign_pending(s, 0, date_today() + 1, &pend, err))
		return -1;
	json_array_foreach(pend, i, e) {
		if (json_integer_value(json_object_get(e, "person_id")) != person_id)
			continue;
		found = 1;
		json_array_foreach(json_object_get(e, "candidates"), k, cand)
			ok |= json_integer_value(json_object_get(cand, "id")) == to;
		if (s->ops->ou_get(s, json_integer_value(json_object_get(json_object_get(e, "residence"), "id")), &from, err)) {
			json_decref(pend);
			return -1;
		}
	}
	json_decref(pend);
	if (!found)
		return err_set(err, ERR_NOT_FOUND, "person_id", "person %lld is not awaiting re-assignment", (long long)person_id);
	if (!ok)
		return err_set(err, ERR_INVALID, "orgunit", "%s (%s) is not one of the units %s went into", dest.code, dest.name,
			       from.name);
	if (scope_root && s->ops->ou_within(s, to, scope_root, &within, err))
		return -1;
	if (!within)
		return err_set(err, ERR_NOT_FOUND, "orgunit", "no org unit %s in your scope", dest.code);
	if (s->ops->residence_move(s, NULL, person_id, &from.id, &to, 1, from.valid_to + 1, "reassigned", &moved, err))
		return -1;
	if (moved != 1)
		return err_set(err, ERR_CONFLICT, "person_id", "person %lld was changed meanwhile: reload the list",
			       (long long)person_id);
	return s->ops->residence_history(s, NULL, person_id, out, err);
}
