/* nid.h: Vietnamese national identity numbers.
 * A 12-digit citizen ID (CCCD, Circular 59/2021/TT-BCA art. 7) encodes the province of birth
 * registration (digits 1-3), sex and century (digit 4) and the last two digits of the birth year
 * (digits 5-6). A 9-digit legacy identity card number (CMND) carries no such structure. */
#ifndef PCMT_NID_H
#define PCMT_NID_H

#include <stdint.h>

#include "util/err.h"

enum nid_kind { NID_CCCD12, NID_CMND9 };

struct nid_info {
	enum nid_kind kind;
	int province;   /* CCCD: GSO province code of birth registration */
	int female;     /* CCCD: 1 female, 0 male */
	int birth_year; /* CCCD: full year (century from digit 4) */
};

/* Validates the form of s. sex ("male"/"female" or NULL) and dob (DATE_NONE when unknown) must agree
 * with what a CCCD encodes. Returns 0 and fills *info (may be NULL), or -1 with err naming `field`. */
int nid_check(const char *s, const char *sex, int32_t dob, struct nid_info *info, const char *field,
	      struct pcmt_err *err);

#endif
