/* test_reform.c: the 2025 reform over HTTP, on a small reform of the test units (Keng Đu split
 * between the new Nậm Cắn and a new Mường Lống; Nậm Cắn and Tri Lễ whole), with today after it:
 * an org unit's history, searches by old names and codes saying what they became, the
 * re-assignment list and the placing of a person (refusals write nothing; the drug-free answer
 * changes at once), a person's residence history, and the drug-free answer on both sides of the
 * reform with a new unit's pre-reform figure marked approximate. */
#include "apitest.h"
#include "domain/reform.h"
#include "engine/reform.h"
#include "util/date.h"

#define TODAY "2025-08-01"

static const char mapping[] =
	"code\tparent_code\tkind\ttype_name\tname\tmerged_from\n"
	"40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t40:full\n"
	"16837\t40\tcommune\tXã\tXã Nậm Cắn\t16837:full,16822:partial\n"
	"16840\t40\tcommune\tXã\tXã Mường Lống\t16822:partial\n"
	"16756\t40\tcommune\tXã\tXã Tri Lễ\t16756:full\n";

struct rf {
	struct api_fx f;
	int64_t a, b, c; /* residents of Nậm Cắn, Keng Đu (split), Tri Lễ */
};

static int64_t add(struct store *s, const struct ent_ctx *ctx, const struct entity_def *e, const char *text)
{
	json_t *in = json_loads(text, 0, NULL), *rec = NULL, *out = NULL;
	struct pcmt_err err;
	int64_t id = -1;

	err_clear(&err);
	if (in && ent_validate(e, ctx, in, 0, &rec, &err) == 0 && s->ops->insert(s, e, NULL, rec, &out, &err) == 0)
		id = json_integer_value(json_object_get(out, "id"));
	else
		fprintf(stderr, "setup: %s: %s\n", text, err.message);
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return id;
}

static int64_t user(struct store *s, const struct ent_ctx *ctx, const char *name, const char *commune, const char *t1,
		    const char *r1, const char *t2)
{
	char b[300];
	int64_t p;

	snprintf(b, sizeof(b), "{\"full_name\": \"%s\", \"sex\": \"male\", \"residence_ou\": \"%s\"}", name, commune);
	p = add(s, ctx, &ent_persons, b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"illegal_user\", \"date_from\": \"2025-01-02\"}", (long long)p);
	add(s, ctx, &ent_classifications, b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"kind\": \"illegal_user\", \"opened\": \"2025-01-03\", \"managing_ou\": \"%s\"}",
		 (long long)p, commune);
	add(s, ctx, &ent_records, b);
	snprintf(b, sizeof(b), "{\"person_id\": %lld, \"test_date\": \"%s\", \"kind\": \"periodic\", \"result\": \"%s\"}",
		 (long long)p, t1, r1);
	add(s, ctx, &ent_tests, b);
	if (t2) {
		snprintf(b, sizeof(b), "{\"person_id\": %lld, \"test_date\": \"%s\", \"kind\": \"sudden\", \"result\": \"negative\"}",
			 (long long)p, t2);
		add(s, ctx, &ent_tests, b);
	}
	return p;
}

static int setup(void **state)
{
	struct rf *x = calloc(1, sizeof(*x));
	struct ent_ctx ctx = {date_from_ymd(2025, 8, 1)};
	struct reform_map m;
	struct reform_counts c;
	struct pcmt_err err;
	struct store *s;
	int rc;

	err_clear(&err);
	if (!x || !(s = tl_store_with_units(&x->f.tmp)))
		return -1;
	x->a = user(s, &ctx, "Người Nậm Cắn", "16837", "2025-06-20", "negative", "2025-07-20");
	x->b = user(s, &ctx, "Người Keng Đu", "16822", "2025-06-25", "positive", NULL);
	x->c = user(s, &ctx, "Người Tri Lễ", "16756", "2025-06-20", "negative", "2025-07-25");
	rc = x->a < 0 || x->b < 0 || x->c < 0 || reform_parse(mapping, sizeof(mapping) - 1, &m, &err);
	if (!rc) {
		rc = s->ops->begin(s, &err) || reform_apply(s, &ctx, &m, date_from_ymd(2025, 7, 1), NULL, &c, &err) ||
		     s->ops->commit(s, &err);
		reform_map_free(&m);
	}
	store_close(s);
	if (rc) {
		fprintf(stderr, "setup: %s\n", err.message);
		return -1;
	}
	if (tl_server_start(&x->f.srv, x->f.tmp.db, "PCMT_TODAY=" TODAY))
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct rf *x = *state;

	tl_server_stop(&x->f.srv, 0);
	tl_tmp_cleanup(&x->f.tmp);
	free(x);
	return 0;
}

static const char *js(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static void test_history(void **state)
{
	struct rf *x = *state;
	struct tl_resp r;
	json_t *p, *s;

	/* the old Keng Đu, named by code as of a date before the reform */
	r = api_get(&x->f, "/api/v1/orgunits/16822@2025-06-30/history", 200);
	assert_string_equal(js(json_object_get(r.json, "orgunit"), "valid_to"), "2025-06-30");
	assert_string_equal(js(json_object_get(json_object_get(r.json, "orgunit"), "parent"), "code"), "417");
	s = json_object_get(r.json, "successors");
	assert_int_equal(json_array_size(s), 2);
	assert_string_equal(js(json_array_get(s, 0), "code"), "16837");
	assert_string_equal(js(json_array_get(s, 0), "link"), "partial");
	assert_string_equal(js(json_array_get(s, 1), "code"), "16840");
	assert_string_equal(js(json_array_get(s, 1), "effective"), "2025-07-01");
	tl_resp_free(&r);
	/* a code alone is the unit in force on ?date (default today): the new Nậm Cắn */
	r = api_get(&x->f, "/api/v1/orgunits/16837/history", 200);
	assert_string_equal(js(json_object_get(r.json, "orgunit"), "valid_from"), "2025-07-01");
	assert_true(json_is_null(json_object_get(json_object_get(r.json, "orgunit"), "valid_to")));
	p = json_object_get(r.json, "predecessors");
	assert_int_equal(json_array_size(p), 2);
	assert_string_equal(js(json_array_get(p, 0), "code"), "16822");
	assert_string_equal(js(json_array_get(p, 0), "link"), "partial");
	assert_string_equal(js(json_array_get(p, 1), "code"), "16837");
	assert_string_equal(js(json_array_get(p, 1), "link"), "full");
	assert_int_equal(json_array_size(json_object_get(r.json, "successors")), 0);
	tl_resp_free(&r);
	r = api_get(&x->f, "/api/v1/orgunits/16837/history?date=2025-06-30", 200);
	assert_string_equal(js(json_array_get(json_object_get(r.json, "successors"), 0), "link"), "full");
	tl_resp_free(&r);
	api_refused(&x->f, "GET", "/api/v1/orgunits/99999/history", NULL, 422, "invalid", "id");
	api_refused(&x->f, "GET", "/api/v1/orgunits/16837/history?date=2025-02-30", NULL, 422, "invalid", "date");
	api_refused(&x->f, "GET", "/api/v1/orgunits/16837@30-30-2025/history", NULL, 422, "invalid", "id");
	api_refused(&x->f, "GET", "/api/v1/orgunits/16837/history?when=1", NULL, 400, "bad_request", "when");
}

static void test_search(void **state)
{
	struct rf *x = *state;
	struct tl_resp r;
	json_t *it, *keng = NULL;
	size_t i;
	int nam_can = 0;

	/* an old name, without accents: closed, and what it became */
	r = api_get(&x->f, "/api/v1/orgunits/search?q=keng%20du", 200);
	json_array_foreach(json_object_get(r.json, "items"), i, it)
		if (!strcmp(js(it, "code"), "16822"))
			keng = it;
	assert_non_null(keng);
	assert_false(json_is_true(json_object_get(keng, "in_force")));
	assert_int_equal(json_array_size(json_object_get(keng, "became")), 2);
	tl_resp_free(&r);
	/* a reused code: the old unit (became the new one) and the new one (formed from two) */
	r = api_get(&x->f, "/api/v1/orgunits/search?q=16837", 200);
	json_array_foreach(json_object_get(r.json, "items"), i, it) {
		if (strcmp(js(it, "code"), "16837"))
			continue;
		nam_can++;
		if (json_is_true(json_object_get(it, "in_force")))
			assert_null(json_object_get(it, "became"));
		else
			assert_string_equal(js(json_array_get(json_object_get(it, "became"), 0), "code"), "16837");
	}
	assert_int_equal(nam_can, 2);
	tl_resp_free(&r);
	/* seen from before the reform, the new unit is not yet in force and says what it is formed from */
	r = api_get(&x->f, "/api/v1/orgunits/search?q=Muong%20Long&date=2025-06-30", 200);
	it = json_array_get(json_object_get(r.json, "items"), 0);
	assert_false(json_is_true(json_object_get(it, "in_force")));
	assert_string_equal(js(json_array_get(json_object_get(it, "formed_from"), 0), "code"), "16822");
	tl_resp_free(&r);
	api_refused(&x->f, "GET", "/api/v1/orgunits/search", NULL, 422, "invalid", "q");
	api_refused(&x->f, "GET", "/api/v1/orgunits/search?q=a&limit=0", NULL, 422, "invalid", "limit");
}

static json_t *drugfree(struct rf *x, const char *query)
{
	char path[200];
	struct tl_resp r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/v1/drug-free?%s", query);
	r = api_get(&x->f, path, 200);
	j = json_incref(r.json);
	tl_resp_free(&r);
	return j;
}

static long long sum(json_t *a, const char *k)
{
	return json_integer_value(json_object_get(json_object_get(a, "summary"), k));
}

static void test_drugfree_both_sides(void **state)
{
	struct rf *x = *state;
	json_t *a;

	/* before: the old units; Keng Đu fails on its positive test */
	a = drugfree(x, "orgunit=40&date=2025-06-30");
	assert_int_equal(sum(a, "communes"), 3);
	assert_int_equal(sum(a, "drug_free"), 2);
	assert_false(json_is_true(json_object_get(a, "approximate")));
	json_decref(a);
	/* after: the new units; the split commune's person counts in none and is announced */
	a = drugfree(x, "orgunit=40&date=2025-07-31");
	assert_int_equal(sum(a, "communes"), 3);
	assert_int_equal(sum(a, "drug_free"), 3);
	assert_int_equal(json_integer_value(json_object_get(a, "awaiting_reassignment")), 1);
	json_decref(a);
	/* the new Nậm Cắn before it existed: over the old Nậm Cắn and Keng Đu, approximate */
	a = drugfree(x, "orgunit=16837@2025-07-01&date=2025-06-30");
	assert_true(json_is_true(json_object_get(a, "approximate")));
	assert_true(json_is_true(json_object_get(a, "over_predecessors")));
	assert_int_equal(json_array_size(json_object_get(a, "formed_from")), 2);
	assert_int_equal(sum(a, "communes"), 1);
	assert_int_equal(sum(a, "drug_free"), 0);
	json_decref(a);
	/* the same code on that date is the old Nậm Cắn, exact */
	a = drugfree(x, "orgunit=16837&date=2025-06-30");
	assert_false(json_is_true(json_object_get(a, "over_predecessors")));
	assert_int_equal(sum(a, "drug_free"), 1);
	json_decref(a);
	/* Tri Lễ went whole: its pre-reform figure is exact */
	a = drugfree(x, "orgunit=16756@2025-07-01&date=2025-06-30");
	assert_true(json_is_true(json_object_get(a, "over_predecessors")));
	assert_false(json_is_true(json_object_get(a, "approximate")));
	assert_int_equal(sum(a, "drug_free"), 1);
	json_decref(a);
	/* a district closed by the reform, asked about after it */
	api_refused(&x->f, "GET", "/api/v1/drug-free?orgunit=417@2025-06-30&date=2025-07-31", NULL, 422, "invalid", "date");
}

static void test_reassign(void **state)
{
	struct rf *x = *state;
	struct tl_resp r;
	json_t *it, *a;
	char body[128], path[64];

	r = api_get(&x->f, "/api/v1/reassignments?orgunit=16840", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
	it = json_array_get(json_object_get(r.json, "items"), 0);
	assert_int_equal(json_integer_value(json_object_get(it, "person_id")), x->b);
	assert_string_equal(js(it, "full_name"), "Người Keng Đu");
	assert_string_equal(js(json_object_get(it, "residence"), "code"), "16822");
	assert_int_equal(json_array_size(json_object_get(it, "candidates")), 2);
	tl_resp_free(&r);
	r = api_get(&x->f, "/api/v1/reassignments?orgunit=16756", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
	tl_resp_free(&r);
	api_refused(&x->f, "GET", "/api/v1/reassignments?orgunit=nowhere", NULL, 422, "invalid", "orgunit");
	/* refusals write nothing */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"orgunit\": \"16756\"}", (long long)x->b);
	api_refused(&x->f, "POST", "/api/v1/reassignments", body, 422, "invalid", "orgunit");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"orgunit\": \"16837\"}", (long long)x->a);
	api_refused(&x->f, "POST", "/api/v1/reassignments", body, 404, "not_found", "person_id");
	api_refused(&x->f, "POST", "/api/v1/reassignments", "{\"orgunit\": \"16840\"}", 422, "invalid", "person_id");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"orgunit\": \"16840\", \"why\": 1}", (long long)x->b);
	api_refused(&x->f, "POST", "/api/v1/reassignments", body, 422, "invalid", "why");
	/* placed: residence history appended, the answer changes at once */
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"orgunit\": \"16840\"}", (long long)x->b);
	assert_int_equal(tl_http(&x->f.srv, "POST", "/api/v1/reassignments", body, &r), 0);
	if (r.status != 200)
		fail_msg("reassign: %ld %s", r.status, r.body);
	tl_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/persons/%lld/residence", (long long)x->b);
	r = api_get(&x->f, path, 200);
	it = json_object_get(r.json, "residences");
	assert_int_equal(json_array_size(it), 2);
	assert_string_equal(js(json_object_get(json_array_get(it, 0), "orgunit"), "code"), "16822");
	assert_string_equal(js(json_array_get(it, 0), "to"), "2025-06-30");
	assert_string_equal(js(json_array_get(it, 0), "reason"), "reassigned");
	assert_string_equal(js(json_object_get(json_array_get(it, 1), "orgunit"), "code"), "16840");
	assert_string_equal(js(json_array_get(it, 1), "from"), "2025-07-01");
	tl_resp_free(&r);
	a = drugfree(x, "orgunit=40&date=2025-07-31");
	assert_int_equal(json_integer_value(json_object_get(a, "awaiting_reassignment")), 0);
	assert_int_equal(sum(a, "drug_free"), 2); /* Mường Lống now has the person with the positive test */
	json_decref(a);
	a = drugfree(x, "orgunit=16822@2025-06-30&date=2025-06-30"); /* the past is kept */
	assert_int_equal(sum(a, "drug_free"), 0);
	json_decref(a);
	r = api_get(&x->f, "/api/v1/reassignments?orgunit=40", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
	tl_resp_free(&r);
	/* a person who never moved: one current residence */
	snprintf(path, sizeof(path), "/api/v1/persons/%lld/residence", (long long)x->c);
	r = api_get(&x->f, path, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "residences")), 2); /* Tri Lễ went whole: moved */
	tl_resp_free(&r);
	api_refused(&x->f, "GET", "/api/v1/persons/999999/residence", NULL, 404, "not_found", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_drugfree_both_sides),
		cmocka_unit_test(test_reassign),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
