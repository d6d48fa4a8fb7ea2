/* entity.h: the registry's entities described as data.
 * Each entity (persons, tests, treatments...) is a table of field descriptors plus a pure
 * cross-field check. Validation, SQL generation in every store backend, the HTTP CRUD handlers,
 * imports and UI forms all read these descriptors, so a field is declared once.
 *
 * Ownership (jansson): functions taking json_t * borrow it; functions returning json_t * in an
 * out-parameter hand over one reference the caller must json_decref(). */
#ifndef PCMT_ENTITY_H
#define PCMT_ENTITY_H

#include <jansson.h>
#include <stdint.h>

#include "util/err.h"

struct enum_val {
	const char *code;     /* stored and sent as this text */
	const char *label_vi; /* Vietnamese label, full diacritics */
	const char *label_en;
};

struct enum_def {
	const char *name;
	const struct enum_val *vals;
	int n;
};

enum fld_type {
	FT_TEXT,  /* UTF-8 text, NFC-normalised, capped at max_len bytes */
	FT_INT,   /* integer >= 0 unless F_SIGNED */
	FT_MONEY, /* integer VND */
	FT_DATE,  /* ISO date YYYY-MM-DD (dd/mm/yyyy accepted on input) */
	FT_ENUM,  /* one of en->vals[].code */
	FT_BOOL,
	FT_REF,   /* id of a row of entity `ref` */
	FT_OU,    /* id of an org unit; input may also give its code */
	FT_JSON   /* structured value validated by the entity's check hook, stored as JSON text */
};

enum {
	F_REQUIRED = 1 << 0,  /* must be present and non-null on create */
	F_IDENT = 1 << 1,     /* identifying: encrypted at rest and hidden from aggregate roles */
	F_FILTER = 1 << 2,    /* may be used as an equality filter in lists (?field=value) */
	F_UNIQUE = 1 << 3,    /* unique when present: a duplicate is ERR_CONFLICT with existing_id */
	F_DERIVED = 1 << 4,   /* computed by the entity's derive hook, never taken from input */
	F_HIDDEN = 1 << 5,    /* stored but never sent (e.g. search keys) */
	F_SIGNED = 1 << 6,    /* FT_INT may be negative */
	F_FUTURE_OK = 1 << 7  /* FT_DATE may lie after today (planned dates); others may not */
};

struct field_def {
	const char *name;  /* JSON key and SQL column */
	enum fld_type type;
	unsigned flags;
	int max_len;                /* FT_TEXT: byte cap */
	const struct enum_def *en;  /* FT_ENUM */
	const char *ref;            /* FT_REF: entity name */
	const char *ou_kind;        /* FT_OU: the org-unit kind it must have, NULL for any */
	const char *label_vi, *label_en;
};

/* Context for pure validation: what "now" is, so rules are testable without a clock. */
struct ent_ctx {
	int32_t today;
};

enum {
	E_PERSONAL = 1 << 0, /* person-level data: every read and write is scoped to an org-unit subtree */
	E_ORGUNIT = 1 << 1   /* the org-unit table itself */
};

/* The ou_expr of person-level events: the residence of the person the row is about. The stores
 * recognise it to scope a list by the set of persons in the subtree (one index range, computed once
 * per statement) instead of looking up each row's person (docs/architecture.md, "Scope"). */
#define ENT_EVENT_OU "(SELECT p.residence_ou FROM person p WHERE p.id = t.person_id)"

struct entity_def {
	const char *name;      /* URL segment and CLI name: "persons", "tests" */
	const char *table;     /* SQL table */
	const char *label_vi, *label_en;
	unsigned flags;
	const struct field_def *fields;
	int nfields;
	/* SQL expression (alias t) giving the org unit that scopes a row; NULL when unscoped. */
	const char *ou_expr;
	/* Default list order (SQL, alias t). */
	const char *order_by;
	/* Cross-field rules on a complete, type-checked record. Pure. Returns 0 or -1 with err set. */
	int (*check)(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err);
	/* Fills F_DERIVED fields of a complete record. Returns 0 or -1 with err set. */
	int (*derive)(json_t *rec, struct pcmt_err *err);
};

/* All entities, NULL-terminated, in dependency order (a table's references come before it). */
extern const struct entity_def *const ent_all[];
const struct entity_def *ent_find(const char *name);
const struct field_def *ent_field(const struct entity_def *e, const char *name);
const struct enum_val *enum_find(const struct enum_def *en, const char *code);

/* Validates `in` (a JSON object from a client) against e and returns in *out a new object holding
 * exactly e's non-derived fields, normalised: text trimmed and NFC, dates ISO, org-unit codes left
 * as given (the store resolves them). Unknown keys are an error (they are usually typos).
 * partial=1 (PATCH): absent required fields are not an error.
 * After type checks, e->check runs (unless partial) and e->derive fills derived fields. */
int ent_validate(const struct entity_def *e, const struct ent_ctx *ctx, json_t *in, int partial,
		 json_t **out, struct pcmt_err *err);

/* Checks one present, non-null value of field f and returns its normalised form (a new reference),
 * or NULL with err set. Used for single values such as list filters. */
json_t *ent_value(const struct field_def *f, const struct ent_ctx *ctx, json_t *v, struct pcmt_err *err);

/* Merges `patch` over `base` (both validated forms) into a new object, then runs check and derive.
 * Used for PATCH and for PUT of a record whose missing optional fields become null. */
int ent_merge(const struct entity_def *e, const struct ent_ctx *ctx, json_t *base, json_t *patch,
	      json_t **out, struct pcmt_err *err);

/* Enum tables shared with the rest of pcmt (criteria, reports, UI). */
extern const struct enum_def en_ou_kind, en_sex, en_facility_kind, en_classification,
	en_det_result, en_substance_group, en_record_kind, en_record_close, en_test_kind,
	en_test_result, en_substance, en_treatment_kind, en_treatment_outcome, en_support_kind,
	en_employment;

extern const struct entity_def ent_orgunits, ent_facilities, ent_persons, ent_classifications,
	ent_determinations, ent_records, ent_tests, ent_treatments, ent_support;
extern const struct entity_def ent_plans, ent_targets, ent_custom_indicators; /* domain/plan.c */
extern const struct entity_def ent_populations, ent_hotspots, ent_cases, ent_plant_sites,
	ent_communication; /* domain/operations.c */
extern const struct entity_def ent_ost_prescriptions, ent_ost_doses, ent_ost_stock,
	ent_ost_reconciliations, ent_ost_guest_auths; /* domain/ost.c */

#endif
