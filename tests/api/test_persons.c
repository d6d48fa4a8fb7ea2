/* test_persons.c: what is particular to persons over real HTTP: a duplicate national ID refused with
 * the existing id, possible duplicates (same folded name and date of birth) listed but saved,
 * accent-insensitive search, Vietnamese dates stored as ISO, the timeline, and deletion refused
 * while other records refer to the person. */
#include "apitest.h"

/* The ids of a list answer's items. */
static int has_id(const struct tl_resp *r, int64_t id)
{
	size_t i;
	json_t *it;

	json_array_foreach(json_object_get(r->json, "items"), i, it)
		if (json_integer_value(json_object_get(it, "id")) == id)
			return 1;
	return 0;
}

static void test_duplicate_national_id(void **state)
{
	struct api_fx *f = *state;
	int64_t first = api_create(f, "persons", "{\"full_name\": \"Lô Văn Bình\", \"sex\": \"male\", \"dob\": \"1990-04-05\","
					       " \"residence_ou\": \"16837\", \"national_id\": \"040090004321\"}");
	struct tl_resp r = api_refused_ex(f, "POST", "/api/v1/persons", NULL,
					  "{\"full_name\": \"Lò Văn Bình\", \"sex\": \"male\", \"dob\": \"1990-07-07\","
					  " \"residence_ou\": \"16822\", \"national_id\": \"040090004321\"}",
					  strlen("{\"full_name\": \"Lò Văn Bình\", \"sex\": \"male\", \"dob\": \"1990-07-07\","
						 " \"residence_ou\": \"16822\", \"national_id\": \"040090004321\"}"),
					  409, "conflict", "national_id");
	json_t *e = json_object_get(r.json, "error");
	int64_t other;
	char path[64], body[256];

	assert_int_equal(json_integer_value(json_object_get(e, "existing_id")), first);
	tl_resp_free(&r);
	/* changing another person's ID to the taken one is refused the same way */
	other = api_person(f, "Lô Thị Xuân", "female", "1992-01-01", "16837");
	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)other);
	snprintf(body, sizeof(body), "{\"national_id\": \"040090004321\", \"dob\": \"1990-01-01\", \"sex\": \"male\"}");
	r = api_refused_ex(f, "PATCH", path, NULL, body, strlen(body), 409, "conflict", "national_id");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "error"), "existing_id")), first);
	tl_resp_free(&r);
}

static void test_possible_duplicates(void **state)
{
	struct api_fx *f = *state;
	int64_t first = api_person(f, "Nguyễn Văn A", "male", "1990-02-01", "16837"), n0, second;
	struct tl_resp r;
	json_t *dups;

	n0 = api_count(f, "persons");
	/* no papers, same name but written without accents and in capitals, same birthday: saved, flagged */
	assert_int_equal(tl_http(&f->srv, "POST", "/api/v1/persons",
				 "{\"full_name\": \"NGUYEN VAN A\", \"sex\": \"male\", \"dob\": \"01/02/1990\","
				 " \"residence_ou\": \"16756\"}", &r), 0);
	assert_int_equal(r.status, 201);
	second = json_integer_value(json_object_get(r.json, "id"));
	dups = json_object_get(r.json, "possible_duplicates");
	assert_true(json_is_array(dups));
	assert_int_equal(json_array_size(dups), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(dups, 0), "id")), first);
	assert_string_equal(json_string_value(json_object_get(json_array_get(dups, 0), "full_name")), "Nguyễn Văn A");
	assert_null(json_object_get(r.json, "name_fold")); /* hidden fields never leave the server */
	tl_resp_free(&r);
	assert_int_equal(api_count(f, "persons"), n0 + 1);
	/* a third lists both */
	assert_int_equal(tl_http(&f->srv, "POST", "/api/v1/persons",
				 "{\"full_name\": \"Nguyễn  văn a\", \"sex\": \"male\", \"dob\": \"1990-02-01\","
				 " \"residence_ou\": \"16822\"}", &r), 0);
	assert_int_equal(r.status, 201);
	dups = json_object_get(r.json, "possible_duplicates");
	assert_int_equal(json_array_size(dups), 2);
	for (size_t i = 0; i < 2; i++) {
		int64_t id = json_integer_value(json_object_get(json_array_get(dups, i), "id"));

		assert_true(id == first || id == second);
	}
	tl_resp_free(&r);
	/* another birthday: not a possible duplicate */
	assert_int_equal(tl_http(&f->srv, "POST", "/api/v1/persons",
				 "{\"full_name\": \"Nguyễn Văn A\", \"sex\": \"male\", \"dob\": \"1991-02-01\", \"residence_ou\": \"16837\"}",
				 &r), 0);
	assert_int_equal(r.status, 201);
	assert_null(json_object_get(r.json, "possible_duplicates"));
	tl_resp_free(&r);
}

static void test_accent_insensitive_search(void **state)
{
	struct api_fx *f = *state;
	int64_t a = api_person(f, "Nguyễn Văn Ánh", "male", "1988-08-08", "16837");
	int64_t dao = api_person(f, "Đặng Thị Đào", "female", "1995-05-05", "16822");
	int64_t other = api_person(f, "Hồ Văn Lâm", "male", "1980-01-01", "16756");
	struct tl_resp r;
	static const char *const finds_a[] = {"nguyen%20van%20anh", "nguyen+van+anh", "NGUY%E1%BB%84N%20V%C4%82N%20%C3%81NH",
					      "van%20anh", "anh%20nguyen"};
	static const char *const finds_dao[] = {"dang", "%C4%91%E1%BA%B7ng", "%C4%90%E1%BA%B7", "dao%20dang", "th%E1%BB%8B%20dao"};
	char path[160];

	for (size_t i = 0; i < sizeof(finds_a) / sizeof(finds_a[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/persons?q=%s", finds_a[i]);
		r = api_get(f, path, 200);
		if (!has_id(&r, a) || has_id(&r, dao) || has_id(&r, other))
			fail_msg("%s: %s", path, r.body);
		tl_resp_free(&r);
	}
	for (size_t i = 0; i < sizeof(finds_dao) / sizeof(finds_dao[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/persons?q=%s", finds_dao[i]);
		r = api_get(f, path, 200);
		if (!has_id(&r, dao) || has_id(&r, other))
			fail_msg("%s: %s", path, r.body);
		tl_resp_free(&r);
	}
	r = api_get(f, "/api/v1/persons?q=tr%E1%BA%A7n", 200); /* "trần": nobody */
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
	tl_resp_free(&r);
}

/* Every word of a search must match, whichever word is the rarest (the store drives the search
 * from the word with the fewest persons and probes the others): the totals are the
 * intersections, in any order of the words, with prefixes; more than eight words is a 400. */
static void test_search_words_intersect(void **state)
{
	struct api_fx *f = *state;
	static const struct {
		const char *name;
		int n;
	} people[] = {{"Khổng Thị Hoa", 3}, {"Khổng Văn Hoa", 2}, {"Khổng Thị Mai", 4}, {"Ông Thị Hoa", 1}};
	static const struct {
		const char *q;
		long total;
	} want[] = {{"khong%20thi%20hoa", 3}, {"hoa%20khong%20thi", 3}, {"khong%20hoa", 5}, {"ong%20thi%20hoa", 1},
		    {"khong%20thi", 7}, {"kh%20th%20ho", 3}, {"khong%20mai%20hoa", 0}, {"thi%20hoa%20ong%20khong", 0}};
	struct tl_resp r;
	char path[160];

	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++)
		for (int k = 0; k < people[i].n; k++)
			api_person(f, people[i].name, "female", "1990-03-03", "16837");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/persons?q=%s", want[i].q);
		r = api_get(f, path, 200);
		if (json_integer_value(json_object_get(r.json, "total")) != want[i].total ||
		    !json_is_false(json_object_get(r.json, "total_capped")))
			fail_msg("%s: want total %ld, not capped, got %s", path, want[i].total, r.body);
		tl_resp_free(&r);
	}
	r = api_get(f, "/api/v1/persons?q=a+b+c+d+e+f+g+h+i", 400);
	assert_string_equal(tl_err_field(&r), "q");
	tl_resp_free(&r);
}

/* A person's residence must be in force today when it is set or changed: a commune the reform
 * closed, or one not yet in force, is a 422 naming residence_ou (by id or by code), and nothing is
 * written; a person already living in a unit closed later can still be edited. */
static void test_residence_in_force(void **state)
{
	struct api_fx *f = *state;
	int64_t closed, future, id, n0 = api_count(f, "persons");
	struct tl_resp r;
	char body[256], path[64];

	closed = api_create(f, "orgunits", "{\"code\": \"99001\", \"name\": \"Xã Cũ\", \"kind\": \"commune\","
			    " \"parent_id\": \"417\", \"valid_from\": \"2000-01-01\", \"valid_to\": \"2001-06-30\"}");
	future = api_create(f, "orgunits", "{\"code\": \"99002\", \"name\": \"Xã Mới\", \"kind\": \"commune\","
			    " \"parent_id\": \"417\", \"valid_from\": \"2099-01-01\"}");
	snprintf(body, sizeof(body), "{\"full_name\": \"Lò Văn Cũ\", \"sex\": \"male\", \"dob\": \"1990-01-01\","
		 " \"residence_ou\": %lld}", (long long)closed);
	r = api_refused_ex(f, "POST", "/api/v1/persons", NULL, body, strlen(body), 422, "invalid", "residence_ou");
	if (!strstr(r.body, "closed on 2001-06-30"))
		fail_msg("want the closing date: %s", r.body);
	tl_resp_free(&r);
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"Lò Văn Cũ\", \"sex\": \"male\", \"dob\": \"1990-01-01\","
		    " \"residence_ou\": \"99001\"}", 422, "invalid", "residence_ou");
	snprintf(body, sizeof(body), "{\"full_name\": \"Lò Văn Mới\", \"sex\": \"male\", \"dob\": \"1990-01-01\","
		 " \"residence_ou\": %lld}", (long long)future);
	api_refused(f, "POST", "/api/v1/persons", body, 422, "invalid", "residence_ou");
	assert_int_equal(api_count(f, "persons"), n0);

	/* living in Keng Du: moving to the closed commune is refused by PATCH and by PUT */
	id = api_person(f, "Lò Văn Ở", "male", "1990-01-01", "16822");
	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)id);
	snprintf(body, sizeof(body), "{\"residence_ou\": %lld}", (long long)closed);
	api_refused(f, "PATCH", path, body, 422, "invalid", "residence_ou");
	snprintf(body, sizeof(body), "{\"full_name\": \"Lò Văn Ở\", \"sex\": \"male\", \"dob\": \"1990-01-01\","
		 " \"residence_ou\": %lld, \"version\": 1}", (long long)closed);
	api_refused(f, "PUT", path, body, 422, "invalid", "residence_ou");
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "residence_ou")), f->keng_du);
	tl_resp_free(&r);

	/* Keng Du closes after the fact: the person there can still be edited, but not moved back */
	snprintf(path, sizeof(path), "/api/v1/orgunits/%lld", (long long)f->keng_du);
	assert_int_equal(tl_http(&f->srv, "PATCH", path, "{\"valid_to\": \"2001-06-30\"}", &r), 0);
	if (r.status != 200)
		fail_msg("closing Keng Du: %ld %s", r.status, r.body);
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)id);
	assert_int_equal(tl_http(&f->srv, "PATCH", path, "{\"aliases\": \"Ở Lò\"}", &r), 0);
	if (r.status != 200)
		fail_msg("editing a person of a unit closed since: %ld %s", r.status, r.body);
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/orgunits/%lld", (long long)f->keng_du);
	assert_int_equal(tl_http(&f->srv, "PATCH", path, "{\"valid_to\": null}", &r), 0);
	assert_int_equal(r.status, 200);
	tl_resp_free(&r);
}

static void test_vietnamese_dates_stored_as_iso(void **state)
{
	struct api_fx *f = *state;
	int64_t id = api_person(f, "Vi Thị Mai", "female", "05/09/1988", "16822");
	struct tl_resp r;
	char path[64];

	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)id);
	r = api_get(f, path, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "dob")), "1988-09-05");
	assert_string_equal(json_string_value(json_object_get(r.json, "full_name")), "Vi Thị Mai");
	assert_int_equal(json_integer_value(json_object_get(r.json, "residence_ou")), f->keng_du);
	assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
	tl_resp_free(&r);
}

static void test_timeline(void **state)
{
	struct api_fx *f = *state;
	int64_t p = api_person(f, "Lữ Văn Thời", "male", "1984-04-04", "16837"), fac;
	static const char *const order[] = {"determinations", "classifications", "records", "treatments", "tests", "tests", "support"};
	static const char *const dates[] = {"2022-12-15", "2023-01-01", "2023-02-01", "2023-06-01", "2024-01-05", "2024-01-05", "2024-03-01"};
	char body[512], path[96];
	struct tl_resp r;
	json_t *items;

	fac = api_create(f, "facilities", "{\"name\": \"Trạm Y tế xã Nậm Cắn\", \"kind\": \"health_station\", \"ou_id\": \"16837\","
					  " \"qualified\": true, \"qualified_since\": \"2022-01-01\"}");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"support_date\": \"01/03/2024\", \"kind\": \"vocational_training\","
		 " \"provider\": \"Trung tâm GDNN huyện\"}", (long long)p);
	api_create(f, "support", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"test_date\": \"2024-01-05\", \"kind\": \"periodic\", \"result\": \"positive\","
		 " \"substances\": [{\"substance\": \"opioids\", \"result\": \"positive\"}]}", (long long)p);
	api_create(f, "tests", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"test_date\": \"2024-01-05\", \"kind\": \"sudden\", \"result\": \"negative\"}",
		 (long long)p);
	api_create(f, "tests", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"methadone\", \"facility_id\": %lld, \"start_date\": \"2023-06-01\","
		 " \"outcome\": \"ongoing\"}", (long long)p, (long long)fac);
	api_create(f, "treatments", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"opened\": \"2023-02-01\", \"managing_ou\": \"16837\","
		 " \"officer\": \"Lương Văn Tâm\"}", (long long)p);
	api_create(f, "records", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2023-01-01\", \"basis\": \"Kết luận xác định\"}",
		 (long long)p);
	api_create(f, "classifications", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"det_date\": \"15/12/2022\", \"facility_id\": %lld, \"result\": \"addicted\","
		 " \"substance_group\": \"opioids\"}", (long long)p, (long long)fac);
	api_create(f, "determinations", body);

	snprintf(path, sizeof(path), "/api/v1/persons/%lld/timeline", (long long)p);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "person"), "id")), p);
	items = json_object_get(r.json, "items");
	assert_int_equal(json_array_size(items), 7);
	for (size_t i = 0; i < 7; i++) {
		json_t *it = json_array_get(items, i);

		assert_string_equal(json_string_value(json_object_get(it, "type")), order[i]);
		assert_string_equal(json_string_value(json_object_get(it, "date")), dates[i]);
		assert_int_equal(json_integer_value(json_object_get(it, "person_id")), p);
	}
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/persons/999999/timeline", 404);
	assert_string_equal(tl_err_code(&r), "not_found");
	tl_resp_free(&r);
}

static void test_delete_refused_while_referenced(void **state)
{
	struct api_fx *f = *state;
	int64_t p = api_person(f, "Cụt Văn Sơn", "male", "1993-03-03", "16756"), t;
	char body[256], path[64], tpath[64];
	struct tl_resp r;

	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"test_date\": \"2025-03-03\", \"kind\": \"sudden\", \"result\": \"negative\"}",
		 (long long)p);
	t = api_create(f, "tests", body);
	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)p);
	snprintf(tpath, sizeof(tpath), "/api/v1/tests/%lld", (long long)t);
	api_refused(f, "DELETE", path, NULL, 409, "conflict", NULL);
	r = api_get(f, path, 200);
	tl_resp_free(&r);
	/* once the test is gone, so can the person be */
	assert_int_equal(tl_http(&f->srv, "DELETE", tpath, NULL, &r), 0);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.len, 0);
	tl_resp_free(&r);
	assert_int_equal(tl_http(&f->srv, "DELETE", path, NULL, &r), 0);
	assert_int_equal(r.status, 204);
	tl_resp_free(&r);
	r = api_get(f, path, 404);
	assert_string_equal(tl_err_code(&r), "not_found");
	tl_resp_free(&r);
	api_refused(f, "DELETE", path, NULL, 404, "not_found", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_national_id),
		cmocka_unit_test(test_possible_duplicates),
		cmocka_unit_test(test_accent_insensitive_search),
		cmocka_unit_test(test_search_words_intersect),
		cmocka_unit_test(test_residence_in_force),
		cmocka_unit_test(test_vietnamese_dates_stored_as_iso),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_delete_refused_while_referenced),
	};

	return cmocka_run_group_tests(tests, api_setup, api_teardown);
}
