/* test_import.c: POST /api/v1/imports over real HTTP: a CSV upload answers its counts, a file with
 * a bad row answers 422 with the rows named and writes nothing, ?partial=1 takes the good rows,
 * ?errors=file gives the file back with its error columns, the same file again changes nothing, and
 * bad requests (no kind, an unknown kind, an empty or oversized body, a truncated xlsx) are refused
 * with the error shape and nothing written. */
#include "apitest.h"

#include <unistd.h>

static const char persons_csv[] =
	"H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan;Gi\xe1\xbb\x9bi t\xc3\xadnh;Ng\xc3\xa0y sinh;N\xc6\xa1i c\xc6\xb0 tr\xc3\xba (x\xc3\xa3/ph\xc6\xb0\xe1\xbb\x9dng);S\xe1\xbb\x91 \xc4\x91\xe1\xbb\x8bnh danh/CCCD\n"
	"Nguy\xe1\xbb\x85n V\xc4\x83n A;Nam;01/02/1990;16837;040090001234\n"
	"L\xe1\xbb\xaf Th\xe1\xbb\x8b B;N\xe1\xbb\xaf;05/09/1988;16822;040188000111\n"
	"Vi V\xc4\x83n C;Nam;01/02/1990;999;\n";

static const char *const csv_type[] = {"Content-Type: text/csv", NULL};

static struct tl_resp post(struct api_fx *f, const char *path, const char *body, size_t len)
{
	struct tl_resp r;

	assert_int_equal(tl_http_ex(&f->srv, "POST", path, csv_type, body, len, &r), 0);
	return r;
}

static void upload(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *e;

	/* one bad row (no org unit 999): 422, every bad row named, nothing written */
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=persons", csv_type, persons_csv, sizeof(persons_csv) - 1, 422,
			   "invalid", NULL);
	assert_int_equal(json_integer_value(json_object_get(r.json, "rows")), 3);
	assert_int_equal(json_integer_value(json_object_get(r.json, "failed")), 1);
	assert_false(json_is_true(json_object_get(r.json, "written")));
	e = json_array_get(json_object_get(r.json, "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "row")), 4);
	assert_non_null(strstr(json_string_value(json_object_get(e, "field")), "residence_ou"));
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "999"));
	tl_resp_free(&r);

	/* the annotated file instead of JSON */
	r = post(f, "/api/v1/imports?kind=persons&errors=file", persons_csv, sizeof(persons_csv) - 1);
	assert_int_equal(r.status, 422);
	assert_null(r.json);
	assert_non_null(strstr(r.body, "Vi V\xc4\x83n C,Nam,01/02/1990,999,,4,"));
	assert_int_equal(api_count(f, "persons"), 0);
	tl_resp_free(&r);

	/* partial: the two good rows */
	r = post(f, "/api/v1/imports?kind=persons&partial=1", persons_csv, sizeof(persons_csv) - 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "inserted")), 2);
	assert_true(json_is_true(json_object_get(r.json, "written")));
	assert_int_equal(api_count(f, "persons"), 2);
	tl_resp_free(&r);
	/* the records the API serves, NFC and ISO */
	r = api_get(f, "/api/v1/persons?national_id=040188000111", 200);
	e = json_array_get(json_object_get(r.json, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "dob")), "1988-09-05");
	assert_string_equal(json_string_value(json_object_get(e, "sex")), "female");
	tl_resp_free(&r);

	/* again: unchanged */
	r = post(f, "/api/v1/imports?kind=persons&partial=1", persons_csv, sizeof(persons_csv) - 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "inserted")), 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "skipped")), 2);
	assert_int_equal(api_count(f, "persons"), 2);
	tl_resp_free(&r);

	/* tests for them, all good: 200 */
	{
		static const char tests_csv[] = "national_id,test_date,kind,result\n040090001234,2025-06-01,periodic,negative\n";

		r = post(f, "/api/v1/imports?kind=tests", tests_csv, sizeof(tests_csv) - 1);
		assert_int_equal(r.status, 200);
		assert_int_equal(json_integer_value(json_object_get(r.json, "inserted")), 1);
		assert_int_equal(json_integer_value(json_object_get(r.json, "failed")), 0);
		tl_resp_free(&r);
		assert_int_equal(api_count(f, "tests"), 1);
	}
}

static void refused(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	static const char pk[] = "PK\x03\x04\x14\x00\x00\x00\x08\x00garbage";
	const char *const big[] = {"Content-Type: text/csv", "Content-Length: 67108865", NULL};

	r = api_refused_ex(f, "POST", "/api/v1/imports", csv_type, persons_csv, 10, 400, "bad_request", "kind");
	tl_resp_free(&r);
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=shoes", csv_type, persons_csv, 10, 400, "bad_request", "kind");
	tl_resp_free(&r);
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=persons", csv_type, "", 0, 400, "bad_request", NULL);
	tl_resp_free(&r);
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=persons&partial=maybe", csv_type, persons_csv, 10, 400,
			   "bad_request", "partial");
	tl_resp_free(&r);
	/* a header that names no field: the whole file */
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=persons", csv_type, "full_name,shoe\nA,42\n", 20, 422, "invalid",
			   "shoe");
	tl_resp_free(&r);
	/* a cut-off workbook */
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=persons", csv_type, pk, sizeof(pk) - 1, 422, "invalid", "file");
	assert_non_null(strstr(r.body, "cut short or damaged"));
	tl_resp_free(&r);
	/* over the upload cap: refused on its Content-Length, before the body */
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=persons", big, "x", 1, 413, "too_large", NULL);
	tl_resp_free(&r);
	/* the upload cap is the import route's only: other routes keep 1 MiB */
	r = api_refused_ex(f, "GET", "/api/v1/imports", NULL, NULL, 0, 405, "method_not_allowed", NULL);
	tl_resp_free(&r);
}

/* Who may import what: the entity's write roles; a district officer only inside the district; an
 * import is in the audit log with its counts. */
static void roles_and_scope(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	char viewer[64], health[64], qp[64], hdr[100];
	const char *h[3] = {"Content-Type: text/csv", hdr, NULL};
	static const char tests_csv[] = "national_id,test_date,kind,result\n040090001234,2025-06-01,periodic,negative\n";
	static const char qp_csv[] = "full_name,sex,residence_ou\nX,male,16837\nY,male,16756\n";

	r = post(f, "/api/v1/imports?kind=persons&partial=1", persons_csv, sizeof(persons_csv) - 1);
	assert_int_equal(r.status, 200);
	tl_resp_free(&r);
	tl_user(&f->srv, "v1", "viewer", "40", NULL, viewer);
	tl_user(&f->srv, "h1", "health", "417", NULL, health);
	tl_user(&f->srv, "qp", "district", "415", NULL, qp);

	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", viewer);
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=tests", h, tests_csv, sizeof(tests_csv) - 1, 403, "forbidden", NULL);
	tl_resp_free(&r);
	/* health workers write tests, not persons */
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", health);
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=persons", h, qp_csv, sizeof(qp_csv) - 1, 403, "forbidden", "kind");
	tl_resp_free(&r);
	assert_int_equal(tl_http_ex(&f->srv, "POST", "/api/v1/imports?kind=tests", h, tests_csv, sizeof(tests_csv) - 1, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "inserted")), 1);
	tl_resp_free(&r);
	/* Que Phong's officer: a person in Ky Son is out of reach, one in Que Phong is written */
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", qp);
	r = api_refused_ex(f, "POST", "/api/v1/imports?kind=persons", h, qp_csv, sizeof(qp_csv) - 1, 422, "invalid", NULL);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r.json, "errors"), 0), "row")), 2);
	tl_resp_free(&r);
	assert_int_equal(tl_http_ex(&f->srv, "POST", "/api/v1/imports?kind=persons&partial=1", h, qp_csv, sizeof(qp_csv) - 1, &r), 0);
	if (r.status != 200 || json_integer_value(json_object_get(r.json, "inserted")) != 1)
		fail_msg("partial import as Que Phong: %ld %s", r.status, r.body);
	tl_resp_free(&r);
	r = api_get(f, "/api/v1/persons?limit=100", 200);
	if (json_integer_value(json_object_get(r.json, "total")) != 3)
		fail_msg("persons: %s", r.body);
	tl_resp_free(&r);
	/* the audit log has the imports (its writer thread appends within about 100 ms) */
	for (int i = 0;; i++) {
		r = api_get(f, "/api/v1/audit?action=import", 200);
		if (strstr(r.body, "\"kind=tests") || strstr(r.body, "inserted=1"))
			break;
		if (i == 50)
			fail_msg("no import in the audit log: %s", r.body);
		tl_resp_free(&r);
		usleep(100000);
	}
	if (!strstr(r.body, "inserted=1"))
		fail_msg("audit: %s", r.body);
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(upload, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(refused, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(roles_and_scope, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
