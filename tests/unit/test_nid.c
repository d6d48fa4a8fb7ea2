/* test_nid.c: unit tests for src/domain/nid.c: the 12-digit citizen ID (province, sex-and-century
 * digit, birth year) and the 9-digit legacy number, and that every refusal names the caller's field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "domain/nid.h"
#include "util/date.h"

static void assert_ok(const char *s, const char *sex, int32_t dob, struct nid_info *info)
{
	struct pcmt_err err;

	err_clear(&err);
	if (nid_check(s, sex, dob, info, "national_id", &err) != 0) {
		print_error("nid_check(\"%s\", %s) refused: %s\n", s, sex ? sex : "-", err.message);
		fail();
	}
	assert_int_equal(err.code, ERR_OK);
}

/* Refused with ERR_INVALID, the field given, and a message containing `msg` (when not NULL). */
static void assert_refused(const char *s, const char *sex, int32_t dob, const char *field, const char *msg)
{
	struct pcmt_err err;
	struct nid_info info = {NID_CMND9, -7, -7, -7};

	err_clear(&err);
	if (nid_check(s, sex, dob, &info, field, &err) != -1) {
		print_error("nid_check(\"%s\", %s) was accepted\n", s ? s : "(null)", sex ? sex : "-");
		fail();
	}
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, field);
	assert_true(err.message[0] != '\0');
	if (msg && !strstr(err.message, msg)) {
		print_error("message \"%s\" lacks \"%s\"\n", err.message, msg);
		fail();
	}
	assert_int_equal(info.province, -7); /* *info untouched on refusal */
}

static void test_cccd_male_1990(void **state)
{
	struct nid_info info;

	assert_ok("040090123456", "male", date_from_ymd(1990, 5, 17), &info);
	assert_int_equal(info.kind, NID_CCCD12);
	assert_int_equal(info.province, 40);
	assert_int_equal(info.female, 0);
	assert_int_equal(info.birth_year, 1990);
	/* sex and date of birth unknown: only the form is checked */
	assert_ok("040090123456", NULL, DATE_NONE, &info);
	assert_int_equal(info.birth_year, 1990);
	assert_ok("040090123456", "male", DATE_NONE, NULL);
	assert_ok("040090123456", NULL, date_from_ymd(1990, 12, 31), NULL);
	assert_ok("040090123456", NULL, date_from_ymd(1990, 1, 1), NULL);
}

static void test_cccd_female_2001(void **state)
{
	struct nid_info info;

	assert_ok("001301234567", "female", date_from_ymd(2001, 2, 3), &info);
	assert_int_equal(info.kind, NID_CCCD12);
	assert_int_equal(info.province, 1);
	assert_int_equal(info.female, 1);
	assert_int_equal(info.birth_year, 2001);
	assert_ok("096100000001", "female", date_from_ymd(1900, 1, 1), &info); /* Ca Mau, 1900 */
	assert_int_equal(info.province, 96);
	assert_int_equal(info.birth_year, 1900);
	assert_ok("079099000000", "male", date_from_ymd(1999, 12, 31), &info); /* HCMC */
	assert_int_equal(info.birth_year, 1999);
}

/* Digit 4 (Circular 07/2016/TT-BCA art. 7, kept by 59/2021): even male, odd female;
 * 0-1 the 20th century (1900s), 2-3 the 21st, 4-5 the 22nd, 6-7 the 23rd, 8-9 the 24th (2300s). */
static void test_century_digit(void **state)
{
	static const struct {
		char d4;
		int female, base;
	} want[] = {{'0', 0, 1900}, {'1', 1, 1900}, {'2', 0, 2000}, {'3', 1, 2000}, {'4', 0, 2100},
		    {'5', 1, 2100}, {'6', 0, 2200}, {'7', 1, 2200}, {'8', 0, 2300}, {'9', 1, 2300}};
	char id[] = "0400xx123456";

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct nid_info info;

		id[3] = want[i].d4;
		id[4] = '4';
		id[5] = '7';
		assert_ok(id, want[i].female ? "female" : "male", DATE_NONE, &info);
		assert_int_equal(info.female, want[i].female);
		assert_int_equal(info.birth_year, want[i].base + 47);
		/* the opposite sex is refused */
		assert_refused(id, want[i].female ? "male" : "female", DATE_NONE, "national_id", "sex");
	}
	/* a digit 8 is not the 1800s: someone born in 1890 does not match it */
	assert_refused("040890123456", "male", date_from_ymd(1890, 1, 1), "national_id", "birth year");
}

static void test_legacy_9_digits(void **state)
{
	struct nid_info info;

	assert_ok("186123456", "female", date_from_ymd(1970, 1, 1), &info);
	assert_int_equal(info.kind, NID_CMND9);
	assert_ok("000000000", "male", date_from_ymd(2005, 6, 1), &info); /* no province check */
	assert_int_equal(info.kind, NID_CMND9);
	assert_ok("999999999", NULL, DATE_NONE, NULL);
	assert_refused("18612345A", NULL, DATE_NONE, "national_id", "digits");
}

static void test_wrong_length(void **state)
{
	assert_refused("04009012345", "male", DATE_NONE, "national_id", "11");   /* 11 */
	assert_refused("0400901234567", "male", DATE_NONE, "national_id", "13"); /* 13 */
	assert_refused("0400901234", NULL, DATE_NONE, "national_id", "10");
	assert_refused("18612345", NULL, DATE_NONE, "national_id", "8");
	assert_refused("1861234567", NULL, DATE_NONE, "national_id", NULL);
	assert_refused("", NULL, DATE_NONE, "national_id", NULL);
	assert_refused(NULL, NULL, DATE_NONE, "national_id", NULL);
}

static void test_not_digits(void **state)
{
	assert_refused("04009012345A", "male", DATE_NONE, "national_id", "digits");
	assert_refused("A40090123456", "male", DATE_NONE, "national_id", "digits");
	assert_refused("040 090 1234", "male", DATE_NONE, "national_id", "digits");
	assert_refused(" 040090123456", "male", DATE_NONE, "national_id", "digits");
	assert_refused("040090123456 ", "male", DATE_NONE, "national_id", "digits");
	assert_refused("-40090123456", "male", DATE_NONE, "national_id", "digits");
	assert_refused("04009012345\xd9\xa0", "male", DATE_NONE, "national_id", "digits"); /* Arabic-Indic 0 */
	assert_refused("04009012345\n", "male", DATE_NONE, "national_id", "digits");
}

static void test_province_code(void **state)
{
	char id[16];
	int accepted = 0;

	assert_refused("000090123456", "male", DATE_NONE, "national_id", "000");
	assert_refused("003090123456", "male", DATE_NONE, "national_id", "003"); /* 3 is not a province */
	assert_refused("097090123456", "male", DATE_NONE, "national_id", "097");
	assert_refused("100090123456", "male", DATE_NONE, "national_id", "100");
	assert_refused("999090123456", "male", DATE_NONE, "national_id", "999");
	assert_ok("001090123456", "male", DATE_NONE, NULL); /* Ha Noi */
	assert_ok("040090123456", "male", DATE_NONE, NULL); /* Nghe An */
	assert_ok("079090123456", "male", DATE_NONE, NULL); /* Ho Chi Minh City */
	assert_ok("096090123456", "male", DATE_NONE, NULL); /* Ca Mau */

	/* exactly the 63 provinces that issued CCCD numbers */
	for (int p = 0; p < 1000; p++) {
		struct pcmt_err err;

		snprintf(id, sizeof(id), "%03d090123456", p);
		id[12] = '\0';
		err_clear(&err);
		accepted += nid_check(id, NULL, DATE_NONE, NULL, "national_id", &err) == 0;
	}
	assert_int_equal(accepted, 63);
}

static void test_sex_disagreement(void **state)
{
	assert_refused("040090123456", "female", DATE_NONE, "national_id", "sex");
	assert_refused("001301234567", "male", date_from_ymd(2001, 2, 3), "national_id", "sex");
	/* the refusal names whatever field the caller validates */
	assert_refused("040090123456", "female", DATE_NONE, "cccd", NULL);
	assert_refused("001301234567", "male", DATE_NONE, "persons.national_id", NULL);
	/* a sex value that is neither is left to the enum check, not compared */
	assert_ok("040090123456", "unknown", DATE_NONE, NULL);
}

static void test_birth_year_disagreement(void **state)
{
	assert_refused("040090123456", "male", date_from_ymd(1991, 1, 1), "national_id", "1990");
	assert_refused("040090123456", "male", date_from_ymd(1989, 12, 31), "dob_nid", "birth year");
	/* same two year digits, other century */
	assert_refused("040090123456", "male", date_from_ymd(2090, 1, 1), "national_id", "birth year");
	assert_refused("001301234567", "female", date_from_ymd(1901, 6, 6), "national_id", "2001");
	assert_refused("001101234567", "female", date_from_ymd(2001, 6, 6), "national_id", "1901");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cccd_male_1990),
		cmocka_unit_test(test_cccd_female_2001),
		cmocka_unit_test(test_century_digit),
		cmocka_unit_test(test_legacy_9_digits),
		cmocka_unit_test(test_wrong_length),
		cmocka_unit_test(test_not_digits),
		cmocka_unit_test(test_province_code),
		cmocka_unit_test(test_sex_disagreement),
		cmocka_unit_test(test_birth_year_disagreement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
