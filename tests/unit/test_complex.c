/* test_complex.c: the Decision 28/2025/QĐ-TTg classification (src/domain/complex.c) at every
 * boundary, with the built-in rulebook: 0.49% and 0.5% of users, 1 and 2 places, 0.1% of arrests
 * (one in a thousand, whatever the binary form of 0.1), 2,999 and 3,000 plants, 749 and 750 m²,
 * 2 and 3 criteria, the route criterion, a commune without population, a missing rulebook row and
 * the confirmed flags; then the values cx_eval reads off a hand-built snapshot and operations image
 * (which places, cases, sites and persons count, and in which window). */
#include <stdlib.h>
#include <string.h>

#include "domain/complex.h"
#include "domain/opimg.h"
#include "engine/rulebook.h"
#include "testlib.h"
#include "util/date.h"

static struct rulebook RB;
static struct cx_params P; /* the rows in force at the end of 2025 */

static int setup(void **state)
{
	struct pcmt_err err;

	rulebook_init(&RB);
	if (rulebook_builtin(&RB, &err))
		return -1;
	cx_params_at(&RB, date_from_ymd(2025, 12, 31), &P);
	return 0;
}

static int teardown(void **state)
{
	rulebook_free(&RB);
	return 0;
}

/* A commune of 10,000 people with nothing at all. */
static struct cx_values quiet(void)
{
	struct cx_values v;

	memset(&v, 0, sizeof(v));
	v.has_population = 1;
	v.population = 10000;
	return v;
}

static struct cx_result classify(const struct cx_values *v)
{
	struct cx_result r;

	memset(&r, 0, sizeof(r));
	cx_classify(&P, v, &r);
	return r;
}

static enum cx_status st(const struct cx_values *v, int type, enum cx_crit c)
{
	struct cx_result r = classify(v);

	return r.t[type - 1].st[c];
}

static void test_rows_in_force(void **state)
{
	struct cx_params before;

	/* type I is confirmed, types II and III are not; every row the classification reads exists */
	assert_non_null(P.min[0]);
	assert_true(P.min[0]->confirmed);
	assert_int_equal((int)P.min[0]->value, 3);
	assert_false(P.min[1]->confirmed);
	assert_false(P.min[2]->confirmed);
	for (int t = 0; t < CX_TYPES; t++)
		for (int c = 0; c < CXC_N; c++)
			for (int k = 0; k < 2; k++)
				if (cx_thr_code(t, (enum cx_crit)c, k))
					assert_non_null(P.thr[t][c][k]);
	assert_non_null(P.route_cases);
	/* the decision took effect on 2025-08-24 */
	cx_params_at(&RB, date_from_ymd(2025, 8, 23), &before);
	assert_null(before.min[0]);
	assert_null(before.thr[0][CXC_PLACES][0]);
}

static void test_users_boundary(void **state)
{
	struct cx_values v = quiet();

	v.users = 49; /* 0.49% */
	assert_int_equal(st(&v, 1, CXC_USERS), CXS_NOT_MET);
	assert_int_equal(st(&v, 2, CXC_USERS), CXS_MET); /* from 0.3% (placeholder) */
	v.users = 50; /* 0.5% */
	assert_int_equal(st(&v, 1, CXC_USERS), CXS_MET);
	v.population = 1000;
	v.users = 5; /* 0.5% of a small commune */
	assert_int_equal(st(&v, 1, CXC_USERS), CXS_MET);
	v.users = 4;
	assert_int_equal(st(&v, 1, CXC_USERS), CXS_NOT_MET);
}

static void test_places_boundary(void **state)
{
	struct cx_values v = quiet();

	v.places = 1;
	assert_int_equal(st(&v, 1, CXC_PLACES), CXS_NOT_MET);
	assert_int_equal(st(&v, 2, CXC_PLACES), CXS_MET);
	assert_int_equal(st(&v, 3, CXC_PLACES), CXS_MET);
	v.places = 2;
	assert_int_equal(st(&v, 1, CXC_PLACES), CXS_MET);
	v.places = 0;
	assert_int_equal(st(&v, 3, CXC_PLACES), CXS_NOT_MET);
}

static void test_arrests_boundary(void **state)
{
	struct cx_values v = quiet();

	/* 0.1% in every form: 1 of 1,000, 3 of 3,000 (0.1 * 3 is not 0.3 in binary), 7 of 7,000 */
	for (int k = 1; k <= 9; k++) {
		v.population = 1000 * k;
		v.arrested = k;
		assert_int_equal(st(&v, 1, CXC_ARRESTS), CXS_MET);
		v.arrested = k - 1;
		assert_int_equal(st(&v, 1, CXC_ARRESTS), CXS_NOT_MET);
	}
	v.population = 10000;
	v.arrested = 5; /* 0.05%: type II's lower bound (reported) */
	assert_int_equal(st(&v, 2, CXC_ARRESTS), CXS_MET);
	v.arrested = 4;
	assert_int_equal(st(&v, 2, CXC_ARRESTS), CXS_NOT_MET);
}

static void test_plants_boundary(void **state)
{
	struct cx_values v = quiet();

	v.plants = 2999;
	v.area_m2 = 749;
	assert_int_equal(st(&v, 1, CXC_PLANTS), CXS_NOT_MET);
	assert_int_equal(st(&v, 2, CXC_PLANTS), CXS_MET);
	v.plants = 3000; /* plants alone */
	assert_int_equal(st(&v, 1, CXC_PLANTS), CXS_MET);
	v.plants = 2999;
	v.area_m2 = 750; /* area alone */
	assert_int_equal(st(&v, 1, CXC_PLANTS), CXS_MET);
	/* type II: from 125 m2 (reported) */
	v.plants = 0;
	v.area_m2 = 124;
	assert_int_equal(st(&v, 2, CXC_PLANTS), CXS_NOT_MET);
	v.area_m2 = 125;
	assert_int_equal(st(&v, 2, CXC_PLANTS), CXS_MET);
}

static void test_criteria_count(void **state)
{
	struct cx_values v = quiet();
	struct cx_result r;

	/* two type I criteria (places, plants): not type I; they reach type II's thresholds too, and the
	 * arrests of 0.05% make a third there */
	v.places = 2;
	v.plants = 3000;
	v.arrested = 5;
	r = classify(&v);
	assert_int_equal(r.t[0].met_count, 2);
	assert_false(r.t[0].met);
	assert_int_equal(r.t[1].met_count, 3);
	assert_int_equal(r.type, 2);
	assert_false(r.confirmed); /* type II's thresholds are not confirmed */
	/* a third type I criterion: type I, resting on confirmed rows only */
	v.arrested = 10;
	r = classify(&v);
	assert_int_equal(r.t[0].met_count, 3);
	assert_true(r.t[0].met);
	assert_int_equal(r.type, 1);
	assert_true(r.t[0].confirmed_outcome);
	assert_true(r.confirmed);
	/* all four measured criteria */
	v.users = 60;
	r = classify(&v);
	assert_int_equal(r.t[0].met_count, 4);
	assert_int_equal(r.type, 1);
	/* nothing at all: none, and unconfirmed (type III's thresholds are placeholders) */
	v = quiet();
	r = classify(&v);
	assert_int_equal(r.type, 0);
	assert_false(r.confirmed);
	assert_string_equal(cx_type_name(r.type), "none");
	/* one type III criterion: type III */
	v.places = 1;
	r = classify(&v);
	assert_int_equal(r.type, 3);
	assert_string_equal(cx_type_name(r.type), "III");
}

static void test_route(void **state)
{
	struct cx_values v = quiet();
	struct cx_result r;

	/* two type III criteria (places, plants) and 2 trafficking cases: on a complex route */
	v.places = 1;
	v.plants = 1;
	v.route_cases = 2;
	r = classify(&v);
	assert_int_equal(r.type3_met, 2);
	assert_int_equal(r.on_route, 1);
	assert_int_equal(r.t[0].st[CXC_ROUTE], CXS_MET);
	assert_false(r.t[0].confirmed[CXC_ROUTE]); /* rests on type III placeholders */
	assert_int_equal(r.t[2].st[CXC_ROUTE], CXS_NOT_APPLICABLE);
	/* one case: not on a route */
	v.route_cases = 1;
	r = classify(&v);
	assert_int_equal(r.on_route, 0);
	assert_int_equal(r.t[0].st[CXC_ROUTE], CXS_NOT_MET);
	/* on a route with one type III criterion only */
	v.route_cases = 5;
	v.plants = 0;
	r = classify(&v);
	assert_int_equal(r.type3_met, 1);
	assert_int_equal(r.t[0].st[CXC_ROUTE], CXS_NOT_MET);
	/* route plus places and plants at type I: three criteria, type I, but not confirmed */
	v.places = 2;
	v.plants = 3000;
	r = classify(&v);
	assert_int_equal(r.t[0].met_count, 3);
	assert_int_equal(r.type, 1);
	assert_false(r.confirmed);
}

static void test_no_population(void **state)
{
	struct cx_values v = quiet();
	struct cx_result r;

	v.has_population = 0;
	v.population = 0;
	v.users = 1000;
	v.arrested = 1000;
	v.places = 2;
	v.plants = 3000;
	r = classify(&v);
	assert_int_equal(r.t[0].st[CXC_USERS], CXS_NO_DATA);
	assert_int_equal(r.t[0].st[CXC_ARRESTS], CXS_NO_DATA);
	assert_int_equal(r.t[0].met_count, 2);
	assert_int_equal(r.t[1].met_count, 2); /* places and plants reach type II's too: two of three */
	assert_int_equal(r.type, 3);
	/* the route gives the third: two type III criteria and on a route */
	v.route_cases = 2;
	r = classify(&v);
	assert_int_equal(r.t[0].met_count, 3);
	assert_int_equal(r.type, 1);
	assert_string_equal(cx_status_code(CXS_NO_DATA), "no_data");
}

static void test_missing_row(void **state)
{
	struct cx_params p = P;
	struct cx_values v = quiet();
	struct cx_result r;

	/* an administrator removed type II's user threshold: that criterion has no threshold */
	p.thr[1][CXC_USERS][0] = NULL;
	v.users = 40;
	memset(&r, 0, sizeof(r));
	cx_classify(&p, &v, &r);
	assert_int_equal(r.t[1].st[CXC_USERS], CXS_NO_THRESHOLD);
	assert_false(r.t[1].confirmed_outcome);
	/* no type I minimum: nothing is type I */
	p = P;
	p.min[0] = NULL;
	v.places = 3;
	v.plants = 4000;
	v.arrested = 20;
	cx_classify(&p, &v, &r);
	assert_int_equal(r.t[0].met_count, 3);
	assert_false(r.t[0].met);
	assert_int_equal(r.type, 2);
	/* no route row: the route criterion has no threshold and on_route is unknown */
	p = P;
	p.route_cases = NULL;
	cx_classify(&p, &v, &r);
	assert_int_equal(r.on_route, -1);
	assert_int_equal(r.t[0].st[CXC_ROUTE], CXS_NO_THRESHOLD);
}

/* ---- values read off a snapshot -------------------------------------------------------------- */

enum { NATION = 1, PROVINCE = 2, DISTRICT = 3, C1 = 4, C2 = 5, C3 = 6 };

static int32_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

static void test_eval_values(void **state)
{
	struct snap *s = snap_new();
	struct op_image *img = op_image_new();
	struct snap_person *p;
	struct cx_result *res = NULL;
	int32_t n = 0, from = ymd(2025, 1, 1), at = ymd(2025, 6, 30);
	const struct cx_result *r1 = NULL, *r2 = NULL;

	assert_non_null(s);
	assert_non_null(img);
	assert_int_equal(snap_ou_add(s, NATION, 0, "nation", "VN", "Việt Nam", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, PROVINCE, NATION, "province", "40", "Nghệ An", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, DISTRICT, PROVINCE, "district", "417", "Kỳ Sơn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C1, DISTRICT, "commune", "16837", "Nậm Cắn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C2, DISTRICT, "commune", "16822", "Keng Đu", DATE_NONE, SNAP_OPEN), 0);
	/* a commune merged away before 2025: not classified */
	assert_int_equal(snap_ou_add(s, C3, DISTRICT, "commune", "16999", "Cũ", DATE_NONE, ymd(2024, 12, 31)), 0);
	assert_int_equal(snap_finish(s), 0);

	/* C1's persons on 2025-06-30: an addict with an open record (counts), an illegal user with an
	 * open record (counts), an addict without a record (not), an addict whose classification ended
	 * in May (not), a post-rehab person with a record (not) */
	p = snap_person_new(1, C1, "male", DATE_NONE);
	snap_person_cls(p, "addict", ymd(2024, 1, 1), SNAP_OPEN);
	snap_person_rec(p, "addict", ymd(2024, 1, 2), SNAP_OPEN, C1);
	assert_int_equal(snap_person_put(s, p), 0);
	p = snap_person_new(2, C1, "male", DATE_NONE);
	snap_person_cls(p, "illegal_user", ymd(2025, 3, 1), SNAP_OPEN);
	snap_person_rec(p, "illegal_user", ymd(2025, 3, 2), SNAP_OPEN, C1);
	assert_int_equal(snap_person_put(s, p), 0);
	p = snap_person_new(3, C1, "male", DATE_NONE);
	snap_person_cls(p, "addict", ymd(2024, 1, 1), SNAP_OPEN);
	assert_int_equal(snap_person_put(s, p), 0);
	p = snap_person_new(4, C1, "female", DATE_NONE);
	snap_person_cls(p, "addict", ymd(2024, 1, 1), ymd(2025, 5, 1));
	snap_person_rec(p, "addict", ymd(2024, 1, 2), SNAP_OPEN, C1);
	assert_int_equal(snap_person_put(s, p), 0);
	p = snap_person_new(5, C1, "male", DATE_NONE);
	snap_person_cls(p, "post_rehab", ymd(2024, 1, 1), SNAP_OPEN);
	snap_person_rec(p, "post_rehab", ymd(2024, 1, 2), SNAP_OPEN, C1);
	assert_int_equal(snap_person_put(s, p), 0);

	/* places in C1: used through 2025 (counts), eliminated in 2024 (not), eliminated in March 2025
	 * (counts), discovered after the date measured (not), a retail point (not a use venue) */
	assert_int_equal(op_hotspot_add(img, 1, C1, "use_venue", "karaoke", ymd(2023, 5, 1),
					"[{\"status\":\"active\",\"date\":\"2023-05-01\"}]"), 0);
	assert_int_equal(op_hotspot_add(img, 2, C1, "use_venue", NULL, ymd(2023, 5, 1),
					"[{\"status\":\"active\",\"date\":\"2023-05-01\"},{\"status\":\"eliminated\",\"date\":\"2024-12-31\"}]"), 0);
	assert_int_equal(op_hotspot_add(img, 3, C1, "use_venue", NULL, ymd(2024, 5, 1),
					"[{\"status\":\"active\",\"date\":\"2024-05-01\"},{\"status\":\"under_transformation\",\"date\":\"2024-09-01\"},"
					"{\"status\":\"eliminated\",\"date\":\"2025-03-01\"}]"), 0);
	assert_int_equal(op_hotspot_add(img, 4, C1, "use_venue", NULL, ymd(2025, 7, 1),
					"[{\"status\":\"active\",\"date\":\"2025-07-01\"}]"), 0);
	assert_int_equal(op_hotspot_add(img, 5, C1, "retail_point", NULL, ymd(2025, 2, 1),
					"[{\"status\":\"active\",\"date\":\"2025-02-01\"}]"), 0);
	/* cases in C1: 3 suspects on the border and 2 inland in 2025 (route cases 2), 4 in 2024 (not),
	 * 1 online in 2025 (arrested, not a route case), 6 detected in July (not) */
	assert_int_equal(op_case_add(img, 1, C1, ymd(2025, 2, 1), "border_guard", "land_border", 1, 1, 3, 1, NULL, NULL), 0);
	assert_int_equal(op_case_add(img, 2, C1, ymd(2025, 6, 30), "police", "inland", 0, 0, 2, 0, NULL, NULL), 0);
	assert_int_equal(op_case_add(img, 3, C1, ymd(2024, 12, 31), "police", "inland", 0, 0, 4, 0, NULL, NULL), 0);
	assert_int_equal(op_case_add(img, 4, C1, ymd(2025, 4, 1), "police", "cyberspace", 0, 0, 1, 0, NULL, NULL), 0);
	assert_int_equal(op_case_add(img, 5, C1, ymd(2025, 7, 1), "police", "inland", 0, 0, 6, 0, NULL, NULL), 0);
	/* sites in C1: eradicated in 2025 (2,000 plants, 500 m2 and 1,000 plants, 250 m2), detected
	 * in 2024 and eradicated in January 2025 (counts), eradicated in 2024 (not), not eradicated */
	assert_int_equal(op_plant_add(img, 1, C1, "opium_poppy", ymd(2025, 1, 10), ymd(2025, 1, 12), 500, 2000, 0), 0);
	assert_int_equal(op_plant_add(img, 2, C1, "opium_poppy", ymd(2024, 12, 20), ymd(2025, 1, 2), 250, 1000, 0), 0);
	assert_int_equal(op_plant_add(img, 3, C1, "opium_poppy", ymd(2024, 2, 1), ymd(2024, 2, 2), 900, 9000, 0), 0);
	assert_int_equal(op_plant_add(img, 4, C1, "opium_poppy", ymd(2025, 2, 1), DATE_NONE, 900, 9000, 0), 0);
	/* populations: C1 2,000 in 2025 (and 9 in 2024, not read); C2 none for 2025 */
	assert_int_equal(op_pop_add(img, 1, C1, 2025, 2000), 0);
	assert_int_equal(op_pop_add(img, 2, C1, 2024, 9), 0);
	assert_int_equal(op_pop_add(img, 3, C2, 2024, 3000), 0);
	op_image_finish(img);
	s->oper = img;

	assert_int_equal(cx_eval(s, &P, snap_ou_ix(s, PROVINCE), 2025, from, at, &res, &n), 0);
	assert_int_equal(n, 2); /* C3 is not in force */
	for (int32_t i = 0; i < n; i++) {
		if (s->ous[res[i].commune_ix].id == C1)
			r1 = &res[i];
		if (s->ous[res[i].commune_ix].id == C2)
			r2 = &res[i];
	}
	assert_non_null(r1);
	assert_non_null(r2);
	assert_int_equal(r1->v.users, 2);
	assert_true(r1->v.has_population);
	assert_int_equal(r1->v.population, 2000);
	assert_int_equal(r1->v.places, 2);
	assert_int_equal(r1->v.arrested, 6);
	assert_int_equal(r1->v.route_cases, 2);
	assert_int_equal(r1->v.plants, 3000);
	assert_int_equal(r1->v.area_m2, 750);
	/* 0.1% users (type III), 2 places, 0.3% arrests, 3,000 plants, on a route: type I */
	assert_int_equal(r1->t[0].st[CXC_USERS], CXS_NOT_MET);
	assert_int_equal(r1->t[0].st[CXC_ARRESTS], CXS_MET);
	assert_int_equal(r1->t[0].st[CXC_ROUTE], CXS_MET);
	assert_int_equal(r1->t[0].met_count, 4);
	assert_int_equal(r1->type, 1);
	/* C2: nothing, and no population for 2025 */
	assert_false(r2->v.has_population);
	assert_int_equal(r2->t[0].st[CXC_USERS], CXS_NO_DATA);
	assert_int_equal(r2->type, 0);
	free(res);
	/* a year later the facts are not there */
	assert_int_equal(cx_eval(s, &P, snap_ou_ix(s, C1), 2026, ymd(2026, 1, 1), ymd(2026, 3, 1), &res, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(res[0].v.places, 2); /* hotspot 1 still in use, and 4 found in July 2025 */
	assert_int_equal(res[0].v.arrested, 0);
	assert_false(res[0].v.has_population);
	free(res);
	snap_free(s); /* frees the image too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_in_force),
		cmocka_unit_test(test_users_boundary),
		cmocka_unit_test(test_places_boundary),
		cmocka_unit_test(test_arrests_boundary),
		cmocka_unit_test(test_plants_boundary),
		cmocka_unit_test(test_criteria_count),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_no_population),
		cmocka_unit_test(test_missing_row),
		cmocka_unit_test(test_eval_values),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
