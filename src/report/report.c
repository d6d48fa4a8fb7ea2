/* report.c: the format-neutral report model (report.h) built from the engine's answers: the plan's
 * indicators for the period asked and for the period before (the trend), and the drug-free commune
 * evaluation on the period's measuring date, shaped into titled tables of typed cells and bar
 * charts, with small-cell suppression when the report leaves the commune. Renderers are
 * report_xlsx.c, report_pdf.c and report_csv.c. */
#include "report/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "domain/indicators.h"
#include "domain/suppress.h"
#include "engine/drugfree.h"
#include "engine/indicators.h"
#include "util/arena.h"
#include "util/date.h"

enum {
	REP_ARENA_MAX = 256 << 20, /* strings of a national report (10,047 communes) fit many times over */
	PREV_MAX = 8               /* distinct previous periods among a plan's targets */
};

/* ---- labels ---------------------------------------------------------------------------------- */

/* Every heading in both languages: [0] Vietnamese, [1] English. */
#define L(vi, en) ((const char *const[2]){vi, en})
#define TR(r, pair) ((pair)[(r)->lang == REP_EN])

static const struct {
	const char *code, *vi, *en;
} status_labels[] = {
	{"met", "Đạt", "Met"},
	{"on_track", "Đúng tiến độ", "On track"},
	{"at_risk", "Có nguy cơ không đạt", "At risk"},
	{"missed", "Không đạt", "Missed"},
	{"no_data", "Không có số liệu", "No data"},
	{"not_started", "Chưa bắt đầu", "Not started"},
	{"not_applicable", "Không áp dụng", "Not applicable"},
};

static const struct {
	const char *code, *vi, *en;
} reason_labels[] = {
	{"unclassified_positive", "Xét nghiệm dương tính nhưng chưa phân loại, lập hồ sơ", "Positive test, no classification or record"},
	{"unclassified_determined", "Xác định nghiện nhưng chưa phân loại, lập hồ sơ", "Determined addicted, no classification or record"},
	{"no_record", "Chưa có hồ sơ quản lý đang mở", "No open management record"},
	{"no_post_rehab_record", "Chưa có hồ sơ quản lý sau cai nghiện", "No open post-rehabilitation record"},
	{"not_in_treatment", "Không tham gia cai nghiện, điều trị", "Not in treatment"},
	{"no_test", "Chưa từng được xét nghiệm", "Never tested"},
	{"test_too_old", "Không xét nghiệm trong thời hạn", "No test within the window"},
	{"test_positive", "Xét nghiệm dương tính", "Positive test"},
	{"test_invalid", "Kết quả xét nghiệm không xác định", "Test without a valid result"},
	{"no_periodic_test", "Không xét nghiệm định kỳ", "No periodic test"},
	{"no_sudden_test", "Không xét nghiệm đột xuất", "No sudden test"},
	{"no_support", "Chưa được hỗ trợ tái hòa nhập", "No reintegration support"},
	{"ceiling", "Số người nghiện ngoài cộng đồng vượt mức", "Too many addicts in the community"},
};

static const char *status_label(const struct report *r, const char *code)
{
	for (size_t i = 0; i < sizeof(status_labels) / sizeof(status_labels[0]); i++)
		if (code && !strcmp(code, status_labels[i].code))
			return r->lang == REP_EN ? status_labels[i].en : status_labels[i].vi;
	return code ? code : "";
}

static const char *reason_label(const struct report *r, const char *code)
{
	for (size_t i = 0; i < sizeof(reason_labels) / sizeof(reason_labels[0]); i++)
		if (code && !strcmp(code, reason_labels[i].code))
			return r->lang == REP_EN ? reason_labels[i].en : reason_labels[i].vi;
	return code ? code : "";
}

/* The drug-free criteria's person counts, in column order: criterion, key in the answer's counts. */
static const struct {
	int criterion;
	const char *key;
	const char *vi, *en;
} df_counts[] = {
	{1, "addicts", "Người nghiện", "Addicts"},
	{1, "with_record", "Có hồ sơ", "With record"},
	{1, "in_treatment", "Đang cai nghiện, điều trị", "In treatment"},
	{1, "in_community", "Ngoài cộng đồng", "In the community"},
	{1, "tested_negative", "XN âm tính 30 ngày", "Negative test, 30 days"},
	{2, "persons", "Sử dụng trái phép, loạn thần", "Illegal users, psychosis"},
	{2, "with_record", "Có hồ sơ", "With record"},
	{2, "tested_negative", "XN âm tính 30 ngày", "Negative test, 30 days"},
	{3, "persons", "Sau cai nghiện", "After rehabilitation"},
	{3, "with_record", "Có hồ sơ", "With record"},
	{3, "tested_periodic_and_sudden", "XN định kỳ và đột xuất", "Periodic and sudden tests"},
	{3, "supported", "Được hỗ trợ", "Supported"},
};
enum { NDF = sizeof(df_counts) / sizeof(df_counts[0]) };

/* ---- small helpers --------------------------------------------------------------------------- */

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int32_t jdate(json_t *o, const char *k)
{
	int32_t d;

	return json_is_string(json_object_get(o, k)) && !date_parse(js(o, k), &d) ? d : DATE_NONE;
}

static const char *vn_date(struct report *r, int32_t d)
{
	int y, m, dd;
	char b[DATE_BUFSZ];

	if (d == DATE_NONE)
		return "";
	if (r->lang == REP_EN)
		return arena_strdup(r->a, date_format(d, b));
	date_to_ymd(d, &y, &m, &dd);
	return arena_printf(r->a, "%02d/%02d/%04d", dd, m, y);
}

static int oom(struct pcmt_err *err)
{
	return err_set(err, ERR_INTERNAL, NULL, "out of memory building the report");
}

static struct rep_table *table_new(struct report *r, const char *key, const char *sheet, const char *title, int pdf)
{
	struct rep_table *t = &r->t[r->ntables++];

	memset(t, 0, sizeof(*t));
	t->key = key;
	t->sheet = sheet;
	t->title = title;
	t->pdf = pdf;
	return t;
}

static void col(struct rep_table *t, const char *head, enum rep_kind k, double width)
{
	if (t->ncols < REP_COLS_MAX)
		t->cols[t->ncols++] = (struct rep_col){head, k, width};
}

/* Appends an empty row; returns its index, or -1 when out of memory. */
static int row_new(struct rep_table *t, unsigned char flags)
{
	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 32;
		struct rep_cell *nc = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof(*nc));
		unsigned char *nf;

		if (!nc)
			return -1;
		t->cells = nc;
		if (!(nf = realloc(t->rflags, (size_t)cap)))
			return -1;
		t->rflags = nf;
		t->cap = cap;
	}
	memset(&t->cells[(size_t)t->nrows * (size_t)t->ncols], 0, (size_t)t->ncols * sizeof(struct rep_cell));
	t->rflags[t->nrows] = flags;
	return t->nrows++;
}

static struct rep_cell *cell(struct rep_table *t, int row, int c)
{
	return &t->cells[(size_t)row * (size_t)t->ncols + (size_t)c];
}

/* Text is copied into the report's arena: the answers it comes from are dropped once it is built. */
static void put_text(struct report *r, struct rep_table *t, int row, int c, const char *s)
{
	if (s && *s)
		*cell(t, row, c) = (struct rep_cell){.k = RK_TEXT, .s = arena_strdup(r->a, s)};
}

static void put_num(struct rep_table *t, int row, int c, json_t *v)
{
	/* a value column keeps one form whether the engine's number came out whole or not */
	if (json_is_integer(v))
		*cell(t, row, c) = (struct rep_cell){.k = t->cols[c].k == RK_REAL ? RK_REAL : RK_INT, .v = (double)json_integer_value(v)};
	else if (json_is_real(v))
		*cell(t, row, c) = (struct rep_cell){.k = t->cols[c].k == RK_INT ? RK_INT : RK_REAL, .v = json_real_value(v)};
}

static void put_int(struct rep_table *t, int row, int c, int64_t v)
{
	*cell(t, row, c) = (struct rep_cell){.k = RK_INT, .v = (double)v};
}

static void put_date(struct rep_table *t, int row, int c, int32_t d)
{
	if (d != DATE_NONE)
		*cell(t, row, c) = (struct rep_cell){.k = RK_DATE, .d = d};
}

static void hide(struct report *r, struct rep_cell *c, unsigned char state)
{
	char buf[SUP_TEXT_MAX];

	*c = (struct rep_cell){.k = RK_HIDDEN, .s = arena_strdup(r->a, sup_text((int64_t)c->v, state, r->threshold, buf))};
}

static void meta(struct report *r, const char *const *k, const char *v)
{
	if (r->nmeta < REP_META_MAX && v && *v)
		r->meta[r->nmeta++] = (struct rep_meta){TR(r, k), v};
}

/* "≥ 76 %" */
static const char *target_text(struct report *r, json_t *t)
{
	const char *cmp = js(t, "comparator"), *u = js(t, "unit");
	const char *sym = !strcmp(cmp, ">=") ? "≥" : !strcmp(cmp, "<=") ? "≤" : cmp;
	json_t *v = json_object_get(t, "value");

	return arena_printf(r->a, "%s %lld%s", sym, (long long)json_integer_value(v), !strcmp(u, "percent") ? "%" : "");
}

static const char *unit_label(struct report *r, const char *u)
{
	static const struct {
		const char *code, *vi, *en;
	} units[] = {{"percent", "%", "%"},         {"persons", "người", "persons"},    {"communes", "xã", "communes"},
		     {"districts", "huyện", "districts"}, {"provinces", "tỉnh", "provinces"}, {"facilities", "cơ sở", "facilities"},
		     {"records", "hồ sơ", "records"},  {"cases", "vụ", "cases"},           {"count", "", ""}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(u, units[i].code))
			return r->lang == REP_EN ? units[i].en : units[i].vi;
	return u;
}

static const char *ind_name(struct report *r, json_t *t)
{
	json_t *ind = json_object_get(t, "indicator");
	const char *n = js(ind, r->lang == REP_EN ? "name_en" : "name_vi");

	return *n ? n : js(ind, "code");
}

/* ---- the catalogue: which measures count persons -------------------------------------------- */

static json_t *measure_of(json_t *cat, const char *name)
{
	json_t *m;
	size_t i;
	size_t n = strlen(name);

	/* "addicts_count_prev" is addicts_count over the previous period */
	if (n > 5 && !strcmp(name + n - 5, "_prev"))
		n -= 5;
	json_array_foreach(json_object_get(cat, "measures"), i, m) {
		const char *mn = js(m, "name");

		if (strlen(mn) == n && !strncmp(mn, name, n))
			return m;
	}
	return NULL;
}

/* Counts of persons are what small-cell suppression protects; communes, facilities, cases and grams
 * are not about a few identifiable people. */
static int counts_persons(json_t *cat, const char *name)
{
	json_t *m = measure_of(cat, name);

	return m && !strcmp(js(m, "unit"), "persons");
}

/* ---- suppression of an indicator answer ------------------------------------------------------ */

/* Per target and unit, which measures are hidden: a JSON object {target_index: [{measure: state}]}
 * would be heavy; instead the states are written back into the answer as "_hidden": {measure: state}
 * on each unit, and "_value_hidden": true where a hidden count carries the value. */
static int suppress_answer(struct report *r, json_t *cat, json_t *ans, struct pcmt_err *err)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(ans, "targets"), i, t) {
		json_t *units = json_object_get(t, "units"), *root = json_array_get(units, 0);
		size_t n = json_array_size(units), j;
		const char *m;
		json_t *mv;

		if (!root)
			continue;
		json_object_foreach(json_object_get(root, "measures"), m, mv) {
			int64_t *val;
			unsigned char *st;
			int ok = 1, rc;

			if (!counts_persons(cat, m))
				continue;
			/* the units below the root, then the root: value[0..n-2] add up to value[n-1] */
			val = calloc(n, sizeof(*val));
			st = calloc(n, 1);
			if (!val || !st) {
				free(val);
				free(st);
				return oom(err);
			}
			for (j = 1; j < n; j++) {
				json_t *x = json_object_get(json_object_get(json_array_get(units, j), "measures"), m);

				if (!json_is_number(x))
					ok = 0;
				val[j - 1] = json_is_number(x) ? (int64_t)llround(json_number_value(x)) : 0;
				if (val[j - 1] < 0)
					val[j - 1] = 0, ok = 0;
			}
			val[n - 1] = (int64_t)llround(json_number_value(mv));
			if (val[n - 1] < 0)
				val[n - 1] = 0;
			/* A total the units do not add up to (a unit outside the target's scope) is no sum a
			 * reader can use: primary suppression only. */
			if (ok) {
				int64_t sum = 0;

				for (j = 0; j + 1 < n; j++)
					sum += val[j];
				ok = sum == val[n - 1];
			}
			rc = ok && n > 1 ? sup_list(r->threshold, (int)n - 1, val, st, err)
					 : sup_apply(r->threshold, (int)n, val, 0, NULL, st, err);
			if (!rc) {
				for (j = 0; j < n; j++) {
					json_t *u = json_array_get(units, j == n - 1 ? 0 : j + 1);
					json_t *h = json_object_get(u, "_hidden");

					if (!st[j])
						continue;
					if (!h)
						json_object_set_new(u, "_hidden", h = json_object());
					json_object_set_new(h, m, json_integer(st[j]));
				}
			}
			free(val);
			free(st);
			if (rc)
				return -1;
		}
	}
	return 0;
}

static int unit_value_hidden(json_t *u)
{
	return json_object_size(json_object_get(u, "_hidden")) > 0;
}

/* ---- previous periods (the trend) ------------------------------------------------------------ */

struct prev {
	char name[IND_PERIOD_BUFSZ];
	int32_t date;
	json_t *ans;
};

/* The period before a target's and the date that covers the same span of it: a year measured on
 * 30 June is compared with the year before measured on 30 June; a finished period with the whole
 * period before. 0 when there is one (plan periods have none). */
static int prev_of(json_t *t, char name[IND_PERIOD_BUFSZ], int32_t *date)
{
	json_t *per = json_object_get(t, "period");
	int k = ind_pkind_parse(js(per, "kind"));
	int32_t from = jdate(per, "from"), to = jdate(per, "to"), at = jdate(per, "measured_on");
	struct ind_period p;

	if (k < 0 || k == IP_PLAN || from == DATE_NONE || to == DATE_NONE || at == DATE_NONE)
		return -1;
	p = ind_period_around((enum ind_pkind)k, from - 1, 0, 0);
	ind_period_name(&p, name);
	*date = at >= to ? p.to : (p.from + (at - from) < p.to ? p.from + (at - from) : p.to);
	return 0;
}

static json_t *prev_target(struct prev *pv, int npv, json_t *t)
{
	char name[IND_PERIOD_BUFSZ];
	int32_t date;
	json_t *pt;
	size_t i;

	if (prev_of(t, name, &date))
		return NULL;
	for (int k = 0; k < npv; k++) {
		if (strcmp(pv[k].name, name) || pv[k].date != date || !pv[k].ans)
			continue;
		json_array_foreach(json_object_get(pv[k].ans, "targets"), i, pt)
			if (json_integer_value(json_object_get(pt, "id")) == json_integer_value(json_object_get(t, "id")))
				return pt;
	}
	return NULL;
}

static json_t *unit_by_id(json_t *t, int64_t id)
{
	json_t *u;
	size_t i;

	json_array_foreach(json_object_get(t, "units"), i, u)
		if (json_integer_value(json_object_get(json_object_get(u, "orgunit"), "id")) == id)
			return u;
	return NULL;
}

/* Value, previous value and trend cells for unit u of target t (pt: the previous period's). */
static void value_cells(struct report *r, struct rep_table *tb, int row, int cv, json_t *u, json_t *pu)
{
	json_t *v = json_object_get(u, "value"), *pv = pu ? json_object_get(pu, "value") : NULL;
	int vh = r->suppressed && unit_value_hidden(u), ph = r->suppressed && pu && unit_value_hidden(pu);
	const char *trend = NULL;

	if (vh)
		*cell(tb, row, cv) = (struct rep_cell){.k = RK_HIDDEN, .s = "x"};
	else
		put_num(tb, row, cv, v);
	if (ph)
		*cell(tb, row, cv + 2) = (struct rep_cell){.k = RK_HIDDEN, .s = "x"};
	else
		put_num(tb, row, cv + 2, pv);
	if (!vh && !ph && json_is_number(v) && json_is_number(pv)) {
		double a = json_number_value(v), b = json_number_value(pv);

		trend = fabs(a - b) < 1e-9 ? TR(r, L("→ không đổi", "→ unchanged"))
		      : a > b	      ? TR(r, L("↑ tăng", "↑ up"))
				      : TR(r, L("↓ giảm", "↓ down"));
	} else if (vh || ph) {
		trend = "x";
	}
	if (trend)
		put_text(r, tb, row, cv + 3, trend);
}

/* ---- sections -------------------------------------------------------------------------------- */

static int targets_sections(struct report *r, json_t *cat, json_t *ans, struct prev *pv, int npv, struct pcmt_err *err)
{
	struct rep_table *t1 = table_new(r, "targets", TR(r, L("Chỉ tiêu", "Targets")),
					 TR(r, L("I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", "I. TARGETS AND RESULTS")), 1);
	struct rep_table *t2 = table_new(r, "units", TR(r, L("Theo đơn vị", "By unit")),
					 TR(r, L("II. CHỈ TIÊU THEO ĐƠN VỊ", "II. TARGETS BY UNIT")), 1);
	struct rep_table *t3 = table_new(r, "measures", TR(r, L("Số liệu", "Counts")),
					 TR(r, L("III. SỐ LIỆU TÍNH CHỈ TIÊU", "III. COUNTS BEHIND THE VALUES")), 0);
	struct rep_chart *ch = &r->c[r->ncharts];
	json_t *t;
	size_t i, j;
	int nbars = 0;

	t1->note = TR(r, L("Giá trị của đơn vị báo cáo; kỳ trước: cùng khoảng thời gian của kỳ liền trước.",
			   "Values of the reporting unit; previous: the same span of the period before."));
	col(t1, TR(r, L("STT", "No.")), RK_INT, 5);
	col(t1, TR(r, L("Chỉ tiêu", "Indicator")), RK_TEXT, 46);
	col(t1, TR(r, L("Mục tiêu", "Target")), RK_TEXT, 10);
	col(t1, TR(r, L("Đơn vị tính", "Unit")), RK_TEXT, 9);
	col(t1, TR(r, L("Kỳ", "Period")), RK_TEXT, 9);
	col(t1, TR(r, L("Tính đến ngày", "Measured on")), RK_DATE, 12);
	col(t1, TR(r, L("Giá trị", "Value")), RK_REAL, 10);
	col(t1, TR(r, L("Đánh giá", "Status")), RK_TEXT, 18);
	col(t1, TR(r, L("Kỳ trước", "Previous")), RK_REAL, 10);
	col(t1, TR(r, L("Xu hướng", "Trend")), RK_TEXT, 12);

	t2->note = TR(r, L("Mỗi chỉ tiêu: đơn vị báo cáo (dòng đậm) và các đơn vị trực thuộc.",
			   "Each target: the reporting unit (bold) and each unit directly below it."));
	col(t2, TR(r, L("STT", "No.")), RK_INT, 5);
	col(t2, TR(r, L("Chỉ tiêu", "Indicator")), RK_TEXT, 34);
	col(t2, TR(r, L("Mã", "Code")), RK_TEXT, 7);
	col(t2, TR(r, L("Đơn vị", "Org unit")), RK_TEXT, 24);
	col(t2, TR(r, L("Mục tiêu", "Target")), RK_TEXT, 9);
	col(t2, TR(r, L("Giá trị", "Value")), RK_REAL, 9);
	col(t2, TR(r, L("Đánh giá", "Status")), RK_TEXT, 18);
	col(t2, TR(r, L("Kỳ trước", "Previous")), RK_REAL, 9);
	col(t2, TR(r, L("Xu hướng", "Trend")), RK_TEXT, 12);

	t3->note = TR(r, L("Các số đếm mà mỗi giá trị được tính từ đó (docs/indicators.md).",
			   "The counts each value is computed from (docs/indicators.md)."));
	col(t3, TR(r, L("STT", "No.")), RK_INT, 5);
	col(t3, TR(r, L("Chỉ tiêu", "Indicator")), RK_TEXT, 30);
	col(t3, TR(r, L("Mã", "Code")), RK_TEXT, 7);
	col(t3, TR(r, L("Đơn vị", "Org unit")), RK_TEXT, 24);
	col(t3, TR(r, L("Số liệu", "Count")), RK_TEXT, 40);
	col(t3, TR(r, L("Mã số liệu", "Measure")), RK_TEXT, 28);
	col(t3, TR(r, L("Giá trị", "Value")), RK_INT, 10);

	ch->title = TR(r, L("Biểu đồ 1. Giá trị và mục tiêu các chỉ tiêu tỷ lệ (%)", "Chart 1. Values and targets of the percentage targets"));
	ch->legend_value = TR(r, L("Giá trị", "Value"));
	ch->legend_target = TR(r, L("Mục tiêu", "Target"));
	ch->percent = 1;
	ch->bars = arena_alloc(r->a, (json_array_size(json_object_get(ans, "targets")) + 1) * sizeof(struct rep_bar));
	if (!ch->bars)
		return oom(err);
	memset(ch->bars, 0, (json_array_size(json_object_get(ans, "targets")) + 1) * sizeof(struct rep_bar));

	json_array_foreach(json_object_get(ans, "targets"), i, t) {
		json_t *per = json_object_get(t, "period"), *units = json_object_get(t, "units"), *u;
		json_t *pt = prev_target(pv, npv, t), *root = json_array_get(units, 0);
		const char *name = ind_name(r, t), *tt = target_text(r, t), *st = js(t, "status");
		int row;

		if ((row = row_new(t1, 0)) < 0)
			return oom(err);
		put_int(t1, row, 0, (int64_t)i + 1);
		put_text(r, t1, row, 1, name);
		put_text(r, t1, row, 2, tt);
		put_text(r, t1, row, 3, unit_label(r, js(t, "unit")));
		put_text(r, t1, row, 4, js(per, "name"));
		put_date(t1, row, 5, jdate(per, "measured_on"));
		put_text(r, t1, row, 7, status_label(r, st));
		if (root) {
			value_cells(r, t1, row, 6, root, pt ? unit_by_id(pt, json_integer_value(json_object_get(json_object_get(root, "orgunit"), "id"))) : NULL);
		} else {
			put_num(t1, row, 6, json_object_get(t, "result"));
		}
		/* Chart 1 shows shares (0..100): a change against the period before (an expression over a
		 * _prev measure) or a share of an assigned number is no share of a whole. */
		if (!strcmp(js(t, "unit"), "percent") && !json_is_integer(json_object_get(t, "denominator")) &&
		    !strstr(js(json_object_get(t, "indicator"), "expression"), "_prev")) {
			struct rep_bar *b = &ch->bars[nbars++];
			json_t *v = root ? json_object_get(root, "value") : json_object_get(t, "result");

			b->label = arena_printf(r->a, "%zu. %s", i + 1, name);
			b->has_value = json_is_number(v);
			b->value = json_number_value(v);
			b->hidden = r->suppressed && root && unit_value_hidden(root);
			b->has_target = 1;
			b->target = (double)json_integer_value(json_object_get(t, "value"));
		}
		json_array_foreach(units, j, u) {
			json_t *ou = json_object_get(u, "orgunit"), *pu = pt ? unit_by_id(pt, json_integer_value(json_object_get(ou, "id"))) : NULL;
			const char *m;
			json_t *mv;
			int r2;

			if ((r2 = row_new(t2, j == 0 ? RR_TOTAL : 0)) < 0)
				return oom(err);
			put_int(t2, r2, 0, (int64_t)i + 1);
			put_text(r, t2, r2, 1, name);
			put_text(r, t2, r2, 2, js(ou, "code"));
			put_text(r, t2, r2, 3, js(ou, "name"));
			put_text(r, t2, r2, 4, tt);
			put_text(r, t2, r2, 6, status_label(r, js(u, "status")));
			value_cells(r, t2, r2, 5, u, pu);
			json_object_foreach(json_object_get(u, "measures"), m, mv) {
				json_t *mi = measure_of(cat, m);
				json_t *h = json_object_get(json_object_get(u, "_hidden"), m);
				const char *lab = mi ? js(mi, r->lang == REP_EN ? "label_en" : "label_vi") : m;
				int r3;

				if ((r3 = row_new(t3, j == 0 ? RR_TOTAL : 0)) < 0)
					return oom(err);
				put_int(t3, r3, 0, (int64_t)i + 1);
				put_text(r, t3, r3, 1, name);
				put_text(r, t3, r3, 2, js(ou, "code"));
				put_text(r, t3, r3, 3, js(ou, "name"));
				put_text(r, t3, r3, 4, strlen(m) > 5 && !strcmp(m + strlen(m) - 5, "_prev")
							    ? arena_printf(r->a, "%s (%s)", lab, TR(r, L("kỳ trước", "previous period")))
							    : lab);
				put_text(r, t3, r3, 5, m);
				put_num(t3, r3, 6, mv);
				if (r->suppressed && h)
					hide(r, cell(t3, r3, 6), (unsigned char)json_integer_value(h));
			}
		}
	}
	ch->nbars = nbars;
	if (nbars)
		r->ncharts++;
	return 0;
}

/* One commune of a drug-free answer, with the unit below the report's unit it lies in. */
struct df_commune {
	json_t *c;
	json_t *unit;   /* the unit of "units" it rolls up to; NULL when the report's unit is a district */
};

/* counts[k] of commune c (df_counts order) */
static int64_t df_count(json_t *c, int k)
{
	json_t *cr = json_array_get(json_object_get(c, "criteria"), (size_t)df_counts[k].criterion - 1);

	return json_integer_value(json_object_get(json_object_get(cr, "counts"), df_counts[k].key));
}

static int df_pass(json_t *c, int criterion)
{
	return json_is_true(json_object_get(json_array_get(json_object_get(c, "criteria"), (size_t)criterion - 1), "pass"));
}

static int drugfree_sections(struct report *r, struct live *lv, struct store *s, const struct rep_opts *o,
			     int64_t root_id, json_t *df_target, struct pcmt_err *err)
{
	struct drugfree_opts dfo = {.ou_id = root_id, .date = r->df_date, .scope = o->scope, .details = 1, .names = 0};
	json_t *ans = NULL, *units, *communes, *u, *c;
	struct df_commune *dc = NULL;
	struct rep_table *t4, *t5, *t6;
	struct rep_chart *ch;
	int64_t *val = NULL;
	unsigned char *st = NULL;
	struct sup_line *lines = NULL;
	int *idx = NULL;
	size_t nu, nc, i, j;
	int rc = -1, nrows, *urow = NULL;

	if (drugfree_eval(lv, s, &dfo, &ans, err)) {
		if (err->code == ERR_INVALID && !strcmp(err->field, "date")) {
			/* Not in force on the date: the report says so instead of failing. */
			struct rep_table *t = table_new(r, "drugfree", TR(r, L("Xã không ma túy", "Drug-free")),
							TR(r, L("IV. ĐÁNH GIÁ XÃ, PHƯỜNG, THỊ TRẤN KHÔNG MA TÚY",
								"IV. DRUG-FREE COMMUNE EVALUATION")), 1);

			t->note = arena_printf(r->a, "%s %s.",
					       TR(r, L("Bộ tiêu chí xã không ma túy chưa có hiệu lực vào ngày",
						       "The drug-free commune criteria were not in force on")),
					       vn_date(r, r->df_date));
			col(t, TR(r, L("Đơn vị", "Org unit")), RK_TEXT, 30);
			r->df_date = DATE_NONE;
			err_clear(err);
			return 0;
		}
		return -1;
	}
	units = json_object_get(ans, "units");
	communes = json_object_get(ans, "communes");
	nu = json_array_size(units);
	nc = json_array_size(communes);
	if (nc && !(dc = calloc(nc, sizeof(*dc))))
		goto nomem;
	/* Which unit each commune rolls up to: the org-unit tree of the live image answers it (one walk
	 * up from each commune; a store query per commune and unit would take minutes nationally). A
	 * commune directly under the reporting unit rolls up to no unit. */
	{
		const struct snap *sn = live_read(lv);
		int32_t rix = snap_ou_ix(sn, root_id);

		json_array_foreach(communes, i, c) {
			int32_t ix = snap_ou_ix(sn, json_integer_value(json_object_get(c, "id")));

			dc[i].c = c;
			while (ix >= 0 && sn->ous[ix].parent_ix >= 0 && sn->ous[ix].parent_ix != rix)
				ix = sn->ous[ix].parent_ix;
			if (ix < 0 || sn->ous[ix].parent_ix != rix)
				continue;
			json_array_foreach(units, j, u)
				if (json_integer_value(json_object_get(u, "id")) == sn->ous[ix].id) {
					dc[i].unit = u;
					break;
				}
		}
		live_done(lv);
	}

	t4 = table_new(r, "drugfree", TR(r, L("Xã không ma túy", "Drug-free")),
		       TR(r, L("IV. ĐÁNH GIÁ XÃ, PHƯỜNG, THỊ TRẤN KHÔNG MA TÚY", "IV. DRUG-FREE COMMUNE EVALUATION")), 1);
	t4->note = arena_printf(r->a, "%s %s; %s %d %s; %s %d.",
				TR(r, L("Đánh giá theo tiêu chí của Đề án (Thanh Hóa 2024-2025) vào ngày",
					"Evaluated with the criteria of the Thanh Hoa project 2024-2025 on")),
				vn_date(r, r->df_date), TR(r, L("xét nghiệm trong", "tests within")),
				(int)json_integer_value(json_object_get(json_object_get(ans, "rules"), "test_window_days")),
				TR(r, L("ngày", "days")), TR(r, L("dưới", "fewer than")),
				(int)json_integer_value(json_object_get(json_object_get(ans, "rules"), "community_addict_ceiling")));
	col(t4, TR(r, L("Mã", "Code")), RK_TEXT, 7);
	col(t4, TR(r, L("Đơn vị", "Org unit")), RK_TEXT, 24);
	col(t4, TR(r, L("Số xã", "Communes")), RK_INT, 8);
	col(t4, TR(r, L("Số xã đạt", "Drug-free")), RK_INT, 8);
	col(t4, TR(r, L("Tỷ lệ (%)", "Share (%)")), RK_REAL, 8);
	col(t4, TR(r, L("Đạt TC1", "Pass C1")), RK_INT, 8);
	col(t4, TR(r, L("Đạt TC2", "Pass C2")), RK_INT, 8);
	col(t4, TR(r, L("Đạt TC3", "Pass C3")), RK_INT, 8);
	for (int k = 0; k < NDF; k++)
		col(t4, arena_printf(r->a, "%s%d: %s", TR(r, L("TC", "C")), df_counts[k].criterion,
				     r->lang == REP_EN ? df_counts[k].en : df_counts[k].vi), RK_INT, 11);

	t5 = table_new(r, "communes", TR(r, L("Chi tiết xã", "Communes")),
		       TR(r, L("V. KẾT QUẢ ĐÁNH GIÁ TỪNG XÃ", "V. EACH COMMUNE")), nc <= 600);
	col(t5, TR(r, L("Trực thuộc", "Within")), RK_TEXT, 20);
	col(t5, TR(r, L("Mã xã", "Code")), RK_TEXT, 7);
	col(t5, TR(r, L("Tên xã", "Commune")), RK_TEXT, 24);
	col(t5, TR(r, L("Không ma túy", "Drug-free")), RK_TEXT, 9);
	col(t5, TR(r, L("TC1", "C1")), RK_TEXT, 9);
	col(t5, TR(r, L("TC2", "C2")), RK_TEXT, 9);
	col(t5, TR(r, L("TC3", "C3")), RK_TEXT, 9);
	for (int k = 0; k < NDF; k++)
		col(t5, arena_printf(r->a, "%s%d: %s", TR(r, L("TC", "C")), df_counts[k].criterion,
				     r->lang == REP_EN ? df_counts[k].en : df_counts[k].vi), RK_INT, 11);
	if (nc > 600)
		t5->note = TR(r, L("Danh sách đầy đủ trong tệp xlsx hoặc csv.", "The full list is in the xlsx or csv file."));

	/* t4: the root first (a total row), then the units below it; a district's report lists its
	 * communes as its units. */
	nrows = 1 + (int)(nu ? nu : nc);
	if (!(urow = calloc((size_t)nrows, sizeof(*urow))))
		goto nomem;
	for (int k = 0; k < nrows; k++) {
		json_t *ou = k == 0 ? json_object_get(ans, "orgunit") : nu ? json_array_get(units, (size_t)k - 1)
									  : json_array_get(communes, (size_t)k - 1);
		int row = row_new(t4, k == 0 ? RR_TOTAL : 0);
		int64_t ncom = 0, npass = 0, pc[3] = {0, 0, 0}, cnt[NDF] = {0};

		if (row < 0)
			goto nomem;
		urow[k] = row;
		for (i = 0; i < nc; i++) {
			json_t *cc = dc[i].c;

			if (k > 0 && (nu ? dc[i].unit != ou : cc != ou))
				continue;
			ncom++;
			npass += json_is_true(json_object_get(cc, "drug_free"));
			for (int q = 0; q < 3; q++)
				pc[q] += df_pass(cc, q + 1);
			for (int q = 0; q < NDF; q++)
				cnt[q] += df_count(cc, q);
		}
		put_text(r, t4, row, 0, js(ou, "code"));
		put_text(r, t4, row, 1, js(ou, "name"));
		put_int(t4, row, 2, ncom);
		put_int(t4, row, 3, npass);
		/* the share is the engine's (summary for the root, units' roll-ups below) */
		if (k == 0)
			put_num(t4, row, 4, json_object_get(json_object_get(ans, "summary"), "share"));
		else if (nu)
			put_num(t4, row, 4, json_object_get(ou, "share"));
		else if (ncom)
			*cell(t4, row, 4) = (struct rep_cell){.k = RK_REAL, .v = npass ? 100.0 : 0.0};
		for (int q = 0; q < 3; q++)
			put_int(t4, row, 5 + q, pc[q]);
		for (int q = 0; q < NDF; q++)
			put_int(t4, row, 8 + q, cnt[q]);
	}
	json_array_foreach(communes, i, c) {
		int row = row_new(t5, 0);
		json_t *within = dc[i].unit;

		if (row < 0)
			goto nomem;
		put_text(r, t5, row, 0, within ? js(within, "name") : js(json_object_get(ans, "orgunit"), "name"));
		put_text(r, t5, row, 1, js(c, "code"));
		put_text(r, t5, row, 2, js(c, "name"));
		put_text(r, t5, row, 3, json_is_true(json_object_get(c, "drug_free")) ? TR(r, L("Đạt", "Yes")) : TR(r, L("Không đạt", "No")));
		for (int q = 0; q < 3; q++)
			put_text(r, t5, row, 4 + q, df_pass(c, q + 1) ? TR(r, L("Đạt", "Pass")) : TR(r, L("Không đạt", "Fail")));
		for (int q = 0; q < NDF; q++)
			put_int(t5, row, 7 + q, df_count(c, q));
	}

	/* Small cells: per count column, the communes add up to their unit's row and the units to the
	 * root's. Cells: [t4 rows (root, units...)] then [t5 rows (communes)]. */
	if (r->suppressed) {
		int ncell = nrows + (int)nc, nl = 0, ni = 0;
		int have_units = nu > 0;

		val = calloc((size_t)ncell, sizeof(*val));
		st = calloc((size_t)ncell, 1);
		lines = calloc((size_t)nrows + 1, sizeof(*lines));
		idx = calloc((size_t)ncell * 2 + 2, sizeof(*idx));
		if (!val || !st || !lines || !idx)
			goto nomem;
		/* root = sum of its unit rows */
		lines[nl].total = 0;
		lines[nl].cells = &idx[ni];
		for (int k = 1; k < nrows; k++)
			idx[ni++] = have_units ? k : nrows + k - 1;
		/* communes directly under the reporting unit add to it beside the units */
		for (i = 0; have_units && i < nc; i++)
			if (!dc[i].unit)
				idx[ni++] = nrows + (int)i;
		lines[nl].n = ni;
		if (!have_units) {
			/* a district's units are its communes: the t4 rows and the t5 rows are the same
			 * counts, each of them equal to its twin (a line of one cell) */
			lines[nl].cells = &idx[0];
			ni = 0;
			for (int k = 1; k < nrows; k++)
				idx[ni++] = k;
		}
		nl++;
		if (have_units) {
			for (int k = 1; k < nrows; k++) {
				json_t *ou = json_array_get(units, (size_t)k - 1);

				lines[nl].total = k;
				lines[nl].cells = &idx[ni];
				lines[nl].n = 0;
				for (i = 0; i < nc; i++)
					if (dc[i].unit == ou) {
						idx[ni++] = nrows + (int)i;
						lines[nl].n++;
					}
				nl++;
			}
		} else {
			/* t5 row i is t4 row i+1 */
			for (int k = 1; k < nrows; k++) {
				lines[nl].total = k;
				lines[nl].cells = &idx[ni];
				idx[ni++] = nrows + k - 1;
				lines[nl].n = 1;
				nl++;
			}
		}
		for (int q = 0; q < NDF; q++) {
			for (int k = 0; k < nrows; k++)
				val[k] = (int64_t)rep_at(t4, urow[k], 8 + q)->v;
			for (i = 0; i < nc; i++)
				val[nrows + (int)i] = (int64_t)rep_at(t5, (int)i, 7 + q)->v;
			if (sup_apply(r->threshold, ncell, val, nl, lines, st, err))
				goto out;
			for (int k = 0; k < nrows; k++)
				if (st[k])
					hide(r, cell(t4, urow[k], 8 + q), st[k]);
			for (i = 0; i < nc; i++)
				if (st[nrows + (int)i])
					hide(r, cell(t5, (int)i, 7 + q), st[nrows + (int)i]);
		}
	}

	/* t6: why communes fail, over the report's unit */
	t6 = table_new(r, "reasons", TR(r, L("Lý do không đạt", "Reasons")),
		       TR(r, L("VI. LÝ DO XÃ CHƯA ĐẠT TIÊU CHÍ", "VI. WHY COMMUNES FAIL")), 1);
	t6->note = TR(r, L("Số trường hợp (người) theo từng lý do; số xã có lý do đó.",
			   "Cases (persons) per reason; communes where the reason occurs."));
	col(t6, TR(r, L("Tiêu chí", "Criterion")), RK_INT, 9);
	col(t6, TR(r, L("Lý do", "Reason")), RK_TEXT, 52);
	col(t6, TR(r, L("Mã lý do", "Reason code")), RK_TEXT, 24);
	col(t6, TR(r, L("Số trường hợp", "Cases")), RK_INT, 12);
	col(t6, TR(r, L("Số xã", "Communes")), RK_INT, 10);
	for (int cr = 1; cr <= 3; cr++) {
		for (size_t k = 0; k < sizeof(reason_labels) / sizeof(reason_labels[0]); k++) {
			int64_t cases = 0, ncom = 0;
			int row;

			json_array_foreach(communes, i, c) {
				json_t *f;
				size_t q;
				int here = 0;

				json_array_foreach(json_object_get(c, "failures"), q, f) {
					if (json_integer_value(json_object_get(f, "criterion")) != cr ||
					    strcmp(js(f, "reason_code"), reason_labels[k].code))
						continue;
					here = 1;
					if (json_is_integer(json_object_get(f, "person_id")))
						cases++;
				}
				ncom += here;
			}
			if (!ncom)
				continue;
			if ((row = row_new(t6, 0)) < 0)
				goto nomem;
			put_int(t6, row, 0, cr);
			put_text(r, t6, row, 1, reason_label(r, reason_labels[k].code));
			put_text(r, t6, row, 2, reason_labels[k].code);
			if (strcmp(reason_labels[k].code, "ceiling"))
				put_int(t6, row, 3, cases);
			put_int(t6, row, 4, ncom);
			if (r->suppressed && cases > 0 && cases < r->threshold)
				hide(r, cell(t6, row, 3), SUP_PRIMARY);
		}
	}

	/* chart: the share of drug-free communes per unit below the report's unit */
	if (nu && r->ncharts < REP_CHARTS_MAX) {
		ch = &r->c[r->ncharts];
		ch->title = TR(r, L("Biểu đồ 2. Tỷ lệ xã không ma túy theo đơn vị (%)", "Chart 2. Share of drug-free communes by unit (%)"));
		ch->legend_value = TR(r, L("Tỷ lệ xã đạt", "Drug-free share"));
		ch->legend_target = df_target ? TR(r, L("Mục tiêu", "Target")) : NULL;
		ch->percent = 1;
		if (!(ch->bars = arena_alloc(r->a, nu * sizeof(*ch->bars))))
			goto nomem;
		memset(ch->bars, 0, nu * sizeof(*ch->bars)); /* arena memory is not zeroed */
		json_array_foreach(units, j, u) {
			struct rep_bar *b = &ch->bars[j];

			b->label = arena_strdup(r->a, js(u, "name"));
			b->has_value = json_is_number(json_object_get(u, "share"));
			b->value = json_number_value(json_object_get(u, "share"));
			b->has_target = df_target != NULL;
			b->target = df_target ? (double)json_integer_value(json_object_get(df_target, "value")) : 0;
		}
		ch->nbars = (int)nu;
		r->ncharts++;
	}
	rc = 0;
	goto out;
nomem:
	oom(err);
out:
	free(dc);
	free(urow);
	free(val);
	free(st);
	free(lines);
	free(idx);
	json_decref(ans);
	return rc;
}

/* ---- the whole report ------------------------------------------------------------------------ */

/* The reporting unit as a Vietnamese letterhead writes it: "HUYỆN KỲ SƠN". */
static const char *upper(struct arena *a, const char *s)
{
	size_t n = strlen(s), k = 0;
	char *out = arena_alloc(a, n * 4 + 1);
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;

	if (!out)
		return s;
	while (*p) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t len = utf8proc_iterate(p, -1, &cp);

		if (len <= 0)
			break;
		k += (size_t)utf8proc_encode_char(utf8proc_toupper(cp), (utf8proc_uint8_t *)out + k);
		p += len;
	}
	out[k] = '\0';
	return out;
}

static void slug(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	for (; *src && n + 1 < cap; src++) {
		unsigned char ch = (unsigned char)*src;

		dst[n++] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ? (char)ch : '-';
	}
	dst[n] = '\0';
}

int rep_build(struct live *lv, struct store *s, const struct rep_opts *o, struct report **out, struct pcmt_err *err)
{
	struct ind_opts io = {.plan = o->plan, .ou_id = o->ou_id, .period = o->period, .date = o->date};
	struct report *r = calloc(1, sizeof(*r));
	json_t *ans = NULL, *cat = ind_catalogue(), *plan, *t, *df_target = NULL;
	struct prev pv[PREV_MAX];
	struct ou_info root_ou, issuer;
	int npv = 0, rc = -1;
	int64_t root_id;
	int32_t period_to;
	size_t i;
	char slug_plan[64];

	memset(pv, 0, sizeof(pv));
	*out = NULL;
	if (!r || !cat || !(r->a = arena_new(REP_ARENA_MAX))) {
		oom(err);
		goto out;
	}
	r->lang = o->lang;
	r->as_of = o->date;
	/* A caller confined to a subtree who names no unit gets the report of their own unit. */
	if (!io.ou_id && o->scope && o->scope->ou_id)
		io.ou_id = o->scope->ou_id;
	if (ind_answer(lv, s, &io, &ans, err))
		goto out;
	plan = json_object_get(ans, "plan");
	/* the reporting unit: the one asked for, else the plan's scope */
	root_id = io.ou_id ? io.ou_id : json_integer_value(json_object_get(json_object_get(plan, "scope"), "id"));
	if (s->ops->ou_get(s, root_id, &root_ou, err))
		goto out;
	if (o->scope && o->scope->ou_id) {
		int yes = 0;

		if (s->ops->ou_within(s, root_id, o->scope->ou_id, &yes, err))
			goto out;
		if (!yes) {
			err_set(err, ERR_NOT_FOUND, "orgunit", "no such org unit");
			goto out;
		}
	}
	/* Exports that leave the commune, and anything a viewer sees, suppress small cells (RULES.md
	 * "Small cells"). */
	r->suppressed = strcmp(root_ou.kind, "commune") != 0 || o->aggregates_only;
	if (r->suppressed && sup_threshold(live_rules(lv), o->date, &r->threshold, err))
		goto out;

	/* The period's measuring date: the date asked, or the period's end when that comes first. */
	period_to = jdate(plan, "period_to");
	if (o->period && strcmp(o->period, "plan")) {
		struct ind_period p;

		if (!ind_period_parse(o->period, "period", &p, err))
			period_to = p.to;
	}
	r->df_date = o->date < period_to || period_to == DATE_NONE ? o->date : period_to;

	/* The previous period of each target (one engine answer per distinct period). */
	json_array_foreach(json_object_get(ans, "targets"), i, t) {
		char name[IND_PERIOD_BUFSZ];
		int32_t date;
		int k;

		/* the chart's target line: the drug-free target due first on or after the evaluation
		 * (the national programme's 20% by 2025 before its 50% by 2030), else the last one due */
		if (!strcmp(js(json_object_get(t, "indicator"), "code"), "drug_free_communes_pct")) {
			int32_t due = jdate(json_object_get(t, "period"), "due"), best = df_target ? jdate(json_object_get(df_target, "period"), "due") : 0;

			if (!df_target || (due >= r->df_date && (best < r->df_date || due < best)) || (best < r->df_date && due > best))
				df_target = t;
		}
		if (prev_of(t, name, &date))
			continue;
		for (k = 0; k < npv; k++)
			if (!strcmp(pv[k].name, name) && pv[k].date == date)
				break;
		if (k < npv || npv == PREV_MAX)
			continue;
		snprintf(pv[npv].name, sizeof(pv[npv].name), "%s", name);
		pv[npv].date = date;
		{
			struct ind_opts po = io;

			po.period = pv[npv].name;
			po.date = date;
			if (ind_answer(lv, s, &po, &pv[npv].ans, err)) {
				/* a period before anything was recorded still answers; a failure here is ours */
				goto out;
			}
		}
		npv++;
	}
	if (r->suppressed) {
		if (suppress_answer(r, cat, ans, err))
			goto out;
		for (int k = 0; k < npv; k++)
			if (suppress_answer(r, cat, pv[k].ans, err))
				goto out;
	}

	/* Title block */
	if (s->ops->ou_get(s, json_integer_value(json_object_get(plan, "issuing_ou")), &issuer, err))
		snprintf(issuer.name, sizeof(issuer.name), "%s", "");
	err_clear(err);
	r->issuer = upper(r->a, root_ou.name);
	r->title = arena_printf(r->a, "%s %s", TR(r, L("BÁO CÁO KẾT QUẢ THỰC HIỆN", "REPORT ON THE IMPLEMENTATION OF")),
				js(plan, "code"));
	r->subtitle = arena_strdup(r->a, js(plan, "title"));
	meta(r, L("Kế hoạch", "Plan"), arena_printf(r->a, "%s: %s", js(plan, "code"), js(plan, "title")));
	meta(r, L("Cơ quan ban hành", "Issued by"), arena_strdup(r->a, issuer.name));
	if (jdate(plan, "date_issued") != DATE_NONE)
		meta(r, L("Ngày ban hành", "Issued on"), vn_date(r, jdate(plan, "date_issued")));
	meta(r, L("Đơn vị báo cáo", "Reporting unit"), arena_printf(r->a, "%s (%s)", root_ou.name, root_ou.code));
	if (o->period) {
		struct ind_period p;
		int32_t from = jdate(plan, "period_from"), to = jdate(plan, "period_to");

		if (strcmp(o->period, "plan") && !ind_period_parse(o->period, "period", &p, err)) {
			from = p.from;
			to = p.to;
		}
		err_clear(err);
		meta(r, L("Kỳ báo cáo", "Period"), arena_printf(r->a, "%s (%s – %s)", !strcmp(o->period, "plan") ? TR(r, L("cả kỳ kế hoạch", "the plan's period")) : o->period,
								 vn_date(r, from), vn_date(r, to)));
	} else {
		meta(r, L("Kỳ báo cáo", "Period"), TR(r, L("kỳ của từng chỉ tiêu", "each target's own period")));
	}
	meta(r, L("Số liệu tính đến ngày", "Values as of"), vn_date(r, o->date));
	meta(r, L("Ngày đánh giá xã không ma túy", "Drug-free evaluation on"), vn_date(r, r->df_date));
	if (r->suppressed)
		r->footnote = arena_printf(r->a, "%s %lld %s",
					   TR(r, L("Bảo vệ số liệu nhỏ: số người từ 1 đến", "Small cells: counts of persons from 1 to")),
					   (long long)r->threshold - 1,
					   TR(r, L("ghi \"<5\"; \"x\": ẩn để không suy ra được ô khác từ tổng.",
						   "are shown as \"<5\"; \"x\": hidden so that no such count can be worked out from a total.")));
	slug(slug_plan, sizeof(slug_plan), js(plan, "code"));
	snprintf(r->basename, sizeof(r->basename), "%s-%s-%s-%s", TR(r, L("bao-cao", "report")), slug_plan,
		 o->period ? o->period : "hien-tai", root_ou.code);
	if (targets_sections(r, cat, ans, pv, npv, err))
		goto out;
	if (drugfree_sections(r, lv, s, o, root_id, df_target, err))
		goto out;
	*out = r;
	r = NULL;
	rc = 0;
out:
	for (int k = 0; k < npv; k++)
		json_decref(pv[k].ans);
	json_decref(ans);
	json_decref(cat);
	rep_free(r);
	return rc;
}

void rep_free(struct report *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->ntables; i++) {
		free(r->t[i].cells);
		free(r->t[i].rflags);
	}
	arena_free(r->a);
	free(r);
}

/* ---- shared by the renderers ----------------------------------------------------------------- */

const char *rep_cell_text(const struct rep_cell *c, char *buf, size_t cap)
{
	int y, m, d;

	switch (c->k) {
	case RK_TEXT:
	case RK_HIDDEN: return c->s ? c->s : "";
	case RK_INT: snprintf(buf, cap, "%.0f", c->v); return buf;
	case RK_REAL: snprintf(buf, cap, "%.1f", c->v); return buf;
	case RK_DATE:
		date_to_ymd(c->d, &y, &m, &d);
		snprintf(buf, cap, "%02d/%02d/%04d", d, m, y);
		return buf;
	case RK_EMPTY: break;
	}
	return "";
}

int rep_format_parse(const char *s, enum rep_format *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "xlsx"))
		*out = REP_XLSX;
	else if (!strcmp(s, "pdf"))
		*out = REP_PDF;
	else if (!strcmp(s, "csv"))
		*out = REP_CSV;
	else
		return -1;
	return 0;
}

int rep_lang_parse(const char *s, enum rep_lang *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "vi"))
		*out = REP_VI;
	else if (!strcmp(s, "en"))
		*out = REP_EN;
	else
		return -1;
	return 0;
}

const char *rep_format_ext(enum rep_format f)
{
	return f == REP_XLSX ? "xlsx" : f == REP_PDF ? "pdf" : "csv";
}

const char *rep_format_mime(enum rep_format f)
{
	return f == REP_XLSX ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	     : f == REP_PDF  ? "application/pdf"
			     : "text/csv; charset=utf-8";
}

int rep_render(const struct report *r, enum rep_format fmt, char **buf, size_t *len, struct pcmt_err *err)
{
	*buf = NULL;
	*len = 0;
	switch (fmt) {
	case REP_XLSX: return rep_xlsx(r, buf, len, err);
	case REP_PDF: return rep_pdf(r, buf, len, err);
	case REP_CSV: return rep_csv(r, buf, len, err);
	}
	return err_set(err, ERR_INTERNAL, "format", "unknown report format");
}
