/* test_indicators.c: GET /api/v1/indicators and /api/v1/measures over real HTTP on hand-built data whose
 * values are worked out below: each target's value per unit with its status (on track, at risk,
 * not applicable, no data), a write that changes the next answer (real time), periods and drill-down,
 * the deadline passed (missed) and not started, custom indicators (a bad expression is a 422 naming
 * its position and writes nothing), and bad parameters refused with the parameter named. */
#include <math.h>

#include "apitest.h"

/* Today is 2025-06-15 (apitest.h). Three addicts:
 *   A in Nậm Cắn (16837, district 417): record, home/community rehabilitation since 2025-02-01
 *   B in Keng Đu (16822, district 417): record, nothing else (yet)
 *   C in Tri Lễ (16756, district 415): no record
 * Plan T-1/KH over 2025, scope Nghệ An (40), targets:
 *   services_reach_pct >= 76 (percent)   40: 1 of 2 managed reached = 50; 417: 50; 415: 0 of 0
 *   addicts_managed >= 5 (persons)       40: 2; below 40 not applicable (a count for the province)
 *   managed_share >= 50 (custom)         40: 2 of 3 = 66.67; 417: 100; 415: 0
 *   border_units_equipped_pct            reserved (no record in pcmt's scope): no data
 *   no_such_indicator                    unknown: no data */
struct data {
	int64_t a, b, c, plan;
};

static void addict(struct api_fx *f, int64_t p, const char *commune, int record)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2024-01-01\"}", (long long)p);
	api_create(f, "classifications", body);
	if (record) {
		snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"opened\": \"2024-01-02\","
			 " \"managing_ou\": \"%s\"}", (long long)p, commune);
		api_create(f, "records", body);
	}
}

static struct data load(struct api_fx *f)
{
	struct data d;
	char body[512];

	d.a = api_person(f, "Lô Văn A", "male", "1990-01-01", "16837");
	d.b = api_person(f, "Vi Văn B", "male", "1991-01-01", "16822");
	d.c = api_person(f, "Moong Văn C", "male", "1992-01-01", "16756");
	addict(f, d.a, "16837", 1);
	addict(f, d.b, "16822", 1);
	addict(f, d.c, "16756", 0);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"voluntary_community\", \"start_date\": \"2025-02-01\","
		 " \"outcome\": \"ongoing\"}", (long long)d.a);
	api_create(f, "treatments", body);
	api_create(f, "custom_indicators", "{\"code\": \"managed_share\", \"name_vi\": \"Tỷ lệ có hồ sơ\", \"unit\": \"percent\","
					   " \"expression\": \"pct(addicts_managed, addicts_count)\"}");
	d.plan = api_create(f, "plans", "{\"code\": \"T-1/KH\", \"title\": \"Kế hoạch thử\", \"issuing_ou\": \"40\","
				       " \"scope_ou\": \"40\", \"date_issued\": \"2025-01-10\", \"period_from\": \"2025-01-01\","
				       " \"period_to\": \"2025-12-31\"}");
	static const char *const targets[][4] = {
		{"services_reach_pct", ">=", "76", "percent"},
		{"addicts_managed", ">=", "5", "persons"},
		{"managed_share", ">=", "50", "percent"},
		{"border_units_equipped_pct", ">=", "100", "percent"},
		{"no_such_indicator", ">=", "1", "count"},
	};
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		snprintf(body, sizeof(body), "{\"plan_id\": %lld, \"indicator\": \"%s\", \"comparator\": \"%s\", \"value\": %s,"
			 " \"unit\": \"%s\", \"period_kind\": \"year\", \"deadline\": \"2025-12-31\","
			 " \"statement\": \"the plan's sentence\"}", (long long)d.plan, targets[i][0], targets[i][1],
			 targets[i][2], targets[i][3]);
		api_create(f, "targets", body);
	}
	return d;
}

static struct tl_resp ask(struct api_fx *f, const char *query)
{
	char path[256];

	snprintf(path, sizeof(path), "/api/v1/indicators?plan=T-1/KH%s", query);
	return api_get(f, path, 200);
}

static json_t *target(const struct tl_resp *r, const char *code)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(r->json, "targets"), i, t)
		if (!strcmp(json_string_value(json_object_get(json_object_get(t, "indicator"), "code")), code))
			return t;
	fail_msg("no target %s in %s", code, r->body);
	return NULL;
}

static json_t *unit(json_t *t, const char *code)
{
	json_t *u;
	size_t i;

	json_array_foreach(json_object_get(t, "units"), i, u)
		if (!strcmp(json_string_value(json_object_get(json_object_get(u, "orgunit"), "code")), code))
			return u;
	fail_msg("no unit %s", code);
	return NULL;
}

static double val(json_t *u)
{
	json_t *v = json_object_get(u, "value");

	return json_is_null(v) ? NAN : json_number_value(v);
}

static const char *status(json_t *u)
{
	return json_string_value(json_object_get(u, "status"));
}

static double measure(json_t *u, const char *name)
{
	return json_number_value(json_object_get(json_object_get(u, "measures"), name));
}

static void test_values_and_status(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *t, *u;

	load(f);
	r = ask(f, "");
	assert_string_equal(json_string_value(json_object_get(r.json, "date")), API_TODAY);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "plan"), "code")), "T-1/KH");
	assert_int_equal(json_array_size(json_object_get(r.json, "targets")), 5);

	t = target(&r, "services_reach_pct");
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "period"), "name")), "2025");
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "period"), "measured_on")), API_TODAY);
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "orgunit"), "code")), "40");
	assert_int_equal(json_array_size(json_object_get(t, "units")), 3); /* 40, then 417 and 415 */
	u = unit(t, "40");
	assert_true(val(u) == 50);
	assert_true(measure(u, "addicts_reached_services") == 1 && measure(u, "addicts_managed") == 2);
	/* 50 of 76 is 0.66 of the way; 165 of 364 days (0.45) have passed: on track */
	assert_string_equal(status(u), "on_track");
	assert_true(fabs(json_number_value(json_object_get(u, "progress")) - 50.0 / 76) < 1e-6);
	assert_true(fabs(json_number_value(json_object_get(u, "elapsed")) - 165.0 / 364) < 1e-6);
	assert_string_equal(json_string_value(json_object_get(t, "status")), "on_track");
	assert_true(val(unit(t, "417")) == 50);
	u = unit(t, "415"); /* nobody managed in Quế Phong: no value, and why */
	assert_true(isnan(val(u)));
	assert_string_equal(status(u), "no_data");
	assert_non_null(strstr(json_string_value(json_object_get(u, "reason")), "division by zero"));

	t = target(&r, "addicts_managed");
	assert_true(val(unit(t, "40")) == 2);
	assert_string_equal(status(unit(t, "40")), "at_risk"); /* 2 of 5 is 0.4 < 0.45 */
	assert_string_equal(status(unit(t, "417")), "not_applicable");
	assert_true(val(unit(t, "417")) == 2);

	t = target(&r, "managed_share");
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "indicator"), "kind")), "custom");
	assert_true(fabs(val(unit(t, "40")) - 200.0 / 3) < 1e-5);
	assert_string_equal(status(unit(t, "40")), "met");
	assert_true(val(unit(t, "417")) == 100);
	assert_true(val(unit(t, "415")) == 0);
	assert_string_equal(status(unit(t, "415")), "at_risk");

	t = target(&r, "border_units_equipped_pct");
	assert_string_equal(json_string_value(json_object_get(t, "status")), "no_data");
	assert_non_null(strstr(json_string_value(json_object_get(t, "reason")), "not computed yet"));
	/* named in both languages like a computed one (a report lists it by name, not by code) */
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "indicator"), "kind")), "pending");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(t, "indicator"), "name_vi")),
			       "biên phòng"));
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(t, "indicator"), "name_en")),
			       "Border guard"));
	t = target(&r, "no_such_indicator");
	assert_string_equal(json_string_value(json_object_get(t, "status")), "no_data");
	assert_non_null(strstr(json_string_value(json_object_get(t, "reason")), "unknown indicator"));
	tl_resp_free(&r);
}

/* suppress=1 (always for viewers): the counts behind the values are small cells, "<5"; a unit's
 * value and progress, which would give them back, null; statuses and zeros stay. */
static void test_small_cells(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *t, *u;

	load(f);
	r = ask(f, "&suppress=1");
	t = target(&r, "services_reach_pct");
	u = unit(t, "40");
	assert_string_equal(json_string_value(json_object_get(json_object_get(u, "measures"), "addicts_reached_services")), "<5");
	assert_string_equal(json_string_value(json_object_get(json_object_get(u, "measures"), "addicts_managed")), "<5");
	assert_true(json_is_null(json_object_get(u, "value")));
	assert_true(json_is_null(json_object_get(u, "progress")));
	assert_true(json_is_null(json_object_get(t, "result")));
	assert_string_equal(status(u), "on_track");
	assert_string_equal(json_string_value(json_object_get(json_object_get(unit(t, "417"), "measures"), "addicts_managed")), "<5");
	assert_true(measure(unit(t, "415"), "addicts_managed") == 0);
	assert_null(strstr(r.body, "\"addicts_managed\":2"));
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/indicators?plan=T-1/KH&suppress=2", 422);
	tl_resp_free(&r);
}

/* A write shows in the very next answer: no nightly job, no cache to expire. */
static void test_real_time(void **state)
{
	struct api_fx *f = *state;
	struct data d = load(f);
	struct tl_resp r;
	char body[256], path[64];
	int64_t sup;

	r = ask(f, "");
	assert_true(val(unit(target(&r, "services_reach_pct"), "40")) == 50);
	tl_resp_free(&r);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"counselling\", \"support_date\": \"2025-05-01\"}",
		 (long long)d.b);
	sup = api_create(f, "support", body);
	r = ask(f, "");
	assert_true(val(unit(target(&r, "services_reach_pct"), "40")) == 100);
	assert_string_equal(status(unit(target(&r, "services_reach_pct"), "40")), "met");
	tl_resp_free(&r);
	/* and back when it is deleted */
	snprintf(path, sizeof(path), "/api/v1/support/%lld", (long long)sup);
	assert_int_equal(tl_http(&f->srv, "DELETE", path, NULL, &r), 0);
	assert_int_equal(r.status, 204);
	tl_resp_free(&r);
	r = ask(f, "");
	assert_true(val(unit(target(&r, "services_reach_pct"), "40")) == 50);
	tl_resp_free(&r);
	/* a target edited through the CRUD API is answered with its new value at once */
	r = ask(f, "");
	snprintf(path, sizeof(path), "/api/v1/targets/%lld",
		 (long long)json_integer_value(json_object_get(target(&r, "addicts_managed"), "id")));
	tl_resp_free(&r);
	assert_int_equal(tl_http(&f->srv, "PATCH", path, "{\"value\": 2}", &r), 0);
	assert_int_equal(r.status, 200);
	tl_resp_free(&r);
	r = ask(f, "");
	assert_string_equal(status(unit(target(&r, "addicts_managed"), "40")), "met");
	tl_resp_free(&r);
}

static void test_periods_and_drill_down(void **state)
{
	struct api_fx *f = *state;
	struct data d = load(f);
	struct tl_resp r;
	json_t *t;
	char body[256];

	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"counselling\", \"support_date\": \"2025-05-01\"}",
		 (long long)d.b);
	api_create(f, "support", body);
	/* Q1 2025 is over: A was in treatment (from 1 February), B's counselling came in May: 50%, missed */
	r = ask(f, "&period=2025-Q1");
	t = target(&r, "services_reach_pct");
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "period"), "measured_on")), "2025-03-31");
	assert_true(val(unit(t, "40")) == 50);
	assert_string_equal(status(unit(t, "40")), "missed");
	tl_resp_free(&r);
	/* January: A's treatment had not started */
	r = ask(f, "&period=2025-01");
	assert_true(val(unit(target(&r, "services_reach_pct"), "40")) == 0);
	tl_resp_free(&r);
	/* the whole plan period, measured today */
	r = ask(f, "&period=plan");
	t = target(&r, "services_reach_pct");
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "period"), "name")), "plan");
	assert_true(val(unit(t, "40")) == 100);
	tl_resp_free(&r);
	/* drill into district 417: itself and its communes */
	r = ask(f, "&orgunit=417");
	t = target(&r, "services_reach_pct");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "orgunit"), "code")), "417");
	assert_int_equal(json_array_size(json_object_get(t, "units")), 3);
	assert_true(val(unit(t, "16837")) == 100);
	assert_true(val(unit(t, "16822")) == 100);
	assert_string_equal(status(unit(t, "417")), "met");
	/* a count target is the province's: not applicable to the district */
	assert_string_equal(status(unit(target(&r, "addicts_managed"), "417")), "not_applicable");
	tl_resp_free(&r);
	/* after the deadline: measured at the deadline, 2 of 5 managed is missed */
	r = ask(f, "&date=2026-01-15");
	t = target(&r, "addicts_managed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "period"), "measured_on")), "2025-12-31");
	assert_string_equal(status(unit(t, "40")), "missed");
	tl_resp_free(&r);
	/* before the plan's period: not started */
	r = ask(f, "&date=2024-12-01");
	t = target(&r, "services_reach_pct");
	assert_string_equal(json_string_value(json_object_get(t, "status")), "not_started");
	assert_int_equal(json_array_size(json_object_get(t, "units")), 0);
	tl_resp_free(&r);
	/* by id as well as by code */
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/v1/indicators?plan=%lld", (long long)d.plan);
		r = api_get(f, path, 200);
		assert_int_equal(json_array_size(json_object_get(r.json, "targets")), 5);
		tl_resp_free(&r);
	}
}

static void test_measures(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r = api_get(f, "/api/v1/measures", 200);
	json_t *m;
	size_t i;
	int found = 0;

	json_array_foreach(json_object_get(r.json, "measures"), i, m) {
		if (!strcmp(json_string_value(json_object_get(m, "name")), "addicts_managed")) {
			found = 1;
			assert_string_equal(json_string_value(json_object_get(m, "time")), "stock");
			assert_non_null(strstr(json_string_value(json_object_get(m, "counts")), "management record"));
		}
	}
	assert_true(found);
	found = 0;
	json_array_foreach(json_object_get(r.json, "indicators"), i, m)
		found |= !strcmp(json_string_value(json_object_get(m, "code")), "services_reach_pct") &&
			 strstr(json_string_value(json_object_get(m, "seed")), "76%") != NULL;
	assert_true(found);
	tl_resp_free(&r);
	api_refused(f, "GET", "/api/v1/measures?x=1", NULL, 400, "bad_request", "x");
}

static void test_custom_indicator_errors(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	const char *bad = "{\"code\": \"broken\", \"name_vi\": \"Hỏng\", \"unit\": \"percent\","
			  " \"expression\": \"pct(treated_voluntary, treated_totl)\"}";

	r = api_refused_ex(f, "POST", "/api/v1/custom_indicators", NULL, bad, strlen(bad), 422, "invalid", "expression");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")),
				"at position 24"));
	tl_resp_free(&r);
	api_refused(f, "POST", "/api/v1/custom_indicators",
		    "{\"code\": \"ost_patients\", \"name_vi\": \"x\", \"unit\": \"persons\", \"expression\": \"1\"}", 422,
		    "invalid", "code");
	api_refused(f, "POST", "/api/v1/targets",
		    "{\"plan_id\": 999, \"indicator\": \"ost_patients\", \"comparator\": \">=\", \"value\": 1, \"unit\": \"persons\","
		    " \"period_kind\": \"year\", \"deadline\": \"2025-12-31\"}", 422, "invalid", "plan_id");
	api_refused(f, "POST", "/api/v1/targets",
		    "{\"plan_id\": 1, \"indicator\": \"ost_patients\", \"comparator\": \"=\", \"value\": 1, \"unit\": \"persons\","
		    " \"period_kind\": \"year\", \"deadline\": \"2025-12-31\"}", 422, "invalid", "comparator");
}

static void test_bad_parameters(void **state)
{
	struct api_fx *f = *state;
	struct data d = load(f);
	char path[64];
	struct tl_resp r;

	api_refused(f, "GET", "/api/v1/indicators", NULL, 422, "invalid", "plan");
	api_refused(f, "GET", "/api/v1/indicators?plan=NOPE/KH", NULL, 422, "invalid", "plan");
	api_refused(f, "GET", "/api/v1/indicators?plan=T-1/KH&orgunit=99999", NULL, 422, "invalid", "orgunit");
	api_refused(f, "GET", "/api/v1/indicators?plan=T-1/KH&period=2025-Q5", NULL, 422, "invalid", "period");
	api_refused(f, "GET", "/api/v1/indicators?plan=T-1/KH&period=25", NULL, 422, "invalid", "period");
	api_refused(f, "GET", "/api/v1/indicators?plan=T-1/KH&period=", NULL, 422, "invalid", "period");
	api_refused(f, "GET", "/api/v1/indicators?plan=T-1/KH&date=2025-02-30", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/indicators?plan=T-1/KH&colour=red", NULL, 400, "bad_request", "colour");
	api_refused(f, "GET", "/api/v1/indicators?plan=T-1/KH&plan=T-1/KH", NULL, 400, "bad_request", "plan");
	api_refused(f, "POST", "/api/v1/indicators?plan=T-1/KH", "{}", 405, "method_not_allowed", NULL);
	/* a plan with targets cannot be deleted from under them */
	snprintf(path, sizeof(path), "/api/v1/plans/%lld", (long long)d.plan);
	api_refused(f, "DELETE", path, NULL, 409, "conflict", NULL);
	/* the plan's list and a filter come from the descriptors */
	r = api_get(f, "/api/v1/targets?indicator=ost_patients", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/plans?orgunit=40", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/plans?orgunit=415", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values_and_status, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_small_cells, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_real_time, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_periods_and_drill_down, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_measures, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_custom_indicator_errors, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_bad_parameters, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
