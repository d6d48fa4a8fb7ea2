/* test_validation.c: bad input through real HTTP: malformed JSON, wrong types, unknown enum values
 * and fields, impossible and out-of-order dates, future test dates, invalid national IDs, a residence
 * that is not a commune, oversized bodies and wrong content types. Each case checks the status, the
 * error code and field, and that nothing was written. */
#include "apitest.h"

#define P(name, extra) "{\"full_name\": \"" name "\", \"sex\": \"male\", \"residence_ou\": \"16837\"" extra "}"

static void test_malformed_json(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r = api_refused_ex(f, "POST", "/api/v1/persons", NULL, "{\"full_name\": \"A\",", 18, 400,
					  "bad_request", "");
	const char *msg = json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));

	/* jansson's own words and the position */
	assert_non_null(msg);
	assert_non_null(strstr(msg, "malformed JSON"));
	assert_non_null(strstr(msg, "column"));
	tl_resp_free(&r);
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"full_name\": \"B\"}", 400, "bad_request", "");
	api_refused(f, "POST", "/api/v1/persons", "[1, 2]", 400, "bad_request", "");
	api_refused(f, "POST", "/api/v1/persons", "", 400, "bad_request", "");
	api_refused(f, "PUT", "/api/v1/persons/1", "nul", 400, "bad_request", "");
}

static void test_wrong_types(void **state)
{
	struct api_fx *f = *state;

	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": 5, \"sex\": \"male\", \"residence_ou\": \"16837\"}",
		    422, "invalid", "full_name");
	api_refused(f, "POST", "/api/v1/persons", P("Lò Văn Pằn", ", \"dob\": 19900101"), 422, "invalid", "dob");
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": true}", 422,
		    "invalid", "residence_ou");
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"sex\": [\"male\"], \"residence_ou\": \"16837\"}",
		    422, "invalid", "sex");
	api_refused(f, "POST", "/api/v1/tests",
		    "{\"person_id\": \"one\", \"test_date\": \"2025-01-02\", \"kind\": \"sudden\", \"result\": \"negative\"}", 422,
		    "invalid", "person_id");
	api_refused(f, "POST", "/api/v1/support",
		    "{\"person_id\": 1, \"kind\": \"loan\", \"support_date\": \"2025-01-02\", \"amount_vnd\": \"mười triệu\"}", 422,
		    "invalid", "amount_vnd");
	api_refused(f, "POST", "/api/v1/support",
		    "{\"person_id\": 1, \"kind\": \"loan\", \"support_date\": \"2025-01-02\", \"amount_vnd\": -5}", 422, "invalid",
		    "amount_vnd");
	api_refused(f, "POST", "/api/v1/facilities",
		    "{\"name\": \"Trạm y tế\", \"kind\": \"health_station\", \"ou_id\": \"16837\", \"qualified\": \"yes\"}", 422,
		    "invalid", "qualified");
}

static void test_enums_fields_required(void **state)
{
	struct api_fx *f = *state;

	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"sex\": \"x\", \"residence_ou\": \"16837\"}", 422,
		    "invalid", "sex");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"employment\": \"busy\""), 422, "invalid", "employment");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"fullname\": \"typo\""), 422, "invalid", "fullname");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"name_fold\": \"a\""), 422, "invalid", "name_fold");
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"residence_ou\": \"16837\"}", 422, "invalid", "sex");
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"   \", \"sex\": \"male\", \"residence_ou\": \"16837\"}",
		    422, "invalid", "full_name");
	api_refused(f, "POST", "/api/v1/persons", P("A\\u0007B", ""), 422, "invalid", "full_name");
}

static void test_impossible_and_unordered_dates(void **state)
{
	struct api_fx *f = *state;
	int64_t p = api_person(f, "Vi Văn Dũng", "male", "1985-03-04", "16837");
	char body[512];

	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"2024-02-31\""), 422, "invalid", "dob");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"31/02/2024\""), 422, "invalid", "dob");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"2023-13-01\""), 422, "invalid", "dob");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"1/2/2024\""), 422, "invalid", "dob");
	/* a treatment that ends before it starts */
	snprintf(body, sizeof(body),
		 "{\"person_id\": %lld, \"kind\": \"voluntary_community\", \"start_date\": \"2024-05-10\","
		 " \"end_date\": \"2024-05-01\", \"outcome\": \"completed\"}", (long long)p);
	api_refused(f, "POST", "/api/v1/treatments", body, 422, "invalid", "end_date");
	/* a management record closed before it was opened */
	snprintf(body, sizeof(body),
		 "{\"person_id\": %lld, \"kind\": \"illegal_user\", \"opened\": \"2024-05-10\", \"closed\": \"09/05/2024\","
		 " \"close_reason\": \"period_ended\", \"managing_ou\": \"16837\"}", (long long)p);
	api_refused(f, "POST", "/api/v1/records", body, 422, "invalid", "closed");
	/* a classification that ends before it starts */
	snprintf(body, sizeof(body),
		 "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2024-05-10\", \"date_to\": \"2023-01-01\"}",
		 (long long)p);
	api_refused(f, "POST", "/api/v1/classifications", body, 422, "invalid", "date_to");
}

static void test_future_test_date(void **state)
{
	struct api_fx *f = *state;
	int64_t p = api_person(f, "Moong Văn Tiến", "male", "1990-06-01", "16822");
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"person_id\": %lld, \"test_date\": \"2025-06-16\", \"kind\": \"sudden\", \"result\": \"negative\"}",
		 (long long)p); /* today is 2025-06-15 */
	api_refused(f, "POST", "/api/v1/tests", body, 422, "invalid", "test_date");
	snprintf(body, sizeof(body),
		 "{\"person_id\": %lld, \"test_date\": \"2025-06-15\", \"kind\": \"sudden\", \"result\": \"negative\"}",
		 (long long)p);
	api_create(f, "tests", body); /* today itself is fine */
	/* a planned end may lie in the future, an actual end may not */
	snprintf(body, sizeof(body),
		 "{\"person_id\": %lld, \"kind\": \"voluntary_community\", \"start_date\": \"2025-01-10\","
		 " \"planned_end\": \"2025-12-31\", \"outcome\": \"ongoing\"}", (long long)p);
	api_create(f, "treatments", body);
	snprintf(body, sizeof(body),
		 "{\"person_id\": %lld, \"kind\": \"voluntary_community\", \"start_date\": \"2025-01-10\","
		 " \"end_date\": \"2025-12-31\", \"outcome\": \"completed\"}", (long long)p);
	api_refused(f, "POST", "/api/v1/treatments", body, 422, "invalid", "end_date");
	/* a positive substance forces a positive overall result */
	snprintf(body, sizeof(body),
		 "{\"person_id\": %lld, \"test_date\": \"2025-06-01\", \"kind\": \"periodic\", \"result\": \"negative\","
		 " \"substances\": [{\"substance\": \"methamphetamine\", \"result\": \"positive\"}]}", (long long)p);
	api_refused(f, "POST", "/api/v1/tests", body, 422, "invalid", "result");
}

static void test_national_ids(void **state)
{
	struct api_fx *f = *state;

	/* 040 Nghe An, 0 = male born 19xx, 90 = 1990 */
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"1990-01-01\", \"national_id\": \"04009000123\""), 422,
		    "invalid", "national_id");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"1990-01-01\", \"national_id\": \"0400900012345\""),
		    422, "invalid", "national_id");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"1990-01-01\", \"national_id\": \"04009000123A\""), 422,
		    "invalid", "national_id");
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"1990-01-01\", \"national_id\": \"000090001234\""), 422,
		    "invalid", "national_id");
	/* digit 4 says female, the person is male */
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"1990-01-01\", \"national_id\": \"040190001234\""), 422,
		    "invalid", "national_id");
	/* year digits say 1990, the date of birth says 1991 */
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"1991-01-01\", \"national_id\": \"040090001234\""), 422,
		    "invalid", "national_id");
	/* century digit 2 = male born 20xx */
	api_refused(f, "POST", "/api/v1/persons", P("A", ", \"dob\": \"1990-01-01\", \"national_id\": \"040290001234\""), 422,
		    "invalid", "national_id");
	/* the valid forms: a 12-digit citizen ID that agrees, a 9-digit legacy ID, none at all */
	api_create(f, "persons", P("Lương Văn Hợi", ", \"dob\": \"1990-01-01\", \"national_id\": \"040090007777\""));
	api_create(f, "persons", P("Lương Văn Hải", ", \"dob\": \"1970-01-01\", \"national_id\": \"186543210\""));
	api_create(f, "persons", P("Lương Văn Hào", ""));
}

static void test_residence_must_be_a_commune(void **state)
{
	struct api_fx *f = *state;
	char body[256];

	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": \"417\"}", 422,
		    "invalid", "residence_ou");
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": \"40\"}", 422,
		    "invalid", "residence_ou");
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": \"99999\"}", 422,
		    "invalid", "residence_ou");
	api_refused(f, "POST", "/api/v1/persons", "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": 987654}", 422,
		    "invalid", "residence_ou");
	/* by id works as well as by code */
	snprintf(body, sizeof(body), "{\"full_name\": \"Xồng Bá Dê\", \"sex\": \"male\", \"residence_ou\": %lld}",
		 (long long)f->tri_le);
	api_create(f, "persons", body);
	/* references to records that do not exist */
	api_refused(f, "POST", "/api/v1/tests",
		    "{\"person_id\": 999999, \"test_date\": \"2025-01-02\", \"kind\": \"sudden\", \"result\": \"negative\"}", 422,
		    "invalid", "person_id");
}

static void test_body_over_the_cap(void **state)
{
	struct api_fx *f = *state;
	size_t n = (1u << 20) + 100;
	char *big = malloc(n + 1);
	static const char *const chunked[] = {"Transfer-Encoding: chunked", NULL};
	static const char *const no_expect[] = {"Expect:", NULL};
	struct tl_resp r;

	assert_non_null(big);
	memcpy(big, "{\"full_name\": \"", 15);
	memset(big + 15, 'a', n - 15);
	memcpy(big + n - 60, "\", \"sex\": \"male\", \"residence_ou\": \"16837\"}", 43);
	n = n - 60 + 42;
	big[n] = '\0';
	assert_true(n > (1u << 20));
	r = api_refused_ex(f, "POST", "/api/v1/persons", NULL, big, n, 413, "too_large", "");
	tl_resp_free(&r);
	r = api_refused_ex(f, "POST", "/api/v1/persons", no_expect, big, n, 413, "too_large", "");
	tl_resp_free(&r);
	r = api_refused_ex(f, "POST", "/api/v1/persons", chunked, big, n, 413, "too_large", "");
	tl_resp_free(&r);
	r = api_refused_ex(f, "PUT", "/api/v1/persons/1", NULL, big, n, 413, "too_large", "");
	tl_resp_free(&r);
	free(big);
	/* the server is still fine */
	api_person(f, "Lầu Bá Chư", "male", "1979-09-09", "16822");
}

static void test_content_type(void **state)
{
	struct api_fx *f = *state;
	static const char body[] = P("Hà Văn Khởi", "");
	static const char *const text[] = {"Content-Type: text/plain", NULL};
	static const char *const form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	static const char *const none[] = {"Content-Type:", NULL};
	static const char *const jsonish[] = {"Content-Type: application/jsonx", NULL};
	static const char *const charset[] = {"Content-Type: Application/JSON; charset=utf-8", NULL};
	struct tl_resp r;

	r = api_refused_ex(f, "POST", "/api/v1/persons", text, body, strlen(body), 415, "unsupported", "");
	tl_resp_free(&r);
	r = api_refused_ex(f, "POST", "/api/v1/persons", form, body, strlen(body), 415, "unsupported", "");
	tl_resp_free(&r);
	r = api_refused_ex(f, "POST", "/api/v1/persons", none, body, strlen(body), 415, "unsupported", "");
	tl_resp_free(&r);
	r = api_refused_ex(f, "PATCH", "/api/v1/persons/1", jsonish, "{}", 2, 415, "unsupported", "");
	tl_resp_free(&r);
	assert_int_equal(tl_http_ex(&f->srv, "POST", "/api/v1/persons", charset, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 201);
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_enums_fields_required),
		cmocka_unit_test(test_impossible_and_unordered_dates),
		cmocka_unit_test(test_future_test_date),
		cmocka_unit_test(test_national_ids),
		cmocka_unit_test(test_residence_must_be_a_commune),
		cmocka_unit_test(test_body_over_the_cap),
		cmocka_unit_test(test_content_type),
	};

	return cmocka_run_group_tests(tests, api_setup, api_teardown);
}
