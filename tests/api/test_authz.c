/* test_authz.c: every role against every person-level endpoint, table-driven, on a record inside the
 * caller's subtree (a household in Nậm Cắn, Kỳ Sơn, Nghệ An) and one outside it (another province):
 * the route table's roles decide 200/201 against 403; out of scope is 404 with the very body of an
 * id that never existed, and leaks nothing in lists, totals, searches, duplicate warnings, a
 * national-ID conflict, drug-free answers or error messages; viewers get aggregates and never a name;
 * a health worker's timeline has no classifications or management records; the audit log records
 * who read whom and is for admins only. */
#include <time.h>

#include "apitest.h"

enum { N_ENT = 7 };

static const char *const ents[N_ENT] = {"persons", "classifications", "records", "tests", "determinations", "treatments",
					 "support"};

struct side {
	int64_t id[N_ENT]; /* one record of each entity, ents[] order */
};

struct fx {
	struct api_fx *f;
	struct side in, out;
	char tok[6][64]; /* roles[] order */
};

static const struct {
	const char *role, *ou;
	int read, write; /* bit i: may read / write ents[i] */
} roles[] = {
	{"admin", NULL, 0x7f, 0x7f},
	{"province", "40", 0x7f, 0x7f},
	{"district", "417", 0x7f, 0x7f},
	{"commune", "16837", 0x7f, 0x7f},
	/* persons (read), tests, determinations, treatments, support */
	{"health", "417", 0x79, 0x78},
	{"viewer", "40", 0, 0},
};
enum { N_ROLES = sizeof(roles) / sizeof(roles[0]) };

static int64_t post(struct api_fx *f, const char *path, const char *body)
{
	struct tl_resp r;
	int64_t id;

	assert_int_equal(tl_http(&f->srv, "POST", path, body, &r), 0);
	if (r.status != 201)
		fail_msg("POST %s %s: %ld %s", path, body, r.status, r.body);
	id = json_integer_value(json_object_get(r.json, "id"));
	tl_resp_free(&r);
	return id;
}

/* A person with one record of every kind, as the admin. */
static void household(struct api_fx *f, struct side *s, const char *name, const char *commune, const char *nid,
		      int64_t fac)
{
	char b[400];
	long long p;

	snprintf(b, sizeof(b), "{\"full_name\": \"%s\", \"sex\": \"male\", \"dob\": \"1990-03-04\", \"residence_ou\": \"%s\","
		 " \"national_id\": \"%s\"}", name, commune, nid);
	p = s->id[0] = post(f, "/api/v1/persons", b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2024-01-01\"}", p);
	s->id[1] = post(f, "/api/v1/classifications", b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"addict\", \"opened\": \"2024-01-02\", \"managing_ou\": \"%s\"}",
		 p, commune);
	s->id[2] = post(f, "/api/v1/records", b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"test_date\": \"2025-05-01\", \"kind\": \"periodic\", \"result\": "
		 "\"positive\"}", p);
	s->id[3] = post(f, "/api/v1/tests", b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"det_date\": \"2023-12-15\", \"facility_id\": %lld, \"result\": "
		 "\"addicted\", \"substance_group\": \"opioids\"}", p, (long long)fac);
	s->id[4] = post(f, "/api/v1/determinations", b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"voluntary_community\", \"start_date\": \"2024-02-01\","
		 " \"outcome\": \"ongoing\"}", p);
	s->id[5] = post(f, "/api/v1/treatments", b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"counselling\", \"support_date\": \"2024-03-01\"}", p);
	s->id[6] = post(f, "/api/v1/support", b);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct api_fx *f;
	int64_t fac;

	if (!x || api_setup((void **)&f))
		return -1;
	x->f = f;
	/* another province, wholly outside every non-admin user here */
	post(f, "/api/v1/orgunits", "{\"code\": \"42\", \"name\": \"Tỉnh Hà Tĩnh\", \"kind\": \"province\", \"parent_id\": \"VN\"}");
	post(f, "/api/v1/orgunits", "{\"code\": \"436\", \"name\": \"Huyện Hương Sơn\", \"kind\": \"district\", \"parent_id\": \"42\"}");
	post(f, "/api/v1/orgunits", "{\"code\": \"18001\", \"name\": \"Xã Sơn Hồng\", \"kind\": \"commune\", \"parent_id\": \"436\"}");
	fac = post(f, "/api/v1/facilities", "{\"name\": \"Trạm Y tế xã Nậm Cắn\", \"kind\": \"health_station\", \"ou_id\": \"16837\"}");
	household(f, &x->in, "Lầu Bá Yankee", "16837", "040090001234", fac);
	household(f, &x->out, "Hồ Thị Zulu", "18001", "042090005678", fac);
	for (int i = 0; i < N_ROLES; i++) {
		char name[32];

		snprintf(name, sizeof(name), "u-%s", roles[i].role);
		tl_user(&f->srv, name, roles[i].role, roles[i].ou, NULL, x->tok[i]);
	}
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	void *f = x->f;

	api_teardown(&f);
	free(x);
	return 0;
}

static int has_id(const struct tl_resp *r, int64_t id)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(r->json, "items"), i, it)
		if (json_integer_value(json_object_get(it, "id")) == id)
			return 1;
	return 0;
}

/* Bodies equal once the id the caller sent is put back in place of the never-used one. */
static void same_but_id(const struct tl_resp *got, const struct tl_resp *never, int64_t id)
{
	char want[512], idtxt[24];
	const char *p = strstr(never->body, "900000000");

	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)id);
	if (p)
		snprintf(want, sizeof(want), "%.*s%s%s", (int)(p - never->body), never->body, idtxt, p + 9);
	else
		snprintf(want, sizeof(want), "%s", never->body);
	assert_string_equal(got->body, want);
}

static struct tl_resp as(struct fx *x, int role, const char *method, const char *path, const char *body)
{
	struct tl_resp r;

	assert_int_equal(tl_http_as(&x->f->srv, x->tok[role], method, path, body, &r), 0);
	return r;
}

static void want(const struct tl_resp *r, long status, const char *what)
{
	if (r->status != status)
		fail_msg("%s: wanted %ld, got %ld: %s", what, status, r->status, r->body);
}

/* The whole matrix: every role x entity x (list, get in, get out, patch in, patch out, delete out). */
static void test_matrix(void **state)
{
	struct fx *x = *state;
	char path[96], what[160];

	for (int ro = 0; ro < N_ROLES; ro++) {
		int admin = ro == 0;

		for (int e = 0; e < N_ENT; e++) {
			int rd = roles[ro].read >> e & 1, wr = roles[ro].write >> e & 1;
			struct tl_resp r, never;

			/* list: in-scope rows, never the others; the total counts only what may be seen */
			snprintf(path, sizeof(path), "/api/v1/%s?limit=1000", ents[e]);
			snprintf(what, sizeof(what), "%s GET %s", roles[ro].role, path);
			r = as(x, ro, "GET", path, NULL);
			want(&r, rd ? 200 : 403, what);
			if (rd) {
				if (!has_id(&r, x->in.id[e]) || has_id(&r, x->out.id[e]) != admin)
					fail_msg("%s: scope not applied: %s", what, r.body);
				assert_int_equal(json_integer_value(json_object_get(r.json, "total")),
						 (json_int_t)json_array_size(json_object_get(r.json, "items")));
			} else {
				assert_string_equal(tl_err_code(&r), "forbidden");
			}
			if (!admin)
				assert_null(strstr(r.body, "Zulu"));
			if (!rd)
				assert_null(strstr(r.body, "Yankee"));
			tl_resp_free(&r);

			/* one record: in scope 200; out of scope 404 exactly like an id never used */
			snprintf(path, sizeof(path), "/api/v1/%s/%lld", ents[e], (long long)x->in.id[e]);
			snprintf(what, sizeof(what), "%s GET %s (in)", roles[ro].role, path);
			r = as(x, ro, "GET", path, NULL);
			want(&r, rd ? 200 : 403, what);
			tl_resp_free(&r);
			snprintf(path, sizeof(path), "/api/v1/%s/%lld", ents[e], (long long)x->out.id[e]);
			snprintf(what, sizeof(what), "%s GET %s (out)", roles[ro].role, path);
			r = as(x, ro, "GET", path, NULL);
			want(&r, !rd ? 403 : admin ? 200 : 404, what);
			if (rd && !admin) {
				snprintf(path, sizeof(path), "/api/v1/%s/%lld", ents[e], 900000000LL);
				never = as(x, ro, "GET", path, NULL);
				assert_int_equal(never.status, 404);
				same_but_id(&r, &never, x->out.id[e]);
				tl_resp_free(&never);
			}
			if (!admin)
				assert_null(strstr(r.body, "Zulu"));
			tl_resp_free(&r);

			/* writes: an empty PATCH in scope (a new version), PATCH and DELETE out of scope */
			snprintf(path, sizeof(path), "/api/v1/%s/%lld", ents[e], (long long)x->in.id[e]);
			snprintf(what, sizeof(what), "%s PATCH %s (in)", roles[ro].role, path);
			r = as(x, ro, "PATCH", path, "{}");
			want(&r, wr ? 200 : 403, what);
			tl_resp_free(&r);
			if (admin)
				continue;
			snprintf(path, sizeof(path), "/api/v1/%s/%lld", ents[e], (long long)x->out.id[e]);
			snprintf(what, sizeof(what), "%s PATCH %s (out)", roles[ro].role, path);
			r = as(x, ro, "PATCH", path, "{}");
			want(&r, wr ? 404 : 403, what);
			assert_null(strstr(r.body, "Zulu"));
			tl_resp_free(&r);
			snprintf(what, sizeof(what), "%s DELETE %s (out)", roles[ro].role, path);
			r = api_refused_ex(x->f, "DELETE", path,
					   (const char *const[]){"Authorization: Bearer", NULL}, NULL, 0, 401, "unauthenticated", NULL);
			tl_resp_free(&r);
			{
				char auth[128];

				snprintf(auth, sizeof(auth), "Authorization: Bearer %s", x->tok[ro]);
				r = api_refused_ex(x->f, "DELETE", path, (const char *const[]){auth, NULL}, NULL, 0, wr ? 404 : 403,
						   wr ? "not_found" : "forbidden", NULL);
				tl_resp_free(&r);
			}
		}
	}
}

/* Creating: persons and events for someone outside are refused like a person who does not exist. */
static void test_create_out_of_scope(void **state)
{
	struct fx *x = *state;
	char b[300], b2[300];
	struct tl_resp r, never;

	for (int ro = 1; ro < N_ROLES; ro++) {
		int wr_person = roles[ro].write & 1, wr_test = roles[ro].write >> 3 & 1;
		char auth[128];
		const char *h[] = {auth, NULL};

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", x->tok[ro]);
		const char *pb = "{\"full_name\": \"Ai Đó\", \"sex\": \"male\", \"residence_ou\": \"18001\"}";

		r = api_refused_ex(x->f, "POST", "/api/v1/persons", h, pb, strlen(pb),
				   wr_person ? 422 : 403, wr_person ? "invalid" : "forbidden", NULL);
		tl_resp_free(&r);
		snprintf(b, sizeof(b), "{\"person_id\": %lld, \"test_date\": \"2025-05-02\", \"kind\": \"sudden\", \"result\": "
			 "\"negative\"}", (long long)x->out.id[0]);
		snprintf(b2, sizeof(b2), "{\"person_id\": %lld, \"test_date\": \"2025-05-02\", \"kind\": \"sudden\", \"result\": "
			 "\"negative\"}", 900000000LL);
		r = api_refused_ex(x->f, "POST", "/api/v1/tests", h, b, strlen(b), wr_test ? 422 : 403,
				   wr_test ? "invalid" : "forbidden", wr_test ? "person_id" : NULL);
		never = api_refused_ex(x->f, "POST", "/api/v1/tests", h, b2, strlen(b2), wr_test ? 422 : 403,
				       wr_test ? "invalid" : "forbidden", NULL);
		same_but_id(&r, &never, x->out.id[0]);
		tl_resp_free(&r);
		tl_resp_free(&never);
	}
}

/* Searches, duplicate warnings and a national-ID conflict say nothing about the person outside. */
static void test_no_leaks(void **state)
{
	struct fx *x = *state;
	struct tl_resp r;
	const int district = 2;

	r = as(x, district, "GET", "/api/v1/persons?q=zulu", NULL);
	want(&r, 200, "search");
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
	tl_resp_free(&r);
	r = as(x, district, "GET", "/api/v1/persons?national_id=042090005678", NULL);
	if (r.status == 200)
		assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
	assert_null(strstr(r.body, "Zulu"));
	tl_resp_free(&r);
	/* the same name and birth date as the outsider: no possible_duplicates */
	r = as(x, district, "POST", "/api/v1/persons",
	       "{\"full_name\": \"Hồ Thị Zulu\", \"sex\": \"female\", \"dob\": \"1990-03-04\", \"residence_ou\": \"16822\"}");
	want(&r, 201, "duplicate name");
	assert_null(json_object_get(r.json, "possible_duplicates"));
	tl_resp_free(&r);
	/* the admin sees the warning */
	assert_int_equal(tl_http(&x->f->srv, "POST", "/api/v1/persons",
				 "{\"full_name\": \"Hồ Thị Zulu\", \"sex\": \"female\", \"dob\": \"1990-03-04\", "
				 "\"residence_ou\": \"16756\"}", &r), 0);
	assert_non_null(json_object_get(r.json, "possible_duplicates"));
	tl_resp_free(&r);
	/* the outsider's national ID: refused, but without the holder's id or where */
	r = as(x, district, "POST", "/api/v1/persons",
	       "{\"full_name\": \"Ai Khác\", \"sex\": \"male\", \"residence_ou\": \"16837\", \"national_id\": \"042090005678\"}");
	want(&r, 409, "national id");
	assert_null(json_object_get(json_object_get(r.json, "error"), "existing_id"));
	{
		char idtxt[32];

		snprintf(idtxt, sizeof(idtxt), "%lld", (long long)x->out.id[0]);
		assert_null(strstr(r.body, idtxt));
	}
	tl_resp_free(&r);
	/* an aggregate over a unit outside: as if the unit did not exist */
	{
		struct tl_resp none;

		r = as(x, district, "GET", "/api/v1/drug-free?orgunit=42", NULL);
		none = as(x, district, "GET", "/api/v1/drug-free?orgunit=99999", NULL);
		want(&r, 422, "drug-free outside");
		assert_string_equal(tl_err_code(&r), tl_err_code(&none));
		tl_resp_free(&none);
		tl_resp_free(&r);
		r = as(x, district, "GET", "/api/v1/drug-free?orgunit=40", NULL); /* above the district */
		want(&r, 422, "drug-free above");
		tl_resp_free(&r);
		r = as(x, district, "GET", "/api/v1/drug-free", NULL); /* their own district */
		want(&r, 200, "drug-free own");
		assert_null(strstr(r.body, "Zulu"));
		tl_resp_free(&r);
	}
	/* counts are for admins */
	r = as(x, district, "GET", "/api/v1/health?counts=1", NULL);
	want(&r, 403, "counts");
	tl_resp_free(&r);
}

static void test_viewer_no_names(void **state)
{
	struct fx *x = *state;
	static const char *const paths[] = {"/api/v1/drug-free?orgunit=40&details=1&names=1",
					    "/api/v1/drug-free?orgunit=16837",
					    "/api/v1/classification?year=2025",
					    "/api/v1/orgunits",
					    "/api/v1/facilities",
					    "/api/v1/enums"};
	const int viewer = 5;
	struct tl_resp r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = as(x, viewer, "GET", paths[i], NULL);
		want(&r, 200, paths[i]);
		if (strstr(r.body, "Yankee") || strstr(r.body, "Zulu") || strstr(r.body, "person_id") ||
		    strstr(r.body, "full_name") || strstr(r.body, "failures"))
			fail_msg("viewer %s: %s", paths[i], r.body);
		tl_resp_free(&r);
	}
	/* the same drug-free question by an officer does name the failing person */
	r = as(x, 1, "GET", "/api/v1/drug-free?orgunit=16837&names=1", NULL);
	want(&r, 200, "province drug-free");
	assert_non_null(strstr(r.body, "Yankee"));
	tl_resp_free(&r);
	/* and no person-level route at all */
	r = as(x, viewer, "GET", "/api/v1/persons/1/timeline", NULL);
	want(&r, 403, "viewer timeline");
	tl_resp_free(&r);
}

static void test_health_timeline(void **state)
{
	struct fx *x = *state;
	char path[64];
	struct tl_resp r;
	json_t *it;
	size_t i;
	int tests = 0;

	snprintf(path, sizeof(path), "/api/v1/persons/%lld/timeline", (long long)x->in.id[0]);
	r = as(x, 4, "GET", path, NULL);
	want(&r, 200, "health timeline");
	json_array_foreach(json_object_get(r.json, "items"), i, it) {
		const char *type = json_string_value(json_object_get(it, "type"));

		assert_string_not_equal(type, "classifications");
		assert_string_not_equal(type, "records");
		tests += !strcmp(type, "tests");
	}
	assert_int_equal(tests, 1);
	tl_resp_free(&r);
	r = as(x, 2, "GET", path, NULL); /* the district officer sees everything */
	assert_non_null(strstr(r.body, "\"classifications\""));
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/persons/%lld/timeline", (long long)x->out.id[0]);
	r = as(x, 4, "GET", path, NULL);
	want(&r, 404, "health timeline outside");
	tl_resp_free(&r);
}

static void test_audit_trail(void **state)
{
	struct fx *x = *state;
	char path[96];
	struct tl_resp r;
	json_t *it;
	size_t i;
	int read_in = 0, denied_out = 0;

	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)x->in.id[0]);
	r = as(x, 3, "GET", path, NULL);
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)x->out.id[0]);
	r = as(x, 3, "GET", path, NULL);
	tl_resp_free(&r);
	r = as(x, 3, "GET", "/api/v1/audit", NULL);
	want(&r, 403, "audit by a commune officer");
	tl_resp_free(&r);
	/* the batch writer commits within 100 ms; poll a little */
	for (int tries = 0; tries < 50 && !(read_in && denied_out); tries++) {
		struct timespec ts = {0, 100000000L};

		nanosleep(&ts, NULL);
		assert_int_equal(tl_http(&x->f->srv, "GET", "/api/v1/audit?user=u-commune&action=read", NULL, &r), 0);
		want(&r, 200, "audit by the admin");
		read_in = denied_out = 0;
		json_array_foreach(json_object_get(r.json, "items"), i, it) {
			int64_t rec = json_integer_value(json_object_get(it, "record_id"));
			const char *oc = json_string_value(json_object_get(it, "outcome"));

			read_in |= rec == x->in.id[0] && !strcmp(oc, "ok");
			denied_out |= rec == x->out.id[0] && !strcmp(oc, "not_found");
			assert_string_equal(json_string_value(json_object_get(it, "addr")), "127.0.0.1");
		}
		tl_resp_free(&r);
	}
	assert_true(read_in);
	assert_true(denied_out);
	/* a write's entry commits with the write: there as soon as the answer is */
	snprintf(path, sizeof(path), "/api/v1/support/%lld", (long long)x->in.id[6]);
	r = as(x, 3, "PATCH", path, "{\"note\": \"kiểm tra lại\"}");
	want(&r, 200, "patch a support record");
	tl_resp_free(&r);
	assert_int_equal(tl_http(&x->f->srv, "GET", "/api/v1/audit?user=u-commune&action=update", NULL, &r), 0);
	assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
	it = json_array_get(json_object_get(r.json, "items"), 0);
	assert_int_equal(json_integer_value(json_object_get(it, "record_id")), x->in.id[6]);
	assert_string_equal(json_string_value(json_object_get(it, "entity")), "support");
	assert_string_equal(json_string_value(json_object_get(it, "outcome")), "ok");
	tl_resp_free(&r);
	assert_int_equal(tl_http(&x->f->srv, "GET", "/api/v1/audit?verify=1", NULL, &r), 0);
	want(&r, 200, "verify");
	assert_true(json_is_true(json_object_get(r.json, "intact")));
	assert_true(json_integer_value(json_object_get(r.json, "checked")) > 10);
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_matrix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_out_of_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_leaks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_viewer_no_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_trail, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
