/* test_ost.c: the substitution clinic's pure rules (src/domain/ost.c) at their boundaries, without a
 * database: the prescription in force (a dose change supersedes, one ending the day before is not
 * in force), the 30-day maintenance cap (30 passes, 31 refused, not before the circular), a dose's
 * refusals with their fields, the 3rd and 5th missed day, take-home eligibility and its cap, a
 * 1 mL stock difference, retention on a hand-built cohort, the reconciliation entity's derived
 * fields, and the ost.* rows of the built-in rulebook. */
#include <stdlib.h>
#include <string.h>

#include "domain/indicators.h"
#include "domain/ost.h"
#include "domain/snap.h"
#include "engine/rulebook.h"
#include "testlib.h"
#include "util/date.h"

static int32_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* The numbers of the default rulebook, by hand, so that a test says what it relies on. */
static const struct ost_rules R = {30, 6, 3, 7, 3, 5, 30};

static struct ost_rx mrx(int64_t id, int32_t from, int32_t to, int mg, int phase)
{
	struct ost_rx r = {id, from, to, mg, (int8_t)phase, OM_METHADONE, 7};

	return r;
}

static void test_rx_in_force(void **state)
{
	struct ost_rx rx[3];

	(void)state;
	rx[0] = mrx(1, ymd(2025, 6, 1), ymd(2025, 6, 30), 60, OP_MAINTENANCE);
	/* a dose change from the 10th: a new prescription overlapping the old one */
	rx[1] = mrx(2, ymd(2025, 6, 10), ymd(2025, 7, 9), 70, OP_MAINTENANCE);
	/* the same start, written later: the later one wins */
	rx[2] = mrx(3, ymd(2025, 6, 10), ymd(2025, 7, 9), 65, OP_MAINTENANCE);
	assert_null(ost_rx_at(rx, 3, ymd(2025, 5, 31)));
	assert_int_equal(ost_rx_at(rx, 3, ymd(2025, 6, 1))->id, 1);
	assert_int_equal(ost_rx_at(rx, 3, ymd(2025, 6, 9))->id, 1);
	assert_int_equal(ost_rx_at(rx, 3, ymd(2025, 6, 10))->id, 3);
	assert_int_equal(ost_rx_at(rx, 2, ymd(2025, 6, 10))->id, 2);
	assert_int_equal(ost_rx_at(rx, 3, ymd(2025, 7, 9))->id, 3);
	assert_null(ost_rx_at(rx, 3, ymd(2025, 7, 10)));
}

static void test_rx_cap(void **state)
{
	struct pcmt_err err;
	struct ost_rx rx = mrx(0, ymd(2025, 6, 1), ymd(2025, 6, 30), 80, OP_MAINTENANCE);
	struct ost_rules none = R;

	(void)state;
	err_clear(&err);
	assert_int_equal(ost_rx_check(&rx, &R, &err), 0); /* 30 days, both ends counted */
	rx.to = ymd(2025, 7, 1);                          /* 31 days */
	assert_int_equal(ost_rx_check(&rx, &R, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "valid_to");
	assert_non_null(strstr(err.message, "31"));
	/* induction, dose finding and tapering are not capped by the circular's maintenance rule */
	rx.phase = OP_DOSE_FINDING;
	assert_int_equal(ost_rx_check(&rx, &R, &err), 0);
	/* nor buprenorphine (the row speaks of methadone) */
	rx.phase = OP_MAINTENANCE;
	rx.medicine = OM_BUPRENORPHINE;
	assert_int_equal(ost_rx_check(&rx, &R, &err), 0);
	/* before the circular took effect there is no cap */
	rx.medicine = OM_METHADONE;
	none.rx_max_days = 0;
	assert_int_equal(ost_rx_check(&rx, &none, &err), 0);
	/* an end before the start */
	rx.to = ymd(2025, 5, 31);
	assert_int_equal(ost_rx_check(&rx, &R, &err), -1);
	assert_string_equal(err.field, "valid_to");
}

static void test_dose_refusals(void **state)
{
	struct pcmt_err err;
	struct ost_rx rx = mrx(5, ymd(2025, 6, 1), ymd(2025, 6, 14), 80, OP_MAINTENANCE);
	struct ost_dose_req q = {ymd(2025, 6, 14), OD_WITNESSED, 0, 0, 1};
	int32_t mg;

	(void)state;
	err_clear(&err);
	/* the prescribed dose is the default */
	assert_int_equal(ost_dose_check(&q, &rx, DATE_NONE, 0, &mg, &err), 0);
	assert_int_equal(mg, 80);
	/* a prescription that ended the day before: none in force, the message says when it ended */
	q.day = ymd(2025, 6, 15);
	assert_int_equal(ost_dose_check(&q, NULL, rx.to, 0, &mg, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "person_id");
	assert_non_null(strstr(err.message, "2025-06-14"));
	/* a second dose the same day */
	q.day = ymd(2025, 6, 14);
	assert_int_equal(ost_dose_check(&q, &rx, DATE_NONE, 1, &mg, &err), -1);
	assert_int_equal(err.code, ERR_CONFLICT);
	assert_string_equal(err.field, "dose_date");
	/* above the prescribed dose, even with a reason */
	q.dose_mg = 81;
	q.has_reason = 1;
	assert_int_equal(ost_dose_check(&q, &rx, DATE_NONE, 0, &mg, &err), -1);
	assert_string_equal(err.field, "dose_mg");
	/* below it: needs a reason */
	q.dose_mg = 60;
	q.has_reason = 0;
	assert_int_equal(ost_dose_check(&q, &rx, DATE_NONE, 0, &mg, &err), -1);
	assert_string_equal(err.field, "reason");
	q.has_reason = 1;
	assert_int_equal(ost_dose_check(&q, &rx, DATE_NONE, 0, &mg, &err), 0);
	assert_int_equal(mg, 60);
	/* exactly the prescribed dose given explicitly needs no reason */
	q.dose_mg = 80;
	q.has_reason = 0;
	assert_int_equal(ost_dose_check(&q, &rx, DATE_NONE, 0, &mg, &err), 0);
	assert_int_equal(mg, 80);
}

/* Prescriptions covering June 2025; doses on the days listed; streak as of the day asked. */
static void test_missed_streak(void **state)
{
	struct ost_rx rx = mrx(1, ymd(2025, 6, 1), ymd(2025, 6, 30), 80, OP_MAINTENANCE);
	int32_t doses[] = {ymd(2025, 6, 1), ymd(2025, 6, 2), ymd(2025, 6, 3), ymd(2025, 6, 10)};

	(void)state;
	/* dosed on the 10th: on the 11th nothing is missed yet (the 11th itself may still come) */
	assert_int_equal(ost_missed_streak(doses, 4, &rx, 1, ymd(2025, 6, 11), 30), 0);
	assert_int_equal(ost_alert_of(0, &R), OA_NONE);
	/* 11th and 12th missed: 2 days, no alert */
	assert_int_equal(ost_missed_streak(doses, 4, &rx, 1, ymd(2025, 6, 13), 30), 2);
	assert_int_equal(ost_alert_of(2, &R), OA_NONE);
	/* the 3rd missed day raises the alert */
	assert_int_equal(ost_missed_streak(doses, 4, &rx, 1, ymd(2025, 6, 14), 30), 3);
	assert_int_equal(ost_alert_of(3, &R), OA_ALERT);
	assert_int_equal(ost_missed_streak(doses, 4, &rx, 1, ymd(2025, 6, 15), 30), 4);
	assert_int_equal(ost_alert_of(4, &R), OA_ALERT);
	/* the 5th escalates */
	assert_int_equal(ost_missed_streak(doses, 4, &rx, 1, ymd(2025, 6, 16), 30), 5);
	assert_int_equal(ost_alert_of(5, &R), OA_ESCALATE);
	assert_string_equal(ost_alert_name(OA_ESCALATE), "escalate");
	/* 29 and 30 missed days: review from the rulebook's 30 */
	assert_int_equal(ost_alert_of(29, &R), OA_ESCALATE);
	assert_int_equal(ost_alert_of(30, &R), OA_REVIEW);
	/* days without a prescription are not missed: the streak stops at the start of June */
	assert_int_equal(ost_missed_streak(NULL, 0, &rx, 1, ymd(2025, 6, 4), 30), 3);
	/* the cap */
	assert_int_equal(ost_missed_streak(NULL, 0, &rx, 1, ymd(2025, 6, 30), 5), 5);
	/* after the prescription ended the day before, no day is due and nothing is missed after it */
	assert_int_equal(ost_missed_streak(doses, 4, &rx, 1, ymd(2025, 7, 2), 60), 0);
}

static void test_take_home(void **state)
{
	struct pcmt_err err;
	/* maintenance from 2024-12-01 in monthly prescriptions, a dose-finding one before */
	struct ost_rx rx[8];
	int32_t day = ymd(2025, 6, 1);

	(void)state;
	err_clear(&err);
	rx[0] = mrx(1, ymd(2024, 11, 1), ymd(2024, 11, 30), 50, OP_DOSE_FINDING);
	for (int i = 1; i < 8; i++)
		rx[i] = mrx(i + 1, date_add_months(ymd(2024, 12, 1), i - 1), date_add_months(ymd(2024, 12, 1), i) - 1, 80,
			    OP_MAINTENANCE);
	assert_int_equal(ost_maintenance_since(rx, 8, day), ymd(2024, 12, 1));
	assert_int_equal(ost_maintenance_since(rx, 8, ymd(2024, 11, 15)), DATE_NONE);
	/* exactly 6 months on 2025-06-01: eligible, 7 days the most */
	assert_int_equal(ost_take_home_check(rx, 8, day, DATE_NONE, 7, &R, &err), 0);
	assert_int_equal(ost_take_home_check(rx, 8, day, DATE_NONE, 8, &R, &err), -1);
	assert_string_equal(err.field, "days");
	assert_int_equal(ost_take_home_check(rx, 8, day, DATE_NONE, 0, &R, &err), -1);
	assert_string_equal(err.field, "days");
	/* a day short of 6 months */
	assert_int_equal(ost_take_home_check(rx, 8, day - 1, DATE_NONE, 3, &R, &err), -1);
	assert_string_equal(err.field, "kind");
	assert_non_null(strstr(err.message, "2024-12-01"));
	/* a positive test inside the last 3 months refuses; one just before the window does not */
	assert_int_equal(ost_take_home_check(rx, 8, day, ymd(2025, 3, 2), 3, &R, &err), -1);
	assert_string_equal(err.field, "kind");
	assert_int_equal(ost_take_home_check(rx, 8, day, ymd(2025, 3, 1), 3, &R, &err), 0);
	/* a gap in maintenance restarts the count */
	rx[4].to = rx[4].to - 1;
	assert_int_equal(ost_maintenance_since(rx, 8, day), rx[5].from);
	assert_int_equal(ost_take_home_check(rx, 8, day, DATE_NONE, 3, &R, &err), -1);
}

static void test_reconcile(void **state)
{
	struct ost_balance b = {500000, 1000000, 123500, 2000, 1374500, 0, 0, 0};

	(void)state;
	ost_reconcile(&b);
	assert_int_equal(b.expected, 1374500);
	assert_int_equal(b.difference, 0);
	assert_int_equal(b.flagged, 0);
	b.counted = 1373500; /* 1 mL short */
	ost_reconcile(&b);
	assert_int_equal(b.difference, -1000);
	assert_int_equal(b.flagged, 1);
	b.counted = 1374501; /* even 1 µL */
	ost_reconcile(&b);
	assert_int_equal(b.flagged, 1);
	/* 85 mg at 10 mg/mL is 8.5 mL; 1 mg at 3 mg/mL rounds to 333 µL */
	assert_int_equal(ost_dose_ul(85, 10), 8500);
	assert_int_equal(ost_dose_ul(1, 3), 333);
}

static void test_reconciliation_entity(void **state)
{
	struct ent_ctx ctx = {ymd(2025, 6, 15)};
	struct pcmt_err err;
	json_t *in = json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:i}", "facility_id", 3, "day", "2025-06-14",
			       "opening_ul", 500000, "received_ul", 0, "dispensed_ul", 8500, "waste_ul", 0,
			       "counted_ul", 490500), *out = NULL;

	(void)state;
	err_clear(&err);
	assert_int_equal(ent_validate(&ent_ost_reconciliations, &ctx, in, 0, &out, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "expected_ul")), 491500);
	assert_int_equal(json_integer_value(json_object_get(out, "difference_ul")), -1000);
	assert_true(json_is_true(json_object_get(out, "flagged")));
	json_decref(out);
	/* derived fields are never taken from the client */
	json_object_set_new(in, "flagged", json_false());
	assert_int_equal(ent_validate(&ent_ost_reconciliations, &ctx, in, 0, &out, &err), -1);
	assert_string_equal(err.field, "flagged");
	json_decref(in);
}

static void test_entity_checks(void **state)
{
	struct ent_ctx ctx = {ymd(2025, 6, 15)};
	struct pcmt_err err;
	json_t *out = NULL;
	json_t *w = json_pack("{s:i, s:s, s:s, s:i, s:i}", "facility_id", 3, "move_date", "2025-06-14", "kind", "waste",
			      "volume_ul", 1000, "mg_per_ml", 10);
	json_t *d = json_pack("{s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:i}", "person_id", 1, "prescription_id", 1,
			      "facility_id", 3, "home_facility_id", 3, "dose_date", "2025-06-16", "dispensed_on",
			      "2025-06-14", "kind", "witnessed", "dose_mg", 80);

	(void)state;
	err_clear(&err);
	assert_int_equal(ent_validate(&ent_ost_stock, &ctx, w, 0, &out, &err), -1);
	assert_string_equal(err.field, "reason");
	json_object_set_new(w, "reason", json_string("bottle broken"));
	assert_int_equal(ent_validate(&ent_ost_stock, &ctx, w, 0, &out, &err), 0);
	json_decref(out);
	/* a witnessed dose is for the day it is given; a take-home one may cover a later day */
	assert_int_equal(ent_validate(&ent_ost_doses, &ctx, d, 0, &out, &err), -1);
	assert_string_equal(err.field, "dose_date");
	json_object_set_new(d, "kind", json_string("take_home"));
	assert_int_equal(ent_validate(&ent_ost_doses, &ctx, d, 0, &out, &err), 0);
	json_decref(out);
	json_decref(w);
	json_decref(d);
}

static void test_retention(void **state)
{
	/* six episodes; the 6-month marks of those starting in January-June 2024 fall in July-December 2024 */
	struct ost_episode e[] = {
		{ymd(2024, 1, 10), INT32_MAX},        /* open: retained (mark 2024-07-10) */
		{ymd(2024, 2, 1), ymd(2024, 8, 1)},   /* ends on its mark day: retained */
		{ymd(2024, 2, 1), ymd(2024, 7, 31)},  /* ends the day before its mark: not retained */
		{ymd(2024, 3, 15), ymd(2024, 4, 1)},  /* dropped out early: not retained */
		{ymd(2024, 6, 30), ymd(2025, 1, 5)},  /* mark 2024-12-30: retained */
		{ymd(2024, 7, 1), INT32_MAX},         /* mark 2025-01-01: outside the cohort window */
	};
	int cohort, retained;

	(void)state;
	ost_retention(e, 6, 6, ymd(2024, 7, 1), ymd(2024, 12, 31), &cohort, &retained);
	assert_int_equal(cohort, 5);
	assert_int_equal(retained, 3);
	/* at 12 months the marks of the same starts fall in 2025 */
	ost_retention(e, 6, 12, ymd(2025, 1, 1), ymd(2025, 6, 30), &cohort, &retained);
	assert_int_equal(cohort, 5);
	assert_int_equal(retained, 1); /* only the open one: the one ending 2025-01-05 left before its mark 2025-06-30 */
	ost_retention(e, 6, 12, ymd(2025, 1, 1), ymd(2025, 7, 1), &cohort, &retained);
	assert_int_equal(cohort, 6);
	assert_int_equal(retained, 2);
}

static void test_rulebook_rows(void **state)
{
	struct rulebook rb;
	struct pcmt_err err;
	struct ost_rules r;

	(void)state;
	err_clear(&err);
	rulebook_init(&rb);
	assert_int_equal(rulebook_builtin(&rb, &err), 0);
	assert_int_equal(ost_rules_at(&rb, ymd(2025, 6, 15), &r, &err), 0);
	assert_int_equal(r.rx_max_days, 30);
	assert_int_equal(r.alert_days, 3);
	assert_int_equal(r.escalation_days, 5);
	assert_int_equal(r.th_max_days, 7);
	assert_int_equal(r.th_maintenance_months, 6);
	assert_int_equal(r.th_negative_months, 3);
	assert_int_equal(r.review_days, 30);
	assert_true(rule_at(&rb, "ost.methadone_prescription_max_days", ymd(2025, 6, 15))->confirmed);
	assert_false(rule_at(&rb, "ost.take_home.max_days", ymd(2025, 6, 15))->confirmed);
	assert_false(rule_at(&rb, "ost.missed_dose.alert_days", ymd(2025, 6, 15))->confirmed);
	/* the circular's cap is not in force before 2024-03-15 */
	assert_int_equal(ost_rules_at(&rb, ymd(2024, 3, 14), &r, &err), 0);
	assert_int_equal(r.rx_max_days, 0);
	rulebook_free(&rb);
}

/* The clinic's measures (domain/indicators.c) on a hand-built snapshot, June 2024:
 * A methadone since 2023-12-15 (6-month mark 06-15), prescriptions covering all June, doses every day
 *   but the 10th-12th, the 28th-30th taken home: 30 due, 3 missed, take-home, retained at 6 months
 * B buprenorphine 2023-12-20 to 06-10, dropped out (mark 06-20): a prescription 06-01..06-09, doses
 *   06-01..06-05 (the 5th taken home): 9 due, 4 missed, not retained, no take-home (not on
 *   substitution at the end of June)
 * C methadone since 2023-06-01 (12-month mark 06-01), no doses recorded here: retained at 12 months */
static void test_indicator_measures(void **state)
{
	enum { NATION = 1, PROVINCE = 2, DISTRICT = 3, COMMUNE = 4 };
	struct snap *s = snap_new();
	struct snap_person *a, *b, *c;
	struct ind_calc_in in;
	struct ind_rows r;
	struct pcmt_err err;

	(void)state;
	assert_non_null(s);
	assert_int_equal(snap_ou_add(s, NATION, 0, "nation", "VN", "Việt Nam", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, PROVINCE, NATION, "province", "40", "Nghệ An", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, DISTRICT, PROVINCE, "district", "417", "Kỳ Sơn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, COMMUNE, DISTRICT, "commune", "16837", "Nậm Cắn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_finish(s), 0);
	a = snap_person_new(1, COMMUNE, "male", ymd(1985, 1, 1));
	b = snap_person_new(2, COMMUNE, "male", ymd(1985, 1, 1));
	c = snap_person_new(3, COMMUNE, "female", ymd(1985, 1, 1));
	assert_true(a && b && c);
	assert_int_equal(snap_person_treat(a, "methadone", 9, ymd(2023, 12, 15), SNAP_OPEN, SNAP_OPEN, "ongoing"), 0);
	/* given out of order: the image sorts them */
	assert_int_equal(snap_person_rx(a, ymd(2024, 6, 19), ymd(2024, 7, 18)), 0);
	assert_int_equal(snap_person_rx(a, ymd(2024, 5, 20), ymd(2024, 6, 18)), 0);
	for (int d = 30; d >= 1; d--)
		if (d < 10 || d > 12)
			assert_int_equal(snap_person_dose(a, ymd(2024, 6, d), d >= 28 ? "take_home" : "witnessed"), 0);
	assert_int_equal(snap_person_treat(b, "buprenorphine", 9, ymd(2023, 12, 20), SNAP_OPEN, ymd(2024, 6, 10),
					   "dropped_out"), 0);
	assert_int_equal(snap_person_rx(b, ymd(2024, 6, 1), ymd(2024, 6, 9)), 0);
	for (int d = 1; d <= 5; d++)
		assert_int_equal(snap_person_dose(b, ymd(2024, 6, d), d == 5 ? "take_home" : "witnessed"), 0);
	assert_int_equal(snap_person_treat(c, "methadone", 9, ymd(2023, 6, 1), SNAP_OPEN, SNAP_OPEN, "ongoing"), 0);
	assert_int_equal(snap_person_put(s, a), 0);
	assert_int_equal(snap_person_put(s, b), 0);
	assert_int_equal(snap_person_put(s, c), 0);
	memset(&in, 0, sizeof(in));
	in.s = s;
	in.root = snap_ou_ix(s, PROVINCE);
	in.w = (struct ind_window){ymd(2024, 6, 1), ymd(2024, 6, 30), ymd(2024, 6, 30), ymd(2024, 6, 30)};
	in.need = (UINT64_C(1) << M_OST_PATIENTS) | (UINT64_C(1) << M_OST_TAKE_HOME_PATIENTS) |
		  (UINT64_C(1) << M_OST_DOSE_DAYS_DUE) | (UINT64_C(1) << M_OST_DOSE_DAYS_MISSED) |
		  (UINT64_C(1) << M_OST_RETENTION_6M_COHORT) | (UINT64_C(1) << M_OST_RETAINED_6M) |
		  (UINT64_C(1) << M_OST_RETENTION_12M_COHORT) | (UINT64_C(1) << M_OST_RETAINED_12M);
	err_clear(&err);
	assert_int_equal(ind_calc(&in, &r, &err), 0);
#define V(m) (r.v[m])
	assert_true(V(M_OST_PATIENTS) == 2);           /* A and C */
	assert_true(V(M_OST_TAKE_HOME_PATIENTS) == 1); /* A */
	assert_true(V(M_OST_DOSE_DAYS_DUE) == 39);     /* A 30 + B 9 */
	assert_true(V(M_OST_DOSE_DAYS_MISSED) == 7);   /* A 3 + B 4 */
	assert_true(V(M_OST_RETENTION_6M_COHORT) == 2 && V(M_OST_RETAINED_6M) == 1);
	assert_true(V(M_OST_RETENTION_12M_COHORT) == 1 && V(M_OST_RETAINED_12M) == 1);
	ind_rows_free(&r);
	/* the first ten days only: A due 10, missed 1 (the 10th); B due 9, missed 4; no 6-month mark yet */
	in.w = (struct ind_window){ymd(2024, 6, 1), ymd(2024, 6, 10), ymd(2024, 6, 10), ymd(2024, 6, 10)};
	assert_int_equal(ind_calc(&in, &r, &err), 0);
	assert_true(V(M_OST_DOSE_DAYS_DUE) == 19);
	assert_true(V(M_OST_DOSE_DAYS_MISSED) == 5);
	assert_true(V(M_OST_RETENTION_6M_COHORT) == 0);
	assert_true(V(M_OST_PATIENTS) == 3); /* B's episode ends on the 10th: still on treatment that day */
	assert_true(V(M_OST_TAKE_HOME_PATIENTS) == 1); /* B's take-home dose of the 5th */
#undef V
	ind_rows_free(&r);
	/* the same three by their clinic (facility 9) over June: the figures of the org units */
	{
		struct ost_clinic_stats cs;

		ost_clinic_stats(s, 9, ymd(2024, 6, 1), ymd(2024, 6, 30), &cs);
		assert_int_equal(cs.patients, 2);
		assert_int_equal(cs.take_home_patients, 1);
		assert_int_equal(cs.due, 39);
		assert_int_equal(cs.missed, 7);
		assert_int_equal(cs.cohort[0], 2);
		assert_int_equal(cs.retained[0], 1);
		assert_int_equal(cs.cohort[1], 1);
		assert_int_equal(cs.retained[1], 1);
		ost_clinic_stats(s, 10, ymd(2024, 6, 1), ymd(2024, 6, 30), &cs);
		assert_int_equal(cs.patients + cs.due + cs.cohort[0] + cs.cohort[1], 0);
	}
	snap_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_in_force),
		cmocka_unit_test(test_rx_cap),
		cmocka_unit_test(test_dose_refusals),
		cmocka_unit_test(test_missed_streak),
		cmocka_unit_test(test_take_home),
		cmocka_unit_test(test_reconcile),
		cmocka_unit_test(test_reconciliation_entity),
		cmocka_unit_test(test_entity_checks),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_rulebook_rows),
		cmocka_unit_test(test_indicator_measures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
