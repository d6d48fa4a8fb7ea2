/* indicators.c (engine): reads a plan and its targets from the store, resolves each target's indicator
 * to an expression over measures, groups targets that share a unit and a period so that each group is
 * one ind_calc pass (plus one for the previous period when an expression names a _prev measure), and
 * shapes the answer with each unit's value and status (engine/indicators.h). */
#include "engine/indicators.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/expr.h"
#include "domain/indicators.h"
#include "domain/plan.h"
#include "util/date.h"

#define BIT(m) (UINT64_C(1) << (m))
#define DRUG_FREE_BITS (BIT(M_COMMUNES_DRUG_FREE) | BIT(M_DISTRICTS_DRUG_FREE))

enum { MAX_TARGETS = 1000, MAX_CUSTOM = 1000 };

struct tgt {
	json_t *rec;                /* the stored target (borrowed from the list) */
	const char *code;
	enum ind_cmp cmp;
	double value, baseline, denom; /* denom 0: none */
	int has_baseline, percent;
	int32_t baseline_date, deadline;
	int64_t scope_id;           /* the target's scope, else the plan's */
	int32_t scope_ix, root_ix;
	struct ind_period per;
	int32_t due, at;            /* due: the deadline, or the period's end when it comes first */
	int not_started;
	const char *kind;           /* indicator, measure, custom, pending, unknown, invalid */
	const char *name_en, *name_vi, *expr_text;
	char reason[300];           /* why there is no value at all, "" otherwise */
	struct expr *e;
	uint64_t need, need_prev;
	int group;
};

struct group {
	int32_t root;
	struct ind_window w;
	enum ind_pkind kind;
	uint64_t need, need_prev;
	struct ind_rows cur, prev;
	int cp_ok;
	char cp_msg[400];
};

struct work {
	struct tgt *t;
	int nt;
	struct group *g;
	int ng;
	json_t *plan, *targets, *customs;
	int32_t plan_from, plan_to;
	int64_t plan_scope;
};

static json_t *jnum(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 1e15)
		return json_integer((json_int_t)v);
	return json_real(round(v * 1e6) / 1e6); /* six decimals: beyond them is rounding noise */
}

static json_t *ou_json(const struct snap *s, int32_t ix)
{
	const struct snap_ou *o = &s->ous[ix];

	return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)o->id, "code", o->code, "name", o->name ? o->name : "",
			 "kind", o->kind >= 0 ? en_ou_kind.vals[o->kind].code : "");
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int32_t jdate(json_t *o, const char *k)
{
	int32_t d;
	const char *s = jstr(o, k);

	return s && date_parse(s, &d) == 0 ? d : DATE_NONE;
}

static int list_by(struct store *st, const struct entity_def *e, const char *field, json_t *val, int limit,
		   json_t **items, struct pcmt_err *err)
{
	struct store_query q;
	int64_t total = 0;

	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = limit;
	if (field) {
		q.eq[0].field = field;
		q.eq[0].value = val;
		q.neq = 1;
	}
	return st->ops->list(st, e, &q, items, &total, err);
}

/* The plan by code, else by id. */
static int find_plan(struct store *st, const char *code, json_t **plan, struct pcmt_err *err)
{
	json_t *items = NULL, *v = json_string(code);
	char *end;
	long long id;
	int rc;

	*plan = NULL;
	if (!v)
		return err_set(err, ERR_INVALID, "plan", "plan must be valid UTF-8");
	rc = list_by(st, &ent_plans, "code", v, 1, &items, err);
	json_decref(v);
	if (rc)
		return -1;
	if (json_array_size(items)) {
		*plan = json_incref(json_array_get(items, 0));
		json_decref(items);
		return 0;
	}
	json_decref(items);
	id = strtoll(code, &end, 10);
	if (*code >= '1' && *code <= '9' && !*end && id > 0) {
		struct pcmt_err e2;

		err_clear(&e2);
		if (st->ops->get(st, &ent_plans, NULL, id, plan, &e2) == 0)
			return 0;
		if (e2.code != ERR_NOT_FOUND) {
			*err = e2;
			return -1;
		}
	}
	return err_set(err, ERR_INVALID, "plan", "no plan has the code or id %.60s (see pcmt plans list, GET /api/v1/plans)",
		       code);
}

/* Resolves the target's indicator code to an expression, or fills t->reason. */
static void resolve(struct work *w, struct tgt *t)
{
	const struct ind_def *d;
	const struct ind_pending *pd;
	struct pcmt_err e2;
	json_t *c;
	size_t i;

	err_clear(&e2);
	t->kind = "unknown";
	if ((d = ind_def_find(t->code))) {
		t->kind = "indicator";
		t->name_en = d->name_en;
		t->name_vi = d->name_vi;
		t->expr_text = d->expr;
	} else if (ind_measure_known(t->code, NULL)) {
		int prev, m = ind_measure_find(t->code, &prev);

		t->kind = "measure";
		t->name_en = ind_measures[m].label_en;
		t->name_vi = ind_measures[m].label_vi;
		t->expr_text = t->code;
	} else if ((pd = ind_pending_find(t->code))) {
		t->kind = "pending";
		t->name_en = pd->name_en;
		t->name_vi = pd->name_vi;
		snprintf(t->reason, sizeof(t->reason), "not computed yet: needs %s", pd->awaits);
		return;
	} else {
		json_array_foreach(w->customs, i, c) {
			if (strcmp(jstr(c, "code") ? jstr(c, "code") : "", t->code))
				continue;
			t->kind = "custom";
			t->name_en = jstr(c, "name_en");
			t->name_vi = jstr(c, "name_vi");
			t->expr_text = jstr(c, "expression");
			break;
		}
		if (!t->expr_text) {
			snprintf(t->reason, sizeof(t->reason),
				 "unknown indicator: not a built-in measure or indicator (GET /api/v1/measures) nor a custom indicator");
			return;
		}
	}
	if (!(t->e = expr_parse(t->expr_text, ind_measure_known, NULL, &e2)) ||
	    ind_expr_need(t->e, &t->need, &t->need_prev)) {
		/* a custom expression saved before a measure was renamed: say so rather than fail the plan */
		t->kind = "invalid";
		snprintf(t->reason, sizeof(t->reason), "the expression no longer parses: %s", e2.message);
		expr_free(t->e);
		t->e = NULL;
	}
}

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Reads one target row into t and picks its period and dates. */
static void setup_target(struct work *w, const struct ind_opts *o, const struct ind_period *asked, json_t *rec,
			 struct tgt *t)
{
	json_t *bv = json_object_get(rec, "baseline_value"), *den = json_object_get(rec, "denominator");
	int k = ind_pkind_parse(jstr(rec, "period_kind"));

	memset(t, 0, sizeof(*t));
	t->rec = rec;
	t->code = jstr(rec, "indicator");
	t->cmp = (enum ind_cmp)ind_cmp_parse(jstr(rec, "comparator"));
	t->value = (double)json_integer_value(json_object_get(rec, "value"));
	t->has_baseline = json_is_integer(bv);
	t->baseline = t->has_baseline ? (double)json_integer_value(bv) : 0;
	t->baseline_date = jdate(rec, "baseline_date");
	t->denom = json_is_integer(den) ? (double)json_integer_value(den) : 0;
	t->percent = jstr(rec, "unit") && !strcmp(jstr(rec, "unit"), "percent");
	t->deadline = jdate(rec, "deadline");
	t->scope_id = json_is_integer(json_object_get(rec, "scope_ou")) ? json_integer_value(json_object_get(rec, "scope_ou"))
									: w->plan_scope;
	if (asked)
		t->per = *asked;
	else
		t->per = ind_period_around(k < 0 ? IP_PLAN : (enum ind_pkind)k, clamp32(o->date, w->plan_from, w->plan_to),
					   w->plan_from, w->plan_to);
	if (t->per.kind == IP_PLAN) {
		t->per.from = w->plan_from;
		t->per.to = w->plan_to;
	}
	/* A deadline inside the period ends the measurement there ("by the end of June 2023"); otherwise
	 * the period's own end is when its value is final. */
	t->due = t->deadline >= t->per.from && t->deadline <= t->per.to ? t->deadline : t->per.to;
	t->at = o->date < t->due ? o->date : t->due;
	t->not_started = o->date < t->per.from;
}

static int group_of(struct work *w, struct tgt *t)
{
	for (int i = 0; i < w->ng; i++) {
		struct group *g = &w->g[i];

		if (g->root == t->root_ix && g->w.from == t->per.from && g->w.to == t->per.to && g->w.at == t->at &&
		    g->kind == t->per.kind) {
			g->need |= t->need;
			g->need_prev |= t->need_prev;
			return i;
		}
	}
	w->g[w->ng].root = t->root_ix;
	w->g[w->ng].w = (struct ind_window){t->per.from, t->per.to, t->at, t->at};
	w->g[w->ng].kind = t->per.kind;
	w->g[w->ng].need = t->need;
	w->g[w->ng].need_prev = t->need_prev;
	return w->ng++;
}

/* The criteria parameters in force on a window's stock date, or the group marked: before the
 * rulebook's rows take effect no commune can be judged, and the targets that need the judgement say
 * so instead of failing the answer. Returns the need mask to compute. */
static uint64_t drug_free_params(struct live *lv, struct group *g, int32_t stock, uint64_t need, struct crit_params *cp,
				 const struct crit_params **in_cp)
{
	struct pcmt_err e2;

	*in_cp = NULL;
	if (!(ind_need_closure(need) & DRUG_FREE_BITS))
		return need;
	err_clear(&e2);
	if (crit_params_at(live_rules(lv), stock, cp, &e2) == 0) {
		*in_cp = cp;
		return need;
	}
	g->cp_ok = 0;
	snprintf(g->cp_msg, sizeof(g->cp_msg), "the drug-free criteria are not in force on this date: %s", e2.message);
	return need & ~DRUG_FREE_BITS;
}

/* Every window the groups need (each group's period, and the previous one when a target names a
 * _prev measure), one ind_calc_many pass per distinct root: a request rooted at one province reads
 * each resident once, however many periods and dates its targets ask for. */
static int compute_all(struct live *lv, const struct snap *s, struct work *w, struct pcmt_err *err)
{
	struct ind_calc_in *in = calloc((size_t)w->ng * 2 + 1, sizeof(*in));
	struct crit_params *cp = calloc((size_t)w->ng * 2 + 1, sizeof(*cp));
	struct ind_rows *rows = calloc((size_t)w->ng * 2 + 1, sizeof(*rows));
	struct ind_rows **dst = calloc((size_t)w->ng * 2 + 1, sizeof(*dst));
	char *done = calloc((size_t)w->ng + 1, 1);
	int rc = -1;

	if (!in || !cp || !rows || !dst || !done) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int k = 0; k < w->ng; k++)
		w->g[k].cp_ok = 1;
	for (int k = 0; k < w->ng; k++) {
		int n = 0;

		if (done[k])
			continue;
		for (int j = k; j < w->ng; j++) {
			struct group *g = &w->g[j];

			if (done[j] || g->root != w->g[k].root)
				continue;
			done[j] = 1;
			in[n] = (struct ind_calc_in){s, g->root, g->w, NULL, 0};
			in[n].need = drug_free_params(lv, g, g->w.stock, g->need, &cp[n], &in[n].cp);
			dst[n++] = &g->cur;
			if (!g->need_prev)
				continue;
			in[n] = (struct ind_calc_in){s, g->root, ind_prev_window(&g->w, g->kind), NULL, 0};
			in[n].need = drug_free_params(lv, g, in[n].w.stock, g->need_prev, &cp[n], &in[n].cp);
			dst[n++] = &g->prev;
		}
		if (ind_calc_many(in, n, rows, err))
			goto out;
		for (int i = 0; i < n; i++)
			*dst[i] = rows[i];
	}
	rc = 0;
out:
	free(in);
	free(cp);
	free(rows);
	free(dst);
	free(done);
	return rc;
}

struct names_cls {
	json_t *obj;
	const double *cur, *prev;
};

static void name_value(const char *name, void *cls)
{
	struct names_cls *c = cls;
	int prev, m = ind_measure_find(name, &prev);

	if (m >= 0)
		json_object_set_new(c->obj, name, prev && !c->prev ? json_null() : jnum(prev ? c->prev[m] : c->cur[m]));
}

static json_t *row_json(const struct snap *s, const struct ind_opts *o, const struct tgt *t, const struct group *g,
			int r, enum ind_status *root_status, json_t **root_value)
{
	const double *cur = &g->cur.v[(size_t)r * IND_NMEAS], *prev = NULL;
	int32_t ix = g->cur.ou[r];
	json_t *u = json_object(), *ms = json_object();
	struct names_cls nc;
	struct pcmt_err e2;
	enum ind_status st;
	double v = NAN, progress = NAN, elapsed = NAN;
	const char *why = NULL;
	int applies;

	err_clear(&e2);
	json_object_set_new(u, "orgunit", ou_json(s, ix));
	for (int k = 0; k < g->prev.n && t->need_prev; k++)
		if (g->prev.ou[k] == ix)
			prev = &g->prev.v[(size_t)k * IND_NMEAS];
	nc.obj = ms;
	nc.cur = cur;
	nc.prev = prev;
	expr_names(t->e, name_value, &nc);
	if (!g->cp_ok && ((t->need | t->need_prev) & DRUG_FREE_BITS)) {
		why = g->cp_msg;
	} else if (t->need_prev && !prev) {
		why = "the unit did not exist in the previous period";
	} else if (ind_value(t->e, cur, prev, &v, &e2)) {
		v = NAN;
		why = e2.message;
	} else if (t->denom > 0) {
		v = 100.0 * v / t->denom; /* a share of the number assigned by the plan */
	}
	/* A share applies to every unit within the scope; a count or an assigned number only to the
	 * scope unit itself (50,000 on substitution treatment is a national figure). */
	applies = t->percent && t->denom == 0 ? snap_ou_under(s, ix, t->scope_ix) : ix == t->scope_ix;
	if (!applies) {
		st = IND_NOT_APPLICABLE;
	} else {
		struct ind_status_in si = {t->cmp, t->value, t->baseline, t->has_baseline,
					   t->baseline_date != DATE_NONE ? t->baseline_date : t->per.from, t->due, t->at,
					   o->date};

		st = ind_status(&si, v, &progress, &elapsed);
		json_object_set_new(u, "progress", jnum(progress));
		json_object_set_new(u, "elapsed", jnum(elapsed));
	}
	json_object_set_new(u, "value", jnum(v));
	json_object_set_new(u, "status", json_string(ind_status_code(st)));
	json_object_set_new(u, "measures", ms);
	if (why)
		json_object_set_new(u, "reason", json_string(why));
	if (r == 0) {
		*root_status = st;
		*root_value = jnum(v);
	}
	return u;
}

static json_t *target_head(const struct snap *s, const struct tgt *t)
{
	json_t *h = json_deep_copy(t->rec), *ind = json_object(), *per = json_object();
	char d[DATE_BUFSZ], pn[IND_PERIOD_BUFSZ];

	json_object_del(h, "created_at");
	json_object_del(h, "updated_at");
	json_object_del(h, "version");
	json_object_set_new(ind, "code", json_string(t->code));
	json_object_set_new(ind, "kind", json_string(t->kind));
	json_object_set_new(ind, "name_en", t->name_en ? json_string(t->name_en) : json_null());
	json_object_set_new(ind, "name_vi", t->name_vi ? json_string(t->name_vi) : json_null());
	json_object_set_new(ind, "expression", t->expr_text ? json_string(t->expr_text) : json_null());
	json_object_set_new(h, "indicator", ind);
	json_object_set_new(per, "name", json_string(ind_period_name(&t->per, pn)));
	json_object_set_new(per, "kind", json_string(ind_pkind_code(t->per.kind)));
	json_object_set_new(per, "from", json_string(date_format(t->per.from, d)));
	json_object_set_new(per, "to", json_string(date_format(t->per.to, d)));
	json_object_set_new(per, "due", json_string(date_format(t->due, d)));
	json_object_set_new(per, "measured_on", t->not_started ? json_null() : json_string(date_format(t->at, d)));
	json_object_set_new(h, "period", per);
	if (t->scope_ix >= 0)
		json_object_set_new(h, "scope", ou_json(s, t->scope_ix));
	return h;
}

static void work_free(struct work *w)
{
	for (int i = 0; i < w->nt; i++)
		expr_free(w->t[i].e);
	for (int i = 0; i < w->ng; i++) {
		ind_rows_free(&w->g[i].cur);
		ind_rows_free(&w->g[i].prev);
	}
	free(w->t);
	free(w->g);
	json_decref(w->plan);
	json_decref(w->targets);
	json_decref(w->customs);
}

int ind_answer(struct live *lv, struct store *st, const struct ind_opts *o, json_t **out, struct pcmt_err *err)
{
	struct work w;
	struct ind_period asked;
	const struct snap *s = NULL;
	json_t *ans = NULL, *list, *pv;
	int rc = -1;
	char d[DATE_BUFSZ];

	*out = NULL;
	memset(&w, 0, sizeof(w));
	if (o->period && ind_period_parse(o->period, "period", &asked, err))
		return -1;
	if (!o->plan || !*o->plan)
		return err_set(err, ERR_INVALID, "plan", "plan is required (a plan's code such as 180/KH-UBND, or its id)");
	/* the store first, the snapshot lock after: no store read while holding it */
	if (find_plan(st, o->plan, &w.plan, err))
		goto out;
	w.plan_from = jdate(w.plan, "period_from");
	w.plan_to = jdate(w.plan, "period_to");
	w.plan_scope = json_integer_value(json_object_get(w.plan, "scope_ou"));
	pv = json_integer(json_integer_value(json_object_get(w.plan, "id")));
	if (list_by(st, &ent_targets, "plan_id", pv, MAX_TARGETS, &w.targets, err) ||
	    list_by(st, &ent_custom_indicators, NULL, NULL, MAX_CUSTOM, &w.customs, err)) {
		json_decref(pv);
		goto out;
	}
	json_decref(pv);
	w.nt = (int)json_array_size(w.targets);
	w.t = calloc((size_t)w.nt + 1, sizeof(*w.t));
	w.g = calloc((size_t)w.nt + 1, sizeof(*w.g));
	if (!w.t || !w.g) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (live_sync(lv, st, err))
		goto out;
	s = live_read(lv);
	if (o->ou_id && snap_ou_ix(s, o->ou_id) < 0) {
		err_set(err, ERR_INVALID, "orgunit", "the org unit is not in the snapshot");
		goto out;
	}
	for (int k = 0; k < w.nt; k++) {
		struct tgt *t = &w.t[k];

		setup_target(&w, o, o->period ? &asked : NULL, json_array_get(w.targets, (size_t)k), t);
		t->scope_ix = snap_ou_ix(s, t->scope_id);
		t->root_ix = o->ou_id ? snap_ou_ix(s, o->ou_id) : t->scope_ix;
		t->group = -1;
		resolve(&w, t);
		if ((t->root_ix < 0 || t->scope_ix < 0) && !t->reason[0])
			snprintf(t->reason, sizeof(t->reason), "the target's scope unit is not in the snapshot");
		if (t->e && !t->reason[0] && !t->not_started)
			t->group = group_of(&w, t);
	}
	if (w.ng && compute_all(lv, s, &w, err))
		goto out;
	ans = json_object();
	json_object_set_new(ans, "plan", json_deep_copy(w.plan));
	json_object_del(json_object_get(ans, "plan"), "created_at");
	json_object_del(json_object_get(ans, "plan"), "updated_at");
	{
		int32_t sx = snap_ou_ix(s, w.plan_scope);

		if (sx >= 0)
			json_object_set_new(json_object_get(ans, "plan"), "scope", ou_json(s, sx));
	}
	json_object_set_new(ans, "date", json_string(date_format(o->date, d)));
	json_object_set_new(ans, "period", o->period ? json_string(o->period) : json_null());
	json_object_set_new(ans, "orgunit", o->ou_id ? ou_json(s, snap_ou_ix(s, o->ou_id)) : json_null());
	list = json_array();
	for (int k = 0; k < w.nt; k++) {
		struct tgt *t = &w.t[k];
		json_t *h = target_head(s, t), *units = json_array(), *rv = NULL;
		enum ind_status rs = IND_NO_DATA;

		if (t->group >= 0) {
			struct group *g = &w.g[t->group];

			for (int r = 0; r < g->cur.n; r++)
				json_array_append_new(units, row_json(s, o, t, g, r, &rs, &rv));
		} else if (t->not_started) {
			rs = IND_NOT_STARTED;
			json_object_set_new(h, "reason", json_string("the period starts after the date asked about"));
		} else {
			json_object_set_new(h, "reason", json_string(t->reason));
		}
		json_object_set_new(h, "orgunit", t->root_ix >= 0 ? ou_json(s, t->root_ix) : json_null());
		json_object_set_new(h, "status", json_string(ind_status_code(rs)));
		json_object_set_new(h, "result", rv ? rv : json_null());
		json_object_set_new(h, "units", units);
		json_array_append_new(list, h);
	}
	json_object_set_new(ans, "targets", list);
	*out = ans;
	ans = NULL;
	rc = 0;
out:
	if (s)
		live_done(lv);
	json_decref(ans);
	work_free(&w);
	return rc;
}

json_t *ind_catalogue(void)
{
	json_t *c = json_object(), *ms = json_array(), *ds = json_array(), *ps = json_array();
	static const char *const levels[] = {"person", "facility", "unit", "hotspot", "case", "plant_site",
					     "communication", "population"};

	for (int m = 0; m < IND_NMEAS; m++) {
		const struct ind_measure *x = &ind_measures[m];

		json_array_append_new(ms, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", x->name, "label_en",
						    x->label_en, "label_vi", x->label_vi, "unit", x->unit, "level",
						    levels[x->level], "time", x->time == IT_STOCK ? "stock" : "flow",
						    "counts", x->counts));
	}
	for (int i = 0; i < ind_ndefs; i++)
		json_array_append_new(ds, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", ind_defs[i].code, "name_en",
						    ind_defs[i].name_en, "name_vi", ind_defs[i].name_vi, "expression",
						    ind_defs[i].expr, "unit", ind_defs[i].unit, "seed", ind_defs[i].seed));
	for (int i = 0; i < ind_npending; i++)
		json_array_append_new(ps, json_pack("{s:s, s:s, s:s, s:s}", "code", ind_pending[i].code,
						    "name_en", ind_pending[i].name_en, "name_vi", ind_pending[i].name_vi, "awaits",
						    ind_pending[i].awaits));
	json_object_set_new(c, "measures", ms);
	json_object_set_new(c, "indicators", ds);
	json_object_set_new(c, "pending", ps);
	json_object_set_new(c, "prev_suffix",
			    json_pack("{s:s, s:s}", "suffix", IND_PREV_SUFFIX, "meaning",
				      "a measure name ending in _prev is the measure over the previous period of the same "
				      "kind: stocks on its last day, flows over the same span of it as has elapsed of the "
				      "current one"));
	json_object_set_new(c, "statuses", json_pack("[s, s, s, s, s, s, s]", "met", "on_track", "at_risk", "missed",
						     "no_data", "not_started", "not_applicable"));
	return c;
}
