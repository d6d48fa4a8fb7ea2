/* test_drugfree.c: GET /api/v1/drug-free on a hand-built commune whose result is worked out here,
 * through real HTTP, and real time: a write through the API changes the next answer.
 *
 * Nam Can (16837), request date 2025-06-15 (API_TODAY), rules: window 30 days, ceiling 10.
 *   A  addict, record, methadone, negative test 2025-05-16 (day 30)      -> fine
 *   B  addict, record, methadone, negative test 2025-05-15 (day 31)      -> criterion 1: no test since
 *   C  illegal user, record, positive test 2025-06-10                    -> criterion 2: positive test
 *   K  Keng Du addict without a record or treatment                       -> Keng Du fails, not Nam Can
 * Expected: Nam Can fails criteria 1 and 2 and passes 3; Keng Du fails 1; Tri Le passes. Then a
 * negative test for B and for C on 2025-06-14 makes Nam Can drug-free. */
#include "apitest.h"

static int64_t post(struct api_fx *f, const char *path, const char *body)
{
	struct tl_resp r;
	int64_t id;

	assert_int_equal(tl_http(&f->srv, "POST", path, body, &r), 0);
	if (r.status != 201)
		fail_msg("POST %s: %ld %s", path, r.status, r.body);
	id = json_integer_value(json_object_get(r.json, "id"));
	tl_resp_free(&r);
	return id;
}

static int64_t person(struct api_fx *f, const char *name, const char *commune)
{
	char b[256];

	snprintf(b, sizeof(b), "{\"full_name\": \"%s\", \"sex\": \"male\", \"residence_ou\": \"%s\"}", name, commune);
	return post(f, "/api/v1/persons", b);
}

static void classify(struct api_fx *f, int64_t p, const char *kind, const char *commune, int treat)
{
	char b[300];

	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"%s\", \"date_from\": \"2024-01-01\"}", (long long)p, kind);
	post(f, "/api/v1/classifications", b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"%s\", \"opened\": \"2024-01-02\", \"managing_ou\": \"%s\"}",
		 (long long)p, kind, commune);
	post(f, "/api/v1/records", b);
	if (treat) {
		snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"voluntary_community\", \"start_date\": \"2024-02-01\","
			 " \"outcome\": \"ongoing\"}", (long long)p);
		post(f, "/api/v1/treatments", b);
	}
}

static void test(struct api_fx *f, int64_t p, const char *date, const char *result)
{
	char b[256];

	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"test_date\": \"%s\", \"kind\": \"periodic\", \"result\": \"%s\"}",
		 (long long)p, date, result);
	post(f, "/api/v1/tests", b);
}

static json_t *commune(json_t *ans, const char *code)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(ans, "communes"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "code")), code))
			return c;
	fail_msg("commune %s missing from the answer", code);
	return NULL;
}

static int has_failure(json_t *c, int criterion, int64_t person, const char *reason_code, const char *reason)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(c, "failures"), i, f)
		if (json_integer_value(json_object_get(f, "criterion")) == criterion &&
		    json_integer_value(json_object_get(f, "person_id")) == person &&
		    !strcmp(json_string_value(json_object_get(f, "reason_code")), reason_code) &&
		    (!reason || !strcmp(json_string_value(json_object_get(f, "reason")), reason)))
			return 1;
	return 0;
}

static int pass_of(json_t *c, int criterion)
{
	return json_is_true(json_object_get(json_array_get(json_object_get(c, "criteria"), (size_t)criterion - 1), "pass"));
}

static void test_hand_built_commune(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *nc, *kd, *tl;
	int64_t a = person(f, "Người A", "16837"), b = person(f, "Người B", "16837"), c = person(f, "Người C", "16837"),
		k = person(f, "Người K", "16822");

	classify(f, a, "addict", "16837", 1);
	test(f, a, "2025-05-16", "negative");
	classify(f, b, "addict", "16837", 1);
	test(f, b, "2025-05-15", "negative");
	classify(f, c, "illegal_user", "16837", 0);
	test(f, c, "2025-06-10", "positive");
	{
		char body[128];

		snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2024-01-01\"}", (long long)k);
		post(f, "/api/v1/classifications", body);
	}

	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=40&date=2025-06-15", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "summary"), "communes")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "summary"), "drug_free")), 1);
	nc = commune(r.json, "16837");
	assert_false(json_is_true(json_object_get(nc, "drug_free")));
	assert_false(pass_of(nc, 1));
	assert_false(pass_of(nc, 2));
	assert_true(pass_of(nc, 3));
	assert_false(has_failure(nc, 1, a, "test_too_old", NULL));
	assert_true(has_failure(nc, 1, b, "test_too_old", "no test since 2025-05-15"));
	assert_true(has_failure(nc, 2, c, "test_positive", "positive test 2025-06-10"));
	assert_int_equal(json_array_size(json_object_get(nc, "failures")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(json_object_get(nc, "criteria"), 0), "counts"), "addicts")), 2);
	{
		json_t *fl = json_array_get(json_object_get(nc, "failures"), 0);

		assert_string_equal(json_string_value(json_object_get(fl, "full_name")), "Người B");
		assert_string_equal(json_string_value(json_object_get(fl, "reason_vi")), "không xét nghiệm kể từ ngày 15/05/2025");
	}
	kd = commune(r.json, "16822");
	assert_true(has_failure(kd, 1, k, "no_record", NULL));
	assert_true(has_failure(kd, 1, k, "not_in_treatment", NULL));
	tl = commune(r.json, "16756");
	assert_true(json_is_true(json_object_get(tl, "drug_free")));
	/* roll-up per district */
	{
		json_t *u;
		size_t i;
		int seen = 0;

		json_array_foreach(json_object_get(r.json, "units"), i, u) {
			if (!strcmp(json_string_value(json_object_get(u, "code")), "417")) {
				assert_int_equal(json_integer_value(json_object_get(u, "communes")), 2);
				assert_int_equal(json_integer_value(json_object_get(u, "drug_free")), 0);
				seen++;
			}
			if (!strcmp(json_string_value(json_object_get(u, "code")), "415")) {
				assert_int_equal(json_integer_value(json_object_get(u, "drug_free")), 1);
				seen++;
			}
		}
		assert_int_equal(seen, 2);
	}
	tl_resp_free(&r);

	/* an earlier date: B's test was then within the window, C's positive test not yet taken */
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=16837&date=2025-06-09", NULL, &r), 0);
	nc = commune(r.json, "16837");
	assert_true(pass_of(nc, 1));
	assert_true(has_failure(nc, 2, c, "no_test", NULL)); /* C's only test is after that date */
	tl_resp_free(&r);

	/* real time: the next answer sees the writes */
	test(f, b, "2025-06-14", "negative");
	test(f, c, "2025-06-14", "negative");
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=16837&date=2025-06-15", NULL, &r), 0);
	nc = commune(r.json, "16837");
	assert_true(json_is_true(json_object_get(nc, "drug_free")));
	tl_resp_free(&r);
}

static json_t *counts_of(json_t *c, int criterion)
{
	return json_object_get(json_array_get(json_object_get(c, "criteria"), (size_t)criterion - 1), "counts");
}

/* suppress=1 (small cells, domain/suppress.h): Nam Can has 7 addicts, 6 tested negative in the
 * window; Keng Du 2 addicts. "<5" for 1 to 4; the 6 would give away the 1 untested addict (7 - 6),
 * so it is "x"; no failures, so no names; without suppress=1 every count is a number. */
static void test_small_cells(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *nc, *kd;
	char name[32];

	for (int i = 0; i < 7; i++) {
		int64_t p;

		snprintf(name, sizeof name, "Người %c", 'A' + i);
		p = person(f, name, "16837");
		classify(f, p, "addict", "16837", 1);
		if (i < 6)
			test(f, p, "2025-06-01", "negative");
	}
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof name, "Người K%d", i);
		classify(f, person(f, name, "16822"), "addict", "16822", 1);
	}
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=40&date=2025-06-15&suppress=1", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	nc = commune(r.json, "16837");
	kd = commune(r.json, "16822");
	assert_int_equal(json_integer_value(json_object_get(counts_of(nc, 1), "addicts")), 7);
	assert_int_equal(json_integer_value(json_object_get(counts_of(nc, 1), "with_record")), 7);
	assert_string_equal(json_string_value(json_object_get(counts_of(nc, 1), "tested_negative")), "x");
	assert_string_equal(json_string_value(json_object_get(counts_of(kd, 1), "addicts")), "<5");
	assert_string_equal(json_string_value(json_object_get(counts_of(kd, 1), "with_record")), "<5");
	assert_int_equal(json_integer_value(json_object_get(counts_of(kd, 2), "persons")), 0);
	assert_null(json_object_get(nc, "failures"));
	assert_null(strstr(r.body, "Người"));
	assert_null(strstr(r.body, "person_id"));
	tl_resp_free(&r);
	/* the same answer unsuppressed */
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=40&date=2025-06-15", NULL, &r), 0);
	nc = commune(r.json, "16837");
	kd = commune(r.json, "16822");
	assert_int_equal(json_integer_value(json_object_get(counts_of(nc, 1), "tested_negative")), 6);
	assert_int_equal(json_integer_value(json_object_get(counts_of(kd, 1), "addicts")), 2);
	assert_non_null(strstr(r.body, "Người"));
	tl_resp_free(&r);
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=40&suppress=2", NULL, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "suppress");
	tl_resp_free(&r);
}

static void test_bad_input(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;

	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=99999&date=2025-06-15", NULL, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "orgunit");
	tl_resp_free(&r);
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=40&date=2025-02-30", NULL, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "date");
	tl_resp_free(&r);
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?date=2025-06-01", NULL, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "orgunit");
	tl_resp_free(&r);
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=40&colour=red", NULL, &r), 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(tl_err_field(&r), "colour");
	tl_resp_free(&r);
	/* a date before any drug-free rule was in force */
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/drug-free?orgunit=40&date=2010-01-01", NULL, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "date");
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hand_built_commune, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_small_cells, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
