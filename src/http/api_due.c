/* api_due.c: GET /api/v1/due[?orgunit=CODE][&date=YYYY-MM-DD][&days=N][&limit=N]: what falls due for
 * the persons under an org unit within N days of a date (domain/due.h): tests due under the
 * drug-free window and the periodic post-rehabilitation interval, and management periods ending.
 * The dashboard's "what needs doing now". Each person is read through the store with the caller's
 * scope, so a person outside it is left out, never named. */
#include <stdlib.h>
#include <string.h>

#include "domain/due.h"
#include "engine/live.h"
#include "http/http.h"
#include "util/date.h"

enum { DUE_DAYS_MAX = 366, DUE_LIMIT_DEFAULT = 200, DUE_LIMIT_MAX = 1000 };

struct due_args {
	const char *orgunit, *date, *days, *limit;
};

struct due_walk {
	const struct due_params *p;
	int32_t date, until;
	struct due_list list;
	int oom;
};

static int due_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct due_args *a = cls;

	if (!strcmp(k, "orgunit"))
		a->orgunit = v;
	else if (!strcmp(k, "date"))
		a->date = v;
	else if (!strcmp(k, "days"))
		a->days = v;
	else if (!strcmp(k, "limit"))
		a->limit = v;
	else
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use orgunit, date, days, limit)", k);
	return 0;
}

static int walk_fn(const struct snap *s, int32_t ci, void *cls)
{
	struct due_walk *w = cls;

	if (due_commune(s, ci, w->date, w->until, w->p, &w->list)) {
		w->oom = 1;
		return -1;
	}
	return 0;
}

/* A whole number in lo..hi for parameter name, or an answer naming it. */
static int whole(struct http_req *r, const char *name, const char *v, int lo, int hi, int dflt, int *out)
{
	char *end;
	long n;

	if (!v) {
		*out = dflt;
		return 0;
	}
	n = strtol(v, &end, 10);
	if (!*v || *end || n < lo || n > hi)
		return http_failf(r, ERR_INVALID, name, "%s must be a whole number from %d to %d", name, lo, hi);
	*out = (int)n;
	return 0;
}

int api_due(struct http_req *r)
{
	struct due_args a = {0};
	struct due_params dp;
	struct due_walk w = {0};
	struct pcmt_err err;
	const struct snap *s;
	json_t *tests = NULL, *periods = NULL, *out = NULL;
	int64_t ou_id;
	int32_t root, date;
	int days = 0, limit = 0, rc = -1, ntests = 0, nperiods = 0, truncated = 0;
	char d[DATE_BUFSZ];

	err_clear(&err);
	if (http_query_each(r, due_param, &a))
		return -1;
	if ((!a.orgunit || !*a.orgunit) && !(r->scope && r->scope->ou_id))
		return http_failf(r, ERR_INVALID, "orgunit", "orgunit is required (a code such as 40, or an id)");
	if (!a.date)
		date = r->ctx.today;
	else if (date_parse(a.date, &date))
		return http_failf(r, ERR_INVALID, "date", "date must be a real date, YYYY-MM-DD or DD/MM/YYYY");
	if (whole(r, "days", a.days, 0, DUE_DAYS_MAX, 7, &days) ||
	    whole(r, "limit", a.limit, 1, DUE_LIMIT_MAX, DUE_LIMIT_DEFAULT, &limit))
		return -1;
	/* like the other aggregates: rooted inside the caller's subtree, their own unit by default */
	if (http_resolve_root(r, "orgunit", a.orgunit, NULL, &ou_id))
		return -1;
	if (live_sync(r->live, r->st, &err))
		return http_fail(r, &err);
	if (due_params_at(live_rules(r->live), date, &dp, &err))
		return http_failf(r, ERR_INVALID, "date", "the rulebook has no test or management-period rules in force on %s",
				  date_format(date, d));
	w.p = &dp;
	w.date = date;
	w.until = date + days;
	s = live_read(r->live);
	root = snap_ou_ix(s, ou_id);
	if (root >= 0 && (snap_communes(s, root, date, walk_fn, &w) || w.oom))
		err_set(&err, ERR_INTERNAL, NULL, "out of memory listing what is due");
	live_done(r->live);
	if (root < 0)
		err_set(&err, ERR_NOT_FOUND, "orgunit", "no such org unit");
	if (err.code != ERR_OK) {
		http_fail(r, &err);
		goto out;
	}
	due_sort(&w.list);

	/* names through the store, within the caller's scope, outside the snapshot's lock */
	tests = json_array();
	periods = json_array();
	for (int i = 0; i < w.list.n; i++) {
		const struct due_item *it = &w.list.items[i];
		int is_test = it->kind != DUE_PERIOD_END;
		json_t *p = NULL, *j;
		struct pcmt_err e2;

		if ((is_test ? ntests : nperiods) >= limit) {
			truncated = 1;
			continue;
		}
		err_clear(&e2);
		if (r->st->ops->get(r->st, &ent_persons, r->scope, it->person_id, &p, &e2)) {
			if (e2.code == ERR_NOT_FOUND)
				continue; /* outside the caller's scope (or deleted since): not named, not counted */
			http_fail(r, &e2);
			goto out;
		}
		j = json_pack("{s:I, s:O, s:O, s:s, s:s}", "person_id", (json_int_t)it->person_id, "full_name",
			      json_object_get(p, "full_name"), "residence_ou", json_object_get(p, "residence_ou"),
			      "kind", due_kind_code(it->kind), "due", date_format(it->due, d));
		json_decref(p);
		if (!j) {
			http_failf(r, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		if (is_test) {
			json_object_set_new(j, "classification", json_string(en_classification.vals[it->classification].code));
			json_object_set_new(j, "last_test", it->last == DATE_NONE ? json_null() : json_string(date_format(it->last, d)));
			json_object_set_new(j, "last_result", it->last_result < 0 ? json_null()
							      : json_string(en_test_result.vals[it->last_result].code));
			json_array_append_new(tests, j);
			ntests++;
		} else {
			json_object_set_new(j, "record_kind", json_string(en_record_kind.vals[it->record_kind].code));
			json_object_set_new(j, "opened", json_string(date_format(it->last, d)));
			json_object_set_new(j, "ends", json_string(date_format(it->due, d)));
			json_array_append_new(periods, j);
			nperiods++;
		}
	}
	out = json_object();
	json_object_set_new(out, "orgunit", json_integer(ou_id));
	json_object_set_new(out, "date", json_string(date_format(date, d)));
	json_object_set_new(out, "until", json_string(date_format(date + days, d)));
	json_object_set_new(out, "rules", json_pack("{s:i, s:i, s:i}", "test_window_days", dp.window_days,
						    "periodic_interval_days", dp.periodic_days, "illegal_user_months",
						    dp.illegal_user_months));
	json_object_set_new(out, "tests_due", tests);
	json_object_set_new(out, "periods_ending", periods);
	json_object_set_new(out, "truncated", json_boolean(truncated));
	tests = periods = NULL;
	rc = http_json(r, 200, out);
out:
	json_decref(tests);
	json_decref(periods);
	due_list_free(&w.list);
	return rc;
}
