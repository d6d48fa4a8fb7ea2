/* plan.h: programme plans, their targets and custom indicators as entity descriptors (entity.h), so
 * that validation, SQL, the CRUD API (/api/v1/plans, /targets, /custom_indicators) and the schema
 * come from them. Indicator values are computed by domain/indicators.c and engine/indicators.c. */
#ifndef PCMT_PLAN_H
#define PCMT_PLAN_H

#include "domain/entity.h"

extern const struct enum_def en_target_cmp, en_target_unit, en_period_kind;

/* 1 if s is a snake_case code: [a-z][a-z0-9_]*, at most 63 bytes. */
int plan_code_ok(const char *s);

#endif
