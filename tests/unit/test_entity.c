/* test_entity.c: unit tests for src/domain/entity.c: generic validation driven by the descriptors
 * (run over every entity in ent_all) and each entity's cross-field rules, with "today" fixed at
 * 2025-06-15 through ent_ctx so that no result depends on the clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/entity.h"
#include "util/date.h"

static struct ent_ctx ctx;

static int setup(void **state)
{
	ctx.today = date_from_ymd(2025, 6, 15);
	return 0;
}

/* A minimal valid record per entity: only required fields, all consistent. */
static const struct {
	const char *entity, *json;
} minimal[] = {
	{"orgunits", "{\"code\": \"40\", \"name\": \"Nghệ An\", \"kind\": \"province\"}"},
	{"facilities", "{\"name\": \"Trạm y tế xã Nậm Cắn\", \"kind\": \"health_station\", \"ou_id\": 5}"},
	{"persons", "{\"full_name\": \"Nguyễn Văn Ánh\", \"sex\": \"male\", \"residence_ou\": \"16837\"}"},
	{"classifications", "{\"person_id\": 1, \"kind\": \"addict\", \"date_from\": \"2024-01-10\"}"},
	{"determinations",
	 "{\"person_id\": 1, \"det_date\": \"2024-01-10\", \"facility_id\": 2, \"result\": \"not_addicted\"}"},
	{"records", "{\"person_id\": 1, \"kind\": \"addict\", \"opened\": \"2024-01-10\", \"managing_ou\": 7}"},
	{"tests", "{\"person_id\": 1, \"test_date\": \"2024-01-10\", \"kind\": \"periodic\", \"result\": \"negative\"}"},
	{"treatments",
	 "{\"person_id\": 1, \"kind\": \"voluntary_community\", \"start_date\": \"2024-01-10\", \"outcome\": \"ongoing\"}"},
	{"support", "{\"person_id\": 1, \"kind\": \"counselling\", \"support_date\": \"2024-01-10\"}"},
	{"plans", "{\"code\": \"180/KH-UBND\", \"title\": \"Kế hoạch phòng, chống ma túy năm 2022\", \"issuing_ou\": \"40\","
		  " \"scope_ou\": \"40\", \"period_from\": \"2022-01-01\", \"period_to\": \"2022-12-31\"}"},
	{"targets", "{\"plan_id\": 1, \"indicator\": \"services_reach_pct\", \"comparator\": \">=\", \"value\": 76,"
		    " \"unit\": \"percent\", \"period_kind\": \"year\", \"deadline\": \"2022-12-31\"}"},
	{"custom_indicators", "{\"code\": \"voluntary_share\", \"name_vi\": \"Tỷ lệ tự nguyện\","
			      " \"expression\": \"pct(treated_voluntary, treated_total)\", \"unit\": \"percent\"}"},
	/* the operations registry (domain/operations.c; its own rules in tests/unit/test_operations.c) */
	{"populations", "{\"ou_id\": \"16837\", \"year\": 2024, \"population\": 4120}"},
	{"hotspots", "{\"kind\": \"use_venue\", \"ou_id\": \"16837\", \"address\": \"Bản Huồi Pủ\","
		     " \"discovered\": \"2024-01-10\", \"status_history\": [{\"status\": \"active\", \"date\": \"2024-01-10\"}]}"},
	{"cases", "{\"case_number\": \"12/2024/HS\", \"detected\": \"2024-01-10\", \"ou_id\": \"16837\","
		  " \"detecting_force\": \"border_guard\", \"route\": \"land_border\", \"suspects\": 2}"},
	{"plant_sites", "{\"ou_id\": \"16837\", \"detected\": \"2024-01-10\", \"area_m2\": 300, \"plant_count\": 1200}"},
	{"communication", "{\"activity_date\": \"2024-01-10\", \"ou_id\": \"16837\", \"form\": \"rally\"}"},
	/* the substitution clinic (domain/ost.c; its own rules in tests/unit/test_ost.c) */
	{"prescriptions", "{\"person_id\": 1, \"treatment_id\": 1, \"facility_id\": 3, \"medicine\": \"methadone\","
			  " \"dose_mg\": 80, \"phase\": \"maintenance\", \"prescriber\": \"BS. Lữ Văn Pó\","
			  " \"valid_from\": \"2024-01-10\", \"valid_to\": \"2024-02-08\"}"},
	{"doses", "{\"person_id\": 1, \"prescription_id\": 1, \"facility_id\": 3, \"home_facility_id\": 3,"
		  " \"dose_date\": \"2024-01-10\", \"dispensed_on\": \"2024-01-10\", \"kind\": \"witnessed\", \"dose_mg\": 80}"},
	{"stock_movements", "{\"facility_id\": 3, \"move_date\": \"2024-01-10\", \"kind\": \"receipt\","
			    " \"volume_ul\": 1000000, \"mg_per_ml\": 10}"},
	{"reconciliations", "{\"facility_id\": 3, \"day\": \"2024-01-10\", \"opening_ul\": 0, \"received_ul\": 1000000,"
			    " \"dispensed_ul\": 8000, \"waste_ul\": 0, \"counted_ul\": 992000}"},
	{"guest_authorisations", "{\"person_id\": 1, \"home_facility_id\": 3, \"guest_facility_id\": 4,"
				 " \"valid_from\": \"2024-01-10\", \"valid_to\": \"2024-01-12\", \"issued_by\": \"BS. Pó\"}"},
};

static json_t *J(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (!j) {
		print_error("bad test JSON (%s): %s\n", je.text, text);
		fail();
	}
	return j;
}

static json_t *minimal_of(const struct entity_def *e)
{
	for (size_t i = 0; i < sizeof(minimal) / sizeof(minimal[0]); i++)
		if (!strcmp(minimal[i].entity, e->name))
			return J(minimal[i].json);
	print_error("no minimal record for entity %s\n", e->name);
	fail();
	return NULL;
}

/* Validates `in` (borrowed) and fails the test unless it is accepted; returns the output. */
static json_t *ok_json(const struct entity_def *e, json_t *in, int partial)
{
	struct pcmt_err err;
	json_t *out = NULL;

	err_clear(&err);
	if (ent_validate(e, &ctx, in, partial, &out, &err) != 0) {
		char *s = json_dumps(in, JSON_COMPACT);

		print_error("%s: refused %s: [%s] %s\n", e->name, s, err.field, err.message);
		free(s);
		fail();
	}
	assert_non_null(out);
	return out;
}

static json_t *ok(const struct entity_def *e, const char *text)
{
	json_t *in = J(text), *out = ok_json(e, in, 0);

	json_decref(in);
	return out;
}

/* Expects ERR_INVALID naming `field`, with `msg` in the message when not NULL; *out stays NULL. */
static void refused_json(const struct entity_def *e, json_t *in, int partial, const char *field, const char *msg)
{
	struct pcmt_err err;
	json_t *out = (json_t *)1;
	int rc;

	err_clear(&err);
	rc = ent_validate(e, &ctx, in, partial, &out, &err);
	if (rc != -1 || err.code != ERR_INVALID || strcmp(err.field, field) ||
	    (msg && !strstr(err.message, msg)) || out) {
		char *s = json_dumps(in, JSON_COMPACT);

		print_error("%s: %s gave rc %d code %d field \"%s\" message \"%s\"; want field \"%s\" with \"%s\"\n",
			    e->name, s, rc, err.code, err.field, err.message, field, msg ? msg : "");
		free(s);
		if (rc == 0)
			json_decref(out);
		fail();
	}
}

static void refused(const struct entity_def *e, const char *text, const char *field, const char *msg)
{
	json_t *in = J(text);

	refused_json(e, in, 0, field, msg);
	json_decref(in);
}

/* The minimal record of e with key k set to v (stolen; NULL deletes k). */
static json_t *with(const struct entity_def *e, const char *k, json_t *v)
{
	json_t *in = minimal_of(e);

	if (v)
		json_object_set_new(in, k, v);
	else
		json_object_del(in, k);
	return in;
}

static const char *S(json_t *rec, const char *k)
{
	return json_string_value(json_object_get(rec, k));
}

/* ---- descriptors ---------------------------------------------------------------------------- */

static void test_descriptors_consistent(void **state)
{
	int n = 0;

	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];

		n++;
		assert_ptr_equal(ent_find(e->name), e);
		assert_non_null(e->table);
		for (int j = 0; j < e->nfields; j++) {
			const struct field_def *f = &e->fields[j];

			assert_ptr_equal(ent_field(e, f->name), f);
			if (f->type == FT_ENUM)
				assert_non_null(f->en);
			if (f->type == FT_TEXT)
				assert_true(f->max_len > 0);
			if (f->type == FT_REF) {
				/* dependency order: what a field refers to comes earlier in ent_all */
				int found = 0;

				assert_non_null(ent_find(f->ref));
				for (int k = 0; k < i; k++)
					found |= !strcmp(ent_all[k]->name, f->ref);
				assert_true(found);
			}
		}
	}
	assert_int_equal(n, 22); /* 9 registry entities, plans, targets, custom_indicators, 5 of operations, 5 of the
				    substitution clinic */
	assert_null(ent_find("people"));
	assert_null(ent_field(&ent_persons, "fullname"));
	assert_non_null(enum_find(&en_sex, "female"));
	assert_null(enum_find(&en_sex, "Female"));
	assert_null(enum_find(&en_sex, NULL));
}

/* ---- generic rules over every entity -------------------------------------------------------- */

static void test_minimal_records_valid(void **state)
{
	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];
		json_t *in = minimal_of(e), *out = ok_json(e, in, 0);
		const char *k;
		json_t *v;

		/* every non-derived field is present (null when not given), nothing else is */
		for (int j = 0; j < e->nfields; j++) {
			const struct field_def *f = &e->fields[j];

			if (!(f->flags & F_DERIVED) && !json_object_get(out, f->name)) {
				print_error("%s: output lacks %s\n", e->name, f->name);
				fail();
			}
		}
		json_object_foreach(out, k, v) {
			if (!ent_field(e, k)) {
				print_error("%s: output has stray key %s\n", e->name, k);
				fail();
			}
		}
		json_decref(in);
		json_decref(out);
	}
}

static void test_required_fields(void **state)
{
	int checked = 0;

	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];

		for (int j = 0; j < e->nfields; j++) {
			const struct field_def *f = &e->fields[j];
			json_t *in;

			if (!(f->flags & F_REQUIRED))
				continue;
			in = with(e, f->name, NULL); /* missing */
			refused_json(e, in, 0, f->name, "required");
			json_decref(in);
			in = with(e, f->name, json_null()); /* explicit null */
			refused_json(e, in, 0, f->name, "required");
			json_decref(in);
			if (f->type == FT_TEXT) { /* blank text is no text */
				in = with(e, f->name, json_string("  \t "));
				refused_json(e, in, 0, f->name, "required");
				json_decref(in);
			}
			checked++;
		}
	}
	assert_true(checked >= 25);
}

static void test_unknown_and_meta_keys(void **state)
{
	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];
		json_t *in = with(e, "nmae", json_string("typo")), *out;

		refused_json(e, in, 0, "nmae", "unknown field");
		json_decref(in);
		in = with(e, "Kind", json_string("x")); /* keys are case-sensitive */
		refused_json(e, in, 1, "Kind", "unknown field");
		json_decref(in);

		/* keys a client sends back from a GET are ignored, not stored */
		in = minimal_of(e);
		json_object_set_new(in, "id", json_integer(9));
		json_object_set_new(in, "version", json_integer(3));
		json_object_set_new(in, "created_at", json_string("2024-01-01T00:00:00Z"));
		json_object_set_new(in, "updated_at", json_string("2024-01-01T00:00:00Z"));
		out = ok_json(e, in, 0);
		assert_null(json_object_get(out, "id"));
		assert_null(json_object_get(out, "version"));
		assert_null(json_object_get(out, "created_at"));
		json_decref(out);
		json_decref(in);
	}
}

static void test_derived_field_from_client_refused(void **state)
{
	int checked = 0;

	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];

		for (int j = 0; j < e->nfields; j++) {
			const struct field_def *f = &e->fields[j];
			json_t *in;

			if (!(f->flags & F_DERIVED))
				continue;
			in = with(e, f->name, json_string("nguyen van a"));
			refused_json(e, in, 0, f->name, NULL);
			refused_json(e, in, 1, f->name, NULL);
			json_decref(in);
			checked++;
		}
	}
	/* name_fold of org units, facilities, persons, plans; hotspot status; a reconciliation's
	 * expected_ul, difference_ul, flagged; persons' nid_index and key_id */
	assert_int_equal(checked, 10);
}

static void test_body_must_be_object(void **state)
{
	struct pcmt_err err;
	json_t *out = (json_t *)1, *arr = J("[1, 2]");

	err_clear(&err);
	assert_int_equal(ent_validate(&ent_persons, &ctx, arr, 0, &out, &err), -1);
	assert_int_equal(err.code, ERR_BAD_REQUEST);
	assert_null(out);
	json_decref(arr);
}

/* Values of the wrong JSON type for a field of type t, NULL-terminated. */
static void wrong_types(enum fld_type t, json_t *v[8])
{
	int n = 0;

	switch (t) {
	case FT_TEXT:
		v[n++] = json_integer(5);
		v[n++] = json_true();
		v[n++] = json_array();
		v[n++] = json_object();
		v[n++] = json_real(1.5);
		break;
	case FT_INT:
	case FT_MONEY:
	case FT_REF:
		v[n++] = json_string("5");
		v[n++] = json_real(1.5);
		v[n++] = json_real(2.0);
		v[n++] = json_true();
		v[n++] = json_array();
		break;
	case FT_DATE:
		v[n++] = json_integer(20240110);
		v[n++] = json_true();
		v[n++] = json_object();
		break;
	case FT_ENUM:
		v[n++] = json_integer(1);
		v[n++] = json_false();
		v[n++] = json_array();
		break;
	case FT_BOOL:
		v[n++] = json_string("true");
		v[n++] = json_integer(1);
		v[n++] = json_integer(0);
		break;
	case FT_OU:
		v[n++] = json_real(5.0);
		v[n++] = json_true();
		v[n++] = json_array();
		v[n++] = json_string("");
		v[n++] = json_string("12345678901234567"); /* longer than any code */
		v[n++] = json_integer(0);
		v[n++] = json_integer(-3);
		break;
	case FT_JSON:
		v[n++] = json_string("opioids");
		v[n++] = json_object();
		v[n++] = json_integer(5);
		break;
	}
	v[n] = NULL;
}

static void test_wrong_types(void **state)
{
	int checked = 0;

	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];

		for (int j = 0; j < e->nfields; j++) {
			const struct field_def *f = &e->fields[j];
			json_t *bad[8];

			if (f->flags & F_DERIVED)
				continue;
			wrong_types(f->type, bad);
			for (int b = 0; bad[b]; b++) {
				json_t *in = with(e, f->name, json_incref(bad[b]));

				refused_json(e, in, 0, f->name, "must be");
				refused_json(e, in, 1, f->name, "must be");
				json_decref(in);
				json_decref(bad[b]);
				checked++;
			}
		}
	}
	assert_true(checked > 150);
}

static void test_enum_unknown_lists_codes(void **state)
{
	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];

		for (int j = 0; j < e->nfields; j++) {
			const struct field_def *f = &e->fields[j];
			struct pcmt_err err;
			json_t *v, *got;

			if (f->type != FT_ENUM)
				continue;
			err_clear(&err);
			v = json_string("bogus");
			got = ent_value(f, &ctx, v, &err);
			assert_null(got);
			assert_int_equal(err.code, ERR_INVALID);
			assert_string_equal(err.field, f->name);
			for (int k = 0; k < f->en->n; k++) {
				if (!strstr(err.message, f->en->vals[k].code)) {
					print_error("%s.%s: message \"%s\" lacks code %s\n", e->name, f->name, err.message,
						    f->en->vals[k].code);
					fail();
				}
			}
			json_decref(v);
			/* every listed code is accepted, and codes are case-sensitive */
			for (int k = 0; k < f->en->n; k++) {
				v = json_string(f->en->vals[k].code);
				got = ent_value(f, &ctx, v, &err);
				assert_non_null(got);
				assert_string_equal(json_string_value(got), f->en->vals[k].code);
				json_decref(got);
				json_decref(v);
			}
		}
	}
	{
		struct pcmt_err err;
		json_t *v = json_string("MALE");

		assert_null(ent_value(ent_field(&ent_persons, "sex"), &ctx, v, &err));
		json_decref(v);
	}
	refused(&ent_persons,
		"{\"full_name\": \"A\", \"sex\": \"nam\", \"residence_ou\": 3}", "sex", "one of: male, female");
}

static void test_text_max_len(void **state)
{
	int checked = 0;

	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];

		for (int j = 0; j < e->nfields; j++) {
			const struct field_def *f = &e->fields[j];
			struct pcmt_err err;
			char *buf;
			json_t *v, *got;

			if (f->type != FT_TEXT || (f->flags & F_DERIVED))
				continue;
			buf = malloc((size_t)f->max_len + 8);
			assert_non_null(buf);
			/* exactly max_len bytes, surrounded by blanks that trimming removes */
			buf[0] = ' ';
			memset(buf + 1, '7', (size_t)f->max_len);
			strcpy(buf + 1 + f->max_len, "  ");
			v = json_string(buf);
			err_clear(&err);
			got = ent_value(f, &ctx, v, &err);
			if (!got) {
				print_error("%s.%s refused %d bytes: %s\n", e->name, f->name, f->max_len, err.message);
				fail();
			}
			assert_int_equal(json_string_length(got), f->max_len);
			json_decref(got);
			json_decref(v);
			/* one byte more is refused */
			memset(buf, '7', (size_t)f->max_len + 1);
			buf[f->max_len + 1] = '\0';
			v = json_string(buf);
			assert_null(ent_value(f, &ctx, v, &err));
			assert_int_equal(err.code, ERR_INVALID);
			assert_string_equal(err.field, f->name);
			assert_non_null(strstr(err.message, "longer than"));
			json_decref(v);
			free(buf);
			checked++;
		}
	}
	assert_true(checked >= 15);
	/* the cap is in bytes: 67 three-byte letters (201 bytes) exceed full_name's 200 */
	{
		char name[256] = "";
		json_t *in;

		for (int k = 0; k < 67; k++)
			strcat(name, "\xe1\xbb\x85"); /* ễ */
		in = json_pack("{s:s, s:s, s:i}", "full_name", name, "sex", "male", "residence_ou", 3);
		refused_json(&ent_persons, in, 0, "full_name", "200");
		json_decref(in);
	}
}

static void test_text_normalised(void **state)
{
	/* NFD "Nguyễn Văn" with blanks around it */
	json_t *in = json_pack("{s:s, s:s, s:i, s:s, s:s}", "full_name", "  Nguye\xcc\x82\xcc\x83n Va\xcc\x86n\t\n",
			       "sex", "female", "residence_ou", 3, "aliases", "", "occupation", "   ");
	json_t *out = ok_json(&ent_persons, in, 0);

	assert_string_equal(S(out, "full_name"), "Nguy\xe1\xbb\x85n V\xc4\x83n");
	assert_true(json_is_null(json_object_get(out, "aliases")));
	assert_true(json_is_null(json_object_get(out, "occupation")));
	assert_string_equal(S(out, "name_fold"), "nguyen van");
	json_decref(out);
	json_decref(in);
}

static void test_text_control_and_invalid(void **state)
{
	json_t *in;

	refused(&ent_persons, "{\"full_name\": \"Ngu\\u0001yen\", \"sex\": \"male\", \"residence_ou\": 3}", "full_name",
		"control");
	refused(&ent_persons, "{\"full_name\": \"Ngu\\u001byen\", \"sex\": \"male\", \"residence_ou\": 3}", "full_name",
		NULL);
	in = with(&ent_persons, "full_name", json_stringn("Nguyen\0 Van", 11)); /* embedded NUL */
	refused_json(&ent_persons, in, 0, "full_name", "control");
	json_decref(in);
	/* invalid UTF-8 can only come from code, not from parsed JSON */
	in = with(&ent_persons, "address", json_stringn_nocheck("x\xff", 2));
	refused_json(&ent_persons, in, 0, "address", "UTF-8");
	json_decref(in);
	/* tabs and newlines are fine inside text */
	json_decref(ok(&ent_persons,
		       "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": 3, \"address\": \"x\\ny\\tz\"}"));
}

static void test_dates_normalised(void **state)
{
	json_t *out = ok(&ent_classifications,
			 "{\"person_id\": 1, \"kind\": \"addict\", \"date_from\": \"10/01/2024\", \"date_to\": \"29/02/2024\"}");

	assert_string_equal(S(out, "date_from"), "2024-01-10");
	assert_string_equal(S(out, "date_to"), "2024-02-29");
	json_decref(out);
	refused(&ent_classifications, "{\"person_id\": 1, \"kind\": \"addict\", \"date_from\": \"31/02/2024\"}",
		"date_from", "not a valid date");
	refused(&ent_classifications, "{\"person_id\": 1, \"kind\": \"addict\", \"date_from\": \"2023-02-29\"}",
		"date_from", "not a valid date");
	refused(&ent_classifications, "{\"person_id\": 1, \"kind\": \"addict\", \"date_from\": \"2024-1-10\"}",
		"date_from", NULL);
	refused(&ent_classifications, "{\"person_id\": 1, \"kind\": \"addict\", \"date_from\": \"\"}", "date_from",
		NULL);
}

static void test_future_dates(void **state)
{
	char tomorrow[DATE_BUFSZ], today[DATE_BUFSZ];
	int future_ok = 0, checked = 0;

	date_format(ctx.today + 1, tomorrow);
	date_format(ctx.today, today);
	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];

		for (int j = 0; j < e->nfields; j++) {
			const struct field_def *f = &e->fields[j];
			struct pcmt_err err;
			json_t *v, *got;

			if (f->type != FT_DATE)
				continue;
			err_clear(&err);
			v = json_string(today);
			got = ent_value(f, &ctx, v, &err); /* today is never the future */
			assert_non_null(got);
			json_decref(got);
			json_decref(v);
			v = json_string(tomorrow);
			got = ent_value(f, &ctx, v, &err);
			if (f->flags & F_FUTURE_OK) {
				assert_non_null(got);
				assert_string_equal(json_string_value(got), tomorrow);
				json_decref(got);
				future_ok++;
			} else {
				if (got) {
					print_error("%s.%s accepted a future date\n", e->name, f->name);
					fail();
				}
				assert_string_equal(err.field, f->name);
				assert_non_null(strstr(err.message, "future"));
			}
			json_decref(v);
			checked++;
		}
	}
	assert_true(checked >= 14);
	assert_true(future_ok >= 4);
	assert_true(ent_field(&ent_treatments, "planned_end")->flags & F_FUTURE_OK);
	assert_true(ent_field(&ent_classifications, "date_to")->flags & F_FUTURE_OK);
	assert_true(ent_field(&ent_orgunits, "valid_to")->flags & F_FUTURE_OK);

	/* through whole records */
	refused(&ent_tests,
		"{\"person_id\": 1, \"test_date\": \"2025-06-16\", \"kind\": \"sudden\", \"result\": \"negative\"}",
		"test_date", "future");
	refused(&ent_persons, "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": 3, \"dob\": \"16/06/2025\"}",
		"dob", "future");
	json_decref(ok(&ent_treatments, "{\"person_id\": 1, \"kind\": \"methadone\", \"facility_id\": 2, "
					"\"start_date\": \"2025-01-01\", \"planned_end\": \"2027-01-01\", \"outcome\": \"ongoing\"}"));
	json_decref(ok(&ent_classifications,
		       "{\"person_id\": 1, \"kind\": \"post_rehab\", \"date_from\": \"2025-01-01\", \"date_to\": \"2026-12-31\"}"));
	json_decref(ok(&ent_orgunits, "{\"code\": \"16837\", \"name\": \"Xã Nậm Cắn\", \"kind\": \"commune\", "
				      "\"valid_from\": \"2020-01-01\", \"valid_to\": \"2030-06-30\"}"));
	/* without a context there is no "today" to compare with */
	{
		struct pcmt_err err;
		json_t *v = json_string("2100-01-01"), *got;

		got = ent_value(ent_field(&ent_tests, "test_date"), NULL, v, &err);
		assert_non_null(got);
		json_decref(got);
		json_decref(v);
	}
}

static void test_integers(void **state)
{
	refused(&ent_facilities, "{\"name\": \"X\", \"kind\": \"hospital\", \"ou_id\": 5, \"capacity\": -1}", "capacity",
		"negative");
	refused(&ent_support, "{\"person_id\": 1, \"kind\": \"other\", \"support_date\": \"2024-01-10\", \"amount_vnd\": -5}",
		"amount_vnd", "negative");
	refused(&ent_facilities, "{\"name\": \"X\", \"kind\": \"hospital\", \"ou_id\": 5, \"capacity\": 1000000000000001}",
		"capacity", "too large");
	json_decref(ok(&ent_facilities, "{\"name\": \"X\", \"kind\": \"hospital\", \"ou_id\": 5, \"capacity\": 0}"));
	/* references: a positive id */
	refused(&ent_classifications, "{\"person_id\": 0, \"kind\": \"addict\", \"date_from\": \"2024-01-10\"}",
		"person_id", "positive");
	refused(&ent_classifications, "{\"person_id\": -4, \"kind\": \"addict\", \"date_from\": \"2024-01-10\"}",
		"person_id", "positive");
	refused(&ent_tests, "{\"person_id\": 1, \"test_date\": \"2024-01-10\", \"kind\": \"periodic\", "
			    "\"result\": \"negative\", \"facility_id\": 0}",
		"facility_id", "positive");
	{
		json_t *out = ok(&ent_support, "{\"person_id\": 12, \"kind\": \"loan\", \"support_date\": \"2024-01-10\", "
					       "\"amount_vnd\": 50000000}");

		assert_int_equal(json_integer_value(json_object_get(out, "person_id")), 12);
		assert_int_equal(json_integer_value(json_object_get(out, "amount_vnd")), 50000000);
		json_decref(out);
	}
}

static void test_org_unit_id_or_code(void **state)
{
	json_t *out = ok(&ent_persons, "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": 42}");

	assert_true(json_is_integer(json_object_get(out, "residence_ou")));
	assert_int_equal(json_integer_value(json_object_get(out, "residence_ou")), 42);
	json_decref(out);
	out = ok(&ent_persons, "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": \"16837\"}");
	assert_string_equal(S(out, "residence_ou"), "16837"); /* left for the store to resolve */
	json_decref(out);
	out = ok(&ent_records, "{\"person_id\": 1, \"kind\": \"addict\", \"opened\": \"2024-01-10\", "
			       "\"managing_ou\": \"1234567890123456\"}"); /* 16 characters: the longest code */
	json_decref(out);
	refused(&ent_persons, "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": 0}", "residence_ou",
		"org-unit");
	refused(&ent_persons, "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": \"\"}", "residence_ou", NULL);
}

/* ---- persons -------------------------------------------------------------------------------- */

#define PERSON(extra) "{\"full_name\": \"Nguyễn Văn Ánh\", \"residence_ou\": 3, " extra "}"

static void test_person_national_id(void **state)
{
	json_t *out = ok(&ent_persons, PERSON("\"sex\": \"male\", \"dob\": \"17/05/1990\", \"national_id\": \"040090123456\""));

	assert_string_equal(S(out, "national_id"), "040090123456");
	assert_string_equal(S(out, "dob"), "1990-05-17");
	json_decref(out);
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"female\", \"dob\": \"2001-02-03\", \"national_id\": \"001301234567\"")));
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"male\", \"national_id\": \"040090123456\""))); /* no dob */
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"male\", \"dob\": \"1975-01-01\", \"national_id\": \"186123456\"")));
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"male\", \"national_id\": \" 040090123456 \""))); /* trimmed */

	refused(&ent_persons, PERSON("\"sex\": \"female\", \"dob\": \"1990-05-17\", \"national_id\": \"040090123456\""),
		"national_id", "sex");
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"dob\": \"1991-05-17\", \"national_id\": \"040090123456\""),
		"national_id", "birth year");
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"national_id\": \"003090123456\""), "national_id", "province");
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"national_id\": \"04009012345\""), "national_id", "12 digits");
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"national_id\": \"0400901234567\""), "national_id", NULL);
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"national_id\": \"04009O123456\""), "national_id", "digits");
}

static void test_person_phone(void **state)
{
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"0912 345 678\"")));
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"+84 912-345.678\"")));
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"0238 38 42\""))); /* 8 digits */
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"123456789012345\""))); /* 15 */
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"0912abc678\""), "phone", "only digits");
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"(091) 2345678\""), "phone", NULL);
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"1234567\""), "phone", "8 to 15");
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"1234567890123456\""), "phone", "8 to 15");
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"phone\": \"+-. -\""), "phone", "8 to 15");
}

static void test_person_dob(void **state)
{
	json_decref(ok(&ent_persons, PERSON("\"sex\": \"male\", \"dob\": \"1900-01-01\"")));
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"dob\": \"1899-12-31\""), "dob", "1900");
	refused(&ent_persons, PERSON("\"sex\": \"male\", \"dob\": \"31/12/1850\""), "dob", "1900");
}

static void test_person_derive_name_fold(void **state)
{
	json_t *out = ok(&ent_persons, PERSON("\"sex\": \"male\""));

	assert_string_equal(S(out, "name_fold"), "nguyen van anh");
	assert_true(ent_field(&ent_persons, "name_fold")->flags & F_HIDDEN);
	json_decref(out);
	out = ok(&ent_persons, PERSON("\"sex\": \"male\", \"aliases\": \"  Tèo  Đen \""));
	assert_string_equal(S(out, "aliases"), "Tèo  Đen");
	assert_string_equal(S(out, "name_fold"), "nguyen van anh teo den");
	json_decref(out);
	out = ok(&ent_persons, "{\"full_name\": \"ĐẶNG THỊ ĐÀO\", \"sex\": \"female\", \"residence_ou\": 3}");
	assert_string_equal(S(out, "name_fold"), "dang thi dao");
	json_decref(out);
	/* org units and facilities are searchable by name too */
	out = ok(&ent_orgunits, "{\"code\": \"16837\", \"name\": \"Xã Nậm Cắn\", \"kind\": \"commune\"}");
	assert_string_equal(S(out, "name_fold"), "xa nam can");
	json_decref(out);
}

/* ---- other entities ------------------------------------------------------------------------- */

static void test_orgunit_and_facility(void **state)
{
	refused(&ent_orgunits, "{\"code\": \"40 1\", \"name\": \"X\", \"kind\": \"province\"}", "code", NULL);
	refused(&ent_orgunits, "{\"code\": \"40.1\", \"name\": \"X\", \"kind\": \"province\"}", "code", NULL);
	json_decref(ok(&ent_orgunits, "{\"code\": \"VN-40_a\", \"name\": \"X\", \"kind\": \"nation\"}"));
	refused(&ent_orgunits, "{\"code\": \"40\", \"name\": \"X\", \"kind\": \"province\", \"valid_from\": \"2025-07-01\", "
			       "\"valid_to\": \"2025-06-30\"}",
		"valid_to", "before");
	refused(&ent_orgunits, "{\"code\": \"40\", \"name\": \"X\", \"kind\": \"region\"}", "kind", "commune");
	refused(&ent_facilities, "{\"name\": \"X\", \"kind\": \"ost_point\", \"ou_id\": 5, \"qualified_since\": \"2020-01-01\"}",
		"qualified_since", "qualified");
	refused(&ent_facilities, "{\"name\": \"X\", \"kind\": \"ost_point\", \"ou_id\": 5, \"qualified\": false, "
				 "\"qualified_since\": \"2020-01-01\"}",
		"qualified_since", NULL);
	json_decref(ok(&ent_facilities, "{\"name\": \"X\", \"kind\": \"ost_point\", \"ou_id\": \"40\", \"qualified\": true, "
					"\"qualified_since\": \"01/03/2020\"}"));
}

static void test_classification_dates(void **state)
{
	refused(&ent_classifications,
		"{\"person_id\": 1, \"kind\": \"addict\", \"date_from\": \"2024-03-01\", \"date_to\": \"2024-02-29\"}", "date_to",
		"before");
	json_decref(ok(&ent_classifications,
		       "{\"person_id\": 1, \"kind\": \"addict\", \"date_from\": \"2024-03-01\", \"date_to\": \"2024-03-01\"}"));
	json_decref(ok(&ent_classifications, "{\"person_id\": 1, \"kind\": \"released\", \"date_from\": \"2024-03-01\", "
					     "\"date_to\": null, \"basis\": \"Quyết định số 12/QĐ-UBND\"}"));
}

static void test_determination(void **state)
{
	refused(&ent_determinations,
		"{\"person_id\": 1, \"det_date\": \"2024-01-10\", \"facility_id\": 2, \"result\": \"addicted\"}",
		"substance_group", "substance group");
	json_decref(ok(&ent_determinations, "{\"person_id\": 1, \"det_date\": \"2024-01-10\", \"facility_id\": 2, "
					    "\"result\": \"addicted\", \"substance_group\": \"ats\"}"));
	json_decref(ok(&ent_determinations, "{\"person_id\": 1, \"det_date\": \"2024-01-10\", \"facility_id\": 2, "
					    "\"result\": \"not_addicted\", \"substance_group\": null}"));
}

#define RECORD(extra) "{\"person_id\": 1, \"kind\": \"post_rehab\", \"opened\": \"2024-01-10\", \"managing_ou\": 7" extra "}"

static void test_record_closing(void **state)
{
	refused(&ent_records, RECORD(", \"closed\": \"2024-06-01\""), "close_reason", "reason");
	refused(&ent_records, RECORD(", \"close_reason\": \"moved\""), "closed", "closing date");
	refused(&ent_records, RECORD(", \"closed\": \"2024-01-09\", \"close_reason\": \"moved\""), "closed", "before");
	refused(&ent_records, RECORD(", \"closed\": \"2024-06-01\", \"close_reason\": \"left\""), "close_reason", NULL);
	json_decref(ok(&ent_records, RECORD(", \"closed\": \"2024-01-10\", \"close_reason\": \"period_ended\"")));
	json_decref(ok(&ent_records, RECORD(", \"closed\": null, \"close_reason\": null, \"officer\": \"Lê Văn Hùng\"")));
}

#define TEST_REC(subs, result)                                                                           \
	"{\"person_id\": 1, \"test_date\": \"2024-01-10\", \"kind\": \"sudden\", \"substances\": " subs  \
	", \"result\": \"" result "\"}"

static void test_drug_test_substances(void **state)
{
	json_t *out;

	out = ok(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"positive\"}, "
				      "{\"substance\": \"methamphetamine\", \"result\": \"negative\"}]",
				      "positive"));
	assert_int_equal(json_array_size(json_object_get(out, "substances")), 2);
	json_decref(out);
	json_decref(ok(&ent_tests, TEST_REC("[{\"substance\": \"cannabis\", \"result\": \"negative\"}]", "negative")));
	json_decref(ok(&ent_tests, TEST_REC("[{\"substance\": \"mdma\", \"result\": \"invalid\"}]", "invalid")));
	json_decref(ok(&ent_tests, TEST_REC("[]", "positive")));
	json_decref(ok(&ent_tests, TEST_REC("null", "negative")));

	refused(&ent_tests, TEST_REC("\"opioids\"", "negative"), "substances", "must be");
	refused(&ent_tests, TEST_REC("{\"substance\": \"opioids\", \"result\": \"negative\"}", "negative"), "substances",
		"must be");
	refused(&ent_tests, TEST_REC("[\"opioids\"]", "negative"), "substances[0]", "exactly");
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\"}]", "negative"), "substances[0]", "exactly");
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"negative\", \"note\": 1}]", "negative"),
		"substances[0]", "exactly");
	refused(&ent_tests, TEST_REC("[{\"substance\": 1, \"result\": \"negative\"}]", "negative"), "substances[0]", NULL);
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"negative\"}, null]", "negative"),
		"substances[1]", NULL);
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"negative\"}, "
				     "{\"substance\": \"heroin\", \"result\": \"negative\"}]",
				     "negative"),
		"substances[1]", "unknown substance");
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"maybe\"}]", "negative"), "substances[0]",
		"result");
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"negative\"}, "
				     "{\"substance\": \"ketamine\", \"result\": \"negative\"}, "
				     "{\"substance\": \"opioids\", \"result\": \"positive\"}]",
				     "positive"),
		"substances[2]", "twice");
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"positive\"}, "
				     "{\"substance\": \"cannabis\", \"result\": \"negative\"}]",
				     "negative"),
		"result", "positive");
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"positive\"}]", "invalid"), "result",
		"positive");
	refused(&ent_tests, TEST_REC("[{\"substance\": \"opioids\", \"result\": \"negative\"}, "
				     "{\"substance\": \"cannabis\", \"result\": \"negative\"}]",
				     "positive"),
		"result", "negative");
}

static void test_drug_test_too_many_substances(void **state)
{
	char subs[4096] = "[";
	char rec[4600];

	for (int i = 0; i < 21; i++)
		strcat(subs, i ? ", {\"substance\": \"other\", \"result\": \"negative\"}"
			       : "{\"substance\": \"other\", \"result\": \"negative\"}");
	strcat(subs, "]");
	snprintf(rec, sizeof(rec), TEST_REC("%s", "negative"), subs);
	refused(&ent_tests, rec, "substances", "20");

	/* a list over the field's byte cap is refused before its entries are looked at */
	{
		json_t *arr = json_array(), *in;
		char big[300];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		for (int i = 0; i < 20; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "substance", big, "result", "negative"));
		in = with(&ent_tests, "substances", arr);
		refused_json(&ent_tests, in, 0, "substances", "too large");
		json_decref(in);
	}
}

#define TREAT(extra) "{\"person_id\": 1, \"start_date\": \"2024-01-10\", " extra "}"

static void test_treatment(void **state)
{
	static const char *const with_facility[] = {"compulsory_facility", "voluntary_facility", "methadone",
						    "buprenorphine"};
	char rec[512];

	for (size_t i = 0; i < sizeof(with_facility) / sizeof(with_facility[0]); i++) {
		snprintf(rec, sizeof(rec), TREAT("\"kind\": \"%s\", \"outcome\": \"ongoing\""), with_facility[i]);
		refused(&ent_treatments, rec, "facility_id", "facility");
		snprintf(rec, sizeof(rec), TREAT("\"kind\": \"%s\", \"outcome\": \"ongoing\", \"facility_id\": null"),
			 with_facility[i]);
		refused(&ent_treatments, rec, "facility_id", "facility");
		snprintf(rec, sizeof(rec), TREAT("\"kind\": \"%s\", \"outcome\": \"ongoing\", \"facility_id\": 2"),
			 with_facility[i]);
		json_decref(ok(&ent_treatments, rec));
	}
	json_decref(ok(&ent_treatments, TREAT("\"kind\": \"voluntary_community\", \"outcome\": \"ongoing\"")));

	refused(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"ongoing\", "
				       "\"end_date\": \"2024-05-01\""),
		"outcome", "ongoing");
	refused(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"completed\""),
		"end_date", "end date");
	refused(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"died\""), "end_date",
		NULL);
	json_decref(ok(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"transferred\"")));
	json_decref(ok(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"completed\", "
					      "\"end_date\": \"10/07/2024\"")));
	refused(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"completed\", "
				       "\"end_date\": \"2024-01-09\""),
		"end_date", "before");
	refused(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"ongoing\", "
				       "\"planned_end\": \"2023-12-31\""),
		"planned_end", "before");
	refused(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"relapsed\", "
				       "\"end_date\": \"2025-06-16\""),
		"end_date", "future");
}

#define SUPPORT(extra) "{\"person_id\": 1, \"support_date\": \"2024-01-10\", " extra "}"

static void test_support(void **state)
{
	refused(&ent_support, SUPPORT("\"kind\": \"loan\""), "amount_vnd", "amount");
	refused(&ent_support, SUPPORT("\"kind\": \"loan\", \"amount_vnd\": null"), "amount_vnd", "amount");
	refused(&ent_support, SUPPORT("\"kind\": \"loan\", \"amount_vnd\": 0"), "amount_vnd", "more than 0");
	refused(&ent_support, SUPPORT("\"kind\": \"loan\", \"amount_vnd\": \"5000000\""), "amount_vnd", "must be");
	refused(&ent_support, SUPPORT("\"kind\": \"loan\", \"amount_vnd\": 5000000.5"), "amount_vnd", "must be");
	json_decref(ok(&ent_support, SUPPORT("\"kind\": \"loan\", \"amount_vnd\": 1")));
	json_decref(ok(&ent_support, SUPPORT("\"kind\": \"vocational_training\", \"provider\": \"Trường Trung cấp nghề\"")));
}

/* ---- partial validation and merge ----------------------------------------------------------- */

static void test_partial(void **state)
{
	json_t *in = J("{\"phone\": \"0912 345 678\", \"version\": 4}"), *out = ok_json(&ent_persons, in, 1);

	assert_int_equal(json_object_size(out), 1); /* only the given field; no derived name_fold */
	assert_string_equal(S(out, "phone"), "0912 345 678");
	json_decref(out);
	json_decref(in);

	/* an explicit null is kept (it clears the field); cross-field rules wait for the merge */
	in = J("{\"aliases\": null, \"end_date\": \"2024-01-01\"}");
	refused_json(&ent_persons, in, 1, "end_date", "unknown field");
	json_decref(in);
	in = J("{\"end_date\": \"2024-01-01\", \"facility_id\": null}");
	out = ok_json(&ent_treatments, in, 1);
	assert_int_equal(json_object_size(out), 2);
	assert_true(json_is_null(json_object_get(out, "facility_id")));
	assert_string_equal(S(out, "end_date"), "2024-01-01");
	json_decref(out);
	json_decref(in);

	/* field-level rules still apply */
	in = J("{\"dob\": \"31/02/1990\"}");
	refused_json(&ent_persons, in, 1, "dob", "valid date");
	json_decref(in);
	in = J("{\"dob\": \"2030-01-01\"}");
	refused_json(&ent_persons, in, 1, "dob", "future");
	json_decref(in);
	in = J("{\"sex\": \"x\"}");
	refused_json(&ent_persons, in, 1, "sex", "one of");
	json_decref(in);
	in = J("{}");
	out = ok_json(&ent_persons, in, 1);
	assert_int_equal(json_object_size(out), 0);
	json_decref(out);
	json_decref(in);
}

static int merge(const struct entity_def *e, json_t *base, const char *patch_text, json_t **out, struct pcmt_err *err)
{
	json_t *pin = J(patch_text), *patch = ok_json(e, pin, 1);
	int rc;

	err_clear(err);
	rc = ent_merge(e, &ctx, base, patch, out, err);
	json_decref(patch);
	json_decref(pin);
	return rc;
}

static void test_merge(void **state)
{
	json_t *base = ok(&ent_persons, PERSON("\"sex\": \"male\", \"dob\": \"1990-05-17\", \"phone\": \"0912345678\", "
					       "\"aliases\": \"Tèo\""));
	char *before = json_dumps(base, JSON_SORT_KEYS);
	struct pcmt_err err;
	json_t *out;

	assert_int_equal(merge(&ent_persons, base, "{\"phone\": \"0987 654 321\"}", &out, &err), 0);
	assert_string_equal(S(out, "phone"), "0987 654 321");
	assert_string_equal(S(out, "full_name"), "Nguyễn Văn Ánh"); /* kept from base */
	assert_string_equal(S(out, "dob"), "1990-05-17");
	assert_string_equal(S(out, "name_fold"), "nguyen van anh teo");
	json_decref(out);

	/* derived fields are recomputed from the merged record */
	assert_int_equal(merge(&ent_persons, base, "{\"full_name\": \"Trần Thị Bé\", \"sex\": \"female\"}", &out, &err), 0);
	assert_string_equal(S(out, "name_fold"), "tran thi be teo");
	json_decref(out);
	assert_int_equal(merge(&ent_persons, base, "{\"aliases\": null}", &out, &err), 0);
	assert_true(json_is_null(json_object_get(out, "aliases")));
	assert_string_equal(S(out, "name_fold"), "nguyen van anh");
	json_decref(out);

	/* the merged record is checked again: a national ID that disagrees with the kept sex and dob */
	out = (json_t *)1;
	assert_int_equal(merge(&ent_persons, base, "{\"national_id\": \"001301234567\"}", &out, &err), -1);
	assert_null(out);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "national_id");
	/* clearing a required field */
	assert_int_equal(merge(&ent_persons, base, "{\"full_name\": null}", &out, &err), -1);
	assert_string_equal(err.field, "full_name");
	assert_non_null(strstr(err.message, "required"));

	/* the base is not modified */
	{
		char *after = json_dumps(base, JSON_SORT_KEYS);

		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	json_decref(base);
}

static void test_merge_reruns_cross_field_checks(void **state)
{
	json_t *base = ok(&ent_treatments, TREAT("\"kind\": \"methadone\", \"facility_id\": 2, \"outcome\": \"ongoing\""));
	struct pcmt_err err;
	json_t *out;

	assert_int_equal(merge(&ent_treatments, base, "{\"end_date\": \"2024-05-01\"}", &out, &err), -1);
	assert_string_equal(err.field, "outcome");
	assert_int_equal(merge(&ent_treatments, base, "{\"outcome\": \"completed\"}", &out, &err), -1);
	assert_string_equal(err.field, "end_date");
	assert_int_equal(merge(&ent_treatments, base, "{\"facility_id\": null}", &out, &err), -1);
	assert_string_equal(err.field, "facility_id");
	assert_int_equal(merge(&ent_treatments, base, "{\"end_date\": \"2024-01-01\", \"outcome\": \"completed\"}", &out, &err),
			 -1);
	assert_string_equal(err.field, "end_date");
	assert_int_equal(merge(&ent_treatments, base, "{\"end_date\": \"2024-05-01\", \"outcome\": \"completed\"}", &out, &err),
			 0);
	assert_string_equal(S(out, "end_date"), "2024-05-01");
	assert_string_equal(S(out, "kind"), "methadone");
	assert_string_equal(S(out, "start_date"), "2024-01-10");
	json_decref(out);
	json_decref(base);

	base = ok(&ent_records, RECORD(""));
	assert_int_equal(merge(&ent_records, base, "{\"closed\": \"2024-02-01\"}", &out, &err), -1);
	assert_string_equal(err.field, "close_reason");
	assert_int_equal(merge(&ent_records, base, "{\"closed\": \"2024-02-01\", \"close_reason\": \"died\"}", &out, &err), 0);
	json_decref(out);
	json_decref(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptors_consistent),
		cmocka_unit_test(test_minimal_records_valid),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_unknown_and_meta_keys),
		cmocka_unit_test(test_derived_field_from_client_refused),
		cmocka_unit_test(test_body_must_be_object),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_enum_unknown_lists_codes),
		cmocka_unit_test(test_text_max_len),
		cmocka_unit_test(test_text_normalised),
		cmocka_unit_test(test_text_control_and_invalid),
		cmocka_unit_test(test_dates_normalised),
		cmocka_unit_test(test_future_dates),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_org_unit_id_or_code),
		cmocka_unit_test(test_person_national_id),
		cmocka_unit_test(test_person_phone),
		cmocka_unit_test(test_person_dob),
		cmocka_unit_test(test_person_derive_name_fold),
		cmocka_unit_test(test_orgunit_and_facility),
		cmocka_unit_test(test_classification_dates),
		cmocka_unit_test(test_determination),
		cmocka_unit_test(test_record_closing),
		cmocka_unit_test(test_drug_test_substances),
		cmocka_unit_test(test_drug_test_too_many_substances),
		cmocka_unit_test(test_treatment),
		cmocka_unit_test(test_support),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_reruns_cross_field_checks),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
