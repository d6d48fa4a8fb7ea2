/* test_retention.c: unit tests for src/domain/retention.c: when a person's identity may be erased:
 * never while a management record or a treatment is open or when there was never a record; else
 * the retention period after the last fact, whichever kind of fact it is; the period from the
 * built-in rulebook, flagged unconfirmed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "domain/retention.h"
#include "util/date.h"

static int32_t d(int y, int m, int dd)
{
	return date_from_ymd(y, m, dd);
}

static void test_months_from_rulebook(void **state)
{
	struct rulebook rb;
	struct pcmt_err err;
	const struct rule *r;
	int months = 0;

	err_clear(&err);
	rulebook_init(&rb);
	assert_int_equal(rulebook_parse_tsv(&rb, rulebook_default_tsv, rulebook_default_tsv_len, &err), 0);
	assert_int_equal(ret_months(&rb, d(2025, 6, 30), &months, &err), 0);
	assert_int_equal(months, 60);
	r = rule_at(&rb, "retention.identity_months", d(2025, 6, 30));
	assert_non_null(r);
	assert_int_equal(r->confirmed, 0);
	rulebook_free(&rb);
	rulebook_init(&rb);
	assert_int_equal(ret_months(&rb, d(2025, 6, 30), &months, &err), -1);
	assert_int_equal(err.code, ERR_UNAVAILABLE); /* a rulebook without the rule: pcmt migrate adds it */
	rulebook_free(&rb);
}

static void test_due(void **state)
{
	struct snap_person *p = snap_person_new(1, 5, "male", d(1990, 5, 17));

	/* never managed: never due */
	assert_int_equal(snap_person_test(p, d(2022, 1, 5), "sudden", "positive"), 0);
	assert_int_equal(ret_due(p, 60), DATE_NONE);
	/* a record still open: not due */
	assert_int_equal(snap_person_rec(p, "illegal_user", d(2022, 1, 10), SNAP_OPEN, 5), 0);
	assert_int_equal(ret_due(p, 60), DATE_NONE);
	snap_person_free(p);

	p = snap_person_new(2, 5, "male", DATE_NONE);
	assert_int_equal(snap_person_rec(p, "illegal_user", d(2022, 1, 10), d(2023, 1, 9), 5), 0);
	assert_int_equal(ret_last_fact(p), d(2023, 1, 9));
	assert_int_equal(ret_due(p, 60), d(2028, 1, 9));
	/* a later test moves it */
	assert_int_equal(snap_person_test(p, d(2023, 3, 1), "periodic", "negative"), 0);
	assert_int_equal(ret_due(p, 60), d(2028, 3, 1));
	/* a support, a determination, a classification end: the latest counts */
	assert_int_equal(snap_person_sup(p, "loan", d(2023, 4, 2)), 0);
	assert_int_equal(ret_due(p, 60), d(2028, 4, 2));
	assert_int_equal(snap_person_cls(p, "illegal_user", d(2022, 1, 10), d(2023, 6, 30)), 0);
	assert_int_equal(ret_due(p, 12), d(2024, 6, 30));
	/* a treatment still open: not due; once ended, its end counts */
	assert_int_equal(snap_person_treat(p, "methadone", 0, d(2023, 7, 1), DATE_NONE, SNAP_OPEN, "ongoing"), 0);
	assert_int_equal(ret_due(p, 60), DATE_NONE);
	p->treat[0].end = d(2024, 2, 29);
	assert_int_equal(ret_due(p, 12), d(2025, 2, 28));
	/* a second record, closed: still the latest fact */
	assert_int_equal(snap_person_rec(p, "post_rehab", d(2024, 3, 1), d(2025, 3, 1), 5), 0);
	assert_int_equal(ret_due(p, 60), d(2030, 3, 1));
	snap_person_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_months_from_rulebook),
		cmocka_unit_test(test_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
