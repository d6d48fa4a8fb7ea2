/* test_parse.c: the import parsers and the column map, without a database: CSV dialects (BOM,
 * semicolons, quotes, line ends), every malformed input named with its row and column (UTF-16,
 * invalid UTF-8, a 10 MB cell, an unclosed quote), xlsx workbooks written by libxlsxwriter (shared
 * strings, numbers, date cells, formulas, booleans) and damaged ones (truncated, a zip bomb, a DTD,
 * over the unpacked-size budget, a 10 MB cell), and the header/cell mapping from the descriptors.
 * Strings whose Unicode form matters are byte escapes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "import/imp.h"

/* ---- a row collector ------------------------------------------------------------------------- */

struct rows {
	int n;
	long rowno[64];
	int ncells[64];
	char cell[64][12][128];
	unsigned flags[64][12];
};

static int collect(void *cls, long row, const struct imp_cell *c, int n, size_t pos, size_t total, struct pcmt_err *err)
{
	struct rows *r = cls;

	if (r->n >= 64)
		return 0;
	r->rowno[r->n] = row;
	r->ncells[r->n] = n;
	for (int i = 0; i < n && i < 12; i++) {
		snprintf(r->cell[r->n][i], 128, "%.*s", (int)(c[i].n < 127 ? c[i].n : 127), c[i].s);
		r->flags[r->n][i] = c[i].flags;
	}
	r->n++;
	return 0;
}

static int csv(const char *buf, size_t n, struct rows *r, struct imp_where *w, struct pcmt_err *err)
{
	struct imp_limits lim;

	imp_limits_default(&lim);
	memset(r, 0, sizeof(*r));
	err_clear(err);
	return csv_parse(buf, n, &lim, collect, r, w, err);
}

static void csv_dialects(void **state)
{
	static const char semi[] = "\xef\xbb\xbfH\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan;Ghi ch\xc3\xba\r\n"
				   "\"Nguy\xe1\xbb\x85n; V\xc4\x83n\";\"n\xc3\xb3i \"\"xin ch\xc3\xa0o\"\"\nd\xc3\xb2ng 2\"\r\n"
				   ";;\r\n" /* an empty row is skipped */
				   "B;\r\n";
	static const char comma[] = "a,b,c\n1,\"2,5\",3\r4,5,6";
	struct rows r;
	struct imp_where w;
	struct pcmt_err err;

	assert_int_equal(csv(semi, sizeof(semi) - 1, &r, &w, &err), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.cell[0][0], "H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan"); /* the BOM is not part of it */
	assert_int_equal(r.ncells[1], 2);
	assert_string_equal(r.cell[1][0], "Nguy\xe1\xbb\x85n; V\xc4\x83n");
	assert_string_equal(r.cell[1][1], "n\xc3\xb3i \"xin ch\xc3\xa0o\"\nd\xc3\xb2ng 2");
	assert_int_equal(r.rowno[2], 4);
	assert_string_equal(r.cell[2][0], "B");
	assert_string_equal(r.cell[2][1], "");

	assert_int_equal(csv(comma, sizeof(comma) - 1, &r, &w, &err), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.cell[1][1], "2,5");
	assert_string_equal(r.cell[2][2], "6");
}

static void csv_malformed(void **state)
{
	static const char utf16[] = "\xff\xfeH\0o\0";
	static const char nul[] = "a\0b\0,c\0\n";
	static const char bad8[] = "name,note\nok,fine\nx,caf\xe9 latin-1\n";
	static const char ctrl[] = "name,note\nx,bell\x07\n";
	static const char open[] = "name,note\nx,\"never closed\n";
	static const char after[] = "name,note\nx,\"a\"b\n";
	struct rows r;
	struct imp_where w;
	struct pcmt_err err;
	char *big;
	size_t n = 10u << 20;

	assert_int_equal(csv(utf16, sizeof(utf16) - 1, &r, &w, &err), -1);
	assert_non_null(strstr(err.message, "UTF-16"));
	assert_int_equal(csv(nul, sizeof(nul) - 1, &r, &w, &err), -1);
	assert_non_null(strstr(err.message, "NUL"));
	assert_int_equal(csv(bad8, sizeof(bad8) - 1, &r, &w, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_int_equal(w.row, 3);
	assert_int_equal(w.col, 2);
	assert_non_null(strstr(err.message, "row 3, column 2"));
	assert_non_null(strstr(err.message, "UTF-8"));
	assert_int_equal(r.n, 2); /* the rows before it were read; the driver writes nothing */
	assert_int_equal(csv(ctrl, sizeof(ctrl) - 1, &r, &w, &err), -1);
	assert_int_equal(w.row, 2);
	assert_int_equal(csv(open, sizeof(open) - 1, &r, &w, &err), -1);
	assert_non_null(strstr(err.message, "never closed"));
	assert_int_equal(csv(after, sizeof(after) - 1, &r, &w, &err), -1);
	assert_int_equal(w.col, 2);

	/* 10 MB in one cell, quoted and not */
	big = malloc(n + 64);
	assert_non_null(big);
	memcpy(big, "a,b\n1,", 6);
	memset(big + 6, 'x', n);
	memcpy(big + 6 + n, "\n", 1);
	assert_int_equal(csv(big, n + 7, &r, &w, &err), -1);
	assert_int_equal(err.code, ERR_TOO_LARGE);
	assert_int_equal(w.row, 2);
	assert_int_equal(w.col, 2);
	big[6] = '"';
	big[5 + n] = '"';
	assert_int_equal(csv(big, n + 7, &r, &w, &err), -1);
	assert_int_equal(err.code, ERR_TOO_LARGE);
	free(big);
}

/* ---- xlsx ------------------------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)len + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static void tmp_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/pcmt-test-%d-%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), name);
}

/* A workbook as a spreadsheet user makes it: text, a number, dates in two formats, a formula
 * giving a date, a boolean, a number that was a national ID. */
static char *book(size_t *n, const char *big_cell)
{
	char path[256];
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *dmy, *iso;
	lxw_datetime d1 = {1990, 2, 1, 0, 0, 0}, d2 = {2024, 12, 31, 0, 0, 0};
	char *p;

	tmp_path(path, sizeof(path), "book.xlsx");
	wb = workbook_new(path);
	ws = workbook_add_worksheet(wb, NULL);
	dmy = workbook_add_format(wb);
	format_set_num_format(dmy, "dd/mm/yyyy");
	iso = workbook_add_format(wb);
	format_set_num_format(iso, "yyyy-mm-dd");
	worksheet_write_string(ws, 0, 0, "H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan", NULL);
	worksheet_write_string(ws, 0, 1, "Ng\xc3\xa0y sinh", NULL);
	worksheet_write_string(ws, 0, 2, "CCCD", NULL);
	worksheet_write_string(ws, 0, 3, "Flag", NULL);
	worksheet_write_string(ws, 1, 0, "Nguy\xe1\xbb\x85n V\xc4\x83n A", NULL);
	worksheet_write_datetime(ws, 1, 1, &d1, dmy);
	worksheet_write_number(ws, 1, 2, 40090001234.0, NULL);
	worksheet_write_boolean(ws, 1, 3, 1, NULL);
	/* row 3 left empty: skipped; row 4 has a formula where a date belongs */
	worksheet_write_string(ws, 3, 0, "B", NULL);
	worksheet_write_formula_num(ws, 3, 1, "=DATE(2024,12,31)", dmy, 45657);
	worksheet_write_datetime(ws, 4, 1, &d2, iso);
	worksheet_write_number(ws, 4, 2, 2.5, NULL);
	if (big_cell)
		worksheet_write_string(ws, 5, 0, big_cell, NULL);
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	p = slurp(path, n);
	unlink(path);
	return p;
}

/* A workbook of just the parts pcmt reads, written with libzip. */
static char *mini_xlsx(const char *sheet, const char *sst, size_t *n)
{
	static const char wb[] = "<workbook xmlns:r=\"r\"><sheets><sheet name=\"a\" r:id=\"rId1\"/></sheets></workbook>";
	static const char rels[] = "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
	char path[256], *p;
	zip_t *zip;

	tmp_path(path, sizeof(path), "mini.xlsx");
	zip = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
	assert_non_null(zip);
	assert_true(zip_file_add(zip, "xl/workbook.xml", zip_source_buffer(zip, wb, sizeof(wb) - 1, 0), 0) >= 0);
	assert_true(zip_file_add(zip, "xl/_rels/workbook.xml.rels", zip_source_buffer(zip, rels, sizeof(rels) - 1, 0), 0) >= 0);
	assert_true(zip_file_add(zip, "xl/worksheets/sheet1.xml", zip_source_buffer(zip, sheet, strlen(sheet), 0), 0) >= 0);
	if (sst)
		assert_true(zip_file_add(zip, "xl/sharedStrings.xml", zip_source_buffer(zip, sst, strlen(sst), 0), 0) >= 0);
	assert_int_equal(zip_close(zip), 0);
	p = slurp(path, n);
	unlink(path);
	return p;
}

static int xlsx(const char *buf, size_t n, struct imp_limits *lim, struct rows *r, struct imp_where *w,
		struct pcmt_err *err)
{
	struct imp_limits dl;

	if (!lim) {
		imp_limits_default(&dl);
		lim = &dl;
	}
	memset(r, 0, sizeof(*r));
	err_clear(err);
	return xlsx_parse(buf, n, lim, collect, r, w, err);
}

static void xlsx_cells(void **state)
{
	size_t n;
	char *b = book(&n, NULL);
	struct rows r;
	struct imp_where w;
	struct pcmt_err err;

	assert_int_equal(imp_sniff(b, n), IMP_XLSX);
	assert_int_equal(xlsx(b, n, NULL, &r, &w, &err), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.cell[0][1], "Ng\xc3\xa0y sinh");
	assert_int_equal(r.rowno[1], 2);
	assert_string_equal(r.cell[1][0], "Nguy\xe1\xbb\x85n V\xc4\x83n A");
	assert_string_equal(r.cell[1][1], "1990-02-01");
	assert_true(r.flags[1][1] & IMP_CELL_DATE);
	assert_string_equal(r.cell[1][2], "40090001234");
	assert_true(r.flags[1][2] & IMP_CELL_NUMBER);
	assert_false(r.flags[1][2] & IMP_CELL_DATE);
	assert_string_equal(r.cell[1][3], "1");
	assert_int_equal(r.rowno[2], 4);
	assert_true(r.flags[2][1] & IMP_CELL_FORMULA);
	assert_true(r.flags[2][1] & IMP_CELL_DATE);
	assert_string_equal(r.cell[2][1], "2024-12-31");
	assert_string_equal(r.cell[3][1], "2024-12-31");
	assert_string_equal(r.cell[3][2], "2.5");
	free(b);
}

static void xlsx_malformed(void **state)
{
	size_t n, zn;
	char *b = book(&n, NULL), *big, path[256], *z;
	struct rows r;
	struct imp_where w;
	struct pcmt_err err;
	struct imp_limits lim;
	zip_t *zip;
	size_t bomb = 20u << 20;
	static const char dtd[] =
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>"
		"<workbook><sheets><sheet name=\"a\" r:id=\"rId1\"/></sheets></workbook>";

	/* truncated: the central directory is gone */
	assert_int_equal(xlsx(b, n / 2, NULL, &r, &w, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_non_null(strstr(err.message, "cut short or damaged"));
	/* not a zip at all */
	assert_int_equal(xlsx("hello", 5, NULL, &r, &w, &err), -1);
	/* over the unpacked-size budget */
	imp_limits_default(&lim);
	lim.unzip_max = 2000;
	assert_int_equal(xlsx(b, n, &lim, &r, &w, &err), -1);
	assert_int_equal(err.code, ERR_TOO_LARGE);
	free(b);

	/* 10 MB in one cell, inline and shared (Excel itself stops at 32,767 characters, libxlsxwriter
	 * too, so the part is written by hand) */
	for (int shared = 0; shared < 2; shared++) {
		size_t cell = 10u << 20;
		const char *pre = shared ? "<sst><si><t>" : "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
							    "<row r=\"2\"><c r=\"B2\" t=\"inlineStr\"><is><t>";
		const char *post = shared ? "</t></si></sst>" : "</t></is></c></row></sheetData></worksheet>";

		big = malloc(cell + 512);
		n = (size_t)sprintf(big, "%s", pre);
		memset(big + n, 'x', cell);
		n += cell;
		n += (size_t)sprintf(big + n, "%s", post);
		b = mini_xlsx(shared ? "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData></worksheet>" : big,
			      shared ? big : "<sst><si><t>h</t></si></sst>", &zn);
		free(big);
		/* 10 MB of one letter packs 1000:1: the ratio cap alone refuses it */
		assert_int_equal(xlsx(b, zn, NULL, &r, &w, &err), -1);
		assert_non_null(strstr(err.message, "zip bomb"));
		/* without it, the cell cap does */
		imp_limits_default(&lim);
		lim.ratio_max = 1u << 30;
		assert_int_equal(xlsx(b, zn, &lim, &r, &w, &err), -1);
		assert_int_equal(err.code, ERR_TOO_LARGE);
		assert_non_null(strstr(err.message, "bytes"));
		if (!shared) {
			assert_int_equal(w.row, 2);
			assert_int_equal(w.col, 2);
		}
		free(b);
	}

	/* a zip bomb: a sheet of 20 MB of blanks that packs to a few KB */
	tmp_path(path, sizeof(path), "bomb.xlsx");
	zip = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
	assert_non_null(zip);
	{
		static const char wb[] = "<workbook xmlns:r=\"r\"><sheets><sheet name=\"a\" r:id=\"rId1\"/></sheets></workbook>";
		static const char rels[] = "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
		char *blank = malloc(bomb);

		memset(blank, ' ', bomb);
		memcpy(blank, "<worksheet><sheetData>", 22);
		memcpy(blank + bomb - 25, "</sheetData></worksheet>", 24);
		assert_true(zip_file_add(zip, "xl/workbook.xml", zip_source_buffer(zip, wb, sizeof(wb) - 1, 0), 0) >= 0);
		assert_true(zip_file_add(zip, "xl/_rels/workbook.xml.rels", zip_source_buffer(zip, rels, sizeof(rels) - 1, 0), 0) >= 0);
		assert_true(zip_file_add(zip, "xl/worksheets/sheet1.xml", zip_source_buffer(zip, blank, bomb, 1), 0) >= 0);
		assert_int_equal(zip_close(zip), 0);
	}
	z = slurp(path, &zn);
	unlink(path);
	assert_true(zn < bomb / 200);
	assert_int_equal(xlsx(z, zn, NULL, &r, &w, &err), -1);
	assert_int_equal(err.code, ERR_TOO_LARGE);
	assert_non_null(strstr(err.message, "zip bomb"));
	free(z);

	/* a DTD (entity expansion) */
	zip = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
	assert_true(zip_file_add(zip, "xl/workbook.xml", zip_source_buffer(zip, dtd, sizeof(dtd) - 1, 0), 0) >= 0);
	assert_int_equal(zip_close(zip), 0);
	z = slurp(path, &zn);
	unlink(path);
	assert_int_equal(xlsx(z, zn, NULL, &r, &w, &err), -1);
	assert_non_null(strstr(err.message, "DTD"));
	free(z);
}

/* ---- the column map and cells ----------------------------------------------------------------- */

static struct imp_cell C(const char *s)
{
	struct imp_cell c = {s, strlen(s), 0, NULL, 0};

	return c;
}

static void header_map(void **state)
{
	struct imp_map m;
	struct pcmt_err err;
	/* Vietnamese with and without accents, English, field names, our own error columns, STT */
	struct imp_cell h[] = {C("STT"), C("HO VA TEN"), C("Gi\xe1\xbb\x9bi t\xc3\xadnh"), C("Date of birth"),
			       C("residence_ou"), C("national id"), C("L\xe1\xbb\x97i / Error")};
	struct imp_cell bad[] = {C("Full name"), C("Sex"), C("Residence (commune)"), C("Shoe size")};
	struct imp_cell missing[] = {C("Full name"), C("Sex")};
	struct imp_cell twice[] = {C("Full name"), C("H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan"), C("Sex"), C("residence_ou")};
	struct imp_cell ev[] = {C("S\xe1\xbb\x91 \xc4\x91\xe1\xbb\x8bnh danh/CCCD"), C("Test date"), C("kind"), C("result")};

	err_clear(&err);
	assert_int_equal(imp_map_header(&ent_persons, h, 7, &m, &err), 0);
	assert_int_equal(m.field_of[0], IMP_COL_IGNORE);
	assert_string_equal(ent_persons.fields[m.field_of[1]].name, "full_name");
	assert_string_equal(ent_persons.fields[m.field_of[2]].name, "sex");
	assert_string_equal(ent_persons.fields[m.field_of[3]].name, "dob");
	assert_string_equal(ent_persons.fields[m.field_of[4]].name, "residence_ou");
	assert_string_equal(ent_persons.fields[m.field_of[5]].name, "national_id");
	assert_int_equal(m.field_of[6], IMP_COL_OURS);
	assert_string_equal(imp_map_label(&m, m.field_of[2]), "Gi\xe1\xbb\x9bi t\xc3\xadnh");
	imp_map_free(&m);

	assert_int_equal(imp_map_header(&ent_persons, bad, 4, &m, &err), -1);
	assert_non_null(strstr(err.message, "Shoe size"));
	imp_map_free(&m);
	assert_int_equal(imp_map_header(&ent_persons, missing, 2, &m, &err), -1);
	assert_string_equal(err.field, "residence_ou");
	imp_map_free(&m);
	assert_int_equal(imp_map_header(&ent_persons, twice, 4, &m, &err), -1);
	assert_non_null(strstr(err.message, "both"));
	imp_map_free(&m);
	/* an event's person column may be headed with the persons' national-ID label */
	assert_int_equal(imp_map_header(&ent_tests, ev, 4, &m, &err), 0);
	assert_string_equal(ent_tests.fields[m.field_of[0]].name, "person_id");
	assert_string_equal(ent_tests.fields[m.date_field].name, "test_date");
	imp_map_free(&m);
}

static void cell_values(void **state)
{
	struct pcmt_err err;
	struct imp_cell c;
	json_t *v;

	err_clear(&err);
	c = C("5/9/1988");
	v = imp_cell_value(ent_field(&ent_persons, "dob"), &c, &err);
	assert_string_equal(json_string_value(v), "05/09/1988");
	json_decref(v);
	c = C("N\xe1\xbb\xaf"); /* Nữ: the label */
	v = imp_cell_value(ent_field(&ent_persons, "sex"), &c, &err);
	assert_string_equal(json_string_value(v), "female");
	json_decref(v);
	c = C("\xc3\x82m t\xc3\xadnh"); /* Âm tính */
	v = imp_cell_value(ent_field(&ent_tests, "result"), &c, &err);
	assert_string_equal(json_string_value(v), "negative");
	json_decref(v);
	c = C("5.000.000");
	v = imp_cell_value(ent_field(&ent_support, "amount_vnd"), &c, &err);
	assert_int_equal(json_integer_value(v), 5000000);
	json_decref(v);
	c = C("5.00");
	assert_null(imp_cell_value(ent_field(&ent_support, "amount_vnd"), &c, &err));
	assert_int_equal(err.code, ERR_INVALID);
	err_clear(&err);
	c = C("c\xc3\xb3"); /* có */
	v = imp_cell_value(ent_field(&ent_facilities, "qualified"), &c, &err);
	assert_true(json_is_true(v));
	json_decref(v);
	c = C("   ");
	assert_null(imp_cell_value(ent_field(&ent_persons, "dob"), &c, &err));
	assert_int_equal(err.code, ERR_OK);
	/* a formula where a date belongs, and a bare number */
	c = C("2024-12-31");
	c.flags = IMP_CELL_FORMULA | IMP_CELL_DATE | IMP_CELL_NUMBER;
	assert_null(imp_cell_value(ent_field(&ent_tests, "test_date"), &c, &err));
	assert_string_equal(err.field, "test_date");
	assert_non_null(strstr(err.message, "formula"));
	err_clear(&err);
	c = C("45657");
	c.flags = IMP_CELL_NUMBER;
	assert_null(imp_cell_value(ent_field(&ent_tests, "test_date"), &c, &err));
	assert_non_null(strstr(err.message, "not a date"));
	err_clear(&err);
	/* a national ID that a spreadsheet made a number gets its leading zero back */
	c = C("40090001234");
	c.flags = IMP_CELL_NUMBER;
	v = imp_cell_value(ent_field(&ent_persons, "national_id"), &c, &err);
	assert_string_equal(json_string_value(v), "040090001234");
	json_decref(v);
	c = C("[{\"substance\": \"opioids\", \"result\": \"positive\"}]");
	v = imp_cell_value(ent_field(&ent_tests, "substances"), &c, &err);
	assert_true(json_is_array(v));
	json_decref(v);
	c = C("[oops");
	assert_null(imp_cell_value(ent_field(&ent_tests, "substances"), &c, &err));
	assert_int_equal(err.code, ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv_dialects), cmocka_unit_test(csv_malformed), cmocka_unit_test(xlsx_cells),
		cmocka_unit_test(xlsx_malformed), cmocka_unit_test(header_map), cmocka_unit_test(cell_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
