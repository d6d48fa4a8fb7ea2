/* test_audit.c: the audit log's hash chain on each backend: entries appended in batches and one at a
 * time chain in order and verify as intact; the table refuses UPDATE and DELETE; and once someone
 * drops those triggers, pcmt's check catches an edited entry (at that entry), a deleted one (at the
 * next) and two reordered ones (at the first of them); a write's entry rolls back with it. */
#include <stdio.h>
#include <string.h>

#include "auth/auditlog.h"
#include "testlib.h"

enum { N = 12 };

static void fill(struct audit_entry *e, int i)
{
	memset(e, 0, sizeof(*e));
	audit_now(e->at);
	e->user_id = 1 + i % 3;
	snprintf(e->username, sizeof(e->username), "user%d", i % 3);
	snprintf(e->action, sizeof(e->action), "%s", i % 2 ? "read" : "update");
	snprintf(e->entity, sizeof(e->entity), "persons");
	e->record_id = 100 + i;
	snprintf(e->detail, sizeof(e->detail), "entry %d", i);
	snprintf(e->addr, sizeof(e->addr), "10.0.0.%d", i);
	snprintf(e->outcome, sizeof(e->outcome), "ok");
}

/* A store with N entries: 5 in one batch, the others one by one. */
static struct store *chain(struct tl_tmp *t)
{
	struct store *s = tl_store_with_units(t);
	struct audit_entry e[N];
	struct pcmt_err err;

	assert_non_null(s);
	err_clear(&err);
	for (int i = 0; i < N; i++)
		fill(&e[i], i);
	assert_int_equal(s->ops->audit_append(s, e, 5, &err), 0);
	for (int i = 5; i < N; i++)
		assert_int_equal(s->ops->audit_append(s, &e[i], 1, &err), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(e[i].id, i + 1);
	assert_string_equal(e[0].prev_hash, AUDIT_GENESIS);
	for (int i = 1; i < N; i++)
		assert_string_equal(e[i].prev_hash, e[i - 1].hash);
	return s;
}

static void sql_ok(struct store *s, const char *sql)
{
	struct pcmt_err err;

	err_clear(&err);
	if (s->ops->sql(s, sql, 0, NULL, NULL, NULL, NULL, &err))
		fail_msg("%s: %s", sql, err.message);
}

/* What an attacker with full database access does first. */
static void drop_guards(struct store *s)
{
	if (!strcmp(s->ops->name, "sqlite")) {
		sql_ok(s, "DROP TRIGGER audit_log_no_update");
		sql_ok(s, "DROP TRIGGER audit_log_no_delete");
	} else {
		sql_ok(s, "DROP TRIGGER audit_log_no_update ON audit_log");
	}
}

static struct audit_verdict verdict(struct store *s)
{
	struct audit_verdict v;
	struct pcmt_err err;

	err_clear(&err);
	assert_int_equal(audit_verify(s, &v, &err), 0);
	return v;
}

static void test_intact_and_append_only(void **state)
{
	struct tl_tmp t;
	struct store *s = chain(&t);
	struct audit_verdict v = verdict(s);
	struct pcmt_err err;
	json_t *items = NULL;
	struct audit_filter f = {.user = "user1", .action = "read", .limit = 100};

	assert_int_equal(v.broken_at, 0);
	assert_int_equal(v.checked, N);
	assert_int_equal(strlen(v.head), 64);
	/* the guards refuse edits and deletions */
	err_clear(&err);
	assert_int_equal(s->ops->sql(s, "UPDATE audit_log SET detail = 'x' WHERE id = 3", 0, NULL, NULL, NULL, NULL, &err), -1);
	assert_int_equal(s->ops->sql(s, "DELETE FROM audit_log WHERE id = 3", 0, NULL, NULL, NULL, NULL, &err), -1);
	assert_int_equal(verdict(s).broken_at, 0);
	/* queries: user1 reads are entries 1, 7 (i = 1, 7: i % 3 == 1 and odd) */
	assert_int_equal(audit_query(s, &f, &items, &err), 0);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "detail")), "entry 1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "detail")), "entry 7");
	json_decref(items);
	store_close(s);
	tl_tmp_cleanup(&t);
}

static void test_edited(void **state)
{
	struct tl_tmp t;
	struct store *s = chain(&t);
	struct audit_verdict v;

	drop_guards(s);
	sql_ok(s, "UPDATE audit_log SET username = 'someone_else' WHERE id = 5");
	v = verdict(s);
	assert_int_equal(v.broken_at, 5);
	assert_non_null(strstr(v.why, "edited"));
	assert_int_equal(v.checked, 5);
	store_close(s);
	tl_tmp_cleanup(&t);
}

static void test_edited_with_rehash_of_itself(void **state)
{
	struct tl_tmp t;
	struct store *s = chain(&t);
	struct audit_verdict v;
	struct audit_entry e;
	struct pcmt_err err;
	char h[AUDIT_HASH_HEX + 1];
	const char *p[1] = {h};

	/* a forger who recomputes the edited entry's own hash still breaks the next link */
	drop_guards(s);
	fill(&e, 4);
	e.id = 5;
	sql_ok(s, "UPDATE audit_log SET detail = 'nothing to see' WHERE id = 5");
	{
		struct audit_filter f = {.limit = 10000};
		json_t *items = NULL;

		err_clear(&err);
		assert_int_equal(audit_query(s, &f, &items, &err), 0);
		/* rebuild entry 5 as stored, with its edited detail, and hash it */
		json_t *x = json_array_get(items, 4), *prev = json_array_get(items, 3);

		snprintf(e.at, sizeof(e.at), "%s", json_string_value(json_object_get(x, "at")));
		snprintf(e.detail, sizeof(e.detail), "nothing to see");
		snprintf(e.prev_hash, sizeof(e.prev_hash), "%s", json_string_value(json_object_get(prev, "hash")));
		audit_chain_hash(&e, h);
		json_decref(items);
	}
	assert_int_equal(s->ops->sql(s, "UPDATE audit_log SET hash = $1 WHERE id = 5", 1, p, NULL, NULL, NULL, &err), 0);
	v = verdict(s);
	assert_int_equal(v.broken_at, 6);
	store_close(s);
	tl_tmp_cleanup(&t);
}

static void test_deleted(void **state)
{
	struct tl_tmp t;
	struct store *s = chain(&t);
	struct audit_verdict v;

	drop_guards(s);
	sql_ok(s, "DELETE FROM audit_log WHERE id = 7");
	v = verdict(s);
	assert_int_equal(v.broken_at, 8);
	assert_non_null(strstr(v.why, "missing"));
	store_close(s);
	tl_tmp_cleanup(&t);
}

static void test_deleted_first(void **state)
{
	struct tl_tmp t;
	struct store *s = chain(&t);

	drop_guards(s);
	sql_ok(s, "DELETE FROM audit_log WHERE id = 1");
	assert_int_equal(verdict(s).broken_at, 2);
	store_close(s);
	tl_tmp_cleanup(&t);
}

static void test_reordered(void **state)
{
	struct tl_tmp t;
	struct store *s = chain(&t);
	struct audit_verdict v;

	drop_guards(s);
	/* entries 3 and 4 trade places (ids swapped: the order by id is the chain's order) */
	sql_ok(s, "UPDATE audit_log SET id = 1000 WHERE id = 3");
	sql_ok(s, "UPDATE audit_log SET id = 3 WHERE id = 4");
	sql_ok(s, "UPDATE audit_log SET id = 4 WHERE id = 1000");
	v = verdict(s);
	assert_int_equal(v.broken_at, 3);
	store_close(s);
	tl_tmp_cleanup(&t);
}

static void test_rolls_back_with_write(void **state)
{
	struct tl_tmp t;
	struct store *s = chain(&t);
	struct audit_entry e;
	struct pcmt_err err;

	err_clear(&err);
	fill(&e, 99);
	assert_int_equal(s->ops->begin(s, &err), 0);
	assert_int_equal(s->ops->audit_append(s, &e, 1, &err), 0);
	assert_int_equal(e.id, N + 1);
	assert_int_equal(s->ops->rollback(s), 0);
	assert_int_equal(verdict(s).checked, N);
	/* the next append takes the position the rolled-back one had */
	assert_int_equal(s->ops->audit_append(s, &e, 1, &err), 0);
	assert_int_equal(e.id, N + 1);
	assert_int_equal(verdict(s).broken_at, 0);
	store_close(s);
	tl_tmp_cleanup(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact_and_append_only), cmocka_unit_test(test_edited),
		cmocka_unit_test(test_edited_with_rehash_of_itself), cmocka_unit_test(test_deleted),
		cmocka_unit_test(test_deleted_first), cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_rolls_back_with_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
