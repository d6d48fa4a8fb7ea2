/* ost.c (engine): the clinic's day through the store (engine/ost.h). Each write is one transaction:
 * the checks read inside it, so that on SQLite (BEGIN IMMEDIATE) a second dose cannot slip in between
 * check and insert, and on PostgreSQL the unique index on (person, day) turns such a race into the
 * same 409. Lists are the store's generic ones with date ranges; rows come ordered by person, so
 * the queue merges prescriptions and doses in one pass. */
#include "engine/ost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/live.h"
#include "engine/rulebook.h"
#include "util/date.h"
#include "util/text.h"

enum { PAGE = 1000, RX_HISTORY_DAYS = 400, QUEUE_LOOKBACK_MAX = 400 };

/* ---- small helpers --------------------------------------------------------------------------- */

static int32_t jdate(json_t *o, const char *k)
{
	int32_t d;
	const char *s = json_string_value(json_object_get(o, k));

	return s && date_parse(s, &d) == 0 ? d : DATE_NONE;
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int enum_ix(const struct enum_def *en, const char *code)
{
	const struct enum_val *v = enum_find(en, code);

	return v ? (int)(v - en->vals) : -1;
}

static void q_eq(struct store_query *q, const char *field, json_t *v)
{
	q->eq[q->neq].field = field;
	q->eq[q->neq++].value = v;
}

static void q_rng(struct store_query *q, const char *field, int32_t lo, int32_t hi)
{
	q->rng[q->nrng].field = field;
	q->rng[q->nrng].lo = lo;
	q->rng[q->nrng++].hi = hi;
}

/* Every row matching q within scope sc, page after page, into *arr. */
static int list_all_in(const struct ost_env *env, const struct scope *sc, const struct entity_def *e,
		       struct store_query *q, json_t **arr, struct pcmt_err *err)
{
	json_t *all = json_array(), *page = NULL;
	int64_t total = 0;

	*arr = NULL;
	if (!all)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	q->scope = sc;
	q->as_of = DATE_NONE;
	q->limit = PAGE;
	for (q->offset = 0;; q->offset += PAGE) {
		size_t n;

		if (env->st->ops->list(env->st, e, q, &page, &total, err)) {
			json_decref(all);
			return -1;
		}
		n = json_array_size(page);
		json_array_extend(all, page);
		json_decref(page);
		if (n < PAGE || q->offset + (int64_t)n >= total)
			break;
	}
	*arr = all;
	return 0;
}

/* Every row matching q within the caller's scope. */
static int list_all(const struct ost_env *env, const struct entity_def *e, struct store_query *q, json_t **arr,
		    struct pcmt_err *err)
{
	return list_all_in(env, env->sc, e, q, arr, err);
}

/* The last row matching q (in the entity's order), or *row NULL. */
static int list_last(const struct ost_env *env, const struct entity_def *e, struct store_query *q, json_t **row,
		     struct pcmt_err *err)
{
	json_t *page = NULL;
	int64_t total = 0;

	*row = NULL;
	q->scope = env->sc;
	q->as_of = DATE_NONE;
	q->limit = 1;
	q->offset = 0;
	if (env->st->ops->list(env->st, e, q, &page, &total, err))
		return -1;
	if (total > 1) {
		json_decref(page);
		q->offset = (int)(total - 1);
		if (env->st->ops->list(env->st, e, q, &page, &total, err))
			return -1;
	}
	if (json_array_size(page))
		*row = json_incref(json_array_get(page, 0));
	json_decref(page);
	return 0;
}

/* A record of a non-personal entity or a scoped one, or ERR_INVALID naming field when there is none. */
static int get_ref(const struct ost_env *env, const struct entity_def *e, int64_t id, const char *field,
		   json_t **out, struct pcmt_err *err)
{
	if (env->st->ops->get(env->st, e, (e->flags & E_PERSONAL) ? env->sc : NULL, id, out, err) == 0)
		return 0;
	if (err->code == ERR_NOT_FOUND)
		return err_set(err, ERR_INVALID, field, "no %s with id %lld", e->name, (long long)id);
	return -1;
}

/* A dispensing point; with mine, one the caller may work at: facilities are not person-level, so the
 * store does not scope them; a clinic outside the caller's org-unit subtree is answered as if it did
 * not exist. */
static int ost_point(const struct ost_env *env, int64_t id, const char *field, int mine, json_t **fac,
		     struct pcmt_err *err)
{
	const char *kind;
	int inside = 1;

	if (get_ref(env, &ent_facilities, id, field, fac, err))
		return -1;
	if (mine && env->sc && env->sc->ou_id &&
	    env->st->ops->ou_within(env->st, jint(*fac, "ou_id"), env->sc->ou_id, &inside, err))
		return -1;
	if (!inside)
		return err_set(err, ERR_INVALID, field, "no facilities with id %lld", (long long)id);
	kind = jstr(*fac, "kind");
	if (!kind || strcmp(kind, "ost_point"))
		return err_set(err, ERR_INVALID, field, "%s must be a methadone/buprenorphine dispensing point (ost_point), not %s",
			       field, kind ? kind : "unknown");
	return 0;
}

static int need_ost_point(const struct ost_env *env, int64_t id, const char *field, json_t **fac,
			  struct pcmt_err *err)
{
	return ost_point(env, id, field, 1, fac, err);
}

/* The clinic's rules on day; a rule not yet in force then is the fault of the caller's date field. */
static int rules(const struct ost_env *env, int32_t day, const char *field, struct ost_rules *r, struct pcmt_err *err)
{
	if (ost_rules_at(env->rb, day, r, err) == 0)
		return 0;
	if (err->code == ERR_INVALID)
		snprintf(err->field, sizeof(err->field), "%s", field);
	return -1;
}

/* Prescription rows (validated JSON) as ost_rx, in the same order. */
static struct ost_rx *rx_of(json_t *rows, int *n, struct pcmt_err *err)
{
	size_t i, cnt = json_array_size(rows);
	struct ost_rx *rx = calloc(cnt ? cnt : 1, sizeof(*rx));
	json_t *r;

	*n = 0;
	if (!rx) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	json_array_foreach(rows, i, r) {
		rx[i].id = jint(r, "id");
		rx[i].from = jdate(r, "valid_from");
		rx[i].to = jdate(r, "valid_to");
		rx[i].dose_mg = (int32_t)jint(r, "dose_mg");
		rx[i].phase = (int8_t)enum_ix(&en_ost_phase, jstr(r, "phase"));
		rx[i].medicine = (int8_t)enum_ix(&en_ost_medicine, jstr(r, "medicine"));
		rx[i].facility = jint(r, "facility_id");
	}
	*n = (int)cnt;
	return rx;
}

static json_t *rx_row(json_t *rows, const struct ost_rx *rx, const struct ost_rx *p)
{
	return p ? json_array_get(rows, (size_t)(p - rx)) : NULL;
}

/* Runs fn inside one transaction: committed when it returns 0, rolled back otherwise. */
static int in_tx(const struct ost_env *env, int (*fn)(const struct ost_env *, json_t *, json_t **, struct pcmt_err *),
		 json_t *body, json_t **out, struct pcmt_err *err)
{
	struct store *st = env->st;

	*out = NULL;
	if (st->ops->begin(st, err))
		return -1;
	if (fn(env, body, out, err) == 0 && st->ops->commit(st, err) == 0)
		return 0;
	st->ops->rollback(st);
	json_decref(*out);
	*out = NULL;
	return -1;
}

/* ---- prescriptions --------------------------------------------------------------------------- */

static int prescribe_tx(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	json_t *rec = NULL, *fac = NULL, *tx = NULL;
	const char *tkind, *med;
	struct ost_rules r;
	struct ost_rx rx;
	int32_t tend;
	char d[DATE_BUFSZ];
	int rc = -1;

	if (ent_validate(&ent_ost_prescriptions, &env->ctx, body, 0, &rec, err))
		goto out;
	if (need_ost_point(env, jint(rec, "facility_id"), "facility_id", &fac, err) ||
	    get_ref(env, &ent_treatments, jint(rec, "treatment_id"), "treatment_id", &tx, err))
		goto out;
	tkind = jstr(tx, "kind");
	med = jstr(rec, "medicine");
	if (jint(tx, "person_id") != jint(rec, "person_id")) {
		err_set(err, ERR_INVALID, "treatment_id", "treatment_id is an episode of another person");
		goto out;
	}
	if (!tkind || (strcmp(tkind, "methadone") && strcmp(tkind, "buprenorphine"))) {
		err_set(err, ERR_INVALID, "treatment_id", "treatment_id must be a methadone or buprenorphine episode, not %s",
			tkind ? tkind : "unknown");
		goto out;
	}
	if (strcmp(tkind, med)) {
		err_set(err, ERR_INVALID, "medicine", "medicine must be %s, the treatment episode's", tkind);
		goto out;
	}
	rx.id = 0;
	rx.from = jdate(rec, "valid_from");
	rx.to = jdate(rec, "valid_to");
	rx.dose_mg = (int32_t)jint(rec, "dose_mg");
	rx.phase = (int8_t)enum_ix(&en_ost_phase, jstr(rec, "phase"));
	rx.medicine = (int8_t)enum_ix(&en_ost_medicine, med);
	rx.facility = jint(rec, "facility_id");
	if (jdate(tx, "start_date") > rx.from) {
		err_set(err, ERR_INVALID, "valid_from", "valid_from is before the treatment episode started (%s)",
			date_format(jdate(tx, "start_date"), d));
		goto out;
	}
	if ((tend = jdate(tx, "end_date")) != DATE_NONE && tend < rx.from) {
		err_set(err, ERR_INVALID, "valid_from", "the treatment episode ended on %s", date_format(tend, d));
		goto out;
	}
	if (rules(env, rx.from, "valid_from", &r, err) || ost_rx_check(&rx, &r, err))
		goto out;
	rc = env->st->ops->insert(env->st, &ent_ost_prescriptions, env->sc, rec, out, err);
out:
	json_decref(rec);
	json_decref(fac);
	json_decref(tx);
	return rc;
}

int ost_prescribe(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	return in_tx(env, prescribe_tx, body, out, err);
}

/* ---- guest-dosing authorisations -------------------------------------------------------------- */

/* The patient's home clinic lets another dispensing point dose a travelling patient on given days.
 * The authorisation is the patient's record (scoped by residence, like a dose): the guest clinic's
 * staff, who may be anywhere, never see it or the patient through the store's scope; this engine
 * reads it for them, unscoped, only by their own clinic and a day it covers, and then only what a
 * dose needs (ost_queue's "guests", dose_tx). Every such read or write is a request the HTTP layer
 * audits with the authorisation and patient named. */

static int guest_tx(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	struct store_query q = {0};
	json_t *rec = NULL, *person = NULL, *home = NULL, *guest = NULL, *rxrows = NULL, *pv = NULL;
	struct ost_rx *rx = NULL;
	const struct ost_rx *now;
	int32_t from, to;
	double maxd = 0;
	int nrx = 0, rc = -1;
	char d[DATE_BUFSZ];

	if (ent_validate(&ent_ost_guest_auths, &env->ctx, body, 0, &rec, err))
		goto out;
	/* the issuer sees the patient and works at the home clinic; the guest clinic may be anywhere */
	if (get_ref(env, &ent_persons, jint(rec, "person_id"), "person_id", &person, err) ||
	    need_ost_point(env, jint(rec, "home_facility_id"), "home_facility_id", &home, err) ||
	    ost_point(env, jint(rec, "guest_facility_id"), "guest_facility_id", 0, &guest, err))
		goto out;
	from = jdate(rec, "valid_from");
	to = jdate(rec, "valid_to");
	if (rule_num(env->rb, "ost.guest.max_days", from, &maxd, err)) {
		if (err->code == ERR_INVALID)
			snprintf(err->field, sizeof(err->field), "valid_from");
		goto out;
	}
	if (to - from + 1 > (int32_t)maxd) {
		err_set(err, ERR_INVALID, "valid_to", "a guest authorisation covers at most %d days (ost.guest.max_days), not %d",
			(int)maxd, (int)(to - from + 1));
		goto out;
	}
	pv = json_integer(jint(rec, "person_id"));
	q_eq(&q, "person_id", pv);
	q_rng(&q, "valid_to", from, DATE_NONE);
	q_rng(&q, "valid_from", DATE_NONE, from);
	if (list_all(env, &ent_ost_prescriptions, &q, &rxrows, err) || !(rx = rx_of(rxrows, &nrx, err)))
		goto out;
	now = ost_rx_at(rx, nrx, from);
	if (!now || now->facility != jint(rec, "home_facility_id")) {
		err_set(err, ERR_INVALID, "home_facility_id", "the patient has no prescription of this clinic in force on %s",
			date_format(from, d));
		goto out;
	}
	rc = env->st->ops->insert(env->st, &ent_ost_guest_auths, env->sc, rec, out, err);
out:
	free(rx);
	json_decref(rec);
	json_decref(person);
	json_decref(home);
	json_decref(guest);
	json_decref(rxrows);
	json_decref(pv);
	return rc;
}

int ost_guest_authorise(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	return in_tx(env, guest_tx, body, out, err);
}

/* The authorisations of guest clinic fac covering day (person 0: every patient's), unscoped: the
 * caller has been checked to work at fac. A new array in *rows. */
static int guest_auths(const struct ost_env *env, int64_t fac, int64_t person, int32_t from, int32_t to, json_t **rows,
		       struct pcmt_err *err)
{
	struct store_query q = {0};
	json_t *fv = json_integer(fac), *pv = person ? json_integer(person) : NULL;
	int rc;

	q_eq(&q, "guest_facility_id", fv);
	if (pv)
		q_eq(&q, "person_id", pv);
	q_rng(&q, "valid_to", from, DATE_NONE);
	q_rng(&q, "valid_from", DATE_NONE, to);
	rc = list_all_in(env, NULL, &ent_ost_guest_auths, &q, rows, err);
	json_decref(fv);
	json_decref(pv);
	return rc;
}

/* ---- a dose ---------------------------------------------------------------------------------- */

struct dose_in {
	int64_t person, facility;
	int32_t day, dose_mg, mg_per_ml;
	int kind, days;
	json_t *reason; /* normalised text or NULL */
};

static int int_in(json_t *v, const char *k, int64_t lo, int64_t hi, int64_t *out, struct pcmt_err *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return err_set(err, ERR_INVALID, k, "%s must be a whole number from %lld to %lld", k, (long long)lo,
			       (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

static int dose_parse(const struct ost_env *env, json_t *body, struct dose_in *in, struct pcmt_err *err)
{
	static const char *const keys[] = {"person_id", "dose_date", "kind", "dose_mg", "reason", "days",
					   "facility_id", "mg_per_ml", NULL};
	const char *k;
	json_t *v;
	int64_t n = 0; /* set by int_in before any use; GCC 12 -O3 cannot tell (-Werror=maybe-uninitialized) */

	memset(in, 0, sizeof(*in));
	in->day = env->ctx.today;
	in->kind = OD_WITNESSED;
	in->days = 1;
	if (!json_is_object(body))
		return err_set(err, ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
	json_object_foreach(body, k, v) {
		int known = 0;

		for (int i = 0; keys[i]; i++)
			known |= !strcmp(keys[i], k);
		if (!known)
			return err_set(err, ERR_INVALID, k, "unknown field for a dose (person_id, dose_date, kind, dose_mg,"
				       " reason, days, facility_id, mg_per_ml)");
		if (json_is_null(v))
			continue;
		if (!strcmp(k, "person_id")) {
			if (int_in(v, k, 1, 1000000000000000LL, &in->person, err))
				return -1;
		} else if (!strcmp(k, "dose_date")) {
			if (!json_is_string(v) || date_parse(json_string_value(v), &in->day))
				return err_set(err, ERR_INVALID, k, "dose_date is not a valid date (YYYY-MM-DD or DD/MM/YYYY)");
			if (in->day > env->ctx.today)
				return err_set(err, ERR_INVALID, k, "dose_date is in the future");
		} else if (!strcmp(k, "kind")) {
			if (!json_is_string(v) || (in->kind = enum_ix(&en_ost_dose_kind, json_string_value(v))) < 0)
				return err_set(err, ERR_INVALID, k, "kind must be one of: witnessed, take_home, guest");
		} else if (!strcmp(k, "dose_mg")) {
			if (int_in(v, k, 1, 1000, &n, err))
				return -1;
			in->dose_mg = (int32_t)n;
		} else if (!strcmp(k, "reason")) {
			if (!(in->reason = ent_value(ent_field(&ent_ost_doses, "reason"), &env->ctx, v, err)))
				return -1;
			if (json_is_null(in->reason)) {
				json_decref(in->reason);
				in->reason = NULL;
			}
		} else if (!strcmp(k, "days")) {
			if (int_in(v, k, 1, 366, &n, err))
				return -1;
			in->days = (int)n;
		} else if (!strcmp(k, "facility_id")) {
			if (int_in(v, k, 1, 1000000000000000LL, &in->facility, err))
				return -1;
		} else if (!strcmp(k, "mg_per_ml")) {
			if (int_in(v, k, 1, 100, &n, err))
				return -1;
			in->mg_per_ml = (int32_t)n;
		}
	}
	if (!in->person)
		return err_set(err, ERR_INVALID, "person_id", "person_id is required");
	if (in->kind != OD_TAKE_HOME && in->days != 1)
		return err_set(err, ERR_INVALID, "days", "only take-home doses cover more than one day");
	if (in->kind == OD_GUEST && !in->facility)
		return err_set(err, ERR_INVALID, "facility_id", "a guest dose names the clinic that gives it");
	return 0;
}

/* The concentration of the last receipt at facility (0 when none). */
static int last_concentration(const struct ost_env *env, int64_t facility, int32_t *out, struct pcmt_err *err)
{
	struct store_query q = {0};
	json_t *fv = json_integer(facility), *kv = json_string("receipt"), *row = NULL;
	int rc;

	q_eq(&q, "facility_id", fv);
	q_eq(&q, "kind", kv);
	rc = list_last(env, &ent_ost_stock, &q, &row, err);
	*out = row ? (int32_t)jint(row, "mg_per_ml") : 0;
	json_decref(row);
	json_decref(fv);
	json_decref(kv);
	return rc;
}

/* A guest dose for a patient outside the caller's scope: allowed when the patient's home clinic
 * authorised the caller's clinic (in->facility, which the caller must work at) for the day. Without
 * any authorisation for that clinic the answer stays *err (the patient does not exist for the
 * caller); with one for other days, 422 on dose_date. On success *genv is env without the scope (the
 * dose's reads and writes are the authorised patient's) and *auth the authorisation's id. */
static int guest_grant(const struct ost_env *env, const struct dose_in *in, struct ost_env *genv, int64_t *auth,
		       struct pcmt_err *err)
{
	struct pcmt_err none = *err;
	json_t *fac = NULL, *rows = NULL, *row;
	int32_t lo = DATE_NONE, hi = DATE_NONE;
	int rc = -1;
	size_t i;
	char a[DATE_BUFSZ], b[DATE_BUFSZ], c[DATE_BUFSZ];

	*auth = 0;
	err_clear(err);
	if (!in->facility || need_ost_point(env, in->facility, "facility_id", &fac, err) ||
	    guest_auths(env, in->facility, in->person, DATE_NONE, DATE_NONE, &rows, err))
		goto out;
	if (!json_array_size(rows)) {
		*err = none;
		goto out;
	}
	json_array_foreach(rows, i, row) {
		int32_t f = jdate(row, "valid_from"), t = jdate(row, "valid_to");

		if (f <= in->day && in->day <= t)
			*auth = jint(row, "id");
		lo = f; /* rows come by valid_from: the last one names the latest authorisation */
		hi = t;
	}
	if (!*auth) {
		err_set(err, ERR_INVALID, "dose_date",
			"the patient's guest authorisation at this clinic does not cover %s (the latest covers %s to %s)",
			date_format(in->day, a), date_format(lo, b), date_format(hi, c));
		goto out;
	}
	*genv = *env;
	genv->sc = NULL;
	rc = 0;
out:
	json_decref(fac);
	json_decref(rows);
	return rc;
}

static int dose_tx(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	struct store_query q = {0};
	struct dose_in in;
	struct ost_rules r;
	struct ost_rx *rx = NULL;
	const struct ost_rx *rx0;
	json_t *person = NULL, *rxrows = NULL, *existing = NULL, *tests = NULL, *tx = NULL, *fac = NULL;
	json_t *pv = NULL, *res = NULL, *doses, *moves, *posv = NULL;
	int32_t last_end = DATE_NONE, last_pos = DATE_NONE, mgml = 0, tend;
	int64_t home, where, auth = 0;
	struct ost_env genv;
	int nrx = 0, rc = -1;
	size_t i;
	json_t *row;
	char d[DATE_BUFSZ], on[DATE_BUFSZ];

	if (dose_parse(env, body, &in, err))
		goto out;
	if (get_ref(env, &ent_persons, in.person, "person_id", &person, err)) {
		/* not the caller's patient: a guest dose under the home clinic's authorisation, or nothing */
		if (err->code != ERR_INVALID || in.kind != OD_GUEST || guest_grant(env, &in, &genv, &auth, err))
			goto out;
		env = &genv;
		if (get_ref(env, &ent_persons, in.person, "person_id", &person, err))
			goto out;
	}
	pv = json_integer(in.person);
	/* the person's prescriptions, far enough back for the maintenance run take-home needs */
	q_eq(&q, "person_id", pv);
	q_rng(&q, "valid_to", in.day - RX_HISTORY_DAYS, DATE_NONE);
	if (list_all(env, &ent_ost_prescriptions, &q, &rxrows, err) || !(rx = rx_of(rxrows, &nrx, err)))
		goto out;
	for (int k = 0; k < nrx; k++)
		if (rx[k].to < in.day && (last_end == DATE_NONE || rx[k].to > last_end))
			last_end = rx[k].to;
	memset(&q, 0, sizeof(q));
	q_eq(&q, "person_id", pv);
	q_rng(&q, "dose_date", in.day, in.day + in.days - 1);
	if (list_all(env, &ent_ost_doses, &q, &existing, err))
		goto out;
	if (rules(env, in.day, "dose_date", &r, err))
		goto out;
	rx0 = ost_rx_at(rx, nrx, in.day);
	if (in.kind == OD_TAKE_HOME) {
		memset(&q, 0, sizeof(q));
		posv = json_string("positive");
		q_eq(&q, "person_id", pv);
		q_eq(&q, "result", posv);
		q_rng(&q, "test_date", date_add_months(in.day, -r.th_negative_months), in.day);
		if (list_all(env, &ent_tests, &q, &tests, err))
			goto out;
		json_array_foreach(tests, i, row)
			if (jdate(row, "test_date") > last_pos)
				last_pos = jdate(row, "test_date");
		if (rx0 && ost_take_home_check(rx, nrx, in.day, last_pos, in.days, &r, err))
			goto out;
	}
	if (!(doses = json_array()) || !(moves = json_array()) ||
	    !(res = json_pack("{s:o, s:o}", "doses", doses, "stock_movements", moves))) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int k = 0; k < in.days; k++) {
		int32_t day = in.day + k, mg;
		const struct ost_rx *p = ost_rx_at(rx, nrx, day);
		struct ost_dose_req req = {day, in.kind, in.dose_mg, in.reason != NULL, in.days};
		int dosed = 0;
		json_t *drec = NULL, *dval = NULL, *dout = NULL, *srec = NULL, *sval = NULL, *sout = NULL;

		json_array_foreach(existing, i, row)
			dosed |= jdate(row, "dose_date") == day;
		if (ost_dose_check(&req, p, last_end, dosed, &mg, err)) {
			if (k > 0 && err->code == ERR_INVALID && !strcmp(err->field, "person_id"))
				snprintf(err->field, sizeof(err->field), "days");
			goto out;
		}
		if (k == 0) {
			/* the first day fixes the clinics, the treatment and the concentration */
			home = p->facility;
			where = in.facility ? in.facility : home;
			if (in.kind == OD_GUEST && where == home) {
				err_set(err, ERR_INVALID, "facility_id", "a guest dose is given at another clinic than the patient's own");
				goto out;
			}
			if (in.kind != OD_GUEST && where != home) {
				err_set(err, ERR_INVALID, "kind", "a dose at another clinic than the prescribing one is a guest dose");
				goto out;
			}
			if (need_ost_point(env, where, "facility_id", &fac, err) ||
			    get_ref(env, &ent_treatments, jint(rx_row(rxrows, rx, p), "treatment_id"), "person_id", &tx, err))
				goto out;
			if ((tend = jdate(tx, "end_date")) != DATE_NONE && tend < day) {
				err_set(err, ERR_INVALID, "person_id", "the patient's treatment episode ended on %s",
					date_format(tend, d));
				goto out;
			}
			if (p->medicine == OM_METHADONE) {
				if (!(mgml = in.mg_per_ml) && last_concentration(env, where, &mgml, err))
					goto out;
				if (!mgml) {
					err_set(err, ERR_INVALID, "mg_per_ml",
						"no methadone has been received at this clinic yet: give mg_per_ml");
					goto out;
				}
			}
		}
		date_format(in.day, on);
		drec = json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:i, s:O?}", "person_id", (json_int_t)in.person,
				 "prescription_id", (json_int_t)p->id, "facility_id", (json_int_t)where,
				 "home_facility_id", (json_int_t)p->facility, "dose_date", date_format(day, d),
				 "dispensed_on", on, "kind", en_ost_dose_kind.vals[in.kind].code, "dose_mg", (int)mg,
				 "reason", in.reason);
		if (!drec || ent_validate(&ent_ost_doses, &env->ctx, drec, 0, &dval, err) ||
		    env->st->ops->insert(env->st, &ent_ost_doses, env->sc, dval, &dout, err)) {
			if (!drec)
				err_set(err, ERR_INTERNAL, NULL, "out of memory");
			else if (err->code == ERR_CONFLICT)
				err_set(err, ERR_CONFLICT, "dose_date", "the patient already has a dose for %s",
					date_format(day, d));
			json_decref(drec);
			json_decref(dval);
			goto out;
		}
		json_array_append_new(doses, dout);
		json_decref(drec);
		json_decref(dval);
		if (p->medicine != OM_METHADONE)
			continue;
		srec = json_pack("{s:I, s:s, s:s, s:I, s:i, s:I}", "facility_id", (json_int_t)where, "move_date",
				 date_format(in.day, d), "kind", "dispensed", "volume_ul",
				 (json_int_t)ost_dose_ul(mg, mgml), "mg_per_ml", (int)mgml, "dose_id",
				 (json_int_t)jint(dout, "id"));
		if (!srec || ent_validate(&ent_ost_stock, &env->ctx, srec, 0, &sval, err) ||
		    env->st->ops->insert(env->st, &ent_ost_stock, env->sc, sval, &sout, err)) {
			if (!srec)
				err_set(err, ERR_INTERNAL, NULL, "out of memory");
			json_decref(srec);
			json_decref(sval);
			goto out;
		}
		json_array_append_new(moves, sout);
		json_decref(srec);
		json_decref(sval);
	}
	json_object_set(res, "prescription", rx_row(rxrows, rx, rx0));
	if (auth)
		json_object_set_new(res, "guest_authorisation", json_integer(auth));
	*out = res;
	res = NULL;
	rc = 0;
out:
	free(rx);
	json_decref(in.reason);
	json_decref(person);
	json_decref(rxrows);
	json_decref(existing);
	json_decref(tests);
	json_decref(tx);
	json_decref(fac);
	json_decref(pv);
	json_decref(posv);
	json_decref(res);
	return rc;
}

int ost_dose_record(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	return in_tx(env, dose_tx, body, out, err);
}

/* ---- the queue ------------------------------------------------------------------------------- */

struct qpat {
	int64_t person;
	json_t *rx;        /* borrowed: the prescription in force */
	json_t *dose;      /* borrowed: the dose covering the day, or NULL */
	int32_t last_dose; /* DATE_NONE when none in the window */
	int streak;
	enum ost_alert alert;
	json_t *person_row; /* owned */
	char *fold;         /* owned: accent-folded name */
};

static int qpat_cmp(const void *a, const void *b)
{
	const struct qpat *x = a, *y = b;
	int c = (x->dose != NULL) - (y->dose != NULL);

	if (c)
		return c; /* not yet dosed first */
	c = strcmp(x->fold ? x->fold : "", y->fold ? y->fold : "");
	return c ? c : (x->person > y->person) - (x->person < y->person);
}

/* Every token of the folded search text in the folded name, or an exact id / national ID. */
static int matches(const struct qpat *p, const char *search, const char *sfold)
{
	const char *nid = jstr(p->person_row, "national_id"), *t = sfold;
	size_t digits = strspn(search, "0123456789");

	if (digits && digits == strlen(search))
		return (nid && !strcmp(nid, search)) || strtoll(search, NULL, 10) == p->person;
	while (t && *t) {
		size_t k;
		char tok[128];

		while (*t == ' ')
			t++;
		k = strcspn(t, " ");
		if (!k)
			break;
		if (k >= sizeof(tok))
			k = sizeof(tok) - 1;
		memcpy(tok, t, k);
		tok[k] = '\0';
		if (!p->fold || !strstr(p->fold, tok))
			return 0;
		t += k;
	}
	return 1;
}

/* A row of a list reduced to what the queue orders it by; row is borrowed from the list. */
struct qrow {
	int64_t person, id;
	int32_t day;
	json_t *row;
};

static int cmp_qrow(const void *a, const void *b)
{
	const struct qrow *x = a, *y = b;

	if (x->person != y->person)
		return x->person < y->person ? -1 : 1;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* rows as qrows sorted by person, then day (datekey), then id. */
static struct qrow *by_person(json_t *rows, const char *datekey, struct pcmt_err *err)
{
	size_t n = json_array_size(rows), i;
	struct qrow *v = calloc(n + 1, sizeof(*v));
	json_t *r;

	if (!v) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	json_array_foreach(rows, i, r)
		v[i] = (struct qrow){jint(r, "person_id"), jint(r, "id"), jdate(r, datekey), r};
	qsort(v, n, sizeof(*v), cmp_qrow);
	return v;
}

/* The patient's last dose before `before`, no earlier than `since` (DATE_NONE when none). */
static int last_dose_before(const struct ost_env *env, int64_t person, int32_t since, int32_t before, int32_t *out,
			    struct pcmt_err *err)
{
	struct store_query q = {0};
	json_t *pv = json_integer(person), *row = NULL;
	int rc;

	q_eq(&q, "person_id", pv);
	q_rng(&q, "dose_date", since, before - 1);
	rc = list_last(env, &ent_ost_doses, &q, &row, err);
	*out = row ? jdate(row, "dose_date") : DATE_NONE;
	json_decref(row);
	json_decref(pv);
	return rc;
}

/* One guest of the day as the queue shows it: only what dosing needs (name, the prescription in force,
 * whether dosed today, the authorisation), read unscoped; NULL with *err clear when the patient is
 * gone or does not match the search. */
static json_t *guest_entry(const struct ost_env *env, json_t *auth, int32_t date, const char *search,
			   const char *sfold, struct pcmt_err *err)
{
	struct store_query q = {0};
	struct qpat g = {0};
	json_t *pv = json_integer(jint(auth, "person_id")), *rxrows = NULL, *dv = NULL, *o = NULL, *d;
	struct ost_rx *rx = NULL;
	const struct ost_rx *now = NULL;
	int n = 0;

	g.person = jint(auth, "person_id");
	if (env->st->ops->get(env->st, &ent_persons, NULL, g.person, &g.person_row, err)) {
		if (err->code == ERR_NOT_FOUND)
			err_clear(err);
		goto out;
	}
	g.fold = text_fold(jstr(g.person_row, "full_name") ? jstr(g.person_row, "full_name") : "");
	if (sfold && !matches(&g, search, sfold))
		goto out;
	q_eq(&q, "person_id", pv);
	q_rng(&q, "valid_to", date, DATE_NONE);
	q_rng(&q, "valid_from", DATE_NONE, date);
	if (list_all_in(env, NULL, &ent_ost_prescriptions, &q, &rxrows, err) || !(rx = rx_of(rxrows, &n, err)))
		goto out;
	now = ost_rx_at(rx, n, date);
	memset(&q, 0, sizeof(q));
	q_eq(&q, "person_id", pv);
	q_rng(&q, "dose_date", date, date);
	if (list_all_in(env, NULL, &ent_ost_doses, &q, &dv, err))
		goto out;
	d = json_array_get(dv, 0);
	o = json_pack("{s:I, s:O, s:o, s:o, s:{s:O, s:O, s:O, s:O}}", "person_id", (json_int_t)g.person, "full_name",
		      json_object_get(g.person_row, "full_name"), "prescription",
		      now ? json_pack("{s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(rx_row(rxrows, rx, now), "id"),
				      "medicine", json_object_get(rx_row(rxrows, rx, now), "medicine"), "dose_mg",
				      json_object_get(rx_row(rxrows, rx, now), "dose_mg"), "phase",
				      json_object_get(rx_row(rxrows, rx, now), "phase"), "valid_to",
				      json_object_get(rx_row(rxrows, rx, now), "valid_to"))
			  : json_null(),
		      "dosed", d ? json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(d, "id"), "kind",
					     json_object_get(d, "kind"), "dose_mg", json_object_get(d, "dose_mg"),
					     "facility_id", json_object_get(d, "facility_id"))
			       : json_null(),
		      "authorisation", "id", json_object_get(auth, "id"), "home_facility_id",
		      json_object_get(auth, "home_facility_id"), "valid_from", json_object_get(auth, "valid_from"),
		      "valid_to", json_object_get(auth, "valid_to"));
	if (!o)
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
out:
	free(rx);
	free(g.fold);
	json_decref(g.person_row);
	json_decref(pv);
	json_decref(rxrows);
	json_decref(dv);
	return o;
}

/* The day's guests at facility (ost_guest_authorise): patients of other clinics authorised for
 * date, other than the clinic's own patients (pats), each once. */
static int queue_guests(const struct ost_env *env, int64_t facility, int32_t date, const char *search,
			const char *sfold, const struct qpat *pats, int npat, json_t **out, struct pcmt_err *err)
{
	json_t *auths = NULL, *list = json_array(), *a, *o, *e;
	size_t i, k;
	int rc = -1;

	*out = NULL;
	if (!list) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (guest_auths(env, facility, 0, date, date, &auths, err))
		goto out;
	json_array_foreach(auths, i, a) {
		int seen = 0;

		for (int p = 0; p < npat; p++)
			seen |= pats[p].person == jint(a, "person_id");
		json_array_foreach(list, k, e)
			seen |= jint(e, "person_id") == jint(a, "person_id");
		if (seen)
			continue;
		if (!(o = guest_entry(env, a, date, search, sfold, err))) {
			if (err->code != ERR_OK)
				goto out;
			continue;
		}
		json_array_append_new(list, o);
	}
	*out = list;
	list = NULL;
	rc = 0;
out:
	json_decref(auths);
	json_decref(list);
	return rc;
}

int ost_queue(const struct ost_env *env, int64_t facility, int32_t date, const char *search, json_t **out,
	      struct pcmt_err *err)
{
	struct store_query q = {0};
	struct ost_rules r;
	json_t *fv = NULL, *fac = NULL, *rxrows = NULL, *doses = NULL, *list = NULL, *res = NULL, *sub = NULL;
	json_t *guests = NULL;
	struct qpat *pats = NULL;
	struct qrow *rq = NULL, *dq = NULL;
	struct ost_rx *rx = NULL;
	int32_t *days = NULL;
	int npat = 0, lookback, recent, rc = -1, counts[4] = {0}, ndosed = 0;
	size_t i = 0, j = 0, nrx, nd;
	char *sfold = NULL;
	char d[DATE_BUFSZ];

	*out = NULL;
	if (need_ost_point(env, facility, "facility", &fac, err) || rules(env, date, "date", &r, err))
		goto out;
	/* streaks are counted up to the review threshold: 30 means "30 or more", which is all a counter
	 * needs to know, and it bounds what is read */
	lookback = r.review_days > 0 ? r.review_days : r.escalation_days;
	if (lookback < 1)
		lookback = 1;
	if (lookback > QUEUE_LOOKBACK_MAX)
		lookback = QUEUE_LOOKBACK_MAX;
	/* a week of doses settles the streak of nearly everyone (any dose in it ends the streak); only
	 * patients without one are asked for their last dose further back, one query each */
	recent = r.escalation_days + 2 > 7 ? r.escalation_days + 2 : 7;
	if (recent > lookback)
		recent = lookback;
	fv = json_integer(facility);
	q_eq(&q, "facility_id", fv);
	q_rng(&q, "valid_to", date - lookback, DATE_NONE);
	q_rng(&q, "valid_from", DATE_NONE, date);
	if (list_all(env, &ent_ost_prescriptions, &q, &rxrows, err))
		goto out;
	memset(&q, 0, sizeof(q));
	q_eq(&q, "home_facility_id", fv);
	q_rng(&q, "dose_date", date - recent, date);
	if (list_all(env, &ent_ost_doses, &q, &doses, err))
		goto out;
	nrx = json_array_size(rxrows);
	nd = json_array_size(doses);
	if (!(rq = by_person(rxrows, "valid_from", err)) || !(dq = by_person(doses, "dose_date", err)))
		goto out;
	if (!(pats = calloc(nrx ? nrx : 1, sizeof(*pats))) || !(days = malloc((nd + 2) * sizeof(*days))) ||
	    !(rx = calloc(nrx ? nrx : 1, sizeof(*rx)))) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (search && *search && !(sfold = text_fold(search))) {
		err_set(err, ERR_INVALID, "q", "q is not valid UTF-8");
		goto out;
	}
	/* both ordered by person: walk them together, one patient at a time */
	while (i < nrx) {
		int64_t pid = rq[i].person;
		size_t i0 = i, j0;
		int n = 0, ndays = 0;
		const struct ost_rx *now;
		struct ost_rx *tmp;

		json_decref(sub);
		if (!(sub = json_array())) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		while (i < nrx && rq[i].person == pid)
			json_array_append(sub, rq[i++].row);
		while (j < nd && dq[j].person < pid)
			j++;
		j0 = j;
		while (j < nd && dq[j].person == pid)
			j++;
		if (!(tmp = rx_of(sub, &n, err)))
			goto out;
		memcpy(rx, tmp, (size_t)n * sizeof(*rx));
		free(tmp);
		if (!(now = ost_rx_at(rx, n, date)))
			continue;
		struct qpat *p = &pats[npat];

		p->person = pid;
		p->rx = rq[i0 + (size_t)(now - rx)].row;
		p->last_dose = DATE_NONE;
		for (size_t k = j0; k < j; k++) {
			days[ndays++] = dq[k].day;
			if (dq[k].day == date)
				p->dose = dq[k].row;
			else if (dq[k].day < date)
				p->last_dose = dq[k].day;
		}
		if (p->last_dose == DATE_NONE && recent < lookback &&
		    ost_missed_streak(days, ndays, rx, n, date, lookback) >= recent) {
			int32_t ld;

			if (last_dose_before(env, pid, date - lookback, date - recent, &ld, err))
				goto out;
			if (ld != DATE_NONE) {
				/* days stays sorted: the earlier dose goes first */
				memmove(days + 1, days, (size_t)ndays * sizeof(*days));
				days[0] = ld;
				ndays++;
				p->last_dose = ld;
			}
		}
		p->streak = ost_missed_streak(days, ndays, rx, n, date, lookback);
		p->alert = ost_alert_of(p->streak, &r);
		if (env->st->ops->get(env->st, &ent_persons, env->sc, pid, &p->person_row, err) == 0) {
			p->fold = text_fold(jstr(p->person_row, "full_name") ? jstr(p->person_row, "full_name") : "");
			if (!sfold || matches(p, search, sfold)) {
				npat++;
			} else {
				json_decref(p->person_row);
				free(p->fold);
				memset(p, 0, sizeof(*p));
			}
		} else if (err->code == ERR_NOT_FOUND) {
			err_clear(err); /* outside the caller's scope: not theirs to see */
			memset(p, 0, sizeof(*p));
		} else {
			goto out;
		}
	}
	qsort(pats, (size_t)npat, sizeof(*pats), qpat_cmp);
	if (!(list = json_array())) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int k = 0; k < npat; k++) {
		struct qpat *p = &pats[k];
		int32_t vto = jdate(p->rx, "valid_to");
		json_t *o;

		counts[p->alert]++;
		ndosed += p->dose != NULL;
		o = json_pack("{s:I, s:O, s:O, s:O, s:{s:O, s:O, s:O, s:O, s:O, s:O, s:i}, s:o, s:o, s:i, s:s}",
			      "person_id", (json_int_t)p->person, "full_name", json_object_get(p->person_row, "full_name"),
			      "national_id", json_object_get(p->person_row, "national_id") ? json_object_get(p->person_row, "national_id") : json_null(),
			      "dob", json_object_get(p->person_row, "dob") ? json_object_get(p->person_row, "dob") : json_null(),
			      "prescription", "id", json_object_get(p->rx, "id"), "medicine", json_object_get(p->rx, "medicine"),
			      "dose_mg", json_object_get(p->rx, "dose_mg"), "phase", json_object_get(p->rx, "phase"),
			      "valid_from", json_object_get(p->rx, "valid_from"), "valid_to", json_object_get(p->rx, "valid_to"),
			      "days_left", (int)(vto - date),
			      "dosed", p->dose ? json_pack("{s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(p->dose, "id"),
							    "kind", json_object_get(p->dose, "kind"), "dose_mg",
							    json_object_get(p->dose, "dose_mg"), "facility_id",
							    json_object_get(p->dose, "facility_id"), "dispensed_on",
							    json_object_get(p->dose, "dispensed_on"))
					     : json_null(),
			      "last_dose", p->last_dose != DATE_NONE ? json_string(date_format(p->last_dose, d)) : json_null(),
			      "missed_days", p->streak, "alert", ost_alert_name(p->alert));
		if (!o) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		json_array_append_new(list, o);
	}
	if (queue_guests(env, facility, date, search, sfold, pats, npat, &guests, err))
		goto out;
	res = json_pack("{s:{s:O, s:O, s:O}, s:s, s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:O, s:O}",
			"facility", "id", json_object_get(fac, "id"), "name", json_object_get(fac, "name"), "ou_id",
			json_object_get(fac, "ou_id"), "date", date_format(date, d), "rules", "alert_days", r.alert_days,
			"escalation_days", r.escalation_days, "review_days", r.review_days, "summary", "due", npat,
			"dosed", ndosed, "waiting", npat - ndosed, "alert", counts[OA_ALERT], "escalate",
			counts[OA_ESCALATE], "review", counts[OA_REVIEW], "patients", list, "guests", guests);
	if (!res) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	*out = res;
	rc = 0;
out:
	for (int k = 0; pats && k < npat; k++) {
		json_decref(pats[k].person_row);
		free(pats[k].fold);
	}
	free(pats);
	free(rq);
	free(dq);
	free(rx);
	free(days);
	free(sfold);
	json_decref(sub);
	json_decref(fv);
	json_decref(fac);
	json_decref(rxrows);
	json_decref(doses);
	json_decref(list);
	json_decref(guests);
	return rc;
}

/* ---- stock ----------------------------------------------------------------------------------- */

/* body["<base>_ml"] (a number of mL) as body["<base>_ul"] (whole µL); both given is an error. */
static int ml_to_ul(json_t *body, const char *base, struct pcmt_err *err)
{
	char ml[64], ul[64];
	json_t *v;

	snprintf(ml, sizeof(ml), "%s_ml", base);
	snprintf(ul, sizeof(ul), "%s_ul", base);
	if (!(v = json_object_get(body, ml)))
		return 0;
	if (json_object_get(body, ul))
		return err_set(err, ERR_INVALID, ml, "give %s or %s, not both", ml, ul);
	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e9)
		return err_set(err, ERR_INVALID, ml, "%s must be a number of mL from 0", ml);
	json_object_set_new(body, ul, json_integer((json_int_t)llround(json_number_value(v) * 1000.0)));
	json_object_del(body, ml);
	return 0;
}

static int stock_tx(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	json_t *in = NULL, *rec = NULL, *fac = NULL;
	const char *kind;
	int rc = -1;

	if (!json_is_object(body))
		return err_set(err, ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
	if (!(in = json_deep_copy(body)))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (ml_to_ul(in, "volume", err) || ent_validate(&ent_ost_stock, &env->ctx, in, 0, &rec, err))
		goto out;
	kind = jstr(rec, "kind");
	if (kind && !strcmp(kind, "dispensed")) {
		err_set(err, ERR_INVALID, "kind", "dispensed movements are written with their dose (POST /api/v1/doses)");
		goto out;
	}
	if (need_ost_point(env, jint(rec, "facility_id"), "facility_id", &fac, err))
		goto out;
	rc = env->st->ops->insert(env->st, &ent_ost_stock, env->sc, rec, out, err);
out:
	json_decref(in);
	json_decref(rec);
	json_decref(fac);
	return rc;
}

int ost_stock_add(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	return in_tx(env, stock_tx, body, out, err);
}

struct day_sums {
	struct ost_balance b;
	int has_opening;
	json_t *moves;  /* owned */
	json_t *recon;  /* owned: the day's reconciliation or NULL */
};

static int sums_of(const struct ost_env *env, int64_t facility, int32_t day, struct day_sums *s, struct pcmt_err *err)
{
	struct store_query q = {0};
	json_t *fv = json_integer(facility), *prev = NULL, *today = NULL, *row;
	size_t i;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	q_eq(&q, "facility_id", fv);
	q_rng(&q, "move_date", day, day);
	if (list_all(env, &ent_ost_stock, &q, &s->moves, err))
		goto out;
	json_array_foreach(s->moves, i, row) {
		const char *k = jstr(row, "kind");
		int64_t v = jint(row, "volume_ul");

		if (!strcmp(k, "receipt"))
			s->b.received += v;
		else if (!strcmp(k, "dispensed"))
			s->b.dispensed += v;
		else
			s->b.waste += v;
	}
	memset(&q, 0, sizeof(q));
	q_eq(&q, "facility_id", fv);
	q_rng(&q, "day", DATE_NONE, day - 1);
	if (list_last(env, &ent_ost_reconciliations, &q, &prev, err))
		goto out;
	if (prev) {
		s->b.opening = jint(prev, "counted_ul");
		s->has_opening = 1;
	}
	memset(&q, 0, sizeof(q));
	q_eq(&q, "facility_id", fv);
	q_rng(&q, "day", day, day);
	if (list_last(env, &ent_ost_reconciliations, &q, &today, err))
		goto out;
	s->recon = today;
	today = NULL;
	rc = 0;
out:
	json_decref(fv);
	json_decref(prev);
	json_decref(today);
	return rc;
}

int ost_stock_day(const struct ost_env *env, int64_t facility, int32_t date, json_t **out, struct pcmt_err *err)
{
	struct day_sums s;
	json_t *fac = NULL;
	char d[DATE_BUFSZ];
	int rc = -1;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if (need_ost_point(env, facility, "facility", &fac, err) || sums_of(env, facility, date, &s, err))
		goto out;
	s.b.counted = 0;
	ost_reconcile(&s.b);
	*out = json_pack("{s:{s:O, s:O}, s:s, s:o, s:I, s:I, s:I, s:I, s:O, s:O}", "facility", "id",
			 json_object_get(fac, "id"), "name", json_object_get(fac, "name"), "date", date_format(date, d),
			 "opening_ul", s.has_opening ? json_integer(s.b.opening) : json_null(), "received_ul",
			 (json_int_t)s.b.received, "dispensed_ul", (json_int_t)s.b.dispensed, "waste_ul",
			 (json_int_t)s.b.waste, "expected_closing_ul", (json_int_t)s.b.expected, "movements", s.moves,
			 "reconciliation", s.recon ? s.recon : json_null());
	rc = *out ? 0 : err_set(err, ERR_INTERNAL, NULL, "out of memory");
out:
	json_decref(fac);
	json_decref(s.moves);
	json_decref(s.recon);
	return rc;
}

static int reconcile_tx(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	static const char *const keys[] = {"facility_id", "day", "counted_ul", "opening_ul", "counted_by", "note", NULL};
	json_t *in = NULL, *rec = NULL, *val = NULL, *fac = NULL, *v;
	struct day_sums s;
	const char *k;
	int32_t day;
	char d[DATE_BUFSZ];
	int rc = -1;

	memset(&s, 0, sizeof(s));
	if (!json_is_object(body))
		return err_set(err, ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
	if (!(in = json_deep_copy(body)))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (ml_to_ul(in, "counted", err) || ml_to_ul(in, "opening", err))
		goto out;
	json_object_foreach(in, k, v) {
		int known = 0;

		for (int i = 0; keys[i]; i++)
			known |= !strcmp(keys[i], k);
		if (!known) {
			err_set(err, ERR_INVALID, k, "unknown field for a reconciliation (facility_id, day, counted_ml or"
				" counted_ul, opening_ml or opening_ul, counted_by, note)");
			goto out;
		}
	}
	if (!json_is_integer(json_object_get(in, "facility_id"))) {
		err_set(err, ERR_INVALID, "facility_id", "facility_id is required (the dispensing point's id)");
		goto out;
	}
	if (!json_object_get(in, "counted_ul")) {
		err_set(err, ERR_INVALID, "counted_ul", "the counted closing stock is required (counted_ml or counted_ul)");
		goto out;
	}
	if (!json_object_get(in, "day"))
		json_object_set_new(in, "day", json_string(date_format(env->ctx.today, d)));
	else if (!json_is_string(json_object_get(in, "day")) || date_parse(jstr(in, "day"), &day)) {
		err_set(err, ERR_INVALID, "day", "day is not a valid date (YYYY-MM-DD or DD/MM/YYYY)");
		goto out;
	}
	day = jdate(in, "day");
	if (day == DATE_NONE) { /* DD/MM/YYYY given: normalised by ent_value below, parsed here first */
		date_parse(jstr(in, "day"), &day);
	}
	if (need_ost_point(env, jint(in, "facility_id"), "facility_id", &fac, err) ||
	    sums_of(env, jint(in, "facility_id"), day, &s, err))
		goto out;
	if (s.recon) {
		err_set(err, ERR_CONFLICT, "day", "the stock of %s is already reconciled (id %lld)", date_format(day, d),
			(long long)jint(s.recon, "id"));
		goto out;
	}
	if (!json_object_get(in, "opening_ul"))
		json_object_set_new(in, "opening_ul", json_integer(s.b.opening));
	json_object_set_new(in, "received_ul", json_integer(s.b.received));
	json_object_set_new(in, "dispensed_ul", json_integer(s.b.dispensed));
	json_object_set_new(in, "waste_ul", json_integer(s.b.waste));
	if (ent_validate(&ent_ost_reconciliations, &env->ctx, in, 0, &val, err))
		goto out;
	if (env->st->ops->insert(env->st, &ent_ost_reconciliations, env->sc, val, out, err)) {
		if (err->code == ERR_CONFLICT)
			err_set(err, ERR_CONFLICT, "day", "the stock of %s is already reconciled", date_format(day, d));
		goto out;
	}
	rc = 0;
out:
	json_decref(in);
	json_decref(rec);
	json_decref(val);
	json_decref(fac);
	json_decref(s.moves);
	json_decref(s.recon);
	return rc;
}

int ost_reconcile_record(const struct ost_env *env, json_t *body, json_t **out, struct pcmt_err *err)
{
	return in_tx(env, reconcile_tx, body, out, err);
}

/* ---- a clinic's indicators ------------------------------------------------------------------- */

static json_t *share(int num, int den)
{
	return den ? json_real(100.0 * num / den) : json_null();
}

int ost_clinic_indicators(struct live *lv, const struct ost_env *env, int64_t facility, int32_t from, int32_t to,
			  json_t **out, struct pcmt_err *err)
{
	struct ost_clinic_stats cs;
	json_t *fac = NULL;
	char a[DATE_BUFSZ], b[DATE_BUFSZ];

	*out = NULL;
	if (to < from)
		return err_set(err, ERR_INVALID, "from", "from must not be after to");
	if (need_ost_point(env, facility, "facility", &fac, err) || live_sync(lv, env->st, err)) {
		json_decref(fac);
		return -1;
	}
	ost_clinic_stats(live_read(lv), facility, from, to, &cs);
	live_done(lv);
	*out = json_pack("{s:{s:O, s:O}, s:s, s:s, s:i, s:i, s:o, s:i, s:i, s:o, s:{s:i, s:i, s:o}, s:{s:i, s:i, s:o}}",
			 "facility", "id", json_object_get(fac, "id"), "name", json_object_get(fac, "name"), "from",
			 date_format(from, a), "to", date_format(to, b), "patients", cs.patients, "take_home_patients",
			 cs.take_home_patients, "take_home_pct", share(cs.take_home_patients, cs.patients), "dose_days_due",
			 cs.due, "dose_days_missed", cs.missed, "missed_dose_pct", share(cs.missed, cs.due), "retention_6m",
			 "cohort", cs.cohort[0], "retained", cs.retained[0], "pct", share(cs.retained[0], cs.cohort[0]),
			 "retention_12m", "cohort", cs.cohort[1], "retained", cs.retained[1], "pct",
			 share(cs.retained[1], cs.cohort[1]));
	json_decref(fac);
	return *out ? 0 : err_set(err, ERR_INTERNAL, NULL, "out of memory");
}
