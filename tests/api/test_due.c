/* test_due.c: GET /api/v1/due (the dashboard's "what needs doing now") on hand-built persons whose
 * due dates are worked out here, through real HTTP; a write changes the next answer; the caller's
 * scope and role decide what is listed; refusals name their parameter.
 *
 * Nam Can (16837), today 2025-06-15 (API_TODAY), window 30 days, illegal-user period 12 months.
 *   A  addict in the community, negative test 2025-05-23 -> due 2025-06-22 (= today + 7: listed)
 *   B  illegal user, record opened 2024-01-02, negative test 2025-05-24 -> test due 2025-06-23 (listed
 *      only with days=8); management period ended 2025-01-02 with the record still open (listed)
 *   K  Tri Le (16756) illegal user, never tested -> due today, only under Tri Le's units */
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

static int64_t person(struct api_fx *f, const char *name, const char *commune, const char *kind, int record)
{
	char b[300];
	int64_t p;

	snprintf(b, sizeof(b), "{\"full_name\": \"%s\", \"sex\": \"male\", \"residence_ou\": \"%s\"}", name, commune);
	p = post(f, "/api/v1/persons", b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"%s\", \"date_from\": \"2024-01-01\"}", (long long)p, kind);
	post(f, "/api/v1/classifications", b);
	if (record) {
		snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"%s\", \"opened\": \"2024-01-02\", \"managing_ou\": \"%s\"}",
			 (long long)p, kind, commune);
		post(f, "/api/v1/records", b);
	}
	return p;
}

static void test_on(struct api_fx *f, int64_t p, const char *date)
{
	char b[256];

	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"test_date\": \"%s\", \"kind\": \"periodic\", \"result\": \"negative\"}",
		 (long long)p, date);
	post(f, "/api/v1/tests", b);
}

/* The item of `list` for person p, or NULL. */
static json_t *item(json_t *ans, const char *list, int64_t p)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(ans, list), i, it)
		if (json_integer_value(json_object_get(it, "person_id")) == p)
			return it;
	return NULL;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "(null)";
}

static void test_due_lists(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *it;
	int64_t a = person(f, "Người A", "16837", "addict", 1), b = person(f, "Người B", "16837", "illegal_user", 1),
		k = person(f, "Người K", "16756", "illegal_user", 0);

	test_on(f, a, "2025-05-23");
	test_on(f, b, "2025-05-24");
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/due?orgunit=16837", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(str(r.json, "date"), API_TODAY);
	assert_string_equal(str(r.json, "until"), "2025-06-22");
	assert_non_null(it = item(r.json, "tests_due", a));
	assert_string_equal(str(it, "due"), "2025-06-22");
	assert_string_equal(str(it, "last_test"), "2025-05-23");
	assert_string_equal(str(it, "last_result"), "negative");
	assert_string_equal(str(it, "classification"), "addict");
	assert_string_equal(str(it, "kind"), "test_window");
	assert_string_equal(str(it, "full_name"), "Người A");
	assert_null(item(r.json, "tests_due", b));
	assert_null(item(r.json, "tests_due", k)); /* another commune */
	assert_non_null(it = item(r.json, "periods_ending", b));
	assert_string_equal(str(it, "record_kind"), "illegal_user");
	assert_string_equal(str(it, "opened"), "2024-01-02");
	assert_string_equal(str(it, "ends"), "2025-01-02");
	assert_null(item(r.json, "periods_ending", a)); /* addict records have no fixed period */
	assert_int_equal(json_array_size(json_object_get(r.json, "tests_due")), 1);
	tl_resp_free(&r);

	/* one more day reaches B's test; the province holds K too, due today and so listed first */
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/due?orgunit=40&days=8", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(it = item(r.json, "tests_due", b));
	assert_string_equal(str(it, "due"), "2025-06-23");
	assert_non_null(it = item(r.json, "tests_due", k));
	assert_string_equal(str(it, "due"), API_TODAY);
	assert_true(json_is_null(json_object_get(it, "last_test")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r.json, "tests_due"), 0), "person_id")), k);
	tl_resp_free(&r);

	/* limit=1 keeps the first and says the list was cut */
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/due?orgunit=40&days=8&limit=1", NULL, &r), 0);
	assert_int_equal(json_array_size(json_object_get(r.json, "tests_due")), 1);
	assert_true(json_is_true(json_object_get(r.json, "truncated")));
	tl_resp_free(&r);

	/* real time: A's test today moves A's next due date to 2025-07-15, off the list */
	test_on(f, a, API_TODAY);
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/due?orgunit=16837", NULL, &r), 0);
	assert_null(item(r.json, "tests_due", a));
	tl_resp_free(&r);
	/* an earlier date sees the state of that day (A's latest test then: 2025-05-23, due 2025-06-22) */
	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/due?orgunit=16837&date=14/06/2025&days=8", NULL, &r), 0);
	assert_non_null(item(r.json, "tests_due", a));
	tl_resp_free(&r);
}

/* Scope and roles: a commune officer of Nam Can gets Nam Can's list by default and only that; a
 * unit outside their subtree answers as one that does not exist; a viewer may not call it at all;
 * nobody without credentials. */
static void test_scope(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	char officer[64], district[64], viewer[64];
	int64_t a = person(f, "Người A", "16837", "illegal_user", 0), k = person(f, "Người K", "16756", "illegal_user", 0);

	tl_user(&f->srv, "nam-can", "commune", "16837", NULL, officer);
	tl_user(&f->srv, "ky-son", "district", "417", NULL, district);
	tl_user(&f->srv, "viewer", "viewer", "40", NULL, viewer);
	assert_int_equal(tl_http_as(&f->srv, officer, "GET", "/api/v1/due", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(item(r.json, "tests_due", a));
	assert_null(item(r.json, "tests_due", k));
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, officer, "GET", "/api/v1/due?orgunit=16756", NULL, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "orgunit");
	tl_resp_free(&r);
	/* Ky Son holds Nam Can, not Tri Le (Que Phong district) */
	assert_int_equal(tl_http_as(&f->srv, district, "GET", "/api/v1/due?orgunit=417", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(item(r.json, "tests_due", a));
	assert_null(item(r.json, "tests_due", k));
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, viewer, "GET", "/api/v1/due?orgunit=40", NULL, &r), 0);
	assert_int_equal(r.status, 403);
	assert_string_equal(tl_err_code(&r), "forbidden");
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, NULL, "GET", "/api/v1/due?orgunit=40", NULL, &r), 0);
	assert_int_equal(r.status, 401);
	tl_resp_free(&r);
}

static void test_refusals(void **state)
{
	struct api_fx *f = *state;

	api_refused(f, "GET", "/api/v1/due", NULL, 422, "invalid", "orgunit");
	api_refused(f, "GET", "/api/v1/due?orgunit=99999", NULL, 422, "invalid", "orgunit");
	api_refused(f, "GET", "/api/v1/due?orgunit=40&date=2025-02-30", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/due?orgunit=40&date=2023-06-30", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/due?orgunit=40&days=-1", NULL, 422, "invalid", "days");
	api_refused(f, "GET", "/api/v1/due?orgunit=40&days=367", NULL, 422, "invalid", "days");
	api_refused(f, "GET", "/api/v1/due?orgunit=40&limit=0", NULL, 422, "invalid", "limit");
	api_refused(f, "GET", "/api/v1/due?orgunit=40&who=me", NULL, 400, "bad_request", "who");
	api_refused(f, "POST", "/api/v1/due?orgunit=40", "{}", 405, "method_not_allowed", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_due_lists, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_scope, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
