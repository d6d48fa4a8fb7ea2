/* nid.c: structure checks for national ID numbers. The province list is that of the GSO codes in
 * force when CCCD numbers were issued (63 provinces, before the 2025 merge); numbers issued keep
 * their codes after the merge, so the list does not change with it. */
#include "domain/nid.h"

#include <string.h>

#include "util/date.h"

static const int cccd_provinces[] = {
	1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33,
	34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66,
	67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96};

static int known_province(int code)
{
	for (size_t i = 0; i < sizeof(cccd_provinces) / sizeof(cccd_provinces[0]); i++)
		if (cccd_provinces[i] == code)
			return 1;
	return 0;
}

int nid_check(const char *s, const char *sex, int32_t dob, struct nid_info *info, const char *field,
	      struct pcmt_err *err)
{
	size_t n = s ? strlen(s) : 0;
	struct nid_info ni = {0};
	int d4, yy, y, m, d;
	/* Circular 07/2016/TT-BCA art. 7 (kept by 59/2021): 0-1 the 20th century, 2-3 the 21st, 4-5 the
	 * 22nd, 6-7 the 23rd, 8-9 the 24th; even male, odd female. 8-9 are not the 1800s. */
	static const int century[] = {1900, 1900, 2000, 2000, 2100, 2100, 2200, 2200, 2300, 2300};

	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return err_set(err, ERR_INVALID, field, "national ID must contain digits only");
	if (n == 9) {
		ni.kind = NID_CMND9;
		goto ok;
	}
	if (n != 12)
		return err_set(err, ERR_INVALID, field,
			       "national ID must have 12 digits (citizen ID) or 9 digits (old identity card), not %zu", n);
	ni.kind = NID_CCCD12;
	ni.province = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (!known_province(ni.province))
		return err_set(err, ERR_INVALID, field, "national ID starts with %03d, which is not a province code",
			       ni.province);
	d4 = s[3] - '0';
	yy = (s[4] - '0') * 10 + (s[5] - '0');
	ni.female = d4 % 2;
	ni.birth_year = century[d4] + yy;
	if (sex && strcmp(sex, ni.female ? "female" : "male") != 0 &&
	    (!strcmp(sex, "male") || !strcmp(sex, "female")))
		return err_set(err, ERR_INVALID, field, "national ID encodes sex %s but the person is recorded as %s",
			       ni.female ? "female" : "male", sex);
	if (dob != DATE_NONE) {
		date_to_ymd(dob, &y, &m, &d);
		if (y != ni.birth_year)
			return err_set(err, ERR_INVALID, field,
				       "national ID encodes birth year %d but the date of birth is in %d", ni.birth_year, y);
	}
ok:
	if (info)
		*info = ni;
	return 0;
}
