/* api_mat.c: the opioid substitution clinic over HTTP (docs/ost.md): the day's queue, recording doses,
 * prescribing, stock receipts and waste, the day's stock and its reconciliation. Writes to the four
 * clinic entities go through engine/ost.c (rules, one transaction each), never through the generic
 * CRUD, which keeps only their GET lists and records: a prescription, dose, movement or
 * reconciliation is never edited or deleted -- a dose change is a new prescription, a correction a
 * new movement -- so that the history a clinic is inspected on stays whole. */
#include <string.h>

#include "engine/ost.h"
#include "engine/rulebook.h"
#include "http/http.h"
#include "util/date.h"

/* Runs a write of engine/ost.c with the rulebook of the database, answering 201. */
static int write_with(struct http_req *r, int (*fn)(const struct ost_env *, json_t *, json_t **, struct pcmt_err *),
		      const char *ent)
{
	struct rulebook rb;
	struct pcmt_err err;
	struct ost_env env = {r->st, r->scope, &rb, r->ctx};
	json_t *out = NULL;
	int rc;

	err_clear(&err);
	rulebook_init(&rb);
	if (rulebook_read(r->st, &rb, &err) || fn(&env, r->body, &out, &err)) {
		rc = http_fail(r, &err);
	} else {
		json_t *id = json_object_get(out, "id"), *g = json_object_get(out, "guest_authorisation");

		/* a dose under a guest authorisation: the audit entry names it */
		if (json_is_integer(g))
			snprintf(r->audit_detail, sizeof(r->audit_detail), "guest_authorisation=%lld person=%lld",
				 (long long)json_integer_value(g), (long long)json_integer_value(json_object_get(r->body, "person_id")));
		if (ent && json_is_integer(id))
			snprintf(r->location, sizeof(r->location), "/api/v1/%s/%lld", ent, (long long)json_integer_value(id));
		rc = http_json(r, 201, out);
	}
	rulebook_free(&rb);
	return rc;
}

int api_mat_prescribe(struct http_req *r)
{
	return write_with(r, ost_prescribe, "prescriptions");
}

int api_mat_dose(struct http_req *r)
{
	return write_with(r, ost_dose_record, NULL);
}

int api_mat_guest_authorise(struct http_req *r)
{
	return write_with(r, ost_guest_authorise, "guest_authorisations");
}

int api_mat_stock_add(struct http_req *r)
{
	return write_with(r, ost_stock_add, "stock_movements");
}

int api_mat_reconcile(struct http_req *r)
{
	return write_with(r, ost_reconcile_record, "reconciliations");
}

int api_mat_immutable(struct http_req *r)
{
	r->allow = "GET";
	return http_failf(r, ERR_METHOD, NULL,
			  "%s are never changed or deleted: a dose change is a new prescription, a stock correction a new"
			  " movement (docs/ost.md)",
			  r->ent ? r->ent->name : "clinic records");
}

struct day_args {
	const char *facility, *date, *q;
	int with_q;
};

static int day_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct day_args *a = cls;

	if (!strcmp(k, "facility"))
		a->facility = v;
	else if (!strcmp(k, "date"))
		a->date = v;
	else if (a->with_q && !strcmp(k, "q"))
		a->q = v;
	else
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use facility, date%s)", k,
				  a->with_q ? ", q" : "");
	return 0;
}

/* facility (an id, required) and date (default today) of a day's view. */
static int day_of(struct http_req *r, struct day_args *a, int64_t *facility, int32_t *date)
{
	if (http_query_each(r, day_param, a))
		return -1;
	if (!a->facility || (*facility = http_parse_pos(a->facility)) <= 0)
		return http_failf(r, ERR_INVALID, "facility", "facility must be the id of a dispensing point");
	*date = r->ctx.today;
	if (a->date && date_parse(a->date, date))
		return http_failf(r, ERR_INVALID, "date", "date must be a date (YYYY-MM-DD or DD/MM/YYYY)");
	return 0;
}

static int read_with(struct http_req *r, int with_q)
{
	struct day_args a = {NULL, NULL, NULL, with_q};
	struct rulebook rb;
	struct pcmt_err err;
	struct ost_env env = {r->st, r->scope, &rb, r->ctx};
	json_t *out = NULL;
	int64_t facility = 0;
	int32_t date = DATE_NONE;
	int rc;

	if (day_of(r, &a, &facility, &date))
		return -1;
	if (a.q && strlen(a.q) > 200)
		return http_failf(r, ERR_INVALID, "q", "q is longer than 200 bytes");
	err_clear(&err);
	rulebook_init(&rb);
	if (rulebook_read(r->st, &rb, &err) ||
	    (with_q ? ost_queue(&env, facility, date, a.q, &out, &err) : ost_stock_day(&env, facility, date, &out, &err)))
		rc = http_fail(r, &err);
	else {
		json_t *g;
		size_t i;
		struct { char *p; size_t n, cap; } d = {r->audit_detail, 0, sizeof(r->audit_detail)};

		/* the queue's guests are patients outside the caller's scope: the read's audit entry names them */
		json_array_foreach(json_object_get(out, "guests"), i, g) {
			int k = snprintf(d.p + d.n, d.cap - d.n, "%s%lld", i ? "," : "guests=",
					 (long long)json_integer_value(json_object_get(g, "person_id")));

			if (k < 0 || d.n + (size_t)k >= d.cap - 4) {
				snprintf(d.p + d.n, d.cap - d.n, ",...");
				break;
			}
			d.n += (size_t)k;
		}
		rc = http_json(r, 200, out);
	}
	rulebook_free(&rb);
	return rc;
}

int api_mat_queue(struct http_req *r)
{
	return read_with(r, 1);
}

int api_mat_stock_day(struct http_req *r)
{
	return read_with(r, 0);
}

/* GET /api/v1/mat/indicators?facility=ID&from=D&to=D: one clinic's indicators (default: the 30 days
 * up to today). */
struct ind_args {
	const char *facility, *from, *to;
};

static int ind_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct ind_args *a = cls;

	if (!strcmp(k, "facility"))
		a->facility = v;
	else if (!strcmp(k, "from"))
		a->from = v;
	else if (!strcmp(k, "to"))
		a->to = v;
	else
		return http_failf(r, ERR_BAD_REQUEST, k, "unknown parameter %s (use facility, from, to)", k);
	return 0;
}

int api_mat_indicators(struct http_req *r)
{
	struct ind_args a = {NULL, NULL, NULL};
	struct pcmt_err err;
	struct ost_env env = {r->st, r->scope, NULL, r->ctx};
	json_t *out = NULL;
	int64_t facility;
	int32_t from, to = r->ctx.today;

	if (http_query_each(r, ind_param, &a))
		return -1;
	if (!a.facility || (facility = http_parse_pos(a.facility)) <= 0)
		return http_failf(r, ERR_INVALID, "facility", "facility must be the id of a dispensing point");
	if (a.to && date_parse(a.to, &to))
		return http_failf(r, ERR_INVALID, "to", "to must be a date (YYYY-MM-DD or DD/MM/YYYY)");
	from = to - 29;
	if (a.from && date_parse(a.from, &from))
		return http_failf(r, ERR_INVALID, "from", "from must be a date (YYYY-MM-DD or DD/MM/YYYY)");
	err_clear(&err);
	if (ost_clinic_indicators(r->live, &env, facility, from, to, &out, &err))
		return http_fail(r, &err);
	return http_json(r, 200, out);
}
