/* test_import.c: the import driver on a real store (SQLite, and PostgreSQL as pg/import/...):
 * all-or-nothing and --partial, re-importing changes nothing, a person matched by national ID is
 * updated, text arrives in NFC whatever its form, events find their person by national ID and their
 * facility by name, org-unit codes resolve as of the row's date, the bulk path (files over 2,000
 * rows) with in-file duplicates, the importer's scope, an xlsx workbook, and the error file. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "import/imp.h"
#include "util/date.h"

/* "Nguyễn Văn Ánh" precomposed (NFC) and decomposed (NFD) */
#define NGUYEN_NFC "Nguy\xe1\xbb\x85n V\xc4\x83n \xc3\x81nh"
#define NGUYEN_NFD "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n A\xcc\x81nh"

struct fx {
	struct tl_tmp t;
	struct store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || !(f->s = tl_store_with_units(&f->t)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tl_tmp_cleanup(&f->t);
	free(f);
	return 0;
}

static void opts(struct imp_opts *o, const struct entity_def *e, int partial)
{
	memset(o, 0, sizeof(*o));
	o->e = e;
	o->partial = partial;
	o->ctx.today = date_from_ymd(2025, 6, 30);
	imp_limits_default(&o->lim);
}

/* Imports text as CSV; returns imp_run's result code. */
static int run(struct store *s, const struct entity_def *e, int partial, const struct scope *sc, const char *text,
	       struct imp_result *res, struct pcmt_err *err)
{
	struct imp_opts o;

	opts(&o, e, partial);
	o.scope = sc;
	err_clear(err);
	return imp_run(s, &o, text, strlen(text), res, err);
}

static long count(struct store *s, const char *entity)
{
	struct pcmt_err err;
	json_t *c = NULL;
	long n;

	err_clear(&err);
	assert_int_equal(s->ops->counts(s, &c, &err), 0);
	n = (long)json_integer_value(json_object_get(c, entity));
	json_decref(c);
	return n;
}

/* The one person with this national ID (list by filter), as a new reference. */
static json_t *person(struct store *s, const char *nid)
{
	struct store_query q;
	struct pcmt_err err;
	json_t *items = NULL, *v = json_string(nid), *p;
	int64_t total = 0;

	memset(&q, 0, sizeof(q));
	q.eq[0].field = "national_id";
	q.eq[0].value = v;
	q.neq = 1;
	q.as_of = DATE_NONE;
	q.limit = 10;
	err_clear(&err);
	assert_int_equal(s->ops->list(s, &ent_persons, &q, &items, &total, &err), 0);
	json_decref(v);
	assert_int_equal(total, 1);
	p = json_incref(json_array_get(items, 0));
	json_decref(items);
	return p;
}

static const char persons_csv[] =
	"STT;H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan;Gi\xe1\xbb\x9bi t\xc3\xadnh;Ng\xc3\xa0y sinh;N\xc6\xa1i c\xc6\xb0 tr\xc3\xba (x\xc3\xa3/ph\xc6\xb0\xe1\xbb\x9dng);"
	"S\xe1\xbb\x91 \xc4\x91\xe1\xbb\x8bnh danh/CCCD;S\xe1\xbb\x91 \xc4\x91i\xe1\xbb\x87n tho\xe1\xba\xa1i\r\n"
	"1;" NGUYEN_NFD ";Nam;01/02/1990;16837;040090001234;0912 345 678\r\n"
	"2;L\xe1\xbb\xaf Th\xe1\xbb\x8b B;N\xe1\xbb\xaf;5/9/1988;16822;040188000111;\r\n"
	"3;Bad Date;Nam;31/02/1990;16837;;\r\n";

static void all_or_nothing_then_partial(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct pcmt_err err;
	json_t *p;

	/* one bad row: nothing written, the row and its column named */
	assert_int_equal(run(f->s, &ent_persons, 0, NULL, persons_csv, &res, &err), 0);
	assert_int_equal(res.rows, 3);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.written, 0);
	assert_int_equal(res.nerrs, 1);
	assert_int_equal(res.errs[0].row, 4);
	assert_string_equal(res.errs[0].field, "Ng\xc3\xa0y sinh (dob)");
	assert_int_equal(count(f->s, "persons"), 0);
	imp_result_free(&res);

	/* --partial: the two good rows */
	assert_int_equal(run(f->s, &ent_persons, 1, NULL, persons_csv, &res, &err), 0);
	assert_int_equal(res.inserted, 2);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.written, 1);
	assert_int_equal(count(f->s, "persons"), 2);
	imp_result_free(&res);

	/* NFD in, NFC stored; d/m/yyyy read as a date; the residence code resolved */
	p = person(f->s, "040090001234");
	assert_string_equal(json_string_value(json_object_get(p, "full_name")), NGUYEN_NFC);
	assert_string_equal(json_string_value(json_object_get(p, "dob")), "1990-02-01");
	assert_int_equal(json_integer_value(json_object_get(p, "residence_ou")), tl_ou(f->s, "16837"));
	json_decref(p);
	p = person(f->s, "040188000111");
	assert_string_equal(json_string_value(json_object_get(p, "sex")), "female");
	assert_string_equal(json_string_value(json_object_get(p, "dob")), "1988-09-05");
	json_decref(p);

	/* the same file again changes nothing */
	assert_int_equal(run(f->s, &ent_persons, 1, NULL, persons_csv, &res, &err), 0);
	assert_int_equal(res.inserted, 0);
	assert_int_equal(res.updated, 0);
	assert_int_equal(res.skipped, 2);
	assert_int_equal(count(f->s, "persons"), 2);
	imp_result_free(&res);

	/* a changed phone: the person found by national ID is updated, not duplicated */
	assert_int_equal(run(f->s, &ent_persons, 0, NULL,
			     "national_id,full_name,sex,dob,residence_ou,phone\n040090001234," NGUYEN_NFC
			     ",male,1990-02-01,16837,0987 654 321\n",
			     &res, &err),
			 0);
	assert_int_equal(res.updated, 1);
	assert_int_equal(res.written, 1);
	assert_int_equal(count(f->s, "persons"), 2);
	p = person(f->s, "040090001234");
	assert_string_equal(json_string_value(json_object_get(p, "phone")), "0987 654 321");
	assert_int_equal(json_integer_value(json_object_get(p, "version")), 2);
	json_decref(p);
	imp_result_free(&res);
}

/* Persons, a facility, then tests that refer to them by national ID and name. */
static void events_by_natural_keys(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct pcmt_err err;
	struct scope sc = {tl_ou(f->s, "415")};
	json_t *fac = json_pack("{s:s, s:s, s:I}", "name", "Tr\xe1\xba\xa1m y t\xe1\xba\xbf x\xc3\xa3 N\xe1\xba\xadm C\xe1\xba\xafn",
				"kind", "health_station", "ou_id", (json_int_t)tl_ou(f->s, "16837"));
	json_t *rec = NULL;
	struct ent_ctx ctx = {date_from_ymd(2025, 6, 30)};
	static const char tests_csv[] =
		"S\xe1\xbb\x91 \xc4\x91\xe1\xbb\x8bnh danh/CCCD,Ng\xc3\xa0y x\xc3\xa9t nghi\xe1\xbb\x87m,H\xc3\xacnh th\xe1\xbb\xa9" "c,"
		"K\xe1\xba\xbft qu\xe1\xba\xa3 chung,N\xc6\xa1i x\xc3\xa9t nghi\xe1\xbb\x87m\n"
		"040090001234,05/06/2025,\xc4\x90\xe1\xbb\x8bnh k\xe1\xbb\xb3,\xc3\x82m t\xc3\xadnh,Tr\xe1\xba\xa1m y t\xe1\xba\xbf x\xc3\xa3 N\xe1\xba\xadm C\xe1\xba\xafn\n"
		"040090001234,2025-06-20,sudden,positive,\n";

	err_clear(&err);
	assert_int_equal(run(f->s, &ent_persons, 0, NULL, persons_csv + 0, &res, &err), 0); /* refused: row 4 */
	imp_result_free(&res);
	assert_int_equal(run(f->s, &ent_persons, 1, NULL, persons_csv, &res, &err), 0);
	imp_result_free(&res);
	assert_int_equal(ent_validate(&ent_facilities, &ctx, fac, 0, &rec, &err), 0);
	assert_int_equal(f->s->ops->insert(f->s, &ent_facilities, NULL, rec, NULL, &err), 0);
	json_decref(rec);
	json_decref(fac);

	assert_int_equal(run(f->s, &ent_tests, 0, NULL, tests_csv, &res, &err), 0);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.inserted, 2);
	assert_int_equal(count(f->s, "tests"), 2);
	imp_result_free(&res);
	/* again: unchanged */
	assert_int_equal(run(f->s, &ent_tests, 0, NULL, tests_csv, &res, &err), 0);
	assert_int_equal(res.skipped, 2);
	assert_int_equal(res.inserted, 0);
	assert_int_equal(count(f->s, "tests"), 2);
	imp_result_free(&res);

	/* unknown national ID, unknown facility, a future date: each row named, nothing written */
	assert_int_equal(run(f->s, &ent_tests, 0, NULL,
			     "national_id,test_date,kind,result,facility_id\n"
			     "040090009999,2025-06-01,periodic,negative,\n"
			     "040090001234,2025-06-02,periodic,negative,No such place\n"
			     "040090001234,2025-07-02,periodic,negative,\n"
			     "040090001234,2025-06-03,periodic,negative,\n",
			     &res, &err),
			 0);
	assert_int_equal(res.failed, 3);
	assert_int_equal(res.written, 0);
	assert_int_equal(res.errs[0].row, 2);
	assert_non_null(strstr(res.errs[0].message, "040090009999"));
	assert_int_equal(res.errs[1].row, 3);
	assert_non_null(strstr(res.errs[1].message, "No such place"));
	assert_int_equal(res.errs[2].row, 4);
	assert_non_null(strstr(res.errs[2].message, "future"));
	assert_int_equal(count(f->s, "tests"), 2);
	imp_result_free(&res);

	/* an importer scoped to Que Phong does not see a person of Ky Son */
	assert_int_equal(run(f->s, &ent_tests, 0, &sc,
			     "national_id,test_date,kind,result\n040090001234,2025-06-03,periodic,negative\n", &res, &err),
			 0);
	assert_int_equal(res.failed, 1);
	assert_non_null(strstr(res.errs[0].message, "in your org unit"));
	imp_result_free(&res);
	/* nor may it create a person there */
	assert_int_equal(run(f->s, &ent_persons, 0, &sc, "full_name,sex,residence_ou\nX,male,16837\n", &res, &err), 0);
	assert_int_equal(res.failed, 1);
	assert_int_equal(count(f->s, "persons"), 2);
	imp_result_free(&res);

	/* a name two facilities share is refused and asks for the id (find's "more than one") */
	fac = json_pack("{s:s, s:s, s:I}", "name", "Tr\xe1\xba\xa1m y t\xe1\xba\xbf x\xc3\xa3 N\xe1\xba\xadm C\xe1\xba\xafn",
			"kind", "health_station", "ou_id", (json_int_t)tl_ou(f->s, "16837"));
	assert_int_equal(ent_validate(&ent_facilities, &ctx, fac, 0, &rec, &err), 0);
	assert_int_equal(f->s->ops->insert(f->s, &ent_facilities, NULL, rec, NULL, &err), 0);
	json_decref(rec);
	json_decref(fac);
	assert_int_equal(run(f->s, &ent_tests, 0, NULL, tests_csv, &res, &err), 0);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.errs[0].row, 2);
	assert_non_null(strstr(res.errs[0].message, "more than one facility"));
	assert_int_equal(count(f->s, "tests"), 2);
	imp_result_free(&res);
}

/* A code reused by another unit after a reform resolves to the unit in force on the row's date. */
static void orgunit_code_as_of_date(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct pcmt_err err;
	struct ent_ctx ctx = {date_from_ymd(2025, 6, 30)};
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", "99001", "name", "Old", "kind", "commune", "parent_id", "417",
			      "valid_to", "2020-12-31");
	json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", "99001", "name", "New", "kind", "commune", "parent_id", "415",
			      "valid_from", "2021-01-01");
	json_t *ra = NULL, *rb = NULL, *oa = NULL, *ob = NULL, *items = NULL;
	struct store_query q;
	int64_t total;

	err_clear(&err);
	assert_int_equal(ent_validate(&ent_orgunits, &ctx, a, 0, &ra, &err), 0);
	assert_int_equal(f->s->ops->insert(f->s, &ent_orgunits, NULL, ra, &oa, &err), 0);
	assert_int_equal(ent_validate(&ent_orgunits, &ctx, b, 0, &rb, &err), 0);
	assert_int_equal(f->s->ops->insert(f->s, &ent_orgunits, NULL, rb, &ob, &err), 0);
	assert_int_equal(run(f->s, &ent_persons, 0, NULL, "full_name,sex,residence_ou,national_id\nP,male,16837,040090001234\n",
			     &res, &err),
			 0);
	assert_int_equal(res.inserted, 1);
	imp_result_free(&res);
	assert_int_equal(run(f->s, &ent_records, 0, NULL,
			     "person,kind,opened,managing_ou\n040090001234,addict,15/03/2019,99001\n040090001234,addict,15/03/2024,99001\n",
			     &res, &err),
			 0);
	assert_int_equal(res.inserted, 2);
	imp_result_free(&res);
	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = 10;
	assert_int_equal(f->s->ops->list(f->s, &ent_records, &q, &items, &total, &err), 0);
	assert_int_equal(total, 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "opened")), "2019-03-15");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "managing_ou")),
			 json_integer_value(json_object_get(oa, "id")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "managing_ou")),
			 json_integer_value(json_object_get(ob, "id")));
	json_decref(items);
	json_decref(a);
	json_decref(b);
	json_decref(ra);
	json_decref(rb);
	json_decref(oa);
	json_decref(ob);
}

/* Over 2,000 rows: the bulk path, with the same guarantees. */
static void bulk(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct pcmt_err err;
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap), *persons = malloc(cap);
	size_t pn = 0;

	pn += (size_t)sprintf(persons + pn, "national_id,full_name,sex,dob,residence_ou\n");
	for (int i = 0; i < 100; i++)
		pn += (size_t)sprintf(persons + pn, "0400900%05d,Person %d,male,1990-01-01,%s\n", i, i, i % 2 ? "16837" : "16822");
	assert_int_equal(run(f->s, &ent_persons, 0, NULL, persons, &res, &err), 0);
	assert_int_equal(res.inserted, 100);
	imp_result_free(&res);

	/* one date per 100 rows and person: no two rows are identical */
	n = 0;
	n += (size_t)sprintf(buf + n, "national_id,test_date,kind,result\n");
	for (int i = 0; i < 3000; i++) {
		char d[DATE_BUFSZ];

		date_format(date_from_ymd(2020, 1, 1) + i / 100, d);
		n += (size_t)sprintf(buf + n, "0400900%05d,%s,periodic,%s\n", i % 100, d, i % 3 ? "negative" : "positive");
	}
	/* the same row twice at the end: taken once */
	n += (size_t)sprintf(buf + n, "040090000000,2024-01-01,sudden,negative\n040090000000,2024-01-01,sudden,negative\n");
	assert_int_equal(run(f->s, &ent_tests, 0, NULL, buf, &res, &err), 0);
	assert_int_equal(res.rows, 3002);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.inserted, 3001);
	assert_int_equal(res.skipped, 1);
	assert_int_equal(count(f->s, "tests"), 3001);
	imp_result_free(&res);
	/* again: nothing changes */
	assert_int_equal(run(f->s, &ent_tests, 0, NULL, buf, &res, &err), 0);
	assert_int_equal(res.inserted, 0);
	assert_int_equal(res.skipped, 3002);
	assert_int_equal(count(f->s, "tests"), 3001);
	imp_result_free(&res);
	/* new rows plus one bad row at the very end: nothing of the 3,000 is written */
	n = 0;
	n += (size_t)sprintf(buf + n, "national_id,test_date,kind,result\n");
	for (int i = 0; i < 3000; i++) {
		char d[DATE_BUFSZ];

		date_format(date_from_ymd(2023, 1, 1) + i / 100, d);
		n += (size_t)sprintf(buf + n, "0400900%05d,%s,periodic,negative\n", i % 100, d);
	}
	n += (size_t)sprintf(buf + n, "040090000000,2024-01-01,weekly,negative\n");
	assert_int_equal(run(f->s, &ent_tests, 0, NULL, buf, &res, &err), 0);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.errs[0].row, 3002);
	assert_string_equal(res.errs[0].field, "kind");
	assert_int_equal(res.written, 0);
	assert_int_equal(count(f->s, "tests"), 3001);
	imp_result_free(&res);
	/* --partial takes the 3,000 */
	assert_int_equal(run(f->s, &ent_tests, 1, NULL, buf, &res, &err), 0);
	assert_int_equal(res.inserted, 3000);
	assert_int_equal(count(f->s, "tests"), 6001);
	imp_result_free(&res);
	free(buf);
	free(persons);
}

/* On a handle of its own (the CLI's) the import has the database skip its own check of the
 * references the import found: a row naming a facility or a person that does not exist still gets
 * its row error and nothing is written, --partial writes the others with the right references, and
 * the handle checks references again afterwards. */
static void own_handle_references(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct imp_opts o;
	struct pcmt_err err;
	struct ent_ctx ctx = {date_from_ymd(2025, 6, 30)};
	struct bulk_val v[16];
	size_t cap = 1 << 20, n = 0, pn = 0;
	char *buf = malloc(cap), *persons = malloc(cap);
	json_t *fac = json_pack("{s:s, s:s, s:I}", "name", "Tr\xe1\xba\xa1m A", "kind", "health_station", "ou_id",
				(json_int_t)tl_ou(f->s, "16837")),
	       *rec = NULL, *out = NULL, *items = NULL;
	struct store_query q;
	int64_t fid, first = 0, total = 0;

	assert_non_null(buf);
	assert_non_null(persons);
	pn += (size_t)sprintf(persons + pn, "national_id,full_name,sex,dob,residence_ou\n");
	for (int i = 0; i < 100; i++)
		pn += (size_t)sprintf(persons + pn, "0400900%05d,Person %d,male,1990-01-01,%s\n", i, i, i % 2 ? "16837" : "16822");
	assert_int_equal(run(f->s, &ent_persons, 0, NULL, persons, &res, &err), 0);
	imp_result_free(&res);
	assert_int_equal(ent_validate(&ent_facilities, &ctx, fac, 0, &rec, &err), 0);
	assert_int_equal(f->s->ops->insert(f->s, &ent_facilities, NULL, rec, &out, &err), 0);
	fid = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_decref(rec);
	json_decref(fac);

	/* 3,000 rows (the bulk path) at Tram A, but row 1502 names no facility there is and row 2603
	 * a person there is not */
	n += (size_t)sprintf(buf + n, "national_id,test_date,kind,result,facility_id\n");
	for (int i = 0; i < 3000; i++) {
		char d[DATE_BUFSZ], nid[16];

		date_format(date_from_ymd(2021, 1, 1) + i / 100, d);
		snprintf(nid, sizeof(nid), i == 2601 ? "040099999999" : "0400900%05d", i % 100);
		n += (size_t)sprintf(buf + n, "%s,%s,periodic,negative,%s\n", nid, d,
				     i == 1500 ? "Tr\xe1\xba\xa1m B" : "Tr\xe1\xba\xa1m A");
	}
	for (int partial = 0; partial < 2; partial++) {
		opts(&o, &ent_tests, partial);
		o.own_handle = 1;
		err_clear(&err);
		assert_int_equal(imp_run(f->s, &o, buf, n, &res, &err), 0);
		assert_int_equal(res.rows, 3000);
		assert_int_equal(res.failed, 2);
		assert_int_equal(res.errs[0].row, 1502);
		assert_non_null(strstr(res.errs[0].message, "no facility named \"Tr\xe1\xba\xa1m B\""));
		assert_int_equal(res.errs[1].row, 2603);
		assert_non_null(strstr(res.errs[1].message, "no person with national ID \"040099999999\""));
		assert_int_equal(res.written, partial);
		assert_int_equal(res.inserted, partial ? 2998 : 0);
		assert_int_equal(count(f->s, "tests"), partial ? 2998 : 0);
		imp_result_free(&res);
	}
	/* every written row names Tram A */
	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = 1000;
	for (q.offset = 0; q.offset < 2998; q.offset += 1000) {
		assert_int_equal(f->s->ops->list(f->s, &ent_tests, &q, &items, &total, &err), 0);
		assert_int_equal(total, 2998);
		for (size_t i = 0; i < json_array_size(items); i++)
			assert_int_equal(json_integer_value(json_object_get(json_array_get(items, i), "facility_id")), fid);
		json_decref(items);
		items = NULL;
	}
	/* and the handle checks references again: a row of a person there is not is refused */
	for (int i = 0; i < ent_tests.nfields; i++) {
		const char *name = ent_tests.fields[i].name;

		v[i] = (struct bulk_val){1, 0, NULL};
		if (!strcmp(name, "person_id"))
			v[i] = (struct bulk_val){0, 999999, NULL};
		else if (!strcmp(name, "test_date"))
			v[i] = (struct bulk_val){0, 0, "2024-01-01"};
		else if (!strcmp(name, "kind"))
			v[i] = (struct bulk_val){0, 0, "periodic"};
		else if (!strcmp(name, "result"))
			v[i] = (struct bulk_val){0, 0, "negative"};
	}
	assert_int_equal(f->s->ops->begin(f->s, &err), 0);
	assert_int_not_equal(f->s->ops->bulk_insert(f->s, &ent_tests, v, 1, &first, &err) ||
				     f->s->ops->commit(f->s, &err),
			     0);
	f->s->ops->rollback(f->s);
	assert_int_equal(count(f->s, "tests"), 2998);
	free(buf);
	free(persons);
}

/* A row is already there when every value equals a row the person has, whoever wrote it: a test
 * written through the store (substances as JSON) is found again by the import, and rows differing in
 * one value (substances missing, another day, another person) are new; the file again changes
 * nothing. */
static void reimport_compares_values(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct pcmt_err err;
	struct ent_ctx ctx = {date_from_ymd(2025, 6, 30)};
	json_t *in, *rec = NULL;
	json_t *a;
	static const char subs[] = "\"[{\"\"substance\"\": \"\"opioids\"\", \"\"result\"\": \"\"negative\"\"}]\"";
	char csv[1024];

	assert_int_equal(run(f->s, &ent_persons, 0, NULL,
			     "national_id,full_name,sex,dob,residence_ou\n040090000000,A,male,1990-01-01,16837\n"
			     "040090000001,B,male,1990-01-01,16822\n",
			     &res, &err),
			 0);
	imp_result_free(&res);
	a = person(f->s, "040090000000");
	in = json_pack("{s:I, s:s, s:s, s:s, s:[{s:s, s:s}]}", "person_id", json_integer_value(json_object_get(a, "id")),
		       "test_date", "2024-01-01", "kind", "periodic", "result", "negative", "substances", "substance",
		       "opioids", "result", "negative");
	json_decref(a);
	assert_int_equal(ent_validate(&ent_tests, &ctx, in, 0, &rec, &err), 0);
	assert_int_equal(f->s->ops->insert(f->s, &ent_tests, NULL, rec, NULL, &err), 0);
	json_decref(in);
	json_decref(rec);
	snprintf(csv, sizeof(csv),
		 "national_id,test_date,kind,result,substances\n"
		 "040090000000,2024-01-01,periodic,negative,%s\n"
		 "040090000000,2024-01-01,periodic,negative,\n"
		 "040090000000,2024-01-02,periodic,negative,%s\n"
		 "040090000001,2024-01-01,periodic,negative,%s\n",
		 subs, subs, subs);
	assert_int_equal(run(f->s, &ent_tests, 0, NULL, csv, &res, &err), 0);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.skipped, 1);
	assert_int_equal(res.inserted, 3);
	assert_int_equal(count(f->s, "tests"), 4);
	imp_result_free(&res);
	assert_int_equal(run(f->s, &ent_tests, 0, NULL, csv, &res, &err), 0);
	assert_int_equal(res.skipped, 4);
	assert_int_equal(res.inserted, 0);
	assert_int_equal(count(f->s, "tests"), 4);
	imp_result_free(&res);
}

/* Many more rows than one reader batch (512) and one bulk_insert (8,192), with refused rows spread
 * through the file: results, counts and row errors in order are those of a single thread; a row
 * whose person is unknown reports the person even when a later cell is bad too (the person's
 * column comes first); --partial writes the rest; the same file again writes nothing. */
static void bulk_many_batches(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct pcmt_err err;
	size_t cap = 4 << 20, n = 0;
	char *buf = malloc(cap), *persons = malloc(1 << 16);
	size_t pn = 0;
	long bad = 0, dups = 0;

	assert_non_null(buf);
	assert_non_null(persons);
	pn += (size_t)sprintf(persons + pn, "national_id,full_name,sex,dob,residence_ou\n");
	for (int i = 0; i < 100; i++)
		pn += (size_t)sprintf(persons + pn, "0400900%05d,Person %d,male,1990-01-01,%s\n", i, i, i % 2 ? "16837" : "16822");
	assert_int_equal(run(f->s, &ent_persons, 0, NULL, persons, &res, &err), 0);
	imp_result_free(&res);

	n += (size_t)sprintf(buf + n, "national_id,test_date,kind,result\n");
	for (int i = 0; i < 20000; i++) {
		char d[DATE_BUFSZ];

		date_format(date_from_ymd(2020, 1, 1) + i / 100, d);
		if (i % 1000 == 999) {
			n += (size_t)sprintf(buf + n, "040099999999,%s,weekly,negative\n", d); /* unknown person, bad kind */
			bad++;
		} else if (i % 1000 == 500) {
			n += (size_t)sprintf(buf + n, "0400900%05d,2026-01-01,periodic,negative\n", i % 100); /* future */
			bad++;
		} else if (i % 5000 == 1) {
			date_format(date_from_ymd(2020, 1, 1) + (i - 1) / 100, d);
			n += (size_t)sprintf(buf + n, "0400900%05d,%s,periodic,%s\n", (i - 1) % 100, d, (i - 1) % 3 ? "negative" : "positive");
			dups++;
		} else {
			n += (size_t)sprintf(buf + n, "0400900%05d,%s,periodic,%s\n", i % 100, d, i % 3 ? "negative" : "positive");
		}
		assert_true(n < cap - 100);
	}
	/* all or nothing */
	assert_int_equal(run(f->s, &ent_tests, 0, NULL, buf, &res, &err), 0);
	assert_int_equal(res.rows, 20000);
	assert_int_equal(res.failed, bad);
	assert_int_equal(res.written, 0);
	assert_int_equal(res.inserted, 0);
	assert_int_equal((long)res.nerrs, bad);
	assert_int_equal(count(f->s, "tests"), 0);
	imp_result_free(&res);
	/* --partial: the good rows, errors in row order (row 1 is the header) */
	assert_int_equal(run(f->s, &ent_tests, 1, NULL, buf, &res, &err), 0);
	assert_int_equal(res.rows, 20000);
	assert_int_equal(res.failed, bad);
	assert_int_equal(res.skipped, dups);
	assert_int_equal(res.inserted, 20000 - bad - dups);
	assert_int_equal(count(f->s, "tests"), 20000 - bad - dups);
	assert_int_equal((long)res.nerrs, bad);
	assert_int_equal(res.errs[0].row, 502);
	assert_string_equal(res.errs[0].field, "test_date");
	assert_string_equal(res.errs[0].message, "test_date is in the future");
	assert_int_equal(res.errs[1].row, 1001);
	assert_string_equal(res.errs[1].field, "national_id (person_id)");
	assert_non_null(strstr(res.errs[1].message, "no person with national ID \"040099999999\""));
	for (size_t i = 1; i < res.nerrs; i++)
		assert_true(res.errs[i - 1].row < res.errs[i].row);
	assert_int_equal(res.errs[res.nerrs - 1].row, 20001);
	imp_result_free(&res);
	/* again: nothing written, the same rows refused */
	assert_int_equal(run(f->s, &ent_tests, 1, NULL, buf, &res, &err), 0);
	assert_int_equal(res.inserted, 0);
	assert_int_equal(res.failed, bad);
	assert_int_equal(res.skipped, 20000 - bad);
	assert_int_equal(count(f->s, "tests"), 20000 - bad - dups);
	imp_result_free(&res);
	free(buf);
	free(persons);
}

/* A row the API refuses is refused by the import with the same field and message: both go through
 * ent_validate (the import on its reader thread). Field rules, a cross-field rule (the tests'
 * check hook) and a required field. */
static void same_rules_as_api(void **state)
{
	static const struct {
		const char *csv_row; /* after "national_id,test_date,kind,result,substances\n" */
		const char *body;    /* the API's body for the same test (person_id as the import finds it) */
	} cases[] = {
		{"040090000000,2026-01-01,periodic,negative,", "{\"test_date\": \"2026-01-01\", \"kind\": \"periodic\", \"result\": \"negative\"}"},
		{"040090000000,2024-01-01,weekly,negative,", "{\"test_date\": \"2024-01-01\", \"kind\": \"weekly\", \"result\": \"negative\"}"},
		{"040090000000,2024-01-01,periodic,negative,\"[{\"\"substance\"\": \"\"opioids\"\", \"\"result\"\": \"\"positive\"\"}]\"",
		 "{\"test_date\": \"2024-01-01\", \"kind\": \"periodic\", \"result\": \"negative\", "
		 "\"substances\": [{\"substance\": \"opioids\", \"result\": \"positive\"}]}"},
		{"040090000000,2024-01-01,periodic,negative,\"[{\"\"substance\"\": \"\"opioids\"\", \"\"result\"\": \"\"maybe\"\"}]\"",
		 "{\"test_date\": \"2024-01-01\", \"kind\": \"periodic\", \"result\": \"negative\", "
		 "\"substances\": [{\"substance\": \"opioids\", \"result\": \"maybe\"}]}"},
		{"040090000000,2024-01-01,,negative,", "{\"test_date\": \"2024-01-01\", \"result\": \"negative\"}"},
	};
	struct fx *f = *state;
	struct imp_result res;
	struct pcmt_err err, aerr;
	struct ent_ctx ctx = {date_from_ymd(2025, 6, 30)};

	assert_int_equal(run(f->s, &ent_persons, 0, NULL, "national_id,full_name,sex,dob,residence_ou\n040090000000,A,male,1990-01-01,16837\n",
			     &res, &err), 0);
	imp_result_free(&res);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char csv[512];
		json_t *body, *out = NULL;

		snprintf(csv, sizeof(csv), "national_id,test_date,kind,result,substances\n%s\n", cases[i].csv_row);
		assert_int_equal(run(f->s, &ent_tests, 0, NULL, csv, &res, &err), 0);
		assert_int_equal(res.failed, 1);
		body = json_loads(cases[i].body, 0, NULL);
		assert_non_null(body);
		json_object_set_new(body, "person_id", json_integer(1));
		err_clear(&aerr);
		assert_int_equal(ent_validate(&ent_tests, &ctx, body, 0, &out, &aerr), -1);
		assert_null(out);
		assert_string_equal(res.errs[0].field, aerr.field);
		assert_string_equal(res.errs[0].message, aerr.message);
		json_decref(body);
		imp_result_free(&res);
	}
}

/* An xlsx workbook (libxlsxwriter) with a date cell, a national ID that became a number and a
 * formula in a date column; the error file comes back as xlsx and reads again. */
static void xlsx_workbook(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct imp_opts o;
	struct pcmt_err err;
	char path[300], *buf, *eout = NULL;
	size_t n, eoutn = 0;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *dmy;
	lxw_datetime d = {1990, 2, 1, 0, 0, 0};
	FILE *fp;
	json_t *p;

	snprintf(path, sizeof(path), "%.250s/p.xlsx", f->t.dir);
	wb = workbook_new(path);
	ws = workbook_add_worksheet(wb, NULL);
	dmy = workbook_add_format(wb);
	format_set_num_format(dmy, "dd/mm/yyyy");
	worksheet_write_string(ws, 0, 0, "Full name", NULL);
	worksheet_write_string(ws, 0, 1, "Sex", NULL);
	worksheet_write_string(ws, 0, 2, "Date of birth", NULL);
	worksheet_write_string(ws, 0, 3, "Residence (commune)", NULL);
	worksheet_write_string(ws, 0, 4, "National ID", NULL);
	worksheet_write_string(ws, 1, 0, "A", NULL);
	worksheet_write_string(ws, 1, 1, "Male", NULL);
	worksheet_write_datetime(ws, 1, 2, &d, dmy);
	worksheet_write_number(ws, 1, 3, 16837, NULL);
	worksheet_write_number(ws, 1, 4, 40090001234.0, NULL);
	worksheet_write_string(ws, 2, 0, "B", NULL);
	worksheet_write_string(ws, 2, 1, "Male", NULL);
	worksheet_write_formula_num(ws, 2, 2, "=DATE(1990,1,1)", dmy, 32874);
	worksheet_write_number(ws, 2, 3, 16837, NULL);
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	fp = fopen(path, "rb");
	fseek(fp, 0, SEEK_END);
	n = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc(n);
	assert_int_equal(fread(buf, 1, n, fp), n);
	fclose(fp);

	opts(&o, &ent_persons, 0);
	o.format = imp_sniff(buf, n);
	assert_int_equal(o.format, IMP_XLSX);
	err_clear(&err);
	assert_int_equal(imp_run(f->s, &o, buf, n, &res, &err), 0);
	assert_int_equal(res.failed, 1);
	assert_int_equal(res.errs[0].row, 3);
	assert_non_null(strstr(res.errs[0].message, "formula"));
	assert_int_equal(count(f->s, "persons"), 0);
	/* the error file: xlsx, every row, the error beside row 3; it reads back as a workbook */
	assert_int_equal(imp_errfile(&o, buf, n, &res, 0, &eout, &eoutn, &err), 0);
	assert_int_equal(imp_sniff(eout, eoutn), IMP_XLSX);
	imp_result_free(&res);
	{
		struct imp_opts o2 = o;

		o2.partial = 1;
		assert_int_equal(imp_run(f->s, &o2, eout, eoutn, &res, &err), 0); /* error columns are ignored */
		assert_int_equal(res.inserted, 1);
		assert_int_equal(res.failed, 1);
		imp_result_free(&res);
	}
	p = person(f->s, "040090001234");
	assert_string_equal(json_string_value(json_object_get(p, "dob")), "1990-02-01");
	json_decref(p);
	free(eout);
	free(buf);
}

static void file_errors(void **state)
{
	struct fx *f = *state;
	struct imp_result res;
	struct pcmt_err err;

	/* header problems and encodings fail the whole file, writing nothing */
	assert_int_equal(run(f->s, &ent_persons, 1, NULL, "full_name,sex,residence_ou,shoe\nA,male,16837,42\n", &res, &err), -1);
	assert_non_null(strstr(err.message, "shoe"));
	assert_int_equal(run(f->s, &ent_persons, 1, NULL, "full_name,sex\nA,male\n", &res, &err), -1);
	assert_string_equal(err.field, "residence_ou");
	assert_int_equal(run(f->s, &ent_persons, 1, NULL, "full_name,sex,residence_ou\nA,male,16837\nB\xe9,male,16837\n", &res, &err), -1);
	assert_non_null(strstr(err.message, "row 3, column 1"));
	assert_non_null(strstr(err.message, "full_name") || strstr(err.message, "UTF-8"));
	assert_string_equal(err.field, "full_name");
	assert_int_equal(run(f->s, &ent_persons, 1, NULL, "", &res, &err), -1);
	assert_int_equal(count(f->s, "persons"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(all_or_nothing_then_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(events_by_natural_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(orgunit_code_as_of_date, setup, teardown),
		cmocka_unit_test_setup_teardown(bulk, setup, teardown),
		cmocka_unit_test_setup_teardown(bulk_many_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(own_handle_references, setup, teardown),
		cmocka_unit_test_setup_teardown(reimport_compares_values, setup, teardown),
		cmocka_unit_test_setup_teardown(same_rules_as_api, setup, teardown),
		cmocka_unit_test_setup_teardown(xlsx_workbook, setup, teardown),
		cmocka_unit_test_setup_teardown(file_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
