/* test_store.c: the store interface on a real temporary database (the SQLite backend today; the
 * same cases will run on PostgreSQL). Asserts what a caller of store.h relies on: round trips of
 * every field, code resolution, references, unique keys, versions, scope, lists and transactions. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "util/date.h"
#include "util/text.h"

struct fx {
	struct tl_tmp tmp;
	struct store *s;
	struct ent_ctx ctx;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->s = tl_store_with_units(&f->tmp);
	f->ctx.today = date_from_ymd(2025, 6, 1);
	*state = f;
	return f->s ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tl_tmp_cleanup(&f->tmp);
	free(f);
	return 0;
}

/* Validates text as entity e and inserts it; returns the new id or 0 (err filled). */
static int64_t add(struct fx *f, const struct entity_def *e, const struct scope *sc, const char *text,
		   struct pcmt_err *err)
{
	json_t *in = json_loads(text, 0, NULL), *rec = NULL, *out = NULL;
	int64_t id = 0;

	err_clear(err);
	assert_non_null(in);
	if (ent_validate(e, &f->ctx, in, 0, &rec, err) == 0 &&
	    f->s->ops->insert(f->s, e, sc, rec, &out, err) == 0)
		id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return id;
}

static int64_t add_ok(struct fx *f, const struct entity_def *e, const char *text)
{
	struct pcmt_err err;
	int64_t id = add(f, e, NULL, text, &err);

	if (!id)
		fail_msg("insert into %s failed: %s (%s)", e->name, err.message, err.field);
	return id;
}

static int64_t person(struct fx *f, const char *name, const char *commune, const char *nid)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"full_name\": \"%s\", \"sex\": \"male\", \"dob\": \"1990-05-01\", \"residence_ou\": \"%s\"%s%s%s}",
		 name, commune, nid ? ", \"national_id\": \"" : "", nid ? nid : "", nid ? "\"" : "");
	return add_ok(f, &ent_persons, buf);
}

static json_t *get(struct fx *f, const struct entity_def *e, const struct scope *sc, int64_t id,
		   struct pcmt_err *err)
{
	json_t *out = NULL;

	err_clear(err);
	f->s->ops->get(f->s, e, sc, id, &out, err);
	return out;
}

static int64_t count(struct fx *f, const struct entity_def *e)
{
	json_t *c = NULL;
	struct pcmt_err err;
	int64_t n;

	assert_int_equal(f->s->ops->counts(f->s, &c, &err), 0);
	n = json_integer_value(json_object_get(c, e->name));
	json_decref(c);
	return n;
}

static void test_migrate_is_idempotent(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	int from = -1, to = -1;

	assert_int_equal(f->s->ops->migrate(f->s, &from, &to, &err), 0);
	assert_int_equal(from, to);
	assert_true(to >= 1);
}

/* Every field of every entity survives a round trip: proves each descriptor field has its column
 * and its type mapping. */
static void test_round_trip_every_entity(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	int64_t fac, p, id;
	json_t *got;
	char buf[1024];

	fac = add_ok(f, &ent_facilities,
		     "{\"name\": \"Trạm y tế xã Nậm Cắn\", \"kind\": \"health_station\", \"ou_id\": \"16837\","
		     " \"address\": \"Bản Phà Khảo\", \"qualified\": true, \"qualified_since\": \"2023-01-15\","
		     " \"capacity\": 12}");
	got = get(f, &ent_facilities, NULL, fac, &err);
	assert_non_null(got);
	assert_string_equal(json_string_value(json_object_get(got, "name")), "Trạm y tế xã Nậm Cắn");
	assert_true(json_is_true(json_object_get(got, "qualified")));
	assert_int_equal(json_integer_value(json_object_get(got, "ou_id")), tl_ou(f->s, "16837"));
	assert_int_equal(json_integer_value(json_object_get(got, "capacity")), 12);
	assert_null(json_object_get(got, "name_fold")); /* hidden */
	assert_int_equal(json_integer_value(json_object_get(got, "version")), 1);
	json_decref(got);

	p = add_ok(f, &ent_persons,
		   "{\"national_id\": \"040090123456\", \"full_name\": \"Lầu Bá Chông\", \"aliases\": \"Chông\","
		   " \"sex\": \"male\", \"dob\": \"1990-03-04\", \"residence_ou\": \"16837\", \"address\": \"Bản Huồi Pốc\","
		   " \"phone\": \"0912 345 678\", \"occupation\": \"Làm nương\", \"employment\": \"employed\"}");
	got = get(f, &ent_persons, NULL, p, &err);
	assert_string_equal(json_string_value(json_object_get(got, "national_id")), "040090123456");
	assert_string_equal(json_string_value(json_object_get(got, "aliases")), "Chông");
	assert_string_equal(json_string_value(json_object_get(got, "dob")), "1990-03-04");
	assert_string_equal(json_string_value(json_object_get(got, "phone")), "0912 345 678");
	assert_string_equal(json_string_value(json_object_get(got, "employment")), "employed");
	json_decref(got);

	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2023-01-01\","
		 " \"date_to\": \"2024-01-01\", \"basis\": \"QĐ 12/QĐ-UBND\"}", (long long)p);
	id = add_ok(f, &ent_classifications, buf);
	got = get(f, &ent_classifications, NULL, id, &err);
	assert_string_equal(json_string_value(json_object_get(got, "date_to")), "2024-01-01");
	assert_string_equal(json_string_value(json_object_get(got, "basis")), "QĐ 12/QĐ-UBND");
	json_decref(got);

	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"det_date\": \"2023-01-01\", \"facility_id\": %lld,"
		 " \"result\": \"addicted\", \"substance_group\": \"opioids\"}", (long long)p, (long long)fac);
	id = add_ok(f, &ent_determinations, buf);
	got = get(f, &ent_determinations, NULL, id, &err);
	assert_string_equal(json_string_value(json_object_get(got, "substance_group")), "opioids");
	assert_int_equal(json_integer_value(json_object_get(got, "facility_id")), fac);
	json_decref(got);

	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"kind\": \"addict\", \"opened\": \"2023-01-02\","
		 " \"closed\": \"2024-01-02\", \"close_reason\": \"period_ended\", \"managing_ou\": \"16837\","
		 " \"officer\": \"Vi Văn Hùng\"}", (long long)p);
	id = add_ok(f, &ent_records, buf);
	got = get(f, &ent_records, NULL, id, &err);
	assert_string_equal(json_string_value(json_object_get(got, "close_reason")), "period_ended");
	assert_int_equal(json_integer_value(json_object_get(got, "managing_ou")), tl_ou(f->s, "16837"));
	json_decref(got);

	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"test_date\": \"05/03/2024\", \"kind\": \"sudden\","
		 " \"substances\": [{\"substance\": \"opioids\", \"result\": \"positive\"},"
		 " {\"substance\": \"methamphetamine\", \"result\": \"negative\"}], \"result\": \"positive\","
		 " \"facility_id\": %lld}", (long long)p, (long long)fac);
	id = add_ok(f, &ent_tests, buf);
	got = get(f, &ent_tests, NULL, id, &err);
	assert_string_equal(json_string_value(json_object_get(got, "test_date")), "2024-03-05");
	assert_int_equal(json_array_size(json_object_get(got, "substances")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(got, "substances"), 1),
							       "substance")), "methamphetamine");
	json_decref(got);

	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"kind\": \"methadone\", \"facility_id\": %lld,"
		 " \"start_date\": \"2024-04-01\", \"planned_end\": \"2027-04-01\", \"outcome\": \"ongoing\"}",
		 (long long)p, (long long)fac);
	id = add_ok(f, &ent_treatments, buf);
	got = get(f, &ent_treatments, NULL, id, &err);
	assert_string_equal(json_string_value(json_object_get(got, "planned_end")), "2027-04-01");
	assert_true(json_is_null(json_object_get(got, "end_date")));
	json_decref(got);

	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"kind\": \"loan\", \"support_date\": \"2024-05-01\","
		 " \"provider\": \"Ngân hàng Chính sách xã hội\", \"amount_vnd\": 50000000, \"note\": \"chăn nuôi\"}",
		 (long long)p);
	id = add_ok(f, &ent_support, buf);
	got = get(f, &ent_support, NULL, id, &err);
	assert_int_equal(json_integer_value(json_object_get(got, "amount_vnd")), 50000000);
	json_decref(got);
}

static void test_orgunit_codes_and_kinds(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;

	/* a district is not a commune */
	assert_int_equal(add(f, &ent_persons, NULL,
			     "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": \"417\"}", &err), 0);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "residence_ou");
	/* unknown code */
	assert_int_equal(add(f, &ent_persons, NULL,
			     "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": \"99999\"}", &err), 0);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "residence_ou");
	/* unknown id */
	assert_int_equal(add(f, &ent_persons, NULL,
			     "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": 987654}", &err), 0);
	assert_string_equal(err.field, "residence_ou");
	assert_int_equal(count(f, &ent_persons), 0);
}

static void test_references_must_exist(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;

	assert_int_equal(add(f, &ent_tests, NULL,
			     "{\"person_id\": 4242, \"test_date\": \"2024-01-01\", \"kind\": \"periodic\", \"result\": \"negative\"}",
			     &err), 0);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "person_id");
	assert_int_equal(count(f, &ent_tests), 0);
}

static void test_unique_national_id(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	int64_t a = person(f, "Nguyễn Văn A", "16837", "040090123456");

	assert_int_equal(add(f, &ent_persons, NULL,
			     "{\"full_name\": \"Nguyễn Văn B\", \"sex\": \"male\", \"residence_ou\": \"16822\","
			     " \"national_id\": \"040090123456\"}", &err), 0);
	assert_int_equal(err.code, ERR_CONFLICT);
	assert_string_equal(err.field, "national_id");
	assert_int_equal(err.existing_id, a);
	assert_int_equal(count(f, &ent_persons), 1);
}

static void test_versions(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	int64_t p = person(f, "Nguyễn Văn A", "16837", NULL);
	json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "full_name", "Nguyễn Văn Á", "sex", "male", "dob", "1990-05-01",
			       "residence_ou", "16822"),
	       *rec = NULL, *out = NULL;

	assert_int_equal(ent_validate(&ent_persons, &f->ctx, in, 0, &rec, &err), 0);
	assert_int_equal(f->s->ops->update(f->s, &ent_persons, NULL, p, rec, 1, &out, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "version")), 2);
	assert_int_equal(json_integer_value(json_object_get(out, "residence_ou")), tl_ou(f->s, "16822"));
	json_decref(out);
	/* a second writer still holding version 1 loses, and is told the current version */
	err_clear(&err);
	assert_int_equal(f->s->ops->update(f->s, &ent_persons, NULL, p, rec, 1, &out, &err), -1);
	assert_int_equal(err.code, ERR_CONFLICT);
	assert_int_equal(err.current_version, 2);
	/* version 0 means "do not check" */
	assert_int_equal(f->s->ops->update(f->s, &ent_persons, NULL, p, rec, 0, &out, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "version")), 3);
	json_decref(out);
	/* stale delete refused, current delete done */
	assert_int_equal(f->s->ops->del(f->s, &ent_persons, NULL, p, 2, &err), -1);
	assert_int_equal(err.code, ERR_CONFLICT);
	assert_int_equal(f->s->ops->del(f->s, &ent_persons, NULL, p, 3, &err), 0);
	assert_null(get(f, &ent_persons, NULL, p, &err));
	assert_int_equal(err.code, ERR_NOT_FOUND);
	json_decref(in);
	json_decref(rec);
}

static void test_delete_referenced_person_refused(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	int64_t p = person(f, "Nguyễn Văn A", "16837", NULL);
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"test_date\": \"2024-01-01\", \"kind\": \"periodic\","
		 " \"result\": \"negative\"}", (long long)p);
	add_ok(f, &ent_tests, buf);
	err_clear(&err);
	assert_int_equal(f->s->ops->del(f->s, &ent_persons, NULL, p, 0, &err), -1);
	assert_int_equal(err.code, ERR_CONFLICT);
	assert_int_equal(count(f, &ent_persons), 1);
	assert_int_equal(count(f, &ent_tests), 1);
}

static void test_scope(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct scope ky_son = {tl_ou(f->s, "417")}, que_phong = {tl_ou(f->s, "415")}, nghe_an = {tl_ou(f->s, "40")},
		     nam_can = {tl_ou(f->s, "16837")};
	int64_t p = person(f, "Nguyễn Văn A", "16837", NULL), q = person(f, "Lô Văn B", "16756", NULL);
	struct store_query sq = {0};
	json_t *items = NULL, *got;
	int64_t total;
	char buf[256];
	int yes;

	got = get(f, &ent_persons, &ky_son, p, &err);
	assert_non_null(got);
	json_decref(got);
	got = get(f, &ent_persons, &nam_can, p, &err);
	assert_non_null(got);
	json_decref(got);
	assert_null(get(f, &ent_persons, &que_phong, p, &err));
	assert_int_equal(err.code, ERR_NOT_FOUND);
	got = get(f, &ent_persons, &nghe_an, q, &err);
	assert_non_null(got);
	json_decref(got);

	/* lists only show the subtree */
	sq.scope = &que_phong;
	sq.as_of = DATE_NONE;
	assert_int_equal(f->s->ops->list(f->s, &ent_persons, &sq, &items, &total, &err), 0);
	assert_int_equal(total, 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), q);
	json_decref(items);

	/* a writer scoped to Que Phong cannot register someone in Ky Son, nor test a Ky Son person */
	assert_int_equal(add(f, &ent_persons, &que_phong,
			     "{\"full_name\": \"C\", \"sex\": \"male\", \"residence_ou\": \"16837\"}", &err), 0);
	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"test_date\": \"2024-01-01\", \"kind\": \"periodic\","
		 " \"result\": \"negative\"}", (long long)p);
	assert_int_equal(add(f, &ent_tests, &que_phong, buf, &err), 0);
	assert_string_equal(err.field, "person_id");
	assert_int_not_equal(add(f, &ent_tests, &ky_son, buf, &err), 0);
	assert_int_equal(count(f, &ent_persons), 2);

	/* events are scoped through their person */
	sq.scope = &que_phong;
	assert_int_equal(f->s->ops->list(f->s, &ent_tests, &sq, &items, &total, &err), 0);
	assert_int_equal(total, 0);
	json_decref(items);
	sq.scope = &ky_son;
	assert_int_equal(f->s->ops->list(f->s, &ent_tests, &sq, &items, &total, &err), 0);
	assert_int_equal(total, 1);
	json_decref(items);

	assert_int_equal(f->s->ops->ou_within(f->s, tl_ou(f->s, "16837"), tl_ou(f->s, "40"), &yes, &err), 0);
	assert_true(yes);
	assert_int_equal(f->s->ops->ou_within(f->s, tl_ou(f->s, "16837"), tl_ou(f->s, "415"), &yes, &err), 0);
	assert_false(yes);
}

static int64_t list_total(struct fx *f, const struct entity_def *e, struct store_query *q)
{
	json_t *items = NULL;
	int64_t total = -1;
	struct pcmt_err err;

	err_clear(&err);
	if (f->s->ops->list(f->s, e, q, &items, &total, &err))
		fail_msg("list failed: %s", err.message);
	assert_int_equal(json_array_size(items) <= (size_t)total, 1);
	json_decref(items);
	return total;
}

static void test_list_search_and_filters(void **state)
{
	struct fx *f = *state;
	struct store_query q = {0};
	int64_t a = person(f, "Nguyễn Văn Ánh", "16837", "040090123456");
	int64_t b = person(f, "Đặng Thị Đào", "16822", NULL);
	char buf[300], *fold;

	person(f, "Nguyen_Van%", "16756", NULL);
	q.as_of = DATE_NONE;
	fold = text_fold("nguyen van anh");
	q.search = fold;
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	free(fold);
	q.search = "dang dao";
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	/* a search word matches the beginning of a name's word, through the blind indexes of the
	 * words' prefixes (store/vault.h): LIKE wildcards are plain characters, inner parts match nothing */
	q.search = "nguyen_van%";
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	q.search = "nguyen_";
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	q.search = "nguyen";
	assert_int_equal(list_total(f, &ent_persons, &q), 2);
	q.search = "%";
	assert_int_equal(list_total(f, &ent_persons, &q), 0);
	q.search = "guyen";
	assert_int_equal(list_total(f, &ent_persons, &q), 0);
	q.search = "dan da";
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	q.search = "040090123456";
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	/* with a subtree as well as the search words (the search's join comes first in the SQL) */
	q.search = "nguyen";
	q.ou_subtree = tl_ou(f->s, "16756");
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	q.ou_subtree = 0;
	q.search = NULL;

	q.ou_subtree = tl_ou(f->s, "417");
	assert_int_equal(list_total(f, &ent_persons, &q), 2);
	q.ou_subtree = tl_ou(f->s, "16822");
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	q.ou_subtree = 0;

	/* classification as of a date and record status */
	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2023-01-01\","
		 " \"date_to\": \"2023-12-31\"}", (long long)a);
	add_ok(f, &ent_classifications, buf);
	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"kind\": \"illegal_user\", \"opened\": \"2024-01-01\","
		 " \"managing_ou\": \"16822\"}", (long long)b);
	add_ok(f, &ent_records, buf);
	q.classification = "addict";
	q.as_of = date_from_ymd(2023, 6, 1);
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	q.as_of = date_from_ymd(2024, 1, 1);
	assert_int_equal(list_total(f, &ent_persons, &q), 0);
	q.as_of = date_from_ymd(2023, 12, 31);
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	q.classification = NULL;
	q.record_status = "open";
	q.as_of = date_from_ymd(2024, 6, 1);
	assert_int_equal(list_total(f, &ent_persons, &q), 1);
	q.as_of = date_from_ymd(2023, 6, 1);
	assert_int_equal(list_total(f, &ent_persons, &q), 0);
	q.record_status = "none";
	assert_int_equal(list_total(f, &ent_persons, &q), 2);
	q.record_status = NULL;

	/* equality filter and pagination */
	q.eq[0].field = "sex";
	q.eq[0].value = json_string("male");
	q.neq = 1;
	q.limit = 1;
	q.offset = 1;
	assert_int_equal(list_total(f, &ent_persons, &q), 3);
	json_decref(q.eq[0].value);

	/* count_max: counting stops one past it, the page is not cut */
	q.neq = 0;
	q.offset = 0;
	{
		json_t *items = NULL;
		int64_t total = -1;
		struct pcmt_err err;

		err_clear(&err);
		for (int i = 0; i < 4; i++)
			person(f, "Nguyễn Thị Cúc", "16822", NULL);
		q.search = "nguyen";
		assert_int_equal(list_total(f, &ent_persons, &q), 6);
		q.count_max = 3;
		q.limit = 10;
		assert_int_equal(f->s->ops->list(f->s, &ent_persons, &q, &items, &total, &err), 0);
		assert_int_equal(total, 4);
		assert_int_equal(json_array_size(items), 6);
		for (size_t i = 1; i < json_array_size(items); i++) /* in id order, as every list */
			assert_true(json_integer_value(json_object_get(json_array_get(items, i - 1), "id")) <
				    json_integer_value(json_object_get(json_array_get(items, i), "id")));
		json_decref(items);
		q.count_max = 100;
		assert_int_equal(list_total(f, &ent_persons, &q), 6);
		q.count_max = 0;
		q.limit = 0;
	}
}

static void test_transaction_rollback(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;

	assert_int_equal(f->s->ops->begin(f->s, &err), 0);
	person(f, "Nguyễn Văn A", "16837", NULL);
	person(f, "Nguyễn Văn B", "16837", NULL);
	assert_int_equal(count(f, &ent_persons), 2);
	assert_int_equal(f->s->ops->rollback(f->s), 0);
	assert_int_equal(count(f, &ent_persons), 0);
	assert_int_equal(f->s->ops->begin(f->s, &err), 0);
	person(f, "Nguyễn Văn C", "16837", NULL);
	assert_int_equal(f->s->ops->commit(f->s, &err), 0);
	assert_int_equal(count(f, &ent_persons), 1);
}

static void test_code_as_of_date_and_moves(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct ou_info ou;
	char buf[300];
	int64_t old_unit, new_unit;
	int yes;

	/* The same code used by a closed unit and by its successor: a code names the unit in force. */
	snprintf(buf, sizeof(buf), "{\"code\": \"77777\", \"name\": \"Xã Cũ\", \"kind\": \"commune\", \"parent_id\": %lld,"
		 " \"valid_to\": \"2025-06-30\"}", (long long)tl_ou(f->s, "417"));
	old_unit = add_ok(f, &ent_orgunits, buf);
	snprintf(buf, sizeof(buf), "{\"code\": \"77777\", \"name\": \"Xã Mới\", \"kind\": \"commune\", \"parent_id\": %lld,"
		 " \"valid_from\": \"2025-07-01\"}", (long long)tl_ou(f->s, "40"));
	new_unit = add_ok(f, &ent_orgunits, buf);
	assert_int_equal(f->s->ops->ou_by_code(f->s, "77777", date_from_ymd(2024, 1, 1), &ou, &err), 0);
	assert_int_equal(ou.id, old_unit);
	assert_int_equal(f->s->ops->ou_by_code(f->s, "77777", date_from_ymd(2025, 7, 1), &ou, &err), 0);
	assert_int_equal(ou.id, new_unit);
	assert_string_equal(ou.name, "Xã Mới");
	assert_int_equal(ou.valid_from, date_from_ymd(2025, 7, 1));
	assert_int_equal(f->s->ops->ou_link(f->s, old_unit, new_unit, "full", date_from_ymd(2025, 7, 1), &err), 0);

	/* moving a district moves its communes' subtree */
	{
		json_t *d = get(f, &ent_orgunits, NULL, tl_ou(f->s, "417"), &err), *rec = NULL, *out = NULL;
		json_t *patch = json_pack("{s:s}", "parent_id", "VN");

		assert_non_null(d);
		assert_int_equal(ent_validate(&ent_orgunits, &f->ctx, patch, 1, &rec, &err), 0);
		json_decref(patch);
		patch = rec;
		assert_int_equal(ent_merge(&ent_orgunits, &f->ctx, d, patch, &rec, &err), 0);
		assert_int_equal(f->s->ops->update(f->s, &ent_orgunits, NULL, tl_ou(f->s, "417"), rec, 0, &out, &err), 0);
		assert_int_equal(f->s->ops->ou_within(f->s, tl_ou(f->s, "16837"), tl_ou(f->s, "40"), &yes, &err), 0);
		assert_false(yes);
		assert_int_equal(f->s->ops->ou_within(f->s, tl_ou(f->s, "16837"), tl_ou(f->s, "417"), &yes, &err), 0);
		assert_true(yes);
		json_decref(d);
		json_decref(rec);
		json_decref(out);
		json_decref(patch);
	}
	/* a unit cannot be put under its own descendant */
	{
		json_t *d = get(f, &ent_orgunits, NULL, tl_ou(f->s, "417"), &err), *rec = NULL, *out = NULL;

		json_object_set_new(d, "parent_id", json_integer(tl_ou(f->s, "16837")));
		assert_int_equal(ent_merge(&ent_orgunits, &f->ctx, d, d, &rec, &err), 0);
		assert_int_equal(f->s->ops->update(f->s, &ent_orgunits, NULL, tl_ou(f->s, "417"), rec, 0, &out, &err), -1);
		assert_string_equal(err.field, "parent_id");
		json_decref(d);
		json_decref(rec);
	}
}

static void test_person_similar(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	int64_t a = person(f, "Nguyễn Văn Ánh", "16837", NULL), b = person(f, "Nguyen Van Anh", "16822", NULL);
	json_t *out = NULL;

	person(f, "Nguyễn Văn Ánh Hai", "16837", NULL);
	assert_int_equal(f->s->ops->person_similar(f->s, NULL, "nguyen van anh", date_from_ymd(1990, 5, 1), b, &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(out, 0), "id")), a);
	json_decref(out);
	assert_int_equal(f->s->ops->person_similar(f->s, NULL, "nguyen van anh", date_from_ymd(1991, 5, 1), b, &out, &err), 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
}

/* Statements built per question are kept by their text and taken again (store_sqlite's dyn_get):
 * the same shape with other values, more shapes than are kept, and a shape evicted then asked again
 * must each answer their own question. */
static void test_kept_statements_answer_their_question(void **state)
{
	struct fx *f = *state;
	struct store_query q;
	struct pcmt_err err;
	int64_t a = person(f, "Lê Thị Mai", "16837", NULL);
	json_t *out = NULL, *items = NULL;
	int64_t total;

	person(f, "Lê Thị Mai", "16837", NULL);
	person(f, "Trần Văn Long", "16822", NULL);
	for (int round = 0; round < 2; round++)
		for (int limit = 1; limit <= 70; limit++) { /* more shapes (the LIMIT is in the text) than are kept */
			memset(&q, 0, sizeof(q));
			q.as_of = DATE_NONE;
			q.limit = limit;
			assert_int_equal(f->s->ops->list(f->s, &ent_persons, &q, &items, &total, &err), 0);
			assert_int_equal(total, 3);
			assert_int_equal(json_array_size(items), limit < 3 ? limit : 3);
			json_decref(items);
		}
	/* one shape, two names: the second is not answered with the first's values */
	assert_int_equal(f->s->ops->person_similar(f->s, NULL, "le thi mai", DATE_NONE, a, &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	assert_int_equal(f->s->ops->person_similar(f->s, NULL, "tran van long", DATE_NONE, a, &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "full_name")), "Trần Văn Long");
	json_decref(out);
	assert_int_equal(f->s->ops->person_similar(f->s, NULL, "le van an", DATE_NONE, a, &out, &err), 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_every_entity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orgunit_codes_and_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_references_must_exist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_national_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_referenced_person_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_search_and_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_as_of_date_and_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_similar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_statements_answer_their_question, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
