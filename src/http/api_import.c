/* api_import.c: POST /api/v1/imports?kind=ENTITY: a CSV or xlsx file as the request body (up to
 * HTTP_UPLOAD_MAX), imported by src/import/ in one transaction with the caller's scope. The answer is
 * JSON with the counts and the refused rows; with ?errors=file it is instead the file given back with
 * its error columns (when rows were refused), as `pcmt import` writes it. */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "import/imp.h"

static const char xlsx_type[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

static int flag(struct http_req *r, const char *name, int *out)
{
	const char *v = http_query(r, name);

	*out = 0;
	if (!v)
		return 0;
	if (!*v || !strcmp(v, "1") || !strcmp(v, "true"))
		*out = 1;
	else if (strcmp(v, "0") && strcmp(v, "false"))
		return http_failf(r, ERR_BAD_REQUEST, name, "%s must be 1 or 0", name);
	return 0;
}

/* The import's audit entry, in its transaction. */
static int audit_in_tx(void *cls, const struct imp_result *res, struct pcmt_err *err)
{
	struct http_req *r = cls;
	char detail[200];

	snprintf(detail, sizeof(detail), "kind=%s&rows=%ld&inserted=%ld&updated=%ld&skipped=%ld&failed=%ld",
		 http_query(r, "kind"), res->rows, res->inserted, res->updated, res->skipped, res->failed);
	if (http_audit_tx(r, "import", http_query(r, "kind"), detail, err))
		return -1;
	r->audit = -1; /* written: the dispatcher must not log it again */
	return 0;
}

int api_import(struct http_req *r)
{
	const char *kind = http_query(r, "kind"), *fmt = http_query(r, "format"), *errs = http_query(r, "errors");
	const char *ct = http_header(r, "Content-Type");
	struct imp_opts o;
	struct imp_result res;
	struct pcmt_err err;
	json_t *body, *list;
	char *eout = NULL;
	size_t eoutn = 0;
	int rc = -1, status;

	memset(&o, 0, sizeof(o));
	if (!kind || !*kind)
		return http_failf(r, ERR_BAD_REQUEST, "kind", "kind is required (persons, tests, ...: an entity of /api/v1/schema)");
	if (!(o.e = ent_find(kind)))
		return http_failf(r, ERR_BAD_REQUEST, "kind", "kind: no such entity");
	/* an import writes: the same roles as a POST of the entity */
	if (!http_may(r, o.e, 1))
		return http_failf(r, ERR_FORBIDDEN, "kind", "your role may not write %s", o.e->name);
	if (flag(r, "partial", &o.partial))
		return -1;
	if (errs && strcmp(errs, "json") && strcmp(errs, "file"))
		return http_failf(r, ERR_BAD_REQUEST, "errors", "errors must be json or file");
	if (fmt && strcmp(fmt, "csv") && strcmp(fmt, "xlsx"))
		return http_failf(r, ERR_BAD_REQUEST, "format", "format must be csv or xlsx");
	if (!r->upload_len)
		return http_failf(r, ERR_BAD_REQUEST, NULL, "the request body must be the file to import");
	/* the format: ?format=, else the Content-Type, else the content itself */
	if (fmt)
		o.format = !strcmp(fmt, "xlsx") ? IMP_XLSX : IMP_CSV;
	else if (ct && !strncmp(ct, xlsx_type, sizeof(xlsx_type) - 1))
		o.format = IMP_XLSX;
	else
		o.format = imp_sniff(r->upload, r->upload_len);
	o.scope = r->scope;
	o.ctx = r->ctx;
	imp_limits_default(&o.lim);
	o.before_commit = audit_in_tx;
	o.commit_cls = r;
	err_clear(&err);
	if (imp_run(r->st, &o, r->upload, r->upload_len, &res, &err)) {
		r->audit = 0; /* nothing was written: the dispatcher logs the refusal */
		return http_fail(r, &err);
	}
	status = res.failed && !o.partial ? 422 : 200;
	/* refused imports (nothing written) are audited by the dispatcher, action "import" */
	snprintf(r->audit_detail, sizeof(r->audit_detail), "rows=%ld&inserted=%ld&updated=%ld&skipped=%ld&failed=%ld&written=%d",
		 res.rows, res.inserted, res.updated, res.skipped, res.failed, res.written);
	if (res.failed && errs && !strcmp(errs, "file")) {
		if (imp_errfile(&o, r->upload, r->upload_len, &res, o.partial, &eout, &eoutn, &err)) {
			http_fail(r, &err);
			goto out;
		}
		r->status = status;
		r->raw = eout;
		r->raw_len = eoutn;
		r->raw_type = o.format == IMP_XLSX ? xlsx_type : "text/csv; charset=utf-8";
		snprintf(r->disposition, sizeof(r->disposition), "attachment; filename=\"%s-errors.%s\"", o.e->name,
			 o.format == IMP_XLSX ? "xlsx" : "csv");
		rc = 0;
		goto out;
	}
	body = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "kind", o.e->name, "format",
			 o.format == IMP_XLSX ? "xlsx" : "csv", "rows", (json_int_t)res.rows, "inserted", (json_int_t)res.inserted,
			 "updated", (json_int_t)res.updated, "skipped", (json_int_t)res.skipped, "failed", (json_int_t)res.failed,
			 "written", res.written);
	list = json_array();
	if (!body || !list) {
		json_decref(body);
		json_decref(list);
		http_failf(r, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < res.nerrs && i < 1000; i++)
		json_array_append_new(list, json_pack("{s:I, s:s, s:s}", "row", (json_int_t)res.errs[i].row, "field",
						      res.errs[i].field, "message", res.errs[i].message));
	json_object_set_new(body, "errors", list);
	if (status == 422) {
		char m[200];

		snprintf(m, sizeof(m), "%ld of %ld rows have errors; nothing was written", res.failed, res.rows);
		json_object_set_new(body, "error",
				    json_pack("{s:s, s:s, s:s}", "code", "invalid", "message", m, "field",
					      res.nerrs ? res.errs[0].field : ""));
	}
	http_json(r, status, body);
	rc = 0;
out:
	imp_result_free(&res);
	return rc;
}
