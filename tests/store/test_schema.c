/* test_schema.c: the two backends' schemas stay twins. sqlite_schema.c and pg_schema.c have as many
 * migrations; every entity field has its column; and, when the suite runs on PostgreSQL, both
 * backends migrated from nothing have the same tables with the same columns (what pcmt copy and
 * every SQL generated from the descriptors rely on). */
#include <stdlib.h>
#include <string.h>

#include "store/pg_schema.h"
#include "store/sqlite_schema.h"
#include "testlib.h"

static json_t *tables_of(const char *url)
{
	struct pcmt_err err;
	struct store *s;
	json_t *t = NULL;

	err_clear(&err);
	if (!(s = store_open(url, &err)) || s->ops->migrate(s, NULL, NULL, &err) || s->ops->raw_tables(s, &t, &err))
		fail_msg("%s: %s", url, err.message);
	store_close(s);
	return t;
}

static void test_as_many_migrations(void **state)
{
	int ns = 0, np = 0;

	while (sqlite_migrations[ns])
		ns++;
	while (pg_migrations[np])
		np++;
	if (ns != np)
		fail_msg("sqlite_schema.c has %d migrations and pg_schema.c %d: mirror the new one", ns, np);
}

static int has_col(json_t *cols, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(cols, i, c)
		if (!strcmp(json_string_value(c), name))
			return 1;
	return 0;
}

/* Every descriptor field, the bookkeeping columns and the province code, in every entity table. */
static void check_entities(json_t *tables, const char *backend)
{
	static const char *const extra[] = {"id", "version", "created_at", "updated_at"};

	for (int i = 0; ent_all[i]; i++) {
		json_t *cols = json_object_get(tables, ent_all[i]->table);

		if (!cols)
			fail_msg("%s: no table %s", backend, ent_all[i]->table);
		for (int f = 0; f < ent_all[i]->nfields; f++)
			if (!has_col(cols, ent_all[i]->fields[f].name))
				fail_msg("%s: no column %s.%s", backend, ent_all[i]->table, ent_all[i]->fields[f].name);
		for (size_t k = 0; k < sizeof(extra) / sizeof(extra[0]); k++)
			if (!has_col(cols, extra[k]))
				fail_msg("%s: no column %s.%s", backend, ent_all[i]->table, extra[k]);
	}
}

static void test_same_tables_and_columns(void **state)
{
	struct tl_tmp t;
	char sqlite_url[400];
	json_t *a, *b, *ca, *cb, *c;
	const char *name;
	size_t i;

	assert_int_equal(tl_tmp_init(&t), 0);
	snprintf(sqlite_url, sizeof(sqlite_url), "sqlite:%s/twin.db", t.dir);
	a = tables_of(sqlite_url);
	check_entities(a, "sqlite");
	if (!tl_pg()) {
		json_decref(a);
		tl_tmp_cleanup(&t);
		return;
	}
	b = tables_of(t.db);
	check_entities(b, "postgresql");
	json_object_foreach(a, name, ca) {
		if (!(cb = json_object_get(b, name)))
			fail_msg("table %s is in SQLite, not in PostgreSQL", name);
		json_array_foreach(ca, i, c)
			if (!has_col(cb, json_string_value(c)))
				fail_msg("column %s.%s is in SQLite, not in PostgreSQL", name, json_string_value(c));
		json_array_foreach(cb, i, c)
			if (!has_col(ca, json_string_value(c)))
				fail_msg("column %s.%s is in PostgreSQL, not in SQLite", name, json_string_value(c));
	}
	json_object_foreach(b, name, cb)
		if (!json_object_get(a, name))
			fail_msg("table %s is in PostgreSQL, not in SQLite", name);
	json_decref(a);
	json_decref(b);
	tl_tmp_cleanup(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_as_many_migrations),
		cmocka_unit_test(test_same_tables_and_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
