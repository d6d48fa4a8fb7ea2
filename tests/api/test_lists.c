/* test_lists.c: list queries over real HTTP: org-unit subtrees (by code or id), classification as of
 * a date, management-record status, field filters, pagination totals, and refused parameters. The
 * fixture's persons are made once: two in Ky Son's communes, one in Que Phong's. */
#include "apitest.h"

struct lists {
	int64_t a, b, c; /* a: Nam Can (Ky Son), b: Keng Du (Ky Son), c: Tri Le (Que Phong) */
};

static struct lists L;

static int setup(void **state)
{
	struct api_fx *f;
	char body[512];

	if (api_setup(state))
		return -1;
	f = *state;
	L.a = api_person(f, "Xeo Văn Pó", "male", "1980-01-01", "16837");
	L.b = api_person(f, "Lầu Thị Dua", "female", "1985-01-01", "16822");
	L.c = api_person(f, "Lương Văn Quý", "male", "1990-01-01", "16756");
	/* a: addict 2020..2022, record open since 2024; b: addict since 2023, record closed in 2024;
	 * c: illegal user since 2019, never a record */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2020-01-01\", \"date_to\": \"2022-12-31\"}",
		 (long long)L.a);
	api_create(f, "classifications", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"post_rehab\", \"date_from\": \"2023-01-01\"}", (long long)L.a);
	api_create(f, "classifications", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2023-01-01\"}", (long long)L.b);
	api_create(f, "classifications", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"illegal_user\", \"date_from\": \"2019-01-01\"}", (long long)L.c);
	api_create(f, "classifications", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"post_rehab\", \"opened\": \"2024-01-01\", \"managing_ou\": \"16837\"}",
		 (long long)L.a);
	api_create(f, "records", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"opened\": \"2023-02-01\", \"closed\": \"2024-02-01\","
		 " \"close_reason\": \"period_ended\", \"managing_ou\": \"16822\"}", (long long)L.b);
	api_create(f, "records", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"test_date\": \"2025-01-01\", \"kind\": \"sudden\", \"result\": \"positive\"}",
		 (long long)L.b);
	api_create(f, "tests", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"test_date\": \"2025-02-01\", \"kind\": \"periodic\", \"result\": \"negative\"}",
		 (long long)L.b);
	api_create(f, "tests", body);
	return 0;
}

/* The ids a list answers, in order, terminated by 0; and its total. */
static void ids_of(struct api_fx *f, const char *path, int64_t want_total, const int64_t *want)
{
	struct tl_resp r = api_get(f, path, 200);
	json_t *items = json_object_get(r.json, "items");
	size_t n = 0;

	while (want[n])
		n++;
	if (json_integer_value(json_object_get(r.json, "total")) != want_total || json_array_size(items) != n)
		fail_msg("%s: wanted total %lld and %zu items, got %s", path, (long long)want_total, n, r.body);
	for (size_t i = 0; i < n; i++) {
		int found = 0;

		for (size_t j = 0; j < n; j++)
			found |= json_integer_value(json_object_get(json_array_get(items, j), "id")) == want[i];
		if (!found)
			fail_msg("%s: id %lld missing from %s", path, (long long)want[i], r.body);
	}
	tl_resp_free(&r);
}

#define IDS(...) ((const int64_t[]){__VA_ARGS__, 0})
#define NONE ((const int64_t[]){0})

static void test_orgunit_subtree(void **state)
{
	struct api_fx *f = *state;
	char path[96];

	ids_of(f, "/api/v1/persons?orgunit=417", 2, IDS(L.a, L.b));      /* a district: its communes */
	ids_of(f, "/api/v1/persons?orgunit=415", 1, IDS(L.c));
	ids_of(f, "/api/v1/persons?orgunit=16822", 1, IDS(L.b));         /* a commune: itself */
	ids_of(f, "/api/v1/persons?orgunit=40", 3, IDS(L.a, L.b, L.c));  /* the province */
	ids_of(f, "/api/v1/persons?orgunit=VN", 3, IDS(L.a, L.b, L.c));
	snprintf(path, sizeof(path), "/api/v1/persons?orgunit=%lld", (long long)f->ky_son); /* by id */
	ids_of(f, path, 2, IDS(L.a, L.b));
	ids_of(f, "/api/v1/tests?orgunit=417", 2, IDS(2, 1) /* test ids */);
	ids_of(f, "/api/v1/tests?orgunit=415", 0, NONE);
	ids_of(f, "/api/v1/records?orgunit=16837", 1, IDS(1));
	api_refused(f, "GET", "/api/v1/persons?orgunit=99999", NULL, 422, "invalid", "orgunit");
	api_refused(f, "GET", "/api/v1/persons?orgunit=", NULL, 422, "invalid", "orgunit");
	/* residence_ou as a field filter takes codes too, and means exactly that unit */
	ids_of(f, "/api/v1/persons?residence_ou=16837", 1, IDS(L.a));
	ids_of(f, "/api/v1/persons?residence_ou=417", 0, NONE);
	api_refused(f, "GET", "/api/v1/persons?residence_ou=nowhere", NULL, 422, "invalid", "residence_ou");
}

static void test_classification_as_of(void **state)
{
	struct api_fx *f = *state;

	ids_of(f, "/api/v1/persons?classification=addict&as_of=2021-06-01", 1, IDS(L.a));
	ids_of(f, "/api/v1/persons?classification=addict&as_of=01/06/2024", 1, IDS(L.b));
	ids_of(f, "/api/v1/persons?classification=addict&as_of=2022-12-31", 1, IDS(L.a)); /* last day counts */
	ids_of(f, "/api/v1/persons?classification=addict&as_of=2023-01-01", 1, IDS(L.b));
	ids_of(f, "/api/v1/persons?classification=addict", 1, IDS(L.b)); /* today */
	ids_of(f, "/api/v1/persons?classification=post_rehab", 1, IDS(L.a));
	ids_of(f, "/api/v1/persons?classification=illegal_user&as_of=2018-12-31", 0, NONE);
	ids_of(f, "/api/v1/persons?classification=addict&orgunit=415", 0, NONE);
	api_refused(f, "GET", "/api/v1/persons?classification=junkie", NULL, 422, "invalid", "classification");
	api_refused(f, "GET", "/api/v1/persons?classification=addict&as_of=2024-02-31", NULL, 422, "invalid", "as_of");
	api_refused(f, "GET", "/api/v1/tests?classification=addict", NULL, 400, "bad_request", "classification");
}

static void test_record_status(void **state)
{
	struct api_fx *f = *state;

	ids_of(f, "/api/v1/persons?record=open", 1, IDS(L.a));
	ids_of(f, "/api/v1/persons?record=closed", 1, IDS(L.b));
	ids_of(f, "/api/v1/persons?record=none", 1, IDS(L.c));
	ids_of(f, "/api/v1/persons?record=open&as_of=2023-06-01", 1, IDS(L.b)); /* b's was open then */
	ids_of(f, "/api/v1/persons?record=open&orgunit=16822", 0, NONE);
	api_refused(f, "GET", "/api/v1/persons?record=maybe", NULL, 422, "invalid", "record");
}

static void test_field_filters(void **state)
{
	struct api_fx *f = *state;
	char path[96];

	ids_of(f, "/api/v1/persons?sex=female", 1, IDS(L.b));
	ids_of(f, "/api/v1/persons?sex=male&orgunit=417", 1, IDS(L.a));
	ids_of(f, "/api/v1/tests?result=positive", 1, IDS(1));
	snprintf(path, sizeof(path), "/api/v1/tests?person_id=%lld&kind=periodic", (long long)L.b);
	ids_of(f, path, 1, IDS(2));
	snprintf(path, sizeof(path), "/api/v1/classifications?person_id=%lld", (long long)L.a);
	ids_of(f, path, 2, IDS(1, 2));
	api_refused(f, "GET", "/api/v1/persons?sex=x", NULL, 422, "invalid", "sex");
	api_refused(f, "GET", "/api/v1/tests?person_id=abc", NULL, 422, "invalid", "person_id");
	api_refused(f, "GET", "/api/v1/tests?person_id=-3", NULL, 422, "invalid", "person_id");
	api_refused(f, "GET", "/api/v1/persons?sex=male&sex=female", NULL, 400, "bad_request", "sex");
	api_refused(f, "GET", "/api/v1/persons?colour=red", NULL, 400, "bad_request", "colour");
	api_refused(f, "GET", "/api/v1/persons?full_name=A", NULL, 400, "bad_request", "full_name"); /* not a filter */
	api_refused(f, "GET", "/api/v1/persons?name_fold=a", NULL, 400, "bad_request", "name_fold");
	api_refused(f, "GET", "/api/v1/facilities?qualified=perhaps", NULL, 422, "invalid", "qualified");
}

static void test_pagination(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	int64_t seen[3] = {0};

	for (int off = 0; off < 3; off++) {
		char path[64];

		snprintf(path, sizeof(path), "/api/v1/persons?limit=1&offset=%d", off);
		r = api_get(f, path, 200);
		assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 3);
		assert_int_equal(json_integer_value(json_object_get(r.json, "limit")), 1);
		assert_int_equal(json_integer_value(json_object_get(r.json, "offset")), off);
		assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
		seen[off] = json_integer_value(json_object_get(json_array_get(json_object_get(r.json, "items"), 0), "id"));
		tl_resp_free(&r);
	}
	assert_true(seen[0] != seen[1] && seen[1] != seen[2] && seen[0] != seen[2]);
	r = api_get(f, "/api/v1/persons?limit=2&offset=2", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 3);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/persons?offset=10", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 3);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/persons", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "limit")), 50);
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/persons?limit=1000", 200);
	tl_resp_free(&r);
	api_refused(f, "GET", "/api/v1/persons?limit=0", NULL, 400, "bad_request", "limit");
	api_refused(f, "GET", "/api/v1/persons?limit=1001", NULL, 400, "bad_request", "limit");
	api_refused(f, "GET", "/api/v1/persons?limit=ten", NULL, 400, "bad_request", "limit");
	api_refused(f, "GET", "/api/v1/persons?offset=-1", NULL, 400, "bad_request", "offset");
	api_refused(f, "GET", "/api/v1/persons?limit", NULL, 400, "bad_request", "limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_orgunit_subtree),
		cmocka_unit_test(test_classification_as_of),
		cmocka_unit_test(test_record_status),
		cmocka_unit_test(test_field_filters),
		cmocka_unit_test(test_pagination),
	};

	return cmocka_run_group_tests(tests, setup, api_teardown);
}
