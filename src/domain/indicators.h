/* indicators.h: the built-in measures and indicators of the programme plans, computed over the
 * snapshot (snap.h) for an org-unit subtree and a period, and the status of a value against a target.
 * Pure: no store, no clock, no lock; the engine (engine/indicators.c) syncs, locks and shapes answers.
 *
 * A measure is a count (persons, communes, facilities, episodes) that adds up over org units, so one
 * pass over the subtree fills every unit's value at once and a drill-down is a lookup. Measures are
 * rows of one table (ind_measures[]); the operations registry's hotspots, cases, plant sites,
 * communication activities and populations (opimg.h, snap->oper) add to their org unit the same way.
 * An indicator is an expression over measures (expr.h): built-in ones are in ind_defs[], custom
 * ones are stored (plan.c). A measure name with the suffix "_prev" is that measure over the previous
 * period of the same kind (see ind_prev_window).
 *
 * Ownership: ind_calc fills a caller-owned struct ind_rows released with ind_rows_free. Tables and
 * strings returned by lookups are static. */
#ifndef PCMT_INDICATORS_H
#define PCMT_INDICATORS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/criteria.h"
#include "domain/snap.h"
#include "util/err.h"

/* Measure ids: indexes into ind_measures[]. Order matters: a unit-level measure may read the
 * measures before it (its deps). At most 64 measures (the need mask is one uint64_t). */
enum ind_mid {
	/* persons, attributed to their residence commune */
	M_ADDICTS_COUNT,
	M_ADDICTS_MANAGED,
	M_ADDICTS_REACHED_SERVICES,
	M_TREATED_TOTAL,
	M_TREATED_VOLUNTARY,
	M_ADDICTS_TREATED,
	M_TREATED_AT_FACILITY,
	M_COMMUNITY_TREATED,
	M_COMMUNITY_TREATED_TRAINED,
	M_OST_PATIENTS,
	M_COMPULSORY_RECORDS_COMPLETED,
	/* facilities, attributed to their org unit */
	M_HEALTH_STATIONS,
	M_HEALTH_STATIONS_QUALIFIED,
	M_REHAB_PUBLIC,
	M_REHAB_PUBLIC_QUALIFIED,
	M_COUNSELLING_POINTS,
	/* org units, each counted once at its own level */
	M_COMMUNES_TOTAL,
	M_COMMUNES_DRUG_FREE,
	M_COMMUNES_WITH_ADDICTS,
	M_COMMUNES_WITH_ADDICTS_COUNSELLING,
	M_DISTRICTS_TOTAL,
	M_DISTRICTS_DRUG_FREE,
	M_PROVINCES_TOTAL,
	M_PROVINCES_COMMUNITY_TREATMENT,
	/* operations registry (opimg.h), each item attributed to its org unit: hotspots */
	M_HOTSPOTS_DISCOVERED,
	M_HOTSPOTS_KNOWN,
	M_HOTSPOTS_ELIMINATED,
	M_HOTSPOTS_ACTIVE,
	/* narcotic plant sites */
	M_PLANT_SITES_FOUND,
	M_PLANT_SITES_ERADICATED,
	M_PLANT_SITES_REPLANTED,
	M_PLANTS_DESTROYED,
	M_PLANT_AREA_DESTROYED,
	/* drug crime cases, by the date detected */
	M_CASES_DETECTED,
	M_CASES_LAND_BORDER,
	M_CASES_SEA,
	M_CASES_AIR,
	M_CASES_POSTAL_EXPRESS,
	M_CASES_CYBER,
	M_CASES_INLAND,
	M_CASES_BORDER_ROUTES,
	M_CASES_ORGANISED,
	M_CASES_PROSECUTED,
	M_SUSPECTS_ARRESTED,
	/* seizures of those cases, per substance in its unit (en_seized_substance order) */
	M_SEIZED_HEROIN,
	M_SEIZED_OPIUM,
	M_SEIZED_METHAMPHETAMINE,
	M_SEIZED_SYNTHETIC_PILLS,
	M_SEIZED_KETAMINE,
	M_SEIZED_CANNABIS,
	M_SEIZED_COCAINE,
	M_SEIZED_OTHER,
	/* communication activities */
	M_COMM_ACTIVITIES,
	M_COMM_PARTICIPANTS,
	M_COMMITMENTS_SIGNED,
	/* population of communes in the year of the date */
	M_POPULATION,
	/* org units again, reading the operations measures above */
	M_COMMUNES_REACHED_COMMUNICATION,
	/* opioid substitution clinics (domain/ost.h), persons attributed to their residence commune */
	M_OST_TAKE_HOME_PATIENTS,
	M_OST_DOSE_DAYS_DUE,
	M_OST_DOSE_DAYS_MISSED,
	M_OST_RETENTION_6M_COHORT,
	M_OST_RETAINED_6M,
	M_OST_RETENTION_12M_COHORT,
	M_OST_RETAINED_12M,
	IND_NMEAS
};

/* IL_HOTSPOT..IL_POP are the operations image's kinds in enum op_kind order (opimg.h). */
enum ind_level { IL_PERSON, IL_FACILITY, IL_UNIT, IL_HOTSPOT, IL_CASE, IL_PLANT, IL_COMM, IL_POP };
/* stock: a state on the evaluation date; flow: what happened between the period start and it */
enum ind_time { IT_STOCK, IT_FLOW };

struct ind_env;
/* Facts of one person over a window, found in one scan of the person's events (indicators.c). */
struct ind_pfacts;

struct ind_measure {
	const char *name;          /* stable snake_case: API, expressions, targets */
	const char *label_en, *label_vi;
	const char *unit;          /* what is counted: persons, episodes, facilities, communes, ... */
	enum ind_level level;
	enum ind_time time;
	const char *counts;        /* exactly what is counted (docs/indicators.md repeats it) */
	uint64_t deps;             /* measures a unit-level measure reads (1 << M_...) */
	/* One of the three, by level. person/facility return what the item adds to its unit; unit
	 * returns the unit's own contribution given `sub`, its subtree totals of the measures before. */
	double (*person)(const struct ind_env *env, const struct ind_pfacts *pf);
	double (*facility)(const struct ind_env *env, const struct snap_facility *f);
	double (*unit_fn)(const struct ind_env *env, int32_t ou_ix, const double *sub);
	/* IL_HOTSPOT..IL_POP: what one item of the operations image (an op_hotspot, op_case...) adds
	 * to its org unit. */
	double (*item)(const struct ind_env *env, const void *it);
};

extern const struct ind_measure ind_measures[IND_NMEAS];

/* A built-in indicator: an expression over measures with the seed sentence it implements. */
struct ind_def {
	const char *code;
	const char *name_en, *name_vi;
	const char *expr;
	const char *unit;          /* en_target_unit code: percent, persons, ... */
	const char *seed;          /* the seed sentence, quoted */
};

extern const struct ind_def ind_defs[];
extern const int ind_ndefs;

/* Indicator codes the seeds' targets use whose records pcmt does not hold yet (operations registry,
 * issue 5): targets naming them are loaded and answered with status no_data and this reason. */
struct ind_pending {
	const char *code;
	const char *name_en, *name_vi; /* named like any indicator, so its target reads in a report */
	const char *awaits;
};
extern const struct ind_pending ind_pending[];
extern const int ind_npending;

#define IND_PREV_SUFFIX "_prev"

/* The measure id of `name` (a measure name, or one with IND_PREV_SUFFIX when prev is not NULL:
 * *prev is then set to 1). -1 when unknown. */
int ind_measure_find(const char *name, int *prev);
/* expr_known_fn for expr_parse: built-in measures and their _prev forms. */
int ind_measure_known(const char *name, void *cls);
const struct ind_def *ind_def_find(const char *code);
const struct ind_pending *ind_pending_find(const char *code);
/* 1 if code is a built-in name of any kind (measure, _prev form, indicator, pending code). */
int ind_builtin_name(const char *code);

/* ---- periods --------------------------------------------------------------------------------- */

enum ind_pkind { IP_YEAR, IP_QUARTER, IP_MONTH, IP_PLAN };

struct ind_period {
	enum ind_pkind kind;
	int32_t from, to;          /* inclusive; IP_PLAN: filled by the caller from the plan */
};

/* Parses "2022", "2022-Q1" (q or Q, 1..4), "2022-03" or "plan". ERR_INVALID naming `field` with
 * what was expected otherwise. Years 1900..2200. */
int ind_period_parse(const char *s, const char *field, struct ind_period *out, struct pcmt_err *err);
/* The period of `kind` that contains `date` (IP_PLAN: [plan_from, plan_to]). */
struct ind_period ind_period_around(enum ind_pkind kind, int32_t date, int32_t plan_from, int32_t plan_to);
/* "2022", "2022-Q1", "2022-03" or "plan" into buf. */
#define IND_PERIOD_BUFSZ 40
char *ind_period_name(const struct ind_period *p, char buf[IND_PERIOD_BUFSZ]);
const char *ind_pkind_code(enum ind_pkind k); /* "year", "quarter", "month", "plan" */
int ind_pkind_parse(const char *code);        /* -1 when unknown */

/* ---- computation ----------------------------------------------------------------------------- */

/* What is measured: flows over [from, at], stocks on `stock`. For a period being answered both are
 * the date measured (at = stock <= to); ind_prev_window sets them apart. */
struct ind_window {
	int32_t from, to, at, stock;
};

/* The previous period of the same length as w ends the day before w.from. Stocks of the previous
 * period are read on its last day (the level "at the end of 2021" for a 2022 plan); flows cover the
 * same span of it as w has elapsed (January-March 2021 against January-March 2022). */
struct ind_window ind_prev_window(const struct ind_window *w, enum ind_pkind kind);

struct ind_calc_in {
	const struct snap *s;
	int32_t root;                 /* org-unit index of the subtree's root */
	struct ind_window w;
	const struct crit_params *cp; /* drug-free criteria in force on w.at; needed for
					 communes_drug_free and districts_drug_free */
	uint64_t need;                /* measures wanted (1 << M_...); their deps are added */
};

/* Values of every needed measure for the root and for each unit directly below it in force on
 * w.at: row 0 is the root. v[row * IND_NMEAS + m]; measures not needed are 0. */
struct ind_rows {
	int n;
	int32_t *ou;                  /* org-unit index per row */
	double *v;
	uint64_t have;                /* the measures computed (need plus deps) */
};

/* One pass over the subtree. Returns 0, or -1 with err set (out of memory, unknown root, a drug-free
 * measure needed without cp). */
int ind_calc(const struct ind_calc_in *in, struct ind_rows *out, struct pcmt_err *err);
/* Several windows over one subtree in one pass: in[0..n-1] share s and root; out[i] receives what
 * ind_calc(&in[i]) would. Each resident's events are read once for every window, and each commune's
 * drug-free criteria once per distinct (stock date, parameters), right after its residents, while
 * they are in cache. On error every out[i] is empty (ERR_INTERNAL when the inputs do not share s and
 * root). */
int ind_calc_many(const struct ind_calc_in *in, int n, struct ind_rows *out, struct pcmt_err *err);
void ind_rows_free(struct ind_rows *r);
/* need plus every measure it depends on, transitively. */
uint64_t ind_need_closure(uint64_t need);

/* Evaluates expression e on one row: a name reads cur[m], a _prev name prev[m] (prev may be NULL
 * when e has no _prev name). Returns 0 with *out set, or -1 with err set (expr_eval's errors: a zero
 * denominator is ERR_INVALID "division by zero: ..."). */
struct expr;
int ind_value(const struct expr *e, const double *cur, const double *prev, double *out, struct pcmt_err *err);
/* The need masks of e's names: *cur for plain names, *prev for _prev names. -1 when a name is not a
 * measure (cannot happen for a tree parsed with ind_measure_known). */
int ind_expr_need(const struct expr *e, uint64_t *cur, uint64_t *prev);

/* ---- status ---------------------------------------------------------------------------------- */

enum ind_cmp { IC_GE, IC_LE, IC_GT, IC_LT };
int ind_cmp_parse(const char *s);  /* ">=", "<=", ">", "<"; -1 otherwise */
const char *ind_cmp_code(enum ind_cmp c);
int ind_cmp_holds(enum ind_cmp c, double value, double target);

enum ind_status {
	IND_MET,            /* the comparator holds on the value */
	IND_ON_TRACK,       /* not yet, but progress since the baseline keeps pace with time */
	IND_AT_RISK,        /* not yet, and progress lags the time elapsed */
	IND_MISSED,         /* the deadline passed and the comparator does not hold */
	IND_NO_DATA,        /* no value: a zero denominator, or an indicator pcmt cannot compute yet */
	IND_NOT_STARTED,    /* the period starts after the date asked about */
	IND_NOT_APPLICABLE  /* a count target set for its scope unit, shown on another unit */
};
const char *ind_status_code(enum ind_status s);

struct ind_status_in {
	enum ind_cmp cmp;
	double target;
	double baseline;          /* 0 when the target gives none */
	int has_baseline;
	int32_t start;            /* pace starts here: the baseline date, else the period start */
	int32_t deadline;         /* the target's deadline, or the period end if that comes first */
	int32_t at;               /* the date the value is measured on */
	int32_t today;            /* the date asked about */
};

/* Status of `value`. The pace rule (docs/indicators.md): progress = (value - baseline) /
 * (target - baseline), elapsed = (at - start) / (deadline - start), clamped to [0, 1]; on track
 * when progress >= elapsed. A decreasing target (< or <=) without a baseline has no pace: at risk
 * until met. *progress and *elapsed (may be NULL) receive the two shares, NaN when undefined. */
enum ind_status ind_status(const struct ind_status_in *in, double value, double *progress, double *elapsed);

#endif
