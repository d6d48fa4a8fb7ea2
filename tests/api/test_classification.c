/* test_classification.c: GET /api/v1/classification over real HTTP on hand-built data whose types are
 * worked out below: each criterion's values, thresholds (rulebook rows with their confirmed flag)
 * and status; a commune crossing 3,000 plants / 750 m² and one crossing 0.5% of users with the very
 * next write (real time); a commune without population; counts per unit; bad parameters refused
 * with the parameter named. Today is 2025-06-15 (apitest.h). */
#include <math.h>

#include "apitest.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *commune(json_t *ans, const char *code)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(ans, "communes"), i, c)
		if (!strcmp(jstr(c, "code"), code))
			return c;
	fail_msg("no commune %s in the answer", code);
	return NULL;
}

/* The criterion of type t ("I", "II", "III") of a commune. */
static json_t *criterion(json_t *c, const char *t, const char *name)
{
	json_t *ty, *x;
	size_t i, j;

	json_array_foreach(json_object_get(c, "types"), i, ty) {
		if (strcmp(jstr(ty, "type"), t))
			continue;
		json_array_foreach(json_object_get(ty, "criteria"), j, x)
			if (!strcmp(jstr(x, "criterion"), name))
				return x;
	}
	fail_msg("no criterion %s of type %s", name, t);
	return NULL;
}

static struct tl_resp classify(struct api_fx *f)
{
	return api_get(f, "/api/v1/classification?year=2025&orgunit=40", 200);
}

/* A person in `commune` holding `kind` with a management record since January. */
static void managed(struct api_fx *f, const char *commune, const char *kind, int n)
{
	char body[256], name[64];
	int64_t p;

	snprintf(name, sizeof(name), "Lò Văn %c", 'A' + n);
	p = api_person(f, name, "male", "1990-01-01", commune);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"%s\", \"date_from\": \"2025-01-02\"}", (long long)p, kind);
	api_create(f, "classifications", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"%s\", \"opened\": \"2025-01-03\", \"managing_ou\": \"%s\"}",
		 (long long)p, kind, commune);
	api_create(f, "records", body);
}

/* Nậm Cắn (16837), 1,000 people: 2 places in use, 1 arrest (0.1%), 2,999 plants on 749 m² destroyed,
 *   one case on a trafficking route: type I on places and arrests (2), type II on places, arrests
 *   and plants (3): type II.
 * Keng Đu (16822), 1,000 people: 4 managed users and addicts (0.4%): type III (and 0.4% reaches
 *   type II's 0.3% placeholder, one criterion of three).
 * Tri Lễ (16756): no population for 2025, nothing else: none, its rate criteria without data. */
static void load(struct api_fx *f)
{
	api_create(f, "populations", "{\"ou_id\": \"16837\", \"year\": 2025, \"population\": 1000}");
	api_create(f, "populations", "{\"ou_id\": \"16822\", \"year\": 2025, \"population\": 1000}");
	api_create(f, "populations", "{\"ou_id\": \"16756\", \"year\": 2024, \"population\": 3000}");
	api_create(f, "hotspots", "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"address\": \"Bản Huồi Pủ\", \"venue_kind\": "
				  "\"private_house\", \"discovered\": \"2025-01-10\", \"status_history\": [{\"status\": \"active\", "
				  "\"date\": \"2025-01-10\"}]}");
	api_create(f, "hotspots", "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"address\": \"Bản Xốp Pu\", \"discovered\": "
				  "\"2024-11-10\", \"status_history\": [{\"status\": \"active\", \"date\": \"2024-11-10\"}, {\"status\": "
				  "\"eliminated\", \"date\": \"2025-02-10\"}]}");
	api_create(f, "cases", "{\"case_number\": \"3/2025/VA-417\", \"detected\": \"2025-03-01\", \"ou_id\": \"16837\","
			       " \"detecting_force\": \"border_guard\", \"route\": \"land_border\", \"suspects\": 1}");
	api_create(f, "plant_sites", "{\"ou_id\": \"16837\", \"detected\": \"2025-01-20\", \"area_m2\": 749, \"plant_count\": 2999,"
				     " \"eradicated\": \"2025-01-21\"}");
	for (int i = 0; i < 4; i++)
		managed(f, "16822", i % 2 ? "addict" : "illegal_user", i);
}

static void test_types(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *c, *x, *th, *sum;

	load(f);
	r = classify(f);
	assert_int_equal(json_integer_value(json_object_get(r.json, "year")), 2025);
	assert_string_equal(jstr(r.json, "measured_on"), "2025-06-15");
	assert_string_equal(jstr(r.json, "rules_date"), "2025-12-31");
	sum = json_object_get(r.json, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "communes")), 3);
	assert_int_equal(json_integer_value(json_object_get(sum, "type_II")), 1);
	assert_int_equal(json_integer_value(json_object_get(sum, "type_III")), 1);
	assert_int_equal(json_integer_value(json_object_get(sum, "none")), 1);
	assert_int_equal(json_integer_value(json_object_get(sum, "without_population")), 1);

	c = commune(r.json, "16837");
	assert_string_equal(jstr(c, "type"), "II");
	assert_false(json_is_true(json_object_get(c, "confirmed")));
	x = criterion(c, "I", "places");
	assert_string_equal(jstr(x, "status"), "met");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "values"), "places")), 2);
	th = json_array_get(json_object_get(x, "thresholds"), 0);
	assert_string_equal(jstr(th, "rule"), "complex.commune.type1.places");
	assert_true(json_number_value(json_object_get(th, "value")) == 2);
	assert_true(json_is_true(json_object_get(th, "confirmed")));
	x = criterion(c, "I", "arrests_pct");
	assert_string_equal(jstr(x, "status"), "met");
	assert_true(fabs(json_number_value(json_object_get(json_object_get(x, "values"), "percent")) - 0.1) < 1e-9);
	x = criterion(c, "I", "plants");
	assert_string_equal(jstr(x, "status"), "not_met");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "values"), "plants")), 2999);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "values"), "area_m2")), 749);
	assert_int_equal(json_array_size(json_object_get(x, "thresholds")), 2);
	x = criterion(c, "I", "route");
	assert_string_equal(jstr(x, "status"), "not_met"); /* one case on a route: not a complex route */
	assert_false(json_is_true(json_object_get(x, "confirmed")));
	x = criterion(c, "II", "plants");
	assert_string_equal(jstr(x, "status"), "met");
	th = json_array_get(json_object_get(x, "thresholds"), 1);
	assert_string_equal(jstr(th, "rule"), "complex.commune.type2.plant_area_m2.min");
	assert_false(json_is_true(json_object_get(th, "confirmed")));

	c = commune(r.json, "16822");
	assert_string_equal(jstr(c, "type"), "III");
	x = criterion(c, "I", "users_addicts_pct");
	assert_string_equal(jstr(x, "status"), "not_met");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "values"), "persons")), 4);
	assert_true(fabs(json_number_value(json_object_get(json_object_get(x, "values"), "percent")) - 0.4) < 1e-9);
	assert_string_equal(jstr(criterion(c, "II", "users_addicts_pct"), "status"), "met");

	c = commune(r.json, "16756");
	assert_string_equal(jstr(c, "type"), "none");
	assert_true(json_is_null(json_object_get(c, "population")));
	assert_string_equal(jstr(criterion(c, "I", "users_addicts_pct"), "status"), "no_data");
	assert_string_equal(jstr(criterion(c, "III", "arrests_pct"), "status"), "no_data");
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(c, "notes"), 0)), "no population recorded for 2025"));

	/* per district: Kỳ Sơn has the type II and III, Quế Phong the none */
	x = json_array_get(json_object_get(r.json, "units"), 0);
	assert_string_equal(jstr(x, "code"), "417");
	assert_int_equal(json_integer_value(json_object_get(x, "communes")), 2);
	/* every row read is listed with its source */
	assert_true(json_array_size(json_object_get(r.json, "rules")) >= 20);
	tl_resp_free(&r);

	/* small cells (suppress=1, and always for viewers): Keng Du's 4 persons are "<5" and their
	 * share of the population, which would give them back, null; the types stay */
	r = api_get(f, "/api/v1/classification?year=2025&orgunit=40&suppress=1", 200);
	c = commune(r.json, "16822");
	assert_string_equal(jstr(c, "type"), "III");
	x = criterion(c, "I", "users_addicts_pct");
	assert_string_equal(jstr(json_object_get(x, "values"), "persons"), "<5");
	assert_true(json_is_null(json_object_get(json_object_get(x, "values"), "percent")));
	assert_string_equal(jstr(x, "status"), "not_met");
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/classification?year=2025&orgunit=40&suppress=yes", 422);
	assert_string_equal(tl_err_field(&r), "suppress");
	tl_resp_free(&r);
}

/* 2,999 plants on 749 m2, then one more plant on one more square metre: type I at once. */
static void test_plants_and_users_cross_at_once(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *c;

	load(f);
	api_create(f, "plant_sites", "{\"ou_id\": \"16837\", \"detected\": \"2025-02-03\", \"area_m2\": 1, \"plant_count\": 1,"
				     " \"eradicated\": \"2025-02-03\"}");
	managed(f, "16822", "addict", 9); /* the fifth: 0.5% */
	r = classify(f);
	c = commune(r.json, "16837");
	assert_string_equal(jstr(criterion(c, "I", "plants"), "status"), "met");
	assert_string_equal(jstr(c, "type"), "I");
	assert_true(json_is_true(json_object_get(c, "confirmed"))); /* three confirmed type I criteria */
	c = commune(r.json, "16822");
	assert_string_equal(jstr(criterion(c, "I", "users_addicts_pct"), "status"), "met");
	tl_resp_free(&r);
	/* the population of Tri Lễ for 2025 turns "no data" into a value */
	api_create(f, "populations", "{\"ou_id\": \"16756\", \"year\": 2025, \"population\": 3050}");
	r = classify(f);
	c = commune(r.json, "16756");
	assert_int_equal(json_integer_value(json_object_get(c, "population")), 3050);
	assert_string_equal(jstr(criterion(c, "I", "users_addicts_pct"), "status"), "not_met");
	tl_resp_free(&r);
}

static void test_parameters(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;

	r = api_get(f, "/api/v1/classification?year=2025", 200); /* the nation by default */
	assert_string_equal(jstr(json_object_get(r.json, "orgunit"), "code"), "VN");
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/classification?year=2025&orgunit=417&details=0", 200);
	assert_null(json_object_get(r.json, "communes"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "summary"), "communes")), 2);
	tl_resp_free(&r);
	api_refused(f, "GET", "/api/v1/classification", NULL, 422, "invalid", "year");
	api_refused(f, "GET", "/api/v1/classification?year=25", NULL, 422, "invalid", "year");
	api_refused(f, "GET", "/api/v1/classification?year=2O25", NULL, 422, "invalid", "year");
	/* before Decision 28/2025 took effect, and a year not begun */
	r = api_refused_ex(f, "GET", "/api/v1/classification?year=2024", NULL, NULL, 0, 422, "invalid", "year");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")), "2025-08-24"));
	tl_resp_free(&r);
	api_refused(f, "GET", "/api/v1/classification?year=2026", NULL, 422, "invalid", "year");
	api_refused(f, "GET", "/api/v1/classification?year=2025&orgunit=99999", NULL, 422, "invalid", "orgunit");
	api_refused(f, "GET", "/api/v1/classification?year=2025&details=yes", NULL, 422, "invalid", "details");
	api_refused(f, "GET", "/api/v1/classification?year=2025&date=2025-01-01", NULL, 400, "bad_request", "date");
	api_refused(f, "GET", "/api/v1/classification?year=2025&year=2025", NULL, 400, "bad_request", "year");
	api_refused(f, "POST", "/api/v1/classification?year=2025", "{}", 405, "method_not_allowed", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_types, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_plants_and_users_cross_at_once, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_parameters, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
