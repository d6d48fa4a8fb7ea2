/* report.h: periodic reports on a plan as files (xlsx, PDF, CSV) laid out like a provincial report:
 * a title block (report title, issuing unit, period, date), then one table per section: the plan's
 * targets with value, target, status and trend for the unit and each unit below it, the measures
 * behind each value, the drug-free commune evaluation per unit and per commune with the counts
 * behind it, and the reasons communes fail; the PDF adds charts.
 *
 * The report is built once into a format-neutral model (struct report: tables of typed cells, bar
 * charts) from the engine's own answers (engine/indicators.h, engine/drugfree.h): nothing is
 * computed twice, so a report says exactly what the API says. Each format is one file that renders
 * the model (report_xlsx.c, report_pdf.c, report_csv.c).
 *
 * Small cells (RULES.md, domain/suppress.h): a report whose unit lies above commune level leaves
 * the commune, so person counts of 1..t-1 are printed "<t", a second count that would give one
 * away through a total is printed "x", and an indicator value or trend resting on a hidden count is
 * hidden too. A commune's own report is not suppressed, except for a viewer (RULES.md: aggregates
 * shown to viewers).
 *
 * Ownership: rep_build returns a report owning every string and cell in one arena; rep_free drops
 * it. Rendered bytes are a malloc'd buffer the caller frees. */
#ifndef PCMT_REPORT_H
#define PCMT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/live.h"
#include "store/store.h"
#include "util/err.h"

enum rep_lang { REP_VI, REP_EN };
enum rep_format { REP_XLSX, REP_PDF, REP_CSV };

/* What a cell holds. A hidden cell (small-cell suppression) carries its published text in s. */
enum rep_kind { RK_EMPTY, RK_TEXT, RK_INT, RK_REAL, RK_DATE, RK_HIDDEN };

struct rep_cell {
	enum rep_kind k;
	double v;          /* RK_INT, RK_REAL */
	int32_t d;         /* RK_DATE: day number */
	const char *s;     /* RK_TEXT, RK_HIDDEN ("<5", "x") */
};

struct rep_col {
	const char *head;  /* column heading in the report's language */
	enum rep_kind k;   /* what the column holds (RK_REAL: one decimal; RK_TEXT left-aligned) */
	double width;      /* in characters, as spreadsheets measure columns */
};

enum { REP_COLS_MAX = 24, REP_TABLES_MAX = 8, REP_CHARTS_MAX = 4, REP_META_MAX = 12 };

/* Row flags */
enum { RR_TOTAL = 1 };  /* a total (the report's own unit): bold */

struct rep_table {
	const char *key;       /* stable section name: "targets", "units", "measures", "drugfree", ... */
	const char *sheet;     /* xlsx sheet name: at most 31 characters, none of []:*?/\ */
	const char *title;     /* heading above the table */
	const char *note;      /* one sentence under the heading, or NULL */
	int pdf;               /* 1: printed in the PDF too (long detail tables stay in xlsx and CSV) */
	int ncols;
	struct rep_col cols[REP_COLS_MAX];
	int nrows, cap;
	struct rep_cell *cells; /* nrows x ncols, row-major */
	unsigned char *rflags;  /* per row: RR_* */
};

struct rep_bar {
	const char *label;
	double value;          /* ignored when hidden or missing */
	double target;         /* a marker line when has_target */
	int has_value, has_target, hidden;
};

struct rep_chart {
	const char *title;
	const char *legend_value, *legend_target; /* legend texts (target NULL: no target markers) */
	int percent;           /* values are percentages: the axis runs 0..100 */
	int nbars;
	struct rep_bar *bars;
};

struct rep_meta {
	const char *k, *v;     /* a "Heading: value" line of the title block */
};

struct report {
	struct arena *a;
	enum rep_lang lang;
	const char *issuer;    /* the reporting unit, upper case, top left of a Vietnamese report */
	const char *title;     /* "BÁO CÁO ..." */
	const char *subtitle;  /* the plan's title */
	int nmeta;
	struct rep_meta meta[REP_META_MAX];
	const char *footnote;  /* small-cell note, or NULL */
	int suppressed;        /* 1 when small-cell suppression applied */
	int64_t threshold;     /* t of "<t" */
	int32_t as_of;         /* the date asked about */
	int32_t df_date;       /* date of the drug-free evaluation, DATE_NONE when not evaluated */
	char basename[96];     /* a file name without extension: "bao-cao-180-KH-UBND-2022-40" */
	int ntables;
	struct rep_table t[REP_TABLES_MAX];
	int ncharts;
	struct rep_chart c[REP_CHARTS_MAX];
};

struct rep_opts {
	const char *plan;          /* the plan's code or id */
	int64_t ou_id;             /* the reporting unit; 0: the caller's scope unit, else the plan's scope */
	const char *period;        /* "2022", "2022-Q1", "2022-03", "plan"; NULL: each target's own */
	int32_t date;              /* the date asked about (values are final at the period's end) */
	enum rep_lang lang;
	const struct scope *scope; /* the caller's scope (persons are never named in a report) */
	int aggregates_only;       /* the caller sees aggregates only (a viewer): suppress small cells
				      even in a commune's own report */
};

/* Builds the report from the engine's answers. Errors: as ind_answer (ERR_INVALID naming "plan",
 * "period", "orgunit"), ERR_NOT_FOUND "orgunit" outside the scope; ERR_INTERNAL otherwise. A
 * drug-free evaluation on a date before the criteria are in force is not an error: the section says
 * so. */
int rep_build(struct live *lv, struct store *s, const struct rep_opts *o, struct report **out, struct pcmt_err *err);
void rep_free(struct report *r);

/* Renders r as fmt into a new malloc'd buffer (*buf, *len). ERR_INTERNAL on failure (a missing font
 * for the PDF names the package to install). */
int rep_render(const struct report *r, enum rep_format fmt, char **buf, size_t *len, struct pcmt_err *err);
int rep_xlsx(const struct report *r, char **buf, size_t *len, struct pcmt_err *err);
int rep_pdf(const struct report *r, char **buf, size_t *len, struct pcmt_err *err);
int rep_csv(const struct report *r, char **buf, size_t *len, struct pcmt_err *err);

/* "xlsx", "pdf", "csv" -> 0 and *out; -1 when unknown. */
int rep_format_parse(const char *s, enum rep_format *out);
/* "vi", "en" -> 0 and *out; -1 when unknown. */
int rep_lang_parse(const char *s, enum rep_lang *out);
const char *rep_format_ext(enum rep_format f);   /* "xlsx" */
const char *rep_format_mime(enum rep_format f);  /* the Content-Type */

/* Cell access for renderers. */
static inline const struct rep_cell *rep_at(const struct rep_table *t, int row, int col)
{
	return &t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
}

/* A cell as text (numbers with their decimals, dates dd/mm/yyyy): for CSV and PDF. */
const char *rep_cell_text(const struct rep_cell *c, char *buf, size_t cap);

#endif
