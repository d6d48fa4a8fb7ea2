/* test_rules.c: unit tests for src/domain/rules.c: which version of a rule is in force at the
 * boundaries (the day before and the day of a change), codes unknown or not yet in force, every
 * parser error named by its line, and the built-in rulebook: it parses and holds every rule pcmt
 * relies on, with the values and sources of RULES.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/rules.h"
#include "util/date.h"

#define HDR "code\tvalue\tunit\teffective_from\tconfirmed\tsource\tnote\n"

static int32_t day(const char *s)
{
	int32_t d = DATE_NONE;

	if (date_parse(s, &d))
		fail_msg("bad date in test: %s", s);
	return d;
}

static void builtin(struct rulebook *rb)
{
	struct pcmt_err err;

	err_clear(&err);
	rulebook_init(rb);
	if (rulebook_parse_tsv(rb, rulebook_default_tsv, rulebook_default_tsv_len, &err))
		fail_msg("built-in rulebook does not parse: %s", err.message);
}

/* The value of code on date, failing the test when there is none. */
static double at(const struct rulebook *rb, const char *code, const char *date)
{
	const struct rule *r = rule_at(rb, code, day(date));

	if (!r)
		fail_msg("no rule %s in force on %s", code, date);
	return r->value;
}

static void test_builtin_has_every_rule(void **state)
{
	static const struct {
		const char *code;
		double value;
		const char *unit;
		const char *from;
		int confirmed;
		const char *source; /* a part of the source */
	} want[] = {
		{"drugfree.test_window_days", 30, "days", "2024-01-01", 1, "Thanh Hoa project 2024-2025"},
		{"drugfree.community_addict_ceiling", 10, "persons", "2024-01-01", 1, "Thanh Hoa project 2024-2025"},
		{"drugfree.detection_lookback_days", 365, "days", "2024-01-01", 0, "pcmt reading"},
		{"mgmt.illegal_user_months", 12, "months", "2022-01-01", 1, "Decree 105/2021"},
		{"mgmt.illegal_user_decision_working_days", 3, "working_days", "2022-01-01", 1, "Decree 105/2021"},
		{"mgmt.residence_check_months", 1, "months", "2022-01-01", 1, "Decree 105/2021"},
		{"mgmt.post_rehab_months.voluntary", 12, "months", "2022-01-01", 1, "Law 73/2021/QH14 art. 40"},
		{"mgmt.post_rehab_months.substitution", 12, "months", "2022-01-01", 1, "Law 73/2021/QH14 art. 40"},
		{"mgmt.post_rehab_months.minor_compulsory", 12, "months", "2022-01-01", 1, "Law 73/2021/QH14 art. 40"},
		{"mgmt.post_rehab_months.adult_compulsory", 24, "months", "2022-01-01", 1, "Law 73/2021/QH14 art. 40"},
		{"test.periodic_interval_days", 90, "days", "2022-01-01", 0, "pcmt suggestion"},
		{"treatment.voluntary_months.min", 6, "months", "2022-01-01", 1, "Law 73/2021/QH14"},
		{"treatment.voluntary_months.max", 12, "months", "2022-01-01", 1, "Law 73/2021/QH14"},
		{"treatment.compulsory_adult_months.min", 12, "months", "2022-01-01", 1, "Law 73/2021/QH14"},
		{"treatment.compulsory_adult_months.max", 24, "months", "2022-01-01", 1, "Law 73/2021/QH14"},
		{"treatment.compulsory_minor_months.min", 6, "months", "2022-01-01", 0, "Law 73/2021/QH14 art. 33"},
		{"treatment.compulsory_minor_months.max", 12, "months", "2022-01-01", 0, "Law 73/2021/QH14 art. 33"},
		{"treatment.compulsory_adult_months.min", 24, "months", "2026-07-01", 0, "Law 120/2025/QH15"},
		{"treatment.compulsory_adult_months.max", 24, "months", "2026-07-01", 0, "Law 120/2025/QH15"},
		{"treatment.compulsory_adult_months.repeat", 36, "months", "2026-07-01", 0, "Law 120/2025/QH15"},
		{"user.move_report_hours", 24, "hours", "2026-07-01", 0, "Law 120/2025/QH15"},
		{"ost.methadone_prescription_max_days", 30, "days", "2024-03-15", 1, "Circular 26/2023/TT-BYT"},
		{"ost.take_home.maintenance_months", 6, "months", "2021-04-01", 0, "pcmt suggestion"},
		{"ost.take_home.negative_months", 3, "months", "2021-04-01", 0, "pcmt suggestion"},
		{"ost.take_home.max_days", 7, "days", "2021-04-01", 0, "pcmt suggestion"},
		{"ost.missed_dose.alert_days", 3, "days", "2000-01-01", 0, "EasyDose"},
		{"ost.missed_dose.escalation_days", 5, "days", "2000-01-01", 0, "EasyDose"},
		{"ost.missed_dose.review_days", 30, "days", "2000-01-01", 0, "pcmt suggestion"},
		{"ost.guest.max_days", 30, "days", "2000-01-01", 0, "pcmt suggestion"},
		{"stats.small_cell_threshold", 5, "persons", "2000-01-01", 1, "Small cells"},
		{"retention.identity_months", 60, "months", "2000-01-01", 0, "pcmt suggestion"},
		{"complex.commune.type1.criteria_min", 3, "count", "2025-08-24", 1, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type1.users_addicts_pct", 0.5, "percent", "2025-08-24", 1, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type1.places", 2, "places", "2025-08-24", 1, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type1.arrests_pct", 0.1, "percent", "2025-08-24", 1, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type1.plants", 3000, "plants", "2025-08-24", 1, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type1.plant_area_m2", 750, "m2", "2025-08-24", 1, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type1.type3_criteria_min", 2, "count", "2025-08-24", 1, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type2.places", 1, "places", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type2.arrests_pct.min", 0.05, "percent", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type2.plant_area_m2.min", 125, "m2", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type2.criteria_min", 3, "count", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type2.users_addicts_pct.min", 0.3, "percent", "2025-08-24", 0, "pcmt placeholder"},
		{"complex.commune.type2.plants.min", 500, "plants", "2025-08-24", 0, "pcmt placeholder"},
		{"complex.commune.type2.type3_criteria_min", 2, "count", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type3.criteria_min", 1, "count", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
		{"complex.commune.type3.users_addicts_pct.min", 0.1, "percent", "2025-08-24", 0, "pcmt placeholder"},
		{"complex.commune.type3.places", 1, "places", "2025-08-24", 0, "pcmt placeholder"},
		{"complex.commune.type3.arrests_pct.min", 0.02, "percent", "2025-08-24", 0, "pcmt placeholder"},
		{"complex.commune.type3.plants.min", 1, "plants", "2025-08-24", 0, "pcmt placeholder"},
		{"complex.commune.type3.plant_area_m2.min", 1, "m2", "2025-08-24", 0, "pcmt placeholder"},
		{"complex.commune.route_cases_min", 2, "count", "2025-08-24", 0, "pcmt reading"},
		{"complex.province.users_addicts_pct", 0.2, "percent", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
		{"complex.province.places", 5, "places", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
		{"complex.province.arrests_pct", 0.05, "percent", "2025-08-24", 0, "Decision 28/2025/QĐ-TTg"},
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	struct rulebook rb;

	builtin(&rb);
	/* every row is one of these: nothing in the file goes untested */
	assert_int_equal(rb.n, (int)n);
	for (size_t i = 0; i < n; i++) {
		const struct rule *r = rule_at(&rb, want[i].code, day(want[i].from));

		if (!r || r->effective_from != day(want[i].from))
			fail_msg("no row %s from %s", want[i].code, want[i].from);
		if (r->value != want[i].value || strcmp(r->unit, want[i].unit) || r->confirmed != want[i].confirmed ||
		    !strstr(r->source, want[i].source))
			fail_msg("%s from %s: got %g %s confirmed=%d source '%s'", want[i].code, want[i].from, r->value,
				 r->unit, r->confirmed, r->source);
		assert_int_equal(rule_validate(r, &(struct pcmt_err){0}), 0);
	}
	/* sorted by code then date, and the buffer ends with a NUL the length does not count */
	for (int i = 1; i < rb.n; i++) {
		int c = strcmp(rb.rules[i - 1].code, rb.rules[i].code);

		assert_true(c < 0 || (c == 0 && rb.rules[i - 1].effective_from < rb.rules[i].effective_from));
	}
	assert_int_equal(rulebook_default_tsv[rulebook_default_tsv_len], '\0');
	assert_int_equal(strlen(rulebook_default_tsv), rulebook_default_tsv_len);
	rulebook_free(&rb);
}

static void test_change_on_2026_07_01(void **state)
{
	struct rulebook rb;

	builtin(&rb);
	/* the day before Law 120/2025 and the day it comes into force */
	assert_true(at(&rb, "treatment.compulsory_adult_months.min", "2026-06-30") == 12);
	assert_true(at(&rb, "treatment.compulsory_adult_months.max", "2026-06-30") == 24);
	assert_true(at(&rb, "treatment.compulsory_adult_months.min", "2026-07-01") == 24);
	assert_true(at(&rb, "treatment.compulsory_adult_months.max", "2026-07-01") == 24);
	assert_false(rule_at(&rb, "treatment.compulsory_adult_months.min", day("2026-07-01"))->confirmed);
	assert_true(rule_at(&rb, "treatment.compulsory_adult_months.min", day("2026-06-30"))->confirmed);
	/* a code not yet in force: none the day before, one the day of */
	assert_null(rule_at(&rb, "treatment.compulsory_adult_months.repeat", day("2026-06-30")));
	assert_true(at(&rb, "treatment.compulsory_adult_months.repeat", "2026-07-01") == 36);
	assert_null(rule_at(&rb, "user.move_report_hours", day("2026-06-30")));
	assert_true(at(&rb, "user.move_report_hours", "2026-07-01") == 24);
	/* long after: still the latest row */
	assert_true(at(&rb, "treatment.compulsory_adult_months.min", "2199-12-31") == 24);
	/* rules unchanged by Law 120/2025 carry on */
	assert_true(at(&rb, "mgmt.illegal_user_months", "2026-07-01") == 12);
	assert_true(at(&rb, "treatment.voluntary_months.max", "2026-07-01") == 12);
	/* the first day of the seed criteria and the day before */
	assert_null(rule_at(&rb, "drugfree.test_window_days", day("2023-12-31")));
	assert_true(at(&rb, "drugfree.test_window_days", "2024-01-01") == 30);
	/* methadone cap from the Circular's entry into force, 2024-03-15 */
	assert_null(rule_at(&rb, "ost.methadone_prescription_max_days", day("2024-03-14")));
	assert_true(at(&rb, "ost.methadone_prescription_max_days", "2024-03-15") == 30);
	rulebook_free(&rb);
}

static void test_status_at(void **state)
{
	struct rulebook rb;
	int i;

	builtin(&rb);
	for (i = 0; i < rb.n && strcmp(rb.rules[i].code, "treatment.compulsory_adult_months.min"); i++)
		;
	assert_true(i + 1 < rb.n);
	/* rows i (2022) and i+1 (2026) */
	assert_int_equal(rule_status_at(&rb, i, day("2021-12-31")), RULE_FUTURE);
	assert_int_equal(rule_status_at(&rb, i, day("2026-06-30")), RULE_IN_FORCE);
	assert_int_equal(rule_status_at(&rb, i + 1, day("2026-06-30")), RULE_FUTURE);
	assert_int_equal(rule_status_at(&rb, i, day("2026-07-01")), RULE_SUPERSEDED);
	assert_int_equal(rule_status_at(&rb, i + 1, day("2026-07-01")), RULE_IN_FORCE);
	assert_string_equal(rule_status_name(RULE_SUPERSEDED), "superseded");
	rulebook_free(&rb);
}

static void test_unknown_code_and_rule_num(void **state)
{
	struct rulebook rb;
	struct pcmt_err err;
	double v = -1;

	builtin(&rb);
	assert_null(rule_at(&rb, "drugfree.no_such_rule", day("2025-01-01")));
	assert_null(rule_at(&rb, "", day("2025-01-01")));
	assert_null(rule_at(&rb, NULL, day("2025-01-01")));
	assert_null(rule_at(&rb, "zzz.after_every_code", day("2025-01-01")));
	assert_null(rule_at(&rb, "aaa.before_every_code", day("2025-01-01")));
	/* a prefix of a real code is not that code */
	assert_null(rule_at(&rb, "treatment.compulsory_adult_months", day("2025-01-01")));
	err_clear(&err);
	assert_int_equal(rule_num(&rb, "drugfree.test_window_days", day("2025-06-15"), &v, &err), 0);
	assert_true(v == 30);
	assert_int_equal(rule_num(&rb, "drugfree.no_such_rule", day("2025-06-15"), &v, &err), -1);
	/* a code the rulebook lacks altogether: the database predates it (503 naming the code and the fix) */
	assert_int_equal(err.code, ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "drugfree.no_such_rule"));
	assert_non_null(strstr(err.message, "2025-06-15"));
	assert_non_null(strstr(err.message, "pcmt migrate"));
	assert_int_equal(rule_known(&rb, "drugfree.no_such_rule"), 0);
	assert_int_equal(rule_known(&rb, "user.move_report_hours"), 1);
	assert_int_equal(rule_known(&rb, "treatment.compulsory_adult_months"), 0); /* a prefix */
	assert_int_equal(rule_known(&rb, NULL), 0);
	/* a code the rulebook has, asked about before its first version: the date is the fault */
	err_clear(&err);
	assert_int_equal(rule_num(&rb, "user.move_report_hours", day("2026-06-30"), &v, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "date");
	assert_non_null(strstr(err.message, "user.move_report_hours"));
	assert_true(v == 30); /* untouched */
	rulebook_free(&rb);
}

static void test_empty_rulebook(void **state)
{
	struct rulebook rb;

	rulebook_init(&rb);
	assert_null(rule_at(&rb, "drugfree.test_window_days", day("2025-01-01")));
	rulebook_sort(&rb);
	rulebook_free(&rb);
	rulebook_free(&rb); /* twice is harmless */
}

/* Many versions of one code among many codes: rule_at agrees with a linear scan. */
static void test_binary_search_matches_scan(void **state)
{
	struct rulebook rb;
	struct rule r;

	rulebook_init(&rb);
	memset(&r, 0, sizeof(r));
	strcpy(r.unit, "days");
	strcpy(r.source, "test");
	for (int c = 0; c < 7; c++)
		for (int k = 0; k < 1 + c * 3; k++) {
			snprintf(r.code, sizeof(r.code), "t.c%d", c);
			r.effective_from = (int32_t)(20000 + k * 10 + c);
			r.value = c * 1000 + k;
			assert_int_equal(rulebook_add(&rb, &r), 0);
		}
	rulebook_sort(&rb);
	for (int c = 0; c < 8; c++) {
		char code[16];

		snprintf(code, sizeof(code), "t.c%d", c);
		for (int32_t d = 19990; d < 20300; d++) {
			const struct rule *want = NULL, *got = rule_at(&rb, code, d);

			for (int i = 0; i < rb.n; i++)
				if (!strcmp(rb.rules[i].code, code) && rb.rules[i].effective_from <= d &&
				    (!want || rb.rules[i].effective_from > want->effective_from))
					want = &rb.rules[i];
			if (got != want)
				fail_msg("%s on %d: got %p, wanted %p", code, (int)d, (const void *)got, (const void *)want);
		}
	}
	rulebook_free(&rb);
}

/* Parses text expecting failure; the message must contain `line N:` and `what`. */
static void parse_fails(const char *text, int line, const char *what)
{
	struct rulebook rb;
	struct pcmt_err err;
	char want[32];

	rulebook_init(&rb);
	err_clear(&err);
	if (rulebook_parse_tsv(&rb, text, strlen(text), &err) != -1)
		fail_msg("accepted: %s", text);
	snprintf(want, sizeof(want), "line %d:", line);
	if (strncmp(err.message, want, strlen(want)) || !strstr(err.message, what))
		fail_msg("wanted '%s ... %s', got '%s'", want, what, err.message);
	assert_int_equal(err.code, ERR_INVALID);
	assert_int_equal(rb.n, 0); /* nothing of a bad file is kept */
	rulebook_free(&rb);
}

#define ROW(code, value, unit, date, conf) code "\t" value "\t" unit "\t" date "\t" conf "\tLaw X\tnote\n"

static void test_parse_errors_name_the_line(void **state)
{
	/* line 1 comment, line 2 header, line 3 a good row, line 4 the bad one */
	parse_fails("# c\n" HDR ROW("a.b", "1", "days", "2024-01-01", "yes") ROW("a.c", "x", "days", "2024-01-01", "yes"), 4,
		    "value");
	parse_fails(HDR ROW("a.b", "1", "days", "2024-01-01", "yes") "\n" ROW("a.c", "1", "furlongs", "2024-01-01", "yes"),
		    4, "unit");
	parse_fails(HDR ROW("a.b", "inf", "days", "2024-01-01", "yes"), 2, "value");
	parse_fails(HDR ROW("a.b", "nan", "days", "2024-01-01", "yes"), 2, "value");
	parse_fails(HDR ROW("a.b", "1e999", "days", "2024-01-01", "yes"), 2, "value");
	parse_fails(HDR ROW("a.b", "0x10", "days", "2024-01-01", "yes"), 2, "value");
	parse_fails(HDR ROW("a.b", " 1", "days", "2024-01-01", "yes"), 2, "value");
	parse_fails(HDR ROW("a.b", "", "days", "2024-01-01", "yes"), 2, "value");
	parse_fails(HDR ROW("a.b", "1", "days", "2023-02-29", "yes"), 2, "effective_from");
	parse_fails(HDR ROW("a.b", "1", "days", "2024-13-01", "yes"), 2, "effective_from");
	parse_fails(HDR ROW("a.b", "1", "days", "01/01/2024", "yes"), 2, "effective_from");
	parse_fails(HDR ROW("a.b", "1", "days", "2024-1-1", "yes"), 2, "effective_from");
	parse_fails(HDR ROW("a.b", "1", "days", "2024-01-01", "maybe"), 2, "yes or no");
	parse_fails(HDR ROW("a.b", "1", "days", "2024-01-01", "Yes"), 2, "yes or no");
	parse_fails(HDR "a.b\t1\tdays\t2024-01-01\tyes\t\tnote\n", 2, "source");
	parse_fails(HDR ROW("nodots", "1", "days", "2024-01-01", "yes"), 2, "code");
	parse_fails(HDR ROW("Upper.case", "1", "days", "2024-01-01", "yes"), 2, "code");
	parse_fails(HDR ROW("a..b", "1", "days", "2024-01-01", "yes"), 2, "code");
	parse_fails(HDR ROW("a.b.", "1", "days", "2024-01-01", "yes"), 2, "code");
	parse_fails(HDR ROW(".a.b", "1", "days", "2024-01-01", "yes"), 2, "code");
	parse_fails(HDR "a.b\t1\tdays\n", 2, "3 tab-separated fields");
	parse_fails(HDR "a.b\t1\tdays\t2024-01-01\tyes\tLaw X\tnote\textra\n", 2, "8 tab-separated fields");
	/* a code of 64 bytes does not fit */
	parse_fails(HDR ROW("a.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "1", "days", "2024-01-01",
			    "yes"),
		    2, "code");
	/* duplicates name both lines */
	parse_fails(HDR ROW("a.b", "1", "days", "2024-01-01", "yes") ROW("a.c", "1", "days", "2024-01-01", "yes")
			    ROW("a.b", "2", "days", "2024-01-01", "no"),
		    4, "already on line 2");
	/* header missing or wrong */
	parse_fails("# only comments\n\n", 3, "no header");
	parse_fails("code\tvalue\tunit\n" ROW("a.b", "1", "days", "2024-01-01", "yes"), 1, "header");
	parse_fails(ROW("a.b", "1", "days", "2024-01-01", "yes"), 1, "header");
	/* not UTF-8, or a control character */
	parse_fails(HDR "a.b\t1\tdays\t2024-01-01\tyes\tLaw \xff\tnote\n", 2, "UTF-8");
	parse_fails(HDR "a.b\t1\tdays\t2024-01-01\tyes\tLaw \x01\tnote\n", 2, "UTF-8");
}

static void test_parse_accepts(void **state)
{
	/* CRLF lines, no final newline, no note column, an empty note, comments and blank lines */
	static const char text[] = "# rulebook\r\n\r\ncode\tvalue\tunit\teffective_from\tconfirmed\tsource\tnote\r\n"
				   "b.x\t-2.5\tpercent\t2024-01-01\tno\tLuật 73/2021/QH14\r\n"
				   "a.y\t1e3\tplants\t2026-07-01\tyes\tQuyết định 28/2025/QĐ-TTg\t\r\n"
				   "# between\n"
				   "a.y\t7\tplants\t2022-01-01\tyes\tsrc\tghi chú: một dòng";
	struct rulebook rb;
	struct pcmt_err err;
	const struct rule *r;

	rulebook_init(&rb);
	err_clear(&err);
	if (rulebook_parse_tsv(&rb, text, strlen(text), &err))
		fail_msg("%s", err.message);
	assert_int_equal(rb.n, 3);
	assert_string_equal(rb.rules[0].code, "a.y"); /* sorted */
	assert_int_equal(rb.rules[0].effective_from, day("2022-01-01"));
	r = rule_at(&rb, "b.x", day("2024-01-01"));
	assert_non_null(r);
	assert_true(r->value == -2.5);
	assert_false(r->confirmed);
	assert_string_equal(r->source, "Luật 73/2021/QH14");
	assert_string_equal(r->note, "");
	r = rule_at(&rb, "a.y", day("2026-07-01"));
	assert_true(r->value == 1000);
	assert_string_equal(r->unit, "plants");
	assert_string_equal(rule_at(&rb, "a.y", day("2026-06-30"))->note, "ghi chú: một dòng");
	/* a second file adds to the first; a duplicate of a row already there is refused, and the
	 * refused file leaves the rulebook as it was */
	{
		static const char more[] = HDR ROW("c.z", "1", "days", "2024-01-01", "yes");
		static const char dup[] = HDR ROW("c.w", "1", "days", "2024-01-01", "yes")
			ROW("a.y", "8", "plants", "2022-01-01", "yes");

		assert_int_equal(rulebook_parse_tsv(&rb, more, strlen(more), &err), 0);
		assert_int_equal(rb.n, 4);
		assert_int_equal(rulebook_parse_tsv(&rb, dup, strlen(dup), &err), -1);
		assert_non_null(strstr(err.message, "line 3: a.y from 2022-01-01 is already in the rulebook"));
		assert_int_equal(rb.n, 4);
		assert_null(rule_at(&rb, "c.w", day("2025-01-01")));
		assert_true(rule_at(&rb, "a.y", day("2023-01-01"))->value == 7);
	}
	rulebook_free(&rb);
}

static void test_validate(void **state)
{
	struct rule r;
	struct pcmt_err err;

	memset(&r, 0, sizeof(r));
	strcpy(r.code, "drugfree.test_window_days");
	r.value = 30;
	strcpy(r.unit, "days");
	r.effective_from = day("2024-01-01");
	r.confirmed = 1;
	strcpy(r.source, "seed");
	err_clear(&err);
	assert_int_equal(rule_validate(&r, &err), 0);
	r.confirmed = 2;
	assert_int_equal(rule_validate(&r, &err), -1);
	assert_string_equal(err.field, "confirmed");
	r.confirmed = 0;
	r.effective_from = DATE_NONE;
	assert_int_equal(rule_validate(&r, &err), -1);
	assert_string_equal(err.field, "effective_from");
	r.effective_from = day("2024-01-01");
	strcpy(r.note, "two\nlines");
	assert_int_equal(rule_validate(&r, &err), -1);
	assert_string_equal(err.field, "note");
	r.note[0] = '\0';
	memset(r.unit, 'x', sizeof(r.unit)); /* not terminated */
	assert_int_equal(rule_validate(&r, &err), -1);
	assert_string_equal(err.field, "unit");
	assert_true(rule_unit_known("working_days"));
	assert_false(rule_unit_known("mL"));
	assert_false(rule_unit_known(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_has_every_rule),
		cmocka_unit_test(test_change_on_2026_07_01),
		cmocka_unit_test(test_status_at),
		cmocka_unit_test(test_unknown_code_and_rule_num),
		cmocka_unit_test(test_empty_rulebook),
		cmocka_unit_test(test_binary_search_matches_scan),
		cmocka_unit_test(test_parse_errors_name_the_line),
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_validate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
