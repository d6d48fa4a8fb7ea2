/* ost.h: opioid substitution treatment (methadone, buprenorphine) at dispensing points: the clinic's
 * entities (prescriptions, doses, stock movements, daily reconciliations) and the pure rules of its
 * daily work -- which prescription is in force, whether a dose may be given, missed-dose streaks,
 * take-home eligibility, the stock balance and retention cohorts. No I/O: engine/ost.c joins these
 * to the store, and the numbers come from the rulebook (ost.* rows), read through ost_rules_at().
 *
 * Volumes are whole microlitres (µL) and doses whole milligrams so that a balance is exact: a 1 mL
 * stock difference is 1000, never a rounding residue. Enum index constants follow the vals[] order
 * in ost.c. */
#ifndef PCMT_OST_H
#define PCMT_OST_H

#include <stdint.h>

#include "domain/entity.h"
#include "domain/rules.h"
#include "util/err.h"

extern const struct enum_def en_ost_medicine, en_ost_phase, en_ost_dose_kind, en_ost_stock_kind;
extern const struct entity_def ent_ost_prescriptions, ent_ost_doses, ent_ost_stock, ent_ost_reconciliations,
	ent_ost_guest_auths;

enum { OM_METHADONE, OM_BUPRENORPHINE };
enum { OP_INDUCTION, OP_DOSE_FINDING, OP_MAINTENANCE, OP_TAPERING };
enum { OD_WITNESSED, OD_TAKE_HOME, OD_GUEST };
enum { OS_RECEIPT, OS_DISPENSED, OS_WASTE };

/* A prescription as the rules see it. Several may cover a day: the one with the latest valid_from
 * (then the highest id) is in force, so that a dose change is a new prescription and the old one
 * stays as history. */
struct ost_rx {
	int64_t id;
	int32_t from, to;   /* valid_from, valid_to (inclusive) */
	int32_t dose_mg;
	int8_t phase, medicine;
	int64_t facility;   /* the dispensing point that prescribed it: the patient's home clinic */
};

/* The ost.* rows in force on a day. 0 in rx_max_days: no cap in force on that day. */
struct ost_rules {
	int rx_max_days;         /* ost.methadone_prescription_max_days (Circular 26/2023/TT-BYT) */
	int th_maintenance_months, th_negative_months, th_max_days; /* ost.take_home.* */
	int alert_days, escalation_days, review_days;               /* ost.missed_dose.* */
};
int ost_rules_at(const struct rulebook *rb, int32_t date, struct ost_rules *out, struct pcmt_err *err);

/* The prescription in force on day among rx[0..n) (any order), or NULL. */
const struct ost_rx *ost_rx_at(const struct ost_rx *rx, int n, int32_t day);
/* A new prescription against the rules: valid_to not before valid_from, a methadone maintenance
 * prescription covering at most rx_max_days days (valid_from and valid_to both counted: 1..30 pass,
 * 31 is refused). ERR_INVALID naming the field. */
int ost_rx_check(const struct ost_rx *rx, const struct ost_rules *r, struct pcmt_err *err);

/* A dose asked for: day it covers, kind (OD_*), dose in mg (0: the prescribed one), whether a reason
 * was given, and for a take-home the number of days handed over (the day itself included). */
struct ost_dose_req {
	int32_t day;
	int kind;
	int32_t dose_mg;
	int has_reason;
	int days;
};
/* May this one day's dose be given? rx is the prescription in force on req->day (NULL: none; last_end
 * the day the latest earlier prescription ended, DATE_NONE when there was none), dosed whether the
 * patient already has a dose for that day. Refusals, each naming its field: no prescription
 * (person_id, 422), already dosed (dose_date, 409), above the prescribed dose (dose_mg, 422), a
 * differing dose without a reason (reason, 422). *dose_out receives the dose to give. */
int ost_dose_check(const struct ost_dose_req *req, const struct ost_rx *rx, int32_t last_end, int dosed,
		   int32_t *dose_out, struct pcmt_err *err);

/* Take-home eligibility on day: in maintenance for at least th_maintenance_months without a break
 * (ost_maintenance_since), no positive test in the th_negative_months up to day (last_positive:
 * the latest positive test on or before day, DATE_NONE when none), and days within 1..th_max_days.
 * ERR_INVALID naming "days" (the cap) or "kind" (not eligible, with the reason). */
int ost_take_home_check(const struct ost_rx *rx, int n, int32_t day, int32_t last_positive, int days,
			const struct ost_rules *r, struct pcmt_err *err);
/* The first day of the unbroken run of maintenance prescriptions in force up to day, or DATE_NONE when
 * the prescription in force on day is not a maintenance one. */
int32_t ost_maintenance_since(const struct ost_rx *rx, int n, int32_t day);

/* Consecutive missed days before today: days today-1, today-2, ... on which a prescription was in
 * force and no dose was given (dose_days sorted ascending, the days doses covered: witnessed,
 * guest or taken home). Stops at a day without a prescription, a dosed day, or after max days.
 * Today itself is not counted: the patient may still come. */
int ost_missed_streak(const int32_t *dose_days, int nd, const struct ost_rx *rx, int nrx, int32_t today, int max);
enum ost_alert { OA_NONE, OA_ALERT, OA_ESCALATE, OA_REVIEW };
enum ost_alert ost_alert_of(int streak, const struct ost_rules *r);
const char *ost_alert_name(enum ost_alert a); /* "none", "alert", "escalate", "review" */

/* A day's balance of one clinic's methadone in µL: opening + received - dispensed - waste = expected;
 * difference = counted - expected; any difference other than 0 is flagged. */
struct ost_balance {
	int64_t opening, received, dispensed, waste, counted;
	int64_t expected, difference;
	int flagged;
};
void ost_reconcile(struct ost_balance *b);

/* µL of a dose of dose_mg at mg_per_ml, rounded to the nearest µL (mg_per_ml > 0). */
int64_t ost_dose_ul(int32_t dose_mg, int32_t mg_per_ml);

/* Retention: an episode that started on `start` reaches its mark `months` later; it is retained at the
 * mark when it had not ended before it (end SNAP_OPEN/DATE_NONE-free: pass INT32_MAX for an open end;
 * an end on the mark day itself counts as retained). */
int32_t ost_retention_mark(int32_t start, int months);
int ost_retained(int32_t start, int32_t end, int months);
/* Over a cohort of episodes: how many reach their mark within [from, to] (*cohort) and how many of
 * those are retained (*retained). */
struct ost_episode {
	int32_t start, end; /* end INT32_MAX when open */
};
void ost_retention(const struct ost_episode *e, int n, int months, int32_t from, int32_t to, int *cohort,
		   int *retained);

/* ---- over the live snapshot (snap.h) --------------------------------------------------------- */

struct snap;
struct snap_ost;

/* A patient's dose days over [from, at]: days under a prescription (overlapping spans merged), those
 * without a dose, and whether a take-home dose covers a day of it. o may be NULL (nothing). */
void ost_dose_days(const struct snap_ost *o, int32_t from, int32_t at, int *due, int *missed, int *take_home);

/* One clinic's figures over [from, at], its patients being those with a methadone or buprenorphine
 * episode at the facility: on treatment on `at`, of whom with a take-home dose in the window; dose days
 * due and missed (of patients with an episode there overlapping the window); episodes there whose 6-
 * and 12-month marks lie in the window, and those retained at them. The org-unit indicators count
 * the same by residence (domain/indicators.c). */
struct ost_clinic_stats {
	int patients, take_home_patients, due, missed;
	int cohort[2], retained[2]; /* 6 and 12 months */
};
void ost_clinic_stats(const struct snap *s, int64_t facility, int32_t from, int32_t at, struct ost_clinic_stats *out);

#endif
