/* complex.h: the commune classification of Decision 28/2025/QĐ-TTg (RULES.md "Complex communes"):
 * for a year, each commune is complex type I, II or III, or none, from five criteria read over the
 * live snapshot and its operations image. Pure: the thresholds are rulebook rows (cx_params_at),
 * the facts come from snap.h and opimg.h, the shaping of answers is engine/classification.c.
 *
 * The criteria, for commune C and year Y (from = 1 January, at = 31 December or today if earlier):
 *   users_addicts_pct  persons residing in C holding the addict or illegal-user classification
 *                      with a management record open on `at`, per 100 of C's population for Y
 *   places             hotspots of kind use_venue in C existing in [from, at] (discovered by `at`,
 *                      not eliminated before `from`)
 *   arrests_pct        suspects of the cases detected in C in [from, at], per 100 of the population
 *   plants             plants, or area in m², of the sites in C eradicated in [from, at]: met when
 *                      either reaches its threshold
 *   route              (types I and II) C meets at least N type III criteria and lies on a complex
 *                      route: at least `complex.commune.route_cases_min` cases on a trafficking route
 *                      (land border, sea, air, inland) detected in C in [from, at] (pcmt's reading)
 * Type I needs complex.commune.type1.criteria_min of them, type II its own minimum, type III at
 * least one type III criterion. A threshold is met at or above it ("from 0.5%": 0.5% is met). The
 * type II rows "from X up to under the type I threshold" are read as "at least X": a commune worse
 * on a criterion than type II is no less complex. A commune without a population for Y has no data
 * for the two rate criteria (not met, and said so). A missing rulebook row makes its criterion "no
 * threshold" (not met): an administrator adds the row. */
#ifndef PCMT_COMPLEX_H
#define PCMT_COMPLEX_H

#include <stdint.h>

#include "domain/rules.h"
#include "domain/snap.h"

enum cx_crit { CXC_USERS, CXC_PLACES, CXC_ARRESTS, CXC_PLANTS, CXC_ROUTE, CXC_N };
enum { CX_TYPES = 3 }; /* index 0: type I, 1: type II, 2: type III */

enum cx_status {
	CXS_MET,
	CXS_NOT_MET,
	CXS_NO_DATA,          /* a rate criterion of a commune without a population for the year */
	CXS_NO_THRESHOLD,     /* the rulebook has no row for it on the date */
	CXS_NOT_APPLICABLE    /* the route criterion of type III */
};

/* The rows in force on a date; NULL where the rulebook has none. Borrowed from the rulebook. */
struct cx_params {
	int32_t date;
	const struct rule *min[CX_TYPES];           /* criteria_min of each type */
	const struct rule *thr[CX_TYPES][CXC_N][2]; /* [t][CXC_PLANTS]: plants, area; [t][CXC_ROUTE][0]:
						       type3_criteria_min; others use [0] */
	const struct rule *route_cases;             /* complex.commune.route_cases_min */
};

/* Fills p from rb on date; never fails (missing rows stay NULL). */
void cx_params_at(const struct rulebook *rb, int32_t date, struct cx_params *p);
/* The rulebook code behind p->min[t] / p->thr[t][c][k] / p->route_cases (NULL when none exists). */
const char *cx_min_code(int t);
const char *cx_thr_code(int t, enum cx_crit c, int k);
extern const char cx_route_code[];

struct cx_values {
	int has_population;
	int64_t population;
	int64_t users;       /* managed addicts and illegal users on `at` */
	int64_t places;
	int64_t arrested;
	int64_t plants, area_m2;
	int64_t route_cases;
};

struct cx_type {
	enum cx_status st[CXC_N];
	uint8_t confirmed[CXC_N]; /* every row behind the criterion is confirmed */
	int met_count;
	int met;                  /* the type's minimum is reached */
	int confirmed_outcome;    /* met or not, the outcome rests on confirmed rows only */
};

struct cx_result {
	int32_t commune_ix;
	struct cx_values v;
	int type3_met;            /* type III criteria met: feeds the route criterion */
	int on_route;             /* 1, 0, or -1 without the route row */
	struct cx_type t[CX_TYPES];
	int type;                 /* 1, 2, 3, or 0 for none */
	int confirmed;            /* the type, and that no higher type applies, rest on confirmed rows */
};

/* The classification of one commune's values. Pure. */
void cx_classify(const struct cx_params *p, const struct cx_values *v, struct cx_result *r);

/* The values of every commune under root (inclusive) in force on at, for year (the population's
 * year) over [from, at], and their classification: *out (malloc'd, *n entries, in the order of
 * snap_communes). Returns 0, or -1 when out of memory. */
int cx_eval(const struct snap *s, const struct cx_params *p, int32_t root, int year, int32_t from, int32_t at,
	    struct cx_result **out, int32_t *n);

const char *cx_crit_code(enum cx_crit c);          /* "users_addicts_pct", "places", ... */
const char *cx_crit_label(enum cx_crit c, int vietnamese);
const char *cx_status_code(enum cx_status st);      /* "met", "not_met", "no_data", ... */
const char *cx_type_name(int type);                 /* "I", "II", "III", "none" */

#endif
