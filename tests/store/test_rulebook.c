/* test_rulebook.c: a database's rulebook across pcmt upgrades (engine/rulebook.c) on a real
 * database of each backend: an empty rule table is seeded; an older one gets back the built-in rows
 * of the codes it lacks (the clinic's ost.* rows, retention.identity_months) and nothing else --
 * an edited value, an administrator's superseding row and a version deleted of a code it keeps all
 * stay as they are; running it again adds nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rulebook.h"
#include "testlib.h"
#include "util/date.h"

struct fx {
	struct tl_tmp tmp;
	struct store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->s = tl_store_with_units(&f->tmp);
	*state = f;
	return f->s ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tl_tmp_cleanup(&f->tmp);
	free(f);
	return 0;
}

static void sql_ok(struct store *s, const char *sql)
{
	struct pcmt_err err;

	err_clear(&err);
	if (s->ops->sql(s, sql, 0, NULL, NULL, NULL, NULL, &err))
		fail_msg("%s: %s", sql, err.message);
}

static int builtin_rows(void)
{
	struct rulebook rb;
	struct pcmt_err err;
	int n;

	rulebook_init(&rb);
	err_clear(&err);
	assert_int_equal(rulebook_builtin(&rb, &err), 0);
	n = rb.n;
	rulebook_free(&rb);
	return n;
}

/* The table as the store loads it. */
static void loaded(struct store *s, struct rulebook *rb)
{
	struct pcmt_err err;

	err_clear(&err);
	rulebook_free(rb);
	assert_int_equal(s->ops->rules_load(s, rb, &err), 0);
}

static int versions_of(const struct rulebook *rb, const char *code)
{
	int n = 0;

	for (int i = 0; i < rb->n; i++)
		n += !strcmp(rb->rules[i].code, code);
	return n;
}

static int listed(json_t *codes, const char *code)
{
	size_t i;
	json_t *row;

	json_array_foreach(codes, i, row)
		if (!strcmp(json_string_value(json_object_get(row, "code")), code))
			return 1;
	return 0;
}

static void test_seed_then_nothing(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct rulebook rb;
	json_t *codes = NULL;
	int added = -1, n = builtin_rows();

	rulebook_init(&rb);
	err_clear(&err);
	loaded(f->s, &rb);
	assert_int_equal(rb.n, 0); /* migrations alone leave the table empty */
	assert_int_equal(rulebook_upgrade(f->s, &added, &codes, &err), 0);
	assert_int_equal(added, n);
	assert_int_equal((int)json_array_size(codes), n);
	json_decref(codes);
	loaded(f->s, &rb);
	assert_int_equal(rb.n, n);
	/* idempotent */
	assert_int_equal(rulebook_upgrade(f->s, &added, &codes, &err), 0);
	assert_int_equal(added, 0);
	assert_int_equal((int)json_array_size(codes), 0);
	json_decref(codes);
	loaded(f->s, &rb);
	assert_int_equal(rb.n, n);
	rulebook_free(&rb);
}

static void test_missing_codes_come_back(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct rulebook rb;
	json_t *codes = NULL;
	const struct rule *r;
	int added = -1, n = builtin_rows(), law120;

	rulebook_init(&rb);
	err_clear(&err);
	assert_int_equal(rulebook_upgrade(f->s, &added, NULL, &err), 0);
	loaded(f->s, &rb);
	law120 = versions_of(&rb, "treatment.compulsory_adult_months.max");
	assert_int_equal(law120, 2);
	/* a database seeded before the clinic and retention rows existed, and administered since: */
	sql_ok(f->s, "DELETE FROM rule WHERE code LIKE 'ost.missed_dose.%' OR code = 'retention.identity_months'");
	sql_ok(f->s, "DELETE FROM rule WHERE code = 'ost.methadone_prescription_max_days'");
	/* an edited value */
	sql_ok(f->s, "UPDATE rule SET value = 14 WHERE code = 'ost.take_home.max_days'");
	/* a superseding row an administrator added */
	{
		struct rule own;

		memset(&own, 0, sizeof(own));
		snprintf(own.code, sizeof(own.code), "test.periodic_interval_days");
		own.value = 60;
		snprintf(own.unit, sizeof(own.unit), "days");
		own.effective_from = date_from_ymd(2026, 1, 1);
		own.confirmed = 1;
		snprintf(own.source, sizeof(own.source), "provincial instruction");
		assert_int_equal(f->s->ops->rule_put(f->s, &own, &err), 0);
	}
	/* a version of a code it keeps, deliberately removed (the Law 120/2025 row) */
	sql_ok(f->s, "DELETE FROM rule WHERE code = 'treatment.compulsory_adult_months.max' AND effective_from = '2026-07-01'");
	loaded(f->s, &rb);
	assert_int_equal(rb.n, n - 5 - 1 + 1);

	assert_int_equal(rulebook_upgrade(f->s, &added, &codes, &err), 0);
	assert_int_equal(added, 5);
	assert_int_equal((int)json_array_size(codes), 5);
	assert_true(listed(codes, "ost.missed_dose.alert_days"));
	assert_true(listed(codes, "ost.missed_dose.escalation_days"));
	assert_true(listed(codes, "ost.missed_dose.review_days"));
	assert_true(listed(codes, "ost.methadone_prescription_max_days"));
	assert_true(listed(codes, "retention.identity_months"));
	assert_false(listed(codes, "treatment.compulsory_adult_months.max"));
	json_decref(codes);
	codes = NULL;
	loaded(f->s, &rb);
	assert_int_equal(rb.n, n); /* five back, the superseding row in, the Law 120 row still out */
	r = rule_at(&rb, "ost.missed_dose.alert_days", date_from_ymd(2025, 6, 15));
	assert_non_null(r);
	assert_true(r->value == 3);
	r = rule_at(&rb, "ost.methadone_prescription_max_days", date_from_ymd(2025, 6, 15));
	assert_non_null(r);
	assert_true(r->value == 30);
	assert_int_equal(r->effective_from, date_from_ymd(2024, 3, 15));
	assert_non_null(rule_at(&rb, "retention.identity_months", date_from_ymd(2025, 6, 15)));
	/* never touched: the edit, the administrator's row, the removed version */
	r = rule_at(&rb, "ost.take_home.max_days", date_from_ymd(2025, 6, 15));
	assert_non_null(r);
	assert_true(r->value == 14);
	r = rule_at(&rb, "test.periodic_interval_days", date_from_ymd(2026, 6, 1));
	assert_non_null(r);
	assert_true(r->value == 60);
	assert_int_equal(versions_of(&rb, "treatment.compulsory_adult_months.max"), 1);
	/* idempotent */
	assert_int_equal(rulebook_upgrade(f->s, &added, &codes, &err), 0);
	assert_int_equal(added, 0);
	json_decref(codes);
	loaded(f->s, &rb);
	assert_int_equal(rb.n, n);
	rulebook_free(&rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seed_then_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_codes_come_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
