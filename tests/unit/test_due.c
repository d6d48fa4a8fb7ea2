/* test_due.c: what falls due within 7 days (domain/due.h) on hand-built snapshots, at each boundary:
 * a negative test 23 days old is due on day 7 (listed), 22 days old on day 8 (not); residential
 * treatment takes an addict out of the window; no test or a positive one is due at once; periodic
 * post-rehabilitation tests 90 days apart (sudden tests do not count); management periods of 12
 * months (illegal users) and 24/12 months (post-rehabilitation after adult/minor compulsory
 * treatment); an overdue period of a record still open is listed, a closed record is not; and the
 * numbers come from the default rulebook. */
#include <string.h>

#include "domain/due.h"
#include "testlib.h"
#include "util/date.h"

enum { NATION = 1, PROVINCE = 2, COMMUNE = 3 };

static int32_t D, UNTIL; /* 2025-06-30, +7 days */

static const struct due_params P = {30, 90, 12, 12, 12, 12, 24};

static struct snap *fresh(void)
{
	struct snap *s = snap_new();

	assert_non_null(s);
	assert_int_equal(snap_ou_add(s, NATION, 0, "nation", "VN", "Việt Nam", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, PROVINCE, NATION, "province", "40", "Nghệ An", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, COMMUNE, PROVINCE, "commune", "16837", "Nậm Cắn", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_finish(s), 0);
	return s;
}

static struct snap_person *classified(int64_t id, const char *kind, int32_t dob)
{
	struct snap_person *p = snap_person_new(id, COMMUNE, "male", dob);

	assert_non_null(p);
	assert_int_equal(snap_person_cls(p, kind, date_from_ymd(2024, 1, 1), SNAP_OPEN), 0);
	return p;
}

static struct due_list run(struct snap *s)
{
	struct due_list l = {0};

	assert_int_equal(due_commune(s, snap_ou_ix(s, COMMUNE), D, UNTIL, &P, &l), 0);
	due_sort(&l);
	return l;
}

static const struct due_item *find(const struct due_list *l, int64_t person, enum due_kind k)
{
	for (int i = 0; i < l->n; i++)
		if (l->items[i].person_id == person && l->items[i].kind == k)
			return &l->items[i];
	return NULL;
}

static void test_window(void **state)
{
	struct snap *s = fresh();
	struct snap_person *p;
	struct due_list l;
	const struct due_item *it;

	p = classified(1, "addict", DATE_NONE); /* negative 23 days ago: due D+7 */
	snap_person_test(p, D - 23, "periodic", "negative");
	snap_person_put(s, p);
	p = classified(2, "addict", DATE_NONE); /* negative 22 days ago: due D+8, after the horizon */
	snap_person_test(p, D - 22, "periodic", "negative");
	snap_person_put(s, p);
	p = classified(3, "addict", DATE_NONE); /* in compulsory treatment at a facility: not in the community */
	snap_person_treat(p, "compulsory_facility", 9, D - 100, SNAP_OPEN, SNAP_OPEN, "ongoing");
	snap_person_put(s, p);
	p = classified(4, "illegal_user", DATE_NONE); /* never tested: due now */
	snap_person_put(s, p);
	p = classified(5, "psychosis", DATE_NONE); /* negative, then positive 2 days ago: due now */
	snap_person_test(p, D - 10, "periodic", "negative");
	snap_person_test(p, D - 2, "sudden", "positive");
	snap_person_put(s, p);
	p = classified(6, "addict", DATE_NONE); /* negative test after D does not count on D */
	snap_person_test(p, D - 40, "periodic", "negative");
	snap_person_test(p, D + 1, "periodic", "negative");
	snap_person_put(s, p);

	l = run(s);
	assert_non_null(it = find(&l, 1, DUE_TEST_WINDOW));
	assert_int_equal(it->due, UNTIL);
	assert_int_equal(it->last, D - 23);
	assert_int_equal(it->last_result, TR_NEGATIVE);
	assert_int_equal(it->classification, CL_ADDICT);
	assert_null(find(&l, 2, DUE_TEST_WINDOW));
	assert_null(find(&l, 3, DUE_TEST_WINDOW));
	assert_non_null(it = find(&l, 4, DUE_TEST_WINDOW));
	assert_int_equal(it->due, D);
	assert_int_equal(it->last, DATE_NONE);
	assert_int_equal(it->classification, CL_ILLEGAL_USER);
	assert_non_null(it = find(&l, 5, DUE_TEST_WINDOW));
	assert_int_equal(it->due, D);
	assert_int_equal(it->last_result, TR_POSITIVE);
	assert_non_null(it = find(&l, 6, DUE_TEST_WINDOW));
	assert_int_equal(it->due, D - 40 + 30); /* overdue since 2025-06-20, listed first */
	assert_int_equal(l.items[0].person_id, 6);
	assert_int_equal(l.n, 4);
	due_list_free(&l);
	snap_free(s);
}

static void test_periodic(void **state)
{
	struct snap *s = fresh();
	struct snap_person *p;
	struct due_list l;
	const struct due_item *it;
	int32_t opened = date_from_ymd(2025, 1, 1);

	p = classified(1, "post_rehab", DATE_NONE); /* periodic test on 2025-04-08: due 2025-07-07 */
	snap_person_rec(p, "post_rehab", opened, SNAP_OPEN, COMMUNE);
	snap_person_test(p, date_from_ymd(2025, 4, 8), "periodic", "negative");
	snap_person_put(s, p);
	p = classified(2, "post_rehab", DATE_NONE); /* 2025-04-09: due 2025-07-08, not yet; a later sudden test changes nothing */
	snap_person_rec(p, "post_rehab", opened, SNAP_OPEN, COMMUNE);
	snap_person_test(p, date_from_ymd(2025, 4, 9), "periodic", "negative");
	snap_person_test(p, date_from_ymd(2025, 6, 1), "sudden", "negative");
	snap_person_put(s, p);
	p = classified(3, "post_rehab", DATE_NONE); /* no record open: not this list's business */
	snap_person_put(s, p);
	p = classified(4, "post_rehab", DATE_NONE); /* no periodic test since the opening: due 90 days after it */
	snap_person_rec(p, "post_rehab", opened, SNAP_OPEN, COMMUNE);
	snap_person_test(p, date_from_ymd(2024, 12, 1), "periodic", "negative"); /* before the record */
	snap_person_put(s, p);

	l = run(s);
	assert_non_null(it = find(&l, 1, DUE_TEST_PERIODIC));
	assert_int_equal(it->due, UNTIL);
	assert_int_equal(it->last, date_from_ymd(2025, 4, 8));
	assert_null(find(&l, 2, DUE_TEST_PERIODIC));
	assert_null(find(&l, 3, DUE_TEST_PERIODIC));
	assert_non_null(it = find(&l, 4, DUE_TEST_PERIODIC));
	assert_int_equal(it->due, opened + 90);
	assert_int_equal(it->last, DATE_NONE);
	due_list_free(&l);
	snap_free(s);
}

static void test_periods(void **state)
{
	struct snap *s = fresh();
	struct snap_person *p;
	struct due_list l;
	const struct due_item *it;

	p = classified(1, "illegal_user", DATE_NONE); /* opened 2024-07-07: ends 2025-07-07 */
	snap_person_rec(p, "illegal_user", date_from_ymd(2024, 7, 7), SNAP_OPEN, COMMUNE);
	snap_person_test(p, D, "periodic", "negative");
	snap_person_put(s, p);
	p = classified(2, "illegal_user", DATE_NONE); /* opened 2024-07-08: ends 2025-07-08, not yet */
	snap_person_rec(p, "illegal_user", date_from_ymd(2024, 7, 8), SNAP_OPEN, COMMUNE);
	snap_person_test(p, D, "periodic", "negative");
	snap_person_put(s, p);
	/* post-rehabilitation after adult compulsory treatment: 24 months */
	p = classified(3, "post_rehab", date_from_ymd(1990, 1, 1));
	snap_person_treat(p, "compulsory_facility", 9, date_from_ymd(2021, 7, 1), SNAP_OPEN, date_from_ymd(2023, 7, 1), "completed");
	snap_person_rec(p, "post_rehab", date_from_ymd(2023, 7, 5), SNAP_OPEN, COMMUNE);
	snap_person_test(p, D - 1, "periodic", "negative");
	snap_person_put(s, p);
	/* the same after a minor's compulsory treatment: 12 months, so ended a year ago (overdue) */
	p = classified(4, "post_rehab", date_from_ymd(2008, 1, 1));
	snap_person_treat(p, "compulsory_facility", 9, date_from_ymd(2022, 7, 1), SNAP_OPEN, date_from_ymd(2023, 7, 1), "completed");
	snap_person_rec(p, "post_rehab", date_from_ymd(2023, 7, 5), SNAP_OPEN, COMMUNE);
	snap_person_test(p, D - 1, "periodic", "negative");
	snap_person_put(s, p);
	/* closed record: nothing ends */
	p = classified(5, "illegal_user", DATE_NONE);
	snap_person_rec(p, "illegal_user", date_from_ymd(2024, 7, 1), date_from_ymd(2025, 6, 1), COMMUNE);
	snap_person_test(p, D, "periodic", "negative");
	snap_person_put(s, p);
	/* an addict record has no fixed period */
	p = classified(6, "addict", DATE_NONE);
	snap_person_rec(p, "addict", date_from_ymd(2020, 1, 1), SNAP_OPEN, COMMUNE);
	snap_person_test(p, D, "periodic", "negative");
	snap_person_put(s, p);

	l = run(s);
	assert_non_null(it = find(&l, 1, DUE_PERIOD_END));
	assert_int_equal(it->due, UNTIL);
	assert_int_equal(it->record_kind, RK_ILLEGAL_USER);
	assert_int_equal(it->last, date_from_ymd(2024, 7, 7));
	assert_null(find(&l, 2, DUE_PERIOD_END));
	assert_non_null(it = find(&l, 3, DUE_PERIOD_END));
	assert_int_equal(it->due, date_from_ymd(2025, 7, 5));
	assert_non_null(it = find(&l, 4, DUE_PERIOD_END));
	assert_int_equal(it->due, date_from_ymd(2024, 7, 5));
	assert_null(find(&l, 5, DUE_PERIOD_END));
	assert_null(find(&l, 6, DUE_PERIOD_END));
	due_list_free(&l);
	snap_free(s);
}

static void test_params_from_rulebook(void **state)
{
	struct rulebook rb;
	struct due_params p;
	struct pcmt_err err;

	rulebook_init(&rb);
	err_clear(&err);
	assert_int_equal(rulebook_parse_tsv(&rb, rulebook_default_tsv, rulebook_default_tsv_len, &err), 0);
	assert_int_equal(due_params_at(&rb, D, &p, &err), 0);
	assert_int_equal(p.window_days, 30);
	assert_int_equal(p.periodic_days, 90);
	assert_int_equal(p.illegal_user_months, 12);
	assert_int_equal(p.post_rehab_adult, 24);
	assert_int_equal(p.post_rehab_minor, 12);
	assert_int_equal(p.post_rehab_substitution, 12);
	assert_int_equal(p.post_rehab_voluntary, 12);
	/* before the drug-free rules existed there is nothing to compute with */
	assert_int_equal(due_params_at(&rb, date_from_ymd(2023, 6, 30), &p, &err), -1);
	rulebook_free(&rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_params_from_rulebook),
	};

	D = date_from_ymd(2025, 6, 30);
	UNTIL = D + 7;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
