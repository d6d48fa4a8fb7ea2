/* test_criteria.c: the drug-free commune criteria on hand-built snapshots, at their boundaries:
 * day 30 and day 31 of the test window, 9/10/11 addicts in the community, a test on the request
 * date, a positive test after a negative one, residential treatment, post-rehabilitation tests and
 * support, detection of unclassified persons, and a rule that changes on a date. */
#include <stdlib.h>
#include <string.h>

#include "domain/criteria.h"
#include "testlib.h"
#include "util/date.h"

enum { NATION = 1, PROVINCE = 2, COMMUNE = 3, OTHER = 4 };

static int32_t D; /* request date: 2025-06-30 */

static struct snap *fresh(void)
{
	struct snap *s = snap_new();

	assert_non_null(s);
	assert_int_equal(snap_ou_add(s, NATION, 0, "nation", "VN", "Việt Nam", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, PROVINCE, NATION, "province", "40", "Nghệ An", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, COMMUNE, PROVINCE, "commune", "16837", "Nậm Cắn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, OTHER, PROVINCE, "commune", "16756", "Tri Lễ", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_finish(s), 0);
	return s;
}

/* An addict managed in the community, in methadone treatment, last tested `test_age` days before D
 * with result r ("negative"/"positive"; NULL: never tested). */
static struct snap_person *addict(int64_t id, int test_age, const char *r)
{
	struct snap_person *p = snap_person_new(id, COMMUNE, "male", date_from_ymd(1990, 1, 1));

	assert_non_null(p);
	snap_person_cls(p, "addict", date_from_ymd(2024, 1, 1), SNAP_OPEN);
	snap_person_rec(p, "addict", date_from_ymd(2024, 1, 2), SNAP_OPEN, COMMUNE);
	snap_person_treat(p, "methadone", 77, date_from_ymd(2024, 1, 3), SNAP_OPEN, SNAP_OPEN, "ongoing");
	if (r)
		snap_person_test(p, D - test_age, "periodic", r);
	return p;
}

static struct crit_params params(void)
{
	struct crit_params cp = {30, 10, 365, 90};

	return cp;
}

static struct crit_result eval(struct snap *s)
{
	struct crit_params cp = params();
	struct crit_result r;

	assert_int_equal(crit_eval(s, snap_ou_ix(s, COMMUNE), D, &cp, &r), 0);
	return r;
}

static int has_fail(const struct crit_result *r, int criterion, int64_t person, enum crit_reason why)
{
	for (int i = 0; i < r->nfails; i++)
		if (r->fails[i].criterion == criterion && r->fails[i].person_id == person && r->fails[i].reason == why)
			return 1;
	return 0;
}

static void test_empty_commune_passes(void **state)
{
	struct snap *s = fresh();
	struct crit_result r = eval(s);

	assert_true(r.pass);
	assert_int_equal(r.nfails, 0);
	crit_result_free(&r);
	snap_free(s);
}

static void test_window_day_30_and_31(void **state)
{
	struct snap *s = fresh();
	struct crit_result r;

	snap_person_put(s, addict(1, 30, "negative"));
	r = eval(s);
	assert_true(r.pass); /* D-30 lies in [D-30, D] */
	assert_int_equal(r.addicts_tested_ok, 1);
	crit_result_free(&r);

	snap_person_put(s, addict(1, 31, "negative"));
	r = eval(s);
	assert_false(r.pass);
	assert_false(r.pass_c[0]);
	assert_true(has_fail(&r, 1, 1, CR_TEST_TOO_OLD));
	assert_int_equal(r.fails[0].date, D - 31);
	crit_result_free(&r);

	snap_person_put(s, addict(1, 0, "negative")); /* a test on the request date counts */
	r = eval(s);
	assert_true(r.pass);
	crit_result_free(&r);

	snap_person_put(s, addict(1, 0, NULL));
	r = eval(s);
	assert_true(has_fail(&r, 1, 1, CR_NO_TEST));
	crit_result_free(&r);
	snap_free(s);
}

static void test_positive_after_negative(void **state)
{
	struct snap *s = fresh();
	struct snap_person *p = addict(1, 20, "negative");
	struct crit_result r;

	snap_person_test(p, D - 5, "sudden", "positive");
	snap_person_put(s, p);
	r = eval(s);
	assert_false(r.pass);
	assert_true(has_fail(&r, 1, 1, CR_TEST_POSITIVE));
	crit_result_free(&r);

	/* a negative and a positive on the same day: the positive one decides */
	p = addict(1, 3, "negative");
	snap_person_test(p, D - 3, "sudden", "positive");
	snap_person_put(s, p);
	r = eval(s);
	assert_true(has_fail(&r, 1, 1, CR_TEST_POSITIVE));
	crit_result_free(&r);

	/* a positive test after D does not change an evaluation as of D */
	p = addict(1, 3, "negative");
	snap_person_test(p, D + 1, "sudden", "positive");
	snap_person_put(s, p);
	r = eval(s);
	assert_true(r.pass);
	crit_result_free(&r);
	snap_free(s);
}

static void put_addicts(struct snap *s, int n, int residential)
{
	for (int i = 1; i <= n; i++)
		snap_person_put(s, addict(i, 1, "negative"));
	for (int i = n + 1; i <= n + residential; i++) {
		struct snap_person *p = snap_person_new(i, COMMUNE, "male", DATE_NONE);

		snap_person_cls(p, "addict", date_from_ymd(2024, 1, 1), SNAP_OPEN);
		snap_person_rec(p, "addict", date_from_ymd(2024, 1, 2), SNAP_OPEN, COMMUNE);
		snap_person_treat(p, "compulsory_facility", 5, date_from_ymd(2025, 1, 1), date_from_ymd(2026, 1, 1), SNAP_OPEN,
				  "ongoing");
		snap_person_put(s, p); /* never tested: not needed while at a facility */
	}
}

static void test_ceiling_9_10_11(void **state)
{
	struct crit_result r;
	struct snap *s;

	s = fresh();
	put_addicts(s, 9, 3);
	r = eval(s);
	assert_int_equal(r.addicts, 12);
	assert_int_equal(r.addicts_in_community, 9);
	assert_true(r.pass);
	crit_result_free(&r);
	snap_free(s);

	s = fresh();
	put_addicts(s, 10, 0);
	r = eval(s);
	assert_false(r.pass); /* "fewer than 10" */
	assert_true(has_fail(&r, 1, 0, CR_CEILING));
	assert_int_equal(r.fails[r.nfails - 1].value, 10);
	assert_int_equal(r.fails[r.nfails - 1].limit, 10);
	{
		char buf[128];

		crit_reason_text(&r.fails[r.nfails - 1], 0, buf, sizeof(buf));
		assert_string_equal(buf, "10 addicts in the community, must be fewer than 10");
	}
	crit_result_free(&r);
	snap_free(s);

	s = fresh();
	put_addicts(s, 11, 0);
	r = eval(s);
	assert_false(r.pass);
	assert_int_equal(r.addicts_in_community, 11);
	crit_result_free(&r);
	snap_free(s);
}

static void test_addict_record_and_treatment(void **state)
{
	struct snap *s = fresh();
	struct snap_person *p = snap_person_new(1, COMMUNE, "male", DATE_NONE);
	struct crit_result r;

	snap_person_cls(p, "addict", date_from_ymd(2024, 1, 1), SNAP_OPEN);
	snap_person_rec(p, "addict", date_from_ymd(2024, 1, 1), D, COMMUNE); /* closed on D: not open */
	snap_person_test(p, D - 1, "periodic", "negative");
	snap_person_put(s, p);
	r = eval(s);
	assert_true(has_fail(&r, 1, 1, CR_NO_RECORD));
	assert_true(has_fail(&r, 1, 1, CR_NOT_IN_TREATMENT));
	assert_int_equal(r.addicts_recorded, 0);
	crit_result_free(&r);
	snap_free(s);
}

static void test_users_and_psychosis(void **state)
{
	struct snap *s = fresh();
	struct snap_person *u = snap_person_new(1, COMMUNE, "male", DATE_NONE), *ps = snap_person_new(2, COMMUNE, "female", DATE_NONE);
	struct crit_result r;

	snap_person_cls(u, "illegal_user", date_from_ymd(2025, 1, 1), SNAP_OPEN);
	snap_person_rec(u, "illegal_user", date_from_ymd(2025, 1, 1), SNAP_OPEN, COMMUNE);
	snap_person_test(u, D - 10, "periodic", "negative");
	snap_person_cls(ps, "psychosis", date_from_ymd(2025, 1, 1), SNAP_OPEN);
	snap_person_test(ps, D - 40, "periodic", "negative");
	snap_person_put(s, u);
	snap_person_put(s, ps);
	r = eval(s);
	assert_true(r.pass_c[0]);
	assert_false(r.pass_c[1]);
	assert_int_equal(r.users, 2);
	assert_int_equal(r.users_tested_ok, 1);
	assert_true(has_fail(&r, 2, 2, CR_NO_RECORD));
	assert_true(has_fail(&r, 2, 2, CR_TEST_TOO_OLD));
	assert_false(has_fail(&r, 2, 1, CR_TEST_TOO_OLD));
	crit_result_free(&r);
	snap_free(s);
}

static void test_post_rehab(void **state)
{
	struct snap *s = fresh();
	struct snap_person *p = snap_person_new(1, COMMUNE, "male", DATE_NONE);
	struct crit_result r;
	int32_t opened = date_from_ymd(2025, 1, 1);

	snap_person_cls(p, "post_rehab", opened, SNAP_OPEN);
	snap_person_rec(p, "post_rehab", opened, SNAP_OPEN, COMMUNE);
	snap_person_test(p, opened + 30, "periodic", "negative");
	snap_person_test(p, opened - 5, "sudden", "negative"); /* before the record: does not count */
	snap_person_put(s, p);
	r = eval(s); /* D is 180 days after opening: tests are due */
	assert_false(r.pass_c[2]);
	assert_true(has_fail(&r, 3, 1, CR_NO_SUDDEN_TEST));
	assert_false(has_fail(&r, 3, 1, CR_NO_PERIODIC_TEST));
	assert_true(has_fail(&r, 3, 1, CR_NO_SUPPORT));
	crit_result_free(&r);

	p = snap_person_new(1, COMMUNE, "male", DATE_NONE);
	snap_person_cls(p, "post_rehab", opened, SNAP_OPEN);
	snap_person_rec(p, "post_rehab", opened, SNAP_OPEN, COMMUNE);
	snap_person_test(p, opened + 30, "periodic", "negative");
	snap_person_test(p, opened + 60, "sudden", "negative");
	snap_person_sup(p, "vocational_training", opened + 10);
	snap_person_put(s, p);
	r = eval(s);
	assert_true(r.pass);
	assert_int_equal(r.post_rehab_supported, 1);
	crit_result_free(&r);

	/* a record opened 89 days before D is inside the grace interval; at 90 days tests are due */
	for (int age = 89; age <= 90; age++) {
		p = snap_person_new(1, COMMUNE, "male", DATE_NONE);
		snap_person_cls(p, "post_rehab", D - age, SNAP_OPEN);
		snap_person_rec(p, "post_rehab", D - age, SNAP_OPEN, COMMUNE);
		snap_person_sup(p, "counselling", D - age);
		snap_person_put(s, p);
		r = eval(s);
		assert_int_equal(r.pass, age == 89);
		assert_int_equal(has_fail(&r, 3, 1, CR_NO_SUDDEN_TEST), age == 90);
		crit_result_free(&r);
	}

	/* classified post-rehab but without a post-rehab record */
	p = snap_person_new(1, COMMUNE, "male", DATE_NONE);
	snap_person_cls(p, "post_rehab", opened, SNAP_OPEN);
	snap_person_rec(p, "illegal_user", opened, SNAP_OPEN, COMMUNE);
	snap_person_put(s, p);
	r = eval(s);
	assert_true(has_fail(&r, 3, 1, CR_NO_POST_REHAB_RECORD));
	crit_result_free(&r);
	snap_free(s);
}

static void test_detection(void **state)
{
	struct snap *s = fresh();
	struct snap_person *p = snap_person_new(1, COMMUNE, "male", DATE_NONE), *q = snap_person_new(2, COMMUNE, "male", DATE_NONE),
			   *old = snap_person_new(3, COMMUNE, "male", DATE_NONE), *elsewhere = snap_person_new(4, OTHER, "male", DATE_NONE);
	struct crit_result r;

	snap_person_test(p, D - 100, "sudden", "positive");  /* known user, never classified */
	snap_person_det(q, D - 200, 9, "addicted");          /* determined addict, never classified */
	snap_person_test(old, D - 400, "sudden", "positive"); /* beyond the lookback */
	snap_person_test(elsewhere, D - 1, "sudden", "positive"); /* another commune */
	snap_person_put(s, p);
	snap_person_put(s, q);
	snap_person_put(s, old);
	snap_person_put(s, elsewhere);
	r = eval(s);
	assert_int_equal(r.undetected, 2);
	assert_true(has_fail(&r, 2, 1, CR_UNCLASSIFIED_POSITIVE));
	assert_true(has_fail(&r, 1, 2, CR_UNCLASSIFIED_DETERMINED));
	assert_int_equal(r.nfails, 2);
	crit_result_free(&r);

	/* moving the person out of the commune moves its failure with it */
	p = snap_person_new(1, OTHER, "male", DATE_NONE);
	snap_person_test(p, D - 100, "sudden", "positive");
	snap_person_put(s, p);
	snap_person_drop(s, 2);
	r = eval(s);
	assert_true(r.pass);
	crit_result_free(&r);
	snap_free(s);
}

static void test_rule_in_force_on_date(void **state)
{
	struct rulebook rb;
	struct rule ru;
	struct crit_params cp;
	struct pcmt_err err;

	rulebook_init(&rb);
	memset(&ru, 0, sizeof(ru));
	snprintf(ru.unit, sizeof(ru.unit), "days");
	snprintf(ru.source, sizeof(ru.source), "test");
	snprintf(ru.code, sizeof(ru.code), "drugfree.test_window_days");
	ru.value = 30;
	ru.effective_from = date_from_ymd(2024, 1, 1);
	rulebook_add(&rb, &ru);
	ru.value = 45; /* a hypothetical change on 2026-07-01 */
	ru.effective_from = date_from_ymd(2026, 7, 1);
	rulebook_add(&rb, &ru);
	snprintf(ru.code, sizeof(ru.code), "drugfree.community_addict_ceiling");
	ru.value = 10;
	ru.effective_from = date_from_ymd(2024, 1, 1);
	rulebook_add(&rb, &ru);
	snprintf(ru.code, sizeof(ru.code), "drugfree.detection_lookback_days");
	ru.value = 365;
	rulebook_add(&rb, &ru);
	snprintf(ru.code, sizeof(ru.code), "test.periodic_interval_days");
	ru.value = 90;
	rulebook_add(&rb, &ru);
	rulebook_sort(&rb);

	assert_int_equal(crit_params_at(&rb, date_from_ymd(2026, 6, 30), &cp, &err), 0);
	assert_int_equal(cp.window_days, 30);
	assert_int_equal(crit_params_at(&rb, date_from_ymd(2026, 7, 1), &cp, &err), 0);
	assert_int_equal(cp.window_days, 45);
	assert_int_equal(cp.ceiling, 10);
	/* before the rules existed there is nothing to evaluate with */
	assert_int_equal(crit_params_at(&rb, date_from_ymd(2023, 12, 31), &cp, &err), -1);
	{
		/* the same person, tested 40 days before: fails under 30, passes under 45 */
		struct snap *s = fresh();
		struct crit_result r;
		int32_t d2 = date_from_ymd(2026, 7, 1);
		struct snap_person *p = snap_person_new(1, COMMUNE, "male", DATE_NONE);

		snap_person_cls(p, "illegal_user", date_from_ymd(2026, 1, 1), SNAP_OPEN);
		snap_person_rec(p, "illegal_user", date_from_ymd(2026, 1, 1), SNAP_OPEN, COMMUNE);
		snap_person_test(p, d2 - 1 - 40, "periodic", "negative");
		snap_person_put(s, p);
		crit_params_at(&rb, d2 - 1, &cp, &err);
		assert_int_equal(crit_eval(s, snap_ou_ix(s, COMMUNE), d2 - 1, &cp, &r), 0);
		assert_false(r.pass);
		crit_result_free(&r);
		crit_params_at(&rb, d2, &cp, &err);
		assert_int_equal(crit_eval(s, snap_ou_ix(s, COMMUNE), d2, &cp, &r), 0);
		assert_true(r.pass);
		crit_result_free(&r);
		snap_free(s);
	}
	rulebook_free(&rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_commune_passes),
		cmocka_unit_test(test_window_day_30_and_31),
		cmocka_unit_test(test_positive_after_negative),
		cmocka_unit_test(test_ceiling_9_10_11),
		cmocka_unit_test(test_addict_record_and_treatment),
		cmocka_unit_test(test_users_and_psychosis),
		cmocka_unit_test(test_post_rehab),
		cmocka_unit_test(test_detection),
		cmocka_unit_test(test_rule_in_force_on_date),
	};

	D = date_from_ymd(2025, 6, 30);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
