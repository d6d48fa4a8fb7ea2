/* api_persons.c: what persons add to the generic CRUD: list options (classification as of a date,
 * management-record status), possible duplicates on create, and a person's timeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/arena.h"
#include "util/date.h"

static int person_list_param(struct http_req *r, const char *k, const char *v, struct store_query *q)
{
	if (!strcmp(k, "classification")) {
		if (!v || !enum_find(&en_classification, v))
			return http_failf(r, ERR_INVALID, k, "classification must be one of the codes of "
					  "/api/v1/enums (classification)");
		q->classification = arena_strdup(r->arena, v);
		return 1;
	}
	if (!strcmp(k, "as_of")) {
		if (!v || date_parse(v, &q->as_of))
			return http_failf(r, ERR_INVALID, k, "as_of must be a date (YYYY-MM-DD or DD/MM/YYYY)");
		return 1;
	}
	if (!strcmp(k, "record")) {
		if (!v || (strcmp(v, "open") && strcmp(v, "closed") && strcmp(v, "none")))
			return http_failf(r, ERR_INVALID, k, "record must be open, closed or none");
		q->record_status = arena_strdup(r->arena, v);
		return 1;
	}
	return 0;
}

/* A person's residence is where they live now: a unit the reform closed (or one not yet in force)
 * would put them where no commune's evaluation counts them. Checked when the residence is set or
 * changed, so that a record history left in a closed unit can still be edited; not in the store,
 * which also loads the past (demo, import by the row's date, copy). */
static int person_check(struct http_req *r, json_t *valid, json_t *old)
{
	struct pcmt_err err;
	struct ou_info ou;
	json_t *v = json_object_get(valid, "residence_ou");
	char d[DATE_BUFSZ];
	int rc;

	err_clear(&err);
	if (!v || json_is_null(v))
		return 0;
	rc = json_is_string(v) ? r->st->ops->ou_by_code(r->st, json_string_value(v), r->ctx.today, &ou, &err)
			       : r->st->ops->ou_get(r->st, json_integer_value(v), &ou, &err);
	if (rc)
		return err.code == ERR_NOT_FOUND ? 0 : http_fail(r, &err); /* the store names a missing unit */
	if (old && json_integer_value(json_object_get(old, "residence_ou")) == ou.id)
		return 0;
	if (ou.valid_to != DATE_NONE && ou.valid_to < r->ctx.today)
		return http_failf(r, ERR_INVALID, "residence_ou",
				  "residence_ou: %s (%s) was closed on %s; a person's residence must be a unit in force "
				  "today", ou.code, ou.name, date_format(ou.valid_to, d));
	if (ou.valid_from != DATE_NONE && ou.valid_from > r->ctx.today)
		return http_failf(r, ERR_INVALID, "residence_ou",
				  "residence_ou: %s (%s) comes into force on %s; a person's residence must be a unit in "
				  "force today", ou.code, ou.name, date_format(ou.valid_from, d));
	return 0;
}

/* People without papers get registered twice: after saving, show the officer who else has the same
 * folded name and date of birth. The record is saved either way, so a failure here is logged rather
 * than turned into an error the client would read as "not saved". */
static int person_created(struct http_req *r, json_t *valid, json_t *out)
{
	struct pcmt_err err;
	const char *fold = json_string_value(json_object_get(valid, "name_fold"));
	const char *dobs = json_string_value(json_object_get(valid, "dob"));
	int32_t dob = DATE_NONE;
	json_t *similar = NULL;

	err_clear(&err);
	if (!fold)
		return 0;
	if (dobs && date_parse(dobs, &dob))
		dob = DATE_NONE;
	if (r->st->ops->person_similar(r->st, r->scope, fold, dob, json_integer_value(json_object_get(out, "id")),
				       &similar, &err)) {
		fprintf(stderr, "pcmt serve: duplicate check after insert failed: %s\n", err.message);
		return 0;
	}
	if (json_array_size(similar) > 0)
		json_object_set_new(out, "possible_duplicates", similar);
	else
		json_decref(similar);
	return 0;
}

const struct http_ext http_ext_persons = {&ent_persons, person_list_param, person_created, person_check};

/* ---- timeline ------------------------------------------------------------------------------- */

static const struct {
	const struct entity_def *e;
	const char *date; /* the field that places the event in time */
} events[] = {
	{&ent_classifications, "date_from"}, {&ent_determinations, "det_date"}, {&ent_records, "opened"},
	{&ent_tests, "test_date"},           {&ent_treatments, "start_date"},  {&ent_support, "support_date"}};

enum { NEVENTS = sizeof(events) / sizeof(events[0]) };

struct ev {
	json_t *rec;
	const char *date; /* ISO, compares as text */
	int kind;         /* index in events[], to break ties in a stable order */
	int64_t id;
};

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	int c = strcmp(x->date ? x->date : "9999", y->date ? y->date : "9999");

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return (x->id > y->id) - (x->id < y->id);
}

int api_person_timeline(struct http_req *r)
{
	struct pcmt_err err;
	json_t *person = NULL, *all = json_array(), *items = NULL, *out, *pid = NULL;
	struct ev *evs = NULL;
	size_t n = 0, i;
	int rc = -1;

	err_clear(&err);
	if (http_need_id(r))
		goto out;
	r->ent = &ent_persons;
	if (r->st->ops->get(r->st, &ent_persons, r->scope, r->id, &person, &err)) {
		http_fail(r, &err);
		goto out;
	}
	pid = json_integer(r->id);
	for (int k = 0; k < NEVENTS; k++) {
		struct store_query q;
		int64_t total = 0;
		json_t *rec;

		/* only the kinds of record the caller's role may read (routes.c): a health worker's
		 * timeline has no classifications or management records */
		if (!http_may(r, events[k].e, 0))
			continue;
		memset(&q, 0, sizeof(q));
		q.scope = r->scope;
		q.as_of = DATE_NONE;
		q.limit = HTTP_LIST_MAX;
		q.eq[0].field = "person_id";
		q.eq[0].value = pid;
		q.neq = 1;
		do {
			json_decref(items);
			items = NULL;
			if (r->st->ops->list(r->st, events[k].e, &q, &items, &total, &err)) {
				http_fail(r, &err);
				goto out;
			}
			json_array_foreach(items, i, rec) {
				json_object_set_new(rec, "type", json_string(events[k].e->name));
				json_object_set(rec, "date", json_object_get(rec, events[k].date));
				json_array_append(all, rec);
			}
			q.offset += HTTP_LIST_MAX;
		} while (json_array_size(items) > 0 && q.offset < total);
	}
	n = json_array_size(all);
	if (n && !(evs = calloc(n, sizeof(*evs)))) {
		http_failf(r, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_t *rec = json_array_get(all, i);
		const char *type = json_string_value(json_object_get(rec, "type"));

		evs[i].rec = rec;
		evs[i].date = json_string_value(json_object_get(rec, "date"));
		evs[i].id = json_integer_value(json_object_get(rec, "id"));
		for (int k = 0; k < NEVENTS; k++)
			if (!strcmp(events[k].e->name, type))
				evs[i].kind = k;
	}
	if (n)
		qsort(evs, n, sizeof(*evs), ev_cmp);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(out, evs[i].rec);
	rc = http_json(r, 200, json_pack("{s:o, s:o}", "person", person, "items", out));
	person = NULL;
out:
	free(evs);
	json_decref(items);
	json_decref(all);
	json_decref(person);
	json_decref(pid);
	return rc;
}
