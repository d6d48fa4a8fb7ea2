/* test_operations.c: the operations registry's rules (src/domain/operations.c) with today fixed at
 * 2025-06-15: every refusal names its field (or the list entry: "stages[1]") — hotspot histories
 * that go backwards, repeat, skip their start or lie in the future, seizures in the wrong unit or of
 * no quantity, stages out of order, eradication before detection, more commitments than people —
 * and the operations image built from stored rows (src/domain/opimg.c). */
#include <stdlib.h>
#include <string.h>

#include "domain/opimg.h"
#include "domain/operations.h"
#include "testlib.h"
#include "util/date.h"

static struct ent_ctx ctx;

static int setup(void **state)
{
	ctx.today = date_from_ymd(2025, 6, 15);
	return 0;
}

static json_t *J(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (!j)
		fail_msg("bad test JSON (%s): %s", je.text, text);
	return j;
}

/* Accepted; returns the validated record (caller frees). */
static json_t *ok(const struct entity_def *e, const char *text)
{
	json_t *in = J(text), *out = NULL;
	struct pcmt_err err;

	err_clear(&err);
	if (ent_validate(e, &ctx, in, 0, &out, &err))
		fail_msg("%s refused %s: [%s] %s", e->name, text, err.field, err.message);
	json_decref(in);
	return out;
}

/* Refused with ERR_INVALID naming `field`, `msg` in the message. */
static void no(const struct entity_def *e, const char *text, const char *field, const char *msg)
{
	json_t *in = J(text), *out = NULL;
	struct pcmt_err err;
	int rc;

	err_clear(&err);
	rc = ent_validate(e, &ctx, in, 0, &out, &err);
	if (rc != -1 || err.code != ERR_INVALID || strcmp(err.field, field) || (msg && !strstr(err.message, msg)) || out)
		fail_msg("%s %s: rc %d field '%s' message '%s'; wanted field '%s' with '%s'", e->name, text, rc, err.field,
			 err.message, field, msg ? msg : "");
	json_decref(in);
}

#define HOT(extra) "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"address\": \"Bản Huồi Pủ\", \"discovered\": \"2025-01-10\"" extra "}"
#define HIST(list) ", \"status_history\": [" list "]"
#define A0 "{\"status\": \"active\", \"date\": \"2025-01-10\"}"

static void test_hotspot_history(void **state)
{
	json_t *r;

	r = ok(&ent_hotspots, HOT(HIST(A0)));
	assert_string_equal(json_string_value(json_object_get(r, "status")), "active");
	json_decref(r);
	/* forward, skipping a step is allowed; dates typed either way are stored as ISO */
	r = ok(&ent_hotspots, HOT(HIST("{\"status\": \"active\", \"date\": \"10/01/2025\"}, "
				       "{\"status\": \"eliminated\", \"date\": \"2025-03-01\"}")));
	assert_string_equal(json_string_value(json_object_get(r, "status")), "eliminated");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "status_history"), 0), "date")),
			    "2025-01-10");
	json_decref(r);
	r = ok(&ent_hotspots, HOT(HIST(A0 ", {\"status\": \"under_transformation\", \"date\": \"2025-01-10\"}")));
	assert_string_equal(json_string_value(json_object_get(r, "status")), "under_transformation");
	json_decref(r);

	/* going backwards, or standing still */
	no(&ent_hotspots, HOT(HIST(A0 ", {\"status\": \"eliminated\", \"date\": \"2025-02-01\"}, "
				   "{\"status\": \"active\", \"date\": \"2025-03-01\"}")),
	   "status_history[2]", "cannot go back from eliminated to active");
	no(&ent_hotspots, HOT(HIST(A0 ", {\"status\": \"under_transformation\", \"date\": \"2025-02-01\"}, "
				   "{\"status\": \"under_transformation\", \"date\": \"2025-03-01\"}")),
	   "status_history[2]", "cannot go back");
	/* the start: active, on the day discovered */
	no(&ent_hotspots, HOT(HIST("{\"status\": \"under_transformation\", \"date\": \"2025-01-10\"}")), "status_history[0]",
	   "starts with status active");
	no(&ent_hotspots, HOT(HIST("{\"status\": \"active\", \"date\": \"2025-01-11\"}")), "status_history[0]",
	   "the day the place was discovered");
	/* dates */
	no(&ent_hotspots, HOT(HIST(A0 ", {\"status\": \"eliminated\", \"date\": \"2025-01-09\"}")), "status_history[1]",
	   "must not decrease");
	no(&ent_hotspots, HOT(HIST(A0 ", {\"status\": \"eliminated\", \"date\": \"2025-06-16\"}")), "status_history[1]",
	   "future");
	no(&ent_hotspots, HOT(HIST(A0 ", {\"status\": \"eliminated\", \"date\": \"2025-02-30\"}")), "status_history[1]",
	   "real date");
	/* shape */
	no(&ent_hotspots, HOT(HIST("")), "status_history", "at least");
	no(&ent_hotspots, HOT(HIST(A0 ", {\"status\": \"closed\", \"date\": \"2025-02-01\"}")), "status_history[1]",
	   "active, under_transformation, eliminated");
	no(&ent_hotspots, HOT(HIST("{\"status\": \"active\", \"date\": \"2025-01-10\", \"by\": \"x\"}")), "status_history[0]",
	   "exactly");
	no(&ent_hotspots, HOT(HIST("\"active\"")), "status_history[0]", "exactly");
	no(&ent_hotspots, HOT(", \"status_history\": {\"status\": \"active\"}"), "status_history", "must be");
	no(&ent_hotspots, HOT(HIST(A0 "," A0 "," A0 "," A0 "," A0 "," A0 "," A0 "," A0 "," A0 "," A0 "," A0)),
	   "status_history", "at most 10");
	/* the derived status is not the client's to send */
	no(&ent_hotspots, HOT(HIST(A0) ", \"status\": \"eliminated\""), "status", "unknown field");
}

static void test_hotspot_fields(void **state)
{
	json_t *r;

	no(&ent_hotspots, "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"discovered\": \"2025-01-10\"" HIST(A0) "}",
	   "address", "address of the place or a description");
	r = ok(&ent_hotspots, "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"description\": \"Lán nương đầu bản\","
			      " \"discovered\": \"2025-01-10\"" HIST(A0) "}");
	json_decref(r);
	no(&ent_hotspots, HOT(HIST(A0) ", \"kind\": \"den\""), "kind", "use_venue, retail_point, complex_area");
	no(&ent_hotspots, HOT(HIST(A0) ", \"venue_kind\": \"casino\""), "venue_kind", "karaoke");
	no(&ent_hotspots, "{\"kind\": \"complex_area\", \"ou_id\": \"16837\", \"address\": \"Bản A\", \"discovered\": \"2025-01-10\","
			  " \"venue_kind\": \"karaoke\"" HIST(A0) "}",
	   "venue_kind", "not a complex area");
	no(&ent_hotspots, HOT(HIST(A0) ", \"discovered\": \"2025-06-16\""), "discovered", "future");
}

#define CASE(extra) "{\"case_number\": \"1/2025/VA\", \"detected\": \"2025-03-01\", \"ou_id\": \"16837\"," \
	" \"detecting_force\": \"border_guard\", \"route\": \"land_border\", \"suspects\": 3" extra "}"

static void test_case_seizures(void **state)
{
	json_t *r = ok(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": 1050, \"unit\": \"g\"},"
				       " {\"substance\": \"synthetic_pills\", \"quantity\": 6000, \"unit\": \"pills\"},"
				       " {\"substance\": \"methamphetamine\", \"quantity\": 0.35, \"unit\": \"g\"}]"));

	json_decref(r);
	no(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": -5, \"unit\": \"g\"}]"), "seizures[0]",
	   "more than 0");
	no(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": 0, \"unit\": \"g\"}]"), "seizures[0]",
	   "more than 0");
	no(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": \"1 kg\", \"unit\": \"g\"}]"),
	   "seizures[0]", "must be a number");
	no(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": 1.2, \"unit\": \"kg\"}]"), "seizures[0]",
	   "heroin is counted in g");
	no(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"synthetic_pills\", \"quantity\": 12, \"unit\": \"g\"}]"),
	   "seizures[0]", "counted in pills");
	no(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": 5}]"), "seizures[0]", "exactly");
	no(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": 5, \"unit\": \"g\"},"
			    " {\"substance\": \"lsd\", \"quantity\": 5, \"unit\": \"g\"}]"),
	   "seizures[1]", "unknown substance");
	no(&ent_cases, CASE(", \"seizures\": [{\"substance\": \"heroin\", \"quantity\": 5, \"unit\": \"g\"},"
			    " {\"substance\": \"heroin\", \"quantity\": 7, \"unit\": \"g\"}]"),
	   "seizures[1]", "listed twice");
	assert_string_equal(op_seized_unit("synthetic_pills"), "pills");
	assert_string_equal(op_seized_unit("cannabis"), "g");
	assert_null(op_seized_unit("lsd"));
}

static void test_case_stages(void **state)
{
	json_t *r = ok(&ent_cases, CASE(", \"stages\": [{\"stage\": \"detected\", \"date\": \"2025-03-01\"},"
				       " {\"stage\": \"prosecuted\", \"date\": \"08/03/2025\"},"
				       " {\"stage\": \"tried\", \"date\": \"2025-06-10\", \"mobile_trial\": true}]"));

	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "stages"), 1), "date")),
			    "2025-03-08");
	json_decref(r);
	/* going backwards */
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"indicted\", \"date\": \"2025-05-01\"},"
			    " {\"stage\": \"prosecuted\", \"date\": \"2025-05-02\"}]"),
	   "stages[1]", "cannot go back from indicted to prosecuted");
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"prosecuted\", \"date\": \"2025-03-05\"},"
			    " {\"stage\": \"prosecuted\", \"date\": \"2025-03-06\"}]"),
	   "stages[1]", "cannot go back");
	/* dates */
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"prosecuted\", \"date\": \"2025-02-28\"}]"), "stages[0]",
	   "before the case was detected");
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"prosecuted\", \"date\": \"2025-04-01\"},"
			    " {\"stage\": \"indicted\", \"date\": \"2025-03-20\"}]"),
	   "stages[1]", "must not decrease");
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"detected\", \"date\": \"2025-03-02\"}]"), "stages[0]",
	   "the day the case was detected");
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"tried\", \"date\": \"2025-07-01\"}]"), "stages[0]", "future");
	/* the mobile trial flag belongs on the trial */
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"prosecuted\", \"date\": \"2025-03-05\", \"mobile_trial\": true}]"),
	   "stages[0]", "belongs on the tried stage");
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"tried\", \"date\": \"2025-05-05\", \"mobile_trial\": \"yes\"}]"),
	   "stages[0]", "belongs on the tried stage");
	no(&ent_cases, CASE(", \"stages\": [{\"stage\": \"appealed\", \"date\": \"2025-05-05\"}]"), "stages[0]",
	   "detected, prosecuted, indicted, tried");
}

static void test_case_fields(void **state)
{
	json_t *r = ok(&ent_cases, CASE(", \"organised\": true, \"transnational\": true, \"ringleaders\": 3,"
				       " \"person_ids\": [12, 15]"));

	json_decref(r);
	no(&ent_cases, CASE(", \"ringleaders\": 4"), "ringleaders", "cannot outnumber");
	no(&ent_cases, CASE(", \"person_ids\": [1, 2, 3, 4]"), "person_ids", "more linked persons (4) than suspects (3)");
	no(&ent_cases, CASE(", \"person_ids\": [7, 7]"), "person_ids", "listed twice");
	no(&ent_cases, CASE(", \"person_ids\": [\"Lò Văn A\"]"), "person_ids", "id of a person");
	no(&ent_cases, CASE(", \"person_ids\": [0]"), "person_ids", "id of a person");
	no(&ent_cases, CASE(", \"route\": \"river\""), "route", "land_border");
	no(&ent_cases, CASE(", \"detecting_force\": \"army\""), "detecting_force", "coast_guard");
	no(&ent_cases, CASE(", \"suspects\": -1"), "suspects", "negative");
	no(&ent_cases, CASE(", \"detected\": \"2025-06-16\""), "detected", "future");
}

#define SITE(extra) "{\"ou_id\": \"16837\", \"detected\": \"2025-01-10\", \"area_m2\": 300, \"plant_count\": 2500" extra "}"

static void test_plant_sites(void **state)
{
	json_t *r = ok(&ent_plant_sites, SITE(", \"eradicated\": \"2025-01-10\", \"plant\": \"opium_poppy\", \"replanted\": true"));

	json_decref(r);
	no(&ent_plant_sites, SITE(", \"eradicated\": \"2025-01-09\""), "eradicated", "must not be before detected");
	no(&ent_plant_sites, SITE(", \"area_m2\": -5"), "area_m2", "negative");
	no(&ent_plant_sites, SITE(", \"plant_count\": -1"), "plant_count", "negative");
	no(&ent_plant_sites, SITE(", \"area_m2\": 0, \"plant_count\": 0"), "plant_count", "both are 0");
	no(&ent_plant_sites, SITE(", \"plant\": \"coffee\""), "plant", "opium_poppy");
	no(&ent_plant_sites, SITE(", \"eradicated\": \"2025-06-16\""), "eradicated", "future");
	r = ok(&ent_plant_sites, SITE(", \"area_m2\": 0")); /* plants counted, area not measured */
	json_decref(r);
}

#define ACT(extra) "{\"activity_date\": \"2025-06-01\", \"ou_id\": \"417\", \"form\": \"household_commitment\"" extra "}"

static void test_communication(void **state)
{
	json_t *r = ok(&ent_communication, ACT(", \"audience\": \"households\", \"participants\": 120, \"commitments_signed\": 120"));

	json_decref(r);
	no(&ent_communication, ACT(", \"participants\": 120, \"commitments_signed\": 121"), "commitments_signed",
	   "more commitments signed (121) than participants (120)");
	no(&ent_communication, ACT(", \"form\": \"concert\""), "form", "police_listen_forum");
	no(&ent_communication, ACT(", \"audience\": \"tourists\""), "audience", "students");
	no(&ent_communication, ACT(", \"participants\": -3"), "participants", "negative");
	no(&ent_communication, ACT(", \"activity_date\": \"2025-06-16\""), "activity_date", "future");
}

static void test_populations(void **state)
{
	json_t *r = ok(&ent_populations, "{\"ou_id\": \"16837\", \"year\": 2026, \"population\": 4210}");

	json_decref(r);
	no(&ent_populations, "{\"ou_id\": \"16837\", \"year\": 2027, \"population\": 4210}", "year", "1900..2026");
	no(&ent_populations, "{\"ou_id\": \"16837\", \"year\": 1899, \"population\": 4210}", "year", "1900..2026");
	no(&ent_populations, "{\"ou_id\": \"16837\", \"year\": 2025, \"population\": 0}", "population", "more than 0");
	no(&ent_populations, "{\"ou_id\": \"16837\", \"year\": 2025, \"population\": -10}", "population", "negative");
	no(&ent_populations, "{\"ou_id\": \"16837\", \"year\": \"2025\", \"population\": 10}", "year", "whole number");
}

/* ---- the image ------------------------------------------------------------------------------- */

static void test_image(void **state)
{
	struct op_image *img = op_image_new();
	const struct op_case *c;
	const struct op_hotspot *h;
	int64_t pop = 0;

	assert_non_null(img);
	assert_int_equal(op_case_add(img, 7, 40, date_from_ymd(2025, 3, 1), "border_guard", "land_border", 1, 0, 3, 1,
				     "[{\"substance\":\"heroin\",\"quantity\":700,\"unit\":\"g\"},"
				     "{\"substance\":\"synthetic_pills\",\"quantity\":6000,\"unit\":\"pills\"}]",
				     "[{\"stage\":\"prosecuted\",\"date\":\"2025-03-08\"},{\"stage\":\"tried\",\"date\":\"2025-06-10\","
				     "\"mobile_trial\":true}]"),
			 0);
	c = &img->cases[0];
	assert_int_equal(c->route, RT_LAND_BORDER);
	assert_true(c->organised);
	assert_false(c->transnational);
	assert_true(c->seized[SZ_HEROIN] == 700);
	assert_true(c->seized[SZ_SYNTHETIC_PILLS] == 6000);
	assert_true(c->seized[SZ_CANNABIS] == 0);
	assert_int_equal(c->stage[CS_DETECTED], date_from_ymd(2025, 3, 1));
	assert_int_equal(c->stage[CS_PROSECUTED], date_from_ymd(2025, 3, 8));
	assert_int_equal(c->stage[CS_INDICTED], SNAP_OPEN);
	assert_int_equal(c->stage[CS_TRIED], date_from_ymd(2025, 6, 10));
	assert_true(c->mobile_trial);
	/* lists that do not parse load as empty rather than failing the image */
	assert_int_equal(op_case_add(img, 8, 40, date_from_ymd(2025, 3, 1), "police", "inland", 0, 0, 1, 0, "[oops", NULL), 0);
	assert_true(img->cases[1].seized[SZ_HEROIN] == 0);

	assert_int_equal(op_hotspot_add(img, 1, 40, "use_venue", "karaoke", date_from_ymd(2025, 1, 10),
					"[{\"status\":\"active\",\"date\":\"2025-01-10\"},{\"status\":\"under_transformation\","
					"\"date\":\"2025-02-01\"},{\"status\":\"eliminated\",\"date\":\"2025-04-01\"}]"),
			 0);
	h = &img->hot[0];
	assert_int_equal(h->venue, 3); /* karaoke */
	assert_int_equal(op_hotspot_status(h, date_from_ymd(2025, 1, 9)), -1);
	assert_int_equal(op_hotspot_status(h, date_from_ymd(2025, 1, 10)), HS_ACTIVE);
	assert_int_equal(op_hotspot_status(h, date_from_ymd(2025, 2, 1)), HS_UNDER_TRANSFORMATION);
	assert_int_equal(op_hotspot_status(h, date_from_ymd(2025, 4, 1)), HS_ELIMINATED);

	assert_int_equal(op_pop_add(img, 1, 40, 2025, 5000), 0);
	assert_int_equal(op_pop_add(img, 2, 39, 2025, 7000), 0);
	assert_int_equal(op_pop_add(img, 3, 40, 2024, 4900), 0);
	op_image_finish(img);
	assert_true(op_population(img, 40, 2024, &pop));
	assert_int_equal(pop, 4900);
	assert_true(op_population(img, 39, 2025, &pop));
	assert_int_equal(pop, 7000);
	assert_false(op_population(img, 40, 2023, &pop));
	assert_false(op_population(NULL, 40, 2025, &pop));
	assert_int_equal(op_count(img, OPK_CASE), 2);
	assert_int_equal(op_item_ou(img, OPK_POP, 0), 39); /* sorted by org unit */
	assert_true(op_table("drug_case"));
	assert_true(op_table("ou_population"));
	assert_false(op_table("person"));
	assert_false(op_table("org_unit"));
	op_image_free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotspot_history),
		cmocka_unit_test(test_hotspot_fields),
		cmocka_unit_test(test_case_seizures),
		cmocka_unit_test(test_case_stages),
		cmocka_unit_test(test_case_fields),
		cmocka_unit_test(test_plant_sites),
		cmocka_unit_test(test_communication),
		cmocka_unit_test(test_populations),
		cmocka_unit_test(test_image),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
