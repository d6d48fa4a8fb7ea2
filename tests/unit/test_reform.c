/* test_reform.c: the 2025 reform's pure parts. Parsing a mapping (the official merges JSON shape and
 * pcmt's TSV) with every refusal naming where; and the snapshot's residence history: a person
 * counts where they lived on the date (the day before and the day of a move), once in a roll-up,
 * in a new unit's evaluation over the units it was formed from, after a reload that moves them,
 * and a province with more children than the old fixed stack held. */
#include <stdlib.h>
#include <string.h>

#include "domain/criteria.h"
#include "domain/reform.h"
#include "testlib.h"
#include "util/date.h"

/* ---- parsing ---------------------------------------------------------------------------------- */

static const char json_ok[] =
	"{\"data\": [{\"level1_id\": \"40\", \"name\": \"Tỉnh Nghệ An\", \"merges\": [{\"old_id\": \"40\", \"name\": \"Tỉnh Nghệ An\", \"type\": \"full\"}],"
	" \"level2s\": [{\"level2_id\": \"17357\", \"name\": \"Xã Vĩnh Tường\", \"merges\": ["
	"  {\"old_id\": \"17356\", \"name\": \"Xã Tường Sơn\", \"type\": \"full\"},"
	"  {\"old_id\": \"17647\", \"name\": \"Xã Hòa Sơn\", \"type\": \"partial\"}]},"
	"  {\"level2_id\": \"11948\", \"name\": \"Đặc khu Bạch Long Vĩ\", \"merges\": [{\"old_id\": \"318\", \"name\": \"x\", \"type\": \"full\"}]}]}]}";

static void test_parse_json(void **state)
{
	struct reform_map m;
	struct pcmt_err err;

	err_clear(&err);
	assert_int_equal(reform_parse(json_ok, strlen(json_ok), &m, &err), 0);
	assert_int_equal(m.nu, 3);
	assert_int_equal(m.nprov, 1);
	assert_int_equal(m.nm, 4);
	assert_string_equal(m.u[0].type_name, "Tỉnh");
	assert_string_equal(m.u[1].code, "17357");
	assert_string_equal(m.u[1].parent, "40");
	assert_string_equal(m.u[1].type_name, "Xã");
	assert_string_equal(m.u[2].type_name, "Đặc khu");
	assert_int_equal(m.u[1].n, 2);
	assert_false(m.m[m.u[1].first].partial);
	assert_true(m.m[m.u[1].first + 1].partial);
	assert_string_equal(m.m[m.u[1].first + 1].old_name, "Xã Hòa Sơn");
	reform_map_free(&m);
}

static void test_parse_tsv(void **state)
{
	static const char tsv[] = "# comment\n"
				  "code\tparent_code\tkind\ttype_name\tname\tmerged_from\n"
				  "40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t40:full\n"
				  "17357\t40\tcommune\tXã\tXã Vĩnh Tường\t17356:full,17647:partial\n";
	struct reform_map m;
	struct pcmt_err err;

	err_clear(&err);
	assert_int_equal(reform_parse(tsv, strlen(tsv), &m, &err), 0);
	assert_int_equal(m.nu, 2);
	assert_int_equal(m.nm, 3);
	assert_null(m.m[1].old_name);
	assert_true(m.m[2].partial);
	reform_map_free(&m);
}

static void refused(const char *text, const char *field, const char *words)
{
	struct reform_map m;
	struct pcmt_err err;

	err_clear(&err);
	assert_int_equal(reform_parse(text, strlen(text), &m, &err), -1);
	if (field)
		assert_string_equal(err.field, field);
	if (!strstr(err.message, words))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, words);
}

static void test_parse_refusals(void **state)
{
	static const char head[] = "code\tparent_code\tkind\ttype_name\tname\tmerged_from\n";
	char b[512];

	refused("{\"data\": 3}", "data", "no data[]");
	refused("{\"data\": [", NULL, "malformed JSON");
	snprintf(b, sizeof(b), "%s40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t40:whole\n", head);
	refused(b, "merges", "line 2: merge type of 40 must be full or partial");
	snprintf(b, sizeof(b), "%s40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t40:full\n17357\t41\tcommune\tXã\tXã A\t1:full\n", head);
	refused(b, "parent_code", "line 3: unit 17357: parent 41 is not a province");
	snprintf(b, sizeof(b), "%s40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t40:full\n1\t40\tcommune\tXã\tXã A\t1:full\n"
		 "1\t40\tcommune\tXã\tXã B\t2:full\n", head);
	refused(b, "code", "line 4: code 1 is used twice (also line 3)");
	snprintf(b, sizeof(b), "%s40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t\n", head);
	refused(b, "merges", "names no old unit");
	snprintf(b, sizeof(b), "%s40\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t40:full\n2\t40\tcommune\t\tThôn A\t1:full\n", head);
	refused(b, "name", "no known unit type");
	refused("code\tname\n", NULL, "expected the header");
	snprintf(b, sizeof(b), "%s4 0\tVN\tprovince\tTỉnh\tTỉnh Nghệ An\t40:full\n", head);
	refused(b, "code", "is not a unit code");
}

/* ---- residence history in the snapshot -------------------------------------------------------- */

enum { NATION = 1, PROVINCE = 2, OLD_A = 10, OLD_B = 11, OLD_SPLIT = 12, NEW_X = 20, NEW_Y = 21 };

static int32_t EFF;

/* Old communes A, B and SPLIT until EFF - 1; X (from A whole, B whole, SPLIT in part) and Y (SPLIT in
 * part) from EFF. */
static struct snap *reformed(void)
{
	struct snap *s = snap_new();

	EFF = date_from_ymd(2025, 7, 1);
	assert_non_null(s);
	assert_int_equal(snap_ou_add(s, NATION, 0, "nation", "VN", "Việt Nam", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, PROVINCE, NATION, "province", "40", "Nghệ An", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, OLD_A, PROVINCE, "commune", "1", "A", DATE_NONE, EFF - 1), 0);
	assert_int_equal(snap_ou_add(s, OLD_B, PROVINCE, "commune", "2", "B", DATE_NONE, EFF - 1), 0);
	assert_int_equal(snap_ou_add(s, OLD_SPLIT, PROVINCE, "commune", "3", "S", DATE_NONE, EFF - 1), 0);
	assert_int_equal(snap_ou_add(s, NEW_X, PROVINCE, "commune", "1", "X", EFF, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, NEW_Y, PROVINCE, "commune", "4", "Y", EFF, SNAP_OPEN), 0);
	assert_int_equal(snap_finish(s), 0);
	assert_int_equal(snap_link_add(s, OLD_A, NEW_X, "full", EFF), 0);
	assert_int_equal(snap_link_add(s, OLD_B, NEW_X, "full", EFF), 0);
	assert_int_equal(snap_link_add(s, OLD_SPLIT, NEW_X, "partial", EFF), 0);
	assert_int_equal(snap_link_add(s, OLD_SPLIT, NEW_Y, "partial", EFF), 0);
	return s;
}

/* An illegal user with an open record and a negative test `age` days before `when`. */
static struct snap_person *user(int64_t id, int64_t now_in, int64_t was_in, int32_t when, int age)
{
	struct snap_person *p = snap_person_new(id, now_in, "male", DATE_NONE);

	assert_non_null(p);
	snap_person_cls(p, "illegal_user", date_from_ymd(2025, 1, 1), SNAP_OPEN);
	snap_person_rec(p, "illegal_user", date_from_ymd(2025, 1, 2), SNAP_OPEN, now_in);
	snap_person_test(p, when - age, "periodic", "negative");
	if (was_in)
		assert_int_equal(snap_person_res(p, was_in, DATE_NONE, EFF - 1), 0);
	return p;
}

static int users_in(const struct snap *s, int64_t ou, int32_t date)
{
	struct crit_params cp = {30, 10, 365, 90};
	struct crit_result r;
	int n;

	assert_int_equal(crit_eval(s, snap_ou_ix(s, ou), date, &cp, &r), 0);
	n = r.users;
	crit_result_free(&r);
	return n;
}

static void test_residence_on_a_date(void **state)
{
	struct snap *s = reformed();
	const struct snap_person *p;

	assert_int_equal(snap_person_put(s, user(100, NEW_X, OLD_A, EFF, 5)), 0);
	assert_non_null(p = snap_person_get(s, 100));
	assert_int_equal(snap_residence(p, EFF - 1), OLD_A);
	assert_int_equal(snap_residence(p, date_from_ymd(2020, 1, 1)), OLD_A);
	assert_int_equal(snap_residence(p, EFF), NEW_X);
	/* a member of both, counted in one on each date */
	assert_int_equal(s->ous[snap_ou_ix(s, OLD_A)].nmembers, 1);
	assert_int_equal(s->ous[snap_ou_ix(s, NEW_X)].nmembers, 1);
	assert_int_equal(users_in(s, OLD_A, EFF - 1), 1);
	assert_int_equal(users_in(s, NEW_X, EFF - 1), 0);
	assert_int_equal(users_in(s, OLD_A, EFF), 0);
	assert_int_equal(users_in(s, NEW_X, EFF), 1);
	/* a reload without the history (a correction) leaves it a member of X only */
	assert_int_equal(snap_person_put(s, user(100, NEW_X, 0, EFF, 5)), 0);
	assert_int_equal(s->ous[snap_ou_ix(s, OLD_A)].nmembers, 0);
	assert_int_equal(s->ous[snap_ou_ix(s, NEW_X)].nmembers, 1);
	snap_person_drop(s, 100);
	assert_int_equal(s->ous[snap_ou_ix(s, NEW_X)].nmembers, 0);
	snap_free(s);
}

static void test_links(void **state)
{
	struct snap *s = reformed();
	const struct snap_ou *x = &s->ous[snap_ou_ix(s, NEW_X)], *sp = &s->ous[snap_ou_ix(s, OLD_SPLIT)];

	assert_int_equal(x->npred, 3);
	assert_int_equal(sp->nsucc, 2);
	assert_true(sp->succ[0].partial && sp->succ[1].partial);
	assert_int_equal(s->ous[x->pred[0].ix].id, OLD_A);
	assert_false(x->pred[0].partial);
	/* unknown units are ignored, not an error */
	assert_int_equal(snap_link_add(s, 999, NEW_X, "full", EFF), 0);
	assert_int_equal(x->npred, 3);
	assert_true(snap_in_force(x, EFF) && !snap_in_force(x, EFF - 1));
	snap_free(s);
}

static void test_eval_over_predecessors(void **state)
{
	struct crit_params cp = {30, 10, 365, 90};
	struct snap *s = reformed();
	struct crit_result r;
	int32_t units[3];

	/* before the reform: one in A, one in B, one in the split commune (still there: pending) */
	assert_int_equal(snap_person_put(s, user(1, NEW_X, OLD_A, EFF - 1, 5)), 0);
	assert_int_equal(snap_person_put(s, user(2, NEW_X, OLD_B, EFF - 1, 5)), 0);
	assert_int_equal(snap_person_put(s, user(3, OLD_SPLIT, 0, EFF - 1, 45)), 0);
	units[0] = snap_ou_ix(s, OLD_A);
	units[1] = snap_ou_ix(s, OLD_B);
	units[2] = snap_ou_ix(s, OLD_SPLIT);
	assert_int_equal(crit_eval_set(s, snap_ou_ix(s, NEW_X), units, 3, EFF - 1, &cp, &r), 0);
	assert_int_equal(r.commune_ix, snap_ou_ix(s, NEW_X));
	assert_int_equal(r.users, 3);
	assert_false(r.pass); /* person 3's test is 45 days old */
	crit_result_free(&r);
	/* the whole-merged units alone: both persons, each once */
	assert_int_equal(crit_eval_set(s, snap_ou_ix(s, NEW_X), units, 2, EFF - 1, &cp, &r), 0);
	assert_int_equal(r.users, 2);
	assert_true(r.pass);
	crit_result_free(&r);
	/* after it, X has the two who followed; the split commune's person lives in no unit in force */
	assert_int_equal(users_in(s, NEW_X, EFF + 3), 2);
	assert_int_equal(users_in(s, NEW_Y, EFF + 3), 0);
	snap_free(s);
}

static int count_fn(const struct snap *s, int32_t ci, void *cls)
{
	(*(int *)cls)++;
	return 0;
}

static void test_many_children(void **state)
{
	struct snap *s = snap_new();
	int n = 0;

	assert_non_null(s);
	assert_int_equal(snap_ou_add(s, 1, 0, "nation", "VN", "VN", DATE_NONE, SNAP_OPEN), 0);
	assert_int_equal(snap_ou_add(s, 2, 1, "province", "40", "P", DATE_NONE, SNAP_OPEN), 0);
	/* 30 closed districts of 5 communes and 200 communes directly below, as a province after the reform */
	for (int d = 0; d < 30; d++) {
		assert_int_equal(snap_ou_add(s, 100 + d, 2, "district", "d", "D", DATE_NONE, date_from_ymd(2025, 6, 30)), 0);
		for (int c = 0; c < 5; c++)
			assert_int_equal(snap_ou_add(s, 1000 + d * 10 + c, 100 + d, "commune", "c", "C", DATE_NONE,
						     date_from_ymd(2025, 6, 30)), 0);
	}
	for (int c = 0; c < 200; c++)
		assert_int_equal(snap_ou_add(s, 5000 + c, 2, "commune", "n", "N", date_from_ymd(2025, 7, 1), SNAP_OPEN), 0);
	assert_int_equal(snap_finish(s), 0);
	assert_int_equal(snap_communes(s, snap_ou_ix(s, 2), date_from_ymd(2025, 7, 1), count_fn, &n), 0);
	assert_int_equal(n, 200);
	n = 0;
	assert_int_equal(snap_communes(s, snap_ou_ix(s, 1), date_from_ymd(2025, 6, 30), count_fn, &n), 0);
	assert_int_equal(n, 150);
	snap_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_json),
		cmocka_unit_test(test_parse_tsv),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_residence_on_a_date),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_eval_over_predecessors),
		cmocka_unit_test(test_many_children),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
