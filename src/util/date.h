/* date.h: civil dates as day numbers (days since 1970-01-01), so that "within 30 days" is a
 * subtraction. pcmt stores dates as ISO text (YYYY-MM-DD) and computes with day numbers. */
#ifndef PCMT_DATE_H
#define PCMT_DATE_H

#include <stdint.h>

#define DATE_NONE INT32_MIN /* "no date" */
#define DATE_BUFSZ 11       /* "YYYY-MM-DD" + NUL */

int32_t date_from_ymd(int y, int m, int d);
void date_to_ymd(int32_t days, int *y, int *m, int *d);
/* 1 if y-m-d is a real calendar date within 1800..2200 (31/02 is not). */
int date_valid_ymd(int y, int m, int d);
/* Parses "YYYY-MM-DD" or "DD/MM/YYYY" (the Vietnamese form). Returns 0 and sets *out, or -1 when the
 * text is not exactly one of those forms or names an impossible date. */
int date_parse(const char *s, int32_t *out);
/* Writes "YYYY-MM-DD" into buf (DATE_BUFSZ bytes); returns buf. */
char *date_format(int32_t days, char buf[DATE_BUFSZ]);
/* Today in local time; PCMT_TODAY=YYYY-MM-DD in the environment overrides it (tests, demos). */
int32_t date_today(void);
/* Adds months, clamping the day to the end of the target month (31 Jan + 1 month = 28/29 Feb). */
int32_t date_add_months(int32_t days, int months);
/* UTC timestamp "YYYY-MM-DDTHH:MM:SSZ" into buf (21 bytes); PCMT_NOW in that form overrides it. */
char *date_now_iso(char buf[21]);

#endif
