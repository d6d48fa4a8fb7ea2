/* test_report.c: GET /api/v1/reports on a hand-built province, checked the way a reader would:
 * the xlsx opened by LibreOffice (headless, every sheet converted to CSV) must show the numbers the
 * API's own answers give for the same plan, period and unit (GET /api/v1/indicators and
 * GET /api/v1/drug-free), with person counts of 1-4 printed "<5" and a second count hidden ("x")
 * where a total would give one away, and none of that in a commune's own report; the PDF, rendered
 * by pdftoppm, must have its pages, none blank, and a chart drawn in the bars' colour, and its text
 * (pdftotext) must hold the Vietnamese headings. LibreOffice and poppler-utils are in
 * scripts/apt-packages.txt: when they are missing the test fails, it does not skip. */
#include <ctype.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../api/apitest.h"

#define PERIOD "2025"
#define PLAN "T-1/KH-UBND"
#define PLAN_Q "T-1%2FKH-UBND"

/* ---- data ------------------------------------------------------------------------------------ */

/* An addict in `commune` with a record; treated (home/community rehabilitation from February 2025)
 * when treated; tested negative on test_date when it is not NULL. */
static void addict(struct api_fx *f, const char *name, const char *commune, int treated, const char *test_date)
{
	char body[512];
	int64_t p = api_person(f, name, "male", "1990-01-01", commune);

	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2024-01-01\"}", (long long)p);
	api_create(f, "classifications", body);
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"opened\": \"2024-01-02\", \"managing_ou\": \"%s\"}",
		 (long long)p, commune);
	api_create(f, "records", body);
	if (treated) {
		snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"voluntary_community\", \"start_date\": \"2025-02-01\","
			 " \"outcome\": \"ongoing\"}", (long long)p);
		api_create(f, "treatments", body);
	}
	if (test_date) {
		snprintf(body, sizeof(body), "{\"person_id\": %lld, \"test_date\": \"%s\", \"kind\": \"periodic\", \"result\": \"negative\"}",
			 (long long)p, test_date);
		api_create(f, "tests", body);
	}
}

/* Nậm Cắn: 6 addicts, treated and tested (criterion 1 passes). Keng Đu: 2 addicts, one untreated and
 * untested. Tri Lễ (Quế Phong): 1 addict treated and tested, and an illegal user without a record.
 * So Kỳ Sơn has 8 addicts and Quế Phong 1: the province's 9 = 8 + 1, and the 1 must be "<5" with
 * the 8 hidden beside it; services reached: 7 of 8 managed in Kỳ Sơn, 1 of 1 in Quế Phong. */
static int setup(void **state)
{
	struct api_fx *f;
	int64_t u, plan;
	char body[512];
	static const char *const names[] = {"Lô Văn Một", "Lô Văn Hai", "Lô Văn Ba", "Lô Văn Bốn", "Lô Văn Năm", "Lô Văn Sáu"};

	if (api_setup(state))
		return -1;
	f = *state;
	for (int i = 0; i < 6; i++)
		addict(f, names[i], "16837", 1, "2025-06-01");
	addict(f, "Vi Văn Bảy", "16822", 1, "2025-06-10");
	addict(f, "Vi Văn Tám", "16822", 0, NULL);
	addict(f, "Lữ Văn Chín", "16756", 1, "2025-06-05");
	u = api_person(f, "Lương Thị Mười", "female", "1995-05-05", "16756");
	snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"illegal_user\", \"date_from\": \"2025-01-01\"}", (long long)u);
	api_create(f, "classifications", body);
	plan = api_create(f, "plans", "{\"code\": \"" PLAN "\", \"title\": \"Kế hoạch phòng, chống ma túy năm 2025\","
				      " \"issuing_ou\": \"40\", \"scope_ou\": \"40\", \"date_issued\": \"2025-01-10\","
				      " \"period_from\": \"2025-01-01\", \"period_to\": \"2025-12-31\"}");
	snprintf(body, sizeof(body), "{\"plan_id\": %lld, \"indicator\": \"services_reach_pct\", \"comparator\": \">=\", \"value\": 76,"
		 " \"unit\": \"percent\", \"period_kind\": \"year\", \"deadline\": \"2025-12-31\", \"statement\": \"76%%\"}", (long long)plan);
	api_create(f, "targets", body);
	snprintf(body, sizeof(body), "{\"plan_id\": %lld, \"indicator\": \"drug_free_communes_pct\", \"comparator\": \">=\", \"value\": 50,"
		 " \"unit\": \"percent\", \"period_kind\": \"year\", \"deadline\": \"2025-12-31\", \"statement\": \"50%%\"}", (long long)plan);
	api_create(f, "targets", body);
	return 0;
}

/* ---- tools ----------------------------------------------------------------------------------- */

static void need_tool(const char *name, const char *package)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	if (system(cmd) != 0)
		fail_msg("%s is not installed (Debian package %s, listed in scripts/apt-packages.txt): the report "
			 "cannot be checked as a reader opens it", name, package);
}

static void run(const char *cmd)
{
	int st = system(cmd);

	if (st != 0)
		fail_msg("command failed (status %d): %s", st, cmd);
}

static void save(const char *path, const struct tl_resp *r)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(r->body, 1, r->len, fp), r->len);
	assert_int_equal(fclose(fp), 0);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* ---- CSV as LibreOffice writes it ------------------------------------------------------------ */

enum { CSV_COLS = 32 };

struct csv {
	int nrows;
	char *(*rows)[CSV_COLS];
	int *ncols;
};

static void csv_parse(const char *text, struct csv *c)
{
	const char *p = text;

	memset(c, 0, sizeof(*c));
	if (!strncmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (*p) {
		int n = 0;

		c->rows = realloc(c->rows, (size_t)(c->nrows + 1) * sizeof(*c->rows));
		c->ncols = realloc(c->ncols, (size_t)(c->nrows + 1) * sizeof(*c->ncols));
		assert_non_null(c->rows);
		assert_non_null(c->ncols);
		memset(c->rows[c->nrows], 0, sizeof(c->rows[c->nrows]));
		for (;;) {
			char *fld = malloc(strlen(p) + 1);
			size_t k = 0;

			assert_non_null(fld);
			if (*p == '"') {
				p++;
				while (*p && !(*p == '"' && p[1] != '"')) {
					if (*p == '"')
						p++;
					fld[k++] = *p++;
				}
				if (*p == '"')
					p++;
			} else {
				while (*p && *p != ',' && *p != '\n' && *p != '\r')
					fld[k++] = *p++;
			}
			fld[k] = '\0';
			if (n < CSV_COLS)
				c->rows[c->nrows][n++] = fld;
			else
				free(fld);
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p == '\r')
				p++;
			if (*p == '\n')
				p++;
			break;
		}
		c->ncols[c->nrows++] = n;
	}
}

static void csv_free(struct csv *c)
{
	for (int i = 0; i < c->nrows; i++)
		for (int k = 0; k < CSV_COLS; k++)
			free(c->rows[i][k]);
	free(c->rows);
	free(c->ncols);
}

static const char *fld(const struct csv *c, int row, int col)
{
	return row < c->nrows && col < CSV_COLS && c->rows[row][col] ? c->rows[row][col] : "";
}

/* The row of the table's heading (first cell `head`, after the title block); -1 when none. */
static int heading_row(const struct csv *c, const char *head)
{
	for (int i = 0; i < c->nrows; i++)
		if (!strcmp(fld(c, i, 0), head))
			return i;
	return -1;
}

/* The sheet `name` of the converted workbook (LibreOffice writes BASE-SHEET.csv). */
static void sheet(const char *dir, const char *name, struct csv *c)
{
	char path[600];
	char *text;

	snprintf(path, sizeof(path), "%s/r-%s.csv", dir, name);
	text = slurp(path);
	csv_parse(text, c);
	free(text);
}

static int is_num(const char *s, double *v)
{
	char *end;

	if (!*s)
		return 0;
	*v = strtod(s, &end);
	return *end == '\0';
}

/* A date cell as LibreOffice writes it in CSV (its en-US form, M/D/Y); the report's own text form
 * would be D/M/Y (15/06/2025), so this also shows that the cell is a date and not text. */
static int is_date_cell(const char *s, int y, int m, int d)
{
	int a, b, c;

	if (sscanf(s, "%d/%d/%d", &a, &b, &c) != 3)
		return 0;
	return a == m && b == d && (c == y || c == y % 100);
}

/* ---- the API's answers ----------------------------------------------------------------------- */

static json_t *api_json(struct api_fx *f, const char *path)
{
	struct tl_resp r = api_get(f, path, 200);
	json_t *j = json_incref(r.json);

	assert_non_null(j);
	tl_resp_free(&r);
	return j;
}

static const char *status_vi(const char *code)
{
	static const char *const map[][2] = {{"met", "Đạt"}, {"on_track", "Đúng tiến độ"}, {"at_risk", "Có nguy cơ không đạt"},
					     {"missed", "Không đạt"}, {"no_data", "Không có số liệu"}, {"not_started", "Chưa bắt đầu"},
					     {"not_applicable", "Không áp dụng"}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(code, map[i][0]))
			return map[i][1];
	return code;
}

static json_t *unit_of(json_t *target, const char *code)
{
	json_t *u;
	size_t i;

	json_array_foreach(json_object_get(target, "units"), i, u)
		if (!strcmp(json_string_value(json_object_get(json_object_get(u, "orgunit"), "code")), code))
			return u;
	return NULL;
}

/* A published count: the number itself, or "<5" for 1..4, or "x" (hidden to protect another). The
 * hidden and small cells are counted for the caller. */
static void check_count(const char *cell, int64_t want, int suppressed, int *small, int *hidden, const char *what)
{
	double v;

	if (!strcmp(cell, "<5")) {
		if (!suppressed || want < 1 || want > 4)
			fail_msg("%s: shows <5 but the API says %lld", what, (long long)want);
		(*small)++;
		return;
	}
	if (!strcmp(cell, "x")) {
		if (!suppressed)
			fail_msg("%s: hidden in a report that is not suppressed (API: %lld)", what, (long long)want);
		(*hidden)++;
		return;
	}
	if (!is_num(cell, &v) || fabs(v - (double)want) > 1e-9)
		fail_msg("%s: the sheet shows '%s', the API says %lld", what, cell, (long long)want);
	if (suppressed && want >= 1 && want <= 4)
		fail_msg("%s: a count of %lld is printed in a report that leaves the commune", what, (long long)want);
}

/* ---- the xlsx -------------------------------------------------------------------------------- */

struct counts {
	int small, hidden, values;
};

/* Opens the report for `orgunit` with LibreOffice and checks every sheet against the API. */
static struct counts check_xlsx(struct api_fx *f, const char *orgunit, const char *letterhead, int suppressed)
{
	char path[512], cmd[2048], dir[300], hv[256];
	struct tl_resp r;
	json_t *ind, *df, *t, *c;
	struct csv cs;
	struct counts n = {0};
	size_t i, j;
	int h;

	need_tool("soffice", "libreoffice-calc-nogui");
	snprintf(path, sizeof(path), "/api/v1/reports?plan=%s&period=" PERIOD "&orgunit=%s&format=xlsx", PLAN_Q, orgunit);
	r = api_get(f, path, 200);
	assert_string_equal(tl_resp_header(&r, "Content-Type", hv, sizeof(hv)),
			    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	snprintf(cmd, sizeof(cmd), "attachment; filename=\"bao-cao-T-1-KH-UBND-2025-%s.xlsx\"", orgunit);
	assert_string_equal(tl_resp_header(&r, "Content-Disposition", hv, sizeof(hv)), cmd);
	assert_true(r.len > 4 && !memcmp(r.body, "PK", 2)); /* a zip */
	snprintf(dir, sizeof(dir), "%s/x%s", f->tmp.dir, orgunit);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/r.xlsx", dir);
	save(path, &r);
	tl_resp_free(&r);
	/* every sheet to CSV, values as stored rather than as formatted; a private profile so that
	 * parallel tests do not share LibreOffice's */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && soffice -env:UserInstallation=file://%s/lo --headless --convert-to "
		 "'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' --outdir '%s' r.xlsx "
		 ">'%s/lo.log' 2>&1",
		 dir, dir, dir, dir);
	run(cmd);

	snprintf(path, sizeof(path), "/api/v1/indicators?plan=%s&period=" PERIOD "&orgunit=%s", PLAN_Q, orgunit);
	ind = api_json(f, path);
	snprintf(path, sizeof(path), "/api/v1/drug-free?orgunit=%s&date=" API_TODAY "&names=0", orgunit);
	df = api_json(f, path);

	/* Targets: the unit's value, status and measuring date (a real date cell: LibreOffice writes
	 * it in its own date form, not the text the report would hold otherwise). */
	sheet(dir, "Chỉ tiêu", &cs);
	assert_true((h = heading_row(&cs, "STT")) > 0);
	assert_string_equal(fld(&cs, 0, 0), letterhead); /* the reporting unit, in capitals */
	json_array_foreach(json_object_get(ind, "targets"), i, t) {
		int row = h + 1 + (int)i;
		json_t *u = unit_of(t, orgunit);
		double v;

		assert_non_null(u);
		assert_int_equal(atoi(fld(&cs, row, 0)), (int)i + 1);
		assert_string_equal(fld(&cs, row, 7), status_vi(json_string_value(json_object_get(u, "status"))));
		if (!is_date_cell(fld(&cs, row, 5), 2025, 6, 15))
			fail_msg("target %zu: measured on '%s' is not the date cell of 2025-06-15", i + 1, fld(&cs, row, 5));
		if (!strcmp(fld(&cs, row, 6), "x"))
			n.hidden++;
		else if (!is_num(fld(&cs, row, 6), &v) || fabs(v - json_number_value(json_object_get(u, "value"))) > 1e-6)
			fail_msg("target %zu: the sheet shows '%s', the API %g", i + 1, fld(&cs, row, 6),
				 json_number_value(json_object_get(u, "value")));
		else
			n.values++;
	}
	csv_free(&cs);

	/* By unit: every unit's value or "x" where a count behind it is hidden */
	sheet(dir, "Theo đơn vị", &cs);
	assert_true((h = heading_row(&cs, "STT")) > 0);
	{
		int row = h + 1;

		json_array_foreach(json_object_get(ind, "targets"), i, t) {
			json_t *u;

			json_array_foreach(json_object_get(t, "units"), j, u) {
				const char *code = json_string_value(json_object_get(json_object_get(u, "orgunit"), "code"));
				json_t *v = json_object_get(u, "value");
				double x;

				assert_string_equal(fld(&cs, row, 2), code);
				assert_string_equal(fld(&cs, row, 6), status_vi(json_string_value(json_object_get(u, "status"))));
				if (!strcmp(fld(&cs, row, 5), "x")) {
					assert_true(suppressed);
					n.hidden++;
				} else if (json_is_number(v)) {
					if (!is_num(fld(&cs, row, 5), &x) || fabs(x - json_number_value(v)) > 1e-6)
						fail_msg("target %zu unit %s: sheet '%s', API %g", i + 1, code, fld(&cs, row, 5), json_number_value(v));
					n.values++;
				} else {
					assert_string_equal(fld(&cs, row, 5), "");
				}
				row++;
			}
		}
		assert_int_equal(row, cs.nrows);
	}
	csv_free(&cs);

	/* The counts behind each value */
	sheet(dir, "Số liệu", &cs);
	assert_true((h = heading_row(&cs, "STT")) > 0);
	{
		int row = h + 1;

		json_array_foreach(json_object_get(ind, "targets"), i, t) {
			json_t *u;

			json_array_foreach(json_object_get(t, "units"), j, u) {
				const char *m;
				json_t *mv;

				json_object_foreach(json_object_get(u, "measures"), m, mv) {
					char what[160];
					int person = strcmp(m, "communes_drug_free") && strcmp(m, "communes_total");

					snprintf(what, sizeof(what), "target %zu, %s, %s", i + 1, fld(&cs, row, 2), m);
					assert_string_equal(fld(&cs, row, 5), m);
					check_count(fld(&cs, row, 6), json_integer_value(mv), suppressed && person, &n.small, &n.hidden, what);
					row++;
				}
			}
		}
		assert_int_equal(row, cs.nrows);
	}
	csv_free(&cs);

	/* Drug-free: the root and each unit below it (communes, drug-free, share; the person counts of
	 * the three criteria summed over their communes, as the API lists them) */
	sheet(dir, "Xã không ma túy", &cs);
	assert_true((h = heading_row(&cs, "Mã")) > 0);
	{
		static const struct {
			int criterion;
			const char *key;
		} keys[] = {{1, "addicts"}, {1, "with_record"}, {1, "in_treatment"}, {1, "in_community"}, {1, "tested_negative"},
			    {2, "persons"}, {2, "with_record"}, {2, "tested_negative"}, {3, "persons"}, {3, "with_record"},
			    {3, "tested_periodic_and_sudden"}, {3, "supported"}};
		json_t *units = json_object_get(df, "units"), *communes = json_object_get(df, "communes");
		int nrows = 1 + (int)(json_array_size(units) ? json_array_size(units) : json_array_size(communes));
		double v;

		assert_int_equal(cs.nrows, h + 1 + nrows);
		for (int k = 0; k < nrows; k++) {
			int row = h + 1 + k;
			json_t *ou = k == 0 ? json_object_get(df, "orgunit")
				   : json_array_size(units) ? json_array_get(units, (size_t)k - 1)
							    : json_array_get(communes, (size_t)k - 1);
			const char *code = json_string_value(json_object_get(ou, "code"));
			json_t *share = k == 0 ? json_object_get(json_object_get(df, "summary"), "share") : json_object_get(ou, "share");
			int64_t ncom = k == 0 ? json_integer_value(json_object_get(json_object_get(df, "summary"), "communes"))
				       : json_is_integer(json_object_get(ou, "communes")) ? json_integer_value(json_object_get(ou, "communes")) : 1;

			assert_string_equal(fld(&cs, row, 0), code);
			assert_true(is_num(fld(&cs, row, 2), &v) && v == (double)ncom);
			if (json_is_number(share))
				assert_true(is_num(fld(&cs, row, 4), &v) && fabs(v - json_number_value(share)) < 1e-9);
			for (size_t q = 0; q < sizeof(keys) / sizeof(keys[0]); q++) {
				int64_t sum = 0;
				char what[160];
				int under;

				json_array_foreach(communes, i, c) {
					json_t *cr = json_array_get(json_object_get(c, "criteria"), (size_t)keys[q].criterion - 1);

					/* a commune counts for the root, for its district, or for itself */
					under = k == 0 || !strcmp(json_string_value(json_object_get(c, "code")), code);
					if (!under && json_array_size(units)) {
						/* the district of each hand-built commune */
						const char *cc = json_string_value(json_object_get(c, "code"));

						under = (!strcmp(code, "417") && (!strcmp(cc, "16837") || !strcmp(cc, "16822"))) ||
							(!strcmp(code, "415") && !strcmp(cc, "16756"));
					}
					if (under)
						sum += json_integer_value(json_object_get(json_object_get(cr, "counts"), keys[q].key));
				}
				snprintf(what, sizeof(what), "drug-free %s C%d %s", code, keys[q].criterion, keys[q].key);
				check_count(fld(&cs, row, 8 + (int)q), sum, suppressed, &n.small, &n.hidden, what);
				n.values++;
			}
		}
	}
	csv_free(&cs);

	/* Each commune */
	sheet(dir, "Chi tiết xã", &cs);
	assert_true((h = heading_row(&cs, "Trực thuộc")) > 0);
	assert_int_equal(cs.nrows, h + 1 + (int)json_array_size(json_object_get(df, "communes")));
	json_array_foreach(json_object_get(df, "communes"), i, c) {
		int row = h + 1;
		static const char *const keys1[] = {"addicts", "with_record", "in_treatment", "in_community", "tested_negative"};

		/* the sheet lists the communes unit by unit: find the commune's row by its code */
		while (row < cs.nrows && strcmp(fld(&cs, row, 1), json_string_value(json_object_get(c, "code"))))
			row++;
		if (row == cs.nrows)
			fail_msg("commune %s is not in the sheet", json_string_value(json_object_get(c, "code")));
		assert_string_equal(fld(&cs, row, 3), json_is_true(json_object_get(c, "drug_free")) ? "Đạt" : "Không đạt");
		for (int q = 0; q < 5; q++) {
			char what[160];

			snprintf(what, sizeof(what), "commune %s %s", fld(&cs, row, 1), keys1[q]);
			check_count(fld(&cs, row, 7 + q),
				    json_integer_value(json_object_get(json_object_get(json_array_get(json_object_get(c, "criteria"), 0), "counts"), keys1[q])),
				    suppressed, &n.small, &n.hidden, what);
		}
	}
	csv_free(&cs);
	json_decref(ind);
	json_decref(df);
	print_message("report for %s: %d values equal to the API's, %d counts shown as <5, %d hidden\n", orgunit,
		      n.values, n.small, n.hidden);
	return n;
}

static void test_xlsx_province(void **state)
{
	struct api_fx *f = *state;
	struct counts n = check_xlsx(f, "40", "TỈNH NGHỆ AN", 1);

	/* Keng Đu's 2 addicts, Quế Phong's and Tri Lễ's 1, the 1 of 1 reached in Quế Phong... */
	assert_true(n.small >= 4);
	/* ... and beside each a count that would give it away through a total */
	assert_true(n.hidden >= 2);
	assert_true(n.values >= 10);
}

static void test_xlsx_commune(void **state)
{
	struct api_fx *f = *state;
	struct counts n = check_xlsx(f, "16822", "XÃ KENG ĐU", 0);

	/* a commune's own report: Keng Đu's 2 addicts are printed as they are */
	assert_int_equal(n.small, 0);
	assert_int_equal(n.hidden, 0);
	assert_true(n.values >= 10);
}

/* ---- the PDF --------------------------------------------------------------------------------- */

/* Reads a binary PPM (P6) and counts pixels near (r, g, b) and pixels that are not white. */
static void ppm_counts(const char *path, int r, int g, int b, long *near, long *ink)
{
	char *data;
	FILE *fp = fopen(path, "rb");
	int w, hgt, max;
	long n;

	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "P6 %d %d %d", &w, &hgt, &max), 3);
	fgetc(fp);
	n = (long)w * hgt * 3;
	data = malloc((size_t)n);
	assert_non_null(data);
	assert_int_equal((long)fread(data, 1, (size_t)n, fp), n);
	fclose(fp);
	*near = *ink = 0;
	for (long i = 0; i < n; i += 3) {
		int pr = (unsigned char)data[i], pg = (unsigned char)data[i + 1], pb = (unsigned char)data[i + 2];

		if (abs(pr - r) <= 12 && abs(pg - g) <= 12 && abs(pb - b) <= 12)
			(*near)++;
		if (pr < 200 || pg < 200 || pb < 200)
			(*ink)++;
	}
	free(data);
}

static void test_pdf(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	char cmd[4096], dir[300], hv[256], path[400];
	char *info, *text, *p;
	int pages = 0;
	long bars = 0;

	need_tool("pdftoppm", "poppler-utils");
	need_tool("pdfinfo", "poppler-utils");
	r = api_get(f, "/api/v1/reports?plan=" PLAN_Q "&period=" PERIOD "&orgunit=40&format=pdf", 200);
	assert_string_equal(tl_resp_header(&r, "Content-Type", hv, sizeof(hv)), "application/pdf");
	assert_string_equal(tl_resp_header(&r, "Content-Disposition", hv, sizeof(hv)),
			    "attachment; filename=\"bao-cao-T-1-KH-UBND-2025-40.pdf\"");
	assert_true(r.len > 1000 && !memcmp(r.body, "%PDF-", 5));
	snprintf(dir, sizeof(dir), "%s/pdf", f->tmp.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/r.pdf", dir);
	save(path, &r);
	tl_resp_free(&r);

	snprintf(cmd, sizeof(cmd), "pdfinfo '%s/r.pdf' > '%s/info.txt' && pdftotext '%s/r.pdf' '%s/text.txt' && "
				   "pdftoppm -r 36 '%s/r.pdf' '%s/page'", dir, dir, dir, dir, dir, dir);
	run(cmd);
	info = slurp((snprintf(path, sizeof(path), "%s/info.txt", dir), path));
	assert_non_null(p = strstr(info, "Pages:"));
	pages = atoi(p + 6);
	free(info);
	assert_true(pages >= 2); /* the title block and charts, then the tables */
	for (int i = 1; i <= pages + 1; i++) {
		long near, ink;

		/* pdftoppm numbers pages with as many digits as the last page needs */
		snprintf(path, sizeof(path), pages >= 10 ? "%s/page-%02d.ppm" : "%s/page-%d.ppm", dir, i);
		if (i == pages + 1) {
			assert_int_not_equal(access(path, F_OK), 0); /* exactly `pages` pages */
			break;
		}
		if (access(path, F_OK))
			fail_msg("page %d of %d was not rendered (%s)", i, pages, path);
		ppm_counts(path, 0x2b, 0x6c, 0xb0, &near, &ink);
		if (ink < 200)
			fail_msg("page %d is blank (%ld pixels of ink)", i, ink);
		bars += near;
	}
	/* the charts' bars: the province's value and the drug-free share of both districts */
	if (bars < 300)
		fail_msg("no chart drawn: %ld pixels in the bars' colour", bars);

	text = slurp((snprintf(path, sizeof(path), "%s/text.txt", dir), path));
	assert_non_null(strstr(text, "BÁO CÁO KẾT QUẢ THỰC HIỆN"));
	assert_non_null(strstr(text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
	assert_non_null(strstr(text, "Huyện Kỳ Sơn"));
	assert_non_null(strstr(text, "Xã Keng Đu"));
	assert_non_null(strstr(text, "Biểu đồ 1"));
	/* chart 2 (before section I) labels each district's bar with the API's share */
	{
		json_t *df = api_json(f, "/api/v1/drug-free?orgunit=40&date=" API_TODAY "&details=0"), *u;
		char *c2 = strstr(text, "Biểu đồ 2"), *end = c2 ? strstr(c2, "I. KẾT QUẢ THỰC HIỆN") : NULL, label[32];
		size_t k;

		assert_non_null(c2);
		assert_non_null(end);
		*end = '\0';
		assert_int_equal(json_array_size(json_object_get(df, "units")), 2);
		json_array_foreach(json_object_get(df, "units"), k, u) {
			snprintf(label, sizeof(label), "%.1f", json_number_value(json_object_get(u, "share")));
			if (!strstr(c2, label))
				fail_msg("chart 2 has no bar labelled %s: %s", label, c2);
		}
		assert_null(strstr(c2, "\nx\n"));
		json_decref(df);
	}
	free(text);
}

/* ---- CSV, English, and refusals -------------------------------------------------------------- */

static void test_csv_and_english(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp r;
	json_t *ind = api_json(f, "/api/v1/indicators?plan=" PLAN_Q "&period=" PERIOD "&orgunit=40");
	char hv[256], line[256];
	double v = json_number_value(json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(ind, "targets"), 0), "units"), 0), "value"));

	r = api_get(f, "/api/v1/reports?plan=" PLAN_Q "&period=" PERIOD "&orgunit=40&format=csv", 200);
	assert_string_equal(tl_resp_header(&r, "Content-Type", hv, sizeof(hv)), "text/csv; charset=utf-8");
	assert_true(!memcmp(r.body, "\xEF\xBB\xBF", 3));
	/* target 1 for the province, with the value of the API to full precision */
	snprintf(line, sizeof(line), "\r\n1,Tỷ lệ người nghiện có hồ sơ quản lý được tiếp cận dịch vụ,≥ 76%%,%%,2025,2025-06-15,%.10g,", v);
	if (!strstr(r.body, line))
		fail_msg("no line '%s' in %s", line + 2, r.body);
	/* the trend: nobody was reached in the same months of 2024 */
	assert_non_null(strstr(r.body, "↑ tăng"));
	tl_resp_free(&r);

	r = api_get(f, "/api/v1/reports?plan=" PLAN_Q "&period=" PERIOD "&orgunit=40&format=csv&lang=en", 200);
	assert_non_null(strstr(r.body, "REPORT ON THE IMPLEMENTATION OF " PLAN));
	assert_non_null(strstr(r.body, "I. TARGETS AND RESULTS"));
	assert_non_null(strstr(r.body, "Reporting unit,Tỉnh Nghệ An (40)"));
	assert_null(strstr(r.body, "Chỉ tiêu"));
	tl_resp_free(&r);
	json_decref(ind);
}

static void test_refused(void **state)
{
	struct api_fx *f = *state;

	api_refused(f, "GET", "/api/v1/reports?format=xlsx", NULL, 422, "invalid", "plan");
	api_refused(f, "GET", "/api/v1/reports?plan=NO-SUCH&format=xlsx", NULL, 422, "invalid", "plan");
	api_refused(f, "GET", "/api/v1/reports?plan=" PLAN_Q "&format=doc", NULL, 422, "invalid", "format");
	api_refused(f, "GET", "/api/v1/reports?plan=" PLAN_Q "&format=pdf&lang=fr", NULL, 422, "invalid", "lang");
	api_refused(f, "GET", "/api/v1/reports?plan=" PLAN_Q "&format=pdf&period=2025-13", NULL, 422, "invalid", "period");
	api_refused(f, "GET", "/api/v1/reports?plan=" PLAN_Q "&format=pdf&orgunit=99999", NULL, 422, "invalid", "orgunit");
	api_refused(f, "GET", "/api/v1/reports?plan=" PLAN_Q "&format=pdf&date=2025-02-30", NULL, 422, "invalid", "date");
	api_refused(f, "GET", "/api/v1/reports?plan=" PLAN_Q "&format=pdf&names=1", NULL, 400, "bad_request", "names");
	api_refused(f, "GET", "/api/v1/reports?plan=" PLAN_Q "&format=pdf&format=csv", NULL, 400, "bad_request", "format");
	api_refused(f, "POST", "/api/v1/reports", "{}", 405, "method_not_allowed", NULL);
}

/* ---- who may export, and the export in the audit log ------------------------------------------ */

static void test_roles_scope_audit(void **state)
{
	struct api_fx *f = *state;
	char viewer[64], officer[64], hv[256];
	struct tl_resp r;
	json_t *it;
	size_t i;
	int found = 0;

	tl_user(&f->srv, "rp-viewer", "viewer", "40", NULL, viewer);
	tl_user(&f->srv, "rp-kyson", "district", "417", NULL, officer);

	/* nobody: 401 */
	assert_int_equal(tl_http_as(&f->srv, NULL, "GET", "/api/v1/reports?plan=" PLAN_Q "&format=csv", NULL, &r), 0);
	assert_int_equal(r.status, 401);
	tl_resp_free(&r);

	/* a viewer sees aggregates: the province's report, suppressed, with no name of a person */
	assert_int_equal(tl_http_as(&f->srv, viewer, "GET", "/api/v1/reports?plan=" PLAN_Q "&period=" PERIOD "&format=csv", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(tl_resp_header(&r, "Content-Type", hv, sizeof(hv)), "text/csv; charset=utf-8");
	assert_non_null(strstr(r.body, "Đơn vị báo cáo,Tỉnh Nghệ An (40)"));
	assert_non_null(strstr(r.body, "<5"));
	assert_null(strstr(r.body, "Vi Văn Tám"));
	assert_null(strstr(r.body, "Lô Văn"));
	tl_resp_free(&r);

	/* a viewer sees small cells suppressed in a commune's report too: Keng Du's 2 addicts */
	assert_int_equal(tl_http_as(&f->srv, viewer, "GET", "/api/v1/reports?plan=" PLAN_Q "&period=" PERIOD "&orgunit=16822&format=csv", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\r\n16822,Xã Keng Đu,1,0,0,0,1,1,<5,"));
	tl_resp_free(&r);

	/* a district officer naming no unit gets Ky Son's report; the province is outside the scope */
	assert_int_equal(tl_http_as(&f->srv, officer, "GET", "/api/v1/reports?plan=" PLAN_Q "&period=" PERIOD "&format=csv", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "Đơn vị báo cáo,Huyện Kỳ Sơn (417)"));
	assert_string_equal(tl_resp_header(&r, "Content-Disposition", hv, sizeof(hv)),
			    "attachment; filename=\"bao-cao-T-1-KH-UBND-2025-417.csv\"");
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, officer, "GET", "/api/v1/reports?plan=" PLAN_Q "&period=" PERIOD "&orgunit=40&format=csv", NULL, &r), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(tl_err_field(&r), "orgunit");
	tl_resp_free(&r);

	/* every export is in the audit log, with who asked for what (entries are written within 100 ms) */
	for (int tries = 0; tries < 50 && !found; tries++) {
		usleep(100 * 1000);
		r = api_get(f, "/api/v1/audit?action=export&limit=100", 200);
		json_array_foreach(json_object_get(r.json, "items"), i, it) {
			const char *u = json_string_value(json_object_get(it, "username"));
			const char *d = json_string_value(json_object_get(it, "detail"));

			if (u && d && !strcmp(u, "rp-kyson") && strstr(d, "orgunit=40") && strstr(d, "format=csv"))
				found = 1;
		}
		tl_resp_free(&r);
	}
	if (!found)
		fail_msg("the district officer's refused export is not in the audit log");
	r = api_get(f, "/api/v1/audit?action=export&limit=100", 200);
	found = 0;
	json_array_foreach(json_object_get(r.json, "items"), i, it)
		found += !strcmp(json_string_value(json_object_get(it, "username")), "rp-viewer");
	assert_int_equal(found, 2); /* the viewer's two exports */
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xlsx_province),
		cmocka_unit_test(test_xlsx_commune),
		cmocka_unit_test(test_pdf),
		cmocka_unit_test(test_csv_and_english),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_roles_scope_audit),
	};

	return cmocka_run_group_tests(tests, setup, api_teardown);
}
