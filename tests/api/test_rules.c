/* test_rules.c: GET /api/v1/rules over real HTTP: the rules in force on a date (today by default),
 * the change of the treatment-duration rows between 2026-06-30 and 2026-07-01 (Law 120/2025/QH15),
 * every version with all=1, and bad parameters refused (422 naming "date" or "all", 400 for an
 * unknown one, 405 for a write) without writing anything. */
#include <math.h>

#include "apitest.h"

/* GET /api/v1/rules with the given query ("" for none); returns the "rules" array's owner. */
static struct tl_resp rules(struct api_fx *f, const char *query)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/rules%s", query);
	return api_get(f, path, 200);
}

/* The row of code in the response, or NULL. */
static json_t *row(const struct tl_resp *r, const char *code)
{
	json_t *a = json_object_get(r->json, "rules"), *it;
	size_t i;

	json_array_foreach(a, i, it)
		if (!strcmp(json_string_value(json_object_get(it, "code")), code))
			return it;
	return NULL;
}

static double value(const struct tl_resp *r, const char *code)
{
	json_t *o = row(r, code);

	if (!o)
		fail_msg("no rule %s in %s", code, r->body);
	return json_number_value(json_object_get(o, "value"));
}

static void test_today_by_default(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r = rules(f, "");
	json_t *o;

	assert_string_equal(json_string_value(json_object_get(r.json, "date")), API_TODAY);
	assert_true(json_is_false(json_object_get(r.json, "all")));
	/* the seed criteria, with every field */
	o = row(&r, "drugfree.test_window_days");
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "value")), 30); /* whole values are integers */
	assert_string_equal(json_string_value(json_object_get(o, "unit")), "days");
	assert_string_equal(json_string_value(json_object_get(o, "effective_from")), "2024-01-01");
	assert_true(json_is_true(json_object_get(o, "confirmed")));
	assert_non_null(strstr(json_string_value(json_object_get(o, "source")), "Thanh Hoa"));
	assert_true(json_is_string(json_object_get(o, "note")));
	assert_string_equal(json_string_value(json_object_get(o, "status")), "in_force");
	/* unconfirmed rows say so */
	assert_true(json_is_false(json_object_get(row(&r, "test.periodic_interval_days"), "confirmed")));
	/* not yet in force on 2025-06-15: Decision 28/2025 (2025-08-24), Law 120/2025 (2026-07-01) */
	assert_null(row(&r, "complex.commune.type1.places"));
	assert_null(row(&r, "user.move_report_hours"));
	assert_true(value(&r, "treatment.compulsory_adult_months.min") == 12);
	tl_resp_free(&r);
	/* Decision 28/2025 from its first day; fractions stay fractions */
	r = rules(f, "?date=2025-08-23");
	assert_null(row(&r, "complex.commune.type1.users_addicts_pct"));
	tl_resp_free(&r);
	r = rules(f, "?date=2025-08-24");
	assert_true(fabs(value(&r, "complex.commune.type1.users_addicts_pct") - 0.5) < 1e-12);
	assert_true(value(&r, "complex.commune.type1.plants") == 3000);
	tl_resp_free(&r);
}

/* The treatment-duration rows differ between the day before Law 120/2025 and its first day;
 * nothing else does. */
static void test_change_on_2026_07_01(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp before = rules(f, "?date=2026-06-30"), after = rules(f, "?date=2026-07-01");
	json_t *a = json_object_get(after.json, "rules"), *it;
	size_t i;

	assert_string_equal(json_string_value(json_object_get(before.json, "date")), "2026-06-30");
	assert_string_equal(json_string_value(json_object_get(after.json, "date")), "2026-07-01");
	assert_true(value(&before, "treatment.compulsory_adult_months.min") == 12);
	assert_true(value(&before, "treatment.compulsory_adult_months.max") == 24);
	assert_null(row(&before, "treatment.compulsory_adult_months.repeat"));
	assert_null(row(&before, "user.move_report_hours"));
	assert_true(value(&after, "treatment.compulsory_adult_months.min") == 24);
	assert_true(value(&after, "treatment.compulsory_adult_months.max") == 24);
	assert_true(value(&after, "treatment.compulsory_adult_months.repeat") == 36);
	assert_true(value(&after, "user.move_report_hours") == 24);
	assert_string_equal(json_string_value(json_object_get(row(&after, "treatment.compulsory_adult_months.min"),
							      "effective_from")),
			    "2026-07-01");
	assert_true(json_is_false(json_object_get(row(&after, "treatment.compulsory_adult_months.min"), "confirmed")));
	/* every other rule is the same row on both days */
	json_array_foreach(a, i, it) {
		const char *code = json_string_value(json_object_get(it, "code"));

		if (!strncmp(code, "treatment.compulsory_adult_months.", 34) || !strcmp(code, "user.move_report_hours"))
			continue;
		if (!row(&before, code) || !json_equal(row(&before, code), it))
			fail_msg("%s differs between 2026-06-30 and 2026-07-01", code);
	}
	assert_int_equal(json_array_size(a), json_array_size(json_object_get(before.json, "rules")) + 2);
	/* the Vietnamese date form names the same day */
	{
		struct tl_resp vn = rules(f, "?date=01/07/2026");

		assert_true(json_equal(vn.json, after.json));
		tl_resp_free(&vn);
	}
	tl_resp_free(&before);
	tl_resp_free(&after);
}

static void test_all_versions(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r = rules(f, "?date=2026-07-01&all=1");
	json_t *a = json_object_get(r.json, "rules"), *it;
	int old = 0, cur = 0;
	size_t i;

	assert_true(json_is_true(json_object_get(r.json, "all")));
	json_array_foreach(a, i, it) {
		if (strcmp(json_string_value(json_object_get(it, "code")), "treatment.compulsory_adult_months.min"))
			continue;
		if (!strcmp(json_string_value(json_object_get(it, "effective_from")), "2022-01-01")) {
			assert_string_equal(json_string_value(json_object_get(it, "status")), "superseded");
			old++;
		} else {
			assert_string_equal(json_string_value(json_object_get(it, "status")), "in_force");
			cur++;
		}
	}
	assert_int_equal(old, 1);
	assert_int_equal(cur, 1);
	tl_resp_free(&r);
	/* today (2025-06-15) with all: the 2026 rows are listed as future */
	r = rules(f, "?all");
	json_array_foreach(json_object_get(r.json, "rules"), i, it)
		if (!strcmp(json_string_value(json_object_get(it, "code")), "user.move_report_hours"))
			assert_string_equal(json_string_value(json_object_get(it, "status")), "future");
	tl_resp_free(&r);
	r = rules(f, "?all=0&date=2026-07-01");
	assert_true(json_is_false(json_object_get(r.json, "all")));
	tl_resp_free(&r);
}

static void test_bad_parameters(void **state)
{
	struct api_fx *f = *state;

	api_refused(f, "GET", "/api/v1/rules?date=2026-02-30", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/rules?date=yesterday", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/rules?date=", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/rules?date", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/rules?date=2026-7-1", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/rules?all=maybe", NULL, 422, "invalid", "all");
	api_refused(f, "GET", "/api/v1/rules?code=drugfree.test_window_days", NULL, 400, "bad_request", "code");
	api_refused(f, "POST", "/api/v1/rules", "{\"code\": \"drugfree.test_window_days\", \"value\": 7}", 405,
		    "method_not_allowed", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_today_by_default),
		cmocka_unit_test(test_change_on_2026_07_01),
		cmocka_unit_test(test_all_versions),
		cmocka_unit_test(test_bad_parameters),
	};

	return cmocka_run_group_tests(tests, api_setup, api_teardown);
}
