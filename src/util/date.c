/* date.c: proleptic Gregorian day arithmetic (Howard Hinnant's civil-from-days algorithm,
 * written from its description) and the two date forms pcmt accepts. */
#include "util/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int32_t date_from_ymd(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void date_to_ymd(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

int date_valid_ymd(int y, int m, int d)
{
	return y >= 1800 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int date_parse(const char *s, int32_t *out)
{
	int y, m, d;

	if (!s)
		return -1;
	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
			return -1;
	} else if (strlen(s) == 10 && s[2] == '/' && s[5] == '/') {
		if (digits(s, 2, &d) || digits(s + 3, 2, &m) || digits(s + 6, 4, &y))
			return -1;
	} else {
		return -1;
	}
	if (!date_valid_ymd(y, m, d))
		return -1;
	*out = date_from_ymd(y, m, d);
	return 0;
}

char *date_format(int32_t days, char buf[DATE_BUFSZ])
{
	int y, m, d;

	date_to_ymd(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
	return buf;
}

int32_t date_today(void)
{
	const char *o = getenv("PCMT_TODAY");
	int32_t v;
	time_t t = time(NULL);
	struct tm tm;

	if (o && date_parse(o, &v) == 0)
		return v;
	localtime_r(&t, &tm);
	return date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int32_t date_add_months(int32_t days, int months)
{
	int y, m, d, dim;

	date_to_ymd(days, &y, &m, &d);
	m += months;
	while (m > 12) { m -= 12; y++; }
	while (m < 1) { m += 12; y--; }
	dim = days_in_month(y, m);
	return date_from_ymd(y, m, d > dim ? dim : d);
}

/* 1 if s looks like "YYYY-MM-DDTHH:MM:SSZ": a PCMT_NOW in any other form is ignored, since whatever
 * it holds is written verbatim into created_at/updated_at. */
static int now_shape(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	for (int i = 0; i < 20; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return s[20] == '\0';
}

char *date_now_iso(char buf[21])
{
	time_t t = time(NULL);
	struct tm tm;
	const char *o = getenv("PCMT_NOW");

	if (o && now_shape(o)) { /* fixed clock for reproducible demos and tests */
		memcpy(buf, o, 21);
		return buf;
	}
	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}
