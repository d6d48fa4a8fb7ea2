/* complex.c: the Decision 28/2025/QĐ-TTg commune classification (complex.h). One pass over the
 * operations image fills every commune's counts, one pass over each commune's residents counts the
 * managed users; then each commune is classified from its values alone (cx_classify), which is
 * what the boundary tests exercise. */
#include "domain/complex.h"

#include <stdlib.h>
#include <string.h>

#include "domain/opimg.h"

static const char *const min_codes[CX_TYPES] = {
	"complex.commune.type1.criteria_min", "complex.commune.type2.criteria_min", "complex.commune.type3.criteria_min"};

static const char *const thr_codes[CX_TYPES][CXC_N][2] = {
	{{"complex.commune.type1.users_addicts_pct", NULL},
	 {"complex.commune.type1.places", NULL},
	 {"complex.commune.type1.arrests_pct", NULL},
	 {"complex.commune.type1.plants", "complex.commune.type1.plant_area_m2"},
	 {"complex.commune.type1.type3_criteria_min", NULL}},
	{{"complex.commune.type2.users_addicts_pct.min", NULL},
	 {"complex.commune.type2.places", NULL},
	 {"complex.commune.type2.arrests_pct.min", NULL},
	 {"complex.commune.type2.plants.min", "complex.commune.type2.plant_area_m2.min"},
	 {"complex.commune.type2.type3_criteria_min", NULL}},
	{{"complex.commune.type3.users_addicts_pct.min", NULL},
	 {"complex.commune.type3.places", NULL},
	 {"complex.commune.type3.arrests_pct.min", NULL},
	 {"complex.commune.type3.plants.min", "complex.commune.type3.plant_area_m2.min"},
	 {NULL, NULL}}};

const char cx_route_code[] = "complex.commune.route_cases_min";

const char *cx_min_code(int t)
{
	return t >= 0 && t < CX_TYPES ? min_codes[t] : NULL;
}

const char *cx_thr_code(int t, enum cx_crit c, int k)
{
	return t >= 0 && t < CX_TYPES && (unsigned)c < CXC_N && (k == 0 || k == 1) ? thr_codes[t][c][k] : NULL;
}

void cx_params_at(const struct rulebook *rb, int32_t date, struct cx_params *p)
{
	memset(p, 0, sizeof(*p));
	p->date = date;
	for (int t = 0; t < CX_TYPES; t++) {
		p->min[t] = rule_at(rb, min_codes[t], date);
		for (int c = 0; c < CXC_N; c++)
			for (int k = 0; k < 2; k++)
				p->thr[t][c][k] = thr_codes[t][c][k] ? rule_at(rb, thr_codes[t][c][k], date) : NULL;
	}
	p->route_cases = rule_at(rb, cx_route_code, date);
}

/* part >= thr % of whole, in integers where the data are integers; the tolerance absorbs the
 * binary form of 0.1 so that 1 arrest in 1,000 people is exactly 0.1% */
static int pct_reaches(int64_t part, int64_t whole, double thr)
{
	double lhs = (double)part * 100.0, rhs = thr * (double)whole;

	return lhs >= rhs - 1e-9 * (rhs > 1 ? rhs : 1);
}

static int reaches(int64_t v, double thr)
{
	return (double)v >= thr - 1e-9;
}

static int ok(const struct rule *r)
{
	return r && r->confirmed;
}

/* One criterion of type t on v; *confirmed set when every row behind it is confirmed. */
static enum cx_status criterion(const struct cx_params *p, int t, enum cx_crit c, const struct cx_values *v,
				int type3_met, int on_route, uint8_t *confirmed)
{
	const struct rule *a = p->thr[t][c][0], *b = p->thr[t][c][1];

	*confirmed = 0;
	switch (c) {
	case CXC_USERS:
	case CXC_ARRESTS:
		if (!a)
			return CXS_NO_THRESHOLD;
		*confirmed = ok(a);
		if (!v->has_population)
			return CXS_NO_DATA;
		return pct_reaches(c == CXC_USERS ? v->users : v->arrested, v->population, a->value) ? CXS_MET : CXS_NOT_MET;
	case CXC_PLACES:
		if (!a)
			return CXS_NO_THRESHOLD;
		*confirmed = ok(a);
		return reaches(v->places, a->value) ? CXS_MET : CXS_NOT_MET;
	case CXC_PLANTS:
		if (!a && !b)
			return CXS_NO_THRESHOLD;
		*confirmed = (!a || ok(a)) && (!b || ok(b));
		return (a && reaches(v->plants, a->value)) || (b && reaches(v->area_m2, b->value)) ? CXS_MET : CXS_NOT_MET;
	case CXC_ROUTE:
		if (t == CX_TYPES - 1)
			return CXS_NOT_APPLICABLE;
		if (!a || on_route < 0)
			return CXS_NO_THRESHOLD;
		/* it rests on the type III thresholds and the route reading too */
		*confirmed = ok(a) && ok(p->route_cases) && ok(p->min[CX_TYPES - 1]);
		for (int k = 0; k < CXC_ROUTE; k++)
			for (int j = 0; j < 2; j++)
				if (p->thr[CX_TYPES - 1][k][j] && !p->thr[CX_TYPES - 1][k][j]->confirmed)
					*confirmed = 0;
		return reaches(type3_met, a->value) && on_route ? CXS_MET : CXS_NOT_MET;
	default:
		return CXS_NO_THRESHOLD;
	}
}

static void classify_type(const struct cx_params *p, int t, const struct cx_values *v, int type3_met, int on_route,
			  struct cx_type *r)
{
	int met_confirmed = 0, open_doubt = 0;

	memset(r, 0, sizeof(*r));
	for (int c = 0; c < CXC_N; c++) {
		r->st[c] = criterion(p, t, (enum cx_crit)c, v, type3_met, on_route, &r->confirmed[c]);
		if (r->st[c] == CXS_MET) {
			r->met_count++;
			met_confirmed += r->confirmed[c];
		} else if (r->st[c] != CXS_NOT_APPLICABLE && !r->confirmed[c]) {
			open_doubt = 1; /* an unconfirmed (or missing) threshold could have been met */
		}
	}
	r->met = p->min[t] && reaches(r->met_count, p->min[t]->value);
	if (r->met)
		r->confirmed_outcome = ok(p->min[t]) && reaches(met_confirmed, p->min[t]->value);
	else
		r->confirmed_outcome = ok(p->min[t]) && !open_doubt;
}

void cx_classify(const struct cx_params *p, const struct cx_values *v, struct cx_result *r)
{
	struct cx_type t3;

	r->v = *v;
	r->on_route = p->route_cases ? reaches(v->route_cases, p->route_cases->value) : -1;
	/* the type III criteria first: the route criterion of types I and II counts them */
	classify_type(p, CX_TYPES - 1, v, 0, r->on_route, &t3);
	r->type3_met = t3.met_count;
	for (int t = 0; t < CX_TYPES - 1; t++)
		classify_type(p, t, v, r->type3_met, r->on_route, &r->t[t]);
	r->t[CX_TYPES - 1] = t3;
	r->type = 0;
	r->confirmed = 1;
	for (int t = 0; t < CX_TYPES; t++) {
		r->confirmed = r->confirmed && r->t[t].confirmed_outcome;
		if (r->t[t].met) {
			r->type = t + 1;
			break;
		}
	}
}

/* ---- values over the snapshot ----------------------------------------------------------------- */

struct walk {
	const struct cx_params *p;
	const struct cx_values *acc; /* per org-unit index, from the operations image */
	int year;
	int32_t at;
	struct cx_result *res;
	int32_t n, cap;
	int oom;
};

static int64_t managed_users(const struct snap *s, int32_t ci, int32_t at)
{
	const struct snap_ou *o = &s->ous[ci];
	int64_t n = 0;

	for (int32_t k = 0; k < o->nmembers; k++) {
		const struct snap_person *pp = s->persons[o->members[k]];

		if (pp && (snap_holds(pp, CL_ADDICT, at) || snap_holds(pp, CL_ILLEGAL_USER, at)) && snap_open_record(pp, -1, at))
			n++;
	}
	return n;
}

static int walk_fn(const struct snap *s, int32_t ci, void *cls)
{
	struct walk *w = cls;
	struct cx_values v = w->acc[ci];

	if (w->n == w->cap) {
		int32_t cap = w->cap ? w->cap * 2 : 64;
		void *np = realloc(w->res, (size_t)cap * sizeof(*w->res));

		if (!np) {
			w->oom = 1;
			return -1;
		}
		w->res = np;
		w->cap = cap;
	}
	v.users = managed_users(s, ci, w->at);
	v.has_population = op_population(s->oper, s->ous[ci].id, w->year, &v.population) && v.population > 0;
	memset(&w->res[w->n], 0, sizeof(w->res[w->n]));
	w->res[w->n].commune_ix = ci;
	cx_classify(w->p, &v, &w->res[w->n]);
	w->n++;
	return 0;
}

int cx_eval(const struct snap *s, const struct cx_params *p, int32_t root, int year, int32_t from, int32_t at,
	    struct cx_result **out, int32_t *n)
{
	struct cx_values *acc = calloc((size_t)(s->nous > 0 ? s->nous : 1), sizeof(*acc));
	const struct op_image *img = s->oper;
	struct walk w = {p, acc, year, at, NULL, 0, 0, 0};

	*out = NULL;
	*n = 0;
	if (!acc)
		return -1;
	for (size_t i = 0; i < op_count(img, OPK_HOTSPOT); i++) {
		const struct op_hotspot *h = &img->hot[i];
		int32_t ix = snap_ou_ix(s, h->ou);

		if (ix >= 0 && h->kind == HK_USE_VENUE && h->discovered <= at && h->eliminated >= from)
			acc[ix].places++;
	}
	for (size_t i = 0; i < op_count(img, OPK_CASE); i++) {
		const struct op_case *c = &img->cases[i];
		int32_t ix = snap_ou_ix(s, c->ou);

		if (ix < 0 || c->detected < from || c->detected > at)
			continue;
		acc[ix].arrested += c->suspects;
		if (c->route == RT_LAND_BORDER || c->route == RT_SEA || c->route == RT_AIR || c->route == RT_INLAND)
			acc[ix].route_cases++;
	}
	for (size_t i = 0; i < op_count(img, OPK_PLANT); i++) {
		const struct op_plant *pl = &img->plants[i];
		int32_t ix = snap_ou_ix(s, pl->ou);

		if (ix >= 0 && pl->eradicated >= from && pl->eradicated <= at) {
			acc[ix].plants += pl->plants;
			acc[ix].area_m2 += pl->area_m2;
		}
	}
	if (snap_communes(s, root, at, walk_fn, &w) || w.oom) {
		free(w.res);
		free(acc);
		return -1;
	}
	free(acc);
	*out = w.res;
	*n = w.n;
	return 0;
}

/* ---- names -------------------------------------------------------------------------------------- */

static const char *const crit_codes[CXC_N] = {"users_addicts_pct", "places", "arrests_pct", "plants", "route"};
static const char *const crit_en[CXC_N] = {
	"Managed addicts and illegal users, share of the population",
	"Places organising or harbouring drug use",
	"Drug offenders arrested, share of the population",
	"Narcotic plants found and destroyed (plants or area)",
	"Meets type III criteria and lies on a complex route"};
static const char *const crit_vi[CXC_N] = {
	"Tỷ lệ người nghiện, người sử dụng trái phép chất ma túy có hồ sơ quản lý trên dân số",
	"Tụ điểm, điểm tổ chức, chứa chấp sử dụng trái phép chất ma túy",
	"Tỷ lệ người phạm tội về ma túy bị bắt giữ trên dân số",
	"Cây có chứa chất ma túy bị phát hiện, triệt phá (số cây hoặc diện tích)",
	"Đáp ứng tiêu chí xã loại III và nằm trên tuyến phức tạp về ma túy"};

const char *cx_crit_code(enum cx_crit c)
{
	return (unsigned)c < CXC_N ? crit_codes[c] : "";
}

const char *cx_crit_label(enum cx_crit c, int vietnamese)
{
	return (unsigned)c < CXC_N ? (vietnamese ? crit_vi[c] : crit_en[c]) : "";
}

const char *cx_status_code(enum cx_status st)
{
	static const char *const codes[] = {"met", "not_met", "no_data", "no_threshold", "not_applicable"};

	return (unsigned)st < sizeof(codes) / sizeof(codes[0]) ? codes[st] : "";
}

const char *cx_type_name(int type)
{
	static const char *const names[] = {"none", "I", "II", "III"};

	return type >= 0 && type <= 3 ? names[type] : "";
}
