/* ost.c: opioid substitution treatment at dispensing points (ost.h): the entities' descriptors and
 * pure checks, and the rules of the clinic's day -- the prescription in force, a dose's refusals,
 * take-home eligibility, missed-dose streaks, the stock balance, retention. Every number comes from
 * the rulebook (ost.* rows) through struct ost_rules, so tests pass rules by hand. */
#include "domain/ost.h"

#include <stdio.h>
#include <string.h>

#include "domain/snap.h"
#include "util/date.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ENUM(var, nm, arr) const struct enum_def var = {nm, arr, N(arr)}

/* ---- enums ----------------------------------------------------------------------------------- */

static const struct enum_val v_medicine[] = {
	{"methadone", "Methadone (dung dịch uống)", "Methadone (oral liquid)"},
	{"buprenorphine", "Buprenorphine (viên ngậm)", "Buprenorphine (sublingual)"}};
ENUM(en_ost_medicine, "ost_medicine", v_medicine);

static const struct enum_val v_phase[] = {
	{"induction", "Giai đoạn dò liều ban đầu", "Induction"},
	{"dose_finding", "Giai đoạn điều chỉnh liều", "Dose finding"},
	{"maintenance", "Giai đoạn duy trì", "Maintenance"},
	{"tapering", "Giai đoạn giảm liều", "Tapering"}};
ENUM(en_ost_phase, "ost_phase", v_phase);

static const struct enum_val v_dose_kind[] = {
	{"witnessed", "Uống tại cơ sở, có giám sát", "Witnessed at the clinic"},
	{"take_home", "Cấp thuốc mang về", "Take-home"},
	{"guest", "Uống nhờ tại cơ sở khác", "Guest dose at another clinic"}};
ENUM(en_ost_dose_kind, "ost_dose_kind", v_dose_kind);

static const struct enum_val v_stock_kind[] = {
	{"receipt", "Nhập thuốc", "Receipt"},
	{"dispensed", "Cấp phát cho bệnh nhân", "Dispensed to a patient"},
	{"waste", "Hao hụt, hủy", "Waste"}};
ENUM(en_ost_stock_kind, "ost_stock_kind", v_stock_kind);

/* ---- shared checks --------------------------------------------------------------------------- */

static int32_t jdate(json_t *rec, const char *k)
{
	int32_t d;
	const char *s = json_string_value(json_object_get(rec, k));

	return s && date_parse(s, &d) == 0 ? d : DATE_NONE;
}

static const char *jstr(json_t *rec, const char *k)
{
	return json_string_value(json_object_get(rec, k));
}

static int64_t jint(json_t *rec, const char *k)
{
	return json_integer_value(json_object_get(rec, k));
}

static int order2(json_t *rec, const char *start, const char *end, struct pcmt_err *err)
{
	int32_t a = jdate(rec, start), b = jdate(rec, end);

	if (a != DATE_NONE && b != DATE_NONE && b < a)
		return err_set(err, ERR_INVALID, end, "%s must not be before %s", end, start);
	return 0;
}

/* Doses in mg: methadone maintenance doses run to a few hundred mg, buprenorphine to 32 mg. */
static int dose_range(json_t *rec, struct pcmt_err *err)
{
	int64_t mg = jint(rec, "dose_mg");

	if (json_is_integer(json_object_get(rec, "dose_mg")) && (mg < 1 || mg > 1000))
		return err_set(err, ERR_INVALID, "dose_mg", "dose_mg must be from 1 to 1000 mg");
	return 0;
}

/* ---- prescriptions --------------------------------------------------------------------------- */

/* Lists are ordered by date, not by person: a clinic's list (facility and dates given) is then read
 * straight from its (facility, date) index, where an order by person made SQLite walk every row of
 * the table through the (person, date) index to avoid a sort (4 s for a 500-patient queue). */

#define PERSON_REF {"person_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "persons", 0, "Bệnh nhân", "Patient"}
#define EVENT_OU ENT_EVENT_OU
#define FACILITY_OU "(SELECT f.ou_id FROM facility f WHERE f.id = t.facility_id)"

static const struct field_def f_prescriptions[] = {
	PERSON_REF,
	{"treatment_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "treatments", 0, "Đợt điều trị", "Treatment episode"},
	{"facility_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "facilities", 0, "Cơ sở điều trị", "Dispensing point"},
	{"medicine", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_ost_medicine, 0, 0, "Thuốc", "Medicine"},
	{"dose_mg", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Liều hằng ngày (mg)", "Daily dose (mg)"},
	{"phase", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_ost_phase, 0, 0, "Giai đoạn", "Phase"},
	{"prescriber", FT_TEXT, F_REQUIRED, 100, 0, 0, 0, "Bác sĩ kê đơn", "Prescriber"},
	{"valid_from", FT_DATE, F_REQUIRED | F_FUTURE_OK, 0, 0, 0, 0, "Hiệu lực từ ngày", "Valid from"},
	{"valid_to", FT_DATE, F_REQUIRED | F_FUTURE_OK, 0, 0, 0, 0, "Hiệu lực đến ngày", "Valid to"},
	{"note", FT_TEXT, 0, 300, 0, 0, 0, "Ghi chú", "Note"}};

static int check_prescription(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	(void)ctx;
	if (dose_range(rec, err))
		return -1;
	return order2(rec, "valid_from", "valid_to", err);
}

const struct entity_def ent_ost_prescriptions = {
	"prescriptions", "ost_prescription", "Đơn thuốc điều trị thay thế", "Substitution prescriptions", E_PERSONAL,
	f_prescriptions, N(f_prescriptions), EVENT_OU, "t.valid_from, t.id", check_prescription, NULL};

/* ---- doses ----------------------------------------------------------------------------------- */

static const struct field_def f_doses[] = {
	PERSON_REF,
	{"prescription_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "prescriptions", 0, "Đơn thuốc", "Prescription"},
	{"facility_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "facilities", 0, "Nơi cấp phát", "Dispensed at"},
	{"home_facility_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "facilities", 0, "Cơ sở điều trị chính",
	 "Home clinic"},
	{"dose_date", FT_DATE, F_REQUIRED | F_FUTURE_OK, 0, 0, 0, 0, "Liều của ngày", "Dose for the day"},
	{"dispensed_on", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày cấp phát", "Dispensed on"},
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_ost_dose_kind, 0, 0, "Hình thức", "Kind"},
	{"dose_mg", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Liều (mg)", "Dose (mg)"},
	{"reason", FT_TEXT, 0, 200, 0, 0, 0, "Lý do liều khác đơn", "Why the dose differs"}};

static int check_dose(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *kind = jstr(rec, "kind");
	int32_t day = jdate(rec, "dose_date"), on = jdate(rec, "dispensed_on");

	(void)ctx;
	if (dose_range(rec, err))
		return -1;
	if (day != DATE_NONE && on != DATE_NONE && day < on)
		return err_set(err, ERR_INVALID, "dose_date", "dose_date must not be before dispensed_on");
	if (kind && strcmp(kind, "take_home") && day != on)
		return err_set(err, ERR_INVALID, "dose_date", "a %s dose is for the day it is given", kind);
	return 0;
}

const struct entity_def ent_ost_doses = {
	"doses", "ost_dose", "Liều thuốc đã cấp", "Doses", E_PERSONAL, f_doses, N(f_doses), EVENT_OU,
	"t.dose_date, t.id", check_dose, NULL};

/* ---- guest-dosing authorisations -------------------------------------------------------------- */

/* The home clinic lets another dispensing point dose its travelling patient on the days given. */
static const struct field_def f_guest_auth[] = {
	PERSON_REF,
	{"home_facility_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "facilities", 0, "Cơ sở điều trị chính",
	 "Home clinic"},
	{"guest_facility_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "facilities", 0, "Cơ sở cấp phát tạm thời",
	 "Guest clinic"},
	{"valid_from", FT_DATE, F_REQUIRED | F_FUTURE_OK, 0, 0, 0, 0, "Từ ngày", "From"},
	{"valid_to", FT_DATE, F_REQUIRED | F_FUTURE_OK, 0, 0, 0, 0, "Đến ngày", "To"},
	{"issued_by", FT_TEXT, F_REQUIRED, 100, 0, 0, 0, "Người cấp phép", "Issued by"},
	{"note", FT_TEXT, 0, 300, 0, 0, 0, "Ghi chú", "Note"}};

static int check_guest_auth(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	(void)ctx;
	if (jint(rec, "home_facility_id") && jint(rec, "home_facility_id") == jint(rec, "guest_facility_id"))
		return err_set(err, ERR_INVALID, "guest_facility_id", "the guest clinic must be another clinic than the home clinic");
	return order2(rec, "valid_from", "valid_to", err);
}

const struct entity_def ent_ost_guest_auths = {
	"guest_authorisations", "ost_guest_auth", "Cho phép cấp thuốc tạm thời", "Guest-dosing authorisations",
	E_PERSONAL, f_guest_auth, N(f_guest_auth), EVENT_OU, "t.valid_from, t.id", check_guest_auth, NULL};

/* ---- stock movements ------------------------------------------------------------------------- */

static const struct field_def f_stock[] = {
	{"facility_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "facilities", 0, "Cơ sở", "Dispensing point"},
	{"move_date", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày", "Date"},
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_ost_stock_kind, 0, 0, "Loại", "Kind"},
	{"volume_ul", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Thể tích (µL)", "Volume (µL)"},
	{"mg_per_ml", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Nồng độ (mg/mL)", "Concentration (mg/mL)"},
	{"dose_id", FT_REF, F_FILTER, 0, 0, "doses", 0, "Liều", "Dose"},
	{"reason", FT_TEXT, 0, 200, 0, 0, 0, "Lý do hao hụt", "Why wasted"},
	{"note", FT_TEXT, 0, 300, 0, 0, 0, "Ghi chú", "Note"}};

static int check_stock(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *kind = jstr(rec, "kind");
	int64_t mg = jint(rec, "mg_per_ml");

	(void)ctx;
	if (json_is_integer(json_object_get(rec, "volume_ul")) && jint(rec, "volume_ul") <= 0)
		return err_set(err, ERR_INVALID, "volume_ul", "volume_ul must be more than 0");
	if (json_is_integer(json_object_get(rec, "mg_per_ml")) && (mg < 1 || mg > 100))
		return err_set(err, ERR_INVALID, "mg_per_ml", "mg_per_ml must be from 1 to 100");
	if (kind && !strcmp(kind, "waste") && !jstr(rec, "reason"))
		return err_set(err, ERR_INVALID, "reason", "waste needs the reason");
	if (kind && !strcmp(kind, "dispensed") && !json_is_integer(json_object_get(rec, "dose_id")))
		return err_set(err, ERR_INVALID, "dose_id", "a dispensed movement names its dose");
	if (kind && strcmp(kind, "dispensed") && json_is_integer(json_object_get(rec, "dose_id")))
		return err_set(err, ERR_INVALID, "dose_id", "only a dispensed movement names a dose");
	return 0;
}

const struct entity_def ent_ost_stock = {
	"stock_movements", "ost_stock", "Xuất nhập thuốc", "Stock movements", 0, f_stock, N(f_stock), FACILITY_OU,
	"t.facility_id, t.move_date, t.id", check_stock, NULL};

/* ---- daily reconciliation -------------------------------------------------------------------- */

static const struct field_def f_recon[] = {
	{"facility_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "facilities", 0, "Cơ sở", "Dispensing point"},
	{"day", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày", "Day"},
	{"opening_ul", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Tồn đầu ngày (µL)", "Opening (µL)"},
	{"received_ul", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Nhập trong ngày (µL)", "Received (µL)"},
	{"dispensed_ul", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Cấp phát trong ngày (µL)", "Dispensed (µL)"},
	{"waste_ul", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Hao hụt trong ngày (µL)", "Waste (µL)"},
	{"counted_ul", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Tồn cuối ngày kiểm đếm (µL)", "Counted closing (µL)"},
	{"expected_ul", FT_INT, F_DERIVED | F_SIGNED, 0, 0, 0, 0, "Tồn cuối ngày theo sổ (µL)", "Expected closing (µL)"},
	{"difference_ul", FT_INT, F_DERIVED | F_SIGNED, 0, 0, 0, 0, "Chênh lệch (µL)", "Difference (µL)"},
	{"flagged", FT_BOOL, F_DERIVED | F_FILTER, 0, 0, 0, 0, "Có chênh lệch", "Difference flagged"},
	{"counted_by", FT_TEXT, 0, 100, 0, 0, 0, "Người kiểm đếm", "Counted by"},
	{"note", FT_TEXT, 0, 300, 0, 0, 0, "Ghi chú", "Note"}};

static int derive_recon(json_t *rec, struct pcmt_err *err)
{
	struct ost_balance b = {jint(rec, "opening_ul"), jint(rec, "received_ul"), jint(rec, "dispensed_ul"),
				jint(rec, "waste_ul"), jint(rec, "counted_ul"), 0, 0, 0};

	(void)err;
	ost_reconcile(&b);
	json_object_set_new(rec, "expected_ul", json_integer(b.expected));
	json_object_set_new(rec, "difference_ul", json_integer(b.difference));
	json_object_set_new(rec, "flagged", json_boolean(b.flagged));
	return 0;
}

const struct entity_def ent_ost_reconciliations = {
	"reconciliations", "ost_reconciliation", "Đối chiếu tồn kho hằng ngày", "Daily reconciliations", 0, f_recon,
	N(f_recon), FACILITY_OU, "t.facility_id, t.day, t.id", NULL, derive_recon};

/* ---- rules ----------------------------------------------------------------------------------- */

static int rule_int(const struct rulebook *rb, const char *code, int32_t date, int *out, struct pcmt_err *err)
{
	double v;

	if (rule_num(rb, code, date, &v, err))
		return -1;
	*out = (int)v;
	return 0;
}

int ost_rules_at(const struct rulebook *rb, int32_t date, struct ost_rules *out, struct pcmt_err *err)
{
	const struct rule *cap = rule_at(rb, "ost.methadone_prescription_max_days", date);

	memset(out, 0, sizeof(*out));
	out->rx_max_days = cap ? (int)cap->value : 0;
	if (rule_int(rb, "ost.take_home.maintenance_months", date, &out->th_maintenance_months, err) ||
	    rule_int(rb, "ost.take_home.negative_months", date, &out->th_negative_months, err) ||
	    rule_int(rb, "ost.take_home.max_days", date, &out->th_max_days, err) ||
	    rule_int(rb, "ost.missed_dose.alert_days", date, &out->alert_days, err) ||
	    rule_int(rb, "ost.missed_dose.escalation_days", date, &out->escalation_days, err) ||
	    rule_int(rb, "ost.missed_dose.review_days", date, &out->review_days, err))
		return -1;
	return 0;
}

/* ---- prescriptions in force ------------------------------------------------------------------ */

const struct ost_rx *ost_rx_at(const struct ost_rx *rx, int n, int32_t day)
{
	const struct ost_rx *best = NULL;

	for (int i = 0; i < n; i++) {
		if (rx[i].from > day || rx[i].to < day)
			continue;
		if (!best || rx[i].from > best->from || (rx[i].from == best->from && rx[i].id > best->id))
			best = &rx[i];
	}
	return best;
}

int ost_rx_check(const struct ost_rx *rx, const struct ost_rules *r, struct pcmt_err *err)
{
	int32_t days = rx->to - rx->from + 1;

	if (rx->to < rx->from)
		return err_set(err, ERR_INVALID, "valid_to", "valid_to must not be before valid_from");
	if (rx->dose_mg < 1 || rx->dose_mg > 1000)
		return err_set(err, ERR_INVALID, "dose_mg", "dose_mg must be from 1 to 1000 mg");
	if (r->rx_max_days > 0 && rx->medicine == OM_METHADONE && rx->phase == OP_MAINTENANCE && days > r->rx_max_days)
		return err_set(err, ERR_INVALID, "valid_to",
			       "a maintenance-phase methadone prescription covers at most %d days (Circular 26/2023/TT-BYT);"
			       " this one covers %d",
			       r->rx_max_days, (int)days);
	return 0;
}

/* ---- a dose ---------------------------------------------------------------------------------- */

int ost_dose_check(const struct ost_dose_req *req, const struct ost_rx *rx, int32_t last_end, int dosed,
		   int32_t *dose_out, struct pcmt_err *err)
{
	char d[DATE_BUFSZ], e[DATE_BUFSZ];

	*dose_out = 0;
	if (!rx) {
		if (last_end != DATE_NONE && last_end < req->day)
			return err_set(err, ERR_INVALID, "person_id",
				       "no prescription is valid on %s: the last one ended on %s", date_format(req->day, d),
				       date_format(last_end, e));
		return err_set(err, ERR_INVALID, "person_id", "no prescription is valid on %s", date_format(req->day, d));
	}
	if (dosed)
		return err_set(err, ERR_CONFLICT, "dose_date", "the patient already has a dose for %s",
			       date_format(req->day, d));
	if (req->dose_mg < 0)
		return err_set(err, ERR_INVALID, "dose_mg", "dose_mg must be more than 0");
	if (req->dose_mg == 0) {
		*dose_out = rx->dose_mg;
		return 0;
	}
	if (req->dose_mg > rx->dose_mg)
		return err_set(err, ERR_INVALID, "dose_mg", "%d mg is above the prescribed %d mg", (int)req->dose_mg,
			       (int)rx->dose_mg);
	if (req->dose_mg != rx->dose_mg && !req->has_reason)
		return err_set(err, ERR_INVALID, "reason", "%d mg differs from the prescribed %d mg: give the reason",
			       (int)req->dose_mg, (int)rx->dose_mg);
	*dose_out = req->dose_mg;
	return 0;
}

int32_t ost_maintenance_since(const struct ost_rx *rx, int n, int32_t day)
{
	const struct ost_rx *p = ost_rx_at(rx, n, day);
	int32_t since = DATE_NONE;

	/* walk back through the prescriptions in force day before day; each step lands before the
	 * previous one's start, so at most n steps */
	for (int steps = 0; p && p->phase == OP_MAINTENANCE && steps <= n; steps++) {
		since = p->from;
		p = ost_rx_at(rx, n, p->from - 1);
	}
	return since;
}

int ost_take_home_check(const struct ost_rx *rx, int n, int32_t day, int32_t last_positive, int days,
			const struct ost_rules *r, struct pcmt_err *err)
{
	int32_t since = ost_maintenance_since(rx, n, day);
	char d[DATE_BUFSZ];

	if (days < 1 || days > r->th_max_days)
		return err_set(err, ERR_INVALID, "days", "take-home doses cover 1 to %d days, not %d", r->th_max_days, days);
	if (since == DATE_NONE)
		return err_set(err, ERR_INVALID, "kind", "take-home doses need a maintenance-phase prescription");
	if (date_add_months(since, r->th_maintenance_months) > day)
		return err_set(err, ERR_INVALID, "kind",
			       "take-home doses need %d months in maintenance; this patient is in maintenance since %s",
			       r->th_maintenance_months, date_format(since, d));
	if (last_positive != DATE_NONE && last_positive > date_add_months(day, -r->th_negative_months))
		return err_set(err, ERR_INVALID, "kind",
			       "take-home doses need no positive test in the last %d months; the last was on %s",
			       r->th_negative_months, date_format(last_positive, d));
	return 0;
}

/* ---- missed doses ---------------------------------------------------------------------------- */

static int dosed_on(const int32_t *days, int n, int32_t day)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (days[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && days[lo] == day;
}

int ost_missed_streak(const int32_t *dose_days, int nd, const struct ost_rx *rx, int nrx, int32_t today, int max)
{
	int k = 0;

	for (int32_t day = today - 1; k < max; day--, k++)
		if (!ost_rx_at(rx, nrx, day) || dosed_on(dose_days, nd, day))
			break;
	return k;
}

enum ost_alert ost_alert_of(int streak, const struct ost_rules *r)
{
	if (r->review_days > 0 && streak >= r->review_days)
		return OA_REVIEW;
	if (r->escalation_days > 0 && streak >= r->escalation_days)
		return OA_ESCALATE;
	if (r->alert_days > 0 && streak >= r->alert_days)
		return OA_ALERT;
	return OA_NONE;
}

const char *ost_alert_name(enum ost_alert a)
{
	static const char *const names[] = {"none", "alert", "escalate", "review"};

	return names[a];
}

/* ---- stock ----------------------------------------------------------------------------------- */

void ost_reconcile(struct ost_balance *b)
{
	b->expected = b->opening + b->received - b->dispensed - b->waste;
	b->difference = b->counted - b->expected;
	b->flagged = b->difference != 0;
}

int64_t ost_dose_ul(int32_t dose_mg, int32_t mg_per_ml)
{
	return ((int64_t)dose_mg * 1000 + mg_per_ml / 2) / mg_per_ml;
}

/* ---- retention ------------------------------------------------------------------------------- */

int32_t ost_retention_mark(int32_t start, int months)
{
	return date_add_months(start, months);
}

int ost_retained(int32_t start, int32_t end, int months)
{
	return end >= ost_retention_mark(start, months);
}

void ost_retention(const struct ost_episode *e, int n, int months, int32_t from, int32_t to, int *cohort,
		   int *retained)
{
	*cohort = *retained = 0;
	for (int i = 0; i < n; i++) {
		int32_t mark = ost_retention_mark(e[i].start, months);

		if (mark < from || mark > to)
			continue;
		++*cohort;
		*retained += ost_retained(e[i].start, e[i].end, months);
	}
}

/* ---- over the live snapshot ------------------------------------------------------------------ */

void ost_dose_days(const struct snap_ost *o, int32_t from, int32_t at, int *due, int *missed, int *take_home)
{
	int32_t lo = INT32_MIN, hi = INT32_MIN;
	uint32_t k = 0;

	*due = *missed = *take_home = 0;
	if (!o)
		return;
	for (uint16_t i = 0; i < o->ndose && !*take_home; i++)
		*take_home = o->dose[i].take_home && o->dose[i].date >= from && o->dose[i].date <= at;
	/* the spans, sorted by start, merged into runs [lo, hi] clipped to the window; the days of each
	 * run are due, and those without a dose (at most one a day) missed */
	for (int i = 0; i <= (int)o->nrx; i++) {
		int32_t a = i < o->nrx ? o->rx[i].from : INT32_MAX, b = i < o->nrx ? o->rx[i].to : INT32_MAX;

		if (i < o->nrx && hi != INT32_MIN && a <= hi + 1) {
			if (b > hi)
				hi = b;
			continue;
		}
		if (hi != INT32_MIN) {
			int32_t x = lo < from ? from : lo, y = hi > at ? at : hi;

			if (x <= y) {
				int dosed = 0;

				while (k < o->ndose && o->dose[k].date < x)
					k++;
				for (int32_t last = INT32_MIN; k < o->ndose && o->dose[k].date <= y; k++)
					if (o->dose[k].date != last)
						dosed++, last = o->dose[k].date;
				*due += y - x + 1;
				*missed += y - x + 1 - dosed;
			}
		}
		lo = a;
		hi = b;
	}
}

void ost_clinic_stats(const struct snap *s, int64_t facility, int32_t from, int32_t at, struct ost_clinic_stats *out)
{
	static const int months[2] = {6, 12};

	memset(out, 0, sizeof(*out));
	for (int32_t i = 0; i < s->npersons; i++) {
		const struct snap_person *p = s->persons[i];
		int here = 0, on = 0;

		if (!p || !p->ntreat)
			continue;
		for (uint16_t t = 0; t < p->ntreat; t++) {
			const struct snap_treat *e = &p->treat[t];

			if ((e->kind != TX_METHADONE && e->kind != TX_BUPRENORPHINE) || e->facility != facility)
				continue;
			if (e->start <= at && e->end >= from)
				here = 1;
			if (e->start <= at && e->end >= at && e->outcome != TO_DIED)
				on = 1;
			for (int m = 0; m < 2; m++) {
				int32_t mark = ost_retention_mark(e->start, months[m]);

				if (mark >= from && mark <= at) {
					out->cohort[m]++;
					out->retained[m] += ost_retained(e->start, e->end, months[m]);
				}
			}
		}
		if (here) {
			int due, missed, th;

			ost_dose_days(p->ost, from, at, &due, &missed, &th);
			out->due += due;
			out->missed += missed;
			out->patients += on;
			out->take_home_patients += on && th;
		}
	}
}
