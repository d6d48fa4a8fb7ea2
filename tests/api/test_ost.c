/* test_ost.c: the opioid substitution clinic over real HTTP (SQLite, and PostgreSQL under label pg):
 * prescriptions refused at the 31st day of maintenance and for the wrong facility or episode; doses
 * refused without a valid prescription (one ending the day before), a second time the same day,
 * above the prescription, differing without a reason -- each naming its field and writing nothing --
 * and a dose written with its stock movement; the queue with the 3rd and 5th missed day; take-home
 * eligibility and its cap; a guest dose seen by the home clinic; stock waste and the daily
 * reconciliation flagging a 1 mL difference; the clinic's records never edited. Today is 2025-06-15
 * (apitest.h). */
#include "apitest.h"
#include "util/date.h"

#include <math.h>
#include <time.h>

struct clinic {
	int64_t fac, fac2, hs; /* the clinic, a second clinic, a health station */
};

static int64_t fac(struct api_fx *f, const char *name, const char *kind, const char *ou)
{
	char b[300];

	snprintf(b, sizeof(b), "{\"name\": \"%s\", \"kind\": \"%s\", \"ou_id\": \"%s\"}", name, kind, ou);
	return api_create(f, "facilities", b);
}

static struct clinic setup_clinic(struct api_fx *f)
{
	struct clinic c;

	c.fac = fac(f, "Cơ sở điều trị Methadone Kỳ Sơn", "ost_point", "417");
	c.fac2 = fac(f, "Cơ sở điều trị Methadone Quế Phong", "ost_point", "415");
	c.hs = fac(f, "Trạm y tế xã Nậm Cắn", "health_station", "16837");
	return c;
}

static int64_t episode(struct api_fx *f, int64_t person, const char *kind, int64_t facility, const char *start)
{
	char b[300];

	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"%s\", \"facility_id\": %lld, \"start_date\": \"%s\","
		 " \"outcome\": \"ongoing\"}", (long long)person, kind, (long long)facility, start);
	return api_create(f, "treatments", b);
}

static void rx_body(char *b, size_t n, int64_t person, int64_t tx, int64_t facility, int mg, const char *phase,
		    const char *from, const char *to)
{
	snprintf(b, n, "{\"person_id\": %lld, \"treatment_id\": %lld, \"facility_id\": %lld, \"medicine\": \"methadone\","
		 " \"dose_mg\": %d, \"phase\": \"%s\", \"prescriber\": \"BS. Lữ Văn Pó\", \"valid_from\": \"%s\","
		 " \"valid_to\": \"%s\"}", (long long)person, (long long)tx, (long long)facility, mg, phase, from, to);
}

static int64_t rx(struct api_fx *f, int64_t person, int64_t tx, int64_t facility, int mg, const char *phase,
		  const char *from, const char *to)
{
	char b[600];

	rx_body(b, sizeof(b), person, tx, facility, mg, phase, from, to);
	return api_create(f, "prescriptions", b);
}

/* POST /api/v1/doses expecting 201; returns the answer (caller frees). */
static struct tl_resp dose(struct api_fx *f, const char *body)
{
	struct tl_resp r;

	assert_int_equal(tl_http(&f->srv, "POST", "/api/v1/doses", body, &r), 0);
	if (r.status != 201)
		fail_msg("POST /api/v1/doses %s: wanted 201, got %ld: %s", body, r.status, r.body);
	return r;
}

static void receipt(struct api_fx *f, int64_t facility, const char *ml)
{
	char b[300];

	snprintf(b, sizeof(b), "{\"facility_id\": %lld, \"move_date\": \"2025-06-01\", \"kind\": \"receipt\","
		 " \"volume_ml\": %s, \"mg_per_ml\": 10}", (long long)facility, ml);
	api_create(f, "stock_movements", b);
}

/* The queue entry of person in the answer, or NULL. */
static json_t *entry(json_t *q, int64_t person)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(q, "patients"), i, p)
		if (json_integer_value(json_object_get(p, "person_id")) == person)
			return p;
	return NULL;
}

static void test_prescriptions(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t p = api_person(f, "Lầu Bá Chò", "male", "1985-02-01", "16837");
	int64_t tx = episode(f, p, "methadone", c.fac, "2025-05-01");
	int64_t other = api_person(f, "Vi Văn Ba", "male", "1979-03-03", "16837");
	int64_t rehab = episode(f, p, "voluntary_facility", c.hs, "2025-01-01");
	char b[600];
	struct tl_resp r;

	/* 31 days of maintenance: refused on valid_to; 30 days pass */
	rx_body(b, sizeof(b), p, tx, c.fac, 80, "maintenance", "2025-06-01", "2025-07-01");
	r = api_refused_ex(f, "POST", "/api/v1/prescriptions", NULL, b, strlen(b), 422, "invalid", "valid_to");
	assert_non_null(strstr(r.body, "30 days"));
	tl_resp_free(&r);
	/* a dose-finding prescription is not capped by the maintenance rule */
	rx(f, p, tx, c.fac, 60, "dose_finding", "2025-05-01", "2025-06-05");
	rx(f, p, tx, c.fac, 80, "maintenance", "2025-06-01", "2025-06-30");
	/* at a health station */
	rx_body(b, sizeof(b), p, tx, c.hs, 80, "maintenance", "2025-06-01", "2025-06-30");
	api_refused(f, "POST", "/api/v1/prescriptions", b, 422, "invalid", "facility_id");
	/* an episode of another person, or not a substitution one */
	rx_body(b, sizeof(b), other, tx, c.fac, 80, "maintenance", "2025-06-01", "2025-06-30");
	api_refused(f, "POST", "/api/v1/prescriptions", b, 422, "invalid", "treatment_id");
	rx_body(b, sizeof(b), p, rehab, c.fac, 80, "maintenance", "2025-06-01", "2025-06-30");
	api_refused(f, "POST", "/api/v1/prescriptions", b, 422, "invalid", "treatment_id");
	/* buprenorphine on a methadone episode */
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"treatment_id\": %lld, \"facility_id\": %lld,"
		 " \"medicine\": \"buprenorphine\", \"dose_mg\": 8, \"phase\": \"maintenance\", \"prescriber\": \"BS. A\","
		 " \"valid_from\": \"2025-06-01\", \"valid_to\": \"2025-06-30\"}", (long long)p, (long long)tx,
		 (long long)c.fac);
	api_refused(f, "POST", "/api/v1/prescriptions", b, 422, "invalid", "medicine");
	/* before the episode started; an unknown field */
	rx_body(b, sizeof(b), p, tx, c.fac, 80, "induction", "2025-04-20", "2025-04-30");
	api_refused(f, "POST", "/api/v1/prescriptions", b, 422, "invalid", "valid_from");
	api_refused(f, "POST", "/api/v1/prescriptions", "{\"person_id\": 1, \"dose\": 3}", 422, "invalid", "dose");
	/* the record is never changed: a dose change is a new prescription */
	api_refused(f, "PATCH", "/api/v1/prescriptions/1", "{\"dose_mg\": 90}", 405, "method_not_allowed", NULL);
	api_refused(f, "DELETE", "/api/v1/prescriptions/1", NULL, 405, "method_not_allowed", NULL);
	/* listed with the generic API */
	snprintf(b, sizeof(b), "/api/v1/prescriptions?person_id=%lld", (long long)p);
	r = api_get(f, b, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 2);
	tl_resp_free(&r);
}

static void test_doses(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t a = api_person(f, "Xồng Bá Dế", "male", "1982-01-01", "16837");
	int64_t b2 = api_person(f, "Moong Văn Sơn", "male", "1988-08-08", "16822");
	int64_t none = api_person(f, "Lương Thị Hoa", "female", "1990-01-01", "16822");
	int64_t ta = episode(f, a, "methadone", c.fac, "2025-04-01");
	int64_t tb = episode(f, b2, "methadone", c.fac, "2025-04-01");
	char body[400];
	struct tl_resp r;
	json_t *d, *m;

	episode(f, none, "methadone", c.fac, "2025-04-01");
	/* a's prescription ended yesterday; the new one starts tomorrow */
	rx(f, a, ta, c.fac, 80, "maintenance", "2025-05-16", "2025-06-14");
	rx(f, a, ta, c.fac, 90, "maintenance", "2025-06-16", "2025-07-15");
	rx(f, b2, tb, c.fac, 90, "maintenance", "2025-06-01", "2025-06-30");
	snprintf(body, sizeof(body), "{\"person_id\": %lld}", (long long)a);
	r = api_refused_ex(f, "POST", "/api/v1/doses", NULL, body, strlen(body), 422, "invalid", "person_id");
	assert_non_null(strstr(r.body, "2025-06-14"));
	tl_resp_free(&r);
	/* a patient with no prescription at all */
	snprintf(body, sizeof(body), "{\"person_id\": %lld}", (long long)none);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "person_id");
	/* no methadone received at the clinic yet: the concentration is unknown */
	snprintf(body, sizeof(body), "{\"person_id\": %lld}", (long long)b2);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "mg_per_ml");
	receipt(f, c.fac, "1000");
	/* b's dose, pre-filled from the prescription: 90 mg, 9 mL out of stock, in one answer */
	r = dose(f, body);
	d = json_array_get(json_object_get(r.json, "doses"), 0);
	m = json_array_get(json_object_get(r.json, "stock_movements"), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "dose_mg")), 90);
	assert_string_equal(json_string_value(json_object_get(d, "dose_date")), API_TODAY);
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "witnessed");
	assert_int_equal(json_integer_value(json_object_get(m, "volume_ul")), 9000);
	assert_int_equal(json_integer_value(json_object_get(m, "dose_id")), json_integer_value(json_object_get(d, "id")));
	tl_resp_free(&r);
	/* a second dose the same day */
	api_refused(f, "POST", "/api/v1/doses", body, 409, "conflict", "dose_date");
	/* yesterday's dose entered late: above the prescription, then differing without a reason */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"dose_date\": \"2025-06-14\", \"dose_mg\": 95}", (long long)b2);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "dose_mg");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"dose_date\": \"2025-06-14\", \"dose_mg\": 70}", (long long)b2);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "reason");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"dose_date\": \"14/06/2025\", \"dose_mg\": 70,"
		 " \"reason\": \"vomited, dose split\"}", (long long)b2);
	r = dose(f, body);
	d = json_array_get(json_object_get(r.json, "doses"), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "dose_mg")), 70);
	assert_string_equal(json_string_value(json_object_get(d, "dose_date")), "2025-06-14");
	tl_resp_free(&r);
	/* a dose tomorrow; a take-home for a witnessed-only patient; unknown fields */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"dose_date\": \"2025-06-16\"}", (long long)b2);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "dose_date");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"dose_date\": \"2025-06-13\", \"days\": 2}", (long long)b2);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "days");
	api_refused(f, "POST", "/api/v1/doses", "{\"person_id\": 1, \"ml\": 3}", 422, "invalid", "ml");
	api_refused(f, "POST", "/api/v1/doses", "{\"dose_mg\": 3}", 422, "invalid", "person_id");
	api_refused(f, "POST", "/api/v1/doses", "{\"person_id\": 99999}", 422, "invalid", "person_id");
	/* nor imported from a file: a file could hold a dose above its prescription */
	{
		static const char *const csv[] = {"Content-Type: text/csv", NULL};
		static const char body_csv[] = "person_id,prescription_id,facility_id,home_facility_id,dose_date,dispensed_on,kind,dose_mg\n"
					       "1,1,1,1,2025-06-13,2025-06-13,witnessed,500\n";

		r = api_refused_ex(f, "POST", "/api/v1/imports?kind=doses", csv, body_csv, sizeof(body_csv) - 1, 422, "invalid",
				   "kind");
		tl_resp_free(&r);
	}
	/* doses and their movements are never edited */
	api_refused(f, "PUT", "/api/v1/doses/1", "{\"dose_mg\": 10}", 405, "method_not_allowed", NULL);
	api_refused(f, "DELETE", "/api/v1/stock_movements/1", NULL, 405, "method_not_allowed", NULL);
	assert_int_equal(api_count(f, "doses"), 2);
	assert_int_equal(api_count(f, "stock_movements"), 3);
}

/* d's doses on the given days of June 2025 (back-entered). */
static void june_doses(struct api_fx *f, int64_t person, int first, int last)
{
	char body[200];

	for (int day = first; day <= last; day++) {
		struct tl_resp r;

		snprintf(body, sizeof(body), "{\"person_id\": %lld, \"dose_date\": \"2025-06-%02d\"}", (long long)person, day);
		r = dose(f, body);
		tl_resp_free(&r);
	}
}

static void test_queue(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t a = api_person(f, "Lầu Bá Chò", "male", "1985-02-01", "16837");
	int64_t b2 = api_person(f, "Vừ Thị Mỷ", "female", "1991-05-05", "16822");
	int64_t gone = api_person(f, "Kha Văn Tình", "male", "1975-05-05", "16822");
	int64_t ta = episode(f, a, "methadone", c.fac, "2025-05-01");
	int64_t tb = episode(f, b2, "methadone", c.fac, "2025-05-01");
	int64_t tg = episode(f, gone, "methadone", c.fac, "2025-05-01");
	char path[200];
	struct tl_resp r;
	json_t *e;

	receipt(f, c.fac, "2000");
	rx(f, a, ta, c.fac, 80, "maintenance", "2025-06-01", "2025-06-30");
	rx(f, b2, tb, c.fac, 60, "maintenance", "2025-06-01", "2025-06-30");
	rx(f, gone, tg, c.fac, 60, "maintenance", "2025-05-15", "2025-06-13"); /* not due today */
	june_doses(f, a, 1, 11); /* a missed the 12th, 13th, 14th */
	june_doses(f, b2, 1, 15);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)c.fac);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "summary"), "due")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "summary"), "dosed")), 1);
	assert_null(entry(r.json, gone));
	e = entry(r.json, a);
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "missed_days")), 3); /* the 3rd missed day */
	assert_string_equal(json_string_value(json_object_get(e, "alert")), "alert");
	assert_true(json_is_null(json_object_get(e, "dosed")));
	assert_string_equal(json_string_value(json_object_get(e, "last_dose")), "2025-06-11");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "prescription"), "dose_mg")), 80);
	/* not yet dosed first */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r.json, "patients"), 0),
							      "person_id")), a);
	e = entry(r.json, b2);
	assert_int_equal(json_integer_value(json_object_get(e, "missed_days")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "dosed"), "kind")), "witnessed");
	tl_resp_free(&r);
	/* the day before: 2 missed days, no alert yet */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&date=2025-06-14", (long long)c.fac);
	r = api_get(f, path, 200);
	e = entry(r.json, a);
	assert_int_equal(json_integer_value(json_object_get(e, "missed_days")), 2);
	assert_string_equal(json_string_value(json_object_get(e, "alert")), "none");
	tl_resp_free(&r);
	/* two days on: the 5th missed day escalates */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&date=2025-06-17", (long long)c.fac);
	r = api_get(f, path, 200);
	e = entry(r.json, a);
	assert_int_equal(json_integer_value(json_object_get(e, "missed_days")), 5);
	assert_string_equal(json_string_value(json_object_get(e, "alert")), "escalate");
	tl_resp_free(&r);
	/* beyond the week the queue reads at once: a last dose 11 days ago (found by asking further back),
	 * and a patient who stopped coming in May: review, the streak counted up to the rulebook's 30 */
	{
		int64_t d = api_person(f, "Xồng Bá Dế", "male", "1982-01-01", "16837");
		int64_t td = episode(f, d, "methadone", c.fac, "2025-04-01");
		int64_t g = api_person(f, "Moong Văn Sơn", "male", "1988-08-08", "16822");
		int64_t tg2 = episode(f, g, "methadone", c.fac, "2025-04-01");

		rx(f, d, td, c.fac, 70, "maintenance", "2025-06-01", "2025-06-30");
		june_doses(f, d, 1, 4);
		rx(f, g, tg2, c.fac, 70, "maintenance", "2025-05-01", "2025-05-30");
		rx(f, g, tg2, c.fac, 70, "maintenance", "2025-05-31", "2025-06-29");
		snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)c.fac);
		r = api_get(f, path, 200);
		e = entry(r.json, d);
		assert_int_equal(json_integer_value(json_object_get(e, "missed_days")), 10);
		assert_string_equal(json_string_value(json_object_get(e, "last_dose")), "2025-06-04");
		assert_string_equal(json_string_value(json_object_get(e, "alert")), "escalate");
		e = entry(r.json, g);
		assert_int_equal(json_integer_value(json_object_get(e, "missed_days")), 30);
		assert_true(json_is_null(json_object_get(e, "last_dose")));
		assert_string_equal(json_string_value(json_object_get(e, "alert")), "review");
		assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "summary"), "review")), 1);
		tl_resp_free(&r);
	}
	/* search without accents, by id */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&q=vu%%20my", (long long)c.fac);
	r = api_get(f, path, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "patients")), 1);
	assert_non_null(entry(r.json, b2));
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&q=%lld", (long long)c.fac, (long long)a);
	r = api_get(f, path, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "patients")), 1);
	tl_resp_free(&r);
	/* a health station has no queue; bad parameters */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)c.hs);
	r = api_get(f, path, 422);
	assert_string_equal(tl_err_field(&r), "facility");
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/mat/queue", 422);
	assert_string_equal(tl_err_field(&r), "facility");
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&date=2025-02-30", (long long)c.fac);
	r = api_get(f, path, 422);
	assert_string_equal(tl_err_field(&r), "date");
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/mat/queue?facility=1&when=now", 400);
	tl_resp_free(&r);
}

static void test_take_home_and_guest(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t a = api_person(f, "Lầu Bá Chò", "male", "1985-02-01", "16837");
	int64_t n = api_person(f, "Hoa Văn Mới", "male", "1995-02-01", "16837");
	int64_t ta = episode(f, a, "methadone", c.fac, "2024-11-01");
	int64_t tn = episode(f, n, "methadone", c.fac, "2025-04-01");
	char body[400], path[200];
	struct tl_resp r;
	int32_t d;

	receipt(f, c.fac, "1000");
	receipt(f, c.fac2, "500");
	/* a: maintenance in 30-day prescriptions from 2024-12-15, unbroken to 2025-07-12 */
	d = date_from_ymd(2024, 12, 15);
	for (int i = 0; i < 7; i++, d += 30) {
		char from[DATE_BUFSZ], to[DATE_BUFSZ];

		rx(f, a, ta, c.fac, 80, "maintenance", date_format(d, from), date_format(d + 29, to));
	}
	/* n: maintenance for two months only */
	rx(f, n, tn, c.fac, 70, "maintenance", "2025-04-20", "2025-05-19");
	rx(f, n, tn, c.fac, 70, "maintenance", "2025-05-20", "2025-06-18");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"take_home\", \"days\": 3}", (long long)n);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "kind");
	/* the cap: 8 days refused, 7 given (the rulebook's take-home maximum) */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"take_home\", \"days\": 8}", (long long)a);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "days");
	/* a positive test in the last 3 months makes a ineligible */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"test_date\": \"2025-04-01\", \"kind\": \"sudden\","
		 " \"result\": \"positive\"}", (long long)a);
	int64_t t = api_create(f, "tests", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"take_home\", \"days\": 7}", (long long)a);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "kind");
	snprintf(path, sizeof(path), "/api/v1/tests/%lld", (long long)t);
	assert_int_equal(tl_http(&f->srv, "DELETE", path, NULL, &r), 0);
	assert_int_equal(r.status, 204);
	tl_resp_free(&r);
	r = dose(f, body);
	assert_int_equal(json_array_size(json_object_get(r.json, "doses")), 7);
	assert_int_equal(json_array_size(json_object_get(r.json, "stock_movements")), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "doses"), 6), "dose_date")),
			    "2025-06-21");
	tl_resp_free(&r);
	/* the doses taken home count for their days: nothing missed on the 21st, due again on the 22nd */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&date=2025-06-21", (long long)c.fac);
	r = api_get(f, path, 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(entry(r.json, a), "dosed"), "kind")),
			    "take_home");
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&date=2025-06-22", (long long)c.fac);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(entry(r.json, a), "missed_days")), 0);
	assert_true(json_is_null(json_object_get(entry(r.json, a), "dosed")));
	tl_resp_free(&r);
	/* a guest dose for n at the other clinic, seen by the home clinic */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"guest\"}", (long long)n);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "facility_id");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"guest\", \"facility_id\": %lld}", (long long)n,
		 (long long)c.fac);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "facility_id");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"facility_id\": %lld}", (long long)n, (long long)c.fac2);
	api_refused(f, "POST", "/api/v1/doses", body, 422, "invalid", "kind");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"guest\", \"facility_id\": %lld}", (long long)n,
		 (long long)c.fac2);
	r = dose(f, body);
	/* the stock it came from is the guest clinic's */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r.json, "stock_movements"), 0),
							      "facility_id")), c.fac2);
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)c.fac);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(entry(r.json, n), "dosed"), "facility_id")),
			 c.fac2);
	tl_resp_free(&r);
}

static void test_stock(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t a = api_person(f, "Lầu Bá Chò", "male", "1985-02-01", "16837");
	int64_t ta = episode(f, a, "methadone", c.fac, "2025-05-01");
	char body[400], path[200];
	struct tl_resp r;

	rx(f, a, ta, c.fac, 85, "maintenance", "2025-06-01", "2025-06-30");
	/* 2025-06-14: received 500 mL, counted 500 mL in the evening */
	snprintf(body, sizeof(body), "{\"facility_id\": %lld, \"move_date\": \"2025-06-14\", \"kind\": \"receipt\","
		 " \"volume_ml\": 500, \"mg_per_ml\": 10}", (long long)c.fac);
	api_create(f, "stock_movements", body);
	snprintf(body, sizeof(body), "{\"facility_id\": %lld, \"day\": \"2025-06-14\", \"counted_ml\": 500}", (long long)c.fac);
	assert_int_equal(tl_http(&f->srv, "POST", "/api/v1/reconciliations", body, &r), 0);
	assert_int_equal(r.status, 201);
	assert_int_equal(json_integer_value(json_object_get(r.json, "expected_ul")), 500000);
	assert_true(json_is_false(json_object_get(r.json, "flagged")));
	tl_resp_free(&r);
	/* today: an 85 mg dose (8.5 mL), 1.5 mL wasted with its reason */
	snprintf(body, sizeof(body), "{\"person_id\": %lld}", (long long)a);
	r = dose(f, body);
	tl_resp_free(&r);
	snprintf(body, sizeof(body), "{\"facility_id\": %lld, \"move_date\": \"2025-06-15\", \"kind\": \"waste\","
		 " \"volume_ml\": 1.5, \"mg_per_ml\": 10}", (long long)c.fac);
	api_refused(f, "POST", "/api/v1/stock_movements", body, 422, "invalid", "reason");
	snprintf(body, sizeof(body), "{\"facility_id\": %lld, \"move_date\": \"2025-06-15\", \"kind\": \"dispensed\","
		 " \"volume_ul\": 1500, \"mg_per_ml\": 10}", (long long)c.fac);
	api_refused(f, "POST", "/api/v1/stock_movements", body, 422, "invalid", NULL);
	snprintf(body, sizeof(body), "{\"facility_id\": %lld, \"move_date\": \"2025-06-15\", \"kind\": \"waste\","
		 " \"volume_ml\": 1.5, \"mg_per_ml\": 10, \"reason\": \"spilled at the counter\"}", (long long)c.fac);
	api_create(f, "stock_movements", body);
	snprintf(path, sizeof(path), "/api/v1/mat/stock?facility=%lld&date=2025-06-15", (long long)c.fac);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "opening_ul")), 500000);
	assert_int_equal(json_integer_value(json_object_get(r.json, "dispensed_ul")), 8500);
	assert_int_equal(json_integer_value(json_object_get(r.json, "waste_ul")), 1500);
	assert_int_equal(json_integer_value(json_object_get(r.json, "expected_closing_ul")), 490000);
	assert_true(json_is_null(json_object_get(r.json, "reconciliation")));
	tl_resp_free(&r);
	/* counted 489 mL: 1 mL short, flagged */
	snprintf(body, sizeof(body), "{\"facility_id\": %lld}", (long long)c.fac);
	api_refused(f, "POST", "/api/v1/reconciliations", body, 422, "invalid", "counted_ul");
	snprintf(body, sizeof(body), "{\"facility_id\": %lld, \"counted_ml\": 489, \"expected_ul\": 489000}", (long long)c.fac);
	api_refused(f, "POST", "/api/v1/reconciliations", body, 422, "invalid", "expected_ul");
	snprintf(body, sizeof(body), "{\"facility_id\": %lld, \"counted_ml\": 489, \"counted_by\": \"DS. Hà\"}", (long long)c.fac);
	assert_int_equal(tl_http(&f->srv, "POST", "/api/v1/reconciliations", body, &r), 0);
	assert_int_equal(r.status, 201);
	assert_int_equal(json_integer_value(json_object_get(r.json, "opening_ul")), 500000);
	assert_int_equal(json_integer_value(json_object_get(r.json, "expected_ul")), 490000);
	assert_int_equal(json_integer_value(json_object_get(r.json, "difference_ul")), -1000);
	assert_true(json_is_true(json_object_get(r.json, "flagged")));
	tl_resp_free(&r);
	api_refused(f, "POST", "/api/v1/reconciliations", body, 409, "conflict", "day");
	r = api_get(f, "/api/v1/reconciliations?flagged=true", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/mat/stock?facility=%lld", (long long)c.fac);
	r = api_get(f, path, 200);
	assert_true(json_is_true(json_object_get(json_object_get(r.json, "reconciliation"), "flagged")));
	tl_resp_free(&r);
}

/* The clinic's indicators through GET /api/v1/indicators answer each dose at once (the live snapshot
 * reloads the patient named by the change log): June 2025 up to today, the 15th. */
static double missed_pct(struct api_fx *f)
{
	struct tl_resp r = api_get(f, "/api/v1/indicators?plan=OST-1/KH&period=2025-06", 200);
	json_t *t = json_array_get(json_object_get(r.json, "targets"), 0), *u = json_array_get(json_object_get(t, "units"), 0);
	double v;

	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "indicator"), "code")), "ost_missed_dose_pct");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u, "measures"), "ost_dose_days_due")), 15);
	v = json_number_value(json_object_get(u, "value"));
	tl_resp_free(&r);
	return v;
}

static void test_indicators_real_time(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t a = api_person(f, "Lầu Bá Chò", "male", "1985-02-01", "16837");
	int64_t ta = episode(f, a, "methadone", c.fac, "2025-05-01");
	int64_t plan;
	char body[400];

	receipt(f, c.fac, "1000");
	rx(f, a, ta, c.fac, 80, "maintenance", "2025-06-01", "2025-06-30");
	plan = api_create(f, "plans", "{\"code\": \"OST-1/KH\", \"title\": \"Kế hoạch điều trị Methadone\", \"issuing_ou\": \"40\","
				      " \"scope_ou\": \"40\", \"period_from\": \"2025-01-01\", \"period_to\": \"2025-12-31\"}");
	snprintf(body, sizeof(body), "{\"plan_id\": %lld, \"indicator\": \"ost_missed_dose_pct\", \"comparator\": \"<=\","
		 " \"value\": 5, \"unit\": \"percent\", \"period_kind\": \"month\", \"deadline\": \"2025-12-31\"}", (long long)plan);
	api_create(f, "targets", body);
	assert_true(fabs(missed_pct(f) - 100.0) < 1e-9); /* 15 days due, none dosed */
	june_doses(f, a, 1, 10);
	assert_true(fabs(missed_pct(f) - 100.0 * 5 / 15) < 1e-5);
	june_doses(f, a, 11, 15);
	assert_true(fabs(missed_pct(f)) < 1e-9);
	/* the clinic's own figures */
	{
		char path[200];
		struct tl_resp r;

		snprintf(path, sizeof(path), "/api/v1/mat/indicators?facility=%lld&from=2025-06-01&to=2025-06-15", (long long)c.fac);
		r = api_get(f, path, 200);
		assert_int_equal(json_integer_value(json_object_get(r.json, "patients")), 1);
		assert_int_equal(json_integer_value(json_object_get(r.json, "dose_days_due")), 15);
		assert_int_equal(json_integer_value(json_object_get(r.json, "dose_days_missed")), 0);
		assert_true(json_number_value(json_object_get(r.json, "missed_dose_pct")) == 0);
		assert_true(json_is_null(json_object_get(json_object_get(r.json, "retention_6m"), "pct")));
		tl_resp_free(&r);
		snprintf(path, sizeof(path), "/api/v1/mat/indicators?facility=%lld&from=2025-06-16&to=2025-06-15", (long long)c.fac);
		r = api_get(f, path, 422);
		assert_string_equal(tl_err_field(&r), "from");
		tl_resp_free(&r);
	}
}

/* Roles and scope (docs/security.md): a health worker of Kỳ Sơn works the Kỳ Sơn clinic; one of Quế
 * Phong sees neither its queue nor its stock and cannot dose its patient; a viewer reaches none of
 * the clinic's routes; nobody without credentials does. */
static void test_roles_and_scope(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t a = api_person(f, "Lầu Bá Chò", "male", "1985-02-01", "16837");
	int64_t ta = episode(f, a, "methadone", c.fac, "2025-05-01");
	char ks[64], qp[64], viewer[64], path[200], body[200];
	struct tl_resp r;

	receipt(f, c.fac, "1000");
	rx(f, a, ta, c.fac, 80, "maintenance", "2025-06-01", "2025-06-30");
	tl_user(&f->srv, "ks_health", "health", "417", NULL, ks);
	tl_user(&f->srv, "qp_health", "health", "415", NULL, qp);
	tl_user(&f->srv, "viewer", "viewer", "40", NULL, viewer);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)c.fac);
	snprintf(body, sizeof(body), "{\"person_id\": %lld}", (long long)a);
	/* the viewer and the anonymous: no clinic route at all */
	assert_int_equal(tl_http_as(&f->srv, viewer, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 403);
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, viewer, "GET", "/api/v1/doses", NULL, &r), 0);
	assert_int_equal(r.status, 403);
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, NULL, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 401);
	tl_resp_free(&r);
	/* Quế Phong's health worker: the Kỳ Sơn clinic is not theirs, nor the patient */
	assert_int_equal(tl_http_as(&f->srv, qp, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "facility");
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, qp, "POST", "/api/v1/doses", body, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "person_id");
	tl_resp_free(&r);
	assert_int_equal(api_count(f, "doses"), 0);
	/* Kỳ Sơn's: the queue and the dose */
	assert_int_equal(tl_http_as(&f->srv, ks, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(entry(r.json, a));
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, ks, "POST", "/api/v1/doses", body, &r), 0);
	assert_int_equal(r.status, 201);
	tl_resp_free(&r);
	assert_int_equal(api_count(f, "doses"), 1);
}

/* Guest dosing across provinces: the home clinic (Kỳ Sơn, Nghệ An) authorises a clinic in Thanh Hóa for
 * three days; that clinic's health worker sees the patient in the queue's guests (name, prescription:
 * nothing else) and records a guest dose on an authorised day only; a health worker of a third
 * province (Sơn La) sees nothing; the home clinic sees the guest dose; every access is audited. */
static void test_guest_dosing(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t a = api_person(f, "Lầu Bá Chò", "male", "1985-02-01", "16837");
	int64_t ta = episode(f, a, "methadone", c.fac, "2025-05-01");
	int64_t th, sl, g;
	char ks[64], thw[64], slw[64], path[200], body[600];
	struct tl_resp r;
	json_t *e;

	api_create(f, "orgunits", "{\"code\": \"38\", \"name\": \"Thanh Hóa\", \"kind\": \"province\", \"parent_id\": \"VN\"}");
	api_create(f, "orgunits", "{\"code\": \"380\", \"name\": \"Thành phố Thanh Hóa\", \"kind\": \"district\", \"parent_id\": \"38\"}");
	api_create(f, "orgunits", "{\"code\": \"14\", \"name\": \"Sơn La\", \"kind\": \"province\", \"parent_id\": \"VN\"}");
	api_create(f, "orgunits", "{\"code\": \"116\", \"name\": \"Thành phố Sơn La\", \"kind\": \"district\", \"parent_id\": \"14\"}");
	th = fac(f, "Cơ sở điều trị Methadone Thanh Hóa", "ost_point", "380");
	sl = fac(f, "Cơ sở điều trị Methadone Sơn La", "ost_point", "116");
	receipt(f, c.fac, "1000");
	receipt(f, th, "1000");
	rx(f, a, ta, c.fac, 80, "maintenance", "2025-06-01", "2025-06-30");
	tl_user(&f->srv, "ks_health", "health", "417", NULL, ks);
	tl_user(&f->srv, "th_health", "health", "38", NULL, thw);
	tl_user(&f->srv, "sl_health", "health", "14", NULL, slw);

	/* before any authorisation Thanh Hóa's health worker cannot dose the patient, nor see them */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"guest\", \"facility_id\": %lld}", (long long)a,
		 (long long)th);
	assert_int_equal(tl_http_as(&f->srv, thw, "POST", "/api/v1/doses", body, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "person_id");
	tl_resp_free(&r);

	/* the authorisation: refusals name their field and write nothing */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"home_facility_id\": %lld, \"guest_facility_id\": %lld,"
		 " \"valid_from\": \"2025-06-14\", \"valid_to\": \"2025-07-14\", \"issued_by\": \"BS. Lữ Văn Pó\"}",
		 (long long)a, (long long)c.fac, (long long)th);
	api_refused(f, "POST", "/api/v1/guest_authorisations", body, 422, "invalid", "valid_to"); /* 31 days */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"home_facility_id\": %lld, \"guest_facility_id\": %lld,"
		 " \"valid_from\": \"2025-06-14\", \"valid_to\": \"2025-06-16\", \"issued_by\": \"BS. Lữ Văn Pó\"}",
		 (long long)a, (long long)c.fac, (long long)c.fac);
	api_refused(f, "POST", "/api/v1/guest_authorisations", body, 422, "invalid", "guest_facility_id");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"home_facility_id\": %lld, \"guest_facility_id\": %lld,"
		 " \"valid_from\": \"2025-05-14\", \"valid_to\": \"2025-05-16\", \"issued_by\": \"BS. Lữ Văn Pó\"}",
		 (long long)a, (long long)c.fac, (long long)th);
	api_refused(f, "POST", "/api/v1/guest_authorisations", body, 422, "invalid", "home_facility_id"); /* no rx then */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"home_facility_id\": %lld, \"guest_facility_id\": %lld,"
		 " \"valid_from\": \"2025-06-14\", \"valid_to\": \"2025-06-16\"}", (long long)a, (long long)c.fac, (long long)th);
	api_refused(f, "POST", "/api/v1/guest_authorisations", body, 422, "invalid", "issued_by");
	/* Thanh Hóa cannot authorise itself to dose a patient it does not see */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"home_facility_id\": %lld, \"guest_facility_id\": %lld,"
		 " \"valid_from\": \"2025-06-14\", \"valid_to\": \"2025-06-16\", \"issued_by\": \"BS. Lữ Văn Pó\"}",
		 (long long)a, (long long)c.fac, (long long)th);
	assert_int_equal(tl_http_as(&f->srv, thw, "POST", "/api/v1/guest_authorisations", body, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "person_id");
	tl_resp_free(&r);
	assert_int_equal(api_count(f, "guest_authorisations"), 0);
	/* the home clinic's health worker issues it: 14 to 16 June */
	assert_int_equal(tl_http_as(&f->srv, ks, "POST", "/api/v1/guest_authorisations", body, &r), 0);
	if (r.status != 201)
		fail_msg("guest authorisation: %ld %s", r.status, r.body);
	g = json_integer_value(json_object_get(r.json, "id"));
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, ks, "DELETE", "/api/v1/guest_authorisations/1", NULL, &r), 0);
	assert_int_equal(r.status, 405);
	tl_resp_free(&r);

	/* Thanh Hóa's queue: the guest, with only what dosing needs */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)th);
	assert_int_equal(tl_http_as(&f->srv, thw, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "patients")), 0);
	assert_int_equal(json_array_size(json_object_get(r.json, "guests")), 1);
	e = json_array_get(json_object_get(r.json, "guests"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "person_id")), a);
	assert_string_equal(json_string_value(json_object_get(e, "full_name")), "Lầu Bá Chò");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "prescription"), "dose_mg")), 80);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "authorisation"), "id")), g);
	assert_true(json_is_null(json_object_get(e, "dosed")));
	assert_null(json_object_get(e, "national_id"));
	assert_null(json_object_get(e, "dob"));
	tl_resp_free(&r);
	/* ... but not the patient's record, nor their doses or the authorisation through the lists */
	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)a);
	assert_int_equal(tl_http_as(&f->srv, thw, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 404);
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, thw, "GET", "/api/v1/guest_authorisations", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
	tl_resp_free(&r);
	/* the day after the authorisation ends: nobody */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&date=2025-06-17", (long long)th);
	assert_int_equal(tl_http_as(&f->srv, thw, "GET", path, NULL, &r), 0);
	assert_int_equal(json_array_size(json_object_get(r.json, "guests")), 0);
	tl_resp_free(&r);

	/* a guest dose on a day outside the authorisation: refused, nothing written */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"guest\", \"facility_id\": %lld,"
		 " \"dose_date\": \"2025-06-13\"}", (long long)a, (long long)th);
	assert_int_equal(tl_http_as(&f->srv, thw, "POST", "/api/v1/doses", body, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "dose_date");
	tl_resp_free(&r);
	/* not marked guest: refused as for any other patient the worker does not see */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"facility_id\": %lld}", (long long)a, (long long)th);
	assert_int_equal(tl_http_as(&f->srv, thw, "POST", "/api/v1/doses", body, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "person_id");
	tl_resp_free(&r);
	assert_int_equal(api_count(f, "doses"), 0);

	/* Sơn La's health worker: nothing, neither at their clinic nor by dosing at it */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)sl);
	assert_int_equal(tl_http_as(&f->srv, slw, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "guests")), 0);
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)th);
	assert_int_equal(tl_http_as(&f->srv, slw, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 422); /* not their clinic */
	assert_string_equal(tl_err_field(&r), "facility");
	tl_resp_free(&r);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"guest\", \"facility_id\": %lld}", (long long)a,
		 (long long)sl);
	assert_int_equal(tl_http_as(&f->srv, slw, "POST", "/api/v1/doses", body, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "person_id");
	tl_resp_free(&r);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"guest\", \"facility_id\": %lld}", (long long)a,
		 (long long)th);
	assert_int_equal(tl_http_as(&f->srv, slw, "POST", "/api/v1/doses", body, &r), 0);
	assert_int_equal(r.status, 422);
	assert_string_equal(tl_err_field(&r), "facility_id");
	tl_resp_free(&r);
	assert_int_equal(api_count(f, "doses"), 0);

	/* Thanh Hóa doses today (15 June, inside the authorisation) */
	assert_int_equal(tl_http_as(&f->srv, thw, "POST", "/api/v1/doses", body, &r), 0);
	if (r.status != 201)
		fail_msg("guest dose: %ld %s", r.status, r.body);
	assert_int_equal(json_integer_value(json_object_get(r.json, "guest_authorisation")), g);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "doses"), 0), "kind")),
			    "guest");
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, thw, "POST", "/api/v1/doses", body, &r), 0);
	assert_int_equal(r.status, 409); /* a second the same day */
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)th);
	assert_int_equal(tl_http_as(&f->srv, thw, "GET", path, NULL, &r), 0);
	e = json_array_get(json_object_get(r.json, "guests"), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "dosed"), "facility_id")), th);
	tl_resp_free(&r);

	/* the home clinic sees the guest dose */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)c.fac);
	assert_int_equal(tl_http_as(&f->srv, ks, "GET", path, NULL, &r), 0);
	e = entry(r.json, a);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "dosed"), "kind")), "guest");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "dosed"), "facility_id")), th);
	tl_resp_free(&r);

	/* every access audited: the guest read and the guest dose name the patient (reads go through the
	 * batch writer, which commits within 100 ms: poll a little) */
	{
		char read[64], dosed[96];
		int found = 0;

		snprintf(read, sizeof(read), "guests=%lld", (long long)a);
		snprintf(dosed, sizeof(dosed), "guest_authorisation=%lld person=%lld", (long long)g, (long long)a);
		for (int tries = 0; tries < 50 && !found; tries++) {
			struct timespec ts = {0, 100000000L};

			nanosleep(&ts, NULL);
			assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/audit?user=th_health&limit=100", NULL, &r), 0);
			assert_int_equal(r.status, 200);
			found = strstr(r.body, read) && strstr(r.body, dosed);
			tl_resp_free(&r);
		}
		assert_true(found);
	}
}

/* A database seeded before the clinic's rules: the queue says which rule is missing and how to get it
 * (503, not a bare 500); `pcmt serve` opening the database adds the built-in rows it lacks. */
static void test_rules_missing(void **state)
{
	struct api_fx *f = *state;
	struct clinic c = setup_clinic(f);
	int64_t a = api_person(f, "Lầu Bá Chò", "male", "1985-02-01", "16837");
	int64_t ta = episode(f, a, "methadone", c.fac, "2025-05-01");
	struct pcmt_err err;
	struct store *s;
	char path[200];
	struct tl_resp r;

	rx(f, a, ta, c.fac, 80, "maintenance", "2025-06-01", "2025-06-30");
	err_clear(&err);
	assert_non_null(s = store_open(f->tmp.db, &err));
	assert_int_equal(s->ops->sql(s, "DELETE FROM rule WHERE code LIKE 'ost.missed_dose.%'", 0, NULL, NULL, NULL, NULL,
				     &err), 0);
	store_close(s);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)c.fac);
	r = api_get(f, path, 503);
	assert_string_equal(tl_err_code(&r), "unavailable");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")),
			       "ost.missed_dose."));
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")),
			       "pcmt migrate"));
	tl_resp_free(&r);
	tl_server_stop(&f->srv, 0);
	assert_int_equal(tl_server_start(&f->srv, f->tmp.db, "PCMT_TODAY=" API_TODAY), 0);
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld", (long long)c.fac);
	r = api_get(f, path, 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "rules"), "alert_days")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "summary"), "due")), 1);
	tl_resp_free(&r);
	/* a date before the clinic's rules took effect is the caller's date, named */
	snprintf(path, sizeof(path), "/api/v1/mat/queue?facility=%lld&date=1999-12-31", (long long)c.fac);
	r = api_get(f, path, 422);
	assert_string_equal(tl_err_field(&r), "date");
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prescriptions, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_doses, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_queue, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_take_home_and_guest, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_stock, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_indicators_real_time, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_roles_and_scope, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_rules_missing, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_guest_dosing, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
