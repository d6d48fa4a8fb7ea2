/* classification.c: runs cx_eval over the communes under a unit for a year and shapes the answer
 * (classification.h): per commune the type and, per type, each criterion's values, the rulebook rows
 * it was compared with and its status; counts per unit below the root; the rows used. */
#include "engine/classification.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/complex.h"
#include "domain/entity.h"
#include "util/date.h"

static json_t *num(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 1e15)
		return json_integer((json_int_t)v);
	return json_real(round(v * 1e6) / 1e6); /* six decimals: beyond them is rounding noise */
}

static json_t *ou_json(const struct snap_ou *o)
{
	return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)o->id, "code", o->code, "name", o->name ? o->name : "",
			 "kind", o->kind >= 0 ? en_ou_kind.vals[o->kind].code : "");
}

static json_t *rule_ref(const struct rule *r, const char *code)
{
	char d[DATE_BUFSZ];

	if (!r)
		return json_pack("{s:s, s:n, s:b, s:b}", "rule", code, "value", "confirmed", 0, "missing", 1);
	return json_pack("{s:s, s:o, s:s, s:s, s:b, s:s}", "rule", r->code, "value", num(r->value), "unit", r->unit,
			 "effective_from", date_format(r->effective_from, d), "confirmed", r->confirmed, "source", r->source);
}

static json_t *pct_or_null(const struct cx_values *v, int64_t part)
{
	return v->has_population ? num(100.0 * (double)part / (double)v->population) : json_null();
}

static json_t *crit_values(const struct cx_result *r, enum cx_crit c)
{
	const struct cx_values *v = &r->v;
	json_t *pop = v->has_population ? json_integer(v->population) : json_null();

	switch (c) {
	case CXC_USERS:
		return json_pack("{s:I, s:o, s:o}", "persons", (json_int_t)v->users, "population", pop, "percent",
				 pct_or_null(v, v->users));
	case CXC_ARRESTS:
		return json_pack("{s:I, s:o, s:o}", "arrested", (json_int_t)v->arrested, "population", pop, "percent",
				 pct_or_null(v, v->arrested));
	case CXC_PLACES:
		json_decref(pop);
		return json_pack("{s:I}", "places", (json_int_t)v->places);
	case CXC_PLANTS:
		json_decref(pop);
		return json_pack("{s:I, s:I}", "plants", (json_int_t)v->plants, "area_m2", (json_int_t)v->area_m2);
	default:
		json_decref(pop);
		return json_pack("{s:i, s:I, s:o}", "type3_criteria_met", r->type3_met, "route_cases",
				 (json_int_t)v->route_cases, "on_complex_route",
				 r->on_route < 0 ? json_null() : json_boolean(r->on_route));
	}
}

static json_t *type_json(const struct cx_params *p, const struct cx_result *r, int t)
{
	const struct cx_type *ty = &r->t[t];
	json_t *crits = json_array(), *o;

	for (int c = 0; c < CXC_N; c++) {
		json_t *thr, *j;

		if (ty->st[c] == CXS_NOT_APPLICABLE)
			continue;
		thr = json_array();
		for (int k = 0; k < 2; k++)
			if (cx_thr_code(t, (enum cx_crit)c, k))
				json_array_append_new(thr, rule_ref(p->thr[t][c][k], cx_thr_code(t, (enum cx_crit)c, k)));
		if (c == CXC_ROUTE)
			json_array_append_new(thr, rule_ref(p->route_cases, cx_route_code));
		j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o}", "criterion", cx_crit_code((enum cx_crit)c), "label_en",
			      cx_crit_label((enum cx_crit)c, 0), "label_vi", cx_crit_label((enum cx_crit)c, 1), "status",
			      cx_status_code(ty->st[c]), "met", ty->st[c] == CXS_MET, "confirmed", ty->confirmed[c], "values",
			      crit_values(r, (enum cx_crit)c), "thresholds", thr);
		json_array_append_new(crits, j);
	}
	o = json_pack("{s:s, s:o, s:i, s:b, s:b, s:o}", "type", cx_type_name(t + 1), "criteria_min",
		      rule_ref(p->min[t], cx_min_code(t)), "met_count", ty->met_count, "met", ty->met, "confirmed",
		      ty->confirmed_outcome, "criteria", crits);
	return o;
}

static json_t *commune_json(const struct snap *s, const struct cx_params *p, const struct cx_result *r, int year)
{
	json_t *c = ou_json(&s->ous[r->commune_ix]), *types = json_array(), *notes = json_array(), *notes_vi = json_array();
	char buf[200];

	json_object_set_new(c, "type", json_string(cx_type_name(r->type)));
	json_object_set_new(c, "confirmed", json_boolean(r->confirmed));
	json_object_set_new(c, "population", r->v.has_population ? json_integer(r->v.population) : json_null());
	if (!r->v.has_population) {
		snprintf(buf, sizeof(buf), "no population recorded for %d: the two rate criteria have no data", year);
		json_array_append_new(notes, json_string(buf));
		snprintf(buf, sizeof(buf), "chưa có số dân năm %d: hai tiêu chí tỷ lệ không có dữ liệu", year);
		json_array_append_new(notes_vi, json_string(buf));
	}
	if (!r->confirmed) {
		json_array_append_new(notes, json_string("the type rests on thresholds not confirmed in the official text"));
		json_array_append_new(notes_vi, json_string("kết quả phân loại dựa trên ngưỡng chưa được xác nhận theo văn bản"));
	}
	for (int t = 0; t < CX_TYPES; t++)
		json_array_append_new(types, type_json(p, r, t));
	json_object_set_new(c, "notes", notes);
	json_object_set_new(c, "notes_vi", notes_vi);
	json_object_set_new(c, "types", types);
	return c;
}

static json_t *counts(const struct cx_result *res, int32_t n, const struct snap *s, int32_t under)
{
	int k[4] = {0}, total = 0, unconfirmed = 0, nopop = 0;

	for (int32_t i = 0; i < n; i++) {
		if (under >= 0 && !snap_ou_under(s, res[i].commune_ix, under))
			continue;
		total++;
		k[res[i].type]++;
		unconfirmed += !res[i].confirmed;
		nopop += !res[i].v.has_population;
	}
	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "communes", total, "type_I", k[1], "type_II", k[2],
			 "type_III", k[3], "none", k[0], "unconfirmed", unconfirmed, "without_population", nopop);
}

/* Every row the classification read, in force on the date, or marked missing. */
static json_t *rules_used(const struct cx_params *p)
{
	json_t *a = json_array();

	for (int t = 0; t < CX_TYPES; t++) {
		json_array_append_new(a, rule_ref(p->min[t], cx_min_code(t)));
		for (int c = 0; c < CXC_N; c++)
			for (int k = 0; k < 2; k++)
				if (cx_thr_code(t, (enum cx_crit)c, k))
					json_array_append_new(a, rule_ref(p->thr[t][c][k], cx_thr_code(t, (enum cx_crit)c, k)));
	}
	json_array_append_new(a, rule_ref(p->route_cases, cx_route_code));
	return a;
}

/* The first date the type I rows apply, for the message of a year before them. */
static int32_t first_effective(const struct rulebook *rb)
{
	int32_t best = DATE_NONE;

	for (int i = 0; i < rb->n; i++)
		if (!strcmp(rb->rules[i].code, cx_min_code(0)) && (best == DATE_NONE || rb->rules[i].effective_from < best))
			best = rb->rules[i].effective_from;
	return best;
}

int cx_answer(struct live *lv, struct store *st, const struct cx_opts *o, json_t **out, struct pcmt_err *err)
{
	const struct snap *s;
	struct cx_params p;
	struct cx_result *res = NULL;
	int32_t root, from, end, at, n = 0;
	json_t *ans = NULL, *units, *list;
	char d[DATE_BUFSZ];
	int rc = -1;

	*out = NULL;
	if (o->year < 1900 || o->year > 2200)
		return err_set(err, ERR_INVALID, "year", "year must lie in 1900..2200");
	from = date_from_ymd(o->year, 1, 1);
	end = date_from_ymd(o->year, 12, 31);
	if (o->today < from)
		return err_set(err, ERR_INVALID, "year", "%d has not begun on %s", o->year, date_format(o->today, d));
	at = o->today < end ? o->today : end;
	if (live_sync(lv, st, err))
		return -1;
	/* the year is judged by the rows in force at its end; its facts are read up to `at` */
	cx_params_at(live_rules(lv), end, &p);
	if (!p.min[0]) {
		int32_t f = first_effective(live_rules(lv));
		int fy, fm, fd;

		if (f == DATE_NONE)
			return err_set(err, ERR_INVALID, "year", "the rulebook has no Decision 28/2025/QĐ-TTg thresholds");
		date_to_ymd(f, &fy, &fm, &fd);
		return err_set(err, ERR_INVALID, "year", "the Decision 28/2025/QĐ-TTg thresholds take effect on %s: classify %d or later",
			       date_format(f, d), fy);
	}
	s = live_read(lv);
	if ((root = snap_ou_ix(s, o->ou_id)) < 0) {
		err_set(err, ERR_NOT_FOUND, "orgunit", "no such org unit");
		goto out;
	}
	if (cx_eval(s, &p, root, o->year, from, at, &res, &n)) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory classifying communes");
		goto out;
	}
	ans = json_object();
	json_object_set_new(ans, "orgunit", ou_json(&s->ous[root]));
	json_object_set_new(ans, "year", json_integer(o->year));
	json_object_set_new(ans, "from", json_string(date_format(from, d)));
	json_object_set_new(ans, "measured_on", json_string(date_format(at, d)));
	json_object_set_new(ans, "rules_date", json_string(date_format(end, d)));
	json_object_set_new(ans, "summary", counts(res, n, s, -1));
	units = json_array();
	for (int32_t c = s->ous[root].first_child; c >= 0; c = s->ous[c].next_sibling) {
		json_t *u, *k;
		int any = 0;

		if (s->ous[c].kind == OK_COMMUNE)
			continue;
		for (int32_t i = 0; i < n && !any; i++)
			any = snap_ou_under(s, res[i].commune_ix, c);
		if (!any)
			continue;
		u = ou_json(&s->ous[c]);
		k = counts(res, n, s, c);
		json_object_update(u, k);
		json_decref(k);
		json_array_append_new(units, u);
	}
	json_object_set_new(ans, "units", units);
	json_object_set_new(ans, "rules", rules_used(&p));
	if (o->details) {
		list = json_array();
		for (int32_t i = 0; i < n; i++)
			json_array_append_new(list, commune_json(s, &p, &res[i], o->year));
		json_object_set_new(ans, "communes", list);
	}
	*out = ans;
	ans = NULL;
	rc = 0;
out:
	live_done(lv);
	free(res);
	json_decref(ans);
	return rc;
}
