/* test_crud.c: the generic record routes over real HTTP: create/read/replace/patch/delete on several
 * entities, optimistic versions (body "version" and If-Match), 404/405/400 answers as JSON, the
 * health, enums and schema documents, and the static web files. */
#include "apitest.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "(null)";
}

static void test_put_versions(void **state)
{
	struct api_fx *f = *state;
	int64_t id = api_person(f, "Hà Văn Tuấn", "male", "1987-07-07", "16837");
	char path[64];
	struct tl_resp r;
	static const char *const stale_if_match[] = {"If-Match: \"1\"", NULL};
	static const char *const good_if_match[] = {"If-Match: W/\"2\"", NULL};
	static const char *const bad_if_match[] = {"If-Match: yesterday", NULL};
	static const char body_v1[] = "{\"full_name\": \"Hà Văn Tuấn\", \"sex\": \"male\", \"dob\": \"1987-07-07\","
				      " \"residence_ou\": \"16822\", \"phone\": \"0912 345 678\", \"version\": 1}";
	static const char body_nov[] = "{\"full_name\": \"Hà Văn Tuấn\", \"sex\": \"male\", \"residence_ou\": \"16822\"}";

	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)id);
	/* PUT with the current version: replaced, version 2, fields not sent become null */
	assert_int_equal(tl_http(&f->srv, "PUT", path, body_v1, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
	assert_int_equal(json_integer_value(json_object_get(r.json, "residence_ou")), f->keng_du);
	assert_string_equal(jstr(r.json, "phone"), "0912 345 678");
	tl_resp_free(&r);
	/* the same body again is stale now */
	r = api_refused_ex(f, "PUT", path, NULL, body_v1, strlen(body_v1), 409, "conflict", NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "error"), "current_version")), 2);
	tl_resp_free(&r);
	r = api_refused_ex(f, "PUT", path, stale_if_match, body_nov, strlen(body_nov), 409, "conflict", NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "error"), "current_version")), 2);
	tl_resp_free(&r);
	r = api_refused_ex(f, "PUT", path, bad_if_match, body_nov, strlen(body_nov), 400, "bad_request", "If-Match");
	tl_resp_free(&r);
	/* a stale DELETE is refused too */
	r = api_refused_ex(f, "DELETE", path, stale_if_match, NULL, 0, 409, "conflict", NULL);
	tl_resp_free(&r);
	/* If-Match with the current version works and the ETag follows */
	assert_int_equal(tl_http_ex(&f->srv, "PUT", path, good_if_match, body_nov, strlen(body_nov), &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 3);
	assert_true(json_is_null(json_object_get(r.json, "dob")));
	assert_true(json_is_null(json_object_get(r.json, "phone")));
	tl_resp_free(&r);
	/* PUT validates like POST */
	api_refused(f, "PUT", path, "{\"full_name\": \"Hà Văn Tuấn\", \"sex\": \"male\"}", 422, "invalid", "residence_ou");
	api_refused(f, "PUT", path, "{\"full_name\": \"X\", \"sex\": \"male\", \"residence_ou\": \"16822\", \"version\": \"3\"}", 400,
		    "bad_request", "version");
	api_refused(f, "PUT", "/api/v1/persons/999999", body_nov, 404, "not_found", NULL);
}

static void test_patch_keeps_other_fields(void **state)
{
	struct api_fx *f = *state;
	int64_t id = api_create(f, "persons", "{\"full_name\": \"Sầm Văn Lợi\", \"aliases\": \"Lợi Sẹo\", \"sex\": \"male\","
					      " \"dob\": \"1979-11-20\", \"residence_ou\": \"16756\", \"address\": \"Bản Piêng\","
					      " \"occupation\": \"làm nương\", \"employment\": \"employed\","
					      " \"national_id\": \"040079123456\"}");
	char path[64];
	struct tl_resp r;

	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)id);
	assert_int_equal(tl_http(&f->srv, "PATCH", path, "{\"phone\": \"0987654321\", \"employment\": \"unemployed\"}", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(r.json, "phone"), "0987654321");
	assert_string_equal(jstr(r.json, "employment"), "unemployed");
	assert_string_equal(jstr(r.json, "full_name"), "Sầm Văn Lợi");
	assert_string_equal(jstr(r.json, "aliases"), "Lợi Sẹo");
	assert_string_equal(jstr(r.json, "dob"), "1979-11-20");
	assert_string_equal(jstr(r.json, "address"), "Bản Piêng");
	assert_string_equal(jstr(r.json, "occupation"), "làm nương");
	assert_string_equal(jstr(r.json, "national_id"), "040079123456");
	assert_int_equal(json_integer_value(json_object_get(r.json, "residence_ou")), f->tri_le);
	assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
	tl_resp_free(&r);
	/* null clears one field */
	assert_int_equal(tl_http(&f->srv, "PATCH", path, "{\"aliases\": null}", &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(json_is_null(json_object_get(r.json, "aliases")));
	assert_string_equal(jstr(r.json, "full_name"), "Sầm Văn Lợi");
	tl_resp_free(&r);
	/* the merged record is checked as a whole: a dob that disagrees with the stored national ID */
	api_refused(f, "PATCH", path, "{\"dob\": \"1980-01-01\"}", 422, "invalid", "national_id");
	api_refused(f, "PATCH", path, "{\"full_name\": null}", 422, "invalid", "full_name");
	api_refused(f, "PATCH", path, "{\"sex\": \"other\"}", 422, "invalid", "sex");
	api_refused(f, "PATCH", path, "{\"residence_ou\": \"415\"}", 422, "invalid", "residence_ou");
	api_refused(f, "PATCH", path, "{\"version\": 1, \"phone\": \"0911111111\"}", 409, "conflict", NULL);
	api_refused(f, "PATCH", "/api/v1/persons/999999", "{\"phone\": \"0911111111\"}", 404, "not_found", NULL);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 3);
	tl_resp_free(&r);
}

static void test_other_entities(void **state)
{
	struct api_fx *f = *state;
	int64_t p = api_person(f, "Kha Thị Hoa", "female", "1996-06-06", "16822"), fac, sup;
	char body[512], path[64];
	struct tl_resp r;

	fac = api_create(f, "facilities", "{\"name\": \"Cơ sở cai nghiện ma túy tỉnh Nghệ An\", \"kind\": \"rehab_public\","
					  " \"ou_id\": \"40\", \"capacity\": 500}");
	snprintf(path, sizeof(path), "/api/v1/facilities/%lld", (long long)fac);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "ou_id")), f->nghe_an);
	assert_int_equal(json_integer_value(json_object_get(r.json, "capacity")), 500);
	assert_false(json_is_true(json_object_get(r.json, "qualified")));
	tl_resp_free(&r);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"loan\", \"support_date\": \"2025-03-01\","
		 " \"amount_vnd\": 20000000, \"provider\": \"Ngân hàng Chính sách xã hội\"}", (long long)p);
	sup = api_create(f, "support", body);
	snprintf(path, sizeof(path), "/api/v1/support/%lld", (long long)sup);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "amount_vnd")), 20000000);
	tl_resp_free(&r);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"loan\", \"support_date\": \"2025-03-01\"}", (long long)p);
	api_refused(f, "POST", "/api/v1/support", body, 422, "invalid", "amount_vnd");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"compulsory_facility\", \"start_date\": \"2025-01-01\","
		 " \"outcome\": \"ongoing\"}", (long long)p);
	api_refused(f, "POST", "/api/v1/treatments", body, 422, "invalid", "facility_id");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"compulsory_facility\", \"facility_id\": %lld,"
		 " \"start_date\": \"2025-01-01\", \"planned_end\": \"2026-12-31\", \"outcome\": \"ongoing\"}",
		 (long long)p, (long long)fac);
	api_create(f, "treatments", body);
	/* a facility in use cannot be deleted */
	snprintf(path, sizeof(path), "/api/v1/facilities/%lld", (long long)fac);
	api_refused(f, "DELETE", path, NULL, 409, "conflict", NULL);
	/* org units: a commune added under a district by code */
	api_create(f, "orgunits", "{\"code\": \"16999\", \"name\": \"Xã Thử\", \"kind\": \"commune\", \"parent_id\": \"417\"}");
	api_refused(f, "POST", "/api/v1/orgunits", "{\"code\": \"1 6\", \"name\": \"X\", \"kind\": \"commune\"}", 422, "invalid", "code");
	r = api_get(f, "/api/v1/orgunits?kind=district", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 2);
	tl_resp_free(&r);
}

static void test_not_found_and_bad_paths(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;

	api_refused(f, "GET", "/api/v1/persons/999999", NULL, 404, "not_found", NULL);
	api_refused(f, "GET", "/api/v1/tests/424242", NULL, 404, "not_found", NULL);
	api_refused(f, "GET", "/api/v1/persons/abc", NULL, 400, "bad_request", "id");
	api_refused(f, "GET", "/api/v1/persons/0", NULL, 400, "bad_request", "id");
	api_refused(f, "GET", "/api/v1/persons/-1", NULL, 400, "bad_request", "id");
	api_refused(f, "GET", "/api/v1/persons/99999999999999999999", NULL, 400, "bad_request", "id");
	api_refused(f, "DELETE", "/api/v1/persons/x1", NULL, 400, "bad_request", "id");
	api_refused(f, "GET", "/api/v1/people", NULL, 404, "not_found", "");
	api_refused(f, "GET", "/api/v1/persons/1/nope", NULL, 404, "not_found", "");
	api_refused(f, "GET", "/api/v1/tests/1/timeline", NULL, 404, "not_found", "");
	api_refused(f, "GET", "/api/v2/persons", NULL, 404, "not_found", "");
	api_refused(f, "GET", "/api/v1", NULL, 404, "not_found", "");
	api_refused(f, "GET", "/api", NULL, 404, "not_found", "");
	api_refused(f, "POST", "/api/v1/nothing", "{}", 404, "not_found", "");
	api_refused(f, "DELETE", "/api/v1/persons", NULL, 405, "method_not_allowed", "");
	api_refused(f, "POST", "/api/v1/persons/1", "{}", 405, "method_not_allowed", "");
	api_refused(f, "PUT", "/api/v1/health", "{}", 405, "method_not_allowed", "");
	assert_int_equal(tl_http(&f->srv, "DELETE", "/api/v1/persons", NULL, &r), 0);
	assert_non_null(r.json);
	tl_resp_free(&r);
	/* a trailing slash is the same route */
	r = api_get(f, "/api/v1/persons/", 200);
	assert_non_null(json_object_get(r.json, "items"));
	tl_resp_free(&r);
}

static void test_health_enums_schema(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r = api_get(f, "/api/v1/health?counts=1", 200);
	json_t *c, *ents, *sex;
	int found_persons = 0;
	size_t i;

	assert_string_equal(jstr(r.json, "status"), "ok");
	assert_string_equal(jstr(r.json, "version"), PCMT_VERSION);
	assert_string_equal(jstr(r.json, "backend"), tl_pg() ? "postgresql" : "sqlite");
	c = json_object_get(r.json, "counts");
	assert_int_equal(json_integer_value(json_object_get(c, "orgunits")), 7 + 1 /* one added above */);
	for (i = 0; ent_all[i]; i++)
		assert_true(json_is_integer(json_object_get(c, ent_all[i]->name)));
	tl_resp_free(&r);

	r = api_get(f, "/api/v1/enums", 200);
	sex = json_object_get(json_object_get(r.json, "enums"), "sex");
	assert_int_equal(json_array_size(sex), 2);
	assert_string_equal(jstr(json_array_get(sex, 1), "code"), "female");
	assert_string_equal(jstr(json_array_get(sex, 1), "label_vi"), "Nữ");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r.json, "enums"), "classification")), 5);
	assert_non_null(json_object_get(json_object_get(r.json, "enums"), "substance"));
	tl_resp_free(&r);

	r = api_get(f, "/api/v1/schema", 200);
	ents = json_object_get(r.json, "entities");
	for (i = 0; ent_all[i]; i++)
		assert_string_equal(jstr(json_array_get(ents, i), "name"), ent_all[i]->name);
	json_t *e;
	json_array_foreach(ents, i, e) {
		json_t *fl;
		size_t j;

		if (strcmp(jstr(e, "name"), "persons"))
			continue;
		found_persons = 1;
		json_array_foreach(json_object_get(e, "fields"), j, fl) {
			assert_string_not_equal(jstr(fl, "name"), "name_fold"); /* hidden */
			if (!strcmp(jstr(fl, "name"), "sex")) {
				assert_string_equal(jstr(fl, "type"), "enum");
				assert_string_equal(jstr(fl, "enum"), "sex");
				assert_true(json_is_true(json_object_get(fl, "required")));
				assert_string_equal(jstr(fl, "label_vi"), "Giới tính");
			}
			if (!strcmp(jstr(fl, "name"), "residence_ou"))
				assert_string_equal(jstr(fl, "orgunit_kind"), "commune");
		}
	}
	assert_true(found_persons);
	tl_resp_free(&r);
}

static void test_static_files(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;

	assert_int_equal(tl_http(&f->srv, "GET", "/", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "<title>pcmt"));
	assert_non_null(strstr(r.body, "/js/main.js")); /* the web UI's shell (web/index.html) */
	tl_resp_free(&r);
	assert_int_equal(tl_http(&f->srv, "GET", "/js/main.js", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "import"));
	tl_resp_free(&r);
	assert_int_equal(tl_http(&f->srv, "GET", "/index.html", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	tl_resp_free(&r);
	/* no way out of the web directory, no hidden files */
	static const char *const bad[] = {"/%2e%2e/CMakeLists.txt", "/..%2fCMakeLists.txt", "/.git/config",
					  "/%2E%2E/%2E%2E/etc/passwd", "/nothing-here.js", "/index.html/"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tl_http(&f->srv, "GET", bad[i], NULL, &r), 0);
		if (r.status != 404)
			fail_msg("GET %s: wanted 404, got %ld", bad[i], r.status);
		tl_resp_free(&r);
	}
	assert_int_equal(tl_http(&f->srv, "POST", "/index.html", "{}", &r), 0);
	assert_int_equal(r.status, 405);
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_versions),
		cmocka_unit_test(test_patch_keeps_other_fields),
		cmocka_unit_test(test_other_entities),
		cmocka_unit_test(test_not_found_and_bad_paths),
		cmocka_unit_test(test_health_enums_schema),
		cmocka_unit_test(test_static_files),
	};

	return cmocka_run_group_tests(tests, api_setup, api_teardown);
}
