/* test_indicators.c: the built-in measures on a hand-built snapshot whose counts are worked out below,
 * the drill-down rows, the previous-period window, periods, the status rule (met, missed after the
 * deadline, on track vs at risk by pace, exactly at pace) and custom-indicator validation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/expr.h"
#include "domain/indicators.h"
#include "domain/plan.h"
#include "testlib.h"
#include "util/date.h"

/* VN > province 40 > district A (communes C1, C2), district B (communes C3, C4) */
enum { NATION = 1, PROVINCE = 2, DA = 3, DB = 4, C1 = 5, C2 = 6, C3 = 7, C4 = 8 };

static int32_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

static struct snap_person *person(int64_t id, int64_t ou)
{
	struct snap_person *p = snap_person_new(id, ou, "male", ymd(1990, 1, 1));

	assert_non_null(p);
	return p;
}

/* The persons, each with what it contributes in 2022 (window 2022-01-01..2022-12-31):
 * P1 C1 addict since 2021, record, home/community rehab Mar-Sep 2022, vocational training May 2022:
 *    addict, managed, reached, treated_total, voluntary, addicts_treated, community, trained
 * P2 C1 addict from June 2022, no record, compulsory rehab from July 2022:
 *    addict, treated_total, addicts_treated, at_facility, compulsory record completed
 * P3 C2 addict since 2020, record, methadone since 2020: addict, managed, reached, addicts_treated,
 *    at_facility, ost
 * P4 C2 addict 2021 to March 2022, counselling Feb 2022: an addict at the end of 2021 only
 * P5 C3 addict since January 2022, record, counselling November 2022, no treatment: addict,
 *    managed, reached
 * P6 C3 home/community rehab during 2021 only, vocational training 2022: nothing in 2022
 * P7 C3 compulsory rehab since November 2021, ongoing: treated_total, addicts_treated, at_facility */
static struct snap *build(void)
{
	struct snap *s = snap_new();
	struct snap_person *p;

	assert_non_null(s);
	assert_int_equal(snap_ou_add(s, NATION, 0, "nation", "VN", "Việt Nam", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, PROVINCE, NATION, "province", "40", "Nghệ An", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, DA, PROVINCE, "district", "417", "Kỳ Sơn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, DB, PROVINCE, "district", "415", "Quế Phong", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C1, DA, "commune", "16837", "Nậm Cắn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C2, DA, "commune", "16822", "Keng Đu", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C3, DB, "commune", "16756", "Tri Lễ", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C4, DB, "commune", "16750", "Kim Sơn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_finish(s), 0);
	/* facilities: stations in C1 (qualified 2021), C2 (not), C3 (qualified only from 2023); a public
	 * rehab facility at district A, qualified with no date; a counselling point in C1 */
	assert_int_equal(snap_facility_add(s, 101, C1, "health_station", 1, ymd(2021, 6, 1)), 0);
	assert_int_equal(snap_facility_add(s, 102, C2, "health_station", 0, DATE_NONE), 0);
	assert_int_equal(snap_facility_add(s, 103, C3, "health_station", 1, ymd(2023, 1, 1)), 0);
	assert_int_equal(snap_facility_add(s, 104, DA, "rehab_public", 1, DATE_NONE), 0);
	assert_int_equal(snap_facility_add(s, 105, C1, "counselling_point", 0, DATE_NONE), 0);

	p = person(1, C1);
	snap_person_cls(p, "addict", ymd(2021, 1, 1), SNAP_OPEN);
	snap_person_rec(p, "addict", ymd(2021, 2, 1), SNAP_OPEN, C1);
	snap_person_treat(p, "voluntary_community", 0, ymd(2022, 3, 1), ymd(2022, 9, 30), ymd(2022, 9, 30), "completed");
	snap_person_sup(p, "vocational_training", ymd(2022, 5, 1));
	assert_int_equal(snap_person_put(s, p), 0);

	p = person(2, C1);
	snap_person_cls(p, "addict", ymd(2022, 6, 1), SNAP_OPEN);
	snap_person_treat(p, "compulsory_facility", 104, ymd(2022, 7, 1), SNAP_OPEN, SNAP_OPEN, "ongoing");
	assert_int_equal(snap_person_put(s, p), 0);

	p = person(3, C2);
	snap_person_cls(p, "addict", ymd(2020, 1, 1), SNAP_OPEN);
	snap_person_rec(p, "addict", ymd(2020, 1, 2), SNAP_OPEN, C2);
	snap_person_treat(p, "methadone", 77, ymd(2020, 5, 1), SNAP_OPEN, SNAP_OPEN, "ongoing");
	assert_int_equal(snap_person_put(s, p), 0);

	p = person(4, C2);
	snap_person_cls(p, "addict", ymd(2021, 1, 1), ymd(2022, 3, 31));
	snap_person_sup(p, "counselling", ymd(2022, 2, 1));
	assert_int_equal(snap_person_put(s, p), 0);

	p = person(5, C3);
	snap_person_cls(p, "addict", ymd(2022, 1, 1), SNAP_OPEN);
	snap_person_rec(p, "addict", ymd(2022, 1, 5), SNAP_OPEN, C3);
	snap_person_sup(p, "counselling", ymd(2022, 11, 15));
	assert_int_equal(snap_person_put(s, p), 0);

	p = person(6, C3);
	snap_person_treat(p, "voluntary_community", 0, ymd(2021, 1, 1), ymd(2021, 12, 31), ymd(2021, 12, 31), "completed");
	snap_person_sup(p, "vocational_training", ymd(2022, 2, 1));
	assert_int_equal(snap_person_put(s, p), 0);

	p = person(7, C3);
	snap_person_treat(p, "compulsory_facility", 104, ymd(2021, 11, 1), SNAP_OPEN, SNAP_OPEN, "ongoing");
	assert_int_equal(snap_person_put(s, p), 0);
	return s;
}

static const struct crit_params CP = {30, 10, 365, 90};

static struct ind_rows calc(const struct snap *s, int64_t root, int32_t from, int32_t to, int32_t at, uint64_t need)
{
	struct ind_calc_in in = {s, snap_ou_ix(s, root), {from, to, at, at}, &CP, need};
	struct ind_rows r;
	struct pcmt_err err;

	err_clear(&err);
	if (ind_calc(&in, &r, &err))
		fail_msg("ind_calc: %s", err.message);
	return r;
}

#define ALL (~UINT64_C(0) >> (64 - IND_NMEAS))
#define V(r, row, m) ((r).v[(size_t)(row) * IND_NMEAS + (m)])

static void test_year_2022(void **state)
{
	struct snap *s = build();
	struct ind_rows r = calc(s, PROVINCE, ymd(2022, 1, 1), ymd(2022, 12, 31), ymd(2022, 12, 31), ALL);

	assert_int_equal(r.n, 3); /* the province, then districts A and B */
	assert_int_equal(r.ou[0], snap_ou_ix(s, PROVINCE));
	assert_int_equal(r.ou[1], snap_ou_ix(s, DA));
	assert_int_equal(r.ou[2], snap_ou_ix(s, DB));
	assert_true(V(r, 0, M_ADDICTS_COUNT) == 4);          /* P1 P2 P3 P5 (P4 ended in March) */
	assert_true(V(r, 0, M_ADDICTS_MANAGED) == 3);        /* P1 P3 P5 */
	assert_true(V(r, 0, M_ADDICTS_REACHED_SERVICES) == 3); /* P1, P3 by treatment, P5 by counselling */
	assert_true(V(r, 0, M_TREATED_TOTAL) == 3);          /* P1 P2 P7; methadone is not rehabilitation */
	assert_true(V(r, 0, M_TREATED_VOLUNTARY) == 1);      /* P1 */
	assert_true(V(r, 0, M_ADDICTS_TREATED) == 4);        /* P1 P2 P3 P7 */
	assert_true(V(r, 0, M_TREATED_AT_FACILITY) == 3);    /* P2 P3 P7 */
	assert_true(V(r, 0, M_COMMUNITY_TREATED) == 1);      /* P1; P6's episode ended in 2021 */
	assert_true(V(r, 0, M_COMMUNITY_TREATED_TRAINED) == 1);
	assert_true(V(r, 0, M_OST_PATIENTS) == 1);           /* P3 */
	assert_true(V(r, 0, M_COMPULSORY_RECORDS_COMPLETED) == 1); /* P2; P7 started in 2021 */
	assert_true(V(r, 0, M_HEALTH_STATIONS) == 3);
	assert_true(V(r, 0, M_HEALTH_STATIONS_QUALIFIED) == 1); /* C3's only from 2023 */
	assert_true(V(r, 0, M_REHAB_PUBLIC) == 1);
	assert_true(V(r, 0, M_REHAB_PUBLIC_QUALIFIED) == 1);
	assert_true(V(r, 0, M_COUNSELLING_POINTS) == 1);
	assert_true(V(r, 0, M_COMMUNES_TOTAL) == 4);
	/* C1: P2 has no record; C2: P3 never tested; C3: P5 not in treatment; C4 has nobody */
	assert_true(V(r, 0, M_COMMUNES_DRUG_FREE) == 1);
	assert_true(V(r, 0, M_COMMUNES_WITH_ADDICTS) == 3);
	assert_true(V(r, 0, M_COMMUNES_WITH_ADDICTS_COUNSELLING) == 1); /* C1 */
	assert_true(V(r, 0, M_DISTRICTS_TOTAL) == 2);
	assert_true(V(r, 0, M_DISTRICTS_DRUG_FREE) == 0);
	assert_true(V(r, 0, M_PROVINCES_TOTAL) == 1);
	assert_true(V(r, 0, M_PROVINCES_COMMUNITY_TREATMENT) == 1);
	/* the drill-down: district A holds C1 and C2, B holds C3 and C4 */
	assert_true(V(r, 1, M_ADDICTS_COUNT) == 3 && V(r, 2, M_ADDICTS_COUNT) == 1);
	assert_true(V(r, 1, M_HEALTH_STATIONS) == 2 && V(r, 2, M_HEALTH_STATIONS) == 1);
	assert_true(V(r, 1, M_REHAB_PUBLIC) == 1 && V(r, 2, M_REHAB_PUBLIC) == 0); /* at the district itself */
	assert_true(V(r, 1, M_COMMUNES_DRUG_FREE) == 0 && V(r, 2, M_COMMUNES_DRUG_FREE) == 1);
	assert_true(V(r, 1, M_PROVINCES_TOTAL) == 0);
	/* every row adds up: the province is the sum of its districts for person and unit counts */
	for (int m = 0; m < IND_NMEAS; m++)
		if (m != M_PROVINCES_TOTAL && m != M_PROVINCES_COMMUNITY_TREATMENT && m != M_DISTRICTS_TOTAL &&
		    m != M_DISTRICTS_DRUG_FREE)
			assert_true(V(r, 0, m) == V(r, 1, m) + V(r, 2, m));
	ind_rows_free(&r);

	/* without P5 (the addict out of treatment), C3 and so district B are drug-free */
	snap_person_drop(s, 5);
	r = calc(s, PROVINCE, ymd(2022, 1, 1), ymd(2022, 12, 31), ymd(2022, 12, 31),
		 UINT64_C(1) << M_DISTRICTS_DRUG_FREE);
	assert_true(V(r, 0, M_COMMUNES_DRUG_FREE) == 2); /* a dependency is computed too */
	assert_true(V(r, 0, M_DISTRICTS_DRUG_FREE) == 1);
	assert_true(V(r, 2, M_DISTRICTS_DRUG_FREE) == 1);
	assert_true(V(r, 0, M_ADDICTS_MANAGED) == 0);    /* not needed: left at 0 */
	ind_rows_free(&r);
	snap_free(s);
}

static void test_shorter_windows(void **state)
{
	struct snap *s = build();
	struct ind_rows r;

	/* 2022-Q1: P4 still an addict, P2 not yet */
	r = calc(s, PROVINCE, ymd(2022, 1, 1), ymd(2022, 3, 31), ymd(2022, 3, 31), ALL);
	assert_true(V(r, 0, M_ADDICTS_COUNT) == 4); /* P1 P3 P4 P5 */
	assert_true(V(r, 0, M_ADDICTS_MANAGED) == 3); /* P4 has no record */
	assert_true(V(r, 0, M_TREATED_TOTAL) == 2);  /* P1 from March, P7 */
	assert_true(V(r, 0, M_COMMUNITY_TREATED_TRAINED) == 0); /* the training came in May */
	assert_true(V(r, 0, M_COMPULSORY_RECORDS_COMPLETED) == 0);
	ind_rows_free(&r);
	/* August 2022 */
	r = calc(s, PROVINCE, ymd(2022, 8, 1), ymd(2022, 8, 31), ymd(2022, 8, 31), ALL);
	assert_true(V(r, 0, M_TREATED_TOTAL) == 3);
	assert_true(V(r, 0, M_COMPULSORY_RECORDS_COMPLETED) == 0); /* P2 started in July */
	assert_true(V(r, 0, M_ADDICTS_REACHED_SERVICES) == 2);     /* P1, P3; P5's counselling is in November */
	ind_rows_free(&r);
	/* July 2022, measured half way: P2's start on the 1st counts, the flows stop on the 15th */
	r = calc(s, PROVINCE, ymd(2022, 7, 1), ymd(2022, 7, 31), ymd(2022, 7, 15), ALL);
	assert_true(V(r, 0, M_COMPULSORY_RECORDS_COMPLETED) == 1);
	ind_rows_free(&r);
	/* a commune as root: itself, no rows below */
	r = calc(s, C1, ymd(2022, 1, 1), ymd(2022, 12, 31), ymd(2022, 12, 31), ALL);
	assert_int_equal(r.n, 1);
	assert_true(V(r, 0, M_ADDICTS_COUNT) == 2);
	assert_true(V(r, 0, M_COMMUNES_TOTAL) == 1);
	ind_rows_free(&r);
	snap_free(s);
}

static void test_units_out_of_force(void **state)
{
	struct snap *s = snap_new();
	struct ind_rows r;

	assert_int_equal(snap_ou_add(s, PROVINCE, 0, "province", "40", "Nghệ An", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C1, PROVINCE, "commune", "1", "Old", DATE_NONE, ymd(2025, 6, 30)), 0);
	assert_int_equal(snap_ou_add(s, C2, PROVINCE, "commune", "2", "New", ymd(2025, 7, 1), SNAP_OPEN), 0);
	assert_int_equal(snap_finish(s), 0);
	r = calc(s, PROVINCE, ymd(2025, 1, 1), ymd(2025, 6, 30), ymd(2025, 6, 30), ALL);
	assert_true(V(r, 0, M_COMMUNES_TOTAL) == 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ou[1], snap_ou_ix(s, C1));
	ind_rows_free(&r);
	r = calc(s, PROVINCE, ymd(2025, 7, 1), ymd(2025, 12, 31), ymd(2025, 7, 1), ALL);
	assert_true(V(r, 0, M_COMMUNES_TOTAL) == 1);
	assert_int_equal(r.ou[1], snap_ou_ix(s, C2));
	ind_rows_free(&r);
	snap_free(s);
}

static void test_prev_window_and_values(void **state)
{
	struct snap *s = build();
	struct ind_window w = {ymd(2022, 1, 1), ymd(2022, 12, 31), ymd(2022, 6, 30), ymd(2022, 6, 30)}, p;
	struct ind_calc_in in = {s, snap_ou_ix(s, PROVINCE), {0}, &CP, UINT64_C(1) << M_ADDICTS_COUNT};
	struct ind_rows cur, prev;
	struct pcmt_err err;
	struct expr *e;
	double v;

	p = ind_prev_window(&w, IP_YEAR);
	assert_int_equal(p.from, ymd(2021, 1, 1));
	assert_int_equal(p.to, ymd(2021, 12, 31));
	assert_int_equal(p.at, ymd(2021, 6, 30));   /* flows: the same span as elapsed */
	assert_int_equal(p.stock, ymd(2021, 12, 31)); /* stocks: the end of the previous period */
	w = (struct ind_window){ymd(2022, 4, 1), ymd(2022, 6, 30), ymd(2022, 6, 30), ymd(2022, 6, 30)};
	p = ind_prev_window(&w, IP_QUARTER);
	assert_int_equal(p.from, ymd(2022, 1, 1));
	assert_int_equal(p.to, ymd(2022, 3, 31));
	w = (struct ind_window){ymd(2022, 3, 1), ymd(2022, 3, 31), ymd(2022, 3, 31), ymd(2022, 3, 31)};
	p = ind_prev_window(&w, IP_MONTH);
	assert_int_equal(p.from, ymd(2022, 2, 1));
	assert_int_equal(p.to, ymd(2022, 2, 28));
	assert_int_equal(p.at, ymd(2022, 2, 28)); /* clamped to the shorter month */
	w = (struct ind_window){ymd(2024, 1, 1), ymd(2025, 12, 31), ymd(2025, 12, 31), ymd(2025, 12, 31)};
	p = ind_prev_window(&w, IP_PLAN);
	assert_int_equal(p.from, ymd(2021, 12, 31)); /* the same number of days (731) before */
	assert_int_equal(p.to, ymd(2023, 12, 31));

	/* "fewer addicts than in 2021": addicts_count - addicts_count_prev over 2022 */
	err_clear(&err);
	in.w = (struct ind_window){ymd(2022, 1, 1), ymd(2022, 12, 31), ymd(2022, 12, 31), ymd(2022, 12, 31)};
	assert_int_equal(ind_calc(&in, &cur, &err), 0);
	in.w = ind_prev_window(&in.w, IP_YEAR);
	assert_int_equal(ind_calc(&in, &prev, &err), 0);
	assert_true(V(prev, 0, M_ADDICTS_COUNT) == 3); /* P1 P3 P4 on 2021-12-31 */
	e = expr_parse(ind_def_find("addicts_change")->expr, ind_measure_known, NULL, &err);
	assert_non_null(e);
	assert_int_equal(ind_value(e, cur.v, prev.v, &v, &err), 0);
	assert_true(v == 1); /* 4 - 3 */
	expr_free(e);
	/* a zero denominator is an error naming it, not a number */
	e = expr_parse("pct(treated_voluntary, treated_total)", ind_measure_known, NULL, &err);
	assert_int_equal(ind_value(e, cur.v, NULL, &v, &err), -1); /* treated_total was not needed: 0 */
	assert_non_null(strstr(err.message, "division by zero"));
	expr_free(e);
	ind_rows_free(&cur);
	ind_rows_free(&prev);
	snap_free(s);
}

/* ind_calc_many: several windows over one subtree in one pass give, window by window, exactly what
 * ind_calc gives for each alone, including two windows on one stock date whose criteria parameters
 * differ (the verdicts are shared only between equal parameters) and windows needing only part of
 * the measures. */
static void test_many_windows(void **state)
{
	static const struct crit_params CP0 = {30, 0, 365, 90}; /* ceiling 0: no commune passes */
	struct snap *s = build();
	int32_t root = snap_ou_ix(s, PROVINCE);
	struct ind_calc_in in[5] = {
		{s, root, {ymd(2022, 1, 1), ymd(2022, 12, 31), ymd(2022, 12, 31), ymd(2022, 12, 31)}, &CP, ALL},
		{s, root, {ymd(2022, 1, 1), ymd(2022, 3, 31), ymd(2022, 3, 31), ymd(2022, 3, 31)}, &CP, ALL},
		{s, root, {ymd(2021, 1, 1), ymd(2021, 12, 31), ymd(2021, 12, 31), ymd(2021, 12, 31)}, NULL,
		 UINT64_C(1) << M_ADDICTS_COUNT},
		{s, root, {ymd(2022, 1, 1), ymd(2022, 12, 31), ymd(2022, 12, 31), ymd(2022, 12, 31)}, &CP0,
		 UINT64_C(1) << M_DISTRICTS_DRUG_FREE},
		{s, root, {ymd(2022, 7, 1), ymd(2022, 7, 31), ymd(2022, 7, 15), ymd(2022, 7, 15)}, NULL,
		 (UINT64_C(1) << M_COMMUNITY_TREATED_TRAINED) | (UINT64_C(1) << M_HEALTH_STATIONS)},
	};
	struct ind_rows many[5], one;
	struct pcmt_err err;

	snap_person_drop(s, 5); /* C3 and C4 drug-free on 2022-12-31 under CP, none under CP0 */
	err_clear(&err);
	assert_int_equal(ind_calc_many(in, 5, many, &err), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(ind_calc(&in[i], &one, &err), 0);
		assert_int_equal(many[i].n, one.n);
		assert_true(many[i].have == one.have);
		assert_memory_equal(many[i].ou, one.ou, (size_t)one.n * sizeof(*one.ou));
		for (size_t k = 0; k < (size_t)one.n * IND_NMEAS; k++)
			assert_true(many[i].v[k] == one.v[k]);
		ind_rows_free(&one);
	}
	assert_true(V(many[0], 0, M_COMMUNES_DRUG_FREE) == 2);
	assert_true(V(many[3], 0, M_COMMUNES_DRUG_FREE) == 0);
	assert_true(V(many[2], 0, M_ADDICTS_COUNT) == 3);     /* P1 P3 P4 on 2021-12-31 */
	assert_true(V(many[4], 0, M_HEALTH_STATIONS) == 3);
	for (int i = 0; i < 5; i++)
		ind_rows_free(&many[i]);
	/* windows over different roots cannot share a pass: an error, every output empty */
	in[1].root = snap_ou_ix(s, DA);
	assert_int_equal(ind_calc_many(in, 2, many, &err), -1);
	assert_int_equal(err.code, ERR_INTERNAL);
	assert_int_equal(many[0].n, 0);
	assert_null(many[0].v);
	assert_int_equal(many[1].n, 0);
	snap_free(s);
}

static void test_measure_names(void **state)
{
	int prev, n = 0;
	uint64_t need, needp;
	struct pcmt_err err;
	struct expr *e;

	assert_int_equal(ind_measure_find("addicts_count", &prev), M_ADDICTS_COUNT);
	assert_int_equal(prev, 0);
	assert_int_equal(ind_measure_find("addicts_count_prev", &prev), M_ADDICTS_COUNT);
	assert_int_equal(prev, 1);
	assert_int_equal(ind_measure_find("addicts_count_prev", NULL), -1); /* _prev only when asked */
	assert_int_equal(ind_measure_find("_prev", &prev), -1);
	assert_int_equal(ind_measure_find("nope", &prev), -1);
	assert_true(ind_builtin_name("services_reach_pct"));
	assert_true(ind_builtin_name("hotspots_destroyed_pct"));
	assert_false(ind_builtin_name("my_indicator"));
	/* every measure name is unique, snake_case, documented; every built-in indicator parses */
	for (int m = 0; m < IND_NMEAS; m++) {
		assert_non_null(ind_measures[m].name);
		assert_true(plan_code_ok(ind_measures[m].name));
		assert_non_null(ind_measures[m].counts);
		assert_int_equal(ind_measure_find(ind_measures[m].name, NULL), m);
		assert_int_equal((ind_measures[m].person != NULL) + (ind_measures[m].facility != NULL) +
					 (ind_measures[m].unit_fn != NULL) + (ind_measures[m].item != NULL), 1);
		/* an operations item measure is of an operations level, and only it */
		assert_int_equal(ind_measures[m].item != NULL, ind_measures[m].level >= IL_HOTSPOT);
		/* a unit measure reads only measures before it */
		assert_true(ind_measures[m].deps < (UINT64_C(1) << m));
	}
	err_clear(&err);
	for (int i = 0; i < ind_ndefs; i++, n++) {
		e = expr_parse(ind_defs[i].expr, ind_measure_known, NULL, &err);
		if (!e)
			fail_msg("%s: %s", ind_defs[i].code, err.message);
		assert_int_equal(ind_expr_need(e, &need, &needp), 0);
		assert_true(need || needp);
		assert_true(strlen(ind_defs[i].seed) > 40); /* the seed sentence it implements */
		assert_false(ind_measure_known(ind_defs[i].code, NULL));
		expr_free(e);
	}
	assert_true(n >= 10);
	e = expr_parse("addicts_count - addicts_count_prev", ind_measure_known, NULL, &err);
	assert_int_equal(ind_expr_need(e, &need, &needp), 0);
	assert_true(need == (UINT64_C(1) << M_ADDICTS_COUNT) && needp == need);
	expr_free(e);
	/* closure adds dependencies */
	assert_true(ind_need_closure(UINT64_C(1) << M_DISTRICTS_DRUG_FREE) & (UINT64_C(1) << M_COMMUNES_DRUG_FREE));
}

static void test_periods(void **state)
{
	struct ind_period p;
	struct pcmt_err err;
	char buf[IND_PERIOD_BUFSZ];
	static const char *const bad[] = {"", "22", "abc", "2022-Q5", "2022-Q0", "2022-13", "2022-00", "2022-3",
					  "1899", "2201", "2022-03-01", "2022 ", "Plan", "2022-W1"};

	err_clear(&err);
	assert_int_equal(ind_period_parse("2022", "period", &p, &err), 0);
	assert_int_equal(p.kind, IP_YEAR);
	assert_int_equal(p.from, ymd(2022, 1, 1));
	assert_int_equal(p.to, ymd(2022, 12, 31));
	assert_string_equal(ind_period_name(&p, buf), "2022");
	assert_int_equal(ind_period_parse("2024-Q1", "period", &p, &err), 0);
	assert_int_equal(p.kind, IP_QUARTER);
	assert_int_equal(p.to, ymd(2024, 3, 31));
	assert_string_equal(ind_period_name(&p, buf), "2024-Q1");
	assert_int_equal(ind_period_parse("2022-q4", "period", &p, &err), 0);
	assert_int_equal(p.from, ymd(2022, 10, 1));
	assert_int_equal(p.to, ymd(2022, 12, 31));
	assert_int_equal(ind_period_parse("2024-02", "period", &p, &err), 0);
	assert_int_equal(p.kind, IP_MONTH);
	assert_int_equal(p.to, ymd(2024, 2, 29));
	assert_string_equal(ind_period_name(&p, buf), "2024-02");
	assert_int_equal(ind_period_parse("plan", "period", &p, &err), 0);
	assert_int_equal(p.kind, IP_PLAN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		if (ind_period_parse(bad[i], "period", &p, &err) != -1)
			fail_msg("'%s' was accepted as a period", bad[i]);
		assert_int_equal(err.code, ERR_INVALID);
		assert_string_equal(err.field, "period");
	}
	p = ind_period_around(IP_QUARTER, ymd(2023, 8, 15), 0, 0);
	assert_int_equal(p.from, ymd(2023, 7, 1));
	assert_int_equal(p.to, ymd(2023, 9, 30));
	p = ind_period_around(IP_MONTH, ymd(2023, 12, 31), 0, 0);
	assert_int_equal(p.from, ymd(2023, 12, 1));
	p = ind_period_around(IP_YEAR, ymd(2023, 12, 31), 0, 0);
	assert_int_equal(p.from, ymd(2023, 1, 1));
	p = ind_period_around(IP_PLAN, ymd(2023, 12, 31), ymd(2025, 1, 1), ymd(2030, 12, 31));
	assert_int_equal(p.from, ymd(2025, 1, 1));
	assert_int_equal(p.to, ymd(2030, 12, 31));
}

/* A target of 76% over 2022, from 0, measured on `at`, asked about on `today`. */
static enum ind_status st76(double v, int32_t at, int32_t today)
{
	struct ind_status_in in = {IC_GE, 76, 0, 0, ymd(2022, 1, 1), ymd(2022, 12, 31), at, today};

	return ind_status(&in, v, NULL, NULL);
}

static void test_status(void **state)
{
	int32_t start = ymd(2022, 1, 1), end = ymd(2022, 12, 31), half = start + (end - start) / 2;
	struct ind_status_in in;
	double p, e;

	assert_int_equal(end - start, 364);
	assert_int_equal(st76(80, half, half), IND_MET);
	assert_int_equal(st76(76, half, half), IND_MET);          /* >= holds on equality */
	assert_int_equal(st76(38, half, half), IND_ON_TRACK);     /* exactly at pace: 38/76 = 182/364 */
	assert_int_equal(st76(37.9, half, half), IND_AT_RISK);
	assert_int_equal(st76(75, end, end), IND_AT_RISK);        /* the deadline itself is not yet missed */
	assert_int_equal(st76(75, end, end + 1), IND_MISSED);     /* the day after: missed */
	assert_int_equal(st76(80, end, end + 400), IND_MET);      /* met stays met */
	assert_int_equal(st76(NAN, half, half), IND_NO_DATA);
	assert_int_equal(st76(NAN, end, end + 1), IND_NO_DATA);
	assert_int_equal(st76(0, start, start), IND_ON_TRACK);    /* nothing elapsed, nothing needed */

	/* progress and elapsed are reported */
	in = (struct ind_status_in){IC_GE, 76, 0, 0, start, end, half, half};
	assert_int_equal(ind_status(&in, 19, &p, &e), IND_AT_RISK);
	assert_true(fabs(p - 0.25) < 1e-12 && fabs(e - 0.5) < 1e-12);

	/* a baseline: from 10 to 50, half way at 30 */
	in = (struct ind_status_in){IC_GE, 50, 10, 1, start, end, half, half};
	assert_int_equal(ind_status(&in, 30, NULL, NULL), IND_ON_TRACK);
	assert_int_equal(ind_status(&in, 29, NULL, NULL), IND_AT_RISK);
	/* strictly more than: equality is not met */
	in = (struct ind_status_in){IC_GT, 80, 0, 0, start, end, half, half};
	assert_int_equal(ind_status(&in, 80, NULL, NULL), IND_ON_TRACK);
	in.today = end + 1;
	assert_int_equal(ind_status(&in, 80, NULL, NULL), IND_MISSED);
	assert_int_equal(ind_status(&in, 80.5, NULL, NULL), IND_MET);

	/* decreasing: at most 100 from a baseline of 200; half way needs 150 or less */
	in = (struct ind_status_in){IC_LE, 100, 200, 1, start, end, half, half};
	assert_int_equal(ind_status(&in, 150, NULL, NULL), IND_ON_TRACK);
	assert_int_equal(ind_status(&in, 160, NULL, NULL), IND_AT_RISK);
	assert_int_equal(ind_status(&in, 100, NULL, NULL), IND_MET);
	/* decreasing without a baseline has no pace: at risk until met */
	in = (struct ind_status_in){IC_LT, 0, 0, 0, start, end, half, half};
	assert_int_equal(ind_status(&in, 5, &p, NULL), IND_AT_RISK);
	assert_true(isnan(p));
	assert_int_equal(ind_status(&in, -1, NULL, NULL), IND_MET);
	in.today = end + 1;
	assert_int_equal(ind_status(&in, 5, NULL, NULL), IND_MISSED);
	/* a deadline on the start day: all the time has elapsed */
	in = (struct ind_status_in){IC_GE, 10, 0, 0, start, start, start, start};
	assert_int_equal(ind_status(&in, 9, &p, &e), IND_AT_RISK);
	assert_true(e == 1);

	assert_string_equal(ind_status_code(IND_ON_TRACK), "on_track");
	assert_string_equal(ind_status_code(IND_NOT_APPLICABLE), "not_applicable");
	assert_int_equal(ind_cmp_parse(">="), IC_GE);
	assert_int_equal(ind_cmp_parse("=>"), -1);
	assert_string_equal(ind_cmp_code(IC_LT), "<");
}

/* ---- custom indicators and targets through the entity descriptors ------------------------------ */

static int validate(const struct entity_def *e, const char *text, struct pcmt_err *err)
{
	struct ent_ctx ctx = {ymd(2025, 6, 15)};
	json_t *in = json_loads(text, 0, NULL), *out = NULL;
	int rc;

	assert_non_null(in);
	err_clear(err);
	rc = ent_validate(e, &ctx, in, 0, &out, err);
	json_decref(in);
	json_decref(out);
	return rc;
}

static void custom_refused(const char *expr, const char *field, const char *words)
{
	char body[1200];
	struct pcmt_err err;

	snprintf(body, sizeof(body), "{\"code\": \"my_share\", \"name_vi\": \"Tỷ lệ\", \"unit\": \"percent\", \"expression\": \"%s\"}",
		 expr);
	if (validate(&ent_custom_indicators, body, &err) != -1)
		fail_msg("expression '%s' was accepted", expr);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, field);
	if (!strstr(err.message, words))
		fail_msg("'%s': message '%s' lacks '%s'", expr, err.message, words);
}

static void test_custom_indicator_validation(void **state)
{
	struct pcmt_err err;

	assert_int_equal(validate(&ent_custom_indicators,
				  "{\"code\": \"my_share\", \"name_vi\": \"Tỷ lệ\", \"unit\": \"percent\","
				  " \"expression\": \"100 * treated_voluntary / treated_total\"}", &err), 0);
	assert_int_equal(validate(&ent_custom_indicators,
				  "{\"code\": \"my_change\", \"name_vi\": \"Thay đổi\", \"unit\": \"percent\","
				  " \"expression\": \"pct(addicts_count - addicts_count_prev, addicts_count_prev)\"}", &err), 0);
	custom_refused("pct(treated_voluntary, )", "expression", "at position 24");
	custom_refused("treated_voluntery / 2", "expression", "at position 1");
	custom_refused("treated_total / treated_totl", "expression", "at position 17");
	custom_refused("2 ** addicts_count", "expression", "at position 4");
	custom_refused("sqrt(addicts_count)", "expression", "unknown function");
	custom_refused("", "expression", "required");
	/* a code must not shadow a built-in name, and must be snake_case */
	assert_int_equal(validate(&ent_custom_indicators,
				  "{\"code\": \"addicts_count\", \"name_vi\": \"x\", \"unit\": \"persons\", \"expression\": \"1\"}",
				  &err), -1);
	assert_string_equal(err.field, "code");
	assert_int_equal(validate(&ent_custom_indicators,
				  "{\"code\": \"services_reach_pct\", \"name_vi\": \"x\", \"unit\": \"percent\", \"expression\": \"1\"}",
				  &err), -1);
	assert_string_equal(err.field, "code");
	assert_int_equal(validate(&ent_custom_indicators,
				  "{\"code\": \"My-Share\", \"name_vi\": \"x\", \"unit\": \"percent\", \"expression\": \"1\"}",
				  &err), -1);
	assert_string_equal(err.field, "code");
}

static void test_target_validation(void **state)
{
	struct pcmt_err err;
	static const char base[] = "\"plan_id\": 1, \"comparator\": \">=\", \"value\": 60, \"period_kind\": \"year\","
				   " \"deadline\": \"2023-06-30\"";
	char body[512];

	snprintf(body, sizeof(body), "{%s, \"indicator\": \"compulsory_records_completed\", \"unit\": \"percent\","
		 " \"denominator\": 500}", base);
	assert_int_equal(validate(&ent_targets, body, &err), 0);
	snprintf(body, sizeof(body), "{%s, \"indicator\": \"compulsory_records_completed\", \"unit\": \"records\","
		 " \"denominator\": 500}", base);
	assert_int_equal(validate(&ent_targets, body, &err), -1);
	assert_string_equal(err.field, "unit");
	snprintf(body, sizeof(body), "{%s, \"indicator\": \"x\", \"unit\": \"percent\", \"denominator\": 0}", base);
	assert_int_equal(validate(&ent_targets, body, &err), -1);
	assert_string_equal(err.field, "denominator");
	snprintf(body, sizeof(body), "{%s, \"indicator\": \"Bad Code\", \"unit\": \"percent\"}", base);
	assert_int_equal(validate(&ent_targets, body, &err), -1);
	assert_string_equal(err.field, "indicator");
	snprintf(body, sizeof(body), "{%s, \"indicator\": \"x\", \"unit\": \"percent\", \"baseline_date\": \"2022-01-01\"}",
		 base);
	assert_int_equal(validate(&ent_targets, body, &err), -1);
	assert_string_equal(err.field, "baseline_value");
	/* plans: the period's order and codes fit for a query string */
	assert_int_equal(validate(&ent_plans, "{\"code\": \"180/KH-UBND\", \"title\": \"t\", \"issuing_ou\": \"40\","
					      " \"scope_ou\": \"40\", \"period_from\": \"2022-12-31\", \"period_to\": \"2022-01-01\"}",
				  &err), -1);
	assert_string_equal(err.field, "period_to");
	assert_int_equal(validate(&ent_plans, "{\"code\": \"180 KH&UBND\", \"title\": \"t\", \"issuing_ou\": \"40\","
					      " \"scope_ou\": \"40\", \"period_from\": \"2022-01-01\", \"period_to\": \"2022-12-31\"}",
				  &err), -1);
	assert_string_equal(err.field, "code");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_year_2022),
		cmocka_unit_test(test_shorter_windows),
		cmocka_unit_test(test_units_out_of_force),
		cmocka_unit_test(test_prev_window_and_values),
		cmocka_unit_test(test_many_windows),
		cmocka_unit_test(test_measure_names),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_custom_indicator_validation),
		cmocka_unit_test(test_target_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
