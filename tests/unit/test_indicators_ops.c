/* test_indicators_ops.c: the operations registry's measures and indicators (src/domain/indicators.c)
 * on a hand-built snapshot and operations image whose counts are worked out below: hotspots
 * discovered, existing, eliminated and still active; plant sites found, eradicated and replanted,
 * plants and area destroyed; cases per route, organised, prosecuted, suspects, seizures per
 * substance; communication activities and the communes they reach; population; the year-on-year
 * changes through the previous-period window; and each unit's own row in the drill-down. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/expr.h"
#include "domain/indicators.h"
#include "domain/opimg.h"
#include "testlib.h"
#include "util/date.h"

/* VN > province 40 > district DA (communes C1, C2), district DB (commune C3) */
enum { NATION = 1, PROVINCE = 2, DA = 3, DB = 4, C1 = 5, C2 = 6, C3 = 7 };
enum { ROOT = 0 }; /* row of the province; the districts follow in list order */

static int32_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

#define ACTIVE(d) "{\"status\":\"active\",\"date\":\"" d "\"}"
#define STATUS(s, d) ",{\"status\":\"" s "\",\"date\":\"" d "\"}"

/* What each item contributes in 2025 (window 2025-01-01..2025-12-31) is in its comment. */
static struct snap *build(void)
{
	struct snap *s = snap_new();
	struct op_image *img = op_image_new();

	assert_non_null(s);
	assert_non_null(img);
	assert_int_equal(snap_ou_add(s, NATION, 0, "nation", "VN", "Việt Nam", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, PROVINCE, NATION, "province", "40", "Nghệ An", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, DA, PROVINCE, "district", "417", "Kỳ Sơn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, DB, PROVINCE, "district", "415", "Quế Phong", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C1, DA, "commune", "16837", "Nậm Cắn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C2, DA, "commune", "16822", "Keng Đu", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, C3, DB, "commune", "16756", "Tri Lễ", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_finish(s), 0);

	/* H1 C1: existing, eliminated in March. H2 C1: discovered in February, under transformation
	 * since April: discovered, existing, active at the end. H3 C2: discovered in November:
	 * discovered, existing, active (not yet at mid-year). H4 C3: eliminated in 2024: nothing. */
	assert_int_equal(op_hotspot_add(img, 1, C1, "use_venue", "karaoke", ymd(2024, 5, 1),
					"[" ACTIVE("2024-05-01") STATUS("eliminated", "2025-03-01") "]"), 0);
	assert_int_equal(op_hotspot_add(img, 2, C1, "retail_point", NULL, ymd(2025, 2, 1),
					"[" ACTIVE("2025-02-01") STATUS("under_transformation", "2025-04-01") "]"), 0);
	assert_int_equal(op_hotspot_add(img, 3, C2, "use_venue", "motel", ymd(2025, 11, 1), "[" ACTIVE("2025-11-01") "]"), 0);
	assert_int_equal(op_hotspot_add(img, 4, C3, "use_venue", NULL, ymd(2023, 1, 1),
					"[" ACTIVE("2023-01-01") STATUS("eliminated", "2024-06-01") "]"), 0);

	/* S1 C1: found and eradicated in January (4,000 plants, 500 m2). S2 C1: found in December 2024,
	 * eradicated in January: destroyed in 2025 (800 plants, 100 m2), not found in it. S3 C3: found
	 * in December, not eradicated, replanted. S4 C3: found in February, eradicated in 2026. */
	assert_int_equal(op_plant_add(img, 1, C1, "opium_poppy", ymd(2025, 1, 10), ymd(2025, 1, 12), 500, 4000, 0), 0);
	assert_int_equal(op_plant_add(img, 2, C1, "opium_poppy", ymd(2024, 12, 20), ymd(2025, 1, 5), 100, 800, 1), 0);
	assert_int_equal(op_plant_add(img, 3, C3, "opium_poppy", ymd(2025, 12, 20), DATE_NONE, 50, 300, 1), 0);
	assert_int_equal(op_plant_add(img, 4, C3, "cannabis", ymd(2025, 2, 1), ymd(2026, 1, 3), 70, 200, 0), 0);

	/* 2025: K1 C1 border, organised, prosecuted; K2 C1 online; K3 C2 sea, transnational, tried in
	 * December (no prosecution listed); K4 C3 inland; K5 C3 express, prosecuted in 2026.
	 * 2024: K6 C3 air; K7 C1 border (March); K8 C2 online. */
	assert_int_equal(op_case_add(img, 1, C1, ymd(2025, 3, 1), "border_guard", "land_border", 1, 0, 3, 1,
				     "[{\"substance\":\"heroin\",\"quantity\":700,\"unit\":\"g\"},"
				     "{\"substance\":\"synthetic_pills\",\"quantity\":6000,\"unit\":\"pills\"}]",
				     "[{\"stage\":\"prosecuted\",\"date\":\"2025-03-08\"}]"), 0);
	assert_int_equal(op_case_add(img, 2, C1, ymd(2025, 5, 1), "police", "cyberspace", 0, 0, 1, 0,
				     "[{\"substance\":\"ketamine\",\"quantity\":12.5,\"unit\":\"g\"}]", NULL), 0);
	assert_int_equal(op_case_add(img, 3, C2, ymd(2025, 7, 1), "coast_guard", "sea", 0, 1, 2, 0,
				     "[{\"substance\":\"methamphetamine\",\"quantity\":5000,\"unit\":\"g\"}]",
				     "[{\"stage\":\"tried\",\"date\":\"2025-12-01\"}]"), 0);
	assert_int_equal(op_case_add(img, 4, C3, ymd(2025, 2, 1), "police", "inland", 0, 0, 1, 0,
				     "[{\"substance\":\"opium\",\"quantity\":50.5,\"unit\":\"g\"}]", NULL), 0);
	assert_int_equal(op_case_add(img, 5, C3, ymd(2025, 9, 1), "police", "postal_express", 0, 0, 2, 0,
				     "[{\"substance\":\"cannabis\",\"quantity\":300,\"unit\":\"g\"}]",
				     "[{\"stage\":\"prosecuted\",\"date\":\"2026-01-10\"}]"), 0);
	assert_int_equal(op_case_add(img, 6, C3, ymd(2024, 8, 1), "customs", "air", 0, 0, 4, 0,
				     "[{\"substance\":\"cocaine\",\"quantity\":1000,\"unit\":\"g\"}]", NULL), 0);
	assert_int_equal(op_case_add(img, 7, C1, ymd(2024, 3, 15), "border_guard", "land_border", 0, 0, 2, 0, NULL, NULL), 0);
	assert_int_equal(op_case_add(img, 8, C2, ymd(2024, 11, 1), "police", "cyberspace", 0, 0, 1, 0, NULL, NULL), 0);

	/* M1, M2 in C1 (500 + 100 people, 90 commitments); M3 at district DA itself (1,000 people): it
	 * reaches no commune; M4 C3 on 2024-12-31: not in 2025 */
	assert_int_equal(op_comm_add(img, 1, C1, ymd(2025, 3, 1), "rally", "general_public", 500, 0), 0);
	assert_int_equal(op_comm_add(img, 2, C1, ymd(2025, 6, 1), "household_commitment", "households", 100, 90), 0);
	assert_int_equal(op_comm_add(img, 3, DA, ymd(2025, 6, 15), "rally", NULL, 1000, 0), 0);
	assert_int_equal(op_comm_add(img, 4, C3, ymd(2024, 12, 31), "school_session", "students", 300, 0), 0);

	/* populations: C1 5,000 and C2 3,000 in 2025, C3 only in 2024; DA's own total is not added */
	assert_int_equal(op_pop_add(img, 1, C1, 2025, 5000), 0);
	assert_int_equal(op_pop_add(img, 2, C2, 2025, 3000), 0);
	assert_int_equal(op_pop_add(img, 3, C3, 2024, 2000), 0);
	assert_int_equal(op_pop_add(img, 4, DA, 2025, 9999), 0);
	assert_int_equal(op_pop_add(img, 5, C1, 2024, 4900), 0);
	op_image_finish(img);
	s->oper = img;
	return s;
}

#define ALL (~UINT64_C(0) >> (64 - IND_NMEAS))
#define V(r, row, m) ((r).v[(size_t)(row) * IND_NMEAS + (m)])
#define OPS_ALL (ALL & ~((UINT64_C(1) << M_COMMUNES_DRUG_FREE) | (UINT64_C(1) << M_DISTRICTS_DRUG_FREE)))

static struct ind_rows calc(const struct snap *s, int64_t root, struct ind_window w)
{
	struct ind_calc_in in = {s, snap_ou_ix(s, root), w, NULL, OPS_ALL};
	struct ind_rows r;
	struct pcmt_err err;

	err_clear(&err);
	if (ind_calc(&in, &r, &err))
		fail_msg("ind_calc: %s", err.message);
	return r;
}

static struct ind_window year(int y, int32_t at)
{
	struct ind_window w = {ymd(y, 1, 1), ymd(y, 12, 31), at, at};

	return w;
}

static int row_of(const struct ind_rows *r, const struct snap *s, int64_t id)
{
	for (int i = 0; i < r->n; i++)
		if (s->ous[r->ou[i]].id == id)
			return i;
	fail_msg("no row for org unit %lld", (long long)id);
	return -1;
}

static void test_hotspots(void **state)
{
	struct snap *s = build();
	struct ind_rows r = calc(s, PROVINCE, year(2025, ymd(2025, 12, 31)));
	int da = row_of(&r, s, DA), db = row_of(&r, s, DB);

	assert_true(V(r, ROOT, M_HOTSPOTS_DISCOVERED) == 2);
	assert_true(V(r, ROOT, M_HOTSPOTS_KNOWN) == 3);
	assert_true(V(r, ROOT, M_HOTSPOTS_ELIMINATED) == 1);
	assert_true(V(r, ROOT, M_HOTSPOTS_ACTIVE) == 2);
	assert_true(V(r, da, M_HOTSPOTS_KNOWN) == 3);
	assert_true(V(r, db, M_HOTSPOTS_KNOWN) == 0); /* H4 was gone before 2025 */
	ind_rows_free(&r);
	/* at mid-year H3 is not discovered yet */
	r = calc(s, PROVINCE, year(2025, ymd(2025, 6, 30)));
	assert_true(V(r, ROOT, M_HOTSPOTS_DISCOVERED) == 1);
	assert_true(V(r, ROOT, M_HOTSPOTS_KNOWN) == 2);
	assert_true(V(r, ROOT, M_HOTSPOTS_ACTIVE) == 1);
	ind_rows_free(&r);
	snap_free(s);
}

static void test_plants(void **state)
{
	struct snap *s = build();
	struct ind_rows r = calc(s, PROVINCE, year(2025, ymd(2025, 12, 31)));
	int da = row_of(&r, s, DA), db = row_of(&r, s, DB);

	assert_true(V(r, ROOT, M_PLANT_SITES_FOUND) == 3);
	assert_true(V(r, ROOT, M_PLANT_SITES_ERADICATED) == 1);
	assert_true(V(r, ROOT, M_PLANT_SITES_REPLANTED) == 1);
	assert_true(V(r, ROOT, M_PLANTS_DESTROYED) == 4800);
	assert_true(V(r, ROOT, M_PLANT_AREA_DESTROYED) == 600);
	assert_true(V(r, da, M_PLANT_SITES_FOUND) == 1);
	assert_true(V(r, db, M_PLANT_SITES_FOUND) == 2);
	assert_true(V(r, db, M_PLANT_SITES_REPLANTED) == 1);
	ind_rows_free(&r);
	snap_free(s);
}

static void test_cases_and_seizures(void **state)
{
	struct snap *s = build();
	struct ind_rows r = calc(s, PROVINCE, year(2025, ymd(2025, 12, 31)));
	int da = row_of(&r, s, DA), db = row_of(&r, s, DB);

	assert_true(V(r, ROOT, M_CASES_DETECTED) == 5);
	assert_true(V(r, ROOT, M_CASES_LAND_BORDER) == 1);
	assert_true(V(r, ROOT, M_CASES_SEA) == 1);
	assert_true(V(r, ROOT, M_CASES_AIR) == 0);
	assert_true(V(r, ROOT, M_CASES_POSTAL_EXPRESS) == 1);
	assert_true(V(r, ROOT, M_CASES_CYBER) == 1);
	assert_true(V(r, ROOT, M_CASES_INLAND) == 1);
	assert_true(V(r, ROOT, M_CASES_BORDER_ROUTES) == 3);
	assert_true(V(r, ROOT, M_CASES_ORGANISED) == 2);
	assert_true(V(r, ROOT, M_CASES_PROSECUTED) == 2); /* K1, and K3 by its trial; K5 only in 2026 */
	assert_true(V(r, ROOT, M_SUSPECTS_ARRESTED) == 9);
	assert_true(V(r, da, M_CASES_DETECTED) == 3);
	assert_true(V(r, db, M_CASES_DETECTED) == 2);
	assert_true(V(r, ROOT, M_SEIZED_HEROIN) == 700);
	assert_true(V(r, ROOT, M_SEIZED_SYNTHETIC_PILLS) == 6000);
	assert_true(fabs(V(r, ROOT, M_SEIZED_KETAMINE) - 12.5) < 1e-9);
	assert_true(V(r, ROOT, M_SEIZED_METHAMPHETAMINE) == 5000);
	assert_true(fabs(V(r, ROOT, M_SEIZED_OPIUM) - 50.5) < 1e-9);
	assert_true(V(r, ROOT, M_SEIZED_CANNABIS) == 300);
	assert_true(V(r, ROOT, M_SEIZED_COCAINE) == 0); /* K6 is 2024's */
	assert_true(V(r, ROOT, M_SEIZED_OTHER) == 0);
	ind_rows_free(&r);
	snap_free(s);
}

static void test_communication_and_population(void **state)
{
	struct snap *s = build();
	struct ind_rows r = calc(s, PROVINCE, year(2025, ymd(2025, 12, 31)));
	int da = row_of(&r, s, DA), db = row_of(&r, s, DB);

	assert_true(V(r, ROOT, M_COMM_ACTIVITIES) == 3);
	assert_true(V(r, da, M_COMM_ACTIVITIES) == 3); /* two in C1 and the district's own */
	assert_true(V(r, db, M_COMM_ACTIVITIES) == 0);
	assert_true(V(r, ROOT, M_COMM_PARTICIPANTS) == 1600);
	assert_true(V(r, ROOT, M_COMMITMENTS_SIGNED) == 90);
	assert_true(V(r, ROOT, M_COMMUNES_REACHED_COMMUNICATION) == 1); /* C1 only: DA's rally reaches neither */
	assert_true(V(r, ROOT, M_COMMUNES_TOTAL) == 3);
	assert_true(V(r, ROOT, M_POPULATION) == 8000);
	assert_true(V(r, da, M_POPULATION) == 8000);
	assert_true(V(r, db, M_POPULATION) == 0); /* C3 has no 2025 figure */
	ind_rows_free(&r);
	/* 2024: C3 reached by its December session; populations of 2024 */
	r = calc(s, PROVINCE, year(2024, ymd(2024, 12, 31)));
	assert_true(V(r, ROOT, M_COMMUNES_REACHED_COMMUNICATION) == 1);
	assert_true(V(r, ROOT, M_POPULATION) == 6900);
	ind_rows_free(&r);
	snap_free(s);
}

/* The built-in indicator `code` for the root, with its previous period of a year. NAN when it has
 * no value (a zero denominator). */
static double indicator(const struct snap *s, const char *code, struct ind_window w)
{
	const struct ind_def *d = ind_def_find(code);
	struct ind_window pw = ind_prev_window(&w, IP_YEAR);
	struct ind_rows cur, prev;
	struct pcmt_err err;
	struct expr *e;
	double v;

	assert_non_null(d);
	err_clear(&err);
	e = expr_parse(d->expr, ind_measure_known, NULL, &err);
	assert_non_null(e);
	cur = calc(s, PROVINCE, w);
	prev = calc(s, PROVINCE, pw);
	if (ind_value(e, cur.v, prev.v, &v, &err))
		v = NAN;
	expr_free(e);
	ind_rows_free(&cur);
	ind_rows_free(&prev);
	return v;
}

static void test_indicators(void **state)
{
	struct snap *s = build();
	struct ind_window full = year(2025, ymd(2025, 12, 31)), half = year(2025, ymd(2025, 6, 30));

	assert_true(fabs(indicator(s, "hotspots_destroyed_pct", full) - 100.0 / 3) < 1e-9);
	assert_true(fabs(indicator(s, "plant_sites_destroyed_pct", full) - 100.0 / 3) < 1e-9);
	assert_true(fabs(indicator(s, "communes_reached_communication_pct", full) - 100.0 / 3) < 1e-9);
	assert_true(fabs(indicator(s, "cases_handled_lawfully_pct", full) - 40) < 1e-9);
	/* border routes: 3 in 2025 against 2 in 2024 (K6 by air, K7 on the border): +50% */
	assert_true(fabs(indicator(s, "cases_border_routes_change_pct", full) - 50) < 1e-9);
	/* cyberspace: 1 against 1 */
	assert_true(fabs(indicator(s, "cases_cyber_change_pct", full)) < 1e-9);
	/* organised: 2 against none in 2024: no change can be stated */
	assert_true(isnan(indicator(s, "cases_organised_change_pct", full)));
	/* at mid-year, January-June against January-June 2024: K1 against K7 */
	assert_true(fabs(indicator(s, "cases_border_routes_change_pct", half)) < 1e-9);
	/* the replanting target reads the measure itself */
	assert_int_equal(ind_measure_find("plant_sites_replanted", NULL), M_PLANT_SITES_REPLANTED);
	assert_null(ind_pending_find("hotspots_destroyed_pct"));
	assert_non_null(ind_pending_find("border_units_equipped_pct"));
	snap_free(s);
}

/* Without an operations image (a backend that loads none) the measures are 0, not a failure. */
static void test_no_image(void **state)
{
	struct snap *s = build();
	struct ind_rows r;

	op_image_free(s->oper);
	s->oper = NULL;
	r = calc(s, PROVINCE, year(2025, ymd(2025, 12, 31)));
	assert_true(V(r, ROOT, M_CASES_DETECTED) == 0);
	assert_true(V(r, ROOT, M_COMMUNES_REACHED_COMMUNICATION) == 0);
	assert_true(V(r, ROOT, M_COMMUNES_TOTAL) == 3);
	ind_rows_free(&r);
	snap_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotspots),
		cmocka_unit_test(test_plants),
		cmocka_unit_test(test_cases_and_seizures),
		cmocka_unit_test(test_communication_and_population),
		cmocka_unit_test(test_indicators),
		cmocka_unit_test(test_no_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
