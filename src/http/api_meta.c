/* api_meta.c: GET /api/v1/enums and /api/v1/schema: the entity descriptors as JSON, so that UI
 * forms and import tools are generated from the same declarations the server validates with. */
#include <stdio.h>

#include "domain/operations.h"
#include "domain/ost.h"
#include "domain/plan.h"
#include "http/http.h"

static const struct enum_def *const enums[] = {
	&en_ou_kind, &en_sex, &en_facility_kind, &en_classification, &en_det_result, &en_substance_group,
	&en_record_kind, &en_record_close, &en_test_kind, &en_test_result, &en_substance,
	&en_treatment_kind, &en_treatment_outcome, &en_support_kind, &en_employment, &en_target_cmp, &en_target_unit, &en_period_kind,
	&en_hotspot_kind, &en_hotspot_status, &en_venue_kind, &en_case_force, &en_case_route, &en_seized_substance,
	&en_seized_unit, &en_case_stage, &en_plant_kind, &en_comm_form, &en_comm_audience,
	&en_ost_medicine, &en_ost_phase, &en_ost_dose_kind, &en_ost_stock_kind, NULL};

static json_t *enum_json(const struct enum_def *en)
{
	json_t *a = json_array();

	for (int i = 0; i < en->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "code", en->vals[i].code, "label_vi",
						   en->vals[i].label_vi, "label_en", en->vals[i].label_en));
	return a;
}

int api_enums(struct http_req *r)
{
	json_t *o = json_object();

	for (int i = 0; enums[i]; i++)
		json_object_set_new(o, enums[i]->name, enum_json(enums[i]));
	return http_json(r, 200, json_pack("{s:o}", "enums", o));
}

static const char *type_name(enum fld_type t)
{
	switch (t) {
	case FT_TEXT: return "text";
	case FT_INT: return "int";
	case FT_MONEY: return "money";
	case FT_DATE: return "date";
	case FT_ENUM: return "enum";
	case FT_BOOL: return "bool";
	case FT_REF: return "ref";
	case FT_OU: return "orgunit";
	case FT_JSON: return "json";
	}
	return "text";
}

static json_t *field_json(const struct field_def *f)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b}", "name", f->name, "type", type_name(f->type),
			      "required", (f->flags & F_REQUIRED) != 0, "filter", (f->flags & F_FILTER) != 0,
			      "unique", (f->flags & F_UNIQUE) != 0, "identifying", (f->flags & F_IDENT) != 0,
			      "read_only", (f->flags & F_DERIVED) != 0);

	if (f->type == FT_DATE)
		json_object_set_new(o, "future_ok", json_boolean(f->flags & F_FUTURE_OK));
	if (f->type == FT_TEXT && f->max_len)
		json_object_set_new(o, "max_len", json_integer(f->max_len));
	if (f->type == FT_INT)
		json_object_set_new(o, "signed", json_boolean(f->flags & F_SIGNED));
	if (f->en)
		json_object_set_new(o, "enum", json_string(f->en->name));
	if (f->ref)
		json_object_set_new(o, "ref", json_string(f->ref));
	if (f->ou_kind)
		json_object_set_new(o, "orgunit_kind", json_string(f->ou_kind));
	if (f->label_vi)
		json_object_set_new(o, "label_vi", json_string(f->label_vi));
	if (f->label_en)
		json_object_set_new(o, "label_en", json_string(f->label_en));
	return o;
}

int api_schema(struct http_req *r)
{
	json_t *ents = json_array();

	for (int i = 0; ent_all[i]; i++) {
		const struct entity_def *e = ent_all[i];
		json_t *fields = json_array();
		char path[64];

		snprintf(path, sizeof(path), "/api/v1/%s", e->name);
		for (int j = 0; j < e->nfields; j++)
			if (!(e->fields[j].flags & F_HIDDEN))
				json_array_append_new(fields, field_json(&e->fields[j]));
		json_array_append_new(ents, json_pack("{s:s, s:s, s:s, s:b, s:s, s:o}", "name", e->name, "label_vi",
						      e->label_vi, "label_en", e->label_en, "personal",
						      (e->flags & E_PERSONAL) != 0, "path",
						      path, "fields", fields));
	}
	return http_json(r, 200, json_pack("{s:o}", "entities", ents));
}
