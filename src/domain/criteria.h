/* criteria.h: the drug-free commune criteria (seed: Thanh Hoa project 2024-2025, criteria of the
 * Ministry of Public Security; RULES.md "Drug-free commune criteria"), evaluated for one commune on
 * the request date D over the live snapshot. Pure: the numbers come from the rulebook (crit_params).
 *
 * Criterion 1, addicts: each addict residing in the commune has an open management record and is
 * in treatment on D; fewer than `ceiling` addicts are in the community (residing and not in
 * residential treatment at a facility on D); each addict in the community has a latest test on or
 * before D that lies in [D - window, D] and is negative.
 * Criterion 2, illegal users and persons with psychosis signs: an open record and the same test.
 * Criterion 3, persons after rehabilitation: an open post-rehabilitation record, at least one
 * periodic and one sudden test since it opened (required once the record has been open for the
 * periodic test interval: a record opened last week cannot have had them yet), and at least one
 * form of reintegration support since it opened.
 * Detection: a person with a positive test or an addicted determination within `lookback` days
 * before D who holds no classification on D counts against criterion 1 (determination) or 2. */
#ifndef PCMT_CRITERIA_H
#define PCMT_CRITERIA_H

#include <stdint.h>

#include "domain/rules.h"
#include "domain/snap.h"
#include "util/err.h"

struct crit_params {
	int window_days;   /* drugfree.test_window_days */
	int ceiling;       /* drugfree.community_addict_ceiling: the count must be below it */
	int lookback_days; /* drugfree.detection_lookback_days */
	int test_interval_days; /* test.periodic_interval_days: grace before tests are due */
};

/* Reads the parameters in force on date from the rulebook. */
int crit_params_at(const struct rulebook *rb, int32_t date, struct crit_params *out, struct pcmt_err *err);

enum crit_reason {
	CR_UNCLASSIFIED_POSITIVE,  /* positive test but no classification */
	CR_UNCLASSIFIED_DETERMINED,/* addicted determination but no classification */
	CR_NO_RECORD,              /* no open management record */
	CR_NO_POST_REHAB_RECORD,   /* no open post-rehabilitation record */
	CR_NOT_IN_TREATMENT,
	CR_NO_TEST,                /* never tested on or before D */
	CR_TEST_TOO_OLD,           /* latest test before D - window */
	CR_TEST_POSITIVE,          /* latest test positive */
	CR_TEST_INVALID,           /* latest test neither negative nor positive */
	CR_NO_PERIODIC_TEST,
	CR_NO_SUDDEN_TEST,
	CR_NO_SUPPORT,
	CR_CEILING                 /* commune-level: too many addicts in the community */
};

struct crit_fail {
	int criterion;        /* 1, 2 or 3 */
	int64_t person_id;    /* 0 for the commune-level ceiling failure */
	int8_t classification;/* CL_*, or -1 */
	enum crit_reason reason;
	int32_t date;         /* the date the reason names (test date, opening date), or DATE_NONE */
	int value, limit;     /* CR_CEILING: count and ceiling */
};

struct crit_result {
	int32_t commune_ix;
	int32_t date;
	int pass;                 /* all three criteria */
	int pass_c[3];
	/* counts behind the criteria */
	int addicts, addicts_recorded, addicts_treated, addicts_in_community, addicts_tested_ok;
	int users, users_recorded, users_tested_ok;            /* illegal users + psychosis signs */
	int post_rehab, post_rehab_recorded, post_rehab_tested, post_rehab_supported;
	int undetected;
	struct crit_fail *fails;  /* malloc'd; crit_result_free */
	int nfails, cap_fails;
};

/* Evaluates commune index ci of s on date. Returns 0, or -1 when out of memory. */
int crit_eval(const struct snap *s, int32_t ci, int32_t date, const struct crit_params *cp, struct crit_result *out);
/* Evaluates the persons who resided on date in any of units[0..nunits) as one commune, reported as
 * commune index ci: a unit formed by the 2025 reform, evaluated before it existed, over the units
 * it was formed from (each person counts once: where they lived on date). */
int crit_eval_set(const struct snap *s, int32_t ci, const int32_t *units, int nunits, int32_t date,
		  const struct crit_params *cp, struct crit_result *out);
void crit_result_free(struct crit_result *r);
/* English and Vietnamese sentences for a failure, e.g. "no test since 2024-05-02". */
void crit_reason_text(const struct crit_fail *f, int vietnamese, char *buf, size_t cap);
const char *crit_reason_code(enum crit_reason r);

#endif
