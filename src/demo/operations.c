/* operations.c: the demo's operations registry (operations.h). Each record is drawn from its own
 * random stream (purpose, year, index), so the data are the same for a seed whatever else the demo
 * draws, and every record goes through ent_validate + ops->insert like a form would.
 * Figures are in the range Nghệ An reports: a few hundred cases a year, most inland and on the Laos
 * border, heroin by the cake (about 350 g) and pills by the thousand on the border, grams inland. */
#include "demo/operations.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/rng.h"
#include "domain/operations.h"
#include "util/date.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PROVINCE_CODE "40"

/* Random stream labels, apart from demo.c's (1..9). */
enum { RS_OP_ROLE = 101, RS_OP_POP, RS_OP_HOT, RS_OP_CASE, RS_OP_PLANT, RS_OP_COMM, RS_OP_TARGET };

/* How the demo treats each district: on the Laos border, mountainous (poppy), on the coast, urban. */
static const struct {
	const char *code;
	int border, mountain, coastal, urban;
	int type1, type2; /* communes drawn as Decision 28 type I / type II */
} dprof[] = {
	{"412", 0, 0, 0, 1, 0, 0}, {"414", 0, 0, 0, 1, 0, 0}, {"415", 1, 1, 0, 0, 1, 1}, {"416", 0, 1, 0, 0, 0, 1},
	{"417", 1, 1, 0, 0, 2, 2}, {"418", 1, 1, 0, 0, 1, 2}, {"420", 0, 1, 0, 0, 0, 1}, {"421", 0, 0, 1, 0, 0, 0},
	{"422", 1, 1, 0, 0, 0, 1}, {"424", 1, 0, 0, 0, 0, 0}, {"425", 0, 0, 1, 0, 0, 0}, {"428", 1, 0, 0, 0, 0, 0},
	{"429", 0, 0, 1, 0, 0, 0}, {"432", 0, 0, 1, 1, 0, 0},
};

static const char *const villages[] = {"Huồi Pủ", "Xốp Pu", "Na Ngoi", "Phà Khảo", "Huồi Tụ", "Ca Moong", "Pha Lài",
				       "Noọng Dẻ", "Nậm Khiên", "Huồi Giảng", "Tà Cạ", "Mường Lống", "Piêng Phô", "Cha Nga"};

struct odistrict {
	int64_t id;
	char code[17];
	int c0, nc;
	int border, mountain, coastal, urban, type1, type2;
};

struct ocommune {
	int64_t id;
	char code[17], name[201];
	int d, ward, role; /* role: 1 drawn as type I, 2 as type II, 0 neither */
	int pop;           /* 2021 population */
	int growth;        /* permille a year */
};

struct ogen {
	struct store *s;
	const struct ent_ctx *ctx;
	uint64_t seed;
	int32_t T;
	int ty; /* today's year */
	struct odistrict d[64];
	int nd;
	struct ocommune *c;
	int nc;
	int cases; /* case numbers issued */
	struct pcmt_err *err;
};

/* ---- helpers --------------------------------------------------------------------------------- */

static int put(struct ogen *g, const struct entity_def *e, json_t *in)
{
	json_t *rec = NULL;
	int rc = -1;

	if (!in)
		return err_set(g->err, ERR_INTERNAL, NULL, "out of memory building a %s record", e->name);
	if (ent_validate(e, g->ctx, in, 0, &rec, g->err) == 0 && g->s->ops->insert(g->s, e, NULL, rec, NULL, g->err) == 0)
		rc = 0;
	else if (strlen(g->err->message) < 150) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%.150s", g->err->message);
		snprintf(g->err->message, sizeof(g->err->message), "demo %.40s: %s", e->name, msg);
	}
	json_decref(in);
	json_decref(rec);
	return rc;
}

static json_t *jdate(int32_t d)
{
	char b[DATE_BUFSZ];

	return json_string(date_format(d, b));
}

static int32_t rdate(struct rng *r, int32_t a, int32_t b)
{
	return b <= a ? a : a + rng_below(r, b - a + 1);
}

static int32_t min32(int32_t a, int32_t b)
{
	return a < b ? a : b;
}

static int pop_in(const struct ocommune *c, int year)
{
	return (int)((int64_t)c->pop * (1000 + c->growth * (year - 2021)) / 1000);
}

/* A commune of the districts that `want` accepts, drawn with weight. -1 when none. */
typedef int want_fn(const struct odistrict *d);
static int want_border(const struct odistrict *d) { return d->border; }
static int want_mountain(const struct odistrict *d) { return d->mountain; }
static int want_coastal(const struct odistrict *d) { return d->coastal; }
static int want_urban(const struct odistrict *d) { return d->urban; }
static int want_any(const struct odistrict *d) { return 1; }

static int pick_commune(struct ogen *g, struct rng *r, want_fn *want)
{
	int total = 0, x;

	for (int i = 0; i < g->nd; i++)
		total += want(&g->d[i]) ? g->d[i].nc : 0;
	if (!total)
		return -1;
	x = rng_below(r, total);
	for (int i = 0; i < g->nd; i++) {
		if (!want(&g->d[i]))
			continue;
		if (x < g->d[i].nc)
			return g->d[i].c0 + x;
		x -= g->d[i].nc;
	}
	return -1;
}

/* ---- the province ----------------------------------------------------------------------------- */

static int list_children(struct ogen *g, int64_t parent, const char *kind, json_t **items)
{
	struct store_query q;
	int64_t total = 0;
	int rc;

	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = 1000;
	q.eq[0].field = "parent_id";
	q.eq[0].value = json_integer(parent);
	q.eq[1].field = "kind";
	q.eq[1].value = json_string(kind);
	q.neq = 2;
	rc = g->s->ops->list(g->s, &ent_orgunits, &q, items, &total, g->err);
	json_decref(q.eq[0].value);
	json_decref(q.eq[1].value);
	return rc;
}

static int load(struct ogen *g)
{
	struct ou_info pr;
	json_t *ds = NULL, *cs = NULL, *it, *ct;
	size_t i, j;
	int rc = -1;

	if (g->s->ops->ou_by_code(g->s, PROVINCE_CODE, DATE_NONE, &pr, g->err))
		return err_set(g->err, ERR_INVALID, NULL, "the org units have no province %s (Nghệ An)", PROVINCE_CODE);
	if (list_children(g, pr.id, "district", &ds))
		return -1;
	json_array_foreach(ds, i, it) {
		struct odistrict *d;
		const char *code = json_string_value(json_object_get(it, "code"));

		if (g->nd == N(g->d))
			break;
		d = &g->d[g->nd++];
		memset(d, 0, sizeof(*d));
		d->id = json_integer_value(json_object_get(it, "id"));
		snprintf(d->code, sizeof(d->code), "%s", code ? code : "");
		for (int k = 0; k < N(dprof); k++)
			if (!strcmp(dprof[k].code, d->code)) {
				d->border = dprof[k].border;
				d->mountain = dprof[k].mountain;
				d->coastal = dprof[k].coastal;
				d->urban = dprof[k].urban;
				d->type1 = dprof[k].type1;
				d->type2 = dprof[k].type2;
			}
		if (list_children(g, d->id, "commune", &cs))
			goto out;
		d->c0 = g->nc;
		d->nc = (int)json_array_size(cs);
		if (d->nc) {
			struct ocommune *v = realloc(g->c, (size_t)(g->nc + d->nc) * sizeof(*v));

			if (!v) {
				err_set(g->err, ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			g->c = v;
		}
		json_array_foreach(cs, j, ct) {
			struct ocommune *c = &g->c[g->nc++];
			const char *type = json_string_value(json_object_get(ct, "type_name"));

			memset(c, 0, sizeof(*c));
			c->id = json_integer_value(json_object_get(ct, "id"));
			snprintf(c->code, sizeof(c->code), "%s", json_string_value(json_object_get(ct, "code")));
			snprintf(c->name, sizeof(c->name), "%s", json_string_value(json_object_get(ct, "name")));
			c->d = g->nd - 1;
			c->ward = type && strcmp(type, "Xã");
		}
		json_decref(cs);
		cs = NULL;
	}
	rc = 0;
out:
	json_decref(ds);
	json_decref(cs);
	return rc;
}

/* Populations, and the communes drawn as type I and II (rural communes of the listed districts). */
static void plan_communes(struct ogen *g)
{
	for (int i = 0; i < g->nc; i++) {
		struct ocommune *c = &g->c[i];
		const struct odistrict *d = &g->d[c->d];
		struct rng r = rng_stream(g->seed, RS_OP_POP, (uint64_t)i);

		c->pop = c->ward || d->urban ? rng_range(&r, 9000, 21000)
			 : d->mountain       ? rng_range(&r, 3500, 7800)
					     : rng_range(&r, 6000, 14000);
		c->growth = rng_range(&r, 4, 14);
	}
	for (int k = 0; k < g->nd; k++) {
		const struct odistrict *d = &g->d[k];
		struct rng r = rng_stream(g->seed, RS_OP_ROLE, (uint64_t)k);
		int want[3] = {0, d->type1, d->type2};

		for (int role = 1; role <= 2; role++)
			for (int n = 0, tries = 0; n < want[role] && tries < 200; tries++) {
				struct ocommune *c = &g->c[d->c0 + rng_below(&r, d->nc)];

				if (c->ward || c->role)
					continue;
				c->role = role;
				if (role == 1)
					c->pop = rng_range(&r, 3500, 6000); /* the small border communes of the west */
				n++;
			}
	}
}

static int write_populations(struct ogen *g)
{
	for (int i = 0; i < g->nc; i++)
		for (int y = 2021; y <= g->ty; y++)
			if (put(g, &ent_populations,
				json_pack("{s:I, s:i, s:i, s:s}", "ou_id", (json_int_t)g->c[i].id, "year", y, "population",
					  pop_in(&g->c[i], y), "source", "Số liệu minh họa (demo), không phải số liệu thống kê")))
				return -1;
	return 0;
}

/* ---- hotspots --------------------------------------------------------------------------------- */

static const char *const urban_venues[] = {"karaoke", "motel", "bar", "rented_room", "hotel", "eatery"};
static const char *const rural_venues[] = {"private_house", "open_ground", "rented_room", "eatery"};

/* A hotspot discovered on d0 whose history runs for about `life` days (0: still active). */
static int hotspot(struct ogen *g, struct rng *r, int ci, int kind, int32_t d0, int life)
{
	static const char *const kinds[] = {"use_venue", "retail_point", "complex_area"};
	const struct ocommune *c = &g->c[ci];
	int urban = c->ward || g->d[c->d].urban;
	json_t *h, *rec;
	char addr[300];
	int32_t t1 = DATE_NONE, t2 = DATE_NONE;

	if (d0 > g->T)
		return 0;
	h = json_array();
	json_array_append_new(h, json_pack("{s:s, s:o}", "status", "active", "date", jdate(d0)));
	if (life > 0) {
		if (rng_chance(r, 350))
			t1 = d0 + rng_range(r, 10, life / 2 + 10);
		t2 = d0 + life;
		if (t1 != DATE_NONE && t1 <= g->T)
			json_array_append_new(h, json_pack("{s:s, s:o}", "status", "under_transformation", "date", jdate(t1)));
		if (t2 <= g->T && (t1 == DATE_NONE || t2 > t1))
			json_array_append_new(h, json_pack("{s:s, s:o}", "status", "eliminated", "date", jdate(t2)));
	}
	if (urban)
		snprintf(addr, sizeof(addr), "Khối %d, %s", rng_range(r, 1, 18), c->name);
	else
		snprintf(addr, sizeof(addr), "Bản %s, %s", villages[rng_below(r, N(villages))], c->name);
	rec = json_pack("{s:s, s:I, s:s, s:o, s:o}", "kind", kinds[kind], "ou_id", (json_int_t)c->id, "address", addr,
			"discovered", jdate(d0), "status_history", h);
	if (kind != 2)
		json_object_set_new(rec, "venue_kind", json_string(urban ? urban_venues[rng_below(r, N(urban_venues))]
									 : rural_venues[rng_below(r, N(rural_venues))]));
	if (kind == 2)
		json_object_set_new(rec, "description",
				    json_string("Địa bàn giáp biên, nhiều đối tượng qua lại mua bán, vận chuyển trái phép chất ma túy"));
	return put(g, &ent_hotspots, rec);
}

static int write_hotspots(struct ogen *g)
{
	for (int y = 2020; y <= g->ty; y++) {
		int32_t Y0 = date_from_ymd(y, 1, 1), Y1 = date_from_ymd(y, 12, 31);
		/* 2020 only gives what was known when the history starts */
		int n = y == 2020 ? 24 : 16;

		for (int k = 0; k < n; k++) {
			struct rng r = rng_stream(g->seed, RS_OP_HOT, (uint64_t)(y * 1000 + k));
			int ci = pick_commune(g, &r, rng_chance(&r, 450) ? want_urban : want_any);
			int kind = rng_pick(&r, (const int[]){55, 35, 10}, 3);
			int life = rng_chance(&r, 150) ? 0 : rng_range(&r, 40, 520);

			if (ci < 0)
				continue;
			if (y == 2020)
				Y0 = date_from_ymd(2020, 9, 1);
			if (hotspot(g, &r, ci, kind, rdate(&r, Y0, Y1), life))
				return -1;
		}
		if (y == 2020)
			continue;
		/* each commune drawn as type I has at least two places in use every year, type II one */
		for (int ci = 0; ci < g->nc; ci++) {
			struct rng r = rng_stream(g->seed, RS_OP_TARGET, (uint64_t)(y * 10000 + ci));
			int want = g->c[ci].role == 1 ? 2 : g->c[ci].role == 2 ? 1 : 0;

			for (int k = 0; k < want; k++)
				if (hotspot(g, &r, ci, 0, rdate(&r, Y0, Y0 + 50), rng_range(&r, 250, 300)))
					return -1;
		}
	}
	return 0;
}

/* ---- cases ------------------------------------------------------------------------------------ */

static json_t *seizure(const char *substance, double q)
{
	json_t *qv = q == floor(q) ? json_integer((json_int_t)q) : json_real(round(q * 100) / 100);

	return json_pack("{s:s, s:o, s:s}", "substance", substance, "quantity", qv, "unit", op_seized_unit(substance));
}

static double small(struct rng *r, int lo_centi, int hi_centi)
{
	return rng_range(r, lo_centi, hi_centi) / 100.0;
}

/* What a case on route rt seizes: cakes and thousands of pills on the border, grams inland. */
static json_t *seizures(struct rng *r, int rt, int mountain)
{
	json_t *a = json_array();

	switch (rt) {
	case RT_LAND_BORDER:
		if (rng_chance(r, 550))
			json_array_append_new(a, seizure("heroin", 350.0 * rng_range(r, 1, 30)));
		if (rng_chance(r, 450))
			json_array_append_new(a, seizure("synthetic_pills", 1000.0 * rng_range(r, 2, 80)));
		if (rng_chance(r, 300) || json_array_size(a) == 0)
			json_array_append_new(a, seizure("methamphetamine", 100.0 * rng_range(r, 5, 200)));
		break;
	case RT_SEA:
		json_array_append_new(a, seizure("methamphetamine", 1000.0 * rng_range(r, 1, 50)));
		if (rng_chance(r, 300))
			json_array_append_new(a, seizure("ketamine", 100.0 * rng_range(r, 5, 100)));
		break;
	case RT_AIR:
		json_array_append_new(a, seizure(rng_chance(r, 500) ? "heroin" : "cocaine", 10.0 * rng_range(r, 10, 300)));
		break;
	case RT_POSTAL_EXPRESS:
		json_array_append_new(a, seizure((const char *[]){"methamphetamine", "ketamine", "cannabis"}[rng_below(r, 3)],
						 10.0 * rng_range(r, 5, 300)));
		if (rng_chance(r, 250))
			json_array_append_new(a, seizure("synthetic_pills", 100.0 * rng_range(r, 1, 50)));
		break;
	case RT_CYBERSPACE:
		json_array_append_new(a, seizure(rng_chance(r, 500) ? "synthetic_pills" : "ketamine", rng_range(r, 5, 400)));
		break;
	default:
		if (rng_chance(r, 450))
			json_array_append_new(a, seizure("heroin", small(r, 5, 2000)));
		if (rng_chance(r, 550))
			json_array_append_new(a, seizure("methamphetamine", small(r, 10, 5000)));
		if (rng_chance(r, 300))
			json_array_append_new(a, seizure("synthetic_pills", rng_range(r, 1, 200)));
		if (rng_chance(r, 150))
			json_array_append_new(a, seizure("cannabis", small(r, 100, 30000)));
		if (mountain && rng_chance(r, 200))
			json_array_append_new(a, seizure("opium", small(r, 500, 50000)));
		if (json_array_size(a) == 0)
			json_array_append_new(a, seizure("methamphetamine", small(r, 10, 300)));
	}
	return a;
}

/* detected, then prosecution within weeks, indictment and trial within months, each when reached */
static json_t *stages(struct ogen *g, struct rng *r, int32_t d0)
{
	json_t *a = json_array();
	int32_t d = d0;

	json_array_append_new(a, json_pack("{s:s, s:o}", "stage", "detected", "date", jdate(d0)));
	if (!rng_chance(r, 970) || (d += rng_range(r, 2, 25)) > g->T)
		return a;
	json_array_append_new(a, json_pack("{s:s, s:o}", "stage", "prosecuted", "date", jdate(d)));
	if (!rng_chance(r, 920) || (d += rng_range(r, 60, 150)) > g->T)
		return a;
	json_array_append_new(a, json_pack("{s:s, s:o}", "stage", "indicted", "date", jdate(d)));
	if (!rng_chance(r, 940) || (d += rng_range(r, 30, 120)) > g->T)
		return a;
	json_array_append_new(a, json_pack("{s:s, s:o, s:b}", "stage", "tried", "date", jdate(d), "mobile_trial",
					   rng_chance(r, 120)));
	return a;
}

static int one_case(struct ogen *g, struct rng *r, int ci, int32_t d0, int rt, int suspects)
{
	static const char *const routes[] = {"land_border", "sea", "air", "postal_express", "cyberspace", "inland"};
	static const int organised_pm[] = {350, 500, 300, 250, 150, 80}, transnational_pm[] = {450, 400, 600, 100, 50, 0};
	const char *force;
	int organised = rng_chance(r, organised_pm[rt]), ring;
	char number[40];
	int y, m, dd;

	if (d0 > g->T)
		return 0;
	switch (rt) {
	case RT_LAND_BORDER: force = rng_chance(r, 600) ? "border_guard" : "police"; break;
	case RT_SEA: force = rng_chance(r, 500) ? "coast_guard" : "border_guard"; break;
	case RT_AIR: force = rng_chance(r, 600) ? "customs" : "police"; break;
	case RT_POSTAL_EXPRESS: force = rng_chance(r, 300) ? "customs" : "police"; break;
	default: force = "police";
	}
	if (suspects <= 0)
		suspects = organised ? rng_range(r, 2, 6) : rng_range(r, 1, 2);
	ring = organised ? rng_range(r, 1, suspects > 2 ? 2 : 1) : 0;
	date_to_ymd(d0, &y, &m, &dd);
	snprintf(number, sizeof(number), "%d/%d/VA-%s", ++g->cases, y, g->d[g->c[ci].d].code);
	return put(g, &ent_cases,
		   json_pack("{s:s, s:o, s:I, s:s, s:s, s:b, s:b, s:i, s:i, s:o, s:o}", "case_number", number,
			     "detected", jdate(d0), "ou_id", (json_int_t)g->c[ci].id, "detecting_force", force, "route",
			     routes[rt], "organised", organised, "transnational", rng_chance(r, transnational_pm[rt]),
			     "suspects", suspects, "ringleaders", ring, "seizures",
			     seizures(r, rt, g->d[g->c[ci].d].mountain), "stages", stages(g, r, d0)));
}

static int write_cases(struct ogen *g)
{
	/* cases a year per route in 2021 and the growth per year in permille: the border routes and the
	 * express and online trade grow, as the national programme wants them to be found more */
	static const int base[RT_N] = {38, 5, 2, 7, 9, 110}, growth[RT_N] = {60, 40, 0, 110, 140, 0};
	static want_fn *const where[RT_N] = {want_border, want_coastal, want_urban, want_urban, want_any, want_any};

	for (int y = 2021; y <= g->ty; y++) {
		int32_t Y0 = date_from_ymd(y, 1, 1), Y1 = date_from_ymd(y, 12, 31);

		for (int rt = 0; rt < RT_N; rt++) {
			double f = 1.0;
			int n;

			for (int k = 2021; k < y; k++)
				f *= 1.0 + growth[rt] / 1000.0;
			n = (int)lround(base[rt] * f);
			for (int k = 0; k < n; k++) {
				struct rng r = rng_stream(g->seed, RS_OP_CASE, (uint64_t)((y * 10 + rt) * 1000 + k));
				/* online and inland trade is mostly in the towns */
				int ci = pick_commune(g, &r, (rt == RT_CYBERSPACE || rt == RT_INLAND) && rng_chance(&r, 450)
									? want_urban
									: where[rt]);

				if (ci >= 0 && one_case(g, &r, ci, rdate(&r, Y0, Y1), rt, 0))
					return -1;
			}
		}
		/* communes drawn as type I: arrests of at least 0.1% of the population, on the border
		 * route, early in the year; type II: from 0.05% and under 0.1% */
		for (int ci = 0; ci < g->nc; ci++) {
			struct rng r = rng_stream(g->seed, RS_OP_TARGET, (uint64_t)(y * 10000 + ci) + 5000000);
			int pop = pop_in(&g->c[ci], y), want, got = 0;

			if (!g->c[ci].role)
				continue;
			want = g->c[ci].role == 1 ? pop / 1000 + 1 : (pop * 6 + 9999) / 10000;
			if (g->c[ci].role == 2 && want * 1000 >= pop)
				want = pop / 1000 - 1 > 0 ? pop / 1000 - 1 : 1;
			while (got < want) {
				int k = want - got < 3 ? want - got : rng_range(&r, 1, 3);

				if (one_case(g, &r, ci, rdate(&r, Y0 + 5, Y0 + 100), g->c[ci].role == 1 ? RT_LAND_BORDER : RT_INLAND, k))
					return -1;
				got += k;
			}
		}
	}
	return 0;
}

/* ---- plant sites ------------------------------------------------------------------------------ */

static int plant_site(struct ogen *g, struct rng *r, int ci, int32_t d0, int area, int per_m2_tenths, int replanted)
{
	int32_t er = d0 + (rng_chance(r, 900) ? rng_range(r, 0, 6) : rng_range(r, 7, 30));
	json_t *rec;
	char loc[200];

	if (d0 > g->T)
		return 0;
	snprintf(loc, sizeof(loc), "Nương bản %s", villages[rng_below(r, N(villages))]);
	rec = json_pack("{s:I, s:s, s:s, s:o, s:i, s:i, s:b}", "ou_id", (json_int_t)g->c[ci].id, "location", loc, "plant",
			rng_chance(r, 950) ? "opium_poppy" : "cannabis", "detected", jdate(d0), "area_m2", area, "plant_count",
			(int)((int64_t)area * per_m2_tenths / 10), "replanted", replanted);
	if (er <= g->T)
		json_object_set_new(rec, "eradicated", jdate(er));
	return put(g, &ent_plant_sites, rec);
}

static int write_plants(struct ogen *g)
{
	for (int y = 2021; y <= g->ty; y++) {
		/* the poppy season: sown in autumn, found from November to March */
		int32_t S0 = date_from_ymd(y - 1, 11, 15), S1 = date_from_ymd(y, 3, 20);

		for (int k = 0; k < 28; k++) {
			struct rng r = rng_stream(g->seed, RS_OP_PLANT, (uint64_t)(y * 1000 + k));
			int ci = pick_commune(g, &r, want_mountain);

			/* a few replanted sites early on, none since 2023 (seed: "the re-planting of opium poppy
			 * has been completely prevented") */
			int replanted = (y == 2021 && (k == 3 || k == 17)) || (y == 2022 && k == 9);

			if (ci >= 0 && plant_site(g, &r, ci, rdate(&r, S0, S1), rng_range(&r, 20, 900), rng_range(&r, 40, 140),
						  replanted))
				return -1;
		}
		for (int ci = 0; ci < g->nc; ci++) {
			struct rng r = rng_stream(g->seed, RS_OP_TARGET, (uint64_t)(y * 10000 + ci) + 9000000);
			int32_t J = date_from_ymd(y, 1, 5);

			/* type I: 3,000 plants and 750 m2 at least, destroyed in January; type II: 150-600 m2 */
			if (g->c[ci].role == 1) {
				if (plant_site(g, &r, ci, rdate(&r, J, J + 20), rng_range(&r, 450, 700), 80, 0) ||
				    plant_site(g, &r, ci, rdate(&r, J, J + 20), rng_range(&r, 350, 600), 80, 0))
					return -1;
			} else if (g->c[ci].role == 2 &&
				   plant_site(g, &r, ci, rdate(&r, J, J + 20), rng_range(&r, 150, 600), rng_range(&r, 30, 45), 0)) {
				return -1;
			}
		}
	}
	return 0;
}

/* ---- communication ---------------------------------------------------------------------------- */

static const struct {
	const char *form, *audience, *title;
	int weight, lo, hi; /* participants, 0: not counted */
} forms[] = {
	{"mobile_propaganda", "general_public", "Tuyên truyền lưu động phòng, chống ma túy tại các thôn, bản", 20, 100, 600},
	{"posters_banners", "general_public", "Treo băng rôn, khẩu hiệu, pa-nô phòng, chống ma túy", 14, 0, 0},
	{"social_networks", "youth", "Đăng tải tin, bài phòng, chống ma túy trên trang Zalo, Facebook của xã", 12, 0, 0},
	{"school_session", "students", "Ngoại khóa \"Học sinh nói không với ma túy\"", 12, 60, 600},
	{"police_listen_forum", "general_public", "Diễn đàn \"Công an lắng nghe ý kiến Nhân dân\"", 10, 40, 220},
	{"household_commitment", "households", "Ký cam kết hộ gia đình không liên quan đến ma túy, không trồng cây có chứa chất ma túy",
	 10, 30, 320},
	{"loudspeaker", "general_public", "Phát thanh chuyên mục phòng, chống ma túy trên loa truyền thanh", 9, 0, 0},
	{"meeting", "community_leaders", "Tọa đàm với người có uy tín, già làng, trưởng bản về phòng, chống ma túy", 5, 25, 120},
	{"rally", "general_public", "Mít tinh hưởng ứng Tháng hành động phòng, chống ma túy", 8, 200, 1500},
};

static int activity(struct ogen *g, struct rng *r, int64_t ou, int f, int32_t d)
{
	json_t *rec;

	if (d > g->T)
		return 0;
	rec = json_pack("{s:o, s:I, s:s, s:s, s:s}", "activity_date", jdate(d), "ou_id", (json_int_t)ou, "form",
			forms[f].form, "audience", forms[f].audience, "title", forms[f].title);
	if (forms[f].hi) {
		int p = rng_range(r, forms[f].lo, forms[f].hi);

		json_object_set_new(rec, "participants", json_integer(p));
		if (!strcmp(forms[f].form, "household_commitment"))
			json_object_set_new(rec, "commitments_signed", json_integer(p * rng_range(r, 70, 100) / 100));
	}
	return put(g, &ent_communication, rec);
}

static int write_communication(struct ogen *g)
{
	int w[N(forms)];

	for (int f = 0; f < N(forms); f++)
		w[f] = forms[f].weight;
	for (int y = 2021; y <= g->ty; y++) {
		int32_t Y0 = date_from_ymd(y, 1, 1), Y1 = date_from_ymd(y, 12, 31), june = date_from_ymd(y, 6, 1);

		/* most communes hold one to three a year; a few (fewer each year) none */
		for (int ci = 0; ci < g->nc; ci++) {
			struct rng r = rng_stream(g->seed, RS_OP_COMM, (uint64_t)(y * 10000 + ci));
			int n = rng_chance(&r, 90 - 12 * (y - 2021) > 15 ? 90 - 12 * (y - 2021) : 15) ? 0 : rng_range(&r, 1, 3);

			for (int k = 0; k < n; k++)
				if (activity(g, &r, g->c[ci].id, rng_pick(&r, w, N(forms)), rdate(&r, Y0, Y1)))
					return -1;
		}
		/* the Action Month (June): a rally in every district, reaching no commune by itself */
		for (int k = 0; k < g->nd; k++) {
			struct rng r = rng_stream(g->seed, RS_OP_COMM, (uint64_t)(y * 10000 + 9000 + k));

			if (activity(g, &r, g->d[k].id, N(forms) - 1, min32(rdate(&r, june, june + 25), Y1)))
				return -1;
		}
	}
	return 0;
}

int demo_operations(struct store *s, const struct ent_ctx *ctx, uint64_t seed, struct pcmt_err *err)
{
	struct ogen g;
	int m, d, rc;

	memset(&g, 0, sizeof(g));
	g.s = s;
	g.ctx = ctx;
	g.seed = seed;
	g.T = ctx->today;
	g.err = err;
	date_to_ymd(g.T, &g.ty, &m, &d);
	rc = load(&g);
	if (rc == 0) {
		plan_communes(&g);
		rc = write_populations(&g) || write_hotspots(&g) || write_cases(&g) || write_plants(&g) ||
		     write_communication(&g) ? -1 : 0;
	}
	free(g.c);
	return rc;
}
