/* ost.h (engine): the opioid substitution clinic's day through the store: prescribing, the day's
 * queue with missed-dose streaks, recording a dose (with its stock movement, in one transaction),
 * stock receipts and waste, and the daily reconciliation. The rules are domain/ost.h's, with the
 * numbers of the rulebook in force on the day. Shared by the API (http/api_mat.c) and `pcmt mat`.
 *
 * Inputs are JSON objects as a client sends them; every refusal is ERR_INVALID/ERR_CONFLICT naming
 * the field, and a refused request writes nothing. Ownership: *out receives a new reference. */
#ifndef PCMT_ENGINE_OST_H
#define PCMT_ENGINE_OST_H

#include <jansson.h>

#include "domain/ost.h"
#include "store/store.h"

struct ost_env {
	struct store *st;
	const struct scope *sc;
	const struct rulebook *rb;
	struct ent_ctx ctx; /* today */
};

/* A new prescription (the fields of `prescriptions`): at a dispensing point, for a methadone or
 * buprenorphine episode of the same person with the same medicine, not longer than the rulebook's
 * cap for a maintenance prescription. */
int ost_prescribe(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err);

/* Records a dose: {"person_id", "dose_date" (default today), "kind" (witnessed | take_home | guest,
 * default witnessed), "dose_mg" (default the prescribed one), "reason", "days" (take_home: how many
 * days, the first included), "facility_id" (where given; a guest dose's clinic), "mg_per_ml"
 * (default the concentration last received there)}. One dose row per day covered and, for methadone,
 * one dispensed stock movement each, all in one transaction. *out: {"doses": [...], "stock_movements":
 * [...], "prescription": {...}}. */
int ost_dose_record(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err);

/* A guest-dosing authorisation (docs/ost.md, "Guest dosing"): {"person_id", "home_facility_id",
 * "guest_facility_id", "valid_from", "valid_to", "issued_by", "note"}, issued by a caller who sees
 * the patient and works where the home clinic is; the guest clinic may be anywhere. Refused (422
 * naming the field) when the patient has no prescription of the home clinic in force on valid_from,
 * the guest clinic is the home clinic or not a dispensing point, or the days exceed ost.guest.max_days.
 * With one, the guest clinic's staff see the patient in its queue's "guests" on those days (name,
 * prescription, today's dose: nothing else) and record a "guest" dose for those days only (the dose
 * answer then names "guest_authorisation"); the home clinic sees the dose in its own queue. */
int ost_guest_authorise(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err);

/* The patients due at facility on date (a prescription of that clinic in force), each with the
 * prescription, whether and how dosed that day, the missed-dose streak before it and its alert.
 * search: NULL, or a name without accents, a national ID or a person id. */
int ost_queue(const struct ost_env *env, int64_t facility, int32_t date, const char *search, json_t **out,
	      struct pcmt_err *err);

/* A receipt or a waste (the fields of `stock_movements`; "volume_ml" may stand for volume_ul). */
int ost_stock_add(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err);

/* A day's stock at a facility: opening (the last reconciliation's counted closing before the day),
 * received, dispensed, waste, expected closing, the movements and the day's reconciliation if done. */
int ost_stock_day(const struct ost_env *env, int64_t facility, int32_t date, json_t **out, struct pcmt_err *err);

/* The day's reconciliation: {"facility_id", "day" (default today), "counted_ul" or "counted_ml",
 * "opening_ul" (default the last counted closing), "counted_by", "note"}; the day's movements are
 * summed from the store. The stored record says expected_ul, difference_ul and flagged. */
int ost_reconcile_record(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err);

/* One clinic's indicators over [from, to] from the live snapshot (synced first, so every committed
 * dose counts): patients on treatment on `to`, take-home share, missed-dose rate, 6- and 12-month
 * retention (domain/ost.h, ost_clinic_stats), each share null when its denominator is 0. */
struct live;
int ost_clinic_indicators(struct live *lv, const struct ost_env *env, int64_t facility, int32_t from, int32_t to,
			  json_t **out, struct pcmt_err *err);

#endif
