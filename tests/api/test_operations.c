/* test_operations.c: the operations registry over real HTTP: each record's refusals (status 422, the
 * field or list entry named, and nothing written in any table), duplicates (409 with the existing
 * id), a hotspot's history carried forward by PATCH with its derived status and list filters, and
 * the indicators answering a write to an operations table at once (the live snapshot reloads its
 * operations image). Today is 2025-06-15 (apitest.h). */
#include "apitest.h"

#define HOT(extra) "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"address\": \"Bản Huồi Pủ\", \"discovered\": \"2025-01-10\"" extra "}"
#define A0 "{\"status\": \"active\", \"date\": \"2025-01-10\"}"
/* a case with the given route, force and suspects (the API refuses a key given twice) */
#define CASE_R(num, route, force, suspects, extra) "{\"case_number\": \"" num "\", \"detected\": \"2025-03-01\"," \
	" \"ou_id\": \"16837\", \"detecting_force\": \"" force "\", \"route\": \"" route "\", \"suspects\": " suspects extra "}"
#define CASE(num, extra) CASE_R(num, "land_border", "border_guard", "3", extra)
#define SITE_A(area, plants, extra) "{\"ou_id\": \"16837\", \"detected\": \"2025-01-10\", \"area_m2\": " area "," \
	" \"plant_count\": " plants extra "}"
#define SITE(extra) SITE_A("300", "2500", extra)
#define ACT(extra) "{\"activity_date\": \"2025-06-01\", \"ou_id\": \"16822\", \"form\": \"household_commitment\"" extra "}"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_hotspots_refused(void **state)
{
	struct api_fx *f = *state;

	api_refused(f, "POST", "/api/v1/hotspots",
		    HOT(", \"status_history\": [" A0 ", {\"status\": \"eliminated\", \"date\": \"2025-02-01\"},"
			" {\"status\": \"active\", \"date\": \"2025-03-01\"}]"),
		    422, "invalid", "status_history[2]");
	api_refused(f, "POST", "/api/v1/hotspots",
		    HOT(", \"status_history\": [{\"status\": \"eliminated\", \"date\": \"2025-01-10\"}]"), 422, "invalid",
		    "status_history[0]");
	api_refused(f, "POST", "/api/v1/hotspots",
		    HOT(", \"status_history\": [" A0 ", {\"status\": \"eliminated\", \"date\": \"2025-06-16\"}]"), 422, "invalid",
		    "status_history[1]");
	api_refused(f, "POST", "/api/v1/hotspots", HOT(", \"status_history\": []"), 422, "invalid", "status_history");
	api_refused(f, "POST", "/api/v1/hotspots", HOT(""), 422, "invalid", "status_history");
	api_refused(f, "POST", "/api/v1/hotspots",
		    "{\"kind\": \"drug_den\", \"ou_id\": \"16837\", \"address\": \"A\", \"discovered\": \"2025-01-10\","
		    " \"status_history\": [" A0 "]}", 422, "invalid", "kind");
	api_refused(f, "POST", "/api/v1/hotspots",
		    "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"discovered\": \"2025-01-10\", \"status_history\": [" A0 "]}",
		    422, "invalid", "address");
	/* a hotspot lies in a commune */
	api_refused(f, "POST", "/api/v1/hotspots",
		    "{\"kind\": \"use_venue\", \"ou_id\": \"417\", \"address\": \"A\", \"discovered\": \"2025-01-10\","
		    " \"status_history\": [" A0 "]}", 422, "invalid", "ou_id");
	api_refused(f, "POST", "/api/v1/hotspots", HOT(", \"status_history\": [" A0 "], \"status\": \"active\""), 422,
		    "invalid", "status");
}

static void test_cases_refused(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	int64_t id;

	api_refused(f, "POST", "/api/v1/cases",
		    CASE("9/2025", ", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": -350, \"unit\": \"g\"}]"), 422, "invalid",
		    "seizures[0]");
	api_refused(f, "POST", "/api/v1/cases",
		    CASE("9/2025", ", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": 1.2, \"unit\": \"kg\"}]"), 422,
		    "invalid", "seizures[0]");
	api_refused(f, "POST", "/api/v1/cases",
		    CASE("9/2025", ", \"seizures\": [{\"substance\": \"yaba\", \"quantity\": 5, \"unit\": \"pills\"}]"), 422,
		    "invalid", "seizures[0]");
	api_refused(f, "POST", "/api/v1/cases",
		    CASE("9/2025", ", \"stages\": [{\"stage\": \"tried\", \"date\": \"2025-05-01\"},"
			 " {\"stage\": \"indicted\", \"date\": \"2025-05-02\"}]"),
		    422, "invalid", "stages[1]");
	api_refused(f, "POST", "/api/v1/cases", CASE("9/2025", ", \"ringleaders\": 5"), 422, "invalid", "ringleaders");
	api_refused(f, "POST", "/api/v1/cases", CASE_R("9/2025", "river", "border_guard", "3", ""), 422, "invalid", "route");
	api_refused(f, "POST", "/api/v1/cases", CASE_R("9/2025", "land_border", "border_guard", "-2", ""), 422, "invalid", "suspects");
	api_refused(f, "POST", "/api/v1/cases", CASE("9/2025", ", \"person_ids\": [5, 5]"), 422, "invalid", "person_ids");
	/* the case number is unique */
	id = api_create(f, "cases", CASE("1/2025/VA-417", ""));
	r = api_refused_ex(f, "POST", "/api/v1/cases", NULL, CASE("1/2025/VA-417", ""), strlen(CASE("1/2025/VA-417", "")), 409,
			   "conflict", "case_number");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "error"), "existing_id")), id);
	tl_resp_free(&r);
}

static void test_sites_activities_populations_refused(void **state)
{
	struct api_fx *f = *state;

	api_refused(f, "POST", "/api/v1/plant_sites", SITE(", \"eradicated\": \"2025-01-09\""), 422, "invalid", "eradicated");
	api_refused(f, "POST", "/api/v1/plant_sites", SITE_A("-1", "2500", ""), 422, "invalid", "area_m2");
	api_refused(f, "POST", "/api/v1/plant_sites", SITE_A("0", "0", ""), 422, "invalid",
		    "plant_count");
	api_refused(f, "POST", "/api/v1/communication", ACT(", \"participants\": 50, \"commitments_signed\": 51"), 422,
		    "invalid", "commitments_signed");
	api_refused(f, "POST", "/api/v1/communication", "{\"activity_date\": \"2025-06-01\", \"ou_id\": \"16822\", \"form\": \"karaoke\"}", 422, "invalid", "form");
	api_refused(f, "POST", "/api/v1/communication", ACT(", \"participants\": -1"), 422, "invalid", "participants");
	api_refused(f, "POST", "/api/v1/populations", "{\"ou_id\": \"16837\", \"year\": 2027, \"population\": 10}", 422,
		    "invalid", "year");
	api_refused(f, "POST", "/api/v1/populations", "{\"ou_id\": \"16837\", \"year\": 2025, \"population\": 0}", 422,
		    "invalid", "population");
	/* one figure per unit and year */
	api_create(f, "populations", "{\"ou_id\": \"16837\", \"year\": 2025, \"population\": 4120}");
	api_refused(f, "POST", "/api/v1/populations", "{\"ou_id\": \"16837\", \"year\": 2025, \"population\": 4200}", 409,
		    "conflict", NULL);
	/* any level: a district's activity, a province's population */
	api_create(f, "communication", "{\"activity_date\": \"2025-06-02\", \"ou_id\": \"417\", \"form\": \"rally\"}");
	api_create(f, "populations", "{\"ou_id\": \"40\", \"year\": 2025, \"population\": 3420000}");
	api_create(f, "plant_sites", SITE(", \"eradicated\": \"2025-01-10\""));
}

static void test_hotspot_lifecycle(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	char path[64];
	int64_t id = api_create(f, "hotspots", HOT(", \"venue_kind\": \"karaoke\", \"status_history\": [" A0 "]"));

	snprintf(path, sizeof(path), "/api/v1/hotspots/%lld", (long long)id);
	r = api_get(f, path, 200);
	assert_string_equal(jstr(r.json, "status"), "active");
	tl_resp_free(&r);
	/* carried forward by PATCH: the derived status follows */
	assert_int_equal(tl_http(&f->srv, "PATCH", path,
				 "{\"status_history\": [" A0 ", {\"status\": \"under_transformation\", \"date\": \"2025-03-01\"}]}", &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(r.json, "status"), "under_transformation");
	tl_resp_free(&r);
	/* the history never goes back: a place active again after transformation is a new hotspot */
	api_refused(f, "PATCH", path,
		    "{\"status_history\": [" A0 ", {\"status\": \"under_transformation\", \"date\": \"2025-03-01\"},"
		    " {\"status\": \"active\", \"date\": \"2025-04-01\"}]}",
		    422, "invalid", "status_history[2]");
	r = api_get(f, path, 200);
	assert_string_equal(jstr(r.json, "status"), "under_transformation");
	assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
	tl_resp_free(&r);
	/* a mistaken entry is corrected by sending the list without it: the list itself goes forward */
	assert_int_equal(tl_http(&f->srv, "PATCH", path, "{\"status_history\": [" A0 "]}", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(jstr(r.json, "status"), "active");
	tl_resp_free(&r);
	/* list filters: the derived status, the kind, and the org-unit subtree */
	api_create(f, "hotspots", "{\"kind\": \"retail_point\", \"ou_id\": \"16756\", \"address\": \"Bản Mường Hinh\","
				  " \"discovered\": \"2025-02-01\", \"status_history\": [{\"status\": \"active\", \"date\": \"2025-02-01\"},"
				  " {\"status\": \"eliminated\", \"date\": \"2025-05-01\"}]}");
	r = api_get(f, "/api/v1/hotspots?status=eliminated", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/hotspots?orgunit=417", 200);
	assert_true(json_integer_value(json_object_get(r.json, "total")) >= 1);
	assert_string_equal(jstr(json_array_get(json_object_get(r.json, "items"), 0), "kind"), "use_venue");
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/hotspots?status=gone", 422);
	tl_resp_free(&r);
}

/* A plan whose targets read operations measures answers a write to an operations table at once. */
static void test_real_time(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *t;
	size_t i;
	double v = -1;
	char body[512];
	int64_t plan = api_create(f, "plans", "{\"code\": \"OPS-1/KH\", \"title\": \"Kế hoạch thử\", \"issuing_ou\": \"40\","
					      " \"scope_ou\": \"40\", \"period_from\": \"2025-01-01\", \"period_to\": \"2025-12-31\"}");

	snprintf(body, sizeof(body), "{\"plan_id\": %lld, \"indicator\": \"cases_detected\", \"comparator\": \">=\", \"value\": 10,"
		 " \"unit\": \"cases\", \"period_kind\": \"year\", \"deadline\": \"2025-12-31\"}", (long long)plan);
	api_create(f, "targets", body);
	r = api_get(f, "/api/v1/indicators?plan=OPS-1/KH", 200);
	json_array_foreach(json_object_get(r.json, "targets"), i, t)
		v = json_number_value(json_object_get(t, "result"));
	tl_resp_free(&r);
	api_create(f, "cases", CASE("77/2025/VA-417", ""));
	api_create(f, "cases", CASE_R("78/2025/VA-417", "cyberspace", "police", "1", ""));
	r = api_get(f, "/api/v1/indicators?plan=OPS-1/KH", 200);
	json_array_foreach(json_object_get(r.json, "targets"), i, t)
		assert_true(json_number_value(json_object_get(t, "result")) == v + 2);
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotspots_refused),
		cmocka_unit_test(test_cases_refused),
		cmocka_unit_test(test_sites_activities_populations_refused),
		cmocka_unit_test(test_hotspot_lifecycle),
		cmocka_unit_test(test_real_time),
	};

	return cmocka_run_group_tests(tests, api_setup, api_teardown);
}
