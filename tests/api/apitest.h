/* apitest.h: the fixture the API tests share: a `pcmt serve` on a fresh database that holds the
 * test org units (testlib.h), with today pinned to 2025-06-15, and assertions that a refused request
 * answered the right status and error AND wrote nothing (every table's count unchanged). */
#ifndef PCMT_APITEST_H
#define PCMT_APITEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define API_TODAY "2025-06-15"

struct api_fx {
	struct tl_tmp tmp;
	struct tl_server srv;
	int64_t vn, nghe_an, ky_son, nam_can, keng_du, que_phong, tri_le; /* org-unit ids */
};

static inline int api_setup(void **state)
{
	struct api_fx *f = calloc(1, sizeof(*f));
	struct store *s;

	if (!f || !(s = tl_store_with_units(&f->tmp)))
		return -1;
	f->vn = tl_ou(s, "VN");
	f->nghe_an = tl_ou(s, "40");
	f->ky_son = tl_ou(s, "417");
	f->nam_can = tl_ou(s, "16837");
	f->keng_du = tl_ou(s, "16822");
	f->que_phong = tl_ou(s, "415");
	f->tri_le = tl_ou(s, "16756");
	store_close(s);
	if (tl_server_start(&f->srv, f->tmp.db, "PCMT_TODAY=" API_TODAY))
		return -1;
	*state = f;
	return 0;
}

static inline int api_teardown(void **state)
{
	struct api_fx *f = *state;

	tl_server_stop(&f->srv, 0);
	tl_tmp_cleanup(&f->tmp);
	free(f);
	return 0;
}

/* The row counts of every table, from /api/v1/health (new reference). */
static inline json_t *api_counts(struct api_fx *f)
{
	struct tl_resp r;
	json_t *c;

	assert_int_equal(tl_http(&f->srv, "GET", "/api/v1/health?counts=1", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	c = json_object_get(r.json, "counts");
	assert_non_null(c);
	json_incref(c);
	tl_resp_free(&r);
	return c;
}

static inline int64_t api_count(struct api_fx *f, const char *entity)
{
	json_t *c = api_counts(f);
	int64_t n = json_integer_value(json_object_get(c, entity));

	json_decref(c);
	return n;
}

/* Sends the request and checks status, error code and field (field NULL: not checked, "": absent),
 * and that no table changed. Returns the response for further checks (caller frees). */
static inline struct tl_resp api_refused_ex(struct api_fx *f, const char *method, const char *path,
				     const char *const *headers, const char *body, size_t len, long status,
				     const char *code, const char *field)
{
	json_t *before = api_counts(f), *after;
	struct tl_resp r;

	assert_int_equal(tl_http_ex(&f->srv, method, path, headers, body, len, &r), 0);
	if (r.status != status || strcmp(tl_err_code(&r), code) || (field && strcmp(tl_err_field(&r), field)))
		fail_msg("%s %s: wanted %ld %s field '%s', got %ld: %s", method, path, status, code,
			 field ? field : "(any)", r.status, r.body);
	after = api_counts(f);
	if (!json_equal(before, after)) {
		char *b = json_dumps(before, JSON_COMPACT), *a = json_dumps(after, JSON_COMPACT);

		fail_msg("%s %s was refused but wrote: before %s after %s", method, path, b, a);
	}
	json_decref(before);
	json_decref(after);
	return r;
}

static inline void api_refused(struct api_fx *f, const char *method, const char *path, const char *body, long status,
			const char *code, const char *field)
{
	struct tl_resp r = api_refused_ex(f, method, path, NULL, body, body ? strlen(body) : 0, status, code, field);

	tl_resp_free(&r);
}

/* POST body to /api/v1/<entity> expecting 201; returns the new id. */
static inline int64_t api_create(struct api_fx *f, const char *entity, const char *body)
{
	struct tl_resp r;
	char path[64];
	int64_t id;

	snprintf(path, sizeof(path), "/api/v1/%s", entity);
	assert_int_equal(tl_http(&f->srv, "POST", path, body, &r), 0);
	if (r.status != 201)
		fail_msg("POST %s %s: wanted 201, got %ld: %s", path, body, r.status, r.body);
	id = json_integer_value(json_object_get(r.json, "id"));
	assert_true(id > 0);
	tl_resp_free(&r);
	return id;
}

/* GET path expecting `status`; returns the response (caller frees). */
static inline struct tl_resp api_get(struct api_fx *f, const char *path, long status)
{
	struct tl_resp r;

	assert_int_equal(tl_http(&f->srv, "GET", path, NULL, &r), 0);
	if (r.status != status)
		fail_msg("GET %s: wanted %ld, got %ld: %s", path, status, r.status, r.body);
	return r;
}

/* A person in the given commune code; returns the id. */
static inline int64_t api_person(struct api_fx *f, const char *name, const char *sex, const char *dob, const char *commune)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"full_name\": \"%s\", \"sex\": \"%s\", \"dob\": \"%s\", \"residence_ou\": \"%s\"}",
		 name, sex, dob, commune);
	return api_create(f, "persons", body);
}

#endif
