/* test_pg.c: what only the PostgreSQL backend has to get right, on two handles of one database
 * (skipped, exit 77, when the suite runs on SQLite, whose writers cannot overlap):
 *   - the change log is in commit order: a transaction that wrote first but commits last is still
 *     seen by a reader that already read past the other's entry (sequences are not transactional);
 *   - a rolled-back write leaves a hole that is not taken for pruning;
 *   - drug tests go to yearly partitions made on demand, also again after a rollback undid one. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "util/date.h"

struct fx {
	struct tl_tmp tmp;
	struct store *a, *b;
	struct ent_ctx ctx;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pcmt_err err;

	if (!f)
		return -1;
	*state = f;
	if (!tl_pg()) {
		fprintf(stderr, "test_pg: PostgreSQL only (set PCMT_TEST_PG): skipped\n");
		exit(77);
	}
	err_clear(&err);
	f->ctx.today = date_from_ymd(2025, 6, 1);
	if (!(f->a = tl_store_with_units(&f->tmp)) || !(f->b = store_open(f->tmp.db, &err)))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->a);
	store_close(f->b);
	tl_tmp_cleanup(&f->tmp);
	free(f);
	return 0;
}

static int64_t person(struct fx *f, struct store *s, const char *name)
{
	json_t *in = json_pack("{s:s, s:s, s:s}", "full_name", name, "sex", "female", "residence_ou", "16837"), *rec = NULL,
	       *out = NULL;
	struct pcmt_err err;
	int64_t id = 0;

	err_clear(&err);
	if (ent_validate(&ent_persons, &f->ctx, in, 0, &rec, &err) || s->ops->insert(s, &ent_persons, NULL, rec, &out, &err))
		fail_msg("insert failed: %s", err.message);
	id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return id;
}

struct seen {
	int64_t ids[16];
	int n;
};

static int collect(void *cls, int64_t person_id, const char *table)
{
	struct seen *s = cls;

	if (person_id && s->n < 16)
		s->ids[s->n++] = person_id;
	return 0;
}

static int has(const struct seen *s, int64_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return 1;
	return 0;
}

static void test_log_is_in_commit_order(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct seen s = {0};
	int64_t pos = 0, last, early, late;
	int gap;

	/* everything so far */
	assert_int_equal(f->a->ops->changes(f->a, 0, collect, &s, &pos, &gap, &err), 0);
	assert_false(gap);
	/* a writes first but commits last */
	assert_int_equal(f->a->ops->begin(f->a, &err), 0);
	early = person(f, f->a, "Viết Trước");
	late = person(f, f->b, "Viết Sau");
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->b->ops->changes(f->b, pos, collect, &s, &last, &gap, &err), 0);
	assert_false(gap);
	assert_true(has(&s, late));
	assert_false(has(&s, early)); /* not committed yet */
	assert_int_equal(f->a->ops->commit(f->a, &err), 0);
	pos = last;
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->b->ops->changes(f->b, pos, collect, &s, &last, &gap, &err), 0);
	assert_false(gap);
	assert_true(has(&s, early)); /* a reader past late's entry still sees early's */
	assert_true(last > pos);
}

static void test_rollback_hole_is_not_a_gap(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct seen s = {0};
	int64_t pos = 0, last, kept;
	int gap;

	assert_int_equal(f->a->ops->changes(f->a, 0, collect, &s, &pos, &gap, &err), 0);
	assert_int_equal(f->a->ops->begin(f->a, &err), 0);
	person(f, f->a, "Bỏ Đi");
	assert_int_equal(f->a->ops->rollback(f->a), 0);
	kept = person(f, f->b, "Giữ Lại");
	memset(&s, 0, sizeof(s));
	assert_int_equal(f->a->ops->changes(f->a, pos, collect, &s, &last, &gap, &err), 0);
	assert_false(gap);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], kept);
}

static int64_t drug_test(struct fx *f, struct store *s, int64_t p, const char *date, struct pcmt_err *err)
{
	char buf[200];
	json_t *in, *rec = NULL, *out = NULL;
	int64_t id = 0;

	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"test_date\": \"%s\", \"kind\": \"periodic\", \"result\": \"negative\"}",
		 (long long)p, date);
	in = json_loads(buf, 0, NULL);
	err_clear(err);
	if (ent_validate(&ent_tests, &f->ctx, in, 0, &rec, err) == 0 && s->ops->insert(s, &ent_tests, NULL, rec, &out, err) == 0)
		id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return id;
}

static void test_yearly_partitions_on_demand(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	int64_t p = person(f, f->a, "Xét Nghiệm"), t;
	json_t *got = NULL;

	/* a year never seen: its partition is made, in the caller's transaction, and undone with it */
	assert_int_equal(f->a->ops->begin(f->a, &err), 0);
	assert_true(drug_test(f, f->a, p, "1998-03-04", &err) > 0);
	assert_int_equal(f->a->ops->rollback(f->a), 0);
	/* the same handle must not believe the partition still exists */
	t = drug_test(f, f->a, p, "1998-03-05", &err);
	if (!t)
		fail_msg("insert after rollback: %s", err.message);
	/* another handle, another year, and the first year again */
	assert_true(drug_test(f, f->b, p, "2003-12-31", &err) > 0);
	assert_true(drug_test(f, f->b, p, "1998-01-01", &err) > 0);
	assert_int_equal(f->b->ops->get(f->b, &ent_tests, NULL, t, &got, &err), 0);
	assert_string_equal(json_string_value(json_object_get(got, "test_date")), "1998-03-05");
	json_decref(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_is_in_commit_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_hole_is_not_a_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_yearly_partitions_on_demand, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
