/* plan.c: the plan, target and custom-indicator entities (plan.h). A target names an indicator by code:
 * a built-in measure or indicator (indicators.h), a stored custom indicator, or a code reserved for
 * the operations registry. A custom indicator's expression is parsed here, when it is saved, against
 * the built-in measure names, so a typo is a 422 naming its position rather than a blank later. */
#include "domain/plan.h"

#include <stdlib.h>
#include <string.h>

#include "domain/expr.h"
#include "domain/indicators.h"
#include "util/date.h"
#include "util/text.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ENUM(var, nm, arr) const struct enum_def var = {nm, arr, N(arr)}

static const struct enum_val v_target_cmp[] = {
	{">=", "Đạt ít nhất", "At least"},
	{"<=", "Không quá", "At most"},
	{">", "Trên", "More than"},
	{"<", "Dưới", "Less than"}};
ENUM(en_target_cmp, "target_comparator", v_target_cmp);

static const struct enum_val v_target_unit[] = {
	{"percent", "Phần trăm", "Percent"},
	{"persons", "Người", "Persons"},
	{"communes", "Xã", "Communes"},
	{"districts", "Huyện", "Districts"},
	{"provinces", "Tỉnh", "Provinces"},
	{"facilities", "Cơ sở", "Facilities"},
	{"records", "Hồ sơ", "Records"},
	{"cases", "Vụ án", "Cases"},
	{"count", "Số lượng", "Count"}};
ENUM(en_target_unit, "target_unit", v_target_unit);

static const struct enum_val v_period_kind[] = {
	{"year", "Năm", "Year"},
	{"quarter", "Quý", "Quarter"},
	{"month", "Tháng", "Month"},
	{"plan", "Cả kỳ kế hoạch", "Whole plan period"}};
ENUM(en_period_kind, "period_kind", v_period_kind);

static const char *jstr(json_t *rec, const char *k)
{
	return json_string_value(json_object_get(rec, k));
}

static int32_t jdate(json_t *rec, const char *k)
{
	int32_t d;
	const char *s = jstr(rec, k);

	return s && date_parse(s, &d) == 0 ? d : DATE_NONE;
}

int plan_code_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int derive_fold(json_t *rec, const char *a, const char *b, struct pcmt_err *err)
{
	const char *sa = jstr(rec, a), *sb = jstr(rec, b);
	size_t la = sa ? strlen(sa) : 0, lb = sb ? strlen(sb) : 0;
	char *joined = malloc(la + lb + 2), *f;

	if (!joined)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	snprintf(joined, la + lb + 2, "%s %s", sa ? sa : "", sb ? sb : "");
	f = text_fold(joined);
	free(joined);
	if (!f)
		return err_set(err, ERR_INVALID, a, "text is not valid UTF-8");
	json_object_set_new(rec, "name_fold", json_string(f));
	free(f);
	return 0;
}

/* ---- plans ------------------------------------------------------------------------------------- */

static const struct field_def f_plans[] = {
	{"code", FT_TEXT, F_REQUIRED | F_UNIQUE | F_FILTER, 40, 0, 0, 0, "Số hiệu", "Code"},
	{"title", FT_TEXT, F_REQUIRED, 300, 0, 0, 0, "Trích yếu", "Title"},
	{"issuing_ou", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, 0, "Cấp ban hành", "Issued by (org unit)"},
	{"scope_ou", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, 0, "Địa bàn áp dụng", "Scope (org unit)"},
	{"date_issued", FT_DATE, 0, 0, 0, 0, 0, "Ngày ban hành", "Date issued"},
	{"period_from", FT_DATE, F_REQUIRED | F_FUTURE_OK, 0, 0, 0, 0, "Kỳ kế hoạch từ", "Period from"},
	{"period_to", FT_DATE, F_REQUIRED | F_FUTURE_OK, 0, 0, 0, 0, "Kỳ kế hoạch đến", "Period to"},
	{"source", FT_TEXT, 0, 500, 0, 0, 0, "Nguồn", "Source"},
	{"name_fold", FT_TEXT, F_DERIVED | F_HIDDEN, 800, 0, 0, 0, 0, 0}};

static int check_plan(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *code = jstr(rec, "code");
	int32_t a = jdate(rec, "period_from"), b = jdate(rec, "period_to");

	/* codes travel in query strings (?plan=180/KH-UBND): no spaces or characters with a meaning there */
	for (const char *p = code; p && *p; p++)
		if (*p == ' ' || *p == '\t' || strchr("&?#%\"'<>+", *p))
			return err_set(err, ERR_INVALID, "code", "code may not contain spaces or any of & ? # %% \" ' < > +");
	if (a != DATE_NONE && b != DATE_NONE && b < a)
		return err_set(err, ERR_INVALID, "period_to", "period_to must not be before period_from");
	return 0;
}

static int derive_plan(json_t *rec, struct pcmt_err *err)
{
	return derive_fold(rec, "code", "title", err);
}

const struct entity_def ent_plans = {
	"plans", "plan", "Kế hoạch, chương trình", "Plans and programmes", 0, f_plans, N(f_plans), "t.scope_ou",
	"t.period_from, t.code", check_plan, derive_plan};

/* ---- targets ----------------------------------------------------------------------------------- */

static const struct field_def f_targets[] = {
	{"plan_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "plans", 0, "Kế hoạch", "Plan"},
	{"indicator", FT_TEXT, F_REQUIRED | F_FILTER, 63, 0, 0, 0, "Chỉ tiêu (mã)", "Indicator code"},
	{"comparator", FT_ENUM, F_REQUIRED, 0, &en_target_cmp, 0, 0, "So sánh", "Comparator"},
	{"value", FT_INT, F_REQUIRED | F_SIGNED, 0, 0, 0, 0, "Mức chỉ tiêu", "Target value"},
	{"unit", FT_ENUM, F_REQUIRED, 0, &en_target_unit, 0, 0, "Đơn vị", "Unit"},
	{"period_kind", FT_ENUM, F_REQUIRED, 0, &en_period_kind, 0, 0, "Kỳ đánh giá", "Period"},
	{"deadline", FT_DATE, F_REQUIRED | F_FUTURE_OK, 0, 0, 0, 0, "Thời hạn", "Deadline"},
	{"baseline_value", FT_INT, F_SIGNED, 0, 0, 0, 0, "Giá trị cơ sở", "Baseline value"},
	{"baseline_date", FT_DATE, 0, 0, 0, 0, 0, "Ngày của giá trị cơ sở", "Baseline date"},
	{"denominator", FT_INT, 0, 0, 0, 0, 0, "Số được giao (mẫu số)", "Assigned number (denominator)"},
	{"scope_ou", FT_OU, F_FILTER, 0, 0, 0, 0, "Địa bàn (nếu khác kế hoạch)", "Scope, when not the plan's"},
	{"statement", FT_TEXT, 0, 1000, 0, 0, 0, "Nội dung chỉ tiêu trong văn bản", "The plan's sentence"},
	{"note", FT_TEXT, 0, 300, 0, 0, 0, "Ghi chú", "Note"}};

static int check_target(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *ind = jstr(rec, "indicator"), *unit = jstr(rec, "unit");
	json_t *den = json_object_get(rec, "denominator");

	if (ind && !plan_code_ok(ind))
		return err_set(err, ERR_INVALID, "indicator",
			       "indicator must be a code of lower-case letters, digits and '_' (see /api/v1/measures)");
	if (jstr(rec, "baseline_date") && json_is_null(json_object_get(rec, "baseline_value")))
		return err_set(err, ERR_INVALID, "baseline_value", "baseline_date needs the baseline_value");
	if (json_is_integer(den)) {
		if (json_integer_value(den) <= 0)
			return err_set(err, ERR_INVALID, "denominator", "denominator must be more than 0");
		/* the value becomes 100 * measure / denominator: a share of the assigned number */
		if (unit && strcmp(unit, "percent"))
			return err_set(err, ERR_INVALID, "unit", "a target with a denominator is a share: unit must be percent");
	}
	return 0;
}

const struct entity_def ent_targets = {
	"targets", "plan_target", "Chỉ tiêu kế hoạch", "Plan targets", 0, f_targets, N(f_targets),
	"coalesce(t.scope_ou, (SELECT p.scope_ou FROM plan p WHERE p.id = t.plan_id))", "t.plan_id, t.id",
	check_target, NULL};

/* ---- custom indicators ------------------------------------------------------------------------ */

static const struct field_def f_custom[] = {
	{"code", FT_TEXT, F_REQUIRED | F_UNIQUE | F_FILTER, 63, 0, 0, 0, "Mã chỉ số", "Code"},
	{"name_vi", FT_TEXT, F_REQUIRED, 200, 0, 0, 0, "Tên chỉ số", "Name (Vietnamese)"},
	{"name_en", FT_TEXT, 0, 200, 0, 0, 0, "Tên tiếng Anh", "Name (English)"},
	{"expression", FT_TEXT, F_REQUIRED, EXPR_MAX_TEXT, 0, 0, 0, "Công thức", "Expression"},
	{"unit", FT_ENUM, F_REQUIRED, 0, &en_target_unit, 0, 0, "Đơn vị", "Unit"},
	{"description", FT_TEXT, 0, 500, 0, 0, 0, "Mô tả", "Description"}};

static int check_custom(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *code = jstr(rec, "code");
	struct expr *e;

	if (code && !plan_code_ok(code))
		return err_set(err, ERR_INVALID, "code", "code must be lower-case letters, digits and '_', starting with a letter");
	if (code && ind_builtin_name(code))
		return err_set(err, ERR_INVALID, "code", "%s is already a built-in measure or indicator", code);
	if (!(e = expr_parse(jstr(rec, "expression"), ind_measure_known, NULL, err))) {
		/* expr_parse names the position; say what the names may be */
		if (err->code == ERR_INVALID && strlen(err->message) < 160)
			snprintf(err->message + strlen(err->message), sizeof(err->message) - strlen(err->message),
				 " (measures: /api/v1/measures)");
		return -1;
	}
	expr_free(e);
	return 0;
}

const struct entity_def ent_custom_indicators = {
	"custom_indicators", "custom_indicator", "Chỉ số tự định nghĩa", "Custom indicators", 0, f_custom,
	N(f_custom), NULL, "t.code", check_custom, NULL};
