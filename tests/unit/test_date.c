/* test_date.c: unit tests for src/util/date.c: the two accepted input forms, impossible dates,
 * day-number round trips over 1900..2100, month arithmetic with clamping and the clock overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/date.h"

/* Parses s, failing the test when it is rejected. */
static int32_t parse_ok(const char *s)
{
	int32_t d = DATE_NONE;

	if (date_parse(s, &d) != 0) {
		print_error("date_parse(\"%s\") was rejected\n", s);
		fail();
	}
	return d;
}

static void assert_rejected(const char *s)
{
	int32_t d = 12345;

	if (date_parse(s, &d) != -1) {
		print_error("date_parse(\"%s\") was accepted\n", s ? s : "(null)");
		fail();
	}
	assert_int_equal(d, 12345); /* *out untouched on failure */
}

static const char *fmt(int32_t d)
{
	static char buf[DATE_BUFSZ];

	return date_format(d, buf);
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static void test_epoch_and_known_days(void **state)
{
	assert_int_equal(date_from_ymd(1970, 1, 1), 0);
	assert_int_equal(date_from_ymd(1970, 1, 2), 1);
	assert_int_equal(date_from_ymd(1969, 12, 31), -1);
	assert_int_equal(date_from_ymd(2000, 1, 1), 10957);
	assert_int_equal(date_from_ymd(1900, 1, 1), -25567);
	assert_string_equal(fmt(0), "1970-01-01");
	assert_string_equal(fmt(-25567), "1900-01-01");
	assert_string_equal(fmt(date_from_ymd(2100, 12, 31)), "2100-12-31");
}

static void test_parse_iso(void **state)
{
	assert_int_equal(parse_ok("1970-01-01"), 0);
	assert_int_equal(parse_ok("2024-02-29"), date_from_ymd(2024, 2, 29));
	assert_int_equal(parse_ok("2000-02-29"), date_from_ymd(2000, 2, 29)); /* divisible by 400 */
	assert_int_equal(parse_ok("2023-12-31"), date_from_ymd(2023, 12, 31));
	assert_int_equal(parse_ok("1800-01-01"), date_from_ymd(1800, 1, 1)); /* range bounds */
	assert_int_equal(parse_ok("2200-12-31"), date_from_ymd(2200, 12, 31));
}

static void test_parse_dmy(void **state)
{
	assert_int_equal(parse_ok("01/01/1970"), 0);
	assert_int_equal(parse_ok("29/02/2024"), parse_ok("2024-02-29"));
	assert_int_equal(parse_ok("31/12/2023"), date_from_ymd(2023, 12, 31));
	/* day first, not month first: 02/03 is 2 March */
	assert_int_equal(parse_ok("02/03/2024"), date_from_ymd(2024, 3, 2));
	assert_int_equal(parse_ok("13/01/2024"), date_from_ymd(2024, 1, 13));
}

static void test_parse_rejects_impossible_dates(void **state)
{
	assert_rejected("31/02/2024");
	assert_rejected("30/02/2024");
	assert_rejected("2023-02-29"); /* not a leap year */
	assert_rejected("29/02/2023");
	assert_rejected("1900-02-29"); /* divisible by 100, not by 400 */
	assert_rejected("2024-04-31");
	assert_rejected("31/06/2024");
	assert_rejected("2024-13-01");
	assert_rejected("01/13/2024"); /* month-first US form: month 13 */
	assert_rejected("2024-00-10");
	assert_rejected("2024-01-00");
	assert_rejected("2024-01-32");
	assert_rejected("00/01/2024");
	assert_rejected("1799-12-31"); /* outside 1800..2200 */
	assert_rejected("2201-01-01");
	assert_rejected("0000-01-01");
}

static void test_parse_rejects_bad_forms(void **state)
{
	assert_rejected(NULL);
	assert_rejected("");
	assert_rejected("2024-1-01");
	assert_rejected("2024-01-1");
	assert_rejected("24-01-01");
	assert_rejected("1/1/2024");
	assert_rejected("01/01/24");
	assert_rejected("2024-01-01x");
	assert_rejected("2024-01-01 ");
	assert_rejected(" 2024-01-01");
	assert_rejected("2024-01-01\n");
	assert_rejected("2024-01-01T00:00:00Z");
	assert_rejected("2024/01/01");
	assert_rejected("01-01-2024");
	assert_rejected("01.01.2024");
	assert_rejected("2024-01/01");
	assert_rejected("+024-01-01");
	assert_rejected("-024-01-01");
	assert_rejected("2024-0a-01");
	assert_rejected("2024- 1-01");
	assert_rejected("20240101");
	assert_rejected("yyyy-mm-dd");
}

static void test_valid_ymd(void **state)
{
	assert_true(date_valid_ymd(2024, 2, 29));
	assert_false(date_valid_ymd(2023, 2, 29));
	assert_false(date_valid_ymd(2024, 0, 1));
	assert_false(date_valid_ymd(2024, 13, 1));
	assert_false(date_valid_ymd(2024, 1, 0));
	assert_false(date_valid_ymd(2024, 1, 32));
	assert_false(date_valid_ymd(2024, -1, 1));
	assert_true(date_valid_ymd(1800, 1, 1));
	assert_false(date_valid_ymd(1799, 12, 31));
	assert_true(date_valid_ymd(2200, 12, 31));
	assert_false(date_valid_ymd(2201, 1, 1));
}

/* Every calendar day 1900-01-01..2100-12-31 gets consecutive day numbers, formats as the expected text
 * and parses back (in both forms) to the same number. */
static void test_round_trip_1900_2100(void **state)
{
	int32_t expect = date_from_ymd(1900, 1, 1);
	char want[32], dmy[32], buf[DATE_BUFSZ];
	long n = 0;

	for (int y = 1900; y <= 2100; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= month_days(y, m); d++) {
				int32_t z = date_from_ymd(y, m, d), p = DATE_NONE;
				int yy, mm, dd;

				if (z != expect) {
					print_error("%04d-%02d-%02d is day %d, expected %d\n", y, m, d, z, expect);
					fail();
				}
				date_to_ymd(z, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d) {
					print_error("day %d gave %d-%d-%d, expected %d-%d-%d\n", z, yy, mm, dd, y, m, d);
					fail();
				}
				snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, d);
				assert_string_equal(date_format(z, buf), want);
				assert_int_equal(date_parse(want, &p), 0);
				assert_int_equal(p, z);
				snprintf(dmy, sizeof(dmy), "%02d/%02d/%04d", d, m, y);
				p = DATE_NONE;
				assert_int_equal(date_parse(dmy, &p), 0);
				assert_int_equal(p, z);
				expect++;
				n++;
			}
			/* the day after the month's last day is not a date */
			snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, month_days(y, m) + 1);
			assert_rejected(want);
		}
	}
	/* 201 years, 49 of them leap (1900 and 2100 are not) */
	assert_int_equal(n, 201L * 365 + 49);
}

/* Every day of a leap year, counted from 1 January. */
static void test_every_day_of_leap_year(void **state)
{
	int32_t jan1 = date_from_ymd(2024, 1, 1);
	int seen_feb29 = 0, y, m, d;

	for (int i = 0; i < 366; i++) {
		date_to_ymd(jan1 + i, &y, &m, &d);
		assert_int_equal(y, 2024);
		assert_true(date_valid_ymd(y, m, d));
		assert_int_equal(date_from_ymd(y, m, d), jan1 + i);
		seen_feb29 += m == 2 && d == 29;
	}
	assert_int_equal(seen_feb29, 1);
	assert_string_equal(fmt(jan1 + 59), "2024-02-29");
	assert_string_equal(fmt(jan1 + 365), "2024-12-31");
	assert_string_equal(fmt(jan1 + 366), "2025-01-01");
}

static void test_day_arithmetic(void **state)
{
	assert_string_equal(fmt(parse_ok("2024-03-01") - 1), "2024-02-29");
	assert_string_equal(fmt(parse_ok("2023-03-01") - 1), "2023-02-28");
	assert_string_equal(fmt(parse_ok("2024-12-31") + 1), "2025-01-01");
	assert_string_equal(fmt(parse_ok("2025-01-01") - 1), "2024-12-31");
	assert_int_equal(parse_ok("2000-03-01") - parse_ok("2000-02-28"), 2);
	assert_int_equal(parse_ok("1900-03-01") - parse_ok("1900-02-28"), 1);
	assert_int_equal(parse_ok("2025-01-01") - parse_ok("2024-01-01"), 366);
	assert_int_equal(parse_ok("2024-01-01") - parse_ok("2023-01-01"), 365);
	assert_string_equal(fmt(parse_ok("2024-01-01") + 30), "2024-01-31");
	assert_string_equal(fmt(parse_ok("2024-02-01") + 30), "2024-03-02");
}

static void test_add_months_clamps(void **state)
{
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-31"), 1)), "2024-02-29");
	assert_string_equal(fmt(date_add_months(parse_ok("2023-01-31"), 1)), "2023-02-28");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-03-31"), 1)), "2024-04-30");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-05-31"), 1)), "2024-06-30");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-15"), 1)), "2024-02-15");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-31"), 0)), "2024-01-31");
	assert_string_equal(fmt(date_add_months(parse_ok("2023-11-30"), 3)), "2024-02-29");
}

static void test_add_months_across_years(void **state)
{
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-15"), 12)), "2025-01-15");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-02-29"), 12)), "2025-02-28");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-02-29"), 48)), "2028-02-29");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-12-15"), 1)), "2025-01-15");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-11-30"), 14)), "2026-01-30");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-31"), -1)), "2023-12-31");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-15"), -1)), "2023-12-15");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-03-31"), -1)), "2024-02-29");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-10"), -12)), "2023-01-10");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-10"), -13)), "2022-12-10");
	assert_string_equal(fmt(date_add_months(parse_ok("2024-01-10"), -25)), "2021-12-10");
}

static int32_t local_today(void)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	return date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The real clock, allowing for midnight passing between the two readings. */
static void assert_real_today(void)
{
	int32_t before = local_today(), got = date_today(), after = local_today();

	assert_in_range(got, before, after);
}

static void test_today_override(void **state)
{
	assert_int_equal(unsetenv("PCMT_TODAY"), 0);
	assert_real_today();

	assert_int_equal(setenv("PCMT_TODAY", "2024-02-29", 1), 0);
	assert_int_equal(date_today(), date_from_ymd(2024, 2, 29));
	assert_int_equal(setenv("PCMT_TODAY", "15/06/2023", 1), 0);
	assert_int_equal(date_today(), date_from_ymd(2023, 6, 15));

	/* an impossible or malformed override is ignored, not half-used */
	assert_int_equal(setenv("PCMT_TODAY", "2023-02-29", 1), 0);
	assert_real_today();
	assert_int_equal(setenv("PCMT_TODAY", "tomorrow", 1), 0);
	assert_real_today();

	assert_int_equal(unsetenv("PCMT_TODAY"), 0);
	assert_real_today();
}

static int iso_timestamp_shape(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(s) != 20)
		return 0;
	for (int i = 0; i < 20; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

static void test_now_iso(void **state)
{
	char buf[21];

	assert_int_equal(unsetenv("PCMT_NOW"), 0);
	assert_ptr_equal(date_now_iso(buf), buf);
	assert_true(iso_timestamp_shape(buf));

	assert_int_equal(setenv("PCMT_NOW", "2024-02-29T08:30:00Z", 1), 0);
	assert_string_equal(date_now_iso(buf), "2024-02-29T08:30:00Z");

	/* only an override in the timestamp form is taken */
	assert_int_equal(setenv("PCMT_NOW", "2024-02-29", 1), 0);
	assert_true(iso_timestamp_shape(date_now_iso(buf)));
	assert_string_not_equal(buf, "2024-02-29");
	assert_int_equal(setenv("PCMT_NOW", "not a timestamp!!!!!", 1), 0); /* 20 bytes */
	assert_true(iso_timestamp_shape(date_now_iso(buf)));
	assert_int_equal(unsetenv("PCMT_NOW"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch_and_known_days),
		cmocka_unit_test(test_parse_iso),
		cmocka_unit_test(test_parse_dmy),
		cmocka_unit_test(test_parse_rejects_impossible_dates),
		cmocka_unit_test(test_parse_rejects_bad_forms),
		cmocka_unit_test(test_valid_ymd),
		cmocka_unit_test(test_round_trip_1900_2100),
		cmocka_unit_test(test_every_day_of_leap_year),
		cmocka_unit_test(test_day_arithmetic),
		cmocka_unit_test(test_add_months_clamps),
		cmocka_unit_test(test_add_months_across_years),
		cmocka_unit_test(test_today_override),
		cmocka_unit_test(test_now_iso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
