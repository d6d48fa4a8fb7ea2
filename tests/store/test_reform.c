/* test_reform.c: the 2025 reform on the real mapping (data/vn-units-2025-07-01.tsv, the facts of
 * vn-units-2025-07-01-merges.json), on each backend: the counts after it (34 provinces, 3,321
 * communes, Nghệ An 130), a fully merged commune's persons followed with their history kept, a
 * split commune's person on the re-assignment list of its candidate units only, Nghệ An's
 * drug-free share on 2025-06-30 (old units) and 2025-07-31 (new units), a new commune evaluated
 * before it existed over its predecessors (approximate where one went in partly), re-assignment,
 * a refused mapping that writes nothing, and a second application that changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/units.h"
#include "domain/reform.h"
#include "engine/drugfree.h"
#include "engine/live.h"
#include "engine/orghist.h"
#include "engine/reform.h"
#include "testlib.h"
#include "util/date.h"

#define EFF date_from_ymd(2025, 7, 1)

static struct {
	struct tl_tmp tmp;
	struct store *s;
	struct ent_ctx ctx;
	int64_t p_full, p_split, p_full2; /* residents of 16837 (full), 17647 (split), 17356 (full) */
	struct reform_counts first;
} F;

static int64_t add(const struct entity_def *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t add(const struct entity_def *e, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	json_t *in, *rec = NULL, *out = NULL;
	struct pcmt_err err;
	int64_t id;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	err_clear(&err);
	in = json_loads(text, 0, NULL);
	if (!in || ent_validate(e, &F.ctx, in, 0, &rec, &err) || F.s->ops->insert(F.s, e, NULL, rec, &out, &err))
		fail_msg("insert into %s failed: %s (%s): %s", e->name, err.message, err.field, text);
	id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return id;
}

/* An illegal user residing in `commune` with an open record and tests on the given dates. */
static int64_t user(const char *name, const char *commune, const char *t1, const char *r1, const char *t2,
		    const char *r2)
{
	int64_t p = add(&ent_persons, "{\"full_name\": \"%s\", \"sex\": \"male\", \"residence_ou\": \"%s\"}", name, commune);

	add(&ent_classifications, "{\"person_id\": %lld, \"kind\": \"illegal_user\", \"date_from\": \"2025-01-02\"}",
	    (long long)p);
	add(&ent_records, "{\"person_id\": %lld, \"kind\": \"illegal_user\", \"opened\": \"2025-01-03\", \"managing_ou\": \"%s\"}",
	    (long long)p, commune);
	add(&ent_tests, "{\"person_id\": %lld, \"test_date\": \"%s\", \"kind\": \"periodic\", \"result\": \"%s\"}", (long long)p,
	    t1, r1);
	if (t2)
		add(&ent_tests, "{\"person_id\": %lld, \"test_date\": \"%s\", \"kind\": \"sudden\", \"result\": \"%s\"}",
		    (long long)p, t2, r2);
	return p;
}

static int read_file(const char *path, char **buf, size_t *len)
{
	struct pcmt_err err;

	err_clear(&err);
	if (units_read_file(path, buf, len, &err))
		fail_msg("%s: %s", path, err.message);
	return 0;
}

static int apply(const char *path, struct reform_counts *c, struct pcmt_err *err)
{
	struct reform_map m;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	read_file(path, &buf, &len);
	if (reform_parse(buf, len, &m, err) == 0) {
		if (F.s->ops->begin(F.s, err) == 0) {
			rc = reform_apply(F.s, &F.ctx, &m, EFF, NULL, c, err);
			if (rc == 0)
				rc = F.s->ops->commit(F.s, err);
			else
				F.s->ops->rollback(F.s);
		}
		reform_map_free(&m);
	}
	free(buf);
	return rc;
}

static int group_setup(void **state)
{
	struct units_counts uc = {{0}, {0}};
	struct pcmt_err err;
	char *buf = NULL;
	size_t len = 0;

	F.ctx.today = date_from_ymd(2026, 11, 23);
	err_clear(&err);
	if (tl_tmp_init(&F.tmp) || !(F.s = store_open(F.tmp.db, &err)) || F.s->ops->migrate(F.s, NULL, NULL, &err))
		return -1;
	read_file(PCMT_TESTS_DIR "/../data/vn-units-2025-03-01.tsv", &buf, &len);
	if (F.s->ops->begin(F.s, &err) || units_import(F.s, &F.ctx, buf, len, DATE_NONE, &uc, &err) ||
	    F.s->ops->commit(F.s, &err)) {
		fprintf(stderr, "import: %s\n", err.message);
		free(buf);
		return -1;
	}
	free(buf);
	/* Nậm Cắn (Kỳ Sơn) went whole into the new Nậm Cắn; Tường Sơn whole into Vĩnh Tường; Hòa Sơn
	 * (Đô Lương) was split between Vĩnh Tường and Văn Hiến */
	F.p_full = user("Người Nậm Cắn", "16837", "2025-06-20", "negative", "2025-07-20", "negative");
	F.p_split = user("Người Hòa Sơn", "17647", "2025-06-25", "positive", NULL, NULL);
	F.p_full2 = user("Người Tường Sơn", "17356", "2025-06-20", "negative", "2025-07-25", "negative");
	F.ctx.today = date_from_ymd(2026, 11, 23);
	if (apply(PCMT_TESTS_DIR "/../data/vn-units-2025-07-01.tsv", &F.first, &err)) {
		fprintf(stderr, "reform: %s\n", err.message);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	store_close(F.s);
	tl_tmp_cleanup(&F.tmp);
	return 0;
}

static int64_t unit_on(const char *code, int32_t date)
{
	struct ou_info o;
	struct pcmt_err err;

	err_clear(&err);
	if (F.s->ops->ou_by_code(F.s, code, date, &o, &err))
		fail_msg("no unit %s on that date: %s", code, err.message);
	return o.id;
}

/* Units of kind (under parent, 0: any) in force on date. */
static int count_in_force(const char *kind, int64_t parent, int32_t date)
{
	struct store_query q;
	json_t *items = NULL, *it;
	struct pcmt_err err;
	int64_t total = 0;
	size_t i;
	int n = 0;

	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = 1000;
	q.eq[0].field = "kind";
	q.eq[0].value = json_string(kind);
	q.neq = 1;
	if (parent) {
		q.eq[1].field = "parent_id";
		q.eq[1].value = json_integer(parent);
		q.neq = 2;
	}
	err_clear(&err);
	for (q.offset = 0;; q.offset += 1000) {
		assert_int_equal(F.s->ops->list(F.s, &ent_orgunits, &q, &items, &total, &err), 0);
		json_array_foreach(items, i, it) {
			const char *vf = json_string_value(json_object_get(it, "valid_from"));
			const char *vt = json_string_value(json_object_get(it, "valid_to"));
			int32_t a = DATE_NONE, b = DATE_NONE;

			if (vf)
				date_parse(vf, &a);
			if (vt)
				date_parse(vt, &b);
			n += (a == DATE_NONE || a <= date) && (b == DATE_NONE || b >= date);
		}
		i = json_array_size(items);
		json_decref(items);
		if (i == 0 || q.offset + (int64_t)i >= total)
			break;
	}
	for (int k = 0; k < q.neq; k++)
		json_decref(q.eq[k].value);
	return n;
}

static void test_counts(void **state)
{
	int32_t before = EFF - 1;

	assert_int_equal(count_in_force("province", 0, EFF), 34);
	assert_int_equal(count_in_force("commune", 0, EFF), 3321);
	assert_int_equal(count_in_force("district", 0, EFF), 0);
	assert_int_equal(count_in_force("commune", unit_on("40", EFF), EFF), 130);
	/* history kept: the day before, the old country is whole */
	assert_int_equal(count_in_force("province", 0, before), 63);
	assert_int_equal(count_in_force("district", 0, before), 696);
	assert_int_equal(count_in_force("commune", 0, before), 10047);
	assert_int_equal(F.first.provinces_created, 23);
	assert_int_equal(F.first.provinces_kept, 11);
	assert_int_equal(F.first.provinces_closed, 52);
	assert_int_equal(F.first.communes_created, 3321);
	assert_int_equal(F.first.communes_closed, 10047);
	assert_int_equal(F.first.districts_closed, 696);
	assert_int_equal(F.first.links_added, 10604 + 52);
	assert_int_equal(F.first.persons_moved, 2);
	assert_int_equal(F.first.persons_pending, 1);
	/* Nghệ An went on as the same unit */
	assert_int_equal(unit_on("40", before), unit_on("40", EFF));
}

static void test_full_merge_followed(void **state)
{
	json_t *p = NULL, *h = NULL;
	struct pcmt_err err;

	err_clear(&err);
	assert_int_equal(F.s->ops->get(F.s, &ent_persons, NULL, F.p_full, &p, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "residence_ou")), unit_on("16837", EFF));
	assert_int_not_equal(unit_on("16837", EFF), unit_on("16837", EFF - 1));
	json_decref(p);
	assert_int_equal(F.s->ops->residence_history(F.s, NULL, F.p_full, &h, &err), 0);
	assert_int_equal(json_array_size(h), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(h, 0), "orgunit"), "id")),
			 unit_on("16837", EFF - 1));
	assert_true(json_is_null(json_object_get(json_array_get(h, 0), "from")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "to")), "2025-06-30");
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "reason")), "reform");
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 1), "from")), "2025-07-01");
	assert_true(json_is_null(json_object_get(json_array_get(h, 1), "to")));
	json_decref(h);
	assert_int_equal(F.s->ops->get(F.s, &ent_persons, NULL, F.p_full2, &p, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "residence_ou")), unit_on("17357", EFF));
	json_decref(p);
}

static int pending_has(json_t *list, int64_t pid, const char *c1, const char *c2)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		json_t *c = json_object_get(e, "candidates");

		if (json_integer_value(json_object_get(e, "person_id")) != pid)
			continue;
		return json_array_size(c) == 2 && !strcmp(json_string_value(json_object_get(json_array_get(c, 0), "code")), c1) &&
		       !strcmp(json_string_value(json_object_get(json_array_get(c, 1), "code")), c2);
	}
	return 0;
}

static void test_split_pending(void **state)
{
	json_t *l = NULL, *p = NULL;
	struct pcmt_err err;
	int32_t today = date_from_ymd(2026, 11, 23);

	err_clear(&err);
	assert_int_equal(F.s->ops->get(F.s, &ent_persons, NULL, F.p_split, &p, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "residence_ou")), unit_on("17647", EFF - 1));
	json_decref(p);
	/* the officers of either candidate see the person, with both candidates, never a guess */
	assert_int_equal(orghist_pending(F.s, unit_on("17357", EFF), today, 1, &l, &err), 0);
	assert_true(pending_has(l, F.p_split, "17357", "17677"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "full_name")), "Người Hòa Sơn");
	json_decref(l);
	assert_int_equal(orghist_pending(F.s, unit_on("17677", EFF), today, 1, &l, &err), 0);
	assert_true(pending_has(l, F.p_split, "17357", "17677"));
	json_decref(l);
	assert_int_equal(orghist_pending(F.s, unit_on("40", EFF), today, 0, &l, &err), 0);
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
	/* another commune's officers do not */
	assert_int_equal(orghist_pending(F.s, unit_on("16837", EFF), today, 0, &l, &err), 0);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	/* and the day before the reform nobody was pending */
	assert_int_equal(orghist_pending(F.s, 0, EFF - 1, 0, &l, &err), 0);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
}

static json_t *eval(int64_t ou, int32_t date)
{
	struct drugfree_opts o = {0};
	struct pcmt_err err;
	struct live *lv;
	json_t *ans = NULL;

	err_clear(&err);
	o.ou_id = ou;
	o.date = date;
	o.details = 1;
	if (!(lv = live_open(F.s, &err)) || drugfree_eval(lv, F.s, &o, &ans, &err))
		fail_msg("drug-free evaluation: %s", err.message);
	live_close(lv);
	return ans;
}

static long long summary(json_t *a, const char *k)
{
	return json_integer_value(json_object_get(json_object_get(a, "summary"), k));
}

/* Persons counted over every commune of the answer (criterion 2's persons). */
static long long persons_counted(json_t *a)
{
	json_t *c;
	size_t i;
	long long n = 0;

	json_array_foreach(json_object_get(a, "communes"), i, c)
		n += json_integer_value(json_object_get(json_object_get(json_array_get(json_object_get(c, "criteria"), 1), "counts"),
							"persons"));
	return n;
}

static void test_drug_free_both_sides(void **state)
{
	json_t *a, *ff, *x;
	size_t i;
	int partial = 0;

	/* 2025-06-30, old units: 412 communes; Hòa Sơn fails on its positive test */
	a = eval(unit_on("40", EFF - 1), EFF - 1);
	assert_int_equal(summary(a, "communes"), 412);
	assert_int_equal(summary(a, "drug_free"), 411);
	assert_false(json_is_true(json_object_get(a, "approximate")));
	assert_int_equal(persons_counted(a), 3);
	json_decref(a);
	/* 2025-07-31, new units: 130 communes; the pending person counts in none of them */
	a = eval(unit_on("40", EFF), date_from_ymd(2025, 7, 31));
	assert_int_equal(summary(a, "communes"), 130);
	assert_int_equal(summary(a, "drug_free"), 130);
	assert_int_equal(persons_counted(a), 2);
	assert_int_equal(json_integer_value(json_object_get(a, "awaiting_reassignment")), 1);
	json_decref(a);
	/* the nation after the reform: 3,321 communes */
	a = eval(unit_on("VN", EFF), date_from_ymd(2025, 7, 31));
	assert_int_equal(summary(a, "communes"), 3321);
	json_decref(a);
	/* Vĩnh Tường on 2025-06-30, before it existed: over Tường Sơn, Hoa Sơn, Hội Sơn (whole) and Hòa
	 * Sơn (in part): approximate, and failing on Hòa Sơn's person */
	a = eval(unit_on("17357", EFF), EFF - 1);
	assert_true(json_is_true(json_object_get(a, "approximate")));
	ff = json_object_get(a, "formed_from");
	assert_int_equal(json_array_size(ff), 4);
	json_array_foreach(ff, i, x)
		partial += !strcmp(json_string_value(json_object_get(x, "link")), "partial") &&
			   !strcmp(json_string_value(json_object_get(x, "code")), "17647");
	assert_int_equal(partial, 1);
	assert_int_equal(summary(a, "communes"), 1);
	assert_int_equal(summary(a, "drug_free"), 0);
	assert_int_equal(persons_counted(a), 2);
	json_decref(a);
	/* the new Nậm Cắn on 2025-06-30: formed whole from old units, exact */
	a = eval(unit_on("16837", EFF), EFF - 1);
	assert_false(json_is_true(json_object_get(a, "approximate")));
	assert_int_equal(summary(a, "drug_free"), 1);
	assert_int_equal(persons_counted(a), 1);
	json_decref(a);
	/* a merged province before it existed: over the provinces that formed it, exactly */
	a = eval(unit_on("08", EFF), EFF - 1);
	assert_false(json_is_true(json_object_get(a, "approximate")));
	assert_int_equal(json_array_size(json_object_get(a, "formed_from")), 2);
	assert_int_equal(json_array_size(json_object_get(a, "units")), 2);
	json_decref(a);
}

static void test_closed_unit_refused(void **state)
{
	struct drugfree_opts o = {0};
	struct pcmt_err err;
	struct live *lv;
	json_t *ans = NULL;

	err_clear(&err);
	o.ou_id = unit_on("417", EFF - 1); /* Kỳ Sơn district, closed */
	o.date = date_from_ymd(2025, 7, 31);
	assert_non_null(lv = live_open(F.s, &err));
	assert_int_equal(drugfree_eval(lv, F.s, &o, &ans, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "date");
	assert_non_null(strstr(err.message, "closed on 2025-06-30"));
	live_close(lv);
}

static void test_history_and_search(void **state)
{
	json_t *h = NULL, *l = NULL, *e;
	struct pcmt_err err;
	int64_t total = 0;
	size_t i;
	int old = 0, neu = 0;

	err_clear(&err);
	assert_int_equal(orghist_history(F.s, unit_on("17647", EFF - 1), &h, &err), 0);
	assert_int_equal(json_array_size(json_object_get(h, "successors")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(h, "successors"), 0), "link")),
			    "partial");
	json_decref(h);
	/* the old name finds the closed unit and says what it became */
	assert_int_equal(orghist_search(F.s, "Hoa Son", date_from_ymd(2025, 8, 1), 200, &l, &total, &err), 0);
	json_array_foreach(l, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "code")), "17647")) {
			old = 1;
			assert_false(json_is_true(json_object_get(e, "in_force")));
			assert_int_equal(json_array_size(json_object_get(e, "became")), 2);
		}
	assert_true(old);
	json_decref(l);
	/* a reused code finds both units */
	assert_int_equal(orghist_search(F.s, "17357", date_from_ymd(2025, 8, 1), 200, &l, &total, &err), 0);
	json_array_foreach(l, i, e) {
		old += json_object_get(e, "became") != NULL;
		neu += json_is_true(json_object_get(e, "in_force"));
	}
	assert_int_equal(old, 2);
	assert_int_equal(neu, 1);
	json_decref(l);
}

static void test_reassign(void **state)
{
	json_t *h = NULL, *a;
	struct pcmt_err err;

	err_clear(&err);
	/* not a candidate, not pending: refused */
	assert_int_equal(orghist_reassign(F.s, F.p_split, unit_on("16837", EFF), 0, &h, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_int_equal(orghist_reassign(F.s, F.p_full, unit_on("17357", EFF), 0, &h, &err), -1);
	assert_int_equal(err.code, ERR_NOT_FOUND);
	/* a candidate outside the caller's subtree */
	assert_int_equal(orghist_reassign(F.s, F.p_split, unit_on("17677", EFF), unit_on("17357", EFF), &h, &err), -1);
	assert_int_equal(err.code, ERR_NOT_FOUND);
	assert_int_equal(orghist_reassign(F.s, F.p_split, unit_on("17677", EFF), unit_on("17677", EFF), &h, &err), 0);
	assert_int_equal(json_array_size(h), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "reason")), "reassigned");
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 1), "from")), "2025-07-01");
	json_decref(h);
	/* Văn Hiến now has the person from 2025-07-01, with the positive test; Hòa Sơn's past is kept */
	a = eval(unit_on("17677", EFF), date_from_ymd(2025, 7, 31));
	assert_int_equal(summary(a, "drug_free"), 0);
	json_decref(a);
	a = eval(unit_on("17647", EFF - 1), EFF - 1);
	assert_int_equal(summary(a, "drug_free"), 0);
	assert_int_equal(persons_counted(a), 1);
	json_decref(a);
	a = eval(unit_on("40", EFF), date_from_ymd(2025, 7, 31));
	assert_int_equal(json_integer_value(json_object_get(a, "awaiting_reassignment")), 0);
	assert_int_equal(persons_counted(a), 3);
	json_decref(a);
	/* twice: no longer pending */
	assert_int_equal(orghist_reassign(F.s, F.p_split, unit_on("17357", EFF), 0, &h, &err), -1);
	assert_int_equal(err.code, ERR_NOT_FOUND);
}

static int count_rows(void *cls, int n, const char *const *c, const char *const *v)
{
	(*(long *)cls)++;
	return 0;
}

static long rows(const char *table)
{
	struct pcmt_err err;
	long n = 0;

	err_clear(&err);
	if (F.s->ops->raw_read(F.s, table, count_rows, &n, &err))
		fail_msg("%s: %s", table, err.message);
	return n;
}

static void test_twice_changes_nothing(void **state)
{
	struct reform_counts c;
	struct pcmt_err err;
	long units = rows("org_unit"), links = rows("org_unit_link"), hist = rows("residence_history");
	json_t *before = NULL, *after = NULL;

	err_clear(&err);
	assert_int_equal(F.s->ops->counts(F.s, &before, &err), 0);
	assert_int_equal(apply(PCMT_TESTS_DIR "/../data/vn-units-2025-07-01.tsv", &c, &err), 0);
	assert_int_equal(c.provinces_created + c.communes_created + c.provinces_closed + c.communes_closed + c.districts_closed, 0);
	assert_int_equal(c.links_added, 0);
	assert_int_equal(c.persons_moved, 0);
	assert_int_equal(c.units_existing, 23 + 3321);
	assert_int_equal(rows("org_unit"), units);
	assert_int_equal(rows("org_unit_link"), links);
	assert_int_equal(rows("residence_history"), hist);
	assert_int_equal(F.s->ops->counts(F.s, &after, &err), 0);
	assert_true(json_equal(before, after));
	json_decref(before);
	json_decref(after);
}

static void test_unknown_units_refused(void **state)
{
	static const char bad[] =
		"code\tparent_code\tkind\ttype_name\tname\tmerged_from\n"
		"40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t40:full\n"
		"99001\t40\tcommune\tXã\tXã Mới\t16837:full,99999:full\n"
		"99002\t40\tcommune\tXã\tXã Khác\t88888:partial\n";
	struct reform_map m;
	struct reform_counts c;
	struct pcmt_err err;
	long units = rows("org_unit");

	err_clear(&err);
	assert_int_equal(reform_parse(bad, sizeof(bad) - 1, &m, &err), 0);
	assert_int_equal(F.s->ops->begin(F.s, &err), 0);
	assert_int_equal(reform_apply(F.s, &F.ctx, &m, date_from_ymd(2026, 1, 1), NULL, &c, &err), -1);
	F.s->ops->rollback(F.s);
	reform_map_free(&m);
	assert_int_equal(err.code, ERR_INVALID);
	assert_non_null(strstr(err.message, "99999"));
	assert_non_null(strstr(err.message, "88888"));
	assert_int_equal(rows("org_unit"), units);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_full_merge_followed),
		cmocka_unit_test(test_split_pending),
		cmocka_unit_test(test_drug_free_both_sides),
		cmocka_unit_test(test_closed_unit_refused),
		cmocka_unit_test(test_history_and_search),
		cmocka_unit_test(test_twice_changes_nothing),
		cmocka_unit_test(test_reassign),
		cmocka_unit_test(test_unknown_units_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
