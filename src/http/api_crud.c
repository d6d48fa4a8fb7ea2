/* api_crud.c: list, create, read, replace, patch and delete for every entity in ent_all[], driven by
 * the entity descriptors: validation is ent_validate()/ent_value(), storage is the store interface,
 * and what a resource adds (person search options, duplicate hints) comes from its struct http_ext. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/arena.h"
#include "util/date.h"
#include "util/text.h"

static const struct http_ext *const exts[] = {&http_ext_persons, NULL};

const struct http_ext *http_ext_for(const struct entity_def *e)
{
	for (int i = 0; exts[i]; i++)
		if (exts[i]->ent == e)
			return exts[i];
	return NULL;
}

int http_resolve_ou(struct http_req *r, const char *param, const char *v, int64_t *id)
{
	return http_resolve_ou_on(r, param, v, DATE_NONE, id);
}

int http_resolve_ou_on(struct http_req *r, const char *param, const char *v, int32_t date, int64_t *id)
{
	struct ou_info ou;
	struct pcmt_err err;
	int64_t n;

	err_clear(&err);
	if (!v || !*v)
		return http_failf(r, ERR_INVALID, param, "%s must name an org unit by code or id", param);
	if (strlen(v) <= 32 && strchr(v, '@')) { /* CODE@YYYY-MM-DD: the unit in force on that date */
		char code[33];
		const char *at = strchr(v, '@');

		memcpy(code, v, (size_t)(at - v));
		code[at - v] = '\0';
		if (date_parse(at + 1, &date))
			return http_failf(r, ERR_INVALID, param, "%s: write CODE@YYYY-MM-DD", param);
		if (r->st->ops->ou_by_code(r->st, code, date, &ou, &err) == 0) {
			*id = ou.id;
			return 0;
		}
		if (err.code != ERR_NOT_FOUND)
			return http_fail(r, &err);
		return http_failf(r, ERR_INVALID, param, "%s: no org unit has this code", param);
	}
	if (strlen(v) <= 16) {
		if (r->st->ops->ou_by_code(r->st, v, date, &ou, &err) == 0) {
			*id = ou.id;
			return 0;
		}
		if (err.code != ERR_NOT_FOUND)
			return http_fail(r, &err);
	}
	/* Codes are digits too (GSO codes), so an id is only tried when no unit has that code. */
	if ((n = http_parse_pos(v)) > 0) {
		err_clear(&err);
		if (r->st->ops->ou_get(r->st, n, &ou, &err) == 0) {
			*id = ou.id;
			return 0;
		}
		if (err.code != ERR_NOT_FOUND)
			return http_fail(r, &err);
	}
	return http_failf(r, ERR_INVALID, param, "%s: no org unit has this code or id", param);
}

int http_resolve_root(struct http_req *r, const char *param, const char *v, const char *dflt, int64_t *id)
{
	return http_resolve_root_on(r, param, v, dflt, DATE_NONE, id);
}

int http_resolve_root_on(struct http_req *r, const char *param, const char *v, const char *dflt, int32_t date,
			 int64_t *id)
{
	struct pcmt_err err;
	int yes = 0;

	err_clear(&err);
	*id = 0;
	if (!v || !*v) {
		if (r->scope && r->scope->ou_id) {
			*id = r->scope->ou_id;
			return 0;
		}
		return dflt ? http_resolve_ou_on(r, param, dflt, date, id) : 0;
	}
	if (http_resolve_ou_on(r, param, v, date, id))
		return -1;
	if (!r->scope || !r->scope->ou_id)
		return 0;
	if (r->st->ops->ou_within(r->st, *id, r->scope->ou_id, &yes, &err))
		return http_fail(r, &err);
	if (!yes)
		return http_failf(r, ERR_INVALID, param, "%s: no org unit has this code or id", param);
	return 0;
}

/* ---- list ----------------------------------------------------------------------------------- */

struct list_ctx {
	struct store_query q;
	const struct http_ext *ext;
	json_t *vals[QF_MAX]; /* filter values, dropped after the query */
};

/* A query-string value as the JSON type of field f, so that ent_value() can check it. */
static json_t *query_json(const struct field_def *f, const char *v)
{
	char *end;
	long long n;

	switch (f->type) {
	case FT_INT:
	case FT_MONEY:
	case FT_REF:
		n = strtoll(v, &end, 10);
		if (*v && !*end && (*v == '-' || (*v >= '0' && *v <= '9')))
			return json_integer(n);
		break;
	case FT_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "1"))
			return json_true();
		if (!strcmp(v, "false") || !strcmp(v, "0"))
			return json_false();
		break;
	default:
		break;
	}
	return json_string(v); /* NULL when v is not UTF-8 */
}

static int limit_param(struct http_req *r, const char *k, const char *v, int lo, int hi, int *out)
{
	char *end;
	long n;

	if (!v || !*v)
		return http_failf(r, ERR_BAD_REQUEST, k, "%s needs a value", k);
	n = strtol(v, &end, 10);
	if (*end || n < lo || n > hi || !((*v >= '0' && *v <= '9')))
		return http_failf(r, ERR_BAD_REQUEST, k, "%s must be a whole number from %d to %d", k, lo, hi);
	*out = (int)n;
	return 0;
}

static int filter_param(struct http_req *r, struct list_ctx *x, const struct field_def *f, const char *v)
{
	struct pcmt_err err;
	json_t *in, *val;
	int64_t ou;

	err_clear(&err);
	for (int i = 0; i < x->q.neq; i++)
		if (!strcmp(x->q.eq[i].field, f->name))
			return http_failf(r, ERR_BAD_REQUEST, f->name, "%s is given twice", f->name);
	if (x->q.neq >= QF_MAX)
		return http_failf(r, ERR_BAD_REQUEST, f->name, "at most %d field filters", QF_MAX);
	if (!v || !*v)
		return http_failf(r, ERR_INVALID, f->name, "%s needs a value", f->name);
	if (f->type == FT_OU) {
		if (http_resolve_ou(r, f->name, v, &ou))
			return -1;
		val = json_integer(ou);
	} else {
		if (!(in = query_json(f, v)))
			return http_failf(r, ERR_INVALID, f->name, "%s is not valid UTF-8", f->name);
		val = ent_value(f, &r->ctx, in, &err);
		json_decref(in);
		if (!val)
			return http_fail(r, &err);
		if (json_is_null(val)) {
			json_decref(val);
			return http_failf(r, ERR_INVALID, f->name, "%s needs a value", f->name);
		}
	}
	x->vals[x->q.neq] = val;
	x->q.eq[x->q.neq].field = f->name;
	x->q.eq[x->q.neq].value = val;
	x->q.neq++;
	return 0;
}

static int list_param(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct list_ctx *x = cls;
	const struct field_def *f;
	int rc;

	if (!strcmp(k, "limit"))
		return limit_param(r, k, v, 1, HTTP_LIST_MAX, &x->q.limit);
	if (!strcmp(k, "offset"))
		return limit_param(r, k, v, 0, 1000000000, &x->q.offset);
	if (!strcmp(k, "orgunit"))
		return http_resolve_ou(r, "orgunit", v, &x->q.ou_subtree);
	if (!strcmp(k, "q")) {
		char *fold;

		if (!v || !*v)
			return 0;
		if (strlen(v) > 200)
			return http_failf(r, ERR_BAD_REQUEST, "q", "q is longer than 200 bytes");
		if (!(fold = text_fold(v)))
			return http_failf(r, ERR_BAD_REQUEST, "q", "q is not valid UTF-8");
		x->q.search = *fold ? arena_strdup(r->arena, fold) : NULL;
		free(fold);
		return 0;
	}
	if (x->ext && x->ext->list_param && (rc = x->ext->list_param(r, k, v, &x->q)) != 0)
		return rc < 0 ? -1 : 0;
	f = ent_field(r->ent, k);
	if (f && (f->flags & F_FILTER) && !(f->flags & F_HIDDEN))
		return filter_param(r, x, f, v);
	return http_failf(r, ERR_BAD_REQUEST, k, "unknown query parameter for %s (see /api/v1/schema: fields with "
			  "\"filter\": true, and limit, offset, orgunit, q)", r->ent->name);
}

int api_list(struct http_req *r)
{
	struct list_ctx x;
	struct pcmt_err err;
	json_t *items = NULL;
	int64_t total = 0;
	int rc = -1, capped;

	memset(&x, 0, sizeof(x));
	err_clear(&err);
	x.q.scope = r->scope;
	x.q.as_of = DATE_NONE;
	x.q.limit = HTTP_LIST_DEFAULT;
	x.ext = http_ext_for(r->ent);
	if (http_query_each(r, list_param, &x))
		goto out;
	/* A name search is read a page at a time and refined, never paged to its end: counting
	 * "nguyen"'s 386,000 persons of a national set cost more than the page itself. */
	if (x.q.search)
		x.q.count_max = HTTP_SEARCH_COUNT;
	if (r->st->ops->list(r->st, r->ent, &x.q, &items, &total, &err)) {
		http_fail(r, &err);
		goto out;
	}
	capped = x.q.count_max && total > x.q.count_max;
	rc = http_json(r, 200, json_pack("{s:o, s:I, s:b, s:i, s:i}", "items", items, "total",
					 (json_int_t)(capped ? x.q.count_max : total), "total_capped", capped,
					 "limit", x.q.limit, "offset", x.q.offset));
out:
	for (int i = 0; i < x.q.neq; i++)
		json_decref(x.vals[i]);
	return rc;
}

/* ---- one record ----------------------------------------------------------------------------- */

/* 200/201 with a stored record, its ETag and (on create) its Location. */
static int send_record(struct http_req *r, int status, json_t *rec)
{
	json_t *ver = json_object_get(rec, "version"), *id = json_object_get(rec, "id");

	if (json_is_integer(ver))
		snprintf(r->etag, sizeof(r->etag), "\"%lld\"", (long long)json_integer_value(ver));
	if (status == 201 && json_is_integer(id))
		snprintf(r->location, sizeof(r->location), "/api/v1/%s/%lld", r->ent->name,
			 (long long)json_integer_value(id));
	return http_json(r, status, rec);
}

int api_create(struct http_req *r)
{
	struct pcmt_err err;
	json_t *valid = NULL, *out = NULL;
	const struct http_ext *ext = http_ext_for(r->ent);
	int rc = -1;

	err_clear(&err);
	if (ent_validate(r->ent, &r->ctx, r->body, 0, &valid, &err)) {
		http_fail(r, &err);
		goto out;
	}
	if (ext && ext->check && ext->check(r, valid, NULL))
		goto out;
	if (r->st->ops->insert(r->st, r->ent, r->scope, valid, &out, &err)) {
		http_fail(r, &err);
		goto out;
	}
	if (ext && ext->created && r->in_group)
		r->created_valid = json_incref(valid);
	else if (ext && ext->created && ext->created(r, valid, out))
		goto out;
	rc = send_record(r, 201, out);
	out = NULL;
out:
	json_decref(valid);
	json_decref(out);
	return rc;
}

int api_get(struct http_req *r)
{
	struct pcmt_err err;
	json_t *out = NULL;

	err_clear(&err);
	if (http_need_id(r))
		return -1;
	if (r->st->ops->get(r->st, r->ent, r->scope, r->id, &out, &err))
		return http_fail(r, &err);
	return send_record(r, 200, out);
}

int api_replace(struct http_req *r)
{
	struct pcmt_err err;
	json_t *valid = NULL, *out = NULL, *old = NULL;
	const struct http_ext *ext = http_ext_for(r->ent);
	int64_t ver;
	int rc = -1;

	err_clear(&err);
	if (http_need_id(r) || http_expected_version(r, &ver))
		return -1;
	if (ent_validate(r->ent, &r->ctx, r->body, 0, &valid, &err) ||
	    (ext && ext->check && r->st->ops->get(r->st, r->ent, r->scope, r->id, &old, &err))) {
		http_fail(r, &err);
		goto out;
	}
	if (ext && ext->check && ext->check(r, valid, old))
		goto out;
	if (r->st->ops->update(r->st, r->ent, r->scope, r->id, valid, ver, &out, &err)) {
		http_fail(r, &err);
		goto out;
	}
	rc = send_record(r, 200, out);
out:
	json_decref(valid);
	json_decref(old);
	return rc;
}

int api_patch(struct http_req *r)
{
	struct pcmt_err err;
	json_t *patch = NULL, *base = NULL, *rec = NULL, *out = NULL;
	const struct http_ext *ext = http_ext_for(r->ent);
	int64_t ver;
	int rc = -1;

	err_clear(&err);
	if (http_need_id(r) || http_expected_version(r, &ver))
		return -1;
	if (ent_validate(r->ent, &r->ctx, r->body, 1, &patch, &err)) {
		http_fail(r, &err);
		goto out;
	}
	/* The merge reads the stored record, so the update expects that version: a write in between
	 * would otherwise be overwritten with stale values. Without a client version, retry a little. */
	for (int attempt = 0;; attempt++) {
		int64_t expect = ver;

		json_decref(base);
		json_decref(rec);
		base = rec = NULL;
		err_clear(&err);
		if (r->st->ops->get(r->st, r->ent, r->scope, r->id, &base, &err) ||
		    ent_merge(r->ent, &r->ctx, base, patch, &rec, &err)) {
			http_fail(r, &err);
			goto out;
		}
		if (ext && ext->check && ext->check(r, rec, base))
			goto out;
		if (!expect)
			expect = json_integer_value(json_object_get(base, "version"));
		if (r->st->ops->update(r->st, r->ent, r->scope, r->id, rec, expect, &out, &err) == 0)
			break;
		if (ver || err.code != ERR_CONFLICT || !err.current_version || attempt >= 2) {
			http_fail(r, &err);
			goto out;
		}
	}
	rc = send_record(r, 200, out);
out:
	json_decref(patch);
	json_decref(base);
	json_decref(rec);
	return rc;
}

int api_delete(struct http_req *r)
{
	struct pcmt_err err;
	int64_t ver;

	err_clear(&err);
	if (http_need_id(r) || http_expected_version(r, &ver))
		return -1;
	if (r->st->ops->del(r->st, r->ent, r->scope, r->id, ver, &err))
		return http_fail(r, &err);
	return http_json(r, 204, NULL);
}
