/* test_province.c: every row carries its province's code (migration m5 on both backends, read here
 * through raw_read as pcmt copy sees it): set on insert from the org unit or the person, moved
 * with a person who moves to another province and with everything under a district moved to
 * another province, filled in after a bulk load, and a bulk-loaded row's taken from its person. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "util/date.h"

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
	*state = f;
	f->ctx.today = date_from_ymd(2025, 6, 1);
	return (f->s = tl_store_with_units(&f->tmp)) ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tl_tmp_cleanup(&f->tmp);
	free(f);
	return 0;
}

static int64_t add(struct fx *f, const struct entity_def *e, const char *text)
{
	json_t *in = json_loads(text, 0, NULL), *rec = NULL, *out = NULL;
	struct pcmt_err err;
	int64_t id = 0;

	err_clear(&err);
	if (!in || ent_validate(e, &f->ctx, in, 0, &rec, &err) || f->s->ops->insert(f->s, e, NULL, rec, &out, &err))
		fail_msg("insert into %s failed: %s (%s)", e->name, err.message, err.field);
	id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return id;
}

static void update(struct fx *f, const struct entity_def *e, int64_t id, const char *patch_text)
{
	json_t *patch = json_loads(patch_text, 0, NULL), *p = NULL, *base = NULL, *rec = NULL, *out = NULL;
	struct pcmt_err err;

	err_clear(&err);
	if (f->s->ops->get(f->s, e, NULL, id, &base, &err) || ent_validate(e, &f->ctx, patch, 1, &p, &err) ||
	    ent_merge(e, &f->ctx, base, p, &rec, &err) || f->s->ops->update(f->s, e, NULL, id, rec, 0, &out, &err))
		fail_msg("update of %s %lld failed: %s", e->name, (long long)id, err.message);
	json_decref(patch);
	json_decref(p);
	json_decref(base);
	json_decref(rec);
	json_decref(out);
}

struct find {
	int64_t id;
	char code[32];
	int found;
};

static int find_row(void *cls, int n, const char *const *cols, const char *const *vals)
{
	struct find *x = cls;
	const char *id = NULL, *code = NULL;

	for (int i = 0; i < n; i++) {
		if (!strcmp(cols[i], "id"))
			id = vals[i];
		if (!strcmp(cols[i], "province_code"))
			code = vals[i];
	}
	if (id && strtoll(id, NULL, 10) == x->id) {
		snprintf(x->code, sizeof(x->code), "%s", code ? code : "(null)");
		x->found = 1;
		return 1;
	}
	return 0;
}

/* The province_code of row id of table. */
static const char *prov(struct fx *f, const char *table, int64_t id)
{
	static struct find x;
	struct pcmt_err err;

	memset(&x, 0, sizeof(x));
	x.id = id;
	err_clear(&err);
	if (f->s->ops->raw_read(f->s, table, find_row, &x, &err))
		fail_msg("raw_read %s: %s", table, err.message);
	if (!x.found)
		fail_msg("no %s %lld", table, (long long)id);
	return x.code;
}

static void test_set_and_moved(void **state)
{
	struct fx *f = *state;
	char buf[300];
	int64_t p, t, c, fac, thanh_hoa, district, commune;

	/* units: the nation has none, units under Nghe An have 40 */
	assert_string_equal(prov(f, "org_unit", tl_ou(f->s, "VN")), "");
	assert_string_equal(prov(f, "org_unit", tl_ou(f->s, "40")), "40");
	assert_string_equal(prov(f, "org_unit", tl_ou(f->s, "16837")), "40");
	p = add(f, &ent_persons, "{\"full_name\": \"Lầu Bá Chông\", \"sex\": \"male\", \"residence_ou\": \"16837\"}");
	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"test_date\": \"2024-03-05\", \"kind\": \"sudden\", \"result\": \"negative\"}",
		 (long long)p);
	t = add(f, &ent_tests, buf);
	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2023-01-01\"}", (long long)p);
	c = add(f, &ent_classifications, buf);
	fac = add(f, &ent_facilities, "{\"name\": \"Trạm y tế\", \"kind\": \"health_station\", \"ou_id\": \"16822\"}");
	assert_string_equal(prov(f, "person", p), "40");
	assert_string_equal(prov(f, "drug_test", t), "40");
	assert_string_equal(prov(f, "classification", c), "40");
	assert_string_equal(prov(f, "facility", fac), "40");

	/* the person moves to a commune of Thanh Hoa (38): their records go along */
	thanh_hoa = add(f, &ent_orgunits, "{\"code\": \"38\", \"name\": \"Tỉnh Thanh Hóa\", \"kind\": \"province\", \"parent_id\": \"VN\"}");
	district = add(f, &ent_orgunits, "{\"code\": \"380\", \"name\": \"Huyện Mường Lát\", \"kind\": \"district\", \"parent_id\": \"38\"}");
	commune = add(f, &ent_orgunits, "{\"code\": \"14845\", \"name\": \"Xã Tam Chung\", \"kind\": \"commune\", \"parent_id\": \"380\"}");
	assert_string_equal(prov(f, "org_unit", thanh_hoa), "38");
	assert_string_equal(prov(f, "org_unit", district), "38");
	assert_string_equal(prov(f, "org_unit", commune), "38");
	update(f, &ent_persons, p, "{\"residence_ou\": \"14845\"}");
	assert_string_equal(prov(f, "person", p), "38");
	assert_string_equal(prov(f, "drug_test", t), "38");
	assert_string_equal(prov(f, "classification", c), "38");

	/* Ky Son (417) is moved from Nghe An to Thanh Hoa: its communes, persons, facilities follow */
	p = add(f, &ent_persons, "{\"full_name\": \"Vi Văn Hùng\", \"sex\": \"male\", \"residence_ou\": \"16822\"}");
	snprintf(buf, sizeof(buf), "{\"person_id\": %lld, \"test_date\": \"2024-04-05\", \"kind\": \"periodic\", \"result\": \"negative\"}",
		 (long long)p);
	t = add(f, &ent_tests, buf);
	update(f, &ent_orgunits, tl_ou(f->s, "417"), "{\"parent_id\": \"38\"}");
	assert_string_equal(prov(f, "org_unit", tl_ou(f->s, "417")), "38");
	assert_string_equal(prov(f, "org_unit", tl_ou(f->s, "16822")), "38");
	assert_string_equal(prov(f, "person", p), "38");
	assert_string_equal(prov(f, "drug_test", t), "38");
	assert_string_equal(prov(f, "facility", fac), "38");
	/* Que Phong stays in Nghe An */
	assert_string_equal(prov(f, "org_unit", tl_ou(f->s, "16756")), "40");
}

static void test_filled_after_bulk_load(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct bulk_val person[16], test[16];
	int64_t p = 0, t = 0;
	char ou[24];

	assert_true(ent_persons.nfields <= 16 && ent_tests.nfields <= 16);
	snprintf(ou, sizeof(ou), "%lld", (long long)tl_ou(f->s, "16756"));
	for (int i = 0; i < ent_persons.nfields; i++) {
		const struct field_def *fd = &ent_persons.fields[i];

		person[i] = (struct bulk_val){1, 0, NULL};
		if (!strcmp(fd->name, "full_name") || !strcmp(fd->name, "name_fold"))
			person[i] = (struct bulk_val){0, 0, "nguoi hang loat"};
		else if (!strcmp(fd->name, "sex"))
			person[i] = (struct bulk_val){0, 0, "female"};
		else if (!strcmp(fd->name, "residence_ou"))
			person[i] = (struct bulk_val){0, tl_ou(f->s, "16756"), NULL};
	}
	err_clear(&err);
	assert_int_equal(f->s->ops->bulk_mode(f->s, 1, &err), 0);
	assert_int_equal(f->s->ops->begin(f->s, &err), 0);
	assert_int_equal(f->s->ops->bulk_insert(f->s, &ent_persons, person, 1, &p, &err), 0);
	for (int i = 0; i < ent_tests.nfields; i++) {
		const struct field_def *fd = &ent_tests.fields[i];

		test[i] = (struct bulk_val){1, 0, NULL};
		if (!strcmp(fd->name, "person_id"))
			test[i] = (struct bulk_val){0, p, NULL};
		else if (!strcmp(fd->name, "test_date"))
			test[i] = (struct bulk_val){0, 0, "2022-02-02"};
		else if (!strcmp(fd->name, "kind"))
			test[i] = (struct bulk_val){0, 0, "periodic"};
		else if (!strcmp(fd->name, "result"))
			test[i] = (struct bulk_val){0, 0, "negative"};
	}
	assert_int_equal(f->s->ops->bulk_insert(f->s, &ent_tests, test, 1, &t, &err), 0);
	assert_int_equal(f->s->ops->commit(f->s, &err), 0);
	assert_int_equal(f->s->ops->bulk_mode(f->s, 0, &err), 0);
	assert_string_equal(prov(f, "person", p), "40");
	assert_string_equal(prov(f, "drug_test", t), "40");
}

/* ent_tests' bulk row for person p on day d (2022-02-d) */
static void bulk_test(struct bulk_val *v, int64_t p, int d, char date[11])
{
	snprintf(date, 11, "2022-02-%02d", d);
	for (int i = 0; i < ent_tests.nfields; i++) {
		const struct field_def *fd = &ent_tests.fields[i];

		v[i] = (struct bulk_val){1, 0, NULL};
		if (!strcmp(fd->name, "person_id"))
			v[i] = (struct bulk_val){0, p, NULL};
		else if (!strcmp(fd->name, "test_date"))
			v[i] = (struct bulk_val){0, 0, date};
		else if (!strcmp(fd->name, "kind"))
			v[i] = (struct bulk_val){0, 0, "periodic"};
		else if (!strcmp(fd->name, "result"))
			v[i] = (struct bulk_val){0, 0, "negative"};
	}
}

/* Bulk rows take their person's province during a bulk load, whose triggers are off: many rows of
 * persons of two provinces, through a statement of several rows and then one by one, in two
 * transactions (the SQLite backend looks each person's province up once, not on every row). */
static void test_bulk_rows_of_two_provinces(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct bulk_val v[70 * 16];
	char dates[70][11];
	int64_t a, b, t = 0, t2 = 0;

	assert_true(ent_tests.nfields <= 16);
	add(f, &ent_orgunits, "{\"code\": \"38\", \"name\": \"Tỉnh Thanh Hóa\", \"kind\": \"province\", \"parent_id\": \"VN\"}");
	add(f, &ent_orgunits, "{\"code\": \"380\", \"name\": \"Huyện Mường Lát\", \"kind\": \"district\", \"parent_id\": \"38\"}");
	add(f, &ent_orgunits, "{\"code\": \"14845\", \"name\": \"Xã Tam Chung\", \"kind\": \"commune\", \"parent_id\": \"380\"}");
	a = add(f, &ent_persons, "{\"full_name\": \"Lầu Bá Chông\", \"sex\": \"male\", \"residence_ou\": \"16837\"}");
	b = add(f, &ent_persons, "{\"full_name\": \"Vi Văn Hùng\", \"sex\": \"male\", \"residence_ou\": \"14845\"}");
	for (int i = 0; i < 70; i++)
		bulk_test(v + i * ent_tests.nfields, i % 3 ? b : a, 1 + i % 28, dates[i]);
	err_clear(&err);
	assert_int_equal(f->s->ops->bulk_mode(f->s, 1, &err), 0);
	assert_int_equal(f->s->ops->begin(f->s, &err), 0);
	assert_int_equal(f->s->ops->bulk_insert(f->s, &ent_tests, v, 70, &t, &err), 0);
	assert_int_equal(f->s->ops->commit(f->s, &err), 0);
	assert_int_equal(f->s->ops->begin(f->s, &err), 0);
	assert_int_equal(f->s->ops->bulk_insert(f->s, &ent_tests, v + ent_tests.nfields, 2, &t2, &err), 0);
	assert_int_equal(f->s->ops->commit(f->s, &err), 0);
	/* read before bulk_mode(0) fills what was left empty */
	for (int i = 0; i < 70; i++)
		assert_string_equal(prov(f, "drug_test", t + i), i % 3 ? "38" : "40");
	assert_string_equal(prov(f, "drug_test", t2), "38");
	assert_string_equal(prov(f, "drug_test", t2 + 1), "38");
	assert_int_equal(f->s->ops->bulk_mode(f->s, 0, &err), 0);
	assert_string_equal(prov(f, "drug_test", t), "40");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_and_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filled_after_bulk_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_rows_of_two_provinces, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
